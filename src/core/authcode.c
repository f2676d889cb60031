/* SPDX-License-Identifier: Apache-2.0 */
/* Authorization codes: issue, and the single redemption at the token endpoint. */
#include "core/authcode.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/client.h"

ts_err authcode_issue(struct app *a, const struct authz_req *r,
                      const struct browser_session *bs,
                      char code[SECRET_TOKEN_CHARS + 1])
{
    struct code_rec c = { 0 };
    int64_t now = (int64_t)time(NULL);
    ts_err err;

    code[0] = '\0';
    if ((err = secret_token(code)) || (err = secret_id(c.issued_sid)))
        goto out;
    secret_hash(code, SECRET_TOKEN_CHARS, c.hash);
    snprintf(c.client_id, sizeof c.client_id, "%s", r->client_id);
    snprintf(c.redirect_uri, sizeof c.redirect_uri, "%s", r->redirect_uri);
    snprintf(c.code_challenge, sizeof c.code_challenge, "%s", r->code_challenge);
    snprintf(c.scope, sizeof c.scope, "%s", r->scope);
    snprintf(c.nonce, sizeof c.nonce, "%s", r->nonce);
    memcpy(c.browser_sid, bs->id, sizeof c.browser_sid);
    memcpy(c.user_id, bs->user_id, sizeof c.user_id);
    c.auth_time = bs->auth_time;
    c.created_at = now;
    c.expires_at = now + a->cfg.code_ttl;
    err = store_code_insert(a->st, &c, now);
out:
    if (err)
        secret_wipe(code, SECRET_TOKEN_CHARS + 1);
    secret_wipe(&c, sizeof c);
    return err;
}

int authcode_verifier_ok(const char *v)
{
    size_t n = strlen(v);
    if (n < 43 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
              ch == '~'))
            return 0;
    }
    return 1;
}

int authcode_challenge_ok(const char *c)
{
    if (strlen(c) != 43)
        return 0;
    for (size_t i = 0; i < 43; i++) {
        char ch = c[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

/* A replayed code: the session its first exchange made is revoked (its id was chosen
 * with the code) and the event recorded. A replay that arrives while the first
 * exchange is still creating that session finds nothing to revoke yet; the refused
 * replay is recorded all the same ("revoked": false). */
static void replayed(struct app *a, const struct code_rec *c, const char *ip)
{
    int64_t now = (int64_t)time(NULL);
    ts_err err = store_session_revoke(a->st, c->issued_sid, now);
    audit(a, "oauth2.code.replay", c->user_id, c->client_id, ip,
          json_pack("{s:s, s:b}", "session_id", c->issued_sid, "revoked", err == TS_OK));
}

ts_err authcode_redeem(struct app *a, const struct client_rec *c, const char *code,
                       const char *redirect_uri, const char *verifier, const char *ip,
                       struct code_rec *out, char *why, size_t whylen)
{
    char hash[SECRET_TOKEN_CHARS + 1], s256[SECRET_TOKEN_CHARS + 1];
    int64_t now = (int64_t)time(NULL);
    ts_err err;

    memset(out, 0, sizeof *out);
    snprintf(why, whylen, "The authorization code is invalid, expired or used.");
    if (!code || strlen(code) != SECRET_TOKEN_CHARS)
        return TS_EOGRANT;
    secret_hash(code, SECRET_TOKEN_CHARS, hash);
    err = store_code_take(a->st, hash, now, out);
    if (err == TS_ECONFLICT)
        replayed(a, out, ip);
    if (err == TS_ENOTFOUND || err == TS_ECONFLICT)
        err = TS_EOGRANT;
    if (err)
        goto fail;
    err = TS_EOGRANT;
    if (now >= out->expires_at)
        goto fail;
    if (strcmp(out->client_id, c->id) != 0) {
        snprintf(why, whylen, "The authorization code was issued to another client.");
        goto fail;
    }
    if (!redirect_uri || strcmp(out->redirect_uri, redirect_uri) != 0) {
        snprintf(why, whylen, "The redirect_uri differs from the authorization "
                 "request's.");
        goto fail;
    }
    if (out->code_challenge[0]) {
        if (!verifier || !authcode_verifier_ok(verifier)) {
            snprintf(why, whylen, "A code_verifier of 43 to 128 characters is required.");
            goto fail;
        }
        secret_hash(verifier, strlen(verifier), s256);
        if (!secret_equal(s256, out->code_challenge, SECRET_TOKEN_CHARS)) {
            snprintf(why, whylen, "The code_verifier does not match the code_challenge.");
            goto fail;
        }
    } else if (verifier) {
        snprintf(why, whylen, "The authorization request had no code_challenge.");
        goto fail;
    }
    return TS_OK;
fail:
    memset(out, 0, sizeof *out);
    return err;
}
