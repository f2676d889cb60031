/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP layer's view of one request and its response, and the route row that
 * describes an endpoint. libmicrohttpd stays inside src/http/; handlers see only
 * these structs.
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/client.h"
#include "base/err.h"

struct app;
struct tls_ctx;
struct request;
struct response;
struct auth_ctx;

enum route_auth {
    AUTH_NONE,      /* anyone */
    AUTH_BEARER,    /* a valid access token (req->auth): a user's, of a live session,
                     * or a client's client_credentials token; req->auth->kind says */
    AUTH_CLIENT,    /* an authenticated OAuth client (req->client): Basic, form
                     * client_id + client_secret, or client_id alone for public ones */
    AUTH_USER       /* as AUTH_BEARER, and the token must be a user's: a client's
                     * token is 403 (it has no profile, sessions or password) */
};

enum route_flags {
    ROUTE_WORKER   = 1 << 0,  /* run on the bounded worker pool (password hashing) */
    ROUTE_NO_STORE = 1 << 1,  /* Cache-Control: no-store (token responses) */
    ROUTE_BODY_OPTIONAL = 1 << 2, /* a body is allowed but not required */
    ROUTE_OAUTH    = 1 << 3,  /* RFC 6749 5.2 errors: error_uri, Basic challenge */
    ROUTE_BARE_CLIENT_ERROR = 1 << 4, /* invalid_client answered as {"error"} alone */
    ROUTE_CHALLENGE = 1 << 5,  /* RFC 6750 WWW-Authenticate on 401/403, though the
                                * handler checks the token itself (forward auth) */
    ROUTE_PROBE    = 1 << 6,   /* a health probe: served on the plain listener without
                                * a client certificate under tls.client_certs=required */
    ROUTE_OPERATOR = 1 << 7    /* an operator's route (the admin API, /metrics): no
                                * CORS unless cors.admin (http/cors.h) */
};

#define HTTP_FORM "application/x-www-form-urlencoded"

typedef ts_err (*route_handler)(struct request *req, struct response *res);

struct route {
    const char *method;        /* "GET", "POST", "DELETE" */
    const char *path;          /* exact, or with one "{id}" standing for a segment */
    enum route_auth auth;
    const char *content_type;  /* required media type of the body; NULL: no body */
    size_t max_body;           /* bytes; 0 with a content_type: server.max_body */
    unsigned flags;
    route_handler handler;
    const void *data;          /* the handler's parameters (a compat profile's field
                                * map); NULL for most routes */
};

#define HTTP_MAX_HEADERS 12

struct response {
    int status;                /* set by http_json(); errors take theirs from ts_err */
    char *body;                /* malloc'd; freed by the layer */
    size_t body_len;
    const char *content_type;
    /* 2048: a Location to a redirect URI (up to 1000 bytes) with a code, state and
     * iss, or a Content-Security-Policy naming it */
    struct { const char *name; char value[2048]; } headers[HTTP_MAX_HEADERS];
    int nheaders;
    char error_description[256]; /* overrides the ts_err default when set */
    long retry_after;          /* seconds, for 429/503; 0: no Retry-After */
};

/* A parsed application/x-www-form-urlencoded body (routes whose content_type is
 * HTTP_FORM). Names are unique: a repeated name is refused when parsing. */
#define HTTP_FORM_MAX_PARAMS 32
struct form {
    struct { const char *name; const char *value; } p[HTTP_FORM_MAX_PARAMS];
    int n;
    char *buf;                 /* the decoded bytes the pointers point into */
};

struct client_rec;

/* Where a request's header lines and query arguments come from, so that a handler
 * reads them without knowing who parsed the request: the server walks
 * libmicrohttpd's lists (server.c), a unit test walks arrays (tests/unit/). */
enum http_kind {
    HTTP_KIND_HEADER,          /* header lines, repeated ones included, in order */
    HTTP_KIND_QUERY            /* query arguments, decoded, in order */
};

/* Called for each line; a nonzero return ends the walk. `value` may be NULL (a query
 * argument without '='). */
typedef int (*http_line_fn)(void *cls, const char *name, const char *value);

struct request_io {
    /* Calls fn for every line of `kind` of the request `src`, in the order received,
     * until fn returns nonzero. Names are as received (any case). */
    void (*each)(void *src, enum http_kind kind, http_line_fn fn, void *cls);
    /* The connection's TLS session (a gnutls_session_t), NULL when plain; NULL
     * itself for a source without TLS. */
    void *(*tls_session)(void *src);
};

