# SPDX-License-Identifier: Apache-2.0
"""Native TLS and RFC 8705 mutual TLS, end to end over real HTTPS (docs/tls.md,
SPEC section 6).

The certificates come from `tessera dev-certs`, made once for the module: the main CA
with the client certificates `svc` and `other` (CA-signed and self-signed), a second
CA (--ca-name) that issued a certificate with svc's subject, and a third run with
--expired whose CA is trusted by the servers that test expiry. The servers are
shared by the module; every test registers its own clients and users.

What is checked: HTTPS (TLS 1.2 and 1.3, not 1.1) with https issuer and metadata URLs,
a plain listener alongside; tls_client_auth and self_signed_tls_client_auth at the
token, revocation and introspection endpoints (with curl and with requests);
certificate-bound access tokens (cnf x5t#S256) refused without their certificate or
with another one at /v1/auth/me and inactive at introspection; the binding kept on
refresh; wrong-CA, self-signed and expired certificates refused; no secret for an mTLS
client; tls.client_certs=required; the client certificate from a trusted proxy's
header (server.client_cert_header) and its being ignored from an untrusted peer.
"""
import datetime
import json
import re
import secrets
import socket
import ssl
import subprocess
import urllib.parse

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from harness.assertions import assert_bearer_401, assert_error, assert_oauth_error
from harness.cli import run_bin
from harness.jose import jwt_parts

ORG = "tessera development"
SVC_DN = f"CN=svc,O={ORG}"
OTHER_DN = f"CN=other,O={ORG}"
LINE_RE = re.compile(r'^(\S+\.pem) subject="([^"]*)" x5t#S256=([A-Za-z0-9_-]{43})$')
CC = {"grant_type": "client_credentials"}
INACTIVE = {"active": False}
MTLS_METHODS = {"tls_client_auth", "self_signed_tls_client_auth"}
PROXY_HEADER = "X-SSL-Client-Cert"


def tag():
    return secrets.token_hex(4)


# --- certificates ---------------------------------------------------------------------

class CertDir:
    """One `tessera dev-certs` run: its directory and the printed subject and x5t#S256
    of each client certificate."""

    def __init__(self, path, stdout):
        self.path = path
        self.printed = {}
        for line in stdout.splitlines():
            m = LINE_RE.match(line)
            assert m, f"unexpected dev-certs output line {line!r}"
            self.printed[m.group(1)] = (m.group(2), m.group(3))

    @property
    def ca(self):
        return str(self.path / "ca.pem")

    def file(self, name):
        return str(self.path / name)

    def pair(self, stem):
        """(cert, key) for requests' cert=, e.g. pair("client-svc")."""
        return (self.file(stem + ".pem"), self.file(stem + "-key.pem"))

    def x5t(self, stem):
        return self.printed[stem + ".pem"][1]

    def subject(self, stem):
        return self.printed[stem + ".pem"][0]

    def pem(self, stem):
        return (self.path / (stem + ".pem")).read_text()


def dev_certs(base, name, *args):
    d = base / name
    r = run_bin("dev-certs", "--dir", d, *args, timeout=30, cwd=base)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return CertDir(d, r.stdout)


def issue_client_cert(cd, stem, cn, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)):
    """A valid client certificate signed by the CA of dev-certs run `cd` (for the
    --expired run, whose other client certificates are expired: the control that shows
    that CA is trusted). eku: its extended key usages (None: no such extension)."""
    ca_cert = x509.load_pem_x509_certificate((cd.path / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((cd.path / "ca-key.pem").read_bytes(),
                                                None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
                                  x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
         .issuer_name(ca_cert.subject)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
         # names its CA's key: the runs' CAs may share a name in one trust bundle
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             ca_key.public_key()), False))
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), False)
    cert = b.sign(ca_key, hashes.SHA256())
    (cd.path / (stem + ".pem")).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp = cd.path / (stem + "-key.pem")
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    kp.chmod(0o600)
    return cd.pair(stem)


