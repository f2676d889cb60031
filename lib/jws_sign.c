/* SPDX-License-Identifier: Apache-2.0 */
/* JWS compact serialisation, signing side (RFC 7515 section 7.1), and JWT headers. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The header names the key's alg: signing an "RS256" header with an HS256 key would
 * publish a token no careful verifier accepts. */
static tessera_status check_header(const tessera_key *k, const char *header,
                                   size_t len)
{
    json_t *h, *alg;
    tessera_status st = tessera__json_object(header, len, &h);

    if (st != TESSERA_OK)
        return st;
    alg = json_object_get(h, "alg");
    if (!json_is_string(alg) || strcmp(json_string_value(alg), tessera_alg_name(k->alg)))
        st = TESSERA_ERR_ALG;
    json_decref(h);
    return st;
}

/* BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature), written into one
 * allocation of the exact size. */
static tessera_status sign_compact(const tessera_key *key, const char *header,
                                   size_t header_len, const uint8_t *payload,
                                   size_t payload_len, char **out)
{
    uint8_t sig[TESSERA__MAX_SIG_LEN];
    size_t hl, pl, len, signed_len;
    char *s;
    tessera_status st;

    if (!key->is_private)
        return TESSERA_ERR_KEY;
    /* Refuse what tessera_jws_verify() would refuse as too large. Bounding each part
     * first keeps the sum from overflowing. */
    if (header_len > TESSERA_MAX_TOKEN_LEN || payload_len > TESSERA_MAX_TOKEN_LEN)
        return TESSERA_ERR_TOO_LARGE;
    hl = tessera_b64url_encoded_len(header_len);
    pl = tessera_b64url_encoded_len(payload_len);
    len = hl + 1 + pl + 1 + tessera_b64url_encoded_len(key->sig_len);
    if (len > TESSERA_MAX_TOKEN_LEN)
        return TESSERA_ERR_TOO_LARGE;
    if (!(s = malloc(len + 1)))
        return TESSERA_ERR_NOMEM;
    tessera_b64url_encode((const uint8_t *)header, header_len, s);
    s[hl] = '.';
    tessera_b64url_encode(payload, payload_len, s + hl + 1);
    signed_len = hl + 1 + pl;
    if ((st = tessera__sign(key, (const uint8_t *)s, signed_len, sig)) != TESSERA_OK) {
        free(s);
        return st;
    }
    s[signed_len] = '.';
    tessera_b64url_encode(sig, key->sig_len, s + signed_len + 1);
    *out = s;
    return TESSERA_OK;
}

tessera_status tessera_jws_sign_raw(const tessera_key *key,
                                    const char *header_json, size_t header_len,
                                    const uint8_t *payload, size_t payload_len,
                                    char **out)
{
    tessera_status st;

    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = NULL;
    if (!key || !header_json || (!payload && payload_len))
        return TESSERA_ERR_INVALID_ARG;
    if (header_len > TESSERA_MAX_TOKEN_LEN)
        return TESSERA_ERR_TOO_LARGE;
    if ((st = check_header(key, header_json, header_len)) != TESSERA_OK)
        return st;
    return sign_compact(key, header_json, header_len, payload, payload_len, out);
}

tessera_status tessera_jwt_sign(const tessera_key *key, const char *typ,
                                const char *claims_json, size_t claims_len,
                                char **out)
{
    struct tessera__member m[3];
    char header[64 + 2 * 6 * TESSERA__MAX_KID_LEN];
    json_t *claims;
    size_t n = 0, len;
    tessera_status st;

    if (!out)
        return TESSERA_ERR_INVALID_ARG;
    *out = NULL;
    if (!key || !claims_json || (typ && strlen(typ) > TESSERA__MAX_KID_LEN))
        return TESSERA_ERR_INVALID_ARG;
    /* A JWT's claims are one JSON object (RFC 7519 section 7.2); catching a bad one
     * here beats issuing a token that no verifier accepts. */
    if (claims_len > TESSERA_MAX_TOKEN_LEN)
        return TESSERA_ERR_TOO_LARGE;
    if ((st = tessera__json_object(claims_json, claims_len, &claims)) != TESSERA_OK)
        return st;
    json_decref(claims);

    m[n++] = (struct tessera__member){ "alg", tessera_alg_name(key->alg), 0 };
    if (typ)
        m[n++] = (struct tessera__member){ "typ", typ, 1 };
    m[n++] = (struct tessera__member){ "kid", key->kid, 1 };
    len = tessera__json_members(m, n, NULL);
    if (len > sizeof header)
        return TESSERA_ERR_INVALID_ARG;
    tessera__json_members(m, n, header);
    return sign_compact(key, header, len, (const uint8_t *)claims_json, claims_len,
                        out);
}
