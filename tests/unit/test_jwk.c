/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/key.c, lib/jwk.c, lib/keyset.c: key generation, JWK import and export, RFC 7638
 * thumbprints, key sets and their JWKS form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "tessera.h"
#include "../vectors/jose_rfc.h"

static tessera_status import(const char *jwk, tessera_key **k)
{
    return tessera_key_from_jwk(jwk, strlen(jwk), k);
}

static tessera_key *key_from(const char *jwk)
{
    tessera_key *k = NULL;
    assert_int_equal(import(jwk, &k), TESSERA_OK);
    return k;
}

/* Parses exported JSON for inspection. */
static json_t *parse(const char *s)
{
    json_error_t err;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &err);
    assert_non_null(j);
    return j;
}

static const char *member(json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

static void assert_thumbprint(const tessera_key *k, const char *want)
{
    char tp[44];
    memset(tp, 'X', sizeof tp);
    assert_int_equal(tessera_key_thumbprint(k, tp), TESSERA_OK);
    assert_string_equal(tp, want);
}

/* ---- thumbprints (RFC 7638) ---- */

static void rfc7638_rsa_thumbprint(void **state)
{
    tessera_key *k = key_from(RFC7638_JWK);
    assert_thumbprint(k, RFC7638_THUMBPRINT);
    assert_string_equal(tessera_key_kid(k), "2011-04-29");   /* the JWK's own kid */
    assert_int_equal(tessera_key_alg(k), TESSERA_ALG_RS256);
    assert_int_equal(tessera_key_is_private(k), 0);
    tessera_key_free(k);
}

static void rfc8037_ed25519_thumbprint(void **state)
{
    tessera_key *pub = key_from(RFC8037_PUBLIC_JWK), *priv = key_from(RFC8037_PRIVATE_JWK);
    assert_thumbprint(pub, RFC8037_THUMBPRINT);
    assert_thumbprint(priv, RFC8037_THUMBPRINT);   /* of the public key */
    /* Without a "kid" member, the kid is the thumbprint. */
    assert_string_equal(tessera_key_kid(pub), RFC8037_THUMBPRINT);
    assert_int_equal(tessera_key_alg(pub), TESSERA_ALG_EDDSA);
    assert_int_equal(tessera_key_is_private(pub), 0);
    assert_int_equal(tessera_key_is_private(priv), 1);
    tessera_key_free(pub);
    tessera_key_free(priv);
}

/* Optional members and member order do not change the thumbprint. */
static void thumbprint_ignores_order_and_optional_members(void **state)
{
    static const char reordered[] =
        "{\"use\":\"sig\",\"e\":\"AQAB\",\"kid\":\"x\",\"n\":\""
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        "\",\"kty\":\"RSA\"}";
    tessera_key *k = key_from(reordered);
    assert_thumbprint(k, RFC7638_THUMBPRINT);
    tessera_key_free(k);
}

/* The thumbprint computed independently: SHA-256 of the canonical JSON, by hand. */
static void thumbprint_is_sha256_of_the_canonical_members(void **state)
{
    char canonical[256], want[44];
    uint8_t md[32];
    tessera_key *k = key_from(RFC7515_A3_PUBLIC_JWK);

    snprintf(canonical, sizeof canonical,
             "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", RFC7515_A3_X,
             RFC7515_A3_Y);
    assert_int_equal(EVP_Digest(canonical, strlen(canonical), md, NULL, EVP_sha256(), NULL),
                     1);
    tessera_b64url_encode(md, sizeof md, want);
    assert_thumbprint(k, want);
    tessera_key_free(k);
}

/* ---- generation ---- */

static void generated_keys_are_private_with_kid_equal_to_thumbprint(void **state)
{
    for (tessera_alg alg = TESSERA_ALG_ES256; alg <= TESSERA_ALG_HS256; alg++) {
        tessera_key *a = NULL, *b = NULL;
        char tp[44];
        assert_int_equal(tessera_key_generate(alg, &a), TESSERA_OK);
        assert_int_equal(tessera_key_generate(alg, &b), TESSERA_OK);
        assert_int_equal(tessera_key_alg(a), alg);
        assert_int_equal(tessera_key_is_private(a), 1);
        assert_int_equal(tessera_key_thumbprint(a, tp), TESSERA_OK);
        assert_int_equal(strlen(tp), 43);
        assert_string_equal(tessera_key_kid(a), tp);
        assert_string_not_equal(tessera_key_kid(a), tessera_key_kid(b));
        tessera_key_free(a);
        tessera_key_free(b);
    }
}

static void generate_rejects_unknown_algs(void **state)
{
    tessera_key *k = (tessera_key *)&k;
    assert_int_equal(tessera_key_generate(TESSERA_ALG_UNKNOWN, &k), TESSERA_ERR_INVALID_ARG);
    assert_null(k);
    assert_int_equal(tessera_key_generate((tessera_alg)99, &k), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_key_generate(TESSERA_ALG_ES256, NULL), TESSERA_ERR_INVALID_ARG);
}

static void generated_rsa_keys_have_2048_bits(void **state)
{
    tessera_key *k = NULL;
    uint8_t n[600];
    size_t len = 0;

    assert_int_equal(tessera_key_generate(TESSERA_ALG_RS256, &k), TESSERA_OK);
    char *jwk = tessera_key_to_jwk(k, 0);
    json_t *j = parse(jwk);
    const char *nb = member(j, "n");
    assert_int_equal(tessera_b64url_decode(nb, strlen(nb), n, &len), TESSERA_OK);
    assert_int_equal(len, 256);
    assert_true(n[0] & 0x80);
    json_decref(j);
    free(jwk);
    tessera_key_free(k);
}

/* ---- export ---- */

static void exports_public_members_only_by_default(void **state)
{
    static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "k" };
    const char *jwks[] = { RFC7515_A2_PRIVATE_JWK, RFC7515_A3_PRIVATE_JWK,
                           RFC8037_PRIVATE_JWK, RFC7515_A1_JWK };
    for (size_t i = 0; i < sizeof jwks / sizeof jwks[0]; i++) {
        tessera_key *k = key_from(jwks[i]);
        char *s = tessera_key_to_jwk(k, 0);
        json_t *j = parse(s);
        for (size_t m = 0; m < sizeof private_members / sizeof private_members[0]; m++)
            assert_null(json_object_get(j, private_members[m]));
        assert_string_equal(member(j, "kid"), tessera_key_kid(k));
        assert_string_equal(member(j, "alg"), tessera_alg_name(tessera_key_alg(k)));
        assert_string_equal(member(j, "use"), "sig");
        json_decref(j);
        free(s);
        tessera_key_free(k);
    }
}

