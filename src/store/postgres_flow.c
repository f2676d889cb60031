/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL side of the browser flow (docs/oidc.md): browser sessions' cookies
 * and authorization codes. Contracts in store.h; the retry rule is pg_run's.
 */
#include <string.h>

#include "store/backend.h"
#include "store/postgres_int.h"

/* code_insert purges codes that expired this long ago, at most once a minute. */
#define CODE_PURGE_AGE      3600
#define CODE_PURGE_INTERVAL 60

struct cookie_op {
    const char *session_id, *cookie_hash;
    int64_t auth_time;
    char *out_sid;
    int64_t *out_time;
};

static ts_err cookie_insert_work(struct pg_conn *c, void *ctx)
{
    struct cookie_op *o = ctx;
    return pg_exec(c, PG_BROWSER_INSERT, NULL, "tti", o->session_id, o->cookie_hash,
                   o->auth_time);
}

ts_err pg_browser_cookie_insert(struct store *st, const char *session_id,
                                const char *cookie_hash, int64_t auth_time)
{
    struct cookie_op o = { session_id, cookie_hash, auth_time, NULL, NULL };
    return pg_run(pg_of(st), PG_ONCE, cookie_insert_work, &o);
}

static ts_err cookie_find_work(struct pg_conn *c, void *ctx)
{
    struct cookie_op *o = ctx;
    ts_err err;

    o->out_sid[0] = '\0';
    *o->out_time = 0;
    PGresult *res = pg_query(c, PG_BROWSER_FIND, &err, "t", o->cookie_hash);
    if (!res)
        return err;
    if (PQntuples(res) == 0) {
        err = TS_ENOTFOUND;
    } else if (!(err = pg_col_text(res, 0, 0, o->out_sid, STORE_ID_LEN + 1))) {
        *o->out_time = pg_col_int(res, 0, 1);
    }
    PQclear(res);
    if (err)
        o->out_sid[0] = '\0';
    return err;
}

ts_err pg_browser_cookie_find(struct store *st, const char *cookie_hash,
                              char session_id[STORE_ID_LEN + 1], int64_t *auth_time)
{
    struct cookie_op o = { NULL, cookie_hash, 0, session_id, auth_time };

    session_id[0] = '\0';
    *auth_time = 0;
    return pg_run(pg_of(st), PG_IDEMPOTENT, cookie_find_work, &o);
}

struct touch_op {
    const char *id;
    int64_t now;
    int changes;
};

static ts_err touch_work(struct pg_conn *c, void *ctx)
{
    struct touch_op *o = ctx;
    o->changes = 0;
    return pg_exec(c, PG_SESSION_SET_USED, &o->changes, "ti", o->id, o->now);
}

ts_err pg_session_touch(struct store *st, const char *id, int64_t now)
{
    struct touch_op o = { id, now, 0 };
    /* setting a time twice is the same as once */
    ts_err err = pg_run(pg_of(st), PG_IDEMPOTENT, touch_work, &o);
    return err ? err : o.changes ? TS_OK : TS_ENOTFOUND;
}

struct code_op {
    const struct code_rec *in;
    const char *hash;
    int64_t now;
    int purge;
    struct code_rec *out;
};

static ts_err code_insert_work(struct pg_conn *c, void *ctx)
{
    struct code_op *o = ctx;
    const struct code_rec *r = o->in;

    if (o->purge)
        (void)pg_exec(c, PG_CODE_PURGE, NULL, "i", o->now - CODE_PURGE_AGE);
    return c->lost ? TS_EDB
                   : pg_exec(c, PG_CODE_INSERT, NULL, "ttttttttitii", r->hash,
                             r->client_id, r->redirect_uri, r->code_challenge, r->scope,
                             r->nonce, r->browser_sid, r->user_id, r->auth_time,
                             r->issued_sid, r->created_at, r->expires_at);
}

ts_err pg_code_insert(struct store *st, const struct code_rec *r, int64_t now)
{
    struct pg_store *s = pg_of(st);
    struct code_op o = { r, NULL, now, 0, NULL };

    if (!FIELD_OK(r->hash) || !FIELD_OK(r->client_id) || !FIELD_OK(r->redirect_uri) ||
        !FIELD_OK(r->code_challenge) || !FIELD_OK(r->scope) || !FIELD_OK(r->nonce) ||
        !FIELD_OK(r->browser_sid) || !FIELD_OK(r->user_id) || !FIELD_OK(r->issued_sid))
        return store_unterminated("postgresql", "authorization code");
    pthread_mutex_lock(&s->lock);
    o.purge = now - s->code_purged_at >= CODE_PURGE_INTERVAL || now < s->code_purged_at;
    if (o.purge)
        s->code_purged_at = now;
    pthread_mutex_unlock(&s->lock);
    return pg_run(s, PG_ONCE, code_insert_work, &o);
}

static ts_err read_code(const PGresult *res, struct code_rec *c)
{
    ts_err err;

    if ((err = pg_col_text(res, 0, 0, c->hash, sizeof c->hash)) ||
        (err = pg_col_text(res, 0, 1, c->client_id, sizeof c->client_id)) ||
        (err = pg_col_text(res, 0, 2, c->redirect_uri, sizeof c->redirect_uri)) ||
        (err = pg_col_text(res, 0, 3, c->code_challenge, sizeof c->code_challenge)) ||
        (err = pg_col_text(res, 0, 4, c->scope, sizeof c->scope)) ||
        (err = pg_col_text(res, 0, 5, c->nonce, sizeof c->nonce)) ||
        (err = pg_col_text(res, 0, 6, c->browser_sid, sizeof c->browser_sid)) ||
        (err = pg_col_text(res, 0, 7, c->user_id, sizeof c->user_id)) ||
        (err = pg_col_text(res, 0, 9, c->issued_sid, sizeof c->issued_sid)))
        return err;
    c->auth_time = pg_col_int(res, 0, 8);
    c->created_at = pg_col_int(res, 0, 10);
    c->expires_at = pg_col_int(res, 0, 11);
    c->used_at = pg_col_int(res, 0, 12);
    return TS_OK;
}

/* The UPDATE's own condition (used_at IS NULL) decides, under the row lock, which
 * of several concurrent takers wins; a loser reads the row to answer TS_ECONFLICT. */
static ts_err code_take_work(struct pg_conn *c, void *ctx)
{
    struct code_op *o = ctx;
    ts_err err;

    memset(o->out, 0, sizeof *o->out);
    PGresult *res = pg_query(c, PG_CODE_USE, &err, "ti", o->hash, o->now);
    if (!res)
        return err;
    if (PQntuples(res) > 0) {
        err = read_code(res, o->out);
        o->out->used_at = 0;      /* the row as it was: unused */
        PQclear(res);
        return err;
    }
    PQclear(res);
    if (!(res = pg_query(c, PG_CODE_GET, &err, "t", o->hash)))
        return err;
    if (PQntuples(res) == 0)
        err = TS_ENOTFOUND;
    else if (!(err = read_code(res, o->out)))
        err = TS_ECONFLICT;
    PQclear(res);
    return err;
}

ts_err pg_code_take(struct store *st, const char *hash, int64_t now,
                    struct code_rec *out)
{
    struct code_op o = { NULL, hash, now, 0, out };

    memset(out, 0, sizeof *out);
    /* PG_ONCE: a take that may have committed must not run again and find the code
     * used, which would look like a replay. */
    ts_err err = pg_run(pg_of(st), PG_ONCE, code_take_work, &o);
    if (err && err != TS_ECONFLICT)
        memset(out, 0, sizeof *out);
    return err;
}
