/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store contract suite: the tests of what store.h promises, written once and run
 * against each backend's ops table, SQLite by test_store.c and PostgreSQL by
 * test_store_pg.c (when TESSERA_TEST_PG_URL names a server). What only one backend
 * has (file modes, pragmas, its own migration dialect, NOTIFY, the pool) stays in
 * that backend's file.
 *
 * A backend gives each test a fixture, a freshly migrated empty database behind
 * f->st, through its setup function; setup leaves *state NULL to skip the test.
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

/* Runs every contract test as the cmocka group `group`, each between setup and
 * teardown (cmocka fixtures; *state is a struct store_fx *, or NULL to skip).
 * Returns the number of tests that failed. */
int store_contract_run(const char *group, int (*setup)(void **state),
                       int (*teardown)(void **state));

/* Helpers the backends' own tests share with the contract: a user ("Name of ID",
 * roles ["user"], a password hash) and a confidential client with every field set. */
ts_err store_fx_add_user(struct store_fx *f, const char *id, const char *email,
                         const char *username);
ts_err store_fx_add_client(struct store_fx *f, const char *id);

/* The admin API's queries (user_search, session_page, audit_list), in
 * store_contract_admin.c; store_contract_run runs them too. */
extern const struct CMUnitTest store_contract_admin_tests[];
extern const size_t store_contract_admin_count;

#endif
