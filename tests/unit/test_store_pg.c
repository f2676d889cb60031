/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/store/postgres*.c: the PostgreSQL backend against a real server, each test on a
 * freshly migrated empty database (one the run's tests share in turn, emptied before
 * each; the migration tests get an empty one of their own). The server is named by
 * TESSERA_TEST_PG_URL, a URL prefix ending in '/' (e.g.
 * postgresql://tessera:PW@127.0.0.1:5432/) whose role may create databases; without
 * it every test is skipped. tests/e2e/test_postgres_store.py runs this binary against
 * the PostgreSQL server the end-to-end harness starts.
 *
 * First the store contract suite (store_contract.c), the same tests test_store.c runs
 * on SQLite; then what it covers beyond that contract: byte order
 * whatever the database's collation, migrations racing from several instances,
 * refresh rotation racing from several instances, LISTEN/NOTIFY, a pool that survives
 * its connections being killed, UTF-8, and URLs whose password never reaches the log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/postgres_int.h"
#include "store/store.h"
#include "store_contract.h"

#define T0 1000
#define GRACE 10
#define IDLE 300

struct fx {
    char db[64];
    char url[600];
    struct store *st;
    int own;                        /* db is the test's own (else the shared one) */
};

#define OPS(f) ((f)->st->ops)

/* The test's fixture; without TESSERA_TEST_PG_URL there is none and the test skips. */
static struct fx *fx_or_skip(void **state)
{
    if (!*state)
        skip();
    return *state;
}
#define FX(state) fx_or_skip(state)

static const char *prefix(void)
{
    return getenv("TESSERA_TEST_PG_URL");
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A connection to database db ("postgres" for the maintenance one). */
static PGconn *raw_connect(const char *db)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", prefix(), db);
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        print_error("connect: %s\n", PQerrorMessage(c));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    return c;
}

static void raw_exec_on(const char *db, const char *sql)
{
    PGconn *c = raw_connect(db);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        print_error("%s: %s\n", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    assert_true(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

static void raw_exec(struct fx *f, const char *sql)
{
    raw_exec_on(f->db, sql);
}

/* The first column of the first row (-1 for NULL). */
static int64_t raw_int(struct fx *f, const char *sql)
{
    PGconn *c = raw_connect(f->db);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        print_error("%s: %s\n", sql, PQresultErrorMessage(r));
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_true(PQntuples(r) >= 1);
    int64_t v = PQgetisnull(r, 0, 0) ? -1 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return v;
}

/* The migrated database the `setup` tests share, one at a time, made once per run:
 * creating and migrating a database per test took most of the run's time. Each test
 * finds it as a fresh one would be: every table but schema_migrations emptied, its
 * identities restarted. "" until made. */
static char shared_db[64];

static int make_shared(void)
{
    char db[64], sql[160], url[600];
    struct store *st = NULL;
    int applied;
    ts_err err;

    snprintf(db, sizeof db, "tsu_%ld_shared", (long)getpid());
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    raw_exec_on("postgres", sql);
    snprintf(url, sizeof url, "%s%s", prefix(), db);
    if ((err = store_open(url, &st)) == TS_OK)
        err = st->ops->migrate(st, &applied);
    if (st)
        st->ops->close(st);
    if (err)
        return -1;
    memcpy(shared_db, db, sizeof db);
    return 0;
}

static void empty_shared(void)
{
    raw_exec_on(shared_db,
                "DO $$ BEGIN EXECUTE (SELECT 'TRUNCATE ' || string_agg(quote_ident("
                "tablename), ', ') || ' RESTART IDENTITY CASCADE' FROM pg_tables WHERE "
                "schemaname = 'public' AND tablename <> 'schema_migrations'); END $$");
}

/* Drops the shared database (at the end of the run; not inside a test, so no
 * asserts). */
static void drop_shared(void)
{
    char url[600], sql[160];
    if (!shared_db[0])
        return;
    snprintf(url, sizeof url, "%spostgres", prefix());
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", shared_db);
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) == CONNECTION_OK)
        PQclear(PQexec(c, sql));
    PQfinish(c);
}

/* The test's database: (migrate) the shared one emptied, which the store then
 * migrates as a fresh one would be (nothing is left to apply), or an empty one of its
 * own. */
static int setup_with(void **state, int migrate)
{
    struct fx *f;
    char sql[200];
    int applied;

    *state = NULL;
    if (!prefix())
        return 0;                   /* each test skips itself (FX) */
    if (migrate && !shared_db[0] && make_shared())
        return -1;
    if (!(f = calloc(1, sizeof *f)))
        return -1;
    if (migrate) {
        snprintf(f->db, sizeof f->db, "%s", shared_db);
        empty_shared();
    } else {
        f->own = 1;
        snprintf(f->db, sizeof f->db, "tsu_%ld_%d", (long)getpid(), rand());
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->db);
        raw_exec_on("postgres", sql);
    }
    snprintf(f->url, sizeof f->url, "%s%s", prefix(), f->db);
    *state = f;
    if (store_open(f->url, &f->st) != TS_OK)
        return -1;
    if (migrate && f->st->ops->migrate(f->st, &applied) != TS_OK)
        return -1;
    return 0;
}

static int setup(void **state) { return setup_with(state, 1); }
static int setup_empty(void **state) { return setup_with(state, 0); }

static int teardown(void **state)
{
    struct fx *f = *state;
    char sql[160];
    if (!f)
        return 0;
    if (f->st)
        f->st->ops->close(f->st);
    if (f->own) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->db);
        raw_exec_on("postgres", sql);
    }
    free(f);
    return 0;
}

