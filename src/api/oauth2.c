/* SPDX-License-Identifier: Apache-2.0 */
/* POST /oauth2/token (RFC 6749), /oauth2/revoke (RFC 7009), /oauth2/introspect
 * (RFC 7662). The server has authenticated the client (req->client) and parsed the
 * form body before these run. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/audience.h"
#include "core/authcode.h"
#include "core/client.h"
#include "core/idtoken.h"
#include "core/introspect.h"
#include "core/password.h"
#include "core/ratelimit.h"
#include "core/session.h"

#define TOKEN_MAX 8192   /* longer than any token we issue */

/* grant_type from the body or the query string, once. */
static ts_err grant_type(struct request *req, struct response *res, const char **out)
{
    const char *body, *query;
    ts_err err = http_param(req, "grant_type", 64, 0, res, &body);
    *out = NULL;
    if (err)
        return err;
    int nq = http_query_all(req, "grant_type", &query);
    if (nq > 1 || (nq == 1 && body))
        return http_fail(res, TS_EINVAL, "The parameter 'grant_type' is repeated.");
    *out = body ? body : query;
    if (!*out || !**out)
        return http_fail(res, TS_EINVAL, "The parameter 'grant_type' is required.");
    return TS_OK;
}

/* The audience a token request asks for (RFC 8707 2.1): every `resource` and every
 * `audience` (its common alias) of the body, checked and deduplicated into out ("":
 * none asked, the default). TS_ETARGET (400 invalid_target) for a malformed value or
 * too many; an empty value is TS_EINVAL. */
static ts_err requested_audience(struct request *req, struct response *res,
                                 char out[AUDIENCE_LIST_MAX])
{
    static const struct { const char *name; enum audience_param kind; } params[] = {
        { "resource", AUDIENCE_PARAM_RESOURCE }, { "audience", AUDIENCE_PARAM_AUDIENCE },
    };
    out[0] = '\0';
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        const char *v;
        int k = 0;
        while ((v = http_param_next(req, params[i].name, &k))) {
            if (!*v)
                return http_fail(res, TS_EINVAL, "The parameter '%s' is empty.",
                                 params[i].name);
            ts_err err = audience_add(out, params[i].kind, v, strlen(v),
                                      res->error_description,
                                      sizeof res->error_description);
            if (err)
                return err;
        }
    }
    return TS_OK;
}

static ts_err grant_client_credentials(struct request *req, struct response *res,
                                       struct token_set *t)
{
    const char *scope;
    char aud[AUDIENCE_LIST_MAX];
    ts_err err = http_param(req, "scope", SCOPE_MAX_LEN - 1, 0, res, &scope);
    if (err || (err = requested_audience(req, res, aud)))
        return err;
    char key[STORE_CLIENT_ID_LEN + 8];
    struct rl_limit l = { req->app->cfg.rl_client_tokens, req->app->cfg.rl_client_window };
    snprintf(key, sizeof key, "cc:%s", req->client->id);
    long wait = ratelimit_take(req->app->limits, &l, key);
    if (wait) {
        res->retry_after = wait;
        return http_fail(res, TS_ELIMIT, "Too many token requests from this client; "
                         "retry in %ld seconds.", wait);
    }
    err = client_issue_token(req->app, req->client, scope, aud, req->cnf_x5t, t);
    if (err == TS_ESCOPE)
        return http_fail(res, err, "The requested scope is not granted to this client.");
    if (err == TS_EINVAL)
        return http_fail(res, err, "The scope parameter is malformed.");
    if (err == TS_ETARGET)
        return http_fail(res, err, "%s", t->why);
    return err;
}

