/* Unit tests for reports/credits.c: compliance, credits, the cap, earn-back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "credits.h"
#include "status.h"

/* The example of INTERFACES.md "Contract JSON" (fee 120000.00, cap 12 %). */
static const char EXAMPLE[] =
    "{\"effective_from\": \"2026-10-01\", \"timezone\": \"Asia/Shanghai\","
    " \"monthly_fee\": 120000.00, \"currency\": \"CNY\", \"credit_cap_pct\": 12,"
    " \"items\": ["
    "  {\"metric\": \"service_level\", \"comparator\": \">=\", \"target\": 0.80, "
    "\"credit_pct\": 3},"
    "  {\"metric\": \"abandon_rate\", \"comparator\": \"<=\", \"target\": 0.05, "
    "\"credit_pct\": 2},"
    "  {\"metric\": \"qa_score\", \"comparator\": \">=\", \"target\": 90, \"credit_pct\": 2}"
    "]}";

/* An item built by hand (credit_pct in hundredths of a percent). */
static contract_item_t item(contract_metric_t m, contract_cmp_t cmp, double target, int32_t centi)
{
    contract_item_t it = {m, cmp, target, centi / 100.0, centi};
    return it;
}

static void test_two_missed_items_under_the_cap(void **state)
{
    (void)state;
    contract_t *c = NULL;
    char err[256] = "";
    assert_int_equal(contract_parse(EXAMPLE, strlen(EXAMPLE), &c, err, sizeof err), ST_OK);
    /* SL 0.75 < 0.80 missed; abandon 0.06 > 0.05 missed; QA 92 >= 90 met. */
    const double values[] = {0.75, 0.06, 92.0};
    credits_month_t m;
    credits_month_from_contract(c, 2026, 10, values, &m);
    credits_result_t r;
    assert_int_equal(credits_compute(&m, 1, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.n_rows, 3);
    assert_int_equal(r.n_months, 1);

    /* 3 % x 120000.00 = 3600.00 = 360000 cents. */
    assert_int_equal(r.rows[0].status, CREDITS_MISSED);
    assert_int_equal(r.rows[0].metric, CM_SERVICE_LEVEL);
    assert_int_equal(r.rows[0].credit_cents, 360000);
    assert_int_equal(r.rows[0].applied_cents, 360000);
    assert_false(r.rows[0].at_risk);
    /* 2 % x 120000.00 = 2400.00 = 240000 cents. */
    assert_int_equal(r.rows[1].status, CREDITS_MISSED);
    assert_int_equal(r.rows[1].credit_cents, 240000);
    assert_int_equal(r.rows[1].applied_cents, 240000);
    assert_int_equal(r.rows[2].status, CREDITS_MET);
    assert_int_equal(r.rows[2].credit_cents, 0);
    assert_true(r.rows[2].value == 92.0);

    const credits_total_t *t = &r.months[0];
    assert_int_equal(t->year, 2026);
    assert_int_equal(t->month, 10);
    assert_int_equal(t->met, 1);
    assert_int_equal(t->missed, 2);
    assert_int_equal(t->not_measurable, 0);
    /* 3600.00 + 2400.00 = 6000.00; cap 12 % x 120000.00 = 14400.00, not reached. */
    assert_int_equal(t->uncapped_cents, 600000);
    assert_int_equal(t->cap_cents, 1440000);
    assert_false(t->cap_applied);
    assert_int_equal(t->credited_cents, 600000);
    assert_int_equal(t->at_risk_cents, 0);
    credits_result_free(&r);
    credits_result_free(NULL);
    contract_free(c);
}

static void test_cap_bites(void **state)
{
    (void)state;
    /* Five items, 3 % each, all missed, fee 120000.00, cap 12 %. */
    const contract_item_t items[] = {
        item(CM_SERVICE_LEVEL, CONTRACT_CMP_GE, 0.80, 300),
        item(CM_ABANDON_RATE, CONTRACT_CMP_LE, 0.05, 300),
        item(CM_ASA_S, CONTRACT_CMP_LE, 20, 300),
        item(CM_FCR, CONTRACT_CMP_GE, 0.70, 300),
        item(CM_QA_SCORE, CONTRACT_CMP_GE, 90, 300),
    };
    const double values[] = {0.5, 0.2, 45, 0.6, 80};
    credits_month_t m = {2026, 11, 12000000, 1200, 0, 5, items, values};
    credits_result_t r;
    char err[256] = "";
    assert_int_equal(credits_compute(&m, 1, &r, err, sizeof err), ST_OK);
    const credits_total_t *t = &r.months[0];
    /* 5 x 3600.00 = 18000.00 uncapped; the cap 14400.00 applies. */
    assert_int_equal(t->missed, 5);
    assert_int_equal(t->uncapped_cents, 1800000);
    assert_int_equal(t->cap_cents, 1440000);
    assert_true(t->cap_applied);
    assert_int_equal(t->credited_cents, 1440000);
    /* Pro rata: 360000 x 1440000 / 1800000 = 288000 each, no remainder. */
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(r.rows[i].credit_cents, 360000);
        assert_int_equal(r.rows[i].applied_cents, 288000);
    }
    credits_result_free(&r);
}