struct request {
    struct app *app;
    const struct route *route;
    const char *method;
    const char *path;          /* without the query string */
    const char *path_param;    /* the {id} segment, or NULL */
    const char *body;          /* NUL-terminated; NULL when no body */
    size_t body_len;
    char request_id[24];
    char ip[64];
    char user_agent[STORE_UA_LEN + 1]; /* the User-Agent header, made valid UTF-8 once
                                * here (base/text.h: U+FFFD for a bad byte or a
                                * control character); "" without one */
    struct auth_ctx *auth;     /* set for AUTH_BEARER and AUTH_USER routes */
    const struct form *form;   /* set for HTTP_FORM routes (empty without a body) */
    const struct client_rec *client; /* set for AUTH_CLIENT routes */
    int on_worker;             /* 1 while running on the worker pool */
    int peer_trusted;          /* the TCP peer is in server.trusted_proxies */
    const struct tls_ctx *tls; /* certificates and client CA, NULL when none */
    int is_tls;                /* the request came over this server's TLS */
    struct client_cert cert;   /* filled by http_client_cert() */
    const char *cnf_x5t;       /* the client authenticated with this certificate
                                * (RFC 8705): its tokens are bound to it */
    int cert_read;
    int defer;                 /* set by http_defer_to_worker() */
    const struct request_io *io; /* header lines and query arguments */
    void *io_src;              /* what io reads (the MHD connection, a test's arrays) */
};

/* A request header or query argument (case-insensitive name): the first line's value,
 * or NULL (also for a query argument without '='). A header read
 * here is a singleton: list it in http/headers.c, whose check refuses a request that
 * repeats it before any route runs (a second line would otherwise go unseen). A
 * list-valued header is read across all its lines (http_header_list, headers.h). */
const char *http_header(const struct request *req, const char *name);
const char *http_query(const struct request *req, const char *name);

/* Reads "Authorization: Bearer <token>" and authenticates it (signature, claims,
 * session or jti, certificate binding) for the server's own API: its aud must name
 * server.audience. TS_ENOTOKEN without a Bearer token, TS_ETOKEN (sentence in res) for
 * a bad one. On success the caller auth_clear()s *out. */
ts_err http_bearer(struct request *req, struct response *res, struct auth_ctx *out);
/* The same for a token that must name `audience` instead (forward auth). */
ts_err http_bearer_for(struct request *req, struct response *res, const char *audience,
                       struct auth_ctx *out);
/* The same for a token found elsewhere (a form body's access_token, RFC 6750 2.2). */
ts_err http_bearer_token(struct request *req, struct response *res, const char *token,
                         size_t len, const char *audience, struct auth_ctx *out);

/* The request's client certificate: the TLS peer's, or on a plain listener the one a
 * trusted proxy put in server.client_cert_header. Read once per request. */
const struct client_cert *http_client_cert(struct request *req);

/* How many times the query argument `name` (exact case) appears; *first receives the
 * first value or NULL. OAuth handlers refuse duplicates. */
int http_query_all(const struct request *req, const char *name, const char **first);

/* For a handler that found it has slow work to do (hashing a password): returns 1
 * after asking the server to run the handler again on the worker pool (the handler
 * then returns TS_OK at once), 0 when it already runs there. */
int http_defer_to_worker(struct request *req);

/* Decodes a form body: '&'-separated name=value pairs, '+' and %XX decoded. TS_EINVAL
 * (why set) for bad percent-encoding, a NUL byte, a repeated name (but `resource` and
 * `audience`, which RFC 8707 repeats), or more than HTTP_FORM_MAX_PARAMS pairs. Free
 * with http_form_free(). */
ts_err http_form_parse(const char *body, size_t len, struct form *out, char *why,
                       size_t whylen);
void http_form_free(struct form *f);
/* Percent-decodes (and '+' -> ' ') n bytes of `in` into out (at least n + 1 bytes);
 * -1 for a bad escape or a NUL byte. *outlen receives the decoded length. */
int http_form_decode(const char *in, size_t n, char *out, size_t *outlen);

/* The values of a form parameter that may repeat, in order: start with *k = 0; each
 * call returns the next value (possibly "") or NULL after the last. */
const char *http_param_next(const struct request *req, const char *name, int *k);

/* A form parameter of at most `max` bytes. Empty counts as absent (RFC 6749 3.1);
 * with required, absent is TS_EINVAL with a sentence in res. Not for the repeatable
 * ones: it reads the first value only. */
ts_err http_param(const struct request *req, const char *name, size_t max, int required,
                  struct response *res, const char **out);

/* Sets a JSON response: status and body (the value is dumped compactly and
 * released, even on error). TS_ENOMEM when it cannot be serialised. */
ts_err http_json(struct response *res, int status, json_t *value);
/* 204 No Content. */
void http_no_content(struct response *res);
/* Adds a response header; the value is copied (truncated at 2047 bytes). */
void http_add_header(struct response *res, const char *name, const char *value);
/* Sets the human sentence of the error about to be returned; returns `e`. */
ts_err http_fail(struct response *res, ts_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses the request body as a JSON object: duplicate keys rejected, nesting capped at
 * HTTP_MAX_JSON_DEPTH. On error returns TS_EINVAL with a description in res. The
 * caller json_decref()s *out. */
#define HTTP_MAX_JSON_DEPTH 16
ts_err http_body_json(const struct request *req, struct response *res, json_t **out);

/* Reads a string member of `obj` of at most `max` bytes. With required, a missing or
 * empty member is TS_EINVAL; a present non-string or too long one is always TS_EINVAL.
 * *out is NULL when absent. The pointer lives as long as `obj`. */
ts_err http_json_str(json_t *obj, const char *name, size_t max, int required,
                     struct response *res, const char **out);

#endif
