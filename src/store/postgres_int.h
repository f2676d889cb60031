/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the PostgreSQL backend, shared by postgres_conn.c (the URL, the
 * connection pool, statements, errors, retries, migrations, LISTEN) and postgres.c (the
 * store operations).
 *
 * A store holds a pool of a few connections (pool_size, 4 by default), handed out
 * under a mutex and condition variable: an operation takes one, runs its statements
 * and gives it back before calling any callback, so callbacks may call the store
 * again. Each connection prepares a statement the first time it runs it and keeps it
 * for its life. A connection found dead (the database restarted) is replaced, and the
 * operation retried once on the new one when nothing it sent can have taken effect
 * (see pg_run). wait_change listens on a connection of its own.
 */
#ifndef STORE_POSTGRES_INT_H
#define STORE_POSTGRES_INT_H

#include <libpq-fe.h>
#include <pthread.h>

#include "store/store.h"

/* The channel every write that revokes something or changes the keys notifies, in
 * its own transaction. The payload names what moved ("session", "user", "client",
 * "jti", "key"); listeners only use the wake-up. */
#define PG_CHANNEL "tessera_changes"
#define PG_NOTIFY(what) "pg_notify('" PG_CHANNEL "', '" what "')"

/* Advisory lock keys: migrations (one transaction per migration holds it, so
 * instances starting together apply each once), and audit ids. */
#define PG_LOCK_MIGRATE 0x7465737365726101LL
#define PG_LOCK_AUDIT   0x7465737365726102LL

/* The column lists of the SELECTs match the readers in postgres.c. */
#define PG_USER_COLS "id, email, username, name, roles_json, attributes_json, " \
                     "disabled, password_hash, created_at, updated_at"
#define PG_SESSION_COLS "s.id, s.user_id, s.client_id, s.scope, s.user_agent, s.ip, " \
                        "s.created_at, s.last_used_at, s.expires_at, s.revoked_at, "     \
                        "s.audience"
#define PG_KEY_COLS "kid, alg, private_jwk, created_at, activated_at, retired_at"
#define PG_CLIENT_COLS "id, name, secret_hash, grants, scopes, roles_json, "           \
                       "auth_method, is_public, disabled, refresh_rotation, "           \
                       "access_ttl, refresh_ttl, refresh_idle_ttl, tls_subject_dn, "    \
                       "tls_thumbprint, created_at, updated_at, audiences, "           \
                       "auth_method_pinned, redirect_uris, post_logout_redirect_uris, "  \
                       "first_party, backchannel_logout_uri, id_token_alg"
#define PG_CODE_COLS "hash, client_id, redirect_uri, code_challenge, scope, nonce, "     \
                     "browser_sid, user_id, auth_time, issued_sid, created_at, "         \
                     "expires_at, used_at"
#define PG_AUDIT_COLS "id, at, event, user_id, client_id, ip, detail_json"

/* A single write that must notify runs as one statement: the write in a data-modifying
 * WITH (always run to completion), the count of its rows and the notification
 * selected after it, so the write and its NOTIFY commit together. */
#define PG_COUNT_NOTIFY(write, what) \
    "WITH w AS (" write " RETURNING 1) SELECT count(*), " PG_NOTIFY(what) " FROM w"

/*
 * Every statement the backend prepares: its name, kind and SQL. R reads, W writes.
 * A W statement sent outside a transaction may have committed when its connection
 * breaks before the answer, so it is not retried (pg_run); an R statement, or any
 * statement inside BEGIN ... before COMMIT, is. Parameters carry explicit types where
 * PostgreSQL cannot infer them.
 */
