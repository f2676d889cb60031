# SPDX-License-Identifier: Apache-2.0
"""Forged access tokens against the real server: every rejection rule of SPEC section 11
("tokens: reject `none`, unknown `kid`, wrong `alg` for the key, bad signature, expired,
not yet valid, wrong `iss`/`aud`/`typ`; never fetch keys from `jku`/`x5u` headers") and
docs/security.md "Tokens", one parametrised case per known attack.

Every case presents its token twice: as a Bearer token to GET /v1/auth/profile (401
`invalid_token` with `WWW-Authenticate: Bearer error="invalid_token"`) and to POST
/oauth2/introspect with a confidential client (`{"active": false}`, nothing else).

The tokens are forged from a real one the server issued at login. Where a rule must be
tested alone (expired, wrong iss, hostile kid, duplicate members, r/s out of range...),
the test signs with the server's own private key, read from its database: a correct
signature on everything but the one thing under test. `test_forgery_controls` proves
that machinery: the same re-signing with nothing wrong is accepted.

One server per algorithm (ES256, the default; EdDSA; RS256) is shared by the module.
"""
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                              encode_dss_signature)
from cryptography.x509.oid import NameOID
from jwcrypto import jwk as cjwk

from harness.assertions import assert_bearer_401
from harness.jose import b64url_decode, b64url_encode

# The order of P-256 (FIPS 186-4 D.1.2.3) and of the Ed25519 base point (RFC 8032).
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ED25519_L = 2 ** 252 + 27742317777372353535851937790883648493
MAX_TOKEN_LEN = 8192     # TESSERA_MAX_TOKEN_LEN, include/tessera.h


# --- building tokens ----------------------------------------------------------------------

def js(obj):
    """JSON text as bytes: dicts compactly, str/bytes as given (raw JSON text, so that
    duplicate members and odd spacing survive)."""
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, str):
        return obj.encode()
    return json.dumps(obj, separators=(",", ":")).encode()


def compact(header, claims, sig=b""):
    return ".".join([b64url_encode(js(header)), b64url_encode(js(claims)),
                     b64url_encode(sig)])


def split(token):
    h, p, s = token.split(".")
    return h, p, b64url_decode(s)


def with_sig(token, sig):
    return token.rsplit(".", 1)[0] + "." + b64url_encode(sig)


def with_header(token, header):
    return b64url_encode(js(header)) + token[token.index("."):]


def with_claims(token, claims):
    h, _, s = token.split(".")
    return ".".join([h, b64url_encode(js(claims)), s])


def rs_of(sig):
    return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")


def raw_rs(r, s):
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def low_s(r, s):
    """(r, s) with s in the lower half, as tessera signs (it refuses the high-s twin)."""
    return raw_rs(r, s if s <= P256_N // 2 else P256_N - s)


def hs256(secret, header, claims):
    signing_input = b64url_encode(js(header)) + "." + b64url_encode(js(claims))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url_encode(mac)


class Realm:
    """A server with one signing key of `alg`, a user logged in, a confidential client
    to introspect with, and the server's private key (from its database) to sign
    forgeries that are wrong in exactly one way."""

    def __init__(self, server, alg):
        self.server, self.alg = server, alg
        self.user = server.add_user()
        self.other = server.add_user()
        self.login = server.login(self.user)
        self.token = self.login.access_token
        self.header, self.claims = self.login.header, self.login.claims
        self.kid = self.header["kid"]
        assert self.header["alg"] == alg, self.header
        self.client = server.add_client("rs-attacks")
        r = server.get("/.well-known/jwks.json")
        assert r.status_code == 200, r.text
        self.jwks_bytes = r.content
        self.pub_jwk = {k["kid"]: k for k in r.json()["keys"]}[self.kid]
        ((private_jwk,),) = server.sql("SELECT private_jwk FROM signing_keys WHERE "
                                       "kid = ?", self.kid)
        pem = cjwk.JWK.from_json(private_jwk).export_to_pem(private_key=True, password=None)
        self.priv = serialization.load_pem_private_key(pem, None)
        self.pub = self.priv.public_key()

    def raw_sign(self, data, alg=None):
        alg = alg or self.alg
        if alg == "ES256":
            r, s = decode_dss_signature(self.priv.sign(data, ec.ECDSA(hashes.SHA256())))
            return low_s(r, s)
        if alg == "EdDSA":
            return self.priv.sign(data)
        if alg == "RS256":
            return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if alg == "PS256":
            return self.priv.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                                  hashes.SHA256())
        raise ValueError(alg)

    def sign(self, header=None, claims=None, alg=None):
        """A token over `header` and `claims` (dicts, or raw JSON text) signed with the
        server's key; by default the real header and claims."""
        h = b64url_encode(js(self.header if header is None else header))
        p = b64url_encode(js(self.claims if claims is None else claims))
        return f"{h}.{p}." + b64url_encode(self.raw_sign(f"{h}.{p}".encode(), alg))

    def hdr(self, **changes):
        """The real header with members changed; a value of None removes the member."""
        h = dict(self.header)
        for k, v in changes.items():
            if v is None:
                h.pop(k, None)
            else:
                h[k] = v
        return h

    def clm(self, **changes):
        c = dict(self.claims)
        for k, v in changes.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c


def is_big(token):
    return len(token) > MAX_TOKEN_LEN


