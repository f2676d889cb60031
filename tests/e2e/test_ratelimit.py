# SPDX-License-Identifier: Apache-2.0
"""Rate limits (SPEC section 11, docs/security.md): failed logins per account and per
client IP, failed client authentications per IP, client_credentials per client; 429
with a whole-seconds Retry-After and the SPEC error body; while limited even the right
password gets 429; nothing permanent; X-Forwarded-For counts only from trusted
proxies."""
import threading
import time

import requests

FAST = {"passwords.argon2_memory_kib": 1024, "passwords.argon2_iterations": 1}


def assert_429(r, oauth=False):
    assert r.status_code == 429, r.text
    ra = r.headers.get("Retry-After", "")
    assert ra.isdigit() and int(ra) >= 1, r.headers
    body = r.json()
    assert body["error"] == "rate_limited" and body["error_description"], body
    if oauth:
        assert body["error_uri"].endswith("rfc6749#section-5.2")
    return int(ra)


def wrong(s, user, **kw):
    return s.login_raw(username=user.username or user.email, password="wrong-password",
                       **kw)


def test_failed_logins_per_account_then_even_the_right_password_waits(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 3,
                                  "ratelimit.account_window": 3}))
    u = s.add_user(username="target")
    other = s.add_user(username="bystander")
    for _ in range(3):
        assert wrong(s, u).status_code == 401
    t0 = time.time()
    wait = assert_429(wrong(s, u))
    assert wait <= 3
    # the right password is refused too while the account is limited, without a hash
    assert_429(s.login_raw(username="target", password=u.password))
    # case does not buy a fresh budget; the email is the same account only if typed so
    assert_429(s.login_raw(username="TARGET", password=u.password))
    # other accounts are not affected
    assert s.login_raw(username="bystander", password=other.password).status_code == 200
    # no permanent lockout: after Retry-After the right password works
    time.sleep(max(0.0, t0 + wait - time.time()) + 0.05)
    assert s.login_raw(username="target", password=u.password).status_code == 200


def test_unknown_accounts_are_limited_like_real_ones(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 2}))
    for name in ("ghost", "ghost", "ghost"):
        r = s.login_raw(username=name, password="whatever-pw")
    assert_429(r)


def test_failed_logins_per_ip_across_accounts(make_server):
    s = make_server(dict(FAST, **{"ratelimit.ip_failures": 4,
                                  "ratelimit.ip_window": 60}))
    users = [s.add_user() for _ in range(5)]
    for u in users[:4]:
        assert wrong(s, u).status_code == 401
    assert_429(wrong(s, users[4]))
    assert_429(s.login_raw(username=users[4].username, password=users[4].password))


def test_login_flood_shows_429s_and_the_server_stays_up(make_server):
    s = make_server(FAST)          # the defaults: 10 per account in 5 minutes
    u = s.add_user()
    codes = [wrong(s, u).status_code for _ in range(30)]
    assert codes[:10] == [401] * 10
    assert set(codes[10:]) == {429}
    assert s.get("/healthz").status_code == 200


def test_forwarded_for_counts_only_from_trusted_proxies(make_server):
    s = make_server(dict(FAST, **{"ratelimit.ip_failures": 2,
                                  "server.trusted_proxies": "127.0.0.1/32"}))
    users = [s.add_user() for _ in range(4)]
    xff = {"X-Forwarded-For": "198.51.100.7"}
    assert wrong(s, users[0], headers=xff).status_code == 401
    assert wrong(s, users[1], headers=xff).status_code == 401
    assert_429(wrong(s, users[2], headers=xff))
    # another client behind the same proxy has its own budget
    assert wrong(s, users[2], headers={"X-Forwarded-For": "198.51.100.8"}).status_code \
        == 401
    # the client may prepend lies; the proxy's own (rightmost) entry decides
    lie = {"X-Forwarded-For": "203.0.113.1, 198.51.100.7"}
    assert_429(wrong(s, users[3], headers=lie))
    # the audit trail names the forwarded address, not the proxy's (the audit writer
    # logs an event once it is stored, a moment after the answer)
    assert s.wait_log(lambda e: e.get("audit") == "login.failure" and
                      e.get("ip") == "198.51.100.8")


