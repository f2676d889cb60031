/* SPDX-License-Identifier: Apache-2.0 */
/* The store's lists, once for both backends (store/lists.h). */
#include "store/lists.h"

#include <string.h>

#include "store/backend.h"
#include "store/paging.h"

static void clear_user(void *row) { user_rec_clear(row); }
static void clear_client(void *row) { client_rec_clear(row); }
static void clear_audit(void *row) { audit_event_rec_clear(row); }

/* Users, the user search, clients: by id. */

struct ids_walk {
    struct list_ids l;
    struct store *st;
    user_cb user;               /* the caller's callback: user or client */
    client_cb client;
    void *ctx;
};

static ts_err ids_fetch(void *ctx, int want, void *rows, int *n)
{
    struct ids_walk *w = ctx;
    return w->st->ops->lists->ids(w->st, &w->l, want, rows, n);
}

static void ids_advance(void *ctx, const void *row)
{
    struct ids_walk *w = ctx;
    const char *id = w->l.kind == LIST_CLIENTS ? ((const struct client_rec *)row)->id
                                               : ((const struct user_rec *)row)->id;
    size_t len = strlen(id);

    if (len >= sizeof w->l.last)
        len = sizeof w->l.last - 1;
    memcpy(w->l.last, id, len);
    w->l.last[len] = '\0';
    w->l.from = w->l.last;
}

static int deliver_user(void *ctx, const void *row)
{
    struct ids_walk *w = ctx;
    return w->user(w->ctx, row);
}

static int deliver_client(void *ctx, const void *row)
{
    struct ids_walk *w = ctx;
    return w->client(w->ctx, row);
}

static const struct page_walk users_walk = {
    sizeof(struct user_rec), ids_fetch, ids_advance, deliver_user, clear_user,
};
static const struct page_walk clients_walk = {
    sizeof(struct client_rec), ids_fetch, ids_advance, deliver_client, clear_client,
};

static ts_err walk_users(struct ids_walk *w, const char *after, int limit)
{
    w->l.row = (struct list_row){ sizeof(struct user_rec), clear_user };
    w->l.from = after ? after : "";
    return page_walk(&users_walk, w, limit);
}

ts_err list_users(struct store *st, const char *after, int limit, user_cb cb,
                  void *ctx)
{
    struct ids_walk w = { .l.kind = LIST_USERS, .st = st, .user = cb,
                          .ctx = ctx };
    return walk_users(&w, after, limit);
}

ts_err list_user_search(struct store *st, const struct user_filter *f,
                        const char *after, int limit, user_cb cb, void *ctx)
{
    char prefix[STORE_EMAIL_LEN + 1];
    struct ids_walk w = { .l.kind = LIST_USER_SEARCH, .l.f = f, .l.prefix = prefix,
                          .st = st, .user = cb, .ctx = ctx };

    if (limit <= 0)
        return TS_OK;
    if (store_lower_copy(f && f->email_prefix ? f->email_prefix : "", prefix,
                         sizeof prefix))
        return TS_OK;                   /* longer than any email: nothing matches */
    return walk_users(&w, after, limit);
}

ts_err list_clients(struct store *st, const char *after, int limit, client_cb cb,
                    void *ctx)
{
    struct ids_walk w = {
        .l = { .row = { sizeof(struct client_rec), clear_client }, .kind = LIST_CLIENTS,
               .from = after ? after : "" },
        .st = st, .client = cb, .ctx = ctx,
    };
    return page_walk(&clients_walk, &w, limit);
}

/* Sessions: newest first, after a (created_at, id) cursor. */

struct sessions_walk {
    struct list_sessions l;
    struct store *st;
    session_cb cb;
    void *ctx;
};

static ts_err sessions_fetch(void *ctx, int want, void *rows, int *n)
{
    struct sessions_walk *w = ctx;
    return w->st->ops->lists->sessions(w->st, &w->l, want, rows, n);
}

static void sessions_advance(void *ctx, const void *row)
{
    struct sessions_walk *w = ctx;
    memcpy(&w->l.last, row, sizeof w->l.last);
    w->l.first = 0;
}

static int sessions_deliver(void *ctx, const void *row)
{
    struct sessions_walk *w = ctx;
    return w->cb(w->ctx, row);
}

static const struct page_walk sessions_walk_rules = {
    sizeof(struct session_rec), sessions_fetch, sessions_advance, sessions_deliver, NULL,
};

