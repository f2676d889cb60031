/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/verifier_options.c: the ABI of tessera_verifier_options. A caller whose struct
 * ends after an earlier group of fields (built against an older tessera.h) works:
 * the library reads only its `size` bytes (a guard page right after them proves it)
 * and takes the defaults for the rest, whatever lies beyond in memory. A size that is
 * no group's end (not set, too small, between groups, from a newer header) fails
 * with TESSERA_ERR_OPTIONS_SIZE and builds nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tessera.h"

#define ISSUER "https://auth.example"

/* The struct as a caller that knows only the first group declares it. */
struct options_group1 {
    size_t size;
    const char *jwks_url;
    const char *jwks_json;
    size_t jwks_json_len;
    const char *issuer;
    const char *audience;
    long leeway;
    int check_typ;
    long refetch_interval;
    long fetch_timeout;
};
_Static_assert(sizeof(struct options_group1)
               == offsetof(tessera_verifier_options, revocations_url),
               "group 1 ends where the revocation feed's group starts");
_Static_assert(offsetof(struct options_group1, fetch_timeout)
               == offsetof(tessera_verifier_options, fetch_timeout),
               "group 1 is a prefix of the struct");

#define GROUP1_SIZE offsetof(tessera_verifier_options, revocations_url)
#define GROUP2_SIZE offsetof(tessera_verifier_options, jwks_max_age)

/* An ES256 key and an HS256 (oct) key, and a JWKS document of both. */
struct keys {
    tessera_key *es, *hs;
    char doc[2048];
};

static void keys_make(struct keys *k)
{
    char *ejwk, *hjwk;

    assert_int_equal(tessera_key_generate(TESSERA_ALG_ES256, &k->es), TESSERA_OK);
    assert_int_equal(tessera_key_generate(TESSERA_ALG_HS256, &k->hs), TESSERA_OK);
    ejwk = tessera_key_to_jwk(k->es, 0);
    hjwk = tessera_key_to_jwk(k->hs, 1);
    assert_non_null(ejwk);
    assert_non_null(hjwk);
    snprintf(k->doc, sizeof k->doc, "{\"keys\":[%s,%s]}", ejwk, hjwk);
    free(ejwk);
    free(hjwk);
}

static void keys_free(struct keys *k)
{
    tessera_key_free(k->es);
    tessera_key_free(k->hs);
}

/* The status of verifying a fresh at+jwt token of `key` with issuer `iss`. */
static tessera_status check(tessera_verifier *v, const tessera_key *key, const char *iss)
{
    char claims[256], *tok = NULL;
    tessera_claims *c = NULL;
    long now = (long)time(NULL);
    int n = snprintf(claims, sizeof claims,
                     "{\"sub\":\"u1\",\"iss\":\"%s\",\"iat\":%ld,\"exp\":%ld}", iss,
                     now - 10, now + 300);
    tessera_status st;

    assert_true(n > 0 && (size_t)n < sizeof claims);
    assert_int_equal(tessera_jwt_sign(key, "at+jwt", claims, (size_t)n, &tok), TESSERA_OK);
    st = tessera_verifier_verify(v, tok, strlen(tok), &c);
    if (st == TESSERA_OK)
        assert_string_equal(tessera_claims_string(c, "sub"), "u1");
    else
        assert_null(c);
    tessera_claims_free(c);
    free(tok);
    return st;
}

/* The behaviour of the first group's options, with the later groups' defaults: keys
 * from the document, iss checked, oct keys skipped, no revocation feed. */
static void assert_group1_behaviour(tessera_verifier *v, const struct keys *k)
{
    assert_int_equal(check(v, k->es, ISSUER), TESSERA_OK);
    assert_int_equal(check(v, k->es, "https://evil"), TESSERA_ERR_ISSUER);
    assert_int_equal(check(v, k->hs, ISSUER), TESSERA_ERR_KID);
    assert_int_equal(tessera_verifier_poll_revocations(v), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_verifier_revoked_count(v), 0);
}

static void test_init_sets_size(void **state)
{
    tessera_verifier_options o = TESSERA_VERIFIER_OPTIONS_INIT;

    assert_int_equal(o.size, sizeof o);
    assert_null(o.jwks_url);
    assert_null(o.ca_file);
    assert_int_equal(o.allow_oct_keys, 0);
}

