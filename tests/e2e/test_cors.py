# SPDX-License-Identifier: Apache-2.0
"""CORS (docs/configuration.md [cors], docs/api.md "Browser apps on another origin"):
a browser app on a listed origin may call login, refresh and the token endpoint; its
preflight is answered, every answer on those routes (errors included) names the origin,
and the admin API and /metrics do no CORS unless cors.admin is set."""
import socket

import pytest

from admin_helpers import FAST
from harness.assertions import assert_error
from harness.cli import BOOTSTRAP_PASSWORD

APP = "https://app.example"
OTHER = "https://evil.example"
# Written in the configuration as an operator might: case, a default port, commas.
CONFIGURED = "HTTPS://App.Example:443, http://LOCALHOST:5173  http://localhost:5173"


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server({"cors.allowed_origins": CONFIGURED, "cors.max_age": 77,
                               **FAST})


def preflight(s, path, origin=APP, method="POST", headers="content-type", **kw):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return s.request("OPTIONS", path, headers=h, **kw)


def varies_on_origin(r):
    return "origin" in [v.strip().lower() for v in r.headers.get("Vary", "").split(",")]


def assert_no_cors(r):
    cors = [k for k in r.headers if k.lower().startswith("access-control-")]
    assert not cors, f"unexpected CORS headers {cors}: {dict(r.headers)}"


def assert_cors(r, origin=APP):
    assert r.headers.get("Access-Control-Allow-Origin") == origin, dict(r.headers)
    assert varies_on_origin(r), dict(r.headers)
    assert "Access-Control-Allow-Credentials" not in r.headers   # off by default


# --- preflights ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v1/auth/login", "/v1/auth/refresh", "/oauth2/token"])
def test_preflight_from_an_allowed_origin(srv, path):
    r = preflight(srv, path, headers="content-type, authorization")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_cors(r)
    assert r.headers["Access-Control-Allow-Methods"] == "POST"
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert r.headers["Access-Control-Max-Age"] == "77"


def test_preflight_names_the_paths_methods(srv):
    r = preflight(srv, "/v1/auth/sessions/abc", method="DELETE", headers="authorization")
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Methods"] == "DELETE"
    r = preflight(srv, "/v1/auth/profile", method="GET", headers="authorization")
    assert r.status_code == 204 and r.headers["Access-Control-Allow-Methods"] == "GET"


@pytest.mark.parametrize("origin", [OTHER, "null", "https://app.example.evil.example",
                                    "https://app.example:8443", "http://app.example",
                                    "https://app.example/", "not an origin"])
def test_preflight_from_another_origin_is_refused(srv, origin):
    r = preflight(srv, "/v1/auth/login", origin=origin)
    assert_error(r, 403, "access_denied")
    assert_no_cors(r)
    assert varies_on_origin(r)


def test_preflight_for_a_method_the_path_lacks(srv):
    r = preflight(srv, "/v1/auth/login", method="PUT")
    assert_error(r, 405)
    assert r.headers["Allow"] == "POST"
    assert_no_cors(r)
    assert_error(preflight(srv, "/v1/nowhere"), 404)


def test_options_that_is_no_preflight_is_405_as_before(srv):
    r = srv.request("OPTIONS", "/v1/auth/login", headers={"Origin": APP})
    assert_error(r, 405)
    assert r.headers["Allow"] == "POST"


# --- actual requests -----------------------------------------------------------------

def test_login_and_refresh_from_an_allowed_origin(srv):
    u = srv.add_user()
    r = srv.login_raw(username=u.username, password=u.password, headers={"Origin": APP})
    assert r.status_code == 200, r.text
    assert_cors(r)
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"www-authenticate", "retry-after", "x-request-id"} <= exposed
    srv.track(r.json())
    r = srv.refresh(r.json()["refresh_token"], headers={"Origin": APP})
    assert r.status_code == 200, r.text
    assert_cors(r)
    srv.track(r.json())
    r = srv.request("GET", "/v1/auth/profile", token=r.json()["access_token"],
                    headers={"Origin": APP})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == APP


def test_token_endpoint_from_an_allowed_origin(srv):
    c = srv.add_client("spa-cors", grants="client_credentials", scopes="read:skills")
    r = srv.token_request({"grant_type": "client_credentials"}, c,
                          headers={"Origin": APP})
    assert r.status_code == 200, r.text
    assert_cors(r)


def test_errors_carry_the_cors_headers(srv):
    """A 401 without them would be hidden from the page: it could not tell a wrong
    password from a network error."""
    u = srv.add_user()
    r = srv.login_raw(username=u.username, password="wrong-" + u.password,
                      headers={"Origin": APP})
    assert_error(r, 401)
    assert_cors(r)
    r = srv.request("GET", "/v1/auth/profile", headers={"Origin": APP})
    assert_error(r, 401)
    assert_cors(r)
    r = srv.request("POST", "/v1/auth/login", data=b"x", headers={
        "Origin": APP, "Content-Type": "text/plain"})
    assert_error(r, 415)
    assert_cors(r)


