# SPDX-License-Identifier: Apache-2.0
"""The authorization code flow over HTTP, without a browser (docs/oidc.md): the
authorize endpoint's checks and errors (RFC 6749 4.1.2.1, never a redirect for a bad
client or redirect URI), the login page and its browser session, codes (single use,
short-lived, bound to client, redirect URI and PKCE), form_post, and the token
exchange whose tokens work as every other session's."""
import re
import time

import pytest

from admin_helpers import FAST
from harness.assertions import assert_oauth_error
from oidc_helpers import REDIRECT, Browser, add_web_client, exchange, hidden_fields, \
    pkce, query_of

SETTINGS = dict(FAST, **{"role.user.scopes": "profile read:skills",
                         "role.user.default_scopes": "profile"})
CSP = ("default-src 'none'; style-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
# the login page's form answers with a redirect to the client, which browsers check
# against form-action too: the redirect URI's origin is added
LOGIN_CSP = ("default-src 'none'; style-src 'self'; form-action 'self' "
             "http://127.0.0.1; frame-ancestors 'none'; base-uri 'none'")


@pytest.fixture(scope="module")
def srv(make_module_server):
    return make_module_server(SETTINGS)


@pytest.fixture
def user(srv):
    return srv.add_user()


@pytest.fixture(scope="module")
def client(srv):
    return add_web_client(srv)


def issued_by_code(srv):
    m = re.search(r'^tessera_tokens_issued_total\{grant="authorization_code"\} (\d+)$',
                  srv.get("/metrics").text, re.M)
    assert m
    return int(m.group(1))


def assert_page_headers(r, csp=CSP):
    assert r.headers["Content-Security-Policy"] == csp
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r.headers["Cache-Control"]


def assert_error_page(r, status=400):
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert "Location" not in r.headers
    assert r.headers["Content-Type"].startswith("text/html")
    assert_page_headers(r)


def test_code_flow_public_client_with_pkce(srv, client, user):
    b = Browser(srv)
    verifier, challenge = pkce()
    r = b.authorize(client, state="st-1", nonce="n-1", code_challenge=challenge,
                    code_challenge_method="S256")
    assert r.status_code == 200 and 'name="password"' in r.text
    assert r.headers["Content-Type"].startswith("text/html")
    assert_page_headers(r, LOGIN_CSP)
    assert "<script" not in r.text
    assert '<label for="login">' in r.text and 'id="login"' in r.text
    assert 'name="viewport"' in r.text
    r = b.login(r, user.email, user.password)
    assert r.status_code == 303, r.text
    assert_page_headers(r)
    base, q = query_of(r.headers["Location"])
    assert base == REDIRECT
    assert set(q) == {"code", "state", "iss"} and q["state"] == "st-1"
    assert q["iss"] == srv.url
    srv.secrets.add(q["code"])
    # the browser session's cookie: HttpOnly, Lax, not Secure over plain HTTP
    cookie = [c for c in r.headers["Set-Cookie"].split(", tessera") if "session=" in c]
    assert cookie, r.headers["Set-Cookie"]
    assert re.search(r"(^|; )HttpOnly(;|$)", cookie[0])
    assert "SameSite=Lax" in cookie[0] and "Path=/" in cookie[0]
    assert "Secure" not in cookie[0]
    value = b.s.cookies.get("tessera_session")
    assert value and len(value) == 43
    srv.secrets.add(value)
    # the cookie is no session id: only its hash is stored
    sids = [row[0] for row in srv.sql("SELECT id FROM sessions")]
    assert value not in sids and value.encode() not in srv.db_bytes()

    before = issued_by_code(srv)
    t = exchange(srv, client, q["code"], verifier)
    assert t.status_code == 200, t.text
    assert issued_by_code(srv) == before + 1
    body = t.json()
    srv.track(body)
    assert body["token_type"] == "Bearer" and body["scope"] == "profile"
    assert body["refresh_token"] and "id_token" not in body     # no openid asked
    assert srv.profile(body["access_token"]).status_code == 200
    # both sessions are the user's, listed like any other: the browser's (no client)
    # and the one the exchange made for the client
    listed = srv.get("/v1/auth/sessions", token=body["access_token"])
    assert listed.status_code == 200, listed.text
    clients = sorted(s.get("client_id") or "" for s in listed.json()["sessions"])
    assert clients == sorted(["", client["client_id"]]), listed.text
    # a session like the others: refresh rotates, revocation reaches it
    r2 = srv.token_request({"grant_type": "refresh_token",
                            "refresh_token": body["refresh_token"]},
                           client=client, auth="none")
    assert r2.status_code == 200, r2.text
    srv.track(r2.json())


def test_a_live_session_gets_a_code_at_once_and_prompt_login_or_max_age_ask_again(
        srv, client, user):
    b = Browser(srv)
    v, ch = pkce()
    b.code(client, user, code_challenge=ch, code_challenge_method="S256")
    r = b.authorize(client, code_challenge=ch, code_challenge_method="S256", state="x")
    assert r.status_code == 303, r.text
    _, q = query_of(r.headers["Location"])
    assert q["state"] == "x" and q["code"]
    srv.secrets.add(q["code"])
    first = b.s.cookies.get("tessera_session")
    for extra in ({"prompt": "login"}, {"max_age": "0"}):
        time.sleep(1.1 if "max_age" in extra else 0)
        r = b.authorize(client, code_challenge=ch, code_challenge_method="S256", **extra)
        assert r.status_code == 200 and 'name="password"' in r.text, extra
    # logging in again gives a new session, and ends the one it replaces
    before = srv.sql("SELECT count(*) FROM sessions WHERE user_id = ? AND "
                     "revoked_at IS NULL AND client_id = ''", user.id)[0][0]
    r = b.login(r, user.email, user.password)
    assert r.status_code == 303
    second = b.s.cookies.get("tessera_session")
    assert second != first
    srv.secrets.add(second)
    srv.secrets.add(query_of(r.headers["Location"])[1]["code"])
    assert srv.sql("SELECT count(*) FROM sessions WHERE user_id = ? AND "
                   "revoked_at IS NULL AND client_id = ''", user.id)[0][0] == before
    # prompt=none with the session: the code, without a page
    r = b.authorize(client, code_challenge=ch, code_challenge_method="S256",
                    prompt="none")
    assert r.status_code == 303 and "code=" in r.headers["Location"]
    srv.secrets.add(query_of(r.headers["Location"])[1]["code"])


def test_prompt_none_without_a_session_is_login_required(srv, client):
    _, ch = pkce()
    r = Browser(srv).authorize(client, prompt="none", state="s1", code_challenge=ch,
                               code_challenge_method="S256")
    assert r.status_code == 303
    base, q = query_of(r.headers["Location"])
    assert base == REDIRECT
    assert q == {"error": "login_required", "error_description": q["error_description"],
                 "state": "s1", "iss": srv.url}


@pytest.mark.parametrize("params, error", [
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"response_type": "code id_token"}, "unsupported_response_type"),
    ({"response_type": None}, "invalid_request"),
    ({"code_challenge": None}, "invalid_request"),                 # PKCE required
    ({"code_challenge_method": "plain"}, "invalid_request"),       # S256 only
    ({"code_challenge_method": None}, "invalid_request"),          # plain by default
    ({"code_challenge": "short"}, "invalid_request"),
    ({"prompt": "none login"}, "invalid_request"),
    ({"max_age": "-1"}, "invalid_request"),
    ({"response_mode": "fragment"}, "invalid_request"),
    ({"request": "eyJ"}, "request_not_supported"),
    ({"request_uri": "https://x.example/r"}, "request_uri_not_supported"),
])
def test_errors_go_back_with_state_and_iss(srv, client, params, error):
    _, ch = pkce()
    p = {"code_challenge": ch, "code_challenge_method": "S256", "state": "keep-me"}
    p.update(params)
    r = Browser(srv).authorize(client, **p)
    assert r.status_code == 303, (r.status_code, r.text[:200])
    base, q = query_of(r.headers["Location"])
    assert base == REDIRECT
    assert q["error"] == error and q["state"] == "keep-me" and q["iss"] == srv.url


