/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWK and JWKS documents (lib/jwk.c, lib/keyset.c): what a verifier fetches from an
 * issuer's jwks_uri, so untrusted text. The input is parsed as a JWKS and as one JWK.
 * Properties: on error nothing is handed back; a parsed key written out as a JWK
 * (public, and private when it is one) parses again to a key with the same kid, alg
 * and thumbprint; a parsed set written out as a JWKS (public keys only, no HS256
 * secrets) parses again to the same keys, in order, by kid and alg.
 */
#include <string.h>

#include "fuzz.h"
#include "tessera.h"

static void roundtrip_key(const tessera_key *k)
{
    char tp[44], tp2[44];
    FUZZ_CHECK(tessera_key_thumbprint(k, tp) == TESSERA_OK);
    FUZZ_CHECK(strlen(tp) == 43);
    /* An HS256 key is all secret: it has no public form to write. */
    int first = tessera_key_alg(k) == TESSERA_ALG_HS256;
    for (int priv = first; priv <= tessera_key_is_private(k); priv++) {
        char *jwk = tessera_key_to_jwk(k, priv);
        tessera_key *k2 = NULL;
        FUZZ_CHECK(jwk);
        tessera_status st = tessera_key_from_jwk(jwk, strlen(jwk), &k2);
        if (st != TESSERA_OK) {
            fprintf(stderr, "re-parse of %s failed: %s\n", jwk, tessera_strerror(st));
            FUZZ_CHECK(st == TESSERA_OK);
        }
        FUZZ_CHECK(strcmp(tessera_key_kid(k), tessera_key_kid(k2)) == 0);
        FUZZ_CHECK(tessera_key_alg(k) == tessera_key_alg(k2));
        FUZZ_CHECK(tessera_key_is_private(k2) == priv);
        FUZZ_CHECK(tessera_key_thumbprint(k2, tp2) == TESSERA_OK);
        FUZZ_CHECK(strcmp(tp, tp2) == 0);
        tessera_key_free(k2);
        free(jwk);
    }
}

static void roundtrip_set(tessera_keyset *ks)
{
    size_t n = tessera_keyset_count(ks), pub = 0;
    for (size_t i = 0; i < n; i++) {
        const tessera_key *key = tessera_keyset_get(ks, i);
        FUZZ_CHECK(key);
        FUZZ_CHECK(tessera_keyset_find(ks, tessera_key_kid(key)) == key);
        pub += tessera_key_alg(key) != TESSERA_ALG_HS256;
    }
    char *doc = tessera_keyset_to_jwks(ks);
    FUZZ_CHECK(doc);
    tessera_keyset *ks2 = NULL;
    tessera_status st = tessera_keyset_from_jwks(doc, strlen(doc), &ks2);
    if (st != TESSERA_OK) {
        fprintf(stderr, "re-parse of %s failed: %s\n", doc, tessera_strerror(st));
        FUZZ_CHECK(st == TESSERA_OK);
    }
    /* Shared secrets are never published: the JWKS has the other keys. */
    FUZZ_CHECK(tessera_keyset_count(ks2) == pub);
    for (size_t i = 0, j = 0; i < n; i++) {
        const tessera_key *key = tessera_keyset_get(ks, i);
        if (tessera_key_alg(key) == TESSERA_ALG_HS256)
            continue;
        const tessera_key *back = tessera_keyset_get(ks2, j++);
        FUZZ_CHECK(strcmp(tessera_key_kid(key), tessera_key_kid(back)) == 0);
        FUZZ_CHECK(tessera_key_alg(key) == tessera_key_alg(back));
        FUZZ_CHECK(!tessera_key_is_private(back));
    }
    tessera_keyset_free(ks2);
    free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    tessera_keyset *ks = (tessera_keyset *)&ks;
    tessera_key *k = (tessera_key *)&k;

    if (tessera_keyset_from_jwks(text, size, &ks) == TESSERA_OK) {
        roundtrip_set(ks);
        tessera_keyset_free(ks);
    } else {
        FUZZ_CHECK(ks == NULL);
    }
    if (tessera_key_from_jwk(text, size, &k) == TESSERA_OK) {
        roundtrip_key(k);
        tessera_key_free(k);
    } else {
        FUZZ_CHECK(k == NULL);
    }
    return 0;
}
