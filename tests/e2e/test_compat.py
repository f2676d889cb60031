# SPDX-License-Identifier: Apache-2.0
"""The compat profiles (SPEC section 4, docs/compat.md): each profile's documented
calls replayed from tests/e2e/compat/<profile>.json against a server started from that
profile's example config (examples/compat/<profile>.ini); the profiles share users,
sessions, keys, rate limits and audit with the native API; profiles are off by default
and are enabled by server.compat, --compat or TESSERA_COMPAT.

A replay file is a JSON object:

    {"profile": "api-login", "description": "...",
     "example": "api-login.ini",                          # examples/compat/, --config
     "settings": {"ratelimit.account_failures": 3},      # --set on top of it
     "tls": {"clients": ["billing"], "cert": "billing"}?, # see make_replay_server()
     "users":   {"user": {"roles": ["athlete"]}},        # add_user() -> $user_email ...
     "clients": {"client": {"auth_method": "client_secret_post"}},   # add_client()
     "steps": [STEP, ...]}

and a STEP:

    {"name": "...", "method": "POST", "path": "/api/login",
     "query": {...}?, "headers": {...}?, "json": {...}? | "form": {...}?,
     "auth": "$var"?            (Authorization: Bearer <the saved variable>)
     "cert": false?             (with "tls": send no client certificate)
     "wait_past": N?            (first wait until N whole seconds have passed since the
                                 previous step's answer)
     "expect": {"status": 200,
                "body_exact": {...}?   (the whole JSON body)
                "keys": [...]?         (the exact set of top-level members)
                "fields": {"a.b": V}?  (a member, dotted path, and its value)
                "headers": {"Name": V}?},
     "save": {"var": "member"}?}

Placeholders: a string "$name" anywhere (path, query, headers, bodies, client options,
expected values) is replaced by a variable: for each user NAME `$NAME_email`,
`$NAME_password`, `$NAME_username`, `$NAME_id`; for each client NAME `$NAME_id`,
`$NAME_secret`; with "tls" `$cert_subject` and `$cert_x5t`; and the variables steps
saved. A string that is exactly "$name" becomes the variable's value whatever its type.
An expected value V is a literal (equal, and of the same JSON type), or a matcher
object: {"$absent": true}, {"$type": "string"|"int"|"object"|"list"}, {"$jwt": true}
(a compact JWS) or {"$jwt": {"claim": V, ...}} (and those claims match), {"$ne": V},
{"$re": "regex"} (whole string), {"$contains": "text"}.

Each step is its own test (test_replay_step[<profile>:<nn>-<name>]); the steps of a
profile run once, in order, in the module fixture `replayed`, and a step whose
variables an earlier failed step did not save is reported as skipped.
"""
import json
import os
import re
import time
import urllib.parse

import pytest

from harness.assertions import NO_BEARER, assert_bearer_401
from harness.cli import base_env, run_bin
from harness.jose import jwt_parts, verify_jwt
from harness.waits import wait_past

HERE = os.path.dirname(os.path.abspath(__file__))
COMPAT_DIR = os.path.join(HERE, "compat")
EXAMPLES_DIR = os.path.join(HERE, "..", "..", "examples", "compat")
PROFILES = ("api-login", "oauth2-form", "auth-v1", "token")
ALL = ",".join(PROFILES)
FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1}

# One endpoint of each profile, to see which profiles a server mounted: a request that
# the profile answers with something other than 404.
PROBES = {
    "api-login": ("POST", "/api/login", {"email": "probe@example.com",
                                         "password": "probe-password"}),
    "oauth2-form": ("POST", "/api/v1/oauth2/token?grant_type=client_credentials", None),
    "auth-v1": ("POST", "/api/v1/auth/login", {"email": "probe@example.com",
                                               "password": "probe-password"}),
    "token": ("POST", "/token", {"username": "probe", "password": "probe-password"}),
}

STEP_KEYS = {"name", "method", "path", "query", "headers", "json", "form", "auth",
             "cert", "wait_past", "expect", "save"}
EXPECT_KEYS = {"status", "body_exact", "keys", "fields", "headers"}
FILE_KEYS = {"profile", "description", "example", "settings", "tls", "users", "clients",
             "steps"}


