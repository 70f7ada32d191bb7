/*
 * Unit tests for reports/xl_changes.c on hand-written canonical texts
 * (xl_digest.h): values that moved, appeared, became undefined, rows that
 * moved position without changing, totals, rows and sheets that are gone,
 * multi-column row keys, the row-number fallback, and refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "status.h"
#include "xl_changes.h"

#define HEAD "slattest-data-digest 1\n"

/* Diffs two NUL-terminated texts; fails the test on an error. */
static xl_changes_t *diff(const char *old_text, const char *new_text, const xl_changes_opts_t *o)
{
    xl_changes_t *c = NULL;
    char err[256] = "";
    int rc = xl_changes_diff(old_text, strlen(old_text), new_text, strlen(new_text), o, &c, err,
                             sizeof err);
    if (rc != ST_OK)
        fail_msg("diff: %s", err);
    return c;
}

/* Checks change i: kind, sheet, row key, column, old and new (NULL: absent). */
static void expect(const xl_changes_t *c, size_t i, xl_change_kind_t kind, const char *sheet,
                   const char *row, const char *column, const char *old_value,
                   const char *new_value)
{
    const xl_change_t *ch = xl_changes_get(c, i);
    assert_non_null(ch);
    assert_int_equal(ch->kind, kind);
    assert_string_equal(ch->sheet, sheet);
    assert_string_equal(ch->row, row);
    assert_string_equal(ch->column, column);
    if (old_value)
        assert_string_equal(ch->old_value, old_value);
    else
        assert_null(ch->old_value);
    if (new_value)
        assert_string_equal(ch->new_value, new_value);
    else
        assert_null(ch->new_value);
}

/*
 * Version 1 of a month and version 2 after a late contact on day 46298
 * (2026-10-03: offered 4 -> 5, service level 3/4 -> 4/5), day 46299 losing
 * its only answered contact's wait (service level 0 -> undefined), and a
 * new queue "billing" sorting before "sales", which moves "sales" from row 1
 * to row 2 without changing it.
 */
static const char OLD1[] = HEAD "daily\t1\tday\t46298\n"
                                "daily\t1\toffered\t4\n"
                                "daily\t1\tservice_level\t0.75\n"
                                "daily\t1\taht_s\t120\n"
                                "daily\t2\tday\t46299\n"
                                "daily\t2\toffered\t1\n"
                                "daily\t2\tservice_level\t0\n"
                                "daily\t2\taht_s\t120\n"
                                "daily\ttotal\toffered\t5\n"
                                "daily\ttotal\tservice_level\t0.59999999999999998\n"
                                "queues\t1\tqueue\t\"sales\"\n"
                                "queues\t1\toffered\t5\n"
                                "data_quality\t1\trows_received\t5\n"
                                "data_quality\t1\tlate_arrivals\t0\n";
static const char NEW1[] = HEAD "daily\t1\tday\t46298\n"
                                "daily\t1\toffered\t5\n"
                                "daily\t1\tservice_level\t0.80000000000000004\n"
                                "daily\t1\taht_s\t120\n"
                                "daily\t2\tday\t46299\n"
                                "daily\t2\toffered\t1\n"
                                "daily\t2\tservice_level\tnull\n"
                                "daily\t2\taht_s\t120\n"
                                "daily\ttotal\toffered\t6\n"
                                "daily\ttotal\tservice_level\t0.66666666666666663\n"
                                "queues\t1\tqueue\t\"billing\"\n"
                                "queues\t1\toffered\t1\n"
                                "queues\t2\tqueue\t\"sales\"\n"
                                "queues\t2\toffered\t5\n"
                                "data_quality\t1\trows_received\t7\n"
                                "data_quality\t1\tlate_arrivals\t0\n";

