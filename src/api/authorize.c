/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET|POST /oauth2/authorize (RFC 6749 4.1.1, OpenID Connect Core 3.1.2): the client
 * and its redirect_uri are checked first, and a bad one gets an error page, never a
 * redirect; every later error goes back to the redirect_uri (RFC 6749 4.1.2.1) with
 * state and iss. With a live browser session the code is issued at once; without
 * one (or when prompt=login or max_age asks for a new login) the login page is
 * shown, and its POST (login_page.c) finishes the request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/pages.h"
#include "core/app.h"
#include "core/authcode.h"
#include "core/client.h"
#include "core/session.h"

/* A parameter of the request: from the query for GET, the form for POST. 1 with *v
 * set, 0 when absent or empty (RFC 6749 3.1), -1 when repeated. */
static int param(const struct request *req, const char *name, const char **v)
{
    *v = NULL;
    if (!strcmp(req->method, "GET")) {
        int n = http_query_all(req, name, v);
        if (n > 1)
            return -1;
        return *v && **v ? 1 : 0;
    }
    int k = 0;
    const char *first = http_param_next(req, name, &k);
    if (first && http_param_next(req, name, &k))
        return -1;
    *v = first;
    return first && *first ? 1 : 0;
}

/* Printable ASCII (the characters RFC 6749 allows in state, scope, nonce ...). */
static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* Copies an optional parameter: 0, or -1 when repeated, longer than size - 1 or not
 * printable ASCII. */
