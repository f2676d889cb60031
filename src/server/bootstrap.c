/* SPDX-License-Identifier: Apache-2.0 */
/* The first administrator (bootstrap.h). */
#include "server/bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "core/app.h"
#include "core/user.h"

ts_err bootstrap_admin(struct app *a, char *err, size_t errlen)
{
    int64_t n = 0;
    char pw[SECRET_TOKEN_CHARS + 1], why[256];
    const char *given = getenv("TESSERA_BOOTSTRAP_PASSWORD");
    ts_err e;

    if ((e = user_count(a, &n))) {
        snprintf(err, errlen, "cannot count users in the database");
        return e;
    }
    if (n > 0)
        return TS_OK;
    if (given && *given) {
        if (strlen(given) >= sizeof pw) {
            snprintf(err, errlen, "TESSERA_BOOTSTRAP_PASSWORD is longer than %zu "
                     "characters", sizeof pw - 1);
            return TS_EINVAL;
        }
        snprintf(pw, sizeof pw, "%s", given);
    } else if (secret_token(pw)) {
        snprintf(err, errlen, "cannot generate a password");
        return TS_EINTERNAL;
    }
    struct user_new nu = { "admin@localhost", "admin", "Administrator", "admin", pw };
    e = user_create(a, &nu, NULL, why, sizeof why);
    if (e == TS_ECONFLICT) {
        /* Another instance starting on the same (PostgreSQL) database made it first. */
        secret_wipe(pw, sizeof pw);
        return TS_OK;
    }
    if (e) {
        secret_wipe(pw, sizeof pw);
        snprintf(err, errlen, "cannot create the admin user: %s", why);
        return e;
    }
    if (!(given && *given)) {
        printf("tessera: created user admin with password %s (shown once; change it)\n",
               pw);
        fflush(stdout);
    }
    secret_wipe(pw, sizeof pw);
    return TS_OK;
}
