/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd glue: request life cycle, limits, auth, dispatch, logging. */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "core/metrics.h"
#include "base/netaddr.h"
#include "base/secret.h"
#include "base/text.h"
#include "core/token.h"
#include "http/conncap.h"
#include "http/cors.h"
#include "http/deadline.h"
#include "http/exchange.h"
#include "http/headers.h"
#include "http/tls.h"
#include "http/workers.h"

/* Open connections a listener accepts (MHD_OPTION_CONNECTION_LIMIT). */
#define MAX_CONNECTIONS 4096

struct server {
    struct MHD_Daemon *d;
    struct app *app;
    const struct router *router;
    struct worker_pool *workers;
    unsigned port;
    atomic_ulong next_id;
    unsigned long id_prefix;
    struct netaddr_list proxies;   /* server.trusted_proxies */
    struct deadlines *deadlines;   /* server.request_timeout (deadline.c) */
    struct conncap *conncap;       /* server.max_connections_per_ip (conncap.c) */
    const struct tls_ctx *tls;     /* certificates and client CA, or NULL */
    int is_tls;                    /* this listener speaks TLS */
    int owns_workers;              /* the first listener starts the hashing pool */
    /* Graceful stop without MHD_quiesce_daemon, which can abort the process with an
     * epoll thread pool (an open libmicrohttpd race on the listening socket): once
     * draining is set, new requests get 503 + Connection: close, and server_stop waits
     * for the admitted ones. */
    atomic_int draining;
    atomic_long admitted;          /* requests in progress that came before draining */
    int *route_metric;             /* per router row (router_row): its metrics_route */
};

enum phase {
    PH_NEW,          /* headers seen, body (if any) being read */
    PH_WORKER,       /* handed to the worker pool, connection suspended */
    PH_DONE          /* response ready in st->x.res */
};

/* Everything about one request, from the first call of the access handler to the
 * completion callback. */
struct req_state {
    struct server *srv;
    struct MHD_Connection *conn;
    int admitted;            /* counted in srv->admitted (came before draining) */
    struct exchange x;       /* request, answer, what the row's requirements gave */
    enum phase phase;
    int own_timeout;         /* suspend_for_worker() gave the connection its own timeout */
    int close_now;           /* answer before the body, then close (bad framing) */
    int dropped;             /* the client left while its job was queued */
    MHD_socket fd;           /* the connection's socket, for client_gone() */
    ts_err early;            /* an error found while reading (404, 405, 413, 415) */
    int cors;                /* the route does CORS: the answer varies with Origin */
    int preflight;           /* an allowed CORS preflight, answered 204 */
    char origin[ORIGIN_MAX]; /* the request's Origin when allowed (canonical), or "" */
    char param[STORE_NAME_LEN + 1];
    char *body;
    size_t body_len, body_max;
    int sent_status;
    struct timespec start;
};

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Behind a trusted proxy the client is the rightmost X-Forwarded-For entry that is not
 * itself a trusted proxy; anyone else's X-Forwarded-For is ignored (it is the client's
 * own say-so). */
static void forwarded_ip(const struct netaddr_list *proxies, const char *xff,
                         char ip[64])
{
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        char cand[64];
        if (!netaddr_canonical(start, (size_t)(end - start), cand))
            return;                    /* malformed: keep the last good address */
        snprintf(ip, 64, "%s", cand);
        if (!netaddr_match(proxies, cand))
            return;
        end = start > xff ? start - 1 : xff;
    }
}

static void client_ip(struct MHD_Connection *c, char out[64])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 64);
}

/* "application/json; charset=utf-8" matches "application/json". */
static int media_type_is(const char *header, const char *want)
{
    size_t n = strlen(want);
    if (!header || strncasecmp(header, want, n) != 0)
        return 0;
    header += n;
    while (*header == ' ' || *header == '\t')
        header++;
    return *header == '\0' || *header == ';';
}

static void run_handler(struct req_state *st)
{
    if (!exchange_run(&st->x))
        st->phase = PH_DONE;
}

static void worker_job(void *arg)
{
    struct req_state *st = arg;
    st->x.req.on_worker = 1;
    run_handler(st);
    MHD_resume_connection(st->conn);
}

