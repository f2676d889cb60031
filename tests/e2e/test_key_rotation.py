# SPDX-License-Identifier: Apache-2.0
"""Automatic signing-key rotation (docs/configuration.md [tokens] key_*): with short
intervals, a new key is published in the JWKS before any token is signed with it,
signs after the publish delay, the old key keeps verifying its tokens until they
expire and then leaves the JWKS; a restart does not rotate early; two instances on one
database rotate once."""
import calendar
import time

from harness.assertions import assert_bearer_401
from harness.jose import jwt_parts, verify_jwt

FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1}
ISSUER = "http://tessera.test"      # fixed: the default one names the port
POLL = 0.2


def kids(s):
    return [k["kid"] for k in s.jwks()["keys"]]


def keys_list(s, signs_from=False):
    """`tessera keys list` as {kid: state}, or {kid: (state, signs from)}."""
    out = {}
    for line in s.cli_ok("keys", "list").stdout.strip().splitlines():
        kid, _alg, _created, state, signs = line.split("\t")
        out[kid] = (state, signs) if signs_from else state
    return out


def fresh_token(s, u):
    """A new access token and the kid that signed it."""
    t = s.login(u).access_token
    return t, jwt_parts(t)[0]["kid"]


def test_rotation_timeline(make_server):
    interval, delay, ttl, margin = 10, 3, 4, 1
    s = make_server(dict(FAST, **{
        "server.issuer": ISSUER, "tokens.access_ttl": ttl,
        "tokens.key_rotation_interval": interval, "tokens.key_publish_delay": delay,
        "tokens.key_retire_margin": margin}))
    t_start = time.time()
    u = s.add_user()
    (k1,) = kids(s)
    assert fresh_token(s, u)[1] == k1
    published = signed = None     # when the new key was first seen in the JWKS / in a token
    last_k1 = None                # the last token k1 signed that we saw
    k2 = None
    deadline = t_start + interval + delay + ttl + margin + 15
    while time.time() < deadline:
        now = time.time()
        jwks = kids(s)
        tok, kid = fresh_token(s, u)
        if k2 is None and len(jwks) > 1:
            (k2,) = [k for k in jwks if k != k1]
            published = now
            # published when the first key was `interval` old, not before
            assert now >= t_start + interval - 1.5, now - t_start
        if kid == k1:
            last_k1 = tok
            assert signed is None, "k1 signs again after k2 began"
        else:
            assert kid == k2, f"a token signed by {kid}, which the JWKS did not list first"
            if signed is None:
                signed = now
                # the old key's last token still verifies, here and for any JWT library
                assert s.profile(last_k1).status_code == 200
                assert verify_jwt(s, last_k1, issuer=ISSUER)["sub"] == u.id
                assert keys_list(s) == {k1: "published", k2: "signing"}
        exp_k1 = jwt_parts(last_k1)[1]["exp"]
        if k1 not in jwks:
            # retired only once every token it signed had expired
            assert now >= exp_k1, (now, exp_k1)
            assert signed is not None
            assert now <= signed + ttl + margin + 4, now - signed
            break
        time.sleep(POLL)
    else:
        raise AssertionError(f"k1 never left the JWKS (published={published}, "
                             f"signed={signed})")
    assert published is not None and signed is not None
    assert signed - published >= delay - 1.5, (published, signed)
    assert kids(s) == [k2]
    assert keys_list(s) == {k1: "retired", k2: "signing"}
    assert_bearer_401(s.profile(last_k1))         # expired, and its key gone
    assert fresh_token(s, u)[1] == k2


def test_restart_does_not_rotate_early_nor_forget_a_waiting_key(make_server):
    interval, delay = 8, 3
    s = make_server(dict(FAST, **{
        "server.issuer": ISSUER, "tokens.key_rotation_interval": interval,
        "tokens.key_publish_delay": delay}))
    t_start = time.time()
    u = s.add_user()
    (k1,) = kids(s)
    time.sleep(3)
    s.restart()                        # the interval counts from the key, not the start
    assert kids(s) == [k1]
    while time.time() < t_start + interval - 1.5:
        assert kids(s) == [k1], time.time() - t_start
        time.sleep(POLL)
    deadline = t_start + interval + 4
    while len(kids(s)) == 1 and time.time() < deadline:
        time.sleep(POLL)
    published = time.time()
    jwks = kids(s)
    assert len(jwks) == 2, "no rotation after the interval"
    (k2,) = [k for k in jwks if k != k1]
    assert fresh_token(s, u)[1] == k1
    s.restart()                        # while k2 waits: it is neither lost nor doubled
    assert sorted(kids(s)) == sorted([k1, k2])
    deadline = published + delay + 4
    while True:
        _, kid = fresh_token(s, u)
        if kid == k2 or time.time() > deadline:
            break
        assert kid == k1
        time.sleep(POLL)
    assert kid == k2, "the waiting key never began to sign after the restart"
    assert time.time() - published >= delay - 1.5
    assert sorted(kids(s)) == sorted([k1, k2])     # the default access_ttl keeps k1
    assert keys_list(s) == {k1: "published", k2: "signing"}


