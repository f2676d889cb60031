/* src/core/password.c: Argon2id PHC hashes, verification, rehash detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/password.h"
#include "store/store.h"

#define PW "correct horse battery staple"
#define PHC_DEFAULTS "$argon2id$v=19$m=19456,t=2,p=1$"
#define PHC_FAST "$argon2id$v=19$m=8192,t=1,p=1$"

/* Fast parameters for most tests; `defaults` for the ones about the defaults. */
struct fx {
    struct config fast;
    struct config defaults;
};

static int group_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char err[256];
    if (!f)
        return -1;
    config_defaults(&f->defaults);
    config_defaults(&f->fast);
    if (config_set(&f->fast, "passwords.argon2_memory_kib=8192", err, sizeof err) ||
        config_set(&f->fast, "passwords.argon2_iterations=1", err, sizeof err) ||
        password_init(&f->fast) != TS_OK) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    free(*state);
    return 0;
}

static void hash_ok(const struct config *c, const char *pw, char out[STORE_HASH_LEN + 1])
{
    ts_err e = password_hash(c, pw, strlen(pw), out);
    if (e != TS_OK)
        fail_msg("password_hash(\"%s\"): %s", pw, ts_err_name(e));
}

static void hash_then_verify_ok(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    hash_ok(&f->fast, PW, h);
    assert_int_equal(password_verify(&f->fast, h, PW, strlen(PW)), PW_OK);
}

static void wrong_password_is_bad(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    static const char *const wrong[] = {
        "correct horse battery stapl", "correct horse battery staple ",
        "Correct horse battery staple", "correct horse battery stable", "",
    };
    hash_ok(&f->fast, PW, h);
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        if (password_verify(&f->fast, h, wrong[i], strlen(wrong[i])) != PW_BAD)
            fail_msg("\"%s\" was accepted for \"%s\"", wrong[i], PW);
}

static void password_length_counts_not_the_first_nul(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    static const char pw[] = "secret\0suffix!";        /* 14 bytes */
    assert_int_equal(password_hash(&f->fast, pw, sizeof pw - 1, h), TS_OK);
    assert_int_equal(password_verify(&f->fast, h, pw, sizeof pw - 1), PW_OK);
    assert_int_equal(password_verify(&f->fast, h, "secret", 6), PW_BAD);
}

static void too_short_is_invalid(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    memset(h, 'X', sizeof h);
    assert_int_equal(password_hash(&f->fast, "1234567", 7, h), TS_EINVAL);
    assert_string_equal(h, "");                    /* nothing usable left in out */
    assert_int_equal(password_hash(&f->fast, "", 0, h), TS_EINVAL);
    assert_int_equal(password_hash(&f->fast, "12345678", 8, h), TS_OK);  /* min_length 8 */
}

static void min_length_follows_the_config(void **state)
{
    struct fx *f = *state;
    struct config c = f->fast;
    char h[STORE_HASH_LEN + 1], err[256];
    assert_int_equal(config_set(&c, "passwords.min_length=12", err, sizeof err), 0);
    assert_int_equal(password_hash(&c, "12345678901", 11, h), TS_EINVAL);
    assert_int_equal(password_hash(&c, "123456789012", 12, h), TS_OK);
}

static void too_long_is_invalid(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    char *pw = malloc(PASSWORD_MAX_LEN + 2);
    assert_non_null(pw);
    memset(pw, 'p', PASSWORD_MAX_LEN + 1);
    pw[PASSWORD_MAX_LEN + 1] = '\0';
    assert_int_equal(password_hash(&f->fast, pw, PASSWORD_MAX_LEN + 1, h), TS_EINVAL);
    assert_int_equal(password_hash(&f->fast, pw, PASSWORD_MAX_LEN, h), TS_OK);
    assert_int_equal(password_verify(&f->fast, h, pw, PASSWORD_MAX_LEN), PW_OK);
    assert_int_equal(password_verify(&f->fast, h, pw, PASSWORD_MAX_LEN + 1), PW_BAD);
    free(pw);
}

