/* SPDX-License-Identifier: Apache-2.0 */
/* The PostgreSQL backend: the store operations of store.h over a pool of libpq
 * connections (postgres_conn.c), with the semantics of the SQLite backend (sqlite.c).
 * Writes that revoke something or change the keys notify PG_CHANNEL in their own
 * transaction, for the wait_change of other instances. */
#include "store/postgres_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/text.h"
#include "store/backend.h"
#include "store/lists.h"
#include "store/refresh_rule.h"

/* jti_revoke purges expired revoked_tokens rows at most this often (seconds). */
#define JTI_PURGE_INTERVAL 60


/* TS_OK when a result has a row, TS_ENOTFOUND when it has none. */
static ts_err one_row(const PGresult *res)
{
    return PQntuples(res) > 0 ? TS_OK : TS_ENOTFOUND;
}

/* --- readers (the column lists of postgres_int.h) --------------------------------- */

static ts_err read_user(const PGresult *res, int row, struct user_rec *u)
{
    ts_err err;

    memset(u, 0, sizeof *u);
    if ((err = pg_col_text(res, row, 0, u->id, sizeof u->id)) ||
        (err = pg_col_text(res, row, 1, u->email, sizeof u->email)) ||
        (err = pg_col_text(res, row, 2, u->username, sizeof u->username)) ||
        (err = pg_col_text(res, row, 3, u->name, sizeof u->name)) ||
        (err = pg_col_strdup(res, row, 4, "[]", &u->roles_json)) ||
        (err = pg_col_strdup(res, row, 5, "{}", &u->attributes_json)) ||
        (err = pg_col_text(res, row, 7, u->password_hash, sizeof u->password_hash))) {
        user_rec_clear(u);
        return err;
    }
    u->disabled = pg_col_int(res, row, 6) != 0;
    u->created_at = pg_col_int(res, row, 8);
    u->updated_at = pg_col_int(res, row, 9);
    return TS_OK;
}

/* The first eleven columns (PG_SESSION_COLS); zeroed on failure. */
static ts_err read_session(const PGresult *res, int row, struct session_rec *r)
{
    ts_err err;

    memset(r, 0, sizeof *r);
    if ((err = pg_col_text(res, row, 0, r->id, sizeof r->id)) ||
        (err = pg_col_text(res, row, 1, r->user_id, sizeof r->user_id)) ||
        (err = pg_col_text(res, row, 2, r->client_id, sizeof r->client_id)) ||
        (err = pg_col_text(res, row, 3, r->scope, sizeof r->scope)) ||
        (err = pg_col_text(res, row, 4, r->user_agent, sizeof r->user_agent)) ||
        (err = pg_col_text(res, row, 5, r->ip, sizeof r->ip)) ||
        (err = pg_col_text(res, row, 10, r->audience, sizeof r->audience))) {
        memset(r, 0, sizeof *r);
        return err;
    }
    r->created_at = pg_col_int(res, row, 6);
    r->last_used_at = pg_col_int(res, row, 7);
    r->expires_at = pg_col_int(res, row, 8);
    r->revoked_at = pg_col_int(res, row, 9);
    return TS_OK;
}

/* The readers above for the record-agnostic paths (get_op, the lists). */
static ts_err read_session_rec(const PGresult *res, int row, void *rec)
{
    return read_session(res, row, rec);
}

static ts_err read_key(const PGresult *res, int row, struct signing_key_rec *k)
{
    ts_err err;

    memset(k, 0, sizeof *k);
    if ((err = pg_col_text(res, row, 0, k->kid, sizeof k->kid)) ||
        (err = pg_col_text(res, row, 1, k->alg, sizeof k->alg)) ||
        (err = pg_col_strdup(res, row, 2, NULL, &k->private_jwk))) {
        signing_key_rec_clear(k);
        return err;
    }
    if (!k->private_jwk) {
        log_msg("error", "postgresql: signing key without a private JWK");
        return TS_EDB;
    }
    k->created_at = pg_col_int(res, row, 3);
    k->activated_at = pg_col_int(res, row, 4);
    k->retired_at = pg_col_int(res, row, 5);
    return TS_OK;
}

static ts_err read_client(const PGresult *res, int row, struct client_rec *c)
{
    ts_err err;

    memset(c, 0, sizeof *c);
    if ((err = pg_col_text(res, row, 0, c->id, sizeof c->id)) ||
        (err = pg_col_text(res, row, 1, c->name, sizeof c->name)) ||
        (err = pg_col_text(res, row, 2, c->secret_hash, sizeof c->secret_hash)) ||
        (err = pg_col_text(res, row, 3, c->grants, sizeof c->grants)) ||
        (err = pg_col_text(res, row, 4, c->scopes, sizeof c->scopes)) ||
        (err = pg_col_strdup(res, row, 5, "[]", &c->roles_json)) ||
        (err = pg_col_text(res, row, 6, c->auth_method, sizeof c->auth_method)) ||
        (err = pg_col_text(res, row, 13, c->tls_subject_dn, sizeof c->tls_subject_dn)) ||
        (err = pg_col_text(res, row, 14, c->tls_thumbprint, sizeof c->tls_thumbprint)) ||
        (err = pg_col_text(res, row, 17, c->audiences, sizeof c->audiences))) {
        client_rec_clear(c);
        return err;
    }
    c->is_public = pg_col_int(res, row, 7) != 0;
    c->disabled = pg_col_int(res, row, 8) != 0;
    int64_t rotation = pg_col_int(res, row, 9);
    c->refresh_rotation = rotation < 0 ? -1 : rotation > 0;
    c->access_ttl = pg_col_int(res, row, 10);
    c->refresh_ttl = pg_col_int(res, row, 11);
    c->refresh_idle_ttl = pg_col_int(res, row, 12);
    c->created_at = pg_col_int(res, row, 15);
    c->updated_at = pg_col_int(res, row, 16);
    c->auth_method_pinned = pg_col_int(res, row, 18) != 0;
    if ((err = pg_col_text(res, row, 19, c->redirect_uris, sizeof c->redirect_uris)) ||
        (err = pg_col_text(res, row, 20, c->post_logout_redirect_uris,
                           sizeof c->post_logout_redirect_uris)) ||
        (err = pg_col_text(res, row, 22, c->backchannel_logout_uri,
                           sizeof c->backchannel_logout_uri)) ||
        (err = pg_col_text(res, row, 23, c->id_token_alg, sizeof c->id_token_alg))) {
        client_rec_clear(c);
        return err;
    }
    c->first_party = pg_col_int(res, row, 21) != 0;
    return TS_OK;
}

