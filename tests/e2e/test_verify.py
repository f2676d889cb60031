# SPDX-License-Identifier: Apache-2.0
"""GET /v1/auth/verify, forward auth (docs/forward-auth.md): route policies (first match wins,
a default for the rest), the X-Original-* and X-Forwarded-* header families, 200 with
X-Auth-* headers, 401/403 with RFC 6750 challenges, revocation, and the verified-token
cache (a repeated token costs no signature; a logout still takes effect at once)."""
import pytest

from forward_auth_rules import OPEN_POLICY

POLICY = {
    "role.user.scopes": "profile read:skills",
    "role.editor.scopes": "profile",      # defined, so users may hold it
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


def verify(s, uri, token=None, method="GET", family="original"):
    h = {"X-Original-URI": uri} if family == "original" else {"X-Forwarded-Uri": uri}
    if method is not None:
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


# --- one canonical path and method (issue 15): the spelling of the original request
# never changes which rule decides -----------------------------------------------------


# Each names a route that needs editor or admin, as an API that decodes its path,
# resolves dot segments and merges slashes routes it.
PROTECTED = [
    "/v1/%73kills/1", "/v1/%73%6B%69%6c%6C%73", "//v1/admin-api/users",
    "/v1//admin-api/users", "/v1/./admin-api/x", "/v1/x/../admin-api/x",
    "/v1/public/../skills/1", "/v1/public/%2e%2e/admin-api/x", "/x/../v1/skills?a=/v1/public",
    "/v1/caf%C3%A9", "/v1/caf%c3%a9/1", b"/v1/caf\xc3\xa9/2",
]

# Refused with 400: no one spelling that every server reads the same way.
UNSAFE = [
    "/v1%2Fadmin-api/users", "/v1/%2fadmin-api", "/v1/%5Cadmin-api", "/v1\\admin-api/x",
    "/v1/public%00/../../admin-api/x", "/v1/%", "/v1/%zz", "/v1/%2573kills",
    "/../v1/skills", "/v1/a//../admin-api/x", "/v1/public/..;/admin-api/x",
    "/v1/public#/../../admin-api/x", "v1/skills", "*",
]


@pytest.fixture(scope="module")
def open_srv(make_module_server):
    return make_module_server(OPEN_POLICY)


@pytest.fixture(scope="module")
def tokens(open_srv):
    t = {}
    for role in ("user", "editor", "admin"):
        u = open_srv.add_user(roles=(role,))
        t[role] = login(open_srv, u)
    return t


@pytest.mark.parametrize("family", ["original", "forwarded"])
def test_every_spelling_of_a_protected_path_needs_its_role(open_srv, tokens, family):
    for uri in PROTECTED:
        r = verify(open_srv, uri, tokens["user"], "GET", family)
        assert r.status_code == 403, (uri, r.status_code, r.text)
        assert r.json()["error"] == "insufficient_scope"
        needed = "admin" if b"admin" in (uri if isinstance(uri, bytes) else uri.encode()) \
            else "editor"
        assert needed in r.json()["error_description"], (uri, r.text)
        ok = verify(open_srv, uri, tokens[needed], "GET", family)
        assert ok.status_code == 200, (uri, ok.text)
    # the public rule covers its own paths only, whatever the spelling
    assert verify(open_srv, "/v1/public/x").status_code == 200
    assert verify(open_srv, "/v1/%70ublic/./x", family=family).status_code == 200
    r = verify(open_srv, "/v1/public/../skills/1", family=family)
    assert r.status_code == 401, r.text


def test_a_method_in_lower_case_is_judged_as_the_upper_case_one(open_srv, tokens):
    for m in ("post", "Post", "POST", "delete"):
        for family in ("original", "forwarded"):
            r = verify(open_srv, "/v1/notes/1", tokens["user"], m, family)
            assert r.status_code == 403 and "editor" in r.json()["error_description"], \
                (m, family, r.text)
        assert verify(open_srv, "/v1/notes/1", tokens["editor"], m).status_code == 200
    # GET is not in the rule's methods: the default (any valid token) decides
    assert verify(open_srv, "/v1/notes/1", tokens["user"], "get").status_code == 200


def test_unsafe_uris_and_bad_methods_are_400(open_srv, tokens):
    for uri in UNSAFE:
        for family in ("original", "forwarded"):
            r = verify(open_srv, uri, tokens["editor"], "GET", family)
            assert r.status_code == 400, (uri, family, r.status_code, r.text)
            body = r.json()
            assert body["error"] == "invalid_request", body
            assert body["error_description"].startswith("The original URI is refused: "), \
                body
    for m in ("P(OST", "GET,POST", "G ET", "GÉT".encode(), "A" * 32):
        r = verify(open_srv, "/v1/notes/1", tokens["editor"], m)
        assert r.status_code == 400, (m, r.text)
        assert "method" in r.json()["error_description"]
    # the longest path taken, and one byte more
    assert verify(open_srv, "/" + "a" * 2046, tokens["user"]).status_code == 200
    r = verify(open_srv, "/" + "a" * 2047, tokens["user"])
    assert r.status_code == 400 and "too long" in r.json()["error_description"]


def test_a_check_without_the_original_request_is_400(open_srv, tokens):
    """A proxy that forgets the original method or URI fails closed: nothing is
    judged as some default request (docs/forward-auth.md)."""
    t = tokens["editor"]
    for h, missing in (({}, "URI"), ({"X-Original-Method": "GET"}, "URI"),
                       ({"X-Original-URI": "/v1/notes/1"}, "method"),
                       ({"X-Forwarded-Uri": "/v1/notes/1"}, "method"),
                       ({"X-Original-URI": "", "X-Original-Method": "GET"}, "URI")):
        for token in (t, None):
            r = open_srv.get("/v1/auth/verify", token=token, headers=h)
            assert r.status_code == 400, (h, r.status_code, r.text)
            assert r.json()["error"] == "invalid_request"
            assert missing in r.json()["error_description"], r.text


def test_a_rule_no_canonical_path_could_match_is_a_config_error(make_server):
    for path, why in (("/v1/../admin/*", "'..'"), ("//admin/*", "empty segment"),
                      ("/v1%2Fadmin", "encoded '/'")):
        s = make_server(start=False, **{"policy__x__path": path})
        r = s.cli("serve", "--check-config")
        assert r.returncode != 0 and "policy.x.path" in r.stderr and why in r.stderr, \
            (path, r.stderr)
    s = make_server(start=False, **{"policy__x__path": "/v1/x", "policy__x__methods": "GE(T"})
    r = s.cli("serve", "--check-config")
    assert r.returncode != 0 and "policy.x.methods" in r.stderr, r.stderr
