/* SPDX-License-Identifier: Apache-2.0 */
/* Client authentication of AUTH_CLIENT routes (RFC 6749 section 2.3): reads the
 * credentials from HTTP Basic or the form body and hands them to core/client.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/app.h"
#include "core/client.h"
#include "core/budget.h"
#include "http/http.h"
#include "http/client_auth.h"

/* Strict standard base64 (RFC 4648 section 4) with padding; -1 when malformed. */
static int b64_decode(const char *in, size_t n, char *out, size_t *outlen)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t j = 0;
    if (n == 0 || n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + k];
            const char *pos = c ? strchr(alphabet, c) : NULL;
            if (c == '=' && i + 4 == n && k >= 2) {
                pad++;
                v <<= 6;
                continue;
            }
            if (!pos || pad)
                return -1;
            v = v << 6 | (unsigned)(pos - alphabet);
        }
        out[j++] = (char)(v >> 16);
        if (pad < 2)
            out[j++] = (char)(v >> 8 & 0xff);
        if (pad < 1)
            out[j++] = (char)(v & 0xff);
    }
    *outlen = j;
    return 0;
}

/* Splits "Basic base64(urlencode(id):urlencode(secret))" into the decoded id and
 * secret, written into buf (at least strlen(h) + 2 bytes). */
static ts_err parse_basic(const char *h, char *buf, const char **id, const char **secret,
                          size_t *secret_len, struct response *res)
{
    size_t n = strlen(h), raw_len, idn, sn;
    char *raw = malloc(n + 1);
    ts_err err = TS_OK;
    if (!raw)
        return TS_ENOMEM;
    if (b64_decode(h, n, raw, &raw_len) < 0) {
        err = http_fail(res, TS_ECLIENT, "The Basic credentials are not valid base64.");
        goto out;
    }
    raw[raw_len] = '\0';
    char *colon = memchr(raw, ':', raw_len);
    if (!colon || memchr(raw, '\0', raw_len)) {
        err = http_fail(res, TS_ECLIENT, "The Basic credentials must be client_id:secret.");
        goto out;
    }
    /* RFC 6749 2.3.1: both halves are form-encoded before they are joined. */
    char *idp = buf, *sp;
    if (http_form_decode(raw, (size_t)(colon - raw), idp, &idn) < 0 ||
        (sp = idp + idn + 1,
         http_form_decode(colon + 1, raw_len - (size_t)(colon + 1 - raw), sp, &sn) < 0)) {
        err = http_fail(res, TS_ECLIENT,
                        "The Basic credentials are not correctly form-encoded.");
        goto out;
    }
    *id = idp;
    *secret = sp;
    *secret_len = sn;
out:
    explicit_bzero(raw, n + 1);
    free(raw);
    return err;
}

static ts_err authenticate(struct request *req, struct response *res,
                           struct client_rec *out, int *used_basic);

/* Failed client authentications spend the client address's failure budget, like
 * failed logins: the attempt takes its place before the secret is checked and gives it
 * back unless it failed (core/budget.h). */
ts_err http_client_auth(struct request *req, struct response *res, struct client_rec *out,
                        int *used_basic)
{
    struct budget budget;
    long wait = budget_reserve(req->app, NULL, NULL, req->ip, &budget);
    *used_basic = 0;
    if (wait) {
        res->retry_after = wait;
        return http_fail(res, TS_ELIMIT, "Too many failed authentications from this "
                         "address; retry in %ld seconds.", wait);
    }
    ts_err err = authenticate(req, res, out, used_basic);
    if (err != TS_ECLIENT)
        budget_release(req->app, &budget);
    return err;
}

static ts_err authenticate(struct request *req, struct response *res,
                           struct client_rec *out, int *used_basic)
{
    const char *h = http_header(req, "Authorization");
    const char *form_id, *form_secret;
    ts_err err;

    *used_basic = 0;
    if ((err = http_param(req, "client_id", STORE_CLIENT_ID_LEN, 0, res, &form_id)) ||
        (err = http_param(req, "client_secret", 256, 0, res, &form_secret)))
        return err;

    if (h && *h) {
        if (strncasecmp(h, "Basic ", 6) != 0) {
            return http_fail(res, TS_ECLIENT, "Client authentication must use the Basic "
                             "scheme or the form parameters.");
        }
        *used_basic = 1;
        h += 6;
        while (*h == ' ')
            h++;
        if (form_secret)
            return http_fail(res, TS_EINVAL, "Use one client authentication method: "
                             "Basic or client_secret in the body, not both.");
        size_t n = strlen(h);
        if (n > 1024)
            return http_fail(res, TS_ECLIENT, "The Basic credentials are too long.");
        char *buf = malloc(n + 2);
        const char *id = NULL, *secret = NULL;
        size_t secret_len = 0;
        if (!buf)
            return TS_ENOMEM;
        err = parse_basic(h, buf, &id, &secret, &secret_len, res);
        if (!err && form_id && strcmp(form_id, id) != 0)
            err = http_fail(res, TS_EINVAL, "The client_id parameter differs from the "
                            "client of the Basic credentials.");
        if (!err)
            err = client_authenticate(req->app, CLIENT_AUTH_BASIC, id, secret, secret_len,
                                      NULL, out, NULL, res->error_description,
                                      sizeof res->error_description);
        explicit_bzero(buf, n + 2);
        free(buf);
        return err;
    }
    if (!form_id)
        return http_fail(res, TS_ECLIENT, "Client authentication is required: HTTP Basic, "
                         "or client_id (and client_secret) in the body.");
    if (form_secret)
        return client_authenticate(req->app, CLIENT_AUTH_POST, form_id, form_secret,
                                   strlen(form_secret), NULL, out, NULL,
                                   res->error_description, sizeof res->error_description);
    /* client_id alone: a public client, or an RFC 8705 client and its certificate. */
    int bound = 0;
    const struct client_cert *cert = http_client_cert(req);
    err = client_authenticate(req->app, CLIENT_AUTH_PUBLIC, form_id, NULL, 0, cert, out,
                              &bound, res->error_description,
                              sizeof res->error_description);
    if (!err && bound)
        req->cnf_x5t = cert->x5t;
    return err;
}
