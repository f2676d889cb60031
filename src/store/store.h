/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage interface: one ops table per backend (SQLite now, PostgreSQL later),
 * chosen by the database URL. Operations are domain-level (insert a user, rotate a
 * refresh token), not SQL, so each backend can use its own dialect and locking, and
 * the logic that must be atomic (rotation, reuse detection) is one transaction.
 *
 * Records are plain structs with fixed-size string fields: the caller owns them and
 * nothing inside needs freeing, except the JSON text fields marked "malloc'd", which
 * the record's _clear function releases. Times are Unix seconds (int64_t); 0 means
 * "not set" (e.g. revoked_at == 0: not revoked).
 *
 * All functions are thread-safe: a backend serialises or pools its connections.
 * Every function returns TS_OK, TS_ENOTFOUND (no such row), TS_ECONFLICT (unique
 * constraint), TS_ENOMEM or TS_EDB; nothing else unless its comment says so.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define STORE_ID_LEN     32   /* ids are 22 base64url chars of 128 random bits */
#define STORE_EMAIL_LEN  320
#define STORE_NAME_LEN   256
#define STORE_HASH_LEN   128  /* PHC strings: Argon2id ~97, bcrypt 60, PBKDF2 fits */
#define STORE_TOKHASH_LEN 64  /* SHA-256 of a refresh token, base64url: 43 chars */
#define STORE_UA_LEN     256
#define STORE_IP_LEN     64
#define STORE_CLIENT_ID_LEN 128

/* An open database. Each backend's own struct begins with this: callers write
 * store_user_get(st, ...), which calls st->ops->user_get(st, ...), and the backend
 * casts st to its type. */
struct store_ops;
struct list_reader;
struct store {
    const struct store_ops *ops;
    /* Bumped (store_changed) after every committed write that revokes something or
     * changes the keys: the writes wait_change signals to other processes. The
     * server's revocation set (core/revoked.c) re-reads the store when it moves, so
     * this process sees its own revocations at once. Backends allocate struct store
     * zeroed. */
    atomic_ulong changes;
};

static inline void store_changed(struct store *st)
{
    atomic_fetch_add_explicit(&st->changes, 1, memory_order_release);
}

struct user_rec {
    char id[STORE_ID_LEN + 1];
    char email[STORE_EMAIL_LEN + 1];       /* as given; unique case-insensitively */
    char username[STORE_NAME_LEN + 1];     /* "" when none; unique when set */
    char name[STORE_NAME_LEN + 1];
    char *roles_json;                      /* malloc'd JSON array of strings */
    char *attributes_json;                 /* malloc'd JSON object */
    int disabled;
    char password_hash[STORE_HASH_LEN + 1];/* PHC string; "" when no password */
    int64_t created_at, updated_at;
};
void user_rec_clear(struct user_rec *u);   /* frees the JSON fields, zeroes the rest */

struct session_rec {
    char id[STORE_ID_LEN + 1];
    char user_id[STORE_ID_LEN + 1];
    char client_id[STORE_NAME_LEN + 1];    /* "" for the native API */
    char scope[1024];                      /* granted scopes, space-separated */
    char user_agent[STORE_UA_LEN + 1];
    char ip[STORE_IP_LEN + 1];
    int64_t created_at, last_used_at;
    int64_t expires_at;                    /* absolute end of the refresh family */
    int64_t revoked_at;                    /* 0 while active */
    char audience[1024];                   /* the audience values asked at login,
                                            * space-separated; "": the default */
};

/* What rotating a refresh token found; see store_refresh_rotate. */
enum refresh_outcome {
    REFRESH_ROTATED,     /* current token: retired, successor stored, session touched */
    REFRESH_GRACE,       /* retired within the grace window: nothing changed */
    REFRESH_REUSED,      /* retired past the grace window: session revoked */
    REFRESH_INVALID      /* unknown, expired (absolute or idle) or session revoked */
};

