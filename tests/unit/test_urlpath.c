/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/urlpath.c: the canonical request path and method that forward-auth rules
 * are matched against, and what is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/urlpath.h"

static void expect_path(const char *in, const char *want)
{
    char out[URLPATH_MAX];
    const char *why = NULL;
    if (urlpath_canonical(in, out, sizeof out, &why) != 0) {
        print_error("%s: refused (%s), want %s\n", in, why, want);
        fail();
    }
    if (strcmp(out, want) != 0) {
        print_error("%s: got %s, want %s\n", in, out, want);
        fail();
    }
}

static void expect_refused(const char *in)
{
    char out[URLPATH_MAX];
    const char *why = NULL;
    if (urlpath_canonical(in, out, sizeof out, &why) == 0) {
        print_error("%s: accepted as %s\n", in, out);
        fail();
    }
    assert_non_null(why);
}

/* The review's bypasses: each spelling names the route the rule protects. */
static void attack_forms_become_the_protected_path(void **state)
{
    expect_path("/v1/%73kills/1", "/v1/skills/1");
    expect_path("/v1/%73%6B%69%6c%6C%73/1", "/v1/skills/1");
    expect_path("//v1/admin-api/users", "/v1/admin-api/users");
    expect_path("/v1//admin-api///users", "/v1/admin-api/users");
    expect_path("/v1/./admin-api/x", "/v1/admin-api/x");
    expect_path("/v1/x/../admin-api/x", "/v1/admin-api/x");
    expect_path("/v1/public/../skills/1", "/v1/skills/1");
    expect_path("/v1/public/%2e%2E/skills/1", "/v1/skills/1");
    expect_path("/v1/public/.%2e/skills/1?x=/v1/public", "/v1/skills/1");
    expect_path("/v1/a/b/../../skills", "/v1/skills");
}

static void dot_segments_and_slashes(void **state)
{
    expect_path("/", "/");
    expect_path("//", "/");
    expect_path("/a/", "/a/");
    expect_path("/a//", "/a/");
    expect_path("/a/.", "/a/");             /* RFC 3986 5.2.4: a final dot segment */
    expect_path("/a/b/..", "/a/");          /* leaves the "directory" */
    expect_path("/a/./b/./", "/a/b/");
    expect_path("/./a", "/a");
    expect_path("/a/..", "/");
    expect_path("/a/.//b", "/a/b");
    expect_path("/a/...", "/a/...");        /* not a dot segment */
    expect_path("/a/.b/..c", "/a/.b/..c");
    expect_path("/v1/skills?page=2#frag", "/v1/skills");
    expect_path("/v1/skills?", "/v1/skills");
}

/* Decoded: unreserved and the other bytes allowed in a segment. Encoded (upper-case
 * hex): everything else, whether it came encoded or not. */
static void one_spelling_per_byte(void **state)
{
    expect_path("/%41%7a%30%2D%2e%5F%7E", "/Az0-._~");
    expect_path("/%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A%40", "/!$&'()*+,;=:@");
    expect_path("/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;=");
    expect_path("/caf%c3%a9", "/caf%C3%A9");
    expect_path("/caf\xc3\xa9", "/caf%C3%A9");
    expect_path("/a%20b", "/a%20b");
    expect_path("/100%25", "/100%25");
    expect_path("/100%25x", "/100%25x");
    expect_path("/a%3fb%23c", "/a%3Fb%23c");
    expect_path("/a|b^c`d{e}f\"g<h>i[j]", "/a%7Cb%5Ec%60d%7Be%7Df%22g%3Ch%3Ei%5Bj%5D");
    expect_path("/a%7cb", "/a%7Cb");
    expect_path("/%0a", "/%0A");            /* an encoded control byte is data */
}

