/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OAuth 2.0 clients (docs/oauth2.md): registration with validation, secrets (256
 * random bits, shown once, stored as SHA-256), authentication, the client's own
 * tokens (client_credentials) and the public JSON view. Shared by the operator CLI and
 * the HTTP API.
 */
#ifndef CORE_CLIENT_H
#define CORE_CLIENT_H

#include <jansson.h>

#include "core/app.h"
#include "base/secret.h"

struct token_set;
struct actor;

struct client_new {
    const char *name;           /* required */
    const char *id;             /* NULL: generated */
    const char *grants;         /* comma/space separated; NULL: the defaults */
    const char *scopes;         /* comma/space separated; NULL: no limit */
    const char *roles;          /* comma/space separated; NULL: none */
    const char *auth_method;    /* the methods it accepts, comma/space separated: one
                                 * method (the client is pinned to it), or
                                 * client_secret_basic and client_secret_post
                                 * together; NULL: those two, or none when public */
    int is_public;
    int disabled;
    int refresh_rotation;       /* -1 server default, 0 off, 1 on */
    long access_ttl, refresh_ttl, refresh_idle_ttl;   /* 0: server default */
    const char *tls_subject_dn;  /* tls_client_auth: the certificate's subject DN */
    const char *tls_thumbprint;  /* self_signed_tls_client_auth: its x5t#S256 */
    const char *audiences;      /* comma/space separated (core/audience.h); NULL: no
                                 * limit of its own */
    /* The browser flow (docs/oidc.md). URIs are checked by client_redirect_uri_ok. */
    const char *redirect_uris;  /* comma/space separated; NULL: none */
    const char *post_logout_redirect_uris;  /* the same */
    int first_party;            /* 1: consent is never asked */
    const char *backchannel_logout_uri;     /* NULL or "": none */
    const char *id_token_alg;   /* RS256, ES256 or EdDSA; NULL: RS256 */
};

/* Validates and inserts a client, recorded as admin.client.create by `by`. A
 * confidential client's new secret goes to `secret` ("" for a public one). TS_EINVAL
 * (why set) for a bad field, TS_ECONFLICT for a taken id. *out (may be NULL) receives
 * the row; clear it with client_rec_clear(). */
ts_err client_create(struct app *a, const struct actor *by, const struct client_new *n,
                     struct client_rec *out, char secret[SECRET_TOKEN_CHARS + 1],
                     char *why, size_t whylen);

/* Replaces the secret of a confidential client: the old one stops working at once.
 * TS_EINVAL for a client without a secret (public or mTLS). Recorded as
 * admin.client.rotate_secret. */
ts_err client_rotate_secret(struct app *a, const struct actor *by, struct client_rec *c,
                            char secret[SECRET_TOKEN_CHARS + 1]);

/* An operator's change to a client: NULL pointers, a negative `disabled` or TTL and a
 * refresh_rotation below -1 leave that field as it is. Lists are comma or space
 * separated ("" empties scopes and roles). */
struct client_patch {
    const char *name, *grants, *scopes, *roles;
    const char *auth_method;    /* as in client_new, only within its family: the
                                 * secret methods (client_secret_basic,
                                 * client_secret_post, both), or tls_client_auth <->
                                 * self_signed_tls_client_auth */
    const char *tls_subject_dn, *tls_thumbprint;
    const char *audiences;      /* "" empties the list */
    int disabled;               /* 1, 0; -1: unchanged */
    int refresh_rotation;       /* -1 server default, 0 off, 1 on; -2: unchanged */
    long access_ttl, refresh_ttl, refresh_idle_ttl;   /* -1: unchanged */
    const char *redirect_uris, *post_logout_redirect_uris;   /* "" empties the list */
    int first_party;            /* 1, 0; -1: unchanged */
    const char *backchannel_logout_uri;   /* "" removes it */
    const char *id_token_alg;
};
#define CLIENT_PATCH_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, -2, -1, \
                            -1, -1, NULL, NULL, -1, NULL, NULL }

/* Validates the patched client as client_create would (TS_EINVAL, why set) and stores
 * it; *c holds the new row on success, is unchanged on error. Recorded as
 * admin.client.update {"fields": [...]}, and admin.client.disable / enable when the
 * patch sets `disabled`. Disabling refuses the client's authentication from then on;
 * tokens it already holds run out. */
ts_err client_update(struct app *a, const struct actor *by, struct client_rec *c,
                     const struct client_patch *p, char *why, size_t whylen);

/* Removes the client and revokes every session obtained through it; recorded as
 * admin.client.delete. */
ts_err client_delete(struct app *a, const struct actor *by, const struct client_rec *c);