struct signing_key_rec {
    char kid[64 + 1];
    char alg[16];
    char *private_jwk;                     /* malloc'd JWK with private members */
    int64_t created_at;
    int64_t activated_at;                  /* signing since; 0: published only */
    int64_t retired_at;                    /* 0: still published in the JWKS */
};
void signing_key_rec_clear(struct signing_key_rec *k);

struct client_rec {
    char id[STORE_CLIENT_ID_LEN + 1];      /* given or generated; printable ASCII */
    char name[STORE_NAME_LEN + 1];
    char secret_hash[STORE_TOKHASH_LEN + 1]; /* SHA-256 of the secret, base64url; ""
                                              * for public clients */
    char grants[256];                      /* space-separated grant types */
    char scopes[1024];                     /* space-separated allowed scopes; "": any
                                            * scope its roles grant */
    char *roles_json;                      /* malloc'd JSON array: roles of its own
                                            * (client_credentials) tokens */
    char auth_method[48];                  /* client_secret_basic, client_secret_post,
                                            * none, tls_client_auth,
                                            * self_signed_tls_client_auth */
    int auth_method_pinned;                /* 0: a client_secret_* client also accepts
                                            * the other secret method (core/client.c);
                                            * 1: only auth_method */
    int is_public;                         /* 1: no secret (auth_method none) */
    int disabled;
    int refresh_rotation;                  /* -1: server default, 0 off, 1 on */
    int64_t access_ttl, refresh_ttl, refresh_idle_ttl; /* seconds; 0: server default */
    char tls_subject_dn[512];              /* tls_client_auth: expected subject DN */
    char tls_thumbprint[64];               /* self_signed_tls_client_auth: x5t#S256 */
    int64_t created_at, updated_at;
    char audiences[1024];                  /* space-separated audiences it may ask for
                                            * (RFC 8707); "": no limit of its own */
    char redirect_uris[2048];              /* space-separated, exact (core/client.c
                                            * validates each); "": none */
    char post_logout_redirect_uris[2048];  /* the same, for RP-initiated logout */
    int first_party;                       /* 1: trusted, consent skipped */
    char backchannel_logout_uri[512];      /* "": none */
    char id_token_alg[16];                 /* RS256 (default), ES256 or EdDSA */
};
void client_rec_clear(struct client_rec *c);  /* frees roles_json, zeroes the rest */

struct audit_rec {
    int64_t at;
    const char *event;     /* "login.success", "login.failure", "refresh.reuse", ... */
    const char *user_id;   /* may be NULL */
    const char *client_id; /* may be NULL */
    const char *ip;        /* may be NULL */
    const char *detail_json; /* a JSON object or NULL; never a secret */
};

/* One stored audit event as audit_list reads it (the admin API's audit query). Text
 * columns that are NULL read as "". */
struct audit_event_rec {
    int64_t id;                            /* assigned in insertion order, from 1 */
    int64_t at;
    char event[64];
    char user_id[STORE_ID_LEN + 1];
    char client_id[STORE_CLIENT_ID_LEN + 1];
    char ip[STORE_IP_LEN + 1];
    char *detail_json;                     /* malloc'd JSON object, or NULL */
};
void audit_event_rec_clear(struct audit_event_rec *e);  /* frees detail_json */

/* The filters of user_search. A NULL or "" string, and a negative `disabled`, match
 * every user; the filters given must all match. */
struct user_filter {
    const char *email_prefix;  /* the email, lowercased (ASCII, as for lookups), starts
                                * with this string lowercased the same way: SQLite
                                * compares substr(email_lower, 1, length(p)) = p */
    const char *role;          /* roles_json (an array of strings) holds this exact
                                * string as one of its elements */
    int disabled;              /* 1: disabled users only, 0: enabled only, -1: both */
};

/* The filters of audit_list; 0 / NULL / "" for "no filter". All given must match. */
struct audit_filter {
    int64_t since;             /* at >= since */
    int64_t until;             /* at < until */
    const char *user_id;       /* user_id = this, exactly */
    const char *event;         /* event = this, exactly */
    const char *event_prefix;  /* event starts with this, e.g. "admin." */
};

