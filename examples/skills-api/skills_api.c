/* SPDX-License-Identifier: Apache-2.0 */
/*
 * skills-api: a small resource server on libtessera (examples/skills-api/README.md).
 *
 *   GET /v1/skills   needs an access token of tessera with scope read:skills
 *
 * The token is checked locally by a tessera_verifier (keys from tessera's JWKS, cached,
 * refetched on an unknown kid); tessera itself is never asked about a request. With
 * --revocations, the verifier also polls tessera's revocation feed, so a logout is
 * refused here within a few seconds instead of at the token's exp.
 *
 * usage: skills-api --jwks URL [--listen HOST:PORT] [--issuer ISS] [--audience AUD]
 *                   [--revocations URL [--poll SECONDS]]
 *        (the feed's client id and secret come from SKILLS_API_CLIENT_ID and
 *         SKILLS_API_CLIENT_SECRET, so the secret is not on the command line)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "tessera.h"

#define SCOPE "read:skills"
#define REALM "skills-api"

static tessera_verifier *verifier;

static const struct { int id; const char *name; } skills[] = {
    { 1, "C" }, { 2, "OAuth 2.0" }, { 3, "TLS" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: skills-api --jwks URL [--listen HOST:PORT] [--issuer ISS] "
               "[--audience AUD] [--revocations URL [--poll SECONDS]]\n"
               "  --listen       address to listen on (default 127.0.0.1:8081; port 0: any)\n"
               "  --jwks         tessera's JWKS, e.g. http://127.0.0.1:8080/.well-known/jwks.json\n"
               "  --issuer       required \"iss\" of tokens (default: not checked)\n"
               "  --audience     required \"aud\" of tokens (default tessera)\n"
               "  --revocations  tessera's revocation feed, e.g.\n"
               "                 http://127.0.0.1:8080/v1/auth/revocations, read as the\n"
               "                 confidential client SKILLS_API_CLIENT_ID with secret\n"
               "                 SKILLS_API_CLIENT_SECRET (environment)\n"
               "  --poll         seconds between two reads of the feed (default 5)\n");
}

/* Queues `body` (a JSON object, consumed) with `status`; `www_auth` may be NULL. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *body,
                             const char *www_auth, const char *allow)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct MHD_Response *r;
    enum MHD_Result ret;

    json_decref(body);
    if (!text)
        return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (www_auth)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, www_auth);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static json_t *error_body(const char *error, const char *description)
{
    return json_pack("{s:s, s:s}", "error", error, "error_description", description);
}

/* The token of an "Authorization: Bearer TOKEN" header, or NULL. */
static const char *bearer_token(struct MHD_Connection *c, size_t *len)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    const char *t, *end;

    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    for (t = h + 7; *t == ' '; t++)
        ;
    for (end = t; *end && *end != ' ' && *end != '\t'; end++)
        ;
    if (end == t || *end)           /* empty, or something after the token */
        return NULL;
    *len = (size_t)(end - t);
    return t;
}

static enum MHD_Result get_skills(struct MHD_Connection *c)
{
    const char *token;
    size_t len = 0;
    tessera_claims *claims = NULL;
    tessera_status st;
    json_t *list, *body;
    const char *sub;
    size_t i;

    if (!(token = bearer_token(c, &len)))
        return reply(c, MHD_HTTP_UNAUTHORIZED,
                     error_body("invalid_token", "a Bearer token is required"),
                     "Bearer realm=\"" REALM "\"", NULL);
    st = tessera_verifier_verify(verifier, token, len, &claims);
    if (st != TESSERA_OK)
        /* tessera_strerror() phrases are fixed text: safe in a header */
        return reply(c, MHD_HTTP_UNAUTHORIZED,
                     error_body("invalid_token", tessera_strerror(st)),
                     "Bearer realm=\"" REALM "\", error=\"invalid_token\"", NULL);
    if (!tessera_claims_has_scope(claims, SCOPE)) {
        tessera_claims_free(claims);
        return reply(c, MHD_HTTP_FORBIDDEN,
                     error_body("insufficient_scope", "the token lacks scope " SCOPE),
                     "Bearer realm=\"" REALM "\", error=\"insufficient_scope\", "
                     "scope=\"" SCOPE "\"", NULL);
    }
    list = json_array();
    for (i = 0; list && i < sizeof skills / sizeof skills[0]; i++)
        json_array_append_new(list, json_pack("{s:i, s:s}", "id", skills[i].id,
                                              "name", skills[i].name));
    sub = tessera_claims_string(claims, "sub");
    body = json_pack("{s:o, s:s?}", "skills", list, "subject", sub);
    tessera_claims_free(claims);
    return reply(c, MHD_HTTP_OK, body, NULL, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    if (strcmp(url, "/v1/skills") != 0)
        return reply(c, MHD_HTTP_NOT_FOUND, error_body("not_found", "no such resource"),
                     NULL, NULL);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                     error_body("method_not_allowed", "use GET"), NULL, "GET, HEAD");
    return get_skills(c);
}

