/* SPDX-License-Identifier: Apache-2.0 */
/* /v1/admin/users: list (filtered, paged), create, read, update, delete, and revoking
 * a user's sessions. Creating or changing a password runs on the worker pool. */
#include <stdlib.h>
#include <string.h>

#include "api/admin.h"
#include "core/app.h"
#include "core/password.h"
#include "core/session_admin.h"
#include "core/user.h"

struct page {
    json_t *items;
    int want, n;
    char last[STORE_ID_LEN + 1];
    int more, oom;
};

static int add_user(void *ctx, const struct user_rec *u)
{
    struct page *p = ctx;
    if (p->n == p->want) {
        p->more = 1;
        return 1;
    }
    json_t *j = user_admin_json(u);
    if (!j || json_array_append_new(p->items, j)) {
        p->oom = 1;
        return 1;
    }
    memcpy(p->last, u->id, sizeof p->last);
    p->n++;
    return 0;
}

ts_err admin_users_list(struct request *req, struct response *res)
{
    struct user_filter f = { http_query(req, "email_prefix"), http_query(req, "role"),
                             -1 };
    const char *dis = http_query(req, "disabled");
    char after[STORE_ID_LEN + 1];
    struct page p = { 0 };
    ts_err err;

    if ((err = admin_limit(req, res, &p.want)) ||
        (err = admin_cursor(req, res, "users", after, sizeof after)))
        return err;
    if (dis) {
        if (strcmp(dis, "true") && strcmp(dis, "false"))
            return http_fail(res, TS_EINVAL, "The parameter 'disabled' is true or "
                             "false.");
        f.disabled = !strcmp(dis, "true");
    }
    if ((f.email_prefix && strlen(f.email_prefix) > STORE_EMAIL_LEN) ||
        (f.role && strlen(f.role) > 64))
        return http_fail(res, TS_EINVAL, "A filter parameter is too long.");
    if (!(p.items = json_array()))
        return TS_ENOMEM;
    err = user_list(req->app, &f, after, p.want + 1, add_user, &p);
    if (!err && p.oom)
        err = TS_ENOMEM;
    if (err) {
        json_decref(p.items);
        return err;
    }
    return admin_page_response(res, "users", p.items, "users", p.more ? p.last : NULL);
}

/* The user named by the path, or 404. */
static ts_err path_user(struct request *req, struct response *res, struct user_rec *u)
{
    ts_err err = user_by_id(req->app, req->path_param, u);
    return err == TS_ENOTFOUND ? http_fail(res, err, "No such user.") : err;
}

/* The members of a user body, read and checked; `roles` and `attributes` are malloc'd
 * (NULL when absent). */
struct user_body {
    const char *email, *username, *name, *password;
    int username_null, disabled;
    char *roles, *attributes;
};

static void user_body_clear(struct user_body *b)
{
    free(b->roles);
    free(b->attributes);
}

static ts_err read_body(json_t *body, struct response *res, struct user_body *b)
{
    static const char *const known[] = { "email", "username", "name", "roles",
                                         "attributes", "password", "disabled", NULL };
    ts_err err;

    memset(b, 0, sizeof *b);
    b->disabled = -1;
    if ((err = admin_known_fields(body, known, res)) ||
        (err = http_json_str(body, "email", STORE_EMAIL_LEN, 0, res, &b->email)) ||
        (err = http_json_str(body, "username", 64, 0, res, &b->username)) ||
        (err = http_json_str(body, "name", STORE_NAME_LEN, 0, res, &b->name)) ||
        (err = http_json_str(body, "password", PASSWORD_MAX_LEN, 0, res, &b->password)) ||
        (err = admin_json_bool(body, "disabled", res, &b->disabled)) ||
        (err = admin_json_words(body, "roles", res, &b->roles)))
        return err;
    b->username_null = json_is_null(json_object_get(body, "username"));
    json_t *attrs = json_object_get(body, "attributes");
    if (attrs && !json_is_null(attrs)) {
        if (!json_is_object(attrs))
            return http_fail(res, TS_EINVAL, "The field 'attributes' must be a JSON "
                             "object.");
        if (!(b->attributes = json_dumps(attrs, JSON_COMPACT | JSON_PRESERVE_ORDER)))
            return TS_ENOMEM;
    }
    return TS_OK;
}

