/*
 * heartbeat.h - keeps a running report job's heartbeat fresh while it
 * builds, so no other instance takes a live job over however long one step
 * of the build takes.
 *
 * A thread with its own database connection (the builder's is busy) stamps
 * reports.heartbeat_at every `every_ms` milliseconds while the job is still
 * running and still this worker's.  A server that dies stops beating; after
 * [reports] stale_s another instance claims the job (report_store.h).
 * heartbeat_start() and heartbeat_stop() are called by the builder's
 * thread; the heartbeat owns its thread and connection.
 */
#ifndef SLT_HEARTBEAT_H
#define SLT_HEARTBEAT_H

#include <stdint.h>

#include "config.h"

typedef struct heartbeat heartbeat_t;

/*
 * A heartbeat thread for worker `who` (copied) that beats the job it is
 * told to watch, every every_ms.  A thread inherits its creator's
 * priority: a job runner that runs its builds at a lower priority
 * (threadprio.h) creates its heartbeat first, so the beat is not starved
 * with the build on a busy machine.  Never fails (see heartbeat_start).
 * Free it with heartbeat_free().
 */
heartbeat_t *heartbeat_new(const config_t *cfg, const char *who, int every_ms);
/* Beats report id of tenant tenant_id from now on (at once, then every every_ms). */
void heartbeat_watch(heartbeat_t *hb, uint64_t tenant_id, uint64_t id);
/* Stops beating any job; the thread waits for the next. */
void heartbeat_unwatch(heartbeat_t *hb);
/* Stops the thread, closes its connection and frees hb; NULL does nothing. */
void heartbeat_free(heartbeat_t *hb);

/*
 * heartbeat_new() and heartbeat_watch() at once: beats report id of tenant
 * tenant_id claimed by `who` (copied).  Never fails: without a connection
 * or a thread it logs a warning and the job relies on its progress updates
 * alone.  Stop it with heartbeat_stop() (= heartbeat_free()).
 */
heartbeat_t *heartbeat_start(const config_t *cfg, uint64_t tenant_id, uint64_t id, const char *who,
                             int every_ms);

/* Stops the thread, closes its connection and frees hb; NULL does nothing. */
void heartbeat_stop(heartbeat_t *hb);

#endif
