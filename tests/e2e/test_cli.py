# SPDX-License-Identifier: Apache-2.0
"""The operator command line (docs/cli.md)."""
import json
import os
import re
import socket
import sqlite3
import time

import pytest

from harness.assertions import no_password_fields
from harness.cli import BOOTSTRAP_LINE, BOOTSTRAP_PASSWORD, base_env, run_bin
from harness.jose import b64url_encode, jwt_parts

HELP = [
    ["--help"],
    ["serve", "--help"],
    ["user", "--help"],
    ["user", "add", "--help"],
    ["user", "list", "--help"],
    ["user", "show", "--help"],
    ["user", "set-password", "--help"],
    ["user", "set-roles", "--help"],
    ["user", "disable", "--help"],
    ["user", "enable", "--help"],
    ["user", "delete", "--help"],
    ["keys", "--help"],
    ["keys", "list", "--help"],
    ["keys", "rotate", "--help"],
    ["keys", "retire", "--help"],
    ["db", "--help"],
    ["db", "migrate", "--help"],
]


def one_line_error(r):
    assert r.returncode != 0, f"exit 0; stdout {r.stdout!r}"
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].strip(), f"stderr is not one line: {r.stderr!r}"
    return lines[0]


@pytest.mark.parametrize("args", HELP, ids=[" ".join(a) for a in HELP])
def test_help(tmp_path, args):
    r = run_bin(*args, env=base_env(), timeout=20, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower(), r.stdout
    assert r.stderr == ""
    # help does nothing else: no database appeared in the working directory
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args", [["frobnicate"], ["user", "frobnicate"],
                                  ["keys", "frobnicate"], ["db", "frobnicate"],
                                  ["serve", "--frobnicate"]],
                         ids=["cmd", "user-sub", "keys-sub", "db-sub", "serve-opt"])
def test_unknown_command_fails_with_one_line(tmp_path, args):
    r = run_bin(*args, "--database", str(tmp_path / "t.db"), timeout=20)
    line = one_line_error(r)
    assert "frobnicate" in line
    assert not (tmp_path / "t.db").exists()


def test_user_add_prints_id_and_show(make_server):
    server = make_server({"role.editor.scopes": "profile"})
    u = server.add_user(email="henry@example.com", username="henry", name="Henry Show",
                        roles=("user", "editor"))
    for key in (u.id, "henry@example.com", "HENRY@example.com", "henry"):
        r = server.cli_ok("user", "show", key)
        shown = json.loads(r.stdout)
        assert shown["id"] == u.id, key
        assert shown["email"] == "henry@example.com"
        assert shown["username"] == "henry" and shown["name"] == "Henry Show"
        assert sorted(shown["roles"]) == ["editor", "user"]
        no_password_fields(shown)
        assert u.password not in r.stdout


def test_user_show_unknown_fails(server):
    line = one_line_error(server.cli("user", "show", "nobody@example.com"))
    assert "nobody@example.com" in line


def test_user_add_duplicate_email_fails_clearly(server):
    server.add_user(email="ivy@example.com", username="ivy")
    r = server.cli("user", "add", "--email", "IVY@example.com", "--username", "ivy2",
                   "--password-stdin", input="another-pw-123\n")
    line = one_line_error(r)
    assert any(w in line.lower() for w in ("exist", "already", "taken", "duplicate")), line
    users = server.cli_ok("user", "list").stdout
    assert "ivy2" not in users


def test_user_add_rejects_bad_input(server):
    for args, inp in ((["--email", "not-an-email"], "long-enough-pw\n"),
                      (["--email", "short@example.com"], "short\n"),
                      (["--username", "nomail"], "long-enough-pw\n"),
                      (["--email", "bad-role@example.com", "--roles", "a b!"],
                       "long-enough-pw\n"),
                      (["--email", "empty@example.com"], "\n")):
        r = server.cli("user", "add", *args, "--password-stdin", input=inp)
        one_line_error(r)
    out = server.cli_ok("user", "list").stdout
    assert "short@example.com" not in out and "empty@example.com" not in out


def test_user_add_without_password_stdin_fails(server):
    # docs/cli.md: the password is required, on stdin (--password-stdin)
    r = server.cli("user", "add", "--email", "jane@example.com")
    one_line_error(r)
    assert "jane@example.com" not in server.cli_ok("user", "list").stdout


def test_password_never_taken_from_argv(server):
    r = server.cli("user", "add", "--email", "k@example.com", "--password", "argv-pw-123")
    one_line_error(r)


