# SPDX-License-Identifier: Apache-2.0
"""POST /v1/auth/login (SPEC section 2) and the router's generic answers."""
import json
import re
import statistics
import time

import pytest

from harness.assertions import assert_error, no_password_fields
from harness.cli import BOOTSTRAP_PASSWORD
from harness.jose import jwt_parts, scope_set

SKILLS = {
    "role.user.scopes": "profile read:skills write:skills",
    "role.user.default_scopes": "profile read:skills",
}


def test_login_by_username(server):
    u = server.add_user(name="Alice Liddell")
    r = server.login_raw(username=u.username, password=u.password)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["token_type"] == "Bearer"
    assert isinstance(b["access_token"], str) and b["access_token"].count(".") == 2
    assert isinstance(b["refresh_token"], str) and len(b["refresh_token"]) >= 43
    assert b["user"]["id"] == u.id
    assert b["user"]["name"] == "Alice Liddell"
    # the token works at once
    assert server.profile(b["access_token"]).json()["id"] == u.id


def test_login_by_email_is_case_insensitive(server):
    u = server.add_user(email="Carol.Case@Example.com")
    for email in ("carol.case@example.com", "CAROL.CASE@EXAMPLE.COM",
                  "Carol.Case@Example.com"):
        r = server.login_raw(email=email, password=u.password)
        assert r.status_code == 200, f"{email}: {r.status_code} {r.text}"
        assert r.json()["user"]["id"] == u.id


def test_username_field_also_matches_email(server):
    u = server.add_user()
    r = server.login_raw(username=u.email.upper(), password=u.password)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == u.id


def test_bootstrap_admin_logs_in_with_bootstrap_password(server):
    lg = server.login("admin", BOOTSTRAP_PASSWORD)
    assert lg.body["user"]["roles"] == ["admin"]
    assert lg.claims["roles"] == ["admin"]


def test_wrong_password_and_unknown_user_get_identical_401(server):
    u = server.add_user()
    wrong = server.login_raw(username=u.username, password=u.password + "x")
    unknown = server.login_raw(username="nobody-" + u.username, password=u.password)
    unknown_email = server.login_raw(email="nobody@example.com", password=u.password)
    for r in (wrong, unknown, unknown_email):
        assert_error(r, 401, "invalid_credentials")
        assert "access_token" not in r.json()
    assert wrong.content == unknown.content == unknown_email.content


def test_unknown_user_costs_about_as_much_as_wrong_password(make_server):
    # Slower hashes so that hashing dominates the time of a login; an unknown user must
    # still cost a full hash (no enumeration through timing).
    slow = {"passwords.argon2_iterations": 12}
    s = make_server(slow)
    u = s.add_user()
    wrong, unknown = [], []
    for i in range(5):
        t = time.perf_counter()
        s.login_raw(username=u.username, password="not-" + u.password)
        wrong.append(time.perf_counter() - t)
        t = time.perf_counter()
        s.login_raw(username=f"ghost{i}-{u.username}", password="not-" + u.password)
        unknown.append(time.perf_counter() - t)
    assert statistics.median(unknown) >= 0.5 * statistics.median(wrong), \
        f"unknown user {unknown} vs wrong password {wrong}"


@pytest.mark.parametrize("body", [
    {},
    {"username": "alice"},
    {"password": "secret-password"},
    {"username": 5, "password": "secret-password"},
    {"username": "alice", "password": ["secret-password"]},
    {"username": "alice", "password": None},
    ["username", "password"],
], ids=["empty", "no-password", "no-username", "int-username", "array-password",
        "null-password", "array-body"])
