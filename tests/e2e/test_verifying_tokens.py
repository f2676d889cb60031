# SPDX-License-Identifier: Apache-2.0
"""docs/verifying-tokens.md, run as written: its Python example (PyJWT) verifies the
server's tokens, refuses forged ones, picks up a rotated key, and, as the page says,
still accepts a logged-out session's token until `exp` while tessera refuses it. The
Node example runs too when `node` and Debian's node-jose are installed."""
import base64
import json
import os
import re
import shutil
import subprocess
import time

import jwt
import pytest

from harness.jose import jwt_parts

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAGE = os.path.join(ROOT, "docs", "verifying-tokens.md")
NODE_PATH = "/usr/share/nodejs"              # Debian's node-jose


def page_block(lang):
    with open(PAGE, encoding="utf-8") as f:
        blocks = re.findall(r"```" + lang + r"\n(.*?)```", f.read(), re.S)
    assert blocks, f"no {lang} block in docs/verifying-tokens.md"
    return blocks[0]


def python_example(issuer):
    code = page_block("python")
    assert 'ISSUER = "http://127.0.0.1:8080"' in code
    ns = {}
    exec(compile(code.replace("http://127.0.0.1:8080", issuer), PAGE, "exec"), ns)
    return ns


def test_python_example_verifies_and_refuses(server, make_server):
    ex = python_example(server.url)
    u = server.add_user()
    lg = server.login(u)
    claims = ex["verify"](lg.access_token)
    assert claims["sub"] == u.id and claims["iss"] == server.url
    assert ex["has_scope"](claims, "profile") and not ex["has_scope"](claims, "admin")

    # a client_credentials token: sub is the client
    c = server.add_client("billing", roles=["user"])
    tok = server.token_ok({"grant_type": "client_credentials"}, client=c)
    server.secrets.add(tok["access_token"])
    assert ex["verify"](tok["access_token"])["sub"] == c["client_id"]

    # a changed signature, claims or another server's token: refused
    h, p, s = lg.access_token.split(".")
    bad_sig = f"{h}.{p}.{s[:-4]}{'AAAA' if s[-4:] != 'AAAA' else 'BBBB'}"
    claims_other = dict(jwt_parts(lg.access_token)[1], sub="someone-else")
    forged = ".".join([h, base64.urlsafe_b64encode(json.dumps(claims_other).encode())
                       .decode().rstrip("="), s])
    other = make_server()
    foreign = other.login(other.add_user()).access_token
    for t in (bad_sig, forged, foreign, "not.a.token"):
        with pytest.raises(jwt.PyJWTError):
            ex["verify"](t)


def test_python_example_picks_up_a_rotated_key(server):
    ex = python_example(server.url)
    u = server.add_user()
    first = server.login(u)
    ex["verify"](first.access_token)
    server.cli_ok("keys", "rotate", "--now")     # signs at once, not after the delay
    deadline = time.time() + 5
    while True:                                  # the server reloads within ~0.5 s
        lg = server.login(u)
        if lg.header["kid"] != first.header["kid"] or time.time() > deadline:
            break
        time.sleep(0.1)
    assert lg.header["kid"] != first.header["kid"]
    assert ex["verify"](lg.access_token)["sub"] == u.id     # refetched for the new kid
    assert ex["verify"](first.access_token)["sub"] == u.id  # the old key is still published


def test_a_local_verifier_sees_a_logout_only_at_exp(server):
    """The page's table: tessera refuses a logged-out session's token at once; a local
    verifier (the Python example) accepts it until exp."""
    ex = python_example(server.url)
    lg = server.login(server.add_user())
    assert server.post("/v1/auth/logout", token=lg.access_token).status_code == 204
    assert server.profile(lg.access_token).status_code == 401
    original = {"X-Original-Method": "GET", "X-Original-URI": "/api"}
    assert server.get("/v1/auth/verify", token=lg.access_token,
                      headers=original).status_code == 401
    assert ex["verify"](lg.access_token)["jti"] == lg.claims["jti"]


def node_with_jose():
    node = shutil.which("node")
    if not node:
        return None
    r = subprocess.run([node, "-e", "require('jose')"], capture_output=True,
                       env=dict(os.environ, NODE_PATH=NODE_PATH), timeout=30)
    return node if r.returncode == 0 else None


@pytest.mark.skipif(not node_with_jose(), reason="node or Debian's node-jose missing")
def test_node_example_verifies_and_refuses(server, tmp_path):
    code = page_block("javascript")
    assert "const ISSUER = 'http://127.0.0.1:8080';" in code
    (tmp_path / "verify.js").write_text(code.replace("http://127.0.0.1:8080", server.url))
    (tmp_path / "run.js").write_text(
        "const { verify } = require('./verify.js');\n"
        "verify(process.argv[2]).then(p => console.log(JSON.stringify(p)),\n"
        "  e => { console.error(e.code || e.message); process.exit(1); });\n")
    u = server.add_user()
    lg = server.login(u)

    def run(token):
        return subprocess.run([node_with_jose(), "run.js", token], cwd=tmp_path,
                              capture_output=True, text=True, timeout=30,
                              env=dict(os.environ, NODE_PATH=NODE_PATH))
    r = run(lg.access_token)
    assert r.returncode == 0, r.stderr
    assert '"sub":"%s"' % u.id in r.stdout
    h, p, s = lg.access_token.split(".")
    r = run(f"{h}.{p}.{s[:-4]}{'AAAA' if s[-4:] != 'AAAA' else 'BBBB'}")
    assert r.returncode == 1 and "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in r.stderr, r.stderr
