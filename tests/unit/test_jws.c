/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/jws_sign.c, lib/jws_verify.c, lib/sig.c, lib/ecdsa.c, lib/hmac.c: compact JWS
 * against the RFC 7515 and RFC 8037 vectors, and every rejection rule of the strict
 * verifier.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tessera.h"
#include "../../lib/internal.h"   /* the r||s <-> DER conversion, tested directly */
#include "../vectors/jose_rfc.h"

/* ---- helpers ---- */

static tessera_key *key_from(const char *jwk)
{
    tessera_key *k = NULL;
    assert_int_equal(tessera_key_from_jwk(jwk, strlen(jwk), &k), TESSERA_OK);
    return k;
}

static tessera_key *generated(tessera_alg alg)
{
    tessera_key *k = NULL;
    assert_int_equal(tessera_key_generate(alg, &k), TESSERA_OK);
    return k;
}

/* A set of the given keys (NULL-terminated); the set owns them. */
static tessera_keyset *set_of(tessera_key *k, ...)
{
    tessera_keyset *ks = NULL;
    va_list ap;

    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    va_start(ap, k);
    for (; k; k = va_arg(ap, tessera_key *))
        assert_int_equal(tessera_keyset_add(ks, k), TESSERA_OK);
    va_end(ap);
    return ks;
}

static tessera_status verify(const tessera_keyset *ks, const char *token)
{
    return tessera_jws_verify(ks, token, strlen(token), NULL, NULL);
}

static char *b64(const void *p, size_t n)
{
    char *s = malloc(tessera_b64url_encoded_len(n) + 1);
    assert_non_null(s);
    tessera_b64url_encode(p, n, s);
    return s;
}

/* BASE64URL(header) "." BASE64URL(payload) "." sig_b64, in a new string. */
static char *compact(const char *header, const char *payload, const char *sig_b64)
{
    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    size_t n = strlen(h) + strlen(p) + strlen(sig_b64) + 3;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%s.%s.%s", h, p, sig_b64);
    free(h);
    free(p);
    return t;
}

/* Same, with raw signature bytes. */
static char *compact_sig(const char *header, const char *payload, const uint8_t *sig,
                         size_t sig_len)
{
    char *s = b64(sig, sig_len), *t = compact(header, payload, s);
    free(s);
    return t;
}

/* An HS256 token over any header bytes, MACed by OpenSSL's HMAC(): a correct MAC on a
 * header libtessera itself would refuse to sign (duplicate members, alg none...). */
static char *hmac_token(const uint8_t *secret, size_t secret_len, const char *header,
                        const char *payload)
{
    uint8_t mac[32];
    unsigned int mac_len = 0;
    char *t = compact(header, payload, ""), *out;

    assert_non_null(HMAC(EVP_sha256(), secret, (int)secret_len, (const uint8_t *)t,
                         strlen(t) - 1, mac, &mac_len));   /* without the last '.' */
    assert_int_equal(mac_len, 32);
    out = compact_sig(header, payload, mac, mac_len);
    free(t);
    return out;
}

static const uint8_t secret32[32] = "0123456789abcdef0123456789abcdef";

static char *sign_raw(const tessera_key *k, const char *header, const char *payload)
{
    char *t = NULL;
    assert_int_equal(tessera_jws_sign_raw(k, header, strlen(header),
                                          (const uint8_t *)payload, strlen(payload), &t),
                     TESSERA_OK);
    return t;
}

/* The signature segment of a token, decoded. */
static size_t sig_of(const char *token, uint8_t *out)
{
    const char *s = strrchr(token, '.') + 1;
    size_t n = 0;
    assert_int_equal(tessera_b64url_decode(s, strlen(s), out, &n), TESSERA_OK);
    return n;
}

/* Replaces the signature of token with sig (sig_len bytes). */
static char *with_sig(const char *token, const uint8_t *sig, size_t sig_len)
{
    size_t keep = (size_t)(strrchr(token, '.') - token) + 1;
    char *s = b64(sig, sig_len), *t = malloc(keep + strlen(s) + 1);
    assert_non_null(t);
    memcpy(t, token, keep);
    strcpy(t + keep, s);
    free(s);
    return t;
}

/* ---- RFC vectors ---- */

static void rfc7515_a1_hs256_is_reproduced_exactly(void **state)
{
    tessera_key *k = key_from(RFC7515_A1_JWK);
    char *t = sign_raw(k, RFC7515_A1_HEADER, RFC7515_PAYLOAD), *payload = NULL;
    size_t len = 0;

    assert_string_equal(t, RFC7515_A1_JWS);
    tessera_keyset *ks = set_of(k, NULL);
    assert_int_equal(tessera_jws_verify(ks, RFC7515_A1_JWS, strlen(RFC7515_A1_JWS),
                                        &payload, &len),
                     TESSERA_OK);
    assert_int_equal(len, strlen(RFC7515_PAYLOAD));
    assert_string_equal(payload, RFC7515_PAYLOAD);
    free(payload);
    free(t);
    tessera_keyset_free(ks);
}

static void rfc7515_a2_rs256_is_reproduced_exactly(void **state)
{
    tessera_key *priv = key_from(RFC7515_A2_PRIVATE_JWK);
    char *t = sign_raw(priv, RFC7515_A2_HEADER, RFC7515_PAYLOAD), *payload = NULL;
    tessera_keyset *ks = set_of(key_from(RFC7515_A2_PUBLIC_JWK), NULL);

    assert_string_equal(t, RFC7515_A2_JWS);   /* PKCS #1 v1.5 is deterministic */
    assert_int_equal(tessera_jws_verify(ks, RFC7515_A2_JWS, strlen(RFC7515_A2_JWS),
                                        &payload, NULL),
                     TESSERA_OK);
    assert_string_equal(payload, RFC7515_PAYLOAD);
    free(payload);
    free(t);
    tessera_key_free(priv);
    tessera_keyset_free(ks);
}

static void rfc7515_a3_es256_verifies_and_roundtrips(void **state)
{
    tessera_key *priv = key_from(RFC7515_A3_PRIVATE_JWK);
    tessera_keyset *ks = set_of(key_from(RFC7515_A3_PUBLIC_JWK), NULL);
    char *payload = NULL, *t1, *t2;

    /* The RFC's own text has a high s: refused. Its low-s twin verifies. */
    assert_int_equal(verify(ks, RFC7515_A3_JWS), TESSERA_ERR_SIGNATURE);
    assert_int_equal(tessera_jws_verify(ks, RFC7515_A3_JWS_LOW_S,
                                        strlen(RFC7515_A3_JWS_LOW_S), &payload, NULL),
                     TESSERA_OK);
    assert_string_equal(payload, RFC7515_PAYLOAD);
    free(payload);

    /* ECDSA is randomised: two signatures differ, both verify. */
    t1 = sign_raw(priv, RFC7515_A3_HEADER, RFC7515_PAYLOAD);
    t2 = sign_raw(priv, RFC7515_A3_HEADER, RFC7515_PAYLOAD);
    assert_string_not_equal(t1, t2);
    assert_int_equal(strlen(t1), strlen(RFC7515_A3_JWS_LOW_S));   /* 64-byte r||s */
    assert_int_equal(verify(ks, t1), TESSERA_OK);
    assert_int_equal(verify(ks, t2), TESSERA_OK);
    free(t1);
    free(t2);
    tessera_key_free(priv);
    tessera_keyset_free(ks);
}