/* How a request presented its client credentials. */
enum client_auth_kind {
    CLIENT_AUTH_BASIC,          /* Authorization: Basic */
    CLIENT_AUTH_POST,           /* client_id and client_secret in the body */
    CLIENT_AUTH_PUBLIC          /* client_id alone: a public client, or mTLS */
};

/* A TLS client certificate as presented (RFC 8705), read by the HTTP layer. */
struct client_cert {
    int present;               /* a certificate was presented */
    int trusted;               /* it chains to tls.client_ca_file and is valid now */
    char x5t[48];              /* x5t#S256: base64url SHA-256 of its DER */
    char dn[512];              /* subject DN, RFC 4514 ("CN=a,O=b") */
};

/* The methods a client with a secret accepts unless it is pinned to one. */
#define CLIENT_SECRET_METHODS "client_secret_basic client_secret_post"

/* The methods the client accepts, space-separated: its auth_method, or
 * CLIENT_SECRET_METHODS for a client with a secret not pinned to one. */
const char *client_auth_methods(const struct client_rec *c);

/* 1 when the client accepts token endpoint authentication method `method`. */
int client_accepts_method(const struct client_rec *c, const char *method);

/* Authenticates a client: known, enabled, registered for this kind of authentication,
 * and holding the right secret (compared in constant time) or, for RFC 8705 clients,
 * presenting the right certificate `cert` (may be NULL): for tls_client_auth one that
 * chains to the configured CA with the registered subject DN, for
 * self_signed_tls_client_auth one with the registered thumbprint. TS_ECLIENT
 * otherwise, with a sentence in why that reveals nothing about the secret. The cost
 * is the same whether or not the client exists. *bound (may be NULL) is set to 1 when
 * the client authenticated with its certificate (its tokens get bound to it). */
ts_err client_authenticate(struct app *a, enum client_auth_kind kind, const char *id,
                           const char *secret, size_t secret_len,
                           const struct client_cert *cert, struct client_rec *out,
                           int *bound, char *why, size_t whylen);

/* 1 when `uri` may be registered as a redirect URI (or a post-logout or back-channel
 * logout URI): at most 1000 bytes of printable ASCII without spaces, absolute, no
 * fragment, no user info, and https, or http only on a loopback host (127.0.0.1,
 * [::1], localhost). A comma is refused too: lists of URIs are comma or space
 * separated. */
int client_redirect_uri_ok(const char *uri, size_t n);

/* 1 when `uri` is one of the client's registered redirect URIs: the same string
 * exactly, or (RFC 8252 section 7.3) a registered http://127.0.0.1 or http://[::1]
 * URI with another port (or none) and the rest identical. Nothing is decoded or
 * normalised. */
int client_redirect_allowed(const struct client_rec *c, const char *uri);

/* The same for the client's post-logout redirect URIs (exact match only). */
int client_post_logout_allowed(const struct client_rec *c, const char *uri);

/* 1 when the client may use grant type `grant`. */
int client_allows_grant(const struct client_rec *c, const char *grant);

/* The effective lifetimes and rotation of a client (its own, else the server's);
 * c may be NULL for the native API. */
long client_access_ttl(const struct app *a, const struct client_rec *c);
long client_refresh_ttl(const struct app *a, const struct client_rec *c);
long client_idle_ttl(const struct app *a, const struct client_rec *c);
int client_rotation(const struct app *a, const struct client_rec *c);

/* client_credentials: an access token whose subject is the client, scopes from its
 * roles cut to its allowed scopes, for the audience asked (a canonical list; NULL or
 * "": the default), bound to the certificate `cnf_x5t` (NULL: none). TS_ESCOPE for a
 * scope it may not have; TS_ETARGET (out->why set) for an audience it may not ask for
 * (audience_allowed()). A token issued is counted (client.token audit count, the
 * client_credentials metric). */
/* The algorithm of the client's ID tokens: its id_token_signed_response_alg, else
 * RS256 (OpenID Connect's default) when the key ring has an RS256 key
 * (oidc.id_token_algs), else the access tokens' algorithm. */
const char *client_id_token_alg(struct app *a, const struct client_rec *c);

ts_err client_issue_token(struct app *a, const struct client_rec *c, const char *scope,
                          const char *audience, const char *cnf_x5t,
                          struct token_set *out);

/* The client as JSON, never its secret or the secret's hash; NULL on OOM. */
json_t *client_to_json(const struct client_rec *c);

/* The client with this id as stored now, for operators (TS_ENOTFOUND when none):
 * not the cache of client_cache_get, so a change another process made a moment ago
 * is seen. Clear *out with client_rec_clear. */
ts_err client_get(struct app *a, const char *id, struct client_rec *out);

/* Clients ordered by id, those with id > after ("" for the start), at most limit
 * (0: every client); see store_client_list. */
ts_err client_list(struct app *a, const char *after, int limit, client_cb cb,
                   void *ctx);

#endif
