/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/audience.c: requested values, configured lists, what a user's roles and a
 * client allow, narrowing at refresh; and the audience keys of config_finish. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/audience.h"
#include "core/config.h"
#include "store/store.h"

#define A "https://api-a.example"
#define B "https://api-b.example"

static int set(struct config *c, const char *kv)
{
    char err[256];
    return config_set(c, kv, err, sizeof err);
}

static struct config cfg(void)
{
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(set(&c, "role.user.audiences=" A ", " B), 0);
    assert_int_equal(set(&c, "role.svc.audiences=" A), 0);
    assert_int_equal(config_finish(&c, err, sizeof err), 0);
    return c;
}

static ts_err add(char *list, enum audience_param k, const char *v)
{
    char why[160];
    return audience_add(list, k, v, strlen(v), why, sizeof why);
}

static void add_checks_each_value(void **state)
{
    char list[AUDIENCE_LIST_MAX] = "";
    (void)state;
    assert_int_equal(add(list, AUDIENCE_PARAM_RESOURCE, A), TS_OK);
    assert_int_equal(add(list, AUDIENCE_PARAM_AUDIENCE, "tessera"), TS_OK);
    assert_int_equal(add(list, AUDIENCE_PARAM_RESOURCE, A), TS_OK);   /* once */
    assert_string_equal(list, A " tessera");
    /* resource: an absolute URI without a fragment; audience: any printable word */
    static const char *const bad_resources[] = { "tessera", "/p", "http:", ":x",
                                                 "1http://x", A "#f", A " x", "" };
    for (size_t i = 0; i < sizeof bad_resources / sizeof *bad_resources; i++)
        assert_int_equal(add(list, AUDIENCE_PARAM_RESOURCE, bad_resources[i]),
                         TS_ETARGET);
    assert_int_equal(add(list, AUDIENCE_PARAM_AUDIENCE, "a\x01"), TS_ETARGET);
    assert_int_equal(add(list, AUDIENCE_PARAM_AUDIENCE, "caf\xc3\xa9"), TS_ETARGET);
    char big[AUDIENCE_VALUE_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(add(list, AUDIENCE_PARAM_AUDIENCE, big), TS_ETARGET);
    big[AUDIENCE_VALUE_MAX] = '\0';
    assert_int_equal(add(list, AUDIENCE_PARAM_AUDIENCE, big), TS_OK);
    assert_string_equal(list + strlen(A " tessera "), big);
}

static void add_limits_the_count_first(void **state)
{
    char list[AUDIENCE_LIST_MAX] = "", v[32];
    (void)state;
    for (int i = 0; i < AUDIENCE_MAX_VALUES; i++) {
        snprintf(v, sizeof v, "https://r%d.example", i);
        assert_int_equal(add(list, AUDIENCE_PARAM_RESOURCE, v), TS_OK);
    }
    assert_int_equal(add(list, AUDIENCE_PARAM_RESOURCE, "https://r0.example"), TS_OK);
    assert_int_equal(add(list, AUDIENCE_PARAM_RESOURCE, "https://more.example"),
                     TS_ETARGET);
}

static void config_lists_are_canonical(void **state)
{
    struct config c = cfg();
    char err[256];
    (void)state;
    assert_string_equal(config_role(&c, "user")->audiences, A " " B);
    assert_string_equal(audience_default(&c), "tessera");
    assert_int_equal(set(&c, "tokens.default_audience=api,,tessera  api"), 0);
    assert_int_equal(config_finish(&c, err, sizeof err), 0);
    assert_string_equal(audience_default(&c), "api tessera");
    assert_string_equal(audience_effective(&c, ""), "api tessera");
    assert_string_equal(audience_effective(&c, A), A);
    static const char *const bad[] = { "server.audience=a b", "server.audience=",
                                       "verify.audience=a,b", "role.user.audiences=a\tb",
                                       "tokens.default_audience=1 2 3 4 5 6 7 8 9" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        c = cfg();
        assert_int_equal(set(&c, bad[i]), 0);
        assert_int_equal(config_finish(&c, err, sizeof err), -1);
    }
}

static void allowed_by_roles_and_client(void **state)
{
    struct config c = cfg();
    struct client_rec open = { .roles_json = "[\"svc\"]" };
    struct client_rec onlyb = { .roles_json = "[]", .audiences = B };
    char why[160];
    (void)state;
    /* a user: the roles grant, a client with a list restricts */
    assert_int_equal(audience_allowed(&c, "[\"user\"]", NULL, A " " B, why, sizeof why),
                     TS_OK);
    assert_int_equal(audience_allowed(&c, "[\"svc\"]", NULL, B, why, sizeof why),
                     TS_ETARGET);
    assert_int_equal(audience_allowed(&c, "[\"user\"]", &open, B, why, sizeof why),
                     TS_OK);
    assert_int_equal(audience_allowed(&c, "[\"user\"]", &onlyb, A, why, sizeof why),
                     TS_ETARGET);
    assert_non_null(strstr(why, A));
    assert_int_equal(audience_allowed(&c, "[]", &onlyb, B, why, sizeof why), TS_ETARGET);
    /* the default always, and "" asks for it */
    assert_int_equal(audience_allowed(&c, "[]", &onlyb, "tessera", why, sizeof why),
                     TS_OK);
    assert_int_equal(audience_allowed(&c, "[]", &onlyb, "", why, sizeof why), TS_OK);
    /* a client's own token: its list, else its roles */
    assert_int_equal(audience_allowed(&c, NULL, &onlyb, B, why, sizeof why), TS_OK);
    assert_int_equal(audience_allowed(&c, NULL, &onlyb, A, why, sizeof why), TS_ETARGET);
    assert_int_equal(audience_allowed(&c, NULL, &open, A, why, sizeof why), TS_OK);
    assert_int_equal(audience_allowed(&c, NULL, &open, B, why, sizeof why), TS_ETARGET);
    /* byte for byte: no case folding, no trailing-slash equivalence */
    assert_int_equal(audience_allowed(&c, "[\"user\"]", NULL, "HTTPS://api-a.example",
                                      why, sizeof why), TS_ETARGET);
    assert_int_equal(audience_allowed(&c, "[\"user\"]", NULL, A "/", why, sizeof why),
                     TS_ETARGET);
}

static void narrow_only_within_the_session(void **state)
{
    struct config c = cfg();
    char out[AUDIENCE_LIST_MAX], why[160];
    (void)state;
    assert_int_equal(audience_narrow(&c, A " " B, NULL, out, why, sizeof why), TS_OK);
    assert_string_equal(out, A " " B);
    assert_int_equal(audience_narrow(&c, A " " B, B, out, why, sizeof why), TS_OK);
    assert_string_equal(out, B);
    assert_int_equal(audience_narrow(&c, B, A, out, why, sizeof why), TS_ETARGET);
    /* a session that asked for nothing has the default */
    assert_int_equal(audience_narrow(&c, "", "tessera", out, why, sizeof why), TS_OK);
    assert_int_equal(audience_narrow(&c, "", A, out, why, sizeof why), TS_ETARGET);
    assert_int_equal(audience_narrow(&c, "", "", out, why, sizeof why), TS_OK);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_checks_each_value),
        cmocka_unit_test(add_limits_the_count_first),
        cmocka_unit_test(config_lists_are_canonical),
        cmocka_unit_test(allowed_by_roles_and_client),
        cmocka_unit_test(narrow_only_within_the_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
