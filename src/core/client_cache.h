/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client rows kept in memory for at most CLIENT_CACHE_TTL_MS, so the token endpoint
 * does not read the store on every request (perf: the lookup was 15 % of the server's
 * CPU on client_credentials). A change made by this process (rotate, disable, delete)
 * forgets the entry at once; one made elsewhere (the operator CLI, another instance)
 * is seen within the TTL. Sharded: one lock per slot.
 */
#ifndef CORE_CLIENT_CACHE_H
#define CORE_CLIENT_CACHE_H

#include "core/app.h"

#define CLIENT_CACHE_TTL_MS 1000

struct client_cache;

ts_err client_cache_new(struct client_cache **out);
void client_cache_free(struct client_cache *c);     /* NULL is fine */

/* The client with this id, from the cache when fresh, else from the store (and
 * remembered). *out as from store_client_get; clear it with client_rec_clear. */
ts_err client_cache_get(struct app *a, const char *id, struct client_rec *out);
/* Drops the entry of `id`, after this process changed or deleted the client. */
void client_cache_forget(struct app *a, const char *id);

#endif