static void rfc8037_a4_ed25519_is_reproduced_exactly(void **state)
{
    tessera_key *priv = key_from(RFC8037_PRIVATE_JWK);
    tessera_keyset *ks = set_of(key_from(RFC8037_PUBLIC_JWK), NULL);
    char *t = sign_raw(priv, RFC8037_HEADER, RFC8037_PAYLOAD), *payload = NULL;

    assert_string_equal(t, RFC8037_JWS);
    assert_int_equal(tessera_jws_verify(ks, RFC8037_JWS, strlen(RFC8037_JWS), &payload,
                                        NULL),
                     TESSERA_OK);
    assert_string_equal(payload, RFC8037_PAYLOAD);
    free(payload);
    free(t);
    tessera_key_free(priv);
    tessera_keyset_free(ks);
}

/* ---- signing ---- */

static void jwt_sign_roundtrips_every_alg(void **state)
{
    static const char claims[] = "{\"sub\":\"u1\",\"exp\":4102444800}";
    for (tessera_alg alg = TESSERA_ALG_ES256; alg <= TESSERA_ALG_HS256; alg++) {
        tessera_key *k = generated(alg);
        char *t = NULL, *payload = NULL, want[200], header[200];
        size_t n = 0;

        assert_int_equal(tessera_jwt_sign(k, "at+jwt", claims, strlen(claims), &t),
                         TESSERA_OK);
        snprintf(want, sizeof want, "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
                 tessera_alg_name(alg), tessera_key_kid(k));
        assert_int_equal(tessera_b64url_decode(t, (size_t)(strchr(t, '.') - t),
                                               (uint8_t *)header, &n),
                         TESSERA_OK);
        header[n] = '\0';
        assert_string_equal(header, want);

        tessera_keyset *ks = set_of(k, NULL);
        assert_int_equal(tessera_jws_verify(ks, t, strlen(t), &payload, &n), TESSERA_OK);
        assert_int_equal(n, strlen(claims));
        assert_string_equal(payload, claims);
        free(payload);
        free(t);
        tessera_keyset_free(ks);
    }
}

static void jwt_sign_without_typ_omits_it(void **state)
{
    tessera_key *k = key_from(RFC8037_PRIVATE_JWK);
    char *t = NULL, header[200];
    size_t n = 0;

    assert_int_equal(tessera_jwt_sign(k, NULL, "{}", 2, &t), TESSERA_OK);
    assert_int_equal(tessera_b64url_decode(t, (size_t)(strchr(t, '.') - t),
                                           (uint8_t *)header, &n),
                     TESSERA_OK);
    header[n] = '\0';
    assert_string_equal(header, "{\"alg\":\"EdDSA\",\"kid\":\"" RFC8037_THUMBPRINT "\"}");
    free(t);
    tessera_key_free(k);
}

static void jwt_sign_escapes_the_kid(void **state)
{
    tessera_key *k = NULL;
    char *t = NULL, header[200];
    size_t n = 0;

    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, "a\"b\\c", &k),
                     TESSERA_OK);
    assert_int_equal(tessera_jwt_sign(k, "JWT", "{}", 2, &t), TESSERA_OK);
    assert_int_equal(tessera_b64url_decode(t, (size_t)(strchr(t, '.') - t),
                                           (uint8_t *)header, &n),
                     TESSERA_OK);
    header[n] = '\0';
    assert_string_equal(header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"a\\\"b\\\\c\"}");
    tessera_keyset *ks = set_of(k, NULL);
    assert_int_equal(verify(ks, t), TESSERA_OK);
    free(t);
    tessera_keyset_free(ks);
}

static void jwt_sign_refuses_claims_that_are_not_an_object(void **state)
{
    tessera_key *k = key_from(RFC7515_A1_JWK);
    char *t = (char *)"untouched";
    assert_int_equal(tessera_jwt_sign(k, NULL, "[1]", 3, &t), TESSERA_ERR_MALFORMED);
    assert_null(t);
    assert_int_equal(tessera_jwt_sign(k, NULL, "{\"a\":1,\"a\":2}", 13, &t),
                     TESSERA_ERR_MALFORMED);
    assert_int_equal(tessera_jwt_sign(k, NULL, "{", 1, &t), TESSERA_ERR_MALFORMED);
    tessera_key_free(k);
}

static void sign_raw_requires_the_keys_alg_and_a_private_key(void **state)
{
    tessera_key *hs = key_from(RFC7515_A1_JWK), *pub = key_from(RFC7515_A3_PUBLIC_JWK);
    char *t = NULL;

    assert_int_equal(tessera_jws_sign_raw(hs, RFC7515_A2_HEADER, strlen(RFC7515_A2_HEADER),
                                          (const uint8_t *)"x", 1, &t),
                     TESSERA_ERR_ALG);
    assert_int_equal(tessera_jws_sign_raw(hs, "{\"typ\":\"JWT\"}", 13,
                                          (const uint8_t *)"x", 1, &t),
                     TESSERA_ERR_ALG);
    assert_int_equal(tessera_jws_sign_raw(hs, "{\"alg\":\"hs256\"}", 15,
                                          (const uint8_t *)"x", 1, &t),
                     TESSERA_ERR_ALG);
    assert_int_equal(tessera_jws_sign_raw(hs, "not json", 8, (const uint8_t *)"x", 1, &t),
                     TESSERA_ERR_MALFORMED);
    assert_int_equal(tessera_jws_sign_raw(pub, RFC7515_A3_HEADER,
                                          strlen(RFC7515_A3_HEADER),
                                          (const uint8_t *)"x", 1, &t),
                     TESSERA_ERR_KEY);
    assert_null(t);
    tessera_key_free(hs);
    tessera_key_free(pub);
}

/* HMAC keys longer than the SHA-256 block are hashed first (RFC 2104): compare with
 * OpenSSL's HMAC() at, below and above the block size. */
static void hs256_matches_openssl_hmac_for_any_key_length(void **state)
{
    static const size_t lengths[] = { 32, 63, 64, 65, 100, 200 };
    uint8_t secret[200];

    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        tessera_key *k = NULL;
        assert_int_equal(tessera_key_from_secret(secret, lengths[i], "k", &k), TESSERA_OK);
        char *ours = sign_raw(k, "{\"alg\":\"HS256\"}", "payload");
        char *theirs = hmac_token(secret, lengths[i], "{\"alg\":\"HS256\"}", "payload");
        assert_string_equal(ours, theirs);
        free(ours);
        free(theirs);
        tessera_key_free(k);
    }
}

/* ---- the algorithm ---- */