static void test_cap_share_remainders(void **state)
{
    (void)state;
    /* Fee 100.00 (10000 cents), three items of 3 % (300 cents each), cap 5 % = 500. */
    const contract_item_t items[] = {
        item(CM_SERVICE_LEVEL, CONTRACT_CMP_GE, 0.80, 300),
        item(CM_ABANDON_RATE, CONTRACT_CMP_LE, 0.05, 300),
        item(CM_CSAT, CONTRACT_CMP_GE, 0.90, 300),
    };
    const double values[] = {0.1, 0.9, 0.1};
    credits_month_t m = {2026, 1, 10000, 500, 0, 3, items, values};
    credits_result_t r;
    char err[256] = "";
    assert_int_equal(credits_compute(&m, 1, &r, err, sizeof err), ST_OK);
    /* 300 x 500 / 900 = 166 rem 600 each: floors give 498, the 2 cents left go to
     * the first two (equal remainders, earlier first): 167 + 167 + 166 = 500. */
    assert_int_equal(r.months[0].uncapped_cents, 900);
    assert_int_equal(r.months[0].credited_cents, 500);
    assert_int_equal(r.rows[0].applied_cents, 167);
    assert_int_equal(r.rows[1].applied_cents, 167);
    assert_int_equal(r.rows[2].applied_cents, 166);
    credits_result_free(&r);

    /* Cap 0 %: nothing is charged, the rows still show the uncapped credit. */
    m.cap_centi = 0;
    assert_int_equal(credits_compute(&m, 1, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.months[0].credited_cents, 0);
    assert_int_equal(r.rows[0].credit_cents, 300);
    assert_int_equal(r.rows[0].applied_cents, 0);
    credits_result_free(&r);
}

static void test_not_measurable_and_unrounded(void **state)
{
    (void)state;
    const contract_item_t items[] = {
        item(CM_SERVICE_LEVEL, CONTRACT_CMP_GE, 0.80, 300),
        item(CM_ABANDON_RATE, CONTRACT_CMP_LE, 0.05, 200),
        item(CM_CSAT_MEAN, CONTRACT_CMP_GE, 4.0, 100),
    };
    /* SL exactly 0.80: met (inclusive).  Abandon 0.0500001 shows as 5.00 % but is
     * missed: the unrounded value counts.  No surveys: csat_mean undefined. */
    const double values[] = {0.80, 0.0500001, NAN};
    credits_month_t m = {2026, 2, 12000000, 1200, 0, 3, items, values};
    credits_result_t r;
    char err[256] = "";
    assert_int_equal(credits_compute(&m, 1, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.rows[0].status, CREDITS_MET);
    assert_int_equal(r.rows[1].status, CREDITS_MISSED);
    assert_int_equal(r.rows[1].credit_cents, 240000); /* 2 % x 120000.00 = 2400.00 */
    assert_int_equal(r.rows[2].status, CREDITS_NOT_MEASURABLE);
    assert_true(isnan(r.rows[2].value));
    assert_int_equal(r.rows[2].credit_cents, 0);
    assert_int_equal(r.rows[2].applied_cents, 0);
    assert_int_equal(r.months[0].met, 1);
    assert_int_equal(r.months[0].missed, 1);
    assert_int_equal(r.months[0].not_measurable, 1);
    assert_int_equal(r.months[0].credited_cents, 240000);
    assert_string_equal(credits_status_name(r.rows[2].status), "not measurable");
    credits_result_free(&r);
}

static void test_rounding_half_up(void **state)
{
    (void)state;
    /* 10001 cents x 2.5 % = 250.025 -> 250; 10 cents x 5 % = 0.5 -> 1;
     * 10 cents x 4.99 % = 0.499 -> 0; 1e14 cents x 100 % = 1e14 (no overflow). */
    assert_int_equal(credits_pct_of(10001, 250), 250);
    assert_int_equal(credits_pct_of(10, 500), 1);
    assert_int_equal(credits_pct_of(10, 499), 0);
    assert_int_equal(credits_pct_of(INT64_C(100000000000000), 10000), INT64_C(100000000000000));
    assert_int_equal(credits_pct_of(12000000, 1200), 1440000);
}

/* Finds the row of a kind and metric in a month, or fails. */
static const credits_row_t *row_find(const credits_result_t *r, int year, int month,
                                     credits_row_kind_t kind, contract_metric_t metric)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        const credits_row_t *x = &r->rows[i];
        if (x->year == year && x->month == month && x->kind == kind && x->metric == metric)
            return x;
    }
    fail_msg("no row %d-%d kind %d metric %d", year, month, (int)kind, (int)metric);
    return NULL;
}

