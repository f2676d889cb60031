# SPDX-License-Identifier: Apache-2.0
"""Clients of the browser flow (docs/oidc.md "Registering a client"): redirect URIs,
post-logout redirect URIs, first party, back-channel logout URI and id token alg, over
the admin API and `tessera client add/update`; what may not be registered is refused
with a 400 / exit 1 that says why."""
import json

import pytest

from admin_helpers import FAST, Admin


@pytest.fixture
def srv(make_server):
    # ID tokens may be signed with EdDSA too (the access tokens' ES256 always)
    return make_server(dict(FAST, **{"oidc.id_token_algs": "RS256 EdDSA"}))


@pytest.fixture
def admin(srv):
    return Admin(srv)


def test_admin_api_registers_the_browser_fields(admin):
    c = admin.create_client(name="web", public=True,
                            grant_types=["authorization_code", "refresh_token"],
                            redirect_uris=["https://app.example/cb",
                                           "http://127.0.0.1/native"],
                            post_logout_redirect_uris=["https://app.example/bye"],
                            first_party=True,
                            backchannel_logout_uri="https://app.example/bcl",
                            id_token_signed_response_alg="ES256")
    assert c["redirect_uris"] == ["https://app.example/cb", "http://127.0.0.1/native"]
    assert c["post_logout_redirect_uris"] == ["https://app.example/bye"]
    assert c["first_party"] is True
    assert c["backchannel_logout_uri"] == "https://app.example/bcl"
    assert c["id_token_signed_response_alg"] == "ES256"
    assert c["grant_types"] == ["authorization_code", "refresh_token"]
    cid = c["client_id"]
    got = admin.ok(admin.patch(f"/clients/{cid}", {
        "redirect_uris": ["https://app.example/cb2"], "first_party": False,
        "backchannel_logout_uri": ""}))
    assert got["redirect_uris"] == ["https://app.example/cb2"]
    assert got["first_party"] is False and "backchannel_logout_uri" not in got
    assert got["id_token_signed_response_alg"] == "ES256"
    # defaults: no alg of its own (the server's: RS256 when it has an RS256 key)
    d = admin.create_client(name="svc")
    assert (d["redirect_uris"], d["first_party"], d["id_token_signed_response_alg"]) == \
        ([], False, None)


@pytest.mark.parametrize("body, needle", [
    ({"redirect_uris": ["http://app.example/cb"]}, "redirect URI"),
    ({"redirect_uris": ["https://app.example/cb#x"]}, "redirect URI"),
    ({"redirect_uris": ["https://u@app.example/cb"]}, "redirect URI"),
    ({"redirect_uris": ["/cb"]}, "redirect URI"),
    ({"redirect_uris": ["javascript:alert(1)"]}, "redirect URI"),
    ({"redirect_uris": "https://app.example/cb"}, "array"),
    ({"post_logout_redirect_uris": ["http://evil.example/"]}, "redirect URI"),
    ({"backchannel_logout_uri": "http://evil.example/bcl"}, "back-channel"),
    ({"id_token_signed_response_alg": "none"}, "RS256"),
    ({"id_token_signed_response_alg": "HS256"}, "RS256"),
    ({"grant_types": ["authorization_code"]}, "redirect URI"),
    ({"first_party": "yes"}, "first_party"),
])
def test_admin_api_refuses_bad_registrations(admin, body, needle):
    r = admin.post("/clients", dict({"name": "bad", "public": True}, **body))
    assert r.status_code == 400, r.text
    assert needle in r.json()["error_description"], r.text


def test_an_id_token_alg_the_server_does_not_sign_with_is_refused(make_server):
    s = make_server(FAST)       # ES256 access tokens, no oidc.id_token_algs
    admin = Admin(s)
    r = admin.post("/clients", {"name": "w", "public": True,
                                "id_token_signed_response_alg": "EdDSA"})
    assert r.status_code == 400, r.text
    assert "oidc.id_token_algs" in r.json()["error_description"]
    ok = admin.create_client(name="w2", id_token_signed_response_alg="ES256")
    assert ok["id_token_signed_response_alg"] == "ES256"


def test_cli_add_and_update(srv):
    r = srv.cli_ok("client", "add", "cli-web", "--public",
                   "--grants", "authorization_code,refresh_token",
                   "--redirect-uris", "https://a.example/cb,http://[::1]/cb",
                   "--first-party", "yes", "--id-token-alg", "EdDSA")
    c = json.loads(r.stdout)
    assert c["redirect_uris"] == ["https://a.example/cb", "http://[::1]/cb"]
    assert c["first_party"] is True and c["id_token_signed_response_alg"] == "EdDSA"
    r = srv.cli_ok("client", "update", c["client_id"], "--redirect-uris",
                   "https://b.example/cb", "--first-party", "no",
                   "--post-logout-redirect-uris", "https://b.example/bye")
    u = json.loads(r.stdout)
    assert u["redirect_uris"] == ["https://b.example/cb"]
    assert u["post_logout_redirect_uris"] == ["https://b.example/bye"]
    assert u["first_party"] is False and u["grant_types"] == c["grant_types"]
    # the change is stored: show reads it back
    assert json.loads(srv.cli_ok("client", "show", c["client_id"]).stdout) == u
    bad = srv.cli("client", "update", c["client_id"], "--redirect-uris",
                  "http://evil.example/cb")
    assert bad.returncode == 1 and "redirect URI" in bad.stderr
    assert srv.cli("client", "update", c["client_id"]).returncode == 2
    assert srv.cli("client", "show", c["client_id"], "--first-party", "no").returncode == 2
