/* SPDX-License-Identifier: Apache-2.0 */
/* src/api/login.c, refresh.c, session.c through the native route table, in process:
 * login, refresh, the user's sessions, and the router's 404 and 405. */
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

static const char *const json_ct[] = { "Content-Type: application/json", NULL };

struct fx {
    struct harness *h;
    char alice[64];            /* alice's user id */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->h = harness_new(NULL)) ||
        harness_user(f->h, "alice@example.com", "alice", "user", PASSWORD, f->alice)) {
        if (f)
            harness_free(f->h);
        free(f);
        return -1;
    }
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

static void post_json(struct fx *f, const char *path, const char *body, struct hres *r)
{
    struct hreq rq = { "POST", path, json_ct, body, NULL };
    assert_int_equal(harness_run(f->h, &rq, r), 0);
}

/* An error answer: status, code, a sentence, and no tokens. */
static void assert_error(const struct hres *r, int status, const char *code)
{
    assert_int_equal(r->status, status);
    assert_non_null(r->json);
    assert_string_equal(hres_str(r, "error"), code);
    assert_non_null(hres_str(r, "error_description"));
    assert_null(hres_str(r, "access_token"));
}

static void login_answers_tokens_and_the_user(void **state)
{
    struct fx *f = *state;
    struct hres r;
    post_json(f, "/v1/auth/login",
              "{\"username\": \"alice\", \"password\": \"" PASSWORD "\"}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hres_str(&r, "token_type"), "Bearer");
    assert_true(strlen(hres_str(&r, "access_token")) > 100);
    assert_int_equal(strlen(hres_str(&r, "refresh_token")), 43);
    assert_int_equal(json_integer_value(json_object_get(r.json, "expires_in")), 900);
    assert_string_equal(hres_str(&r, "scope"), "profile");
    json_t *user = json_object_get(r.json, "user");
    assert_string_equal(json_string_value(json_object_get(user, "id")), f->alice);
    assert_string_equal(json_string_value(json_object_get(user, "email")),
                        "alice@example.com");
    assert_string_equal(hres_header(&r, "Cache-Control"), "no-store");
    hres_clear(&r);

    /* the email names the account too */
    post_json(f, "/v1/auth/login",
              "{\"email\": \"alice@example.com\", \"password\": \"" PASSWORD "\"}", &r);
    assert_int_equal(r.status, 200);
    hres_clear(&r);
}

static void login_with_a_wrong_password_is_401(void **state)
{
    struct fx *f = *state;
    struct hres r;
    post_json(f, "/v1/auth/login", "{\"username\": \"alice\", \"password\": \"wrong one\"}",
              &r);
    assert_error(&r, 401, "invalid_credentials");
    /* every 401 names a challenge; a body credential's is not Basic (no browser dialog) */
    assert_string_equal(hres_header(&r, "WWW-Authenticate"),
                        "Tessera realm=\"tessera\", error=\"invalid_credentials\"");
    hres_clear(&r);

    /* an unknown account answers the same */
    post_json(f, "/v1/auth/login", "{\"username\": \"nobody\", \"password\": \"wrong one\"}",
              &r);
    assert_error(&r, 401, "invalid_credentials");
    hres_clear(&r);
}

static void login_without_a_field_is_400(void **state)
{
    struct fx *f = *state;
    struct hres r;
    post_json(f, "/v1/auth/login", "{\"username\": \"alice\"}", &r);
    assert_error(&r, 400, "invalid_request");
    assert_string_equal(hres_str(&r, "error_description"),
                        "The field 'password' is required.");
    hres_clear(&r);

    post_json(f, "/v1/auth/login", "{\"password\": \"" PASSWORD "\"}", &r);
    assert_error(&r, 400, "invalid_request");
    assert_string_equal(hres_str(&r, "error_description"),
                        "The field 'email' or 'username' is required.");
    hres_clear(&r);

    post_json(f, "/v1/auth/login", "{\"username\": 7, \"password\": \"x\"}", &r);
    assert_error(&r, 400, "invalid_request");
    hres_clear(&r);
}

static void refresh_rotates_and_refuses_the_old_token(void **state)
{
    struct fx *f = *state;
    char access[4096], refresh[4096], body[4200], next[64];
    struct hres r;
    assert_int_equal(harness_login(f->h, "alice", PASSWORD, NULL, access, refresh), 0);

    snprintf(body, sizeof body, "{\"refresh_token\": \"%s\"}", refresh);
    post_json(f, "/v1/auth/refresh", body, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hres_str(&r, "token_type"), "Bearer");
    assert_non_null(hres_str(&r, "access_token"));
    assert_string_not_equal(hres_str(&r, "access_token"), access);
    snprintf(next, sizeof next, "%s", hres_str(&r, "refresh_token"));
    assert_string_not_equal(next, refresh);
    hres_clear(&r);

    /* the successor works */
    snprintf(body, sizeof body, "{\"refresh_token\": \"%s\"}", next);
    post_json(f, "/v1/auth/refresh", body, &r);
    assert_int_equal(r.status, 200);
    hres_clear(&r);

    /* a token nobody issued */
    post_json(f, "/v1/auth/refresh",
              "{\"refresh_token\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", &r);
    assert_error(&r, 401, "invalid_grant");
    hres_clear(&r);

    post_json(f, "/v1/auth/refresh", "{}", &r);
    assert_error(&r, 400, "invalid_request");
    hres_clear(&r);
}

static void sessions_lists_the_users_sessions(void **state)
{
    struct fx *f = *state;
    char access[4096], auth[4200];
    struct hres r;
    assert_int_equal(harness_login(f->h, "alice", PASSWORD, NULL, access, NULL), 0);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", access);
    const char *const hdrs[] = { auth, "User-Agent: handler-test/1", NULL };

    struct hreq rq = { "GET", "/v1/auth/sessions", hdrs, NULL, "192.0.2.7" };
    assert_int_equal(harness_run(f->h, &rq, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *list = json_object_get(r.json, "sessions");
    assert_true(json_array_size(list) >= 1);
    int current = 0;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        assert_non_null(json_string_value(json_object_get(s, "id")));
        assert_non_null(json_string_value(json_object_get(s, "created_at")));
        if (json_is_true(json_object_get(s, "current")))
            current++;
    }
    assert_int_equal(current, 1);      /* the token's own session, marked */
    hres_clear(&r);

    /* without a token: 401 and a Bearer challenge */
    struct hreq anon = { "GET", "/v1/auth/sessions", NULL, NULL, NULL };
    assert_int_equal(harness_run(f->h, &anon, &r), 0);
    assert_error(&r, 401, "invalid_token");
    assert_string_equal(hres_header(&r, "WWW-Authenticate"), "Bearer realm=\"tessera\"");
    hres_clear(&r);

    /* a bad token: 401 invalid_token, the reason in the challenge */
    const char *const bad[] = { "Authorization: Bearer not.a.token", NULL };
    struct hreq rb = { "GET", "/v1/auth/sessions", bad, NULL, NULL };
    assert_int_equal(harness_run(f->h, &rb, &r), 0);
    assert_error(&r, 401, "invalid_token");
    assert_non_null(strstr(hres_header(&r, "WWW-Authenticate"), "error=\"invalid_token\""));
    hres_clear(&r);
}

static void logout_ends_the_session(void **state)
{
    struct fx *f = *state;
    char access[4096], auth[4200];
    struct hres r;
    assert_int_equal(harness_login(f->h, "alice", PASSWORD, NULL, access, NULL), 0);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", access);
    const char *const hdrs[] = { auth, NULL };

    struct hreq out = { "POST", "/v1/auth/logout", hdrs, NULL, NULL };
    assert_int_equal(harness_run(f->h, &out, &r), 0);
    assert_int_equal(r.status, 204);
    assert_string_equal(r.body, "");
    hres_clear(&r);

    struct hreq me = { "GET", "/v1/auth/profile", hdrs, NULL, NULL };
    assert_int_equal(harness_run(f->h, &me, &r), 0);
    assert_error(&r, 401, "invalid_token");
    hres_clear(&r);
}

static void router_answers_404_and_405(void **state)
{
    struct fx *f = *state;
    struct hres r;
    struct hreq none = { "GET", "/v1/auth/nothing-here", NULL, NULL, NULL };
    assert_int_equal(harness_run(f->h, &none, &r), 0);
    assert_error(&r, 404, "not_found");
    assert_null(hres_header(&r, "Allow"));
    hres_clear(&r);

    struct hreq get = { "GET", "/v1/auth/login", NULL, NULL, NULL };
    assert_int_equal(harness_run(f->h, &get, &r), 0);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(hres_header(&r, "Allow"), "POST");
    hres_clear(&r);

    struct hreq put = { "PUT", "/v1/auth/sessions/abc", NULL, NULL, NULL };
    assert_int_equal(harness_run(f->h, &put, &r), 0);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(hres_header(&r, "Allow"), "DELETE");
    hres_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(login_answers_tokens_and_the_user),
        cmocka_unit_test(login_with_a_wrong_password_is_401),
        cmocka_unit_test(login_without_a_field_is_400),
        cmocka_unit_test(refresh_rotates_and_refuses_the_old_token),
        cmocka_unit_test(sessions_lists_the_users_sessions),
        cmocka_unit_test(logout_ends_the_session),
        cmocka_unit_test(router_answers_404_and_405),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