static void test_earn_back_two_months(void **state)
{
    (void)state;
    /* N = 2, fee 120000.00, cap 12 %.  SL (3 %) is missed in January and met in
     * February and March: earned back in March.  Abandon (2 %) is missed in January,
     * met in February, missed in March: confirmed in March (and at risk again). */
    const contract_item_t items[] = {
        item(CM_SERVICE_LEVEL, CONTRACT_CMP_GE, 0.80, 300),
        item(CM_ABANDON_RATE, CONTRACT_CMP_LE, 0.05, 200),
    };
    const double jan[] = {0.70, 0.08}, feb[] = {0.85, 0.04}, mar[] = {0.82, 0.06},
                 apr[] = {0.90, 0.03};
    const credits_month_t ms[] = {
        {2026, 1, 12000000, 1200, 2, 2, items, jan},
        {2026, 2, 12000000, 1200, 2, 2, items, feb},
        {2026, 3, 12000000, 1200, 2, 2, items, mar},
        {2026, 4, 12000000, 1200, 2, 2, items, apr},
    };
    credits_result_t r;
    char err[256] = "";
    assert_int_equal(credits_compute(ms, 4, &r, err, sizeof err), ST_OK);
    /* 2 item rows a month, plus 2 outcome rows in March. */
    assert_int_equal(r.n_rows, 10);

    /* January: both credits at risk until March (1 + 2). */
    const credits_row_t *x = row_find(&r, 2026, 1, CREDITS_ROW_ITEM, CM_SERVICE_LEVEL);
    assert_int_equal(x->status, CREDITS_MISSED);
    assert_int_equal(x->applied_cents, 360000); /* 3 % x 120000.00 */
    assert_true(x->at_risk);
    assert_int_equal(x->until_year, 2026);
    assert_int_equal(x->until_month, 3);
    x = row_find(&r, 2026, 1, CREDITS_ROW_ITEM, CM_ABANDON_RATE);
    assert_int_equal(x->applied_cents, 240000); /* 2 % x 120000.00 */
    assert_true(x->at_risk);
    assert_int_equal(r.months[0].credited_cents, 600000);
    assert_int_equal(r.months[0].at_risk_cents, 600000);
    assert_int_equal(r.months[0].earned_back_cents, 0);

    /* February: all met, nothing settled yet. */
    assert_int_equal(r.months[1].credited_cents, 0);
    assert_int_equal(r.months[1].earned_back_cents + r.months[1].confirmed_cents, 0);
    assert_int_equal(r.rows[2].year * 100 + r.rows[2].month, 202602);
    assert_int_equal(r.rows[4].year * 100 + r.rows[4].month, 202603);

    /* March: the item rows first, then January's outcomes, each with its month. */
    assert_int_equal(r.rows[4].kind, CREDITS_ROW_ITEM);
    assert_int_equal(r.rows[5].kind, CREDITS_ROW_ITEM);
    assert_int_equal(r.rows[6].kind, CREDITS_ROW_EARNED_BACK);
    assert_int_equal(r.rows[6].metric, CM_SERVICE_LEVEL);
    assert_int_equal(r.rows[6].from_year * 100 + r.rows[6].from_month, 202601);
    assert_int_equal(r.rows[6].applied_cents, 360000);
    assert_int_equal(r.rows[7].kind, CREDITS_ROW_CONFIRMED);
    assert_int_equal(r.rows[7].metric, CM_ABANDON_RATE);
    assert_int_equal(r.rows[7].from_year * 100 + r.rows[7].from_month, 202601);
    assert_int_equal(r.rows[7].applied_cents, 240000);
    /* March's own abandon miss: 2400.00, at risk until May. */
    x = row_find(&r, 2026, 3, CREDITS_ROW_ITEM, CM_ABANDON_RATE);
    assert_true(x->at_risk);
    assert_int_equal(x->until_month, 5);
    assert_int_equal(r.months[2].credited_cents, 240000);
    assert_int_equal(r.months[2].at_risk_cents, 240000);
    assert_int_equal(r.months[2].earned_back_cents, 360000);
    assert_int_equal(r.months[2].confirmed_cents, 240000);

    /* April: nothing settles (March's credit settles in May, past the input). */
    assert_int_equal(r.rows[8].kind, CREDITS_ROW_ITEM);
    assert_int_equal(r.rows[9].kind, CREDITS_ROW_ITEM);
    assert_int_equal(r.months[3].earned_back_cents + r.months[3].confirmed_cents, 0);
    credits_result_free(&r);
}