static void exports_the_members_of_each_key_type(void **state)
{
    tessera_key *ec = key_from(RFC7515_A3_PRIVATE_JWK), *ed = key_from(RFC8037_PRIVATE_JWK);
    tessera_key *rsa = key_from(RFC7515_A2_PRIVATE_JWK), *hs = key_from(RFC7515_A1_JWK);
    char *s;
    json_t *j, *orig;

    s = tessera_key_to_jwk(ec, 1);
    j = parse(s);
    assert_string_equal(member(j, "kty"), "EC");
    assert_string_equal(member(j, "crv"), "P-256");
    assert_string_equal(member(j, "x"), RFC7515_A3_X);
    assert_string_equal(member(j, "y"), RFC7515_A3_Y);
    assert_string_equal(member(j, "d"), RFC7515_A3_D);
    json_decref(j);
    free(s);

    s = tessera_key_to_jwk(ed, 1);
    j = parse(s);
    assert_string_equal(member(j, "kty"), "OKP");
    assert_string_equal(member(j, "crv"), "Ed25519");
    assert_string_equal(member(j, "x"), RFC8037_X);
    assert_string_equal(member(j, "d"), RFC8037_D);
    json_decref(j);
    free(s);

    s = tessera_key_to_jwk(rsa, 1);
    j = parse(s);
    orig = parse(RFC7515_A2_PRIVATE_JWK);
    assert_string_equal(member(j, "kty"), "RSA");
    static const char *const rsa_members[] = { "n", "e", "d", "p", "q", "dp", "dq", "qi" };
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(member(j, rsa_members[i]), member(orig, rsa_members[i]));
    assert_string_equal(member(j, "alg"), "RS256");
    json_decref(orig);
    json_decref(j);
    free(s);

    s = tessera_key_to_jwk(hs, 1);
    j = parse(s);
    orig = parse(RFC7515_A1_JWK);
    assert_string_equal(member(j, "kty"), "oct");
    assert_string_equal(member(j, "k"), member(orig, "k"));
    assert_string_equal(member(j, "alg"), "HS256");
    json_decref(orig);
    json_decref(j);
    free(s);

    /* Member order of an EC public JWK, exactly. */
    s = tessera_key_to_jwk(ec, 0);
    char want[300];
    snprintf(want, sizeof want,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\","
             "\"alg\":\"ES256\",\"use\":\"sig\"}",
             RFC7515_A3_X, RFC7515_A3_Y, tessera_key_kid(ec));
    assert_string_equal(s, want);
    free(s);

    tessera_key_free(ec);
    tessera_key_free(ed);
    tessera_key_free(rsa);
    tessera_key_free(hs);
}