# --- the replay runner ----------------------------------------------------------------

def load_profile(profile):
    with open(os.path.join(COMPAT_DIR, profile + ".json"), encoding="utf-8") as f:
        return json.load(f)


VAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
MISSING = object()


class MissingVar(Exception):
    pass


def subst(obj, env):
    """obj with every "$name" replaced from env (matcher keys such as "$ne" are kept)."""
    if isinstance(obj, str):
        m = VAR.fullmatch(obj)
        if m:
            if m.group(1) not in env:
                raise MissingVar(m.group(1))
            return env[m.group(1)]

        def one(m):
            if m.group(1) not in env:
                raise MissingVar(m.group(1))
            return str(env[m.group(1)])
        return VAR.sub(one, obj)
    if isinstance(obj, list):
        return [subst(v, env) for v in obj]
    if isinstance(obj, dict):
        return {k: subst(v, env) for k, v in obj.items()}
    return obj


def member(body, path):
    cur = body
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return MISSING
    return cur


def is_jws(v):
    if not isinstance(v, str) or v.count(".") != 2:
        return False
    try:
        h, _ = jwt_parts(v)
    except ValueError:
        return False
    return isinstance(h, dict) and "alg" in h


TYPES = {"string": str, "int": int, "object": dict, "list": list}


def check_value(what, got, want):
    """None when `got` matches `want` (a literal or a matcher), else a message."""
    if isinstance(want, dict) and len(want) == 1 and next(iter(want)).startswith("$"):
        op, arg = next(iter(want.items()))
        if op == "$absent":
            ok = (got is MISSING) == bool(arg)
        elif got is MISSING:
            ok = False
        elif op == "$type":
            ok = isinstance(got, TYPES[arg]) and not isinstance(got, bool)
        elif op == "$jwt":
            ok = is_jws(got) == bool(arg)
            if ok and isinstance(arg, dict):
                claims = jwt_parts(got)[1]
                bad = [check_value(f"{what} claim {k}", claims.get(k, MISSING), v)
                       for k, v in arg.items()]
                bad = [b for b in bad if b]
                if bad:
                    return "; ".join(bad)
        elif op == "$ne":
            ok = got != arg
        elif op == "$re":
            ok = isinstance(got, str) and re.fullmatch(arg, got) is not None
        elif op == "$contains":
            ok = isinstance(got, str) and arg in got
        else:
            raise AssertionError(f"unknown matcher {op}")
        if not ok:
            shown = "(absent)" if got is MISSING else repr(got)
            return f"{what}: {shown} does not match {want!r}"
        return None
    if got is MISSING:
        return f"{what}: absent, expected {want!r}"
    if got != want or type(got) is not type(want):
        return f"{what}: {got!r}, expected {want!r}"
    return None


def make_replay_server(factory, spec):
    """A server started from the profile's example config (examples/compat/, which
    names the profile) with the replay file's settings on top; with "tls", first the
    certificates that config expects (`tessera dev-certs --dir certs` in the server's
    working directory), and every request presents the client certificate "cert".
    Returns (server, variables): the users and clients the file asks for, and for TLS
    `$cert_subject` and `$cert_x5t` of the client certificate."""
    example = os.path.join(EXAMPLES_DIR, spec["example"])
    tls = spec.get("tls")
    srv = factory(dict(FAST, **spec.get("settings", {})), start=False,
                  args=("--config", example))
    env = {}
    if tls:
        r = run_bin("dev-certs", "--dir", "certs", *sum((["--client", n] for n in
                                                          tls["clients"]), []),
                    cwd=srv.workdir, timeout=30)
        assert r.returncode == 0, r.stderr
        pem = f"client-{tls['cert']}.pem"
        m = re.search(r'^' + re.escape(pem) + r' subject="([^"]*)" x5t#S256=(\S+)$',
                      r.stdout, re.M)
        assert m, r.stdout
        env.update(cert_subject=m.group(1), cert_x5t=m.group(2))
        certs = os.path.join(srv.workdir, "certs")
        srv.verify = os.path.join(certs, "ca.pem")
        srv.replay_cert = (os.path.join(certs, pem),
                           os.path.join(certs, f"client-{tls['cert']}-key.pem"))
    srv.start()
    for name, opts in (spec.get("users") or {}).items():
        u = srv.add_user(roles=tuple(opts.get("roles", ("user",))))
        env.update({f"{name}_email": u.email, f"{name}_password": u.password,
                    f"{name}_username": u.username, f"{name}_id": u.id})
    for name, opts in (spec.get("clients") or {}).items():
        c = srv.add_client(f"{name}-client", **subst(opts, env))
        env.update({f"{name}_id": c["client_id"], f"{name}_secret": c.get("client_secret")})
    return srv, env


