/* SPDX-License-Identifier: Apache-2.0 */
/* GET /healthz (the process answers), /readyz (the store answers too) and /metrics
 * (Prometheus text format, core/metrics.c). */
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/metrics.h"
#include "core/scope.h"
#include "core/token.h"

ts_err api_healthz(struct request *req, struct response *res)
{
    return http_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

/* 503 while the store cannot serve requests, with what is wrong; 200 again as soon as
 * it can (every call asks the store afresh). */
ts_err api_readyz(struct request *req, struct response *res)
{
    ts_err e = app_ping(req->app);
    const char *state, *why;

    if (e == TS_OK)
        return http_json(res, 200, json_pack("{s:s, s:{s:s}}", "status", "ready",
                                             "checks", "database", "ok"));
    if (e == TS_EBUSY) {
        state = "locked";
        why = "The database is locked by another process; retry shortly.";
    } else if (e == TS_ENOTFOUND) {
        state = "missing";
        why = "The database file is no longer at its path (moved, deleted, or its "
              "directory or volume cannot be reached).";
    } else {
        state = "error";
        why = "The database does not answer.";
    }
    res->retry_after = 1;
    return http_json(res, 503, json_pack("{s:s, s:s, s:s, s:{s:s}}", "status",
                                         "unavailable", "error", ts_err_code(TS_EBUSY),
                                         "error_description", why, "checks", "database",
                                         state));
}

/* metrics.scope set: only a valid access token with that scope may read. */
static ts_err metrics_authorize(struct request *req, struct response *res,
                                const char *want)
{
    struct auth_ctx who;
    ts_err err = http_bearer(req, res, &who);
    if (err)
        return err;
    const char *scope = tessera_claims_string(who.claims, "scope");
    if (!scope || !scope_contains(scope, want, strlen(want)))
        err = http_fail(res, TS_EFORBIDDEN, "Reading the metrics needs the scope '%s'.",
                        want);
    auth_clear(&who);
    return err;
}

ts_err api_metrics(struct request *req, struct response *res)
{
    const struct config *c = &req->app->cfg;
    ts_err err;

    if (!c->metrics_enabled)
        return http_fail(res, TS_ENOTFOUND, "Metrics are turned off (metrics.enabled).");
    if (c->metrics_scope[0] && (err = metrics_authorize(req, res, c->metrics_scope)))
        return err;
    if ((err = metrics_render(req->app, &res->body, &res->body_len)))
        return err;
    res->content_type = METRICS_CONTENT_TYPE;
    res->status = 200;
    return TS_OK;
}
