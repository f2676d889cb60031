/* SPDX-License-Identifier: Apache-2.0 */
/* The OAuth 2.0 endpoints (docs/oauth2.md), as data. The server authenticates the
 * client (AUTH_CLIENT) and parses the form before a handler runs. */
#include "api/api.h"
#include "routes/routes.h"

#define OAUTH (ROUTE_NO_STORE | ROUTE_OAUTH | ROUTE_BODY_OPTIONAL)

const struct route oauth2_routes[] = {
    { "POST", "/oauth2/token", AUTH_CLIENT, HTTP_FORM, 16384, OAUTH, api_oauth2_token, NULL },
    { "POST", "/oauth2/revoke", AUTH_CLIENT, HTTP_FORM, 16384, OAUTH, api_oauth2_revoke, NULL },
    { "POST", "/oauth2/introspect", AUTH_CLIENT, HTTP_FORM, 16384, OAUTH,
      api_oauth2_introspect, NULL },
    /* OpenID Connect's UserInfo: RFC 6750 errors (no error_uri of RFC 6749); the
     * handler reads the token from the header or the form body itself. */
    { "GET", "/userinfo", AUTH_NONE, NULL, 0, ROUTE_NO_STORE | ROUTE_CHALLENGE,
      api_userinfo, NULL },
    { "POST", "/userinfo", AUTH_NONE, HTTP_FORM, 16384,
      ROUTE_NO_STORE | ROUTE_CHALLENGE | ROUTE_BODY_OPTIONAL, api_userinfo, NULL },
    /* The browser flow (docs/oidc.md): pages, not JSON; each page sets its own
     * security headers (api/pages.h). */
    { "GET", "/oauth2/authorize", AUTH_NONE, NULL, 0, ROUTE_NO_STORE,
      api_oauth2_authorize, NULL },
    { "POST", "/oauth2/authorize", AUTH_NONE, HTTP_FORM, 16384,
      ROUTE_NO_STORE | ROUTE_BODY_OPTIONAL, api_oauth2_authorize, NULL },
    { "POST", "/oauth2/login", AUTH_NONE, HTTP_FORM, 16384, ROUTE_NO_STORE | ROUTE_WORKER,
      api_login_page, NULL },
    { "GET", "/oauth2/static/{id}", AUTH_NONE, NULL, 0, 0, api_web_static, NULL },
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }
};
