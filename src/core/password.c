/* SPDX-License-Identifier: Apache-2.0 */
/* Argon2id hashing, verification, rehash detection and the equal-cost dummy check;
 * verification of imported bcrypt and PBKDF2 hashes (password.h lists the formats). */
#include "core/password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PBKDF2_MAX_ITERATIONS 10000000UL
#define BCRYPT_MIN_COST 4
#define BCRYPT_MAX_COST 16       /* 2^16 rounds: seconds a check; more is a DoS */
#define BCRYPT_LEN 60            /* "$2b$12$" + 22 salt + 31 checksum chars */
#define BCRYPT_SETTING_LEN 29    /* up to the end of the salt */
#define BCRYPT_KEY_MAX 72        /* bcrypt reads no further */
#define SALT_MAX 64              /* bytes; passlib and Django use 12 to 22 */
#define PBKDF2_DK_MIN 32         /* shortest PBKDF2 checksum read (SHA-256's size) */
#define ARGON2_MAX_MEMORY_KIB (4UL << 20)   /* the bounds of passwords.* in config.c */
#define ARGON2_MAX_ITERATIONS 100UL
#define ARGON2_MAX_LANES 16UL

static char dummy_hash[crypto_pwhash_STRBYTES];

static unsigned long long opslimit(const struct config *c)
{
    return (unsigned long long)c->argon2_iterations;
}

static size_t memlimit(const struct config *c)
{
    return (size_t)c->argon2_memory_kib * 1024;
}