static void add_location(struct response *res, const char *kind, const char *id)
{
    char loc[128 + STORE_NAME_LEN];
    snprintf(loc, sizeof loc, "/v1/admin/%s/%s", kind, id);
    http_add_header(res, "Location", loc);
}

ts_err admin_users_create(struct request *req, struct response *res)
{
    struct user_body b;
    struct user_rec u = { 0 };
    struct actor by;
    char why[256] = "";
    json_t *body;
    ts_err err;

    if ((err = http_body_json(req, res, &body)))
        return err;
    if ((err = read_body(body, res, &b)))
        goto out;
    if (!b.email || !*b.email) {
        err = http_fail(res, TS_EINVAL, "The field 'email' is required.");
        goto out;
    }
    if (b.password && http_defer_to_worker(req))
        goto out;                       /* hashing: again on the worker pool */
    admin_actor(req, &by);
    struct user_new n = { b.email, b.username, b.name, b.roles, b.password };
    if ((err = user_add(req->app, &by, &n, b.attributes, b.disabled > 0, &u, why,
                        sizeof why))) {
        err = admin_fail(res, err, why);
        goto out;
    }
    add_location(res, "users", u.id);
    err = http_json(res, 201, user_admin_json(&u));
out:
    user_rec_clear(&u);
    user_body_clear(&b);
    json_decref(body);
    return err;
}

ts_err admin_users_get(struct request *req, struct response *res)
{
    struct user_rec u;
    ts_err err = path_user(req, res, &u);
    if (err)
        return err;
    err = http_json(res, 200, user_admin_json(&u));
    user_rec_clear(&u);
    return err;
}

ts_err admin_users_update(struct request *req, struct response *res)
{
    struct user_body b;
    struct user_rec u = { 0 };
    struct actor by;
    char why[256] = "";
    json_t *body;
    ts_err err;

    if ((err = http_body_json(req, res, &body)))
        return err;
    if ((err = read_body(body, res, &b)))
        goto out;
    if (json_object_size(body) == 0) {
        err = http_fail(res, TS_EINVAL, "The body changes nothing: give at least one of "
                        "email, username, name, roles, attributes, password, disabled.");
        goto out;
    }
    if (b.email && !*b.email) {
        err = http_fail(res, TS_EINVAL, "The field 'email' must not be empty.");
        goto out;
    }
    if (b.password && http_defer_to_worker(req))
        goto out;
    if ((err = path_user(req, res, &u)))
        goto out;
    admin_actor(req, &by);
    struct user_patch p = {
        .email = b.email, .username = b.username_null ? "" : b.username, .name = b.name,
        .roles = b.roles, .attributes_json = b.attributes, .password = b.password,
        .disabled = b.disabled,
    };
    if ((err = user_update(req->app, &by, &u, &p, why, sizeof why))) {
        err = admin_fail(res, err, why);
        goto out;
    }
    err = http_json(res, 200, user_admin_json(&u));
out:
    user_rec_clear(&u);
    user_body_clear(&b);
    json_decref(body);
    return err;
}

ts_err admin_users_delete(struct request *req, struct response *res)
{
    struct user_rec u;
    struct actor by;
    ts_err err = path_user(req, res, &u);
    if (err)
        return err;
    admin_actor(req, &by);
    if ((err = user_delete(req->app, &by, &u)) == TS_ECONFLICT)
        err = http_fail(res, err, "You cannot delete your own account.");
    else if (err == TS_ENOTFOUND)
        err = http_fail(res, err, "No such user.");
    if (!err)
        http_no_content(res);
    user_rec_clear(&u);
    return err;
}

ts_err admin_users_revoke_sessions(struct request *req, struct response *res)
{
    struct user_rec u;
    struct actor by;
    int n = 0;
    ts_err err = path_user(req, res, &u);
    if (err)
        return err;
    admin_actor(req, &by);
    err = session_admin_revoke_user(req->app, &by, u.id, &n);
    user_rec_clear(&u);
    return err ? err : http_json(res, 200, json_pack("{s:i}", "revoked", n));
}
