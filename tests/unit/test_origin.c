/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/origin.c: the canonical web origin that cors.allowed_origins and a
 * request's Origin header are compared in, and what is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/origin.h"

static void expect_origin(const char *in, const char *want)
{
    char out[ORIGIN_MAX];
    if (origin_canonical(in, strlen(in), out) != 0) {
        print_error("%s: refused, want %s\n", in, want);
        fail();
    }
    if (strcmp(out, want) != 0) {
        print_error("%s: got %s, want %s\n", in, out, want);
        fail();
    }
}

static void expect_refused(const char *in)
{
    char out[ORIGIN_MAX];
    if (origin_canonical(in, strlen(in), out) == 0) {
        print_error("%s: accepted as %s\n", in, out);
        fail();
    }
}

static void test_canonical(void **state)
{
    (void)state;
    expect_origin("https://app.example", "https://app.example");
    expect_origin("HTTPS://App.EXAMPLE", "https://app.example");
    expect_origin("https://app.example:443", "https://app.example");
    expect_origin("http://app.example:80", "http://app.example");
    expect_origin("http://app.example:443", "http://app.example:443");
    expect_origin("https://app.example:80", "https://app.example:80");
    expect_origin("http://localhost:5173", "http://localhost:5173");
    expect_origin("http://127.0.0.1:8080", "http://127.0.0.1:8080");
    expect_origin("http://[::1]:8080", "http://[::1]:8080");
    expect_origin("https://[2001:DB8::1]", "https://[2001:db8::1]");
    expect_origin("https://a-b.c0.example:65535", "https://a-b.c0.example:65535");
}

static void test_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "*", "null", "app.example", "//app.example", "https://", "https://:443",
        "ftp://app.example", "https:/app.example", "https://app.example/",
        "https://app.example/path", "https://app.example?q", "https://app.example#f",
        "https://user@app.example", "https://user:pw@app.example",
        "https://app.example:", "https://app.example:0", "https://app.example:65536",
        "https://app.example:0443", "https://app.example:123456", "https://app_example",
        "https://app.example ", " https://app.example", "https://.app.example",
        "https://-app.example", "https://[]", "https://[::1", "https://[::g]",
        "https://app.example:44a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_refused(bad[i]);
    /* A NUL inside the bytes is not the end of the origin. */
    char out[ORIGIN_MAX];
    assert_int_not_equal(origin_canonical("https://a.example\0x", 19, out), 0);
    /* Too long for ORIGIN_MAX. */
    char longhost[400];
    memset(longhost, 'a', sizeof longhost);
    memcpy(longhost, "https://", 8);
    longhost[sizeof longhost - 1] = '\0';
    expect_refused(longhost);
}

static void test_list(void **state)
{
    (void)state;
    char list[256] = " HTTPS://App.Example:443,http://localhost:5173  ,,"
                     "https://app.example\thttp://LOCALHOST:5173 ";
    char err[256];
    assert_int_equal(origin_list_canonical(list, sizeof list, err, sizeof err), 0);
    assert_string_equal(list, "https://app.example http://localhost:5173");
    assert_true(origin_list_has(list, "https://app.example"));
    assert_true(origin_list_has(list, "http://localhost:5173"));
    assert_false(origin_list_has(list, "https://app.exampl"));
    assert_false(origin_list_has(list, "https://app.example.evil"));
    assert_false(origin_list_has(list, "http://localhost"));
    assert_false(origin_list_has(list, ""));

    char empty[8] = " , ";
    assert_int_equal(origin_list_canonical(empty, sizeof empty, err, sizeof err), 0);
    assert_string_equal(empty, "");
    assert_false(origin_list_has(empty, "https://app.example"));

    char bad[64] = "https://app.example *";
    assert_int_equal(origin_list_canonical(bad, sizeof bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "'*'"));
    assert_string_equal(bad, "https://app.example *");   /* left as it was */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