static struct store *another(struct fx *f)
{
    struct store *st = NULL;
    assert_int_equal(store_open(f->url, &st), TS_OK);
    assert_ptr_equal(st->ops, &store_pg_ops);
    return st;
}

static int count_migrations(void)
{
    int n = 0;
    while (store_migrations[n].version)
        n++;
    return n;
}

static ts_err add_user(struct store *st, const char *id, const char *email,
                       const char *username)
{
    struct store_fx v = { .st = st };
    return store_fx_add_user(&v, id, email, username);
}

static enum refresh_outcome rotate(struct store *st, const char *hash, const char *next,
                                   int64_t now, struct session_rec *s)
{
    enum refresh_outcome oc = (enum refresh_outcome)-1;
    assert_int_equal(st->ops->refresh_rotate(st, hash, next, now, GRACE, IDLE, NULL, NULL,
                                             &oc, s), TS_OK);
    return oc;
}

struct seen {
    int n;
    char id[200][STORE_CLIENT_ID_LEN + 1];
};

static int seen_user(void *ctx, const struct user_rec *u)
{
    struct seen *v = ctx;
    if (v->n < 200)
        snprintf(v->id[v->n], sizeof v->id[0], "%s", u->id);
    v->n++;
    return 0;
}

/* The contract suite's fixture (store_contract.h): a database of the test's own, as
 * setup makes it. */
static struct store *be_store(void *be) { return ((struct fx *)be)->st; }
static void be_exec(void *be, const char *sql) { raw_exec(be, sql); }
static int64_t be_int(void *be, const char *sql) { return raw_int(be, sql); }
static struct store *be_another(void *be) { return another(be); }

static void be_reopen(void *be)
{
    struct fx *f = be;
    f->st->ops->close(f->st);
    f->st = NULL;
    assert_int_equal(store_open(f->url, &f->st), TS_OK);
}

static void be_age_jti_purge(struct store *st, int64_t seconds)
{
    struct pg_store *s = pg_of(st);
    pthread_mutex_lock(&s->lock);
    s->jti_purged_at -= seconds;
    pthread_mutex_unlock(&s->lock);
}

static const struct store_fx_backend pg_backend = {
    setup, setup_empty, teardown, be_store, be_exec, be_int, be_reopen, be_another,
    be_age_jti_purge,
};

/* --- migrations ---------------------------------------------------------------------- */

