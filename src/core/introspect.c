/* SPDX-License-Identifier: Apache-2.0 */
/* Introspection (RFC 7662) and revocation (RFC 7009) of presented tokens. */
#include "core/introspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audience.h"
#include "core/audit.h"
#include "core/client.h"
#include "core/scope.h"
#include "base/secret.h"
#include "core/token.h"

/* Refresh tokens are 43 base64url characters; access tokens are JWTs (with dots). */
static int looks_like_refresh(const char *t)
{
    size_t n = strlen(t);
    if (n != SECRET_TOKEN_CHARS)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* The session behind a refresh token when the token is the session's current one and
 * everything about it is live; TS_ENOTFOUND when it is not. */
static ts_err live_refresh(struct app *a, const char *token, struct session_rec *s,
                           int64_t *issued)
{
    char hash[SECRET_TOKEN_CHARS + 1];
    int64_t created, retired, now = (int64_t)time(NULL);
    struct client_rec c = { 0 };
    const struct client_rec *cp = NULL;

    secret_hash(token, SECRET_TOKEN_CHARS, hash);
    ts_err err = store_refresh_lookup(a->st, hash, s, &created, &retired);
    if (err)
        return err;
    if (retired || s->revoked_at || now >= s->expires_at)
        return TS_ENOTFOUND;
    if (s->client_id[0]) {
        err = store_client_get(a->st, s->client_id, &c);
        if (err)
            return err;
        cp = &c;
    }
    int idle_ok = now - created < client_idle_ttl(a, cp);
    client_rec_clear(&c);
    *issued = created;
    return idle_ok ? TS_OK : TS_ENOTFOUND;
}

static json_t *inactive(void)
{
    return json_pack("{s:b}", "active", 0);
}

/* username for introspection: the user's username, else the email. */
static ts_err username_of(struct app *a, const char *user_id, char out[STORE_EMAIL_LEN + 1])
{
    struct user_rec u = { 0 };
    ts_err err = store_user_get(a->st, USER_BY_ID, user_id, &u);
    out[0] = '\0';
    if (!err)
        snprintf(out, STORE_EMAIL_LEN + 1, "%s", u.username[0] ? u.username : u.email);
    user_rec_clear(&u);
    return err == TS_ENOTFOUND ? TS_OK : err;
}

static ts_err introspect_refresh(struct app *a, const char *token, json_t **out)
{
    struct session_rec s;
    int64_t issued;
    char username[STORE_EMAIL_LEN + 1];
    ts_err err = live_refresh(a, token, &s, &issued);
    if (err == TS_ENOTFOUND) {
        *out = inactive();
        return *out ? TS_OK : TS_ENOMEM;
    }
    if (err || (err = username_of(a, s.user_id, username)))
        return err;
    /* s*: a member whose value is NULL is left out (RFC 7662 members are strings). */
    *out = json_pack("{s:b, s:s, s:s, s:s*, s:s, s:s*, s:I, s:I, s:s}",
                     "active", 1, "token_type", "refresh_token", "scope", s.scope,
                     "client_id", s.client_id[0] ? s.client_id : NULL, "sub", s.user_id,
                     "username", username[0] ? username : NULL,
                     "exp", (json_int_t)s.expires_at, "iat", (json_int_t)issued,
                     "sid", s.id);
    /* aud: the audience the session's access tokens are issued for, as a list. */
    json_t *aud = json_array();
    const char *p = audience_effective(&a->cfg, s.audience), *w;
    size_t n;
    while (aud && word_next(&p, 0, &w, &n))
        if (json_array_append_new(aud, json_stringn(w, n))) {
            json_decref(aud);
            aud = NULL;
        }
    if (!aud || !*out) {
        json_decref(aud);
        json_decref(*out);
        *out = NULL;
        return TS_ENOMEM;
    }
    if (json_object_set_new(*out, "aud", aud)) {    /* releases aud either way */
        json_decref(*out);
        *out = NULL;
        return TS_ENOMEM;
    }
    return TS_OK;
}

static ts_err introspect_access(struct app *a, const char *token,
                                const char *presenter_x5t, json_t **out)
{
    struct auth_ctx who;
    char why[256], username[STORE_EMAIL_LEN + 1] = "";
    ts_err err = token_authenticate(a, token, strlen(token), NULL, &who, why,
                                    sizeof why);
    if (err == TS_ETOKEN) {
        *out = inactive();
        return *out ? TS_OK : TS_ENOMEM;
    }
    if (err)
        return err;
    const char *bound = tessera_claims_member_string(who.claims, "cnf", "x5t#S256");
    if (bound && (!presenter_x5t || strlen(bound) != strlen(presenter_x5t) ||
                  !secret_equal(bound, presenter_x5t, strlen(bound)))) {
        auth_clear(&who);
        *out = inactive();
        return *out ? TS_OK : TS_ENOMEM;
    }
    if (who.sid && (err = username_of(a, who.sub, username))) {
        auth_clear(&who);
        return err;
    }
    char *claims = tessera_claims_json(who.claims);
    json_t *c = claims ? json_loads(claims, 0, NULL) : NULL;
    free(claims);
    auth_clear(&who);
    json_t *o = json_pack("{s:b, s:s}", "active", 1, "token_type", "access_token");
    if (!c || !o) {
        json_decref(c);
        json_decref(o);
        return TS_ENOMEM;
    }
    static const char *const copy[] = { "scope", "client_id", "sub", "exp", "iat", "nbf",
                                        "iss", "aud", "jti", "sid", "roles", "cnf", NULL };
    int bad = 0;
    for (int i = 0; copy[i]; i++) {
        json_t *v = json_object_get(c, copy[i]);
        if (v)
            bad |= json_object_set(o, copy[i], v);
        if (i == 2 && username[0])
            bad |= json_object_set_new(o, "username", json_string(username));
    }
    json_decref(c);
    if (bad) {
        json_decref(o);
        return TS_ENOMEM;
    }
    *out = o;
    return TS_OK;
}

ts_err token_introspect(struct app *a, const char *token, const char *presenter_x5t,
                        json_t **out)
{
    *out = NULL;
    return looks_like_refresh(token) ? introspect_refresh(a, token, out)
                                     : introspect_access(a, token, presenter_x5t, out);
}

ts_err token_revoke(struct app *a, const struct client_rec *client, const char *token,
                    const char *ip)
{
    int64_t now = (int64_t)time(NULL);
    ts_err err;

    if (looks_like_refresh(token)) {
        struct session_rec s;
        int64_t issued;
        err = live_refresh(a, token, &s, &issued);
        if (err == TS_ENOTFOUND)
            return TS_OK;
        if (err)
            return err;
        if (strcmp(s.client_id, client->id) != 0)
            return TS_EUNAUTHCLIENT;
        if ((err = store_session_revoke(a->st, s.id, now)) && err != TS_ENOTFOUND)
            return err;
        audit(a, "token.revoke", s.user_id, client->id, ip,
              json_pack("{s:s, s:s}", "kind", "refresh_token", "session_id", s.id));
        return TS_OK;
    }

    struct auth_ctx who;
    char why[256];
    err = token_authenticate(a, token, strlen(token), NULL, &who, why, sizeof why);
    if (err == TS_ETOKEN)
        return TS_OK;
    if (err)
        return err;
    struct session_rec s;
    const char *owner = tessera_claims_string(who.claims, "client_id");
    if (who.sid) {
        /* The session says which client holds it ("" for the native API). */
        if ((err = store_session_get(a->st, who.sid, &s))) {
            auth_clear(&who);
            return err == TS_ENOTFOUND ? TS_OK : err;
        }
        owner = s.client_id;
    }
    if (!owner || strcmp(owner, client->id) != 0) {
        err = TS_EUNAUTHCLIENT;
    } else if (who.sid) {
        err = store_session_revoke(a->st, who.sid, now);
        if (err == TS_ENOTFOUND)
            err = TS_OK;
    } else {
        const char *jti = tessera_claims_string(who.claims, "jti");
        int64_t exp = 0;
        if (!jti || tessera_claims_int(who.claims, "exp", &exp) != 0)
            err = TS_OK;           /* our tokens always carry both; nothing to key on */
        else
            err = store_jti_revoke(a->st, jti, exp, now);
    }
    if (!err && owner && strcmp(owner, client->id) == 0)
        audit(a, "token.revoke", who.sid ? who.sub : NULL, client->id, ip,
              json_pack("{s:s, s:s?}", "kind", "access_token", "session_id", who.sid));
    auth_clear(&who);
    return err;
}
