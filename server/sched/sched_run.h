/*
 * sched_run.h - one look of a scheduler at an instant: start the runs that
 * are due, move runs whose reports are done on to delivery, and make the
 * delivery attempts that are due.
 *
 * Exactly once without locks: a run is the row (tenant, schedule, period)
 * of schedule_runs, created by an INSERT on that unique key; whoever's
 * INSERT fails with a duplicate key lost and does nothing.  A run moves on
 * by an UPDATE conditional on its status, and its deliveries are created in
 * that same transaction on their own unique key; an attempt is claimed by an
 * UPDATE conditional on the delivery's status and attempt count.  Each
 * holds on a Galera cluster, where the losing write fails at certification.
 *
 * The server's scheduler thread (sched.h) looks with the clock;
 * `slattest schedule run-due [--now]` looks once with a chosen instant and
 * builds the reports itself.  Functions run on the caller's thread with the
 * caller's connection.
 */
#ifndef SLT_SCHED_RUN_H
#define SLT_SCHED_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"

/* A look at one instant. */
typedef struct sched_look {
    const config_t *cfg;
    const char *ca_fingerprint; /* of the signing CA, shown in e-mails */
    const char *runner;         /* who looks: "host:pid" or "cli:pid" */
    int64_t now;                /* the instant (epoch seconds) */
    bool clock;                 /* now is the clock: recorded as the last look */
    uint64_t tenant_id;         /* only this tenant's schedules; 0: every tenant */
    /* Called with each run and delivery event (borrowed JSON), or NULL. */
    void (*on_event)(void *arg, const json_t *event);
    void *arg;
    /* out: what this look did */
    int runs_started, attempts;
    int overdue; /* due runs not started, more than the tolerance late */
} sched_look_t;

/* Starts every due run whose period is closed: creates its report jobs. */
int sched_start_due(db_t *db, sched_look_t *look);
/* The queued report jobs of runs still building (for the CLI to build):
 * a new array *ids of *n (the caller frees). */
int sched_queued_reports(db_t *db, const sched_look_t *look, uint64_t **ids, size_t *n);
/* Runs whose reports are all done get their deliveries; a failed report
 * fails its run; a run with nothing left to deliver is done. */
int sched_advance(db_t *db, sched_look_t *look);
/* Makes every delivery attempt that is due, recording each. */
int sched_deliver_due(db_t *db, sched_look_t *look);
/* The rest of a look once its reports are queued (or built): sched_advance,
 * sched_deliver_due, sched_advance again (runs whose deliveries ended), and
 * sched_record_look. */
int sched_finish_look(db_t *db, sched_look_t *look);
/* Records a look by the clock (the last instant any scheduler looked). */
int sched_record_look(db_t *db, const sched_look_t *look);

#endif
