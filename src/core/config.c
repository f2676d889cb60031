/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration parsing: the key table, the INI file, TESSERA_* env and --set. */
#include "core/config.h"

#include "core/audience.h"
#include "base/netaddr.h"
#include "base/origin.h"
#include "core/scope.h"
#include "base/urlpath.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ktype { K_STR, K_LONG, K_INT, K_BOOL };

struct key {
    const char *section;
    const char *name;
    enum ktype type;
    size_t offset;
    size_t size;        /* K_STR: buffer size */
    long min, max;      /* K_LONG / K_INT */
};

#define STR(sec, nm, field) { sec, nm, K_STR, offsetof(struct config, field), \
                              sizeof(((struct config *)0)->field), 0, 0 }
#define LNG(sec, nm, field, lo, hi) { sec, nm, K_LONG, \
                              offsetof(struct config, field), 0, lo, hi }
#define INT(sec, nm, field, lo, hi) { sec, nm, K_INT, \
                              offsetof(struct config, field), 0, lo, hi }
#define BOOL(sec, nm, field) { sec, nm, K_BOOL, offsetof(struct config, field), 0, 0, 1 }

static const struct key keys[] = {
    STR("server", "listen", listen),
    INT("server", "threads", threads, 0, 256),
    STR("server", "issuer", issuer),
    STR("server", "audience", audience),
    LNG("server", "max_body", max_body, 256, 16L << 20),
    LNG("server", "max_header", max_header, 1024, 1L << 20),
    LNG("server", "connection_timeout", connection_timeout, 1, 3600),
    LNG("server", "request_timeout", request_timeout, 1, 3600),
    STR("server", "trusted_proxies", trusted_proxies),
    INT("server", "max_connections_per_ip", max_connections_per_ip, 0, 4096),
    STR("server", "client_cert_header", client_cert_header),
    STR("server", "compat", compat),
    STR("verify", "default", verify_default),
    STR("verify", "audience", verify_audience),
    STR("tls", "cert_file", tls_cert_file),
    STR("tls", "key_file", tls_key_file),
    STR("tls", "client_ca_file", tls_client_ca_file),
    STR("tls", "client_certs", tls_client_certs),
    STR("tls", "plain_listen", tls_plain_listen),
    STR("database", "url", database_url),
    STR("tokens", "algorithm", algorithm),
    LNG("tokens", "access_ttl", access_ttl, 1, 86400L * 365),
    LNG("tokens", "refresh_ttl", refresh_ttl, 1, 86400L * 3650),
    LNG("tokens", "refresh_idle_ttl", refresh_idle_ttl, 1, 86400L * 3650),
    LNG("tokens", "refresh_grace", refresh_grace, 0, 3600),
    BOOL("tokens", "refresh_rotation", refresh_rotation),
    STR("tokens", "default_audience", default_audience),
    LNG("tokens", "key_rotation_interval", key_rotation_interval, 0, 86400L * 3650),
    LNG("tokens", "key_publish_delay", key_publish_delay, 0, 86400L * 365),
    LNG("tokens", "key_retire_margin", key_retire_margin, 0, 86400),
    LNG("oidc", "id_token_ttl", id_token_ttl, 1, 86400),
    STR("oidc", "id_token_algs", id_token_algs),
    BOOL("metrics", "enabled", metrics_enabled),
    STR("metrics", "scope", metrics_scope),
    LNG("passwords", "argon2_memory_kib", argon2_memory_kib, 8, 4L << 20),
    LNG("passwords", "argon2_iterations", argon2_iterations, 1, 100),
    INT("passwords", "hash_workers", hash_workers, 0, 256),
    INT("passwords", "hash_queue", hash_queue, 1, 100000),
    INT("passwords", "min_length", min_length, 1, 1024),
    LNG("ratelimit", "account_failures", rl_account_failures, 0, 1000000),
    LNG("ratelimit", "account_window", rl_account_window, 1, 86400),
    LNG("ratelimit", "ip_failures", rl_ip_failures, 0, 1000000),
    LNG("ratelimit", "ip_window", rl_ip_window, 1, 86400),
    INT("ratelimit", "ipv6_prefix", rl_ipv6_prefix, 32, 128),
    LNG("ratelimit", "client_tokens", rl_client_tokens, 0, 100000000),
    LNG("ratelimit", "client_window", rl_client_window, 1, 86400),
    STR("cors", "allowed_origins", cors_allowed_origins),
    BOOL("cors", "allow_credentials", cors_allow_credentials),
    LNG("cors", "max_age", cors_max_age, 0, 86400),
    BOOL("cors", "admin", cors_admin),
    LNG("oauth2", "code_ttl", code_ttl, 1, 600),
    BOOL("oauth2", "require_pkce", require_pkce),
    STR("web", "templates_dir", web_templates_dir),
    LNG("web", "session_ttl", web_session_ttl, 60, 86400L * 365),
    LNG("web", "session_idle_ttl", web_session_idle_ttl, 60, 86400L * 365),
    BOOL("registration", "enabled", registration_enabled),
    STR("registration", "default_roles", registration_default_roles),
};

