# SPDX-License-Identifier: Apache-2.0
"""GET /metrics (docs/metrics.md, SPEC section 10): the Prometheus text exposition
format 0.0.4, parsed strictly by a parser of our own below, and counters that move as a
user expects after real requests; /healthz and /readyz (liveness and readiness) while
the SQLite database is unreachable in ways a real deployment sees."""
import math
import os
import re
import secrets
import sqlite3
import time

import pytest

from harness.assertions import assert_bearer_401, assert_error
from harness.cli import BOOTSTRAP_PASSWORD

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1}
SETTINGS = dict(FAST, **{"role.svc.scopes": "read:skills",
                         "role.svc.default_scopes": "read:skills"})

# --- a strict parser of the text exposition format, version 0.0.4 -----------------------

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ExpositionError(AssertionError):
    pass


def parse_value(text, where):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not FLOAT.match(text):
        raise ExpositionError(f"{where}: bad sample value {text!r}")
    return float(text)


def parse_labels(s, i, where):
    """Parses `{name="value",...}` from s[i] == '{'; returns (dict, index after '}')."""
    assert s[i] == "{"
    i += 1
    labels = {}
    while True:
        if i < len(s) and s[i] == "}":
            if labels and s[i - 1] == ",":
                raise ExpositionError(f"{where}: trailing comma in labels")
            return labels, i + 1
        m = LABEL_NAME.match(s, i)
        if not m:
            raise ExpositionError(f"{where}: bad label name at {s[i:]!r}")
        name = m.group(0)
        if name.startswith("__"):
            raise ExpositionError(f"{where}: reserved label name {name}")
        i = m.end()
        if s[i:i + 2] != '="':
            raise ExpositionError(f"{where}: expected =\" after label {name}")
        i += 2
        value = []
        while True:
            if i >= len(s):
                raise ExpositionError(f"{where}: unterminated label value")
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt == "\\":
                    value.append("\\")
                elif nxt == '"':
                    value.append('"')
                elif nxt == "n":
                    value.append("\n")
                else:
                    raise ExpositionError(f"{where}: bad escape \\{nxt} in label value")
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ExpositionError(f"{where}: raw newline in label value")
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ExpositionError(f"{where}: label {name} repeated")
        labels[name] = "".join(value)
        if s[i:i + 1] == ",":
            i += 1
        elif s[i:i + 1] != "}":
            raise ExpositionError(f"{where}: expected , or }} after label {name}")


def family_of(name, types):
    """The family a sample name belongs to: itself, or a histogram's/summary's base
    for the _bucket/_sum/_count suffixes."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def parse_exposition(text):
    """Parses the whole document strictly. Returns {family: {"type", "help",
    "samples": [(name, labels, value)]}}. Raises ExpositionError on any deviation:
    lines must end with '\\n'; HELP and TYPE at most once per family and before its
    samples; a family's samples contiguous; no duplicate series; histogram rules."""
    if not text.endswith("\n"):
        raise ExpositionError("the document does not end with a newline")
    families = {}
    types = {}
    seen_series = set()
    current = None
    closed = set()
    for lineno, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {lineno}"
        if line == "":
            raise ExpositionError(f"{where}: empty line")
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not METRIC_NAME.fullmatch(name):
                    raise ExpositionError(f"{where}: bad metric name {name!r}")
                fam = families.setdefault(name, {"type": None, "help": None,
                                                 "samples": []})
                if name in closed or (fam["samples"]):
                    raise ExpositionError(f"{where}: {parts[1]} for {name} after its "
                                          "samples")
                if parts[1] == "HELP":
                    if fam["help"] is not None:
                        raise ExpositionError(f"{where}: second HELP for {name}")
                    fam["help"] = parts[3] if len(parts) == 4 else ""
                    if re.search(r"\\(?![\\n])", fam["help"]):
                        raise ExpositionError(f"{where}: bad escape in HELP")
                else:
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ExpositionError(f"{where}: bad TYPE line {line!r}")
                    if fam["type"] is not None:
                        raise ExpositionError(f"{where}: second TYPE for {name}")
                    fam["type"] = parts[3]
                    types[name] = parts[3]
                if current is not None and current != name:
                    closed.add(current)
                current = name
            continue              # other comments are allowed
        m = METRIC_NAME.match(line)
        if not m:
            raise ExpositionError(f"{where}: bad sample line {line!r}")
        name = m.group(0)
        i = m.end()
        labels = {}
        if line[i:i + 1] == "{":
            labels, i = parse_labels(line, i, where)
        if line[i:i + 1] != " ":
            raise ExpositionError(f"{where}: expected a space before the value")
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2) or rest[0] == "":
            raise ExpositionError(f"{where}: expected 'value [timestamp]'")
        value = parse_value(rest[0], where)
        if len(rest) == 2 and not re.fullmatch(r"-?\d+", rest[1]):
            raise ExpositionError(f"{where}: bad timestamp {rest[1]!r}")
        fam_name = family_of(name, types)
        if fam_name in closed:
            raise ExpositionError(f"{where}: samples of {fam_name} are not contiguous")
        if current is not None and current != fam_name:
            closed.add(current)
        current = fam_name
        fam = families.setdefault(fam_name, {"type": None, "help": None, "samples": []})
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ExpositionError(f"{where}: series {key} repeated")
        seen_series.add(key)
        fam["samples"].append((name, labels, value))
    for name, fam in families.items():
        check_family(name, fam)
    return families


