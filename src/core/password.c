/* Argon2id hashing, verification, rehash detection and the equal-cost dummy check. */
#include "core/password.h"

#include <sodium.h>
#include <string.h>

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

ts_err password_hash(const struct config *c, const char *pw, size_t len,
                     char out[STORE_HASH_LEN + 1])
{
    char buf[crypto_pwhash_STRBYTES];

    memset(out, 0, STORE_HASH_LEN + 1);
    if (len < (size_t)c->min_length || len > PASSWORD_MAX_LEN)
        return TS_EINVAL;
    if (crypto_pwhash_str_alg(buf, pw, len, opslimit(c), memlimit(c),
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return TS_ENOMEM;
    if (strlen(buf) > STORE_HASH_LEN)
        return TS_EINTERNAL;
    memcpy(out, buf, strlen(buf) + 1);
    return TS_OK;
}

enum pw_result password_verify(const struct config *c, const char *hash,
                               const char *pw, size_t len)
{
    if (len > PASSWORD_MAX_LEN)
        return PW_BAD;
    if (strncmp(hash, "$argon2id$", 10) != 0) {
        password_burn(c, pw, len);
        return PW_BAD;
    }
    if (crypto_pwhash_str_verify(hash, pw, len) != 0)
        return PW_BAD;
    return crypto_pwhash_str_needs_rehash(hash, opslimit(c), memlimit(c)) == 0
               ? PW_OK : PW_OK_REHASH;
}

void password_burn(const struct config *c, const char *pw, size_t len)
{
    (void)c;
    if (dummy_hash[0] &&
        crypto_pwhash_str_verify(dummy_hash, pw, len > PASSWORD_MAX_LEN ? 0 : len) == 0)
        return;                 /* cannot match: the dummy password is random */
}
