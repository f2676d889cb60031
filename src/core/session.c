/* SPDX-License-Identifier: Apache-2.0 */
/* Login, refresh rotation, logout and password change. */
#include "core/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audience.h"
#include "core/audit.h"
#include "core/budget.h"
#include "core/client.h"
#include "core/metrics.h"
#include "core/password.h"
#include "base/secret.h"
#include "core/user.h"

void token_set_clear(struct token_set *t)
{
    free(t->access_token);
    free(t->id_token);
    user_rec_clear(&t->user);
    secret_wipe(t->refresh_token, sizeof t->refresh_token);
    memset(t, 0, sizeof *t);
}

static ts_err issue_for(struct app *a, const struct client_rec *client,
                        const struct user_rec *u, const char *sid, const char *scope,
                        const char *audience, const char *cnf_x5t,
                        struct token_set *out)
{
    struct token_claims tc = {
        .cnf_x5t = cnf_x5t, .audience = audience,
        .sub = u->id, .client_id = client ? client->id : "", .scope = scope, .sid = sid,
        .roles_json = u->roles_json, .email = u->email, .name = u->name,
        .ttl = client_access_ttl(a, client),
    };
    out->expires_in = tc.ttl;
    snprintf(out->scope, sizeof out->scope, "%s", scope);
    return token_issue(a, &tc, &out->access_token, NULL);
}

/* The user, read again after the session was made: disabled, or given another
 * password, while this login was hashing? An admin does those as a write and then
 * revokes every session: when that revocation came before our session existed, the
 * session is revoked here instead (TS_ECREDS). Either way no session outlives it. */
static ts_err still_allowed(struct app *a, const struct user_rec *u, const char *sid,
                            int64_t now)
{
    struct user_rec cur = { 0 };
    ts_err err = store_user_get(a->st, USER_BY_ID, u->id, &cur);
    if (err == TS_OK && !cur.disabled &&
        secret_equal(cur.password_hash, u->password_hash, sizeof cur.password_hash)) {
        user_rec_clear(&cur);
        return TS_OK;
    }
    if (err == TS_OK || err == TS_ENOTFOUND)
        err = TS_ECREDS;
    user_rec_clear(&cur);
    (void)store_session_revoke(a->st, sid, now);
    return err;
}

/* The password check of every login (the API's, the password grant's, the hosted
 * page's): the user read into *u (cleared on error), the attempt's place in the
 * budgets taken before the hash and given back only when the password was right,
 * failures counted and audited. TS_ELIMIT (*retry_after set), TS_ECREDS, or a store
 * error. */
static ts_err check_password(struct app *a, const struct login_req *r,
                             struct user_rec *u, long *retry_after)
{
    struct budget budget;
    ts_err err;

    memset(u, 0, sizeof *u);
    err = store_user_get(a->st, r->by_email ? USER_BY_EMAIL : USER_BY_LOGIN, r->login,
                         u);
    if (err && err != TS_ENOTFOUND) {
        user_rec_clear(u);
        return err;
    }
    /* The attempt takes its place in the budgets before the password is hashed: keyed
     * on the account it names (whichever login named it), or on the text of a login
     * that names none. Given back below once the password proves right. */
    long wait = budget_reserve(a, err ? NULL : u->id, r->login, r->ip, &budget);
    if (wait) {
        audit_count(a, "login.limited", r->client ? r->client->id : "", "");
        user_rec_clear(u);
        *retry_after = wait;
        return TS_ELIMIT;
    }
    if (err == TS_ENOTFOUND || !u->password_hash[0]) {
        password_burn(&a->cfg, r->password, r->password_len);
        metrics_inc(METRIC_LOGIN_FAILURE);
        audit(a, "login.failure", err ? NULL : u->id, r->client ? r->client->id : NULL,
              r->ip, json_pack("{s:s}", "reason", err ? "unknown_user" : "no_password"));
        user_rec_clear(u);
        return TS_ECREDS;
    }

