/*
 * tz.h - IANA time zones read from compiled TZif files, without the process
 * time zone.
 *
 * slattest computes days, months and intervals local to each contract's zone
 * from many threads at once, so it never touches TZ, tzset or the C library's
 * local-time functions.  This module reads TZif files (RFC 8536, version 2
 * or later, 64-bit data) itself and evaluates the POSIX TZ rule in the
 * footer for instants after the last transition of the table (Debian may
 * ship "slim" files where current years exist only in that rule).
 *
 * Ownership: tz_load*() and tz_parse() return a tz_t owned by the caller and
 * released with tz_free().  A tz_t is immutable after loading: every other
 * function only reads it, so one tz_t may be shared by any number of threads
 * without locking.  Nothing here has global state.
 *
 * Range: instants are int64 seconds since 1970-01-01T00:00:00Z (POSIX time,
 * no leap seconds).  Answers are meaningful for [TZ_UTC_MIN, TZ_UTC_MAX]
 * (years 1..9999); instants and local times far outside are clamped to about
 * that range, so no input can overflow.
 *
 * Days, months, intervals (METRICS.md "Time"): a local day is
 * [tz_day_start(d), tz_day_start(d + 1)); where local midnight does not
 * exist the day starts at the first instant after the gap.  Intervals count
 * elapsed time from the day start (see tz_interval_of()).
 */
#ifndef SLT_TZ_H
#define SLT_TZ_H

#include <stddef.h>
#include <stdint.h>

#define TZ_DIR      "/usr/share/zoneinfo"
#define TZ_NAME_MAX 64
#define TZ_UTC_MIN  INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define TZ_UTC_MAX  INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

typedef struct tz tz_t;

/* A local wall-clock time and the offset that produced it. */
typedef struct tz_civil {
    int year, month, day; /* month 1..12, day 1..31 */
    int hour, min, sec;   /* 0..23, 0..59, 0..59 */
    int wday;             /* 0 = Sunday .. 6 = Saturday */
    int32_t offset;       /* seconds east of UTC */
} tz_civil_t;

/* One interval of a local day (see tz_interval_of()). */
typedef struct tz_interval {
    int year, month, day; /* the local day the interval belongs to */
    int index;            /* 0-based position in that day */
    int64_t start_utc;    /* first instant of the interval */
    int64_t end_utc;      /* first instant after it (shorter at the day's end) */
    int32_t offset;       /* UTC offset at start_utc, to tell repeated labels apart */
    char label[6];        /* local wall clock of start_utc, "HH:MM" */
} tz_interval_t;

/* --- Calendar helpers (proleptic Gregorian, pure, thread-safe) ----------- */

/* Days since 1970-01-01 of the date y-m-d (negative before).  Months
 * outside 1..12 carry into the year (month 13 is next January) and d is
 * added arithmetically (day 0 is the last of the month before). */
int64_t tz_days_from_civil(int y, int m, int d);
/* The date of a day count from tz_days_from_civil().  Any output pointer may
 * be NULL.  Counts beyond about +-2 billion years are clamped. */
void tz_civil_from_days(int64_t days, int *y, int *m, int *d);
/* Weekday of a day count: 0 = Sunday .. 6 = Saturday. */
int tz_weekday(int64_t days);
/* 1 for a leap year, else 0. */
int tz_is_leap(int y);
/* Days in month m (1..12) of year y; 0 when m is out of range. */
int tz_days_in_month(int y, int m);
/* 1 when y-m-d is a real date with 1 <= y <= 9999, else 0. */
int tz_date_valid(int y, int m, int d);

/* --- Loading ------------------------------------------------------------- */

/* 1 when name is a safe zone name: segments of [A-Za-z0-9_+-] separated by
 * single '/', no leading or trailing '/', 1..TZ_NAME_MAX bytes.  ("..",
 * "/etc" and empty names fail.)  Does not check the zone exists.  Pure. */
int tz_name_valid(const char *name);

/* Parses a TZif file image (RFC 8536 v2+).  Pure: no I/O; data is not kept.
 * On success *out is a new tz_t the caller frees with tz_free().  Errors:
 * ST_ERR_INVALID (malformed, version 1 only, leap-second "right/" data,
 * unsupported footer) with a reason in err.  Thread-safe. */
int tz_parse(const uint8_t *data, size_t len, tz_t **out, char *err, size_t errlen);

/* Reads dir/name (following symbolic links: aliases such as US/Eastern are
 * links) and parses it.  name must pass tz_name_valid() (else
 * ST_ERR_INVALID).  ST_ERR_NOT_FOUND for an unknown zone, ST_ERR_IO or
 * ST_ERR_TOO_LARGE for unreadable or oversized files, or a tz_parse() error.
 * Arguments are not kept.  Thread-safe (blocking file I/O). */
int tz_load_dir(const char *dir, const char *name, tz_t **out, char *err, size_t errlen);
/* tz_load_dir(TZ_DIR, name, ...). */
int tz_load(const char *name, tz_t **out, char *err, size_t errlen);

/* Releases a tz_t.  tz_free(NULL) does nothing. */
void tz_free(tz_t *tz);

/* --- Conversions (read-only on tz: any thread) --------------------------- */

/* Offset from UTC, in seconds east, in force at utc_s. */
int32_t tz_offset_at(const tz_t *tz, int64_t utc_s);

/* The local wall-clock time at utc_s. */
void tz_to_local(const tz_t *tz, int64_t utc_s, tz_civil_t *out);

/* The first instant whose local time is at or after the local time
 * y-m-d h:mi:s.  So a time that exists once maps to that instant; a repeated
 * (fall-back) time maps to its earlier instant; a skipped (spring-forward)
 * time maps to the instant the gap ends.  The fields combine arithmetically
 * as in tz_days_from_civil(): mo = 13 is next January, d = 32 or h = 24 runs
 * into the next day. */
int64_t tz_local_to_utc(const tz_t *tz, int y, int mo, int d, int h, int mi, int s);

/* First instant of the local day y-m-d (local midnight, or the end of the
 * gap when midnight is skipped).  The next day is tz_day_start(y, mo, d + 1)
 * even at a month's end. */
int64_t tz_day_start(const tz_t *tz, int y, int mo, int d);
/* First instant of local month y-mo: tz_day_start(tz, y, mo, 1).  The month
 * is [tz_month_start(y, mo), tz_month_start(y, mo + 1)), also for mo = 12. */
int64_t tz_month_start(const tz_t *tz, int y, int mo);
/* The local day [tz_day_start(d), tz_day_start(d + 1)) containing utc_s.
 * Any output pointer may be NULL. */
void tz_day_of(const tz_t *tz, int64_t utc_s, int *y, int *mo, int *d);

/* Number of intervals of len_s seconds (900, 1800 or 3600) in local day
 * y-m-d: the day's length divided by len_s, rounded up.  ST_ERR_INVALID for
 * another length or an invalid date. */
int tz_day_intervals(const tz_t *tz, int y, int mo, int d, int len_s);

/* The interval of len_s seconds (900, 1800 or 3600) containing utc_s:
 * interval k of a day is [start + k*len_s, min(start + (k+1)*len_s, next
 * day start)).  Fills *out; ST_ERR_INVALID for another length. */
int tz_interval_of(const tz_t *tz, int64_t utc_s, int len_s, tz_interval_t *out);

#endif
