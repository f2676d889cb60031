/* SPDX-License-Identifier: Apache-2.0 */
/* Signing keys: load from the store, sign, verify, publish, rotate, retire. */
#include "core/keyring.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/words.h"

struct snapshot {
    atomic_int refs;
    tessera_keyset *ks;
    const tessera_key *signer;   /* owned by ks: signs access tokens */
    /* owned by ks: the newest activated key of each algorithm (keyring_sign_as),
     * indexed by tessera_alg; NULL where the ring has none. */
    const tessera_key *by_alg[KEYRING_NALG];
    char *jwks;
};

struct keyring {
    struct store *st;
    pthread_mutex_t lock;        /* guards `cur` swaps and reference taking */
    struct snapshot *cur;
    atomic_ulong generation;     /* bumped by every reload */
};

static void snapshot_put(struct snapshot *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        tessera_keyset_free(s->ks);
        free(s->jwks);
        free(s);
    }
}

static struct snapshot *snapshot_get(struct keyring *kr)
{
    pthread_mutex_lock(&kr->lock);
    struct snapshot *s = kr->cur;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&kr->lock);
    return s;
}

struct load_ctx {
    tessera_keyset *ks;
    const char *signer_kid;
    char signer_buf[65];
    int64_t signer_since;
    char alg_kid[KEYRING_NALG][65];       /* "" where no key of the alg signs */
    int64_t alg_since[KEYRING_NALG];
    ts_err err;
};

static int on_key(void *ctx, const struct signing_key_rec *k)
{
    struct load_ctx *x = ctx;
    tessera_key *key = NULL;
    tessera_status ts = tessera_key_from_jwk(k->private_jwk, strlen(k->private_jwk), &key);
    if (ts != TESSERA_OK) {
        log_msg("error", "signing key %s cannot be loaded: %s", k->kid,
                tessera_strerror(ts));
        x->err = ts == TESSERA_ERR_NOMEM ? TS_ENOMEM : TS_EDB;
        return 1;
    }
    if (tessera_keyset_add(x->ks, key) != TESSERA_OK) {
        x->err = TS_EDB;
        return 1;
    }
    if (k->activated_at && k->activated_at >= x->signer_since) {
        x->signer_since = k->activated_at;
        snprintf(x->signer_buf, sizeof x->signer_buf, "%s", k->kid);
        x->signer_kid = x->signer_buf;
    }
    tessera_alg a = tessera_key_alg(key);
    if (k->activated_at && (unsigned)a < KEYRING_NALG && k->activated_at >= x->alg_since[a]) {
        x->alg_since[a] = k->activated_at;
        snprintf(x->alg_kid[a], sizeof x->alg_kid[a], "%s", k->kid);
    }
    return 0;
}

static ts_err snapshot_build(struct store *st, struct snapshot **out)
{
    struct load_ctx x = { 0 };
    ts_err err;

    *out = NULL;
    if (tessera_keyset_new(&x.ks) != TESSERA_OK)
        return TS_ENOMEM;
    err = store_key_list(st, 0, on_key, &x);
    if (!err)
        err = x.err;
    if (!err && !x.signer_kid)
        err = TS_ENOTFOUND;
    if (err) {
        tessera_keyset_free(x.ks);
        return err;
    }
    struct snapshot *s = calloc(1, sizeof *s);
    char *jwks = tessera_keyset_to_jwks(x.ks);
    if (!s || !jwks) {
        free(s);
        free(jwks);
        tessera_keyset_free(x.ks);
        return TS_ENOMEM;
    }
    atomic_init(&s->refs, 1);
    s->ks = x.ks;
    s->signer = tessera_keyset_find(x.ks, x.signer_kid);
    for (int i = 0; i < KEYRING_NALG; i++)
        s->by_alg[i] = x.alg_kid[i][0] ? tessera_keyset_find(x.ks, x.alg_kid[i]) : NULL;
    s->jwks = jwks;
    *out = s;
    return TS_OK;
}

static int newest_activation(void *ctx, const struct signing_key_rec *k)
{
    int64_t *max = ctx;
    if (k->activated_at > *max)
        *max = k->activated_at;
    return 0;
}

/* The activation time that makes a key the newest activated one, hence the signer:
 * now, or one past the newest activation when that is not before now (a rotation
 * within the same second as the last one must still come out newest). */
