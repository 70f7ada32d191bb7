/*
 * Unit tests for lib/tz.c: calendar helpers, TZif and footer parsing, day,
 * month and interval boundaries around DST changes.
 *
 * Expected instants are worked by hand from day counts.  The day counts
 * used throughout (each also checked with `date -u -d DATE +%s` while
 * writing this file):
 *   2026-01-01: 56 years after 1970 with 14 leap days (1972..2024)
 *               -> 56*365 + 14 = 20454 days -> 1767225600
 *   2026-03-08 = Jan 1 + 31 + 28 + 7  = day 20520 -> 1772928000 (a Sunday)
 *   2026-03-29 = Jan 1 + 59 + 28      = day 20541 -> 1774742400
 *   2026-04-04 = Jan 1 + 90 + 3       = day 20547 -> 1775260800
 *   2026-09-06 = Jan 1 + 243 + 5      = day 20702 -> 1788652800
 *   2026-10-01 = Jan 1 + 273          = day 20727 -> 1790812800
 *   2026-10-24 = Jan 1 + 273 + 23     = day 20750 -> 1792800000
 *   2026-10-25                        = day 20751 -> 1792886400
 *   2026-11-01 = Jan 1 + 304          = day 20758 -> 1793491200
 *   2018-11-04: 48 years, 12 leap days -> 17532 + 307 = 17839 -> 1541289600
 *   2100-01-01: 130 years, 32 leap days (1972..2096) -> 47482, a Friday
 *               ((47482 + 4) % 7 = 5); Mar 1 = 47482 + 59 = 47541, a Monday.
 *
 * The zdump cross-checks run the system's zdump (glibc's reader of the same
 * files, in its own process) and compare every transition it lists for
 * 1970..2100 in 24 zones, once on the system's files and once on "slim"
 * files compiled with zic from the system's tzdata.zi, where every year
 * after the last rule change comes from the footer.  They skip when zdump
 * or zic is missing.  This file never uses the C library's local-time
 * functions itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "status.h"
#include "tz.h"

/* Loads a system zone or fails the test. */
static tz_t *load(const char *name)
{
    tz_t *tz = NULL;
    char err[200] = "";
    int rc = tz_load(name, &tz, err, sizeof err);
    if (rc != ST_OK)
        fail_msg("tz_load(%s): %s", name, err);
    return tz;
}

/*
 * Builds a minimal TZif v2 image with no transitions, one time type of
 * utoff seconds and the given footer, so the footer rule alone decides.
 * Returns the length written into buf.
 */
static size_t make_tzif(uint8_t *buf, char version, int32_t utoff, const char *footer)
{
    size_t n = 0;
    for (int part = 0; part < 2; part++) {
        memcpy(buf + n, "TZif", 4);
        buf[n + 4] = (uint8_t)version;
        memset(buf + n + 5, 0, 39);
        buf[n + 39] = 1; /* typecnt = 1 */
        buf[n + 43] = 4; /* charcnt = 4 */
        n += 44;
        uint32_t u = (uint32_t)utoff;
        uint8_t type[6] = {u >> 24, (u >> 16) & 255, (u >> 8) & 255, u & 255, 0, 0};
        memcpy(buf + n, type, 6);
        memcpy(buf + n + 6, "XXX", 4);
        n += 10;
    }
    n += (size_t)snprintf((char *)buf + n, 300, "\n%s\n", footer);
    return n;
}

/* Parses a footer-only zone or fails the test. */
static tz_t *footer_zone(int32_t utoff, const char *footer)
{
    uint8_t buf[512];
    char err[200] = "";
    tz_t *tz = NULL;
    size_t len = make_tzif(buf, '2', utoff, footer);
    if (tz_parse(buf, len, &tz, err, sizeof err) != ST_OK)
        fail_msg("footer \"%s\": %s", footer, err);
    return tz;
}