def test_missing_or_wrong_typed_fields_are_400(server, body):
    r = server.post("/v1/auth/login", body)
    assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize("raw", [
    b'{"username": "alice", "password": ',
    b"not json",
    b'{"username": "alice" "password": "x"}',
    b"",
], ids=["truncated", "text", "missing-comma", "empty"])
def test_malformed_json_is_400(server, raw):
    r = server.request("POST", "/v1/auth/login", data=raw,
                       headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_request")


def test_json_with_charset_parameter_is_accepted(server):
    u = server.add_user()
    r = server.request("POST", "/v1/auth/login",
                       data=json.dumps({"username": u.username, "password": u.password}),
                       headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text
    server.track(r.json())


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415(server, ctype):
    u = server.add_user()
    body = f'{{"username": "{u.username}", "password": "{u.password}"}}'
    headers = {"Content-Type": ctype} if ctype else {}
    r = server.request("POST", "/v1/auth/login", data=body.encode(), headers=headers)
    if ctype is None:
        # requests sends no Content-Type for raw bytes
        assert "Content-Type" not in r.request.headers
    assert_error(r, 415)
    assert "access_token" not in r.text


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_wrong_method_is_405_with_allow(server, method):
    r = server.request(method, "/v1/auth/login")
    assert_error(r, 405)
    allow = [m.strip() for m in r.headers.get("Allow", "").split(",")]
    assert "POST" in allow, r.headers.get("Allow")
    assert method not in allow


def test_unknown_path_is_404_with_json_error(server):
    for path in ("/v1/auth/nope", "/nope", "/v1/auth/login/extra"):
        r = server.get(path)
        assert_error(r, 404, "not_found")


def test_scope_from_body(make_server):
    s = make_server(SKILLS)
    u = s.add_user()
    lg = s.login(u, scope="read:skills write:skills")
    assert scope_set(lg.body["scope"]) == {"read:skills", "write:skills"}
    assert scope_set(lg.claims["scope"]) == {"read:skills", "write:skills"}
    assert " " in lg.claims["scope"] and "," not in lg.claims["scope"]


def test_scope_from_query_comma_separated(make_server):
    s = make_server(SKILLS)
    u = s.add_user()
    lg = s.login(u, query="?scope=read:skills,write:skills")
    assert scope_set(lg.body["scope"]) == {"read:skills", "write:skills"}
    assert scope_set(lg.claims["scope"]) == {"read:skills", "write:skills"}


def test_scope_from_query_space_separated(make_server):
    s = make_server(SKILLS)
    u = s.add_user()
    lg = s.login(u, query="?scope=write:skills%20profile")
    assert scope_set(lg.claims["scope"]) == {"write:skills", "profile"}


def test_scope_body_comma_separated(make_server):
    s = make_server(SKILLS)
    u = s.add_user()
    lg = s.login(u, scope="profile,write:skills")
    assert scope_set(lg.claims["scope"]) == {"profile", "write:skills"}


def test_scope_not_granted_by_roles_is_invalid_scope(make_server):
    s = make_server(SKILLS)
    u = s.add_user()
    for scope in ("admin", "profile admin", "delete:everything"):
        r = s.login_raw(username=u.username, password=u.password, scope=scope)
        body = assert_error(r, 400, "invalid_scope")
        assert "access_token" not in body
    r = s.login_raw(username=u.username, password=u.password, query="?scope=read:skills,admin")
    assert_error(r, 400, "invalid_scope")


def test_admin_role_grants_admin_scope(server):
    lg = server.login("admin", BOOTSTRAP_PASSWORD, scope="admin")
    assert scope_set(lg.claims["scope"]) == {"admin"}
    u = server.add_user()
    r = server.login_raw(username=u.username, password=u.password, scope="admin")
    assert_error(r, 400, "invalid_scope")


def test_default_scopes_when_none_asked(make_server):
    s = make_server(SKILLS)
    u = s.add_user()
    lg = s.login(u)
    assert scope_set(lg.body["scope"]) == {"profile", "read:skills"}
    assert scope_set(lg.claims["scope"]) == {"profile", "read:skills"}


def test_scopes_of_several_roles_combine(make_server):
    s = make_server({**SKILLS, "role.coach.scopes": "read:teams",
                     "role.coach.default_scopes": "read:teams"})
    u = s.add_user(roles=("user", "coach"))
    lg = s.login(u, scope="write:skills read:teams")
    assert scope_set(lg.claims["scope"]) == {"write:skills", "read:teams"}
    assert scope_set(s.login(u).claims["scope"]) == {"profile", "read:skills", "read:teams"}


def test_token_response_has_no_store(server):
    u = server.add_user()
    r = server.login_raw(username=u.username, password=u.password)
    assert r.status_code == 200
    assert "no-store" in r.headers.get("Cache-Control", "")
    assert r.headers.get("Content-Type", "").startswith("application/json")


def test_response_shape(server):
    u = server.add_user(email="dora@example.com", username="dora", name="Dora Explorer")
    r = server.login_raw(username="dora", password=u.password)
    b = r.json()
    assert set(b) >= {"access_token", "refresh_token", "token_type", "expires_in", "scope",
                      "user"}
    assert b["token_type"] == "Bearer"
    assert b["expires_in"] == 900
    assert scope_set(b["scope"]) == {"profile"}
    user = b["user"]
    assert set(user) == {"id", "email", "username", "name", "roles", "created_at",
                         "attributes"}, user
    assert user == {**user, "id": u.id, "email": "dora@example.com", "username": "dora",
                    "name": "Dora Explorer", "roles": ["user"]}
    assert isinstance(user["attributes"], dict)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["created_at"]), user
    no_password_fields(b["user"])
    assert u.password not in r.text


def test_expires_in_follows_access_ttl(make_server):
    s = make_server(tokens__access_ttl=120)
    u = s.add_user()
    lg = s.login(u)
    assert lg.body["expires_in"] == 120
    assert lg.claims["exp"] - lg.claims["iat"] == 120


def test_disabled_user_cannot_log_in(server):
    u = server.add_user()
    wrong = server.login_raw(username=u.username, password="not-" + u.password)
    server.cli_ok("user", "disable", u.username)
    r = server.login_raw(username=u.username, password=u.password)
    assert_error(r, 401, "invalid_credentials")
    assert r.content == wrong.content, "a disabled user must look like a wrong password"
    server.cli_ok("user", "enable", u.id)
    assert server.login_raw(username=u.username, password=u.password).status_code == 200


def test_user_without_password_cannot_log_in(server):
    # `user add` without --password-stdin either fails or makes a user that has no
    # password; in no case may an empty password log in.
    server.cli("user", "add", "--email", "nopw@example.com", "--username", "nopw")
    for pw in ("", " "):
        lr = server.login_raw(username="nopw", password=pw)
        assert lr.status_code in (400, 401), lr.text
        assert "access_token" not in lr.text


def test_login_user_object_matches_token_claims(server):
    u = server.add_user(roles=("user", "admin"))
    lg = server.login(u)
    assert lg.claims["sub"] == lg.body["user"]["id"] == u.id
    assert sorted(lg.claims["roles"]) == sorted(lg.body["user"]["roles"]) == ["admin", "user"]
    h, _ = jwt_parts(lg.access_token)
    assert h["typ"] == "at+jwt"


def test_refresh_token_is_opaque_base64url_with_256_bits(server):
    u = server.add_user()
    lg = server.login(u)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", lg.refresh_token), lg.refresh_token
    assert lg.refresh_token.count(".") == 0          # not a JWT
    assert lg.refresh_token not in (server.login(u).refresh_token,)


def test_username_is_case_insensitive(server):
    u = server.add_user(username="MixedCase_User")
    r = server.login_raw(username="mixedcase_user", password=u.password)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == u.id


def test_body_scope_wins_over_query(make_server):
    s = make_server(SKILLS)
    u = s.add_user()
    lg = s.login(u, scope="write:skills", query="?scope=read:skills")
    assert scope_set(lg.claims["scope"]) == {"write:skills"}


def test_unicode_and_long_passwords(server):
    for pw in ("pässwörd-ünïcödé-\U0001F511", "x" * 1000, "with spaces and \"quotes\" \\"):
        u = server.add_user(password=pw)
        lg = server.login(u)
        assert lg.claims["sub"] == u.id
        # NFC vs NFD or a dropped character must not log in
        r = server.login_raw(username=u.username, password=pw[:-1])
        assert_error(r, 401, "invalid_credentials")


def test_login_with_chunked_body(server):
    u = server.add_user()
    payload = json.dumps({"username": u.username, "password": u.password}).encode()

    def gen():
        yield payload[:10]
        yield payload[10:]
    r = server.request("POST", "/v1/auth/login", data=gen(),
                       headers={"Content-Type": "application/json"})
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert r.status_code == 200, r.text
    server.track(r.json())


def test_lowercase_bearer_scheme_accepted(server):
    # RFC 7235 section 2.1: the auth scheme is case-insensitive
    u = server.add_user()
    lg = server.login(u)
    r = server.get("/v1/auth/profile", headers={"Authorization": "bearer " + lg.access_token})
    assert r.status_code == 200, r.text


def test_password_rehashed_when_parameters_change(server):
    """SPEC 11: a hash made with other Argon2id parameters is redone at the next login
    (here the stored hash is very slow; after one login, logins cost the default)."""
    u = server.add_user(settings={"passwords.argon2_iterations": 60})
    t = time.perf_counter()
    server.login(u)
    first = time.perf_counter() - t
    t = time.perf_counter()
    server.login(u)
    second = time.perf_counter() - t
    assert first > 0.15, f"the stored hash is not slow ({first:.3f}s): test is void"
    assert second < first / 3, f"first login {first:.3f}s, second {second:.3f}s"