static void rejects_alg_none_in_any_case(void **state)
{
    static const char *const names[] = { "none", "None", "NONE", "nOnE" };
    tessera_key *k = NULL;
    char header[64];

    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, "k1", &k),
                     TESSERA_OK);
    tessera_keyset *ks = set_of(k, NULL);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        /* Unsecured (empty signature), with and without kid, and MACed. */
        snprintf(header, sizeof header, "{\"alg\":\"%s\"}", names[i]);
        char *t = compact(header, "{}", "");
        assert_int_equal(verify(ks, t), TESSERA_ERR_ALG);
        free(t);
        snprintf(header, sizeof header, "{\"alg\":\"%s\",\"kid\":\"k1\"}", names[i]);
        t = compact(header, "{}", "");
        assert_int_equal(verify(ks, t), TESSERA_ERR_ALG);
        free(t);
        t = hmac_token(secret32, sizeof secret32, header, "{}");
        assert_int_equal(verify(ks, t), TESSERA_ERR_ALG);
        free(t);
    }
    tessera_keyset_free(ks);
}

static void rejects_missing_unknown_or_mistyped_alg(void **state)
{
    static const char *const headers[] = {
        "{\"kid\":\"k1\"}",
        "{\"alg\":\"HS512\",\"kid\":\"k1\"}",
        "{\"alg\":\"hs256\",\"kid\":\"k1\"}",
        "{\"alg\":\"HS256 \",\"kid\":\"k1\"}",
        "{\"alg\":\"\",\"kid\":\"k1\"}",
        "{\"alg\":null,\"kid\":\"k1\"}",
        "{\"alg\":256,\"kid\":\"k1\"}",
        "{\"alg\":[\"HS256\"],\"kid\":\"k1\"}",
    };
    tessera_key *k = NULL;

    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, "k1", &k),
                     TESSERA_OK);
    tessera_keyset *ks = set_of(k, NULL);
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = hmac_token(secret32, sizeof secret32, headers[i], "{}");
        assert_int_equal(verify(ks, t), TESSERA_ERR_ALG);
        free(t);
    }
    /* The control: the same MAC under a correct header verifies. */
    char *t = hmac_token(secret32, sizeof secret32, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", "{}");
    assert_int_equal(verify(ks, t), TESSERA_OK);
    free(t);
    tessera_keyset_free(ks);
}

/* The classic key confusion: a verifier holding an RSA or EC public key must not
 * check an HS256 MAC keyed with that public key's bytes. */
static void rejects_hs256_keyed_with_the_public_key(void **state)
{
    static const char *const publics[] = { RFC7515_A2_PUBLIC_JWK, RFC7515_A3_PUBLIC_JWK,
                                           RFC8037_PUBLIC_JWK };
    for (size_t i = 0; i < sizeof publics / sizeof publics[0]; i++) {
        tessera_key *pub = key_from(publics[i]);
        char *jwks = NULL, header[200];
        const char *kid = tessera_key_kid(pub);
        tessera_keyset *ks = set_of(pub, NULL);

        /* Every rendering of the public key an attacker might try as the secret. */
        jwks = tessera_keyset_to_jwks(ks);
        assert_non_null(jwks);
        const char *secrets[] = { publics[i], jwks };
        for (size_t j = 0; j < 2; j++) {
            snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"kid\":\"%s\"}", kid);
            char *t = hmac_token((const uint8_t *)secrets[j], strlen(secrets[j]), header,
                                 "{\"sub\":\"admin\"}");
            assert_int_equal(verify(ks, t), TESSERA_ERR_ALG);
            free(t);
            t = hmac_token((const uint8_t *)secrets[j], strlen(secrets[j]),
                           "{\"alg\":\"HS256\"}", "{\"sub\":\"admin\"}");
            assert_int_equal(verify(ks, t), TESSERA_ERR_ALG);   /* single-key set */
            free(t);
        }
        free(jwks);
        tessera_keyset_free(ks);
    }
}

static void rejects_an_alg_other_than_the_keys(void **state)
{
    /* The same RSA material registered for PS256 does not accept RS256 tokens. */
    static const char ps256_jwk[] =
        "{\"kty\":\"RSA\",\"alg\":\"PS256\",\"kid\":\"r\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}";
    tessera_keyset *ks = set_of(key_from(ps256_jwk), NULL);
    assert_int_equal(verify(ks, RFC7515_A2_JWS), TESSERA_ERR_ALG);
    tessera_keyset_free(ks);

    /* An EdDSA token presented under an Ed25519 kid but claiming ES256. */
    tessera_key *ed = key_from(RFC8037_PRIVATE_JWK);
    ks = set_of(key_from(RFC8037_PUBLIC_JWK), NULL);
    char *t = sign_raw(ed, "{\"alg\":\"EdDSA\",\"kid\":\"" RFC8037_THUMBPRINT "\"}", "{}");
    assert_int_equal(verify(ks, t), TESSERA_OK);
    char *dot = strchr(t, '.');
    char *h = b64("{\"alg\":\"ES256\",\"kid\":\"" RFC8037_THUMBPRINT "\"}",
                  strlen("{\"alg\":\"ES256\",\"kid\":\"" RFC8037_THUMBPRINT "\"}"));
    char *forged = malloc(strlen(h) + strlen(dot) + 1);
    strcpy(forged, h);
    strcat(forged, dot);
    assert_int_equal(verify(ks, forged), TESSERA_ERR_ALG);
    free(forged);
    free(h);
    free(t);
    tessera_key_free(ed);
    tessera_keyset_free(ks);
}

static void ps256_roundtrips(void **state)
{
    tessera_key *k = generated(TESSERA_ALG_PS256);
    char *t1 = NULL, *t2 = NULL;
    assert_int_equal(tessera_jwt_sign(k, NULL, "{}", 2, &t1), TESSERA_OK);
    assert_int_equal(tessera_jwt_sign(k, NULL, "{}", 2, &t2), TESSERA_OK);
    assert_string_not_equal(t1, t2);   /* PSS is randomised */
    tessera_keyset *ks = set_of(k, NULL);
    assert_int_equal(verify(ks, t1), TESSERA_OK);
    assert_int_equal(verify(ks, t2), TESSERA_OK);
    free(t1);
    free(t2);
    tessera_keyset_free(ks);
}

/* ---- headers ---- */

static void rejects_headers_that_bring_their_own_key(void **state)
{
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"jku\":\"https://evil.example/jwks.json\"}",
        "{\"alg\":\"HS256\",\"x5u\":\"https://evil.example/cert.pem\"}",
        "{\"alg\":\"HS256\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}}",
        "{\"alg\":\"HS256\",\"x5c\":[\"MIIB\"]}",
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
        "{\"alg\":\"HS256\",\"jku\":null}",
    };
    tessera_key *k = NULL;

    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, NULL, &k),
                     TESSERA_OK);
    tessera_keyset *ks = set_of(k, NULL);
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = sign_raw(k, headers[i], "{}");   /* correctly signed */
        assert_int_equal(verify(ks, t), TESSERA_ERR_HEADER);
        free(t);
    }
    tessera_keyset_free(ks);
}

