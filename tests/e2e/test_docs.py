# SPDX-License-Identifier: Apache-2.0
"""The documentation stands on its own: no page, example or --help text sends the
reader to a file they do not have (the original specification, "SPEC section N", or
DESIGN.md; docs/design.md holds the design), and none promises as "to come" what
already exists."""
import glob
import os
import re

import pytest

from harness.cli import base_env, run_bin

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNSHIPPED = re.compile(r"\bSPEC\b|DESIGN\.md|\.\./shared/|/work/shared|\bto come\b")


def user_facing_files():
    pats = ["README.md", "docs/*.md", "bench/README.md", "examples/**/*", "man/**/*",
            "Makefile", "mk/*.sh"]
    out = set()
    for p in pats:
        for f in glob.glob(os.path.join(ROOT, p), recursive=True):
            if os.path.isfile(f):
                out.add(f)
    return sorted(out)


def test_docs_and_examples_cite_no_unshipped_file():
    files = user_facing_files()
    assert any(f.endswith("docs/api.md") for f in files), files
    found = []
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except UnicodeDecodeError:
            continue                    # binary example data
        for n, line in enumerate(lines, 1):
            if UNSHIPPED.search(line):
                found.append(f"{os.path.relpath(f, ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


HELP = [[], ["serve"], ["user"], ["client"], ["keys"], ["sessions"], ["db"],
        ["dev-certs"], ["login"], ["token"], ["whoami"], ["request"], ["logout"]]


@pytest.mark.parametrize("cmd", HELP, ids=[" ".join(c) or "tessera" for c in HELP])
def test_help_cites_no_unshipped_file(tmp_path, cmd):
    r = run_bin(*cmd, "--help", env=base_env(), timeout=20, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not UNSHIPPED.search(r.stdout), r.stdout


def _doc_block(path, after):
    """The indented command lines of the first code block after the line `after`."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(after))
    out = []
    for line in lines[i + 1:]:
        if line.startswith("    "):
            out.append(line.strip())
        elif out and line.strip():
            break
    return " ".join(out).replace("\\ ", " ")


def test_tls_example_calls_the_server_at_its_issuer(tmp_path):
    """docs/tls.md "Using them", run as written (another free port): the URL curl calls
    is the issuer the metadata names, as discovery clients require."""
    import shlex
    import socket
    import subprocess
    import time

    import requests

    from harness.process import LISTEN_RE
    from harness.suite import BIN
    serve = _doc_block("docs/tls.md", "Start the server with the server certificate")
    call = _doc_block("docs/tls.md", "With curl, trust the CA")
    assert serve.startswith("tessera dev-certs tessera serve"), serve
    url = next(w for w in shlex.split(call) if w.startswith("https://"))
    listen = next(w for w in shlex.split(serve) if re.fullmatch(r"[\d.]+:\d+", w))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    args = shlex.split(serve.replace(listen, f"127.0.0.1:{port}"))[2:]
    url = url.replace(":" + listen.split(":")[1], f":{port}")
    assert run_bin("dev-certs", cwd=tmp_path, timeout=30).returncode == 0
    p = subprocess.Popen([BIN, *args[1:], "--database", str(tmp_path / "t.db")],
                         cwd=tmp_path, env=base_env(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            line = p.stderr.readline()
            if not line or LISTEN_RE.match(line.strip()):
                break
        meta = requests.get(url, verify=str(tmp_path / "tessera-certs" / "ca.pem"),
                            timeout=10).json()
    finally:
        p.terminate()
        p.wait(10)
    assert url == meta["issuer"] + "/.well-known/oauth-authorization-server", (url, meta)