static int optional(const struct request *req, const char *name, char *dst, size_t size)
{
    const char *v;
    int k = param(req, name, &v);
    dst[0] = '\0';
    if (k < 0 || (k && (strlen(v) >= size || !printable(v))))
        return -1;
    if (k)
        memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* What prompt asks: PROMPT_NONE, PROMPT_LOGIN; -1 for a malformed value. */
enum { PROMPT_NONE = 1, PROMPT_LOGIN = 2 };
static int prompt_flags(const char *p)
{
    int flags = 0, words = 0;
    char w[32];
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n && n < sizeof w) {
            memcpy(w, p, n);
            w[n] = '\0';
            words++;
            if (!strcmp(w, "none"))
                flags |= PROMPT_NONE;
            else if (!strcmp(w, "login"))
                flags |= PROMPT_LOGIN;
            else if (strcmp(w, "consent") != 0 && strcmp(w, "select_account") != 0)
                return -1;
        } else if (n) {
            return -1;
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    /* OIDC Core 3.1.2.1: none with any other value is an error */
    return (flags & PROMPT_NONE) && words > 1 ? -1 : flags;
}

/* The checks after the redirect URI is known good; an error goes back to it. On
 * error returns the OAuth error code and sets *why. */
static const char *check(struct request *req, const struct client_rec *c,
                         struct authz_req *r, int *prompt, long *max_age,
                         const char **why)
{
    const char *v;
    char buf[32];
    int k;

    *prompt = 0;
    *max_age = -1;
    if ((k = param(req, "response_type", &v)) <= 0)
        return *why = k ? "The parameter 'response_type' is repeated."
                        : "The parameter 'response_type' is required.",
               "invalid_request";
    if (strcmp(v, "code") != 0)
        return *why = "Only response_type=code is supported.", "unsupported_response_type";
    if (!client_allows_grant(c, "authorization_code"))
        return *why = "This client may not use the authorization code flow.",
               "unauthorized_client";
    if (param(req, "request", &v) != 0)
        return *why = "Request objects are not supported.", "request_not_supported";
    if (param(req, "request_uri", &v) != 0)
        return *why = "request_uri is not supported.", "request_uri_not_supported";
    if (optional(req, "scope", r->scope, sizeof r->scope) < 0 ||
        strchr(r->scope, '"') || strchr(r->scope, '\\'))
        return *why = "The scope parameter is malformed.", "invalid_scope";
    if (optional(req, "nonce", r->nonce, sizeof r->nonce) < 0)
        return *why = "The nonce parameter is malformed or longer than 512 characters.",
               "invalid_request";
    if (optional(req, "login_hint", r->login_hint, sizeof r->login_hint) < 0)
        return *why = "The login_hint parameter is malformed.", "invalid_request";
    char method[16];
    if (optional(req, "code_challenge_method", method, sizeof method) < 0 ||
        (method[0] && strcmp(method, "S256") != 0))
        return *why = "The code_challenge_method must be S256 (plain is refused).",
               "invalid_request";
    if (optional(req, "code_challenge", r->code_challenge, sizeof r->code_challenge) < 0 ||
        (r->code_challenge[0] && !authcode_challenge_ok(r->code_challenge)))
        return *why = "The code_challenge must be 43 base64url characters (S256).",
               "invalid_request";
    if (r->code_challenge[0] && !method[0])
        return *why = "The code_challenge_method must be S256 (plain is refused).",
               "invalid_request";
    if (!r->code_challenge[0] && (c->is_public || req->app->cfg.require_pkce))
        return *why = "PKCE is required: send code_challenge with "
                      "code_challenge_method=S256.", "invalid_request";
    char prompt_text[64];
    if (optional(req, "prompt", prompt_text, sizeof prompt_text) < 0 ||
        (*prompt = prompt_flags(prompt_text)) < 0)
        return *why = "The prompt parameter is malformed.", "invalid_request";
    if (optional(req, "max_age", buf, sizeof buf) < 0)
        return *why = "The max_age parameter is malformed.", "invalid_request";
    if (buf[0]) {
        char *end;
        if (strspn(buf, "0123456789") != strlen(buf) || strlen(buf) > 10)
            return *why = "The max_age parameter is malformed.", "invalid_request";
        *max_age = strtol(buf, &end, 10);
    }
    char locales[256];           /* accepted and ignored: the pages have one language */
    if (optional(req, "ui_locales", locales, sizeof locales) < 0)
        return *why = "The ui_locales parameter is malformed.", "invalid_request";
    return NULL;
}

ts_err api_oauth2_authorize(struct request *req, struct response *res)
{
    struct authz_req r = { 0 };
    struct client_rec c = { 0 };
    struct browser_session bs;
    const char *v, *error, *why = NULL;
    long max_age;
    int prompt, k;
    ts_err err;

    /* 1. the client and the redirect URI: never a redirect when either is bad */
    if ((k = param(req, "client_id", &v)) != 1 || strlen(v) > STORE_CLIENT_ID_LEN)
        return pages_error(req, res, 400, k ? "error_unknown_client" : "error_bad_request");
    err = client_get(req->app, v, &c);
    if (err == TS_ENOTFOUND || (!err && c.disabled)) {
        err = pages_error(req, res, 400, "error_unknown_client");
        goto out;
    }
    if (err)
        goto out;
    memcpy(r.client_id, c.id, sizeof r.client_id);
    if (param(req, "redirect_uri", &v) != 1 || strlen(v) > AUTHZ_URI_MAX ||
        !client_redirect_allowed(&c, v)) {
        err = pages_error(req, res, 400, "error_bad_redirect");
        goto out;
    }
    memcpy(r.redirect_uri, v, strlen(v) + 1);

    /* 2. how to answer: state and the response mode, then every other check */
    if (optional(req, "state", r.state, sizeof r.state) < 0) {
        r.state[0] = '\0';
        err = pages_authz_response(req, res, &r, NULL, "invalid_request",
                                   "The state parameter is malformed or longer than 512 "
                                   "characters.");
        goto out;
    }
    char mode[16];
    if (optional(req, "response_mode", mode, sizeof mode) < 0 ||
        (mode[0] && strcmp(mode, "query") != 0 && strcmp(mode, "form_post") != 0)) {
        err = pages_authz_response(req, res, &r, NULL, "invalid_request",
                                   "The response_mode must be query or form_post.");
        goto out;
    }
    r.form_post = !strcmp(mode, "form_post");
    if ((error = check(req, &c, &r, &prompt, &max_age, &why))) {
        err = pages_authz_response(req, res, &r, NULL, error, why);
        goto out;
    }

    /* 3. the browser session, or the login page */
    char cookie[SECRET_TOKEN_CHARS + 2];
    int have = pages_cookie(req, PAGES_SESSION_COOKIE, cookie, sizeof cookie);
    err = have ? session_browser_get(req->app, cookie, &bs) : TS_ENOTFOUND;
    secret_wipe(cookie, sizeof cookie);
    if (err && err != TS_ENOTFOUND)
        goto out;
    int login = err == TS_ENOTFOUND || (prompt & PROMPT_LOGIN) ||
                (max_age >= 0 && (int64_t)time(NULL) - bs.auth_time > max_age);
    if (login && (prompt & PROMPT_NONE)) {
        err = pages_authz_response(req, res, &r, NULL, "login_required",
                                   "The user is not logged in.");
        goto out;
    }
    if (login) {
        err = pages_login(req, res, 200, &r, c.name, NULL);
        goto out;
    }
    err = pages_code_response(req, res, &r, &bs);
out:
    client_rec_clear(&c);
    return err;
}
