/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A presented token of either kind, as the token endpoint's companions see it:
 * introspection (RFC 7662: is it active, and what does it say) and revocation
 * (RFC 7009: end it, and with it its session). Access tokens are JWTs checked like a
 * Bearer token (signature, claims, session or revoked jti); refresh tokens are looked
 * up by their hash.
 */
#ifndef CORE_INTROSPECT_H
#define CORE_INTROSPECT_H

#include <jansson.h>

#include "core/app.h"

/* The RFC 7662 answer for `token` in *out. A certificate-bound access token (RFC 8705)
 * is active only when presented with its certificate: presenter_x5t is the x5t#S256
 * of the certificate that came with the introspection request (from the TLS
 * connection or a trusted proxy's header), or NULL. The answer: {"active": false} for an expired, revoked,
 * unknown or malformed token; the members docs/oauth2.md lists for an active one.
 * Errors only for storage failures and OOM. */
ts_err token_introspect(struct app *a, const char *token, const char *presenter_x5t,
                        json_t **out);

/* Revokes `token` for `client`: a refresh token or an access token with a session
 * revokes the session; an access token without one revokes its jti until it expires.
 * TS_OK too when the token is unknown, invalid or already inactive (RFC 7009 2.2);
 * TS_EUNAUTHCLIENT, revoking nothing, when it was issued to another client (or by the
 * native API). */
ts_err token_revoke(struct app *a, const struct client_rec *client, const char *token,
                    const char *ip);

#endif
