/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/secret.c: random ids and tokens, successors, token hashes, comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/secret.h"

/* Every char is base64url ([A-Za-z0-9_-]), there are exactly n, then a NUL. */
#define assert_b64url(s, n) check_b64url((s), (n), __FILE__, __LINE__)
static void check_b64url(const char *s, size_t n, const char *file, int line)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strlen(s);
    if (len == n && strspn(s, alphabet) == n)
        return;
    print_error("\"%s\": %zu chars, want %zu base64url chars\n", s, len, n);
    _fail(file, line);
}

/* 0x00, 0x01, ... 0x1f */
static void test_key(unsigned char key[32], unsigned char first)
{
    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)(first + i);
}

static void ids_are_22_base64url_chars(void **state)
{
    char id[SECRET_ID_CHARS + 1];
    assert_int_equal(SECRET_ID_CHARS, 22);
    memset(id, 'X', sizeof id);
    assert_int_equal(secret_id(id), TS_OK);
    assert_b64url(id, 22);
}

/* An id is typed on command lines: it never starts with '-' (1 in 64 would). 20000
 * ids: the chance that a generator that allows it passes is (63/64)^20000, nil; the
 * first character still takes every other value. */
static void ids_never_start_with_a_dash(void **state)
{
    int seen[256] = { 0 }, distinct = 0;
    for (int i = 0; i < 20000; i++) {
        char id[SECRET_ID_CHARS + 1];
        assert_int_equal(secret_id(id), TS_OK);
        assert_int_not_equal(id[0], '-');
        distinct += !seen[(unsigned char)id[0]];
        seen[(unsigned char)id[0]] = 1;
    }
    assert_int_equal(distinct, 63);
}

static void tokens_are_43_base64url_chars(void **state)
{
    char t[SECRET_TOKEN_CHARS + 1];
    assert_int_equal(SECRET_TOKEN_CHARS, 43);
    memset(t, 'X', sizeof t);
    assert_int_equal(secret_token(t), TS_OK);
    assert_b64url(t, 43);
}

static void tokens_and_ids_differ_each_time(void **state)
{
    enum { N = 64 };
    char t[N][SECRET_TOKEN_CHARS + 1], id[N][SECRET_ID_CHARS + 1];
    for (int i = 0; i < N; i++) {
        assert_int_equal(secret_token(t[i]), TS_OK);
        assert_int_equal(secret_id(id[i]), TS_OK);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(t[i], t[j]);
            assert_string_not_equal(id[i], id[j]);
        }
    }
}

/* Over 64 tokens each of the 42 full characters should take many values; a constant
 * or counter-like output would not. (Chance of a false failure: negligible.) */
static void tokens_use_the_whole_alphabet(void **state)
{
    int seen[256] = { 0 }, distinct = 0;
    for (int i = 0; i < 64; i++) {
        char t[SECRET_TOKEN_CHARS + 1];
        assert_int_equal(secret_token(t), TS_OK);
        for (int j = 0; j < 42; j++)
            seen[(unsigned char)t[j]] = 1;
    }
    for (int i = 0; i < 256; i++)
        distinct += seen[i];
    assert_int_equal(distinct, 64);
}

static void random_fills_the_buffer(void **state)
{
    unsigned char a[32], b[32], zero[32] = { 0 };
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    assert_int_equal(secret_random(a, sizeof a), TS_OK);
    assert_int_equal(secret_random(b, sizeof b), TS_OK);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
}

static void successor_is_deterministic(void **state)
{
    unsigned char key[32];
    char tok[SECRET_TOKEN_CHARS + 1], s1[SECRET_TOKEN_CHARS + 1],
        s2[SECRET_TOKEN_CHARS + 1];
    test_key(key, 0);
    assert_int_equal(secret_token(tok), TS_OK);
    assert_int_equal(secret_successor(key, tok, s1), TS_OK);
    assert_int_equal(secret_successor(key, tok, s2), TS_OK);
    assert_b64url(s1, 43);
    assert_string_equal(s1, s2);
    assert_string_not_equal(s1, tok);
}

