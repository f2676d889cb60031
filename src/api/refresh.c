/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/auth/refresh: a refresh token in, a new access token (and refresh token). */
#include <string.h>

#include "api/api.h"
#include "core/session.h"

ts_err api_refresh(struct request *req, struct response *res)
{
    json_t *body;
    const char *rt, *alias;
    struct token_set t;
    ts_err err = http_body_json(req, res, &body);
    if (err)
        return err;
    if ((err = http_json_str(body, "refresh_token", 4000, 0, res, &rt)) ||
        (err = http_json_str(body, "refreshToken", 4000, 0, res, &alias)))
        goto out;
    if (!rt || !*rt)
        rt = alias;
    if (!rt || !*rt) {
        err = http_fail(res, TS_EINVAL, "The field 'refresh_token' is required.");
        goto out;
    }
    err = session_refresh(req->app, NULL, rt, NULL, NULL, NULL, req->user_agent, req->ip,
                          &t);
    if (!err) {
        err = api_token_response(res, &t);
        token_set_clear(&t);
    }
out:
    json_decref(body);
    return err;
}
