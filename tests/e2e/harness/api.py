# SPDX-License-Identifier: Apache-2.0
"""Calls of tessera's endpoints as the tests make them: the native API (login, refresh,
profile, JWKS) and the OAuth 2 endpoints (token, revoke, introspect, metadata) with a
client's authentication. ApiCalls is a mixin of Server: it needs `request(method, path,
token=, json_body=, headers=, **kw)` and `secrets`, to which it adds every client
secret and form secret it sends."""
import urllib.parse

from .accounts import Login, User
from .http import basic_auth
from .jose import jwt_parts
from .leaks import track_form

TOKEN_PATH = "/oauth2/token"
REVOKE_PATH = "/oauth2/revoke"
INTROSPECT_PATH = "/oauth2/introspect"

# RFC 8705 client authentication: client_id in the body, the certificate on the TLS
# connection (or in a trusted proxy's header).
MTLS_AUTH_METHODS = ("tls_client_auth", "self_signed_tls_client_auth")


class ApiCalls:
    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, json_body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # --- OAuth 2 --------------------------------------------------------------------
    def oauth_post(self, path, data=(), client=None, auth=None, client_id=None,
                   client_secret=None, query=None, headers=None, body=None,
                   content_type="application/x-www-form-urlencoded", **kw):
        """POST to an OAuth 2 endpoint with a form body.

        data: a dict or a list of (name, value) pairs (a list may repeat a name).
        client: a dict from add_client(); client_id / client_secret override its
        values. auth: how the client authenticates: "client_secret_basic",
        "client_secret_post", "none" (client_id only in the body), "both" (Basic and
        client_secret in the body), or "" (no client authentication); default: the
        client's token_endpoint_auth_method. query: dict, pair list or string for the
        query string. body: raw bytes/str sent instead of the encoded form."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        h = dict(headers or {})
        cid = client_id if client_id is not None else (client or {}).get("client_id")
        sec = client_secret if client_secret is not None else \
            (client or {}).get("client_secret")
        if auth is None:
            auth = (client or {}).get("token_endpoint_auth_method",
                                      "client_secret_basic") if client or cid else ""
        if auth in ("client_secret_basic", "both"):
            h["Authorization"] = basic_auth(cid, sec or "")
            self.secrets.add(h["Authorization"].split(" ", 1)[1])
            if sec:
                self.secrets.add(sec)
        if auth in ("client_secret_post", "both"):
            if auth == "client_secret_post":
                pairs.append(("client_id", cid))
            pairs.append(("client_secret", sec or ""))
        if auth == "none":
            pairs.append(("client_id", cid))
        if auth in MTLS_AUTH_METHODS:
            pairs.append(("client_id", cid))
        track_form(self.secrets, pairs)
        if body is None:
            body = urllib.parse.urlencode(pairs)
        if content_type is not None:
            h.setdefault("Content-Type", content_type)
        if query:
            path += "?" + (query if isinstance(query, str)
                           else urllib.parse.urlencode(query))
        return self.request("POST", path, headers=h, data=body, **kw)

    def token_request(self, data=(), client=None, **kw):
        return self.oauth_post(TOKEN_PATH, data, client=client, **kw)

    def token_ok(self, data=(), client=None, **kw):
        """A token request that must answer 200; returns the JSON body."""
        r = self.token_request(data, client, **kw)
        assert r.status_code == 200, f"token: {r.status_code} {r.text}"
        assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
        return r.json()

    def revoke(self, token, client=None, hint=None, **kw):
        data = [("token", token)]
        if hint is not None:
            data.append(("token_type_hint", hint))
        return self.oauth_post(REVOKE_PATH, data, client=client, **kw)

    def introspect(self, token, client=None, hint=None, **kw):
        data = [("token", token)]
        if hint is not None:
            data.append(("token_type_hint", hint))
        return self.oauth_post(INTROSPECT_PATH, data, client=client, **kw)

    def introspect_ok(self, token, client=None, hint=None, **kw):
        r = self.introspect(token, client, hint, **kw)
        assert r.status_code == 200, f"introspect: {r.status_code} {r.text}"
        return r.json()

    def metadata(self, path="/.well-known/oauth-authorization-server"):
        r = self.get(path)
        assert r.status_code == 200, r.text
        return r.json()

    # --- native API -----------------------------------------------------------------
    def login_raw(self, username=None, password=None, email=None, scope=None, query="",
                  **kw):
        body = {}
        if username is not None:
            body["username"] = username
        if email is not None:
            body["email"] = email
        if password is not None:
            body["password"] = password
        if scope is not None:
            body["scope"] = scope
        return self.post("/v1/auth/login" + query, body, **kw)

    def login(self, user=None, password=None, **kw):
        """Logs in (by username, or by email when the user has none); asserts 200."""
        if isinstance(user, User):
            password = user.password if password is None else password
            if user.username:
                kw.setdefault("username", user.username)
            else:
                kw.setdefault("email", user.email)
        elif user is not None:
            kw.setdefault("username", user)
        r = self.login_raw(password=password, **kw)
        assert r.status_code == 200, f"login: {r.status_code} {r.text}"
        b = r.json()
        h, c = jwt_parts(b["access_token"])
        return Login(b, b["access_token"], b.get("refresh_token"), c, h)

    def refresh(self, refresh_token, field="refresh_token", **kw):
        self.secrets.add(refresh_token)
        return self.post("/v1/auth/refresh", {field: refresh_token}, **kw)

    def profile(self, token, path="/v1/auth/profile"):
        return self.get(path, token=token)

    def jwks(self):
        r = self.get("/.well-known/jwks.json")
        assert r.status_code == 200, r.text
        return r.json()
