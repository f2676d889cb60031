# SPDX-License-Identifier: Apache-2.0
"""Assertions on the answers the test files share: the JSON error body of SPEC
section 2, OAuth 2 errors (RFC 6749 section 5.2, docs/oauth2.md), Bearer challenges
(RFC 6750), and user objects that must not show a password."""

NO_BEARER = ("You must specify a Bearer token in the Authorization header to access "
             "this resource")

# docs/oauth2.md: the error_uri of every OAuth 2 error.
OAUTH_ERROR_URI = "https://datatracker.ietf.org/doc/html/rfc6749#section-5.2"


def assert_error(r, status, error=None):
    """The response is `status` with the JSON error body of SPEC section 2."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), \
        f"error content type {r.headers.get('Content-Type')!r}"
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("error_description"), str) and body["error_description"], body
    if error is not None:
        assert body["error"] == error, body
    if status == 401:   # RFC 9110 15.5.2: every 401 names a challenge
        assert r.headers.get("WWW-Authenticate"), f"401 without a challenge: {r.text}"
    return body


def assert_bearer_401(r, invalid_token=True):
    """401 of a Bearer endpoint: WWW-Authenticate: Bearer ..., with error="invalid_token"
    when a token was sent (RFC 6750 section 3)."""
    assert_error(r, 401)
    www = r.headers.get("WWW-Authenticate", "")
    assert www.startswith("Bearer"), f"WWW-Authenticate {www!r}"
    if invalid_token:
        assert 'error="invalid_token"' in www, f"WWW-Authenticate {www!r}"


def no_password_fields(obj, path="user"):
    """Fails if a JSON object anywhere holds a password or a hash."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            kl = k.lower()
            assert "password" not in kl and "hash" not in kl and kl not in ("salt",), \
                f"{path}.{k} exposed"
            no_password_fields(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            no_password_fields(v, f"{path}[{i}]")
    elif isinstance(obj, str):
        assert not obj.startswith(("$argon2", "$2a$", "$2b$", "$2y$", "$pbkdf2")), \
            f"{path} looks like a password hash"


def assert_oauth_error(r, status, error, basic=None, no_store=True):
    """An OAuth 2 error (RFC 6749 section 5.2, docs/oauth2.md): `status`, JSON with
    `error`, a non-empty `error_description` and the `error_uri` of the docs. For 401:
    `WWW-Authenticate: Basic realm="tessera"` when the request used Basic (basic=True),
    none otherwise (basic=False); basic=None does not look."""
    body = assert_error(r, status, error)
    assert body.get("error_uri") == OAUTH_ERROR_URI, body
    if no_store:
        assert "no-store" in r.headers.get("Cache-Control", ""), dict(r.headers)
        assert "no-cache" in r.headers.get("Pragma", ""), dict(r.headers)
    www = r.headers.get("WWW-Authenticate")
    if basic is True:
        assert status == 401
        assert www is not None and www.startswith("Basic") and 'realm="tessera"' in www, \
            f"WWW-Authenticate {www!r}"
    elif basic is False:
        assert www is None or "basic" not in www.lower(), f"WWW-Authenticate {www!r}"
    return body
