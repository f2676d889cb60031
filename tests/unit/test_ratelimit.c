/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/ratelimit.c (GCRA buckets), src/core/budget.c (failure budgets) and
 * src/base/netaddr.c (trusted proxies). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/app.h"
#include "core/budget.h"
#include "base/netaddr.h"
#include "core/ratelimit.h"

static void burst_then_refused_with_whole_seconds(void **state)
{
    struct ratelimit *r = ratelimit_new();
    struct rl_limit l = { 5, 60 };             /* 5 at once, then one every 12 s */
    assert_non_null(r);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ratelimit_take(r, &l, "acct:alice"), 0);
    long wait = ratelimit_take(r, &l, "acct:alice");
    assert_true(wait >= 11 && wait <= 12);
    /* a refused event is not counted: the wait does not grow */
    assert_true(ratelimit_take(r, &l, "acct:alice") <= wait);
    assert_true(ratelimit_peek(r, &l, "acct:alice") >= 11);
    /* other keys are independent */
    assert_int_equal(ratelimit_take(r, &l, "acct:bob"), 0);
    ratelimit_free(r);
}

static void peek_records_nothing(void **state)
{
    struct ratelimit *r = ratelimit_new();
    struct rl_limit l = { 2, 60 };
    for (int i = 0; i < 100; i++)
        assert_int_equal(ratelimit_peek(r, &l, "ip:10.0.0.1"), 0);
    assert_int_equal(ratelimit_take(r, &l, "ip:10.0.0.1"), 0);
    assert_int_equal(ratelimit_take(r, &l, "ip:10.0.0.1"), 0);
    assert_true(ratelimit_peek(r, &l, "ip:10.0.0.1") > 0);
    ratelimit_free(r);
}

static void recovers_after_the_interval(void **state)
{
    struct ratelimit *r = ratelimit_new();
    struct rl_limit l = { 4, 1 };              /* one every 250 ms at rest */
    for (int i = 0; i < 4; i++)
        assert_int_equal(ratelimit_take(r, &l, "k"), 0);
    assert_int_equal(ratelimit_take(r, &l, "k"), 1);
    struct timespec ts = { 0, 300 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    assert_int_equal(ratelimit_take(r, &l, "k"), 0);   /* no permanent lockout */
    ratelimit_free(r);
}

static void zero_count_is_no_limit(void **state)
{
    struct ratelimit *r = ratelimit_new();
    struct rl_limit off = { 0, 60 };
    for (int i = 0; i < 1000; i++)
        assert_int_equal(ratelimit_take(r, &off, "cc:x"), 0);
    assert_int_equal(ratelimit_take(NULL, &off, "cc:x"), 0);
    ratelimit_free(r);
}

static void very_high_limits_are_not_rounded_down(void **state)
{
    struct ratelimit *r = ratelimit_new();
    struct rl_limit l = { 100000000, 1 };      /* what bench/run.sh sets */
    for (int i = 0; i < 200000; i++)
        assert_int_equal(ratelimit_take(r, &l, "cc:bench"), 0);
    ratelimit_free(r);
}

static void many_keys_stay_bounded_and_the_busy_ones_are_kept(void **state)
{
    struct ratelimit *r = ratelimit_new();
    struct rl_limit l = { 3, 3600 };
    char key[32];
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_take(r, &l, "acct:target"), 0);
    /* 100,000 other keys, once each: more than the table holds */
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "acct:%d", i);
        assert_int_equal(ratelimit_take(r, &l, key), 0);
    }
    /* eviction takes the slot that comes to rest soonest; the target's comes to rest
     * latest (three events), so it is still limited */
    assert_true(ratelimit_peek(r, &l, "acct:target") > 0);
    ratelimit_free(r);
}

