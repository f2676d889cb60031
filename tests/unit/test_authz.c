/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/authz.c: the sealed authorization request (bound to the pre-login
 * cookie, tamper-evident) and the CSRF token; src/core/authcode.c's PKCE checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authcode.h"
#include "core/authz.h"

#define COOKIE "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define OTHER  "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static struct app app;

static void seal_open_round_trip_and_tamper(void **state)
{
    (void)state;
    struct authz_req r = { 0 }, back;
    char *s;
    memset(app.refresh_key, 7, sizeof app.refresh_key);
    snprintf(r.client_id, sizeof r.client_id, "web");
    snprintf(r.redirect_uri, sizeof r.redirect_uri, "https://app.example/cb");
    snprintf(r.state, sizeof r.state, "st\"<>");
    snprintf(r.nonce, sizeof r.nonce, "n");
    r.form_post = 1;
    assert_int_equal(authz_seal(&app, &r, COOKIE, &s), TS_OK);
    assert_int_equal(authz_open(&app, s, COOKIE, &back), TS_OK);
    assert_string_equal(back.redirect_uri, r.redirect_uri);
    assert_string_equal(back.state, r.state);
    assert_int_equal(back.form_post, 1);
    /* another browser's cookie, a flipped byte, a cut MAC, another key */
    assert_int_equal(authz_open(&app, s, OTHER, &back), TS_EINVAL);
    assert_string_equal(back.client_id, "");
    char was = s[3];
    s[3] = was == 'A' ? 'B' : 'A';
    assert_int_equal(authz_open(&app, s, COOKIE, &back), TS_EINVAL);
    s[3] = was;
    assert_int_equal(authz_open(&app, s, COOKIE, &back), TS_OK);
    memset(app.refresh_key, 8, sizeof app.refresh_key);
    assert_int_equal(authz_open(&app, s, COOKIE, &back), TS_EINVAL);
    memset(app.refresh_key, 7, sizeof app.refresh_key);
    s[strlen(s) - 1] = '\0';
    assert_int_equal(authz_open(&app, s, COOKIE, &back), TS_EINVAL);
    assert_int_equal(authz_open(&app, "nodot", COOKIE, &back), TS_EINVAL);
    assert_int_equal(authz_open(&app, NULL, COOKIE, &back), TS_EINVAL);
    free(s);
}

static void csrf_token(void **state)
{
    (void)state;
    char t[AUTHZ_CSRF_CHARS + 1];
    memset(app.refresh_key, 7, sizeof app.refresh_key);
    authz_csrf_token(&app, COOKIE, t);
    assert_int_equal(strlen(t), AUTHZ_CSRF_CHARS);
    assert_true(authz_csrf_ok(&app, COOKIE, t));
    assert_false(authz_csrf_ok(&app, OTHER, t));
    assert_false(authz_csrf_ok(&app, COOKIE, COOKIE));
    assert_false(authz_csrf_ok(&app, "", t));
    assert_false(authz_csrf_ok(&app, COOKIE, ""));
    assert_false(authz_csrf_ok(&app, NULL, t));
}

static void pkce_shapes(void **state)
{
    (void)state;
    char v[130];
    memset(v, 'a', 43);
    v[43] = '\0';
    assert_true(authcode_verifier_ok(v));
    v[42] = '\0';
    assert_false(authcode_verifier_ok(v));            /* 42: too short */
    memset(v, '~', 128);
    v[128] = '\0';
    assert_true(authcode_verifier_ok(v));
    v[128] = 'x';
    v[129] = '\0';
    assert_false(authcode_verifier_ok(v));            /* 129: too long */
    assert_false(authcode_verifier_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+a"));
    assert_true(authcode_challenge_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    assert_false(authcode_challenge_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"));
    assert_false(authcode_challenge_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c="));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seal_open_round_trip_and_tamper),
        cmocka_unit_test(csrf_token),
        cmocka_unit_test(pkce_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
