/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/verifier.c, lib/jwks_fetch.c: the JWKS-backed verifier against a tiny HTTP
 * server of our own (a thread on 127.0.0.1, plain sockets) that serves a JWKS we set
 * and counts the requests: fetch, refetch on an unknown kid, its rate limit, key
 * rotation, keys kept while the server is down, the iss/aud/leeway options, the
 * revocation feed (GET /v1/auth/revocations on the same server: paging, cursor, Basic
 * credentials, failures), and many threads verifying at once while keys rotate and the
 * feed is polled (run it under `make tsan`).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tessera.h"

/* ---- the JWKS server ---- */

struct server {
    int fd;
    int port;
    pthread_t thread;
    atomic_int stop;
    atomic_int requests;
    pthread_mutex_t lock;
    char *body;          /* what GET answers, malloc'd; guarded by lock */
    int status;          /* HTTP status to answer */
    char cache_control[64];  /* a Cache-Control header for the JWKS when not empty */
    char location[256];  /* GET /moved answers 302 to this */
    /* The revocation feed, GET /v1/auth/revocations (guarded by lock): rows served
     * FEED_PAGE at a time, the cursor being the index of the next row. */
    struct { char sid[32]; long at; } rows[64];
    int nrows;
    int feed_status;     /* 200, or an error status to answer */
    int feed_garbage;    /* 1: answer a page that is not the feed's shape */
    char feed_head[4096];/* the last feed request's head */
    atomic_int feed_requests;
};

#define FEED_PAGE 2

/* The feed's answer to `since` (the index of the next row, "" for 0). */
static char *feed_page(struct server *s, const char *head)
{
    const char *p = strstr(head, "since=");
    int from = p ? atoi(p + 6) : 0, to;
    char *out = malloc(4096);
    size_t n = 0;

    assert_non_null(out);
    if (s->feed_garbage) {
        snprintf(out, 4096, "{\"revoked\": [{\"sid\": 7}], \"next\": \"x\", \"more\": false}");
        return out;
    }
    if (from > s->nrows)
        from = s->nrows;
    to = from + FEED_PAGE < s->nrows ? from + FEED_PAGE : s->nrows;
    n += (size_t)snprintf(out + n, 4096 - n, "{\"revoked\": [");
    for (int i = from; i < to; i++)
        n += (size_t)snprintf(out + n, 4096 - n, "%s{\"sid\": \"%s\", \"revoked_at\": %ld}",
                              i > from ? ", " : "", s->rows[i].sid, s->rows[i].at);
    snprintf(out + n, 4096 - n, "], \"next\": \"%d\", \"more\": %s}", to,
             to < s->nrows ? "true" : "false");
    return out;
}

static void serve_one(struct server *s, int c)
{
    char req[4096], *body, head[768], extra[384] = "";
    size_t n = 0;
    int status;
    ssize_t r;

    /* Read the request head (we ignore the rest). */
    while (n < sizeof req - 1 && (r = recv(c, req + n, sizeof req - 1 - n, 0)) > 0) {
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    pthread_mutex_lock(&s->lock);
    if (!strncmp(req, "GET /v1/auth/revocations", 24)) {
        atomic_fetch_add(&s->feed_requests, 1);
        snprintf(s->feed_head, sizeof s->feed_head, "%s", req);
        body = feed_page(s, req);
        status = s->feed_status;
    } else if (!strncmp(req, "GET /moved", 10)) {
        body = strdup("");
        status = 302;
        snprintf(extra, sizeof extra, "Location: %s\r\n", s->location);
    } else {
        atomic_fetch_add(&s->requests, 1);
        body = strdup(s->body ? s->body : "");
        status = s->status;
        if (s->cache_control[0])
            snprintf(extra, sizeof extra, "Cache-Control: %s\r\n", s->cache_control);
    }
    pthread_mutex_unlock(&s->lock);
    assert_non_null(body);
    snprintf(head, sizeof head,
             "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%s"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             status, extra, strlen(body));
    (void)!send(c, head, strlen(head), MSG_NOSIGNAL);
    (void)!send(c, body, strlen(body), MSG_NOSIGNAL);
    free(body);
    close(c);
}

static void *server_main(void *arg)
{
    struct server *s = arg;

    while (!atomic_load(&s->stop)) {
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        if (poll(&p, 1, 20) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c >= 0)
            serve_one(s, c);
    }
    return NULL;
}

static void server_start(struct server *s)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof a;

    memset(s, 0, sizeof *s);
    s->status = 200;
    s->feed_status = 200;
    pthread_mutex_init(&s->lock, NULL);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 64), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

/* Stops answering: the listening socket is closed, so connections are refused. */
static void server_stop(struct server *s)
{
    if (s->fd < 0)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    s->fd = -1;
}

static void server_free(struct server *s)
{
    server_stop(s);
    free(s->body);
    pthread_mutex_destroy(&s->lock);
}

static char *server_url(const struct server *s, char buf[64])
{
    snprintf(buf, 64, "http://127.0.0.1:%d/.well-known/jwks.json", s->port);
    return buf;
}

