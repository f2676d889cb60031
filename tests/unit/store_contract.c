/* SPDX-License-Identifier: Apache-2.0 */
/* The store contract suite (store_contract.h): users, sessions, refresh rotation,
 * keys, clients, jtis, audit and server secrets, the same on every backend. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/store.h"
#include "store_contract.h"

#define OPS(f) ((f)->st->ops)

/* The test's fixture; a backend that is not there (no PostgreSQL) skips. */
static struct store_fx *fx_or_skip(void **state)
{
    if (!*state)
        skip();
    return *state;
}
#define FX(state) fx_or_skip(state)

/* Rotation tests: session "s1" of user "u1", created at T0, ends at T0 + 1000, with
 * refresh token "h0". */
#define T0 1000
#define GRACE 10
#define IDLE 300

static int count_migrations(void)
{
    int n = 0;
    while (store_migrations[n].version)
        n++;
    return n;
}

static void raw_exec(struct store_fx *f, const char *sql)
{
    f->exec(f, sql);
}

/* raw_exec of fmt with its one %s replaced by n copies of c: a long value, built
 * here rather than by a SQL function the backends spell differently. */
static void raw_exec_fill(struct store_fx *f, const char *fmt, char c, int n)
{
    char fill[512], sql[1024];
    assert_true(n > 0 && (size_t)n < sizeof fill);
    memset(fill, c, (size_t)n);
    fill[n] = '\0';
    snprintf(sql, sizeof sql, fmt, fill);
    f->exec(f, sql);
}

static int64_t raw_int(struct store_fx *f, const char *sql)
{
    return f->int_of(f, sql);
}

static void reopen(struct store_fx *f)
{
    f->reopen(f);
}

static struct user_rec make_user(const char *id, const char *email, const char *username)
{
    struct user_rec u = { 0 };
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.email, sizeof u.email, "%s", email);
    snprintf(u.username, sizeof u.username, "%s", username ? username : "");
    snprintf(u.name, sizeof u.name, "Name of %s", id);
    u.roles_json = strdup("[\"user\"]");
    u.attributes_json = strdup("{\"team\":\"a\"}");
    snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$v=19$m=19456,t=2,p=1$x");
    u.created_at = 100;
    u.updated_at = 200;
    return u;
}

ts_err store_fx_add_user(struct store_fx *f, const char *id, const char *email,
                       const char *username)
{
    struct user_rec u = make_user(id, email, username);
    ts_err err = OPS(f)->user_insert(f->st, &u);
    user_rec_clear(&u);
    return err;
}

struct session_rec store_fx_make_session(const char *id, const char *user_id,
                                         int64_t created, int64_t expires)
{
    struct session_rec s = { 0 };
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
    snprintf(s.client_id, sizeof s.client_id, "cli");
    snprintf(s.scope, sizeof s.scope, "read:skills write:skills");
    snprintf(s.user_agent, sizeof s.user_agent, "ua-1");
    snprintf(s.ip, sizeof s.ip, "10.0.0.1");
    s.created_at = s.last_used_at = created;
    s.expires_at = expires;
    return s;
}

ts_err store_fx_add_session(struct store *st, const char *id, const char *user_id,
                            int64_t created, int64_t expires, const char *hash)
{
    struct session_rec s = store_fx_make_session(id, user_id, created, expires);
    return st->ops->session_create(st, &s, hash);
}

static ts_err add_session(struct store_fx *f, const char *id, const char *user_id,
                          int64_t created, int64_t expires, const char *hash)
{
    return store_fx_add_session(f->st, id, user_id, created, expires, hash);
}

/* Ids seen by a list callback, in order; stops after `stop_after` when nonzero. */
struct seen {
    int n, stop_after;
    char id[200][STORE_CLIENT_ID_LEN + 1];      /* client ids are longest */
    int64_t at[200];
};

static int seen_add(struct seen *v, const char *id, int64_t at)
{
    if (v->n < 200) {
        snprintf(v->id[v->n], sizeof v->id[0], "%s", id);
        v->at[v->n] = at;
    }
    v->n++;
    return v->stop_after && v->n >= v->stop_after;
}

static int seen_user(void *ctx, const struct user_rec *u)
{
    return seen_add(ctx, u->id, u->created_at);
}

static int seen_session(void *ctx, const struct session_rec *s)
{
    return seen_add(ctx, s->id, s->created_at);
}

static int seen_key(void *ctx, const struct signing_key_rec *k)
{
    return seen_add(ctx, k->kid, k->created_at);
}

static enum refresh_outcome rotate(struct store_fx *f, const char *hash, const char *next,
                                   int64_t now, struct session_rec *s)
{
    enum refresh_outcome oc = (enum refresh_outcome)-1;
    assert_int_equal(OPS(f)->refresh_rotate(f->st, hash, next, now, GRACE, IDLE, NULL,
                                            NULL, &oc, s), TS_OK);
    return oc;
}

/* A rotation whose result is an error, not an outcome. */
static ts_err rotate_err(struct store_fx *f)
{
    enum refresh_outcome oc;
    struct session_rec s;
    return OPS(f)->refresh_rotate(f->st, "h0", "h1", T0 + 1, GRACE, IDLE, NULL, NULL, &oc,
                                  &s);
}

static void rotation_fixture(struct store_fx *f)
{
    assert_int_equal(store_fx_add_user(f, "u1", "one@example.com", "one"), TS_OK);
    assert_int_equal(add_session(f, "s1", "u1", T0, T0 + 1000, "h0"), TS_OK);
}

/* On an empty database (setup_empty): every migration applied once, in order, then
 * none; a schema newer than the binary knows is refused. */
static void migrate_is_idempotent_and_refuses_a_newer_schema(void **state)
{
    struct store_fx *f = FX(state);
    int version = -1, applied = -1, n = count_migrations();

    assert_true(n >= 1);
    assert_int_equal(OPS(f)->schema_version(f->st, &version), TS_OK);
    assert_int_equal(version, 0);
    assert_int_equal(OPS(f)->migrate(f->st, &applied), TS_OK);
    assert_int_equal(applied, n);
    assert_int_equal(OPS(f)->schema_version(f->st, &version), TS_OK);
    assert_int_equal(version, store_migrations[n - 1].version);
    assert_int_equal(OPS(f)->migrate(f->st, &applied), TS_OK);
    assert_int_equal(applied, 0);
    reopen(f);
    assert_int_equal(OPS(f)->migrate(f->st, &applied), TS_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM schema_migrations"), n);
    assert_int_equal(raw_int(f, "SELECT max(version) FROM schema_migrations"),
                     store_migrations[n - 1].version);
    assert_int_equal(OPS(f)->ping(f->st), TS_OK);
    raw_exec(f, "INSERT INTO schema_migrations VALUES (9999, '9999_future', 0)");
    assert_int_equal(OPS(f)->migrate(f->st, &applied), TS_EDB);
}

static void user_insert_and_get_by_every_key(void **state)
{
    struct store_fx *f = FX(state);
    struct user_rec u;
    int64_t n = -1;

    assert_int_equal(store_fx_add_user(f, "u1", "Alice@Example.COM", "Alice.B"), TS_OK);
    assert_int_equal(store_fx_add_user(f, "u2", "bob@example.com", NULL), TS_OK);
    assert_int_equal(OPS(f)->user_count(f->st, &n), TS_OK);
    assert_int_equal(n, 2);

    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_ID, "u1", &u), TS_OK);
    assert_string_equal(u.id, "u1");
    assert_string_equal(u.email, "Alice@Example.COM");       /* stored as given */
    assert_string_equal(u.username, "Alice.B");
    assert_string_equal(u.name, "Name of u1");
    assert_string_equal(u.roles_json, "[\"user\"]");
    assert_string_equal(u.attributes_json, "{\"team\":\"a\"}");
    assert_string_equal(u.password_hash, "$argon2id$v=19$m=19456,t=2,p=1$x");
    assert_int_equal(u.disabled, 0);
    assert_int_equal(u.created_at, 100);
    assert_int_equal(u.updated_at, 200);
    user_rec_clear(&u);

    const struct { enum user_lookup by; const char *key, *want; } cases[] = {
        { USER_BY_EMAIL, "alice@example.com", "u1" },
        { USER_BY_EMAIL, "ALICE@EXAMPLE.COM", "u1" },
        { USER_BY_USERNAME, "alice.b", "u1" },
        { USER_BY_USERNAME, "ALICE.B", "u1" },
        { USER_BY_LOGIN, "aLiCe@example.com", "u1" },
        { USER_BY_LOGIN, "alice.B", "u1" },
        { USER_BY_LOGIN, "BOB@example.com", "u2" },
        { USER_BY_ID, "U1", NULL },                     /* ids are exact */
        { USER_BY_ID, "u3", NULL },
        { USER_BY_EMAIL, "alice.b", NULL },
        { USER_BY_USERNAME, "alice@example.com", NULL },
        { USER_BY_USERNAME, "", NULL },                 /* u2 has no username */
        { USER_BY_LOGIN, "carol", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_err err = OPS(f)->user_get(f->st, cases[i].by, cases[i].key, &u);
        if (cases[i].want) {
            assert_int_equal(err, TS_OK);
            assert_string_equal(u.id, cases[i].want);
        } else {
            assert_int_equal(err, TS_ENOTFOUND);
            assert_null(u.roles_json);
        }
        user_rec_clear(&u);
    }
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_ID, "u2", &u), TS_OK);
    assert_string_equal(u.username, "");
    user_rec_clear(&u);
}

