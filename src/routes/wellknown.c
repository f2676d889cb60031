/* SPDX-License-Identifier: Apache-2.0 */
/* Discovery and health endpoints, as data. */
#include "api/api.h"
#include "routes/routes.h"

const struct route wellknown_routes[] = {
    { "GET", "/.well-known/jwks.json", AUTH_NONE, NULL, 0, 0, api_jwks, NULL },
    { "GET", "/.well-known/oauth-authorization-server", AUTH_NONE, NULL, 0, 0,
      api_oauth2_metadata, NULL },
    { "GET", "/.well-known/openid-configuration", AUTH_NONE, NULL, 0, 0,
      api_openid_configuration, NULL },
    { "GET", "/healthz", AUTH_NONE, NULL, 0, ROUTE_PROBE, api_healthz, NULL },
    { "GET", "/readyz", AUTH_NONE, NULL, 0, ROUTE_PROBE, api_readyz, NULL },
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }
};
