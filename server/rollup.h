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

/* *differences gets the number of (slot, queue, outcome, wait) keys that disagree. */
int rollup_check(db_t *db, uint64_t tenant_id, uint64_t *differences, uint64_t *keys);

#endif