/* Serves the public JWKS of the given keys (NULL-terminated). */
static void server_keys(struct server *s, tessera_key *k, ...)
{
    tessera_keyset *ks = NULL;
    va_list ap;
    char *jwks;

    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    va_start(ap, k);
    for (; k; k = va_arg(ap, tessera_key *)) {
        tessera_key *pub = NULL;
        char *jwk = tessera_key_to_jwk(k, 0);
        assert_non_null(jwk);
        assert_int_equal(tessera_key_from_jwk(jwk, strlen(jwk), &pub), TESSERA_OK);
        free(jwk);
        assert_int_equal(tessera_keyset_add(ks, pub), TESSERA_OK);
    }
    va_end(ap);
    assert_non_null(jwks = tessera_keyset_to_jwks(ks));
    tessera_keyset_free(ks);
    pthread_mutex_lock(&s->lock);
    free(s->body);
    s->body = jwks;
    pthread_mutex_unlock(&s->lock);
}

/* ---- tokens ---- */

static tessera_key *generated(tessera_alg alg)
{
    tessera_key *k = NULL;
    assert_int_equal(tessera_key_generate(alg, &k), TESSERA_OK);
    return k;
}

/* A token signed by k: exp = now + exp_in, iss and aud as given (NULL: absent). */
static char *token_full(const tessera_key *k, long exp_in, const char *iss,
                        const char *aud)
{
    char claims[512], *tok = NULL;
    long now = (long)time(NULL);
    int n = snprintf(claims, sizeof claims,
                     "{\"sub\":\"u1\",\"scope\":\"read:skills\",\"iat\":%ld,\"exp\":%ld"
                     "%s%s%s%s%s%s}",
                     now - 10, now + exp_in,
                     iss ? ",\"iss\":\"" : "", iss ? iss : "", iss ? "\"" : "",
                     aud ? ",\"aud\":\"" : "", aud ? aud : "", aud ? "\"" : "");
    assert_true(n > 0 && (size_t)n < sizeof claims);
    assert_int_equal(tessera_jwt_sign(k, "at+jwt", claims, (size_t)n, &tok), TESSERA_OK);
    return tok;
}

/* A token of session `sid`. */
static char *token_sid(const tessera_key *k, const char *sid)
{
    char claims[512], *tok = NULL;
    long now = (long)time(NULL);
    int n = snprintf(claims, sizeof claims,
                     "{\"sub\":\"u1\",\"scope\":\"read:skills\",\"sid\":\"%s\",\"iat\":%ld,"
                     "\"exp\":%ld,\"iss\":\"https://auth.example\",\"aud\":\"api\"}",
                     sid, now - 10, now + 300);
    assert_true(n > 0 && (size_t)n < sizeof claims);
    assert_int_equal(tessera_jwt_sign(k, "at+jwt", claims, (size_t)n, &tok), TESSERA_OK);
    return tok;
}

static char *token(const tessera_key *k)
{
    return token_full(k, 300, "https://auth.example", "api");
}

static tessera_status check(tessera_verifier *v, const char *tok)
{
    tessera_claims *c = NULL;
    tessera_status st = tessera_verifier_verify(v, tok, strlen(tok), &c);
    if (st == TESSERA_OK) {
        assert_non_null(c);
        assert_string_equal(tessera_claims_string(c, "sub"), "u1");
    } else {
        assert_null(c);
    }
    tessera_claims_free(c);
    return st;
}

static tessera_verifier *url_verifier(const struct server *s, long interval)
{
    tessera_verifier_options o = TESSERA_VERIFIER_OPTIONS_INIT;
    tessera_verifier *v = NULL;
    char url[64];

    o.jwks_url = server_url(s, url);
    o.issuer = "https://auth.example";
    o.audience = "api";
    o.check_typ = 1;
    o.refetch_interval = interval;
    o.fetch_timeout = 5;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    return v;
}

/* Lists `sid` in the server's feed. */
static void server_revoke(struct server *s, const char *sid)
{
    pthread_mutex_lock(&s->lock);
    assert_true(s->nrows < 64);
    snprintf(s->rows[s->nrows].sid, sizeof s->rows[0].sid, "%s", sid);
    s->rows[s->nrows++].at = (long)time(NULL);
    pthread_mutex_unlock(&s->lock);
}

static tessera_status feed_verifier(const struct server *s, long poll_interval,
                                    tessera_verifier **v)
{
    tessera_verifier_options o = TESSERA_VERIFIER_OPTIONS_INIT;
    char url[64], feed[96];

    o.jwks_url = server_url(s, url);
    snprintf(feed, sizeof feed, "http://127.0.0.1:%d/v1/auth/revocations", s->port);
    o.revocations_url = feed;
    o.client_id = "api gateway";          /* percent-encoded inside Basic */
    o.client_secret = "s3cret:with/colon";
    o.revocations_interval = poll_interval;
    o.issuer = "https://auth.example";
    o.audience = "api";
    o.check_typ = 1;
    o.fetch_timeout = 5;
    return tessera_verifier_new(&o, v);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---- tests ---- */

static void test_fetch_and_verify(void **state)
{
    struct server s;
    tessera_key *a = generated(TESSERA_ALG_ES256), *b = generated(TESSERA_ALG_EDDSA);
    tessera_verifier *v;
    char *ta, *tb;

    server_start(&s);
    server_keys(&s, a, b, NULL);
    v = url_verifier(&s, 60);
    assert_int_equal(atomic_load(&s.requests), 1);
    assert_int_equal(tessera_verifier_fetch_count(v), 1);
    ta = token(a);
    tb = token(b);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(check(v, ta), TESSERA_OK);
        assert_int_equal(check(v, tb), TESSERA_OK);
    }
    assert_int_equal(atomic_load(&s.requests), 1);   /* cached: no further fetch */
    /* Garbage and a bad signature are not a reason to fetch. */
    assert_int_equal(check(v, "a.b.c"), TESSERA_ERR_MALFORMED);
    ta[strlen(ta) - 2] ^= 1;
    assert_int_not_equal(check(v, ta), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 1);
    free(ta);
    free(tb);
    tessera_verifier_free(v);
    tessera_key_free(a);
    tessera_key_free(b);
    server_free(&s);
}

