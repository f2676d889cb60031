/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier: a JWKS (fetched from a URL, or given) cached as an immutable keyset
 * snapshot, refetched on an unknown kid at most once per interval and on schedule by a
 * thread of its own (so a key the server retired stops verifying), the
 * tessera_expect checks of claims.c, and optionally the revoked sessions of the
 * revocation feed (revfeed.c), usable from many threads at once.
 *
 * Concurrency: `cur` is the current snapshot, a keyset with a reference count. A
 * reader takes a reference under the mutex (a few instructions), verifies without any
 * lock, and drops its reference; the last one out frees the keyset. A refetch builds
 * a whole new keyset outside the lock and swaps `cur` under it, so readers never wait
 * on the network: only the one thread that fetches does (single flight, `fetching`).
 *
 * Schedule: each fetch sets `next_ms`, when the keys are due again: the fetch's start
 * plus the answer's max-age bounded to [min(refetch_interval, jwks_max_age),
 * jwks_max_age] (jwks_max_age without a max-age), or the lower bound after a failed
 * fetch ends.
 * The refresher thread sleeps on `cond` until then and fetches through the same
 * single flight; a fetch by any thread moves `next_ms` and wakes it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"
#include "revfeed.h"

#define DEFAULT_REFETCH_S 60
#define DEFAULT_MAX_AGE_S 300
#define DEFAULT_TIMEOUT_S 10
#define DEFAULT_POLL_S 5
#define DEFAULT_RETENTION_S 86400

struct snapshot {
    tessera_keyset *ks;
    atomic_long refs;
};

struct tessera_verifier {
    char *url;                 /* NULL: fixed keys */
    char *issuer, *audience, *ca_file;
    tessera_expect expect;     /* points at issuer/audience above */
    int64_t interval_ms;       /* least time between two fetches on unknown kids */
    int64_t min_age_ms, max_age_ms;   /* bounds of the schedule */
    int allow_oct;
    struct tessera__http_opts http;   /* timeout, ca_file, redirect rule */
    tessera__feed *feed;       /* NULL: no revocation feed */

    pthread_mutex_t lock;      /* guards the fields below */
    pthread_cond_t cond;       /* wakes the refresher: a fetch ended, or stop */
    struct snapshot *cur;      /* never NULL after tessera_verifier_new() */
    int fetching;              /* 1 while one thread fetches */
    int64_t last_fetch_ms;     /* monotonic time the last fetch started */
    int64_t next_ms;           /* monotonic time the keys are due for a fetch */
    int stopping, started;     /* the refresher thread */
    pthread_t thread;
    atomic_ulong fetches;      /* fetches started, the first included */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct snapshot *snapshot_new(tessera_keyset *ks)
{
    struct snapshot *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    s->ks = ks;
    atomic_init(&s->refs, 1);
    return s;
}

static void snapshot_put(struct snapshot *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        tessera_keyset_free(s->ks);
        free(s);
    }
}

static struct snapshot *snapshot_get(tessera_verifier *v)
{
    struct snapshot *s;

    pthread_mutex_lock(&v->lock);
    s = v->cur;
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&v->lock);
    return s;
}

/* Parses a JWKS into a new snapshot; a set without a usable key is TESSERA_ERR_KEY. */
static tessera_status parse_jwks(const char *json, size_t len, int allow_oct,
                                 struct snapshot **out)
{
    tessera_keyset *ks = NULL;
    tessera_status st;

    *out = NULL;
    if ((st = tessera__keyset_from_jwks(json, len, allow_oct, &ks)) != TESSERA_OK)
        return st;
    if (tessera_keyset_count(ks) == 0) {
        tessera_keyset_free(ks);
        return TESSERA_ERR_KEY;
    }
    if (!(*out = snapshot_new(ks))) {
        tessera_keyset_free(ks);
        return TESSERA_ERR_NOMEM;
    }
    return TESSERA_OK;
}

static tessera_status fetch_snapshot(const tessera_verifier *v, struct snapshot **out,
                                     long *max_age)
{
    char *body = NULL;
    size_t len = 0;
    tessera_status st;

    *out = NULL;
    if ((st = tessera__http_get(v->url, &v->http, &body, &len, max_age)) != TESSERA_OK)
        return st;
    st = parse_jwks(body, len, v->allow_oct, out);
    free(body);
    return st;
}

/* When the keys of a fetch that started at `start` are due again (see the top). */
static int64_t due(const tessera_verifier *v, int64_t start, tessera_status st,
                   long max_age)
{
    int64_t age = v->max_age_ms;

    if (st != TESSERA_OK)
        age = v->min_age_ms;
    else if (max_age >= 0 && max_age * (int64_t)1000 < age)
        age = max_age * (int64_t)1000 < v->min_age_ms ? v->min_age_ms
                                                      : max_age * (int64_t)1000;
    return start + age;
}

