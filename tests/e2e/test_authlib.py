# SPDX-License-Identifier: Apache-2.0
"""A standard OAuth 2.0 client library against tessera: Authlib's requests OAuth2Session
(Debian python3-authlib) fetches, refreshes, introspects and revokes tokens; the results
are checked by calling the server."""
import secrets

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from harness.assertions import assert_bearer_401
from harness.jose import jwt_parts, scope_set

SETTINGS = {
    "role.user.scopes": "profile read:skills",
    "role.user.default_scopes": "profile",
    "role.svc.scopes": "read:skills write:skills",
    "role.svc.default_scopes": "read:skills",
}
METHODS = ["client_secret_basic", "client_secret_post"]


def tag():
    return secrets.token_hex(4)


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


@pytest.fixture(scope="module")
def rs(srv):
    return srv.add_client("resource-server-" + tag())


def session(srv, client, method, **kw):
    s = OAuth2Session(client["client_id"], client.get("client_secret"),
                      token_endpoint_auth_method=method,
                      revocation_endpoint_auth_method=method, **kw)
    return s


def urls(srv):
    return srv.url + "/oauth2/token", srv.url + "/oauth2/revoke"


def tracked(srv, token):
    srv.track(dict(token))
    return token


@pytest.mark.parametrize("method", METHODS)
def test_client_credentials(srv, rs, method):
    token_url, revoke_url = urls(srv)
    c = srv.add_client("svc-" + tag(), roles=["svc"], auth_method=method)
    s = session(srv, c, method, scope="write:skills")
    tok = tracked(srv, s.fetch_token(token_url, grant_type="client_credentials"))
    assert tok["token_type"].lower() == "bearer"
    assert scope_set(tok["scope"]) == {"write:skills"}
    assert "refresh_token" not in tok
    _, cl = jwt_parts(tok["access_token"])
    assert cl["sub"] == c["client_id"] and cl["client_id"] == c["client_id"]
    assert srv.introspect_ok(tok["access_token"], rs)["active"] is True
    r = s.revoke_token(revoke_url, token=tok["access_token"],
                       token_type_hint="access_token")
    assert r.status_code == 200, r.text
    assert srv.introspect_ok(tok["access_token"], rs) == {"active": False}


@pytest.mark.parametrize("method", METHODS)
def test_password_refresh_revoke(srv, rs, method):
    token_url, revoke_url = urls(srv)
    c = srv.add_client("app-" + tag(), grants=["password", "refresh_token"],
                       auth_method=method)
    u = srv.add_user()
    s = session(srv, c, method)
    tok = tracked(srv, s.fetch_token(token_url, grant_type="password",
                                     username=u.username, password=u.password))
    assert tok["refresh_token"] and scope_set(tok["scope"]) == {"profile"}
    first = dict(tok)
    assert srv.profile(first["access_token"]).status_code == 200
    # the session adds the token to its own requests
    r = s.get(srv.url + "/v1/auth/profile")
    assert r.status_code == 200 and r.json()["id"] == u.id
    tok = tracked(srv, s.refresh_token(token_url))
    assert tok["access_token"] != first["access_token"]
    assert tok["refresh_token"] != first["refresh_token"]        # rotation
    assert jwt_parts(tok["access_token"])[1]["sid"] == \
        jwt_parts(first["access_token"])[1]["sid"]
    assert srv.profile(tok["access_token"]).status_code == 200
    r = s.revoke_token(revoke_url, token=tok["refresh_token"],
                       token_type_hint="refresh_token")
    assert r.status_code == 200, r.text
    assert_bearer_401(srv.profile(tok["access_token"]))
    assert_bearer_401(srv.profile(first["access_token"]))
    assert srv.introspect_ok(tok["refresh_token"], rs) == {"active": False}
    with pytest.raises(OAuthError) as e:
        s.refresh_token(token_url, refresh_token=tok["refresh_token"])
    assert e.value.error == "invalid_grant"


@pytest.mark.parametrize("method", METHODS)
def test_revoke_access_token_and_introspect(srv, method):
    token_url, revoke_url = urls(srv)
    intro_url = srv.url + "/oauth2/introspect"
    c = srv.add_client("app-" + tag(), grants=["password", "refresh_token"],
                       auth_method=method)
    u = srv.add_user()
    s = session(srv, c, method)
    tok = tracked(srv, s.fetch_token(token_url, grant_type="password",
                                     username=u.email, password=u.password))
    r = s.introspect_token(intro_url, token=tok["access_token"])
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    assert r.json()["sub"] == u.id
    r = s.revoke_token(revoke_url, token=tok["access_token"])
    assert r.status_code == 200, r.text
    assert_bearer_401(srv.profile(tok["access_token"]))
    r = s.introspect_token(intro_url, token=tok["refresh_token"])
    assert r.status_code == 200 and r.json() == {"active": False}, r.text


def test_public_client(srv):
    token_url, revoke_url = urls(srv)
    c = srv.add_client("spa-" + tag(), public=True)
    u = srv.add_user()
    s = OAuth2Session(c["client_id"], token_endpoint_auth_method="none",
                      revocation_endpoint_auth_method="none")
    tok = tracked(srv, s.fetch_token(token_url, grant_type="password",
                                     username=u.username, password=u.password))
    assert srv.profile(tok["access_token"]).status_code == 200
    tok = tracked(srv, s.refresh_token(token_url))
    assert srv.profile(tok["access_token"]).status_code == 200
    r = s.revoke_token(revoke_url, token=tok["refresh_token"])
    assert r.status_code == 200, r.text
    assert_bearer_401(srv.profile(tok["access_token"]))


def test_wrong_secret_raises_invalid_client(srv):
    token_url, _ = urls(srv)
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    wrong = "wrong-" + tag()
    srv.secrets.add(wrong)
    s = OAuth2Session(c["client_id"], wrong,
                      token_endpoint_auth_method="client_secret_basic")
    with pytest.raises(OAuthError) as e:
        s.fetch_token(token_url, grant_type="client_credentials")
    assert e.value.error == "invalid_client"


def test_unpinned_client_post_token_then_basic_revoke_introspect(srv, rs):
    """Authlib's defaults with a client_secret_post token call: revoke_token and
    introspect_token then authenticate with Basic (its revocation default). A client
    registered without --auth-method accepts both."""
    token_url, revoke_url = urls(srv)
    intro_url = srv.url + "/oauth2/introspect"
    c = srv.add_client("app-" + tag(), grants=["password", "refresh_token"])
    u = srv.add_user()
    s = OAuth2Session(c["client_id"], c["client_secret"],
                      token_endpoint_auth_method="client_secret_post")
    assert s.revocation_endpoint_auth_method == "client_secret_basic"   # the default
    tok = tracked(srv, s.fetch_token(token_url, grant_type="password",
                                     username=u.username, password=u.password))
    r = s.introspect_token(intro_url, token=tok["access_token"])
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    assert r.request.headers["Authorization"].startswith("Basic ")
    tok = tracked(srv, s.refresh_token(token_url))
    r = s.revoke_token(revoke_url, token=tok["refresh_token"])
    assert r.status_code == 200, r.text
    assert_bearer_401(srv.profile(tok["access_token"]))
    assert srv.introspect_ok(tok["refresh_token"], rs) == {"active": False}
