/* SPDX-License-Identifier: Apache-2.0 */
/* src/http/form.c: application/x-www-form-urlencoded bodies (RFC 6749 appendix B). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http/http.h"

static const char *get(const struct form *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->p[i].name, name) == 0)
            return f->p[i].value;
    return NULL;
}

static void parses_pairs_and_decodes(void **state)
{
    struct form f;
    char why[256];
    const char *body = "grant_type=client_credentials&scope=read%3Askills+write&empty=&"
                       "flag&client_id=svc%3Aa%2Bb%25c";
    assert_int_equal(http_form_parse(body, strlen(body), &f, why, sizeof why), TS_OK);
    assert_int_equal(f.n, 5);
    assert_string_equal(get(&f, "grant_type"), "client_credentials");
    assert_string_equal(get(&f, "scope"), "read:skills write");
    assert_string_equal(get(&f, "empty"), "");
    assert_string_equal(get(&f, "flag"), "");
    assert_string_equal(get(&f, "client_id"), "svc:a+b%c");
    http_form_free(&f);
}

static void empty_body_and_stray_ampersands(void **state)
{
    struct form f;
    char why[256];
    assert_int_equal(http_form_parse(NULL, 0, &f, why, sizeof why), TS_OK);
    assert_int_equal(f.n, 0);
    http_form_free(&f);
    assert_int_equal(http_form_parse("&&a=1&&", 7, &f, why, sizeof why), TS_OK);
    assert_int_equal(f.n, 1);
    assert_string_equal(get(&f, "a"), "1");
    http_form_free(&f);
}

static void refuses_repeated_names(void **state)
{
    struct form f;
    char why[256] = "";
    const char *body = "grant_type=password&username=a&grant_type=client_credentials";
    assert_int_equal(http_form_parse(body, strlen(body), &f, why, sizeof why), TS_EINVAL);
    assert_non_null(strstr(why, "'grant_type' is repeated"));
    assert_null(f.buf);
    /* the same name spelled with an escape is the same name */
    body = "a=1&%61=2";
    assert_int_equal(http_form_parse(body, strlen(body), &f, why, sizeof why), TS_EINVAL);
}

/* RFC 8707 2.1: several resources are asked by repeating `resource` (and its alias
 * `audience`); http_param_next() reads them in order. */
static void resource_and_audience_may_repeat(void **state)
{
    struct form f;
    struct request req = { .form = &f };
    char why[256] = "";
    const char *body = "resource=https%3A%2F%2Fa&audience=x&resource=https%3A%2F%2Fb"
                       "&resource=";
    (void)state;
    assert_int_equal(http_form_parse(body, strlen(body), &f, why, sizeof why), TS_OK);
    int k = 0;
    assert_string_equal(http_param_next(&req, "resource", &k), "https://a");
    assert_string_equal(http_param_next(&req, "resource", &k), "https://b");
    assert_string_equal(http_param_next(&req, "resource", &k), "");
    assert_null(http_param_next(&req, "resource", &k));
    k = 0;
    assert_string_equal(http_param_next(&req, "audience", &k), "x");
    assert_null(http_param_next(&req, "audience", &k));
    k = 0;
    assert_null(http_param_next(&req, "scope", &k));
    http_form_free(&f);
    body = "resource=https%3A%2F%2Fa&scope=a&scope=b";
    assert_int_equal(http_form_parse(body, strlen(body), &f, why, sizeof why), TS_EINVAL);
    assert_non_null(strstr(why, "'scope' is repeated"));
}

static void refuses_bad_escapes_and_nul(void **state)
{
    static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%4g", "a=x%00y",
                                       "%00=1", "a%=1" };
    struct form f;
    char why[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        print_message("%s\n", bad[i]);
        assert_int_equal(http_form_parse(bad[i], strlen(bad[i]), &f, why, sizeof why),
                         TS_EINVAL);
    }
}

static void refuses_too_many_parameters(void **state)
{
    char body[HTTP_FORM_MAX_PARAMS * 8 + 16] = "";
    struct form f;
    char why[256];
    size_t n = 0;
    for (int i = 0; i <= HTTP_FORM_MAX_PARAMS; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "%sp%d=1", i ? "&" : "", i);
    assert_int_equal(http_form_parse(body, n, &f, why, sizeof why), TS_EINVAL);
    /* exactly the maximum is fine */
    char *last = strrchr(body, '&');
    *last = '\0';
    assert_int_equal(http_form_parse(body, strlen(body), &f, why, sizeof why), TS_OK);
    assert_int_equal(f.n, HTTP_FORM_MAX_PARAMS);
    http_form_free(&f);
}

static void decode_handles_plus_and_bytes(void **state)
{
    char out[32];
    size_t n;
    assert_int_equal(http_form_decode("a+b%20c%C3%A9", 13, out, &n), 0);
    assert_string_equal(out, "a b c\xc3\xa9");
    assert_int_equal(n, 7);
    /* length-bounded: bytes after n are not read */
    assert_int_equal(http_form_decode("ab%41", 2, out, &n), 0);
    assert_string_equal(out, "ab");
    assert_int_equal(http_form_decode("ab%4", 4, out, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_pairs_and_decodes),
        cmocka_unit_test(empty_body_and_stray_ampersands),
        cmocka_unit_test(refuses_repeated_names),
        cmocka_unit_test(resource_and_audience_may_repeat),
        cmocka_unit_test(refuses_bad_escapes_and_nul),
        cmocka_unit_test(refuses_too_many_parameters),
        cmocka_unit_test(decode_handles_plus_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