static void user_conflicts_ignore_case(void **state)
{
    struct store_fx *f = FX(state);
    int64_t n = -1;

    assert_int_equal(store_fx_add_user(f, "u1", "alice@example.com", "alice"), TS_OK);
    assert_int_equal(store_fx_add_user(f, "u2", "ALICE@example.com", NULL), TS_ECONFLICT);
    assert_int_equal(store_fx_add_user(f, "u3", "other@example.com", "ALICE"), TS_ECONFLICT);
    assert_int_equal(store_fx_add_user(f, "u1", "third@example.com", NULL), TS_ECONFLICT);
    /* Users without a username never clash with each other. */
    assert_int_equal(store_fx_add_user(f, "u4", "four@example.com", NULL), TS_OK);
    assert_int_equal(store_fx_add_user(f, "u5", "five@example.com", ""), TS_OK);
    assert_int_equal(OPS(f)->user_count(f->st, &n), TS_OK);
    assert_int_equal(n, 3);
}

static void user_update_replaces_every_column(void **state)
{
    struct store_fx *f = FX(state);
    struct user_rec u;

    assert_int_equal(store_fx_add_user(f, "u1", "alice@example.com", "alice"), TS_OK);
    assert_int_equal(store_fx_add_user(f, "u2", "bob@example.com", "bob"), TS_OK);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_ID, "u1", &u), TS_OK);
    snprintf(u.email, sizeof u.email, "Alice2@example.com");
    u.username[0] = '\0';
    snprintf(u.name, sizeof u.name, "Alice Two");
    free(u.roles_json);
    u.roles_json = strdup("[\"admin\"]");
    u.disabled = 1;
    snprintf(u.password_hash, sizeof u.password_hash, "$2b$10$abc");
    u.updated_at = 999;
    assert_int_equal(OPS(f)->user_update(f->st, &u), TS_OK);
    user_rec_clear(&u);

    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_EMAIL, "alice@example.com", &u),
                     TS_ENOTFOUND);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_USERNAME, "alice", &u), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_LOGIN, "alice2@EXAMPLE.com", &u),
                     TS_OK);
    assert_string_equal(u.id, "u1");
    assert_string_equal(u.username, "");
    assert_string_equal(u.name, "Alice Two");
    assert_string_equal(u.roles_json, "[\"admin\"]");
    assert_int_equal(u.disabled, 1);
    assert_string_equal(u.password_hash, "$2b$10$abc");
    assert_int_equal(u.created_at, 100);
    assert_int_equal(u.updated_at, 999);

    snprintf(u.email, sizeof u.email, "BOB@example.com");    /* u2's */
    assert_int_equal(OPS(f)->user_update(f->st, &u), TS_ECONFLICT);
    snprintf(u.id, sizeof u.id, "nobody");
    snprintf(u.email, sizeof u.email, "nobody@example.com");
    assert_int_equal(OPS(f)->user_update(f->st, &u), TS_ENOTFOUND);
    user_rec_clear(&u);
}

static void user_delete_revokes_its_sessions(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;
    struct user_rec u;

    assert_int_equal(store_fx_add_user(f, "u1", "alice@example.com", NULL), TS_OK);
    assert_int_equal(store_fx_add_user(f, "u2", "bob@example.com", NULL), TS_OK);
    assert_int_equal(add_session(f, "s1", "u1", 100, 5000, "h1"), TS_OK);
    assert_int_equal(add_session(f, "s2", "u1", 110, 5000, "h2"), TS_OK);
    assert_int_equal(add_session(f, "s3", "u2", 120, 5000, "h3"), TS_OK);
    assert_int_equal(OPS(f)->session_revoke(f->st, "s2", 150), TS_OK);

    assert_int_equal(OPS(f)->user_delete(f->st, "u1", 200), TS_OK);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_ID, "u1", &u), TS_ENOTFOUND);
    user_rec_clear(&u);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &s), TS_OK);   /* row kept */
    assert_int_equal(s.revoked_at, 200);
    assert_int_equal(OPS(f)->session_get(f->st, "s2", &s), TS_OK);
    assert_int_equal(s.revoked_at, 150);                  /* first revocation kept */
    assert_int_equal(OPS(f)->session_get(f->st, "s3", &s), TS_OK);
    assert_int_equal(s.revoked_at, 0);
    assert_int_equal(OPS(f)->user_delete(f->st, "u1", 300), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_ID, "u2", &u), TS_OK);
    user_rec_clear(&u);
}

static void user_list_paginates_by_id(void **state)
{
    struct store_fx *f = FX(state);
    struct seen *v = calloc(1, sizeof *v);
    char id[16], email[64];

    /* Inserted out of order; more than one internal page (64 rows). */
    for (int i = 0; i < 150; i++) {
        int k = (i * 7) % 150;
        snprintf(id, sizeof id, "u%03d", k);
        snprintf(email, sizeof email, "user%d@example.com", k);
        assert_int_equal(store_fx_add_user(f, id, email, NULL), TS_OK);
    }
    assert_int_equal(OPS(f)->user_list(f->st, "", 100, seen_user, v), TS_OK);
    assert_int_equal(v->n, 100);
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "u%03d", i);
        assert_string_equal(v->id[i], id);
    }
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->user_list(f->st, "u099", 100, seen_user, v), TS_OK);
    assert_int_equal(v->n, 50);
    assert_string_equal(v->id[0], "u100");
    assert_string_equal(v->id[49], "u149");
    memset(v, 0, sizeof *v);
    v->stop_after = 70;
    assert_int_equal(OPS(f)->user_list(f->st, NULL, 100, seen_user, v), TS_OK);
    assert_int_equal(v->n, 70);
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->user_list(f->st, "", 0, seen_user, v), TS_OK);
    assert_int_equal(v->n, 150);                          /* 0: no limit */
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->user_list(f->st, "u149", 10, seen_user, v), TS_OK);
    assert_int_equal(v->n, 0);
    free(v);
}

static void session_create_get_revoke(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;

    assert_int_equal(add_session(f, "s1", "u1", 100, 5000, "h1"), TS_OK);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &s), TS_OK);
    assert_string_equal(s.id, "s1");
    assert_string_equal(s.user_id, "u1");
    assert_string_equal(s.client_id, "cli");
    assert_string_equal(s.scope, "read:skills write:skills");
    assert_string_equal(s.user_agent, "ua-1");
    assert_string_equal(s.ip, "10.0.0.1");
    assert_int_equal(s.created_at, 100);
    assert_int_equal(s.last_used_at, 100);
    assert_int_equal(s.expires_at, 5000);
    assert_int_equal(s.revoked_at, 0);
    assert_int_equal(OPS(f)->session_get(f->st, "s9", &s), TS_ENOTFOUND);

    assert_int_equal(OPS(f)->session_revoke(f->st, "s1", 200), TS_OK);
    assert_int_equal(OPS(f)->session_revoke(f->st, "s1", 300), TS_OK);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &s), TS_OK);
    assert_int_equal(s.revoked_at, 200);                  /* not moved by the second */
    assert_int_equal(OPS(f)->session_revoke(f->st, "s9", 200), TS_ENOTFOUND);

    /* Without a refresh token (stateful access tokens only). */
    assert_int_equal(add_session(f, "s2", "u1", 100, 5000, NULL), TS_OK);
    assert_int_equal(OPS(f)->session_get(f->st, "s2", &s), TS_OK);
    assert_int_equal(add_session(f, "s1", "u2", 100, 5000, "h9"), TS_ECONFLICT);
}

static void session_create_is_atomic(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;

    assert_int_equal(add_session(f, "s1", "u1", 100, 5000, "h1"), TS_OK);
    /* The second insert of the transaction fails: the session must not exist. */
    assert_int_equal(add_session(f, "s2", "u1", 100, 5000, "h1"), TS_ECONFLICT);
    assert_int_equal(OPS(f)->session_get(f->st, "s2", &s), TS_ENOTFOUND);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM sessions"), 1);
}