static void test_moved_appeared_undefined_and_totals(void **state)
{
    (void)state;
    static const char *const facts[] = {"data_quality"};
    xl_changes_opts_t o = {.by_row = facts, .n_by_row = 1};
    xl_changes_t *c = diff(OLD1, NEW1, &o);
    /* Listed, in the new version's order: the three moved values of day
     * 46298 less its unchanged aht_s (2 of 3 data cells), day 46299's
     * service level, the two totals, the new queue's one value cell, and
     * rows_received 5 -> 7.  Not listed: the day and queue key columns,
     * both aht_s, day 46299's offered, sales' offered (row 1 -> 2, same
     * value), late_arrivals.  2 + 1 + 2 + 1 + 1 = 7. */
    assert_int_equal(xl_changes_count(c), 7);
    expect(c, 0, XL_CHANGE_MOVED, "daily", "46298", "offered", "4", "5");
    expect(c, 1, XL_CHANGE_MOVED, "daily", "46298", "service_level", "0.75", "0.80000000000000004");
    expect(c, 2, XL_CHANGE_MOVED, "daily", "46299", "service_level", "0", "null");
    expect(c, 3, XL_CHANGE_MOVED, "daily", "total", "offered", "5", "6");
    expect(c, 4, XL_CHANGE_MOVED, "daily", "total", "service_level", "0.59999999999999998",
           "0.66666666666666663");
    expect(c, 5, XL_CHANGE_ADDED, "queues", "\"billing\"", "offered", NULL, "1");
    expect(c, 6, XL_CHANGE_MOVED, "data_quality", "1", "rows_received", "5", "7");
    const xl_change_t *ch = xl_changes_get(c, 0);
    assert_int_equal(ch->key_columns, 1);
    assert_false(ch->total || ch->whole_row);
    ch = xl_changes_get(c, 3);
    assert_true(ch->total);
    assert_int_equal(ch->key_columns, 0);
    assert_true(xl_changes_get(c, 5)->whole_row);
    ch = xl_changes_get(c, 6);
    assert_int_equal(ch->key_columns, 0); /* matched by row number */
    assert_false(ch->whole_row);
    assert_null(xl_changes_get(c, 7));
    xl_changes_free(c);
}

static void test_facts_sheet_keyed_by_value_without_the_option(void **state)
{
    (void)state;
    /* Without by_row, data_quality's one row is keyed by its first value
     * (rows_received 5, then 7): a different row, so the old row's
     * late_arrivals is gone and the new row's is new.  The texts are the same
     * as above, so the first six changes are too. */
    xl_changes_t *c = diff(OLD1, NEW1, NULL);
    assert_int_equal(xl_changes_count(c), 6 + 2);
    expect(c, 6, XL_CHANGE_ADDED, "data_quality", "7", "late_arrivals", NULL, "0");
    expect(c, 7, XL_CHANGE_REMOVED, "data_quality", "5", "late_arrivals", "0", NULL);
    assert_true(xl_changes_get(c, 6)->whole_row && xl_changes_get(c, 7)->whole_row);
    xl_changes_free(c);
}

static void test_identical_texts_list_nothing(void **state)
{
    (void)state;
    xl_changes_t *c = diff(NEW1, NEW1, NULL);
    assert_int_equal(xl_changes_count(c), 0);
    assert_null(xl_changes_get(c, 0));
    xl_changes_free(c);
    c = diff(HEAD, HEAD, NULL);
    assert_int_equal(xl_changes_count(c), 0);
    xl_changes_free(c);
}

static void test_gone_rows_columns_and_sheets(void **state)
{
    (void)state;
    /* Old: queues sales and support, a sheet "extra".  New: support is gone,
     * sales gained a column aht_s, extra is gone, "late" is new. */
    static const char old_text[] = HEAD "queues\t1\tqueue\t\"sales\"\n"
                                        "queues\t1\toffered\t5\n"
                                        "queues\t2\tqueue\t\"support\"\n"
                                        "queues\t2\toffered\t2\n"
                                        "queues\ttotal\toffered\t7\n"
                                        "extra\t1\tn\t1\n";
    static const char new_text[] = HEAD "late\t1\tn\t3\n"
                                        "queues\t1\tqueue\t\"sales\"\n"
                                        "queues\t1\toffered\t5\n"
                                        "queues\t1\taht_s\t120.5\n"
                                        "queues\ttotal\toffered\t5\n";
    static const char *const facts[] = {"late", "extra"};
    xl_changes_opts_t o = {.by_row = facts, .n_by_row = 2};
    xl_changes_t *c = diff(old_text, new_text, &o);
    /* late n (new sheet), sales aht_s (new column), total 7 -> 5, then the
     * queues sheet's gone cell (support offered), then the gone sheet. */
    assert_int_equal(xl_changes_count(c), 5);
    expect(c, 0, XL_CHANGE_ADDED, "late", "1", "n", NULL, "3");
    expect(c, 1, XL_CHANGE_ADDED, "queues", "\"sales\"", "aht_s", NULL, "120.5");
    assert_false(xl_changes_get(c, 1)->whole_row); /* the row was there, the column was not */
    expect(c, 2, XL_CHANGE_MOVED, "queues", "total", "offered", "7", "5");
    expect(c, 3, XL_CHANGE_REMOVED, "queues", "\"support\"", "offered", "2", NULL);
    assert_true(xl_changes_get(c, 3)->whole_row);
    expect(c, 4, XL_CHANGE_REMOVED, "extra", "1", "n", "1", NULL);
    xl_changes_free(c);
}

