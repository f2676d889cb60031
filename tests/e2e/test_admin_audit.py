# SPDX-License-Identifier: Apache-2.0
"""/v1/admin/audit (docs/api.md "Admin API"): the audit trail by time range, user and
event type, newest first and paged; every admin change is in it with who made it
(the admin's sub, or the command line), and no password, secret or token anywhere in
it or in the server log."""
import json
import time
from datetime import datetime, timezone

import pytest

from admin_helpers import FAST, Admin
from harness.assertions import assert_error
from harness.leaks import find_leaks

EVENT_KEYS = {"id", "at", "event", "user_id", "client_id", "ip", "detail"}

# Every admin event the API makes, and the CLI's import.
API_EVENTS = {
    "admin.user.create", "admin.user.update", "admin.user.roles", "admin.user.disable",
    "admin.user.enable", "admin.user.password", "admin.user.delete",
    "admin.client.create", "admin.client.update", "admin.client.disable",
    "admin.client.enable", "admin.client.rotate_secret", "admin.client.delete",
    "admin.session.revoke", "admin.key.rotate", "admin.key.retire",
}


@pytest.fixture
def srv(make_server):
    # the role the tests give users: roles must be defined (docs/configuration.md)
    return make_server(FAST, **{"role.editor.scopes": "profile"})


def every_admin_change(srv, admin):
    """Makes each admin event once through the API; returns the secrets it used."""
    secrets = {admin.token}
    u = admin.create_user(email="audited@example.com", password="audit-pw-1234567",
                          roles=["user"])
    secrets.add("audit-pw-1234567")
    lg = srv.login(email="audited@example.com", password="audit-pw-1234567")
    secrets |= {lg.access_token, lg.refresh_token}
    admin.ok(admin.patch(f"/users/{u['id']}", {"name": "Audited", "roles": ["user",
                                                                             "editor"]}))
    admin.ok(admin.delete(f"/sessions/{lg.sid}"), 204)
    admin.ok(admin.patch(f"/users/{u['id']}", {"password": "audit-pw-2345678"}))
    secrets.add("audit-pw-2345678")
    srv.secrets.add("audit-pw-2345678")
    admin.ok(admin.patch(f"/users/{u['id']}", {"disabled": True}))
    admin.ok(admin.patch(f"/users/{u['id']}", {"disabled": False}))
    c = admin.create_client(name="audited-client")
    secrets.add(c["client_secret"])
    admin.ok(admin.patch(f"/clients/{c['client_id']}", {"name": "renamed"}))
    admin.ok(admin.patch(f"/clients/{c['client_id']}", {"disabled": True}))
    admin.ok(admin.patch(f"/clients/{c['client_id']}", {"disabled": False}))
    rot = admin.ok(admin.post(f"/clients/{c['client_id']}/secret"))
    secrets.add(rot["client_secret"])
    srv.secrets.add(rot["client_secret"])
    admin.ok(admin.delete(f"/clients/{c['client_id']}"), 204)
    old = admin.ok(admin.get("/keys"))["keys"][0]["kid"]
    new = admin.ok(admin.post("/keys/rotate", {"now": True}), 201)["kid"]
    # the admin's token is signed by the old key: take one from the new key first
    admin.__init__(srv)
    secrets.add(admin.token)
    admin.ok(admin.post(f"/keys/{old}/retire"))
    admin.ok(admin.delete(f"/users/{u['id']}"), 204)
    return u, c, (old, new), secrets


def test_every_admin_event_is_recorded_with_its_actor_and_no_secret(srv):
    admin = Admin(srv)
    me = srv.profile(admin.token).json()["id"]
    u, c, (old, new), secrets = every_admin_change(srv, admin)
    evs = admin.wait_events(lambda e: API_EVENTS <= {x["event"] for x in e},
                            event="admin.*")
    names = {e["event"] for e in evs}
    assert API_EVENTS <= names, API_EVENTS - names
    for e in evs:
        assert set(e) == EVENT_KEYS, e
        assert e["detail"]["via"] == "api" and e["detail"]["actor"] == me, e
        assert e["detail"]["actor_type"] == "user" and e["ip"] == "127.0.0.1"
        assert datetime.strptime(e["at"], "%Y-%m-%dT%H:%M:%SZ")
    by = {e["event"]: e for e in evs}
    for name in ("admin.user.create", "admin.user.update", "admin.user.roles",
                 "admin.user.password", "admin.user.disable", "admin.user.delete",
                 "admin.session.revoke"):
        assert by[name]["user_id"] == u["id"], name
    for name in ("admin.client.create", "admin.client.update", "admin.client.disable",
                 "admin.client.enable", "admin.client.rotate_secret",
                 "admin.client.delete"):
        assert by[name]["client_id"] == c["client_id"], name
    assert by["admin.user.update"]["detail"]["fields"] == ["name"]
    assert by["admin.user.roles"]["detail"]["roles"] == ["user", "editor"]
    assert by["admin.client.update"]["detail"]["fields"] == ["name"]
    assert by["admin.key.rotate"]["detail"]["kid"] == new
    assert by["admin.key.retire"]["detail"]["kid"] == old
    assert by["admin.session.revoke"]["detail"]["session_id"]
    # no password, secret or token in any answer of the audit API ...
    everything = json.dumps(admin.audit())
    for s in secrets:
        assert s not in everything
    assert "$argon2" not in everything and "hash" not in everything
    for e in evs:
        assert not {"password", "secret", "client_secret", "token"} & set(e["detail"])
    # ... nor in the server log (the harness checks it again after the test)
    assert secrets <= srv.secrets
    assert find_leaks([srv], secrets) == []
    # the log has the events too
    logged = {x.get("audit") for x in srv.json_log() if x.get("event") == "audit"}
    assert API_EVENTS <= logged


