/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Known attacks on JWS access tokens, one test per class, against libtessera's public
 * API (tessera_verify and tessera_jws_verify), each asserting the exact
 * tessera_status: SPEC section 11 ("tokens: reject none, unknown kid, wrong alg for
 * the key, bad signature, expired, not yet valid, wrong iss/aud/typ; never fetch keys
 * from jku/x5u headers") and docs/security.md "Tokens".
 *
 * Keys are made with OpenSSL, outside libtessera, and the verifier gets only their
 * public JWK: so a token can be signed over any header or payload bytes at all
 * (duplicate members, alg none, hostile kid...) with a correct signature, and every
 * case is wrong in exactly the one way it tests. `controls_verify` proves that
 * signer: with nothing wrong, its tokens verify.
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
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tessera.h"

#define NOW 1700000000
#define ISS "https://auth.example.test"
#define AUD "api"

static const tessera_expect EX = {
    .issuer = ISS, .audience = AUD, .check_typ = 1, .leeway = 0, .now = NOW,
};

/* The order n of P-256, big-endian, and the order L of Ed25519, little-endian. */
static const uint8_t P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const uint8_t ED25519_L[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
    0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* ---- base64url and compact tokens ---- */

static char *b64(const void *p, size_t n)
{
    char *s = malloc(tessera_b64url_encoded_len(n) + 1);
    assert_non_null(s);
    tessera_b64url_encode(p, n, s);
    return s;
}

/* Decodes a whole (strict) segment into out; returns the length. */
static size_t unb64(const char *seg, size_t len, uint8_t *out)
{
    size_t n = 0;
    assert_int_equal(tessera_b64url_decode(seg, len, out, &n), TESSERA_OK);
    return n;
}

/* a "." b "." c, in a new string. */
static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%s.%s.%s", a, b, c);
    return t;
}

static char *compact(const char *header, const char *payload, const uint8_t *sig,
                     size_t sig_len)
{
    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    char *s = b64(sig, sig_len), *t = join3(h, p, s);
    free(h);
    free(p);
    free(s);
    return t;
}

/* The token with its signature segment replaced by sig. */
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

/* The token with its header segment replaced by BASE64URL(header). */
static char *with_header(const char *token, const char *header)
{
    char *h = b64(header, strlen(header));
    const char *rest = strchr(token, '.');
    char *t = malloc(strlen(h) + strlen(rest) + 1);
    assert_non_null(t);
    strcpy(t, h);
    strcat(t, rest);
    free(h);
    return t;
}

/* The token with its payload segment replaced by BASE64URL(payload). */
static char *with_payload(const char *token, const char *payload)
{
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    char *h = strndup(token, (size_t)(dot1 - token));
    char *p = b64(payload, strlen(payload)), *t = join3(h, p, dot2 + 1);
    free(h);
    free(p);
    return t;
}

/* The signature of a token, decoded into sig (room for 1024 bytes). */
static size_t sig_of(const char *token, uint8_t *sig)
{
    const char *s = strrchr(token, '.') + 1;
    return unb64(s, strlen(s), sig);
}

/* A copy of the token with `text` inserted at `pos` (or replacing one character when
 * `replace`). */
static char *splice(const char *token, size_t pos, const char *text, int replace)
{
    size_t n = strlen(token), m = strlen(text);
    char *t = malloc(n + m + 1);
    assert_non_null(t);
    memcpy(t, token, pos);
    memcpy(t + pos, text, m);
    strcpy(t + pos + m, token + pos + (replace ? 1 : 0));
    return t;
}

/* ---- keys: made by OpenSSL, verified by libtessera from their public JWK ---- */

struct pair {
    tessera_alg alg;
    const char *name;
    EVP_PKEY *pkey;            /* private; NULL for HS256 */
    uint8_t secret[32];        /* HS256 */
    tessera_keyset *ks;        /* the public key alone, as a verifier holds it */
    const char *kid;           /* owned by ks */
    char *jwk;                 /* public JWK as libtessera writes it */
};

enum { ES, ED, RS, HS, NPAIRS };
static struct pair P[NPAIRS];
static struct pair ATTACKER;   /* another P-256 key: the attacker's own */

static tessera_key *public_key_of(EVP_PKEY *pkey, tessera_alg alg)
{
    char jwk[2048];
    tessera_key *k = NULL;
    uint8_t buf[1024];
    size_t n = 0;

    if (alg == TESSERA_ALG_ES256) {
        assert_int_equal(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, buf,
                                                         sizeof buf, &n), 1);
        assert_int_equal(n, 65);
        assert_int_equal(buf[0], 4);
        char *x = b64(buf + 1, 32), *y = b64(buf + 33, 32);
        snprintf(jwk, sizeof jwk, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}",
                 x, y);
        free(x);
        free(y);
    } else if (alg == TESSERA_ALG_EDDSA) {
        n = sizeof buf;
        assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, buf, &n), 1);
        char *x = b64(buf, n);
        snprintf(jwk, sizeof jwk, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", x);
        free(x);
    } else {
        BIGNUM *bn = NULL, *be = NULL;
        uint8_t e[8];
        assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
        assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &be), 1);
        n = (size_t)BN_bn2bin(bn, buf);
        size_t en = (size_t)BN_bn2bin(be, e);
        char *ns = b64(buf, n), *es = b64(e, en);
        snprintf(jwk, sizeof jwk, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", ns, es);
        free(ns);
        free(es);
        BN_free(bn);
        BN_free(be);
    }
    assert_int_equal(tessera_key_from_jwk(jwk, strlen(jwk), &k), TESSERA_OK);
    assert_int_equal(tessera_key_alg(k), alg);
    assert_int_equal(tessera_key_is_private(k), 0);
    return k;
}

static void pair_make(struct pair *p, tessera_alg alg)
{
    tessera_key *k = NULL;

    memset(p, 0, sizeof *p);
    p->alg = alg;
    p->name = tessera_alg_name(alg);
    if (alg == TESSERA_ALG_HS256) {
        for (size_t i = 0; i < sizeof p->secret; i++)
            p->secret[i] = (uint8_t)(0xa5 ^ (i * 29));
        assert_int_equal(tessera_key_from_secret(p->secret, sizeof p->secret, NULL, &k),
                         TESSERA_OK);
    } else {
        if (alg == TESSERA_ALG_ES256)
            p->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        else if (alg == TESSERA_ALG_EDDSA)
            p->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        else
            p->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        assert_non_null(p->pkey);
        k = public_key_of(p->pkey, alg);
    }
    assert_int_equal(tessera_keyset_new(&p->ks), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(p->ks, k), TESSERA_OK);
    p->kid = tessera_key_kid(tessera_keyset_get(p->ks, 0));
    p->jwk = tessera_key_to_jwk(tessera_keyset_get(p->ks, 0), 0);
    assert_non_null(p->jwk);
}

static void pair_free(struct pair *p)
{
    EVP_PKEY_free(p->pkey);
    tessera_keyset_free(p->ks);
    free(p->jwk);
    memset(p, 0, sizeof *p);
}

/* A signature by p's private key over data, as `as` says (the key's alg, or PS256
 * with an RSA key); ES256 as JOSE's r||s. Returns its length. */
