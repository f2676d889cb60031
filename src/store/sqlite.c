/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite backend: the store operations of store.h over one locked connection
 * (sqlite_conn.c). */
#include "store/sqlite_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/text.h"
#include "store/backend.h"
#include "store/lists.h"
#include "store/refresh_rule.h"

/* jti_revoke purges expired revoked_tokens rows at most this often (seconds). */
#define JTI_PURGE_INTERVAL 60


/* Steps a statement expected to return at most one row: TS_OK on a row (left for the
 * caller to read), TS_ENOTFOUND when there is none. */
static ts_err step_one(struct sqlite_store *s, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return TS_OK;
    if (rc == SQLITE_DONE)
        return TS_ENOTFOUND;
    return sqlite_fail(s, rc, what);
}

/* Reads the SQ_USER_COLS of the current row into *u (cleared on failure). */
static ts_err read_user(sqlite3_stmt *stmt, struct user_rec *u)
{
    ts_err err;

    memset(u, 0, sizeof *u);
    if ((err = sqlite_col_text(stmt, 0, u->id, sizeof u->id)) ||
        (err = sqlite_col_text(stmt, 1, u->email, sizeof u->email)) ||
        (err = sqlite_col_text(stmt, 2, u->username, sizeof u->username)) ||
        (err = sqlite_col_text(stmt, 3, u->name, sizeof u->name)) ||
        (err = sqlite_col_strdup(stmt, 4, "[]", &u->roles_json)) ||
        (err = sqlite_col_strdup(stmt, 5, "{}", &u->attributes_json)) ||
        (err = sqlite_col_text(stmt, 7, u->password_hash, sizeof u->password_hash))) {
        user_rec_clear(u);
        return err;
    }
    u->disabled = sqlite_col_int(stmt, 6) != 0;
    u->created_at = sqlite_col_int(stmt, 8);
    u->updated_at = sqlite_col_int(stmt, 9);
    return TS_OK;
}

/* Reads the SQ_SESSION_COLS (the first eleven columns) of the current row into *r
 * (zeroed on failure). */
static ts_err read_session(sqlite3_stmt *stmt, struct session_rec *r)
{
    ts_err err;

    memset(r, 0, sizeof *r);
    if ((err = sqlite_col_text(stmt, 0, r->id, sizeof r->id)) ||
        (err = sqlite_col_text(stmt, 1, r->user_id, sizeof r->user_id)) ||
        (err = sqlite_col_text(stmt, 2, r->client_id, sizeof r->client_id)) ||
        (err = sqlite_col_text(stmt, 3, r->scope, sizeof r->scope)) ||
        (err = sqlite_col_text(stmt, 4, r->user_agent, sizeof r->user_agent)) ||
        (err = sqlite_col_text(stmt, 5, r->ip, sizeof r->ip)) ||
        (err = sqlite_col_text(stmt, 10, r->audience, sizeof r->audience))) {
        memset(r, 0, sizeof *r);
        return err;
    }
    /* A row stored before the server cleaned user agents may hold bytes that are not
     * UTF-8: shown with the rule that cleans them now, not as a list that fails. */
    char ua[sizeof r->user_agent];
    text_clean(r->user_agent, ua, sizeof ua);
    memcpy(r->user_agent, ua, sizeof ua);
    r->created_at = sqlite_col_int(stmt, 6);
    r->last_used_at = sqlite_col_int(stmt, 7);
    r->expires_at = sqlite_col_int(stmt, 8);
    r->revoked_at = sqlite_col_int(stmt, 9);
    return TS_OK;
}

/* Reads the SQ_KEY_COLS of the current row into *k (cleared on failure). */
static ts_err read_key(sqlite3_stmt *stmt, struct signing_key_rec *k)
{
    ts_err err;

    memset(k, 0, sizeof *k);
    if ((err = sqlite_col_text(stmt, 0, k->kid, sizeof k->kid)) ||
        (err = sqlite_col_text(stmt, 1, k->alg, sizeof k->alg)) ||
        (err = sqlite_col_strdup(stmt, 2, NULL, &k->private_jwk))) {
        signing_key_rec_clear(k);
        return err;
    }
    if (!k->private_jwk) {
        log_msg("error", "sqlite: signing key without a private JWK");
        return TS_EDB;
    }
    k->created_at = sqlite_col_int(stmt, 3);
    k->activated_at = sqlite_col_int(stmt, 4);
    k->retired_at = sqlite_col_int(stmt, 5);
    return TS_OK;
}

