/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/auth/revocations?since=CURSOR: the revocation feed (docs/api.md). Local
 * verifiers (libtessera) poll it to drop tokens of revoked sessions before they
 * expire. For authenticated confidential clients. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/app.h"
#include "core/revoked.h"

#define FEED_MAX 1000

/* "REVOKED_AT.SID", or absent for the start. */
static int parse_cursor(const char *c, int64_t *at, char sid[STORE_ID_LEN + 1])
{
    char *end;
    *at = 0;
    sid[0] = '\0';
    if (!c || !*c)
        return 0;
    errno = 0;
    long long v = strtoll(c, &end, 10);
    if (errno || end == c || *end != '.' || v < 0 || strlen(end + 1) > STORE_ID_LEN)
        return -1;
    /* session ids are base64url: anything else is not a cursor of this feed */
    if (strspn(end + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
        strlen(end + 1))
        return -1;
    *at = v;
    snprintf(sid, STORE_ID_LEN + 1, "%s", end + 1);
    return 0;
}

ts_err api_revocations(struct request *req, struct response *res)
{
    const char *since = http_query(req, "since"), *lim = http_query(req, "limit");
    char after_sid[STORE_ID_LEN + 1], next[48 + STORE_ID_LEN];
    int64_t after_at, now = (int64_t)time(NULL);
    long limit = FEED_MAX;
    int n = 0;

    if (req->client->is_public)
        return http_fail(res, TS_ECLIENT, "Public clients may not read the revocation feed.");
    if (parse_cursor(since, &after_at, after_sid))
        return http_fail(res, TS_EINVAL, "The parameter 'since' is not a cursor from this "
                         "feed.");
    if (lim) {
        char *end;
        limit = strtol(lim, &end, 10);
        if (end == lim || *end || limit < 1 || limit > FEED_MAX)
            return http_fail(res, TS_EINVAL, "The parameter 'limit' is 1 to %d.", FEED_MAX);
    }
    struct revocation_rec *rows = calloc((size_t)limit, sizeof *rows);
    if (!rows)
        return TS_ENOMEM;
    /* Only sessions whose access tokens may still be alive; the last two seconds
     * held back (core/revoked.h). */
    ts_err err = revoked_feed(req->app, now, after_at, after_sid, rows, (int)limit, &n);
    if (err) {
        free(rows);
        return err;
    }
    if (n)
        snprintf(next, sizeof next, "%lld.%s", (long long)rows[n - 1].revoked_at,
                 rows[n - 1].sid);
    else
        snprintf(next, sizeof next, "%s", since ? since : "");
    json_t *list = json_array();
    for (int i = 0; list && i < n; i++)
        if (json_array_append_new(list, json_pack("{s:s, s:I}", "sid", rows[i].sid,
                                                  "revoked_at",
                                                  (json_int_t)rows[i].revoked_at))) {
            json_decref(list);
            list = NULL;
        }
    free(rows);
    if (!list)
        return TS_ENOMEM;
    return http_json(res, 200, json_pack("{s:o, s:s, s:b}", "revoked", list, "next", next,
                                         "more", n == limit));
}
