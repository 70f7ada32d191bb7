/*
 * metrics_run.h - computes a tenant's queue metrics for a period from the
 * database: the contract version in force for the period's first month
 * (or the defaults), the rollups of the period for counts and sums, the
 * contacts of the period plus the FCR window after it for what only
 * contacts give (metrics_run.c says which is which), and reports/sla.c.  Shared by GET /metrics and
 * the report builder. Runs on the caller's thread with the caller's connection.
 */
#ifndef SLT_METRICS_RUN_H
#define SLT_METRICS_RUN_H

#include "db.h"
#include "sla.h"
#include "tenant.h"

/* What a computation used, for the JSON and the Methodology sheet. */
typedef struct metrics_info {
    int contract_version; /* 0: no contract, METRICS.md defaults */
    char timezone[65];
    sla_params_t params; /* params.tz is NULL after the call (the zone is freed) */
    size_t contacts;     /* contacts read */
    size_t rollup_rows;  /* rollup rows read (source "rollups") */
    const char
        *source; /* "rollups", "rollups+contacts" or "contacts" (static), see metrics_run.c */
} metrics_info_t;

/* Where the numbers come from (metrics_run.c says which metric is read where). */
typedef enum metrics_source {
    METRICS_FROM_ROLLUPS = 0, /* rollups alone when they can serve the period, else as CHECKED */
    METRICS_CHECKED,          /* rollup counts, the rest from contacts, each checked against the
                                 other (when rollups cannot serve: contacts) */
    METRICS_FROM_CONTACTS,    /* contacts only: the reference */
} metrics_source_t;

/*
 * Computes the metrics grouped by `by` (a second grouping may be asked in
 * one pass with by2/out2, or by2 < 0 for none).  generated_us is the
 * report's instant (the FCR provisional flag).  On ST_OK *out (and *out2)
 * are the caller's (sla_result_free).  ST_ERR_INVALID with the reason for a
 * bad period; ST_ERR_TOO_LARGE when the period holds too many contacts.
 */
int metrics_compute(db_t *db, const tenant_t *t, const sla_period_t *period, sla_by_t by, int by2,
                    int64_t generated_us, sla_result_t **out, sla_result_t **out2,
                    metrics_info_t *info, char *err, size_t errlen);

/*
 * n_by groupings (each by[i] into outs[i]) from the source asked: rollups
 * alone read a month's few thousand rollup rows and no contact; the other
 * sources read the contacts once for all groupings.  On ST_OK every
 * outs[i] is the caller's (sla_result_free); on failure all are NULL.
 * ST_ERR_INTERNAL with the reason in err when rollups disagree with
 * themselves or with the contacts.  Caller's thread and connection; when
 * the connection is not in a transaction the rollup reads run in a
 * read-only snapshot of their own.
 */
int metrics_compute_from(db_t *db, const tenant_t *t, const sla_period_t *period,
                         const sla_by_t *by, size_t n_by, int64_t generated_us,
                         metrics_source_t source, sla_result_t **outs, metrics_info_t *info,
                         char *err, size_t errlen);

/* metrics_compute_from() with METRICS_CHECKED (GET /metrics). */
int metrics_compute_many(db_t *db, const tenant_t *t, const sla_period_t *period,
                         const sla_by_t *by, size_t n_by, int64_t generated_us, sla_result_t **outs,
                         metrics_info_t *info, char *err, size_t errlen);

#endif
