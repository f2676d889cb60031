/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWK (RFC 7517, 7518 section 6, RFC 8037) to and from tessera keys. Import is strict
 * about what it accepts: exact coordinate sizes, RSA of 2048 to 8192 bits with all CRT
 * members when private, a public point on the curve (OpenSSL's public key checks), a
 * private part matching the public one (checked, then proven by a signature), an
 * "alg" that fits the key type.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "internal.h"

/* A string member: *out NULL when absent; TESSERA_ERR_KEY when not a string. */
static tessera_status member(json_t *jwk, const char *name, const char **out)
{
    json_t *v = json_object_get(jwk, name);

    *out = NULL;
    if (!v)
        return TESSERA_OK;
    if (!json_is_string(v))
        return TESSERA_ERR_KEY;
    *out = json_string_value(v);
    return TESSERA_OK;
}

/* A base64url member of exactly n bytes into out; *present says whether it exists. */
static tessera_status fixed_member(json_t *jwk, const char *name, uint8_t *out,
                                   size_t n, int *present)
{
    const char *s;
    size_t len, got;
    tessera_status st = member(jwk, name, &s);

    *present = s != NULL;
    if (st != TESSERA_OK || !s)
        return st;
    len = strlen(s);
    if (len != tessera_b64url_encoded_len(n)
        || tessera_b64url_decode(s, len, out, &got) != TESSERA_OK || got != n)
        return TESSERA_ERR_KEY;
    return TESSERA_OK;
}

/* A base64urlUInt member (RFC 7518 section 2) into a new BIGNUM; a secure, cleared
 * one for private members. *bn NULL when absent. */
static tessera_status bn_member(json_t *jwk, const char *name, int secret, BIGNUM **bn)
{
    const char *s;
    uint8_t *buf;
    size_t len, got;
    tessera_status st = member(jwk, name, &s);

    *bn = NULL;
    if (st != TESSERA_OK || !s)
        return st;
    len = strlen(s);
    if (len == 0 || len > tessera_b64url_encoded_len(TESSERA__RSA_MAX_BITS / 8))
        return TESSERA_ERR_KEY;
    if (!(buf = OPENSSL_malloc(tessera__b64url_decoded_len(len) + 1)))
        return TESSERA_ERR_NOMEM;
    if (tessera_b64url_decode(s, len, buf, &got) != TESSERA_OK) {
        st = TESSERA_ERR_KEY;
    } else {
        *bn = secret ? BN_secure_new() : BN_new();
        if (!*bn || !BN_bin2bn(buf, (int)got, *bn)) {
            BN_clear_free(*bn);
            *bn = NULL;
            st = TESSERA_ERR_NOMEM;
        }
    }
    OPENSSL_clear_free(buf, tessera__b64url_decoded_len(len) + 1);
    return st;
}

/* Builds an EVP_PKEY of `type` from the parameters and runs OpenSSL's checks on it:
 * with `public_check`, the public check (EC: the point is on the curve), and when
 * `pairwise` is set, the check that the private part belongs to the public one. RSA
 * skips OpenSSL's public check: it tests the modulus with Miller-Rabin on random bases,
 * so a modulus with a small factor passed or failed from one call to the next (found
 * by fuzz_jwks), and a JWKS must not be accepted one minute and refused the next;
 * rsa_from_json makes its own, deterministic checks instead. */
static tessera_status pkey_from_params(const char *type, OSSL_PARAM_BLD *bld,
                                       int public_check, int private, int pairwise,
                                       EVP_PKEY **out)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    EVP_PKEY *pkey = NULL;
    tessera_status st = TESSERA_ERR_KEY;

    *out = NULL;
    if (!params || !(ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL))) {
        st = TESSERA_ERR_NOMEM;
        goto out;
    }
    if (EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                             params) != 1)
        goto out;
    if (!(check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL))) {
        st = TESSERA_ERR_NOMEM;
        goto out;
    }
    if ((public_check && EVP_PKEY_public_check(check) != 1)
        || (private && EVP_PKEY_private_check(check) != 1)
        || (pairwise && EVP_PKEY_pairwise_check(check) != 1))
        goto out;
    *out = pkey;
    pkey = NULL;
    st = TESSERA_OK;
out:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);   /* private BNs went into cleared secure memory */
    return st;
}

