# SPDX-License-Identifier: Apache-2.0
"""Audiences (RFC 8707 resource indicators, RFC 9068 `aud`; docs/oauth2.md "Audiences"):
`resource` and its alias `audience` on /oauth2/token (every grant) and on login,
checked against the user's roles and the client's `audiences`, kept by the session and
narrowed at refresh; a token for one API refused by another, by forward auth, by the
server's own Bearer routes and by PyJWT."""
import secrets

import jwt as pyjwt
import pytest

from harness.assertions import assert_bearer_401, assert_oauth_error
from harness.jose import jwt_parts, verify_jwt

A = "https://api-a.example.com"
B = "https://api-b.example.com"
C = "https://api-c.example.com"
SETTINGS = {
    "role.user.scopes": "profile read",
    "role.user.audiences": f"{A}, {B}",
    "role.svc.scopes": "read",
    "role.svc.default_scopes": "read",
    "role.svc.audiences": A,
    "policy.a.path": "/a/*", "policy.a.audience": A,
    "policy.b.path": "/b/*", "policy.b.audience": B,
}
USER_GRANTS = ["password", "refresh_token"]


def tag():
    return secrets.token_hex(4)


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


def aud_of(token):
    return jwt_parts(token)[1]["aud"]


def password_form(user, *extra):
    return [("grant_type", "password"), ("username", user.username),
            ("password", user.password), *extra]


def verify(s, uri, token):
    return s.get("/v1/auth/verify", token=token, headers={"X-Original-URI": uri,
                                                       "X-Original-Method": "GET"})


def test_no_resource_keeps_the_default_audience(srv):
    svc = srv.add_client("svc-" + tag(), roles=["svc"])
    t = srv.token_ok({"grant_type": "client_credentials"}, svc)["access_token"]
    assert aud_of(t) == "tessera"
    u = srv.add_user()
    lg = srv.login(u)
    assert lg.claims["aud"] == "tessera"
    assert srv.profile(lg.access_token).status_code == 200


def test_client_credentials_for_one_api_is_refused_by_another(srv):
    svc = srv.add_client("svc-" + tag(), roles=["svc"], audiences=[A])
    t = srv.token_ok([("grant_type", "client_credentials"), ("resource", A)],
                     svc)["access_token"]
    assert aud_of(t) == A                                   # one value: a string
    assert verify_jwt(srv, t, audience=A)["sub"] == svc["client_id"]
    with pytest.raises(pyjwt.InvalidAudienceError):
        verify_jwt(srv, t, audience=B)
    with pytest.raises(pyjwt.InvalidAudienceError):
        verify_jwt(srv, t)                                  # nor the server's "tessera"
    assert verify(srv, "/a/items", t).status_code == 200
    assert_bearer_401(verify(srv, "/b/items", t))
    assert_bearer_401(verify(srv, "/elsewhere", t))         # verify.audience: tessera
    # the alias names the same audience
    t2 = srv.token_ok([("grant_type", "client_credentials"), ("audience", A)],
                      svc)["access_token"]
    assert aud_of(t2) == A


def test_client_credentials_outside_what_the_client_may_ask(srv):
    svc = srv.add_client("svc-" + tag(), roles=["svc"], audiences=[A])
    r = srv.token_request([("grant_type", "client_credentials"), ("resource", B)], svc)
    assert_oauth_error(r, 400, "invalid_target")
    assert B in r.json()["error_description"]
    # without a list of its own, the client's roles decide: svc grants A only
    bare = srv.add_client("svc-" + tag(), roles=["svc"])
    assert aud_of(srv.token_ok([("grant_type", "client_credentials"), ("resource", A)],
                               bare)["access_token"]) == A
    assert_oauth_error(srv.token_request(
        [("grant_type", "client_credentials"), ("resource", B)], bare), 400,
        "invalid_target")
    # the default audience may always be named
    assert aud_of(srv.token_ok([("grant_type", "client_credentials"),
                                ("audience", "tessera")], svc)["access_token"]) == "tessera"


