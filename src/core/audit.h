/*
 * Audit events (SPEC section 9): stored in the store and written as a JSON log line.
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

/* A frequent event (a client_credentials token issued, a login refused by a rate
 * limit) counted rather than written one by one: with the writer running, one event
 * per (event, client, scope) and second carries {"count", "scope", "window_seconds"}
 * (client_id and scope may be "": then left out); without it (or when the counters are
 * full) an event is written at once with count 1. */
void audit_count(struct app *a, const char *event, const char *client_id,
                 const char *scope);

#endif
