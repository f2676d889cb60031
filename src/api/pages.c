/* SPDX-License-Identifier: Apache-2.0 */
/* The hosted pages' headers, rendering, cookies and authorization responses. */
#include "api/pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "core/authcode.h"
#include "base/secret.h"

void pages_headers(struct response *res, const char *form_action, int script)
{
    char csp[1400];
    snprintf(csp, sizeof csp, "default-src 'none'; style-src 'self'; %sform-action "
             "'self'%s%s; frame-ancestors 'none'; base-uri 'none'",
             script ? "script-src 'self'; " : "", form_action ? " " : "",
             form_action ? form_action : "");
    http_add_header(res, "Content-Security-Policy", csp);
    http_add_header(res, "Referrer-Policy", "no-referrer");
    http_add_header(res, "X-Content-Type-Options", "nosniff");
}

ts_err pages_render(struct request *req, struct response *res, int status,
                    const char *name, const struct web_var *vars, size_t n,
                    const char *form_action, int script)
{
    char *body;
    size_t len;
    ts_err err = web_render(req->app->cfg.web_templates_dir, name, vars, n, &body, &len);
    if (err)
        return err == TS_ENOTFOUND ? TS_EINTERNAL : err;
    free(res->body);
    res->body = body;
    res->body_len = len;
    res->content_type = "text/html; charset=utf-8";
    res->status = status;
    pages_headers(res, form_action, script);
    return TS_OK;
}

ts_err pages_error(struct request *req, struct response *res, int status,
                   const char *text_key)
{
    const struct web_var v[] = { { "message", web_text(text_key) } };
    return pages_render(req, res, status, "error.html", v, 1, NULL, 0);
}

static int https(const struct request *req)
{
    return req->is_tls || !strncmp(req->app->cfg.issuer, "https://", 8);
}

static void cookie_name(const struct request *req, const char *base, char *out,
                        size_t size)
{
    snprintf(out, size, "%s%s", https(req) ? "__Host-" : "", base);
}

int pages_cookie(const struct request *req, const char *base, char *out, size_t size)
{
    char name[64];
    const char *h = http_header(req, "Cookie");
    size_t nl;

    out[0] = '\0';
    cookie_name(req, base, name, sizeof name);
    nl = strlen(name);
    /* cookie-string = pair *( ";" SP pair ) (RFC 6265 4.2.1); the first pair with
     * the name counts */
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && p[nl] == '=' && !memcmp(p, name, nl)) {
            size_t vl = len - nl - 1;
            if (vl >= size)
                return 0;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return vl > 0;
        }
        p += len;
    }
    return 0;
}

void pages_set_cookie(const struct request *req, struct response *res, const char *base,
                      const char *value, long max_age, const char *same_site)
{
    char name[64], line[512];
    cookie_name(req, base, name, sizeof name);
    snprintf(line, sizeof line, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=%s%s",
             name, value, max_age, same_site, https(req) ? "; Secure" : "");
    http_add_header(res, "Set-Cookie", line);
}

/* Appends name=value, form-urlencoded, to out (size bytes); -1 when it does not fit. */
static int add_param(char *out, size_t size, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(out);
    int n = snprintf(out + len, size - len, "%s%s=", len ? "&" : "", name);
    if (n < 0 || (size_t)n >= size - len)
        return -1;
    len += (size_t)n;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
                    *p == '~';
        if (len + (plain ? 1 : 3) >= size)
            return -1;
        if (plain) {
            out[len++] = (char)*p;
        } else {
            out[len++] = '%';
            out[len++] = hex[*p >> 4];
            out[len++] = hex[*p & 15];
        }
    }
    out[len] = '\0';
    return 0;
}

/* The origin of an absolute URI ("https://host:port"), for the CSP's form-action. */
static void origin_of(const char *uri, char *out, size_t size)
{
    const char *host = strstr(uri, "://");
    size_t n = host ? strcspn(host + 3, "/?#") + (size_t)(host + 3 - uri) : strlen(uri);
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), uri);
}

