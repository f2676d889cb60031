/*
 * Audit events (SPEC section 9): stored in the store and written as a JSON log line.
 * Never a password, secret or token: only ids, the event name and outcome details.
 */
#ifndef CORE_AUDIT_H
#define CORE_AUDIT_H

#include <jansson.h>

#include "core/app.h"

/* Records `event` ("login.success", "login.failure", "refresh.reuse", "logout",
 * "password.change", "admin.user.create", ...). user_id, client_id, ip may be NULL.
 * Steals `detail` (an object or NULL). A storage failure is logged, not returned:
 * auditing never turns a user's request into an error. */
void audit(struct app *a, const char *event, const char *user_id,
           const char *client_id, const char *ip, json_t *detail);

#endif