/* A revoked session, for the revocation feed. */
struct revocation_rec {
    char sid[STORE_ID_LEN + 1];
    int64_t revoked_at;
};

/* Callbacks for list operations; return nonzero to stop early. The record is only
 * valid during the call. */
typedef int (*user_cb)(void *ctx, const struct user_rec *u);
typedef int (*session_cb)(void *ctx, const struct session_rec *s);
typedef int (*key_cb)(void *ctx, const struct signing_key_rec *k);
typedef int (*client_cb)(void *ctx, const struct client_rec *c);
typedef int (*jti_cb)(void *ctx, const char *jti, int64_t revoked_at, int64_t expires_at);
typedef int (*audit_cb)(void *ctx, const struct audit_event_rec *e);

/* An authorization code (core/authcode.c): only the code's hash is stored. */
struct code_rec {
    char hash[STORE_TOKHASH_LEN + 1];      /* SHA-256 of the code, base64url */
    char client_id[STORE_CLIENT_ID_LEN + 1];
    char redirect_uri[1024];               /* as the authorization request sent it */
    char code_challenge[64];               /* S256 challenge (43 chars); "": none */
    char scope[1024];
    char nonce[513];                       /* "": none */
    char browser_sid[STORE_ID_LEN + 1];    /* the browser session that approved */
    char user_id[STORE_ID_LEN + 1];
    int64_t auth_time;                     /* when the user logged in */
    char issued_sid[STORE_ID_LEN + 1];     /* the session id the exchange creates */
    int64_t created_at, expires_at;
    int64_t used_at;                       /* 0 until exchanged */
};

enum user_lookup { USER_BY_ID, USER_BY_EMAIL, USER_BY_USERNAME, USER_BY_LOGIN };

/*
 * The ops table each backend fills. Callers do not use it (the store's own unit
 * tests aside): they call the named wrappers below (store_user_get(st, ...) for
 * st->ops->user_get(st, ...)), where each operation's contract is written. Only
 * src/core/ calls them (mk/check-includes.sh keeps store/ out of the layers above).
 */
struct store_ops {
    const char *scheme;    /* "sqlite" (also plain paths), "postgresql" */

    ts_err (*open)(const char *url, struct store **out);      /* see store_open */
    void (*close)(struct store *st);                           /* store_close */
    ts_err (*migrate)(struct store *st, int *applied);         /* store_migrate */
    ts_err (*schema_version)(struct store *st, int *version);  /* store_schema_version */
    ts_err (*ping)(struct store *st);                          /* store_ping */

    /* see store_secret_get_or_put */
    ts_err (*secret_get_or_put)(struct store *st, const char *name,
                                const char *value_if_new, char out[256]);

    /* users: see store_user_insert ... store_user_search */
    ts_err (*user_insert)(struct store *st, const struct user_rec *u);
    ts_err (*user_get)(struct store *st, enum user_lookup by, const char *value,
                       struct user_rec *out);
    ts_err (*user_update)(struct store *st, const struct user_rec *u);
    ts_err (*user_delete)(struct store *st, const char *id, int64_t now);
    ts_err (*user_list)(struct store *st, const char *after, int limit,
                        user_cb cb, void *ctx);
    ts_err (*user_count)(struct store *st, int64_t *count);
    ts_err (*user_search)(struct store *st, const struct user_filter *f,
                          const char *after, int limit, user_cb cb, void *ctx);