def assert_rejected(realm, token, via_header=True, introspected_aud=None):
    """The token gets 401 invalid_token at the profile and `{"active": false}` from
    introspection. `token` is a str; characters U+DC80..U+DCFF stand for raw bytes
    (surrogateescape). Past TESSERA_MAX_TOKEN_LEN, the HTTP layer's limits may answer
    first: 431 at the profile; 413 or 400 invalid_request (field too long) at
    introspection. With introspected_aud, the token is one for another audience (RFC
    8707): refused by the server's own routes, but active at introspection, which
    reports its aud for the API that asks to check."""
    s = realm.server
    raw = token.encode("utf-8", "surrogateescape")
    s.secrets.add(token)
    if via_header:
        r = s.get("/v1/auth/profile", headers={"Authorization": b"Bearer " + raw})
        if not (is_big(token) and r.status_code == 431):
            assert_bearer_401(r)
            assert r.json()["error"] == "invalid_token", r.text
    body = "token=" + urllib.parse.quote_from_bytes(raw, safe="")
    r = s.introspect(token, client=realm.client, body=body)
    if is_big(token) and (r.status_code == 413 or (
            r.status_code == 400 and r.json().get("error") == "invalid_request")):
        return      # the body cap, or the form's field length limit (SPEC section 11)
    assert r.status_code == 200, f"introspect: {r.status_code} {r.text}"
    if introspected_aud is not None:
        assert r.json()["active"] is True and r.json()["aud"] == introspected_aud, r.text
        return
    assert r.json() == {"active": False}, r.text


def assert_accepted(realm, token):
    s = realm.server
    r = s.profile(token)
    assert r.status_code == 200, f"profile: {r.status_code} {r.text}"
    assert r.json()["id"] == realm.user.id
    b = s.introspect_ok(token, realm.client)
    assert b["active"] is True and b["sub"] == realm.user.id, b


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def realms(make_module_server):
    """realms(alg): the shared server and login for an algorithm, made on first use."""
    cache = {}

    def get(alg="ES256"):
        if alg not in cache:
            cache[alg] = Realm(make_module_server(tokens__algorithm=alg), alg)
        return cache[alg]
    return get


@pytest.fixture(scope="module")
def es(realms):
    return realms("ES256")


