/* SPDX-License-Identifier: Apache-2.0 */
/* Automatic signing-key rotation: publish, activate, retire (see keyrotate.h). */
#include "core/keyrotate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "core/audit.h"
#include "core/keyring.h"
#include "base/log.h"
#include "core/metrics.h"
#include "core/scope.h"

/* What a tick needs of a key: not the private JWK. */
struct key_view {
    char kid[65];
    char alg[16];
    int64_t created_at, activated_at;
    int retire;                /* decided by this tick */
};

struct key_list {
    struct key_view *k;
    int n, cap;
    ts_err err;
};

#define TTL_EVERY 30           /* seconds between re-reads of the clients' access_ttl */

static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_tick;      /* under tick_lock */
static int failing;            /* under tick_lock: the last tick failed */
static int64_t ttl_cached, ttl_read_at;   /* under tick_lock: longest_ttl() */

/* key_list calls this oldest first (created_at, then kid): the order is kept. */
static int collect(void *ctx, const struct signing_key_rec *rec)
{
    struct key_list *l = ctx;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        struct key_view *k = realloc(l->k, (size_t)cap * sizeof *k);
        if (!k) {
            l->err = TS_ENOMEM;
            return 1;
        }
        l->k = k;
        l->cap = cap;
    }
    struct key_view *v = &l->k[l->n++];
    memset(v, 0, sizeof *v);
    snprintf(v->kid, sizeof v->kid, "%s", rec->kid);
    snprintf(v->alg, sizeof v->alg, "%s", rec->alg);
    v->created_at = rec->created_at;
    v->activated_at = rec->activated_at;
    return 0;
}

static int max_client_ttl(void *ctx, const struct client_rec *c)
{
    int64_t *ttl = ctx;
    if (c->access_ttl > *ttl)
        *ttl = c->access_ttl;
    return 0;
}

/* The longest lifetime an access token can have: the server's, or a client's own
 * (read again every TTL_EVERY seconds). */
static ts_err longest_ttl(struct app *a, int64_t now, int64_t *out)
{
    if (!ttl_read_at || now - ttl_read_at >= TTL_EVERY || now < ttl_read_at) {
        int64_t ttl = a->cfg.access_ttl;
        ts_err err = store_client_list(a->st, "", 0, max_client_ttl, &ttl);
        if (err)
            return err;
        ttl_cached = ttl;
        ttl_read_at = now;
    }
    *out = ttl_cached;
    return TS_OK;
}

static void record(struct app *a, const char *event, const char *kid,
                   enum metric_counter m, const char *why)
{
    log_msg("info", "signing key %s: %s", kid, why);
    audit(a, event, NULL, NULL, NULL, json_pack("{s:s, s:s}", "kid", kid, "via", "auto"));
    metrics_inc(m);
}

/* 1 when `alg` is one of oidc.id_token_algs: its newest activated key signs ID tokens. */
static int id_alg(const struct app *a, const char *alg)
{
    return scope_contains(a->cfg.id_token_algs, alg, strlen(alg));
}

/* 1 for a key kept for ID tokens alone: an ID-token algorithm that is not
 * tokens.algorithm. */
static int id_only(const struct app *a, const char *alg)
{
    return id_alg(a, alg) && strcmp(alg, a->cfg.algorithm) != 0;
}

/* Step 1: a new waiting key when the newest one is `interval` old and none waits. */
static ts_err publish(struct app *a, struct key_list *l, int64_t now, int *changed)
{
    int64_t newest = 0;
    char kid[65];
    for (int i = 0; i < l->n; i++) {
        if (!l->k[i].activated_at)
            return TS_OK;                   /* one is already waiting */
        if (id_only(a, l->k[i].alg))
            continue;                       /* step 4's keys do not postpone this */
        if (l->k[i].created_at > newest)
            newest = l->k[i].created_at;
    }
    if (now - newest < a->cfg.key_rotation_interval)
        return TS_OK;
    ts_err err = keyring_publish(a->st, a->cfg.algorithm, now, kid);
    if (err)
        return err;
    struct signing_key_rec rec = { .created_at = now };
    snprintf(rec.kid, sizeof rec.kid, "%s", kid);
    snprintf(rec.alg, sizeof rec.alg, "%s", a->cfg.algorithm);
    collect(l, &rec);                       /* a delay of 0 activates it at once */
    if (l->err)
        return l->err;
    *changed = 1;
    record(a, "key.publish", kid, METRIC_KEY_PUBLISHED,
           "published; it signs after tokens.key_publish_delay");
    return TS_OK;
}

/* Step 2: the newest waiting key that has waited long enough starts signing. A waiting
 * key older than it, or older than the newest activation (an operator rotated since
 * it was published), is retired unused. */
