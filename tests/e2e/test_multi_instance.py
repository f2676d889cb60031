# SPDX-License-Identifier: Apache-2.0
"""Several tessera instances on one PostgreSQL database (SPEC section 7): a logout, a
revocation, a disabled or deleted user, a deleted client or a retired key on one
instance is honoured by the others within a second; concurrent uses of one refresh
token across instances give one successor and reuse detection; the instances recover
by themselves from a PostgreSQL restart; `kill -9` of an instance loses no write it
acknowledged; the JWKS is the same everywhere and follows `tessera keys rotate`."""
import json
import threading
import time

import pytest

from harness.assertions import assert_bearer_401
from harness.cli import BOOTSTRAP_PASSWORD
from harness.jose import jwt_parts, verify_jwt
from harness.waits import wait_past

pytestmark = pytest.mark.postgresql_only

FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1,
        # fixed: the default issuer names the listen port, which differs per instance
        "server.issuer": "http://tessera.test",
        "role.user.scopes": "profile read:skills", "role.user.default_scopes": "profile",
        "role.svc.scopes": "read:skills", "role.svc.default_scopes": "read:skills"}
# SPEC section 7: revocations reach every instance within one second.
PROPAGATION = 1.0
# The request a proxy asks forward auth about (docs/forward-auth.md).
ORIGINAL = {"X-Original-Method": "GET", "X-Original-URI": "/api/things"}


def cluster(make_server, n=3, settings=None):
    """n started instances on one database; the first one's database."""
    first = make_server(dict(FAST, **(settings or {})))
    return [first] + [make_server(dict(FAST, **(settings or {})), share=first)
                      for _ in range(n - 1)]


def seconds_until_401(request_fn, timeout=3.0):
    """How long until request_fn() answers 401 (None if it never does in `timeout`)."""
    t0 = time.monotonic()
    while True:
        r = request_fn()
        if r.status_code == 401:
            return time.monotonic() - t0
        assert r.status_code == 200, r.text
        if time.monotonic() - t0 > timeout:
            return None
        time.sleep(0.01)


def assert_refused_everywhere_within_a_second(others, request_for):
    """Each instance in `others` refuses within PROPAGATION seconds (measured from
    now, the moment the revoking call was acknowledged)."""
    t0 = time.monotonic()
    for s in others:
        took = seconds_until_401(lambda: request_for(s))
        assert took is not None, f"{s.url} still accepts after 3 s"
    elapsed = time.monotonic() - t0
    assert elapsed <= PROPAGATION, f"took {elapsed:.2f} s to reach every instance"


def profile(token):
    return lambda s: s.profile(token)


def start_together(make_server):
    """Three instances started at the same moment on a new database."""
    first = make_server(FAST, start=False)
    servers = [first] + [make_server(FAST, start=False, share=first) for _ in range(2)]
    errors = []

    def start(s):
        try:
            s.start()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(f"{s.workdir}: {e}")
    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return servers


def test_instances_starting_together_on_an_empty_database(make_server):
    """Migrations run once (under an advisory lock), one admin user is bootstrapped
    (the others find it made), every instance starts and serves."""
    servers = start_together(make_server)
    first = servers[0]
    assert first.sql("SELECT count(*) FROM users") == [(1,)]
    assert first.sql("SELECT count(*) FROM schema_migrations") == \
        first.sql("SELECT count(DISTINCT version) FROM schema_migrations")
    for s in servers:
        assert s.login("admin", BOOTSTRAP_PASSWORD).access_token


def test_keys_made_by_instances_starting_together_are_published_everywhere(make_server):
    """Instances starting together on an empty database may each create a first key;
    within a second every instance publishes all of them."""
    servers = start_together(make_server)
    deadline = time.monotonic() + 3
    while len({json.dumps(s.jwks(), sort_keys=True) for s in servers}) != 1:
        assert time.monotonic() < deadline, [s.jwks() for s in servers]
        time.sleep(0.05)


