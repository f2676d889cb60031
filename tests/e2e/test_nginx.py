# SPDX-License-Identifier: Apache-2.0
"""examples/nginx/nginx.conf end to end (issue 8): Debian's nginx on loopback, started by
the test from the example file (only its ports and its pid, log and temp paths changed),
with auth_request to a real tessera in front of a small example API (a Python
http.server that echoes the X-Auth-* headers it received).

Checked: an allowed request reaches the API with X-Auth-Subject/Roles/Scope; 401 with
`WWW-Authenticate: Bearer` without a token; 403 for a missing scope or role; forged
X-Auth-* (and X-Original-*) headers from the client do not get through; a logged-out
token is refused by nginx at once. Issue 15: the API decodes its path, resolves dot
segments and merges slashes before routing, and however a client spells a protected
path (%73kills, //, /./, /x/../) nginx lets it through only with the rule's role; a URI
tessera cannot make canonical is a 400 that never reaches the API."""
import grp
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from forward_auth_rules import OPEN_POLICY

NGINX = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "nginx",
                       "nginx.conf")


def _has_auth_request():
    try:
        r = subprocess.run([NGINX, "-V"], capture_output=True, text=True, timeout=10)
    except OSError:
        return False
    return "with-http_auth_request_module" in r.stderr + r.stdout


if not os.access(NGINX, os.X_OK):
    pytest.skip(f"nginx not installed at {NGINX} (make deps installs Debian's "
                "nginx-light; NGINX_BIN overrides the path)", allow_module_level=True)
if not _has_auth_request():
    pytest.skip(f"{NGINX} lacks the auth_request module", allow_module_level=True)

POLICY = {
    "role.user.scopes": "profile read:skills",
    "role.editor.scopes": "profile",      # defined, so users may hold it
    "policy.health.path": "/healthz", "policy.health.public": True,
    "policy.public.path": "/v1/public*", "policy.public.public": True,
    "policy.admin.path": "/admin/*", "policy.admin.roles": "admin",
    "policy.skills.path": "/v1/skills*", "policy.skills.methods": "GET HEAD",
    "policy.skills.scopes": "read:skills",
    "policy.write.path": "/v1/skills*", "policy.write.roles": "editor",
    "verify.default": "deny",
}
START_TIMEOUT = 10.0
HTTP_TIMEOUT = 15.0


# --- the example API ------------------------------------------------------------------

def routed(path):
    """The path an API that decodes its path routes on, as most frameworks do: the query
    cut off, %XX decoded once, dot segments resolved, empty segments dropped."""
    p = urllib.parse.unquote(path.split("?", 1)[0], errors="surrogateescape")
    out = []
    for seg in p.split("/"):
        if seg == "..":
            out = out[:-1]
        elif seg not in ("", "."):
            out.append(seg)
    return "/" + "/".join(out)


class Api:
    """ThreadingHTTPServer on 127.0.0.1:0: answers every GET and POST with JSON naming
    the method, the path, the path it routes on (routed()) and the X-Auth-* headers it
    received; remembers each request."""

    def __init__(self):
        self.seen = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                got = {"method": self.command, "path": self.path,
                       "routed": routed(self.path),
                       "x_auth": {k.lower(): v for k, v in self.headers.items()
                                  if k.lower().startswith("x-auth-")}}
                api.seen.append(got)
                body = json.dumps(got).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


# --- nginx from the example -----------------------------------------------------------

def sub_once(pattern, repl, text):
    out, n = re.subn(pattern, repl, text)
    assert n == 1, f"examples/nginx/nginx.conf: expected one match of {pattern!r}, got {n}"
    return out


