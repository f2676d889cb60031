/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's revocation feed: a thread that polls tessera's
 * GET /v1/auth/revocations?since=CURSOR (HTTP Basic, a confidential client) and keeps
 * the revoked session ids in a set, which tessera_verifier_verify() consults after a
 * token's signature and claims check out: a token whose "sid" is in it is
 * TESSERA_ERR_REVOKED.
 *
 * The set is read under a reader lock (a hash and a short chain walk); the poller
 * adds under the writer lock. Entries are kept `retention` seconds after their
 * revocation: a revoked session gets no new tokens, so its last token expires within
 * the server's longest access-token lifetime, which the retention must cover.
 */
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "revfeed.h"

#define PAGE_LIMIT 1000          /* rows asked per GET (the server's maximum) */
#define MAX_PAGES 64             /* pages read per poll; the rest at the next one */
#define MAX_SID_LEN 64
#define MAX_CURSOR_LEN 128

struct entry {
    struct entry *next;
    uint64_t hash;
    int64_t revoked_at;
    char sid[];
};

struct tessera__feed {
    char *url, *user, *password; /* password wiped when freed */
    char *ca_file;
    struct tessera__http_opts http; /* points at user, password, ca_file */
    long interval_s, retention_s;

    pthread_rwlock_t set_lock;   /* guards the set */
    struct entry **buckets;
    size_t nbuckets, n;
    atomic_long count;

    pthread_mutex_t lock;        /* guards the fields below and serialises polls */
    pthread_cond_t cond;
    int stopping, started;
    pthread_t thread;
    char cursor[MAX_CURSOR_LEN + 1];
    atomic_ulong polls;          /* polls attempted */
};

