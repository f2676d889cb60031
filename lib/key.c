/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key lifecycle: generation, HS256 keys from secrets, the parts derived once per key
 * (digest, HMAC states, public members, RFC 7638 thumbprint, kid), and freeing.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "internal.h"

tessera_key *tessera__key_alloc(tessera_alg alg)
{
    tessera_key *k = calloc(1, sizeof *k);
    if (k)
        k->alg = alg;
    return k;
}

void tessera_key_free(tessera_key *key)
{
    if (!key)
        return;
    EVP_MD_CTX_free(key->sign_ctx);
    EVP_MD_CTX_free(key->verify_ctx);
    EVP_PKEY_free(key->pkey);           /* OpenSSL clears private components */
    EVP_MD_CTX_free(key->hmac_inner);   /* the SHA-256 provider clears its state */
    EVP_MD_CTX_free(key->hmac_outer);
    EVP_MD_free(key->md);
    if (key->secret)
        OPENSSL_clear_free(key->secret, key->secret_len);
    free(key->kid);
    for (int i = 0; i < TESSERA__MAX_PUB; i++)
        free(key->pub[i]);
    OPENSSL_cleanse(key, sizeof *key);
    free(key);
}

char *tessera__bn_b64(const BIGNUM *bn, int pad, int secret)
{
    uint8_t buf[TESSERA__RSA_MAX_BITS / 8];
    int n = BN_num_bytes(bn);
    char *s;

    if (n > (int)sizeof buf || pad > (int)sizeof buf || (pad && n > pad))
        return NULL;
    n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    if (n < 0)
        return NULL;
    s = tessera__b64url_encode_alloc(buf, (size_t)n);
    if (secret)
        OPENSSL_cleanse(buf, (size_t)n);
    return s;
}

char *tessera__pkey_param_b64(const EVP_PKEY *pkey, const char *name, int pad,
                              int secret)
{
    BIGNUM *bn = NULL;
    char *s;

    if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
        return NULL;
    s = tessera__bn_b64(bn, pad, secret);
    if (secret)
        BN_clear_free(bn);
    else
        BN_free(bn);
    return s;
}

void tessera__free_secret_str(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* The key matches its alg: P-256 for ES256, Ed25519 for EdDSA, RSA of a usable size
 * for RS256/PS256. Keys from any source pass through here. */
static tessera_status check_pkey(const tessera_key *k)
{
    char group[32];
    int bits;

    switch (k->alg) {
    case TESSERA_ALG_ES256:
        if (!EVP_PKEY_is_a(k->pkey, "EC")
            || !EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                               group, sizeof group, NULL)
            || strcmp(group, "prime256v1") != 0)
            break;
        return TESSERA_OK;
    case TESSERA_ALG_EDDSA:
        if (!EVP_PKEY_is_a(k->pkey, "ED25519"))
            break;
        return TESSERA_OK;
    case TESSERA_ALG_RS256:
    case TESSERA_ALG_PS256:
        bits = EVP_PKEY_get_bits(k->pkey);
        if (!EVP_PKEY_is_a(k->pkey, "RSA") || bits < TESSERA__RSA_MIN_BITS
            || bits > TESSERA__RSA_MAX_BITS)
            break;
        return TESSERA_OK;
    default:
        break;
    }
    return TESSERA_ERR_KEY;
}

