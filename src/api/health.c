/* GET /healthz (the process answers) and /readyz (the store answers too). */
#include "api/api.h"
#include "core/app.h"

ts_err api_healthz(struct request *req, struct response *res)
{
    return http_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

ts_err api_readyz(struct request *req, struct response *res)
{
    struct app *a = req->app;
    if (a->st->ops->ping(a->st) != TS_OK)
        return http_fail(res, TS_EBUSY, "The database does not answer.");
    return http_json(res, 200, json_pack("{s:s}", "status", "ready"));
}