    /* sessions and refresh tokens: see store_session_create ... store_refresh_lookup.
     * session_count_active may be NULL. */
    ts_err (*session_create)(struct store *st, const struct session_rec *s,
                             const char *refresh_hash);
    ts_err (*session_get)(struct store *st, const char *id, struct session_rec *out);
    ts_err (*session_revoke)(struct store *st, const char *id, int64_t now);
    ts_err (*session_revoke_user)(struct store *st, const char *user_id,
                                  const char *except_id, int64_t now, int *count);
    ts_err (*session_list_user)(struct store *st, const char *user_id, int64_t now,
                                session_cb cb, void *ctx);
    ts_err (*session_list_all)(struct store *st, int64_t now, int limit,
                               session_cb cb, void *ctx);
    ts_err (*session_page)(struct store *st, const char *user_id, int64_t now,
                           int64_t after_created, const char *after_id, int limit,
                           session_cb cb, void *ctx);
    ts_err (*session_count_active)(struct store *st, int64_t now, int64_t *count);
    ts_err (*refresh_rotate)(struct store *st, const char *presented_hash,
                             const char *successor_hash, int64_t now, int64_t grace,
                             int64_t idle_ttl, const char *user_agent, const char *ip,
                             enum refresh_outcome *outcome, struct session_rec *session);
    ts_err (*refresh_lookup)(struct store *st, const char *hash,
                             struct session_rec *session, int64_t *created_at,
                             int64_t *retired_at);

    /* signing keys: see store_key_insert, store_key_list, store_key_update */
    ts_err (*key_insert)(struct store *st, const struct signing_key_rec *k);
    ts_err (*key_list)(struct store *st, int include_retired, key_cb cb, void *ctx);
    ts_err (*key_update)(struct store *st, const char *kid, int64_t activated_at,
                         int64_t retired_at);

    /* clients: see store_client_insert ... store_client_list */
    ts_err (*client_insert)(struct store *st, const struct client_rec *c);
    ts_err (*client_get)(struct store *st, const char *id, struct client_rec *out);
    ts_err (*client_update)(struct store *st, const struct client_rec *c);
    ts_err (*client_delete)(struct store *st, const char *id, int64_t now);
    ts_err (*client_list)(struct store *st, const char *after, int limit,
                          client_cb cb, void *ctx);

    /* revoked jtis, the revocation feed: see store_jti_revoke ... store_revocations */
    ts_err (*jti_revoke)(struct store *st, const char *jti, int64_t expires_at,
                         int64_t now);
    ts_err (*jti_revoked)(struct store *st, const char *jti);
    ts_err (*jti_list)(struct store *st, int64_t since, int64_t now, jti_cb cb,
                       void *ctx);
    ts_err (*revocations)(struct store *st, int64_t not_before, int64_t before,
                          int64_t after_at, const char *after_id,
                          struct revocation_rec *out, int n, int *count);

    /* the browser flow: see store_browser_cookie_insert ... store_code_take */
    ts_err (*browser_cookie_insert)(struct store *st, const char *session_id,
                                    const char *cookie_hash, int64_t auth_time);
    ts_err (*browser_cookie_find)(struct store *st, const char *cookie_hash,
                                  char session_id[STORE_ID_LEN + 1], int64_t *auth_time);
    ts_err (*session_touch)(struct store *st, const char *id, int64_t now);
    ts_err (*code_insert)(struct store *st, const struct code_rec *c, int64_t now);
    ts_err (*code_take)(struct store *st, const char *hash, int64_t now,
                        struct code_rec *out);

    /* see store_wait_change and store_wake; NULL for a backend with no change signal
     * (SQLite), both or neither */
    ts_err (*wait_change)(struct store *st, int timeout_ms);
    void (*wake)(struct store *st);

    /* audit: see store_audit_insert, store_audit_list */
    ts_err (*audit_insert)(struct store *st, const struct audit_rec *a, int n);
    ts_err (*audit_list)(struct store *st, const struct audit_filter *f, int64_t before,
                         int limit, audit_cb cb, void *ctx);
    /* The readers of one chunk of each list (store/lists.h): both backends' list
     * operations above are store/lists.c's list_users ... list_audit, which walk the
     * lists through these. */
    const struct list_reader *lists;
};

/* Opens the store a URL names: "sqlite:PATH", "file:PATH" or a plain path for SQLite;
 * "postgresql://..." or "postgres://..." (a libpq connection URI, plus pool_size=N)
 * for PostgreSQL. Does not migrate. Close with store_close(). */
ts_err store_open(const char *url, struct store **out);

