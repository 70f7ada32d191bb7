/*
 * rfc3339.h - RFC 3339 instants <-> microseconds since the Unix epoch (UTC).
 *
 * slattest stores every instant in UTC (METRICS.md "Time"), and every input
 * instant must carry its offset.  This module owns no state: the caller owns
 * every buffer it passes.  All functions are pure and thread-safe.
 *
 * Accepted syntax (RFC 3339 section 5.6, "date-time"), nothing else:
 *
 *     YYYY-MM-DD ( "T" / "t" ) hh:mm:ss [ "." 1*9DIGIT ] ( "Z" / "z" / ("+" / "-") hh:mm )
 *
 * Choices, each tested in tests/unit/test_rfc3339.c:
 * - The offset is required; "2026-10-05T09:14:03" is rejected (an instant
 *   without an offset is ambiguous).  "-00:00" (RFC 3339 "offset unknown")
 *   is accepted and means UTC.  An offset beyond +-23:59 is rejected.
 * - A space instead of "T" (RFC 3339 allows it only "for readability" in a
 *   note) is rejected, as are ISO 8601 variants (basic format, week dates,
 *   "+0800", "+08", comma decimals).
 * - Fractions of up to 9 digits are accepted and truncated (not rounded) to
 *   microseconds; 10 or more digits are rejected.
 * - A leap second (ss = 60) is rejected: the store is POSIX time, which has
 *   no leap seconds, and contact centre switches do not emit them.
 * - The written year must be within 1970..2199 (RFC3339_YEAR_MIN/MAX): year
 *   0 and 9999 are "year out of range".  The check is on the year as
 *   written, so "1970-01-01T00:00:00+08:00" is accepted and gives a negative
 *   value (-28800 s).
 */
#ifndef SLT_RFC3339_H
#define SLT_RFC3339_H

#include <stddef.h>
#include <stdint.h>

#define RFC3339_YEAR_MIN 1970
#define RFC3339_YEAR_MAX 2199
/* Room for the longest formatted instant, "2026-10-05T09:14:03.123456+08:00" + NUL. */
#define RFC3339_BUFLEN 33

/* Parses len bytes at s (no NUL needed) into microseconds since the epoch,
 * UTC, stored in *us.  Returns ST_OK, or ST_ERR_INVALID with a short reason
 * written to err (caller-owned, may be NULL when errlen is 0).  Any thread. */
int rfc3339_parse(const char *s, size_t len, int64_t *us, char *err, size_t errlen);

/* Writes `us` as "YYYY-MM-DDThh:mm:ss[.ffffff]Z" into out (caller-owned,
 * RFC3339_BUFLEN bytes suffice).  The fraction is printed, as 6 digits, only
 * when it is not zero.  Returns ST_OK, ST_ERR_TOO_LARGE when outlen is too
 * small, or ST_ERR_INVALID when the year falls outside 0001..9999.  Any
 * thread. */
int rfc3339_format_utc(int64_t us, char *out, size_t outlen);

/* As rfc3339_format_utc but in local time at a fixed offset of
 * `offset_min` minutes east of UTC (-1439..1439), written "+hh:mm" or
 * "-hh:mm" ("+00:00" for 0).  ST_ERR_INVALID for an offset out of range. */
int rfc3339_format_offset(int64_t us, int offset_min, char *out, size_t outlen);

#endif