static ts_err read_client_rec(const PGresult *res, int row, void *rec)
{
    return read_client(res, row, rec);
}

static ts_err read_audit(const PGresult *res, int row, struct audit_event_rec *e)
{
    ts_err err;

    memset(e, 0, sizeof *e);
    e->id = pg_col_int(res, row, 0);
    e->at = pg_col_int(res, row, 1);
    if ((err = pg_col_text(res, row, 2, e->event, sizeof e->event)) ||
        (err = pg_col_text(res, row, 3, e->user_id, sizeof e->user_id)) ||
        (err = pg_col_text(res, row, 4, e->client_id, sizeof e->client_id)) ||
        (err = pg_col_text(res, row, 5, e->ip, sizeof e->ip)) ||
        (err = pg_col_strdup(res, row, 6, NULL, &e->detail_json))) {
        audit_event_rec_clear(e);
        return err;
    }
    return TS_OK;
}

/* --- server secrets --------------------------------------------------------------- */

struct secret_op {
    const char *name, *value_if_new;
    char *out;
};

/* Insert-if-absent, then read back in a statement of its own (a new snapshot):
 * whoever inserted first is what everyone reads. */
static ts_err secret_work(struct pg_conn *c, void *ctx)
{
    struct secret_op *o = ctx;
    ts_err err = TS_OK;

    o->out[0] = '\0';
    if (o->value_if_new)
        err = pg_exec(c, PG_SECRET_PUT, NULL, "tt", o->name, o->value_if_new);
    PGresult *res = err ? NULL : pg_query(c, PG_SECRET_GET, &err, "t", o->name);
    if (res) {
        if (!(err = one_row(res)))
            err = pg_col_text(res, 0, 0, o->out, 256);
        PQclear(res);
    }
    return err;
}

static ts_err pg_secret_get_or_put(struct store *st, const char *name,
                                   const char *value_if_new, char out[256])
{
    struct secret_op o = { name, value_if_new, out };

    out[0] = '\0';
    if (value_if_new && strnlen(value_if_new, 256) == 256) {
        log_msg("error", "postgresql: server secret %s: value longer than 255 bytes",
                name);
        return TS_EDB;
    }
    return pg_run(pg_of(st), PG_IDEMPOTENT, secret_work, &o);
}

/* --- users ------------------------------------------------------------------------- */

/* INSERT or UPDATE of every column of a user (both take the same parameters). */
struct user_write_op {
    enum pg_stmt id;
    const struct user_rec *u;
    const char *email_lower, *username_lower;
    int *changes;
};

static ts_err user_write_work(struct pg_conn *c, void *ctx)
{
    struct user_write_op *o = ctx;
    const struct user_rec *u = o->u;
    return pg_exec(c, o->id, o->changes, "tttTTtttdtii", u->id, u->email, o->email_lower,
                   u->username, o->username_lower, u->name,
                   u->roles_json ? u->roles_json : "[]",
                   u->attributes_json ? u->attributes_json : "{}",
                   u->disabled ? 1 : 0, u->password_hash, u->created_at, u->updated_at);
}

static ts_err user_write(struct pg_store *s, enum pg_stmt id, const struct user_rec *u,
                         int *changes)
{
    char email_lower[STORE_EMAIL_LEN + 1], username_lower[STORE_NAME_LEN + 1];
    struct user_write_op o = { id, u, email_lower, username_lower, changes };

    if (!FIELD_OK(u->id) || !FIELD_OK(u->name) || !FIELD_OK(u->password_hash) ||
        store_lower_copy(u->email, email_lower, sizeof email_lower) ||
        store_lower_copy(u->username, username_lower, sizeof username_lower))
        return store_unterminated("postgresql", "user");
    /* An UPDATE replaces every column: running it twice is the same. */
    return pg_run(s, id == PG_USER_UPDATE ? PG_IDEMPOTENT : PG_ONCE, user_write_work, &o);
}

static ts_err pg_user_insert(struct store *st, const struct user_rec *u)
{
    return user_write(pg_of(st), PG_USER_INSERT, u, NULL);
}

static ts_err pg_user_update(struct store *st, const struct user_rec *u)
{
    int changes = 0;
    ts_err err = user_write(pg_of(st), PG_USER_UPDATE, u, &changes);
    return store_row_written(st, err, changes);
}

/* One user by one key. */
static ts_err user_by(struct pg_conn *c, enum pg_stmt id, const char *key,
                      struct user_rec *out)
{
    ts_err err;
    PGresult *res = pg_query(c, id, &err, "t", key);
    if (!res)
        return err;
    if (!(err = one_row(res)))
        err = read_user(res, 0, out);
    PQclear(res);
    return err;
}

