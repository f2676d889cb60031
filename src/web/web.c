/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the hosted pages' files (embedded, or an operator's) and rendering them. */
#include "web/web.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"

#define WEB_FILE_MAX (256 * 1024)

/* A growable output with a ceiling. */
struct buf {
    char *p;
    size_t len, cap;
    int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = cap <= 4 * WEB_FILE_MAX ? realloc(b->p, cap) : NULL;
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put_escaped(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': put(b, "&amp;", 5); break;
        case '<': put(b, "&lt;", 4); break;
        case '>': put(b, "&gt;", 4); break;
        case '"': put(b, "&quot;", 6); break;
        case '\'': put(b, "&#39;", 5); break;
        default: put(b, s, 1);
        }
    }
}

char *web_escape(const char *s)
{
    struct buf b = { 0 };
    put(&b, "", 0);
    put_escaped(&b, s);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* The operator's file dir/name: 1 with *out set, 0 when there is none, -1 on error. */
static int read_override(const char *dir, const char *name, char **out, size_t *len)
{
    char path[1024];
    struct stat st;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > WEB_FILE_MAX) {
        fclose(f);
        return -1;
    }
    char *p = malloc((size_t)st.st_size + 1);
    size_t n = p ? fread(p, 1, (size_t)st.st_size, f) : 0;
    int bad = !p || ferror(f);
    fclose(f);
    if (bad) {
        free(p);
        return -1;
    }
    p[n] = '\0';
    *out = p;
    *len = n;
    return 1;
}

ts_err web_file(const char *dir, const char *name, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (dir && *dir) {
        int r = read_override(dir, name, out, len);
        if (r == 1)
            return TS_OK;
        if (r < 0) {
            log_msg("error", "web: cannot read %s from web.templates_dir", name);
            return TS_EINTERNAL;
        }
    }
    for (const struct web_asset *w = web_assets; w->name; w++) {
        if (strcmp(w->name, name) != 0)
            continue;
        if (!(*out = malloc(w->len + 1)))
            return TS_ENOMEM;
        memcpy(*out, w->data, w->len);
        (*out)[w->len] = '\0';
        *len = w->len;
        return TS_OK;
    }
    return TS_ENOTFOUND;
}

static const char *lookup(const struct web_var *vars, size_t n, const char *name,
                          size_t nl)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == nl && !memcmp(vars[i].name, name, nl))
            return vars[i].value ? vars[i].value : "";
    return "";
}

ts_err web_render(const char *dir, const char *name, const struct web_var *vars,
                  size_t n, char **out, size_t *len)
{
    struct buf b = { 0 };
    char *tpl;
    size_t tl;
    ts_err err;

    *out = NULL;
    *len = 0;
    if ((err = web_file(dir, name, &tpl, &tl)))
        return err;
    const char *p = tpl, *end = tpl + tl;
    put(&b, "", 0);
    while (p < end) {
        const char *open = strstr(p, "{{");
        if (!open) {
            put(&b, p, (size_t)(end - p));
            break;
        }
        put(&b, p, (size_t)(open - p));
        int raw = open[2] == '{';
        const char *key = open + (raw ? 3 : 2);
        const char *close = strstr(key, raw ? "}}}" : "}}");
        if (!close) {              /* not a placeholder: the text as it is */
            put(&b, open, (size_t)(end - open));
            break;
        }
        size_t kl = (size_t)(close - key);
        char k[64];
        if (!raw && kl > 2 && kl < sizeof k && !memcmp(key, "t:", 2)) {
            memcpy(k, key + 2, kl - 2);
            k[kl - 2] = '\0';
            put_escaped(&b, web_text(k));
        } else if (raw) {
            const char *v = lookup(vars, n, key, kl);
            put(&b, v, strlen(v));
        } else {
            put_escaped(&b, lookup(vars, n, key, kl));
        }
        p = close + (raw ? 3 : 2);
    }
    free(tpl);
    if (b.oom) {
        free(b.p);
        return TS_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return TS_OK;
}
