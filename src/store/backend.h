/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What both storage backends (sqlite.c, postgres.c) share, defined in store.c: checks
 * of the fixed-size record fields and the one normalisation of lookup keys, so the
 * two backends store and find the same bytes.
 */
#ifndef STORE_BACKEND_H
#define STORE_BACKEND_H

#include <stddef.h>
#include <string.h>

#include "base/err.h"
#include "store/store.h"

/* A fixed-size record field holds its NUL (so strlen and binding stay inside it). */
#define FIELD_OK(field) (memchr((field), '\0', sizeof(field)) != NULL)

/* Logs "BACKEND: WHAT: a record field is not NUL-terminated"; returns TS_EDB. */
ts_err store_unterminated(const char *backend, const char *what);

/* ASCII-lowercased copy of the lookup key `in` (emails, usernames); -1 when it does
 * not fit in size. */
int store_lower_copy(const char *in, char *out, size_t size);

/* The answer of a write of one row by its key (an update, a revoke) that changed
 * `changes` rows: err when it failed, TS_ENOTFOUND when it changed none (no such row),
 * else TS_OK after store_changed(st). */
ts_err store_row_written(struct store *st, ts_err err, int changes);

/* What refresh_lookup found: the token's session and its times. */
struct token_found {
    struct session_rec r;
    int64_t created, retired;
};

/* Hands what refresh_lookup found to the outputs that are not NULL: *found when err
 * is TS_OK, zeroes otherwise. Returns err. */
ts_err store_lookup_result(ts_err err, const struct token_found *found,
                           struct session_rec *session, int64_t *created_at,
                           int64_t *retired_at);

#endif
