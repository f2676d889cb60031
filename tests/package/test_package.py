# SPDX-License-Identifier: Apache-2.0
"""The Debian packages `make deb` built (tests/package/run.sh builds them first and
passes their directory as TESSERA_DEB_DIR): lintian, their contents, and the packaged
files at work, extracted into a temporary directory (nothing is installed):

- the packaged binary, with the packaged default configuration pointed at a temporary
  state directory, serves a login, and libtessera-dev's header, pkg-config file and
  libtessera0's shared library verify the token it issued;
- the systemd unit passes `systemd-analyze verify` and carries its hardening;
- tessera(1) has every option of every command's --help, tessera.conf(5) every key of
  src/core/config.c (as docs/configuration.md does), and both render without warnings;
- the bash completion completes commands, sub-commands, options and --set keys.
"""
import glob
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEB_DIR = os.environ.get("TESSERA_DEB_DIR", os.path.join(ROOT, "build-deb"))
MA = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], capture_output=True,
                    text=True, check=True).stdout.strip()
PACKAGES = ("tessera", "libtessera0", "libtessera-dev")


def deb(name):
    found = glob.glob(os.path.join(DEB_DIR, "%s_*.deb" % name))
    if not found:
        pytest.fail("no %s package in %s: run `make deb` (tests/package/run.sh does)"
                    % (name, DEB_DIR))
    return found[0]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The three packages extracted into one directory, as dpkg would lay them out."""
    root = tmp_path_factory.mktemp("pkgroot")
    for name in PACKAGES:
        subprocess.run(["dpkg-deb", "-x", deb(name), str(root)], check=True)
    return root


def contents(name):
    out = subprocess.run(["dpkg-deb", "-c", deb(name)], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[5].lstrip(".") for line in out.splitlines()}


def field(name, what):
    return subprocess.run(["dpkg-deb", "-f", deb(name), what], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_lintian_reports_no_error_or_warning():
    changes = glob.glob(os.path.join(DEB_DIR, "tessera_*.changes"))
    assert changes, "no .changes file in %s" % DEB_DIR
    p = subprocess.run(["lintian", "--fail-on", "error,warning", "--no-tag-display-limit",
                        changes[0]], capture_output=True, text=True, timeout=300)
    tags = [l for l in p.stdout.splitlines() if re.match(r"^[EW]: ", l)]
    assert p.returncode == 0 and not tags, p.stdout + p.stderr


def test_each_package_has_its_files():
    server = contents("tessera")
    for path in ("/usr/bin/tessera", "/etc/tessera/tessera.conf",
                 "/lib/systemd/system/tessera.service",
                 "/usr/share/man/man1/tessera.1.gz", "/usr/share/man/man5/tessera.conf.5.gz",
                 "/usr/share/bash-completion/completions/tessera",
                 "/usr/share/doc/tessera/copyright",
                 "/usr/share/doc/tessera/configuration.md.gz"):
        assert path in server, path
    lib = contents("libtessera0")
    assert "/usr/lib/%s/libtessera.so.0" % MA in lib
    assert any(re.fullmatch(r"/usr/lib/%s/libtessera\.so\.0\.\d+\.\d+" % MA, p) for p in lib)
    dev = contents("libtessera-dev")
    for path in ("/usr/include/tessera.h", "/usr/lib/%s/libtessera.a" % MA,
                 "/usr/lib/%s/libtessera.so" % MA, "/usr/lib/%s/pkgconfig/tessera.pc" % MA):
        assert path in dev, path
    assert "libtessera0 (= " in field("libtessera-dev", "Depends")
    assert "adduser" in field("tessera", "Depends")


def test_default_config_is_a_conffile(tmp_path):
    """An upgrade never overwrites the operator's edits of /etc/tessera/tessera.conf."""
    subprocess.run(["dpkg-deb", "-e", deb("tessera"), str(tmp_path / "DEBIAN")],
                   check=True)
    assert "/etc/tessera/tessera.conf" in (tmp_path / "DEBIAN/conffiles").read_text()


def test_copyright_is_apache_2(tree):
    for name in PACKAGES:
        text = (tree / "usr/share/doc" / name / "copyright").read_text()
        assert "License: Apache-2.0" in text
        assert "/usr/share/common-licenses/Apache-2.0" in text


