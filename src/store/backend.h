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

/* A fixed-size record field holds its NUL (so strlen and binding stay inside it). */
#define FIELD_OK(field) (memchr((field), '\0', sizeof(field)) != NULL)

/* Logs "BACKEND: WHAT: a record field is not NUL-terminated"; returns TS_EDB. */
ts_err store_unterminated(const char *backend, const char *what);

/* ASCII-lowercased copy of the lookup key `in` (emails, usernames); -1 when it does
 * not fit in size. */
int store_lower_copy(const char *in, char *out, size_t size);

#endif
