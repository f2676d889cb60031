/* SPDX-License-Identifier: Apache-2.0 */
/* Starting and stopping the server, one step after another (daemon.h). */
#include "server/daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/words.h"
#include "core/app.h"
#include "core/audit.h"
#include "core/revoked.h"
#include "core/sync.h"
#include "http/server.h"
#include "http/tls.h"
#include "routes/routes.h"
#include "server/bootstrap.h"
#include "server/listen.h"
#include "server/signals.h"
#include "tessera.h"

struct daemon {
    struct router router;
    struct app *app;
    int fd, plain_fd;                  /* bound, until a server owns them; -1 after */
    unsigned port, plain_port;
    struct sync *sync;
    struct tls_ctx *tls;
    struct server *srv, *plain;
};

/* The route tables: the native ones, then each compat profile of server.compat. */
static ts_err build_router(const struct config *cfg, struct router *r, char *err,
                           size_t errlen)
{
    const char *p = cfg->compat, *w;
    size_t n;

    memset(r, 0, sizeof *r);
    router_mount(r, native_routes);
    router_mount(r, oauth2_routes);
    router_mount(r, wellknown_routes);
    router_mount(r, admin_routes);
    while (word_next(&p, 1, &w, &n)) {
        const struct route *t = compat_routes(w, n);
        if (!t) {
            snprintf(err, errlen, "server.compat: unknown profile '%.*s' (api-login, "
                     "oauth2-form, auth-v1, token)", (int)n, w);
            return TS_EINVAL;
        }
        if (router_mount(r, t)) {
            snprintf(err, errlen, "server.compat: too many profiles");
            return TS_EINVAL;
        }
    }
    return TS_OK;
}

ts_err daemon_check(const struct config *cfg, char *err, size_t errlen)
{
    struct router r;
    return build_router(cfg, &r, err, errlen);
}

/* "HOST" of "HOST:PORT" into out. */
static void host_of(const char *listen, char *out, size_t len)
{
    snprintf(out, len, "%s", listen);
    char *colon = strrchr(out, ':');
    if (colon)
        *colon = '\0';
}

/* The issuer, unless server.issuer is set, follows the port bound: written here, once,
 * before any thread that reads the configuration starts. */
static void freeze_config(struct daemon *d)
{
    struct config *c = &d->app->cfg;
    char host[128];
    if (!c->issuer_from_listen)
        return;
    host_of(c->listen, host, sizeof host);
    snprintf(c->issuer, sizeof c->issuer, "%s://%s:%u",
             c->tls_cert_file[0] ? "https" : "http", host, d->port);
}

/* The lines a newcomer and the scripts that start tessera wait for. */
static void announce(const struct daemon *d)
{
    const struct config *c = &d->app->cfg;
    const char *scheme = c->tls_cert_file[0] ? "https" : "http";
    char host[128];

    host_of(c->listen, host, sizeof host);
    log_msg("info", "tessera %s listening on %s://%s:%u (issuer %s)", tessera_version(),
            scheme, host, d->port, c->issuer);
    /* The issuer is said at once: unless server.issuer is set it follows the listen
     * address, so a new port means tokens with another "iss". The listening line
     * stays last and alone, for the scripts that wait for it. */
    fprintf(stderr, "tessera: version %s; tokens carry issuer %s%s\n", tessera_version(),
            c->issuer, c->issuer_from_listen
                           ? " (the listen address: it changes with it; set "
                             "server.issuer to keep one)" : "");
    fprintf(stderr, "tessera: listening on %s://%s:%u\n", scheme, host, d->port);
    if (d->plain) {
        host_of(c->tls_plain_listen, host, sizeof host);
        fprintf(stderr, "tessera: also listening on http://%s:%u\n", host,
                d->plain_port);
    }
}

ts_err daemon_start(const struct config *cfg, struct daemon **out, char *err,
                    size_t errlen)
{
    struct daemon *d;
    ts_err e;

    *out = NULL;
    /* Before any thread starts: each inherits the mask (signals.h). */
    signals_block();
    if (!(d = calloc(1, sizeof *d))) {
        snprintf(err, errlen, "out of memory");
        return TS_ENOMEM;
    }
    d->fd = d->plain_fd = -1;
    if ((e = build_router(cfg, &d->router, err, errlen)))
        goto fail;
    if ((e = app_open(cfg, APP_MIGRATE | APP_KEYS, &d->app, err, errlen)))
        goto fail;
    struct config *c = &d->app->cfg;
    if ((e = listen_open(c->listen, "server.listen", &d->fd, &d->port, err, errlen)))
        goto fail;
    if (c->tls_plain_listen[0] &&
        (e = listen_open(c->tls_plain_listen, "tls.plain_listen", &d->plain_fd,
                         &d->plain_port, err, errlen)))
        goto fail;
    freeze_config(d);

    if ((e = audit_start(d->app))) {
        snprintf(err, errlen, "cannot start the audit writer (out of memory?)");
        goto fail;
    }
    /* The revocation set is loaded before the first request, so a token revoked while
     * the server was down is refused from the start. */
    if ((e = revoked_open(d->app, &d->app->revoked)) ||
        (e = sync_start(d->app, &d->sync))) {
        snprintf(err, errlen, "cannot load the revoked sessions from the database");
        goto fail;
    }
    if (tls_open(c, &d->tls, err, errlen)) {
        e = TS_EINVAL;
        goto fail;
    }
    int use_tls = c->tls_cert_file[0] != '\0';
    struct listener main_l = { d->fd, d->port, c->listen, d->tls, use_tls };
    d->fd = -1;                        /* server_start owns it, success or not */
    if ((e = server_start(d->app, &d->router, &main_l, &d->srv, err, errlen)))
        goto fail;
    if (d->plain_fd >= 0) {
        struct listener plain_l = { d->plain_fd, d->plain_port, c->tls_plain_listen,
                                    d->tls, 0 };
        d->plain_fd = -1;
        if ((e = server_start(d->app, &d->router, &plain_l, &d->plain, err, errlen)))
            goto fail;
    }
    /* The first administrator only once the addresses are ours: a start that cannot
     * listen must not create it and print its password for nothing. */
    if ((e = bootstrap_admin(d->app, err, errlen)))
        goto fail;
    log_quiet(0);
    announce(d);
    *out = d;
    return TS_OK;
fail:
    daemon_stop(d, 0);
    return e;
}

int daemon_wait(struct daemon *d)
{
    int sig = signals_wait(d->app);
    log_msg("info", "signal %d: finishing in-flight requests", sig);
    return sig;
}

void daemon_stop(struct daemon *d, int grace_seconds)
{
    if (!d)
        return;
    /* The reverse of daemon_start; each step skips what never started. */
    server_stop(d->plain, grace_seconds);
    server_stop(d->srv, grace_seconds);
    tls_close(d->tls);
    sync_stop(d->sync);
    if (d->plain_fd >= 0)
        close(d->plain_fd);
    if (d->fd >= 0)
        close(d->fd);
    app_close(d->app);                 /* the audit writer and revocation set too */
    if (d->srv)
        log_msg("info", "stopped");
    free(d);
}