static void test_earn_back_not_measurable_and_year_end(void **state)
{
    (void)state;
    /* N = 2 across a year end: SL missed in November 2026; December undefined
     * (no contacts), January met.  "Met in each month" fails in December, so the
     * credit is confirmed in January 2027.  QA missed in November, met in December
     * and January: earned back in January, 2 % x 50000.00 = 1000.00. */
    const contract_item_t items[] = {
        item(CM_SERVICE_LEVEL, CONTRACT_CMP_GE, 0.80, 300),
        item(CM_QA_SCORE, CONTRACT_CMP_GE, 90, 200),
    };
    const double nov[] = {0.70, 85}, dec[] = {NAN, 95}, jan[] = {0.90, 90};
    const credits_month_t ms[] = {
        {2026, 11, 5000000, 1000, 2, 2, items, nov},
        {2026, 12, 5000000, 1000, 2, 2, items, dec},
        {2027, 1, 5000000, 1000, 2, 2, items, jan},
    };
    credits_result_t r;
    char err[256] = "";
    assert_int_equal(credits_compute(ms, 3, &r, err, sizeof err), ST_OK);
    const credits_row_t *x = row_find(&r, 2026, 11, CREDITS_ROW_ITEM, CM_SERVICE_LEVEL);
    assert_int_equal(x->until_year * 100 + x->until_month, 202701);
    x = row_find(&r, 2027, 1, CREDITS_ROW_CONFIRMED, CM_SERVICE_LEVEL);
    assert_int_equal(x->applied_cents, 150000); /* 3 % x 50000.00 = 1500.00 */
    x = row_find(&r, 2027, 1, CREDITS_ROW_EARNED_BACK, CM_QA_SCORE);
    assert_int_equal(x->applied_cents, 100000); /* QA 90 >= 90 in January: met */
    assert_int_equal(r.months[2].earned_back_cents, 100000);
    assert_int_equal(r.months[2].confirmed_cents, 150000);
    /* December: SL not measurable credits nothing. */
    assert_int_equal(r.months[1].not_measurable, 1);
    assert_int_equal(r.months[1].credited_cents, 0);
    credits_result_free(&r);
}