/* A new kid after the interval: exactly one refetch, then the token verifies. Within
 * the next interval a storm of unknown kids fetches nothing, even when the server
 * already has the key; after it, one refetch picks that key up. */
static void test_rotation_and_rate_limit(void **state)
{
    struct server s;
    tessera_key *a = generated(TESSERA_ALG_ES256), *b = generated(TESSERA_ALG_ES256),
                *c = generated(TESSERA_ALG_ES256);
    tessera_verifier *v;
    char *ta = token(a), *tb = token(b), *tc = token(c);

    server_start(&s);
    server_keys(&s, a, NULL);
    v = url_verifier(&s, 1);
    assert_int_equal(check(v, ta), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 1);

    /* Rotation: the server now publishes b (and still a). */
    server_keys(&s, b, a, NULL);
    sleep_ms(1100);
    assert_int_equal(check(v, tb), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 2);
    assert_int_equal(check(v, tb), TESSERA_OK);
    assert_int_equal(check(v, ta), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 2);

    /* Storm within the interval: c is published, but nothing is fetched. */
    server_keys(&s, c, b, a, NULL);
    for (int i = 0; i < 200; i++)
        assert_int_equal(check(v, tc), TESSERA_ERR_KID);
    assert_int_equal(atomic_load(&s.requests), 2);
    assert_int_equal(tessera_verifier_fetch_count(v), 2);

    /* After the interval: one fetch, c verifies, and the storm is over. */
    sleep_ms(1100);
    for (int i = 0; i < 50; i++)
        assert_int_equal(check(v, tc), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 3);

    /* A key dropped by the server is dropped by the verifier at its next fetch. */
    server_keys(&s, c, NULL);
    assert_int_equal(tessera_verifier_refresh(v), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 4);
    assert_int_equal(check(v, ta), TESSERA_ERR_KID);   /* interval not over: no fetch */
    assert_int_equal(check(v, tc), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 4);

    free(ta);
    free(tb);
    free(tc);
    tessera_verifier_free(v);
    tessera_key_free(a);
    tessera_key_free(b);
    tessera_key_free(c);
    server_free(&s);
}

/* The server goes away (or answers errors or junk): the cached keys keep working. */
static void test_server_down_keeps_keys(void **state)
{
    struct server s;
    tessera_key *a = generated(TESSERA_ALG_ES256), *b = generated(TESSERA_ALG_ES256);
    tessera_verifier *v;
    char *ta = token(a), *tb = token(b);

    server_start(&s);
    server_keys(&s, a, NULL);
    v = url_verifier(&s, 1);

    /* An error status, then a body that is not a JWKS, then an empty JWKS. */
    pthread_mutex_lock(&s.lock);
    s.status = 500;
    pthread_mutex_unlock(&s.lock);
    assert_int_equal(tessera_verifier_refresh(v), TESSERA_ERR_KEY);
    pthread_mutex_lock(&s.lock);
    s.status = 200;
    free(s.body);
    s.body = strdup("<html>");
    pthread_mutex_unlock(&s.lock);
    assert_int_not_equal(tessera_verifier_refresh(v), TESSERA_OK);
    pthread_mutex_lock(&s.lock);
    free(s.body);
    s.body = strdup("{\"keys\":[]}");
    pthread_mutex_unlock(&s.lock);
    assert_int_equal(tessera_verifier_refresh(v), TESSERA_ERR_KEY);
    assert_int_equal(atomic_load(&s.requests), 4);
    assert_int_equal(check(v, ta), TESSERA_OK);

    server_stop(&s);
    sleep_ms(1100);
    assert_int_equal(check(v, tb), TESSERA_ERR_KID);   /* refetch fails */
    assert_int_equal(tessera_verifier_fetch_count(v), 5);
    assert_int_equal(check(v, tb), TESSERA_ERR_KID);   /* and is rate limited */
    assert_int_equal(tessera_verifier_fetch_count(v), 5);
    for (int i = 0; i < 10; i++)
        assert_int_equal(check(v, ta), TESSERA_OK);
    assert_int_equal(tessera_verifier_refresh(v), TESSERA_ERR_KEY);
    assert_int_equal(check(v, ta), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 4);

    free(ta);
    free(tb);
    tessera_verifier_free(v);
    tessera_key_free(a);
    tessera_key_free(b);
    server_free(&s);
}

