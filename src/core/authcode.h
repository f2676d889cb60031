/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorization codes (RFC 6749 4.1, RFC 7636): 256 random bits, stored as their
 * SHA-256 only, living oauth2.code_ttl seconds, bound to the client, the
 * redirect_uri, the PKCE challenge (S256), the scope, the nonce and the browser
 * session that approved them; taken once, atomically. A second use revokes what the
 * first issued (RFC 6749 4.1.2) and is audited as oauth2.code.replay.
 */
#ifndef CORE_AUTHCODE_H
#define CORE_AUTHCODE_H

#include "core/app.h"
#include "core/authz.h"
#include "core/session.h"
#include "base/secret.h"

/* A new code for the checked request `r`, approved by browser session `bs`, in
 * `code`. TS_ENOMEM, TS_EINTERNAL (CSPRNG) or a store error. */
ts_err authcode_issue(struct app *a, const struct authz_req *r,
                      const struct browser_session *bs,
                      char code[SECRET_TOKEN_CHARS + 1]);

/* 1 when `v` is a PKCE code verifier (RFC 7636 4.1: 43 to 128 characters of
 * [A-Za-z0-9-._~]). */
int authcode_verifier_ok(const char *v);

/* 1 when `c` may be an S256 code challenge (43 base64url characters). */
int authcode_challenge_ok(const char *c);

/* Takes the code presented at the token endpoint by client `c`: TS_OK with its row
 * in *out when it is known, unused, unexpired, issued to this client for exactly
 * this redirect_uri, and `verifier` (NULL: none sent) matches its challenge (S256,
 * compared in constant time) or, for a code without one, none was sent. TS_EOGRANT
 * otherwise, with a sentence in why that never repeats a secret. A code is spent by
 * any presentation, even one refused. */
ts_err authcode_redeem(struct app *a, const struct client_rec *c, const char *code,
                       const char *redirect_uri, const char *verifier, const char *ip,
                       struct code_rec *out, char *why, size_t whylen);

#endif