/* USER_BY_LOGIN tries the email first, then the username, as sqlite.c. */
struct user_get_op {
    enum user_lookup by;
    const char *value, *key;
    struct user_rec *out;
};

static ts_err user_get_work(struct pg_conn *c, void *ctx)
{
    struct user_get_op *o = ctx;
    ts_err err;

    switch (o->by) {
    case USER_BY_ID:
        return user_by(c, PG_USER_BY_ID, o->value, o->out);
    case USER_BY_EMAIL:
        return user_by(c, PG_USER_BY_EMAIL, o->key, o->out);
    case USER_BY_USERNAME:
        return user_by(c, PG_USER_BY_USERNAME, o->key, o->out);
    case USER_BY_LOGIN:
        err = user_by(c, PG_USER_BY_EMAIL, o->key, o->out);
        if (err == TS_ENOTFOUND)
            err = user_by(c, PG_USER_BY_USERNAME, o->key, o->out);
        return err;
    }
    return TS_ENOTFOUND;
}

static ts_err pg_user_get(struct store *st, enum user_lookup by, const char *value,
                          struct user_rec *out)
{
    char key[STORE_EMAIL_LEN + 1];
    struct user_get_op o = { by, value, key, out };

    memset(out, 0, sizeof *out);
    if (!value || !*value)
        return TS_ENOTFOUND;
    if (by != USER_BY_ID && store_lower_copy(value, key, sizeof key))
        return TS_ENOTFOUND;
    return pg_run(pg_of(st), PG_IDEMPOTENT, user_get_work, &o);
}

/* Deleting a row and revoking what hangs off it (user_delete, client_delete). */
struct delete_op {
    enum pg_stmt del, revoke;
    const char *id, *what;
    int64_t now;
};

static ts_err delete_work(struct pg_conn *c, void *ctx)
{
    struct delete_op *o = ctx;
    int changes = 0;
    ts_err err;

    if ((err = pg_begin(c)))
        return err;
    err = pg_exec(c, o->del, &changes, "t", o->id);
    if (!err && changes == 0)
        err = TS_ENOTFOUND;
    if (!err)
        err = pg_exec(c, o->revoke, NULL, "ti", o->id, o->now);
    if (!err)
        err = pg_exec(c, PG_NOTIFY, NULL, "t", o->what);
    return pg_end(c, err);
}

static ts_err pg_user_delete(struct store *st, const char *id, int64_t now)
{
    struct delete_op o = { PG_USER_DELETE, PG_SESSION_REVOKE_ALL, id, "user", now };

    if (!text_utf8_valid(id))
        return TS_ENOTFOUND;            /* no stored id is anything but UTF-8 */
    ts_err err = pg_run(pg_of(st), PG_ONCE, delete_work, &o);
    if (!err)
        store_changed(st);
    return err;
}

/* One count (user_count, session_count_active); `now` for the statements that take
 * it. */
struct count_op {
    enum pg_stmt id;
    int64_t now;
    int64_t *count;
};

static ts_err count_work(struct pg_conn *c, void *ctx)
{
    struct count_op *o = ctx;
    ts_err err;

    *o->count = 0;
    PGresult *res = o->id == PG_USER_COUNT ? pg_query(c, o->id, &err, "")
                                           : pg_query(c, o->id, &err, "i", o->now);
    if (res) {
        if (!(err = one_row(res)))
            *o->count = pg_col_int(res, 0, 0);
        PQclear(res);
    }
    return err;
}

static ts_err pg_user_count(struct store *st, int64_t *count)
{
    struct count_op o = { PG_USER_COUNT, 0, count };

    *count = 0;
    return pg_run(pg_of(st), PG_IDEMPOTENT, count_work, &o);
}

/* --- lists ----------------------------------------------------------------------------- */

/* The lists are walked by store/lists.c, which calls the readers of one chunk below;
 * each runs the list's query under pg_run and reads its rows. */
struct pg_chunk {
    const struct list_row *row;     /* the list's: size and clear of one row */
    const void *cursor;             /* the list's (struct list_ids ...) */
    /* Runs the list's statement for up to `want` rows after the cursor. */
    PGresult *(*query)(struct pg_conn *c, const void *cursor, int want, ts_err *err);
    ts_err (*read)(const PGresult *res, int row, void *rec);
    int want;
    char *rows;
    int *n;
};

static ts_err chunk_work(struct pg_conn *c, void *ctx)
{
    struct pg_chunk *ch = ctx;
    ts_err err;

    *ch->n = 0;
    PGresult *res = ch->query(c, ch->cursor, ch->want, &err);
    if (!res)
        return err;
    int rowsn = PQntuples(res);
    for (int i = 0; i < rowsn && i < ch->want; i++) {
        if ((err = ch->read(res, i, ch->rows + (size_t)*ch->n * ch->row->size)))
            break;
        ++*ch->n;
    }
    PQclear(res);
    /* pg_run may run this again: leave nothing read behind */
    if (err) {
        for (int i = 0; ch->row->clear && i < *ch->n; i++)
            ch->row->clear(ch->rows + (size_t)i * ch->row->size);
        *ch->n = 0;
    }
    return err;
}

static ts_err chunk_fetch(struct pg_store *s, struct pg_chunk *ch)
{
    *ch->n = 0;
    ts_err err = pg_run(s, PG_IDEMPOTENT, chunk_work, ch);
    /* A cursor PostgreSQL cannot hold (not UTF-8) has nothing stored after it that
     * the backend could find: an empty page. */
    return err == TS_ENOTFOUND ? TS_OK : err;
}