/* What a log line or error message may say about a database URL: a SQLite path as
 * is, only "scheme://..." for any other URL (it may hold a password). */
const char *store_url_display(const char *url, char *buf, size_t size);

/*
 * The operations, one named wrapper each. They are static inline rather than
 * functions in store.c: each is one indirect call, so inlining keeps the cost of the
 * table as it was (the refresh and token paths call them per request), and the header
 * stays the one place a reader finds both the name and the contract. Each answers what
 * the backend's op answers, with the arguments unchanged.
 */

/* Closes the store and frees it (its connections, cached statements, listener). */
static inline void store_close(struct store *st)
{
    st->ops->close(st);
}

/* Applies pending migrations; *applied counts them. */
static inline ts_err store_migrate(struct store *st, int *applied)
{
    return st->ops->migrate(st, applied);
}

/* Highest applied migration version, 0 for an empty database. */
static inline ts_err store_schema_version(struct store *st, int *version)
{
    return st->ops->schema_version(st, version);
}

/* Readiness (/readyz, /metrics tessera_store_up): TS_OK when the database answers
 * reads and writes now; besides TS_EDB, TS_EBUSY when another process holds a lock
 * past a short wait and TS_ENOTFOUND when the database is no longer where it was
 * opened (SQLite: file moved or deleted), so /readyz can name the problem. Must not
 * block for long: a readiness probe waits on it. */
static inline ts_err store_ping(struct store *st)
{
    return st->ops->ping(st);
}

/* Server-wide secrets (e.g. the refresh-token derivation key): returns the stored
 * value for `name`, or stores `value_if_new` and returns it when none exists. The
 * first writer wins when several instances race. out must hold 256 bytes. */
static inline ts_err store_secret_get_or_put(struct store *st, const char *name,
                                             const char *value_if_new, char out[256])
{
    return st->ops->secret_get_or_put(st, name, value_if_new, out);
}

/* --- users ---------------------------------------------------------------------- */

/* Users: email and username are unique case-insensitively (stored as given, looked
 * up lowercased); TS_ECONFLICT on a clash. */
static inline ts_err store_user_insert(struct store *st, const struct user_rec *u)
{
    return st->ops->user_insert(st, u);
}

/* USER_BY_LOGIN matches the value against email or username (email first). Fills
 * *out (the caller clears it with user_rec_clear). */
static inline ts_err store_user_get(struct store *st, enum user_lookup by,
                                    const char *value, struct user_rec *out)
{
    return st->ops->user_get(st, by, value, out);
}

/* Replaces every column of the row with id u->id (updated_at included). */
static inline ts_err store_user_update(struct store *st, const struct user_rec *u)
{
    return st->ops->user_update(st, u);
}

/* Deletes the user; its sessions are revoked at `now` in the same transaction (rows
 * kept for the revocation feed and audit). */
static inline ts_err store_user_delete(struct store *st, const char *id, int64_t now)
{
    return st->ops->user_delete(st, id, now);
}

/* Users ordered by id, those with id > after ("" for the start), at most limit (0:
 * every user). */
static inline ts_err store_user_list(struct store *st, const char *after, int limit,
                                     user_cb cb, void *ctx)
{
    return st->ops->user_list(st, after, limit, cb, ctx);
}

static inline ts_err store_user_count(struct store *st, int64_t *count)
{
    return st->ops->user_count(st, count);
}

/* The users that match *f (see struct user_filter), ordered by id, those with
 * id > after ("" or NULL: from the first), at most limit (> 0) of them: cb is called
 * once per user, in that order. The admin API pages with it: a page of n asks limit
 * n + 1 to learn whether another page follows. */
static inline ts_err store_user_search(struct store *st, const struct user_filter *f,
                                       const char *after, int limit, user_cb cb,
                                       void *ctx)
{
    return st->ops->user_search(st, f, after, limit, cb, ctx);
}

/* --- sessions and refresh tokens ------------------------------------------------ */

