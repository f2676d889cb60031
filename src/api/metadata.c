/* SPDX-License-Identifier: Apache-2.0 */
/* GET /.well-known/oauth-authorization-server (RFC 8414) and
 * /.well-known/openid-configuration (OpenID Connect Discovery 1.0 3): the server's
 * metadata, one document built once; the OpenID one adds the OpenID Connect members.
 * Only what tessera does, nothing it does not. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/keyring.h"
#include "core/oidc_claims.h"
#include "core/scope.h"

static json_t *url(const struct app *a, const char *path)
{
    char u[sizeof a->cfg.issuer + 64];
    size_t n = strlen(a->cfg.issuer);
    /* "https://auth.example/" + "/oauth2/token" must not give "//". */
    snprintf(u, sizeof u, "%.*s%s", (int)(n && a->cfg.issuer[n - 1] == '/' ? n - 1 : n),
             a->cfg.issuer, path);
    return json_string(u);
}

/* Every scope a configured role grants, in configuration order, once each. */
static json_t *scopes_supported(const struct config *c)
{
    json_t *arr = json_array();
    char seen[CONFIG_MAX_ROLES * CONFIG_STR] = "";
    for (int r = 0; arr && r < c->nroles; r++) {
        const char *p = c->roles[r].scopes, *w;
        size_t n;
        while (word_next(&p, 0, &w, &n))
            if (!scope_contains(seen, w, n) &&
                scope_append(seen, sizeof seen, w, n) == TS_OK)
                json_array_append_new(arr, json_stringn(w, n));
    }
    return arr;
}

/* The RFC 8414 members. NULL on OOM. */
static json_t *metadata(struct request *req)
{
    const struct app *a = req->app;
    json_t *o = json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:o, s:[ssss], s:[s], s:[ss], s:[s], s:b, s:[ss], "
        "s:[sss], s:[sss], s:o, s:[s]}",
        "issuer", a->cfg.issuer,
        "authorization_endpoint", url(a, "/oauth2/authorize"),
        "token_endpoint", url(a, "/oauth2/token"),
        "jwks_uri", url(a, "/.well-known/jwks.json"),
        "revocation_endpoint", url(a, "/oauth2/revoke"),
        "introspection_endpoint", url(a, "/oauth2/introspect"),
        "grant_types_supported", "client_credentials", "password", "refresh_token",
        "authorization_code",
        "response_types_supported", "code",
        "response_modes_supported", "query", "form_post",
        "code_challenge_methods_supported", "S256",
        "authorization_response_iss_parameter_supported", 1,
        "token_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post",
        "revocation_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post", "none",
        "introspection_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post", "none",
        "scopes_supported", scopes_supported(&a->cfg),
        "token_types_supported", "Bearer");
    if (!o)
        return NULL;
    /* Public clients authenticate at the token endpoint with their client_id alone. */
    json_array_append_new(json_object_get(o, "token_endpoint_auth_methods_supported"),
                          json_string("none"));
    /* Public clients may revoke but not introspect. */
    json_array_remove(json_object_get(o, "introspection_endpoint_auth_methods_supported"),
                      2);
    /* RFC 8705 once client certificates can reach us: TLS with a client CA (the
     * handshake then asks for one), or a trusted proxy's certificate header. */
    if ((req->is_tls && a->cfg.tls_client_ca_file[0]) || a->cfg.client_cert_header[0]) {
        static const char *const lists[] = {
            "token_endpoint_auth_methods_supported",
            "revocation_endpoint_auth_methods_supported",
            "introspection_endpoint_auth_methods_supported" };
        for (int i = 0; i < 3; i++) {
            json_t *l = json_object_get(o, lists[i]);
            json_array_append_new(l, json_string("tls_client_auth"));
            json_array_append_new(l, json_string("self_signed_tls_client_auth"));
        }
        json_object_set_new(o, "tls_client_certificate_bound_access_tokens", json_true());
    }
    return o;
}

static ts_err answer(struct response *res, json_t *o)
{
    if (!o)
        return TS_ENOMEM;
    ts_err err = http_json(res, 200, o);
    if (!err)
        http_add_header(res, "Cache-Control", "public, max-age=300");
    return err;
}

ts_err api_oauth2_metadata(struct request *req, struct response *res)
{
    return answer(res, metadata(req));
}

/* The algorithms ID tokens can be signed with now: those the key ring holds a signing
 * key of (oidc.id_token_algs, and tokens.algorithm), RS256 first. */
static json_t *id_token_algs(struct app *a)
{
    static const char *const algs[] = { "RS256", "ES256", "EdDSA", "PS256" };
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < sizeof algs / sizeof *algs; i++)
        if (keyring_can_sign(a->keys, algs[i]))
            json_array_append_new(arr, json_string(algs[i]));
    return arr;
}

ts_err api_openid_configuration(struct request *req, struct response *res)
{
    struct app *a = req->app;
    json_t *o = metadata(req);
    json_t *claims = json_array();
    for (int i = 0; claims && oidc_claims_supported[i]; i++)
        json_array_append_new(claims, json_string(oidc_claims_supported[i]));
    if (!o || !claims ||
        json_object_set_new(o, "userinfo_endpoint", url(a, "/userinfo")) ||
        json_object_set_new(o, "id_token_signing_alg_values_supported",
                            id_token_algs(a)) ||
        json_object_set_new(o, "subject_types_supported", json_pack("[s]", "public")) ||
        json_object_set_new(o, "claims_supported", claims) ||
        json_object_set_new(o, "claims_parameter_supported", json_false()) ||
        json_object_set_new(o, "request_parameter_supported", json_false()) ||
        json_object_set_new(o, "request_uri_parameter_supported", json_false())) {
        json_decref(o);
        return TS_ENOMEM;
    }
    return answer(res, o);
}