static void test_new_errors(void **state)
{
    struct server s;
    tessera_verifier_options o = TESSERA_VERIFIER_OPTIONS_INIT;
    tessera_verifier *v = (tessera_verifier *)&o;
    char url[64];

    assert_int_equal(tessera_verifier_new(NULL, &v), TESSERA_ERR_INVALID_ARG);
    assert_null(v);
    assert_int_equal(tessera_verifier_new(&o, NULL), TESSERA_ERR_INVALID_ARG);
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);   /* no keys */
    o.jwks_url = "http://127.0.0.1:1/jwks";
    o.jwks_json = "{\"keys\":[]}";
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);   /* both */
    o.jwks_json = NULL;
    o.jwks_url = "file:///etc/passwd";
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    o.jwks_url = "ftp://127.0.0.1/jwks";
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    o.jwks_url = "http://127.0.0.1:1/jwks";
    o.leeway = -1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    o.leeway = 0;
    o.refetch_interval = -5;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    o.refetch_interval = 0;

    /* Nothing listens there: the first fetch fails, so does new. */
    server_start(&s);
    server_url(&s, url);
    server_stop(&s);
    o.jwks_url = url;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_KEY);
    assert_null(v);
    server_free(&s);

    /* A JWKS past 1 MiB is refused. */
    server_start(&s);
    s.body = malloc(2u << 20);
    memset(s.body, ' ', (2u << 20) - 1);
    s.body[(2u << 20) - 1] = '\0';
    s.body[0] = '{';
    o.jwks_url = server_url(&s, url);
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_KEY);
    server_free(&s);

    /* refresh without a URL. */
    o.jwks_url = NULL;
    {
        tessera_key *k = generated(TESSERA_ALG_EDDSA);
        char *jwk = tessera_key_to_jwk(k, 0), doc[1024];
        snprintf(doc, sizeof doc, "{\"keys\":[%s]}", jwk);
        o.jwks_json = doc;
        assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
        assert_int_equal(tessera_verifier_refresh(v), TESSERA_ERR_INVALID_ARG);
        assert_int_equal(tessera_verifier_fetch_count(v), 0);
        tessera_verifier_free(v);
        free(jwk);
        tessera_key_free(k);
    }
    tessera_verifier_free(NULL);
}

/* iss, aud, typ and leeway, with keys from a JWKS document (no URL: an unknown kid
 * is simply rejected). */
static void test_options(void **state)
{
    tessera_key *a = generated(TESSERA_ALG_ES256), *b = generated(TESSERA_ALG_ES256);
    tessera_verifier_options o = TESSERA_VERIFIER_OPTIONS_INIT;
    tessera_verifier *v = NULL;
    char *jwk = tessera_key_to_jwk(a, 0), doc[1024], *t, *t2;

    snprintf(doc, sizeof doc, "{\"keys\":[%s]}", jwk);
    o.jwks_json = doc;
    o.issuer = "https://auth.example";
    o.audience = "api";
    o.check_typ = 1;
    o.leeway = 60;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(tessera_verifier_fetch_count(v), 0);

    assert_int_equal(check(v, t = token(a)), TESSERA_OK);
    free(t);
    assert_int_equal(check(v, t = token(b)), TESSERA_ERR_KID);
    free(t);
    assert_int_equal(check(v, t = token_full(a, 300, "https://evil", "api")),
                     TESSERA_ERR_ISSUER);
    free(t);
    assert_int_equal(check(v, t = token_full(a, 300, NULL, "api")), TESSERA_ERR_ISSUER);
    free(t);
    assert_int_equal(check(v, t = token_full(a, 300, "https://auth.example", "other")),
                     TESSERA_ERR_AUDIENCE);
    free(t);
    /* Expired 30 s ago: inside the 60 s leeway. 120 s ago: outside. */
    t = token_full(a, -30, "https://auth.example", "api");
    assert_int_equal(check(v, t), TESSERA_OK);
    t2 = token_full(a, -120, "https://auth.example", "api");
    assert_int_equal(check(v, t2), TESSERA_ERR_EXPIRED);
    tessera_verifier_free(v);

    /* The same token without leeway. */
    o.leeway = 0;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(check(v, t), TESSERA_ERR_EXPIRED);
    free(t);
    free(t2);
    /* typ checked. */
    {
        char *tok = NULL;
        char claims[128];
        long now = (long)time(NULL);
        snprintf(claims, sizeof claims,
                 "{\"sub\":\"u1\",\"exp\":%ld,\"iss\":\"https://auth.example\","
                 "\"aud\":\"api\"}", now + 300);
        assert_int_equal(tessera_jwt_sign(a, "JWT", claims, strlen(claims), &tok),
                         TESSERA_OK);
        assert_int_equal(check(v, tok), TESSERA_ERR_TYPE);
        free(tok);
    }
    tessera_verifier_free(v);

    /* Options are copied: the caller's strings may go away. */
    {
        char iss[] = "https://auth.example";
        o.issuer = iss;
        assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
        memset(iss, 'x', sizeof iss - 1);
        assert_int_equal(check(v, t = token(a)), TESSERA_OK);
        free(t);
        tessera_verifier_free(v);
    }
    free(jwk);
    tessera_key_free(a);
    tessera_key_free(b);
}

/* ---- many threads at once ---- */

#define THREADS 8
#define ROUNDS 2000

