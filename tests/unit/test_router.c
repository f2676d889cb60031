/* SPDX-License-Identifier: Apache-2.0 */
/* src/http/router.c: route rows for a method and path; 404, 405 and Allow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "http/router.h"

#define ROW(m, p) { m, p, AUTH_NONE, NULL, 0, 0, NULL, NULL }
#define END { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }

static const struct route native[] = {
    ROW("POST", "/v1/auth/login"),
    ROW("GET", "/v1/auth/sessions"),
    ROW("DELETE", "/v1/auth/sessions/{id}"),
    ROW("POST", "/v1/auth/logout"),
    END
};

static const struct route admin[] = {
    ROW("GET", "/v1/admin/users"),
    ROW("POST", "/v1/admin/users"),
    ROW("GET", "/v1/admin/users/{id}"),
    ROW("PATCH", "/v1/admin/users/{id}"),
    ROW("DELETE", "/v1/admin/users/{id}"),
    END
};

static const struct route wellknown[] = {
    ROW("GET", "/healthz"),
    ROW("GET", "/.well-known/jwks.json"),
    ROW("GET", "/api/{id}/me"),
    END
};

struct match {
    ts_err err;
    const struct route *row;
    const char *param;
    size_t param_len;
    char allow[128];
};

static struct match match(const struct router *r, const char *method, const char *path)
{
    struct match m;
    memset(&m, 0, sizeof m);
    m.param = "unset";
    m.err = router_match(r, method, path, &m.row, &m.param, &m.param_len, m.allow,
                         sizeof m.allow);
    return m;
}

static int setup(void **state)
{
    static struct router r;
    memset(&r, 0, sizeof r);
    if (router_mount(&r, native) || router_mount(&r, admin) || router_mount(&r, wellknown))
        return -1;
    *state = &r;
    return 0;
}

/* The request, the error it got and the error wanted, when they differ. */
#define assert_err(m, method, path, want) check_err((m), (method), (path), (want), \
                                                    __FILE__, __LINE__)
static void check_err(const struct match *m, const char *method, const char *path,
                      ts_err want, const char *file, int line)
{
    if (m->err == want)
        return;
    print_error("%s %s: %s, want %s\n", method, path, ts_err_name(m->err),
                ts_err_name(want));
    _fail(file, line);
}

static void exact_path_matches(void **state)
{
    struct match m = match(*state, "POST", "/v1/auth/login");
    assert_err(&m, "POST", "/v1/auth/login", TS_OK);
    assert_ptr_equal(m.row, &native[0]);
    assert_null(m.param);
    assert_int_equal(m.param_len, 0);

    m = match(*state, "GET", "/v1/admin/users");
    assert_err(&m, "GET", "/v1/admin/users", TS_OK);
    assert_ptr_equal(m.row, &admin[0]);
    m = match(*state, "POST", "/v1/admin/users");
    assert_ptr_equal(m.row, &admin[1]);
}

static void id_segment_matches_with_its_param(void **state)
{
    const char *path = "/v1/auth/sessions/ab_C-12";
    struct match m = match(*state, "DELETE", path);
    assert_err(&m, "DELETE", path, TS_OK);
    assert_ptr_equal(m.row, &native[2]);
    assert_int_equal(m.param_len, 7);
    assert_ptr_equal(m.param, path + strlen("/v1/auth/sessions/"));
    assert_memory_equal(m.param, "ab_C-12", 7);
}

static void id_rows_are_told_apart_by_method(void **state)
{
    static const char *const methods[] = { "GET", "PATCH", "DELETE" };
    for (int i = 0; i < 3; i++) {
        struct match m = match(*state, methods[i], "/v1/admin/users/u1");
        assert_err(&m, methods[i], "/v1/admin/users/u1", TS_OK);
        assert_ptr_equal(m.row, &admin[2 + i]);
        assert_int_equal(m.param_len, 2);
        assert_memory_equal(m.param, "u1", 2);
    }
}

static void unknown_path_is_404(void **state)
{
    static const char *const paths[] = {
        "/", "", "/nope", "/v1/auth", "/v1/auth/login2", "/V1/AUTH/LOGIN",
        "/v1/auth/sessionsX/abc", "/v1/auth//login",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct match m = match(*state, "GET", paths[i]);
        assert_err(&m, "GET", paths[i], TS_ENOTFOUND);
        assert_null(m.row);
        assert_string_equal(m.allow, "");
    }
    assert_int_equal(ts_err_status(TS_ENOTFOUND), 404);
}

static void known_path_wrong_method_is_405_with_allow(void **state)
{
    struct match m = match(*state, "GET", "/v1/auth/login");
    assert_err(&m, "GET", "/v1/auth/login", TS_EMETHOD);
    assert_null(m.row);
    assert_string_equal(m.allow, "POST");

    m = match(*state, "PUT", "/v1/admin/users");
    assert_err(&m, "PUT", "/v1/admin/users", TS_EMETHOD);
    assert_string_equal(m.allow, "GET, POST");

    m = match(*state, "POST", "/v1/admin/users/u1");
    assert_err(&m, "POST", "/v1/admin/users/u1", TS_EMETHOD);
    assert_string_equal(m.allow, "GET, PATCH, DELETE");

    /* /v1/auth/sessions is a path of its own, not an {id} without the id */
    m = match(*state, "DELETE", "/v1/auth/sessions");
    assert_err(&m, "DELETE", "/v1/auth/sessions", TS_EMETHOD);
    assert_string_equal(m.allow, "GET");
    assert_int_equal(ts_err_status(TS_EMETHOD), 405);
}

