/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connections per client address (server.max_connections_per_ip): one address cannot
 * hold every connection a listener accepts, so while it floods (idle or trickling
 * connections) other addresses are still served. An IPv4 address counts alone; an
 * IPv6 address counts with its /64 (one host or one LAN, the smallest block a client
 * is given); an IPv4-mapped IPv6 address counts as its IPv4 address. Trusted proxies
 * (server.trusted_proxies) are exempt: they carry many clients' connections.
 *
 * The accept policy refuses a new connection from an address that already holds the
 * cap (libmicrohttpd closes it at once, before reading anything); the count is taken
 * when libmicrohttpd reports the connection started and dropped when it reports it
 * closed, so a connection that failed to start is never counted. With several I/O
 * threads accepting at once, an address may briefly hold up to threads - 1 more.
 */
#ifndef HTTP_CONNCAP_H
#define HTTP_CONNCAP_H

#include <microhttpd.h>
#include <sys/socket.h>

#include "base/netaddr.h"

struct conncap;

/* cap: connections per address, 0 for no cap; max_conns: the listener's connection
 * limit (the table holds that many addresses); exempt: copied. NULL on ENOMEM. */
struct conncap *conncap_new(unsigned cap, unsigned max_conns,
                            const struct netaddr_list *exempt);
void conncap_free(struct conncap *cc);

/* MHD_AcceptPolicyCallback; cls is the struct conncap. */
enum MHD_Result conncap_accept(void *cls, const struct sockaddr *addr, socklen_t len);
/* From the MHD_OPTION_NOTIFY_CONNECTION callback: STARTED and CLOSED. */
void conncap_started(struct conncap *cc, struct MHD_Connection *c);
void conncap_closed(struct conncap *cc, struct MHD_Connection *c);
/* Connections refused so far (for the log). */
unsigned long conncap_refused(const struct conncap *cc);

#endif
