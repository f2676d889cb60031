# SPDX-License-Identifier: Apache-2.0
"""/v1/admin/sessions (docs/api.md "Admin API"): active sessions of one user or of
all, newest first and paged; one session, active or not; revocation, which the
session's tokens feel at once."""
import time

import pytest

from admin_helpers import FAST, Admin
from harness.assertions import assert_bearer_401, assert_error

SESSION_KEYS = {"id", "user_id", "client_id", "scope", "created_at", "last_used_at",
                "expires_at", "revoked_at", "user_agent", "ip", "active"}


@pytest.fixture
def srv(make_server):
    return make_server(FAST)


@pytest.fixture
def admin(srv):
    return Admin(srv)


def test_list_by_user_pages_newest_first(srv, admin):
    u = srv.add_user()
    other = srv.add_user()
    sids = []
    for i in range(7):
        sids.append(srv.login(u, headers={"User-Agent": f"agent-{i}"}).sid)
        if i in (2, 4):
            time.sleep(1.05)            # some in later seconds, some in the same one
    srv.login(other)
    items, pages = admin.walk("/sessions", "sessions", 2, user_id=u.id)
    assert pages == 4
    got = [s["id"] for s in items]
    assert len(got) == len(set(got)) == 7 and set(got) == set(sids)
    created = [s["created_at"] for s in items]
    assert created == sorted(created, reverse=True)      # newest first
    for s in items:
        assert set(s) == SESSION_KEYS, s
        assert s["user_id"] == u.id and s["active"] is True and s["revoked_at"] is None
        assert s["client_id"] is None and s["ip"] == "127.0.0.1"
    assert {s["user_agent"] for s in items} == {f"agent-{i}" for i in range(7)}
    # every user's sessions: the admin's own, u's 7, other's 1
    everyone = [s["id"] for s in admin.walk("/sessions", "sessions", 3)[0]]
    assert len(everyone) == len(set(everyone)) == 9
    assert admin.ok(admin.get("/sessions", user_id="nobody")) == {"sessions": [],
                                                                  "next": None}


def test_read_and_revoke_one(srv, admin):
    u = srv.add_user()
    keep, drop = srv.login(u), srv.login(u)
    s = admin.ok(admin.get(f"/sessions/{drop.sid}"))
    assert s["id"] == drop.sid and s["user_id"] == u.id and s["active"] is True
    assert s["scope"] == drop.body["scope"]
    admin.ok(admin.delete(f"/sessions/{drop.sid}"), 204)
    assert_bearer_401(srv.profile(drop.access_token))
    assert_error(srv.refresh(drop.refresh_token), 401, "invalid_grant")
    assert srv.profile(keep.access_token).status_code == 200
    s = admin.ok(admin.get(f"/sessions/{drop.sid}"))
    assert s["active"] is False and s["revoked_at"] is not None
    listed = {x["id"] for x in admin.walk("/sessions", "sessions", 10, user_id=u.id)[0]}
    assert listed == {keep.sid}
    # revoking again changes nothing; unknown ids are 404
    admin.ok(admin.delete(f"/sessions/{drop.sid}"), 204)
    assert_error(admin.get("/sessions/no-such-session"), 404, "not_found")
    assert_error(admin.delete("/sessions/no-such-session"), 404, "not_found")


def test_bad_cursor(srv, admin):
    assert_error(admin.get("/sessions", cursor="c2Vzc2lvbnM6eA"), 400)   # "sessions:x"
    assert_error(admin.get("/sessions", user_id="x" * 100), 400)