struct race {
    tessera_verifier *v;
    struct server *s;
    char *good[2];       /* tokens of keys always served */
    char *rotating;      /* a token of a key served only some of the time */
    char *revoked;       /* a token of a session the feed lists from the start */
    atomic_int failures;
};

static void *racer(void *arg)
{
    struct race *r = arg;

    for (int i = 0; i < ROUNDS; i++) {
        const char *t = r->good[i & 1];
        tessera_status st;
        tessera_claims *c = NULL;

        if (i % 13 == 0) {
            st = tessera_verifier_verify(r->v, r->revoked, strlen(r->revoked), &c);
            if (st != TESSERA_ERR_REVOKED || c)
                atomic_fetch_add(&r->failures, 1);
            continue;
        }
        if (i % 97 == 0) {
            /* An unknown (or just rotated-in) kid: may refetch, must never crash. */
            st = tessera_verifier_verify(r->v, r->rotating, strlen(r->rotating), &c);
            if (st != TESSERA_OK && st != TESSERA_ERR_KID)
                atomic_fetch_add(&r->failures, 1);
            tessera_claims_free(c);
            continue;
        }
        st = tessera_verifier_verify(r->v, t, strlen(t), &c);
        if (st != TESSERA_OK || !c || !tessera_claims_has_scope(c, "read:skills"))
            atomic_fetch_add(&r->failures, 1);
        tessera_claims_free(c);
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct server s;
    tessera_key *a = generated(TESSERA_ALG_ES256), *b = generated(TESSERA_ALG_EDDSA),
                *c = generated(TESSERA_ALG_ES256);
    struct race r = { 0 };
    pthread_t th[THREADS];
    int flip = 0;
    time_t t0 = time(NULL);
    long reqs;

    server_start(&s);
    server_keys(&s, a, b, NULL);
    server_revoke(&s, "s-dead");
    /* The feed's own thread polls every second, and this one polls too, below. */
    assert_int_equal(feed_verifier(&s, 1, &r.v), TESSERA_OK);
    r.s = &s;
    r.revoked = token_sid(a, "s-dead");
    r.good[0] = token(a);
    r.good[1] = token(b);
    r.rotating = token(c);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, racer, &r), 0);
    /* Meanwhile the server rotates c in and out, and the keys are refreshed. */
    for (int i = 0; i < 6; i++) {
        sleep_ms(150);
        if ((flip ^= 1))
            server_keys(&s, c, a, b, NULL);
        else
            server_keys(&s, a, b, NULL);
        assert_int_equal(tessera_verifier_refresh(r.v), TESSERA_OK);
        char sid[16];
        snprintf(sid, sizeof sid, "s-%d", i);
        server_revoke(&s, sid);
        assert_int_equal(tessera_verifier_poll_revocations(r.v), TESSERA_OK);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&r.failures), 0);
    /* Fetches: the first, up to 6 refreshes, and at most one a second from unknown
     * kids (a refresh restarts the interval): never one per unknown-kid token. */
    reqs = atomic_load(&s.requests);
    assert_true(reqs >= 2);
    assert_true(reqs <= 1 + 6 + (long)(time(NULL) - t0) + 1);
    assert_true(tessera_verifier_fetch_count(r.v) == (unsigned long)reqs);

    tessera_verifier_free(r.v);
    free(r.good[0]);
    free(r.good[1]);
    free(r.rotating);
    free(r.revoked);
    tessera_key_free(a);
    tessera_key_free(b);
    tessera_key_free(c);
    server_free(&s);
}

/* The first poll reads every page; a listed session's tokens are TESSERA_ERR_REVOKED,
 * others verify; later polls go on from the cursor with the client's credentials. */
static void test_feed_revokes_listed_sessions(void **state)
{
    struct server s;
    tessera_key *k = generated(TESSERA_ALG_ES256);
    tessera_verifier *v = NULL;
    char *dead, *alive, *later, *plain;

    server_start(&s);
    server_keys(&s, k, NULL);
    server_revoke(&s, "s-1");
    server_revoke(&s, "s-2");
    server_revoke(&s, "s-3");               /* three rows: two pages */
    assert_int_equal(feed_verifier(&s, 3600, &v), TESSERA_OK);
    assert_int_equal(atomic_load(&s.feed_requests), 2);
    assert_int_equal(tessera_verifier_poll_count(v), 1);
    assert_int_equal(tessera_verifier_revoked_count(v), 3);
    /* RFC 6749 2.3.1: Basic of the form-encoded id and secret. */
    assert_non_null(strstr(s.feed_head,
                           "Authorization: Basic YXBpJTIwZ2F0ZXdheTpzM2NyZXQlM0F3aXRoJTJGY29sb24="));
    assert_non_null(strstr(s.feed_head, "since=2"));

    dead = token_sid(k, "s-3");
    alive = token_sid(k, "s-9");
    later = token_sid(k, "s-4");
    plain = token(k);                       /* no sid: the feed does not apply */
    assert_int_equal(check(v, dead), TESSERA_ERR_REVOKED);
    assert_int_equal(check(v, alive), TESSERA_OK);
    assert_int_equal(check(v, later), TESSERA_OK);
    assert_int_equal(check(v, plain), TESSERA_OK);
    assert_string_equal(tessera_strerror(TESSERA_ERR_REVOKED), "token has been revoked");

    server_revoke(&s, "s-4");
    assert_int_equal(tessera_verifier_poll_revocations(v), TESSERA_OK);
    assert_non_null(strstr(s.feed_head, "since=3"));   /* from the cursor, not the start */
    assert_int_equal(tessera_verifier_revoked_count(v), 4);
    assert_int_equal(check(v, later), TESSERA_ERR_REVOKED);
    assert_int_equal(check(v, alive), TESSERA_OK);

    free(dead);
    free(alive);
    free(later);
    free(plain);
    tessera_verifier_free(v);
    tessera_key_free(k);
    server_free(&s);
}

