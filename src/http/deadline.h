/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request deadlines against slowloris: libmicrohttpd's connection timeout is an idle
 * timeout, so a client that trickles one byte every few seconds could hold a
 * connection for ever. Every connection is registered (MHD's connection notifier);
 * from its start, and again after each response, it has `request_timeout` seconds to
 * deliver a whole request (headers and body). A watchdog thread shuts down the socket
 * of one that does not, and libmicrohttpd then closes it. Requests being handled are
 * never cut.
 */
#ifndef HTTP_DEADLINE_H
#define HTTP_DEADLINE_H

#include <microhttpd.h>

struct deadlines;

/* NULL on failure. The watchdog checks twice a second. */
struct deadlines *deadlines_start(long request_timeout_s);
void deadlines_stop(struct deadlines *d);            /* after MHD_stop_daemon */

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the struct deadlines. */
void deadlines_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
/* The whole request is in (it is being handled): no deadline until its response. */
void deadlines_request_in(struct MHD_Connection *c);
/* The response is done: the connection's next request has a new deadline. */
void deadlines_request_done(struct MHD_Connection *c);

#endif
