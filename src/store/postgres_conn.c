/* SPDX-License-Identifier: Apache-2.0 */
/* The PostgreSQL connection: the URL, the connection pool, statements and their
 * parameters, errors and retries, transactions, migrations and the LISTEN connection
 * of wait_change. The store operations are in postgres.c. */
#include "store/postgres_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/text.h"
#include "store/migrations.h"

#define POOL_DEFAULT 4
#define POOL_MAX 64
#define MAX_PARAMS 24
/* A serialization failure or deadlock is run again up to this many times in all. */
#define PG_TRIES 3
/* While the database cannot be reached, "unreachable" is logged at most this often. */
#define DOWN_LOG_INTERVAL 30

static const struct {
    const char *name, *sql;
    char kind;
} statements[PG_STMT_COUNT] = {
#define PG_STMT_ROW(name, kind, sql) { #name, sql, #kind[0] },
    PG_STATEMENTS(PG_STMT_ROW)
#undef PG_STMT_ROW
};

/* --- the URL -------------------------------------------------------------------- */

/*
 * Splits tessera's own parameter pool_size=N off the query of a postgresql:// URL and
 * returns the rest, for libpq, in *libpq_url (malloc'd). The query starts at the first
 * '?' after the user information, found as libpq finds it (up to an '@' before any
 * '/'), so a '?' in a password is not taken for it. Nothing here is logged but the
 * parameter's own name and value.
 */
static ts_err split_url(const char *url, char **libpq_url, int *pool_size)
{
    const char *p = strstr(url, "://"), *q, *query;
    size_t len = strlen(url);
    char *out;

    *libpq_url = NULL;
    *pool_size = POOL_DEFAULT;
    if (!p)
        return TS_EINVAL;
    p += 3;
    for (q = p; *q && *q != '@' && *q != '/'; q++)
        ;
    query = strchr(*q == '@' ? q + 1 : p, '?');
    if (!(out = malloc(len + 1)))
        return TS_ENOMEM;
    if (!query) {
        memcpy(out, url, len + 1);
        *libpq_url = out;
        return TS_OK;
    }
    size_t o = (size_t)(query - url);
    memcpy(out, url, o);
    char sep = '?';
    for (const char *param = query + 1; *param;) {
        size_t n = strcspn(param, "&");
        if (n > 10 && !strncmp(param, "pool_size=", 10)) {
            char num[8] = "";
            char *end;
            long v = -1;
            if (n - 10 < sizeof num) {
                memcpy(num, param + 10, n - 10);
                num[n - 10] = '\0';
                v = strtol(num, &end, 10);
                if (end == num || *end)
                    v = -1;
            }
            if (v < 1 || v > POOL_MAX) {
                log_msg("error", "postgresql: pool_size in the database URL must be a "
                        "number from 1 to %d", POOL_MAX);
                free(out);
                return TS_EINVAL;
            }
            *pool_size = (int)v;
        } else if (n > 0) {
            out[o++] = sep;
            memcpy(out + o, param, n);
            o += n;
            sep = '&';
        }
        param += n;
        if (*param == '&')
            param++;
    }
    out[o] = '\0';
    *libpq_url = out;
    return TS_OK;
}

/* The keyword/value arrays libpq connects with: what the URL gives, plus tessera's
 * defaults (application_name, connect_timeout) and client_encoding UTF8 always. */
static ts_err parse_conninfo(struct pg_store *s, const char *url)
{
    static const char *const defaults[][2] = {
        { "application_name", "tessera" },
        { "connect_timeout", "5" },
    };
    char *libpq_url = NULL, *errmsg = NULL;
    size_t n = 0, i = 0;
    ts_err err;

    if ((err = split_url(url, &libpq_url, &s->pool_size)))
        return err;
    s->conninfo = PQconninfoParse(libpq_url, &errmsg);
    explicit_bzero(libpq_url, strlen(libpq_url));
    free(libpq_url);
    if (!s->conninfo) {
        /* libpq's message may quote part of the URL, password included. */
        PQfreemem(errmsg);
        log_msg("error", "postgresql: the database URL is not a valid PostgreSQL "
                "connection URI (its text is not logged: it may hold a password)");
        return TS_EINVAL;
    }
    for (PQconninfoOption *o = s->conninfo; o->keyword; o++)
        n++;
    n += sizeof defaults / sizeof defaults[0] + 2;
    s->keys = calloc(n, sizeof *s->keys);
    s->vals = calloc(n, sizeof *s->vals);
    if (!s->keys || !s->vals)
        return TS_ENOMEM;
    for (PQconninfoOption *o = s->conninfo; o->keyword; o++) {
        if (!o->val || !strcmp(o->keyword, "client_encoding"))
            continue;
        s->keys[i] = o->keyword;
        s->vals[i++] = o->val;
    }
    for (size_t d = 0; d < sizeof defaults / sizeof defaults[0]; d++) {
        size_t k;
        for (k = 0; k < i && strcmp(s->keys[k], defaults[d][0]); k++)
            ;
        if (k == i) {
            s->keys[i] = defaults[d][0];
            s->vals[i++] = defaults[d][1];
        }
    }
    s->keys[i] = "client_encoding";
    s->vals[i++] = "UTF8";
    return TS_OK;
}

