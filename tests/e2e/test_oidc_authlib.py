# SPDX-License-Identifier: Apache-2.0
"""Authlib's OAuth2Session (Debian python3-authlib), a client nobody here wrote, doing
the authorization code flow with PKCE (S256) against tessera: it builds the
authorization URL and makes the code_verifier, the login page's form is posted by
requests (no browser), Authlib parses the redirect (state checked) and exchanges the
code, then refreshes; the tokens are checked by calling the server. With scope openid
and client_secret_post, Authlib's own JOSE (authlib.jose) verifies the ID token against
the JWKS and checks its claims (OpenID Connect Core 3.1.3.7)."""
import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.errors import MismatchingStateException
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt

from admin_helpers import FAST
from oidc_helpers import REDIRECT, Browser, add_web_client

SETTINGS = dict(FAST, **{"role.user.scopes": "profile email read:skills",
                         "role.user.default_scopes": "profile",
                         "oidc.id_token_algs": "RS256"})


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


@pytest.mark.parametrize("public", [True, False])
def test_authlib_code_flow_with_pkce(srv, public):
    client = add_web_client(srv, public=public)
    user = srv.add_user()
    oauth = OAuth2Session(client["client_id"], client.get("client_secret"),
                          redirect_uri=REDIRECT, scope="profile read:skills",
                          code_challenge_method="S256",
                          token_endpoint_auth_method="none" if public
                          else "client_secret_basic")
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(srv.url + "/oauth2/authorize",
                                                code_verifier=verifier)
    b = Browser(srv)
    page = b.s.get(url, allow_redirects=False)
    assert page.status_code == 200, page.text
    r = b.login(page, user.username, user.password)
    assert r.status_code == 303, r.text
    callback = r.headers["Location"]
    assert callback.startswith(REDIRECT + "?") and f"state={state}" in callback
    token = oauth.fetch_token(srv.url + "/oauth2/token", authorization_response=callback,
                              code_verifier=verifier)
    srv.track(dict(token))
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == {"profile", "read:skills"}
    me = srv.profile(token["access_token"])
    assert me.status_code == 200 and me.json()["email"] == user.email
    new = oauth.refresh_token(srv.url + "/oauth2/token")
    srv.track(dict(new))
    assert new["access_token"] != token["access_token"]
    assert srv.profile(new["access_token"]).status_code == 200
    # a callback with another state is refused by Authlib itself before any exchange
    with pytest.raises(MismatchingStateException):
        oauth.fetch_token(srv.url + "/oauth2/token",
                          authorization_response=callback.replace(state, "forged"),
                          code_verifier=verifier, state=state)


def test_authlib_openid_with_client_secret_post(srv):
    """oidcc-server with client_secret_post: the code flow for scope openid, the ID
    token verified by Authlib against the JWKS (RS256: oidc.id_token_algs), nonce and
    audience checked, and UserInfo answering the access token with the same sub."""
    client = add_web_client(srv, public=False)
    user = srv.add_user()
    oauth = OAuth2Session(client["client_id"], client["client_secret"],
                          redirect_uri=REDIRECT, scope="openid email",
                          code_challenge_method="S256",
                          token_endpoint_auth_method="client_secret_post")
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = oauth.create_authorization_url(srv.url + "/oauth2/authorize",
                                                code_verifier=verifier, nonce=nonce)
    b = Browser(srv)
    page = b.s.get(url, allow_redirects=False)
    r = b.login(page, user.username, user.password)
    assert r.status_code == 303, r.text
    token = oauth.fetch_token(srv.url + "/oauth2/token",
                              authorization_response=r.headers["Location"],
                              code_verifier=verifier)
    srv.track(dict(token))
    keys = JsonWebKey.import_key_set(srv.get("/.well-known/jwks.json").json())
    claims = jwt.decode(token["id_token"], keys, claims_options={
        "iss": {"essential": True, "value": srv.url},
        "aud": {"essential": True, "value": client["client_id"]},
        "nonce": {"essential": True, "value": nonce},
    })
    claims.validate()
    assert claims.header["alg"] == "RS256"
    assert claims["email"] == user.email
    info = srv.get("/userinfo", token=token["access_token"])
    assert info.status_code == 200 and info.json()["sub"] == claims["sub"]