def header_functions(text):
    """The functions a C header declares: every `tessera_name(` outside comments and
    preprocessor lines."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S).replace("\\\n", " ")
    text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    return set(re.findall(r"\b(tessera_[a-z0-9_]+)\s*\(", text))


def test_shared_library_has_a_soname_and_exports_exactly_the_api(tree):
    """lib/ is built with -fvisibility=hidden and tessera.h marks its calls
    TESSERA_API: the library exports those and nothing else, each at the version node
    of mk/libtessera.map."""
    so = tree / ("usr/lib/%s/libtessera.so.0" % MA)
    dyn = subprocess.run(["readelf", "-d", str(so)], capture_output=True, text=True,
                         check=True).stdout
    assert "Library soname: [libtessera.so.0]" in dyn
    syms = subprocess.run(["nm", "-D", "--defined-only", str(so)], capture_output=True,
                          text=True, check=True).stdout.split("\n")
    versioned = [l.split()[-1] for l in syms if l.strip()]
    versioned = [n for n in versioned if n.split("@")[0] != "LIBTESSERA_0"]
    names = {n.split("@")[0] for n in versioned}
    for n in versioned:
        assert n.endswith("@@LIBTESSERA_0"), n
    declared = header_functions((tree / "usr/include/tessera.h").read_text())
    assert "tessera_verifier_verify" in declared and "tessera_version" in declared
    assert not names - declared, "exported but not in tessera.h: %s" % sorted(names - declared)
    assert not declared - names, "in tessera.h but not exported: %s" % sorted(declared - names)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


OPERATOR_PW = "packaged-operator-pw-1"


@pytest.fixture(scope="module")
def packaged_server(tree, tmp_path_factory):
    """The packaged /usr/bin/tessera serving with the packaged default configuration,
    whose database path is moved from /var/lib/tessera to a temporary state dir; the
    first administrator made beforehand with `tessera user add`, as
    docs/operations.md tells (so the first start makes no admin of its own)."""
    work = tmp_path_factory.mktemp("state")
    conf = (tree / "etc/tessera/tessera.conf").read_text()
    assert re.search(r"^url = /var/lib/tessera/tessera\.db$", conf, re.M), conf
    conf = conf.replace("/var/lib/tessera/", str(work) + "/")
    (work / "tessera.conf").write_text(conf)
    env = {k: v for k, v in os.environ.items() if k != "TESSERA_BOOTSTRAP_PASSWORD"}
    subprocess.run([str(tree / "usr/bin/tessera"), "user", "add", "--config",
                    str(work / "tessera.conf"), "--email", "ops@example.com", "--username",
                    "ops", "--roles", "admin", "--password-stdin"],
                   input=OPERATOR_PW + "\n", capture_output=True, text=True, check=True,
                   env=env, cwd=str(work))
    port = free_port()
    log = open(work / "server.log", "w")
    p = subprocess.Popen([str(tree / "usr/bin/tessera"), "serve", "--config",
                          str(work / "tessera.conf"), "--listen", "127.0.0.1:%d" % port],
                         stdout=log, stderr=subprocess.STDOUT,
                         cwd=str(work), env=env)
    url = "http://127.0.0.1:%d" % port
    deadline = time.time() + 20
    while True:
        try:
            if http("GET", url + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if p.poll() is not None or time.time() > deadline:
            p.kill()
            pytest.fail("the packaged server did not start: " +
                        (work / "server.log").read_text())
        time.sleep(0.1)
    yield url, work
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    log.close()


def login(url, username="ops", password=OPERATOR_PW):
    status, body = http("POST", url + "/v1/auth/login",
                        {"username": username, "password": password})
    assert status == 200, body
    return json.loads(body)


def test_packaged_server_serves_a_login(packaged_server):
    url, work = packaged_server
    tokens = login(url)
    assert tokens["token_type"].lower() == "bearer" and tokens["refresh_token"]
    status, body = http("GET", url + "/v1/auth/profile",
                        headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert status == 200 and json.loads(body)["username"] == "ops"
    # the operator's user is the only one: the first start made no admin (whose
    # password would have gone to the journal)
    status, _ = http("POST", url + "/v1/auth/login",
                     {"username": "admin", "password": "anything-at-all"})
    assert status in (400, 401)
    # the database is where the packaged configuration put it, readable by its owner only
    db = work / "tessera.db"
    assert db.exists() and (db.stat().st_mode & 0o077) == 0


CHECK_TOKEN = r"""
#include <stdio.h>
#include <string.h>
#include <tessera.h>

