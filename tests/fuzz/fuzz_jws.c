/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWS compact parsing and verification (lib/jws_verify.c, lib/claims.c) and the
 * signing side it must agree with (lib/jws_sign.c).
 *
 * One keyset is built once, through the public API: ES256, EdDSA, RS256, PS256 and
 * HS256 keys with the fixed kids "es", "ed", "rs", "ps", "hs" (so that seed tokens
 * can name them), plus a one-key set (the EdDSA key) that accepts a header without
 * kid. Each input is:
 *   1. a token to verify as is: tessera_jws_verify and tessera_verify against both
 *      sets, with no expectations and with issuer/audience/typ/time expectations;
 *   2. when its first two segments decode, a header and payload to sign again with
 *      the key of the header's alg and verify (this is how the fuzzer reaches the
 *      header checks and the claims checks past a valid signature):
 *        - tessera_jws_sign_raw(header, payload): our own fresh token never fails
 *          with TESSERA_ERR_SIGNATURE, and a verified payload is the one signed;
 *        - tessera_jwt_sign(typ, payload as claims): must verify, and give back the
 *          payload byte for byte.
 */
#include <jansson.h>
#include <limits.h>
#include <string.h>

#include "fuzz.h"
#include "tessera.h"

#define NKEYS 5
static const tessera_key *keys[NKEYS];   /* owned by `all` */
static tessera_keyset *all, *one;

static tessera_key *with_kid(tessera_key *k, const char *kid)
{
    char *jwk = tessera_key_to_jwk(k, 1);
    json_t *o = jwk ? json_loads(jwk, 0, NULL) : NULL;
    tessera_key *out = NULL;
    FUZZ_CHECK(o);
    json_object_set_new(o, "kid", json_string(kid));
    char *text = json_dumps(o, JSON_COMPACT);
    FUZZ_CHECK(text);
    FUZZ_CHECK(tessera_key_from_jwk(text, strlen(text), &out) == TESSERA_OK);
    FUZZ_CHECK(strcmp(tessera_key_kid(out), kid) == 0);
    free(text);
    json_decref(o);
    free(jwk);
    tessera_key_free(k);
    return out;
}

/* A generated key of `alg` with kid `kid`; PS256 is an RSA JWK with "alg":"PS256". */
static tessera_key *make_key(tessera_alg alg, const char *kid)
{
    tessera_key *k = NULL;
    if (alg == TESSERA_ALG_HS256) {
        static const uint8_t secret[32] = "tessera-fuzz-hs256-secret-32byte";
        FUZZ_CHECK(tessera_key_from_secret(secret, sizeof secret, kid, &k) == TESSERA_OK);
        return k;
    }
    FUZZ_CHECK(tessera_key_generate(alg, &k) == TESSERA_OK);
    k = with_kid(k, kid);
    FUZZ_CHECK(tessera_key_alg(k) == alg);
    return k;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const struct { tessera_alg alg; const char *kid; } spec[NKEYS] = {
        { TESSERA_ALG_ES256, "es" }, { TESSERA_ALG_EDDSA, "ed" },
        { TESSERA_ALG_RS256, "rs" }, { TESSERA_ALG_PS256, "ps" },
        { TESSERA_ALG_HS256, "hs" },
    };
    (void)argc;
    (void)argv;
    FUZZ_CHECK(tessera_keyset_new(&all) == TESSERA_OK);
    FUZZ_CHECK(tessera_keyset_new(&one) == TESSERA_OK);
    for (int i = 0; i < NKEYS; i++) {
        tessera_key *k = make_key(spec[i].alg, spec[i].kid);
        keys[i] = k;
        FUZZ_CHECK(tessera_keyset_add(all, k) == TESSERA_OK);
    }
    FUZZ_CHECK(tessera_keyset_add(one, make_key(TESSERA_ALG_EDDSA, "ed")) == TESSERA_OK);
    return 0;
}

static const tessera_key *key_of_alg(tessera_alg a)
{
    for (int i = 0; i < NKEYS; i++)
        if (tessera_key_alg(keys[i]) == a)
            return keys[i];
    return NULL;
}

/* The accessors over verified claims, and the claims JSON parsing back. */
static void exercise(tessera_claims *c)
{
    int64_t v;
    FUZZ_CHECK(c);
    (void)tessera_claims_string(c, "sub");
    (void)tessera_claims_string(c, "iss");
    (void)tessera_claims_int(c, "exp", &v);
    (void)tessera_claims_int(c, "iat", &v);
    size_t n = tessera_claims_array_len(c, "aud");
    for (size_t i = 0; i <= n; i++)
        (void)tessera_claims_array_string(c, "aud", i);
    (void)tessera_claims_has_scope(c, "read");
    (void)tessera_claims_has_scope(c, "");
    const char *scope = tessera_claims_string(c, "scope");
    if (scope) {
        /* Every non-empty space-separated word of scope is a scope it has. */
        char *copy = strdup(scope), *save = NULL;
        FUZZ_CHECK(copy);
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
            FUZZ_CHECK(tessera_claims_has_scope(c, w) == 1);
        free(copy);
    }
    char *json = tessera_claims_json(c);
    FUZZ_CHECK(json);
    json_t *back = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(json_is_object(back));
    json_decref(back);
    free(json);
    tessera_claims_free(c);
}

