/*
 * probe.h - database readiness, checked every second by a thread of its own
 * with its own connection, so `/readyz` answers on the event loop at once
 * and is never stuck behind long jobs on the workers.  probe_ready() may be
 * called from any thread.
 */
#ifndef SLT_PROBE_H
#define SLT_PROBE_H

#include <stdbool.h>

#include "config.h"

typedef struct probe probe_t;

/* Starts probing (the first check runs before this returns); cfg must outlive it. */
probe_t *probe_start(const config_t *cfg);
/* True when the last check reached the database. */
bool probe_ready(const probe_t *p);
void probe_stop(probe_t *p);

#endif
