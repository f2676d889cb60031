/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the SQLite backend, shared by sqlite_conn.c (the connection, its
 * statement cache, binding and error helpers, migrations) and sqlite.c (the store
 * operations).
 *
 * One connection per store, guarded by one mutex: every operation takes the lock, runs
 * its statements and releases it before calling any callback, so callbacks may call
 * the store again. Statements are prepared on first use and kept for the life of the
 * connection; each use binds, steps and then resets them (sqlite_done()).
 */
#ifndef STORE_SQLITE_INT_H
#define STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

/* Every statement the backend runs, with its SQL. The column lists of the SELECTs
 * match the readers in sqlite.c (read_user, read_session, read_key, read_client). */
#define SQ_USER_COLS "id, email, username, name, roles_json, attributes_json, " \
                     "disabled, password_hash, created_at, updated_at"
#define SQ_SESSION_COLS "s.id, s.user_id, s.client_id, s.scope, s.user_agent, s.ip, " \
                        "s.created_at, s.last_used_at, s.expires_at, s.revoked_at, "    \
                        "s.audience"
#define SQ_KEY_COLS "kid, alg, private_jwk, created_at, activated_at, retired_at"
#define SQ_CLIENT_COLS "id, name, secret_hash, grants, scopes, roles_json, "           \
                       "auth_method, is_public, disabled, refresh_rotation, "           \
                       "access_ttl, refresh_ttl, refresh_idle_ttl, tls_subject_dn, "    \
                       "tls_thumbprint, created_at, updated_at, audiences, "           \
                       "auth_method_pinned, redirect_uris, post_logout_redirect_uris, "  \
                       "first_party, backchannel_logout_uri, id_token_alg"
#define SQ_CODE_COLS "hash, client_id, redirect_uri, code_challenge, scope, nonce, "     \
                     "browser_sid, user_id, auth_time, issued_sid, created_at, "         \
                     "expires_at, used_at"