/* "HOST:PORT" (or "[V6]:PORT") into *ss; 0 on success. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, char *host,
                        size_t hostsz)
{
    const char *colon = strrchr(s, ':');
    char *end;
    unsigned long port;
    size_t hl;

    if (!colon || colon == s)
        return -1;
    hl = (size_t)(colon - s);
    if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
        s++;
        hl -= 2;
    }
    if (hl >= hostsz)
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    errno = 0;
    port = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *listen_addr = "127.0.0.1:8081", *jwks = NULL, *issuer = NULL,
               *audience = "tessera", *feed = NULL;
    long poll = 0;
    tessera_verifier_options opt = TESSERA_VERIFIER_OPTIONS_INIT;
    struct sockaddr_storage ss;
    char host[256];
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    sigset_t set;
    tessera_status st;
    int i, sig = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        if (!strcmp(a, "--listen"))
            listen_addr = argv[++i];
        else if (!strcmp(a, "--jwks"))
            jwks = argv[++i];
        else if (!strcmp(a, "--issuer"))
            issuer = argv[++i];
        else if (!strcmp(a, "--audience"))
            audience = argv[++i];
        else if (!strcmp(a, "--revocations"))
            feed = argv[++i];
        else if (!strcmp(a, "--poll")) {
            char *end;
            errno = 0;
            poll = strtol(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || poll < 1 || poll > 86400) {
                fprintf(stderr, "skills-api: bad --poll %s (want 1 to 86400 seconds)\n",
                        argv[i]);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!jwks) {
        usage(stderr);
        return 2;
    }
    if (parse_listen(listen_addr, &ss, host, sizeof host) != 0) {
        fprintf(stderr, "skills-api: bad --listen %s (want HOST:PORT)\n", listen_addr);
        return 2;
    }

    opt.jwks_url = jwks;
    opt.issuer = issuer;
    opt.audience = audience;
    opt.check_typ = 1;                  /* tessera's access tokens are at+jwt */
    opt.leeway = 30;
    if (feed) {
        opt.revocations_url = feed;
        opt.client_id = getenv("SKILLS_API_CLIENT_ID");
        opt.client_secret = getenv("SKILLS_API_CLIENT_SECRET");
        opt.revocations_interval = poll;
        if (!opt.client_id || !*opt.client_id || !opt.client_secret ||
            !*opt.client_secret) {
            fprintf(stderr, "skills-api: --revocations needs SKILLS_API_CLIENT_ID and "
                            "SKILLS_API_CLIENT_SECRET in the environment\n");
            return 2;
        }
    }

    /* Block the stop signals before any thread starts (the verifier's feed poller,
     * MHD's), so they inherit the mask and the signals go to sigwait() below. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((st = tessera_verifier_new(&opt, &verifier)) != TESSERA_OK) {
        if (st == TESSERA_ERR_FEED)
            fprintf(stderr, "skills-api: cannot read the revocation feed %s (is the "
                            "client confidential and its secret right?)\n", feed);
        else
            fprintf(stderr, "skills-api: cannot load keys from %s: %s\n", jwks,
                    tessera_strerror(st));
        return 1;
    }

    d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
                             (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                         0, NULL, NULL, on_request, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "skills-api: cannot listen on %s\n", listen_addr);
        tessera_verifier_free(verifier);
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, ss.ss_family == AF_INET6 ? "skills-api: listening on http://[%s]:%u\n"
                                             : "skills-api: listening on http://%s:%u\n",
            host, info ? (unsigned)info->port : 0u);
    fflush(stderr);

    while (sigwait(&set, &sig) != 0)
        ;
    fprintf(stderr, "skills-api: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    MHD_stop_daemon(d);
    tessera_verifier_free(verifier);
    return 0;
}
