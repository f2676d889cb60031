/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Password hashing: Argon2id PHC strings through libsodium, with the parameters of
 * [passwords] in the config. Hashing is slow on purpose (about 10 ms and 19 MiB at the
 * defaults): call these only from the worker pool or an operator command.
 *
 * Hashes imported from other systems (`tessera user import`) are verified too, and
 * answer PW_OK_REHASH so that the next login stores Argon2id instead:
 *   bcrypt    $2a$, $2b$, $2y$ + two-digit cost 04..16 + 53 chars (libxcrypt crypt_r;
 *             only the first 72 bytes of a password count, as in every bcrypt)
 *   passlib   $pbkdf2-sha256$ROUNDS$SALT$CHECKSUM, $pbkdf2-sha512$ROUNDS$SALT$CHECKSUM
 *             (SALT and CHECKSUM in passlib's "ab64": base64 with '.' for '+', no '=')
 *   Django    pbkdf2_sha256$ITERATIONS$SALT$HASH (SALT used as text, HASH base64)
 * PBKDF2 iterations must be 1..10,000,000; anything else is not a hash we read.
 */
#ifndef CORE_PASSWORD_H
#define CORE_PASSWORD_H

#include <stddef.h>

#include "core/config.h"
#include "base/err.h"
#include "base/secret.h"
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
#define PASSWORD_MAX_LEN SECRET_PASSWORD_MAX
ts_err password_hash(const struct config *c, const char *pw, size_t len,
                     char out[STORE_HASH_LEN + 1]);
/* The same for a password that just verified against an older hash (legacy import or
 * old Argon2id parameters): no minimum length, since the user chose it under older
 * rules and must not be locked out of the upgrade. */
ts_err password_rehash(const struct config *c, const char *pw, size_t len,
                       char out[STORE_HASH_LEN + 1]);

/* Checks pw against a stored hash in constant time. */
enum pw_result password_verify(const struct config *c, const char *hash,
                               const char *pw, size_t len);

/* Checks a hash from another system for import: one of the formats above or an
 * Argon2id PHC string, with parameters in bounds. Writes the string to store into out:
 * the hash as given, except a PBKDF2 checksum longer than 32 bytes when the whole
 * would not fit STORE_HASH_LEN (passlib's pbkdf2-sha512: 130 characters), which is
 * stored as its first 32 bytes (PBKDF2 with a shorter output is a prefix of the long
 * one). *format (may be NULL) receives "argon2id", "bcrypt", "pbkdf2-sha256",
 * "pbkdf2-sha512" or "django-pbkdf2-sha256". TS_EINVAL otherwise, with a reason in
 * why that never quotes the hash. */
ts_err password_import(const char *hash, char out[STORE_HASH_LEN + 1],
                       const char **format, char *why, size_t whylen);

/* Spends the cost of one password_verify() without a user, so an unknown login
 * takes as long as a known one. */
void password_burn(const struct config *c, const char *pw, size_t len);

#endif