def test_two_instances_on_one_database_rotate_once(make_server):
    interval, delay, ttl, margin = 10, 2, 2, 1
    settings = dict(FAST, **{
        "server.issuer": ISSUER, "tokens.access_ttl": ttl,
        "tokens.key_rotation_interval": interval, "tokens.key_publish_delay": delay,
        "tokens.key_retire_margin": margin})
    a = make_server(settings)
    b = make_server(settings, start=False)
    b.db = a.db
    b.start()
    t_start = time.time()
    u = a.add_user()
    (k1,) = kids(a)
    assert kids(b) == [k1]
    # until the old key is retired: interval + delay + ttl + margin, and slack
    deadline = t_start + interval + delay + ttl + margin + 8
    while time.time() < deadline:
        ka, kb = kids(a), kids(b)
        if k1 not in ka and k1 not in kb and ka == kb:
            break
        time.sleep(POLL)
    assert kids(a) == kids(b) and len(kids(a)) == 1, (kids(a), kids(b))
    (k2,) = kids(a)
    assert fresh_token(a, u)[1] == k2 and fresh_token(b, u)[1] == k2
    listing = keys_list(a)
    states = sorted(listing.values())
    # one new key signs; a duplicate published in a race is retired without signing
    assert states in (["retired", "signing"], ["retired", "retired", "signing"]), listing
    assert listing[k1] == "retired" and listing[k2] == "signing"


def test_manual_rotation_retires_the_old_key_after_its_tokens_expired(make_server):
    """With automatic rotation off, `tessera keys rotate` still ends with the old key
    retired once every token it signed has expired (SPEC section 1)."""
    ttl, margin = 2, 1
    s = make_server(dict(FAST, **{"server.issuer": ISSUER, "tokens.access_ttl": ttl,
                                  "tokens.key_retire_margin": margin}))
    u = s.add_user()
    old, k1 = fresh_token(s, u)
    k2 = s.cli_ok("keys", "rotate", "--now").stdout.strip()
    rotated = time.time()
    deadline = rotated + ttl + margin + 6
    while k1 in kids(s) and time.time() < deadline:
        if time.time() < jwt_parts(old)[1]["exp"]:
            assert s.profile(old).status_code == 200
        time.sleep(POLL)
    assert kids(s) == [k2]
    assert time.time() >= jwt_parts(old)[1]["exp"]
    assert keys_list(s) == {k1: "retired", k2: "signing"}
    assert fresh_token(s, u)[1] == k2


def test_a_clients_longer_access_ttl_keeps_the_old_key(make_server):
    """The retirement waits for the longest access-token lifetime, a client's own
    access_ttl included, not only tokens.access_ttl."""
    ttl, client_ttl, margin = 2, 6, 1
    s = make_server(dict(FAST, **{"server.issuer": ISSUER, "tokens.access_ttl": ttl,
                                  "tokens.key_retire_margin": margin}))
    u = s.add_user()
    app = s.add_client("app", grants=["password"], access_ttl=client_ttl)
    old = s.token_ok({"grant_type": "password", "username": u.username,
                      "password": u.password}, app)["access_token"]
    k1 = jwt_parts(old)[0]["kid"]
    exp = jwt_parts(old)[1]["exp"]
    k2 = s.cli_ok("keys", "rotate", "--now").stdout.strip()
    deadline = time.time() + client_ttl + margin + 6
    while k1 in kids(s) and time.time() < deadline:
        if time.time() < exp - 0.5:
            assert s.profile(old).status_code == 200
            assert verify_jwt(s, old, issuer=ISSUER)["sub"] == u.id
        time.sleep(POLL)
    assert kids(s) == [k2]
    assert time.time() >= exp + margin - 1       # well after tokens.access_ttl alone


def test_publish_delay_must_be_shorter_than_the_interval(make_server):
    s = make_server({"tokens.key_rotation_interval": 60, "tokens.key_publish_delay": 60},
                    start=False)
    r = s.cli("serve", "--check-config")
    assert r.returncode != 0
    assert "key_publish_delay" in r.stderr and "key_rotation_interval" in r.stderr, r.stderr


def rfc3339(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def test_manual_rotation_publishes_before_it_signs(make_server):
    """`tessera keys rotate` puts the new key in the JWKS at once and signs with it only
    after tokens.key_publish_delay, so a verifier that cached the JWKS (jose, express-
    oauth2-jwt-bearer: a cool-down before they fetch it again) knows the key before it
    meets a token it signed. `keys list` shows when it will sign; --now signs at once."""
    delay = 3
    s = make_server(dict(FAST, **{"server.issuer": ISSUER,
                                  "tokens.key_publish_delay": delay}))
    u = s.add_user()
    _, k1 = fresh_token(s, u)
    t0 = time.time()
    r = s.cli_ok("keys", "rotate")
    k2 = r.stdout.strip()
    deadline = time.time() + 1.5             # the server's sync interval
    while k2 not in kids(s):
        assert time.time() < deadline, "the new key is not published"
        time.sleep(0.05)
    assert fresh_token(s, u)[1] == k1        # published, not signing yet
    listing = keys_list(s, signs_from=True)
    assert listing[k1][0] == "signing" and listing[k2][0] == "waiting", listing
    assert abs(rfc3339(listing[k2][1]) - (t0 + delay)) <= 2, (listing, t0)
    assert "signs from" in r.stderr and "--now" in r.stderr, r.stderr
    while True:
        tok, kid = fresh_token(s, u)
        if kid == k2:
            break
        assert kid == k1
        assert time.time() < t0 + delay + 4, "the new key never signs"
        time.sleep(0.1)
    assert time.time() >= t0 + delay - 1, time.time() - t0
    assert verify_jwt(s, tok, issuer=ISSUER)["sub"] == u.id
    assert keys_list(s) == {k1: "published", k2: "signing"}
    # a compromise: --now signs at once, and the replaced key can be retired
    k3 = s.cli_ok("keys", "rotate", "--now").stdout.strip()
    deadline = time.time() + 1.5
    while fresh_token(s, u)[1] != k3:
        assert time.time() < deadline, "--now does not sign at once"
        time.sleep(0.05)
    s.cli_ok("keys", "retire", k2)
    assert keys_list(s)[k2] == "retired"
