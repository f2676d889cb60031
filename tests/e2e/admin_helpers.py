# SPDX-License-Identifier: Apache-2.0
"""Helpers of the admin API tests (tests/e2e/test_admin_*.py, docs/api.md "Admin API").

An admin token is the bootstrap admin's, logged in asking for scope `admin`: its role
grants the scope, but a login without `scope` gets the role's default scopes only."""
import json
import time
import urllib.parse

from harness.assertions import assert_error
from harness.cli import BOOTSTRAP_PASSWORD

# Fast password hashing, so tests can create many users.
FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1}


class Admin:
    """Calls /v1/admin/... on `srv` with an admin token."""

    def __init__(self, srv, token=None):
        self.srv = srv
        self.token = token or srv.login("admin", BOOTSTRAP_PASSWORD,
                                        scope="admin profile").access_token

    def call(self, method, path, body=None, token=None, **params):
        q = {k: v for k, v in params.items() if v is not None}
        if q:
            path += "?" + urllib.parse.urlencode(q)
        return self.srv.request(method, "/v1/admin" + path,
                                token=self.token if token is None else token,
                                json_body=body)

    def get(self, path, **params):
        return self.call("GET", path, **params)

    def post(self, path, body=None, **params):
        return self.call("POST", path, body, **params)

    def patch(self, path, body, **params):
        return self.call("PATCH", path, body, **params)

    def delete(self, path, **params):
        return self.call("DELETE", path, **params)

    def ok(self, r, status=200):
        assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
        if status == 204:
            assert r.content == b""
            return None
        assert "no-store" in r.headers.get("Cache-Control", ""), dict(r.headers)
        return r.json()

    # --- resources ------------------------------------------------------------------
    def create_user(self, **body):
        if "password" in body:
            self.srv.secrets.add(body["password"])
        return self.ok(self.post("/users", body), 201)

    def create_client(self, **body):
        c = self.ok(self.post("/clients", body), 201)
        if c.get("client_secret"):
            self.srv.secrets.add(c["client_secret"])
        return c

    def walk(self, path, key, limit, **params):
        """Every item of a paged list, following `next` with pages of `limit`; returns
        (items, number of pages)."""
        items, pages, cursor = [], 0, None
        while True:
            body = self.ok(self.get(path, limit=limit, cursor=cursor, **params))
            assert set(body) == {key, "next"}, body
            assert len(body[key]) <= limit
            items += body[key]
            pages += 1
            cursor = body["next"]
            if cursor is None:
                return items, pages
            assert len(body[key]) == limit, "a page before the last one is full"
            assert pages < 1000

    def audit(self, **params):
        """Every stored event the filters select (all pages)."""
        return self.walk("/audit", "events", 500, **params)[0]

    def wait_events(self, pred, timeout=5.0, **params):
        """The events (params as for audit) once pred(events) holds: the audit writer
        stores them a moment after the request."""
        deadline = time.monotonic() + timeout
        while True:
            evs = self.audit(**params)
            if pred(evs) or time.monotonic() > deadline:
                return evs
            time.sleep(0.05)


def assert_forbidden(r):
    """403 insufficient_scope with the RFC 6750 challenge."""
    assert_error(r, 403, "insufficient_scope")
    www = r.headers.get("WWW-Authenticate", "")
    assert www.startswith("Bearer") and 'error="insufficient_scope"' in www, www


def dumps(obj):
    return json.dumps(obj, sort_keys=True)
