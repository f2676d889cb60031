/* SPDX-License-Identifier: Apache-2.0 */
/* src/http/headers.c and request.c's lookups: the header lines' framing rules,
 * repeated singletons, list headers across lines, read through struct request_io. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http/headers.h"
#include "http/http.h"

/* Lines as { name, value } pairs, ended by a NULL name; headers and query alike. */
struct lines {
    const char *const (*h)[2];
    const char *const (*q)[2];
};

static void lines_each(void *src, enum http_kind kind, http_line_fn fn, void *cls)
{
    const struct lines *l = src;
    const char *const (*p)[2] = kind == HTTP_KIND_HEADER ? l->h : l->q;
    for (; p && (*p)[0]; p++)
        if (fn(cls, (*p)[0], (*p)[1]))
            return;
}

static const struct request_io lines_io = { lines_each, NULL };

#define HOST { "Host", "tessera.test" }
#define END { NULL, NULL }

/* http_headers_check on these header lines: 0, or -1 with the sentence in why. */
static int check(const char *const (*h)[2], const char *version, const char *extra,
                 char why[256])
{
    struct lines l = { h, NULL };
    struct request req = { .io = &lines_io, .io_src = &l };
    why[0] = '\0';
    return http_headers_check(&req, version, extra, why, 256);
}

static void ordinary_requests_pass(void **state)
{
    char why[256];
    const char *const h[][2] = { HOST, { "Accept", "a" }, { "Accept", "b" },
                                 { "Authorization", "Bearer x" }, END };
    assert_int_equal(check(h, "HTTP/1.1", NULL, why), 0);
    const char *const h10[][2] = { { "User-Agent", "old" }, END };
    assert_int_equal(check(h10, "HTTP/1.0", NULL, why), 0);     /* no Host needed */
}

static void a_repeated_singleton_is_refused_in_any_case(void **state)
{
    static const char *const names[] = {
        "Content-Type", "Authorization", "User-Agent", "X-Original-URI",
        "X-Original-Method", "X-Forwarded-Uri", "X-Forwarded-Method",
        "X-Forwarded-Proto", "Origin", "Access-Control-Request-Method",
    };
    char why[256], want[256], lower[64];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t k;
        for (k = 0; names[i][k] && k < sizeof lower - 1; k++)
            lower[k] = (char)(names[i][k] | 0x20);
        lower[k] = '\0';
        const char *const h[][2] = { HOST, { names[i], "one" }, { lower, "two" }, END };
        assert_int_equal(check(h, "HTTP/1.1", NULL, why), -1);
        snprintf(want, sizeof want, "The header %s appears more than once.", names[i]);
        assert_string_equal(why, want);
    }
    /* the configured client-certificate header too, only when configured */
    const char *const h[][2] = { HOST, { "X-Client-Cert", "a" }, { "X-Client-Cert", "b" },
                                 END };
    assert_int_equal(check(h, "HTTP/1.1", NULL, why), 0);
    assert_int_equal(check(h, "HTTP/1.1", "", why), 0);
    assert_int_equal(check(h, "HTTP/1.1", "x-client-cert", why), -1);
    assert_string_equal(why, "The header x-client-cert appears more than once.");
}

static void framing_rules(void **state)
{
    char why[256];
    const char *const nohost[][2] = { { "Accept", "*/*" }, END };
    assert_int_equal(check(nohost, "HTTP/1.1", NULL, why), -1);
    assert_string_equal(why, "An HTTP/1.1 request carries exactly one Host header.");
    const char *const twohosts[][2] = { HOST, { "host", "other" }, END };
    assert_int_equal(check(twohosts, "HTTP/1.1", NULL, why), -1);

    const char *const twocl[][2] = { HOST, { "Content-Length", "1" },
                                     { "Content-Length", "1" }, END };
    assert_int_equal(check(twocl, "HTTP/1.1", NULL, why), -1);
    assert_string_equal(why, "The request has more than one Content-Length header.");
    const char *const clte[][2] = { HOST, { "Content-Length", "1" },
                                    { "Transfer-Encoding", "chunked" }, END };
    assert_int_equal(check(clte, "HTTP/1.1", NULL, why), -1);
    assert_string_equal(why, "The request has both Content-Length and Transfer-Encoding.");
    const char *const gzip[][2] = { HOST, { "Transfer-Encoding", "gzip" }, END };
    assert_int_equal(check(gzip, "HTTP/1.1", NULL, why), -1);
    assert_string_equal(why, "The only Transfer-Encoding accepted is chunked.");
    const char *const chunked[][2] = { HOST, { "Transfer-Encoding", "Chunked" }, END };
    assert_int_equal(check(chunked, "HTTP/1.1", NULL, why), 0);
    assert_int_equal(check(chunked, "HTTP/1.0", NULL, why), -1);
    assert_string_equal(why, "An HTTP/1.0 request cannot use Transfer-Encoding.");

    const char *const badname[][2] = { HOST, { "X-Original-URI ", "/admin" }, END };
    assert_int_equal(check(badname, "HTTP/1.1", NULL, why), -1);
    assert_non_null(strstr(why, "A header field name is malformed"));
}

static void a_list_header_is_read_across_its_lines(void **state)
{
    const char *const h[][2] = { HOST, { "X-Forwarded-For", "192.0.2.1, 10.0.0.1" },
                                 { "Accept", "x" }, { "x-forwarded-for", "10.0.0.2" }, END };
    struct lines l = { h, NULL };
    struct request req = { .io = &lines_io, .io_src = &l };
    char out[64], small[20];
    assert_int_equal(http_header_list(&req, "X-Forwarded-For", out, sizeof out), 1);
    assert_string_equal(out, "192.0.2.1, 10.0.0.1, 10.0.0.2");
    assert_int_equal(http_header_list(&req, "Forwarded", out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(http_header_list(&req, "X-Forwarded-For", small, sizeof small), -1);
    /* http_header answers the first line only */
    assert_string_equal(http_header(&req, "X-FORWARDED-FOR"), "192.0.2.1, 10.0.0.1");
}

static void query_lookups(void **state)
{
    const char *const q[][2] = { { "Scope", "a" }, { "scope", "b" }, { "flag", NULL }, END };
    struct lines l = { NULL, q };
    struct request req = { .io = &lines_io, .io_src = &l };
    const char *first = "unset";
    /* http_query: any case, the first line; http_query_all: exact case, counted */
    assert_string_equal(http_query(&req, "scope"), "a");
    assert_int_equal(http_query_all(&req, "scope", &first), 1);
    assert_string_equal(first, "b");
    assert_int_equal(http_query_all(&req, "flag", &first), 1);
    assert_string_equal(first, "");
    assert_null(http_query(&req, "flag"));
    assert_int_equal(http_query_all(&req, "none", &first), 0);
    assert_null(first);
    assert_null(http_header(&req, "Scope"));          /* a query argument, not a header */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ordinary_requests_pass),
        cmocka_unit_test(a_repeated_singleton_is_refused_in_any_case),
        cmocka_unit_test(framing_rules),
        cmocka_unit_test(a_list_header_is_read_across_its_lines),
        cmocka_unit_test(query_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
