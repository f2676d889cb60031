/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/auth/profile and /v1/auth/me: the user behind the token. */
#include "api/api.h"
#include "core/app.h"
#include "core/user.h"
#include "core/token.h"

ts_err api_profile(struct request *req, struct response *res)
{
    struct user_rec u = { 0 };
    ts_err err = user_by_id(req->app, req->auth->sub, &u);
    if (err == TS_ENOTFOUND)
        return http_fail(res, TS_ETOKEN, "The user of this token no longer exists.");
    if (!err)
        err = http_json(res, 200, user_to_json(&u));
    user_rec_clear(&u);
    return err;
}
