/* SPDX-License-Identifier: Apache-2.0 */
/* Issuing access tokens and authenticating Bearer tokens. */
#include "core/token.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audience.h"
#include "base/jsonw.h"
#include "core/keyring.h"
#include "core/revoked.h"
#include "core/scope.h"
#include "base/secret.h"
#include "core/token_cache.h"

/* The aud claim as JSON text: "v" for one value, ["v","w"] for several. malloc'd;
 * NULL on OOM. */
static char *aud_json(const char *list)
{
    const char *p = list, *w;
    size_t n, count = 0;
    json_t *arr = json_array();
    while (arr && word_next(&p, 0, &w, &n))
        if (json_array_append_new(arr, json_stringn(w, n)) == 0)
            count++;
        else {
            json_decref(arr);
            arr = NULL;
        }
    char *s = arr && count ? json_dumps(count == 1 ? json_array_get(arr, 0) : arr,
                                        JSON_COMPACT | JSON_ENCODE_ANY)
                           : NULL;
    json_decref(arr);
    return s;
}

ts_err token_issue(struct app *a, const struct token_claims *tc, char **out,
                   int64_t *exp_out)
{
    char jti[SECRET_ID_CHARS + 1];
    int64_t now = (int64_t)time(NULL);
    int64_t exp = now + tc->ttl;
    ts_err err;

    *out = NULL;
    if ((err = secret_id(jti)))
        return err;
    char *aud = aud_json(audience_effective(&a->cfg, tc->audience));
    if (!aud)
        return TS_ENOMEM;
    /* Claims in the order RFC 9068 lists them; roles_json is the stored JSON array. */
    struct jw w;
    jw_init(&w);
    jw_open(&w);
    jw_str(&w, "iss", a->cfg.issuer);
    jw_str(&w, "sub", tc->sub);
    jw_raw(&w, "aud", aud);
    free(aud);
    jw_int(&w, "exp", exp);
    jw_int(&w, "iat", now);
    jw_int(&w, "nbf", now);
    jw_str(&w, "jti", jti);
    jw_str(&w, "client_id", tc->client_id && *tc->client_id ? tc->client_id
                                                            : a->cfg.audience);
    jw_str(&w, "scope", tc->scope ? tc->scope : "");
    jw_raw(&w, "roles", tc->roles_json && *tc->roles_json ? tc->roles_json : "[]");
    if (tc->sid)
        jw_str(&w, "sid", tc->sid);
    if (tc->email)
        jw_str(&w, "email", tc->email);
    if (tc->name)
        jw_str(&w, "name", tc->name);
    if (tc->cnf_x5t && *tc->cnf_x5t) {
        struct jw cnf;
        jw_init(&cnf);
        jw_open(&cnf);
        jw_str(&cnf, "x5t#S256", tc->cnf_x5t);
        jw_close(&cnf);
        char *c = jw_finish(&cnf, NULL);
        if (!c) {
            free(jw_finish(&w, NULL));
            return TS_ENOMEM;
        }
        jw_raw(&w, "cnf", c);
        free(c);
    }
    jw_close(&w);
    size_t len;
    char *s = jw_finish(&w, &len);
    if (!s)
        return TS_ENOMEM;
    err = keyring_sign(a->keys, s, len, out);
    free(s);
    if (!err && exp_out)
        *exp_out = exp;
    return err;
}

/* aud as this server writes it: a non-empty string, or a non-empty array of them. */
static int aud_well_formed(const tessera_claims *c)
{
    const char *s = tessera_claims_string(c, "aud");
    size_t n = s ? 0 : tessera_claims_array_len(c, "aud");
    if (s)
        return *s != '\0';
    for (size_t i = 0; i < n; i++) {
        const char *v = tessera_claims_array_string(c, "aud", i);
        if (!v || !*v)
            return 0;
    }
    return n > 0;
}

ts_err token_authenticate(struct app *a, const char *token, size_t len,
                          const char *audience, struct auth_ctx *out, char *why,
                          size_t whylen)
{
    tessera_expect ex = { 0 };
    tessera_status ts;

    memset(out, 0, sizeof *out);
    ex.issuer = a->cfg.issuer;
    ex.audience = NULL;        /* checked below, on cached claims too */
    ex.check_typ = 1;
    ex.leeway = 0;
    /* A token verified before (same key ring, not yet expired) skips the signature;
     * the session and jti checks below run every time. */
    int64_t now = (int64_t)time(NULL), exp;
    unsigned long gen = keyring_generation(a->keys);
    unsigned char key[32];
    token_cache_key(token, len, key);
    out->claims = token_cache_get(a->tokens, key, gen, now);
    if (!out->claims) {
        ts = keyring_verify(a->keys, token, len, &ex, &out->claims);
        if (ts == TESSERA_ERR_NOMEM)
            return TS_ENOMEM;
        if (ts != TESSERA_OK) {
            snprintf(why, whylen, "The access token is invalid: %s.", tessera_strerror(ts));
            return TS_ETOKEN;
        }
        if (tessera_claims_int(out->claims, "exp", &exp) == 0)
            token_cache_put(a->tokens, key, gen, exp, out->claims);
    }
    if (!aud_well_formed(out->claims)) {
        snprintf(why, whylen, "The access token's aud is not a string or an array of "
                 "strings.");
        auth_clear(out);
        return TS_ETOKEN;
    }
    if (audience && !tessera_claims_has_audience(out->claims, audience)) {
        snprintf(why, whylen, "The access token is not for this audience: its aud does "
                 "not name '%.64s'.", audience);
        auth_clear(out);
        return TS_ETOKEN;
    }
    out->sub = tessera_claims_string(out->claims, "sub");
    out->sid = tessera_claims_string(out->claims, "sid");
    if (!out->sub) {
        snprintf(why, whylen, "The access token has no subject.");
        auth_clear(out);
        return TS_ETOKEN;
    }
    const char *cid = tessera_claims_string(out->claims, "client_id");
    if (out->sid)
        out->kind = AUTH_KIND_USER;
    else if (cid && strcmp(cid, out->sub) == 0)
        out->kind = AUTH_KIND_CLIENT;
    else {
        snprintf(why, whylen, "The access token names neither a session nor a client.");
        auth_clear(out);
        return TS_ETOKEN;
    }
    /* Revocation: the in-memory set (revoked.c), which reads the store only when this
     * process has revoked something since it last looked. */
    const char *jti = tessera_claims_string(out->claims, "jti");
    int64_t iat, lifetime = INT64_MAX;
    if (tessera_claims_int(out->claims, "iat", &iat) == 0 &&
        tessera_claims_int(out->claims, "exp", &exp) == 0)
        lifetime = exp - iat;
    ts_err err = out->sid ? revoked_check_sid(a, out->sid, out->sub, lifetime)
                 : jti    ? revoked_check_jti(a, jti) : TS_OK;
    if (err) {
        if (err == TS_ETOKEN)
            snprintf(why, whylen, "The access token has been revoked.");
        auth_clear(out);
        return err;
    }
    return TS_OK;
}

const char *auth_kind_name(enum auth_kind k)
{
    return k == AUTH_KIND_CLIENT ? "client" : "user";
}

void auth_clear(struct auth_ctx *c)
{
    tessera_claims_free(c->claims);
    memset(c, 0, sizeof *c);
}
