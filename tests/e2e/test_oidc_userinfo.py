# SPDX-License-Identifier: Apache-2.0
"""GET|POST /userinfo (OpenID Connect Core 1.0 5.3, docs/oidc.md "UserInfo"): the
claims about the user behind an access token granted `openid`, by scope; RFC 6750
errors with their WWW-Authenticate challenge; a revoked session's token is refused."""
import secrets

import pytest

from harness.assertions import assert_bearer_401, assert_error

SETTINGS = {
    "role.user.scopes": "openid profile email read:skills",
    "role.user.default_scopes": "profile",
}
GRANTS = ["password", "refresh_token"]


def tag():
    return secrets.token_hex(4)


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


@pytest.fixture(scope="module")
def app(srv):
    return srv.add_client("app-" + tag(), grants=GRANTS)


def token_for(srv, app, user, scope):
    b = srv.token_ok({"grant_type": "password", "username": user.username,
                      "password": user.password, "scope": scope}, app)
    return b["access_token"]


def userinfo(srv, token, method="GET"):
    if method == "GET":
        return srv.request("GET", "/userinfo", token=token)
    return srv.request("POST", "/userinfo", data={"access_token": token})


def check_ok(r):
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert "no-store" in r.headers.get("Cache-Control", "")
    return r.json()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_claims_by_scope(srv, app, method):
    u = srv.add_user(name="Ada Lovelace")
    full = check_ok(userinfo(srv, token_for(srv, app, u, "openid profile email"), method))
    assert full["sub"] == u.id
    assert full["name"] == "Ada Lovelace"
    assert full["preferred_username"] == u.username
    assert full["email"] == u.email
    assert isinstance(full["updated_at"], int) and full["updated_at"] > 0
    assert "email_verified" not in full      # tessera does not verify addresses
    assert set(full) == {"sub", "name", "preferred_username", "email", "updated_at"}

    only_openid = check_ok(userinfo(srv, token_for(srv, app, u, "openid"), method))
    assert only_openid == {"sub": u.id}
    email = check_ok(userinfo(srv, token_for(srv, app, u, "openid email"), method))
    assert email == {"sub": u.id, "email": u.email}
    profile = check_ok(userinfo(srv, token_for(srv, app, u, "openid profile"), method))
    assert set(profile) == {"sub", "name", "preferred_username", "updated_at"}


def test_a_post_with_the_header_works_too(srv, app):
    u = srv.add_user()
    t = token_for(srv, app, u, "openid email")
    r = srv.request("POST", "/userinfo", token=t)
    assert check_ok(r) == {"sub": u.id, "email": u.email}


def test_without_openid_is_403_insufficient_scope(srv, app):
    u = srv.add_user()
    t = token_for(srv, app, u, "profile email")
    for r in (userinfo(srv, t), userinfo(srv, t, "POST")):
        assert_error(r, 403, "insufficient_scope")
        www = r.headers.get("WWW-Authenticate", "")
        assert www.startswith("Bearer") and 'error="insufficient_scope"' in www, www
        assert u.email not in r.text


def test_a_native_login_token_without_openid_is_403(srv):
    u = srv.add_user()
    lg = srv.login(u)
    assert_error(userinfo(srv, lg.access_token), 403, "insufficient_scope")


def test_no_token_and_bad_tokens_are_401(srv, app):
    r = srv.request("GET", "/userinfo")
    assert_bearer_401(r, invalid_token=False)
    assert r.headers["WWW-Authenticate"].startswith('Bearer realm="tessera"')
    assert_bearer_401(srv.request("POST", "/userinfo"), invalid_token=False)
    u = srv.add_user()
    t = token_for(srv, app, u, "openid profile")
    h, p, s = t.split(".")
    forged = f"{h}.{p}.{s[:-4]}AAAA"
    assert_bearer_401(userinfo(srv, forged))
    assert_bearer_401(userinfo(srv, forged, "POST"))
    assert_bearer_401(userinfo(srv, "not-a-token"))


def test_token_in_header_and_body_is_400(srv, app):
    u = srv.add_user()
    t = token_for(srv, app, u, "openid")
    r = srv.request("POST", "/userinfo", token=t, data={"access_token": t})
    assert_error(r, 400, "invalid_request")
    r = srv.request("POST", "/userinfo", data="access_token=%ZZ",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400, "invalid_request")


def test_a_revoked_session_token_is_401(srv, app):
    u = srv.add_user()
    t = token_for(srv, app, u, "openid profile email")
    check_ok(userinfo(srv, t))
    r = srv.post("/v1/auth/logout", token=t)
    assert r.status_code == 204, r.text
    assert_bearer_401(userinfo(srv, t))
    assert_bearer_401(userinfo(srv, t, "POST"))


def test_a_deleted_user_is_401(srv, app):
    u = srv.add_user()
    t = token_for(srv, app, u, "openid")
    check_ok(userinfo(srv, t))
    srv.cli_ok("user", "delete", u.id)
    assert_bearer_401(userinfo(srv, t))


def test_a_client_credentials_token_is_403(srv):
    c = srv.add_client("svc-" + tag(), grants=["client_credentials"], roles=["user"])
    t = srv.token_ok({"grant_type": "client_credentials", "scope": "openid"},
                     c)["access_token"]
    assert_error(userinfo(srv, t), 403, "insufficient_scope")
