/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation failure everywhere in libtessera: each operation is run with its first
 * allocation failing, then its second, and so on until it completes untouched. Every
 * run must end in the right answer or a clean error, with nothing leaked and no
 * out-parameter set. (SQLite's faultsim, on a small scale.)
 *
 * The allocator is replaced process-wide (glibc allows it; OpenSSL and jansson call
 * the same malloc), so sanitizer builds, which own malloc, skip these tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "tessera.h"
#include "../vectors/jose_rfc.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NO_FAULTS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) \
    || __has_feature(memory_sanitizer)
#define NO_FAULTS 1
#endif
#endif

#ifndef NO_FAULTS
/* glibc's own allocator, under the replacement. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static long fail_at = -1;   /* index of the allocation that fails; -1: none */
static long allocs;         /* allocations since arming */
static long live;           /* allocations not yet freed */

static int inject(void)
{
    return fail_at >= 0 && allocs++ == fail_at;
}

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);

void *malloc(size_t n)
{
    void *p = inject() ? NULL : __libc_malloc(n);
    live += p != NULL;
    return p;
}

void *calloc(size_t n, size_t size)
{
    void *p = inject() ? NULL : __libc_calloc(n, size);
    live += p != NULL;
    return p;
}

void *realloc(void *p, size_t n)
{
    void *q;
    if (!p)
        return malloc(n);
    if (inject())
        return NULL;   /* p stays valid and allocated */
    q = __libc_realloc(p, n);
    if (!q && n == 0)
        live--;        /* realloc(p, 0) freed p */
    return q;
}

void free(void *p)
{
    live -= p != NULL;
    __libc_free(p);
}
#endif

/* An operation under test: returns its status, having checked its own result (a wrong
 * result is reported as -1) and freed everything it made. */
typedef int (*op_fn)(const void *arg);

#define WRONG (-1)

/* First thing in every test, before it allocates anything: skip() leaves at once. */
#ifdef NO_FAULTS
#define NEEDS_FAULTS() skip()
#else
#define NEEDS_FAULTS() ((void)0)
#endif

static void fault_sweep(const char *name, op_fn op, const void *arg)
{
#ifdef NO_FAULTS
    (void)name;
    (void)op;
    (void)arg;
#else
    long n, used, before, failures = 0;
    int st;

    /* Twice untouched first: OpenSSL and jansson keep lazily built global state
     * (method caches, the DRBG) that is not a leak of ours. OpenSSL's per-thread
     * error queue also keeps a data buffer in each of its slots once used: fill them
     * all now, so that an error raised under test reuses one. */
    for (int i = 0; i < 2 * ERR_NUM_ERRORS; i++)
        ERR_raise_data(ERR_LIB_EVP, ERR_R_MALLOC_FAILURE, "warm-up %d", i);
    ERR_clear_error();
    assert_int_equal(op(arg), TESSERA_OK);
    assert_int_equal(op(arg), TESSERA_OK);
    for (n = 0;; n++) {
        before = live;
        allocs = 0;
        fail_at = n;
        st = op(arg);
        used = allocs;
        fail_at = -1;
        if (st == WRONG)
            fail_msg("%s: wrong result with allocation %ld failing", name, n);
        if (live != before)
            fail_msg("%s: %ld allocations leaked with allocation %ld failing (%s)", name,
                     live - before, n, tessera_strerror((tessera_status)st));
        if (used <= n)
            break;   /* finished without reaching the failing allocation */
        failures += st != TESSERA_OK;
    }
    assert_int_equal(st, TESSERA_OK);
    print_message("%s: %ld allocations, %ld clean failures\n", name, n, failures);
#endif
}

/* ---- operations ---- */

static int op_import(const void *arg)
{
    const char *jwk = arg;
    tessera_key *k = (tessera_key *)&k;
    tessera_status st = tessera_key_from_jwk(jwk, strlen(jwk), &k);
    if (st != TESSERA_OK)
        return k == NULL ? (int)st : WRONG;
    char *back = tessera_key_to_jwk(k, 1);
    tessera_key_free(k);
    if (!back)
        return TESSERA_ERR_NOMEM;
    free(back);
    return TESSERA_OK;
}

