/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scopes from roles (docs/configuration.md): a role grants a set of scopes; a request gets
 * the scopes it asks for that its roles grant, or its roles' default scopes when it
 * asks for none. Asking for a scope no role grants is TS_ESCOPE.
 */
#ifndef CORE_SCOPE_H
#define CORE_SCOPE_H

#include <stddef.h>

#include "core/config.h"
#include "base/err.h"
#include "base/words.h"

#define SCOPE_MAX_LEN 1024

/* roles_json: a JSON array of role names. requested: NULL or "" for the defaults, else
 * scopes separated by spaces and/or commas. out receives the granted scopes,
 * space-separated, without duplicates, in the order asked (defaults: role order).
 * TS_EINVAL for a malformed request (a scope with bad characters, too long). */
ts_err scope_grant(const struct config *c, const char *roles_json,
                   const char *requested, char out[SCOPE_MAX_LEN]);

/* Cuts an earlier grant (a session's scope) down to what roles_json grants now, in
 * place: a scope no role grants any more is dropped, or with `asked` (the caller named
 * the scopes) refused with TS_ESCOPE. A refresh runs it, so a demotion reaches the next
 * access token. `openid` stays: the code flow grants it as the protocol's marker, not
 * as a permission of a role (docs/oidc.md). TS_EINTERNAL for roles_json that is not an
 * array. */
ts_err scope_regrant(const struct config *c, const char *roles_json, int asked,
                     char scope[SCOPE_MAX_LEN]);

/* Cuts a granted scope down to a client's `allowed` list (space-separated; NULL or ""
 * for no limit). When the scopes were `asked` for, one outside the list is TS_ESCOPE;
 * defaults outside it are dropped. `openid` stays, as in scope_regrant. */
ts_err scope_restrict(const char *allowed, int asked, char scope[SCOPE_MAX_LEN]);

/* "a, b c" -> the JSON text ["a","b","c"] in *out (malloc'd, free() it; duplicates
 * dropped). TS_EINVAL with a sentence in why for a bad role name (letters, digits,
 * '_', '-', ':'; < 64 bytes); TS_ENOMEM (why: "out of memory"). *out is NULL on
 * error. */
ts_err scope_roles_json(const char *roles, char **out, char *why, size_t whylen);

/* Every name in the list `roles` (as scope_roles_json reads it) is a role defined in
 * the configuration: TS_OK, or TS_EINVAL with a sentence in why that names the first
 * unknown one and lists the defined roles. Called where roles are given to a user or
 * a client (user_add, user_update, client_create, client_update), not where stored
 * roles are read: a role later removed from the configuration grants nothing. */
ts_err scope_roles_known(const struct config *c, const char *roles, char *why,
                         size_t whylen);

/* Appends a word to the space-separated list out (size bytes) unless it is there;
 * TS_EINVAL when it does not fit. */
ts_err scope_append(char *out, size_t size, const char *w, size_t n);

/* 1 when the space-separated list `list` contains `scope` exactly. */
int scope_contains(const char *list, const char *scope, size_t scope_len);

#endif