static size_t raw_sign_as(const struct pair *p, tessera_alg as, const void *data, size_t n,
                          uint8_t *out)
{
    uint8_t der[1024];
    size_t len = sizeof der;
    EVP_MD_CTX *c;
    EVP_PKEY_CTX *pc = NULL;

    if (as == TESSERA_ALG_HS256) {
        unsigned int mac_len = 0;
        assert_non_null(HMAC(EVP_sha256(), p->secret, (int)sizeof p->secret, data, n, out,
                             &mac_len));
        return mac_len;
    }
    assert_non_null(c = EVP_MD_CTX_new());
    assert_int_equal(EVP_DigestSignInit(c, &pc, as == TESSERA_ALG_EDDSA ? NULL : EVP_sha256(),
                                        NULL, p->pkey), 1);
    if (as == TESSERA_ALG_PS256) {
        assert_true(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0);
        assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) > 0);
    }
    assert_int_equal(EVP_DigestSign(c, der, &len, data, n), 1);
    EVP_MD_CTX_free(c);
    if (as != TESSERA_ALG_ES256) {
        memcpy(out, der, len);
        return len;
    }
    const uint8_t *q = der;
    const BIGNUM *r, *s;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)len);
    assert_non_null(es);
    ECDSA_SIG_get0(es, &r, &s);
    assert_int_equal(BN_bn2binpad(r, out, 32), 32);
    /* Low s, as libtessera signs: n - s when s is above n/2 (the test
     * es256_refuses_the_high_s_twin_of_a_valid_signature checks the other half). */
    BIGNUM *n_ = NULL, *low = BN_new();
    assert_non_null(low);
    assert_true(BN_hex2bn(&n_, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"));
    assert_true(BN_rshift1(low, n_));
    if (BN_cmp(s, low) > 0)
        assert_true(BN_sub(low, n_, s));
    else
        assert_non_null(BN_copy(low, s));
    assert_int_equal(BN_bn2binpad(low, out + 32, 32), 32);
    BN_free(low);
    BN_free(n_);
    ECDSA_SIG_free(es);
    return 64;
}

/* A compact JWS over these exact header and payload bytes, signed as `as`. */
static char *sign_as(const struct pair *p, tessera_alg as, const char *header,
                     const char *payload)
{
    char *h = b64(header, strlen(header)), *pl = b64(payload, strlen(payload));
    char *input = join3(h, pl, ""), *s, *t;
    uint8_t sig[1024];
    size_t n;

    input[strlen(input) - 1] = '\0';   /* "h.p" */
    n = raw_sign_as(p, as, input, strlen(input), sig);
    s = b64(sig, n);
    t = join3(h, pl, s);
    free(h);
    free(pl);
    free(s);
    free(input);
    return t;
}

static char *sign(const struct pair *p, const char *header, const char *payload)
{
    return sign_as(p, p->alg, header, payload);
}

/* ---- the header and claims of a good token, and variations ---- */

static char *good_header(const struct pair *p)
{
    char *h = malloc(256);
    assert_non_null(h);
    snprintf(h, 256, "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", p->name, p->kid);
    return h;
}

#define GOOD_CLAIMS                                                                     \
    "{\"iss\":\"" ISS "\",\"sub\":\"user-1\",\"aud\":\"" AUD "\",\"exp\":1700000600,"    \
    "\"iat\":1699999990,\"nbf\":1699999990,\"jti\":\"jti-1\",\"client_id\":\"app\","   \
    "\"scope\":\"profile\",\"sid\":\"sid-1\",\"roles\":[\"user\"]}"

/* JSON text `base` with member `name` set to the raw JSON `value`, or removed when
 * value is NULL. Members keep their order; a new one goes last. */
static char *json_with(const char *base, const char *name, const char *value)
{
    json_error_t err;
    json_t *o = json_loads(base, 0, &err), *v;
    char *out;

    assert_non_null(o);
    if (value) {
        v = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        assert_non_null(v);
        assert_int_equal(json_object_set_new(o, name, v), 0);
    } else {
        json_object_del(o, name);
    }
    out = json_dumps(o, JSON_COMPACT);
    assert_non_null(out);
    json_decref(o);
    return out;
}

static char *header_with(const struct pair *p, const char *name, const char *value)
{
    char *h = good_header(p), *out = json_with(h, name, value);
    free(h);
    return out;
}

static char *good_token(const struct pair *p)
{
    char *h = good_header(p), *t = sign(p, h, GOOD_CLAIMS);
    free(h);
    return t;
}

/* ---- checking ---- */

static tessera_status verify_claims(const tessera_keyset *ks, const char *token, size_t len,
                                    const tessera_expect *ex)
{
    tessera_claims *c = (tessera_claims *)&c;   /* must come back NULL on error */
    tessera_status st = tessera_verify(ks, token, len, ex, &c);
    if (st == TESSERA_OK)
        assert_non_null(c);
    else
        assert_null(c);
    tessera_claims_free(c);
    return st;
}

static void report(const char *file, int line, const char *what, const char *label,
                   tessera_status got, tessera_status want)
{
    print_error("%s:%d: %s [%s]: got %d (%s), want %d (%s)\n", file, line, what, label,
                got, tessera_strerror(got), want, tessera_strerror(want));
    fail();
}

/* tessera_verify (with EX, or `ex`) answers `want`; at the JWS level (jws = 1),
 * tessera_jws_verify answers the same. `len` of 0 means strlen(token). */
static void expect_at(const char *file, int line, const tessera_keyset *ks, const char *token,
                      size_t len, const tessera_expect *ex, int jws, tessera_status want,
                      const char *label)
{
    tessera_status got;

    if (!len)
        len = strlen(token);
    got = verify_claims(ks, token, len, ex ? ex : &EX);
    if (got != want)
        report(file, line, "tessera_verify", label, got, want);
    if (jws) {
        char *payload = (char *)"sentinel";
        got = tessera_jws_verify(ks, token, len, &payload, NULL);
        if (got != want)
            report(file, line, "tessera_jws_verify", label, got, want);
        if (got == TESSERA_OK)
            free(payload);
        else
            assert_null(payload);
    }
}

/* A rule of the compact JWS (both entry points agree) or of the claims only. */
#define EXPECT_JWS(ks, token, want, label) \
    expect_at(__FILE__, __LINE__, ks, token, 0, NULL, 1, want, label)
#define EXPECT_CLAIMS(ks, token, want, label) \
    expect_at(__FILE__, __LINE__, ks, token, 0, NULL, 0, want, label)
#define EXPECT_WITH(ks, token, ex, want, label) \
    expect_at(__FILE__, __LINE__, ks, token, 0, ex, 0, want, label)

/* ---- big-endian / little-endian arithmetic on signature integers ---- */

static void be_add(const uint8_t *a, const uint8_t *b, uint8_t *out, size_t n)
{
    unsigned carry = 0;
    for (size_t i = n; i-- > 0;) {
        unsigned v = (unsigned)a[i] + b[i] + carry;
        out[i] = (uint8_t)v;
        carry = v >> 8;
    }
}

static void be_sub(const uint8_t *a, const uint8_t *b, uint8_t *out, size_t n)
{
    int borrow = 0;
    for (size_t i = n; i-- > 0;) {
        int v = (int)a[i] - b[i] - borrow;
        borrow = v < 0;
        out[i] = (uint8_t)(v + (borrow ? 256 : 0));
    }
}

static void le_add(const uint8_t *a, const uint8_t *b, uint8_t *out, size_t n)
{
    unsigned carry = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)a[i] + b[i] + carry;
        out[i] = (uint8_t)v;
        carry = v >> 8;
    }
}

/* ---- group setup ---- */

static int setup(void **state)
{
    pair_make(&P[ES], TESSERA_ALG_ES256);
    pair_make(&P[ED], TESSERA_ALG_EDDSA);
    pair_make(&P[RS], TESSERA_ALG_RS256);
    pair_make(&P[HS], TESSERA_ALG_HS256);
    pair_make(&ATTACKER, TESSERA_ALG_ES256);
    return 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < NPAIRS; i++)
        pair_free(&P[i]);
    pair_free(&ATTACKER);
    return 0;
}

/* ================================================================================== */

/* The signer above makes tokens libtessera accepts: every rejection below is the one
 * thing each case changes. */
static void controls_verify(void **state)
{
    for (int i = 0; i < NPAIRS; i++) {
        char *t = good_token(&P[i]);
        tessera_claims *c = NULL;
        EXPECT_JWS(P[i].ks, t, TESSERA_OK, P[i].name);
        assert_int_equal(tessera_verify(P[i].ks, t, strlen(t), &EX, &c), TESSERA_OK);
        assert_string_equal(tessera_claims_string(c, "sub"), "user-1");
        tessera_claims_free(c);
        free(t);
    }
}

/* ---- alg: none ---- */

static void rejects_alg_none_in_any_case(void **state)
{
    static const char *const names[] = { "none", "None", "NONE", "nOnE" };
    static const uint8_t junk[] = "junk";
    char header[256], label[64];

    for (int i = 0; i < NPAIRS; i++) {
        const struct pair *p = &P[i];
        char *good = good_token(p);
        for (size_t j = 0; j < sizeof names / sizeof names[0]; j++) {
            /* With the key's kid, without kid (a set of one key), and with an unknown
             * kid: alg is judged first. */
            const char *fmt[] = { "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
                                  "{\"alg\":\"%s\",\"typ\":\"at+jwt\"}",
                                  "{\"alg\":\"%s\",\"kid\":\"nobody%.0s\"}" };
            for (size_t f = 0; f < 3; f++) {
                snprintf(header, sizeof header, fmt[f], names[j], p->kid);
                snprintf(label, sizeof label, "%s %s form %zu", p->name, names[j], f);
                char *t = compact(header, GOOD_CLAIMS, NULL, 0);      /* h.p. */
                EXPECT_JWS(p->ks, t, TESSERA_ERR_ALG, label);
                t[strlen(t) - 1] = '\0';                                /* h.p  */
                EXPECT_JWS(p->ks, t, TESSERA_ERR_MALFORMED, label);
                free(t);
                t = compact(header, GOOD_CLAIMS, junk, 4);
                EXPECT_JWS(p->ks, t, TESSERA_ERR_ALG, label);
                free(t);
                t = with_header(good, header);                          /* real sig */
                EXPECT_JWS(p->ks, t, TESSERA_ERR_ALG, label);
                free(t);
                t = sign(p, header, GOOD_CLAIMS);          /* a real sig over this input */
                EXPECT_JWS(p->ks, t, TESSERA_ERR_ALG, label);
                free(t);
            }
        }
        free(good);
    }
    /* No alg name other than the exact ones maps to an algorithm. */
    for (size_t j = 0; j < sizeof names / sizeof names[0]; j++)
        assert_int_equal(tessera_alg_from_name(names[j]), TESSERA_ALG_UNKNOWN);
}