def check_family(name, fam):
    t = fam["type"] or "untyped"
    if t == "counter":
        for n, labels, v in fam["samples"]:
            if n != name or not (v >= 0):
                raise ExpositionError(f"counter {name}: sample {n} {labels} = {v}")
    if t == "histogram":
        check_histogram(name, fam["samples"])


def check_histogram(name, samples):
    """Per label set: _bucket series with `le` strictly increasing, counts cumulative
    (non-decreasing), the last bucket le="+Inf" equal to _count, and a _sum."""
    groups = {}
    for n, labels, v in samples:
        rest = {k: x for k, x in labels.items() if k != "le"}
        g = groups.setdefault(tuple(sorted(rest.items())),
                              {"buckets": [], "sum": None, "count": None})
        if n == name + "_bucket":
            if "le" not in labels:
                raise ExpositionError(f"{name}_bucket without le: {labels}")
            g["buckets"].append((parse_value(labels["le"], name), v))
        elif n == name + "_sum":
            g["sum"] = v
        elif n == name + "_count":
            g["count"] = v
        else:
            raise ExpositionError(f"histogram {name}: unexpected sample {n}")
    for key, g in groups.items():
        b = g["buckets"]
        if not b or g["count"] is None or g["sum"] is None:
            raise ExpositionError(f"histogram {name}{key}: missing buckets/sum/count")
        les = [le for le, _ in b]
        if any(x >= y for x, y in zip(les, les[1:])):
            raise ExpositionError(f"histogram {name}{key}: le not increasing {les}")
        counts = [c for _, c in b]
        if any(x > y for x, y in zip(counts, counts[1:])):
            raise ExpositionError(f"histogram {name}{key}: buckets not cumulative")
        if les[-1] != math.inf or counts[-1] != g["count"]:
            raise ExpositionError(f"histogram {name}{key}: +Inf bucket {counts[-1]} != "
                                  f"_count {g['count']}")
        if any(c != int(c) for c in counts) or g["sum"] < 0:
            raise ExpositionError(f"histogram {name}{key}: bad counts or sum")


# --- the parser itself must refuse what is wrong ----------------------------------------

@pytest.mark.parametrize("doc", [
    "a 1",                                                    # no final newline
    "a{x=\"1\"} 1\na{x=\"1\"} 2\n",                           # a series twice
    "a{x=\"1} 1\n",                                           # unterminated value
    "a{x=\"\\t\"} 1\n",                                       # bad escape
    "a{x=\"1\",} 1\n",                                        # trailing comma
    "a{1x=\"1\"} 1\n",                                        # bad label name
    "a one\n",                                                # bad value
    "# TYPE a counter\na -1\n",                               # negative counter
    "# TYPE a counter\n# TYPE a gauge\na 1\n",                # two TYPEs
    "a 1\n# TYPE a counter\n",                                # TYPE after samples
    "a 1\nb 1\na{x=\"2\"} 1\n",                               # not contiguous
    "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
    "h_sum 1\nh_count 1\n",                                   # not cumulative
    "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
    "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",          # le decreasing
    "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
    "h_sum 1\nh_count 3\n",                                   # +Inf != _count
    "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",   # no +Inf
])
def test_parser_refuses_bad_documents(doc):
    with pytest.raises(ExpositionError):
        parse_exposition(doc)


