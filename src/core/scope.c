/* SPDX-License-Identifier: Apache-2.0 */
/* Granting scopes from the roles a user or client holds. */
#include "core/scope.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

int scope_contains(const char *list, const char *scope, size_t n)
{
    const char *p = list, *w;
    size_t wn;
    while (word_next(&p, 0, &w, &wn))
        if (wn == n && memcmp(w, scope, n) == 0)
            return 1;
    return 0;
}

ts_err scope_append(char *out, size_t size, const char *w, size_t n)
{
    size_t have = strlen(out);
    if (scope_contains(out, w, n))
        return TS_OK;
    if (have + n + 2 > size)
        return TS_EINVAL;
    if (have)
        out[have++] = ' ';
    memcpy(out + have, w, n);
    out[have + n] = '\0';
    return TS_OK;
}

/* RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E; commas separate here, so not ','. */
static int scope_char_ok(unsigned char ch)
{
    return ch == 0x21 || (ch >= 0x23 && ch <= 0x5B && ch != ',') ||
           (ch >= 0x5D && ch <= 0x7E);
}

static int roles_grant(const struct config *c, json_t *roles, const char *s, size_t n)
{
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r) {
        const struct role_conf *rc = json_is_string(r) ? config_role(c, json_string_value(r))
                                                       : NULL;
        if (rc && scope_contains(rc->scopes, s, n))
            return 1;
    }
    return 0;
}

ts_err scope_grant(const struct config *c, const char *roles_json,
                   const char *requested, char out[SCOPE_MAX_LEN])
{
    ts_err err = TS_OK;
    json_t *roles = json_loads(roles_json ? roles_json : "[]", 0, NULL);
    out[0] = '\0';
    if (!roles)
        return TS_EINTERNAL;
    if (!json_is_array(roles)) {
        json_decref(roles);
        return TS_EINTERNAL;
    }

    if (!requested || !*requested) {
        size_t i;
        json_t *r;
        json_array_foreach(roles, i, r) {
            const struct role_conf *rc =
                json_is_string(r) ? config_role(c, json_string_value(r)) : NULL;
            const char *p = rc ? rc->default_scopes : "", *w;
            size_t n;
            while (!err && word_next(&p, 0, &w, &n))
                err = scope_append(out, SCOPE_MAX_LEN, w, n);
        }
        json_decref(roles);
        return err;
    }

    const char *p = requested, *w;
    size_t n;
    while (!err && word_next(&p, 1, &w, &n)) {
        for (size_t i = 0; i < n && !err; i++)
            if (!scope_char_ok((unsigned char)w[i]))
                err = TS_EINVAL;
        if (!err)
            err = roles_grant(c, roles, w, n) ? scope_append(out, SCOPE_MAX_LEN, w, n)
                                              : TS_ESCOPE;
    }
    json_decref(roles);
    if (err)
        out[0] = '\0';
    return err;
}

/* The code flow's marker scope, which no role need grant (docs/oidc.md). */
static int is_openid(const char *w, size_t n)
{
    return n == 6 && !memcmp(w, "openid", 6);
}

ts_err scope_regrant(const struct config *c, const char *roles_json, int asked,
                     char scope[SCOPE_MAX_LEN])
{
    char out[SCOPE_MAX_LEN] = "";
    const char *p = scope, *w;
    size_t n;
    ts_err err = TS_OK;
    json_t *roles = json_loads(roles_json ? roles_json : "[]", 0, NULL);

    if (!roles || !json_is_array(roles)) {
        json_decref(roles);
        return TS_EINTERNAL;
    }
    while (!err && word_next(&p, 0, &w, &n)) {
        if (is_openid(w, n) || roles_grant(c, roles, w, n))
            err = scope_append(out, SCOPE_MAX_LEN, w, n);
        else if (asked)
            err = TS_ESCOPE;
    }
    json_decref(roles);
    if (!err)
        memcpy(scope, out, SCOPE_MAX_LEN);
    return err;
}

ts_err scope_roles_json(const char *roles, char **out, char *why, size_t whylen)
{
    json_t *arr = json_array();
    const char *q = roles ? roles : "", *p;
    size_t n;
    *out = NULL;
    if (!arr)
        goto oom;
    while (word_next(&q, 1, &p, &n)) {
        int ok = n < 64;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)p[i]) || strchr("_-:", p[i]);
        if (!ok) {
            snprintf(why, whylen, "invalid role name '%.*s'", (int)(n > 64 ? 64 : n), p);
            json_decref(arr);
            return TS_EINVAL;
        }
        int dup = 0;
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
            dup |= strlen(json_string_value(v)) == n &&
                   memcmp(json_string_value(v), p, n) == 0;
        if (!dup && json_array_append_new(arr, json_stringn(p, n)) != 0) {
            json_decref(arr);
            goto oom;
        }
    }
    *out = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (*out)
        return TS_OK;
oom:
    snprintf(why, whylen, "out of memory");
    return TS_ENOMEM;
}

ts_err scope_roles_known(const struct config *c, const char *roles, char *why,
                         size_t whylen)
{
    const char *q = roles ? roles : "", *p;
    size_t n;
    while (word_next(&q, 1, &p, &n)) {
        int known = 0;
        for (int i = 0; !known && i < c->nroles; i++)
            known = strlen(c->roles[i].name) == n && !memcmp(c->roles[i].name, p, n);
        if (known)
            continue;
        size_t used = (size_t)snprintf(why, whylen, "unknown role '%.*s'; the roles "
                                       "defined are:", (int)(n > 64 ? 64 : n), p);
        for (int i = 0; i < c->nroles && used < whylen; i++)
            used += (size_t)snprintf(why + used, whylen - used, "%s %s", i ? "," : "",
                                     c->roles[i].name);
        if (!c->nroles && used < whylen)
            snprintf(why + used, whylen - used, " none");
        return TS_EINVAL;
    }
    return TS_OK;
}

ts_err scope_restrict(const char *allowed, int asked, char scope[SCOPE_MAX_LEN])
{
    char out[SCOPE_MAX_LEN] = "";
    const char *p = scope, *w;
    size_t n;

    if (!allowed || !*allowed)
        return TS_OK;
    while (word_next(&p, 0, &w, &n)) {
        if (is_openid(w, n) || scope_contains(allowed, w, n)) {
            if (scope_append(out, SCOPE_MAX_LEN, w, n))
                return TS_EINVAL;
        } else if (asked) {
            return TS_ESCOPE;
        }
    }
    memcpy(scope, out, SCOPE_MAX_LEN);
    return TS_OK;
}
