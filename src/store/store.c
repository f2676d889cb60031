/* Picking a backend by URL, and the record helpers. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store.h"

ts_err store_open(const char *url, struct store **out)
{
    *out = NULL;
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
        log_msg("error", "the PostgreSQL backend is not built yet; use a SQLite path");
        return TS_EINVAL;
    }
    if (!strncmp(url, "sqlite:", 7))
        url += 7;
    else if (!strncmp(url, "file:", 5))
        url += 5;
    return store_sqlite_ops.open(url, out);
}

void user_rec_clear(struct user_rec *u)
{
    free(u->roles_json);
    free(u->attributes_json);
    memset(u, 0, sizeof *u);
}

void signing_key_rec_clear(struct signing_key_rec *k)
{
    if (k->private_jwk) {
        memset(k->private_jwk, 0, strlen(k->private_jwk));
        free(k->private_jwk);
    }
    memset(k, 0, sizeof *k);
}
