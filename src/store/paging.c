/* SPDX-License-Identifier: Apache-2.0 */
/* The paging rules of the backends' lists (store/paging.h). */
#include "store/paging.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

ts_err page_walk(const struct page_walk *w, void *ctx, int limit)
{
    int remaining = limit > 0 ? limit : INT_MAX, n, stop = 0;
    ts_err err = TS_OK;
    char *rows = calloc(STORE_LIST_CHUNK, w->size);

    if (!rows)
        return TS_ENOMEM;
    while (!stop && remaining > 0) {
        int want = remaining < STORE_LIST_CHUNK ? remaining : STORE_LIST_CHUNK;
        n = 0;
        err = w->fetch(ctx, want, rows, &n);
        for (int i = 0; i < n; i++) {
            char *row = rows + (size_t)i * w->size;
            if (!err && !stop)
                stop = w->deliver(ctx, row);
            if (i == n - 1 && !err && n == want)
                w->advance(ctx, row);
            if (w->clear)
                w->clear(row);
        }
        if (err || n < want)
            break;
        remaining -= n;
    }
    free(rows);
    return err;
}

int page_session_cursor(int64_t after_created, const char *after_id,
                        struct session_rec *start)
{
    memset(start, 0, sizeof *start);
    if (!after_id || !*after_id)
        return 0;
    size_t len = strlen(after_id);
    if (len >= sizeof start->id)
        return -1;
    start->created_at = after_created;
    memcpy(start->id, after_id, len + 1);
    return 1;
}