static void test_earn_back_of_capped_credit(void **state)
{
    (void)state;
    /* N = 1.  Cap 4 % of 1000.00 = 40.00; two 3 % credits of 30.00 (60.00 uncapped)
     * are charged 20.00 each (3000 x 4000 / 6000 = 2000).  SL is met the month after,
     * so what it was charged, 20.00, is earned back, not the uncapped 30.00. */
    const contract_item_t items[] = {
        item(CM_SERVICE_LEVEL, CONTRACT_CMP_GE, 0.80, 300),
        item(CM_AHT_S, CONTRACT_CMP_LE, 300, 300),
    };
    const double m1[] = {0.5, 400}, m2[] = {0.9, 400};
    const credits_month_t ms[] = {
        {2026, 5, 100000, 400, 1, 2, items, m1},
        {2026, 6, 100000, 400, 1, 2, items, m2},
    };
    credits_result_t r;
    char err[256] = "";
    assert_int_equal(credits_compute(ms, 2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.months[0].uncapped_cents, 6000);
    assert_int_equal(r.months[0].credited_cents, 4000);
    assert_int_equal(r.months[0].at_risk_cents, 4000);
    const credits_row_t *x = row_find(&r, 2026, 6, CREDITS_ROW_EARNED_BACK, CM_SERVICE_LEVEL);
    assert_int_equal(x->credit_cents, 3000);
    assert_int_equal(x->applied_cents, 2000);
    x = row_find(&r, 2026, 6, CREDITS_ROW_CONFIRMED, CM_AHT_S);
    assert_int_equal(x->applied_cents, 2000);
    credits_result_free(&r);
}

static void test_bad_input(void **state)
{
    (void)state;
    const contract_item_t items[] = {
        item(CM_SERVICE_LEVEL, CONTRACT_CMP_GE, 0.80, 300),
        item(CM_SERVICE_LEVEL, CONTRACT_CMP_GE, 0.70, 300),
    };
    const double v[] = {0.5, 0.5};
    credits_result_t r;
    char err[256] = "";
    /* February then April: a month is missing. */
    credits_month_t ms[] = {
        {2026, 2, 100000, 400, 1, 1, items, v},
        {2026, 4, 100000, 400, 1, 1, items, v},
    };
    assert_int_equal(credits_compute(ms, 2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "months[1]: 2026-04 does not follow 2026-02");
    assert_null(r.rows);
    ms[1].month = 3;
    ms[1].n_items = 2;
    assert_int_equal(credits_compute(ms, 2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "months[1].items[1]: metric repeated");
    ms[1].n_items = 1;
    ms[1].cap_centi = 10001;
    assert_int_equal(credits_compute(ms, 2, &r, err, sizeof err), ST_ERR_INVALID);
    ms[1].cap_centi = 400;
    assert_int_equal(credits_compute(ms, 2, &r, err, sizeof err), ST_OK);
    credits_result_free(&r);
    /* December 2026 is followed by January 2027. */
    ms[0].year = 2026;
    ms[0].month = 12;
    ms[1].year = 2027;
    ms[1].month = 1;
    assert_int_equal(credits_compute(ms, 2, &r, err, sizeof err), ST_OK);
    credits_result_free(&r);
    assert_int_equal(credits_compute(NULL, 0, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.n_rows, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_missed_items_under_the_cap),
        cmocka_unit_test(test_cap_bites),
        cmocka_unit_test(test_cap_share_remainders),
        cmocka_unit_test(test_not_measurable_and_unrounded),
        cmocka_unit_test(test_rounding_half_up),
        cmocka_unit_test(test_earn_back_two_months),
        cmocka_unit_test(test_earn_back_not_measurable_and_year_end),
        cmocka_unit_test(test_earn_back_of_capped_credit),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
