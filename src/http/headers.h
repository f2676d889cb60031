/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request's header lines as they came, repeated ones included (RFC 9110 5.3,
 * RFC 9112 6): the framing rules checked before any route runs, and list-valued
 * headers read across all their lines. http_header() returns a header's first line;
 * this check is what makes that the only line for every header the server reads.
 * Both read the lines through req->io (http.h).
 */
#ifndef HTTP_HEADERS_H
#define HTTP_HEADERS_H

#include <stddef.h>

#include "http/http.h"

/* 0 when the header lines are acceptable; -1 with a sentence in why otherwise:
 *   - a field name that is not an RFC 9110 token (a space or tab before the colon,
 *     which libmicrohttpd keeps as part of the name);
 *   - HTTP/1.1 without Host, or Host more than once;
 *   - Content-Length more than once, or together with Transfer-Encoding;
 *   - a Transfer-Encoding other than one "chunked", or any in an HTTP/1.0 request;
 *   - more than one line of a singleton header the server reads (Content-Type,
 *     Authorization, User-Agent, forward auth's X-Original-URI, X-Original-Method,
 *     X-Forwarded-Uri, X-Forwarded-Method and X-Forwarded-Proto, CORS's Origin and
 *     Access-Control-Request-Method, and extra_singleton,
 *     the configured client-certificate header, when not NULL or "").
 * Each of these answers 400 and closes the connection: the message's framing or
 * meaning is ambiguous. */
int http_headers_check(const struct request *req, const char *version,
                       const char *extra_singleton, char *why, size_t whylen);

/* A list-valued header (X-Forwarded-For): the values of all its lines, in order,
 * joined with ", " into out (outlen bytes). 0 when absent, 1 when present, -1 when the
 * joined list does not fit (the caller treats the request as malformed). */
int http_header_list(const struct request *req, const char *name, char *out,
                     size_t outlen);

#endif
