# SPDX-License-Identifier: Apache-2.0
"""POST /oauth2/revoke (RFC 7009) and POST /oauth2/introspect (RFC 7662), as
docs/oauth2.md describes them."""
import secrets
import time

import pytest

from harness.assertions import assert_bearer_401, assert_oauth_error
from harness.jose import b64url_encode, jwt_parts, scope_set

SETTINGS = {
    "role.user.scopes": "profile read:skills write:skills",
    "role.user.default_scopes": "profile",
    "role.svc.scopes": "read:skills write:skills",
    "role.svc.default_scopes": "read:skills",
}
CC = {"grant_type": "client_credentials"}
INACTIVE = {"active": False}


def tag():
    return secrets.token_hex(4)


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


@pytest.fixture(scope="module")
def rs(srv):
    """A resource server: a confidential client that introspects."""
    return srv.add_client("resource-server-" + tag())


def user_client(srv, **opts):
    opts.setdefault("grants", ["password", "refresh_token"])
    return srv.add_client("app-" + tag(), **opts)


def password_login(srv, client, user=None, **extra):
    user = user or srv.add_user()
    form = {"grant_type": "password", "username": user.username or user.email,
            "password": user.password}
    form.update(extra)
    return srv.token_ok(form, client)


def refresh(srv, client, rt):
    return srv.token_request({"grant_type": "refresh_token", "refresh_token": rt}, client)


def assert_revoked_200(r):
    assert r.status_code == 200, f"revoke: {r.status_code} {r.text}"
    assert r.content in (b"", b"{}"), r.content          # RFC 7009 2.2: empty body


def active(srv, rs, token, hint=None):
    """Introspects an active token; RFC 7662 members are typed (strings, numbers,
    booleans): one that does not apply is left out, never null."""
    i = srv.introspect_ok(token, rs, hint)
    assert i["active"] is True, i
    nulls = [k for k, v in i.items() if v is None]
    assert not nulls, f"null members {nulls} in {i}"
    return i


def assert_inactive(srv, rs, token, hint=None):
    b = srv.introspect_ok(token, rs, hint)
    assert b == INACTIVE, b


def assert_session_gone(srv, rs, client, b):
    assert_bearer_401(srv.profile(b["access_token"]))
    assert_inactive(srv, rs, b["access_token"])
    assert_inactive(srv, rs, b["refresh_token"])
    assert_oauth_error(refresh(srv, client, b["refresh_token"]), 400, "invalid_grant")


def assert_session_alive(srv, rs, client, b):
    assert srv.profile(b["access_token"]).status_code == 200
    assert srv.introspect_ok(b["access_token"], rs)["active"] is True
    assert srv.introspect_ok(b["refresh_token"], rs)["active"] is True


# --- revoke ---------------------------------------------------------------------------

@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
def test_revoke_refresh_token_revokes_its_session(srv, rs, auth):
    c = user_client(srv, auth_method=auth)
    u = srv.add_user()
    b = password_login(srv, c, u)
    other = password_login(srv, c, u)
    assert_session_alive(srv, rs, c, b)
    assert_revoked_200(srv.revoke(b["refresh_token"], c, hint="refresh_token"))
    assert_session_gone(srv, rs, c, b)
    # revoking it again is fine too
    assert_revoked_200(srv.revoke(b["refresh_token"], c))
    # the user's other session is untouched
    assert_session_alive(srv, rs, c, other)


def test_revoke_access_token_with_sid_revokes_its_session(srv, rs):
    c = user_client(srv)
    b = password_login(srv, c)
    assert "sid" in jwt_parts(b["access_token"])[1]
    assert_revoked_200(srv.revoke(b["access_token"], c, hint="access_token"))
    assert_session_gone(srv, rs, c, b)


def test_revoke_client_credentials_token_by_jti(srv, rs):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    t1 = srv.token_ok(CC, c)["access_token"]
    t2 = srv.token_ok(CC, c)["access_token"]
    assert "sid" not in jwt_parts(t1)[1]
    assert srv.introspect_ok(t1, rs)["active"] is True
    assert_revoked_200(srv.revoke(t1, c))
    assert_inactive(srv, rs, t1)
    # only that jti: another token of the same client is still active
    assert srv.introspect_ok(t2, rs)["active"] is True
    assert_revoked_200(srv.revoke(t1, c))                   # twice is fine


def test_wrong_or_unknown_hint_is_ignored(srv, rs):
    c = user_client(srv)
    b = password_login(srv, c)
    assert_revoked_200(srv.revoke(b["refresh_token"], c, hint="access_token"))
    assert_session_gone(srv, rs, c, b)
    b = password_login(srv, c)
    assert_revoked_200(srv.revoke(b["access_token"], c, hint="refresh_token"))
    assert_session_gone(srv, rs, c, b)
    b = password_login(srv, c)
    assert_revoked_200(srv.revoke(b["refresh_token"], c, hint="id_token"))
    assert_session_gone(srv, rs, c, b)


