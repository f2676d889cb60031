/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access-token verification (RFC 9068 profile on RFC 7519 claims) and the read-only
 * view of the verified claims.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

struct tessera_claims {
    json_t *root;   /* the payload object */
};

/* A NumericDate claim: TESSERA_ERR_CLAIMS when present but not a number, else *out
 * and *present. Seconds compare as doubles: exact for any date of this era, and no
 * integer overflow whatever the token or the caller's `now` holds. */
static tessera_status numeric_date(json_t *payload, const char *name, double *out,
                                   int *present)
{
    json_t *v = json_object_get(payload, name);

    *present = v != NULL;
    if (!v)
        return TESSERA_OK;
    if (!json_is_number(v))
        return TESSERA_ERR_CLAIMS;
    *out = json_number_value(v);
    return TESSERA_OK;
}

static tessera_status check_times(json_t *payload, double now, double leeway)
{
    double exp = 0, nbf = 0, iat = 0;
    int has_exp, has_nbf, has_iat;
    tessera_status st;

    if ((st = numeric_date(payload, "exp", &exp, &has_exp)) != TESSERA_OK
        || (st = numeric_date(payload, "nbf", &nbf, &has_nbf)) != TESSERA_OK
        || (st = numeric_date(payload, "iat", &iat, &has_iat)) != TESSERA_OK)
        return st;
    if (!has_exp)
        return TESSERA_ERR_CLAIMS;
    /* RFC 7519 4.1.4: valid only while now is before exp. */
    if (now - leeway >= exp)
        return TESSERA_ERR_EXPIRED;
    if ((has_nbf && nbf > now + leeway) || (has_iat && iat > now + leeway))
        return TESSERA_ERR_NOT_YET_VALID;
    return TESSERA_OK;
}

static int has_audience(json_t *aud, const char *want)
{
    size_t i;
    json_t *v;

    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    json_array_foreach(aud, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
            return 1;
    return 0;
}

/* RFC 9068 section 2.1: "at+jwt", or the full media type, case-insensitively. */
static int is_at_jwt(json_t *header)
{
    const char *typ = json_string_value(json_object_get(header, "typ"));
    return typ && (strcasecmp(typ, "at+jwt") == 0
                   || strcasecmp(typ, "application/at+jwt") == 0);
}

static tessera_status check_claims(json_t *header, json_t *payload,
                                   const tessera_expect *ex)
{
    const char *iss;
    tessera_status st;
    int64_t now = ex->now ? ex->now : (int64_t)time(NULL);

    if ((st = check_times(payload, (double)now, (double)ex->leeway)) != TESSERA_OK)
        return st;
    if (ex->issuer) {
        iss = json_string_value(json_object_get(payload, "iss"));
        if (!iss || strcmp(iss, ex->issuer) != 0)
            return TESSERA_ERR_ISSUER;
    }
    if (ex->audience && !has_audience(json_object_get(payload, "aud"), ex->audience))
        return TESSERA_ERR_AUDIENCE;
    if (ex->check_typ && !is_at_jwt(header))
        return TESSERA_ERR_TYPE;
    return TESSERA_OK;
}

tessera_status tessera_verify(const tessera_keyset *ks, const char *token, size_t len,
                              const tessera_expect *expect, tessera_claims **claims)
{
    static const tessera_expect nothing;
    json_t *header = NULL, *payload = NULL;
    char *text = NULL;
    size_t text_len;
    tessera_status st;

    if (!claims)
        return TESSERA_ERR_INVALID_ARG;
    *claims = NULL;
    if (!expect)
        expect = &nothing;
    if (expect->leeway < 0)
        return TESSERA_ERR_INVALID_ARG;
    if ((st = tessera__jws_verify(ks, token, len, &text, &text_len, &header)) != TESSERA_OK)
        return st;
    if ((st = tessera__json_object(text, text_len, &payload)) != TESSERA_OK
        || (st = check_claims(header, payload, expect)) != TESSERA_OK)
        goto out;
    if (!(*claims = malloc(sizeof **claims))) {
        st = TESSERA_ERR_NOMEM;
        goto out;
    }
    (*claims)->root = payload;
    payload = NULL;
out:
    json_decref(payload);
    json_decref(header);
    free(text);
    return st;
}

static json_t *claim(const tessera_claims *c, const char *name)
{
    return c && name ? json_object_get(c->root, name) : NULL;
}

const char *tessera_claims_string(const tessera_claims *c, const char *name)
{
    return json_string_value(claim(c, name));   /* NULL unless a string */
}

const char *tessera_claims_member_string(const tessera_claims *c, const char *object,
                                         const char *name)
{
    json_t *o = claim(c, object);
    return json_is_object(o) ? json_string_value(json_object_get(o, name)) : NULL;
}

int tessera_claims_int(const tessera_claims *c, const char *name, int64_t *out)
{
    json_t *v = claim(c, name);

    if (!json_is_integer(v) || !out)
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

size_t tessera_claims_array_len(const tessera_claims *c, const char *name)
{
    return json_array_size(claim(c, name));   /* 0 unless an array */
}

const char *tessera_claims_array_string(const tessera_claims *c, const char *name,
                                        size_t i)
{
    return json_string_value(json_array_get(claim(c, name), i));
}

int tessera_claims_has_audience(const tessera_claims *c, const char *audience)
{
    return c && audience && has_audience(claim(c, "aud"), audience);
}

int tessera_claims_has_scope(const tessera_claims *c, const char *scope)
{
    const char *s = tessera_claims_string(c, "scope");
    size_t n;

    if (!s || !scope || !(n = strlen(scope)))
        return 0;
    while (*s) {
        size_t w = strcspn(s, " ");
        if (w == n && memcmp(s, scope, n) == 0)
            return 1;
        s += w;
        s += strspn(s, " ");
    }
    return 0;
}

struct out {
    char *s;
    size_t len, cap;
    int failed;
};

static int append(const char *p, size_t n, void *data)
{
    struct out *o = data;
    if (o->failed)
        return -1;
    if (n >= o->cap - o->len) {
        size_t cap = (o->cap + n) * 2 + 64;
        char *s = realloc(o->s, cap);
        if (!s) {
            o->failed = 1;
            return -1;
        }
        o->s = s;
        o->cap = cap;
    }
    memcpy(o->s + o->len, p, n);
    o->len += n;
    return 0;
}

/* Not json_dumps(): jansson 2.14 ignores a failed write of an object key, so under
 * memory pressure it can return JSON with a member name missing. Our writer remembers
 * any failure. */
char *tessera_claims_json(const tessera_claims *c)
{
    struct out o = { 0 };

    if (!c)
        return NULL;
    if (json_dump_callback(c->root, append, &o, JSON_COMPACT) != 0 || o.failed
        || append("", 1, &o) != 0) {
        free(o.s);
        return NULL;
    }
    return o.s;
}

tessera_claims *tessera_claims_dup(const tessera_claims *c)
{
    tessera_claims *d = c ? malloc(sizeof *d) : NULL;
    if (d)
        d->root = json_incref(c->root);   /* shared, never changed: safe across threads */
    return d;
}

void tessera_claims_free(tessera_claims *c)
{
    if (!c)
        return;
    json_decref(c->root);
    free(c);
}
