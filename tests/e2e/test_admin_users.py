# SPDX-License-Identifier: Apache-2.0
"""/v1/admin/users (docs/api.md "Admin API"): paged, filtered lists; create, read,
update, delete; each change visible through the native API (logins, tokens)."""
import pytest

from admin_helpers import FAST, Admin
from harness.assertions import assert_bearer_401, assert_error, no_password_fields

USER_KEYS = {"id", "email", "username", "name", "roles", "created_at", "attributes",
             "disabled", "updated_at"}


@pytest.fixture
def srv(make_server):
    return make_server(FAST, **{"role.editor.scopes": "profile edit",
                                "role.editor.default_scopes": "profile"})


@pytest.fixture
def admin(srv):
    return Admin(srv)


def test_pages_cover_every_user_once_in_a_stable_order(srv, admin):
    made = {admin.create_user(email=f"page{i:02d}@example.com")["id"] for i in range(23)}
    everyone, pages = admin.walk("/users", "users", 5)
    ids = [u["id"] for u in everyone]
    assert pages == 5                              # 24 users (with admin) by 5
    assert len(ids) == len(set(ids)) == 24         # none lost, none repeated
    assert made <= set(ids)
    assert ids == sorted(ids)                      # ordered by id
    # the same walk again gives the same order; one big page too
    assert [u["id"] for u in admin.walk("/users", "users", 7)[0]] == ids
    assert [u["id"] for u in admin.ok(admin.get("/users", limit=500))["users"]] == ids
    for u in everyone:
        assert set(u) == USER_KEYS, u
        no_password_fields(u)


def test_pages_stay_consistent_while_users_are_added_and_deleted(srv, admin):
    for i in range(10):
        admin.create_user(email=f"c{i}@example.com")
    first = admin.ok(admin.get("/users", limit=4))
    seen = [u["id"] for u in first["users"]]
    # a user deleted and another added between pages: the cursor is a position, so
    # nothing already seen comes back and no remaining user is skipped
    me = srv.profile(admin.token).json()["id"]
    admin.ok(admin.delete(f"/users/{next(x for x in seen if x != me)}"), 204)
    late = admin.create_user(email="late@example.com")["id"]
    cursor, rest = first["next"], []
    while cursor:
        body = admin.ok(admin.get("/users", limit=4, cursor=cursor))
        rest += [u["id"] for u in body["users"]]
        cursor = body["next"]
    assert not set(rest) & set(seen)
    now = {u["id"] for u in admin.walk("/users", "users", 100)[0]}
    assert (now - set(seen)) - {late} <= set(rest)
    assert rest == sorted(rest) and all(x > seen[-1] for x in rest)


def test_filters(srv, admin):
    a = admin.create_user(email="Alice@Corp.example", roles=["editor", "user"])
    b = admin.create_user(email="alfred@corp.example", roles=["user"], disabled=True)
    c = admin.create_user(email="bob@corp.example", roles=["editor"])
    d = admin.create_user(email="al@other.example", roles=[])

    def ids(**params):
        return {u["id"] for u in admin.walk("/users", "users", 2, **params)[0]}

    assert ids(email_prefix="al") == {a["id"], b["id"], d["id"]}
    assert ids(email_prefix="ALI") == {a["id"]}              # case-insensitive
    assert ids(email_prefix="alice@corp.example") == {a["id"]}
    assert ids(email_prefix="zz") == set()
    assert ids(role="editor") == {a["id"], c["id"]}
    assert ids(role="edit") == set()                          # whole role names only
    assert ids(role="admin") == {admin.ok(admin.get("/users", email_prefix="admin@"))
                                 ["users"][0]["id"]}
    assert ids(disabled="true") == {b["id"]}
    assert b["id"] not in ids(disabled="false") and a["id"] in ids(disabled="false")
    assert ids(email_prefix="al", role="user", disabled="false") == {a["id"]}
    assert ids(email_prefix="al", role="user", disabled="true") == {b["id"]}