static void rejects_duplicate_header_members(void **state)
{
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"alg\":\"none\"}",
        "{\"alg\":\"none\",\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"kid\":\"k1\",\"kid\":\"k2\"}",
    };
    tessera_key *k = NULL;

    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, "k1", &k),
                     TESSERA_OK);
    tessera_keyset *ks = set_of(k, NULL);
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = hmac_token(secret32, sizeof secret32, headers[i], "{}");
        assert_int_equal(verify(ks, t), TESSERA_ERR_MALFORMED);
        free(t);
    }
    tessera_keyset_free(ks);
}

static void rejects_a_header_that_is_not_a_json_object(void **state)
{
    static const char *const headers[] = {
        "[\"HS256\"]", "\"HS256\"", "1", "null", "{", "{\"alg\":\"HS256\"", "",
        "{\"alg\":\"HS256\"} x", "{\"alg\":\"HS256\",}", "{'alg':'HS256'}",
        "{\"alg\":\"HS256\"}\n{}", "{\"alg\":\"HS\\u0000256\"}",
    };
    tessera_keyset *ks = NULL;
    tessera_key *k = NULL;

    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, NULL, &k),
                     TESSERA_OK);
    ks = set_of(k, NULL);
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = hmac_token(secret32, sizeof secret32, headers[i], "{}");
        assert_int_equal(verify(ks, t), TESSERA_ERR_MALFORMED);
        free(t);
    }
    tessera_keyset_free(ks);
}

/* "{\"alg\":\"HS256\",\"x\":" then depth-1 arrays around 1, then "}": depth levels. */
static char *nested_header(int depth)
{
    size_t n = 32 + 2 * (size_t)depth;
    char *h = malloc(n);
    int o = snprintf(h, n, "{\"alg\":\"HS256\",\"x\":");
    for (int i = 1; i < depth; i++)
        h[o++] = '[';
    h[o++] = '1';
    for (int i = 1; i < depth; i++)
        h[o++] = ']';
    h[o++] = '}';
    h[o] = '\0';
    return h;
}

static void limits_header_nesting_to_16(void **state)
{
    tessera_key *k = NULL;
    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, NULL, &k),
                     TESSERA_OK);
    tessera_keyset *ks = set_of(k, NULL);
    char *h16 = nested_header(16), *h17 = nested_header(17), *deep = nested_header(2000);
    char *t16 = hmac_token(secret32, sizeof secret32, h16, "{}");
    char *t17 = hmac_token(secret32, sizeof secret32, h17, "{}");
    char *tdeep = hmac_token(secret32, sizeof secret32, deep, "{}");

    assert_int_equal(verify(ks, t16), TESSERA_OK);
    assert_int_equal(verify(ks, t17), TESSERA_ERR_TOO_LARGE);
    assert_int_equal(verify(ks, tdeep), TESSERA_ERR_TOO_LARGE);
    /* Brackets inside strings are not nesting. */
    char *t = hmac_token(secret32, sizeof secret32,
                         "{\"alg\":\"HS256\",\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}",
                         "{}");
    assert_int_equal(verify(ks, t), TESSERA_OK);
    free(t);
    free(h16);
    free(h17);
    free(deep);
    free(t16);
    free(t17);
    free(tdeep);
    tessera_keyset_free(ks);
}

/* ---- kid ---- */

static void finds_the_key_by_kid_only(void **state)
{
    static const uint8_t other[32] = "another secret, 32 bytes long..";
    tessera_key *k1 = NULL, *k2 = NULL;

    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, "k1", &k1),
                     TESSERA_OK);
    assert_int_equal(tessera_key_from_secret(other, sizeof other, "k2", &k2), TESSERA_OK);
    tessera_keyset *two = set_of(k1, k2, NULL);

    char *t1 = hmac_token(secret32, sizeof secret32, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", "{}");
    char *t2 = hmac_token(other, sizeof other, "{\"alg\":\"HS256\",\"kid\":\"k2\"}", "{}");
    char *nokid = hmac_token(secret32, sizeof secret32, "{\"alg\":\"HS256\"}", "{}");
    char *unknown = hmac_token(secret32, sizeof secret32, "{\"alg\":\"HS256\",\"kid\":\"k3\"}", "{}");
    char *numeric = hmac_token(secret32, sizeof secret32, "{\"alg\":\"HS256\",\"kid\":1}", "{}");
    char *swapped = hmac_token(secret32, sizeof secret32, "{\"alg\":\"HS256\",\"kid\":\"k2\"}", "{}");

    assert_int_equal(verify(two, t1), TESSERA_OK);
    assert_int_equal(verify(two, t2), TESSERA_OK);
    assert_int_equal(verify(two, nokid), TESSERA_ERR_KID);   /* two keys: kid required */
    assert_int_equal(verify(two, unknown), TESSERA_ERR_KID);
    assert_int_equal(verify(two, numeric), TESSERA_ERR_KID);
    assert_int_equal(verify(two, swapped), TESSERA_ERR_SIGNATURE);   /* k2 checks it */

    /* A set of one key accepts a header without kid, but not a wrong kid. */
    tessera_key *only = NULL;
    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, "k1", &only),
                     TESSERA_OK);
    tessera_keyset *one = set_of(only, NULL);
    assert_int_equal(verify(one, nokid), TESSERA_OK);
    assert_int_equal(verify(one, t1), TESSERA_OK);
    assert_int_equal(verify(one, unknown), TESSERA_ERR_KID);

    /* An empty set has no key to find. */
    tessera_keyset *none = NULL;
    assert_int_equal(tessera_keyset_new(&none), TESSERA_OK);
    assert_int_equal(verify(none, nokid), TESSERA_ERR_KID);

    free(t1);
    free(t2);
    free(nokid);
    free(unknown);
    free(numeric);
    free(swapped);
    tessera_keyset_free(two);
    tessera_keyset_free(one);
    tessera_keyset_free(none);
}

/* ---- compact serialisation ---- */

static void rejects_wrong_segment_counts(void **state)
{
    tessera_keyset *ks = set_of(key_from(RFC7515_A1_JWK), NULL);
    const char *t = RFC7515_A1_JWS;
    char buf[1024];

    snprintf(buf, sizeof buf, "%s.", t);
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);          /* 4, last empty */
    snprintf(buf, sizeof buf, "%s.e30", t);
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);          /* 4 */
    snprintf(buf, sizeof buf, "%s.e30.e30", t);
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);          /* 5 */
    snprintf(buf, sizeof buf, "%.*s", (int)(strrchr(t, '.') - t), t);
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);          /* 2 */
    assert_int_equal(verify(ks, "e30"), TESSERA_ERR_MALFORMED);        /* 1 */
    assert_int_equal(verify(ks, ""), TESSERA_ERR_MALFORMED);
    assert_int_equal(verify(ks, ".."), TESSERA_ERR_MALFORMED);         /* empty header */
    assert_int_equal(verify(ks, t), TESSERA_OK);                       /* the control */
    tessera_keyset_free(ks);
}

