/* SPDX-License-Identifier: Apache-2.0 */
/* Logout, the user's sessions, and password change (the last on the worker pool). */
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/password.h"
#include "core/session.h"
#include "core/user.h"

ts_err api_logout(struct request *req, struct response *res)
{
    int all = 0;
    if (req->body_len) {
        json_t *body;
        ts_err err = http_body_json(req, res, &body);
        if (err)
            return err;
        json_t *v = json_object_get(body, "all");
        if (v && !json_is_boolean(v)) {
            json_decref(body);
            return http_fail(res, TS_EINVAL, "The field 'all' must be true or false.");
        }
        all = json_is_true(v);
        json_decref(body);
    }
    ts_err err = session_logout(req->app, req->auth, all, req->ip);
    if (!err)
        http_no_content(res);
    return err;
}

struct list_ctx {
    json_t *arr;
    const char *current;
    int oom;
};

static int add_session(void *ctx, const struct session_rec *s)
{
    struct list_ctx *x = ctx;
    char created[32], used[32];
    user_time(s->created_at, created);
    user_time(s->last_used_at, used);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:b}",
                          "id", s->id, "created_at", created, "last_used_at", used,
                          "client_id", s->client_id[0] ? s->client_id : NULL,
                          "user_agent", s->user_agent, "ip", s->ip,
                          "current", x->current && strcmp(x->current, s->id) == 0);
    if (!o || json_array_append_new(x->arr, o)) {
        x->oom = 1;
        return 1;
    }
    return 0;
}

ts_err api_sessions_list(struct request *req, struct response *res)
{
    struct list_ctx x = { json_array(), req->auth->sid, 0 };
    if (!x.arr)
        return TS_ENOMEM;
    ts_err err = session_list(req->app, req->auth->sub, add_session, &x);
    if (!err && x.oom)
        err = TS_ENOMEM;
    if (err) {
        json_decref(x.arr);
        return err;
    }
    return http_json(res, 200, json_pack("{s:o}", "sessions", x.arr));
}

ts_err api_sessions_delete(struct request *req, struct response *res)
{
    /* Another user's session is "not found", never "forbidden": ids do not leak. */
    ts_err err = session_end(req->app, req->auth, req->path_param, req->ip);
    if (err == TS_ENOTFOUND)
        return http_fail(res, TS_ENOTFOUND, "No such session.");
    if (!err)
        http_no_content(res);
    return err;
}

ts_err api_password(struct request *req, struct response *res)
{
    json_t *body;
    const char *cur, *next;
    ts_err err = http_body_json(req, res, &body);
    if (err)
        return err;
    if ((err = http_json_str(body, "current_password", PASSWORD_MAX_LEN, 1, res, &cur)) ||
        (err = http_json_str(body, "new_password", PASSWORD_MAX_LEN, 1, res, &next)))
        goto out;
    err = session_change_password(req->app, req->auth, cur, next, req->ip,
                                  &res->retry_after, res->error_description,
                                  sizeof res->error_description);
    if (!err)
        http_no_content(res);
out:
    json_decref(body);
    return err;
}
