/*
 * rollup_batch.h - the rollup rows with their detail (contact_rollups per
 * UTC slot and queue, agent_rollups per agent and local day,
 * reason_rollups per reason (case type) and local day, and
 * batch_slots: contacts per slot by the batch that last wrote them): kept up to
 * date batch by batch, rebuilt from the contacts, checked against them,
 * and read back for the metrics.
 *
 * A batch (ingest, or a rebuild) streams contacts, sorted by customer and
 * instant, into a reports/sla_acc.h accumulator (each row marked NEW, OLD,
 * KEPT or CONTEXT: sla_acc.h says what each means), then merges the
 * accumulated deltas into the stored rows (read, add, write back: the
 * histograms are encodings the database cannot add).  Memory is the
 * accumulated rows: a month of keys, not its contacts.
 *
 * Database functions run on the caller's thread and connection, inside
 * the caller's transaction with the tenant row locked (as ingest and the
 * contract PUT do), except rollup_read() and rollup_detail_check(), which
 * only read.
 */
#ifndef SLT_ROLLUP_BATCH_H
#define SLT_ROLLUP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "sla.h"
#include "tenant.h"

/*
 * The columns a batch's stream returns, in this order, from contact rows
 * with alias c: what the row is to the batch (src, an sla_acc_src_t) and
 * the batch that writes it (NEW) or wrote it (OLD), both SQL expressions,
 * then the contact.  The stream must be ORDER BY customer_id, offered_us.
 */
#define ROLLUP_STREAM_COLUMNS(src, batch, c)                                                       \
    src ", " batch ", " c ".offered_us, " c ".wait_s, " c ".talk_s, " c ".hold_s, " c ".acw_s, " c \
        ".outcome, " c ".transferred, " c ".resolved, " c ".csat, " c ".queue, " c ".agent_id, " c \
        ".customer_id, " c ".reason"

/* A contact as fetched (db_query_rows' typed binding): the columns of
 * ROLLUP_STREAM_COLUMNS after src and batch, also what the metrics' contact
 * path reads.  Strings are NUL-terminated by db_query_rows. */
typedef struct rollup_contact_row {
    int64_t offered_us;
    int32_t wait_s, talk_s, hold_s, acw_s, outcome, transferred, resolved, csat;
    char queue[65], agent[65], customer[65], reason[65];
    unsigned long queue_len, agent_len, customer_len, reason_len;
} rollup_contact_row_t;
#define ROLLUP_CONTACT_COLS 13
/* Fills cols[0 .. ROLLUP_CONTACT_COLS) for a rollup_contact_row_t found `at`
 * bytes into the struct db_query_rows fetches into. */
void rollup_contact_cols(db_out_col_t *cols, size_t at);

typedef struct rollup_batch rollup_batch_t;

/*
 * Starts a batch of the tenant: its segments and their zones.  *pending
 * is true when the tenant's rollups await a rebuild (rollup_rebuilds):
 * then the batch does nothing (the rebuild will count everything).
 * ST_ERR_INTERNAL with the reason when a zone cannot be loaded.
 */
int rollup_batch_begin(db_t *db, uint64_t tenant_id, rollup_batch_t **out, bool *pending, char *err,
                       size_t errlen);
/* How far apart two contacts can change each other's FCR flag (the
 * largest window of any segment), in microseconds. */
int64_t rollup_batch_horizon_us(const rollup_batch_t *b);
/* Streams the rows of sql (ROLLUP_STREAM_COLUMNS, in customer order) into
 * the batch; *new_rows gets how many were NEW (may be NULL). */
int rollup_batch_stream(rollup_batch_t *b, const char *sql, const db_val_t *params, size_t n,
                        uint64_t *new_rows);
/*
 * The same for rows that are all NEW and, the caller knows, have no stored
 * contact within the FCR horizon: read in the order sql gives (no sort),
 * FCR decided as they come (sla_acc_order).  *ordered false (rc ST_OK,
 * nothing kept) when a row came before an earlier one: stream them in
 * customer order with rollup_batch_stream() instead.
 */
int rollup_batch_stream_ordered(rollup_batch_t *b, const char *sql, const db_val_t *params,
                                size_t n, bool *ordered);
/* Merges what was streamed into the stored rows and empties the batch. */
int rollup_batch_flush(rollup_batch_t *b, char *err, size_t errlen);
void rollup_batch_free(rollup_batch_t *b);

/*
 * Recomputes every rollup row (and batch_slots) of the tenant from its
 * contacts, a month at a time (the stored rows are replaced).  Used by the contract PUT that
 * changes the segments and by `slattest migrate` for the tenants queued in
 * rollup_rebuilds (rollup_rebuild_pending()).
 */
int rollup_rebuild(db_t *db, const tenant_t *t, char *err, size_t errlen);
/* Rebuilds every tenant queued in rollup_rebuilds, each in a transaction
 * of its own that takes the tenant lock; *done gets how many. */
int rollup_rebuild_pending(db_t *db, size_t *done, char *err, size_t errlen);
/* Whether the tenant's rollups await a rebuild. */
int rollup_pending(db_t *db, uint64_t tenant_id, bool *pending);

/* Which rows rollup_read() returns. */
typedef enum rollup_kind {
    ROLLUP_SLOTS = 0,
    ROLLUP_AGENTS = 1,
    ROLLUP_REASONS = 2,
    ROLLUP_KINDS = 3
} rollup_kind_t;

/*
 * Calls on_row for every stored row of the kind whose slot (or day) starts
 * in [from_us, to_us), in time order.  The row (its strings and views) is
 * valid during the call only; has_detail is false for rows written before
 * migration 0013.  A non-ST_OK from on_row stops and is returned.
 */
int rollup_read(db_t *db, uint64_t tenant_id, rollup_kind_t kind, int64_t from_us, int64_t to_us,
                int (*on_row)(void *ctx, const sla_rollup_t *row), void *ctx);

/*
 * Recomputes the tenant's rows of every kind with their detail from the
 * contacts (one read of them, a month at a time) and compares them with
 * the stored ones: per kind, keys[kind] rows compared, differences[kind]
 * of them unequal (a stored row the recomputation lacks must count
 * nothing).
 */
int rollup_detail_check(db_t *db, const tenant_t *t, uint64_t differences[ROLLUP_KINDS],
                        uint64_t keys[ROLLUP_KINDS], char *err, size_t errlen);

/* *differences gets the number of (slot, batch) rows of batch_slots that
 * disagree with an SQL count over the contacts, of *keys. */
int rollup_batch_slots_check(db_t *db, uint64_t tenant_id, uint64_t *differences, uint64_t *keys);

#endif
