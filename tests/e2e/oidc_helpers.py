# SPDX-License-Identifier: Apache-2.0
"""Helpers of the browser-flow tests (tests/e2e/test_oidc_*.py, docs/oidc.md): a
browser made of a requests.Session (cookies kept, redirects not followed), PKCE
pairs, the login page's hidden fields, and the redirect's parameters."""
import base64
import hashlib
import html
import re
import secrets
import urllib.parse

import requests

REDIRECT = "http://127.0.0.1/cb"


def pkce():
    """A (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def add_web_client(srv, public=True, redirect_uris=(REDIRECT,), name=None, **opts):
    """A client of the code flow, through `tessera client add`."""
    args = ["client", "add", name or "web-" + secrets.token_hex(3),
            "--grants", opts.pop("grants", "authorization_code,refresh_token"),
            "--redirect-uris", ",".join(redirect_uris)]
    if public:
        args.append("--public")
    for k, v in opts.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    import json
    c = json.loads(srv.cli_ok(*args).stdout)
    if c.get("client_secret"):
        srv.secrets.add(c["client_secret"])
    return c


def hidden_fields(page):
    """The hidden inputs of a page's form, unescaped."""
    return {m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)}


def query_of(location):
    u = urllib.parse.urlsplit(location)
    q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
    assert all(len(v) == 1 for v in q.values()), location
    return f"{u.scheme}://{u.netloc}{u.path}", {k: v[0] for k, v in q.items()}


class Browser:
    """A browser without a renderer: a cookie jar, no redirects followed."""

    def __init__(self, srv):
        self.srv = srv
        self.s = requests.Session()

    def authorize(self, client, method="GET", **params):
        p = {"client_id": client["client_id"], "redirect_uri": REDIRECT,
             "response_type": "code", "scope": "profile"}
        p.update(params)
        p = {k: v for k, v in p.items() if v is not None}
        if method == "GET":
            return self.s.get(self.srv.url + "/oauth2/authorize", params=p,
                              allow_redirects=False, timeout=30)
        return self.s.post(self.srv.url + "/oauth2/authorize", data=p,
                           allow_redirects=False, timeout=30)

    def login(self, page, login, password, **override):
        """Posts the login form of `page` (a response showing it)."""
        f = hidden_fields(page.text)
        form = {"csrf": f["csrf"], "request": f["request"], "login": login,
                "password": password}
        form.update(override)
        form = {k: v for k, v in form.items() if v is not None}
        return self.s.post(self.srv.url + "/oauth2/login", data=form,
                           allow_redirects=False, timeout=30)

    def code(self, client, user, **params):
        """authorize, log in when asked, and the code of the redirect."""
        r = self.authorize(client, **params)
        if r.status_code == 200 and 'name="password"' in r.text:
            r = self.login(r, user.email, user.password)
        assert r.status_code == 303, (r.status_code, r.text[:300])
        _, q = query_of(r.headers["Location"])
        assert "code" in q, q
        self.srv.secrets.add(q["code"])
        return q


def exchange(srv, client, code, verifier, redirect_uri=REDIRECT, **extra):
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    auth = "none" if client.get("public") else None
    return srv.token_request(data, client=client, auth=auth)