static void put_role(struct config *c, const char *name, const char *scopes,
                     const char *defaults)
{
    struct role_conf *r = &c->roles[c->nroles++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->scopes, sizeof r->scopes, "%s", scopes);
    snprintf(r->default_scopes, sizeof r->default_scopes, "%s", defaults);
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->audience, sizeof c->audience, "tessera");
    c->max_body = 65536;
    c->max_header = 8192;
    c->connection_timeout = 10;
    c->request_timeout = 30;
    c->max_connections_per_ip = 128;
    snprintf(c->tls_client_certs, sizeof c->tls_client_certs, "optional");
    snprintf(c->verify_default, sizeof c->verify_default, "authenticated");
    snprintf(c->database_url, sizeof c->database_url, "tessera.db");
    snprintf(c->algorithm, sizeof c->algorithm, "ES256");
    c->access_ttl = 900;
    c->refresh_ttl = 30L * 86400;
    c->refresh_idle_ttl = 7L * 86400;
    c->refresh_grace = 10;
    c->refresh_rotation = 1;
    c->key_publish_delay = 3600;     /* longer than JWKS caches keep a key set */
    c->key_retire_margin = 60;       /* verifiers' clock-skew leeway */
    c->id_token_ttl = 300;
    c->metrics_enabled = 1;
    c->cors_max_age = 600;           /* Chromium's own cap is 2 hours, Firefox 24 */
    c->code_ttl = 60;                /* RFC 6749 4.1.2: at most 10 minutes */
    c->require_pkce = 1;             /* RFC 9700 2.1.1 */
    c->web_session_ttl = 86400;
    c->web_session_idle_ttl = 8L * 3600;
    c->argon2_memory_kib = 19456;
    c->argon2_iterations = 2;
    c->hash_queue = 64;
    c->min_length = 8;
    c->rl_account_failures = 10;     /* 10 failures, then one more every 30 s */
    c->rl_account_window = 300;
    c->rl_ip_failures = 100;         /* 100 failures, then one more every 0.6 s */
    c->rl_ip_window = 60;
    c->rl_ipv6_prefix = 64;          /* one IPv6 client: its /64, what a host is given */
    c->rl_client_tokens = 100000;    /* client_credentials: 100,000 a minute */
    c->rl_client_window = 60;
    snprintf(c->registration_default_roles, sizeof c->registration_default_roles, "user");
    put_role(c, "admin", "admin profile", "profile");
    put_role(c, "user", "profile", "profile");
}

const struct role_conf *config_role(const struct config *c, const char *name)
{
    for (int i = 0; i < c->nroles; i++)
        if (strcmp(c->roles[i].name, name) == 0)
            return &c->roles[i];
    return NULL;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end != '\0')
        return -1;
    *out = n;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *yes[] = { "true", "yes", "on", "1" };
    static const char *no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) { *out = 1; return 0; }
        if (strcasecmp(v, no[i]) == 0) { *out = 0; return 0; }
    }
    return -1;
}