def test_a_client_without_the_grant_is_unauthorized(srv):
    c = add_web_client(srv, grants="refresh_token,password")
    _, ch = pkce()
    r = Browser(srv).authorize(c, code_challenge=ch, code_challenge_method="S256")
    assert r.status_code == 303
    assert query_of(r.headers["Location"])[1]["error"] == "unauthorized_client"


@pytest.mark.parametrize("redirect", [
    "https://evil.example/cb", "http://127.0.0.1/cb/../evil", "http://127.0.0.1/cb?x=1",
    "http://127.0.0.1/cb#frag", "http://127.0.0.1/CB", "http://127.0.0.1.evil.example/cb",
    "http://localhost/cb", "//evil.example/cb", "http://127.0.0.1/cb%2F..",
    "http://user@127.0.0.1/cb", "", None,
])
def test_open_redirect_attempts_get_an_error_page(srv, client, redirect):
    _, ch = pkce()
    r = Browser(srv).authorize(client, redirect_uri=redirect, state="s",
                               code_challenge=ch, code_challenge_method="S256")
    assert_error_page(r)
    assert "evil" not in r.text


def test_unknown_or_missing_client_gets_an_error_page(srv, client):
    b = Browser(srv)
    for cid in ("no-such-client", "", None):
        r = b.authorize(dict(client, client_id=cid), response_type="token")
        assert_error_page(r)
    # a repeated redirect_uri is refused the same way
    r = b.s.get(srv.url + "/oauth2/authorize", params=[
        ("client_id", client["client_id"]), ("redirect_uri", REDIRECT),
        ("redirect_uri", "https://evil.example/"), ("response_type", "code")],
        allow_redirects=False)
    assert_error_page(r)


