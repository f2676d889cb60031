/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWS compact serialisation, verifying side (RFC 7515 section 5.2), with the
 * strictness of RFC 8725 and docs/security.md: the key is chosen by kid only, its alg
 * must be the header's alg (so an HS256 token is never checked against an RSA or EC
 * key's public bytes), and headers that point at other keys are refused, never
 * followed.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Header parameters that would make the token choose or extend its own trust. */
static const char *const forbidden[] = { "jku", "x5u", "jwk", "x5c", "crit" };

/* The key a header names: by kid only, except that a set of one key accepts a header
 * without kid. Then the alg must be that key's alg. */
static tessera_status header_key(const tessera_keyset *ks, json_t *h,
                                 const tessera_key **key)
{
    json_t *alg = json_object_get(h, "alg"), *kid = json_object_get(h, "kid");
    tessera_alg a;

    *key = NULL;
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        if (json_object_get(h, forbidden[i]))
            return TESSERA_ERR_HEADER;
    /* "none", "None", "HS512", a number: all unknown, all refused. */
    if (!json_is_string(alg)
        || (a = tessera_alg_from_name(json_string_value(alg))) == TESSERA_ALG_UNKNOWN)
        return TESSERA_ERR_ALG;
    if (kid) {
        *key = tessera_keyset_find(ks, json_string_value(kid));   /* NULL: not a string */
        if (!*key)
            return TESSERA_ERR_KID;
    } else if (tessera_keyset_count(ks) == 1) {
        *key = tessera_keyset_get(ks, 0);
    } else {
        return TESSERA_ERR_KID;
    }
    if ((*key)->alg != a) {
        *key = NULL;
        return TESSERA_ERR_ALG;
    }
    return TESSERA_OK;
}

tessera_status tessera__jws_verify(const tessera_keyset *ks, const char *token,
                                   size_t len, char **out_payload,
                                   size_t *out_payload_len, json_t **out_header)
{
    /* Decoded header and signature live on the stack: a token is at most
     * TESSERA_MAX_TOKEN_LEN characters, so neither can be larger than this. */
    uint8_t header[TESSERA_MAX_TOKEN_LEN / 4 * 3], sig[TESSERA__MAX_SIG_LEN];
    const char *dot1, *dot2, *p_b64, *s_b64;
    size_t h_len, p_b64_len, s_b64_len, sig_len, payload_len;
    const tessera_key *key;
    json_t *h = NULL;
    char *payload = NULL;
    tessera_status st;

    if (out_payload)
        *out_payload = NULL;
    if (out_payload_len)
        *out_payload_len = 0;
    if (out_header)
        *out_header = NULL;
    if (!ks || !token)
        return TESSERA_ERR_INVALID_ARG;
    if (len > TESSERA_MAX_TOKEN_LEN)
        return TESSERA_ERR_TOO_LARGE;

    /* Exactly three segments. */
    if (!(dot1 = memchr(token, '.', len))
        || !(dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)))
        || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return TESSERA_ERR_MALFORMED;
    p_b64 = dot1 + 1;
    p_b64_len = (size_t)(dot2 - p_b64);
    s_b64 = dot2 + 1;
    s_b64_len = len - (size_t)(s_b64 - token);

    /* Every segment strict base64url before anything is interpreted. The payload is
     * decoded now when it is wanted (one pass: the common, valid case), else only
     * checked. */
    if (tessera_b64url_decode(token, (size_t)(dot1 - token), header, &h_len) != TESSERA_OK)
        return TESSERA_ERR_MALFORMED;
    if (out_payload) {
        if (!(payload = malloc(tessera__b64url_decoded_len(p_b64_len) + 1)))
            return TESSERA_ERR_NOMEM;
        st = tessera_b64url_decode(p_b64, p_b64_len, (uint8_t *)payload, &payload_len);
        if (st != TESSERA_OK)
            goto out;
        payload[payload_len] = '\0';
    } else if (!tessera__b64url_valid(p_b64, p_b64_len)) {
        return TESSERA_ERR_MALFORMED;
    }
    st = TESSERA_ERR_MALFORMED;
    if (s_b64_len > tessera_b64url_encoded_len(sizeof sig)) {
        if (tessera__b64url_valid(s_b64, s_b64_len))
            st = TESSERA_ERR_SIGNATURE;   /* longer than any key's signature */
        goto out;
    }
    if (tessera_b64url_decode(s_b64, s_b64_len, sig, &sig_len) != TESSERA_OK)
        goto out;

    if ((st = tessera__json_object((const char *)header, h_len, &h)) != TESSERA_OK
        || (st = header_key(ks, h, &key)) != TESSERA_OK
        || (st = tessera__verify_sig(key, (const uint8_t *)token,
                                     (size_t)(dot2 - token), sig, sig_len)) != TESSERA_OK)
        goto out;

    if (out_payload) {
        *out_payload = payload;
        payload = NULL;
        if (out_payload_len)
            *out_payload_len = payload_len;
    }
    if (out_header) {
        *out_header = h;
        h = NULL;
    }
out:
    free(payload);
    json_decref(h);
    return st;
}

tessera_status tessera_jws_verify(const tessera_keyset *ks,
                                  const char *token, size_t len,
                                  char **out_payload, size_t *out_payload_len)
{
    return tessera__jws_verify(ks, token, len, out_payload, out_payload_len, NULL);
}
