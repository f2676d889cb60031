/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Automatic signing-key rotation (docs/configuration.md, [tokens] key_*), run by the
 * server's sync thread (core/sync.c) about once a second:
 *
 *  1. publish: with tokens.key_rotation_interval set, when the newest key in the store
 *     was created at least that long ago and no key is waiting, a new key of
 *     tokens.algorithm is created and published in the JWKS, not signing yet;
 *  2. activate: a published key that has waited tokens.key_publish_delay becomes the
 *     signing key (verifiers have had time to fetch the JWKS);
 *  3. retire: a key that no longer signs leaves the JWKS once every token it can have
 *     signed has expired: the activation of its successor + the longest access-token
 *     lifetime (tokens.access_ttl or any client's access_ttl) + tokens.key_retire_margin.
 *     This step runs even with rotation off, after `tessera keys rotate`
 *     (docs/configuration.md). A key of an algorithm of oidc.id_token_algs is
 *     succeeded only by a newer key of its algorithm: the newest one keeps signing
 *     ID tokens, and a key's tokens live oidc.id_token_ttl too;
 *  4. ensure: each algorithm of oidc.id_token_algs without an activated key gets one
 *     (core/keyring.h keyring_ensure_alg: signing at once, never for access tokens).
 *
 * Every decision is taken from the store, read afresh at each tick, never from this
 * process's memory: a restart neither rotates early nor forgets a waiting key, and
 * several instances sharing one database take the same decisions. Two instances may
 * both publish a key in the same second; the step that activates keeps only the
 * newest waiting key (by created_at, then kid: the same choice on every instance) and
 * retires the other at once, before it ever signed.
 */
#ifndef CORE_KEYROTATE_H
#define CORE_KEYROTATE_H

#include <stdint.h>

#include "base/err.h"

struct app;

/* One pass of the steps above at time `now` (Unix seconds); at most one pass per
 * second, so calling it more often costs nothing. When it changed a key it reloads
 * a->keys. Store errors are logged once per failing streak and returned. */
ts_err keyrotate_tick(struct app *a, int64_t now);

#endif