static tessera_status ec_from_json(json_t *jwk, tessera_key *k)
{
    uint8_t point[65], d[32];
    int has_x, has_y, has_d;
    BIGNUM *bd = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    tessera_status st;

    point[0] = 0x04;   /* uncompressed: 0x04 || x || y */
    if ((st = fixed_member(jwk, "x", point + 1, 32, &has_x)) != TESSERA_OK
        || (st = fixed_member(jwk, "y", point + 33, 32, &has_y)) != TESSERA_OK
        || (st = fixed_member(jwk, "d", d, 32, &has_d)) != TESSERA_OK)
        goto out;
    st = TESSERA_ERR_KEY;
    if (!has_x || !has_y)
        goto out;
    st = TESSERA_ERR_NOMEM;
    if (!(bld = OSSL_PARAM_BLD_new())
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            "prime256v1", 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
                                             sizeof point))
        goto out;
    if (has_d && (!(bd = BN_secure_new()) || !BN_bin2bn(d, sizeof d, bd)
                  || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bd)))
        goto out;
    k->is_private = has_d;
    st = pkey_from_params("EC", bld, 1, has_d, has_d, &k->pkey);
out:
    OPENSSL_cleanse(d, sizeof d);
    BN_clear_free(bd);
    OSSL_PARAM_BLD_free(bld);
    return st;
}

static tessera_status okp_from_json(json_t *jwk, tessera_key *k)
{
    uint8_t x[32], d[32], derived[32];
    size_t len = sizeof derived;
    int has_x, has_d;
    tessera_status st;

    if ((st = fixed_member(jwk, "x", x, 32, &has_x)) != TESSERA_OK
        || (st = fixed_member(jwk, "d", d, 32, &has_d)) != TESSERA_OK)
        goto out;
    st = TESSERA_ERR_KEY;
    if (!has_x)
        goto out;
    if (!has_d) {
        k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof x);
        st = k->pkey ? TESSERA_OK : TESSERA_ERR_KEY;
        goto out;
    }
    k->is_private = 1;
    k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, sizeof d);
    /* The public key is derived from d; "x" must be that key. */
    if (k->pkey && EVP_PKEY_get_raw_public_key(k->pkey, derived, &len)
        && len == sizeof x && memcmp(derived, x, sizeof x) == 0)
        st = TESSERA_OK;
out:
    OPENSSL_cleanse(d, sizeof d);
    return st;
}

enum { RSA_N, RSA_E, RSA_D, RSA_P, RSA_Q, RSA_DP, RSA_DQ, RSA_QI };

/* The private members of an RSA key agree: n = pq, dp = d mod (p-1), dq = d mod (q-1),
 * e dp = 1 mod (p-1), e dq = 1 mod (q-1), qi q = 1 mod p. A few multiplications,
 * where OpenSSL's keypair check (SP 800-56B, with primality tests) takes 35 ms per
 * 2048-bit key, too slow for a server loading its keys at start. */
static int rsa_consistent(BIGNUM *const bn[8])
{
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *t, *p1, *q1;
    int ok = 0;

    if (!ctx)
        return 0;
    BN_CTX_start(ctx);
    t = BN_CTX_get(ctx);
    p1 = BN_CTX_get(ctx);
    q1 = BN_CTX_get(ctx);
    ok = q1 && BN_mul(t, bn[RSA_P], bn[RSA_Q], ctx) && BN_cmp(t, bn[RSA_N]) == 0
         && BN_sub(p1, bn[RSA_P], BN_value_one()) && BN_sub(q1, bn[RSA_Q], BN_value_one())
         && BN_mod(t, bn[RSA_D], p1, ctx) && BN_cmp(t, bn[RSA_DP]) == 0
         && BN_mod(t, bn[RSA_D], q1, ctx) && BN_cmp(t, bn[RSA_DQ]) == 0
         && BN_mod_mul(t, bn[RSA_E], bn[RSA_DP], p1, ctx) && BN_is_one(t)
         && BN_mod_mul(t, bn[RSA_E], bn[RSA_DQ], q1, ctx) && BN_is_one(t)
         && BN_mod_mul(t, bn[RSA_QI], bn[RSA_Q], bn[RSA_P], ctx) && BN_is_one(t);
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);   /* a secure context: its numbers are cleared */
    return ok;
}

