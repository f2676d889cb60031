/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/jsonw.c: the hot-path JSON writer must produce JSON that jansson reads back
 * to the same values, whatever the strings hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"

static void members_round_trip(void **state)
{
    struct jw w;
    size_t len;
    jw_init(&w);
    jw_open(&w);
    jw_str(&w, "s", "quote\" backslash\\ nl\n tab\t ctl\x01 utf8 \xc3\xa9");
    jw_int(&w, "i", -9007199254740993LL);
    jw_bool(&w, "t", 1);
    jw_bool(&w, "f", 0);
    jw_raw(&w, "roles", "[\"a\",\"b\"]");
    jw_strn(&w, "n", "abcdef", 3);
    jw_close(&w);
    char *s = jw_finish(&w, &len);
    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    json_error_t je;
    json_t *o = json_loads(s, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "s")),
                        "quote\" backslash\\ nl\n tab\t ctl\x01 utf8 \xc3\xa9");
    assert_int_equal(json_integer_value(json_object_get(o, "i")), -9007199254740993LL);
    assert_true(json_is_true(json_object_get(o, "t")));
    assert_true(json_is_false(json_object_get(o, "f")));
    assert_int_equal(json_array_size(json_object_get(o, "roles")), 2);
    assert_string_equal(json_string_value(json_object_get(o, "n")), "abc");
    json_decref(o);
    free(s);
}

/* Bytes that are not well-formed UTF-8 (a request path can hold any) come out as
 * U+FFFD, one per byte that starts no valid sequence; valid sequences pass as they are.
 * The result is always JSON that jansson (strict about UTF-8) reads. */
static void invalid_utf8_becomes_replacement_characters(void **state)
{
    static const struct { const char *in, *out; } cases[] = {
        { "/a\xff\xfe", "/a\xef\xbf\xbd\xef\xbf\xbd" },          /* stray bytes */
        { "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },               /* overlong '/' */
        { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
        { "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
        { "ok\xc3", "ok\xef\xbf\xbd" },                             /* cut short */
        { "\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct jw w;
        size_t len;
        jw_init(&w);
        jw_open(&w);
        jw_str(&w, "p", cases[i].in);
        jw_close(&w);
        char *s = jw_finish(&w, &len);
        assert_non_null(s);
        json_error_t je;
        json_t *o = json_loads(s, 0, &je);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "p")), cases[i].out);
        json_decref(o);
        free(s);
    }
}

static void grows_past_the_inline_buffer(void **state)
{
    struct jw w;
    size_t len;
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    jw_init(&w);
    jw_open(&w);
    for (int i = 0; i < 3; i++)
        jw_str(&w, i == 0 ? "a" : i == 1 ? "b" : "c", big);
    jw_close(&w);
    char *s = jw_finish(&w, &len);
    assert_non_null(s);
    json_t *o = json_loads(s, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_string_length(json_object_get(o, "c")), sizeof big - 1);
    json_decref(o);
    free(s);
}

static void empty_object(void **state)
{
    struct jw w;
    jw_init(&w);
    jw_open(&w);
    jw_close(&w);
    char *s = jw_finish(&w, NULL);
    assert_string_equal(s, "{}");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(members_round_trip),
        cmocka_unit_test(invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(grows_past_the_inline_buffer),
        cmocka_unit_test(empty_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
