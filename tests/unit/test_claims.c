/* SPDX-License-Identifier: Apache-2.0 */
/* lib/claims.c: tessera_verify's claim checks (RFC 7519, RFC 9068) and the getters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tessera.h"

#define NOW 1700000000

static const uint8_t secret[32] = "claims-test-secret-0123456789abc";

struct fixture {
    tessera_key *key;   /* owned by ks */
    tessera_keyset *ks;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || tessera_key_from_secret(secret, sizeof secret, "k", &f->key) != TESSERA_OK
        || tessera_keyset_new(&f->ks) != TESSERA_OK
        || tessera_keyset_add(f->ks, f->key) != TESSERA_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tessera_keyset_free(f->ks);
    free(f);
    return 0;
}

/* A token over the claims text, with typ in the header (none when NULL). */
static char *token(struct fixture *f, const char *typ, const char *claims)
{
    char *t = NULL;
    assert_int_equal(tessera_jwt_sign(f->key, typ, claims, strlen(claims), &t), TESSERA_OK);
    return t;
}

/* Verifies claims (under an at+jwt header) against `ex`; frees everything. */
static tessera_status check(struct fixture *f, const char *claims, const tessera_expect *ex)
{
    tessera_claims *c = (tessera_claims *)&c;
    char *t = token(f, "at+jwt", claims);
    tessera_status st = tessera_verify(f->ks, t, strlen(t), ex, &c);
    if (st == TESSERA_OK)
        assert_non_null(c);
    else
        assert_null(c);   /* set to NULL on every error */
    tessera_claims_free(c);
    free(t);
    return st;
}

static tessera_expect at(int64_t now, long leeway)
{
    tessera_expect ex = { 0 };
    ex.now = now;
    ex.leeway = leeway;
    return ex;
}

/* ---- times ---- */

static void exp_is_required_and_numeric(void **state)
{
    tessera_expect ex = at(NOW, 0);
    assert_int_equal(check(*state, "{\"sub\":\"u\"}", &ex), TESSERA_ERR_CLAIMS);
    assert_int_equal(check(*state, "{\"exp\":\"1800000000\"}", &ex), TESSERA_ERR_CLAIMS);
    assert_int_equal(check(*state, "{\"exp\":null}", &ex), TESSERA_ERR_CLAIMS);
    assert_int_equal(check(*state, "{\"exp\":[1800000000]}", &ex), TESSERA_ERR_CLAIMS);
    assert_int_equal(check(*state, "{\"exp\":1800000000}", &ex), TESSERA_OK);
    assert_int_equal(check(*state, "{\"exp\":1800000000.5}", &ex), TESSERA_OK);
}

static void rejects_expired_tokens(void **state)
{
    char claims[64];
    tessera_expect ex = at(NOW, 0);

    snprintf(claims, sizeof claims, "{\"exp\":%d}", NOW - 1);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_EXPIRED);
    snprintf(claims, sizeof claims, "{\"exp\":%d}", NOW);   /* valid only before exp */
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_EXPIRED);
    snprintf(claims, sizeof claims, "{\"exp\":%d}", NOW + 1);
    assert_int_equal(check(*state, claims, &ex), TESSERA_OK);
    snprintf(claims, sizeof claims, "{\"exp\":%d.5}", NOW);
    assert_int_equal(check(*state, claims, &ex), TESSERA_OK);
    assert_int_equal(check(*state, "{\"exp\":-1}", &ex), TESSERA_ERR_EXPIRED);

    /* Leeway forgives clock skew, and no more. */
    ex = at(NOW, 30);
    snprintf(claims, sizeof claims, "{\"exp\":%d}", NOW - 29);
    assert_int_equal(check(*state, claims, &ex), TESSERA_OK);
    snprintf(claims, sizeof claims, "{\"exp\":%d}", NOW - 30);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_EXPIRED);
}