def forged_jws(srv):
    """A real client_credentials token with another signature."""
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    t = srv.token_ok(CC, c)["access_token"]
    return t.rsplit(".", 1)[0] + "." + b64url_encode(b"\0" * 64)


@pytest.mark.parametrize("token", ["x" * 43, "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
                                   "%%%", "forged"])
def test_revoke_unknown_or_garbage_token_is_200(srv, token):
    c = user_client(srv)
    if token == "forged":
        token = forged_jws(srv)
    assert_revoked_200(srv.revoke(token, c))


def test_revoke_another_clients_token_is_refused(srv, rs):
    a = user_client(srv)
    b = user_client(srv)
    ta = password_login(srv, a)
    for tok in (ta["refresh_token"], ta["access_token"]):
        r = srv.revoke(tok, b)
        assert_oauth_error(r, 400, "unauthorized_client", no_store=False)
    assert_session_alive(srv, rs, a, ta)
    r = refresh(srv, a, ta["refresh_token"])
    assert r.status_code == 200, r.text
    # a client_credentials token of another client
    svc = srv.add_client("svc-" + tag(), roles=["svc"])
    t = srv.token_ok(CC, svc)["access_token"]
    assert_oauth_error(srv.revoke(t, b), 400, "unauthorized_client", no_store=False)
    assert srv.introspect_ok(t, rs)["active"] is True


def test_revoke_native_token_through_a_client_is_refused(srv, rs):
    u = srv.add_user()
    lg = srv.login(u)
    c = user_client(srv)
    for tok in (lg.refresh_token, lg.access_token):
        assert_oauth_error(srv.revoke(tok, c), 400, "unauthorized_client", no_store=False)
    assert srv.profile(lg.access_token).status_code == 200
    assert srv.refresh(lg.refresh_token).status_code == 200


def test_public_client_revokes_its_own_token(srv, rs):
    pub = srv.add_client("spa-" + tag(), public=True)
    b = password_login(srv, pub)
    assert_revoked_200(srv.revoke(b["refresh_token"], pub))
    assert_session_gone(srv, rs, pub, b)
    b = password_login(srv, pub)
    assert_revoked_200(srv.revoke(b["access_token"], pub))
    assert_session_gone(srv, rs, pub, b)


def test_revoke_without_client_authentication(srv, rs):
    c = user_client(srv)
    b = password_login(srv, c)
    r = srv.revoke(b["refresh_token"], auth="")
    assert_oauth_error(r, 401, "invalid_client", basic=False, no_store=False)
    r = srv.revoke(b["refresh_token"], c, client_secret="wrong-" + tag())
    assert_oauth_error(r, 401, "invalid_client", basic=True, no_store=False)
    r = srv.revoke(b["refresh_token"], c, auth="client_secret_post",
                   client_secret="wrong-" + tag())
    assert_oauth_error(r, 401, "invalid_client", basic=False, no_store=False)
    assert_session_alive(srv, rs, c, b)


def test_revoke_without_token_is_invalid_request(srv):
    c = user_client(srv)
    r = srv.oauth_post("/oauth2/revoke", {"token_type_hint": "refresh_token"}, c)
    assert_oauth_error(r, 400, "invalid_request", no_store=False)


# --- introspect -----------------------------------------------------------------------

def test_introspect_active_access_token(srv, rs):
    c = user_client(srv)
    u = srv.add_user()
    b = password_login(srv, c, u, scope="profile read:skills")
    _, cl = jwt_parts(b["access_token"])
    r = srv.introspect(b["access_token"], rs, hint="access_token")
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    i = active(srv, rs, b["access_token"], hint="access_token")
    assert i["token_type"] == "access_token"
    assert scope_set(i["scope"]) == {"profile", "read:skills"}
    assert i["client_id"] == c["client_id"]
    assert i["sub"] == u.id
    assert i["username"] == u.username
    for k in ("exp", "iat", "nbf", "iss", "aud", "jti", "sid"):
        assert i[k] == cl[k], (k, i, cl)
    assert i["roles"] == ["user"]


def test_introspect_client_credentials_token(srv, rs):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    t = srv.token_ok({**CC, "scope": "write:skills"}, c)["access_token"]
    _, cl = jwt_parts(t)
    i = active(srv, rs, t)
    assert i["token_type"] == "access_token"
    assert i["sub"] == c["client_id"] and i["client_id"] == c["client_id"]
    assert "sid" not in i
    assert scope_set(i["scope"]) == {"write:skills"}
    assert i["roles"] == ["svc"]
    for k in ("exp", "iat", "nbf", "iss", "aud", "jti"):
        assert i[k] == cl[k], (k, i, cl)
    # a client may introspect its own tokens too
    assert srv.introspect_ok(t, c)["active"] is True


