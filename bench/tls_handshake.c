/* SPDX-License-Identifier: Apache-2.0 */
/* New connections per second: a TCP connection, for https a full TLS handshake (no
 * session resumption), one request, the response, close; again and again.
 *
 *   build/bench/tls_handshake URL SECONDS CONNECTIONS [CAFILE]
 *
 *   build/bench/tls_handshake https://127.0.0.1:8443/healthz 10 16
 *   build/bench/tls_handshake http://127.0.0.1:8080/healthz 10 16
 *
 * URL is http://HOST:PORT/PATH or https://HOST:PORT/PATH (HOST a name or a numeric
 * address; IPv6 in brackets). CONNECTIONS threads, each with one connection at a time,
 * loop until SECONDS are up:
 *
 *   socket + connect (TCP_NODELAY); for https a new SSL from a context whose client
 *   session cache is off and that refuses tickets (SSL_OP_NO_TICKET), so every
 *   SSL_connect is a full handshake (checked: SSL_session_reused() is counted, and
 *   must stay 0); "GET PATH HTTP/1.1" with "Connection: close"; the response read
 *   to the end of its Content-Length; then read until the server closes; close.
 *
 * wrk is not used for this: with "Connection: close" it does reconnect for every
 * request, but it keeps each connection's SSL object (SSL_shutdown + SSL_clear), so its
 * next SSL_connect offers the previous session and resumes it wherever the server
 * issues tickets (nginx does, libmicrohttpd's GnuTLS does not): the two servers would
 * be measured on different handshakes.
 *
 * Certificates are not verified unless CAFILE is given (then the chain must verify
 * against it and the certificate must match HOST): as with wrk, the client's cost per
 * handshake stays the protocol's own (key exchange, the CertificateVerify signature),
 * without a second ECDSA verification of the chain. No ALPN, no SNI for an address.
 *
 * Prints one line on stdout, in the shape of bench/status.lua's:
 *
 *   BENCH requests=N seconds=S rps=R p50_ms=A p99_ms=B non2xx=K close=C sockerr=E
 *         statuses=200:N resumed=0 tls=TLSv1.3/TLS_AES_256_GCM_SHA384/x25519
 *
 * requests: completed connections (each one response); rps: their rate; p50/p99:
 * latency from socket() to the last byte of the response (connect, handshake, request
 * and response); non2xx: responses outside 200-299; close: responses that carried
 * "Connection: close" (all, normally); sockerr: connect, handshake, read, write and
 * timeout (5 s) failures and truncated responses; resumed: resumed TLS sessions;
 * tls: protocol, cipher and key-exchange group of the first handshake ("none" for
 * http). The first few errors go to stderr, then a detail line. Exit 1 when nothing
 * completed or setup failed, 2 on bad arguments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_ERR_REPORTS 5

struct worker {
    pthread_t tid;
    unsigned long done, non2xx, close, sockerr, resumed;
    unsigned long status[600];
    uint32_t *lat_us;                 /* latency of each completed connection */
    size_t nlat, caplat;
    char tls[160];                    /* first handshake's protocol/cipher/group */
};

static int use_tls;
static SSL_CTX *ctx;
static struct addrinfo *addr;
static char host[256], request[1024];
static double deadline;
static int err_reports;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *what, const char *detail)
{
    pthread_mutex_lock(&err_lock);
    if (err_reports < MAX_ERR_REPORTS)
        fprintf(stderr, "tls_handshake: %s: %s\n", what, detail);
    else if (err_reports == MAX_ERR_REPORTS)
        fprintf(stderr, "tls_handshake: (further errors not shown)\n");
    err_reports++;
    pthread_mutex_unlock(&err_lock);
}

static void report_ssl(const char *what, SSL *ssl, int rc)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    else
        snprintf(buf, sizeof buf, "SSL_get_error %d, errno %s",
                 ssl ? SSL_get_error(ssl, rc) : 0, strerror(errno));
    ERR_clear_error();
    report(what, buf);
}

/* Reads into buf; returns bytes, 0 at the end of the stream, -1 on an error. */
static int conn_read(int fd, SSL *ssl, char *buf, int len)
{
    if (!ssl) {
        ssize_t n;
        do
            n = recv(fd, buf, (size_t)len, 0);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -1 : (int)n;
    }
    int n = SSL_read(ssl, buf, len);
    if (n > 0)
        return n;
    int e = SSL_get_error(ssl, n);
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    /* SSL_OP_IGNORE_UNEXPECTED_EOF: a close without close_notify is a plain EOF too. */
    return -1;
}

static int conn_write(int fd, SSL *ssl, const char *buf, int len)
{
    if (ssl)
        return SSL_write(ssl, buf, len) == len ? 0 : -1;
    while (len > 0) {
        ssize_t n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (int)n;
    }
    return 0;
}

static const char *header_value(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            line += n + 1;
            while (*line == ' ' || *line == '\t')
                line++;
            return line;
        }
    }
    return NULL;
}

