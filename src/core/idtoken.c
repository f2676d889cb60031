/* SPDX-License-Identifier: Apache-2.0 */
/* Issuing ID tokens (see idtoken.h). */
#include "core/idtoken.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/jsonw.h"
#include "base/log.h"
#include "core/keyring.h"
#include "core/oidc_claims.h"
#include "core/user.h"

#define AMR_MAX 1024           /* bytes of amr_json */

ts_err idtoken_half_hash(const char *alg, const char *token, size_t len, char out[44])
{
    const EVP_MD *md;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dn = 0;

    out[0] = '\0';
    if (!strcmp(alg, "RS256") || !strcmp(alg, "PS256") || !strcmp(alg, "ES256"))
        md = EVP_sha256();
    else if (!strcmp(alg, "EdDSA"))
        md = EVP_sha512();     /* Ed25519 hashes with SHA-512 (RFC 8032) */
    else
        return TS_EINVAL;
    if (!EVP_Digest(token, len, d, &dn, md, NULL))
        return TS_EINTERNAL;
    tessera_b64url_encode(d, dn / 2, out);
    return TS_OK;
}

/* amr as given: a JSON array of strings (OpenID Connect Core 2), nothing else. */
static int amr_valid(const char *s)
{
    if (strlen(s) > AMR_MAX)
        return 0;
    json_t *v = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    int ok = json_is_array(v);
    for (size_t i = 0; ok && i < json_array_size(v); i++)
        ok = json_is_string(json_array_get(v, i));
    json_decref(v);
    return ok;
}

ts_err idtoken_issue(struct app *a, const struct idtoken_in *in, char **out)
{
    const char *alg = in->alg ? in->alg : "RS256";
    struct user_rec u = { 0 };
    char at_hash[44] = "";
    int64_t now = (int64_t)time(NULL);
    ts_err err;

    *out = NULL;
    if (!in->sub || !*in->sub || !in->client_id || !*in->client_id)
        return TS_EINVAL;
    if (in->amr_json && !amr_valid(in->amr_json))
        return TS_EINVAL;
    tessera_alg ta = tessera_alg_from_name(alg);
    if (ta == TESSERA_ALG_UNKNOWN || ta == TESSERA_ALG_HS256)
        return TS_EINVAL;
    if (in->access_token &&
        (err = idtoken_half_hash(alg, in->access_token, strlen(in->access_token),
                                 at_hash)))
        return err;
    if (oidc_claims_wanted(in->scope) && (err = user_by_id(a, in->sub, &u)))
        return err;

    struct jw w;
    jw_init(&w);
    jw_open(&w);
    jw_str(&w, "iss", a->cfg.issuer);
    jw_str(&w, "sub", in->sub);
    jw_str(&w, "aud", in->client_id);
    jw_int(&w, "exp", now + a->cfg.id_token_ttl);
    jw_int(&w, "iat", now);
    if (in->auth_time)
        jw_int(&w, "auth_time", in->auth_time);
    if (in->nonce)
        jw_str(&w, "nonce", in->nonce);
    if (in->amr_json)
        jw_raw(&w, "amr", in->amr_json);
    jw_str(&w, "azp", in->client_id);
    if (in->sid)
        jw_str(&w, "sid", in->sid);
    if (at_hash[0])
        jw_str(&w, "at_hash", at_hash);
    if (u.id[0])
        oidc_claims_write(&w, &u, in->scope);
    jw_close(&w);
    user_rec_clear(&u);
    size_t len;
    char *claims = jw_finish(&w, &len);
    if (!claims)
        return TS_ENOMEM;
    err = keyring_sign_as(a->keys, alg, "JWT", claims, len, out);
    free(claims);
    if (err == TS_ENOTFOUND) {
        log_msg("error", "no signing key of %s for an ID token: list it in "
                "oidc.id_token_algs (docs/oidc.md)", alg);
        err = TS_EINTERNAL;
    }
    return err;
}