class Certs:
    pass


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    base = tmp_path_factory.mktemp("certs")
    c = Certs()
    c.main = dev_certs(base, "main", "--client", "svc", "--client", "other")
    c.other_ca = dev_certs(base, "other-ca", "--ca-name", "other development CA",
                           "--client", "svc")
    c.expired = dev_certs(base, "expired", "--expired", "--client", "svc")
    c.expired_ok = issue_client_cert(c.expired, "client-fresh", "svc")
    # svc's subject from the main CA, but for TLS servers only / with no usage named
    c.server_only = issue_client_cert(c.main, "client-server-eku", "svc",
                                      eku=(ExtendedKeyUsageOID.SERVER_AUTH,))
    c.no_eku = issue_client_cert(c.main, "client-no-eku", "svc", eku=None)
    # the main CA and the expired run's CA, for the server that requires certificates
    c.bundle = str(base / "bundle.pem")
    with open(c.bundle, "w") as f:
        f.write((c.main.path / "ca.pem").read_text() + (c.expired.path / "ca.pem").read_text())
    return c


def tls_settings(cd, **extra):
    s = {"tls.cert_file": cd.file("server.pem"), "tls.key_file": cd.file("server-key.pem"),
         "tls.client_ca_file": cd.ca}
    s.update({k.replace("__", "."): v for k, v in extra.items()})
    return s


# --- servers --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def srv(make_module_server, certs):
    """HTTPS with the main CA for client certificates (optional), and a plain listener."""
    return make_module_server(tls_settings(certs.main, tls__plain_listen="127.0.0.1:0"),
                              verify=certs.main.ca)


@pytest.fixture(scope="module")
def expired_srv(make_module_server, certs):
    """HTTPS trusting the CA of the --expired run."""
    return make_module_server(tls_settings(certs.expired), verify=certs.expired.ca)


@pytest.fixture(scope="module")
def required_srv(make_module_server, certs):
    s = tls_settings(certs.main, tls__client_certs="required")
    s["tls.client_ca_file"] = certs.bundle
    return make_module_server(s, verify=certs.main.ca)


@pytest.fixture(scope="module")
def required_plain_srv(make_module_server, certs):
    """client_certs=required with a plain listener, behind a (pretend) TLS proxy on
    127.0.0.1 that forwards the client certificate in PROXY_HEADER."""
    s = tls_settings(certs.main, tls__client_certs="required",
                     tls__plain_listen="127.0.0.1:0", server__trusted_proxies="127.0.0.1",
                     server__client_cert_header=PROXY_HEADER)
    return make_module_server(s, verify=certs.main.ca)


@pytest.fixture(scope="module")
def proxy_srv(make_module_server, certs):
    """Plain HTTP behind a (pretend) TLS proxy on 127.0.0.1 that forwards the client
    certificate like nginx's $ssl_client_escaped_cert."""
    return make_module_server({"tls.client_ca_file": certs.main.ca,
                               "server.trusted_proxies": "127.0.0.1",
                               "server.client_cert_header": PROXY_HEADER})


@pytest.fixture(scope="module")
def untrusted_srv(make_module_server, certs):
    """HTTPS and a plain listener with a client certificate header but no trusted proxy:
    the header must be ignored."""
    return make_module_server(tls_settings(certs.main, tls__plain_listen="127.0.0.1:0",
                                           server__client_cert_header=PROXY_HEADER),
                              verify=certs.main.ca)


# --- helpers --------------------------------------------------------------------------

def mtls_client(s, dn=SVC_DN, grants=("client_credentials",), **opts):
    c = s.add_client("mtls-" + tag(), id="mtls-" + tag(), grants=list(grants),
                     auth_method="tls_client_auth", tls_subject_dn=dn, **opts)
    assert c["token_endpoint_auth_method"] == "tls_client_auth", c
    assert not c.get("client_secret"), "an mTLS client got a secret"
    return c


