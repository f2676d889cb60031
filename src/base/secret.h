/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Random values and hashes for secrets: ids, refresh tokens, their stored hashes,
 * constant-time comparison. Every random byte comes from OpenSSL's CSPRNG.
 */
#ifndef BASE_SECRET_H
#define BASE_SECRET_H

#include <stddef.h>

#include "base/err.h"

#define SECRET_ID_CHARS    22   /* 128 bits, base64url */
#define SECRET_TOKEN_CHARS 43   /* 256 bits, base64url */
/* The longest password (bytes) anything takes: the server hashes, the client reads. */
#define SECRET_PASSWORD_MAX 1024

/* n random bytes into buf; TS_EINTERNAL if the CSPRNG fails. */
ts_err secret_random(void *buf, size_t n);
/* A new random id (128 bits, base64url, NUL-terminated), never starting with '-'. */
ts_err secret_id(char out[SECRET_ID_CHARS + 1]);
/* A new refresh token (256 bits, base64url, NUL-terminated). */
ts_err secret_token(char out[SECRET_TOKEN_CHARS + 1]);
/* HMAC-SHA256(key, token) as a refresh token: the successor of `token`, so a retried
 * rotation inside the grace window answers with the same successor. */
ts_err secret_successor(const unsigned char key[32], const char *token,
                        char out[SECRET_TOKEN_CHARS + 1]);
/* SHA-256 of s, base64url (43 chars + NUL): the stored form of a refresh token. */
void secret_hash(const char *s, size_t len, char out[SECRET_TOKEN_CHARS + 1]);
/* 1 when a and b (n bytes each) are equal, in time independent of their content. */
int secret_equal(const void *a, const void *b, size_t n);
/* Overwrites n bytes in a way the compiler keeps. */
void secret_wipe(void *p, size_t n);

#endif
