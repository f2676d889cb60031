# SPDX-License-Identifier: Apache-2.0
"""POST /v1/auth/refresh: rotation, grace window, reuse detection, lifetimes."""
import threading
import time

import requests

from harness.assertions import assert_bearer_401, assert_error
from harness.jose import jwt_parts, scope_set
from harness.waits import wait_past


def refresh_ok(server, token, **kw):
    r = server.refresh(token, **kw)
    assert r.status_code == 200, f"refresh: {r.status_code} {r.text}"
    return r.json()


def test_refresh_returns_new_access_and_refresh_token(make_server):
    s = make_server({"role.user.scopes": "profile read:skills",
                     "role.user.default_scopes": "profile"})
    u = s.add_user()
    lg = s.login(u, scope="read:skills")
    r = s.refresh(lg.refresh_token)
    assert r.status_code == 200, r.text
    assert "no-store" in r.headers.get("Cache-Control", "")
    b = r.json()
    assert b["token_type"] == "Bearer"
    assert b["expires_in"] == 900
    assert scope_set(b["scope"]) == {"read:skills"}
    assert b["access_token"] != lg.access_token
    assert b["refresh_token"] and b["refresh_token"] != lg.refresh_token
    _, c = jwt_parts(b["access_token"])
    assert c["sid"] == lg.sid and c["sub"] == u.id
    assert c["jti"] != lg.claims["jti"]
    assert scope_set(c["scope"]) == {"read:skills"}      # a session keeps its scope
    assert s.profile(b["access_token"]).json()["id"] == u.id
    # the successor refreshes again
    b2 = refresh_ok(s, b["refresh_token"])
    assert b2["refresh_token"] not in (lg.refresh_token, b["refresh_token"])


def test_reuse_inside_grace_window_answers_again(server):
    u = server.add_user()
    lg = server.login(u)
    first = refresh_ok(server, lg.refresh_token)
    again = refresh_ok(server, lg.refresh_token)          # default grace: 10 s
    # docs/api.md: answers as the first time did, with the same successor
    assert again["refresh_token"] == first["refresh_token"]
    # nothing revoked: the session goes on
    assert server.profile(first["access_token"]).status_code == 200
    assert server.profile(again["access_token"]).status_code == 200
    assert server.profile(lg.access_token).status_code == 200
    nxt = refresh_ok(server, first["refresh_token"])
    assert server.profile(nxt["access_token"]).status_code == 200


def test_concurrent_refreshes_with_one_token_both_succeed(server):
    u = server.add_user()
    lg = server.login(u)
    results = [None, None]
    barrier = threading.Barrier(2)

    def go(i):
        barrier.wait()
        results[i] = requests.post(server.url + "/v1/auth/refresh",
                                   json={"refresh_token": lg.refresh_token}, timeout=15)
    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert r.status_code == 200, r.text
        server.track(r.json())
    for r in results:
        assert server.profile(r.json()["access_token"]).status_code == 200


def test_reuse_after_grace_window_revokes_the_session(make_server):
    s = make_server(tokens__refresh_grace=1)
    u = s.add_user()
    lg = s.login(u)
    other = s.login(u)                                   # another session of the user
    t = time.time()
    first = refresh_ok(s, lg.refresh_token)
    wait_past(t, 1)
    r = s.refresh(lg.refresh_token)
    assert_error(r, 401, "invalid_grant")
    # the whole family is gone: the successor and every access token of the session
    assert_error(s.refresh(first["refresh_token"]), 401, "invalid_grant")
    assert_bearer_401(s.profile(first["access_token"]))
    assert_bearer_401(s.profile(lg.access_token))
    # and only that session
    assert s.profile(other.access_token).status_code == 200
    assert s.refresh(other.refresh_token).status_code == 200


def test_refresh_token_alias_accepted(server):
    u = server.add_user()
    lg = server.login(u)
    b = refresh_ok(server, lg.refresh_token, field="refreshToken")
    assert server.profile(b["access_token"]).status_code == 200
    assert b["refresh_token"] != lg.refresh_token


def test_unknown_refresh_token_is_invalid_grant(server):
    u = server.add_user()
    lg = server.login(u)
    forged = lg.refresh_token[:-4] + ("AAAA" if not lg.refresh_token.endswith("AAAA")
                                      else "BBBB")
    for tok in (forged, "x" * 43, "not-a-token"):
        r = server.refresh(tok)
        assert_error(r, 401, "invalid_grant")
        assert "access_token" not in r.json()
    # an access token is not a refresh token (longer than a refresh token may be, so
    # a field-length 400 invalid_request is as good as 401 invalid_grant)
    r = server.refresh(lg.access_token)
    assert r.status_code in (400, 401), r.text
    assert_error(r, r.status_code, "invalid_request" if r.status_code == 400
                 else "invalid_grant")


