/* sched_due.c - when a scheduled report falls due (see sched_due.h). */
#include "sched_due.h"

#include <stdio.h>
#include <string.h>

#include "status.h"

/* Two decimal digits at s, or -1. */
static int two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

int sched_time_parse(const char *s, int *hour, int *min)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return ST_ERR_INVALID;
    int h = two_digits(s), m = two_digits(s + 3);
    if (h < 0 || h > 23 || m < 0 || m > 59)
        return ST_ERR_INVALID;
    *hour = h;
    *min = m;
    return ST_OK;
}

int sched_period_parse(const char *s, sched_period_t *out)
{
    if (!s || strlen(s) != 7 || s[4] != '-')
        return ST_ERR_INVALID;
    int hi = two_digits(s), lo = two_digits(s + 2), m = two_digits(s + 5);
    if (hi < 0 || lo < 0 || m < 1 || m > 12)
        return ST_ERR_INVALID;
    int y = hi * 100 + lo;
    if (y < 1970 || y > 2199)
        return ST_ERR_INVALID;
    out->y = y;
    out->m = m;
    return ST_OK;
}

void sched_period_format(sched_period_t p, char out[8])
{
    snprintf(out, 8, "%04d-%02d", p.y % 10000, p.m % 100);
}

sched_period_t sched_period_add(sched_period_t p, int n)
{
    int k = p.y * 12 + (p.m - 1) + n;
    return (sched_period_t){k / 12, k % 12 + 1};
}

int sched_period_cmp(sched_period_t a, sched_period_t b)
{
    int ka = a.y * 12 + a.m, kb = b.y * 12 + b.m;
    return ka < kb ? -1 : ka > kb;
}

int sched_when_check(const sched_when_t *w, char *err, size_t errlen)
{
    int max = w->business_days ? SCHED_BDAY_MAX : SCHED_DAY_MAX;
    if (w->day < 1 || w->day > max) {
        st_errf(err, errlen, "day: %s 1 to %d", w->business_days ? "a business day" : "a day", max);
        return ST_ERR_INVALID;
    }
    if (w->hour < 0 || w->hour > 23 || w->min < 0 || w->min > 59) {
        st_errf(err, errlen, "time: HH:MM from 00:00 to 23:59");
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

/* True for Monday to Friday. */
static bool is_business_day(int64_t days)
{
    int wd = tz_weekday(days);
    return wd >= 1 && wd <= 5;
}

void sched_due_date(const sched_when_t *w, sched_period_t p, int *y, int *m, int *d)
{
    sched_period_t next = sched_period_add(p, 1);
    int len = tz_days_in_month(next.y, next.m);
    int day;
    if (!w->business_days) {
        day = w->day < len ? w->day : len;
    } else {
        /* Walk the month; keep the last business day seen up to the N-th. */
        int64_t first = tz_days_from_civil(next.y, next.m, 1);
        int seen = 0;
        day = len;
        for (int i = 0; i < len; i++) {
            if (!is_business_day(first + i))
                continue;
            day = i + 1;
            if (++seen == w->day)
                break;
        }
    }
    *y = next.y;
    *m = next.m;
    *d = day;
}

int64_t sched_due_at(const tz_t *tz, const sched_when_t *w, sched_period_t p)
{
    int y, m, d;
    sched_due_date(w, p, &y, &m, &d);
    return tz_local_to_utc(tz, y, m, d, w->hour, w->min, 0);
}

sched_period_t sched_due_latest(const tz_t *tz, const sched_when_t *w, int64_t now)
{
    /* The run of period p falls due inside local month p + 1. */
    int y, m;
    tz_day_of(tz, now, &y, &m, NULL);
    sched_period_t p = sched_period_add((sched_period_t){y, m}, -1);
    return sched_due_at(tz, w, p) <= now ? p : sched_period_add(p, -1);
}

sched_period_t sched_due_first_from(const tz_t *tz, const sched_when_t *w, int64_t t)
{
    int y, m;
    tz_day_of(tz, t, &y, &m, NULL);
    sched_period_t p = sched_period_add((sched_period_t){y, m}, -1);
    return sched_due_at(tz, w, p) >= t ? p : sched_period_add(p, 1);
}