static void rejects_tokens_not_yet_valid(void **state)
{
    char claims[96];
    tessera_expect ex = at(NOW, 0);

    snprintf(claims, sizeof claims, "{\"exp\":%d,\"nbf\":%d}", NOW + 600, NOW + 1);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_NOT_YET_VALID);
    snprintf(claims, sizeof claims, "{\"exp\":%d,\"nbf\":%d}", NOW + 600, NOW);
    assert_int_equal(check(*state, claims, &ex), TESSERA_OK);
    snprintf(claims, sizeof claims, "{\"exp\":%d,\"iat\":%d}", NOW + 600, NOW + 1);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_NOT_YET_VALID);
    snprintf(claims, sizeof claims, "{\"exp\":%d,\"iat\":%d}", NOW + 600, NOW);
    assert_int_equal(check(*state, claims, &ex), TESSERA_OK);
    snprintf(claims, sizeof claims, "{\"exp\":%d,\"nbf\":\"%d\"}", NOW + 600, NOW);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_CLAIMS);
    snprintf(claims, sizeof claims, "{\"exp\":%d,\"iat\":true}", NOW + 600);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_CLAIMS);

    ex = at(NOW, 60);
    snprintf(claims, sizeof claims, "{\"exp\":%d,\"nbf\":%d,\"iat\":%d}", NOW + 600,
             NOW + 60, NOW + 60);
    assert_int_equal(check(*state, claims, &ex), TESSERA_OK);
    snprintf(claims, sizeof claims, "{\"exp\":%d,\"nbf\":%d}", NOW + 600, NOW + 61);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_NOT_YET_VALID);
    snprintf(claims, sizeof claims, "{\"exp\":%d,\"iat\":%d}", NOW + 600, NOW + 61);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_NOT_YET_VALID);
}

static void now_zero_means_the_clock(void **state)
{
    char claims[64];
    tessera_expect ex = { 0 };
    long long t = (long long)time(NULL);

    snprintf(claims, sizeof claims, "{\"exp\":%lld}", t + 300);
    assert_int_equal(check(*state, claims, &ex), TESSERA_OK);
    assert_int_equal(check(*state, claims, NULL), TESSERA_OK);   /* no expectations */
    snprintf(claims, sizeof claims, "{\"exp\":%lld}", t - 300);
    assert_int_equal(check(*state, claims, &ex), TESSERA_ERR_EXPIRED);
    assert_int_equal(check(*state, claims, NULL), TESSERA_ERR_EXPIRED);
}

/* ---- issuer, audience, type ---- */

static void checks_the_issuer(void **state)
{
    tessera_expect ex = at(NOW, 0);
    ex.issuer = "https://auth.example.com";

    assert_int_equal(check(*state, "{\"exp\":1800000000,\"iss\":\"https://auth.example.com\"}", &ex),
                     TESSERA_OK);
    assert_int_equal(check(*state, "{\"exp\":1800000000}", &ex), TESSERA_ERR_ISSUER);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"iss\":\"https://evil.example.com\"}", &ex),
                     TESSERA_ERR_ISSUER);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"iss\":\"https://auth.example.co\"}", &ex),
                     TESSERA_ERR_ISSUER);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"iss\":\"https://auth.example.com/\"}", &ex),
                     TESSERA_ERR_ISSUER);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"iss\":[\"https://auth.example.com\"]}", &ex),
                     TESSERA_ERR_ISSUER);
    ex.issuer = NULL;   /* not checked */
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"iss\":\"anyone\"}", &ex), TESSERA_OK);
}

static void checks_the_audience(void **state)
{
    tessera_expect ex = at(NOW, 0);
    ex.audience = "api";

    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":\"api\"}", &ex), TESSERA_OK);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":[\"web\",\"api\"]}", &ex),
                     TESSERA_OK);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":[1,null,\"api\"]}", &ex),
                     TESSERA_OK);
    assert_int_equal(check(*state, "{\"exp\":1800000000}", &ex), TESSERA_ERR_AUDIENCE);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":\"apis\"}", &ex),
                     TESSERA_ERR_AUDIENCE);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":\"ap\"}", &ex),
                     TESSERA_ERR_AUDIENCE);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":[\"web\"]}", &ex),
                     TESSERA_ERR_AUDIENCE);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":[]}", &ex),
                     TESSERA_ERR_AUDIENCE);
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":{\"api\":1}}", &ex),
                     TESSERA_ERR_AUDIENCE);
    ex.audience = NULL;
    assert_int_equal(check(*state, "{\"exp\":1800000000,\"aud\":\"other\"}", &ex), TESSERA_OK);
}

