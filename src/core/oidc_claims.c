/* SPDX-License-Identifier: Apache-2.0 */
/* The standard claims of a user by scope (see oidc_claims.h). */
#include "core/oidc_claims.h"

#include <string.h>

#include "core/scope.h"
#include "core/user.h"

const char *const oidc_claims_supported[] = {
    "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "sid",
    "at_hash", "name", "preferred_username", "updated_at", "email", NULL
};

static int has(const char *scope, const char *s)
{
    return scope && scope_contains(scope, s, strlen(s));
}

int oidc_claims_wanted(const char *scope)
{
    return has(scope, "profile") || has(scope, "email");
}

void oidc_claims_write(struct jw *w, const struct user_rec *u, const char *scope)
{
    if (has(scope, "profile")) {
        if (u->name[0])
            jw_str(w, "name", u->name);
        if (u->username[0])
            jw_str(w, "preferred_username", u->username);
        if (u->updated_at)
            jw_int(w, "updated_at", u->updated_at);
    }
    if (has(scope, "email") && u->email[0])
        jw_str(w, "email", u->email);
}

ts_err oidc_userinfo(struct app *a, const char *sub, const char *scope, char **out,
                     size_t *len)
{
    struct user_rec u = { 0 };
    ts_err err = user_by_id(a, sub, &u);

    *out = NULL;
    if (err)
        return err;
    struct jw w;
    jw_init(&w);
    jw_open(&w);
    jw_str(&w, "sub", u.id);
    oidc_claims_write(&w, &u, scope);
    jw_close(&w);
    user_rec_clear(&u);
    *out = jw_finish(&w, len);
    return *out ? TS_OK : TS_ENOMEM;
}