/* ---- stripped signature ---- */

static void rejects_a_stripped_signature(void **state)
{
    for (int i = 0; i < NPAIRS; i++) {
        char *t = good_token(&P[i]);
        *(strrchr(t, '.') + 1) = '\0';                     /* h.p. */
        EXPECT_JWS(P[i].ks, t, TESSERA_ERR_SIGNATURE, P[i].name);
        t[strlen(t) - 1] = '\0';                            /* h.p  */
        EXPECT_JWS(P[i].ks, t, TESSERA_ERR_MALFORMED, P[i].name);
        free(t);
    }
}

/* ---- HS256 keyed with the public key (the RS256/ES256 -> HS256 confusion) ---- */

static uint8_t *public_der(EVP_PKEY *pkey, size_t *len)
{
    int n = i2d_PUBKEY(pkey, NULL);
    uint8_t *buf, *q;
    assert_true(n > 0);
    q = buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(i2d_PUBKEY(pkey, &q), n);
    *len = (size_t)n;
    return buf;
}

static char *public_pem(EVP_PKEY *pkey)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL, *out;
    long n;
    assert_non_null(b);
    assert_int_equal(PEM_write_bio_PUBKEY(b, pkey), 1);
    n = BIO_get_mem_data(b, &data);
    assert_true(n > 0);
    out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

static char *hs256_token(const uint8_t *secret, size_t secret_len, const char *header,
                         const char *payload)
{
    char *h = b64(header, strlen(header)), *pl = b64(payload, strlen(payload));
    char *input = join3(h, pl, ""), *t;
    uint8_t mac[32];
    unsigned int mac_len = 0;

    input[strlen(input) - 1] = '\0';
    assert_non_null(HMAC(EVP_sha256(), secret, (int)secret_len, (const uint8_t *)input,
                         strlen(input), mac, &mac_len));
    char *s = b64(mac, mac_len);
    t = join3(h, pl, s);
    free(s);
    free(h);
    free(pl);
    free(input);
    return t;
}

struct secret {
    const char *name;
    const uint8_t *bytes;
    size_t len;
};

/* The raw public bytes of a key: 04||x||y (P-256), x (Ed25519), n (RSA). */
static size_t raw_public(const struct pair *p, uint8_t *out, size_t cap)
{
    size_t n = cap;
    BIGNUM *bn = NULL;

    if (p->alg == TESSERA_ALG_ES256) {
        assert_int_equal(EVP_PKEY_get_octet_string_param(p->pkey, OSSL_PKEY_PARAM_PUB_KEY,
                                                         out, cap, &n), 1);
    } else if (p->alg == TESSERA_ALG_EDDSA) {
        assert_int_equal(EVP_PKEY_get_raw_public_key(p->pkey, out, &n), 1);
    } else {
        assert_int_equal(EVP_PKEY_get_bn_param(p->pkey, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
        n = (size_t)BN_bn2bin(bn, out);
        BN_free(bn);
    }
    return n;
}

static void rejects_hs256_keyed_with_the_public_key(void **state)
{
    char header[256], label[96];

    for (int i = ES; i <= RS; i++) {
        const struct pair *p = &P[i];
        uint8_t raw[600];
        size_t der_len, raw_len = raw_public(p, raw, sizeof raw);
        char *pem = public_pem(p->pkey), *jwks = tessera_keyset_to_jwks(p->ks);
        uint8_t *der = public_der(p->pkey, &der_len);
        assert_non_null(jwks);
        /* Every rendering of the public key an attacker might try as the secret. */
        const struct secret secrets[] = {
            { "PEM", (const uint8_t *)pem, strlen(pem) },
            { "PEM without its last newline", (const uint8_t *)pem, strlen(pem) - 1 },
            { "DER SubjectPublicKeyInfo", der, der_len },
            { "JWK", (const uint8_t *)p->jwk, strlen(p->jwk) },
            { "JWKS document", (const uint8_t *)jwks, strlen(jwks) },
            { "raw public bytes", raw, raw_len },
            { "raw public bytes without 0x04", raw + 1, raw_len - 1 },
        };
        for (size_t j = 0; j < sizeof secrets / sizeof secrets[0]; j++) {
            snprintf(label, sizeof label, "%s, secret = %s", p->name, secrets[j].name);
            snprintf(header, sizeof header,
                     "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", p->kid);
            char *t = hs256_token(secrets[j].bytes, secrets[j].len, header, GOOD_CLAIMS);
            EXPECT_JWS(p->ks, t, TESSERA_ERR_ALG, label);
            free(t);
            t = hs256_token(secrets[j].bytes, secrets[j].len,
                            "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", GOOD_CLAIMS);
            EXPECT_JWS(p->ks, t, TESSERA_ERR_ALG, label);   /* the set's only key */
            free(t);
        }
        free(pem);
        free(der);
        free(jwks);
    }
}

/* In a set that holds an HS256 key beside an asymmetric one, each kid still binds its
 * alg: an HS256 token cannot borrow the EC key's kid, nor an ES256 token the HS
 * key's. */
static void binds_each_kid_to_its_alg_in_a_mixed_set(void **state)
{
    tessera_keyset *ks = NULL;
    tessera_key *hs = NULL;
    char header[256];
    char *jwk_es = P[ES].jwk;
    tessera_key *es = NULL;

    assert_int_equal(tessera_key_from_jwk(jwk_es, strlen(jwk_es), &es), TESSERA_OK);
    assert_int_equal(tessera_key_from_secret(P[HS].secret, sizeof P[HS].secret, "hs", &hs),
                     TESSERA_OK);
    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, es), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, hs), TESSERA_OK);

    snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
             P[ES].kid);
    char *t = sign_as(&P[HS], TESSERA_ALG_HS256, header, GOOD_CLAIMS);
    EXPECT_JWS(ks, t, TESSERA_ERR_ALG, "HS256 under the EC kid");
    free(t);
    t = sign(&P[ES], "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"hs\"}", GOOD_CLAIMS);
    EXPECT_JWS(ks, t, TESSERA_ERR_ALG, "ES256 under the HS kid");
    free(t);
    /* Both controls. */
    t = sign_as(&P[HS], TESSERA_ALG_HS256, "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"hs\"}",
                GOOD_CLAIMS);
    EXPECT_JWS(ks, t, TESSERA_OK, "HS256 control");
    free(t);
    snprintf(header, sizeof header, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
             P[ES].kid);
    t = sign(&P[ES], header, GOOD_CLAIMS);
    EXPECT_JWS(ks, t, TESSERA_OK, "ES256 control");
    free(t);
    tessera_keyset_free(ks);
}

/* The key side of the confusion: a public key cannot be loaded as an HMAC key, and
 * an "alg" member that does not fit the key type is refused. */
static void refuses_a_jwk_whose_alg_does_not_fit_its_type(void **state)
{
    static const char *const algs[] = { "HS256", "RS256", "EdDSA", "none" };

    for (int i = ES; i <= RS; i++) {
        for (size_t j = 0; j < sizeof algs / sizeof algs[0]; j++) {
            if (strcmp(algs[j], P[i].name) == 0)
                continue;
            if (i == RS && strcmp(algs[j], "RS256") == 0)
                continue;
            /* The verifier's own public JWK with another "alg". */
            json_error_t err;
            json_t *o = json_loads(P[i].jwk, 0, &err);
            assert_non_null(o);
            json_object_set_new(o, "alg", json_string(algs[j]));
            char *text = json_dumps(o, JSON_COMPACT);
            tessera_key *k = (tessera_key *)&k;
            assert_int_equal(tessera_key_from_jwk(text, strlen(text), &k), TESSERA_ERR_ALG);
            assert_null(k);
            free(text);
            json_decref(o);
        }
    }
    tessera_key *k = NULL;
    static const char oct_es[] =
        "{\"kty\":\"oct\",\"alg\":\"ES256\",\"k\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}";
    assert_int_equal(tessera_key_from_jwk(oct_es, strlen(oct_es), &k), TESSERA_ERR_ALG);
    assert_null(k);
}

/* ---- an alg that is not the key's ---- */

