/* The token response shared by login and refresh. */
#include "api/api.h"
#include "core/session.h"
#include "core/user.h"

ts_err api_token_response(struct response *res, const struct token_set *t, int with_user)
{
    json_t *o = json_pack("{s:s, s:s?, s:s, s:i, s:s}",
                          "access_token", t->access_token,
                          "refresh_token", t->refresh_token[0] ? t->refresh_token : NULL,
                          "token_type", "Bearer", "expires_in", (int)t->expires_in,
                          "scope", t->scope);
    if (!o)
        return TS_ENOMEM;
    if (!t->refresh_token[0])
        json_object_del(o, "refresh_token");
    if (with_user && json_object_set_new(o, "user", user_to_json(&t->user)) != 0) {
        json_decref(o);
        return TS_ENOMEM;
    }
    return http_json(res, 200, o);
}