/* A private export re-imports to the same key: same kid, same thumbprint, and what
 * one signs the other verifies. This is how the server stores its signing keys. */
static void private_export_roundtrips(void **state)
{
    for (tessera_alg alg = TESSERA_ALG_ES256; alg <= TESSERA_ALG_HS256; alg++) {
        tessera_key *a = NULL, *b = NULL;
        char tpa[44], tpb[44], *s, *t = NULL;

        assert_int_equal(tessera_key_generate(alg, &a), TESSERA_OK);
        s = tessera_key_to_jwk(a, 1);
        assert_non_null(s);
        assert_int_equal(import(s, &b), TESSERA_OK);
        assert_string_equal(tessera_key_kid(a), tessera_key_kid(b));
        assert_int_equal(tessera_key_thumbprint(a, tpa), TESSERA_OK);
        assert_int_equal(tessera_key_thumbprint(b, tpb), TESSERA_OK);
        assert_string_equal(tpa, tpb);
        assert_int_equal(tessera_key_is_private(b), 1);
        assert_int_equal(tessera_key_alg(b), alg);

        assert_int_equal(tessera_jwt_sign(b, NULL, "{}", 2, &t), TESSERA_OK);
        tessera_keyset *ks = NULL;
        assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
        assert_int_equal(tessera_keyset_add(ks, a), TESSERA_OK);
        assert_int_equal(tessera_jws_verify(ks, t, strlen(t), NULL, NULL), TESSERA_OK);
        free(t);
        free(s);
        tessera_key_free(b);
        tessera_keyset_free(ks);
    }
}

static void public_export_of_a_private_key_imports_as_public(void **state)
{
    tessera_key *priv = key_from(RFC7515_A3_PRIVATE_JWK), *pub = NULL;
    char *s = tessera_key_to_jwk(priv, 0), *t = NULL;

    assert_int_equal(import(s, &pub), TESSERA_OK);
    assert_int_equal(tessera_key_is_private(pub), 0);
    assert_string_equal(tessera_key_kid(pub), tessera_key_kid(priv));
    assert_int_equal(tessera_jwt_sign(pub, NULL, "{}", 2, &t), TESSERA_ERR_KEY);
    assert_null(t);
    /* include_private on a public key has nothing more to add. */
    char *again = tessera_key_to_jwk(pub, 1);
    assert_string_equal(again, s);
    free(again);
    free(s);
    tessera_key_free(priv);
    tessera_key_free(pub);
}

static void export_escapes_the_kid(void **state)
{
    static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";
    tessera_key *k = NULL;
    assert_int_equal(tessera_key_from_secret(secret, sizeof secret, "a\"b\\c\x01", &k),
                     TESSERA_OK);
    char *s = tessera_key_to_jwk(k, 1);
    json_t *j = parse(s);
    assert_string_equal(member(j, "kid"), "a\"b\\c\x01");
    json_decref(j);
    free(s);
    tessera_key_free(k);
}

/* ---- import: what is refused ---- */

