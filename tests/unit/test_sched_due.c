/*
 * Unit tests for reports/sched_due.c: when a scheduled monthly report falls
 * due, in America/New_York and Europe/Berlin, around the daylight-saving
 * changes and at month ends.
 *
 * Expected instants are worked by hand from the day counts of
 * tests/unit/test_tz.c (2026-01-01 = day 20454, 1767225600) and each was
 * also checked with `date -u -d "DATE TIME" +%s` while writing this file:
 *   2026-03-08 07:00Z 1772953200   New York springs forward at 02:00 EST
 *   2026-03-29 01:00Z 1774746000   Berlin springs forward at 02:00 CET
 *   2026-08-03 07:00Z 1785740400   Aug 1 2026 is a Saturday (day 20666)
 *   2026-09-30 13:00Z 1790773200   September has 30 days
 *   2026-10-25 00:30Z 1792888200   Berlin falls back at 03:00 CEST
 *   2026-11-01 05:30Z 1793511000   New York falls back at 02:00 EDT; a Sunday
 *   2026-11-04 14:00Z 1793800800   the 3rd business day of November 2026
 *   2026-11-30 14:00Z 1796047200   its 21st and last business day (a Monday)
 *   2027-02-28 08:00Z 1803801600   February 2027 has 28 days
 *   2028-02-29 08:00Z 1835424000   February 2028 has 29 days
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sched_due.h"
#include "status.h"

/* Loads a system zone or fails the test. */
static tz_t *load(const char *name)
{
    tz_t *tz = NULL;
    char err[200] = "";
    if (tz_load(name, &tz, err, sizeof err) != ST_OK)
        fail_msg("tz_load(%s): %s", name, err);
    return tz;
}

static sched_when_t when(int day, bool business, int h, int m)
{
    return (sched_when_t){day, business, h, m};
}

static void test_parse(void **state)
{
    (void)state;
    int h = -1, m = -1;
    assert_int_equal(sched_time_parse("09:00", &h, &m), ST_OK);
    assert_int_equal(h, 9);
    assert_int_equal(m, 0);
    assert_int_equal(sched_time_parse("23:59", &h, &m), ST_OK);
    assert_int_equal(sched_time_parse("25:00", &h, &m), ST_ERR_INVALID);
    assert_int_equal(sched_time_parse("24:00", &h, &m), ST_ERR_INVALID);
    assert_int_equal(sched_time_parse("9:00", &h, &m), ST_ERR_INVALID);
    assert_int_equal(sched_time_parse("09:60", &h, &m), ST_ERR_INVALID);
    assert_int_equal(sched_time_parse("09:00:00", &h, &m), ST_ERR_INVALID);
    assert_int_equal(sched_time_parse(NULL, &h, &m), ST_ERR_INVALID);

    sched_period_t p;
    char text[8];
    assert_int_equal(sched_period_parse("2026-10", &p), ST_OK);
    assert_int_equal(p.y, 2026);
    assert_int_equal(p.m, 10);
    sched_period_format(sched_period_add(p, 3), text);
    assert_string_equal(text, "2027-01");
    sched_period_format(sched_period_add(p, -10), text);
    assert_string_equal(text, "2025-12");
    assert_int_equal(sched_period_parse("2026-13", &p), ST_ERR_INVALID);
    assert_int_equal(sched_period_parse("2026-1", &p), ST_ERR_INVALID);
    assert_int_equal(sched_period_parse("1969-12", &p), ST_ERR_INVALID);
    assert_int_equal(sched_period_cmp((sched_period_t){2026, 10}, (sched_period_t){2026, 11}), -1);
    assert_int_equal(sched_period_cmp((sched_period_t){2027, 1}, (sched_period_t){2026, 12}), 1);

    char err[100] = "";
    sched_when_t w = when(0, false, 9, 0);
    assert_int_equal(sched_when_check(&w, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "day"));
    w = when(24, true, 9, 0);
    assert_int_equal(sched_when_check(&w, err, sizeof err), ST_ERR_INVALID);
    w = when(31, false, 9, 0);
    assert_int_equal(sched_when_check(&w, err, sizeof err), ST_OK);
}

/* Day N past the month's end is the last day: September, February, leap February. */
static void test_month_ends(void **state)
{
    (void)state;
    tz_t *ny = load("America/New_York"), *be = load("Europe/Berlin");
    sched_when_t w = when(31, false, 9, 0);
    int y, m, d;
    sched_due_date(&w, (sched_period_t){2026, 8}, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20260930);
    /* 09:00 EDT (UTC-4) */
    assert_int_equal(sched_due_at(ny, &w, (sched_period_t){2026, 8}), 1790773200);
    w = when(30, false, 9, 0);
    assert_int_equal(sched_due_at(be, &w, (sched_period_t){2027, 1}), 1803801600);
    w = when(31, false, 9, 0);
    assert_int_equal(sched_due_at(be, &w, (sched_period_t){2028, 1}), 1835424000);
    /* December's report falls due in January of the next year. */
    w = when(3, false, 9, 0);
    sched_due_date(&w, (sched_period_t){2026, 12}, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20270103);
    tz_free(ny);
    tz_free(be);
}

