/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/policy.c: forward-auth rules, first match wins, and what a rule needs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/policy.h"

static void globs(void **state)
{
    assert_true(policy_glob("/v1/skills*", "/v1/skills"));
    assert_true(policy_glob("/v1/skills*", "/v1/skills/42/x"));
    assert_false(policy_glob("/v1/skills*", "/v1/skill"));
    assert_true(policy_glob("/a/*/c", "/a/b/c"));
    assert_true(policy_glob("/a/*/c", "/a/b/x/c"));
    assert_false(policy_glob("/a/*/c", "/a/b/cd"));
    assert_true(policy_glob("/f?o", "/foo"));
    assert_false(policy_glob("/f?o", "/fo"));
    assert_true(policy_glob("*", ""));
    assert_false(policy_glob("", "/"));
}

static struct config *conf(const char *const *sets, size_t n)
{
    struct config *c = malloc(sizeof *c);
    char err[256];
    assert_non_null(c);
    config_defaults(c);
    for (size_t i = 0; i < n; i++)
        if (config_set(c, sets[i], err, sizeof err)) {
            print_error("%s\n", err);
            fail();
        }
    assert_int_equal(config_finish(c, err, sizeof err), 0);
    return c;
}

static void first_match_wins_and_default_applies(void **state)
{
    static const char *const sets[] = {
        "policy.open.path=/public/*", "policy.open.public=true",
        "policy.read.path=/v1/skills*", "policy.read.methods=GET HEAD",
        "policy.read.scopes=read:skills",
        "policy.write.path=/v1/skills*", "policy.write.roles=editor admin",
        "verify.default=deny",
    };
    struct config *c = conf(sets, sizeof sets / sizeof sets[0]);
    const struct policy_conf *r;
    assert_int_equal(policy_match(c, "GET", "/public/x", &r), POLICY_PUBLIC);
    assert_int_equal(policy_match(c, "GET", "/v1/skills/1", &r), POLICY_TOKEN);
    assert_string_equal(r->name, "read");
    assert_int_equal(policy_match(c, "POST", "/v1/skills", &r), POLICY_TOKEN);
    assert_string_equal(r->name, "write");
    assert_int_equal(policy_match(c, "GET", "/elsewhere", &r), POLICY_DENY);
    assert_null(r);
    free(c);
}

static void bad_settings_are_refused(void **state)
{
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "policy.x.colour=blue", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "policy.x.public=maybe", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "policy.x.path=relative", err, sizeof err), 0);
    assert_int_equal(config_finish(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "policy.x.path"));
    config_defaults(&c);
    assert_int_equal(config_set(&c, "verify.default=maybe", err, sizeof err), 0);
    assert_int_equal(config_finish(&c, err, sizeof err), -1);
}

/* Rules are made canonical at load, as requests are before matching (base/urlpath.h). */
static void rules_are_canonical_at_load(void **state)
{
    static const char *const sets[] = {
        "policy.a.path=/v1/%73kills*", "policy.a.methods=get, head",
        "policy.b.path=/caf\xc3\xa9/%3f", "policy.b.methods=Post",
    };
    struct config *c = conf(sets, sizeof sets / sizeof sets[0]);
    const struct policy_conf *r;
    assert_string_equal(c->policies[0].path, "/v1/skills*");
    assert_string_equal(c->policies[0].methods, "GET HEAD");
    assert_string_equal(c->policies[1].path, "/caf%C3%A9/%3F");
    assert_string_equal(c->policies[1].methods, "POST");
    assert_int_equal(policy_match(c, "HEAD", "/v1/skills/1", &r), POLICY_TOKEN);
    assert_string_equal(r->name, "a");
    assert_int_equal(policy_match(c, "POST", "/caf%C3%A9/%3F", &r), POLICY_TOKEN);
    assert_string_equal(r->name, "b");
    free(c);

    static const char *const bad[][2] = {
        {"policy.x.path=/v1/../admin/*", "policy.x.path"},
        {"policy.x.path=//admin", "policy.x.path"},
        {"policy.x.path=/v1/%2Fadmin", "policy.x.path"},
        {"policy.x.path=/v1/%zz", "policy.x.path"},
        {"policy.x.methods=GET P(OST", "policy.x.methods"},
        {"policy.x.methods=GETTHISMETHODISFARTOOLONGFORATOKEN", "policy.x.methods"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct config d;
        char err[256];
        config_defaults(&d);
        assert_int_equal(config_set(&d, "policy.x.path=/ok", err, sizeof err), 0);
        assert_int_equal(config_set(&d, bad[i][0], err, sizeof err), 0);
        assert_int_equal(config_finish(&d, err, sizeof err), -1);
        if (!strstr(err, bad[i][1])) {
            print_error("%s: %s\n", bad[i][0], err);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(globs),
        cmocka_unit_test(first_match_wins_and_default_applies),
        cmocka_unit_test(bad_settings_are_refused),
        cmocka_unit_test(rules_are_canonical_at_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
