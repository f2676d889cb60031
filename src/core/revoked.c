/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory revocation set and its sync from the store (see revoked.h). */
#include "core/revoked.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/app.h"
#include "core/keyring.h"
#include "base/log.h"

#define SHARDS 16           /* power of two */
#define OVERLAP 5           /* seconds re-read on every sync: slow commits, skewed
                             * clocks of other instances */
#define SKEW 60             /* seconds an entry outlives the newest token it covers */
#define WINDOW_EVERY 30     /* seconds between re-reads of the clients' access_ttl */
#define PRUNE_EVERY 10      /* seconds between sweeps of dead entries */
#define PAGE 256            /* revocations read per store call */

struct entry {
    struct entry *next;
    uint64_t hash;
    int64_t at;             /* 's': when the session was revoked, kept while a token
                             * issued before may live (the window as it is now, not
                             * as it was when added); 'j': dropped after this time */
    char kind;              /* 's': session id, 'j': jti */
    char id[];
};

struct shard {
    pthread_rwlock_t lock;
    struct entry **buckets;
    size_t nbuckets, n;
};

struct revoked {
    struct shard shards[SHARDS];
    atomic_long count;
    atomic_ulong synced;    /* the store's change counter when the last sync began */
    pthread_mutex_t sync_lock;
    /* Below: only under sync_lock. */
    int64_t sid_at, jti_at; /* newest revoked_at seen; 0 before the first sync */
    atomic_llong window;
    int64_t window_at, pruned_at;
    unsigned char keys_fp[32];
    int have_fp;
};

/* FNV-1a over the kind and the id. The ids are the server's own random values, so no
 * keyed hash is needed against crafted collisions. */
static uint64_t hash_id(char kind, const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ (unsigned char)kind) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static struct shard *shard_of(struct revoked *r, uint64_t h)
{
    return &r->shards[(h >> 56) & (SHARDS - 1)];
}

static int set_has(struct revoked *r, char kind, const char *id)
{
    if (atomic_load_explicit(&r->count, memory_order_relaxed) == 0)
        return 0;
    uint64_t h = hash_id(kind, id);
    struct shard *s = shard_of(r, h);
    int found = 0;

    pthread_rwlock_rdlock(&s->lock);
    if (s->nbuckets) {
        for (struct entry *e = s->buckets[h & (s->nbuckets - 1)]; e; e = e->next)
            if (e->hash == h && e->kind == kind && !strcmp(e->id, id)) {
                found = 1;
                break;
            }
    }
    pthread_rwlock_unlock(&s->lock);
    return found;
}

