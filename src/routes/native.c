/* SPDX-License-Identifier: Apache-2.0 */
/* The native API (docs/api.md), as data. */
#include "api/api.h"
#include "routes/routes.h"

#define JSON "application/json"

/* The native login answer: everything, and the login may ask for scopes. */
static const struct compat_shape native_login = {
    { "email", "username" }, NULL, "access_token",
    COMPAT_REFRESH | COMPAT_TYPE | COMPAT_EXPIRES | COMPAT_SCOPE | COMPAT_USER |
    COMPAT_ASK_SCOPE, -1, NULL,
};

const struct route native_routes[] = {
    { "POST", "/v1/auth/login", AUTH_NONE, JSON, 8192, ROUTE_WORKER | ROUTE_NO_STORE,
      api_login, &native_login },
    { "POST", "/v1/auth/register", AUTH_NONE, JSON, 16384, ROUTE_WORKER | ROUTE_NO_STORE,
      api_register, NULL },
    { "POST", "/v1/auth/refresh", AUTH_NONE, JSON, 4096, ROUTE_NO_STORE, api_refresh, NULL },
    { "POST", "/v1/auth/logout", AUTH_USER, JSON, 1024, ROUTE_BODY_OPTIONAL,
      api_logout, NULL },
    { "GET", "/v1/auth/profile", AUTH_USER, NULL, 0, ROUTE_NO_STORE, api_profile, NULL },
    { "GET", "/v1/auth/me", AUTH_USER, NULL, 0, ROUTE_NO_STORE, api_profile, NULL },
    { "GET", "/v1/auth/sessions", AUTH_USER, NULL, 0, ROUTE_NO_STORE,
      api_sessions_list, NULL },
    { "DELETE", "/v1/auth/sessions/{id}", AUTH_USER, NULL, 0, 0,
      api_sessions_delete, NULL },
    { "POST", "/v1/auth/password", AUTH_USER, JSON, 8192, ROUTE_WORKER,
      api_password, NULL },
    { "GET", "/v1/auth/revocations", AUTH_CLIENT, NULL, 0, ROUTE_NO_STORE,
      api_revocations, NULL },
    { "GET", "/v1/auth/verify", AUTH_NONE, NULL, 0, ROUTE_NO_STORE | ROUTE_CHALLENGE,
      api_verify, NULL },
    /* Prometheus metrics (docs/metrics.md): public unless metrics.scope is set, which
     * the handler checks itself. */
    { "GET", "/metrics", AUTH_NONE, NULL, 0,
      ROUTE_NO_STORE | ROUTE_CHALLENGE | ROUTE_OPERATOR,
      api_metrics, NULL },
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }
};