    enum pw_result pw = password_verify(&a->cfg, u->password_hash, r->password,
                                        r->password_len);
    if (pw == PW_BAD || u->disabled) {
        /* a disabled account keeps the place too: its answer must not tell that the
         * password was right */
        metrics_inc(METRIC_LOGIN_FAILURE);
        audit(a, "login.failure", u->id, r->client ? r->client->id : NULL, r->ip,
              json_pack("{s:s}", "reason", pw == PW_BAD ? "bad_password" : "disabled"));
        user_rec_clear(u);
        return TS_ECREDS;
    }
    budget_release(a, &budget);
    if (pw == PW_OK_REHASH && user_upgrade_hash(a, u, r->password) == TS_OK)
        audit(a, "password.rehash", u->id, NULL, r->ip, NULL);
    return TS_OK;
}

ts_err session_login(struct app *a, const struct login_req *r, struct token_set *out)
{
    struct user_rec *u = &out->user;
    struct session_rec s = { 0 };
    char hash[SECRET_TOKEN_CHARS + 1], why[sizeof out->why] = "";
    int64_t now = (int64_t)time(NULL);
    long wait = 0;
    ts_err err;

    memset(out, 0, sizeof *out);
    if ((err = check_password(a, r, u, &wait))) {
        token_set_clear(out);
        out->retry_after = wait;
        return err;
    }

    if ((err = scope_grant(&a->cfg, u->roles_json, r->scope, out->scope)) ||
        (r->client && (err = scope_restrict(r->client->scopes, r->scope && *r->scope,
                                            out->scope))))
        goto fail;
    if ((err = audience_allowed(&a->cfg, u->roles_json, r->client, r->audience, why,
                                sizeof why)))
        goto fail;

    if ((err = secret_id(s.id)) || (err = secret_token(out->refresh_token)))
        goto fail;
    snprintf(s.user_id, sizeof s.user_id, "%s", u->id);
    snprintf(s.client_id, sizeof s.client_id, "%s", r->client ? r->client->id : "");
    snprintf(s.scope, sizeof s.scope, "%s", out->scope);
    snprintf(s.audience, sizeof s.audience, "%s", r->audience ? r->audience : "");
    snprintf(s.user_agent, sizeof s.user_agent, "%s", r->user_agent ? r->user_agent : "");
    snprintf(s.ip, sizeof s.ip, "%s", r->ip ? r->ip : "");
    s.created_at = s.last_used_at = now;
    s.expires_at = now + client_refresh_ttl(a, r->client);
    secret_hash(out->refresh_token, strlen(out->refresh_token), hash);
    if ((err = store_session_create(a->st, &s, hash)))
        goto fail;
    if ((err = still_allowed(a, u, s.id, now))) {
        if (err == TS_ECREDS) {
            metrics_inc(METRIC_LOGIN_FAILURE);
            audit(a, "login.failure", u->id, r->client ? r->client->id : NULL, r->ip,
                  json_pack("{s:s}", "reason", "changed_during_login"));
        }
        goto fail;
    }

    char scope[SCOPE_MAX_LEN];
    snprintf(scope, sizeof scope, "%s", out->scope);
    if ((err = issue_for(a, r->client, u, s.id, scope, s.audience, r->cnf_x5t, out)))
        goto fail;
    metrics_inc(METRIC_LOGIN_SUCCESS);
    metrics_inc(r->client ? METRIC_TOKEN_PASSWORD : METRIC_TOKEN_NATIVE_LOGIN);
    audit(a, "login.success", u->id, r->client ? r->client->id : NULL, r->ip,
          json_pack("{s:s}", "session_id", s.id));
    return TS_OK;
fail:
    token_set_clear(out);
    snprintf(out->why, sizeof out->why, "%s", why);
    return err;
}

/* A narrower scope asked at refresh: each must be in the session's scope. */
static ts_err narrow_scope(const char *session_scope, const char *asked,
                           char out[SCOPE_MAX_LEN])
{
    const char *p = asked, *w;
    size_t n;
    out[0] = '\0';
    while (word_next(&p, 1, &w, &n)) {
        if (!scope_contains(session_scope, w, n))
            return TS_ESCOPE;
        if (scope_append(out, SCOPE_MAX_LEN, w, n))
            return TS_EINVAL;
    }
    return TS_OK;
}

