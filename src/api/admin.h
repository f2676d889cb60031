/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin API (docs/api.md): the handlers of /v1/admin/... and what they share.
 * Every admin route row has AUTH_BEARER (the router answers 401) and api_admin as its
 * handler, with a struct admin_op as its data: api_admin checks that the token grants
 * scope `admin`, and that its subject still holds a role granting it, before the
 * operation runs (403 insufficient_scope otherwise). The work itself is in core/,
 * shared with the operator CLI.
 */
#ifndef API_ADMIN_H
#define API_ADMIN_H

#include "core/admin_access.h"
#include "core/audit.h"
#include "http/http.h"

/* Page sizes of the lists: ?limit=1..ADMIN_LIMIT_MAX, ADMIN_LIMIT_DEFAULT without. */
#define ADMIN_LIMIT_DEFAULT 50
#define ADMIN_LIMIT_MAX 500

/* A route row's data: the operation api_admin runs once the caller is an admin. */
struct admin_op {
    route_handler run;
};

/* The route handler of every admin row. */
ts_err api_admin(struct request *req, struct response *res);

/* admin_users.c */
ts_err admin_users_list(struct request *req, struct response *res);
ts_err admin_users_create(struct request *req, struct response *res);
ts_err admin_users_get(struct request *req, struct response *res);
ts_err admin_users_update(struct request *req, struct response *res);
ts_err admin_users_delete(struct request *req, struct response *res);
ts_err admin_users_revoke_sessions(struct request *req, struct response *res);
/* admin_clients.c */
ts_err admin_clients_list(struct request *req, struct response *res);
ts_err admin_clients_create(struct request *req, struct response *res);
ts_err admin_clients_get(struct request *req, struct response *res);
ts_err admin_clients_update(struct request *req, struct response *res);
ts_err admin_clients_delete(struct request *req, struct response *res);
ts_err admin_clients_rotate_secret(struct request *req, struct response *res);
/* admin_sessions.c */
ts_err admin_sessions_list(struct request *req, struct response *res);
ts_err admin_sessions_get(struct request *req, struct response *res);
ts_err admin_sessions_revoke(struct request *req, struct response *res);
/* admin_keys.c */
ts_err admin_keys_list(struct request *req, struct response *res);
ts_err admin_keys_get(struct request *req, struct response *res);
ts_err admin_keys_rotate(struct request *req, struct response *res);
ts_err admin_keys_retire(struct request *req, struct response *res);
/* admin_audit.c */
ts_err admin_audit_list(struct request *req, struct response *res);

/* --- shared by the handlers (admin_common.c) --------------------------------------- */

/* The admin making this request, for the audit trail (pointers into req). */
void admin_actor(const struct request *req, struct actor *out);

/* ?limit= (1..ADMIN_LIMIT_MAX; absent: ADMIN_LIMIT_DEFAULT); TS_EINVAL with a sentence
 * in res otherwise. */
ts_err admin_limit(const struct request *req, struct response *res, int *limit);

/* The payload of a ?cursor= this API gave out for lists of `kind` ("users", ...):
 * "" when absent; TS_EINVAL with a sentence for anything else. */
ts_err admin_cursor(const struct request *req, struct response *res, const char *kind,
                    char *payload, size_t size);
/* The opaque cursor (a JSON string, or null when `payload` is NULL: no more pages). */
json_t *admin_cursor_json(const char *kind, const char *payload);

/* 200 {"<key>": items, "next": cursor or null}; items is stolen. */
ts_err admin_page_response(struct response *res, const char *key, json_t *items,
                           const char *kind, const char *next_payload);

/* TS_EINVAL naming the first member of `body` not in the NULL-terminated `known`. */
ts_err admin_known_fields(json_t *body, const char *const *known, struct response *res);
/* A boolean member: *out 1 or 0, or -1 when absent (or null); TS_EINVAL otherwise. */
ts_err admin_json_bool(json_t *body, const char *name, struct response *res, int *out);
/* An integer member in [min, max]: *out, or -1 when absent (or null). */
ts_err admin_json_int(json_t *body, const char *name, long min, long max,
                      struct response *res, long *out);
/* An array of words (non-empty strings of at most 128 printable ASCII characters
 * without spaces or commas) as one space-separated string (malloc'd, "" for []), or
 * NULL when absent (or null). TS_EINVAL for anything else, TS_ENOMEM. */
ts_err admin_json_words(json_t *body, const char *name, struct response *res,
                        char **out);
/* An array of URIs (strings of 1 to 1000 bytes, at most 32; each URI is checked by core:
 * client_redirect_uri_ok) as one space-separated string, as admin_json_words. */
ts_err admin_json_uris(json_t *body, const char *name, struct response *res, char **out);

/* The error of a core call: TS_EINVAL / TS_ECONFLICT / TS_ENOTFOUND carry the core's
 * sentence `why` (its first letter capitalised, a full stop added). */
ts_err admin_fail(struct response *res, ts_err e, const char *why);

#endif
