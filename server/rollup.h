/*
 * rollup.h - consistency check of contact_rollups against contacts.
 *
 * Rollups are maintained by ingest (ingest.c) as deltas; rollup_check()
 * recomputes them from the contacts of one tenant and counts the rollup
 * keys whose sums differ, so a bug or a manual edit cannot go unnoticed.
 * Runs on the caller's thread with the caller's connection.
 */
#ifndef SLT_ROLLUP_H
#define SLT_ROLLUP_H

#include <stdint.h>

#include "db.h"

/* Thresholds until a contract sets them (METRICS.md defaults). */
#define ROLLUP_DEFAULT_SL_THRESHOLD_S  20
#define ROLLUP_DEFAULT_SHORT_ABANDON_S 5

/*
 * SQL shared by ingest (deltas) and rollup_check() (recomputation), so both
 * group alike.  The thresholds are the session variables @sl and @short
 * (set with rollup_set_thresholds()).  ROLLUP_SUMS(c, sign) turns contact
 * rows with alias c into the sums of ROLLUP_SUM_COLUMNS, in that order.
 */
#define ROLLUP_SUM_COLUMNS                                                                         \
    "answered_n, answered_within_n, answered_wait_sum, abandoned_n, abandoned_wait_sum, "          \
    "abandoned_within_n, short_abandoned_n, short_wait_sum, overflow_n, overflow_wait_sum, "       \
    "talk_sum, hold_sum, acw_sum, transferred_n"
#define ROLLUP_SLOT(c) c ".offered_us - MOD(" c ".offered_us, 900000000)"
#define ROLLUP_SUMS(c, sign)                                                                       \
    sign "SUM(" c ".outcome = 1), " sign "SUM(" c ".outcome = 1 AND " c ".wait_s <= @sl), " sign   \
         "SUM(IF(" c ".outcome = 1, " c ".wait_s, 0)), " sign "SUM(" c ".outcome = 2), " sign      \
         "SUM(IF(" c ".outcome = 2, " c ".wait_s, 0)), " sign "SUM(" c ".outcome = 2 AND " c       \
         ".wait_s >= @short AND " c ".wait_s <= @sl), " sign "SUM(" c ".outcome = 2 AND " c        \
         ".wait_s < @short), " sign "SUM(IF(" c ".outcome = 2 AND " c ".wait_s < @short, " c       \
         ".wait_s, 0)), " sign "SUM(" c ".outcome = 3), " sign "SUM(IF(" c ".outcome = 3, " c      \
         ".wait_s, 0)), " sign "SUM(IF(" c ".outcome = 1, " c ".talk_s, 0)), " sign "SUM(IF(" c    \
         ".outcome = 1, " c ".hold_s, 0)), " sign "SUM(IF(" c ".outcome = 1, " c                   \
         ".acw_s, 0)), " sign "SUM(" c ".outcome = 1 AND " c ".transferred = 1)"
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

/*
 * Sets @sl and @short for the tenant's rollup statements on this
 * connection.  Until contracts exist these are the METRICS.md defaults;
 * contract thresholds per month come with the metrics engine, which also
 * rebuilds a month's rollups when its thresholds change.
 */
int rollup_set_thresholds(db_t *db, uint64_t tenant_id);

/* *differences gets the number of (slot, queue) rows that disagree. */
int rollup_check(db_t *db, uint64_t tenant_id, uint64_t *differences, uint64_t *keys);

#endif
