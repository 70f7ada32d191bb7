/* pool.c - worker threads with database connections (see pool.h). */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "status.h"
#include "threadprio.h"
#include "xmem.h"

typedef struct job {
    void *arg;
    pool_work_fn work;
    pool_done_fn done;
    bool heavy;
    struct job *next;
} job_t;

typedef struct job_queue {
    job_t *head, *tail;
} job_queue_t;

struct pool {
    const config_t *cfg;
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job_queue_t todo, heavy, finished; /* light jobs, heavy ones (capped), done */
    int heavy_running, heavy_min, heavy_max;
    size_t pending;
    bool stopping;
    struct event *notify; /* activated by workers; runs done() on the loop */
};

static void queue_push(job_queue_t *q, job_t *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static job_t *queue_pop(job_queue_t *q)
{
    job_t *j = q->head;
    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
    }
    return j;
}

#define IDLE_CHECK_S 1.0 /* an idle connection is pinged before use after this long */

/* Seconds on a monotonic clock. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Opens the worker's connection when it has none or a broken one.  A
 * connection idle for a while is pinged first: after a database restart
 * the old connection is dead, and the job should not be the one to find out.
 */
static db_t *worker_db(pool_t *p, db_t *db, double *last_used)
{
    double now = now_s();
    if (db && !db_broken(db) && now - *last_used > IDLE_CHECK_S && db_ping(db) != ST_OK) {
        db_close(db);
        db = NULL;
    }
    *last_used = now;
    if (db && !db_broken(db))
        return db;
    db_close(db);
    db = NULL;
    char err[512];
    if (db_connect(p->cfg, true, &db, err, sizeof err) != ST_OK) {
        log_warn("database unavailable", "error", err, NULL);
        return NULL;
    }
    return db;
}

/*
 * The next job a worker may take, or NULL; under the lock.  Heavy jobs get
 * heavy_min workers whenever they wait, light jobs go before the others, and
 * heavy jobs never take more than heavy_max: so one worker is always left
 * for light jobs, and a stream of light jobs never starves the heavy lane.
 */
static job_t *next_job(pool_t *p)
{
    job_t *j = NULL;
    if (p->heavy.head && p->heavy_running < p->heavy_min)
        j = queue_pop(&p->heavy);
    else if (p->todo.head)
        return queue_pop(&p->todo);
    else if (p->heavy.head && p->heavy_running < p->heavy_max)
        j = queue_pop(&p->heavy);
    if (j)
        p->heavy_running++;
    return j;
}

static void *worker_main(void *arg)
{
    pool_t *p = arg;
    db_t *db = NULL;
    double last_used = 0;
    db_thread_init();
    threadprio_lower(THREADPRIO_WORKER_NICE); /* the loop (probes, I/O) gets the CPU first */
    for (;;) {
        pthread_mutex_lock(&p->mu);
        job_t *j;
        while (!(j = next_job(p)) && !(p->stopping && !p->heavy.head))
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (!j)
            break; /* stopping and nothing left */
        db = worker_db(p, db, &last_used);
        j->work(db, j->arg);
        if (db && db_broken(db)) {
            db_close(db);
            db = NULL;
        }
        pthread_mutex_lock(&p->mu);
        if (j->heavy) {
            p->heavy_running--;
            pthread_cond_signal(&p->cv); /* a queued heavy job may go now */
        }
        queue_push(&p->finished, j);
        pthread_mutex_unlock(&p->mu);
        event_active(p->notify, EV_READ, 0);
    }
    db_close(db);
    db_thread_end();
    return NULL;
}

/* Runs done() for every finished job, on the loop thread. */
static void pool_drain_finished(pool_t *p)
{
    for (;;) {
        pthread_mutex_lock(&p->mu);
        job_t *j = queue_pop(&p->finished);
        if (j)
            p->pending--;
        pthread_mutex_unlock(&p->mu);
        if (!j)
            return;
        j->done(j->arg);
        free(j);
    }
}

static void pool_on_notify(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pool_drain_finished(arg);
}

pool_t *pool_new(struct event_base *base, const config_t *cfg, int n)
{
    pool_t *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->notify = event_new(base, -1, 0, pool_on_notify, p);
    p->threads = xcalloc((size_t)n, sizeof *p->threads);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
            break;
        p->nthreads++;
    }
    p->heavy_max = p->nthreads > 1 ? p->nthreads - 1 : 1;
    p->heavy_min = p->nthreads > 1 ? p->nthreads / 2 : 1;
    return p;
}

/* Queues a job in its lane and wakes a worker. */
static void submit(pool_t *p, void *arg, pool_work_fn work, pool_done_fn done, bool heavy)
{
    job_t *j = xcalloc(1, sizeof *j);
    j->arg = arg;
    j->work = work;
    j->done = done;
    j->heavy = heavy;
    pthread_mutex_lock(&p->mu);
    queue_push(heavy ? &p->heavy : &p->todo, j);
    p->pending++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void pool_submit(pool_t *p, void *arg, pool_work_fn work, pool_done_fn done)
{
    submit(p, arg, work, done, false);
}

void pool_submit_heavy(pool_t *p, void *arg, pool_work_fn work, pool_done_fn done)
{
    submit(p, arg, work, done, true);
}

size_t pool_pending(const pool_t *p)
{
    pthread_mutex_lock((pthread_mutex_t *)(uintptr_t)&p->mu);
    size_t n = p->pending;
    pthread_mutex_unlock((pthread_mutex_t *)(uintptr_t)&p->mu);
    return n;
}

void pool_free(pool_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pool_drain_finished(p);
    event_free(p->notify);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}
