/* SPDX-License-Identifier: Apache-2.0 */
/* The compat profiles (docs/compat.md), as data: each a route table whose rows name
 * the native handlers and those of api/compat.c with the field map of the API it
 * imitates. Enabled by server.compat / --compat / TESSERA_COMPAT. */
#include <string.h>

#include "api/api.h"
#include "routes/routes.h"

#define JSON "application/json"
#define OAUTH_FORM (ROUTE_NO_STORE | ROUTE_OAUTH | ROUTE_BODY_OPTIONAL | \
                    ROUTE_BARE_CLIENT_ERROR)

/* api-login: {email, password} -> {access_token, token_type, user}; no refresh token:
 * the token lives as long as its session, and /api/logout ends it. */
static const struct compat_shape shape_api_login = {
    { "email", "username" }, NULL, "access_token", COMPAT_TYPE | COMPAT_USER, -1, NULL,
};
static const struct route api_login_routes[] = {
    { "POST", "/api/login", AUTH_NONE, JSON, 8192, ROUTE_WORKER | ROUTE_NO_STORE,
      api_login, &shape_api_login },
    { "POST", "/api/logout", AUTH_USER, JSON, 1024, ROUTE_BODY_OPTIONAL, api_logout,
      NULL },
    { "GET", "/api/{id}/me", AUTH_USER, NULL, 0, ROUTE_NO_STORE, api_compat_role_me,
      NULL },
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }
};

/* oauth2-form: client_credentials at /api/v1/oauth2/token (grant_type in the query),
 * {access_token, token_type, expires_in}; its exact error bodies. */
static const struct compat_shape shape_oauth2_form = {
    { NULL, NULL }, NULL, "access_token", COMPAT_TYPE | COMPAT_EXPIRES, -1,
    "OAuth 2.0 Parameter: grant_type",
};
static const struct route oauth2_form_routes[] = {
    { "POST", "/api/v1/oauth2/token", AUTH_CLIENT, HTTP_FORM, 16384, OAUTH_FORM,
      api_oauth2_token, &shape_oauth2_form },
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }
};

/* auth-v1: {email, password} -> {access_token, refresh_token}; refresh with
 * {refreshToken}, always rotating. */
static const struct compat_shape shape_auth_v1 = {
    { "email", "username" }, "refreshToken", "access_token", COMPAT_REFRESH, 1, NULL,
};
static const struct route auth_v1_routes[] = {
    { "POST", "/api/v1/auth/login", AUTH_NONE, JSON, 8192, ROUTE_WORKER | ROUTE_NO_STORE,
      api_login, &shape_auth_v1 },
    { "GET", "/api/v1/auth/profile", AUTH_USER, NULL, 0, ROUTE_NO_STORE, api_profile,
      NULL },
    { "POST", "/api/v1/auth/refresh-token", AUTH_NONE, JSON, 4096, ROUTE_NO_STORE,
      api_compat_refresh, &shape_auth_v1 },
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }
};

/* token: {username, password} -> {token, refresh_token, token_type, expires_in}. */
static const struct compat_shape shape_token = {
    { "username", "email" }, NULL, "token",
    COMPAT_REFRESH | COMPAT_TYPE | COMPAT_EXPIRES, -1, NULL,
};
static const struct route token_routes[] = {
    { "POST", "/token", AUTH_NONE, JSON, 8192, ROUTE_WORKER | ROUTE_NO_STORE,
      api_login, &shape_token },
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }
};

static const struct {
    const char *name;
    const struct route *routes;
} profiles[] = {
    { "api-login", api_login_routes },
    { "oauth2-form", oauth2_form_routes },
    { "auth-v1", auth_v1_routes },
    { "token", token_routes },
};

const struct route *compat_routes(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        if (strlen(profiles[i].name) == len && memcmp(profiles[i].name, name, len) == 0)
            return profiles[i].routes;
    return NULL;
}