/* Reads the SQ_CLIENT_COLS of the current row into *c (cleared on failure). */
static ts_err read_client(sqlite3_stmt *stmt, struct client_rec *c)
{
    ts_err err;

    memset(c, 0, sizeof *c);
    if ((err = sqlite_col_text(stmt, 0, c->id, sizeof c->id)) ||
        (err = sqlite_col_text(stmt, 1, c->name, sizeof c->name)) ||
        (err = sqlite_col_text(stmt, 2, c->secret_hash, sizeof c->secret_hash)) ||
        (err = sqlite_col_text(stmt, 3, c->grants, sizeof c->grants)) ||
        (err = sqlite_col_text(stmt, 4, c->scopes, sizeof c->scopes)) ||
        (err = sqlite_col_strdup(stmt, 5, "[]", &c->roles_json)) ||
        (err = sqlite_col_text(stmt, 6, c->auth_method, sizeof c->auth_method)) ||
        (err = sqlite_col_text(stmt, 13, c->tls_subject_dn, sizeof c->tls_subject_dn)) ||
        (err = sqlite_col_text(stmt, 14, c->tls_thumbprint, sizeof c->tls_thumbprint)) ||
        (err = sqlite_col_text(stmt, 17, c->audiences, sizeof c->audiences))) {
        client_rec_clear(c);
        return err;
    }
    c->is_public = sqlite_col_int(stmt, 7) != 0;
    c->disabled = sqlite_col_int(stmt, 8) != 0;
    int64_t rotation = sqlite_col_int(stmt, 9);
    c->refresh_rotation = rotation < 0 ? -1 : rotation > 0;
    c->access_ttl = sqlite_col_int(stmt, 10);
    c->refresh_ttl = sqlite_col_int(stmt, 11);
    c->refresh_idle_ttl = sqlite_col_int(stmt, 12);
    c->created_at = sqlite_col_int(stmt, 15);
    c->updated_at = sqlite_col_int(stmt, 16);
    c->auth_method_pinned = sqlite_col_int(stmt, 18) != 0;
    if ((err = sqlite_col_text(stmt, 19, c->redirect_uris, sizeof c->redirect_uris)) ||
        (err = sqlite_col_text(stmt, 20, c->post_logout_redirect_uris,
                               sizeof c->post_logout_redirect_uris)) ||
        (err = sqlite_col_text(stmt, 22, c->backchannel_logout_uri,
                               sizeof c->backchannel_logout_uri)) ||
        (err = sqlite_col_text(stmt, 23, c->id_token_alg, sizeof c->id_token_alg))) {
        client_rec_clear(c);
        return err;
    }
    c->first_party = sqlite_col_int(stmt, 21) != 0;
    return TS_OK;
}

static ts_err sq_secret_get_or_put(struct store *st, const char *name,
                                   const char *value_if_new, char out[256])
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err = TS_OK;

    out[0] = '\0';
    if (value_if_new && strnlen(value_if_new, 256) == 256) {
        log_msg("error", "sqlite: server secret %s: value longer than 255 bytes", name);
        return TS_EDB;
    }
    sqlite_lock(s);
    /* Insert-if-absent, then read back: whoever inserted first is what everyone reads. */
    if (value_if_new)
        err = sqlite_exec(s, SQ_SECRET_PUT, NULL, "tt", name, value_if_new);
    sqlite3_stmt *stmt = err ? NULL : sqlite_stmt(s, SQ_SECRET_GET, &err, "t", name);
    if (stmt) {
        if (!(err = step_one(s, stmt, "secret get")))
            err = sqlite_col_text(stmt, 0, out, 256);
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    return err;
}

/* INSERT or UPDATE of every column of a user (SQ_USER_INSERT and SQ_USER_UPDATE take
 * the same parameters). */
static ts_err user_write(struct sqlite_store *s, enum sq_stmt id,
                         const struct user_rec *u, int *changes)
{
    char email_lower[STORE_EMAIL_LEN + 1], username_lower[STORE_NAME_LEN + 1];

    if (!FIELD_OK(u->id) || !FIELD_OK(u->name) || !FIELD_OK(u->password_hash) ||
        store_lower_copy(u->email, email_lower, sizeof email_lower) ||
        store_lower_copy(u->username, username_lower, sizeof username_lower))
        return store_unterminated("sqlite", "user");
    sqlite_lock(s);
    ts_err err = sqlite_exec(s, id, changes, "tttTTtttdtii", u->id, u->email, email_lower,
                             u->username, username_lower, u->name,
                             u->roles_json ? u->roles_json : "[]",
                             u->attributes_json ? u->attributes_json : "{}",
                             u->disabled ? 1 : 0, u->password_hash,
                             u->created_at, u->updated_at);
    sqlite_unlock(s);
    return err;
}