/* Doubles the bucket array (or makes the first); the old chains are rehooked. */
static int grow(struct shard *s)
{
    size_t nb = s->nbuckets ? s->nbuckets * 2 : 64;
    struct entry **b = calloc(nb, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct entry *e = s->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
    return 0;
}

static ts_err set_add(struct revoked *r, char kind, const char *id, int64_t at)
{
    uint64_t h = hash_id(kind, id);
    struct shard *s = shard_of(r, h);
    ts_err err = TS_OK;

    pthread_rwlock_wrlock(&s->lock);
    if ((s->n >= s->nbuckets * 2 || !s->nbuckets) && grow(s) && !s->nbuckets) {
        err = TS_ENOMEM;
        goto out;
    }
    struct entry **head = &s->buckets[h & (s->nbuckets - 1)];
    for (struct entry *e = *head; e; e = e->next)
        if (e->hash == h && e->kind == kind && !strcmp(e->id, id)) {
            if (at > e->at)
                e->at = at;
            goto out;
        }
    size_t len = strlen(id);
    struct entry *e = malloc(sizeof *e + len + 1);
    if (!e) {
        err = TS_ENOMEM;
        goto out;
    }
    e->hash = h;
    e->at = at;
    e->kind = kind;
    memcpy(e->id, id, len + 1);
    e->next = *head;
    *head = e;
    s->n++;
    atomic_fetch_add(&r->count, 1);
out:
    pthread_rwlock_unlock(&s->lock);
    return err;
}

static void set_prune(struct revoked *r, int64_t now)
{
    int64_t window = atomic_load(&r->window);
    for (int i = 0; i < SHARDS; i++) {
        struct shard *s = &r->shards[i];
        pthread_rwlock_wrlock(&s->lock);
        for (size_t b = 0; b < s->nbuckets; b++) {
            struct entry **pp = &s->buckets[b];
            while (*pp) {
                struct entry *e = *pp;
                if ((e->kind == 's' ? e->at + window + SKEW : e->at) < now) {
                    *pp = e->next;
                    free(e);
                    s->n--;
                    atomic_fetch_sub(&r->count, 1);
                } else {
                    pp = &e->next;
                }
            }
        }
        pthread_rwlock_unlock(&s->lock);
    }
}

static int max_client_ttl(void *ctx, const struct client_rec *c)
{
    int64_t *w = ctx;
    if (c->access_ttl > *w)
        *w = c->access_ttl;
    return 0;
}

static ts_err sync_window(struct app *a, struct revoked *r, int64_t now)
{
    int64_t w = a->cfg.access_ttl;
    ts_err err = store_client_list(a->st, "", 0, max_client_ttl, &w);
    if (err)
        return err;
    atomic_store(&r->window, w);
    r->window_at = now;
    return TS_OK;
}

static ts_err sync_sessions(struct app *a, struct revoked *r, int64_t now)
{
    struct revocation_rec *rows = malloc(PAGE * sizeof *rows);
    int64_t window = atomic_load(&r->window);
    int64_t since = r->sid_at ? r->sid_at - OVERLAP : now - window - SKEW;
    int64_t after_at = 0, newest = r->sid_at;
    char after_id[STORE_ID_LEN + 1] = "";
    ts_err err = TS_OK;
    int n;

    if (!rows)
        return TS_ENOMEM;
    do {
        n = 0;
        err = store_revocations(a->st, since, INT64_MAX, after_at, after_id, rows, PAGE,
                                &n);
        for (int i = 0; i < n && !err; i++) {
            err = set_add(r, 's', rows[i].sid, rows[i].revoked_at);
            if (rows[i].revoked_at > newest)
                newest = rows[i].revoked_at;
        }
        if (n > 0) {
            after_at = rows[n - 1].revoked_at;
            memcpy(after_id, rows[n - 1].sid, sizeof after_id);
        }
    } while (!err && n == PAGE);
    free(rows);
    /* The next sync starts OVERLAP seconds before the newest revocation seen, or before
     * now when another instance's clock runs ahead. */
    if (!err)
        r->sid_at = newest && newest < now ? newest : now;
    return err;
}

struct jti_ctx {
    struct revoked *r;
    int64_t newest;
    ts_err err;
};

static int add_jti(void *ctx, const char *jti, int64_t revoked_at, int64_t expires_at)
{
    struct jti_ctx *c = ctx;
    if ((c->err = set_add(c->r, 'j', jti, expires_at + SKEW)))
        return 1;
    if (revoked_at > c->newest)
        c->newest = revoked_at;
    return 0;
}

static ts_err sync_jtis(struct app *a, struct revoked *r, int64_t now)
{
    struct jti_ctx c = { r, r->jti_at, TS_OK };
    int64_t since = r->jti_at ? r->jti_at - OVERLAP : 0;
    ts_err err = store_jti_list(a->st, since, now - SKEW, add_jti, &c);
    if (!err)
        err = c.err;
    if (!err)
        r->jti_at = c.newest && c.newest < now ? c.newest : now;
    return err;
}

static int hash_key(void *ctx, const struct signing_key_rec *k)
{
    int64_t t[2] = { k->activated_at, k->retired_at };
    return !EVP_DigestUpdate(ctx, k->kid, strlen(k->kid) + 1) ||
           !EVP_DigestUpdate(ctx, t, sizeof t);
}

/* Reloads the key ring when the keys in the store differ from the last sync's: a key
 * rotated or retired by another instance or by the operator CLI. */
static ts_err sync_keys(struct app *a, struct revoked *r)
{
    unsigned char fp[32];
    unsigned int fplen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(c);
        return TS_ENOMEM;
    }
    ts_err err = store_key_list(a->st, 1, hash_key, c);
    if (!err && (!EVP_DigestFinal_ex(c, fp, &fplen) || fplen != sizeof fp))
        err = TS_ENOMEM;
    EVP_MD_CTX_free(c);
    if (err)
        return err;
    /* The first sync reloads too: a key another instance made between this one's
     * key ring load and now would otherwise stay unknown here until the next change. */
    if ((!r->have_fp || memcmp(fp, r->keys_fp, sizeof fp) != 0) && a->keys) {
        if ((err = keyring_reload(a->keys)))
            return err;
        if (r->have_fp)
            log_msg("info", "signing keys changed in the store: reloaded");
    }
    memcpy(r->keys_fp, fp, sizeof fp);
    r->have_fp = 1;
    return TS_OK;
}

