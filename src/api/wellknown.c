/* SPDX-License-Identifier: Apache-2.0 */
/* GET /.well-known/jwks.json: the public signing keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/keyring.h"

/* How long a verifier may keep the JWKS (Cache-Control max-age): five minutes, so a
 * retired key stops verifying in verifiers that honour it within five minutes
 * (libtessera's verifier refetches on this schedule, see docs/libtessera.md); never
 * longer than tokens.key_publish_delay, so a cached copy always holds a new key before
 * the key starts signing. */
#define JWKS_MAX_AGE_S 300L

ts_err api_jwks(struct request *req, struct response *res)
{
    const struct config *cfg = &req->app->cfg;
    long age = cfg->key_publish_delay < JWKS_MAX_AGE_S ? cfg->key_publish_delay
                                                       : JWKS_MAX_AGE_S;
    char cc[48];
    char *jwks = keyring_jwks(req->app->keys);

    if (!jwks)
        return TS_ENOMEM;
    res->body = jwks;
    res->body_len = strlen(jwks);
    res->content_type = "application/json";
    res->status = 200;
    snprintf(cc, sizeof cc, "public, max-age=%ld", age);
    http_add_header(res, "Cache-Control", cc);
    return TS_OK;
}
