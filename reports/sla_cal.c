/*
 * sla_cal.c - the local calendar of a period (METRICS.md "Time").
 *
 * Days come from tz_day_start() (so a skipped midnight starts the day at
 * the end of the gap), interval counts from tz_day_intervals(), labels and
 * offsets from tz_interval_of(): the 23- and 25-hour days and their 46 and
 * 50 half-hours are lib/tz's answer, not recomputed here.
 */
#include <stdlib.h>
#include <string.h>

#include "sla_int.h"
#include "status.h"
#include "xmem.h"

int64_t sla_us_to_s(int64_t us)
{
    int64_t s = us / 1000000;
    return (us % 1000000 < 0) ? s - 1 : s;
}

/* Whether an interval starting at local label "HH:MM" on weekday wday is a
 * business-hour interval. */
static bool cal_business(const sla_params_t *p, int wday, const char *label)
{
    if (!p->has_hours)
        return true;
    int minute =
        ((label[0] - '0') * 10 + (label[1] - '0')) * 60 + (label[3] - '0') * 10 + (label[4] - '0');
    const sla_hours_t *h = &p->hours[wday];
    return minute >= h->open_min && minute < h->close_min;
}

/* Appends the intervals of day di to cal (cal->iv has room for them). */
static int cal_fill_day(sla_cal_t *cal, const sla_params_t *p, size_t di, size_t mi)
{
    sla_cal_span_t *d = &cal->day[di];
    int len = p->interval_min * 60;
    int n = tz_day_intervals(p->tz, d->y, d->m, d->d, len);
    if (n < 0)
        return n;
    int wday = tz_weekday(tz_days_from_civil(d->y, d->m, d->d));
    d->iv0 = cal->niv;
    d->niv = (size_t)n;
    for (int k = 0; k < n; k++) {
        tz_interval_t t;
        int rc = tz_interval_of(p->tz, d->start + (int64_t)k * len, len, &t);
        if (rc != ST_OK)
            return rc;
        if (t.index != k || t.start_utc != d->start + (int64_t)k * len)
            return ST_ERR_INTERNAL;
        sla_cal_iv_t *iv = &cal->iv[cal->niv++];
        iv->start = t.start_utc;
        iv->end = t.end_utc;
        iv->day = (int32_t)di;
        iv->month = (int32_t)mi;
        iv->offset = t.offset;
        iv->index = k;
        memcpy(iv->label, t.label, sizeof iv->label);
        iv->business = cal_business(p, wday, t.label);
    }
    return ST_OK;
}

/* Opens month span mi for the day y-m-d (the period may start mid-month). */
static void cal_open_month(sla_cal_t *cal, size_t mi, const sla_cal_span_t *d)
{
    sla_cal_span_t *m = &cal->month[mi];
    m->y = d->y;
    m->m = d->m;
    m->d = d->d;
    m->start = d->start;
    m->iv0 = d->iv0;
}

int sla_cal_build(sla_cal_t *cal, const sla_params_t *p, const sla_period_t *pd, char *err,
                  size_t errlen)
{
    memset(cal, 0, sizeof *cal);
    if (!tz_date_valid(pd->from_y, pd->from_m, pd->from_d) ||
        !tz_date_valid(pd->to_y, pd->to_m, pd->to_d)) {
        st_errf(err, errlen, "period: invalid date");
        return ST_ERR_INVALID;
    }
    int64_t d0 = tz_days_from_civil(pd->from_y, pd->from_m, pd->from_d);
    int64_t d1 = tz_days_from_civil(pd->to_y, pd->to_m, pd->to_d);
    if (d1 < d0) {
        st_errf(err, errlen, "period: 'to' is before 'from'");
        return ST_ERR_INVALID;
    }
    if (d1 - d0 + 1 > SLA_MAX_DAYS) {
        st_errf(err, errlen, "period: longer than %d days", SLA_MAX_DAYS);
        return ST_ERR_TOO_LARGE;
    }
    size_t nday = (size_t)(d1 - d0 + 1);
    int per_day = 2 * 24 * 60 / p->interval_min; /* a day is at most 25 h; 48 h is ample */
    cal->day = xcalloc(nday, sizeof *cal->day);
    cal->month = xcalloc(nday, sizeof *cal->month);
    cal->iv = xcalloc(nday * (size_t)per_day, sizeof *cal->iv);
    for (size_t i = 0; i < nday; i++) {
        sla_cal_span_t *d = &cal->day[i];
        tz_civil_from_days(d0 + (int64_t)i, &d->y, &d->m, &d->d);
        d->start = tz_day_start(p->tz, d->y, d->m, d->d);
        d->end = tz_day_start(p->tz, d->y, d->m, d->d + 1);
        if (i == 0 || d->d == 1)
            cal->nmonth++;
        int rc = cal_fill_day(cal, p, i, cal->nmonth - 1);
        if (rc != ST_OK) {
            st_errf(err, errlen, "period: cannot build the intervals of %04d-%02d-%02d", d->y, d->m,
                    d->d);
            return rc;
        }
        if (i == 0 || d->d == 1)
            cal_open_month(cal, cal->nmonth - 1, d);
        sla_cal_span_t *m = &cal->month[cal->nmonth - 1];
        m->end = d->end;
        m->niv = cal->niv - m->iv0;
    }
    cal->nday = nday;
    cal->start = cal->day[0].start;
    cal->end = cal->day[nday - 1].end;
    return ST_OK;
}

void sla_cal_free(sla_cal_t *cal)
{
    free(cal->iv);
    free(cal->month);
    free(cal->day);
    memset(cal, 0, sizeof *cal);
}

long sla_cal_find(const sla_cal_t *cal, int64_t t)
{
    if (cal->niv == 0 || t < cal->start || t >= cal->end)
        return -1;
    size_t lo = 0, hi = cal->niv; /* iv[lo].start <= t < iv[hi].start */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->iv[mid].start <= t)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}
