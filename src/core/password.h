/*
 * Password hashing: Argon2id PHC strings through libsodium, with the parameters of
 * [passwords] in the config. Hashing is slow on purpose (about 10 ms and 19 MiB at the
 * defaults): call these only from the worker pool or an operator command.
 */
#ifndef CORE_PASSWORD_H
#define CORE_PASSWORD_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"
#include "store/store.h"

enum pw_result {
    PW_BAD = 0,       /* wrong password, or a hash we cannot read */
    PW_OK,            /* right password, hash current */
    PW_OK_REHASH      /* right password, hash made with other parameters: rehash */
};

/* Initialises libsodium and the dummy hash used for unknown users. Call once. */
ts_err password_init(const struct config *c);

/* Hashes pw into out (a PHC string). TS_EINVAL when pw is shorter than
 * passwords.min_length or longer than PASSWORD_MAX_LEN; TS_ENOMEM when Argon2's
 * memory cannot be had. */
#define PASSWORD_MAX_LEN 1024
ts_err password_hash(const struct config *c, const char *pw, size_t len,
                     char out[STORE_HASH_LEN + 1]);

/* Checks pw against a stored hash in constant time. */
enum pw_result password_verify(const struct config *c, const char *hash,
                               const char *pw, size_t len);

/* Spends the cost of one password_verify() without a user, so an unknown login
 * takes as long as a known one. */
void password_burn(const struct config *c, const char *pw, size_t len);

#endif
