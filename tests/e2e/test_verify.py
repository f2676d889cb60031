"""GET /v1/auth/verify, forward auth (SPEC section 5): route policies (first match wins,
a default for the rest), the X-Original-* and X-Forwarded-* header families, 200 with
X-Auth-* headers, 401/403 with RFC 6750 challenges, revocation, and the verified-token
cache (a repeated token costs no signature; a logout still takes effect at once)."""
import pytest

POLICY = {
    "role.user.scopes": "profile read:skills",
    "policy.health.path": "/healthz", "policy.health.public": True,
    "policy.admin.path": "/admin/*", "policy.admin.roles": "admin",
    "policy.skills.path": "/v1/skills*", "policy.skills.methods": "GET HEAD",
    "policy.skills.scopes": "read:skills",
    "policy.write.path": "/v1/skills*", "policy.write.roles": "editor",
    "verify.default": "deny",
}


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(POLICY)


def verify(s, uri, token=None, method=None, family="original"):
    h = {"X-Original-URI": uri} if family == "original" else {"X-Forwarded-Uri": uri}
    if method:
        h["X-Original-Method" if family == "original" else "X-Forwarded-Method"] = method
    return s.get("/v1/auth/verify", token=token, headers=h)


def login(s, u, scope=None):
    return s.login(u, scope=scope).access_token if scope else s.login(u).access_token


def test_allowed_with_x_auth_headers(srv):
    u = srv.add_user(roles=("user",))
    t = login(srv, u, "read:skills")
    for family in ("original", "forwarded"):
        r = verify(srv, "/v1/skills/7?page=2", t, "GET", family)
        assert r.status_code == 200, r.text
        assert r.headers["X-Auth-Subject"] == u.id
        assert r.headers["X-Auth-Roles"] == "user"
        assert r.headers["X-Auth-Scope"] == "read:skills"


def test_401_without_or_with_a_bad_token(srv):
    r = verify(srv, "/v1/skills")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = verify(srv, "/v1/skills", "not.a.token")
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_403_for_a_missing_scope_or_role(srv):
    u = srv.add_user(roles=("user",))
    t = login(srv, u)                                     # profile only
    r = verify(srv, "/v1/skills", t, "GET")
    assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
    r = verify(srv, "/admin/panel", t)
    assert r.status_code == 403 and "admin" in r.json()["error_description"]
    # POST is not GET/HEAD: the next rule (editor role) decides
    t2 = login(srv, u, "read:skills")
    assert verify(srv, "/v1/skills", t2, "POST").status_code == 403


def test_public_rule_and_deny_default(srv):
    assert verify(srv, "/healthz").status_code == 200
    u = srv.add_user(roles=("user",))
    r = verify(srv, "/somewhere/else", login(srv, u))
    assert r.status_code == 403 and "No policy allows" in r.json()["error_description"]


def test_revocation_applies_even_to_a_cached_token(srv):
    u = srv.add_user(roles=("user",))
    t = login(srv, u, "read:skills")
    for _ in range(5):                                    # cached after the first
        assert verify(srv, "/v1/skills", t).status_code == 200
    assert srv.post("/v1/auth/logout", token=t).status_code == 204
    assert verify(srv, "/v1/skills", t).status_code == 401


def test_default_authenticated_needs_just_a_valid_token(make_server):
    s = make_server()
    u = s.add_user()
    assert verify(s, "/anything", login(s, u)).status_code == 200
    assert verify(s, "/anything").status_code == 401


def test_bad_policy_config_is_refused(make_server):
    s = make_server(start=False, **{"policy__x__path": "no-slash"})
    r = s.cli("serve", "--check-config")
    assert r.returncode != 0 and "policy.x.path" in r.stderr