def test_parser_accepts_escapes_and_histograms():
    fams = parse_exposition(
        "# HELP a A help\\nline.\n# TYPE a counter\n"
        "a{path=\"/x\\\"y\\\\z\\nw\"} 3\n"
        "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
        "h_sum 0.7\nh_count 2\n")
    assert fams["a"]["samples"][0][1] == {"path": "/x\"y\\z\nw"}
    assert fams["h"]["type"] == "histogram"


# --- helpers -----------------------------------------------------------------------------

def scrape(s, **kw):
    r = s.get("/metrics", **kw)
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == CONTENT_TYPE, r.headers
    return parse_exposition(r.text)


def value(fams, family, name=None, **labels):
    """The value of the one sample of `family` (sample name `name`, default the family
    name) whose labels include `labels`; 0 when no such sample is exposed."""
    fam = fams.get(family)
    if not fam:
        return 0
    found = [v for n, lab, v in fam["samples"]
             if n == (name or family) and all(lab.get(k) == x for k, x in labels.items())]
    assert len(found) <= 1, f"{family} {labels}: {len(found)} samples"
    return found[0] if found else 0


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


def tag():
    return secrets.token_hex(4)


# --- the document -------------------------------------------------------------------------

def test_document_is_strict_exposition_format_with_every_spec_series(srv):
    srv.get("/healthz")
    r = srv.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == CONTENT_TYPE
    fams = parse_exposition(r.text)
    want = {
        "tessera_http_requests_total": "counter",
        "tessera_http_request_duration_seconds": "histogram",
        "tessera_logins_total": "counter",
        "tessera_tokens_issued_total": "counter",
        "tessera_ratelimited_requests_total": "counter",
        "tessera_active_sessions": "gauge",
        "tessera_store_up": "gauge",
        "tessera_signing_keys": "gauge",
        "process_resident_memory_bytes": "gauge",
        "process_start_time_seconds": "gauge",
        "process_cpu_seconds_total": "counter",
        "process_open_fds": "gauge",
    }
    for name, t in want.items():
        assert name in fams, f"{name} missing"
        assert fams[name]["type"] == t, (name, fams[name]["type"])
        assert fams[name]["help"], f"{name} has no HELP"
    # every label value of the login and grant counters is there from the start
    assert {lab["result"] for _, lab, _ in fams["tessera_logins_total"]["samples"]} == \
        {"success", "failure"}
    assert {lab["grant"] for _, lab, _ in
            fams["tessera_tokens_issued_total"]["samples"]} == \
        {"password", "refresh_token", "client_credentials", "native_login",
         "native_refresh", "authorization_code"}
    assert value(fams, "tessera_store_up") == 1
    assert value(fams, "tessera_signing_keys", state="signing") == 1
    assert 1 << 20 < value(fams, "process_resident_memory_bytes") < 1 << 30
    assert abs(value(fams, "process_start_time_seconds") - time.time()) < 3600
    # buckets from 0.5 ms to 10 s
    les = [lab["le"] for n, lab, _ in
           fams["tessera_http_request_duration_seconds"]["samples"]
           if n.endswith("_bucket") and lab["route"] == "/healthz"]
    assert les[0] == "0.0005" and les[-2] == "10" and les[-1] == "+Inf", les
    # HEAD answers the same headers without a body
    h = srv.request("HEAD", "/metrics")
    assert h.status_code == 200 and h.content == b""
    assert h.headers["Content-Type"] == CONTENT_TYPE


