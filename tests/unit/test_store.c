/* SPDX-License-Identifier: Apache-2.0 */
/* src/store/: the SQLite backend against a real temporary database file: the store
 * contract suite (store_contract.c), then what only SQLite has (the file, its pragmas,
 * its URL forms, its migration dialect). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/sqlite_int.h"
#include "store/store.h"
#include "store_contract.h"

struct fx {
    char dir[64];
    char path[128];
    struct store *st;
};

#define OPS(f) ((f)->st->ops)

static int count_migrations(void)
{
    int n = 0;
    while (store_migrations[n].version)
        n++;
    return n;
}

static int open_fx(struct fx *f, int migrate)
{
    char url[160];
    int applied = -1;

    snprintf(url, sizeof url, "sqlite:%s", f->path);
    if (store_open(url, &f->st) != TS_OK)
        return -1;
    if (migrate && OPS(f)->migrate(f->st, &applied) != TS_OK)
        return -1;
    return 0;
}

static int setup_with(void **state, int migrate)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_store.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    *state = f;
    return open_fx(f, migrate);
}

static int setup(void **state) { return setup_with(state, 1); }
static int setup_empty(void **state) { return setup_with(state, 0); }

static int teardown(void **state)
{
    struct fx *f = *state;
    char p[160];
    if (f->st)
        f->st->ops->close(f->st);
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void reopen(struct fx *f)
{
    f->st->ops->close(f->st);
    f->st = NULL;
    assert_int_equal(open_fx(f, 0), 0);
}

/* A second, independent connection, as another process would have. */
static sqlite3 *raw_open(struct fx *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_busy_timeout(db, 5000), SQLITE_OK);
    return db;
}

