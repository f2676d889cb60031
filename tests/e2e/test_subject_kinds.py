# SPDX-License-Identifier: Apache-2.0
"""Users and clients are two kinds of subject (docs/api.md "Users and clients"): a
client's client_credentials token is refused with 403 by every endpoint about a user
(profile, me, sessions, logout, password), forward auth says which kind a subject is
(X-Auth-Subject-Type), and a client id may not equal a user id."""
import sqlite3

import pytest

from admin_helpers import FAST, Admin, assert_forbidden
from harness.assertions import assert_error

CC = {"grant_type": "client_credentials"}
SETTINGS = dict(FAST, **{"verify.default": "authenticated"})


@pytest.fixture
def srv(make_server):
    return make_server(SETTINGS)


def write_sql(s, query, *params):
    """One write to the server's database, behind the server's back."""
    if s.pg:
        names = {f"p{i}": str(v) for i, v in enumerate(params)}
        it = iter(names)
        text = "".join(f":'{next(it)}'" if ch == "?" else ch for ch in query)
        s.pg.psql(text + ";\n", db=s.dbname, variables=names)
        return
    con = sqlite3.connect(s.db)
    try:
        con.execute(query, params)
        con.commit()
    finally:
        con.close()


def user_endpoints(sid="no-such-session"):
    """Every native endpoint about the token's user, as (method, path, body)."""
    return [("GET", "/v1/auth/profile", None), ("GET", "/v1/auth/me", None),
            ("GET", "/v1/auth/sessions", None),
            ("DELETE", f"/v1/auth/sessions/{sid}", None),
            ("POST", "/v1/auth/logout", {"all": True}),
            ("POST", "/v1/auth/logout", None),
            ("POST", "/v1/auth/password", {"current_password": "x" * 12,
                                           "new_password": "y" * 12})]


def test_a_client_token_is_403_on_every_user_endpoint(srv):
    c = srv.add_client("svc", roles=["user"])
    tok = srv.token_ok(CC, client=c)["access_token"]
    for method, path, body in user_endpoints():
        r = srv.request(method, path, token=tok, json_body=body)
        assert_forbidden(r)
        assert "client" in r.json()["error_description"], r.text
        assert "no longer exists" not in r.json()["error_description"]


def test_client_id_equal_to_a_user_id_is_refused(srv):
    u = srv.add_user()
    r = srv.cli("client", "add", "shadow", "--id", u.id, "--roles", "user")
    assert r.returncode != 0 and "user" in r.stderr, (r.returncode, r.stderr)
    assert r.stdout.strip() == ""
    admin = Admin(srv)
    body = assert_error(admin.post("/clients", {"name": "shadow", "client_id": u.id}),
                        409, "conflict")
    assert "user" in body["error_description"]
    assert srv.sql("SELECT count(*) FROM clients WHERE id = ?", u.id)[0][0] == 0


def test_a_client_whose_id_is_a_users_id_cannot_act_as_the_user(srv):
    """A database from before ids were kept apart may hold a client named like a user:
    its token is still a client's token, never the user's."""
    u = srv.add_user()
    lg = srv.login(u)
    c = srv.add_client("svc", id="to-be-renamed", roles=["user"])
    write_sql(srv, "UPDATE clients SET id = ? WHERE id = ?", u.id, "to-be-renamed")
    c["client_id"] = u.id
    tok = srv.token_ok(CC, client=c)["access_token"]
    for method, path, body in user_endpoints(lg.sid):
        assert_forbidden(srv.request(method, path, token=tok, json_body=body))
    # the user's session lives on, and forward auth tells the two tokens apart
    r = srv.get("/v1/auth/sessions", token=lg.access_token)
    assert r.status_code == 200 and [x["id"] for x in r.json()["sessions"]] == [lg.sid]
    for t, kind in ((lg.access_token, "user"), (tok, "client")):
        r = srv.get("/v1/auth/verify", token=t, headers={"X-Original-URI": "/app",
                                                           "X-Original-Method": "GET"})
        assert r.status_code == 200, r.text
        assert r.headers["X-Auth-Subject"] == u.id
        assert r.headers["X-Auth-Subject-Type"] == kind


def test_forward_auth_names_the_subject_type(srv):
    u = srv.add_user()
    c = srv.add_client("svc", roles=["user"])
    for t, sub, kind in ((srv.login(u).access_token, u.id, "user"),
                         (srv.token_ok(CC, client=c)["access_token"], c["client_id"],
                          "client")):
        r = srv.get("/v1/auth/verify", token=t, headers={"X-Original-URI": "/app",
                                                           "X-Original-Method": "GET"})
        assert r.status_code == 200, r.text
        assert (r.headers["X-Auth-Subject"], r.headers["X-Auth-Subject-Type"]) == \
            (sub, kind)
