/* SPDX-License-Identifier: Apache-2.0 */
/* Handlers in process: an app, the route tables, a request from arrays (harness.h). */
#include "handler_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"
#include "base/text.h"
#include "core/audit.h"
#include "core/client.h"
#include "core/config.h"
#include "core/user.h"
#include "http/exchange.h"
#include "http/router.h"
#include "routes/routes.h"

struct harness {
    struct app *app;
    struct router router;
    char dir[64];
    char path[128];
    unsigned long next_id;
};

/* The request's lines: [HTTP_KIND_HEADER] and [HTTP_KIND_QUERY], in order. */
#define MAX_LINES 32
struct source {
    struct { char *name, *value; } line[2][MAX_LINES];
    int n[2];
};

static void source_each(void *src, enum http_kind kind, http_line_fn fn, void *cls)
{
    struct source *s = src;
    for (int i = 0; i < s->n[kind]; i++)
        if (fn(cls, s->line[kind][i].name, s->line[kind][i].value))
            return;
}

/* Plain HTTP: no TLS session. */
static const struct request_io source_io = { source_each, NULL };

static void source_free(struct source *s)
{
    if (!s)
        return;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < s->n[k]; i++) {
            free(s->line[k][i].name);
            free(s->line[k][i].value);
        }
    free(s);
}

static int source_add(struct source *s, enum http_kind kind, char *name, char *value)
{
    if (!name || s->n[kind] == MAX_LINES) {
        free(name);
        free(value);
        return -1;
    }
    s->line[kind][s->n[kind]].name = name;
    s->line[kind][s->n[kind]].value = value;
    s->n[kind]++;
    return 0;
}

/* n bytes of a query string piece, '+' and %XX decoded; NULL for a bad escape. */
static char *decoded(const char *p, size_t n)
{
    char *out = malloc(n + 1);
    size_t len;
    if (out && http_form_decode(p, n, out, &len) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* "a=1&b&c=%20": a argument without '=' has the value NULL, as in libmicrohttpd. */
static int parse_query(struct source *s, const char *q)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        const char *eq = memchr(q, '=', n);
        if (n) {
            char *name = decoded(q, eq ? (size_t)(eq - q) : n), *value = NULL;
            if (eq && !(value = decoded(eq + 1, n - (size_t)(eq + 1 - q)))) {
                free(name);
                return -1;
            }
            if (source_add(s, HTTP_KIND_QUERY, name, value))
                return -1;
        }
        q += n + (q[n] == '&');
    }
    return 0;
}

/* "Name: value", the value without surrounding blanks. */
static int parse_header(struct source *s, const char *line)
{
    const char *colon = strchr(line, ':');
    if (!colon)
        return -1;
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    char *value = strndup(v, n);
    if (!value)
        return -1;
    return source_add(s, HTTP_KIND_HEADER, strndup(line, (size_t)(colon - line)), value);
}

struct harness *harness_new(const char *const *sets)
{
    static const char *const defaults[] = {
        "server.issuer=http://tessera.test",
        "passwords.argon2_memory_kib=64",       /* a test's hashes need no strength */
        "passwords.argon2_iterations=1",
        NULL
    };
    struct harness *h = calloc(1, sizeof *h);
    struct config *cfg = malloc(sizeof *cfg);
    char err[512], url[160];

    if (!h || !cfg)
        goto fail;
    log_quiet(1);                /* the audit and migration lines; answers say enough */
    snprintf(h->dir, sizeof h->dir, "/tmp/test_handlers.XXXXXX");
    if (!mkdtemp(h->dir)) {
        h->dir[0] = '\0';
        goto fail;
    }
    snprintf(h->path, sizeof h->path, "%s/t.db", h->dir);
    snprintf(url, sizeof url, "sqlite:%s", h->path);
    config_defaults(cfg);
    for (int i = 0; defaults[i]; i++)
        if (config_set(cfg, defaults[i], err, sizeof err))
            goto fail_err;
    for (int i = 0; sets && sets[i]; i++)
        if (config_set(cfg, sets[i], err, sizeof err))
            goto fail_err;
    if (config_set_database(cfg, url, err, sizeof err) || config_finish(cfg, err, sizeof err))
        goto fail_err;
    if (app_open(cfg, APP_MIGRATE | APP_KEYS, &h->app, err, sizeof err))
        goto fail_err;
    free(cfg);
    router_mount(&h->router, native_routes);
    router_mount(&h->router, oauth2_routes);
    router_mount(&h->router, wellknown_routes);
    router_mount(&h->router, admin_routes);
    return h;
fail_err:
    fprintf(stderr, "harness: %s\n", err);
fail:
    free(cfg);
    harness_free(h);
    return NULL;
}

void harness_free(struct harness *h)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    char p[160];
    if (!h)
        return;
    app_close(h->app);
    if (h->dir[0]) {
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            snprintf(p, sizeof p, "%s%s", h->path, suffixes[i]);
            unlink(p);
        }
        rmdir(h->dir);
    }
    free(h);
}

struct app *harness_app(struct harness *h)
{
    return h->app;
}

static void out_header(struct hres *out, const char *name, const char *value)
{
    if (out->nheaders == HRES_MAX_HEADERS)
        return;
    snprintf(out->headers[out->nheaders].name, sizeof out->headers[0].name, "%s", name);
    snprintf(out->headers[out->nheaders].value, sizeof out->headers[0].value, "%s", value);
    out->nheaders++;
}

