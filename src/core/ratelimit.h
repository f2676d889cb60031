/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rate limits (docs/security.md): in-memory GCRA (generic cell rate algorithm) buckets
 * keyed by a string ("acct:alice", "ip:10.0.0.7", "cc:billing"), sharded with a lock
 * each. A limit is "at most `count` events in any `window` seconds": events may come
 * in a burst of `count`, then one every window/count seconds. Nothing is permanent: a
 * key at rest for `window` seconds is as if new. Memory is fixed: a full shard evicts
 * the entry that would be at rest soonest.
 */
#ifndef CORE_RATELIMIT_H
#define CORE_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

struct rl_limit {
    long count;       /* events allowed in a window; 0: no limit */
    long window;      /* seconds */
};

/* NULL on OOM. */
struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *r);          /* NULL is fine */

/* Would one more event of `key` be refused now? 0 when allowed; else the seconds to
 * wait (>= 1). Records nothing: for "while limited even a correct password gets 429". */
long ratelimit_peek(struct ratelimit *r, const struct rl_limit *l, const char *key);
/* Records an event of `key`: 0 when it was allowed (and counted), else the seconds to
 * wait; a refused event is not counted. Also the way to reserve a place in a budget
 * before the work it limits: take first, then give back what turned out not to count. */
long ratelimit_take(struct ratelimit *r, const struct rl_limit *l, const char *key);
/* Gives back one event of `key` taken with ratelimit_take (same limit): the budget is
 * as if that event had never been taken, other events taken since still count.
 * Nothing when the key has left the table meanwhile (at rest or evicted). */
void ratelimit_give_back(struct ratelimit *r, const struct rl_limit *l, const char *key);

#endif
