/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/password.c: Argon2id PHC hashes, verification, rehash detection; imported
 * bcrypt and PBKDF2 hashes (known vectors), their bounds and password_import(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
        "$argon2i$v=19$m=8192,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
        "$argon2id$v=19$m=8192,t=1,p=1$garbage",               /* truncated */
        "$argon2id$",
        "$pbkdf2-sha256$29000$N2bs/V9LSQnB2BtDiHGOcQ$XtVUzIvm6dKVcaxx0ZdHCYJpsxcy7",
        "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e",  /* buggy 2x */
        "$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0",                   /* md5crypt */
        ("$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq."
         "qc.eoxqOmSuNp2xS0ktL3nh/"),                          /* sha512crypt */
        "pbkdf2_sha1$10000$seasalt$91JiNKgwADC8j2j86Ije/cc4vfQ=",  /* Django SHA-1 */
        "{SSHA}DkMTwBl+a/3DQTxCYEApdUtNXGgdUac3",               /* LDAP */
    };
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
        if (password_verify(&f->fast, hashes[i], PW, strlen(PW)) != PW_BAD)
            fail_msg("hash \"%s\" was accepted", hashes[i]);
}

/* --- imported hashes ------------------------------------------------------------ */

struct vec {
    const char *hash;
    const char *pw;
    size_t len;              /* 0: strlen(pw) */
};

static void expect(const struct config *c, const char *hash, const char *pw, size_t len,
                   enum pw_result want)
{
    enum pw_result got = password_verify(c, hash, pw, len);
    if (got != want)
        fail_msg("verify(\"%s\", %zu-byte password): %d, expected %d", hash, len, got,
                 want);
}

/* Right password: PW_OK_REHASH; the password one byte shorter, one byte longer or with
 * its last byte changed: PW_BAD. */
static void check_vectors(const struct config *c, const struct vec *v, size_t n)
{
    char buf[128];
    for (size_t i = 0; i < n; i++) {
        size_t len = v[i].len ? v[i].len : strlen(v[i].pw);
        assert_true(len + 2 < sizeof buf);
        expect(c, v[i].hash, v[i].pw, len, PW_OK_REHASH);
        memcpy(buf, v[i].pw, len);
        buf[len] = 'x';
        if (len < 72)                   /* bcrypt reads 72 bytes, no more */
            expect(c, v[i].hash, buf, len + 1, PW_BAD);
        if (len) {
            expect(c, v[i].hash, buf, len - 1, PW_BAD);
            buf[len - 1] ^= 0x01;
            expect(c, v[i].hash, buf, len, PW_BAD);
        }
        expect(c, v[i].hash, "wrong password", 14, PW_BAD);
    }
}