/* Active sessions, newest first, after the cursor `start` (NULL: from the newest);
 * limit <= 0: all of them. */
static ts_err walk_sessions(struct store *st, int all,
                            const char *user_id, int64_t now,
                            const struct session_rec *start, int limit, session_cb cb,
                            void *ctx)
{
    struct sessions_walk w = {
        .l = { .row = { sizeof(struct session_rec), NULL }, .all = all,
               .user_id = user_id, .now = now, .first = start == NULL },
        .st = st, .cb = cb, .ctx = ctx,
    };
    if (start)
        w.l.last = *start;
    return page_walk(&sessions_walk_rules, &w, limit);
}

ts_err list_sessions_user(struct store *st, const char *user_id, int64_t now,
                          session_cb cb, void *ctx)
{
    return walk_sessions(st, 0, user_id, now, NULL, 0, cb, ctx);
}

ts_err list_sessions_all(struct store *st, int64_t now, int limit, session_cb cb,
                         void *ctx)
{
    return walk_sessions(st, 1, NULL, now, NULL, limit, cb, ctx);
}

ts_err list_session_page(struct store *st, const char *user_id, int64_t now,
                         int64_t after_created, const char *after_id, int limit,
                         session_cb cb, void *ctx)
{
    struct session_rec start;
    int all = !user_id || !*user_id;
    int from = page_session_cursor(after_created, after_id, &start);

    if (limit <= 0 || from < 0)
        return TS_OK;
    return walk_sessions(st, all, all ? NULL : user_id, now, from ? &start : NULL,
                         limit, cb, ctx);
}

/* Revoked jtis: (revoked_at, jti) order. */

struct jtis_walk {
    struct list_jtis l;
    struct store *st;
    jti_cb cb;
    void *ctx;
};

static ts_err jtis_fetch(void *ctx, int want, void *rows, int *n)
{
    struct jtis_walk *w = ctx;
    return w->st->ops->lists->jtis(w->st, &w->l, want, rows, n);
}

static void jtis_advance(void *ctx, const void *row)
{
    struct jtis_walk *w = ctx;
    const struct list_jti_row *r = row;
    w->l.after = r->at;
    memcpy(w->l.last, r->jti, sizeof w->l.last);
}

static int jtis_deliver(void *ctx, const void *row)
{
    struct jtis_walk *w = ctx;
    const struct list_jti_row *r = row;
    return w->cb(w->ctx, r->jti, r->at, r->exp);
}

static const struct page_walk jtis_walk_rules = {
    sizeof(struct list_jti_row), jtis_fetch, jtis_advance, jtis_deliver, NULL,
};

ts_err list_jtis(struct store *st, int64_t since, int64_t now, jti_cb cb, void *ctx)
{
    struct jtis_walk w = {
        .l = { .row = { sizeof(struct list_jti_row), NULL }, .after = since, .now = now,
               .last = "" },
        .st = st, .cb = cb, .ctx = ctx,
    };
    return page_walk(&jtis_walk_rules, &w, 0);
}

/* Audit events: newest first, by id. */

struct audit_walk {
    struct list_audit l;
    struct store *st;
    audit_cb cb;
    void *ctx;
};

static ts_err audit_fetch(void *ctx, int want, void *rows, int *n)
{
    struct audit_walk *w = ctx;
    return w->st->ops->lists->audit(w->st, &w->l, want, rows, n);
}

static void audit_advance(void *ctx, const void *row)
{
    struct audit_walk *w = ctx;
    w->l.before = ((const struct audit_event_rec *)row)->id;
}

static int audit_deliver(void *ctx, const void *row)
{
    struct audit_walk *w = ctx;
    return w->cb(w->ctx, row);
}

static const struct page_walk audit_walk_rules = {
    sizeof(struct audit_event_rec), audit_fetch, audit_advance, audit_deliver,
    clear_audit,
};

ts_err list_audit(struct store *st, const struct audit_filter *f, int64_t before,
                  int limit, audit_cb cb, void *ctx)
{
    static const struct audit_filter none = { 0 };
    struct audit_walk w = {
        .l = { .row = { sizeof(struct audit_event_rec), clear_audit }, .f = f ? f : &none,
               .before = before },
        .st = st, .cb = cb, .ctx = ctx,
    };

    if (limit <= 0)
        return TS_OK;
    return page_walk(&audit_walk_rules, &w, limit);
}
