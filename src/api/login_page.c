/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /oauth2/login, the hosted login page's form (run on the worker pool: it hashes
 * a password), and GET /oauth2/static/{file}, its stylesheet and script. The form
 * carries the CSRF token and the sealed authorization request (core/authz.h); both
 * must match the browser's pre-login cookie. A login creates a browser session
 * (core/session.h), sets its cookie and finishes the authorization request.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/pages.h"
#include "core/app.h"
#include "core/client.h"
#include "core/password.h"
#include "core/session.h"

ts_err api_login_page(struct request *req, struct response *res)
{
    char cookie[AUTHZ_CSRF_CHARS + 2], session[SECRET_TOKEN_CHARS + 1];
    struct authz_req r;
    struct client_rec c = { 0 };
    struct browser_session bs;
    const char *csrf, *sealed, *login, *password;
    long wait = 0;
    ts_err err;

    if (!pages_cookie(req, PAGES_CSRF_COOKIE, cookie, sizeof cookie))
        cookie[0] = '\0';
    if (http_param(req, "csrf", AUTHZ_CSRF_CHARS, 0, res, &csrf) || !csrf ||
        !authz_csrf_ok(req->app, cookie, csrf))
        return pages_error(req, res, 403, "login_expired");
    if (http_param(req, "request", 8192, 0, res, &sealed) || !sealed ||
        authz_open(req->app, sealed, cookie, &r))
        return pages_error(req, res, 400, "login_expired");
    /* the client may have changed since the page was shown */
    err = client_get(req->app, r.client_id, &c);
    if (err == TS_ENOTFOUND || (!err && (c.disabled || !client_redirect_allowed(&c,
                                                                 r.redirect_uri)))) {
        err = pages_error(req, res, 400, "error_bad_redirect");
        goto out;
    }
    if (err)
        goto out;
    if (http_param(req, "login", STORE_EMAIL_LEN, 0, res, &login) ||
        http_param(req, "password", PASSWORD_MAX_LEN, 0, res, &password) || !login ||
        !password) {
        err = pages_login(req, res, 400, &r, c.name, "login_failed");
        goto out;
    }
    struct login_req lr = {
        .login = login, .password = password, .password_len = strlen(password),
        .user_agent = req->user_agent, .ip = req->ip,
    };
    err = session_browser_login(req->app, &lr, session, &bs, &wait);
    if (err == TS_ECREDS) {
        err = pages_login(req, res, 401, &r, c.name, "login_failed");
        goto out;
    }
    if (err == TS_ELIMIT) {
        res->retry_after = wait;
        err = pages_login(req, res, 429, &r, c.name, "login_limited");
        goto out;
    }
    if (err)
        goto out;
    /* the browser's earlier session, if any, is replaced: one browser, one session */
    char old[SECRET_TOKEN_CHARS + 2];
    if (pages_cookie(req, PAGES_SESSION_COOKIE, old, sizeof old))
        (void)session_browser_end(req->app, old, req->ip);  /* failing: it runs out */
    secret_wipe(old, sizeof old);
    pages_set_cookie(req, res, PAGES_SESSION_COOKIE, session, req->app->cfg.web_session_ttl,
                     "Lax");
    secret_wipe(session, sizeof session);
    pages_set_cookie(req, res, PAGES_CSRF_COOKIE, "", 0, "Strict");
    err = pages_code_response(req, res, &r, &bs);
out:
    secret_wipe(cookie, sizeof cookie);
    client_rec_clear(&c);
    return err;
}

ts_err api_web_static(struct request *req, struct response *res)
{
    static const struct { const char *name, *type; } files[] = {
        { "style.css", "text/css; charset=utf-8" },
        { "form_post.js", "text/javascript; charset=utf-8" },
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (strcmp(req->path_param, files[i].name) != 0)
            continue;
        char *body;
        size_t len;
        ts_err err = web_file(req->app->cfg.web_templates_dir, files[i].name, &body, &len);
        if (err)
            return err == TS_ENOTFOUND ? TS_EINTERNAL : err;
        free(res->body);
        res->body = body;
        res->body_len = len;
        res->content_type = files[i].type;
        res->status = 200;
        http_add_header(res, "X-Content-Type-Options", "nosniff");
        http_add_header(res, "Cache-Control", "public, max-age=3600");
        return TS_OK;
    }
    return TS_ENOTFOUND;
}
