# SPDX-License-Identifier: Apache-2.0
"""End-to-end harness: drives the real `tessera` binary over HTTP and its operator CLI.

Every test gets its own server on a free port (`--listen 127.0.0.1:0`) with a fresh
database: a SQLite file in a temporary directory, or a new database on a PostgreSQL
server the harness starts once per session (pgcluster.py). Every test that starts a
server runs on both backends, `test_x[sqlite]` and `test_x[postgresql]`; mark a test
`sqlite_only` or `postgresql_only` to keep one, and set TESSERA_E2E_BACKENDS=sqlite (or
postgresql) to run the suite on one. The server's stderr (its JSON log) is read by a
thread into `Server.log`. Secrets a test used (passwords, access and refresh tokens)
are collected in `Server.secrets`; after the test, when every server is stopped, the
autouse fixture `no_secrets_in_log` fails the test if any of them appears in a log.

Run with Debian's Python: TESSERA_BIN=build/tessera /usr/bin/python3 -m pytest -q tests/e2e
"""
import base64
import json
import os
import re
import secrets as _secrets
import socket
import signal
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

import pytest
import requests

from pgcluster import PgCluster

BIN = os.environ.get("TESSERA_BIN", "/work/main/build/tessera")
BOOTSTRAP_PASSWORD = "bootstrap-" + _secrets.token_urlsafe(12)
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 15.0
LISTEN_RE = re.compile(r"^tessera: listening on (https?://127\.0\.0\.1:(\d+))$")
# With tls.plain_listen, a second line names the plain HTTP listener.
PLAIN_LISTEN_RE = re.compile(r"^tessera: also listening on (http://(\S+):(\d+))$")
BOOTSTRAP_LINE = re.compile(r"^tessera: created user admin with password (\S+) "
                            r"\(shown once; change it\)$")

NO_BEARER = ("You must specify a Bearer token in the Authorization header to access "
             "this resource")

# Fields that carry secrets, in request bodies and in responses.
SECRET_REQUEST_FIELDS = ("password", "current_password", "new_password")
SECRET_RESPONSE_FIELDS = ("access_token", "refresh_token", "refreshToken", "token")
# Form fields of the OAuth 2 endpoints (docs/oauth2.md) that carry secrets.
SECRET_FORM_FIELDS = ("password", "client_secret", "refresh_token", "token",
                      "access_token")

# docs/oauth2.md: the error_uri of every OAuth 2 error.
OAUTH_ERROR_URI = "https://datatracker.ietf.org/doc/html/rfc6749#section-5.2"
TOKEN_PATH = "/oauth2/token"
REVOKE_PATH = "/oauth2/revoke"
INTROSPECT_PATH = "/oauth2/introspect"


# The storage backends every server-starting test runs on (TESSERA_E2E_BACKENDS, comma-
# separated, narrows it).
BACKENDS = [b for b in os.environ.get("TESSERA_E2E_BACKENDS",
                                      "sqlite,postgresql").split(",") if b]


def pytest_configure(config):
    if not os.access(BIN, os.X_OK):
        raise pytest.UsageError(
            f"tessera binary not found at {BIN}: build it (make build/tessera) or set "
            "TESSERA_BIN")
    unknown = set(BACKENDS) - {"sqlite", "postgresql"}
    if unknown:
        raise pytest.UsageError(f"TESSERA_E2E_BACKENDS: unknown backend(s) {unknown}")
    config.addinivalue_line("markers", "sqlite_only: run only on the SQLite backend "
                            "(the test reads or locks the database file itself)")
    config.addinivalue_line("markers", "postgresql_only: run only on PostgreSQL")