static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(tz_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(tz_days_from_civil(1969, 12, 31), -1);
    /* 2000-01-01 is 946684800 / 86400 = 10957; + 31 + 29 (leap) = 11017. */
    assert_int_equal(tz_days_from_civil(2000, 3, 1), 11017);
    /* TZ_UTC_MIN / 86400 = -62135596800 / 86400 = -719162. */
    assert_int_equal(tz_days_from_civil(1, 1, 1), -719162);
    /* (TZ_UTC_MAX + 1) / 86400 = 253402300800 / 86400 = 2932897, minus 1. */
    assert_int_equal(tz_days_from_civil(9999, 12, 31), 2932896);
    assert_int_equal(tz_days_from_civil(2026, 3, 8), 20520);
    assert_int_equal(tz_days_from_civil(2100, 1, 1), 47482);
    /* Month 13 and month 0 carry into the year; days add arithmetically. */
    assert_int_equal(tz_days_from_civil(2026, 13, 1), tz_days_from_civil(2027, 1, 1));
    assert_int_equal(tz_days_from_civil(2026, 0, 1), tz_days_from_civil(2025, 12, 1));
    assert_int_equal(tz_days_from_civil(2026, 2, 29), tz_days_from_civil(2026, 3, 1));

    int y, m, d;
    tz_civil_from_days(11017, &y, &m, &d);
    assert_true(y == 2000 && m == 3 && d == 1);
    tz_civil_from_days(-719162, &y, &m, &d);
    assert_true(y == 1 && m == 1 && d == 1);
    tz_civil_from_days(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);

    assert_int_equal(tz_weekday(0), 4);     /* 1970-01-01 was a Thursday */
    assert_int_equal(tz_weekday(20520), 0); /* 2026-03-08 a Sunday */
    assert_int_equal(tz_weekday(-1), 3);    /* 1969-12-31 a Wednesday */
    assert_int_equal(tz_weekday(47541), 1); /* 2100-03-01 a Monday */

    assert_int_equal(tz_days_in_month(2024, 2), 29);
    assert_int_equal(tz_days_in_month(2100, 2), 28);
    assert_int_equal(tz_days_in_month(2000, 2), 29);
    assert_int_equal(tz_days_in_month(2026, 4), 30);
    assert_int_equal(tz_days_in_month(2026, 13), 0);
    assert_true(tz_date_valid(2024, 2, 29));
    assert_false(tz_date_valid(2026, 2, 29));
    assert_false(tz_date_valid(0, 1, 1));
    assert_false(tz_date_valid(10000, 1, 1));
    assert_false(tz_date_valid(2026, 13, 1));
    assert_false(tz_date_valid(2026, 4, 31));

    /* Walking day by day from year 1 to 9999, each date follows the last. */
    int py = 0, pm = 12, pd = 31;
    for (int64_t day = -719162; day <= 2932896; day++) {
        tz_civil_from_days(day, &y, &m, &d);
        int next_ok = (y == py && m == pm && d == pd + 1) ||
                      (y == py && m == pm + 1 && d == 1 && pd == tz_days_in_month(py, pm)) ||
                      (y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31);
        if (!next_ok || tz_days_from_civil(y, m, d) != day)
            fail_msg("day %lld -> %d-%d-%d after %d-%d-%d", (long long)day, y, m, d, py, pm, pd);
        py = y, pm = m, pd = d;
    }
}

static void test_name_valid(void **state)
{
    (void)state;
    assert_true(tz_name_valid("America/New_York"));
    assert_true(tz_name_valid("Etc/GMT+5"));
    assert_true(tz_name_valid("America/Argentina/Buenos_Aires"));
    assert_true(tz_name_valid("UTC"));
    assert_false(tz_name_valid("../etc/passwd"));
    assert_false(tz_name_valid("America/../../etc/passwd"));
    assert_false(tz_name_valid("/etc"));
    assert_false(tz_name_valid(""));
    assert_false(tz_name_valid(NULL));
    assert_false(tz_name_valid("America/"));
    assert_false(tz_name_valid("America//New_York"));
    assert_false(tz_name_valid("zone.tab"));
    assert_false(tz_name_valid("Asia/Shang hai"));
    char name[80];
    memset(name, 'a', 64);
    name[64] = '\0';
    assert_true(tz_name_valid(name)); /* exactly 64 */
    name[64] = 'a';
    name[65] = '\0';
    assert_false(tz_name_valid(name));
}

static void test_load_errors(void **state)
{
    (void)state;
    tz_t *tz = (tz_t *)1;
    char err[200];
    assert_int_equal(tz_load("../etc/passwd", &tz, err, sizeof err), ST_ERR_INVALID);
    assert_null(tz);
    assert_int_equal(tz_load("No/Such_Zone", &tz, err, sizeof err), ST_ERR_NOT_FOUND);
    assert_int_equal(tz_load("America", &tz, err, sizeof err), ST_ERR_NOT_FOUND);
    assert_int_equal(tz_load_dir("/nonexistent-dir", "UTC", &tz, err, sizeof err),
                     ST_ERR_NOT_FOUND);
    /* A text file inside the zone directory is not TZif. */
    if (access(TZ_DIR "/leapseconds", R_OK) == 0) {
        assert_int_equal(tz_load("leapseconds", &tz, err, sizeof err), ST_ERR_INVALID);
        assert_non_null(strstr(err, "not a TZif"));
    }
    /* right/ zones count leap seconds, which POSIX time does not. */
    if (access(TZ_DIR "/right/UTC", R_OK) == 0) {
        assert_int_equal(tz_load("right/UTC", &tz, err, sizeof err), ST_ERR_INVALID);
        assert_non_null(strstr(err, "leap"));
    }
    assert_null(tz);
    tz_free(NULL);
}

