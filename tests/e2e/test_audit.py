# SPDX-License-Identifier: Apache-2.0
"""Audit events of the native API and the operator CLI (SPEC section 9): each event
type is stored in audit_events and written as a JSON log line, with ids and outcomes
only; no password, token or hash anywhere in the table."""
import time

from harness.waits import wait_past

FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1,
        "registration.enabled": True, "tokens.refresh_grace": 0}


def stored(server):
    return server.sql("SELECT event, user_id, client_id, ip, detail_json FROM "
                      "audit_events ORDER BY id")


def wait_events(server, want, timeout=5.0):
    """The stored rows once every event name in `want` is there (the server's audit
    writer stores them a moment after the request)."""
    deadline = time.time() + timeout
    while True:
        rows = stored(server)
        if want <= {r[0] for r in rows} or time.time() > deadline:
            return rows
        time.sleep(0.05)


def test_every_event_type_is_stored_and_logged_without_secrets(make_server):
    s = make_server(FAST)
    u = s.add_user(username="alice")
    s.cli_ok("user", "set-roles", u.id, "user,admin")

    # logins: success, wrong password, unknown user, disabled user
    lg = s.login(u)
    assert s.login_raw(username="alice", password="not-the-password").status_code == 401
    assert s.login_raw(username="nobody", password="whatever-pw").status_code == 401
    v = s.add_user(username="victor")
    s.cli_ok("user", "disable", v.id)
    assert s.login_raw(username="victor", password=v.password).status_code == 401

    # refresh reuse past the grace window (0 s here)
    r1 = s.refresh(lg.refresh_token)
    assert r1.status_code == 200
    t0 = time.time()
    wait_past(t0, 1)
    assert s.refresh(lg.refresh_token).status_code == 401

    # password change (wrong current, then right), logout
    lg2 = s.login(u)
    bad = s.post("/v1/auth/password", {"current_password": "nope-nope-nope",
                                       "new_password": "n3w-password-ok"},
                 token=lg2.access_token)
    assert bad.status_code == 400
    s.secrets.add("n3w-password-ok")
    ok = s.post("/v1/auth/password", {"current_password": u.password,
                                      "new_password": "n3w-password-ok"},
                token=lg2.access_token)
    assert ok.status_code == 204, ok.text
    assert s.post("/v1/auth/logout", token=lg2.access_token).status_code == 204

    # self sign-up and admin changes from the CLI
    s.secrets.add("register-pw-123")
    assert s.post("/v1/auth/register", {"email": "new@example.com",
                                        "password": "register-pw-123"}).status_code == 201
    s.secrets.add("another-pw-456")
    s.cli_ok("user", "set-password", v.id, "--password-stdin", input="another-pw-456\n")
    s.cli_ok("user", "delete", v.id)

    want = {"login.success", "login.failure", "refresh.reuse", "password.change",
            "password.change.failure", "logout", "user.register", "admin.user.create",
            "admin.user.roles", "admin.user.disable", "admin.user.password",
            "admin.user.delete"}
    rows = wait_events(s, want)
    names = {r[0] for r in rows}
    assert want <= names, want - names

    reasons = {r[4] for r in rows if r[0] == "login.failure"}
    assert any("bad_password" in d for d in reasons)
    assert any("unknown_user" in d for d in reasons)
    assert any("disabled" in d for d in reasons)
    reuse = [r for r in rows if r[0] == "refresh.reuse"]
    assert reuse[0][1] == u.id and lg.sid in reuse[0][4]
    assert all(r[3] == "127.0.0.1" for r in rows
               if r[0] in ("login.success", "login.failure", "logout"))

    # the same events are JSON log lines
    logged = {e.get("audit") for e in s.json_log() if e.get("event") == "audit"}
    assert want - {"admin.user.create", "admin.user.roles", "admin.user.disable",
                   "admin.user.password", "admin.user.delete"} <= logged

    # nothing secret in the table (the log is checked by the harness)
    dump = repr(rows)
    for secret in s.secrets:
        assert secret not in dump
