# SPDX-License-Identifier: Apache-2.0
"""Every 401 names a challenge (RFC 9110 section 15.5.2; docs/api.md): Bearer on the
endpoints that take a token, Basic where a client used Basic, and the scheme "Tessera"
where the credentials go in the body (a login, a refresh token, a client's form
credentials), which no browser answers with a password dialog."""
import re

import pytest

from harness.api import TOKEN_PATH
from harness.assertions import assert_error

TESSERA = re.compile(r'^Tessera realm="tessera", error="([a-z_]+)"$')


def tessera_challenge(r, error):
    assert_error(r, 401, error)
    www = r.headers.get("WWW-Authenticate", "")
    m = TESSERA.match(www)
    assert m and m.group(1) == error, f"WWW-Authenticate {www!r}"


def test_failed_login_names_a_challenge(server):
    u = server.add_user()
    server.secrets.add("not-the-password")
    tessera_challenge(server.login_raw(username=u.username, password="not-the-password"),
                      "invalid_credentials")
    tessera_challenge(server.login_raw(username="nobody-here", password="not-the-password"),
                      "invalid_credentials")


def test_bad_refresh_token_names_a_challenge(server):
    tessera_challenge(server.refresh("not-a-refresh-token-" + "x" * 30), "invalid_grant")


def test_client_secret_post_failure_names_no_basic(server):
    c = server.add_client("post-client", auth_method="client_secret_post",
                          grants=["client_credentials"])
    r = server.token_request({"grant_type": "client_credentials"}, c,
                             client_secret="wrong-secret-value")
    tessera_challenge(r, "invalid_client")


def test_basic_failure_keeps_basic(server):
    c = server.add_client("basic-client", grants=["client_credentials"])
    r = server.token_request({"grant_type": "client_credentials"}, c,
                             client_secret="wrong-secret-value")
    assert_error(r, 401, "invalid_client")
    assert r.headers["WWW-Authenticate"].startswith('Basic realm="tessera"')


def test_bearer_routes_keep_bearer(server):
    r = server.get("/v1/auth/profile")
    assert_error(r, 401, "invalid_token")
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="tessera"'


@pytest.mark.parametrize("path", [TOKEN_PATH, "/oauth2/revoke", "/oauth2/introspect"])
def test_missing_client_authentication_names_a_challenge(server, path):
    r = server.oauth_post(path, {"grant_type": "client_credentials", "token": "x"})
    assert_error(r, 401, "invalid_client")
    assert r.headers.get("WWW-Authenticate"), r.headers
