/* SPDX-License-Identifier: Apache-2.0 */
/* User accounts: validation, creation, lookup, changes and the public view. */
#include "core/user.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/password.h"
#include "core/scope.h"
#include "base/secret.h"
#include "base/text.h"

static int valid_email(const char *e)
{
    size_t n = strlen(e);
    const char *at = strchr(e, '@');
    if (n < 3 || n > STORE_EMAIL_LEN || !at || at == e || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)e[i] <= 0x20 || e[i] == 0x7f)
            return 0;
    return text_utf8_valid(e);    /* the CLI's arguments and imports are not checked */
}

/* A display name: TS_OK, or TS_EINVAL with why set. JSON bodies are UTF-8 already;
 * the CLI's arguments and import files may be anything, and a name that is not UTF-8
 * would break every list that shows it: refused, not altered. */
static ts_err check_name(const char *name, char *why, size_t whylen)
{
    if (strlen(name) > STORE_NAME_LEN)
        snprintf(why, whylen, "the name is longer than %d bytes", STORE_NAME_LEN);
    else if (!text_utf8_valid(name))
        snprintf(why, whylen, "the name is not valid UTF-8 text");
    else
        return TS_OK;
    return TS_EINVAL;
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

/* The attributes as stored: compact JSON text of an object in *out (malloc'd), or
 * TS_EINVAL with a sentence in why, or TS_ENOMEM (why: "out of memory"). */
static ts_err attributes_text(const char *json, char **out, char *why, size_t whylen)
{
    json_error_t je;
    json_t *v = json_loads(json ? json : "{}", JSON_REJECT_DUPLICATES, &je);
    ts_err err = TS_OK;

    *out = NULL;
    if (!v && json_error_code(&je) == json_error_out_of_memory) {
        snprintf(why, whylen, "out of memory");
        return TS_ENOMEM;
    }
    if (!v || !json_is_object(v)) {
        snprintf(why, whylen, "the attributes must be a JSON object");
        err = TS_EINVAL;
    } else if (!(*out = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        snprintf(why, whylen, "out of memory");
        err = TS_ENOMEM;
    } else if (strlen(*out) > USER_ATTRIBUTES_MAX) {
        snprintf(why, whylen, "the attributes are longer than %d bytes as JSON",
                 USER_ATTRIBUTES_MAX);
        free(*out);
        *out = NULL;
        err = TS_EINVAL;
    }
    json_decref(v);
    return err;
}

/* user_create, user_add and user_import: `legacy` NULL hashes n->password; otherwise
 * it is the hash to store, checked by password_import. */
static ts_err insert_user(struct app *a, const struct user_new *n, const char *legacy,
                          const char **format, const char *attributes, int disabled,
                          struct user_rec *out, char *why, size_t whylen)
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
    if (n->name && (err = check_name(n->name, why, whylen)))
        return err;
    if ((err = scope_roles_known(&a->cfg, n->roles, why, whylen)))
        return err;
    if ((err = secret_id(u.id)))
        return err;
    snprintf(u.email, sizeof u.email, "%s", n->email);
    snprintf(u.username, sizeof u.username, "%s", n->username ? n->username : "");
    snprintf(u.name, sizeof u.name, "%s", n->name ? n->name : "");
    if ((err = scope_roles_json(n->roles, &u.roles_json, why, whylen)) ||
        (err = attributes_text(attributes, &u.attributes_json, why, whylen)))
        goto out;
    u.disabled = disabled ? 1 : 0;
    if (legacy) {
        if ((err = password_import(legacy, u.password_hash, format, why, whylen)))
            goto out;
    } else if (n->password &&
               (err = hash_into(a, n->password, u.password_hash, why, whylen))) {
        goto out;
    }
    u.created_at = u.updated_at = (int64_t)time(NULL);
    err = store_user_insert(a->st, &u);
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
    return insert_user(a, n, NULL, NULL, NULL, 0, out, why, whylen);
}

ts_err user_add(struct app *a, const struct actor *by, const struct user_new *n,
                const char *attributes_json, int disabled, struct user_rec *out,
                char *why, size_t whylen)
{
    struct user_rec u = { 0 };
    ts_err err = insert_user(a, n, NULL, NULL, attributes_json, disabled, &u, why,
                             whylen);
    if (err)
        return err;
    audit_admin(a, by, "admin.user.create", u.id, NULL, NULL);
    if (out)
        *out = u;
    else
        user_rec_clear(&u);
    return TS_OK;
}

ts_err user_import(struct app *a, const struct actor *by, const struct user_new *n,
                   const char *hash, const char **format, struct user_rec *out,
                   char *why, size_t whylen)
{
    struct user_rec u = { 0 };
    const char *fmt = NULL;
    ts_err err;

    if (format)
        *format = NULL;
    if (!hash || !*hash) {
        snprintf(why, whylen, "a password hash is required");
        return TS_EINVAL;
    }
    if ((err = insert_user(a, n, hash, &fmt, NULL, 0, &u, why, whylen)))
        return err;
    audit_admin(a, by, "admin.user.import", u.id, NULL,
                json_pack("{s:s}", "format", fmt ? fmt : "unknown"));
    if (format)
        *format = fmt;
    if (out)
        *out = u;
    else
        user_rec_clear(&u);
    return TS_OK;
}

ts_err user_register(struct app *a, const struct user_new *n, const char *ip,
                     struct user_rec *out, char *why, size_t whylen)
{
    struct user_new self = *n;
    ts_err err;

    if (!a->cfg.registration_enabled)
        return TS_EDISABLED;
    self.roles = a->cfg.registration_default_roles;
    if (!(err = user_create(a, &self, out, why, whylen)))
        audit(a, "user.register", out->id, NULL, ip, NULL);
    return err;
}

ts_err user_find(struct app *a, const char *key, struct user_rec *out)
{
    ts_err err = store_user_get(a->st, USER_BY_ID, key, out);
    if (err == TS_ENOTFOUND)
        err = store_user_get(a->st, USER_BY_LOGIN, key, out);
    return err;
}

ts_err user_by_id(struct app *a, const char *id, struct user_rec *out)
{
    return store_user_get(a->st, USER_BY_ID, id, out);
}

ts_err user_count(struct app *a, int64_t *count)
{
    return store_user_count(a->st, count);
}

ts_err user_set_password(struct app *a, struct user_rec *u, const char *password,
                         char *why, size_t whylen)
{
    ts_err err = hash_into(a, password, u->password_hash, why, whylen);
    if (err)
        return err;
    u->updated_at = (int64_t)time(NULL);
    return store_user_update(a->st, u);
}

ts_err user_upgrade_hash(struct app *a, struct user_rec *u, const char *password)
{
    char fresh_hash[STORE_HASH_LEN + 1];
    struct user_rec now = { 0 };
    ts_err err;

    memcpy(fresh_hash, u->password_hash, sizeof fresh_hash);
    if ((err = password_rehash(&a->cfg, password, strlen(password), fresh_hash)))
        return err;
    /* Hashing took a while: write the new hash into the row as it is now, and only if
     * its hash is still the one verified, so an admin change made meanwhile (a
     * disable, a password reset, new roles) is never written over. */
    if ((err = store_user_get(a->st, USER_BY_ID, u->id, &now))) {
        secret_wipe(fresh_hash, sizeof fresh_hash);
        return err;
    }
    if (!secret_equal(now.password_hash, u->password_hash, sizeof now.password_hash)) {
        user_rec_clear(&now);
        secret_wipe(fresh_hash, sizeof fresh_hash);
        return TS_ECONFLICT;
    }
    memcpy(now.password_hash, fresh_hash, sizeof now.password_hash);
    secret_wipe(fresh_hash, sizeof fresh_hash);
    now.updated_at = (int64_t)time(NULL);
    if ((err = store_user_update(a->st, &now))) {
        user_rec_clear(&now);
        return err;
    }
    user_rec_clear(u);
    *u = now;
    return TS_OK;
}

ts_err user_list(struct app *a, const struct user_filter *f, const char *after,
                 int limit, user_cb cb, void *ctx)
{
    return store_user_search(a->st, f, after, limit, cb, ctx);
}

/* The patch's new values, validated and prepared before anything changes. */
struct prepared {
    char *roles_json, *attributes_json;      /* malloc'd, or NULL: unchanged */
    char hash[STORE_HASH_LEN + 1];           /* "" unless a new password */
};

static void prepared_clear(struct prepared *pp)
{
    free(pp->roles_json);
    free(pp->attributes_json);
    secret_wipe(pp->hash, sizeof pp->hash);
}

static ts_err prepare(struct app *a, const struct user_patch *p, struct prepared *pp,
                      char *why, size_t whylen)
{
    ts_err err;

    memset(pp, 0, sizeof *pp);
    if (p->email && !valid_email(p->email)) {
        snprintf(why, whylen, "a valid email address is required");
        return TS_EINVAL;
    }
    if (p->username && *p->username && !valid_username(p->username)) {
        snprintf(why, whylen, "a username is 1 to 64 letters, digits, '.', '_' or '-'");
        return TS_EINVAL;
    }
    if (p->name && (err = check_name(p->name, why, whylen)))
        return err;
    if (p->roles && (err = scope_roles_known(&a->cfg, p->roles, why, whylen)))
        return err;
    if (p->roles && (err = scope_roles_json(p->roles, &pp->roles_json, why, whylen)))
        return err;
    if (p->attributes_json &&
        (err = attributes_text(p->attributes_json, &pp->attributes_json, why, whylen)))
        goto fail;
    if (p->password && (err = hash_into(a, p->password, pp->hash, why, whylen)))
        goto fail;
    return TS_OK;
fail:
    prepared_clear(pp);
    return err;
}

/* A JSON array of the names of the profile fields a patch changes; NULL when none. */
static json_t *changed_fields(const struct user_patch *p)
{
    static const char *const names[] = { "email", "username", "name", "attributes" };
    const int set[] = { p->email != NULL, p->username != NULL, p->name != NULL,
                        p->attributes_json != NULL };
    return audit_field_names(names, set, sizeof names / sizeof names[0]);
}

/* 1 when the actor is the user itself (an administrator acting on its own account
 * through the admin API); the CLI acts as nobody. */
static int acts_on_itself(const struct actor *by, const struct user_rec *u)
{
    return by && by->sub && !by->is_client && !strcmp(by->sub, u->id);
}

ts_err user_update(struct app *a, const struct actor *by, struct user_rec *u,
                   const struct user_patch *p, char *why, size_t whylen)
{
    struct user_rec old = *u;          /* shallow: the JSON pointers are shared */
    struct prepared pp;
    int64_t now = (int64_t)time(NULL);
    ts_err err;

    snprintf(why, whylen, "invalid request");
    /* Disabling itself would lock the administrator out (docs/design.md). */
    if (p->disabled > 0 && acts_on_itself(by, u)) {
        snprintf(why, whylen, "you cannot disable your own account");
        return TS_ECONFLICT;
    }
    if ((err = prepare(a, p, &pp, why, whylen)))
        return err;
    if (p->email)
        snprintf(u->email, sizeof u->email, "%s", p->email);
    if (p->username)
        snprintf(u->username, sizeof u->username, "%s", p->username);
    if (p->name)
        snprintf(u->name, sizeof u->name, "%s", p->name);
    if (pp.roles_json)
        u->roles_json = pp.roles_json;
    if (pp.attributes_json)
        u->attributes_json = pp.attributes_json;
    if (pp.hash[0])
        memcpy(u->password_hash, pp.hash, sizeof u->password_hash);
    if (p->disabled >= 0)
        u->disabled = p->disabled ? 1 : 0;
    u->updated_at = now;
    err = store_user_update(a->st, u);
    if (err) {
        if (err == TS_ECONFLICT)
            snprintf(why, whylen, "a user with this email or username already exists");
        *u = old;                      /* the old pointers, still owned by *u */
        prepared_clear(&pp);
        secret_wipe(&old, sizeof old);
        return err;
    }
    /* *u owns the new JSON texts now; the replaced ones go. */
    if (pp.roles_json)
        free(old.roles_json);
    if (pp.attributes_json)
        free(old.attributes_json);
    pp.roles_json = pp.attributes_json = NULL;
    prepared_clear(&pp);
    secret_wipe(&old, sizeof old);

    int revoked = 0;
    if (p->disabled > 0 || p->password)
        err = store_session_revoke_user(a->st, u->id, NULL, now, &revoked);
    json_t *fields = changed_fields(p);
    if (fields)
        audit_admin(a, by, "admin.user.update", u->id, NULL,
                    json_pack("{s:o}", "fields", fields));
    if (p->roles)
        audit_admin(a, by, "admin.user.roles", u->id, NULL,
                    json_pack("{s:o}", "roles", json_loads(u->roles_json, 0, NULL)));
    if (p->disabled >= 0)
        audit_admin(a, by, p->disabled ? "admin.user.disable" : "admin.user.enable",
                    u->id, NULL, json_pack("{s:i}", "sessions_revoked",
                                           p->disabled ? revoked : 0));
    if (p->password)
        audit_admin(a, by, "admin.user.password", u->id, NULL,
                    json_pack("{s:i}", "sessions_revoked", revoked));
    return err;
}

ts_err user_delete(struct app *a, const struct actor *by, const struct user_rec *u)
{
    if (acts_on_itself(by, u))
        return TS_ECONFLICT;
    ts_err err = store_user_delete(a->st, u->id, (int64_t)time(NULL));
    if (!err)
        audit_admin(a, by, "admin.user.delete", u->id, NULL, NULL);
    return err;
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

json_t *user_admin_json(const struct user_rec *u)
{
    char updated[32];
    json_t *j = user_to_json(u);
    user_time(u->updated_at, updated);
    if (j && (json_object_set_new(j, "disabled", json_boolean(u->disabled)) ||
              json_object_set_new(j, "updated_at", json_string(updated)))) {
        json_decref(j);
        return NULL;
    }
    return j;
}
