# SPDX-License-Identifier: Apache-2.0
"""The admin API's authorisation (SPEC section 9, docs/api.md "Admin API"): every
route needs a Bearer token with scope `admin` whose subject still holds a role that
grants it; no token is 401 with the RFC 6750 challenge, any other token 403
insufficient_scope. Also the router's answers on admin paths (404, 405, 413, 415)."""
import pytest

from admin_helpers import FAST, Admin, assert_forbidden
from harness.assertions import NO_BEARER, assert_bearer_401, assert_error
from harness.cli import BOOTSTRAP_PASSWORD

# Every admin route, with a body where it takes one. {id} is an id that does not
# exist: authorisation is decided before the id is looked up.
ROUTES = [
    ("GET", "/v1/admin/users", None),
    ("POST", "/v1/admin/users", {"email": "route@example.com"}),
    ("GET", "/v1/admin/users/nosuchid", None),
    ("PATCH", "/v1/admin/users/nosuchid", {"name": "x"}),
    ("DELETE", "/v1/admin/users/nosuchid", None),
    ("DELETE", "/v1/admin/users/nosuchid/sessions", None),
    ("GET", "/v1/admin/clients", None),
    ("POST", "/v1/admin/clients", {"name": "route-client"}),
    ("GET", "/v1/admin/clients/nosuchid", None),
    ("PATCH", "/v1/admin/clients/nosuchid", {"name": "x"}),
    ("DELETE", "/v1/admin/clients/nosuchid", None),
    ("POST", "/v1/admin/clients/nosuchid/secret", None),
    ("GET", "/v1/admin/sessions", None),
    ("GET", "/v1/admin/sessions/nosuchid", None),
    ("DELETE", "/v1/admin/sessions/nosuchid", None),
    ("GET", "/v1/admin/keys", None),
    ("POST", "/v1/admin/keys/rotate", None),
    ("GET", "/v1/admin/keys/nosuchid", None),
    ("POST", "/v1/admin/keys/nosuchid/retire", None),
    ("GET", "/v1/admin/audit", None),
]
IDS = [f"{m} {p}" for m, p, _ in ROUTES]

# The statuses an admin gets on ROUTES, but 404 for the ids that do not exist.
ADMIN_STATUS = {
    ("POST", "/v1/admin/users"): 201, ("POST", "/v1/admin/clients"): 201,
    ("POST", "/v1/admin/keys/rotate"): 201,
}


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(FAST)


@pytest.fixture(scope="module")
def tokens(srv):
    """Tokens of several kinds: the admin's with and without scope admin, a user's."""
    admin = Admin(srv)
    u = srv.add_user(roles=("user",))
    return {
        "admin": admin.token,
        "admin_no_scope": srv.login("admin", BOOTSTRAP_PASSWORD).access_token,
        "user": srv.login(u).access_token,
    }


def send(srv, method, path, body, token=None, headers=None):
    return srv.request(method, path, token=token, json_body=body, headers=headers)


@pytest.mark.parametrize("method,path,body", ROUTES, ids=IDS)
def test_no_token_is_401_with_the_challenge(srv, method, path, body):
    r = send(srv, method, path, body)
    b = assert_error(r, 401, "invalid_token")
    assert b["error_description"] == NO_BEARER
    assert r.headers.get("WWW-Authenticate") == 'Bearer realm="tessera"'


@pytest.mark.parametrize("method,path,body", ROUTES, ids=IDS)
def test_bad_token_is_401_invalid_token(srv, method, path, body):
    assert_bearer_401(send(srv, method, path, body, token="not.a.token"))


@pytest.mark.parametrize("method,path,body", ROUTES, ids=IDS)
def test_token_without_admin_scope_is_403(srv, tokens, method, path, body):
    # a plain user, and the admin logged in without asking for scope admin
    for kind in ("user", "admin_no_scope"):
        r = send(srv, method, path, body, token=tokens[kind])
        assert_forbidden(r)


@pytest.mark.parametrize("method,path,body", ROUTES, ids=IDS)
def test_admin_token_passes(srv, tokens, method, path, body):
    r = send(srv, method, path, body, token=tokens["admin"])
    want = 404 if "nosuchid" in path else ADMIN_STATUS.get((method, path), 200)
    assert r.status_code == want, r.text
    assert "no-store" in r.headers.get("Cache-Control", "")


def test_a_user_cannot_get_scope_admin(srv):
    u = srv.add_user(roles=("user",))
    assert_error(srv.login_raw(username=u.username, password=u.password, scope="admin"),
                 400, "invalid_scope")