#define PG_STATEMENTS(X)                                                                \
    X(HAS_MIGRATIONS, R, "SELECT count(*) FROM pg_catalog.pg_tables "                   \
                         "WHERE schemaname = current_schema() "                          \
                         "AND tablename = 'schema_migrations'")                          \
    X(VERSION,        R, "SELECT coalesce(max(version), 0) FROM schema_migrations")      \
    X(MIGRATION_ROW,  W, "INSERT INTO schema_migrations (version, name, applied_at) "    \
                         "VALUES ($1::int, $2::text, $3::bigint)")                       \
    X(PING,           R, "SELECT 1")                                                     \
    X(SECRET_PUT,     W, "INSERT INTO server_secrets (name, value) "                     \
                         "VALUES ($1::text, $2::text) ON CONFLICT (name) DO NOTHING")    \
    X(SECRET_GET,     R, "SELECT value FROM server_secrets WHERE name = $1::text")       \
    X(USER_INSERT,    W, "INSERT INTO users (id, email, email_lower, username, "         \
                         "username_lower, name, roles_json, attributes_json, disabled, " \
                         "password_hash, created_at, updated_at) VALUES ($1::text, "     \
                         "$2::text, $3::text, $4::text, $5::text, $6::text, $7::text, "  \
                         "$8::text, $9::int, $10::text, $11::bigint, $12::bigint)")      \
    X(USER_UPDATE,    W, PG_COUNT_NOTIFY("UPDATE users SET email = $2::text, "          \
                         "email_lower = $3::text, username = $4::text, "                 \
                         "username_lower = $5::text, name = $6::text, "                  \
                         "roles_json = $7::text, attributes_json = $8::text, "           \
                         "disabled = $9::int, password_hash = $10::text, "               \
                         "created_at = $11::bigint, updated_at = $12::bigint "           \
                         "WHERE id = $1::text", "user"))                                 \
    X(USER_BY_ID,     R, "SELECT " PG_USER_COLS " FROM users WHERE id = $1::text")       \
    X(USER_BY_EMAIL,  R, "SELECT " PG_USER_COLS " FROM users "                           \
                         "WHERE email_lower = $1::text")                                 \
    X(USER_BY_USERNAME, R, "SELECT " PG_USER_COLS " FROM users "                         \
                         "WHERE username_lower = $1::text")                              \
    X(USER_DELETE,    W, "DELETE FROM users WHERE id = $1::text")                        \
    X(USER_LIST,      R, "SELECT " PG_USER_COLS " FROM users WHERE id > $1::text "       \
                         "ORDER BY id LIMIT $2::int")                                    \
    /* user_search: $3 a lowercased email prefix, $4 a role, $5 1 to filter on       \
     * disabled = $6; NULL ($3, $4) or 0 ($5): no such filter. */                       \
    X(USER_SEARCH,    R, "SELECT " PG_USER_COLS " FROM users WHERE id > $1::text "       \
                         "AND ($3::text IS NULL OR starts_with(email_lower, $3::text)) " \
                         "AND ($4::text IS NULL OR roles_json::jsonb ? $4::text) "       \
                         "AND ($5::int = 0 OR disabled = $6::int) "                      \
                         "ORDER BY id LIMIT $2::int")                                    \
    X(USER_COUNT,     R, "SELECT count(*) FROM users")                                   \
    X(SESSION_INSERT, W, "INSERT INTO sessions (id, user_id, client_id, scope, "         \
                         "user_agent, ip, created_at, last_used_at, expires_at, "        \
                         "revoked_at, audience) VALUES ($1::text, $2::text, $3::text, "  \
                         "$4::text, $5::text, $6::text, $7::bigint, $8::bigint, "        \
                         "$9::bigint, $10::bigint, $11::text)")                          \
    X(SESSION_GET,    R, "SELECT " PG_SESSION_COLS " FROM sessions s "                   \
                         "WHERE s.id = $1::text")                                        \
    X(SESSION_REVOKE, W, PG_COUNT_NOTIFY("UPDATE sessions SET revoked_at = "            \
                         "coalesce(revoked_at, $2::bigint) WHERE id = $1::text",         \
                         "session"))                                                     \
    X(SESSION_REVOKE_ALL, W, "UPDATE sessions SET revoked_at = $2::bigint "              \
                         "WHERE user_id = $1::text AND revoked_at IS NULL")              \
    X(SESSION_REVOKE_USER, W, PG_COUNT_NOTIFY("UPDATE sessions SET revoked_at = "       \
                         "$3::bigint WHERE user_id = $1::text "                          \
                         "AND id IS DISTINCT FROM $2::text AND revoked_at IS NULL "      \
                         "AND expires_at > $3::bigint", "session"))                      \
    /* Keyset pagination, newest first: $3/$4 are the (created_at, id) of the last   \
     * row already seen, NULL for the first page. */                                    \
    X(SESSION_LIST_USER, R, "SELECT " PG_SESSION_COLS " FROM sessions s "                \
                         "WHERE s.user_id = $1::text AND s.revoked_at IS NULL "          \
                         "AND s.expires_at > $2::bigint AND ($3::bigint IS NULL "        \
                         "OR s.created_at < $3::bigint OR (s.created_at = $3::bigint "   \
                         "AND s.id < $4::text)) "                                        \
                         "ORDER BY s.created_at DESC, s.id DESC LIMIT $5::int")          \
    X(SESSION_LIST_ALL, R, "SELECT " PG_SESSION_COLS " FROM sessions s "                 \
                         "WHERE $1::text IS NULL AND s.revoked_at IS NULL "              \
                         "AND s.expires_at > $2::bigint AND ($3::bigint IS NULL "        \
                         "OR s.created_at < $3::bigint OR (s.created_at = $3::bigint "   \
                         "AND s.id < $4::text)) "                                        \
                         "ORDER BY s.created_at DESC, s.id DESC LIMIT $5::int")          \
    X(TOKEN_INSERT,   W, "INSERT INTO refresh_tokens (hash, session_id, created_at, "    \
                         "retired_at) VALUES ($1::text, $2::text, $3::bigint, NULL)")    \
    X(TOKEN_FIND,     R, "SELECT " PG_SESSION_COLS ", t.created_at, t.retired_at "       \
                         "FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id " \
                         "WHERE t.hash = $1::text")                                      \
    /* refresh_rotate: the token and its session, both locked until the end of the   \
     * transaction, so concurrent uses of one family take turns. */                     \
    X(TOKEN_LOCK,     R, "SELECT " PG_SESSION_COLS ", t.created_at, t.retired_at "       \
                         "FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id " \
                         "WHERE t.hash = $1::text FOR UPDATE OF t, s")                   \
    /* ROTATED: retire $1, store its successor $3, touch the session $4. */              \
    X(TOKEN_ROTATE,   W, "WITH r AS (UPDATE refresh_tokens SET retired_at = $2::bigint " \
                         "WHERE hash = $1::text), i AS (INSERT INTO refresh_tokens "     \
                         "(hash, session_id, created_at, retired_at) VALUES ($3::text, " \
                         "$4::text, $2::bigint, NULL)) UPDATE sessions SET "             \
                         "last_used_at = $2::bigint, "                                   \
                         "user_agent = coalesce($5::text, user_agent), "                 \
                         "ip = coalesce($6::text, ip) WHERE id = $4::text")              \
    /* ROTATED with rotation off: the token stays current, its idle time restarts. */   \
    X(TOKEN_RENEW,    W, "WITH r AS (UPDATE refresh_tokens SET created_at = $2::bigint " \
                         "WHERE hash = $1::text) UPDATE sessions SET "                   \
                         "last_used_at = $2::bigint, "                                   \
                         "user_agent = coalesce($4::text, user_agent), "                 \
                         "ip = coalesce($5::text, ip) WHERE id = $3::text")              \
    X(KEY_INSERT,     W, PG_COUNT_NOTIFY("INSERT INTO signing_keys (" PG_KEY_COLS ") "  \
                         "VALUES ($1::text, $2::text, $3::text, $4::bigint, "            \
                         "$5::bigint, $6::bigint)", "key"))                              \
    X(KEY_LIST,       R, "SELECT " PG_KEY_COLS " FROM signing_keys "                     \
                         "WHERE $1::int <> 0 OR retired_at IS NULL "                     \
                         "ORDER BY created_at, kid")                                     \
    X(KEY_UPDATE,     W, PG_COUNT_NOTIFY("UPDATE signing_keys SET "                     \
                         "activated_at = coalesce($2::bigint, activated_at), "           \
                         "retired_at = coalesce($3::bigint, retired_at) "                \
                         "WHERE kid = $1::text", "key"))                                 \
    X(CLIENT_INSERT,  W, "INSERT INTO clients (" PG_CLIENT_COLS ") VALUES ($1::text, "   \
                         "$2::text, $3::text, $4::text, $5::text, $6::text, $7::text, "  \
                         "$8::int, $9::int, $10::int, $11::bigint, $12::bigint, "        \
                         "$13::bigint, $14::text, $15::text, $16::bigint, $17::bigint, " \
                         "$18::text, $19::int, $20::text, $21::text, $22::int, "         \
                         "$23::text, $24::text)")                                        \
    X(CLIENT_UPDATE,  W, PG_COUNT_NOTIFY("UPDATE clients SET name = $2::text, "         \
                         "secret_hash = $3::text, grants = $4::text, "                   \
                         "scopes = $5::text, roles_json = $6::text, "                    \
                         "auth_method = $7::text, is_public = $8::int, "                 \
                         "disabled = $9::int, refresh_rotation = $10::int, "             \
                         "access_ttl = $11::bigint, refresh_ttl = $12::bigint, "         \
                         "refresh_idle_ttl = $13::bigint, tls_subject_dn = $14::text, "  \
                         "tls_thumbprint = $15::text, created_at = $16::bigint, "        \
                         "updated_at = $17::bigint, audiences = $18::text, "             \
                         "auth_method_pinned = $19::int, redirect_uris = $20::text, "    \
                         "post_logout_redirect_uris = $21::text, first_party = $22::int, "\
                         "backchannel_logout_uri = $23::text, id_token_alg = $24::text " \
                         "WHERE id = $1::text", "client"))                               \
    X(BROWSER_INSERT, W, "INSERT INTO browser_sessions (session_id, cookie_hash, "      \
                         "auth_time) VALUES ($1::text, $2::text, $3::bigint)")           \
    X(BROWSER_FIND,   R, "SELECT session_id, auth_time FROM browser_sessions "          \
                         "WHERE cookie_hash = $1::text")                                 \
    X(SESSION_SET_USED, W, "UPDATE sessions SET last_used_at = $2::bigint "              \
                         "WHERE id = $1::text")                                          \
    X(CODE_PURGE,     W, "DELETE FROM auth_codes WHERE expires_at < $1::bigint")         \
    X(CODE_INSERT,    W, "INSERT INTO auth_codes (" PG_CODE_COLS ") VALUES ($1::text, "  \
                         "$2::text, $3::text, $4::text, $5::text, $6::text, $7::text, "  \
                         "$8::text, $9::bigint, $10::text, $11::bigint, $12::bigint, "   \
                         "NULL)")                                                        \
    X(CODE_USE,       W, "UPDATE auth_codes SET used_at = $2::bigint WHERE hash = "     \
                         "$1::text AND used_at IS NULL RETURNING " PG_CODE_COLS)         \
    X(CODE_GET,       R, "SELECT " PG_CODE_COLS " FROM auth_codes WHERE hash = $1::text")\
    X(CLIENT_GET,     R, "SELECT " PG_CLIENT_COLS " FROM clients WHERE id = $1::text")   \
    X(CLIENT_DELETE,  W, "DELETE FROM clients WHERE id = $1::text")                      \
    X(CLIENT_LIST,    R, "SELECT " PG_CLIENT_COLS " FROM clients WHERE id > $1::text "   \
                         "ORDER BY id LIMIT $2::int")                                    \
    X(SESSION_REVOKE_CLIENT, W, "UPDATE sessions SET revoked_at = $2::bigint "           \
                         "WHERE client_id = $1::text AND revoked_at IS NULL")            \
    /* Inside a transaction: the NOTIFY commits with it. */                             \
    X(NOTIFY,         W, "SELECT pg_notify('" PG_CHANNEL "', $1::text)")                 \
    X(JTI_REVOKE,     W, PG_COUNT_NOTIFY("INSERT INTO revoked_tokens (jti, expires_at, " \
                         "revoked_at) VALUES ($1::text, $2::bigint, $3::bigint) "        \
                         "ON CONFLICT (jti) DO NOTHING", "jti"))                         \
    X(JTI_REVOKED,    R, "SELECT 1 FROM revoked_tokens WHERE jti = $1::text")            \
    X(JTI_PURGE,      W, "DELETE FROM revoked_tokens WHERE expires_at < $1::bigint")     \
    X(JTI_LIST,       R, "SELECT jti, revoked_at, expires_at FROM revoked_tokens "       \
                         "WHERE expires_at > $2::bigint AND (revoked_at > $1::bigint "   \
                         "OR (revoked_at = $1::bigint AND jti > $3::text)) "             \
                         "ORDER BY revoked_at, jti LIMIT $4::int")                       \
    X(REVOCATIONS,    R, "SELECT id, revoked_at FROM sessions "                          \
                         "WHERE revoked_at >= $1::bigint AND revoked_at < $5::bigint "   \
                         "AND (revoked_at > $2::bigint OR (revoked_at = $2::bigint "     \
                         "AND id > $3::text)) ORDER BY revoked_at, id LIMIT $4::int")    \
    /* Audit ids are one more than the largest, read under a transaction-scoped      \
     * advisory lock: dense, and committed in order (a reader paging by id never     \
     * skips one that commits late). */                                                 \
    X(XACT_LOCK,      W, "SELECT pg_advisory_xact_lock($1::bigint)")                     \
    X(AUDIT_INSERT,   W, "INSERT INTO audit_events (id, at, event, user_id, client_id, " \
                         "ip, detail_json) SELECT coalesce(max(id), 0) + 1, $1::bigint, "\
                         "$2::text, $3::text, $4::text, $5::text, $6::text "             \
                         "FROM audit_events")                                            \
    /* audit_list, newest first; NULL $1 .. $6: no such bound or filter. */             \
    X(AUDIT_LIST,     R, "SELECT " PG_AUDIT_COLS " FROM audit_events "                   \
                         "WHERE ($1::bigint IS NULL OR id < $1::bigint) "                \
                         "AND ($2::bigint IS NULL OR at >= $2::bigint) "                 \
                         "AND ($3::bigint IS NULL OR at < $3::bigint) "                  \
                         "AND ($4::text IS NULL OR user_id = $4::text) "                 \
                         "AND ($5::text IS NULL OR event = $5::text) "                   \
                         "AND ($6::text IS NULL OR starts_with(event, $6::text)) "       \
                         "ORDER BY id DESC LIMIT $7::int")                               \
    X(SESSION_COUNT_ACTIVE, R, "SELECT count(*) FROM sessions "                          \
                         "WHERE revoked_at IS NULL AND expires_at > $1::bigint")