def test_user_list(server):
    a = server.add_user(email="la@example.com", username="la", roles=("user",))
    b = server.add_user(email="lb@example.com", username="lb", roles=("admin", "user"))
    server.cli_ok("user", "disable", "lb")
    out = server.cli_ok("user", "list").stdout
    lines = {line.split()[0]: line for line in out.strip().splitlines()}
    assert a.id in lines and b.id in lines
    assert "la@example.com" in lines[a.id] and "la" in lines[a.id].split()
    assert "lb@example.com" in lines[b.id]
    assert "disabled" in lines[b.id] and "disabled" not in lines[a.id]
    assert json.loads(server.cli_ok("user", "show", "lb").stdout)["disabled"] is True
    assert json.loads(server.cli_ok("user", "show", "la").stdout)["disabled"] is False
    assert "admin" in lines[b.id]
    # the bootstrap admin is there too
    assert any("admin@localhost" in line for line in lines.values())
    assert a.password not in out and b.password not in out


def test_set_roles_shows_in_next_login(make_server):
    s = make_server({"role.editor.scopes": "profile edit",
                     "role.editor.default_scopes": "profile"})
    u = s.add_user(roles=("user",))
    before = s.login(u)
    assert before.claims["roles"] == ["user"]
    s.cli_ok("user", "set-roles", u.username, "user,editor")
    after = s.login(u, scope="edit")
    assert sorted(after.claims["roles"]) == ["editor", "user"]
    assert "edit" in after.claims["scope"].split()
    assert sorted(s.profile(after.access_token).json()["roles"]) == ["editor", "user"]
    assert sorted(json.loads(s.cli_ok("user", "show", u.id).stdout)["roles"]) == \
        ["editor", "user"]
    s.cli_ok("user", "set-roles", u.id, "")
    assert json.loads(s.cli_ok("user", "show", u.id).stdout)["roles"] == []


def test_set_password(server):
    u = server.add_user()
    new = "cli-new-" + u.password
    server.secrets.add(new)
    server.cli_ok("user", "set-password", u.email, "--password-stdin", input=new + "\n")
    assert server.login_raw(username=u.username, password=u.password).status_code == 401
    assert server.login_raw(username=u.username, password=new).status_code == 200
    # too short is refused and changes nothing
    one_line_error(server.cli("user", "set-password", u.email, "--password-stdin",
                              input="short\n"))
    assert server.login_raw(username=u.username, password=new).status_code == 200


def test_user_delete_unknown_fails(server):
    one_line_error(server.cli("user", "delete", "ghost@example.com"))


def test_check_config_good_file(tmp_path):
    cfg = tmp_path / "good.ini"
    cfg.write_text("[server]\nlisten = 127.0.0.1:0\naudience = api\n\n"
                   "[tokens]\naccess_ttl = 300\nrefresh_rotation = false\n\n"
                   "[role.athlete]\nscopes = profile read:skills\n"
                   "default_scopes = profile\n")
    r = run_bin("serve", "--check-config", "--config", cfg, "--database",
                tmp_path / "t.db", timeout=20)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("text,name", [
    ("[server]\nlisten = 127.0.0.1:0\nlisten_backlog = 5\n", "listen_backlog"),
    ("[tokens]\naccess_ttl = 300\n\n[tokenz]\naccess_ttl = 1\n", "tokenz"),
    ("[tokens]\nrefresh_rotaton = false\n", "refresh_rotaton"),
], ids=["unknown-key", "unknown-section", "typo"])
def test_check_config_bad_file_names_the_key(tmp_path, text, name):
    cfg = tmp_path / "bad.ini"
    cfg.write_text(text)
    r = run_bin("serve", "--check-config", "--config", cfg, "--database",
                tmp_path / "t.db", timeout=20)
    line = one_line_error(r)
    assert name in line, line
    assert r.returncode == 2


@pytest.mark.parametrize("setting", ["tokens.access_ttl=abc", "tokens.access_ttl=-5",
                                     "tokens.refresh_rotation=maybe",
                                     "tokens.algorithm=HS1"])
def test_check_config_bad_values(tmp_path, setting):
    r = run_bin("serve", "--check-config", "--set", setting, "--database", tmp_path / "t.db",
                timeout=20)
    line = one_line_error(r)
    assert setting.split("=")[0].split(".")[1] in line, line