static tessera_status rsa_from_json(json_t *jwk, tessera_key *k)
{
    /* JWK member names and OpenSSL parameter names, public ones first. */
    static const char *const names[8][2] = {
        { "n", OSSL_PKEY_PARAM_RSA_N },
        { "e", OSSL_PKEY_PARAM_RSA_E },
        { "d", OSSL_PKEY_PARAM_RSA_D },
        { "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
        { "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
        { "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
        { "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
        { "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
    };
    BIGNUM *bn[8] = { 0 };
    OSSL_PARAM_BLD *bld = NULL;
    int count = 0, bits;
    tessera_status st = TESSERA_OK;

    for (int i = 0; i < 8 && st == TESSERA_OK; i++) {
        st = bn_member(jwk, names[i][0], i >= 2, &bn[i]);
        count += bn[i] != NULL;
    }
    if (st != TESSERA_OK)
        goto out;
    st = TESSERA_ERR_KEY;
    /* Public: n and e. Private: all eight. RFC 7518 6.3.2 lets a producer send "d"
     * alone, but the CRT members are what we check the key with and sign with; every
     * common producer includes them. Multi-prime keys ("oth") are not supported. */
    if (!bn[RSA_N] || !bn[RSA_E] || (count != 2 && count != 8)
        || json_object_get(jwk, "oth"))
        goto out;
    bits = BN_num_bits(bn[RSA_N]);
    /* Deterministic sanity: an odd modulus of an accepted size, an odd exponent
     * 3 <= e < n. */
    if (bits < TESSERA__RSA_MIN_BITS || bits > TESSERA__RSA_MAX_BITS
        || !BN_is_odd(bn[RSA_N]) || !BN_is_odd(bn[RSA_E]) || BN_num_bits(bn[RSA_E]) < 2
        || BN_cmp(bn[RSA_E], bn[RSA_N]) >= 0
        || (count == 8 && !rsa_consistent(bn)))
        goto out;
    st = TESSERA_ERR_NOMEM;
    if (!(bld = OSSL_PARAM_BLD_new()))
        goto out;
    for (int i = 0; i < count; i++)
        if (!OSSL_PARAM_BLD_push_BN(bld, names[i][1], bn[i]))
            goto out;
    k->is_private = count == 8;
    st = pkey_from_params("RSA", bld, 0, k->is_private, 0, &k->pkey);
out:
    for (int i = 0; i < 8; i++)
        BN_clear_free(bn[i]);
    OSSL_PARAM_BLD_free(bld);
    return st;
}

static tessera_status oct_from_json(json_t *jwk, tessera_key *k)
{
    const char *s;
    size_t len, got;
    tessera_status st = member(jwk, "k", &s);

    if (st != TESSERA_OK || !s)
        return TESSERA_ERR_KEY;
    len = strlen(s);
    /* secret_len is the allocated size until the decode succeeds, so that a key
     * freed on error clears every byte that may hold part of the secret. */
    k->secret_len = tessera__b64url_decoded_len(len) + 1;
    if (!(k->secret = OPENSSL_malloc(k->secret_len)))
        return TESSERA_ERR_NOMEM;
    if (tessera_b64url_decode(s, len, k->secret, &got) != TESSERA_OK || got < 32)
        return TESSERA_ERR_KEY;   /* the caller frees k and clears the secret */
    k->secret_len = got;
    k->is_private = 1;
    return TESSERA_OK;
}

/* The alg a key type implies, whether `alg` (when not UNKNOWN) fits it. */
static int alg_fits(const char *kty, tessera_alg alg)
{
    if (strcmp(kty, "RSA") == 0)
        return alg == TESSERA_ALG_RS256 || alg == TESSERA_ALG_PS256;
    if (strcmp(kty, "EC") == 0)
        return alg == TESSERA_ALG_ES256;
    if (strcmp(kty, "OKP") == 0)
        return alg == TESSERA_ALG_EDDSA;
    return alg == TESSERA_ALG_HS256;
}

static tessera_alg default_alg(const char *kty)
{
    if (strcmp(kty, "RSA") == 0)
        return TESSERA_ALG_RS256;
    if (strcmp(kty, "EC") == 0)
        return TESSERA_ALG_ES256;
    if (strcmp(kty, "OKP") == 0)
        return TESSERA_ALG_EDDSA;
    return TESSERA_ALG_HS256;
}

/* Whether kty/crv is a key type we support; crv is checked for EC and OKP only. */
static int supported(const char *kty, const char *crv)
{
    if (strcmp(kty, "EC") == 0)
        return crv && strcmp(crv, "P-256") == 0;
    if (strcmp(kty, "OKP") == 0)
        return crv && strcmp(crv, "Ed25519") == 0;
    return strcmp(kty, "RSA") == 0 || strcmp(kty, "oct") == 0;
}

/* What the private key signs, its public key verifies: the last word on a private
 * key, whatever the checks before it. */
static tessera_status pairwise_test(const tessera_key *k)
{
    static const uint8_t probe[] = "tessera pairwise consistency test";
    uint8_t sig[TESSERA__MAX_SIG_LEN];
    tessera_status st = tessera__sign(k, probe, sizeof probe - 1, sig);

    if (st == TESSERA_OK)
        st = tessera__verify_sig(k, probe, sizeof probe - 1, sig, k->sig_len);
    return st == TESSERA_ERR_SIGNATURE ? TESSERA_ERR_KEY : st;
}

tessera_status tessera__key_from_json(json_t *jwk, tessera_key **out, int *skip)
{
    const char *kty, *crv, *use, *alg_name, *kid;
    tessera_alg alg = TESSERA_ALG_UNKNOWN;
    tessera_key *k = NULL;
    tessera_status st;

    *out = NULL;
    *skip = 0;
    if ((st = member(jwk, "kty", &kty)) != TESSERA_OK
        || (st = member(jwk, "crv", &crv)) != TESSERA_OK
        || (st = member(jwk, "use", &use)) != TESSERA_OK
        || (st = member(jwk, "alg", &alg_name)) != TESSERA_OK
        || (st = member(jwk, "kid", &kid)) != TESSERA_OK)
        return st;
    if (!kty)
        return TESSERA_ERR_KEY;
    if (!supported(kty, crv) || (use && strcmp(use, "sig") != 0)) {
        *skip = 1;
        return TESSERA_ERR_KEY;
    }
    if (alg_name && (alg = tessera_alg_from_name(alg_name)) == TESSERA_ALG_UNKNOWN) {
        *skip = 1;   /* e.g. "RS512": a key for an algorithm we never accept */
        return TESSERA_ERR_ALG;
    }
    if (alg != TESSERA_ALG_UNKNOWN && !alg_fits(kty, alg))
        return TESSERA_ERR_ALG;
    if (kid && (!*kid || strlen(kid) > TESSERA__MAX_KID_LEN))
        return TESSERA_ERR_KEY;
    if (!(k = tessera__key_alloc(alg ? alg : default_alg(kty))))
        return TESSERA_ERR_NOMEM;

    if (strcmp(kty, "EC") == 0)
        st = ec_from_json(jwk, k);
    else if (strcmp(kty, "OKP") == 0)
        st = okp_from_json(jwk, k);
    else if (strcmp(kty, "RSA") == 0)
        st = rsa_from_json(jwk, k);
    else
        st = oct_from_json(jwk, k);
    if (st == TESSERA_OK)
        st = tessera__key_finish(k, kid);
    if (st == TESSERA_OK && k->is_private && k->pkey)
        st = pairwise_test(k);
    if (st != TESSERA_OK) {
        tessera_key_free(k);
        return st;
    }
    *out = k;
    return TESSERA_OK;
}

tessera_status tessera_key_from_jwk(const char *json, size_t len, tessera_key **out)
{
    json_t *jwk;
    int skip;
    tessera_status st;

    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = NULL;
    if (!json)
        return TESSERA_ERR_INVALID_ARG;
    if ((st = tessera__json_object(json, len, &jwk)) != TESSERA_OK)
        return st;
    ERR_set_mark();
    st = tessera__key_from_json(jwk, out, &skip);
    ERR_pop_to_mark();
    json_decref(jwk);
    return st;
}

/* ---- export ---- */

enum { MAX_MEMBERS = 14, MAX_PRIVATE = 6 };

/* The JWK members of k in output order. Private values (when asked for and the key
 * has them) are new strings in priv[], which the caller wipes and frees. */
static tessera_status members(const tessera_key *k, int include_private,
                              struct tessera__member *m, size_t *count,
                              char *priv[MAX_PRIVATE])
{
    static const char *const rsa_names[MAX_PRIVATE][2] = {
        { "d", OSSL_PKEY_PARAM_RSA_D },
        { "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
        { "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
        { "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
        { "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
        { "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
    };
    uint8_t raw[32];
    size_t n = 0, np = 0, len = sizeof raw;

    include_private = include_private && k->is_private;
    switch (k->alg) {
    case TESSERA_ALG_ES256:
        m[n++] = (struct tessera__member){ "kty", "EC", 0 };
        m[n++] = (struct tessera__member){ "crv", "P-256", 0 };
        break;
    case TESSERA_ALG_EDDSA:
        m[n++] = (struct tessera__member){ "kty", "OKP", 0 };
        m[n++] = (struct tessera__member){ "crv", "Ed25519", 0 };
        break;
    case TESSERA_ALG_RS256:
    case TESSERA_ALG_PS256:
        m[n++] = (struct tessera__member){ "kty", "RSA", 0 };
        break;
    default:
        m[n++] = (struct tessera__member){ "kty", "oct", 0 };
        break;
    }
    for (int i = 0; i < TESSERA__MAX_PUB && k->pub[i]; i++)
        m[n++] = (struct tessera__member){ k->pub_name[i], k->pub[i], 0 };

    if (include_private) {
        switch (k->alg) {
        case TESSERA_ALG_ES256:
            priv[np] = tessera__pkey_param_b64(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, 32, 1);
            m[n++] = (struct tessera__member){ "d", priv[np++], 0 };
            break;
        case TESSERA_ALG_EDDSA:
            if (EVP_PKEY_get_raw_private_key(k->pkey, raw, &len) && len == sizeof raw)
                priv[np] = tessera__b64url_encode_alloc(raw, len);
            OPENSSL_cleanse(raw, sizeof raw);
            m[n++] = (struct tessera__member){ "d", priv[np++], 0 };
            break;
        case TESSERA_ALG_RS256:
        case TESSERA_ALG_PS256:
            for (int i = 0; i < MAX_PRIVATE; i++) {
                priv[np] = tessera__pkey_param_b64(k->pkey, rsa_names[i][1], 0, 1);
                m[n++] = (struct tessera__member){ rsa_names[i][0], priv[np++], 0 };
            }
            break;
        default:
            priv[np] = tessera__b64url_encode_alloc(k->secret, k->secret_len);
            m[n++] = (struct tessera__member){ "k", priv[np++], 0 };
            break;
        }
        for (size_t i = 0; i < np; i++)
            if (!priv[i])
                return TESSERA_ERR_NOMEM;
    }
    m[n++] = (struct tessera__member){ "kid", k->kid, 1 };
    m[n++] = (struct tessera__member){ "alg", tessera_alg_name(k->alg), 0 };
    m[n++] = (struct tessera__member){ "use", "sig", 0 };
    *count = n;
    return TESSERA_OK;
}

size_t tessera__key_public_jwk(const tessera_key *k, char *out)
{
    struct tessera__member m[MAX_MEMBERS];
    size_t n = 0;

    members(k, 0, m, &n, NULL);   /* cannot fail without private members */
    return tessera__json_members(m, n, out);
}

char *tessera__key_jwk(const tessera_key *k, int include_private)
{
    struct tessera__member m[MAX_MEMBERS];
    char *priv[MAX_PRIVATE] = { 0 };
    char *s = NULL;
    size_t n = 0, len;

    if (members(k, include_private, m, &n, priv) == TESSERA_OK) {
        len = tessera__json_members(m, n, NULL);
        /* One allocation of the exact size: no realloc leaves key copies behind. */
        if ((s = malloc(len + 1))) {
            tessera__json_members(m, n, s);
            s[len] = '\0';
        }
    }
    for (int i = 0; i < MAX_PRIVATE; i++)
        tessera__free_secret_str(priv[i]);
    return s;
}

char *tessera_key_to_jwk(const tessera_key *key, int include_private)
{
    char *s;

    if (!key)
        return NULL;
    ERR_set_mark();
    s = tessera__key_jwk(key, include_private);
    ERR_pop_to_mark();
    return s;
}