/* Beyond the contract's migration test: the PostgreSQL dialect files are versions
 * of the portable ones, never extra, and each version is recorded under the portable
 * file's name. */
static void migrations_are_the_portable_ones(void **state)
{
    struct fx *f = FX(state);
    int n = count_migrations();

    assert_int_equal(raw_int(f, "SELECT count(*) FROM schema_migrations"), n);
    for (int i = 0; i < n; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM schema_migrations WHERE "
                 "version = %d AND name = '%s'", store_migrations[i].version,
                 store_migrations[i].name);
        assert_int_equal(raw_int(f, sql), 1);
    }
    for (const struct migration *p = store_pg_migrations; p->version; p++) {
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= store_migrations[i].version == p->version &&
                     !strcmp(store_migrations[i].name, p->name);
        assert_true(found);
    }
}

#define RACERS 4

struct racer {
    const char *url;
    int applied;
    ts_err err;
};

static void *migrate_racer(void *arg)
{
    struct racer *r = arg;
    struct store *st = NULL;
    r->err = store_open(r->url, &st);
    if (!r->err)
        r->err = st->ops->migrate(st, &r->applied);
    if (st)
        st->ops->close(st);
    return NULL;
}

/* Instances starting together on an empty database: each migration applied once. */
static void migrations_race_safely(void **state)
{
    struct fx *f = FX(state);
    pthread_t t[RACERS];
    struct racer r[RACERS];
    int total = 0;

    for (int i = 0; i < RACERS; i++) {
        r[i] = (struct racer){ .url = f->url };
        assert_int_equal(pthread_create(&t[i], NULL, migrate_racer, &r[i]), 0);
    }
    for (int i = 0; i < RACERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(r[i].err, TS_OK);
        total += r[i].applied;
    }
    assert_int_equal(total, count_migrations());
    assert_int_equal(raw_int(f, "SELECT count(*) FROM schema_migrations"),
                     count_migrations());
}

/* --- byte order and lookups ----------------------------------------------------------- */

/* Ids compare as bytes, as in SQLite, even in a database whose default collation
 * orders 'B' after 'a' and ignores '-' and '_'. */
static void lists_are_in_byte_order(void **state)
{
    struct fx *f = FX(state);
    static const char *const ids[] = { "b", "a", "B", "_x", "-y", "A", "Z9", "z" };
    static const char *const sorted[] = { "-y", "A", "B", "Z9", "_x", "a", "b", "z" };
    struct seen *v = calloc(1, sizeof *v);
    char email[64];

    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        snprintf(email, sizeof email, "u%zu@example.com", i);
        assert_int_equal(add_user(f->st, ids[i], email, NULL), TS_OK);
    }
    assert_int_equal(OPS(f)->user_list(f->st, "", 0, seen_user, v), TS_OK);
    assert_int_equal(v->n, 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(v->id[i], sorted[i]);
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->user_list(f->st, "Z9", 0, seen_user, v), TS_OK);
    assert_int_equal(v->n, 4);
    assert_string_equal(v->id[0], "_x");
    free(v);
}

/* PostgreSQL text holds only UTF-8: a lookup by bytes that are not finds nothing (as
 * in SQLite, where no such row exists), a write of them is a storage error, and a
 * client's user agent is kept with '?' for each bad byte. */