def test_missing_config_file_fails(tmp_path):
    r = run_bin("serve", "--check-config", "--config", tmp_path / "nope.ini", timeout=20)
    assert "nope.ini" in one_line_error(r)


@pytest.mark.parametrize("args", [["serve", "--listen", "127.0.0.1:0"], ["user", "list"],
                                  ["db", "migrate"], ["keys", "list"]],
                         ids=["serve", "user-list", "db-migrate", "keys-list"])
def test_unusable_database_path_fails_with_one_line(tmp_path, args):
    r = run_bin(*args, "--database", tmp_path / "no" / "such" / "dir" / "t.db", timeout=20)
    line = one_line_error(r)
    assert "t.db" in line, line


def test_unknown_set_key_stops_serve(tmp_path):
    r = run_bin("serve", "--listen", "127.0.0.1:0", "--database", tmp_path / "t.db",
                "--set", "tokens.acess_ttl=5", timeout=20)
    line = one_line_error(r)
    assert r.returncode == 2 and "acess_ttl" in line


def test_env_overrides_file_and_flag_overrides_env(make_server, tmp_path):
    cfg = tmp_path / "c.ini"
    cfg.write_text("[tokens]\naccess_ttl = 100\n")
    s = make_server(env={"TESSERA_TOKENS_ACCESS_TTL": "200"}, args=["--config", str(cfg)])
    u = s.add_user()
    assert s.login(u).body["expires_in"] == 200
    s.stop()
    s.settings["tokens.access_ttl"] = 300
    s.start()
    assert s.login(u).body["expires_in"] == 300


def test_db_migrate_fresh_file(tmp_path):
    db = tmp_path / "fresh.db"
    r = run_bin("db", "migrate", "--database", db, timeout=20)
    assert r.returncode == 0, r.stderr
    assert db.exists()
    with sqlite3.connect(db) as c:
        tables = {row[0] for row in c.execute("select name from sqlite_master where type='table'")}
    assert tables, "no tables after migrate"
    # twice is harmless
    r2 = run_bin("db", "migrate", "--database", db, timeout=20)
    assert r2.returncode == 0, r2.stderr
    with sqlite3.connect(db) as c:
        tables2 = {row[0] for row in c.execute("select name from sqlite_master where type='table'")}
    assert tables2 == tables


def test_serve_on_migrated_database(make_server, tmp_path):
    s = make_server(start=False)
    r = run_bin("db", "migrate", "--database", s.db, timeout=20)
    assert r.returncode == 0, r.stderr
    s.start()
    assert s.login("admin", BOOTSTRAP_PASSWORD).body["user"]["roles"] == ["admin"]


def test_bootstrap_password_printed_once_when_not_given(make_server):
    s = make_server(env={"TESSERA_BOOTSTRAP_PASSWORD": None}, start=False)
    s.start()
    deadline = time.time() + 5
    pw = None
    while time.time() < deadline and pw is None:
        for line in list(s.stdout):
            m = BOOTSTRAP_LINE.match(line)
            if m:
                pw = m.group(1)
        time.sleep(0.02)
    assert pw, f"no password line on stdout: {s.stdout}"
    assert len(pw) >= 16
    s.secrets.add(pw)
    assert pw not in s.log_text()          # stdout only, never the log on stderr
    lg = s.login("admin", pw)
    assert lg.body["user"]["email"] == "admin@localhost"
    assert s.login_raw(username="admin", password=BOOTSTRAP_PASSWORD).status_code == 401
    n = len(s.stdout)
    s.restart()
    assert not any("created user admin" in line for line in s.stdout[n:])
    assert s.login_raw(username="admin", password=pw).status_code == 200


def test_keys_retire_unknown_kid_fails(server):
    line = one_line_error(server.cli("keys", "retire", "no-such-kid"))
    assert "no-such-kid" in line


def test_keys_rotate_unknown_alg_fails(server):
    one_line_error(server.cli("keys", "rotate", "--alg", "HS1024"))
    assert len(server.cli_ok("keys", "list").stdout.strip().splitlines()) == 1


def test_keys_list_matches_jwks(server):
    listing = server.cli_ok("keys", "list").stdout.strip().splitlines()
    kids = {k["kid"] for k in server.jwks()["keys"]}
    assert len(listing) == len(kids) == 1
    assert listing[0].split()[0] in kids
    assert "ES256" in listing[0]
    u = server.add_user()
    assert jwt_parts(server.login(u).access_token)[0]["kid"] == listing[0].split()[0]