/* The fetch itself, by the one thread that set v->fetching; swaps on success. */
static tessera_status do_fetch(tessera_verifier *v)
{
    struct snapshot *fresh = NULL, *old = NULL;
    long max_age = -1;
    tessera_status st = fetch_snapshot(v, &fresh, &max_age);

    pthread_mutex_lock(&v->lock);
    if (st == TESSERA_OK) {
        old = v->cur;
        v->cur = fresh;
    }
    /* A success counts from its start, as the answer's max-age does; a failure from
     * its end, so that a server timing out is not asked again at once. */
    v->next_ms = due(v, st == TESSERA_OK ? v->last_fetch_ms : now_ms(), st, max_age);
    v->fetching = 0;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->lock);
    snapshot_put(old);   /* the verifier's reference; readers may still hold theirs */
    return st;
}

/* Under v->lock: 1 (and the fetch is this thread's) when one may start at time t.
 * `force` ignores the interval (but never runs two fetches at once). */
static int claim_locked(tessera_verifier *v, int64_t t, int force)
{
    if (!v->url || v->fetching || (!force && t - v->last_fetch_ms < v->interval_ms))
        return 0;
    v->fetching = 1;
    v->last_fetch_ms = t;
    v->fetches++;
    return 1;
}

/* Claims the right to fetch: 1 when this thread is to fetch now. */
static int claim_fetch(tessera_verifier *v, int force)
{
    int64_t t = now_ms();
    int go;

    pthread_mutex_lock(&v->lock);
    go = claim_locked(v, t, force);
    pthread_mutex_unlock(&v->lock);
    return go;
}

