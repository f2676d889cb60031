/* SPDX-License-Identifier: Apache-2.0 */
/* The first administrator, made when the server starts on an empty database. */
#ifndef SERVER_BOOTSTRAP_H
#define SERVER_BOOTSTRAP_H

#include <stddef.h>

#include "base/err.h"

struct app;

/* On a database without users, creates `admin` (admin@localhost, role admin) with
 * the password TESSERA_BOOTSTRAP_PASSWORD, or a generated one printed once on stdout.
 * Another instance that made it first is no error. TS_OK, or an error with one line
 * in err. */
ts_err bootstrap_admin(struct app *a, char *err, size_t errlen);

#endif