/* An HS256 token whose header is exactly `header`, MACed with OpenSSL's HMAC(). */
static char *with_header(const char *header, const char *claims)
{
    char *h = malloc(tessera_b64url_encoded_len(strlen(header)) + 1);
    char *p = malloc(tessera_b64url_encoded_len(strlen(claims)) + 1);
    uint8_t mac[32];
    unsigned int mac_len;
    char sig[44], *t;
    size_t n;

    tessera_b64url_encode((const uint8_t *)header, strlen(header), h);
    tessera_b64url_encode((const uint8_t *)claims, strlen(claims), p);
    n = strlen(h) + strlen(p) + 46;
    t = malloc(n);
    snprintf(t, n, "%s.%s", h, p);
    assert_non_null(HMAC(EVP_sha256(), secret, sizeof secret, (const uint8_t *)t, strlen(t),
                         mac, &mac_len));
    tessera_b64url_encode(mac, mac_len, sig);
    snprintf(t, n, "%s.%s.%s", h, p, sig);
    free(h);
    free(p);
    return t;
}

static tessera_status check_typ(struct fixture *f, const char *header, int check_it)
{
    tessera_claims *c = NULL;
    tessera_expect ex = at(NOW, 0);
    char *t = with_header(header, "{\"exp\":1800000000}");
    tessera_status st;

    ex.check_typ = check_it;
    st = tessera_verify(f->ks, t, strlen(t), &ex, &c);
    tessera_claims_free(c);
    free(t);
    return st;
}

static void checks_the_token_type(void **state)
{
    static const char *const good[] = {
        "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}",
        "{\"alg\":\"HS256\",\"typ\":\"AT+JWT\"}",
        "{\"alg\":\"HS256\",\"typ\":\"application/at+jwt\"}",
        "{\"alg\":\"HS256\",\"typ\":\"Application/AT+JWT\"}",
    };
    static const char *const bad[] = {
        "{\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"typ\":\"at+jwt \"}",
        "{\"alg\":\"HS256\",\"typ\":\"at+jw\"}",
        "{\"alg\":\"HS256\",\"typ\":\"application/jwt\"}",
        "{\"alg\":\"HS256\",\"typ\":[\"at+jwt\"]}",
        "{\"alg\":\"HS256\",\"typ\":null}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(check_typ(*state, good[i], 1), TESSERA_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(check_typ(*state, bad[i], 1), TESSERA_ERR_TYPE);
        assert_int_equal(check_typ(*state, bad[i], 0), TESSERA_OK);   /* not asked */
    }
}

/* ---- the payload ---- */

static void payload_must_be_one_json_object(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "[{\"exp\":1800000000}]", "\"exp\"", "1800000000", "null", "",
        "{\"exp\":1800000000", "{\"exp\":1800000000} {}",
        "{\"exp\":1,\"exp\":1800000000}", "{\"sub\":\"a\",\"sub\":\"admin\",\"exp\":1800000000}",
    };
    tessera_expect ex = at(NOW, 0);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tessera_claims *c = (tessera_claims *)&c;
        char *t = with_header("{\"alg\":\"HS256\"}", bad[i]);
        assert_int_equal(tessera_verify(f->ks, t, strlen(t), &ex, &c), TESSERA_ERR_MALFORMED);
        assert_null(c);
        free(t);
    }
}

static void limits_claims_nesting(void **state)
{
    struct fixture *f = *state;
    tessera_expect ex = at(NOW, 0);
    char claims[256];
    int o;

    for (int depth = 16; depth <= 17; depth++) {
        o = snprintf(claims, sizeof claims, "{\"exp\":1800000000,\"x\":");
        for (int i = 1; i < depth; i++) {
            memcpy(claims + o, "{\"a\":", 5);
            o += 5;
        }
        claims[o++] = '1';
        for (int i = 0; i < depth; i++)
            claims[o++] = '}';
        claims[o] = '\0';
        tessera_claims *c = NULL;
        char *t = with_header("{\"alg\":\"HS256\"}", claims);
        assert_int_equal(tessera_verify(f->ks, t, strlen(t), &ex, &c),
                         depth == 16 ? TESSERA_OK : TESSERA_ERR_TOO_LARGE);
        tessera_claims_free(c);
        free(t);
    }
}