/* A feed that cannot be read: no verifier at the start; later, a failed or malformed
 * poll keeps what is known and retries from the same cursor. */
static void test_feed_failures(void **state)
{
    struct server s;
    tessera_key *k = generated(TESSERA_ALG_ES256);
    tessera_verifier *v = NULL;
    char *dead;

    server_start(&s);
    server_keys(&s, k, NULL);
    s.feed_status = 401;
    assert_int_equal(feed_verifier(&s, 3600, &v), TESSERA_ERR_FEED);
    assert_null(v);
    assert_string_equal(tessera_strerror(TESSERA_ERR_FEED), "revocation feed unavailable");

    s.feed_status = 200;
    server_revoke(&s, "s-1");
    assert_int_equal(feed_verifier(&s, 3600, &v), TESSERA_OK);
    dead = token_sid(k, "s-1");
    assert_int_equal(check(v, dead), TESSERA_ERR_REVOKED);

    s.feed_status = 503;
    assert_int_equal(tessera_verifier_poll_revocations(v), TESSERA_ERR_FEED);
    s.feed_status = 200;
    s.feed_garbage = 1;
    assert_int_equal(tessera_verifier_poll_revocations(v), TESSERA_ERR_FEED);
    assert_int_equal(check(v, dead), TESSERA_ERR_REVOKED);
    assert_int_equal(tessera_verifier_revoked_count(v), 1);
    s.feed_garbage = 0;
    server_revoke(&s, "s-2");
    assert_int_equal(tessera_verifier_poll_revocations(v), TESSERA_OK);
    assert_non_null(strstr(s.feed_head, "since=1"));
    assert_int_equal(tessera_verifier_revoked_count(v), 2);
    tessera_verifier_free(v);

    /* Options: a feed needs http(s) and both credentials. */
    tessera_verifier_options o = TESSERA_VERIFIER_OPTIONS_INIT;
    o.jwks_json = "{\"keys\": []}";
    o.revocations_url = "ftp://x/revocations";
    o.client_id = "c";
    o.client_secret = "s";
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    o.revocations_url = "http://127.0.0.1:1/v1/auth/revocations";
    o.client_secret = NULL;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    o.client_secret = "s";
    o.revocations_interval = -1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);

    free(dead);
    tessera_key_free(k);
    server_free(&s);
}

/* The poller thread: a session revoked on the server is refused within the interval
 * with no call from the application. */
static void test_feed_thread_polls(void **state)
{
    struct server s;
    tessera_key *k = generated(TESSERA_ALG_ES256);
    tessera_verifier *v = NULL;
    char *t;
    int waited = 0;

    server_start(&s);
    server_keys(&s, k, NULL);
    assert_int_equal(feed_verifier(&s, 1, &v), TESSERA_OK);
    t = token_sid(k, "s-late");
    assert_int_equal(check(v, t), TESSERA_OK);
    server_revoke(&s, "s-late");
    while (check(v, t) == TESSERA_OK && waited < 3000) {
        sleep_ms(50);
        waited += 50;
    }
    assert_int_equal(check(v, t), TESSERA_ERR_REVOKED);
    assert_true(waited <= 2000);
    assert_true(tessera_verifier_poll_count(v) >= 2);
    free(t);
    tessera_verifier_free(v);
    tessera_key_free(k);
    server_free(&s);
}

/* ---- the JWKS on a schedule, oct keys, redirects ---- */

static void server_cache_control(struct server *s, const char *cc)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->cache_control, sizeof s->cache_control, "%s", cc);
    pthread_mutex_unlock(&s->lock);
}

static void base_options(tessera_verifier_options *o, const char *url)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->jwks_url = url;
    o->issuer = "https://auth.example";
    o->audience = "api";
    o->check_typ = 1;
    o->fetch_timeout = 5;
}

/* A key the server retires (drops from its JWKS) stops verifying on the verifier's
 * schedule, with no unknown kid to prompt a fetch: here max-age=1 makes it about a
 * second. */
static void test_retired_key_stops_on_schedule(void **state)
{
    struct server s;
    tessera_key *a = generated(TESSERA_ALG_ES256), *b = generated(TESSERA_ALG_ES256);
    tessera_verifier_options o;
    tessera_verifier *v = NULL;
    char url[64], *ta = token(a), *tb = token(b);
    int waited = 0;

    server_start(&s);
    server_keys(&s, a, b, NULL);
    server_cache_control(&s, "public, max-age=1");
    base_options(&o, server_url(&s, url));
    o.refetch_interval = 1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(check(v, ta), TESSERA_OK);
    assert_int_equal(check(v, tb), TESSERA_OK);

    server_keys(&s, b, NULL);   /* a is retired */
    while (check(v, ta) == TESSERA_OK && waited < 4000) {
        sleep_ms(50);
        waited += 50;
    }
    assert_int_equal(check(v, ta), TESSERA_ERR_KID);
    assert_true(waited <= 2500);
    assert_int_equal(check(v, tb), TESSERA_OK);

    free(ta);
    free(tb);
    tessera_verifier_free(v);
    tessera_key_free(a);
    tessera_key_free(b);
    server_free(&s);
}

