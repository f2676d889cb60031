/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's lists written once for both backends: users, the user search, clients,
 * sessions, revoked jtis and audit events. Everything of a list but reading one chunk
 * lives here: its cursor and how a delivered row moves it, the caller's callback, what
 * a row holds and how it is cleared, the argument checks of store.h (a limit <= 0, a
 * prefix longer than any email, a session cursor no id can follow) and the walk
 * itself (page_walk, store/paging.h). The functions below are the list operations of
 * both backends' ops tables; a backend supplies only its struct list_reader (its
 * ops->lists): one function per kind of list that runs its SQL for up to `want` rows
 * after the cursor it is given and reads the columns into rows.
 *
 * A reader is called with no lock or connection of the backend held and must take
 * and release what it needs itself (store/paging.h: a callback may call the store).
 * It reads at most `want` rows, sets *n to how many it read and, on error, leaves in
 * rows[0 .. *n) only rows that need clearing (list_row.clear) or none.
 */
#ifndef STORE_LISTS_H
#define STORE_LISTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

/* What one row of a list is; first in every cursor, set by the list functions. */
struct list_row {
    size_t size;                /* bytes of one row */
    void (*clear)(void *row);   /* releases what a row holds; NULL: nothing */
};

/* Users (users_list, user_search) and clients, ordered by id: rows are struct
 * user_rec, or struct client_rec for LIST_CLIENTS. */
enum list_id_kind { LIST_USERS, LIST_USER_SEARCH, LIST_CLIENTS };

struct list_ids {
    struct list_row row;
    enum list_id_kind kind;
    const struct user_filter *f;    /* LIST_USER_SEARCH: the filter (may be NULL) */
    const char *prefix;             /* LIST_USER_SEARCH: the lowercased email prefix */
    const char *from;               /* rows with id > from */
    char last[STORE_CLIENT_ID_LEN + 1];   /* (the longest id of any listed record) */
};

/* Active sessions (expires_at > now), newest first: rows are struct session_rec. */
struct list_sessions {
    struct list_row row;
    int all;                        /* 1: every user's; 0: user_id's */
    const char *user_id;
    int64_t now;
    int first;                      /* 1: from the newest; 0: after `last` */
    struct session_rec last;        /* the cursor: (created_at, id) */
};

/* Revoked jtis not yet expired (expires_at > now), in (revoked_at, jti) order. */
struct list_jti_row {
    char jti[128];
    int64_t at, exp;                /* revoked_at, expires_at */
};

struct list_jtis {
    struct list_row row;
    int64_t after, now;             /* rows with revoked_at > after, */
    char last[128];                 /* or = after with jti > last */
};

/* Audit events matching *f, newest first: rows are struct audit_event_rec. */
struct list_audit {
    struct list_row row;
    const struct audit_filter *f;   /* never NULL */
    int64_t before;                 /* rows with id < before; 0: from the newest */
};

/* A backend's readers of one chunk of each kind of list (its ops->lists). */
struct list_reader {
    ts_err (*ids)(struct store *st, const struct list_ids *l, int want, void *rows,
                  int *n);
    ts_err (*sessions)(struct store *st, const struct list_sessions *l, int want,
                       struct session_rec *rows, int *n);
    ts_err (*jtis)(struct store *st, const struct list_jtis *l, int want,
                   struct list_jti_row *rows, int *n);
    ts_err (*audit)(struct store *st, const struct list_audit *l, int want,
                    struct audit_event_rec *rows, int *n);
};

/* The list operations of a backend's ops table (user_list ... audit_list; store.h
 * states each one's contract), reading chunks through st->ops->lists. */
ts_err list_users(struct store *st, const char *after, int limit, user_cb cb,
                  void *ctx);
ts_err list_user_search(struct store *st, const struct user_filter *f,
                        const char *after, int limit, user_cb cb, void *ctx);
ts_err list_clients(struct store *st, const char *after, int limit, client_cb cb,
                    void *ctx);
ts_err list_sessions_user(struct store *st, const char *user_id, int64_t now,
                          session_cb cb, void *ctx);
ts_err list_sessions_all(struct store *st, int64_t now, int limit, session_cb cb,
                         void *ctx);
ts_err list_session_page(struct store *st, const char *user_id, int64_t now,
                         int64_t after_created, const char *after_id, int limit,
                         session_cb cb, void *ctx);
ts_err list_jtis(struct store *st, int64_t since, int64_t now, jti_cb cb, void *ctx);
ts_err list_audit(struct store *st, const struct audit_filter *f, int64_t before,
                  int limit, audit_cb cb, void *ctx);

#endif