static ts_err sq_user_insert(struct store *st, const struct user_rec *u)
{
    return user_write(sqlite_of(st), SQ_USER_INSERT, u, NULL);
}

static ts_err sq_user_update(struct store *st, const struct user_rec *u)
{
    int changes = 0;
    ts_err err = user_write(sqlite_of(st), SQ_USER_UPDATE, u, &changes);
    return store_row_written(st, err, changes);
}

/* One user by one key, with the lock held. */
static ts_err user_by(struct sqlite_store *s, enum sq_stmt id, const char *key,
                      struct user_rec *out)
{
    ts_err err;
    sqlite3_stmt *stmt = sqlite_stmt(s, id, &err, "t", key);
    if (!stmt)
        return err;
    if (!(err = step_one(s, stmt, "user get")))
        err = read_user(stmt, out);
    sqlite_done(stmt);
    return err;
}

/* USER_BY_LOGIN tries the email first, then the username (core forbids '@' in
 * usernames, so the two cannot name different users). */
static ts_err sq_user_get(struct store *st, enum user_lookup by, const char *value,
                          struct user_rec *out)
{
    struct sqlite_store *s = sqlite_of(st);
    char key[STORE_EMAIL_LEN + 1];   /* the longer of the email and username keys */
    ts_err err = TS_ENOTFOUND;

    memset(out, 0, sizeof *out);
    if (!value || !*value)
        return TS_ENOTFOUND;
    if (by != USER_BY_ID && store_lower_copy(value, key, sizeof key))
        return TS_ENOTFOUND;            /* longer than any stored key */
    sqlite_lock(s);
    switch (by) {
    case USER_BY_ID:
        err = user_by(s, SQ_USER_BY_ID, value, out);
        break;
    case USER_BY_EMAIL:
        err = user_by(s, SQ_USER_BY_EMAIL, key, out);
        break;
    case USER_BY_USERNAME:
        err = user_by(s, SQ_USER_BY_USERNAME, key, out);
        break;
    case USER_BY_LOGIN:
        err = user_by(s, SQ_USER_BY_EMAIL, key, out);
        if (err == TS_ENOTFOUND)
            err = user_by(s, SQ_USER_BY_USERNAME, key, out);
        break;
    }
    sqlite_unlock(s);
    return err;
}

static ts_err sq_user_delete(struct store *st, const char *id, int64_t now)
{
    struct sqlite_store *s = sqlite_of(st);
    int changes = 0;
    ts_err err;

    sqlite_lock(s);
    if (!(err = sqlite_begin(s))) {
        err = sqlite_exec(s, SQ_USER_DELETE, &changes, "t", id);
        if (!err && changes == 0)
            err = TS_ENOTFOUND;
        if (!err)
            err = sqlite_exec(s, SQ_SESSION_REVOKE_ALL, NULL, "ti", id, now);
        err = sqlite_end(s, err);
    }
    sqlite_unlock(s);
    if (!err)
        store_changed(st);
    return err;
}

/* Steps stmt (then done with it) for up to `want` rows, each read by `read` into rows,
 * `size` bytes apart: *n of them. With the lock held. */
static ts_err read_rows(struct sqlite_store *s, sqlite3_stmt *stmt, const char *what,
                        int want, void *rows, size_t size,
                        ts_err (*read)(sqlite3_stmt *stmt, void *rec), int *n)
{
    ts_err err = TS_OK;
    int rc;

    while (*n < want) {
        if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
            if (rc != SQLITE_DONE)
                err = sqlite_fail(s, rc, what);
            break;
        }
        if ((err = read(stmt, (char *)rows + (size_t)*n * size)))
            break;
        ++*n;
    }
    sqlite_done(stmt);
    return err;
}

/* The lists are walked by store/lists.c (the list operations of the ops table), which
 * calls the readers of one chunk below (sq_lists), each with the lock held only while
 * it reads. */
static ts_err read_user_any(sqlite3_stmt *stmt, void *rec) { return read_user(stmt, rec); }
static ts_err read_client_any(sqlite3_stmt *stmt, void *rec)
{
    return read_client(stmt, rec);
}