ts_err pages_authz_response(struct request *req, struct response *res,
                            const struct authz_req *r, const char *code,
                            const char *error, const char *description)
{
    const char *iss = req->app->cfg.issuer;
    char query[2048] = "";

    if ((code && add_param(query, sizeof query, "code", code)) ||
        (!code && add_param(query, sizeof query, "error", error)) ||
        (!code && description &&
         add_param(query, sizeof query, "error_description", description)) ||
        (r->state[0] && add_param(query, sizeof query, "state", r->state)) ||
        add_param(query, sizeof query, "iss", iss))
        return TS_EINTERNAL;       /* the limits on redirect_uri and state keep it in */

    if (!r->form_post) {
        char loc[sizeof res->headers[0].value];
        int n = snprintf(loc, sizeof loc, "%s%c%s", r->redirect_uri,
                         strchr(r->redirect_uri, '?') ? '&' : '?', query);
        if (n < 0 || (size_t)n >= sizeof loc)
            return TS_EINTERNAL;
        http_add_header(res, "Location", loc);
        res->status = 303;
        res->content_type = NULL;
        pages_headers(res, NULL, 0);
        return TS_OK;
    }
    /* form_post: the same members as hidden fields, escaped */
    char fields[6144] = "", origin[AUTHZ_URI_MAX + 1];
    const char *names[] = { code ? "code" : "error", code ? NULL : "error_description",
                            "state", "iss" };
    const char *values[] = { code ? code : error, description, r->state, iss };
    for (int i = 0; i < 4; i++) {
        if (!names[i] || !values[i] || !values[i][0])
            continue;
        char *e = web_escape(values[i]);
        if (!e)
            return TS_ENOMEM;
        size_t len = strlen(fields);
        int n = snprintf(fields + len, sizeof fields - len,
                         "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", names[i], e);
        free(e);
        if (n < 0 || (size_t)n >= sizeof fields - len)
            return TS_EINTERNAL;
    }
    origin_of(r->redirect_uri, origin, sizeof origin);
    const struct web_var v[] = { { "action", r->redirect_uri }, { "fields", fields } };
    return pages_render(req, res, 200, "form_post.html", v, 2, origin, 1);
}

ts_err pages_login(struct request *req, struct response *res, int status,
                   const struct authz_req *r, const char *client_name,
                   const char *error_key)
{
    char cookie[AUTHZ_CSRF_CHARS + 1], csrf[AUTHZ_CSRF_CHARS + 1], alert[512] = "";
    char *sealed = NULL;
    ts_err err;

    if (!pages_cookie(req, PAGES_CSRF_COOKIE, cookie, sizeof cookie) ||
        strlen(cookie) != AUTHZ_CSRF_CHARS) {
        if ((err = secret_token(cookie)))
            return err;
    }
    /* set again either way: its lifetime starts with this page */
    pages_set_cookie(req, res, PAGES_CSRF_COOKIE, cookie, AUTHZ_SEALED_TTL, "Strict");
    authz_csrf_token(req->app, cookie, csrf);
    if ((err = authz_seal(req->app, r, cookie, &sealed)))
        goto out;
    if (error_key) {
        char *e = web_escape(web_text(error_key));
        if (!e) {
            err = TS_ENOMEM;
            goto out;
        }
        snprintf(alert, sizeof alert, "<p class=\"error\" role=\"alert\">%s</p>", e);
        free(e);
    }
    const struct web_var v[] = {
        { "client_name", client_name }, { "csrf", csrf }, { "request", sealed },
        { "login_hint", r->login_hint }, { "error_block", alert },
    };
    char origin[AUTHZ_URI_MAX + 1];
    origin_of(r->redirect_uri, origin, sizeof origin);
    err = pages_render(req, res, status, "login.html", v, sizeof v / sizeof v[0], origin,
                       0);
out:
    free(sealed);
    secret_wipe(cookie, sizeof cookie);
    return err;
}

ts_err pages_code_response(struct request *req, struct response *res,
                           const struct authz_req *r, const struct browser_session *bs)
{
    char code[SECRET_TOKEN_CHARS + 1];
    ts_err err = authcode_issue(req->app, r, bs, code);
    if (!err)
        err = pages_authz_response(req, res, r, code, NULL, NULL);
    secret_wipe(code, sizeof code);
    return err;
}