static void give_back_undoes_one_take(void **state)
{
    struct ratelimit *r = ratelimit_new();
    struct rl_limit l = { 3, 3600 };
    assert_non_null(r);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_take(r, &l, "acct:a"), 0);
    assert_true(ratelimit_take(r, &l, "acct:a") > 0);
    ratelimit_give_back(r, &l, "acct:a");
    assert_int_equal(ratelimit_take(r, &l, "acct:a"), 0);   /* exactly one place */
    assert_true(ratelimit_take(r, &l, "acct:a") > 0);
    /* giving back more than was taken never buys more than the burst */
    for (int i = 0; i < 10; i++)
        ratelimit_give_back(r, &l, "acct:a");
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_take(r, &l, "acct:a"), 0);
    assert_true(ratelimit_take(r, &l, "acct:a") > 0);
    /* a key never taken, or a limit that is off: nothing happens */
    ratelimit_give_back(r, &l, "acct:never");
    assert_int_equal(ratelimit_peek(r, &l, "acct:never"), 0);
    struct rl_limit off = { 0, 60 };
    ratelimit_give_back(r, &off, "acct:a");
    ratelimit_give_back(NULL, &l, "acct:a");
    ratelimit_free(r);
}

static void budget_app(struct app *a)
{
    memset(a, 0, sizeof *a);
    config_defaults(&a->cfg);
    a->cfg.rl_account_failures = 2;
    a->cfg.rl_ip_failures = 3;
    a->limits = ratelimit_new();
    assert_non_null(a->limits);
}

static void budget_places_are_taken_before_and_given_back_on_success(void **state)
{
    struct app a;
    struct budget b1, b2, b3;
    budget_app(&a);
    /* two attempts in flight take both places; a third waits without taking any */
    assert_int_equal(budget_reserve(&a, "U1", "alice", "10.0.0.1", &b1), 0);
    assert_int_equal(budget_reserve(&a, "U1", "alice", "10.0.0.1", &b2), 0);
    assert_true(budget_reserve(&a, "U1", "alice", "10.0.0.1", &b3) > 0);
    assert_string_equal(b3.acct, "");
    assert_string_equal(b3.ip, "");
    budget_release(&a, &b3);                    /* empty: gives nothing back */
    assert_true(budget_reserve(&a, "U1", "alice", "10.0.0.1", &b3) > 0);
    /* the first was right: its place comes back, once */
    budget_release(&a, &b1);
    budget_release(&a, &b1);
    assert_int_equal(budget_reserve(&a, "U1", "alice", "10.0.0.1", &b3), 0);
    assert_true(budget_reserve(&a, "U1", "alice", "10.0.0.1", &b1) > 0);
    /* the address has one place left (3 taken, 1 given back); a refused account
     * takes nothing of it, another account gets it */
    assert_int_equal(budget_reserve(&a, "U2", "bob", "10.0.0.1", &b1), 0);
    assert_true(budget_reserve(&a, "U3", "carol", "10.0.0.1", &b1) > 0);
    /* ... and an account refused by its address gives its own place back */
    assert_int_equal(budget_reserve(&a, "U3", "carol", "10.0.0.2", &b1), 0);
    assert_int_equal(budget_reserve(&a, "U3", "carol", "10.0.0.3", &b1), 0);
    assert_true(budget_reserve(&a, "U3", "carol", "10.0.0.4", &b1) > 0);
    ratelimit_free(a.limits);
}

static void budget_keys_an_account_by_id_and_a_stranger_by_its_text(void **state)
{
    struct app a;
    struct budget b;
    budget_app(&a);
    a.cfg.rl_ip_failures = 0;
    /* the account, whichever login named it */
    assert_int_equal(budget_reserve(&a, "U1", "eve", NULL, &b), 0);
    assert_string_equal(b.acct, "user:U1");
    assert_string_equal(b.ip, "");
    assert_int_equal(budget_reserve(&a, "U1", "eve@example.com", NULL, &b), 0);
    assert_true(budget_reserve(&a, "U1", "EVE", NULL, &b) > 0);
    /* no account: the login's text, lowercased; never a user id's key */
    assert_int_equal(budget_reserve(&a, NULL, "Ghost", NULL, &b), 0);
    assert_string_equal(b.acct, "login:ghost");
    assert_int_equal(budget_reserve(&a, NULL, "GHOST", NULL, &b), 0);
    assert_true(budget_reserve(&a, NULL, "ghost", NULL, &b) > 0);
    assert_int_equal(budget_reserve(&a, NULL, "U1", NULL, &b), 0);
    ratelimit_free(a.limits);
}