def test_cli_works_while_server_runs(server):
    # operator commands and the server share the SQLite file (WAL)
    users = [server.add_user() for _ in range(3)]
    for u in users:
        server.login(u)
    out = server.cli_ok("user", "list").stdout
    assert all(u.id in out for u in users)


def test_cli_accepts_ids_that_start_with_a_dash(make_server):
    """Ids are base64url: about one in 64 starts with '-'. The CLI must still take such
    an id as USER (show, set-roles, disable, delete), not as an unknown option."""
    s = make_server(registration__enabled=True, passwords__argon2_memory_kib=1024,
                    passwords__argon2_iterations=1)
    dashed = None
    for i in range(1500):
        r = s.post("/v1/auth/register", {"email": f"d{i}@example.com",
                                         "password": "dash-pw-12345"})
        assert r.status_code == 201, r.text
        if r.json()["id"].startswith("-"):
            dashed = r.json()["id"]
            break
    if dashed is None:
        return                       # the server's ids never start with '-': nothing to do
    # One id in 64 of those starts with "--", which reads as an option: like any Unix
    # command, the CLI takes "--" before such an operand (docs/cli.md).
    arg = ["--", dashed] if dashed.startswith("--") else [dashed]
    assert json.loads(s.cli_ok("user", "show", *arg).stdout)["id"] == dashed
    s.cli_ok("user", "set-roles", *arg, "user,admin")
    s.cli_ok("user", "disable", *arg)
    s.cli_ok("user", "delete", *arg)
    assert s.cli("user", "show", *arg).returncode != 0


def ed25519_key_with_dashed_kid():
    """(kid, private JWK) of a new Ed25519 key whose RFC 7638 thumbprint, the kid
    tessera gives it, starts with '-' (one key in 64: drawn here, in microseconds)."""
    import hashlib
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    raw = serialization.Encoding.Raw
    while True:
        k = Ed25519PrivateKey.generate()
        x = b64url_encode(k.public_key().public_bytes(raw, serialization.PublicFormat.Raw))
        members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x},
                             separators=(",", ":"))
        kid = b64url_encode(hashlib.sha256(members.encode()).digest())
        if kid.startswith("-"):
            d = b64url_encode(k.private_bytes(raw, serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption()))
            return kid, {"kty": "OKP", "crv": "Ed25519", "x": x, "d": d, "kid": kid,
                         "alg": "EdDSA", "use": "sig"}


def test_keys_retire_accepts_kid_that_starts_with_a_dash(server):
    """A kid (RFC 7638 thumbprint, base64url) starts with '-' one time in 64. Such a
    key is stored as `keys rotate` stores one (published, not yet signing) rather than
    drawn by rotating up to a hundred times."""
    dashed, jwk = ed25519_key_with_dashed_kid()
    server.sql_exec("INSERT INTO signing_keys (kid, alg, private_jwk, created_at) "
                    "VALUES (?, 'EdDSA', ?, ?)", dashed, json.dumps(jwk), int(time.time()))
    line = next(x for x in server.cli_ok("keys", "list").stdout.splitlines() if dashed in x)
    assert "retired" not in line
    server.cli_ok("keys", "retire", *(["--", dashed] if dashed.startswith("--")
                                      else [dashed]))
    line = next(x for x in server.cli_ok("keys", "list").stdout.splitlines() if dashed in x)
    assert "retired" in line


def test_unknown_roles_are_refused_with_the_defined_ones(make_server):
    """A role no [role.NAME] defines would give its holder tokens with an empty scope:
    user add, user set-roles and client add refuse it, naming the roles that exist,
    and change nothing (the admin API: test_admin_users.py, test_admin_clients.py)."""
    s = make_server({"role.svc.scopes": "read:skills"})
    for args, inp in ((["user", "add", "--email", "nr@example.com", "--roles",
                        "user,nosuchrole", "--password-stdin"], "long-enough-pw\n"),
                      (["client", "add", "billing", "--roles", "nosuchrole"], None)):
        line = one_line_error(s.cli(*args, input=inp))
        assert "nosuchrole" in line and "admin, user, svc" in line, line
    assert "nr@example.com" not in s.cli_ok("user", "list").stdout
    assert "billing" not in s.cli_ok("client", "list").stdout
    u = s.add_user(email="ok-roles@example.com", roles=("user", "svc"))
    line = one_line_error(s.cli("user", "set-roles", u.id, "user,nosuchrole"))
    assert "nosuchrole" in line and "admin, user, svc" in line, line
    assert json.loads(s.cli_ok("user", "show", u.id).stdout)["roles"] == ["user", "svc"]