def send(srv, step, env):
    path = subst(step["path"], env)
    if step.get("query") is not None:
        path += "?" + urllib.parse.urlencode(subst(step["query"], env))
    headers = subst(step.get("headers") or {}, env)
    kw = {}
    cert = getattr(srv, "replay_cert", None)
    if cert is not None and step.get("cert", True):
        kw["cert"] = cert
    if "auth" in step:
        kw["token"] = subst(step["auth"], env)
    if "json" in step:
        kw["json_body"] = subst(step["json"], env)
    elif "form" in step:
        pairs = list(subst(step["form"], env).items())
        srv.track_form(pairs)
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        kw["data"] = urllib.parse.urlencode(pairs)
    return srv.request(step["method"], path, headers=headers, **kw)


def check_step(step, r, env):
    """The list of ways answer r differs from the step's expectations."""
    exp = subst(step["expect"], env)
    errs = []
    if r.status_code != exp["status"]:
        errs.append(f"status {r.status_code}, expected {exp['status']}")
    body = MISSING
    if r.content:
        try:
            body = r.json()
        except ValueError:
            body = MISSING
    needs_body = any(k in exp for k in ("body_exact", "keys", "fields"))
    if needs_body and body is MISSING and r.status_code != 204:
        present = {k: v for k, v in (exp.get("fields") or {}).items()
                   if not (isinstance(v, dict) and v.get("$absent"))}
        if "body_exact" in exp or "keys" in exp or present:
            errs.append(f"no JSON body (Content-Type {r.headers.get('Content-Type')!r})")
    if "body_exact" in exp and body is not MISSING and body != exp["body_exact"]:
        errs.append(f"body {body!r}, expected exactly {exp['body_exact']!r}")
    if "keys" in exp and isinstance(body, dict) and set(body) != set(exp["keys"]):
        errs.append(f"members {sorted(body)}, expected exactly {sorted(exp['keys'])}")
    for path, want in (exp.get("fields") or {}).items():
        got = member(body, path) if body is not MISSING else MISSING
        e = check_value(f"member {path}", got, want)
        if e:
            errs.append(e)
    for name, want in (exp.get("headers") or {}).items():
        got = r.headers.get(name, MISSING)
        e = check_value(f"header {name}", got, want)
        if e:
            errs.append(e)
    return errs, body


def replay(srv, spec, env):
    """Replays every step in order; returns one entry per step: None when it passed,
    else the message. A step whose variables are missing (an earlier step failed to
    save them) is reported and skipped; the others still run."""
    results = []
    last = time.time()
    for i, step in enumerate(spec["steps"], 1):
        label = f"step {i} {step['name']!r} ({step['method']} {step['path']})"
        if step.get("wait_past"):
            wait_past(last, step["wait_past"])
        try:
            r = send(srv, step, env)
            last = time.time()
            errs, body = check_step(step, r, env)
        except MissingVar as e:
            results.append(f"{label}: skipped, variable ${e} unset (an earlier step "
                           "failed)")
            continue
        for var, path in (step.get("save") or {}).items():
            v = member(body, path) if body is not MISSING else MISSING
            if v is MISSING:
                errs.append(f"cannot save ${var}: no member {path}")
            else:
                env[var] = v
        results.append(f"{label}:\n    " + "\n    ".join(errs) +
                       f"\n    answer: {r.status_code} {r.text[:400]}" if errs else None)
    return results


# --- the replay files -----------------------------------------------------------------