static void budget_ip_keys(void **state)
{
    char k[STORE_IP_LEN + 16];
    budget_ip_key("10.1.2.3", 64, k, sizeof k);
    assert_string_equal(k, "ip:10.1.2.3");
    budget_ip_key("2001:db8:1:2:a:b:c:d", 64, k, sizeof k);
    assert_string_equal(k, "ip:2001:db8:1:2::/64");
    budget_ip_key("2001:db8:1:2::1", 64, k, sizeof k);
    assert_string_equal(k, "ip:2001:db8:1:2::/64");
    budget_ip_key("2001:db8:1:2::1", 128, k, sizeof k);
    assert_string_equal(k, "ip:2001:db8:1:2::1/128");
    budget_ip_key("2001:db8:1:f2ff::1", 52, k, sizeof k);
    assert_string_equal(k, "ip:2001:db8:1:f000::/52");
    budget_ip_key("::ffff:192.0.2.7", 64, k, sizeof k);   /* IPv4-mapped: the IPv4 */
    assert_string_equal(k, "ip:192.0.2.7");
    budget_ip_key("", 64, k, sizeof k);
    assert_string_equal(k, "");
    budget_ip_key(NULL, 64, k, sizeof k);
    assert_string_equal(k, "");
}

static void proxies_parse_and_match(void **state)
{
    struct netaddr_list l;
    char err[256];
    assert_int_equal(netaddr_parse_list("10.0.0.0/8, 192.168.1.7 ::1,fd00::/8", &l, err,
                                        sizeof err), 0);
    assert_int_equal(l.n, 4);
    assert_true(netaddr_match(&l, "10.200.3.4"));
    assert_true(netaddr_match(&l, "192.168.1.7"));
    assert_false(netaddr_match(&l, "192.168.1.8"));
    assert_true(netaddr_match(&l, "::1"));
    assert_true(netaddr_match(&l, "fd12::5"));
    assert_false(netaddr_match(&l, "fe80::1"));
    assert_false(netaddr_match(&l, "11.0.0.1"));
    assert_false(netaddr_match(&l, "not an address"));
    assert_int_equal(netaddr_parse_list("", &l, err, sizeof err), 0);
    assert_false(netaddr_match(&l, "10.0.0.1"));
}

static void proxies_refuse_bad_entries(void **state)
{
    static const char *const bad[] = { "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x",
                                       "example.com", "::1/129", "1.2.3.4/-1" };
    struct netaddr_list l;
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(netaddr_parse_list(bad[i], &l, err, sizeof err), -1);
        assert_non_null(strstr(err, "trusted_proxies"));
    }
}

static void canonical_addresses(void **state)
{
    char out[64];
    assert_true(netaddr_canonical(" 10.0.0.1 ", 10, out));
    assert_string_equal(out, "10.0.0.1");
    assert_true(netaddr_canonical("0:0::1", 6, out));
    assert_string_equal(out, "::1");
    assert_false(netaddr_canonical("10.0.0.1:80", 11, out));
    assert_false(netaddr_canonical("", 0, out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_refused_with_whole_seconds),
        cmocka_unit_test(peek_records_nothing),
        cmocka_unit_test(recovers_after_the_interval),
        cmocka_unit_test(zero_count_is_no_limit),
        cmocka_unit_test(very_high_limits_are_not_rounded_down),
        cmocka_unit_test(many_keys_stay_bounded_and_the_busy_ones_are_kept),
        cmocka_unit_test(give_back_undoes_one_take),
        cmocka_unit_test(budget_places_are_taken_before_and_given_back_on_success),
        cmocka_unit_test(budget_keys_an_account_by_id_and_a_stranger_by_its_text),
        cmocka_unit_test(budget_ip_keys),
        cmocka_unit_test(proxies_parse_and_match),
        cmocka_unit_test(proxies_refuse_bad_entries),
        cmocka_unit_test(canonical_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