static void rejects_padding_in_any_segment(void **state)
{
    tessera_keyset *ks = set_of(key_from(RFC7515_A1_JWK), NULL);
    const char *t = RFC7515_A1_JWS;
    const char *dot1 = strchr(t, '.'), *dot2 = strrchr(t, '.');
    char buf[1024];

    snprintf(buf, sizeof buf, "%s=", t);
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);
    snprintf(buf, sizeof buf, "%.*s=%s", (int)(dot2 - t), t, dot2);
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);
    snprintf(buf, sizeof buf, "%.*s==%s", (int)(dot1 - t), t, dot1);
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);
    tessera_keyset_free(ks);
}

static void rejects_bytes_outside_base64url(void **state)
{
    static const char bad[] = { '+', '/', ' ', '\n', '%', '\xff' };
    tessera_keyset *ks = set_of(key_from(RFC7515_A1_JWK), NULL);
    size_t len = strlen(RFC7515_A1_JWS);
    const size_t positions[] = { 3, (size_t)(strchr(RFC7515_A1_JWS, '.') - RFC7515_A1_JWS) + 5,
                                 len - 5 };
    char buf[1024];

    for (size_t i = 0; i < sizeof bad; i++) {
        for (size_t p = 0; p < 3; p++) {
            memcpy(buf, RFC7515_A1_JWS, len + 1);
            buf[positions[p]] = bad[i];
            assert_int_equal(tessera_jws_verify(ks, buf, len, NULL, NULL),
                             TESSERA_ERR_MALFORMED);
        }
    }
    /* A NUL inside the counted length. */
    memcpy(buf, RFC7515_A1_JWS, len + 1);
    buf[10] = '\0';
    assert_int_equal(tessera_jws_verify(ks, buf, len, NULL, NULL), TESSERA_ERR_MALFORMED);
    tessera_keyset_free(ks);
}

/* A lax decoder maps "…Xk" and "…Xl" to the same 32 bytes: the second would be a new
 * token string with a valid MAC. One encoding per token. */
static void rejects_noncanonical_base64url(void **state)
{
    tessera_keyset *ks = set_of(key_from(RFC7515_A1_JWK), NULL);
    size_t len = strlen(RFC7515_A1_JWS);
    char buf[1024];

    memcpy(buf, RFC7515_A1_JWS, len + 1);
    assert_int_equal(buf[len - 1], 'k');   /* 36: the two unused bits are 00 */
    buf[len - 1] = 'l';                    /* 37: same bytes, one unused bit set */
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);

    /* The payload segment ends in "fQ": 'Q' = 16, four unused bits 0000. */
    const char *dot2 = strrchr(RFC7515_A1_JWS, '.');
    memcpy(buf, RFC7515_A1_JWS, len + 1);
    assert_int_equal(buf[dot2 - RFC7515_A1_JWS - 1], 'Q');
    buf[dot2 - RFC7515_A1_JWS - 1] = 'R';
    assert_int_equal(verify(ks, buf), TESSERA_ERR_MALFORMED);
    tessera_keyset_free(ks);
}

static void rejects_a_tampered_payload_or_header(void **state)
{
    tessera_keyset *ks = set_of(key_from(RFC7515_A1_JWK), NULL);
    tessera_keyset *rs = set_of(key_from(RFC7515_A2_PUBLIC_JWK), NULL);
    tessera_keyset *es = set_of(key_from(RFC7515_A3_PUBLIC_JWK), NULL);
    tessera_keyset *ed = set_of(key_from(RFC8037_PUBLIC_JWK), NULL);
    const char *payload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n "
                          "\"http://example.com/is_root\":false}";
    struct {
        tessera_keyset *ks;
        const char *token, *header;
    } cases[] = {
        { ks, RFC7515_A1_JWS, RFC7515_A1_HEADER },
        { rs, RFC7515_A2_JWS, RFC7515_A2_HEADER },
        { es, RFC7515_A3_JWS_LOW_S, RFC7515_A3_HEADER },
        { ed, RFC8037_JWS, RFC8037_HEADER },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Another payload under the original signature. */
        char *t = compact(cases[i].header, payload, strrchr(cases[i].token, '.') + 1);
        assert_int_equal(verify(cases[i].ks, t), TESSERA_ERR_SIGNATURE);
        free(t);
        /* The original payload under another (still valid) header. */
        char header[64];
        snprintf(header, sizeof header, "%.*s,\"x\":1}",
                 (int)strlen(cases[i].header) - 1, cases[i].header);
        const char *dot1 = strchr(cases[i].token, '.');
        char *h = b64(header, strlen(header));
        char buf[1024];
        snprintf(buf, sizeof buf, "%s%s", h, dot1);
        assert_int_equal(verify(cases[i].ks, buf), TESSERA_ERR_SIGNATURE);
        free(h);
        /* A flipped bit in the signature. */
        uint8_t sig[512];
        size_t n = sig_of(cases[i].token, sig);
        sig[n / 2] ^= 0x01;
        t = with_sig(cases[i].token, sig, n);
        assert_int_equal(verify(cases[i].ks, t), TESSERA_ERR_SIGNATURE);
        free(t);
        assert_int_equal(verify(cases[i].ks, cases[i].token), TESSERA_OK);
    }
    tessera_keyset_free(ks);
    tessera_keyset_free(rs);
    tessera_keyset_free(es);
    tessera_keyset_free(ed);
}

static void rejects_a_stripped_signature(void **state)
{
    const struct {
        const char *jwk, *token;
    } cases[] = {
        { RFC7515_A1_JWK, RFC7515_A1_JWS },
        { RFC7515_A2_PUBLIC_JWK, RFC7515_A2_JWS },
        { RFC7515_A3_PUBLIC_JWK, RFC7515_A3_JWS_LOW_S },
        { RFC8037_PUBLIC_JWK, RFC8037_JWS },
    };
    char buf[1024];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tessera_keyset *ks = set_of(key_from(cases[i].jwk), NULL);
        size_t keep = (size_t)(strrchr(cases[i].token, '.') - cases[i].token) + 1;
        memcpy(buf, cases[i].token, keep);
        buf[keep] = '\0';
        assert_int_equal(verify(ks, buf), TESSERA_ERR_SIGNATURE);
        tessera_keyset_free(ks);
    }
}

static void rejects_a_signature_by_another_key_with_the_same_kid(void **state)
{
    for (tessera_alg alg = TESSERA_ALG_ES256; alg <= TESSERA_ALG_HS256; alg++) {
        tessera_key *signer = generated(alg), *other = generated(alg);
        char header[128], *t;
        snprintf(header, sizeof header, "{\"alg\":\"%s\",\"kid\":\"%s\"}",
                 tessera_alg_name(alg), tessera_key_kid(other));
        t = sign_raw(signer, header, "{}");
        tessera_keyset *ks = set_of(other, NULL);
        assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
        free(t);
        tessera_key_free(signer);
        tessera_keyset_free(ks);
    }
}

/* ---- signature sizes and ranges ---- */

/* The order n of P-256. */
static const uint8_t p256_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

