/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit events (docs/api.md): stored in the store and written as a JSON log line.
 * Never a password, secret or token: only ids, the event name and outcome details.
 */
#ifndef CORE_AUDIT_H
#define CORE_AUDIT_H

#include <jansson.h>

#include "core/app.h"

/* Starts the background writer (the server): audit() then queues events, and the
 * writer stores them in batches, one transaction each, and logs them. When the queue
 * is full a caller writes its own event, so none is ever dropped. audit_stop() (called
 * by app_close) drains the queue and ends the writer. Without audit_start() (operator
 * commands) every event is written at once. */
ts_err audit_start(struct app *a);
void audit_stop(struct app *a);

/* Records `event` ("login.success", "login.failure", "refresh.reuse", "logout",
 * "password.change", "admin.user.create", ...). user_id, client_id, ip may be NULL.
 * Steals `detail` (an object or NULL). A storage failure is logged, not returned:
 * auditing never turns a user's request into an error. With the writer running the
 * event reaches the store shortly after the call (milliseconds), not during it. */
void audit(struct app *a, const char *event, const char *user_id,
           const char *client_id, const char *ip, json_t *detail);

/* Who makes an operator change: the command line, or an administrator through the
 * admin API (docs/api.md). The core functions that make such changes take one and
 * record the change as an "admin.*" event. */
struct actor {
    const char *via;          /* "cli" or "api" */
    const char *sub;          /* the admin token's subject (user or client id); NULL
                               * for the CLI */
    int is_client;            /* sub is a client (a client_credentials token) */
    const char *ip;           /* the request's address; NULL for the CLI */
};
extern const struct actor actor_cli;   /* { "cli" } */

/* Records the admin change `event` ("admin.user.create", ...) concerning user_id
 * and/or client_id (either may be NULL): audit() with the actor's ip, and `detail`
 * (stolen; may be NULL) extended with "via" and, for the API, "actor" (the admin's
 * sub) and "actor_type" ("user" or "client"). by NULL records nothing (detail is
 * released). Never pass a password, secret or token in detail. */
void audit_admin(struct app *a, const struct actor *by, const char *event,
                 const char *user_id, const char *client_id, json_t *detail);

/* The stored events matching *f, newest first, with id < before (0: from the
 * newest), at most limit (> 0); see store_audit_list. Events still queued for the
 * background writer show up a moment later. */
ts_err audit_list(struct app *a, const struct audit_filter *f, int64_t before, int limit,
                  audit_cb cb, void *ctx);
/* {id, at, event, user_id, client_id, ip, detail}: `at` as RFC 3339, absent ids and ip
 * as null, detail the stored object (or null). NULL on OOM. */
json_t *audit_event_json(const struct audit_event_rec *e);

/* A frequent event (a client_credentials token issued, a login refused by a rate
 * limit) counted rather than written one by one: with the writer running, one event
 * per (event, client, scope) and second carries {"count", "scope", "window_seconds"}
 * (client_id and scope may be "": then left out); without it (or when the counters are
 * full) an event is written at once with count 1. */
void audit_count(struct app *a, const char *event, const char *client_id,
                 const char *scope);

/* The names[i] whose set[i] is nonzero, as a JSON array for an audit event's detail
 * (which fields an admin change touched); NULL when none is set or on OOM. */
json_t *audit_field_names(const char *const *names, const int *set, size_t n);

#endif
