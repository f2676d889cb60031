# SPDX-License-Identifier: Apache-2.0
"""RFC 8414 server metadata (docs/oauth2.md): both paths, the issuer, endpoint URLs that
work, and the JWKS behind jwks_uri."""
import secrets

import jwt as pyjwt
import pytest
import requests

from harness.http import HTTP_TIMEOUT, basic_auth
from harness.jose import jwt_parts, verify_jwt

SETTINGS = {
    "role.user.scopes": "profile read:skills write:skills",
    "role.user.default_scopes": "profile",
    "role.svc.scopes": "read:skills admin:reports",
    "role.svc.default_scopes": "read:skills",
}
# admin's defaults (docs/configuration.md) plus the roles above
ALL_SCOPES = {"admin", "profile", "read:skills", "write:skills", "admin:reports"}
PATH = "/.well-known/oauth-authorization-server"
CC = {"grant_type": "client_credentials"}


def tag():
    return secrets.token_hex(4)


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


@pytest.fixture(scope="module")
def md(srv):
    return srv.metadata()


def test_the_rfc8414_path_serves_the_document(srv):
    r = srv.get(PATH)
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert r.json()["issuer"] == srv.url


def test_no_openid_member_in_the_rfc8414_document(srv, md):
    """The OpenID Connect members are the OpenID document's
    (tests/e2e/test_oidc_discovery.py); RFC 8414's promises no browser flow."""
    for member in ("userinfo_endpoint", "id_token_signing_alg_values_supported",
                   "subject_types_supported", "claims_supported",
                   "end_session_endpoint"):
        assert member not in md, member
    assert "openid" not in md["scopes_supported"]      # no role here grants it
    assert not any("id_token" in t for t in md["response_types_supported"])


def test_fields(srv, md):
    iss = md["issuer"]
    assert iss == srv.url                             # default: http://<listen>
    assert md["token_endpoint"] == iss + "/oauth2/token"
    assert md["revocation_endpoint"] == iss + "/oauth2/revoke"
    assert md["introspection_endpoint"] == iss + "/oauth2/introspect"
    assert md["jwks_uri"] == iss + "/.well-known/jwks.json"
    assert set(md["grant_types_supported"]) == {"client_credentials", "password",
                                                "refresh_token", "authorization_code"}
    # the authorization code flow (docs/oidc.md): code only, PKCE S256 only, iss
    assert md["authorization_endpoint"] == iss + "/oauth2/authorize"
    assert md["response_types_supported"] == ["code"]
    assert md["response_modes_supported"] == ["query", "form_post"]
    assert md["code_challenge_methods_supported"] == ["S256"]
    assert md["authorization_response_iss_parameter_supported"] is True
    methods = set(md["token_endpoint_auth_methods_supported"])
    assert {"client_secret_basic", "client_secret_post", "none"} <= methods
    rev = set(md["revocation_endpoint_auth_methods_supported"])
    assert {"client_secret_basic", "client_secret_post", "none"} <= rev   # public too
    intro = set(md["introspection_endpoint_auth_methods_supported"])
    assert {"client_secret_basic", "client_secret_post"} <= intro
    assert "none" not in intro                        # confidential clients only
    assert set(md["scopes_supported"]) == ALL_SCOPES
    assert "token_endpoint_auth_signing_alg_values_supported" not in md


def test_issuer_is_the_tokens_iss(srv, md):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    t = srv.token_ok(CC, c)["access_token"]
    assert jwt_parts(t)[1]["iss"] == md["issuer"]
    verify_jwt(srv, t, issuer=md["issuer"])
    u = srv.add_user()
    pc = srv.add_client("app-" + tag(), grants=["password", "refresh_token"])
    b = srv.token_ok({"grant_type": "password", "username": u.username,
                      "password": u.password}, pc)
    assert jwt_parts(b["access_token"])[1]["iss"] == md["issuer"]
    assert srv.login(u).claims["iss"] == md["issuer"]
    i = srv.introspect_ok(t, c)
    assert i["iss"] == md["issuer"]


def post_form(srv, url, client, data):
    """POST a form to an absolute URL taken from the metadata, with Basic."""
    h = {"Authorization": basic_auth(client["client_id"], client["client_secret"]),
         "Content-Type": "application/x-www-form-urlencoded"}
    srv.secrets.add(h["Authorization"].split(" ", 1)[1])
    srv.track_form(list(data.items()))
    r = requests.post(url, data=data, headers=h, timeout=HTTP_TIMEOUT)
    if r.headers.get("Content-Type", "").startswith("application/json"):
        srv.track(r.json())
    return r


def test_endpoint_urls_work(srv, md):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    r = post_form(srv, md["token_endpoint"], c, CC)
    assert r.status_code == 200, r.text
    t = r.json()["access_token"]
    # jwks_uri: its keys verify the token
    jwk_client = pyjwt.PyJWKClient(md["jwks_uri"], cache_keys=False)
    key = jwk_client.get_signing_key_from_jwt(t)
    claims = pyjwt.decode(t, key.key, algorithms=["ES256", "EdDSA", "RS256", "PS256"],
                          audience="tessera", issuer=md["issuer"])
    assert claims["sub"] == c["client_id"]
    r = post_form(srv, md["introspection_endpoint"], c, {"token": t})
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    r = post_form(srv, md["revocation_endpoint"], c, {"token": t})
    assert r.status_code == 200, r.text
    r = post_form(srv, md["introspection_endpoint"], c, {"token": t})
    assert r.status_code == 200 and r.json() == {"active": False}, r.text


def test_jwks_keys(srv, md):
    r = requests.get(md["jwks_uri"], timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    keys = r.json()["keys"]
    assert keys
    for k in keys:
        assert k["kid"] and k["alg"] and k["use"] == "sig", k
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(k), k


def test_configured_issuer(make_server):
    iss = "https://auth.example.test"
    s = make_server(SETTINGS, server__issuer=iss)
    m = s.metadata(PATH)
    assert m["issuer"] == iss
    assert m["token_endpoint"] == iss + "/oauth2/token"
    assert m["revocation_endpoint"] == iss + "/oauth2/revoke"
    assert m["introspection_endpoint"] == iss + "/oauth2/introspect"
    assert m["jwks_uri"] == iss + "/.well-known/jwks.json"
    c = s.add_client("svc-" + tag(), roles=["svc"])
    t = s.token_ok(CC, c)["access_token"]
    assert verify_jwt(s, t, issuer=iss)["iss"] == iss
