/*
 * sched_due.h - when a scheduled monthly report falls due (issue 15).
 *
 * A schedule runs the report of period y-m (a local month) in the month
 * after it: on day N (the month's last day when N is past its end), or on
 * the N-th business day (Monday to Friday; the month's last business day
 * when there are fewer than N), at HH:MM local time in the tenant's zone.
 * The local time becomes an instant with tz_local_to_utc(): a time skipped
 * by a daylight-saving change runs at the first instant after the gap, a
 * time that occurs twice runs once, at its first occurrence.
 *
 * Everything here is pure (no I/O, no clock, no process time zone): zones
 * come in as tz_t (lib/tz.h) loaded by the caller, who keeps ownership.
 * Any thread.
 */
#ifndef SLT_SCHED_DUE_H
#define SLT_SCHED_DUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tz.h"

#define SCHED_DAY_MAX  31 /* day N: 1..31; business day N: 1..23 */
#define SCHED_BDAY_MAX 23

/* When a schedule falls due. */
typedef struct sched_when {
    int day;            /* N */
    bool business_days; /* the N-th business day instead of day N */
    int hour, min;      /* local wall-clock time, 0..23, 0..59 */
} sched_when_t;

/* A period: a local month. */
typedef struct sched_period {
    int y, m;
} sched_period_t;

/* Parses "HH:MM" (two digits each, 00:00..23:59); ST_ERR_INVALID otherwise. */
int sched_time_parse(const char *s, int *hour, int *min);
/* Parses "YYYY-MM" (1970..2199, month 01..12); ST_ERR_INVALID otherwise. */
int sched_period_parse(const char *s, sched_period_t *out);
/* Writes "YYYY-MM" into out[8]. */
void sched_period_format(sched_period_t p, char out[8]);
/* The period n months after p (n may be negative). */
sched_period_t sched_period_add(sched_period_t p, int n);
/* -1, 0 or 1 as a is before, equal to or after b. */
int sched_period_cmp(sched_period_t a, sched_period_t b);

/* ST_OK when w is a valid schedule time, else ST_ERR_INVALID with the field
 * ("day", "time") and the rule in err. */
int sched_when_check(const sched_when_t *w, char *err, size_t errlen);

/* The local date the run of period p falls on (in the month after p). */
void sched_due_date(const sched_when_t *w, sched_period_t p, int *y, int *m, int *d);
/* The instant the run of period p falls due. */
int64_t sched_due_at(const tz_t *tz, const sched_when_t *w, sched_period_t p);
/* The latest period whose run is due at or before now. */
sched_period_t sched_due_latest(const tz_t *tz, const sched_when_t *w, int64_t now);
/* The earliest period whose run falls due at or after t (the first a schedule
 * created at t runs). */
sched_period_t sched_due_first_from(const tz_t *tz, const sched_when_t *w, int64_t t);

#endif
