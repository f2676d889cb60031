/* SPDX-License-Identifier: Apache-2.0 */
/* OAuth 2.0 clients: registration, secrets, authentication, their own tokens. */
#include "core/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audience.h"
#include "core/audit.h"
#include "core/metrics.h"
#include "core/client_cache.h"
#include "core/keyring.h"
#include "core/scope.h"
#include "core/session.h"
#include "base/text.h"
#include "core/token.h"
#include "core/user.h"

#define MAX_TTL (10L * 365 * 24 * 3600)

static const char *const grant_names[] = { "client_credentials", "password",
                                           "refresh_token", "authorization_code", NULL };
static const char *const id_token_algs[] = { "RS256", "ES256", "EdDSA", NULL };
static const char *const method_names[] = { "client_secret_basic", "client_secret_post",
                                            "none", "tls_client_auth",
                                            "self_signed_tls_client_auth", NULL };

static int valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > STORE_CLIENT_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
            return 0;
    return 1;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > STORE_NAME_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return text_utf8_valid(s);    /* the CLI's arguments are not checked by jansson */
}

/* Splits a comma/space list; for each word calls ok(word, n) and appends it to out
 * (space-separated, no duplicates). -1 with why set when a word is refused or the
 * list does not fit. */
static int word_list(const char *in, int (*ok)(const char *, size_t), const char *what,
                     char *out, size_t outlen, char *why, size_t whylen)
{
    const char *p = in ? in : "", *w;
    size_t n;
    out[0] = '\0';
    while (word_next(&p, 1, &w, &n)) {
        if (!ok(w, n)) {
            snprintf(why, whylen, "invalid %s '%.*s'", what, (int)(n > 64 ? 64 : n), w);
            return -1;
        }
        if (scope_append(out, outlen, w, n)) {
            snprintf(why, whylen, "too many %ss", what);
            return -1;
        }
    }
    return 0;
}

static int grant_ok(const char *w, size_t n)
{
    for (int i = 0; grant_names[i]; i++)
        if (strlen(grant_names[i]) == n && memcmp(grant_names[i], w, n) == 0)
            return 1;
    return 0;
}

static int method_ok(const char *w, size_t n)
{
    for (int i = 0; method_names[i]; i++)
        if (strlen(method_names[i]) == n && memcmp(method_names[i], w, n) == 0)
            return 1;
    return 0;
}

/* The canonical form of a list of accepted auth methods (comma/space separated): one
 * method, or the two secret methods, in any order, as CLIENT_SECRET_METHODS. A client
 * stores it as its auth_method and auth_method_pinned (client_fill), and
 * client_auth_methods() gives it back. -1 with why set for anything else. */
static int canon_methods(const char *in, char out[48], char *why, size_t whylen)
{
    char list[128];
    if (word_list(in, method_ok, "auth method", list, sizeof list, why, whylen) < 0 ||
        !list[0]) {
        snprintf(why, whylen, "the auth method must be client_secret_basic, "
                 "client_secret_post (or both), tls_client_auth, "
                 "self_signed_tls_client_auth or none");
        return -1;
    }
    if (!strchr(list, ' ')) {
        snprintf(out, 48, "%.47s", list);    /* one known method */
        return 0;
    }
    if (!strcmp(list, CLIENT_SECRET_METHODS) ||
        !strcmp(list, "client_secret_post client_secret_basic")) {
        snprintf(out, 48, "%s", CLIENT_SECRET_METHODS);
        return 0;
    }
    snprintf(why, whylen, "a client accepts one auth method, or both "
             "client_secret_basic and client_secret_post");
    return -1;
}

/* 1 for the methods that authenticate with a secret (the client then has one). */
static int secret_method(const char *m)
{
    return !strcmp(m, "client_secret_basic") || !strcmp(m, "client_secret_post");
}

const char *client_auth_methods(const struct client_rec *c)
{
    return secret_method(c->auth_method) && !c->auth_method_pinned
               ? CLIENT_SECRET_METHODS : c->auth_method;
}