#define SQ_STATEMENTS(X)                                                                \
    X(BEGIN,            "BEGIN IMMEDIATE")                                              \
    X(COMMIT,           "COMMIT")                                                       \
    X(ROLLBACK,         "ROLLBACK")                                                     \
    X(HAS_MIGRATIONS,   "SELECT count(*) FROM sqlite_master "                           \
                        "WHERE type = 'table' AND name = 'schema_migrations'")          \
    X(VERSION,          "SELECT coalesce(max(version), 0) FROM schema_migrations")      \
    X(MIGRATION_ROW,    "INSERT INTO schema_migrations (version, name, applied_at) "    \
                        "VALUES (?1, ?2, ?3)")                                          \
    X(PING,             "SELECT count(*) FROM sqlite_master")                           \
    X(SECRET_PUT,       "INSERT INTO server_secrets (name, value) VALUES (?1, ?2) "     \
                        "ON CONFLICT (name) DO NOTHING")                                \
    X(SECRET_GET,       "SELECT value FROM server_secrets WHERE name = ?1")             \
    X(USER_INSERT,      "INSERT INTO users (id, email, email_lower, username, "         \
                        "username_lower, name, roles_json, attributes_json, disabled, " \
                        "password_hash, created_at, updated_at) "                       \
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")   \
    X(USER_UPDATE,      "UPDATE users SET email = ?2, email_lower = ?3, username = ?4, "\
                        "username_lower = ?5, name = ?6, roles_json = ?7, "             \
                        "attributes_json = ?8, disabled = ?9, password_hash = ?10, "    \
                        "created_at = ?11, updated_at = ?12 WHERE id = ?1")             \
    X(USER_BY_ID,       "SELECT " SQ_USER_COLS " FROM users WHERE id = ?1")             \
    X(USER_BY_EMAIL,    "SELECT " SQ_USER_COLS " FROM users WHERE email_lower = ?1")    \
    X(USER_BY_USERNAME, "SELECT " SQ_USER_COLS " FROM users WHERE username_lower = ?1") \
    X(USER_DELETE,      "DELETE FROM users WHERE id = ?1")                              \
    X(USER_LIST,        "SELECT " SQ_USER_COLS " FROM users WHERE id > ?1 "             \
                        "ORDER BY id LIMIT ?2")                                         \
    X(USER_COUNT,       "SELECT count(*) FROM users")                                   \
    /* user_search: ?3 a lowercased email prefix, ?4 a role, ?5 1 to filter on       \
     * disabled = ?6; NULL (?3, ?4) or 0 (?5): no such filter. */                       \
    X(USER_SEARCH,      "SELECT " SQ_USER_COLS " FROM users WHERE id > ?1 "             \
                        "AND (?3 IS NULL OR substr(email_lower, 1, length(?3)) = ?3) "  \
                        "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM "                     \
                        "json_each(users.roles_json) r WHERE r.value = ?4)) "           \
                        "AND (?5 = 0 OR disabled = ?6) ORDER BY id LIMIT ?2")           \
    X(SESSION_INSERT,   "INSERT INTO sessions (id, user_id, client_id, scope, "         \
                        "user_agent, ip, created_at, last_used_at, expires_at, "        \
                        "revoked_at, audience) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "    \
                        "?8, ?9, ?10, ?11)")                                            \
    X(SESSION_GET,      "SELECT " SQ_SESSION_COLS " FROM sessions s WHERE s.id = ?1")   \
    X(SESSION_REVOKE,   "UPDATE sessions SET revoked_at = coalesce(revoked_at, ?2) "    \
                        "WHERE id = ?1")                                                \
    X(SESSION_REVOKE_ALL, "UPDATE sessions SET revoked_at = ?2 "                        \
                        "WHERE user_id = ?1 AND revoked_at IS NULL")                    \
    X(SESSION_REVOKE_USER, "UPDATE sessions SET revoked_at = ?3 "                       \
                        "WHERE user_id = ?1 AND id IS NOT ?2 AND revoked_at IS NULL "   \
                        "AND expires_at > ?3")                                          \
    /* Keyset pagination, newest first: ?3/?4 are the (created_at, id) of the last   \
     * row already seen, NULL for the first page. */                                    \
    X(SESSION_LIST_USER, "SELECT " SQ_SESSION_COLS " FROM sessions s "                  \
                        "WHERE s.user_id = ?1 AND s.revoked_at IS NULL "                \
                        "AND s.expires_at > ?2 AND (?3 IS NULL OR s.created_at < ?3 "   \
                        "OR (s.created_at = ?3 AND s.id < ?4)) "                        \
                        "ORDER BY s.created_at DESC, s.id DESC LIMIT ?5")               \
    X(SESSION_LIST_ALL, "SELECT " SQ_SESSION_COLS " FROM sessions s "                   \
                        "WHERE s.revoked_at IS NULL "                                   \
                        "AND s.expires_at > ?2 AND (?3 IS NULL OR s.created_at < ?3 "   \
                        "OR (s.created_at = ?3 AND s.id < ?4)) "                        \
                        "ORDER BY s.created_at DESC, s.id DESC LIMIT ?5")               \
    X(SESSION_COUNT_ACTIVE, "SELECT count(*) FROM sessions "                            \
                        "WHERE revoked_at IS NULL AND expires_at > ?1")                 \
    X(TOKEN_INSERT,     "INSERT INTO refresh_tokens (hash, session_id, created_at, "    \
                        "retired_at) VALUES (?1, ?2, ?3, NULL)")                        \
    X(TOKEN_FIND,       "SELECT " SQ_SESSION_COLS ", t.created_at, t.retired_at "       \
                        "FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id " \
                        "WHERE t.hash = ?1")                                            \
    X(TOKEN_RETIRE,     "UPDATE refresh_tokens SET retired_at = ?2 WHERE hash = ?1")    \
    X(TOKEN_RENEW,      "UPDATE refresh_tokens SET created_at = ?2 WHERE hash = ?1")    \
    X(SESSION_TOUCH,    "UPDATE sessions SET last_used_at = ?2, "                       \
                        "user_agent = coalesce(?3, user_agent), ip = coalesce(?4, ip) " \
                        "WHERE id = ?1")                                                \
    X(KEY_INSERT,       "INSERT INTO signing_keys (" SQ_KEY_COLS ") "                   \
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                              \
    X(KEY_LIST,         "SELECT " SQ_KEY_COLS " FROM signing_keys "                     \
                        "WHERE ?1 OR retired_at IS NULL ORDER BY created_at, kid")      \
    X(KEY_UPDATE,       "UPDATE signing_keys SET "                                      \
                        "activated_at = coalesce(?2, activated_at), "                   \
                        "retired_at = coalesce(?3, retired_at) WHERE kid = ?1")         \
    X(CLIENT_INSERT,    "INSERT INTO clients (" SQ_CLIENT_COLS ") VALUES (?1, ?2, "     \
                        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "    \
                        "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)")                 \
    X(CLIENT_UPDATE,    "UPDATE clients SET name = ?2, secret_hash = ?3, "              \
                        "grants = ?4, scopes = ?5, roles_json = ?6, "                   \
                        "auth_method = ?7, is_public = ?8, disabled = ?9, "             \
                        "refresh_rotation = ?10, access_ttl = ?11, "                    \
                        "refresh_ttl = ?12, refresh_idle_ttl = ?13, "                   \
                        "tls_subject_dn = ?14, tls_thumbprint = ?15, "                  \
                        "created_at = ?16, updated_at = ?17, audiences = ?18, "         \
                        "auth_method_pinned = ?19, redirect_uris = ?20, "               \
                        "post_logout_redirect_uris = ?21, first_party = ?22, "          \
                        "backchannel_logout_uri = ?23, id_token_alg = ?24 "             \
                        "WHERE id = ?1")                                                \
    X(BROWSER_INSERT,   "INSERT INTO browser_sessions (session_id, cookie_hash, "       \
                        "auth_time) VALUES (?1, ?2, ?3)")                               \
    X(BROWSER_FIND,     "SELECT session_id, auth_time FROM browser_sessions "           \
                        "WHERE cookie_hash = ?1")                                       \
    X(SESSION_SET_USED, "UPDATE sessions SET last_used_at = ?2 WHERE id = ?1")          \
    X(CODE_PURGE,       "DELETE FROM auth_codes WHERE expires_at < ?1")                 \
    X(CODE_INSERT,      "INSERT INTO auth_codes (" SQ_CODE_COLS ") VALUES (?1, ?2, ?3, "\
                        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NULL)")                 \
    X(CODE_GET,         "SELECT " SQ_CODE_COLS " FROM auth_codes WHERE hash = ?1")      \
    X(CODE_USE,         "UPDATE auth_codes SET used_at = ?2 "                           \
                        "WHERE hash = ?1 AND used_at IS NULL")                          \
    X(CLIENT_GET,       "SELECT " SQ_CLIENT_COLS " FROM clients WHERE id = ?1")         \
    X(CLIENT_DELETE,    "DELETE FROM clients WHERE id = ?1")                            \
    X(CLIENT_LIST,      "SELECT " SQ_CLIENT_COLS " FROM clients WHERE id > ?1 "         \
                        "ORDER BY id LIMIT ?2")                                         \
    X(SESSION_REVOKE_CLIENT, "UPDATE sessions SET revoked_at = ?2 "                     \
                        "WHERE client_id = ?1 AND revoked_at IS NULL")                  \
    X(JTI_REVOKE,       "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) "     \
                        "VALUES (?1, ?2, ?3) "                                          \
                        "ON CONFLICT (jti) DO NOTHING")                                 \
    X(JTI_REVOKED,      "SELECT 1 FROM revoked_tokens WHERE jti = ?1")                  \
    X(JTI_PURGE,        "DELETE FROM revoked_tokens WHERE expires_at < ?1")             \
    X(JTI_LIST,         "SELECT jti, revoked_at, expires_at FROM revoked_tokens "       \
                        "WHERE expires_at > ?2 AND (revoked_at > ?1 OR "                \
                        "(revoked_at = ?1 AND jti > ?3)) ORDER BY revoked_at, jti "     \
                        "LIMIT ?4")                                                     \
    X(REVOCATIONS,      "SELECT id, revoked_at FROM sessions WHERE revoked_at >= ?1 "   \
                        "AND revoked_at < ?5 "                                          \
                        "AND (revoked_at > ?2 OR (revoked_at = ?2 AND id > ?3)) "       \
                        "ORDER BY revoked_at, id LIMIT ?4")                             \
    /* audit_list, newest first; NULL ?1 .. ?6: no such bound or filter. */             \
    X(AUDIT_LIST,       "SELECT id, at, event, user_id, client_id, ip, detail_json "    \
                        "FROM audit_events WHERE (?1 IS NULL OR id < ?1) "              \
                        "AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3) "     \
                        "AND (?4 IS NULL OR user_id = ?4) "                             \
                        "AND (?5 IS NULL OR event = ?5) "                               \
                        "AND (?6 IS NULL OR substr(event, 1, length(?6)) = ?6) "        \
                        "ORDER BY id DESC LIMIT ?7")                                    \
    /* The audit id is the backend's to assign (see 0001_init.sql): one more than the \
     * largest, read under the write lock this INSERT holds. */                         \
    X(AUDIT_INSERT,     "INSERT INTO audit_events (id, at, event, user_id, client_id, " \
                        "ip, detail_json) SELECT coalesce(max(id), 0) + 1, ?1, ?2, ?3, "\
                        "?4, ?5, ?6 FROM audit_events")