static void rejects_an_alg_other_than_the_keys(void **state)
{
    static const char *const algs[] = { "ES256", "EdDSA", "RS256", "PS256", "HS256",
                                        "ES384", "ES512", "ES256K", "RS512", "es256",
                                        "ES256 ", " ES256", "", "ES256\\u0000" };
    char label[96];

    for (int i = 0; i < NPAIRS; i++) {
        const struct pair *p = &P[i];
        char *good = good_token(p);
        for (size_t j = 0; j < sizeof algs / sizeof algs[0]; j++) {
            if (strcmp(algs[j], p->name) == 0)
                continue;
            char value[32];
            snprintf(value, sizeof value, "\"%s\"", algs[j]);
            char *h = header_with(p, "alg", value);
            snprintf(label, sizeof label, "%s key, alg \"%s\"", p->name, algs[j]);
            tessera_status want = strstr(algs[j], "\\u0000") ? TESSERA_ERR_MALFORMED
                                                             : TESSERA_ERR_ALG;
            char *t = with_header(good, h);                    /* the real signature */
            EXPECT_JWS(p->ks, t, want, label);
            free(t);
            t = sign(p, h, GOOD_CLAIMS);                       /* a fresh one */
            EXPECT_JWS(p->ks, t, want, label);
            free(t);
            free(h);
        }
        /* Non-string alg values. */
        static const char *const odd[] = { "null", "256", "[\"ES256\"]", "{}", "true" };
        for (size_t j = 0; j < sizeof odd / sizeof odd[0]; j++) {
            char *h = header_with(p, "alg", odd[j]);
            char *t = sign(p, h, GOOD_CLAIMS);
            EXPECT_JWS(p->ks, t, TESSERA_ERR_ALG, odd[j]);
            free(t);
            free(h);
        }
        char *h = header_with(p, "alg", NULL);                 /* no alg at all */
        char *t = sign(p, h, GOOD_CLAIMS);
        EXPECT_JWS(p->ks, t, TESSERA_ERR_ALG, "alg missing");
        free(t);
        free(h);
        free(good);
    }

    /* A valid PSS signature by the very RSA key the set holds for RS256. */
    char *h = header_with(&P[RS], "alg", "\"PS256\"");
    char *t = sign_as(&P[RS], TESSERA_ALG_PS256, h, GOOD_CLAIMS);
    EXPECT_JWS(P[RS].ks, t, TESSERA_ERR_ALG, "PS256 by the RS256 key");
    free(t);
    free(h);
}

/* ---- kid ---- */

static void rejects_a_hostile_kid(void **state)
{
    static const struct {
        const char *label, *value;   /* raw JSON */
        tessera_status want;
    } cases[] = {
        { "unknown", "\"k-0123456789abcdefghijklmnopqrstuvwxyzABCDEF\"", TESSERA_ERR_KID },
        { "path traversal", "\"../../etc/passwd\"", TESSERA_ERR_KID },
        { "path traversal to /dev/null", "\"../../../../dev/null\"", TESSERA_ERR_KID },
        { "SQL", "\"' OR 1=1 --\"", TESSERA_ERR_KID },
        { "SQL union", "\"x' UNION SELECT private_jwk FROM signing_keys --\"",
          TESSERA_ERR_KID },
        { "shell", "\"$(touch /tmp/pwned)\"", TESSERA_ERR_KID },
        { "format string", "\"%s%s%s%n%n%n\"", TESSERA_ERR_KID },
        { "empty", "\"\"", TESSERA_ERR_KID },
        { "NUL byte", "\"k\\u0000\"", TESSERA_ERR_MALFORMED },
        { "only NUL", "\"\\u0000\"", TESSERA_ERR_MALFORMED },
        { "number", "1", TESSERA_ERR_KID },
        { "zero", "0", TESSERA_ERR_KID },
        { "object", "{\"kid\":\"x\"}", TESSERA_ERR_KID },
        { "array", "[]", TESSERA_ERR_KID },
        { "null", "null", TESSERA_ERR_KID },
        { "true", "true", TESSERA_ERR_KID },
    };
    char label[128];

    for (int i = 0; i < NPAIRS; i++) {
        const struct pair *p = &P[i];
        for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
            char *h = header_with(p, "kid", cases[j].value);
            snprintf(label, sizeof label, "%s, kid %s", p->name, cases[j].label);
            char *t = sign(p, h, GOOD_CLAIMS);                  /* the real key */
            EXPECT_JWS(p->ks, t, cases[j].want, label);
            free(t);
            if (p->alg == TESSERA_ALG_ES256) {
                t = sign(&ATTACKER, h, GOOD_CLAIMS);             /* the attacker's */
                EXPECT_JWS(p->ks, t, cases[j].want, label);
                free(t);
            }
            free(h);
        }
    }

    /* Long kids: 4000 characters fit in a token and are only unknown; 10 kB make the
     * token too large before anything is parsed. */
    const size_t lengths[] = { 300, 4000, 10240 };
    for (size_t j = 0; j < 3; j++) {
        char *value = malloc(lengths[j] + 3);
        value[0] = '"';
        memset(value + 1, 'k', lengths[j]);
        strcpy(value + 1 + lengths[j], "\"");
        char *h = header_with(&P[ES], "kid", value);
        char *t = sign(&P[ES], h, GOOD_CLAIMS);
        EXPECT_JWS(P[ES].ks, t, j < 2 ? TESSERA_ERR_KID : TESSERA_ERR_TOO_LARGE, "long kid");
        free(t);
        free(h);
        free(value);
    }
}

/* The real kid, altered so that a lax lookup (C string up to a NUL, case-insensitive,
 * trimmed, prefix) would still find the key. */
static void rejects_near_misses_of_the_real_kid(void **state)
{
    const struct pair *p = &P[ES];
    char value[256], label[64];
    char *t, *h;
    size_t kl = strlen(p->kid);

    const char *fmts[] = { "\"%s\\u0000evil\"", "\"\\u0000%s\"", "\"%s \"", "\" %s\"",
                           "\"%s\\n\"", "\"%sX\"" };
    const tessera_status want[] = { TESSERA_ERR_MALFORMED, TESSERA_ERR_MALFORMED,
                                    TESSERA_ERR_KID, TESSERA_ERR_KID, TESSERA_ERR_KID,
                                    TESSERA_ERR_KID };
    for (size_t j = 0; j < sizeof fmts / sizeof fmts[0]; j++) {
        snprintf(value, sizeof value, fmts[j], p->kid);
        snprintf(label, sizeof label, "kid form %zu", j);
        h = header_with(p, "kid", value);
        t = sign(p, h, GOOD_CLAIMS);
        EXPECT_JWS(p->ks, t, want[j], label);
        free(t);
        free(h);
    }
    /* A prefix, and another case. */
    snprintf(value, sizeof value, "\"%.*s\"", (int)kl - 1, p->kid);
    h = header_with(p, "kid", value);
    t = sign(p, h, GOOD_CLAIMS);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_KID, "prefix of the kid");
    free(t);
    free(h);
    snprintf(value, sizeof value, "\"%s\"", p->kid);
    for (char *c = value; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
        else if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    h = header_with(p, "kid", value);
    t = sign(p, h, GOOD_CLAIMS);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_KID, "kid with its case swapped");
    free(t);
    free(h);

    /* The same kid written with \u escapes is the same string: found. */
    char header[1024];
    int o = snprintf(header, sizeof header, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"");
    for (size_t j = 0; j < kl; j++)
        o += snprintf(header + o, sizeof header - (size_t)o, "\\u%04x",
                      (unsigned)(unsigned char)p->kid[j]);
    snprintf(header + o, sizeof header - (size_t)o, "\"}");
    t = sign(p, header, GOOD_CLAIMS);
    EXPECT_JWS(p->ks, t, TESSERA_OK, "kid in \\u escapes");
    free(t);
}

/* ---- headers that bring their own key ---- */

static void rejects_headers_that_bring_their_own_key(void **state)
{
    char label[96], value[1024];

    for (int i = 0; i < NPAIRS; i++) {
        const struct pair *p = &P[i];
        const struct {
            const char *name, *value;
        } cases[] = {
            { "jku", "\"http://127.0.0.1:1/jwks.json\"" },
            { "jku", "\"https://evil.example/.well-known/jwks.json\"" },
            { "jku", "null" },
            { "x5u", "\"https://evil.example/cert.pem\"" },
            { "x5u", "\"file:///etc/passwd\"" },
            { "jwk", p->jwk },                        /* even the verifier's own key */
            { "jwk", ATTACKER.jwk },
            { "jwk", "{}" },
            { "x5c", "[\"MIIBszCCAVmgAwIBAgIUQ==\"]" },
            { "x5c", "[]" },
            { "crit", "[\"exp\"]" },
            { "crit", "[]" },
        };
        for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
            char *h = header_with(p, cases[j].name, cases[j].value);
            snprintf(label, sizeof label, "%s, %s: %.40s", p->name, cases[j].name,
                     cases[j].value);
            char *t = sign(p, h, GOOD_CLAIMS);                  /* correctly signed */
            EXPECT_JWS(p->ks, t, TESSERA_ERR_HEADER, label);
            free(t);
            free(h);
        }
    }
    /* The attacker's classic: its own key embedded, its kid (or none), its signature. */
    snprintf(value, sizeof value, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\","
             "\"jwk\":%s}", ATTACKER.kid, ATTACKER.jwk);
    char *t = sign(&ATTACKER, value, GOOD_CLAIMS);
    EXPECT_JWS(P[ES].ks, t, TESSERA_ERR_HEADER, "attacker jwk with its kid");
    free(t);
    snprintf(value, sizeof value, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"jwk\":%s}",
             ATTACKER.jwk);
    t = sign(&ATTACKER, value, GOOD_CLAIMS);
    EXPECT_JWS(P[ES].ks, t, TESSERA_ERR_HEADER, "attacker jwk, no kid, set of one");
    free(t);
    /* And without the jwk, the attacker's kid is merely unknown. */
    snprintf(value, sizeof value, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
             ATTACKER.kid);
    t = sign(&ATTACKER, value, GOOD_CLAIMS);
    EXPECT_JWS(P[ES].ks, t, TESSERA_ERR_KID, "attacker kid");
    free(t);
    /* The verifier's kid over the attacker's signature. */
    char *h = good_header(&P[ES]);
    t = sign(&ATTACKER, h, GOOD_CLAIMS);
    EXPECT_JWS(P[ES].ks, t, TESSERA_ERR_SIGNATURE, "attacker signature under our kid");
    free(t);
    free(h);
}

