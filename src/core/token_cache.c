/* SPDX-License-Identifier: Apache-2.0 */
/* The verified-token cache: 16 shards x 256 slots, direct-mapped. */
#include "core/token_cache.h"

#include "base/secret.h"

#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 16
#define SLOTS 256

struct slot {
    unsigned char key[32];     /* SHA-256 of the token */
    unsigned long gen;
    int64_t exp;
    tessera_claims *claims;    /* NULL: empty */
};

struct shard {
    pthread_mutex_t mu;
    struct slot *slots;        /* SLOTS, allocated when first used */
};

struct token_cache {
    struct shard shards[SHARDS];
};

struct token_cache *token_cache_new(void)
{
    struct token_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&c->shards[i].mu, NULL);
    return c;
}

void token_cache_free(struct token_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < SHARDS; i++) {
        struct shard *sh = &c->shards[i];
        for (int j = 0; sh->slots && j < SLOTS; j++)
            tessera_claims_free(sh->slots[j].claims);
        free(sh->slots);
        pthread_mutex_destroy(&sh->mu);
    }
    free(c);
}

static struct slot *locate(struct token_cache *c, const unsigned char key[32],
                           struct shard **sh)
{
    *sh = &c->shards[key[0] % SHARDS];
    unsigned idx = ((unsigned)key[1] << 8 | key[2]) % SLOTS;
    return (*sh)->slots ? &(*sh)->slots[idx] : NULL;
}

void token_cache_key(const char *token, size_t len, unsigned char key[32])
{
    SHA256((const unsigned char *)token, len, key);
}

tessera_claims *token_cache_get(struct token_cache *c, const unsigned char key[32],
                                unsigned long gen, int64_t now)
{
    struct shard *sh;
    tessera_claims *out = NULL;
    if (!c)
        return NULL;
    pthread_mutex_lock(&c->shards[key[0] % SHARDS].mu);
    struct slot *s = locate(c, key, &sh);
    if (s && s->claims && s->gen == gen && now < s->exp &&
        secret_equal(s->key, key, sizeof s->key))
        out = tessera_claims_dup(s->claims);
    pthread_mutex_unlock(&sh->mu);
    return out;
}

void token_cache_put(struct token_cache *c, const unsigned char key[32],
                     unsigned long gen, int64_t exp, const tessera_claims *claims)
{
    struct shard *sh;
    tessera_claims *mine, *old = NULL;
    if (!c || !(mine = tessera_claims_dup(claims)))
        return;
    sh = &c->shards[key[0] % SHARDS];
    pthread_mutex_lock(&sh->mu);
    if (!sh->slots)
        sh->slots = calloc(SLOTS, sizeof *sh->slots);
    struct slot *s = locate(c, key, &sh);
    if (s) {
        old = s->claims;
        memcpy(s->key, key, sizeof s->key);
        s->gen = gen;
        s->exp = exp;
        s->claims = mine;
        mine = NULL;
    }
    pthread_mutex_unlock(&sh->mu);
    tessera_claims_free(old);
    tessera_claims_free(mine);
}
