/* SPDX-License-Identifier: Apache-2.0 */
/* Lock-free request and event counters, and the /metrics document (see metrics.h). */
#include "core/metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/app.h"
#include "store/store.h"

#define MAX_SLOTS 256          /* route rows, plus the unmatched methods */
#define NSHARDS 16             /* power of two */

/* Statuses with a counter of their own; any other counts as status "other". */
static const int statuses[] = {
    200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 406, 408, 409, 410,
    413, 415, 422, 429, 500, 501, 502, 503, 504,
};
#define NSTATUS ((int)(sizeof statuses / sizeof statuses[0]) + 1)
#define STATUS_OTHER (NSTATUS - 1)

/* Latency buckets' upper bounds in microseconds (0.5 ms to 10 s), then +Inf. */
static const uint64_t bounds_us[] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000,
};
#define NBOUNDS ((int)(sizeof bounds_us / sizeof bounds_us[0]))
#define NBUCKETS (NBOUNDS + 1)

/* A slot's counters in a shard: requests by status, latency buckets (not cumulative),
 * the sum of latencies in microseconds. */
#define SLOT_WORDS (NSTATUS + NBUCKETS + 1)
#define SLOT_BUCKETS NSTATUS
#define SLOT_SUM (NSTATUS + NBUCKETS)

/* Slots 0..NMETHODS-1: requests no route matched, by method. */
static const char *const methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other",
};
#define NMETHODS ((int)(sizeof methods / sizeof methods[0]))

/* The request counters of one shard, made at its first request (after the route
 * tables are registered: their number sets its size). */
struct shard {
    int nslots;                /* shard_slots */
    _Atomic uint64_t slots[];  /* nslots * SLOT_WORDS */
};

/* The event counters of one shard: static, so counting an event (which may happen
 * before the first request, e.g. on the sync thread) never freezes the routes. */
struct counter_shard {
    _Alignas(64) _Atomic uint64_t c[METRIC_COUNTER_COUNT];
};

static int nslots = NMETHODS;
/* A route slot's labels; NULL for the unmatched slots. */
static const char *slot_method[MAX_SLOTS], *slot_pattern[MAX_SLOTS];
static atomic_int frozen;        /* set when the first shard is made */
static atomic_int shard_slots;   /* slots in every shard: nslots when frozen */
static _Atomic(struct shard *) shards[NSHARDS];
static struct counter_shard counters[NSHARDS];
static atomic_uint next_shard;
static _Thread_local int my_index = -1;
static _Thread_local struct shard *mine;

int metrics_route(const char *method, const char *pattern)
{
    /* A method and pattern already counted (a compat table repeating a row) share the
     * first row's series: one label set is one series. */
    for (int j = NMETHODS; j < nslots; j++)
        if (!strcmp(slot_method[j], method) && !strcmp(slot_pattern[j], pattern))
            return j;
    if (atomic_load(&frozen) || nslots == MAX_SLOTS)
        return -1;
    slot_method[nslots] = method;
    slot_pattern[nslots] = pattern;
    return nslots++;
}

static struct shard *shard_new(void)
{
    int none = 0;
    atomic_store(&frozen, 1);          /* registration ends: nslots stays as it is */
    atomic_compare_exchange_strong(&shard_slots, &none, nslots);
    int n = atomic_load(&shard_slots);
    size_t size = sizeof(struct shard) + (size_t)n * SLOT_WORDS * sizeof(_Atomic uint64_t);
    size = (size + 63) & ~(size_t)63;
    struct shard *s = aligned_alloc(64, size);
    if (s) {
        memset(s, 0, size);
        s->nslots = n;
    }
    return s;
}

/* The calling thread's shard number, picked at its first count. */
static int shard_index(void)
{
    if (my_index < 0)
        my_index = (int)(atomic_fetch_add(&next_shard, 1) & (NSHARDS - 1));
    return my_index;
}

/* The calling thread's request shard; NULL only when memory ran out (the count is
 * lost). */
static struct shard *my_shard(void)
{
    if (mine)
        return mine;
    int i = shard_index();
    struct shard *s = atomic_load(&shards[i]);
    if (!s) {
        struct shard *fresh = shard_new(), *expected = NULL;
        if (!fresh)
            return NULL;
        if (atomic_compare_exchange_strong(&shards[i], &expected, fresh))
            s = fresh;
        else {
            free(fresh);
            s = expected;
        }
    }
    mine = s;
    return s;
}

