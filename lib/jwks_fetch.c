/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET over HTTP(S) for the verifier: the JWKS (verifier.c) and the revocation feed
 * (revfeed.c), with the libcurl easy API: http and https only (redirects included),
 * never from https down to http unless the caller allows it, at most 3 redirects, a
 * whole-transfer timeout, a 1 MiB cap on the body, and only a 200 answer accepted.
 * The answer's Cache-Control max-age is handed back for the verifier's schedule. The
 * URLs are always the ones the verifier was configured with: nothing from a token
 * (jku, x5u) is ever fetched.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "internal.h"

/* Largest JWKS accepted. A JWKS of a handful of RSA keys is a few KiB. */
#define JWKS_MAX_BYTES (1024 * 1024)


struct body {
    char *s;
    size_t len, cap;
    int too_large, nomem;
};

static size_t on_data(char *p, size_t size, size_t n, void *data)
{
    struct body *b = data;
    size_t k = size * n;

    if (k > JWKS_MAX_BYTES - b->len) {
        b->too_large = 1;
        return 0;   /* aborts the transfer */
    }
    if (b->len + k + 1 > b->cap) {
        size_t cap = (b->len + k + 1) * 2;
        char *s;
        if (cap > JWKS_MAX_BYTES + 1)
            cap = JWKS_MAX_BYTES + 1;
        if (!(s = realloc(b->s, cap))) {
            b->nomem = 1;
            return 0;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, k);
    b->len += k;
    b->s[b->len] = '\0';
    return k;
}

/* Largest max-age kept; more is the same as a day to the verifier, which bounds it. */
#define MAX_AGE_CAP 86400L

/* The Cache-Control of the last response of the transfer (a redirect's own headers are
 * forgotten when the next status line arrives): the smallest max-age of its
 * directives, no-cache and no-store counting as 0; -1 when it has none. */
static void cache_control(const char *p, size_t n, long *max_age)
{
    const char *end = p + n;

    while (p < end) {
        const char *d, *e;
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        d = p;
        while (p < end && *p != ',')
            p++;
        e = p;
        while (e > d && isspace((unsigned char)e[-1]))
            e--;
        long v = -1;
        if ((e - d == 8 && !strncasecmp(d, "no-store", 8))
            || (e - d == 8 && !strncasecmp(d, "no-cache", 8))) {
            v = 0;
        } else if (e - d > 8 && !strncasecmp(d, "max-age=", 8)) {
            const char *q = d + 8, *qe = e;
            if (qe - q >= 2 && *q == '"' && qe[-1] == '"') {   /* RFC 9111 1.2.2 */
                q++;
                qe--;
            }
            if (q < qe)
                v = 0;
            for (; q < qe && v >= 0; q++) {
                if (!isdigit((unsigned char)*q))
                    v = -1;
                else if ((v = v * 10 + (*q - '0')) > MAX_AGE_CAP)
                    v = MAX_AGE_CAP + 1;   /* stays above the cap, never overflows */
            }
            if (v > MAX_AGE_CAP)
                v = MAX_AGE_CAP;
        }
        if (v >= 0 && (*max_age < 0 || v < *max_age))
            *max_age = v;
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *data)
{
    long *max_age = data;
    size_t k = size * n;
    static const char name[] = "cache-control:";

    if (k >= 5 && !strncmp(p, "HTTP/", 5))
        *max_age = -1;   /* a new response (after a redirect): start over */
    else if (k > sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1))
        cache_control(p + sizeof name - 1, k - (sizeof name - 1), max_age);
    return k;
}

static CURLcode global_rc = CURLE_OK;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

tessera_status tessera__http_get(const char *url, const struct tessera__http_opts *o,
                                char **out, size_t *out_len, long *max_age)
{
    struct body b = { 0 };
    CURL *c;
    CURLcode rc;
    long status = 0, age = -1;
    tessera_status st = TESSERA_ERR_KEY;
    /* From https, redirects stay on https: a downgrade would hand the keys (or the
     * feed and its Basic credentials) to anyone on the path. */
    int https = strncasecmp(url, "https://", 8) == 0;
    const char *redir = https && !o->allow_insecure_redirects ? "https" : "http,https";

    *out = NULL;
    *out_len = 0;
    if (max_age)
        *max_age = -1;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return TESSERA_ERR_KEY;
    if (!(c = curl_easy_init()))
        return TESSERA_ERR_NOMEM;
    if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, redir) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_s * 1000L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t)JWKS_MAX_BYTES) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_USERAGENT, "libtessera") != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_WRITEDATA, &b) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_HEADERDATA, &age) != CURLE_OK)
        goto out;
    if (o->ca_file && curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file) != CURLE_OK)
        goto out;
    /* Basic credentials, never sent to another host a redirect names. */
    if (o->user && (curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK
                    || curl_easy_setopt(c, CURLOPT_USERNAME, o->user) != CURLE_OK
                    || curl_easy_setopt(c, CURLOPT_PASSWORD, o->password) != CURLE_OK
                    || curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L) != CURLE_OK))
        goto out;
    rc = curl_easy_perform(c);
    if (b.nomem) {
        st = TESSERA_ERR_NOMEM;
        goto out;
    }
    if (rc != CURLE_OK || b.too_large)
        goto out;
    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK
        || status != 200 || !b.s)
        goto out;
    *out = b.s;
    *out_len = b.len;
    if (max_age)
        *max_age = age;
    b.s = NULL;
    st = TESSERA_OK;
out:
    free(b.s);
    curl_easy_cleanup(c);
    return st;
}

char *tessera__url_escape(const char *s)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return NULL;
    /* curl_easy_escape needs no handle since 7.82; pass none, copy to plain malloc. */
    char *e = curl_easy_escape(NULL, s, 0), *out = e ? strdup(e) : NULL;
    curl_free(e);
    return out;
}
