/* SPDX-License-Identifier: Apache-2.0 */
/* /v1/admin/audit: the stored audit events, newest first, filtered by time range,
 * user and event type, and paged. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/admin.h"
#include "core/app.h"

struct page {
    json_t *items;
    int want, n;
    int64_t last;
    int more, oom;
};

static int add_event(void *ctx, const struct audit_event_rec *e)
{
    struct page *p = ctx;
    if (p->n == p->want) {
        p->more = 1;
        return 1;
    }
    json_t *j = audit_event_json(e);
    if (!j || json_array_append_new(p->items, j)) {
        p->oom = 1;
        return 1;
    }
    p->last = e->id;
    p->n++;
    return 0;
}

/* A time: Unix seconds, or RFC 3339 in UTC ("2026-11-22T11:32:11Z", fractions of a
 * second dropped). -1 when it is neither. */
static int parse_time(const char *s, int64_t *out)
{
    char *end;
    struct tm tm;

    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!errno && end != s && !*end && v >= 0) {
        *out = v;
        return 0;
    }
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return -1;
    if (*end == '.') {
        end++;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    if ((*end != 'Z' && *end != 'z') || end[1])
        return -1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || t < 0)
        return -1;
    *out = (int64_t)t;
    return 0;
}

ts_err admin_audit_list(struct request *req, struct response *res)
{
    const char *since = http_query(req, "since"), *until = http_query(req, "until");
    const char *event = http_query(req, "event");
    char cursor[32], next[32], prefix[64];
    struct audit_filter f = { 0 };
    struct page p = { 0 };
    int64_t before = 0;
    ts_err err;

    if ((err = admin_limit(req, res, &p.want)) ||
        (err = admin_cursor(req, res, "audit", cursor, sizeof cursor)))
        return err;
    if (cursor[0]) {
        char *end;
        errno = 0;
        long long v = strtoll(cursor, &end, 10);
        if (errno || end == cursor || *end || v < 1)
            return http_fail(res, TS_EINVAL, "The parameter 'cursor' is not a cursor of "
                             "this list; pass the 'next' value of the previous page.");
        before = v;
    }
    if ((since && parse_time(since, &f.since)) || (until && parse_time(until, &f.until)))
        return http_fail(res, TS_EINVAL, "The parameters 'since' and 'until' are Unix "
                         "seconds or RFC 3339 UTC times such as 2026-11-22T11:32:11Z.");
    if (since && until && f.until <= f.since)
        return http_fail(res, TS_EINVAL, "The parameter 'until' must be later than "
                         "'since'.");
    f.user_id = http_query(req, "user_id");
    if (f.user_id && strlen(f.user_id) > STORE_ID_LEN)
        return http_fail(res, TS_EINVAL, "The parameter 'user_id' is not a user id.");
    if (event) {
        size_t n = strlen(event);
        if (n == 0 || n >= sizeof prefix)
            return http_fail(res, TS_EINVAL, "The parameter 'event' is an event name, "
                             "or a prefix ending in '*' (e.g. admin.*).");
        if (event[n - 1] == '*') {
            memcpy(prefix, event, n - 1);
            prefix[n - 1] = '\0';
            f.event_prefix = prefix;
        } else {
            f.event = event;
        }
    }
    if (!(p.items = json_array()))
        return TS_ENOMEM;
    err = audit_list(req->app, &f, before, p.want + 1, add_event, &p);
    if (!err && p.oom)
        err = TS_ENOMEM;
    if (err) {
        json_decref(p.items);
        return err;
    }
    snprintf(next, sizeof next, "%" PRId64, p.last);
    return admin_page_response(res, "events", p.items, "audit", p.more ? next : NULL);
}
