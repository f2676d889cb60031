/* SPDX-License-Identifier: Apache-2.0 */
/* Choosing the storage backend a database URL names, and the record helpers. */
#include "store/store.h"
#include "store/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

/* URL prefixes and their backends. A URL that matches no prefix and has no
 * "scheme://" is a path to a SQLite file. */
static const struct backend {
    const char *prefix;
    const struct store_ops *ops;
} backends[] = {
    { "sqlite:", &store_sqlite_ops },
    { "file:", &store_sqlite_ops },
    { "postgresql://", &store_pg_ops },
    { "postgres://", &store_pg_ops },
};

/* Length of the "scheme" of a "scheme://..." URL (RFC 3986 letters), 0 when none. */
static size_t scheme_len(const char *url)
{
    size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789+.-");
    return n > 0 && !strncmp(url + n, "://", 3) ? n : 0;
}

ts_err store_open(const char *url, struct store **out)
{
    *out = NULL;
    if (!url || !*url) {
        log_msg("error", "store: no database URL");
        return TS_EINVAL;
    }
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        const struct backend *b = &backends[i];
        if (strncmp(url, b->prefix, strlen(b->prefix)))
            continue;
        return b->ops->open(url, out);
    }
    /* Only the scheme is logged: the rest of a URL may hold a password. */
    size_t n = scheme_len(url);
    if (n) {
        log_msg("error", "store: unknown database URL scheme '%.*s'", (int)n, url);
        return TS_EINVAL;
    }
    return store_sqlite_ops.open(url, out);
}

const char *store_url_display(const char *url, char *buf, size_t size)
{
    size_t n = scheme_len(url ? url : "");
    if (!url)
        snprintf(buf, size, "(none)");
    else if (n && strncmp(url, "sqlite:", 7) && strncmp(url, "file:", 5))
        snprintf(buf, size, "%.*s://...", (int)n, url);
    else
        snprintf(buf, size, "%s", url);
    return buf;
}

void user_rec_clear(struct user_rec *u)
{
    free(u->roles_json);
    free(u->attributes_json);
    explicit_bzero(u, sizeof *u);          /* the password hash goes too */
}

void client_rec_clear(struct client_rec *c)
{
    free(c->roles_json);
    explicit_bzero(c, sizeof *c);          /* the secret hash goes too */
}

void audit_event_rec_clear(struct audit_event_rec *e)
{
    free(e->detail_json);
    memset(e, 0, sizeof *e);
}

void signing_key_rec_clear(struct signing_key_rec *k)
{
    if (k->private_jwk) {
        explicit_bzero(k->private_jwk, strlen(k->private_jwk));
        free(k->private_jwk);
    }
    explicit_bzero(k, sizeof *k);
}

ts_err store_unterminated(const char *backend, const char *what)
{
    log_msg("error", "%s: %s: a record field is not NUL-terminated", backend, what);
    return TS_EDB;
}

int store_lower_copy(const char *in, char *out, size_t size)
{
    size_t n = strnlen(in, size);
    if (n >= size)
        return -1;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)in[i];
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return 0;
}

ts_err store_row_written(struct store *st, ts_err err, int changes)
{
    if (err)
        return err;
    if (changes == 0)
        return TS_ENOTFOUND;
    store_changed(st);
    return TS_OK;
}

ts_err store_lookup_result(ts_err err, const struct token_found *found,
                           struct session_rec *session, int64_t *created_at,
                           int64_t *retired_at)
{
    if (session) {
        if (err)
            memset(session, 0, sizeof *session);
        else
            *session = found->r;
    }
    if (created_at)
        *created_at = err ? 0 : found->created;
    if (retired_at)
        *retired_at = err ? 0 : found->retired;
    return err;
}
