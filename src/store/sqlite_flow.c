/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite side of the browser flow (docs/oidc.md): browser sessions' cookies and
 * authorization codes. Contracts in store.h.
 */
#include <string.h>

#include "store/backend.h"
#include "store/sqlite_int.h"

/* code_insert purges codes that expired this long ago, at most once a minute. */
#define CODE_PURGE_AGE      3600
#define CODE_PURGE_INTERVAL 60

ts_err sq_browser_cookie_insert(struct store *st, const char *session_id,
                                const char *cookie_hash, int64_t auth_time)
{
    struct sqlite_store *s = sqlite_of(st);

    sqlite_lock(s);
    ts_err err = sqlite_exec(s, SQ_BROWSER_INSERT, NULL, "tti", session_id, cookie_hash,
                             auth_time);
    sqlite_unlock(s);
    return err;
}

ts_err sq_browser_cookie_find(struct store *st, const char *cookie_hash,
                              char session_id[STORE_ID_LEN + 1], int64_t *auth_time)
{
    struct sqlite_store *s = sqlite_of(st);
    ts_err err;

    session_id[0] = '\0';
    *auth_time = 0;
    sqlite_lock(s);
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_BROWSER_FIND, &err, "t", cookie_hash);
    if (stmt) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            err = sqlite_col_text(stmt, 0, session_id, STORE_ID_LEN + 1);
            *auth_time = sqlite_col_int(stmt, 1);
        } else {
            err = rc == SQLITE_DONE ? TS_ENOTFOUND
                                    : sqlite_fail(s, rc, "browser session find");
        }
        sqlite_done(stmt);
    }
    sqlite_unlock(s);
    if (err) {
        session_id[0] = '\0';
        *auth_time = 0;
    }
    return err;
}

ts_err sq_session_touch(struct store *st, const char *id, int64_t now)
{
    struct sqlite_store *s = sqlite_of(st);
    int changes = 0;

    sqlite_lock(s);
    ts_err err = sqlite_exec(s, SQ_SESSION_SET_USED, &changes, "ti", id, now);
    sqlite_unlock(s);
    /* not store_row_written: touching revokes nothing, so no store_changed */
    return err ? err : changes ? TS_OK : TS_ENOTFOUND;
}

ts_err sq_code_insert(struct store *st, const struct code_rec *c, int64_t now)
{
    struct sqlite_store *s = sqlite_of(st);

    if (!FIELD_OK(c->hash) || !FIELD_OK(c->client_id) || !FIELD_OK(c->redirect_uri) ||
        !FIELD_OK(c->code_challenge) || !FIELD_OK(c->scope) || !FIELD_OK(c->nonce) ||
        !FIELD_OK(c->browser_sid) || !FIELD_OK(c->user_id) || !FIELD_OK(c->issued_sid))
        return store_unterminated("sqlite", "authorization code");
    sqlite_lock(s);
    if (now - s->code_purged_at >= CODE_PURGE_INTERVAL || now < s->code_purged_at) {
        s->code_purged_at = now;
        (void)sqlite_exec(s, SQ_CODE_PURGE, NULL, "i", now - CODE_PURGE_AGE);
    }
    ts_err err = sqlite_exec(s, SQ_CODE_INSERT, NULL, "ttttttttitii", c->hash,
                             c->client_id, c->redirect_uri, c->code_challenge, c->scope,
                             c->nonce, c->browser_sid, c->user_id, c->auth_time,
                             c->issued_sid, c->created_at, c->expires_at);
    sqlite_unlock(s);
    return err;
}

static ts_err read_code(sqlite3_stmt *stmt, struct code_rec *c)
{
    ts_err err;

    if ((err = sqlite_col_text(stmt, 0, c->hash, sizeof c->hash)) ||
        (err = sqlite_col_text(stmt, 1, c->client_id, sizeof c->client_id)) ||
        (err = sqlite_col_text(stmt, 2, c->redirect_uri, sizeof c->redirect_uri)) ||
        (err = sqlite_col_text(stmt, 3, c->code_challenge, sizeof c->code_challenge)) ||
        (err = sqlite_col_text(stmt, 4, c->scope, sizeof c->scope)) ||
        (err = sqlite_col_text(stmt, 5, c->nonce, sizeof c->nonce)) ||
        (err = sqlite_col_text(stmt, 6, c->browser_sid, sizeof c->browser_sid)) ||
        (err = sqlite_col_text(stmt, 7, c->user_id, sizeof c->user_id)) ||
        (err = sqlite_col_text(stmt, 9, c->issued_sid, sizeof c->issued_sid)))
        return err;
    c->auth_time = sqlite_col_int(stmt, 8);
    c->created_at = sqlite_col_int(stmt, 10);
    c->expires_at = sqlite_col_int(stmt, 11);
    c->used_at = sqlite_col_int(stmt, 12);
    return TS_OK;
}

/* One transaction under the store's lock: read the row, then mark it used only if
 * it is not yet (the UPDATE's own condition decides, so two processes sharing the
 * file cannot both take it). */
ts_err sq_code_take(struct store *st, const char *hash, int64_t now,
                    struct code_rec *out)
{
    struct sqlite_store *s = sqlite_of(st);
    int changes = 0;
    ts_err err;

    memset(out, 0, sizeof *out);
    sqlite_lock(s);
    if (!(err = sqlite_begin(s))) {
        sqlite3_stmt *stmt = sqlite_stmt(s, SQ_CODE_GET, &err, "t", hash);
        if (stmt) {
            int rc = sqlite3_step(stmt);
            if (rc == SQLITE_ROW)
                err = read_code(stmt, out);
            else
                err = rc == SQLITE_DONE ? TS_ENOTFOUND : sqlite_fail(s, rc, "code get");
            sqlite_done(stmt);
        }
        if (!err)
            err = sqlite_exec(s, SQ_CODE_USE, &changes, "ti", hash, now);
        ts_err end = sqlite_end(s, err);
        if (!err && end)
            err = end;
        if (!err && changes == 0)
            err = TS_ECONFLICT;
    }
    sqlite_unlock(s);
    if (err && err != TS_ECONFLICT)
        memset(out, 0, sizeof *out);
    return err;
}