static uint64_t hash_sid(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

int tessera__feed_revoked(tessera__feed *f, const char *sid)
{
    if (!f || !sid || atomic_load_explicit(&f->count, memory_order_acquire) == 0)
        return 0;
    uint64_t h = hash_sid(sid);
    int found = 0;

    pthread_rwlock_rdlock(&f->set_lock);
    if (f->nbuckets)
        for (struct entry *e = f->buckets[h & (f->nbuckets - 1)]; e; e = e->next)
            if (e->hash == h && !strcmp(e->sid, sid)) {
                found = 1;
                break;
            }
    pthread_rwlock_unlock(&f->set_lock);
    return found;
}

/* Under the writer lock. */
static int grow(tessera__feed *f)
{
    size_t nb = f->nbuckets ? f->nbuckets * 2 : 256;
    struct entry **b = calloc(nb, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < f->nbuckets; i++) {
        struct entry *e = f->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(f->buckets);
    f->buckets = b;
    f->nbuckets = nb;
    return 0;
}

/* Under the writer lock. */
static tessera_status add(tessera__feed *f, const char *sid, int64_t revoked_at)
{
    if ((!f->nbuckets || f->n >= f->nbuckets * 2) && grow(f) && !f->nbuckets)
        return TESSERA_ERR_NOMEM;
    uint64_t h = hash_sid(sid);
    struct entry **head = &f->buckets[h & (f->nbuckets - 1)];
    for (struct entry *e = *head; e; e = e->next)
        if (e->hash == h && !strcmp(e->sid, sid))
            return TESSERA_OK;
    size_t len = strlen(sid);
    struct entry *e = malloc(sizeof *e + len + 1);
    if (!e)
        return TESSERA_ERR_NOMEM;
    e->hash = h;
    e->revoked_at = revoked_at;
    memcpy(e->sid, sid, len + 1);
    e->next = *head;
    *head = e;
    f->n++;
    atomic_fetch_add_explicit(&f->count, 1, memory_order_release);
    return TESSERA_OK;
}

static void prune(tessera__feed *f, int64_t now)
{
    pthread_rwlock_wrlock(&f->set_lock);
    for (size_t b = 0; b < f->nbuckets; b++) {
        struct entry **pp = &f->buckets[b];
        while (*pp) {
            struct entry *e = *pp;
            if (e->revoked_at + f->retention_s < now) {
                *pp = e->next;
                free(e);
                f->n--;
                atomic_fetch_sub_explicit(&f->count, 1, memory_order_release);
            } else {
                pp = &e->next;
            }
        }
    }
    pthread_rwlock_unlock(&f->set_lock);
}

/* Checks one page {"revoked": [{"sid", "revoked_at"}...], "next", "more"} and adds its
 * rows; *more and next[] (the cursor to go on from) on success. Nothing is added from
 * a page that does not check out as a whole. */
static tessera_status apply_page(tessera__feed *f, const char *body, size_t len,
                                 char next[MAX_CURSOR_LEN + 1], int *more)
{
    json_t *doc = NULL, *list, *nx, *mo, *row;
    tessera_status st = tessera__json_object(body, len, &doc);
    size_t i;

    if (st != TESSERA_OK)
        return st == TESSERA_ERR_NOMEM ? st : TESSERA_ERR_MALFORMED;
    list = json_object_get(doc, "revoked");
    nx = json_object_get(doc, "next");
    mo = json_object_get(doc, "more");
    if (!json_is_array(list) || !json_is_string(nx) || !json_is_boolean(mo) ||
        json_string_length(nx) > MAX_CURSOR_LEN || json_array_size(list) > PAGE_LIMIT) {
        json_decref(doc);
        return TESSERA_ERR_MALFORMED;
    }
    json_array_foreach(list, i, row) {
        json_t *sid = json_object_get(row, "sid"), *at = json_object_get(row, "revoked_at");
        if (!json_is_string(sid) || !json_is_integer(at) || json_string_length(sid) == 0 ||
            json_string_length(sid) > MAX_SID_LEN ||
            strlen(json_string_value(sid)) != json_string_length(sid)) {
            json_decref(doc);
            return TESSERA_ERR_MALFORMED;
        }
    }
    pthread_rwlock_wrlock(&f->set_lock);
    json_array_foreach(list, i, row) {
        if ((st = add(f, json_string_value(json_object_get(row, "sid")),
                      json_integer_value(json_object_get(row, "revoked_at")))))
            break;
    }
    pthread_rwlock_unlock(&f->set_lock);
    if (st == TESSERA_OK) {
        snprintf(next, MAX_CURSOR_LEN + 1, "%s", json_string_value(nx));
        *more = json_is_true(mo) && json_array_size(list) > 0;
    }
    json_decref(doc);
    return st;
}

/* One poll: pages from the cursor until the server says there is no more. The
 * caller holds f->lock (one poll at a time; the cursor is ours). */
static tessera_status poll_locked(tessera__feed *f)
{
    tessera_status st = TESSERA_OK;
    int more = 1;

    atomic_fetch_add(&f->polls, 1);
    for (int page = 0; more && page < MAX_PAGES && st == TESSERA_OK; page++) {
        char *since = tessera__url_escape(f->cursor), *url, *body = NULL;
        char next[MAX_CURSOR_LEN + 1];
        size_t len = 0, ulen;
        if (!since)
            return TESSERA_ERR_NOMEM;
        ulen = strlen(f->url) + strlen(since) + 32;
        if (!(url = malloc(ulen))) {
            free(since);
            return TESSERA_ERR_NOMEM;
        }
        snprintf(url, ulen, "%s%climit=%d%s%s", f->url, strchr(f->url, '?') ? '&' : '?',
                 PAGE_LIMIT, f->cursor[0] ? "&since=" : "", f->cursor[0] ? since : "");
        free(since);
        st = tessera__http_get(url, &f->http, &body, &len, NULL);
        free(url);
        if (st == TESSERA_OK)
            st = apply_page(f, body, len, next, &more);
        free(body);
        if (st == TESSERA_OK)
            memcpy(f->cursor, next, sizeof f->cursor);
    }
    if (st == TESSERA_OK)
        prune(f, (int64_t)time(NULL));
    return st;
}

tessera_status tessera__feed_poll(tessera__feed *f)
{
    pthread_mutex_lock(&f->lock);
    tessera_status st = poll_locked(f);
    pthread_mutex_unlock(&f->lock);
    return st;
}

static void *run(void *arg)
{
    tessera__feed *f = arg;

    pthread_mutex_lock(&f->lock);
    while (!f->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += f->interval_s;
        while (!f->stopping && pthread_cond_timedwait(&f->cond, &f->lock, &until) == 0)
            ;
        if (f->stopping)
            break;
        /* A failed poll keeps the set and the cursor: the next one goes on from it. */
        (void)poll_locked(f);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

tessera_status tessera__feed_new(const char *url, const char *client_id,
                                 const char *client_secret, long interval_s,
                                 const struct tessera__http_opts *http, long retention_s,
                                 tessera__feed **out)
{
    tessera__feed *f = calloc(1, sizeof *f);
    tessera_status st;

    *out = NULL;
    if (!f)
        return TESSERA_ERR_NOMEM;
    pthread_rwlock_init(&f->set_lock, NULL);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->interval_s = interval_s;
    f->retention_s = retention_s;
    /* RFC 6749 2.3.1: the client id and secret are form-encoded inside Basic. */
    if (!(f->url = dup_str(url)) || !(f->user = tessera__url_escape(client_id)) ||
        !(f->password = tessera__url_escape(client_secret)) ||
        (http->ca_file && !(f->ca_file = dup_str(http->ca_file)))) {
        tessera__feed_free(f);
        return TESSERA_ERR_NOMEM;
    }
    f->http = *http;
    f->http.user = f->user;
    f->http.password = f->password;
    f->http.ca_file = f->ca_file;
    /* The first poll runs now: a verifier that cannot read the feed does not start
     * accepting tokens it may be meant to refuse. */
    if ((st = tessera__feed_poll(f)) != TESSERA_OK) {
        tessera__feed_free(f);
        return st == TESSERA_ERR_NOMEM ? st : TESSERA_ERR_FEED;
    }
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        tessera__feed_free(f);
        return TESSERA_ERR_NOMEM;
    }
    f->started = 1;
    *out = f;
    return TESSERA_OK;
}

unsigned long tessera__feed_polls(const tessera__feed *f)
{
    return f ? atomic_load(&((tessera__feed *)f)->polls) : 0;
}

long tessera__feed_count(const tessera__feed *f)
{
    return f ? atomic_load(&((tessera__feed *)f)->count) : 0;
}

void tessera__feed_free(tessera__feed *f)
{
    if (!f)
        return;
    if (f->started) {
        pthread_mutex_lock(&f->lock);
        f->stopping = 1;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->thread, NULL);
    }
    for (size_t b = 0; b < f->nbuckets; b++) {
        struct entry *e = f->buckets[b], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(f->buckets);
    if (f->password) {
        OPENSSL_cleanse(f->password, strlen(f->password));
        free(f->password);
    }
    free(f->user);
    free(f->url);
    free(f->ca_file);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->lock);
    pthread_rwlock_destroy(&f->set_lock);
    free(f);
}
