# SPDX-License-Identifier: Apache-2.0
"""The end user's client (SPEC section 8, docs/cli.md "End user"): tessera login, token,
whoami, request and logout, end to end against the real server.

Every test runs the client with HOME and XDG_CONFIG_HOME in its own temporary directory,
so the token file is $tmp/home/cfg/tessera/token.json. Each run is checked for secrets:
no password or token on stderr, and on stdout only the access token of `tessera token`.
"""
import json
import os
import pty
import re
import select
import signal
import socket
import stat
import subprocess
import termios
import time

import pytest
import requests

import conftest
from harness.cli import base_env, run_bin
from harness.suite import BIN
from harness.waits import wait_past

# cheap password hashing: these tests log in often
FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1}
RETRY_RE = re.compile(r"too many attempts; retry in (\d+) seconds?$")


def one_line_error(r):
    assert r.returncode != 0, f"exit 0; stdout {r.stdout!r}"
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("tessera: "), \
        f"stderr is not one line: {r.stderr!r}"
    return lines[0][len("tessera: "):]


class EndUser:
    """Runs the client with its own HOME; knows the token file and every secret."""

    def __init__(self, home, server=None):
        self.home = home
        self.server = server
        self.secrets = server.secrets if server is not None else set()
        self.cfg = home / "cfg"
        self.dir = self.cfg / "tessera"

    def env(self, extra=None):
        e = {"HOME": str(self.home), "XDG_CONFIG_HOME": str(self.cfg)}
        e.update(extra or {})
        return base_env(e)

    def path(self, profile=None):
        return self.dir / (f"token-{profile}.json" if profile else "token.json")

    def data(self, profile=None, path=None):
        d = json.loads((path or self.path(profile)).read_text())
        for k in ("access_token", "refresh_token"):
            if isinstance(d, dict) and isinstance(d.get(k), str):
                self.secrets.add(d[k])
        return d

    def track_files(self):
        """Adds the tokens of every token file to the secrets."""
        for p in self.dir.glob("token*.json") if self.dir.exists() else ():
            try:
                self.data(path=p)
            except (ValueError, OSError):
                pass

    def run(self, *args, input=None, env=None, timeout=30):
        self.track_files()
        r = run_bin(*args, input=input, env=self.env(env), timeout=timeout)
        self.check_no_secrets(r, args)
        return r

    def check_no_secrets(self, r, args):
        self.track_files()
        printed_token = r.stdout.strip() if args and args[0] == "token" else None
        for s in self.secrets:
            if len(s) < 8:
                continue
            assert s not in r.stderr, f"tessera {args[0]}: a secret on stderr"
            if s != printed_token:
                assert s not in r.stdout, f"tessera {args[0]}: a secret on stdout"

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, f"tessera {' '.join(map(str, args))} exited " \
                                  f"{r.returncode}: {r.stderr.strip()}"
        assert r.stderr == "", r.stderr
        return r

    def login(self, user, *extra, server=None):
        s = server or self.server
        return self.run("login", "--server", s.url, "--username", user.username,
                        "--password-stdin", *extra, input=user.password + "\n")

    def login_ok(self, user, *extra, server=None):
        r = self.login(user, *extra, server=server)
        assert r.returncode == 0, r.stderr
        return r


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def srv(make_server):
    return make_server(FAST)


@pytest.fixture
def eu(home, srv):
    return EndUser(home, srv)


def me(server, token):
    return requests.get(server.url + "/v1/auth/me",
                        headers={"Authorization": f"Bearer {token}"}, timeout=15)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


# --- help --------------------------------------------------------------------------

@pytest.mark.parametrize("cmd", ["login", "token", "whoami", "logout", "request"])
def test_help(home, cmd):
    r = EndUser(home).ok(cmd, "--help")
    assert r.stdout.lower().startswith("usage: tessera " + cmd), r.stdout
    assert not (home / "cfg").exists()
    assert cmd in run_bin("--help").stdout


def test_unknown_option_and_password_in_argv_are_refused(home):
    eu = EndUser(home)
    assert "frobnicate" in one_line_error(eu.run("whoami", "--frobnicate"))
    line = one_line_error(eu.run("login", "--username", "x", "--password", "argv-pw-123"))
    assert "argv-pw-123" not in line and "password-stdin" in line
    assert "profile" in one_line_error(eu.run("token", "--profile", "../../etc"))


# --- login --------------------------------------------------------------------------