static void defaults_make_owasp_phc_strings(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    hash_ok(&f->defaults, PW, h);
    if (strncmp(h, PHC_DEFAULTS, strlen(PHC_DEFAULTS)) != 0)
        fail_msg("\"%s\" does not start with \"%s\"", h, PHC_DEFAULTS);
    assert_true(strlen(h) <= STORE_HASH_LEN);
    assert_int_equal(password_verify(&f->defaults, h, PW, strlen(PW)), PW_OK);
    assert_int_equal(password_verify(&f->defaults, h, "wrong password", 14), PW_BAD);
}

static void configured_parameters_are_used(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    hash_ok(&f->fast, PW, h);
    if (strncmp(h, PHC_FAST, strlen(PHC_FAST)) != 0)
        fail_msg("\"%s\" does not start with \"%s\"", h, PHC_FAST);
}

static void hashes_are_salted(void **state)
{
    struct fx *f = *state;
    char a[STORE_HASH_LEN + 1], b[STORE_HASH_LEN + 1];
    hash_ok(&f->fast, PW, a);
    hash_ok(&f->fast, PW, b);
    assert_string_not_equal(a, b);
    assert_int_equal(password_verify(&f->fast, a, PW, strlen(PW)), PW_OK);
    assert_int_equal(password_verify(&f->fast, b, PW, strlen(PW)), PW_OK);
}

static void other_parameters_ask_for_a_rehash(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    hash_ok(&f->fast, PW, h);                     /* m=8192, t=1 */
    assert_int_equal(password_verify(&f->defaults, h, PW, strlen(PW)), PW_OK_REHASH);
    assert_int_equal(password_verify(&f->defaults, h, "wrong password", 14), PW_BAD);

    /* only the iteration count differs */
    struct config t2 = f->fast;
    t2.argon2_iterations = 2;
    assert_int_equal(password_verify(&t2, h, PW, strlen(PW)), PW_OK_REHASH);
    assert_int_equal(password_verify(&f->fast, h, PW, strlen(PW)), PW_OK);
}

static void other_hash_formats_are_bad(void **state)
{
    struct fx *f = *state;
    static const char *const hashes[] = {
        "",
        PW,                                                    /* plaintext */
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2i$v=19$m=8192,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
        "$pbkdf2-sha256$29000$N2bs/V9LSQnB2BtDiHGOcQ$XtVUzIvm6dKVcaxx0ZdHCYJpsxcy7",
        "$argon2id$v=19$m=8192,t=1,p=1$garbage",               /* truncated */
        "$argon2id$",
    };
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
        if (password_verify(&f->fast, hashes[i], PW, strlen(PW)) != PW_BAD)
            fail_msg("hash \"%s\" was accepted", hashes[i]);
}

static void tampered_hash_is_bad(void **state)
{
    struct fx *f = *state;
    char h[STORE_HASH_LEN + 1];
    hash_ok(&f->fast, PW, h);
    size_t n = strlen(h);
    h[n - 2] = h[n - 2] == 'A' ? 'B' : 'A';       /* a bit of the digest */
    assert_int_equal(password_verify(&f->fast, h, PW, strlen(PW)), PW_BAD);
}

static void burn_does_not_crash(void **state)
{
    struct fx *f = *state;
    char *big = malloc(4096);
    assert_non_null(big);
    memset(big, 'b', 4096);
    password_burn(&f->fast, PW, strlen(PW));
    password_burn(&f->fast, "", 0);
    password_burn(&f->fast, big, 4096);
    password_burn(&f->defaults, PW, strlen(PW));
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_then_verify_ok),
        cmocka_unit_test(wrong_password_is_bad),
        cmocka_unit_test(password_length_counts_not_the_first_nul),
        cmocka_unit_test(too_short_is_invalid),
        cmocka_unit_test(min_length_follows_the_config),
        cmocka_unit_test(too_long_is_invalid),
        cmocka_unit_test(defaults_make_owasp_phc_strings),
        cmocka_unit_test(configured_parameters_are_used),
        cmocka_unit_test(hashes_are_salted),
        cmocka_unit_test(other_parameters_ask_for_a_rehash),
        cmocka_unit_test(other_hash_formats_are_bad),
        cmocka_unit_test(tampered_hash_is_bad),
        cmocka_unit_test(burn_does_not_crash),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
