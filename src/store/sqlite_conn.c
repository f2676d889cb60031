/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite connection: opening from a URL, pragmas, the statement cache, binding,
 * errors, transactions and migrations. The store operations are in sqlite.c. */
#include "store/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "store/migrations.h"

#define BUSY_MS 5000        /* how long a statement waits for another's lock */
#define PING_BUSY_MS 250    /* the same for a readiness check */

static const char *const statement_sql[SQ_STMT_COUNT] = {
#define SQ_STMT_SQL(name, sql) sql,
    SQ_STATEMENTS(SQ_STMT_SQL)
#undef SQ_STMT_SQL
};

void sqlite_lock(struct sqlite_store *s)
{
    pthread_mutex_lock(&s->lock);
}

void sqlite_unlock(struct sqlite_store *s)
{
    pthread_mutex_unlock(&s->lock);
}

ts_err sqlite_fail(struct sqlite_store *s, int rc, const char *what)
{
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return TS_ECONFLICT;
    if (rc == SQLITE_NOMEM)
        return TS_ENOMEM;
    /* sqlite3_errmsg names tables and columns, never the values bound. */
    log_msg("error", "sqlite: %s: %s (%s)", what,
            s && s->db ? sqlite3_errmsg(s->db) : "no connection", sqlite3_errstr(rc));
    return TS_EDB;
}

static int bind_va(sqlite3_stmt *stmt, const char *fmt, va_list ap)
{
    int rc = SQLITE_OK;
    for (int i = 1; rc == SQLITE_OK && fmt[i - 1]; i++) {
        const char *t;
        int64_t v;
        switch (fmt[i - 1]) {
        case 't':
        case 'T':
            t = va_arg(ap, const char *);
            if (!t || (fmt[i - 1] == 'T' && !*t))
                rc = sqlite3_bind_null(stmt, i);
            else
                rc = sqlite3_bind_text(stmt, i, t, -1, SQLITE_STATIC);
            break;
        case 'i':
        case 'I':
            v = va_arg(ap, int64_t);
            if (fmt[i - 1] == 'I' && v == 0)
                rc = sqlite3_bind_null(stmt, i);
            else
                rc = sqlite3_bind_int64(stmt, i, v);
            break;
        case 'd':
            rc = sqlite3_bind_int(stmt, i, va_arg(ap, int));
            break;
        default:
            rc = SQLITE_MISUSE;
        }
    }
    return rc;
}

static sqlite3_stmt *stmt_va(struct sqlite_store *s, enum sq_stmt id, ts_err *err,
                             const char *fmt, va_list ap)
{
    sqlite3_stmt *stmt = s->stmt[id];
    int rc;

    if (!stmt) {
        rc = sqlite3_prepare_v3(s->db, statement_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                &stmt, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(stmt);     /* NULL on failure; harmless */
            *err = sqlite_fail(s, rc, "prepare");
            return NULL;
        }
        s->stmt[id] = stmt;
    }
    rc = bind_va(stmt, fmt, ap);
    if (rc != SQLITE_OK) {
        *err = sqlite_fail(s, rc, "bind");
        sqlite_done(stmt);
        return NULL;
    }
    *err = TS_OK;
    return stmt;
}

sqlite3_stmt *sqlite_stmt(struct sqlite_store *s, enum sq_stmt id, ts_err *err,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *stmt = stmt_va(s, id, err, fmt, ap);
    va_end(ap);
    return stmt;
}

void sqlite_done(sqlite3_stmt *stmt)
{
    /* sqlite3_reset repeats the error of the last step, which the caller has already
     * handled; clearing bindings cannot fail. */
    (void)sqlite3_reset(stmt);
    (void)sqlite3_clear_bindings(stmt);
}

ts_err sqlite_exec(struct sqlite_store *s, enum sq_stmt id, int *changes,
                   const char *fmt, ...)
{
    ts_err err;
    va_list ap;

    va_start(ap, fmt);
    sqlite3_stmt *stmt = stmt_va(s, id, &err, fmt, ap);
    va_end(ap);
    if (!stmt)
        return err;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        if (changes)
            *changes = sqlite3_changes(s->db);
        err = TS_OK;
    } else {
        err = sqlite_fail(s, rc, statement_sql[id]);
    }
    sqlite_done(stmt);
    return err;
}

