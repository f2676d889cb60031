/*
 * Users: creation with validation, lookup by id, email or username, role and password
 * changes, disabling and deletion (both revoke the user's sessions), and the public
 * JSON view. Shared by the operator CLI and the HTTP API.
 */
#ifndef CORE_USER_H
#define CORE_USER_H

#include <jansson.h>

#include "core/app.h"

struct user_new {
    const char *email;       /* required */
    const char *username;    /* NULL or "" for none */
    const char *name;        /* NULL or "" for none */
    const char *roles;       /* comma or space separated; NULL for none */
    const char *password;    /* NULL: the account has no password (cannot log in) */
};

/* Validates and inserts a user. TS_EINVAL (with a sentence in why) for a bad email,
 * username, role name or too short a password; TS_ECONFLICT for a taken email or
 * username. *out (may be NULL) receives the new row; clear it with user_rec_clear. */
ts_err user_create(struct app *a, const struct user_new *n, struct user_rec *out,
                   char *why, size_t whylen);

/* Like user_create, with a password hash made by another system instead of a
 * password (n->password is ignored): Argon2id, bcrypt or PBKDF2, as password_import()
 * accepts, stored as it says and upgraded to Argon2id at the next login. TS_EINVAL
 * (why never quotes the hash) for a missing, unknown or out-of-bounds hash. *format
 * (may be NULL) receives the hash format's name ("bcrypt", ...). */
ts_err user_import(struct app *a, const struct user_new *n, const char *hash,
                   const char **format, struct user_rec *out, char *why, size_t whylen);

/* Finds a user by id, email (case-insensitive) or username. */
ts_err user_find(struct app *a, const char *key, struct user_rec *out);

ts_err user_set_password(struct app *a, struct user_rec *u, const char *password,
                         char *why, size_t whylen);
/* Stores an Argon2id hash (current parameters) of a password that just verified
 * against an older or legacy hash; no minimum length applies. */
ts_err user_upgrade_hash(struct app *a, struct user_rec *u, const char *password);
ts_err user_set_roles(struct app *a, struct user_rec *u, const char *roles,
                      char *why, size_t whylen);
/* Disabling revokes every session of the user. */
ts_err user_set_disabled(struct app *a, struct user_rec *u, int disabled);
ts_err user_delete(struct app *a, const struct user_rec *u);

/* {id, email, username, name, roles, created_at, attributes}; NULL on OOM. */
json_t *user_to_json(const struct user_rec *u);

/* "2026-11-22T11:32:11Z" */
void user_time(int64_t t, char out[32]);

#endif
