# SPDX-License-Identifier: Apache-2.0
"""`tessera dev-certs`: the development CA, server and client certificates (docs/tls.md).

Checked with the openssl binary, the cryptography library and a real TLS handshake
through Python's ssl module; no tessera server is involved.
"""
import datetime
import hashlib
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from harness.cli import run_bin
from harness.jose import b64url_encode

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
ORG = "tessera development"
LINE_RE = re.compile(r'^(\S+\.pem) subject="([^"]*)" x5t#S256=([A-Za-z0-9_-]{43})$')


def files_for(clients=("client1",)):
    out = {"ca.pem", "ca-key.pem", "server.pem", "server-key.pem"}
    for c in clients:
        out |= {f"client-{c}.pem", f"client-{c}-key.pem", f"selfsigned-{c}.pem",
                f"selfsigned-{c}-key.pem"}
    return out


def dev_certs(tmp_path, *args, name="certs", ok=True):
    """Runs `tessera dev-certs --dir tmp_path/name ARGS`; returns (dir, result)."""
    d = tmp_path / name
    r = run_bin("dev-certs", "--dir", d, *args, timeout=30, cwd=tmp_path)
    if ok:
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
    return d, r


def one_line_error(r, status=None):
    assert r.returncode != 0, f"exit 0; stdout {r.stdout!r}"
    if status is not None:
        assert r.returncode == status, (r.returncode, r.stderr)
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("tessera: "), r.stderr
    return lines[0]


def load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def thumbprint(cert):
    return b64url_encode(hashlib.sha256(cert.public_bytes(serialization.Encoding.DER))
                         .digest())


def utc(dt):
    return dt if dt.tzinfo else dt.replace(tzinfo=datetime.timezone.utc)


def not_before(cert):
    return utc(getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before)


def not_after(cert):
    return utc(getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after)


def ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls)


def openssl(*args, cwd=None):
    return subprocess.run([OPENSSL, *map(str, args)], capture_output=True, text=True,
                          timeout=30, cwd=cwd)


def parse_lines(stdout):
    out = {}
    for line in stdout.splitlines():
        m = LINE_RE.match(line)
        assert m, f"unexpected output line {line!r}"
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


# --- files ----------------------------------------------------------------------------