def test_logout_on_one_is_401_on_the_others_within_a_second(make_server):
    a, b, c = cluster(make_server)
    u = a.add_user()
    for _ in range(3):
        lg = a.login(u)
        for s in (a, b, c):
            assert s.profile(lg.access_token).status_code == 200
        assert b.post("/v1/auth/logout", token=lg.access_token).status_code == 204
        assert_bearer_401(b.profile(lg.access_token))         # at once where it happened
        assert_refused_everywhere_within_a_second((a, c), profile(lg.access_token))
        for s in (a, b, c):
            assert s.refresh(lg.refresh_token).status_code == 401


def test_every_kind_of_revocation_reaches_every_instance(make_server):
    a, b, c = cluster(make_server)
    u, v, w = a.add_user(), a.add_user(), a.add_user()

    # logout of all sessions
    t1, t2 = a.login(u).access_token, b.login(u).access_token
    assert c.post("/v1/auth/logout", {"all": True}, token=t1).status_code == 204
    assert_refused_everywhere_within_a_second((a, b), profile(t1))
    assert_refused_everywhere_within_a_second((a, b, c), profile(t2))

    # a password change revokes the user's other sessions
    keep, other = a.login(v), b.login(v)
    new_pw = "changed-" + v.password
    a.secrets.add(new_pw)
    r = c.post("/v1/auth/password", {"current_password": v.password,
                                     "new_password": new_pw}, token=keep.access_token)
    assert r.status_code == 204, r.text
    assert_refused_everywhere_within_a_second((a, b), profile(other.access_token))
    assert a.profile(keep.access_token).status_code == 200

    # a user disabled, then one deleted, with the operator CLI
    tw = c.login(w).access_token
    a.cli_ok("user", "disable", w.id)
    assert_refused_everywhere_within_a_second((a, b, c), profile(tw))
    tu = b.login(u).access_token
    a.cli_ok("user", "delete", u.id)
    assert_refused_everywhere_within_a_second((a, b, c), profile(tu))

    # a client_credentials token revoked (its jti) on one instance
    cl = a.add_client("svc-" + a.dbname[-6:], grants=["client_credentials"],
                      roles=["svc"])
    tok = b.token_ok({"grant_type": "client_credentials"}, cl)["access_token"]
    for s in (a, b, c):
        assert s.get("/v1/auth/verify", token=tok, headers=ORIGINAL).status_code == 200
    assert b.revoke(tok, cl).status_code == 200
    assert_refused_everywhere_within_a_second(
        (a, c), lambda s: s.get("/v1/auth/verify", token=tok, headers=ORIGINAL))


def test_a_retired_key_is_refused_everywhere(make_server):
    a, b, c = cluster(make_server)
    u = a.add_user()
    old = a.login(u).access_token
    old_kid = jwt_parts(old)[0]["kid"]
    new_kid = a.cli_ok("keys", "rotate", "--now").stdout.strip()
    assert new_kid and new_kid != old_kid
    # every instance signs with the new key and still verifies the old one
    deadline = time.monotonic() + 3
    for s in (a, b, c):
        while jwt_parts(s.login(u).access_token)[0]["kid"] != new_kid:
            assert time.monotonic() < deadline, f"{s.url} does not sign with {new_kid}"
            time.sleep(0.05)
        assert s.profile(old).status_code == 200
    a.cli_ok("keys", "retire", old_kid)
    assert_refused_everywhere_within_a_second((a, b, c), profile(old))
    for s in (a, b, c):
        assert old_kid not in [k["kid"] for k in s.jwks()["keys"]]


def test_a_published_key_starts_signing_on_every_instance(make_server):
    """`keys rotate` without --now: after tokens.key_publish_delay the key signs on
    every instance, with no further command (one instance's sync thread activates it
    in the store; the others reload from there)."""
    delay = 2
    a, b, c = cluster(make_server, settings={"tokens.key_publish_delay": delay})
    u = a.add_user()
    old_kid = jwt_parts(a.login(u).access_token)[0]["kid"]
    t0 = time.monotonic()
    new_kid = b.cli_ok("keys", "rotate").stdout.strip()
    for s in (a, b, c):
        assert jwt_parts(s.login(u).access_token)[0]["kid"] == old_kid
    deadline = t0 + delay + 3
    for s in (a, b, c):
        while jwt_parts(s.login(u).access_token)[0]["kid"] != new_kid:
            assert time.monotonic() < deadline, f"{s.url} does not sign with {new_kid}"
            time.sleep(0.05)
    assert time.monotonic() - t0 >= delay - 1
    assert a.jwks() == b.jwks() == c.jwks()