static int op_generate(const void *arg)
{
    tessera_alg alg = *(const tessera_alg *)arg;
    tessera_key *k = (tessera_key *)&k;
    tessera_status st = tessera_key_generate(alg, &k);
    if (st != TESSERA_OK)
        return k == NULL ? (int)st : WRONG;
    tessera_key_free(k);
    return TESSERA_OK;
}

static int op_jwks(const void *arg)
{
    const char *jwks = arg;
    tessera_keyset *ks = (tessera_keyset *)&ks;
    tessera_status st = tessera_keyset_from_jwks(jwks, strlen(jwks), &ks);
    if (st != TESSERA_OK)
        return ks == NULL ? (int)st : WRONG;
    char *out = tessera_keyset_to_jwks(ks);
    st = out ? TESSERA_OK : TESSERA_ERR_NOMEM;
    if (out && tessera_keyset_count(ks) != 3)
        st = WRONG;
    free(out);
    tessera_keyset_free(ks);
    return st;
}

struct sign_case {
    const tessera_key *key;
    const char *header, *payload, *want;   /* want NULL: not deterministic */
};

static int op_sign(const void *arg)
{
    const struct sign_case *c = arg;
    char *t = (char *)&t;
    tessera_status st = tessera_jws_sign_raw(c->key, c->header, strlen(c->header),
                                             (const uint8_t *)c->payload,
                                             strlen(c->payload), &t);
    if (st != TESSERA_OK)
        return t == NULL ? (int)st : WRONG;
    if (c->want && strcmp(t, c->want) != 0)
        st = WRONG;
    free(t);
    return st;
}

static int op_jwt_sign(const void *arg)
{
    const tessera_key *k = arg;
    char *t = (char *)&t;
    tessera_status st = tessera_jwt_sign(k, "at+jwt", "{\"exp\":1}", 9, &t);
    if (st != TESSERA_OK)
        return t == NULL ? (int)st : WRONG;
    free(t);
    return st;
}

struct verify_case {
    const tessera_keyset *ks;
    const char *token, *payload;
};

static int op_verify(const void *arg)
{
    const struct verify_case *c = arg;
    char *p = (char *)&p;
    size_t n = 99;
    tessera_status st = tessera_jws_verify(c->ks, c->token, strlen(c->token), &p, &n);
    if (st != TESSERA_OK)
        return p == NULL && n == 0 ? (int)st : WRONG;
    if (n != strlen(c->payload) || strcmp(p, c->payload) != 0)
        st = WRONG;
    free(p);
    return st;
}

static int op_verify_claims(const void *arg)
{
    const struct verify_case *c = arg;
    tessera_claims *cl = (tessera_claims *)&cl;
    tessera_expect ex = { 0 };
    ex.now = 1700000000;
    ex.issuer = "iss";
    ex.audience = "api";
    ex.check_typ = 1;
    tessera_status st = tessera_verify(c->ks, c->token, strlen(c->token), &ex, &cl);
    if (st != TESSERA_OK)
        return cl == NULL ? (int)st : WRONG;
    char *json = tessera_claims_json(cl);
    if (!json)
        st = TESSERA_ERR_NOMEM;
    else if (strcmp(json, c->payload) != 0 || !tessera_claims_has_scope(cl, "b"))
        st = WRONG;
    free(json);
    tessera_claims_free(cl);
    return st;
}

/* ---- tests ---- */

static void importing_keys(void **state)
{
    NEEDS_FAULTS();
    fault_sweep("EC private", op_import, RFC7515_A3_PRIVATE_JWK);
    fault_sweep("Ed25519 private", op_import, RFC8037_PRIVATE_JWK);
    fault_sweep("oct", op_import, RFC7515_A1_JWK);
    fault_sweep("RSA public", op_import, RFC7515_A2_PUBLIC_JWK);
    fault_sweep("RSA private", op_import, RFC7515_A2_PRIVATE_JWK);
}

static void generating_keys(void **state)
{
    NEEDS_FAULTS();
    static const tessera_alg algs[] = { TESSERA_ALG_ES256, TESSERA_ALG_EDDSA,
                                        TESSERA_ALG_HS256 };
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        fault_sweep(tessera_alg_name(algs[i]), op_generate, &algs[i]);
}