/* A local time skipped by the change runs when the gap ends. */
static void test_spring_forward(void **state)
{
    (void)state;
    tz_t *ny = load("America/New_York"), *be = load("Europe/Berlin");
    sched_when_t w = when(8, false, 2, 30); /* 2026-03-08 02:30 does not exist in New York */
    assert_int_equal(sched_due_at(ny, &w, (sched_period_t){2026, 2}), 1772953200); /* 03:00 EDT */
    w = when(29, false, 2, 30); /* 2026-03-29 02:30 does not exist in Berlin */
    assert_int_equal(sched_due_at(be, &w, (sched_period_t){2026, 2}), 1774746000); /* 03:00 CEST */
    /* 02:00 itself is skipped too; 03:00 exists. */
    w = when(29, false, 2, 0);
    assert_int_equal(sched_due_at(be, &w, (sched_period_t){2026, 2}), 1774746000);
    w = when(29, false, 3, 0);
    assert_int_equal(sched_due_at(be, &w, (sched_period_t){2026, 2}), 1774746000);
    tz_free(ny);
    tz_free(be);
}

/* A local time that occurs twice runs at its first occurrence, once. */
static void test_fall_back(void **state)
{
    (void)state;
    tz_t *ny = load("America/New_York"), *be = load("Europe/Berlin");
    sched_when_t w = when(1, false, 1, 30); /* 2026-11-01 01:30 EDT, then again EST */
    int64_t due = sched_due_at(ny, &w, (sched_period_t){2026, 10});
    assert_int_equal(due, 1793511000);
    /* One hour later (the second 01:30) the latest due period is still October's. */
    sched_period_t p = sched_due_latest(ny, &w, 1793514600);
    assert_int_equal(p.y * 100 + p.m, 202610);
    assert_int_equal(sched_due_at(ny, &w, p), due);
    w = when(25, false, 2, 30); /* 2026-10-25 02:30 CEST, then again CET */
    assert_int_equal(sched_due_at(be, &w, (sched_period_t){2026, 9}), 1792888200);
    tz_free(ny);
    tz_free(be);
}

/* The N-th business day (Monday to Friday), or the last one. */
static void test_business_days(void **state)
{
    (void)state;
    tz_t *ny = load("America/New_York"), *be = load("Europe/Berlin");
    sched_when_t w = when(3, true, 9, 0);
    int y, m, d;
    sched_due_date(&w, (sched_period_t){2026, 10}, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20261104); /* Nov 1 is a Sunday */
    assert_int_equal(sched_due_at(ny, &w, (sched_period_t){2026, 10}), 1793800800); /* EST */
    w = when(6, true, 9, 0);
    sched_due_date(&w, (sched_period_t){2026, 10}, &y, &m, &d);
    assert_int_equal(d, 9); /* Mon 2 .. Fri 6, then Mon 9 */
    w = when(23, true, 9, 0);
    assert_int_equal(sched_due_at(ny, &w, (sched_period_t){2026, 10}), 1796047200);
    w = when(1, true, 9, 0); /* Aug 1 2026 is a Saturday: Monday Aug 3, 09:00 CEST */
    assert_int_equal(sched_due_at(be, &w, (sched_period_t){2026, 7}), 1785740400);
    tz_free(ny);
    tz_free(be);
}

/* The latest due period and the first period of a new schedule. */
static void test_latest_and_first(void **state)
{
    (void)state;
    tz_t *ny = load("America/New_York");
    sched_when_t w = when(4, true, 9, 0); /* October's falls due Thu 2026-11-05T14:00Z */
    sched_period_t p = sched_due_latest(ny, &w, 1793800800);
    assert_int_equal(p.y * 100 + p.m, 202609);
    p = sched_due_latest(ny, &w, 1793800800 + 86400);
    assert_int_equal(p.y * 100 + p.m, 202610);
    w = when(3, true, 9, 0); /* October's falls due 2026-11-04T14:00Z */
    p = sched_due_latest(ny, &w, 1793800800 - 1);
    assert_int_equal(p.y * 100 + p.m, 202609);
    p = sched_due_latest(ny, &w, 1793800800);
    assert_int_equal(p.y * 100 + p.m, 202610);
    /* Created on Nov 4 before 09:00: October's run is still ahead. */
    p = sched_due_first_from(ny, &w, 1793800800 - 3600);
    assert_int_equal(p.y * 100 + p.m, 202610);
    /* Created just after: the first run is November's. */
    p = sched_due_first_from(ny, &w, 1793800800 + 1);
    assert_int_equal(p.y * 100 + p.m, 202611);
    /* Local month, not UTC: 2026-11-01T03:00Z is still October 31 in New York. */
    w = when(31, false, 22, 0); /* Oct 31 22:00 EDT = Nov 1 02:00Z for September */
    p = sched_due_latest(ny, &w, 1793491200 + 3 * 3600);
    assert_int_equal(p.y * 100 + p.m, 202609);
    tz_free(ny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),          cmocka_unit_test(test_month_ends),
        cmocka_unit_test(test_spring_forward), cmocka_unit_test(test_fall_back),
        cmocka_unit_test(test_business_days),  cmocka_unit_test(test_latest_and_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