static void successor_depends_on_key_and_token(void **state)
{
    unsigned char k1[32], k2[32];
    char tok[SECRET_TOKEN_CHARS + 1], other[SECRET_TOKEN_CHARS + 1];
    char a[SECRET_TOKEN_CHARS + 1], b[SECRET_TOKEN_CHARS + 1], c[SECRET_TOKEN_CHARS + 1];
    test_key(k1, 0);
    test_key(k2, 0);
    k2[31] ^= 1;                                   /* one bit apart */
    assert_int_equal(secret_token(tok), TS_OK);
    assert_int_equal(secret_token(other), TS_OK);
    assert_int_equal(secret_successor(k1, tok, a), TS_OK);
    assert_int_equal(secret_successor(k2, tok, b), TS_OK);
    assert_int_equal(secret_successor(k1, other, c), TS_OK);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
}

/* HMAC-SHA256(key 00 01 .. 1f, "abc"), base64url; computed with
 * `openssl dgst -sha256 -mac HMAC -macopt hexkey:0001..1f`. */
static void successor_known_answer(void **state)
{
    unsigned char key[32];
    char out[SECRET_TOKEN_CHARS + 1];
    test_key(key, 0);
    assert_int_equal(secret_successor(key, "abc", out), TS_OK);
    assert_string_equal(out, "8BM3KcQWPe3oHiHNR4OSVtpYFxI4yKDYdDl8c7FOHkc");
    assert_int_equal(secret_successor(key, "", out), TS_OK);
    assert_string_equal(out, "04tCCW2A9F-Ca0Sp1WB95ySWpBXT9KGoyI47udqNwcs");
}

static void hash_known_answers(void **state)
{
    char out[SECRET_TOKEN_CHARS + 1];
    secret_hash("abc", 3, out);
    assert_string_equal(out, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    secret_hash("", 0, out);
    assert_string_equal(out, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    secret_hash("a\0b", 3, out);                   /* length counts, not the NUL */
    assert_string_equal(out, "WbJxrhu8sdMdQZKYF_Sxb7Q5608xUgta0dXOmJIKcTg");
    secret_hash("abcdef", 3, out);                 /* only len bytes */
    assert_string_equal(out, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

static void hash_of_a_token_is_not_the_token(void **state)
{
    char tok[SECRET_TOKEN_CHARS + 1], h1[SECRET_TOKEN_CHARS + 1],
        h2[SECRET_TOKEN_CHARS + 1];
    assert_int_equal(secret_token(tok), TS_OK);
    secret_hash(tok, strlen(tok), h1);
    secret_hash(tok, strlen(tok), h2);
    assert_b64url(h1, 43);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, tok);
}

static void equal_compares_n_bytes(void **state)
{
    const char a[] = "0123456789abcdef", b[] = "0123456789abcdef";
    char c[sizeof a];
    assert_true(secret_equal(a, b, sizeof a));
    memcpy(c, a, sizeof a);
    c[0] ^= 1;
    assert_false(secret_equal(a, c, sizeof a));
    memcpy(c, a, sizeof a);
    c[sizeof a - 2] ^= 0x80;
    assert_false(secret_equal(a, c, sizeof a));
    assert_true(secret_equal(a, c, sizeof a - 2));  /* the difference is past n */
    assert_true(secret_equal(a, "zzz", 0));
    assert_false(secret_equal("abc", "abd", 3));
}

static void wipe_zeroes(void **state)
{
    unsigned char buf[48], zero[48] = { 0 };
    memset(buf, 0xa5, sizeof buf);
    secret_wipe(buf, sizeof buf);
    assert_memory_equal(buf, zero, sizeof buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_are_22_base64url_chars),
        cmocka_unit_test(ids_never_start_with_a_dash),
        cmocka_unit_test(tokens_are_43_base64url_chars),
        cmocka_unit_test(tokens_and_ids_differ_each_time),
        cmocka_unit_test(tokens_use_the_whole_alphabet),
        cmocka_unit_test(random_fills_the_buffer),
        cmocka_unit_test(successor_is_deterministic),
        cmocka_unit_test(successor_depends_on_key_and_token),
        cmocka_unit_test(successor_known_answer),
        cmocka_unit_test(hash_known_answers),
        cmocka_unit_test(hash_of_a_token_is_not_the_token),
        cmocka_unit_test(equal_compares_n_bytes),
        cmocka_unit_test(wipe_zeroes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
