/* The schema migrations compiled into the binary (from src/store/migrations/). */
#ifndef STORE_MIGRATIONS_H
#define STORE_MIGRATIONS_H

struct migration {
    int version;        /* from the file name: 0001_init.sql -> 1 */
    const char *name;   /* "0001_init" */
    const char *sql;    /* the whole file; portable SQL (SQLite and PostgreSQL) */
};

/* Ordered by version, ended by an entry with version 0. */
extern const struct migration store_migrations[];

#endif
