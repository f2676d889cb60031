/* SPDX-License-Identifier: Apache-2.0 */
/* Bearer authentication (RFC 6750) of a request: the token, its session, its
 * certificate binding. Apart from request.c so that the request readers do not pull
 * the token machinery in (the fuzz targets link them alone). */
#include <string.h>
#include <strings.h>

#include "base/secret.h"
#include "core/token.h"
#include "http/http.h"

ts_err http_bearer(struct request *req, struct response *res, struct auth_ctx *out)
{
    return http_bearer_for(req, res, req->app->cfg.audience, out);
}

ts_err http_bearer_for(struct request *req, struct response *res, const char *audience,
                       struct auth_ctx *out)
{
    const char *h = http_header(req, "Authorization");
    memset(out, 0, sizeof *out);
    if (!h || !*h || strncasecmp(h, "Bearer ", 7) != 0)
        return TS_ENOTOKEN;        /* none, or another scheme: no Bearer token given */
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n && h[n - 1] == ' ')
        n--;
    if (n == 0)
        return TS_ENOTOKEN;
    return http_bearer_token(req, res, h, n, audience, out);
}

ts_err http_bearer_token(struct request *req, struct response *res, const char *token,
                         size_t len, const char *audience, struct auth_ctx *out)
{
    memset(out, 0, sizeof *out);
    ts_err e = token_authenticate(req->app, token, len, audience, out,
                                  res->error_description, sizeof res->error_description);
    if (e)
        return e;
    /* RFC 8705 3: a certificate-bound token only with its certificate. */
    const char *bound = tessera_claims_member_string(out->claims, "cnf", "x5t#S256");
    if (bound) {
        const struct client_cert *cc = http_client_cert(req);
        if (!cc->present || strlen(bound) != strlen(cc->x5t) ||
            !secret_equal(bound, cc->x5t, strlen(bound))) {
            auth_clear(out);
            return http_fail(res, TS_ETOKEN, "The access token is bound to a client "
                             "certificate that this request did not present.");
        }
    }
    return TS_OK;
}
