/* SPDX-License-Identifier: Apache-2.0 */
/* Audit events: to the store and the log, through a background writer when the
 * server runs, so a token request never waits for an audit commit. */
#include "core/audit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

#define QUEUE_CAP 8192      /* events waiting; past it callers write themselves */
#define BATCH_MAX 512       /* events per transaction */
#define COUNT_SLOTS 256     /* (event, client, scope) counters per window */
#define COUNT_WINDOW 1      /* seconds a counter sums before it is written */

struct audit_entry {
    int64_t at;
    char event[64];
    char user_id[STORE_ID_LEN + 1];
    char client_id[STORE_CLIENT_ID_LEN + 1];
    char ip[STORE_IP_LEN + 1];
    int has_user, has_client, has_ip;
    char *detail;            /* malloc'd JSON text or NULL */
};

/* A counted event: how many times it happened in the current window. */
struct audit_counter {
    char event[64];
    char client_id[STORE_CLIENT_ID_LEN + 1];
    char scope[256];
    uint64_t count;
    int used;
};

struct audit_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    struct audit_entry *ring;
    size_t head, count;
    int stop;
    struct audit_counter counters[COUNT_SLOTS];
    int ncounters;
    time_t window_start;
};

/* Whole seconds of CLOCK_REALTIME. Not time(): glibc may read a coarser clock for it,
 * which lags a few milliseconds behind the one pthread_cond_timedwait() uses, and the
 * counting windows below must agree with that one. */
static time_t now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

static void fill(struct audit_entry *e, int64_t at, const char *event, const char *user_id,
                 const char *client_id, const char *ip, char *detail)
{
    e->at = at;
    snprintf(e->event, sizeof e->event, "%s", event);
    e->has_user = user_id != NULL;
    e->has_client = client_id != NULL;
    e->has_ip = ip != NULL;
    snprintf(e->user_id, sizeof e->user_id, "%s", user_id ? user_id : "");
    snprintf(e->client_id, sizeof e->client_id, "%s", client_id ? client_id : "");
    snprintf(e->ip, sizeof e->ip, "%s", ip ? ip : "");
    e->detail = detail;
}

static void log_entry(const struct audit_entry *e)
{
    json_t *f = json_pack("{s:s, s:s?, s:s?, s:s?}", "audit", e->event,
                          "user_id", e->has_user ? e->user_id : NULL,
                          "client_id", e->has_client ? e->client_id : NULL,
                          "ip", e->has_ip ? e->ip : NULL);
    json_t *d = f && e->detail ? json_loads(e->detail, 0, NULL) : NULL;
    if (d)
        json_object_set_new(f, "detail", d);
    log_event("info", "audit", f);
}

/* Stores and logs n entries, then frees their details. */
static void write_entries(struct store *st, struct audit_entry *es, size_t n)
{
    struct audit_rec recs[BATCH_MAX];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < BATCH_MAX ? n - done : BATCH_MAX;
        for (size_t i = 0; i < k; i++) {
            const struct audit_entry *e = &es[done + i];
            recs[i] = (struct audit_rec){
                .at = e->at, .event = e->event,
                .user_id = e->has_user ? e->user_id : NULL,
                .client_id = e->has_client ? e->client_id : NULL,
                .ip = e->has_ip ? e->ip : NULL, .detail_json = e->detail,
            };
        }
        ts_err err = store_audit_insert(st, recs, (int)k);
        if (err)
            log_msg("error", "%zu audit event(s) not stored: %s", k, ts_err_name(err));
        for (size_t i = 0; i < k; i++) {
            log_entry(&es[done + i]);
            free(es[done + i].detail);
        }
        done += k;
    }
}

/* Moves the window's counters into the ring as events (called with q->mu held). A
 * counter that does not fit stays for the next window. */
static void flush_counters(struct audit_queue *q, time_t now)
{
    int kept = 0;
    for (int i = 0; i < q->ncounters; i++) {
        struct audit_counter *c = &q->counters[i];
        char *detail = NULL;
        json_t *d = json_pack("{s:I, s:s?, s:i}", "count", (json_int_t)c->count,
                              "scope", c->scope[0] ? c->scope : NULL,
                              "window_seconds", COUNT_WINDOW);
        if (d && !c->scope[0])
            json_object_del(d, "scope");
        if (d) {
            detail = json_dumps(d, JSON_COMPACT);
            json_decref(d);
        }
        if (!detail || q->count == QUEUE_CAP) {
            free(detail);
            q->counters[kept++] = *c;
            continue;
        }
        struct audit_entry *e = &q->ring[(q->head + q->count) % QUEUE_CAP];
        fill(e, (int64_t)q->window_start, c->event, NULL,
             c->client_id[0] ? c->client_id : NULL, NULL, detail);
        q->count++;
    }
    q->ncounters = kept;
    q->window_start = now;
}

static void *writer(void *arg)
{
    struct app *a = arg;
    struct audit_queue *q = a->audit;
    struct audit_entry *batch = malloc(BATCH_MAX * sizeof *batch);

    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->count && !q->stop) {
            if (!q->ncounters) {
                pthread_cond_wait(&q->cv, &q->mu);
                continue;
            }
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            if (until.tv_sec >= q->window_start + COUNT_WINDOW) {
                flush_counters(q, until.tv_sec);
                continue;
            }
            until.tv_sec = q->window_start + COUNT_WINDOW;
            until.tv_nsec = 0;
            pthread_cond_timedwait(&q->cv, &q->mu, &until);
        }
        if (q->stop && q->ncounters)
            flush_counters(q, now_sec());
        if (!q->count && q->stop)
            break;
        size_t n = 0;
        while (q->count && n < BATCH_MAX && batch) {
            batch[n++] = q->ring[q->head];
            q->head = (q->head + 1) % QUEUE_CAP;
            q->count--;
        }
        pthread_mutex_unlock(&q->mu);
        if (batch) {
            write_entries(a->st, batch, n);
        } else {
            /* No batch buffer (out of memory at start): leave the queue alone and let
             * it fill, so callers write their events themselves. */
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    free(batch);
    return NULL;
}

