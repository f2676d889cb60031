/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/idtoken.c and the key ring's per-algorithm signing (core/keyring.c): the
 * claims of an ID token by input, at_hash against independent vectors, the signature
 * checked by libtessera against the ring's published JWKS, and the refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handler_harness.h"
#include "core/idtoken.h"
#include "core/keyring.h"
#include "tessera.h"

#define PASSWORD "correct horse battery"
#define CLIENT "app-1"

static const char *const sets[] = {
    "oidc.id_token_algs=RS256 EdDSA",
    "role.user.scopes=openid profile email",
    NULL
};

struct fx {
    struct harness *h;
    struct app *a;
    char alice[64];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->h = harness_new(sets)) ||
        harness_user(f->h, "alice@example.com", "alice", "user", PASSWORD, f->alice)) {
        if (f)
            harness_free(f->h);
        free(f);
        return -1;
    }
    f->a = harness_app(f->h);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    harness_free(f->h);
    free(f);
    return 0;
}

/* The JOSE header of a compact token, parsed. */
static json_t *header_of(const char *token)
{
    const char *dot = strchr(token, '.');
    uint8_t buf[512];
    size_t n = 0;
    assert_non_null(dot);
    assert_true((size_t)(dot - token) < sizeof buf);
    assert_int_equal(tessera_b64url_decode(token, (size_t)(dot - token), buf, &n),
                     TESSERA_OK);
    json_t *h = json_loadb((const char *)buf, n, 0, NULL);
    assert_non_null(h);
    return h;
}

/* Verifies `token` with libtessera against the JWKS the server publishes (not the
 * ring's own keyset): the claims, or a failed test. */
static tessera_claims *verify_published(struct fx *f, const char *token)
{
    char *jwks = keyring_jwks(f->a->keys);
    tessera_keyset *ks = NULL;
    tessera_claims *c = NULL;
    tessera_expect ex = { 0 };
    assert_non_null(jwks);
    assert_int_equal(tessera_keyset_from_jwks(jwks, strlen(jwks), &ks), TESSERA_OK);
    ex.issuer = f->a->cfg.issuer;
    ex.audience = CLIENT;
    assert_int_equal(tessera_verify(ks, token, strlen(token), &ex, &c), TESSERA_OK);
    tessera_keyset_free(ks);
    free(jwks);
    return c;
}

static int64_t int_claim(const tessera_claims *c, const char *name)
{
    int64_t v = -1;
    assert_int_equal(tessera_claims_int(c, name, &v), 0);
    return v;
}

static void test_every_claim_when_given(void **state)
{
    struct fx *f = *state;
    const char *at = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    struct idtoken_in in = {
        .sub = f->alice, .client_id = CLIENT, .nonce = "n-0S6_WzA2Mj", .sid = "sess-1",
        .auth_time = 1700000000, .amr_json = "[\"pwd\"]",
        .scope = "openid profile email", .access_token = at, .alg = NULL,
    };
    char *tok = NULL;
    int64_t before = (int64_t)time(NULL);
    assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_OK);

    json_t *h = header_of(tok);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
    assert_non_null(json_string_value(json_object_get(h, "kid")));
    json_decref(h);

    tessera_claims *c = verify_published(f, tok);
    assert_string_equal(tessera_claims_string(c, "iss"), "http://tessera.test");
    assert_string_equal(tessera_claims_string(c, "sub"), f->alice);
    assert_string_equal(tessera_claims_string(c, "aud"), CLIENT);   /* one: a string */
    assert_string_equal(tessera_claims_string(c, "azp"), CLIENT);
    assert_string_equal(tessera_claims_string(c, "nonce"), "n-0S6_WzA2Mj");
    assert_string_equal(tessera_claims_string(c, "sid"), "sess-1");
    /* OpenID Connect Core 1.0 A.3: this access token's RS256 at_hash */
    assert_string_equal(tessera_claims_string(c, "at_hash"), "77QmUPtjPfzWtF2AnpK9RQ");
    assert_int_equal(int_claim(c, "auth_time"), 1700000000);
    int64_t iat = int_claim(c, "iat");
    assert_true(iat >= before && iat <= (int64_t)time(NULL));
    assert_int_equal(int_claim(c, "exp"), iat + 300);     /* oidc.id_token_ttl */
    assert_int_equal(tessera_claims_array_len(c, "amr"), 1);
    assert_string_equal(tessera_claims_array_string(c, "amr", 0), "pwd");
    assert_string_equal(tessera_claims_string(c, "preferred_username"), "alice");
    assert_string_equal(tessera_claims_string(c, "email"), "alice@example.com");
    assert_true(int_claim(c, "updated_at") > 0);
    assert_null(tessera_claims_string(c, "name"));         /* alice has none */
    char *all = tessera_claims_json(c);
    assert_non_null(all);
    assert_null(strstr(all, "\"acr\""));
    assert_null(strstr(all, "email_verified"));
    assert_null(strstr(all, "\"scope\""));
    assert_null(strstr(all, "\"jti\""));
    free(all);
    tessera_claims_free(c);
    free(tok);
}