def test_create_read_and_log_in(srv, admin):
    u = admin.create_user(email="Carol@Example.com", username="carol", name="Carol C",
                          roles=["user", "editor"], attributes={"team": "blue", "n": 3},
                          password="carol-pw-12345")
    assert set(u) == USER_KEYS
    assert (u["email"], u["username"], u["name"], u["roles"], u["attributes"],
            u["disabled"]) == ("Carol@Example.com", "carol", "Carol C",
                               ["user", "editor"], {"team": "blue", "n": 3}, False)
    r = admin.get(f"/users/{u['id']}")
    assert admin.ok(r) == u
    lg = srv.login("carol", "carol-pw-12345", scope="edit")
    assert lg.claims["sub"] == u["id"] and lg.claims["roles"] == ["user", "editor"]
    prof = srv.profile(lg.access_token).json()
    assert prof["attributes"] == {"team": "blue", "n": 3}
    # without a password the account exists but cannot log in
    np = admin.create_user(email="nopw@example.com")
    assert_error(srv.login_raw(email="nopw@example.com", password="anything-at-all"),
                 401, "invalid_credentials")
    assert admin.ok(admin.get(f"/users/{np['id']}"))["email"] == "nopw@example.com"


def test_create_conflicts_and_errors(srv, admin):
    admin.create_user(email="dup@example.com", username="dup")
    for body in ({"email": "DUP@example.com"}, {"email": "other@example.com",
                                                  "username": "DUP"}):
        b = assert_error(admin.post("/users", body), 409, "conflict")
        assert "already exists" in b["error_description"]
    assert_error(admin.post("/users", {"email": "x@example.com", "username": "a@b"}),
                 400, "invalid_request")
    assert_error(admin.post("/users", {"email": "x@example.com", "roles": ["bad!"]}),
                 400, "invalid_request")
    assert_error(admin.get("/users/no-such-user"), 404, "not_found")


def test_update_fields_and_see_them_in_the_next_login(srv, admin):
    u = admin.create_user(email="dave@example.com", username="dave", roles=["user"],
                          password="dave-pw-123456", attributes={"a": 1})
    before = srv.login("dave", "dave-pw-123456")
    r = admin.patch(f"/users/{u['id']}", {"email": "david@example.com", "name": "David",
                                          "username": "david", "roles": ["editor"],
                                          "attributes": {"b": [1, 2]}})
    v = admin.ok(r)
    assert (v["email"], v["name"], v["username"], v["roles"], v["attributes"]) == \
        ("david@example.com", "David", "david", ["editor"], {"b": [1, 2]})
    assert v["created_at"] == u["created_at"]
    assert admin.ok(admin.get(f"/users/{u['id']}")) == v
    # a profile change keeps the sessions; the next login sees the new roles
    assert srv.profile(before.access_token).status_code == 200
    lg = srv.login("david", "dave-pw-123456", scope="edit")
    assert lg.claims["roles"] == ["editor"] and lg.claims["email"] == "david@example.com"
    assert srv.login_raw(username="dave", password="dave-pw-123456").status_code == 401
    # username null removes it; roles [] empties them
    v = admin.ok(admin.patch(f"/users/{u['id']}", {"username": None, "roles": []}))
    assert v["username"] is None and v["roles"] == []
    # conflicts and bad values change nothing
    other = admin.create_user(email="erin@example.com")
    assert_error(admin.patch(f"/users/{other['id']}", {"email": "DAVID@example.com"}),
                 409, "conflict")
    assert_error(admin.patch(f"/users/{u['id']}", {"email": ""}), 400)
    assert_error(admin.patch(f"/users/{u['id']}", {}), 400, "invalid_request")
    assert_error(admin.patch(f"/users/{u['id']}", {"password": "x"}), 400)
    assert_error(admin.patch("/users/no-such-user", {"name": "x"}), 404, "not_found")
    assert admin.ok(admin.get(f"/users/{u['id']}")) == v


def test_password_reset_revokes_sessions(srv, admin):
    u = admin.create_user(email="fay@example.com", password="fay-old-pw-123")
    lg = srv.login(email="fay@example.com", password="fay-old-pw-123")
    admin.ok(admin.patch(f"/users/{u['id']}", {"password": "fay-new-pw-456"}))
    srv.secrets.add("fay-new-pw-456")
    assert_bearer_401(srv.profile(lg.access_token))
    assert_error(srv.refresh(lg.refresh_token), 401, "invalid_grant")
    assert srv.login_raw(email="fay@example.com", password="fay-old-pw-123").status_code \
        == 401
    srv.login(email="fay@example.com", password="fay-new-pw-456")