/* --- connections ------------------------------------------------------------------ */

/* libpq's messages end with a newline (and may hold several lines): the first line,
 * for a one-line log entry. They name hosts, ports, users and databases, never a
 * password. */
static const char *first_line(const char *msg, char *buf, size_t size)
{
    size_t n = strcspn(msg ? msg : "", "\n");
    snprintf(buf, size, "%.*s", (int)n, msg ? msg : "");
    return buf;
}

/* libpq prints what the server says outside an answer (the FATAL of a connection being
 * terminated, a NOTICE) on stderr; it goes to the log instead, as one JSON line. */
static void on_notice(void *arg, const char *message)
{
    char line[512];
    (void)arg;
    log_msg("info", "postgresql: the server says: %s", first_line(message, line,
                                                                  sizeof line));
}

static PGconn *connect_db(struct pg_store *s)
{
    char line[512];
    PGconn *conn = PQconnectdbParams(s->keys, s->vals, 0);
    int64_t now = (int64_t)time(NULL);
    const char *why = NULL;

    if (!conn) {
        why = "out of memory";
    } else if (PQstatus(conn) != CONNECTION_OK) {
        why = first_line(PQerrorMessage(conn), line, sizeof line);
    } else if (PQserverVersion(conn) < 110000) {
        why = "the server is older than PostgreSQL 11";
    }
    pthread_mutex_lock(&s->lock);
    if (why) {
        if (!s->down || now - s->down_logged >= DOWN_LOG_INTERVAL || now < s->down_logged) {
            log_msg("error", "postgresql: cannot connect to the database: %s", why);
            s->down_logged = now;
        }
        s->down = 1;
    } else if (s->down) {
        log_msg("info", "postgresql: connected to the database again");
        s->down = 0;
    }
    pthread_mutex_unlock(&s->lock);
    if (why) {
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, on_notice, NULL);
    return conn;
}

/* An idle pooled connection is usable: connected, outside any transaction, and with
 * nothing to read. A pooled connection listens to nothing, so what arrives while it is
 * idle is the server going away (a FATAL "terminating connection" and the end of the
 * stream, after a restart or pg_terminate_backend); rarely a parameter report, which
 * costs one needless reconnection. */
static int healthy(PGconn *conn)
{
    struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };
    if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE ||
        pfd.fd < 0)
        return 0;
    return poll(&pfd, 1, 0) == 0;
}