static void test_absent_inputs_leave_claims_out(void **state)
{
    struct fx *f = *state;
    struct idtoken_in in = { .sub = f->alice, .client_id = CLIENT, .scope = "openid" };
    char *tok = NULL;
    assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_OK);
    tessera_claims *c = verify_published(f, tok);
    char *all = tessera_claims_json(c);
    assert_non_null(all);
    static const char *const absent[] = { "\"nonce\"", "\"sid\"", "\"auth_time\"",
        "\"amr\"", "\"at_hash\"", "\"email\"", "\"preferred_username\"",
        "\"updated_at\"", "\"name\"" };
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
        if (strstr(all, absent[i]))
            fail_msg("%s present in %s", absent[i], all);
    assert_string_equal(tessera_claims_string(c, "sub"), f->alice);
    free(all);
    tessera_claims_free(c);
    free(tok);

    /* email alone: the address and nothing of the profile */
    in.scope = "openid email";
    assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_OK);
    c = verify_published(f, tok);
    assert_string_equal(tessera_claims_string(c, "email"), "alice@example.com");
    assert_null(tessera_claims_string(c, "preferred_username"));
    tessera_claims_free(c);
    free(tok);
}

/* The hash of each algorithm, left half, computed independently (Python hashlib):
 * SHA-256 for RS256 and ES256, SHA-512 for EdDSA (Ed25519). */
static void test_at_hash_vectors(void **state)
{
    (void)state;
    const char *at = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    char out[44];
    assert_int_equal(idtoken_half_hash("RS256", at, strlen(at), out), TS_OK);
    assert_string_equal(out, "77QmUPtjPfzWtF2AnpK9RQ");
    assert_int_equal(idtoken_half_hash("ES256", at, strlen(at), out), TS_OK);
    assert_string_equal(out, "77QmUPtjPfzWtF2AnpK9RQ");
    assert_int_equal(idtoken_half_hash("PS256", at, strlen(at), out), TS_OK);
    assert_string_equal(out, "77QmUPtjPfzWtF2AnpK9RQ");
    assert_int_equal(idtoken_half_hash("EdDSA", at, strlen(at), out), TS_OK);
    assert_string_equal(out, "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM");
    assert_int_equal(idtoken_half_hash("HS256", at, strlen(at), out), TS_EINVAL);
    assert_int_equal(idtoken_half_hash("none", at, strlen(at), out), TS_EINVAL);
}

/* ES256 (tokens.algorithm) and EdDSA (oidc.id_token_algs) sign too, each with its own
 * key and the at_hash of its algorithm; RS256 is not the access tokens' key. */
static void test_each_algorithm_of_the_ring(void **state)
{
    struct fx *f = *state;
    const char *at = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    static const struct { const char *alg, *at_hash; } cases[] = {
        { "ES256", "77QmUPtjPfzWtF2AnpK9RQ" },
        { "EdDSA", "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM" },
        { "RS256", "77QmUPtjPfzWtF2AnpK9RQ" },
    };
    char kids[3][80];
    for (size_t i = 0; i < 3; i++) {
        struct idtoken_in in = { .sub = f->alice, .client_id = CLIENT, .scope = "openid",
                                 .access_token = at, .alg = cases[i].alg };
        char *tok = NULL;
        assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_OK);
        json_t *h = header_of(tok);
        assert_string_equal(json_string_value(json_object_get(h, "alg")), cases[i].alg);
        snprintf(kids[i], sizeof kids[i], "%s",
                 json_string_value(json_object_get(h, "kid")));
        json_decref(h);
        tessera_claims *c = verify_published(f, tok);
        assert_string_equal(tessera_claims_string(c, "at_hash"), cases[i].at_hash);
        tessera_claims_free(c);
        free(tok);
    }
    assert_string_not_equal(kids[0], kids[1]);
    assert_string_not_equal(kids[1], kids[2]);
    assert_string_not_equal(kids[0], kids[2]);

    /* access tokens: still the tokens.algorithm key, the newest activated one */
    char access[4096];
    assert_int_equal(harness_login(f->h, "alice", PASSWORD, NULL, access, NULL), 0);
    json_t *h = header_of(access);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES256");
    assert_string_equal(json_string_value(json_object_get(h, "kid")), kids[0]);
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "at+jwt");
    json_decref(h);
}

