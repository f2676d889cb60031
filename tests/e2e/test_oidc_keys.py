# SPDX-License-Identifier: Apache-2.0
"""Signing keys for ID tokens (docs/oidc.md "Signing keys"): with
oidc.id_token_algs = RS256 the ring keeps an RS256 key next to the ES256 key of the
access tokens, published in the JWKS, never signing access tokens, and the existing
rotation (keys rotate, automatic rotation, SIGHUP, restart) keeps both."""
import signal
import time

from harness.jose import jwt_parts, verify_jwt

FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1,
        "oidc.id_token_algs": "RS256"}
DISCOVERY = "/.well-known/openid-configuration"


def jwks_algs(s):
    """{kid: alg} of the JWKS."""
    return {k["kid"]: k["alg"] for k in s.jwks()["keys"]}


def keys_list(s):
    """`tessera keys list` as {kid: (alg, state)}."""
    out = {}
    for line in s.cli_ok("keys", "list").stdout.strip().splitlines():
        kid, alg, _created, state, _signs = line.split("\t")
        out[kid] = (alg, state)
    return out


def kid_of(s, alg):
    (kid,) = [k for k, a in jwks_algs(s).items() if a == alg]
    return kid


def until(pred, timeout=8.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    return pred()


def test_rs256_next_to_es256(make_server):
    s = make_server(FAST)
    algs = jwks_algs(s)
    assert sorted(algs.values()) == ["ES256", "RS256"]
    es, rs = kid_of(s, "ES256"), kid_of(s, "RS256")
    assert keys_list(s) == {es: ("ES256", "signing"), rs: ("RS256", "signing")}
    u = s.add_user()
    t = s.login(u).access_token
    h, _ = jwt_parts(t)
    assert (h["alg"], h["kid"]) == ("ES256", es)       # access tokens: still ES256
    verify_jwt(s, t)
    d = s.get(DISCOVERY).json()
    assert d["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]

    # a reload and a restart keep the same two keys: nothing is added twice
    s.signal(signal.SIGHUP)
    time.sleep(0.5)
    assert jwks_algs(s) == algs
    s.restart()
    assert jwks_algs(s) == algs
    assert jwt_parts(s.login(u).access_token)[0]["kid"] == es


def test_a_manual_rotation_keeps_the_rs256_key(make_server):
    s = make_server(dict(FAST, **{"tokens.access_ttl": 1, "oidc.id_token_ttl": 1,
                                  "tokens.key_retire_margin": 0}))
    es, rs = kid_of(s, "ES256"), kid_of(s, "RS256")
    new = s.cli_ok("keys", "rotate", "--now").stdout
    assert es not in new and rs not in new
    # another process's change: the server sees it within its sync interval
    es2 = until(lambda: next((k for k, a in jwks_algs(s).items()
                              if a == "ES256" and k != es), None))
    assert es2 and es2 in new
    assert set(jwks_algs(s)) <= {es, es2, rs} and {es2, rs} <= set(jwks_algs(s))
    u = s.add_user()
    assert jwt_parts(s.login(u).access_token)[0]["kid"] == es2
    # the old ES256 key leaves once its tokens expired; the RS256 key stays, signing
    assert until(lambda: set(jwks_algs(s)) == {es2, rs}), jwks_algs(s)
    time.sleep(2.5)
    assert set(jwks_algs(s)) == {es2, rs}
    assert keys_list(s)[rs] == ("RS256", "signing")


def test_an_operator_retires_the_rs256_key_and_it_is_replaced(make_server):
    s = make_server(FAST)
    es, rs = kid_of(s, "ES256"), kid_of(s, "RS256")
    s.cli_ok("keys", "retire", rs)
    rs2 = until(lambda: next((k for k, a in jwks_algs(s).items()
                              if a == "RS256" and k != rs), None))
    assert rs2, jwks_algs(s)
    assert set(jwks_algs(s)) == {es, rs2}
    u = s.add_user()
    assert jwt_parts(s.login(u).access_token)[0]["kid"] == es   # still the access key


def test_automatic_rotation_rotates_es256_and_keeps_rs256(make_server):
    s = make_server(dict(FAST, **{"tokens.key_rotation_interval": 2,
                                  "tokens.key_publish_delay": 1,
                                  "tokens.access_ttl": 1, "oidc.id_token_ttl": 1,
                                  "tokens.key_retire_margin": 0}))
    es, rs = kid_of(s, "ES256"), kid_of(s, "RS256")
    # within a few seconds the ES256 key has a successor that signs and es is gone
    assert until(lambda: es not in jwks_algs(s), timeout=12), jwks_algs(s)
    algs = jwks_algs(s)
    assert rs in algs and algs[rs] == "RS256"
    assert list(algs.values()).count("RS256") == 1
    u = s.add_user()
    h, _ = jwt_parts(s.login(u).access_token)
    assert h["alg"] == "ES256" and h["kid"] != es
