/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store contract suite: the tests of what store.h promises, written once and run
 * against each backend's ops table, SQLite by test_store.c and PostgreSQL by
 * test_store_pg.c (when TESSERA_TEST_PG_URL names a server). What only one backend
 * has (file modes, pragmas, its own migration dialect, NOTIFY, the pool) stays in
 * that backend's file.
 *
 * Each test gets a fixture, a freshly migrated empty database behind f->st, made
 * here from what the backend's file supplies (struct store_fx_backend): its own
 * fixture's setup and teardown and the hooks acting on it.
 */
#ifndef TESTS_STORE_CONTRACT_H
#define TESTS_STORE_CONTRACT_H

#include <stdint.h>

#include "store/store.h"

struct store_fx {
    struct store *st;
    /* Runs sql (the SQL both backends speak) on a connection of its own, as another
     * process would; fails the test when it fails. */
    void (*exec)(struct store_fx *f, const char *sql);
    /* The integer in the first column of the first row of sql, -1 for NULL. */
    int64_t (*int_of)(struct store_fx *f, const char *sql);
    /* Closes f->st and opens the same database again, without migrating. */
    void (*reopen)(struct store_fx *f);
    /* Another store on the same database, as another instance would open it. */
    struct store *(*another)(struct store_fx *f);
    /* Makes f->st's next jti_revoke purge as if `seconds` more had passed since its
     * last purge. */
    void (*age_jti_purge)(struct store_fx *f, int64_t seconds);
};

/* A backend's side of the fixture. `be` is the backend's own fixture: setup (a cmocka
 * setup function) makes it with a freshly migrated empty database, setup_empty with
 * an empty one (the migration tests), or leaves *be NULL when the backend is not
 * there (the test skips); teardown removes it. The hooks are those of struct
 * store_fx, on be; store(be) is its open store, also after reopen(be). */
struct store_fx_backend {
    int (*setup)(void **be);
    int (*setup_empty)(void **be);
    int (*teardown)(void **be);
    struct store *(*store)(void *be);
    void (*exec)(void *be, const char *sql);
    int64_t (*int_of)(void *be, const char *sql);
    void (*reopen)(void *be);
    struct store *(*another)(void *be);
    void (*age_jti_purge)(struct store *st, int64_t seconds);
};

/* Runs every contract test as the cmocka group `group`, each on a fixture of its own
 * made with b. Returns the number of tests that failed. */
int store_contract_run(const char *group, const struct store_fx_backend *b);

/* Helpers the backends' own tests share with the contract: a user ("Name of ID",
 * roles ["user"], a password hash), a confidential client with every field set, and
 * a session of client "cli" (user agent "ua-1", ip 10.0.0.1, last used when created)
 * that add_session stores with refresh token `hash` (NULL: none). */
ts_err store_fx_add_user(struct store_fx *f, const char *id, const char *email,
                         const char *username);
ts_err store_fx_add_client(struct store_fx *f, const char *id);
struct session_rec store_fx_make_session(const char *id, const char *user_id,
                                         int64_t created, int64_t expires);
ts_err store_fx_add_session(struct store *st, const char *id, const char *user_id,
                            int64_t created, int64_t expires, const char *hash);

/* The admin API's queries (user_search, session_page, audit_list), in
 * store_contract_admin.c; store_contract_run runs them too. */
extern const struct CMUnitTest store_contract_admin_tests[];
extern const size_t store_contract_admin_count;

#endif
