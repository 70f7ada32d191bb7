/*
 * Unit tests for lib/rfc3339.c.  Every epoch literal below was worked by hand
 * (working shown for the first ones) and cross-checked with GNU date, an
 * independent reader: `date -u -d 2026-10-05T09:14:03+08:00 +%s`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rfc3339.h"
#include "status.h"

/* Parses a NUL-terminated literal; fails the test on an error. */
static int64_t parse_ok(const char *s)
{
    int64_t us = 0;
    char err[80] = "";
    int rc = rfc3339_parse(s, strlen(s), &us, err, sizeof err);
    if (rc != ST_OK)
        fail_msg("'%s' rejected: %s", s, err);
    return us;
}

/* Expects a rejection whose reason contains `why`. */
static void parse_bad(const char *s, const char *why)
{
    int64_t us = 12345;
    char err[80] = "";
    assert_int_equal(rfc3339_parse(s, strlen(s), &us, err, sizeof err), ST_ERR_INVALID);
    if (strstr(err, why) == NULL)
        fail_msg("'%s': reason '%s' does not mention '%s'", s, err, why);
    assert_int_equal(us, 12345); /* output untouched on failure */
}

#define S(x) ((int64_t)(x)*INT64_C(1000000))

static void test_known_instants(void **state)
{
    (void)state;
    /* 2026-10-05T01:14:03Z: 1970..2025 is 56 years = 20440 days plus 14 leap
     * days (1972..2024) = 20454; Jan..Sep 2026 = 273 days; + 4 days = 20731
     * days = 1791158400 s; + 1*3600 + 14*60 + 3 = 4443 -> 1791162843. */
    assert_int_equal(parse_ok("2026-10-05T09:14:03+08:00"), S(1791162843));
    assert_int_equal(parse_ok("2026-10-05T01:14:03Z"), S(1791162843));
    assert_int_equal(parse_ok("2026-10-05t01:14:03z"), S(1791162843));
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    /* local midnight at +08:00 is 16:00 the day before in UTC: -8 * 3600. */
    assert_int_equal(parse_ok("1970-01-01T00:00:00+08:00"), S(-28800));
    /* 2000 is a leap year (divisible by 400): 30 years = 10950 days + 7 leap
     * days (72..96) = 10957; + 31 + 28 = 59 -> 11016 days = 951782400; + 12 h. */
    assert_int_equal(parse_ok("2000-02-29T12:00:00Z"), S(951825600));
    /* 2024-03-01T04:59:59Z: 54 years = 19710 + 13 leap days = 19723; + 60 days
     * (Jan 31 + Feb 29) = 19783 days = 1709251200 s; + 4*3600+59*60+59 = 17999. */
    assert_int_equal(parse_ok("2024-02-29T23:59:59-05:00"), S(1709269199));
    assert_int_equal(parse_ok("2199-12-31T23:59:59Z"), S(7258118399));
    assert_int_equal(parse_ok("2100-03-01T00:00:00Z"), S(4107542400));
    assert_int_equal(parse_ok("1999-12-31T23:59:59Z"), S(946684799));
    assert_int_equal(parse_ok("2038-01-19T03:14:08Z"), S(2147483648));
    /* +23:59 and -23:59 are the widest offsets: 1791162843 -/+ (23*3600+59*60 = 86340) after
     * moving the +08:00 reading (28800) back: 1791162843 + 28800 - 86340 = 1791105303. */
    assert_int_equal(parse_ok("2026-10-05T09:14:03+23:59"), S(1791105303));
    assert_int_equal(parse_ok("2026-10-05T09:14:03-23:59"), S(1791277983));
    /* RFC 3339 "-00:00": offset unknown, taken as UTC. */
    assert_int_equal(parse_ok("2026-10-05T01:14:03-00:00"), S(1791162843));
    assert_int_equal(parse_ok("2026-10-05T01:14:03+00:00"), S(1791162843));
}