ts_err password_init(const struct config *c)
{
    if (sodium_init() < 0)
        return TS_EINTERNAL;
    unsigned char junk[32];
    char pw[65];
    randombytes_buf(junk, sizeof junk);
    sodium_bin2hex(pw, sizeof pw, junk, sizeof junk);
    if (crypto_pwhash_str_alg(dummy_hash, pw, strlen(pw), opslimit(c), memlimit(c),
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return TS_ENOMEM;
    sodium_memzero(pw, sizeof pw);
    return TS_OK;
}

static ts_err hash_with_min(const struct config *c, const char *pw, size_t len,
                           size_t min, char out[STORE_HASH_LEN + 1])
{
    char buf[crypto_pwhash_STRBYTES];

    memset(out, 0, STORE_HASH_LEN + 1);
    if (len < min || len > PASSWORD_MAX_LEN)
        return TS_EINVAL;
    if (crypto_pwhash_str_alg(buf, pw, len, opslimit(c), memlimit(c),
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return TS_ENOMEM;
    if (strlen(buf) > STORE_HASH_LEN)
        return TS_EINTERNAL;
    memcpy(out, buf, strlen(buf) + 1);
    return TS_OK;
}

ts_err password_hash(const struct config *c, const char *pw, size_t len,
                     char out[STORE_HASH_LEN + 1])
{
    return hash_with_min(c, pw, len, (size_t)c->min_length, out);
}

ts_err password_rehash(const struct config *c, const char *pw, size_t len,
                       char out[STORE_HASH_LEN + 1])
{
    return hash_with_min(c, pw, len, 1, out);
}

/* --- reading stored hashes -------------------------------------------------------- */

enum kind { K_ARGON2ID = 1, K_BCRYPT, K_PBKDF2 };

struct parsed {
    enum kind kind;
    const char *name;              /* for audit details and the import report */
    /* PBKDF2 */
    const EVP_MD *md;
    unsigned long iterations;
    unsigned char salt[SALT_MAX];
    size_t salt_len;
    unsigned char dk[EVP_MAX_MD_SIZE];
    size_t dk_len;
    size_t checksum_at;            /* offset of the checksum in the string */
    int django;
};

/* A reason into why (may be NULL); returns 0 for "not a hash we read". */
static int say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* A decimal number without sign or leading zeros, 1..max, ending the field at *p
 * (which moves past it). */
static int take_number(const char **p, unsigned long max, unsigned long *out)
{
    const char *s = *p;
    unsigned long v = 0;
    if (*s < '1' || *s > '9')
        return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (max - (unsigned long)(*s - '0')) / 10)
            return 0;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *p = s;
    *out = v;
    return 1;
}

/* The field up to the next '$' (or the end); *p moves to that '$' or NUL. */
static size_t field(const char **p)
{
    const char *s = *p;
    while (**p && **p != '$')
        (*p)++;
    return (size_t)(*p - s);
}

/* Standard base64 (padding as `variant` says) of n chars into at most max bytes;
 * passlib's '.' stands for '+' when ab64 is set. The whole input must decode. */
static int b64_decode(const char *s, size_t n, int ab64, int variant, unsigned char *out,
                      size_t max, size_t *out_len)
{
    char buf[2 * (SALT_MAX + EVP_MAX_MD_SIZE) + 8];
    const char *end;
    if (n >= sizeof buf)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' && !ab64)
            return 0;
        buf[i] = s[i] == '.' ? '+' : s[i];
    }
    buf[n] = '\0';
    return sodium_base642bin(out, max, buf, n, NULL, out_len, &end, variant) == 0 &&
           end == buf + n;
}

static int parse_bcrypt(const char *h, struct parsed *p, char *why, size_t whylen)
{
    static const char alphabet[] =
        "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned long cost;
    const char *s = h + 4;
    if (strlen(h) != BCRYPT_LEN || h[6] != '$' || h[4] < '0' || h[4] > '9' ||
        h[5] < '0' || h[5] > '9')
        return say(why, whylen, "a bcrypt hash is $2b$, two digits of cost, '$' and 53 "
                                "characters (60 in all)");
    for (size_t i = 7; i < BCRYPT_LEN; i++)
        if (!h[i] || !strchr(alphabet, h[i]))
            return say(why, whylen, "the bcrypt hash has a character outside ./A-Za-z0-9");
    cost = (unsigned long)(s[0] - '0') * 10 + (unsigned long)(s[1] - '0');
    if (cost < BCRYPT_MIN_COST || cost > BCRYPT_MAX_COST)
        return say(why, whylen, "bcrypt cost %lu is outside %d..%d", cost, BCRYPT_MIN_COST,
                   BCRYPT_MAX_COST);
    p->kind = K_BCRYPT;
    p->name = "bcrypt";
    return 1;
}

/* passlib: $pbkdf2-sha256$ROUNDS$SALT$CHECKSUM (ab64); Django:
 * pbkdf2_sha256$ITERATIONS$SALT$HASH (SALT as text, HASH base64 with padding). */
static int parse_pbkdf2(const char *h, const char *rest, struct parsed *p, char *why,
                        size_t whylen)
{
    const char *s = rest, *salt, *sum;
    size_t salt_n, sum_n, md_len = (size_t)EVP_MD_get_size(p->md);

    if (!take_number(&s, PBKDF2_MAX_ITERATIONS, &p->iterations) || *s != '$')
        return say(why, whylen, "the PBKDF2 iteration count must be 1 to %lu",
                   PBKDF2_MAX_ITERATIONS);
    s++;
    salt = s;
    salt_n = field(&s);
    if (*s != '$')
        return say(why, whylen, "a PBKDF2 hash has four '$'-separated fields");
    s++;
    sum = s;
    sum_n = field(&s);
    if (*s)
        return say(why, whylen, "a PBKDF2 hash has four '$'-separated fields");
    if (p->django) {
        if (salt_n < 1 || salt_n > SALT_MAX)
            return say(why, whylen, "the PBKDF2 salt must be 1 to %d characters", SALT_MAX);
        for (size_t i = 0; i < salt_n; i++)
            if ((unsigned char)salt[i] <= 0x20 || (unsigned char)salt[i] >= 0x7f)
                return say(why, whylen, "the PBKDF2 salt has a character outside "
                                        "printable ASCII");
        memcpy(p->salt, salt, salt_n);
        p->salt_len = salt_n;
    } else if (!b64_decode(salt, salt_n, 1, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                           p->salt, sizeof p->salt, &p->salt_len)) {
        return say(why, whylen, "the PBKDF2 salt is not base64 (passlib's ./A-Za-z0-9, "
                                "at most %d bytes)", SALT_MAX);
    }
    if (!b64_decode(sum, sum_n, !p->django,
                    p->django ? sodium_base64_VARIANT_ORIGINAL
                              : sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                    p->dk, md_len, &p->dk_len) ||
        p->dk_len < PBKDF2_DK_MIN || (p->django && p->dk_len != md_len))
        return say(why, whylen, "the PBKDF2 checksum is not %s base64 of %zu bytes",
                   p->django ? "padded" : "unpadded", md_len);
    p->checksum_at = (size_t)(sum - h);
    p->kind = K_PBKDF2;
    return 1;
}

/* $argon2id$v=19$m=M,t=T,p=P$SALT$HASH, what libsodium writes; the bounds keep an
 * imported hash from asking for more memory or time than the config could. */
static int parse_argon2id(const char *h, struct parsed *p, char *why, size_t whylen)
{
    const char *s = h + strlen("$argon2id$"), *f;
    unsigned long m, t, lanes;
    unsigned char buf[128];
    size_t n, len;

    if (strncmp(s, "v=19$m=", 7) != 0)
        return say(why, whylen, "an Argon2id hash starts $argon2id$v=19$m=");
    s += 7;
    if (!take_number(&s, ARGON2_MAX_MEMORY_KIB, &m) || strncmp(s, ",t=", 3) != 0 ||
        (s += 3, !take_number(&s, ARGON2_MAX_ITERATIONS, &t)) || strncmp(s, ",p=", 3) != 0 ||
        (s += 3, !take_number(&s, ARGON2_MAX_LANES, &lanes)) || *s != '$')
        return say(why, whylen, "the Argon2id parameters must be m=8..%lu,t=1..%lu,p=1..%lu",
                   ARGON2_MAX_MEMORY_KIB, ARGON2_MAX_ITERATIONS, ARGON2_MAX_LANES);
    if (m < 8 * lanes)
        return say(why, whylen, "the Argon2id memory is below 8 KiB a lane");
    for (int i = 0; i < 2; i++) {           /* the salt, then the hash */
        f = ++s;
        n = field(&s);
        if (*s != (i ? '\0' : '$') ||
            !b64_decode(f, n, 0, sodium_base64_VARIANT_ORIGINAL_NO_PADDING, buf,
                        sizeof buf, &len) || len < (i ? 16u : 8u))
            return say(why, whylen, "the Argon2id %s is not unpadded base64 of at least "
                                    "%d bytes", i ? "hash" : "salt", i ? 16 : 8);
    }
    p->kind = K_ARGON2ID;
    p->name = "argon2id";
    return 1;
}

/* Recognises a hash of a format we read, with parameters in bounds. */
static int parse(const char *h, struct parsed *p, char *why, size_t whylen)
{
    memset(p, 0, sizeof *p);
    if (!strncmp(h, "$argon2id$", 10))
        return parse_argon2id(h, p, why, whylen);
    if (!strncmp(h, "$2a$", 4) || !strncmp(h, "$2b$", 4) || !strncmp(h, "$2y$", 4))
        return parse_bcrypt(h, p, why, whylen);
    if (!strncmp(h, "$pbkdf2-sha256$", 15) || !strncmp(h, "$pbkdf2-sha512$", 15)) {
        int sha512 = !strncmp(h, "$pbkdf2-sha512$", 15);
        p->md = sha512 ? EVP_sha512() : EVP_sha256();
        p->name = sha512 ? "pbkdf2-sha512" : "pbkdf2-sha256";
        return parse_pbkdf2(h, h + 15, p, why, whylen);
    }
    if (!strncmp(h, "pbkdf2_sha256$", 14)) {
        p->md = EVP_sha256();
        p->name = "django-pbkdf2-sha256";
        p->django = 1;
        return parse_pbkdf2(h, h + 14, p, why, whylen);
    }
    return say(why, whylen, "unknown password hash format (tessera reads Argon2id, bcrypt "
                            "$2a$/$2b$/$2y$, and PBKDF2-SHA256/512 in passlib's or "
                            "Django's format)");
}

/* One crypt_r run with `setting` (the hash's first 29 characters); 1 when its
 * checksum equals the hash's, compared in constant time. */
static int bcrypt_run(const char *key, const char *setting, const char *hash,
                      struct crypt_data *cd)
{
    const char *r = crypt_r(key, setting, cd);
    return r && strlen(r) == BCRYPT_LEN &&
           CRYPTO_memcmp(r + BCRYPT_SETTING_LEN, hash + BCRYPT_SETTING_LEN,
                         BCRYPT_LEN - BCRYPT_SETTING_LEN) == 0;
}

static int bcrypt_ok(const char *hash, const char *pw, size_t len)
{
    char key[BCRYPT_KEY_MAX + 1], setting[BCRYPT_SETTING_LEN + 1];
    size_t n = len < BCRYPT_KEY_MAX ? len : BCRYPT_KEY_MAX;
    int ok = 0, high = 0;

    /* crypt_r reads a C string: a NUL inside the counted bytes would cut the password
     * short, so such a password cannot match. */
    if (memchr(pw, '\0', n))
        return 0;
    struct crypt_data *cd = calloc(1, sizeof *cd);       /* 32 KiB: not on the stack */
    if (!cd)
        return 0;
    memcpy(key, pw, n);
    key[n] = '\0';
    for (size_t i = 0; i < n; i++)
        high |= (unsigned char)key[i] >= 0x80;
    memcpy(setting, hash, BCRYPT_SETTING_LEN);
    setting[BCRYPT_SETTING_LEN] = '\0';
    /* $2a$ means the correct algorithm everywhere but in crypt_blowfish (libxcrypt,
     * PHP), whose $2a$ alters the result of some passwords with 8-bit bytes. Read $2a$
     * as $2b$ (OpenBSD, jBCrypt, Python bcrypt, Node), then, for such passwords only,
     * as crypt_blowfish's $2a$. */
    if (setting[2] == 'a') {
        setting[2] = 'b';
        ok = bcrypt_run(key, setting, hash, cd);
        setting[2] = 'a';
        if (!ok && high)
            ok = bcrypt_run(key, setting, hash, cd);
    } else {
        ok = bcrypt_run(key, setting, hash, cd);
    }
    sodium_memzero(cd, sizeof *cd);
    sodium_memzero(key, sizeof key);
    free(cd);
    return ok;
}

static int pbkdf2_ok(const struct parsed *p, const char *pw, size_t len)
{
    unsigned char dk[EVP_MAX_MD_SIZE];
    int ok = PKCS5_PBKDF2_HMAC(pw, (int)len, p->salt, (int)p->salt_len,
                               (int)p->iterations, p->md, (int)p->dk_len, dk) == 1 &&
             CRYPTO_memcmp(dk, p->dk, p->dk_len) == 0;
    OPENSSL_cleanse(dk, sizeof dk);
    return ok;
}

enum pw_result password_verify(const struct config *c, const char *hash,
                               const char *pw, size_t len)
{
    struct parsed p;
    enum pw_result r = PW_BAD;

    if (len > PASSWORD_MAX_LEN)
        return PW_BAD;
    if (!parse(hash, &p, NULL, 0)) {
        password_burn(c, pw, len);
        return PW_BAD;
    }
    switch (p.kind) {
    case K_ARGON2ID:
        if (crypto_pwhash_str_verify(hash, pw, len) != 0)
            break;
        r = crypto_pwhash_str_needs_rehash(hash, opslimit(c), memlimit(c)) == 0
                ? PW_OK : PW_OK_REHASH;
        break;
    case K_BCRYPT:
        r = bcrypt_ok(hash, pw, len) ? PW_OK_REHASH : PW_BAD;
        break;
    case K_PBKDF2:
        r = pbkdf2_ok(&p, pw, len) ? PW_OK_REHASH : PW_BAD;
        break;
    }
    sodium_memzero(&p, sizeof p);
    return r;
}

ts_err password_import(const char *hash, char out[STORE_HASH_LEN + 1],
                       const char **format, char *why, size_t whylen)
{
    struct parsed p;
    size_t n = strlen(hash);
    ts_err err = TS_EINVAL;

    memset(out, 0, STORE_HASH_LEN + 1);
    if (format)
        *format = NULL;
    if (!n) {
        say(why, whylen, "the password hash is empty");
        return TS_EINVAL;
    }
    if (!parse(hash, &p, why, whylen))
        goto out;
    if (n <= STORE_HASH_LEN) {
        memcpy(out, hash, n + 1);
    } else if (p.kind == K_PBKDF2 && !p.django && p.dk_len > PBKDF2_DK_MIN &&
               p.checksum_at + sodium_base64_ENCODED_LEN(
                   PBKDF2_DK_MIN, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) - 1 <=
                   STORE_HASH_LEN) {
        /* the same string with the checksum's first 32 bytes, in ab64 */
        memcpy(out, hash, p.checksum_at);
        sodium_bin2base64(out + p.checksum_at, STORE_HASH_LEN + 1 - p.checksum_at, p.dk,
                          PBKDF2_DK_MIN, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
        for (char *q = out + p.checksum_at; *q; q++)
            if (*q == '+')
                *q = '.';
    } else {
        say(why, whylen, "the password hash is longer than the %d characters tessera "
                         "stores", STORE_HASH_LEN);
        goto out;
    }
    if (format)
        *format = p.name;
    err = TS_OK;
out:
    sodium_memzero(&p, sizeof p);
    return err;
}

void password_burn(const struct config *c, const char *pw, size_t len)
{
    (void)c;
    if (dummy_hash[0] &&
        crypto_pwhash_str_verify(dummy_hash, pw, len > PASSWORD_MAX_LEN ? 0 : len) == 0)
        return;                 /* cannot match: the dummy password is random */
}
