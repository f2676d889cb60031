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

/* Cuts a granted scope down to a client's `allowed` list (space-separated; NULL or ""
 * for no limit). When the scopes were `asked` for, one outside the list is TS_ESCOPE;
 * defaults outside it are dropped. */
ts_err scope_restrict(const char *allowed, int asked, char scope[SCOPE_MAX_LEN]);

/* "a, b c" -> the JSON text ["a","b","c"] (malloc'd; duplicates dropped). NULL with a
 * sentence in why for a bad role name (letters, digits, '_', '-', ':'; < 64 bytes), or
 * out of memory. */
char *scope_roles_json(const char *roles, char *why, size_t whylen);

/* 1 when the space-separated list `list` contains `scope` exactly. */
int scope_contains(const char *list, const char *scope, size_t scope_len);

#endif