static ts_err next_activation(struct store *st, int64_t now, int64_t *out)
{
    int64_t newest = 0;
    ts_err err = store_key_list(st, 0, newest_activation, &newest);
    if (!err)
        *out = newest >= now ? newest + 1 : now;
    return err;
}

/* A new key of algorithm `alg`, created at `now`, signing from `activated_at` (0:
 * only published). */
static ts_err key_insert_new(struct store *st, const char *alg, int64_t now,
                             int64_t activated_at, char kid_out[65])
{
    tessera_key *key = NULL;
    tessera_alg a = tessera_alg_from_name(alg);
    struct signing_key_rec rec = { 0 };
    ts_err err;

    if (a == TESSERA_ALG_UNKNOWN || a == TESSERA_ALG_HS256)
        return TS_EINVAL;
    if (tessera_key_generate(a, &key) != TESSERA_OK)
        return TS_EINTERNAL;
    rec.private_jwk = tessera_key_to_jwk(key, 1);
    if (!rec.private_jwk) {
        tessera_key_free(key);
        return TS_ENOMEM;
    }
    snprintf(rec.kid, sizeof rec.kid, "%s", tessera_key_kid(key));
    snprintf(rec.alg, sizeof rec.alg, "%s", alg);
    rec.created_at = now;
    rec.activated_at = activated_at;
    err = store_key_insert(st, &rec);
    if (!err && kid_out)
        snprintf(kid_out, 65, "%s", rec.kid);
    signing_key_rec_clear(&rec);
    tessera_key_free(key);
    return err;
}

/* A new key of algorithm `alg`, created at `now`: signing at once with `activate`,
 * else only published. */
static ts_err key_create(struct store *st, const char *alg, int64_t now, int activate,
                         char kid_out[65])
{
    int64_t at = 0;
    tessera_alg a = tessera_alg_from_name(alg);
    if (a == TESSERA_ALG_UNKNOWN || a == TESSERA_ALG_HS256)
        return TS_EINVAL;
    ts_err err = activate ? next_activation(st, now, &at) : TS_OK;
    return err ? err : key_insert_new(st, alg, now, at, kid_out);
}

ts_err keyring_rotate(struct store *st, const char *alg, int64_t now, char kid_out[65])
{
    return key_create(st, alg, now, 1, kid_out);
}

ts_err keyring_publish(struct store *st, const char *alg, int64_t now, char kid_out[65])
{
    return key_create(st, alg, now, 0, kid_out);
}

ts_err keyring_activate(struct store *st, const char *kid, int64_t now)
{
    int64_t at;
    ts_err err = next_activation(st, now, &at);
    return err ? err : store_key_update(st, kid, at, 0);
}

ts_err keyring_retire(struct store *st, const char *kid, int64_t now)
{
    return store_key_update(st, kid, 0, now);
}

struct alg_scan {
    const char *alg;
    int have;                  /* an activated key of alg */
    int64_t newest;            /* the newest activation of any key */
};

static int scan_alg(void *ctx, const struct signing_key_rec *k)
{
    struct alg_scan *x = ctx;
    if (k->activated_at && !strcmp(k->alg, x->alg))
        x->have = 1;
    if (k->activated_at > x->newest)
        x->newest = k->activated_at;
    return 0;
}

ts_err keyring_ensure_alg(struct store *st, const char *alg, int64_t now, char kid_out[65])
{
    struct alg_scan x = { alg, 0, 0 };
    tessera_alg a = tessera_alg_from_name(alg);
    ts_err err;

    if (kid_out)
        kid_out[0] = '\0';
    if (a == TESSERA_ALG_UNKNOWN || a == TESSERA_ALG_HS256)
        return TS_EINVAL;
    if ((err = store_key_list(st, 0, scan_alg, &x)) || x.have)
        return err;
    /* The first key signs from now; another, one second before the newest activation:
     * it signs what is asked of its algorithm and never becomes the access-token
     * signer (the newest activated key). */
    return key_insert_new(st, alg, now, !x.newest ? now : x.newest > 1 ? x.newest - 1 : 1,
                          kid_out);
}

ts_err keyring_open(struct store *st, const char *create_alg, const char *extra_algs,
                    struct keyring **out)
{
    struct snapshot *s = NULL;
    ts_err err = snapshot_build(st, &s);

