/*
 * rollup.h - the thresholds rollups are built with, and the consistency
 * check of contact_rollups against contacts.
 *
 * Rollups are maintained by ingest (ingest.c) as deltas, through
 * rollup_batch.h, which also rebuilds them.  Their threshold-dependent counts (answered_within_n,
 * abandoned_within_n, short_abandoned_n) use the thresholds of the month the slot lies in: the
 * table rollup_segments holds them as spans of slot starts, derived from
 * the contract versions by rollup_segments_derive() and stored (with the
 * tenant's rollups rebuilt when they changed) by rollup_segments_store()
 * inside the contract PUT's transaction.  rollup_check() recomputes the
 * rollups from the contacts of one tenant and counts the rollup keys whose
 * sums or thresholds differ, so a bug or a manual edit cannot go unnoticed.
 * Database functions run on the caller's thread with the caller's
 * connection.
 */
#ifndef SLT_ROLLUP_H
#define SLT_ROLLUP_H

#include <stdbool.h>
#include <stdint.h>

#include "contract_store.h"
#include "db.h"
#include "tenant.h"

/* Thresholds until a contract sets them (METRICS.md defaults). */
#define ROLLUP_DEFAULT_SL_THRESHOLD_S  20
#define ROLLUP_DEFAULT_SHORT_ABANDON_S 5
#define ROLLUP_DEFAULT_FCR_WINDOW_H    72

#define ROLLUP_STR_(x) #x
#define ROLLUP_STR(x)  ROLLUP_STR_(x)

/*
 * SQL shared by ingest (deltas), rollup_check() (recomputation) and the
 * rebuild after a contract change, so all three group alike.
 * ROLLUP_SEGMENT(c, tenant) joins contact rows with alias c to their
 * slot's thresholds (alias th; tenant is an SQL expression for the tenant
 * id); ROLLUP_SL and ROLLUP_SHORT are those thresholds, the METRICS.md
 * defaults when the tenant has no segments.  ROLLUP_SUMS(c, sign) turns
 * contact rows into the sums of ROLLUP_SUM_COLUMNS, in that order.
 */
#define ROLLUP_SUM_COLUMNS                                                                         \
    "answered_n, answered_within_n, answered_wait_sum, abandoned_n, abandoned_wait_sum, "          \
    "abandoned_within_n, short_abandoned_n, short_wait_sum, overflow_n, overflow_wait_sum, "       \
    "talk_sum, hold_sum, acw_sum, transferred_n"
#define ROLLUP_SLOT(c) c ".offered_us - MOD(" c ".offered_us, 900000000)"
#define ROLLUP_SEGMENT(c, tenant)                                                                  \
    " LEFT JOIN rollup_segments th ON th.tenant_id = " tenant                                      \
    " AND " ROLLUP_SLOT(c) " >= th.from_us AND " ROLLUP_SLOT(c) " < th.to_us "
#define ROLLUP_SL    "COALESCE(th.sl_threshold_s, " ROLLUP_STR(ROLLUP_DEFAULT_SL_THRESHOLD_S) ")"
#define ROLLUP_SHORT "COALESCE(th.short_abandon_s, " ROLLUP_STR(ROLLUP_DEFAULT_SHORT_ABANDON_S) ")"
#define ROLLUP_SUMS(c, sign)                                                                       \
    sign "SUM(" c ".outcome = 1), " sign "SUM(" c ".outcome = 1 AND " c ".wait_s <= " ROLLUP_SL    \
         "), " sign "SUM(IF(" c ".outcome = 1, " c ".wait_s, 0)), " sign "SUM(" c                  \
         ".outcome = 2), " sign "SUM(IF(" c ".outcome = 2, " c ".wait_s, 0)), " sign "SUM(" c      \
         ".outcome = 2 AND " c ".wait_s >= " ROLLUP_SHORT " AND " c ".wait_s <= " ROLLUP_SL        \
         "), " sign "SUM(" c ".outcome = 2 AND " c ".wait_s < " ROLLUP_SHORT "), " sign            \
         "SUM(IF(" c ".outcome = 2 AND " c ".wait_s < " ROLLUP_SHORT ", " c ".wait_s, 0)), " sign  \
         "SUM(" c ".outcome = 3), " sign "SUM(IF(" c ".outcome = 3, " c ".wait_s, 0)), " sign      \
         "SUM(IF(" c ".outcome = 1, " c ".talk_s, 0)), " sign "SUM(IF(" c ".outcome = 1, " c       \
         ".hold_s, 0)), " sign "SUM(IF(" c ".outcome = 1, " c ".acw_s, 0)), " sign "SUM(" c        \
         ".outcome = 1 AND " c ".transferred = 1)"
