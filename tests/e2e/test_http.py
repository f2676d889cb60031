# SPDX-License-Identifier: Apache-2.0
"""HTTP layer: health, limits, malformed input, request log, graceful shutdown."""
import json
import select
import signal
import socket
import threading
import time

import pytest
import requests

from harness.assertions import assert_error
from harness.http import read_all
from harness.process import LISTEN_RE


def raw_http(server, data, timeout=10.0, pause_after_send=None):
    """Sends raw bytes on a new connection; returns (status, bytes received)."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    try:
        s.sendall(data)
        if pause_after_send:
            pause_after_send(s)
        resp = read_all(s)
    finally:
        s.close()
    status = int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.") else None
    return status, resp


def test_healthz(server):
    r = server.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz(server):
    r = server.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ready"


def test_keep_alive_serves_several_requests_on_one_connection(server):
    u = server.add_user()
    body = json.dumps({"username": u.username, "password": u.password}).encode()
    login = (b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
             b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    f = sock.makefile("rb")
    try:
        for req in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", login,
                    b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"):
            sock.sendall(req)
            status = f.readline()
            assert status.startswith(b"HTTP/1.1 "), status
            headers = {}
            while True:
                line = f.readline().rstrip(b"\r\n")
                if not line:
                    break
                k, v = line.split(b":", 1)
                headers[k.strip().lower()] = v.strip()
            assert headers.get(b"connection", b"").lower() != b"close", (req[:20], headers)
            data = f.read(int(headers[b"content-length"]))
            if req is login:
                assert status.split()[1] == b"200", data
                server.track(json.loads(data))
    finally:
        f.close()
        sock.close()


def test_every_response_has_request_id(server):
    ids = {server.get(p).headers.get("X-Request-Id") for p in ("/healthz", "/healthz", "/nope")}
    assert None not in ids and len(ids) == 3


def test_body_over_max_body_is_413(make_server):
    s = make_server(server__max_body=1024)
    u = s.add_user()
    body = {"username": u.username, "password": u.password, "pad": "x" * 2000}
    r = s.post("/v1/auth/login", body)
    assert_error(r, 413)
    # the same login without the padding works: the limit is what refused it
    assert s.login_raw(username=u.username, password=u.password).status_code == 200


def test_body_over_route_limit_is_413_even_chunked(server):
    u = server.add_user()
    payload = json.dumps({"username": u.username, "password": u.password,
                          "pad": "x" * 200000}).encode()

    def gen():
        for i in range(0, len(payload), 4096):
            yield payload[i:i + 4096]
    r = server.request("POST", "/v1/auth/login", data=gen(),
                       headers={"Content-Type": "application/json"})
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert_error(r, 413)
    assert server.get("/healthz").status_code == 200


def test_json_nested_deeper_than_limit_is_400(server):
    u = server.add_user()
    deep = {"x": 1}
    for _ in range(40):
        deep = {"x": deep}
    r = server.post("/v1/auth/login", {"username": u.username, "password": u.password,
                                       "extra": deep})
    assert_error(r, 400, "invalid_request")
    r = server.request("POST", "/v1/auth/login", data=b"[" * 5000 + b"]" * 5000,
                       headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 413), r.text
    assert server.get("/healthz").status_code == 200


def test_duplicate_json_keys_are_400(server):
    u = server.add_user()
    raw = ('{"username": "%s", "password": "wrong-password", "password": "%s"}'
           % (u.username, u.password)).encode()
    r = server.request("POST", "/v1/auth/login", data=raw,
                       headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize("field", ["password", "username"])
def test_huge_field_is_4xx_never_500(make_server, field):
    s = make_server(server__max_body=1048576)
    u = s.add_user()
    body = {"username": u.username, "password": u.password}
    body[field] = "p" * 100_000
    r = s.post("/v1/auth/login", body)
    assert r.status_code in (400, 413), f"{r.status_code}: {r.text[:200]}"
    assert_error(r, r.status_code)
    assert s.login_raw(username=u.username, password=u.password).status_code == 200


@pytest.mark.parametrize("raw", [
    b'{"username": "\xff\xfe", "password": "x"}',
    b'{"username": "a\\u0000b", "password": "secret-pw"}',
    b'{"username": "\\ud800", "password": "secret-pw"}',
    b'{"username": "a", "password": "b"} trailing',
    b'\xef\xbb\xbf{"username": "a", "password": "b"}',
    b'{"username": 1e999, "password": "b"}',
], ids=["bad-utf8", "nul", "lone-surrogate", "trailing", "bom", "huge-number"])
def test_malformed_input_is_4xx(server, raw):
    r = server.request("POST", "/v1/auth/login", data=raw,
                       headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, f"{r.status_code}: {r.text[:200]}"
    assert "access_token" not in r.text
    assert server.get("/healthz").status_code == 200


@pytest.mark.parametrize("raw", [
    b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n",
    b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: -1\r\nConnection: close\r\n\r\n",
    b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 99999999999999999999\r\nConnection: close\r\n\r\n",
    b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"GET /v1/auth/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x00\xff\r\n"
    b"Connection: close\r\n\r\n",
], ids=["cl-and-te", "garbage", "header-no-colon", "negative-length", "huge-length",
        "bad-chunk", "binary-token"])
def test_malformed_http_is_refused_quickly(server, raw):
    t = time.monotonic()
    status, resp = raw_http(server, raw, timeout=8)
    assert time.monotonic() - t < 5, "the server held a malformed request open"
    # a 4xx, or the connection closed without an answer; never a 5xx or a success
    assert status is None or 400 <= status < 500, resp[:200]
    assert server.get("/healthz").status_code == 200


def test_oversized_headers_are_refused_not_crashing(server):
    r = server.get("/healthz", headers={"X-Big": "h" * 40000})
    assert 400 <= r.status_code < 500, r.status_code
    assert server.get("/healthz").status_code == 200


def test_slow_client_is_timed_out(make_server):
    s = make_server(server__connection_timeout=1)
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    try:
        sock.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\n")   # and then nothing
        t = time.monotonic()
        try:
            data = sock.recv(1024)
            while data:
                data = sock.recv(1024)
        except (ConnectionResetError, socket.timeout):
            pass
        waited = time.monotonic() - t
    finally:
        sock.close()
    assert waited < 5, f"stalled connection kept open {waited:.1f}s"
    assert s.get("/healthz").status_code == 200


def test_request_log_lines(server):
    u = server.add_user()
    lg = server.login(u)
    responses = [
        server.profile(lg.access_token),
        server.refresh(lg.refresh_token),
        server.get("/v1/auth/nope?access_token=" + lg.access_token),
        server.get("/healthz?password=" + u.password),
        server.login_raw(username=u.username, password="bad-" + u.password),
    ]
    want = {r.headers["X-Request-Id"]: r for r in responses}
    deadline = time.time() + 5
    while time.time() < deadline:
        lines = {o.get("request_id"): o for o in server.json_log() if o.get("event") == "request"}
        if set(want) <= set(lines):
            break
        time.sleep(0.05)
    for rid, r in want.items():
        line = lines.get(rid)
        assert line, f"no log line with request_id {rid}"
        assert line["method"] == r.request.method
        assert line["path"] == r.request.path_url.split("?")[0]
        assert "?" not in line["path"]
        assert line["status"] == r.status_code
        assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
        assert line["level"] and line["ts"]
    # every line of the log (but the start lines for people: version and issuer, then
    # "listening") is a JSON object
    for raw in server.log:
        if LISTEN_RE.match(raw) or raw.startswith("tessera: version "):
            continue
        assert isinstance(json.loads(raw), dict), raw
    # the autouse fixture also checks for every token and password used here
    text = server.log_text()
    assert lg.access_token.split(".")[2] not in text
    assert lg.refresh_token not in text and u.password not in text


def test_sigterm_while_login_in_flight(make_server):
    s = make_server()
    # a slow hash (stored with heavy parameters) keeps the login in flight a while
    u = s.add_user(settings={"passwords.argon2_iterations": 60})
    body = json.dumps({"username": u.username, "password": u.password}).encode()
    req = (b"POST /v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    def send_sigterm(sock):
        time.sleep(0.1)                   # the request is in the server's hands
        readable, _, _ = select.select([sock], [], [], 0)
        assert not readable, "the login answered before SIGTERM: make its hash slower"
        s.stopped_by_test = True
        s.signal(signal.SIGTERM)
    status, resp = raw_http(s, req, timeout=30, pause_after_send=send_sigterm)
    assert status == 200, resp[:300]
    b = json.loads(resp.split(b"\r\n\r\n", 1)[1])
    s.track(b)
    assert b["access_token"] and b["refresh_token"]
    rc = s.proc.wait(10)
    assert rc == 0, "\n".join(s.log[-20:])
    # nothing lost: the session that login created is usable after a restart
    s.start()
    r = s.refresh(b["refresh_token"])
    assert r.status_code == 200, r.text


def test_requests_during_shutdown_get_503_while_in_flight_ones_finish(make_server):
    """After SIGTERM, while a login is still hashing, a new request is refused with 503,
    Retry-After and Connection: close (a load balancer retries it elsewhere), and the
    login that was in flight still answers 200."""
    s = make_server()
    u = s.add_user(settings={"passwords.argon2_iterations": 60})
    body = json.dumps({"username": u.username, "password": u.password}).encode()
    req = (b"POST /v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    late = {}

    def sigterm_then_knock(sock):
        time.sleep(0.1)
        s.stopped_by_test = True
        s.signal(signal.SIGTERM)
        time.sleep(0.1)
        late["status"], late["resp"] = raw_http(
            s, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", timeout=10)
    status, resp = raw_http(s, req, timeout=30, pause_after_send=sigterm_then_knock)
    assert status == 200, resp[:300]
    s.track(json.loads(resp.split(b"\r\n\r\n", 1)[1]))
    assert late["status"] == 503, late["resp"][:300]
    head = late["resp"].split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nretry-after: 1" in head
    assert b"\r\nconnection: close" in head
    assert json.loads(late["resp"].split(b"\r\n\r\n", 1)[1])["error"] == \
        "temporarily_unavailable"
    assert s.proc.wait(10) == 0, "\n".join(s.log[-20:])


def test_idle_keepalive_connection_does_not_delay_shutdown(make_server):
    s = make_server()
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        t = time.monotonic()
        s.stopped_by_test = True
        s.signal(signal.SIGTERM)
        rc = s.proc.wait(10)
        assert rc == 0
        assert time.monotonic() - t < 5
    finally:
        sock.close()


def test_server_keeps_serving_under_parallel_logins(server):
    u = server.add_user()
    results = []

    def go():
        r = requests.post(server.url + "/v1/auth/login", timeout=30,
                          json={"username": u.username, "password": u.password})
        if r.status_code == 200:
            server.track(r.json())
        results.append(r.status_code)
    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8


def test_hashing_queue_overflow_is_503_with_retry_after(make_server):
    s = make_server(passwords__hash_workers=1, passwords__hash_queue=1)
    u = s.add_user(settings={"passwords.argon2_iterations": 40})
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def go():
        barrier.wait()
        r = requests.post(s.url + "/v1/auth/login", timeout=30,
                          json={"username": u.username, "password": u.password})
        with lock:
            results.append(r)
    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    health = s.get("/healthz")                       # the I/O threads are not blocked
    for t in threads:
        t.join()
    assert health.status_code == 200
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    for r in results:
        if r.status_code == 200:
            s.track(r.json())
        else:
            assert_error(r, 503, "temporarily_unavailable")
            assert r.headers.get("Retry-After", "").isdigit(), r.headers


@pytest.mark.parametrize("method,path,allowed", [
    ("POST", "/v1/auth/profile", "GET"),
    ("DELETE", "/v1/auth/me", "GET"),
    ("GET", "/v1/auth/refresh", "POST"),
    ("GET", "/v1/auth/logout", "POST"),
    ("PUT", "/v1/auth/sessions", "GET"),
    ("GET", "/v1/auth/sessions/some-id", "DELETE"),
    ("POST", "/.well-known/jwks.json", "GET"),
])
def test_wrong_method_405_lists_allowed(server, method, path, allowed):
    r = server.request(method, path)
    assert_error(r, 405)
    allow = [m.strip() for m in r.headers.get("Allow", "").split(",")]
    assert allowed in allow and method not in allow, r.headers.get("Allow")
