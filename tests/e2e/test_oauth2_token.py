# SPDX-License-Identifier: Apache-2.0
"""POST /oauth2/token (docs/oauth2.md, RFC 6749): every grant with every client
authentication method, the tokens' claims, and every error of the docs' table."""
import base64
import secrets
import threading
import time

import pytest
import requests

from harness.api import TOKEN_PATH
from harness.assertions import assert_bearer_401, assert_oauth_error
from harness.http import basic_auth
from harness.jose import jwt_parts, scope_set, verify_jwt
from harness.waits import wait_past

SETTINGS = {
    "role.user.scopes": "profile read:skills write:skills",
    "role.user.default_scopes": "profile",
    "role.svc.scopes": "read:skills write:skills",
    "role.svc.default_scopes": "read:skills write:skills",
}
CC = {"grant_type": "client_credentials"}
USER_GRANTS = ["password", "refresh_token"]


def tag():
    return secrets.token_hex(4)


def special_id():
    """Printable ASCII without spaces, with what RFC 6749 section 2.3.1's form-encoding
    inside Basic must carry: ':' (the Basic separator), '%' (also followed by hex digits,
    so decoding twice would show), '+' (a space once form-decoded), '&', '=', '/'."""
    return f"svc:{tag()}%2F+%41&x=y/z~!*"


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


@pytest.fixture(scope="module")
def issuer(srv):
    return srv.metadata()["issuer"]


def password_form(user, **extra):
    d = {"grant_type": "password", "username": user.username or user.email,
         "password": user.password}
    d.update(extra)
    return d


def user_client(srv, **opts):
    opts.setdefault("grants", USER_GRANTS)
    return srv.add_client("app-" + tag(), **opts)


def check_no_store(r):
    assert "no-store" in r.headers.get("Cache-Control", ""), dict(r.headers)
    assert "no-cache" in r.headers.get("Pragma", ""), dict(r.headers)


# --- client_credentials ---------------------------------------------------------------

def test_client_credentials_answer_and_claims(srv, issuer):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    assert c["token_endpoint_auth_method"] == "client_secret_basic"
    r = srv.token_request(CC, c)
    assert r.status_code == 200, r.text
    check_no_store(r)
    b = r.json()
    assert b["token_type"].lower() == "bearer"
    assert b["expires_in"] == 900
    assert scope_set(b["scope"]) == {"read:skills", "write:skills"}   # role defaults
    assert "refresh_token" not in b                                    # no refresh
    h, _ = jwt_parts(b["access_token"])
    assert h["typ"] == "at+jwt"
    claims = verify_jwt(srv, b["access_token"], issuer=issuer)
    assert claims["iss"] == issuer
    assert claims["sub"] == c["client_id"]
    assert claims["client_id"] == c["client_id"]
    assert "sid" not in claims
    assert scope_set(claims["scope"]) == scope_set(b["scope"])
    assert claims["roles"] == ["svc"]
    assert claims["exp"] - claims["iat"] == 900


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
@pytest.mark.parametrize("kind", ["generated", "special"])
def test_client_credentials_auth_methods(srv, issuer, auth, kind):
    opts = {"roles": ["svc"], "auth_method": auth}
    if kind == "special":
        opts["id"] = special_id()
    c = srv.add_client("svc-" + tag(), **opts)
    if kind == "special":
        assert c["client_id"] == opts["id"]
    else:
        assert len(c["client_id"]) == 22
    assert len(c["client_secret"]) == 43
    assert c["token_endpoint_auth_method"] == auth
    b = srv.token_ok(CC, c)
    claims = verify_jwt(srv, b["access_token"], issuer=issuer)
    assert claims["sub"] == c["client_id"] and claims["client_id"] == c["client_id"]


