/* SPDX-License-Identifier: Apache-2.0 */
/* src/api/verify.c (forward auth) through the native route table, in process: the
 * original request read from X-Original-* or X-Forwarded-* headers, judged by the
 * [policy.*] rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_harness.h"

#define PASSWORD "correct horse battery"

struct fx {
    struct harness *h;
    char carol[64];
    char auth[4200];           /* "Authorization: Bearer <carol's token>" */
};

static int setup(void **state)
{
    static const char *const sets[] = {
        "policy.public.path=/v1/public*", "policy.public.public=true",
        "policy.adminapi.path=/v1/admin-api/*", "policy.adminapi.roles=admin",
        "policy.notes.path=/v1/notes*", "policy.notes.methods=POST DELETE",
        "policy.notes.roles=user",
        "verify.default=authenticated",
        NULL
    };
    struct fx *f = calloc(1, sizeof *f);
    char access[4096];
    if (!f || !(f->h = harness_new(sets)) ||
        harness_user(f->h, "carol@example.com", "carol", "user", PASSWORD, f->carol) ||
        harness_login(f->h, "carol", PASSWORD, NULL, access, NULL)) {
        if (f)
            harness_free(f->h);
        free(f);
        return -1;
    }
    snprintf(f->auth, sizeof f->auth, "Authorization: Bearer %s", access);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    harness_free(f->h);
    free(f);
    return 0;
}

/* GET /v1/auth/verify for the original request `method` `uri`, with carol's token
 * when `token`. */
static void verify(struct fx *f, const char *method, const char *uri, int token,
                   struct hres *r)
{
    char m[128], u[512];
    snprintf(m, sizeof m, "X-Original-Method: %s", method);
    snprintf(u, sizeof u, "X-Original-URI: %s", uri);
    const char *const hdrs[] = { m, u, token ? f->auth : NULL, NULL };
    struct hreq rq = { "GET", "/v1/auth/verify", hdrs, NULL, NULL };
    assert_int_equal(harness_run(f->h, &rq, r), 0);
}

static void a_token_that_the_rule_allows_passes_with_its_identity(void **state)
{
    struct fx *f = *state;
    struct hres r;
    verify(f, "POST", "/v1/notes/7", 1, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "");
    assert_string_equal(hres_header(&r, "X-Auth-Subject"), f->carol);
    assert_string_equal(hres_header(&r, "X-Auth-Subject-Type"), "user");
    assert_string_equal(hres_header(&r, "X-Auth-Roles"), "user");
    assert_string_equal(hres_header(&r, "X-Auth-Scope"), "profile");
    hres_clear(&r);

    /* a public path needs no token and names nobody */
    verify(f, "GET", "/v1/public/page", 0, &r);
    assert_int_equal(r.status, 200);
    assert_null(hres_header(&r, "X-Auth-Subject"));
    hres_clear(&r);
}

static void a_rule_the_token_does_not_meet_is_403(void **state)
{
    struct fx *f = *state;
    struct hres r;
    verify(f, "GET", "/v1/admin-api/users", 1, &r);
    assert_int_equal(r.status, 403);
    assert_string_equal(hres_str(&r, "error"), "insufficient_scope");
    assert_non_null(strstr(hres_header(&r, "WWW-Authenticate"),
                           "error=\"insufficient_scope\""));
    assert_null(hres_header(&r, "X-Auth-Subject"));
    hres_clear(&r);

    /* the rule is matched on the canonical path: dot segments do not get around it */
    verify(f, "GET", "/v1/public/../admin-api/users", 1, &r);
    assert_int_equal(r.status, 403);
    hres_clear(&r);
}

static void no_token_where_one_is_needed_is_401(void **state)
{
    struct fx *f = *state;
    struct hres r;
    verify(f, "GET", "/v1/anything", 0, &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(hres_str(&r, "error"), "invalid_token");
    assert_string_equal(hres_header(&r, "WWW-Authenticate"), "Bearer realm=\"tessera\"");
    hres_clear(&r);
}

static void the_original_request_comes_from_either_header_family(void **state)
{
    struct fx *f = *state;
    struct hres r;
    /* Traefik's X-Forwarded-Uri and X-Forwarded-Method, any case */
    const char *const fwd[] = { "x-forwarded-method: delete", "X-FORWARDED-URI: /v1/notes",
                                f->auth, NULL };
    struct hreq rq = { "GET", "/v1/auth/verify", fwd, NULL, NULL };
    assert_int_equal(harness_run(f->h, &rq, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(hres_header(&r, "X-Auth-Subject"), f->carol);
    hres_clear(&r);

    /* neither: there is no request to judge */
    const char *const none[] = { f->auth, NULL };
    struct hreq rn = { "GET", "/v1/auth/verify", none, NULL, NULL };
    assert_int_equal(harness_run(f->h, &rn, &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(hres_str(&r, "error"), "invalid_request");
    assert_string_equal(hres_str(&r, "error_description"),
                        "The original request's URI is missing: send X-Original-URI (or "
                        "X-Forwarded-Uri).");
    hres_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_token_that_the_rule_allows_passes_with_its_identity),
        cmocka_unit_test(a_rule_the_token_does_not_meet_is_403),
        cmocka_unit_test(no_token_where_one_is_needed_is_401),
        cmocka_unit_test(the_original_request_comes_from_either_header_family),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
