/* SPDX-License-Identifier: Apache-2.0 */
/* /v1/admin/clients: list (paged), create (the secret shown once), read, update,
 * delete, and rotating the secret (the new one shown once). Never a secret's hash. */
#include <stdlib.h>
#include <string.h>

#include "api/admin.h"
#include "core/app.h"
#include "core/client.h"
#include "base/secret.h"

#define MAX_TTL (10L * 365 * 24 * 3600)

struct page {
    json_t *items;
    int want, n;
    char last[STORE_CLIENT_ID_LEN + 1];
    int more, oom;
};

static int add_client(void *ctx, const struct client_rec *c)
{
    struct page *p = ctx;
    if (p->n == p->want) {
        p->more = 1;
        return 1;
    }
    json_t *j = client_to_json(c);
    if (!j || json_array_append_new(p->items, j)) {
        p->oom = 1;
        return 1;
    }
    memcpy(p->last, c->id, sizeof p->last);
    p->n++;
    return 0;
}

ts_err admin_clients_list(struct request *req, struct response *res)
{
    char after[STORE_CLIENT_ID_LEN + 1];
    struct page p = { 0 };
    ts_err err;

    if ((err = admin_limit(req, res, &p.want)) ||
        (err = admin_cursor(req, res, "clients", after, sizeof after)))
        return err;
    if (!(p.items = json_array()))
        return TS_ENOMEM;
    err = client_list(req->app, after, p.want + 1, add_client, &p);
    if (!err && p.oom)
        err = TS_ENOMEM;
    if (err) {
        json_decref(p.items);
        return err;
    }
    return admin_page_response(res, "clients", p.items, "clients",
                               p.more ? p.last : NULL);
}

static ts_err path_client(struct request *req, struct response *res, struct client_rec *c)
{
    ts_err err = client_get(req->app, req->path_param, c);
    return err == TS_ENOTFOUND ? http_fail(res, err, "No such client.") : err;
}

/* The members of a client body, read and checked: what client_new and client_patch
 * both take. The lists are malloc'd (NULL when absent). */
struct client_body {
    const char *id, *name, *auth_method, *dn, *x5t;
    const char *backchannel, *id_token_alg;
    char *grants, *scopes, *roles, *audiences;
    char *redirect_uris, *post_logout_uris;      /* space-separated */
    int first_party;                             /* -1 absent */
    char *methods;                               /* the auth method(s) */
    int is_public, disabled, rotation;           /* -1 absent; rotation -2 absent */
    long access_ttl, refresh_ttl, idle_ttl;      /* -1 absent */
};

static void client_body_clear(struct client_body *b)
{
    free(b->grants);
    free(b->scopes);
    free(b->roles);
    free(b->audiences);
    free(b->methods);
    free(b->redirect_uris);
    free(b->post_logout_uris);
}

static ts_err read_body(json_t *body, struct response *res, int create,
                        struct client_body *b)
{
    static const char *const create_fields[] = {
        "client_id", "name", "grant_types", "scopes", "roles",
        "token_endpoint_auth_method", "token_endpoint_auth_methods", "public",
        "disabled", "refresh_rotation",
        "access_ttl", "refresh_ttl", "refresh_idle_ttl", "tls_client_auth_subject_dn",
        "tls_client_auth_x5t_s256", "audiences", "redirect_uris",
        "post_logout_redirect_uris", "first_party", "backchannel_logout_uri",
        "id_token_signed_response_alg", NULL,
    };
    const char *rotation = NULL;
    ts_err err;

