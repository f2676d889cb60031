/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A logged-in identity at work: the options every end-user command takes, refreshing
 * the access token (and keeping the rotated refresh token), calling an API with it,
 * and the one-line messages for what the server answered.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <stdio.h>

#include "base/cmdio.h"
#include "client/enduser.h"

static const char *net_hint = "";

void enduser_session_net_hint(const char *hint)
{
    net_hint = hint ? hint : "";
}

#define BAD_PROFILE "invalid profile name (use 1 to %d letters, digits, '_', '-' or '.', " \
                    "not starting with '.')"

int enduser_opt_profile(const struct option *o, const char *arg)
{
    struct enduser_ctx *c = o->value;
    if (strcmp(arg, "default") != 0 && !enduser_profile_valid(arg))
        return cli_fail("--profile: " BAD_PROFILE, ENDUSER_MAX_PROFILE), -1;
    c->profile = arg;
    return 0;
}

int enduser_opt_cacert(const struct option *o, const char *arg)
{
    struct enduser_ctx *c = o->value;
    if (!*arg)
        return cli_fail("--cacert needs a file name"), -1;
    c->cacert = arg;
    return 0;
}

int enduser_ctx_init(struct enduser_ctx *c)
{
    const char *v;
    if (!c->profile && (v = getenv("TESSERA_PROFILE")) && *v)
        c->profile = v;
    if (c->profile && !strcmp(c->profile, "default"))
        c->profile = NULL;
    if (c->profile && !enduser_profile_valid(c->profile))
        return cli_fail(BAD_PROFILE, ENDUSER_MAX_PROFILE), -1;
    if (!c->cacert && (v = getenv("TESSERA_CACERT")) && *v)
        c->cacert = v;
    if (c->cacert && !*c->cacert)
        return cli_fail("--cacert needs a file name"), -1;
    return enduser_store_locate(c);
}

const char *enduser_cacert(const struct enduser_ctx *c, const struct enduser_session *s)
{
    return c->cacert ? c->cacert : s->cacert;
}

const char *enduser_login_hint(const struct enduser_ctx *c)
{
    static char hint[ENDUSER_MAX_PROFILE + 40];
    if (!c->profile)
        return "tessera login";
    snprintf(hint, sizeof hint, "tessera login --profile %s", c->profile);
    return hint;
}

int enduser_fail_expired(const struct enduser_ctx *c)
{
    return cli_fail("session expired; run %s", enduser_login_hint(c));
}