/* [role.NAME] scopes= / default_scopes= / audiences= */
static int set_role_key(struct config *c, const char *role, const char *name,
                        const char *value, char *err, size_t errlen)
{
    struct role_conf *r = (struct role_conf *)config_role(c, role);
    size_t rl = strlen(role);

    if (rl == 0 || rl >= sizeof r->name) {
        snprintf(err, errlen, "invalid role name in section [role.%s]", role);
        return -1;
    }
    for (size_t i = 0; i < rl; i++) {
        if (!isalnum((unsigned char)role[i]) && !strchr("_-:", role[i])) {
            snprintf(err, errlen, "invalid role name '%s'", role);
            return -1;
        }
    }
    if (!r) {
        if (c->nroles == CONFIG_MAX_ROLES) {
            snprintf(err, errlen, "too many roles (at most %d)", CONFIG_MAX_ROLES);
            return -1;
        }
        put_role(c, role, "", "");
        r = &c->roles[c->nroles - 1];
    }
    char *dst;
    if (strcmp(name, "scopes") == 0)
        dst = r->scopes;
    else if (strcmp(name, "default_scopes") == 0)
        dst = r->default_scopes;
    else if (strcmp(name, "audiences") == 0)
        dst = r->audiences;
    else {
        snprintf(err, errlen, "unknown key '%s' in section [role.%s]", name, role);
        return -1;
    }
    if (strlen(value) >= CONFIG_STR) {
        snprintf(err, errlen, "value of role.%s.%s is too long", role, name);
        return -1;
    }
    snprintf(dst, CONFIG_STR, "%s", value);
    return 0;
}

/* [policy.NAME] path= methods= roles= scopes= audience= public= */
static int set_policy_key(struct config *c, const char *pol, const char *name,
                          const char *value, char *err, size_t errlen)
{
    struct policy_conf *p = NULL;
    size_t pl = strlen(pol);
    if (pl == 0 || pl >= sizeof p->name) {
        snprintf(err, errlen, "invalid policy name in section [policy.%.80s]", pol);
        return -1;
    }
    for (int i = 0; i < c->npolicies; i++)
        if (strcmp(c->policies[i].name, pol) == 0)
            p = &c->policies[i];
    if (!p) {
        if (c->npolicies == CONFIG_MAX_POLICIES) {
            snprintf(err, errlen, "too many policies (at most %d)", CONFIG_MAX_POLICIES);
            return -1;
        }
        p = &c->policies[c->npolicies++];
        memset(p, 0, sizeof *p);
        memcpy(p->name, pol, pl + 1);
    }
    char *dst = NULL;
    size_t size = 0;
    if (strcmp(name, "path") == 0)
        dst = p->path, size = sizeof p->path;
    else if (strcmp(name, "methods") == 0)
        dst = p->methods, size = sizeof p->methods;
    else if (strcmp(name, "roles") == 0)
        dst = p->roles, size = sizeof p->roles;
    else if (strcmp(name, "scopes") == 0)
        dst = p->scopes, size = sizeof p->scopes;
    else if (strcmp(name, "audience") == 0)
        dst = p->audience, size = sizeof p->audience;
    else if (strcmp(name, "public") == 0) {
        if (parse_bool(value, &p->public_)) {
            snprintf(err, errlen, "policy.%s.public must be true or false", pol);
            return -1;
        }
        return 0;
    } else {
        snprintf(err, errlen, "unknown key '%s' in section [policy.%s]", name, pol);
        return -1;
    }
    if (strlen(value) >= size) {
        snprintf(err, errlen, "value of policy.%s.%s is too long", pol, name);
        return -1;
    }
    snprintf(dst, size, "%s", value);
    return 0;
}

static int set_key(struct config *c, const char *section, const char *name,
                   const char *value, char *err, size_t errlen)
{
    if (strncmp(section, "role.", 5) == 0)
        return set_role_key(c, section + 5, name, value, err, errlen);
    if (strncmp(section, "policy.", 7) == 0)
        return set_policy_key(c, section + 7, name, value, err, errlen);

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const struct key *k = &keys[i];
        if (strcmp(k->section, section) != 0 || strcmp(k->name, name) != 0)
            continue;
        char *field = (char *)c + k->offset;
        long n;
        int b;
        switch (k->type) {
        case K_STR:
            if (strlen(value) >= k->size) {
                snprintf(err, errlen, "value of %s.%s is too long", section, name);
                return -1;
            }
            snprintf(field, k->size, "%s", value);
            return 0;
        case K_LONG:
        case K_INT:
            if (parse_long(value, &n) || n < k->min || n > k->max) {
                snprintf(err, errlen, "%s.%s must be an integer from %ld to %ld",
                         section, name, k->min, k->max);
                return -1;
            }
            if (k->type == K_LONG)
                *(long *)field = n;
            else
                *(int *)field = (int)n;
            return 0;
        case K_BOOL:
            if (parse_bool(value, &b)) {
                snprintf(err, errlen, "%s.%s must be true or false", section, name);
                return -1;
            }
            *(int *)field = b;
            return 0;
        }
    }
    snprintf(err, errlen, "unknown configuration key '%s.%s'", section, name);
    return -1;
}