static void session_revoke_user_spares_the_exception(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;
    int count = -1;

    assert_int_equal(add_session(f, "s1", "u1", 100, 5000, "h1"), TS_OK);
    assert_int_equal(add_session(f, "s2", "u1", 110, 5000, "h2"), TS_OK);
    assert_int_equal(add_session(f, "s3", "u1", 120, 5000, "h3"), TS_OK);
    assert_int_equal(add_session(f, "s4", "u1", 130, 5000, "h4"), TS_OK);
    assert_int_equal(add_session(f, "s5", "u2", 140, 5000, "h5"), TS_OK);
    assert_int_equal(OPS(f)->session_revoke(f->st, "s4", 150), TS_OK);

    assert_int_equal(OPS(f)->session_revoke_user(f->st, "u1", "s2", 200, &count), TS_OK);
    assert_int_equal(count, 2);                 /* s1 and s3; s4 was already revoked */
    const struct { const char *id; int64_t revoked; } want[] = {
        { "s1", 200 }, { "s2", 0 }, { "s3", 200 }, { "s4", 150 }, { "s5", 0 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(OPS(f)->session_get(f->st, want[i].id, &s), TS_OK);
        assert_int_equal(s.revoked_at, want[i].revoked);
    }
    assert_int_equal(OPS(f)->session_revoke_user(f->st, "u1", NULL, 300, NULL), TS_OK);
    assert_int_equal(OPS(f)->session_get(f->st, "s2", &s), TS_OK);
    assert_int_equal(s.revoked_at, 300);
    assert_int_equal(OPS(f)->session_revoke_user(f->st, "u1", NULL, 400, &count), TS_OK);
    assert_int_equal(count, 0);
}

static void session_list_user_shows_only_active(void **state)
{
    struct store_fx *f = FX(state);
    struct seen v = { 0 };

    assert_int_equal(add_session(f, "s-old", "u1", 100, 5000, "h1"), TS_OK);
    assert_int_equal(add_session(f, "s-new", "u1", 300, 5000, "h2"), TS_OK);
    assert_int_equal(add_session(f, "s-mid", "u1", 200, 5000, "h3"), TS_OK);
    assert_int_equal(add_session(f, "s-revoked", "u1", 400, 5000, "h4"), TS_OK);
    assert_int_equal(add_session(f, "s-expired", "u1", 500, 1000, "h5"), TS_OK);
    assert_int_equal(add_session(f, "s-other", "u2", 600, 5000, "h6"), TS_OK);
    assert_int_equal(OPS(f)->session_revoke(f->st, "s-revoked", 450), TS_OK);

    assert_int_equal(OPS(f)->session_list_user(f->st, "u1", 1000, seen_session, &v), TS_OK);
    assert_int_equal(v.n, 3);                   /* expires_at == now: expired */
    assert_string_equal(v.id[0], "s-new");
    assert_string_equal(v.id[1], "s-mid");
    assert_string_equal(v.id[2], "s-old");
    memset(&v, 0, sizeof v);
    assert_int_equal(OPS(f)->session_list_user(f->st, "u1", 999, seen_session, &v), TS_OK);
    assert_int_equal(v.n, 4);
    assert_string_equal(v.id[0], "s-expired");
    memset(&v, 0, sizeof v);
    assert_int_equal(OPS(f)->session_list_user(f->st, "u3", 999, seen_session, &v), TS_OK);
    assert_int_equal(v.n, 0);
}

static void session_list_all_is_newest_first_and_limited(void **state)
{
    struct store_fx *f = FX(state);
    struct seen *v = calloc(1, sizeof *v);
    char id[16], hash[16];

    /* 150 sessions, three per second (ties on created_at across page ends), of two
     * users; every tenth revoked. */
    for (int i = 0; i < 150; i++) {
        snprintf(id, sizeof id, "s%03d", i);
        snprintf(hash, sizeof hash, "h%03d", i);
        assert_int_equal(add_session(f, id, i % 2 ? "u1" : "u2", 100 + i / 3, 5000, hash),
                         TS_OK);
        if (i % 10 == 0)
            assert_int_equal(OPS(f)->session_revoke(f->st, id, 150), TS_OK);
    }
    assert_int_equal(OPS(f)->session_list_all(f->st, 1000, 0, seen_session, v), TS_OK);
    assert_int_equal(v->n, 135);
    for (int i = 1; i < v->n; i++)              /* strictly descending (created, id) */
        assert_true(v->at[i - 1] > v->at[i] ||
                    (v->at[i - 1] == v->at[i] && strcmp(v->id[i - 1], v->id[i]) > 0));
    assert_string_equal(v->id[0], "s149");
    assert_string_equal(v->id[134], "s001");
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->session_list_all(f->st, 1000, 70, seen_session, v), TS_OK);
    assert_int_equal(v->n, 70);
    memset(v, 0, sizeof *v);
    v->stop_after = 66;                         /* the callback stops it */
    assert_int_equal(OPS(f)->session_list_all(f->st, 1000, 0, seen_session, v), TS_OK);
    assert_int_equal(v->n, 66);
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->session_list_user(f->st, "u1", 1000, seen_session, v), TS_OK);
    assert_int_equal(v->n, 75);                 /* odd i; the revoked are even */
    free(v);
}

static void rotate_current_token(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s, g;
    enum refresh_outcome oc;

    rotation_fixture(f);
    assert_int_equal(OPS(f)->refresh_rotate(f->st, "h0", "h1", T0 + 100, GRACE, IDLE,
                                            "ua-2", "10.0.0.2", &oc, &s), TS_OK);
    assert_int_equal(oc, REFRESH_ROTATED);
    assert_string_equal(s.id, "s1");
    assert_string_equal(s.user_id, "u1");
    assert_string_equal(s.scope, "read:skills write:skills");
    assert_int_equal(s.last_used_at, T0 + 100);
    assert_string_equal(s.user_agent, "ua-2");
    assert_string_equal(s.ip, "10.0.0.2");
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &g), TS_OK);
    assert_int_equal(g.last_used_at, T0 + 100);
    assert_string_equal(g.user_agent, "ua-2");
    assert_string_equal(g.ip, "10.0.0.2");
    assert_int_equal(g.revoked_at, 0);
    assert_int_equal(raw_int(f, "SELECT retired_at FROM refresh_tokens WHERE hash = 'h0'"),
                     T0 + 100);
    assert_int_equal(raw_int(f, "SELECT created_at FROM refresh_tokens WHERE hash = 'h1'"),
                     T0 + 100);
    assert_int_equal(raw_int(f, "SELECT retired_at FROM refresh_tokens WHERE hash = 'h1'"),
                     -1);

    /* The successor is current, its idle time counted from its creation. */
    assert_int_equal(rotate(f, "h1", "h2", T0 + 100 + IDLE - 1, &s), REFRESH_ROTATED);
    /* No user agent or ip given: the stored ones stay. */
    assert_string_equal(s.user_agent, "ua-2");
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &g), TS_OK);
    assert_string_equal(g.user_agent, "ua-2");
    assert_string_equal(g.ip, "10.0.0.2");
    assert_int_equal(g.last_used_at, T0 + 100 + IDLE - 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens WHERE session_id = "
                             "'s1' AND retired_at IS NULL"), 1);
}

static void rotate_inside_grace_changes_nothing(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;

    rotation_fixture(f);
    assert_int_equal(rotate(f, "h0", "h1", T0 + 100, NULL), REFRESH_ROTATED);
    memset(&s, 0, sizeof s);
    assert_int_equal(rotate(f, "h0", "h1-again", T0 + 100 + GRACE - 1, &s), REFRESH_GRACE);
    assert_string_equal(s.id, "s1");
    assert_int_equal(s.revoked_at, 0);
    assert_int_equal(s.last_used_at, T0 + 100);           /* nothing written */
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens"), 2);
    assert_int_equal(rotate(f, "h1-again", "x", T0 + 111, NULL), REFRESH_INVALID);
    assert_int_equal(rotate(f, "h1", "h2", T0 + 111, NULL), REFRESH_ROTATED);
}

static void rotate_reuse_after_grace_revokes(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s, g;

    rotation_fixture(f);
    assert_int_equal(rotate(f, "h0", "h1", T0 + 100, NULL), REFRESH_ROTATED);
    assert_int_equal(rotate(f, "h0", "hx", T0 + 100 + GRACE, &s), REFRESH_REUSED);
    assert_string_equal(s.id, "s1");
    assert_int_equal(s.revoked_at, T0 + 100 + GRACE);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &g), TS_OK);
    assert_int_equal(g.revoked_at, T0 + 100 + GRACE);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens WHERE hash = 'hx'"), 0);
    /* The whole family is dead, the current token too. */
    memset(&s, 0, sizeof s);
    assert_int_equal(rotate(f, "h1", "h2", T0 + 120, &s), REFRESH_INVALID);
    assert_string_equal(s.id, "s1");
    assert_int_equal(s.revoked_at, T0 + 100 + GRACE);
}

static void rotate_unknown_token_is_invalid(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s, sentinel;

    rotation_fixture(f);
    memset(&s, 0x5a, sizeof s);
    sentinel = s;
    assert_int_equal(rotate(f, "nope", "h1", T0 + 1, &s), REFRESH_INVALID);
    assert_memory_equal(&s, &sentinel, sizeof s);         /* untouched */
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens"), 1);
}

static void rotate_expired_session_is_invalid(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;
    enum refresh_outcome oc;

    rotation_fixture(f);
    /* A large idle limit, so only the absolute end applies. */
    assert_int_equal(OPS(f)->refresh_rotate(f->st, "h0", "h1", T0 + 1000, GRACE, 1000000,
                                            NULL, NULL, &oc, &s), TS_OK);
    assert_int_equal(oc, REFRESH_INVALID);
    assert_string_equal(s.id, "s1");
    assert_int_equal(OPS(f)->refresh_rotate(f->st, "h0", "h1", T0 + 999, GRACE, 1000000,
                                            NULL, NULL, &oc, &s), TS_OK);
    assert_int_equal(oc, REFRESH_ROTATED);                /* h0 was left current */
}

static void rotate_idle_token_is_invalid(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;

    rotation_fixture(f);
    assert_int_equal(rotate(f, "h0", "h1", T0 + IDLE, &s), REFRESH_INVALID);
    assert_int_equal(s.revoked_at, 0);                    /* not a reuse */
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens"), 1);
    assert_int_equal(rotate(f, "h0", "h1", T0 + IDLE - 1, &s), REFRESH_ROTATED);
}

static void rotate_revoked_session_is_invalid(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;

    rotation_fixture(f);
    assert_int_equal(OPS(f)->session_revoke(f->st, "s1", T0 + 5), TS_OK);
    assert_int_equal(rotate(f, "h0", "h1", T0 + 10, &s), REFRESH_INVALID);
    assert_string_equal(s.id, "s1");
    assert_int_equal(s.revoked_at, T0 + 5);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens"), 1);
    assert_int_equal(raw_int(f, "SELECT retired_at FROM refresh_tokens"), -1);
}

static void rotate_with_rotation_off_keeps_the_token(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;

    rotation_fixture(f);
    assert_int_equal(rotate(f, "h0", NULL, T0 + 200, &s), REFRESH_ROTATED);
    assert_int_equal(s.last_used_at, T0 + 200);
    /* Still current (not GRACE or REUSED), idle counted from the last use: without
     * the move, T0 + 450 would be past IDLE. */
    assert_int_equal(rotate(f, "h0", NULL, T0 + 450, &s), REFRESH_ROTATED);
    assert_int_equal(raw_int(f, "SELECT created_at FROM refresh_tokens WHERE hash = 'h0'"),
                     T0 + 450);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens"), 1);
    assert_int_equal(raw_int(f, "SELECT retired_at FROM refresh_tokens"), -1);
    assert_int_equal(rotate(f, "h0", NULL, T0 + 450 + IDLE, &s), REFRESH_INVALID);
}

