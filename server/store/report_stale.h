/*
 * report_stale.h - which ingest batches touched a tenant's month, and
 * which of them came after a report of that month read its data (the
 * report is then stale: docs/schedules.md "Stale reports").
 *
 * A batch touches a month when it wrote last one of the month's records:
 * a contact offered in it, an evaluation or calibration evaluated in it,
 * an appeal of such an evaluation (the same records the Changes sheet
 * counts, report_changes.h).  A report read its data after the highest
 * committed batch id it stored (report_values.seen_batch_id); a batch
 * committing while it read is counted as after (said too often, never
 * left out).  Only the current version (the latest done) of a report can
 * be stale; a version with a newer one is superseded instead.
 *
 * Caller's thread and connection; the caller frees what it gets.
 */
#ifndef SLT_REPORT_STALE_H
#define SLT_REPORT_STALE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "tenant.h"

/* A batch that touched a month. */
typedef struct rstale_batch {
    uint64_t id;
    int64_t received_at; /* epoch seconds */
    int64_t records;     /* the month's records it wrote last */
} rstale_batch_t;

/*
 * The committed batches with ids in (after, upto] (upto 0: no bound) that
 * touched local month period (YYYY-MM) of a tenant in zone `timezone`, by
 * id, into a new array *out of *n (free it).  Reads the month's few
 * thousand batch_slots rows, not its contacts (unless the tenant's rollups
 * await their rebuild).  ST_ERR_INVALID for a bad period or zone.
 */
int rstale_batches(db_t *db, uint64_t tenant_id, const char *timezone, const char *period,
                   uint64_t after, uint64_t upto, rstale_batch_t **out, size_t *n);

/* Whether a report is stale: *n > 0 batches into *out (free it), or none
 * (also for a report that is not the current version or has no stored
 * values).  ST_ERR_NOT_FOUND for an unknown report. */
int rstale_report(db_t *db, const tenant_t *t, uint64_t report_id, rstale_batch_t **out, size_t *n);

/* Adds "stale" (true/false) and "stale_batches" ([{id, received_at,
 * records}]) to the metadata JSON of a report (rstore_get's). */
int rstale_annotate(db_t *db, const tenant_t *t, json_t *meta);

#endif
