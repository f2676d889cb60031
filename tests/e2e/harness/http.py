# SPDX-License-Identifier: Apache-2.0
"""HTTP of the tests: the requests sessions of one server (HttpClient), which record
every secret a request or response carries; raw-socket reads; Basic credentials."""
import base64
import json
import time
import socket
import urllib.parse

import requests

from .leaks import track_json

HTTP_TIMEOUT = 15.0


def read_all(sock):
    """Every byte a raw socket receives until the server closes it (or a reset or the
    socket's timeout ends the wait)."""
    chunks = []
    while True:
        try:
            b = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


def basic_auth(client_id, client_secret):
    """RFC 6749 section 2.3.1: id and secret are form-encoded, then joined with ':' and
    base64-encoded into an `Authorization: Basic` value."""
    def enc(x):
        return urllib.parse.quote_plus(x, safe="")
    raw = f"{enc(client_id)}:{enc(client_secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class HttpClient:
    """Requests to one server. `http` is the session for plain HTTP; HTTPS requests go
    through one session per client certificate (`cert=`), so a kept-alive connection
    never carries another certificate than the one asked. `verify` is the CA file that
    checks the server's certificate (tls.cert_file). Tokens sent, and the secret fields
    of JSON bodies both ways, are added to `secrets` (the test's set, shared)."""

    def __init__(self, secrets, verify=None, idle_timeout=lambda: 10):
        self.secrets = secrets
        self.verify = verify
        self.http = requests.Session()
        self._tls_sessions = {}
        # The server closes a kept-alive connection after idle_timeout() seconds
        # (server.connection_timeout). A request sent on one just as the server closes
        # it fails (RemoteDisconnected, or an SSL EOF), and a POST is not retried; so,
        # like a careful real client, a session idle for more than half that long
        # drops its pooled connections and opens new ones.
        self._idle_timeout = idle_timeout
        self._last_used = {}

    def close(self):
        """Closes every connection; the next request opens new ones."""
        self.http.close()
        self.http = requests.Session()
        for sess in self._tls_sessions.values():
            sess.close()
        self._tls_sessions = {}

    def session_for(self, base, cert=None):
        """The requests session for `base`: self.http for plain HTTP, and for HTTPS one
        session per client certificate (a path, a (cert, key) pair, or None)."""
        if not base.startswith("https:"):
            return self.http
        key = tuple(map(str, cert)) if isinstance(cert, (tuple, list)) else \
            (str(cert) if cert is not None else None)
        if key not in self._tls_sessions:
            self._tls_sessions[key] = requests.Session()
        return self._tls_sessions[key]

    def request(self, base, method, path, token=None, json_body=None, headers=None, **kw):
        """`method` on base + path: token= as a Bearer token, json_body= as a JSON body,
        cert= (pem, key) presents a TLS client certificate; other keywords go to
        requests."""
        if base.startswith("https:") and self.verify is not None:
            kw.setdefault("verify", str(self.verify))
        http = self.session_for(base, kw.get("cert"))
        h = dict(headers or {})
        if token is not None:
            self.secrets.add(token)
            h["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            track_json(self.secrets, json_body)
            kw["data"] = json.dumps(json_body)
            h.setdefault("Content-Type", "application/json")
        kw.setdefault("timeout", HTTP_TIMEOUT)
        last = self._last_used.get(id(http))
        if last is not None and time.monotonic() - last > self._idle_timeout() / 2:
            http.close()
        try:
            r = http.request(method, base + path, headers=h, **kw)
        finally:
            self._last_used[id(http)] = time.monotonic()
        if r.headers.get("Content-Type", "").startswith("application/json"):
            try:
                track_json(self.secrets, r.json())
            except ValueError:
                pass
        return r