static void es256_rejects_r_or_s_out_of_range(void **state)
{
    tessera_keyset *ks = set_of(key_from(RFC7515_A3_PUBLIC_JWK), NULL);
    uint8_t good[64], sig[64];
    char *t;

    assert_int_equal(sig_of(RFC7515_A3_JWS_LOW_S, good), 64);
    /* r = 0 */
    memcpy(sig, good, 64);
    memset(sig, 0, 32);
    t = with_sig(RFC7515_A3_JWS_LOW_S, sig, 64);
    assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
    free(t);
    /* s = 0 */
    memcpy(sig, good, 64);
    memset(sig + 32, 0, 32);
    t = with_sig(RFC7515_A3_JWS_LOW_S, sig, 64);
    assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
    free(t);
    /* s = n, r = n, and s = all ones (above n) */
    memcpy(sig, good, 64);
    memcpy(sig + 32, p256_n, 32);
    t = with_sig(RFC7515_A3_JWS_LOW_S, sig, 64);
    assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
    free(t);
    memcpy(sig, p256_n, 32);
    memcpy(sig + 32, good + 32, 32);
    t = with_sig(RFC7515_A3_JWS_LOW_S, sig, 64);
    assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
    free(t);
    memcpy(sig, good, 32);
    memset(sig + 32, 0xff, 32);
    t = with_sig(RFC7515_A3_JWS_LOW_S, sig, 64);
    assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
    free(t);
    /* The control: the untouched signature. */
    t = with_sig(RFC7515_A3_JWS_LOW_S, good, 64);
    assert_int_equal(verify(ks, t), TESSERA_OK);
    free(t);
    tessera_keyset_free(ks);
}

/* (n - 1) / 2, big-endian: the largest s a signature may have. */
static const uint8_t p256_half[32] = {
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42,
    0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
};

/* n - x of a 32-byte big-endian x in [1, n-1]. */
static void order_minus(const uint8_t x[32], uint8_t out[32])
{
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = p256_n[i] - x[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

/* Malleability: (r, n-s) is as valid as (r, s) to ECDSA. Every signature we make has
 * s <= (n-1)/2, and its twin (r, n-s), the other encoding of the same signature, is
 * refused, so a token has exactly one text. */
static void es256_signs_low_s_and_refuses_the_high_s_twin(void **state)
{
    tessera_key *k = generated(TESSERA_ALG_ES256);
    tessera_keyset *ks = NULL;
    char *jwk = tessera_key_to_jwk(k, 0);
    int high_twins = 0;

    assert_non_null(jwk);
    ks = set_of(key_from(jwk), NULL);
    free(jwk);
    for (int i = 0; i < 200; i++) {
        char payload[32], *t, *twin;
        uint8_t sig[64], flipped[64];
        snprintf(payload, sizeof payload, "{\"n\":%d}", i);
        t = sign_raw(k, "{\"alg\":\"ES256\"}", payload);
        assert_int_equal(sig_of(t, sig), 64);
        assert_true(memcmp(sig + 32, p256_half, 32) <= 0);
        assert_int_equal(verify(ks, t), TESSERA_OK);
        memcpy(flipped, sig, 32);
        order_minus(sig + 32, flipped + 32);
        high_twins += memcmp(flipped + 32, p256_half, 32) > 0;
        twin = with_sig(t, flipped, 64);
        assert_int_equal(verify(ks, twin), TESSERA_ERR_SIGNATURE);
        free(twin);
        free(t);
    }
    assert_int_equal(high_twins, 200);
    tessera_key_free(k);
    tessera_keyset_free(ks);
}

/* The boundary, on our own converters: s = (n-1)/2 is accepted, s = (n+1)/2 is not;
 * a DER signature with a high s comes out of der_to_raw low. */
static void ecdsa_low_s_boundary(void **state)
{
    uint8_t raw[64], der[72], back[64], high[32];
    size_t n;

    memset(raw, 0, 32);
    raw[31] = 1;
    memcpy(raw + 32, p256_half, 32);
    assert_true(tessera__ecdsa_raw_to_der(raw, der) > 0);
    order_minus(p256_half, high);             /* (n+1)/2 */
    memcpy(raw + 32, high, 32);
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 0);

    /* DER of (1, (n+1)/2), written by hand: der_to_raw gives (1, (n-1)/2). */
    n = 0;
    der[n++] = 0x30;
    der[n++] = 3 + 35;
    der[n++] = 0x02;
    der[n++] = 0x01;
    der[n++] = 0x01;
    der[n++] = 0x02;
    der[n++] = 0x21;
    der[n++] = 0x00;
    memcpy(der + n, high, 32);
    n += 32;
    assert_int_equal(tessera__ecdsa_der_to_raw(der, n, back), 0);
    assert_memory_equal(back + 32, p256_half, 32);
    assert_int_equal(back[31], 1);
}

static void es256_accepts_small_r_and_s(void **state)
{
    /* r and s with leading zero bytes still make a 64-byte r||s and a minimal DER
     * integer: sign until one appears, then check it verifies. */
    tessera_key *k = key_from(RFC7515_A3_PRIVATE_JWK);
    tessera_keyset *ks = set_of(key_from(RFC7515_A3_PUBLIC_JWK), NULL);
    int seen = 0;

    for (int i = 0; i < 2000 && !seen; i++) {
        char *t = sign_raw(k, RFC7515_A3_HEADER, "x");
        uint8_t sig[64];
        assert_int_equal(sig_of(t, sig), 64);
        if (sig[0] == 0 || sig[32] == 0) {
            seen = 1;
            assert_int_equal(verify(ks, t), TESSERA_OK);
        }
        free(t);
    }
    assert_true(seen);
    tessera_key_free(k);
    tessera_keyset_free(ks);
}

static void rejects_signatures_of_the_wrong_length(void **state)
{
    const struct {
        const char *jwk, *token;
    } cases[] = {
        { RFC7515_A1_JWK, RFC7515_A1_JWS },                /* 32 */
        { RFC7515_A2_PUBLIC_JWK, RFC7515_A2_JWS },         /* 256 */
        { RFC7515_A3_PUBLIC_JWK, RFC7515_A3_JWS_LOW_S },   /* 64 */
        { RFC8037_PUBLIC_JWK, RFC8037_JWS },               /* 64 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tessera_keyset *ks = set_of(key_from(cases[i].jwk), NULL);
        uint8_t sig[1200], longer[1200];
        size_t n = sig_of(cases[i].token, sig);
        char *t;

        t = with_sig(cases[i].token, sig, n - 1);   /* e.g. a 63-byte ES256 signature */
        assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
        free(t);
        memcpy(longer, sig, n);
        longer[n] = 0;
        t = with_sig(cases[i].token, longer, n + 1);
        assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
        free(t);
        longer[0] = 0;   /* a leading zero byte: the same integer, one byte longer */
        memcpy(longer + 1, sig, n);
        t = with_sig(cases[i].token, longer, n + 1);
        assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
        free(t);
        memset(longer, 'A', sizeof longer);
        t = with_sig(cases[i].token, longer, sizeof longer);   /* past any key */
        assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
        free(t);
        tessera_keyset_free(ks);
    }
}

/* One DER INTEGER of a 32-byte big-endian value, as OpenSSL would write it. */
static size_t der_int(const uint8_t *x, uint8_t *out)
{
    size_t i = 0, n = 0;
    while (i < 31 && x[i] == 0)
        i++;
    out[n++] = 0x02;
    out[n++] = (uint8_t)(32 - i + (x[i] & 0x80 ? 1 : 0));
    if (x[i] & 0x80)
        out[n++] = 0;
    memcpy(out + n, x + i, 32 - i);
    return n + 32 - i;
}

/* ES256 in JOSE is r||s; the ASN.1 form OpenSSL produces is not accepted. */
static void es256_rejects_a_der_signature(void **state)
{
    tessera_keyset *ks = set_of(key_from(RFC7515_A3_PUBLIC_JWK), NULL);
    uint8_t sig[64], der[72];
    size_t n = 2;
    char *t;

    assert_int_equal(sig_of(RFC7515_A3_JWS_LOW_S, sig), 64);
    n += der_int(sig, der + n);
    n += der_int(sig + 32, der + n);
    der[0] = 0x30;
    der[1] = (uint8_t)(n - 2);
    t = with_sig(RFC7515_A3_JWS_LOW_S, der, n);
    assert_int_equal(verify(ks, t), TESSERA_ERR_SIGNATURE);
    free(t);
    tessera_keyset_free(ks);
}

/* OpenSSL rejects r or s outside [1, n-1] too; these check our own range check and
 * DER writer directly, so neither rests on the other. */
static void ecdsa_raw_to_der_checks_the_range(void **state)
{
    uint8_t raw[64], der[72];

    memset(raw, 0, 64);
    raw[31] = raw[63] = 1;   /* r = s = 1: the smallest valid pair */
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 8);
    assert_memory_equal(der, "\x30\x06\x02\x01\x01\x02\x01\x01", 8);

    memcpy(raw, p256_n, 32);   /* r = n */
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 0);
    raw[31] -= 1;              /* r = n - 1: valid, high bit set, so 33 bytes */
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 2 + 35 + 3);
    assert_memory_equal(der, "\x30\x26\x02\x21\x00\xff", 6);
    raw[31] += 2;              /* r = n + 1 */
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 0);
    memset(raw, 0xff, 32);     /* r = 2^256 - 1 */
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 0);
    memset(raw, 0, 32);        /* r = 0 */
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 0);
    raw[31] = 1;
    memset(raw + 32, 0, 32);   /* s = 0 */
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 0);
    memcpy(raw + 32, p256_n, 32);   /* s = n */
    assert_int_equal(tessera__ecdsa_raw_to_der(raw, der), 0);
}