/* Removes leading and trailing blanks in place; returns the new start. */
static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' ||
                 p[n - 1] == '\n'))
        p[--n] = '\0';
    return p;
}

/*
 * The INI dialect: "[section]", "key = value", comments starting with ';' or '#' at the
 * start of a line or after a blank. No line-length limit and no continuation lines:
 * an indented line is a key of its own (Debian's inih r55 cuts lines at 200 bytes and
 * merges indented lines into the key above, both silently; see docs/design.md).
 */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
    char section[256] = "", msg[400];
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && getline(&line, &cap, f) != -1) {
        lineno++;
        for (char *q = line; *q; q++)
            if ((*q == ';' || *q == '#') && (q == line || q[-1] == ' ' || q[-1] == '\t')) {
                *q = '\0';
                break;
            }
        char *p = trim(line);
        if (*p == '\0')
            continue;
        if (*p == '[') {
            size_t n = strlen(p);
            if (p[n - 1] != ']' || n - 2 >= sizeof section) {
                snprintf(msg, sizeof msg, "bad section header");
                rc = -1;
                break;
            }
            p[n - 1] = '\0';
            snprintf(section, sizeof section, "%s", trim(p + 1));
            continue;
        }
        char *eq = strchr(p, '=');
        if (!eq) {
            snprintf(msg, sizeof msg, "expected key = value");
            rc = -1;
            break;
        }
        *eq = '\0';
        if (!section[0]) {
            snprintf(msg, sizeof msg, "key '%.100s' outside a section", trim(p));
            rc = -1;
            break;
        }
        if (set_key(c, section, trim(p), trim(eq + 1), msg, sizeof msg))
            rc = -1;
    }
    free(line);
    fclose(f);
    if (rc)
        snprintf(err, errlen, "%s: line %d: %s", path, lineno, msg);
    return rc;
}

/* TESSERA_TOKENS_ACCESS_TTL -> tokens.access_ttl, for every key of the table. Role
 * sections come only from the file and --set, since their names are open-ended. */
int config_load_env(struct config *c, char *err, size_t errlen)
{
    /* docs/compat.md names this one TESSERA_COMPAT; TESSERA_SERVER_COMPAT, read
     * below like every key, wins when both are set. */
    const char *compat = getenv("TESSERA_COMPAT");
    if (compat && set_key(c, "server", "compat", compat, err, errlen))
        return -1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char var[128];
        size_t n = (size_t)snprintf(var, sizeof var, "TESSERA_%s_%s", keys[i].section,
                                    keys[i].name);
        for (size_t j = 0; j < n; j++)
            var[j] = (char)toupper((unsigned char)var[j]);
        const char *v = getenv(var);
        if (v && set_key(c, keys[i].section, keys[i].name, v, err, errlen)) {
            char tmp[400];
            snprintf(tmp, sizeof tmp, "%s", err);
            snprintf(err, errlen, "%s: %s", var, tmp);
            return -1;
        }
    }
    return 0;
}

int config_set(struct config *c, const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memrchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    char section[128];

    if (!eq || !dot || dot == assignment || (size_t)(dot - assignment) >= sizeof section) {
        snprintf(err, errlen, "--set expects section.key=value, got '%.100s'", assignment);
        return -1;
    }
    memcpy(section, assignment, (size_t)(dot - assignment));
    section[dot - assignment] = '\0';
    char name[128];
    size_t nl = (size_t)(eq - dot - 1);
    if (nl == 0 || nl >= sizeof name) {
        snprintf(err, errlen, "--set expects section.key=value, got '%.100s'", assignment);
        return -1;
    }
    memcpy(name, dot + 1, nl);
    name[nl] = '\0';
    return set_key(c, section, name, eq + 1, err, errlen);
}