/* One sync; the caller holds sync_lock. */
static ts_err sync_locked(struct app *a, struct revoked *r)
{
    unsigned long changes = atomic_load_explicit(&a->st->changes, memory_order_acquire);
    int64_t now = (int64_t)time(NULL);
    ts_err err = TS_OK;

    if ((!r->window_at || now - r->window_at >= WINDOW_EVERY || now < r->window_at) &&
        (err = sync_window(a, r, now)))
        return err;
    if ((err = sync_sessions(a, r, now)) || (err = sync_jtis(a, r, now)) ||
        (err = sync_keys(a, r)))
        return err;
    if (now - r->pruned_at >= PRUNE_EVERY || now < r->pruned_at) {
        set_prune(r, now);
        r->pruned_at = now;
    }
    atomic_store_explicit(&r->synced, changes, memory_order_release);
    return TS_OK;
}

ts_err revoked_sync(struct app *a)
{
    struct revoked *r = a->revoked;
    if (!r)
        return TS_OK;
    pthread_mutex_lock(&r->sync_lock);
    ts_err err = sync_locked(a, r);
    pthread_mutex_unlock(&r->sync_lock);
    return err;
}

/* Syncs when this process has written a revocation the set has not read yet. */
static ts_err sync_if_stale(struct app *a, struct revoked *r)
{
    unsigned long now = atomic_load_explicit(&a->st->changes, memory_order_acquire);
    if (atomic_load_explicit(&r->synced, memory_order_acquire) == now)
        return TS_OK;
    ts_err err = TS_OK;
    pthread_mutex_lock(&r->sync_lock);
    if (atomic_load_explicit(&r->synced, memory_order_acquire) != now)
        err = sync_locked(a, r);
    pthread_mutex_unlock(&r->sync_lock);
    return err;
}

static ts_err check_sid_in_store(struct app *a, const char *sid, const char *sub)
{
    struct session_rec s;
    ts_err err = store_session_get(a->st, sid, &s);
    if (err == TS_ENOTFOUND || (!err && (s.revoked_at || strcmp(s.user_id, sub))))
        return TS_ETOKEN;
    return err;
}

ts_err revoked_check_sid(struct app *a, const char *sid, const char *sub,
                         int64_t lifetime)
{
    struct revoked *r = a->revoked;
    /* The set holds a session's revocation for as long as the longest token lifetime
     * it knows of; a token that lives longer (a client's access_ttl raised since the
     * set last read them, or the server's lowered across a restart) asks the store. */
    if (!r || lifetime > atomic_load(&r->window))
        return check_sid_in_store(a, sid, sub);
    ts_err err = sync_if_stale(a, r);
    if (err)
        return err;
    return set_has(r, 's', sid) ? TS_ETOKEN : TS_OK;
}

ts_err revoked_check_jti(struct app *a, const char *jti)
{
    struct revoked *r = a->revoked;
    if (!r) {
        ts_err err = store_jti_revoked(a->st, jti);
        return err == TS_ENOTFOUND ? TS_OK : err ? err : TS_ETOKEN;
    }
    ts_err err = sync_if_stale(a, r);
    if (err)
        return err;
    return set_has(r, 'j', jti) ? TS_ETOKEN : TS_OK;
}

int64_t revoked_window(struct app *a)
{
    return a->revoked ? atomic_load(&a->revoked->window) : a->cfg.access_ttl;
}

ts_err revoked_feed(struct app *a, int64_t now, int64_t after_at, const char *after_id,
                    struct revocation_rec *out, int n, int *count)
{
    return store_revocations(a->st, now - revoked_window(a), now - 1, after_at, after_id,
                             out, n, count);
}

long revoked_count(struct app *a)
{
    return a->revoked ? atomic_load(&a->revoked->count) : 0;
}

ts_err revoked_open(struct app *a, struct revoked **out)
{
    struct revoked *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return TS_ENOMEM;
    for (int i = 0; i < SHARDS; i++)
        pthread_rwlock_init(&r->shards[i].lock, NULL);
    pthread_mutex_init(&r->sync_lock, NULL);
    atomic_store(&r->window, a->cfg.access_ttl);
    struct revoked *prev = a->revoked;
    a->revoked = r;
    ts_err err = revoked_sync(a);
    a->revoked = prev;
    if (err) {
        revoked_free(r);
        return err;
    }
    *out = r;
    return TS_OK;
}

void revoked_free(struct revoked *r)
{
    if (!r)
        return;
    for (int i = 0; i < SHARDS; i++) {
        struct shard *s = &r->shards[i];
        for (size_t b = 0; b < s->nbuckets; b++) {
            struct entry *e = s->buckets[b], *next;
            for (; e; e = next) {
                next = e->next;
                free(e);
            }
        }
        free(s->buckets);
        pthread_rwlock_destroy(&s->lock);
    }
    pthread_mutex_destroy(&r->sync_lock);
    free(r);
}