/* Reads a whole file into a new buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *data = malloc(65536);
    assert_non_null(data);
    *len = fread(data, 1, 65536, f);
    fclose(f);
    return data;
}

static void test_parse_rejects(void **state)
{
    (void)state;
    tz_t *tz = NULL;
    char err[200];
    size_t len;
    uint8_t *data = slurp(TZ_DIR "/America/New_York", &len);

    /* The whole file parses; every proper prefix is an error. */
    assert_int_equal(tz_parse(data, len, &tz, err, sizeof err), ST_OK);
    tz_free(tz);
    for (size_t n = 0; n < len; n++) {
        if (tz_parse(data, n, &tz, err, sizeof err) != ST_ERR_INVALID)
            fail_msg("prefix of %zu bytes accepted", n);
        assert_null(tz);
    }
    /* Flipped bytes: errors or a zone, never a crash (ASan watches). */
    uint32_t seed = 12345;
    for (int i = 0; i < 3000; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, data, len);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % len] ^= (uint8_t)(1u << (seed % 8));
        }
        if (tz_parse(copy, len, &tz, err, sizeof err) == ST_OK) {
            tz_civil_t c;
            tz_to_local(tz, 1793505600, &c);
            (void)tz_day_intervals(tz, 2026, 11, 1, 1800);
            tz_free(tz);
        }
        free(copy);
    }
    free(data);

    uint8_t buf[512];
    assert_int_equal(tz_parse((const uint8_t *)"garbage", 7, &tz, err, sizeof err), ST_ERR_INVALID);
    /* Version 1 files have only 32-bit data: rejected by name. */
    len = make_tzif(buf, '\0', 0, "UTC0");
    assert_int_equal(tz_parse(buf, len, &tz, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "version 1"));
    /* Footers we must not guess at or that break POSIX limits. */
    static const char *bad[] = {
        "EST5EDT",                    /* DST without dates */
        "EST",                        /* no offset */
        "E5",                         /* abbreviation under 3 letters */
        "<AB>5",                      /* same, quoted */
        "EST25",                      /* hour > 24 */
        "EST5:60",                    /* minute > 59 */
        "EST5EDT,M13.1.0,M11.1.0",    /* month 13 */
        "EST5EDT,M3.6.0,M11.1.0",     /* week 6 */
        "EST5EDT,M3.2.7,M11.1.0",     /* weekday 7 */
        "EST5EDT,M3.2.0/168,M11.1.0", /* time beyond 167 h */
        "EST5EDT,J0,J100",            /* Julian days start at 1 */
        "EST5EDT,366,100",            /* zero-based days end at 365 */
        "EST5EDT,M3.2.0,M11.1.0x",    /* trailing junk */
        "EST5EDT,M3.2.0",             /* no end date */
        "<-03",                       /* unterminated */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        len = make_tzif(buf, '2', 0, bad[i]);
        if (tz_parse(buf, len, &tz, err, sizeof err) != ST_ERR_INVALID)
            fail_msg("footer \"%s\" accepted", bad[i]);
    }
}

static void test_new_york(void **state)
{
    (void)state;
    tz_t *tz = load("America/New_York");
    tz_civil_t c;
    tz_interval_t iv;

    /* 2026-03-08 00:00 EST (-5) = 1772928000 + 5 h = 1772946000 (05:00Z).
     * DST starts 02:00 EST = 07:00Z = 1772953200.
     * 2026-03-09 00:00 EDT (-4) = 1772928000 + 86400 + 4 h = 1773028800.
     * 1773028800 - 1772946000 = 82800 = 23 h. */
    assert_int_equal(tz_day_start(tz, 2026, 3, 8), 1772946000);
    assert_int_equal(tz_day_start(tz, 2026, 3, 9), 1773028800);
    assert_int_equal(tz_offset_at(tz, 1772953199), -18000);
    assert_int_equal(tz_offset_at(tz, 1772953200), -14400);
    tz_to_local(tz, 1772953200, &c);
    assert_true(c.year == 2026 && c.month == 3 && c.day == 8 && c.hour == 3 && c.min == 0 &&
                c.sec == 0 && c.wday == 0 && c.offset == -14400);
    tz_to_local(tz, 1772953199, &c);
    assert_true(c.hour == 1 && c.min == 59 && c.sec == 59 && c.offset == -18000);

    /* 02:30 does not exist: it maps to the end of the gap, 07:00Z. */
    assert_int_equal(tz_local_to_utc(tz, 2026, 3, 8, 2, 30, 0), 1772953200);
    assert_int_equal(tz_local_to_utc(tz, 2026, 3, 8, 1, 59, 59), 1772953199);
    assert_int_equal(tz_local_to_utc(tz, 2026, 3, 8, 3, 0, 0), 1772953200);

    /* 2026-11-01 00:00 EDT = 1793491200 + 4 h = 1793505600 (= month start);
     * 2026-11-02 00:00 EST = 1793491200 + 86400 + 5 h = 1793595600;
     * difference 90000 = 25 h.  Clocks go back at 06:00Z = 1793512800. */
    assert_int_equal(tz_month_start(tz, 2026, 11), 1793505600);
    assert_int_equal(tz_day_start(tz, 2026, 11, 2), 1793595600);
    /* 01:30 happens twice: 05:30Z EDT and 06:30Z EST; the earlier wins.
     * 1793491200 + 5.5 h = 1793511000. */
    assert_int_equal(tz_local_to_utc(tz, 2026, 11, 1, 1, 30, 0), 1793511000);
    /* 02:00 EST = 07:00Z = 1793491200 + 25200 = 1793516400. */
    assert_int_equal(tz_local_to_utc(tz, 2026, 11, 1, 2, 0, 0), 1793516400);

    /* 23, 24 and 25 hours in 15-, 30- and 60-minute intervals. */
    assert_int_equal(tz_day_intervals(tz, 2026, 3, 8, 1800), 46);
    assert_int_equal(tz_day_intervals(tz, 2026, 3, 9, 1800), 48);
    assert_int_equal(tz_day_intervals(tz, 2026, 11, 1, 1800), 50);
    assert_int_equal(tz_day_intervals(tz, 2026, 3, 8, 900), 92);
    assert_int_equal(tz_day_intervals(tz, 2026, 11, 1, 3600), 25);
    assert_int_equal(tz_day_intervals(tz, 2026, 11, 1, 600), ST_ERR_INVALID);
    assert_int_equal(tz_day_intervals(tz, 2026, 2, 30, 1800), ST_ERR_INVALID);

    /* Around the gap: 06:59:59Z is 01:59:59 EST, interval 3 (01:30), which
     * started 05:00Z + 3 * 1800 = 1772951400; 07:00Z is interval 4, 03:00. */
    assert_int_equal(tz_interval_of(tz, 1772953199, 1800, &iv), ST_OK);
    assert_true(iv.year == 2026 && iv.month == 3 && iv.day == 8 && iv.index == 3);
    assert_string_equal(iv.label, "01:30");
    assert_int_equal(iv.start_utc, 1772951400);
    assert_int_equal(iv.end_utc, 1772953200);
    assert_int_equal(iv.offset, -18000);
    assert_int_equal(tz_interval_of(tz, 1772953200, 1800, &iv), ST_OK);
    assert_int_equal(iv.index, 4);
    assert_string_equal(iv.label, "03:00");
    assert_int_equal(iv.offset, -14400);

    /* Fall back (day start 04:00Z): 05:15Z = 01:15 EDT -> interval 2 "01:00"
     * (-4) starting 05:00Z = 1793491200 + 18000 = 1793509200; 06:15Z = 01:15
     * EST -> interval 4 "01:00" (-5) starting 06:00Z = 1793512800; 06:45Z is
     * interval 5 "01:30". */
    assert_int_equal(tz_interval_of(tz, 1793491200 + 5 * 3600 + 900, 1800, &iv), ST_OK);
    assert_true(iv.index == 2 && iv.offset == -14400 && iv.start_utc == 1793509200);
    assert_string_equal(iv.label, "01:00");
    assert_int_equal(tz_interval_of(tz, 1793491200 + 6 * 3600 + 900, 1800, &iv), ST_OK);
    assert_true(iv.index == 4 && iv.offset == -18000 && iv.start_utc == 1793512800);
    assert_string_equal(iv.label, "01:00");
    assert_int_equal(tz_interval_of(tz, 1793491200 + 6 * 3600 + 2700, 1800, &iv), ST_OK);
    assert_int_equal(iv.index, 5);
    assert_string_equal(iv.label, "01:30");
    /* The day's last second, 1793595599, is interval 49 at 23:30 EST. */
    assert_int_equal(tz_interval_of(tz, 1793595599, 1800, &iv), ST_OK);
    assert_true(iv.day == 1 && iv.index == 49 && iv.end_utc == 1793595600);
    assert_string_equal(iv.label, "23:30");
    assert_int_equal(tz_interval_of(tz, 1793595599, 1000, &iv), ST_ERR_INVALID);

    int y, m, d;
    tz_day_of(tz, 1793595599, &y, &m, &d);
    assert_true(y == 2026 && m == 11 && d == 1);
    tz_day_of(tz, 1793595600, &y, &m, &d);
    assert_true(y == 2026 && m == 11 && d == 2);

    /* Before the first transition (1883-11-18 17:00Z) New York used local
     * mean time, -4:56:02 = -17762 s (zdump -v America/New_York). */
    assert_int_equal(tz_offset_at(tz, -5364662400), -17762); /* 1800-01-01 */
    assert_int_equal(tz_offset_at(tz, INT64_MIN), -17762);

    /* 2100 lies past the table: the footer EST5EDT,M3.2.0,M11.1.0 decides.
     * March 2100 starts on a Monday, so its second Sunday is the 14th:
     * day 47541 + 13 = 47554 -> 4108665600; 02:00 EST = 07:00Z = 4108690800. */
    assert_int_equal(tz_offset_at(tz, 4108690799), -18000);
    assert_int_equal(tz_offset_at(tz, 4108690800), -14400);
    assert_int_equal(tz_day_intervals(tz, 2100, 3, 14, 1800), 46);
    tz_free(tz);
}

