/* jobs.c - the report job runner thread (see jobs.h). */
#include "jobs.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "heartbeat.h"
#include "log.h"
#include "report_build.h"
#include "report_store.h"
#include "status.h"
#include "threadprio.h"
#include "waitclock.h"
#include "xmem.h"

#define POLL_S 1

struct jobs {
    const config_t *cfg;
    const signing_t *signing;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, woken;
    char who[128];   /* host:pid, recorded as the job's worker */
    heartbeat_t *hb; /* created at normal priority, before the runner lowers its own */
};

/* Progress callback: records it (and the heartbeat). */
typedef struct progress_ctx {
    db_t *db;
    const rstore_job_t *job;
} progress_ctx_t;

static void on_progress(void *arg, int pct)
{
    progress_ctx_t *p = arg;
    rstore_progress(p->db, p->job, pct);
}

/* Builds one claimed job and records the outcome; ST_OK when it is done.
 * hb: the runner's heartbeat, or NULL for one of the job's own. */
static int run_job(const config_t *cfg, const signing_t *signing, const char *who, db_t *db,
                   const rstore_job_t *job, heartbeat_t *hb)
{
    report_out_t out;
    rstore_result_t r;
    char err[512] = "", id[32];
    snprintf(id, sizeof id, "%llu", (unsigned long long)job->id);
    progress_ctx_t pc = {db, job};
    heartbeat_t *own = hb ? NULL : heartbeat_new(cfg, who, (int)(cfg->reports_stale_s * 1000 / 6));
    heartbeat_watch(hb ? hb : own, job->tenant_id, job->id);
    int rc = report_build(db, cfg, signing, job, on_progress, &pc, &out, &r, err, sizeof err);
    if (rc == ST_OK)
        rc = rstore_finish(db, job, &r);
    heartbeat_unwatch(hb);
    heartbeat_free(own);
    if (rc == ST_OK) {
        log_info("report done", "report", id, "template", job->template_name, "period", job->period,
                 NULL);
    } else if (rc == ST_ERR_CONFLICT) {
        /* Taken for dead (a heartbeat late on a starved machine) and taken over. */
        log_warn("report not stored: another worker took the job over", "report", id, NULL);
    } else {
        if (!err[0])
            snprintf(err, sizeof err, "%s", db_error(db));
        log_warn("report failed", "report", id, "error", err, NULL);
        if (!db_broken(db))
            rstore_fail(db, job, err);
    }
    report_out_free(&out);
    return rc;
}

int jobs_run_one(db_t *db, const config_t *cfg, const signing_t *signing, const char *who,
                 uint64_t id)
{
    rstore_job_t job;
    int rc = rstore_claim(db, who, id, (int)cfg->reports_stale_s, &job);
    return rc == ST_OK ? run_job(cfg, signing, who, db, &job, NULL) : rc;
}

/* Waits for a wake-up or the next poll. */
static void wait_for_work(jobs_t *j)
{
    struct timespec until = waitclock_after_ms(POLL_S * 1000LL);
    pthread_mutex_lock(&j->mu);
    while (!j->stop && !j->woken)
        if (pthread_cond_timedwait(&j->cv, &j->mu, &until) != 0)
            break;
    j->woken = false;
    pthread_mutex_unlock(&j->mu);
}

/* The thread: claim, build, repeat; reconnect when the database comes back. */
static void *jobs_main(void *arg)
{
    jobs_t *j = arg;
    db_t *db = NULL;
    db_thread_init();
    /* Builds yield the CPU to the loop.  The heartbeat thread was created
     * before (jobs_start), so it keeps the normal priority: a nice 10 thread
     * on a machine busy with other nice 0 work can wait for the CPU longer
     * than stale_s, and its job would be taken over while it lives. */
    threadprio_lower(THREADPRIO_WORKER_NICE);
    for (;;) {
        pthread_mutex_lock(&j->mu);
        bool stop = j->stop;
        pthread_mutex_unlock(&j->mu);
        if (stop)
            break;
        if (!db || db_broken(db)) {
            db_close(db);
            db = NULL;
            char err[256];
            if (db_connect(j->cfg, true, &db, err, sizeof err) != ST_OK) {
                wait_for_work(j);
                continue;
            }
        }
        rstore_job_t job;
        int rc = rstore_claim(db, j->who, 0, (int)j->cfg->reports_stale_s, &job);
        if (rc == ST_OK)
            run_job(j->cfg, j->signing, j->who, db, &job, j->hb);
        else
            wait_for_work(j);
    }
    db_close(db);
    db_thread_end();
    return NULL;
}

jobs_t *jobs_start(const config_t *cfg, const signing_t *signing)
{
    jobs_t *j = xcalloc(1, sizeof *j);
    j->cfg = cfg;
    j->signing = signing;
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(j->who, sizeof j->who, "%s:%d", host, (int)getpid());
    pthread_mutex_init(&j->mu, NULL);
    waitclock_cond_init(&j->cv);
    j->hb = heartbeat_new(cfg, j->who, (int)(cfg->reports_stale_s * 1000 / 6));
    if (pthread_create(&j->thread, NULL, jobs_main, j) != 0) {
        heartbeat_free(j->hb);
        pthread_cond_destroy(&j->cv);
        pthread_mutex_destroy(&j->mu);
        free(j);
        return NULL;
    }
    return j;
}

void jobs_wake(jobs_t *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->woken = true;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

void jobs_stop(jobs_t *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->stop = true;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    heartbeat_free(j->hb);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
}
