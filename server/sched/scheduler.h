/*
 * scheduler.h - the scheduler of one server instance: a thread with its own
 * database connection that looks every [schedules] interval_s seconds, by
 * the clock only (sched_run.h), and process-wide counters of runs and
 * deliveries by outcome for /metrics.
 *
 * sched_start() and sched_stop() are called by the server's main thread;
 * the counters may be read and bumped from any thread (atomics).
 */
#ifndef SLT_SCHEDULER_H
#define SLT_SCHEDULER_H

#include <stdint.h>

#include "config.h"
#include "signing.h"

typedef struct sched sched_t;

/* What the counters count. */
typedef enum sched_counter {
    SCHED_RUN_STARTED,
    SCHED_RUN_LATE,
    SCHED_RUN_DONE,
    SCHED_RUN_FAILED,
    SCHED_EMAIL_SENT,
    SCHED_EMAIL_RETRY,
    SCHED_EMAIL_DEAD,
    SCHED_WEBHOOK_SENT,
    SCHED_WEBHOOK_RETRY,
    SCHED_WEBHOOK_DEAD,
    SCHED_NCOUNTERS
} sched_counter_t;

/* Adds one to a counter. */
void sched_count(sched_counter_t c);
/* The counters, and the runs due but not started at the last look (a gauge). */
void sched_counts(uint64_t out[SCHED_NCOUNTERS], uint64_t *overdue);
/* Sets the overdue gauge. */
void sched_set_overdue(uint64_t n);

/* The SHA-256 fingerprint of the signing CA (first certificate of its PEM)
 * into out[65]; "" when it cannot be read. */
void sched_ca_fingerprint(const signing_t *signing, char out[65]);

/*
 * Starts the scheduler thread (none when [schedules] interval_s is 0:
 * returns NULL).  wake(arg) is called after it queued report jobs (the
 * job runner's jobs_wake).  cfg and signing must outlive it.
 */
sched_t *sched_start(const config_t *cfg, const signing_t *signing, void (*wake)(void *),
                     void *arg);
/* Stops the thread after its current look and frees.  sched_stop(NULL) does nothing. */
void sched_stop(sched_t *s);

#endif