static void test_berlin(void **state)
{
    (void)state;
    tz_t *tz = load("Europe/Berlin");
    /* 2026-03-29: 00:00 CET = 23:00Z the day before = 1774742400 - 3600;
     * the change is at 01:00Z = 1774746000 (02:00 CET -> 03:00 CEST);
     * 2026-03-30 00:00 CEST = 1774742400 + 86400 - 7200 = 1774821600. */
    assert_int_equal(tz_day_start(tz, 2026, 3, 29), 1774738800);
    assert_int_equal(tz_day_start(tz, 2026, 3, 30), 1774821600);
    assert_int_equal(tz_offset_at(tz, 1774745999), 3600);
    assert_int_equal(tz_offset_at(tz, 1774746000), 7200);
    assert_int_equal(tz_day_intervals(tz, 2026, 3, 29, 1800), 46);
    /* 2026-10-25: 00:00 CEST = 1792886400 - 7200 = 1792879200; back at
     * 01:00Z = 1792890000 (03:00 CEST -> 02:00 CET); next day 00:00 CET =
     * 1792886400 + 86400 - 3600 = 1792969200: 90000 s, 25 h. */
    assert_int_equal(tz_day_start(tz, 2026, 10, 25), 1792879200);
    assert_int_equal(tz_day_start(tz, 2026, 10, 26), 1792969200);
    assert_int_equal(tz_offset_at(tz, 1792889999), 7200);
    assert_int_equal(tz_offset_at(tz, 1792890000), 3600);
    assert_int_equal(tz_day_intervals(tz, 2026, 10, 25, 1800), 50);
    /* 02:30 on 2026-10-25 is first CEST (00:30Z = 1792888200). */
    assert_int_equal(tz_local_to_utc(tz, 2026, 10, 25, 2, 30, 0), 1792888200);
    tz_free(tz);
}

