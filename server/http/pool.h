/*
 * pool.h - worker threads, each with its own database connection, so the
 * event loop never waits on the database or on long work.
 *
 * pool_submit() queues a job: work(db, job) runs on a worker thread with
 * that worker's connection (NULL when the database cannot be reached: the
 * job answers 503), then done(job) runs on the event-loop thread.  The job
 * is the caller's; it must stay valid until done() and is usually freed
 * there.  A broken connection is closed after the job and reopened for the
 * next one, so a database restart heals without a server restart.
 * pool_submit() and pool_free() are called on the loop thread.
 */
#ifndef SLT_POOL_H
#define SLT_POOL_H

#include <event2/event.h>

#include "config.h"
#include "db.h"

typedef struct pool pool_t;
typedef void (*pool_work_fn)(db_t *db, void *job);
typedef void (*pool_done_fn)(void *job);

/* Starts n workers; the config must outlive the pool. */
pool_t *pool_new(struct event_base *base, const config_t *cfg, int n);
void pool_submit(pool_t *p, void *job, pool_work_fn work, pool_done_fn done);
/*
 * The same for a heavy job: a long computation, or a streamed upload that
 * holds its worker while the body arrives.  Two lanes: heavy jobs get half
 * the workers whenever they wait, light jobs go first on the others, and
 * heavy jobs never take every worker.  So a burst of heavy requests never
 * leaves cheap ones queued behind it (bench/load measured reads timing out
 * behind metrics requests in one FIFO queue), and a stream of cheap ones
 * never starves the heavy lane.
 */
void pool_submit_heavy(pool_t *p, void *job, pool_work_fn work, pool_done_fn done);
/* Jobs queued or running. */
size_t pool_pending(const pool_t *p);
/* Finishes queued jobs, joins the workers, runs outstanding done()s, frees. */
void pool_free(pool_t *p);

#endif