/* The refresher thread: fetches when the keys are due (see the top). */
static void *refresher(void *arg)
{
    tessera_verifier *v = arg;

    pthread_mutex_lock(&v->lock);
    while (!v->stopping) {
        int64_t t = now_ms();
        if (t >= v->next_ms && claim_locked(v, t, 1)) {
            pthread_mutex_unlock(&v->lock);
            (void)do_fetch(v);   /* a failure is retried at next_ms */
            pthread_mutex_lock(&v->lock);
            continue;
        }
        /* Not due, or another thread is fetching (its end wakes us). */
        int64_t wake = v->fetching || v->next_ms <= t ? t + 1000 : v->next_ms;
        struct timespec until = { (time_t)(wake / 1000), (long)(wake % 1000) * 1000000L };
        pthread_cond_timedwait(&v->cond, &v->lock, &until);
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

/* The lock, and the condition variable on the monotonic clock (as now_ms()). */
static int init_sync(tessera_verifier *v)
{
    pthread_condattr_t ca;
    int ok;

    if (pthread_condattr_init(&ca) != 0)
        return -1;
    ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0
         && pthread_cond_init(&v->cond, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ok)
        return -1;
    if (pthread_mutex_init(&v->lock, NULL) != 0) {
        pthread_cond_destroy(&v->cond);
        return -1;
    }
    return 0;
}

static int is_http_url(const char *u)
{
    return strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0;
}

static char *dup_or_null(const char *s, int *failed)
{
    char *d;
    if (!s)
        return NULL;
    if (!(d = strdup(s)))
        *failed = 1;
    return d;
}

tessera_status tessera_verifier_new(const tessera_verifier_options *caller_opt,
                                    tessera_verifier **out)
{
    tessera_verifier_options whole;   /* the caller's options, defaults after them */
    const tessera_verifier_options *opt = &whole;
    tessera_verifier *v;
    tessera_status st;
    int failed = 0;

    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = NULL;
    if (!caller_opt)
        return TESSERA_ERR_INVALID_ARG;
    if ((st = tessera__verifier_options_read(caller_opt, &whole)) != TESSERA_OK)
        return st;
    if (!opt->jwks_url == !opt->jwks_json || opt->leeway < 0
        || opt->refetch_interval < 0 || opt->fetch_timeout < 0
        || opt->refetch_interval > 86400L * 365 || opt->fetch_timeout > 3600
        || opt->jwks_max_age < 0 || opt->jwks_max_age > 86400L * 365
        || (opt->jwks_url && !is_http_url(opt->jwks_url))
        || (opt->revocations_url && (!is_http_url(opt->revocations_url) ||
                                     !opt->client_id || !*opt->client_id ||
                                     !opt->client_secret || !*opt->client_secret))
        || opt->revocations_interval < 0 || opt->revocations_interval > 86400
        || opt->revocation_retention < 0 || opt->revocation_retention > 86400L * 365)
        return TESSERA_ERR_INVALID_ARG;
    if (!(v = calloc(1, sizeof *v)))
        return TESSERA_ERR_NOMEM;
    if (init_sync(v) != 0) {
        free(v);
        return TESSERA_ERR_NOMEM;
    }
    v->url = dup_or_null(opt->jwks_url, &failed);
    v->issuer = dup_or_null(opt->issuer, &failed);
    v->audience = dup_or_null(opt->audience, &failed);
    v->ca_file = dup_or_null(opt->ca_file, &failed);
    if (failed) {
        st = TESSERA_ERR_NOMEM;
        goto fail;
    }
    v->expect.issuer = v->issuer;
    v->expect.audience = v->audience;
    v->expect.check_typ = opt->check_typ ? 1 : 0;
    v->expect.leeway = opt->leeway;
    v->interval_ms = (opt->refetch_interval ? opt->refetch_interval : DEFAULT_REFETCH_S)
                     * (int64_t)1000;
    v->max_age_ms = (opt->jwks_max_age ? opt->jwks_max_age : DEFAULT_MAX_AGE_S)
                    * (int64_t)1000;
    v->min_age_ms = v->interval_ms < v->max_age_ms ? v->interval_ms : v->max_age_ms;
    v->allow_oct = opt->allow_oct_keys ? 1 : 0;
    v->http.timeout_s = opt->fetch_timeout ? opt->fetch_timeout : DEFAULT_TIMEOUT_S;
    v->http.ca_file = v->ca_file;
    v->http.allow_insecure_redirects = opt->allow_insecure_redirects ? 1 : 0;
    if (v->url) {
        long max_age = -1;
        v->last_fetch_ms = now_ms();
        atomic_store(&v->fetches, 1);
        st = fetch_snapshot(v, &v->cur, &max_age);
        v->next_ms = due(v, v->last_fetch_ms, st, max_age);
    } else {
        st = parse_jwks(opt->jwks_json,
                        opt->jwks_json_len ? opt->jwks_json_len : strlen(opt->jwks_json),
                        v->allow_oct, &v->cur);
    }
    if (st == TESSERA_OK && opt->revocations_url)
        st = tessera__feed_new(opt->revocations_url, opt->client_id, opt->client_secret,
                               opt->revocations_interval ? opt->revocations_interval
                                                         : DEFAULT_POLL_S,
                               &v->http,
                               opt->revocation_retention ? opt->revocation_retention
                                                         : DEFAULT_RETENTION_S,
                               &v->feed);
    if (st != TESSERA_OK)
        goto fail;
    if (v->url) {
        if (pthread_create(&v->thread, NULL, refresher, v) != 0) {
            st = TESSERA_ERR_NOMEM;
            goto fail;
        }
        v->started = 1;
    }
    *out = v;
    return TESSERA_OK;
fail:
    tessera_verifier_free(v);
    return st;
}

tessera_status tessera_verifier_verify(tessera_verifier *v, const char *token,
                                       size_t len, tessera_claims **claims)
{
    struct snapshot *s, *again;
    tessera_status st;

    if (!claims)
        return TESSERA_ERR_INVALID_ARG;
    *claims = NULL;
    if (!v || !token)
        return TESSERA_ERR_INVALID_ARG;
    s = snapshot_get(v);
    st = tessera_verify(s->ks, token, len, &v->expect, claims);
    if (st == TESSERA_ERR_KID && v->url) {
        /* Unknown kid: maybe the server rotated its keys. Fetch when the interval
         * allows and no other thread is at it; either way, retry once when the keys
         * changed since our first attempt (by our fetch or another thread's). */
        if (claim_fetch(v, 0))
            do_fetch(v);
        again = snapshot_get(v);
        if (again != s)
            st = tessera_verify(again->ks, token, len, &v->expect, claims);
        snapshot_put(again);
    }
    snapshot_put(s);
    if (st == TESSERA_OK && v->feed &&
        tessera__feed_revoked(v->feed, tessera_claims_string(*claims, "sid"))) {
        tessera_claims_free(*claims);
        *claims = NULL;
        st = TESSERA_ERR_REVOKED;
    }
    return st;
}

tessera_status tessera_verifier_refresh(tessera_verifier *v)
{
    if (!v || !v->url)
        return TESSERA_ERR_INVALID_ARG;
    if (!claim_fetch(v, 1))
        return TESSERA_OK;   /* another thread is fetching right now */
    return do_fetch(v);
}

unsigned long tessera_verifier_fetch_count(const tessera_verifier *v)
{
    return v ? atomic_load(&v->fetches) : 0;
}

tessera_status tessera_verifier_poll_revocations(tessera_verifier *v)
{
    if (!v || !v->feed)
        return TESSERA_ERR_INVALID_ARG;
    tessera_status st = tessera__feed_poll(v->feed);
    return st == TESSERA_OK || st == TESSERA_ERR_NOMEM ? st : TESSERA_ERR_FEED;
}

unsigned long tessera_verifier_poll_count(const tessera_verifier *v)
{
    return v ? tessera__feed_polls(v->feed) : 0;
}

long tessera_verifier_revoked_count(const tessera_verifier *v)
{
    return v ? tessera__feed_count(v->feed) : 0;
}

void tessera_verifier_free(tessera_verifier *v)
{
    if (!v)
        return;
    if (v->started) {
        pthread_mutex_lock(&v->lock);
        v->stopping = 1;
        pthread_cond_broadcast(&v->cond);
        pthread_mutex_unlock(&v->lock);
        pthread_join(v->thread, NULL);
    }
    tessera__feed_free(v->feed);
    snapshot_put(v->cur);
    pthread_cond_destroy(&v->cond);
    pthread_mutex_destroy(&v->lock);
    free(v->url);
    free(v->issuer);
    free(v->audience);
    free(v->ca_file);
    free(v);
}