@pytest.mark.parametrize("value", ["api-a", "/relative/path", f"{A}#frag", "http:",
                                   "https://a.example/ x", "x" * 300])
def test_malformed_resource_is_invalid_target(srv, value):
    svc = srv.add_client("svc-" + tag(), roles=["svc"])
    r = srv.token_request([("grant_type", "client_credentials"), ("resource", value)], svc)
    assert_oauth_error(r, 400, "invalid_target")


def test_too_many_resources_is_invalid_target(srv):
    svc = srv.add_client("svc-" + tag(), roles=["svc"])
    form = [("grant_type", "client_credentials")] + \
        [("resource", f"https://r{i}.example") for i in range(9)]
    assert_oauth_error(srv.token_request(form, svc), 400, "invalid_target")


def test_empty_resource_is_invalid_request(srv):
    svc = srv.add_client("svc-" + tag(), roles=["svc"])
    r = srv.token_request([("grant_type", "client_credentials"), ("resource", "")], svc)
    assert_oauth_error(r, 400, "invalid_request")


def test_other_parameters_still_may_not_repeat(srv):
    svc = srv.add_client("svc-" + tag(), roles=["svc"])
    r = srv.token_request([("grant_type", "client_credentials"), ("scope", "read"),
                           ("scope", "read")], svc)
    assert_oauth_error(r, 400, "invalid_request")


def test_password_grant_several_resources_and_refresh_narrows(srv):
    u = srv.add_user()
    app = srv.add_client("app-" + tag(), grants=USER_GRANTS)
    b = srv.token_ok(password_form(u, ("resource", A), ("resource", B),
                                   ("resource", A)), app)
    assert aud_of(b["access_token"]) == [A, B]             # several: an array, no repeats
    assert verify_jwt(srv, b["access_token"], audience=B)["sub"] == u.id
    rt = b["refresh_token"]
    # refresh without a resource keeps the session's audience
    b2 = srv.token_ok({"grant_type": "refresh_token", "refresh_token": rt}, app)
    assert aud_of(b2["access_token"]) == [A, B]
    rt = b2["refresh_token"]
    # a narrower one
    b3 = srv.token_ok([("grant_type", "refresh_token"), ("refresh_token", rt),
                       ("resource", B)], app)
    assert aud_of(b3["access_token"]) == B
    assert_bearer_401(verify(srv, "/a/x", b3["access_token"]))
    assert verify(srv, "/b/x", b3["access_token"]).status_code == 200
    rt = b3["refresh_token"]
    # never a wider one: the refused refresh leaves the token usable
    for extra in (("resource", C), ("audience", "tessera")):
        r = srv.token_request([("grant_type", "refresh_token"), ("refresh_token", rt),
                               extra], app)
        assert_oauth_error(r, 400, "invalid_target")
    b4 = srv.token_ok({"grant_type": "refresh_token", "refresh_token": rt}, app)
    assert aud_of(b4["access_token"]) == [A, B]
    intro = srv.introspect_ok(b4["access_token"], app)
    assert intro["active"] and intro["aud"] == [A, B]
    intro = srv.introspect_ok(b4["refresh_token"], app)
    assert intro["active"] and intro["aud"] == [A, B]


def test_password_grant_limited_by_roles_and_client(srv):
    u = srv.add_user()
    app = srv.add_client("app-" + tag(), grants=USER_GRANTS, audiences=[A])
    assert aud_of(srv.token_ok(password_form(u, ("resource", A)), app)
                  ["access_token"]) == A
    r = srv.token_request(password_form(u, ("resource", B)), app)  # roles yes, client no
    assert_oauth_error(r, 400, "invalid_target")
    app2 = srv.add_client("app-" + tag(), grants=USER_GRANTS, audiences=[C])
    r = srv.token_request(password_form(u, ("resource", C)), app2)  # client yes, roles no
    assert_oauth_error(r, 400, "invalid_target")
    # no session was made by the refused requests
    n = srv.sql("SELECT count(*) FROM sessions WHERE user_id = ?", u.id)
    assert int(n[0][0]) == 1