def test_introspect_active_refresh_token(srv, rs):
    c = user_client(srv, refresh_ttl=1000)
    u = srv.add_user(username="")                       # no username: email instead
    t0 = int(time.time())
    b = password_login(srv, c, u)
    t1 = int(time.time()) + 1
    sid = jwt_parts(b["access_token"])[1]["sid"]
    i = active(srv, rs, b["refresh_token"], hint="refresh_token")
    assert i["token_type"] == "refresh_token"
    assert scope_set(i["scope"]) == {"profile"}
    assert i["client_id"] == c["client_id"]
    assert i["sub"] == u.id
    assert i["username"] == u.email
    assert i["sid"] == sid
    assert t0 <= i["iat"] <= t1
    assert t0 + 1000 <= i["exp"] <= t1 + 1000           # the session's absolute end
    # the successor: same session and end, its own iat
    b2 = srv.token_ok({"grant_type": "refresh_token", "refresh_token": b["refresh_token"]}, c)
    i2 = srv.introspect_ok(b2["refresh_token"], rs)
    assert i2["active"] is True and i2["sid"] == sid and i2["exp"] == i["exp"]
    assert i2["iat"] >= i["iat"]


def test_introspect_expired_access_token(srv, rs):
    c = srv.add_client("svc-" + tag(), roles=["svc"], access_ttl=1)
    t = srv.token_ok(CC, c)["access_token"]
    exp = jwt_parts(t)[1]["exp"]
    while time.time() < exp + 0.05:
        time.sleep(0.05)
    assert_inactive(srv, rs, t)


def test_introspect_revoked_tokens(srv, rs):
    c = user_client(srv)
    b = password_login(srv, c)
    assert_revoked_200(srv.revoke(b["refresh_token"], c))
    assert_inactive(srv, rs, b["access_token"])
    assert_inactive(srv, rs, b["refresh_token"], hint="refresh_token")


@pytest.mark.parametrize("token", ["x" * 43, "garbage", "a.b.c", "forged",
                                   "eyJhbGciOiJub25lIn0.e30."])
def test_introspect_unknown_token(srv, rs, token):
    if token == "forged":
        token = forged_jws(srv)
    assert_inactive(srv, rs, token)


def test_introspect_retired_refresh_token(srv, rs):
    c = user_client(srv)
    b = password_login(srv, c)
    b2 = srv.token_ok({"grant_type": "refresh_token", "refresh_token": b["refresh_token"]}, c)
    assert_inactive(srv, rs, b["refresh_token"])          # retired (even in its grace)
    assert srv.introspect_ok(b2["refresh_token"], rs)["active"] is True


def test_introspect_by_public_client_is_refused(srv, rs):
    pub = srv.add_client("spa-" + tag(), public=True)
    b = password_login(srv, pub)
    r = srv.introspect(b["access_token"], pub)
    assert_oauth_error(r, 401, "invalid_client", basic=False, no_store=False)
    assert "active" not in r.json()


def test_introspect_without_client_authentication(srv, rs):
    c = user_client(srv)
    b = password_login(srv, c)
    r = srv.introspect(b["access_token"], auth="")
    assert_oauth_error(r, 401, "invalid_client", basic=False, no_store=False)
    r = srv.introspect(b["access_token"], rs, client_secret="wrong-" + tag())
    assert_oauth_error(r, 401, "invalid_client", basic=True, no_store=False)


def test_introspect_without_token_is_invalid_request(srv, rs):
    r = srv.oauth_post("/oauth2/introspect", {}, rs)
    assert_oauth_error(r, 400, "invalid_request", no_store=False)


def test_introspect_native_tokens(srv, rs):
    u = srv.add_user()
    lg = srv.login(u)
    i = active(srv, rs, lg.access_token)
    assert i["token_type"] == "access_token"
    assert i["sub"] == u.id and i["sid"] == lg.sid and i["username"] == u.username
    assert i["jti"] == lg.claims["jti"] and i["exp"] == lg.claims["exp"]
    i = srv.introspect_ok(lg.refresh_token, rs)
    assert i["active"] is True and i["token_type"] == "refresh_token"
    assert i["sub"] == u.id and i["sid"] == lg.sid and i["username"] == u.username
    # docs/oauth2.md: client_id "when issued through a client"; this one belongs to
    # no client, so the member is absent (RFC 7662: a string when present)
    assert "client_id" not in i, i
    # after /v1/auth/logout both are inactive
    r = srv.post("/v1/auth/logout", {}, token=lg.access_token)
    assert r.status_code in (200, 204), r.text
    assert_inactive(srv, rs, lg.access_token)
    assert_inactive(srv, rs, lg.refresh_token)


def test_introspect_with_wrong_hint(srv, rs):
    c = user_client(srv)
    b = password_login(srv, c)
    assert srv.introspect_ok(b["refresh_token"], rs, hint="access_token")["active"] is True
    assert srv.introspect_ok(b["access_token"], rs, hint="refresh_token")["active"] is True
