/* SPDX-License-Identifier: Apache-2.0 */
/* src/http/workers.c: the bounded pool that runs password hashing off the I/O threads.
 * Jobs never assert (cmocka's longjmp must stay on the test's thread): they count, and
 * the test checks the counts. Every wait has a deadline, so a bug fails, not hangs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/workers.h"

#define WAIT_SECONDS 10

struct ctx {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t caller;           /* the test's thread */
    int open;                   /* blockers return once set */
    int started;                /* blockers running */
    int ran;                    /* counting jobs done */
    int on_caller;              /* jobs that ran on the caller's thread */
    int rejected_ran;           /* jobs whose submission failed but ran anyway */
    int accepted, refused;      /* the prober's submissions */
    int dropped;                /* droppable jobs dropped instead of run */
    int gone;                   /* what gone_fn answers */
    struct worker_pool *pool;
};

static void open_gate(struct ctx *x);

/* One static ctx, never freed: after a failed test a worker may still hold it. */
static int setup(void **state)
{
    static struct ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    pthread_mutex_init(&ctx.lock, NULL);
    pthread_cond_init(&ctx.changed, NULL);
    ctx.caller = pthread_self();
    *state = &ctx;
    return 0;
}

static int teardown(void **state)
{
    open_gate(*state);          /* lets a blocker left by a failed test return */
    return 0;
}

static void bump(struct ctx *x, int *field)
{
    pthread_mutex_lock(&x->lock);
    (*field)++;
    pthread_cond_broadcast(&x->changed);
    pthread_mutex_unlock(&x->lock);
}

/* Waits until *field >= n; 0 on time, -1 after WAIT_SECONDS. */
static int wait_for(struct ctx *x, const int *field, int n)
{
    struct timespec until;
    int rc = 0;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&x->lock);
    while (*field < n && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&x->changed, &x->lock, &until);
    rc = *field >= n ? 0 : -1;
    pthread_mutex_unlock(&x->lock);
    return rc;
}

static int get(struct ctx *x, const int *field)
{
    pthread_mutex_lock(&x->lock);
    int v = *field;
    pthread_mutex_unlock(&x->lock);
    return v;
}

#define assert_reaches(x, field, n)                                                   \
    do {                                                                              \
        if (wait_for((x), &(x)->field, (n)) != 0)                                     \
            fail_msg(#field " is %d after %ds, want %d", get((x), &(x)->field),       \
                     WAIT_SECONDS, (n));                                              \
    } while (0)

/* ---- jobs ------------------------------------------------------------------------ */

static void count_job(void *arg)
{
    struct ctx *x = arg;
    if (pthread_equal(pthread_self(), x->caller))
        bump(x, &x->on_caller);
    bump(x, &x->ran);
}

static void slow_count_job(void *arg)
{
    usleep(2000);
    count_job(arg);
}

static void rejected_job(void *arg)
{
    struct ctx *x = arg;
    bump(x, &x->rejected_ran);
}

/* Runs until the test sets x->open: keeps a worker busy. */
static void blocker_job(void *arg)
{
    struct ctx *x = arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&x->lock);
    x->started++;
    pthread_cond_broadcast(&x->changed);
    while (!x->open)
        if (pthread_cond_timedwait(&x->changed, &x->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&x->lock);
}

static void open_gate(struct ctx *x)
{
    pthread_mutex_lock(&x->lock);
    x->open = 1;
    pthread_cond_broadcast(&x->changed);
    pthread_mutex_unlock(&x->lock);
}

static int gone_fn(void *arg)
{
    struct ctx *x = arg;
    pthread_mutex_lock(&x->lock);
    int g = x->gone;
    pthread_mutex_unlock(&x->lock);
    return g;
}

static void drop_fn(void *arg)
{
    struct ctx *x = arg;
    bump(x, &x->dropped);
}

static void *stopper(void *arg)
{
    workers_stop(arg);
    return NULL;
}

/* ---- tests ----------------------------------------------------------------------- */

static void submitted_jobs_run_on_worker_threads(void **state)
{
    struct ctx *x = *state;
    struct worker_pool *p = workers_start(2, 16);
    assert_non_null(p);
    for (int i = 0; i < 10; i++)
        assert_int_equal(workers_submit(p, count_job, x), 0);
    assert_reaches(x, ran, 10);
    workers_stop(p);
    assert_int_equal(x->ran, 10);
    assert_int_equal(x->on_caller, 0);
}

static void many_jobs_on_many_threads_each_run_once(void **state)
{
    struct ctx *x = *state;
    struct worker_pool *p = workers_start(4, 1000);
    assert_non_null(p);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(workers_submit(p, count_job, x), 0);
    assert_reaches(x, ran, 1000);
    workers_stop(p);
    assert_int_equal(x->ran, 1000);
}

static void queue_bound_rejects_past_capacity(void **state)
{
    struct ctx *x = *state;
    struct worker_pool *p = workers_start(1, 3);
    assert_non_null(p);

    assert_int_equal(workers_submit(p, blocker_job, x), 0);
    assert_reaches(x, started, 1);                 /* the only worker is busy */
    for (int i = 0; i < 3; i++)
        assert_int_equal(workers_submit(p, count_job, x), 0);
    assert_int_equal(workers_submit(p, rejected_job, x), -1);
    assert_int_equal(workers_submit(p, rejected_job, x), -1);

    open_gate(x);
    assert_reaches(x, ran, 3);
    /* room again once the queue drains */
    assert_int_equal(workers_submit(p, count_job, x), 0);
    assert_reaches(x, ran, 4);
    workers_stop(p);
    assert_int_equal(x->rejected_ran, 0);
}