void enduser_sanitize(const char *in, size_t inlen, char *out, size_t max)
{
    size_t n = 0;
    if (!max)
        return;
    for (size_t i = 0; i < inlen && n + 1 < max; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[n++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    out[n] = '\0';
}

int enduser_fail_response(const char *what, const struct enduser_http_resp *r)
{
    char code[64] = "", desc[300] = "";
    json_t *o = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    const char *v;
    long ra = r->retry_after;

    if (json_is_object(o)) {
        if ((v = json_string_value(json_object_get(o, "error"))))
            enduser_sanitize(v, strlen(v), code, sizeof code);
        if ((v = json_string_value(json_object_get(o, "error_description"))))
            enduser_sanitize(v, strlen(v), desc, sizeof desc);
    }
    json_decref(o);
    if (r->status == 429 && ra >= 0)
        return cli_fail("%s; retry in %ld second%s", strcmp(what, "login") ?
                        "rate limited" : "too many attempts", ra, ra == 1 ? "" : "s");
    if (r->status == 429)
        return cli_fail("%s; retry later", strcmp(what, "login") ? "rate limited"
                                                                 : "too many attempts");
    if (r->status == 503 && ra >= 0)
        return cli_fail("%s: the server is busy; retry in %ld second%s", what, ra,
                        ra == 1 ? "" : "s");
    if (*desc)
        return cli_fail("%s failed: HTTP %ld %s: %s", what, r->status, code, desc);
    return cli_fail("%s failed: HTTP %ld%s%s", what, r->status, *code ? " " : "", code);
}

/* --- refreshing ---------------------------------------------------------------------- */

/* Replaces *dst by a copy of the string member `key` (a secret: the old one is wiped).
 * 0, or -1 when the member is missing or not a string (optional: 0, *dst kept). */
static int take(json_t *o, const char *key, int optional, char **dst)
{
    const char *v = json_string_value(json_object_get(o, key));
    char *copy;
    if (!v || !*v)
        return optional ? 0 : -1;
    if (!(copy = strdup(v)))
        return -1;
    enduser_free_secret(*dst);
    *dst = copy;
    return 0;
}

int enduser_session_take_tokens(struct enduser_session *s,
                                const struct enduser_http_resp *r)
{
    json_t *o = json_loadb(r->body, r->len, 0, NULL);
    json_t *exp = json_object_get(o, "expires_in");
    const char *scope = json_string_value(json_object_get(o, "scope"));
    int rc = -1;

    if (!json_is_object(o) || !json_is_integer(exp) || json_integer_value(exp) < 0)
        goto out;
    if (take(o, "access_token", 0, &s->access_token) ||
        take(o, "refresh_token", 1, &s->refresh_token))
        goto out;
    if (scope) {
        char *copy = strdup(scope);
        if (!copy)
            goto out;
        free(s->scope);
        s->scope = copy;
    }
    s->expires_at = (long long)time(NULL) + json_integer_value(exp);
    rc = 0;
out:
    json_decref(o);
    return rc;
}

static int is_invalid_grant(const struct enduser_http_resp *r)
{
    json_t *o = json_loadb(r->body, r->len, 0, NULL);
    const char *e = json_string_value(json_object_get(o, "error"));
    int yes = e && !strcmp(e, "invalid_grant");
    json_decref(o);
    return yes;
}

/* POST /v1/auth/refresh with s->refresh_token; updates *s. 0, -1, ENDUSER_EXPIRED. */
static int refresh(const struct enduser_ctx *c, struct enduser_session *s)
{
    const char *kv[] = { "refresh_token", s->refresh_token };
    struct enduser_http_req rq = { .method = "POST", .content_type = "application/json",
                                   .cacert = enduser_cacert(c, s),
                                   .max_response = ENDUSER_MAX_AUTH_RESPONSE };
    struct enduser_http_resp r;
    char url[PATH_MAX], err[512];
    char *body;
    int rc;

    snprintf(url, sizeof url, "%s/v1/auth/refresh", s->server);
    if (!(body = enduser_json_strings(kv, 2)))
        return cli_fail("out of memory"), -1;
    rq.url = url;
    rq.body = body;
    rq.body_len = strlen(body);
    rc = enduser_http(&rq, &r, err, sizeof err);
    enduser_free_secret(body);
    if (rc)
        return cli_fail("%s%s", err, net_hint), -1;
    if (r.status == 200)
        rc = enduser_session_take_tokens(s, &r) ? (cli_fail("refresh: %s sent an answer "
                                                            "that is not a token response",
                                                            s->server), -1) : 0;
    else if (r.status == 401 || (r.status == 400 && is_invalid_grant(&r)))
        rc = ENDUSER_EXPIRED;
    else
        rc = (enduser_fail_response("refresh", &r), -1);
    enduser_http_resp_clear(&r);
    return rc;
}

int enduser_session_fresh(const struct enduser_ctx *c, struct enduser_session *s,
                          int force)
{
    struct enduser_session cur = { 0 };
    int lock, rc, changed;

    if (!force && s->expires_at - (long long)time(NULL) >= ENDUSER_REFRESH_MARGIN)
        return 0;
    if ((lock = enduser_store_lock(c)) < 0)
        return -1;
    /* Another command may have refreshed while we waited: its tokens are the ones the
     * server still honours, ours may already be retired. */
    if (enduser_store_load(c, &cur)) {
        enduser_store_unlock(lock);
        return -1;
    }
    changed = strcmp(cur.access_token, s->access_token) != 0;
    enduser_session_clear(s);
    *s = cur;
    if (changed && (force ||
                    s->expires_at - (long long)time(NULL) >= ENDUSER_REFRESH_MARGIN)) {
        enduser_store_unlock(lock);
        return 0;
    }
    if (!s->refresh_token)
        rc = ENDUSER_EXPIRED;
    else if (!(rc = refresh(c, s)))
        rc = enduser_store_save(c, s);
    enduser_store_unlock(lock);
    return rc;
}

int enduser_session_call(const struct enduser_ctx *c, struct enduser_session *s,
                         struct enduser_http_req *rq, struct enduser_http_resp *out)
{
    char err[512];
    int rc;

    if ((rc = enduser_session_fresh(c, s, 0)))
        return rc;
    rq->bearer = s->access_token;
    rq->cacert = enduser_cacert(c, s);
    if (enduser_http(rq, out, err, sizeof err))
        return cli_fail("%s%s", err, net_hint), -1;
    if (out->status != 401)
        return 0;
    /* expired early, clock skew, or refreshed elsewhere: refresh once and try again */
    enduser_http_resp_clear(out);
    if ((rc = enduser_session_fresh(c, s, 1)))
        return rc;
    rq->bearer = s->access_token;
    rq->cacert = enduser_cacert(c, s);
    if (enduser_http(rq, out, err, sizeof err))
        return cli_fail("%s%s", err, net_hint), -1;
    return 0;
}