/* Inserts the session and its first refresh token hash in one transaction. */
static inline ts_err store_session_create(struct store *st, const struct session_rec *s,
                                          const char *refresh_hash)
{
    return st->ops->session_create(st, s, refresh_hash);
}

/* The session with this id, active or not. */
static inline ts_err store_session_get(struct store *st, const char *id,
                                       struct session_rec *out)
{
    return st->ops->session_get(st, id, out);
}

/* Sets revoked_at = now when not yet revoked. TS_ENOTFOUND when no such session. */
static inline ts_err store_session_revoke(struct store *st, const char *id, int64_t now)
{
    return st->ops->session_revoke(st, id, now);
}

/* Revokes every active session of the user except `except_id` (NULL: none); *count
 * (may be NULL) receives how many. */
static inline ts_err store_session_revoke_user(struct store *st, const char *user_id,
                                               const char *except_id, int64_t now,
                                               int *count)
{
    return st->ops->session_revoke_user(st, user_id, except_id, now, count);
}

/* Active (not revoked, not expired at `now`) sessions of a user, newest first. */
static inline ts_err store_session_list_user(struct store *st, const char *user_id,
                                             int64_t now, session_cb cb, void *ctx)
{
    return st->ops->session_list_user(st, user_id, now, cb, ctx);
}

/* Active sessions of every user, newest first, at most limit (0: no limit). */
static inline ts_err store_session_list_all(struct store *st, int64_t now, int limit,
                                            session_cb cb, void *ctx)
{
    return st->ops->session_list_all(st, now, limit, cb, ctx);
}

/* A page of active sessions (revoked_at unset and expires_at > now) of user_id (NULL
 * or "": of every user), newest first: ordered by created_at descending, then id
 * descending. after_id NULL (or "") starts at the newest; otherwise only the sessions
 * strictly after the cursor in that order are listed: created_at < after_created, or
 * created_at = after_created and id < after_id. At most limit (> 0) calls of cb. */
static inline ts_err store_session_page(struct store *st, const char *user_id,
                                        int64_t now, int64_t after_created,
                                        const char *after_id, int limit, session_cb cb,
                                        void *ctx)
{
    return st->ops->session_page(st, user_id, now, after_created, after_id, limit, cb,
                                 ctx);
}

/* How many sessions of every user are active (revoked_at unset and expires_at > now):
 * the tessera_active_sessions gauge of /metrics (core/metrics.c). TS_EDISABLED from a
 * backend without the op (NULL in its table): the gauge is then left out. */
static inline ts_err store_session_count_active(struct store *st, int64_t now,
                                                int64_t *count)
{
    if (!st->ops->session_count_active)
        return TS_EDISABLED;
    return st->ops->session_count_active(st, now, count);
}

/*
 * One atomic refresh step for the token whose hash is `presented_hash`:
 *  - unknown hash, session revoked, now >= session expires_at, or the token idle past
 *    `idle_ttl` (now - its created_at >= idle_ttl): REFRESH_INVALID;
 *  - current (not retired): retire it at `now`, store `successor_hash` (created at
 *    now) as the session's current token, set last_used_at = now (and user_agent / ip
 *    when given): REFRESH_ROTATED. With successor_hash NULL (rotation off) the token
 *    stays current and only its created_at and last_used_at move to now;
 *  - retired at r with now - r < grace: REFRESH_GRACE, nothing written;
 *  - retired longer ago: revoke the session at now: REFRESH_REUSED.
 * *session (may be NULL) receives the session row for every outcome but INVALID with
 * an unknown hash.
 */
static inline ts_err store_refresh_rotate(struct store *st, const char *presented_hash,
                                          const char *successor_hash, int64_t now,
                                          int64_t grace, int64_t idle_ttl,
                                          const char *user_agent, const char *ip,
                                          enum refresh_outcome *outcome,
                                          struct session_rec *session)
{
    return st->ops->refresh_rotate(st, presented_hash, successor_hash, now, grace,
                                   idle_ttl, user_agent, ip, outcome, session);
}