static ts_err grant_password(struct request *req, struct response *res,
                             struct token_set *t)
{
    const char *username, *password, *scope;
    char aud[AUDIENCE_LIST_MAX];
    ts_err err;
    if ((err = http_param(req, "username", STORE_EMAIL_LEN, 1, res, &username)) ||
        (err = http_param(req, "password", PASSWORD_MAX_LEN, 1, res, &password)) ||
        (err = http_param(req, "scope", SCOPE_MAX_LEN - 1, 0, res, &scope)) ||
        (err = requested_audience(req, res, aud)))
        return err;
    struct login_req lr = {
        .login = username, .by_email = 0,
        .password = password, .password_len = strlen(password),
        .scope = scope, .user_agent = req->user_agent, .ip = req->ip,
        .client = req->client, .cnf_x5t = req->cnf_x5t, .audience = aud,
    };
    err = session_login(req->app, &lr, t);
    if (err == TS_ELIMIT) {
        res->retry_after = t->retry_after;
        return http_fail(res, err, "Too many failed logins; retry in %ld seconds.",
                         t->retry_after);
    }
    if (err == TS_ECREDS)
        return http_fail(res, TS_EOGRANT, "Invalid username or password.");
    if (err == TS_ESCOPE)
        return http_fail(res, err, "The requested scope is not granted to this user.");
    if (err == TS_EINVAL)
        return http_fail(res, err, "The scope parameter is malformed.");
    if (err == TS_ETARGET)
        return http_fail(res, err, "%s", t->why);
    return err;
}

static ts_err grant_refresh(struct request *req, struct response *res, struct token_set *t)
{
    const char *rt, *scope;
    char aud[AUDIENCE_LIST_MAX];
    ts_err err;
    if ((err = http_param(req, "refresh_token", TOKEN_MAX, 1, res, &rt)) ||
        (err = http_param(req, "scope", SCOPE_MAX_LEN - 1, 0, res, &scope)) ||
        (err = requested_audience(req, res, aud)))
        return err;
    err = session_refresh(req->app, req->client, rt, scope, aud, req->cnf_x5t,
                          req->user_agent, req->ip, t);
    if (err == TS_EGRANT)
        return http_fail(res, TS_EOGRANT,
                         "The refresh token is invalid, expired, revoked or not this "
                         "client's.");
    if (err == TS_ESCOPE)
        return http_fail(res, err, "The requested scope exceeds the session's scope.");
    if (err == TS_EINVAL)
        return http_fail(res, err, "The scope parameter is malformed.");
    if (err == TS_ETARGET)
        return http_fail(res, err, "%s", t->why);
    return err;
}

/* The id token of a code grant whose scope holds openid (OpenID Connect Core 3.1.3.3),
 * into *out (malloc'd): the user (sub), the client (aud, azp, and its
 * id_token_signed_response_alg), the code's nonce, the session id the tokens carry
 * (sid), the browser session's auth_time, amr ["pwd"] (a password on the login page),
 * the granted scope and the access token (at_hash). */
static ts_err code_grant_id_token(struct app *a, const struct client_rec *c,
                                  const struct code_rec *code, const struct token_set *t,
                                  char **out)
{
    struct idtoken_in in = {
        .sub = code->user_id, .client_id = c->id,
        .nonce = code->nonce[0] ? code->nonce : NULL, .sid = code->issued_sid,
        .auth_time = code->auth_time, .amr_json = "[\"pwd\"]", .scope = t->scope,
        .access_token = t->access_token,
        .alg = client_id_token_alg(a, c),
    };
    return idtoken_issue(a, &in, out);
}

/* RFC 6749 4.1.3 with RFC 7636 4.5: the code, the redirect_uri of its request, and
 * the PKCE verifier. */
static ts_err grant_authorization_code(struct request *req, struct response *res,
                                       struct token_set *t)
{
    const char *code, *redirect_uri, *verifier;
    struct code_rec cr;
    char why[160];
    ts_err err;