def test_the_loopback_port_of_a_native_client_may_vary(srv, client, user):
    b = Browser(srv)
    v, ch = pkce()
    uri = "http://127.0.0.1:49152/cb"
    r = b.authorize(client, redirect_uri=uri, code_challenge=ch,
                    code_challenge_method="S256")
    r = b.login(r, user.username, user.password)
    assert r.status_code == 303 and r.headers["Location"].startswith(uri + "?code=")
    code = query_of(r.headers["Location"])[1]["code"]
    srv.secrets.add(code)
    # the exchange needs that same URI, port included
    assert_oauth_error(exchange(srv, client, code, v), 400, "invalid_grant")


def test_code_replay_is_refused_and_revokes_what_it_issued(srv, client, user):
    b = Browser(srv)
    v, ch = pkce()
    q = b.code(client, user, code_challenge=ch, code_challenge_method="S256")
    first = exchange(srv, client, q["code"], v)
    assert first.status_code == 200
    srv.track(first.json())
    access = first.json()["access_token"]
    assert srv.profile(access).status_code == 200
    assert_oauth_error(exchange(srv, client, q["code"], v), 400, "invalid_grant")
    # RFC 6749 4.1.2: the tokens of the first exchange are revoked
    assert srv.profile(access).status_code == 401
    r = srv.token_request({"grant_type": "refresh_token",
                           "refresh_token": first.json()["refresh_token"]},
                          client=client, auth="none")
    assert_oauth_error(r, 400, "invalid_grant")
    rows = srv.sql("SELECT event FROM audit_events WHERE event = 'oauth2.code.replay'")
    deadline = time.time() + 5
    while not rows and time.time() < deadline:
        time.sleep(0.1)
        rows = srv.sql("SELECT event FROM audit_events WHERE event = 'oauth2.code.replay'")
    assert rows


def test_a_code_is_bound_to_client_redirect_uri_and_verifier(srv, client, user):
    other = add_web_client(srv)
    conf = add_web_client(srv, public=False)
    b = Browser(srv)
    cases = [
        (lambda c, v: exchange(srv, other, c, v), "another client"),
        (lambda c, v: exchange(srv, client, c, v, redirect_uri=REDIRECT + "/x"),
         "redirect_uri"),
        (lambda c, v: exchange(srv, client, c, None), "code_verifier"),
        (lambda c, v: exchange(srv, client, c, pkce()[0]), "code_verifier"),
        (lambda c, v: exchange(srv, client, c, v[:-1] + ("A" if v[-1] != "A" else "B")),
         "code_verifier"),
        (lambda c, v: exchange(srv, conf, c, v), "another client"),
    ]
    for call, needle in cases:
        v, ch = pkce()
        q = b.code(client, user, code_challenge=ch, code_challenge_method="S256")
        r = call(q["code"], v)
        assert_oauth_error(r, 400, "invalid_grant")
        assert needle in r.json()["error_description"], r.text
        # the code is spent either way
        assert_oauth_error(exchange(srv, client, q["code"], v), 400, "invalid_grant")
    for bad in ("", "x" * 43, "not a code"):
        assert exchange(srv, client, bad, "v" * 43).status_code == 400