/* ---- tampering ---- */

static void rejects_a_tampered_payload(void **state)
{
    static const struct {
        const char *name, *value;
    } changes[] = {
        { "sub", "\"admin\"" },
        { "roles", "[\"admin\"]" },
        { "scope", "\"admin profile\"" },
        { "exp", "4102444800" },
        { "aud", "[\"" AUD "\"]" },
    };
    char label[64];

    for (int i = 0; i < NPAIRS; i++) {
        char *good = good_token(&P[i]);
        for (size_t j = 0; j < sizeof changes / sizeof changes[0]; j++) {
            char *c = json_with(GOOD_CLAIMS, changes[j].name, changes[j].value);
            char *t = with_payload(good, c);
            snprintf(label, sizeof label, "%s, %s", P[i].name, changes[j].name);
            EXPECT_JWS(P[i].ks, t, TESSERA_ERR_SIGNATURE, label);
            free(t);
            free(c);
        }
        /* The same claims in other bytes (one more space). */
        char *t0 = with_payload(good, GOOD_CLAIMS " ");
        EXPECT_JWS(P[i].ks, t0, TESSERA_ERR_SIGNATURE, "same claims, other bytes");
        free(t0);
        /* A header member added under the original signature. */
        char *h = header_with(&P[i], "x", "1");
        char *t = with_header(good, h);
        EXPECT_JWS(P[i].ks, t, TESSERA_ERR_SIGNATURE, "header changed");
        free(t);
        free(h);
        free(good);
    }
}

/* The signature comes first: nothing about the claims is told for a token whose
 * signature does not hold (no oracle on unsigned content). */
static void judges_the_signature_before_the_claims(void **state)
{
    char *c = json_with(GOOD_CLAIMS, "exp", "1");
    char *h = good_header(&P[ES]);
    char *expired = sign(&P[ES], h, c);
    EXPECT_CLAIMS(P[ES].ks, expired, TESSERA_ERR_EXPIRED, "control");
    uint8_t sig[64];
    sig_of(expired, sig);
    sig[10] ^= 1;
    char *t = with_sig(expired, sig, 64);
    EXPECT_JWS(P[ES].ks, t, TESSERA_ERR_SIGNATURE, "expired and forged");
    free(t);
    t = with_header(expired, "{\"alg\":\"none\"}");
    EXPECT_JWS(P[ES].ks, t, TESSERA_ERR_ALG, "expired and alg none");
    free(t);
    free(expired);
    free(c);
    free(h);
}

/* ---- claims, each wrong alone under a correct signature ---- */

static void rejects_claims_one_rule_at_a_time(void **state)
{
    static const struct {
        const char *name, *value;   /* raw JSON; NULL removes the claim */
        tessera_status want;
    } cases[] = {
        /* exp: valid only before exp (RFC 7519 4.1.4) */
        { "exp", "1699999999", TESSERA_ERR_EXPIRED },
        { "exp", "1700000000", TESSERA_ERR_EXPIRED },          /* exp == now */
        { "exp", "1700000001", TESSERA_OK },
        { "exp", "1", TESSERA_ERR_EXPIRED },
        { "exp", "-1", TESSERA_ERR_EXPIRED },
        { "exp", "0", TESSERA_ERR_EXPIRED },
        { "exp", "-1e300", TESSERA_ERR_EXPIRED },
        { "exp", "1699999999.999", TESSERA_ERR_EXPIRED },
        { "exp", NULL, TESSERA_ERR_CLAIMS },
        { "exp", "\"1700000600\"", TESSERA_ERR_CLAIMS },
        { "exp", "null", TESSERA_ERR_CLAIMS },
        { "exp", "true", TESSERA_ERR_CLAIMS },
        { "exp", "[1700000600]", TESSERA_ERR_CLAIMS },
        /* not yet valid */
        { "nbf", "1700000001", TESSERA_ERR_NOT_YET_VALID },
        { "nbf", "1700000000", TESSERA_OK },
        { "nbf", "4102444800", TESSERA_ERR_NOT_YET_VALID },
        { "nbf", "1e300", TESSERA_ERR_NOT_YET_VALID },
        { "nbf", "\"0\"", TESSERA_ERR_CLAIMS },
        { "nbf", "null", TESSERA_ERR_CLAIMS },
        { "iat", "1700000001", TESSERA_ERR_NOT_YET_VALID },
        { "iat", "1700000000", TESSERA_OK },
        { "iat", "\"0\"", TESSERA_ERR_CLAIMS },
        { "nbf", NULL, TESSERA_OK },                           /* both optional */
        { "iat", NULL, TESSERA_OK },
        /* iss */
        { "iss", "\"https://evil.example\"", TESSERA_ERR_ISSUER },
        { "iss", NULL, TESSERA_ERR_ISSUER },
        { "iss", "\"" ISS "/\"", TESSERA_ERR_ISSUER },
        { "iss", "\"HTTPS://AUTH.EXAMPLE.TEST\"", TESSERA_ERR_ISSUER },
        { "iss", "\"https://auth.example.tes\"", TESSERA_ERR_ISSUER },
        { "iss", "\"" ISS "\\u0000\"", TESSERA_ERR_MALFORMED },
        { "iss", "[\"" ISS "\"]", TESSERA_ERR_ISSUER },
        { "iss", "null", TESSERA_ERR_ISSUER },
        { "iss", "\"\"", TESSERA_ERR_ISSUER },
        /* aud: a string, or an array holding ours */
        { "aud", "\"other-api\"", TESSERA_ERR_AUDIENCE },
        { "aud", NULL, TESSERA_ERR_AUDIENCE },
        { "aud", "[\"other-api\",\"api2\"]", TESSERA_ERR_AUDIENCE },
        { "aud", "[]", TESSERA_ERR_AUDIENCE },
        { "aud", "\"API\"", TESSERA_ERR_AUDIENCE },
        { "aud", "\"api \"", TESSERA_ERR_AUDIENCE },
        { "aud", "[[\"api\"]]", TESSERA_ERR_AUDIENCE },
        { "aud", "{\"api\":true}", TESSERA_ERR_AUDIENCE },
        { "aud", "null", TESSERA_ERR_AUDIENCE },
        { "aud", "\"api\\u0000\"", TESSERA_ERR_MALFORMED },
        { "aud", "[\"other-api\",\"api\"]", TESSERA_OK },
        { "aud", "[\"api\"]", TESSERA_OK },
    };
    char label[128];
    const struct pair *p = &P[ES];
    char *h = good_header(p);

    for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
        char *c = json_with(GOOD_CLAIMS, cases[j].name, cases[j].value);
        char *t = sign(p, h, c);
        snprintf(label, sizeof label, "%s = %s", cases[j].name,
                 cases[j].value ? cases[j].value : "(absent)");
        EXPECT_CLAIMS(p->ks, t, cases[j].want, label);
        /* The signature itself is good: the JWS layer accepts every one, so each
         * refusal above is the claim rule's. */
        assert_int_equal(tessera_jws_verify(p->ks, t, strlen(t), NULL, NULL), TESSERA_OK);
        free(t);
        free(c);
    }
    free(h);
}

static void leeway_is_exact_and_not_negative(void **state)
{
    tessera_expect ex = EX;
    const struct pair *p = &P[ES];
    char *h = good_header(p);
    struct {
        const char *name, *value;
        tessera_status want;
    } cases[] = {
        { "exp", "1699999941", TESSERA_OK },                  /* now - 59 */
        { "exp", "1699999940", TESSERA_ERR_EXPIRED },         /* now - 60 */
        { "nbf", "1700000060", TESSERA_OK },                  /* now + 60 */
        { "nbf", "1700000061", TESSERA_ERR_NOT_YET_VALID },
        { "iat", "1700000060", TESSERA_OK },
        { "iat", "1700000061", TESSERA_ERR_NOT_YET_VALID },
    };

    ex.leeway = 60;
    for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
        char *c = json_with(GOOD_CLAIMS, cases[j].name, cases[j].value);
        char *t = sign(p, h, c);
        EXPECT_WITH(p->ks, t, &ex, cases[j].want, cases[j].value);
        free(t);
        free(c);
    }
    /* A negative leeway would stretch nothing into validity: refused. */
    char *t = good_token(p);
    ex.leeway = -1;
    tessera_claims *cl = NULL;
    assert_int_equal(tessera_verify(p->ks, t, strlen(t), &ex, &cl), TESSERA_ERR_INVALID_ARG);
    assert_null(cl);
    free(t);
    free(h);
}

