/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The authorization request of the browser flow (docs/oidc.md): what
 * /oauth2/authorize checked, kept while the user logs in, and the CSRF token of the
 * login form. Between the two requests it lives in the page's hidden field, sealed:
 * HMAC-SHA256 under a key derived from the server's refresh key (shared by every
 * instance through the store) and bound to the browser's pre-login cookie, so it can
 * be neither altered nor replayed from another browser, and it expires.
 */
#ifndef CORE_AUTHZ_H
#define CORE_AUTHZ_H

#include <stdint.h>

#include "core/app.h"
#include "core/scope.h"

#define AUTHZ_STATE_MAX  512    /* longest state and nonce taken */
#define AUTHZ_URI_MAX    1000   /* longest redirect_uri (client_redirect_uri_ok) */
#define AUTHZ_CSRF_CHARS 43     /* the pre-login cookie and the form's token */
#define AUTHZ_SEALED_TTL 900    /* seconds a login page stays usable */

/* A checked authorization request. Strings are "" when absent. */
struct authz_req {
    char client_id[STORE_CLIENT_ID_LEN + 1];
    char redirect_uri[AUTHZ_URI_MAX + 1];
    char scope[SCOPE_MAX_LEN];          /* as asked, space-separated */
    char state[AUTHZ_STATE_MAX + 1];
    char nonce[AUTHZ_STATE_MAX + 1];
    char code_challenge[44];            /* S256, 43 base64url chars */
    char login_hint[256];
    int form_post;                      /* response_mode=form_post */
};

/* The sealed form of r for the login page's hidden field, bound to the pre-login
 * cookie value `csrf_cookie`: "PAYLOAD.MAC", base64url, in *out (malloc'd; free()).
 * TS_ENOMEM. */
ts_err authz_seal(struct app *a, const struct authz_req *r, const char *csrf_cookie,
                  char **out);

/* Opens what authz_seal made: TS_OK with *out filled only when the MAC holds for this
 * cookie (compared in constant time) and it has not expired; TS_EINVAL otherwise. */
ts_err authz_open(struct app *a, const char *sealed, const char *csrf_cookie,
                  struct authz_req *out);

/* The login form's CSRF token for the pre-login cookie value (an HMAC of it), and its
 * check in constant time: 1 when `token` is the one for `csrf_cookie`. */
void authz_csrf_token(struct app *a, const char *csrf_cookie,
                      char out[AUTHZ_CSRF_CHARS + 1]);
int authz_csrf_ok(struct app *a, const char *csrf_cookie, const char *token);

#endif