def test_demoted_admin_loses_the_api_at_once(make_server):
    s = make_server(FAST)
    u = s.add_user(roles=("user", "admin"))
    lg = s.login(u, scope="admin")
    assert "admin" in lg.claims["scope"].split()
    a = Admin(s, lg.access_token)
    a.ok(a.get("/users"))
    s.cli_ok("user", "set-roles", u.id, "user")
    # the token is still valid (its session lives) but its subject is no admin now
    assert s.profile(lg.access_token).status_code == 200
    assert_forbidden(a.get("/users"))


def test_disabled_admin_is_refused(make_server):
    s = make_server(FAST)
    u = s.add_user(roles=("admin",))
    a = Admin(s, s.login(u, scope="admin").access_token)
    a.ok(a.get("/keys"))
    boss = Admin(s)
    boss.ok(boss.patch(f"/users/{u.id}", {"disabled": True}))
    assert_bearer_401(a.get("/keys"))          # its sessions were revoked


def test_client_credentials_token_of_an_admin_client(make_server):
    s = make_server(FAST)
    c = s.add_client("ops-bot", roles=["admin"])
    tok = s.token_ok({"grant_type": "client_credentials", "scope": "admin"}, client=c)
    a = Admin(s, tok["access_token"])
    users = a.ok(a.get("/users"))["users"]
    assert any(u["username"] == "admin" for u in users)
    created = a.create_user(email="made-by-bot@example.com")
    evs = a.wait_events(lambda e: e, event="admin.user.create", user_id=created["id"])
    assert evs and evs[0]["detail"]["actor"] == c["client_id"]
    assert evs[0]["detail"]["actor_type"] == "client"
    # disabled, the client's token no longer opens the admin API
    s.cli_ok("client", "disable", c["client_id"])
    r = a.get("/users")
    assert r.status_code in (401, 403), r.text


def test_client_without_admin_role_is_403(make_server):
    s = make_server(FAST, **{"role.svc.scopes": "read:skills",
                             "role.svc.default_scopes": "read:skills"})
    c = s.add_client("reader", roles=["svc"])
    tok = s.token_ok({"grant_type": "client_credentials"}, client=c)["access_token"]
    assert_forbidden(Admin(s, tok).get("/users"))
    r = s.token_request({"grant_type": "client_credentials", "scope": "admin"}, client=c)
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_router_answers_on_admin_paths(srv, tokens):
    t = tokens["admin"]
    r = send(srv, "PUT", "/v1/admin/users", {"email": "x@example.com"}, token=t)
    assert_error(r, 405, "method_not_allowed")
    assert set(r.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert_error(send(srv, "GET", "/v1/admin/nothing", None, token=t), 404)
    r = srv.request("POST", "/v1/admin/users", token=t, data="email=x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 415)
    r = send(srv, "POST", "/v1/admin/users", {"email": "big@example.com",
                                              "attributes": {"x": "y" * 40000}}, token=t)
    assert_error(r, 413)
    r = send(srv, "GET", "/v1/admin/users", None, token=t,
             headers={"Content-Type": "application/json"})
    assert r.status_code == 200


@pytest.mark.parametrize("body,needle", [
    ("{", "not valid JSON"),
    ("[]", "JSON object"),
    ('{"email": "a@example.com", "email": "b@example.com"}', "not valid JSON"),
    ('{"email": 5}', "'email'"),
    ('{"email": "dup@example.com", "colour": "red"}', "colour"),
    ('{"email": "r@example.com", "roles": "admin"}', "'roles'"),
    ('{"email": "r@example.com", "roles": ["a b"]}', "'roles'"),
    ('{"email": "r@example.com", "attributes": []}', "'attributes'"),
    ('{"email": "r@example.com", "disabled": "yes"}', "'disabled'"),
    ('{"name": "no email"}', "'email'"),
    ('{"email": "not-an-email"}', "email"),
    ('{"email": "p@example.com", "password": "short"}', "password"),
])
def test_bad_user_bodies_are_400_with_a_sentence(srv, tokens, body, needle):
    r = srv.request("POST", "/v1/admin/users", token=tokens["admin"], data=body,
                    headers={"Content-Type": "application/json"})
    b = assert_error(r, 400, "invalid_request")
    assert needle in b["error_description"], b
    assert b["error_description"].endswith(".")


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "cursor=zzz",
                                   "cursor=", "disabled=maybe"])
def test_bad_list_parameters_are_400(srv, tokens, query):
    r = srv.get("/v1/admin/users?" + query, token=tokens["admin"])
    assert_error(r, 400, "invalid_request")


def test_a_cursor_of_another_list_is_refused(srv, tokens):
    a = Admin(srv, tokens["admin"])
    for i in range(3):
        a.create_client(name=f"cursor-{i}")
    nxt = a.ok(a.get("/clients", limit=1))["next"]
    assert nxt
    assert_error(a.get("/users", cursor=nxt), 400, "invalid_request")
    assert_error(a.get("/audit", cursor=nxt), 400, "invalid_request")