/* Users, the user search, clients: by id. */
static PGresult *id_query(struct pg_conn *c, const void *cursor, int want, ts_err *err)
{
    const struct list_ids *l = cursor;
    const struct user_filter *f = l->f;

    switch (l->kind) {
    case LIST_USER_SEARCH:
        return pg_query(c, PG_USER_SEARCH, err, "tdTTdd", l->from, want, l->prefix,
                        f ? f->role : NULL, f && f->disabled >= 0, f && f->disabled > 0);
    case LIST_CLIENTS:
        return pg_query(c, PG_CLIENT_LIST, err, "td", l->from, want);
    default:
        return pg_query(c, PG_USER_LIST, err, "td", l->from, want);
    }
}

static ts_err read_user_any(const PGresult *res, int row, void *rec)
{
    return read_user(res, row, rec);
}

static ts_err id_fetch(struct store *st, const struct list_ids *l, int want, void *rows,
                       int *n)
{
    struct pg_chunk ch = { &l->row, l, id_query,
                           l->kind == LIST_CLIENTS ? read_client_rec : read_user_any,
                           want, rows, n };
    return chunk_fetch(pg_of(st), &ch);
}

/* --- sessions ------------------------------------------------------------------------ */

/* A NULL refresh_hash creates a session without a refresh token. The user agent and
 * ip go through text_clean (base/text.h), as on SQLite: the server cleaned them where
 * they entered, so this changes nothing but what another caller might pass. */
struct session_create_op {
    const struct session_rec *r;
    const char *refresh_hash, *ua, *ip;
};

static ts_err session_create_work(struct pg_conn *c, void *ctx)
{
    struct session_create_op *o = ctx;
    const struct session_rec *r = o->r;
    ts_err err;

    if ((err = pg_begin(c)))
        return err;
    err = pg_exec(c, PG_SESSION_INSERT, NULL, "ttttttiiiIt", r->id, r->user_id,
                  r->client_id, r->scope, o->ua, o->ip, r->created_at, r->last_used_at,
                  r->expires_at, r->revoked_at, r->audience);
    if (!err && o->refresh_hash)
        err = pg_exec(c, PG_TOKEN_INSERT, NULL, "tti", o->refresh_hash, r->id,
                      r->created_at);
    return pg_end(c, err);
}

static ts_err pg_session_create(struct store *st, const struct session_rec *r,
                                const char *refresh_hash)
{
    char ua[STORE_UA_LEN + 1], ip[STORE_IP_LEN + 1];
    struct session_create_op o = { r, refresh_hash, ua, ip };

    if (!FIELD_OK(r->id) || !FIELD_OK(r->user_id) || !FIELD_OK(r->client_id) ||
        !FIELD_OK(r->scope) || !FIELD_OK(r->user_agent) || !FIELD_OK(r->ip) ||
        !FIELD_OK(r->audience))
        return store_unterminated("postgresql", "session");
    text_clean(r->user_agent, ua, sizeof ua);
    text_clean(r->ip, ip, sizeof ip);
    return pg_run(pg_of(st), PG_ONCE, session_create_work, &o);
}

/* One row read by its id into a record (session_get, client_get). */
struct get_op {
    enum pg_stmt id;
    const char *key;
    void *out;
    size_t size;
    ts_err (*read)(const PGresult *res, int row, void *rec);
};

static ts_err get_work(struct pg_conn *c, void *ctx)
{
    struct get_op *o = ctx;
    ts_err err;

    memset(o->out, 0, o->size);
    PGresult *res = pg_query(c, o->id, &err, "t", o->key);
    if (res) {
        if (!(err = one_row(res)))
            err = o->read(res, 0, o->out);
        PQclear(res);
    }
    return err;
}

static ts_err pg_session_get(struct store *st, const char *id, struct session_rec *out)
{
    struct get_op o = { PG_SESSION_GET, id, out, sizeof *out, read_session_rec };

    memset(out, 0, sizeof *out);
    return pg_run(pg_of(st), PG_IDEMPOTENT, get_work, &o);
}

/* Revocations are idempotent (the first revoked_at stays): run again after a lost
 * connection, whether or not the first try committed. */
struct revoke_op {
    const char *id, *except_id;
    int64_t now;
    int changes;
};

static ts_err revoke_work(struct pg_conn *c, void *ctx)
{
    struct revoke_op *o = ctx;
    o->changes = 0;
    return pg_exec(c, PG_SESSION_REVOKE, &o->changes, "ti", o->id, o->now);
}

static ts_err pg_session_revoke(struct store *st, const char *id, int64_t now)
{
    struct revoke_op o = { id, NULL, now, 0 };

    if (!text_utf8_valid(id))
        return TS_ENOTFOUND;            /* no stored id is anything but UTF-8 */
    ts_err err = pg_run(pg_of(st), PG_IDEMPOTENT, revoke_work, &o);
    return store_row_written(st, err, o.changes);
}

static ts_err revoke_user_work(struct pg_conn *c, void *ctx)
{
    struct revoke_op *o = ctx;
    o->changes = 0;
    return pg_exec(c, PG_SESSION_REVOKE_USER, &o->changes, "tti", o->id, o->except_id,
                   o->now);
}