static void test_shanghai(void **state)
{
    (void)state;
    tz_t *tz = load("Asia/Shanghai");
    /* 2026-10-01 00:00 +08 = 1790812800 - 8 h = 1790784000 (09-30T16:00Z). */
    assert_int_equal(tz_month_start(tz, 2026, 10), 1790784000);
    assert_int_equal(tz_offset_at(tz, 1790784000), 28800);
    assert_int_equal(tz_day_intervals(tz, 2026, 10, 1, 1800), 48);
    /* 2100-01-01 00:00 +08 = 47482 * 86400 - 28800 = 4102444800 - 28800. */
    assert_int_equal(tz_month_start(tz, 2100, 1), 4102416000);
    /* Month 13 of 2026 is January 2027: 20454 + 365 = 20819 days. */
    assert_int_equal(tz_month_start(tz, 2026, 13), (int64_t)20819 * 86400 - 28800);
    tz_free(tz);
}

static void test_midnight_changes(void **state)
{
    (void)state;
    tz_t *tz = load("America/Sao_Paulo");
    /* zdump: 2018-11-04 03:00Z: 23:59:59 -03 -> 01:00 -02.  The day starts
     * at 01:00 -02 = 03:00Z = 1541289600 + 10800 = 1541300400. */
    assert_int_equal(tz_day_start(tz, 2018, 11, 4), 1541300400);
    tz_interval_t iv;
    assert_int_equal(tz_interval_of(tz, 1541300400, 1800, &iv), ST_OK);
    assert_true(iv.index == 0 && iv.day == 4);
    assert_string_equal(iv.label, "01:00");
    /* 23 hours: 2018-11-05 00:00 -02 = 1541289600 + 86400 + 7200. */
    assert_int_equal(tz_day_start(tz, 2018, 11, 5), 1541383200);
    assert_int_equal(tz_day_intervals(tz, 2018, 11, 4, 1800), 46);
    tz_free(tz);

    tz = load("America/Havana");
    /* zdump: 2026-03-08 05:00Z: 23:59:59 CST -> 01:00 CDT.  Day start =
     * 1772928000 + 5 h = 1772946000; 00:30 maps to the same instant. */
    assert_int_equal(tz_day_start(tz, 2026, 3, 8), 1772946000);
    assert_int_equal(tz_local_to_utc(tz, 2026, 3, 8, 0, 30, 0), 1772946000);
    /* 2026-03-07 starts 00:00 CST = 1772928000 - 86400 + 18000: 24 h. */
    assert_int_equal(tz_day_start(tz, 2026, 3, 7), 1772859600);
    int y, m, d;
    tz_day_of(tz, 1772945999, &y, &m, &d);
    assert_true(y == 2026 && m == 3 && d == 7);
    tz_day_of(tz, 1772946000, &y, &m, &d);
    assert_true(y == 2026 && m == 3 && d == 8);
    tz_free(tz);

    tz = load("America/Santiago");
    /* zdump: 2026-09-06 04:00Z: 23:59:59 -04 -> 01:00 -03; day starts
     * 1788652800 + 4 h = 1788667200.  2026-04-04 starts 00:00 -03 =
     * 1775260800 + 3 h and lasts to 2026-04-05 00:00 -04 = 1775260800 +
     * 86400 + 4 h: 25 h, 23:00-23:59 happen twice. */
    assert_int_equal(tz_day_start(tz, 2026, 9, 6), 1788667200);
    assert_int_equal(tz_day_start(tz, 2026, 4, 4), 1775271600);
    assert_int_equal(tz_day_start(tz, 2026, 4, 5), 1775361600);
    assert_int_equal(tz_day_intervals(tz, 2026, 4, 4, 1800), 50);
    tz_free(tz);
}

static void test_lord_howe(void **state)
{
    (void)state;
    tz_t *tz = load("Australia/Lord_Howe");
    /* zdump: 2026-04-04 15:00Z: 01:59:59 +11 -> 01:30 +1030.  Day 04-05
     * starts 00:00 +11 = 1775260800 + 13 h = 1775307600 and ends 04-06
     * 00:00 +1030 = 1775260800 + 86400 + 13.5 h = 1775395800: 24.5 h. */
    assert_int_equal(tz_day_start(tz, 2026, 4, 5), 1775307600);
    assert_int_equal(tz_day_start(tz, 2026, 4, 6), 1775395800);
    assert_int_equal(tz_day_intervals(tz, 2026, 4, 5, 1800), 49);
    assert_int_equal(tz_day_intervals(tz, 2026, 4, 5, 3600), 25);
    /* Hourly: interval 2 starts 13:00Z + 2 h = 15:00Z, reading 01:30 +1030,
     * and the last (24) runs 23:30 -> 00:00, half an hour. */
    tz_interval_t iv;
    assert_int_equal(tz_interval_of(tz, 1775314800, 3600, &iv), ST_OK);
    assert_int_equal(iv.index, 2);
    assert_string_equal(iv.label, "01:30");
    assert_int_equal(iv.offset, 37800);
    assert_int_equal(tz_interval_of(tz, 1775395799, 3600, &iv), ST_OK);
    assert_int_equal(iv.index, 24);
    assert_string_equal(iv.label, "23:30");
    assert_int_equal(iv.end_utc - iv.start_utc, 1800);
    tz_free(tz);
}

