/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/token_cache.c: verified claims remembered per token, until exp or a key-ring
 * reload, in bounded memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/token_cache.h"
#include "tessera.h"

/* Real verified claims: an HS256 token made and verified with the public API. */
static tessera_claims *claims_for(const char *sub, int64_t exp, char **token)
{
    static const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";
    tessera_key *k = NULL;
    tessera_keyset *ks = NULL;
    tessera_claims *c = NULL;
    char body[256];
    assert_int_equal(tessera_key_from_secret(secret, sizeof secret, "k1", &k), TESSERA_OK);
    snprintf(body, sizeof body, "{\"sub\":\"%s\",\"exp\":%lld}", sub, (long long)exp);
    assert_int_equal(tessera_jwt_sign(k, NULL, body, strlen(body), token), TESSERA_OK);
    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, k), TESSERA_OK);
    tessera_expect ex = { 0 };
    ex.now = exp - 10;
    assert_int_equal(tessera_verify(ks, *token, strlen(*token), &ex, &c), TESSERA_OK);
    tessera_keyset_free(ks);
    return c;
}

/* Lookups by token, as token_authenticate does them: the key, then the cache. */
static tessera_claims *get(struct token_cache *tc, const char *t, size_t n,
                           unsigned long gen, int64_t now)
{
    unsigned char key[32];
    token_cache_key(t, n, key);
    return token_cache_get(tc, key, gen, now);
}

static void put(struct token_cache *tc, const char *t, size_t n, unsigned long gen,
                int64_t exp, const tessera_claims *c)
{
    unsigned char key[32];
    token_cache_key(t, n, key);
    token_cache_put(tc, key, gen, exp, c);
}

static void hit_until_exp_and_generation(void **state)
{
    struct token_cache *tc = token_cache_new();
    char *tok;
    tessera_claims *c = claims_for("alice", 2000000000, &tok);
    size_t n = strlen(tok);

    assert_null(get(tc, tok, n, 1, 1999999000));
    put(tc, tok, n, 1, 2000000000, c);
    tessera_claims *hit = get(tc, tok, n, 1, 1999999000);
    assert_non_null(hit);
    assert_string_equal(tessera_claims_string(hit, "sub"), "alice");
    tessera_claims_free(hit);
    /* expired, another key-ring generation, another token: misses */
    assert_null(get(tc, tok, n, 1, 2000000000));
    assert_null(get(tc, tok, n, 2, 1999999000));
    assert_null(get(tc, tok, n - 1, 1, 1999999000));
    tessera_claims_free(c);          /* the cache keeps its own handle */
    hit = get(tc, tok, n, 1, 1999999000);
    assert_non_null(hit);
    tessera_claims_free(hit);
    free(tok);
    token_cache_free(tc);
}

static void bounded_under_many_tokens(void **state)
{
    struct token_cache *tc = token_cache_new();
    char *tok;
    tessera_claims *c = claims_for("bob", 2000000000, &tok);
    char other[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(other, sizeof other, "token-%d", i);
        put(tc, other, strlen(other), 1, 2000000000, c);
    }
    /* 16 x 256 slots at most: early entries were replaced, nothing grew */
    int hits = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(other, sizeof other, "token-%d", i);
        tessera_claims *h = get(tc, other, strlen(other), 1, 1);
        hits += h != NULL;
        tessera_claims_free(h);
    }
    assert_true(hits <= 16 * 256 && hits > 0);
    tessera_claims_free(c);
    free(tok);
    token_cache_free(tc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_until_exp_and_generation),
        cmocka_unit_test(bounded_under_many_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