static void text_that_is_not_utf8(void **state)
{
    struct fx *f = FX(state);
    struct user_rec u;
    struct client_rec c;
    struct session_rec s, g;
    enum refresh_outcome oc;

    assert_int_equal(add_user(f->st, "u1", "one@example.com", "one"), TS_OK);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_LOGIN, "on\xff", &u), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_ID, "\xc3", &u), TS_ENOTFOUND);
    user_rec_clear(&u);
    assert_int_equal(OPS(f)->client_get(f->st, "\xfe\xff", &c), TS_ENOTFOUND);
    client_rec_clear(&c);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "\x80"), TS_ENOTFOUND);
    assert_int_equal(add_user(f->st, "u2", "two\xff@example.com", NULL), TS_EDB);
    /* Writes keyed by such an id find no row, as in SQLite. */
    int count = -1;
    assert_int_equal(OPS(f)->session_revoke(f->st, "s\xff", 10), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->user_delete(f->st, "u\xff", 10), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->client_delete(f->st, "c\xff", 10), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->key_update(f->st, "k\xff", 10, 0), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->session_revoke_user(f->st, "u\xff", NULL, 10, &count),
                     TS_OK);
    assert_int_equal(count, 0);

    s = store_fx_make_session("s1", "u1", T0, T0 + 1000);
    snprintf(s.user_agent, sizeof s.user_agent, "Mozilla \xff\xfe ok \xc3\xa9");
    assert_int_equal(OPS(f)->session_create(f->st, &s, "h0"), TS_OK);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &g), TS_OK);
    /* Cleaned as in SQLite (base/text.c): each stray byte is U+FFFD. */
    assert_string_equal(g.user_agent, "Mozilla \xef\xbf\xbd\xef\xbf\xbd ok \xc3\xa9");
    assert_int_equal(OPS(f)->refresh_rotate(f->st, "h0", "h1", T0 + 1, GRACE, IDLE,
                                            "bad \xe2\x82", "10.0.0.9", &oc, &s), TS_OK);
    assert_int_equal(oc, REFRESH_ROTATED);
    assert_string_equal(s.user_agent, "bad \xef\xbf\xbd\xef\xbf\xbd");
    assert_int_equal(OPS(f)->refresh_rotate(f->st, "\xff", "h2", T0 + 2, GRACE, IDLE,
                                            NULL, NULL, &oc, &s), TS_OK);
    assert_int_equal(oc, REFRESH_INVALID);
}

/* --- sessions and rotation ---------------------------------------------------------- */

#define INSTANCES 3
#define THREADS_PER 4

struct rotator {
    struct store *st;
    const char *hash;
    int64_t now;
    pthread_barrier_t *go;
    enum refresh_outcome oc;
    ts_err err;
    char next[32];
};

static void *rotate_racer(void *arg)
{
    struct rotator *r = arg;
    pthread_barrier_wait(r->go);
    r->err = r->st->ops->refresh_rotate(r->st, r->hash, r->next, r->now, GRACE, IDLE,
                                        "ua", "ip", &r->oc, NULL);
    return NULL;
}