/* libmicrohttpd 0.9.75 keeps a suspended connection's last event-loop state, "wants to
 * read": on resume it reads before it builds the answer, and when the client has shut
 * its write side (SHUT_WR after a complete request, as some clients and proxies do),
 * that read sees the FIN and MHD closes the connection, the answer lost. The resumed
 * connections MHD visits first (an idle pass that calls on_request, which queues the
 * answer, so the next pass writes instead of reading) are those in its list of
 * connections with their own timeout. So a suspended connection gets a timeout of its
 * own, one second longer than the daemon's (no timeout runs while suspended), and
 * back the daemon's when its answer is queued (answer_resumed). */
static void suspend_for_worker(struct req_state *st)
{
    MHD_set_connection_option(st->conn, MHD_CONNECTION_OPTION_TIMEOUT,
                              (unsigned)st->srv->app->cfg.connection_timeout + 1);
    st->own_timeout = 1;
    MHD_suspend_connection(st->conn);
}

static void answer_resumed(struct req_state *st)
{
    if (!st->own_timeout)
        return;
    MHD_set_connection_option(st->conn, MHD_CONNECTION_OPTION_TIMEOUT,
                              (unsigned)st->srv->app->cfg.connection_timeout);
    st->own_timeout = 0;
}

/* The client is gone for certain: the connection was reset or fully shut (POLLHUP,
 * POLLERR). A FIN alone (POLLRDHUP) is not enough: a client that half-closes after
 * its request still waits for the answer, and it looks the same as one that left. */