def test_a_confidential_client_authenticates_at_the_exchange(srv, user):
    conf = add_web_client(srv, public=False)
    b = Browser(srv)
    v, ch = pkce()
    q = b.code(conf, user, code_challenge=ch, code_challenge_method="S256")
    r = exchange(srv, conf, q["code"], v, client_secret="wrong")
    assert r.status_code == 400 or r.status_code == 401
    q = b.code(conf, user, code_challenge=ch, code_challenge_method="S256")
    r = exchange(srv, conf, q["code"], v)
    assert r.status_code == 200, r.text
    srv.track(r.json())


def test_expired_code(make_server, user=None):
    srv = make_server(dict(SETTINGS, **{"oauth2.code_ttl": 1}))
    client = add_web_client(srv)
    u = srv.add_user()
    v, ch = pkce()
    q = Browser(srv).code(client, u, code_challenge=ch, code_challenge_method="S256")
    time.sleep(2.1)
    r = exchange(srv, client, q["code"], v)
    assert_oauth_error(r, 400, "invalid_grant")


def test_pkce_may_be_off_for_confidential_clients_only(make_server):
    srv = make_server(dict(SETTINGS, **{"oauth2.require_pkce": "false"}))
    conf = add_web_client(srv, public=False)
    pub = add_web_client(srv)
    u = srv.add_user()
    b = Browser(srv)
    q = b.code(conf, u)
    r = exchange(srv, conf, q["code"], None)
    assert r.status_code == 200, r.text
    srv.track(r.json())
    r = b.authorize(pub)                       # a public client still needs PKCE
    assert query_of(r.headers["Location"])[1]["error"] == "invalid_request"


def test_form_post(srv, client, user):
    b = Browser(srv)
    v, ch = pkce()
    r = b.authorize(client, response_mode="form_post", state="fp <&>\"",
                    code_challenge=ch, code_challenge_method="S256")
    r = b.login(r, user.email, user.password)
    assert r.status_code == 200, r.text
    assert "Location" not in r.headers
    assert_page_headers(r, csp=("default-src 'none'; style-src 'self'; "
                                "script-src 'self'; form-action 'self' "
                                "http://127.0.0.1; frame-ancestors 'none'; "
                                "base-uri 'none'"))
    assert f'<form method="post" action="{REDIRECT}">' in r.text
    assert "<button" in r.text and "<script>" not in r.text    # no inline script
    f = hidden_fields(r.text)
    assert f["state"] == 'fp <&>"' and f["iss"] == srv.url
    srv.secrets.add(f["code"])
    t = exchange(srv, client, f["code"], v)
    assert t.status_code == 200, t.text
    srv.track(t.json())
    js = b.s.get(srv.url + "/oauth2/static/form_post.js")
    assert js.status_code == 200 and "submit()" in js.text


def test_login_page_refuses_forged_posts(srv, client, user):
    b = Browser(srv)
    _, ch = pkce()
    page = b.authorize(client, code_challenge=ch, code_challenge_method="S256")
    f = hidden_fields(page.text)
    # no CSRF token, a wrong one, none of the browser's cookie (another browser)
    for override in ({"csrf": None}, {"csrf": "A" * 43}, {"csrf": f["csrf"][:-1]}):
        r = b.login(page, user.email, user.password, **override)
        assert_error_page(r, 403)
    other = Browser(srv)
    r = other.s.post(srv.url + "/oauth2/login", data=dict(
        f, login=user.email, password=user.password), allow_redirects=False)
    assert_error_page(r, 403)
    # the sealed request cannot be altered
    payload, mac = f["request"].split(".")
    r = b.login(page, user.email, user.password, request=payload[:-2] + "AA." + mac)
    assert_error_page(r, 400)
    # nothing was logged in
    assert "tessera_session" not in b.s.cookies and "tessera_session" not in other.s.cookies