def test_cli_changes_are_recorded_as_the_command_line(srv):
    admin = Admin(srv)
    u = srv.add_user()
    srv.cli_ok("user", "set-roles", u.id, "user,editor")
    srv.cli_ok("user", "disable", u.id)
    c = srv.add_client("cli-client")
    srv.cli_ok("client", "rotate-secret", c["client_id"])
    srv.cli_ok("keys", "rotate")
    srv.cli_ok("sessions", "revoke", "--user", u.id)
    want = {"admin.user.create", "admin.user.roles", "admin.user.disable",
            "admin.client.create", "admin.client.rotate_secret", "admin.key.rotate",
            "admin.session.revoke"}
    evs = admin.wait_events(lambda e: want <= {x["event"] for x in e}, event="admin.*")
    assert want <= {e["event"] for e in evs}
    for e in evs:
        assert e["detail"]["via"] == "cli" and "actor" not in e["detail"], e
        assert e["ip"] is None
    assert [e["detail"] for e in evs if e["event"] == "admin.session.revoke"] == \
        [{"via": "cli", "all": True, "count": 0}]


def test_filters_and_pages(srv):
    admin = Admin(srv)
    users = [srv.add_user() for _ in range(3)]
    for u in users:
        for _ in range(2):
            srv.login(u)
        srv.login_raw(username=u.username, password="wrong-password-1")
    t_mid = time.time()
    time.sleep(1.1)
    late = srv.add_user()
    srv.login(late)
    evs = admin.wait_events(lambda e: any(x["user_id"] == late.id for x in e),
                            event="login.success")

    # one user's events: 2 successes and 1 failure
    mine = admin.audit(user_id=users[0].id)
    assert sorted(e["event"] for e in mine if e["event"].startswith("login")) == \
        ["login.failure", "login.success", "login.success"]
    assert all(e["user_id"] == users[0].id for e in mine)
    # event type, exact and by prefix
    assert {e["event"] for e in admin.audit(event="login.failure")} == {"login.failure"}
    assert {e["event"] for e in admin.audit(event="login.*")} == {"login.success",
                                                                  "login.failure"}
    assert admin.audit(event="login") == []
    # time range: Unix seconds or RFC 3339; since inclusive, until exclusive
    cut = int(t_mid) + 1
    iso = datetime.fromtimestamp(cut, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = admin.audit(since=cut, event="login.success")
    assert late.id in {e["user_id"] for e in after}
    assert not {u.id for u in users} & {e["user_id"] for e in after}
    assert admin.audit(since=iso, event="login.success") == after
    before = admin.audit(until=iso, event="login.success")
    assert late.id not in {e["user_id"] for e in before}
    assert {u.id for u in users} <= {e["user_id"] for e in before}
    assert admin.audit(since=cut, until=cut + 3600, event="login.success") == after

    # pages of 2 over everything: newest first, none lost or repeated
    all_events = admin.audit()
    paged, pages = admin.walk("/audit", "events", 2)
    assert paged == all_events and pages == (len(all_events) + 1) // 2
    ids = [e["id"] for e in paged]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    assert len(evs) >= 7


@pytest.mark.parametrize("query", ["since=yesterday", "until=2026-13-01T00:00:00Z",
                                   "since=100&until=50", "event=", "user_id=" + "x" * 40,
                                   "cursor=YXVkaXQ6MA", "cursor=YXVkaXQ6eA", "limit=0"])
def test_bad_parameters_are_400(srv, query):
    admin = Admin(srv)
    r = srv.get("/v1/admin/audit?" + query, token=admin.token)
    assert_error(r, 400, "invalid_request")
