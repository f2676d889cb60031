# SPDX-License-Identifier: Apache-2.0
"""/v1/admin/clients (docs/api.md "Admin API"): paged list, create (the secret shown
once), read, update, rotate-secret, delete; each change visible at the token
endpoint. Never a secret or its hash in a read."""
import json

import pytest

from admin_helpers import FAST, Admin
from harness.assertions import assert_bearer_401, assert_error, assert_oauth_error

SETTINGS = dict(FAST, **{"role.svc.scopes": "read:skills write:skills",
                         "role.svc.default_scopes": "read:skills"})
CC = {"grant_type": "client_credentials"}
CLIENT_KEYS = {"client_id", "name", "grant_types", "scopes", "roles",
               "token_endpoint_auth_method", "token_endpoint_auth_methods", "public", "disabled", "refresh_rotation",
               "access_ttl", "refresh_ttl", "refresh_idle_ttl", "created_at",
               "updated_at", "audiences", "redirect_uris", "post_logout_redirect_uris",
               "first_party", "id_token_signed_response_alg"}


@pytest.fixture
def srv(make_server):
    return make_server(SETTINGS)


@pytest.fixture
def admin(srv):
    return Admin(srv)


def no_secret(obj, secret):
    text = json.dumps(obj)
    assert secret not in text
    assert "secret_hash" not in text and "hash" not in text


def test_create_shows_the_secret_once_and_it_works(srv, admin):
    c = admin.create_client(name="billing", roles=["svc"], scopes=["read:skills"],
                            access_ttl=120)
    assert set(c) == CLIENT_KEYS | {"client_secret"}
    assert (c["name"], c["grant_types"], c["roles"], c["scopes"], c["access_ttl"],
            c["token_endpoint_auth_method"], c["public"]) == \
        ("billing", ["client_credentials"], ["svc"], ["read:skills"], 120,
         "client_secret_basic", False)
    assert len(c["client_secret"]) >= 43
    tok = srv.token_ok(CC, client=c)
    assert tok["expires_in"] == 120 and tok["scope"] == "read:skills"
    # reads never show the secret again
    got = admin.ok(admin.get(f"/clients/{c['client_id']}"))
    assert set(got) == CLIENT_KEYS
    no_secret(got, c["client_secret"])
    listed = admin.walk("/clients", "clients", 10)[0]
    no_secret(listed, c["client_secret"])
    assert got == {k: v for k, v in c.items() if k != "client_secret"}


def test_create_variants_and_errors(srv, admin):
    pub = admin.create_client(name="spa", public=True)
    assert pub["public"] and "client_secret" not in pub
    assert pub["grant_types"] == ["password", "refresh_token"]
    fixed = admin.create_client(name="fixed", client_id="my-fixed-id",
                                grant_types=["client_credentials"],
                                token_endpoint_auth_method="client_secret_post",
                                refresh_rotation="off")
    assert fixed["client_id"] == "my-fixed-id" and fixed["refresh_rotation"] == "off"
    srv.token_ok(CC, client=fixed)
    assert_error(admin.post("/clients", {"name": "again", "client_id": "my-fixed-id"}),
                 409, "conflict")
    for body in ({"client_id": "x"}, {"name": "p", "public": True,
                                      "grant_types": ["client_credentials"]},
                 {"name": "g", "grant_types": ["implicit"]},
                 {"name": "m", "token_endpoint_auth_method": "private_key_jwt"},
                 {"name": "t", "access_ttl": -1},
                 {"name": "r", "refresh_rotation": "sometimes"},
                 {"name": "u", "colour": "red"}):
        assert_error(admin.post("/clients", body), 400, "invalid_request")
    assert_error(admin.get("/clients/no-such-client"), 404, "not_found")


def test_auth_methods_accepted_and_pinned(srv, admin):
    """A client with a secret accepts Basic and the form body unless pinned to one:
    token_endpoint_auth_method pins, token_endpoint_auth_methods lists."""
    c = admin.create_client(name="either", roles=["svc"])
    assert (c["token_endpoint_auth_method"], c["token_endpoint_auth_methods"]) == \
        ("client_secret_basic", ["client_secret_basic", "client_secret_post"])
    for auth in ("client_secret_basic", "client_secret_post"):
        srv.token_ok(CC, client=c, auth=auth)
    path = f"/clients/{c['client_id']}"
    v = admin.ok(admin.patch(path, {"token_endpoint_auth_method": "client_secret_basic"}))
    assert v["token_endpoint_auth_methods"] == ["client_secret_basic"]
    assert_oauth_error(srv.token_request(CC, client=c, auth="client_secret_post"), 401,
                       "invalid_client", basic=False)
    v = admin.ok(admin.patch(path, {"token_endpoint_auth_methods": [
        "client_secret_post", "client_secret_basic"]}))
    assert v["token_endpoint_auth_methods"] == ["client_secret_basic",
                                                "client_secret_post"]
    srv.token_ok(CC, client=c, auth="client_secret_post")
    pinned = admin.create_client(name="pinned", token_endpoint_auth_methods=[
        "client_secret_post"])
    assert pinned["token_endpoint_auth_methods"] == ["client_secret_post"]
    for body in ({"token_endpoint_auth_method": "client_secret_basic",
                  "token_endpoint_auth_methods": ["client_secret_basic"]},
                 {"token_endpoint_auth_method": "client_secret_basic client_secret_post"},
                 {"token_endpoint_auth_methods": []},
                 {"token_endpoint_auth_methods": ["client_secret_basic", "none"]},
                 {"token_endpoint_auth_methods": ["tls_client_auth",
                                                  "client_secret_post"]},
                 {"token_endpoint_auth_methods": "client_secret_basic"}):
        assert_error(admin.patch(path, body), 400, "invalid_request")
        assert_error(admin.post("/clients", dict(body, name="bad")), 400,
                     "invalid_request")