/* max-age is honoured between refetch_interval (below) and jwks_max_age (above). */
static void test_schedule_bounds(void **state)
{
    struct server s;
    tessera_key *a = generated(TESSERA_ALG_ES256);
    tessera_verifier_options o;
    tessera_verifier *v = NULL;
    char url[64];

    server_start(&s);
    server_keys(&s, a, NULL);

    /* A day of max-age, but jwks_max_age = 1: fetched again within about a second. */
    server_cache_control(&s, "max-age=86400, public");
    base_options(&o, server_url(&s, url));
    o.refetch_interval = 1;
    o.jwks_max_age = 1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    sleep_ms(1600);
    assert_true(tessera_verifier_fetch_count(v) >= 2);
    tessera_verifier_free(v);

    /* no-cache (max-age 0) and max-age=0: not sooner than refetch_interval = 2. */
    server_cache_control(&s, "no-cache");
    o.refetch_interval = 2;
    o.jwks_max_age = 0;   /* 300 */
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    server_cache_control(&s, "max-age=0");
    sleep_ms(1200);
    assert_int_equal(tessera_verifier_fetch_count(v), 1);
    sleep_ms(1800);
    assert_int_equal(tessera_verifier_fetch_count(v), 2);
    tessera_verifier_free(v);

    /* Without Cache-Control the age is jwks_max_age; a quoted max-age is read. */
    server_cache_control(&s, "");
    o.refetch_interval = 1;
    o.jwks_max_age = 1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    sleep_ms(1500);
    assert_true(tessera_verifier_fetch_count(v) >= 2);
    tessera_verifier_free(v);
    server_cache_control(&s, "max-age=\"1\"");
    o.jwks_max_age = 300;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    sleep_ms(1500);
    assert_true(tessera_verifier_fetch_count(v) >= 2);
    tessera_verifier_free(v);

    o.jwks_max_age = -1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_INVALID_ARG);
    tessera_key_free(a);
    server_free(&s);
}

/* A JWKS with a symmetric (oct) key: skipped unless allow_oct_keys, fetched or given. */
static void test_oct_keys_refused(void **state)
{
    struct server s;
    tessera_key *hs = generated(TESSERA_ALG_HS256), *es = generated(TESSERA_ALG_ES256);
    tessera_verifier_options o;
    tessera_verifier *v = NULL;
    char url[64], jwks[2048], only_oct[1024];
    char *hjwk = tessera_key_to_jwk(hs, 1), *ejwk = tessera_key_to_jwk(es, 0);
    char *th = token(hs), *te = token(es);

    assert_non_null(hjwk);
    assert_non_null(ejwk);
    snprintf(jwks, sizeof jwks, "{\"keys\":[%s,%s]}", hjwk, ejwk);
    snprintf(only_oct, sizeof only_oct, "{\"keys\":[%s]}", hjwk);
    server_start(&s);
    pthread_mutex_lock(&s.lock);
    s.body = strdup(jwks);
    pthread_mutex_unlock(&s.lock);

    base_options(&o, server_url(&s, url));
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(check(v, th), TESSERA_ERR_KID);
    assert_int_equal(check(v, te), TESSERA_OK);
    tessera_verifier_free(v);
    o.allow_oct_keys = 1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(check(v, th), TESSERA_OK);
    tessera_verifier_free(v);

    /* A set of nothing but an oct key has no usable key. */
    pthread_mutex_lock(&s.lock);
    free(s.body);
    s.body = strdup(only_oct);
    pthread_mutex_unlock(&s.lock);
    o.allow_oct_keys = 0;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_KEY);

    /* The same rule for a given document. */
    base_options(&o, NULL);
    o.jwks_json = only_oct;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_KEY);
    o.allow_oct_keys = 1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(check(v, th), TESSERA_OK);
    tessera_verifier_free(v);

    free(hjwk);
    free(ejwk);
    free(th);
    free(te);
    tessera_key_free(hs);
    tessera_key_free(es);
    server_free(&s);
}

/* An HTTPS server: `openssl s_server -HTTP` over a self-signed certificate for
 * 127.0.0.1, serving files of complete HTTP answers from a directory of its own. */
struct tls_server {
    pid_t pid;
    int port;
    char dir[64];
    char ca[96];
};

/* The server of the running test, stopped by tls_teardown even when an assertion
 * ends the test early. */
static struct tls_server *tls_running;

