/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's revocation-feed poller (revfeed.c). Private to libtessera.
 */
#ifndef TESSERA_REVFEED_H
#define TESSERA_REVFEED_H

#include "internal.h"

typedef struct tessera__feed tessera__feed;

/* Polls url once (failing with TESSERA_ERR_FEED when it cannot be read), then every
 * interval_s seconds from a thread of its own. The GETs use http's timeout, CA file
 * and redirect rule (copied; its user and password are ignored). */
tessera_status tessera__feed_new(const char *url, const char *client_id,
                                 const char *client_secret, long interval_s,
                                 const struct tessera__http_opts *http, long retention_s,
                                 tessera__feed **out);
/* Polls now (and waits for a poll in progress first). */
tessera_status tessera__feed_poll(tessera__feed *f);
/* 1 when sid is a revoked session the feed listed. Thread-safe. */
int tessera__feed_revoked(tessera__feed *f, const char *sid);
unsigned long tessera__feed_polls(const tessera__feed *f);
long tessera__feed_count(const tessera__feed *f);
void tessera__feed_free(tessera__feed *f);     /* stops the thread; NULL is fine */

#endif
