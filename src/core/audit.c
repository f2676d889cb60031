/* Writing audit events to the store and the log. */
#include "core/audit.h"

#include <stdlib.h>
#include <time.h>

#include "core/log.h"

void audit(struct app *a, const char *event, const char *user_id,
           const char *client_id, const char *ip, json_t *detail)
{
    char *detail_s = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    struct audit_rec r = {
        .at = (int64_t)time(NULL), .event = event, .user_id = user_id,
        .client_id = client_id, .ip = ip, .detail_json = detail_s,
    };
    ts_err err = a->st->ops->audit_insert(a->st, &r);
    if (err)
        log_msg("error", "audit event %s not stored: %s", event, ts_err_name(err));

    json_t *f = json_pack("{s:s, s:s?, s:s?, s:s?}", "audit", event, "user_id", user_id,
                          "client_id", client_id, "ip", ip);
    if (f && detail)
        json_object_set(f, "detail", detail);
    log_event("info", "audit", f);
    json_decref(detail);
    free(detail_s);
}