def nginx_conf(d, port, tessera_port, api_port):
    """The example with its three ports replaced, and the paths a non-root nginx needs
    (pid, error log, temp dirs) inside `d`; in the foreground (daemon off)."""
    with open(EXAMPLE) as f:
        text = f.read()
    text = sub_once(r"listen 127\.0\.0\.1:8000;", f"listen 127.0.0.1:{port};", text)
    text = sub_once(r"server 127\.0\.0\.1:8080;", f"server 127.0.0.1:{tessera_port};",
                    text)
    text = sub_once(r"server 127\.0\.0\.1:9000;", f"server 127.0.0.1:{api_port};", text)
    temp = "".join(f"    {k}_temp_path {d}/{k};\n"
                   for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = sub_once(r"(?m)^http \{\n", "http {\n" + temp, text)
    head = ""
    if os.geteuid() == 0:      # workers stay root: the temp dir is not nobody's
        head = (f"user {pwd.getpwuid(os.geteuid()).pw_name} "
                f"{grp.getgrgid(os.getegid()).gr_name};\n")
    head += f"daemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n"
    return head + text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    def __init__(self, d):
        self.dir = d
        self.proc = None
        self.port = None
        self.url = None

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()
        except OSError:
            return ""

    def start(self, tessera_port, api_port):
        d = self.dir
        for _ in range(10):                      # a free port may be taken meanwhile
            port = free_port()
            with open(os.path.join(d, "nginx.conf"), "w") as f:
                f.write(nginx_conf(d, port, tessera_port, api_port))
            t = subprocess.run([NGINX, "-t", "-p", d + "/", "-c", d + "/nginx.conf",
                                "-e", d + "/error.log"], capture_output=True, text=True,
                               timeout=30)
            assert t.returncode == 0, f"nginx -t refused the config:\n{t.stderr}"
            out = open(os.path.join(d, "stdout"), "w")
            self.proc = subprocess.Popen(
                [NGINX, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/error.log"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
            out.close()
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    self.port, self.url = port, f"http://127.0.0.1:{port}"
                    return self
                except OSError:
                    time.sleep(0.05)
            if self.proc.poll() is None:
                self.stop()
                pytest.fail(f"nginx did not listen on {port} within {START_TIMEOUT}s:\n"
                            + self.error_log(), pytrace=False)
            self.proc.wait()
            if "in use" not in self.error_log():
                pytest.fail(f"nginx exited with {self.proc.returncode}:\n"
                            + self.error_log(), pytrace=False)
        pytest.fail("no free port for nginx after 10 tries", pytrace=False)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)    # graceful; SIGTERM is fast shutdown
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- fixtures -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(POLICY)


@pytest.fixture(scope="module")
def api():
    a = Api()
    yield a
    a.close()


@pytest.fixture(scope="module")
def nginx(srv, api, tmp_path_factory):
    n = Nginx(str(tmp_path_factory.mktemp("nginx")))
    n.start(srv.port, api.port)
    yield n
    n.stop()
    log = n.error_log()
    assert not re.search(r"\[(emerg|alert|crit)\]", log), log


@pytest.fixture
def via(nginx, srv):
    """via(method, path, token=None, headers=None): a request to nginx."""
    http = requests.Session()

    def call(method, path, token=None, headers=None, **kw):
        h = dict(headers or {})
        if token is not None:
            srv.secrets.add(token)
            h["Authorization"] = f"Bearer {token}"
        return http.request(method, nginx.url + path, headers=h, timeout=HTTP_TIMEOUT,
                            **kw)
    yield call
    http.close()


def token(srv, user, scope=None):
    return (srv.login(user, scope=scope) if scope else srv.login(user)).access_token


def challenges(r):
    """Every WWW-Authenticate header of the response (requests joins repeated ones)."""
    return r.raw._original_response.msg.get_all("WWW-Authenticate") or []


def json_error(r, status, error):
    """nginx's JSON error body (error_page in the example), and one challenge."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    assert "no-store" in r.headers.get("Cache-Control", "")
    body = r.json()
    assert body["error"] == error and body["error_description"], body
    (www,) = challenges(r)
    assert www.startswith('Bearer realm="tessera"'), www
    return body, www


def reached(api, n0):
    """The requests the API got since len(api.seen) was n0."""
    return api.seen[n0:]


# --- tests ----------------------------------------------------------------------------

def test_allowed_reaches_the_api_with_x_auth_headers(srv, api, via):
    u = srv.add_user(roles=("user",))
    t = token(srv, u, "read:skills")
    n0 = len(api.seen)
    r = via("GET", "/v1/skills/7?page=2", t)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "GET" and body["path"] == "/v1/skills/7?page=2"
    assert body["x_auth"] == {"x-auth-subject": u.id, "x-auth-subject-type": "user",
                              "x-auth-roles": "user", "x-auth-scope": "read:skills"}, body
    assert len(reached(api, n0)) == 1


def test_401_without_a_token_or_with_a_bad_one(srv, api, via):
    n0 = len(api.seen)
    body, www = json_error(via("GET", "/v1/skills"), 401, "invalid_token")
    assert "error=" not in www                # RFC 6750 3.1: no error without a token
    assert body["error_description"] == "A valid Bearer token is required."
    body, www = json_error(via("GET", "/v1/skills", "not.a.token"), 401, "invalid_token")
    assert 'error="invalid_token"' in www
    assert "invalid" in body["error_description"]    # tessera's, from its challenge
    assert reached(api, n0) == []


def test_403_for_a_missing_scope_or_role(srv, api, via):
    u = srv.add_user(roles=("user",))
    n0 = len(api.seen)
    r = via("GET", "/v1/skills", token(srv, u))          # profile only
    body, www = json_error(r, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in www
    assert "read:skills" in body["error_description"]
    # POST: the write rule wants the editor role, whatever the scopes
    r = via("POST", "/v1/skills", token(srv, u, "read:skills"), json={"name": "x"})
    body, www = json_error(r, 403, "insufficient_scope")
    assert "editor" in body["error_description"], body
    assert reached(api, n0) == []
    ed = srv.add_user(roles=("editor",))
    r = via("POST", "/v1/skills", token(srv, ed), json={"name": "x"})
    assert r.status_code == 200, r.text
    assert r.json()["x_auth"]["x-auth-roles"] == "editor"


def test_forged_headers_from_the_client_do_not_get_through(srv, api, via):
    u = srv.add_user(roles=("user",))
    t = token(srv, u, "read:skills")
    forged = {"X-Auth-Subject": "usr_forged", "X-Auth-Subject-Type": "client",
              "X-Auth-Roles": "admin", "X-Auth-Scope": "write:everything"}
    r = via("GET", "/v1/skills", t, headers=forged)
    assert r.status_code == 200, r.text
    assert r.json()["x_auth"] == {"x-auth-subject": u.id, "x-auth-subject-type": "user",
                                  "x-auth-roles": "user", "x-auth-scope": "read:skills"}
    # a public rule: tessera sends no X-Auth-*, and the client's do not pass either
    r = via("GET", "/v1/public/info", headers=forged)
    assert r.status_code == 200, r.text
    assert r.json()["x_auth"] == {}
    # the original request is nginx's, not the client's X-Original-* / X-Forwarded-*
    for h in ({"X-Original-URI": "/v1/public", "X-Original-Method": "GET"},
              {"X-Forwarded-Uri": "/v1/public", "X-Forwarded-Method": "GET"}):
        assert via("GET", "/v1/skills", headers=h).status_code == 401
    # the verify subrequest location is internal
    assert via("GET", "/_tessera_verify", t).status_code == 404


def test_401_right_after_logout(srv, api, via):
    u = srv.add_user(roles=("user",))
    t = token(srv, u, "read:skills")
    for _ in range(3):                     # verified, then from tessera's token cache
        assert via("GET", "/v1/skills", t).status_code == 200
    assert srv.post("/v1/auth/logout", token=t).status_code == 204
    n0 = len(api.seen)
    body, www = json_error(via("GET", "/v1/skills", t), 401, "invalid_token")
    assert 'error="invalid_token"' in www
    assert reached(api, n0) == []


# --- issue 15: the path the API routes on is the path tessera decided on ---------------


# Sent as they are (http.client, which normalises nothing); the role each one needs.
SPELLINGS = [
    ("/v1/%73kills/1", "editor"), ("/v1/%73%6B%69%6c%6C%73", "editor"),
    ("//v1/admin-api/users", "admin"), ("/v1//admin-api/users", "admin"),
    ("/v1/./admin-api/x", "admin"), ("/v1/x/../admin-api/x", "admin"),
    ("/v1/public/../skills/1", "editor"), ("/v1/public/%2e%2e/admin-api/x", "admin"),
    ("/x/../v1/skills?a=/v1/public", "editor"),
]


@pytest.fixture(scope="module")
def open_srv(make_module_server):
    return make_module_server(OPEN_POLICY)


@pytest.fixture(scope="module")
def open_nginx(open_srv, api, tmp_path_factory):
    n = Nginx(str(tmp_path_factory.mktemp("nginx-open")))
    n.start(open_srv.port, api.port)
    yield n
    n.stop()
    log = n.error_log()
    assert not re.search(r"\[(emerg|alert|crit)\]", log), log


def raw(nginx, srv, method, path, token=None):
    """(status, JSON body or None): `path` and `method` go on the request line exactly as
    given (requests would resolve the dot segments before sending)."""
    c = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=HTTP_TIMEOUT)
    try:
        h = {}
        if token is not None:
            srv.secrets.add(token)
            h["Authorization"] = f"Bearer {token}"
        c.request(method, path, headers=h)
        r = c.getresponse()
        body = r.read()
        return r.status, (json.loads(body) if body.startswith(b"{") else None)
    finally:
        c.close()


def test_every_spelling_of_a_protected_path_needs_its_role(open_srv, open_nginx, api):
    tok = {role: token(open_srv, open_srv.add_user(roles=(role,)))
           for role in ("user", "editor", "admin")}
    for path, role in SPELLINGS:
        n0 = len(api.seen)
        status, body = raw(open_nginx, open_srv, "GET", path, tok["user"])
        assert status == 403, (path, status, body)
        assert role in body["error_description"], (path, body)
        assert reached(api, n0) == [], path
        status, body = raw(open_nginx, open_srv, "GET", path, tok[role])
        assert status == 200, (path, status, body)
        want = "/v1/admin-api/" if role == "admin" else "/v1/skills"
        assert body["routed"].startswith(want), (path, body)
        assert body["x_auth"]["x-auth-roles"] == role
    # no token: the public rule covers its own paths only
    n0 = len(api.seen)
    status, body = raw(open_nginx, open_srv, "GET", "/v1/public/../skills/1")
    assert status == 401, body
    assert reached(api, n0) == []
    status, body = raw(open_nginx, open_srv, "GET", "/v1/%70ublic/./x")
    assert status == 200 and body["routed"] == "/v1/public/x", body


def test_unsafe_uri_or_method_never_reaches_the_api(open_srv, open_nginx, api):
    ed = token(open_srv, open_srv.add_user(roles=("editor",)))
    user = token(open_srv, open_srv.add_user(roles=("user",)))
    n0 = len(api.seen)
    for path in ("/v1%2Fadmin-api/users", "/v1/%2573kills/1", "/v1/public/..;/admin-api/x",
                 "/v1/%5Cadmin-api/x"):
        status, body = raw(open_nginx, open_srv, "GET", path, ed)
        assert status == 400, (path, status, body)
        assert body["error"] == "invalid_request", body       # tessera's, through nginx
    status, _ = raw(open_nginx, open_srv, "GET", "/v1/skills/%zz", ed)
    assert status == 400                                      # nginx's own
    # nginx itself takes upper-case methods only; none reaches the API unchecked
    for m in ("post", "Post"):
        status, _ = raw(open_nginx, open_srv, m, "/v1/notes/1", user)
        assert status in (400, 403, 405), (m, status)
    assert reached(api, n0) == []
    status, body = raw(open_nginx, open_srv, "POST", "/v1/notes/1", user)
    assert status == 403 and "editor" in body["error_description"], body
