/*
 * GET over HTTP(S) for the verifier: the JWKS (verifier.c) and the revocation feed
 * (revfeed.c), with the libcurl easy API: http and https only (redirects included),
 * at most 3 redirects, a whole-transfer timeout, a 1 MiB cap on the body, and only a
 * 200 answer accepted. The URLs are always the ones the verifier was configured with:
 * nothing from a token (jku, x5u) is ever fetched.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

static CURLcode global_rc = CURLE_OK;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

tessera_status tessera__http_get(const char *url, const char *user, const char *password,
                                long timeout_s, char **out, size_t *out_len)
{
    struct body b = { 0 };
    CURL *c;
    CURLcode rc;
    long status = 0;
    tessera_status st = TESSERA_ERR_KEY;

    *out = NULL;
    *out_len = 0;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return TESSERA_ERR_KEY;
    if (!(c = curl_easy_init()))
        return TESSERA_ERR_NOMEM;
    if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_s * 1000L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t)JWKS_MAX_BYTES) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_USERAGENT, "libtessera") != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_WRITEDATA, &b) != CURLE_OK)
        goto out;
    /* Basic credentials, never sent to another host a redirect names. */
    if (user && (curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK
                 || curl_easy_setopt(c, CURLOPT_USERNAME, user) != CURLE_OK
                 || curl_easy_setopt(c, CURLOPT_PASSWORD, password) != CURLE_OK
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
