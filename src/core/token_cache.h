/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verified-token cache (issue 8): a client sending the same access token again and
 * again costs one signature verification, not one per request. Keyed by SHA-256 of
 * the token, bounded (sharded, fixed slots), an entry dies at the token's exp or when
 * the key ring reloads. Only the signature and claims checks are cached: the session
 * (revocation) and jti checks still run on every request.
 */
#ifndef CORE_TOKEN_CACHE_H
#define CORE_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

struct token_cache;

struct token_cache *token_cache_new(void);          /* NULL on OOM */
void token_cache_free(struct token_cache *c);       /* NULL is fine */

/* The cache key of a token: SHA-256 of its bytes. */
void token_cache_key(const char *token, size_t len, unsigned char key[32]);

/* The claims verified earlier for the token of `key` under key-ring generation `gen`,
 * as a new handle (tessera_claims_free it), or NULL. */
tessera_claims *token_cache_get(struct token_cache *c, const unsigned char key[32],
                                unsigned long gen, int64_t now);
/* Remembers verified claims under `key` (a handle is taken, the caller keeps its own).
 * The caller passes the key it looked up with, so a miss costs one hash, not two. */
void token_cache_put(struct token_cache *c, const unsigned char key[32],
                     unsigned long gen, int64_t exp, const tessera_claims *claims);

#endif
