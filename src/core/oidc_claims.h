/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OpenID Connect standard claims of a user (OpenID Connect Core 1.0 5.1, 5.4), by
 * scope: what an ID token and the UserInfo endpoint say about the user. Only what
 * tessera stores: `profile` gives name, preferred_username and updated_at, `email`
 * gives email. No email_verified: tessera does not verify addresses, and a claim
 * saying false would be as unfounded as one saying true. A claim whose value is empty
 * (a user without a name) is left out (5.3.2).
 */
#ifndef CORE_OIDC_CLAIMS_H
#define CORE_OIDC_CLAIMS_H

#include "base/jsonw.h"
#include "core/app.h"
#include "store/store.h"

/* Every claim tessera may put about a user in an ID token or a UserInfo answer
 * (discovery's claims_supported), NULL-terminated. */
extern const char *const oidc_claims_supported[];

/* 1 when the space-separated `scope` asks for any claim of oidc_claims_write()
 * (profile or email): the caller needs the user record only then. */
int oidc_claims_wanted(const char *scope);

/* Writes the claims `scope` grants of `u` as members of the open object `w`. */
void oidc_claims_write(struct jw *w, const struct user_rec *u, const char *scope);

/* The UserInfo answer (OpenID Connect Core 1.0 5.3.2) for user `sub` under the
 * granted `scope`: {"sub", then the claims of oidc_claims_write}. *out (malloc'd JSON
 * text) is NULL on error. TS_ENOTFOUND when the user no longer exists; TS_ENOMEM,
 * TS_EDB. */
ts_err oidc_userinfo(struct app *a, const char *sub, const char *scope, char **out,
                     size_t *len);

#endif