static int slot_of(int route, const char *method)
{
    if (route >= NMETHODS &&
        route < atomic_load_explicit(&shard_slots, memory_order_relaxed))
        return route;
    for (int m = 0; m < NMETHODS - 1; m++)
        if (method && !strcmp(method, methods[m]))
            return m;
    return NMETHODS - 1;
}

static int status_index(int status)
{
    int lo = 0, hi = NSTATUS - 2;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (statuses[mid] == status)
            return mid;
        if (statuses[mid] < status)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return STATUS_OTHER;
}

void metrics_request(int route, const char *method, int status, double seconds)
{
    struct shard *s = my_shard();
    if (!s)
        return;
    uint64_t us = seconds > 0 ? (uint64_t)(seconds * 1e6) : 0;
    int b = 0;
    while (b < NBOUNDS && us > bounds_us[b])
        b++;
    _Atomic uint64_t *w = &s->slots[(size_t)slot_of(route, method) * SLOT_WORDS];
    atomic_fetch_add_explicit(&w[status_index(status)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&w[SLOT_BUCKETS + b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&w[SLOT_SUM], us, memory_order_relaxed);
}

void metrics_inc(enum metric_counter c)
{
    if ((unsigned)c < METRIC_COUNTER_COUNT)
        atomic_fetch_add_explicit(&counters[shard_index()].c[c], 1, memory_order_relaxed);
}

/* ---- the document ------------------------------------------------------------------ */

struct buf {
    char *p;
    size_t len, cap;
    int oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* A label value, escaped as the text format asks: backslash, double quote, newline. */
static void put_label(struct buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            put(b, "\\\\");
        else if (*v == '"')
            put(b, "\\\"");
        else if (*v == '\n')
            put(b, "\\n");
        else
            put(b, "%c", *v);
    }
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The summed counters of every shard. */
struct totals {
    uint64_t counters[METRIC_COUNTER_COUNT];
    uint64_t *slots;           /* shard_slots * SLOT_WORDS */
    int nslots;
};

static int totals_read(struct totals *t)
{
    memset(t->counters, 0, sizeof t->counters);
    t->nslots = atomic_load(&shard_slots);
    t->slots = calloc((size_t)(t->nslots ? t->nslots : 1) * SLOT_WORDS, sizeof *t->slots);
    if (!t->slots)
        return -1;
    for (int i = 0; i < NSHARDS; i++) {
        for (int c = 0; c < METRIC_COUNTER_COUNT; c++)
            t->counters[c] += atomic_load_explicit(&counters[i].c[c], memory_order_relaxed);
        struct shard *s = atomic_load(&shards[i]);
        if (!s)
            continue;
        for (size_t w = 0; w < (size_t)t->nslots * SLOT_WORDS; w++)
            t->slots[w] += atomic_load_explicit(&s->slots[w], memory_order_relaxed);
    }
    return 0;
}

static void route_labels(struct buf *b, int slot)
{
    int routed = slot >= NMETHODS;
    put(b, "method=\"");
    put_label(b, routed ? slot_method[slot] : methods[slot]);
    put(b, "\",route=\"");
    put_label(b, routed ? slot_pattern[slot] : "unmatched");
    put(b, "\"");
}

static uint64_t slot_requests(const uint64_t *w)
{
    uint64_t n = 0;
    for (int i = 0; i < NBUCKETS; i++)
        n += w[SLOT_BUCKETS + i];
    return n;
}

static void render_requests(struct buf *b, const struct totals *t)
{
    family(b, "tessera_http_requests_total", "counter",
           "HTTP requests answered, by route pattern, method and status.");
    for (int s = 0; s < t->nslots; s++) {
        const uint64_t *w = &t->slots[(size_t)s * SLOT_WORDS];
        for (int i = 0; i < NSTATUS; i++) {
            if (!w[i])
                continue;
            put(b, "tessera_http_requests_total{");
            route_labels(b, s);
            if (i == STATUS_OTHER)
                put(b, ",status=\"other\"} %llu\n", (unsigned long long)w[i]);
            else
                put(b, ",status=\"%d\"} %llu\n", statuses[i], (unsigned long long)w[i]);
        }
    }

    family(b, "tessera_http_request_duration_seconds", "histogram",
           "Time from the request's first byte to its answer, by route pattern.");
    for (int s = 0; s < t->nslots; s++) {
        const uint64_t *w = &t->slots[(size_t)s * SLOT_WORDS];
        uint64_t total = slot_requests(w), cum = 0;
        if (!total)
            continue;
        for (int i = 0; i < NBUCKETS; i++) {
            cum += w[SLOT_BUCKETS + i];
            put(b, "tessera_http_request_duration_seconds_bucket{");
            route_labels(b, s);
            if (i < NBOUNDS)
                put(b, ",le=\"%g\"} %llu\n", (double)bounds_us[i] / 1e6,
                    (unsigned long long)cum);
            else
                put(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        put(b, "tessera_http_request_duration_seconds_sum{");
        route_labels(b, s);
        put(b, "} %.6f\n", (double)w[SLOT_SUM] / 1e6);
        put(b, "tessera_http_request_duration_seconds_count{");
        route_labels(b, s);
        put(b, "} %llu\n", (unsigned long long)total);
    }

    family(b, "tessera_ratelimited_requests_total", "counter",
           "Requests refused with 429 by a rate limit, by route pattern.");
    for (int s = 0; s < t->nslots; s++) {
        uint64_t n = t->slots[(size_t)s * SLOT_WORDS + status_index(429)];
        if (!n)
            continue;
        put(b, "tessera_ratelimited_requests_total{");
        route_labels(b, s);
        put(b, "} %llu\n", (unsigned long long)n);
    }
}

static void render_counters(struct buf *b, const struct totals *t)
{
    static const struct { enum metric_counter c; const char *grant; } grants[] = {
        { METRIC_TOKEN_PASSWORD, "password" },
        { METRIC_TOKEN_REFRESH, "refresh_token" },
        { METRIC_TOKEN_CLIENT_CREDENTIALS, "client_credentials" },
        { METRIC_TOKEN_NATIVE_LOGIN, "native_login" },
        { METRIC_TOKEN_NATIVE_REFRESH, "native_refresh" },
        { METRIC_TOKEN_AUTHORIZATION_CODE, "authorization_code" },
    };
    family(b, "tessera_logins_total", "counter",
           "Password logins (native, compat, the OAuth 2.0 password grant and the login "
           "page), by result.");
    put(b, "tessera_logins_total{result=\"success\"} %llu\n",
        (unsigned long long)t->counters[METRIC_LOGIN_SUCCESS]);
    put(b, "tessera_logins_total{result=\"failure\"} %llu\n",
        (unsigned long long)t->counters[METRIC_LOGIN_FAILURE]);
    family(b, "tessera_tokens_issued_total", "counter",
           "Access tokens issued, by grant.");
    for (size_t i = 0; i < sizeof grants / sizeof grants[0]; i++)
        put(b, "tessera_tokens_issued_total{grant=\"%s\"} %llu\n", grants[i].grant,
            (unsigned long long)t->counters[grants[i].c]);
    family(b, "tessera_key_rotations_total", "counter",
           "Automatic signing-key rotation steps taken by this process.");
    put(b, "tessera_key_rotations_total{step=\"published\"} %llu\n",
        (unsigned long long)t->counters[METRIC_KEY_PUBLISHED]);
    put(b, "tessera_key_rotations_total{step=\"activated\"} %llu\n",
        (unsigned long long)t->counters[METRIC_KEY_ACTIVATED]);
    put(b, "tessera_key_rotations_total{step=\"retired\"} %llu\n",
        (unsigned long long)t->counters[METRIC_KEY_RETIRED]);
}

struct key_census {
    int64_t newest_activation;
    long signing, waiting, published;
};

static int count_key(void *ctx, const struct signing_key_rec *k)
{
    struct key_census *c = ctx;
    if (!k->activated_at)
        c->waiting++;
    else if (k->activated_at > c->newest_activation)
        c->newest_activation = k->activated_at;
    return 0;
}

static int count_published(void *ctx, const struct signing_key_rec *k)
{
    struct key_census *c = ctx;
    if (k->activated_at && k->activated_at < c->newest_activation)
        c->published++;
    else if (k->activated_at)
        c->signing++;
    return 0;
}

static void render_store(struct buf *b, struct app *a)
{
    struct store *st = a->st;
    int up = store_ping(st) == TS_OK;
    int64_t sessions = 0;
    struct key_census kc = { 0 };
    /* A backend without the count leaves the gauge out. */
    int have_sessions = up && store_session_count_active(st, (int64_t)time(NULL),
                                                         &sessions) == TS_OK;
    int have_keys = up && store_key_list(st, 0, count_key, &kc) == TS_OK &&
                    store_key_list(st, 0, count_published, &kc) == TS_OK;

    family(b, "tessera_store_up", "gauge",
           "1 when the database answered this scrape, else 0 (see /readyz).");
    put(b, "tessera_store_up %d\n", up);
    if (have_sessions) {
        family(b, "tessera_active_sessions", "gauge",
               "Sessions neither revoked nor expired, in the whole database.");
        put(b, "tessera_active_sessions %lld\n", (long long)sessions);
    }
    if (have_keys) {
        family(b, "tessera_signing_keys", "gauge",
               "Keys in the JWKS: signing now, waiting to sign (published before "
               "they sign), published (kept to verify older tokens).");
        put(b, "tessera_signing_keys{state=\"signing\"} %ld\n", kc.signing);
        put(b, "tessera_signing_keys{state=\"waiting\"} %ld\n", kc.waiting);
        put(b, "tessera_signing_keys{state=\"published\"} %ld\n", kc.published);
    }
    family(b, "tessera_http_requests_in_flight", "gauge",
           "Requests being handled now, this scrape included.");
    put(b, "tessera_http_requests_in_flight %ld\n", atomic_load(&a->active_requests));
}

/* process_* as the Prometheus client libraries name them, from /proc. */
static void render_process(struct buf *b)
{
    long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    char line[1024];
    unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
    long long rss = 0, btime = 0;
    int have_stat = 0;

    FILE *f = fopen("/proc/self/stat", "r");
    if (f) {
        if (fgets(line, sizeof line, f)) {
            const char *p = strrchr(line, ')');   /* the command name may hold spaces */
            /* fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt majflt
             * cmajflt utime stime cutime cstime priority nice threads itrealvalue
             * starttime vsize rss */
            if (p && sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu "
                            "%*s %*s %*s %*s %*s %*s %llu %llu %lld", &utime, &stime,
                            &start, &vsize, &rss) == 5)
                have_stat = 1;
        }
        fclose(f);
    }
    if ((f = fopen("/proc/stat", "r"))) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "btime %lld", &btime) == 1)
                break;
        fclose(f);
    }
    if (have_stat && tck > 0) {
        family(b, "process_cpu_seconds_total", "counter",
               "User and system CPU time spent, in seconds.");
        put(b, "process_cpu_seconds_total %.2f\n", (double)(utime + stime) / (double)tck);
        family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        put(b, "process_resident_memory_bytes %lld\n", rss * (long long)page);
        family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        put(b, "process_virtual_memory_bytes %llu\n", vsize);
        if (btime > 0) {
            family(b, "process_start_time_seconds", "gauge",
                   "Start time of the process since the Unix epoch, in seconds.");
            put(b, "process_start_time_seconds %.2f\n",
                (double)btime + (double)start / (double)tck);
        }
    }
    long fds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                fds++;
        closedir(d);
        family(b, "process_open_fds", "gauge", "Open file descriptors.");
        put(b, "process_open_fds %ld\n", fds - 1);     /* not the one reading the dir */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        family(b, "process_max_fds", "gauge", "Limit on open file descriptors.");
        put(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
}

ts_err metrics_render(struct app *a, char **out, size_t *len)
{
    struct buf b = { malloc(16384), 0, 16384, 0 };
    struct totals t;

    *out = NULL;
    *len = 0;
    if (!b.p)
        return TS_ENOMEM;
    if (totals_read(&t)) {
        free(b.p);
        return TS_ENOMEM;
    }
    render_requests(&b, &t);
    render_counters(&b, &t);
    free(t.slots);
    render_store(&b, a);
    render_process(&b);
    if (b.oom) {
        free(b.p);
        return TS_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return TS_OK;
}
