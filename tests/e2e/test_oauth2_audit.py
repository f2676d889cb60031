# SPDX-License-Identifier: Apache-2.0
"""Audit events of the OAuth 2.0 endpoints (SPEC section 9): client tokens issued are
counted per client, scope and second; password-grant logins, revocations and client
authentication failures are events of their own; none holds a secret."""
import json
import time


def audit_rows(server, event):
    return server.sql("SELECT at, user_id, client_id, ip, detail_json FROM "
                      "audit_events WHERE event = ? ORDER BY id", event)


def wait_rows(server, event, pred, timeout=5.0):
    deadline = time.time() + timeout
    while True:
        rows = audit_rows(server, event)
        if pred(rows) or time.time() > deadline:
            return rows
        time.sleep(0.05)


def test_client_tokens_are_counted_per_client(make_server):
    s = make_server()
    a = s.add_client("svc-a", roles=["user"])
    b = s.add_client("svc-b", roles=["user"])
    for _ in range(7):
        s.token_ok({"grant_type": "client_credentials"}, client=a)
    for _ in range(3):
        s.token_ok({"grant_type": "client_credentials"}, client=b)

    def total(rows, cid):
        return sum(json.loads(r[4])["count"] for r in rows if r[2] == cid)

    # Written by the background writer within a second or so of the window's end.
    rows = wait_rows(s, "client.token",
                     lambda rs: total(rs, a["client_id"]) == 7 and
                     total(rs, b["client_id"]) == 3)
    assert total(rows, a["client_id"]) == 7, rows
    assert total(rows, b["client_id"]) == 3, rows
    for r in rows:
        detail = json.loads(r[4])
        assert detail["scope"] == "profile" and detail["window_seconds"] == 1
        assert r[1] is None                       # no user behind a client token


def test_counts_still_pending_are_written_at_shutdown(make_server):
    s = make_server()
    c = s.add_client("svc", roles=["user"])
    for _ in range(4):
        s.token_ok({"grant_type": "client_credentials"}, client=c)
    s.stop()                                      # SIGTERM right away: drained on exit
    assert sum(json.loads(r[4])["count"] for r in audit_rows(s, "client.token")) == 4


def test_password_grant_revoke_and_auth_failures_are_audited(make_server):
    s = make_server()
    u = s.add_user(roles=("user",))
    c = s.add_client("app", grants=["password", "refresh_token"])
    t = s.token_ok({"grant_type": "password", "username": u.email,
                    "password": u.password}, client=c)
    assert s.revoke(t["refresh_token"], client=c).status_code == 200
    bad = s.token_request({"grant_type": "password", "username": u.email,
                           "password": u.password}, client=c, client_secret="x" * 43)
    assert bad.status_code == 401

    logins = wait_rows(s, "login.success", lambda rs: len(rs) >= 1)
    assert [(r[1], r[2]) for r in logins] == [(u.id, c["client_id"])]
    revokes = wait_rows(s, "token.revoke", lambda rs: len(rs) >= 1)
    assert revokes[0][1] == u.id and revokes[0][2] == c["client_id"]
    assert json.loads(revokes[0][4])["kind"] == "refresh_token"
    fails = wait_rows(s, "client.auth.failure", lambda rs: len(rs) >= 1)
    assert fails[0][2] == c["client_id"]
    assert json.loads(fails[0][4]) == {"reason": "credentials"}

    s.stop()
    dump = "\n".join(str(r) for r in s.sql("SELECT * FROM audit_events"))
    for secret in (u.password, c["client_secret"], t["access_token"],
                   t["refresh_token"]):
        assert secret not in dump


def test_unknown_client_is_audited_and_can_be_created_right_after(make_server):
    """docs/oauth2.md: an unknown client id fails like a known one with a wrong secret
    (the same event, reason unknown_client; the same cost, so the answer's timing does
    not tell which ids exist), and an id probed just before it is created through the
    admin API works at once."""
    from admin_helpers import FAST, Admin
    s = make_server(FAST)
    cid = "probed-" + str(time.time_ns())
    r = s.token_request({"grant_type": "client_credentials"}, client_id=cid,
                        client_secret="y" * 43, auth="client_secret_basic")
    assert r.status_code == 401
    fails = wait_rows(s, "client.auth.failure", lambda rs: len(rs) >= 1)
    assert [(r[2], json.loads(r[4])) for r in fails] == \
        [(cid, {"reason": "unknown_client"})]
    c = Admin(s).create_client(name="probed", client_id=cid,
                               grant_types=["client_credentials"])
    assert c["client_id"] == cid
    s.token_ok({"grant_type": "client_credentials"}, client=c)
