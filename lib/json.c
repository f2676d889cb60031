/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict JSON at libtessera's edges: one object, no duplicate members (a header with
 * two "alg" members is an attack on whichever parser reads the other one), and a
 * nesting limit that jansson 2.14 cannot be asked for, checked here before parsing.
 */
#include <string.h>

#include "internal.h"

/* Deepest nesting of objects and arrays in s, counting brackets outside strings. The
 * scan stops as soon as `max` is exceeded. Malformed input is the parser's business;
 * this only has to be right for input the parser would accept. */
static int too_deep(const char *s, size_t len, int max)
{
    int depth = 0, in_string = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return 1;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

tessera_status tessera__json_object(const char *s, size_t len, json_t **out)
{
    json_error_t err;
    json_t *j;

    *out = NULL;
    if (too_deep(s, len, TESSERA__MAX_JSON_DEPTH))
        return TESSERA_ERR_TOO_LARGE;
    j = json_loadb(s, len, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return json_error_code(&err) == json_error_out_of_memory ? TESSERA_ERR_NOMEM
                                                                  : TESSERA_ERR_MALFORMED;
    if (!json_is_object(j)) {
        json_decref(j);
        return TESSERA_ERR_MALFORMED;
    }
    *out = j;
    return TESSERA_OK;
}

size_t tessera__json_escaped_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            n += 2;
        else if (c < 0x20)
            n += 6;
        else
            n++;
    }
    return n;
}

size_t tessera__json_escape(const char *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    return (size_t)(o - out);
}

size_t tessera__json_members(const struct tessera__member *m, size_t n, char *out)
{
    size_t len = 1;

    if (out)
        out[0] = '{';
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(m[i].name);
        size_t vl = m[i].escape ? tessera__json_escaped_len(m[i].value)
                                : strlen(m[i].value);
        if (out) {
            char *o = out + len;
            if (i)
                *o++ = ',';
            *o++ = '"';
            memcpy(o, m[i].name, nl);
            o += nl;
            *o++ = '"';
            *o++ = ':';
            *o++ = '"';
            if (m[i].escape)
                tessera__json_escape(m[i].value, o);
            else
                memcpy(o, m[i].value, vl);
            o += vl;
            *o = '"';
        }
        len += (i ? 1 : 0) + nl + vl + 5;
    }
    if (out)
        out[len] = '}';
    return len + 1;
}