/* The refresh token whose hash is `hash`, read only (introspection, revocation): its
 * session in *session, its own created_at and retired_at (0: current). TS_ENOTFOUND
 * for an unknown hash. */
static inline ts_err store_refresh_lookup(struct store *st, const char *hash,
                                          struct session_rec *session,
                                          int64_t *created_at, int64_t *retired_at)
{
    return st->ops->refresh_lookup(st, hash, session, created_at, retired_at);
}

/* --- signing keys --------------------------------------------------------------- */

static inline ts_err store_key_insert(struct store *st, const struct signing_key_rec *k)
{
    return st->ops->key_insert(st, k);
}

/* The keys not retired (with include_retired: every key), oldest first. */
static inline ts_err store_key_list(struct store *st, int include_retired, key_cb cb,
                                    void *ctx)
{
    return st->ops->key_list(st, include_retired, cb, ctx);
}

/* Sets activated_at / retired_at of kid (a 0 argument leaves that column alone). */
static inline ts_err store_key_update(struct store *st, const char *kid,
                                      int64_t activated_at, int64_t retired_at)
{
    return st->ops->key_update(st, kid, activated_at, retired_at);
}

/* --- clients -------------------------------------------------------------------- */

/* TS_ECONFLICT when the id exists. */
static inline ts_err store_client_insert(struct store *st, const struct client_rec *c)
{
    return st->ops->client_insert(st, c);
}

/* Fills *out (the caller clears it with client_rec_clear). */
static inline ts_err store_client_get(struct store *st, const char *id,
                                      struct client_rec *out)
{
    return st->ops->client_get(st, id, out);
}

/* Replaces every column of the row with id c->id (TS_ENOTFOUND when none). */
static inline ts_err store_client_update(struct store *st, const struct client_rec *c)
{
    return st->ops->client_update(st, c);
}

/* Removes the client and revokes at `now` every session it holds. */
static inline ts_err store_client_delete(struct store *st, const char *id, int64_t now)
{
    return st->ops->client_delete(st, id, now);
}

/* Clients ordered by id, ids > after, at most limit (0: no limit). */
static inline ts_err store_client_list(struct store *st, const char *after, int limit,
                                       client_cb cb, void *ctx)
{
    return st->ops->client_list(st, after, limit, cb, ctx);
}

/* --- revoked access tokens and the revocation feed ------------------------------ */

/* Revoked access tokens that have no session (client_credentials): the jti is kept
 * until `expires_at` (the token's exp), then may be purged; revoked_at is `now`.
 * Revoking twice is TS_OK (the first revoked_at stays). */
static inline ts_err store_jti_revoke(struct store *st, const char *jti,
                                      int64_t expires_at, int64_t now)
{
    return st->ops->jti_revoke(st, jti, expires_at, now);
}

/* TS_OK when revoked, TS_ENOTFOUND when not. */
static inline ts_err store_jti_revoked(struct store *st, const char *jti)
{
    return st->ops->jti_revoked(st, jti);
}

/* Calls cb for every revoked jti with revoked_at >= since and expires_at > now, in
 * revoked_at order. */
static inline ts_err store_jti_list(struct store *st, int64_t since, int64_t now,
                                    jti_cb cb, void *ctx)
{
    return st->ops->jti_list(st, since, now, cb, ctx);
}

/* The revocation feed: sessions revoked at or after `not_before` and before `before`,
 * in (revoked_at, id) order, after the cursor (after_at, after_id; 0 and "" for the
 * start), at most n into out; *count receives how many. */
static inline ts_err store_revocations(struct store *st, int64_t not_before,
                                       int64_t before, int64_t after_at,
                                       const char *after_id, struct revocation_rec *out,
                                       int n, int *count)
{
    return st->ops->revocations(st, not_before, before, after_at, after_id, out, n,
                                count);
}

/* --- the browser flow (docs/oidc.md) -------------------------------------------- */

/* Marks the existing session `session_id` as a browser session (the hosted login
 * page's) whose cookie secret hashes to `cookie_hash`; the user logged in at
 * auth_time. TS_ECONFLICT when the hash or the session is taken. */