static void rotate_rolls_back_on_a_successor_clash(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;
    enum refresh_outcome oc = REFRESH_ROTATED;

    rotation_fixture(f);
    assert_int_equal(add_session(f, "s2", "u1", T0, T0 + 1000, "taken"), TS_OK);
    assert_int_equal(OPS(f)->refresh_rotate(f->st, "h0", "taken", T0 + 50, GRACE, IDLE,
                                            "ua-x", NULL, &oc, &s), TS_ECONFLICT);
    assert_int_equal(oc, REFRESH_INVALID);
    assert_int_equal(raw_int(f, "SELECT retired_at FROM refresh_tokens WHERE hash = 'h0'"),
                     -1);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &s), TS_OK);
    assert_int_equal(s.last_used_at, T0);
    assert_string_equal(s.user_agent, "ua-1");
    assert_int_equal(rotate(f, "h0", "h1", T0 + 60, NULL), REFRESH_ROTATED);
}

static void rotate_clips_a_long_user_agent(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s, g;
    enum refresh_outcome oc;
    char ua[1000], ip[200];

    rotation_fixture(f);
    /* "é" (2 bytes) 499 times, shifted by one byte so the cut falls inside one. */
    ua[0] = 'x';
    for (int i = 0; i < 499; i++)
        memcpy(ua + 1 + 2 * i, "\xc3\xa9", 2);
    ua[999] = '\0';
    memset(ip, '1', sizeof ip - 1);
    ip[sizeof ip - 1] = '\0';
    assert_int_equal(OPS(f)->refresh_rotate(f->st, "h0", "h1", T0 + 1, GRACE, IDLE, ua,
                                            ip, &oc, &s), TS_OK);
    assert_int_equal(oc, REFRESH_ROTATED);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &g), TS_OK);
    assert_int_equal(strlen(g.user_agent), STORE_UA_LEN - 1);   /* whole characters */
    assert_memory_equal(g.user_agent, ua, STORE_UA_LEN - 1);
    assert_int_equal(strlen(g.ip), STORE_IP_LEN);
    assert_string_equal(s.user_agent, g.user_agent);
}

static struct signing_key_rec make_key(const char *kid, int64_t created, int64_t active,
                                       int64_t retired)
{
    struct signing_key_rec k = { 0 };
    char jwk[128];
    snprintf(k.kid, sizeof k.kid, "%s", kid);
    snprintf(k.alg, sizeof k.alg, "ES256");
    snprintf(jwk, sizeof jwk, "{\"kty\":\"EC\",\"kid\":\"%s\",\"d\":\"secret\"}", kid);
    k.private_jwk = strdup(jwk);
    k.created_at = created;
    k.activated_at = active;
    k.retired_at = retired;
    return k;
}

static ts_err add_key(struct store_fx *f, const char *kid, int64_t created, int64_t active,
                      int64_t retired)
{
    struct signing_key_rec k = make_key(kid, created, active, retired);
    ts_err err = OPS(f)->key_insert(f->st, &k);
    signing_key_rec_clear(&k);
    return err;
}

struct key_seen {
    int n;
    struct { char kid[65], alg[16], jwk[128]; int64_t act, ret; } k[8];
};

static int key_copy(void *ctx, const struct signing_key_rec *k)
{
    struct key_seen *v = ctx;
    if (v->n < 8) {
        snprintf(v->k[v->n].kid, sizeof v->k[0].kid, "%s", k->kid);
        snprintf(v->k[v->n].alg, sizeof v->k[0].alg, "%s", k->alg);
        snprintf(v->k[v->n].jwk, sizeof v->k[0].jwk, "%s", k->private_jwk);
        v->k[v->n].act = k->activated_at;
        v->k[v->n].ret = k->retired_at;
    }
    v->n++;
    return 0;
}

static void keys_insert_list_update(void **state)
{
    struct store_fx *f = FX(state);
    struct key_seen v = { 0 };

    assert_int_equal(add_key(f, "k-b", 200, 0, 0), TS_OK);
    assert_int_equal(add_key(f, "k-a", 100, 100, 0), TS_OK);
    assert_int_equal(add_key(f, "k-old", 50, 50, 60), TS_OK);
    assert_int_equal(add_key(f, "k-a", 300, 300, 0), TS_ECONFLICT);

    assert_int_equal(OPS(f)->key_list(f->st, 0, key_copy, &v), TS_OK);
    assert_int_equal(v.n, 2);                             /* oldest first */
    assert_string_equal(v.k[0].kid, "k-a");
    assert_string_equal(v.k[0].alg, "ES256");
    assert_string_equal(v.k[0].jwk, "{\"kty\":\"EC\",\"kid\":\"k-a\",\"d\":\"secret\"}");
    assert_int_equal(v.k[0].act, 100);
    assert_int_equal(v.k[0].ret, 0);
    assert_string_equal(v.k[1].kid, "k-b");
    assert_int_equal(v.k[1].act, 0);
    memset(&v, 0, sizeof v);
    assert_int_equal(OPS(f)->key_list(f->st, 1, key_copy, &v), TS_OK);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.k[0].kid, "k-old");
    assert_int_equal(v.k[0].ret, 60);

    assert_int_equal(OPS(f)->key_update(f->st, "k-b", 250, 0), TS_OK);
    assert_int_equal(OPS(f)->key_update(f->st, "k-a", 0, 400), TS_OK);
    assert_int_equal(OPS(f)->key_update(f->st, "k-zz", 1, 1), TS_ENOTFOUND);
    memset(&v, 0, sizeof v);
    assert_int_equal(OPS(f)->key_list(f->st, 1, key_copy, &v), TS_OK);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.k[1].kid, "k-a");
    assert_int_equal(v.k[1].act, 100);                    /* 0 left it alone */
    assert_int_equal(v.k[1].ret, 400);
    assert_string_equal(v.k[2].kid, "k-b");
    assert_int_equal(v.k[2].act, 250);
    assert_int_equal(v.k[2].ret, 0);
    assert_int_equal(raw_int(f, "SELECT retired_at FROM signing_keys WHERE kid = 'k-b'"),
                     -1);                                 /* 0 is stored NULL */
    memset(&v, 0, sizeof v);
    assert_int_equal(OPS(f)->key_list(f->st, 0, key_copy, &v), TS_OK);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.k[0].kid, "k-b");

    struct seen first = { .stop_after = 1 };
    assert_int_equal(OPS(f)->key_list(f->st, 1, seen_key, &first), TS_OK);
    assert_int_equal(first.n, 1);
    assert_string_equal(first.id[0], "k-old");
}

static void revocations_in_cursor_order_within_the_window(void **state)
{
    struct store_fx *f = FX(state);
    struct revocation_rec r[8];
    int n;
    static const struct { const char *id; int64_t at; } rows[] = {
        { "s-b", 100 }, { "s-a", 100 }, { "s-c", 101 }, { "s-old", 10 }, { "s-new", 200 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char hash[16];
        snprintf(hash, sizeof hash, "rv%zu", i);
        assert_int_equal(add_session(f, rows[i].id, "u1", 1, 10000, hash), TS_OK);
        assert_int_equal(OPS(f)->session_revoke(f->st, rows[i].id, rows[i].at), TS_OK);
    }
    assert_int_equal(add_session(f, "s-live", "u1", 1, 10000, "rvlive"), TS_OK);

    /* window [50, 150): s-old too old, s-new too new, s-live not revoked */
    assert_int_equal(OPS(f)->revocations(f->st, 50, 150, 0, "", r, 8, &n), TS_OK);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].sid, "s-a");
    assert_string_equal(r[1].sid, "s-b");
    assert_string_equal(r[2].sid, "s-c");
    assert_int_equal(r[2].revoked_at, 101);
    /* after the cursor (100, "s-a"); and a page of one */
    assert_int_equal(OPS(f)->revocations(f->st, 50, 150, 100, "s-a", r, 8, &n), TS_OK);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].sid, "s-b");
    assert_int_equal(OPS(f)->revocations(f->st, 50, 150, 0, "", r, 1, &n), TS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].sid, "s-a");
}

static void audit_insert_numbers_events(void **state)
{
    struct store_fx *f = FX(state);
    struct audit_rec a = { .at = 500, .event = "login.success", .user_id = "u1",
                           .client_id = "cli", .ip = "10.0.0.1",
                           .detail_json = "{\"method\":\"password\"}" };

    assert_int_equal(OPS(f)->audit_insert(f->st, &a, 1), TS_OK);
    a = (struct audit_rec){ .at = 501, .event = "login.failure" };
    assert_int_equal(OPS(f)->audit_insert(f->st, &a, 1), TS_OK);
    a = (struct audit_rec){ .at = 502, .event = "refresh.reuse", .user_id = "u2" };
    assert_int_equal(OPS(f)->audit_insert(f->st, &a, 1), TS_OK);

    assert_int_equal(raw_int(f, "SELECT count(*) FROM audit_events"), 3);
    /* numbered 1, 2, 3 in insertion order */
    assert_int_equal(raw_int(f, "SELECT count(*) FROM audit_events WHERE "
                             "(id = 1 AND at = 500) OR (id = 2 AND at = 501) OR "
                             "(id = 3 AND at = 502)"), 3);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM audit_events WHERE id = 1 AND "
                             "event = 'login.success' AND user_id = 'u1' AND client_id "
                             "= 'cli' AND ip = '10.0.0.1' AND detail_json = "
                             "'{\"method\":\"password\"}'"), 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM audit_events WHERE id = 2 AND "
                             "user_id IS NULL AND client_id IS NULL AND ip IS NULL AND "
                             "detail_json IS NULL"), 1);
    a = (struct audit_rec){ .at = 503, .event = NULL };
    assert_int_equal(OPS(f)->audit_insert(f->st, &a, 1), TS_EDB);

    /* A batch is one transaction: a bad row keeps the good ones before it out too. */
    struct audit_rec batch[3] = {
        { .at = 600, .event = "client.token", .client_id = "c1" },
        { .at = 601, .event = "client.token", .client_id = "c2" },
        { .at = 602, .event = NULL },
    };
    assert_int_equal(OPS(f)->audit_insert(f->st, batch, 3), TS_EDB);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM audit_events"), 3);
    assert_int_equal(OPS(f)->audit_insert(f->st, batch, 2), TS_OK);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM audit_events"), 5);
    assert_int_equal(raw_int(f, "SELECT id FROM audit_events WHERE client_id = 'c2'"), 5);
}

