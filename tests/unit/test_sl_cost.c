/*
 * Unit tests for reports/sl_cost.c: the cost of service level.
 *
 * Where the expected numbers come from:
 *
 * 1. A two-interval month worked on paper (below, in
 *    test_two_interval_month).  Both intervals are 30 minutes and carry
 *    1 erlang; Erlang B by its recursion B(k) = A B(k-1) / (k + A B(k-1))
 *    with A = 1: B(1) = 1/2, B(2) = 1/5, B(3) = 1/16, B(4) = 1/65, so
 *    C(N, 1) = N B / (N - (1 - B)): C(2) = 1/3, C(3) = 1/11, C(4) = 1/49.
 *    SL(N) = 1 - C(N) exp(-(N - 1) T / h) with T = 20 s:
 *      interval 1, h = 180 s: SL(2) = 1 - e^(-1/9)/3  = 0.70172,
 *                             SL(3) = 1 - e^(-2/9)/11 = 0.92721,
 *                             SL(4) = 1 - e^(-1/3)/49 = 0.98538;
 *      interval 2, h = 90 s:  SL(2) = 1 - e^(-2/9)/3  = 0.73309,
 *                             SL(3) = 1 - e^(-4/9)/11 = 0.94171,
 *                             SL(4) = 1 - e^(-2/3)/49 = 0.98952.
 *    (e^(-1/9) = 0.894839, e^(-2/9) = 0.800737, e^(-1/3) = 0.716531,
 *    e^(-4/9) = 0.641180, e^(-2/3) = 0.513417, from a table.)
 *
 * 2. The published Erlang C example of call-centre planning guides: 100
 *    calls in 30 minutes, AHT 180 s, 20 s threshold: 12 agents give 64.0 %,
 *    13 give 79.6 %, 14 give 88.8 %, 15 give 94.1 % (the exact values are
 *    in test_erlang.c, computed outside this code).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "sl_cost.h"
#include "status.h"

/* |got - want| <= 1e-9 (the hours are sums of halves; marginals divide). */
static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-9)) {
        print_error("got %.17g want %.17g\n", got, want);
        fail();
    }
}

/* Interval 1: 10 contacts, AHT 180 s, 1 erlang.  Interval 2: 20 contacts,
 * nothing answered (AHT from the month: 90 s), 1 erlang.  Interval 3:
 * nothing offered, skipped. */
static const sl_cost_interval_t MONTH[] = {
    {.offered = 10, .aht_s = 180, .interval_s = 1800, .agents = 3},
    {.offered = 20, .aht_s = NAN, .interval_s = 1800, .agents = 2},
    {.offered = 0, .aht_s = NAN, .interval_s = 1800, .agents = 0},
};

static void test_two_interval_month(void **state)
{
    (void)state;
    const sl_cost_params_t p = {
        .threshold_s = 20, .month_aht_s = 90, .shrinkage_pct = 20, .hour_cost = 25};
    const double targets[] = {0.70, 0.75, 0.80, 0.93, 0.95};
    sl_cost_row_t r[5];
    assert_int_equal(sl_cost_curve(MONTH, 3, &p, targets, 5, r), ST_OK);
    /* Agents per interval (1, 2) from the SL values above, x 0.5 h:
     *   0.70: 2, 2 -> 2.0 h     0.75: 3, 3 -> 3.0 h     0.80: 3, 3 -> 3.0 h
     *   0.93: 4, 3 -> 3.5 h     0.95: 4, 4 -> 4.0 h
     * paid = h / 0.8; cost = h x 25. */
    const double hours[] = {2.0, 3.0, 3.0, 3.5, 4.0};
    for (int i = 0; i < 5; i++) {
        assert_near(r[i].target, targets[i]);
        assert_near(r[i].hours, hours[i]);
        assert_near(r[i].paid_hours, hours[i] / 0.8);
        assert_near(r[i].cost, hours[i] * 25);
    }
    /* Per point: 0.70 -> 0.75: 1 h over 5 points = 0.2 h (paid 0.25, 5.00);
     * 0.75 -> 0.80: nothing; 0.80 -> 0.93: 0.5 h / 13; 0.93 -> 0.95: 0.5 h / 2. */
    assert_true(isnan(r[0].marg_hours_pt) && isnan(r[0].marg_cost_pt));
    assert_near(r[1].marg_hours_pt, 0.2);
    assert_near(r[1].marg_paid_pt, 0.25);
    assert_near(r[1].marg_cost_pt, 5.0);
    assert_near(r[2].marg_hours_pt, 0.0);
    assert_near(r[3].marg_hours_pt, 0.5 / 13);
    assert_near(r[3].marg_cost_pt, 12.5 / 13);
    assert_near(r[4].marg_hours_pt, 0.25);
    assert_near(r[4].marg_paid_pt, 0.3125);
    assert_near(r[4].marg_cost_pt, 6.25);
    /* Handled: 3 agents x 0.5 h + 2 x 0.5 h = 2.5 h. */
    assert_near(sl_cost_handled_hours(MONTH, 3), 2.5);
}