static void ecdsa_der_to_raw_roundtrips_and_refuses_garbage(void **state)
{
    uint8_t raw[64], back[64], der[80];
    size_t n;

    for (int i = 0; i < 64; i++)
        raw[i] = (uint8_t)(i * 37 + 5);
    raw[0] = 0x7f;    /* below n */
    raw[32] = 0x00;   /* a leading zero byte in s */
    raw[33] = 0x90;
    n = tessera__ecdsa_raw_to_der(raw, der);
    assert_true(n > 0);
    assert_int_equal(tessera__ecdsa_der_to_raw(der, n, back), 0);
    assert_memory_equal(back, raw, 64);

    assert_int_equal(tessera__ecdsa_der_to_raw(der, n - 1, back), -1);   /* truncated */
    der[n] = 0;
    assert_int_equal(tessera__ecdsa_der_to_raw(der, n + 1, back), -1);   /* trailing */
    der[0] = 0x31;
    assert_int_equal(tessera__ecdsa_der_to_raw(der, n, back), -1);       /* not SEQUENCE */
    der[0] = 0x30;
    der[2] = 0x03;
    assert_int_equal(tessera__ecdsa_der_to_raw(der, n, back), -1);       /* not INTEGER */
    /* A 33-byte integer without its 0x00 is too large for P-256. */
    static const uint8_t big[] = { 0x30, 0x26, 0x02, 0x21, 0x01, [5 ... 36] = 0x11,
                                   0x02, 0x01, 0x01 };
    assert_int_equal(tessera__ecdsa_der_to_raw(big, sizeof big, back), -1);
}

/* ---- sizes and arguments ---- */

static void limits_token_length(void **state)
{
    tessera_key *k = NULL;
    char *t = NULL, *payload;
    size_t want = TESSERA_MAX_TOKEN_LEN, n;

    assert_int_equal(tessera_key_from_secret(secret32, sizeof secret32, NULL, &k),
                     TESSERA_OK);
    tessera_keyset *ks = set_of(k, NULL);
    /* A valid token of exactly TESSERA_MAX_TOKEN_LEN characters: find a payload
     * size and header padding that land on it. */
    payload = malloc(want);
    for (int pad = 0; pad < 4 && !t; pad++) {
        char header[32];
        snprintf(header, sizeof header, "{\"alg\":\"HS256\"%*s}", pad, "");
        for (n = 6000; n < want && !t; n++) {
            size_t total = tessera_b64url_encoded_len(strlen(header)) + 1
                           + tessera_b64url_encoded_len(n) + 1 + 43;
            if (total != want)
                continue;
            memset(payload, 'a', n);
            payload[0] = '"';
            payload[n - 1] = '"';
            payload[n] = '\0';
            t = sign_raw(k, header, payload);
        }
    }
    assert_non_null(t);
    assert_int_equal(strlen(t), TESSERA_MAX_TOKEN_LEN);
    assert_int_equal(verify(ks, t), TESSERA_OK);

    char *longer = malloc(want + 2);
    memcpy(longer, t, want);
    longer[want] = 'A';
    longer[want + 1] = '\0';
    assert_int_equal(verify(ks, longer), TESSERA_ERR_TOO_LARGE);
    /* And the signer refuses what the verifier would refuse. */
    char *big = NULL;
    memset(payload, 'a', want - 1);
    payload[want - 1] = '\0';
    assert_int_equal(tessera_jws_sign_raw(k, "{\"alg\":\"HS256\"}", 15,
                                          (const uint8_t *)payload, strlen(payload), &big),
                     TESSERA_ERR_TOO_LARGE);
    assert_null(big);
    free(longer);
    free(payload);
    free(t);
    tessera_keyset_free(ks);
}

static void hands_back_nothing_on_error(void **state)
{
    tessera_keyset *ks = set_of(key_from(RFC7515_A1_JWK), NULL);
    char *payload = (char *)"sentinel";
    size_t len = 99;
    char buf[1024];

    snprintf(buf, sizeof buf, "%s", RFC7515_A1_JWS);
    buf[strlen(buf) - 2] ^= 1;
    assert_int_equal(tessera_jws_verify(ks, buf, strlen(buf), &payload, &len),
                     TESSERA_ERR_SIGNATURE);
    assert_null(payload);
    assert_int_equal(len, 0);
    /* And no payload wanted is fine. */
    assert_int_equal(tessera_jws_verify(ks, RFC7515_A1_JWS, strlen(RFC7515_A1_JWS), NULL,
                                        NULL),
                     TESSERA_OK);
    tessera_keyset_free(ks);
}