static int shell(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void tls_file(const struct tls_server *t, const char *name, const char *answer)
{
    char path[160];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", t->dir, name);
    assert_non_null(f = fopen(path, "w"));
    fputs(answer, f);
    fclose(f);
}

static int free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* 0 when started; -1 when openssl is not there to run it. */
static int tls_start(struct tls_server *t)
{
    char accept_at[32];

    snprintf(t->dir, sizeof t->dir, "/tmp/tessera-tls-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->ca, sizeof t->ca, "%s/cert.pem", t->dir);
    if (shell("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
              "-nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 "
              "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1", t->dir) != 0) {
        shell("rm -rf %s", t->dir);
        return -1;
    }
    t->port = free_port();
    snprintf(accept_at, sizeof accept_at, "127.0.0.1:%d", t->port);
    t->pid = fork();
    assert_true(t->pid >= 0);
    if (t->pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (chdir(t->dir) != 0 || null < 0)
            _exit(127);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp("openssl", "openssl", "s_server", "-HTTP", "-quiet", "-accept", accept_at,
               "-cert", "cert.pem", "-key", "key.pem", (char *)NULL);
        _exit(127);
    }
    tls_running = t;
    for (int i = 0; i < 100; i++) {   /* up to 5 s for it to listen */
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(t->port) };
        int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return 0;
        sleep_ms(50);
    }
    fail_msg("openssl s_server did not listen on %s", accept_at);
    return -1;
}

static void tls_stop(struct tls_server *t)
{
    kill(t->pid, SIGTERM);
    waitpid(t->pid, NULL, 0);
    shell("rm -rf %s", t->dir);
    tls_running = NULL;
}

static int tls_teardown(void **state)
{
    if (tls_running)
        tls_stop(tls_running);
    return 0;
}

/* From https, a redirect to http is refused (the keys would cross the network in the
 * clear) unless allow_insecure_redirects; https to https and http to http are
 * followed. Over a real TLS listener, trusted through ca_file. */
static void test_redirects(void **state)
{
    struct server s;
    struct tls_server t;
    tessera_key *a = generated(TESSERA_ALG_ES256);
    tessera_verifier_options o;
    tessera_verifier *v = NULL;
    char url[128], plain[64], answer[1024], *jwks;
    tessera_keyset *ks = NULL;
    tessera_key *pub = NULL;
    char *jwk = tessera_key_to_jwk(a, 0), *ta = token(a);

    server_start(&s);
    server_keys(&s, a, NULL);
    server_url(&s, plain);

    /* http -> http: followed. */
    snprintf(s.location, sizeof s.location, "%s", plain);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/moved", s.port);
    base_options(&o, url);
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(check(v, ta), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 1);
    tessera_verifier_free(v);

    if (tls_start(&t) != 0) {
        print_message("openssl not found: the https redirect cases are skipped\n");
        goto out;
    }
    assert_int_equal(tessera_key_from_jwk(jwk, strlen(jwk), &pub), TESSERA_OK);
    assert_int_equal(tessera_keyset_new(&ks), TESSERA_OK);
    assert_int_equal(tessera_keyset_add(ks, pub), TESSERA_OK);
    assert_non_null(jwks = tessera_keyset_to_jwks(ks));
    snprintf(answer, sizeof answer, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(jwks), jwks);
    tls_file(&t, "direct.json", answer);
    snprintf(answer, sizeof answer, "HTTP/1.0 302 Found\r\nLocation: %s\r\n"
             "Content-Length: 0\r\n\r\n", plain);
    tls_file(&t, "down.json", answer);
    snprintf(answer, sizeof answer, "HTTP/1.0 302 Found\r\nLocation: "
             "https://127.0.0.1:%d/direct.json\r\nContent-Length: 0\r\n\r\n", t.port);
    tls_file(&t, "up.json", answer);

    /* https, trusted through ca_file (and not without it). */
    snprintf(url, sizeof url, "https://127.0.0.1:%d/direct.json", t.port);
    base_options(&o, url);
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_KEY);
    o.ca_file = t.ca;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(check(v, ta), TESSERA_OK);
    tessera_verifier_free(v);

    /* https -> https: followed. */
    snprintf(url, sizeof url, "https://127.0.0.1:%d/up.json", t.port);
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    tessera_verifier_free(v);

    /* https -> http: refused, the http server never asked; allowed on request. */
    snprintf(url, sizeof url, "https://127.0.0.1:%d/down.json", t.port);
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_ERR_KEY);
    assert_int_equal(atomic_load(&s.requests), 1);
    o.allow_insecure_redirects = 1;
    assert_int_equal(tessera_verifier_new(&o, &v), TESSERA_OK);
    assert_int_equal(atomic_load(&s.requests), 2);
    assert_int_equal(check(v, ta), TESSERA_OK);
    tessera_verifier_free(v);

    tls_stop(&t);
    free(jwks);
    tessera_keyset_free(ks);
out:
    free(jwk);
    free(ta);
    tessera_key_free(a);
    server_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_and_verify),
        cmocka_unit_test(test_rotation_and_rate_limit),
        cmocka_unit_test(test_server_down_keeps_keys),
        cmocka_unit_test(test_new_errors),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_feed_revokes_listed_sessions),
        cmocka_unit_test(test_feed_failures),
        cmocka_unit_test(test_feed_thread_polls),
        cmocka_unit_test(test_retired_key_stops_on_schedule),
        cmocka_unit_test(test_schedule_bounds),
        cmocka_unit_test(test_oct_keys_refused),
        cmocka_unit_test_teardown(test_redirects, tls_teardown),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