def test_every_profile_has_a_well_formed_replay_file():
    assert sorted(f[:-5] for f in os.listdir(COMPAT_DIR) if f.endswith(".json")) == \
        sorted(PROFILES)
    for p in PROFILES:
        spec = load_profile(p)
        assert set(spec) <= FILE_KEYS, (p, set(spec) - FILE_KEYS)
        assert spec["profile"] == p
        with open(os.path.join(EXAMPLES_DIR, spec["example"]), encoding="utf-8") as f:
            assert re.search(r"^compat\s*=\s*" + re.escape(p) + r"\s*$", f.read(), re.M), \
                f"{spec['example']} does not enable {p}"
        assert spec["steps"], p
        names = [s["name"] for s in spec["steps"]]
        assert len(names) == len(set(names)), f"{p}: step names repeat"
        for s in spec["steps"]:
            assert set(s) <= STEP_KEYS, (p, s["name"], set(s) - STEP_KEYS)
            assert {"name", "method", "path", "expect"} <= set(s), (p, s)
            assert not ("json" in s and "form" in s), (p, s["name"])
            assert set(s["expect"]) <= EXPECT_KEYS, (p, s["name"])
            assert isinstance(s["expect"]["status"], int), (p, s["name"])


STEPS = [(p, i) for p in PROFILES for i in range(len(load_profile(p)["steps"]))]


@pytest.fixture(scope="module")
def replayed(make_module_server):
    """profile -> (per-step failure message or None, the server): each profile's file
    replayed once, in order, against a server started from its example config."""
    done = {}

    def get(profile):
        if profile not in done:
            spec = load_profile(profile)
            srv, env = make_replay_server(make_module_server, spec)
            done[profile] = (replay(srv, spec, env), srv)
        return done[profile]
    return get


def step_id(ps):
    p, i = ps
    slug = re.sub(r"[^a-z0-9]+", "-", load_profile(p)["steps"][i]["name"].lower())
    return f"{p}:{i + 1:02d}-{slug.strip('-')[:48]}"


@pytest.mark.parametrize("profile,index", STEPS, ids=[step_id(x) for x in STEPS])
def test_replay_step(replayed, profile, index):
    """One step of the profile's replay file (the steps run in order, once per profile,
    in the fixture; each test reports its own)."""
    results, _ = replayed(profile)
    assert results[index] is None, results[index]


@pytest.mark.parametrize("profile", PROFILES)
def test_only_that_profile_is_mounted(replayed, profile):
    """The example config mounts its profile and no other."""
    _, srv = replayed(profile)
    assert mounted(srv, cert=getattr(srv, "replay_cert", None)) == {profile}


# --- profiles share users, sessions, keys, rate limits and audit with the native API

@pytest.fixture(scope="module")
def shared(make_module_server):
    return make_module_server(dict(FAST, **{
        "server.compat": ALL,
        "role.athlete.scopes": "profile",
        "role.athlete.default_scopes": "profile",
        "role.svc.scopes": "read:skills",
        "role.svc.default_scopes": "read:skills",
    }))


def api_login(s, u):
    r = s.post("/api/login", {"email": u.email, "password": u.password})
    assert r.status_code == 200, r.text
    return r.json()


def v1_login(s, u):
    r = s.post("/api/v1/auth/login", {"email": u.email, "password": u.password})
    assert r.status_code == 200, r.text
    return r.json()


def token_login(s, u):
    r = s.post("/token", {"username": u.username, "password": u.password})
    assert r.status_code == 200, r.text
    return r.json()


def native_login(s, u):
    r = s.login_raw(username=u.username, password=u.password)
    assert r.status_code == 200, r.text
    return r.json()


def get_user(s, path, token, uid):
    r = s.get(path, token=token)
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
    assert r.json()["id"] == uid, r.json()


def test_api_login_token_works_on_native_and_auth_v1(shared):
    u = shared.add_user(roles=("athlete",))
    t = api_login(shared, u)["access_token"]
    get_user(shared, "/v1/auth/me", t, u.id)
    get_user(shared, "/v1/auth/profile", t, u.id)
    get_user(shared, "/api/v1/auth/profile", t, u.id)
    get_user(shared, "/api/athlete/me", t, u.id)