/* A chunk of users, the user search or clients (store/lists.h). */
static ts_err id_fetch(struct store *st, const struct list_ids *l, int want, void *rows,
                       int *n)
{
    static const struct {
        enum sq_stmt stmt;
        const char *what;
        ts_err (*read)(sqlite3_stmt *stmt, void *rec);
    } kinds[] = {
        [LIST_USERS] = { SQ_USER_LIST, "user list", read_user_any },
        [LIST_USER_SEARCH] = { SQ_USER_SEARCH, "user search", read_user_any },
        [LIST_CLIENTS] = { SQ_CLIENT_LIST, "client list", read_client_any },
    };
    struct sqlite_store *s = sqlite_of(st);
    const struct user_filter *f = l->f;
    ts_err err;

    sqlite_lock(s);
    sqlite3_stmt *stmt = l->kind == LIST_USER_SEARCH
        ? sqlite_stmt(s, SQ_USER_SEARCH, &err, "tdTTdd", l->from, want, l->prefix,
                      f ? f->role : NULL, f && f->disabled >= 0, f && f->disabled > 0)
        : sqlite_stmt(s, kinds[l->kind].stmt, &err, "td", l->from, want);
    if (stmt)
        err = read_rows(s, stmt, kinds[l->kind].what, want, rows, l->row.size,
                        kinds[l->kind].read, n);
    sqlite_unlock(s);
    return err;
}

static ts_err sq_user_count(struct store *st, int64_t *count)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    *count = 0;
    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_USER_COUNT, &err, "");
    if (stmt) {
        if (!(err = step_one(s, stmt, "user count")))
            *count = sqlite_col_int(stmt, 0);
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    return err;
}

/* A NULL refresh_hash creates a session without a refresh token (stateful access
 * tokens only). */
static ts_err sq_session_create(struct store *st, const struct session_rec *r,
                                const char *refresh_hash)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    if (!FIELD_OK(r->id) || !FIELD_OK(r->user_id) || !FIELD_OK(r->client_id) ||
        !FIELD_OK(r->scope) || !FIELD_OK(r->user_agent) || !FIELD_OK(r->ip) ||
        !FIELD_OK(r->audience))
        return store_unterminated("sqlite", "session");
    /* As on PostgreSQL: text_clean (base/text.h) is the identity on what the server
     * cleaned where it entered. */
    char ua[STORE_UA_LEN + 1], ip[STORE_IP_LEN + 1];
    text_clean(r->user_agent, ua, sizeof ua);
    text_clean(r->ip, ip, sizeof ip);
    sqlite_lock(s);
    if (!(err = sqlite_begin(s))) {
        err = sqlite_exec(s, SQ_SESSION_INSERT, NULL, "ttttttiiiIt", r->id, r->user_id,
                          r->client_id, r->scope, ua, ip, r->created_at,
                          r->last_used_at, r->expires_at, r->revoked_at, r->audience);
        if (!err && refresh_hash)
            err = sqlite_exec(s, SQ_TOKEN_INSERT, NULL, "tti", refresh_hash, r->id,
                              r->created_at);
        err = sqlite_end(s, err);
    }
    sqlite_unlock(s);
    return err;
}

static ts_err sq_session_get(struct store *st, const char *id, struct session_rec *out)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    memset(out, 0, sizeof *out);
    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_SESSION_GET, &err, "t", id);
    if (stmt) {
        if (!(err = step_one(s, stmt, "session get")))
            err = read_session(stmt, out);
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    return err;
}

static ts_err sq_session_revoke(struct store *st, const char *id, int64_t now)
{
    struct sqlite_store *s = sqlite_of(st);
    int changes = 0;

    sqlite_lock(s);
    ts_err err = sqlite_exec(s, SQ_SESSION_REVOKE, &changes, "ti", id, now);
    sqlite_unlock(s);
    return store_row_written(st, err, changes);
}

static ts_err sq_session_revoke_user(struct store *st, const char *user_id,
                                     const char *except_id, int64_t now, int *count)
{
    struct sqlite_store *s = sqlite_of(st);
    int changes = 0;

    sqlite_lock(s);
    ts_err err = sqlite_exec(s, SQ_SESSION_REVOKE_USER, &changes, "tti", user_id,
                             except_id, now);
    sqlite_unlock(s);
    if (!err && changes)
        store_changed(st);
    if (count)
        *count = err ? 0 : changes;
    return err;
}

static ts_err read_session_any(sqlite3_stmt *stmt, void *rec)
{
    return read_session(stmt, rec);
}