def test_login_with_resource(srv):
    u = srv.add_user()
    r = srv.post("/v1/auth/login", {"username": u.username, "password": u.password,
                                    "resource": A})
    assert r.status_code == 200, r.text
    t = r.json()["access_token"]
    assert aud_of(t) == A
    # the server's own API is the audience "tessera": a token for A is not for it
    assert_bearer_401(srv.profile(t))
    assert verify(srv, "/a/1", t).status_code == 200
    # the native refresh keeps the audience
    r2 = srv.refresh(r.json()["refresh_token"])
    assert r2.status_code == 200, r2.text
    assert aud_of(r2.json()["access_token"]) == A
    # an array, with the server's own audience through the alias
    r = srv.post("/v1/auth/login", {"username": u.username, "password": u.password,
                                    "resource": [A], "audience": ["tessera"]})
    assert r.status_code == 200, r.text
    t = r.json()["access_token"]
    assert aud_of(t) == [A, "tessera"]
    assert srv.profile(t).status_code == 200
    r = srv.post("/v1/auth/login", {"username": u.username, "password": u.password,
                                    "resource": C})
    assert r.status_code == 400 and r.json()["error"] == "invalid_target", r.text
    for bad in (7, {"x": A}, [A, 3], [""]):
        r = srv.post("/v1/auth/login", {"username": u.username, "password": u.password,
                                        "resource": bad})
        assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text


def test_default_token_is_refused_where_an_audience_is_required(srv):
    u = srv.add_user()
    t = srv.login(u).access_token                      # aud "tessera"
    assert_bearer_401(verify(srv, "/a/1", t))
    assert verify(srv, "/other", t).status_code == 200


def test_client_audiences_through_cli_and_admin_api(srv):
    c = srv.add_client("svc-" + tag(), audiences=[A, B, A])
    assert c["audiences"] == [A, B]
    r = srv.cli("client", "add", "bad-" + tag(), "--audiences", "a b\x01")
    assert r.returncode != 0 and "audience" in r.stderr
    shown = srv.cli_ok("client", "show", c["client_id"])
    assert '"audiences"' in shown.stdout


def test_configuration_refuses_a_bad_audience(make_server):
    for key, value in (("role.user.audiences", "a\tb"), ("server.audience", "a b"),
                       ("policy.x.audience", "a b"), ("verify.audience", "x,y")):
        s = make_server({key: value, "policy.x.path": "/x"}, start=False)
        r = s.cli("user", "list")
        assert r.returncode != 0 and key.split(".")[-1] in r.stderr, (key, r.stderr)


def test_client_audiences_through_the_admin_api(srv):
    from admin_helpers import Admin
    admin = Admin(srv)
    c = admin.create_client(name="svc-" + tag(), roles=["svc"], audiences=[B])
    assert c["audiences"] == [B]
    t = srv.token_ok([("grant_type", "client_credentials"), ("resource", B)],
                     c)["access_token"]
    assert aud_of(t) == B                       # the client's list grants, roles or not
    secret = c["client_secret"]
    c = admin.ok(admin.patch("/clients/" + c["client_id"], {"audiences": [A]}))
    assert c["audiences"] == [A]
    c["client_secret"] = secret
    r = srv.token_request([("grant_type", "client_credentials"), ("resource", B)], c)
    assert_oauth_error(r, 400, "invalid_target")
    r = admin.patch("/clients/" + c["client_id"], {"audiences": ["has space"]})
    assert r.status_code == 400 and "audience" in r.json()["error_description"], r.text
    c = admin.ok(admin.patch("/clients/" + c["client_id"], {"audiences": []}))
    assert c["audiences"] == []
