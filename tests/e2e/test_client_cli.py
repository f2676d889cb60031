# SPDX-License-Identifier: Apache-2.0
"""`tessera client ...` (docs/oauth2.md): registering and managing OAuth 2 clients, and
what each command does to the running server."""
import base64
import hashlib
import json
import os
import re
import secrets

import pytest

from harness.assertions import assert_bearer_401, assert_oauth_error
from harness.cli import base_env, run_bin
from harness.jose import jwt_parts
from harness.waits import eventually, eventually_401

SETTINGS = {
    "role.user.scopes": "profile read:skills",
    "role.user.default_scopes": "profile",
    "role.svc.scopes": "read:skills write:skills",
    "role.svc.default_scopes": "read:skills",
}
CC = {"grant_type": "client_credentials"}
B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
SUBCOMMANDS = ["add", "list", "show", "rotate-secret", "disable", "enable", "delete"]
HELP = [["client", "--help"]] + [["client", sub, "--help"] for sub in SUBCOMMANDS]


def tag():
    return secrets.token_hex(4)


def as_set(v):
    """A list, or a space/comma-separated string, as a set."""
    if v is None:
        return set()
    if isinstance(v, str):
        return set(v.replace(",", " ").split())
    return set(v)


def one_line_error(r):
    assert r.returncode != 0, f"exit 0; stdout {r.stdout!r}"
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].strip(), f"stderr is not one line: {r.stderr!r}"
    assert lines[0].startswith("tessera:"), lines[0]
    return lines[0]


def show(srv, cid):
    r = srv.cli_ok("client", "show", cid)
    return json.loads(r.stdout)


def list_lines(srv):
    return [ln for ln in srv.cli_ok("client", "list").stdout.splitlines() if ln.strip()]


def line_of(srv, cid):
    found = [ln for ln in list_lines(srv) if cid in ln.split()]
    assert len(found) == 1, f"{cid} in client list: {found}"
    return found[0]


def secret_hashes(secret):
    d = hashlib.sha256(secret.encode()).digest()
    return {d.hex(), base64.urlsafe_b64encode(d).rstrip(b"=").decode(),
            base64.b64encode(d).decode(), base64.b64encode(d).rstrip(b"=").decode()}


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


def password_form(u):
    return {"grant_type": "password", "username": u.username, "password": u.password}


# --- help -----------------------------------------------------------------------------

