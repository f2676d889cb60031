/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server: libmicrohttpd with its epoll thread pool, one thread per core.
 * It applies the limits, routes, authenticates Bearer routes, runs handlers (inline,
 * or on the worker pool through suspend/resume), writes the response and one log
 * line per request.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include "core/app.h"
#include "http/router.h"

struct server;

struct tls_ctx;

/* One listening address. */
struct listener {
    int fd;                        /* a bound, listening socket (server/listen.h) */
    unsigned port;                 /* the port it is bound to */
    const char *listen;            /* its "HOST:PORT" as configured, for messages */
    const struct tls_ctx *tls;     /* certificates and client CA (may be NULL) */
    int use_tls;                   /* speak TLS here (tls must hold a certificate) */
};

/* Starts serving on l->fd, which is the server's from this call on: server_stop
 * closes it, and so does a failure. Several may run; the first starts the process's
 * hashing pool and must be stopped last. */
ts_err server_start(struct app *a, const struct router *r, const struct listener *l,
                    struct server **out, char *err, size_t errlen);
/* The port actually bound. */
unsigned server_port(const struct server *s);
/* Stops accepting, lets in-flight requests finish (at most `grace_seconds`), stops
 * the worker pool and the daemon, and frees the server. */
void server_stop(struct server *s, int grace_seconds);

#endif