def pytest_generate_tests(metafunc):
    """Every test that starts a server (it uses the `backend` fixture through
    make_server or make_module_server) runs once per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    backends = list(BACKENDS)
    if metafunc.definition.get_closest_marker("sqlite_only"):
        backends = [b for b in backends if b == "sqlite"]
    if metafunc.definition.get_closest_marker("postgresql_only"):
        backends = [b for b in backends if b == "postgresql"]
    metafunc.parametrize("backend", backends, indirect=True, scope="module")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist with --dist loadgroup (make test: tests/run-all.sh), one work
    unit is a module on one backend: its tests run in order on one worker, so its
    module-scoped servers start once, as in a sequential run, and the SQLite and
    PostgreSQL halves of a module may run side by side on two workers. (xdist reads
    the marks in its own hook, which must come after this one; on a worker it sets
    the `loadgroup` option, not `dist`.)"""
    if not config.getoption("loadgroup", default=False):
        return
    for item in items:
        cs = getattr(item, "callspec", None)
        backend = cs.params.get("backend") if cs else None
        group = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
        item.add_marker(pytest.mark.xdist_group(f"{group}:{backend}" if backend
                                                 else group))


@pytest.fixture(scope="session")
def pg_cluster():
    """The PostgreSQL server of the session, started at its first use."""
    c = PgCluster()
    yield c
    c.remove()


@pytest.fixture(scope="module")
def backend(request):
    """"sqlite" or "postgresql" (parametrised by pytest_generate_tests)."""
    return getattr(request, "param", "sqlite")


def backend_cluster(request, backend):
    """The PgCluster for a postgresql server, None for sqlite."""
    return request.getfixturevalue("pg_cluster") if backend == "postgresql" else None


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_parts(token):
    """(header, claims) of a compact JWS, without verifying it."""
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def scope_set(s):
    return set(s.replace(",", " ").split()) if s else set()


def wait_past(t0, seconds):
    """Sleeps until at least `seconds` whole seconds have passed since t0, whatever the
    server's clock granularity (it may store whole seconds): until
    floor(now) > floor(t0) + seconds and now > t0 + seconds."""
    while True:
        now = time.time()
        if int(now) > int(t0) + seconds and now > t0 + seconds:
            return
        time.sleep(min(0.05, max(0.005, int(t0) + seconds + 1 - now)))


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env["TESSERA_BOOTSTRAP_PASSWORD"] = BOOTSTRAP_PASSWORD
    if extra:
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
    return env


def run_bin(*args, input=None, env=None, timeout=60, cwd=None):
    """Runs the binary once (no --database added); returns CompletedProcess."""
    return subprocess.run([BIN, *map(str, args)], input=input, capture_output=True,
                          text=True, timeout=timeout, env=env or base_env(), cwd=cwd,
                          stdin=None if input is not None else subprocess.DEVNULL)


@dataclass
class User:
    id: str
    email: str
    username: str
    name: str
    roles: list
    password: str


@dataclass
class Login:
    """A successful login: the tokens and the whole body."""
    body: dict
    access_token: str
    refresh_token: str = None
    claims: dict = field(default_factory=dict)
    header: dict = field(default_factory=dict)

    @property
    def sid(self):
        return self.claims.get("sid")


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


def client_flags(opts):
    """`tessera client add` options from keywords: id, grants, scopes, roles,
    auth_method, public, access_ttl, refresh_ttl, idle_ttl, rotation, disabled,
    audiences."""
    names = {"id": "--id", "grants": "--grants", "scopes": "--scopes",
             "roles": "--roles", "auth_method": "--auth-method",
             "access_ttl": "--access-ttl", "refresh_ttl": "--refresh-ttl",
             "idle_ttl": "--idle-ttl", "refresh_idle_ttl": "--idle-ttl",
             "rotation": "--rotation",
             "tls_subject_dn": "--tls-subject-dn", "tls_thumbprint": "--tls-thumbprint",
             "audiences": "--audiences"}
    out = []
    for k, v in opts.items():
        if k in ("public", "disabled"):
            if v:
                out.append("--" + k)
            continue
        if k not in names:
            raise TypeError(f"add_client: unknown option {k!r}")
        if v is None:
            continue
        if isinstance(v, (list, tuple, set)):
            v = (" " if k == "scopes" else ",").join(v)
        elif isinstance(v, bool):
            v = "on" if v else "off"
        out += [names[k], str(v)]
    return out


# RFC 8705 client authentication: client_id in the body, the certificate on the TLS
# connection (or in a trusted proxy's header).
MTLS_AUTH_METHODS = ("tls_client_auth", "self_signed_tls_client_auth")


