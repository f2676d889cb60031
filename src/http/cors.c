/* SPDX-License-Identifier: Apache-2.0 */
/* CORS: which routes, which origins, which headers (cors.h). */
#include "http/cors.h"

#include <stdio.h>
#include <string.h>

int cors_route(const struct config *c, const struct route *rt)
{
    if (!c->cors_allowed_origins[0] || !rt)
        return 0;
    return !(rt->flags & ROUTE_OPERATOR) || c->cors_admin;
}

int cors_origin_allowed(const struct config *c, const char *origin,
                        char out[ORIGIN_MAX])
{
    out[0] = '\0';
    if (!origin || origin_canonical(origin, strlen(origin), out) != 0 ||
        !origin_list_has(c->cors_allowed_origins, out)) {
        out[0] = '\0';
        return 0;
    }
    return 1;
}

static void allow_origin(struct MHD_Response *r, const struct config *c,
                         const char *origin)
{
    MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
    if (c->cors_allow_credentials)
        MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
}

void cors_actual_headers(struct MHD_Response *r, const struct config *c,
                         const char *origin)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
    if (!origin)
        return;
    allow_origin(r, c, origin);
    MHD_add_response_header(r, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
}

void cors_preflight_headers(struct MHD_Response *r, const struct config *c,
                            const char *origin, const char *methods)
{
    char age[24];
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
                            "Origin, Access-Control-Request-Method");
    allow_origin(r, c, origin);
    MHD_add_response_header(r, "Access-Control-Allow-Methods", methods);
    MHD_add_response_header(r, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    snprintf(age, sizeof age, "%ld", c->cors_max_age);
    MHD_add_response_header(r, "Access-Control-Max-Age", age);
}
