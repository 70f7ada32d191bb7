/*
 * sched_store.h - report schedules of a tenant in the database: the PUT
 * body's validation (every refusal names its field), the schedule as the
 * API shows it (never the webhook secret), period closes, and the history
 * of runs and deliveries.
 *
 * Functions run on the caller's thread with the caller's connection; every
 * json_t they hand out is the caller's (json_decref).  Instants are epoch
 * seconds passed in by the caller (the clock, or `run-due --now`).
 */
#ifndef SLT_SCHED_STORE_H
#define SLT_SCHED_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "sched_due.h"
#include "tenant.h"
#include "unsub_token.h"

#define SSTORE_MAX_TEMPLATES  8
#define SSTORE_MAX_RECIPIENTS 100

/* A schedule as the scheduler reads it (sstore_load / sstore_enabled). */
typedef struct sstore_sched {
    uint64_t tenant_id;
    char tenant_slug[65], tenant_name[256], timezone[65];
    char name[65];
    sched_when_t when;
    sched_period_t first;
    bool enabled;
    int64_t created_at;
    json_t *spec; /* canonical JSON (owned) */
    char *secret; /* the webhook secret, or NULL (owned) */
} sstore_sched_t;

/* Releases what a sstore_sched_t owns. */
void sstore_sched_clear(sstore_sched_t *s);

/* A refusal: which field, and why. */
typedef struct sstore_err {
    char field[64];
    char message[400];
} sstore_err_t;

/* True for a schedule name: 1-64 of [a-z0-9_-], starting with a letter or digit. */
bool sstore_name_valid(const char *name);

/*
 * Creates or replaces schedule `name` from a PUT body (see docs/schedules.md),
 * with an audit entry, in one transaction.  A body whose webhook has no
 * "secret" keeps the stored one.  *created says which; *out is the schedule
 * as GET shows it.  ST_ERR_INVALID with *e filled for a bad body.
 */
int sstore_put(db_t *db, const tenant_t *t, const char *actor, const char *name, json_t *body,
               int64_t now, bool *created, json_t **out, sstore_err_t *e);
/* The schedule as the API shows it (with its next run), or ST_ERR_NOT_FOUND. */
int sstore_get(db_t *db, const tenant_t *t, const char *name, int64_t now, json_t **out);
/* Every schedule of the tenant, as sstore_get shows each, by name. */
int sstore_list(db_t *db, const tenant_t *t, int64_t now, json_t **out);
/* Deletes a schedule (its history stays), with an audit entry; ST_ERR_NOT_FOUND. */
int sstore_delete(db_t *db, const tenant_t *t, const char *actor, const char *name);

/* One schedule for the scheduler, by tenant id and name; ST_ERR_NOT_FOUND. */
int sstore_load(db_t *db, uint64_t tenant_id, const char *name, sstore_sched_t *out);
/* The enabled schedules (of one tenant when tenant_id is non-zero), into a
 * new array *out of *n (free each with sstore_sched_clear, then free()). */
int sstore_enabled(db_t *db, uint64_t tenant_id, sstore_sched_t **out, size_t *n);

/* The runs of a schedule, newest first, each with its reports. */
int sstore_runs(db_t *db, const tenant_t *t, const char *name, json_t **out);
/* The deliveries of a schedule (all when name is NULL), newest first, each
 * with its attempts. */
int sstore_deliveries(db_t *db, const tenant_t *t, const char *name, json_t **out);
/* Puts a dead (or pending) delivery back in the queue for now, with a fresh
 * set of attempts, and an audit entry.  ST_ERR_NOT_FOUND, or
 * ST_ERR_CONFLICT when it was sent or is being sent. */
int sstore_retry(db_t *db, const tenant_t *t, const char *actor, uint64_t id, int64_t now);

/*
 * Closes period (YYYY-MM) by hand: its scheduled runs need not wait for the
 * grace after its last batch.  Closing it again changes nothing.  *out:
 * {"period", "closed_at", "closed_by"}.  ST_ERR_INVALID for a bad period.
 */
int sstore_close_period(db_t *db, const tenant_t *t, const char *actor, const char *period,
                        int64_t now, json_t **out);

/* How a period's data counts as complete at present. */
typedef struct sstore_close {
    int64_t closed_at; /* when it closed, or will close */
    bool explicit_close;
    char note[255]; /* why, for the run record */
} sstore_close_t;

/* When period p of the tenant (zone timezone, loaded as tz) closes: an
 * explicit close, else grace_h hours after the last batch touching it (of
 * any kind: report_stale.h), else grace_h hours after its end. */
int sstore_period_close(db_t *db, uint64_t tenant_id, const char *timezone, const tz_t *tz,
                        sched_period_t p, long long grace_h, sstore_close_t *out);

/* The server key (srvkey.h) that signs opt-out links. */
#define SCHED_UNSUB_KEY "unsubscribe"

/* Whether a recipient stopped a schedule's e-mails (*out). */
int sstore_opted_out(db_t *db, uint64_t tenant_id, const char *schedule, const char *email,
                     bool *out);

/* An opt-out link read: who, their tenant, and whether they opted out already. */
typedef struct sstore_optout {
    unsub_who_t who;
    tenant_t tenant;
    bool already;
} sstore_optout_t;

/* Reads an opt-out token (unsub_token.h) without changing anything:
 * ST_ERR_NOT_FOUND for a link that is not ours or whose tenant is gone. */
int sstore_optout_read(db_t *db, const char *token, int64_t now, sstore_optout_t *out);
/* Records the opt-out of a token (via: "page" or "one-click"), with an
 * audit entry "schedule.optout" by "recipient:<email>"; doing it again
 * changes nothing (out->already).  Errors as sstore_optout_read(). */
int sstore_optout(db_t *db, const char *token, const char *via, int64_t now, sstore_optout_t *out);

/* An instant as RFC 3339 UTC text into out[33] ("" for 0). */
void sstore_time(int64_t t, char out[33]);

#endif