static ts_err activate(struct app *a, struct key_list *l, int64_t now, int *changed)
{
    int64_t newest_activation = 0;
    int chosen = -1;
    for (int i = 0; i < l->n; i++) {
        struct key_view *k = &l->k[i];
        if (k->activated_at > newest_activation)
            newest_activation = k->activated_at;
        if (!k->activated_at && now - k->created_at >= a->cfg.key_publish_delay)
            chosen = i;                     /* the list is oldest first */
    }
    for (int i = 0; i < l->n; i++) {
        struct key_view *k = &l->k[i];
        if (!k->activated_at && (i < chosen || k->created_at < newest_activation))
            k->retire = 1;
    }
    if (chosen >= 0 && !l->k[chosen].retire) {
        ts_err err = keyring_activate(a->st, l->k[chosen].kid, now);
        if (err)
            return err;
        l->k[chosen].activated_at = now > newest_activation ? now : newest_activation + 1;
        *changed = 1;
        record(a, "key.activate", l->k[chosen].kid, METRIC_KEY_ACTIVATED,
               "now signs new tokens");
    }
    for (int i = 0; i < l->n; i++) {
        if (!l->k[i].retire)
            continue;
        ts_err err = keyring_retire(a->st, l->k[i].kid, now);
        if (err && err != TS_ENOTFOUND)
            return err;
        *changed = 1;
        record(a, "key.retire", l->k[i].kid, METRIC_KEY_RETIRED,
               "retired before signing (another key was made signing first)");
    }
    return TS_OK;
}

/* Step 3: a key that no longer signs is retired when its successor has been signing
 * for longer than any token lives, plus the margin. A key of an ID-token algorithm
 * (oidc.id_token_algs) signs until a newer key of the same algorithm is activated:
 * the newest one is kept, an older one's successor is the next of its algorithm, and
 * its tokens live oidc.id_token_ttl too. */
static ts_err retire(struct app *a, struct key_list *l, int64_t now, int *changed)
{
    int64_t ttl = -1;
    for (int i = 0; i < l->n; i++) {
        struct key_view *k = &l->k[i];
        int64_t successor = 0;
        int same_alg = id_alg(a, k->alg);
        if (!k->activated_at || k->retire)
            continue;
        for (int j = 0; j < l->n; j++) {
            int64_t at = l->k[j].activated_at;
            if (same_alg && strcmp(l->k[j].alg, k->alg) != 0)
                continue;
            if (!l->k[j].retire && at > k->activated_at && (!successor || at < successor))
                successor = at;
        }
        if (!successor)
            continue;                       /* the signing key (of its algorithm) */
        /* its ID tokens live oidc.id_token_ttl */
        int64_t id_ttl = same_alg ? a->cfg.id_token_ttl : 0;
        int64_t floor = a->cfg.access_ttl > id_ttl ? a->cfg.access_ttl : id_ttl;
        if (now < successor + floor + a->cfg.key_retire_margin)
            continue;                       /* too early whatever the clients say */
        if (ttl < 0) {
            ts_err err = longest_ttl(a, now, &ttl);
            if (err)
                return err;
        }
        if (now < successor + (ttl > id_ttl ? ttl : id_ttl) + a->cfg.key_retire_margin)
            continue;
        ts_err err = keyring_retire(a->st, k->kid, now);
        if (err && err != TS_ENOTFOUND)
            return err;
        k->retire = 1;
        *changed = 1;
        record(a, "key.retire", k->kid, METRIC_KEY_RETIRED,
               "retired: every token it signed has expired");
    }
    return TS_OK;
}

/* Step 4: every algorithm of oidc.id_token_algs keeps an activated key (one retired by
 * an operator is replaced at once; keyring_ensure_alg). */
static ts_err ensure(struct app *a, struct key_list *l, int64_t now, int *changed)
{
    const char *p = a->cfg.id_token_algs, *w;
    size_t n;
    while (word_next(&p, 0, &w, &n)) {
        char alg[16], kid[65];
        int have = 0;
        if (n >= sizeof alg)
            return TS_EINVAL;
        memcpy(alg, w, n);
        alg[n] = '\0';
        for (int i = 0; i < l->n && !have; i++)
            have = l->k[i].activated_at && !l->k[i].retire && !strcmp(l->k[i].alg, alg);
        if (have)
            continue;
        ts_err err = keyring_ensure_alg(a->st, alg, now, kid);
        if (err)
            return err;
        if (kid[0]) {
            *changed = 1;
            record(a, "key.activate", kid, METRIC_KEY_ACTIVATED,
                   "now signs ID tokens (oidc.id_token_algs had no key of its algorithm)");
        }
    }
    return TS_OK;
}

static ts_err tick(struct app *a, int64_t now)
{
    struct key_list l = { 0 };
    int changed = 0;
    ts_err err = store_key_list(a->st, 0, collect, &l);

    if (!err)
        err = l.err;
    if (!err && l.n && a->cfg.key_rotation_interval > 0)
        err = publish(a, &l, now, &changed);
    if (!err && l.n)
        err = activate(a, &l, now, &changed);
    if (!err && l.n)
        err = retire(a, &l, now, &changed);
    if (!err && l.n)
        err = ensure(a, &l, now, &changed);
    if (changed && a->keys) {
        ts_err e = keyring_reload(a->keys);
        if (e)
            log_msg("error", "signing keys changed but could not be reloaded (%s)",
                    ts_err_name(e));
        if (!err)
            err = e;
    }
    free(l.k);
    return err;
}

ts_err keyrotate_tick(struct app *a, int64_t now)
{
    pthread_mutex_lock(&tick_lock);
    if (now == last_tick) {
        pthread_mutex_unlock(&tick_lock);
        return TS_OK;
    }
    last_tick = now;
    ts_err err = tick(a, now);
    if (err && !failing)
        log_msg("error", "key rotation: the store does not answer (%s); retrying every "
                "second", ts_err_name(err));
    else if (!err && failing)
        log_msg("info", "key rotation: the store answers again");
    failing = err != TS_OK;
    pthread_mutex_unlock(&tick_lock);
    return err;
}
