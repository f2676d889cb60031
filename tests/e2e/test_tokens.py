# SPDX-License-Identifier: Apache-2.0
"""Access tokens (SPEC section 1): shape, independent verification, attacks, key rotation."""
import hashlib
import hmac
import json
import signal
import time

import jwt as pyjwt
import pytest
from jwcrypto import jwk as cjwk
from jwcrypto import jwt as cjwt

from harness.assertions import assert_bearer_401
from harness.jose import b64url_decode, b64url_encode, jwt_parts, scope_set

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}
ALG_KTY = {"ES256": "EC", "EdDSA": "OKP", "RS256": "RSA", "PS256": "RSA"}


def verify_pyjwt(server, token, audience="tessera", issuer=None):
    client = pyjwt.PyJWKClient(server.url + "/.well-known/jwks.json", cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    return pyjwt.decode(token, key.key, algorithms=["ES256", "EdDSA", "RS256", "PS256"],
                        audience=audience, issuer=issuer or server.url,
                        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub",
                                             "jti"]})


def verify_jwcrypto(server, token, audience="tessera", issuer=None):
    ks = cjwk.JWKSet.from_json(server.get("/.well-known/jwks.json").text)
    t = cjwt.JWT(jwt=token, key=ks, algs=["ES256", "EdDSA", "RS256", "PS256"],
                 check_claims={"iss": issuer or server.url, "aud": audience, "exp": None,
                               "nbf": None})
    return json.loads(t.claims)


def forge(header, claims, signature=b""):
    return ".".join([b64url_encode(json.dumps(header).encode()),
                     b64url_encode(json.dumps(claims).encode()), b64url_encode(signature)])