static void rejects_a_wrong_typ(void **state)
{
    static const struct {
        const char *value;
        tessera_status want;
    } cases[] = {
        { NULL, TESSERA_ERR_TYPE },
        { "\"JWT\"", TESSERA_ERR_TYPE },
        { "\"jwt\"", TESSERA_ERR_TYPE },
        { "\"at+jwt \"", TESSERA_ERR_TYPE },
        { "\" at+jwt\"", TESSERA_ERR_TYPE },
        { "\"at+jw\"", TESSERA_ERR_TYPE },
        { "\"application/jwt\"", TESSERA_ERR_TYPE },
        { "\"application/at+jwt; charset=utf-8\"", TESSERA_ERR_TYPE },
        { "\"at+jwt\\u0000\"", TESSERA_ERR_MALFORMED },
        { "\"\"", TESSERA_ERR_TYPE },
        { "1", TESSERA_ERR_TYPE },
        { "null", TESSERA_ERR_TYPE },
        { "[\"at+jwt\"]", TESSERA_ERR_TYPE },
        { "\"at+jwt\"", TESSERA_OK },
        { "\"AT+JWT\"", TESSERA_OK },                   /* media types: any case */
        { "\"application/at+jwt\"", TESSERA_OK },
        { "\"Application/AT+JWT\"", TESSERA_OK },
    };
    char label[96];

    for (int i = 0; i < NPAIRS; i++) {
        const struct pair *p = &P[i];
        for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
            char *h = header_with(p, "typ", cases[j].value);
            char *t = sign(p, h, GOOD_CLAIMS);
            snprintf(label, sizeof label, "%s, typ %s", p->name,
                     cases[j].value ? cases[j].value : "(absent)");
            EXPECT_CLAIMS(p->ks, t, cases[j].want, label);
            if (cases[j].want == TESSERA_ERR_TYPE) {
                /* typ is the caller's to ask for: without check_typ it passes. */
                tessera_expect ex = EX;
                ex.check_typ = 0;
                EXPECT_WITH(p->ks, t, &ex, TESSERA_OK, label);
            }
            free(t);
            free(h);
        }
    }
}

static void rejects_claims_that_are_not_one_json_object(void **state)
{
    static const struct {
        const char *label, *payload;
        tessera_status want;
    } cases[] = {
        { "array", "[" GOOD_CLAIMS "]", TESSERA_ERR_MALFORMED },
        { "null", "null", TESSERA_ERR_MALFORMED },
        { "string", "\"" ISS "\"", TESSERA_ERR_MALFORMED },
        { "number", "1700000600", TESSERA_ERR_MALFORMED },
        { "empty", "", TESSERA_ERR_MALFORMED },
        { "trailing garbage", GOOD_CLAIMS "]", TESSERA_ERR_MALFORMED },
        { "two objects", GOOD_CLAIMS GOOD_CLAIMS, TESSERA_ERR_MALFORMED },
        { "trailing comma", "{\"exp\":1700000600,}", TESSERA_ERR_MALFORMED },
        { "invalid UTF-8", "{\"exp\":1700000600,\"x\":\"\xff\xfe\"}", TESSERA_ERR_MALFORMED },
        { "overlong UTF-8 quote", "{\"exp\":1700000600,\"x\":\"\xc0\xa2\"}",
          TESSERA_ERR_MALFORMED },
        { "lone surrogate", "{\"exp\":1700000600,\"x\":\"\\ud800\"}", TESSERA_ERR_MALFORMED },
        { "BOM", "\xef\xbb\xbf" GOOD_CLAIMS, TESSERA_ERR_MALFORMED },
        { "NUL in sub", "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700000600,"
                        "\"sub\":\"user-1\\u0000admin\"}", TESSERA_ERR_MALFORMED },
        { "nested 17 deep", "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700000600,"
                            "\"x\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", TESSERA_ERR_TOO_LARGE },
        { "nested 16 deep", "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700000600,"
                            "\"x\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", TESSERA_OK },
    };
    char *h = good_header(&P[ES]);

    for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
        char *t = sign(&P[ES], h, cases[j].payload);
        EXPECT_CLAIMS(P[ES].ks, t, cases[j].want, cases[j].label);
        free(t);
    }
    free(h);
}

/* ---- duplicate members ---- */

static void rejects_duplicate_header_members(void **state)
{
    static const char *const fmts[] = {
        "{\"alg\":\"none\",\"alg\":\"%1$s\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"%1$s\",\"alg\":\"none\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"%1$s\",\"alg\":\"%1$s\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"HS256\",\"alg\":\"%1$s\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"%1$s\",\"typ\":\"at+jwt\",\"kid\":\"x\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"%1$s\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\",\"kid\":\"x\"}",
        "{\"alg\":\"%1$s\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"%1$s\",\"typ\":\"JWT\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"%1$s\",\"typ\":\"at+jwt\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\"}",
        /* the same name once decoded */
        "{\"alg\":\"none\",\"\\u0061lg\":\"%1$s\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"%1$s\",\"\\u0061lg\":\"none\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\"}",
        "{\"alg\":\"%1$s\",\"typ\":\"at+jwt\",\"kid\":\"%2$s\",\"jku\":\"a\",\"jku\":\"b\"}",
    };
    char header[512], label[64];

    for (int i = 0; i < NPAIRS; i++) {
        for (size_t j = 0; j < sizeof fmts / sizeof fmts[0]; j++) {
            snprintf(header, sizeof header, fmts[j], P[i].name, P[i].kid);
            snprintf(label, sizeof label, "%s, header form %zu", P[i].name, j);
            char *t = sign(&P[i], header, GOOD_CLAIMS);
            EXPECT_JWS(P[i].ks, t, TESSERA_ERR_MALFORMED, label);
            free(t);
        }
    }
}

static void rejects_duplicate_claims(void **state)
{
    static const char *const dups[] = {
        "\"sub\":\"user-1\",\"sub\":\"admin\"",
        "\"sub\":\"admin\",\"sub\":\"user-1\"",
        "\"exp\":1,\"exp\":1700000600",
        "\"exp\":1700000600,\"exp\":1",
        "\"aud\":\"other\",\"aud\":\"" AUD "\"",
        "\"iss\":\"https://evil.example\",\"iss\":\"" ISS "\"",
        "\"roles\":[\"admin\"],\"roles\":[\"user\"]",
        "\"scope\":\"profile\",\"scope\":\"profile\"",
        "\"sub\":\"user-1\",\"s\\u0075b\":\"admin\"",
    };
    char payload[512], label[32];
    char *h = good_header(&P[ES]);

    for (size_t j = 0; j < sizeof dups / sizeof dups[0]; j++) {
        snprintf(payload, sizeof payload,
                 "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700000600,%s}", dups[j]);
        /* (the iss/aud/exp above may be repeated by the case: that is the point) */
        snprintf(label, sizeof label, "claims form %zu", j);
        char *t = sign(&P[ES], h, payload);
        EXPECT_CLAIMS(P[ES].ks, t, TESSERA_ERR_MALFORMED, label);
        free(t);
    }
    free(h);
}

/* ---- ECDSA: r and s by hand ---- */

static void es256_rejects_r_or_s_out_of_range(void **state)
{
    const struct pair *p = &P[ES];
    char *good = good_token(p);
    uint8_t sig[64], r[32], s[32], bad[64];
    static const uint8_t zero[32], one[32] = { [31] = 1 };
    uint8_t ones[32], n_plus_1[32], n_minus_1[32], r_plus_n[32], s_plus_n[32];

    assert_int_equal(sig_of(good, sig), 64);
    memcpy(r, sig, 32);
    memcpy(s, sig + 32, 32);
    memset(ones, 0xff, 32);
    be_add(P256_N, one, n_plus_1, 32);
    be_sub(P256_N, one, n_minus_1, 32);
    be_add(r, P256_N, r_plus_n, 32);   /* mod 2^256 */
    be_add(s, P256_N, s_plus_n, 32);

    const struct {
        const char *label;
        const uint8_t *r, *s;
    } cases[] = {
        { "r = 0", zero, s },           { "s = 0", r, zero },
        { "r = s = 0", zero, zero },    { "r = n", P256_N, s },
        { "s = n", r, P256_N },         { "r = s = n", P256_N, P256_N },
        { "r = n + 1", n_plus_1, s },   { "s = n + 1", r, n_plus_1 },
        { "r = 2^256 - 1", ones, s },   { "s = 2^256 - 1", r, ones },
        { "r + n mod 2^256", r_plus_n, s }, { "s + n mod 2^256", r, s_plus_n },
        /* in range, but not the signature */
        { "r = 1, s = 1", one, one },   { "r = n - 1", n_minus_1, s },
        { "s = n - 1", r, n_minus_1 },  { "r and s swapped", s, r },
        { "s = r", r, r },
    };
    for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
        memcpy(bad, cases[j].r, 32);
        memcpy(bad + 32, cases[j].s, 32);
        if (memcmp(bad, sig, 64) == 0)
            continue;   /* (s = r by chance) */
        char *t = with_sig(good, bad, 64);
        EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, cases[j].label);
        free(t);
    }
    free(good);
}

