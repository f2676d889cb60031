/* SPDX-License-Identifier: Apache-2.0 */
/* The bounded worker pool: a ring buffer of jobs under one mutex. */
#include "http/workers.h"

#include <pthread.h>
#include <stdlib.h>

struct job {
    worker_fn fn;
    worker_gone_fn gone;       /* NULL: never dropped */
    worker_fn drop;
    void *arg;
};

struct worker_pool {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct job *ring;
    int capacity, head, count;
    int stopping;
    int nthreads;
    pthread_t *threads;
};

static void *worker_main(void *arg)
{
    struct worker_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->ready, &p->lock);
        if (p->count == 0) {           /* stopping and drained */
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        struct job j = p->ring[p->head];
        p->head = (p->head + 1) % p->capacity;
        p->count--;
        pthread_mutex_unlock(&p->lock);
        if (j.gone && j.gone(j.arg))
            j.drop(j.arg);
        else
            j.fn(j.arg);
    }
}

struct worker_pool *workers_start(int nthreads, int capacity)
{
    struct worker_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ring = calloc((size_t)capacity, sizeof *p->ring);
    p->threads = calloc((size_t)nthreads, sizeof *p->threads);
    if (!p->ring || !p->threads)
        goto fail;
    p->capacity = capacity;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    for (; p->nthreads < nthreads; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) != 0)
            break;
    if (p->nthreads == nthreads)
        return p;
    workers_stop(p);
    return NULL;
fail:
    free(p->ring);
    free(p->threads);
    free(p);
    return NULL;
}

/* Takes the gone jobs out of a full queue, keeping the others in order. Under lock. */
static void drop_gone(struct worker_pool *p)
{
    int kept = 0;
    for (int i = 0; i < p->count; i++) {
        struct job j = p->ring[(p->head + i) % p->capacity];
        if (j.gone && j.gone(j.arg))
            j.drop(j.arg);
        else
            p->ring[(p->head + kept++) % p->capacity] = j;
    }
    p->count = kept;
}

int workers_submit_droppable(struct worker_pool *p, worker_fn fn, worker_gone_fn gone,
                             worker_fn drop, void *arg)
{
    int rc = -1;
    pthread_mutex_lock(&p->lock);
    if (!p->stopping && p->count == p->capacity)
        drop_gone(p);
    if (!p->stopping && p->count < p->capacity) {
        p->ring[(p->head + p->count) % p->capacity] = (struct job){ fn, gone, drop, arg };
        p->count++;
        pthread_cond_signal(&p->ready);
        rc = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int workers_submit(struct worker_pool *p, worker_fn fn, void *arg)
{
    return workers_submit_droppable(p, fn, NULL, NULL, arg);
}

void workers_stop(struct worker_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->ready);
    free(p->ring);
    free(p->threads);
    free(p);
}
