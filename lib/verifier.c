/*
 * The verifier: a JWKS (fetched from a URL, or given) cached as an immutable keyset
 * snapshot, refetched on an unknown kid at most once per interval, the
 * tessera_expect checks of claims.c, and optionally the revoked sessions of the
 * revocation feed (revfeed.c), usable from many threads at once.
 *
 * Concurrency: `cur` is the current snapshot, a keyset with a reference count. A
 * reader takes a reference under the mutex (a few instructions), verifies without any
 * lock, and drops its reference; the last one out frees the keyset. A refetch builds
 * a whole new keyset outside the lock and swaps `cur` under it, so readers never wait
 * on the network: only the one thread that fetches does (single flight, `fetching`).
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
#define DEFAULT_TIMEOUT_S 10
#define DEFAULT_POLL_S 5
#define DEFAULT_RETENTION_S 86400

struct snapshot {
    tessera_keyset *ks;
    atomic_long refs;
};

struct tessera_verifier {
    char *url;                 /* NULL: fixed keys */
    char *issuer, *audience;
    tessera_expect expect;     /* points at issuer/audience above */
    int64_t interval_ms, timeout_s;
    tessera__feed *feed;       /* NULL: no revocation feed */

    pthread_mutex_t lock;      /* guards the fields below */
    struct snapshot *cur;      /* never NULL after tessera_verifier_new() */
    int fetching;              /* 1 while one thread fetches */
    int64_t last_fetch_ms;     /* monotonic time the last fetch started */
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
static tessera_status parse_jwks(const char *json, size_t len, struct snapshot **out)
{
    tessera_keyset *ks = NULL;
    tessera_status st;

    *out = NULL;
    if ((st = tessera_keyset_from_jwks(json, len, &ks)) != TESSERA_OK)
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

static tessera_status fetch_snapshot(const tessera_verifier *v, struct snapshot **out)
{
    char *body = NULL;
    size_t len = 0;
    tessera_status st;

    *out = NULL;
    if ((st = tessera__http_get(v->url, NULL, NULL, (long)v->timeout_s, &body, &len)) != TESSERA_OK)
        return st;
    st = parse_jwks(body, len, out);
    free(body);
    return st;
}

/* The fetch itself, by the one thread that set v->fetching; swaps on success. */
static tessera_status do_fetch(tessera_verifier *v)
{
    struct snapshot *fresh = NULL, *old = NULL;
    tessera_status st = fetch_snapshot(v, &fresh);

    pthread_mutex_lock(&v->lock);
    if (st == TESSERA_OK) {
        old = v->cur;
        v->cur = fresh;
    }
    v->fetching = 0;
    pthread_mutex_unlock(&v->lock);
    snapshot_put(old);   /* the verifier's reference; readers may still hold theirs */
    return st;
}

/* Claims the right to fetch: 1 when this thread is to fetch now. `force` ignores the
 * interval (but never runs two fetches at once). */
static int claim_fetch(tessera_verifier *v, int force)
{
    int64_t t = now_ms();
    int go;

    pthread_mutex_lock(&v->lock);
    go = v->url && !v->fetching && (force || t - v->last_fetch_ms >= v->interval_ms);
    if (go) {
        v->fetching = 1;
        v->last_fetch_ms = t;
        v->fetches++;
    }
    pthread_mutex_unlock(&v->lock);
    return go;
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

tessera_status tessera_verifier_new(const tessera_verifier_options *opt,
                                    tessera_verifier **out)
{
    tessera_verifier *v;
    tessera_status st;
    int failed = 0;

    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = NULL;
    if (!opt || !opt->jwks_url == !opt->jwks_json || opt->leeway < 0
        || opt->refetch_interval < 0 || opt->fetch_timeout < 0
        || opt->refetch_interval > 86400L * 365 || opt->fetch_timeout > 3600
        || (opt->jwks_url && !is_http_url(opt->jwks_url))
        || (opt->revocations_url && (!is_http_url(opt->revocations_url) ||
                                     !opt->client_id || !*opt->client_id ||
                                     !opt->client_secret || !*opt->client_secret))
        || opt->revocations_interval < 0 || opt->revocations_interval > 86400
        || opt->revocation_retention < 0 || opt->revocation_retention > 86400L * 365)
        return TESSERA_ERR_INVALID_ARG;
    if (!(v = calloc(1, sizeof *v)))
        return TESSERA_ERR_NOMEM;
    if (pthread_mutex_init(&v->lock, NULL) != 0) {
        free(v);
        return TESSERA_ERR_NOMEM;
    }
    v->url = dup_or_null(opt->jwks_url, &failed);
    v->issuer = dup_or_null(opt->issuer, &failed);
    v->audience = dup_or_null(opt->audience, &failed);
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
    v->timeout_s = opt->fetch_timeout ? opt->fetch_timeout : DEFAULT_TIMEOUT_S;
    if (v->url) {
        v->last_fetch_ms = now_ms();
        atomic_store(&v->fetches, 1);
        st = fetch_snapshot(v, &v->cur);
    } else {
        st = parse_jwks(opt->jwks_json,
                        opt->jwks_json_len ? opt->jwks_json_len : strlen(opt->jwks_json),
                        &v->cur);
    }
    if (st == TESSERA_OK && opt->revocations_url)
        st = tessera__feed_new(opt->revocations_url, opt->client_id, opt->client_secret,
                               opt->revocations_interval ? opt->revocations_interval
                                                         : DEFAULT_POLL_S,
                               (long)v->timeout_s,
                               opt->revocation_retention ? opt->revocation_retention
                                                         : DEFAULT_RETENTION_S,
                               &v->feed);
    if (st != TESSERA_OK)
        goto fail;
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
    tessera__feed_free(v->feed);
    snapshot_put(v->cur);
    pthread_mutex_destroy(&v->lock);
    free(v->url);
    free(v->issuer);
    free(v->audience);
    free(v);
}
