/* SPDX-License-Identifier: Apache-2.0 */
/* Sessions for operators: pages, lookups and audited revocation. */
#include "core/session_admin.h"

#include <time.h>

#include "core/audit.h"
#include "core/user.h"

ts_err session_admin_page(struct app *a, const char *user_id, int64_t after_created,
                          const char *after_id, int limit, session_cb cb, void *ctx)
{
    return store_session_page(a->st, user_id, (int64_t)time(NULL), after_created,
                              after_id, limit, cb, ctx);
}

ts_err session_admin_get(struct app *a, const char *id, struct session_rec *out)
{
    return store_session_get(a->st, id, out);
}

ts_err session_admin_revoke(struct app *a, const struct actor *by, const char *id,
                            int *was_active)
{
    struct session_rec s;
    ts_err err = store_session_get(a->st, id, &s);

    if (was_active)
        *was_active = 0;
    if (err)
        return err;
    if (s.revoked_at)
        return TS_OK;
    if ((err = store_session_revoke(a->st, s.id, (int64_t)time(NULL))))
        return err;
    if (was_active)
        *was_active = 1;
    audit_admin(a, by, "admin.session.revoke", s.user_id,
                s.client_id[0] ? s.client_id : NULL,
                json_pack("{s:s}", "session_id", s.id));
    return TS_OK;
}

ts_err session_admin_revoke_user(struct app *a, const struct actor *by,
                                 const char *user_id, int *count)
{
    int n = 0;
    int64_t now = (int64_t)time(NULL);
    ts_err err = store_session_revoke_user(a->st, user_id, NULL, now, &n);
    if (count)
        *count = err ? 0 : n;
    if (!err)
        audit_admin(a, by, "admin.session.revoke", user_id, NULL,
                    json_pack("{s:b, s:i}", "all", 1, "count", n));
    return err;
}

json_t *session_admin_json(const struct session_rec *s, int64_t now)
{
    char created[32], used[32], expires[32], revoked[32];
    user_time(s->created_at, created);
    user_time(s->last_used_at, used);
    user_time(s->expires_at, expires);
    if (s->revoked_at)
        user_time(s->revoked_at, revoked);
    return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:b}",
                     "id", s->id, "user_id", s->user_id,
                     "client_id", s->client_id[0] ? s->client_id : NULL,
                     "scope", s->scope, "created_at", created, "last_used_at", used,
                     "expires_at", expires,
                     "revoked_at", s->revoked_at ? revoked : NULL,
                     "user_agent", s->user_agent, "ip", s->ip,
                     "active", !s->revoked_at && s->expires_at > now);
}
