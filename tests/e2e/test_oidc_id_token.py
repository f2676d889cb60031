# SPDX-License-Identifier: Apache-2.0
"""ID tokens from the authorization code flow (OpenID Connect Core 1.0 3.1.3.3,
3.1.3.6, 3.1.3.7; docs/oidc.md "ID tokens"): scope=openid adds an id_token to the
token response, signed with RS256 when the server keeps an RS256 key
(oidc.id_token_algs = RS256) whatever the access tokens' algorithm, else with the
access tokens' algorithm, or with the client's id_token_signed_response_alg; PyJWT (an independent
implementation) verifies it against the JWKS and checks every claim a relying party
checks: iss, aud, azp, exp, iat, auth_time, nonce, sid, at_hash; UserInfo answers its
access token with the same sub."""
import base64
import hashlib
import time

import jwt
import pytest

from admin_helpers import FAST
from oidc_helpers import Browser, add_web_client, exchange, pkce

SETTINGS = dict(FAST, **{"role.user.scopes": "profile email read:skills",
                         "role.user.default_scopes": "profile",
                         "oidc.id_token_algs": "RS256"})


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


def code_flow(srv, client, user, scope, nonce="n-0S6_WzA2Mj"):
    b = Browser(srv)
    verifier, challenge = pkce()
    before = int(time.time())
    q = b.code(client, user, scope=scope, nonce=nonce, code_challenge=challenge,
               code_challenge_method="S256")
    t = exchange(srv, client, q["code"], verifier)
    assert t.status_code == 200, t.text
    body = t.json()
    srv.track(body)
    return body, before


def verify(srv, client, token, alg):
    jwks = srv.get("/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = [k for k in jwks["keys"] if k["kid"] == kid]
    assert len(key) == 1, (kid, jwks)
    assert key[0]["alg"] == alg
    pub = jwt.PyJWK(key[0]).key
    return jwt.decode(token, pub, algorithms=[alg], audience=client["client_id"],
                      issuer=srv.url)


def half_hash(token, alg):
    h = hashlib.sha512 if alg == "EdDSA" else hashlib.sha256
    d = h(token.encode()).digest()
    return base64.urlsafe_b64encode(d[:len(d) // 2]).rstrip(b"=").decode()


def test_openid_scope_adds_an_rs256_id_token(srv):
    client = add_web_client(srv)
    user = srv.add_user()
    body, before = code_flow(srv, client, user, "openid profile email")
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "ES256"
    tok = body["id_token"]
    assert jwt.get_unverified_header(tok)["alg"] == "RS256"
    c = verify(srv, client, tok, "RS256")
    assert c["aud"] == client["client_id"] and c["azp"] == client["client_id"]
    assert c["nonce"] == "n-0S6_WzA2Mj"
    assert before - 1 <= c["auth_time"] <= c["iat"] <= int(time.time()) + 1
    assert c["exp"] == c["iat"] + 300
    assert c["at_hash"] == half_hash(body["access_token"], "RS256")
    assert c["amr"] == ["pwd"]
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert c["sub"] == access["sub"] and c["sid"] == access["sid"]
    assert c["email"] == user.email
    # UserInfo (OpenID Connect Core 5.3.2): the same sub, for the access token
    r = srv.get("/userinfo", token=body["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["sub"] == c["sub"] and r.json()["email"] == user.email


def test_no_openid_no_id_token_and_profile_claims_follow_scope(srv):
    client = add_web_client(srv)
    user = srv.add_user()
    body, _ = code_flow(srv, client, user, "profile")
    assert "id_token" not in body
    body, _ = code_flow(srv, client, user, "openid")
    c = verify(srv, client, body["id_token"], "RS256")
    granted = body["scope"].split()
    assert "email" not in granted and "email" not in c
    assert ("preferred_username" in c or "name" in c) == ("profile" in granted)


def test_without_an_rs256_key_the_access_tokens_alg_signs(make_server):
    s = make_server(dict(SETTINGS, **{"oidc.id_token_algs": ""}))
    client = add_web_client(s)
    body, _ = code_flow(s, client, s.add_user(), "openid")
    verify(s, client, body["id_token"], "ES256")
    oidc = s.get("/.well-known/openid-configuration").json()
    assert oidc["id_token_signing_alg_values_supported"] == ["ES256"]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_the_clients_id_token_alg(make_server, alg):
    s = make_server(dict(SETTINGS, **{"oidc.id_token_algs": f"RS256 {alg}"}))
    client = add_web_client(s, id_token_alg=alg)
    assert client["id_token_signed_response_alg"] == alg
    body, _ = code_flow(s, client, s.add_user(), "openid")
    c = verify(s, client, body["id_token"], alg)
    assert c["at_hash"] == half_hash(body["access_token"], alg)


def test_a_tampered_nonce_or_audience_does_not_verify(srv):
    client = add_web_client(srv)
    other = add_web_client(srv)
    body, _ = code_flow(srv, client, srv.add_user(), "openid")
    with pytest.raises(jwt.InvalidAudienceError):
        verify(srv, other, body["id_token"], "RS256")
    head, payload, sig = body["id_token"].split(".")
    forged = head + "." + payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + sig
    with pytest.raises(jwt.InvalidTokenError):
        verify(srv, client, forged, "RS256")