/* A rule's path and methods in the canonical forms requests are matched in
 * (base/urlpath.h): the path respelled, the methods upper-cased; an error for a path
 * no canonical path could match or a method that is not a token. */
static int finish_policy(struct policy_conf *p, char *err, size_t errlen)
{
    char path[sizeof p->path], methods[sizeof p->methods] = "";
    const char *why, *w, *list = p->methods;
    size_t n, used = 0;

    if (p->path[0] != '/') {
        snprintf(err, errlen, "policy.%s.path must be a path starting with '/'", p->name);
        return -1;
    }
    if (urlpath_pattern(p->path, path, sizeof path, &why)) {
        snprintf(err, errlen, "policy.%s.path is refused: %s (docs/forward-auth.md)",
                 p->name, why);
        return -1;
    }
    memcpy(p->path, path, sizeof path);
    while (word_next(&list, 1, &w, &n)) {
        char word[URLPATH_METHOD_MAX], m[URLPATH_METHOD_MAX] = "";
        if (n < sizeof word) {
            memcpy(word, w, n);
            word[n] = '\0';
        }
        if (n >= sizeof word || urlpath_method(word, m)) {
            snprintf(err, errlen, "policy.%s.methods: '%.*s' is not an HTTP method",
                     p->name, (int)(n < 40 ? n : 40), w);
            return -1;
        }
        used += (size_t)snprintf(methods + used, sizeof methods - used, "%s%s",
                                 used ? " " : "", m);
    }
    memcpy(p->methods, methods, sizeof methods);
    return 0;
}

/* One audience value (server.audience, verify.audience, a policy's): exactly one
 * word of the audience rules (core/audience.h), or "" where allowed. */
static int one_audience(const char *what, char *v, int may_be_empty, char *err,
                        size_t errlen)
{
    char list[AUDIENCE_LIST_MAX], why[160];
    if (audience_list_canonical(v, list, sizeof list, why, sizeof why) ||
        strchr(list, ' ') || (!list[0] && !may_be_empty)) {
        snprintf(err, errlen, "%s must be one audience value%s", what,
                 list[0] || may_be_empty ? " (printable ASCII, no space or comma)" : "");
        return -1;
    }
    memcpy(v, list, strlen(list) + 1);          /* never longer than the input */
    return 0;
}

/* The audience keys, checked and made canonical (space-separated lists). */
static int finish_audiences(struct config *c, char *err, size_t errlen)
{
    char list[AUDIENCE_LIST_MAX], why[160], what[96];
    if (one_audience("server.audience", c->audience, 0, err, errlen) ||
        one_audience("verify.audience", c->verify_audience, 1, err, errlen))
        return -1;
    if (audience_list_canonical(c->default_audience, list, sizeof c->default_audience,
                                why, sizeof why)) {
        snprintf(err, errlen, "tokens.default_audience: %s", why);
        return -1;
    }
    memcpy(c->default_audience, list, strlen(list) + 1);
    for (int i = 0; i < c->nroles; i++) {
        struct role_conf *r = &c->roles[i];
        if (audience_list_canonical(r->audiences, list, sizeof r->audiences, why,
                                    sizeof why)) {
            snprintf(err, errlen, "role.%s.audiences: %s", r->name, why);
            return -1;
        }
        memcpy(r->audiences, list, strlen(list) + 1);
    }
    for (int i = 0; i < c->npolicies; i++) {
        snprintf(what, sizeof what, "policy.%s.audience", c->policies[i].name);
        if (one_audience(what, c->policies[i].audience, 1, err, errlen))
            return -1;
    }
    return 0;
}

