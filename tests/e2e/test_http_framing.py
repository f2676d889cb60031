# SPDX-License-Identifier: Apache-2.0
"""HTTP/1.1 framing and connection handling: repeated header lines, strict
Content-Length / Transfer-Encoding / Host rules, per-address connection caps, and a
half-closed client still getting its answer."""
import json
import socket
import struct
import threading
import time

import pytest
import requests

from harness.http import read_all


def login_bytes(u, extra=b""):
    body = json.dumps({"username": u.username, "password": u.password}).encode()
    return (b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            b"\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def test_half_closed_client_still_gets_its_login_answer(make_server):
    """A client may shut its write side down once its request is sent (SHUT_WR); the
    login is hashed on a worker while the connection waits, and the client's FIN must
    not make the server drop the answer. An idle connection opened first sits at the
    tail of the server's timeout list, the case where the answer used to be lost."""
    server = make_server(server__threads=1)
    u = server.add_user()
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10)
            for _ in range(2)]
    try:
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            try:
                s.sendall(login_bytes(u))
                s.shutdown(socket.SHUT_WR)
                resp = read_all(s)
            finally:
                s.close()
            assert resp.startswith(b"HTTP/1.1 200 "), resp[:200]
            server.track(json.loads(resp.split(b"\r\n\r\n", 1)[1]))
    finally:
        for c in idle:
            c.close()


def raw(server, data, timeout=8):
    """Sends raw bytes on a new connection and reads until the server closes it."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    try:
        s.sendall(data)
        return read_all(s)
    finally:
        s.close()


SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize("head", [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
    b"Content-Length: %d\r\n\r\n" % len(SMUGGLED),
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : %d\r\n\r\n" % len(SMUGGLED),
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length\t: %d\r\n\r\n" % len(SMUGGLED),
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\n\r\n",
    b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    b"POST /v1/auth/login HTTP/1.0\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
], ids=["two-content-lengths", "space-before-colon", "tab-before-colon", "two-hosts",
        "no-host", "content-length-and-chunked", "chunked-twice", "gzip-chunked",
        "http10-chunked"])
def test_ambiguous_framing_is_400_and_closes(server, head):
    """RFC 9112: each of these is 400, and what follows the headers is never read as
    a request of its own (request smuggling)."""
    t = time.monotonic()
    resp = raw(server, head + SMUGGLED)
    assert time.monotonic() - t < 5, "the connection was held open"
    assert resp.startswith(b"HTTP/1.1 400 "), resp[:300]
    assert b'"status":"ok"' not in resp, resp          # the smuggled GET got nothing
    assert server.get("/healthz").status_code == 200


@pytest.mark.parametrize("path,lines", [
    ("/v1/auth/profile", b"Authorization: Bearer a\r\nAuthorization: Bearer b\r\n"),
    ("/v1/auth/verify", b"X-Original-URI: /public\r\nX-Original-URI: /admin\r\n"),
    ("/v1/auth/verify", b"X-Forwarded-Uri: /a\r\nx-forwarded-uri: /b\r\n"),
    ("/v1/auth/verify", b"X-Original-Method: GET\r\nX-Original-Method: DELETE\r\n"),
    ("/healthz", b"User-Agent: a\r\nUser-Agent: b\r\n"),
], ids=["authorization", "original-uri", "forwarded-uri-any-case", "original-method",
        "user-agent"])
def test_a_repeated_singleton_header_is_400(server, path, lines):
    resp = raw(server, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + lines +
               b"\r\n")
    assert resp.startswith(b"HTTP/1.1 400 "), resp[:300]
    body = json.loads(resp.split(b"\r\n\r\n", 1)[1])
    assert body["error"] == "invalid_request" and "more than once" in \
        body["error_description"], body


def test_a_repeated_client_certificate_header_is_400(make_server):
    s = make_server(server__trusted_proxies="127.0.0.1",
                    server__client_cert_header="X-Client-Cert")
    resp = raw(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Client-Cert: a\r\n"
               b"X-Client-Cert: b\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 400 "), resp[:300]
    assert b"X-Client-Cert appears more than once" in resp


def test_repeated_forwarded_for_lines_are_one_list(make_server):
    """HAProxy's `option forwardfor` appends a line of its own after the client's: the
    client's line must not choose the address the per-IP limit counts."""
    s = make_server(**{"passwords.argon2_memory_kib": 1024,
                       "passwords.argon2_iterations": 1, "ratelimit.ip_failures": 2,
                       "server.trusted_proxies": "127.0.0.1/32"})
    users = [s.add_user() for _ in range(3)]
    codes = []
    for i, u in enumerate(users):
        body = json.dumps({"username": u.username, "password": "wrong-password"})
        resp = raw(s, b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Type: application/json\r\nConnection: close\r\n"
                   b"X-Forwarded-For: 203.0.113.%d\r\n"     # the client's own say-so
                   b"X-Forwarded-For: 198.51.100.7\r\n"     # what the proxy appended
                   b"Content-Length: %d\r\n\r\n%s" % (i, len(body), body.encode()))
        codes.append(int(resp.split(b" ", 2)[1]))
    assert codes == [401, 401, 429], codes
    assert s.wait_log(lambda e: e.get("audit") == "login.failure" and
                      e.get("ip") == "198.51.100.7")
    assert not any("203.0.113." in line for line in s.log)