int main(int argc, char **argv)
{
    tessera_verifier_options o;
    tessera_verifier *v;
    tessera_claims *c;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.jwks_url = argv[1];
    o.issuer = argv[2];
    tessera_status st = tessera_verifier_new(&o, &v);
    if (st != TESSERA_OK) {
        printf("new: %s\n", tessera_strerror(st));
        return 1;
    }
    st = tessera_verifier_verify(v, argv[3], strlen(argv[3]), &c);
    if (st != TESSERA_OK) {
        printf("verify: %s\n", tessera_strerror(st));
        return 1;
    }
    printf("sub=%s\n", tessera_claims_string(c, "sub") ? "yes" : "no");
    tessera_claims_free(c);
    tessera_verifier_free(v);
    return argc == 4 ? 0 : 2;
}
"""


def test_packaged_library_verifies_the_packaged_servers_token(tree, packaged_server,
                                                              tmp_path):
    """libtessera-dev's header and tessera.pc, linked against libtessera0's
    libtessera.so.0 (not the static library), check a token of the packaged server."""
    url, _ = packaged_server
    libdir = tree / "usr/lib" / MA
    pc = ["pkg-config", "--define-variable=libdir=%s" % libdir,
          "--define-variable=includedir=%s" % (tree / "usr/include")]
    env = dict(os.environ, PKG_CONFIG_PATH=str(libdir / "pkgconfig"))
    flags = subprocess.run(pc + ["--cflags", "--libs", "tessera"], capture_output=True,
                           text=True, env=env, check=True).stdout.split()
    src = tmp_path / "check_token.c"
    src.write_text(CHECK_TOKEN)
    exe = tmp_path / "check_token"
    subprocess.run(["cc", "-Wall", "-Werror", "-o", str(exe), str(src)] + flags,
                   check=True)
    run_env = dict(os.environ, LD_LIBRARY_PATH=str(libdir))
    ldd = subprocess.run(["ldd", str(exe)], capture_output=True, text=True,
                         env=run_env).stdout
    assert str(libdir / "libtessera.so.0") in ldd, ldd
    status, body = http("GET", url + "/.well-known/oauth-authorization-server")
    issuer = json.loads(body)["issuer"]
    token = login(url)["access_token"]
    p = subprocess.run([str(exe), url + "/.well-known/jwks.json", issuer, token],
                       capture_output=True, text=True, env=run_env, timeout=30)
    assert p.returncode == 0 and p.stdout.strip() == "sub=yes", p.stdout + p.stderr
    bad = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    p = subprocess.run([str(exe), url + "/.well-known/jwks.json", issuer, bad],
                       capture_output=True, text=True, env=run_env, timeout=30)
    assert p.returncode == 1 and p.stdout.startswith("verify:"), p.stdout


def test_packaged_operator_commands_read_the_default_config(tree):
    """Without --config the packaged binary reads /etc/tessera/tessera.conf (the
    service's database), never a ./tessera.db of the current directory."""
    exe = str(tree / "usr/bin/tessera")
    out = subprocess.run([exe, "user", "--help"], capture_output=True, text=True).stdout
    assert "/etc/tessera/tessera.conf" in out
    if os.path.exists("/etc/tessera/tessera.conf"):
        pytest.skip("tessera is installed on this machine")
    p = subprocess.run([exe, "user", "list"], capture_output=True, text=True,
                       cwd=str(tree))
    assert p.returncode != 0
    assert "cannot open config file /etc/tessera/tessera.conf" in p.stderr
    assert not (tree / "tessera.db").exists()


def unit(tree):
    return (tree / "lib/systemd/system/tessera.service").read_text()


def test_systemd_unit_verifies(tree, tmp_path):
    """systemd-analyze verify of the packaged unit, as it would be installed: under a
    --root holding this machine's units (the targets it names), the packaged unit and
    the packaged binary its ExecStart runs. verify exits 0 on unknown keys and bad
    values too, so any line about the unit fails the test."""
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing (the systemd package; make deps)")
    root = tmp_path / "root"
    shutil.copytree("/lib/systemd/system", root / "lib/systemd/system", symlinks=True)
    shutil.copy(tree / "lib/systemd/system/tessera.service", root / "lib/systemd/system")
    (root / "usr/bin").mkdir(parents=True)
    shutil.copy(tree / "usr/bin/tessera", root / "usr/bin/tessera")
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", "--root=%s" % root,
                        "/lib/systemd/system/tessera.service"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "tessera.service" not in p.stderr, p.stderr


def test_systemd_unit_is_hardened(tree):
    text = unit(tree)
    keys = dict(l.split("=", 1) for l in text.splitlines() if re.match(r"^\w+=", l))
    assert keys["User"] == "tessera" and keys["StateDirectory"] == "tessera"
    assert keys["ExecStart"] == "/usr/bin/tessera serve --config /etc/tessera/tessera.conf"
    for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                 ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("CapabilityBoundingSet", ""),
                 ("StateDirectoryMode", "0700")):
        assert keys.get(k) == v, k
    p = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--root=%s" % tree,
                        "/lib/systemd/system/tessera.service"], capture_output=True,
                       text=True, timeout=60)
    m = re.search(r"Overall exposure level for tessera\.service: ([0-9.]+)", p.stdout)
    assert m, p.stdout + p.stderr
    print("systemd-analyze security: exposure %s" % m.group(1))
    assert float(m.group(1)) <= 2.5, p.stdout