/* A chunk of active sessions, newest first (store/lists.h). */
static ts_err session_fetch(struct store *st, const struct list_sessions *l, int want,
                            struct session_rec *rows, int *n)
{
    struct sqlite_store *s = sqlite_of(st);
    enum sq_stmt id = l->all ? SQ_SESSION_LIST_ALL : SQ_SESSION_LIST_USER;
    ts_err err;

    sqlite_lock(s);
    sqlite3_stmt *stmt = !l->first
        ? sqlite_stmt(s, id, &err, "tiitd", l->user_id, l->now, l->last.created_at,
                      l->last.id, want)
        : sqlite_stmt(s, id, &err, "tiTTd", l->user_id, l->now, NULL, NULL, want);
    if (stmt)
        err = read_rows(s, stmt, "session list", want, rows, sizeof *rows,
                        read_session_any, n);
    sqlite_unlock(s);
    return err;
}

static ts_err sq_session_count_active(struct store *st, int64_t now, int64_t *count)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    *count = 0;
    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_SESSION_COUNT_ACTIVE, &err, "i", now);
    if (stmt) {
        if (!(err = step_one(s, stmt, "session count")))
            *count = sqlite_col_int(stmt, 0);
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    return err;
}

/* The token and its session, as refresh_rotate sees them. */
struct presented {
    struct session_rec session;
    int64_t created_at, retired_at;
};

/* Writes one rotation step inside the caller's transaction, as refresh_decide says. */
static ts_err rotate_step(struct sqlite_store *s, const struct presented *p,
                          const char *presented_hash, const char *successor_hash,
                          int64_t now, int64_t grace, int64_t idle_ttl,
                          const char *ua, const char *ip, enum refresh_outcome *oc,
                          struct session_rec *r)
{
    const struct session_rec *cur = &p->session;
    const struct refresh_found found = {
        cur->expires_at, cur->revoked_at, p->created_at, p->retired_at,
    };
    enum refresh_decision d = refresh_decide(&found, now, grace, idle_ttl);
    ts_err err;

    *r = *cur;
    *oc = refresh_outcome_of(d);
    if (d == REFRESH_DECIDE_REUSED) {
        r->revoked_at = now;
        return sqlite_exec(s, SQ_SESSION_REVOKE, NULL, "ti", cur->id, now);
    }
    if (d != REFRESH_DECIDE_ROTATE)
        return TS_OK;                   /* nothing to write */
    if (successor_hash) {
        if ((err = sqlite_exec(s, SQ_TOKEN_RETIRE, NULL, "ti", presented_hash, now)) ||
            (err = sqlite_exec(s, SQ_TOKEN_INSERT, NULL, "tti", successor_hash, cur->id,
                               now)))
            return err;
    } else if ((err = sqlite_exec(s, SQ_TOKEN_RENEW, NULL, "ti", presented_hash, now))) {
        return err;
    }
    if ((err = sqlite_exec(s, SQ_SESSION_TOUCH, NULL, "tiTT", cur->id, now, ua, ip)))
        return err;
    r->last_used_at = now;
    if (*ua)
        memcpy(r->user_agent, ua, strlen(ua) + 1);
    if (*ip)
        memcpy(r->ip, ip, strlen(ip) + 1);
    return TS_OK;
}

static ts_err sq_refresh_rotate(struct store *st, const char *presented_hash,
                                const char *successor_hash, int64_t now, int64_t grace,
                                int64_t idle_ttl, const char *user_agent, const char *ip,
                                enum refresh_outcome *outcome,
                                struct session_rec *session)
{
    struct sqlite_store *s = sqlite_of(st);
    struct presented p;
    struct session_rec after;
    enum refresh_outcome oc = REFRESH_INVALID;
    char ua[STORE_UA_LEN + 1], ipb[STORE_IP_LEN + 1];
    int found = 0;
    ts_err err;

    *outcome = REFRESH_INVALID;
    text_clean(user_agent ? user_agent : "", ua, sizeof ua);
    text_clean(ip ? ip : "", ipb, sizeof ipb);
    sqlite_lock(s);
    if ((err = sqlite_begin(s)))
        goto out;
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_TOKEN_FIND, &err, "t", presented_hash);
    if (stmt) {
        if (!(err = step_one(s, stmt, "refresh token find")) &&
            !(err = read_session(stmt, &p.session))) {
            p.created_at = sqlite_col_int(stmt, 11);
            p.retired_at = sqlite_col_int(stmt, 12);
            found = 1;
        }
        sqlite_done(stmt);
    }
    if (err == TS_ENOTFOUND)
        err = TS_OK;                    /* unknown token: INVALID, nothing to say */
    if (!err && found)
        err = rotate_step(s, &p, presented_hash, successor_hash, now, grace, idle_ttl,
                          ua, ipb, &oc, &after);
    err = sqlite_end(s, err);