static void signature_errors_come_first(void **state)
{
    struct fixture *f = *state;
    tessera_expect ex = at(NOW, 0);
    tessera_claims *c = (tessera_claims *)&c;
    char *t = token(f, "at+jwt", "{\"exp\":1}");   /* expired, too */

    t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(tessera_verify(f->ks, t, strlen(t), &ex, &c), TESSERA_ERR_SIGNATURE);
    assert_null(c);
    free(t);
}

static void rejects_bad_arguments(void **state)
{
    struct fixture *f = *state;
    tessera_expect ex = at(NOW, -1);
    tessera_claims *c = (tessera_claims *)&c;
    char *t = token(f, "at+jwt", "{\"exp\":1800000000}");

    assert_int_equal(tessera_verify(f->ks, t, strlen(t), &ex, &c), TESSERA_ERR_INVALID_ARG);
    assert_null(c);
    ex.leeway = 0;
    assert_int_equal(tessera_verify(f->ks, t, strlen(t), &ex, NULL), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_verify(NULL, t, strlen(t), &ex, &c), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_verify(f->ks, NULL, 0, &ex, &c), TESSERA_ERR_INVALID_ARG);
    free(t);
}

/* ---- getters ---- */

static const char rich[] =
    "{\"iss\":\"https://auth.example.com\",\"sub\":\"user-1\",\"aud\":[\"api\",\"web\"],"
    "\"exp\":1800000000,\"iat\":1700000000,\"score\":1.5,\"big\":9007199254740993,"
    "\"scope\":\"openid  read:skills profile \",\"roles\":[\"admin\",7,\"user\"],"
    "\"email\":\"u@example.com\",\"n\":\"42\"}";

static tessera_claims *verified(struct fixture *f, const char *claims)
{
    tessera_expect ex = at(NOW, 0);
    tessera_claims *c = NULL;
    char *t = token(f, "at+jwt", claims);
    ex.issuer = "https://auth.example.com";
    ex.audience = "web";
    ex.check_typ = 1;
    assert_int_equal(tessera_verify(f->ks, t, strlen(t), &ex, &c), TESSERA_OK);
    free(t);
    return c;
}

static void string_and_integer_getters(void **state)
{
    tessera_claims *c = verified(*state, rich);
    int64_t v = -7;

    assert_string_equal(tessera_claims_string(c, "sub"), "user-1");
    assert_string_equal(tessera_claims_string(c, "email"), "u@example.com");
    assert_null(tessera_claims_string(c, "exp"));      /* not a string */
    assert_null(tessera_claims_string(c, "missing"));
    assert_null(tessera_claims_string(c, "aud"));      /* an array */

    assert_int_equal(tessera_claims_int(c, "exp", &v), 0);
    assert_int_equal(v, 1800000000);
    assert_int_equal(tessera_claims_int(c, "big", &v), 0);
    assert_int_equal(v, 9007199254740993LL);           /* beyond a double's precision */
    v = -7;
    assert_int_equal(tessera_claims_int(c, "score", &v), -1);   /* a real */
    assert_int_equal(tessera_claims_int(c, "n", &v), -1);       /* a string */
    assert_int_equal(tessera_claims_int(c, "missing", &v), -1);
    assert_int_equal(v, -7);
    tessera_claims_free(c);
}

static void array_getters(void **state)
{
    tessera_claims *c = verified(*state, rich);

    assert_int_equal(tessera_claims_array_len(c, "roles"), 3);
    assert_string_equal(tessera_claims_array_string(c, "roles", 0), "admin");
    assert_null(tessera_claims_array_string(c, "roles", 1));   /* 7 */
    assert_string_equal(tessera_claims_array_string(c, "roles", 2), "user");
    assert_null(tessera_claims_array_string(c, "roles", 3));
    assert_int_equal(tessera_claims_array_len(c, "sub"), 0);   /* not an array */
    assert_int_equal(tessera_claims_array_len(c, "missing"), 0);
    assert_null(tessera_claims_array_string(c, "sub", 0));
    assert_int_equal(tessera_claims_array_len(c, "aud"), 2);
    tessera_claims_free(c);
}