    *out = NULL;
    if (err == TS_ENOTFOUND && create_alg) {
        err = keyring_rotate(st, create_alg, (int64_t)time(NULL), NULL);
        if (!err)
            err = snapshot_build(st, &s);
    }
    if (err)
        return err;
    const char *p = extra_algs ? extra_algs : "", *w;
    size_t n;
    int any = 0;
    while (word_next(&p, 0, &w, &n)) {
        char alg[16], kid[65];
        if (n >= sizeof alg) {
            err = TS_EINVAL;
            break;
        }
        memcpy(alg, w, n);
        alg[n] = '\0';
        if ((err = keyring_ensure_alg(st, alg, (int64_t)time(NULL), kid)))
            break;
        any |= kid[0] != '\0';
    }
    if (!err && any) {
        snapshot_put(s);
        s = NULL;
        err = snapshot_build(st, &s);
    }
    if (err) {
        snapshot_put(s);
        return err;
    }
    struct keyring *kr = calloc(1, sizeof *kr);
    if (!kr) {
        snapshot_put(s);
        return TS_ENOMEM;
    }
    kr->st = st;
    pthread_mutex_init(&kr->lock, NULL);
    kr->cur = s;
    *out = kr;
    return TS_OK;
}

ts_err keyring_reload(struct keyring *kr)
{
    struct snapshot *s = NULL;
    ts_err err = snapshot_build(kr->st, &s);
    if (err)
        return err;
    pthread_mutex_lock(&kr->lock);
    struct snapshot *old = kr->cur;
    kr->cur = s;
    atomic_fetch_add(&kr->generation, 1);
    pthread_mutex_unlock(&kr->lock);
    snapshot_put(old);
    return TS_OK;
}

unsigned long keyring_generation(struct keyring *kr)
{
    return atomic_load(&kr->generation);
}

void keyring_free(struct keyring *kr)
{
    if (!kr)
        return;
    snapshot_put(kr->cur);
    pthread_mutex_destroy(&kr->lock);
    free(kr);
}

ts_err keyring_sign(struct keyring *kr, const char *claims_json, size_t len, char **out)
{
    struct snapshot *s = snapshot_get(kr);
    tessera_status ts = tessera_jwt_sign(s->signer, "at+jwt", claims_json, len, out);
    snapshot_put(s);
    if (ts == TESSERA_ERR_NOMEM)
        return TS_ENOMEM;
    return ts == TESSERA_OK ? TS_OK : TS_EINTERNAL;
}

ts_err keyring_sign_as(struct keyring *kr, const char *alg, const char *typ,
                       const char *claims_json, size_t len, char **out)
{
    tessera_alg a = tessera_alg_from_name(alg);
    *out = NULL;
    if ((unsigned)a >= KEYRING_NALG || a == TESSERA_ALG_UNKNOWN)
        return TS_EINVAL;
    struct snapshot *s = snapshot_get(kr);
    if (!s->by_alg[a]) {
        snapshot_put(s);
        return TS_ENOTFOUND;
    }
    tessera_status ts = tessera_jwt_sign(s->by_alg[a], typ, claims_json, len, out);
    snapshot_put(s);
    if (ts == TESSERA_ERR_NOMEM)
        return TS_ENOMEM;
    return ts == TESSERA_OK ? TS_OK : TS_EINTERNAL;
}

int keyring_can_sign(struct keyring *kr, const char *alg)
{
    tessera_alg a = tessera_alg_from_name(alg);
    if ((unsigned)a >= KEYRING_NALG || a == TESSERA_ALG_UNKNOWN)
        return 0;
    struct snapshot *s = snapshot_get(kr);
    int yes = s->by_alg[a] != NULL;
    snapshot_put(s);
    return yes;
}

tessera_status keyring_verify(struct keyring *kr, const char *token, size_t len,
                              const tessera_expect *expect, tessera_claims **claims)
{
    struct snapshot *s = snapshot_get(kr);
    tessera_status ts = tessera_verify(s->ks, token, len, expect, claims);
    snapshot_put(s);
    return ts;
}

char *keyring_jwks(struct keyring *kr)
{
    struct snapshot *s = snapshot_get(kr);
    char *copy = strdup(s->jwks);
    snapshot_put(s);
    return copy;
}
