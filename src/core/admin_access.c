/* SPDX-License-Identifier: Apache-2.0 */
/* Whether a token's subject still holds the admin API. */
#include "core/admin_access.h"

#include "core/scope.h"

ts_err admin_access(struct app *a, enum auth_kind kind, const char *sub)
{
    char granted[SCOPE_MAX_LEN];
    int ok;
    ts_err err;

    if (kind == AUTH_KIND_USER) {
        struct user_rec u;
        if ((err = store_user_get(a->st, USER_BY_ID, sub, &u)) && err != TS_ENOTFOUND)
            return err;
        ok = !err && !u.disabled &&
             scope_grant(&a->cfg, u.roles_json, ADMIN_SCOPE, granted) == TS_OK;
        if (!err)
            user_rec_clear(&u);
    } else {
        struct client_rec c;
        if ((err = store_client_get(a->st, sub, &c)) && err != TS_ENOTFOUND)
            return err;
        ok = !err && !c.disabled &&
             scope_grant(&a->cfg, c.roles_json, ADMIN_SCOPE, granted) == TS_OK &&
             scope_restrict(c.scopes, 1, granted) == TS_OK;
        if (!err)
            client_rec_clear(&c);
    }
    return ok ? TS_OK : TS_EFORBIDDEN;
}