static void give_back(struct pg_store *s, struct pg_conn *c)
{
    pthread_mutex_lock(&s->lock);
    c->busy = 0;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* A free connection of the pool, (re)connected when new or found dead; NULL with
 * *err TS_EDB when the database cannot be reached. */
static struct pg_conn *pg_acquire(struct pg_store *s, ts_err *err)
{
    struct pg_conn *c = NULL;

    pthread_mutex_lock(&s->lock);
    while (!c) {
        /* A connected one first, so the pool opens connections only under load. */
        for (int i = 0; i < s->pool_size && !c; i++)
            if (!s->pool[i].busy && s->pool[i].conn)
                c = &s->pool[i];
        for (int i = 0; i < s->pool_size && !c; i++)
            if (!s->pool[i].busy)
                c = &s->pool[i];
        if (!c)
            pthread_cond_wait(&s->cond, &s->lock);
    }
    c->busy = 1;
    pthread_mutex_unlock(&s->lock);

    c->in_tx = c->ambiguous = c->lost = c->rolled_back = 0;
    if (c->conn && !healthy(c->conn)) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
    if (!c->conn) {
        memset(c->prepared, 0, sizeof c->prepared);
        if (!(c->conn = connect_db(s))) {
            give_back(s, c);
            *err = TS_EDB;
            return NULL;
        }
    }
    *err = TS_OK;
    return c;
}

/* Gives c back (closing it when broken); 1 when the operation should run once more
 * (the rule of pg_run), counting the run in *tries. */
static int pg_again(struct pg_store *s, struct pg_conn *c, ts_err *err, int *tries,
                    int idempotent)
{
    int again = 0;

    if (*err == TS_EDB) {
        if (c->lost)
            again = *tries == 0 && (!c->ambiguous || idempotent);
        else if (c->rolled_back)
            again = *tries < PG_TRIES - 1;
    }
    if (c->conn && (c->lost || PQstatus(c->conn) != CONNECTION_OK ||
                    PQtransactionStatus(c->conn) != PQTRANS_IDLE)) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
    int lost = c->lost;
    give_back(s, c);
    if (again) {
        if (lost)
            log_msg("warn", "postgresql: the connection was lost; running the operation "
                    "again on a new one");
        ++*tries;
    }
    return again;
}

ts_err pg_run(struct pg_store *s, enum pg_retry retry, pg_work fn, void *ctx)
{
    struct pg_conn *c;
    int tries = 0;
    ts_err err;

    do {
        if (!(c = pg_acquire(s, &err)))
            break;
        err = fn(c, ctx);
    } while (pg_again(s, c, &err, &tries, retry == PG_IDEMPOTENT));
    return err;
}

/* --- statements ---------------------------------------------------------------------- */

/* Maps a failed result to a ts_err and notes on c what it says about the connection
 * and the transaction. Logged with the server's primary message and SQLSTATE, never
 * its DETAIL (which can quote the row's values). */
static ts_err pg_fail(struct pg_conn *c, PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char line[512];

    if (!res && PQstatus(c->conn) == CONNECTION_OK)
        return TS_ENOMEM;      /* libpq could not allocate the result */
    if (PQstatus(c->conn) != CONNECTION_OK ||
        (state && (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))))
        c->lost = 1;
    if (state && !strcmp(state, "23505"))
        return TS_ECONFLICT;
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
        c->rolled_back = 1;
    if (!msg)
        msg = first_line(PQerrorMessage(c->conn), line, sizeof line);
    log_msg(c->lost ? "warn" : "error", "postgresql: %s: %s (SQLSTATE %s)", what,
            msg && *msg ? msg : "no message", state ? state : "none");
    return TS_EDB;
}

/* A statement of the simple protocol (BEGIN, COMMIT, a migration script). */
static ts_err simple(struct pg_conn *c, const char *sql, const char *what)
{
    PGresult *res = PQexec(c->conn, sql);
    ts_err err = TS_OK;
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        err = pg_fail(c, res, what);
    PQclear(res);
    return err;
}

static PGresult *query_va(struct pg_conn *c, enum pg_stmt id, ts_err *err,
                          const char *fmt, va_list ap)
{
    const char *values[MAX_PARAMS];
    char ints[MAX_PARAMS][24];
    char name[16];
    int n = 0;
    ts_err bad = TS_OK;

    for (; fmt[n]; n++) {
        const char *t;
        int64_t v;
        if (n == MAX_PARAMS) {
            log_msg("error", "postgresql: %s: too many parameters", statements[id].name);
            *err = TS_EDB;
            return NULL;
        }
        values[n] = NULL;
        switch (fmt[n]) {
        case 't':
        case 'T':
            t = va_arg(ap, const char *);
            if (t && (fmt[n] == 't' || *t)) {
                values[n] = t;
                if (!bad && !text_utf8_valid(t))
                    bad = statements[id].kind == 'R' ? TS_ENOTFOUND : TS_EDB;
            }
            break;
        case 'i':
        case 'I':
            v = va_arg(ap, int64_t);
            if (fmt[n] == 'i' || v != 0) {
                snprintf(ints[n], sizeof ints[n], "%lld", (long long)v);
                values[n] = ints[n];
            }
            break;
        case 'd':
            snprintf(ints[n], sizeof ints[n], "%d", va_arg(ap, int));
            values[n] = ints[n];
            break;
        default:
            log_msg("error", "postgresql: %s: bad parameter format", statements[id].name);
            *err = TS_EDB;
            return NULL;
        }
    }
    if (bad) {
        if (bad == TS_EDB)
            log_msg("error", "postgresql: %s: a text value is not valid UTF-8, which "
                    "PostgreSQL cannot store", statements[id].name);
        *err = bad;
        return NULL;
    }
    snprintf(name, sizeof name, "ts%d", (int)id);
    if (!c->prepared[id]) {
        PGresult *res = PQprepare(c->conn, name, statements[id].sql, 0, NULL);
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
            *err = pg_fail(c, res, statements[id].name);
            PQclear(res);
            return NULL;
        }
        PQclear(res);
        c->prepared[id] = 1;
    }
    if (statements[id].kind == 'W' && !c->in_tx)
        c->ambiguous = 1;
    PGresult *res = PQexecPrepared(c->conn, name, n, values, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        *err = TS_OK;
        return res;
    }
    *err = pg_fail(c, res, statements[id].name);
    PQclear(res);
    return NULL;
}