static void rejects_rsa_under_2048_bits(void **state)
{
    for (unsigned bits = 1024; bits <= 2048; bits += 1024) {
        EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
        BIGNUM *n = NULL, *e = NULL;
        uint8_t nb[256], eb[8];
        char nenc[400], eenc[16], jwk[600];
        tessera_key *k = (tessera_key *)&k;

        assert_non_null(pkey);
        assert_true(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n));
        assert_true(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e));
        int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
        tessera_b64url_encode(nb, (size_t)nl, nenc);
        tessera_b64url_encode(eb, (size_t)el, eenc);
        snprintf(jwk, sizeof jwk, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", nenc, eenc);
        if (bits < 2048) {
            assert_int_equal(import(jwk, &k), TESSERA_ERR_KEY);
            assert_null(k);
        } else {
            assert_int_equal(import(jwk, &k), TESSERA_OK);   /* the control */
            tessera_key_free(k);
        }
        BN_free(n);
        BN_free(e);
        EVP_PKEY_free(pkey);
    }
}

static void rejects_malformed_keys(void **state)
{
    static const char *const bad[] = {
        /* no kty, kty not a string */
        "{\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}",
        "{\"kty\":1,\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
        /* EC: missing y, short x, padded x, point not on the curve */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVE\",\"y\":\"" RFC7515_A3_Y "\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "=\",\"y\":\"" RFC7515_A3_Y "\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
        /* EC: a d that does not belong to x, y */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y
        "\",\"d\":\"kpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}",
        /* OKP: short x, a d that does not belong to x */
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X
        "\",\"d\":\"oWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}",
        /* RSA: no e, n not base64url, private without the CRT members */
        "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\"}",
        "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "+\",\"e\":\"AQAB\"}",
        "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\",\"d\":\"AQAB\"}",
        /* oct: no k, k under 32 bytes */
        "{\"kty\":\"oct\"}",
        "{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
        /* kid not a string, empty kid */
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\",\"kid\":7}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\",\"kid\":\"\"}",
        /* unsupported types and curves, and keys not for signatures */
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\",\"y\":\"AAAA\"}",
        "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" RFC8037_X "\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\",\"use\":\"enc\"}",
        "{\"kty\":\"DSA\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tessera_key *k = (tessera_key *)&k;
        tessera_status st = import(bad[i], &k);
        if (st != TESSERA_ERR_KEY)
            print_error("case %zu: %s\n", i, tessera_strerror(st));
        assert_int_equal(st, TESSERA_ERR_KEY);
        assert_null(k);
    }
}

/* Each private member of the RFC 7515 A.2 key changed in one character: a key whose
 * parts disagree is refused, even where OpenSSL would sign correctly with the rest
 * (a wrong "d" is never used by CRT signing). */
static void rejects_inconsistent_rsa_private_keys(void **state)
{
    static const char *const names[] = { "\"d\":\"", "\"p\":\"", "\"q\":\"",
                                         "\"dp\":\"", "\"dq\":\"", "\"qi\":\"" };
    char jwk[sizeof RFC7515_A2_PRIVATE_JWK];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        tessera_key *k = (tessera_key *)&k;
        memcpy(jwk, RFC7515_A2_PRIVATE_JWK, sizeof jwk);
        char *v = strstr(jwk, names[i]);
        assert_non_null(v);
        v += strlen(names[i]) + 10;
        *v = *v == 'A' ? 'B' : 'A';
        assert_int_equal(import(jwk, &k), TESSERA_ERR_KEY);
        assert_null(k);
    }
    tessera_key *k = key_from(RFC7515_A2_PRIVATE_JWK);   /* the control */
    tessera_key_free(k);
}

static void rejects_an_alg_that_does_not_fit_the_key(void **state)
{
    static const char *const bad[] = {
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"RS256\",\"x\":\"" RFC7515_A3_X
        "\",\"y\":\"" RFC7515_A3_Y "\"}",
        "{\"kty\":\"RSA\",\"alg\":\"HS256\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
        "{\"kty\":\"RSA\",\"alg\":\"ES256\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"ES256\",\"x\":\"" RFC8037_X "\"}",
        "{\"kty\":\"oct\",\"alg\":\"RS256\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}",
        "{\"kty\":\"RSA\",\"alg\":\"none\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
        "{\"kty\":\"RSA\",\"alg\":\"RS512\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tessera_key *k = NULL;
        assert_int_equal(import(bad[i], &k), TESSERA_ERR_ALG);
        assert_null(k);
    }
    /* PS256 on an RSA key is fine, and sticks. */
    tessera_key *k = key_from("{\"kty\":\"RSA\",\"alg\":\"PS256\",\"n\":\"" RFC7515_A2_N
                              "\",\"e\":\"AQAB\"}");
    assert_int_equal(tessera_key_alg(k), TESSERA_ALG_PS256);
    tessera_key_free(k);
}