def test_help(tmp_path):
    r = run_bin("dev-certs", "--help", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: tessera dev-certs")
    for opt in ("--dir", "--host", "--client", "--days", "--expired", "--ca-name",
                "--force"):
        assert opt in r.stdout
    assert r.stderr == ""
    assert os.listdir(tmp_path) == []


def test_default_files_modes_and_output(tmp_path):
    r = run_bin("dev-certs", cwd=tmp_path, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    d = tmp_path / "tessera-certs"
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    # exactly these files: no temporary file left behind
    assert set(os.listdir(d)) == files_for()
    for name in os.listdir(d):
        mode = stat.S_IMODE((d / name).stat().st_mode)
        assert mode == (0o600 if name.endswith("-key.pem") else 0o644), (name, oct(mode))
        if name.endswith("-key.pem"):
            key = serialization.load_pem_private_key((d / name).read_bytes(), None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            assert key.curve.name == "secp256r1"
            cert = load(d / name.replace("-key.pem", ".pem"))
            assert cert.public_key().public_numbers() == key.public_key().public_numbers()

    lines = parse_lines(r.stdout)
    assert list(lines) == ["client-client1.pem", "selfsigned-client1.pem"]
    for name, (subject, x5t) in lines.items():
        cert = load(d / name)
        assert subject == "CN=client1,O=tessera development"
        assert subject == cert.subject.rfc4514_string()
        assert x5t == thumbprint(cert)
    assert lines["client-client1.pem"][1] != lines["selfsigned-client1.pem"][1]


def test_certificate_contents(tmp_path):
    d, _ = dev_certs(tmp_path, "--days", "7")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca, server = load(d / "ca.pem"), load(d / "server.pem")
    client, selfsigned = load(d / "client-client1.pem"), load(d / "selfsigned-client1.pem")

    assert ca.subject.rfc4514_string() == "CN=tessera development CA"
    assert ca.issuer == ca.subject
    bc = ext(ca, x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = ext(ca, x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign and not ku.digital_signature
    ca_ski = ext(ca, x509.SubjectKeyIdentifier).value.digest

    assert server.issuer == ca.subject
    assert server.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"
    assert ExtendedKeyUsageOID.SERVER_AUTH in ext(server, x509.ExtendedKeyUsage).value
    assert ext(server, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski

    assert client.issuer == ca.subject
    assert selfsigned.issuer == selfsigned.subject == client.subject
    for c in (client, selfsigned):
        assert list(ext(c, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        assert not ext(c, x509.BasicConstraints).value.ca

    certs = [ca, server, client, selfsigned]
    serials = {c.serial_number for c in certs}
    assert len(serials) == 4
    assert all(0 < s < 2 ** 128 for s in serials)
    assert any(s >= 2 ** 100 for s in serials)     # random 128-bit, not small counters
    for c in certs:
        assert c.version == x509.Version.v3
        nb, na = not_before(c), not_after(c)
        assert datetime.timedelta(minutes=4) <= now - nb <= datetime.timedelta(minutes=7)
        assert na - nb == datetime.timedelta(days=7)


# --- openssl --------------------------------------------------------------------------

def test_openssl_verifies_the_chain(tmp_path):
    d, _ = dev_certs(tmp_path)
    r = openssl("verify", "-CAfile", "ca.pem", "server.pem", "client-client1.pem", cwd=d)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "server.pem: OK" in r.stdout and "client-client1.pem: OK" in r.stdout
    # the purposes match the extended key usages
    assert openssl("verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "server.pem",
                   cwd=d).returncode == 0
    assert openssl("verify", "-CAfile", "ca.pem", "-purpose", "sslclient",
                   "client-client1.pem", cwd=d).returncode == 0
    assert openssl("verify", "-CAfile", "ca.pem", "-purpose", "sslserver",
                   "client-client1.pem", cwd=d).returncode != 0
    # the self-signed client certificate is not the CA's
    r = openssl("verify", "-CAfile", "ca.pem", "selfsigned-client1.pem", cwd=d)
    assert r.returncode != 0, r.stdout


def test_default_and_custom_sans(tmp_path):
    d, _ = dev_certs(tmp_path)
    r = openssl("x509", "-in", d / "server.pem", "-noout", "-ext", "subjectAltName")
    assert r.returncode == 0, r.stderr
    san = r.stdout.split("\n", 1)[1].strip()
    assert san == "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"

    d2, _ = dev_certs(tmp_path, "--host", "api.example.test", "--host", "10.1.2.3",
                      "--host", "2001:db8::1", "--host", "*.apps.example.test",
                      name="custom")
    r = openssl("x509", "-in", d2 / "server.pem", "-noout", "-ext", "subjectAltName")
    san = r.stdout.split("\n", 1)[1].strip()
    assert san == ("DNS:api.example.test, IP Address:10.1.2.3, "
                   "IP Address:2001:DB8:0:0:0:0:0:1, DNS:*.apps.example.test")
    server = load(d2 / "server.pem")
    assert server.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == \
        "api.example.test"


def test_several_clients(tmp_path):
    d, r = dev_certs(tmp_path, "--client", "alice", "--client", "bob.svc_2")
    assert set(os.listdir(d)) == files_for(["alice", "bob.svc_2"])
    lines = parse_lines(r.stdout)
    assert list(lines) == ["client-alice.pem", "selfsigned-alice.pem",
                           "client-bob.svc_2.pem", "selfsigned-bob.svc_2.pem"]
    for name, (subject, x5t) in lines.items():
        who = name.split("-", 1)[1][:-4]
        assert subject == f"CN={who},O={ORG}"
        assert x5t == thumbprint(load(d / name))
    assert openssl("verify", "-CAfile", "ca.pem", "client-alice.pem",
                   "client-bob.svc_2.pem", cwd=d).returncode == 0


def test_expired_client_certificates(tmp_path):
    d, _ = dev_certs(tmp_path, "--expired")
    now = datetime.datetime.now(datetime.timezone.utc)
    for name in ("client-client1.pem", "selfsigned-client1.pem"):
        c = load(d / name)
        assert not_after(c) < now - datetime.timedelta(hours=1), name
        assert not_before(c) < not_after(c)
    for name in ("ca.pem", "server.pem"):
        assert not_after(load(d / name)) > now + datetime.timedelta(days=29), name
    r = openssl("verify", "-CAfile", "ca.pem", "client-client1.pem", cwd=d)
    assert r.returncode != 0 and "expired" in (r.stdout + r.stderr), r.stdout
    assert openssl("verify", "-CAfile", "ca.pem", "server.pem", cwd=d).returncode == 0


def test_second_ca_is_a_different_ca(tmp_path):
    d1, _ = dev_certs(tmp_path, name="one")
    d2, _ = dev_certs(tmp_path, "--ca-name", "other development CA", name="two")
    assert load(d2 / "ca.pem").subject.rfc4514_string() == "CN=other development CA"
    assert load(d2 / "client-client1.pem").issuer.rfc4514_string() == \
        "CN=other development CA"
    assert openssl("verify", "-CAfile", d2 / "ca.pem", d2 / "client-client1.pem"
                   ).returncode == 0
    assert openssl("verify", "-CAfile", d1 / "ca.pem", d2 / "client-client1.pem"
                   ).returncode != 0
    assert openssl("verify", "-CAfile", d2 / "ca.pem", d1 / "client-client1.pem"
                   ).returncode != 0


# --- overwriting and errors -----------------------------------------------------------

def test_refuses_to_overwrite_without_force(tmp_path):
    d, _ = dev_certs(tmp_path)
    before = {n: (d / n).read_bytes() for n in os.listdir(d)}
    _, r = dev_certs(tmp_path, ok=False)
    line = one_line_error(r, 1)
    assert "exists" in line and "--force" in line
    assert r.stdout == ""
    assert {n: (d / n).read_bytes() for n in os.listdir(d)} == before

    _, r = dev_certs(tmp_path, "--force")
    after = {n: (d / n).read_bytes() for n in os.listdir(d)}
    assert set(after) == set(before)
    assert all(after[n] != before[n] for n in before)
    for n in after:
        assert stat.S_IMODE((d / n).stat().st_mode) == \
            (0o600 if n.endswith("-key.pem") else 0o644)


def test_one_existing_file_stops_everything(tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    (d / "selfsigned-client1-key.pem").write_text("mine\n")
    _, r = dev_certs(tmp_path, ok=False)
    assert "selfsigned-client1-key.pem" in one_line_error(r, 1)
    assert os.listdir(d) == ["selfsigned-client1-key.pem"]
    assert (d / "selfsigned-client1-key.pem").read_text() == "mine\n"


BAD_ARGS = [
    (["--days", "0"], "--days"),
    (["--days", "3651"], "--days"),
    (["--days", "7x"], "--days"),
    (["--client", "../evil"], "../evil"),
    (["--client", ".hidden"], ".hidden"),
    (["--client", "a" * 65], "--client"),
    (["--client", "x", "--client", "x"], "twice"),
    (["--host", "bad host"], "bad host"),
    (["--host", "a..b"], "a..b"),
    (["--ca-name", ""], "--ca-name"),
    (["--frobnicate"], "--frobnicate"),
    (["--host"], "--host"),
]


@pytest.mark.parametrize("args,needle", BAD_ARGS,
                         ids=[" ".join(a)[:30] for a, _ in BAD_ARGS])
def test_bad_arguments(tmp_path, args, needle):
    _, r = dev_certs(tmp_path, *args, ok=False)
    assert needle in one_line_error(r, 2)
    assert r.stdout == ""
    assert os.listdir(tmp_path) == []


def test_dir_whose_parent_is_missing(tmp_path):
    _, r = dev_certs(tmp_path, name="no/such/dir", ok=False)
    assert "cannot create" in one_line_error(r, 1)
    assert os.listdir(tmp_path) == []


# --- a real TLS handshake -------------------------------------------------------------

def handshake(d, cert, key, server_hostname="localhost"):
    """A TLS server (Python's ssl) with server.pem that requires a client certificate
    from ca.pem, and one client connecting with cert/key. Returns (server, client):
    the server's peer certificate dict or its exception, and the bytes the client read
    or its exception."""
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(d / "server.pem", d / "server-key.pem")
    sctx.verify_mode = ssl.CERT_REQUIRED
    sctx.load_verify_locations(d / "ca.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    result = {}

    def serve():
        try:
            conn, _ = listener.accept()
        except OSError as e:
            result["server"] = e
            return
        conn.settimeout(10)
        try:
            with sctx.wrap_socket(conn, server_side=True) as s:
                result["server"] = s.getpeercert()
                s.sendall(b"ok")
        except (ssl.SSLError, OSError) as e:
            result["server"] = e
        finally:
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(d / "ca.pem")
    cctx.load_cert_chain(d / cert, d / key)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with cctx.wrap_socket(raw, server_hostname=server_hostname) as c:
                client = c.recv(2)
    except (ssl.SSLError, OSError) as e:
        client = e
    t.join(15)
    listener.close()
    assert not t.is_alive()
    return result.get("server"), client


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tls_handshake_with_the_ca_client_certificate(tmp_path, host):
    d, _ = dev_certs(tmp_path)
    server, client = handshake(d, "client-client1.pem", "client-client1-key.pem", host)
    assert client == b"ok", client
    assert isinstance(server, dict), server
    subject = dict(x[0] for x in server["subject"])
    assert subject == {"organizationName": ORG, "commonName": "client1"}


def test_tls_handshake_rejects_the_self_signed_client_certificate(tmp_path):
    d, _ = dev_certs(tmp_path)
    server, client = handshake(d, "selfsigned-client1.pem", "selfsigned-client1-key.pem")
    assert isinstance(server, ssl.SSLError), server
    assert "certificate verify failed" in str(server) or "unknown ca" in str(server).lower()
    assert client != b"ok"


def test_tls_handshake_rejects_an_expired_client_certificate(tmp_path):
    d, _ = dev_certs(tmp_path, "--expired")
    server, client = handshake(d, "client-client1.pem", "client-client1-key.pem")
    assert isinstance(server, ssl.SSLError) and "expired" in str(server), server
    assert client != b"ok"


def test_tls_handshake_rejects_a_client_of_another_ca(tmp_path):
    d, _ = dev_certs(tmp_path)
    other, _ = dev_certs(tmp_path, "--ca-name", "other development CA", name="other")
    shutil.copy(other / "client-client1.pem", d / "other.pem")
    shutil.copy(other / "client-client1-key.pem", d / "other-key.pem")
    server, client = handshake(d, "other.pem", "other-key.pem")
    assert isinstance(server, ssl.SSLError), server
    assert client != b"ok"
