/* SPDX-License-Identifier: Apache-2.0 */
/* The short-lived client cache. */
#include "core/client_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 256

struct slot {
    pthread_mutex_t mu;
    struct client_rec *rec;    /* NULL when empty */
    int absent;                /* rec holds only an id the store does not have */
    int64_t fetched_ms;
};

struct client_cache {
    struct slot slots[SLOTS];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct slot *slot_of(struct client_cache *c, const char *id)
{
    uint32_t h = 2166136261u;              /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &c->slots[h % SLOTS];
}

/* A deep copy of a record (roles_json is its one allocation). */
static ts_err copy_rec(const struct client_rec *from, struct client_rec *to)
{
    char *roles = from->roles_json ? strdup(from->roles_json) : NULL;
    if (from->roles_json && !roles)
        return TS_ENOMEM;
    *to = *from;
    to->roles_json = roles;
    return TS_OK;
}

static void drop(struct slot *s)
{
    if (s->rec) {
        client_rec_clear(s->rec);
        free(s->rec);
        s->rec = NULL;
    }
    s->absent = 0;
}

ts_err client_cache_new(struct client_cache **out)
{
    struct client_cache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return TS_ENOMEM;
    for (int i = 0; i < SLOTS; i++)
        pthread_mutex_init(&c->slots[i].mu, NULL);
    *out = c;
    return TS_OK;
}

void client_cache_free(struct client_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < SLOTS; i++) {
        drop(&c->slots[i]);
        pthread_mutex_destroy(&c->slots[i].mu);
    }
    free(c);
}

ts_err client_cache_get(struct app *a, const char *id, struct client_rec *out)
{
    struct client_cache *c = a->clients;
    memset(out, 0, sizeof *out);
    if (!c)
        return store_client_get(a->st, id, out);

    struct slot *s = slot_of(c, id);
    int64_t now = now_ms();
    pthread_mutex_lock(&s->mu);
    if (s->rec && strcmp(s->rec->id, id) == 0 && now - s->fetched_ms < CLIENT_CACHE_TTL_MS) {
        ts_err err = s->absent ? TS_ENOTFOUND : copy_rec(s->rec, out);
        pthread_mutex_unlock(&s->mu);
        return err;
    }
    pthread_mutex_unlock(&s->mu);

    ts_err err = store_client_get(a->st, id, out);
    if (err && err != TS_ENOTFOUND)
        return err;
    /* An unknown id is remembered too, so that it costs what a known one costs: how
     * long the answer takes does not tell which ids exist. */
    struct client_rec *keep = calloc(1, sizeof *keep);
    if (keep && err == TS_ENOTFOUND)
        snprintf(keep->id, sizeof keep->id, "%s", id);
    else if (keep && copy_rec(out, keep) != TS_OK) {
        free(keep);
        keep = NULL;
    }
    if (keep) {                            /* remembering is best effort */
        pthread_mutex_lock(&s->mu);
        drop(s);
        s->rec = keep;
        s->absent = err == TS_ENOTFOUND;
        s->fetched_ms = now;
        pthread_mutex_unlock(&s->mu);
    }
    return err;
}

void client_cache_forget(struct app *a, const char *id)
{
    struct client_cache *c = a->clients;
    if (!c)
        return;
    struct slot *s = slot_of(c, id);
    pthread_mutex_lock(&s->mu);
    if (s->rec && strcmp(s->rec->id, id) == 0)
        drop(s);
    pthread_mutex_unlock(&s->mu);
}