/* A listing an older version kept among its values and a newer one streams
 * (Appeals): left out of both texts, neither compared nor listed as gone;
 * the same texts without the option list it. */
static void test_ignored_listing(void **state)
{
    (void)state;
    static const char old_text[] = HEAD "queues\t1\tqueue\t\"sales\"\n"
                                        "queues\t1\toffered\t5\n"
                                        "appeals\t1\tevaluation\t\"E1\"\n"
                                        "appeals\t1\tchange\t2.5\n"
                                        "appeals\t2\tevaluation\t\"E2\"\n"
                                        "appeals\t2\tchange\t0\n";
    static const char new_text[] = HEAD "queues\t1\tqueue\t\"sales\"\n"
                                        "queues\t1\toffered\t6\n";
    static const char *const listings[] = {"appeals"};
    xl_changes_opts_t o = {.ignore = listings, .n_ignore = 1};
    xl_changes_t *c = diff(old_text, new_text, &o);
    assert_int_equal(xl_changes_count(c), 1);
    expect(c, 0, XL_CHANGE_MOVED, "queues", "\"sales\"", "offered", "5", "6");
    xl_changes_free(c);
    c = diff(old_text, new_text, NULL);
    assert_int_equal(xl_changes_count(c), 3); /* offered, and each gone appeal's change */
    expect(c, 1, XL_CHANGE_REMOVED, "appeals", "\"E1\"", "change", "2.5", NULL);
    xl_changes_free(c);
    /* Lines of an ignored sheet are still lines: a malformed one is refused. */
    static const char bad[] = HEAD "appeals\t1\tevaluation\n";
    char err[256] = "";
    assert_int_equal(
        xl_changes_diff(bad, strlen(bad), new_text, strlen(new_text), &o, &c, err, sizeof err),
        ST_ERR_INVALID);
}

static void test_two_key_columns(void **state)
{
    (void)state;
    /* Calibration rows: the session alone repeats, session + inspector is
     * unique in both versions.  A new row S0/i1 comes first in the new
     * version; S1/i2's score moved 75 -> 80; S1/i1 is unchanged. */
    static const char old_text[] = HEAD "cal\t1\tsession\t\"S1\"\n"
                                        "cal\t1\tinspector\t\"i1\"\n"
                                        "cal\t1\tscore\t100\n"
                                        "cal\t2\tsession\t\"S1\"\n"
                                        "cal\t2\tinspector\t\"i2\"\n"
                                        "cal\t2\tscore\t75\n";
    static const char new_text[] = HEAD "cal\t1\tsession\t\"S0\"\n"
                                        "cal\t1\tinspector\t\"i1\"\n"
                                        "cal\t1\tscore\t90\n"
                                        "cal\t2\tsession\t\"S1\"\n"
                                        "cal\t2\tinspector\t\"i1\"\n"
                                        "cal\t2\tscore\t100\n"
                                        "cal\t3\tsession\t\"S1\"\n"
                                        "cal\t3\tinspector\t\"i2\"\n"
                                        "cal\t3\tscore\t80\n";
    xl_changes_t *c = diff(old_text, new_text, NULL);
    assert_int_equal(xl_changes_count(c), 2);
    expect(c, 0, XL_CHANGE_ADDED, "cal", "\"S0\"\t\"i1\"", "score", NULL, "90");
    expect(c, 1, XL_CHANGE_MOVED, "cal", "\"S1\"\t\"i2\"", "score", "75", "80");
    assert_int_equal(xl_changes_get(c, 1)->key_columns, 2);
    xl_changes_free(c);
}

static void test_no_unique_prefix_falls_back_to_row_numbers(void **state)
{
    (void)state;
    /* Two rows with the same values in every column: no key, so rows are
     * matched by number; row 2's v moved 1 -> 2. */
    static const char old_text[] = HEAD "s\t1\ta\t1\n"
                                        "s\t1\tb\t1\n"
                                        "s\t2\ta\t1\n"
                                        "s\t2\tb\t1\n";
    static const char new_text[] = HEAD "s\t1\ta\t1\n"
                                        "s\t1\tb\t1\n"
                                        "s\t2\ta\t1\n"
                                        "s\t2\tb\t2\n";
    xl_changes_t *c = diff(old_text, new_text, NULL);
    assert_int_equal(xl_changes_count(c), 1);
    expect(c, 0, XL_CHANGE_MOVED, "s", "2", "b", "1", "2");
    assert_int_equal(xl_changes_get(c, 0)->key_columns, 0);
    xl_changes_free(c);
}

