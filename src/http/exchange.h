/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One request from its route row to its answer, without the connection: what a
 * row's requirements produce (the form, the Bearer token, the client), the handler's
 * run, and the error envelope. The server keeps one per request (server.c) around
 * libmicrohttpd's reading and sending; a unit test fills one itself and runs the
 * real handlers in process (tests/unit/handler_harness.c).
 */
#ifndef HTTP_EXCHANGE_H
#define HTTP_EXCHANGE_H

#include "core/token.h"
#include "http/http.h"

struct exchange {
    struct request req;        /* req.route set (the matched row) before admit */
    struct response res;
    struct auth_ctx auth;      /* AUTH_BEARER and AUTH_USER rows (req.auth) */
    struct form form;          /* HTTP_FORM rows (req.form) */
    struct client_rec client;  /* AUTH_CLIENT rows (req.client) */
    int used_basic;            /* the client authenticated (or tried) with HTTP Basic */
    char allow[64];            /* the path's methods, for the Allow header of a 405 */
};

/* What the route row asks for once the whole body is in (req.body), in this order:
 * the form body parsed (HTTP_FORM rows; a bad one is TS_EINVAL), the Bearer token
 * authenticated (AUTH_BEARER, AUTH_USER: a client's token on an AUTH_USER row is
 * TS_EFORBIDDEN), the client authenticated (AUTH_CLIENT). The error's sentence is in
 * x->res; the caller answers it with exchange_error(). */
ts_err exchange_admit(struct exchange *x);

/* Runs the row's handler. 1 when the handler deferred itself to the worker pool
 * (http_defer_to_worker): x->res is then to be reset and the handler run again with
 * req.on_worker set. 0 when x->res holds the answer: the handler's, or the error
 * envelope of what it returned (a 5xx also logged). */
int exchange_run(struct exchange *x);

/* Turns error `e` into the answer in x->res: the JSON error body (status, code, the
 * sentence set by http_fail or the default one, error_uri on ROUTE_OAUTH rows), and the
 * headers it implies (Allow, WWW-Authenticate challenges, Retry-After). */
void exchange_error(struct exchange *x, ts_err e);

/* Releases what the exchange holds (the token's claims, the form, the client row, the
 * response body); the request's own strings and body are the caller's. */
void exchange_clear(struct exchange *x);

#endif