out:
    sqlite_unlock(s);
    if (err)
        return err;
    *outcome = oc;
    if (oc == REFRESH_REUSED)
        store_changed(st);
    if (session && found)
        *session = after;
    return TS_OK;
}

static ts_err sq_refresh_lookup(struct store *st, const char *hash,
                                struct session_rec *session, int64_t *created_at,
                                int64_t *retired_at)
{
    struct sqlite_store *s = sqlite_of(st);
    struct token_found found = { 0 };
    ts_err err;

    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_TOKEN_FIND, &err, "t", hash);
    if (stmt) {
        if (!(err = step_one(s, stmt, "refresh token lookup")) &&
            !(err = read_session(stmt, &found.r))) {
            found.created = sqlite_col_int(stmt, 11);
            found.retired = sqlite_col_int(stmt, 12);
        }
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    return store_lookup_result(err, &found, session, created_at, retired_at);
}

static ts_err sq_key_insert(struct store *st, const struct signing_key_rec *k)
{
    struct sqlite_store *s = sqlite_of(st);

    if (!FIELD_OK(k->kid) || !FIELD_OK(k->alg))
        return store_unterminated("sqlite", "signing key");
    sqlite_lock(s);
    ts_err err = sqlite_exec(s, SQ_KEY_INSERT, NULL, "tttiII", k->kid, k->alg,
                             k->private_jwk, k->created_at, k->activated_at,
                             k->retired_at);
    sqlite_unlock(s);
    if (!err)
        store_changed(st);
    return err;
}

/* All the keys (a handful) are read in one go, then handed to cb without the lock. */
static ts_err key_rows(struct sqlite_store *s, int include_retired,
                       struct signing_key_rec **rows, int *n)
{
    struct signing_key_rec *v = NULL;
    int cap = 0, rc;
    ts_err err;

    *rows = NULL;
    *n = 0;
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_KEY_LIST, &err, "d", include_retired ? 1 : 0);
    if (!stmt)
        return err;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*n == cap) {
            int ncap = cap ? cap * 2 : 8;
            struct signing_key_rec *nv = realloc(v, (size_t)ncap * sizeof *nv);
            if (!nv) {
                err = TS_ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        if ((err = read_key(stmt, &v[*n])))
            break;
        ++*n;
    }
    if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = sqlite_fail(s, rc, "key list");
    sqlite_done(stmt);
    *rows = v;
    return err;
}

static ts_err sq_key_list(struct store *st, int include_retired, key_cb cb, void *ctx)
{
    struct sqlite_store *s = sqlite_of(st);
    struct signing_key_rec *rows;
    int n, stop = 0;

    sqlite_lock(s);
    ts_err err = key_rows(s, include_retired, &rows, &n);
    sqlite_unlock(s);
    for (int i = 0; i < n; i++) {
        if (!err && !stop)
            stop = cb(ctx, &rows[i]);
        signing_key_rec_clear(&rows[i]);
    }
    free(rows);
    return err;
}

static ts_err sq_key_update(struct store *st, const char *kid, int64_t activated_at,
                            int64_t retired_at)
{
    struct sqlite_store *s = sqlite_of(st);
    int changes = 0;

    sqlite_lock(s);
    ts_err err = sqlite_exec(s, SQ_KEY_UPDATE, &changes, "tII", kid, activated_at,
                             retired_at);
    sqlite_unlock(s);
    return store_row_written(st, err, changes);
}

/* INSERT or UPDATE of every column of a client (SQ_CLIENT_INSERT and
 * SQ_CLIENT_UPDATE take the same parameters). */
