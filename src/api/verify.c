/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/auth/verify: forward auth for nginx auth_request, Traefik ForwardAuth and
 * Envoy ext_authz (docs/forward-auth.md). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/policy.h"
#include "core/token.h"
#include "base/urlpath.h"

/* The original request: X-Original-* (nginx), else X-Forwarded-* (Traefik); NULL
 * when the proxy sent neither. */
static const char *original(struct request *req, const char *a, const char *b)
{
    const char *v = http_header(req, a);
    if (!v || !*v)
        v = http_header(req, b);
    return v && *v ? v : NULL;
}

ts_err api_verify(struct request *req, struct response *res)
{
    char path[URLPATH_MAX], method[URLPATH_METHOD_MAX], roles[1024] = "";
    const char *uri = original(req, "X-Original-URI", "X-Forwarded-Uri"), *why;
    const char *how = original(req, "X-Original-Method", "X-Forwarded-Method");
    const struct policy_conf *rule;
    struct auth_ctx who;
    ts_err err;

    /* Without them there is no request to judge: judging "GET /" instead would let
     * every request through a proxy that forgot them past the rules of its path. */
    if (!uri || !how)
        return http_fail(res, TS_EINVAL, "The original request's %s is missing: send "
                         "X-Original-%s (or X-Forwarded-%s).", uri ? "method" : "URI",
                         uri ? "Method" : "URI", uri ? "Method" : "Uri");
    /* Rules are matched against the canonical method and path only (urlpath.h). */
    if (urlpath_method(how, method))
        return http_fail(res, TS_EINVAL, "The original method is not an HTTP method "
                         "token of at most %d characters.", URLPATH_METHOD_MAX - 1);
    if (urlpath_canonical(uri, path, sizeof path, &why))
        return http_fail(res, TS_EINVAL, "The original URI is refused: %s.", why);
    enum policy_need need = policy_match(&req->app->cfg, method, path, &rule);
    if (need == POLICY_PUBLIC) {
        http_no_content(res);
        res->status = 200;
        return TS_OK;
    }
    if (need == POLICY_DENY)
        return http_fail(res, TS_EFORBIDDEN, "No policy allows %.16s %.200s.", method,
                         path);
    /* A token for another audience (RFC 8707) is refused here, as invalid_token. */
    if ((err = http_bearer_for(req, res, policy_audience(&req->app->cfg, rule), &who)))
        return err;
    err = policy_allows(rule, who.claims, res->error_description,
                        sizeof res->error_description);
    if (!err) {
        size_t nr = tessera_claims_array_len(who.claims, "roles"), used = 0;
        for (size_t i = 0; i < nr; i++) {
            const char *r = tessera_claims_array_string(who.claims, "roles", i);
            int k = r ? snprintf(roles + used, sizeof roles - used, "%s%s",
                                 used ? "," : "", r) : 0;
            if (k > 0 && (size_t)k < sizeof roles - used)
                used += (size_t)k;
        }
        const char *scope = tessera_claims_string(who.claims, "scope");
        http_add_header(res, "X-Auth-Subject", who.sub);
        http_add_header(res, "X-Auth-Subject-Type", auth_kind_name(who.kind));
        http_add_header(res, "X-Auth-Roles", roles);
        http_add_header(res, "X-Auth-Scope", scope ? scope : "");
        http_no_content(res);
        res->status = 200;
    }
    auth_clear(&who);
    return err;
}