PGresult *pg_query(struct pg_conn *c, enum pg_stmt id, ts_err *err, const char *fmt,
                   ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = query_va(c, id, err, fmt, ap);
    va_end(ap);
    return res;
}

ts_err pg_exec(struct pg_conn *c, enum pg_stmt id, int *changes, const char *fmt, ...)
{
    ts_err err;
    va_list ap;

    va_start(ap, fmt);
    PGresult *res = query_va(c, id, &err, fmt, ap);
    va_end(ap);
    if (!res)
        return err;
    if (changes) {
        /* A PG_COUNT_NOTIFY statement answers its count in a row. */
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
            PQnfields(res) == 2)
            *changes = (int)pg_col_int(res, 0, 0);
        else
            *changes = atoi(PQcmdTuples(res));
    }
    PQclear(res);
    return TS_OK;
}

ts_err pg_begin(struct pg_conn *c)
{
    ts_err err = simple(c, "BEGIN", "BEGIN");
    if (!err)
        c->in_tx = 1;
    return err;
}

ts_err pg_end(struct pg_conn *c, ts_err err)
{
    if (!c->in_tx)
        return err;
    if (!err) {
        c->ambiguous = 1;           /* if the answer is lost, it may have committed */
        c->in_tx = 0;
        return simple(c, "COMMIT", "COMMIT");
    }
    c->in_tx = 0;
    if (PQstatus(c->conn) == CONNECTION_OK &&
        PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
        int lost = c->lost;
        (void)simple(c, "ROLLBACK", "ROLLBACK");    /* logged if it fails */
        c->lost |= lost;
    }
    return err;
}

ts_err pg_col_text(const PGresult *res, int row, int col, char *dst, size_t size)
{
    dst[0] = '\0';
    if (PQgetisnull(res, row, col))
        return TS_OK;
    size_t n = (size_t)PQgetlength(res, row, col);
    if (n >= size) {
        log_msg("error", "postgresql: column %s holds a value that does not fit in %zu "
                "bytes", PQfname(res, col), size - 1);
        return TS_EDB;
    }
    memcpy(dst, PQgetvalue(res, row, col), n + 1);
    return TS_OK;
}

ts_err pg_col_strdup(const PGresult *res, int row, int col, const char *if_null,
                     char **dst)
{
    const char *v = PQgetisnull(res, row, col) ? if_null : PQgetvalue(res, row, col);
    *dst = NULL;
    if (v && !(*dst = strdup(v)))
        return TS_ENOMEM;
    return TS_OK;
}

int64_t pg_col_int(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* --- open, close ----------------------------------------------------------------- */

ts_err pg_open(const char *url, struct store **out)
{
    struct pg_store *s = calloc(1, sizeof *s);
    struct pg_conn *c;
    ts_err err;

    *out = NULL;
    if (!s)
        return TS_ENOMEM;
    s->base.ops = &store_pg_ops;
    s->wake_fd[0] = s->wake_fd[1] = -1;
    if (pthread_mutex_init(&s->lock, NULL)) {
        free(s);
        return TS_ENOMEM;
    }
    if (pthread_cond_init(&s->cond, NULL)) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return TS_ENOMEM;
    }
    if (pthread_mutex_init(&s->listen_lock, NULL)) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return TS_ENOMEM;
    }
    if (pipe2(s->wake_fd, O_CLOEXEC | O_NONBLOCK)) {
        log_msg("error", "postgresql: pipe: %s", strerror(errno));
        err = TS_ENOMEM;
        goto fail;
    }
    if ((err = parse_conninfo(s, url)))
        goto fail;
    if (!(s->pool = calloc((size_t)s->pool_size, sizeof *s->pool))) {
        err = TS_ENOMEM;
        goto fail;
    }
    /* One connection now: a database that cannot be reached fails here, at start. */
    if (!(c = pg_acquire(s, &err)))
        goto fail;
    give_back(s, c);
    *out = &s->base;
    return TS_OK;
