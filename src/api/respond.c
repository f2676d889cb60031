/* SPDX-License-Identifier: Apache-2.0 */
/* The token responses: the native one, and any compat profile's shape. */
#include <stdlib.h>

#include "api/api.h"
#include "base/jsonw.h"
#include "core/session.h"
#include "core/user.h"

ts_err api_token_response(struct response *res, const struct token_set *t)
{
    /* The hot path (token endpoint, refresh): written without a JSON tree. */
    struct jw w;
    size_t len;
    jw_init(&w);
    jw_open(&w);
    jw_str(&w, "access_token", t->access_token);
    if (t->refresh_token[0])
        jw_str(&w, "refresh_token", t->refresh_token);
    jw_str(&w, "token_type", "Bearer");
    jw_int(&w, "expires_in", t->expires_in);
    jw_str(&w, "scope", t->scope);
    if (t->id_token)
        jw_str(&w, "id_token", t->id_token);
    jw_close(&w);
    char *body = jw_finish(&w, &len);
    if (!body)
        return TS_ENOMEM;
    free(res->body);
    res->body = body;
    res->body_len = len;
    res->content_type = "application/json";
    res->status = 200;
    return TS_OK;
}

ts_err api_token_response_shaped(struct response *res, const struct token_set *t,
                                 const struct compat_shape *shape)
{
    if (!shape)
        return api_token_response(res, t);
    json_t *o = json_object();
    int bad = !o;
    if (!bad) {
        bad |= json_object_set_new(o, shape->access_key, json_string(t->access_token));
        if ((shape->out & COMPAT_REFRESH) && t->refresh_token[0])
            bad |= json_object_set_new(o, "refresh_token", json_string(t->refresh_token));
        if (shape->out & COMPAT_TYPE)
            bad |= json_object_set_new(o, "token_type", json_string("Bearer"));
        if (shape->out & COMPAT_EXPIRES)
            bad |= json_object_set_new(o, "expires_in", json_integer(t->expires_in));
        if (shape->out & COMPAT_SCOPE)
            bad |= json_object_set_new(o, "scope", json_string(t->scope));
        if (shape->out & COMPAT_USER)
            bad |= json_object_set_new(o, "user", user_to_json(&t->user));
    }
    if (bad) {
        json_decref(o);
        return TS_ENOMEM;
    }
    return http_json(res, 200, o);
}