def test_native_token_works_on_profile_endpoints(shared):
    u = shared.add_user(roles=("athlete",))
    t = native_login(shared, u)["access_token"]
    get_user(shared, "/api/athlete/me", t, u.id)
    assert shared.get("/api/agent/me", token=t).status_code == 403
    get_user(shared, "/api/v1/auth/profile", t, u.id)


def test_token_and_auth_v1_tokens_work_everywhere(shared):
    u = shared.add_user(roles=("athlete",))
    for tok in (token_login(shared, u)["token"], v1_login(shared, u)["access_token"]):
        for path in ("/v1/auth/me", "/api/v1/auth/profile", "/api/athlete/me"):
            get_user(shared, path, tok, u.id)


def test_api_logout_revokes_for_the_native_endpoints(shared):
    u = shared.add_user(roles=("athlete",))
    t = api_login(shared, u)["access_token"]
    other = native_login(shared, u)["access_token"]    # another session of the user
    get_user(shared, "/v1/auth/me", t, u.id)
    r = shared.post("/api/logout", token=t)
    assert r.status_code == 204, r.text
    for path in ("/v1/auth/me", "/v1/auth/profile", "/api/v1/auth/profile",
                 "/api/athlete/me"):
        assert_bearer_401(shared.get(path, token=t))
    assert_bearer_401(shared.post("/v1/auth/logout", token=t))
    # only that session ended
    get_user(shared, "/api/athlete/me", other, u.id)


def test_api_logout_ends_an_auth_v1_session_and_its_refresh_token(shared):
    u = shared.add_user(roles=("athlete",))
    b = v1_login(shared, u)
    r = shared.post("/api/logout", token=b["access_token"])
    assert r.status_code == 204, r.text
    assert_bearer_401(shared.get("/api/v1/auth/profile", token=b["access_token"]))
    r = shared.post("/api/v1/auth/refresh-token", {"refreshToken": b["refresh_token"]})
    assert r.status_code == 401 and r.json()["error"] == "invalid_grant", r.text
    r = shared.refresh(b["refresh_token"])
    assert r.status_code == 401 and r.json()["error"] == "invalid_grant", r.text


def test_native_logout_revokes_a_token_used_on_profile_endpoints(shared):
    u = shared.add_user(roles=("athlete",))
    for login in (api_login, v1_login, token_login):
        b = login(shared, u)
        t = b.get("access_token") or b["token"]
        get_user(shared, "/api/athlete/me", t, u.id)
        get_user(shared, "/api/v1/auth/profile", t, u.id)
        r = shared.post("/v1/auth/logout", token=t)
        assert r.status_code == 204, f"{login.__name__}: {r.status_code} {r.text}"
        assert_bearer_401(shared.get("/api/athlete/me", token=t))
        assert_bearer_401(shared.get("/api/v1/auth/profile", token=t))
        assert_bearer_401(shared.post("/api/logout", token=t))
        if b.get("refresh_token"):
            r = shared.post("/api/v1/auth/refresh-token",
                            {"refreshToken": b["refresh_token"]})
            assert r.status_code == 401, f"{login.__name__}: {r.text}"


def test_refresh_tokens_cross_between_native_and_auth_v1(shared):
    u = shared.add_user()
    # auth-v1's refresh token at the native endpoint
    b = v1_login(shared, u)
    r = shared.refresh(b["refresh_token"])
    assert r.status_code == 200, r.text
    get_user(shared, "/api/v1/auth/profile", r.json()["access_token"], u.id)
    # the native one (and /token's) at auth-v1's endpoint
    for rt in (native_login(shared, u)["refresh_token"],
               token_login(shared, u)["refresh_token"]):
        r = shared.post("/api/v1/auth/refresh-token", {"refreshToken": rt})
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"access_token", "refresh_token"}, r.json()
        get_user(shared, "/v1/auth/me", r.json()["access_token"], u.id)


