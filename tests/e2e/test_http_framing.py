"""HTTP/1.1 framing and connection handling: repeated header lines, strict
Content-Length / Transfer-Encoding / Host rules, per-address connection caps, and a
half-closed client still getting its answer."""
import json
import socket
import threading
import time

import pytest
import requests


def login_bytes(u, extra=b""):
    body = json.dumps({"username": u.username, "password": u.password}).encode()
    return (b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            b"\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def read_all(s):
    chunks = []
    while True:
        try:
            b = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


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