def test_requests_by_route_pattern_and_status_and_latency(srv):
    before = scrape(srv)
    n = 3
    for _ in range(n):
        assert srv.get("/healthz").status_code == 200
    secret_id = "sess" + tag()
    u = srv.add_user()
    tok = srv.login(u).access_token
    r = srv.delete(f"/v1/auth/sessions/{secret_id}", token=tok)
    assert r.status_code == 404, r.text
    unknown = f"/no/such/{tag()}"
    assert srv.get(unknown).status_code == 404
    assert srv.request("PUT", "/healthz").status_code == 405
    after_r = srv.get("/metrics")
    after = parse_exposition(after_r.text)

    def delta(**labels):
        return (value(after, "tessera_http_requests_total", **labels) -
                value(before, "tessera_http_requests_total", **labels))

    assert delta(route="/healthz", method="GET", status="200") == n
    # the {id} pattern, never the URL: the id and the unknown path appear nowhere
    assert delta(route="/v1/auth/sessions/{id}", method="DELETE", status="404") == 1
    assert secret_id not in after_r.text and unknown not in after_r.text
    assert delta(route="unmatched", method="GET", status="404") == 1
    assert delta(route="unmatched", method="PUT", status="405") == 1
    # every route label is a route pattern or "unmatched"
    routes = {lab["route"] for _, lab, _ in
              after["tessera_http_requests_total"]["samples"]}
    assert all(x == "unmatched" or x.startswith("/") for x in routes), routes
    c0 = value(before, "tessera_http_request_duration_seconds",
               "tessera_http_request_duration_seconds_count", route="/healthz")
    c1 = value(after, "tessera_http_request_duration_seconds",
               "tessera_http_request_duration_seconds_count", route="/healthz")
    assert c1 - c0 == n
    s1 = value(after, "tessera_http_request_duration_seconds",
               "tessera_http_request_duration_seconds_sum", route="/healthz")
    assert 0 < s1 < 10 * c1


def test_failed_login_raises_the_failure_counter_by_exactly_one(srv):
    u = srv.add_user()
    before = scrape(srv)
    r = srv.login_raw(username=u.username, password="not-" + u.password)
    assert r.status_code == 401
    after = scrape(srv)
    assert value(after, "tessera_logins_total", result="failure") - \
        value(before, "tessera_logins_total", result="failure") == 1
    assert value(after, "tessera_logins_total", result="success") == \
        value(before, "tessera_logins_total", result="success")
    assert value(after, "tessera_tokens_issued_total", grant="native_login") == \
        value(before, "tessera_tokens_issued_total", grant="native_login")


def test_login_raises_active_sessions_and_logout_lowers_them(srv):
    u = srv.add_user()
    s0 = scrape(srv)
    login = srv.login(u)
    s1 = scrape(srv)
    assert value(s1, "tessera_logins_total", result="success") - \
        value(s0, "tessera_logins_total", result="success") == 1
    assert value(s1, "tessera_tokens_issued_total", grant="native_login") - \
        value(s0, "tessera_tokens_issued_total", grant="native_login") == 1
    assert value(s1, "tessera_active_sessions") - value(s0, "tessera_active_sessions") == 1
    r = srv.refresh(login.refresh_token)
    assert r.status_code == 200, r.text
    s2 = scrape(srv)
    assert value(s2, "tessera_tokens_issued_total", grant="native_refresh") - \
        value(s1, "tessera_tokens_issued_total", grant="native_refresh") == 1
    assert value(s2, "tessera_active_sessions") == value(s1, "tessera_active_sessions")
    r = srv.post("/v1/auth/logout", token=r.json()["access_token"])
    assert r.status_code == 204, r.text
    s3 = scrape(srv)
    assert value(s3, "tessera_active_sessions") - value(s2, "tessera_active_sessions") == -1


def test_tokens_by_oauth2_grant(srv):
    svc = srv.add_client("svc-" + tag(), roles=["svc"])
    app = srv.add_client("app-" + tag(), grants=["password", "refresh_token"])
    u = srv.add_user()
    before = scrape(srv)
    srv.token_ok({"grant_type": "client_credentials"}, svc)
    b = srv.token_ok({"grant_type": "password", "username": u.username,
                      "password": u.password}, app)
    srv.token_ok({"grant_type": "refresh_token", "refresh_token": b["refresh_token"]},
                 app)
    after = scrape(srv)
    for grant in ("client_credentials", "password", "refresh_token"):
        assert value(after, "tessera_tokens_issued_total", grant=grant) - \
            value(before, "tessera_tokens_issued_total", grant=grant) == 1, grant
    for grant in ("native_login", "native_refresh"):
        assert value(after, "tessera_tokens_issued_total", grant=grant) == \
            value(before, "tessera_tokens_issued_total", grant=grant), grant
    # the password grant is a login too
    assert value(after, "tessera_logins_total", result="success") - \
        value(before, "tessera_logins_total", result="success") == 1


