/* SPDX-License-Identifier: Apache-2.0 */
/* The admin API (docs/api.md), as data. Every row is AUTH_BEARER with api_admin
 * as its handler: the router answers 401 without a valid token, api_admin 403 without
 * scope `admin`, and only then the operation in the row's data runs. */
#include "api/admin.h"
#include "routes/routes.h"

#define JSON "application/json"
#define NS (ROUTE_NO_STORE | ROUTE_OPERATOR)

/* A row: method, path, body type and limit, flags, and the operation. */
#define ADMIN(method, path, ctype, max, flags, fn) \
    { method, path, AUTH_BEARER, ctype, max, NS | (flags), api_admin, \
      &(const struct admin_op){ fn } }

const struct route admin_routes[] = {
    ADMIN("GET", "/v1/admin/users", NULL, 0, 0, admin_users_list),
    ADMIN("POST", "/v1/admin/users", JSON, 16384, 0, admin_users_create),
    ADMIN("GET", "/v1/admin/users/{id}", NULL, 0, 0, admin_users_get),
    ADMIN("PATCH", "/v1/admin/users/{id}", JSON, 16384, 0, admin_users_update),
    ADMIN("DELETE", "/v1/admin/users/{id}", NULL, 0, 0, admin_users_delete),
    ADMIN("DELETE", "/v1/admin/users/{id}/sessions", NULL, 0, 0,
          admin_users_revoke_sessions),

    ADMIN("GET", "/v1/admin/clients", NULL, 0, 0, admin_clients_list),
    ADMIN("POST", "/v1/admin/clients", JSON, 8192, 0, admin_clients_create),
    ADMIN("GET", "/v1/admin/clients/{id}", NULL, 0, 0, admin_clients_get),
    ADMIN("PATCH", "/v1/admin/clients/{id}", JSON, 8192, 0, admin_clients_update),
    ADMIN("DELETE", "/v1/admin/clients/{id}", NULL, 0, 0, admin_clients_delete),
    ADMIN("POST", "/v1/admin/clients/{id}/secret", NULL, 0, 0,
          admin_clients_rotate_secret),

    ADMIN("GET", "/v1/admin/sessions", NULL, 0, 0, admin_sessions_list),
    ADMIN("GET", "/v1/admin/sessions/{id}", NULL, 0, 0, admin_sessions_get),
    ADMIN("DELETE", "/v1/admin/sessions/{id}", NULL, 0, 0, admin_sessions_revoke),

    ADMIN("GET", "/v1/admin/keys", NULL, 0, 0, admin_keys_list),
    ADMIN("POST", "/v1/admin/keys/rotate", JSON, 1024, ROUTE_BODY_OPTIONAL,
          admin_keys_rotate),
    ADMIN("GET", "/v1/admin/keys/{id}", NULL, 0, 0, admin_keys_get),
    ADMIN("POST", "/v1/admin/keys/{id}/retire", NULL, 0, 0, admin_keys_retire),

    ADMIN("GET", "/v1/admin/audit", NULL, 0, 0, admin_audit_list),
    { NULL, NULL, AUTH_NONE, NULL, 0, 0, NULL, NULL }
};