enum pg_stmt {
#define PG_STMT_ENUM(name, kind, sql) PG_##name,
    PG_STATEMENTS(PG_STMT_ENUM)
#undef PG_STMT_ENUM
    PG_STMT_COUNT
};

/* One pooled connection. */
struct pg_conn {
    PGconn *conn;                  /* NULL until connected (again) */
    unsigned char prepared[PG_STMT_COUNT];
    int busy;                      /* handed out; under the pool lock */
    /* State of the operation running on it, reset when it is handed out: */
    int in_tx;                     /* between BEGIN and COMMIT/ROLLBACK */
    int ambiguous;                 /* a write or COMMIT was sent outside a transaction:
                                    * it may have committed */
    int lost;                      /* the connection broke during the operation */
    int rolled_back;               /* the server rolled back on a serialization failure
                                    * or deadlock: safe to run again */
};

struct pg_store {
    struct store base;             /* first: st->ops works on a struct store * */
    /* The connection parameters, parsed once from the URL (never logged). */
    PQconninfoOption *conninfo;
    const char **keys, **vals;
    int pool_size;
    struct pg_conn *pool;
    pthread_mutex_t lock;          /* the pool's busy flags and the fields below */
    pthread_cond_t cond;           /* a connection was given back */
    int down;                      /* the last connection attempt failed */
    int64_t down_logged;           /* time(NULL) of the last "unreachable" log line */
    /* wait_change: a connection of its own that LISTENs on PG_CHANNEL. */
    pthread_mutex_t listen_lock;
    PGconn *listen;
    int wake_fd[2];                /* a pipe: a byte written by wake() ends the wait */
    int64_t jti_purged_at;         /* time(NULL) of jti_revoke's last purge; under lock */
    int64_t code_purged_at;        /* the same for code_insert's purge */
};

