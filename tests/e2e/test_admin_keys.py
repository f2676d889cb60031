# SPDX-License-Identifier: Apache-2.0
"""/v1/admin/keys (docs/api.md "Admin API"): the signing keys and their state, never
private material; rotation (new tokens signed by the new key, old ones still
verify) and retirement (the key leaves the JWKS and its tokens are refused)."""
import json

import pytest

from admin_helpers import FAST, Admin
from harness.assertions import assert_bearer_401, assert_error
from harness.jose import jwt_parts, verify_jwt

KEY_KEYS = {"kid", "alg", "state", "created_at", "activated_at", "signs_from",
            "retired_at"}
PRIVATE = ("\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"", "private")


@pytest.fixture
def srv(make_server):
    return make_server(FAST)


@pytest.fixture
def admin(srv):
    return Admin(srv)


def jwks_kids(srv):
    return {k["kid"] for k in srv.jwks()["keys"]}


def test_list_matches_the_jwks_and_holds_no_private_material(srv, admin):
    r = admin.get("/keys")
    keys = admin.ok(r)["keys"]
    assert len(keys) == 1 and set(keys[0]) == KEY_KEYS
    k = keys[0]
    assert (k["alg"], k["state"], k["retired_at"]) == ("ES256", "signing", None)
    assert k["activated_at"] is not None
    assert {k["kid"]} == jwks_kids(srv)
    assert not any(p in r.text for p in PRIVATE)
    assert admin.ok(admin.get(f"/keys/{k['kid']}")) == k
    assert_error(admin.get("/keys/no-such-kid"), 404, "not_found")


def test_rotate_then_retire(srv, admin):
    u = srv.add_user()
    old_kid = admin.ok(admin.get("/keys"))["keys"][0]["kid"]
    before = srv.login(u)
    assert before.header["kid"] == old_kid

    r = admin.post("/keys/rotate", {"alg": "EdDSA", "now": True})
    new = admin.ok(r, 201)
    assert not any(p in r.text for p in PRIVATE)
    assert set(new) == KEY_KEYS and new["alg"] == "EdDSA" and new["state"] == "signing"
    assert jwks_kids(srv) == {old_kid, new["kid"]}
    states = {k["kid"]: k["state"] for k in admin.ok(admin.get("/keys"))["keys"]}
    assert states == {old_kid: "published", new["kid"]: "signing"}
    after = srv.login(u)
    assert after.header["kid"] == new["kid"] and after.header["alg"] == "EdDSA"
    verify_jwt(srv, after.access_token)
    assert srv.profile(before.access_token).status_code == 200   # old key still verifies

    ret = admin.ok(admin.post(f"/keys/{old_kid}/retire"))
    assert ret["kid"] == old_kid and ret["state"] == "retired" and ret["retired_at"]
    assert jwks_kids(srv) == {new["kid"]}
    assert_bearer_401(srv.profile(before.access_token))          # its tokens are refused
    assert srv.profile(after.access_token).status_code == 200
    assert_bearer_401(admin.get("/keys"))      # the admin's token too: log in again
    admin = Admin(srv)
    # retired keys stay listed; retiring twice is a conflict
    assert {k["kid"]: k["state"] for k in admin.ok(admin.get("/keys"))["keys"]} == \
        {old_kid: "retired", new["kid"]: "signing"}
    assert_error(admin.post(f"/keys/{old_kid}/retire"), 409, "conflict")
    assert_error(admin.post("/keys/no-such-kid/retire"), 404, "not_found")


def test_the_last_signing_key_cannot_be_retired(srv, admin):
    kid = admin.ok(admin.get("/keys"))["keys"][0]["kid"]
    b = assert_error(admin.post(f"/keys/{kid}/retire"), 409, "conflict")
    assert "rotate" in b["error_description"]
    assert jwks_kids(srv) == {kid}
    srv.login(srv.add_user())


def test_rotate_defaults_and_errors(srv, admin):
    k = admin.ok(admin.post("/keys/rotate"), 201)      # no body: tokens.algorithm
    assert k["alg"] == "ES256"
    for body in ({"alg": "HS256"}, {"alg": "none"}, {"alg": "RS1"}, {"alg": 5},
                 {"kty": "EC"}, {"now": "yes"}, {"now": 1}):
        assert_error(admin.post("/keys/rotate", body), 400, "invalid_request")
    assert len(admin.ok(admin.get("/keys"))["keys"]) == 2
    rs = admin.ok(admin.post("/keys/rotate", {"alg": "RS256", "now": True}), 201)
    lg = srv.login(srv.add_user())
    assert jwt_parts(lg.access_token)[0]["kid"] == rs["kid"]
    assert json.dumps(srv.jwks()).count(rs["kid"]) == 1


def test_retire_an_unknown_kid_with_non_utf8_bytes_is_a_404(srv, admin):
    """The answer quotes the kid it did not find; bytes that are not UTF-8 must not
    turn that into a failed answer: 404 with the error's default sentence."""
    r = srv.request("POST", "/v1/admin/keys/%FF%FEzz/retire", token=admin.token)
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "not_found"
    assert r.json()["error_description"]
    r = srv.request("POST", "/v1/admin/keys/" + "\u00e9" * 40 + "/retire",
                    token=admin.token)
    assert r.status_code == 404, r.text


def test_rotate_publishes_first_and_now_signs_at_once(make_server):
    """POST /v1/admin/keys/rotate publishes the key and signs with it after
    tokens.key_publish_delay (its signs_from); {"now": true} signs at once."""
    srv = make_server(dict(FAST, **{"tokens.key_publish_delay": 600}))
    admin = Admin(srv)
    old = admin.ok(admin.get("/keys"))["keys"][0]
    assert old["signs_from"] == old["activated_at"]
    k = admin.ok(admin.post("/keys/rotate"), 201)
    assert (k["state"], k["activated_at"]) == ("waiting", None)
    assert k["signs_from"] > k["created_at"]          # RFC 3339 UTC: ordered as text
    assert jwks_kids(srv) == {old["kid"], k["kid"]}
    assert srv.login(srv.add_user()).header["kid"] == old["kid"]
    # the key that signs cannot go while its successor waits
    b = assert_error(admin.post(f"/keys/{old['kid']}/retire"), 409, "conflict")
    assert "--now" in b["error_description"]
    now = admin.ok(admin.post("/keys/rotate", {"now": True}), 201)
    assert now["state"] == "signing" and now["signs_from"] == now["activated_at"]
    assert srv.login(srv.add_user()).header["kid"] == now["kid"]