static void verify_claims(const tessera_keyset *ks, const char *tok, size_t len,
                          const tessera_expect *ex)
{
    tessera_claims *c = (tessera_claims *)&c;   /* must be reset to NULL on error */
    tessera_status st = tessera_verify(ks, tok, len, ex, &c);
    if (st == TESSERA_OK)
        exercise(c);
    else
        FUZZ_CHECK(c == NULL);
}

/* tessera_jws_verify with its documented contract on both outcomes. */
static tessera_status verify_jws(const tessera_keyset *ks, const char *tok, size_t len,
                                 char **payload, size_t *plen)
{
    *payload = (char *)payload;
    *plen = 12345;
    tessera_status st = tessera_jws_verify(ks, tok, len, payload, plen);
    if (st != TESSERA_OK) {
        FUZZ_CHECK(*payload == NULL && *plen == 0);
    } else {
        FUZZ_CHECK(*payload && (*payload)[*plen] == '\0');
    }
    return st;
}

static void verify_all(const char *tok, size_t len, const tessera_expect *ex)
{
    char *p;
    size_t pl;
    if (verify_jws(all, tok, len, &p, &pl) == TESSERA_OK)
        free(p);
    (void)tessera_jws_verify(one, tok, len, NULL, NULL);
    verify_claims(all, tok, len, NULL);
    verify_claims(all, tok, len, ex);
    verify_claims(one, tok, len, ex);
}

/* Splits a token into exactly three segments; 0 when it is not so. */
static int segments(const char *s, size_t n, const char *seg[3], size_t seglen[3])
{
    const char *d1 = memchr(s, '.', n), *d2;
    if (!d1 || !(d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s))))
        return 0;
    if (memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s)))
        return 0;
    seg[0] = s;
    seglen[0] = (size_t)(d1 - s);
    seg[1] = d1 + 1;
    seglen[1] = (size_t)(d2 - d1 - 1);
    seg[2] = d2 + 1;
    seglen[2] = n - (size_t)(d2 + 1 - s);
    return 1;
}

static uint8_t *decode(const char *s, size_t n, size_t *out_len)
{
    uint8_t *out = malloc(n * 3 / 4 + 1);
    FUZZ_CHECK(out);
    if (tessera_b64url_decode(s, n, out, out_len) != TESSERA_OK) {
        free(out);
        return NULL;
    }
    return out;
}

static void resign(const uint8_t *h, size_t hlen, const uint8_t *p, size_t plen,
                   const tessera_expect *ex, uint8_t pick)
{
    json_t *hdr = json_loadb((const char *)h, hlen, 0, NULL);
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const char *typ = json_string_value(json_object_get(hdr, "typ"));
    const tessera_key *key = alg ? key_of_alg(tessera_alg_from_name(alg)) : NULL;
    char *tok = NULL, *out;
    size_t outlen;
    tessera_status st;

    if (!key)
        key = keys[pick % NKEYS];

    /* The header byte for byte. */
    st = tessera_jws_sign_raw(key, (const char *)h, hlen, p, plen, &tok);
    if (st == TESSERA_OK) {
        st = verify_jws(all, tok, strlen(tok), &out, &outlen);
        FUZZ_CHECK(st != TESSERA_ERR_SIGNATURE);   /* we just signed it */
        if (st == TESSERA_OK) {
            FUZZ_CHECK(outlen == plen && memcmp(out, p, plen) == 0);
            free(out);
        }
        (void)tessera_jws_verify(one, tok, strlen(tok), NULL, NULL);
        verify_claims(all, tok, strlen(tok), ex);
        verify_claims(one, tok, strlen(tok), ex);
        free(tok);
    } else {
        FUZZ_CHECK(tok == NULL);
    }

    /* A JWT header of our own over the payload as claims. */
    tok = NULL;
    st = tessera_jwt_sign(key, typ, (const char *)p, plen, &tok);
    if (st == TESSERA_OK) {
        st = verify_jws(all, tok, strlen(tok), &out, &outlen);
        FUZZ_CHECK(st == TESSERA_OK);
        FUZZ_CHECK(outlen == plen && memcmp(out, p, plen) == 0);
        free(out);
        verify_claims(all, tok, strlen(tok), NULL);
        verify_claims(all, tok, strlen(tok), ex);
        free(tok);
    } else {
        FUZZ_CHECK(tok == NULL);
    }
    json_decref(hdr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t nows[] = { 1700000000, 0, INT64_MAX, INT64_MIN + 1, -1,
                                    1000000000000000000 };
    static const long leeways[] = { 30, 0, LONG_MAX, 86400 };
    const char *tok = (const char *)data;
    uint8_t pick = size ? data[size - 1] : 0;
    tessera_expect ex = {
        .issuer = "https://issuer.example",
        .audience = "api",
        .check_typ = pick & 1,
        .leeway = leeways[(pick >> 1) % 4],
        .now = nows[(pick >> 3) % 6],
    };

    verify_all(tok, size, &ex);

    const char *seg[3];
    size_t seglen[3], hlen, plen;
    if (!segments(tok, size, seg, seglen))
        return 0;
    uint8_t *h = decode(seg[0], seglen[0], &hlen);
    uint8_t *p = h ? decode(seg[1], seglen[1], &plen) : NULL;
    if (h && p)
        resign(h, hlen, p, plen, &ex, pick);
    free(h);
    free(p);
    return 0;
}
