/*
 * report_changes.h - the Changes sheets of a templated report (REPORTS.md
 * "Issued reports never change"): which metric values moved since the
 * version this one supersedes, and why.  Two model tables:
 *
 *   changes          a first row saying what is compared (or "First
 *                    version: no earlier version"), then one row per value
 *                    that moved (xl_changes.h): sheet, row, metric,
 *                    previous, new, difference, note (new row, undefined,
 *                    a text's old and new wording)
 *   changes_batches  the ingest batches (every kind) committed after the
 *                    superseded version read its data, by batch: id, kind,
 *                    received at (UTC), rows, inserted, updated, unchanged,
 *                    rejected, and how many of the period's records that
 *                    batch wrote last (contacts offered in the month, the
 *                    month's evaluations and calibrations, appeals of them)
 *
 * Which batches the superseded version had not seen: committed batches of
 * a tenant are applied one at a time under the tenant's row lock, and a
 * batch's row (with its AUTO_INCREMENT id) is inserted after it takes the
 * lock, so committed batch ids of a tenant increase in commit order.  The
 * highest committed id read just before a report reads its data
 * (seen_batch_id) therefore splits the batches exactly into those it saw
 * and those it may not have; one committing while it read is listed by the
 * next version (said too often, never left out).  A version lists the
 * batches after its predecessor's seen_batch_id up to the highest committed
 * id when it lists them (listed_batch_id).  Both are stored with the
 * canonical text (migrations/0006_report_values.sql), so a rebuild of the
 * report (slattest report --rebuild) lists the same batches.  A superseded
 * report stored without values (made before they were kept) cannot be
 * compared: the sheet says so and lists the batches received since it was
 * requested.
 *
 * The sheets are not in the data digest ("digest": false in the
 * templates): they describe the difference between two versions, not the
 * values.
 *
 * Runs on the caller's thread with the caller's connection; no HTTP here.
 */
#ifndef SLT_REPORT_CHANGES_H
#define SLT_REPORT_CHANGES_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "db.h"
#include "xl_model.h"
#include "xl_template.h"

#define RCHANGES_TABLE         "changes"
#define RCHANGES_TABLE_BATCHES "changes_batches"

/* Where a report stands in its tenant's ingest batches (see above). */
typedef struct rchanges_mark {
    uint64_t seen_batch_id;   /* before the data were read */
    uint64_t listed_batch_id; /* the batches listed go up to this one */
    bool stored;              /* both from the stored report (a rebuild) */
} rchanges_mark_t;

/* The report the sheets are for. */
typedef struct rchanges_req {
    uint64_t tenant_id;
    uint64_t report_id;
    uint64_t supersedes; /* the superseded report, or 0 for a first version */
    int year, month;     /* the local month of the report */
} rchanges_req_t;

/*
 * Call before the report's data are read.  For a report already stored
 * with its values (a rebuild), its stored mark; else seen_batch_id is the
 * tenant's highest committed batch id now (listed_batch_id is set by
 * rchanges_fill()).  A database error's status otherwise.  Caller's thread.
 */
int rchanges_mark(db_t *db, uint64_t tenant_id, uint64_t report_id, rchanges_mark_t *out);

/*
 * Fills the tables RCHANGES_TABLE and RCHANGES_TABLE_BATCHES of model m
 * (complete but for them) shown through template t: appends the canonical
 * text of m (xl_digest_text()) to *canon, compares it with the superseded
 * report's, and lists the batches (setting mark->listed_batch_id unless
 * mark->stored).
 * Labels come from t in the model's language.  ST_OK, or an error's status
 * with the reason in err (the superseded report missing, a database or
 * model error).  Caller's thread.
 */
int rchanges_fill(db_t *db, const rchanges_req_t *req, rchanges_mark_t *mark, const xl_tpl_t *t,
                  xl_model_t *m, buf_t *canon, char *err, size_t errlen);

#endif