static ts_err pg_session_revoke_user(struct store *st, const char *user_id,
                                     const char *except_id, int64_t now, int *count)
{
    struct revoke_op o = { user_id, except_id, now, 0 };

    if (count)
        *count = 0;
    if (!text_utf8_valid(user_id))
        return TS_OK;                   /* no such user: nothing to revoke */
    if (except_id && !text_utf8_valid(except_id))
        o.except_id = NULL;             /* no session has that id: none to spare */
    ts_err err = pg_run(pg_of(st), PG_IDEMPOTENT, revoke_user_work, &o);
    /* Even with no row changed: a retry after a lost reply finds the work done. */
    if (!err)
        store_changed(st);
    if (count)
        *count = err ? 0 : o.changes;
    return err;
}

/* Active sessions, newest first, after a (created_at, id) cursor. */
static PGresult *session_query(struct pg_conn *c, const void *cursor, int want,
                               ts_err *err)
{
    const struct list_sessions *l = cursor;
    enum pg_stmt id = l->all ? PG_SESSION_LIST_ALL : PG_SESSION_LIST_USER;

    if (!l->first)
        return pg_query(c, id, err, "tiitd", l->user_id, l->now, l->last.created_at,
                        l->last.id, want);
    return pg_query(c, id, err, "tiTTd", l->user_id, l->now, NULL, NULL, want);
}

static ts_err session_fetch(struct store *st, const struct list_sessions *l, int want,
                            struct session_rec *rows, int *n)
{
    struct pg_chunk ch = { &l->row, l, session_query, read_session_rec, want,
                           (char *)rows, n };
    return chunk_fetch(pg_of(st), &ch);
}

static ts_err pg_session_count_active(struct store *st, int64_t now, int64_t *count)
{
    struct count_op o = { PG_SESSION_COUNT_ACTIVE, now, count };

    *count = 0;
    return pg_run(pg_of(st), PG_IDEMPOTENT, count_work, &o);
}

/* --- refresh tokens ----------------------------------------------------------------- */

/* What one rotation step found and decided. */
struct rotation {
    const char *presented, *successor, *ua, *ip;
    int64_t now, grace, idle_ttl;
    int found;
    enum refresh_outcome oc;
    struct session_rec session;      /* as it is after the step */
};

/* Ends a transaction that wrote nothing: ROLLBACK (which also releases its row
 * locks). What it read stands even if the connection breaks now. */
static ts_err read_only_end(struct pg_conn *c)
{
    (void)pg_end(c, TS_ENOTFOUND);
    return TS_OK;
}

/*
 * One rotation step in one transaction on c. The token row and its session row are
 * locked (SELECT ... FOR UPDATE) before anything is decided, so of several instances
 * presenting one token at once, one rotates and the others, once it commits, see the
 * token retired (grace or reuse), as the rules of store.h say.
 */
static ts_err rotate_tx(struct pg_conn *c, void *ctx)
{
    struct rotation *rt = ctx;
    struct session_rec *r = &rt->session;
    int64_t created = 0, retired = 0;
    ts_err err;

    rt->found = 0;
    rt->oc = REFRESH_INVALID;
    if ((err = pg_begin(c)))
        return err;
    PGresult *res = pg_query(c, PG_TOKEN_LOCK, &err, "t", rt->presented);
    if (res) {
        if (!(err = one_row(res)) && !(err = read_session(res, 0, r))) {
            created = pg_col_int(res, 0, 11);
            retired = pg_col_int(res, 0, 12);
            rt->found = 1;
        }
        PQclear(res);
    }
    if (err == TS_ENOTFOUND)
        err = TS_OK;                    /* unknown token: INVALID, nothing to say */
    if (err)
        return pg_end(c, err);
    if (!rt->found)
        return read_only_end(c);
    const struct refresh_found found = { r->expires_at, r->revoked_at, created, retired };
    enum refresh_decision d = refresh_decide(&found, rt->now, rt->grace, rt->idle_ttl);
    rt->oc = refresh_outcome_of(d);
    if (d == REFRESH_DECIDE_REUSED) {
        r->revoked_at = rt->now;
        /* SESSION_REVOKE notifies: the revocation reaches the other instances. */
        err = pg_exec(c, PG_SESSION_REVOKE, NULL, "ti", r->id, rt->now);
        return pg_end(c, err);
    }
    if (d != REFRESH_DECIDE_ROTATE)
        return read_only_end(c);
    if (rt->successor)
        err = pg_exec(c, PG_TOKEN_ROTATE, NULL, "tittTT", rt->presented, rt->now,
                      rt->successor, r->id, rt->ua, rt->ip);
    else
        err = pg_exec(c, PG_TOKEN_RENEW, NULL, "titTT", rt->presented, rt->now, r->id,
                      rt->ua, rt->ip);
    if ((err = pg_end(c, err)))
        return err;
    r->last_used_at = rt->now;
    if (*rt->ua)
        memcpy(r->user_agent, rt->ua, strlen(rt->ua) + 1);
    if (*rt->ip)
        memcpy(r->ip, rt->ip, strlen(rt->ip) + 1);
    return TS_OK;
}

static ts_err pg_refresh_rotate(struct store *st, const char *presented_hash,
                                const char *successor_hash, int64_t now, int64_t grace,
                                int64_t idle_ttl, const char *user_agent, const char *ip,
                                enum refresh_outcome *outcome,
                                struct session_rec *session)
{
    char ua[STORE_UA_LEN + 1], ipb[STORE_IP_LEN + 1];
    struct rotation rt;