/* Expects xl_changes_diff to refuse the pair with a message. */
static void refuse(const char *old_text, const char *new_text)
{
    xl_changes_t *c = (xl_changes_t *)&c;
    char err[256] = "";
    int rc = xl_changes_diff(old_text, strlen(old_text), new_text, strlen(new_text), NULL, &c, err,
                             sizeof err);
    assert_int_equal(rc, ST_ERR_INVALID);
    assert_null(c);
    assert_true(err[0] != '\0');
}

static void test_refusals(void **state)
{
    (void)state;
    refuse("", HEAD);                                          /* empty */
    refuse("slattest-data-digest 2\n", HEAD);                  /* different versions */
    refuse("hello\n", "hello\n");                              /* not a header */
    refuse(HEAD "s\t1\ta\t1", HEAD);                           /* no last newline */
    refuse(HEAD "s\t1\ta\n", HEAD);                            /* 3 fields */
    refuse(HEAD "s\t1\ta\t1\tx\n", HEAD);                      /* 5 fields */
    refuse(HEAD, HEAD "s\t1\ta\t1\nt\t1\ta\t1\ns\t2\ta\t1\n"); /* sheet s again */
    refuse(HEAD, HEAD "s\t2\ta\t1\ns\t1\ta\t1\n");             /* rows decrease */
    refuse(HEAD, HEAD "s\t01\ta\t1\n");                        /* a leading zero */
    refuse(HEAD, HEAD "s\ttotal\ta\t1\ns\t1\ta\t1\n");         /* a row after the totals */
    refuse(HEAD, HEAD "s\t1\ta\t1\ns\t1\ta\t2\n");             /* a cell twice */
    static const char nul[] = HEAD "s\t1\ta\t1\0\n";
    xl_changes_t *c = NULL;
    char err[128];
    assert_int_equal(
        xl_changes_diff(nul, sizeof nul - 1, HEAD, strlen(HEAD), NULL, &c, err, sizeof err),
        ST_ERR_INVALID);
    assert_null(c);
    xl_changes_free(NULL);
}

static void test_decode(void **state)
{
    (void)state;
    xl_value_kind_t kind;
    double num = 0;
    buf_t text;
    buf_init(&text, 64);
    assert_int_equal(xl_changes_decode("null", &kind, &num, &text), ST_OK);
    assert_int_equal(kind, XL_VALUE_NULL);
    assert_true(isnan(num));
    assert_int_equal(xl_changes_decode("0.80000000000000004", &kind, &num, &text), ST_OK);
    assert_int_equal(kind, XL_VALUE_NUMBER);
    assert_true(num == 0.8); /* %.17g of 0.8 reads back as the same double */
    assert_int_equal(xl_changes_decode("-3e2", &kind, &num, NULL), ST_OK);
    assert_true(num == -300);
    /* "a\"b\\c<TAB>" escaped as xl_digest.h says: \" \\ \u0009. */
    assert_int_equal(xl_changes_decode("\"a\\\"b\\\\c\\u0009\"", &kind, &num, &text), ST_OK);
    assert_int_equal(kind, XL_VALUE_TEXT);
    assert_string_equal(buf_cstr(&text), "a\"b\\c\t");
    buf_reset(&text);
    assert_int_equal(xl_changes_decode("\"\xe5\x8f\x98\"", &kind, &num, &text), ST_OK);
    assert_string_equal(buf_cstr(&text), "\xe5\x8f\x98"); /* UTF-8 passes as is */
    static const char *const bad[] = {"nan",     "inf",         " 1",       "0x10",
                                      "",        "1,5",         "\"open",   "\"a\"b",
                                      "\"\\q\"", "\"\\u00G1\"", "\"tab\t\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(xl_changes_decode(bad[i], &kind, &num, &text), ST_ERR_INVALID);
    buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moved_appeared_undefined_and_totals),
        cmocka_unit_test(test_facts_sheet_keyed_by_value_without_the_option),
        cmocka_unit_test(test_identical_texts_list_nothing),
        cmocka_unit_test(test_gone_rows_columns_and_sheets),
        cmocka_unit_test(test_ignored_listing),
        cmocka_unit_test(test_two_key_columns),
        cmocka_unit_test(test_no_unique_prefix_falls_back_to_row_numbers),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