/* Runs INSTANCES x THREADS_PER concurrent uses of `hash` at `now`; counts outcomes. */
static void race(struct store **st, const char *hash, int64_t now, int counts[4])
{
    enum { N = INSTANCES * THREADS_PER };
    pthread_t t[N];
    struct rotator r[N];
    pthread_barrier_t go;

    memset(counts, 0, 4 * sizeof counts[0]);
    assert_int_equal(pthread_barrier_init(&go, NULL, N), 0);
    for (int i = 0; i < N; i++) {
        r[i] = (struct rotator){ .st = st[i % INSTANCES], .hash = hash, .now = now,
                                 .go = &go };
        /* Each use offers its own successor, as each client would. */
        snprintf(r[i].next, sizeof r[i].next, "%s-next-%d", hash, i);
        assert_int_equal(pthread_create(&t[i], NULL, rotate_racer, &r[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(r[i].err, TS_OK);
        counts[r[i].oc]++;
    }
    pthread_barrier_destroy(&go);
}

/* Many instances presenting one refresh token at once: one successor, the others in
 * the grace window; past it, one use detects the reuse and the rest find the family
 * dead. */
static void concurrent_uses_across_instances(void **state)
{
    struct fx *f = FX(state);
    struct store *st[INSTANCES];
    int counts[4];

    st[0] = f->st;
    for (int i = 1; i < INSTANCES; i++)
        st[i] = another(f);
    assert_int_equal(store_fx_add_session(f->st, "s1", "u1", T0, T0 + 100000, "h0"),
                     TS_OK);
    race(st, "h0", T0 + 1, counts);
    assert_int_equal(counts[REFRESH_ROTATED], 1);
    assert_int_equal(counts[REFRESH_GRACE], INSTANCES * THREADS_PER - 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens WHERE "
                             "session_id = 's1' AND retired_at IS NULL"), 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens"), 2);

    race(st, "h0", T0 + 1 + GRACE, counts);
    assert_int_equal(counts[REFRESH_REUSED], 1);
    assert_int_equal(counts[REFRESH_INVALID], INSTANCES * THREADS_PER - 1);
    assert_int_equal(raw_int(f, "SELECT revoked_at FROM sessions WHERE id = 's1'"),
                     T0 + 1 + GRACE);
    for (int i = 1; i < INSTANCES; i++)
        st[i]->ops->close(st[i]);
}

/* --- keys, clients, jti, audit ---------------------------------------------------- */

#define AUDITORS 6
#define EVENTS 40

static void *audit_racer(void *arg)
{
    struct store *st = arg;
    for (int i = 0; i < EVENTS; i++) {
        struct audit_rec a = { .at = i, .event = "race" };
        if (st->ops->audit_insert(st, &a, 1))
            return (void *)1;
    }
    return NULL;
}

static void audit_ids_stay_dense_across_instances(void **state)
{
    struct fx *f = FX(state);
    struct store *st[AUDITORS];
    pthread_t t[AUDITORS];

    for (int i = 0; i < AUDITORS; i++) {
        st[i] = i ? another(f) : f->st;
        assert_int_equal(pthread_create(&t[i], NULL, audit_racer, st[i]), 0);
    }
    for (int i = 0; i < AUDITORS; i++) {
        void *rv;
        assert_int_equal(pthread_join(t[i], &rv), 0);
        assert_null(rv);
        if (i)
            st[i]->ops->close(st[i]);
    }
    assert_int_equal(raw_int(f, "SELECT count(*) FROM audit_events"), AUDITORS * EVENTS);
    assert_int_equal(raw_int(f, "SELECT max(id) FROM audit_events"), AUDITORS * EVENTS);
}

/* --- LISTEN/NOTIFY ------------------------------------------------------------------ */

struct waiter {
    struct store *st;
    int timeout_ms;
    double took;
    ts_err err;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    double t = now_s();
    w->err = w->st->ops->wait_change(w->st, w->timeout_ms);
    w->took = now_s() - t;
    return NULL;
}

/* Starts a wait_change on st in a thread, lets it block, runs `act` on `other`, and
 * returns how long the wait took. */
static double wait_across(struct store *st, void (*act)(struct store *, int), struct
                          store *other, int i)
{
    pthread_t t;
    struct waiter w = { .st = st, .timeout_ms = 5000 };
    assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
    usleep(200 * 1000);
    act(other, i);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.err, TS_OK);
    return w.took;
}

static void notify_act(struct store *o, int i)
{
    char id[16];
    struct signing_key_rec k = { 0 };
    struct client_rec c = { 0 };
    struct user_rec u = { 0 };
    enum refresh_outcome oc;

    switch (i) {
    case 0:
        assert_int_equal(o->ops->session_revoke(o, "s0", 50), TS_OK);
        break;
    case 1:
        assert_int_equal(o->ops->session_revoke_user(o, "u1", NULL, 50, NULL), TS_OK);
        break;
    case 2:     /* h2 was rotated before: its reuse revokes s2 */
        assert_int_equal(o->ops->refresh_rotate(o, "h2", "h2c", 5000, GRACE, 0, NULL,
                                                NULL, &oc, NULL), TS_OK);
        assert_int_equal(oc, REFRESH_REUSED);
        break;
    case 3:
        assert_int_equal(o->ops->user_get(o, USER_BY_ID, "u9", &u), TS_OK);
        u.disabled = 1;
        assert_int_equal(o->ops->user_update(o, &u), TS_OK);
        user_rec_clear(&u);
        break;
    case 4:
        assert_int_equal(o->ops->user_delete(o, "u9", 60), TS_OK);
        break;
    case 5:
        assert_int_equal(o->ops->client_get(o, "c9", &c), TS_OK);
        c.disabled = 1;
        assert_int_equal(o->ops->client_update(o, &c), TS_OK);
        client_rec_clear(&c);
        break;
    case 6:
        assert_int_equal(o->ops->client_delete(o, "c9", 60), TS_OK);
        break;
    case 7:
        assert_int_equal(o->ops->jti_revoke(o, "jx", 1L << 40, 60), TS_OK);
        break;
    case 8:
        snprintf(k.kid, sizeof k.kid, "kx");
        snprintf(k.alg, sizeof k.alg, "ES256");
        k.private_jwk = "{}";
        k.created_at = 1;
        assert_int_equal(o->ops->key_insert(o, &k), TS_OK);
        break;
    case 9:
        assert_int_equal(o->ops->key_update(o, "kx", 0, 70), TS_OK);
        break;
    default:
        snprintf(id, sizeof id, "%d", i);
        fail_msg("no action %s", id);
    }
}

/* wait_change answers at once the first time (a new listening connection: the caller
 * reads everything), then waits for its timeout, or returns early when any write
 * that revokes or changes keys commits on another instance. */
static void wait_change_wakes_on_every_revoking_write(void **state)
{
    struct fx *f = FX(state);
    struct store *other = another(f);
    struct client_rec c = { 0 };
    double t;

    assert_int_equal(add_user(f->st, "u1", "one@example.com", NULL), TS_OK);
    assert_int_equal(add_user(f->st, "u9", "nine@example.com", NULL), TS_OK);
    assert_int_equal(store_fx_add_session(f->st, "s0", "u5", 1, 1L << 40, "h0"), TS_OK);
    assert_int_equal(store_fx_add_session(f->st, "s1", "u1", 1, 1L << 40, "h1"), TS_OK);
    assert_int_equal(store_fx_add_session(f->st, "s2", "u2", 1, 1L << 40, "h2"), TS_OK);
    assert_int_equal(rotate(f->st, "h2", "h2b", 10, NULL), REFRESH_ROTATED);
    snprintf(c.id, sizeof c.id, "c9");
    snprintf(c.auth_method, sizeof c.auth_method, "none");
    assert_int_equal(OPS(f)->client_insert(f->st, &c), TS_OK);

    t = now_s();
    assert_int_equal(OPS(f)->wait_change(f->st, 3000), TS_OK);
    assert_true(now_s() - t < 1.0);                       /* new connection: at once */
    t = now_s();
    assert_int_equal(OPS(f)->wait_change(f->st, 700), TS_OK);
    t = now_s() - t;
    assert_true(t >= 0.6 && t < 2.0);                      /* nothing: the timeout */

    for (int i = 0; i < 10; i++) {
        t = wait_across(f->st, notify_act, other, i);
        if (t >= 2.0)
            fail_msg("write %d did not wake wait_change (%.2f s)", i, t);
    }
    /* wake() from another thread ends a wait at once; without a wait in progress, it
     * ends the next one. */
    struct waiter w = { .st = f->st, .timeout_ms = 5000 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
    usleep(200 * 1000);
    OPS(f)->wake(f->st);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.err, TS_OK);
    assert_true(w.took < 1.0);
    OPS(f)->wake(f->st);
    OPS(f)->wake(f->st);
    t = now_s();
    assert_int_equal(OPS(f)->wait_change(f->st, 3000), TS_OK);
    assert_true(now_s() - t < 0.5);
    /* A read or a plain login writes nothing that wakes it. */
    assert_int_equal(store_fx_add_session(other, "s7", "u1", 1, 1L << 40, "h7"), TS_OK);
    t = now_s();
    assert_int_equal(OPS(f)->wait_change(f->st, 700), TS_OK);
    assert_true(now_s() - t >= 0.6);
    other->ops->close(other);
}

/* The listening connection killed (a database restart, a failover): wait_change
 * notices, connects again and answers at once. */
static void wait_change_recovers_a_lost_connection(void **state)
{
    struct fx *f = FX(state);
    char sql[300];
    double t;

    assert_int_equal(OPS(f)->wait_change(f->st, 100), TS_OK);     /* connects */
    pthread_t th;
    struct waiter w = { .st = f->st, .timeout_ms = 5000 };
    assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
    usleep(300 * 1000);
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE datname = '%s' AND query LIKE 'LISTEN%%'", f->db);
    raw_exec(f, sql);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.err, TS_OK);
    assert_true(w.took < 2.0);
    /* Listening again: a revocation wakes it. */
    struct store *other = another(f);
    assert_int_equal(store_fx_add_session(f->st, "s0", "u1", 1, 1L << 40, "h0"), TS_OK);
    t = wait_across(f->st, notify_act, other, 0);          /* revokes s0 */
    assert_true(t < 2.0);
    other->ops->close(other);
}

/* --- the pool after its connections die -------------------------------------------- */

static void *reader(void *arg)
{
    struct store *st = arg;
    for (int i = 0; i < 50; i++) {
        struct user_rec u;
        if (st->ops->user_get(st, USER_BY_ID, "u1", &u))
            return (void *)1;
        user_rec_clear(&u);
    }
    return NULL;
}

static void pool_survives_killed_connections(void **state)
{
    struct fx *f = FX(state);
    pthread_t t[6];
    char sql[300], sid[16], hash[16];
    struct session_rec s;
    enum refresh_outcome oc;

    assert_int_equal(add_user(f->st, "u1", "one@example.com", NULL), TS_OK);
    /* Open every connection of the pool. */
    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, f->st), 0);
    for (int i = 0; i < 6; i++) {
        void *rv;
        assert_int_equal(pthread_join(t[i], &rv), 0);
        assert_null(rv);
    }
    assert_true(raw_int(f, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND pid <> pg_backend_pid()") >= 2);
    /* Kill them all, as a restart would; then every kind of operation works again at
     * the first try: reads, single writes, transactions. */
    for (int round = 0; round < 3; round++) {
        snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(pid) FROM "
                 "pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()",
                 f->db);
        raw_exec(f, sql);
        usleep(100 * 1000);
        snprintf(sid, sizeof sid, "s%d", round);
        snprintf(hash, sizeof hash, "h%d", round);
        assert_int_equal(store_fx_add_session(f->st, sid, "u1", T0, T0 + 1000, hash),
                         TS_OK);
        assert_int_equal(OPS(f)->session_get(f->st, sid, &s), TS_OK);
        raw_exec(f, sql);
        usleep(100 * 1000);
        assert_int_equal(OPS(f)->refresh_rotate(f->st, hash, "next", T0 + 1 + round,
                                                GRACE, IDLE, NULL, NULL, &oc, &s), TS_OK);
        assert_int_equal(oc, REFRESH_ROTATED);
        raw_exec(f, "DELETE FROM refresh_tokens WHERE hash = 'next'");
        raw_exec(f, sql);
        usleep(100 * 1000);
        assert_int_equal(OPS(f)->session_revoke(f->st, sid, T0 + 5), TS_OK);
        assert_int_equal(OPS(f)->ping(f->st), TS_OK);
    }
}