/* A struct of the first group only, its last byte the last of a page and the next
 * page unreadable: reading past `size` would crash the test. */
static void test_older_smaller_struct_reads_only_its_size(void **state)
{
    long page = sysconf(_SC_PAGESIZE);
    struct keys k;
    struct options_group1 *old;
    tessera_verifier *v = NULL;
    char *mem;

    keys_make(&k);
    assert_true(page > 0);
    mem = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(mprotect(mem + page, (size_t)page, PROT_NONE), 0);
    old = (struct options_group1 *)(mem + page - sizeof *old);
    memset(old, 0, sizeof *old);
    old->size = sizeof *old;
    old->jwks_json = k.doc;
    old->issuer = ISSUER;
    old->check_typ = 1;

    assert_int_equal(tessera_verifier_new((const tessera_verifier_options *)old, &v),
                     TESSERA_OK);
    assert_non_null(v);
    assert_group1_behaviour(v, &k);
    tessera_verifier_free(v);
    munmap(mem, (size_t)page * 2);
    keys_free(&k);
}

/* The fields after `size` are ignored, whatever they hold: here values that would be
 * refused (a negative age, a feed URL that is not http) or that would change the
 * answers (oct keys allowed). */
static void test_fields_past_size_take_their_defaults(void **state)
{
    struct keys k;
    tessera_verifier_options o = TESSERA_VERIFIER_OPTIONS_INIT;
    tessera_verifier *v = NULL;

    keys_make(&k);
    o.jwks_json = k.doc;
    o.issuer = ISSUER;
    o.check_typ = 1;
    o.revocations_url = "ftp://auth.example/v1/auth/revocations";
    o.client_id = "api";
    o.client_secret = "secret";
    o.jwks_max_age = -1;
    o.allow_oct_keys = 1;

    o.size = GROUP1_SIZE;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_group1_behaviour(v, &k);
    tessera_verifier_free(v);

    /* With the second group the feed's URL is read, and refused. */
    o.size = GROUP2_SIZE;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    assert_null(v);
    o.revocations_url = NULL;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_group1_behaviour(v, &k);
    tessera_verifier_free(v);

    /* The whole struct: the third group counts too. */
    o.size = sizeof o;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    o.jwks_max_age = 0;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(check(v, k.hs, ISSUER), TESSERA_OK);
    tessera_verifier_free(v);
    keys_free(&k);
}

/* Sizes that are no group's end: refused before anything is built. */
static void test_bad_sizes_fail_clearly(void **state)
{
    struct keys k;
    struct {
        tessera_verifier_options o;
        long from_a_newer_header;
    } newer;
    const size_t bad[] = {
        0,                              /* `= { 0 }`: size never set */
        1,
        sizeof(size_t),                 /* size alone */
        GROUP1_SIZE - sizeof(long),     /* inside the first group */
        GROUP1_SIZE + sizeof(void *),   /* between the first and the second */
        GROUP2_SIZE + sizeof(long),     /* between the second and the third */
        sizeof(tessera_verifier_options) + sizeof(long),   /* a newer, larger struct */
        SIZE_MAX,
    };
    tessera_verifier *v;

    keys_make(&k);
    memset(&newer, 0, sizeof newer);
    newer.o.jwks_json = k.doc;
    newer.o.issuer = ISSUER;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        newer.o.size = bad[i];
        v = (tessera_verifier *)&newer;   /* must come back NULL */
        assert_int_equal(tessera_verifier_new(&newer.o, &v), TESSERA_ERR_OPTIONS_SIZE);
        assert_null(v);
    }
    assert_non_null(strstr(tessera_strerror(TESSERA_ERR_OPTIONS_SIZE),
                           "TESSERA_VERIFIER_OPTIONS_INIT"));
    /* The same struct with its size right works. */
    newer.o.size = sizeof newer.o;
    assert_int_equal(tessera_verifier_new(&newer.o, &v), TESSERA_OK);
    assert_int_equal(check(v, k.es, ISSUER), TESSERA_OK);
    tessera_verifier_free(v);
    keys_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_sets_size),
        cmocka_unit_test(test_older_smaller_struct_reads_only_its_size),
        cmocka_unit_test(test_fields_past_size_take_their_defaults),
        cmocka_unit_test(test_bad_sizes_fail_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