enum sq_stmt {
#define SQ_STMT_ENUM(name, sql) SQ_##name,
    SQ_STATEMENTS(SQ_STMT_ENUM)
#undef SQ_STMT_ENUM
    SQ_STMT_COUNT
};

struct sqlite_store {
    struct store base;             /* first: st->ops works on a struct store * */
    sqlite3 *db;
    pthread_mutex_t lock;
    sqlite3_stmt *stmt[SQ_STMT_COUNT];
    int64_t jti_purged_at;         /* time(NULL) of jti_revoke's last purge; locked */
    int64_t code_purged_at;        /* the same for code_insert's purge */
};

static inline struct sqlite_store *sqlite_of(struct store *st)
{
    return (struct sqlite_store *)st;
}

/* The connection (sqlite_conn.c); the store ops with these names go in the ops table. */
ts_err sqlite_open(const char *url, struct store **out);
void sqlite_close(struct store *st);
ts_err sqlite_migrate(struct store *st, int *applied);
ts_err sqlite_schema_version(struct store *st, int *version);
ts_err sqlite_ping(struct store *st);

/* The browser flow's operations (sqlite_flow.c); see store.h. */
ts_err sq_browser_cookie_insert(struct store *st, const char *session_id,
                                const char *cookie_hash, int64_t auth_time);
