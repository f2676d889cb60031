/*
 * Scopes from roles (SPEC section 2): a role grants a set of scopes; a request gets
 * the scopes it asks for that its roles grant, or its roles' default scopes when it
 * asks for none. Asking for a scope no role grants is TS_ESCOPE.
 */
#ifndef CORE_SCOPE_H
#define CORE_SCOPE_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"

#define SCOPE_MAX_LEN 1024

/* roles_json: a JSON array of role names. requested: NULL or "" for the defaults, else
 * scopes separated by spaces and/or commas. out receives the granted scopes,
 * space-separated, without duplicates, in the order asked (defaults: role order).
 * TS_EINVAL for a malformed request (a scope with bad characters, too long). */
ts_err scope_grant(const struct config *c, const char *roles_json,
                   const char *requested, char out[SCOPE_MAX_LEN]);

/* 1 when the space-separated list `list` contains `scope` exactly. */
int scope_contains(const char *list, const char *scope, size_t scope_len);

#endif