/* --- URLs -------------------------------------------------------------------------- */

/* Runs store_open(url) with stderr (the log) captured into buf. */
static ts_err open_logged(const char *url, struct store **st, char *buf, size_t size)
{
    char path[] = "/tmp/test_store_pg.XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    ts_err err = store_open(url, st);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, size - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return err;
}

static void urls_and_passwords(void **state)
{
    struct fx *f = FX(state);
    struct store *st = NULL;
    char url[700], log[8192], shown[64];
    int64_t n;

    /* Both schemes, and tessera's own pool_size among libpq's parameters. */
    snprintf(url, sizeof url, "%s?pool_size=2&application_name=t1", f->url);
    assert_int_equal(store_open(url, &st), TS_OK);
    assert_int_equal(pg_of(st)->pool_size, 2);
    assert_int_equal(st->ops->user_count(st, &n), TS_OK);
    st->ops->close(st);
    assert_true(!strncmp(f->url, "postgresql://", 13));
    snprintf(url, sizeof url, "postgres://%s?pool_size=1", f->url + 13);
    assert_int_equal(store_open(url, &st), TS_OK);
    assert_int_equal(pg_of(st)->pool_size, 1);
    st->ops->close(st);

    static const char *const bad[] = {
        "postgresql://u:s3cr%zzet-pw@127.0.0.1/x",         /* bad percent-encoding */
        "postgresql://u:s3cr%zzet-pw@127.0.0.1/x?pool_size=0",
        "postgresql://u:s3cr%zzet-pw@127.0.0.1/x?pool_size=65",
        "postgresql://u:s3cr%zzet-pw@127.0.0.1/x?s3cr%zzet-pw=1",
        "postgresql://u:s3cr%zzet-pw@127.0.0.1/x?pool_size=s3cr%zzet-pw",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = (struct store *)1;
        assert_int_equal(open_logged(bad[i], &st, log, sizeof log), TS_EINVAL);
        assert_null(st);
        if (strstr(log, "s3cr"))
            fail_msg("the log shows the password: %s", log);
    }
    /* A server that is not there, a wrong password: TS_EDB, no password logged. */
    assert_int_equal(open_logged("postgresql://u:s3cr3t-pw@127.0.0.1:1/x", &st, log,
                                 sizeof log), TS_EDB);
    assert_null(st);
    assert_null(strstr(log, "s3cr3t"));
    assert_non_null(strstr(log, "cannot connect"));
    const char *at = strchr(f->url + 13, '@');
    assert_non_null(at);
    snprintf(url, sizeof url, "postgresql://tessera:wrong-s3cr3t%s", at);
    assert_int_equal(open_logged(url, &st, log, sizeof log), TS_EDB);
    assert_null(strstr(log, "wrong-s3cr3t"));
    /* What an error message may show of a URL. */
    assert_string_equal(store_url_display(f->url, shown, sizeof shown),
                        "postgresql://...");
    assert_string_equal(store_url_display("/var/lib/t.db", shown, sizeof shown),
                        "/var/lib/t.db");
    assert_string_equal(store_url_display("sqlite:t.db", shown, sizeof shown),
                        "sqlite:t.db");
}