ts_err sq_browser_cookie_find(struct store *st, const char *cookie_hash,
                              char session_id[STORE_ID_LEN + 1], int64_t *auth_time);
ts_err sq_session_touch(struct store *st, const char *id, int64_t now);
ts_err sq_code_insert(struct store *st, const struct code_rec *c, int64_t now);
ts_err sq_code_take(struct store *st, const char *hash, int64_t now,
                    struct code_rec *out);

void sqlite_lock(struct sqlite_store *s);
void sqlite_unlock(struct sqlite_store *s);

/* Maps a failed SQLite result code to a ts_err: a unique or primary-key clash is
 * TS_ECONFLICT, SQLITE_NOMEM TS_ENOMEM, anything else TS_EDB, logged with SQLite's
 * message and `what` (never a bound value). Call with the lock held. */
ts_err sqlite_fail(struct sqlite_store *s, int rc, const char *what);

/*
 * Returns statement `id`, prepared on first use, with its parameters bound from
 * `fmt`, one letter per parameter ?1, ?2, ...:
 *   t  const char *, NULL binds NULL        T  const char *, NULL and "" bind NULL
 *   i  int64_t                              I  int64_t, 0 binds NULL (an unset time)
 *   d  int
 * Text is bound SQLITE_STATIC: it must live until sqlite_done(). On failure returns
 * NULL with *err set (the statement is left reset).
 */
sqlite3_stmt *sqlite_stmt(struct sqlite_store *s, enum sq_stmt id, ts_err *err,
                          const char *fmt, ...);
/* Resets a statement from sqlite_stmt() and clears its bindings. */
void sqlite_done(sqlite3_stmt *stmt);
/* Runs a statement that returns no rows to completion; *changes (may be NULL)
 * receives the rows it changed. */
ts_err sqlite_exec(struct sqlite_store *s, enum sq_stmt id, int *changes,
                   const char *fmt, ...);

/* BEGIN IMMEDIATE; and the end of a transaction: COMMIT when err is TS_OK (a failed
 * COMMIT rolls back and becomes the result), else ROLLBACK. Returns the result. */
ts_err sqlite_begin(struct sqlite_store *s);
ts_err sqlite_end(struct sqlite_store *s, ts_err err);

/* Column readers. A text column is copied into dst (size bytes with the NUL); NULL
 * reads as "". A value that does not fit is TS_EDB (logged with the column's name,
 * never its value), never a truncation. */
ts_err sqlite_col_text(sqlite3_stmt *stmt, int col, char *dst, size_t size);
/* A malloc'd copy of a text column (NULL reads as `if_null`, which may be NULL). */
ts_err sqlite_col_strdup(sqlite3_stmt *stmt, int col, const char *if_null, char **dst);
/* An integer column; NULL reads as 0. */
int64_t sqlite_col_int(sqlite3_stmt *stmt, int col);

#endif
