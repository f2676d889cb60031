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

#include "core/err.h"

struct app;
struct request;
struct response;
struct auth_ctx;

enum route_auth {
    AUTH_NONE,      /* anyone */
    AUTH_BEARER     /* a valid access token of a live session (req->auth) */
};

enum route_flags {
    ROUTE_WORKER   = 1 << 0,  /* run on the bounded worker pool (password hashing) */
    ROUTE_NO_STORE = 1 << 1,  /* Cache-Control: no-store (token responses) */
    ROUTE_BODY_OPTIONAL = 1 << 2 /* a body is allowed but not required */
};

typedef ts_err (*route_handler)(struct request *req, struct response *res);

struct route {
    const char *method;        /* "GET", "POST", "DELETE" */
    const char *path;          /* exact, or ending in "/{id}" for one trailing segment */
    enum route_auth auth;
    const char *content_type;  /* required media type of the body; NULL: no body */
    size_t max_body;           /* bytes; 0 with a content_type: server.max_body */
    unsigned flags;
    route_handler handler;
};

#define HTTP_MAX_HEADERS 8

struct response {
    int status;                /* set by http_json(); errors take theirs from ts_err */
    char *body;                /* malloc'd; freed by the layer */
    size_t body_len;
    const char *content_type;
    struct { const char *name; char value[512]; } headers[HTTP_MAX_HEADERS];
    int nheaders;
    char error_description[256]; /* overrides the ts_err default when set */
    long retry_after;          /* seconds, for 429/503; 0: no Retry-After */
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
    struct auth_ctx *auth;     /* set for AUTH_BEARER routes */
    void *conn;                /* the MHD connection, for header/query lookups */
};

/* A request header or query argument (case-insensitive name), or NULL. */
const char *http_header(const struct request *req, const char *name);
const char *http_query(const struct request *req, const char *name);

/* Sets a JSON response: status and body (the value is dumped compactly and
 * released, even on error). TS_ENOMEM when it cannot be serialised. */
ts_err http_json(struct response *res, int status, json_t *value);
/* 204 No Content. */
void http_no_content(struct response *res);
/* Adds a response header; the value is copied (truncated at 511 bytes). */
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