    memset(b, 0, sizeof *b);
    b->rotation = -2;
    /* client_id and public are fixed once the client exists. */
    if ((err = admin_known_fields(body, create ? create_fields : create_fields + 1, res)))
        return err;
    if (!create && json_object_get(body, "public"))
        return http_fail(res, TS_EINVAL, "A client cannot change between public and "
                         "confidential; create a new client.");
    if ((create &&
         (err = http_json_str(body, "client_id", STORE_CLIENT_ID_LEN, 0, res, &b->id))) ||
        (err = http_json_str(body, "name", STORE_NAME_LEN, 0, res, &b->name)) ||
        (err = http_json_str(body, "token_endpoint_auth_method", 47, 0, res,
                             &b->auth_method)) ||
        (err = http_json_str(body, "tls_client_auth_subject_dn", 511, 0, res, &b->dn)) ||
        (err = http_json_str(body, "tls_client_auth_x5t_s256", 63, 0, res, &b->x5t)) ||
        (err = http_json_str(body, "refresh_rotation", 16, 0, res, &rotation)) ||
        (err = admin_json_bool(body, "public", res, &b->is_public)) ||
        (err = admin_json_bool(body, "disabled", res, &b->disabled)) ||
        (err = admin_json_int(body, "access_ttl", 0, MAX_TTL, res, &b->access_ttl)) ||
        (err = admin_json_int(body, "refresh_ttl", 0, MAX_TTL, res, &b->refresh_ttl)) ||
        (err = admin_json_int(body, "refresh_idle_ttl", 0, MAX_TTL, res, &b->idle_ttl)) ||
        (err = admin_json_words(body, "grant_types", res, &b->grants)) ||
        (err = admin_json_words(body, "scopes", res, &b->scopes)) ||
        (err = admin_json_words(body, "roles", res, &b->roles)) ||
        (err = admin_json_words(body, "audiences", res, &b->audiences)) ||
        (err = admin_json_words(body, "token_endpoint_auth_methods", res, &b->methods)) ||
        (err = admin_json_uris(body, "redirect_uris", res, &b->redirect_uris)) ||
        (err = admin_json_uris(body, "post_logout_redirect_uris", res, &b->post_logout_uris)) ||
        (err = admin_json_bool(body, "first_party", res, &b->first_party)) ||
        (err = http_json_str(body, "backchannel_logout_uri", 511, 0, res,
                             &b->backchannel)) ||
        (err = http_json_str(body, "id_token_signed_response_alg", 15, 0, res,
                             &b->id_token_alg)))
        return err;
    /* One method pins the client to it; the list says every method it accepts. */
    if (b->auth_method && b->methods)
        return http_fail(res, TS_EINVAL, "Give 'token_endpoint_auth_method' (one method) "
                         "or 'token_endpoint_auth_methods' (the list), not both.");
    if (b->auth_method && strpbrk(b->auth_method, " ,"))
        return http_fail(res, TS_EINVAL, "The field 'token_endpoint_auth_method' is one "
                         "method; 'token_endpoint_auth_methods' lists several.");
    if (b->methods && !b->methods[0])
        return http_fail(res, TS_EINVAL, "The field 'token_endpoint_auth_methods' needs "
                         "at least one method.");
    if (!b->auth_method)
        b->auth_method = b->methods;
    if (rotation) {
        if (!strcmp(rotation, "on"))
            b->rotation = 1;
        else if (!strcmp(rotation, "off"))
            b->rotation = 0;
        else if (!strcmp(rotation, "default"))
            b->rotation = -1;
        else
            return http_fail(res, TS_EINVAL, "The field 'refresh_rotation' is \"on\", "
                             "\"off\" or \"default\".");
    }
    return TS_OK;
}

/* 201/200 with the client and, when there is one, its new secret: the only time the
 * secret is shown. */
static ts_err answer(struct response *res, int status, const struct client_rec *c,
                     const char *secret)
{
    json_t *j = client_to_json(c);
    if (j && secret[0] && json_object_set_new(j, "client_secret", json_string(secret))) {
        json_decref(j);
        j = NULL;
    }
    return http_json(res, status, j);
}

