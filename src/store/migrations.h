/* SPDX-License-Identifier: Apache-2.0 */
/* The schema migrations compiled into the binary (from src/store/migrations/). */
#ifndef STORE_MIGRATIONS_H
#define STORE_MIGRATIONS_H

struct migration {
    int version;        /* from the file name: 0001_init.sql -> 1 */
    const char *name;   /* "0001_init" */
    const char *sql;    /* the whole file */
};

/* Ordered by version, ended by an entry with version 0. store_migrations is the list
 * every backend applies (portable SQL, run as is by SQLite); store_pg_migrations holds
 * the PostgreSQL dialect of some of them (src/store/migrations/pg/, same version and
 * name), which the PostgreSQL backend runs in their place. */
extern const struct migration store_migrations[];
extern const struct migration store_pg_migrations[];

#endif
