/* SPDX-License-Identifier: Apache-2.0 */
/* A request from its route row to its answer: requirements, handler, error envelope. */
#include "http/exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "http/client_auth.h"

/* RFC 6749 5.2: where an OAuth error's meaning is written down. */
#define OAUTH_ERROR_URI "https://datatracker.ietf.org/doc/html/rfc6749#section-5.2"

static void set_bearer_challenge(struct response *res, ts_err e)
{
    char v[400];
    if (e == TS_ENOTOKEN) {
        snprintf(v, sizeof v, "Bearer realm=\"tessera\"");
    } else {
        /* RFC 6750 3: error_description is a quoted string without '"' or '\'. */
        char desc[256];
        const char *d = res->error_description[0] ? res->error_description
                                                  : ts_err_description(e);
        size_t j = 0;
        for (size_t i = 0; d[i] && j < sizeof desc - 1; i++)
            if (d[i] != '"' && d[i] != '\\')
                desc[j++] = d[i];
        desc[j] = '\0';
        snprintf(v, sizeof v, "Bearer realm=\"tessera\", error=\"%s\", "
                 "error_description=\"%s\"", ts_err_code(e), desc);
    }
    http_add_header(res, "WWW-Authenticate", v);
}

static int has_header(const struct response *res, const char *name)
{
    for (int i = 0; i < res->nheaders; i++)
        if (!strcasecmp(res->headers[i].name, name))
            return 1;
    return 0;
}

void exchange_error(struct exchange *x, ts_err e)
{
    struct response *res = &x->res;
    const struct route *rt = x->req.route;
    const char *desc = res->error_description[0] ? res->error_description
                                                 : ts_err_description(e);
    int oauth = rt && (rt->flags & ROUTE_OAUTH);
    int bare = e == TS_ECLIENT && rt && (rt->flags & ROUTE_BARE_CLIENT_ERROR);
    json_t *body = bare ? json_pack("{s:s}", "error", ts_err_code(e))
                        : json_pack("{s:s, s:s, s:s*}", "error", ts_err_code(e),
                                    "error_description", desc,
                                    "error_uri", oauth ? OAUTH_ERROR_URI : NULL);
    /* A sentence that quotes the request's own bytes may not be UTF-8 (a path id of
     * %FF): then the error's default sentence, not a failed answer. */
    if (!body && !bare)
        body = json_pack("{s:s, s:s, s:s*}", "error", ts_err_code(e), "error_description",
                         ts_err_description(e), "error_uri",
                         oauth ? OAUTH_ERROR_URI : NULL);
    if (http_json(res, ts_err_status(e), body) != TS_OK) {
        res->status = 503;
        res->body = NULL;
        res->body_len = 0;
    }
    if (e == TS_EMETHOD)
        http_add_header(res, "Allow", x->allow);
    if ((e == TS_ENOTOKEN || e == TS_ETOKEN || e == TS_EFORBIDDEN) && rt &&
        (rt->auth == AUTH_BEARER || rt->auth == AUTH_USER ||
         (rt->flags & ROUTE_CHALLENGE)))
        set_bearer_challenge(res, e);
    if (e == TS_ECLIENT && x->used_basic)
        http_add_header(res, "WWW-Authenticate", "Basic realm=\"tessera\", "
                        "charset=\"UTF-8\"");
    /* RFC 9110 15.5.2: every 401 names a challenge. The routes that take their
     * credentials in the body (login, refresh, a client's form credentials) name the
     * scheme "Tessera", which no browser answers with a password dialog. */
    if (res->status == 401 && !has_header(res, "WWW-Authenticate")) {
        char v[96];
        snprintf(v, sizeof v, "Tessera realm=\"tessera\", error=\"%s\"", ts_err_code(e));
        http_add_header(res, "WWW-Authenticate", v);
    }
    if ((e == TS_ELIMIT || e == TS_EBUSY) && res->retry_after <= 0)
        res->retry_after = 1;
}

/* Reads "Bearer <token>" and authenticates it; ENOTOKEN when absent. An AUTH_USER
 * route refuses a client's token here, before any handler reads `sub` as a user id. */
static ts_err authenticate(struct exchange *x, enum route_auth need)
{
    ts_err e = http_bearer(&x->req, &x->res, &x->auth);
    if (e)
        return e;
    if (need == AUTH_USER && x->auth.kind != AUTH_KIND_USER) {
        auth_clear(&x->auth);
        return http_fail(&x->res, TS_EFORBIDDEN, "This endpoint is for a user's access "
                         "token; a client's client_credentials token has no user.");
    }
    x->req.auth = &x->auth;
    return TS_OK;
}

ts_err exchange_admit(struct exchange *x)
{
    const struct route *rt = x->req.route;
    ts_err e = TS_OK;
    if (rt->content_type && strcmp(rt->content_type, HTTP_FORM) == 0) {
        e = http_form_parse(x->req.body, x->req.body_len, &x->form,
                            x->res.error_description, sizeof x->res.error_description);
        x->req.form = &x->form;
    }
    if (!e && (rt->auth == AUTH_BEARER || rt->auth == AUTH_USER))
        e = authenticate(x, rt->auth);
    if (!e && rt->auth == AUTH_CLIENT) {
        e = http_client_auth(&x->req, &x->res, &x->client, &x->used_basic);
        if (!e)
            x->req.client = &x->client;
    }
    return e;
}

int exchange_run(struct exchange *x)
{
    ts_err e = x->req.route->handler(&x->req, &x->res);
    if (x->req.defer && !x->req.on_worker && e == TS_OK)
        return 1;               /* to be run again on the worker pool */
    if (e == TS_OK && x->res.status == 0)
        e = TS_EINTERNAL;       /* a handler must say what it answers */
    if (e != TS_OK) {
        if (ts_err_status(e) >= 500)
            log_msg("error", "%s %s failed: %s", x->req.method, x->req.path,
                    ts_err_name(e));
        exchange_error(x, e);
    }
    return 0;
}

void exchange_clear(struct exchange *x)
{
    auth_clear(&x->auth);
    http_form_free(&x->form);
    client_rec_clear(&x->client);
    free(x->res.body);
    x->res.body = NULL;
    x->res.body_len = 0;
}