class Attacker:
    """The attacker's own P-256 key, its JWK, a self-signed certificate for it, and an
    HTTP server on loopback that would hand both out: it counts every connection, so a
    server that followed jku or x5u would show."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.jwk_obj = cjwk.JWK.from_pyca(self.key)
        self.jwk = json.loads(self.jwk_obj.export_public())
        self.kid = self.jwk_obj.thumbprint()
        self.jwk["kid"] = self.kid
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tessera-attacker")])
        now = time.time()
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(datetime.datetime.fromtimestamp(now - 3600))
                .not_valid_after(datetime.datetime.fromtimestamp(now + 86400))
                .sign(self.key, hashes.SHA256()))
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        self.connections = []
        self.requests = []
        jwks = json.dumps({"keys": [self.jwk]}).encode()
        pem, requests = self.cert_pem, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                body = pem if self.path.endswith(".pem") else jwks
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        connections = self.connections

        class Lure(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address):
                connections.append(client_address)
                return True

        self.httpd = Lure(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def sign(self, header, claims):
        h, p = b64url_encode(js(header)), b64url_encode(js(claims))
        r, s = decode_dss_signature(self.key.sign(f"{h}.{p}".encode(),
                                                  ec.ECDSA(hashes.SHA256())))
        return f"{h}.{p}." + b64url_encode(low_s(r, s))

    def assert_never_contacted(self):
        assert not self.connections and not self.requests, (
            f"the server fetched attacker keys: {len(self.connections)} connections, "
            f"requests {self.requests}")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def attacker():
    a = Attacker()
    yield a
    a.close()


# --- alg: none -----------------------------------------------------------------------------

NONE_NAMES = ["none", "None", "NONE", "nOnE"]
NONE_FORMS = {
    "empty-sig": lambda R, h: compact(h, R.claims),                    # h.p.
    "no-trailing-dot": lambda R, h: compact(h, R.claims)[:-1],         # h.p
    "junk-sig": lambda R, h: compact(h, R.claims, b"junk"),
    "original-sig": lambda R, h: with_header(R.token, h),
    "resigned-sig": lambda R, h: with_sig(compact(h, R.claims),
                                         R.raw_sign(compact(h, R.claims)[:-1].encode())),
}


@pytest.mark.parametrize("form", list(NONE_FORMS))
@pytest.mark.parametrize("name", NONE_NAMES)
def test_alg_none(es, name, form):
    assert_rejected(es, NONE_FORMS[form](es, es.hdr(alg=name)))
    assert_rejected(es, NONE_FORMS[form](es, {"alg": name, "typ": "at+jwt"}))   # no kid


@pytest.mark.parametrize("name", NONE_NAMES)
@pytest.mark.parametrize("alg", ["EdDSA", "RS256"])
def test_alg_none_other_algorithms(realms, alg, name):
    R = realms(alg)
    for form in ("empty-sig", "no-trailing-dot", "original-sig"):
        assert_rejected(R, NONE_FORMS[form](R, R.hdr(alg=name)))


# --- stripped signature ---------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_stripped_signature(realms, alg):
    R = realms(alg)
    h, p, _ = R.token.split(".")
    assert_rejected(R, f"{h}.{p}.")
    assert_rejected(R, f"{h}.{p}")


# --- HS256 keyed with the server's public key ----------------------------------------------

def spki(R, encoding):
    return R.pub.public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)


PUBLIC_KEY_AS_SECRET = {
    "ES256": {
        "pem": lambda R: spki(R, serialization.Encoding.PEM),
        "pem-no-newline": lambda R: spki(R, serialization.Encoding.PEM).rstrip(b"\n"),
        "der": lambda R: spki(R, serialization.Encoding.DER),
        "jwk-json": lambda R: json.dumps(R.pub_jwk).encode(),
        "jwk-compact": lambda R: js(R.pub_jwk),
        "jwks-document": lambda R: R.jwks_bytes,
        "point-uncompressed": lambda R: R.pub.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint),
        "x-y": lambda R: b64url_decode(R.pub_jwk["x"]) + b64url_decode(R.pub_jwk["y"]),
    },
    "EdDSA": {
        "pem": lambda R: spki(R, serialization.Encoding.PEM),
        "der": lambda R: spki(R, serialization.Encoding.DER),
        "jwk-json": lambda R: json.dumps(R.pub_jwk).encode(),
        "raw-x": lambda R: b64url_decode(R.pub_jwk["x"]),
    },
    "RS256": {
        "pem": lambda R: spki(R, serialization.Encoding.PEM),
        "pem-pkcs1": lambda R: R.pub.public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.PKCS1),
        "der": lambda R: spki(R, serialization.Encoding.DER),
        "der-pkcs1": lambda R: R.pub.public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.PKCS1),
        "jwk-json": lambda R: json.dumps(R.pub_jwk).encode(),
        "modulus": lambda R: b64url_decode(R.pub_jwk["n"]),
    },
}


@pytest.mark.parametrize("alg,form", [(a, f) for a, forms in PUBLIC_KEY_AS_SECRET.items()
                                      for f in forms])
def test_hs256_with_the_public_key_as_secret(realms, alg, form):
    R = realms(alg)
    secret = PUBLIC_KEY_AS_SECRET[alg][form](R)
    assert_rejected(R, hs256(secret, R.hdr(alg="HS256"), R.claims))
    assert_rejected(R, hs256(secret, R.hdr(alg="HS256", kid=None), R.claims))


# --- an alg that is not the key's -----------------------------------------------------------

@pytest.mark.parametrize("alg", ["EdDSA", "RS256", "PS256", "HS256", "ES384", "ES512",
                                 "ES256K", "es256", "ES256 ", "Es256"])
def test_alg_other_than_the_keys(es, alg):
    assert_rejected(es, with_header(es.token, es.hdr(alg=alg)))      # the real signature
    assert_rejected(es, es.sign(es.hdr(alg=alg)))                    # a fresh ES256 one


def test_ps256_header_over_the_rs256_key(realms):
    """A valid PSS signature by the very RSA key the server holds for RS256: the alg
    must still be the key's."""
    R = realms("RS256")
    assert_rejected(R, R.sign(R.hdr(alg="PS256"), alg="PS256"))
    assert_rejected(R, R.sign(R.hdr(alg="PS256", kid=None), alg="PS256"))


def test_es256_header_over_the_eddsa_key(realms):
    R = realms("EdDSA")
    assert_rejected(R, with_header(R.token, R.hdr(alg="ES256")))
    assert_rejected(R, R.sign(R.hdr(alg="ES256")))


# --- kid --------------------------------------------------------------------------------------

HOSTILE_KIDS = {
    "unknown": "k-" + "A" * 41,
    "path-traversal": "../../etc/passwd",
    "path-traversal-dev-null": "../../../../dev/null",
    "sql": "' OR 1=1 --",
    "sql-union": "x' UNION SELECT private_jwk FROM signing_keys --",
    "nul-byte": "k\u0000",
    "command": "$(touch /tmp/tessera-kid-pwned)",
    "very-long-10k": "k" * 10240,
    "empty": "",
    "number": 1,
    "zero": 0,
    "object": {"kid": "x"},
    "array": [],
    "null": None,
    "true": True,
}


@pytest.mark.parametrize("case", list(HOSTILE_KIDS))
def test_hostile_kid(es, attacker, case):
    kid = HOSTILE_KIDS[case]
    header = dict(es.header, kid=kid)    # (hdr() would drop a None)
    assert_rejected(es, es.sign(header))          # signed by the server's own key
    assert_rejected(es, attacker.sign(header, es.claims))


@pytest.mark.parametrize("case", ["nul-suffix", "nul-prefix", "case-changed",
                                  "trailing-space", "leading-space", "json-escaped"])
def test_near_miss_of_the_real_kid(es, case):
    """The server's own kid, altered so that a lax comparison (C string on a NUL,
    case-insensitive, trimmed) would still find the key."""
    kid = es.kid
    if case == "json-escaped":
        # The same string written with \\u escapes is the same kid: accepted; it is
        # here to show the escaping path is exercised, the rejection cases are the rest.
        text = json.dumps(es.hdr(kid=None))[:-1] + ',"kid":"' + "".join(
            f"\\u{ord(c):04x}" for c in kid) + '"}'
        assert_accepted(es, es.sign(text))
        return
    kid = {"nul-suffix": kid + "\u0000evil", "nul-prefix": "\u0000" + kid,
           "case-changed": kid.swapcase(), "trailing-space": kid + " ",
           "leading-space": " " + kid}[case]
    assert_rejected(es, es.sign(es.hdr(kid=kid)))