/* (r, n - s) verifies whenever (r, s) does to plain ECDSA: a second token text for
 * free (malleability). libtessera signs with low s and refuses the high-s twin, so a
 * token has one encoding; the twin flipped back is the original again. */
static void es256_refuses_the_high_s_twin_of_a_valid_signature(void **state)
{
    const struct pair *p = &P[ES];
    char *good = good_token(p);
    uint8_t sig[64], twin[64], back[64];

    assert_int_equal(sig_of(good, sig), 64);
    memcpy(twin, sig, 32);
    be_sub(P256_N, sig + 32, twin + 32, 32);
    assert_memory_not_equal(twin, sig, 64);
    char *t = with_sig(good, twin, 64);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "(r, n - s)");
    EXPECT_JWS(p->ks, good, TESSERA_OK, "(r, s)");
    memcpy(back, twin, 32);
    be_sub(P256_N, twin + 32, back + 32, 32);
    assert_memory_equal(back, sig, 64);
    free(t);
    free(good);
}

static void es256_rejects_signatures_of_the_wrong_length_or_encoding(void **state)
{
    const struct pair *p = &P[ES];
    char *good = good_token(p);
    uint8_t sig[64], buf[200], der[80];
    char label[32];

    assert_int_equal(sig_of(good, sig), 64);
    static const size_t lengths[] = { 0, 1, 32, 63, 65, 66, 96, 128, 129 };
    for (size_t j = 0; j < sizeof lengths / sizeof lengths[0]; j++) {
        for (size_t k = 0; k < lengths[j]; k++)
            buf[k] = sig[k % 64];
        snprintf(label, sizeof label, "%zu bytes", lengths[j]);
        char *t = with_sig(good, buf, lengths[j]);
        EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, label);
        free(t);
    }
    /* Leading zero bytes: the same integers, the wrong length. */
    buf[0] = 0;
    memcpy(buf + 1, sig, 64);
    char *t = with_sig(good, buf, 65);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "0x00 || r || s");
    free(t);
    buf[0] = 0;
    memcpy(buf + 1, sig, 32);
    buf[33] = 0;
    memcpy(buf + 34, sig + 32, 32);
    t = with_sig(good, buf, 66);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "0x00 || r || 0x00 || s");
    free(t);

    /* The DER ECDSA-Sig-Value OpenSSL produces, and that padded to 64 or 72 bytes. */
    ECDSA_SIG *es = ECDSA_SIG_new();
    assert_non_null(es);
    assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)),
                     1);
    uint8_t *q = der;
    int n = i2d_ECDSA_SIG(es, &q);
    ECDSA_SIG_free(es);
    assert_true(n > 8 && n <= 72);
    t = with_sig(good, der, (size_t)n);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "DER");
    free(t);
    memset(buf, 0, sizeof buf);
    memcpy(buf, der, (size_t)n < 64 ? (size_t)n : 64);
    t = with_sig(good, buf, 64);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "DER cut or padded to 64");
    free(t);
    memset(buf, 0, sizeof buf);
    memcpy(buf, der, (size_t)n);
    t = with_sig(good, buf, 72);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "DER padded to 72");
    free(t);
    free(good);
}

/* ---- EdDSA and RSA signature values ---- */

static void eddsa_rejects_s_out_of_range_and_bad_lengths(void **state)
{
    const struct pair *p = &P[ED];
    char *good = good_token(p);
    uint8_t sig[64], bad[200];

    assert_int_equal(sig_of(good, sig), 64);
    /* RFC 8032 5.1.7: S must be below L, or (R, S + L) would be a second signature. */
    memcpy(bad, sig, 32);
    le_add(sig + 32, ED25519_L, bad + 32, 32);
    char *t = with_sig(good, bad, 64);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "S + L");
    free(t);
    memcpy(bad + 32, ED25519_L, 32);
    t = with_sig(good, bad, 64);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "S = L");
    free(t);
    memcpy(bad, sig, 64);
    bad[63] |= 0xe0;   /* the top three bits of S */
    t = with_sig(good, bad, 64);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "S with its top bits set");
    free(t);
    memset(bad, 0, 64);
    t = with_sig(good, bad, 64);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "all zero");
    free(t);
    bad[0] = 1;        /* R = the identity point, S = 0 */
    t = with_sig(good, bad, 64);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "identity R, S = 0");
    free(t);
    static const size_t lengths[] = { 0, 32, 63, 65, 128 };
    for (size_t j = 0; j < sizeof lengths / sizeof lengths[0]; j++) {
        for (size_t k = 0; k < lengths[j]; k++)
            bad[k] = sig[k % 64];
        t = with_sig(good, bad, lengths[j]);
        EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "EdDSA length");
        free(t);
    }
    free(good);
}

static void rs256_rejects_out_of_range_values_and_bad_lengths(void **state)
{
    const struct pair *p = &P[RS];
    char *good = good_token(p);
    uint8_t sig[600], n[256], bad[600], one[256] = { [255] = 1 };
    BIGNUM *bn = NULL;

    assert_int_equal(sig_of(good, sig), 256);
    assert_int_equal(EVP_PKEY_get_bn_param(p->pkey, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
    assert_int_equal(BN_bn2binpad(bn, n, 256), 256);
    BN_free(bn);

    memset(bad, 0, 256);
    char *t = with_sig(good, bad, 256);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "s = 0");
    free(t);
    t = with_sig(good, one, 256);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "s = 1");
    free(t);
    t = with_sig(good, n, 256);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "s = n");
    free(t);
    be_sub(n, one, bad, 256);
    t = with_sig(good, bad, 256);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "s = n - 1");
    free(t);
    be_add(sig, n, bad, 256);
    t = with_sig(good, bad, 256);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "s + n mod 2^2048");
    free(t);
    static const size_t lengths[] = { 0, 255, 257, 512 };
    for (size_t j = 0; j < sizeof lengths / sizeof lengths[0]; j++) {
        for (size_t k = 0; k < lengths[j]; k++)
            bad[k] = sig[k % 256];
        t = with_sig(good, bad, lengths[j]);
        EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "RSA length");
        free(t);
    }
    bad[0] = 0;
    memcpy(bad + 1, sig, 256);
    t = with_sig(good, bad, 257);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_SIGNATURE, "0x00 || s");
    free(t);
    free(good);
}

/* ---- compact serialisation ---- */

static void rejects_wrong_segment_counts(void **state)
{
    for (int i = 0; i < NPAIRS; i++) {
        const tessera_keyset *ks = P[i].ks;
        char *good = good_token(&P[i]), buf[4096];
        const char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
        const struct {
            const char *label, *fmt;
        } forms[] = {
            { "4, last empty", "%s." },
            { "4, e30", "%s.e30" },
            { "4, the signature twice", NULL },
            { "5", "%s.e30.e30" },
            { "leading dot", ".%s" },
        };
        for (size_t j = 0; j < sizeof forms / sizeof forms[0]; j++) {
            if (forms[j].fmt)
                snprintf(buf, sizeof buf, forms[j].fmt, good);
            else
                snprintf(buf, sizeof buf, "%s%s", good, dot2);
            EXPECT_JWS(ks, buf, TESSERA_ERR_MALFORMED, forms[j].label);
        }
        snprintf(buf, sizeof buf, "%.*s", (int)(dot2 - good), good);
        EXPECT_JWS(ks, buf, TESSERA_ERR_MALFORMED, "2: header.payload");
        EXPECT_JWS(ks, dot1 + 1, TESSERA_ERR_MALFORMED, "2: payload.signature");
        snprintf(buf, sizeof buf, "%.*s", (int)(dot1 - good), good);
        EXPECT_JWS(ks, buf, TESSERA_ERR_MALFORMED, "1: header");
        snprintf(buf, sizeof buf, "%.*s..%s", (int)(dot1 - good), good, dot1 + 1);
        EXPECT_JWS(ks, buf, TESSERA_ERR_MALFORMED, "a doubled dot");
        EXPECT_JWS(ks, "..", TESSERA_ERR_MALFORMED, "..");
        EXPECT_JWS(ks, "...", TESSERA_ERR_MALFORMED, "...");
        EXPECT_JWS(ks, "", TESSERA_ERR_MALFORMED, "empty");
        snprintf(buf, sizeof buf, "%s", dot1);
        EXPECT_JWS(ks, buf, TESSERA_ERR_MALFORMED, "empty header");
        free(good);
    }
    /* An empty payload is a valid JWS, but not an access token. */
    char *h = good_header(&P[ES]);
    char *t = sign(&P[ES], h, "");
    assert_int_equal(tessera_jws_verify(P[ES].ks, t, strlen(t), NULL, NULL), TESSERA_OK);
    EXPECT_CLAIMS(P[ES].ks, t, TESSERA_ERR_MALFORMED, "empty payload, token");
    free(t);
    free(h);
}