static inline ts_err store_browser_cookie_insert(struct store *st, const char *session_id,
                                                 const char *cookie_hash,
                                                 int64_t auth_time)
{
    return st->ops->browser_cookie_insert(st, session_id, cookie_hash, auth_time);
}

/* The browser session whose cookie hashes to `cookie_hash`: its id and auth_time
 * (the caller reads the session row itself, to check it is active). TS_ENOTFOUND
 * when none. */
static inline ts_err store_browser_cookie_find(struct store *st, const char *cookie_hash,
                                               char session_id[STORE_ID_LEN + 1],
                                               int64_t *auth_time)
{
    return st->ops->browser_cookie_find(st, cookie_hash, session_id, auth_time);
}

/* Sets the session's last_used_at to now (its idle lifetime starts again).
 * TS_ENOTFOUND when no such session. */
static inline ts_err store_session_touch(struct store *st, const char *id, int64_t now)
{
    return st->ops->session_touch(st, id, now);
}

/* Stores a new authorization code (used_at is ignored: a new code is unused). Codes
 * that expired more than an hour before `now` are deleted first, at most once a
 * minute per store; a failed purge is logged and does not fail the insert.
 * TS_ECONFLICT for a hash already stored. */
static inline ts_err store_code_insert(struct store *st, const struct code_rec *c,
                                       int64_t now)
{
    return st->ops->code_insert(st, c, now);
}

/* Takes the code whose hash is `hash`, atomically: the first call sets its used_at
 * to now and answers TS_OK; every later call (from any instance) answers
 * TS_ECONFLICT. Both fill *out with the row as it was before this call (used_at 0
 * for the first); the caller checks expiry and bindings. TS_ENOTFOUND when no such
 * code (or it was purged). */
static inline ts_err store_code_take(struct store *st, const char *hash, int64_t now,
                                     struct code_rec *out)
{
    return st->ops->code_take(st, hash, now, out);
}

/* --- changes made by other processes ------------------------------------------- */

/* Blocks for up to timeout_ms, returning early when another process sharing the
 * database may have revoked something or changed the keys (PostgreSQL: a NOTIFY on
 * the channel every such write sends). TS_OK either way; the caller then reads what
 * changed (revocations, jti_list, key_list). TS_EDISABLED at once from a backend with
 * no such signal (SQLite, NULL in its table): the caller sleeps and polls.
 * PostgreSQL: TS_EDB when its listening connection is lost and cannot be made again
 * (the caller sleeps and polls); a new or re-made one answers TS_OK at once, since
 * what was signalled while none listened is not replayed. */
static inline ts_err store_wait_change(struct store *st, int timeout_ms)
{
    if (!st->ops->wait_change)
        return TS_EDISABLED;
    return st->ops->wait_change(st, timeout_ms);
}

/* Makes a store_wait_change in progress (on another thread) return at once, or the
 * next one when none is in progress: for stopping the thread that waits without
 * waiting out its timeout (call it after setting the thread's stop flag). Safe from
 * any thread. Nothing for a backend without wait_change. */
static inline void store_wake(struct store *st)
{
    if (st->ops->wake)
        st->ops->wake(st);
}

/* --- audit ---------------------------------------------------------------------- */

/* Inserts n events in one transaction (all or none), numbered in order. */
static inline ts_err store_audit_insert(struct store *st, const struct audit_rec *a,
                                        int n)
{
    return st->ops->audit_insert(st, a, n);
}

/* Stored events that match *f (see struct audit_filter), newest first (id
 * descending), those with id < before (0: from the newest), at most limit (> 0) calls
 * of cb. The record (and its detail_json) is only valid during the call. */
static inline ts_err store_audit_list(struct store *st, const struct audit_filter *f,
                                      int64_t before, int limit, audit_cb cb, void *ctx)
{
    return st->ops->audit_list(st, f, before, limit, cb, ctx);
}

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

#endif
