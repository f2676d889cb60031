# SPDX-License-Identifier: Apache-2.0
"""The operator commands that share the admin API's core (docs/cli.md): `tessera
sessions list|show|revoke`, `tessera user list` filters, and the same data through
the CLI and /v1/admin."""
import json

import pytest

from admin_helpers import FAST, Admin
from harness.assertions import assert_bearer_401
from harness.cli import base_env, run_bin
from harness.waits import eventually_401

HELP = [["sessions", "--help"], ["sessions", "list", "--help"],
        ["sessions", "show", "--help"], ["sessions", "revoke", "--help"]]


def one_line_error(r):
    assert r.returncode != 0, f"exit 0; stdout {r.stdout!r}"
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("tessera:"), r.stderr
    return lines[0]


@pytest.fixture
def srv(make_server):
    # the role the tests give users: roles must be defined (docs/configuration.md)
    return make_server(FAST, **{"role.editor.scopes": "profile"})


@pytest.mark.parametrize("args", HELP, ids=[" ".join(a) for a in HELP])
def test_help(tmp_path, args):
    r = run_bin(*args, env=base_env(), timeout=20, cwd=tmp_path)
    assert r.returncode == 0 and "usage" in r.stdout.lower() and r.stderr == ""


def test_sessions_list_show_revoke(srv):
    u = srv.add_user()
    a, b = srv.login(u), srv.login(u)
    other = srv.login(srv.add_user())
    lines = srv.cli_ok("sessions", "list", "--user", u.email).stdout.splitlines()
    assert {line.split("\t")[0] for line in lines} == {a.sid, b.sid}
    assert all(line.split("\t")[1] == u.id for line in lines)
    everyone = srv.cli_ok("sessions", "list").stdout.splitlines()
    assert {a.sid, b.sid, other.sid} <= {line.split("\t")[0] for line in everyone}
    assert len(srv.cli_ok("sessions", "list", "--limit", "1").stdout.splitlines()) == 1
    shown = json.loads(srv.cli_ok("sessions", "show", a.sid).stdout)
    assert shown["id"] == a.sid and shown["active"] is True

    srv.cli_ok("sessions", "revoke", a.sid)
    assert_bearer_401(eventually_401(lambda: srv.profile(a.access_token)))
    assert srv.profile(b.access_token).status_code == 200
    assert json.loads(srv.cli_ok("sessions", "show", a.sid).stdout)["active"] is False
    r = srv.cli_ok("sessions", "revoke", "--user", u.username)
    assert r.stdout.strip() == "revoked 1 session"
    assert_bearer_401(eventually_401(lambda: srv.profile(b.access_token)))
    assert srv.profile(other.access_token).status_code == 200
    assert srv.cli_ok("sessions", "list", "--user", u.id).stdout == ""


@pytest.mark.parametrize("args,needle", [
    (["sessions", "revoke"], "session id"),
    (["sessions", "revoke", "x", "--user", "y"], "session id"),
    (["sessions", "revoke", "no-such-session"], "no-such-session"),
    (["sessions", "show", "no-such-session"], "no-such-session"),
    (["sessions", "list", "--user", "ghost@example.com"], "ghost@example.com"),
    (["sessions", "list", "--limit", "0"], "--limit"),
    (["sessions", "frobnicate"], "frobnicate"),
    (["user", "list", "--disabled", "--frob"], "--frob"),
    (["user", "show", "admin", "--role", "x"], "user list"),
])
def test_cli_errors_are_one_line(srv, args, needle):
    assert needle in one_line_error(srv.cli(*args))


def test_user_list_filters_match_the_api(srv):
    admin = Admin(srv)
    srv.add_user(email="pat@corp.example", roles=("user", "editor"))
    q = srv.add_user(email="pam@corp.example", roles=("user",))
    srv.add_user(email="bo@corp.example", roles=("editor",))
    srv.cli_ok("user", "disable", q.id)

    def cli_ids(*args):
        out = srv.cli_ok("user", "list", *args).stdout.splitlines()
        return {line.split("\t")[0] for line in out}

    def api_ids(**params):
        return {u["id"] for u in admin.walk("/users", "users", 2, **params)[0]}

    for args, params in ((["--email-prefix", "PA"], {"email_prefix": "PA"}),
                         (["--role", "editor"], {"role": "editor"}),
                         (["--disabled"], {"disabled": "true"}),
                         (["--enabled", "--role", "user"], {"disabled": "false",
                                                            "role": "user"}),
                         ([], {})):
        assert cli_ids(*args) == api_ids(**params), args
    assert cli_ids("--disabled") == {q.id}


def test_cli_and_api_show_the_same_user_and_keys(srv):
    admin = Admin(srv)
    u = srv.add_user(roles=("user",))
    shown = json.loads(srv.cli_ok("user", "show", u.id).stdout)
    assert shown == admin.ok(admin.get(f"/users/{u.id}"))
    cli_keys = [line.split("\t") for line in
                srv.cli_ok("keys", "list").stdout.splitlines()]
    api_keys = admin.ok(admin.get("/keys"))["keys"]
    assert [(k[0], k[1], k[3]) for k in cli_keys] == \
        [(k["kid"], k["alg"], k["state"]) for k in api_keys]


def test_keys_retire_refuses_the_last_signing_key(srv):
    kid = srv.cli_ok("keys", "list").stdout.split("\t")[0]
    assert "rotate" in one_line_error(srv.cli("keys", "retire", kid))
    new = srv.cli_ok("keys", "rotate", "--now").stdout.strip()
    srv.cli_ok("keys", "retire", kid)
    assert "already retired" in one_line_error(srv.cli("keys", "retire", kid))
    assert "rotate" in one_line_error(srv.cli("keys", "retire", new))
