/* rfc3339.c - RFC 3339 instants <-> epoch microseconds (see rfc3339.h). */
#include "rfc3339.h"

#include <stdio.h>

#include "status.h"

#define US_PER_S  INT64_C(1000000)
#define S_PER_DAY INT64_C(86400)

/* Days before the first of each month in a common year. */
static const int days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

/* Proleptic Gregorian leap year rule. */
static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1..12) of year y. */
static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Leap years in 1..n (n >= 0). */
static int64_t leaps_through(int64_t n)
{
    return n / 4 - n / 100 + n / 400;
}

/* Days from 1970-01-01 to 1 January of year y (y >= 1; negative before 1970). */
static int64_t days_before_year(int64_t y)
{
    return (y - 1970) * 365 + leaps_through(y - 1) - leaps_through(1969);
}

/* Reads exactly n ASCII digits at s; -1 if any is not a digit. */
static int read_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + (int)d;
    }
    return v;
}

/* Writes a parse failure reason into the caller's buffer and fails. */
static int fail(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    return ST_ERR_INVALID;
}

int rfc3339_parse(const char *s, size_t len, int64_t *us, char *err, size_t errlen)
{
    /* The fixed part "YYYY-MM-DDThh:mm:ss" is 19 bytes; the shortest offset is "Z". */
    if (len < 20)
        return fail(err, errlen, "too short for YYYY-MM-DDThh:mm:ss and an offset");
    if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
        return fail(err, errlen, "expected YYYY-MM-DDThh:mm:ss");
    if (s[10] != 'T' && s[10] != 't')
        return fail(err, errlen, "expected 'T' between date and time");
    int year = read_digits(s, 4), mon = read_digits(s + 5, 2), day = read_digits(s + 8, 2);
    int hour = read_digits(s + 11, 2), min = read_digits(s + 14, 2), sec = read_digits(s + 17, 2);
    if (year < 0 || mon < 0 || day < 0 || hour < 0 || min < 0 || sec < 0)
        return fail(err, errlen, "expected digits in YYYY-MM-DDThh:mm:ss");
    if (year < RFC3339_YEAR_MIN || year > RFC3339_YEAR_MAX)
        return fail(err, errlen, "year out of range (1970..2199)");
    if (mon < 1 || mon > 12)
        return fail(err, errlen, "month out of range");
    if (day < 1 || day > days_in_month(year, mon))
        return fail(err, errlen, "day out of range for the month");
    if (hour > 23)
        return fail(err, errlen, "hour out of range");
    if (min > 59)
        return fail(err, errlen, "minute out of range");
    if (sec == 60)
        return fail(err, errlen, "leap second (:60) is not supported");
    if (sec > 59)
        return fail(err, errlen, "second out of range");

    size_t i = 19;
    int64_t frac_us = 0;
    if (s[i] == '.') {
        size_t start = ++i;
        int64_t scale = 100000;
        while (i < len && (unsigned)(unsigned char)s[i] - '0' <= 9) {
            frac_us += scale * (s[i] - '0');
            scale /= 10; /* becomes 0 after 6 digits: the rest is truncated */
            i++;
        }
        if (i == start)
            return fail(err, errlen, "expected digits after '.'");
        if (i - start > 9)
            return fail(err, errlen, "more than 9 fractional digits");
    }
    if (i >= len)
        return fail(err, errlen, "missing offset (Z or +hh:mm)");

    int off_min = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        if (len - i < 6 || s[i + 3] != ':')
            return fail(err, errlen, "expected offset +hh:mm");
        int oh = read_digits(s + i + 1, 2), om = read_digits(s + i + 4, 2);
        if (oh < 0 || om < 0)
            return fail(err, errlen, "expected offset +hh:mm");
        if (oh > 23 || om > 59)
            return fail(err, errlen, "offset out of range");
        off_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return fail(err, errlen, "missing offset (Z or +hh:mm)");
    }
    if (i != len)
        return fail(err, errlen, "unexpected characters after the offset");

    int64_t days = days_before_year(year) + days_before_month[mon - 1] +
                   (mon > 2 && is_leap(year)) + (day - 1);
    int64_t secs = days * S_PER_DAY + hour * 3600 + min * 60 + sec - (int64_t)off_min * 60;
    *us = secs * US_PER_S + frac_us;
    return ST_OK;
}

/* Floor division for a possibly negative dividend and a positive divisor. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Writes the wall-clock time `local` (microseconds) followed by `suffix`. */
static int format_local(int64_t local, const char *suffix, char *out, size_t outlen)
{
    int64_t secs = floor_div(local, US_PER_S);
    int64_t frac = local - secs * US_PER_S;
    int64_t days = floor_div(secs, S_PER_DAY);
    int64_t sod = secs - days * S_PER_DAY;

    /* 146097 days per 400 years gives an estimate within a year; then fix it up. */
    int64_t year = 1970 + floor_div(days * 400, 146097);
    if (year < 1 || year > 9999)
        return ST_ERR_INVALID;
    while (year > 1 && days_before_year(year) > days)
        year--;
    while (year < 10000 && days_before_year(year + 1) <= days)
        year++;
    if (year > 9999 || days < days_before_year(year))
        return ST_ERR_INVALID;
    int doy = (int)(days - days_before_year(year));
    int leap = is_leap(year);
    int mon = 1;
    while (mon < 12 && doy >= days_before_month[mon] + (mon >= 2 && leap))
        mon++;
    int day = doy - days_before_month[mon - 1] - (mon > 2 && leap) + 1;

    char fracbuf[8] = "";
    if (frac != 0)
        snprintf(fracbuf, sizeof fracbuf, ".%06d", (int)frac);
    int n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", (int)year, mon, day,
                     (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), fracbuf, suffix);
    if (n < 0 || (size_t)n >= outlen)
        return ST_ERR_TOO_LARGE;
    return ST_OK;
}

/* Instants this far out are beyond year 9999 anyway; the bound keeps the
 * offset shift and the day arithmetic from overflowing. */
#define FORMAT_US_LIMIT (INT64_C(20000) * 366 * S_PER_DAY * US_PER_S)

int rfc3339_format_utc(int64_t us, char *out, size_t outlen)
{
    if (us > FORMAT_US_LIMIT || us < -FORMAT_US_LIMIT)
        return ST_ERR_INVALID;
    return format_local(us, "Z", out, outlen);
}

int rfc3339_format_offset(int64_t us, int offset_min, char *out, size_t outlen)
{
    if (offset_min < -1439 || offset_min > 1439)
        return ST_ERR_INVALID;
    if (us > FORMAT_US_LIMIT || us < -FORMAT_US_LIMIT)
        return ST_ERR_INVALID;
    int a = offset_min < 0 ? -offset_min : offset_min;
    char suffix[8];
    snprintf(suffix, sizeof suffix, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
    return format_local(us + (int64_t)offset_min * 60 * US_PER_S, suffix, out, outlen);
}