ts_err session_refresh(struct app *a, const struct client_rec *client,
                       const char *refresh_token, const char *scope,
                       const char *audience, const char *cnf_x5t,
                       const char *user_agent, const char *ip, struct token_set *out)
{
    char hash[SECRET_TOKEN_CHARS + 1], next_hash[SECRET_TOKEN_CHARS + 1];
    char narrowed[SCOPE_MAX_LEN], aud[AUDIENCE_LIST_MAX], why[sizeof out->why] = "";
    struct session_rec s = { 0 };
    enum refresh_outcome oc;
    int64_t now = (int64_t)time(NULL), created, retired;
    int rotate = client_rotation(a, client);
    const char *want = client ? client->id : "";
    ts_err err;

    memset(out, 0, sizeof *out);
    if (strlen(refresh_token) != SECRET_TOKEN_CHARS)
        return TS_EGRANT;
    secret_hash(refresh_token, SECRET_TOKEN_CHARS, hash);
    /* A token works only with the client that obtained it; check before rotating, so
     * a foreign client cannot burn another client's token. */
    err = store_refresh_lookup(a->st, hash, &s, &created, &retired);
    if (err == TS_ENOTFOUND || (!err && strcmp(s.client_id, want) != 0))
        return TS_EGRANT;
    if (err)
        return err;
    if (scope && *scope) {
        if ((err = narrow_scope(s.scope, scope, narrowed)))
            return err;
    } else {
        snprintf(narrowed, sizeof narrowed, "%s", s.scope);
    }
    if ((err = audience_narrow(&a->cfg, s.audience, audience, aud, out->why,
                               sizeof out->why)))
        return err;         /* out was zeroed above: only why is set */
    /* The session's scope as the user's roles (and the client's scopes) grant it now:
     * a demoted user's next access token no longer carries what the old role gave.
     * Before rotating, so a refused refresh leaves the token as it was. */
    err = store_user_get(a->st, USER_BY_ID, s.user_id, &out->user);
    if (err == TS_ENOTFOUND || (!err && out->user.disabled))
        err = TS_EGRANT;
    if (err ||
        (err = scope_regrant(&a->cfg, out->user.roles_json, scope && *scope, narrowed)) ||
        (client && (err = scope_restrict(client->scopes, scope && *scope, narrowed))))
        goto fail;
    /* The audience as the roles and the client allow it now, before rotating too. */
    if ((err = audience_allowed(&a->cfg, out->user.roles_json, client, aud, why,
                                sizeof why)))
        goto fail;
    if (rotate) {
        if ((err = secret_successor(a->refresh_key, refresh_token, out->refresh_token)))
            goto fail;
        secret_hash(out->refresh_token, SECRET_TOKEN_CHARS, next_hash);
    }
    err = store_refresh_rotate(a->st, hash, rotate ? next_hash : NULL, now,
                               a->cfg.refresh_grace, client_idle_ttl(a, client),
                               user_agent, ip, &oc, &s);
    if (err)
        goto fail;
    if (oc == REFRESH_REUSED) {
        audit(a, "refresh.reuse", s.user_id, client ? client->id : NULL, ip,
              json_pack("{s:s}", "session_id", s.id));
        err = TS_EGRANT;
        goto fail;
    }
    if (oc == REFRESH_INVALID) {
        err = TS_EGRANT;
        goto fail;
    }
    if ((err = issue_for(a, client, &out->user, s.id, narrowed, aud, cnf_x5t, out)))
        goto fail;
    metrics_inc(client ? METRIC_TOKEN_REFRESH : METRIC_TOKEN_NATIVE_REFRESH);
    return TS_OK;
fail:
    token_set_clear(out);
    snprintf(out->why, sizeof out->why, "%s", why);
    return err;
}

