/*
 * sla_acc.h - the rollups of contacts, with their detail, as
 * sla_compute_rollups_many() reads them back: one row per UTC 15-minute
 * slot and queue, one per agent and local day, and one per reason (the
 * contact's case type, "" = none) and local day.  Pure computation: the
 * database side (server/store/rollup.c) streams contacts in and writes the
 * rows out.
 *
 * A row's counts and histograms are exactly what sla_sums_add_contact() and
 * row_contact_metrics() (sla.c) count of its contacts, with the thresholds
 * and FCR window of the segment the slot starts in (sla_seg_t: METRICS.md's
 * parameters of the month, as server/store/rollup.c derives them) and, for
 * agent and reason rows, the local day of the segment's zone.  Contacts are added with
 * a sign, so a batch's rows are deltas: a corrected contact leaves (-1, its
 * old version) and comes back (+1).
 *
 * FCR by repeat (METRICS.md "First contact resolution") is decided here,
 * one customer at a time: sla_acc_customer() gets every contact of a
 * customer that can matter, in offered order, each marked NEW (enters),
 * OLD (leaves: the stored version of a corrected contact), KEPT (stays; its
 * repeat flag may change because a neighbour came or went) or CONTEXT (only
 * a later contact others may repeat into).  Given every stored contact of
 * the customer within the largest window around the batch's instants, the
 * deltas are exact: a contact's flag only depends on the customer's first
 * later instant.
 *
 * What it owns: the accumulator, its rows and their strings (interned);
 * the segments' time zones are borrowed for its life.  One thread at a time.
 */
#ifndef SLT_SLA_ACC_H
#define SLT_SLA_ACC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ihist.h"
#include "sla.h"
#include "tz.h"

/* The parameters of slots starting in [from_us, to_us). */
typedef struct sla_seg {
    int64_t from_us, to_us;
    int sl_threshold_s, short_abandon_s, fcr_window_h;
    const tz_t *tz; /* local days of the agent rows (borrowed) */
} sla_seg_t;

typedef enum sla_acc_kind {
    SLA_ACC_SLOTS = 0,
    SLA_ACC_AGENTS = 1,
    SLA_ACC_REASONS = 2,
    SLA_ACC_KINDS = 3
} sla_acc_kind_t;

/* What a contact is to the batch (see the top of this file). */
typedef enum sla_acc_src {
    SLA_ACC_NEW = 1,
    SLA_ACC_KEPT = 2,
    SLA_ACC_OLD = 3,
    SLA_ACC_CONTEXT = 4
} sla_acc_src_t;

/* One accumulated row: r holds the key (slot_us and queue, or the day's
 * start and agent or reason), the thresholds and the counts (its views are
 * unset); the histograms are the detail. */
typedef struct sla_acc_row {
    sla_rollup_t r;
    ihist_t waits[SLA_WAITS];
    ihist_t slots; /* agent rows */
} sla_acc_row_t;

typedef struct sla_acc sla_acc_t;

/* A new accumulator for the segments (sorted, covering every instant; copied). */
sla_acc_t *sla_acc_new(const sla_seg_t *seg, size_t n);
void sla_acc_free(sla_acc_t *a);

/* The segment of the slot containing offered_us. */
const sla_seg_t *sla_acc_segment(const sla_acc_t *a, int64_t offered_us);
/* The largest FCR window of any segment, in microseconds: how far apart
 * two contacts can be and still change each other's flags. */
int64_t sla_acc_horizon_us(const sla_acc_t *a);

/* Adds sign (+1 or -1) x the contact to its slot, agent and reason rows,
 * with its FCR repeat flag. */
void sla_acc_contact(sla_acc_t *a, const sla_contact_t *c, bool repeat, int sign);

/*
 * One customer's contacts c[0..n) (the same non-empty customer_id, in
 * offered order) with what each is to the batch: NEW ones are added with
 * their flag in the new timeline (NEW + KEPT + CONTEXT), OLD ones removed
 * with their flag in the old one (OLD + KEPT + CONTEXT), KEPT ones move
 * their flag when it differs between the two.
 */
void sla_acc_customer(sla_acc_t *a, const sla_contact_t *c, const uint8_t *src, size_t n);

/*
 * FCR over new contacts that come in offered order (an ACD export, a
 * queue_log), without grouping them by customer first: each contact is
 * added at once, and a customer's answered contacts at its latest instant
 * wait until the customer's next instant decides whether they repeat, or
 * until every window has passed.  Memory is the customers of the last
 * window, not the contacts.  The same rows as sla_acc_customer() with every
 * contact NEW, when no stored contact of the customers lies within the
 * largest window of the contacts (the caller's to know).
 */
typedef struct sla_acc_order sla_acc_order_t;
sla_acc_order_t *sla_acc_order_new(sla_acc_t *a);
/* Adds a NEW contact.  false (nothing added) when it comes before the
 * latest instant added: the input is not in order, and the caller must
 * reset the accumulator and group by customer instead. */
bool sla_acc_order_add(sla_acc_order_t *o, const sla_contact_t *c);
/* Customers held now (for tests and measurements). */
size_t sla_acc_order_held(const sla_acc_order_t *o);
void sla_acc_order_free(sla_acc_order_t *o);

/* Rows of a kind, in no particular order; a row stays valid until the next
 * add or sla_acc_reset(). */
size_t sla_acc_count(const sla_acc_t *a, sla_acc_kind_t k);
sla_acc_row_t *sla_acc_row(sla_acc_t *a, sla_acc_kind_t k, size_t i);
/* The row of a key, or NULL (key: the queue, agent id or reason). */
sla_acc_row_t *sla_acc_find(sla_acc_t *a, sla_acc_kind_t k, int64_t slot_us, const char *key);
/* About how many bytes the rows take (to flush before memory grows). */
size_t sla_acc_bytes(const sla_acc_t *a);
/* Drops every row (after they were written). */
void sla_acc_reset(sla_acc_t *a);

/*
 * Adds a stored row (counts and encoded detail; thresholds and window must
 * be the row's) to an accumulated one.  ST_ERR_INVALID when the thresholds
 * differ or an encoding is malformed.
 */
int sla_acc_row_add(sla_acc_row_t *row, const sla_rollup_t *stored);
/* Whether a row and a stored one are equal: counts, thresholds, window and
 * decoded detail (a malformed encoding is unequal). */
bool sla_acc_row_equal(const sla_acc_row_t *row, const sla_rollup_t *stored);
/* Adds every row of src to dst (rows created as needed; the same segments). */
void sla_acc_merge(sla_acc_t *dst, const sla_acc_t *src);
/* Whether a row counts nothing (every count 0, every histogram empty). */
bool sla_acc_row_empty(const sla_acc_row_t *row);

#endif