static void rejects_json_that_is_not_one_jwk_object(void **state)
{
    static const char *const bad[] = {
        "", "[]", "null", "\"RSA\"", "{\"kty\":\"oct\"", "{\"kty\":\"oct\"} {}",
        "{\"kty\":\"OKP\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tessera_key *k = NULL;
        assert_int_equal(import(bad[i], &k), TESSERA_ERR_MALFORMED);
        assert_null(k);
    }
    tessera_key *k = (tessera_key *)&k;
    assert_int_equal(tessera_key_from_jwk(NULL, 0, &k), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_key_from_jwk("{}", 2, NULL), TESSERA_ERR_INVALID_ARG);
}

static void from_secret_needs_32_bytes(void **state)
{
    uint8_t secret[64] = { 1 };
    tessera_key *k = (tessera_key *)&k;
    char tp[44];

    assert_int_equal(tessera_key_from_secret(secret, 31, NULL, &k), TESSERA_ERR_KEY);
    assert_null(k);
    assert_int_equal(tessera_key_from_secret(NULL, 32, NULL, &k), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_key_from_secret(secret, 32, "", &k), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_key_from_secret(secret, 32, NULL, &k), TESSERA_OK);
    assert_int_equal(tessera_key_alg(k), TESSERA_ALG_HS256);
    assert_int_equal(tessera_key_is_private(k), 1);
    assert_int_equal(tessera_key_thumbprint(k, tp), TESSERA_OK);
    assert_string_equal(tessera_key_kid(k), tp);
    tessera_key_free(k);
    assert_int_equal(tessera_key_from_secret(secret, 64, "mine", &k), TESSERA_OK);
    assert_string_equal(tessera_key_kid(k), "mine");
    tessera_key_free(k);
}

static void accessors_accept_null(void **state)
{
    char tp[44];
    assert_null(tessera_key_kid(NULL));
    assert_int_equal(tessera_key_alg(NULL), TESSERA_ALG_UNKNOWN);
    assert_int_equal(tessera_key_is_private(NULL), 0);
    assert_null(tessera_key_to_jwk(NULL, 0));
    assert_int_equal(tessera_key_thumbprint(NULL, tp), TESSERA_ERR_INVALID_ARG);
    tessera_key_free(NULL);
    tessera_keyset_free(NULL);
}

/* ---- key sets ---- */

static void keyset_add_find_get(void **state)
{
    tessera_keyset *ks = NULL;
    tessera_key *a = key_from(RFC7638_JWK), *b = key_from(RFC8037_PUBLIC_JWK);
    tessera_key *dup = key_from(RFC7638_JWK);

    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    assert_int_equal(tessera_keyset_count(ks), 0);
    assert_int_equal(tessera_keyset_add(ks, a), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, b), TESSERA_OK);
    /* Same kid again: refused, and the set freed the key (ASan checks that). */
    assert_int_equal(tessera_keyset_add(ks, dup), TESSERA_ERR_KID);
    assert_int_equal(tessera_keyset_count(ks), 2);
    assert_ptr_equal(tessera_keyset_find(ks, "2011-04-29"), a);
    assert_ptr_equal(tessera_keyset_find(ks, RFC8037_THUMBPRINT), b);
    assert_null(tessera_keyset_find(ks, "2011-04-2"));
    assert_null(tessera_keyset_find(ks, NULL));
    assert_ptr_equal(tessera_keyset_get(ks, 0), a);
    assert_ptr_equal(tessera_keyset_get(ks, 1), b);
    assert_null(tessera_keyset_get(ks, 2));
    assert_int_equal(tessera_keyset_add(NULL, key_from(RFC7638_JWK)), TESSERA_ERR_INVALID_ARG);
    tessera_keyset_free(ks);
}

static void keyset_grows(void **state)
{
    tessera_keyset *ks = NULL;
    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    for (int i = 0; i < 40; i++) {
        uint8_t secret[32] = { (uint8_t)i };
        char kid[8];
        tessera_key *k = NULL;
        snprintf(kid, sizeof kid, "k%d", i);
        assert_int_equal(tessera_key_from_secret(secret, sizeof secret, kid, &k), TESSERA_OK);
        assert_int_equal(tessera_keyset_add(ks, k), TESSERA_OK);
    }
    assert_int_equal(tessera_keyset_count(ks), 40);
    assert_string_equal(tessera_key_kid(tessera_keyset_find(ks, "k39")), "k39");
    tessera_keyset_free(ks);
}

