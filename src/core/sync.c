/* SPDX-License-Identifier: Apache-2.0 */
/* The background sync thread (see sync.h). */
#include "core/sync.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/app.h"
#include "core/keyrotate.h"
#include "base/log.h"
#include "core/revoked.h"

struct sync {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;     /* signalled by sync_stop */
    int stopping;
};

/* Sleeps up to ms, or less when sync_stop is called. Returns nonzero when stopping. */
static int nap(struct sync *s, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping &&
           pthread_cond_timedwait(&s->cond, &s->lock, &until) != ETIMEDOUT)
        ;
    int stop = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static int stopping(struct sync *s)
{
    pthread_mutex_lock(&s->lock);
    int stop = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static void *run(void *arg)
{
    struct sync *s = arg;
    struct app *a = s->app;
    int failing = 0;

    while (!stopping(s)) {
        /* Returns at a change another process signalled, or after the poll interval
         * (sync_stop is seen within it). A backend without change signals (SQLite),
         * or an error (the listening connection is lost and not back yet), falls back
         * to a timed poll. */
        if (store_wait_change(a->st, SYNC_POLL_MS) != TS_OK && nap(s, SYNC_POLL_MS))
            break;
        ts_err err = revoked_sync(a);
        if (err && !failing)
            log_msg("error", "sync: cannot read revocations and keys from the store (%s); "
                    "retrying every %d ms", ts_err_name(err), SYNC_POLL_MS);
        else if (!err && failing)
            log_msg("info", "sync: the store answers again");
        failing = err != TS_OK;
        keyrotate_tick(a, (int64_t)time(NULL));     /* logs its own failures */
    }
    return NULL;
}

ts_err sync_start(struct app *a, struct sync **out)
{
    struct sync *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return TS_ENOMEM;
    s->app = a;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return TS_ENOMEM;
    }
    *out = s;
    return TS_OK;
}

void sync_stop(struct sync *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    /* A thread blocked in wait_change (PostgreSQL LISTEN) returns at once. */
    store_wake(s->app->st);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
