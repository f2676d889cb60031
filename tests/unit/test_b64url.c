/* SPDX-License-Identifier: Apache-2.0 */
/* lib/b64url.c: base64url without padding, strict decoding (one encoding per bytes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tessera.h"

/* RFC 4648 section 10's vectors, in the URL-safe alphabet and without padding. */
static const struct {
    const char *raw, *enc;
} rfc4648[] = {
    { "", "" },          { "f", "Zg" },         { "fo", "Zm8" },
    { "foo", "Zm9v" },   { "foob", "Zm9vYg" },  { "fooba", "Zm9vYmE" },
    { "foobar", "Zm9vYmFy" },
};

static tessera_status decode_str(const char *s, uint8_t *out, size_t *out_len)
{
    return tessera_b64url_decode(s, strlen(s), out, out_len);
}

static void encodes_rfc4648_vectors(void **state)
{
    char out[16];
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        size_t n = strlen(rfc4648[i].raw);
        assert_int_equal(tessera_b64url_encoded_len(n), strlen(rfc4648[i].enc));
        memset(out, 'X', sizeof out);
        assert_int_equal(tessera_b64url_encode((const uint8_t *)rfc4648[i].raw, n, out),
                         strlen(rfc4648[i].enc));
        assert_string_equal(out, rfc4648[i].enc);
    }
}

static void decodes_rfc4648_vectors(void **state)
{
    uint8_t out[16];
    size_t n;
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        n = 99;
        assert_int_equal(decode_str(rfc4648[i].enc, out, &n), TESSERA_OK);
        assert_int_equal(n, strlen(rfc4648[i].raw));
        assert_memory_equal(out, rfc4648[i].raw, n);
    }
}

/* 0xfb 0xff is "+/8" in base64 and must be "-_8" in base64url. */
static void uses_the_url_safe_alphabet(void **state)
{
    const uint8_t raw[] = { 0xfb, 0xff, 0xbf };
    uint8_t back[3];
    char out[8];
    size_t n;

    tessera_b64url_encode(raw, 2, out);
    assert_string_equal(out, "-_8");
    tessera_b64url_encode(raw, 3, out);
    assert_string_equal(out, "-_-_");
    assert_int_equal(decode_str("-_-_", back, &n), TESSERA_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(back, raw, 3);
}

static void roundtrips_every_length(void **state)
{
    uint8_t raw[300], back[300];
    char enc[401];
    size_t n;

    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)(i * 151 + 7);
    for (size_t len = 0; len <= sizeof raw; len++) {
        size_t e = tessera_b64url_encode(raw, len, enc);
        assert_int_equal(e, tessera_b64url_encoded_len(len));
        assert_int_equal(strlen(enc), e);
        assert_true(e * 3 / 4 <= sizeof back);
        assert_int_equal(tessera_b64url_decode(enc, e, back, &n), TESSERA_OK);
        assert_int_equal(n, len);
        assert_memory_equal(back, raw, len);
    }
}

static void rejects_padding(void **state)
{
    uint8_t out[16];
    size_t n;
    assert_int_equal(decode_str("Zg==", out, &n), TESSERA_ERR_MALFORMED);
    assert_int_equal(decode_str("Zm8=", out, &n), TESSERA_ERR_MALFORMED);
    assert_int_equal(decode_str("Zg=", out, &n), TESSERA_ERR_MALFORMED);
    assert_int_equal(decode_str("=", out, &n), TESSERA_ERR_MALFORMED);
}

static void rejects_bytes_outside_the_alphabet(void **state)
{
    static const char *const bad[] = {
        "Zm9v+g", "Zm9v/g", "Zm9 v", "Zm9v\n", " Zm9v", "Zm.v", "Zm9v\t", "Zm\xc3\xa9v",
    };
    uint8_t out[16];
    size_t n;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(decode_str(bad[i], out, &n), TESSERA_ERR_MALFORMED);
    /* An embedded NUL, counted by the length. */
    assert_int_equal(tessera_b64url_decode("Zm\0v", 4, out, &n), TESSERA_ERR_MALFORMED);
    /* Every single byte outside the alphabet, in every position of a group. */
    for (int c = 0; c < 256; c++) {
        char s[5] = "AAAA";
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '-' || c == '_')
            continue;
        for (int pos = 0; pos < 4; pos++) {
            memcpy(s, "AAAA", 4);
            s[pos] = (char)c;
            assert_int_equal(tessera_b64url_decode(s, 4, out, &n), TESSERA_ERR_MALFORMED);
        }
    }
}

static void rejects_impossible_lengths(void **state)
{
    uint8_t out[16];
    size_t n;
    assert_int_equal(decode_str("Z", out, &n), TESSERA_ERR_MALFORMED);
    assert_int_equal(decode_str("Zm9vY", out, &n), TESSERA_ERR_MALFORMED);
}

/* "Zg" is the only encoding of "f": "Zh".."Zv" decode to the same byte in a lax
 * decoder, which would make a second valid token out of every token. */
static void rejects_nonzero_trailing_bits(void **state)
{
    uint8_t out[16];
    size_t n;

    assert_int_equal(decode_str("Zg", out, &n), TESSERA_OK);
    assert_int_equal(decode_str("Zh", out, &n), TESSERA_ERR_MALFORMED);
    assert_int_equal(decode_str("Zv", out, &n), TESSERA_ERR_MALFORMED);
    assert_int_equal(decode_str("Zm8", out, &n), TESSERA_OK);
    assert_int_equal(decode_str("Zm9", out, &n), TESSERA_ERR_MALFORMED);
    assert_int_equal(decode_str("Zm_", out, &n), TESSERA_ERR_MALFORMED);
    /* Every character that may end a 2- or 3-character group. */
    for (int v = 0; v < 64; v++) {
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char two[3] = { 'A', alphabet[v], 0 }, three[4] = { 'A', 'A', alphabet[v], 0 };
        assert_int_equal(decode_str(two, out, &n) == TESSERA_OK, (v & 0x0f) == 0);
        assert_int_equal(decode_str(three, out, &n) == TESSERA_OK, (v & 0x03) == 0);
    }
}

static void empty_input_is_empty_output(void **state)
{
    uint8_t out[1];
    size_t n = 7;
    assert_int_equal(tessera_b64url_decode("", 0, out, &n), TESSERA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tessera_b64url_encoded_len(0), 0);
}

static void decodes_only_len_bytes(void **state)
{
    uint8_t out[16];
    size_t n;
    /* The input need not be NUL-terminated: a token segment is a slice. */
    assert_int_equal(tessera_b64url_decode("Zm9v.garbage", 4, out, &n), TESSERA_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "foo", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes_rfc4648_vectors),
        cmocka_unit_test(decodes_rfc4648_vectors),
        cmocka_unit_test(uses_the_url_safe_alphabet),
        cmocka_unit_test(roundtrips_every_length),
        cmocka_unit_test(rejects_padding),
        cmocka_unit_test(rejects_bytes_outside_the_alphabet),
        cmocka_unit_test(rejects_impossible_lengths),
        cmocka_unit_test(rejects_nonzero_trailing_bits),
        cmocka_unit_test(empty_input_is_empty_output),
        cmocka_unit_test(decodes_only_len_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