/* A good ES256 token whose header, payload and signature lengths are not multiples of
 * 4 (so padding would be meaningful) and whose signature holds both '-' and '_'. */
static char *token_with_url_chars(void)
{
    const struct pair *p = &P[ES];
    char header[256], payload[1024];
    size_t hl, pl;

    snprintf(header, sizeof header, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
             p->kid);
    snprintf(payload, sizeof payload, "%s", GOOD_CLAIMS);
    while ((hl = strlen(header)) % 3 == 0) {
        header[hl - 1] = ' ';
        strcpy(header + hl, "}");
    }
    while ((pl = strlen(payload)) % 3 == 0) {
        payload[pl - 1] = ' ';
        strcpy(payload + pl, "}");
    }
    for (int i = 0; i < 500; i++) {
        char *t = sign(p, header, payload);
        const char *s = strrchr(t, '.') + 1;
        if (strchr(s, '-') && strchr(s, '_'))
            return t;
        free(t);
    }
    print_error("no ES256 signature with both '-' and '_' in 500 tries\n");
    fail();
    return NULL;
}

static void rejects_anything_but_strict_base64url(void **state)
{
    const tessera_keyset *ks = P[ES].ks;
    char *good = token_with_url_chars(), *t;
    size_t len = strlen(good);
    const char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
    const size_t mid[3] = { (size_t)(dot1 - good) / 2,
                            (size_t)(dot1 - good) + (size_t)(dot2 - dot1) / 2,
                            (size_t)(dot2 - good) + (len - (size_t)(dot2 - good)) / 2 };
    const size_t end[3] = { (size_t)(dot1 - good), (size_t)(dot2 - good), len };
    static const char *const inserts[] = { " ", "\t", "\n", "\r", "\r\n", "=", "==", "+",
                                           "/", "%", "*", "\xc3\xa9", "\xef\xbc\xa1",
                                           "\xff", "\x80", "\\", "\"" };
    char label[64];

    EXPECT_JWS(ks, good, TESSERA_OK, "control");
    /* Inserted in the middle or at the end of each segment. */
    for (size_t j = 0; j < sizeof inserts / sizeof inserts[0]; j++) {
        for (size_t s = 0; s < 3; s++) {
            snprintf(label, sizeof label, "insert #%zu in segment %zu", j, s);
            t = splice(good, mid[s], inserts[j], 0);
            EXPECT_JWS(ks, t, TESSERA_ERR_MALFORMED, label);
            free(t);
            t = splice(good, end[s], inserts[j], 0);
            EXPECT_JWS(ks, t, TESSERA_ERR_MALFORMED, label);
            free(t);
        }
    }
    /* Standard base64 for the same bytes: '-' -> '+', '_' -> '/'. */
    t = strdup(good);
    for (char *c = t + (dot2 - good); *c; c++)
        *c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
    EXPECT_JWS(ks, t, TESSERA_ERR_MALFORMED, "standard alphabet in the signature");
    for (char *c = t; *c; c++)
        *c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
    EXPECT_JWS(ks, t, TESSERA_ERR_MALFORMED, "standard alphabet throughout");
    free(t);
    /* Standard padding, canonical for the segment's length. */
    for (size_t s = 0; s < 3; s++) {
        size_t seg_len = end[s] - (s == 0 ? 0 : end[s - 1] + 1);
        assert_true(seg_len % 4 != 0);
        const char *pad = seg_len % 4 == 2 ? "==" : "=";
        t = splice(good, end[s], pad, 0);
        EXPECT_JWS(ks, t, TESSERA_ERR_MALFORMED, "padding");
        free(t);
    }
    /* A NUL inside the counted length. */
    t = strdup(good);
    t[mid[1]] = '\0';
    expect_at(__FILE__, __LINE__, ks, t, len, NULL, 1, TESSERA_ERR_MALFORMED, "NUL");
    free(t);
    /* A non-ASCII byte replacing one character (the length unchanged). */
    t = strdup(good);
    t[mid[2]] = (char)0xe9;
    EXPECT_JWS(ks, t, TESSERA_ERR_MALFORMED, "0xe9 in place");
    free(t);
    /* The same bytes with an unused trailing bit set (a second spelling). */
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t s = 0; s < 3; s++) {
        size_t seg_len = end[s] - (s == 0 ? 0 : end[s - 1] + 1);
        t = strdup(good);
        size_t v = (size_t)(strchr(alphabet, t[end[s] - 1]) - alphabet);
        assert_int_equal(v % (seg_len % 4 == 2 ? 16 : 4), 0);
        t[end[s] - 1] = alphabet[v | 1];
        EXPECT_JWS(ks, t, TESSERA_ERR_MALFORMED, "non-canonical last character");
        free(t);
    }
    free(good);
}

/* ---- size ---- */

static void rejects_oversized_tokens(void **state)
{
    const struct pair *p = &P[ES];
    char *h = good_header(p), *t, *c;
    const size_t cap = 100064;
    char *big = malloc(cap);

    assert_non_null(big);
    /* 100 kB of claims, correctly signed. */
    snprintf(big, cap, "\"%0*d\"", 75000, 0);
    c = json_with(GOOD_CLAIMS, "pad", big);
    t = sign(p, h, c);
    assert_true(strlen(t) > 100000);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_TOO_LARGE, "100 kB token");
    free(t);
    free(c);
    /* A 20 kB header, correctly signed. */
    snprintf(big, cap, "\"%0*d\"", 20000, 0);
    char *hh = header_with(p, "pad", big);
    t = sign(p, hh, GOOD_CLAIMS);
    EXPECT_JWS(p->ks, t, TESSERA_ERR_TOO_LARGE, "20 kB header");
    free(t);
    free(hh);
    /* Just past the limit, correctly signed: a pad of k characters adds about 4k/3. */
    snprintf(big, cap, "\"%0*d\"", 1000, 0);
    c = json_with(GOOD_CLAIMS, "pad", big);
    t = sign(p, h, c);
    size_t k = 1000 + (TESSERA_MAX_TOKEN_LEN - strlen(t)) * 3 / 4 - 6;
    free(t);
    free(c);
    for (int found = 0; !found; k++) {
        snprintf(big, cap, "\"%0*d\"", (int)k, 0);
        c = json_with(GOOD_CLAIMS, "pad", big);
        t = sign(p, h, c);
        free(c);
        if (strlen(t) <= TESSERA_MAX_TOKEN_LEN) {
            EXPECT_JWS(p->ks, t, TESSERA_OK, "at the limit");
        } else {
            assert_true(strlen(t) <= TESSERA_MAX_TOKEN_LEN + 4);
            EXPECT_JWS(p->ks, t, TESSERA_ERR_TOO_LARGE, "just past the limit");
            found = 1;
        }
        free(t);
    }
    /* 100 kB of junk: too large before anything else is looked at. */
    memset(big, 'A', 100000);
    big[100000] = '\0';
    EXPECT_JWS(p->ks, big, TESSERA_ERR_TOO_LARGE, "junk");
    memset(big, '.', 100000);
    EXPECT_JWS(p->ks, big, TESSERA_ERR_TOO_LARGE, "dots");
    free(big);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(controls_verify),
        cmocka_unit_test(rejects_alg_none_in_any_case),
        cmocka_unit_test(rejects_a_stripped_signature),
        cmocka_unit_test(rejects_hs256_keyed_with_the_public_key),
        cmocka_unit_test(binds_each_kid_to_its_alg_in_a_mixed_set),
        cmocka_unit_test(refuses_a_jwk_whose_alg_does_not_fit_its_type),
        cmocka_unit_test(rejects_an_alg_other_than_the_keys),
        cmocka_unit_test(rejects_a_hostile_kid),
        cmocka_unit_test(rejects_near_misses_of_the_real_kid),
        cmocka_unit_test(rejects_headers_that_bring_their_own_key),
        cmocka_unit_test(rejects_a_tampered_payload),
        cmocka_unit_test(judges_the_signature_before_the_claims),
        cmocka_unit_test(rejects_claims_one_rule_at_a_time),
        cmocka_unit_test(leeway_is_exact_and_not_negative),
        cmocka_unit_test(rejects_a_wrong_typ),
        cmocka_unit_test(rejects_claims_that_are_not_one_json_object),
        cmocka_unit_test(rejects_duplicate_header_members),
        cmocka_unit_test(rejects_duplicate_claims),
        cmocka_unit_test(es256_rejects_r_or_s_out_of_range),
        cmocka_unit_test(es256_refuses_the_high_s_twin_of_a_valid_signature),
        cmocka_unit_test(es256_rejects_signatures_of_the_wrong_length_or_encoding),
        cmocka_unit_test(eddsa_rejects_s_out_of_range_and_bad_lengths),
        cmocka_unit_test(rs256_rejects_out_of_range_values_and_bad_lengths),
        cmocka_unit_test(rejects_wrong_segment_counts),
        cmocka_unit_test(rejects_anything_but_strict_base64url),
        cmocka_unit_test(rejects_oversized_tokens),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