def wait_for_kid(server, kid, present=True, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        kids = {k["kid"] for k in server.jwks()["keys"]}
        if (kid in kids) == present or time.monotonic() > deadline:
            return kids
        time.sleep(0.05)


def test_header(server):
    u = server.add_user()
    h, _ = jwt_parts(server.login(u).access_token)
    assert h["typ"] == "at+jwt"
    assert h["alg"] == "ES256"
    assert isinstance(h.get("kid"), str) and h["kid"]
    for bad in ("jku", "x5u", "jwk", "x5c", "crit"):
        assert bad not in h


def test_kid_is_rfc7638_thumbprint_of_a_published_key(server):
    u = server.add_user()
    h, _ = jwt_parts(server.login(u).access_token)
    keys = {k["kid"]: k for k in server.jwks()["keys"]}
    assert h["kid"] in keys
    assert cjwk.JWK(**keys[h["kid"]]).thumbprint() == h["kid"]


def test_claims(server):
    u = server.add_user(email="erin@example.com", name="Erin Claims", roles=("user",))
    before = int(time.time())
    lg = server.login(u)
    after = int(time.time()) + 1
    c = lg.claims
    assert c["iss"] == server.url          # default issuer: http://<listen address>
    assert c["sub"] == u.id
    assert c["aud"] == "tessera" or c["aud"] == ["tessera"]
    assert c["client_id"] == "tessera"
    assert before <= c["iat"] <= after
    assert c["nbf"] <= c["iat"] + 1
    assert c["exp"] - c["iat"] == 900
    assert isinstance(c["jti"], str) and len(c["jti"]) >= 16
    assert scope_set(c["scope"]) == {"profile"}
    assert c["roles"] == ["user"]
    assert c["email"] == "erin@example.com"
    assert c["name"] == "Erin Claims"
    # sid names the session that /v1/auth/sessions calls current
    sessions = server.get("/v1/auth/sessions", token=lg.access_token).json()["sessions"]
    current = [s for s in sessions if s["current"]]
    assert [s["id"] for s in current] == [c["sid"]]


def test_jti_and_sid_unique_across_logins(server):
    u = server.add_user()
    a, b = server.login(u), server.login(u)
    assert a.claims["jti"] != b.claims["jti"]
    assert a.claims["sid"] != b.claims["sid"]
    assert a.refresh_token != b.refresh_token


def test_configured_issuer_and_audience(make_server):
    s = make_server(server__issuer="https://auth.example.test", server__audience="skills-api")
    u = s.add_user()
    lg = s.login(u)
    assert lg.claims["iss"] == "https://auth.example.test"
    assert lg.claims["aud"] in ("skills-api", ["skills-api"])
    assert s.profile(lg.access_token).status_code == 200
    verify_pyjwt(s, lg.access_token, audience="skills-api",
                 issuer="https://auth.example.test")
    with pytest.raises(pyjwt.InvalidAudienceError):
        verify_pyjwt(s, lg.access_token, audience="tessera",
                     issuer="https://auth.example.test")


def test_pyjwt_verifies_token_with_jwks(server):
    u = server.add_user()
    lg = server.login(u)
    claims = verify_pyjwt(server, lg.access_token)
    assert claims["sub"] == u.id
    # and PyJWT's verification is real: a changed payload fails
    h, p, sig = lg.access_token.split(".")
    c = json.loads(b64url_decode(p))
    c["sub"] = "someone-else"
    with pytest.raises(pyjwt.InvalidSignatureError):
        verify_pyjwt(server, ".".join([h, b64url_encode(json.dumps(c).encode()), sig]))


def test_pyjwk_from_fetched_jwks(server):
    u = server.add_user()
    lg = server.login(u)
    keys = {k["kid"]: k for k in server.jwks()["keys"]}
    key = pyjwt.PyJWK(keys[lg.header["kid"]])
    c = pyjwt.decode(lg.access_token, key.key, algorithms=["ES256"], audience="tessera")
    assert c["sid"] == lg.sid


def test_jwcrypto_verifies_token_with_jwks(server):
    u = server.add_user()
    lg = server.login(u)
    claims = verify_jwcrypto(server, lg.access_token)
    assert claims["sub"] == u.id and claims["jti"] == lg.claims["jti"]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256", "PS256"])
def test_each_algorithm_verifies_independently(make_server, alg):
    s = make_server(tokens__algorithm=alg)
    u = s.add_user()
    lg = s.login(u)
    assert lg.header["alg"] == alg
    key = {k["kid"]: k for k in s.jwks()["keys"]}[lg.header["kid"]]
    assert key["alg"] == alg and key["kty"] == ALG_KTY[alg]
    if alg == "EdDSA":
        assert key["crv"] == "Ed25519"
    if key["kty"] == "RSA":
        assert len(b64url_decode(key["n"])) * 8 >= 2048
    assert verify_pyjwt(s, lg.access_token)["sub"] == u.id
    assert verify_jwcrypto(s, lg.access_token)["sub"] == u.id
    assert s.profile(lg.access_token).status_code == 200


def test_jwks_shape(server):
    r = server.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert r.headers.get("Cache-Control") == "public, max-age=300"
    keys = r.json()["keys"]
    assert keys, "no signing key published"
    for k in keys:
        assert k["kid"] and k["alg"] == "ES256" and k["use"] == "sig"
        assert k["kty"] == "EC" and k["crv"] == "P-256" and k["x"] and k["y"]
        assert not (PRIVATE_MEMBERS & set(k)), f"private members published: {k}"
    assert len({k["kid"] for k in keys}) == len(keys)


def test_jwks_max_age_within_the_publish_delay(make_server):
    """A cache of the JWKS may never outlive tokens.key_publish_delay: a new key must be
    in every cached copy before it signs. So the max-age is the shorter of 300 s (how
    fast a retired key reaches verifiers) and the delay."""
    s = make_server(tokens__key_publish_delay=60)
    r = s.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.headers.get("Cache-Control") == "public, max-age=60"


def test_tampered_payload_rejected(server):
    u = server.add_user(roles=("user",))
    lg = server.login(u)
    h, p, sig = lg.access_token.split(".")
    c = json.loads(b64url_decode(p))
    c["roles"] = ["admin"]
    bad = ".".join([h, b64url_encode(json.dumps(c).encode()), sig])
    server.secrets.add(bad)
    r = server.profile(bad)
    assert_bearer_401(r)
    assert r.json()["error"] == "invalid_token"
    # the genuine token still works
    assert server.profile(lg.access_token).status_code == 200


def test_tampered_signature_rejected(server):
    u = server.add_user()
    lg = server.login(u)
    h, p, sig = lg.access_token.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[5] ^= 0x01
    assert_bearer_401(server.profile(".".join([h, p, b64url_encode(bytes(raw))])))


def test_alg_none_rejected(server):
    u = server.add_user()
    lg = server.login(u)
    for alg in ("none", "None", "NONE"):
        header = dict(lg.header, alg=alg)
        for sig in (b"", b"x"):
            r = server.profile(forge(header, lg.claims, sig))
            assert_bearer_401(r)


def test_hs256_with_public_key_as_secret_rejected(server):
    """The RS256/HS256-style confusion: HMAC keyed with the published public key."""
    u = server.add_user()
    lg = server.login(u)
    jwks = server.get("/.well-known/jwks.json")
    pub = {k["kid"]: k for k in jwks.json()["keys"]}[lg.header["kid"]]
    pem = cjwk.JWK(**pub).export_to_pem()
    header = dict(lg.header, alg="HS256")
    signing_input = ".".join([b64url_encode(json.dumps(header).encode()),
                              b64url_encode(json.dumps(lg.claims).encode())])
    for secret in (pem, jwks.content, json.dumps(pub).encode(),
                   b64url_decode(pub["x"]) + b64url_decode(pub["y"])):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert_bearer_401(server.profile(signing_input + "." + b64url_encode(mac)))


def test_token_signed_by_foreign_key_with_same_kid_rejected(server):
    u = server.add_user()
    lg = server.login(u)
    foreign = cjwk.JWK.generate(kty="EC", crv="P-256")
    t = cjwt.JWT(header=lg.header, claims=lg.claims)
    t.make_signed_token(foreign)
    assert_bearer_401(server.profile(t.serialize()))


@pytest.mark.parametrize("embed_jwk", [False, True], ids=["unknown-kid", "embedded-jwk"])
def test_unknown_kid_rejected(server, embed_jwk):
    u = server.add_user()
    lg = server.login(u)
    foreign = cjwk.JWK.generate(kty="EC", crv="P-256")
    header = dict(lg.header, kid=foreign.thumbprint())
    if embed_jwk:      # a key in the token itself must never be trusted
        header["jwk"] = json.loads(foreign.export_public())
    t = cjwt.JWT(header=header, claims=lg.claims)
    t.make_signed_token(foreign)
    assert_bearer_401(server.profile(t.serialize()))


@pytest.mark.parametrize("junk", ["abc", "a.b.c", "a.b", "....", "eyJ.eyJ.", "x" * 5000])
def test_garbage_token_rejected(server, junk):
    assert_bearer_401(server.profile(junk))


def test_key_rotation_while_running_with_sighup(server):
    """`keys rotate` works on a running server's database; SIGHUP (docs/cli.md) makes the
    server publish the new key and sign with it, without a restart."""
    u = server.add_user()
    old = server.login(u)
    k1 = old.header["kid"]
    r = server.cli_ok("keys", "rotate", "--now")
    k2 = r.stdout.strip()
    assert k2 and k2 != k1 and "\n" not in k2
    server.signal(signal.SIGHUP)
    kids = wait_for_kid(server, k2)
    assert {k1, k2} <= kids, f"JWKS after rotation: {kids}"
    new = server.login(u)
    assert new.header["kid"] == k2
    # old tokens still verify, on the server and with a JWKS-based library
    assert server.profile(old.access_token).status_code == 200
    assert server.profile(new.access_token).status_code == 200
    assert verify_pyjwt(server, old.access_token)["sub"] == u.id
    assert verify_pyjwt(server, new.access_token)["sub"] == u.id
    listing = server.cli_ok("keys", "list").stdout
    assert k1 in listing and k2 in listing
    line1 = next(line for line in listing.splitlines() if k1 in line)
    line2 = next(line for line in listing.splitlines() if k2 in line)
    assert line2.split("\t")[3] == "signing" and line1.split("\t")[3] == "published"


def test_key_rotation_and_retire_across_restarts(make_server):
    # a fixed issuer: the default one names the listen port, which changes on restart
    s = make_server(server__issuer="http://tessera.test")
    u = s.add_user()
    old = s.login(u)
    k1 = old.header["kid"]
    k2 = s.cli_ok("keys", "rotate", "--now").stdout.strip()
    s.restart()
    kids = {k["kid"] for k in s.jwks()["keys"]}
    assert {k1, k2} <= kids
    mid = s.login(u)
    assert mid.header["kid"] == k2
    assert s.profile(old.access_token).status_code == 200

    s.stop()
    s.cli_ok("keys", "retire", k1)
    listing = s.cli_ok("keys", "list").stdout
    line1 = next(line for line in listing.splitlines() if k1 in line)
    assert "retired" in line1
    s.start()
    kids = {k["kid"] for k in s.jwks()["keys"]}
    assert k1 not in kids and k2 in kids
    # docs/cli.md: tokens a retired key signed stop verifying
    assert_bearer_401(s.profile(old.access_token))
    assert s.profile(mid.access_token).status_code == 200
    assert s.login(u).header["kid"] == k2


def test_rotate_to_other_algorithm(server):
    u = server.add_user()
    old = server.login(u)
    kid = server.cli_ok("keys", "rotate", "--now", "--alg", "EdDSA").stdout.strip()
    server.signal(signal.SIGHUP)
    wait_for_kid(server, kid)
    new = server.login(u)
    assert new.header == {**new.header, "alg": "EdDSA", "kid": kid}
    assert verify_jwcrypto(server, new.access_token)["sub"] == u.id
    assert verify_jwcrypto(server, old.access_token)["sub"] == u.id
    assert server.profile(old.access_token).status_code == 200
    assert server.profile(new.access_token).status_code == 200


def test_newest_rotated_key_signs_after_quick_rotations(server):
    """Rotating twice in a row (e.g. to replace a compromised key at once) must leave
    the last key created as the signer, even within one second."""
    u = server.add_user()
    for _ in range(3):
        kid = server.cli_ok("keys", "rotate", "--now").stdout.strip()
        server.signal(signal.SIGHUP)
        wait_for_kid(server, kid)
        assert server.login(u).header["kid"] == kid
