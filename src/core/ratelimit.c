/* SPDX-License-Identifier: Apache-2.0 */
/* GCRA buckets in a fixed, sharded table. */
#include "core/ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHARDS 64
#define SLOTS 512              /* per shard: 32,768 keys in all, 16 bytes each */
#define PROBE 8

struct entry {
    uint64_t key;              /* SipHash of the key string; 0: empty */
    int64_t tat_ns;            /* theoretical arrival time of the next event */
};

struct shard {
    pthread_mutex_t mu;
    struct entry *e;           /* SLOTS entries in `table`; pages touched when used */
};

struct ratelimit {
    unsigned char hash_key[crypto_shorthash_KEYBYTES];  /* random: no chosen collisions */
    struct shard shards[SHARDS];
    struct entry *table;       /* SHARDS x SLOTS, one zeroed (mmap'd) allocation */
};

/* Nanoseconds: a limit of 100 million a second still has a non-zero interval. */
static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct ratelimit *ratelimit_new(void)
{
    struct ratelimit *r = calloc(1, sizeof *r);
    if (!r || !(r->table = calloc((size_t)SHARDS * SLOTS, sizeof *r->table))) {
        free(r);
        return NULL;
    }
    randombytes_buf(r->hash_key, sizeof r->hash_key);
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&r->shards[i].mu, NULL);
        r->shards[i].e = r->table + (size_t)i * SLOTS;
    }
    return r;
}

void ratelimit_free(struct ratelimit *r)
{
    if (!r)
        return;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_destroy(&r->shards[i].mu);
    free(r->table);
    free(r);
}

/* The entry for h in its shard (locked by the caller): found, else a free or at-rest
 * slot among the probed ones, else the one that comes to rest soonest (evicted). */
static struct entry *slot(struct shard *s, uint64_t h, int64_t now, int *found)
{
    struct entry *victim = NULL;
    *found = 0;
    for (int i = 0; i < PROBE; i++) {
        struct entry *e = &s->e[(h / SHARDS + (uint64_t)i) % SLOTS];
        if (e->key == h) {
            *found = 1;
            return e;
        }
        if (!e->key || e->tat_ns <= now) {
            if (!victim || victim->key)
                victim = e;
        } else if (!victim || (victim->key && e->tat_ns < victim->tat_ns)) {
            victim = e;
        }
    }
    return victim;
}

/* The key's hash (never 0, the empty marker) and the limit's interval and burst, in ns;
 * 0 when the limit is off. */
static int prepare(struct ratelimit *r, const struct rl_limit *l, const char *key,
                   uint64_t *h, int64_t *interval, int64_t *tolerance)
{
    if (!r || !l || l->count <= 0 || l->window <= 0)
        return 0;
    crypto_shorthash((unsigned char *)h, (const unsigned char *)key, strlen(key),
                     r->hash_key);
    *h |= 1;
    int64_t window = (int64_t)l->window * 1000000000;
    *interval = window / l->count;                   /* ns between events at rest */
    if (*interval < 1)
        *interval = 1;
    *tolerance = window - *interval;                 /* the burst */
    return 1;
}

static long decide(struct ratelimit *r, const struct rl_limit *l, const char *key,
                   int record)
{
    uint64_t h;
    int64_t interval, tolerance;
    if (!prepare(r, l, key, &h, &interval, &tolerance))
        return 0;
    int64_t now = now_ns();
    struct shard *s = &r->shards[h % SHARDS];
    int found;
    long wait = 0;

    pthread_mutex_lock(&s->mu);
    struct entry *e = slot(s, h, now, &found);
    int64_t tat = found && e->tat_ns > now ? e->tat_ns : now;
    if (tat - now > tolerance) {
        int64_t ns = tat - tolerance - now;
        wait = (long)((ns + 999999999) / 1000000000);
        if (wait < 1)
            wait = 1;
    } else if (record) {
        e->key = h;
        e->tat_ns = tat + interval;
    }
    pthread_mutex_unlock(&s->mu);
    return wait;
}

long ratelimit_peek(struct ratelimit *r, const struct rl_limit *l, const char *key)
{
    return decide(r, l, key, 0);
}

long ratelimit_take(struct ratelimit *r, const struct rl_limit *l, const char *key)
{
    return decide(r, l, key, 1);
}

void ratelimit_give_back(struct ratelimit *r, const struct rl_limit *l, const char *key)
{
    uint64_t h;
    int64_t interval, tolerance;
    if (!prepare(r, l, key, &h, &interval, &tolerance))
        return;
    int64_t now = now_ns();
    struct shard *s = &r->shards[h % SHARDS];
    int found;

    pthread_mutex_lock(&s->mu);
    struct entry *e = slot(s, h, now, &found);
    /* An entry at rest holds nothing to give back; one pushed out by another key is
     * not ours to change. */
    if (found && e->tat_ns > now)
        e->tat_ns -= interval;
    pthread_mutex_unlock(&s->mu);
}