fail:
    pg_close(&s->base);
    return err;
}

void pg_close(struct store *st)
{
    struct pg_store *s = pg_of(st);
    if (!s)
        return;
    for (int i = 0; s->pool && i < s->pool_size; i++)
        PQfinish(s->pool[i].conn);
    PQfinish(s->listen);
    for (int i = 0; i < 2; i++)
        if (s->wake_fd[i] >= 0)
            close(s->wake_fd[i]);
    free(s->pool);
    free(s->keys);
    free(s->vals);
    if (s->conninfo) {
        for (PQconninfoOption *o = s->conninfo; o->keyword; o++)
            if (o->val)
                explicit_bzero(o->val, strlen(o->val));   /* the password among them */
        PQconninfoFree(s->conninfo);
    }
    pthread_mutex_destroy(&s->listen_lock);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* --- migrations ------------------------------------------------------------------ */

/* Highest applied version; 0 before the first migration created the table. */
static ts_err current_version(struct pg_conn *c, int *version)
{
    ts_err err;
    PGresult *res;

    *version = 0;
    if (!(res = pg_query(c, PG_HAS_MIGRATIONS, &err, "")))
        return err;
    int exists = pg_col_int(res, 0, 0) > 0;
    PQclear(res);
    if (!exists)
        return TS_OK;
    if (!(res = pg_query(c, PG_VERSION, &err, "")))
        return err;
    *version = (int)pg_col_int(res, 0, 0);
    PQclear(res);
    return TS_OK;
}

static ts_err version_work(struct pg_conn *c, void *ctx)
{
    int *version = ctx;
    *version = 0;
    return current_version(c, version);
}

ts_err pg_schema_version(struct store *st, int *version)
{
    *version = 0;
    return pg_run(pg_of(st), PG_IDEMPOTENT, version_work, version);
}

/* The SQL the PostgreSQL backend runs for migration m: its dialect version from
 * migrations/pg/ when there is one, else the portable file itself. NULL (logged) when
 * the two lists disagree on m's name. */
static const char *dialect_sql(const struct migration *m)
{
    for (const struct migration *p = store_pg_migrations; p->version; p++) {
        if (p->version != m->version)
            continue;
        if (strcmp(p->name, m->name)) {
            log_msg("error", "postgresql: migration %d is %s, but its PostgreSQL "
                    "dialect is %s: this binary was built inconsistently", m->version,
                    m->name, p->name);
            return NULL;
        }
        return p->sql;
    }
    return m->sql;
}

/* Applies migration m unless the database already has it, in one transaction that
 * first takes the migration lock: another instance migrating at the same time waits,
 * then finds the version applied. *applied is 1 when it ran. */
static ts_err apply_one(struct pg_conn *c, const struct migration *m, int *applied)
{
    const char *sql = dialect_sql(m);
    int version;
    ts_err err;

    *applied = 0;
    if (!sql)
        return TS_EDB;
    if ((err = pg_begin(c)))
        return err;
    PGresult *res = pg_query(c, PG_XACT_LOCK, &err, "i", (int64_t)PG_LOCK_MIGRATE);
    PQclear(res);
    if (err || (err = current_version(c, &version)) || version >= m->version)
        return pg_end(c, err);
    if ((err = simple(c, sql, m->name))) {
        if (err == TS_ECONFLICT)    /* a migration's own data clash is still a failure */
            err = TS_EDB;
        return pg_end(c, err);
    }
    err = pg_exec(c, PG_MIGRATION_ROW, NULL, "dti", m->version, m->name,
                  (int64_t)time(NULL));
    if ((err = pg_end(c, err)) == TS_OK) {
        *applied = 1;
        log_msg("info", "postgresql: applied migration %s", m->name);
    }
    return err;
}

ts_err pg_migrate(struct store *st, int *applied)
{
    struct pg_store *s = pg_of(st);
    struct pg_conn *c;
    int count = 0, latest = 0, version = 0, one;
    ts_err err = TS_OK;

    for (const struct migration *p = store_pg_migrations; p->version; p++) {
        const struct migration *m = store_migrations;
        while (m->version && m->version != p->version)
            m++;
        if (!m->version) {
            log_msg("error", "postgresql: migration %s has no portable counterpart: this "
                    "binary was built inconsistently", p->name);
            return TS_EDB;
        }
    }
    /* No retry here: a lost connection fails the migration, which runs again at the
     * next start (each step is one transaction). */
    if (!(c = pg_acquire(s, &err)))
        return err;
    for (const struct migration *m = store_migrations; m->version && !err; m++) {
        latest = m->version;
        if (!(err = apply_one(c, m, &one)))
            count += one;
    }
    if (!err && !(err = current_version(c, &version)) && version > latest) {
        log_msg("error", "postgresql: the database has schema version %d, newer than "
                "this binary knows (%d): refusing to use it", version, latest);
        err = TS_EDB;
    }
    int tries = 1;
    (void)pg_again(s, c, &err, &tries, 0);
    if (applied)
        *applied = count;
    return err;
}

static ts_err ping_work(struct pg_conn *c, void *ctx)
{
    ts_err err;
    (void)ctx;
    PQclear(pg_query(c, PG_PING, &err, ""));
    return err;
}

ts_err pg_ping(struct store *st)
{
    return pg_run(pg_of(st), PG_IDEMPOTENT, ping_work, NULL);
}

/* --- wait_change ------------------------------------------------------------------ */

/* Frees the notifications that arrived; returns how many. */
static int drain(PGconn *conn)
{
    PGnotify *n;
    int count = 0;
    while ((n = PQnotifies(conn))) {
        PQfreemem(n);
        count++;
    }
    return count;
}

/* Empties the wake pipe; nonzero when wake() wrote to it. */
static int woken(struct pg_store *s)
{
    char buf[64];
    int any = 0;
    while (read(s->wake_fd[0], buf, sizeof buf) > 0)
        any = 1;
    return any;
}

void pg_wake(struct store *st)
{
    struct pg_store *s = pg_of(st);
    /* A full pipe (EAGAIN) already holds a wake-up. */
    ssize_t n = write(s->wake_fd[1], "w", 1);
    (void)n;
}

/* Connects the listening connection; nonzero on success. With the lock held. */
static int listen_connect(struct pg_store *s)
{
    PGconn *conn = connect_db(s);
    if (!conn)
        return 0;
    PGresult *res = PQexec(conn, "LISTEN " PG_CHANNEL);
    int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        char line[512];
        log_msg("error", "postgresql: LISTEN failed: %s",
                first_line(res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                               : PQerrorMessage(conn), line, sizeof line));
        PQfinish(conn);
        conn = NULL;
    }
    PQclear(res);
    s->listen = conn;
    return ok;
}

