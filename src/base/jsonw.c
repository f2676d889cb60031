/* SPDX-License-Identifier: Apache-2.0 */
/* The hot-path JSON writer. */
#include "base/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

void jw_init(struct jw *w)
{
    w->buf = w->small;
    w->len = 0;
    w->cap = sizeof w->small;
    w->oom = 0;
    w->first = 1;
}

static void put(struct jw *w, const char *s, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap * 2;
        while (cap < w->len + n + 1)
            cap *= 2;
        char *b = w->buf == w->small ? malloc(cap) : realloc(w->buf, cap);
        if (!b) {
            w->oom = 1;
            return;
        }
        if (w->buf == w->small)
            memcpy(b, w->small, w->len);
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* A JSON string literal: '"' and '\\' escaped, control characters as \u00XX, and a
 * byte that does not start well-formed UTF-8 as U+FFFD, so the output is always valid
 * JSON even for values no input check saw (a request path, a header). */
static void quoted(struct jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0;
    put(w, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
            continue;
        if (c >= 0x80) {
            size_t len = text_utf8_len((const char *)u + i, n - i);
            if (len) {
                i += len - 1;
                continue;
            }
            put(w, s + run, i - run);
            run = i + 1;
            put(w, "\\ufffd", 6);
            continue;
        }
        put(w, s + run, i - run);
        run = i + 1;
        char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            put(w, esc, 2);
        } else if (c == '\n') {
            put(w, "\\n", 2);
        } else {
            put(w, esc, 6);
        }
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

static void key(struct jw *w, const char *k)
{
    if (!w->first)
        put(w, ",", 1);
    w->first = 0;
    quoted(w, k, strlen(k));
    put(w, ":", 1);
}

void jw_open(struct jw *w)
{
    put(w, "{", 1);
    w->first = 1;
}

void jw_close(struct jw *w)
{
    put(w, "}", 1);
}

void jw_str(struct jw *w, const char *k, const char *val)
{
    jw_strn(w, k, val, strlen(val));
}

void jw_strn(struct jw *w, const char *k, const char *val, size_t n)
{
    key(w, k);
    quoted(w, val, n);
}

void jw_int(struct jw *w, const char *k, int64_t val)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, val);
    key(w, k);
    put(w, num, (size_t)n);
}

void jw_bool(struct jw *w, const char *k, int val)
{
    key(w, k);
    put(w, val ? "true" : "false", val ? 4 : 5);
}

void jw_raw(struct jw *w, const char *k, const char *json)
{
    key(w, k);
    put(w, json, strlen(json));
}

char *jw_finish(struct jw *w, size_t *len)
{
    char *out = NULL;
    if (!w->oom) {
        if (w->buf == w->small) {
            out = malloc(w->len + 1);
            if (out)
                memcpy(out, w->small, w->len);
        } else {
            out = w->buf;
            w->buf = w->small;
        }
        if (out) {
            out[w->len] = '\0';
            if (len)
                *len = w->len;
        }
    }
    if (w->buf != w->small)
        free(w->buf);
    jw_init(w);
    return out;
}
