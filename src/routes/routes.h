/* SPDX-License-Identifier: Apache-2.0 */
/* The route tables the server mounts; each ends with a row whose method is NULL. */
#ifndef ROUTES_ROUTES_H
#define ROUTES_ROUTES_H

#include <stddef.h>

#include "http/http.h"

extern const struct route native_routes[];     /* /v1/auth/... (docs/api.md) */
extern const struct route oauth2_routes[];     /* /oauth2/... (docs/oauth2.md) */
extern const struct route wellknown_routes[];  /* /.well-known/..., /healthz, /readyz */
extern const struct route admin_routes[];      /* /v1/admin/... (docs/api.md) */

/* The route table of the compat profile named by name[0..len) ("api-login",
 * "oauth2-form", "auth-v1", "token"), or NULL. */
const struct route *compat_routes(const char *name, size_t len);

#endif
