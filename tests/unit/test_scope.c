/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/scope.c: scopes granted from roles (SPEC section 2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/scope.h"

/* Roles of the tests, beside the built-in admin and user:
 *   reader: read:skills read:profile, defaults read:skills
 *   writer: write:skills read:skills, defaults write:skills read:skills */
static int setup(void **state)
{
    static const char *const sets[] = {
        "role.reader.scopes=read:skills read:profile",
        "role.reader.default_scopes=read:skills",
        "role.writer.scopes=write:skills read:skills",
        "role.writer.default_scopes=write:skills read:skills",
    };
    struct config *c = malloc(sizeof *c);
    char err[256];
    if (!c)
        return -1;
    config_defaults(c);
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if (config_set(c, sets[i], err, sizeof err) != 0) {
            print_error("%s\n", err);
            free(c);
            return -1;
        }
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* scope_grant, failing with the request and both results when they differ. */
#define assert_grant(c, roles, req, want_err, want_out) \
    check_grant((c), (roles), (req), (want_err), (want_out), __FILE__, __LINE__)
static void check_grant(const struct config *c, const char *roles, const char *req,
                        ts_err want_err, const char *want_out, const char *file, int line)
{
    char out[SCOPE_MAX_LEN];
    memset(out, 'X', sizeof out);
    ts_err e = scope_grant(c, roles, req, out);
    if (e == want_err && memchr(out, '\0', sizeof out) && strcmp(out, want_out) == 0)
        return;
    print_error("scope_grant(%s, \"%s\"): %s \"%.*s\", want %s \"%s\"\n", roles,
                req ? req : "NULL", ts_err_name(e), (int)strnlen(out, sizeof out), out,
                ts_err_name(want_err), want_out);
    _fail(file, line);
}

/* ---- defaults ------------------------------------------------------------------- */

static void none_requested_gives_the_role_defaults(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"reader\"]", NULL, TS_OK, "read:skills");
    assert_grant(c, "[\"reader\"]", "", TS_OK, "read:skills");
    assert_grant(c, "[\"user\"]", NULL, TS_OK, "profile");
}

static void defaults_of_several_roles_in_role_order_without_duplicates(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"writer\", \"reader\"]", NULL, TS_OK, "write:skills read:skills");
    assert_grant(c, "[\"reader\", \"writer\"]", NULL, TS_OK, "read:skills write:skills");
    assert_grant(c, "[\"admin\", \"user\"]", NULL, TS_OK, "profile");
}

static void defaults_are_not_given_when_scopes_are_requested(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"reader\"]", "read:profile", TS_OK, "read:profile");
}

/* ---- requested scopes ----------------------------------------------------------- */

static void requested_subset_is_granted_in_the_order_asked(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"reader\"]", "read:skills read:profile", TS_OK,
                 "read:skills read:profile");
    assert_grant(c, "[\"reader\"]", "read:profile read:skills", TS_OK,
                 "read:profile read:skills");
    assert_grant(c, "[\"admin\"]", "admin", TS_OK, "admin");
}

static void comma_and_space_separators(void **state)
{
    struct config *c = *state;
    static const char *const forms[] = {
        "read:skills,read:profile",
        "read:skills read:profile",
        "read:skills, read:profile",
        " ,read:skills,,  read:profile, ",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        assert_grant(c, "[\"reader\"]", forms[i], TS_OK, "read:skills read:profile");
}

static void duplicates_are_collapsed(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"reader\"]", "read:skills read:skills,read:skills", TS_OK,
                 "read:skills");
    assert_grant(c, "[\"reader\"]", "read:profile read:skills read:profile", TS_OK,
                 "read:profile read:skills");
}

static void scopes_of_all_roles_are_combined(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"reader\", \"writer\"]", "write:skills,read:profile", TS_OK,
                 "write:skills read:profile");
}

