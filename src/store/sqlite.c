/* The SQLite backend: one connection in WAL mode, serialised by a mutex. */
#include <ctype.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/migrations.h"
#include "store/store.h"

struct sq {
    struct store base;
    sqlite3 *db;
    pthread_mutex_t lock;
};

#define SQ(st) ((struct sq *)(st))

static ts_err fail(struct sq *s, int rc)
{
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return TS_ECONFLICT;
    log_msg("error", "sqlite: %s", sqlite3_errmsg(s->db));
    return rc == SQLITE_NOMEM ? TS_ENOMEM : TS_EDB;
}

/* Prepares sql and binds args described by fmt: s = const char *, i = int64_t. */
static int prep(struct sq *s, sqlite3_stmt **stmt, const char *sql, const char *fmt, ...)
    __attribute__((unused));

static int bindv(sqlite3_stmt *stmt, const char *fmt, va_list ap)
{
    int rc = SQLITE_OK;
    for (int i = 0; fmt && fmt[i] && rc == SQLITE_OK; i++) {
        if (fmt[i] == 's') {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(stmt, i + 1, v, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(stmt, i + 1);
        } else {
            rc = sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
        }
    }
    return rc;
}

#include <stdarg.h>

static int prep(struct sq *s, sqlite3_stmt **stmt, const char *sql, const char *fmt, ...)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    rc = bindv(*stmt, fmt, ap);
    va_end(ap);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
    }
    return rc;
}

/* Runs a statement that returns no rows. */
static ts_err exec(struct sq *s, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc);
    va_list ap;
    va_start(ap, fmt);
    rc = bindv(stmt, fmt, ap);
    va_end(ap);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    ts_err e = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? TS_OK : fail(s, rc);
    sqlite3_finalize(stmt);
    return e;
}

static int copy(char *dst, size_t size, sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    size_t n = v ? strlen((const char *)v) : 0;
    if (n >= size)
        return -1;
    memcpy(dst, v ? (const char *)v : "", n + 1);
    return 0;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    return strdup(v ? (const char *)v : "");
}

static void lower(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i < size - 1; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* ---- open, close, migrations ---- */

static ts_err sq_open(const char *url, struct store **out);

static void sq_close(struct store *st)
{
    struct sq *s = SQ(st);
    if (!s)
        return;
    sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static ts_err version_locked(struct sq *s, int *version)
{
    sqlite3_stmt *stmt;
    *version = 0;
    int rc = sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type='table' "
                                "AND name='schema_migrations'", -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc == SQLITE_DONE)
        return TS_OK;
    if (rc != SQLITE_ROW)
        return fail(s, rc);
    rc = sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                            -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? TS_OK : fail(s, rc);
}

static ts_err sq_schema_version(struct store *st, int *version)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->lock);
    ts_err e = version_locked(s, version);
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_migrate(struct store *st, int *applied)
{
    struct sq *s = SQ(st);
    int version;
    ts_err e;
    *applied = 0;
    pthread_mutex_lock(&s->lock);
    e = exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
             " name TEXT NOT NULL, applied_at BIGINT NOT NULL)", NULL);
    if (!e)
        e = version_locked(s, &version);
    for (const struct migration *m = store_migrations; !e && m->version; m++) {
        if (m->version <= version)
            continue;
        char *msg = NULL;
        if ((e = exec(s, "BEGIN IMMEDIATE", NULL)))
            break;
        if (sqlite3_exec(s->db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
            log_msg("error", "migration %s failed: %s", m->name, msg ? msg : "?");
            sqlite3_free(msg);
            exec(s, "ROLLBACK", NULL);
            e = TS_EDB;
            break;
        }
        e = exec(s, "INSERT INTO schema_migrations VALUES (?, ?, strftime('%s','now'))",
                 "is", (int64_t)m->version, m->name);
        if (!e)
            e = exec(s, "COMMIT", NULL);
        if (e)
            exec(s, "ROLLBACK", NULL);
        else
            (*applied)++;
    }
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_ping(struct store *st)
{
    int v;
    return sq_schema_version(st, &v);
}

static ts_err sq_secret(struct store *st, const char *name, const char *value_if_new,
                        char out[256])
{
    struct sq *s = SQ(st);
    sqlite3_stmt *stmt = NULL;
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "INSERT OR IGNORE INTO server_secrets VALUES (?, ?)", "ss", name,
                    value_if_new);
    int rc = e ? SQLITE_OK : prep(s, &stmt, "SELECT value FROM server_secrets WHERE name=?",
                                  "s", name);
    if (!e && rc != SQLITE_OK)
        e = fail(s, rc);
    if (!e) {
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW || copy(out, 256, stmt, 0))
            e = rc == SQLITE_ROW ? TS_EDB : fail(s, rc);
    }
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&s->lock);
    return e;
}

