/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The running server: what `tessera serve` starts and stops, in one place.
 *
 * daemon_start() opens the app (store, migrations, keys), binds the listening
 * sockets, freezes the configuration (the issuer follows the port actually bound
 * unless server.issuer is set), starts the audit writer, the revocation set and its
 * sync thread, TLS, and the listeners, makes the first administrator on an empty
 * database, and says on stderr that it is listening. The configuration is final
 * before the first request can be accepted; nothing writes it afterwards, so request
 * threads read it without a lock.
 *
 * daemon_stop() undoes what was started, in the reverse order: it is also the one
 * unwind path of a start that fails half way.
 */
#ifndef SERVER_DAEMON_H
#define SERVER_DAEMON_H

#include <stddef.h>

#include "base/err.h"
#include "core/config.h"

struct daemon;

/* Checks what only the server reads from the configuration (the compat profiles):
 * TS_OK, or TS_EINVAL with one line in err. `serve --check-config` runs it, and
 * daemon_start() before anything else. */
ts_err daemon_check(const struct config *cfg, char *err, size_t errlen);

/* Starts the server on `cfg` (copied). Blocks SIGTERM, SIGINT and SIGHUP in the
 * calling thread first (see daemon_wait), so call it before starting any thread of
 * your own. On TS_OK *out is running and listening; on error *out is NULL, whatever
 * had started is stopped again, and err holds one line. */
ts_err daemon_start(const struct config *cfg, struct daemon **out, char *err,
                    size_t errlen);

/* Serves until SIGTERM or SIGINT (SIGHUP reloads the signing keys) and returns the
 * signal. */
int daemon_wait(struct daemon *d);

/* Stops accepting, lets in-flight requests finish (up to `grace_seconds`), stops
 * everything daemon_start started and frees d. NULL is fine. */
void daemon_stop(struct daemon *d, int grace_seconds);

#endif
