/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/text.c: what text_clean makes of text that is not UTF-8, and that valid
 * text comes through unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/text.h"

#define R "\xef\xbf\xbd"      /* U+FFFD */

static void valid_text_is_unchanged(void **state)
{
    char out[64];
    (void)state;
    const char *in = "curl/8.0 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    text_clean(in, out, sizeof out);
    assert_string_equal(out, in);
    assert_true(text_utf8_valid(in));
    text_clean("", out, sizeof out);
    assert_string_equal(out, "");
}

static void bad_bytes_and_controls_become_fffd(void **state)
{
    char out[64];
    (void)state;
    text_clean("bad\xff\xfe" "agent\x01\x7f!", out, sizeof out);
    assert_string_equal(out, "bad" R R "agent" R R "!");
    /* overlong, surrogate, past U+10FFFF, truncated sequence at the end */
    text_clean("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82", out, sizeof out);
    assert_string_equal(out, R R "|" R R R "|" R R R R "|" R R);
    assert_true(text_utf8_valid(out));
    assert_false(text_utf8_valid("a\xe2\x82"));
    assert_false(text_utf8_valid("\xc3\x28"));
}

static void cut_at_a_whole_character(void **state)
{
    char out[8];
    (void)state;
    text_clean("ab\xc3\xa9\xc3\xa9\xc3\xa9", out, sizeof out);   /* 7 bytes fit */
    assert_string_equal(out, "ab\xc3\xa9\xc3\xa9");
    text_clean("\xff\xff\xff", out, sizeof out);                  /* 2 of 3 fit */
    assert_string_equal(out, R R);
    char tiny[4];
    text_clean("\xff", tiny, sizeof tiny);                        /* 3 + NUL */
    assert_string_equal(tiny, R);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_text_is_unchanged),
        cmocka_unit_test(bad_bytes_and_controls_become_fffd),
        cmocka_unit_test(cut_at_a_whole_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