static void test_fractions_truncate_to_microseconds(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-10-05T01:14:03.5Z"), S(1791162843) + 500000);
    assert_int_equal(parse_ok("2026-10-05T01:14:03.123456Z"), S(1791162843) + 123456);
    /* 7..9 digits are truncated, not rounded: .1234569 -> .123456 */
    assert_int_equal(parse_ok("2026-10-05T01:14:03.1234569Z"), S(1791162843) + 123456);
    assert_int_equal(parse_ok("2026-10-05T01:14:03.999999999+08:00"),
                     S(1791162843 - 28800) + 999999);
    assert_int_equal(parse_ok("2026-10-05T01:14:03.000001Z"), S(1791162843) + 1);
    /* A fraction before 1970 UTC adds to the (negative) second count:
     * -28800 s + 0.25 s. */
    assert_int_equal(parse_ok("1970-01-01T00:00:00.25+08:00"), S(-28800) + 250000);
    parse_bad("2026-10-05T01:14:03.1234567890Z", "more than 9");
    parse_bad("2026-10-05T01:14:03.Z", "digits after '.'");
    parse_bad("2026-10-05T01:14:03,5Z", "offset");
}

static void test_rejections(void **state)
{
    (void)state;
    parse_bad("2026-10-05T09:14:03", "offset");
    parse_bad("2026-10-05T09:14:03.5", "offset");
    parse_bad("2026-10-05 09:14:03Z", "'T'");
    parse_bad("2026-10-05", "too short");
    parse_bad("", "too short");
    parse_bad("2026-13-01T00:00:00Z", "month");
    parse_bad("2026-00-01T00:00:00Z", "month");
    parse_bad("2026-02-30T00:00:00Z", "day");
    parse_bad("2026-02-29T00:00:00Z", "day"); /* 2026 is not a leap year */
    parse_bad("2100-02-29T00:00:00Z", "day"); /* divisible by 100, not by 400 */
    parse_bad("2026-04-31T00:00:00Z", "day");
    parse_bad("2026-10-00T00:00:00Z", "day");
    parse_bad("2026-10-05T24:00:00Z", "hour");
    parse_bad("2026-10-05T23:60:00Z", "minute");
    parse_bad("2026-12-31T23:59:60Z", "leap second");
    parse_bad("2026-12-31T23:59:61Z", "second");
    parse_bad("2026-10-05T09:14:03+24:00", "offset out of range");
    parse_bad("2026-10-05T09:14:03+08:60", "offset out of range");
    parse_bad("2026-10-05T09:14:03+0800", "+hh:mm");
    parse_bad("2026-10-05T09:14:03+08", "+hh:mm");
    parse_bad("2026-10-05T09:14:03+08:00 ", "after the offset");
    parse_bad(" 2026-10-05T09:14:03Z", "expected");
    parse_bad("2026-10-05T09:14:03ZZ", "after the offset");
    parse_bad("0000-01-01T00:00:00Z", "year out of range");
    parse_bad("9999-12-31T23:59:59Z", "year out of range");
    parse_bad("1969-12-31T23:59:59Z", "year out of range");
    parse_bad("2200-01-01T00:00:00Z", "year out of range");
    parse_bad("2026-1O-05T09:14:03Z", "digits");
    parse_bad("+2026-10-05T09:14:03Z", "expected");
    parse_bad("2026-10-05T09:14:03+8:00", "+hh:mm");
    parse_bad("2026-10-05T09:14:03+08:0x", "+hh:mm");
}

static void test_parse_does_not_read_past_len(void **state)
{
    (void)state;
    /* The bytes after len would make a valid instant; they must not be seen. */
    const char *s = "2026-10-05T09:14:03+08:00";
    int64_t us = 0;
    assert_int_equal(rfc3339_parse(s, 19, &us, NULL, 0), ST_ERR_INVALID);
    assert_int_equal(rfc3339_parse(s, 24, &us, NULL, 0), ST_ERR_INVALID);
    assert_int_equal(rfc3339_parse(s, 25, &us, NULL, 0), ST_OK);
    assert_int_equal(us, S(1791162843));
}

