/* SPDX-License-Identifier: Apache-2.0 */
/* The request's header lines: framing rules and repeated lines (headers.h). */
#include "http/headers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Headers the server reads as one value: a second line would be ignored by
 * http_header() while a proxy in front might have used it. */
static const char *const singletons[] = {
    "Host", "Content-Length", "Transfer-Encoding", "Content-Type", "Authorization",
    "User-Agent", "X-Original-URI", "X-Original-Method", "X-Forwarded-Uri",
    "X-Forwarded-Method", "X-Forwarded-Proto", "Origin", "Access-Control-Request-Method",
    "Cookie",
};
#define NSINGLE (sizeof singletons / sizeof singletons[0])

struct scan {
    const char *extra;             /* the configured singleton, or NULL */
    int count[NSINGLE + 1];        /* the last one counts `extra` */
    const char *bad_name;          /* the first field name that is not a token */
    const char *te;                /* the first Transfer-Encoding value */
};

/* RFC 9110 5.6.2: tchar. */
static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c)))
            return 0;
    }
    return 1;
}

static int scan_line(void *cls, const char *key, const char *value)
{
    struct scan *sc = cls;
    if (!key)
        return 0;
    if (!is_token(key) && !sc->bad_name)
        sc->bad_name = key;
    for (size_t i = 0; i < NSINGLE; i++)
        if (strcasecmp(key, singletons[i]) == 0)
            sc->count[i]++;
    if (sc->extra && strcasecmp(key, sc->extra) == 0)
        sc->count[NSINGLE]++;
    if (strcasecmp(key, "Transfer-Encoding") == 0 && !sc->te)
        sc->te = value ? value : "";
    return 0;
}

static int count_of(const struct scan *sc, const char *name)
{
    for (size_t i = 0; i < NSINGLE; i++)
        if (strcmp(singletons[i], name) == 0)
            return sc->count[i];
    return 0;
}

int http_headers_check(const struct request *req, const char *version,
                       const char *extra_singleton, char *why, size_t whylen)
{
    struct scan sc = { .extra = extra_singleton && *extra_singleton ? extra_singleton
                                                                    : NULL };
    req->io->each(req->io_src, HTTP_KIND_HEADER, scan_line, &sc);
    if (sc.bad_name) {
        snprintf(why, whylen, "A header field name is malformed (whitespace before "
                 "the colon, or a character not allowed in a name).");
        return -1;
    }
    int hosts = count_of(&sc, "Host");
    if (hosts > 1 || (hosts == 0 && version && strcmp(version, "HTTP/1.1") == 0)) {
        snprintf(why, whylen, "An HTTP/1.1 request carries exactly one Host header.");
        return -1;
    }
    int cls = count_of(&sc, "Content-Length"), tes = count_of(&sc, "Transfer-Encoding");
    if (cls > 1) {
        snprintf(why, whylen, "The request has more than one Content-Length header.");
        return -1;
    }
    if (tes && cls) {
        snprintf(why, whylen, "The request has both Content-Length and "
                 "Transfer-Encoding.");
        return -1;
    }
    if (tes && version && strcmp(version, "HTTP/1.0") == 0) {
        /* RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing */
        snprintf(why, whylen, "An HTTP/1.0 request cannot use Transfer-Encoding.");
        return -1;
    }
    if (tes > 1 || (sc.te && strcasecmp(sc.te, "chunked") != 0)) {
        snprintf(why, whylen, "The only Transfer-Encoding accepted is chunked.");
        return -1;
    }
    for (size_t i = 0; i <= NSINGLE; i++)
        if (sc.count[i] > 1) {
            snprintf(why, whylen, "The header %.100s appears more than once.",
                     i < NSINGLE ? singletons[i] : sc.extra);
            return -1;
        }
    return 0;
}

struct join {
    const char *name;
    char *out;
    size_t outlen, used;
    int found, overflow;
};

static int join_line(void *cls, const char *key, const char *value)
{
    struct join *j = cls;
    if (!key || strcasecmp(key, j->name) != 0)
        return 0;
    const char *v = value ? value : "";
    size_t n = strlen(v), sep = j->found ? 2 : 0;
    if (j->used + sep + n >= j->outlen) {
        j->overflow = 1;
        return 1;
    }
    if (sep)
        memcpy(j->out + j->used, ", ", 2);
    memcpy(j->out + j->used + sep, v, n);
    j->used += sep + n;
    j->out[j->used] = '\0';
    j->found = 1;
    return 0;
}

int http_header_list(const struct request *req, const char *name, char *out,
                     size_t outlen)
{
    struct join j = { name, out, outlen, 0, 0, 0 };
    if (outlen)
        out[0] = '\0';
    req->io->each(req->io_src, HTTP_KIND_HEADER, join_line, &j);
    if (j.overflow)
        return -1;
    return j.found;
}