static ts_err client_write(struct sqlite_store *s, enum sq_stmt id,
                           const struct client_rec *c, int *changes)
{
    if (!FIELD_OK(c->id) || !FIELD_OK(c->name) || !FIELD_OK(c->secret_hash) ||
        !FIELD_OK(c->grants) || !FIELD_OK(c->scopes) ||
        !FIELD_OK(c->auth_method) || !FIELD_OK(c->tls_subject_dn) ||
        !FIELD_OK(c->tls_thumbprint) || !FIELD_OK(c->audiences) ||
        !FIELD_OK(c->redirect_uris) || !FIELD_OK(c->post_logout_redirect_uris) ||
        !FIELD_OK(c->backchannel_logout_uri) || !FIELD_OK(c->id_token_alg))
        return store_unterminated("sqlite", "client");
    int rotation = c->refresh_rotation < 0 ? -1 : c->refresh_rotation > 0;
    sqlite_lock(s);
    ts_err err = sqlite_exec(s, id, changes, "tttttttdddIIIttiitdttdtt", c->id, c->name,
                             c->secret_hash, c->grants, c->scopes,
                             c->roles_json ? c->roles_json : "[]", c->auth_method,
                             c->is_public ? 1 : 0, c->disabled ? 1 : 0, rotation,
                             c->access_ttl, c->refresh_ttl, c->refresh_idle_ttl,
                             c->tls_subject_dn, c->tls_thumbprint, c->created_at,
                             c->updated_at, c->audiences,
                             c->auth_method_pinned ? 1 : 0, c->redirect_uris,
                             c->post_logout_redirect_uris, c->first_party ? 1 : 0,
                             c->backchannel_logout_uri,
                             c->id_token_alg);
    sqlite_unlock(s);
    return err;
}

static ts_err sq_client_insert(struct store *st, const struct client_rec *c)
{
    return client_write(sqlite_of(st), SQ_CLIENT_INSERT, c, NULL);
}

static ts_err sq_client_update(struct store *st, const struct client_rec *c)
{
    int changes = 0;
    ts_err err = client_write(sqlite_of(st), SQ_CLIENT_UPDATE, c, &changes);
    return store_row_written(st, err, changes);
}

static ts_err sq_client_get(struct store *st, const char *id, struct client_rec *out)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    memset(out, 0, sizeof *out);
    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_CLIENT_GET, &err, "t", id);
    if (stmt) {
        if (!(err = step_one(s, stmt, "client get")))
            err = read_client(stmt, out);
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    return err;
}

static ts_err sq_client_delete(struct store *st, const char *id, int64_t now)
{
    struct sqlite_store *s = sqlite_of(st);
    int changes = 0;
    ts_err err;

    sqlite_lock(s);
    if (!(err = sqlite_begin(s))) {
        err = sqlite_exec(s, SQ_CLIENT_DELETE, &changes, "t", id);
        if (!err && changes == 0)
            err = TS_ENOTFOUND;
        if (!err)
            err = sqlite_exec(s, SQ_SESSION_REVOKE_CLIENT, NULL, "ti", id, now);
        err = sqlite_end(s, err);
    }
    sqlite_unlock(s);
    if (!err)
        store_changed(st);
    return err;
}

/* Before the insert, at most once a JTI_PURGE_INTERVAL per connection, the rows of
 * tokens already expired go: a failed purge is logged and does not fail the revoke. */
static ts_err sq_jti_revoke(struct store *st, const char *jti, int64_t expires_at,
                            int64_t now)
{
    struct sqlite_store *s = sqlite_of(st);

    sqlite_lock(s);
    if (now - s->jti_purged_at >= JTI_PURGE_INTERVAL || now < s->jti_purged_at) {
        s->jti_purged_at = now;
        (void)sqlite_exec(s, SQ_JTI_PURGE, NULL, "i", now);
    }
    ts_err err = sqlite_exec(s, SQ_JTI_REVOKE, NULL, "tii", jti, expires_at, now);
    sqlite_unlock(s);
    if (!err)
        store_changed(st);
    return err;
}

static ts_err sq_jti_revoked(struct store *st, const char *jti)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_JTI_REVOKED, &err, "t", jti);
    if (stmt) {
        err = step_one(s, stmt, "jti revoked");
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    return err;
}

static ts_err read_jti(sqlite3_stmt *stmt, void *rec)
{
    struct list_jti_row *r = rec;
    ts_err err = sqlite_col_text(stmt, 0, r->jti, sizeof r->jti);
    r->at = sqlite_col_int(stmt, 1);
    r->exp = sqlite_col_int(stmt, 2);
    return err;
}

/* A chunk of revoked jtis in (revoked_at, jti) order (store/lists.h). */
static ts_err jti_fetch(struct store *st, const struct list_jtis *l, int want,
                        struct list_jti_row *rows, int *n)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_JTI_LIST, &err, "iitd", l->after, l->now,
                                     l->last, want);
    if (stmt)
        err = read_rows(s, stmt, "jti list", want, rows, sizeof *rows, read_jti, n);
    sqlite_unlock(s);
    return err;
}

