/* GET /.well-known/jwks.json: the public signing keys. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/keyring.h"

ts_err api_jwks(struct request *req, struct response *res)
{
    char *jwks = keyring_jwks(req->app->keys);
    if (!jwks)
        return TS_ENOMEM;
    res->body = jwks;
    res->body_len = strlen(jwks);
    res->content_type = "application/json";
    res->status = 200;
    http_add_header(res, "Cache-Control", "public, max-age=300");
    return TS_OK;
}
