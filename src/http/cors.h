/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cross-origin resource sharing (the Fetch standard's CORS protocol) for browser apps
 * on the origins in cors.allowed_origins. The server (server.c) asks which routes do
 * CORS and whether a request's Origin is allowed, and adds the headers here to the
 * answer: a preflight's, or an actual response's (errors included, or the browser
 * hides their body). Nothing here allocates.
 */
#ifndef HTTP_CORS_H
#define HTTP_CORS_H

#include <microhttpd.h>

#include "core/config.h"
#include "base/origin.h"
#include "http/http.h"

/* 1 when CORS is configured (cors.allowed_origins not empty) and route `rt` does it:
 * every route but those flagged ROUTE_OPERATOR (the admin API, /metrics), which do
 * it only under cors.admin. */
int cors_route(const struct config *c, const struct route *rt);

/* 1 when the Origin header's value, made canonical (base/origin.h), is one of
 * cors.allowed_origins, with that canonical origin in out; 0 otherwise (absent,
 * malformed, "null" or not listed), with out "". */
int cors_origin_allowed(const struct config *c, const char *origin,
                        char out[ORIGIN_MAX]);

/* The headers of an actual response on a CORS route: Vary: Origin always; with an
 * allowed origin (not NULL) also Access-Control-Allow-Origin: <origin>, -Expose-Headers
 * and, under cors.allow_credentials, -Allow-Credentials. */
void cors_actual_headers(struct MHD_Response *r, const struct config *c,
                         const char *origin);

/* The headers of a preflight's 204 for an allowed origin: those of an actual response
 * and Access-Control-Allow-Methods (`methods`, the path's), -Allow-Headers
 * (Authorization, Content-Type) and -Max-Age. */
void cors_preflight_headers(struct MHD_Response *r, const struct config *c,
                            const char *origin, const char *methods);

/* The request headers a preflight may name in Access-Control-Request-Headers. */
#define CORS_ALLOW_HEADERS "Authorization, Content-Type"
/* The response headers a page's script may read besides the CORS-safelisted ones. */
#define CORS_EXPOSE_HEADERS "WWW-Authenticate, Retry-After, X-Request-Id"

#endif
