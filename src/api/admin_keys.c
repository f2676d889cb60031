/* SPDX-License-Identifier: Apache-2.0 */
/* /v1/admin/keys: the signing keys and their state (never private material),
 * rotation and retirement. Changes apply to this server at once. */
#include <string.h>

#include "api/admin.h"
#include "core/app.h"
#include "core/key_admin.h"

struct list_ctx {
    json_t *items;
    const char *only;          /* a kid, or NULL for every key */
    int found, oom;
};

static int add_key(void *ctx, const struct key_info *k)
{
    struct list_ctx *x = ctx;
    if (x->only && strcmp(x->only, k->rec->kid) != 0)
        return 0;
    json_t *j = key_admin_json(k);
    if (!j || json_array_append_new(x->items, j)) {
        x->oom = 1;
        return 1;
    }
    x->found = 1;
    return x->only != NULL;
}

/* The keys (all, or the one `kid` names) as a JSON array in *out. */
static ts_err collect(struct request *req, const char *kid, json_t **out)
{
    struct list_ctx x = { json_array(), kid, 0, 0 };
    if (!x.items)
        return TS_ENOMEM;
    ts_err err = key_admin_list(req->app, 1, add_key, &x);
    if (!err && x.oom)
        err = TS_ENOMEM;
    if (err) {
        json_decref(x.items);
        return err;
    }
    *out = x.items;
    return TS_OK;
}

ts_err admin_keys_list(struct request *req, struct response *res)
{
    json_t *keys;
    ts_err err = collect(req, NULL, &keys);
    return err ? err : http_json(res, 200, json_pack("{s:o}", "keys", keys));
}

/* The key `kid` as an answer with `status`, or 404. */
static ts_err answer_key(struct request *req, struct response *res, const char *kid,
                         int status)
{
    json_t *keys;
    ts_err err = collect(req, kid, &keys);
    if (err)
        return err;
    if (json_array_size(keys) == 0) {
        json_decref(keys);
        return http_fail(res, TS_ENOTFOUND, "No such key.");
    }
    json_t *k = json_incref(json_array_get(keys, 0));
    json_decref(keys);
    return http_json(res, status, k);
}

ts_err admin_keys_get(struct request *req, struct response *res)
{
    return answer_key(req, res, req->path_param, 200);
}

ts_err admin_keys_rotate(struct request *req, struct response *res)
{
    static const char *const known[] = { "alg", "now", NULL };
    const char *alg = NULL;
    int now = -1;
    char kid[65], why[256];
    json_t *body = NULL;
    struct actor by;
    ts_err err;

    if (req->body_len) {
        if ((err = http_body_json(req, res, &body)))
            return err;
        if ((err = admin_known_fields(body, known, res)) ||
            (err = http_json_str(body, "alg", 15, 0, res, &alg)) ||
            (err = admin_json_bool(body, "now", res, &now)))
            goto out;
    }
    snprintf(why, sizeof why, "%s", alg ? alg : "");
    admin_actor(req, &by);
    err = key_admin_rotate(req->app, &by, alg, now > 0, kid, NULL);
    if (err == TS_EINVAL) {
        err = http_fail(res, err, "Unknown algorithm '%.15s': ES256, EdDSA, RS256 or "
                        "PS256.", why);
        goto out;
    }
    if (!err)
        err = answer_key(req, res, kid, 201);
out:
    json_decref(body);
    return err;
}

ts_err admin_keys_retire(struct request *req, struct response *res)
{
    char why[256] = "";
    struct actor by;
    admin_actor(req, &by);
    ts_err err = key_admin_retire(req->app, &by, req->path_param, why, sizeof why);
    if (err)
        return admin_fail(res, err, why);
    return answer_key(req, res, req->path_param, 200);
}
