/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/auth/login and POST /v1/auth/register. Run on the worker pool. */
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/audience.h"
#include "core/password.h"
#include "core/session.h"
#include "core/user.h"

/* The audience a login asks for: the members "resource" and "audience" (its alias),
 * each a string or an array of strings (RFC 8707 asks for several resources), checked
 * and deduplicated into out ("": none asked). The count is limited before a value is
 * looked at (audience_add). */
static ts_err requested_audience(json_t *body, struct response *res,
                                 char out[AUDIENCE_LIST_MAX])
{
    static const struct { const char *name; enum audience_param kind; } members[] = {
        { "resource", AUDIENCE_PARAM_RESOURCE }, { "audience", AUDIENCE_PARAM_AUDIENCE },
    };
    out[0] = '\0';
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        json_t *m = json_object_get(body, members[i].name);
        if (!m)
            continue;
        if (!json_is_string(m) && !json_is_array(m))
            return http_fail(res, TS_EINVAL, "The field '%s' is a string or an array of "
                             "strings.", members[i].name);
        size_t count = json_is_array(m) ? json_array_size(m) : 1;
        for (size_t k = 0; k < count; k++) {
            json_t *v = json_is_array(m) ? json_array_get(m, k) : m;
            if (!json_is_string(v) || !json_string_length(v))
                return http_fail(res, TS_EINVAL, "The field '%s' holds a value that is "
                                 "not a non-empty string.", members[i].name);
            ts_err err = audience_add(out, members[i].kind, json_string_value(v),
                                      json_string_length(v), res->error_description,
                                      sizeof res->error_description);
            if (err)
                return err;
        }
    }
    return TS_OK;
}

ts_err api_login(struct request *req, struct response *res)
{
    const struct compat_shape *sh = req->route->data;
    json_t *body;
    const char *login = NULL, *password, *scope = NULL;
    char aud[AUDIENCE_LIST_MAX];
    int by_email = 0;
    struct token_set t;
    ts_err err = http_body_json(req, res, &body);
    if (err)
        return err;
    /* The first of the shape's account members that is given names the account. */
    for (int i = 0; i < 2 && sh->login_fields[i] && !login; i++) {
        if ((err = http_json_str(body, sh->login_fields[i], STORE_EMAIL_LEN, 0, res,
                                 &login)))
            goto out;
        if (login && !*login)
            login = NULL;
        by_email = login && strcmp(sh->login_fields[i], "email") == 0;
    }
    if (!login) {
        err = sh->login_fields[1]
            ? http_fail(res, TS_EINVAL, "The field '%s' or '%s' is required.",
                        sh->login_fields[0], sh->login_fields[1])
            : http_fail(res, TS_EINVAL, "The field '%s' is required.", sh->login_fields[0]);
        goto out;
    }
    if ((err = http_json_str(body, "password", PASSWORD_MAX_LEN, 1, res, &password)) ||
        (err = requested_audience(body, res, aud)))
        goto out;
    if (sh->out & COMPAT_ASK_SCOPE) {
        if ((err = http_json_str(body, "scope", SCOPE_MAX_LEN - 1, 0, res, &scope)))
            goto out;
        if (!scope && (scope = http_query(req, "scope")) && strlen(scope) >= SCOPE_MAX_LEN) {
            err = http_fail(res, TS_EINVAL, "The scope parameter is too long.");
            goto out;
        }
    }
    struct login_req lr = {
        .login = login, .by_email = by_email,
        .password = password, .password_len = strlen(password),
        .scope = scope, .user_agent = req->user_agent, .ip = req->ip, .audience = aud,
    };
    err = session_login(req->app, &lr, &t);
    if (err == TS_ELIMIT) {
        res->retry_after = t.retry_after;
        http_fail(res, err, "Too many failed logins; retry in %ld seconds.", t.retry_after);
    }
    if (err == TS_ESCOPE)
        http_fail(res, err, "The requested scope is not granted to this user.");
    if (err == TS_ETARGET)
        http_fail(res, err, "%s", t.why);
    if (!err) {
        err = api_token_response_shaped(res, &t, sh);
        token_set_clear(&t);
    }
out:
    json_decref(body);
    return err;
}

ts_err api_register(struct request *req, struct response *res)
{
    struct app *a = req->app;
    json_t *body;
    const char *email, *username, *name, *password;
    struct user_rec u = { 0 };
    char why[256];

    /* user_register refuses too; this answers before the body is read. */
    if (!a->cfg.registration_enabled)
        return http_fail(res, TS_EDISABLED, "Self sign-up is disabled on this server.");
    ts_err err = http_body_json(req, res, &body);
    if (err)
        return err;
    if ((err = http_json_str(body, "email", STORE_EMAIL_LEN, 1, res, &email)) ||
        (err = http_json_str(body, "username", 64, 0, res, &username)) ||
        (err = http_json_str(body, "name", STORE_NAME_LEN, 0, res, &name)) ||
        (err = http_json_str(body, "password", PASSWORD_MAX_LEN, 1, res, &password)))
        goto out;
    struct user_new n = { email, username, name, NULL, password };
    err = user_register(a, &n, req->ip, &u, why, sizeof why);
    if (err == TS_EINVAL || err == TS_ECONFLICT)
        http_fail(res, err, "%s", why);
    if (!err)
        err = http_json(res, 201, user_to_json(&u));
    user_rec_clear(&u);
out:
    json_decref(body);
    return err;
}