ts_err session_logout(struct app *a, const struct auth_ctx *who, int all, const char *ip)
{
    int64_t now = (int64_t)time(NULL);
    ts_err err;

    if (all)
        err = store_session_revoke_user(a->st, who->sub, NULL, now, NULL);
    else if (who->sid)
        err = store_session_revoke(a->st, who->sid, now);
    else
        return TS_OK;       /* a token without a session has nothing to end */
    if (!err)
        audit(a, "logout", who->sub, NULL, ip, json_pack("{s:s?, s:b}", "session_id",
                                                          who->sid, "all", all));
    return err;
}

ts_err session_list(struct app *a, const char *user_id, session_cb cb, void *ctx)
{
    return store_session_list_user(a->st, user_id, (int64_t)time(NULL), cb, ctx);
}

ts_err session_end(struct app *a, const struct auth_ctx *who, const char *id,
                   const char *ip)
{
    struct session_rec s;
    ts_err err = store_session_get(a->st, id, &s);

    if (!err && (strcmp(s.user_id, who->sub) != 0 || s.revoked_at))
        err = TS_ENOTFOUND;
    if (!err)
        err = store_session_revoke(a->st, s.id, (int64_t)time(NULL));
    if (!err)
        audit(a, "logout", who->sub, NULL, ip, json_pack("{s:s, s:b}", "session_id",
                                                          s.id, "all", 0));
    return err;
}

ts_err session_change_password(struct app *a, const struct auth_ctx *who,
                               const char *current, const char *new_password,
                               const char *ip, long *retry_after, char *why,
                               size_t whylen)
{
    struct user_rec u = { 0 };
    struct budget budget;
    ts_err err = store_user_get(a->st, USER_BY_ID, who->sub, &u);
    *retry_after = 0;
    if (err == TS_ENOTFOUND)
        err = TS_ETOKEN;
    if (err)
        goto out;
    /* A wrong current password is a failed login of the account: same budgets, place
     * taken before the hash. */
    if ((*retry_after = budget_reserve(a, u.id, NULL, ip, &budget))) {
        audit_count(a, "password.change.limited", "", "");
        snprintf(why, whylen, "Too many wrong passwords; retry in %ld seconds.",
                 *retry_after);
        err = TS_ELIMIT;
        goto out;
    }
    if (!u.password_hash[0] ||
        password_verify(&a->cfg, u.password_hash, current, strlen(current)) == PW_BAD) {
        audit(a, "password.change.failure", u.id, NULL, ip, NULL);
        snprintf(why, whylen, "The current password is wrong.");
        err = TS_ECURPW;
        goto out;
    }
    budget_release(a, &budget);
    if ((err = user_set_password(a, &u, new_password, why, whylen)))
        goto out;
    err = store_session_revoke_user(a->st, u.id, who->sid, (int64_t)time(NULL), NULL);
    if (!err)
        audit(a, "password.change", u.id, NULL, ip, NULL);
out:
    user_rec_clear(&u);
    return err;
}

/* --- the browser flow ------------------------------------------------------------ */

ts_err session_browser_login(struct app *a, const struct login_req *r,
                             char cookie[SECRET_TOKEN_CHARS + 1],
                             struct browser_session *out, long *retry_after)
{
    struct user_rec u = { 0 };
    struct session_rec s = { 0 };
    char hash[SECRET_TOKEN_CHARS + 1];
    int64_t now = (int64_t)time(NULL);
    struct login_req lr = *r;
    ts_err err;