def test_login_password_stdin_writes_a_private_file(eu, srv):
    u = srv.add_user()
    t0 = time.time()
    r = eu.login_ok(u)
    assert "logged in" in r.stdout and u.username in r.stdout
    assert mode(eu.dir) == 0o700
    assert mode(eu.path()) == 0o600
    assert mode(eu.cfg) == 0o700                     # created by login, so private too
    assert sorted(os.listdir(eu.dir)) == ["token.json"]    # no temporary file left
    d = eu.data()
    assert d["version"] == 1 and d["token_type"] == "Bearer"
    assert d["server"] == srv.url and d["username"] == u.username
    assert d["user_id"] == u.id and d["scope"] == "profile"
    assert t0 + 900 - 5 <= d["expires_at"] <= time.time() + 900 + 1
    assert len(d["refresh_token"]) >= 43
    assert me(srv, d["access_token"]).json()["id"] == u.id


def _pty_run(args, env, answers, timeout=20, on_prompt=None, exe=BIN):
    """Runs exe (BIN) under a new pseudo-terminal as its controlling terminal (pty.fork: the
    child is a session leader; /dev/tty is the pty). answers: [(prompt bytes, reply
    bytes)]. on_prompt(master, prompt) runs when a prompt shows, before the reply (a
    reply of None sends nothing and waits for the end). Returns (wait status, everything
    the terminal showed)."""
    pid, master = pty.fork()
    if pid == 0:                                      # the child: exec only
        try:
            # As from an interactive shell: Ctrl-C and Ctrl-\ act. A test run started in
            # the background by a non-interactive shell inherits them ignored, and the
            # CLI rightly keeps an ignored signal ignored (nohup).
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGQUIT, signal.SIG_DFL)
            os.execve(exe, [exe, *args], env)
        finally:
            os._exit(127)
    out = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if pending and pending[0][0] in out:
                prompt, reply = pending.pop(0)
                if on_prompt:
                    on_prompt(master, prompt)
                if reply is not None:
                    os.write(master, reply)
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"no end within {timeout}s; terminal: {out!r}")
            ready, _, _ = select.select([master], [], [], min(left, 0.2))
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:                           # EIO: the child closed the pty
                break
            if not chunk:
                break
            out += chunk
        while True:                                   # the end, within the deadline
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status, out, master
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"no exit within {timeout}s; terminal: {out!r}")
            time.sleep(0.02)
    except BaseException:
        os.close(master)
        raise


def echo_on(master):
    return bool(termios.tcgetattr(master)[3] & termios.ECHO)


def test_login_asks_on_the_terminal_without_echo(eu, srv):
    u = srv.add_user()
    seen = {}

    def check(master, prompt):
        seen[prompt] = echo_on(master)

    status, out, master = _pty_run(
        ["login", "--server", srv.url], eu.env(),
        [(b"Username: ", u.username.encode() + b"\n"),
         (b"Password for " + u.username.encode(), u.password.encode() + b"\n")],
        on_prompt=check)
    try:
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, out
        # the username is shown as typed; the password never
        assert seen == {b"Username: ": True, b"Password for " + u.username.encode(): False}
        assert u.password.encode() not in out, out
        assert u.username.encode() in out and b"logged in" in out
        assert echo_on(master), "echo stays off after the prompt"
    finally:
        os.close(master)
    assert eu.data()["username"] == u.username
    assert me(srv, eu.data()["access_token"]).json()["id"] == u.id


def test_ctrl_c_at_the_password_prompt_restores_echo(eu, srv):
    u = srv.add_user()
    state = []

    status, out, master = _pty_run(
        ["login", "--server", srv.url, "--username", u.username], eu.env(),
        [(b"Password for", b"half-typed\x03"), (b"never", None)],
        on_prompt=lambda m, p: state.append(echo_on(m)))
    try:
        assert state == [False]
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT, status
        assert echo_on(master), "SIGINT left the terminal without echo"
        assert b"half-typed" not in out
    finally:
        os.close(master)
    assert not eu.path().exists()


def test_login_without_terminal_or_username_fails_clearly(eu, srv):
    u = srv.add_user()
    # no --username with --password-stdin
    line = one_line_error(eu.run("login", "--server", srv.url, "--password-stdin",
                                 input=u.password + "\n"))
    assert "--username" in line
    # no terminal to prompt on: a new session without a controlling terminal
    r = subprocess.run([BIN, "login", "--server", srv.url, "--username", u.username],
                       capture_output=True, text=True, env=eu.env(), timeout=20,
                       stdin=subprocess.DEVNULL, start_new_session=True)
    line = one_line_error(r)
    assert "terminal" in line and "--password-stdin" in line
    assert not eu.path().exists()


