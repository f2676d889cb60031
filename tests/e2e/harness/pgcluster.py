# SPDX-License-Identifier: Apache-2.0
"""A throwaway PostgreSQL server for the end-to-end tests, from Debian's package.

PgCluster() runs initdb and pg_ctl from /usr/lib/postgresql/<newest>/bin in a new
temporary directory, as the `postgres` system user when we are root (the server refuses
to run as root), listening on a free 127.0.0.1 port and on a Unix socket inside that
directory. Durability settings are PostgreSQL's defaults (fsync and synchronous_commit
on). Local (socket) connections are trusted: the harness administers through them as
superuser. TCP connections need a password: tessera connects over TCP as the role
`tessera` with a random password, so its URL carries a password like a real one, and
the harness checks that it never reaches a log. stop() removes everything.
"""
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

ROLE = "tessera"


def pg_bindir():
    """The bin directory of the newest installed PostgreSQL server, or None."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        m = re.search(r"/postgresql/(\d+)/bin$", d)
        if m and os.access(os.path.join(d, "initdb"), os.X_OK):
            found.append((int(m.group(1)), d))
    return max(found)[1] if found else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, bindir=None):
        self.bindir = bindir or pg_bindir()
        if not self.bindir:
            raise RuntimeError("no PostgreSQL server installed (/usr/lib/postgresql/*/"
                               "bin/initdb): run `make deps`, or set "
                               "TESSERA_E2E_BACKENDS=sqlite")
        self.as_postgres = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="tessera-pg-")
        self.data = os.path.join(self.dir, "data")
        self.logfile = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.password = "pg-" + secrets.token_urlsafe(18)
        self.counter = 0
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        try:
            self._run("initdb", "-D", self.data, "-U", "postgres", "--no-sync",
                      "--encoding=UTF8", "--locale=C.UTF-8", "--auth-local=trust",
                      "--auth-host=scram-sha-256")
            self.start(new_port_if_taken=True)
            self.admin(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD "
                       f"'{self.password}'")
        except BaseException:
            self.remove()
            raise

    # --- processes ------------------------------------------------------------------
    def _cmd(self, tool, *args):
        cmd = [os.path.join(self.bindir, tool), *map(str, args)]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return cmd

    def _run(self, tool, *args, timeout=120, input=None):
        r = subprocess.run(self._cmd(tool, *args), capture_output=True, text=True,
                           timeout=timeout, input=input, cwd=self.dir,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(map(str, args))} exited {r.returncode}:"
                               f"\n{r.stdout}\n{r.stderr}\n{self.log_tail()}")
        return r

    def log_tail(self, n=30):
        try:
            with open(self.logfile, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def start(self, new_port_if_taken=False):
        """pg_ctl start on self.port. The first start (new_port_if_taken): the port was
        free when chosen, but another process (a tessera server of a parallel test,
        another cluster) may bind it before PostgreSQL does; then a new free port is
        tried, a few times. A restart keeps its port (servers' URLs name it)."""
        for attempt in range(5):
            opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                    f"-c unix_socket_directories={self.dir} -c max_connections=300")
            try:
                self._run("pg_ctl", "-D", self.data, "-l", self.logfile, "-w", "-t",
                          "60", "-o", opts, "start")
                return
            except RuntimeError:
                if not new_port_if_taken or attempt == 4 or \
                        "Address already in use" not in self.log_tail(10):
                    raise
            self.port = free_port()

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def restart(self):
        """pg_ctl restart (fast shutdown: open connections are terminated)."""
        self.stop()
        self.start()

    def remove(self):
        try:
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                self.stop(mode="immediate")
        except Exception:  # noqa: BLE001 - best effort; the directory goes anyway
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- SQL ------------------------------------------------------------------------
    def psql(self, sql, db="postgres", variables=None, timeout=60):
        """Runs sql (from stdin, so :'name' interpolates `variables`) as superuser over
        the socket; returns stdout. Raises on an error."""
        args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p", self.port,
                "-U", "postgres", "-d", db, "-A", "-t"]
        for k, v in (variables or {}).items():
            args += ["-v", f"{k}={v}"]
        return self._run("psql", *args, input=sql, timeout=timeout).stdout

    def admin(self, sql):
        return self.psql(sql)

    def create_db(self, prefix="t"):
        """A new empty database owned by the tessera role; returns its name."""
        self.counter += 1
        name = f"{prefix}{self.counter}_{secrets.token_hex(3)}"
        self.admin(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return name

    def drop_db(self, name):
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, db):
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{db}"

    @staticmethod
    def _placeholders(sql, params):
        """sql with `?` turned into psql variables, and those variables."""
        names = {}

        def sub(_m):
            i = len(names)
            names[f"p{i}"] = params[i]
            return f":'p{i}'"
        return re.sub(r"\?", sub, sql), {k: str(v) for k, v in names.items()}

    def query(self, db, sql, *params):
        """Rows of a SELECT, as tuples of Python values (ints, strings, None), like
        sqlite3's fetchall(). `?` placeholders take `params`, in order."""
        text, variables = self._placeholders(sql, params)
        out = self.psql(f"SELECT coalesce(json_agg(t), '[]') FROM ({text}) t;\n", db=db,
                        variables=variables)
        # json (unlike jsonb) keeps every column, two of one name too: read the pairs.
        return json.loads(out, object_pairs_hook=lambda pairs: tuple(v for _, v in pairs))

    def execute(self, db, sql, *params):
        """Runs one statement that writes (`?` placeholders take `params`)."""
        text, variables = self._placeholders(sql, params)
        self.psql(text + ";\n", db=db, variables=variables)

    def dump(self, db):
        """pg_dump of the database as text (schema and data)."""
        return self._run("pg_dump", "-h", self.dir, "-p", self.port, "-U", "postgres",
                         db).stdout

    def backend_pids(self, db):
        """Process ids of the server backends connected to `db` as the tessera role."""
        out = self.psql("SELECT pid FROM pg_stat_activity WHERE datname = :'db' "
                        f"AND usename = '{ROLE}';\n", variables={"db": db})
        return [int(x) for x in out.split()]


def wait_for(pred, timeout, step=0.05):
    """Calls pred() until it is true or timeout seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)
