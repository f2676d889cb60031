/* SPDX-License-Identifier: Apache-2.0 */
/* Audiences: requested values checked, canonical lists, what a subject may ask for. */
#include "core/audience.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/scope.h"
#include "store/store.h"

static int value_ok(const char *w, size_t n)
{
    if (n < 1 || n > AUDIENCE_VALUE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)w[i] < 0x21 || (unsigned char)w[i] > 0x7e)
            return 0;
    return 1;
}

/* RFC 3986 absolute-URI: scheme ":" hier-part [ "?" query ], scheme = ALPHA *( ALPHA /
 * DIGIT / "+" / "-" / "." ); RFC 8707 2 also refuses a fragment. */
static int resource_ok(const char *w, size_t n)
{
    size_t i = 0;
    if (n == 0 || !((w[0] | 0x20) >= 'a' && (w[0] | 0x20) <= 'z'))
        return 0;
    while (i < n && (((w[i] | 0x20) >= 'a' && (w[i] | 0x20) <= 'z') ||
                     (w[i] >= '0' && w[i] <= '9') || w[i] == '+' || w[i] == '-' ||
                     w[i] == '.'))
        i++;
    return i < n && w[i] == ':' && i + 1 < n && !memchr(w, '#', n);
}

static size_t count_words(const char *list)
{
    const char *p = list, *w;
    size_t n, count = 0;
    while (word_next(&p, 0, &w, &n))
        count++;
    return count;
}

ts_err audience_add(char list[AUDIENCE_LIST_MAX], enum audience_param kind,
                    const char *value, size_t n, char *why, size_t whylen)
{
    const char *name = kind == AUDIENCE_PARAM_RESOURCE ? "resource" : "audience";
    int shown = (int)(n > 64 ? 64 : n);
    if (count_words(list) >= AUDIENCE_MAX_VALUES && !scope_contains(list, value, n)) {
        snprintf(why, whylen, "At most %d resources or audiences may be asked for.",
                 AUDIENCE_MAX_VALUES);
        return TS_ETARGET;
    }
    if (!value_ok(value, n)) {
        snprintf(why, whylen, "The %s '%.*s' is malformed: 1 to %d printable ASCII "
                 "characters without spaces.", name, value_ok(value, shown) ? shown : 0,
                 value, AUDIENCE_VALUE_MAX);
        return TS_ETARGET;
    }
    if (kind == AUDIENCE_PARAM_RESOURCE && !resource_ok(value, n)) {
        snprintf(why, whylen, "The resource '%.*s' is not an absolute URI without a "
                 "fragment (RFC 8707).", shown, value);
        return TS_ETARGET;
    }
    if (scope_append(list, AUDIENCE_LIST_MAX, value, n)) {
        snprintf(why, whylen, "The resources and audiences asked for are too long.");
        return TS_ETARGET;
    }
    return TS_OK;
}

int audience_list_canonical(const char *in, char *out, size_t outlen, char *why,
                            size_t whylen)
{
    const char *p = in ? in : "", *w;
    size_t n, count = 0;
    out[0] = '\0';
    while (word_next(&p, 1, &w, &n)) {
        if (!value_ok(w, n)) {
            snprintf(why, whylen, "invalid audience '%.*s' (1 to %d printable ASCII "
                     "characters, no space or comma)", (int)(n > 64 ? 64 : n), w,
                     AUDIENCE_VALUE_MAX);
            return -1;
        }
        if (++count > AUDIENCE_MAX_VALUES || scope_append(out, outlen, w, n)) {
            snprintf(why, whylen, "too many audiences (at most %d)",
                     AUDIENCE_MAX_VALUES);
            return -1;
        }
    }
    return 0;
}

const char *audience_default(const struct config *c)
{
    return c->default_audience[0] ? c->default_audience : c->audience;
}

const char *audience_effective(const struct config *c, const char *list)
{
    return list && *list ? list : audience_default(c);
}

/* 1 when one of the roles named in roles_json grants audience w (n bytes); -1 for
 * roles_json that is not a JSON array (or no memory to read it). */
static int roles_grant(const struct config *c, json_t *roles, const char *w, size_t n)
{
    size_t i;
    json_t *v;
    json_array_foreach(roles, i, v) {
        const struct role_conf *r =
            json_is_string(v) ? config_role(c, json_string_value(v)) : NULL;
        if (r && scope_contains(r->audiences, w, n))
            return 1;
    }
    return 0;
}

ts_err audience_allowed(const struct config *c, const char *user_roles_json,
                        const struct client_rec *client, const char *asked, char *why,
                        size_t whylen)
{
    const char *p = asked ? asked : "", *w;
    const char *dflt = audience_default(c);
    const char *roles_json = user_roles_json ? user_roles_json
                           : client ? client->roles_json : NULL;
    size_t n;
    json_t *roles = json_loads(roles_json ? roles_json : "[]", 0, NULL);
    ts_err err = TS_OK;

    if (!json_is_array(roles)) {
        json_decref(roles);
        return roles ? TS_EINTERNAL : TS_ENOMEM;
    }
    while (!err && word_next(&p, 0, &w, &n)) {
        int ok;
        if (scope_contains(dflt, w, n))
            ok = 1;
        else if (!user_roles_json && client && client->audiences[0])
            ok = scope_contains(client->audiences, w, n);   /* its own list grants */
        else
            ok = roles_grant(c, roles, w, n) &&
                 (!client || !client->audiences[0] ||
                  scope_contains(client->audiences, w, n));
        if (!ok) {
            snprintf(why, whylen, "The audience '%.*s' is not granted to this %s.",
                     (int)(n > 64 ? 64 : n), w, user_roles_json ? "user or client"
                                                                : "client");
            err = TS_ETARGET;
        }
    }
    json_decref(roles);
    return err;
}

ts_err audience_narrow(const struct config *c, const char *session_list,
                       const char *asked, char out[AUDIENCE_LIST_MAX], char *why,
                       size_t whylen)
{
    const char *have = audience_effective(c, session_list), *p = asked, *w;
    size_t n;
    if (!asked || !*asked) {
        snprintf(out, AUDIENCE_LIST_MAX, "%s", session_list ? session_list : "");
        return TS_OK;
    }
    while (word_next(&p, 0, &w, &n))
        if (!scope_contains(have, w, n)) {
            snprintf(why, whylen, "The audience '%.*s' is not one the session was "
                     "granted; a refresh may only narrow it.", (int)(n > 64 ? 64 : n),
                     w);
            return TS_ETARGET;
        }
    snprintf(out, AUDIENCE_LIST_MAX, "%s", asked);
    return TS_OK;
}