static void add_latency(struct worker *w, double seconds)
{
    if (w->nlat == w->caplat) {
        size_t cap = w->caplat ? w->caplat * 2 : 65536;
        uint32_t *p = realloc(w->lat_us, cap * sizeof *p);
        if (!p)
            return;
        w->lat_us = p;
        w->caplat = cap;
    }
    double us = seconds * 1e6;
    w->lat_us[w->nlat++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

/* One connection, one request. 0: a complete response; -1: a socket or TLS error. */
static int one(struct worker *w)
{
    double t0 = now();
    int fd = socket(addr->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        report("socket", strerror(errno));
        return -1;
    }
    SSL *ssl = NULL;
    int rc = -1;
    struct timeval tv = { 5, 0 };
    int one_ = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof one_);
    if (connect(fd, addr->ai_addr, addr->ai_addrlen) != 0) {
        report("connect", strerror(errno));
        goto out;
    }
    if (use_tls) {
        if (!(ssl = SSL_new(ctx)) || !SSL_set_fd(ssl, fd)) {
            report_ssl("SSL_new", NULL, 0);
            goto out;
        }
        if (ctx && SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE &&
            !SSL_set1_host(ssl, host)) {
            report_ssl("SSL_set1_host", ssl, 0);
            goto out;
        }
        int r = SSL_connect(ssl);
        if (r != 1) {
            report_ssl("SSL_connect", ssl, r);
            goto out;
        }
        if (SSL_session_reused(ssl))
            w->resumed++;
        if (!w->tls[0]) {
            int g = SSL_get_negotiated_group(ssl);
            const char *gn = g ? SSL_group_to_name(ssl, g) : NULL;
            snprintf(w->tls, sizeof w->tls, "%s/%s/%s", SSL_get_version(ssl),
                     SSL_get_cipher_name(ssl), gn ? gn : "none");
        }
    }
    int reqlen = (int)strlen(request);
    if (conn_write(fd, ssl, request, reqlen) != 0) {
        report("write", ssl ? "SSL_write failed" : strerror(errno));
        goto out;
    }

    char buf[16384];
    int have = 0, status = 0, closes = 0;
    long body_left = -1;              /* -1: until the end of the stream */
    char *end = NULL;
    while (!end) {                    /* the header */
        if (have == (int)sizeof buf - 1) {
            report("read", "response header over 16 KiB");
            goto out;
        }
        int n = conn_read(fd, ssl, buf + have, (int)sizeof buf - 1 - have);
        if (n <= 0) {
            report("read", n == 0 ? "closed before the response header" :
                   errno == EAGAIN ? "timeout (5 s)" : "error");
            goto out;
        }
        have += n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    *end = '\0';
    if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1 || status < 100 || status > 599) {
        report("read", "no HTTP status line");
        goto out;
    }
    const char *v = header_value(buf, "Content-Length");
    int has_length = v != NULL;
    if (has_length)
        body_left = strtol(v, NULL, 10);
    v = header_value(buf, "Connection");
    closes = v && strncasecmp(v, "close", 5) == 0;
    long got = have - (long)(end + 4 - buf);
    if (has_length)
        body_left -= got;
    if (has_length && body_left < 0) {
        report("read", "more bytes than Content-Length");
        goto out;
    }
    while (body_left != 0) {          /* the body */
        int n = conn_read(fd, ssl, buf, (int)sizeof buf);
        if (n < 0) {
            report("read", errno == EAGAIN ? "timeout (5 s) in the body" : "error in the body");
            goto out;
        }
        if (n == 0) {
            if (body_left > 0) {
                report("read", "closed before the end of the body");
                goto out;
            }
            break;
        }
        if (body_left > 0)
            body_left -= n;
        if (body_left < 0 && has_length) {   /* more than Content-Length */
            report("read", "more bytes than Content-Length");
            goto out;
        }
    }
    double t1 = now();
    /* Connection: close: the server closes; wait for it (bounded by the timeout). */
    while (body_left == 0 && conn_read(fd, ssl, buf, (int)sizeof buf) > 0)
        ;
    w->status[status]++;
    if (status < 200 || status > 299)
        w->non2xx++;
    w->close += (unsigned long)closes;
    add_latency(w, t1 - t0);
    rc = 0;
out:
    SSL_free(ssl);                    /* no SSL_shutdown: the server has closed */
    close(fd);
    return rc;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    while (now() < deadline) {
        if (one(w) == 0)
            w->done++;
        else
            w->sockerr++;
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int usage(void)
{
    fprintf(stderr, "usage: tls_handshake http[s]://HOST:PORT/PATH SECONDS CONNECTIONS "
                    "[CAFILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5)
        return usage();
    const char *url = argv[1], *rest;
    if (strncmp(url, "https://", 8) == 0) {
        use_tls = 1;
        rest = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        rest = url + 7;
    } else {
        return usage();
    }
    double seconds = strtod(argv[2], NULL);
    long conns = strtol(argv[3], NULL, 10);
    if (seconds <= 0 || conns < 1 || conns > 4096)
        return usage();

    const char *path = strchr(rest, '/');
    size_t hostport_len = path ? (size_t)(path - rest) : strlen(rest);
    if (!path)
        path = "/";
    char hostport[300], port[16];
    if (hostport_len == 0 || hostport_len >= sizeof hostport)
        return usage();
    memcpy(hostport, rest, hostport_len);
    hostport[hostport_len] = '\0';
    const char *colon = strrchr(hostport, ':');
    if (!colon || strchr(colon, ']') || strlen(colon + 1) >= sizeof port)
        snprintf(port, sizeof port, "%s", use_tls ? "443" : "80");
    else
        snprintf(port, sizeof port, "%s", colon + 1);
    size_t hl = colon && !strchr(colon, ']') ? (size_t)(colon - hostport) : hostport_len;
    if (hl >= sizeof host)
        return usage();
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    snprintf(request, sizeof request,
             "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tessera-bench\r\n"
             "Accept: */*\r\nConnection: close\r\n\r\n", path, hostport);

    struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
    int gai = getaddrinfo(host, port, &hints, &addr);
    if (gai != 0) {
        fprintf(stderr, "tls_handshake: %s: %s\n", host, gai_strerror(gai));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);

    if (use_tls) {
        if (!(ctx = SSL_CTX_new(TLS_client_method()))) {
            ERR_print_errors_fp(stderr);
            return 1;
        }
        /* A full handshake every time: no client session cache, no tickets. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        if (argc == 5) {
            if (SSL_CTX_load_verify_locations(ctx, argv[4], NULL) != 1) {
                fprintf(stderr, "tls_handshake: cannot load %s\n", argv[4]);
                ERR_print_errors_fp(stderr);
                return 1;
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        } else {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        }
    }

    struct worker *w = calloc((size_t)conns, sizeof *w);
    if (!w) {
        fprintf(stderr, "tls_handshake: out of memory\n");
        return 1;
    }
    double t0 = now();
    deadline = t0 + seconds;
    long started = 0;
    for (; started < conns; started++)
        if (pthread_create(&w[started].tid, NULL, run, &w[started]) != 0) {
            fprintf(stderr, "tls_handshake: pthread_create failed\n");
            deadline = 0;
            break;
        }
    for (long i = 0; i < started; i++)
        pthread_join(w[i].tid, NULL);
    double elapsed = now() - t0;
    if (started < conns)
        return 1;

    unsigned long done = 0, non2xx = 0, close_ = 0, sockerr = 0, resumed = 0;
    unsigned long status[600] = { 0 };
    size_t nlat = 0;
    const char *tls = use_tls ? "unknown" : "none";
    for (long i = 0; i < conns; i++) {
        done += w[i].done;
        non2xx += w[i].non2xx;
        close_ += w[i].close;
        sockerr += w[i].sockerr;
        resumed += w[i].resumed;
        nlat += w[i].nlat;
        for (int s = 0; s < 600; s++)
            status[s] += w[i].status[s];
        if (use_tls && w[i].tls[0] && strcmp(tls, "unknown") == 0)
            tls = w[i].tls;
    }
    uint32_t *lat = malloc((nlat ? nlat : 1) * sizeof *lat);
    if (!lat) {
        fprintf(stderr, "tls_handshake: out of memory\n");
        return 1;
    }
    size_t k = 0;
    for (long i = 0; i < conns; i++) {
        if (w[i].nlat)
            memcpy(lat + k, w[i].lat_us, w[i].nlat * sizeof *lat);
        k += w[i].nlat;
    }
    qsort(lat, nlat, sizeof *lat, cmp_u32);
    double p50 = nlat ? lat[(size_t)(0.50 * (double)(nlat - 1))] / 1000.0 : 0;
    double p99 = nlat ? lat[(size_t)(0.99 * (double)(nlat - 1))] / 1000.0 : 0;

    char list[2048] = "none";
    size_t off = 0;
    for (int s = 0; s < 600; s++)
        if (status[s] && off < sizeof list - 32)
            off += (size_t)snprintf(list + off, sizeof list - off, "%s%d:%lu",
                                    off ? "," : "", s, status[s]);
    printf("BENCH requests=%lu seconds=%.2f rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%lu "
           "close=%lu sockerr=%lu statuses=%s resumed=%lu tls=%s\n",
           done, elapsed, done / elapsed, p50, p99, non2xx, close_, sockerr, list, resumed,
           tls);
    fprintf(stderr, "tls_handshake: %s, %ld connections at a time, %.2f s: %lu complete, "
                    "%lu failed, %lu resumed\n", url, conns, elapsed, done, sockerr,
            resumed);
    return done ? 0 : 1;
}