def test_forwarded_for_from_an_untrusted_peer_is_ignored(make_server):
    s = make_server(dict(FAST, **{"ratelimit.ip_failures": 2}))
    users = [s.add_user() for _ in range(3)]
    # a client rotating X-Forwarded-For values does not escape its IP's limit
    for i, u in enumerate(users[:2]):
        assert wrong(s, u, headers={"X-Forwarded-For": f"10.9.9.{i}"}).status_code == 401
    assert_429(wrong(s, users[2], headers={"X-Forwarded-For": "10.9.9.99"}))


def test_bad_trusted_proxies_setting_is_refused(make_server):
    s = make_server(start=False, **{"server__trusted_proxies": "10.0.0.0/40"})
    r = s.cli("serve", "--check-config")
    assert r.returncode != 0 and "trusted_proxies" in r.stderr


def test_client_credentials_per_client(make_server):
    s = make_server({"ratelimit.client_tokens": 3, "ratelimit.client_window": 60})
    a = s.add_client("busy", roles=["user"])
    b = s.add_client("calm", roles=["user"])
    for _ in range(3):
        s.token_ok({"grant_type": "client_credentials"}, client=a)
    assert_429(s.token_request({"grant_type": "client_credentials"}, client=a), oauth=True)
    s.token_ok({"grant_type": "client_credentials"}, client=b)


def test_failed_client_authentications_per_ip(make_server):
    s = make_server({"ratelimit.ip_failures": 3})
    c = s.add_client("svc", roles=["user"])
    for _ in range(3):
        r = s.token_request({"grant_type": "client_credentials"}, client=c,
                            client_secret="x" * 43)
        assert r.status_code == 401
    # limited: even the right secret waits, and says so with the OAuth envelope
    assert_429(s.token_request({"grant_type": "client_credentials"}, client=c),
               oauth=True)


def test_password_grant_is_limited_like_the_native_login(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 2}))
    u = s.add_user()
    c = s.add_client("app", grants=["password"])
    form = {"grant_type": "password", "username": u.email, "password": "nope-nope"}
    for _ in range(2):
        assert s.token_request(form, client=c).status_code == 400
    assert_429(s.token_request(dict(form, password=u.password), client=c), oauth=True)
    # the native login shares the account's budget
    assert_429(s.login_raw(email=u.email, password=u.password))


def test_zero_turns_limits_off(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 0,
                                  "ratelimit.ip_failures": 0,
                                  "ratelimit.client_tokens": 0}))
    u = s.add_user()
    assert all(wrong(s, u).status_code == 401 for _ in range(15))
    assert s.login(u)
    c = s.add_client("svc", roles=["user"])
    for _ in range(20):
        s.token_ok({"grant_type": "client_credentials"}, client=c)


def concurrently(n, fn):
    """fn(i) in n threads released at once; their results in order."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        results[i] = fn(i)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def raw_login(s, body, headers=None):
    """One login on its own connection (requests' sessions are not for threads)."""
    s.secrets.add(body["password"])
    return requests.post(s.url + "/v1/auth/login", json=body, headers=headers,
                         timeout=60).status_code


# Real Argon2id costs and more hash workers than cores: many wrong passwords are being
# hashed at once, as in a parallel guessing attack.
RACE = {"passwords.hash_workers": 8, "passwords.hash_queue": 64}


def test_concurrent_wrong_passwords_are_checked_at_most_the_account_budget(make_server):
    s = make_server(dict(RACE, **{"ratelimit.account_failures": 3,
                                  "ratelimit.account_window": 60}))
    u = s.add_user(username="target")
    codes = concurrently(24, lambda i: raw_login(
        s, {"username": "target", "password": f"guess-number-{i}"}))
    # a checked wrong password is 401; one refused before its hash is 429
    assert sorted(codes) == [401] * 3 + [429] * 21, codes
    assert_429(s.login_raw(username="target", password=u.password))


def test_concurrent_failures_are_checked_at_most_the_ip_budget(make_server):
    s = make_server(dict(RACE, **{"ratelimit.ip_failures": 3,
                                  "ratelimit.ip_window": 60}))
    u = s.add_user()
    codes = concurrently(24, lambda i: raw_login(
        s, {"username": f"nobody-{i}", "password": "whatever-pw"}))
    assert sorted(codes) == [401] * 3 + [429] * 21, codes
    assert_429(s.login_raw(username=u.username, password=u.password))


def test_right_passwords_give_their_place_back(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 2,
                                  "ratelimit.ip_failures": 2}))
    u = s.add_user()
    for _ in range(5):
        assert s.login_raw(username=u.username, password=u.password).status_code == 200
    # the budget is whole: two failures are checked, the third is refused
    assert wrong(s, u).status_code == 401
    assert wrong(s, u).status_code == 401
    assert_429(wrong(s, u))


