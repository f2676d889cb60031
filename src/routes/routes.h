/* The route tables the server mounts; each ends with a row whose method is NULL. */
#ifndef ROUTES_ROUTES_H
#define ROUTES_ROUTES_H

#include "http/http.h"

extern const struct route native_routes[];     /* /v1/auth/... (SPEC section 2) */
extern const struct route oauth2_routes[];     /* /oauth2/... (SPEC section 3) */
extern const struct route wellknown_routes[];  /* /.well-known/..., /healthz, /readyz */

#endif
