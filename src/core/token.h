/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access tokens (docs/api.md, RFC 9068): building the claims and signing them, and
 * checking a presented Bearer token: signature and claims through libtessera, then the
 * revocation set (revoked.c), so a logout takes effect at once.
 */
#ifndef CORE_TOKEN_H
#define CORE_TOKEN_H

#include <stdint.h>

#include "core/app.h"
#include "tessera.h"

struct token_claims {
    const char *sub;          /* user id, or client id for client_credentials */
    const char *client_id;    /* "" for the native API: the audience is used */
    const char *scope;
    const char *sid;          /* NULL: no session (client_credentials) */
    const char *roles_json;   /* JSON array */
    const char *email;        /* NULL for clients */
    const char *name;
    long ttl;                 /* seconds */
    const char *cnf_x5t;      /* RFC 8705: bind to this certificate thumbprint, or NULL */
    const char *audience;     /* the aud values, a canonical list (core/audience.h); NULL
                               * or "": the default audience */
};

/* Signs a new access token; *out is malloc'd, *exp_out (may be NULL) gets its exp.
 * `aud` is a string for one audience value, an array of them for several (RFC 7519
 * 4.1.3). */
ts_err token_issue(struct app *a, const struct token_claims *tc, char **out,
                   int64_t *exp_out);

/* Whose token it is. A user's token names its session (`sid`): every user token is
 * issued for a session (login, refresh, the password grant). A client's
 * client_credentials token has no session and its `sub` is its `client_id`. A signed
 * token that is neither is refused. Handlers read the kind, never guess it from `sub`:
 * a client id and a user id are different namespaces. */
enum auth_kind {
    AUTH_KIND_USER = 1,
    AUTH_KIND_CLIENT
};

/* What a valid Bearer token says, for the handlers behind an AUTH_BEARER route. */
struct auth_ctx {
    tessera_claims *claims;
    const char *sub;          /* owned by claims: a user id or a client id, per kind */
    const char *sid;          /* owned by claims; NULL when the token has none */
    enum auth_kind kind;
};

/* "user" or "client" (X-Auth-Subject-Type, introspection). */
const char *auth_kind_name(enum auth_kind k);

/* Verifies `token` (the bytes after "Bearer "). TS_ETOKEN with a sentence in why for
 * an invalid, expired or revoked token, or one whose aud does not name `audience`
 * (checked on every call, cached or not). audience NULL accepts any audience (an aud
 * that is a non-empty string or array of them, as issued): only for introspection and
 * revocation, which report on a token rather than act on its authority; the server's
 * own Bearer routes pass server.audience (http_bearer).
 * On success the caller calls auth_clear(). */
ts_err token_authenticate(struct app *a, const char *token, size_t len,
                          const char *audience, struct auth_ctx *out, char *why,
                          size_t whylen);
void auth_clear(struct auth_ctx *c);

#endif
