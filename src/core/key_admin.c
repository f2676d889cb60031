/* SPDX-License-Identifier: Apache-2.0 */
/* Signing keys for operators: states, rotation and retirement, audited. */
#include "core/key_admin.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/keyring.h"
#include "base/log.h"
#include "core/scope.h"
#include "core/user.h"

/* The kid of the signing key, and how many keys could sign. Mirrors keyring.c's
 * choice: among the published keys, oldest first, the last with the newest
 * activation wins. */
struct signer {
    char kid[65];
    int64_t since;
    int can_sign;
    /* the newest activated key of each algorithm: it signs that alg's ID tokens */
    char alg_kid[KEYRING_NALG][65];
    int64_t alg_since[KEYRING_NALG];
};

static int find_signer(void *ctx, const struct signing_key_rec *k)
{
    struct signer *s = ctx;
    if (!k->activated_at || k->retired_at)
        return 0;
    s->can_sign++;
    if (k->activated_at >= s->since) {
        s->since = k->activated_at;
        snprintf(s->kid, sizeof s->kid, "%s", k->kid);
    }
    tessera_alg a = tessera_alg_from_name(k->alg);
    if ((unsigned)a < KEYRING_NALG && k->activated_at >= s->alg_since[a]) {
        s->alg_since[a] = k->activated_at;
        snprintf(s->alg_kid[a], sizeof s->alg_kid[a], "%s", k->kid);
    }
    return 0;
}

/* The key signs: access tokens, or the ID tokens of an oidc.id_token_algs alg. */
static int signs(const struct signer *s, const struct config *c,
                 const struct signing_key_rec *k)
{
    if (!strcmp(k->kid, s->kid))
        return 1;
    tessera_alg a = tessera_alg_from_name(k->alg);
    return (unsigned)a < KEYRING_NALG && !strcmp(k->kid, s->alg_kid[a]) &&
           scope_contains(c->id_token_algs, k->alg, strlen(k->alg));
}

struct list_ctx {
    const struct signer *signer;
    const struct config *cfg;
    long publish_delay;
    key_info_cb cb;
    void *ctx;
};

static int deliver(void *ctx, const struct signing_key_rec *k)
{
    struct list_ctx *x = ctx;
    struct key_info ki = {
        k, k->retired_at ? "retired"
           : signs(x->signer, x->cfg, k) ? "signing"
           : !k->activated_at ? "waiting" : "published",
        k->activated_at ? k->activated_at
        : k->retired_at ? 0 : k->created_at + x->publish_delay,
    };
    return x->cb(x->ctx, &ki);
}

ts_err key_admin_list(struct app *a, int include_retired, key_info_cb cb, void *ctx)
{
    struct signer s = { 0 };
    ts_err err = store_key_list(a->st, 0, find_signer, &s);
    if (err)
        return err;
    struct list_ctx x = { &s, &a->cfg, a->cfg.key_publish_delay, cb, ctx };
    return store_key_list(a->st, include_retired, deliver, &x);
}

/* After a change: the running server signs and publishes from the new key set. */
static void reload(struct app *a)
{
    ts_err err;
    if (a->keys && (err = keyring_reload(a->keys)))
        log_msg("error", "signing keys changed but could not be reloaded: %s",
                ts_err_name(err));
}

ts_err key_admin_rotate(struct app *a, const struct actor *by, const char *alg, int now,
                        char kid_out[65], int64_t *signs_from)
{
    const char *use = alg && *alg ? alg : a->cfg.algorithm;
    int64_t t = (int64_t)time(NULL);
    int at_once = now || a->cfg.key_publish_delay <= 0;
    /* Published first: the sync thread of a running server activates it after the
     * delay (core/keyrotate.c, step 2), from the store, so on every instance. */
    ts_err err = at_once ? keyring_rotate(a->st, use, t, kid_out)
                         : keyring_publish(a->st, use, t, kid_out);
    if (err)
        return err;
    if (signs_from)
        *signs_from = at_once ? t : t + a->cfg.key_publish_delay;
    reload(a);
    audit_admin(a, by, "admin.key.rotate", NULL, NULL,
                json_pack("{s:s, s:s, s:b}", "kid", kid_out, "alg", use, "now", now));
    return TS_OK;
}

/* Finds one key (retired ones too). */
struct find_ctx {
    const char *kid;
    int found, retired, can_sign;
};

static int find_key(void *ctx, const struct signing_key_rec *k)
{
    struct find_ctx *f = ctx;
    if (strcmp(k->kid, f->kid) != 0)
        return 0;
    f->found = 1;
    f->retired = k->retired_at != 0;
    f->can_sign = k->activated_at != 0;
    return 1;
}

ts_err key_admin_retire(struct app *a, const struct actor *by, const char *kid,
                        char *why, size_t whylen)
{
    struct find_ctx f = { kid, 0, 0, 0 };
    struct signer s = { 0 };
    ts_err err;

    snprintf(why, whylen, "invalid request");
    if ((err = store_key_list(a->st, 1, find_key, &f)) ||
        (err = store_key_list(a->st, 0, find_signer, &s)))
        return err;
    if (!f.found) {
        snprintf(why, whylen, "no key '%.64s'", kid);
        return TS_ENOTFOUND;
    }
    if (f.retired) {
        snprintf(why, whylen, "the key '%.64s' is already retired", kid);
        return TS_ECONFLICT;
    }
    if (f.can_sign && s.can_sign <= 1) {
        snprintf(why, whylen, "the key '%.64s' is the last one that can sign tokens; "
                 "rotate to a new key first (a waiting key does not sign yet: "
                 "rotate with --now, or \"now\": true, to replace a key at once)", kid);
        return TS_ECONFLICT;
    }
    if ((err = keyring_retire(a->st, kid, (int64_t)time(NULL))))
        return err;
    reload(a);
    audit_admin(a, by, "admin.key.retire", NULL, NULL, json_pack("{s:s}", "kid", kid));
    return TS_OK;
}

json_t *key_admin_json(const struct key_info *k)
{
    char created[32], activated[32], signs[32], retired[32];
    const struct signing_key_rec *r = k->rec;
    user_time(r->created_at, created);
    if (r->activated_at)
        user_time(r->activated_at, activated);
    if (k->signs_from)
        user_time(k->signs_from, signs);
    if (r->retired_at)
        user_time(r->retired_at, retired);
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?}", "kid", r->kid,
                     "alg", r->alg, "state", k->state, "created_at", created,
                     "activated_at", r->activated_at ? activated : NULL,
                     "signs_from", k->signs_from ? signs : NULL,
                     "retired_at", r->retired_at ? retired : NULL);
}