def connect_from(server, source_ip):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source_ip, 0))
    s.connect(("127.0.0.1", server.port))
    return s


def healthz_on(s):
    """One GET /healthz on an open connection: its status, or None when the server
    closed the connection without an answer."""
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        resp = read_all(s)
    except OSError:
        return None
    return int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.1 ") else None


def test_one_address_cannot_hold_every_connection(make_server):
    """An address flooding idle connections gets at most its cap; another address is
    still served, and the flooder is served again once it lets a connection go."""
    cap = 20
    s = make_server(server__max_connections_per_ip=cap, server__connection_timeout=30,
                    server__request_timeout=30)
    held = []
    try:
        for _ in range(cap):
            c = connect_from(s, "127.0.0.1")
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ")   # and then nothing
            held.append(c)
        time.sleep(0.3)                  # the server has taken them all
        over = [connect_from(s, "127.0.0.1") for _ in range(5)]
        assert [healthz_on(c) for c in over] == [None] * 5
        for c in over:
            c.close()
        # another address is served meanwhile
        for _ in range(3):
            assert healthz_on(connect_from(s, "127.0.0.2")) == 200
        held.pop().close()
        deadline = time.monotonic() + 5
        while healthz_on(connect_from(s, "127.0.0.1")) != 200:
            assert time.monotonic() < deadline, "the freed slot was never given back"
            time.sleep(0.05)
    finally:
        for c in held:
            c.close()
    assert any("max_connections_per_ip" in line for line in s.log)


def test_trusted_proxies_are_not_capped(make_server):
    s = make_server(server__max_connections_per_ip=3, server__trusted_proxies="127.0.0.3")
    held = [connect_from(s, "127.0.0.3") for _ in range(6)]
    try:
        for c in held:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ")
        assert healthz_on(connect_from(s, "127.0.0.3")) == 200
    finally:
        for c in held:
            c.close()


def test_logins_whose_clients_left_do_not_fill_the_hashing_queue(make_server):
    """Clients that give up on queued logins (their connections reset) leave no hashing
    behind: the next burst finds room in the queue instead of 503."""
    s = make_server(passwords__hash_workers=1, passwords__hash_queue=4)
    slow = s.add_user(settings={"passwords.argon2_iterations": 40})
    fast = s.add_user()
    body = json.dumps({"username": slow.username, "password": "wrong-password"}).encode()
    req = (b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
           b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    t0 = time.monotonic()
    assert raw(s, req.replace(b"Host: x", b"Host: x\r\nConnection: close")) \
        .startswith(b"HTTP/1.1 401 ")
    one_hash = time.monotonic() - t0
    assert one_hash > 0.15, f"a slow hash took only {one_hash:.3f}s"

    gone = []
    for _ in range(5):                    # one hashing, four queued: the queue is full
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        c.sendall(req)
        gone.append(c)
    time.sleep(0.1)                       # all five are read and queued
    for c in gone:                        # the clients give up: reset, not a FIN
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()

    results, lock = [], threading.Lock()

    def go():
        r = requests.post(s.url + "/v1/auth/login", timeout=30,
                          json={"username": fast.username, "password": fast.password})
        with lock:
            results.append(r)
    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - t0 < one_hash * 3 + 5
    assert sorted(r.status_code for r in results) == [200] * 4, \
        [(r.status_code, r.text[:100]) for r in results]
    for r in results:
        s.track(r.json())