def test_disable_blocks_login_and_revokes_sessions_enable_allows_again(srv, admin):
    u = admin.create_user(email="gus@example.com", password="gus-pw-1234567")
    lg = srv.login(email="gus@example.com", password="gus-pw-1234567")
    v = admin.ok(admin.patch(f"/users/{u['id']}", {"disabled": True}))
    assert v["disabled"] is True
    assert_bearer_401(srv.profile(lg.access_token))
    assert_error(srv.refresh(lg.refresh_token), 401, "invalid_grant")
    assert_error(srv.login_raw(email="gus@example.com", password="gus-pw-1234567"), 401,
                 "invalid_credentials")
    assert admin.ok(admin.patch(f"/users/{u['id']}", {"disabled": False}))["disabled"] \
        is False
    srv.login(email="gus@example.com", password="gus-pw-1234567")


def test_delete_revokes_sessions_and_the_user_is_gone(srv, admin):
    u = admin.create_user(email="hal@example.com", password="hal-pw-1234567")
    lg = srv.login(email="hal@example.com", password="hal-pw-1234567")
    admin.ok(admin.delete(f"/users/{u['id']}"), 204)
    assert_bearer_401(srv.profile(lg.access_token))
    assert_error(admin.get(f"/users/{u['id']}"), 404, "not_found")
    assert_error(admin.delete(f"/users/{u['id']}"), 404, "not_found")
    assert_error(srv.login_raw(email="hal@example.com", password="hal-pw-1234567"), 401)
    assert u["id"] not in {x["id"] for x in admin.walk("/users", "users", 100)[0]}
    # the email is free again
    admin.create_user(email="hal@example.com")


def test_an_admin_cannot_disable_or_delete_itself(srv, admin):
    me = srv.profile(admin.token).json()["id"]
    assert_error(admin.patch(f"/users/{me}", {"disabled": True}), 409, "conflict")
    assert_error(admin.delete(f"/users/{me}"), 409, "conflict")
    assert admin.ok(admin.get(f"/users/{me}"))["disabled"] is False


def test_revoke_every_session_of_a_user(srv, admin):
    u = admin.create_user(email="ivy@example.com", password="ivy-pw-1234567")
    logins = [srv.login(email="ivy@example.com", password="ivy-pw-1234567")
              for _ in range(3)]
    assert admin.ok(admin.delete(f"/users/{u['id']}/sessions")) == {"revoked": 3}
    for lg in logins:
        assert_bearer_401(srv.profile(lg.access_token))
    assert admin.ok(admin.delete(f"/users/{u['id']}/sessions")) == {"revoked": 0}
    # the user itself is untouched and logs in again
    srv.login(email="ivy@example.com", password="ivy-pw-1234567")


def test_non_utf8_bytes_in_ids_and_filters_are_a_4xx(srv, admin):
    """Percent-encoded bytes that are not UTF-8 in a path id, a filter or a cursor: a
    404 or 400 on both backends (PostgreSQL refuses such text), never a 500."""
    bad = "%FF%FEab"
    for method, path in (("GET", "/users/" + bad), ("DELETE", "/users/" + bad),
                         ("GET", "/clients/" + bad), ("GET", "/sessions/" + bad),
                         ("DELETE", "/sessions/" + bad), ("GET", "/users?email_prefix=" + bad),
                         ("GET", "/users?role=" + bad), ("GET", "/users?cursor=" + bad),
                         ("GET", "/audit?user_id=" + bad), ("GET", "/audit?event=" + bad)):
        r = srv.request(method, "/v1/admin" + path, token=admin.token)
        assert r.status_code in (200, 400, 404), (method, path, r.status_code, r.text)
    r = srv.request("DELETE", "/v1/auth/sessions/" + bad, token=admin.token)
    assert r.status_code in (400, 404), r.text


def test_unknown_roles_are_refused_with_the_defined_ones(srv, admin):
    """A role no [role.NAME] defines would grant nothing: create and update refuse it
    with 400, naming the defined roles, and store nothing."""
    b = assert_error(admin.post("/users", {"email": "nr@example.com",
                                           "roles": ["user", "nosuchrole"]}),
                     400, "invalid_request")
    assert "nosuchrole" in b["error_description"], b
    assert "admin, user, editor" in b["error_description"], b
    assert not admin.ok(admin.get("/users", email_prefix="nr@"))["users"]
    u = admin.create_user(email="r2@example.com", roles=["editor"])
    b = assert_error(admin.patch(f"/users/{u['id']}", {"roles": ["nosuchrole"]}),
                     400, "invalid_request")
    assert "nosuchrole" in b["error_description"], b
    assert admin.ok(admin.get(f"/users/{u['id']}"))["roles"] == ["editor"]
