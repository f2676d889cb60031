/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One HTTP exchange for the end user's commands, through libcurl, and the
 * JSON bodies they send. Every exchange has a connect timeout and an overall one,
 * follows no redirect and speaks only http and https.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <stdio.h>

#include "client/enduser.h"
#include "base/secret.h"

static int curl_ready;

void enduser_free_secret(char *s)
{
    if (s) {
        secret_wipe(s, strlen(s));
        free(s);
    }
}

char *enduser_json_strings(const char *const *kv, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t cap = 3;
    char *out, *p;

    for (size_t i = 0; i + 1 < n; i += 2)
        if (kv[i + 1])
            cap += 6 * (strlen(kv[i]) + strlen(kv[i + 1])) + 6;
    if (!(out = malloc(cap)))
        return NULL;
    p = out;
    *p++ = '{';
    for (size_t i = 0; i + 1 < n; i += 2) {
        if (!kv[i + 1])
            continue;
        if (p != out + 1)
            *p++ = ',';
        for (int k = 0; k < 2; k++) {
            *p++ = '"';
            for (const unsigned char *s = (const unsigned char *)kv[i + k]; *s; s++) {
                if (*s == '"' || *s == '\\') {
                    *p++ = '\\';
                    *p++ = (char)*s;
                } else if (*s < 0x20) {
                    memcpy(p, "\\u00", 4);
                    p[4] = hex[*s >> 4];
                    p[5] = hex[*s & 15];
                    p += 6;
                } else {
                    *p++ = (char)*s;
                }
            }
            *p++ = '"';
            if (k == 0)
                *p++ = ':';
        }
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

/* --- the exchange -------------------------------------------------------------------- */

struct sink {
    char *p;
    size_t len, cap;
    size_t max;
    int too_big;
};

/* Grows by copying and wiping rather than realloc(), which may leave the old bytes (a
 * token, perhaps) in freed memory. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct sink *k = ud;
    size_t n = size * nmemb;
    if (n > k->max - k->len) {
        k->too_big = 1;
        return 0;
    }
    if (k->len + n + 1 > k->cap) {
        size_t cap = k->cap ? k->cap : 4096;
        while (cap < k->len + n + 1)
            cap *= 2;
        if (cap > k->max + 1)
            cap = k->max + 1;
        char *np = malloc(cap);
        if (!np)
            return 0;
        if (k->p) {
            memcpy(np, k->p, k->len);
            secret_wipe(k->p, k->cap);
            free(k->p);
        }
        k->p = np;
        k->cap = cap;
    }
    memcpy(k->p + k->len, data, n);
    k->len += n;
    k->p[k->len] = '\0';
    return n;
}

/* Retry-After: delta-seconds or an HTTP date (RFC 9110 section 10.2.3). */
static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    long *retry_after = ud;
    size_t n = size * nmemb;
    if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
        *retry_after = -1;           /* a new response (after a 100 Continue, say) */
    } else if (n > 12 && !strncasecmp(line, "retry-after:", 12) && n < 200) {
        char v[200];
        size_t i = 12, j = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        while (i < n && line[i] != '\r' && line[i] != '\n')
            v[j++] = line[i++];
        v[j] = '\0';
        if (isdigit((unsigned char)v[0])) {
            char *end;
            long s = strtol(v, &end, 10);
            if (*end == '\0' && s >= 0)
                *retry_after = s;
        } else {
            time_t t = curl_getdate(v, NULL);
            if (t != -1)
                *retry_after = t > time(NULL) ? (long)(t - time(NULL)) : 0;
        }
    }
    return n;
}

/* scheme://host[:port] of a URL, for messages: no user info, path or query. */
static void origin(const char *url, char *out, size_t len)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
        !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
        !curl_url_get(u, CURLUPART_HOST, &host, 0)) {
        if (curl_url_get(u, CURLUPART_PORT, &port, 0))
            port = NULL;
        snprintf(out, len, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
    } else {
        snprintf(out, len, "%s", "the server");
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

static void lower_first(char *s)
{
    if (s[0] && isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1]))
        s[0] = (char)tolower((unsigned char)s[0]);
}