def test_wrong_password(eu, srv):
    u = srv.add_user()
    r = eu.run("login", "--server", srv.url, "--username", u.username,
               "--password-stdin", input="not-the-password\n")
    assert one_line_error(r) == "wrong username or password"
    assert not eu.path().exists()


def test_rate_limited_login_says_how_long_to_wait(eu, make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 1}))
    u = s.add_user()
    eu.server = s
    args = ("login", "--server", s.url, "--username", u.username, "--password-stdin")
    assert one_line_error(eu.run(*args, input="wrong-pw-1\n")) == \
        "wrong username or password"
    line = one_line_error(eu.run(*args, input=u.password + "\n"))
    m = RETRY_RE.fullmatch(line)
    assert m and int(m.group(1)) >= 1, line


def test_server_down(eu, srv):
    port = closed_port()
    u = srv.add_user()
    r = eu.run("login", "--server", f"http://127.0.0.1:{port}", "--username", u.username,
               "--password-stdin", input=u.password + "\n")
    assert one_line_error(r) == f"cannot reach http://127.0.0.1:{port}: connection refused"
    # a stored session whose server went away
    eu.login_ok(u)
    srv.stop()
    line = one_line_error(eu.run("whoami"))
    assert line == f"cannot reach {srv.url}: connection refused"


def test_env_overrides_server_and_token_file(eu, srv, tmp_path):
    u = srv.add_user()
    f = tmp_path / "elsewhere" / "mine.json"
    env = {"TESSERA_URL": srv.url + "/", "TESSERA_TOKEN_FILE": str(f)}
    eu.ok("login", "--username", u.username, "--password-stdin", input=u.password + "\n",
          env=env)
    assert not eu.path().exists()
    assert mode(f) == 0o600 and mode(f.parent) == 0o700
    d = eu.data(path=f)
    assert d["server"] == srv.url                     # no trailing slash kept
    assert eu.ok("token", env=env).stdout.strip() == d["access_token"]
    # a profile sits beside TESSERA_TOKEN_FILE
    eu.ok("login", "--username", u.username, "--password-stdin", "--profile", "p2",
          input=u.password + "\n", env=env)
    assert (f.parent / "token-p2.json").exists()


# --- token ----------------------------------------------------------------------------

def test_token_prints_the_stored_token(eu, srv):
    u = srv.add_user()
    eu.login_ok(u)
    before = eu.path().read_text()
    r = eu.ok("token")
    tok = r.stdout.strip()
    assert r.stdout == tok + "\n"
    assert tok == eu.data()["access_token"]
    assert eu.path().read_text() == before            # still fresh: no refresh
    # as in curl -H "Authorization: Bearer $(tessera token)"
    assert me(srv, tok).json()["id"] == u.id


