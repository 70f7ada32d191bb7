/*
 * jobs.h - the report job runner: one thread per server instance, with its
 * own database connection, that claims queued report jobs (or jobs whose
 * server died: report_store.h) and builds them one at a time — the
 * workbook library is not safe to run twice at once in one process.
 *
 * jobs_start() and jobs_stop() are called by the server's main thread;
 * jobs_wake() from any thread (after a report is requested).
 */
#ifndef SLT_JOBS_H
#define SLT_JOBS_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "signing.h"

typedef struct jobs jobs_t;

/* Starts the runner; cfg and signing must outlive it.  NULL on failure. */
jobs_t *jobs_start(const config_t *cfg, const signing_t *signing);
/* Looks for work now instead of at the next poll. */
void jobs_wake(jobs_t *j);
/* Lets the job in progress finish, stops the thread and frees. */
void jobs_stop(jobs_t *j);

/*
 * Claims report job `id` for `who` and builds it on the caller's thread and
 * connection (the command line builds its own jobs).  ST_ERR_NOT_FOUND when
 * another worker holds it; otherwise the build's status (a failed build is
 * recorded as failed with its reason).
 */
int jobs_run_one(db_t *db, const config_t *cfg, const signing_t *signing, const char *who,
                 uint64_t id);

#endif
