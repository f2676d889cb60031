# SPDX-License-Identifier: Apache-2.0
"""GET /v1/auth/revocations (SPEC section 7): revoked session ids still inside the
access-token lifetime, in order, with a cursor, for authenticated confidential
clients; a revocation shows once its second is at least a second old."""
import time

import pytest

from harness.http import basic_auth


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server({"passwords.argon2_memory_kib": 1024,
                               "passwords.argon2_iterations": 1})


def feed(s, client, **params):
    return s.get("/v1/auth/revocations", params=params,
                 headers={"Authorization": basic_auth(client["client_id"],
                                                      client["client_secret"])})


def poll_until(s, client, want, since=None, timeout=5.0):
    """Reads the feed from `since` until every sid in `want` has shown."""
    seen, cursor = [], since
    deadline = time.time() + timeout
    while True:
        params = {"since": cursor} if cursor else {}
        r = feed(s, client, **params)
        assert r.status_code == 200, r.text
        b = r.json()
        seen += [x["sid"] for x in b["revoked"]]
        cursor = b["next"] or cursor
        if set(want) <= set(seen) or time.time() > deadline:
            return seen, cursor
        if not b["more"]:
            time.sleep(0.2)


def test_logouts_appear_once_in_order_with_a_cursor(srv):
    c = srv.add_client("rs")
    u = srv.add_user()
    sids = []
    for _ in range(3):
        lg = srv.login(u)
        sids.append(lg.sid)
        assert srv.post("/v1/auth/logout", token=lg.access_token).status_code == 204
    seen, cursor = poll_until(srv, c, sids)
    assert all(seen.count(s) == 1 for s in sids)       # each once
    # in (revoked_at, sid) order, the order the cursor walks
    entries = feed(srv, c).json()["revoked"]
    keys = [(e["revoked_at"], e["sid"]) for e in entries]
    assert keys == sorted(keys) and set(sids) <= {e["sid"] for e in entries}
    # paging: limit=1 walks the same entries one by one
    r = feed(srv, c, limit=1)
    b = r.json()
    assert len(b["revoked"]) == 1 and b["more"] is True and b["next"]
    # from the last cursor nothing old comes back; a new logout does
    lg = srv.login(u)
    assert srv.post("/v1/auth/logout", token=lg.access_token).status_code == 204
    seen2, _ = poll_until(srv, c, [lg.sid], since=cursor)
    assert lg.sid in seen2 and not set(sids) & set(seen2)


def test_live_sessions_are_not_listed(srv):
    c = srv.add_client("rs2")
    u = srv.add_user()
    live = srv.login(u)
    time.sleep(2.1)
    everything, _ = poll_until(srv, c, [], timeout=0)
    assert live.sid not in everything


def test_needs_a_confidential_client_and_a_valid_cursor(srv):
    assert srv.get("/v1/auth/revocations").status_code == 401
    # a GET carries no form: only HTTP Basic authenticates, so public clients cannot
    pub = srv.add_client("spa", public=True)
    r = srv.get("/v1/auth/revocations", params={"client_id": pub["client_id"]})
    assert r.status_code == 401
    c = srv.add_client("rs3")
    for bad in ("garbage", "12", "-5.x", "1." + "a" * 40, "1.\xff\xfe", "1.a b", "1.a%"):
        r = feed(srv, c, since=bad)
        assert r.status_code == 400 and r.json()["error"] == "invalid_request", bad
    # bytes that are not UTF-8, raw in the query: 400, never an unanswerable echo
    r = srv.get("/v1/auth/revocations?since=1.%FF%FE",
                headers={"Authorization": basic_auth(c["client_id"], c["client_secret"])})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text
    assert feed(srv, c, limit=0).status_code == 400
    assert feed(srv, c, limit=1001).status_code == 400