def test_auth_v1_rotates_even_when_the_server_does_not(make_server):
    """auth-v1's clients expect a refresh token in every refresh answer: the profile
    rotates whatever tokens.refresh_rotation says; the native endpoint follows it."""
    s = make_server(dict(FAST, **{"server.compat": "auth-v1",
                                  "tokens.refresh_rotation": False}))
    u = s.add_user()
    b = v1_login(s, u)
    r = s.post("/api/v1/auth/refresh-token", {"refreshToken": b["refresh_token"]})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"access_token", "refresh_token"}, r.json()
    assert r.json()["refresh_token"] != b["refresh_token"]
    n = s.refresh(native_login(s, u)["refresh_token"])
    assert n.status_code == 200 and "refresh_token" not in n.json(), n.text


def test_a_native_password_change_applies_to_the_profiles(shared):
    u = shared.add_user()
    t = native_login(shared, u)["access_token"]
    new = "new-pw-" + u.id
    shared.secrets.add(new)
    r = shared.post("/v1/auth/password", {"current_password": u.password,
                                          "new_password": new}, token=t)
    assert r.status_code in (200, 204), r.text
    for path, body in (("/api/login", {"email": u.email}),
                       ("/api/v1/auth/login", {"email": u.email}),
                       ("/token", {"username": u.username})):
        r = shared.post(path, dict(body, password=u.password))
        assert r.status_code == 401, f"{path} with the old password: {r.status_code}"
        r = shared.post(path, dict(body, password=new))
        assert r.status_code == 200, f"{path} with the new password: {r.text}"


def test_every_profile_signs_with_the_native_keys(shared):
    u = shared.add_user(roles=("athlete",))
    c = shared.add_client("svc", roles=["svc"], auth_method="client_secret_post")
    r = shared.request("POST", "/api/v1/oauth2/token?grant_type=client_credentials",
                       headers={"Content-Type": "application/x-www-form-urlencoded"},
                       data=urllib.parse.urlencode({"client_id": c["client_id"],
                                                    "client_secret": c["client_secret"]}))
    assert r.status_code == 200, r.text
    tokens = {
        "native": native_login(shared, u)["access_token"],
        "api-login": api_login(shared, u)["access_token"],
        "auth-v1": v1_login(shared, u)["access_token"],
        "token": token_login(shared, u)["token"],
        "oauth2-form": r.json()["access_token"],
    }
    kids = {jwt_parts(t)[0].get("kid") for t in tokens.values()}
    jwks_kids = {k.get("kid") for k in shared.jwks()["keys"]}
    assert len(kids) == 1 and kids <= jwks_kids, (kids, jwks_kids)
    for name, tok in tokens.items():
        claims = verify_jwt(shared, tok)
        want = c["client_id"] if name == "oauth2-form" else u.id
        assert claims["sub"] == want, (name, claims)
        if name != "oauth2-form":
            assert claims["sid"], (name, claims)
            assert claims["roles"] == ["athlete"], (name, claims)


# --- enabling profiles ----------------------------------------------------------------

def mounted(srv, cert=None):
    """The set of profiles whose probe endpoint is not 404."""
    out = set()
    kw = {"cert": cert} if cert else {}
    for p, (method, path, body) in PROBES.items():
        r = srv.request(method, path, json_body=body, **kw)
        if r.status_code != 404:
            out.add(p)
    return out


def test_profiles_are_off_by_default(make_server):
    s = make_server()
    r = s.post("/api/login", {"email": "a@example.com", "password": "whatever-pw"})
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "not_found", r.text
    assert mounted(s) == set()
    # the native API is there
    assert_bearer_401(s.get("/v1/auth/me"), invalid_token=False)


@pytest.mark.parametrize("how", ["set", "args", "env", "all"])
def test_enabling_profiles(make_server, how):
    if how == "set":
        s, want = make_server(server__compat="api-login, token"), {"api-login", "token"}
    elif how == "args":
        s, want = make_server(args=("--compat", "token")), {"token"}
    elif how == "env":
        s, want = make_server(env={"TESSERA_COMPAT": "auth-v1"}), {"auth-v1"}
    else:
        s, want = make_server(args=("--compat", ALL)), set(PROFILES)
    assert mounted(s) == want


