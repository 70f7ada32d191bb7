/* test_compliance.c - a month's contract compliance from metric rows, worked by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "compliance.h"
#include "status.h"

/* Fee 120,000.00 CNY, cap 5 %: four items. */
static const char CONTRACT[] =
    "{\"effective_from\": \"2026-10-01\", \"timezone\": \"Asia/Shanghai\","
    " \"monthly_fee\": 120000.00, \"currency\": \"CNY\", \"credit_cap_pct\": 5,"
    " \"items\": ["
    "  {\"metric\": \"service_level\", \"comparator\": \">=\", \"target\": 0.80, \"credit_pct\": "
    "3},"
    "  {\"metric\": \"abandon_rate\", \"comparator\": \"<=\", \"target\": 0.05, \"credit_pct\": 2},"
    "  {\"metric\": \"qa_score\", \"comparator\": \">=\", \"target\": 90, \"credit_pct\": 2},"
    "  {\"metric\": \"fcr\", \"comparator\": \">=\", \"target\": 0.70, \"credit_pct\": 1}]}";

static contract_t *parse(void)
{
    contract_t *c = NULL;
    char err[256] = "";
    if (contract_parse(CONTRACT, strlen(CONTRACT), &c, err, sizeof err) != ST_OK)
        fail_msg("contract: %s", err);
    return c;
}

/* service_level 0.75 < 0.80: missed, 3 % of 120,000 = 3,600.00; abandon_rate
 * 0.05 <= 0.05: met (the target itself meets); qa_score 88 < 90: missed,
 * 2 % = 2,400.00; fcr undefined: not measurable, no credit.  Uncapped
 * 6,000.00 equals the cap (5 % = 6,000.00): the cap is not applied and
 * 6,000.00 is credited. */
static void test_month_items_and_cap(void **state)
{
    (void)state;
    contract_t *c = parse();
    sla_row_t month;
    memset(&month, 0, sizeof month);
    month.service_level = 0.75;
    month.abandon_rate = 0.05;
    month.fcr = NAN;
    qa_metrics_row_t qa;
    memset(&qa, 0, sizeof qa);
    qa.qa_score = 88;
    credits_result_t r;
    char err[256] = "";
    assert_int_equal(compliance_month(c, 2026, 10, &month, &qa, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.n_rows, 4);
    assert_int_equal(r.rows[0].status, CREDITS_MISSED);
    assert_int_equal(r.rows[0].credit_cents, 360000);
    assert_int_equal(r.rows[1].status, CREDITS_MET);
    assert_int_equal(r.rows[2].status, CREDITS_MISSED);
    assert_int_equal(r.rows[2].credit_cents, 240000);
    assert_int_equal(r.rows[3].status, CREDITS_NOT_MEASURABLE);
    assert_int_equal(r.rows[3].credit_cents, 0);
    assert_int_equal(r.months[0].uncapped_cents, 600000);
    assert_int_equal(r.months[0].cap_cents, 600000);
    assert_int_equal(r.months[0].credited_cents, 600000);
    assert_false(r.months[0].cap_applied);
    credits_result_free(&r);
    /* FCR 0.5 now measurable and missed: +1 % = 1,200.00 -> 7,200.00
     * uncapped, capped to 6,000.00. */
    month.fcr = 0.5;
    assert_int_equal(compliance_month(c, 2026, 10, &month, &qa, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.months[0].uncapped_cents, 720000);
    assert_int_equal(r.months[0].credited_cents, 600000);
    assert_true(r.months[0].cap_applied);
    credits_result_free(&r);
    contract_free(c);
}

/* Without a QA row every QA metric is undefined (not measurable, not 0). */
static void test_values_without_qa(void **state)
{
    (void)state;
    sla_row_t month;
    memset(&month, 0, sizeof month);
    month.asa_s = 14.5;
    month.csat_mean = 4.2;
    assert_true(compliance_metric_value(CM_ASA_S, &month, NULL) == 14.5);
    assert_true(compliance_metric_value(CM_CSAT_MEAN, &month, NULL) == 4.2);
    assert_true(isnan(compliance_metric_value(CM_QA_SCORE, &month, NULL)));
    assert_true(isnan(compliance_metric_value(CM_QA_COVERAGE, &month, NULL)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month_items_and_cap),
        cmocka_unit_test(test_values_without_qa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