def change_password(s, token, current, new):
    return s.post("/v1/auth/password", {"current_password": current,
                                        "new_password": new}, token=token)


def test_wrong_current_passwords_spend_the_account_budget(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 3,
                                  "ratelimit.account_window": 60}))
    u = s.add_user()
    mine, other = s.login(u), s.login(u)
    for i in range(3):
        r = change_password(s, mine.access_token, f"not-it-{i}", "a-new-password-1")
        assert r.status_code == 400 and r.json()["error"] == "invalid_credentials", r.text
    assert_429(change_password(s, mine.access_token, "not-it-3", "a-new-password-1"))
    # the right current password is refused too: the password stays, so do the sessions
    assert_429(change_password(s, mine.access_token, u.password, "a-new-password-1"))
    assert s.profile(other.access_token).status_code == 200
    # one budget with the logins of the account
    assert_429(s.login_raw(username=u.username, password=u.password))


def test_failed_logins_limit_the_password_change(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 2}))
    u = s.add_user()
    mine = s.login(u)
    assert wrong(s, u).status_code == 401
    assert wrong(s, u).status_code == 401
    assert_429(change_password(s, mine.access_token, u.password, "a-new-password-1"))


def test_every_login_of_an_account_shares_its_budget(make_server):
    s = make_server(dict(FAST, **{"ratelimit.account_failures": 4}))
    u = s.add_user(username="eve", email="eve@example.com")
    c = s.add_client("app", grants=["password"])
    assert s.login_raw(username="eve", password="wrong-1").status_code == 401
    assert s.login_raw(username="eve@example.com", password="wrong-2").status_code == 401
    assert s.login_raw(email="EVE@example.com", password="wrong-3").status_code == 401
    form = {"grant_type": "password", "username": "Eve", "password": "wrong-4"}
    assert s.token_request(form, client=c).status_code == 400
    assert_429(s.login_raw(username="eve", password=u.password))
    assert_429(s.login_raw(email="eve@example.com", password=u.password))
    # a login that names no account is limited on its text, whatever its case
    for name in ("Ghost", "ghost", "GHOST", "gHoSt"):
        assert s.login_raw(username=name, password="whatever-pw").status_code == 401
    assert_429(s.login_raw(username="ghost", password="whatever-pw"))


def test_ipv6_clients_are_limited_by_their_64(make_server):
    s = make_server(dict(FAST, **{"ratelimit.ip_failures": 2,
                                  "server.trusted_proxies": "127.0.0.1"}))

    def attempt(ip, n):
        return s.login_raw(username=f"nobody-{n}", password="whatever-pw",
                           headers={"X-Forwarded-For": ip})
    assert attempt("2001:db8:1:2::1", 1).status_code == 401
    assert attempt("2001:db8:1:2:ffff:ffff:ffff:ffff", 2).status_code == 401
    assert_429(attempt("2001:db8:1:2:a:b:c:d", 3))
    # the next /64 is another client
    assert attempt("2001:db8:1:3::1", 4).status_code == 401


def test_ipv6_prefix_is_configurable(make_server):
    s = make_server(dict(FAST, **{"ratelimit.ip_failures": 1,
                                  "ratelimit.ipv6_prefix": 128,
                                  "server.trusted_proxies": "127.0.0.1"}))
    for i in range(1, 4):
        r = s.login_raw(username=f"nobody-{i}", password="whatever-pw",
                        headers={"X-Forwarded-For": f"2001:db8::{i}"})
        assert r.status_code == 401, r.text
    bad = make_server(start=False, **{"ratelimit__ipv6_prefix": 200})
    r = bad.cli("serve", "--check-config")
    assert r.returncode != 0 and "ipv6_prefix" in r.stderr