# --- headers that bring their own key --------------------------------------------------------

KEY_HEADERS = ["jku", "jku-server-signed", "x5u", "x5u-server-signed", "jwk", "jwk-no-kid",
               "jwk-server-kid", "jwk-server-signed", "x5c", "x5c-server-signed",
               "x5t", "crit", "jku-and-x5u-null"]


@pytest.mark.parametrize("case", KEY_HEADERS)
def test_headers_that_bring_their_own_key(es, attacker, case):
    jku = attacker.url + "/jwks.json"
    x5u = attacker.url + "/cert.pem"
    x5c = [base64.b64encode(attacker.cert_der).decode()]
    a = es.hdr(kid=attacker.kid)
    tokens = {
        "jku": lambda: attacker.sign(dict(a, jku=jku), es.claims),
        "jku-server-signed": lambda: es.sign(es.hdr(jku=jku)),
        "x5u": lambda: attacker.sign(dict(a, x5u=x5u), es.claims),
        "x5u-server-signed": lambda: es.sign(es.hdr(x5u=x5u)),
        "jwk": lambda: attacker.sign(dict(a, jwk=attacker.jwk), es.claims),
        "jwk-no-kid": lambda: attacker.sign(es.hdr(kid=None, jwk=attacker.jwk), es.claims),
        "jwk-server-kid": lambda: attacker.sign(es.hdr(jwk=attacker.jwk), es.claims),
        "jwk-server-signed": lambda: es.sign(es.hdr(jwk=es.pub_jwk)),
        "x5c": lambda: attacker.sign(dict(a, x5c=x5c), es.claims),
        "x5c-server-signed": lambda: es.sign(es.hdr(x5c=x5c)),
        # x5t is only a hint naming a certificate; with the attacker's key it is just
        # an unknown kid. Rejected either way.
        "x5t": lambda: attacker.sign(dict(a, x5t=b64url_encode(
            hashlib.sha1(attacker.cert_der).digest())), es.claims),
        "crit": lambda: es.sign(es.hdr(crit=["exp"], exp=1)),
        "jku-and-x5u-null": lambda: es.sign(dict(es.header, jku=None, x5u=None)),
    }
    assert_rejected(es, tokens[case]())
    attacker.assert_never_contacted()


# --- tampered payload under the original signature -------------------------------------------

TAMPERS = {
    "sub": lambda R: R.clm(sub=R.other.id),
    "roles": lambda R: R.clm(roles=["admin"]),
    "scope": lambda R: R.clm(scope="admin profile"),
    "exp-extended": lambda R: R.clm(exp=R.claims["exp"] + 86400 * 365),
    "email": lambda R: R.clm(email="admin@localhost"),
    "one-space-added": lambda R: json.dumps(R.claims) + " ",
}


@pytest.mark.parametrize("case", list(TAMPERS))
@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_tampered_payload(realms, alg, case):
    R = realms(alg)
    assert_rejected(R, with_claims(R.token, TAMPERS[case](R)))


def test_tampered_header(es):
    assert_rejected(es, with_header(es.token, es.hdr(typ="AT+JWT")))
    assert_rejected(es, with_header(es.token, dict(es.header, x=1)))


def test_signature_by_another_key_under_the_servers_kid(es, attacker):
    assert_rejected(es, attacker.sign(es.header, es.claims))


# --- claims, each wrong alone under a correct signature -------------------------------------

def now():
    return int(time.time())


CLAIM_CASES = {
    # exp: RFC 7519 4.1.4, valid only before exp; no leeway on the server
    "exp-past": lambda R: R.clm(exp=now() - 60),
    "exp-now": lambda R: R.clm(exp=now()),
    "exp-long-ago": lambda R: R.clm(exp=1),
    "exp-missing": lambda R: R.clm(exp=None),
    "exp-string": lambda R: R.clm(exp=str(now() + 600)),
    "exp-null": lambda R: js(R.claims).replace(
        b'"exp":' + str(R.claims["exp"]).encode(), b'"exp":null'),
    "exp-negative": lambda R: R.clm(exp=-1),
    # not yet valid
    "nbf-future": lambda R: R.clm(nbf=now() + 120),
    "nbf-far-future": lambda R: R.clm(nbf=now() + 10 ** 9),
    "iat-future": lambda R: R.clm(iat=now() + 120),
    "nbf-string": lambda R: R.clm(nbf="0"),
    # iss
    "iss-wrong": lambda R: R.clm(iss="https://evil.example"),
    "iss-missing": lambda R: R.clm(iss=None),
    "iss-trailing-slash": lambda R: R.clm(iss=R.claims["iss"] + "/"),
    "iss-uppercase": lambda R: R.clm(iss=R.claims["iss"].upper()),
    "iss-array": lambda R: R.clm(iss=[R.claims["iss"]]),
    "iss-prefix": lambda R: R.clm(iss=R.claims["iss"][:-1]),
    # aud
    "aud-wrong": lambda R: R.clm(aud="other-api"),
    "aud-missing": lambda R: R.clm(aud=None),
    "aud-array-without-ours": lambda R: R.clm(aud=["other-api", "tessera-admin"]),
    "aud-empty-array": lambda R: R.clm(aud=[]),
    "aud-case": lambda R: R.clm(aud="Tessera"),
    "aud-nested-array": lambda R: R.clm(aud=[["tessera"]]),
    "aud-object": lambda R: R.clm(aud={"tessera": True}),
}