/* ---- users ---- */

#define USER_COLS "id, email, username, name, roles_json, attributes_json, disabled, " \
                  "password_hash, created_at, updated_at"

static int read_user(sqlite3_stmt *st, struct user_rec *u)
{
    memset(u, 0, sizeof *u);
    if (copy(u->id, sizeof u->id, st, 0) || copy(u->email, sizeof u->email, st, 1) ||
        copy(u->username, sizeof u->username, st, 2) || copy(u->name, sizeof u->name, st, 3) ||
        copy(u->password_hash, sizeof u->password_hash, st, 7))
        return -1;
    u->roles_json = dup_col(st, 4);
    u->attributes_json = dup_col(st, 5);
    u->disabled = sqlite3_column_int(st, 6);
    u->created_at = sqlite3_column_int64(st, 8);
    u->updated_at = sqlite3_column_int64(st, 9);
    if (!u->roles_json || !u->attributes_json) {
        user_rec_clear(u);
        return -1;
    }
    return 0;
}

static ts_err sq_user_insert(struct store *st, const struct user_rec *u)
{
    struct sq *s = SQ(st);
    char el[STORE_EMAIL_LEN + 1], ul[STORE_NAME_LEN + 1];
    lower(el, sizeof el, u->email);
    lower(ul, sizeof ul, u->username);
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "INSERT INTO users (id, email, email_lower, username, username_lower,"
                    " name, roles_json, attributes_json, disabled, password_hash, created_at,"
                    " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", "ssssssssisii",
                    u->id, u->email, el, u->username[0] ? u->username : NULL,
                    u->username[0] ? ul : NULL, u->name,
                    u->roles_json ? u->roles_json : "[]",
                    u->attributes_json ? u->attributes_json : "{}", (int64_t)u->disabled,
                    u->password_hash, u->created_at, u->updated_at);
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_user_get(struct store *st, enum user_lookup by, const char *value,
                          struct user_rec *out)
{
    static const char *where[] = {
        [USER_BY_ID] = "id = ?1",
        [USER_BY_EMAIL] = "email_lower = ?1",
        [USER_BY_USERNAME] = "username_lower = ?1",
        [USER_BY_LOGIN] = "email_lower = ?1 OR username_lower = ?1",
    };
    struct sq *s = SQ(st);
    char sql[256], key[STORE_EMAIL_LEN + 1];
    sqlite3_stmt *stmt;
    if (strlen(value) > STORE_EMAIL_LEN)
        return TS_ENOTFOUND;
    if (by == USER_BY_ID)
        snprintf(key, sizeof key, "%s", value);
    else
        lower(key, sizeof key, value);
    snprintf(sql, sizeof sql, "SELECT " USER_COLS " FROM users WHERE %s", where[by]);
    pthread_mutex_lock(&s->lock);
    ts_err e = TS_OK;
    int rc = prep(s, &stmt, sql, "s", key);
    if (rc != SQLITE_OK) {
        e = fail(s, rc);
    } else {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            e = read_user(stmt, out) ? TS_EDB : TS_OK;
        else
            e = rc == SQLITE_DONE ? TS_ENOTFOUND : fail(s, rc);
        sqlite3_finalize(stmt);
    }
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_user_update(struct store *st, const struct user_rec *u)
{
    struct sq *s = SQ(st);
    char el[STORE_EMAIL_LEN + 1], ul[STORE_NAME_LEN + 1];
    lower(el, sizeof el, u->email);
    lower(ul, sizeof ul, u->username);
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "UPDATE users SET email=?, email_lower=?, username=?, username_lower=?,"
                    " name=?, roles_json=?, attributes_json=?, disabled=?, password_hash=?,"
                    " updated_at=? WHERE id=?", "sssssssisis",
                    u->email, el, u->username[0] ? u->username : NULL,
                    u->username[0] ? ul : NULL, u->name,
                    u->roles_json ? u->roles_json : "[]",
                    u->attributes_json ? u->attributes_json : "{}", (int64_t)u->disabled,
                    u->password_hash, u->updated_at, u->id);
    if (!e && sqlite3_changes(s->db) == 0)
        e = TS_ENOTFOUND;
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_user_delete(struct store *st, const char *id, int64_t now)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "BEGIN IMMEDIATE", NULL);
    if (!e)
        e = exec(s, "DELETE FROM users WHERE id=?", "s", id);
    if (!e && sqlite3_changes(s->db) == 0)
        e = TS_ENOTFOUND;
    if (!e)
        e = exec(s, "UPDATE sessions SET revoked_at=? WHERE user_id=? AND revoked_at=0",
                 "is", now, id);
    if (!e)
        e = exec(s, "COMMIT", NULL);
    if (e)
        exec(s, "ROLLBACK", NULL);
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_user_list(struct store *st, const char *after, int limit, user_cb cb,
                           void *ctx)
{
    struct sq *s = SQ(st);
    sqlite3_stmt *stmt;
    struct user_rec u;
    ts_err e = TS_OK;
    pthread_mutex_lock(&s->lock);
    int rc = prep(s, &stmt, "SELECT " USER_COLS " FROM users WHERE id > ? ORDER BY id LIMIT ?",
                  "si", after ? after : "", (int64_t)(limit > 0 ? limit : -1));
    if (rc != SQLITE_OK) {
        e = fail(s, rc);
        goto out;
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (read_user(stmt, &u)) {
            e = TS_EDB;
            break;
        }
        int stop = cb(ctx, &u);
        user_rec_clear(&u);
        if (stop)
            break;
    }
    if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = fail(s, rc);
    sqlite3_finalize(stmt);
out:
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_user_count(struct store *st, int64_t *count)
{
    struct sq *s = SQ(st);
    sqlite3_stmt *stmt;
    ts_err e = TS_OK;
    pthread_mutex_lock(&s->lock);
    int rc = prep(s, &stmt, "SELECT COUNT(*) FROM users", NULL);
    if (rc != SQLITE_OK) {
        e = fail(s, rc);
    } else {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            *count = sqlite3_column_int64(stmt, 0);
        else
            e = fail(s, rc);
        sqlite3_finalize(stmt);
    }
    pthread_mutex_unlock(&s->lock);
    return e;
}

/* ---- sessions and refresh tokens ---- */

#define SESSION_COLS "id, user_id, client_id, scope, user_agent, ip, created_at, " \
                     "last_used_at, expires_at, revoked_at"

static int read_session(sqlite3_stmt *st, struct session_rec *r)
{
    memset(r, 0, sizeof *r);
    if (copy(r->id, sizeof r->id, st, 0) || copy(r->user_id, sizeof r->user_id, st, 1) ||
        copy(r->client_id, sizeof r->client_id, st, 2) ||
        copy(r->scope, sizeof r->scope, st, 3) ||
        copy(r->user_agent, sizeof r->user_agent, st, 4) || copy(r->ip, sizeof r->ip, st, 5))
        return -1;
    r->created_at = sqlite3_column_int64(st, 6);
    r->last_used_at = sqlite3_column_int64(st, 7);
    r->expires_at = sqlite3_column_int64(st, 8);
    r->revoked_at = sqlite3_column_int64(st, 9);
    return 0;
}

static ts_err session_get_locked(struct sq *s, const char *id, struct session_rec *out)
{
    sqlite3_stmt *stmt;
    int rc = prep(s, &stmt, "SELECT " SESSION_COLS " FROM sessions WHERE id=?", "s", id);
    if (rc != SQLITE_OK)
        return fail(s, rc);
    ts_err e;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        e = read_session(stmt, out) ? TS_EDB : TS_OK;
    else
        e = rc == SQLITE_DONE ? TS_ENOTFOUND : fail(s, rc);
    sqlite3_finalize(stmt);
    return e;
}

static ts_err sq_session_create(struct store *st, const struct session_rec *r,
                                const char *refresh_hash)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "BEGIN IMMEDIATE", NULL);
    if (!e)
        e = exec(s, "INSERT INTO sessions (" SESSION_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?)",
                 "ssssssiiii", r->id, r->user_id, r->client_id, r->scope, r->user_agent,
                 r->ip, r->created_at, r->last_used_at, r->expires_at, r->revoked_at);
    if (!e && refresh_hash)
        e = exec(s, "INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?,?,?)",
                 "ssi", refresh_hash, r->id, r->created_at);
    if (!e)
        e = exec(s, "COMMIT", NULL);
    if (e)
        exec(s, "ROLLBACK", NULL);
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_session_get(struct store *st, const char *id, struct session_rec *out)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->lock);
    ts_err e = session_get_locked(s, id, out);
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_session_revoke(struct store *st, const char *id, int64_t now)
{
    struct sq *s = SQ(st);
    struct session_rec r;
    pthread_mutex_lock(&s->lock);
    ts_err e = session_get_locked(s, id, &r);
    if (!e && !r.revoked_at)
        e = exec(s, "UPDATE sessions SET revoked_at=? WHERE id=? AND revoked_at=0", "is",
                 now, id);
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_session_revoke_user(struct store *st, const char *user_id,
                                     const char *except_id, int64_t now, int *count)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "UPDATE sessions SET revoked_at=? WHERE user_id=? AND revoked_at=0 "
                    "AND id <> ?", "iss", now, user_id, except_id ? except_id : "");
    if (!e && count)
        *count = sqlite3_changes(s->db);
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err list_sessions(struct sq *s, const char *sql, const char *fmt,
                            const char *user_id, int64_t now, int64_t limit,
                            session_cb cb, void *ctx)
{
    sqlite3_stmt *stmt;
    struct session_rec r;
    ts_err e = TS_OK;
    int rc;
    pthread_mutex_lock(&s->lock);
    if (user_id)
        rc = prep(s, &stmt, sql, fmt, user_id, now);
    else
        rc = prep(s, &stmt, sql, fmt, now, limit);
    if (rc != SQLITE_OK) {
        e = fail(s, rc);
        goto out;
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (read_session(stmt, &r)) {
            e = TS_EDB;
            break;
        }
        if (cb(ctx, &r))
            break;
    }
    if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = fail(s, rc);
    sqlite3_finalize(stmt);
out:
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_session_list_user(struct store *st, const char *user_id, int64_t now,
                                   session_cb cb, void *ctx)
{
    return list_sessions(SQ(st), "SELECT " SESSION_COLS " FROM sessions WHERE user_id=? AND "
                         "revoked_at=0 AND expires_at>? ORDER BY created_at DESC, id",
                         "si", user_id, now, 0, cb, ctx);
}

static ts_err sq_session_list_all(struct store *st, int64_t now, int limit, session_cb cb,
                                  void *ctx)
{
    return list_sessions(SQ(st), "SELECT " SESSION_COLS " FROM sessions WHERE revoked_at=0 "
                         "AND expires_at>? ORDER BY created_at DESC, id LIMIT ?", "ii",
                         NULL, now, limit > 0 ? limit : -1, cb, ctx);
}

static ts_err sq_refresh_rotate(struct store *st, const char *presented,
                                const char *successor, int64_t now, int64_t grace,
                                int64_t idle_ttl, const char *ua, const char *ip,
                                enum refresh_outcome *outcome, struct session_rec *session)
{
    struct sq *s = SQ(st);
    sqlite3_stmt *stmt;
    struct session_rec r;
    int64_t created = 0, retired = 0;
    char sid[STORE_ID_LEN + 1];

    *outcome = REFRESH_INVALID;
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "BEGIN IMMEDIATE", NULL);
    if (e)
        goto unlock;
    int rc = prep(s, &stmt, "SELECT session_id, created_at, retired_at FROM refresh_tokens "
                  "WHERE hash=?", "s", presented);
    if (rc != SQLITE_OK) {
        e = fail(s, rc);
        goto done;
    }
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        if (copy(sid, sizeof sid, stmt, 0))
            e = TS_EDB;
        created = sqlite3_column_int64(stmt, 1);
        retired = sqlite3_column_int64(stmt, 2);
    } else if (rc != SQLITE_DONE) {
        e = fail(s, rc);
    }
    sqlite3_finalize(stmt);
    if (e || rc == SQLITE_DONE)
        goto done;
    if ((e = session_get_locked(s, sid, &r)))
        goto done;
    if (session)
        *session = r;
    if (r.revoked_at || now >= r.expires_at)
        goto done;
    if (retired) {
        if (now - retired < grace) {
            *outcome = REFRESH_GRACE;
        } else {
            e = exec(s, "UPDATE sessions SET revoked_at=? WHERE id=?", "is", now, sid);
            if (!e) {
                *outcome = REFRESH_REUSED;
                if (session)
                    session->revoked_at = now;
            }
        }
        goto done;
    }
    if (now - created >= idle_ttl)
        goto done;
    if (successor) {
        e = exec(s, "UPDATE refresh_tokens SET retired_at=? WHERE hash=?", "is", now,
                 presented);
        if (!e)
            e = exec(s, "INSERT INTO refresh_tokens (hash, session_id, created_at) "
                     "VALUES (?,?,?)", "ssi", successor, sid, now);
    } else {
        e = exec(s, "UPDATE refresh_tokens SET created_at=? WHERE hash=?", "is", now,
                 presented);
    }
    if (!e)
        e = exec(s, "UPDATE sessions SET last_used_at=?, user_agent=COALESCE(?, user_agent),"
                 " ip=COALESCE(?, ip) WHERE id=?", "isss", now, ua, ip, sid);
    if (!e)
        *outcome = REFRESH_ROTATED;
