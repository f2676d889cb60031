# SPDX-License-Identifier: Apache-2.0
"""/.well-known/openid-configuration (OpenID Connect Discovery 1.0 3, docs/oidc.md
"Discovery"): what it says is true (every endpoint answers, the ID-token algorithms
are those of keys in the JWKS), it agrees with the RFC 8414 document, and it does not
advertise what is not there."""
import pytest
import requests

from harness.http import HTTP_TIMEOUT

PATH = "/.well-known/openid-configuration"
SETTINGS = {
    "role.user.scopes": "openid profile email read:skills",
    "role.user.default_scopes": "profile",
    "oidc.id_token_algs": "RS256",
}
CLAIMS = {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "sid",
          "at_hash", "name", "preferred_username", "updated_at", "email"}


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


@pytest.fixture(scope="module")
def oidc(srv):
    r = srv.get(PATH)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert "max-age" in r.headers.get("Cache-Control", "")
    return r.json()


def test_fields(srv, oidc):
    iss = oidc["issuer"]
    assert iss == srv.url
    assert oidc["userinfo_endpoint"] == iss + "/userinfo"
    assert oidc["jwks_uri"] == iss + "/.well-known/jwks.json"
    assert oidc["subject_types_supported"] == ["public"]
    assert oidc["id_token_signing_alg_values_supported"][0] == "RS256"
    assert set(oidc["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
    assert {"openid", "profile", "email"} <= set(oidc["scopes_supported"])
    assert set(oidc["claims_supported"]) == CLAIMS
    assert "email_verified" not in oidc["claims_supported"]
    assert oidc["claims_parameter_supported"] is False
    assert oidc["request_parameter_supported"] is False
    assert oidc["request_uri_parameter_supported"] is False
    assert {"client_secret_basic", "client_secret_post", "none"} <= \
        set(oidc["token_endpoint_auth_methods_supported"])


def test_nothing_that_is_not_there(oidc):
    """The code flow is there (authorization endpoint, code, S256); logout, dynamic
    registration, the implicit and hybrid flows, acr and signed or encrypted UserInfo
    are not."""
    for member in ("end_session_endpoint", "registration_endpoint",
                   "check_session_iframe", "frontchannel_logout_supported",
                   "backchannel_logout_supported", "acr_values_supported",
                   "userinfo_signing_alg_values_supported",
                   "id_token_encryption_alg_values_supported"):
        assert member not in oidc, member
    assert oidc["response_types_supported"] == ["code"]
    assert oidc["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in oidc["grant_types_supported"]
    assert "implicit" not in oidc["grant_types_supported"]


def test_the_rfc8414_document_agrees(srv, oidc):
    md = srv.metadata()
    for k, v in md.items():
        assert oidc[k] == v, k
    assert set(oidc) - set(md) == {
        "userinfo_endpoint", "id_token_signing_alg_values_supported",
        "subject_types_supported", "claims_supported", "claims_parameter_supported",
        "request_parameter_supported", "request_uri_parameter_supported"}


def test_every_advertised_endpoint_answers(srv, oidc):
    """Each URL is served by this server: no 404 (the answers are the ones without
    credentials: 401 for the token endpoints and userinfo, 200 for the JWKS)."""
    for member, method, expect in (("jwks_uri", "GET", 200),
                                   ("userinfo_endpoint", "GET", 401),
                                   ("userinfo_endpoint", "POST", 401),
                                   ("token_endpoint", "POST", 401),
                                   ("revocation_endpoint", "POST", 401),
                                   ("introspection_endpoint", "POST", 401)):
        url = oidc[member]
        assert url.startswith(srv.url + "/"), url
        r = requests.request(method, url, timeout=HTTP_TIMEOUT,
                             data={"x": "1"} if method == "POST" else None)
        assert r.status_code == expect, f"{member}: {r.status_code} {r.text}"


def test_the_signing_algs_are_keys_in_the_jwks(srv, oidc):
    published = {k["alg"] for k in srv.jwks()["keys"]}
    assert set(oidc["id_token_signing_alg_values_supported"]) <= published


def test_without_id_token_algs_only_the_access_token_alg(make_server):
    """With oidc.id_token_algs empty, the ring holds the tokens.algorithm key alone,
    and discovery says so rather than claiming RS256."""
    s = make_server({"oidc.id_token_algs": ""})
    d = s.get(PATH).json()
    assert d["id_token_signing_alg_values_supported"] == ["ES256"]
    assert [k["alg"] for k in s.jwks()["keys"]] == ["ES256"]