TYP_CASES = {
    "typ-missing": None,
    "typ-JWT": "JWT",
    "typ-jwt": "jwt",
    "typ-trailing-space": "at+jwt ",
    "typ-leading-space": " at+jwt",
    "typ-application-jwt": "application/jwt",
    "typ-at-jwt-params": "application/at+jwt; charset=utf-8",
    "typ-number": 1,
    "typ-array": ["at+jwt"],
    "typ-empty": "",
}


# Well-formed audiences other than the server's: tokens it may issue for other APIs.
OTHER_AUDIENCE = ("aud-wrong", "aud-array-without-ours", "aud-case")


@pytest.mark.parametrize("case", list(CLAIM_CASES))
def test_wrong_claim(es, case):
    claims = CLAIM_CASES[case](es)
    assert_rejected(es, es.sign(claims=claims),
                    introspected_aud=claims["aud"] if case in OTHER_AUDIENCE else None)


@pytest.mark.parametrize("case", list(TYP_CASES))
def test_wrong_typ(es, case):
    header = dict(es.header, typ=TYP_CASES[case])
    if TYP_CASES[case] is None:
        del header["typ"]
    assert_rejected(es, es.sign(header))


@pytest.mark.parametrize("alg", ["EdDSA", "RS256"])
def test_wrong_claims_other_algorithms(realms, alg):
    R = realms(alg)
    for case in ("exp-past", "nbf-future", "iat-future", "iss-wrong",
                 "aud-array-without-ours"):
        claims = CLAIM_CASES[case](R)
        assert_rejected(R, R.sign(claims=claims), introspected_aud=claims["aud"]
                        if case in OTHER_AUDIENCE else None)
    assert_rejected(R, R.sign(R.hdr(typ="JWT")))
    assert_rejected(R, R.sign(R.hdr(typ=None)))


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_forgery_controls(realms, alg):
    """The forging machinery is sound: re-signed with the server's key and nothing
    wrong, a token is accepted; so each rejection above is the rule under test."""
    R = realms(alg)
    assert_accepted(R, R.token)
    assert_accepted(R, R.sign())
    assert_accepted(R, R.sign(R.hdr(typ="application/at+jwt")))
    assert_accepted(R, R.sign(R.hdr(typ="AT+JWT")))          # media types: any case
    assert_accepted(R, R.sign(claims=R.clm(aud=["other-api", R.claims["aud"]]
                                           if isinstance(R.claims["aud"], str)
                                           else ["other-api", *R.claims["aud"]])))
    assert_accepted(R, R.sign(claims=R.clm(nbf=now() - 5, iat=now() - 5)))


# --- ECDSA signature values ---------------------------------------------------------------------

def ecdsa_cases():
    big = 2 ** 256 - 1
    return {
        "r=0": lambda r, s: raw_rs(0, s),
        "s=0": lambda r, s: raw_rs(r, 0),
        "r=s=0": lambda r, s: raw_rs(0, 0),
        "r=n": lambda r, s: raw_rs(P256_N, s),
        "s=n": lambda r, s: raw_rs(r, P256_N),
        "r=n+1": lambda r, s: raw_rs(P256_N + 1, s),
        "s=n+1": lambda r, s: raw_rs(r, P256_N + 1),
        "r=2^256-1": lambda r, s: raw_rs(big, s),
        "s=2^256-1": lambda r, s: raw_rs(r, big),
        "r+n-mod-2^256": lambda r, s: raw_rs((r + P256_N) % 2 ** 256, s),
        "s+n-mod-2^256": lambda r, s: raw_rs(r, (s + P256_N) % 2 ** 256),
        "r=s=n": lambda r, s: raw_rs(P256_N, P256_N),
        "r=1,s=1": lambda r, s: raw_rs(1, 1),
        "r-and-s-swapped": lambda r, s: raw_rs(s, r),
        "len-0": lambda r, s: b"",
        "len-32-r-only": lambda r, s: raw_rs(r, s)[:32],
        "len-63": lambda r, s: raw_rs(r, s)[:63],
        "len-65-trailing-zero": lambda r, s: raw_rs(r, s) + b"\0",
        "len-65-leading-zero": lambda r, s: b"\0" + raw_rs(r, s),
        "len-66-padded-r-and-s": lambda r, s: (b"\0" + r.to_bytes(32, "big") + b"\0"
                                               + s.to_bytes(32, "big")),
        "len-96": lambda r, s: raw_rs(r, s) + raw_rs(r, s)[:32],
        "len-128": lambda r, s: raw_rs(r, s) * 2,
        "der": lambda r, s: encode_dss_signature(r, s),
        "der-then-zero-padded-to-72": lambda r, s: encode_dss_signature(r, s).ljust(72, b"\0"),
        "der-then-zero-padded-to-64": lambda r, s: encode_dss_signature(r, s)[:64].ljust(64, b"\0"),
    }