    *outcome = REFRESH_INVALID;
    memset(&rt, 0, sizeof rt);
    rt.presented = presented_hash;
    rt.successor = successor_hash;
    rt.ua = ua;
    rt.ip = ipb;
    rt.now = now;
    rt.grace = grace;
    rt.idle_ttl = idle_ttl;
    text_clean(user_agent ? user_agent : "", ua, sizeof ua);
    text_clean(ip ? ip : "", ipb, sizeof ipb);
    /* Not run again once COMMIT may have gone through: a second run would find the
     * token retired and answer differently. */
    ts_err err = pg_run(pg_of(st), PG_ONCE, rotate_tx, &rt);
    if (err)
        return err;
    *outcome = rt.oc;
    if (rt.oc == REFRESH_REUSED)
        store_changed(st);
    if (session && rt.found)
        *session = rt.session;
    return TS_OK;
}

struct lookup_op {
    const char *hash;
    struct token_found found;
};

static ts_err lookup_work(struct pg_conn *c, void *ctx)
{
    struct lookup_op *o = ctx;
    ts_err err;

    o->found.created = o->found.retired = 0;
    PGresult *res = pg_query(c, PG_TOKEN_FIND, &err, "t", o->hash);
    if (res) {
        if (!(err = one_row(res)) && !(err = read_session(res, 0, &o->found.r))) {
            o->found.created = pg_col_int(res, 0, 11);
            o->found.retired = pg_col_int(res, 0, 12);
        }
        PQclear(res);
    }
    return err;
}

static ts_err pg_refresh_lookup(struct store *st, const char *hash,
                                struct session_rec *session, int64_t *created_at,
                                int64_t *retired_at)
{
    struct lookup_op o = { .hash = hash };
    ts_err err = pg_run(pg_of(st), PG_IDEMPOTENT, lookup_work, &o);
    return store_lookup_result(err, &o.found, session, created_at, retired_at);
}

/* --- signing keys -------------------------------------------------------------------- */

static ts_err key_insert_work(struct pg_conn *c, void *ctx)
{
    const struct signing_key_rec *k = *(const struct signing_key_rec **)ctx;
    return pg_exec(c, PG_KEY_INSERT, NULL, "tttiII", k->kid, k->alg, k->private_jwk,
                   k->created_at, k->activated_at, k->retired_at);
}

static ts_err pg_key_insert(struct store *st, const struct signing_key_rec *k)
{
    if (!FIELD_OK(k->kid) || !FIELD_OK(k->alg))
        return store_unterminated("postgresql", "signing key");
    ts_err err = pg_run(pg_of(st), PG_ONCE, key_insert_work, &k);
    if (!err)
        store_changed(st);
    return err;
}

/* All the keys (a handful) are read in one go, then handed to cb with no connection
 * held. */
struct key_list_op {
    int include_retired;
    struct signing_key_rec *rows;
    int n;
};

static void key_rows_free(struct key_list_op *o)
{
    for (int i = 0; i < o->n; i++)
        signing_key_rec_clear(&o->rows[i]);
    free(o->rows);
    o->rows = NULL;
    o->n = 0;
}

static ts_err key_list_work(struct pg_conn *c, void *ctx)
{
    struct key_list_op *o = ctx;
    ts_err err;

    key_rows_free(o);                  /* a first try's rows, before a retry */
    PGresult *res = pg_query(c, PG_KEY_LIST, &err, "d", o->include_retired ? 1 : 0);
    if (!res)
        return err;
    int rowsn = PQntuples(res);
    if (rowsn > 0 && !(o->rows = calloc((size_t)rowsn, sizeof *o->rows)))
        err = TS_ENOMEM;
    for (int i = 0; !err && i < rowsn; i++) {
        if ((err = read_key(res, i, &o->rows[o->n])))
            break;
        o->n++;
    }
    PQclear(res);
    return err;
}

static ts_err pg_key_list(struct store *st, int include_retired, key_cb cb, void *ctx)
{
    struct key_list_op o = { include_retired, NULL, 0 };
    int stop = 0;

    ts_err err = pg_run(pg_of(st), PG_IDEMPOTENT, key_list_work, &o);
    for (int i = 0; i < o.n; i++)
        if (!err && !stop)
            stop = cb(ctx, &o.rows[i]);
    key_rows_free(&o);
    return err;
}

struct key_update_op {
    const char *kid;
    int64_t activated_at, retired_at;
    int changes;
};

static ts_err key_update_work(struct pg_conn *c, void *ctx)
{
    struct key_update_op *o = ctx;
    o->changes = 0;
    return pg_exec(c, PG_KEY_UPDATE, &o->changes, "tII", o->kid, o->activated_at,
                   o->retired_at);
}

static ts_err pg_key_update(struct store *st, const char *kid, int64_t activated_at,
                            int64_t retired_at)
{
    struct key_update_op o = { kid, activated_at, retired_at, 0 };

    if (!text_utf8_valid(kid))
        return TS_ENOTFOUND;
    ts_err err = pg_run(pg_of(st), PG_IDEMPOTENT, key_update_work, &o);
    return store_row_written(st, err, o.changes);
}

/* --- clients ------------------------------------------------------------------------- */

/* INSERT or UPDATE of every column of a client (both take the same parameters). */
struct client_write_op {
    enum pg_stmt id;
    const struct client_rec *cr;
    int *changes;
};