done:
    if (!e)
        e = exec(s, "COMMIT", NULL);
    if (e) {
        exec(s, "ROLLBACK", NULL);
        *outcome = REFRESH_INVALID;
    }
unlock:
    pthread_mutex_unlock(&s->lock);
    return e;
}

/* ---- keys, audit ---- */

static ts_err sq_key_insert(struct store *st, const struct signing_key_rec *k)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "INSERT INTO signing_keys VALUES (?,?,?,?,?,?)", "sssiii", k->kid,
                    k->alg, k->private_jwk, k->created_at, k->activated_at, k->retired_at);
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_key_list(struct store *st, int include_retired, key_cb cb, void *ctx)
{
    struct sq *s = SQ(st);
    sqlite3_stmt *stmt;
    struct signing_key_rec k;
    ts_err e = TS_OK;
    pthread_mutex_lock(&s->lock);
    int rc = prep(s, &stmt, "SELECT kid, alg, private_jwk, created_at, activated_at, "
                  "retired_at FROM signing_keys WHERE retired_at=0 OR ?=1 "
                  "ORDER BY created_at, kid", "i", (int64_t)(include_retired ? 1 : 0));
    if (rc != SQLITE_OK) {
        e = fail(s, rc);
        goto out;
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        memset(&k, 0, sizeof k);
        if (copy(k.kid, sizeof k.kid, stmt, 0) || copy(k.alg, sizeof k.alg, stmt, 1) ||
            !(k.private_jwk = dup_col(stmt, 2))) {
            e = TS_EDB;
            break;
        }
        k.created_at = sqlite3_column_int64(stmt, 3);
        k.activated_at = sqlite3_column_int64(stmt, 4);
        k.retired_at = sqlite3_column_int64(stmt, 5);
        int stop = cb(ctx, &k);
        signing_key_rec_clear(&k);
        if (stop)
            break;
    }
    if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = fail(s, rc);
    sqlite3_finalize(stmt);
out:
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_key_update(struct store *st, const char *kid, int64_t activated_at,
                            int64_t retired_at)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "UPDATE signing_keys SET activated_at=CASE WHEN ?1=0 THEN "
                    "activated_at ELSE ?1 END, retired_at=CASE WHEN ?2=0 THEN retired_at "
                    "ELSE ?2 END WHERE kid=?3", "iis", activated_at, retired_at, kid);
    if (!e && sqlite3_changes(s->db) == 0)
        e = TS_ENOTFOUND;
    pthread_mutex_unlock(&s->lock);
    return e;
}