int config_finish(struct config *c, char *err, size_t errlen)
{
    static const char *algs[] = { "ES256", "EdDSA", "RS256", "PS256" };
    int ok = 0;
    for (size_t i = 0; i < 4; i++)
        ok |= strcmp(c->algorithm, algs[i]) == 0;
    if (!ok) {
        snprintf(err, errlen, "tokens.algorithm must be ES256, EdDSA, RS256 or PS256");
        return -1;
    }
    const char *p = c->id_token_algs, *w;
    size_t wn;
    while (word_next(&p, 0, &w, &wn)) {
        ok = 0;
        for (size_t i = 0; i < 4; i++)
            ok |= strlen(algs[i]) == wn && memcmp(w, algs[i], wn) == 0;
        if (!ok) {
            snprintf(err, errlen, "oidc.id_token_algs lists ES256, EdDSA, RS256 or "
                     "PS256, got '%.*s'", (int)(wn < 32 ? wn : 32), w);
            return -1;
        }
    }
    if (c->refresh_idle_ttl > c->refresh_ttl)
        c->refresh_idle_ttl = c->refresh_ttl;
    if (c->key_rotation_interval && c->key_publish_delay >= c->key_rotation_interval) {
        snprintf(err, errlen, "tokens.key_publish_delay (%ld s) must be shorter than "
                 "tokens.key_rotation_interval (%ld s)", c->key_publish_delay,
                 c->key_rotation_interval);
        return -1;
    }
    if (strcspn(c->metrics_scope, " \t,\"\\") != strlen(c->metrics_scope)) {
        snprintf(err, errlen, "metrics.scope is one scope, without spaces or commas");
        return -1;
    }
    if (!strchr(c->listen, ':')) {
        snprintf(err, errlen, "server.listen must be HOST:PORT, got '%s'", c->listen);
        return -1;
    }
    c->issuer_from_listen = c->issuer[0] == '\0';
    if (c->issuer_from_listen)
        snprintf(c->issuer, sizeof c->issuer, "%s://%.200s",
                 c->tls_cert_file[0] ? "https" : "http", c->listen);
    if (c->database_url[0] == '\0') {
        snprintf(err, errlen, "database.url must not be empty");
        return -1;
    }
    struct netaddr_list proxies;
    if (netaddr_parse_list(c->trusted_proxies, &proxies, err, errlen) != 0)
        return -1;
    if (!c->tls_cert_file[0] != !c->tls_key_file[0]) {
        snprintf(err, errlen, "tls.cert_file and tls.key_file go together");
        return -1;
    }
    if (strcmp(c->tls_client_certs, "optional") != 0 &&
        strcmp(c->tls_client_certs, "required") != 0) {
        snprintf(err, errlen, "tls.client_certs is optional or required");
        return -1;
    }
    if (strcmp(c->verify_default, "authenticated") != 0 &&
        strcmp(c->verify_default, "deny") != 0 && strcmp(c->verify_default, "public") != 0) {
        snprintf(err, errlen, "verify.default is authenticated, deny or public");
        return -1;
    }
    for (int i = 0; i < c->npolicies; i++)
        if (finish_policy(&c->policies[i], err, errlen))
            return -1;
    if (finish_audiences(c, err, errlen))
        return -1;
    /* Self-registered users get these: a name no [role.NAME] defines would give them
     * a token with an empty scope. */
    for (const char *r = c->registration_default_roles; *r;) {
        size_t n = strcspn(r, " ,");
        char name[sizeof c->roles[0].name];
        if (n && n < sizeof name) {
            memcpy(name, r, n);
            name[n] = '\0';
        }
        if (n && (n >= sizeof name || !config_role(c, name))) {
            snprintf(err, errlen, "registration.default_roles names '%.*s', which no "
                     "[role.NAME] section defines", (int)(n > 64 ? 64 : n), r);
            return -1;
        }
        r += n + (r[n] != '\0');
    }
    /* Made canonical here, once: the server compares a request's Origin, made
     * canonical the same way, with these strings byte for byte. */
    if (origin_list_canonical(c->cors_allowed_origins, sizeof c->cors_allowed_origins,
                              err, errlen))
        return -1;
    if (c->tls_plain_listen[0] && !c->tls_cert_file[0]) {
        snprintf(err, errlen, "tls.plain_listen needs tls.cert_file and tls.key_file");
        return -1;
    }
    if (c->tls_plain_listen[0] && !strchr(c->tls_plain_listen, ':')) {
        snprintf(err, errlen, "tls.plain_listen must be HOST:PORT");
        return -1;
    }
    return 0;
}

int config_set_database(struct config *c, const char *url, char *err, size_t errlen)
{
    return set_key(c, "database", "url", url, err, errlen);
}

int config_set_listen(struct config *c, const char *listen, char *err, size_t errlen)
{
    return set_key(c, "server", "listen", listen, err, errlen);
}
