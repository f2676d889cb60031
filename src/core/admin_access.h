/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may use the admin API (docs/design.md "Admin API and operator commands"): the
 * subject of a token that carries scope admin must, read afresh from the store, still
 * exist, be enabled and hold a role that grants the scope, so a demoted, disabled or
 * deleted admin loses the API at once, though its token lives on elsewhere.
 */
#ifndef CORE_ADMIN_ACCESS_H
#define CORE_ADMIN_ACCESS_H

#include "core/app.h"
#include "core/token.h"

/* The scope an admin token must carry. */
#define ADMIN_SCOPE "admin"

/* TS_OK when `sub` (a user, or with kind AUTH_KIND_CLIENT a client) exists, is
 * enabled and is granted ADMIN_SCOPE under the current configuration: by its roles,
 * and for a client also by its allowed scopes. TS_EFORBIDDEN when not; a store error
 * as it comes. A client is read from the store, not the client cache: one disabled a
 * moment ago by another process must not keep the admin API for the cache's
 * lifetime. */
ts_err admin_access(struct app *a, enum auth_kind kind, const char *sub);

#endif