ts_err audit_start(struct app *a)
{
    struct audit_queue *q = calloc(1, sizeof *q);
    if (!q || !(q->ring = calloc(QUEUE_CAP, sizeof *q->ring))) {
        free(q);
        return TS_ENOMEM;
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    a->audit = q;
    if (pthread_create(&q->thread, NULL, writer, a) != 0) {
        a->audit = NULL;
        pthread_mutex_destroy(&q->mu);
        pthread_cond_destroy(&q->cv);
        free(q->ring);
        free(q);
        return TS_EINTERNAL;
    }
    return TS_OK;
}

void audit_stop(struct app *a)
{
    struct audit_queue *q = a->audit;
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    /* The writer drained everything it could; anything left (it ran out of memory)
     * is written here. */
    while (q->count) {
        write_entries(a->st, &q->ring[q->head], 1);
        q->head = (q->head + 1) % QUEUE_CAP;
        q->count--;
    }
    a->audit = NULL;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q->ring);
    free(q);
}

void audit_count(struct app *a, const char *event, const char *client_id,
                 const char *scope)
{
    struct audit_queue *q = a->audit;
    if (q) {
        pthread_mutex_lock(&q->mu);
        if (!q->stop) {
            for (int i = 0; i < q->ncounters; i++) {
                struct audit_counter *c = &q->counters[i];
                if (!strcmp(c->event, event) && !strcmp(c->client_id, client_id) &&
                    !strcmp(c->scope, scope)) {
                    c->count++;
                    pthread_mutex_unlock(&q->mu);
                    return;
                }
            }
            if (q->ncounters < COUNT_SLOTS && strlen(event) < sizeof q->counters[0].event &&
                strlen(client_id) < sizeof q->counters[0].client_id &&
                strlen(scope) < sizeof q->counters[0].scope) {
                struct audit_counter *c = &q->counters[q->ncounters++];
                memcpy(c->event, event, strlen(event) + 1);
                memcpy(c->client_id, client_id, strlen(client_id) + 1);
                memcpy(c->scope, scope, strlen(scope) + 1);
                c->count = 1;
                if (q->ncounters == 1)
                    q->window_start = now_sec();
                pthread_cond_signal(&q->cv);
                pthread_mutex_unlock(&q->mu);
                return;
            }
        }
        pthread_mutex_unlock(&q->mu);
    }
    /* No writer, or no room: an event of its own. */
    json_t *d = json_pack("{s:i}", "count", 1);
    if (d && *scope)
        json_object_set_new(d, "scope", json_string(scope));
    audit(a, event, NULL, *client_id ? client_id : NULL, NULL, d);
}

void audit(struct app *a, const char *event, const char *user_id,
           const char *client_id, const char *ip, json_t *detail)
{
    char *detail_s = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    struct audit_queue *q = a->audit;
    struct audit_entry e;

    json_decref(detail);
    fill(&e, (int64_t)time(NULL), event, user_id, client_id, ip, detail_s);
    if (q) {
        pthread_mutex_lock(&q->mu);
        if (q->count < QUEUE_CAP && !q->stop) {
            q->ring[(q->head + q->count) % QUEUE_CAP] = e;
            q->count++;
            pthread_cond_signal(&q->cv);
            pthread_mutex_unlock(&q->mu);
            return;
        }
        pthread_mutex_unlock(&q->mu);
    }
    write_entries(a->st, &e, 1);      /* no writer, or it is behind: write it now */
}

const struct actor actor_cli = { "cli", NULL, 0, NULL };

void audit_admin(struct app *a, const struct actor *by, const char *event,
                 const char *user_id, const char *client_id, json_t *detail)
{
    if (!by) {
        json_decref(detail);
        return;
    }
    json_t *d = detail ? detail : json_object();
    /* Out of memory: the event is still recorded, without its details. */
    if (d && (json_object_set_new(d, "via", json_string(by->via)) ||
              (by->sub && (json_object_set_new(d, "actor", json_string(by->sub)) ||
                           json_object_set_new(d, "actor_type", json_string(
                               by->is_client ? "client" : "user")))))) {
        json_decref(d);
        d = NULL;
    }
    audit(a, event, user_id, client_id, by->ip, d);
}

ts_err audit_list(struct app *a, const struct audit_filter *f, int64_t before, int limit,
                  audit_cb cb, void *ctx)
{
    return store_audit_list(a->st, f, before, limit, cb, ctx);
}

json_t *audit_event_json(const struct audit_event_rec *e)
{
    char at[32];
    struct tm tm;
    time_t t = (time_t)e->at;
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *detail = e->detail_json ? json_loads(e->detail_json, 0, NULL) : NULL;
    return json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:o}", "id", (json_int_t)e->id,
                     "at", at, "event", e->event,
                     "user_id", e->user_id[0] ? e->user_id : NULL,
                     "client_id", e->client_id[0] ? e->client_id : NULL,
                     "ip", e->ip[0] ? e->ip : NULL,
                     "detail", detail ? detail : json_null());
}

json_t *audit_field_names(const char *const *names, const int *set, size_t n)
{
    json_t *arr = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!set[i])
            continue;
        if (!arr && !(arr = json_array()))
            return NULL;
        if (json_array_append_new(arr, json_string(names[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