/* The answer as server.c's send_response() puts it on the wire. */
static int copy_answer(const struct exchange *x, struct hres *out)
{
    const struct response *res = &x->res;
    out->status = res->status;
    if (!(out->body = malloc(res->body_len + 1)))
        return -1;
    if (res->body_len)
        memcpy(out->body, res->body, res->body_len);
    out->body[res->body_len] = '\0';
    if (res->content_type) {
        out_header(out, "Content-Type", res->content_type);
        if (!strcmp(res->content_type, "application/json"))
            out->json = json_loadb(out->body, res->body_len, 0, NULL);
    }
    if (x->req.route && (x->req.route->flags & ROUTE_NO_STORE)) {
        out_header(out, "Cache-Control", "no-store");
        out_header(out, "Pragma", "no-cache");
    }
    for (int i = 0; i < res->nheaders; i++)
        out_header(out, res->headers[i].name, res->headers[i].value);
    if (res->retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%ld", res->retry_after);
        out_header(out, "Retry-After", ra);
    }
    return 0;
}

int harness_run(struct harness *h, const struct hreq *rq, struct hres *out)
{
    struct exchange *x = calloc(1, sizeof *x);
    struct source *src = calloc(1, sizeof *src);
    char *path = strdup(rq->path), *q;
    char param[STORE_NAME_LEN + 1];
    const struct route *rt = NULL;
    const char *p;
    size_t plen;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (!x || !src || !path)
        goto done;
    if ((q = strchr(path, '?'))) {
        *q++ = '\0';
        if (parse_query(src, q))
            goto done;
    }
    for (int i = 0; rq->headers && rq->headers[i]; i++)
        if (parse_header(src, rq->headers[i]))
            goto done;

    struct request *req = &x->req;
    req->app = h->app;
    req->method = rq->method;
    req->path = path;
    req->io = &source_io;
    req->io_src = src;
    req->body = rq->body;
    req->body_len = rq->body ? strlen(rq->body) : 0;
    snprintf(req->request_id, sizeof req->request_id, "test-%lu", ++h->next_id);
    snprintf(req->ip, sizeof req->ip, "%s", rq->ip ? rq->ip : "127.0.0.1");
    const char *ua = http_header(req, "User-Agent");
    text_clean(ua ? ua : "", req->user_agent, sizeof req->user_agent);

    ts_err e = router_match(&h->router, req->method, req->path, &rt, &p, &plen, x->allow,
                            sizeof x->allow);
    if (!e) {
        req->route = rt;
        if (p && plen >= sizeof param) {
            e = TS_ENOTFOUND;           /* as the server: too long to be an id */
        } else if (p) {
            memcpy(param, p, plen);
            param[plen] = '\0';
            req->path_param = param;
        }
    }
    if (!e)
        e = exchange_admit(x);
    if (e) {
        exchange_error(x, e);
    } else {
        /* A worker row starts on the worker; a handler that defers itself is run again
         * there, with the answer reset, as server.c does. */
        req->on_worker = (rt->flags & ROUTE_WORKER) != 0;
        if (exchange_run(x)) {
            memset(&x->res, 0, sizeof x->res);
            req->on_worker = 1;
            if (exchange_run(x))
                goto done;
        }
    }
    rc = copy_answer(x, out);
done:
    if (x)
        exchange_clear(x);
    free(x);
    source_free(src);
    free(path);
    if (rc)
        hres_clear(out);
    return rc;
}

void hres_clear(struct hres *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

const char *hres_header(const struct hres *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

const char *hres_str(const struct hres *r, const char *name)
{
    return json_string_value(json_object_get(r->json, name));
}

int harness_user(struct harness *h, const char *email, const char *username,
                 const char *roles, const char *password, char *id)
{
    struct user_new n = { email, username, NULL, roles, password };
    struct user_rec u = { 0 };
    char why[256];
    ts_err e = user_create(h->app, &n, &u, why, sizeof why);
    if (e) {
        fprintf(stderr, "harness: user %s: %s: %s\n", email, ts_err_name(e), why);
        return -1;
    }
    if (id)
        memcpy(id, u.id, sizeof u.id);
    user_rec_clear(&u);
    return 0;
}

int harness_client(struct harness *h, const char *id, const char *grants,
                   const char *roles, char *secret)
{
    struct client_new n = { .name = id, .id = id, .grants = grants, .roles = roles,
                            .refresh_rotation = -1 };
    struct client_rec c = { 0 };
    char why[256];
    ts_err e = client_create(h->app, &actor_cli, &n, &c, secret, why, sizeof why);
    if (e) {
        fprintf(stderr, "harness: client %s: %s: %s\n", id, ts_err_name(e), why);
        return -1;
    }
    client_rec_clear(&c);
    return 0;
}

int harness_login(struct harness *h, const char *username, const char *password,
                  const char *scope, char *access, char *refresh)
{
    static const char *const json[] = { "Content-Type: application/json", NULL };
    json_t *b = json_pack("{s:s, s:s, s:s*}", "username", username, "password", password,
                          "scope", scope);
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    struct hres r;
    int rc = -1;

    json_decref(b);
    if (!body)
        return -1;
    struct hreq rq = { "POST", "/v1/auth/login", json, body, NULL };
    if (harness_run(h, &rq, &r) == 0) {
        const char *a = hres_str(&r, "access_token"), *f = hres_str(&r, "refresh_token");
        if (r.status == 200 && a && strlen(a) < 4096 && (!refresh || (f && strlen(f) < 4096))) {
            snprintf(access, 4096, "%s", a);
            if (refresh)
                snprintf(refresh, 4096, "%s", f);
            rc = 0;
        } else {
            fprintf(stderr, "harness: login %s: %d %s\n", username, r.status, r.body);
        }
        hres_clear(&r);
    }
    free(body);
    return rc;
}
