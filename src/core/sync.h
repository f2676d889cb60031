/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's background sync thread: keeps the revocation set and the key ring in
 * step with the store, for what other processes write (other instances, the
 * operator CLI). It wakes when the store signals a change (PostgreSQL NOTIFY through
 * store wait_change) and at least every SYNC_POLL_MS, and runs the periodic work of
 * a running server.
 */
#ifndef CORE_SYNC_H
#define CORE_SYNC_H

#include "base/err.h"

#define SYNC_POLL_MS 500

struct app;
struct sync;

/* Starts the thread; the revocation set (a->revoked) must be open. */
ts_err sync_start(struct app *a, struct sync **out);
/* Stops and joins the thread. NULL is fine. */
void sync_stop(struct sync *s);

#endif
