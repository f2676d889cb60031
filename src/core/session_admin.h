/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions as an operator sees them (docs/cli.md, docs/api.md): pages of active
 * sessions, one session whatever its state, and revocation recorded as an
 * admin.session.revoke audit event. Shared by `tessera sessions` and the admin API.
 */
#ifndef CORE_SESSION_ADMIN_H
#define CORE_SESSION_ADMIN_H

#include <jansson.h>

#include "core/app.h"

struct actor;

/* Active sessions of user_id (NULL or "": every user's), newest first, after the
 * cursor (after_created, after_id; after_id NULL or "" for the newest), at most limit
 * (> 0); see store_session_page. */
ts_err session_admin_page(struct app *a, const char *user_id, int64_t after_created,
                          const char *after_id, int limit, session_cb cb, void *ctx);

/* One session, active or not (TS_ENOTFOUND for an unknown id). */
ts_err session_admin_get(struct app *a, const char *id, struct session_rec *out);

/* Revokes one session. TS_ENOTFOUND for an unknown id; a session already revoked stays
 * as it is (TS_OK, nothing recorded). *was_active (may be NULL) is 1 when this call
 * revoked it. Recorded as admin.session.revoke {"session_id"} about its user. */
ts_err session_admin_revoke(struct app *a, const struct actor *by, const char *id,
                            int *was_active);

/* Revokes every active session of a user; *count (may be NULL) receives how many.
 * Recorded as admin.session.revoke {"all": true, "count"} about the user. */
ts_err session_admin_revoke_user(struct app *a, const struct actor *by,
                                 const char *user_id, int *count);

/* {id, user_id, client_id, scope, created_at, last_used_at, expires_at, revoked_at,
 * user_agent, ip, active}: times as RFC 3339 strings, revoked_at null while active,
 * client_id null for the native API. NULL on OOM. Never a token or its hash. */
json_t *session_admin_json(const struct session_rec *s, int64_t now);

#endif