static inline struct pg_store *pg_of(struct store *st)
{
    return (struct pg_store *)st;
}

/* The browser flow's operations (postgres_flow.c); see store.h. */
ts_err pg_browser_cookie_insert(struct store *st, const char *session_id,
                                const char *cookie_hash, int64_t auth_time);
ts_err pg_browser_cookie_find(struct store *st, const char *cookie_hash,
                              char session_id[STORE_ID_LEN + 1], int64_t *auth_time);
ts_err pg_session_touch(struct store *st, const char *id, int64_t now);
ts_err pg_code_insert(struct store *st, const struct code_rec *c, int64_t now);
ts_err pg_code_take(struct store *st, const char *hash, int64_t now,
                    struct code_rec *out);

/* The connection (postgres_conn.c); the store ops with these names go in the ops
 * table. */
ts_err pg_open(const char *url, struct store **out);
void pg_close(struct store *st);
ts_err pg_migrate(struct store *st, int *applied);
ts_err pg_schema_version(struct store *st, int *version);
ts_err pg_ping(struct store *st);
ts_err pg_wait_change(struct store *st, int timeout_ms);
void pg_wake(struct store *st);

/*
 * Connections for one operation, and the retry rule, in one place: every operation of
 * postgres.c is a function `fn` that does its work on a connection, run by pg_run.
 *
 * pg_run waits for a free connection of the pool, (re)connecting it when it is new or
 * found dead (TS_EDB, fn not called, when the database cannot be reached), calls
 * fn(c, ctx), gives the connection back (closing it when broken), and calls fn once
 * more on another connection when the rule says so: after a lost connection when
 * nothing sent can have committed (or `retry` is PG_IDEMPOTENT: running fn twice does
 * no harm, as for reads and revocations), or after a serialization failure or
 * deadlock, which the server rolled back (up to three runs in all). So fn resets its
 * outputs (in ctx) before anything else and, failing, leaves nothing in them to free;
 * the caller sets their empty values before pg_run too, for when fn is never called.
 * PG_ONCE: a write that may have committed is not run again. Returns fn's last result.
 */
