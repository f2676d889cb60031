/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The revocation set: the session ids and jtis revoked while a token of theirs may
 * still be alive, held in memory so a Bearer check costs no store round trip.
 *
 * It is filled from the store, never from a request: revoked_sync() reads the
 * sessions revoked (store revocations) and the jtis revoked (jti_list) since the last
 * sync, with an overlap for writes that commit late, and reloads the key ring when
 * the keys changed. Who calls it:
 *  - the sync thread (core/sync.c), after every change another process signals
 *    (PostgreSQL NOTIFY) and at least every poll interval: what other instances and
 *    the operator CLI revoke is honoured within that interval;
 *  - the check itself, when this process has written a revocation since the last
 *    sync (the store's change counter moved): a logout is honoured by the very next
 *    request.
 */
#ifndef CORE_REVOKED_H
#define CORE_REVOKED_H

#include <stdint.h>

#include "base/err.h"

struct app;
struct revoked;
struct revocation_rec;

/* Builds the set and loads every revocation still inside the access-token window.
 * The server calls it before it listens. */
ts_err revoked_open(struct app *a, struct revoked **out);
void revoked_free(struct revoked *r);       /* NULL is fine */

/* Reads what changed in the store since the last sync. Thread-safe; concurrent
 * callers wait for one sync rather than run two. */
ts_err revoked_sync(struct app *a);

/* TS_OK when not revoked, TS_ETOKEN when revoked, or a store error from a sync the
 * check had to run. Without a set (operator commands, unit tests) it asks the store,
 * and so does a session token whose lifetime (exp - iat, seconds) is longer than the
 * set's window. */
ts_err revoked_check_sid(struct app *a, const char *sid, const char *sub,
                         int64_t lifetime);
ts_err revoked_check_jti(struct app *a, const char *jti);

/* The longest access-token lifetime (the server's or any client's), in seconds: how
 * long a revoked session matters. */
int64_t revoked_window(struct app *a);

/* The revocation feed (GET /v1/auth/revocations): sessions revoked while their
 * access tokens may still be alive (within revoked_window() of `now`), after the
 * cursor (after_at, after_id; 0 and "" for the start), in (revoked_at, id) order, at
 * most n into out; *count receives how many. The current second and the one before
 * are held back: a revocation stamped with a second the feed has already passed (same
 * second, smaller id; a slow commit) would otherwise be skipped by the cursor for
 * good. */
ts_err revoked_feed(struct app *a, int64_t now, int64_t after_at, const char *after_id,
                    struct revocation_rec *out, int n, int *count);

/* How many entries the set holds (for metrics and tests). */
long revoked_count(struct app *a);

#endif