static void refused_forms(void **state)
{
    expect_refused("");
    expect_refused("v1/skills");
    expect_refused("*");
    expect_refused("http://host/v1/skills");
    expect_refused("?x=1");
    /* encoded '/', '\', NUL: one layer would see other segments, or a shorter path */
    expect_refused("/v1%2Fadmin-api/users");
    expect_refused("/v1%2fadmin-api");
    expect_refused("/v1/%5Cadmin");
    expect_refused("/v1/%5cadmin");
    expect_refused("/v1/public%00/../admin");
    /* bad percent-encoding */
    expect_refused("/v1/%");
    expect_refused("/v1/%4");
    expect_refused("/v1/%4g");
    expect_refused("/v1/%%41");
    expect_refused("/v1/%G1");
    /* a double encoding: decoded twice somewhere, it is another path */
    expect_refused("/v1/%2573kills");
    expect_refused("/v1/public/%252e%252e/admin");
    expect_refused("/v1/%252F");
    expect_refused("/v1/%25%37%33kills");   /* "%73" once decoded */
    expect_refused("/v1/%2573");
    /* raw bytes that servers split, cut or map to '/' */
    expect_refused("/v1\\admin");
    expect_refused("/v1/a b");
    expect_refused("/v1/a\tb");
    expect_refused("/v1/a\rb");
    expect_refused("/v1/a\x7f");
    expect_refused("/v1/public#/../admin");
    /* dot segments that cannot be resolved one way */
    expect_refused("/..");
    expect_refused("/../v1/skills");
    expect_refused("/a/../..");
    expect_refused("/a/%2e%2e/%2E%2E/x");
    expect_refused("/a//../b");             /* "/b" merged first, "/a/b" by RFC 3986 */
    expect_refused("/a//./../b");
    expect_refused("//..");
    expect_refused("/v1/public/..;/admin");
    expect_refused("/v1/public/.;x/admin");
    expect_refused("/v1/public/%2e%2e%3b/admin");
}

static void the_canonical_form_is_a_fixpoint(void **state)
{
    /* Random paths made of tricky pieces: whatever is accepted canonicalises to
     * itself again, and is a valid pattern of itself. */
    static const char *const piece[] = {
        "/", "/", "/", ".", "..", "%2e", "%2E", "%2F", "%41", "%61", "%25", "%7c",
        "%C3", "%", "a", "b", "~", ":", ";", "?", "#", "\\", " ", "\xc3", "*",
    };
    char in[128], out[URLPATH_MAX], again[URLPATH_MAX], pat[URLPATH_MAX];
    const char *why;
    unsigned seed = 12345, accepted = 0;
    for (int i = 0; i < 200000; i++) {
        size_t n = 1;
        in[0] = '/';
        size_t pieces = (seed = seed * 1103515245u + 12345u) >> 16 & 15;
        for (size_t k = 0; k < pieces; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *pc = piece[(seed >> 16) % (sizeof piece / sizeof piece[0])];
            memcpy(in + n, pc, strlen(pc));
            n += strlen(pc);
        }
        in[n] = '\0';
        if (urlpath_canonical(in, out, sizeof out, &why) != 0)
            continue;
        accepted++;
        assert_int_equal(out[0], '/');
        assert_null(strstr(out, "//"));
        assert_null(strstr(out, "/./"));
        assert_null(strstr(out, "/../"));
        assert_int_equal(urlpath_canonical(out, again, sizeof again, &why), 0);
        assert_string_equal(out, again);
        assert_int_equal(urlpath_pattern(out, pat, sizeof pat, &why), 0);
        assert_string_equal(out, pat);
    }
    assert_true(accepted > 1000);
}

static void limits(void **state)
{
    char in[URLPATH_MAX + 2], out[URLPATH_MAX], small[8];
    const char *why = NULL;
    memset(in, 'a', sizeof in);
    in[0] = '/';
    in[URLPATH_MAX - 1] = '\0';             /* URLPATH_MAX - 1 bytes: taken */
    assert_int_equal(urlpath_canonical(in, out, sizeof out, &why), 0);
    assert_string_equal(in, out);
    in[URLPATH_MAX - 1] = 'a';
    in[URLPATH_MAX] = '\0';                 /* one more: refused before any work */
    assert_int_equal(urlpath_canonical(in, out, sizeof out, &why), -1);
    assert_non_null(strstr(why, "too long"));
    /* what is taken must also fit once spelled out */
    assert_int_equal(urlpath_canonical("/abcdef", small, sizeof small, &why), 0);
    assert_string_equal(small, "/abcdef");
    assert_int_equal(urlpath_canonical("/abcdefg", small, sizeof small, &why), -1);
    assert_int_equal(urlpath_canonical("/ab\xc3\xa9", small, sizeof small, &why), -1);
    assert_int_equal(urlpath_canonical("/a/../c", small, sizeof small, &why), 0);
    assert_string_equal(small, "/c");
    /* the query does not count */
    assert_int_equal(urlpath_canonical("/abc?0123456789", small, sizeof small, &why), 0);
    assert_string_equal(small, "/abc");
}

