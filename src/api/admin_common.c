/* SPDX-License-Identifier: Apache-2.0 */
/* What the admin handlers share: the admin check every route runs first, paging with
 * opaque cursors, and the readers of typed JSON members. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/admin.h"
#include "core/app.h"
#include "core/scope.h"
#include "core/token.h"

#define CURSOR_MAX 512     /* decoded bytes: the kind, ':' and the payload */

/* The token must carry scope admin, and its subject (a user, or for a
 * client_credentials token a client) must still exist, be enabled and hold a role that
 * grants it (core/admin_access.h): a demoted admin loses the API at once, not when the
 * token expires. */
static ts_err require_admin(struct request *req, struct response *res)
{
    const struct auth_ctx *who = req->auth;
    const char *scope = tessera_claims_string(who->claims, "scope");

    if (!scope || !scope_contains(scope, ADMIN_SCOPE, strlen(ADMIN_SCOPE)))
        return http_fail(res, TS_EFORBIDDEN, "This endpoint needs an access token with "
                         "the scope 'admin' (an administrator logs in asking for it).");
    ts_err err = admin_access(req->app, who->kind, who->sub);
    if (err == TS_EFORBIDDEN)
        return http_fail(res, TS_EFORBIDDEN, "The token's subject no longer holds a role "
                         "that grants the scope 'admin'.");
    return err;
}

ts_err api_admin(struct request *req, struct response *res)
{
    const struct admin_op *op = req->route->data;
    ts_err err = require_admin(req, res);
    return err ? err : op->run(req, res);
}

void admin_actor(const struct request *req, struct actor *out)
{
    out->via = "api";
    out->sub = req->auth->sub;
    out->is_client = req->auth->kind == AUTH_KIND_CLIENT;
    out->ip = req->ip;
}

ts_err admin_limit(const struct request *req, struct response *res, int *limit)
{
    const char *v = http_query(req, "limit");
    char *end;
    *limit = ADMIN_LIMIT_DEFAULT;
    if (!v)
        return TS_OK;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > ADMIN_LIMIT_MAX)
        return http_fail(res, TS_EINVAL, "The parameter 'limit' is a number from 1 to "
                         "%d.", ADMIN_LIMIT_MAX);
    *limit = (int)n;
    return TS_OK;
}

ts_err admin_cursor(const struct request *req, struct response *res, const char *kind,
                    char *payload, size_t size)
{
    const char *c = http_query(req, "cursor");
    uint8_t raw[CURSOR_MAX + 4];
    size_t n = 0, k = strlen(kind);

    payload[0] = '\0';
    if (!c)
        return TS_OK;
    if (strlen(c) > tessera_b64url_encoded_len(CURSOR_MAX) ||
        tessera_b64url_decode(c, strlen(c), raw, &n) != TESSERA_OK || n <= k ||
        memcmp(raw, kind, k) != 0 || raw[k] != ':' || n - k - 1 >= size ||
        memchr(raw, '\0', n))
        return http_fail(res, TS_EINVAL, "The parameter 'cursor' is not a cursor of this "
                         "list; pass the 'next' value of the previous page.");
    memcpy(payload, raw + k + 1, n - k - 1);
    payload[n - k - 1] = '\0';
    return TS_OK;
}

json_t *admin_cursor_json(const char *kind, const char *payload)
{
    char raw[CURSOR_MAX + 1], enc[CURSOR_MAX * 2];
    if (!payload)
        return json_null();
    int n = snprintf(raw, sizeof raw, "%s:%s", kind, payload);
    if (n < 0 || (size_t)n >= sizeof raw)
        return NULL;
    tessera_b64url_encode((const uint8_t *)raw, (size_t)n, enc);
    return json_string(enc);
}

ts_err admin_page_response(struct response *res, const char *key, json_t *items,
                           const char *kind, const char *next_payload)
{
    json_t *next = admin_cursor_json(kind, next_payload);
    if (!items || !next) {
        json_decref(items);
        json_decref(next);
        return TS_ENOMEM;
    }
    return http_json(res, 200, json_pack("{s:o, s:o}", key, items, "next", next));
}

