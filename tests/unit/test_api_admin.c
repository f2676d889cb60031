/* SPDX-License-Identifier: Apache-2.0 */
/* src/api/admin_*.c through the admin route table, in process: the scope `admin`
 * required of every row, query arguments (limit, cursor), and a creation. */
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
    char root[64];
    char admin_auth[4200];     /* root's token with scope admin */
    char profile_auth[4200];   /* root's everyday token: scope profile */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char access[4096];
    if (!f || !(f->h = harness_new(NULL)) ||
        harness_user(f->h, "root@example.com", "root", "admin", PASSWORD, f->root) ||
        harness_user(f->h, "dave@example.com", "dave", "user", PASSWORD, NULL) ||
        harness_user(f->h, "erin@example.com", "erin", "user", PASSWORD, NULL) ||
        harness_login(f->h, "root", PASSWORD, "admin", access, NULL))
        goto fail;
    snprintf(f->admin_auth, sizeof f->admin_auth, "Authorization: Bearer %s", access);
    if (harness_login(f->h, "root", PASSWORD, NULL, access, NULL))
        goto fail;
    snprintf(f->profile_auth, sizeof f->profile_auth, "Authorization: Bearer %s", access);
    *state = f;
    return 0;
fail:
    if (f)
        harness_free(f->h);
    free(f);
    return -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    harness_free(f->h);
    free(f);
    return 0;
}

static void run(struct fx *f, const char *method, const char *path, const char *auth,
                const char *body, struct hres *r)
{
    const char *const hdrs[] = { "Content-Type: application/json", auth, NULL };
    struct hreq rq = { method, path, hdrs, body, NULL };
    assert_int_equal(harness_run(f->h, &rq, r), 0);
}

static void the_admin_scope_lists_users(void **state)
{
    struct fx *f = *state;
    struct hres r;
    run(f, "GET", "/v1/admin/users", f->admin_auth, NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *users = json_object_get(r.json, "users");
    assert_int_equal(json_array_size(users), 3);
    assert_true(json_is_null(json_object_get(r.json, "next")));
    assert_string_equal(hres_header(&r, "Cache-Control"), "no-store");
    hres_clear(&r);
}

static void query_arguments_page_the_list(void **state)
{
    struct fx *f = *state;
    char path[256], seen[3][64];
    struct hres r;
    snprintf(path, sizeof path, "/v1/admin/users?limit=2");
    for (int page = 0, n = 0; page < 3; page++) {
        run(f, "GET", path, f->admin_auth, NULL, &r);
        assert_int_equal(r.status, 200);
        json_t *users = json_object_get(r.json, "users"), *u;
        size_t i;
        json_array_foreach(users, i, u) {
            assert_true(n < 3);
            snprintf(seen[n++], sizeof seen[0], "%s",
                     json_string_value(json_object_get(u, "id")));
        }
        const char *next = hres_str(&r, "next");
        if (!next) {
            assert_int_equal(n, 3);
            assert_string_not_equal(seen[0], seen[1]);
            assert_string_not_equal(seen[1], seen[2]);
            hres_clear(&r);
            break;
        }
        assert_int_equal(json_array_size(users), 2);
        snprintf(path, sizeof path, "/v1/admin/users?limit=2&cursor=%s", next);
        hres_clear(&r);
    }

    /* a filter from the query string, decoded */
    run(f, "GET", "/v1/admin/users?email_prefix=dave%40", f->admin_auth, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "users")), 1);
    hres_clear(&r);

    run(f, "GET", "/v1/admin/users?limit=zero", f->admin_auth, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(hres_str(&r, "error"), "invalid_request");
    hres_clear(&r);
}

static void without_the_admin_scope_it_is_403(void **state)
{
    struct fx *f = *state;
    struct hres r;
    /* an administrator's everyday token does not carry the scope */
    run(f, "GET", "/v1/admin/users", f->profile_auth, NULL, &r);
    assert_int_equal(r.status, 403);
    assert_string_equal(hres_str(&r, "error"), "insufficient_scope");
    assert_non_null(strstr(hres_header(&r, "WWW-Authenticate"),
                           "error=\"insufficient_scope\""));
    assert_null(json_object_get(r.json, "users"));
    hres_clear(&r);

    /* nor does the operation run: nothing created */
    run(f, "POST", "/v1/admin/users", f->profile_auth,
        "{\"email\": \"mallory@example.com\", \"password\": \"" PASSWORD "\"}", &r);
    assert_int_equal(r.status, 403);
    hres_clear(&r);
    run(f, "GET", "/v1/admin/users?email_prefix=mallory", f->admin_auth, NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "users")), 0);
    hres_clear(&r);

    /* no token at all */
    run(f, "GET", "/v1/admin/users", NULL, NULL, &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(hres_str(&r, "error"), "invalid_token");
    hres_clear(&r);
}

static void creation_refuses_an_unknown_role_by_name(void **state)
{
    struct fx *f = *state;
    struct hres r;
    run(f, "POST", "/v1/admin/users", f->admin_auth,
        "{\"email\": \"frank@example.com\", \"password\": \"" PASSWORD "\", "
        "\"roles\": [\"user\", \"wizard\"]}", &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(hres_str(&r, "error"), "invalid_request");
    assert_string_equal(hres_str(&r, "error_description"),
                        "Unknown role 'wizard'; the roles defined are: admin, user.");
    hres_clear(&r);

    run(f, "POST", "/v1/admin/users", f->admin_auth,
        "{\"email\": \"frank@example.com\", \"password\": \"" PASSWORD "\", "
        "\"roles\": [\"user\"]}", &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(hres_str(&r, "email"), "frank@example.com");
    json_t *roles = json_object_get(r.json, "roles");
    assert_int_equal(json_array_size(roles), 1);
    assert_string_equal(json_string_value(json_array_get(roles, 0)), "user");
    hres_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_admin_scope_lists_users),
        cmocka_unit_test(query_arguments_page_the_list),
        cmocka_unit_test(without_the_admin_scope_it_is_403),
        cmocka_unit_test(creation_refuses_an_unknown_role_by_name),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
