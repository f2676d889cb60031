/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The refresh-rotation decision (store.h, refresh_rotate), written once above the
 * backends: each backend reads the presented token and its session under its own
 * locks, asks refresh_decide what to do, and writes what the answer says inside the
 * same transaction. Pure: no store, no clock, no allocation.
 */
#ifndef STORE_REFRESH_RULE_H
#define STORE_REFRESH_RULE_H

#include <stdint.h>

#include "store/store.h"

/* The presented token and its session as the backend found them. */
struct refresh_found {
    int64_t session_expires_at;  /* absolute end of the refresh family */
    int64_t session_revoked_at;  /* 0: the session is active */
    int64_t token_created_at;    /* when this token was issued (or last renewed) */
    int64_t token_retired_at;    /* 0: the session's current token */
};

/* What the backend must do, and why. The first rule that holds wins, in this order. */
enum refresh_decision {
    REFRESH_DECIDE_UNKNOWN,      /* no such token: nothing to write */
    REFRESH_DECIDE_REVOKED,      /* session revoked: nothing to write */
    REFRESH_DECIDE_EXPIRED,      /* now >= the session's expires_at: nothing to write */
    REFRESH_DECIDE_IDLE,         /* now - token created_at >= idle_ttl (idle_ttl > 0):
                                  * nothing to write */
    REFRESH_DECIDE_GRACE,        /* retired, now - retired_at < grace: nothing to write */
    REFRESH_DECIDE_REUSED,       /* retired longer ago: revoke the session at now */
    REFRESH_DECIDE_ROTATE        /* current: retire it and store the successor (or renew
                                  * it when there is none), touch the session */
};

/* The decision for `found` (NULL: the hash matched no token) at `now`. grace and
 * idle_ttl in seconds; idle_ttl <= 0 sets no idle limit. A retired token of a session
 * that is revoked, expired or idle is refused like any other (not a reuse): the
 * family is already over. */
enum refresh_decision refresh_decide(const struct refresh_found *found, int64_t now,
                                     int64_t grace, int64_t idle_ttl);

/* The outcome store.h reports for a decision: UNKNOWN, REVOKED, EXPIRED and IDLE are
 * REFRESH_INVALID. */
enum refresh_outcome refresh_outcome_of(enum refresh_decision d);

#endif
