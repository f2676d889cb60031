/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listening sockets of the server, bound before anything is served: the port a
 * listener really has (port 0 picks one) is known before the first request can be
 * accepted, so the configuration derived from it (the issuer) is final by then.
 */
#ifndef SERVER_LISTEN_H
#define SERVER_LISTEN_H

#include <stddef.h>

#include "base/err.h"

/* Binds and listens on `addr` ("HOST:PORT", "[V6]:PORT", "localhost:PORT"; port 0:
 * any free one) as libmicrohttpd would (SO_REUSEADDR, IPv6 only on a v6 address,
 * close-on-exec). On TS_OK *fd is the socket (the caller closes it, or hands it to
 * server_start, which then owns it) and *port the port bound; otherwise *fd is -1 and
 * err holds one line naming the address and `key` (the configuration key it came
 * from: "server.listen" or "tls.plain_listen"), with how to choose another when the
 * address is taken. */
ts_err listen_open(const char *addr, const char *key, int *fd, unsigned *port,
                   char *err, size_t errlen);

#endif