def self_signed_client(s, x5t, grants=("client_credentials",)):
    c = s.add_client("ss-" + tag(), id="ss-" + tag(), grants=list(grants),
                     auth_method="self_signed_tls_client_auth", tls_thumbprint=x5t)
    assert c["token_endpoint_auth_method"] == "self_signed_tls_client_auth", c
    assert not c.get("client_secret"), "an mTLS client got a secret"
    return c


def cnf(token):
    return jwt_parts(token)[1].get("cnf")


def password_form(u):
    return {"grant_type": "password", "username": u.username, "password": u.password}


def me(s, token, **kw):
    return s.get("/v1/auth/me", token=token, **kw)


def assert_me_ok(s, token, user, **kw):
    r = me(s, token, **kw)
    assert r.status_code == 200, f"/v1/auth/me: {r.status_code} {r.text}"
    assert r.json()["id"] == user.id, r.json()


def assert_token_refused(r):
    """401 invalid_token of a Bearer endpoint."""
    assert_bearer_401(r)
    assert r.json()["error"] == "invalid_token", r.json()


def assert_invalid_client(r):
    assert_oauth_error(r, 401, "invalid_client")


def still_alive(s):
    r = s.get("/healthz")
    assert r.status_code == 200, r.text
    assert s.running()


def refused_or_403(call):
    """Under tls.client_certs=required a bad certificate may end the handshake or get
    403 access_denied; never anything else."""
    try:
        r = call()
    except requests.exceptions.ConnectionError:      # SSLError is one
        return "handshake"
    assert_error(r, 403, "access_denied")
    return 403


def curl(*args):
    r = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", *map(str, args)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    body, _, code = r.stdout.rpartition("\n")
    return int(code), body