def test_another_origins_request_gets_no_cors_headers(srv):
    u = srv.add_user()
    r = srv.login_raw(username=u.username, password=u.password, headers={"Origin": OTHER})
    assert r.status_code == 200     # not a browser: CORS binds only browsers
    srv.track(r.json())
    assert_no_cors(r)
    assert varies_on_origin(r)


def test_vary_origin_without_an_origin(srv):
    r = srv.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert_no_cors(r)
    assert varies_on_origin(r)


def test_origins_are_compared_in_canonical_form(srv):
    """Configured as HTTPS://App.Example:443 and http://LOCALHOST:5173; a request's
    Origin is made canonical the same way, and the answer names the canonical form."""
    for sent, canonical in [(APP, APP), ("HTTPS://APP.example:443", APP),
                            ("http://localhost:5173", "http://localhost:5173")]:
        r = srv.get("/.well-known/jwks.json", headers={"Origin": sent})
        assert r.headers.get("Access-Control-Allow-Origin") == canonical, (sent, r.headers)
    for sent in ["http://localhost", "http://localhost:5174", "https://localhost:5173"]:
        assert_no_cors(srv.get("/.well-known/jwks.json", headers={"Origin": sent}))


def test_repeated_origin_header_is_400(srv):
    for name in (b"Origin", b"Access-Control-Request-Method"):
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(b"OPTIONS /v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                      b"Origin: https://app.example\r\n"
                      b"Access-Control-Request-Method: POST\r\n" + name + b": x\r\n\r\n")
            resp = s.recv(65536)
        assert resp.startswith(b"HTTP/1.1 400 "), resp[:200]


# --- the admin API and /metrics --------------------------------------------------------

def test_admin_routes_do_no_cors_by_default(srv):
    token = srv.login("admin", BOOTSTRAP_PASSWORD, scope="admin profile").access_token
    r = srv.request("GET", "/v1/admin/users", token=token, headers={"Origin": APP})
    assert r.status_code == 200
    assert_no_cors(r)
    assert not varies_on_origin(r)
    r = preflight(srv, "/v1/admin/users", method="GET", headers="authorization")
    assert_error(r, 403, "access_denied")
    assert_no_cors(r)
    r = srv.get("/metrics", headers={"Origin": APP})
    assert r.status_code == 200
    assert_no_cors(r)
    assert_error(preflight(srv, "/metrics", method="GET", headers=None), 403)


def test_cors_admin_and_credentials(make_server):
    s = make_server({"cors.allowed_origins": APP, "cors.admin": True,
                     "cors.allow_credentials": True})
    r = preflight(s, "/v1/admin/users/x", method="PATCH",
                  headers="authorization, content-type")
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert r.headers["Access-Control-Allow-Methods"] == "GET, PATCH, DELETE"
    assert r.headers["Access-Control-Max-Age"] == "600"
    token = s.login("admin", BOOTSTRAP_PASSWORD, scope="admin profile").access_token
    r = s.request("GET", "/v1/admin/users", token=token, headers={"Origin": APP})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    r = s.get("/metrics", headers={"Origin": APP})
    assert r.headers.get("Access-Control-Allow-Origin") == APP


# --- configuration -------------------------------------------------------------------

def test_no_cors_unless_configured(make_server):
    s = make_server()
    r = preflight(s, "/v1/auth/login")
    assert_error(r, 405)
    assert_no_cors(r)
    r = s.login_raw(username="nobody", password="nothing-at-all", headers={"Origin": APP})
    assert_no_cors(r)
    assert not varies_on_origin(r)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("value", ["*", "https://app.example/", "https://app.example/app",
                                   "ftp://app.example", "null", "app.example",
                                   "https://user@app.example", "https://app.example:0",
                                   "https://app.example:65536", "https://app.example:08080",
                                   "https://app.example?x", "https://app_example"])
def test_a_bad_origin_is_a_config_error(make_server, value):
    s = make_server({"cors.allowed_origins": f"{APP} {value}"}, start=False)
    r = s.cli("serve", "--check-config")
    assert r.returncode != 0, r.stdout
    assert "cors.allowed_origins" in r.stderr and value in r.stderr, r.stderr


def test_a_preflight_with_a_body_is_no_preflight_answer(srv):
    r = srv.request("OPTIONS", "/v1/auth/login", data=b"hello", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Content-Type": "application/json"})
    assert_error(r, 413)
    assert "Access-Control-Allow-Methods" not in r.headers