static ts_err sq_revocations(struct store *st, int64_t not_before, int64_t before,
                             int64_t after_at, const char *after_id,
                             struct revocation_rec *out, int n, int *count)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;
    int rc;

    *count = 0;
    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_REVOCATIONS, &err, "iitdi", not_before,
                                     after_at, after_id ? after_id : "", n, before);
    if (stmt) {
        while (*count < n) {
            if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
                if (rc != SQLITE_DONE)
                    err = sqlite_fail(s, rc, "revocations");
                break;
            }
            struct revocation_rec *r = &out[*count];
            if ((err = sqlite_col_text(stmt, 0, r->sid, sizeof r->sid)))
                break;
            r->revoked_at = sqlite_col_int(stmt, 1);
            ++*count;
        }
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    return err;
}

static ts_err sq_audit_insert(struct store *st, const struct audit_rec *a, int n)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    sqlite_lock(s);
    if (!(err = sqlite_begin(s))) {
        for (int i = 0; i < n && !err; i++)
            err = sqlite_exec(s, SQ_AUDIT_INSERT, NULL, "itTTTT", a[i].at, a[i].event,
                              a[i].user_id, a[i].client_id, a[i].ip, a[i].detail_json);
        err = sqlite_end(s, err);
    }
    sqlite_unlock(s);
    return err;
}

static ts_err read_audit(sqlite3_stmt *stmt, void *rec)
{
    struct audit_event_rec *e = rec;
    ts_err err;

    memset(e, 0, sizeof *e);
    e->id = sqlite_col_int(stmt, 0);
    e->at = sqlite_col_int(stmt, 1);
    if ((err = sqlite_col_text(stmt, 2, e->event, sizeof e->event)) ||
        (err = sqlite_col_text(stmt, 3, e->user_id, sizeof e->user_id)) ||
        (err = sqlite_col_text(stmt, 4, e->client_id, sizeof e->client_id)) ||
        (err = sqlite_col_text(stmt, 5, e->ip, sizeof e->ip)) ||
        (err = sqlite_col_strdup(stmt, 6, NULL, &e->detail_json)))
        audit_event_rec_clear(e);
    return err;
}

/* A chunk of audit events, newest first (store/lists.h). */
static ts_err audit_fetch(struct store *st, const struct list_audit *l, int want,
                          struct audit_event_rec *rows, int *n)
{
    struct sqlite_store *s = sqlite_of(st);
    const struct audit_filter *f = l->f;
    ts_err err;

    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_AUDIT_LIST, &err, "IIITTTd", l->before,
                                     f->since, f->until, f->user_id, f->event,
                                     f->event_prefix, want);
    if (stmt)
        err = read_rows(s, stmt, "audit list", want, rows, sizeof *rows, read_audit, n);
    sqlite_unlock(s);
    return err;
}

static const struct list_reader sq_lists = {
    id_fetch, session_fetch, jti_fetch, audit_fetch,
};

const struct store_ops store_sqlite_ops = {
    .scheme = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .migrate = sqlite_migrate,
    .schema_version = sqlite_schema_version,
    .ping = sqlite_ping,
    .secret_get_or_put = sq_secret_get_or_put,
    .user_insert = sq_user_insert,
    .user_get = sq_user_get,
    .user_update = sq_user_update,
    .user_delete = sq_user_delete,
    .user_list = list_users,
    .user_count = sq_user_count,
    .user_search = list_user_search,
    .session_create = sq_session_create,
    .session_get = sq_session_get,
    .session_revoke = sq_session_revoke,
    .session_revoke_user = sq_session_revoke_user,
    .session_list_user = list_sessions_user,
    .session_list_all = list_sessions_all,
    .session_count_active = sq_session_count_active,
    .session_page = list_session_page,
    .refresh_rotate = sq_refresh_rotate,
    .refresh_lookup = sq_refresh_lookup,
    .key_insert = sq_key_insert,
    .key_list = sq_key_list,
    .key_update = sq_key_update,
    .browser_cookie_insert = sq_browser_cookie_insert,
    .browser_cookie_find = sq_browser_cookie_find,
    .session_touch = sq_session_touch,
    .code_insert = sq_code_insert,
    .code_take = sq_code_take,
    .client_insert = sq_client_insert,
    .client_get = sq_client_get,
    .client_update = sq_client_update,
    .client_delete = sq_client_delete,
    .client_list = list_clients,
    .jti_revoke = sq_jti_revoke,
    .jti_revoked = sq_jti_revoked,
    .jti_list = list_jtis,
    .audit_insert = sq_audit_insert,
    .audit_list = list_audit,
    .revocations = sq_revocations,
    .lists = &sq_lists,
};