static void methods_are_case_sensitive(void **state)
{
    struct match m = match(*state, "post", "/v1/auth/login");
    assert_err(&m, "post", "/v1/auth/login", TS_EMETHOD);
    assert_string_equal(m.allow, "POST");
}

static void head_matches_get(void **state)
{
    struct match m = match(*state, "HEAD", "/healthz");
    assert_err(&m, "HEAD", "/healthz", TS_OK);
    assert_ptr_equal(m.row, &wellknown[0]);

    m = match(*state, "HEAD", "/v1/admin/users/u1");
    assert_err(&m, "HEAD", "/v1/admin/users/u1", TS_OK);
    assert_ptr_equal(m.row, &admin[2]);
    assert_memory_equal(m.param, "u1", 2);

    /* HEAD where there is no GET */
    m = match(*state, "HEAD", "/v1/auth/login");
    assert_err(&m, "HEAD", "/v1/auth/login", TS_EMETHOD);
    assert_string_equal(m.allow, "POST");
}

static void trailing_slash_and_extra_segments_do_not_match(void **state)
{
    static const struct { const char *method, *path; } paths[] = {
        { "DELETE", "/v1/auth/sessions/" },          /* empty id */
        { "DELETE", "/v1/auth/sessions/abc/" },
        { "DELETE", "/v1/auth/sessions/abc/def" },
        { "GET", "/v1/admin/users/u1/roles" },
        { "GET", "/v1/admin/users/" },
        { "POST", "/v1/auth/login/" },
        { "GET", "/healthz/" },
        { "DELETE", "/v1/auth/sessions//" },
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct match m = match(*state, paths[i].method, paths[i].path);
        assert_err(&m, paths[i].method, paths[i].path, TS_ENOTFOUND);
        assert_null(m.row);
    }
}

static void allow_is_gathered_across_tables_without_repeats(void **state)
{
    static const struct route a[] = { ROW("GET", "/x"), ROW("GET", "/x/{id}"), END };
    static const struct route b[] = { ROW("GET", "/x"), ROW("POST", "/x"),
                                      ROW("DELETE", "/x/{id}"), END };
    struct router r;
    memset(&r, 0, sizeof r);
    assert_int_equal(router_mount(&r, a), 0);
    assert_int_equal(router_mount(&r, b), 0);

    struct match m = match(&r, "PUT", "/x");
    assert_err(&m, "PUT", "/x", TS_EMETHOD);
    assert_string_equal(m.allow, "GET, POST");

    m = match(&r, "PUT", "/x/1");
    assert_err(&m, "PUT", "/x/1", TS_EMETHOD);
    assert_string_equal(m.allow, "GET, DELETE");

    m = match(&r, "DELETE", "/x/1");                 /* found in the second table */
    assert_err(&m, "DELETE", "/x/1", TS_OK);
    assert_ptr_equal(m.row, &b[2]);

    m = match(&r, "GET", "/x");                      /* the first table wins */
    assert_ptr_equal(m.row, &a[0]);
}

static void small_allow_buffer_is_not_overrun(void **state)
{
    struct { char allow[8]; char guard[8]; } buf;
    const struct route *row;
    const char *param;
    size_t plen;
    memset(&buf, '#', sizeof buf);
    assert_int_equal(router_match(*state, "PUT", "/v1/admin/users/u1", &row, &param, &plen,
                                  buf.allow, sizeof buf.allow), TS_EMETHOD);
    assert_memory_equal(buf.guard, "########", sizeof buf.guard);
    assert_non_null(memchr(buf.allow, '\0', sizeof buf.allow));
    assert_int_equal(strncmp(buf.allow, "GET", 3), 0);
}

static void mount_is_bounded(void **state)
{
    struct router r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < ROUTER_MAX_TABLES; i++)
        assert_int_equal(router_mount(&r, wellknown), 0);
    assert_int_equal(router_mount(&r, native), -1);
    struct match m = match(&r, "POST", "/v1/auth/login");   /* not mounted */
    assert_err(&m, "POST", "/v1/auth/login", TS_ENOTFOUND);
}

static void empty_router_finds_nothing(void **state)
{
    struct router r;
    memset(&r, 0, sizeof r);
    struct match m = match(&r, "GET", "/healthz");
    assert_err(&m, "GET", "/healthz", TS_ENOTFOUND);
}

static void id_segment_in_the_middle(void **state)
{
    const char *path = "/api/athlete/me";
    struct match m = match(*state, "GET", path);
    assert_err(&m, "GET", path, TS_OK);
    assert_ptr_equal(m.row, &wellknown[2]);
    assert_int_equal(m.param_len, 7);
    assert_memory_equal(m.param, "athlete", 7);
    static const char *const miss[] = { "/api//me", "/api/athlete/me/", "/api/a/b/me",
                                        "/api/athlete/mee", "/api/athlete" };
    for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++) {
        m = match(*state, "GET", miss[i]);
        assert_err(&m, "GET", miss[i], TS_ENOTFOUND);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, NULL)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(exact_path_matches),
        T(id_segment_matches_with_its_param),
        T(id_rows_are_told_apart_by_method),
        T(unknown_path_is_404),
        T(known_path_wrong_method_is_405_with_allow),
        T(methods_are_case_sensitive),
        T(head_matches_get),
        T(trailing_slash_and_extra_segments_do_not_match),
        T(allow_is_gathered_across_tables_without_repeats),
        T(small_allow_buffer_is_not_overrun),
        T(mount_is_bounded),
        T(empty_router_finds_nothing),
        T(id_segment_in_the_middle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