def test_pages(srv, admin):
    made = {admin.create_client(name=f"c{i}")["client_id"] for i in range(11)}
    items, pages = admin.walk("/clients", "clients", 3)
    ids = [c["client_id"] for c in items]
    assert pages == 4 and len(ids) == len(set(ids)) == 11 and set(ids) == made
    assert ids == sorted(ids)


def test_update_applies_at_the_token_endpoint(srv, admin):
    c = admin.create_client(name="reporting", roles=["svc"])
    assert srv.token_ok(CC, client=c)["scope"] == "read:skills"
    v = admin.ok(admin.patch(f"/clients/{c['client_id']}",
                             {"name": "reporting-2", "scopes": ["write:skills"],
                              "access_ttl": 60, "refresh_rotation": "on"}))
    assert (v["name"], v["scopes"], v["access_ttl"], v["refresh_rotation"]) == \
        ("reporting-2", ["write:skills"], 60, "on")
    assert v["created_at"] == c["created_at"] and v["client_id"] == c["client_id"]
    tok = srv.token_ok(dict(CC, scope="write:skills"), client=c)   # same secret
    assert tok["expires_in"] == 60
    r = srv.token_request(dict(CC, scope="read:skills"), client=c)
    assert_oauth_error(r, 400, "invalid_scope")
    # basic <-> post is allowed; the secret stays
    v = admin.ok(admin.patch(f"/clients/{c['client_id']}",
                             {"token_endpoint_auth_method": "client_secret_post"}))
    assert v["token_endpoint_auth_method"] == "client_secret_post"
    srv.token_ok(dict(CC, scope="write:skills"), client=dict(c, **v))
    # other changes of method, public, the id: refused
    for body in ({"token_endpoint_auth_method": "none"}, {"public": True},
                 {"client_id": "other"}, {"grant_types": []}, {}):
        assert_error(admin.patch(f"/clients/{c['client_id']}", body), 400,
                     "invalid_request")
    assert_error(admin.patch("/clients/no-such-client", {"name": "x"}), 404)


def test_disable_and_enable(srv, admin):
    c = admin.create_client(name="flaky", roles=["svc"])
    tok = srv.token_ok(CC, client=c)["access_token"]
    assert admin.ok(admin.patch(f"/clients/{c['client_id']}",
                                {"disabled": True}))["disabled"] is True
    assert_oauth_error(srv.token_request(CC, client=c), 401, "invalid_client")
    # tokens it already holds run out on their own
    assert srv.introspect_ok(tok, client=admin.create_client(name="rs"))["active"]
    admin.ok(admin.patch(f"/clients/{c['client_id']}", {"disabled": False}))
    srv.token_ok(CC, client=c)


def test_rotate_secret(srv, admin):
    c = admin.create_client(name="rotating")
    r = admin.ok(admin.post(f"/clients/{c['client_id']}/secret"))
    assert set(r) == {"client_id", "client_secret"} and r["client_id"] == c["client_id"]
    srv.secrets.add(r["client_secret"])
    assert r["client_secret"] != c["client_secret"]
    assert_oauth_error(srv.token_request(CC, client=c), 401, "invalid_client")
    srv.token_ok(CC, client=dict(c, client_secret=r["client_secret"]))
    no_secret(admin.ok(admin.get(f"/clients/{c['client_id']}")), r["client_secret"])
    pub = admin.create_client(name="pub", public=True)
    assert_error(admin.post(f"/clients/{pub['client_id']}/secret"), 409, "conflict")
    assert_error(admin.post("/clients/no-such-client/secret"), 404, "not_found")


def test_delete_revokes_the_sessions_it_holds(make_server):
    s = make_server(SETTINGS)
    admin = Admin(s)
    c = admin.create_client(name="app", grant_types=["password", "refresh_token"])
    u = s.add_user()
    body = s.token_ok({"grant_type": "password", "username": u.username,
                       "password": u.password}, client=c)
    assert s.profile(body["access_token"]).status_code == 200
    admin.ok(admin.delete(f"/clients/{c['client_id']}"), 204)
    assert_bearer_401(s.profile(body["access_token"]))
    assert_oauth_error(s.token_request(CC, client=c), 401, "invalid_client")
    assert_error(admin.get(f"/clients/{c['client_id']}"), 404)
    assert_error(admin.delete(f"/clients/{c['client_id']}"), 404)


def test_unknown_roles_are_refused_with_the_defined_ones(srv, admin):
    """A client with a role no [role.NAME] defines got tokens with an empty scope:
    create and update refuse it with 400, naming the defined roles."""
    b = assert_error(admin.post("/clients", {"name": "ghost", "roles": ["nosuchrole"]}),
                     400, "invalid_request")
    assert "nosuchrole" in b["error_description"], b
    assert "admin, user, svc" in b["error_description"], b
    assert not [c for c in admin.walk("/clients", "clients", 50)[0]
                if c["name"] == "ghost"]
    c = admin.create_client(name="real", roles=["svc"])
    b = assert_error(admin.patch(f"/clients/{c['client_id']}", {"roles": ["svc", "nope"]}),
                     400, "invalid_request")
    assert "nope" in b["error_description"], b
    assert admin.ok(admin.get(f"/clients/{c['client_id']}"))["roles"] == ["svc"]
    # a client whose role was later removed from the configuration can still be
    # changed (disabled, say): only roles given now are checked
    srv.sql_exec("UPDATE clients SET roles_json = ? WHERE id = ?", '["svc","gone"]', c["client_id"])
    admin.ok(admin.patch(f"/clients/{c['client_id']}", {"disabled": True}))