static void test_published_erlang_c(void **state)
{
    (void)state;
    const sl_cost_interval_t iv[] = {{.offered = 100, .aht_s = 180, .interval_s = 1800}};
    const sl_cost_params_t p = {
        .threshold_s = 20, .month_aht_s = NAN, .shrinkage_pct = 0, .hour_cost = NAN};
    /* 0.64 -> 12 agents (SL 64.0 %), 0.79 -> 13 (79.6 %), 0.80 -> 14 (88.8 %),
     * 0.88 -> 14, 0.89 -> 15 (94.1 %); hours are half of that. */
    const double targets[] = {0.64, 0.79, 0.80, 0.88, 0.89};
    const double agents[] = {12, 13, 14, 14, 15};
    sl_cost_row_t r[5];
    assert_int_equal(sl_cost_curve(iv, 1, &p, targets, 5, r), ST_OK);
    for (int i = 0; i < 5; i++) {
        assert_near(r[i].hours, agents[i] / 2);
        assert_near(r[i].paid_hours, agents[i] / 2); /* no shrinkage */
        assert_true(isnan(r[i].cost));               /* no hour cost */
    }
    /* The one point from 79 % to 80 % costs a whole agent for the interval. */
    assert_near(r[2].marg_hours_pt, 0.5);
    assert_near(r[3].marg_hours_pt, 0.0);
}

static void test_undefined_and_refused(void **state)
{
    (void)state;
    sl_cost_params_t p = {
        .threshold_s = 20, .month_aht_s = NAN, .shrinkage_pct = 0, .hour_cost = 10};
    sl_cost_row_t r;
    /* Contacts with no AHT anywhere: the hours are undefined, not 0. */
    assert_int_equal(sl_cost_row(MONTH, 3, &p, 0.8, &r), ST_OK);
    assert_true(isnan(r.hours) && isnan(r.paid_hours) && isnan(r.cost));
    /* No contacts at all: nothing needed. */
    assert_int_equal(sl_cost_row(&MONTH[2], 1, &p, 0.8, &r), ST_OK);
    assert_near(r.hours, 0);
    p.month_aht_s = 90;
    assert_int_equal(sl_cost_row(MONTH, 3, &p, 0.0, &r), ST_ERR_INVALID);
    assert_int_equal(sl_cost_row(MONTH, 3, &p, 1.0, &r), ST_ERR_INVALID);
    assert_int_equal(sl_cost_row(MONTH, 3, &p, NAN, &r), ST_ERR_INVALID);
    p.shrinkage_pct = 100;
    assert_int_equal(sl_cost_row(MONTH, 3, &p, 0.8, &r), ST_ERR_INVALID);
    p.shrinkage_pct = 0;
    p.threshold_s = -1;
    assert_int_equal(sl_cost_row(MONTH, 3, &p, 0.8, &r), ST_ERR_INVALID);
    p.threshold_s = 20;
    const double down[] = {0.8, 0.7};
    sl_cost_row_t rows[2];
    assert_int_equal(sl_cost_curve(MONTH, 3, &p, down, 2, rows), ST_ERR_INVALID);
    /* Agents unknown (rollups) in an interval with contacts: undefined. */
    const sl_cost_interval_t unknown[] = {
        {.offered = 1, .aht_s = 60, .interval_s = 900, .agents = -1}};
    assert_true(isnan(sl_cost_handled_hours(unknown, 1)));
}

static void test_default_targets(void **state)
{
    (void)state;
    double t[SL_COST_MAX_TARGETS];
    /* 0.80 is already a default; 0.81 is added. */
    assert_int_equal(sl_cost_default_targets(0.80, t), 7);
    const double want[] = {0.70, 0.75, 0.80, 0.81, 0.85, 0.90, 0.95};
    for (int i = 0; i < 7; i++)
        assert_true(t[i] == want[i]);
    /* 0.99 + 0.01 is 1: not a target.  0.995 adds itself only. */
    assert_int_equal(sl_cost_default_targets(0.99, t), 7);
    assert_true(t[6] == 0.99);
    assert_int_equal(sl_cost_default_targets(NAN, t), 6);
    assert_int_equal(sl_cost_default_targets(0.825, t), 8);
    assert_true(t[3] == 0.825 && t[4] == 0.835);
    double u[] = {0.9, 0.8, 0.9, 0.8000000000001};
    assert_int_equal(sl_cost_targets_sort(u, 4), 2);
    assert_true(u[0] == 0.8 && u[1] == 0.9);
}

static void test_targets_parse(void **state)
{
    (void)state;
    double t[SL_COST_MAX_TARGETS];
    size_t n = 0;
    char err[128] = "";
    assert_int_equal(sl_cost_targets_parse("0.9,0.75,.8,0.75", t, &n, err, sizeof err), ST_OK);
    assert_int_equal(n, 3);
    assert_true(t[0] == 0.75 && t[1] == 0.8 && t[2] == 0.9);
    const char *bad[] = {"1", "0", "1.2", "0.8,", ",0.8", "-0.5", "0x0.8", "nan", "8e-1", "0.8 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sl_cost_targets_parse(bad[i], t, &n, err, sizeof err) != ST_ERR_INVALID)
            fail_msg("'%s' accepted", bad[i]);
    }
    assert_int_equal(sl_cost_targets_parse("1.2", t, &n, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "'1.2' is not a service level in (0, 1), e.g. 0.85");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_interval_month),    cmocka_unit_test(test_published_erlang_c),
        cmocka_unit_test(test_undefined_and_refused), cmocka_unit_test(test_default_targets),
        cmocka_unit_test(test_targets_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