class Server:
    def __init__(self, workdir, settings=None, env=None, secrets=None, args=(),
                 verify=None, pg=None, share=None):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.settings = dict(settings or {})
        self.env = dict(env or {})
        self.args = list(args)
        self.secrets = secrets if secrets is not None else set()
        self.secrets.add(BOOTSTRAP_PASSWORD)
        # The database: a SQLite file, or (pg: a PgCluster) a new PostgreSQL database,
        # whose URL `db` carries the cluster's password (a secret for the log check).
        # share: another Server whose database this one uses too (another instance).
        self.pg = pg
        self.backend = "postgresql" if pg else "sqlite"
        self.owns_db = share is None
        if share is not None:
            self.dbname, self.db = share.dbname, share.db
        elif pg:
            self.dbname = pg.create_db()
            self.db = pg.url(self.dbname)
        else:
            self.dbname = None
            self.db = os.path.join(workdir, "t.db")
        if pg:
            self.secrets.add(pg.password)
        self.proc = None
        self.url = None
        self.port = None
        self.log = []           # every stderr line of every run of this server
        self.stdout = []
        self._cond = threading.Condition()
        self._threads = []
        self.http = requests.Session()
        self.stopped_by_test = False
        # TLS (tls.cert_file): `verify` is the CA file that checks the server's
        # certificate; `plain_url` the tls.plain_listen listener, when there is one.
        # HTTPS requests go through one session per client certificate (`cert=`), so a
        # kept-alive connection never carries another certificate than the one asked.
        self.verify = verify
        self.plain_url = None
        self.plain_port = None
        self._tls_sessions = {}

    # --- process --------------------------------------------------------------------
    def set_args(self):
        out = []
        for k, v in self.settings.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            out += ["--set", f"{k}={v}"]
        return out

    def _reader(self, stream, sink):
        for line in iter(stream.readline, ""):
            with self._cond:
                sink.append(line.rstrip("\n"))
                self._cond.notify_all()
        stream.close()

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        first = len(self.log)
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--database", self.db,
               *self.set_args(), *self.args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=base_env(self.env), cwd=self.workdir)
        self.stopped_by_test = False
        self._threads = [
            threading.Thread(target=self._reader, args=(self.proc.stderr, self.log),
                             daemon=True),
            threading.Thread(target=self._reader, args=(self.proc.stdout, self.stdout),
                             daemon=True)]
        for t in self._threads:
            t.start()
        deadline = time.monotonic() + START_TIMEOUT
        want_plain = bool(self.settings.get("tls.plain_listen"))
        with self._cond:
            while True:
                main = plain = None
                for line in self.log[first:]:
                    main = main or LISTEN_RE.match(line)
                    plain = plain or PLAIN_LISTEN_RE.match(line)
                if main and (plain or not want_plain):
                    self.url, self.port = main.group(1), int(main.group(2))
                    if plain:
                        self.plain_url = plain.group(1)
                        self.plain_port = int(plain.group(3))
                    return self
                if self.proc.poll() is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
        rc = self.proc.poll()
        if rc is None:
            self.proc.kill()
            self.proc.wait()
        for t in self._threads:
            t.join(2)
        pytest.fail(f"server did not print 'tessera: listening on ...' within "
                    f"{START_TIMEOUT:.0f}s (exit status {rc}); command {cmd}\nstderr:\n"
                    + "\n".join(self.log[first:]), pytrace=False)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; asserts exit status 0 within `timeout` seconds."""
        self.http.close()
        self.http = requests.Session()
        for sess in self._tls_sessions.values():
            sess.close()
        self._tls_sessions = {}
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            rc = self.proc.returncode
            self._join()
            assert self.stopped_by_test, (
                f"server exited on its own with status {rc}\nstderr:\n" + self.log_text())
            return
        self.stopped_by_test = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._join()
            pytest.fail(f"server did not exit within {timeout}s of SIGTERM\nstderr tail:\n"
                        + "\n".join(self.log[-30:]), pytrace=False)
        self._join()
        assert rc == 0, f"server exited with status {rc} after SIGTERM\nstderr tail:\n" + \
            "\n".join(self.log[-30:])

    def _join(self):
        for t in self._threads:
            t.join(5)

    def restart(self):
        self.stop()
        return self.start()

    def log_text(self):
        with self._cond:
            return "\n".join(self.log)

    def json_log(self):
        """The stderr lines that are JSON objects, parsed."""
        out = []
        with self._cond:
            lines = list(self.log)
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def wait_log(self, pred, timeout=5.0):
        """Waits for a JSON log line for which pred(obj) is true; returns it or None."""
        deadline = time.monotonic() + timeout
        while True:
            for obj in self.json_log():
                if pred(obj):
                    return obj
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    # --- operator CLI ---------------------------------------------------------------
    def cli(self, *args, input=None, settings=None, env=None, timeout=60):
        """Runs `tessera ARGS --database DB --set ...` (the server's settings, updated
        by `settings`, and its `--config FILE` when it has one: the roles an operator
        may give are the configuration's) against this server's database."""
        sets = dict(self.settings)
        sets.update(settings or {})
        saved, self.settings = self.settings, sets
        try:
            set_args = self.set_args()
        finally:
            self.settings = saved
        e = dict(self.env)
        e.update(env or {})
        config = []
        if "--config" in self.args[:-1]:
            config = ["--config", self.args[self.args.index("--config") + 1]]
        r = run_bin(*args, "--database", self.db, *config, *set_args, input=input,
                    env=base_env(e), timeout=timeout)
        if self.pg:
            assert self.pg.password not in r.stdout + r.stderr, \
                "the CLI showed the database password"
        return r

    # --- the database itself ----------------------------------------------------------
    def sql(self, query, *params):
        """Rows of a SELECT on the server's database (`?` placeholders), as tuples, on
        either backend: sqlite3, or psql on PostgreSQL."""
        if self.pg:
            return self.pg.query(self.dbname, query, *params)
        import sqlite3
        con = sqlite3.connect(self.db)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def sql_exec(self, statement, *params):
        """Runs one writing statement (`?` placeholders) on the server's database, on
        either backend, committed."""
        if self.pg:
            return self.pg.execute(self.dbname, statement, *params)
        import sqlite3
        con = sqlite3.connect(self.db)
        try:
            with con:
                con.execute(statement, params)
        finally:
            con.close()

    def db_bytes(self):
        """Everything the database holds on disk, as bytes: the SQLite file and its
        WAL, or a pg_dump."""
        if self.pg:
            return self.pg.dump(self.dbname).encode()
        out = b""
        for path in (self.db, self.db + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    out += f.read()
        return out

    def cli_ok(self, *args, **kw):
        r = self.cli(*args, **kw)
        assert r.returncode == 0, (f"tessera {' '.join(map(str, args))} exited "
                                   f"{r.returncode}: {r.stderr.strip()}")
        return r

    def add_user(self, email=None, username=None, name=None, roles=("user",),
                 password=None, settings=None):
        tag = _secrets.token_hex(4)
        if email is None:
            email = f"user-{tag}@example.com"
        if username is None:
            username = f"user_{tag}"
        if name is None:
            name = f"User {tag}"
        if password is None:
            password = "pw-" + _secrets.token_urlsafe(12)
        self.secrets.add(password)
        args = ["user", "add", "--email", email]
        if username:
            args += ["--username", username]
        if name:
            args += ["--name", name]
        if roles is not None:
            args += ["--roles", ",".join(roles)]
        args.append("--password-stdin")
        r = self.cli_ok(*args, input=password + "\n", settings=settings)
        uid = r.stdout.strip()
        assert uid and "\n" not in uid, f"user add printed {r.stdout!r}, not one id"
        return User(uid, email, username, name, list(roles or []), password)

    def add_client(self, name, **opts):
        """`tessera client add NAME ...` against this server's database; returns the
        printed JSON (with `client_secret` for confidential clients, which is added to
        `secrets`). Options: see client_flags()."""
        r = self.cli_ok("client", "add", name, *client_flags(opts))
        try:
            c = json.loads(r.stdout)
        except ValueError:
            raise AssertionError(f"client add printed {r.stdout!r}, not JSON") from None
        assert isinstance(c, dict) and isinstance(c.get("client_id"), str), c
        if c.get("client_secret"):
            self.secrets.add(c["client_secret"])
        return c

    # --- HTTP ----------------------------------------------------------------------
    def track(self, obj):
        """Registers every secret-looking value of a JSON body (request or response)."""
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in SECRET_REQUEST_FIELDS + SECRET_RESPONSE_FIELDS and \
                        isinstance(v, str) and len(v) >= 6:
                    self.secrets.add(v)
                else:
                    self.track(v)
        elif isinstance(obj, list):
            for v in obj:
                self.track(v)

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

    def request(self, method, path, token=None, json_body=None, headers=None, **kw):
        """base= sends to another listener (e.g. plain_url); cert= (pem, key) presents a
        TLS client certificate."""
        base = kw.pop("base", None) or self.url
        if base.startswith("https:") and self.verify is not None:
            kw.setdefault("verify", str(self.verify))
        http = self.session_for(base, kw.get("cert"))
        h = dict(headers or {})
        if token is not None:
            self.secrets.add(token)
            h["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            self.track(json_body)
            kw["data"] = json.dumps(json_body)
            h.setdefault("Content-Type", "application/json")
        kw.setdefault("timeout", HTTP_TIMEOUT)
        r = http.request(method, base + path, headers=h, **kw)
        if r.headers.get("Content-Type", "").startswith("application/json"):
            try:
                self.track(r.json())
            except ValueError:
                pass
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, json_body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def track_form(self, pairs):
        for k, v in pairs:
            if k in SECRET_FORM_FIELDS and isinstance(v, str) and len(v) >= 6:
                self.secrets.add(v)

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
        self.track_form(pairs)
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


def parse_settings(settings, kw):
    """make_server({"tokens.access_ttl": 1}) or make_server(tokens__access_ttl=1)."""
    out = dict(settings or {})
    for k, v in kw.items():
        out[k.replace("__", ".")] = v
    return out


@pytest.fixture
def test_secrets():
    return set()


@pytest.fixture
def server_registry():
    return []


def drop_databases(servers):
    """After the servers stopped: their PostgreSQL databases go."""
    for s in servers:
        if s.pg and s.dbname and s.owns_db:
            s.pg.drop_db(s.dbname)


@pytest.fixture
def make_server(request, backend, tmp_path, test_secrets, server_registry):
    """Factory: make_server(settings=None, env=None, start=True, args=(), **kw) where kw
    keys use "__" for ".", e.g. tokens__access_ttl=1 or role__user__scopes="a b".
    Each server gets a fresh database of the test's backend; share=S makes another
    instance on the database of server S."""
    servers = server_registry
    pg = backend_cluster(request, backend)

    def factory(settings=None, env=None, start=True, args=(), verify=None, share=None,
                **kw):
        s = Server(str(tmp_path / f"s{len(servers)}"), parse_settings(settings, kw), env,
                   test_secrets, args, verify=verify, pg=pg, share=share)
        servers.append(s)
        if start:
            s.start()
        return s

    factory.servers = servers
    factory.backend = backend
    yield factory
    errors = []
    for s in servers:
        try:
            s.stop()
        except BaseException as e:  # noqa: BLE001 - report every server's problem
            errors.append(f"{s.workdir}: {e}")
    drop_databases(servers)
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


@pytest.fixture
def server(make_server):
    return make_server()


def find_leaks(servers, secrets):
    """Messages for every secret (or a JWS's signature alone) found in the stderr or
    stdout of `servers`."""
    leaks = []
    for s in servers:
        with s._cond:
            text = "\n".join(s.log)
            # stdout may show the generated bootstrap password once, by design
            out = "\n".join(line for line in s.stdout if not BOOTSTRAP_LINE.match(line))
        for secret in list(secrets):
            needles = {secret}
            if secret.count(".") == 2:          # a JWS: its signature alone is a leak too
                needles.add(secret.rsplit(".", 1)[1])
            for n in needles:
                if len(n) >= 8 and (n in text or n in out):
                    where = "stderr" if n in text else "stdout"
                    leaks.append(f"{where} of {s.workdir} contains a secret "
                                 f"({n[:6]}...)")
    return sorted(set(leaks))


@pytest.fixture(autouse=True)
def no_secrets_in_log(test_secrets, server_registry):
    """After the test (and after its servers stopped): no secret it used may appear in
    any server's stderr or stdout."""
    yield
    leaks = find_leaks(server_registry, test_secrets)
    if leaks:
        pytest.fail("secrets in the server log:\n" + "\n".join(leaks), pytrace=False)


# --- one server for a whole module ----------------------------------------------------

@pytest.fixture(scope="module")
def module_server_registry():
    return []


@pytest.fixture(scope="module")
def make_module_server(request, backend, tmp_path_factory, module_server_registry):
    """Like make_server, for module-scoped fixtures: servers shared by the tests of a
    module that do not interfere (each uses its own users and clients). Their secrets
    are checked against their logs after every test (autouse no_secrets_in_module_log)
    and again at the end of the module, once they are stopped."""
    servers = module_server_registry
    secrets = set()
    pg = backend_cluster(request, backend)
    first = len(servers)

    def factory(settings=None, env=None, start=True, args=(), verify=None, **kw):
        s = Server(str(tmp_path_factory.mktemp("module")), parse_settings(settings, kw),
                   env, secrets, args, verify=verify, pg=pg)
        servers.append(s)
        if start:
            s.start()
        return s

    factory.servers = servers
    factory.backend = backend
    yield factory
    errors = []
    mine = servers[first:]
    for s in mine:
        try:
            s.stop()
        except BaseException as e:  # noqa: BLE001 - report every server's problem
            errors.append(f"{s.workdir}: {e}")
    drop_databases(mine)
    for s in mine:
        errors += new_leaks(s)
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


def new_leaks(server):
    """find_leaks() for one shared server, each leak reported once."""
    seen = server.__dict__.setdefault("_reported_leaks", set())
    out = [x for x in find_leaks([server], server.secrets) if x not in seen]
    seen.update(out)
    return out


@pytest.fixture(autouse=True)
def no_secrets_in_module_log(module_server_registry):
    """After each test: the module's shared servers still run, and their logs hold none
    of their secrets (so far: the end of the module checks again)."""
    yield
    problems = []
    for s in module_server_registry:
        if s.proc is not None and s.proc.poll() is not None and not s.stopped_by_test:
            problems.append(f"shared server {s.workdir} exited on its own with status "
                            f"{s.proc.returncode}\nstderr tail:\n"
                            + "\n".join(s.log[-30:]))
        problems += new_leaks(s)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# --- assertions shared by the test files --------------------------------------------

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


# docs/security.md: what another process revokes (the operator CLI, another instance)
# reaches a running server within its sync interval (500 ms) plus one store read; what
# the server itself revokes applies to the very next request. Tests of the first kind
# allow this long.
CROSS_PROCESS_SECONDS = 2.0


def eventually(request_fn, accept, timeout=CROSS_PROCESS_SECONDS):
    """Calls request_fn() until accept(response) holds (accept may be a status code)
    or `timeout` seconds passed; returns the last response, for the caller's
    assertions."""
    if isinstance(accept, int):
        status = accept
        accept = lambda r: r.status_code == status  # noqa: E731
    deadline = time.monotonic() + timeout
    while True:
        r = request_fn()
        if accept(r) or time.monotonic() >= deadline:
            return r
        time.sleep(0.05)


def eventually_401(request_fn, timeout=CROSS_PROCESS_SECONDS):
    """request_fn() answers 401 within `timeout` (a revocation made by another process)."""
    return eventually(request_fn, 401, timeout)


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


def verify_jwt(server, token, audience="tessera", issuer=None, jwks_uri=None):
    """Verifies a JWS with PyJWT against the server's JWKS; returns the claims."""
    import jwt as pyjwt
    client = pyjwt.PyJWKClient(jwks_uri or server.url + "/.well-known/jwks.json",
                               cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    return pyjwt.decode(token, key.key, algorithms=["ES256", "EdDSA", "RS256", "PS256"],
                        audience=audience, issuer=issuer or server.url,
                        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub",
                                             "jti"]})
