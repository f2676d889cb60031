# SPDX-License-Identifier: Apache-2.0
"""examples/skills-api (issue 8): a C resource server on libtessera. GET /v1/skills needs
scope read:skills; the token is checked locally against tessera's JWKS. Driven end to end
with the real `tessera` server and the end user's client (`tessera login`, `tessera
request`), the client's HOME and XDG_CONFIG_HOME in a temporary directory.
"""
import fcntl
import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest
import requests

from harness.cli import base_env, run_bin
from harness.suite import BIN

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The example is built into the build directory of the tessera binary under test, with
# the same variables as `make asan` when that is build-asan (make test runs these tests
# there too): build/examples/skills-api normally, build-asan/... under ASan+UBSan.
BUILD = os.path.relpath(os.path.dirname(os.path.abspath(BIN)), ROOT)
MAKE_VARS = [f"BUILD={BUILD}"]
if BUILD == "build-asan":
    MAKE_VARS += ["CC=clang", "CFLAGS=-O1 -g",
                  "SANITIZE=-fsanitize=address,undefined -fno-sanitize-recover=all "
                  "-fno-omit-frame-pointer"]
EXAMPLE = os.path.join(ROOT, BUILD, "examples", "skills-api")
LISTEN_RE = re.compile(r"^skills-api: listening on (http://127\.0\.0\.1:(\d+))$")
FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1,
        "role.user.scopes": "profile read:skills"}
SKILLS = [{"id": 1, "name": "C"}, {"id": 2, "name": "OAuth 2.0"}, {"id": 3, "name": "TLS"}]


