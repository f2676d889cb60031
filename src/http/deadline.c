/* SPDX-License-Identifier: Apache-2.0 */
/* Per-connection request deadlines and their watchdog. */
#include "http/deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "base/log.h"

struct watched {
    struct watched *prev, *next;
    MHD_socket fd;
    _Atomic int64_t waiting_since_ms;   /* 0: a request is being handled */
    int cut;
};

struct deadlines {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    struct watched head;                /* circular list sentinel */
    int64_t timeout_ms;
    int stop;
    unsigned long cut_total;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
    struct deadlines *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 500 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cv, &d->mu, &until);
        int64_t now = now_ms();
        unsigned long cut = 0;
        for (struct watched *w = d->head.next; w != &d->head; w = w->next) {
            int64_t since = atomic_load(&w->waiting_since_ms);
            if (!w->cut && since && now - since > d->timeout_ms) {
                /* MHD sees the connection fail and closes it; the fd is still open
                 * here: it is closed only after the CLOSED notification, which waits
                 * for this lock. */
                shutdown(w->fd, SHUT_RDWR);
                w->cut = 1;
                cut++;
            }
        }
        if (cut) {
            d->cut_total += cut;
            log_msg("warn", "http: cut %lu connection(s) that took more than %lld s to "
                    "send a request", cut, (long long)(d->timeout_ms / 1000));
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

struct deadlines *deadlines_start(long request_timeout_s)
{
    struct deadlines *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->head.next = d->head.prev = &d->head;
    d->timeout_ms = (int64_t)request_timeout_s * 1000;
    if (pthread_create(&d->thread, NULL, watchdog, d) != 0) {
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
        free(d);
        return NULL;
    }
    return d;
}

void deadlines_stop(struct deadlines *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    while (d->head.next != &d->head) {      /* none after MHD_stop_daemon; be safe */
        struct watched *w = d->head.next;
        w->prev->next = w->next;
        w->next->prev = w->prev;
        free(w);
    }
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

void deadlines_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    struct deadlines *d = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct watched *w = calloc(1, sizeof *w);
        *socket_context = NULL;
        if (!w || !ci) {
            free(w);                /* not watched: the idle timeout still applies */
            return;
        }
        w->fd = ci->connect_fd;
        atomic_store(&w->waiting_since_ms, now_ms());
        pthread_mutex_lock(&d->mu);
        w->next = d->head.next;
        w->prev = &d->head;
        d->head.next->prev = w;
        d->head.next = w;
        pthread_mutex_unlock(&d->mu);
        *socket_context = w;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct watched *w = *socket_context;
        if (!w)
            return;
        pthread_mutex_lock(&d->mu);
        w->prev->next = w->next;
        w->next->prev = w->prev;
        pthread_mutex_unlock(&d->mu);
        free(w);
        *socket_context = NULL;
    }
}

static struct watched *watched_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void deadlines_request_in(struct MHD_Connection *c)
{
    struct watched *w = watched_of(c);
    if (w)
        atomic_store(&w->waiting_since_ms, 0);
}

void deadlines_request_done(struct MHD_Connection *c)
{
    struct watched *w = watched_of(c);
    if (w)
        atomic_store(&w->waiting_since_ms, now_ms());
}
