/* SPDX-License-Identifier: Apache-2.0 */
/* GET|POST /userinfo (OpenID Connect Core 1.0 5.3): the claims about the user behind
 * an access token granted the scope openid. The token comes in the Authorization
 * header (RFC 6750 2.1) or, for POST, as the form body's access_token (2.2); both at
 * once is 400 (RFC 6750 2). Errors are RFC 6750 3's, with their WWW-Authenticate
 * challenge (the route's ROUTE_CHALLENGE). */
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/oidc_claims.h"
#include "core/scope.h"
#include "core/token.h"

#define USERINFO_TOKEN_MAX 8192

static ts_err authenticate(struct request *req, struct response *res, struct auth_ctx *ac)
{
    const char *form_token = NULL;
    ts_err err = req->form ? http_param(req, "access_token", USERINFO_TOKEN_MAX, 0, res,
                                        &form_token)
                           : TS_OK;
    if (err)
        return err;
    err = http_bearer(req, res, ac);
    if (err != TS_ENOTOKEN) {
        if (!err && form_token) {
            auth_clear(ac);
            return http_fail(res, TS_EINVAL, "The access token came both in the "
                             "Authorization header and in the body; send it once.");
        }
        return err;
    }
    if (!form_token)
        return TS_ENOTOKEN;
    return http_bearer_token(req, res, form_token, strlen(form_token),
                             req->app->cfg.audience, ac);
}

ts_err api_userinfo(struct request *req, struct response *res)
{
    struct auth_ctx ac;
    char *body = NULL;
    size_t len = 0;
    ts_err err = authenticate(req, res, &ac);

    if (err)
        return err;
    const char *scope = tessera_claims_string(ac.claims, "scope");
    if (ac.kind != AUTH_KIND_USER)
        err = http_fail(res, TS_EFORBIDDEN, "A client's client_credentials token has "
                        "no user to describe.");
    else if (!scope || !scope_contains(scope, "openid", 6))
        err = http_fail(res, TS_EFORBIDDEN, "The access token was not granted the "
                        "scope openid.");
    else
        err = oidc_userinfo(req->app, ac.sub, scope, &body, &len);
    auth_clear(&ac);
    if (err == TS_ENOTFOUND)
        return http_fail(res, TS_ETOKEN, "The user of this token no longer exists.");
    if (err)
        return err;
    res->body = body;
    res->body_len = len;
    res->content_type = "application/json";
    res->status = 200;
    return TS_OK;
}