static void secret_first_writer_wins(void **state)
{
    struct store_fx *f = FX(state);
    struct store *other;
    char out[256], big[300];

    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "refresh_key", "v1", out), TS_OK);
    assert_string_equal(out, "v1");
    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "refresh_key", "v2", out), TS_OK);
    assert_string_equal(out, "v1");
    /* Another instance on the same database. */
    other = f->another(f);
    assert_int_equal(other->ops->secret_get_or_put(other, "refresh_key", "v3", out), TS_OK);
    assert_string_equal(out, "v1");
    assert_int_equal(other->ops->secret_get_or_put(other, "other", "w1", out), TS_OK);
    assert_string_equal(out, "w1");
    other->ops->close(other);
    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "other", NULL, out), TS_OK);
    assert_string_equal(out, "w1");
    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "absent", NULL, out), TS_ENOTFOUND);

    memset(big, 'k', 255);
    big[255] = '\0';
    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "max", big, out), TS_OK);
    assert_string_equal(out, big);
    big[255] = 'k';
    big[256] = '\0';
    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "toolong", big, out), TS_EDB);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM server_secrets WHERE name = "
                             "'toolong'"), 0);
}

static struct client_rec make_client(const char *id)
{
    struct client_rec c = { 0 };
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.name, sizeof c.name, "Client %s", id);
    snprintf(c.secret_hash, sizeof c.secret_hash,
             "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    snprintf(c.grants, sizeof c.grants, "authorization_code refresh_token");
    snprintf(c.scopes, sizeof c.scopes, "openid read:skills");
    c.roles_json = strdup("[\"service\",\"reader\"]");
    snprintf(c.auth_method, sizeof c.auth_method, "tls_client_auth");
    c.auth_method_pinned = 1;
    c.is_public = 0;
    c.disabled = 1;
    c.refresh_rotation = 0;
    c.access_ttl = 300;
    c.refresh_ttl = 86400;
    c.refresh_idle_ttl = 3600;
    snprintf(c.tls_subject_dn, sizeof c.tls_subject_dn, "CN=%s,O=Example", id);
    snprintf(c.tls_thumbprint, sizeof c.tls_thumbprint,
             "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2");
    c.created_at = 100;
    c.updated_at = 200;
    snprintf(c.redirect_uris, sizeof c.redirect_uris,
             "https://%s.example/cb http://127.0.0.1/cb", id);
    snprintf(c.post_logout_redirect_uris, sizeof c.post_logout_redirect_uris,
             "https://%s.example/bye", id);
    c.first_party = 1;
    snprintf(c.backchannel_logout_uri, sizeof c.backchannel_logout_uri,
             "https://%s.example/bcl", id);
    snprintf(c.id_token_alg, sizeof c.id_token_alg, "EdDSA");
    return c;
}

ts_err store_fx_add_client(struct store_fx *f, const char *id)
{
    struct client_rec c = make_client(id);
    ts_err err = OPS(f)->client_insert(f->st, &c);
    client_rec_clear(&c);
    return err;
}

static void assert_client_equal(const struct client_rec *a, const struct client_rec *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->secret_hash, b->secret_hash);
    assert_string_equal(a->grants, b->grants);
    assert_string_equal(a->scopes, b->scopes);
    assert_string_equal(a->roles_json, b->roles_json);
    assert_string_equal(a->auth_method, b->auth_method);
    assert_int_equal(a->auth_method_pinned, b->auth_method_pinned);
    assert_int_equal(a->is_public, b->is_public);
    assert_int_equal(a->disabled, b->disabled);
    assert_int_equal(a->refresh_rotation, b->refresh_rotation);
    assert_int_equal(a->access_ttl, b->access_ttl);
    assert_int_equal(a->refresh_ttl, b->refresh_ttl);
    assert_int_equal(a->refresh_idle_ttl, b->refresh_idle_ttl);
    assert_string_equal(a->tls_subject_dn, b->tls_subject_dn);
    assert_string_equal(a->tls_thumbprint, b->tls_thumbprint);
    assert_int_equal(a->created_at, b->created_at);
    assert_int_equal(a->updated_at, b->updated_at);
    assert_string_equal(a->redirect_uris, b->redirect_uris);
    assert_string_equal(a->post_logout_redirect_uris, b->post_logout_redirect_uris);
    assert_int_equal(a->first_party, b->first_party);
    assert_string_equal(a->backchannel_logout_uri, b->backchannel_logout_uri);
    assert_string_equal(a->id_token_alg, b->id_token_alg);
}

static int seen_client(void *ctx, const struct client_rec *c)
{
    return seen_add(ctx, c->id, c->created_at);
}

static void client_insert_and_get_round_trip(void **state)
{
    struct store_fx *f = FX(state);
    struct client_rec want = make_client("app-1"), got;

    assert_int_equal(OPS(f)->client_insert(f->st, &want), TS_OK);
    assert_int_equal(OPS(f)->client_get(f->st, "app-1", &got), TS_OK);
    assert_client_equal(&got, &want);
    client_rec_clear(&got);
    assert_int_equal(raw_int(f, "SELECT access_ttl FROM clients WHERE id = 'app-1'"),
                     300);

    /* A public client with every default: NULL roles, TTLs 0 (stored NULL), rotation
     * -1, empty texts. */
    struct client_rec pub = { 0 };
    snprintf(pub.id, sizeof pub.id, "spa");
    snprintf(pub.grants, sizeof pub.grants, "authorization_code");
    snprintf(pub.auth_method, sizeof pub.auth_method, "none");
    pub.is_public = 1;
    pub.refresh_rotation = -1;
    pub.created_at = pub.updated_at = 500;
    assert_int_equal(OPS(f)->client_insert(f->st, &pub), TS_OK);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM clients WHERE id = 'spa' AND "
                             "access_ttl IS NULL AND refresh_ttl IS NULL AND "
                             "refresh_idle_ttl IS NULL AND roles_json = '[]' AND "
                             "refresh_rotation = -1 AND secret_hash = '' AND "
                             "tls_subject_dn = '' AND tls_thumbprint = ''"), 1);
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(OPS(f)->client_get(f->st, "spa", &got), TS_OK);
    pub.roles_json = "[]";
    assert_client_equal(&got, &pub);
    client_rec_clear(&got);

    /* Rows written by hand (or by a later migration) with NULL TTLs read as 0. */
    raw_exec(f, "UPDATE clients SET access_ttl = NULL, refresh_ttl = NULL, "
                "refresh_idle_ttl = NULL WHERE id = 'app-1'");
    assert_int_equal(OPS(f)->client_get(f->st, "app-1", &got), TS_OK);
    assert_int_equal(got.access_ttl, 0);
    assert_int_equal(got.refresh_ttl, 0);
    assert_int_equal(got.refresh_idle_ttl, 0);
    client_rec_clear(&got);

    /* Ids are unique and exact. */
    assert_int_equal(OPS(f)->client_insert(f->st, &want), TS_ECONFLICT);
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(OPS(f)->client_get(f->st, "APP-1", &got), TS_ENOTFOUND);
    assert_null(got.roles_json);
    assert_int_equal(OPS(f)->client_get(f->st, "nope", &got), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->client_get(f->st, "", &got), TS_ENOTFOUND);
    client_rec_clear(&got);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM clients"), 2);
    client_rec_clear(&want);
}

static void client_update_replaces_every_column(void **state)
{
    struct store_fx *f = FX(state);
    struct client_rec c, got;

    assert_int_equal(store_fx_add_client(f, "app-1"), TS_OK);
    assert_int_equal(store_fx_add_client(f, "app-2"), TS_OK);
    assert_int_equal(OPS(f)->client_get(f->st, "app-1", &c), TS_OK);
    snprintf(c.name, sizeof c.name, "Renamed");
    snprintf(c.secret_hash, sizeof c.secret_hash,
             "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg");
    snprintf(c.grants, sizeof c.grants, "client_credentials");
    c.scopes[0] = '\0';
    free(c.roles_json);
    c.roles_json = strdup("[\"admin\"]");
    snprintf(c.auth_method, sizeof c.auth_method, "self_signed_tls_client_auth");
    c.is_public = 1;
    c.disabled = 0;
    c.refresh_rotation = 1;
    c.access_ttl = 0;                                     /* back to the default */
    c.refresh_ttl = 7200;
    c.refresh_idle_ttl = 0;
    c.tls_subject_dn[0] = '\0';
    snprintf(c.tls_thumbprint, sizeof c.tls_thumbprint, "other-thumbprint");
    c.created_at = 150;
    c.updated_at = 999;
    assert_int_equal(OPS(f)->client_update(f->st, &c), TS_OK);
    assert_int_equal(OPS(f)->client_get(f->st, "app-1", &got), TS_OK);
    assert_client_equal(&got, &c);
    client_rec_clear(&got);
    assert_int_equal(raw_int(f, "SELECT access_ttl FROM clients WHERE id = 'app-1'"),
                     -1);
    assert_int_equal(raw_int(f, "SELECT refresh_idle_ttl FROM clients WHERE id = "
                             "'app-1'"), -1);

    /* The other row is untouched. */
    struct client_rec two = make_client("app-2");
    assert_int_equal(OPS(f)->client_get(f->st, "app-2", &got), TS_OK);
    assert_client_equal(&got, &two);
    client_rec_clear(&got);
    client_rec_clear(&two);

    snprintf(c.id, sizeof c.id, "nobody");
    assert_int_equal(OPS(f)->client_update(f->st, &c), TS_ENOTFOUND);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM clients"), 2);

    /* A field without its NUL is refused before it reaches the database. */
    snprintf(c.id, sizeof c.id, "app-1");
    memset(c.tls_thumbprint, 'x', sizeof c.tls_thumbprint);
    assert_int_equal(OPS(f)->client_update(f->st, &c), TS_EDB);
    snprintf(c.id, sizeof c.id, "app-3");
    assert_int_equal(OPS(f)->client_insert(f->st, &c), TS_EDB);
    client_rec_clear(&c);
    assert_int_equal(OPS(f)->client_get(f->st, "app-1", &got), TS_OK);
    assert_string_equal(got.tls_thumbprint, "other-thumbprint");
    client_rec_clear(&got);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM clients"), 2);
}