def tls_connect(s, lo, hi, seclevel0=False):
    """A raw ssl handshake with versions lo..hi and one GET /healthz; returns
    (negotiated version, status line)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(s.verify)
    if seclevel0:                      # lets OpenSSL 3 offer TLS 1.0/1.1 at all
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version, ctx.maximum_version = lo, hi
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                      b"Connection: close\r\n\r\n")
            data = b""
            while True:
                d = c.recv(4096)
                if not d:
                    break
                data += d
            return c.version(), data.split(b"\r\n", 1)[0].decode()


# --- HTTPS ----------------------------------------------------------------------------

def test_https_healthz_issuer_and_metadata(srv, certs):
    assert srv.url.startswith("https://127.0.0.1:")
    r = srv.get("/healthz")
    assert r.status_code == 200, r.text
    m = srv.metadata()
    assert m["issuer"] == srv.url
    for k in ("token_endpoint", "jwks_uri", "revocation_endpoint",
              "introspection_endpoint"):
        assert m[k].startswith(srv.url + "/"), (k, m[k])
    for k in ("token_endpoint_auth_methods_supported",
              "revocation_endpoint_auth_methods_supported",
              "introspection_endpoint_auth_methods_supported"):
        assert MTLS_METHODS <= set(m[k]), (k, m[k])
    assert m["tls_client_certificate_bound_access_tokens"] is True
    # tokens name the https issuer
    c = mtls_client(srv)
    t = srv.token_ok(CC, c, cert=certs.main.pair("client-svc"))["access_token"]
    assert jwt_parts(t)[1]["iss"] == srv.url
    # the certificate is checked: without the CA, the handshake fails
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(srv.url + "/healthz", timeout=10, verify=True)
    # plain HTTP on the TLS port is no HTTP answer
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{srv.port}/healthz", timeout=10)
    still_alive(srv)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_tls_1_1_is_refused(srv):
    with pytest.raises((ssl.SSLError, ConnectionError)) as e:
        tls_connect(srv, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, seclevel0=True)
    # the client did offer TLS 1.1: the failure is the server's answer, not ours
    assert "NO_PROTOCOLS_AVAILABLE" not in str(e.value).upper(), e.value
    still_alive(srv)


@pytest.mark.parametrize("version,name", [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                                          (ssl.TLSVersion.TLSv1_3, "TLSv1.3")])
def test_tls_1_2_and_1_3_succeed(srv, version, name):
    got, status = tls_connect(srv, version, version)
    assert got == name
    assert status == "HTTP/1.1 200 OK", status


def test_plain_listener_alongside(srv):
    assert srv.plain_url and srv.plain_url.startswith("http://127.0.0.1:")
    assert srv.plain_port != srv.port
    r = srv.get("/healthz", base=srv.plain_url)
    assert r.status_code == 200, r.text
    # one issuer: the https one, whichever listener answers
    m = srv.get("/.well-known/oauth-authorization-server", base=srv.plain_url).json()
    assert m["issuer"] == srv.url
    # the plain listener speaks no TLS
    with pytest.raises(requests.exceptions.SSLError):
        requests.get("https" + srv.plain_url[4:] + "/healthz", timeout=10,
                     verify=srv.verify)


def test_metadata_without_client_ca_has_no_mtls(make_server, certs):
    """TLS without tls.client_ca_file (and no certificate header): no client
    certificate can reach the server, so the metadata does not offer RFC 8705."""
    s = make_server({"tls.cert_file": certs.main.file("server.pem"),
                     "tls.key_file": certs.main.file("server-key.pem")},
                    verify=certs.main.ca)
    assert s.url.startswith("https://")
    # the handshake asks for no client certificate: even a self-signed client (which
    # needs no CA) cannot authenticate
    c = self_signed_client(s, certs.main.x5t("selfsigned-svc"))
    assert_invalid_client(s.token_request(CC, c, cert=certs.main.pair("selfsigned-svc")))
    m = s.metadata()
    assert m["issuer"] == s.url
    for k in ("token_endpoint_auth_methods_supported",
              "revocation_endpoint_auth_methods_supported",
              "introspection_endpoint_auth_methods_supported"):
        assert not MTLS_METHODS & set(m[k]), (k, m[k])
    assert "tls_client_certificate_bound_access_tokens" not in m, m


# --- tls_client_auth and bound tokens ---------------------------------------------------

def test_bound_token_with_curl(srv, certs):
    c = mtls_client(srv)
    cert, key = certs.main.pair("client-svc")
    code, body = curl("--cacert", certs.main.ca, "--cert", cert, "--key", key,
                      "-d", "grant_type=client_credentials", "-d",
                      f"client_id={c['client_id']}", srv.url + "/oauth2/token")
    assert code == 200, body
    b = json.loads(body)
    srv.secrets.add(b["access_token"])
    assert b["token_type"] == "Bearer"
    assert cnf(b["access_token"]) == {"x5t#S256": certs.main.x5t("client-svc")}
    assert certs.main.subject("client-svc") == SVC_DN
    # introspection by the client itself, with its certificate: active, with cnf
    code, body = curl("--cacert", certs.main.ca, "--cert", cert, "--key", key,
                      "-d", f"client_id={c['client_id']}",
                      "--data-urlencode", f"token={b['access_token']}",
                      srv.url + "/oauth2/introspect")
    assert code == 200, body
    i = json.loads(body)
    assert i["active"] is True and i["client_id"] == c["client_id"], i
    assert i.get("cnf") == {"x5t#S256": certs.main.x5t("client-svc")}, i
    # without a certificate curl cannot authenticate the client
    code, body = curl("--cacert", certs.main.ca, "-d", "grant_type=client_credentials",
                      "-d", f"client_id={c['client_id']}", srv.url + "/oauth2/token")
    assert code == 401 and json.loads(body)["error"] == "invalid_client", body


def test_bound_token_with_requests(srv, certs):
    c = mtls_client(srv)
    svc = certs.main.pair("client-svc")
    b = srv.token_ok(CC, c, cert=svc)
    assert cnf(b["access_token"]) == {"x5t#S256": certs.main.x5t("client-svc")}
    assert "refresh_token" not in b
    # each token binds to the certificate on its own connection
    t2 = srv.token_ok(CC, c, cert=svc)["access_token"]
    assert cnf(t2) == cnf(b["access_token"])
    i = srv.introspect_ok(b["access_token"], c, cert=svc)
    assert i["active"] is True and i["cnf"] == {"x5t#S256": certs.main.x5t("client-svc")}


def test_bound_user_token_at_me_and_introspection(srv, certs):
    svc, other = certs.main.pair("client-svc"), certs.main.pair("client-other")
    c = mtls_client(srv, grants=("password", "refresh_token"))
    oc = mtls_client(srv, dn=OTHER_DN)
    rs = srv.add_client("rs-" + tag())               # a resource server with a secret
    u = srv.add_user()
    b = srv.token_ok(password_form(u), c, cert=svc)
    at = b["access_token"]
    assert cnf(at) == {"x5t#S256": certs.main.x5t("client-svc")}
    assert jwt_parts(at)[1]["sub"] == u.id

    # /v1/auth/me: only with the certificate
    assert_me_ok(srv, at, u, cert=svc)
    assert_token_refused(me(srv, at))
    assert_token_refused(me(srv, at, cert=other))
    assert_token_refused(me(srv, at, cert=certs.main.pair("selfsigned-svc")))
    assert_token_refused(me(srv, at, base=srv.plain_url))
    assert_me_ok(srv, at, u, cert=svc)                # still fine after the refusals

    # introspection: active only when the request presents the same certificate
    i = srv.introspect_ok(at, c, cert=svc)
    assert i["active"] is True and i["sub"] == u.id, i
    assert i["cnf"] == {"x5t#S256": certs.main.x5t("client-svc")}, i
    assert srv.introspect_ok(at, oc, cert=other) == INACTIVE
    assert srv.introspect_ok(at, rs) == INACTIVE
    assert srv.introspect_ok(at, rs, base=srv.plain_url) == INACTIVE
    assert srv.introspect_ok(at, rs, cert=other) == INACTIVE
    assert srv.introspect_ok(at, rs, cert=svc)["active"] is True
    # an unbound token is active for anyone
    plain_client = srv.add_client("pw-" + tag(), grants=["password"])
    ut = srv.token_ok(password_form(u), plain_client)["access_token"]
    assert cnf(ut) is None
    assert srv.introspect_ok(ut, rs)["active"] is True
    assert_me_ok(srv, ut, u)


def test_refresh_over_mtls_keeps_the_binding(srv, certs):
    svc, other = certs.main.pair("client-svc"), certs.main.pair("client-other")
    c = mtls_client(srv, grants=("password", "refresh_token"))
    u = srv.add_user()
    b = srv.token_ok(password_form(u), c, cert=svc)
    want = {"x5t#S256": certs.main.x5t("client-svc")}
    # the refresh token needs the client's certificate
    form = {"grant_type": "refresh_token", "refresh_token": b["refresh_token"]}
    assert_invalid_client(srv.token_request(form, c))
    assert_invalid_client(srv.token_request(form, c, cert=other))
    b2 = srv.token_ok(form, c, cert=svc)
    assert cnf(b2["access_token"]) == want
    assert jwt_parts(b2["access_token"])[1]["sid"] == jwt_parts(b["access_token"])[1]["sid"]
    assert_me_ok(srv, b2["access_token"], u, cert=svc)
    assert_token_refused(me(srv, b2["access_token"]))
    assert_token_refused(me(srv, b2["access_token"], cert=other))
    rt = b2.get("refresh_token", b["refresh_token"])
    b3 = srv.token_ok({"grant_type": "refresh_token", "refresh_token": rt}, c, cert=svc)
    assert cnf(b3["access_token"]) == want


def test_self_signed_tls_client_auth(srv, certs):
    ss = certs.main.pair("selfsigned-svc")
    ca_signed = certs.main.pair("client-svc")
    x5t = certs.main.x5t("selfsigned-svc")
    c = self_signed_client(srv, x5t, grants=("client_credentials", "password"))
    t = srv.token_ok(CC, c, cert=ss)["access_token"]
    assert cnf(t) == {"x5t#S256": x5t}
    # the CA-signed certificate of the same subject is another certificate
    assert_invalid_client(srv.token_request(CC, c, cert=ca_signed))
    assert_invalid_client(srv.token_request(CC, c, cert=certs.main.pair("selfsigned-other")))
    assert_invalid_client(srv.token_request(CC, c))
    # a bound user token works with the self-signed certificate only
    u = srv.add_user()
    at = srv.token_ok(password_form(u), c, cert=ss)["access_token"]
    assert cnf(at) == {"x5t#S256": x5t}
    assert_me_ok(srv, at, u, cert=ss)
    assert_token_refused(me(srv, at, cert=ca_signed))
    assert srv.introspect_ok(at, c, cert=ss)["active"] is True
    # and a tls_client_auth client of that subject does not accept the self-signed one
    dn_client = mtls_client(srv)
    assert_invalid_client(srv.token_request(CC, dn_client, cert=ss))


def test_mtls_client_cannot_use_a_secret(srv, certs):
    svc = certs.main.pair("client-svc")
    for c in (mtls_client(srv), self_signed_client(srv, certs.main.x5t("client-svc"))):
        for cert in (None, svc):
            made_up = "made-up-" + secrets.token_urlsafe(16)
            r = srv.token_request(CC, c, auth="client_secret_post", client_secret=made_up,
                                  cert=cert)
            assert_oauth_error(r, 401, "invalid_client", basic=False)
            r = srv.token_request(CC, c, auth="client_secret_basic", client_secret=made_up,
                                  cert=cert)
            assert_oauth_error(r, 401, "invalid_client", basic=True)
            r = srv.introspect("x" * 43, c, auth="client_secret_basic",
                               client_secret=made_up, cert=cert)
            assert_oauth_error(r, 401, "invalid_client")
            r = srv.revoke("x" * 43, c, auth="client_secret_post", client_secret=made_up,
                           cert=cert)
            assert_oauth_error(r, 401, "invalid_client")
        # its certificate alone still works
        assert srv.token_request(CC, c, cert=svc).status_code == 200


def test_wrong_ca_is_invalid_client(srv, certs):
    wrong = certs.other_ca.pair("client-svc")
    assert certs.other_ca.subject("client-svc") == SVC_DN        # the same subject
    c = mtls_client(srv, grants=("client_credentials", "password"))
    assert_invalid_client(srv.token_request(CC, c, cert=wrong))
    assert_invalid_client(srv.introspect("x" * 43, c, cert=wrong))
    assert_invalid_client(srv.revoke("x" * 43, c, cert=wrong))
    # the self-signed certificate of the subject does not chain to the CA either
    assert_invalid_client(srv.token_request(CC, c, cert=certs.main.pair("selfsigned-svc")))
    still_alive(srv)
    assert srv.token_request(CC, c, cert=certs.main.pair("client-svc")).status_code == 200


def test_expired_certificate_is_invalid_client(expired_srv, certs):
    s = expired_srv
    c = mtls_client(s)
    # the control: a valid certificate of the same CA and subject authenticates
    b = s.token_ok(CC, c, cert=certs.expired_ok)
    assert cnf(b["access_token"])["x5t#S256"] != certs.expired.x5t("client-svc")
    assert_invalid_client(s.token_request(CC, c, cert=certs.expired.pair("client-svc")))
    assert_invalid_client(s.introspect(b["access_token"], c,
                                       cert=certs.expired.pair("client-svc")))
    still_alive(s)


# --- tls.client_certs = required ------------------------------------------------------

def test_client_certs_required(required_srv, certs):
    s = required_srv
    # no certificate: 403 access_denied, JSON
    for path in ("/healthz", "/.well-known/oauth-authorization-server"):
        assert_error(s.get(path), 403, "access_denied")
    c = mtls_client(s)
    assert_error(s.token_request(CC, c), 403, "access_denied")
    # a trusted certificate: served, and it authenticates its client
    svc = certs.main.pair("client-svc")
    assert s.get("/healthz", cert=svc).status_code == 200
    assert cnf(s.token_ok(CC, c, cert=svc)["access_token"]) == \
        {"x5t#S256": certs.main.x5t("client-svc")}
    # any certificate of a trusted CA will do for the transport (another client's, or
    # from the bundle's second CA)
    assert s.get("/healthz", cert=certs.main.pair("client-other")).status_code == 200
    assert s.get("/healthz", cert=certs.expired_ok).status_code == 200
    # untrusted ones: refused
    for bad in (certs.other_ca.pair("client-svc"), certs.main.pair("selfsigned-svc"),
                certs.expired.pair("client-svc")):
        refused_or_403(lambda: s.get("/healthz", cert=bad))
        refused_or_403(lambda: s.token_request(CC, c, cert=bad))
    assert s.get("/healthz", cert=svc).status_code == 200
    assert s.running()


def test_client_certs_required_on_the_plain_listener(required_plain_srv, certs):
    """docs/tls.md: the plain listener serves the health probes to anyone, and every
    other route only with a trusted certificate forwarded by a trusted proxy."""
    s = required_plain_srv
    plain = s.plain_url
    for path in ("/healthz", "/readyz"):
        assert s.get(path, base=plain).status_code == 200
    c = mtls_client(s)
    u = s.add_user()
    for r in (s.get("/.well-known/oauth-authorization-server", base=plain),
              s.get("/.well-known/jwks.json", base=plain),
              s.token_request(CC, c, base=plain),
              s.login_raw(username=u.username, password=u.password, base=plain)):
        assert_error(r, 403, "access_denied")
    # an untrusted forwarded certificate does not open it either
    assert_error(s.token_request(CC, c, base=plain,
                                 headers={PROXY_HEADER: escaped(certs.other_ca, "client-svc")}),
                 403, "access_denied")
    hdr = {PROXY_HEADER: escaped(certs.main, "client-svc")}
    assert s.get("/.well-known/jwks.json", base=plain, headers=hdr).status_code == 200
    assert cnf(s.token_ok(CC, c, base=plain, headers=hdr)["access_token"]) == \
        {"x5t#S256": certs.main.x5t("client-svc")}
    still_alive_with(s, certs.main.pair("client-svc"))


def still_alive_with(s, cert):
    assert s.get("/healthz", cert=cert).status_code == 200
    assert s.running()


def test_certificate_not_for_tls_clients_is_refused(srv, required_srv, certs):
    """A certificate whose extended key usage leaves out clientAuth authenticates no
    client and opens no required listener; one without the extension is for any use."""
    c = mtls_client(srv)
    assert_invalid_client(srv.token_request(CC, c, cert=certs.server_only))
    assert cnf(srv.token_ok(CC, c, cert=certs.no_eku)["access_token"]) is not None
    refused_or_403(lambda: required_srv.get("/healthz", cert=certs.server_only))
    assert required_srv.get("/healthz", cert=certs.no_eku).status_code == 200
    assert required_srv.get("/healthz", cert=certs.main.pair("client-svc")).status_code == 200


# --- the client certificate from a trusted proxy ----------------------------------------

def escaped(cd, stem):
    return urllib.parse.quote(cd.pem(stem), safe="")


def test_proxy_header_authenticates_and_binds(proxy_srv, certs):
    s = proxy_srv
    assert s.url.startswith("http://")
    m = s.metadata()
    assert MTLS_METHODS <= set(m["token_endpoint_auth_methods_supported"])
    assert m["tls_client_certificate_bound_access_tokens"] is True
    hdr = {PROXY_HEADER: escaped(certs.main, "client-svc")}
    other_hdr = {PROXY_HEADER: escaped(certs.main, "client-other")}
    c = mtls_client(s, grants=("client_credentials", "password", "refresh_token"))
    assert_invalid_client(s.token_request(CC, c))
    t = s.token_ok(CC, c, headers=hdr)["access_token"]
    assert cnf(t) == {"x5t#S256": certs.main.x5t("client-svc")}
    u = s.add_user()
    b = s.token_ok(password_form(u), c, headers=hdr)
    at = b["access_token"]
    assert cnf(at) == {"x5t#S256": certs.main.x5t("client-svc")}
    assert_me_ok(s, at, u, headers=hdr)
    assert_token_refused(me(s, at))
    assert_token_refused(me(s, at, headers=other_hdr))
    assert s.introspect_ok(at, c, headers=hdr)["active"] is True
    oc = mtls_client(s, dn=OTHER_DN)
    assert s.introspect_ok(at, oc, headers=other_hdr) == INACTIVE
    # the refresh keeps the binding through the header too
    b2 = s.token_ok({"grant_type": "refresh_token", "refresh_token": b["refresh_token"]},
                    c, headers=hdr)
    assert cnf(b2["access_token"]) == cnf(at)
    # a forwarded certificate is checked like a direct one
    for bad in (escaped(certs.other_ca, "client-svc"), escaped(certs.main, "selfsigned-svc"),
                escaped(certs.expired, "client-svc"), "not-a-certificate",
                "%ZZ" + escaped(certs.main, "client-svc")):
        assert_invalid_client(s.token_request(CC, c, headers={PROXY_HEADER: bad}))
    still_alive(s)


def test_proxy_header_ignored_from_an_untrusted_peer(untrusted_srv, certs):
    s = untrusted_srv
    svc = certs.main.pair("client-svc")
    hdr = {PROXY_HEADER: escaped(certs.main, "client-svc")}
    c = mtls_client(s, grants=("client_credentials", "password"))
    # on the plain listener, from 127.0.0.1 which is no trusted proxy: ignored
    assert_invalid_client(s.token_request(CC, c, headers=hdr, base=s.plain_url))
    # a bound token obtained over mTLS is not accepted with the header instead
    u = s.add_user()
    at = s.token_ok(password_form(u), c, cert=svc)["access_token"]
    assert_me_ok(s, at, u, cert=svc)
    assert_token_refused(me(s, at, headers=hdr, base=s.plain_url))
    assert s.introspect_ok(at, c, cert=svc)["active"] is True
    rs = s.add_client("rs-" + tag())
    assert s.introspect_ok(at, rs, headers=hdr, base=s.plain_url) == INACTIVE
    # nor on the TLS listener, where only the connection's certificate counts
    assert_token_refused(me(s, at, headers=hdr))
    assert_invalid_client(s.token_request(CC, c, headers=hdr))


# --- revocation -----------------------------------------------------------------------

def test_revoke_bound_token_over_mtls(srv, certs):
    svc = certs.main.pair("client-svc")
    c = mtls_client(srv, grants=("password", "refresh_token"))
    u = srv.add_user()
    b = srv.token_ok(password_form(u), c, cert=svc)
    assert_me_ok(srv, b["access_token"], u, cert=svc)
    # the client must present its certificate to revoke
    assert_invalid_client(srv.revoke(b["access_token"], c))
    assert_invalid_client(srv.revoke(b["access_token"], c,
                                     cert=certs.main.pair("client-other")))
    assert_me_ok(srv, b["access_token"], u, cert=svc)
    r = srv.revoke(b["access_token"], c, hint="access_token", cert=svc)
    assert r.status_code == 200, r.text
    assert_token_refused(me(srv, b["access_token"], cert=svc))
    assert srv.introspect_ok(b["access_token"], c, cert=svc) == INACTIVE
    assert srv.introspect_ok(b["refresh_token"], c, cert=svc) == INACTIVE
    assert_oauth_error(srv.token_request({"grant_type": "refresh_token",
                                          "refresh_token": b["refresh_token"]}, c,
                                         cert=svc), 400, "invalid_grant")
    # a client_credentials token, by its jti
    cc = mtls_client(srv)
    t = srv.token_ok(CC, cc, cert=svc)["access_token"]
    assert srv.introspect_ok(t, cc, cert=svc)["active"] is True
    assert srv.revoke(t, cc, cert=svc).status_code == 200
    assert srv.introspect_ok(t, cc, cert=svc) == INACTIVE
    still_alive(srv)