/* crypt_blowfish's and OpenBSD's published vectors, and $2b$/$2y$ made by libxcrypt. */
static void bcrypt_vectors(void **state)
{
    struct fx *f = *state;
    static const struct vec v[] = {
        { "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", 0 },
        { "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "U*U*", 0 },
        { "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", "U*U*U", 0 },
        { "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3", 0 },
        { "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3", 0 },
        { "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xff\xff\xa3", 0 },
        { "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xff\xff\xa3", 0 },
        /* $2a$ of a password that trips the old sign-extension bug: OpenBSD's (the
         * correct algorithm) and crypt_blowfish's countermeasure both verify */
        { "$2a$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xff\xff\xa3", 0 },
        { "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nqd1wy.pTMdcvrRWxyiGL2eMz.2a85.", "\xff\xff\xa3", 0 },
        { "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", "correct horse", 0 },
        { "$2y$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", "correct horse", 0 },
        { "$2a$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", "correct horse", 0 },
        { "$2b$04$abcdefghijklmnopqrstuu0HxGDtVC3Nohtl254dmarffQ/NoMJ8G",
          "p\xc3\xa4ssw\xc3\xb6rd-\xc3\xbcmlaut", 0 },                  /* UTF-8 */
    };
    check_vectors(&f->fast, v, sizeof v / sizeof v[0]);
    /* the hash of another password with the same salt */
    expect(&f->fast, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U*",
           4, PW_BAD);
    /* the checksum's last character changed */
    expect(&f->fast, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeX", "U*U",
           3, PW_BAD);
    /* the empty password has a hash too (login refuses it before verifying) */
    expect(&f->fast, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", "", 0,
           PW_OK_REHASH);
}

static void bcrypt_reads_72_bytes_and_no_nul(void **state)
{
    struct fx *f = *state;
    static const char h[] = "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui";
    static const char pw[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "0123456789chars after 72 are ignored";
    expect(&f->fast, h, pw, strlen(pw), PW_OK_REHASH);
    expect(&f->fast, h, pw, 72, PW_OK_REHASH);
    expect(&f->fast, h, pw, 71, PW_BAD);
    /* a long password (past libxcrypt's 512-byte limit) still reads its first 72 */
    char *big = malloc(PASSWORD_MAX_LEN);
    assert_non_null(big);
    memset(big, 'z', PASSWORD_MAX_LEN);
    memcpy(big, pw, 72);
    expect(&f->fast, h, big, PASSWORD_MAX_LEN, PW_OK_REHASH);
    expect(&f->fast, h, big, PASSWORD_MAX_LEN + 1, PW_BAD);
    free(big);
    /* "U*U" then a NUL: crypt_r would stop at the NUL, so it must not match "U*U" */
    expect(&f->fast, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
           "U*U\0zz", 6, PW_BAD);
}

static void pbkdf2_vectors(void **state)
{
    struct fx *f = *state;
    static const struct vec v[] = {
        /* passlib's documentation */
        { "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M",
          "password", 0 },
        /* made with hashlib.pbkdf2_hmac, salt 2f4b1ae09c7d3e58a6f10b94c25d8e37 */
        { "$pbkdf2-sha256$29000$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
          PW, 0 },
        /* a salt whose ab64 holds '.' (base64's '+') */
        { "$pbkdf2-sha256$1000$eb6av.1ZIPyndK1vERFC9Q$jNWbVFEYcCufwu7JGPHCuhUMfEjILHFabcxQ3tLSa04",
          "dot salt password", 0 },
        /* SHA-512: whole (130 characters) and its first 32 bytes, as stored */
        { "$pbkdf2-sha512$25000$L0sa4Jx9Plim8QuUwl2ONw$JKplwOrxGLHvAOnK8ZZxCFIaTad6wzUUdX54"
          "Cf35yuIm.gYWkiN.5JKlPeYjnq28.mzziyZQC2cL8MbknvF5mw", PW, 0 },
        { "$pbkdf2-sha512$25000$L0sa4Jx9Plim8QuUwl2ONw$JKplwOrxGLHvAOnK8ZZxCFIaTad6wzUUdX54"
          "Cf35yuI", PW, 0 },
        /* Django's test suite (1.4): make_password("lètmein", "seasalt", "pbkdf2_sha256") */
        { "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
          "l\xc3\xa8tmein", 0 },
        { "pbkdf2_sha256$20000$Zm9vYmFyYmF6cXV4$q/lf2JVEk25W5zMrwzZwRntDjpNolmpJpW9kL9eN4Uw=",
          PW, 0 },
    };
    check_vectors(&f->fast, v, sizeof v / sizeof v[0]);
    /* PBKDF2 counts every byte: a NUL inside is part of the password (a NUL at the
     * end is not: HMAC pads its key with zeros, in every PBKDF2) */
    expect(&f->fast, v[1].hash, "correct horse\0battery staple", strlen(PW) + 1, PW_BAD);
    expect(&f->fast, v[1].hash, "correct horse\0attery staple", strlen(PW), PW_BAD);
}

/* Malformed or out-of-bounds hashes: PW_BAD from verify, TS_EINVAL from import, whose
 * reason never quotes the hash; and quickly (no 2^31 bcrypt rounds). */
static void malformed_and_absurd_hashes_are_rejected_quickly(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = {
        /* bcrypt */
        "$2b$17$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",   /* cost 17 */
        "$2b$31$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2b$99$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2b$03$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",   /* cost 3 */
        "$2b$4$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6ee",
        "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6",    /* short */
        "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6eA",  /* long */
        "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6+",   /* alphabet */
        "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6 ",
        "$2b$04abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6ee",
        "$2c$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6ee",
        /* PBKDF2 */
        "$pbkdf2-sha256$10000001$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
        "$pbkdf2-sha256$99999999999999999999999$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
        "$pbkdf2-sha256$0$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
        "$pbkdf2-sha256$-1$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
        "$pbkdf2-sha256$029000$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
        "$pbkdf2-sha256$$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
        "$pbkdf2-sha256$29000$L0sa4Jx9Plim8QuUwl2ONw",
        "$pbkdf2-sha256$29000$L0sa4Jx9Plim8QuUwl2ONw$",
        "$pbkdf2-sha256$29000$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY$",
        "$pbkdf2-sha256$29000$L0sa4Jx9Plim8QuUwl2O!w$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
        "$pbkdf2-sha256$29000$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5gh",
        "$pbkdf2-sha256$29000$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY=",
        /* a SHA-512 checksum under a SHA-256 name */
        "$pbkdf2-sha256$25000$L0sa4Jx9Plim8QuUwl2ONw$JKplwOrxGLHvAOnK8ZZxCFIaTad6wzUUdX54Cf35yuIm.gYWkiN.5JKlPeYjnq28.mzziyZQC2cL8MbknvF5mw",
        "$pbkdf2-sha1$29000$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
        "pbkdf2_sha256$10000001$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
        "pbkdf2_sha256$10000$$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
        "pbkdf2_sha256$10000$sea salt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
        "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY",  /* unpadded */
        "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=$",
        "pbkdf2_sha512$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
        /* Argon2id out of bounds */
        "$argon2id$v=19$m=4194305,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCs",
        "$argon2id$v=19$m=8192,t=101,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCs",
        "$argon2id$v=19$m=8192,t=1,p=17$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCs",
        "$argon2id$v=16$m=8192,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCs",
        "$argon2id$v=19$m=8192,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub",
    };
    char out[STORE_HASH_LEN + 1], why[256];
    const char *fmt;
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (password_verify(&f->fast, bad[i], PW, strlen(PW)) != PW_BAD)
            fail_msg("verify accepted \"%s\"", bad[i]);
        why[0] = '\0';
        fmt = "x";
        memset(out, 'X', sizeof out);
        if (password_import(bad[i], out, &fmt, why, sizeof why) != TS_EINVAL)
            fail_msg("import accepted \"%s\"", bad[i]);
        assert_string_equal(out, "");
        assert_null(fmt);
        assert_true(why[0] != '\0');
        /* the reason names no part of the hash past its format prefix */
        const char *body = strrchr(bad[i], '$');
        if (body && strlen(body) > 8 && strstr(why, body + 1))
            fail_msg("reason \"%s\" quotes the hash", why);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (s > 5.0)
        fail_msg("%zu bad hashes took %.2f s", sizeof bad / sizeof bad[0], s);
}

static void import_accepts_each_format(void **state)
{
    struct fx *f = *state;
    char out[STORE_HASH_LEN + 1], why[256], argon[STORE_HASH_LEN + 1];
    const char *fmt;
    static const struct {
        const char *hash, *format;
    } ok[] = {
        { "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "bcrypt" },
        { "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", "bcrypt" },
        { "$2y$16$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", "bcrypt" },
        { "$pbkdf2-sha256$29000$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
          "pbkdf2-sha256" },
        { "$pbkdf2-sha256$10000000$L0sa4Jx9Plim8QuUwl2ONw$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY",
          "pbkdf2-sha256" },
        { "$pbkdf2-sha256$1$$S/Xyl.tHuLhzNDvtjTLoOW2ZJfRErGnvm3hfY4l5ghY", "pbkdf2-sha256" },
        { "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
          "django-pbkdf2-sha256" },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (password_import(ok[i].hash, out, &fmt, why, sizeof why) != TS_OK)
            fail_msg("import refused \"%s\": %s", ok[i].hash, why);
        assert_string_equal(out, ok[i].hash);               /* stored as given */
        assert_string_equal(fmt, ok[i].format);
    }

    /* passlib's pbkdf2-sha512 (130 characters) is stored with its first 32 bytes */
    static const char long512[] =
        "$pbkdf2-sha512$25000$L0sa4Jx9Plim8QuUwl2ONw$JKplwOrxGLHvAOnK8ZZxCFIaTad6wzUUdX54"
        "Cf35yuIm.gYWkiN.5JKlPeYjnq28.mzziyZQC2cL8MbknvF5mw";
    assert_true(strlen(long512) > STORE_HASH_LEN);
    assert_int_equal(password_import(long512, out, &fmt, why, sizeof why), TS_OK);
    assert_string_equal(fmt, "pbkdf2-sha512");
    assert_string_equal(out, "$pbkdf2-sha512$25000$L0sa4Jx9Plim8QuUwl2ONw$JKplwOrxGLHvAOn"
                             "K8ZZxCFIaTad6wzUUdX54Cf35yuI");
    expect(&f->fast, out, PW, strlen(PW), PW_OK_REHASH);
    expect(&f->fast, out, "wrong password", 14, PW_BAD);

    /* our own Argon2id, verbatim; a Django hash with a 64-character salt is too long */
    hash_ok(&f->fast, PW, argon);
    assert_int_equal(password_import(argon, out, &fmt, why, sizeof why), TS_OK);
    assert_string_equal(out, argon);
    assert_string_equal(fmt, "argon2id");
    char django[256];
    snprintf(django, sizeof django, "pbkdf2_sha256$10000$%.64s$%s",
             "0123456789012345678901234567890123456789012345678901234567890123456789",
             "CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=");
    assert_true(strlen(django) > STORE_HASH_LEN);
    assert_int_equal(password_import(django, out, &fmt, why, sizeof why), TS_EINVAL);
    assert_non_null(strstr(why, "longer"));
    assert_int_equal(password_import("", out, NULL, why, sizeof why), TS_EINVAL);
    assert_int_equal(password_import(PW, out, NULL, why, sizeof why), TS_EINVAL);
    assert_non_null(strstr(why, "unknown password hash format"));
    assert_null(strstr(why, PW));
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
        cmocka_unit_test(bcrypt_vectors),
        cmocka_unit_test(bcrypt_reads_72_bytes_and_no_nul),
        cmocka_unit_test(pbkdf2_vectors),
        cmocka_unit_test(malformed_and_absurd_hashes_are_rejected_quickly),
        cmocka_unit_test(import_accepts_each_format),
        cmocka_unit_test(tampered_hash_is_bad),
        cmocka_unit_test(burn_does_not_crash),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