static void scope_no_role_grants_is_invalid_scope(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"reader\"]", "write:skills", TS_ESCOPE, "");
    /* one bad scope spoils the request: nothing is granted */
    assert_grant(c, "[\"reader\"]", "read:skills write:skills", TS_ESCOPE, "");
    assert_grant(c, "[\"user\"]", "admin", TS_ESCOPE, "");
    assert_int_equal(ts_err_status(TS_ESCOPE), 400);
    assert_string_equal(ts_err_code(TS_ESCOPE), "invalid_scope");
}

static void granting_is_exact_not_by_prefix(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"reader\"]", "read", TS_ESCOPE, "");
    assert_grant(c, "[\"reader\"]", "read:skill", TS_ESCOPE, "");
    assert_grant(c, "[\"reader\"]", "read:skills:all", TS_ESCOPE, "");
    assert_grant(c, "[\"reader\"]", "READ:SKILLS", TS_ESCOPE, "");
}

static void bad_characters_are_invalid_request(void **state)
{
    struct config *c = *state;
    static const char *const bad[] = {
        "read\"skills", "read\\skills", "read:skills\tread:profile", "caf\xc3\xa9",
        "read\x01", "read:skills read\x7f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_grant(c, "[\"reader\"]", bad[i], TS_EINVAL, "");
    /* even when the bad scope comes after a granted one */
    assert_grant(c, "[\"reader\"]", "read:skills,bad\"", TS_EINVAL, "");
}

static void unknown_roles_grant_nothing(void **state)
{
    struct config *c = *state;
    assert_grant(c, "[\"ghost\"]", NULL, TS_OK, "");
    assert_grant(c, "[\"ghost\"]", "read:skills", TS_ESCOPE, "");
    assert_grant(c, "[\"ghost\", \"reader\"]", "read:skills", TS_OK, "read:skills");
    assert_grant(c, "[\"Reader\"]", "read:skills", TS_ESCOPE, "");
    assert_grant(c, "[]", NULL, TS_OK, "");
    assert_grant(c, "[]", "profile", TS_ESCOPE, "");
    assert_grant(c, "[42, null, \"reader\"]", "read:profile", TS_OK, "read:profile");
}

/* Three roles with 100 distinct scopes each: granting all 300 needs 1,500 bytes. */
static void too_long_a_grant_is_invalid_request(void **state)
{
    struct config *c = *state;
    char req[2048] = "";
    for (int r = 0; r < 3; r++) {
        char set[600];
        int n = snprintf(set, sizeof set, "role.big%d.scopes=", r);
        for (int i = 0; i < 100; i++) {
            n += snprintf(set + n, sizeof set - (size_t)n, "%s%c%03d", i ? " " : "",
                          'a' + r, i);
            char one[8];
            snprintf(one, sizeof one, "%c%03d ", 'a' + r, i);
            strcat(req, one);
        }
        char err[256];
        assert_int_equal(config_set(c, set, err, sizeof err), 0);
    }
    assert_grant(c, "[\"big0\", \"big1\", \"big2\"]", req, TS_EINVAL, "");
    /* one role's worth (500 bytes) fits */
    char one_role[600];
    memcpy(one_role, req, 500);
    one_role[500] = '\0';
    char out[SCOPE_MAX_LEN];
    assert_int_equal(scope_grant(c, "[\"big0\"]", one_role, out), TS_OK);
    assert_int_equal(strlen(out), 499);
}

/* ---- scope_contains ----------------------------------------------------------- */

#define CONTAINS(list, s) scope_contains((list), (s), strlen(s))

static void contains_is_exact(void **state)
{
    const char *list = "read:skills profile";
    assert_true(CONTAINS(list, "read:skills"));
    assert_true(CONTAINS(list, "profile"));
    assert_false(CONTAINS(list, "read"));
    assert_false(CONTAINS("read", "read:skills"));
    assert_false(CONTAINS(list, "skills"));
    assert_false(CONTAINS(list, "prof"));
    assert_false(CONTAINS(list, "profiles"));
    assert_false(CONTAINS(list, "read:skills profile"));
}

static void contains_edge_cases(void **state)
{
    assert_false(CONTAINS("", "read"));
    assert_false(CONTAINS("read", ""));
    assert_false(CONTAINS("", ""));
    assert_true(CONTAINS("  read   write  ", "write"));
    assert_true(CONTAINS("  read   write  ", "read"));
    /* only scope_len bytes of scope count */
    assert_true(scope_contains("read write", "write:all", 5));
    assert_false(scope_contains("read write", "write", 4));
}

static void restrict_cuts_defaults_to_the_client_list(void **state)
{
    char scope[SCOPE_MAX_LEN] = "profile read:skills write:skills";
    assert_int_equal(scope_restrict("read:skills admin", 0, scope), TS_OK);
    assert_string_equal(scope, "read:skills");
    /* nothing in common: an empty scope, not an error, for defaults */
    snprintf(scope, sizeof scope, "profile");
    assert_int_equal(scope_restrict("admin", 0, scope), TS_OK);
    assert_string_equal(scope, "");
}

static void restrict_refuses_asked_scopes_outside_the_list(void **state)
{
    char scope[SCOPE_MAX_LEN] = "read:skills write:skills";
    assert_int_equal(scope_restrict("read:skills", 1, scope), TS_ESCOPE);
    snprintf(scope, sizeof scope, "read:skills");
    assert_int_equal(scope_restrict("write:skills read:skills", 1, scope), TS_OK);
    assert_string_equal(scope, "read:skills");
}

static void restrict_with_no_list_changes_nothing(void **state)
{
    char scope[SCOPE_MAX_LEN] = "a b";
    assert_int_equal(scope_restrict("", 1, scope), TS_OK);
    assert_string_equal(scope, "a b");
    assert_int_equal(scope_restrict(NULL, 0, scope), TS_OK);
    assert_string_equal(scope, "a b");
}

/* ---- scope_regrant: a refresh keeps what the roles still grant ---------------------- */

static void regrant_drops_what_the_roles_no_longer_grant(void **state)
{
    char scope[SCOPE_MAX_LEN] = "write:skills read:skills";
    /* writer -> reader: write:skills goes, read:skills stays, in the session's order */
    assert_int_equal(scope_regrant(*state, "[\"reader\"]", 0, scope), TS_OK);
    assert_string_equal(scope, "read:skills");
    /* never more than the session had, whatever the roles grant now */
    snprintf(scope, sizeof scope, "read:skills");
    assert_int_equal(scope_regrant(*state, "[\"writer\",\"reader\"]", 0, scope), TS_OK);
    assert_string_equal(scope, "read:skills");
    /* no role left: nothing */
    snprintf(scope, sizeof scope, "read:skills");
    assert_int_equal(scope_regrant(*state, "[]", 0, scope), TS_OK);
    assert_string_equal(scope, "");
    /* openid, the code flow's marker, is no role's and stays; a client's list that
     * omits it keeps it too */
    snprintf(scope, sizeof scope, "openid read:skills");
    assert_int_equal(scope_regrant(*state, "[]", 0, scope), TS_OK);
    assert_string_equal(scope, "openid");
    snprintf(scope, sizeof scope, "openid read:skills");
    assert_int_equal(scope_restrict("write:skills", 0, scope), TS_OK);
    assert_string_equal(scope, "openid");
}

static void regrant_refuses_an_asked_scope_no_role_grants(void **state)
{
    char scope[SCOPE_MAX_LEN] = "write:skills read:skills";
    assert_int_equal(scope_regrant(*state, "[\"reader\"]", 1, scope), TS_ESCOPE);
    assert_string_equal(scope, "write:skills read:skills");       /* left as it was */
    assert_int_equal(scope_regrant(*state, "{}", 0, scope), TS_EINTERNAL);
}

static void roles_json_parses_lists(void **state)
{
    char why[128] = "";
    char *j = NULL;
    assert_int_equal(scope_roles_json("admin, user service:billing,admin", &j, why,
                                      sizeof why), TS_OK);
    assert_non_null(j);
    assert_string_equal(j, "[\"admin\",\"user\",\"service:billing\"]");
    free(j);
    assert_int_equal(scope_roles_json(NULL, &j, why, sizeof why), TS_OK);
    assert_string_equal(j, "[]");
    free(j);
    assert_int_equal(scope_roles_json("ok, bad/role", &j, why, sizeof why), TS_EINVAL);
    assert_null(j);
    assert_non_null(strstr(why, "bad/role"));
}

/* jansson's allocator, failing its fail_at-th allocation (counted from 0; -1: none). */
static long json_fail_at = -1, json_allocs, json_live;

static void *failing_malloc(size_t n)
{
    if (json_fail_at >= 0 && json_allocs++ == json_fail_at)
        return NULL;
    void *p = malloc(n);
    json_live += p != NULL;
    return p;
}

static void counted_free(void *p)
{
    json_live -= p != NULL;
    free(p);
}

/* Out of memory is said by the code, TS_ENOMEM, never taken for a bad role name: each
 * allocation fails in turn until the call completes. */
static void roles_json_out_of_memory_is_enomem(void **state)
{
    int failed = 0;
    json_set_alloc_funcs(failing_malloc, counted_free);
    for (long at = 0; at < 1000; at++) {
        char why[128] = "", *j = (char *)&j;
        json_fail_at = at;
        json_allocs = 0;
        json_live = 0;
        ts_err e = scope_roles_json("admin, user service:billing", &j, why, sizeof why);
        json_fail_at = -1;
        if (e == TS_OK) {
            assert_string_equal(j, "[\"admin\",\"user\",\"service:billing\"]");
            counted_free(j);
            assert_int_equal(json_live, 0);
            break;
        }
        assert_int_equal(e, TS_ENOMEM);
        assert_string_equal(why, "out of memory");
        assert_null(j);
        assert_int_equal(json_live, 0);           /* nothing left behind */
        failed++;
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(failed > 2);                      /* the array, the strings, the dump */
}

static void roles_known_names_the_defined_roles(void **state)
{
    char why[256] = "";
    assert_int_equal(scope_roles_known(*state, "admin, user reader,writer", why,
                                       sizeof why), TS_OK);
    assert_int_equal(scope_roles_known(*state, NULL, why, sizeof why), TS_OK);
    assert_int_equal(scope_roles_known(*state, "", why, sizeof why), TS_OK);
    assert_int_equal(scope_roles_known(*state, "user,nosuch", why, sizeof why), TS_EINVAL);
    assert_string_equal(why, "unknown role 'nosuch'; the roles defined are: admin, user, "
                             "reader, writer");
    /* a prefix or an extension of a defined name is not that role */
    assert_int_equal(scope_roles_known(*state, "use", why, sizeof why), TS_EINVAL);
    assert_int_equal(scope_roles_known(*state, "users", why, sizeof why), TS_EINVAL);
    /* a short buffer is cut, never overrun */
    char small[24];
    assert_int_equal(scope_roles_known(*state, "nosuch", small, sizeof small), TS_EINVAL);
    assert_int_equal(strlen(small), sizeof small - 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(none_requested_gives_the_role_defaults),
        T(defaults_of_several_roles_in_role_order_without_duplicates),
        T(defaults_are_not_given_when_scopes_are_requested),
        T(requested_subset_is_granted_in_the_order_asked),
        T(comma_and_space_separators),
        T(duplicates_are_collapsed),
        T(scopes_of_all_roles_are_combined),
        T(scope_no_role_grants_is_invalid_scope),
        T(granting_is_exact_not_by_prefix),
        T(bad_characters_are_invalid_request),
        T(unknown_roles_grant_nothing),
        T(too_long_a_grant_is_invalid_request),
        T(contains_is_exact),
        T(contains_edge_cases),
        T(restrict_cuts_defaults_to_the_client_list),
        T(restrict_refuses_asked_scopes_outside_the_list),
        T(restrict_with_no_list_changes_nothing),
        T(regrant_drops_what_the_roles_no_longer_grant),
        T(roles_json_out_of_memory_is_enomem),
        T(regrant_refuses_an_asked_scope_no_role_grants),
        T(roles_json_parses_lists),
        T(roles_known_names_the_defined_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