# --- man pages and completion against what they describe ------------------------------
def roff_text(path):
    raw = gzip.open(path, "rt").read()
    return raw.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "") \
              .replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")


def config_c_keys():
    src = open(os.path.join(ROOT, "src/core/config.c")).read()
    keys = re.findall(r'\b(?:STR|LNG|INT|BOOL)\("([a-z0-9_]+)", "([a-z0-9_]+)"', src)
    assert len(keys) > 30, "the key table of config.c was not found"
    return keys


def ini_keys(lines):
    """section.key pairs of an INI text: [section] headers and `key =` lines."""
    found, section = set(), None
    for line in lines:
        m = re.match(r"^\[([a-z0-9_.]+)\]", line)
        if m:
            section = m.group(1)
        m = re.match(r"^([a-z0-9_]+) =", line)
        if m and section:
            found.add((section, m.group(1)))
    return found


def test_every_config_key_is_in_tessera_conf_5_and_configuration_md(tree):
    md = open(os.path.join(ROOT, "docs/configuration.md")).read().splitlines()
    in_md = ini_keys(md)
    page, section, in_man = roff_text(tree / "usr/share/man/man5/tessera.conf.5.gz"), None, set()
    for line in page.splitlines():
        m = re.match(r'^\.SS "\[([a-z0-9_.]+)\]"', line)
        if m:
            section = m.group(1)
        m = re.match(r"^([a-z0-9_]+) = ", line)
        if m and section:
            in_man.add((section, m.group(1)))
    for key in config_c_keys():
        assert key in in_md, "%s.%s is not in docs/configuration.md" % key
        assert key in in_man, "%s.%s is not in tessera.conf(5)" % key


def help_options(exe, *cmd):
    out = subprocess.run([exe, *cmd, "--help"], capture_output=True, text=True,
                         check=True).stdout
    return out, set(re.findall(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)", out))


def test_every_command_and_option_of_help_is_in_tessera_1(tree):
    exe = str(tree / "usr/bin/tessera")
    page = roff_text(tree / "usr/share/man/man1/tessera.1.gz")
    top, _ = help_options(exe)
    commands = re.findall(r"^  ([a-z][a-z-]*) ", top.split("commands:")[1], re.M)
    assert "serve" in commands and "login" in commands
    for cmd in commands:
        assert '.SS "tessera %s"' % cmd in page, cmd
        section = page.split('.SS "tessera %s"' % cmd)[1].split(".SS ")[0]
        _, opts = help_options(exe, cmd)
        for opt in opts:
            assert re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), section), \
                "tessera %s %s is not in tessera(1)" % (cmd, opt)


def test_man_pages_render_without_warnings(tree):
    for page in ("man1/tessera.1.gz", "man5/tessera.conf.5.gz"):
        p = subprocess.run(["man", "--warnings", "-l", str(tree / "usr/share/man" / page)],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MAN_DISABLE_SECCOMP="1"))
        assert p.returncode == 0 and p.stderr == "", p.stderr
        assert len(p.stdout) > 2000


def complete(tree, words):
    """COMPREPLY of the packaged completion for the command line `words` (the last
    word is the one being completed)."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_tessera; printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "-c", script, "bash",
                        str(tree / "usr/share/bash-completion/completions/tessera"),
                        *words], capture_output=True, text=True, check=True)
    return set(p.stdout.split())


def test_bash_completion_completes_commands_and_options(tree):
    assert complete(tree, ["tessera", "us"]) == {"user"}
    assert {"serve", "login", "dev-certs"} <= complete(tree, ["tessera", ""])
    assert complete(tree, ["tessera", "serve", "--check"]) == {"--check-config"}
    assert {"add", "import", "set-password", "delete"} <= complete(tree, ["tessera", "user", ""])
    assert complete(tree, ["tessera", "db", ""]) == {"migrate"}
    assert "--password-stdin" in complete(tree, ["tessera", "login", "--pass"])
    assert complete(tree, ["tessera", "serve", "--set", "tokens.access"]) == \
        {"tokens.access_ttl="}