static void jwks_skips_unsupported_keys(void **state)
{
    static const char jwks[] =
        "{\"keys\":["
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"p384\",\"x\":\"AAAA\",\"y\":\"AAAA\"},"
        "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"kid\":\"x\",\"x\":\"" RFC8037_X "\"},"
        "{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"enc\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"},"
        "{\"kty\":\"RSA\",\"alg\":\"RS512\",\"kid\":\"rs512\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"},"
        "{\"kty\":\"foo\"},"
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}"
        "]}";
    tessera_keyset *ks = NULL;

    assert_int_equal(tessera_keyset_from_jwks(jwks, strlen(jwks), &ks), TESSERA_OK);
    assert_int_equal(tessera_keyset_count(ks), 2);
    assert_non_null(tessera_keyset_find(ks, "ec"));
    assert_non_null(tessera_keyset_find(ks, RFC8037_THUMBPRINT));
    assert_int_equal(tessera_jws_verify(ks, RFC8037_JWS, strlen(RFC8037_JWS), NULL, NULL),
                     TESSERA_ERR_KID);   /* two keys: the A.4 header has no kid */
    tessera_keyset_free(ks);
}

static void jwks_fails_on_a_malformed_supported_key(void **state)
{
    static const char *const bad[] = {
        /* a P-256 key off the curve */
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_X "\"}]}",
        /* two keys with one kid */
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"" RFC8037_X "\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}]}",
        /* an entry that is not an object */
        "{\"keys\":[\"x\"]}",
        /* an EC key claiming RS256 */
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"RS256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}]}",
    };
    static const tessera_status want[] = { TESSERA_ERR_KEY, TESSERA_ERR_KID, TESSERA_ERR_KEY,
                                           TESSERA_ERR_ALG };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tessera_keyset *ks = (tessera_keyset *)&ks;
        assert_int_equal(tessera_keyset_from_jwks(bad[i], strlen(bad[i]), &ks), want[i]);
        assert_null(ks);
    }
}

static void jwks_needs_a_keys_array(void **state)
{
    static const char *const bad[] = { "{}", "{\"keys\":{}}", "[]", "{\"keys\":[]} x",
                                       "{\"keys\":[],\"keys\":[]}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tessera_keyset *ks = NULL;
        assert_int_equal(tessera_keyset_from_jwks(bad[i], strlen(bad[i]), &ks),
                         TESSERA_ERR_MALFORMED);
        assert_null(ks);
    }
    tessera_keyset *ks = NULL;
    assert_int_equal(tessera_keyset_from_jwks("{\"keys\":[]}", 11, &ks), TESSERA_OK);
    assert_int_equal(tessera_keyset_count(ks), 0);
    tessera_keyset_free(ks);
}

/* The published JWKS: public members only, never an HS256 secret, and it parses back
 * into the same kids. */
static void jwks_output_is_public_and_roundtrips(void **state)
{
    tessera_keyset *ks = NULL, *back = NULL;
    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, key_from(RFC7515_A2_PRIVATE_JWK)), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, key_from(RFC7515_A3_PRIVATE_JWK)), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, key_from(RFC8037_PRIVATE_JWK)), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, key_from(RFC7515_A1_JWK)), TESSERA_OK);

    char *s = tessera_keyset_to_jwks(ks);
    assert_non_null(s);
    json_t *j = parse(s), *keys = json_object_get(j, "keys"), *k;
    size_t i;
    assert_int_equal(json_array_size(keys), 3);
    json_array_foreach(keys, i, k) {
        assert_string_not_equal(member(k, "kty"), "oct");
        assert_null(json_object_get(k, "d"));
        assert_null(json_object_get(k, "p"));
        assert_null(json_object_get(k, "k"));
        assert_string_equal(member(k, "use"), "sig");
    }
    json_decref(j);

    assert_int_equal(tessera_keyset_from_jwks(s, strlen(s), &back), TESSERA_OK);
    assert_int_equal(tessera_keyset_count(back), 3);
    for (i = 0; i < 3; i++) {
        const tessera_key *orig = tessera_keyset_get(ks, i);
        const tessera_key *copy = tessera_keyset_find(back, tessera_key_kid(orig));
        assert_non_null(copy);
        assert_int_equal(tessera_key_is_private(copy), 0);
        assert_int_equal(tessera_key_alg(copy), tessera_key_alg(orig));
    }
    /* The RFC tokens verify against the published set (each with its kid). */
    free(s);
    tessera_keyset_free(back);

    tessera_keyset *empty = NULL;
    assert_int_equal(tessera_keyset_new(&empty), TESSERA_OK);
    s = tessera_keyset_to_jwks(empty);
    assert_string_equal(s, "{\"keys\":[]}");
    free(s);
    tessera_keyset_free(empty);
    tessera_keyset_free(ks);
}