static void patterns(void **state)
{
    char out[256];
    const char *why;
    assert_int_equal(urlpath_pattern("/v1/skills*", out, sizeof out, &why), 0);
    assert_string_equal(out, "/v1/skills*");
    assert_int_equal(urlpath_pattern("/f?o/*/x", out, sizeof out, &why), 0);
    assert_string_equal(out, "/f?o/*/x");   /* '?' stays the wildcard */
    assert_int_equal(urlpath_pattern("/v1/%73kills*", out, sizeof out, &why), 0);
    assert_string_equal(out, "/v1/skills*");
    assert_int_equal(urlpath_pattern("/caf\xc3\xa9/%3f", out, sizeof out, &why), 0);
    assert_string_equal(out, "/caf%C3%A9/%3F");
    assert_int_equal(urlpath_pattern("/admin/", out, sizeof out, &why), 0);
    assert_string_equal(out, "/admin/");
    /* could never match a canonical path */
    static const char *const never[] = {
        "/v1/../admin/*", "/v1/./x", "/v1//x", "//v1", "/v1/..", "/v1/%2e/x",
        "/v1%2Fx", "/a\\b", "/a%zz", "/a b", "v1/x", "/..;/x",
    };
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        why = NULL;
        if (urlpath_pattern(never[i], out, sizeof out, &why) == 0) {
            print_error("pattern %s accepted as %s\n", never[i], out);
            fail();
        }
        assert_non_null(why);
    }
}

static void methods(void **state)
{
    char m[URLPATH_METHOD_MAX];
    assert_int_equal(urlpath_method("GET", m), 0);
    assert_string_equal(m, "GET");
    assert_int_equal(urlpath_method("post", m), 0);
    assert_string_equal(m, "POST");         /* never slips past a POST rule */
    assert_int_equal(urlpath_method("Delete", m), 0);
    assert_string_equal(m, "DELETE");
    assert_int_equal(urlpath_method("M-SEARCH", m), 0);
    assert_string_equal(m, "M-SEARCH");
    assert_int_equal(urlpath_method("X!#$%&'*+-.^_`|~9", m), 0);
    assert_int_equal(urlpath_method("", m), -1);
    assert_int_equal(urlpath_method("GET ", m), -1);
    assert_int_equal(urlpath_method(" GET", m), -1);
    assert_int_equal(urlpath_method("GE T", m), -1);
    assert_int_equal(urlpath_method("GET\r\n", m), -1);
    assert_int_equal(urlpath_method("GET,POST", m), -1);
    assert_int_equal(urlpath_method("G\xc3\x89T", m), -1);
    assert_int_equal(urlpath_method("(GET)", m), -1);
    char longm[URLPATH_METHOD_MAX + 1];
    memset(longm, 'A', sizeof longm);
    longm[URLPATH_METHOD_MAX - 1] = '\0';   /* 31 letters: taken */
    assert_int_equal(urlpath_method(longm, m), 0);
    longm[URLPATH_METHOD_MAX - 1] = 'A';
    longm[URLPATH_METHOD_MAX] = '\0';       /* 32: refused */
    assert_int_equal(urlpath_method(longm, m), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attack_forms_become_the_protected_path),
        cmocka_unit_test(dot_segments_and_slashes),
        cmocka_unit_test(one_spelling_per_byte),
        cmocka_unit_test(refused_forms),
        cmocka_unit_test(the_canonical_form_is_a_fixpoint),
        cmocka_unit_test(limits),
        cmocka_unit_test(patterns),
        cmocka_unit_test(methods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