def test_429_raises_rate_limited(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 1,
                                  "ratelimit.account_window": 300}))
    u = s.add_user()
    before = scrape(s)
    assert s.login_raw(username=u.username, password="wrong-password").status_code == 401
    r = s.login_raw(username=u.username, password=u.password)
    assert r.status_code == 429, r.text
    after = scrape(s)
    assert value(after, "tessera_ratelimited_requests_total", route="/v1/auth/login") - \
        value(before, "tessera_ratelimited_requests_total", route="/v1/auth/login") == 1
    assert value(after, "tessera_http_requests_total", route="/v1/auth/login",
                 status="429") == 1
    # the one failure is the wrong password; the refused (429) login counts as neither
    assert value(after, "tessera_logins_total", result="failure") - \
        value(before, "tessera_logins_total", result="failure") == 1
    assert value(after, "tessera_logins_total", result="success") == 0


def test_metrics_scope_restricts_the_endpoint(make_server):
    s = make_server(dict(FAST, **{"metrics.scope": "admin"}))
    assert_bearer_401(s.get("/metrics"), invalid_token=False)
    u = s.add_user()
    r = s.get("/metrics", token=s.login(u).access_token)
    assert_error(r, 403, "insufficient_scope")
    assert "admin" in r.json()["error_description"]
    admin = s.login("admin", BOOTSTRAP_PASSWORD, scope="admin").access_token
    r = s.get("/metrics", token=admin)
    assert r.status_code == 200 and r.headers["Content-Type"] == CONTENT_TYPE
    parse_exposition(r.text)
    assert s.get("/healthz").status_code == 200       # health stays open


def test_metrics_can_be_turned_off(make_server):
    s = make_server({"metrics.enabled": False})
    assert_error(s.get("/metrics"), 404)
    assert s.get("/healthz").status_code == 200


def test_bad_metrics_scope_is_a_config_error(make_server):
    s = make_server({"metrics.scope": "a b"}, start=False)
    r = s.cli("serve", "--check-config")
    assert r.returncode != 0 and "metrics.scope" in r.stderr, r.stderr


# --- /healthz and /readyz --------------------------------------------------------------------

def wait_status(s, path, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        r = s.get(path)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def assert_not_ready(r, state):
    assert r.status_code == 503, r.text
    assert r.headers.get("Retry-After") == "1", r.headers
    body = r.json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == state, body
    assert body["error"] == "temporarily_unavailable" and body["error_description"], body
    return body


@pytest.mark.sqlite_only
def test_readyz_while_the_database_directory_is_moved_away(make_server, tmp_path):
    """The data directory renamed (or its volume unmounted, or the file deleted): the
    open file no longer is the one at the database path, and SQLite refuses every
    write. Readiness fails and comes back by itself when the directory is back."""
    s = make_server(FAST)
    r = s.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready",
                                                 "checks": {"database": "ok"}}
    away = str(tmp_path / "moved-away")
    os.rename(s.workdir, away)
    try:
        body = assert_not_ready(s.get("/readyz"), "missing")
        assert "moved" in body["error_description"]
        assert s.get("/healthz").status_code == 200          # alive all the same
        assert value(scrape(s), "tessera_store_up") == 0
    finally:
        os.rename(away, s.workdir)
    r = wait_status(s, "/readyz", 200)
    assert r.status_code == 200, r.text
    u = s.add_user()
    s.login(u)                                                # and writes work again
    assert value(scrape(s), "tessera_store_up") == 1


@pytest.mark.sqlite_only
def test_readyz_while_another_process_holds_the_write_lock(make_server):
    """Another process with an open write transaction on the database (an sqlite3 shell
    left in BEGIN IMMEDIATE, a long import): no login could be stored. Readiness fails
    within a short wait, not the 5 s a write would wait, and recovers at COMMIT."""
    s = make_server(FAST)
    assert s.get("/readyz").status_code == 200
    other = sqlite3.connect(s.db, isolation_level=None, timeout=5)
    try:
        other.execute("BEGIN IMMEDIATE")
        t0 = time.monotonic()
        body = assert_not_ready(s.get("/readyz"), "locked")
        assert time.monotonic() - t0 < 2.0
        assert "locked" in body["error_description"]
        assert s.get("/healthz").status_code == 200
        other.execute("COMMIT")
    finally:
        other.close()
    r = wait_status(s, "/readyz", 200)
    assert r.status_code == 200, r.text