def test_unknown_profile_fails_check_config_with_one_line(tmp_path):
    db = str(tmp_path / "t.db")
    cases = [
        (("--set", "server.compat=no-such-profile"), None, "no-such-profile"),
        (("--compat", "api-login,bogus"), None, "bogus"),
        ((), {"TESSERA_COMPAT": "auth-v2"}, "auth-v2"),
    ]
    for args, env, name in cases:
        r = run_bin("serve", "--check-config", "--database", db, *args,
                    env=base_env(env), timeout=20)
        assert r.returncode != 0, (args, env, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0], (args, env, r.stderr)
        assert "configuration ok" not in r.stdout
    r = run_bin("serve", "--check-config", "--database", db, "--compat", ALL, timeout=20)
    assert r.returncode == 0 and "configuration ok" in r.stdout, r.stderr


def test_unknown_profile_stops_serve_before_listening(tmp_path):
    r = run_bin("serve", "--listen", "127.0.0.1:0", "--database", str(tmp_path / "t.db"),
                "--compat", "api-logon", timeout=20)
    assert r.returncode != 0
    assert "listening" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "api-logon" in lines[0], r.stderr


def test_no_bearer_message_on_every_endpoint(shared):
    """docs/compat.md: a protected call without a Bearer token gets the token
    profile's message on every endpoint, native and compat ones."""
    for method, path in (("GET", "/v1/auth/me"), ("GET", "/v1/auth/profile"),
                         ("GET", "/v1/auth/sessions"), ("POST", "/v1/auth/logout"),
                         ("GET", "/api/v1/auth/profile"), ("GET", "/api/athlete/me"),
                         ("POST", "/api/logout")):
        r = shared.request(method, path)
        assert_bearer_401(r, invalid_token=False)
        assert r.json()["error_description"] == NO_BEARER, (method, path, r.text)


def audit_rows(s, user_id, timeout=5.0):
    """(event, detail) of the user's audit events, once the writer has stored some."""
    deadline = time.monotonic() + timeout
    while True:
        rows = s.sql("SELECT event, detail_json FROM audit_events WHERE "
                     "user_id = ? ORDER BY id", user_id)
        if rows or time.monotonic() > deadline:
            return [(e, json.loads(d) if d else {}) for e, d in rows]
        time.sleep(0.05)


def test_profile_logins_and_logouts_are_audited_like_native_ones(shared):
    u = shared.add_user(roles=("athlete",))
    sids = set()
    for b in (api_login(shared, u), v1_login(shared, u), token_login(shared, u)):
        sids.add(jwt_parts(b.get("access_token") or b["token"])[1]["sid"])
    bad = shared.post("/token", {"username": u.username, "password": "wrong-password"})
    assert bad.status_code == 401
    t = api_login(shared, u)["access_token"]
    assert shared.post("/api/logout", token=t).status_code == 204
    logout_sid = jwt_parts(t)[1]["sid"]
    sids.add(logout_sid)
    deadline = time.monotonic() + 5
    while True:
        rows = audit_rows(shared, u.id)
        if any(e == "logout" for e, _ in rows) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    events = [e for e, _ in rows]
    assert events.count("login.success") == 4, rows
    assert {d.get("session_id") for e, d in rows if e == "login.success"} == sids, rows
    assert events.count("login.failure") == 1, rows
    assert [d.get("session_id") for e, d in rows if e == "logout"] == [logout_sid], rows


def test_rate_limits_are_shared_with_the_native_api(make_server):
    """Failed logins at the profiles' endpoints count towards the same account budget as
    native ones (the account as typed: here its email)."""
    s = make_server(dict(FAST, **{"server.compat": ALL,
                                  "ratelimit.account_failures": 3}))
    u = s.add_user()
    for path in ("/api/login", "/api/v1/auth/login"):
        r = s.post(path, {"email": u.email, "password": "wrong-password"})
        assert r.status_code == 401, r.text
    assert s.login_raw(email=u.email, password="wrong-password").status_code == 401
    for path, body in (("/api/login", {"email": u.email}),
                       ("/api/v1/auth/login", {"email": u.email}),
                       ("/token", {"email": u.email}),
                       ("/v1/auth/login", {"email": u.email})):
        r = s.post(path, dict(body, password=u.password))
        assert r.status_code == 429, f"{path}: {r.status_code} {r.text}"
        assert r.headers.get("Retry-After", "").isdigit(), (path, dict(r.headers))
