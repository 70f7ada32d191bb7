/*
 * ingest.h - one batch of contacts into a tenant: parse as the bytes
 * arrive, validate, stage, then commit all of it (or, in strict mode with
 * any bad row, none of it) in one transaction, with rollups and an audit
 * entry.
 *
 * How a batch is applied (ingest.c, on the shared machinery of batch.h): rows go into a
 * per-connection TEMPORARY staging table in bulk as they are parsed (memory stays flat); at the
 * end, set-based statements find duplicate call_ids within the batch, count inserted / updated /
 * unchanged rows against the stored contacts by a row hash, move the rollups (subtract the old
 * contribution of a corrected contact, add the new one), and upsert the contacts — all inside one
 * transaction that also locks the tenant row, so batches of one tenant apply one at a time and a
 * killed server leaves no partial batch.
 *
 * An ingest_t belongs to the thread that created it, with its db_t, until
 * ingest_free().  It does no other I/O.
 */
#ifndef SLT_INGEST_H
#define SLT_INGEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "db.h"
#include "tenant.h"

typedef enum ingest_format {
    INGEST_CSV = 1,
    INGEST_JSON = 2,
    INGEST_NDJSON = 3,
    INGEST_QLOG = 4,
} ingest_format;

typedef struct ingest ingest_t;

/* "csv", "json", "ndjson", "queue_log"; ST_ERR_INVALID otherwise. */
int ingest_format_parse(const char *name, ingest_format *out);
/* text/csv, application/json, application/x-ndjson, text/x-asterisk-queue-log. */
int ingest_format_from_content_type(const char *content_type, ingest_format *out);
const char *ingest_format_name(ingest_format fmt);

/*
 * Opens a batch: staging table, transaction, tenant lock, batch row, and
 * for queue_log the tenant's open contacts.  mode: strict or lenient, and
 * dry run (batch.h: everything but keeping it).  actor is copied.  On
 * failure the database status is returned with a message in err.
 */
int ingest_begin(db_t *db, const tenant_t *t, const char *actor, ingest_format fmt,
                 batch_mode_t mode, ingest_t **out, char *err, size_t errlen);
/* Parses and stages more of the body.  A database failure is returned (the batch is lost). */
int ingest_feed(ingest_t *g, const char *data, size_t len);
/*
 * Ends the body and decides: commit, or reject (strict mode with a bad row,
 * or a body that cannot be parsed).  ST_OK when a verdict was reached
 * either way (see ingest_committed); a database status otherwise.
 */
int ingest_finish(ingest_t *g);
/* Whether the batch was committed (a dry run: would have been). */
bool ingest_committed(const ingest_t *g);
/* The receipt of INTERFACES.md (new reference), with the local months its
 * contacts fall in ("periods", batch.h) and, for a dry run, "dry_run". */
json_t *ingest_receipt(const ingest_t *g);
/* Body bytes and rows seen so far (for progress). */
uint64_t ingest_bytes(const ingest_t *g);
uint64_t ingest_rows(const ingest_t *g);
/* The last database error text. */
const char *ingest_db_error(const ingest_t *g);
/* Rolls back anything uncommitted and frees. */
void ingest_free(ingest_t *g);

#endif
