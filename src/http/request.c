/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a request: headers, query arguments, the JSON body and its fields. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

struct find {
    const char *name;
    const char *value;
};

static int find_line(void *cls, const char *name, const char *value)
{
    struct find *f = cls;
    if (!name || strcasecmp(name, f->name) != 0)
        return 0;
    f->value = value;
    return 1;
}

/* The first line of `kind` named `name` (any case), as libmicrohttpd's lookup. */
static const char *lookup(const struct request *req, enum http_kind kind,
                          const char *name)
{
    struct find f = { name, NULL };
    if (req->io)
        req->io->each(req->io_src, kind, find_line, &f);
    return f.value;
}

const char *http_header(const struct request *req, const char *name)
{
    return lookup(req, HTTP_KIND_HEADER, name);
}

const char *http_query(const struct request *req, const char *name)
{
    return lookup(req, HTTP_KIND_QUERY, name);
}

/* Deepest nesting of [ and { outside strings; a cheap guard before the parser. */
static int json_depth_ok(const char *s, size_t n, int max)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

ts_err http_body_json(const struct request *req, struct response *res, json_t **out)
{
    json_error_t je;

    *out = NULL;
    if (!req->body || req->body_len == 0)
        return http_fail(res, TS_EINVAL, "The request body must be a JSON object.");
    if (!json_depth_ok(req->body, req->body_len, HTTP_MAX_JSON_DEPTH))
        return http_fail(res, TS_EINVAL, "The JSON body is nested deeper than %d levels.",
                         HTTP_MAX_JSON_DEPTH);
    json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return http_fail(res, TS_EINVAL, "The request body is not valid JSON: %s.",
                         je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return http_fail(res, TS_EINVAL, "The request body must be a JSON object.");
    }
    *out = v;
    return TS_OK;
}

ts_err http_json_str(json_t *obj, const char *name, size_t max, int required,
                     struct response *res, const char **out)
{
    json_t *v = json_object_get(obj, name);

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return http_fail(res, TS_EINVAL, "The field '%s' is required.", name);
        return TS_OK;
    }
    if (!json_is_string(v))
        return http_fail(res, TS_EINVAL, "The field '%s' must be a string.", name);
    size_t n = json_string_length(v);
    if (n > max)
        return http_fail(res, TS_EINVAL, "The field '%s' is longer than %zu bytes.",
                         name, max);
    if (memchr(json_string_value(v), '\0', n))
        return http_fail(res, TS_EINVAL, "The field '%s' contains a NUL character.", name);
    if (n == 0 && required)
        return http_fail(res, TS_EINVAL, "The field '%s' must not be empty.", name);
    *out = json_string_value(v);
    return TS_OK;
}

struct count_ctx {
    const char *name;
    const char *first;
    int n;
};

static int count_arg(void *cls, const char *key, const char *value)
{
    struct count_ctx *c = cls;
    if (key && strcmp(key, c->name) == 0 && c->n++ == 0)
        c->first = value ? value : "";
    return 0;
}

int http_query_all(const struct request *req, const char *name, const char **first)
{
    struct count_ctx c = { name, NULL, 0 };
    if (req->io)
        req->io->each(req->io_src, HTTP_KIND_QUERY, count_arg, &c);
    *first = c.first;
    return c.n;
}

int http_defer_to_worker(struct request *req)
{
    if (req->on_worker)
        return 0;
    req->defer = 1;
    return 1;
}

