/*
 * qa_ingest.h - one batch of QA data into a tenant: evaluations,
 * calibration sessions or appeals, as CSV, a JSON array or NDJSON, parsed
 * as the bytes arrive, scored by the server, staged, and committed all at
 * once (or, strict with any bad record, not at all) on the machinery of
 * batch.h: the same receipt, modes, idempotency and audit entry as contact
 * ingestion.
 *
 * Records and formats (INTERFACES.md "QA evaluations"):
 *   - evaluations: CSV one row per item, consecutive rows with the same
 *     evaluation_id forming one evaluation (columns evaluation_id, call_id,
 *     agent_id, inspector_id, form_id, form_version, evaluated_at, item_id,
 *     result, and an optional total `score`); JSON one object per
 *     evaluation with "items": {"item": result}.  A row with item_id and
 *     result both empty adds no item.  The server scores each evaluation
 *     with the form version it names (qa_score.h); a supplied score that
 *     disagrees is refused naming both numbers.  An evaluation whose
 *     call_id is not a known contact is accepted and counted in the
 *     receipt's `unknown_contacts`; the link is a join at read time.
 *   - calibrations: CSV session_id, call_id, inspector_id, is_reference,
 *     evaluated_at, item_id, result, plus form_id and form_version (the
 *     scorecard every participant scores with), consecutive rows with the
 *     same session_id forming one session; JSON one object per session:
 *     {"session_id", "call_id", "form_id", "form_version", "participants":
 *     [{"inspector_id", "is_reference", "evaluated_at", "items": {...}}]}.
 *     A session is one record, stored and replaced whole.
 *   - appeals: evaluation_id, appealed_at, decided_at, outcome, new_score
 *     (qa_records.h rules); an appeal of an unknown evaluation is refused.
 * The same record twice in one batch is kept once when identical and
 * refused (every occurrence, by line) when different.  A record is counted
 * once in the receipt however many CSV rows it spans.
 *
 * A qa_ingest_t belongs to the thread that created it, with its db_t,
 * until qa_ingest_free().  It does no other I/O.
 */
#ifndef SLT_QA_INGEST_H
#define SLT_QA_INGEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "ingest.h"
#include "tenant.h"

typedef enum qa_kind {
    QA_KIND_EVALUATIONS = 1,
    QA_KIND_CALIBRATIONS = 2,
    QA_KIND_APPEALS = 3,
} qa_kind;

typedef struct qa_ingest qa_ingest_t;

/* "evaluations", "calibrations", "appeals"; ST_ERR_INVALID otherwise. */
int qa_kind_parse(const char *name, qa_kind *out);
/* The kind's name (a static string). */
const char *qa_kind_name(qa_kind kind);

/*
 * Opens a batch (staging tables, transaction, tenant lock, batch row).
 * fmt is INGEST_CSV, INGEST_JSON or INGEST_NDJSON (ST_ERR_INVALID
 * otherwise).  actor is copied.  On failure the status is returned with a
 * message in err.
 */
int qa_ingest_begin(db_t *db, const tenant_t *t, const char *actor, qa_kind kind, ingest_format fmt,
                    batch_mode_t mode, qa_ingest_t **out, char *err, size_t errlen);
/* Parses and stages more of the body.  A database failure is returned (the batch is lost). */
int qa_ingest_feed(qa_ingest_t *g, const char *data, size_t len);
/*
 * Ends the body and decides: commit, or reject.  ST_OK when a verdict was
 * reached either way (see qa_ingest_committed); a database status otherwise.
 */
int qa_ingest_finish(qa_ingest_t *g);
/* Whether the batch was committed (a dry run: would have been). */
bool qa_ingest_committed(const qa_ingest_t *g);
/* The receipt (new reference): batch.h's, plus updated_ids and, for evaluations, unknown_contacts.
 */
json_t *qa_ingest_receipt(const qa_ingest_t *g);
/* Body bytes and records seen so far (for progress). */
uint64_t qa_ingest_bytes(const qa_ingest_t *g);
uint64_t qa_ingest_rows(const qa_ingest_t *g);
/* The last database error text. */
const char *qa_ingest_db_error(const qa_ingest_t *g);
/* Rolls back anything uncommitted and frees; NULL is a no-op. */
void qa_ingest_free(qa_ingest_t *g);

#endif