static ts_err sq_audit_insert(struct store *st, const struct audit_rec *a)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->lock);
    ts_err e = exec(s, "INSERT INTO audit_events VALUES (?,?,?,?,?,?)", "isssss", a->at,
                    a->event, a->user_id, a->client_id, a->ip, a->detail_json);
    pthread_mutex_unlock(&s->lock);
    return e;
}

const struct store_ops store_sqlite_ops = {
    .scheme = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .migrate = sq_migrate,
    .schema_version = sq_schema_version,
    .ping = sq_ping,
    .secret_get_or_put = sq_secret,
    .user_insert = sq_user_insert,
    .user_get = sq_user_get,
    .user_update = sq_user_update,
    .user_delete = sq_user_delete,
    .user_list = sq_user_list,
    .user_count = sq_user_count,
    .session_create = sq_session_create,
    .session_get = sq_session_get,
    .session_revoke = sq_session_revoke,
    .session_revoke_user = sq_session_revoke_user,
    .session_list_user = sq_session_list_user,
    .session_list_all = sq_session_list_all,
    .refresh_rotate = sq_refresh_rotate,
    .key_insert = sq_key_insert,
    .key_list = sq_key_list,
    .key_update = sq_key_update,
    .audit_insert = sq_audit_insert,
};

/* url: a path, optionally "?synchronous=full". */
static ts_err sq_open(const char *url, struct store **out)
{
    char path[1024];
    const char *q = strchr(url, '?');
    size_t n = q ? (size_t)(q - url) : strlen(url);
    int full = q && strstr(q, "synchronous=full");

    *out = NULL;
    if (n == 0 || n >= sizeof path)
        return TS_EINVAL;
    memcpy(path, url, n);
    path[n] = '\0';
    struct sq *s = calloc(1, sizeof *s);
    if (!s)
        return TS_ENOMEM;
    s->base.ops = &store_sqlite_ops;
    pthread_mutex_init(&s->lock, NULL);
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, NULL);
    ts_err e = TS_OK;
    if (rc != SQLITE_OK) {
        log_msg("error", "sqlite: cannot open %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        e = TS_EDB;
    }
    if (!e)
        sqlite3_busy_timeout(s->db, 5000);
    if (!e)
        e = exec(s, "PRAGMA journal_mode=WAL", NULL);
    if (!e)
        e = exec(s, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL);
    if (!e)
        e = exec(s, "PRAGMA foreign_keys=ON", NULL);
    if (e) {
        sq_close(&s->base);
        return e;
    }
    *out = &s->base;
    return TS_OK;
}