int client_accepts_method(const struct client_rec *c, const char *method)
{
    return scope_contains(client_auth_methods(c), method, strlen(method));
}

static int scope_word_ok(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)w[i];
        if (!(ch == 0x21 || (ch >= 0x23 && ch <= 0x5B) || (ch >= 0x5D && ch <= 0x7E)))
            return 0;
    }
    return n <= 128;
}

static int uri_ok(const char *w, size_t n)
{
    return client_redirect_uri_ok(w, n);
}

static int ttl_ok(long t)
{
    return t >= 0 && t <= MAX_TTL;
}

int client_allows_grant(const struct client_rec *c, const char *grant)
{
    return scope_contains(c->grants, grant, strlen(grant));
}

/* Validates n and fills every field of *c from it but the id, the secret hash and the
 * times; c->roles_json is malloc'd (client_rec_clear releases it). TS_EINVAL with a
 * sentence in why, or TS_ENOMEM. */
static ts_err client_fill(const struct client_new *n, struct client_rec *c, char *why,
                          size_t whylen)
{
    char method[sizeof c->auth_method];

    if (!n->name || !valid_name(n->name)) {
        snprintf(why, whylen, "a client name is 1 to %d bytes of printable UTF-8 text",
                 STORE_NAME_LEN);
        return TS_EINVAL;
    }
    if (canon_methods(n->auth_method ? n->auth_method
                      : n->is_public ? "none" : CLIENT_SECRET_METHODS,
                      method, why, whylen) < 0)
        return TS_EINVAL;
    int is_public = n->is_public || !strcmp(method, "none");
    int mtls = !strcmp(method, "tls_client_auth") ||
               !strcmp(method, "self_signed_tls_client_auth");
    if (is_public && strcmp(method, "none") != 0) {
        snprintf(why, whylen, "a public client authenticates with 'none'");
        return TS_EINVAL;
    }
    if (!strcmp(method, "tls_client_auth") &&
        (!n->tls_subject_dn || !*n->tls_subject_dn ||
         strlen(n->tls_subject_dn) >= sizeof c->tls_subject_dn)) {
        snprintf(why, whylen, "tls_client_auth needs the certificate's subject DN "
                 "(--tls-subject-dn \"CN=...,O=...\")");
        return TS_EINVAL;
    }
    if (n->tls_subject_dn && !text_utf8_valid(n->tls_subject_dn)) {
        snprintf(why, whylen, "the subject DN is not valid UTF-8 text");
        return TS_EINVAL;
    }
    if (!strcmp(method, "self_signed_tls_client_auth")) {
        const char *t = n->tls_thumbprint;
        int ok = t && strlen(t) == SECRET_TOKEN_CHARS;
        for (size_t i = 0; ok && i < SECRET_TOKEN_CHARS; i++)
            ok = (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') ||
                 (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '_';
        if (!ok) {
            snprintf(why, whylen, "self_signed_tls_client_auth needs the certificate's "
                     "x5t#S256 thumbprint (--tls-thumbprint, 43 base64url characters)");
            return TS_EINVAL;
        }
    }
    if (!mtls && ((n->tls_subject_dn && *n->tls_subject_dn) ||
                  (n->tls_thumbprint && *n->tls_thumbprint))) {
        snprintf(why, whylen, "a subject DN or thumbprint goes with tls_client_auth or "
                 "self_signed_tls_client_auth");
        return TS_EINVAL;
    }
    const char *grants = n->grants ? n->grants
                                   : is_public ? "password refresh_token"
                                               : "client_credentials";
    if (word_list(grants, grant_ok, "grant type", c->grants, sizeof c->grants, why,
                  whylen) < 0)
        return TS_EINVAL;
    if (!c->grants[0]) {
        snprintf(why, whylen, "a client needs at least one grant type");
        return TS_EINVAL;
    }
    if (is_public && client_allows_grant(c, "client_credentials")) {
        snprintf(why, whylen, "a public client cannot use client_credentials");
        return TS_EINVAL;
    }
    if (word_list(n->scopes, scope_word_ok, "scope", c->scopes, sizeof c->scopes, why,
                  whylen) < 0)
        return TS_EINVAL;
    if (audience_list_canonical(n->audiences, c->audiences, sizeof c->audiences, why,
                                whylen) < 0)
        return TS_EINVAL;
    if (!ttl_ok(n->access_ttl) || !ttl_ok(n->refresh_ttl) || !ttl_ok(n->refresh_idle_ttl)) {
        snprintf(why, whylen, "a lifetime is 0 (the server's) to %ld seconds", MAX_TTL);
        return TS_EINVAL;
    }
    if (n->refresh_rotation < -1 || n->refresh_rotation > 1) {
        snprintf(why, whylen, "rotation is on, off or default");
        return TS_EINVAL;
    }
    if (word_list(n->redirect_uris, uri_ok, "redirect URI", c->redirect_uris,
                  sizeof c->redirect_uris, why, whylen) < 0 ||
        word_list(n->post_logout_redirect_uris, uri_ok, "post-logout redirect URI",
                  c->post_logout_redirect_uris, sizeof c->post_logout_redirect_uris,
                  why, whylen) < 0)
        return TS_EINVAL;
    if (client_allows_grant(c, "authorization_code") && !c->redirect_uris[0]) {
        snprintf(why, whylen, "a client with the authorization_code grant needs at "
                 "least one redirect URI");
        return TS_EINVAL;
    }
    const char *bcl = n->backchannel_logout_uri ? n->backchannel_logout_uri : "";
    if (*bcl && (!client_redirect_uri_ok(bcl, strlen(bcl)) ||
                 strlen(bcl) >= sizeof c->backchannel_logout_uri)) {
        snprintf(why, whylen, "the back-channel logout URI is an absolute https URI "
                 "(http on a loopback host) without a fragment");
        return TS_EINVAL;
    }
    /* "" (none given): the server's choice when it signs (client_id_token_alg) */
    const char *alg = n->id_token_alg ? n->id_token_alg : "";
    int alg_ok = !*alg;
    for (int i = 0; id_token_algs[i]; i++)
        alg_ok |= !strcmp(alg, id_token_algs[i]);
    if (!alg_ok) {
        snprintf(why, whylen, "the id token alg is RS256, ES256 or EdDSA");
        return TS_EINVAL;
    }
    snprintf(c->backchannel_logout_uri, sizeof c->backchannel_logout_uri, "%s", bcl);
    snprintf(c->id_token_alg, sizeof c->id_token_alg, "%s", alg);
    c->first_party = n->first_party ? 1 : 0;
    snprintf(c->name, sizeof c->name, "%s", n->name);
    /* Either secret method: stored as client_secret_basic (what a reader of one
     * method, RFC 7591's token_endpoint_auth_method, should use), not pinned. */
    c->auth_method_pinned = strcmp(method, CLIENT_SECRET_METHODS) != 0;
    snprintf(c->auth_method, sizeof c->auth_method, "%s",
             c->auth_method_pinned ? method : "client_secret_basic");
    c->is_public = is_public;
    c->disabled = n->disabled ? 1 : 0;
    c->refresh_rotation = n->refresh_rotation;
    c->access_ttl = n->access_ttl;
    c->refresh_ttl = n->refresh_ttl;
    c->refresh_idle_ttl = n->refresh_idle_ttl;
    snprintf(c->tls_subject_dn, sizeof c->tls_subject_dn, "%s",
             n->tls_subject_dn ? n->tls_subject_dn : "");
    snprintf(c->tls_thumbprint, sizeof c->tls_thumbprint, "%s",
             n->tls_thumbprint ? n->tls_thumbprint : "");
    free(c->roles_json);
    return scope_roles_json(n->roles, &c->roles_json, why, whylen);
}

static int mtls_method(const char *m)
{
    return !strcmp(m, "tls_client_auth") || !strcmp(m, "self_signed_tls_client_auth");
}

/* A client's id_token_signed_response_alg must be one the server signs with: the
 * access tokens' (tokens.algorithm) or one of oidc.id_token_algs. */
static ts_err id_token_alg_signable(const struct config *cfg, const char *alg, char *why,
                                    size_t whylen)
{
    if (!*alg || !strcmp(alg, cfg->algorithm) ||
        scope_contains(cfg->id_token_algs, alg, strlen(alg)))
        return TS_OK;
    snprintf(why, whylen, "this server signs ID tokens with %s%s%s only: add %s to "
             "oidc.id_token_algs first", cfg->algorithm, *cfg->id_token_algs ? " " : "",
             cfg->id_token_algs, alg);
    return TS_EINVAL;
}

const char *client_id_token_alg(struct app *a, const struct client_rec *c)
{
    if (c->id_token_alg[0])
        return c->id_token_alg;
    return keyring_can_sign(a->keys, "RS256") ? "RS256" : a->cfg.algorithm;
}

ts_err client_create(struct app *a, const struct actor *by, const struct client_new *n,
                     struct client_rec *out, char secret[SECRET_TOKEN_CHARS + 1],
                     char *why, size_t whylen)
{
    struct client_rec c = { 0 };
    ts_err err;

    secret[0] = '\0';
    if (n->id && !valid_id(n->id)) {
        snprintf(why, whylen, "a client id is 1 to %d printable ASCII characters "
                 "without spaces", STORE_CLIENT_ID_LEN);
        return TS_EINVAL;
    }
    if ((err = scope_roles_known(&a->cfg, n->roles, why, whylen)))
        return err;
    if ((err = client_fill(n, &c, why, whylen)) ||
        (err = id_token_alg_signable(&a->cfg, c.id_token_alg, why, whylen)))
        goto out;
    if (n->id)
        snprintf(c.id, sizeof c.id, "%s", n->id);
    else if ((err = secret_id(c.id)))
        goto out;
    /* A token's `sub` is a user id or a client id: the two must never be equal, or
     * whatever reads `sub` without its kind would take one for the other. User ids
     * are always generated, so only a chosen client id can meet one. */
    struct user_rec same = { 0 };
    err = store_user_get(a->st, USER_BY_ID, c.id, &same);
    user_rec_clear(&same);
    if (err == TS_OK) {
        snprintf(why, whylen, "a user has this id; a client id must differ from every "
                 "user id");
        err = TS_ECONFLICT;
        goto out;
    }
    if (err != TS_ENOTFOUND)
        goto out;
    c.created_at = c.updated_at = (int64_t)time(NULL);
    if (secret_method(c.auth_method)) {
        if ((err = secret_token(secret)))
            goto out;
        secret_hash(secret, SECRET_TOKEN_CHARS, c.secret_hash);
    }
    err = store_client_insert(a->st, &c);
    if (err == TS_ECONFLICT)
        snprintf(why, whylen, "a client with this id already exists");
    if (!err) {
        client_cache_forget(a, c.id);       /* it may be remembered as unknown */
        audit_admin(a, by, "admin.client.create", NULL, c.id, NULL);
        if (out) {
            *out = c;
            memset(&c, 0, sizeof c);
        }
    }
out:
    if (err)
        secret_wipe(secret, SECRET_TOKEN_CHARS + 1);
    client_rec_clear(&c);
    return err;
}

ts_err client_rotate_secret(struct app *a, const struct actor *by, struct client_rec *c,
                            char secret[SECRET_TOKEN_CHARS + 1])
{
    char old[sizeof c->secret_hash];
    ts_err err;

    secret[0] = '\0';
    if (c->is_public || !c->secret_hash[0])
        return TS_EINVAL;
    if ((err = secret_token(secret)))
        return err;
    memcpy(old, c->secret_hash, sizeof old);
    secret_hash(secret, SECRET_TOKEN_CHARS, c->secret_hash);
    c->updated_at = (int64_t)time(NULL);
    if ((err = store_client_update(a->st, c))) {
        secret_wipe(secret, SECRET_TOKEN_CHARS + 1);
        memcpy(c->secret_hash, old, sizeof old);
    }
    secret_wipe(old, sizeof old);
    client_cache_forget(a, c->id);
    if (!err)
        audit_admin(a, by, "admin.client.rotate_secret", NULL, c->id, NULL);
    return err;
}

/* The JSON array of roles as a space-separated list (malloc'd; NULL on OOM). */
static char *roles_words(const char *roles_json)
{
    json_t *arr = json_loads(roles_json ? roles_json : "[]", 0, NULL), *v;
    size_t i, n = 1;
    char *out;

    json_array_foreach(arr, i, v)
        n += json_is_string(v) ? json_string_length(v) + 1 : 0;
    if ((out = malloc(n)))
        out[0] = '\0';
    json_array_foreach(arr, i, v)
        if (out && json_is_string(v)) {
            if (out[0])
                strcat(out, " ");
            strcat(out, json_string_value(v));
        }
    json_decref(arr);
    return out;
}

/* The API names of the fields a patch sets (disabled apart), or NULL when none. */
static json_t *patched_fields(const struct client_patch *p)
{
    static const char *const names[] = {
        "name", "grant_types", "scopes", "roles", "token_endpoint_auth_method",
        "tls_client_auth_subject_dn", "tls_client_auth_x5t_s256", "refresh_rotation",
        "access_ttl", "refresh_ttl", "refresh_idle_ttl", "audiences",
        "redirect_uris", "post_logout_redirect_uris", "first_party",
        "backchannel_logout_uri", "id_token_signed_response_alg",
    };
    int set[] = {
        p->name != NULL, p->grants != NULL, p->scopes != NULL, p->roles != NULL,
        p->auth_method != NULL, p->tls_subject_dn != NULL, p->tls_thumbprint != NULL,
        p->refresh_rotation >= -1, p->access_ttl >= 0, p->refresh_ttl >= 0,
        p->refresh_idle_ttl >= 0, p->audiences != NULL,
        p->redirect_uris != NULL, p->post_logout_redirect_uris != NULL,
        p->first_party >= 0, p->backchannel_logout_uri != NULL, p->id_token_alg != NULL,
    };
    return audit_field_names(names, set, sizeof names / sizeof names[0]);
}

ts_err client_update(struct app *a, const struct actor *by, struct client_rec *c,
                     const struct client_patch *p, char *why, size_t whylen)
{
    struct client_rec nc = { 0 };
    char *roles = NULL;
    ts_err err = TS_EINVAL;

    char method[sizeof c->auth_method];
    snprintf(why, whylen, "invalid request");
    if (canon_methods(p->auth_method ? p->auth_method : client_auth_methods(c), method,
                      why, whylen) < 0)
        return TS_EINVAL;
    const char *first = strcmp(method, CLIENT_SECRET_METHODS) ? method
                                                              : "client_secret_basic";
    if (strcmp(first, c->auth_method) != 0 &&
        !(secret_method(first) && secret_method(c->auth_method)) &&
        !(mtls_method(method) && mtls_method(c->auth_method))) {
        snprintf(why, whylen, "the auth method can change among client_secret_basic, "
                 "client_secret_post and both, or between tls_client_auth and "
                 "self_signed_tls_client_auth; for another, create a new client");
        return TS_EINVAL;
    }
    /* Only roles given now are checked: a role since removed from the configuration
     * must not stop an update (disabling the client, say). */
    if (p->roles && (err = scope_roles_known(&a->cfg, p->roles, why, whylen)))
        return err;
    if (!p->roles && !(roles = roles_words(c->roles_json)))
        return TS_ENOMEM;
    /* An mTLS client keeps only the certificate detail of its (new) method. */
    const char *dn = p->tls_subject_dn ? p->tls_subject_dn
                   : !strcmp(method, "tls_client_auth") ? c->tls_subject_dn : NULL;
    const char *x5t = p->tls_thumbprint ? p->tls_thumbprint
                    : !strcmp(method, "self_signed_tls_client_auth") ? c->tls_thumbprint
                                                                      : NULL;
    struct client_new n = {
        .name = p->name ? p->name : c->name,
        .grants = p->grants ? p->grants : c->grants,
        .scopes = p->scopes ? p->scopes : c->scopes,
        .roles = p->roles ? p->roles : roles,
        .auth_method = method,
        .is_public = c->is_public,
        .disabled = p->disabled >= 0 ? p->disabled : c->disabled,
        .refresh_rotation = p->refresh_rotation >= -1 ? p->refresh_rotation
                                                      : c->refresh_rotation,
        .access_ttl = p->access_ttl >= 0 ? p->access_ttl : (long)c->access_ttl,
        .refresh_ttl = p->refresh_ttl >= 0 ? p->refresh_ttl : (long)c->refresh_ttl,
        .refresh_idle_ttl = p->refresh_idle_ttl >= 0 ? p->refresh_idle_ttl
                                                     : (long)c->refresh_idle_ttl,
        .tls_subject_dn = dn,
        .tls_thumbprint = x5t,
        .audiences = p->audiences ? p->audiences : c->audiences,
        .redirect_uris = p->redirect_uris ? p->redirect_uris : c->redirect_uris,
        .post_logout_redirect_uris = p->post_logout_redirect_uris
                                         ? p->post_logout_redirect_uris
                                         : c->post_logout_redirect_uris,
        .first_party = p->first_party >= 0 ? p->first_party : c->first_party,
        .backchannel_logout_uri = p->backchannel_logout_uri ? p->backchannel_logout_uri
                                                            : c->backchannel_logout_uri,
        .id_token_alg = p->id_token_alg ? p->id_token_alg : c->id_token_alg,
    };
    if ((err = client_fill(&n, &nc, why, whylen)) ||
        (p->id_token_alg &&
         (err = id_token_alg_signable(&a->cfg, nc.id_token_alg, why, whylen))))
        goto out;
    memcpy(nc.id, c->id, sizeof nc.id);
    memcpy(nc.secret_hash, c->secret_hash, sizeof nc.secret_hash);
    nc.created_at = c->created_at;
    nc.updated_at = (int64_t)time(NULL);
    if ((err = store_client_update(a->st, &nc)))
        goto out;
    client_cache_forget(a, c->id);
    client_rec_clear(c);
    *c = nc;
    memset(&nc, 0, sizeof nc);
    json_t *fields = patched_fields(p);
    if (fields)
        audit_admin(a, by, "admin.client.update", NULL, c->id,
                    json_pack("{s:o}", "fields", fields));
    if (p->disabled >= 0)
        audit_admin(a, by, p->disabled ? "admin.client.disable" : "admin.client.enable",
                    NULL, c->id, NULL);
out:
    free(roles);
    client_rec_clear(&nc);
    return err;
}

ts_err client_delete(struct app *a, const struct actor *by, const struct client_rec *c)
{
    ts_err err = store_client_delete(a->st, c->id, (int64_t)time(NULL));
    client_cache_forget(a, c->id);
    if (!err)
        audit_admin(a, by, "admin.client.delete", NULL, c->id, NULL);
    return err;
}

static const char *kind_method(enum client_auth_kind k)
{
    return k == CLIENT_AUTH_BASIC ? "client_secret_basic"
         : k == CLIENT_AUTH_POST  ? "client_secret_post" : "none";
}

ts_err client_authenticate(struct app *a, enum client_auth_kind kind, const char *id,
                           const char *secret, size_t secret_len,
                           const struct client_cert *cert, struct client_rec *out,
                           int *bound, char *why, size_t whylen)
{
    char presented[SECRET_TOKEN_CHARS + 1];
    /* Compared against when the client is unknown or has no secret, so every attempt
     * costs one hash and one comparison. */
    char no_match[SECRET_TOKEN_CHARS + 1];
    ts_err err;

    memset(out, 0, sizeof *out);
    if (bound)
        *bound = 0;
    memset(no_match, '!', SECRET_TOKEN_CHARS);   /* not base64url: matches no hash */
    no_match[SECRET_TOKEN_CHARS] = '\0';
    snprintf(why, whylen, "%s", ts_err_description(TS_ECLIENT));
    secret_hash(secret ? secret : "", secret ? secret_len : 0, presented);
    err = valid_id(id) ? client_cache_get(a, id, out) : TS_ENOTFOUND;
    if (err && err != TS_ENOTFOUND)
        return err;
    const char *stored = !err && out->secret_hash[0] ? out->secret_hash : no_match;
    int secret_ok = secret_equal(presented, stored, SECRET_TOKEN_CHARS);
    secret_wipe(presented, sizeof presented);
    if (err) {
        /* Recorded like a known client's failure, which also makes both cost the
         * same: the time of the answer does not tell which ids exist. */
        client_rec_clear(out);
        audit(a, "client.auth.failure", NULL, valid_id(id) ? id : NULL, NULL,
              json_pack("{s:s}", "reason", "unknown_client"));
        return TS_ECLIENT;
    }
    int dn_auth = !strcmp(out->auth_method, "tls_client_auth");
    int self_auth = !strcmp(out->auth_method, "self_signed_tls_client_auth");
    const char *reason = "credentials";
    if (dn_auth || self_auth) {
        /* RFC 8705 2: client_id in the body, the certificate on the connection. */
        if (kind != CLIENT_AUTH_PUBLIC) {
            snprintf(why, whylen, "This client must authenticate with its TLS client "
                     "certificate (%s), not a secret.", out->auth_method);
            err = TS_ECLIENT;
        } else if (!cert || !cert->present) {
            snprintf(why, whylen, "This client must present its TLS client certificate.");
            reason = "no_certificate";
            err = TS_ECLIENT;
        } else if (dn_auth ? !cert->trusted || strcmp(cert->dn, out->tls_subject_dn) != 0
                           : !secret_equal(cert->x5t, out->tls_thumbprint,
                                           SECRET_TOKEN_CHARS + 1)) {
            reason = "certificate";
            err = TS_ECLIENT;
        } else if (bound) {
            *bound = 1;
        }
    } else if (!client_accepts_method(out, kind_method(kind))) {
        snprintf(why, whylen, "This client must authenticate with %s.",
                 out->is_public ? "its client_id alone (it is public)"
                 : !strcmp(client_auth_methods(out), CLIENT_SECRET_METHODS)
                     ? "client_secret_basic or client_secret_post"
                     : out->auth_method);
        err = TS_ECLIENT;
    } else if (kind != CLIENT_AUTH_PUBLIC && !secret_ok) {
        err = TS_ECLIENT;
    }
    if (!err && out->disabled) {
        snprintf(why, whylen, "%s", ts_err_description(TS_ECLIENT));
        err = TS_ECLIENT;
    }
    if (err) {
        audit(a, "client.auth.failure", NULL, out->id, NULL,
              json_pack("{s:s}", "reason", out->disabled ? "disabled" : reason));
        client_rec_clear(out);
        if (bound)
            *bound = 0;
    }
    return err;
}

long client_access_ttl(const struct app *a, const struct client_rec *c)
{
    return c && c->access_ttl ? (long)c->access_ttl : a->cfg.access_ttl;
}

long client_refresh_ttl(const struct app *a, const struct client_rec *c)
{
    return c && c->refresh_ttl ? (long)c->refresh_ttl : a->cfg.refresh_ttl;
}

long client_idle_ttl(const struct app *a, const struct client_rec *c)
{
    long idle = c && c->refresh_idle_ttl ? (long)c->refresh_idle_ttl
                                         : a->cfg.refresh_idle_ttl;
    long abs = client_refresh_ttl(a, c);
    return idle < abs ? idle : abs;
}

int client_rotation(const struct app *a, const struct client_rec *c)
{
    return c && c->refresh_rotation >= 0 ? c->refresh_rotation : a->cfg.refresh_rotation;
}

ts_err client_issue_token(struct app *a, const struct client_rec *c, const char *scope,
                          const char *audience, const char *cnf_x5t,
                          struct token_set *out)
{
    ts_err err;
    memset(out, 0, sizeof *out);
    if ((err = scope_grant(&a->cfg, c->roles_json, scope, out->scope)) ||
        (err = scope_restrict(c->scopes, scope && *scope, out->scope)) ||
        (err = audience_allowed(&a->cfg, NULL, c, audience, out->why, sizeof out->why)))
        return err;
    struct token_claims tc = {
        .sub = c->id, .client_id = c->id, .scope = out->scope, .sid = NULL,
        .roles_json = c->roles_json, .ttl = client_access_ttl(a, c),
        .cnf_x5t = cnf_x5t, .audience = audience,
    };
    out->expires_in = tc.ttl;
    if ((err = token_issue(a, &tc, &out->access_token, NULL)))
        return err;
    audit_count(a, "client.token", c->id, out->scope);
    metrics_inc(METRIC_TOKEN_CLIENT_CREDENTIALS);
    return TS_OK;
}

json_t *client_to_json(const struct client_rec *c)
{
    char created[32], updated[32];
    json_t *roles = json_loads(c->roles_json ? c->roles_json : "[]", 0, NULL);
    json_t *lists[6] = { json_array(), json_array(), json_array(), json_array(),
                         json_array(), json_array() };
    const char *words[6] = { c->grants, c->scopes, c->audiences, client_auth_methods(c),
                             c->redirect_uris, c->post_logout_redirect_uris };
    user_time(c->created_at, created);
    user_time(c->updated_at, updated);
    if (!lists[0] || !lists[1] || !lists[2] || !lists[3] || !lists[4] || !lists[5]) {
        for (int i = 0; i < 6; i++)
            json_decref(lists[i]);
        json_decref(roles);
        return NULL;
    }
    for (int i = 0; i < 6; i++) {
        const char *p = words[i], *w;
        size_t n;
        while (word_next(&p, 0, &w, &n))
            json_array_append_new(lists[i], json_stringn(w, n));
    }
    /* RFC 7591's single method (client_secret_basic when the client takes either),
     * then every method it accepts. */
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:b, s:b, s:s, s:I, s:I, "
                     "s:I, s:s*, s:s*, s:s, s:s, s:o, s:o, s:b, s:s*, s:s?}",
                     "client_id", c->id, "name", c->name, "grant_types", lists[0],
                     "scopes", lists[1], "audiences", lists[2],
                     "roles", roles ? roles : json_array(),
                     "token_endpoint_auth_method", c->auth_method,
                     "token_endpoint_auth_methods", lists[3],
                     "public", c->is_public, "disabled", c->disabled,
                     "refresh_rotation", c->refresh_rotation < 0 ? "default"
                                         : c->refresh_rotation ? "on" : "off",
                     "access_ttl", (json_int_t)c->access_ttl,
                     "refresh_ttl", (json_int_t)c->refresh_ttl,
                     "refresh_idle_ttl", (json_int_t)c->refresh_idle_ttl,
                     "tls_client_auth_subject_dn",
                     c->tls_subject_dn[0] ? c->tls_subject_dn : NULL,
                     "tls_client_auth_x5t_s256",
                     c->tls_thumbprint[0] ? c->tls_thumbprint : NULL,
                     "created_at", created, "updated_at", updated,
                     "redirect_uris", lists[4], "post_logout_redirect_uris", lists[5],
                     "first_party", c->first_party,
                     "backchannel_logout_uri",
                     c->backchannel_logout_uri[0] ? c->backchannel_logout_uri : NULL,
                     "id_token_signed_response_alg",
                     c->id_token_alg[0] ? c->id_token_alg : NULL);
}

ts_err client_get(struct app *a, const char *id, struct client_rec *out)
{
    return store_client_get(a->st, id, out);
}

ts_err client_list(struct app *a, const char *after, int limit, client_cb cb,
                   void *ctx)
{
    return store_client_list(a->st, after, limit, cb, ctx);
}