ts_err sqlite_begin(struct sqlite_store *s)
{
    return sqlite_exec(s, SQ_BEGIN, NULL, "");
}

ts_err sqlite_end(struct sqlite_store *s, ts_err err)
{
    if (!err && (err = sqlite_exec(s, SQ_COMMIT, NULL, "")) == TS_OK)
        return TS_OK;
    /* Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) roll back by themselves. */
    if (!sqlite3_get_autocommit(s->db))
        (void)sqlite_exec(s, SQ_ROLLBACK, NULL, "");   /* logged if it fails */
    return err;
}

ts_err sqlite_col_text(sqlite3_stmt *stmt, int col, char *dst, size_t size)
{
    dst[0] = '\0';
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
        return TS_OK;
    const unsigned char *v = sqlite3_column_text(stmt, col);
    size_t n = (size_t)sqlite3_column_bytes(stmt, col);
    if (!v)
        return TS_ENOMEM;
    if (n >= size || memchr(v, '\0', n)) {
        log_msg("error", "sqlite: column %s holds a value that does not fit in %zu bytes",
                sqlite3_column_name(stmt, col), size - 1);
        return TS_EDB;
    }
    memcpy(dst, v, n + 1);
    return TS_OK;
}

ts_err sqlite_col_strdup(sqlite3_stmt *stmt, int col, const char *if_null, char **dst)
{
    const char *v = if_null;
    *dst = NULL;
    if (sqlite3_column_type(stmt, col) != SQLITE_NULL) {
        v = (const char *)sqlite3_column_text(stmt, col);
        if (!v)
            return TS_ENOMEM;
    }
    if (v && !(*dst = strdup(v)))
        return TS_ENOMEM;
    return TS_OK;
}

int64_t sqlite_col_int(sqlite3_stmt *stmt, int col)
{
    return sqlite3_column_int64(stmt, col);    /* 0 for NULL */
}

struct sqlite_url {
    char *path;            /* malloc'd */
    const char *synchronous;
};

/* "sqlite:PATH", "sqlite://PATH", "file:PATH", "file://PATH" or a plain PATH, then an
 * optional "?synchronous=normal|full|extra|off". The path is taken literally (no
 * percent-decoding); a '?' always starts the query. */
static ts_err parse_url(const char *url, struct sqlite_url *u)
{
    static const char *const prefixes[] = { "sqlite:", "file:" };
    static const char *const levels[] = { "OFF", "NORMAL", "FULL", "EXTRA" };
    const char *p = url, *q;

    u->path = NULL;
    u->synchronous = "NORMAL";
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncmp(p, prefixes[i], n)) {
            p += n;
            if (!strncmp(p, "//", 2))
                p += 2;
            break;
        }
    }
    q = strchr(p, '?');
    size_t plen = q ? (size_t)(q - p) : strlen(p);
    if (plen == 0) {
        log_msg("error", "sqlite: the database URL names no file");
        return TS_EINVAL;
    }
    while (q && *q) {
        const char *param = q + 1, *end = param + strcspn(param, "&");
        const char *level = NULL;
        q = *end ? end : NULL;
        if (!strncmp(param, "synchronous=", 12))
            for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
                if ((size_t)(end - param - 12) == strlen(levels[i]) &&
                    !strncasecmp(param + 12, levels[i], strlen(levels[i])))
                    level = levels[i];
        if (!level) {
            log_msg("error", "sqlite: unknown database URL parameter '%.*s' (known: "
                    "synchronous=normal|full|extra|off)", (int)(end - param), param);
            return TS_EINVAL;
        }
        u->synchronous = level;
    }
    /* SQLite itself would read a remaining "file:" as a URI: keep it a path. */
    int dot = !strncmp(p, "file:", 5);
    if (!(u->path = malloc(plen + 3)))
        return TS_ENOMEM;
    snprintf(u->path, plen + 3, "%s%.*s", dot ? "./" : "", (int)plen, p);
    return TS_OK;
}

