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

/* Loads the published keys; with create_alg (e.g. "ES256") and no active key in the
 * store, generates one first. */
ts_err keyring_open(struct store *st, const char *create_alg, struct keyring **out);
/* Rebuilds the snapshot from the store (after a rotation or retirement). */
ts_err keyring_reload(struct keyring *kr);
void keyring_free(struct keyring *kr);

/* Signs claims as a JWT (typ at+jwt) with the current key. *out is malloc'd. */
ts_err keyring_sign(struct keyring *kr, const char *claims_json, size_t len, char **out);
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

#endif