@pytest.mark.parametrize("args", HELP, ids=[" ".join(a) for a in HELP])
def test_help(tmp_path, args):
    r = run_bin(*args, env=base_env(), timeout=20, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower(), r.stdout
    assert r.stderr == ""
    assert os.listdir(tmp_path) == []                 # help opened no database


def test_top_level_help_mentions_client(tmp_path):
    r = run_bin("--help", env=base_env(), timeout=20, cwd=tmp_path)
    assert r.returncode == 0 and "client" in r.stdout


def test_add_help_lists_the_options(tmp_path):
    r = run_bin("client", "add", "--help", env=base_env(), timeout=20, cwd=tmp_path)
    for opt in ("--id", "--grants", "--scopes", "--roles", "--auth-method", "--public",
                "--access-ttl", "--refresh-ttl", "--idle-ttl", "--rotation", "--disabled"):
        assert opt in r.stdout, opt


# --- add / show / list ----------------------------------------------------------------

def test_add_defaults_confidential(srv):
    r = srv.cli_ok("client", "add", "Reporting job")
    c = json.loads(r.stdout)
    srv.secrets.add(c["client_secret"])
    assert c["name"] == "Reporting job"
    assert len(c["client_id"]) == 22 and B64URL.match(c["client_id"]), c["client_id"]
    assert len(c["client_secret"]) == 43 and B64URL.match(c["client_secret"])
    assert c["token_endpoint_auth_method"] == "client_secret_basic"
    assert c["token_endpoint_auth_methods"] == ["client_secret_basic",
                                                "client_secret_post"]
    assert as_set(c["grant_types"]) == {"client_credentials"}
    assert not c.get("public")
    assert not c.get("disabled")
    s = show(srv, c["client_id"])
    assert s["client_id"] == c["client_id"] and s["name"] == "Reporting job"
    assert as_set(s["grant_types"]) == {"client_credentials"}
    assert s["token_endpoint_auth_method"] == "client_secret_basic"
    # two clients get different ids and secrets
    c2 = srv.add_client("Reporting job")
    assert c2["client_id"] != c["client_id"]
    assert c2["client_secret"] != c["client_secret"]


def test_add_defaults_public(srv):
    c = srv.add_client("Single page app", public=True)
    assert not c.get("client_secret")
    assert c["token_endpoint_auth_method"] == "none"
    assert c["public"] is True
    assert as_set(c["grant_types"]) == {"password", "refresh_token"}
    s = show(srv, c["client_id"])
    assert s["public"] is True and s["token_endpoint_auth_method"] == "none"


def test_add_every_option_and_show(srv):
    cid = f"svc:{tag()}%+/x"
    c = srv.add_client("Everything", id=cid,
                       grants=["client_credentials", "password", "refresh_token"],
                       scopes=["read:skills", "profile"], roles=["svc", "user"],
                       auth_method="client_secret_post", access_ttl=120,
                       refresh_ttl=3600, idle_ttl=600, rotation="off", disabled=True)
    assert c["client_id"] == cid
    s = show(srv, cid)
    for d in (c, s):
        assert d["client_id"] == cid and d["name"] == "Everything"
        assert as_set(d["grant_types"]) == {"client_credentials", "password",
                                            "refresh_token"}
        assert as_set(d["scopes"]) == {"read:skills", "profile"}
        assert as_set(d["roles"]) == {"svc", "user"}
        assert d["token_endpoint_auth_method"] == "client_secret_post"
        assert d["access_ttl"] == 120
        assert d["refresh_ttl"] == 3600
        assert d["refresh_idle_ttl"] == 600
        assert d["refresh_rotation"] in ("off", False)
        assert d["disabled"] is True
        assert not d.get("public")
    line = line_of(srv, cid)
    assert "disabled" in line


def test_auth_method_pins_or_lists(srv):
    """--auth-method with one method pins the client to it; the two secret methods
    together (in any order) are the default; other lists are refused."""
    basic = srv.add_client("Pinned " + tag(), roles=["svc"],
                           auth_method="client_secret_basic")
    assert basic["token_endpoint_auth_methods"] == ["client_secret_basic"]
    assert srv.token_ok(CC, basic, auth="client_secret_basic")
    assert_oauth_error(srv.token_request(CC, basic, auth="client_secret_post"), 401,
                       "invalid_client", basic=False)
    both = srv.add_client("Both " + tag(), roles=["svc"],
                          auth_method="client_secret_post,client_secret_basic")
    assert both["token_endpoint_auth_method"] == "client_secret_basic"
    assert show(srv, both["client_id"])["token_endpoint_auth_methods"] == \
        ["client_secret_basic", "client_secret_post"]
    for auth in ("client_secret_basic", "client_secret_post"):
        assert srv.token_ok(CC, both, auth=auth)
    for bad in ("none,client_secret_basic", "client_secret_post tls_client_auth",
                "private_key_jwt", ""):
        line = one_line_error(srv.cli("client", "add", "Bad " + tag(),
                                      "--auth-method", bad))
        assert "auth method" in line, line


def test_upgrade_old_default_accepts_both(make_server):
    """Migration 0004: a client created as client_secret_basic before it (the old
    default) accepts both methods after it; a client_secret_post one stays pinned."""
    srv = make_server(SETTINGS)
    old = srv.add_client("Old default " + tag(), roles=["svc"])
    post = srv.add_client("Old post " + tag(), roles=["svc"],
                          auth_method="client_secret_post")
    srv.stop()
    # the database as the previous version (schema 3) left it
    for stmt in ("DROP TABLE auth_codes", "DROP TABLE browser_sessions",
                 *(f"ALTER TABLE clients DROP COLUMN {c}" for c in (
                     "redirect_uris", "post_logout_redirect_uris", "first_party",
                     "backchannel_logout_uri", "id_token_alg")),
                 "ALTER TABLE clients DROP COLUMN auth_method_pinned",
                 "ALTER TABLE clients DROP COLUMN audiences",
                 "ALTER TABLE sessions DROP COLUMN audience",
                 "DELETE FROM schema_migrations WHERE version > 3"):
        srv.sql_exec(stmt)
    r = srv.cli_ok("db", "migrate")        # the first command to open the database
    assert "applied 3 migration(s)" in r.stdout, r.stdout
    assert show(srv, old["client_id"])["token_endpoint_auth_methods"] == \
        ["client_secret_basic", "client_secret_post"]
    assert show(srv, post["client_id"])["token_endpoint_auth_methods"] == \
        ["client_secret_post"]
    srv.start()
    for auth in ("client_secret_basic", "client_secret_post"):
        srv.token_ok(CC, old, auth=auth)
    assert_oauth_error(srv.token_request(CC, post, auth="client_secret_basic"), 401,
                       "invalid_client", basic=True)


def test_show_and_list_never_show_the_secret(srv):
    c = srv.add_client("Secretive", roles=["svc"])
    r = srv.cli_ok("client", "show", c["client_id"])
    lst = srv.cli_ok("client", "list")
    needles = {c["client_secret"]} | secret_hashes(c["client_secret"])
    for out in (r.stdout + r.stderr, lst.stdout + lst.stderr):
        for n in needles:
            assert n not in out
    s = json.loads(r.stdout)
    for k in s:
        assert "secret" not in k.lower() and "hash" not in k.lower(), k
    # the database holds no plain secret either
    assert c["client_secret"].encode() not in srv.db_bytes()


def test_list(srv):
    a = srv.add_client("List A " + tag(), roles=["svc"])
    b = srv.add_client("ListB" + tag(), public=True, disabled=True)
    p = srv.add_client("ListP" + tag(), grants=["password"],
                       auth_method="client_secret_post")
    la = line_of(srv, a["client_id"])
    assert a["name"] in la and "client_credentials" in la
    assert "client_secret_basic" in la and "active" in la and "disabled" not in la
    lb = line_of(srv, b["client_id"])
    assert b["name"] in lb and "password" in lb and "refresh_token" in lb
    assert "none" in lb and "disabled" in lb
    lp = line_of(srv, p["client_id"])
    assert "client_secret_post" in lp and "password" in lp


def test_ids_with_special_characters_and_leading_dash(srv):
    for cid in (f"-dash-{tag()}", f"a:b%20c+d/{tag()}", "x" * 128):
        c = srv.add_client("Odd id", id=cid, roles=["svc"])
        assert c["client_id"] == cid
        assert show(srv, cid)["client_id"] == cid
        srv.token_ok(CC, c)
        srv.cli_ok("client", "disable", cid)
        srv.cli_ok("client", "enable", cid)
        r = srv.cli_ok("client", "rotate-secret", cid)
        srv.secrets.add(json.loads(r.stdout)["client_secret"])
        srv.cli_ok("client", "delete", cid)
        one_line_error(srv.cli("client", "show", cid))


# --- rotate-secret, disable, enable, delete -------------------------------------------

# A running server sees changes the operator CLI makes to a client within its client
# cache's lifetime (1 s, docs/oauth2.md) and revocations within its sync interval
# (docs/security.md): the tests below repeat a request until it answers.
CLI_CHANGE_SECONDS = 3.0


def test_rotate_secret(srv):
    c = srv.add_client("Rotating", roles=["svc"])
    srv.token_ok(CC, c)
    r = srv.cli_ok("client", "rotate-secret", c["client_id"])
    n = json.loads(r.stdout)
    srv.secrets.add(n["client_secret"])
    assert set(n) == {"client_id", "client_secret"}
    assert n["client_id"] == c["client_id"]
    assert len(n["client_secret"]) == 43 and n["client_secret"] != c["client_secret"]
    r = eventually(lambda: srv.token_request(CC, c), 401, CLI_CHANGE_SECONDS)
    assert_oauth_error(r, 401, "invalid_client", basic=True)
    new = dict(c, client_secret=n["client_secret"])
    b = srv.token_ok(CC, new)
    assert jwt_parts(b["access_token"])[1]["sub"] == c["client_id"]
    # show still has no secret
    out = srv.cli_ok("client", "show", c["client_id"]).stdout
    for sec in (n["client_secret"], c["client_secret"]):
        assert sec not in out
        for h in secret_hashes(sec):
            assert h not in out


def test_disable_and_enable(srv):
    c = srv.add_client("Toggle", grants=["password", "refresh_token"])
    u = srv.add_user()
    b = srv.token_ok(password_form(u), c)
    srv.cli_ok("client", "disable", c["client_id"])
    assert show(srv, c["client_id"])["disabled"] is True
    assert "disabled" in line_of(srv, c["client_id"])
    assert_oauth_error(eventually(lambda: srv.token_request(password_form(u), c), 401,
                                  CLI_CHANGE_SECONDS),
                       401, "invalid_client", basic=True)
    r = srv.token_request({"grant_type": "refresh_token",
                           "refresh_token": b["refresh_token"]}, c)
    assert_oauth_error(r, 401, "invalid_client", basic=True)
    # disabling revokes nothing
    assert srv.profile(b["access_token"]).status_code == 200
    srv.cli_ok("client", "enable", c["client_id"])
    assert show(srv, c["client_id"])["disabled"] is False
    line = line_of(srv, c["client_id"])
    assert "active" in line and "disabled" not in line
    r = eventually(lambda: srv.token_request({"grant_type": "refresh_token",
                                              "refresh_token": b["refresh_token"]}, c), 200,
                   CLI_CHANGE_SECONDS)
    assert r.status_code == 200, r.text
    srv.token_ok(password_form(u), c)


def test_delete_revokes_the_clients_sessions(srv):
    c = srv.add_client("Doomed", grants=["password", "refresh_token"])
    keep = srv.add_client("Kept", grants=["password", "refresh_token"])
    u = srv.add_user()
    b1 = srv.token_ok(password_form(u), c)
    b2 = srv.token_ok(password_form(u), c)
    kb = srv.token_ok(password_form(u), keep)
    native = srv.login(u)
    srv.cli_ok("client", "delete", c["client_id"])
    one_line_error(srv.cli("client", "show", c["client_id"]))
    assert c["client_id"] not in srv.cli_ok("client", "list").stdout
    for b in (b1, b2):
        assert_bearer_401(eventually_401(lambda: srv.profile(b["access_token"])))
        r = srv.token_request({"grant_type": "refresh_token",
                               "refresh_token": b["refresh_token"]}, keep)
        assert_oauth_error(r, 400, "invalid_grant")
    assert_oauth_error(eventually(lambda: srv.token_request(password_form(u), c), 401,
                                  CLI_CHANGE_SECONDS),
                       401, "invalid_client", basic=True)
    # other clients' sessions and native sessions go on
    assert srv.profile(kb["access_token"]).status_code == 200
    assert srv.profile(native.access_token).status_code == 200
    srv.token_ok({"grant_type": "refresh_token", "refresh_token": kb["refresh_token"]},
                 keep)


# --- bad command lines ----------------------------------------------------------------

BAD = [
    ["client", "add"],
    ["client", "add", "x", "--grants", "authorization_code"],
    ["client", "add", "x", "--grants", "bogus"],
    ["client", "add", "x", "--auth-method", "private_key_jwt"],
    ["client", "add", "x", "--auth-method", "bogus"],
    ["client", "add", "x", "--rotation", "maybe"],
    ["client", "add", "x", "--access-ttl", "-5"],
    ["client", "add", "x", "--access-ttl", "abc"],
    ["client", "add", "x", "--refresh-ttl", "1.5"],
    ["client", "add", "x", "--idle-ttl", "99999999999999999999999"],
    ["client", "add", "x", "--id", "has space"],
    ["client", "add", "x", "--id", ""],
    ["client", "add", "x", "--id", "x" * 129],
    ["client", "add", "x", "--id", "caf\u00e9"],
    ["client", "add", "x", "--id", "tab\there"],
    ["client", "add", "x", "--id"],
    ["client", "add", "x", "--frobnicate"],
    ["client", "frobnicate"],
    ["client"],
    ["client", "show"],
    ["client", "show", "no-such-client"],
    ["client", "rotate-secret", "no-such-client"],
    ["client", "disable", "no-such-client"],
    ["client", "enable", "no-such-client"],
    ["client", "delete", "no-such-client"],
]


@pytest.mark.parametrize("args", BAD, ids=[" ".join(a)[:60] for a in BAD])
def test_bad_command_line_fails_with_one_line(srv, args):
    before = list_lines(srv)
    r = srv.cli(*args)
    one_line_error(r)
    assert list_lines(srv) == before                   # nothing was added


def test_duplicate_id_fails(srv):
    cid = "dup-" + tag()
    c = srv.add_client("first", id=cid)
    r = srv.cli("client", "add", "second", "--id", cid)
    line = one_line_error(r)
    assert cid in line or "exist" in line.lower()
    assert show(srv, cid)["name"] == "first"
    assert c["client_secret"]


def test_public_client_with_a_secret_method_is_refused(srv):
    before = list_lines(srv)
    one_line_error(srv.cli("client", "add", "x", "--public", "--auth-method",
                           "client_secret_basic"))
    assert list_lines(srv) == before
