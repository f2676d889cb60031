/* Granting scopes from the roles a user or client holds. */
#include "core/scope.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

int scope_contains(const char *list, const char *scope, size_t n)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - p) == n && n > 0 && memcmp(p, scope, n) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E; commas separate here, so not ','. */
static int scope_char_ok(unsigned char ch)
{
    return ch == 0x21 || (ch >= 0x23 && ch <= 0x5B && ch != ',') ||
           (ch >= 0x5D && ch <= 0x7E);
}

static ts_err append(char out[SCOPE_MAX_LEN], const char *s, size_t n)
{
    size_t have = strlen(out);
    if (scope_contains(out, s, n))
        return TS_OK;
    if (have + n + 2 > SCOPE_MAX_LEN)
        return TS_EINVAL;
    if (have)
        out[have++] = ' ';
    memcpy(out + have, s, n);
    out[have + n] = '\0';
    return TS_OK;
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
            const char *p = rc ? rc->default_scopes : "";
            while (*p && !err) {
                while (*p == ' ')
                    p++;
                const char *e = p;
                while (*e && *e != ' ')
                    e++;
                if (e > p)
                    err = append(out, p, (size_t)(e - p));
                p = e;
            }
        }
        json_decref(roles);
        return err;
    }

    const char *p = requested;
    while (*p && !err) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != ',') {
            if (!scope_char_ok((unsigned char)*e))
                err = TS_EINVAL;
            e++;
        }
        if (err || e == p)
            break;
        if (!roles_grant(c, roles, p, (size_t)(e - p)))
            err = TS_ESCOPE;
        else
            err = append(out, p, (size_t)(e - p));
        p = e;
    }
    json_decref(roles);
    if (err)
        out[0] = '\0';
    return err;
}

char *scope_roles_json(const char *roles, char *why, size_t whylen)
{
    json_t *arr = json_array();
    const char *p = roles ? roles : "";
    if (!arr)
        return NULL;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != ',')
            e++;
        if (e == p)
            break;
        size_t n = (size_t)(e - p);
        int ok = n < 64;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)p[i]) || strchr("_-:", p[i]);
        if (!ok) {
            snprintf(why, whylen, "invalid role name '%.*s'", (int)(n > 64 ? 64 : n), p);
            json_decref(arr);
            return NULL;
        }
        int dup = 0;
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
            dup |= strlen(json_string_value(v)) == n &&
                   memcmp(json_string_value(v), p, n) == 0;
        if (!dup)
            json_array_append_new(arr, json_stringn(p, n));
        p = e;
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (!s)
        snprintf(why, whylen, "out of memory");
    return s;
}

ts_err scope_restrict(const char *allowed, int asked, char scope[SCOPE_MAX_LEN])
{
    char out[SCOPE_MAX_LEN] = "";
    const char *p = scope;

    if (!allowed || !*allowed)
        return TS_OK;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        size_t n = (size_t)(e - p);
        if (n && scope_contains(allowed, p, n)) {
            if (append(out, p, n))
                return TS_EINVAL;
        } else if (n && asked) {
            return TS_ESCOPE;
        }
        p = e;
    }
    memcpy(scope, out, SCOPE_MAX_LEN);
    return TS_OK;
}