static void test_format(void **state)
{
    (void)state;
    char out[RFC3339_BUFLEN];
    assert_int_equal(rfc3339_format_utc(S(1791162843), out, sizeof out), ST_OK);
    assert_string_equal(out, "2026-10-05T01:14:03Z");
    assert_int_equal(rfc3339_format_utc(S(1791162843) + 5, out, sizeof out), ST_OK);
    assert_string_equal(out, "2026-10-05T01:14:03.000005Z");
    assert_int_equal(rfc3339_format_utc(0, out, sizeof out), ST_OK);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    /* -1 us is the last microsecond of 1969. */
    assert_int_equal(rfc3339_format_utc(-1, out, sizeof out), ST_OK);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
    assert_int_equal(rfc3339_format_utc(S(951825600), out, sizeof out), ST_OK);
    assert_string_equal(out, "2000-02-29T12:00:00Z");
    assert_int_equal(rfc3339_format_utc(S(4107542400), out, sizeof out), ST_OK);
    assert_string_equal(out, "2100-03-01T00:00:00Z");
    assert_int_equal(rfc3339_format_utc(S(7258118399), out, sizeof out), ST_OK);
    assert_string_equal(out, "2199-12-31T23:59:59Z");
    assert_int_equal(rfc3339_format_utc(S(946684799), out, sizeof out), ST_OK);
    assert_string_equal(out, "1999-12-31T23:59:59Z");
    /* 2024-12-31 is day 366 of a leap year: 1735603200 = 20088 days (1970..2024
     * = 54*365 + 13) + 365 days. */
    assert_int_equal(rfc3339_format_utc(S(1735603200), out, sizeof out), ST_OK);
    assert_string_equal(out, "2024-12-31T00:00:00Z");

    assert_int_equal(rfc3339_format_offset(S(1791162843), 480, out, sizeof out), ST_OK);
    assert_string_equal(out, "2026-10-05T09:14:03+08:00");
    assert_int_equal(rfc3339_format_offset(S(1791162843), -570, out, sizeof out), ST_OK);
    assert_string_equal(out, "2026-10-04T15:44:03-09:30");
    assert_int_equal(rfc3339_format_offset(S(1791162843) + 123456, 0, out, sizeof out), ST_OK);
    assert_string_equal(out, "2026-10-05T01:14:03.123456+00:00");
    assert_int_equal(rfc3339_format_offset(S(-28800), 480, out, sizeof out), ST_OK);
    assert_string_equal(out, "1970-01-01T00:00:00+08:00");
    assert_int_equal(rfc3339_format_offset(0, 1440, out, sizeof out), ST_ERR_INVALID);
    assert_int_equal(rfc3339_format_offset(0, -1440, out, sizeof out), ST_ERR_INVALID);

    /* Too small a buffer, and instants outside 0001..9999. */
    assert_int_equal(rfc3339_format_utc(0, out, 20), ST_ERR_TOO_LARGE);
    assert_int_equal(rfc3339_format_utc(0, out, 21), ST_OK);
    assert_int_equal(rfc3339_format_utc(INT64_MAX, out, sizeof out), ST_ERR_INVALID);
    assert_int_equal(rfc3339_format_utc(INT64_MIN, out, sizeof out), ST_ERR_INVALID);
    /* 253402300800 s is 10000-01-01T00:00:00Z (date -u -d 9999-12-31T23:59:59Z
     * +%s = 253402300799); one second earlier still formats. */
    assert_int_equal(rfc3339_format_utc(S(253402300800), out, sizeof out), ST_ERR_INVALID);
    assert_int_equal(rfc3339_format_utc(S(253402300799), out, sizeof out), ST_OK);
    assert_string_equal(out, "9999-12-31T23:59:59Z");
    /* -62135596800 s is 0001-01-01T00:00:00Z (date -u -d 0001-01-01T00:00:00Z +%s). */
    assert_int_equal(rfc3339_format_utc(S(-62135596800), out, sizeof out), ST_OK);
    assert_string_equal(out, "0001-01-01T00:00:00Z");
    assert_int_equal(rfc3339_format_utc(S(-62135596801), out, sizeof out), ST_ERR_INVALID);
}

/* Every second-of-day boundary and day of a leap and a common year goes
 * through format and back: checks consistency, not values (those are above). */
static void test_round_trip(void **state)
{
    (void)state;
    char out[RFC3339_BUFLEN];
    /* 2024-01-01T00:00:00Z = 1704067200 (date -u -d 2024-01-01T00:00:00Z +%s). */
    for (int64_t d = 0; d < 731; d++) {
        int64_t us = S(1704067200) + S(d * 86400) + S(d * 37 % 86400) + d * 13;
        assert_int_equal(rfc3339_format_offset(us, (int)(d % 2879) - 1439, out, sizeof out), ST_OK);
        int64_t back = 0;
        assert_int_equal(rfc3339_parse(out, strlen(out), &back, NULL, 0), ST_OK);
        assert_int_equal(back, us);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_fractions_truncate_to_microseconds),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_parse_does_not_read_past_len),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