static int client_gone(void *arg)
{
    struct req_state *st = arg;
    struct pollfd pfd = { .fd = st->fd, .events = POLLIN };
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* Instead of worker_job for a client that left: no hashing; the resumed call closes
 * the connection without an answer. */
static void drop_job(void *arg)
{
    struct req_state *st = arg;
    st->dropped = 1;
    st->phase = PH_DONE;
    MHD_resume_connection(st->conn);
}

static enum MHD_Result send_response(struct req_state *st)
{
    struct response *res = &st->x.res;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        res->body_len, res->body ? res->body : (void *)"", MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (res->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    if (st->x.req.route && (st->x.req.route->flags & ROUTE_NO_STORE)) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(r, MHD_HTTP_HEADER_PRAGMA, "no-cache");
    }
    MHD_add_response_header(r, "X-Request-Id", st->x.req.request_id);
    if (st->preflight && res->status == 204)
        cors_preflight_headers(r, &st->srv->app->cfg, st->origin, st->x.allow);
    else if (st->cors)
        cors_actual_headers(r, &st->srv->app->cfg, st->origin[0] ? st->origin : NULL);
    for (int i = 0; i < res->nheaders; i++)
        MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
    if (res->retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%ld", res->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    st->sent_status = res->status;
    enum MHD_Result ok = MHD_queue_response(st->conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* struct request_io over libmicrohttpd: the lines of the connection's request. */
struct mhd_walk {
    http_line_fn fn;
    void *cls;
};

static enum MHD_Result mhd_line(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    struct mhd_walk *w = cls;
    (void)kind;
    return w->fn(w->cls, key, value) ? MHD_NO : MHD_YES;
}

static void mhd_each(void *src, enum http_kind kind, http_line_fn fn, void *cls)
{
    struct mhd_walk w = { fn, cls };
    MHD_get_connection_values(src, kind == HTTP_KIND_QUERY ? MHD_GET_ARGUMENT_KIND
                                                           : MHD_HEADER_KIND,
                              mhd_line, &w);
}

static void *mhd_tls_session(void *src)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(src, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return ci ? ci->tls_session : NULL;
}

static const struct request_io mhd_io = { mhd_each, mhd_tls_session };

/* Behind a trusted proxy, the client named by X-Forwarded-For, read across all its
 * lines (a proxy may append a line of its own rather than extend the client's). */
static ts_err resolve_client(struct req_state *st)
{
    struct server *srv = st->srv;
    if (!srv->proxies.n || !netaddr_match(&srv->proxies, st->x.req.ip))
        return TS_OK;
    st->x.req.peer_trusted = 1;
    /* A chain of a hundred proxies fits; no allocation on the request path. */
    char xff[4096];
    int r = http_header_list(&st->x.req, "X-Forwarded-For", xff, sizeof xff);
    if (r > 0)
        forwarded_ip(&srv->proxies, xff, st->x.req.ip);
    if (r < 0)
        return http_fail(&st->x.res, TS_EINVAL, "X-Forwarded-For is too long.");
    return TS_OK;
}

static struct req_state *state_new(struct server *srv, struct MHD_Connection *conn,
                                   const char *method, const char *url)
{
    struct req_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &st->start);
    st->srv = srv;
    st->conn = conn;
    st->x.req.app = srv->app;
    st->x.req.io = &mhd_io;
    st->x.req.io_src = conn;
    st->x.req.method = method;
    st->x.req.path = url;    /* MHD strips the query string from `url` */
    snprintf(st->x.req.request_id, sizeof st->x.req.request_id, "%lx-%lx",
             srv->id_prefix, atomic_fetch_add(&srv->next_id, 1));
    client_ip(conn, st->x.req.ip);
    /* Kept in session rows and shown again: cleaned here, where it enters. */
    const char *ua = http_header(&st->x.req, "User-Agent");
    text_clean(ua ? ua : "", st->x.req.user_agent, sizeof st->x.req.user_agent);
    st->x.req.tls = srv->tls;
    st->x.req.is_tls = srv->is_tls;
    atomic_fetch_add(&srv->app->active_requests, 1);
    /* Count first, then look: server_stop sets draining, then reads admitted, so a
     * request is either counted before it looks or sees draining (seq_cst). */
    atomic_fetch_add(&srv->admitted, 1);
    st->admitted = 1;
    if (atomic_load(&srv->draining)) {
        atomic_fetch_sub(&srv->admitted, 1);
        st->admitted = 0;
    }
    return st;
}

/* The header lines' framing (headers.h) and the client's address: a request whose
 * framing is ambiguous is answered 400 before any route runs, and its connection is
 * closed (what follows its headers cannot be trusted to be a body or a request). */
static void check_framing(struct req_state *st, const char *version)
{
    char why[sizeof st->x.res.error_description];
    if (http_headers_check(&st->x.req, version, st->srv->app->cfg.client_cert_header,
                           why, sizeof why) != 0) {
        http_fail(&st->x.res, TS_EINVAL, "%s", why);
        st->early = TS_EINVAL;
    } else {
        st->early = resolve_client(st);
    }
    if (st->early)
        st->close_now = 1;
}

/* A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. Allowed
 * (the method's route does CORS and the origin is listed), it is answered 204 with
 * the path's methods once the request is in; otherwise 404 or 405 as for any method,
 * or 403 without CORS headers, which the browser takes as a refusal. */
static void on_preflight(struct req_state *st, const char *origin, const char *want)
{
    const struct config *cfg = &st->srv->app->cfg;
    const struct route *rt;
    const char *param;
    size_t plen;
    char unused[sizeof st->x.allow];
    /* No route has method OPTIONS: this fills allow with the path's methods. */
    ts_err e = router_match(st->srv->router, "OPTIONS", st->x.req.path, &rt, &param,
                            &plen, st->x.allow, sizeof st->x.allow);
    st->cors = 1;
    if (e == TS_ENOTFOUND) {
        st->early = e;
        return;
    }
    e = router_match(st->srv->router, want, st->x.req.path, &rt, &param, &plen, unused,
                     sizeof unused);
    if (e) {
        st->early = TS_EMETHOD;
        return;
    }
    if (!cors_route(cfg, rt) || !cors_origin_allowed(cfg, origin, st->origin)) {
        http_fail(&st->x.res, TS_EDISABLED, "Cross-origin requests from this origin to "
                  "this endpoint are not allowed (cors.allowed_origins).");
        st->early = TS_EDISABLED;
        return;
    }
    st->x.req.route = rt;
    st->preflight = 1;
}

/* First call: route the request and check what can be checked before the body. */
static void on_headers(struct req_state *st)
{
    struct server *srv = st->srv;
    const struct route *rt;
    const char *param;
    size_t plen;
    if (!st->admitted) {
        http_fail(&st->x.res, TS_EBUSY, "The server is shutting down; retry.");
        http_add_header(&st->x.res, "Connection", "close");
        st->early = TS_EBUSY;
        return;
    }
    if (srv->app->cfg.cors_allowed_origins[0] &&
        strcmp(st->x.req.method, "OPTIONS") == 0) {
        const char *origin = http_header(&st->x.req, "Origin");
        const char *want = http_header(&st->x.req, "Access-Control-Request-Method");
        if (origin && want) {
            on_preflight(st, origin, want);
            return;            /* body_max stays 0: a preflight has no body */
        }
    }
    ts_err e = router_match(srv->router, st->x.req.method, st->x.req.path, &rt, &param,
                            &plen, st->x.allow, sizeof st->x.allow);
    if (e) {
        st->early = e;
        return;
    }
    st->x.req.route = rt;
    if (cors_route(&srv->app->cfg, rt)) {
        st->cors = 1;
        cors_origin_allowed(&srv->app->cfg, http_header(&st->x.req, "Origin"),
                            st->origin);
    }
    if (param) {
        if (plen >= sizeof st->param) {
            st->early = TS_ENOTFOUND;
            return;
        }
        memcpy(st->param, param, plen);
        st->param[plen] = '\0';
        st->x.req.path_param = st->param;
    }

    const char *ct = http_header(&st->x.req, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *cl = http_header(&st->x.req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = http_header(&st->x.req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    int has_body = (cl && strcmp(cl, "0") != 0) || te;

    st->body_max = (size_t)srv->app->cfg.max_body;
    if (rt->max_body && rt->max_body < st->body_max)
        st->body_max = rt->max_body;
    if (!rt->content_type) {
        st->body_max = 0;
        if (has_body) {
            http_fail(&st->x.res, TS_EINVAL, "This endpoint takes no request body.");
            st->early = TS_EINVAL;
        }
        return;
    }
    if (has_body && !media_type_is(ct, rt->content_type)) {
        http_fail(&st->x.res, TS_EMEDIA, "The request body must be %s.",
                  rt->content_type);
        st->early = TS_EMEDIA;
        return;
    }
    if (cl && strtoull(cl, NULL, 10) > st->body_max) {
        http_fail(&st->x.res, TS_ETOOBIG, "The request body is larger than %zu bytes.",
                  st->body_max);
        st->early = TS_ETOOBIG;
    }
}

static int on_body(struct req_state *st, const char *data, size_t n)
{
    if (st->early)
        return 0;                 /* discard: an error answer is already decided */
    if (st->body_len + n > st->body_max) {
        http_fail(&st->x.res, TS_ETOOBIG, "The request body is larger than %zu bytes.",
                  st->body_max);
        st->early = TS_ETOOBIG;
        return 0;
    }
    char *b = realloc(st->body, st->body_len + n + 1);
    if (!b) {
        st->early = TS_ENOMEM;
        return 0;
    }
    memcpy(b + st->body_len, data, n);
    st->body = b;
    st->body_len += n;
    st->body[st->body_len] = '\0';
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct server *srv = cls;
    struct req_state *st = *con_cls;

    if (!st) {
        st = state_new(srv, conn, method, url);
        if (!st)
            return MHD_NO;
        *con_cls = st;
        check_framing(st, version);
        if (!st->early)
            on_headers(st);
        if (st->early == TS_ETOOBIG || st->early == TS_EMEDIA || !st->admitted ||
            st->close_now) {
            /* Answer before reading a body we will not use; MHD then closes the
             * connection instead of draining it. */
            exchange_error(&st->x, st->early);
            if (st->close_now)
                http_add_header(&st->x.res, "Connection", "close");
            st->phase = PH_DONE;
            return send_response(st);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        on_body(st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->phase == PH_DONE) {
        answer_resumed(st);
        if (st->dropped)
            return MHD_NO;       /* its client left: close, nothing to send */
        return send_response(st);
    }
    if (st->phase == PH_WORKER)
        return MHD_YES;          /* spurious call while suspended */

    /* The whole request is in. */
    deadlines_request_in(conn);
    st->x.req.body = st->body;
    st->x.req.body_len = st->body_len;
    const struct route *rt = st->x.req.route;
    ts_err e = st->early;
    /* tls.client_certs=required holds on every listener: on the plain one a
     * certificate can only come from a trusted proxy's header, and only the health
     * probes go without. */
    if (!e && tls_client_cert_required(srv->tls) &&
        !(!srv->is_tls && (rt->flags & ROUTE_PROBE)) &&
        !http_client_cert(&st->x.req)->trusted)
        e = TS_ECERT;
    if (!e && st->preflight) {
        http_no_content(&st->x.res);
        st->phase = PH_DONE;
        return send_response(st);
    }
    if (!e)
        e = exchange_admit(&st->x);
    if (e) {
        exchange_error(&st->x, e);
        st->phase = PH_DONE;
        return send_response(st);
    }
    int to_worker = (rt->flags & ROUTE_WORKER) != 0;
    if (!to_worker) {
        run_handler(st);
        if (st->phase == PH_DONE)
            return send_response(st);
        to_worker = 1;              /* the handler deferred itself */
        memset(&st->x.res, 0, sizeof st->x.res);
    }
    if (to_worker) {
        st->phase = PH_WORKER;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        st->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        suspend_for_worker(st);
        if (workers_submit_droppable(srv->workers, worker_job,
                                     st->fd != MHD_INVALID_SOCKET ? client_gone : NULL,
                                     drop_job, st) == 0)
            return MHD_YES;
        MHD_resume_connection(conn);
        http_fail(&st->x.res, TS_EBUSY, "Too many logins at once; retry shortly.");
        exchange_error(&st->x, TS_EBUSY);
        st->phase = PH_DONE;
        return MHD_YES;          /* the resumed call sends it */
    }
    return MHD_YES;
}

/* The metrics number of a matched row; -1 (unmatched) for none. */
static int route_metric(const struct server *s, const struct route *rt)
{
    int row = router_row(s->router, rt);
    return row < 0 ? -1 : s->route_metric[row];
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *srv = cls;
    struct req_state *st = *con_cls;
    if (!st)
        return;
    int st_admitted = st->admitted;
    struct log_request lr = {
        .method = st->x.req.method, .path = st->x.req.path,
        .request_id = st->x.req.request_id, .ip = st->x.req.ip,
        .status = st->sent_status, .duration_ms = ms_since(&st->start),
        .aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK,
    };
    log_request(&lr);
    /* A preflight's route is the one it asks about: it counts as OPTIONS, unrouted. */
    if (st->sent_status)        /* a request that got no answer has no status to count */
        metrics_request(route_metric(srv, st->preflight ? NULL : st->x.req.route),
                        st->x.req.method, st->sent_status, lr.duration_ms / 1e3);
    deadlines_request_done(conn);
    exchange_clear(&st->x);
    free(st->body);
    free(st);
    *con_cls = NULL;
    if (st_admitted)
        atomic_fetch_sub(&srv->admitted, 1);
    atomic_fetch_sub(&srv->app->active_requests, 1);
}

/* MHD_OPTION_NOTIFY_CONNECTION: the per-address count and the request deadlines. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        conncap_started(srv->conncap, c);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        conncap_closed(srv->conncap, c);
    deadlines_notify(srv->deadlines, c, socket_context, code);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_msg("warn", "http: %s", msg);
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

ts_err server_start(struct app *a, const struct router *r,
                    const struct listener *l, struct server **out, char *err,
                    size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    struct server *s;

    *out = NULL;
    if (getsockname(l->fd, (struct sockaddr *)&ss, &sslen) != 0)
        ss.ss_family = AF_INET;
    s = calloc(1, sizeof *s);
    if (!s) {
        close(l->fd);
        snprintf(err, errlen, "out of memory");
        return TS_ENOMEM;
    }
    s->app = a;
    s->router = r;
    s->tls = l->tls;
    s->is_tls = l->use_tls;
    if (netaddr_parse_list(a->cfg.trusted_proxies, &s->proxies, err, errlen) != 0) {
        close(l->fd);
        free(s);
        return TS_EINVAL;
    }
    s->id_prefix = (unsigned long)time(NULL) & 0xffffff;
    if (!(s->route_metric = malloc(((size_t)router_rows(r) + 1) * sizeof(int)))) {
        close(l->fd);
        free(s);
        snprintf(err, errlen, "out of memory");
        return TS_ENOMEM;
    }
    int row = 0, unregistered = 0;
    for (int t = 0; t < r->ntables; t++)
        for (const struct route *rt = r->tables[t]; rt->method; rt++)
            unregistered |= (s->route_metric[row++] = metrics_route(rt->method, rt->path)) < 0;
    if (unregistered)
        log_msg("warn", "metrics: too many routes: some count as unmatched");
    int threads = a->cfg.threads ? a->cfg.threads : cores();
    int hashers = a->cfg.hash_workers ? a->cfg.hash_workers : cores();
    /* One hashing pool for the process, whatever the number of listeners. */
    if (a->workers) {
        s->workers = a->workers;
    } else {
        if (!(s->workers = workers_start(hashers, a->cfg.hash_queue))) {
            snprintf(err, errlen, "cannot start the worker pool");
            close(l->fd);
            free(s->route_metric);
            free(s);
            return TS_ENOMEM;
        }
        s->owns_workers = 1;
        a->workers = s->workers;
    }
    if (!(s->deadlines = deadlines_start(a->cfg.request_timeout))) {
        snprintf(err, errlen, "cannot start the request watchdog");
        goto fail;
    }
    if (!(s->conncap = conncap_new((unsigned)a->cfg.max_connections_per_ip,
                                   MAX_CONNECTIONS, &s->proxies))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    size_t mem = (size_t)a->cfg.max_header * 2;
    if (mem < 32768)
        mem = 32768;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls_opts[5];
    int n = 0;
    if (l->use_tls) {
        flags |= MHD_USE_TLS;
        tls_opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
                                                 (void *)tls_cert_pem(l->tls) };
        tls_opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
                                                 (void *)tls_key_pem(l->tls) };
        /* TLS 1.2 and 1.3 only. */
        tls_opts[n++] = (struct MHD_OptionItem){
            MHD_OPTION_HTTPS_PRIORITIES, 0,
            (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" };
        if (tls_trust_pem(l->tls))     /* makes the handshake ask for a certificate */
            tls_opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                                     (void *)tls_trust_pem(l->tls) };
    }
    tls_opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    s->d = MHD_start_daemon(flags, 0, conncap_accept, s->conncap, on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            /* bound by the caller (server/listen.c), so that
                             * the port is known before a request is accepted */
                            MHD_OPTION_LISTEN_SOCKET, l->fd,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                            MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)a->cfg.connection_timeout,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
                            /* 1: HTTP/1.1 without Host and a space in the request
                             * target are 400; the rest of RFC 9112's framing rules
                             * are checked in check_framing (headers.c) */
                            MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_ARRAY, tls_opts,
                            MHD_OPTION_END);
    if (!s->d) {
        /* libmicrohttpd closed the socket it was given */
        snprintf(err, errlen, "cannot listen on %s (a bad TLS certificate or key?)",
                 l->listen);
        goto fail_closed;
    }
    s->port = l->port;
    *out = s;
    return TS_OK;
fail:
    close(l->fd);
fail_closed:
    deadlines_stop(s->deadlines);
    conncap_free(s->conncap);
    if (s->owns_workers) {
        workers_stop(s->workers);
        a->workers = NULL;
    }
    free(s->route_metric);
    free(s);
    return TS_EINVAL;
}

unsigned server_port(const struct server *s)
{
    return s->port;
}

void server_stop(struct server *s, int grace_seconds)
{
    if (!s)
        return;
    /* No MHD_quiesce_daemon: with an epoll thread pool it races the workers over
     * removing the listening socket from their epoll sets and aborts the process now
     * and then ("Failed to remove listen FD from epoll set", an open libmicrohttpd
     * defect). Instead the listener stays open while draining: a request that comes
     * now is answered 503 with Retry-After and Connection: close (a load balancer
     * retries it elsewhere), and those admitted before have grace_seconds to finish. */
    atomic_store(&s->draining, 1);
    struct timespec t0, nap = { 0, 10 * 1000 * 1000 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (atomic_load(&s->admitted) > 0 && ms_since(&t0) < grace_seconds * 1000.0)
        nanosleep(&nap, NULL);
    if (s->owns_workers) {
        workers_stop(s->workers);
        s->app->workers = NULL;
    }
    MHD_stop_daemon(s->d);
    deadlines_stop(s->deadlines);
    conncap_free(s->conncap);
    free(s->route_metric);
    free(s);
}