    if ((err = http_param(req, "code", 128, 1, res, &code)) ||
        (err = http_param(req, "redirect_uri", AUTHZ_URI_MAX, 1, res, &redirect_uri)) ||
        (err = http_param(req, "code_verifier", 128, 0, res, &verifier)))
        return err;
    err = authcode_redeem(req->app, req->client, code, redirect_uri, verifier, req->ip,
                          &cr, why, sizeof why);
    if (err == TS_EOGRANT)
        return http_fail(res, err, "%s", why);
    if (err)
        return err;
    err = session_code_grant(req->app, req->client, &cr, req->user_agent, req->ip,
                             req->cnf_x5t, t);
    if (err == TS_EOGRANT)
        err = http_fail(res, err, "The login behind this code has ended.");
    if (err == TS_ESCOPE)
        err = http_fail(res, err, "The requested scope is not granted to this user.");
    if (!err && scope_contains(t->scope, "openid", 6) &&
        (err = code_grant_id_token(req->app, req->client, &cr, t, &t->id_token)))
        token_set_clear(t);
    secret_wipe(&cr, sizeof cr);
    return err;
}

ts_err api_oauth2_token(struct request *req, struct response *res)
{
    const struct client_rec *c = req->client;
    const struct compat_shape *shape = req->route->data;   /* NULL: the native answer */
    const char *gt = NULL;
    struct token_set t;
    ts_err (*grant)(struct request *, struct response *, struct token_set *);
    ts_err err = grant_type(req, res, &gt);
    if (err && shape && shape->grant_error)
        return http_fail(res, TS_EGRANTTYPE, "%s", shape->grant_error);
    if (err)
        return err;

    if (strcmp(gt, "client_credentials") == 0)
        grant = grant_client_credentials;
    else if (strcmp(gt, "password") == 0)
        grant = grant_password;
    else if (strcmp(gt, "refresh_token") == 0)
        grant = grant_refresh;
    else if (strcmp(gt, "authorization_code") == 0 && !shape)
        grant = grant_authorization_code;
    else if (shape && shape->grant_error)
        return http_fail(res, TS_EGRANTTYPE, "%s", shape->grant_error);
    else
        return http_fail(res, TS_EGRANTTYPE, "The grant type '%.64s' is not supported; "
                         "use client_credentials, password, refresh_token or "
                         "authorization_code.", gt);
    if (!client_allows_grant(c, gt) || (grant == grant_client_credentials && c->is_public))
        return http_fail(res, TS_EUNAUTHCLIENT,
                         "This client is not allowed to use the grant type '%s'.", gt);
    /* The password grant hashes: leave the I/O threads first. */
    if (grant == grant_password && http_defer_to_worker(req))
        return TS_OK;

    if ((err = grant(req, res, &t)))
        return err;
    err = api_token_response_shaped(res, &t, shape);
    token_set_clear(&t);
    return err;
}

ts_err api_oauth2_revoke(struct request *req, struct response *res)
{
    const char *token, *hint;
    ts_err err;
    if ((err = http_param(req, "token", TOKEN_MAX, 1, res, &token)) ||
        (err = http_param(req, "token_type_hint", 64, 0, res, &hint)))
        return err;
    err = token_revoke(req->app, req->client, token, req->ip);
    if (err == TS_EUNAUTHCLIENT)
        return http_fail(res, err, "The token was not issued to this client.");
    if (err)
        return err;
    res->status = 200;
    res->content_type = NULL;
    return TS_OK;
}

ts_err api_oauth2_introspect(struct request *req, struct response *res)
{
    const char *token, *hint;
    json_t *o;
    ts_err err;
    if (req->client->is_public)
        return http_fail(res, TS_ECLIENT, "Public clients may not introspect tokens.");
    if ((err = http_param(req, "token", TOKEN_MAX, 1, res, &token)) ||
        (err = http_param(req, "token_type_hint", 64, 0, res, &hint)))
        return err;
    const struct client_cert *cc = http_client_cert(req);
    if ((err = token_introspect(req->app, token, cc->present ? cc->x5t : NULL, &o)))
        return err;
    return http_json(res, 200, o);
}
