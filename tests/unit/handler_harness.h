/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Handlers in process (h2o's t/00unit handler tests are the model): a real app (the
 * configuration, a migrated SQLite database in a temporary directory, a key ring)
 * and the server's route tables, and a request run through the same steps the server
 * takes once a request is in (router_match, exchange_admit, exchange_run,
 * exchange_error: http/exchange.h), without a socket or libmicrohttpd. Handlers that
 * go to the worker pool (ROUTE_WORKER rows, http_defer_to_worker) run inline, as on
 * a worker.
 *
 * Not checked here, because the server does it before a handler can run: framing and
 * repeated headers, media type and body size (415, 413), CORS, client certificates.
 */
#ifndef TESTS_HANDLER_HARNESS_H
#define TESTS_HANDLER_HARNESS_H

#include <jansson.h>

#include "core/app.h"

struct harness;

/* Opens an app on a new database with `sets` ("section.key=value", NULL-terminated;
 * NULL for none) over the defaults (issuer http://tessera.test, cheap Argon2id
 * parameters) and mounts native, oauth2, wellknown and admin routes. NULL after
 * printing why on failure. */
struct harness *harness_new(const char *const *sets);
/* Closes the app and removes the database. NULL is fine. */
void harness_free(struct harness *h);
struct app *harness_app(struct harness *h);

/* A request. path may carry a query string ("/v1/admin/users?limit=1"), decoded as
 * libmicrohttpd does ('+' and %XX); headers are "Name: value" lines, NULL-terminated,
 * repeats allowed; body NULL for none. ip NULL: "127.0.0.1". */
struct hreq {
    const char *method;
    const char *path;
    const char *const *headers;
    const char *body;
    const char *ip;
};

#define HRES_MAX_HEADERS 16

/* The answer, as the server would send it (minus X-Request-Id and CORS headers). */
struct hres {
    int status;
    char *body;                /* NUL-terminated ("" without a body) */
    json_t *json;              /* the body parsed when it is JSON, else NULL */
    struct { char name[64]; char value[512]; } headers[HRES_MAX_HEADERS];
    int nheaders;
};

/* Runs rq; 0 with *out filled (release it with hres_clear), -1 when the harness itself
 * failed (out of memory). */
int harness_run(struct harness *h, const struct hreq *rq, struct hres *out);
void hres_clear(struct hres *r);

/* The first header `name` (any case) of the answer, or NULL. */
const char *hres_header(const struct hres *r, const char *name);
/* The string member `name` of the JSON body, or NULL. */
const char *hres_str(const struct hres *r, const char *name);

/* Helpers for the usual setup, each 0 on success. A user with `roles` (comma list) and
 * `password`; id (may be NULL, STORE_ID_LEN + 1 bytes) receives the user's id. */
int harness_user(struct harness *h, const char *email, const char *username,
                 const char *roles, const char *password, char *id);
/* A confidential client allowed `grants` (NULL: the defaults) with `roles`; its
 * secret goes to secret (SECRET_TOKEN_CHARS + 1 bytes). */
int harness_client(struct harness *h, const char *id, const char *grants,
                   const char *roles, char *secret);
/* Logs in with POST /v1/auth/login (scope may be NULL) and copies the access and
 * refresh tokens (each buffer at least 4096 bytes; refresh may be NULL). */
int harness_login(struct harness *h, const char *username, const char *password,
                  const char *scope, char *access, char *refresh);

#endif
