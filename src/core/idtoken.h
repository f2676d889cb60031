/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ID tokens (OpenID Connect Core 1.0 2, 3.1.3.6): the signed statement of who logged
 * in, for the client that asked. Signed by the key ring with the newest key of the
 * asked algorithm (RS256 by default, whatever alg access tokens use: the ring keeps
 * a key of each algorithm of oidc.id_token_algs, core/keyring.h). Lifetime
 * oidc.id_token_ttl.
 */
#ifndef CORE_IDTOKEN_H
#define CORE_IDTOKEN_H

#include <stdint.h>

#include "core/app.h"

struct idtoken_in {
    const char *sub;          /* the user's id */
    const char *client_id;    /* aud and azp */
    const char *nonce;        /* NULL: none */
    const char *sid;          /* the session id, NULL: none */
    int64_t auth_time;        /* 0: leave it out */
    const char *amr_json;     /* JSON array text, e.g. "[\"pwd\"]"; NULL: none */
    const char *scope;        /* granted scope: profile/email claims by scope */
    const char *access_token; /* for at_hash; NULL: none */
    const char *alg;          /* NULL: RS256 */
};

/* A signed ID token (OpenID Connect Core 1.0 2, 3.1.3.6): iss, sub, aud (the client
 * id, a string), exp (iat + oidc.id_token_ttl), iat, auth_time, nonce, amr, azp, sid,
 * at_hash (3.1.3.6: the left half of the hash of the access token's ASCII bytes,
 * base64url; SHA-256 for RS256, PS256 and ES256, SHA-512 for EdDSA (Ed25519)), and
 * the user's claims `scope` grants (core/oidc_claims.h). No acr: tessera has no
 * authentication context classes to state. Header {"alg", "typ": "JWT", "kid"}.
 * *out is malloc'd, NULL on error.
 * TS_EINVAL: sub or client_id missing or empty, amr_json not a JSON array of strings,
 * an alg that is not ES256, EdDSA, RS256 or PS256. TS_ENOTFOUND: scope asks for
 * profile or email claims and the user does not exist. TS_EINTERNAL (logged) when the
 * key ring has no key of alg (oidc.id_token_algs lacks it). TS_ENOMEM, TS_EDB. */
ts_err idtoken_issue(struct app *a, const struct idtoken_in *in, char **out);

/* at_hash of `token` for `alg` into out (base64url of half the digest, at most 43
 * characters + NUL). TS_EINVAL for an alg without a hash defined here. */
ts_err idtoken_half_hash(const char *alg, const char *token, size_t len, char out[44]);

#endif