static ts_err client_write_work(struct pg_conn *c, void *ctx)
{
    struct client_write_op *o = ctx;
    const struct client_rec *cr = o->cr;
    int rotation = cr->refresh_rotation < 0 ? -1 : cr->refresh_rotation > 0;
    return pg_exec(c, o->id, o->changes, "tttttttdddIIIttiitdttdtt", cr->id, cr->name,
                   cr->secret_hash, cr->grants, cr->scopes,
                   cr->roles_json ? cr->roles_json : "[]", cr->auth_method,
                   cr->is_public ? 1 : 0, cr->disabled ? 1 : 0, rotation,
                   cr->access_ttl, cr->refresh_ttl, cr->refresh_idle_ttl,
                   cr->tls_subject_dn, cr->tls_thumbprint, cr->created_at,
                   cr->updated_at, cr->audiences, cr->auth_method_pinned ? 1 : 0,
                   cr->redirect_uris, cr->post_logout_redirect_uris,
                   cr->first_party ? 1 : 0, cr->backchannel_logout_uri,
                   cr->id_token_alg);
}

static ts_err client_write(struct pg_store *s, enum pg_stmt id, const struct client_rec *cr,
                           int *changes)
{
    struct client_write_op o = { id, cr, changes };

    if (!FIELD_OK(cr->id) || !FIELD_OK(cr->name) || !FIELD_OK(cr->secret_hash) ||
        !FIELD_OK(cr->grants) || !FIELD_OK(cr->scopes) ||
        !FIELD_OK(cr->auth_method) || !FIELD_OK(cr->tls_subject_dn) ||
        !FIELD_OK(cr->tls_thumbprint) || !FIELD_OK(cr->audiences) ||
        !FIELD_OK(cr->redirect_uris) || !FIELD_OK(cr->post_logout_redirect_uris) ||
        !FIELD_OK(cr->backchannel_logout_uri) || !FIELD_OK(cr->id_token_alg))
        return store_unterminated("postgresql", "client");
    /* An UPDATE replaces every column: running it twice is the same. */
    return pg_run(s, id == PG_CLIENT_UPDATE ? PG_IDEMPOTENT : PG_ONCE, client_write_work,
                  &o);
}

static ts_err pg_client_insert(struct store *st, const struct client_rec *c)
{
    return client_write(pg_of(st), PG_CLIENT_INSERT, c, NULL);
}

static ts_err pg_client_update(struct store *st, const struct client_rec *c)
{
    int changes = 0;
    ts_err err = client_write(pg_of(st), PG_CLIENT_UPDATE, c, &changes);
    return store_row_written(st, err, changes);
}

static ts_err pg_client_get(struct store *st, const char *id, struct client_rec *out)
{
    struct get_op o = { PG_CLIENT_GET, id, out, sizeof *out, read_client_rec };

    memset(out, 0, sizeof *out);
    return pg_run(pg_of(st), PG_IDEMPOTENT, get_work, &o);
}

static ts_err pg_client_delete(struct store *st, const char *id, int64_t now)
{
    struct delete_op o = { PG_CLIENT_DELETE, PG_SESSION_REVOKE_CLIENT, id, "client", now };

    if (!text_utf8_valid(id))
        return TS_ENOTFOUND;
    ts_err err = pg_run(pg_of(st), PG_ONCE, delete_work, &o);
    if (!err)
        store_changed(st);
    return err;
}

/* --- revoked access tokens ----------------------------------------------------------- */

/* Before the insert, at most once a JTI_PURGE_INTERVAL per store, the rows of tokens
 * already expired go: a failed purge is logged and does not fail the revoke. */
struct jti_op {
    const char *jti;
    int64_t expires_at, now;
    int purge;
};

static ts_err jti_revoke_work(struct pg_conn *c, void *ctx)
{
    struct jti_op *o = ctx;
    if (o->purge)
        (void)pg_exec(c, PG_JTI_PURGE, NULL, "i", o->now);
    return c->lost ? TS_EDB : pg_exec(c, PG_JTI_REVOKE, NULL, "tii", o->jti,
                                      o->expires_at, o->now);
}

static ts_err pg_jti_revoke(struct store *st, const char *jti, int64_t expires_at,
                            int64_t now)
{
    struct pg_store *s = pg_of(st);
    struct jti_op o = { jti, expires_at, now, 0 };

    pthread_mutex_lock(&s->lock);
    o.purge = now - s->jti_purged_at >= JTI_PURGE_INTERVAL || now < s->jti_purged_at;
    if (o.purge)
        s->jti_purged_at = now;
    pthread_mutex_unlock(&s->lock);
    ts_err err = pg_run(s, PG_IDEMPOTENT, jti_revoke_work, &o);
    if (!err)
        store_changed(st);
    return err;
}

static ts_err jti_revoked_work(struct pg_conn *c, void *ctx)
{
    ts_err err;
    PGresult *res = pg_query(c, PG_JTI_REVOKED, &err, "t", *(const char **)ctx);
    if (res) {
        err = one_row(res);
        PQclear(res);
    }
    return err;
}

static ts_err pg_jti_revoked(struct store *st, const char *jti)
{
    return pg_run(pg_of(st), PG_IDEMPOTENT, jti_revoked_work, &jti);
}

/* Revoked jtis in (revoked_at, jti) order after a cursor. */
static PGresult *jti_query(struct pg_conn *c, const void *cursor, int want, ts_err *err)
{
    const struct list_jtis *l = cursor;
    return pg_query(c, PG_JTI_LIST, err, "iitd", l->after, l->now, l->last, want);
}

static ts_err read_jti(const PGresult *res, int row, void *rec)
{
    struct list_jti_row *r = rec;
    ts_err err = pg_col_text(res, row, 0, r->jti, sizeof r->jti);
    r->at = pg_col_int(res, row, 1);
    r->exp = pg_col_int(res, row, 2);
    return err;
}