@pytest.mark.parametrize("case", list(ecdsa_cases()))
def test_ecdsa_signature_values(es, case):
    token = es.sign()                      # a valid token, then only its signature changes
    r, s = rs_of(split(token)[2])
    sig = ecdsa_cases()[case](r, s)
    assert sig != raw_rs(r, s)
    assert_rejected(es, with_sig(token, sig))


def test_ecdsa_high_s_variant(es):
    """(r, n - s) verifies whenever (r, s) does to plain ECDSA: a second text of the same
    token (malleability). tessera signs with low s and refuses the high-s twin, so a
    token has one encoding."""
    s = es.server
    for _ in range(4):
        lg = s.login(es.user)
        r_, s_ = rs_of(split(lg.access_token)[2])
        assert s_ <= P256_N // 2, "the server signed with a high s"
        variant = with_sig(lg.access_token, raw_rs(r_, P256_N - s_))
        assert s.profile(lg.access_token).status_code == 200
        assert_rejected(es, variant)
    r = s.post("/v1/auth/logout", {}, token=lg.access_token)
    assert r.status_code == 204, r.text
    assert_rejected(es, lg.access_token)


# --- EdDSA and RSA signature values -------------------------------------------------------------

def test_eddsa_signature_values(realms):
    R = realms("EdDSA")
    token = R.sign()
    sig = split(token)[2]
    s_ = int.from_bytes(sig[32:], "little")
    cases = {
        # RFC 8032 5.1.7: S must be below L, or (R, S + L) would be a second signature
        "s+L": sig[:32] + (s_ + ED25519_L).to_bytes(32, "little"),
        "s=L": sig[:32] + ED25519_L.to_bytes(32, "little"),
        "zeros": bytes(64),
        "identity-R-s-0": b"\x01" + bytes(63),
        "R-flipped": bytes([sig[0] ^ 1]) + sig[1:],
        "len-63": sig[:63],
        "len-65": sig + b"\0",
        "len-128": sig * 2,
    }
    for name, bad in cases.items():
        assert bad != sig, name
        assert_rejected(R, with_sig(token, bad))


def test_rsa_signature_values(realms):
    R = realms("RS256")
    token = R.sign()
    sig = split(token)[2]
    n = int.from_bytes(b64url_decode(R.pub_jwk["n"]), "big")
    k = len(sig)
    assert k == 256
    cases = {
        "zero": bytes(k),
        "one": (1).to_bytes(k, "big"),
        "n": n.to_bytes(k, "big"),
        "n-1": (n - 1).to_bytes(k, "big"),
        "sig+n": ((int.from_bytes(sig, "big") + n) % 2 ** (8 * k)).to_bytes(k, "big"),
        "len-255": sig[1:],
        "len-257-leading-zero": b"\0" + sig,
        "len-257-trailing-zero": sig + b"\0",
        "len-512": sig * 2,
        "len-0": b"",
    }
    for name, bad in cases.items():
        assert bad != sig, name
        assert_rejected(R, with_sig(token, bad))


# --- compact serialisation: segments and base64url ------------------------------------------------

SEGMENT_CASES = {
    "4-segments-empty": lambda t: t + ".",
    "4-segments-e30": lambda t: t + ".e30",
    "4-segments-sig-twice": lambda t: t + "." + t.rsplit(".", 1)[1],
    "4-segments-header-first": lambda t: t.split(".")[0] + "." + t,
    "5-segments-jwe-shaped": lambda t: t + ".e30.e30",
    "2-segments": lambda t: t.rsplit(".", 1)[0],
    "2-segments-payload-sig": lambda t: t.split(".", 1)[1],
    "1-segment": lambda t: t.split(".")[0],
    "no-dots-joined": lambda t: t.replace(".", ""),
    "dots-only": lambda t: "..",
    "three-dots": lambda t: "...",
    "empty-header": lambda t: "." + t.split(".", 1)[1],
    "empty-payload": lambda t: t.split(".")[0] + ".." + t.rsplit(".", 1)[1],
    "leading-dot": lambda t: "." + t,
    "double-dot": lambda t: t.replace(".", "..", 1),
}


@pytest.mark.parametrize("case", list(SEGMENT_CASES))
def test_segments(es, case):
    assert_rejected(es, SEGMENT_CASES[case](es.token))


def token_with_both_url_chars(R):
    """A valid token whose every segment contains '-' or '_' where it matters: the
    signature holds both (ECDSA is randomised: sign until it does), and header and
    payload lengths are not multiples of 4 so padding is meaningful."""
    header = js(R.header)
    while len(b64url_encode(header)) % 4 == 0:
        header = header[:-1] + b" }"
    claims = js(R.claims)
    while len(b64url_encode(claims)) % 4 == 0:
        claims = claims[:-1] + b" }"
    for _ in range(200):
        t = R.sign(header, claims)
        sig = t.rsplit(".", 1)[1]
        if "-" in sig and "_" in sig and len(sig) % 4:
            return t
    raise AssertionError("no signature with both '-' and '_' in 200 tries")


def std_b64(seg):
    return seg.replace("-", "+").replace("_", "/")


def pad(seg):
    return seg + "=" * (-len(seg) % 4)


