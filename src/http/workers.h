/*
 * A bounded pool of worker threads for slow work (password hashing), so the HTTP I/O
 * threads never block on it. The queue has a fixed capacity: past it, submission fails
 * at once and the caller answers 503 with Retry-After.
 */
#ifndef HTTP_WORKERS_H
#define HTTP_WORKERS_H

struct worker_pool;

typedef void (*worker_fn)(void *arg);

/* nthreads workers and room for `capacity` queued jobs. NULL on failure. */
struct worker_pool *workers_start(int nthreads, int capacity);
/* Queues fn(arg). 0 on success; -1 when the queue is full or the pool is stopping, in
 * which case fn is never called. */
int workers_submit(struct worker_pool *p, worker_fn fn, void *arg);
/* Runs every queued job, then joins the threads and frees the pool. NULL is fine. */
void workers_stop(struct worker_pool *p);

#endif