    memset(out, 0, sizeof *out);
    cookie[0] = '\0';
    *retry_after = 0;
    lr.client = NULL;
    if ((err = check_password(a, &lr, &u, retry_after)))
        return err;
    if ((err = secret_id(s.id)) || (err = secret_token(cookie)))
        goto out;
    snprintf(s.user_id, sizeof s.user_id, "%s", u.id);
    snprintf(s.user_agent, sizeof s.user_agent, "%s", r->user_agent ? r->user_agent : "");
    snprintf(s.ip, sizeof s.ip, "%s", r->ip ? r->ip : "");
    s.created_at = s.last_used_at = now;
    s.expires_at = now + a->cfg.web_session_ttl;
    secret_hash(cookie, SECRET_TOKEN_CHARS, hash);
    if ((err = store_session_create(a->st, &s, NULL)))
        goto out;
    if ((err = store_browser_cookie_insert(a->st, s.id, hash, now))) {
        (void)store_session_revoke(a->st, s.id, now);
        goto out;
    }
    if ((err = still_allowed(a, &u, s.id, now))) {
        if (err == TS_ECREDS) {
            metrics_inc(METRIC_LOGIN_FAILURE);
            audit(a, "login.failure", u.id, NULL, r->ip,
                  json_pack("{s:s}", "reason", "changed_during_login"));
        }
        goto out;
    }
    memcpy(out->id, s.id, sizeof out->id);
    memcpy(out->user_id, u.id, sizeof out->user_id);
    out->auth_time = now;
    metrics_inc(METRIC_LOGIN_SUCCESS);
    audit(a, "login.success", u.id, NULL, r->ip,
          json_pack("{s:s, s:s}", "session_id", s.id, "via", "login_page"));
out:
    if (err) {
        secret_wipe(cookie, SECRET_TOKEN_CHARS + 1);
        memset(out, 0, sizeof *out);
    }
    secret_wipe(hash, sizeof hash);
    user_rec_clear(&u);
    return err;
}

ts_err session_browser_get(struct app *a, const char *cookie,
                           struct browser_session *out)
{
    char hash[SECRET_TOKEN_CHARS + 1], sid[STORE_ID_LEN + 1];
    struct session_rec s;
    struct user_rec u = { 0 };
    int64_t now = (int64_t)time(NULL), auth_time;
    ts_err err;

    memset(out, 0, sizeof *out);
    if (!cookie || strlen(cookie) != SECRET_TOKEN_CHARS)
        return TS_ENOTFOUND;
    secret_hash(cookie, SECRET_TOKEN_CHARS, hash);
    if ((err = store_browser_cookie_find(a->st, hash, sid, &auth_time)) ||
        (err = store_session_get(a->st, sid, &s)))
        return err;
    if (s.revoked_at || now >= s.expires_at ||
        now - s.last_used_at >= a->cfg.web_session_idle_ttl)
        return TS_ENOTFOUND;
    err = store_user_get(a->st, USER_BY_ID, s.user_id, &u);
    int disabled = u.disabled;
    user_rec_clear(&u);
    if (err)
        return err;
    if (disabled)
        return TS_ENOTFOUND;
    /* the idle clock: moved at most once a minute, a write per authorization else */
    if (now - s.last_used_at >= 60 && (err = store_session_touch(a->st, s.id, now)))
        return err;
    memcpy(out->id, s.id, sizeof out->id);
    memcpy(out->user_id, s.user_id, sizeof out->user_id);
    out->auth_time = auth_time;
    return TS_OK;
}

ts_err session_browser_end(struct app *a, const char *cookie, const char *ip)
{
    struct browser_session bs;
    ts_err err = session_browser_get(a, cookie, &bs);
    if (err == TS_ENOTFOUND)
        return TS_OK;
    if (err)
        return err;
    if ((err = store_session_revoke(a->st, bs.id, (int64_t)time(NULL))) == TS_OK)
        audit(a, "logout", bs.user_id, NULL, ip,
              json_pack("{s:s, s:b}", "session_id", bs.id, "replaced_by_login", 1));
    return err == TS_ENOTFOUND ? TS_OK : err;
}

/* The code's scope cut to what the roles and the client grant now (RFC 6749 3.3: the
 * server may grant less than asked; the token response says what it granted):
 * a scope no role or the client allows is dropped, not refused, since the user has
 * already logged in. Nothing asked: the roles' defaults. openid, the protocol's
 * marker rather than a permission, stays when it was asked. */