static void raw_exec(struct fx *f, const char *sql)
{
    sqlite3 *db = raw_open(f);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        print_error("%s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
    assert_int_equal(rc, SQLITE_OK);
}

/* The integer the first column of the first row of sql holds (-1 for NULL). */
static int64_t raw_int(struct fx *f, const char *sql)
{
    sqlite3 *db = raw_open(f);
    sqlite3_stmt *stmt = NULL;
    int64_t v;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    v = sqlite3_column_type(stmt, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

/* PRAGMA values as the store's own connection sees them. */
static int64_t store_pragma(struct store *st, const char *sql, char *text, size_t size)
{
    sqlite3_stmt *stmt = NULL;
    int64_t v;
    assert_int_equal(sqlite3_prepare_v2(sqlite_of(st)->db, sql, -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    v = sqlite3_column_int64(stmt, 0);
    if (text)
        snprintf(text, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return v;
}

/* The contract suite's fixture (store_contract.h) on a SQLite file of its own. */
static struct store *be_store(void *be) { return ((struct fx *)be)->st; }
static void be_exec(void *be, const char *sql) { raw_exec(be, sql); }
static int64_t be_int(void *be, const char *sql) { return raw_int(be, sql); }
static void be_reopen(void *be) { reopen(be); }

static struct store *be_another(void *be)
{
    struct store *st = NULL;
    char url[160];
    snprintf(url, sizeof url, "sqlite:%s", ((struct fx *)be)->path);
    assert_int_equal(store_open(url, &st), TS_OK);
    return st;
}

static void be_age_jti_purge(struct store *st, int64_t seconds)
{
    sqlite_of(st)->jti_purged_at -= seconds;
}

static const struct store_fx_backend sqlite_backend = {
    setup, setup_empty, teardown, be_store, be_exec, be_int, be_reopen, be_another,
    be_age_jti_purge,
};

static ts_err add_user(struct fx *f, const char *id, const char *email,
                       const char *username)
{
    struct store_fx v = { .st = f->st };
    return store_fx_add_user(&v, id, email, username);
}

static ts_err add_client(struct fx *f, const char *id)
{
    struct store_fx v = { .st = f->st };
    return store_fx_add_client(&v, id);
}

static void open_picks_the_backend_by_url(void **state)
{
    struct fx *f = *state;
    struct store *st = (struct store *)1;
    char url[200], mode[16];
    struct stat sb;

    /* The fixture created the file through store_open: owner-only. */
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(store_pragma(f->st, "PRAGMA synchronous", NULL, 0), 1); /* NORMAL */
    store_pragma(f->st, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    assert_int_equal(store_pragma(f->st, "PRAGMA foreign_keys", NULL, 0), 1);
    assert_int_equal(store_pragma(f->st, "PRAGMA busy_timeout", NULL, 0), 5000);
    assert_int_equal(add_user(f, "u1", "one@example.com", NULL), TS_OK);

    const char *forms[] = { "%s", "file:%s", "sqlite://%s", "%s?synchronous=full",
                            "sqlite:%s?synchronous=FULL" };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int64_t n = -1;
        snprintf(url, sizeof url, forms[i], f->path);
        assert_int_equal(store_open(url, &st), TS_OK);
        assert_ptr_equal(st->ops, &store_sqlite_ops);
        assert_int_equal(st->ops->user_count(st, &n), TS_OK);
        assert_int_equal(n, 1);                     /* the same file */
        assert_int_equal(store_pragma(st, "PRAGMA synchronous", NULL, 0),
                         strstr(forms[i], "synchronous") ? 2 : 1);
        st->ops->close(st);
    }

    /* PostgreSQL URLs go to that backend (test_store_pg.c). */
    const char *bad[] = { "mysql://localhost/t", "", "sqlite:", "sqlite:x.db?sync=full",
                          "sqlite:x.db?synchronous=sometimes" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = (struct store *)1;
        assert_int_equal(store_open(bad[i], &st), TS_EINVAL);
        assert_null(st);
    }
    snprintf(url, sizeof url, "%s/no/such/dir/t.db", f->dir);
    assert_int_equal(store_open(url, &st), TS_EDB);
    assert_null(st);
}

static void migrate_from_version_1_adds_clients(void **state)
{
    struct fx *f = *state;
    struct session_rec s;
    int version = -1, applied = -1, n = count_migrations();
    char sql[200];

    assert_true(n >= 2);
    assert_int_equal(store_migrations[1].version, 2);
    assert_string_equal(store_migrations[1].name, "0002_clients");
    /* A database left by a binary that knew only 0001, holding a session of "cli". */
    raw_exec(f, store_migrations[0].sql);
    snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (1, '%s', 0)",
             store_migrations[0].name);
    raw_exec(f, sql);
    raw_exec(f, "INSERT INTO sessions (id, user_id, client_id, created_at, "
                "last_used_at, expires_at) VALUES ('s1', 'u1', 'cli', 1, 1, 5000)");
    assert_int_equal(OPS(f)->schema_version(f->st, &version), TS_OK);
    assert_int_equal(version, 1);

    assert_int_equal(OPS(f)->migrate(f->st, &applied), TS_OK);
    assert_int_equal(applied, n - 1);
    assert_int_equal(OPS(f)->schema_version(f->st, &version), TS_OK);
    assert_int_equal(version, store_migrations[n - 1].version);
    assert_true(version >= 2);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM schema_migrations WHERE "
                             "version = 2 AND name = '0002_clients'"), 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM sqlite_master WHERE name IN "
                             "('clients', 'revoked_tokens', "
                             "'revoked_tokens_expires_at', 'sessions_client_id')"), 4);

    assert_int_equal(add_client(f, "cli"), TS_OK);
    int64_t now = 400;
    assert_int_equal(OPS(f)->client_delete(f->st, "cli", 300), TS_OK);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &s), TS_OK);
    assert_int_equal(s.revoked_at, 300);
    assert_int_equal(OPS(f)->jti_revoke(f->st, "j1", 5000, now), TS_OK);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "j1"), TS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_picks_the_backend_by_url, setup, teardown),
        cmocka_unit_test_setup_teardown(migrate_from_version_1_adds_clients, setup_empty,
                                        teardown),
    };
    int failed = store_contract_run("store contract on SQLite", &sqlite_backend);
    return failed + cmocka_run_group_tests_name("SQLite only", tests, NULL, NULL);
}
