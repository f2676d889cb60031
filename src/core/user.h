/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Users: creation with validation, lookup by id, email or username, filtered lists,
 * operator changes (profile, roles, attributes, password, disabling and deletion; the
 * last three revoke the user's sessions) recorded as admin.* audit events, and the
 * JSON views. Shared by the operator CLI, the admin API and the native API.
 */
#ifndef CORE_USER_H
#define CORE_USER_H

#include <jansson.h>

#include "core/app.h"

struct actor;

/* Longest attributes object, as compact JSON text. */
#define USER_ATTRIBUTES_MAX 8192

struct user_new {
    const char *email;       /* required */
    const char *username;    /* NULL or "" for none */
    const char *name;        /* NULL or "" for none */
    const char *roles;       /* comma or space separated; NULL for none */
    const char *password;    /* NULL: the account has no password (cannot log in) */
};

/* Validates and inserts a user. TS_EINVAL (with a sentence in why) for a bad email,
 * username, role name or too short a password; TS_ECONFLICT for a taken email or
 * username. *out (may be NULL) receives the new row; clear it with user_rec_clear.
 * No audit event: user_register records self sign-up; the bootstrap admin (tessera
 * serve on an empty database) is recorded by none. */
ts_err user_create(struct app *a, const struct user_new *n, struct user_rec *out,
                   char *why, size_t whylen);

/* Self sign-up (POST /v1/auth/register): user_create with the roles of
 * registration.default_roles (n->roles is ignored: a user never chooses its own),
 * recorded as user.register from `ip` (may be NULL). TS_EDISABLED while
 * registration.enabled is off. *out receives the new row; clear it with
 * user_rec_clear. Hashes the password: slow, keep it off the I/O threads. */
ts_err user_register(struct app *a, const struct user_new *n, const char *ip,
                     struct user_rec *out, char *why, size_t whylen);

/* An operator's creation (CLI, admin API): user_create with free-form attributes (the
 * text of a JSON object, NULL for {}) and the disabled flag, recorded as
 * admin.user.create by `by`. Hashes the password: slow, keep it off the I/O threads. */
ts_err user_add(struct app *a, const struct actor *by, const struct user_new *n,
                const char *attributes_json, int disabled, struct user_rec *out,
                char *why, size_t whylen);

/* Like user_create, with a password hash made by another system instead of a
 * password (n->password is ignored): Argon2id, bcrypt or PBKDF2, as password_import()
 * accepts, stored as it says and upgraded to Argon2id at the next login. TS_EINVAL
 * (why never quotes the hash) for a missing, unknown or out-of-bounds hash. *format
 * (may be NULL) receives the hash format's name ("bcrypt", ...). Recorded as
 * admin.user.import by `by` (NULL: not recorded). */
ts_err user_import(struct app *a, const struct actor *by, const struct user_new *n,
                   const char *hash, const char **format, struct user_rec *out,
                   char *why, size_t whylen);

/* Finds a user by id, email (case-insensitive) or username. */
ts_err user_find(struct app *a, const char *key, struct user_rec *out);

/* The user with this id (TS_ENOTFOUND when none); clear *out with user_rec_clear. */
ts_err user_by_id(struct app *a, const char *id, struct user_rec *out);

/* How many users the database holds. */
ts_err user_count(struct app *a, int64_t *count);

/* Users matching *f (NULL: all), ordered by id, after the id `after` ("" or NULL:
 * from the first), at most limit (> 0); see store_user_search. */
ts_err user_list(struct app *a, const struct user_filter *f, const char *after,
                 int limit, user_cb cb, void *ctx);

/* Sets a password (no audit event, no session revoked: the caller decides; the
 * admin's reset is user_update). TS_EINVAL (why set) for a password out of bounds. */
ts_err user_set_password(struct app *a, struct user_rec *u, const char *password,
                         char *why, size_t whylen);
/* Stores an Argon2id hash (current parameters) of a password that just verified
 * against an older or legacy hash; no minimum length applies. Only while the stored
 * hash is still the verified one (TS_ECONFLICT otherwise: nothing written); on success
 * *u is the row as now stored. */
ts_err user_upgrade_hash(struct app *a, struct user_rec *u, const char *password);

/* An operator's change to a user. NULL pointers and a negative `disabled` leave that
 * field as it is. */
struct user_patch {
    const char *email;
    const char *username;        /* "" removes the username */
    const char *name;
    const char *roles;           /* comma or space separated; "" for none */
    const char *attributes_json; /* the text of a JSON object: replaces the attributes */
    const char *password;        /* a new password (hashed: slow, keep it off the I/O
                                  * threads); every session of the user is revoked */
    int disabled;                /* 1: disable (every session revoked), 0: enable */
};

/*
 * Applies a patch in one store update, after validating every field (TS_EINVAL with a
 * sentence in why; TS_ECONFLICT when the email or username is taken). *u holds the
 * new row on success and is unchanged on error. Then revokes the user's sessions when
 * it is disabled or gets a new password, and records, by `by`: admin.user.update
 * {"fields": [...]} for email, username, name and attributes, admin.user.roles,
 * admin.user.disable / admin.user.enable, admin.user.password. An administrator
 * cannot disable its own account (`by` a user whose id is u->id): TS_ECONFLICT, why
 * set, nothing changed.
 */
ts_err user_update(struct app *a, const struct actor *by, struct user_rec *u,
                   const struct user_patch *p, char *why, size_t whylen);

/* Deletes the user and revokes its sessions; recorded as admin.user.delete.
 * TS_ECONFLICT, nothing changed, when `by` is that user: an administrator cannot
 * delete its own account. */
ts_err user_delete(struct app *a, const struct actor *by, const struct user_rec *u);

/* {id, email, username, name, roles, created_at, attributes}; NULL on OOM. */
json_t *user_to_json(const struct user_rec *u);
/* The operator's view: user_to_json plus disabled and updated_at; never the password
 * hash. NULL on OOM. */
json_t *user_admin_json(const struct user_rec *u);

/* "2026-11-22T11:32:11Z" */
void user_time(int64_t t, char out[32]);

#endif
