/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The paging rules both backends apply to their lists (users, clients, user search,
 * sessions, audit events, revoked jtis), written once: rows are read a chunk at a
 * time after a cursor, each chunk with the backend's lock or connection held only
 * while it is read, and handed to the caller's callback with neither held (so a
 * callback may call the store again). A list stops at `limit` rows, at a short chunk
 * (nothing more is stored), at an error or when the callback says stop.
 */
#ifndef STORE_PAGING_H
#define STORE_PAGING_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

/* Rows a list reads per chunk. */
#define STORE_LIST_CHUNK 64

/* One list's walk; ctx (given to page_walk) holds the cursor and the caller's
 * callback. */
struct page_walk {
    size_t size;               /* bytes of one row */
    /* Reads up to `want` (>= 1) rows after the cursor in ctx into rows (room for
     * want), *n of them; on error *n rows may still hold what needs clearing. */
    ts_err (*fetch)(void *ctx, int want, void *rows, int *n);
    /* Moves the cursor in ctx to `row`, the last of a full chunk. */
    void (*advance)(void *ctx, const void *row);
    /* Hands one row to the caller; nonzero stops the list. */
    int (*deliver)(void *ctx, const void *row);
    /* Releases what a row holds (NULL: nothing); called for every row read. */
    void (*clear)(void *row);
};

/* Walks the list: at most limit rows (limit <= 0: every row) delivered in order.
 * Rows read after an error or a stop are cleared, not delivered. Returns the first
 * error of a fetch, TS_ENOMEM when the chunk cannot be allocated, else TS_OK. */
ts_err page_walk(const struct page_walk *w, void *ctx, int limit);

/* The cursor of session_page (store.h): 0 when after_id is NULL or "" (from the
 * newest), 1 with start->created_at and start->id set from it, -1 when after_id is
 * longer than any stored id (nothing can follow it: an empty page). */
int page_session_cursor(int64_t after_created, const char *after_id,
                        struct session_rec *start);

#endif