static ts_err code_scope(struct app *a, const struct client_rec *c,
                         const struct user_rec *u, const char *asked,
                         char out[SCOPE_MAX_LEN])
{
    char one[SCOPE_MAX_LEN], word[SCOPE_MAX_LEN];
    const char *p = asked, *w;
    size_t n;
    int openid = 0, any = 0;
    ts_err err;

    out[0] = '\0';
    while (word_next(&p, 0, &w, &n)) {
        if (n == 6 && !memcmp(w, "openid", 6)) {
            openid = 1;
            continue;
        }
        any = 1;
        if (n >= sizeof word)
            return TS_EINVAL;
        memcpy(word, w, n);
        word[n] = '\0';
        err = scope_grant(&a->cfg, u->roles_json, word, one);
        if (err == TS_ESCOPE)
            continue;
        if (err || scope_append(out, SCOPE_MAX_LEN, w, n))
            return err ? err : TS_EINVAL;
    }
    if (!any && (err = scope_grant(&a->cfg, u->roles_json, NULL, out)))
        return err;
    if ((err = scope_restrict(c->scopes, 0, out)))
        return err;
    if (openid) {
        char with[SCOPE_MAX_LEN] = "openid";
        for (p = out; word_next(&p, 0, &w, &n);)
            if (scope_append(with, sizeof with, w, n))
                return TS_EINVAL;
        memcpy(out, with, SCOPE_MAX_LEN);
    }
    return TS_OK;
}

ts_err session_code_grant(struct app *a, const struct client_rec *c,
                          const struct code_rec *code, const char *user_agent,
                          const char *ip, const char *cnf_x5t, struct token_set *out)
{
    struct user_rec *u = &out->user;
    struct session_rec s = { 0 }, bs;
    char hash[SECRET_TOKEN_CHARS + 1], scope[SCOPE_MAX_LEN];
    int64_t now = (int64_t)time(NULL);
    ts_err err;

    memset(out, 0, sizeof *out);
    /* The browser session that approved the code must still be there: a logout or a
     * revocation between the redirect and the exchange stops it. */
    err = store_session_get(a->st, code->browser_sid, &bs);
    if (err == TS_ENOTFOUND || (!err && (bs.revoked_at || now >= bs.expires_at)))
        return TS_EOGRANT;
    if (err)
        return err;
    err = store_user_get(a->st, USER_BY_ID, code->user_id, u);
    if (err == TS_ENOTFOUND || (!err && u->disabled))
        err = TS_EOGRANT;
    if (err)
        goto fail;
    if ((err = code_scope(a, c, u, code->scope, scope)))
        goto fail;
    memcpy(s.id, code->issued_sid, sizeof s.id);
    snprintf(s.user_id, sizeof s.user_id, "%s", u->id);
    snprintf(s.client_id, sizeof s.client_id, "%s", c->id);
    snprintf(s.scope, sizeof s.scope, "%s", scope);
    snprintf(s.user_agent, sizeof s.user_agent, "%s", user_agent ? user_agent : "");
    snprintf(s.ip, sizeof s.ip, "%s", ip ? ip : "");
    s.created_at = s.last_used_at = now;
    s.expires_at = now + client_refresh_ttl(a, c);
    if (client_allows_grant(c, "refresh_token") && (err = secret_token(out->refresh_token)))
        goto fail;
    if (out->refresh_token[0])
        secret_hash(out->refresh_token, strlen(out->refresh_token), hash);
    if ((err = store_session_create(a->st, &s, out->refresh_token[0] ? hash : NULL)))
        goto fail;
    if ((err = issue_for(a, c, u, s.id, scope, s.audience, cnf_x5t, out)))
        goto fail;
    metrics_inc(METRIC_TOKEN_AUTHORIZATION_CODE);
    audit(a, "oauth2.code.exchange", u->id, c->id, ip,
          json_pack("{s:s, s:s}", "session_id", s.id, "browser_session_id",
                    code->browser_sid));
    return TS_OK;
fail:
    token_set_clear(out);
    return err;
}