/* Asking again adds nothing: one key per algorithm, three in the JWKS. */
static void test_ensure_is_idempotent(void **state)
{
    struct fx *f = *state;
    char kid[65] = "x";
    assert_int_equal(keyring_ensure_alg(f->a->st, "RS256", (int64_t)time(NULL), kid),
                     TS_OK);
    assert_string_equal(kid, "");
    assert_int_equal(keyring_ensure_alg(f->a->st, "HS256", (int64_t)time(NULL), kid),
                     TS_EINVAL);
    char *jwks = keyring_jwks(f->a->keys);
    json_t *j = json_loads(jwks, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "keys")), 3);
    json_decref(j);
    free(jwks);
    assert_true(keyring_can_sign(f->a->keys, "RS256"));
    assert_true(keyring_can_sign(f->a->keys, "EdDSA"));
    assert_true(keyring_can_sign(f->a->keys, "ES256"));
    assert_false(keyring_can_sign(f->a->keys, "PS256"));
    assert_false(keyring_can_sign(f->a->keys, "HS256"));
}

static void test_refusals(void **state)
{
    struct fx *f = *state;
    char *tok = (char *)"unchanged";
    struct idtoken_in in = { .sub = f->alice, .client_id = CLIENT, .scope = "openid" };

    static const char *const bad_amr[] = { "pwd", "[1]", "{\"a\":1}", "[\"pwd\"",
                                           "\"pwd\"", "" };
    for (size_t i = 0; i < sizeof bad_amr / sizeof *bad_amr; i++) {
        in.amr_json = bad_amr[i];
        assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_EINVAL);
        assert_null(tok);
    }
    in.amr_json = NULL;
    static const char *const bad_alg[] = { "HS256", "none", "rs256", "ES512", "" };
    for (size_t i = 0; i < sizeof bad_alg / sizeof *bad_alg; i++) {
        in.alg = bad_alg[i];
        assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_EINVAL);
    }
    in.alg = "PS256";                   /* valid, but no key of it in the ring */
    assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_EINTERNAL);
    assert_null(tok);
    in.alg = NULL;
    in.sub = "";
    assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_EINVAL);
    in.sub = f->alice;
    in.client_id = NULL;
    assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_EINVAL);
    in.client_id = CLIENT;
    in.sub = "no-such-user";
    in.scope = "openid email";          /* the claims need the user */
    assert_int_equal(idtoken_issue(f->a, &in, &tok), TS_ENOTFOUND);
    assert_null(tok);
}

/* Without oidc.id_token_algs the ring holds only the tokens.algorithm key: an RS256
 * ID token is refused (logged), not signed with another algorithm. */
static void test_without_an_rs256_key(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    char id[64];
    assert_non_null(h);
    assert_int_equal(harness_user(h, "bob@example.com", "bob", "user", PASSWORD, id), 0);
    struct app *a = harness_app(h);
    struct idtoken_in in = { .sub = id, .client_id = CLIENT };
    char *tok = NULL;
    assert_false(keyring_can_sign(a->keys, "RS256"));
    assert_int_equal(idtoken_issue(a, &in, &tok), TS_EINTERNAL);
    assert_null(tok);
    in.alg = "ES256";
    assert_int_equal(idtoken_issue(a, &in, &tok), TS_OK);
    free(tok);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_claim_when_given, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_inputs_leave_claims_out, setup,
                                        teardown),
        cmocka_unit_test(test_at_hash_vectors),
        cmocka_unit_test_setup_teardown(test_each_algorithm_of_the_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ensure_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test(test_without_an_rs256_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
