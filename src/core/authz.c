/* SPDX-License-Identifier: Apache-2.0 */
/* The pending authorization request, sealed for the login page, and its CSRF token. */
#include "core/authz.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/secret.h"
#include "tessera.h"

/* HMAC-SHA256 under a key derived from the refresh key for this one use, over
 * "label\n" a "\n" b. */
static void mac(struct app *a, const char *label, const char *x, const char *y,
                unsigned char out[32])
{
    unsigned char key[32];
    crypto_auth_hmacsha256_state st;

    crypto_auth_hmacsha256(key, (const unsigned char *)"tessera web state v1", 20,
                           a->refresh_key);
    crypto_auth_hmacsha256_init(&st, key, sizeof key);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, strlen(label));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)x, strlen(x));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)y, strlen(y));
    crypto_auth_hmacsha256_final(&st, out);
    secret_wipe(key, sizeof key);
    secret_wipe(&st, sizeof st);
}

void authz_csrf_token(struct app *a, const char *csrf_cookie,
                      char out[AUTHZ_CSRF_CHARS + 1])
{
    unsigned char m[32];
    mac(a, "csrf", csrf_cookie, "", m);
    tessera_b64url_encode(m, sizeof m, out);
}

int authz_csrf_ok(struct app *a, const char *csrf_cookie, const char *token)
{
    char want[AUTHZ_CSRF_CHARS + 1];
    if (!csrf_cookie || !token || strlen(csrf_cookie) != AUTHZ_CSRF_CHARS ||
        strlen(token) != AUTHZ_CSRF_CHARS)
        return 0;
    authz_csrf_token(a, csrf_cookie, want);
    return secret_equal(want, token, AUTHZ_CSRF_CHARS);
}

ts_err authz_seal(struct app *a, const struct authz_req *r, const char *csrf_cookie,
                  char **out)
{
    unsigned char m[32];
    char mtext[AUTHZ_CSRF_CHARS + 1];

    *out = NULL;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I}",
                          "c", r->client_id, "r", r->redirect_uri, "s", r->scope,
                          "st", r->state, "n", r->nonce, "cc", r->code_challenge,
                          "h", r->login_hint, "fp", r->form_post,
                          "exp", (json_int_t)time(NULL) + AUTHZ_SEALED_TTL);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return TS_ENOMEM;
    size_t tl = strlen(text), el = tessera_b64url_encoded_len(tl);
    char *s = malloc(el + 1 + sizeof mtext);
    if (!s) {
        free(text);
        return TS_ENOMEM;
    }
    tessera_b64url_encode((const uint8_t *)text, tl, s);
    free(text);
    mac(a, "authz", csrf_cookie, s, m);
    tessera_b64url_encode(m, sizeof m, mtext);
    s[el] = '.';
    memcpy(s + el + 1, mtext, sizeof mtext);
    *out = s;
    return TS_OK;
}

/* Copies a string member into dst (size bytes); -1 when absent, not a string, or too
 * long (a sealed value is ours, so this only guards against a bug). */
static int member(json_t *j, const char *name, char *dst, size_t size)
{
    json_t *v = json_object_get(j, name);
    if (!json_is_string(v) || json_string_length(v) >= size)
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

ts_err authz_open(struct app *a, const char *sealed, const char *csrf_cookie,
                  struct authz_req *out)
{
    unsigned char m[32];
    char want[AUTHZ_CSRF_CHARS + 1], payload[8192];
    uint8_t text[6144];
    size_t tl;

    memset(out, 0, sizeof *out);
    const char *dot = sealed ? strchr(sealed, '.') : NULL;
    if (!dot || !csrf_cookie || strlen(csrf_cookie) != AUTHZ_CSRF_CHARS ||
        (size_t)(dot - sealed) >= sizeof payload || strlen(dot + 1) != AUTHZ_CSRF_CHARS)
        return TS_EINVAL;
    memcpy(payload, sealed, (size_t)(dot - sealed));
    payload[dot - sealed] = '\0';
    mac(a, "authz", csrf_cookie, payload, m);
    tessera_b64url_encode(m, sizeof m, want);
    if (!secret_equal(want, dot + 1, AUTHZ_CSRF_CHARS))
        return TS_EINVAL;
    if (tessera_b64url_decode(payload, strlen(payload), text, &tl) != TESSERA_OK ||
        tl >= sizeof text)
        return TS_EINVAL;
    text[tl] = '\0';
    json_t *j = json_loads((const char *)text, 0, NULL);
    json_t *exp = json_object_get(j, "exp");
    ts_err err = TS_EINVAL;
    if (j && json_is_integer(exp) && json_integer_value(exp) > (json_int_t)time(NULL) &&
        !member(j, "c", out->client_id, sizeof out->client_id) &&
        !member(j, "r", out->redirect_uri, sizeof out->redirect_uri) &&
        !member(j, "s", out->scope, sizeof out->scope) &&
        !member(j, "st", out->state, sizeof out->state) &&
        !member(j, "n", out->nonce, sizeof out->nonce) &&
        !member(j, "cc", out->code_challenge, sizeof out->code_challenge) &&
        !member(j, "h", out->login_hint, sizeof out->login_hint)) {
        out->form_post = json_is_true(json_object_get(j, "fp"));
        err = TS_OK;
    }
    json_decref(j);
    if (err)
        memset(out, 0, sizeof *out);
    return err;
}