/*
 * Waits on the listening connection. A new (or re-established) connection answers at
 * once, TS_OK: what was notified while none listened is lost, so the caller reads
 * everything again. A connection that breaks while waiting is re-established at once
 * (and the call answers at once). TS_EDB when there is no connection and none can be
 * made: the caller sleeps and polls. pg_wake (from another thread) ends the wait.
 */
ts_err pg_wait_change(struct store *st, int timeout_ms)
{
    struct pg_store *s = pg_of(st);
    ts_err err = TS_OK;

    pthread_mutex_lock(&s->listen_lock);
    if (!s->listen || PQstatus(s->listen) != CONNECTION_OK) {
        PQfinish(s->listen);
        s->listen = NULL;
        err = listen_connect(s) ? TS_OK : TS_EDB;
        goto out;
    }
    if (drain(s->listen) || woken(s))
        goto out;
    struct pollfd pfd[2] = { { .fd = PQsocket(s->listen), .events = POLLIN },
                             { .fd = s->wake_fd[0], .events = POLLIN } };
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (long)(now.tv_sec - start.tv_sec) * 1000 +
                     (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent >= timeout_ms)
            break;
        int r = poll(pfd, 2, (int)(timeout_ms - spent));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || woken(s))
            break;
        if (!PQconsumeInput(s->listen) || PQstatus(s->listen) != CONNECTION_OK) {
            log_msg("warn", "postgresql: the LISTEN connection was lost; reconnecting");
            PQfinish(s->listen);
            s->listen = NULL;
            (void)listen_connect(s);
            break;
        }
        if (drain(s->listen))
            break;
    }
out:
    pthread_mutex_unlock(&s->listen_lock);
    return err;
}