static void client_delete_revokes_its_sessions(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;
    struct client_rec c;

    assert_int_equal(store_fx_add_client(f, "cli"), TS_OK);
    assert_int_equal(store_fx_add_client(f, "other"), TS_OK);
    /* store_fx_make_session gives every session client_id "cli". */
    assert_int_equal(add_session(f, "s1", "u1", 100, 5000, "h1"), TS_OK);
    assert_int_equal(add_session(f, "s2", "u2", 110, 5000, "h2"), TS_OK);
    assert_int_equal(add_session(f, "s3", "u1", 120, 5000, "h3"), TS_OK);
    s = store_fx_make_session("s4", "u1", 130, 5000);
    snprintf(s.client_id, sizeof s.client_id, "other");
    assert_int_equal(OPS(f)->session_create(f->st, &s, "h4"), TS_OK);
    s = store_fx_make_session("s5", "u1", 140, 5000);
    s.client_id[0] = '\0';                                /* the native API */
    assert_int_equal(OPS(f)->session_create(f->st, &s, "h5"), TS_OK);
    assert_int_equal(OPS(f)->session_revoke(f->st, "s3", 150), TS_OK);

    assert_int_equal(OPS(f)->client_delete(f->st, "cli", 200), TS_OK);
    assert_int_equal(OPS(f)->client_get(f->st, "cli", &c), TS_ENOTFOUND);
    client_rec_clear(&c);
    const struct { const char *id; int64_t revoked; } want[] = {
        { "s1", 200 }, { "s2", 200 }, { "s3", 150 }, { "s4", 0 }, { "s5", 0 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(OPS(f)->session_get(f->st, want[i].id, &s), TS_OK); /* kept */
        assert_int_equal(s.revoked_at, want[i].revoked);
    }
    assert_int_equal(OPS(f)->client_delete(f->st, "cli", 300), TS_ENOTFOUND);
    /* No client "": nothing happens to the native sessions. */
    assert_int_equal(OPS(f)->client_delete(f->st, "", 300), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->session_get(f->st, "s5", &s), TS_OK);
    assert_int_equal(s.revoked_at, 0);
    assert_int_equal(OPS(f)->client_get(f->st, "other", &c), TS_OK);
    client_rec_clear(&c);
}

static void client_list_paginates_by_id(void **state)
{
    struct store_fx *f = FX(state);
    struct seen *v = calloc(1, sizeof *v);
    char id[16];

    /* Inserted out of order; more than one internal page (64 rows). */
    for (int i = 0; i < 150; i++) {
        snprintf(id, sizeof id, "c%03d", (i * 7) % 150);
        assert_int_equal(store_fx_add_client(f, id), TS_OK);
    }
    assert_int_equal(OPS(f)->client_list(f->st, "", 100, seen_client, v), TS_OK);
    assert_int_equal(v->n, 100);
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "c%03d", i);
        assert_string_equal(v->id[i], id);
        assert_int_equal(v->at[i], 100);
    }
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->client_list(f->st, "c099", 100, seen_client, v), TS_OK);
    assert_int_equal(v->n, 50);
    assert_string_equal(v->id[0], "c100");
    assert_string_equal(v->id[49], "c149");
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->client_list(f->st, "c0", 3, seen_client, v), TS_OK);
    assert_int_equal(v->n, 3);                           /* "after" need not exist */
    assert_string_equal(v->id[0], "c000");
    memset(v, 0, sizeof *v);
    v->stop_after = 70;
    assert_int_equal(OPS(f)->client_list(f->st, NULL, 100, seen_client, v), TS_OK);
    assert_int_equal(v->n, 70);
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->client_list(f->st, "", 0, seen_client, v), TS_OK);
    assert_int_equal(v->n, 150);                          /* 0: no limit */
    memset(v, 0, sizeof *v);
    assert_int_equal(OPS(f)->client_list(f->st, "c149", 10, seen_client, v), TS_OK);
    assert_int_equal(v->n, 0);
    free(v);
}

/* The list hands out whole records. */
static int client_check(void *ctx, const struct client_rec *c)
{
    struct client_rec want = make_client(c->id);
    assert_client_equal(c, &want);
    client_rec_clear(&want);
    ++*(int *)ctx;
    return 0;
}

static int reenter_client(void *ctx, const struct client_rec *c)
{
    struct store_fx *f = ctx;
    assert_int_equal(OPS(f)->client_delete(f->st, c->id, 2000), TS_OK);
    return 0;
}

static void client_list_records_and_reentry(void **state)
{
    struct store_fx *f = FX(state);
    struct seen v = { 0 };
    int n = 0;

    assert_int_equal(store_fx_add_client(f, "a"), TS_OK);
    assert_int_equal(store_fx_add_client(f, "b"), TS_OK);
    assert_int_equal(OPS(f)->client_list(f->st, "", 0, client_check, &n), TS_OK);
    assert_int_equal(n, 2);
    alarm(30);                                  /* a deadlock fails, not hangs */
    assert_int_equal(OPS(f)->client_list(f->st, "", 0, reenter_client, f), TS_OK);
    alarm(0);
    assert_int_equal(OPS(f)->client_list(f->st, "", 0, seen_client, &v), TS_OK);
    assert_int_equal(v.n, 0);

    /* A stored value too long for its field is an error, not a truncation. */
    assert_int_equal(store_fx_add_client(f, "c"), TS_OK);
    raw_exec_fill(f, "UPDATE clients SET auth_method = '%s'", 'm', 60);
    struct client_rec c;
    memset(&c, 0x5a, sizeof c);
    assert_int_equal(OPS(f)->client_get(f->st, "c", &c), TS_EDB);
    assert_null(c.roles_json);
    assert_int_equal(OPS(f)->client_list(f->st, "", 0, seen_client, &v), TS_EDB);
    assert_int_equal(v.n, 0);
}

static void refresh_lookup_reads_without_writing(void **state)
{
    struct store_fx *f = FX(state);
    struct session_rec s;
    int64_t created = -1, retired = -1;

    rotation_fixture(f);
    assert_int_equal(OPS(f)->refresh_lookup(f->st, "h0", &s, &created, &retired), TS_OK);
    assert_string_equal(s.id, "s1");
    assert_int_equal(created, T0);
    assert_int_equal(retired, 0);                        /* current */

    assert_int_equal(rotate(f, "h0", "h1", T0 + 100, NULL), REFRESH_ROTATED);
    memset(&s, 0x5a, sizeof s);
    assert_int_equal(OPS(f)->refresh_lookup(f->st, "h0", &s, &created, &retired), TS_OK);
    assert_string_equal(s.id, "s1");
    assert_string_equal(s.user_id, "u1");
    assert_string_equal(s.client_id, "cli");
    assert_string_equal(s.scope, "read:skills write:skills");
    assert_int_equal(s.created_at, T0);
    assert_int_equal(s.last_used_at, T0 + 100);
    assert_int_equal(s.expires_at, T0 + 1000);
    assert_int_equal(s.revoked_at, 0);
    assert_int_equal(created, T0);
    assert_int_equal(retired, T0 + 100);                 /* retired */
    assert_int_equal(OPS(f)->refresh_lookup(f->st, "h1", &s, &created, &retired), TS_OK);
    assert_string_equal(s.id, "s1");
    assert_int_equal(created, T0 + 100);
    assert_int_equal(retired, 0);
    /* Outputs may be NULL. */
    assert_int_equal(OPS(f)->refresh_lookup(f->st, "h1", NULL, NULL, NULL), TS_OK);

    /* Looking up a retired token past the grace window is no reuse: nothing moves. */
    assert_int_equal(OPS(f)->refresh_lookup(f->st, "h0", &s, &created, &retired), TS_OK);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &s), TS_OK);
    assert_int_equal(s.revoked_at, 0);
    assert_int_equal(s.last_used_at, T0 + 100);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens"), 2);

    /* A revoked session is still reported, revoked. */
    assert_int_equal(OPS(f)->session_revoke(f->st, "s1", T0 + 200), TS_OK);
    assert_int_equal(OPS(f)->refresh_lookup(f->st, "h1", &s, NULL, NULL), TS_OK);
    assert_int_equal(s.revoked_at, T0 + 200);

    memset(&s, 0x5a, sizeof s);
    assert_int_equal(OPS(f)->refresh_lookup(f->st, "nope", &s, &created, &retired),
                     TS_ENOTFOUND);
    assert_string_equal(s.id, "");
    assert_int_equal(created, 0);
    assert_int_equal(retired, 0);
}