def test_wrong_password_says_no_more_than_the_api(srv, client, user):
    b = Browser(srv)
    _, ch = pkce()
    page = b.authorize(client, code_challenge=ch, code_challenge_method="S256",
                       login_hint='"><script>alert(1)</script>')
    assert "<script>alert" not in page.text
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page.text
    for login in (user.email, "nobody@example.com"):
        r = b.login(page, login, "wrong password")
        assert r.status_code == 401 and "Location" not in r.headers
        assert "Invalid username or password." in r.text
        assert_page_headers(r, LOGIN_CSP)
        assert 'name="password"' in r.text
    assert "tessera_session" not in b.s.cookies


def test_templates_dir_overrides_the_stylesheet(make_server, tmp_path):
    d = tmp_path / "web"
    d.mkdir()
    (d / "style.css").write_text("body { color: #000; } /* operator's */\n")
    srv = make_server(dict(SETTINGS, **{"web.templates_dir": str(d)}))
    r = srv.get("/oauth2/static/style.css")
    assert r.status_code == 200 and "operator's" in r.text
    assert r.headers["Content-Type"].startswith("text/css")
    client = add_web_client(srv)
    _, ch = pkce()
    page = Browser(srv).authorize(client, code_challenge=ch, code_challenge_method="S256")
    assert page.status_code == 200 and "Sign in" in page.text   # built-in login.html
    assert srv.get("/oauth2/static/nope.css").status_code == 404


def test_cookie_is_host_prefixed_and_secure_over_https(make_server):
    srv = make_server(dict(SETTINGS, **{"server.issuer": "https://auth.example"}))
    client = add_web_client(srv)
    u = srv.add_user()
    b = Browser(srv)
    _, ch = pkce()
    page = b.authorize(client, code_challenge=ch, code_challenge_method="S256")
    assert page.headers["Set-Cookie"].startswith("__Host-tessera_csrf=")
    assert "; Secure" in page.headers["Set-Cookie"]
    # requests keeps Secure cookies for https only: send it by hand
    f = hidden_fields(page.text)
    r = b.s.post(srv.url + "/oauth2/login", data=dict(f, login=u.email,
                                                      password=u.password),
                 headers={"Cookie": "__Host-tessera_csrf=" +
                          page.headers["Set-Cookie"].split("=", 1)[1].split(";")[0]},
                 allow_redirects=False)
    assert r.status_code == 303, r.text
    sc = r.headers["Set-Cookie"]
    assert "__Host-tessera_session=" in sc
    session = [c for c in sc.split(", __Host-") if "tessera_session=" in c][0]
    assert "; Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    assert "Domain" not in session and "Path=/" in session
    srv.secrets.add(session.split("=", 1)[1].split(";")[0])


def test_the_login_page_shares_the_api_rate_limits(make_server):
    srv = make_server(dict(SETTINGS, **{"ratelimit.account_failures": 2,
                                        "ratelimit.account_window": 600}))
    client = add_web_client(srv)
    u = srv.add_user()
    b = Browser(srv)
    _, ch = pkce()
    page = b.authorize(client, code_challenge=ch, code_challenge_method="S256")
    for _ in range(2):
        assert b.login(page, u.email, "wrong").status_code == 401
    r = b.login(page, u.email, u.password)        # even the right password waits
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in r.text and "Location" not in r.headers
    # the API's login sees the same budget
    api = srv.login_raw(username=u.email, password=u.password)
    assert api.status_code == 429


def test_openid_stays_in_the_scope_across_refreshes(srv, user):
    """openid is the protocol's marker, granted by the code flow without a role; a
    refresh keeps it (scope_regrant), as does a client's scope list that omits it."""
    c = add_web_client(srv, scopes="profile")
    b = Browser(srv)
    v, ch = pkce()
    q = b.code(c, user, scope="openid profile read:skills nosuch", code_challenge=ch,
               code_challenge_method="S256")
    t = exchange(srv, c, q["code"], v)
    assert t.status_code == 200, t.text
    srv.track(t.json())
    # read:skills is not the client's, nosuch no role's: dropped (RFC 6749 3.3)
    assert t.json()["scope"] == "openid profile"
    r = srv.token_request({"grant_type": "refresh_token",
                           "refresh_token": t.json()["refresh_token"]},
                          client=c, auth="none")
    assert r.status_code == 200, r.text
    srv.track(r.json())
    assert r.json()["scope"] == "openid profile"