/* Every operation of store.h has a PostgreSQL implementation, those added later too:
 * after `scheme` the ops table holds only function pointers, so a NULL among them is an
 * operation someone added to store.h and to SQLite but not here. Needs no server. */
static void every_operation_is_implemented(void **state)
{
    typedef void (*fn)(void);
    const unsigned char *p = (const unsigned char *)&store_pg_ops;
    size_t first = offsetof(struct store_ops, open);

    (void)state;
    assert_non_null(store_pg_ops.scheme);
    assert_int_equal((sizeof store_pg_ops - first) % sizeof(fn), 0);
    for (size_t off = first; off < sizeof store_pg_ops; off += sizeof(fn)) {
        fn f;
        memcpy(&f, p + off, sizeof f);
        if (!f)
            fail_msg("store_pg_ops: the operation at byte %zu of struct store_ops is "
                     "NULL", off);
    }
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_operation_is_implemented),
        cmocka_unit_test_setup_teardown(migrations_are_the_portable_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(migrations_race_safely, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(lists_are_in_byte_order, setup, teardown),
        cmocka_unit_test_setup_teardown(text_that_is_not_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_uses_across_instances, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(audit_ids_stay_dense_across_instances, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(wait_change_wakes_on_every_revoking_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(wait_change_recovers_a_lost_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(pool_survives_killed_connections, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(urls_and_passwords, setup, teardown),
    };
    int failed = store_contract_run("store contract on PostgreSQL", &pg_backend);
    failed += cmocka_run_group_tests_name("PostgreSQL only", tests, NULL, NULL);
    drop_shared();
    return failed;
}