def test_basic_credentials_are_form_decoded(srv):
    """RFC 6749 2.3.1: the id inside Basic is form-encoded, so '%41' stands for 'A' and
    '+' for a space; the raw id, not encoded, must not match a client whose id is the
    decoded form of it."""
    c = srv.add_client("svc-" + tag(), roles=["svc"], id=f"svc:{tag()}+A")
    # basic_auth() encodes ':' as %3A and '+' as %2B
    assert "%3A" in base64.b64decode(basic_auth(c["client_id"], "x")[6:]).decode()
    srv.token_ok(CC, c)
    # "svc%3Axxxx%2B%41": other escapes that decode to the same id
    cid = c["client_id"].replace(":", "%3A").replace("+", "%2B")
    cid = cid[:-1] + "%41"
    raw = f"{cid}:{c['client_secret']}".encode()
    r = srv.token_request(CC, headers={"Authorization": "Basic " +
                                       base64.b64encode(raw).decode()}, auth="")
    assert r.status_code == 200, r.text


def test_grant_type_in_query_string(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    b = srv.token_ok({}, c, query=CC)
    assert scope_set(b["scope"]) == {"read:skills", "write:skills"}
    b = srv.token_ok({"scope": "read:skills"}, c, query="grant_type=client_credentials")
    assert scope_set(b["scope"]) == {"read:skills"}
    u = srv.add_user()
    pc = user_client(srv, auth_method="client_secret_post")
    form = password_form(u)
    del form["grant_type"]
    b = srv.token_ok(form, pc, query={"grant_type": "password"})
    assert b["refresh_token"]


def test_client_credentials_scopes_from_roles(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    b = srv.token_ok({**CC, "scope": "write:skills"}, c)
    assert scope_set(b["scope"]) == {"write:skills"}
    assert scope_set(jwt_parts(b["access_token"])[1]["scope"]) == {"write:skills"}
    b = srv.token_ok({**CC, "scope": "read:skills write:skills"}, c)
    assert scope_set(b["scope"]) == {"read:skills", "write:skills"}


def test_form_content_type_with_charset_accepted(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    srv.token_ok(CC, c, content_type="application/x-www-form-urlencoded; charset=UTF-8")


# --- password -------------------------------------------------------------------------

@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post", "none"])
def test_password_grant(srv, issuer, auth):
    u = srv.add_user()
    if auth == "none":
        c = srv.add_client("spa-" + tag(), public=True)
        assert c["token_endpoint_auth_method"] == "none"
        assert not c.get("client_secret")
    else:
        c = user_client(srv, auth_method=auth, id=special_id())
    r = srv.token_request(password_form(u), c)
    assert r.status_code == 200, r.text
    check_no_store(r)
    b = r.json()
    assert b["token_type"].lower() == "bearer"
    assert b["expires_in"] == 900
    assert scope_set(b["scope"]) == {"profile"}
    assert isinstance(b["refresh_token"], str) and len(b["refresh_token"]) >= 32
    h, _ = jwt_parts(b["access_token"])
    assert h["typ"] == "at+jwt"
    claims = verify_jwt(srv, b["access_token"], issuer=issuer)
    assert claims["sub"] == u.id
    assert claims["client_id"] == c["client_id"]
    assert isinstance(claims.get("sid"), str) and claims["sid"]
    assert claims["roles"] == ["user"]
    assert scope_set(claims["scope"]) == {"profile"}
    p = srv.profile(b["access_token"])
    assert p.status_code == 200 and p.json()["id"] == u.id


def test_password_grant_by_email_and_scope(srv):
    u = srv.add_user()
    c = user_client(srv)
    b = srv.token_ok({"grant_type": "password", "username": u.email,
                      "password": u.password, "scope": "read:skills profile"}, c)
    assert scope_set(b["scope"]) == {"read:skills", "profile"}
    assert jwt_parts(b["access_token"])[1]["sub"] == u.id


# --- refresh_token --------------------------------------------------------------------

@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post", "none"])
def test_refresh_grant(srv, issuer, auth):
    u = srv.add_user()
    if auth == "none":
        c = srv.add_client("spa-" + tag(), public=True)
    else:
        c = user_client(srv, auth_method=auth, id=special_id())
    b0 = srv.token_ok(password_form(u, scope="profile read:skills"), c)
    sid = jwt_parts(b0["access_token"])[1]["sid"]
    r = srv.token_request({"grant_type": "refresh_token",
                           "refresh_token": b0["refresh_token"]}, c)
    assert r.status_code == 200, r.text
    check_no_store(r)
    b1 = r.json()
    assert b1["token_type"].lower() == "bearer" and b1["expires_in"] == 900
    assert b1["access_token"] != b0["access_token"]
    assert b1["refresh_token"] and b1["refresh_token"] != b0["refresh_token"]
    assert scope_set(b1["scope"]) == {"profile", "read:skills"}     # the session's
    claims = verify_jwt(srv, b1["access_token"], issuer=issuer)
    assert claims["sid"] == sid and claims["sub"] == u.id
    assert claims["client_id"] == c["client_id"]
    assert srv.profile(b1["access_token"]).status_code == 200
    # a narrower scope is allowed; the session keeps its own
    b2 = srv.token_ok({"grant_type": "refresh_token", "refresh_token": b1["refresh_token"],
                       "scope": "profile"}, c)
    assert scope_set(b2["scope"]) <= {"profile", "read:skills"}
    rt = b2.get("refresh_token") or b1["refresh_token"]
    b3 = srv.token_ok({"grant_type": "refresh_token", "refresh_token": rt}, c)
    assert scope_set(b3["scope"]) == {"profile", "read:skills"}
    # a scope outside the session's: invalid_scope
    r = srv.token_request({"grant_type": "refresh_token",
                           "refresh_token": b3.get("refresh_token") or rt,
                           "scope": "write:skills"}, c)
    assert_oauth_error(r, 400, "invalid_scope")


def test_refresh_reuse_inside_grace_answers_again(srv):
    u = srv.add_user()
    c = user_client(srv)
    b0 = srv.token_ok(password_form(u), c)
    rf = {"grant_type": "refresh_token", "refresh_token": b0["refresh_token"]}
    b1 = srv.token_ok(rf, c)
    again = srv.token_ok(rf, c)                       # default grace: 10 s
    assert again["refresh_token"] == b1["refresh_token"]
    assert srv.profile(b1["access_token"]).status_code == 200
    srv.token_ok({"grant_type": "refresh_token", "refresh_token": b1["refresh_token"]}, c)


def test_refresh_reuse_after_grace_revokes_the_session(make_server):
    s = make_server(SETTINGS, tokens__refresh_grace=1)
    u = s.add_user()
    c = user_client(s)
    b0 = s.token_ok(password_form(u), c)
    other = s.token_ok(password_form(u), c)           # another session of the user
    t = time.time()
    b1 = s.token_ok({"grant_type": "refresh_token", "refresh_token": b0["refresh_token"]}, c)
    wait_past(t, 1)
    r = s.token_request({"grant_type": "refresh_token",
                         "refresh_token": b0["refresh_token"]}, c)
    assert_oauth_error(r, 400, "invalid_grant")
    assert "access_token" not in r.json()
    # the whole session is gone: the successor and every access token of it
    r = s.token_request({"grant_type": "refresh_token",
                         "refresh_token": b1["refresh_token"]}, c)
    assert_oauth_error(r, 400, "invalid_grant")
    assert_bearer_401(s.profile(b1["access_token"]))
    assert_bearer_401(s.profile(b0["access_token"]))
    # and only that session
    assert s.profile(other["access_token"]).status_code == 200
    s.token_ok({"grant_type": "refresh_token", "refresh_token": other["refresh_token"]}, c)
    # docs/oauth2.md, audit events: refresh.reuse with the client and the session
    sid = jwt_parts(b0["access_token"])[1]["sid"]
    ev = s.wait_log(lambda o: o.get("audit") == "refresh.reuse")
    assert ev is not None, "no refresh.reuse audit event"
    assert ev.get("client_id") == c["client_id"] and ev.get("user_id") == u.id, ev
    assert ev.get("session_id", (ev.get("detail") or {}).get("session_id")) == sid, ev


def test_rotation_off_for_a_client(srv):
    u = srv.add_user()
    c = user_client(srv, rotation="off")
    b0 = srv.token_ok(password_form(u), c)
    seen = {b0["access_token"]}
    for _ in range(3):
        b = srv.token_ok({"grant_type": "refresh_token",
                          "refresh_token": b0["refresh_token"]}, c)
        assert b.get("refresh_token") in (None, b0["refresh_token"]), b
        assert b["access_token"] not in seen
        seen.add(b["access_token"])
        assert srv.profile(b["access_token"]).status_code == 200
    # another client on the same server still rotates (server default: on)
    c2 = user_client(srv)
    b0 = srv.token_ok(password_form(u), c2)
    b = srv.token_ok({"grant_type": "refresh_token",
                      "refresh_token": b0["refresh_token"]}, c2)
    assert b["refresh_token"] and b["refresh_token"] != b0["refresh_token"]


def test_rotation_on_for_a_client_when_server_default_is_off(make_server):
    s = make_server(SETTINGS, tokens__refresh_rotation=False)
    u = s.add_user()
    c = user_client(s, rotation="on")
    b0 = s.token_ok(password_form(u), c)
    b1 = s.token_ok({"grant_type": "refresh_token", "refresh_token": b0["refresh_token"]}, c)
    assert b1["refresh_token"] and b1["refresh_token"] != b0["refresh_token"]
    d = user_client(s)                                # default: the server's (off)
    b0 = s.token_ok(password_form(u), d)
    b1 = s.token_ok({"grant_type": "refresh_token", "refresh_token": b0["refresh_token"]}, d)
    assert b1.get("refresh_token") in (None, b0["refresh_token"])


def test_client_access_ttl(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"], access_ttl=120)
    b = srv.token_ok(CC, c)
    assert b["expires_in"] == 120
    cl = jwt_parts(b["access_token"])[1]
    assert cl["exp"] - cl["iat"] == 120
    u = srv.add_user()
    pc = user_client(srv, access_ttl=77)
    b = srv.token_ok(password_form(u), pc)
    assert b["expires_in"] == 77
    cl = jwt_parts(b["access_token"])[1]
    assert cl["exp"] - cl["iat"] == 77
    b = srv.token_ok({"grant_type": "refresh_token", "refresh_token": b["refresh_token"]}, pc)
    assert b["expires_in"] == 77
    cl = jwt_parts(b["access_token"])[1]
    assert cl["exp"] - cl["iat"] == 77


def test_client_refresh_idle_ttl(srv):
    u = srv.add_user()
    # 2 s, not 1: the store keeps whole seconds, so a 1 s window ends at the next
    # second boundary, which a refresh right after the grant may already have crossed
    c = user_client(srv, idle_ttl=2)
    other = user_client(srv)                          # server default: 7 days idle
    o = srv.token_ok(password_form(u), other)
    # b's idle window starts here: only its refresh comes before it ends (a password
    # grant, a whole hash, may take longer than that on a loaded machine)
    b = srv.token_ok(password_form(u), c)
    b = srv.token_ok({"grant_type": "refresh_token", "refresh_token": b["refresh_token"]}, c)
    t = time.time()                  # after the rotation that restarted the window
    o = srv.token_ok({"grant_type": "refresh_token", "refresh_token": o["refresh_token"]},
                     other)
    wait_past(t, 2)
    r = srv.token_request({"grant_type": "refresh_token",
                           "refresh_token": b["refresh_token"]}, c)
    assert_oauth_error(r, 400, "invalid_grant")
    srv.token_ok({"grant_type": "refresh_token", "refresh_token": o["refresh_token"]}, other)


def test_hashing_queue_overflow_is_503_with_retry_after(make_server):
    s = make_server(SETTINGS, passwords__hash_workers=1, passwords__hash_queue=1)
    u = s.add_user(settings={"passwords.argon2_iterations": 40})
    c = user_client(s, auth_method="client_secret_post")
    body = password_form(u)
    body.update(client_id=c["client_id"], client_secret=c["client_secret"])
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def go():
        barrier.wait()
        r = requests.post(s.url + TOKEN_PATH, data=body, timeout=30)
        with lock:
            results.append(r)
    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    for r in results:
        if r.status_code == 200:
            s.track(r.json())
        else:
            assert_oauth_error(r, 503, "temporarily_unavailable")
            assert r.headers.get("Retry-After", "").isdigit(), r.headers


# --- errors: invalid_request ----------------------------------------------------------

def test_missing_grant_type(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    assert_oauth_error(srv.token_request({"scope": "read:skills"}, c), 400,
                       "invalid_request")
    # RFC 6749 3.1: a parameter without a value is as if omitted
    assert_oauth_error(srv.token_request({"grant_type": ""}, c), 400, "invalid_request")


def test_empty_scope_is_as_if_omitted(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    b = srv.token_ok({**CC, "scope": ""}, c)
    assert scope_set(b["scope"]) == {"read:skills", "write:skills"}


@pytest.mark.parametrize("pairs", [
    [("grant_type", "client_credentials"), ("grant_type", "client_credentials")],
    [("grant_type", "client_credentials"), ("scope", "read:skills"),
     ("scope", "read:skills")],
    [("grant_type", "client_credentials"), ("scope", "read:skills"),
     ("scope", "write:skills")],
], ids=["grant_type", "scope-same", "scope-different"])
def test_repeated_parameter(srv, pairs):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    assert_oauth_error(srv.token_request(pairs, c), 400, "invalid_request")


def test_repeated_client_id_with_post(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"], auth_method="client_secret_post")
    pairs = [("grant_type", "client_credentials"), ("client_id", c["client_id"])]
    assert_oauth_error(srv.token_request(pairs, c), 400, "invalid_request")


def test_repeated_password_parameters(srv):
    u = srv.add_user()
    c = user_client(srv)
    pairs = list(password_form(u).items()) + [("password", u.password)]
    assert_oauth_error(srv.token_request(pairs, c), 400, "invalid_request")


@pytest.mark.parametrize("query_value", ["client_credentials", "password"])
def test_grant_type_in_body_and_query(srv, query_value):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    r = srv.token_request(CC, c, query={"grant_type": query_value})
    assert_oauth_error(r, 400, "invalid_request")


def test_two_auth_methods(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    r = srv.token_request(CC, c, auth="both")
    assert_oauth_error(r, 400, "invalid_request")
    c = srv.add_client("svc-" + tag(), roles=["svc"], auth_method="client_secret_post")
    r = srv.token_request(CC, c, auth="both")
    assert_oauth_error(r, 400, "invalid_request")


@pytest.mark.parametrize("body", ["grant_type=client_credentials&scope=%zz",
                                  "grant_type=client_credentials&scope=read%",
                                  "grant_type=client%2"],
                         ids=["bad-hex", "trailing-%", "short-%"])
def test_malformed_form_body(srv, body):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    assert_oauth_error(srv.token_request(client=c, body=body), 400, "invalid_request")


@pytest.mark.parametrize("ctype", ["application/json", "text/plain", "multipart/form-data"])
def test_wrong_content_type(srv, ctype):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    body = '{"grant_type": "client_credentials"}' if ctype == "application/json" \
        else "grant_type=client_credentials"
    r = srv.token_request(client=c, body=body, content_type=ctype)
    assert_oauth_error(r, 415, "invalid_request")


def test_missing_password_parameters(srv):
    u = srv.add_user()
    c = user_client(srv)
    for drop in ("username", "password"):
        form = password_form(u)
        del form[drop]
        assert_oauth_error(srv.token_request(form, c), 400, "invalid_request")
    assert_oauth_error(srv.token_request({"grant_type": "refresh_token"}, c), 400,
                       "invalid_request")


# --- errors: invalid_client -----------------------------------------------------------

def test_no_client_authentication(srv):
    r = srv.token_request(CC, auth="")
    assert_oauth_error(r, 401, "invalid_client", basic=False)


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post", "none"])
def test_unknown_client(srv, auth):
    r = srv.token_request(CC, client_id="no-such-client-" + tag(),
                          client_secret="s" * 43, auth=auth)
    assert_oauth_error(r, 401, "invalid_client", basic=auth == "client_secret_basic")


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
def test_wrong_secret(srv, auth):
    c = srv.add_client("svc-" + tag(), roles=["svc"], auth_method=auth)
    wrong = c["client_secret"][:-2] + ("AA" if not c["client_secret"].endswith("AA")
                                       else "BB")
    for secret in (wrong, "", "x"):
        r = srv.token_request(CC, c, client_secret=secret)
        assert_oauth_error(r, 401, "invalid_client", basic=auth == "client_secret_basic")
        assert "access_token" not in r.json()
    # the right one still works: nothing got locked
    srv.token_ok(CC, c)
    ev = srv.wait_log(lambda o: o.get("audit") == "client.auth.failure"
                      and o.get("client_id") == c["client_id"])
    assert ev is not None, "no client.auth.failure audit event"


def test_wrong_secret_of_special_id_with_basic(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"], id=special_id())
    r = srv.token_request(CC, c, client_secret="nope-" + tag())
    assert_oauth_error(r, 401, "invalid_client", basic=True)


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
def test_disabled_client(srv, auth):
    c = srv.add_client("svc-" + tag(), roles=["svc"], auth_method=auth, disabled=True)
    r = srv.token_request(CC, c)
    assert_oauth_error(r, 401, "invalid_client", basic=auth == "client_secret_basic")


def test_disabled_public_client(srv):
    c = srv.add_client("spa-" + tag(), public=True, disabled=True)
    u = srv.add_user()
    assert_oauth_error(srv.token_request(password_form(u), c), 401, "invalid_client",
                       basic=False)


def test_unpinned_client_accepts_basic_and_post(srv):
    """A client registered without --auth-method takes its secret in either place, as
    openid-client (client_secret_post by default) and Authlib (Basic for revocation and
    introspection whatever the token call used) need: a plain form POST with
    client_id and client_secret, then Basic at revoke and introspect."""
    c = user_client(srv)
    assert c["token_endpoint_auth_methods"] == ["client_secret_basic",
                                                "client_secret_post"]
    u = srv.add_user()
    r = srv.http.post(srv.url + TOKEN_PATH, data={
        **password_form(u), "client_id": c["client_id"],
        "client_secret": c["client_secret"]})
    assert r.status_code == 200, r.text
    b = r.json()
    srv.track(b)
    assert srv.introspect_ok(b["access_token"], c, auth="client_secret_basic")[
        "active"] is True
    assert srv.revoke(b["refresh_token"], c, auth="client_secret_basic").status_code \
        == 200
    assert_bearer_401(srv.profile(b["access_token"]))
    svc = srv.add_client("svc-" + tag(), roles=["svc"])
    for auth in ("client_secret_basic", "client_secret_post"):
        assert srv.token_ok(CC, svc, auth=auth)["access_token"]
    # still one secret: a wrong one fails either way, and so does no secret at all
    for auth in ("client_secret_basic", "client_secret_post"):
        assert_oauth_error(srv.token_request(password_form(u), c, auth=auth,
                                             client_secret="x" * 43),
                           401, "invalid_client", basic=auth == "client_secret_basic")
    r = srv.token_request(password_form(u), c, auth="none")
    assert_oauth_error(r, 401, "invalid_client", basic=False)
    assert "client_secret_basic or client_secret_post" in r.json()["error_description"]


def test_wrong_auth_method(srv):
    """A client pinned to one method refuses the other."""
    basic = srv.add_client("svc-" + tag(), roles=["svc"], auth_method="client_secret_basic")
    assert basic["token_endpoint_auth_methods"] == ["client_secret_basic"]
    r = srv.token_request(CC, basic, auth="client_secret_post")
    assert_oauth_error(r, 401, "invalid_client", basic=False)
    r = srv.token_request(CC, basic, auth="none")
    assert_oauth_error(r, 401, "invalid_client", basic=False)
    post = srv.add_client("svc-" + tag(), roles=["svc"], auth_method="client_secret_post")
    r = srv.token_request(CC, post, auth="client_secret_basic")
    assert_oauth_error(r, 401, "invalid_client", basic=True)
    r = srv.token_request(CC, post, auth="none")
    assert_oauth_error(r, 401, "invalid_client", basic=False)


def test_public_client_with_a_secret_is_refused(srv):
    """A public client authenticates with `none`: a Basic header for it is the wrong
    method."""
    c = srv.add_client("spa-" + tag(), public=True)
    u = srv.add_user()
    r = srv.token_request(password_form(u), c, auth="client_secret_basic",
                          client_secret="x" * 43)
    assert_oauth_error(r, 401, "invalid_client", basic=True)


# --- errors: unauthorized_client, unsupported_grant_type ------------------------------

def test_grant_not_allowed_for_client(srv):
    u = srv.add_user()
    cc_only = srv.add_client("svc-" + tag(), roles=["svc"])
    assert_oauth_error(srv.token_request(password_form(u), cc_only), 400,
                       "unauthorized_client")
    r = srv.token_request({"grant_type": "refresh_token", "refresh_token": "x" * 43},
                          cc_only)
    assert_oauth_error(r, 400, "unauthorized_client")
    pw_only = srv.add_client("app-" + tag(), grants=["password"])
    assert_oauth_error(srv.token_request(CC, pw_only), 400, "unauthorized_client")
    r = srv.token_request({"grant_type": "refresh_token", "refresh_token": "x" * 43},
                          pw_only)
    assert_oauth_error(r, 400, "unauthorized_client")
    public = srv.add_client("spa-" + tag(), public=True)
    assert_oauth_error(srv.token_request(CC, public), 400, "unauthorized_client")


@pytest.mark.parametrize("grant", [
    "implicit", "garbage", "CLIENT_CREDENTIALS",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange"])
def test_unsupported_grant_type(srv, grant):
    c = srv.add_client("svc-" + tag(), roles=["svc"],
                       grants=["client_credentials", "password", "refresh_token"])
    data = {"grant_type": grant}
    assert_oauth_error(srv.token_request(data, c), 400, "unsupported_grant_type")


def test_authorization_code_needs_the_grant(srv):
    """Supported (docs/oidc.md), but only for a client registered for it."""
    c = srv.add_client("svc-" + tag(), roles=["svc"],
                       grants=["client_credentials", "password", "refresh_token"])
    data = {"grant_type": "authorization_code", "code": "abc",
            "redirect_uri": "https://app.example/cb"}
    assert_oauth_error(srv.token_request(data, c), 400, "unauthorized_client")


# --- errors: invalid_scope, invalid_grant ---------------------------------------------

def test_invalid_scope_from_roles(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"])
    for scope in ("profile", "admin", "nope", "read:skills nope"):
        assert_oauth_error(srv.token_request({**CC, "scope": scope}, c), 400,
                           "invalid_scope")
    u = srv.add_user()
    pc = user_client(srv)
    for scope in ("admin", "nope", "profile admin"):
        assert_oauth_error(srv.token_request(password_form(u, scope=scope), pc), 400,
                           "invalid_scope")


def test_client_without_roles_gets_no_scope(srv):
    c = srv.add_client("svc-" + tag())
    r = srv.token_request({**CC, "scope": "read:skills"}, c)
    assert_oauth_error(r, 400, "invalid_scope")


def test_invalid_scope_from_client_scopes_list(srv):
    c = srv.add_client("svc-" + tag(), roles=["svc"], scopes=["read:skills"])
    # the role grants write:skills, the client's list does not
    assert_oauth_error(srv.token_request({**CC, "scope": "write:skills"}, c), 400,
                       "invalid_scope")
    b = srv.token_ok({**CC, "scope": "read:skills"}, c)
    assert scope_set(b["scope"]) == {"read:skills"}
    # the role's defaults (read:skills write:skills) are cut down to the list
    b = srv.token_ok(CC, c)
    assert scope_set(b["scope"]) == {"read:skills"}
    assert scope_set(jwt_parts(b["access_token"])[1]["scope"]) == {"read:skills"}
    # the same for users through the client
    u = srv.add_user()
    pc = user_client(srv, scopes=["profile", "read:skills"])
    assert_oauth_error(srv.token_request(password_form(u, scope="write:skills"), pc),
                       400, "invalid_scope")
    b = srv.token_ok(password_form(u, scope="read:skills"), pc)
    assert scope_set(b["scope"]) == {"read:skills"}


@pytest.mark.parametrize("auth", ["client_secret_basic", "none"])
def test_wrong_password_is_invalid_grant(srv, auth):
    u = srv.add_user()
    c = srv.add_client("spa-" + tag(), public=True) if auth == "none" else user_client(srv)
    bad = "wrong-" + tag() + "-pw"
    srv.secrets.add(bad)
    r = srv.token_request(password_form(u, password=bad), c)
    assert_oauth_error(r, 400, "invalid_grant", basic=None)
    assert "WWW-Authenticate" not in r.headers
    r = srv.token_request({"grant_type": "password", "username": "nobody-" + tag(),
                           "password": bad}, c)
    assert_oauth_error(r, 400, "invalid_grant")


def test_disabled_user_is_invalid_grant(srv):
    u = srv.add_user()
    c = user_client(srv)
    srv.cli_ok("user", "disable", u.username)
    assert_oauth_error(srv.token_request(password_form(u), c), 400, "invalid_grant")


def test_unknown_refresh_token_is_invalid_grant(srv):
    c = user_client(srv)
    for tok in ("x" * 43, "not-a-token", "A" * 200):
        r = srv.token_request({"grant_type": "refresh_token", "refresh_token": tok}, c)
        assert_oauth_error(r, 400, "invalid_grant")


def test_refresh_token_of_another_client(srv):
    u = srv.add_user()
    a = user_client(srv)
    b = user_client(srv)
    pub = srv.add_client("spa-" + tag(), public=True)
    t = srv.token_ok(password_form(u), a)
    for other in (b, pub):
        r = srv.token_request({"grant_type": "refresh_token",
                               "refresh_token": t["refresh_token"]}, other)
        assert_oauth_error(r, 400, "invalid_grant")
    # nothing happened to the session: its own client refreshes it
    assert srv.profile(t["access_token"]).status_code == 200
    srv.token_ok({"grant_type": "refresh_token", "refresh_token": t["refresh_token"]}, a)


def test_native_refresh_token_is_not_a_clients(srv):
    u = srv.add_user()
    lg = srv.login(u)
    c = user_client(srv)
    r = srv.token_request({"grant_type": "refresh_token",
                           "refresh_token": lg.refresh_token}, c)
    assert_oauth_error(r, 400, "invalid_grant")
    # and the native session is untouched
    assert srv.refresh(lg.refresh_token).status_code == 200


def test_get_is_not_the_token_endpoint(srv):
    r = srv.get(TOKEN_PATH + "?grant_type=client_credentials")
    assert r.status_code == 405, r.text
    assert "POST" in r.headers.get("Allow", "")


# Bytes that are not UTF-8 (percent-encoded in the form) in every field that reaches
# the store: a 4xx like any unknown value, never a 500. PostgreSQL refuses such bytes
# in text parameters, so the backends must agree on this before the query.
@pytest.mark.parametrize("field", ["username", "client_id", "refresh_token", "scope"])
def test_non_utf8_bytes_in_fields_are_a_4xx(srv, field):
    c = srv.add_client("Bytes", grants=["password", "refresh_token"])
    u = srv.add_user()
    form = {"grant_type": "password", "username": u.username, "password": u.password}
    if field == "refresh_token":
        form = {"grant_type": "refresh_token"}
    bad = "%FF%FEab%C3"
    raw = "&".join(f"{k}={v}" for k, v in form.items())
    raw += f"&{field}={bad}" if field not in form else ""
    if field in form:
        raw = raw.replace(f"{field}={form[field]}", f"{field}={bad}")
    r = srv.token_request(client=c, body=raw,
                          client_id=bad if field == "client_id" else None,
                          auth="client_secret_post" if field == "client_id" else None)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    if field == "client_id":
        # the same bytes as a Basic user name (form-decoded by the server)
        r = srv.token_request(body="grant_type=client_credentials", auth="",
                              headers={"Authorization": "Basic " + base64.b64encode(
                                  f"{bad}:secret".encode()).decode()})
        assert r.status_code == 401, (r.status_code, r.text)
        assert r.json()["error"] == "invalid_client"
    for path in ("/oauth2/revoke", "/oauth2/introspect"):
        r = srv.oauth_post(path, body=f"token={bad}", client=c)
        assert r.status_code in (200, 400), (path, r.status_code, r.text)
