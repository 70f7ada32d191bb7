/*
 * batch.h - what every kind of ingestion batch shares (contacts, QA
 * evaluations, calibrations, appeals): the transaction that locks the
 * tenant row (batches of one tenant apply one at a time), the
 * ingest_batches row with its kind, the strict/lenient verdict, the
 * SHA-256 and size of the body, the capped list of row errors, the counts
 * of the receipt (INTERFACES.md), the audit entry, and the record of a
 * rejected batch in a transaction of its own.
 *
 * A kind (ingest.c, qa_ingest.c) owns its parsing, staging and upserts: it
 * opens a batch with batch_begin() after its own DDL (temporary tables
 * commit implicitly), feeds the body through batch_hash(), reports bad rows
 * with batch_reject_row(), fills the counts, and ends with batch_commit()
 * or batch_reject().  Extra receipt and audit members are passed as JSON.
 *
 * A batch_t belongs to the thread that created it, with its db_t (which it
 * borrows), until batch_free().  It does no other I/O.
 */
#ifndef SLT_BATCH_H
#define SLT_BATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "tenant.h"

#define BATCH_MAX_ERRORS   1000 /* errors listed in a receipt; the rest are counted */
#define BATCH_MAX_WARNINGS 100  /* warnings listed in a receipt */

typedef struct batch batch_t;

/*
 * How a batch is applied.  lenient: bad records are refused one by one and
 * the rest kept (strict: one bad record keeps nothing).  dry_run: the batch
 * is parsed, validated, staged, deduplicated and applied inside its
 * transaction exactly as for real (so the counts are the real ones), then
 * rolled back: no data, no ingest_batches row, no audit entry, and a
 * refused dry run records no refusal either.  Its receipt says "dry_run":
 * true, "committed": false, "would_commit" (the verdict a real run would
 * get) and "batch_id": null.
 */
typedef struct batch_mode {
    bool lenient;
    bool dry_run;
} batch_mode_t;

/* The counts of a receipt; the kind fills them. */
typedef struct batch_counts {
    uint64_t rows;      /* records seen, good and bad */
    uint64_t inserted;  /* new records */
    uint64_t updated;   /* records that replaced a different stored version */
    uint64_t unchanged; /* records equal to the stored ones (or repeated in the batch) */
    uint64_t rejected;  /* records refused */
} batch_counts_t;

/*
 * Starts the transaction, locks the tenant row and inserts the batch row
 * (kind "cdrs", "evaluations"...; format "csv", "json"...), and loads the
 * tenant's time zone for the receipt's periods.  Strings are copied.  On
 * failure returns the database status with its message in err and *out is
 * NULL.
 */
int batch_begin(db_t *db, const tenant_t *t, const char *actor, const char *kind,
                const char *format, batch_mode_t mode, batch_t **out, char *err, size_t errlen);

/* Adds body bytes to the digest and the byte count. */
void batch_hash(batch_t *b, const void *data, size_t len);
/* Ends the digest; call once, when the body is complete. */
void batch_hash_done(batch_t *b);

/* Lists an error (line 0: the body as a whole) without counting a record. */
void batch_note_error(batch_t *b, uint64_t line, const char *field, const char *message);
/* Counts a refused record and lists its error. */
void batch_reject_row(batch_t *b, uint64_t line, const char *field, const char *message);
/*
 * The same for an error about a name or value outside a fixed set (an
 * unknown column, key or enum value, a missing required column): the
 * receipt's error gets "valid": [...] (valid is NULL-ended; only read).
 */
void batch_note_error_valid(batch_t *b, uint64_t line, const char *field, const char *message,
                            const char *const *valid);
void batch_reject_row_valid(batch_t *b, uint64_t line, const char *field, const char *message,
                            const char *const *valid);

/* The counts (mutable by the kind). */
batch_counts_t *batch_counts(batch_t *b);
const batch_counts_t *batch_counts_const(const batch_t *b);

/*
 * How a kind resolves records staged twice in one batch (its SQL; every
 * statement reads the kind's staging table).  An id staged with different
 * contents is refused on every line where it stands; exact repeats are kept
 * once and counted unchanged.
 */
typedef struct batch_dedupe {
    const char *find_sql;           /* rows: id, copies, distinct contents, key of the copy kept */
    const char *lines_sql;          /* the line of each copy of an id (1 parameter: the id) */
    const char *const *drop_all;    /* removes every copy of an id (id); NULL-ended */
    const char *const *drop_others; /* removes all copies but the kept one (id, key); NULL-ended */
    const char *field;              /* the field the errors name, e.g. "call_id" */
} batch_dedupe_t;

/* Applies d within the batch's transaction: errors listed, counts updated. */
int batch_dedupe(batch_t *b, db_t *db, const batch_dedupe_t *d);

/*
 * The receipt's "periods": how many of the batch's staged records fall in
 * each local month of the tenant's time zone ({"2026-10": 120, "2026-11":
 * 3}), so a record that lands in another month than meant shows at once.
 * slots_sql returns rows (UTC 15-minute slot = instant in seconds DIV 900,
 * count); with tenant_param its one parameter is the tenant id.  Every
 * local month boundary of any zone since 1970 falls on such a slot.
 */
int batch_periods(batch_t *b, const char *slots_sql, bool tenant_param);

/* The local month (tenant's zone) of a UTC instant in seconds. */
void batch_local_month(const batch_t *b, int64_t utc_s, int *year, int *month);

/* Adds a warning to the receipt (taken over; listed up to BATCH_MAX_WARNINGS). */
void batch_warn(batch_t *b, json_t *warning);

/* Whether the batch must be refused: fatal (unreadable body), or strict with a bad row. */
bool batch_must_reject(const batch_t *b, bool fatal);

/*
 * Records the counts and digest, appends the audit entry "<kind>.ingest"
 * (counts, mode, format, digest, plus the members of extra, which may be
 * NULL and is only read) and commits.  A dry run rolls back instead (no
 * audit entry); its receipt says it would have committed.
 */
int batch_commit(batch_t *b, json_t *extra);

/*
 * Rolls everything back, then records the refusal in a transaction of its
 * own: a 'rejected' batch row with the counts (inserted, updated and
 * unchanged zeroed) and the audit entry "<kind>.reject".  extra as above.
 * A dry run records nothing.
 */
int batch_reject(batch_t *b, json_t *extra);

/* The receipt of INTERFACES.md (new reference); extra's members are added (only read). */
json_t *batch_receipt(const batch_t *b, json_t *extra);

uint64_t batch_id(const batch_t *b);
uint64_t batch_tenant(const batch_t *b);
db_t *batch_db(const batch_t *b);
bool batch_lenient(const batch_t *b);
bool batch_dry_run(const batch_t *b);
bool batch_committed(const batch_t *b);
/* Committed, or (dry run) would have been: the verdict (200 rather than 422). */
bool batch_accepted(const batch_t *b);
uint64_t batch_bytes(const batch_t *b);

/* Rolls back anything uncommitted and frees; batch_free(NULL) does nothing. */
void batch_free(batch_t *b);

#endif