static void parsing_and_writing_jwks(void **state)
{
    NEEDS_FAULTS();
    static const char jwks[] =
        "{\"keys\":[" RFC7515_A2_PUBLIC_JWK "," RFC7515_A3_PUBLIC_JWK ","
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\",\"y\":\"AAAA\"},"
        RFC8037_PUBLIC_JWK "]}";
    fault_sweep("JWKS", op_jwks, jwks);
}

static void signing(void **state)
{
    NEEDS_FAULTS();
    tessera_key *hs = NULL, *rs = NULL, *ed = NULL, *es = NULL;
    assert_int_equal(tessera_key_from_jwk(RFC7515_A1_JWK, strlen(RFC7515_A1_JWK), &hs),
                     TESSERA_OK);
    assert_int_equal(tessera_key_from_jwk(RFC7515_A2_PRIVATE_JWK,
                                          strlen(RFC7515_A2_PRIVATE_JWK), &rs),
                     TESSERA_OK);
    assert_int_equal(tessera_key_from_jwk(RFC8037_PRIVATE_JWK, strlen(RFC8037_PRIVATE_JWK),
                                          &ed),
                     TESSERA_OK);
    assert_int_equal(tessera_key_from_jwk(RFC7515_A3_PRIVATE_JWK,
                                          strlen(RFC7515_A3_PRIVATE_JWK), &es),
                     TESSERA_OK);
    struct sign_case cases[] = {
        { hs, RFC7515_A1_HEADER, RFC7515_PAYLOAD, RFC7515_A1_JWS },
        { rs, RFC7515_A2_HEADER, RFC7515_PAYLOAD, RFC7515_A2_JWS },
        { ed, RFC8037_HEADER, RFC8037_PAYLOAD, RFC8037_JWS },
        { es, RFC7515_A3_HEADER, RFC7515_PAYLOAD, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        fault_sweep(cases[i].header, op_sign, &cases[i]);
    fault_sweep("jwt ES256", op_jwt_sign, es);
    tessera_key_free(hs);
    tessera_key_free(rs);
    tessera_key_free(ed);
    tessera_key_free(es);
}

static tessera_keyset *set_of(const char *jwk)
{
    tessera_keyset *ks = NULL;
    tessera_key *k = NULL;
    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    assert_int_equal(tessera_key_from_jwk(jwk, strlen(jwk), &k), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, k), TESSERA_OK);
    return ks;
}

static void verifying(void **state)
{
    NEEDS_FAULTS();
    struct verify_case cases[] = {
        { set_of(RFC7515_A1_JWK), RFC7515_A1_JWS, RFC7515_PAYLOAD },
        { set_of(RFC7515_A2_PUBLIC_JWK), RFC7515_A2_JWS, RFC7515_PAYLOAD },
        { set_of(RFC7515_A3_PUBLIC_JWK), RFC7515_A3_JWS_LOW_S, RFC7515_PAYLOAD },
        { set_of(RFC8037_PUBLIC_JWK), RFC8037_JWS, RFC8037_PAYLOAD },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_sweep(cases[i].token + strlen(cases[i].token) - 8, op_verify, &cases[i]);
        tessera_keyset_free((tessera_keyset *)cases[i].ks);
    }
}

static void verifying_claims(void **state)
{
    NEEDS_FAULTS();
    static const char claims[] =
        "{\"iss\":\"iss\",\"aud\":[\"x\",\"api\"],\"exp\":1800000000,\"scope\":\"a b\"}";
    tessera_key *k = NULL;
    char *t = NULL;

    assert_int_equal(tessera_key_from_jwk(RFC8037_PRIVATE_JWK, strlen(RFC8037_PRIVATE_JWK),
                                          &k),
                     TESSERA_OK);
    assert_int_equal(tessera_jwt_sign(k, "at+jwt", claims, strlen(claims), &t), TESSERA_OK);
    tessera_key_free(k);
    struct verify_case c = { set_of(RFC8037_PUBLIC_JWK), t, claims };
    fault_sweep("tessera_verify", op_verify_claims, &c);
    tessera_keyset_free((tessera_keyset *)c.ks);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(importing_keys),
        cmocka_unit_test(generating_keys),
        cmocka_unit_test(parsing_and_writing_jwks),
        cmocka_unit_test(signing),
        cmocka_unit_test(verifying),
        cmocka_unit_test(verifying_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
