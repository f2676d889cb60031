/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key sets: the keys a verifier trusts, found by kid, and their JWKS (RFC 7517
 * section 5) form. A set is built once and then only read, so readers need no lock.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"

struct tessera_keyset {
    tessera_key **keys;
    size_t count, cap;
};

tessera_status tessera_keyset_new(tessera_keyset **out)
{
    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = calloc(1, sizeof **out);
    return *out ? TESSERA_OK : TESSERA_ERR_NOMEM;
}

void tessera_keyset_free(tessera_keyset *ks)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->count; i++)
        tessera_key_free(ks->keys[i]);
    free(ks->keys);
    free(ks);
}

const tessera_key *tessera_keyset_find(const tessera_keyset *ks, const char *kid)
{
    if (!ks || !kid)
        return NULL;
    /* Sets hold a handful of keys (the current one and those being retired): a
     * linear scan beats any index. */
    for (size_t i = 0; i < ks->count; i++)
        if (strcmp(ks->keys[i]->kid, kid) == 0)
            return ks->keys[i];
    return NULL;
}

tessera_status tessera_keyset_add(tessera_keyset *ks, tessera_key *key)
{
    tessera_status st = TESSERA_OK;

    if (!ks || !key) {
        st = TESSERA_ERR_INVALID_ARG;
    } else if (tessera_keyset_find(ks, key->kid)) {
        st = TESSERA_ERR_KID;
    } else if (ks->count == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 4;
        tessera_key **keys = realloc(ks->keys, cap * sizeof *keys);
        if (!keys) {
            st = TESSERA_ERR_NOMEM;
        } else {
            ks->keys = keys;
            ks->cap = cap;
        }
    }
    if (st != TESSERA_OK) {
        tessera_key_free(key);   /* the set owns the key even on error */
        return st;
    }
    ks->keys[ks->count++] = key;
    return TESSERA_OK;
}

size_t tessera_keyset_count(const tessera_keyset *ks)
{
    return ks ? ks->count : 0;
}

const tessera_key *tessera_keyset_get(const tessera_keyset *ks, size_t i)
{
    return ks && i < ks->count ? ks->keys[i] : NULL;
}

tessera_status tessera_keyset_from_jwks(const char *json, size_t len,
                                        tessera_keyset **out)
{
    return tessera__keyset_from_jwks(json, len, 1, out);
}

tessera_status tessera__keyset_from_jwks(const char *json, size_t len, int allow_oct,
                                         tessera_keyset **out)
{
    json_t *doc = NULL, *keys, *jwk;
    tessera_keyset *ks = NULL;
    tessera_key *key;
    size_t i;
    int skip;
    tessera_status st;

    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = NULL;
    if (!json)
        return TESSERA_ERR_INVALID_ARG;
    if ((st = tessera__json_object(json, len, &doc)) != TESSERA_OK)
        return st;
    keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        st = TESSERA_ERR_MALFORMED;
        goto out;
    }
    if ((st = tessera_keyset_new(&ks)) != TESSERA_OK)
        goto out;
    json_array_foreach(keys, i, jwk) {
        if (!json_is_object(jwk)) {
            st = TESSERA_ERR_KEY;
            goto out;
        }
        json_t *kty = json_object_get(jwk, "kty");
        if (!allow_oct && json_is_string(kty) && !strcmp(json_string_value(kty), "oct"))
            continue;   /* a shared secret has no business in a published JWKS */
        ERR_set_mark();
        st = tessera__key_from_json(jwk, &key, &skip);
        ERR_pop_to_mark();
        if (st != TESSERA_OK && skip)
            continue;   /* RFC 7517 section 5: ignore keys we do not understand */
        if (st != TESSERA_OK || (st = tessera_keyset_add(ks, key)) != TESSERA_OK)
            goto out;
    }
    *out = ks;
    ks = NULL;
    st = TESSERA_OK;
out:
    tessera_keyset_free(ks);
    json_decref(doc);
    return st;
}

char *tessera_keyset_to_jwks(const tessera_keyset *ks)
{
    static const char head[] = "{\"keys\":[", tail[] = "]}";
    size_t len = sizeof head - 1 + sizeof tail - 1, n = 0;
    char *s, *o;

    if (!ks)
        return NULL;
    /* Two passes over the public members: size, then write into one allocation.
     * Shared secrets (HS256) are never published. */
    for (size_t i = 0; i < ks->count; i++) {
        if (ks->keys[i]->alg == TESSERA_ALG_HS256)
            continue;
        len += (n++ ? 1 : 0) + tessera__key_public_jwk(ks->keys[i], NULL);
    }
    if (!(s = malloc(len + 1)))
        return NULL;
    memcpy(s, head, sizeof head - 1);
    o = s + sizeof head - 1;
    n = 0;
    for (size_t i = 0; i < ks->count; i++) {
        if (ks->keys[i]->alg == TESSERA_ALG_HS256)
            continue;
        if (n++)
            *o++ = ',';
        o += tessera__key_public_jwk(ks->keys[i], o);
    }
    memcpy(o, tail, sizeof tail);   /* with the NUL */
    return s;
}