static void jti_revoke_is_idempotent_and_purges(void **state)
{
    struct store_fx *f = FX(state);
    int64_t now = (int64_t)time(NULL), later = now + 3600;

    assert_int_equal(OPS(f)->jti_revoked(f->st, "j1"), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->jti_revoke(f->st, "j1", later, now), TS_OK);
    /* A second revoke changes nothing: the first times stay. */
    assert_int_equal(OPS(f)->jti_revoke(f->st, "j1", later + 10, now + 1), TS_OK);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "j1"), TS_OK);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "J1"), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "j2"), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->jti_revoked(f->st, ""), TS_ENOTFOUND);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM revoked_tokens"), 1);
    assert_int_equal(raw_int(f, "SELECT expires_at FROM revoked_tokens"), later);
    assert_int_equal(raw_int(f, "SELECT revoked_at FROM revoked_tokens"), now);

    /* An already expired token: kept until the next purge, at most once a minute. */
    assert_int_equal(OPS(f)->jti_revoke(f->st, "old", 100, now), TS_OK);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "old"), TS_OK);
    assert_int_equal(OPS(f)->jti_revoke(f->st, "j2", later, now), TS_OK);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "old"), TS_OK);   /* too soon */
    f->age_jti_purge(f, 60);                                      /* a minute later */
    assert_int_equal(OPS(f)->jti_revoke(f->st, "j3", later, now), TS_OK);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "old"), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "j1"), TS_OK);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "j2"), TS_OK);
    assert_int_equal(OPS(f)->jti_revoked(f->st, "j3"), TS_OK);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM revoked_tokens"), 3);
}

struct jti_seen { int n; char jti[80][16]; int64_t at[80]; };

static int collect_jti(void *ctx, const char *jti, int64_t revoked_at, int64_t expires_at)
{
    struct jti_seen *seen = ctx;
    (void)expires_at;
    if (seen->n < 80) {
        snprintf(seen->jti[seen->n], sizeof seen->jti[0], "%s", jti);
        seen->at[seen->n++] = revoked_at;
    }
    return 0;
}

/* jti_list: by revoked_at from `since`, live tokens only, every row once across the
 * backend's chunks even when many share one revoked_at. */
static void jti_list_walks_revocations_since(void **state)
{
    struct store_fx *f = FX(state);
    struct jti_seen seen = { 0 };
    char jti[16];

    for (int i = 0; i < 70; i++) {         /* 70 at t=1000: more than one chunk */
        snprintf(jti, sizeof jti, "a%02d", i);
        assert_int_equal(OPS(f)->jti_revoke(f->st, jti, 5000, 1000), TS_OK);
    }
    assert_int_equal(OPS(f)->jti_revoke(f->st, "b", 5000, 1001), TS_OK);
    assert_int_equal(OPS(f)->jti_revoke(f->st, "dead", 1500, 1002), TS_OK);
    assert_int_equal(OPS(f)->jti_revoke(f->st, "c", 5000, 1003), TS_OK);

    assert_int_equal(OPS(f)->jti_list(f->st, 0, 2000, collect_jti, &seen), TS_OK);
    assert_int_equal(seen.n, 72);          /* "dead" expired at 1500 */
    for (int i = 0; i < 70; i++) {
        snprintf(jti, sizeof jti, "a%02d", i);
        assert_string_equal(seen.jti[i], jti);
        assert_int_equal(seen.at[i], 1000);
    }
    assert_string_equal(seen.jti[70], "b");
    assert_string_equal(seen.jti[71], "c");

    memset(&seen, 0, sizeof seen);
    assert_int_equal(OPS(f)->jti_list(f->st, 1001, 1000, collect_jti, &seen), TS_OK);
    assert_int_equal(seen.n, 3);           /* b, dead (alive at 1000), c */
    assert_string_equal(seen.jti[0], "b");
    assert_string_equal(seen.jti[1], "dead");
    assert_string_equal(seen.jti[2], "c");
}

static void data_survives_close_and_reopen(void **state)
{
    struct store_fx *f = FX(state);
    struct user_rec u;
    struct session_rec s;
    struct key_seen v = { 0 };
    char out[256];
    int applied = -1, version = 0;

    rotation_fixture(f);
    assert_int_equal(rotate(f, "h0", "h1", T0 + 10, NULL), REFRESH_ROTATED);
    assert_int_equal(add_key(f, "k1", 100, 100, 0), TS_OK);
    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "refresh_key", "v1", out), TS_OK);
    reopen(f);

    assert_int_equal(OPS(f)->migrate(f->st, &applied), TS_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(OPS(f)->schema_version(f->st, &version), TS_OK);
    assert_int_equal(version, store_migrations[count_migrations() - 1].version);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_LOGIN, "ONE", &u), TS_OK);
    assert_string_equal(u.id, "u1");
    user_rec_clear(&u);
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &s), TS_OK);
    assert_int_equal(s.last_used_at, T0 + 10);
    assert_int_equal(OPS(f)->key_list(f->st, 0, key_copy, &v), TS_OK);
    assert_int_equal(v.n, 1);
    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "refresh_key", "v2", out), TS_OK);
    assert_string_equal(out, "v1");
    /* The retired token is still known as retired, the successor as current. */
    assert_int_equal(rotate(f, "h0", "hx", T0 + 15, NULL), REFRESH_GRACE);
    assert_int_equal(rotate(f, "h1", "h2", T0 + 20, NULL), REFRESH_ROTATED);
}

static void oversized_values_are_errors_not_overflows(void **state)
{
    struct store_fx *f = FX(state);
    struct user_rec u;
    struct session_rec s;
    struct key_seen v = { 0 };
    char out[256];

    rotation_fixture(f);
    assert_int_equal(add_key(f, "k1", 100, 100, 0), TS_OK);
    raw_exec_fill(f, "UPDATE users SET name = '%s'", 'n', 300);
    raw_exec_fill(f, "UPDATE sessions SET user_agent = '%s'", 'a', 300);
    raw_exec(f, "UPDATE signing_keys SET alg = 'ES256-but-far-too-long'");
    raw_exec_fill(f, "INSERT INTO server_secrets VALUES ('big', '%s')", 's', 256);

    memset(&u, 0x5a, sizeof u);
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_ID, "u1", &u), TS_EDB);
    assert_null(u.roles_json);                            /* nothing left to free */
    assert_int_equal(OPS(f)->session_get(f->st, "s1", &s), TS_EDB);
    assert_int_equal(rotate_err(f), TS_EDB);
    assert_int_equal(OPS(f)->key_list(f->st, 1, key_copy, &v), TS_EDB);
    assert_int_equal(v.n, 0);
    assert_int_equal(OPS(f)->secret_get_or_put(f->st, "big", NULL, out), TS_EDB);
}

static int reenter_user(void *ctx, const struct user_rec *u)
{
    struct store_fx *f = ctx;
    struct user_rec again;
    assert_int_equal(OPS(f)->user_get(f->st, USER_BY_ID, u->id, &again), TS_OK);
    user_rec_clear(&again);
    return 0;
}

static int reenter_session(void *ctx, const struct session_rec *s)
{
    struct store_fx *f = ctx;
    assert_int_equal(OPS(f)->session_revoke(f->st, s->id, 2000), TS_OK);
    return 0;
}

static int reenter_key(void *ctx, const struct signing_key_rec *k)
{
    struct store_fx *f = ctx;
    assert_int_equal(OPS(f)->key_update(f->st, k->kid, 0, 2000), TS_OK);
    return 0;
}

static void callbacks_may_call_the_store(void **state)
{
    struct store_fx *f = FX(state);
    struct seen v = { 0 };

    alarm(30);                                  /* a deadlock fails, not hangs */
    assert_int_equal(store_fx_add_user(f, "u1", "one@example.com", NULL), TS_OK);
    assert_int_equal(store_fx_add_user(f, "u2", "two@example.com", NULL), TS_OK);
    assert_int_equal(add_session(f, "s1", "u1", 100, 5000, "h1"), TS_OK);
    assert_int_equal(add_session(f, "s2", "u1", 200, 5000, "h2"), TS_OK);
    assert_int_equal(add_key(f, "k1", 100, 100, 0), TS_OK);
    assert_int_equal(OPS(f)->user_list(f->st, "", 10, reenter_user, f), TS_OK);
    assert_int_equal(OPS(f)->session_list_user(f->st, "u1", 1000, reenter_session, f),
                     TS_OK);
    assert_int_equal(OPS(f)->key_list(f->st, 0, reenter_key, f), TS_OK);
    alarm(0);
    assert_int_equal(OPS(f)->session_list_user(f->st, "u1", 1000, seen_session, &v), TS_OK);
    assert_int_equal(v.n, 0);
    assert_int_equal(OPS(f)->key_list(f->st, 0, seen_key, &v), TS_OK);
    assert_int_equal(v.n, 0);
}

#define THREADS 4
#define ROUNDS 100

struct worker {
    struct store_fx *f;
    int id, failures;
};

static void *rotate_worker(void *arg)
{
    struct worker *w = arg;
    struct store *st = w->f->st;
    char sid[16], h[32], next[32];
    enum refresh_outcome oc;

    snprintf(sid, sizeof sid, "t%d", w->id);
    snprintf(h, sizeof h, "t%d-0", w->id);
    struct session_rec s = store_fx_make_session(sid, "u1", T0, T0 + 100000);
    if (st->ops->session_create(st, &s, h))
        w->failures++;
    for (int i = 1; i <= ROUNDS; i++) {
        snprintf(next, sizeof next, "t%d-%d", w->id, i);
        if (st->ops->refresh_rotate(st, h, next, T0 + i, GRACE, IDLE, "ua", "ip", &oc,
                                    NULL) || oc != REFRESH_ROTATED)
            w->failures++;
        memcpy(h, next, sizeof h);
    }
    return NULL;
}

static void concurrent_rotations_all_succeed(void **state)
{
    struct store_fx *f = FX(state);
    pthread_t t[THREADS];
    struct worker w[THREADS];

    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){ .f = f, .id = i };
        assert_int_equal(pthread_create(&t[i], NULL, rotate_worker, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens"),
                     THREADS * (ROUNDS + 1));
    assert_int_equal(raw_int(f, "SELECT count(*) FROM refresh_tokens WHERE "
                             "retired_at IS NULL"), THREADS);
}

