/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded pool of worker threads for slow work (password hashing), so the HTTP I/O
 * threads never block on it. The queue has a fixed capacity: past it, submission fails
 * at once and the caller answers 503 with Retry-After. A job may say how to tell that
 * it is no longer wanted (its client left): such a job is dropped instead of run, and
 * a full queue first drops those before it refuses a new job.
 */
#ifndef HTTP_WORKERS_H
#define HTTP_WORKERS_H

struct worker_pool;

typedef void (*worker_fn)(void *arg);
/* 1 when the job's work is no longer wanted. Quick (no blocking); may run on any
 * thread, under the pool's lock. */
typedef int (*worker_gone_fn)(void *arg);

/* nthreads workers and room for `capacity` queued jobs. NULL on failure. */
struct worker_pool *workers_start(int nthreads, int capacity);
/* Queues fn(arg). 0 on success; -1 when the queue is full or the pool is stopping, in
 * which case fn is never called. */
int workers_submit(struct worker_pool *p, worker_fn fn, void *arg);
/* The same, for a job that may be dropped: gone(arg) is asked when a worker takes the
 * job, and of every queued job when a submission finds the queue full; a gone job is
 * taken out and drop(arg) called instead of fn(arg) (exactly one of the two is called,
 * once). drop runs on the thread that found the job gone, possibly under the pool's
 * lock: it must be quick and must not call into the pool. */
int workers_submit_droppable(struct worker_pool *p, worker_fn fn, worker_gone_fn gone,
                             worker_fn drop, void *arg);
/* Runs every queued job, then joins the threads and frees the pool. NULL is fine. */
void workers_stop(struct worker_pool *p);

#endif