/* Found by fuzz_jwks: an RSA modulus with a small factor (1091). OpenSSL's public
 * check, a randomised Miller-Rabin, refused it now and then; the answer must be the
 * same every time (lib/jwk.c checks RSA keys deterministically). */
static void rsa_jwk_verdict_is_deterministic(void **state)
{
    static const char jwk[] = "{\"e\":\"AQAB\",\"kid\":\"rsa-1\",\"kty\":\"RSA\",\"n\":\"rwk-T2ugIHxmXriwV1xBN6IlOS3n9-bLQ0tDDr5OtTSMbWvm87KgcEMzlABkXARYv8u3rb9-zmWckuo4MhZQhNrOcN0N9kvjB7LOg4ROKuZ5yiwAwBzFWohdfal9HEOG02iWBQWPAkwiQlbsFVKWmXDhrSOnWZc02iWBQWPAkwiQlbsFVKWmXDhrSOnWZc36tM7nblQfUhAiLLdX9xYR0oE99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999N8aB_QATaxcoEVi0Vd0H3m-jmeTOyVxK8hBJdQH2b2O1fLbSLJ93KX-18DCZJf0Zap4_uT0xX5tEn37kztly2s_Sejl7gkm2Y-2VTajnoCaR7qOy1Zg3Z59hOKPVd0H3m-jmeTOyVxK8hBJd\"}";
    tessera_key *k = NULL;
    tessera_status first = tessera_key_from_jwk(jwk, strlen(jwk), &k);
    tessera_key_free(k);
    for (int i = 0; i < 500; i++) {
        k = NULL;
        assert_int_equal(tessera_key_from_jwk(jwk, strlen(jwk), &k), first);
        tessera_key_free(k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc7638_rsa_thumbprint),
        cmocka_unit_test(rfc8037_ed25519_thumbprint),
        cmocka_unit_test(thumbprint_ignores_order_and_optional_members),
        cmocka_unit_test(thumbprint_is_sha256_of_the_canonical_members),
        cmocka_unit_test(generated_keys_are_private_with_kid_equal_to_thumbprint),
        cmocka_unit_test(generate_rejects_unknown_algs),
        cmocka_unit_test(generated_rsa_keys_have_2048_bits),
        cmocka_unit_test(exports_public_members_only_by_default),
        cmocka_unit_test(exports_the_members_of_each_key_type),
        cmocka_unit_test(private_export_roundtrips),
        cmocka_unit_test(public_export_of_a_private_key_imports_as_public),
        cmocka_unit_test(export_escapes_the_kid),
        cmocka_unit_test(rejects_rsa_under_2048_bits),
        cmocka_unit_test(rejects_malformed_keys),
        cmocka_unit_test(rejects_inconsistent_rsa_private_keys),
        cmocka_unit_test(rejects_an_alg_that_does_not_fit_the_key),
        cmocka_unit_test(rejects_json_that_is_not_one_jwk_object),
        cmocka_unit_test(from_secret_needs_32_bytes),
        cmocka_unit_test(accessors_accept_null),
        cmocka_unit_test(keyset_add_find_get),
        cmocka_unit_test(keyset_grows),
        cmocka_unit_test(jwks_skips_unsupported_keys),
        cmocka_unit_test(jwks_fails_on_a_malformed_supported_key),
        cmocka_unit_test(jwks_needs_a_keys_array),
        cmocka_unit_test(jwks_output_is_public_and_roundtrips),
        cmocka_unit_test(rsa_jwk_verdict_is_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