/* The base64url public members: what the thumbprint and every JWK export need. */
static tessera_status public_members(tessera_key *k)
{
    uint8_t raw[32];
    size_t len = sizeof raw;

    switch (k->alg) {
    case TESSERA_ALG_ES256:
        k->pub_name[0] = "x";
        k->pub_name[1] = "y";
        k->pub[0] = tessera__pkey_param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32, 0);
        k->pub[1] = tessera__pkey_param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32, 0);
        return k->pub[0] && k->pub[1] ? TESSERA_OK : TESSERA_ERR_NOMEM;
    case TESSERA_ALG_EDDSA:
        if (!EVP_PKEY_get_raw_public_key(k->pkey, raw, &len) || len != sizeof raw)
            return TESSERA_ERR_KEY;
        k->pub_name[0] = "x";
        k->pub[0] = tessera__b64url_encode_alloc(raw, len);
        return k->pub[0] ? TESSERA_OK : TESSERA_ERR_NOMEM;
    case TESSERA_ALG_RS256:
    case TESSERA_ALG_PS256:
        k->pub_name[0] = "n";
        k->pub_name[1] = "e";
        k->pub[0] = tessera__pkey_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0, 0);
        k->pub[1] = tessera__pkey_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0, 0);
        return k->pub[0] && k->pub[1] ? TESSERA_OK : TESSERA_ERR_NOMEM;
    default:
        return TESSERA_OK;   /* HS256: the secret is all there is */
    }
}

/* RFC 7638: the required members only, in lexicographic order, no whitespace,
 * SHA-256, base64url. */
static tessera_status thumbprint(tessera_key *k)
{
    struct tessera__member m[4];
    char *k_b64 = NULL, *text = NULL;
    uint8_t md[32];
    size_t n = 0, len;
    tessera_status st = TESSERA_ERR_NOMEM;

    switch (k->alg) {
    case TESSERA_ALG_ES256:
        m[n++] = (struct tessera__member){ "crv", "P-256", 0 };
        m[n++] = (struct tessera__member){ "kty", "EC", 0 };
        m[n++] = (struct tessera__member){ "x", k->pub[0], 0 };
        m[n++] = (struct tessera__member){ "y", k->pub[1], 0 };
        break;
    case TESSERA_ALG_EDDSA:
        m[n++] = (struct tessera__member){ "crv", "Ed25519", 0 };
        m[n++] = (struct tessera__member){ "kty", "OKP", 0 };
        m[n++] = (struct tessera__member){ "x", k->pub[0], 0 };
        break;
    case TESSERA_ALG_RS256:
    case TESSERA_ALG_PS256:
        m[n++] = (struct tessera__member){ "e", k->pub[1], 0 };
        m[n++] = (struct tessera__member){ "kty", "RSA", 0 };
        m[n++] = (struct tessera__member){ "n", k->pub[0], 0 };
        break;
    case TESSERA_ALG_HS256:
        if (!(k_b64 = tessera__b64url_encode_alloc(k->secret, k->secret_len)))
            return TESSERA_ERR_NOMEM;
        m[n++] = (struct tessera__member){ "k", k_b64, 0 };
        m[n++] = (struct tessera__member){ "kty", "oct", 0 };
        break;
    default:
        return TESSERA_ERR_KEY;
    }
    len = tessera__json_members(m, n, NULL);
    if (!(text = malloc(len)))
        goto out;
    tessera__json_members(m, n, text);
    if (!EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL)) {
        st = TESSERA_ERR_CRYPTO;
        goto out;
    }
    tessera_b64url_encode(md, sizeof md, k->thumbprint);
    st = TESSERA_OK;
out:
    if (text) {
        OPENSSL_cleanse(text, len);   /* holds the secret of an HS256 key */
        free(text);
    }
    tessera__free_secret_str(k_b64);
    return st;
}

tessera_status tessera__key_finish(tessera_key *k, const char *kid)
{
    tessera_status st;

    if (k->alg == TESSERA_ALG_HS256) {
        if (!k->secret || k->pkey)
            return TESSERA_ERR_KEY;
    } else if (!k->pkey || check_pkey(k) != TESSERA_OK) {
        return TESSERA_ERR_KEY;
    }
    if (k->alg != TESSERA_ALG_EDDSA && !(k->md = EVP_MD_fetch(NULL, "SHA256", NULL)))
        return TESSERA_ERR_CRYPTO;
    switch (k->alg) {
    case TESSERA_ALG_HS256:
        k->sig_len = 32;
        if ((st = tessera__hmac_prepare(k)) != TESSERA_OK)
            return st;
        break;
    case TESSERA_ALG_RS256:
    case TESSERA_ALG_PS256:
        k->sig_len = (size_t)EVP_PKEY_get_size(k->pkey);
        break;
    default:
        k->sig_len = 64;
        break;
    }
    if ((st = tessera__sig_prepare(k)) != TESSERA_OK
        || (st = public_members(k)) != TESSERA_OK || (st = thumbprint(k)) != TESSERA_OK)
        return st;
    k->kid = strdup(kid ? kid : k->thumbprint);
    return k->kid ? TESSERA_OK : TESSERA_ERR_NOMEM;
}