def test_refresh_without_token_is_invalid_request(server):
    for body in ({}, {"refresh_token": 42}, {"token": "abc"}):
        assert_error(server.post("/v1/auth/refresh", body), 400, "invalid_request")


def test_rotation_off_keeps_one_refresh_token(make_server):
    s = make_server(tokens__refresh_rotation=False)
    u = s.add_user()
    lg = s.login(u)
    seen = {lg.access_token}
    for _ in range(3):
        b = refresh_ok(s, lg.refresh_token)
        assert "refresh_token" not in b or b["refresh_token"] in (None, lg.refresh_token)
        assert b["token_type"] == "Bearer" and b["expires_in"] > 0
        assert b["access_token"] not in seen
        seen.add(b["access_token"])
        assert s.profile(b["access_token"]).status_code == 200


def test_expired_absolute_lifetime_is_invalid_grant(make_server):
    s = make_server(tokens__refresh_ttl=2)
    u = s.add_user()
    lg = s.login(u)
    t = time.time()            # after the login: the 2 s lifetime began before this
    b = refresh_ok(s, lg.refresh_token)          # well inside the 2 s lifetime
    wait_past(t, 2)
    assert_error(s.refresh(b["refresh_token"]), 401, "invalid_grant")


def test_idle_refresh_token_expires(make_server):
    s = make_server(tokens__refresh_idle_ttl=2, tokens__refresh_ttl=3600)
    u = s.add_user()
    lg = s.login(u)
    t = time.time()
    b = refresh_ok(s, lg.refresh_token)
    wait_past(t, 2)
    assert_error(s.refresh(b["refresh_token"]), 401, "invalid_grant")


def test_access_token_expires(make_server):
    s = make_server(tokens__access_ttl=2)
    u = s.add_user()
    lg = s.login(u)
    assert lg.body["expires_in"] == 2
    assert s.profile(lg.access_token).status_code == 200
    while time.time() < lg.claims["exp"] + 0.05:
        time.sleep(0.05)
    r = s.profile(lg.access_token)
    assert_bearer_401(r)
    # the session outlives its access token: refresh still works
    b = refresh_ok(s, lg.refresh_token)
    assert s.profile(b["access_token"]).status_code == 200


def test_role_change_shows_in_next_refreshed_token(server):
    u = server.add_user(roles=("user",))
    lg = server.login(u)
    assert lg.claims["roles"] == ["user"]
    server.cli_ok("user", "set-roles", u.username, "user,admin")
    b = refresh_ok(server, lg.refresh_token)
    assert sorted(jwt_parts(b["access_token"])[1]["roles"]) == ["admin", "user"]


def test_demotion_reaches_the_next_refresh(server):
    """A refresh grants the session's scope cut down to what the roles grant now."""
    u = server.add_user(roles=("admin",))
    lg = server.login(u, scope="admin profile")
    assert scope_set(lg.claims["scope"]) == {"admin", "profile"}
    server.cli_ok("user", "set-roles", u.username, "user")
    b = refresh_ok(server, lg.refresh_token)
    assert scope_set(b["scope"]) == {"profile"}
    assert scope_set(jwt_parts(b["access_token"])[1]["scope"]) == {"profile"}
    # promoted again, the session's own scope comes back; never more than it had
    server.cli_ok("user", "set-roles", u.username, "admin")
    b = refresh_ok(server, b["refresh_token"])
    assert scope_set(b["scope"]) == {"admin", "profile"}


def test_demotion_reaches_the_oauth_refresh_grant(server):
    u = server.add_user(roles=("admin",))
    c = server.add_client("app", grants=["password", "refresh_token"])
    t = server.token_ok({"grant_type": "password", "username": u.username,
                         "password": u.password, "scope": "admin profile"}, c)
    assert scope_set(t["scope"]) == {"admin", "profile"}
    server.cli_ok("user", "set-roles", u.username, "user")
    # asking for the lost scope by name is refused
    r = server.token_request({"grant_type": "refresh_token", "scope": "admin",
                              "refresh_token": t["refresh_token"]}, c)
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope", r.text
    b = server.token_ok({"grant_type": "refresh_token",
                         "refresh_token": t["refresh_token"]}, c)
    assert scope_set(b["scope"]) == {"profile"}
    assert scope_set(jwt_parts(b["access_token"])[1]["scope"]) == {"profile"}
