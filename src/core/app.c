/* SPDX-License-Identifier: Apache-2.0 */
/* Opening what a server or an operator command needs: store, migrations, keys. */
#include "core/app.h"

#include "core/audit.h"
#include "core/client_cache.h"
#include "core/ratelimit.h"
#include "core/revoked.h"
#include "core/token_cache.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keyring.h"
#include "core/password.h"
#include "base/secret.h"

/* The refresh-token derivation key lives in the store so every instance shares it. */
static ts_err load_refresh_key(struct app *a)
{
    unsigned char fresh[32];
    char hex[65], stored[256];
    size_t len = 0;
    ts_err err;

    if ((err = secret_random(fresh, sizeof fresh)))
        return err;
    sodium_bin2hex(hex, sizeof hex, fresh, sizeof fresh);
    err = store_secret_get_or_put(a->st, "refresh_key", hex, stored);
    if (!err && (sodium_hex2bin(a->refresh_key, sizeof a->refresh_key, stored,
                                strlen(stored), NULL, &len, NULL) != 0 ||
                 len != sizeof a->refresh_key))
        err = TS_EDB;
    secret_wipe(fresh, sizeof fresh);
    secret_wipe(hex, sizeof hex);
    secret_wipe(stored, sizeof stored);
    return err;
}

ts_err app_open(const struct config *cfg, unsigned flags, struct app **out,
                char *err, size_t errlen)
{
    struct app *a = calloc(1, sizeof *a);
    ts_err e;
    int applied = 0, version = 0;
    char shown[256];            /* the database URL as errors may show it */

    *out = NULL;
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return TS_ENOMEM;
    }
    a->cfg = *cfg;
    if ((e = password_init(&a->cfg))) {
        snprintf(err, errlen, "cannot initialise password hashing (memory?)");
        goto fail;
    }
    if ((e = store_open(a->cfg.database_url, &a->st))) {
        snprintf(err, errlen, "cannot open database %s",
                 store_url_display(a->cfg.database_url, shown, sizeof shown));
        goto fail;
    }
    if (!(a->limits = ratelimit_new()) || !(a->tokens = token_cache_new()) ||
        (e = client_cache_new(&a->clients))) {
        e = TS_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (flags & APP_MIGRATE) {
        if ((e = store_migrate(a->st, &applied))) {
            snprintf(err, errlen, "database migration failed");
            goto fail;
        }
    } else {
        e = store_schema_version(a->st, &version);
        if (e || version == 0) {
            snprintf(err, errlen, "database %s is not initialised; run "
                     "'tessera db migrate' or start 'tessera serve' once",
                     store_url_display(a->cfg.database_url, shown, sizeof shown));
            e = e ? e : TS_EINVAL;
            goto fail;
        }
    }
    if ((e = load_refresh_key(a))) {
        snprintf(err, errlen, "cannot read the server secrets from the database");
        goto fail;
    }
    if ((flags & APP_KEYS) && (e = keyring_open(a->st, a->cfg.algorithm,
                                                  a->cfg.id_token_algs, &a->keys))) {
        snprintf(err, errlen, "cannot load or create the signing keys");
        goto fail;
    }
    *out = a;
    return TS_OK;
fail:
    app_close(a);
    return e;
}

ts_err app_ping(struct app *a)
{
    return store_ping(a->st);
}

ts_err app_migrate(const struct config *cfg, int *applied, int *version, char *err,
                   size_t errlen)
{
    struct store *st;
    char shown[256];
    ts_err e;

    *applied = *version = 0;
    if ((e = store_open(cfg->database_url, &st))) {
        snprintf(err, errlen, "cannot open database %s",
                 store_url_display(cfg->database_url, shown, sizeof shown));
        return e;
    }
    e = store_migrate(st, applied);
    if (!e)
        e = store_schema_version(st, version);
    store_close(st);
    if (e)
        snprintf(err, errlen, "migration failed: %s", ts_err_description(e));
    return e;
}

void app_close(struct app *a)
{
    if (!a)
        return;
    audit_stop(a);
    client_cache_free(a->clients);
    ratelimit_free(a->limits);
    token_cache_free(a->tokens);
    revoked_free(a->revoked);
    keyring_free(a->keys);
    if (a->st)
        store_close(a->st);
    secret_wipe(a->refresh_key, sizeof a->refresh_key);
    free(a);
}