static EVP_PKEY *generate_pkey(tessera_alg alg)
{
    switch (alg) {
    case TESSERA_ALG_ES256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case TESSERA_ALG_EDDSA:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    case TESSERA_ALG_RS256:
    case TESSERA_ALG_PS256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)TESSERA__RSA_MIN_BITS);
    default:
        return NULL;
    }
}

static tessera_status generate(tessera_alg alg, tessera_key **out)
{
    tessera_key *k;
    tessera_status st;

    if (!(k = tessera__key_alloc(alg)))
        return TESSERA_ERR_NOMEM;
    k->is_private = 1;
    if (alg == TESSERA_ALG_HS256) {
        k->secret_len = 32;
        if (!(k->secret = OPENSSL_malloc(k->secret_len)))
            st = TESSERA_ERR_NOMEM;
        else if (RAND_priv_bytes(k->secret, (int)k->secret_len) != 1)
            st = TESSERA_ERR_CRYPTO;
        else
            st = tessera__key_finish(k, NULL);
    } else if (!(k->pkey = generate_pkey(alg))) {
        st = TESSERA_ERR_CRYPTO;
    } else {
        st = tessera__key_finish(k, NULL);
    }
    if (st != TESSERA_OK) {
        tessera_key_free(k);
        return st;
    }
    *out = k;
    return TESSERA_OK;
}

tessera_status tessera_key_generate(tessera_alg alg, tessera_key **out)
{
    tessera_status st;

    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = NULL;
    if (!tessera_alg_name(alg))
        return TESSERA_ERR_INVALID_ARG;
    ERR_set_mark();   /* leave OpenSSL's error queue as we found it */
    st = generate(alg, out);
    ERR_pop_to_mark();
    return st;
}

tessera_status tessera_key_from_secret(const uint8_t *secret, size_t len,
                                       const char *kid, tessera_key **out)
{
    tessera_key *k;
    tessera_status st;

    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = NULL;
    if (!secret || (kid && (!*kid || strlen(kid) > TESSERA__MAX_KID_LEN)))
        return TESSERA_ERR_INVALID_ARG;
    if (len < 32)
        return TESSERA_ERR_KEY;
    if (!(k = tessera__key_alloc(TESSERA_ALG_HS256)))
        return TESSERA_ERR_NOMEM;
    k->is_private = 1;
    k->secret_len = len;
    if (!(k->secret = OPENSSL_malloc(len))) {
        tessera_key_free(k);
        return TESSERA_ERR_NOMEM;
    }
    memcpy(k->secret, secret, len);
    ERR_set_mark();
    st = tessera__key_finish(k, kid);
    ERR_pop_to_mark();
    if (st != TESSERA_OK) {
        tessera_key_free(k);
        return st;
    }
    *out = k;
    return TESSERA_OK;
}

tessera_status tessera_key_thumbprint(const tessera_key *key, char out[44])
{
    if (!key || !out)
        return TESSERA_ERR_INVALID_ARG;
    memcpy(out, key->thumbprint, sizeof key->thumbprint);
    return TESSERA_OK;
}

const char *tessera_key_kid(const tessera_key *key)
{
    return key ? key->kid : NULL;
}

tessera_alg tessera_key_alg(const tessera_key *key)
{
    return key ? key->alg : TESSERA_ALG_UNKNOWN;
}

int tessera_key_is_private(const tessera_key *key)
{
    return key ? key->is_private : 0;
}