static void describe(CURL *h, CURLcode rc, const struct enduser_http_req *rq,
                     const struct sink *k, const char *detail, char *err, size_t errlen)
{
    char where[300], why[400];
    long os = 0;

    origin(rq->url, where, sizeof where);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os);
        snprintf(why, sizeof why, "%s", os ? strerror((int)os) : "connection failed");
        lower_first(why);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(why, sizeof why, "unknown host");
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(why, sizeof why, "no answer within the time limit (%d s to connect, "
                 "%d s in all)", ENDUSER_CONNECT_TIMEOUT, ENDUSER_TIMEOUT);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(why, sizeof why, "the server's certificate is not trusted (%s); give "
                 "its CA with --cacert FILE or TESSERA_CACERT", detail);
        break;
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(why, sizeof why, "cannot read the CA file %s",
                 rq->cacert ? rq->cacert : "(system)");
        break;
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(why, sizeof why, "TLS handshake failed (%s)", detail);
        break;
    case CURLE_WRITE_ERROR:
        if (k->too_big) {
            snprintf(err, errlen, "%s answered with more than %zu bytes; giving up", where,
                     k->max);
            return;
        }
        /* fall through */
    default:
        snprintf(why, sizeof why, "%s", *detail ? detail : curl_easy_strerror(rc));
        lower_first(why);
        break;
    }
    snprintf(err, errlen, "cannot reach %s: %s", where, why);
}

int enduser_http(const struct enduser_http_req *rq, struct enduser_http_resp *out,
                 char *err, size_t errlen)
{
    struct sink k = { .max = rq->max_response > 0 ? (size_t)rq->max_response
                                                  : (size_t)ENDUSER_MAX_AUTH_RESPONSE };
    struct curl_slist *hdrs = NULL, *h2;
    char detail[CURL_ERROR_SIZE] = "";
    char *auth = NULL;
    CURL *h = NULL;
    CURLcode rc;
    int ret = -1;

    memset(out, 0, sizeof *out);
    out->retry_after = -1;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(err, errlen, "cannot initialise libcurl");
            return -1;
        }
        curl_ready = 1;
    }
    if (!(h = curl_easy_init())) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return -1;
    }

    /* headers: the caller's, then ours; curl copies each string */
    for (size_t i = 0; i < rq->nheaders; i++)
        if ((h2 = curl_slist_append(hdrs, rq->headers[i])))
            hdrs = h2;
        else
            goto oom;
    if (rq->body && rq->content_type) {
        char ct[256];
        snprintf(ct, sizeof ct, "Content-Type: %s", rq->content_type);
        if (!(h2 = curl_slist_append(hdrs, ct)))
            goto oom;
        hdrs = h2;
    }
    if (!(h2 = curl_slist_append(hdrs, "Expect:")))     /* no 100-continue round trip */
        goto oom;
    hdrs = h2;
    if (rq->bearer) {
        size_t n = strlen(rq->bearer) + sizeof "Authorization: Bearer ";
        if (!(auth = malloc(n)))
            goto oom;
        snprintf(auth, n, "Authorization: Bearer %s", rq->bearer);
        if (!(h2 = curl_slist_append(hdrs, auth)))
            goto oom;
        hdrs = h2;
    }

    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)ENDUSER_CONNECT_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)ENDUSER_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "tessera-cli");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &out->retry_after);
    if (rq->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, rq->cacert);
    if (rq->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
        if (strcmp(rq->method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    } else if (!strcmp(rq->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(rq->method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    } else if (strcmp(rq->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }

    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        describe(h, rc, rq, &k, detail, err, errlen);
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    if (!k.p && !(k.p = calloc(1, 1)))
        goto oom;
    out->body = k.p;
    out->len = k.len;
    k.p = NULL;
    ret = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    if (k.p) {
        secret_wipe(k.p, k.cap);
        free(k.p);
    }
    enduser_free_secret(auth);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return ret;
}

void enduser_http_resp_clear(struct enduser_http_resp *r)
{
    if (r->body) {
        secret_wipe(r->body, r->len);
        free(r->body);
    }
    memset(r, 0, sizeof *r);
    r->retry_after = -1;
}

void enduser_http_done(void)
{
    if (curl_ready) {
        curl_global_cleanup();
        curl_ready = 0;
    }
}