static ts_err jti_fetch(struct store *st, const struct list_jtis *l, int want,
                        struct list_jti_row *rows, int *n)
{
    struct pg_chunk ch = { &l->row, l, jti_query, read_jti, want, (char *)rows, n };
    return chunk_fetch(pg_of(st), &ch);
}

struct revocations_op {
    int64_t not_before, before, after_at;
    const char *after_id;
    struct revocation_rec *out;
    int n, *count;
};

static ts_err revocations_work(struct pg_conn *c, void *ctx)
{
    struct revocations_op *o = ctx;
    ts_err err;

    *o->count = 0;
    PGresult *res = pg_query(c, PG_REVOCATIONS, &err, "iitdi", o->not_before, o->after_at,
                             o->after_id, o->n, o->before);
    if (!res)
        return err;
    int rowsn = PQntuples(res);
    for (int i = 0; i < rowsn && *o->count < o->n; i++) {
        struct revocation_rec *r = &o->out[*o->count];
        if ((err = pg_col_text(res, i, 0, r->sid, sizeof r->sid)))
            break;
        r->revoked_at = pg_col_int(res, i, 1);
        ++*o->count;
    }
    PQclear(res);
    return err;
}

static ts_err pg_revocations(struct store *st, int64_t not_before, int64_t before,
                             int64_t after_at, const char *after_id,
                             struct revocation_rec *out, int n, int *count)
{
    struct revocations_op o = { not_before, before, after_at, after_id ? after_id : "",
                                out, n, count };

    *count = 0;
    ts_err err = pg_run(pg_of(st), PG_IDEMPOTENT, revocations_work, &o);
    if (err == TS_ENOTFOUND) {       /* a cursor id that is not UTF-8 */
        *count = 0;
        err = TS_OK;
    }
    return err;
}

/* --- audit -------------------------------------------------------------------------- */

struct audit_insert_op {
    const struct audit_rec *a;
    int n;
};

static ts_err audit_insert_work(struct pg_conn *c, void *ctx)
{
    struct audit_insert_op *o = ctx;
    const struct audit_rec *a = o->a;
    ts_err err;

    if ((err = pg_begin(c)))
        return err;
    PGresult *res = pg_query(c, PG_XACT_LOCK, &err, "i", (int64_t)PG_LOCK_AUDIT);
    PQclear(res);
    for (int i = 0; i < o->n && !err; i++)
        err = pg_exec(c, PG_AUDIT_INSERT, NULL, "itTTTT", a[i].at, a[i].event,
                      a[i].user_id, a[i].client_id, a[i].ip, a[i].detail_json);
    return pg_end(c, err);
}

static ts_err pg_audit_insert(struct store *st, const struct audit_rec *a, int n)
{
    struct audit_insert_op o = { a, n };
    return pg_run(pg_of(st), PG_ONCE, audit_insert_work, &o);
}

/* Audit events, newest first, id < before (0: from the newest). */
static PGresult *audit_query(struct pg_conn *c, const void *cursor, int want,
                             ts_err *err)
{
    const struct list_audit *l = cursor;
    const struct audit_filter *f = l->f;
    return pg_query(c, PG_AUDIT_LIST, err, "IIITTTd", l->before, f->since, f->until,
                    f->user_id, f->event, f->event_prefix, want);
}

static ts_err read_audit_any(const PGresult *res, int row, void *rec)
{
    return read_audit(res, row, rec);
}

static ts_err audit_fetch(struct store *st, const struct list_audit *l, int want,
                          struct audit_event_rec *rows, int *n)
{
    struct pg_chunk ch = { &l->row, l, audit_query, read_audit_any, want, (char *)rows,
                           n };
    return chunk_fetch(pg_of(st), &ch);
}

static const struct list_reader pg_lists = {
    id_fetch, session_fetch, jti_fetch, audit_fetch,
};

const struct store_ops store_pg_ops = {
    .scheme = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .migrate = pg_migrate,
    .schema_version = pg_schema_version,
    .ping = pg_ping,
    .secret_get_or_put = pg_secret_get_or_put,
    .user_insert = pg_user_insert,
    .user_get = pg_user_get,
    .user_update = pg_user_update,
    .user_delete = pg_user_delete,
    .user_list = list_users,
    .user_count = pg_user_count,
    .user_search = list_user_search,
    .session_create = pg_session_create,
    .session_get = pg_session_get,
    .session_revoke = pg_session_revoke,
    .session_revoke_user = pg_session_revoke_user,
    .session_list_user = list_sessions_user,
    .session_list_all = list_sessions_all,
    .session_page = list_session_page,
    .session_count_active = pg_session_count_active,
    .refresh_rotate = pg_refresh_rotate,
    .refresh_lookup = pg_refresh_lookup,
    .key_insert = pg_key_insert,
    .key_list = pg_key_list,
    .key_update = pg_key_update,
    .browser_cookie_insert = pg_browser_cookie_insert,
    .browser_cookie_find = pg_browser_cookie_find,
    .session_touch = pg_session_touch,
    .code_insert = pg_code_insert,
    .code_take = pg_code_take,
    .client_insert = pg_client_insert,
    .client_get = pg_client_get,
    .client_update = pg_client_update,
    .client_delete = pg_client_delete,
    .client_list = list_clients,
    .jti_revoke = pg_jti_revoke,
    .jti_revoked = pg_jti_revoked,
    .jti_list = list_jtis,
    .revocations = pg_revocations,
    .wait_change = pg_wait_change,
    .wake = pg_wake,
    .audit_insert = pg_audit_insert,
    .audit_list = list_audit,
    .lists = &pg_lists,
};
