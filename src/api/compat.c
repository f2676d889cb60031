/* SPDX-License-Identifier: Apache-2.0 */
/* The compat profiles' own handlers (docs/compat.md): refresh and the role-gated
 * profile, parameterised by the route's struct compat_shape; logins go through the
 * native api_login with the profile's shape. A profile is a route table and a field
 * map, not a copy of the native handlers. */
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/password.h"
#include "core/session.h"
#include "core/token.h"
#include "tessera.h"

ts_err api_compat_refresh(struct request *req, struct response *res)
{
    const struct compat_shape *sh = req->route->data;
    json_t *body;
    const char *rt;
    struct token_set t;
    ts_err err = http_body_json(req, res, &body);
    if (err)
        return err;
    if ((err = http_json_str(body, sh->refresh_field, 4000, 1, res, &rt)))
        goto out;
    /* The native API's sessions have no client; this stand-in only carries the
     * profile's rotation setting (lifetimes stay the server's). */
    struct client_rec as = { .refresh_rotation = sh->rotation };
    err = session_refresh(req->app, &as, rt, NULL, NULL, NULL, req->user_agent,
                          req->ip, &t);
    if (!err) {
        err = api_token_response_shaped(res, &t, sh);
        token_set_clear(&t);
    }
out:
    json_decref(body);
    return err;
}

ts_err api_compat_role_me(struct request *req, struct response *res)
{
    const tessera_claims *c = req->auth->claims;
    size_t n = tessera_claims_array_len(c, "roles");
    for (size_t i = 0; i < n; i++) {
        const char *r = tessera_claims_array_string(c, "roles", i);
        if (r && strcmp(r, req->path_param) == 0)
            return api_profile(req, res);
    }
    return http_fail(res, TS_EFORBIDDEN, "This resource is for the role '%.64s'.",
                     req->path_param);
}