static void rejects_null_arguments(void **state)
{
    tessera_keyset *ks = set_of(key_from(RFC7515_A1_JWK), NULL);
    tessera_key *k = key_from(RFC7515_A1_JWK);
    char *out = NULL;

    assert_int_equal(tessera_jws_verify(NULL, RFC7515_A1_JWS, 10, NULL, NULL),
                     TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_jws_verify(ks, NULL, 10, NULL, NULL), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_jws_sign_raw(NULL, "{}", 2, NULL, 0, &out),
                     TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_jws_sign_raw(k, NULL, 2, NULL, 0, &out),
                     TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_jws_sign_raw(k, "{}", 2, NULL, 0, NULL),
                     TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_jwt_sign(k, NULL, NULL, 0, &out), TESSERA_ERR_INVALID_ARG);
    assert_null(out);
    tessera_key_free(k);
    tessera_keyset_free(ks);
}

static void empty_payload_is_a_valid_jws(void **state)
{
    tessera_key *k = key_from(RFC8037_PRIVATE_JWK);
    char *t = NULL, *payload = NULL;
    size_t n = 9;

    assert_int_equal(tessera_jws_sign_raw(k, RFC8037_HEADER, strlen(RFC8037_HEADER), NULL,
                                          0, &t),
                     TESSERA_OK);
    assert_non_null(strstr(t, ".."));
    tessera_keyset *ks = set_of(k, NULL);
    assert_int_equal(tessera_jws_verify(ks, t, strlen(t), &payload, &n), TESSERA_OK);
    assert_int_equal(n, 0);
    assert_string_equal(payload, "");
    free(payload);
    free(t);
    tessera_keyset_free(ks);
}

/* ---- threads ---- */

struct worker {
    const tessera_keyset *ks;
    const tessera_key *signers[5];
    char *tokens[5], *bad[5];
    int failures;
};

static void *verify_loop(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 200; i++) {
        for (int j = 0; j < 5; j++) {
            if (verify(w->ks, w->tokens[j]) != TESSERA_OK)
                w->failures++;
            if (verify(w->ks, w->bad[j]) != TESSERA_ERR_SIGNATURE)
                w->failures++;
        }
        if (i % 50 == 0) {
            for (int j = 0; j < 5; j++) {
                char *t = NULL;
                if (tessera_jwt_sign(w->signers[j], NULL, "{}", 2, &t) != TESSERA_OK
                    || verify(w->ks, t) != TESSERA_OK)
                    w->failures++;
                free(t);
            }
        }
    }
    return NULL;
}

/* Keys and sets are shared read-only between threads: prepared contexts are
 * duplicated per call, never used in place. */
static void verifies_from_many_threads_at_once(void **state)
{
    enum { THREADS = 4 };
    struct worker w[THREADS];
    pthread_t th[THREADS];
    tessera_keyset *ks = NULL;
    tessera_key *keys[5];
    char *tokens[5], *bad[5];

    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    for (int j = 0; j < 5; j++) {
        keys[j] = generated((tessera_alg)(TESSERA_ALG_ES256 + j));
        assert_int_equal(tessera_jwt_sign(keys[j], NULL, "{\"n\":1}", 7, &tokens[j]),
                         TESSERA_OK);
        bad[j] = strdup(tokens[j]);
        char *last = bad[j] + strlen(bad[j]) - 3;
        *last = *last == 'A' ? 'B' : 'A';
        assert_int_equal(tessera_keyset_add(ks, keys[j]), TESSERA_OK);
    }
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){ .ks = ks, .failures = 0 };
        memcpy(w[i].signers, keys, sizeof keys);
        memcpy(w[i].tokens, tokens, sizeof tokens);
        memcpy(w[i].bad, bad, sizeof bad);
        assert_int_equal(pthread_create(&th[i], NULL, verify_loop, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    for (int j = 0; j < 5; j++) {
        free(tokens[j]);
        free(bad[j]);
    }
    tessera_keyset_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc7515_a1_hs256_is_reproduced_exactly),
        cmocka_unit_test(rfc7515_a2_rs256_is_reproduced_exactly),
        cmocka_unit_test(rfc7515_a3_es256_verifies_and_roundtrips),
        cmocka_unit_test(rfc8037_a4_ed25519_is_reproduced_exactly),
        cmocka_unit_test(jwt_sign_roundtrips_every_alg),
        cmocka_unit_test(jwt_sign_without_typ_omits_it),
        cmocka_unit_test(jwt_sign_escapes_the_kid),
        cmocka_unit_test(jwt_sign_refuses_claims_that_are_not_an_object),
        cmocka_unit_test(sign_raw_requires_the_keys_alg_and_a_private_key),
        cmocka_unit_test(hs256_matches_openssl_hmac_for_any_key_length),
        cmocka_unit_test(rejects_alg_none_in_any_case),
        cmocka_unit_test(rejects_missing_unknown_or_mistyped_alg),
        cmocka_unit_test(rejects_hs256_keyed_with_the_public_key),
        cmocka_unit_test(rejects_an_alg_other_than_the_keys),
        cmocka_unit_test(ps256_roundtrips),
        cmocka_unit_test(rejects_headers_that_bring_their_own_key),
        cmocka_unit_test(rejects_duplicate_header_members),
        cmocka_unit_test(rejects_a_header_that_is_not_a_json_object),
        cmocka_unit_test(limits_header_nesting_to_16),
        cmocka_unit_test(finds_the_key_by_kid_only),
        cmocka_unit_test(rejects_wrong_segment_counts),
        cmocka_unit_test(rejects_padding_in_any_segment),
        cmocka_unit_test(rejects_bytes_outside_base64url),
        cmocka_unit_test(rejects_noncanonical_base64url),
        cmocka_unit_test(rejects_a_tampered_payload_or_header),
        cmocka_unit_test(rejects_a_stripped_signature),
        cmocka_unit_test(rejects_a_signature_by_another_key_with_the_same_kid),
        cmocka_unit_test(es256_rejects_r_or_s_out_of_range),
        cmocka_unit_test(es256_accepts_small_r_and_s),
        cmocka_unit_test(es256_signs_low_s_and_refuses_the_high_s_twin),
        cmocka_unit_test(ecdsa_low_s_boundary),
        cmocka_unit_test(rejects_signatures_of_the_wrong_length),
        cmocka_unit_test(es256_rejects_a_der_signature),
        cmocka_unit_test(ecdsa_raw_to_der_checks_the_range),
        cmocka_unit_test(ecdsa_der_to_raw_roundtrips_and_refuses_garbage),
        cmocka_unit_test(limits_token_length),
        cmocka_unit_test(hands_back_nothing_on_error),
        cmocka_unit_test(rejects_null_arguments),
        cmocka_unit_test(empty_payload_is_a_valid_jws),
        cmocka_unit_test(verifies_from_many_threads_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