def noncanonical_last_char(seg):
    """The same bytes with one unused trailing bit set (a lax decoder ignores it)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused = {2: 4, 3: 2}[len(seg) % 4]
    v = alphabet.index(seg[-1])
    assert v % (1 << unused) == 0
    return seg[:-1] + alphabet[v | 1]


def at(seg_index, f):
    def g(t):
        segs = t.split(".")
        segs[seg_index] = f(segs[seg_index])
        return ".".join(segs)
    return g


def insert_mid(text):
    return lambda seg: seg[:len(seg) // 2] + text + seg[len(seg) // 2:]


B64_CASES = {
    "std-alphabet-sig": at(2, std_b64),
    "std-alphabet-whole": lambda t: ".".join(std_b64(s) for s in t.split(".")),
    "padding-header": at(0, pad),
    "padding-payload": at(1, pad),
    "padding-sig": at(2, pad),
    "padding-all": lambda t: ".".join(pad(s) for s in t.split(".")),
    "extra-equals-sig": at(2, lambda s: s + "="),
    "noncanonical-sig": at(2, noncanonical_last_char),
    "noncanonical-payload": at(1, noncanonical_last_char),
    "space-in-header": at(0, insert_mid(" ")),
    "space-in-payload": at(1, insert_mid(" ")),
    "space-in-sig": at(2, insert_mid(" ")),
    "space-around-dot": lambda t: t.replace(".", " . ", 1),
    "tab-in-sig": at(2, insert_mid("\t")),
    "e-acute-in-sig": at(2, insert_mid("\u00e9")),
    "e-acute-replacing-char": at(2, lambda s: s[:10] + "\u00e9" + s[11:]),
    "fullwidth-A-in-payload": at(1, insert_mid("\uff21")),
    "raw-0xff-byte-in-sig": at(2, insert_mid("\udcff")),
    "raw-0x80-byte-in-header": at(0, insert_mid("\udc80")),
    "percent-in-sig": at(2, insert_mid("%41")),
    "star-in-payload": at(1, insert_mid("*")),
    "base64-of-base64-header": at(0, lambda s: b64url_encode(s.encode())),
}
# Not presentable in an HTTP header (requests refuses them); introspection only.
B64_BODY_ONLY = {
    "newline-in-sig": at(2, insert_mid("\n")),
    "crlf-in-payload": at(1, insert_mid("\r\n")),
    "trailing-newline": lambda t: t + "\n",
    "vertical-tab-in-sig": at(2, insert_mid("\x0b")),
}


@pytest.mark.parametrize("case", list(B64_CASES) + list(B64_BODY_ONLY))
def test_base64url_is_strict(es, case):
    t = token_with_both_url_chars(es)
    assert_accepted(es, t)                 # the token itself is good
    f = B64_CASES.get(case) or B64_BODY_ONLY[case]
    bad = f(t)
    assert bad != t
    assert_rejected(es, bad, via_header=case in B64_CASES)


# --- duplicate members --------------------------------------------------------------------------

def header_text(R, *members):
    """Raw JSON header text: the given (name, value) members in order."""
    return "{" + ",".join(f'"{k}":{json.dumps(v)}' for k, v in members) + "}"


DUP_HEADERS = {
    "alg-none-then-real": lambda R: [("alg", "none"), ("alg", R.alg), ("typ", "at+jwt"),
                                     ("kid", R.kid)],
    "alg-real-then-none": lambda R: [("alg", R.alg), ("alg", "none"), ("typ", "at+jwt"),
                                     ("kid", R.kid)],
    "alg-real-twice": lambda R: [("alg", R.alg), ("alg", R.alg), ("typ", "at+jwt"),
                                 ("kid", R.kid)],
    "alg-hs256-then-real": lambda R: [("alg", "HS256"), ("alg", R.alg), ("typ", "at+jwt"),
                                      ("kid", R.kid)],
    "kid-unknown-then-real": lambda R: [("alg", R.alg), ("typ", "at+jwt"), ("kid", "x"),
                                        ("kid", R.kid)],
    "kid-real-then-unknown": lambda R: [("alg", R.alg), ("typ", "at+jwt"), ("kid", R.kid),
                                        ("kid", "x")],
    "typ-jwt-then-at-jwt": lambda R: [("alg", R.alg), ("typ", "JWT"), ("typ", "at+jwt"),
                                      ("kid", R.kid)],
    "typ-at-jwt-twice": lambda R: [("alg", R.alg), ("typ", "at+jwt"), ("typ", "at+jwt"),
                                   ("kid", R.kid)],
}


@pytest.mark.parametrize("case", list(DUP_HEADERS))
@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_duplicate_header_members(realms, alg, case):
    R = realms(alg)
    assert_rejected(R, R.sign(header_text(R, *DUP_HEADERS[case](R))))


def test_duplicate_header_members_with_escapes(es):
    """"alg" and "\\u0061lg" are the same member name once decoded."""
    text = '{"alg":"none","\\u0061lg":"%s","typ":"at+jwt","kid":"%s"}' % (es.alg, es.kid)
    assert_rejected(es, es.sign(text))
    text = '{"alg":"%s","\\u0061lg":"none","typ":"at+jwt","kid":"%s"}' % (es.alg, es.kid)
    assert_rejected(es, es.sign(text))


def claims_text(R, dup_name, first, second):
    """The real claims with `dup_name` written twice: `first`, then `second`."""
    rest = {k: v for k, v in R.claims.items() if k != dup_name}
    body = js(rest).decode()[1:-1]
    return ("{" + f'"{dup_name}":{json.dumps(first)},' + body
            + f',"{dup_name}":{json.dumps(second)}' + "}")


DUP_CLAIMS = {
    "sub-real-then-other": lambda R: ("sub", R.user.id, R.other.id),
    "sub-other-then-real": lambda R: ("sub", R.other.id, R.user.id),
    "exp-past-then-future": lambda R: ("exp", 1, R.claims["exp"]),
    "exp-future-then-past": lambda R: ("exp", R.claims["exp"], 1),
    "aud-other-then-ours": lambda R: ("aud", "other-api", R.claims["aud"]),
    "iss-wrong-then-right": lambda R: ("iss", "https://evil.example", R.claims["iss"]),
    "roles-admin-then-real": lambda R: ("roles", ["admin"], R.claims["roles"]),
    "scope-real-twice": lambda R: ("scope", R.claims["scope"], R.claims["scope"]),
    "sid-real-twice": lambda R: ("sid", R.claims["sid"], R.claims["sid"]),
}


@pytest.mark.parametrize("case", list(DUP_CLAIMS))
def test_duplicate_claims(es, case):
    assert_rejected(es, es.sign(claims=claims_text(es, *DUP_CLAIMS[case](es))))


# --- JSON that is not an object, or is hostile -------------------------------------------------

def nested(depth):
    return "[" * depth + "1" + "]" * depth


JSON_CASES = {
    "header-array": lambda R: (json.dumps([R.header]), None),
    "header-string": lambda R: (json.dumps(R.alg), None),
    "header-null": lambda R: ("null", None),
    "header-trailing-comma": lambda R: (js(R.header).decode()[:-1] + ",}", None),
    "header-trailing-garbage": lambda R: (js(R.header).decode() + "x", None),
    "header-two-objects": lambda R: (js(R.header).decode() + js(R.header).decode(), None),
    "header-utf8-bom": lambda R: ("\ufeff" + js(R.header).decode(), None),
    "header-single-quotes": lambda R: (js(R.header).decode().replace('"', "'"), None),
    "header-nul-in-alg": lambda R: (js(R.hdr(alg=R.alg + "\u0000")).decode(), None),
    "header-deeply-nested": lambda R: (js(R.header).decode()[:-1] + ',"x":'
                                       + nested(100) + "}", None),
    "payload-array": lambda R: (None, json.dumps([R.claims])),
    "payload-null": lambda R: (None, "null"),
    "payload-string": lambda R: (None, json.dumps(json.dumps(R.claims))),
    "payload-trailing-garbage": lambda R: (None, js(R.claims).decode() + "]"),
    "payload-invalid-utf8": lambda R: (None, js(R.claims)[:-1] + b',"x":"\xff\xfe"}'),
    "payload-deeply-nested": lambda R: (None, js(R.claims).decode()[:-1] + ',"x":'
                                        + nested(1000) + "}"),
    "payload-nul-in-sub": lambda R: (None, js(R.clm(sub=R.user.id + "\u0000admin"))),
    "payload-empty": lambda R: (None, ""),
}


@pytest.mark.parametrize("case", list(JSON_CASES))
def test_hostile_json(es, case):
    header, claims = JSON_CASES[case](es)
    assert_rejected(es, es.sign(header, claims))


# --- size -----------------------------------------------------------------------------------------

SIZE_CASES = {
    # a correctly signed token of 100 kB: a large claim
    "token-100kB": lambda R: R.sign(claims=R.clm(pad="a" * 75000)),
    # a JOSE header of 20 kB
    "header-20kB": lambda R: R.sign(R.hdr(pad="h" * 20000)),
    # just past the library's limit
    "token-just-over-8192": lambda R: R.sign(claims=R.clm(
        pad="a" * ((MAX_TOKEN_LEN + 1 - len(R.sign())) * 3 // 4 + 12))),
    # junk, not even a JWS
    "junk-100kB": lambda R: "A" * 100000,
    "dots-100kB": lambda R: "." * 100000,
}


@pytest.mark.parametrize("case", list(SIZE_CASES))
def test_oversized(es, case):
    t = SIZE_CASES[case](es)
    assert is_big(t), len(t)
    assert_rejected(es, t)


# --- the answer itself -----------------------------------------------------------------------

def test_the_401_body_is_the_spec_error_envelope(es):
    """SPEC section 2: every error has the body {"error", "error_description"}; the
    RFC 6749 `error_uri` belongs to the OAuth 2 endpoints (docs/oauth2.md), and a
    member whose value is null is not part of the envelope."""
    r = es.server.profile(with_header(es.token, es.hdr(alg="none")))
    assert_bearer_401(r)
    body = r.json()
    assert body["error"] == "invalid_token", body
    assert set(body) == {"error", "error_description"}, body


# --- last: nobody fetched anything ----------------------------------------------------------------

def test_no_key_was_ever_fetched(attacker):
    """After every jku/x5u case of this module (and a moment for any asynchronous
    fetch), the attacker's server has seen no connection at all."""
    time.sleep(0.3)
    attacker.assert_never_contacted()
