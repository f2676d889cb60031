/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The router: finds the route row for a method and path among the tables the server
 * mounts. It alone decides 404 and 405 (with the Allow list).
 */
#ifndef HTTP_ROUTER_H
#define HTTP_ROUTER_H

#include <stddef.h>

#include "http/http.h"

/* A route table ends with a row whose method is NULL. */
#define ROUTER_MAX_TABLES 16

struct router {
    const struct route *tables[ROUTER_MAX_TABLES];
    int rows[ROUTER_MAX_TABLES];       /* each table's rows, counted by router_mount */
    int ntables;
};

/* Adds a table (not copied; it must outlive the router). -1 when full. */
int router_mount(struct router *r, const struct route *table);

/* The place of row rt among all mounted rows (the first table's first row is 0), -1
 * when rt is not one of them; router_rows: how many rows there are. */
int router_row(const struct router *r, const struct route *rt);
int router_rows(const struct router *r);

/* TS_OK with *out set (and *param to the {id} segment inside `path`, length in
 * *param_len); TS_ENOTFOUND when no route has this path; TS_EMETHOD when some do but
 * not with this method, with allow[] filled ("GET, POST"). HEAD matches GET. */
ts_err router_match(const struct router *r, const char *method, const char *path,
                    const struct route **out, const char **param, size_t *param_len,
                    char *allow, size_t allowlen);

#endif
