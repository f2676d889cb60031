/* SPDX-License-Identifier: Apache-2.0 */
/* /v1/admin/sessions: active sessions (of one user or all), newest first and paged;
 * one session whatever its state; revocation. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/admin.h"
#include "core/app.h"
#include "core/session_admin.h"

struct page {
    json_t *items;
    int want, n;
    int64_t now, last_created;
    char last_id[STORE_ID_LEN + 1];
    int more, oom;
};

static int add_session(void *ctx, const struct session_rec *s)
{
    struct page *p = ctx;
    if (p->n == p->want) {
        p->more = 1;
        return 1;
    }
    json_t *j = session_admin_json(s, p->now);
    if (!j || json_array_append_new(p->items, j)) {
        p->oom = 1;
        return 1;
    }
    p->last_created = s->created_at;
    memcpy(p->last_id, s->id, sizeof p->last_id);
    p->n++;
    return 0;
}

/* The cursor payload "CREATED_AT.ID" of the last session of a page. */
static int parse_payload(const char *s, int64_t *created, char id[STORE_ID_LEN + 1])
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '.' || v < 0 || !end[1] ||
        strlen(end + 1) > STORE_ID_LEN)
        return -1;
    *created = v;
    memcpy(id, end + 1, strlen(end + 1) + 1);
    return 0;
}

ts_err admin_sessions_list(struct request *req, struct response *res)
{
    const char *user = http_query(req, "user_id");
    char cursor[64 + STORE_ID_LEN], after_id[STORE_ID_LEN + 1] = "";
    char next[64 + STORE_ID_LEN];
    int64_t after_created = 0;
    struct page p = { 0 };
    ts_err err;

    if ((err = admin_limit(req, res, &p.want)) ||
        (err = admin_cursor(req, res, "sessions", cursor, sizeof cursor)))
        return err;
    if (cursor[0] && parse_payload(cursor, &after_created, after_id))
        return http_fail(res, TS_EINVAL, "The parameter 'cursor' is not a cursor of this "
                         "list; pass the 'next' value of the previous page.");
    if (user && strlen(user) > STORE_ID_LEN)
        return http_fail(res, TS_EINVAL, "The parameter 'user_id' is not a user id.");
    if (!(p.items = json_array()))
        return TS_ENOMEM;
    p.now = (int64_t)time(NULL);
    err = session_admin_page(req->app, user, after_created, after_id, p.want + 1,
                             add_session, &p);
    if (!err && p.oom)
        err = TS_ENOMEM;
    if (err) {
        json_decref(p.items);
        return err;
    }
    snprintf(next, sizeof next, "%" PRId64 ".%s", p.last_created, p.last_id);
    return admin_page_response(res, "sessions", p.items, "sessions",
                               p.more ? next : NULL);
}

ts_err admin_sessions_get(struct request *req, struct response *res)
{
    struct session_rec s;
    ts_err err = session_admin_get(req->app, req->path_param, &s);
    if (err == TS_ENOTFOUND)
        return http_fail(res, err, "No such session.");
    if (err)
        return err;
    return http_json(res, 200, session_admin_json(&s, (int64_t)time(NULL)));
}

ts_err admin_sessions_revoke(struct request *req, struct response *res)
{
    struct actor by;
    admin_actor(req, &by);
    ts_err err = session_admin_revoke(req->app, &by, req->path_param, NULL);
    if (err == TS_ENOTFOUND)
        return http_fail(res, err, "No such session.");
    if (!err)
        http_no_content(res);
    return err;
}