static void has_scope_matches_whole_words(void **state)
{
    tessera_claims *c = verified(*state, rich);

    assert_int_equal(tessera_claims_has_scope(c, "openid"), 1);
    assert_int_equal(tessera_claims_has_scope(c, "read:skills"), 1);
    assert_int_equal(tessera_claims_has_scope(c, "profile"), 1);
    assert_int_equal(tessera_claims_has_scope(c, "read"), 0);
    assert_int_equal(tessera_claims_has_scope(c, "skills"), 0);
    assert_int_equal(tessera_claims_has_scope(c, "open"), 0);
    assert_int_equal(tessera_claims_has_scope(c, "openid read:skills"), 0);
    assert_int_equal(tessera_claims_has_scope(c, ""), 0);
    assert_int_equal(tessera_claims_has_scope(c, " "), 0);
    assert_int_equal(tessera_claims_has_scope(c, NULL), 0);
    tessera_claims_free(c);

    c = verified(*state, "{\"exp\":1800000000,\"iss\":\"https://auth.example.com\","
                         "\"aud\":\"web\",\"scope\":[\"openid\"]}");
    assert_int_equal(tessera_claims_has_scope(c, "openid"), 0);   /* not a string */
    tessera_claims_free(c);
}

static void claims_json_is_the_payload(void **state)
{
    tessera_claims *c = verified(*state, "{\"exp\":1800000000,\"iss\":\"https://auth.example.com\","
                                         "\"aud\":\"web\",\"a\":[1,{\"b\":null}]}");
    char *s = tessera_claims_json(c);
    assert_string_equal(s, "{\"exp\":1800000000,\"iss\":\"https://auth.example.com\","
                           "\"aud\":\"web\",\"a\":[1,{\"b\":null}]}");
    free(s);
    tessera_claims_free(c);
}

/* tessera_claims_has_audience: aud as a string or an array, compared byte for byte. */
static void has_audience_matches_whole_values(void **state)
{
    tessera_claims *c = verified(*state, rich);            /* aud ["api","web"] */
    assert_int_equal(tessera_claims_has_audience(c, "api"), 1);
    assert_int_equal(tessera_claims_has_audience(c, "web"), 1);
    assert_int_equal(tessera_claims_has_audience(c, "ap"), 0);
    assert_int_equal(tessera_claims_has_audience(c, "API"), 0);
    assert_int_equal(tessera_claims_has_audience(c, ""), 0);
    assert_int_equal(tessera_claims_has_audience(c, NULL), 0);
    tessera_claims_free(c);
    c = verified(*state, "{\"iss\":\"https://auth.example.com\",\"aud\":\"web\","
                         "\"exp\":1800000000}");
    assert_int_equal(tessera_claims_has_audience(c, "web"), 1);
    assert_int_equal(tessera_claims_has_audience(c, "we"), 0);
    tessera_claims_free(c);
    assert_int_equal(tessera_claims_has_audience(NULL, "web"), 0);
}

static void getters_accept_null(void **state)
{
    int64_t v;
    assert_null(tessera_claims_string(NULL, "sub"));
    assert_int_equal(tessera_claims_int(NULL, "exp", &v), -1);
    assert_int_equal(tessera_claims_array_len(NULL, "roles"), 0);
    assert_null(tessera_claims_array_string(NULL, "roles", 0));
    assert_int_equal(tessera_claims_has_scope(NULL, "openid"), 0);
    assert_null(tessera_claims_json(NULL));
    tessera_claims_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exp_is_required_and_numeric, setup, teardown),
        cmocka_unit_test_setup_teardown(rejects_expired_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(rejects_tokens_not_yet_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(now_zero_means_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_the_issuer, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_the_audience, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_the_token_type, setup, teardown),
        cmocka_unit_test_setup_teardown(payload_must_be_one_json_object, setup, teardown),
        cmocka_unit_test_setup_teardown(limits_claims_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(signature_errors_come_first, setup, teardown),
        cmocka_unit_test_setup_teardown(rejects_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(string_and_integer_getters, setup, teardown),
        cmocka_unit_test_setup_teardown(array_getters, setup, teardown),
        cmocka_unit_test_setup_teardown(has_scope_matches_whole_words, setup, teardown),
        cmocka_unit_test_setup_teardown(claims_json_is_the_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(has_audience_matches_whole_values, setup,
                                        teardown),
        cmocka_unit_test(getters_accept_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
