# SPDX-License-Identifier: Apache-2.0
"""Server: one tessera server under test, and the face the tests see.

It is made of parts, one concern each: `config` (ServerConfig: settings, environment,
arguments), `database` (Database: the SQLite file or PostgreSQL database, read and
written by the test), `process` (ServerProcess: start, stop, the captured output) and
`client` (HttpClient: requests sessions that record secrets). The endpoint calls
(ApiCalls: login, token, ...) and the CLI-made accounts (Accounts: add_user,
add_client) are mixins over request() and cli_ok(). The attributes tests have always
used (url, port, log, proc, db, settings, http, ...) read and write the part that owns
them."""
import os

from .accounts import Accounts
from .api import ApiCalls
from .cli import BOOTSTRAP_PASSWORD, run_bin
from .config import ServerConfig
from .database import Database
from .http import HttpClient
from .leaks import track_form, track_json
from .process import STOP_TIMEOUT, ServerProcess


def _part(part, name):
    """A property that reads and writes `self.<part>.<name>`."""
    def get(self):
        return getattr(getattr(self, part), name)

    def put(self, value):
        setattr(getattr(self, part), name, value)
    return property(get, put, doc=f"{part}.{name}")


class Server(ApiCalls, Accounts):
    def __init__(self, workdir, settings=None, env=None, secrets=None, args=(),
                 verify=None, pg=None, share=None):
        """workdir: the server's directory (created). secrets: the test's set of
        secrets, shared by its servers. pg: a PgCluster, for a new PostgreSQL database
        (its password, in the URL, becomes a secret). share: another Server whose
        database this one uses too (another instance). verify: the CA file that checks
        a TLS server's certificate."""
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.secrets = secrets if secrets is not None else set()
        self.secrets.add(BOOTSTRAP_PASSWORD)
        self.config = ServerConfig(settings, env, args)
        self.database = Database(workdir, pg,
                                 share.database if share is not None else None)
        if pg:
            self.secrets.add(pg.password)
        self.process = ServerProcess(workdir)
        self.client = HttpClient(
            self.secrets, verify,
            idle_timeout=lambda: int(self.config.settings.get("server.connection_timeout", 10)))

    settings = _part("config", "settings")
    env = _part("config", "env")
    args = _part("config", "args")
    pg = _part("database", "pg")
    backend = _part("database", "backend")
    owns_db = _part("database", "owns_db")
    db = _part("database", "db")
    dbname = _part("database", "dbname")
    proc = _part("process", "proc")
    url = _part("process", "url")
    port = _part("process", "port")
    plain_url = _part("process", "plain_url")      # the tls.plain_listen listener
    plain_port = _part("process", "plain_port")
    log = _part("process", "log")                  # every stderr line of every run
    stdout = _part("process", "stdout")
    stopped_by_test = _part("process", "stopped_by_test")
    http = _part("client", "http")                 # the plain-HTTP requests session
    verify = _part("client", "verify")

    # --- process --------------------------------------------------------------------
    def set_args(self):
        """The server's settings as `--set key=value` arguments."""
        return self.config.set_args()

    def start(self):
        self.process.start(self.config.serve_argv(self.db), self.config.environ(),
                           want_plain=self.config.wants_plain_listener())
        return self

    def stop(self, timeout=STOP_TIMEOUT):
        """Closes the HTTP connections, then SIGTERM; asserts exit status 0 within
        `timeout` seconds (see ServerProcess.stop)."""
        self.client.close()
        self.process.stop(timeout)

    def restart(self):
        self.stop()
        return self.start()

    def running(self):
        return self.process.running()

    def signal(self, sig):
        self.process.signal(sig)

    def log_text(self):
        return self.process.log_text()

    def json_log(self):
        return self.process.json_log()

    def wait_log(self, pred, timeout=5.0):
        return self.process.wait_log(pred, timeout)

    # --- operator CLI ---------------------------------------------------------------
    def cli(self, *args, input=None, settings=None, env=None, timeout=60):
        """Runs `tessera ARGS --database DB --set ...` (the server's settings, updated
        by `settings`, and its `--config FILE` when it has one: the roles an operator
        may give are the configuration's) against this server's database."""
        r = run_bin(*args, *self.config.cli_args(self.db, settings), input=input,
                    env=self.config.environ(env), timeout=timeout)
        if self.pg:
            assert self.pg.password not in r.stdout + r.stderr, \
                "the CLI showed the database password"
        return r

    def cli_ok(self, *args, **kw):
        r = self.cli(*args, **kw)
        assert r.returncode == 0, (f"tessera {' '.join(map(str, args))} exited "
                                   f"{r.returncode}: {r.stderr.strip()}")
        return r

    # --- the database itself ----------------------------------------------------------
    def sql(self, query, *params):
        return self.database.sql(query, *params)

    def sql_exec(self, statement, *params):
        return self.database.sql_exec(statement, *params)

    def db_bytes(self):
        return self.database.db_bytes()

    # --- HTTP ----------------------------------------------------------------------
    def request(self, method, path, token=None, json_body=None, headers=None, **kw):
        """base= sends to another listener (e.g. plain_url); cert= (pem, key) presents a
        TLS client certificate."""
        base = kw.pop("base", None) or self.url
        return self.client.request(base, method, path, token, json_body, headers, **kw)

    def session_for(self, base, cert=None):
        return self.client.session_for(base, cert)

    def track(self, obj):
        """Registers every secret-looking value of a JSON body (request or response)."""
        track_json(self.secrets, obj)

    def track_form(self, pairs):
        track_form(self.secrets, pairs)


def stop_servers(servers):
    """Stops every server (each may fail), then drops the PostgreSQL databases they
    made; returns one message per server that did not stop cleanly."""
    errors = []
    for s in servers:
        try:
            s.stop()
        except BaseException as e:  # noqa: BLE001 - report every server's problem
            errors.append(f"{s.workdir}: {e}")
    drop_databases(servers)
    return errors


def drop_databases(servers):
    """After the servers stopped: the PostgreSQL databases they made go."""
    for s in servers:
        s.database.drop()