ts_err admin_clients_create(struct request *req, struct response *res)
{
    struct client_body b;
    struct client_rec c = { 0 };
    char secret[SECRET_TOKEN_CHARS + 1] = "", why[256] = "";
    struct actor by;
    json_t *body;
    ts_err err;

    if ((err = http_body_json(req, res, &body)))
        return err;
    if ((err = read_body(body, res, 1, &b)))
        goto out;
    if (!b.name || !*b.name) {
        err = http_fail(res, TS_EINVAL, "The field 'name' is required.");
        goto out;
    }
    struct client_new n = {
        .name = b.name, .id = b.id && *b.id ? b.id : NULL, .grants = b.grants,
        .scopes = b.scopes, .roles = b.roles, .auth_method = b.auth_method,
        .is_public = b.is_public > 0, .disabled = b.disabled > 0,
        .refresh_rotation = b.rotation >= -1 ? b.rotation : -1,
        .access_ttl = b.access_ttl > 0 ? b.access_ttl : 0,
        .refresh_ttl = b.refresh_ttl > 0 ? b.refresh_ttl : 0,
        .refresh_idle_ttl = b.idle_ttl > 0 ? b.idle_ttl : 0,
        .tls_subject_dn = b.dn, .tls_thumbprint = b.x5t, .audiences = b.audiences,
        .redirect_uris = b.redirect_uris, .post_logout_redirect_uris = b.post_logout_uris,
        .first_party = b.first_party > 0, .backchannel_logout_uri = b.backchannel,
        .id_token_alg = b.id_token_alg,
    };
    admin_actor(req, &by);
    if ((err = client_create(req->app, &by, &n, &c, secret, why, sizeof why))) {
        err = admin_fail(res, err, why);
        goto out;
    }
    char loc[64 + STORE_CLIENT_ID_LEN];
    snprintf(loc, sizeof loc, "/v1/admin/clients/%s", c.id);
    http_add_header(res, "Location", loc);
    err = answer(res, 201, &c, secret);
out:
    secret_wipe(secret, sizeof secret);
    client_rec_clear(&c);
    client_body_clear(&b);
    json_decref(body);
    return err;
}

ts_err admin_clients_get(struct request *req, struct response *res)
{
    struct client_rec c;
    ts_err err = path_client(req, res, &c);
    if (err)
        return err;
    err = http_json(res, 200, client_to_json(&c));
    client_rec_clear(&c);
    return err;
}

ts_err admin_clients_update(struct request *req, struct response *res)
{
    struct client_body b;
    struct client_rec c = { 0 };
    char why[256] = "";
    struct actor by;
    json_t *body;
    ts_err err;

    if ((err = http_body_json(req, res, &body)))
        return err;
    if ((err = read_body(body, res, 0, &b)))
        goto out;
    if (json_object_size(body) == 0) {
        err = http_fail(res, TS_EINVAL, "The body changes nothing: give at least one "
                        "field to change.");
        goto out;
    }
    if ((err = path_client(req, res, &c)))
        goto out;
    struct client_patch p = {
        .name = b.name, .grants = b.grants, .scopes = b.scopes, .roles = b.roles,
        .auth_method = b.auth_method, .tls_subject_dn = b.dn, .tls_thumbprint = b.x5t,
        .disabled = b.disabled, .refresh_rotation = b.rotation,
        .access_ttl = b.access_ttl, .refresh_ttl = b.refresh_ttl,
        .refresh_idle_ttl = b.idle_ttl, .audiences = b.audiences,
        .redirect_uris = b.redirect_uris, .post_logout_redirect_uris = b.post_logout_uris,
        .first_party = b.first_party, .backchannel_logout_uri = b.backchannel,
        .id_token_alg = b.id_token_alg,
    };
    admin_actor(req, &by);
    if ((err = client_update(req->app, &by, &c, &p, why, sizeof why))) {
        err = admin_fail(res, err, why);
        goto out;
    }
    err = http_json(res, 200, client_to_json(&c));
out:
    client_rec_clear(&c);
    client_body_clear(&b);
    json_decref(body);
    return err;
}

ts_err admin_clients_delete(struct request *req, struct response *res)
{
    struct client_rec c;
    struct actor by;
    ts_err err = path_client(req, res, &c);
    if (err)
        return err;
    admin_actor(req, &by);
    if ((err = client_delete(req->app, &by, &c)) == TS_ENOTFOUND)
        err = http_fail(res, err, "No such client.");
    if (!err)
        http_no_content(res);
    client_rec_clear(&c);
    return err;
}

ts_err admin_clients_rotate_secret(struct request *req, struct response *res)
{
    struct client_rec c;
    char secret[SECRET_TOKEN_CHARS + 1] = "";
    struct actor by;
    ts_err err = path_client(req, res, &c);
    if (err)
        return err;
    admin_actor(req, &by);
    err = client_rotate_secret(req->app, &by, &c, secret);
    if (err == TS_EINVAL)
        err = http_fail(res, TS_ECONFLICT, "This client authenticates with %s: it has no "
                        "secret to rotate.", c.auth_method);
    if (!err)
        err = http_json(res, 200, json_pack("{s:s, s:s}", "client_id", c.id,
                                            "client_secret", secret));
    secret_wipe(secret, sizeof secret);
    client_rec_clear(&c);
    return err;
}
