/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the hosted pages' handlers (authorize.c, login_page.c) share: the security
 * headers every page sends, rendering a template (web/web.h) into the response,
 * the error page, the browser's cookies, and the authorization response (RFC 6749
 * 4.1.2: a redirect with the code or the error, state and iss (RFC 9207), or the
 * form_post page).
 */
#ifndef API_PAGES_H
#define API_PAGES_H

#include "core/authz.h"
#include "http/http.h"
#include "web/web.h"

struct browser_session;

/* The cookie names: __Host- prefixed (Secure, Path=/, no Domain) when the browser
 * reaches the server over HTTPS (the request came over TLS, or server.issuer is
 * https), plain over HTTP (development only). */
#define PAGES_SESSION_COOKIE "tessera_session"
#define PAGES_CSRF_COOKIE    "tessera_csrf"

/* Adds Content-Security-Policy (default-src 'none'; style-src 'self'; script-src
 * 'self' when `script`; form-action 'self' plus the origin `form_action` when not
 * NULL; frame-ancestors 'none'; base-uri 'none'), Referrer-Policy: no-referrer and
 * X-Content-Type-Options: nosniff. Cache-Control: no-store comes from the route's
 * ROUTE_NO_STORE. A form whose POST answers with a redirect to the client needs the
 * client's origin in form-action: browsers apply it to the redirect too. */
void pages_headers(struct response *res, const char *form_action, int script);

/* Renders template `name` as a text/html page with `status` and pages_headers
 * (form_action, script).
 * TS_OK, or the rendering's error (the caller returns it: a JSON 5xx). */
ts_err pages_render(struct request *req, struct response *res, int status,
                    const char *name, const struct web_var *vars, size_t n,
                    const char *form_action, int script);

/* The error page (status, the sentence web_text(text_key)); never a redirect. */
ts_err pages_error(struct request *req, struct response *res, int status,
                   const char *text_key);

/* The value of the browser's cookie `base` (under its name for this request: see
 * above) copied into out, or 0 when absent or longer than size - 1. */
int pages_cookie(const struct request *req, const char *base, char *out, size_t size);

/* Set-Cookie for `base` = value: HttpOnly, SameSite (`same_site`), Path=/, Max-Age
 * (0: expire it now), Secure when over HTTPS. */
void pages_set_cookie(const struct request *req, struct response *res, const char *base,
                      const char *value, long max_age, const char *same_site);

/* The authorization response to r's redirect_uri: the code (code != NULL), or the
 * OAuth error `error` with `description` (may be NULL), state when r had one, and
 * iss. A 303 redirect with them in the query, or with r->form_post a 200 page whose
 * form posts them there. */
ts_err pages_authz_response(struct request *req, struct response *res,
                            const struct authz_req *r, const char *code,
                            const char *error, const char *description);

/* Issues a code for r from the browser session bs (authcode_issue) and answers with it
 * (pages_authz_response). */
ts_err pages_code_response(struct request *req, struct response *res,
                           const struct authz_req *r, const struct browser_session *bs);

/* The login page for the pending request r of client `client_name`: a pre-login
 * CSRF cookie (the browser's, or a new one), the form's token made from it, r
 * sealed to it (authz_seal), login_hint prefilled, and the sentence `error_key`
 * (NULL: none) in an alert. */
ts_err pages_login(struct request *req, struct response *res, int status,
                   const struct authz_req *r, const char *client_name,
                   const char *error_key);

#endif