@pytest.fixture(scope="module")
def example_bin():
    # xdist runs this module's backend groups on different workers at once: one make at a
    # time, or one link replaces the file while another worker checks it.
    os.makedirs(os.path.join(ROOT, BUILD), exist_ok=True)
    with open(os.path.join(ROOT, BUILD, ".skills-api.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", *MAKE_VARS, f"{BUILD}/examples/skills-api"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"make failed:\n{r.stdout}\n{r.stderr}"
    assert os.access(EXAMPLE, os.X_OK)
    return EXAMPLE


class SkillsApi:
    def __init__(self, exe, *args, env=None):
        self.proc = subprocess.Popen([exe, "--listen", "127.0.0.1:0", *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=base_env(env))
        self.log = []
        first = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                first.set()
            first.set()
        self.t = threading.Thread(target=read, daemon=True)
        self.t.start()
        first.wait(10)
        m = LISTEN_RE.match(self.log[0]) if self.log else None
        assert m, f"skills-api did not start: {self.log}"
        self.url = m.group(1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(10)
        self.t.join(5)
        return rc


@pytest.fixture
def srv(make_server):
    return make_server(FAST)


@pytest.fixture
def api(example_bin, srv):
    iss = srv.metadata()["issuer"]
    a = SkillsApi(example_bin, "--jwks", srv.url + "/.well-known/jwks.json",
                  "--issuer", iss)
    yield a
    assert a.stop() == 0, a.log
    assert a.log[-1] == "skills-api: SIGTERM, stopping", a.log
    for s in srv.secrets:                                   # nothing secret logged
        assert len(s) < 8 or s not in "\n".join(a.log)


class EndUser:
    def __init__(self, tmp_path, server):
        self.home = tmp_path / "home"
        self.home.mkdir(exist_ok=True)
        self.cfg = self.home / "cfg"
        self.server = server

    def run(self, *args, input=None):
        env = base_env({"HOME": str(self.home), "XDG_CONFIG_HOME": str(self.cfg)})
        return run_bin(*args, input=input, env=env, timeout=30)

    def login(self, user, *extra):
        r = self.run("login", "--server", self.server.url, "--username", user.username,
                     "--password-stdin", *extra, input=user.password + "\n")
        assert r.returncode == 0, r.stderr
        d = json.loads((self.cfg / "tessera" / "token.json").read_text())
        self.server.secrets.update({d["access_token"], d["refresh_token"]})
        return d


def test_request_lists_the_skills_with_scope_read_skills(tmp_path, srv, api):
    u = srv.add_user()
    eu = EndUser(tmp_path, srv)
    d = eu.login(u, "--scope", "read:skills")
    assert "read:skills" in d["scope"].split()
    r = eu.run("request", api.url + "/v1/skills")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert json.loads(r.stdout) == {"skills": SKILLS, "subject": u.id}


def test_without_the_scope_request_fails_with_403(tmp_path, srv, api):
    u = srv.add_user()
    eu = EndUser(tmp_path, srv)
    d = eu.login(u)                                     # default scope: profile only
    assert "read:skills" not in d["scope"].split()
    r = eu.run("request", api.url + "/v1/skills")
    assert r.returncode != 0
    assert r.stderr.strip() == "tessera: GET " + api.url + "/v1/skills: HTTP 403"
    assert json.loads(r.stdout)["error"] == "insufficient_scope"
    h = requests.get(api.url + "/v1/skills", timeout=10,
                     headers={"Authorization": "Bearer " + d["access_token"]})
    assert h.status_code == 403
    assert 'error="insufficient_scope"' in h.headers["WWW-Authenticate"]
    assert 'scope="read:skills"' in h.headers["WWW-Authenticate"]


def test_no_or_bad_token_is_401(tmp_path, srv, api):
    r = requests.get(api.url + "/v1/skills", timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["error"] == "invalid_token"
    u = srv.add_user()
    tok = EndUser(tmp_path, srv).login(u, "--scope", "read:skills")["access_token"]
    h, p, s = tok.split(".")
    bad = ".".join((h, p, ("A" if s[0] != "A" else "B") + s[1:]))
    for auth in ("Bearer " + bad, "Bearer", "Basic " + tok, "Bearer " + tok + " x"):
        r = requests.get(api.url + "/v1/skills", headers={"Authorization": auth},
                         timeout=10)
        assert r.status_code == 401, auth
        assert r.json()["error"] == "invalid_token"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_other_paths_404_other_methods_405(api):
    assert requests.get(api.url + "/v1/other", timeout=10).status_code == 404
    assert requests.get(api.url + "/", timeout=10).status_code == 404
    r = requests.post(api.url + "/v1/skills", json={}, timeout=10)
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    assert requests.delete(api.url + "/v1/skills", timeout=10).status_code == 405


def test_wrong_audience_or_issuer_is_401(tmp_path, example_bin, srv):
    u = srv.add_user()
    tok = EndUser(tmp_path, srv).login(u, "--scope", "read:skills")["access_token"]
    jwks = srv.url + "/.well-known/jwks.json"
    for args in (("--audience", "someone-else"), ("--issuer", "https://elsewhere")):
        a = SkillsApi(example_bin, "--jwks", jwks, *args)
        try:
            r = requests.get(a.url + "/v1/skills", timeout=10,
                             headers={"Authorization": "Bearer " + tok})
            assert r.status_code == 401, args
        finally:
            assert a.stop() == 0


def test_logout_is_not_seen_until_the_token_expires(tmp_path, srv, api):
    """Documented behaviour (README): the verifier is local, so an access token stays
    good at skills-api until its exp even after `tessera logout` ended the session."""
    u = srv.add_user()
    eu = EndUser(tmp_path, srv)
    tok = eu.login(u, "--scope", "read:skills")["access_token"]
    r = eu.run("logout")
    assert r.returncode == 0, r.stderr
    r = eu.run("request", api.url + "/v1/skills")       # no token file any more
    assert r.returncode != 0
    r = requests.get(api.url + "/v1/skills", timeout=10,
                     headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 200
    assert r.json()["subject"] == u.id


def feed_client(srv):
    c = srv.add_client("skills-api", grants=["client_credentials"])
    return {"SKILLS_API_CLIENT_ID": c["client_id"],
            "SKILLS_API_CLIENT_SECRET": c["client_secret"]}


def test_logout_is_refused_within_seconds_with_the_revocation_feed(tmp_path, example_bin,
                                                                    srv):
    """With --revocations the verifier polls GET /v1/auth/revocations (every second
    here): after `tessera logout` the old token is refused within the poll interval
    plus the two seconds the feed holds back; another session's token goes on."""
    a = SkillsApi(example_bin, "--jwks", srv.url + "/.well-known/jwks.json",
                  "--issuer", srv.metadata()["issuer"],
                  "--revocations", srv.url + "/v1/auth/revocations", "--poll", "1",
                  env=feed_client(srv))
    try:
        u = srv.add_user()
        eu = EndUser(tmp_path, srv)
        tok = eu.login(u, "--scope", "read:skills")["access_token"]
        (tmp_path / "other").mkdir()
        keep = EndUser(tmp_path / "other", srv).login(u, "--scope",
                                                       "read:skills")["access_token"]

        def get(t):
            return requests.get(a.url + "/v1/skills", timeout=10,
                                headers={"Authorization": "Bearer " + t})
        assert get(tok).status_code == 200
        assert eu.run("logout").returncode == 0
        t0 = time.monotonic()
        while get(tok).status_code == 200 and time.monotonic() - t0 < 10:
            time.sleep(0.1)
        took = time.monotonic() - t0
        r = get(tok)
        assert r.status_code == 401, took
        assert r.json() == {"error": "invalid_token",
                            "error_description": "token has been revoked"}
        assert took < 1 + 2 + 2, took         # poll + hold-back + a loaded machine
        assert get(keep).status_code == 200
    finally:
        assert a.stop() == 0, a.log
    for s in srv.secrets:
        assert len(s) < 8 or s not in "\n".join(a.log)


def test_revocation_feed_needs_a_confidential_client(example_bin, srv):
    feed = ("--revocations", srv.url + "/v1/auth/revocations")
    jwks = ("--jwks", srv.url + "/.well-known/jwks.json")
    r = subprocess.run([example_bin, "--listen", "127.0.0.1:0", *jwks, *feed],
                       capture_output=True, text=True, timeout=30, env=base_env())
    assert r.returncode == 2
    assert "SKILLS_API_CLIENT_ID" in r.stderr
    env = feed_client(srv)
    env["SKILLS_API_CLIENT_SECRET"] = "wrong-" + env["SKILLS_API_CLIENT_SECRET"][6:]
    r = subprocess.run([example_bin, "--listen", "127.0.0.1:0", *jwks, *feed],
                       capture_output=True, text=True, timeout=30, env=base_env(env))
    assert r.returncode == 1
    assert r.stderr.startswith("skills-api: cannot read the revocation feed "), r.stderr
    assert env["SKILLS_API_CLIENT_SECRET"] not in r.stderr


def test_bad_jwks_url_fails_to_start(example_bin):
    r = subprocess.run([example_bin, "--listen", "127.0.0.1:0", "--jwks",
                        "http://127.0.0.1:1/.well-known/jwks.json"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert r.stderr.startswith("skills-api: cannot load keys from ")