def test_jwks_is_identical_and_follows_a_cli_rotation(make_server):
    a, b, c = cluster(make_server)
    first = a.jwks()
    assert len(first["keys"]) >= 1
    assert b.jwks() == first and c.jwks() == first
    new_kid = b.cli_ok("keys", "rotate").stdout.strip()
    deadline = time.monotonic() + 3
    while True:
        docs = [s.jwks() for s in (a, b, c)]
        if all(new_kid in [k["kid"] for k in d["keys"]] for d in docs):
            break
        assert time.monotonic() < deadline, "the new key is not published everywhere"
        time.sleep(0.05)
    assert docs[0] == docs[1] == docs[2]
    # a token from any instance verifies against any instance's JWKS
    u = a.add_user()
    for s in (a, b, c):
        t = s.login(u).access_token
        for other in (a, b, c):
            verify_jwt(other, t, issuer=FAST["server.issuer"])
            assert other.profile(t).status_code == 200


def race(requests_fns):
    """Runs the callables at the same moment, one thread each; their results in order."""
    go = threading.Barrier(len(requests_fns))
    out = [None] * len(requests_fns)

    def run(i, fn):
        go.wait()
        out[i] = fn()
    threads = [threading.Thread(target=run, args=(i, fn))
               for i, fn in enumerate(requests_fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_concurrent_refreshes_across_instances_give_one_successor(make_server):
    """12 uses of one refresh token at once, on three instances: one rotation; the
    others fall in the grace window and get the same successor (SPEC section 1), so
    the family has exactly one current token. Past the window, the old token is a
    reuse: the whole session is revoked on every instance, the successor too."""
    servers = cluster(make_server, settings={"tokens.refresh_grace": 2})
    a = servers[0]
    u = a.add_user()
    lg = a.login(u)
    rs = race([lambda s=servers[i % 3]: s.refresh(lg.refresh_token) for i in range(12)])
    assert [r.status_code for r in rs] == [200] * 12, [r.text for r in rs]
    successors = {r.json()["refresh_token"] for r in rs}
    assert len(successors) == 1, "more than one successor"
    (succ,) = successors
    a.secrets.add(succ)
    rows = a.sql("SELECT count(*), count(*) FILTER (WHERE retired_at IS NULL) FROM "
                 "refresh_tokens WHERE session_id = ?", lg.sid)
    assert rows == [(2, 1)], rows

    t_rotated = time.time()
    wait_past(t_rotated, 2)
    rs = race([lambda s=servers[i % 3]: s.refresh(lg.refresh_token) for i in range(12)])
    assert [r.status_code for r in rs] == [401] * 12, [r.text for r in rs]
    assert all(r.json()["error"] == "invalid_grant" for r in rs), rs[0].text

    def reuses():
        return [o for s in servers for o in s.json_log()
                if o.get("audit") == "refresh.reuse"]
    deadline = time.monotonic() + 2
    while not reuses() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert len(reuses()) == 1, reuses()              # detected once, by one instance
    for s in servers:
        assert s.refresh(succ).status_code == 401     # the whole family is dead
    ((revoked,),) = a.sql("SELECT revoked_at FROM sessions WHERE id = ?", lg.sid)
    assert revoked is not None


def test_instances_recover_from_a_database_restart(make_server, pg_cluster):
    """pg_ctl restart while the instances run and serve: afterwards every instance
    answers logins, refreshes and token checks again, at the first request, and
    revocations propagate again (the LISTEN connection is made anew)."""
    servers = cluster(make_server)
    a = servers[0]
    u = a.add_user()
    sessions = [s.login(u) for s in servers]
    stop = threading.Event()
    statuses = []

    def traffic():
        i = 0
        while not stop.is_set():
            s = servers[i % 3]
            statuses.append(s.profile(sessions[i % 3].access_token).status_code)
            i += 1
            time.sleep(0.01)
    th = threading.Thread(target=traffic)
    th.start()
    try:
        time.sleep(0.3)
        pg_cluster.restart()
        time.sleep(0.3)
    finally:
        stop.set()
        th.join(30)
    assert statuses and set(statuses) <= {200, 500, 503}, set(statuses)
    for s, lg in zip(servers, sessions):
        assert s.get("/readyz").status_code == 200
        assert s.login(u).access_token
        r = s.refresh(lg.refresh_token)
        assert r.status_code == 200, r.text
        assert s.profile(r.json()["access_token"]).status_code == 200
    lg = a.login(u)
    assert a.post("/v1/auth/logout", token=lg.access_token).status_code == 204
    # the listening connections come back within a poll interval or two
    t0 = time.monotonic()
    for s in servers[1:]:
        took = seconds_until_401(lambda: s.profile(lg.access_token), timeout=5)
        assert took is not None
    assert time.monotonic() - t0 <= 3.0
    # and, once back, within the second again
    lg = servers[1].login(u)
    assert servers[1].post("/v1/auth/logout", token=lg.access_token).status_code == 204
    assert_refused_everywhere_within_a_second((servers[0], servers[2]),
                                              profile(lg.access_token))


def test_readyz_fails_while_the_database_is_down(make_server, pg_cluster):
    """SPEC section 10: /readyz answers 503 while PostgreSQL is stopped and 200 again by
    itself once it is back; /healthz (liveness) stays 200, and access tokens keep
    verifying against the revocation set meanwhile."""
    s = make_server(FAST)
    lg = s.login(s.add_user())
    assert s.get("/readyz").status_code == 200
    pg_cluster.stop()
    try:
        r = s.get("/readyz")
        assert r.status_code == 503, r.text
        assert r.headers.get("Retry-After")
        assert r.json()["status"] == "unavailable"
        assert s.get("/healthz").status_code == 200
        assert s.profile(lg.access_token).status_code in (200, 500, 503)
        assert s.get("/v1/auth/verify", token=lg.access_token, headers=ORIGINAL).status_code == 200
    finally:
        pg_cluster.start()
    t0 = time.monotonic()
    while s.get("/readyz").status_code != 200 and time.monotonic() - t0 < 10:
        time.sleep(0.1)
    assert s.get("/readyz").status_code == 200
    assert s.profile(lg.access_token).status_code == 200


def test_kill_9_loses_no_acknowledged_write(make_server):
    """Logins, refreshes and logouts run on instance A from several threads; A is
    killed with SIGKILL in the middle. Everything A acknowledged is there through B:
    each acknowledged login's session, each acknowledged rotation's successor, each
    acknowledged logout's revocation."""
    a, b = cluster(make_server, n=2)
    u = a.add_user()
    acked = {"live": [], "rotated": [], "logged_out": []}
    lock = threading.Lock()
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            try:
                r = a.login_raw(username=u.username, password=u.password)
                if r.status_code != 200:
                    continue
                body = r.json()
                kind = len(acked["live"]) % 3
                if kind == 1:
                    r2 = a.refresh(body["refresh_token"])
                    if r2.status_code == 200:
                        with lock:
                            acked["rotated"].append(r2.json())
                        continue
                elif kind == 2:
                    r2 = a.post("/v1/auth/logout", token=body["access_token"])
                    if r2.status_code == 204:
                        with lock:
                            acked["logged_out"].append(body)
                        continue
                with lock:
                    acked["live"].append(body)
            except Exception:  # noqa: BLE001 - the connection dies with the process
                return
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    a.stopped_by_test = True
    a.proc.kill()
    a.proc.wait(10)
    stop.set()
    for t in threads:
        t.join(30)
    assert len(acked["live"]) + len(acked["rotated"]) + len(acked["logged_out"]) >= 10, \
        acked
    for body in acked["live"] + acked["rotated"]:
        b.secrets.update({body["access_token"], body["refresh_token"]})
        assert b.profile(body["access_token"]).status_code == 200
    for body in acked["live"] + acked["rotated"]:
        r = b.refresh(body["refresh_token"])
        assert r.status_code == 200, r.text
    for body in acked["logged_out"]:
        assert_bearer_401(b.profile(body["access_token"]))
        assert b.refresh(body["refresh_token"]).status_code == 401
