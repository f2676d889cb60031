/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct app: everything a running server (or an operator command) shares: the
 * configuration, the store, the key ring and the derived secrets. Built by
 * app_open(), which opens and migrates the store and loads (or creates) the keys.
 */
#ifndef CORE_APP_H
#define CORE_APP_H

#include <stdatomic.h>

#include "core/config.h"
#include "store/store.h"

struct keyring;
struct worker_pool;
struct audit_queue;
struct client_cache;
struct ratelimit;
struct token_cache;
struct revoked;

struct app {
    struct config cfg;
    struct store *st;
    struct keyring *keys;
    struct worker_pool *workers;       /* server only; NULL in operator commands */
    struct audit_queue *audit;         /* server only: the audit writer (audit.c) */
    struct client_cache *clients;      /* recently read clients (client_cache.c) */
    struct ratelimit *limits;          /* rate-limit buckets (ratelimit.c) */
    struct token_cache *tokens;        /* verified access tokens (token_cache.c) */
    struct revoked *revoked;           /* server only: revoked sessions and jtis
                                        * (revoked.c); NULL: ask the store */
    unsigned char refresh_key[32];     /* HMAC key deriving successor refresh tokens */
    atomic_long active_requests;
};

enum app_open_flags {
    APP_MIGRATE   = 1 << 0,   /* apply pending migrations */
    APP_KEYS      = 1 << 1,   /* load the key ring, creating a key when none exists */
};

/* Opens the store named by cfg->database_url and prepares what `flags` ask. On error
 * writes one line into err and returns nonzero; *out is then NULL. */
ts_err app_open(const struct config *cfg, unsigned flags, struct app **out,
                char *err, size_t errlen);
void app_close(struct app *a);          /* NULL is fine */

/* Readiness (/readyz): TS_OK when the store answers reads and writes now; TS_EBUSY
 * while another process holds a lock, TS_ENOTFOUND when the database is no longer
 * where it was opened, TS_EDB otherwise (see store_ping). */
ts_err app_ping(struct app *a);

/* `tessera db migrate`: opens the store cfg->database_url names, applies its pending
 * migrations (*applied counts them), reads the schema version into *version and
 * closes the store. On error writes one line into err ("cannot open database ...",
 * "migration failed: ..."). */
ts_err app_migrate(const struct config *cfg, int *applied, int *version, char *err,
                   size_t errlen);

#endif
