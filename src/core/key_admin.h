/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signing keys as an operator sees them (docs/cli.md, docs/api.md): the list with
 * each key's state, rotation and retirement recorded as admin.key.* audit events.
 * Shared by `tessera keys` and the admin API. Never a private key: the views hold
 * the kid, the algorithm and the times only.
 */
#ifndef CORE_KEY_ADMIN_H
#define CORE_KEY_ADMIN_H

#include <jansson.h>

#include "core/app.h"

struct actor;

/* One key and its state: "signing" (the key new access tokens are signed with: the
 * newest activated one not retired, as core/keyring.c picks it; or the newest
 * activated key of an algorithm of oidc.id_token_algs, which signs ID tokens),
 * "published" (in the JWKS,
 * verifying the tokens it signed before), "waiting" (in the JWKS, not signing yet: a
 * rotation's publish step) or "retired" (out of the JWKS). signs_from is when it
 * started signing (activated_at) or, for a waiting key, when it will: created_at +
 * tokens.key_publish_delay as this process is configured (the server's sync thread
 * activates it, core/keyrotate.c); 0 for a key retired before it signed. */
struct key_info {
    const struct signing_key_rec *rec;
    const char *state;
    int64_t signs_from;
};
typedef int (*key_info_cb)(void *ctx, const struct key_info *k);

/* Every key, retired ones too when include_retired, oldest first. */
ts_err key_admin_list(struct app *a, int include_retired, key_info_cb cb, void *ctx);

/* Creates a new signing key of algorithm `alg` (NULL: tokens.algorithm); the older
 * ones stay published. The key is published at once and signs only after
 * tokens.key_publish_delay, as automatic rotation does (core/keyrotate.c activates it
 * on whichever server instance ticks first; every instance then reloads), so verifiers
 * that cache the JWKS know it before they meet its tokens. `now` (a compromise), or a
 * delay of 0, makes it sign at once. TS_EINVAL for an algorithm tessera cannot
 * generate. Recorded as admin.key.rotate {"kid", "alg", "now"}. A running server
 * (a->keys set) reloads its key ring at once; other processes sharing the database
 * within their sync interval (core/revoked.c). kid_out is required; *signs_from (may
 * be NULL) receives when the key signs. */
ts_err key_admin_rotate(struct app *a, const struct actor *by, const char *alg, int now,
                        char kid_out[65], int64_t *signs_from);

/* Stops publishing a key: tokens it signed stop verifying. TS_ENOTFOUND for an unknown
 * kid; TS_ECONFLICT (why set) for a key already retired, or for the last key that can
 * sign (rotate first). Recorded as admin.key.retire {"kid"}; reloads like rotate. */
ts_err key_admin_retire(struct app *a, const struct actor *by, const char *kid,
                        char *why, size_t whylen);

/* {kid, alg, state, created_at, activated_at, signs_from, retired_at}: RFC 3339
 * times, null when unset. NULL on OOM. */
json_t *key_admin_json(const struct key_info *k);

#endif