enum pg_retry { PG_ONCE = 0, PG_IDEMPOTENT = 1 };
typedef ts_err (*pg_work)(struct pg_conn *c, void *ctx);
ts_err pg_run(struct pg_store *s, enum pg_retry retry, pg_work fn, void *ctx);

/*
 * Runs statement `id` with parameters from `fmt`, one letter per parameter $1, $2, ...:
 *   t  const char *, NULL binds NULL        T  const char *, NULL and "" bind NULL
 *   i  int64_t                              I  int64_t, 0 binds NULL (an unset time)
 *   d  int
 * Returns the result (rows or a completed command; PQclear it) or NULL with *err set:
 * TS_ECONFLICT for a unique violation, TS_EDB (logged with the server's message,
 * never a bound value) for anything else. A text parameter that is not valid UTF-8
 * (which PostgreSQL cannot hold) is never sent: an R statement answers TS_ENOTFOUND
 * (nothing stored can match it), a W statement TS_EDB.
 */
PGresult *pg_query(struct pg_conn *c, enum pg_stmt id, ts_err *err, const char *fmt,
                   ...);
/* pg_query for a statement whose rows are not needed; *changes (may be NULL) receives
 * the rows it changed (or, for a PG_COUNT_NOTIFY statement, its count). */
ts_err pg_exec(struct pg_conn *c, enum pg_stmt id, int *changes, const char *fmt, ...);

/* BEGIN; and the end of a transaction: COMMIT when err is TS_OK (a failed COMMIT
 * becomes the result), else ROLLBACK. Returns the result. */
ts_err pg_begin(struct pg_conn *c);
ts_err pg_end(struct pg_conn *c, ts_err err);

/* Column readers, as sqlite_col_*: a text column is copied into dst (size bytes with
 * the NUL), NULL reads as ""; a value that does not fit is TS_EDB (logged with the
 * column's name, never its value), never a truncation. */
ts_err pg_col_text(const PGresult *res, int row, int col, char *dst, size_t size);
ts_err pg_col_strdup(const PGresult *res, int row, int col, const char *if_null,
                     char **dst);
int64_t pg_col_int(const PGresult *res, int row, int col);

#endif