ts_err admin_known_fields(json_t *body, const char *const *known, struct response *res)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        int ok = 0;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = !strcmp(key, known[i]);
        if (!ok) {
            /* Name it only when it is short and printable: it may be anything. */
            int show = strlen(key) <= 40;
            for (size_t i = 0; show && key[i]; i++)
                show = isalnum((unsigned char)key[i]) || key[i] == '_';
            return show ? http_fail(res, TS_EINVAL, "Unknown field '%s'.", key)
                        : http_fail(res, TS_EINVAL, "The body has an unknown field.");
        }
    }
    return TS_OK;
}

ts_err admin_json_bool(json_t *body, const char *name, struct response *res, int *out)
{
    json_t *v = json_object_get(body, name);
    *out = -1;
    if (!v || json_is_null(v))
        return TS_OK;
    if (!json_is_boolean(v))
        return http_fail(res, TS_EINVAL, "The field '%s' must be true or false.", name);
    *out = json_is_true(v);
    return TS_OK;
}

ts_err admin_json_int(json_t *body, const char *name, long min, long max,
                      struct response *res, long *out)
{
    json_t *v = json_object_get(body, name);
    *out = -1;
    if (!v || json_is_null(v))
        return TS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return http_fail(res, TS_EINVAL, "The field '%s' must be an integer from %ld to "
                         "%ld.", name, min, max);
    *out = (long)json_integer_value(v);
    return TS_OK;
}

static int word_ok(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == ',')
            return 0;
    return 1;
}

static int uri_ok(const char *s, size_t n)
{
    (void)s;
    return n >= 1 && n <= 1000;
}

/* The array member `name` joined with spaces into *out (malloc'd, "" for []; NULL when
 * absent or null): at most `max` elements, each a string that elem_ok accepts, else
 * TS_EINVAL with `what` (a sentence naming the elements) in the answer. */
static ts_err join_array(json_t *body, const char *name, size_t max,
                         int (*elem_ok)(const char *, size_t), const char *what,
                         struct response *res, char **out)
{
    json_t *v = json_object_get(body, name), *w;
    size_t i, len = 1;

    *out = NULL;
    if (!v || json_is_null(v))
        return TS_OK;
    if (!json_is_array(v) || json_array_size(v) > max)
        return http_fail(res, TS_EINVAL, "The field '%s' must be an array of at most %zu "
                         "strings.", name, max);
    json_array_foreach(v, i, w) {
        if (!json_is_string(w) || !elem_ok(json_string_value(w), json_string_length(w)))
            return http_fail(res, TS_EINVAL, "Each element of '%s' must be %s.", name,
                             what);
        len += json_string_length(w) + 1;
    }
    char *s = malloc(len);
    if (!s)
        return TS_ENOMEM;
    s[0] = '\0';
    json_array_foreach(v, i, w) {
        if (i)
            strcat(s, " ");
        strcat(s, json_string_value(w));
    }
    *out = s;
    return TS_OK;
}

ts_err admin_json_words(json_t *body, const char *name, struct response *res,
                        char **out)
{
    return join_array(body, name, 1024, word_ok,
                      "a non-empty string of at most 128 printable characters without "
                      "spaces or commas", res, out);
}

ts_err admin_json_uris(json_t *body, const char *name, struct response *res, char **out)
{
    return join_array(body, name, 32, uri_ok, "a URI of 1 to 1000 characters", res, out);
}

ts_err admin_fail(struct response *res, ts_err e, const char *why)
{
    if ((e != TS_EINVAL && e != TS_ECONFLICT && e != TS_ENOTFOUND) || !why || !*why)
        return e;
    size_t n = strlen(why);
    return http_fail(res, e, "%c%s%s", toupper((unsigned char)why[0]), why + 1,
                     why[n - 1] == '.' ? "" : ".");
}