static void test_footer_rules(void **state)
{
    (void)state;
    /* Footer-only ("slim") zone: the rule does everything in 2026. */
    tz_t *tz = footer_zone(-18000, "EST5EDT,M3.2.0,M11.1.0");
    assert_int_equal(tz_offset_at(tz, 1772953199), -18000);
    assert_int_equal(tz_offset_at(tz, 1772953200), -14400);
    assert_int_equal(tz_month_start(tz, 2026, 11), 1793505600);
    assert_int_equal(tz_day_intervals(tz, 2026, 3, 8, 1800), 46);
    assert_int_equal(tz_day_intervals(tz, 2026, 11, 1, 1800), 50);
    assert_int_equal(tz_local_to_utc(tz, 2026, 11, 1, 1, 30, 0), 1793511000);
    tz_free(tz);

    /* <-03>3: fixed three hours west. */
    tz = footer_zone(0, "<-03>3");
    assert_int_equal(tz_offset_at(tz, 1772953200), -10800);
    assert_int_equal(tz_offset_at(tz, 4108690800), -10800);
    tz_free(tz);

    /* Zero-based day 59 of leap 2024 is Feb 29 (Jan 0..30, Feb 31..59):
     * 2024-02-29 = 1709164800.  J60 skips Feb 29: always March 1 =
     * 1709251200.  Standard +00, DST +01 from 00:00 standard time. */
    tz = footer_zone(0, "AAA0BBB,59/0,300/0");
    assert_int_equal(tz_offset_at(tz, 1709164799), 0);
    assert_int_equal(tz_offset_at(tz, 1709164800), 3600);
    tz_free(tz);
    tz = footer_zone(0, "AAA0BBB,J60/0,J300/0");
    assert_int_equal(tz_offset_at(tz, 1709208000), 0); /* 2024-02-29 12:00Z */
    assert_int_equal(tz_offset_at(tz, 1709251199), 0);
    assert_int_equal(tz_offset_at(tz, 1709251200), 3600);
    tz_free(tz);

    /* DST all year (RFC 8536 3.3.1): the end at J365/25 and the next start
     * at 0/0 are the same instant; DST must hold across it. */
    tz = footer_zone(-18000, "EST5EDT,0/0,J365/25");
    assert_int_equal(tz_offset_at(tz, 1767225600), -14400); /* 2026-01-01 */
    assert_int_equal(tz_offset_at(tz, 1767225600 + 17999), -14400);
    assert_int_equal(tz_offset_at(tz, 1767225600 + 18000), -14400); /* end = next start */
    assert_int_equal(tz_offset_at(tz, 1767225600 + 200 * 86400), -14400);
    tz_free(tz);

    /* Nuuk, negative time: M3.5.0/-1 is Saturday 23:00 -02, i.e. the last
     * Sunday of March 2026 (the 29th) at 01:00Z = 1774742400 + 3600, and
     * M10.5.0/0 is 2026-10-25 00:00 -01 = 01:00Z = 1792886400 + 3600.
     * Saturday 10-24 then runs from 00:00 -01 (1792800000 + 3600) to
     * 10-25 00:00 -02 (1792886400 + 7200): 90000 s = 25 h. */
    tz = footer_zone(-7200, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    assert_int_equal(tz_offset_at(tz, 1774745999), -7200);
    assert_int_equal(tz_offset_at(tz, 1774746000), -3600);
    assert_int_equal(tz_offset_at(tz, 1792889999), -3600);
    assert_int_equal(tz_offset_at(tz, 1792890000), -7200);
    assert_int_equal(tz_day_start(tz, 2026, 10, 24), 1792803600);
    assert_int_equal(tz_day_start(tz, 2026, 10, 25), 1792893600);
    assert_int_equal(tz_day_intervals(tz, 2026, 10, 24, 1800), 50);
    tz_free(tz);

    /* Jerusalem, time beyond 24 h: M3.4.4/26 is the fourth Thursday of
     * March at 26:00, i.e. Friday 02:00 +02.  March 2100 starts Monday, so
     * the Thursdays are 4, 11, 18, 25 and the change is 2100-03-26 00:00Z =
     * (47541 + 25) * 86400 = 4109702400. */
    tz = footer_zone(7200, "IST-2IDT,M3.4.4/26,M10.5.0");
    assert_int_equal(tz_offset_at(tz, 4109702399), 7200);
    assert_int_equal(tz_offset_at(tz, 4109702400), 10800);
    tz_free(tz);

    /* Dublin, negative DST: IST (+1) is standard, GMT the winter "DST";
     * M10.5.0 (02:00 IST = 01:00Z) starts GMT, M3.5.0/1 (01:00 GMT) ends it. */
    tz = footer_zone(3600, "IST-1GMT0,M10.5.0,M3.5.0/1");
    assert_int_equal(tz_offset_at(tz, 1767225600), 0); /* January */
    assert_int_equal(tz_offset_at(tz, 1774745999), 0);
    assert_int_equal(tz_offset_at(tz, 1774746000), 3600);
    assert_int_equal(tz_offset_at(tz, 1792889999), 3600);
    assert_int_equal(tz_offset_at(tz, 1792890000), 0);
    tz_free(tz);

    /* Lord Howe's half-hour offsets and half-hour DST.  First Sunday of
     * October 2026 is the 4th: 02:00 +1030 = 2026-10-03 15:30Z =
     * 1790812800 + 2 * 86400 + 55800 = 1791041400 (zdump agrees). */
    tz = footer_zone(37800, "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
    assert_int_equal(tz_offset_at(tz, 1791041399), 37800);
    assert_int_equal(tz_offset_at(tz, 1791041400), 39600);
    tz_free(tz);

    /* Times that push a year's transitions into the next and previous year
     * (POSIX leaves overlaps open; the latest transition wins).  Standard
     * +00, DST +01.  Start J1/-100: Jan 1 00:00 - 100 h = Dec 27 20:00Z of
     * the year before.  End J365/100: Dec 31 + 100 h DST = Jan 4 04:00 +01 =
     * Jan 4 03:00Z of the year after.  So each year's end comes after the
     * next year's start, and DST runs Dec 27 20:00Z .. Jan 4 03:00Z:
     *   2026-01-04 03:00Z = 1767225600 + 3 * 86400 + 10800 = 1767495600
     *   2026-12-27 20:00Z = 1767225600 + 360 * 86400 + 72000 = 1798401600 */
    tz = footer_zone(0, "AAA0BBB,J1/-100,J365/100");
    assert_int_equal(tz_offset_at(tz, 1767225600 + 86400), 3600); /* Jan 2 */
    assert_int_equal(tz_offset_at(tz, 1767495599), 3600);
    assert_int_equal(tz_offset_at(tz, 1767495600), 0);
    assert_int_equal(tz_offset_at(tz, 1767225600 + 150 * 86400), 0);
    assert_int_equal(tz_offset_at(tz, 1798401599), 0);
    assert_int_equal(tz_offset_at(tz, 1798401600), 3600);
    assert_int_equal(tz_offset_at(tz, 1798761600), 3600); /* 2027-01-01 */
    /* At 03:00Z the clock goes back from 04:00 +01 to 03:00 +00, so 03:30
     * local happens twice; the first time is 02:30Z. */
    assert_int_equal(tz_local_to_utc(tz, 2026, 1, 4, 3, 30, 0), 1767495600 - 1800);
    tz_free(tz);

    /* An empty footer: the last (here the only) time type forever. */
    tz = footer_zone(19800, "");
    assert_int_equal(tz_offset_at(tz, 4108690800), 19800);
    tz_free(tz);
}

/* Parses "Sun Mar  8 06:59:59 2026" as UTC with the C library (timegm is
 * independent of TZ and of the code under test). */
static int parse_zdump_time(const char *s, int64_t *t, struct tm *tm)
{
    memset(tm, 0, sizeof *tm);
    const char *end = strptime(s, "%a %b %d %H:%M:%S %Y", tm);
    if (!end)
        return 0;
    *t = (int64_t)timegm(tm);
    return 1;
}

static const char *cross_zones[] = {
    "America/New_York",  "Europe/Berlin",       "Asia/Shanghai",    "America/Sao_Paulo",
    "America/Havana",    "America/Santiago",    "Asia/Beirut",      "Australia/Lord_Howe",
    "America/Nuuk",      "Europe/Dublin",       "Asia/Jerusalem",   "Asia/Gaza",
    "Africa/Casablanca", "Asia/Tehran",         "Pacific/Apia",     "Antarctica/Troll",
    "Asia/Kathmandu",    "Pacific/Chatham",     "Australia/Sydney", "America/Asuncion",
    "Europe/London",     "America/Los_Angeles", "Africa/Cairo",     "Pacific/Kiritimati",
};
#define NCROSS (sizeof cross_zones / sizeof cross_zones[0])
/* For the slim files: the zones whose footers have the unusual parts. */
static const char *slim_zones[] = {
    "America/New_York", "America/Santiago",    "America/Nuuk",  "Asia/Jerusalem",
    "Asia/Gaza",        "Australia/Lord_Howe", "Europe/Dublin", "America/Havana",
    "Antarctica/Troll", "Pacific/Chatham",
};
#define NSLIM (sizeof slim_zones / sizeof slim_zones[0])

/* Checks one zdump line "ZONE  <UT time> UT = <local time> ABBR isdst=N
 * gmtoff=N" against tz: offset and wall clock at t, the offset mid-way
 * since the previous line (*prev_t, *prev_off; zdump lists each transition
 * as t - 1 and t, so nothing changes between a line and the next one with
 * the same offset), and the way back from the wall clock.  Returns 0 for a
 * line without a time (the "= NULL" extremes). */
static int cross_check_line(const tz_t *tz, const char *zone, const char *line, int first,
                            int64_t *prev_t, int32_t *prev_off)
{
    const char *ut = strchr(line, ' ');
    const char *eq = strstr(line, " UT = ");
    const char *g = strstr(line, "gmtoff=");
    if (!ut || !eq || !g)
        return 0;
    struct tm utm, ltm;
    int64_t t = 0, lt = 0;
    while (*ut == ' ')
        ut++;
    if (!parse_zdump_time(ut, &t, &utm) || !parse_zdump_time(eq + 6, &lt, &ltm))
        fail_msg("%s: cannot read zdump line %s", zone, line);
    int32_t off = (int32_t)strtol(g + 7, NULL, 10);
    tz_civil_t c;
    tz_to_local(tz, t, &c);
    if (c.offset != off || lt - t != off || c.year != ltm.tm_year + 1900 ||
        c.month != ltm.tm_mon + 1 || c.day != ltm.tm_mday || c.hour != ltm.tm_hour ||
        c.min != ltm.tm_min || c.sec != ltm.tm_sec)
        fail_msg("%s at %lld: ours %d-%02d-%02d %02d:%02d:%02d %d, zdump %s", zone, (long long)t,
                 c.year, c.month, c.day, c.hour, c.min, c.sec, c.offset, line);
    if (!first && off == *prev_off && t > *prev_t) {
        int64_t mid = *prev_t + (t - *prev_t) / 2;
        if (tz_offset_at(tz, mid) != off)
            fail_msg("%s at %lld: offset %d, zdump %d", zone, (long long)mid, tz_offset_at(tz, mid),
                     off);
    }
    /* The wall clock maps back to t, or to an earlier instant showing the
     * same wall clock when that time is repeated. */
    int64_t back = tz_local_to_utc(tz, c.year, c.month, c.day, c.hour, c.min, c.sec);
    if (back > t || back + tz_offset_at(tz, back) != t + off)
        fail_msg("%s: local of %lld maps back to %lld", zone, (long long)t, (long long)back);
    *prev_t = t;
    *prev_off = off;
    return 1;
}

/* Runs one `zdump -v -c 1970,2101 dir/zone...` for the nz zones and checks
 * each line against the zone as read from dir.  Returns the number of lines
 * checked; every zone must have some. */
static int cross_check_dir(const char *dir, const char **zones, size_t nz)
{
    assert_true(nz <= NCROSS);
    char cmd[4096], line[512], arg[NCROSS][128];
    size_t n = (size_t)snprintf(cmd, sizeof cmd, "zdump -v -c 1970,2101");
    for (size_t i = 0; i < nz; i++) {
        snprintf(arg[i], sizeof arg[i], "%s/%s", dir, zones[i]);
        n += (size_t)snprintf(cmd + n, sizeof cmd - n, " %s", arg[i]);
    }
    snprintf(cmd + n, sizeof cmd - n, " 2>/dev/null");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    tz_t *tz[NCROSS];
    int count[NCROSS] = {0}, total = 0;
    int64_t prev_t = 0;
    int32_t prev_off = 0;
    char err[200] = "";
    for (size_t i = 0; i < nz; i++)
        if (tz_load_dir(dir, zones[i], &tz[i], err, sizeof err) != ST_OK)
            fail_msg("%s/%s: %s", dir, zones[i], err);
    while (fgets(line, sizeof line, p)) {
        size_t z = 0;
        while (z < nz &&
               !(strncmp(line, arg[z], strlen(arg[z])) == 0 && line[strlen(arg[z])] == ' '))
            z++;
        if (z == nz)
            fail_msg("unexpected zdump line %s", line);
        if (cross_check_line(tz[z], zones[z], line, count[z] == 0, &prev_t, &prev_off))
            count[z]++;
    }
    pclose(p);
    for (size_t i = 0; i < nz; i++) {
        if (count[i] == 0)
            fail_msg("%s: zdump listed nothing", zones[i]);
        total += count[i];
        tz_free(tz[i]);
    }
    return total;
}

static void test_zdump_cross_check(void **state)
{
    (void)state;
    if (system("zdump -v -c 2026,2027 UTC >/dev/null 2>&1") != 0)
        skip(); /* no independent reference on this machine */
    /* New York alone lists two lines per transition, two a year. */
    assert_true(cross_check_dir(TZ_DIR, cross_zones, NCROSS) > 2000);
}

/*
 * The system files may be "fat" (table to 2037 or beyond).  Compile the
 * same source "slim" with zic into a temporary directory, so every year
 * after the last rule change comes from the footer alone, and compare with
 * zdump reading those slim files.
 */
struct slim {
    char dir[64]; /* "" when no directory was made */
    int ready;    /* zic succeeded */
};

/* Makes the slim directory; a missing zic or source leaves ready = 0. */
static int slim_setup(void **state)
{
    static struct slim sl;
    char cmd[300];
    memset(&sl, 0, sizeof sl);
    *state = &sl;
    if (access(TZ_DIR "/tzdata.zi", R_OK) != 0)
        return 0;
    snprintf(sl.dir, sizeof sl.dir, "/tmp/slattest-tz-XXXXXX");
    if (!mkdtemp(sl.dir)) {
        sl.dir[0] = '\0';
        return 0;
    }
    snprintf(cmd, sizeof cmd, "zic -b slim -d %s " TZ_DIR "/tzdata.zi 2>/dev/null", sl.dir);
    sl.ready = system(cmd) == 0;
    return 0;
}

/* Removes the slim directory; cmocka runs this even when the test failed. */
static int slim_teardown(void **state)
{
    struct slim *sl = *state;
    char cmd[100];
    if (sl->dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", sl->dir);
        return system(cmd) == 0 ? 0 : -1;
    }
    return 0;
}

static void test_zdump_cross_check_slim(void **state)
{
    struct slim *sl = *state;
    if (!sl->ready || system("zdump -v -c 2026,2027 UTC >/dev/null 2>&1") != 0)
        skip(); /* no zic, tzdata.zi or zdump on this machine */
    assert_true(cross_check_dir(sl->dir, slim_zones, NSLIM) > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_new_york),
        cmocka_unit_test(test_berlin),
        cmocka_unit_test(test_shanghai),
        cmocka_unit_test(test_midnight_changes),
        cmocka_unit_test(test_lord_howe),
        cmocka_unit_test(test_footer_rules),
        cmocka_unit_test(test_zdump_cross_check),
        cmocka_unit_test_setup_teardown(test_zdump_cross_check_slim, slim_setup, slim_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