/* On an empty database (setup_empty). */
static const struct CMUnitTest contract_empty_tests[] = {
    cmocka_unit_test(migrate_is_idempotent_and_refuses_a_newer_schema),
};

static struct code_rec make_code(const char *hash)
{
    struct code_rec c = { 0 };
    snprintf(c.hash, sizeof c.hash, "%s", hash);
    snprintf(c.client_id, sizeof c.client_id, "cli");
    snprintf(c.redirect_uri, sizeof c.redirect_uri, "https://app.example/cb");
    snprintf(c.code_challenge, sizeof c.code_challenge,
             "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    snprintf(c.scope, sizeof c.scope, "openid profile");
    snprintf(c.nonce, sizeof c.nonce, "n-0S6_WzA2Mj");
    snprintf(c.browser_sid, sizeof c.browser_sid, "bs1");
    snprintf(c.user_id, sizeof c.user_id, "u1");
    snprintf(c.issued_sid, sizeof c.issued_sid, "s-issued");
    c.auth_time = 900;
    c.created_at = T0;
    c.expires_at = T0 + 60;
    c.used_at = 777;                    /* ignored: a new code is unused */
    return c;
}

/* store_code_take: the first take wins and reads the row unused; every later one
 * is TS_ECONFLICT with the row (for the replay's revocation). */
static void code_is_taken_once(void **state)
{
    struct store_fx *f = FX(state);
    struct code_rec c = make_code("h-code-1"), got;

    assert_int_equal(OPS(f)->code_insert(f->st, &c, T0), TS_OK);
    assert_int_equal(OPS(f)->code_insert(f->st, &c, T0), TS_ECONFLICT);
    assert_int_equal(OPS(f)->code_take(f->st, "h-code-1", T0 + 1, &got), TS_OK);
    assert_string_equal(got.client_id, "cli");
    assert_string_equal(got.redirect_uri, c.redirect_uri);
    assert_string_equal(got.code_challenge, c.code_challenge);
    assert_string_equal(got.scope, c.scope);
    assert_string_equal(got.nonce, c.nonce);
    assert_string_equal(got.browser_sid, "bs1");
    assert_string_equal(got.user_id, "u1");
    assert_string_equal(got.issued_sid, "s-issued");
    assert_int_equal(got.auth_time, 900);
    assert_int_equal(got.expires_at, T0 + 60);
    assert_int_equal(got.used_at, 0);
    assert_int_equal(OPS(f)->code_take(f->st, "h-code-1", T0 + 2, &got), TS_ECONFLICT);
    assert_string_equal(got.issued_sid, "s-issued");
    assert_int_equal(got.used_at, T0 + 1);
    assert_int_equal(OPS(f)->code_take(f->st, "h-none", T0, &got), TS_ENOTFOUND);
    assert_string_equal(got.client_id, "");
    /* an insert long after purges the codes expired more than an hour before */
    struct code_rec later = make_code("h-code-2");
    assert_int_equal(OPS(f)->code_insert(f->st, &later, T0 + 60 + 3601), TS_OK);
    assert_int_equal(OPS(f)->code_take(f->st, "h-code-1", T0 + 3700, &got), TS_ENOTFOUND);
    assert_int_equal(OPS(f)->code_take(f->st, "h-code-2", T0 + 3700, &got), TS_OK);
}

static void browser_cookie_names_its_session(void **state)
{
    struct store_fx *f = FX(state);
    char sid[STORE_ID_LEN + 1];
    int64_t at;
    struct session_rec s;

    assert_int_equal(add_session(f, "bs1", "u1", 100, 5000, NULL), TS_OK);
    assert_int_equal(OPS(f)->browser_cookie_insert(f->st, "bs1", "h-cookie", 100), TS_OK);
    assert_int_equal(OPS(f)->browser_cookie_insert(f->st, "bs2", "h-cookie", 100),
                     TS_ECONFLICT);
    assert_int_equal(OPS(f)->browser_cookie_find(f->st, "h-cookie", sid, &at), TS_OK);
    assert_string_equal(sid, "bs1");
    assert_int_equal(at, 100);
    assert_int_equal(OPS(f)->browser_cookie_find(f->st, "h-other", sid, &at),
                     TS_ENOTFOUND);
    assert_string_equal(sid, "");
    assert_int_equal(OPS(f)->session_touch(f->st, "bs1", 150), TS_OK);
    assert_int_equal(OPS(f)->session_get(f->st, "bs1", &s), TS_OK);
    assert_int_equal(s.last_used_at, 150);
    assert_int_equal(OPS(f)->session_touch(f->st, "nope", 150), TS_ENOTFOUND);
}

/* On a freshly migrated one (setup). */
static const struct CMUnitTest contract_tests[] = {
    cmocka_unit_test(user_insert_and_get_by_every_key),
    cmocka_unit_test(user_conflicts_ignore_case),
    cmocka_unit_test(user_update_replaces_every_column),
    cmocka_unit_test(user_delete_revokes_its_sessions),
    cmocka_unit_test(user_list_paginates_by_id),
    cmocka_unit_test(session_create_get_revoke),
    cmocka_unit_test(session_create_is_atomic),
    cmocka_unit_test(session_revoke_user_spares_the_exception),
    cmocka_unit_test(session_list_user_shows_only_active),
    cmocka_unit_test(session_list_all_is_newest_first_and_limited),
    cmocka_unit_test(rotate_current_token),
    cmocka_unit_test(rotate_inside_grace_changes_nothing),
    cmocka_unit_test(rotate_reuse_after_grace_revokes),
    cmocka_unit_test(rotate_unknown_token_is_invalid),
    cmocka_unit_test(rotate_expired_session_is_invalid),
    cmocka_unit_test(rotate_idle_token_is_invalid),
    cmocka_unit_test(rotate_revoked_session_is_invalid),
    cmocka_unit_test(rotate_with_rotation_off_keeps_the_token),
    cmocka_unit_test(rotate_rolls_back_on_a_successor_clash),
    cmocka_unit_test(rotate_clips_a_long_user_agent),
    cmocka_unit_test(keys_insert_list_update),
    cmocka_unit_test(audit_insert_numbers_events),
    cmocka_unit_test(revocations_in_cursor_order_within_the_window),
    cmocka_unit_test(secret_first_writer_wins),
    cmocka_unit_test(client_insert_and_get_round_trip),
    cmocka_unit_test(client_update_replaces_every_column),
    cmocka_unit_test(client_delete_revokes_its_sessions),
    cmocka_unit_test(client_list_paginates_by_id),
    cmocka_unit_test(client_list_records_and_reentry),
    cmocka_unit_test(refresh_lookup_reads_without_writing),
    cmocka_unit_test(jti_list_walks_revocations_since),
    cmocka_unit_test(jti_revoke_is_idempotent_and_purges),
    cmocka_unit_test(data_survives_close_and_reopen),
    cmocka_unit_test(oversized_values_are_errors_not_overflows),
    cmocka_unit_test(callbacks_may_call_the_store),
    cmocka_unit_test(concurrent_rotations_all_succeed),
    cmocka_unit_test(code_is_taken_once),
    cmocka_unit_test(browser_cookie_names_its_session),
};

/* The fixture: the backend's own (be) behind the hooks the tests call. */
static const struct store_fx_backend *backend;     /* of the group being run */

struct fx_of_backend {
    struct store_fx base;           /* first: what the tests get */
    void *be;
};

static void *be_of(struct store_fx *f)
{
    return ((struct fx_of_backend *)f)->be;
}

static void hook_exec(struct store_fx *f, const char *sql) { backend->exec(be_of(f), sql); }

static int64_t hook_int(struct store_fx *f, const char *sql)
{
    return backend->int_of(be_of(f), sql);
}

static void hook_reopen(struct store_fx *f)
{
    backend->reopen(be_of(f));
    f->st = backend->store(be_of(f));
}

static struct store *hook_another(struct store_fx *f) { return backend->another(be_of(f)); }

static void hook_age_jti_purge(struct store_fx *f, int64_t seconds)
{
    backend->age_jti_purge(f->st, seconds);
}

static int fixture_setup(void **state, int (*setup)(void **be))
{
    void *be = NULL;
    int rc = setup(&be);
    struct fx_of_backend *w;

    *state = NULL;
    if (!be)
        return rc;                  /* no backend: each test skips itself (FX) */
    if (rc || !(w = calloc(1, sizeof *w))) {
        backend->teardown(&be);
        return -1;
    }
    w->be = be;
    w->base = (struct store_fx){ backend->store(be), hook_exec, hook_int, hook_reopen,
                                 hook_another, hook_age_jti_purge };
    *state = w;
    return 0;
}

static int contract_setup(void **state) { return fixture_setup(state, backend->setup); }

static int contract_setup_empty(void **state)
{
    return fixture_setup(state, backend->setup_empty);
}

static int contract_teardown(void **state)
{
    struct fx_of_backend *w = *state;
    void *be = w ? w->be : NULL;

    free(w);
    return be ? backend->teardown(&be) : 0;
}

int store_contract_run(const char *group, const struct store_fx_backend *b)
{
    size_t empty = sizeof contract_empty_tests / sizeof contract_empty_tests[0];
    size_t full = sizeof contract_tests / sizeof contract_tests[0];
    size_t n = empty + full + store_contract_admin_count;
    struct CMUnitTest *tests = calloc(n, sizeof *tests);

    if (!tests)
        return 1;
    backend = b;
    memcpy(tests, contract_empty_tests, sizeof contract_empty_tests);
    memcpy(tests + empty, contract_tests, sizeof contract_tests);
    memcpy(tests + empty + full, store_contract_admin_tests,
           store_contract_admin_count * sizeof *tests);
    for (size_t i = 0; i < n; i++) {
        tests[i].setup_func = i < empty ? contract_setup_empty : contract_setup;
        tests[i].teardown_func = contract_teardown;
    }
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    return failed;
}
