/* Discovery and health endpoints, as data. */
#include "api/api.h"
#include "routes/routes.h"

const struct route wellknown_routes[] = {
    { "GET", "/.well-known/jwks.json", AUTH_NONE, NULL, 0, 0, api_jwks },
    { "GET", "/healthz", AUTH_NONE, NULL, 0, 0, api_healthz },
    { "GET", "/readyz", AUTH_NONE, NULL, 0, 0, api_readyz },
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL }
};