static void running_jobs_do_not_use_queue_room(void **state)
{
    struct ctx *x = *state;
    struct worker_pool *p = workers_start(2, 2);
    assert_non_null(p);

    assert_int_equal(workers_submit(p, blocker_job, x), 0);
    assert_int_equal(workers_submit(p, blocker_job, x), 0);
    assert_reaches(x, started, 2);                 /* both workers busy, queue empty */
    assert_int_equal(workers_submit(p, count_job, x), 0);
    assert_int_equal(workers_submit(p, count_job, x), 0);
    assert_int_equal(workers_submit(p, rejected_job, x), -1);

    open_gate(x);
    workers_stop(p);
    assert_int_equal(x->ran, 2);
    assert_int_equal(x->rejected_ran, 0);
}

static void a_full_queue_drops_gone_jobs_before_refusing(void **state)
{
    struct ctx *x = *state;
    struct worker_pool *p = workers_start(1, 3);
    assert_non_null(p);
    assert_int_equal(workers_submit(p, blocker_job, x), 0);
    assert_reaches(x, started, 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(workers_submit_droppable(p, count_job, gone_fn, drop_fn, x), 0);
    assert_int_equal(workers_submit(p, rejected_job, x), -1);   /* none gone: full */
    pthread_mutex_lock(&x->lock);
    x->gone = 1;                                  /* their clients left */
    pthread_mutex_unlock(&x->lock);
    assert_int_equal(workers_submit(p, count_job, x), 0);       /* room made */
    assert_int_equal(x->dropped, 3);
    open_gate(x);
    workers_stop(p);
    assert_int_equal(x->ran, 1);                  /* only the plain job */
    assert_int_equal(x->dropped, 3);
    assert_int_equal(x->rejected_ran, 0);
}

static void a_worker_drops_a_job_gone_while_queued(void **state)
{
    struct ctx *x = *state;
    struct worker_pool *p = workers_start(1, 4);
    assert_non_null(p);
    assert_int_equal(workers_submit(p, blocker_job, x), 0);
    assert_reaches(x, started, 1);
    assert_int_equal(workers_submit_droppable(p, count_job, gone_fn, drop_fn, x), 0);
    assert_int_equal(workers_submit_droppable(p, count_job, gone_fn, drop_fn, x), 0);
    pthread_mutex_lock(&x->lock);
    x->gone = 1;
    pthread_mutex_unlock(&x->lock);
    open_gate(x);
    assert_reaches(x, dropped, 2);
    workers_stop(p);
    assert_int_equal(x->ran, 0);
    assert_int_equal(x->dropped, 2);
}

static void stop_runs_every_queued_job(void **state)
{
    struct ctx *x = *state;
    struct worker_pool *p = workers_start(1, 8);
    pthread_t t;
    assert_non_null(p);

    assert_int_equal(workers_submit(p, blocker_job, x), 0);
    assert_reaches(x, started, 1);
    for (int i = 0; i < 5; i++)
        assert_int_equal(workers_submit(p, slow_count_job, x), 0);
    /* stop while all five are still queued behind the blocker */
    assert_int_equal(pthread_create(&t, NULL, stopper, p), 0);
    usleep(20000);
    assert_int_equal(get(x, &x->ran), 0);
    open_gate(x);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(x->ran, 5);
}

/* Keeps submitting from inside the pool until the pool refuses: with room for 1,000
 * jobs and at most 200 tries, a refusal can only come from workers_stop(). */
static void prober_job(void *arg)
{
    struct ctx *x = arg;
    blocker_job(x);
    for (int i = 0; i < 200; i++) {
        if (workers_submit(x->pool, count_job, x) != 0) {
            bump(x, &x->refused);
            return;
        }
        bump(x, &x->accepted);
        usleep(5000);
    }
}

static void stopping_pool_refuses_new_jobs_and_runs_accepted_ones(void **state)
{
    struct ctx *x = *state;
    pthread_t t;
    x->pool = workers_start(1, 1000);
    assert_non_null(x->pool);

    assert_int_equal(workers_submit(x->pool, prober_job, x), 0);
    assert_reaches(x, started, 1);
    assert_int_equal(pthread_create(&t, NULL, stopper, x->pool), 0);
    open_gate(x);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(x->refused, 1);
    assert_int_equal(x->ran, x->accepted);
}

static void stop_null_is_fine(void **state)
{
    workers_stop(NULL);
}

static void start_and_stop_an_idle_pool(void **state)
{
    struct worker_pool *p = workers_start(3, 4);
    assert_non_null(p);
    workers_stop(p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(submitted_jobs_run_on_worker_threads),
        T(many_jobs_on_many_threads_each_run_once),
        T(queue_bound_rejects_past_capacity),
        T(running_jobs_do_not_use_queue_room),
        T(a_full_queue_drops_gone_jobs_before_refusing),
        T(a_worker_drops_a_job_gone_while_queued),
        T(stop_runs_every_queued_job),
        T(stopping_pool_refuses_new_jobs_and_runs_accepted_ones),
        T(stop_null_is_fine),
        T(start_and_stop_an_idle_pool),
    };
    alarm(120);         /* a deadlock in workers_stop() ends the run, not the CI job */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
