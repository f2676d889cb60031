/* User accounts: validation, creation, lookup, changes and the public view. */
#include "core/user.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/password.h"
#include "core/scope.h"
#include "core/secret.h"

static int valid_email(const char *e)
{
    size_t n = strlen(e);
    const char *at = strchr(e, '@');
    if (n < 3 || n > STORE_EMAIL_LEN || !at || at == e || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)e[i] <= 0x20 || e[i] == 0x7f)
            return 0;
    return 1;
}

static int valid_username(const char *u)
{
    size_t n = strlen(u);
    if (n < 1 || n > 64 || strchr(u, '@'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)u[i]) && !strchr("._-", u[i]))
            return 0;
    return 1;
}

static ts_err hash_into(struct app *a, const char *pw, char out[STORE_HASH_LEN + 1],
                        char *why, size_t whylen)
{
    ts_err err = password_hash(&a->cfg, pw, strlen(pw), out);
    if (err == TS_EINVAL)
        snprintf(why, whylen, "the password must be %d to %d characters long",
                 a->cfg.min_length, PASSWORD_MAX_LEN);
    return err;
}

/* user_create and user_import: `legacy` NULL hashes n->password; otherwise it is the
 * hash to store, checked by password_import. */
static ts_err insert_user(struct app *a, const struct user_new *n, const char *legacy,
                          const char **format, struct user_rec *out, char *why,
                          size_t whylen)
{
    struct user_rec u = { 0 };
    ts_err err;

    snprintf(why, whylen, "invalid request");
    if (!n->email || !valid_email(n->email)) {
        snprintf(why, whylen, "a valid email address is required");
        return TS_EINVAL;
    }
    if (n->username && *n->username && !valid_username(n->username)) {
        snprintf(why, whylen, "a username is 1 to 64 letters, digits, '.', '_' or '-'");
        return TS_EINVAL;
    }
    if (n->name && strlen(n->name) > STORE_NAME_LEN) {
        snprintf(why, whylen, "the name is longer than %d bytes", STORE_NAME_LEN);
        return TS_EINVAL;
    }
    if ((err = secret_id(u.id)))
        return err;
    snprintf(u.email, sizeof u.email, "%s", n->email);
    snprintf(u.username, sizeof u.username, "%s", n->username ? n->username : "");
    snprintf(u.name, sizeof u.name, "%s", n->name ? n->name : "");
    u.roles_json = scope_roles_json(n->roles, why, whylen);
    u.attributes_json = strdup("{}");
    if (!u.roles_json || !u.attributes_json) {
        err = u.roles_json ? TS_ENOMEM : TS_EINVAL;
        goto out;
    }
    if (legacy) {
        if ((err = password_import(legacy, u.password_hash, format, why, whylen)))
            goto out;
    } else if (n->password &&
               (err = hash_into(a, n->password, u.password_hash, why, whylen))) {
        goto out;
    }
    u.created_at = u.updated_at = (int64_t)time(NULL);
    err = a->st->ops->user_insert(a->st, &u);
    if (err == TS_ECONFLICT)
        snprintf(why, whylen, "a user with this email or username already exists");
    if (!err && out) {
        *out = u;
        memset(&u, 0, sizeof u);
    }
out:
    secret_wipe(u.password_hash, sizeof u.password_hash);
    user_rec_clear(&u);
    return err;
}

ts_err user_create(struct app *a, const struct user_new *n, struct user_rec *out,
                   char *why, size_t whylen)
{
    return insert_user(a, n, NULL, NULL, out, why, whylen);
}

ts_err user_import(struct app *a, const struct user_new *n, const char *hash,
                   const char **format, struct user_rec *out, char *why, size_t whylen)
{
    if (format)
        *format = NULL;
    if (!hash || !*hash) {
        snprintf(why, whylen, "a password hash is required");
        return TS_EINVAL;
    }
    return insert_user(a, n, hash, format, out, why, whylen);
}

ts_err user_find(struct app *a, const char *key, struct user_rec *out)
{
    ts_err err = a->st->ops->user_get(a->st, USER_BY_ID, key, out);
    if (err == TS_ENOTFOUND)
        err = a->st->ops->user_get(a->st, USER_BY_LOGIN, key, out);
    return err;
}

ts_err user_set_password(struct app *a, struct user_rec *u, const char *password,
                         char *why, size_t whylen)
{
    ts_err err = hash_into(a, password, u->password_hash, why, whylen);
    if (err)
        return err;
    u->updated_at = (int64_t)time(NULL);
    return a->st->ops->user_update(a->st, u);
}

ts_err user_upgrade_hash(struct app *a, struct user_rec *u, const char *password)
{
    ts_err err = password_rehash(&a->cfg, password, strlen(password), u->password_hash);
    if (err)
        return err;
    u->updated_at = (int64_t)time(NULL);
    return a->st->ops->user_update(a->st, u);
}

ts_err user_set_roles(struct app *a, struct user_rec *u, const char *roles,
                      char *why, size_t whylen)
{
    char *json = scope_roles_json(roles, why, whylen);
    if (!json)
        return TS_EINVAL;
    free(u->roles_json);
    u->roles_json = json;
    u->updated_at = (int64_t)time(NULL);
    return a->st->ops->user_update(a->st, u);
}

ts_err user_set_disabled(struct app *a, struct user_rec *u, int disabled)
{
    int64_t now = (int64_t)time(NULL);
    u->disabled = disabled ? 1 : 0;
    u->updated_at = now;
    ts_err err = a->st->ops->user_update(a->st, u);
    if (!err && disabled)
        err = a->st->ops->session_revoke_user(a->st, u->id, NULL, now, NULL);
    return err;
}

ts_err user_delete(struct app *a, const struct user_rec *u)
{
    return a->st->ops->user_delete(a->st, u->id, (int64_t)time(NULL));
}

void user_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *user_to_json(const struct user_rec *u)
{
    char created[32];
    json_t *roles = json_loads(u->roles_json ? u->roles_json : "[]", 0, NULL);
    json_t *attrs = json_loads(u->attributes_json ? u->attributes_json : "{}", 0, NULL);
    user_time(u->created_at, created);
    return json_pack("{s:s, s:s, s:s?, s:s, s:o, s:s, s:o}",
                     "id", u->id, "email", u->email,
                     "username", u->username[0] ? u->username : NULL,
                     "name", u->name,
                     "roles", roles ? roles : json_array(),
                     "created_at", created,
                     "attributes", attrs ? attrs : json_object());
}