/* The database holds private keys and password hashes: create it owner-only. SQLite
 * gives its -wal and -shm files the mode of the database file. An existing file keeps
 * the mode its owner chose. */
static ts_err create_private(const char *path)
{
    if (!strcmp(path, ":memory:"))
        return TS_OK;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        return TS_OK;
    }
    if (errno == EEXIST)
        return TS_OK;
    log_msg("error", "sqlite: cannot create %s: %s", path, strerror(errno));
    return TS_EDB;
}

static ts_err pragma(struct sqlite_store *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TS_OK : sqlite_fail(s, rc, sql);
}

/* journal_mode answers with the mode it got; WAL can be refused (some network file
 * systems, :memory:), which is worth a warning, not a failure. */
static ts_err set_wal(struct sqlite_store *s, const char *path)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(stmt, 0);
        if (mode && strcmp(mode, "wal") && strcmp(path, ":memory:"))
            log_msg("warn", "sqlite: journal_mode is %s, not wal", mode);
        rc = SQLITE_OK;
    }
    ts_err err = rc == SQLITE_OK ? TS_OK : sqlite_fail(s, rc, "PRAGMA journal_mode");
    sqlite3_finalize(stmt);
    return err;
}

ts_err sqlite_open(const char *url, struct store **out)
{
    struct sqlite_url u;
    struct sqlite_store *s = NULL;
    char sync_sql[40];
    ts_err err;
    int rc;

    *out = NULL;
    if ((err = parse_url(url, &u)))
        return err;
    if ((err = create_private(u.path)))
        goto fail;
    if (!(s = calloc(1, sizeof *s))) {
        err = TS_ENOMEM;
        goto fail;
    }
    s->base.ops = &store_sqlite_ops;
    if (pthread_mutex_init(&s->lock, NULL)) {
        free(s);
        s = NULL;
        err = TS_ENOMEM;
        goto fail;
    }
    /* Our mutex serialises every use of the connection: SQLite's own is not needed. */
    rc = sqlite3_open_v2(u.path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                         SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = rc == SQLITE_NOMEM ? TS_ENOMEM : TS_EDB;
        log_msg("error", "sqlite: cannot open %s: %s", u.path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    if ((rc = sqlite3_extended_result_codes(s->db, 1)) != SQLITE_OK ||
        (rc = sqlite3_busy_timeout(s->db, BUSY_MS)) != SQLITE_OK) {
        err = sqlite_fail(s, rc, "configure");
        goto fail;
    }
    snprintf(sync_sql, sizeof sync_sql, "PRAGMA synchronous = %s", u.synchronous);
    if ((err = set_wal(s, u.path)) || (err = pragma(s, sync_sql)) ||
        (err = pragma(s, "PRAGMA foreign_keys = ON")))
        goto fail;
    free(u.path);
    *out = &s->base;
    return TS_OK;
fail:
    if (s)
        sqlite_close(&s->base);
    free(u.path);
    return err;
}

void sqlite_close(struct store *st)
{
    struct sqlite_store *s = sqlite_of(st);
    if (!s)
        return;
    for (int i = 0; i < SQ_STMT_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);   /* returns the last step's error: handled */
    if (s->db) {
        int rc = sqlite3_close(s->db);
        if (rc != SQLITE_OK)
            log_msg("error", "sqlite: close: %s", sqlite3_errstr(rc));
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Highest applied version; 0 before the first migration created the table. */
static ts_err current_version(struct sqlite_store *s, int *version)
{
    ts_err err;
    int rc;
    sqlite3_stmt *stmt = sqlite_stmt(s, SQ_HAS_MIGRATIONS, &err, "");

    *version = 0;
    if (!stmt)
        return err;
    rc = sqlite3_step(stmt);
    int exists = rc == SQLITE_ROW && sqlite3_column_int(stmt, 0) > 0;
    err = rc == SQLITE_ROW ? TS_OK : sqlite_fail(s, rc, "schema version");
    sqlite_done(stmt);
    if (err || !exists)
        return err;
    if (!(stmt = sqlite_stmt(s, SQ_VERSION, &err, "")))
        return err;
    if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        *version = sqlite3_column_int(stmt, 0);
    else
        err = sqlite_fail(s, rc, "schema version");
    sqlite_done(stmt);
    return err;
}

ts_err sqlite_schema_version(struct store *st, int *version)
{
    struct sqlite_store *s = sqlite_of(st);
    sqlite_lock(s);
    ts_err err = current_version(s, version);
    sqlite_unlock(s);
    return err;
}

/* Applies migration m unless the database already has it (another instance may have
 * migrated since we looked): the script and its schema_migrations row commit together
 * or not at all. *applied is 1 when it ran. */
static ts_err apply_one(struct sqlite_store *s, const struct migration *m, int *applied)
{
    int version, rc;
    ts_err err;

    *applied = 0;
    if ((err = sqlite_begin(s)))
        return err;
    if ((err = current_version(s, &version)) || version >= m->version)
        return sqlite_end(s, err);
    rc = sqlite3_exec(s->db, m->sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        err = sqlite_fail(s, rc, m->name);
        if (err == TS_ECONFLICT)    /* a migration's own data clash is still a failure */
            err = TS_EDB;
        return sqlite_end(s, err);
    }
    err = sqlite_exec(s, SQ_MIGRATION_ROW, NULL, "dti", m->version, m->name,
                      (int64_t)time(NULL));
    if ((err = sqlite_end(s, err)) == TS_OK) {
        *applied = 1;
        log_msg("info", "sqlite: applied migration %s", m->name);
    }
    return err;
}

ts_err sqlite_migrate(struct store *st, int *applied)
{
    struct sqlite_store *s = sqlite_of(st);
    int count = 0, latest = 0, version = 0, one;
    ts_err err = TS_OK;

    sqlite_lock(s);
    for (const struct migration *m = store_migrations; m->version && !err; m++) {
        latest = m->version;
        if (!(err = apply_one(s, m, &one)))
            count += one;
    }
    if (!err && !(err = current_version(s, &version)) && version > latest) {
        log_msg("error", "sqlite: the database has schema version %d, newer than this "
                "binary knows (%d): refusing to use it", version, latest);
        err = TS_EDB;
    }
    sqlite_unlock(s);
    if (applied)
        *applied = count;
    return err;
}

/* One step of a readiness check: a lock held by another process past the short busy
 * wait is TS_EBUSY; anything else as sqlite_fail() says. */
static ts_err ping_step(struct sqlite_store *s, enum sq_stmt id, const char *what)
{
    ts_err err;
    sqlite3_stmt *stmt = sqlite_stmt(s, id, &err, "");
    if (!stmt)
        return err;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        err = TS_OK;
    else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
        log_msg("warn", "sqlite: %s: the database is locked by another connection", what);
        err = TS_EBUSY;
    } else
        err = sqlite_fail(s, rc, what);
    sqlite_done(stmt);
    return err;
}

/* Readiness (store.h): the file is still the one opened at its path (renamed, deleted,
 * its directory moved or its volume gone: SQLite would refuse every write with
 * SQLITE_READONLY_DBMOVED), a read answers, and the write lock can be had (BEGIN
 * IMMEDIATE, rolled back at once: nothing is written), each lock within
 * PING_BUSY_MS rather than the usual busy wait. */
ts_err sqlite_ping(struct store *st)
{
    struct sqlite_store *s = sqlite_of(st);
    int moved = 0;
    ts_err err;

    sqlite_lock(s);
    if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
        moved) {
        log_msg("warn", "sqlite: the database file is no longer at its path (moved, "
                "deleted, or its directory cannot be reached)");
        sqlite_unlock(s);
        return TS_ENOTFOUND;
    }
    sqlite3_busy_timeout(s->db, PING_BUSY_MS);
    err = ping_step(s, SQ_PING, "ping");
    if (!err && !(err = ping_step(s, SQ_BEGIN, "ping write lock")))
        err = ping_step(s, SQ_ROLLBACK, "ping rollback");
    if (!sqlite3_get_autocommit(s->db))
        (void)sqlite_exec(s, SQ_ROLLBACK, NULL, "");
    sqlite3_busy_timeout(s->db, BUSY_MS);
    sqlite_unlock(s);
    return err;
}