def test_registration_default_roles_must_be_defined(tmp_path):
    r = run_bin("serve", "--listen", "127.0.0.1:0", "--database", str(tmp_path / "t.db"),
                "--set", "registration.default_roles=user,member", env=base_env(),
                timeout=20)
    line = one_line_error(r)
    assert "registration.default_roles" in line and "member" in line, line


def test_version(tmp_path):
    r = run_bin("--version", env=base_env(), timeout=20, cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "", r
    assert re.fullmatch(r"tessera \d+\.\d+\.\d+\S*\n", r.stdout), r.stdout
    version = r.stdout.split()[1]
    # one version: the VERSION file the build read
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "VERSION"), encoding="utf-8") as f:
        assert f.read().strip() == version
    assert os.listdir(tmp_path) == []
    assert one_line_error(run_bin("--version", "extra", env=base_env(), timeout=20))
    assert run_bin("--version", "extra", env=base_env(), timeout=20).returncode == 2


USAGE_ERRORS = [
    ["user", "add"],                                        # --email is required
    ["user", "add", "--email", "u@example.com"],            # the password: --password-stdin
    ["user", "show"], ["user", "delete"], ["user", "disable"],
    ["user", "set-password", "someone"],                    # without --password-stdin
    ["user", "set-roles", "someone"],                       # no roles
    ["user", "import"], ["user", "import", "a.jsonl", "b.jsonl"],
    ["client", "add"], ["client", "show"], ["client", "rotate-secret"],
    ["client", "delete"],
    ["sessions", "show"], ["keys", "retire"],
    ["user", "list", "--database"],                         # an option without its value
    ["login", "--server", "http://127.0.0.1:9", "--password-stdin"],   # no --username
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=[" ".join(a) for a in USAGE_ERRORS])
def test_usage_errors_exit_2_before_touching_the_database(tmp_path, args):
    """docs/cli.md: exit 2 means the command line itself was wrong, whatever is
    missing; the database is not even created."""
    db = tmp_path / "t.db"
    extra = [] if args[-1] == "--database" or args[0] == "login" else ["--database", db]
    r = run_bin(*args, *extra, input="", env=base_env({"HOME": str(tmp_path)}),
                timeout=20, cwd=tmp_path)
    line = one_line_error(r)
    assert r.returncode == 2, (r.returncode, line)
    assert not db.exists()


def _busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


def test_busy_port_names_the_setting_and_creates_no_admin(make_server):
    """A start that cannot listen says how to choose another address, and does not
    create the first administrator (whose password it would print for nothing)."""
    sock, port = _busy_port()
    try:
        s = make_server(env={"TESSERA_BOOTSTRAP_PASSWORD": None}, start=False)
        r = run_bin("serve", "--listen", f"127.0.0.1:{port}", "--database", s.db,
                    *s.set_args(), env=base_env({"TESSERA_BOOTSTRAP_PASSWORD": None}),
                    timeout=20)
    finally:
        sock.close()
    assert r.returncode == 1
    line = one_line_error(r)
    assert f"127.0.0.1:{port}" in line and "in use" in line, line
    assert "--listen" in line and "TESSERA_SERVER_LISTEN" in line, line
    assert "created user admin" not in r.stdout, r.stdout
    assert s.sql("SELECT count(*) FROM users") == [(0,)]
    # the next start, on a free port, creates it
    s.start()
    assert wait_for_line(s.stdout, BOOTSTRAP_LINE), s.stdout


def wait_for_line(lines, regex, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(regex.match(line) for line in list(lines)):
            return True
        time.sleep(0.02)
    return False


def test_start_line_names_version_and_issuer(make_server):
    """The issuer follows the listen address unless server.issuer is set: the start
    says which one tokens carry, and the version."""
    version = run_bin("--version", timeout=20).stdout.split()[1]
    s = make_server()
    want = f"tessera: version {version}; tokens carry issuer {s.url} (the listen address"
    assert any(line.startswith(want) for line in s.log), s.log[:5]
    assert s.login("admin", BOOTSTRAP_PASSWORD).claims["iss"] == s.url
    t = make_server({"server.issuer": "https://auth.example.com"})
    assert "tessera: version %s; tokens carry issuer https://auth.example.com" % version \
        in t.log, t.log[:5]