def test_token_refreshes_when_it_expires_and_keeps_the_rotated_refresh_token(
        eu, make_server):
    s = make_server(dict(FAST, **{"tokens.access_ttl": 2}))
    eu.server, eu.secrets = s, s.secrets
    u = s.add_user()
    eu.login_ok(u, server=s)
    t0 = time.time()          # after the login: its token's lifetime began before this
    old = eu.data()
    wait_past(t0, 2)
    assert me(s, old["access_token"]).status_code == 401      # it did expire
    tok = eu.ok("token").stdout.strip()
    new = eu.data()
    assert tok != old["access_token"] and tok == new["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert new["expires_at"] >= old["expires_at"]
    assert mode(eu.path()) == 0o600
    assert me(s, tok).json()["id"] == u.id
    # the file's refresh token is the live one: the next refresh works from it
    assert eu.ok("token").stdout.strip() != tok
    assert me(s, eu.data()["access_token"]).status_code == 200


def test_concurrent_token_commands_share_one_refresh(eu, make_server):
    s = make_server(dict(FAST, **{"tokens.access_ttl": 2}))
    eu.server, eu.secrets = s, s.secrets
    u = s.add_user()
    eu.login_ok(u, server=s)
    procs = [subprocess.Popen([BIN, "token"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=eu.env())
             for _ in range(4)]
    outs = [p.communicate(timeout=30) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    for out, _ in outs:
        s.secrets.add(out.strip())
        assert me(s, out.strip()).status_code == 200
    # no reuse was detected: the stored session goes on
    assert eu.ok("whoami").stdout.startswith(u.username)


def test_expired_refresh_token_asks_to_log_in_again(eu, make_server):
    s = make_server(dict(FAST, **{"tokens.access_ttl": 1, "tokens.refresh_ttl": 1}))
    eu.server, eu.secrets = s, s.secrets
    u = s.add_user()
    eu.login_ok(u, server=s)
    t0 = time.time()          # after the login: its tokens' lifetimes began before this
    wait_past(t0, 1)
    for cmd in ("token", "whoami"):
        r = eu.run(cmd)
        assert one_line_error(r) == "session expired; run tessera login"
        assert r.stdout == ""
    line = one_line_error(eu.run("request", "/v1/auth/me"))
    assert line == "session expired; run tessera login"


# --- the token file's safety ---------------------------------------------------------

def test_corrupt_or_missing_file(eu, srv):
    line = one_line_error(eu.run("token"))
    assert line.startswith("not logged in") and "tessera login" in line
    u = srv.add_user()
    eu.login_ok(u)
    good = eu.path().read_text()
    for text in ("{not json", "[]", '{"version": 1}',
                 json.dumps(dict(json.loads(good), server="file:///etc/passwd"))):
        eu.path().write_text(text)
        r = eu.run("token")
        line = one_line_error(r)
        assert "corrupt" in line and "tessera login" in line, line
        assert r.stdout == ""
    # a symbolic link is not followed
    real = eu.dir / "real.json"
    real.write_text(good)
    real.chmod(0o600)
    eu.path().unlink()
    eu.path().symlink_to(real)
    assert "symbolic link" in one_line_error(eu.run("token"))


def test_too_open_permissions_are_refused(eu, srv):
    u = srv.add_user()
    eu.login_ok(u)
    eu.path().chmod(0o644)
    for cmd in (("token",), ("whoami",), ("request", "/v1/auth/me"), ("logout",)):
        r = eu.run(*cmd)
        line = one_line_error(r)
        assert "0644" in line and "refusing" in line, line
        assert r.stdout == ""
    assert eu.path().exists()
    # logging in again replaces it with a private file
    eu.login_ok(u)
    assert mode(eu.path()) == 0o600
    eu.ok("token")
    # a directory others can write to is refused as well
    eu.dir.chmod(0o777)
    line = one_line_error(eu.run("token"))
    assert "writable by others" in line
    eu.dir.chmod(0o700)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_file_of_another_user_is_refused(eu, srv):
    u = srv.add_user()
    eu.login_ok(u)
    os.chown(eu.path(), 65534, 65534)
    r = eu.run("token")
    line = one_line_error(r)
    assert "belongs to uid 65534" in line and "refusing" in line, line
    assert r.stdout == ""


# --- whoami, request ------------------------------------------------------------------

def test_whoami(eu, srv):
    u = srv.add_user(username="wendy", email="wendy@example.com")
    eu.login_ok(u)
    r = eu.ok("whoami")
    assert r.stdout == (f"wendy <wendy@example.com> at {srv.url}; roles: user; "
                        "scope: profile\n")
    j = json.loads(eu.ok("whoami", "--json").stdout)
    assert j["id"] == u.id and j["username"] == "wendy"


def test_request_calls_the_api_with_the_token(eu, srv):
    u = srv.add_user()
    eu.login_ok(u)
    for url in ("/v1/auth/me", srv.url + "/v1/auth/me"):
        r = eu.ok("request", "-H", "Accept: application/json", url)
        assert json.loads(r.stdout)["id"] == u.id
    r = eu.run("request", "/v1/no-such-path")
    assert one_line_error(r) == "GET /v1/no-such-path: HTTP 404"
    assert json.loads(r.stdout)["error"] == "not_found"
    r = eu.run("request", "-X", "DELETE", "/v1/auth/sessions/nope")
    assert one_line_error(r) == "DELETE /v1/auth/sessions/nope: HTTP 404"
    assert "Authorization" in one_line_error(
        eu.run("request", "-H", "Authorization: Bearer x", "/v1/auth/me"))
    # -d sends a JSON body with POST: here, the session's own logout
    body = eu.dir.parent.parent / "body.json"
    body.write_text('{"all": false}')
    r = eu.ok("request", "-d", f"@{body}", "/v1/auth/logout")
    assert r.stdout == ""
    assert one_line_error(eu.run("request", "/v1/auth/me")) == \
        "session expired; run tessera login"


def test_request_refreshes_and_retries_once_on_401(eu, make_server):
    s = make_server(dict(FAST, **{"tokens.access_ttl": 2}))
    eu.server, eu.secrets = s, s.secrets
    u = s.add_user()
    eu.login_ok(u, server=s)
    t0 = time.time()          # after the login: its token's lifetime began before this
    old = eu.data()
    # the file says the token is good for an hour, so nothing refreshes it beforehand
    eu.path().write_text(json.dumps(dict(old, expires_at=int(time.time()) + 3600)))
    wait_past(t0, 2)
    r = eu.ok("request", "/v1/auth/me")
    assert json.loads(r.stdout)["id"] == u.id
    new = eu.data()
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    # the request line is logged when the response is done: wait for the second one
    s.wait_log(lambda o: o.get("path") == "/v1/auth/me" and o.get("status") == 200)
    statuses = [o["status"] for o in s.json_log() if o.get("path") == "/v1/auth/me"]
    assert statuses[-2:] == [401, 200], statuses


# --- logout, profiles ------------------------------------------------------------------

def test_logout_ends_the_session_and_removes_the_file(eu, srv):
    u = srv.add_user()
    eu.login_ok(u)
    d = eu.data()
    r = eu.ok("logout")
    assert "logged out" in r.stdout
    assert not eu.path().exists()
    assert me(srv, d["access_token"]).status_code == 401
    assert srv.refresh(d["refresh_token"]).status_code == 401
    assert one_line_error(eu.run("token")).startswith("not logged in")
    assert one_line_error(eu.run("logout")).startswith("not logged in")


def test_logout_with_the_server_down_keeps_the_file(eu, srv):
    u = srv.add_user()
    eu.login_ok(u)
    d = eu.data()
    # the stored server stops answering (a closed port stands in for it)
    down = f"http://127.0.0.1:{closed_port()}"
    eu.path().write_text(json.dumps(dict(d, server=down)))
    line = one_line_error(eu.run("logout"))
    assert line.startswith(f"cannot reach {down}: connection refused; still logged in")
    assert "--local" in line
    assert eu.path().exists()
    # it answers again: logout can be tried again, and ends the session
    eu.path().write_text(json.dumps(d))
    eu.ok("logout")
    assert not eu.path().exists()
    assert me(srv, d["access_token"]).status_code == 401
    # --local only forgets the tokens
    eu.login_ok(u)
    d = eu.data()
    r = eu.ok("logout", "--local")
    assert "stays valid" in r.stdout and not eu.path().exists()
    assert me(srv, d["access_token"]).status_code == 200


def test_profiles_keep_identities_side_by_side(eu, srv):
    a = srv.add_user(username="work_ann")
    b = srv.add_user(username="home_bob")
    eu.login_ok(a, "--profile", "work")
    eu.login_ok(b)
    assert sorted(os.listdir(eu.dir)) == ["token-work.json", "token.json"]
    assert mode(eu.path("work")) == 0o600
    assert eu.ok("whoami", "--profile", "work").stdout.startswith("work_ann ")
    assert eu.ok("whoami").stdout.startswith("home_bob ")
    assert eu.ok("whoami", env={"TESSERA_PROFILE": "work"}).stdout.startswith("work_ann ")
    ta = eu.ok("token", "--profile=work").stdout.strip()
    assert me(srv, ta).json()["id"] == a.id
    eu.ok("logout", "--profile", "work")
    assert not eu.path("work").exists() and eu.path().exists()
    assert me(srv, ta).status_code == 401
    assert eu.ok("whoami").stdout.startswith("home_bob ")
    line = one_line_error(eu.run("token", "--profile", "work"))
    assert "tessera login --profile work" in line


# --- HTTPS ------------------------------------------------------------------------------

@pytest.mark.skipif(not conftest.LISTEN_RE.match("tessera: listening on https://127.0.0.1:1"),
                    reason="the harness does not start TLS servers")
def test_https_with_a_development_ca(eu, make_server, tmp_path):
    certs = tmp_path / "certs"
    r = run_bin("dev-certs", "--dir", certs, timeout=30, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    s = make_server(dict(FAST, **{"tls.cert_file": certs / "server.pem",
                                  "tls.key_file": certs / "server-key.pem"}))
    assert s.url.startswith("https://")
    eu.server, eu.secrets = s, s.secrets
    u = s.add_user()
    line = one_line_error(eu.login(u, server=s))
    assert line.startswith(f"cannot reach {s.url}: ") and "--cacert" in line
    eu.login_ok(u, "--cacert", str(certs / "ca.pem"), server=s)
    assert eu.data()["cacert"] == str(certs / "ca.pem")
    # the CA given at login is kept for the next commands
    assert eu.ok("whoami").stdout.startswith(u.username + " ")
    eu.ok("logout")
