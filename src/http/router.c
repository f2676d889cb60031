/* SPDX-License-Identifier: Apache-2.0 */
/* Matching a request to a route row. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

static int table_rows(const struct route *t)
{
    int n = 0;
    while (t[n].method)
        n++;
    return n;
}

int router_mount(struct router *r, const struct route *table)
{
    if (r->ntables == ROUTER_MAX_TABLES)
        return -1;
    r->rows[r->ntables] = table_rows(table);
    r->tables[r->ntables++] = table;
    return 0;
}

int router_rows(const struct router *r)
{
    int n = 0;
    for (int t = 0; t < r->ntables; t++)
        n += r->rows[t];
    return n;
}

int router_row(const struct router *r, const struct route *rt)
{
    int base = 0;
    for (int t = 0; rt && t < r->ntables; t++) {
        int n = r->rows[t];
        if (rt >= r->tables[t] && rt < r->tables[t] + n)
            return base + (int)(rt - r->tables[t]);
        base += n;
    }
    return -1;
}

/* "/a/{id}/c" matches "/a/xyz/c": {id} stands for one non-empty segment, anywhere;
 * the rest matches exactly. */
static int path_matches(const char *pattern, const char *path, const char **param,
                        size_t *param_len)
{
    const char *brace = strstr(pattern, "{id}");
    if (!brace)
        return strcmp(pattern, path) == 0;
    size_t prefix = (size_t)(brace - pattern);
    if (strncmp(pattern, path, prefix) != 0)
        return 0;
    const char *seg = path + prefix;
    const char *end = strchr(seg, '/');
    size_t n = end ? (size_t)(end - seg) : strlen(seg);
    if (n == 0 || strcmp(brace + 4, seg + n) != 0)
        return 0;
    *param = seg;
    *param_len = n;
    return 1;
}

ts_err router_match(const struct router *r, const char *method, const char *path,
                    const struct route **out, const char **param, size_t *param_len,
                    char *allow, size_t allowlen)
{
    int path_seen = 0;
    size_t used = 0;
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;

    *out = NULL;
    *param = NULL;
    *param_len = 0;
    allow[0] = '\0';
    for (int t = 0; t < r->ntables; t++) {
        for (const struct route *rt = r->tables[t]; rt->method; rt++) {
            const char *p = NULL;
            size_t pl = 0;
            if (!path_matches(rt->path, path, &p, &pl))
                continue;
            if (strcmp(rt->method, want) == 0) {
                *out = rt;
                *param = p;
                *param_len = pl;
                return TS_OK;
            }
            if (!path_seen || !strstr(allow, rt->method)) {
                int n = snprintf(allow + used, allowlen - used, "%s%s",
                                 used ? ", " : "", rt->method);
                if (n > 0 && (size_t)n < allowlen - used)
                    used += (size_t)n;
            }
            path_seen = 1;
        }
    }
    return path_seen ? TS_EMETHOD : TS_ENOTFOUND;
}
