/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration: built-in defaults, then an INI file, then TESSERA_<SECTION>_<KEY>
 * environment variables, then --set section.key=value flags, each overriding the one
 * before. Every key is described once, in the table in config.c; unknown keys are
 * errors. Parsing only: nothing here acts on the values.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_ROLES 32
#define CONFIG_STR 512

struct role_conf {
    char name[64];
    char scopes[CONFIG_STR];          /* space-separated scopes the role may get */
    char default_scopes[CONFIG_STR];  /* given when a login asks for none */
    char audiences[CONFIG_STR];       /* audiences (RFC 8707 resources) its users may
                                       * ask for besides the default (core/audience.h) */
};

#define CONFIG_MAX_POLICIES 64

/* [policy.NAME]: a forward-auth rule (docs/forward-auth.md), in file order. */
struct policy_conf {
    char name[64];
    char path[256];                   /* glob: '*' any characters, '?' one */
    char methods[64];                 /* space-separated; "": any method */
    char roles[CONFIG_STR];           /* the token needs one of these; "": no need */
    char scopes[CONFIG_STR];          /* the token needs all of these */
    char audience[256];               /* the token's aud must name this; "":
                                       * verify.audience */
    int public_;                      /* no token needed */
};

struct config {
    /* [server] */
    char listen[128];
    int threads;                      /* 0: one per core */
    char issuer[256];                 /* "" until config_finish(): http://<listen> */
    int issuer_from_listen;           /* 1 when config_finish() derived the issuer */
    char audience[256];               /* the server's own API: its Bearer routes
                                       * accept a token whose aud names this */
    long max_body;
    long max_header;
    long connection_timeout;
    long request_timeout;             /* seconds to deliver one whole request */
    char trusted_proxies[CONFIG_STR]; /* addresses/CIDRs whose X-Forwarded-For counts */
    int max_connections_per_ip;       /* open connections one client address may hold
                                       * on a listener (trusted proxies exempt); 0: no
                                       * cap (http/conncap.h) */
    char compat[CONFIG_STR];          /* compat profiles to mount, comma/space list */
    char client_cert_header[128];     /* a trusted proxy's header with the client's
                                       * certificate (URL-escaped PEM); "": none */
    /* [tls] */
    char tls_cert_file[CONFIG_STR], tls_key_file[CONFIG_STR];
    char tls_client_ca_file[CONFIG_STR];  /* enables client certificates */
    char tls_client_certs[16];        /* "optional" or "required" */
    char tls_plain_listen[128];       /* a second, plain-HTTP listener; "": none */
    /* [database] */
    char database_url[1024];
    /* [tokens] */
    char algorithm[16];
    long access_ttl, refresh_ttl, refresh_idle_ttl, refresh_grace;
    int refresh_rotation;
    char default_audience[1024];      /* aud when a request asks for none, a list;
                                       * "": server.audience (core/audience.h) */
    /* automatic key rotation (core/keyrotate.c), seconds: a new key every interval (0:
     * off), signing after publish_delay; an old key leaves the JWKS margin seconds
     * after its last token expired */
    long key_rotation_interval, key_publish_delay, key_retire_margin;
    /* [oidc] (core/idtoken.h): ID-token lifetime, seconds; the algorithms that must
     * have a signing key besides tokens.algorithm (core/keyring.h), space-separated
     * names among ES256, EdDSA, RS256, PS256; "": none */
    long id_token_ttl;
    char id_token_algs[64];
    /* [passwords] */
    long argon2_memory_kib, argon2_iterations;
    int hash_workers;                 /* 0: one per core */
    int hash_queue;
    int min_length;
    /* [ratelimit]: at most N events per window (GCRA); 0 events: off */
    long rl_account_failures, rl_account_window;  /* failed logins per account */
    long rl_ip_failures, rl_ip_window;            /* failed logins / client auths per IP */
    int rl_ipv6_prefix;               /* an IPv6 client's budget is its /N network */
    long rl_client_tokens, rl_client_window;      /* client_credentials per client */
    /* [metrics] GET /metrics (core/metrics.c) */
    int metrics_enabled;
    char metrics_scope[64];           /* "": public; else a token with this scope */
    /* [cors] (http/cors.h) */
    char cors_allowed_origins[CONFIG_STR * 4]; /* canonical origins, one space between
                                       * (config_finish, base/origin.h); "": no CORS */
    int cors_allow_credentials;       /* Access-Control-Allow-Credentials: true */
    long cors_max_age;                /* seconds a browser may cache a preflight */
    int cors_admin;                   /* the admin API and /metrics do CORS too */
    /* [oauth2] the authorization code flow (docs/oidc.md) */
    long code_ttl;                    /* seconds an authorization code lives */
    int require_pkce;                 /* PKCE (S256) for confidential clients too */
    /* [web] the hosted login page and its browser session (docs/oidc.md) */
    char web_templates_dir[CONFIG_STR]; /* "": the built-in templates */
    long web_session_ttl;             /* a browser session's absolute lifetime */
    long web_session_idle_ttl;        /* ... and how long it may go unused */
    /* [registration] */
    int registration_enabled;
    char registration_default_roles[CONFIG_STR];
    /* [role.NAME] */
    struct role_conf roles[CONFIG_MAX_ROLES];
    int nroles;
    /* [policy.NAME] and [verify] */
    struct policy_conf policies[CONFIG_MAX_POLICIES];
    int npolicies;
    char verify_default[16];          /* unmatched paths: authenticated, deny, public */
    char verify_audience[256];        /* forward auth: the aud a token must name when
                                       * its rule names none; "": server.audience */
};

/* Fills `c` with the built-in defaults. */
void config_defaults(struct config *c);

/* Each returns 0, or -1 after writing one line naming the problem into err. */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);
int config_load_env(struct config *c, char *err, size_t errlen);
/* One "section.key=value" assignment, as from --set. */
int config_set(struct config *c, const char *assignment, char *err, size_t errlen);
/* The --database and --listen flags: same rules as database.url / server.listen. */
int config_set_database(struct config *c, const char *url, char *err, size_t errlen);
int config_set_listen(struct config *c, const char *listen, char *err, size_t errlen);
/* Checks cross-key rules and derives defaults (issuer from listen). */
int config_finish(struct config *c, char *err, size_t errlen);

/* The role named `name`, or NULL. */
const struct role_conf *config_role(const struct config *c, const char *name);

#endif
