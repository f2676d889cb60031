/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key ring: the signing keys kept in the store, as one immutable snapshot (a
 * libtessera keyset for verification, the key that signs, the JWKS document). A
 * reload builds a new snapshot and swaps it in; readers hold a reference while they
 * use one, so a swap never frees keys under a verifier.
 */
#ifndef CORE_KEYRING_H
#define CORE_KEYRING_H

#include <stdint.h>

#include "base/err.h"
#include "store/store.h"
#include "tessera.h"

struct keyring;

/* The algorithms a ring can hold, indexed by tessera_alg (HS256 never). */
#define KEYRING_NALG (TESSERA_ALG_PS256 + 1)

/* Loads the published keys; with create_alg (e.g. "ES256") and no active key in the
 * store, generates one first. extra_algs (NULL: none): algorithms, space-separated,
 * that must have an activated key besides (oidc.id_token_algs: RS256 for ID tokens
 * whatever alg access tokens use); keyring_ensure_alg() adds each one missing.
 * TS_EINVAL for an algorithm tessera cannot generate. */
ts_err keyring_open(struct store *st, const char *create_alg, const char *extra_algs,
                    struct keyring **out);
/* Rebuilds the snapshot from the store (after a rotation or retirement). */
ts_err keyring_reload(struct keyring *kr);
void keyring_free(struct keyring *kr);

/* Signs claims as a JWT (typ at+jwt) with the current key. *out is malloc'd. */
ts_err keyring_sign(struct keyring *kr, const char *claims_json, size_t len, char **out);
/* Signs claims with the newest activated key of algorithm `alg` (an ID token:
 * typ "JWT", or NULL for none), whichever key signs access tokens. TS_ENOTFOUND when
 * the ring holds no activated key of `alg`, TS_EINVAL for an unknown alg. *out is
 * malloc'd. */
ts_err keyring_sign_as(struct keyring *kr, const char *alg, const char *typ,
                       const char *claims_json, size_t len, char **out);
/* 1 when keyring_sign_as(alg) can sign now. */
int keyring_can_sign(struct keyring *kr, const char *alg);
/* Verifies an access token against every published key (libtessera, strict). */
tessera_status keyring_verify(struct keyring *kr, const char *token, size_t len,
                              const tessera_expect *expect, tessera_claims **claims);
/* Changes at every reload: what was verified under another generation is checked
 * again (a retired key stops verifying at once). */
unsigned long keyring_generation(struct keyring *kr);
/* The JWKS document, malloc'd copy. NULL on OOM. */
char *keyring_jwks(struct keyring *kr);

/* Operator actions, straight on the store; a running server sees them after
 * keyring_reload(). */
ts_err keyring_rotate(struct store *st, const char *alg, int64_t now,
                      char kid_out[65]);
/* The first half of a rotation in two steps (core/keyrotate.c): a new key, published
 * in the JWKS but not signing (activated_at 0) until keyring_activate() makes it the
 * newest activated key. */
ts_err keyring_publish(struct store *st, const char *alg, int64_t now,
                       char kid_out[65]);
ts_err keyring_activate(struct store *st, const char *kid, int64_t now);
ts_err keyring_retire(struct store *st, const char *kid, int64_t now);
/* Makes sure an activated key of `alg` exists: when none does, adds one that signs at
 * once but is never the access-token signer (its activation is set one second before
 * the newest activation; the first key of an empty store signs from `now`). kid_out
 * (may be NULL) receives the new key's kid, "" when none was needed. A running server
 * sees it after keyring_reload(); its sync thread calls this every tick
 * (core/keyrotate.c), so a retired ID-token key is replaced within a second. */
ts_err keyring_ensure_alg(struct store *st, const char *alg, int64_t now,
                          char kid_out[65]);

#endif