/* The ON DUPLICATE KEY clause that adds a delta row to a stored one. */
#define ROLLUP_ADD                                                                                 \
    " ON DUPLICATE KEY UPDATE answered_n = answered_n + VALUES(answered_n),"                       \
    " answered_within_n = answered_within_n + VALUES(answered_within_n),"                          \
    " answered_wait_sum = answered_wait_sum + VALUES(answered_wait_sum),"                          \
    " abandoned_n = abandoned_n + VALUES(abandoned_n),"                                            \
    " abandoned_wait_sum = abandoned_wait_sum + VALUES(abandoned_wait_sum),"                       \
    " abandoned_within_n = abandoned_within_n + VALUES(abandoned_within_n),"                       \
    " short_abandoned_n = short_abandoned_n + VALUES(short_abandoned_n),"                          \
    " short_wait_sum = short_wait_sum + VALUES(short_wait_sum),"                                   \
    " overflow_n = overflow_n + VALUES(overflow_n),"                                               \
    " overflow_wait_sum = overflow_wait_sum + VALUES(overflow_wait_sum),"                          \
    " talk_sum = talk_sum + VALUES(talk_sum), hold_sum = hold_sum + VALUES(hold_sum),"             \
    " acw_sum = acw_sum + VALUES(acw_sum), transferred_n = transferred_n + VALUES(transferred_n)"

/* Slots starting in [from_us, to_us) are built with these thresholds and
 * FCR window, and their agent rows by the local days of this zone. */
typedef struct rollup_segment {
    int64_t from_us, to_us;
    int sl_threshold_s, short_abandon_s, fcr_window_h;
    char timezone[65];
} rollup_segment_t;

/*
 * The segments of a tenant's contract versions, in slot order, covering
 * every instant (the first starts at INT64_MIN, the last ends at
 * INT64_MAX): the METRICS.md defaults and the tenant's zone until the
 * first month a version is in force, then from each month where the
 * version's thresholds, FCR window or zone change, from that month's first
 * local instant in the new version's zone.  *out (free) has *n >= 1
 * segments.  ST_ERR_INTERNAL (reason in err) when a zone cannot be loaded.
 * Any thread; v is only read.
 */
int rollup_segments_derive(const cstore_versions_t *v, const tenant_t *t, rollup_segment_t **out,
                           size_t *n, char *err, size_t errlen);

/*
 * Derives the tenant's segments from its stored contract versions and,
 * when they differ from the stored ones, replaces them and rebuilds the
 * tenant's rollups from its contacts (*rebuilt = true).  Must run inside
 * the caller's transaction, with the tenant row locked FOR UPDATE (as
 * ingest does), so no batch sees half of it.
 */
int rollup_segments_store(db_t *db, const tenant_t *t, bool *rebuilt, char *err, size_t errlen);

/*
 * The tenant's stored segments (the defaults and tenant_zone when none are
 * stored), in slot order.  *out (free) has *n >= 1.
 */
int rollup_segments_load(db_t *db, uint64_t tenant_id, const char *tenant_zone,
                         rollup_segment_t **out, size_t *n);

/* *differences gets the number of (slot, queue) rows whose counts or
 * thresholds disagree with an SQL recomputation from the contacts. */
int rollup_check(db_t *db, uint64_t tenant_id, uint64_t *differences, uint64_t *keys);

#endif
