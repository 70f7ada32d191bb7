/*
 * Unit tests for reports/stats.c.
 *
 * Expected values are worked by hand in the comments, or come from the
 * standard Student t table, from closed forms, or from an independent
 * high-precision computation with the mpmath library (40 digits:
 * betainc(df/2, 1/2, 0, x, regularized=True) / 2 solved with findroot),
 * which shares no code with stats.c.  Each literal says which.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "stats.h"
#include "status.h"

/* |got - want| <= tol x |want|, with a message that shows both. */
static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want))) {
        print_error("got %.17g want %.17g (rel tol %g)\n", got, want, tol);
        fail();
    }
}

/* ------------------------------------------------------------------------
 * Percentiles
 * --------------------------------------------------------------------- */

static void test_percentile_rank(void **state)
{
    (void)state;
    /* rank = ceil(p/100 x n) */
    assert_int_equal(stats_percentile_rank(10, 90.0), 9);  /* 9 exactly */
    assert_int_equal(stats_percentile_rank(7, 90.0), 7);   /* ceil(6.3) */
    assert_int_equal(stats_percentile_rank(20, 95.0), 19); /* 19 exactly */
    assert_int_equal(stats_percentile_rank(5, 50.0), 3);   /* ceil(2.5) */
    assert_int_equal(stats_percentile_rank(4, 50.0), 2);   /* 2 exactly */
    assert_int_equal(stats_percentile_rank(3, 100.0), 3);  /* the maximum */
    assert_int_equal(stats_percentile_rank(3, 0.001), 1);  /* ceil(0.00003) */
    assert_int_equal(stats_percentile_rank(1, 50.0), 1);   /* ceil(0.5) */
    /* 99.9 is not exact in binary; 99.9 x 1000 / 100 is 999, not 1000. */
    assert_int_equal(stats_percentile_rank(1000, 99.9), 999);
    /* 64.4 % of 250 is 161 exactly, but 64.4 x 250 / 100 computes as
     * 161.00000000000003; a bare ceil() would say 162. */
    assert_int_equal(stats_percentile_rank(250, 64.4), 161);
    /* 0.1 x 30 / 100 = 0.03 -> 1; 10 x 30 / 100 = 3 exactly */
    assert_int_equal(stats_percentile_rank(30, 0.1), 1);
    assert_int_equal(stats_percentile_rank(30, 10.0), 3);
    /* Undefined: no values, p outside (0, 100]. */
    assert_int_equal(stats_percentile_rank(0, 50.0), 0);
    assert_int_equal(stats_percentile_rank(10, 0.0), 0);
    assert_int_equal(stats_percentile_rank(10, -5.0), 0);
    assert_int_equal(stats_percentile_rank(10, 100.01), 0);
    assert_int_equal(stats_percentile_rank(10, NAN), 0);
}

static void test_percentile_sorted_and_select(void **state)
{
    (void)state;
    /* The classic nearest-rank example {15, 20, 35, 40, 50}:
     * p5 -> rank ceil(0.25) = 1 -> 15; p30 -> ceil(1.5) = 2 -> 20;
     * p40 -> 2 -> 20; p50 -> ceil(2.5) = 3 -> 35; p100 -> 5 -> 50. */
    const double sorted[] = {15, 20, 35, 40, 50};
    const double ps[] = {5, 30, 40, 50, 100};
    const double want[] = {15, 20, 20, 35, 50};
    for (size_t i = 0; i < 5; i++) {
        assert_true(stats_percentile_sorted(sorted, 5, ps[i]) == want[i]);
        double scratch[] = {40, 15, 50, 35, 20}; /* same values, shuffled */
        assert_true(stats_percentile_select(scratch, 5, ps[i]) == want[i]);
    }
    assert_true(isnan(stats_percentile_sorted(sorted, 0, 50.0)));
    assert_true(isnan(stats_percentile_sorted(sorted, 5, 0.0)));
    double one[] = {7.5};
    assert_true(stats_percentile_select(one, 1, 90.0) == 7.5);
    double none[1] = {0};
    assert_true(isnan(stats_percentile_select(none, 0, 90.0)));
    double with_nan[] = {1.0, NAN, 3.0};
    assert_true(isnan(stats_percentile_select(with_nan, 3, 50.0)));
}

static double heavy_dups[10000];

static void test_percentile_select_duplicates(void **state)
{
    (void)state;
    /* v[i] = i mod 7 for i < 10000.  10000 = 7 x 1428 + 4, so 0..3 occur
     * 1429 times and 4..6 1428 times.  Cumulative counts: 0:1429 1:2858
     * 2:4287 3:5716 4:7144 5:8572 6:10000.
     * p50 -> rank 5000 -> 3; p90 -> 9000 -> 6; p85.72 -> 8572 -> 5;
     * p85.73 -> 8573 -> 6; p14.29 -> 1429 -> 0; p14.3 -> 1430 -> 1. */
    const double ps[] = {50, 90, 85.72, 85.73, 14.29, 14.3};
    const double want[] = {3, 6, 5, 6, 0, 1};
    for (size_t k = 0; k < 6; k++) {
        for (size_t i = 0; i < 10000; i++)
            heavy_dups[i] = (double)(i % 7);
        assert_true(stats_percentile_select(heavy_dups, 10000, ps[k]) == want[k]);
        /* the scratch is a permutation: the sum is unchanged
         * (1429 x (0+1+2+3) + 1428 x (4+5+6) = 8574 + 21420 = 29994) */
        double sum = 0;
        for (size_t i = 0; i < 10000; i++)
            sum += heavy_dups[i];
        assert_true(sum == 29994.0);
    }
    /* All equal: the answer is that value. */
    for (size_t i = 0; i < 10000; i++)
        heavy_dups[i] = 4.0;
    assert_true(stats_percentile_select(heavy_dups, 10000, 90.0) == 4.0);
}

static double big[100000];
static double big_copy[100000];

/* A fixed linear congruential generator, so the test is reproducible. */
static uint32_t lcg_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void test_percentile_select_patterns(void **state)
{
    (void)state;
    const size_t n = 100000;
    /* Descending 100000..1: the values are 1..n, so rank k holds k.
     * p50 -> 50000, p90 -> 90000, p99.9 -> 99900, p100 -> 100000. */
    const double ps[] = {50, 90, 99.9, 100, 0.001};
    const double want[] = {50000, 90000, 99900, 100000, 1};
    for (size_t k = 0; k < 5; k++) {
        for (size_t i = 0; i < n; i++)
            big[i] = (double)(n - i);
        assert_true(stats_percentile_select(big, n, ps[k]) == want[k]);
        /* Ascending, and organ pipe (1, 3, 5, ..., 6, 4, 2). */
        for (size_t i = 0; i < n; i++)
            big[i] = (double)(i + 1);
        assert_true(stats_percentile_select(big, n, ps[k]) == want[k]);
        for (size_t i = 0; i < n / 2; i++) {
            big[i] = (double)(2 * i + 1);
            big[n - 1 - i] = (double)(2 * i + 2);
        }
        assert_true(stats_percentile_select(big, n, ps[k]) == want[k]);
    }
    /* Pseudo-random data: quickselect must agree with libc's qsort. */
    uint32_t seed = 12345;
    for (size_t i = 0; i < n; i++)
        big[i] = (double)(lcg_next(&seed) % 5000u);
    memcpy(big_copy, big, sizeof big);
    stats_sort(big_copy, n);
    for (size_t i = 1; i < n; i++)
        assert_true(big_copy[i - 1] <= big_copy[i]);
    const double qs[] = {1, 10, 25, 50, 75, 90, 95, 99, 100};
    for (size_t k = 0; k < 9; k++) {
        double scratch_want = stats_percentile_sorted(big_copy, n, qs[k]);
        memcpy(big, big_copy, sizeof big);
        /* reshuffle deterministically so select sees unsorted input */
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = lcg_next(&seed) % (i + 1);
            double t = big[i];
            big[i] = big[j];
            big[j] = t;
        }
        assert_true(stats_percentile_select(big, n, qs[k]) == scratch_want);
    }
}

/* ------------------------------------------------------------------------
 * Mean and standard deviation
 * --------------------------------------------------------------------- */

static void test_welford(void **state)
{
    (void)state;
    /* {2,4,4,4,5,5,7,9}: sum 40, mean 5; squared deviations
     * 9+1+1+1+0+0+4+16 = 32; sample variance 32/7 = 4.571428571428571,
     * sd = sqrt(32/7) = 2.1380899352993950775. */
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    stats_acc_t a;
    stats_acc_init(&a);
    assert_true(isnan(stats_acc_mean(&a)));
    assert_true(isnan(stats_acc_sd(&a)));
    stats_acc_add(&a, x[0]);
    assert_true(stats_acc_mean(&a) == 2.0);
    assert_true(isnan(stats_acc_sd(&a))); /* n = 1: undefined */
    for (size_t i = 1; i < 8; i++)
        stats_acc_add(&a, x[i]);
    assert_int_equal(a.n, 8);
    assert_rel(stats_acc_mean(&a), 5.0, 1e-15);
    assert_rel(stats_acc_var(&a), 32.0 / 7.0, 1e-14);
    assert_rel(stats_acc_sd(&a), 2.1380899352993950775, 1e-14);
    assert_rel(stats_mean(x, 8), 5.0, 1e-15);
    assert_rel(stats_sd(x, 8), 2.1380899352993950775, 1e-14);
    assert_true(isnan(stats_mean(x, 0)));
    assert_true(isnan(stats_sd(x, 1)));

    /* Large offset, small spread: 1e9 + {4, 7, 13, 16}.  Mean 1e9 + 10,
     * deviations -6 -3 3 6, squares 36+9+9+36 = 90, variance 90/3 = 30.
     * sum(x^2) - n mean^2 would lose everything here (x^2 ~ 1e18). */
    const double off[] = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
    stats_acc_init(&a);
    for (size_t i = 0; i < 4; i++)
        stats_acc_add(&a, off[i]);
    assert_rel(stats_acc_var(&a), 30.0, 1e-12);
    assert_rel(stats_acc_mean(&a), 1e9 + 10, 1e-15);

    /* Constant input: exactly zero spread. */
    const double cst[] = {0.1, 0.1, 0.1};
    assert_true(stats_sd(cst, 3) == 0.0);
}

static void test_welford_merge(void **state)
{
    (void)state;
    /* Split {2,4,4,4 | 5,5,7,9}; the merge must give mean 5, var 32/7. */
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    stats_acc_t a, b, empty;
    stats_acc_init(&a);
    stats_acc_init(&b);
    stats_acc_init(&empty);
    for (size_t i = 0; i < 4; i++)
        stats_acc_add(&a, x[i]);
    for (size_t i = 4; i < 8; i++)
        stats_acc_add(&b, x[i]);
    stats_acc_merge(&a, &empty);
    assert_int_equal(a.n, 4);
    stats_acc_merge(&a, &b);
    assert_int_equal(a.n, 8);
    assert_rel(stats_acc_mean(&a), 5.0, 1e-15);
    assert_rel(stats_acc_var(&a), 32.0 / 7.0, 1e-14);
    /* Into an empty one. */
    stats_acc_merge(&empty, &b);
    assert_int_equal(empty.n, 4);
    /* {5,5,7,9}: mean 6.5, deviations -1.5 -1.5 .5 2.5, squares
     * 2.25+2.25+.25+6.25 = 11, variance 11/3. */
    assert_rel(stats_acc_var(&empty), 11.0 / 3.0, 1e-14);
    /* Self-merge doubles the sample: {5,5,7,9,5,5,7,9}: mean 6.5,
     * squares 2 x 11 = 22, variance 22/7. */
    stats_acc_merge(&empty, &empty);
    assert_int_equal(empty.n, 8);
    assert_rel(stats_acc_mean(&empty), 6.5, 1e-15);
    assert_rel(stats_acc_var(&empty), 22.0 / 7.0, 1e-14);
}

/* ------------------------------------------------------------------------
 * Incomplete beta and Student t
 * --------------------------------------------------------------------- */

static void test_beta_inc_closed_forms(void **state)
{
    (void)state;
    /* I_x(1, b) = 1 - (1-x)^b: I_0.2(1, 3) = 1 - 0.8^3 = 0.488 */
    assert_rel(stats_beta_inc(1, 3, 0.2), 0.488, 1e-13);
    /* I_x(a, 1) = x^a: I_0.9(3, 1) = 0.729 */
    assert_rel(stats_beta_inc(3, 1, 0.9), 0.729, 1e-13);
    /* I_x(2, 2) = 3x^2 - 2x^3: I_0.3 = 0.27 - 0.054 = 0.216 */
    assert_rel(stats_beta_inc(2, 2, 0.3), 0.216, 1e-13);
    /* I_x(1/2, 1/2) = (2/pi) asin(sqrt x): x = 1/4 -> (2/pi)(pi/6) = 1/3 */
    assert_rel(stats_beta_inc(0.5, 0.5, 0.25), 1.0 / 3.0, 1e-13);
    /* symmetry: I_0.5(a, a) = 1/2 */
    assert_rel(stats_beta_inc(7.5, 7.5, 0.5), 0.5, 1e-13);
    assert_true(stats_beta_inc(2, 3, 0.0) == 0.0);
    assert_true(stats_beta_inc(2, 3, 1.0) == 1.0);
    assert_true(isnan(stats_beta_inc(0, 3, 0.5)));
    assert_true(isnan(stats_beta_inc(2, 3, 1.5)));
    assert_true(isnan(stats_beta_inc(2, 3, NAN)));
}

static void test_t_cdf(void **state)
{
    (void)state;
    /* df = 1 (Cauchy): F(t) = 1/2 + atan(t)/pi; F(1) = 3/4. */
    assert_rel(stats_t_cdf(1.0, 1.0), 0.75, 1e-13);
    assert_rel(stats_t_cdf(-1.0, 1.0), 0.25, 1e-13);
    /* df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)); F(1) = 1/2 + 1/(2 sqrt 3)
     * = 0.78867513459481288225. */
    assert_rel(stats_t_cdf(1.0, 2.0), 0.78867513459481288225, 1e-13);
    assert_true(stats_t_cdf(0.0, 5.0) == 0.5);
    /* mpmath, 40 digits: P(T <= -1.96) for df = 1e4 and df = 1e7 (the
     * second in the large-df branch). */
    assert_rel(stats_t_cdf(-1.96, 1e4), 0.025011760115916525, 1e-10);
    assert_rel(stats_t_cdf(-1.96, 1e7), 0.024997909012657096, 1e-10);
    assert_rel(stats_t_cdf(-1.96, 1e9), 0.024997895286864798, 1e-10);
    assert_true(isnan(stats_t_cdf(1.0, 0.0)));
    assert_true(isnan(stats_t_cdf(NAN, 3.0)));
}

static void test_t_quantile_table(void **state)
{
    (void)state;
    /* Standard Student t table, two-sided 95 % (p = 0.975), 12 digits.
     * (The brief quoted 2.57058183661 for df = 5 and 2.13184678134 for
     * t(0.95, 4); both are typos in the 9th decimal: the df = 4 closed
     * form below and 50-digit quadrature of the df = 5 density give
     * 2.570581835636 and 2.131846786327.) */
    const struct {
        double p, df, t;
    } table[] = {
        {0.975, 1, 12.7062047362},   {0.975, 2, 4.30265272975},  {0.975, 3, 3.18244630528},
        {0.975, 5, 2.57058183564},   {0.975, 10, 2.22813885199}, {0.975, 30, 2.04227245630},
        {0.975, 100, 1.98397151852}, {0.95, 4, 2.13184678633},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        assert_rel(stats_t_quantile(table[i].p, table[i].df), table[i].t, 1e-9);
        /* symmetry: t(1 - p) = -t(p) */
        assert_rel(stats_t_quantile(1.0 - table[i].p, table[i].df), -table[i].t, 1e-9);
    }
    /* df = 4 closed form for t(0.95, 4): alpha = 4p(1-p) = 0.19,
     * q = cos(acos(sqrt(alpha))/3) / sqrt(alpha), t = 2 sqrt(q - 1)
     * = 2.1318467863266503 (evaluated at 50 digits). */
    assert_rel(stats_t_quantile(0.95, 4), 2.1318467863266503, 1e-11);
}

static void test_t_quantile_closed_forms_and_more(void **state)
{
    (void)state;
    /* df = 1: t = tan(pi (p - 1/2)); p = 0.75 -> tan(pi/4) = 1. */
    assert_rel(stats_t_quantile(0.75, 1), 1.0, 1e-12);
    /* df = 2: t = (2p - 1) / sqrt(2p(1-p)); p = 0.9 -> 0.8 / sqrt(0.18)
     * = 1.8856180831641267317. */
    assert_rel(stats_t_quantile(0.9, 2), 1.8856180831641267317, 1e-12);
    /* Close to the centre the relative accuracy must hold too:
     * df = 1, p = 1/2 + 2^-30 -> tan(pi 2^-30) = 2.9258361585343193705e-9. */
    assert_rel(stats_t_quantile(0.5 + 0x1p-30, 1), 2.9258361585343193705e-9, 1e-9);
    /* Far tail, df = 1: p = 1 - 2^-30 -> 1/tan(pi 2^-30)
     * = 1 / 2.9258361585343193705e-9 = 341782637.7... (checked as a
     * product to avoid writing a rounded reciprocal). */
    assert_rel(stats_t_quantile(1.0 - 0x1p-30, 1) * 2.9258361585343193705e-9, 1.0, 1e-9);
    /* Real df, mpmath at 40 digits. */
    assert_rel(stats_t_quantile(0.975, 1.5), 6.0166631044279319219, 1e-10);
    assert_rel(stats_t_quantile(0.975, 2.5), 3.5746548420036832185, 1e-10);
    assert_rel(stats_t_quantile(0.6, 7), 0.26316686135202275215, 1e-10);
    assert_rel(stats_t_quantile(0.9999, 3), 22.203742273205002038, 1e-10);
    /* Large df, below and above the 1e5 switch, mpmath at 40 digits. */
    assert_rel(stats_t_quantile(0.975, 1000), 1.962339080826408485, 1e-10);
    assert_rel(stats_t_quantile(0.975, 1e6), 1.9599663568141070353, 1e-10);
    assert_rel(stats_t_quantile(0.975, 999999), 1.9599663568164793145, 1e-10);
    assert_rel(stats_t_quantile(0.975, 1e9), 1.9599639869123255, 1e-10);
    /* Just below the 1e5 switch the Gamma ratio must not come from two
     * huge lgamma values: that alone costs 5e-11 at p = 0.6 and 9e-11 at
     * p = 0.9, inside the promised 1e-9 but far from the 1e-15 reached
     * here, so these two hold the implementation to 1e-11.  mpmath. */
    assert_rel(stats_t_quantile(0.6, 99999), 0.2533477771639201774056537, 1e-11);
    assert_rel(stats_t_quantile(0.9, 99999), 1.281560031534021605715655, 1e-11);
    assert_rel(stats_t_cdf(-1.959987707771844399143218, 99999), 0.025, 1e-10);
    assert_rel(stats_t_cdf(-2.053754268757860838863899, 500000), 0.02, 1e-10);
    assert_true(stats_t_quantile(0.5, 3) == 0.0);
    /* Outside the domain. */
    assert_true(isnan(stats_t_quantile(0.0, 3)));
    assert_true(isnan(stats_t_quantile(1.0, 3)));
    assert_true(isnan(stats_t_quantile(0.975, 0.5)));
    assert_true(isnan(stats_t_quantile(0.975, INFINITY)));
    assert_true(isnan(stats_t_quantile(NAN, 3)));
}

/* ------------------------------------------------------------------------
 * QA sampling precision
 * --------------------------------------------------------------------- */

static void test_qa_precision_worked(void **state)
{
    (void)state;
    stats_precision_t r;
    /*
     * s = 10, precision 5 (ratio s/P = 2), n = 5.
     * Half-width: t(0.975, 4) = 2.776445 (table), hw = 2.776445 x 10 /
     * sqrt(5) = 27.76445 / 2.236068 = 12.41664 > 5 -> flagged.
     * needed n, the spec's iteration:
     *   n0 = ceil((1.96 x 2)^2) = ceil(15.3664) = 16
     *   t(0.975, 15) = 2.131450 -> (4.262899)^2 = 18.1723 -> 19
     *   t(0.975, 18) = 2.100922 -> (4.201844)^2 = 17.6555 -> 18
     *   t(0.975, 17) = 2.109816 -> (4.219631)^2 = 17.8053 -> 18 (fixed point)
     * Check: hw(18) = 2.109816 x 10 / 4.242641 = 4.97288 <= 5 and
     *        hw(17) = 2.119905 x 10 / 4.123106 = 5.14153 > 5, so 18.
     */
    assert_int_equal(stats_qa_precision(5, 10.0, 5.0, &r), ST_OK);
    assert_rel(r.half_width, 12.4166399820376, 1e-9);
    assert_true(r.flagged);
    assert_int_equal(r.needed_n, 18);
    /* n = 18 meets it (hw 4.97288); n = 17 does not (hw 5.14153). */
    assert_int_equal(stats_qa_precision(18, 10.0, 5.0, &r), ST_OK);
    assert_rel(r.half_width, 4.97288300712984, 1e-9);
    assert_false(r.flagged);
    assert_int_equal(r.needed_n, 18);
    assert_int_equal(stats_qa_precision(17, 10.0, 5.0, &r), ST_OK);
    assert_rel(r.half_width, 5.14152556764461, 1e-9);
    assert_true(r.flagged);
    assert_int_equal(r.needed_n, 18);
}

static void test_qa_precision_two_cycles(void **state)
{
    (void)state;
    stats_precision_t r;
    /*
     * s = 10.07, precision 5 (ratio 2.014): the iteration never settles.
     *   n0 = ceil((1.96 x 2.014)^2) = ceil(15.5823) = 16
     *   t(0.975, 15) = 2.131450 -> (4.292740)^2 = 18.4276 -> 19
     *   t(0.975, 18) = 2.100922 -> (4.231257)^2 = 17.9035 -> 18
     *   t(0.975, 17) = 2.109816 -> (4.249169)^2 = 18.0554 -> 19
     *   ... 19, 18, 19: a two-cycle.
     * The smallest n with hw(n) <= 5:
     *   hw(18) = 2.109816 x 10.07 / 4.242641 = 5.00769 > 5
     *   hw(19) = 2.100922 x 10.07 / 4.358899 = 4.85358 <= 5  -> 19.
     */
    assert_int_equal(stats_qa_precision(10, 10.07, 5.0, &r), ST_OK);
    assert_true(r.flagged);
    assert_int_equal(r.needed_n, 19);
    /*
     * s = 1, precision 5 (ratio 0.2): 1.96 x 0.2 = 0.392, squared 0.154
     * -> max(2, 1) = 2; t(0.975, 1) = 12.7062 -> (2.54124)^2 = 6.458 -> 7;
     * t(0.975, 6) = 2.446912 -> (0.489382)^2 = 0.2395 -> 2; cycle 2, 7, 2.
     * hw(2) = 12.7062 / 1.414214 = 8.985 > 5, hw(3) = 4.302653 / 1.732051
     * = 2.484 <= 5 -> 3.
     */
    assert_int_equal(stats_qa_precision(2, 1.0, 5.0, &r), ST_OK);
    assert_rel(r.half_width, 12.7062047362 / sqrt(2.0), 1e-9);
    assert_true(r.flagged);
    assert_int_equal(r.needed_n, 3);
    /*
     * s = 3.65, precision 5 (ratio 0.73): (1.96 x 0.73)^2 = 2.0472 -> 3;
     * t(0.975, 2) = 4.302653 -> (3.140937)^2 = 9.8655 -> 10;
     * t(0.975, 9) = 2.262157 -> (1.651375)^2 = 2.7270 -> 3: cycle 3, 10.
     * hw(4) = 3.182446 x 3.65 / 2 = 5.808 > 5; hw(5) = 2.776445 x 3.65 /
     * 2.236068 = 4.532 <= 5 -> 5.  (n = 5 itself is then not flagged.)
     */
    assert_int_equal(stats_qa_precision(4, 3.65, 5.0, &r), ST_OK);
    assert_true(r.flagged);
    assert_int_equal(r.needed_n, 5);
    assert_int_equal(stats_qa_precision(5, 3.65, 5.0, &r), ST_OK);
    assert_false(r.flagged);
    assert_int_equal(r.needed_n, 5);
}

static void test_qa_precision_edges(void **state)
{
    (void)state;
    stats_precision_t r;
    /* s = 0: hw = 0, not flagged for n >= 2, needed n = 2. */
    assert_int_equal(stats_qa_precision(5, 0.0, 5.0, &r), ST_OK);
    assert_true(r.half_width == 0.0);
    assert_false(r.flagged);
    assert_int_equal(r.needed_n, 2);
    /* n < 2 is always flagged; hw undefined; needed n unknown without s. */
    assert_int_equal(stats_qa_precision(1, NAN, 5.0, &r), ST_OK);
    assert_true(isnan(r.half_width));
    assert_true(r.flagged);
    assert_int_equal(r.needed_n, 0);
    assert_int_equal(stats_qa_precision(0, NAN, 5.0, &r), ST_OK);
    assert_true(r.flagged);
    /* n = 1 with a known s (from elsewhere) still flags but sizes. */
    assert_int_equal(stats_qa_precision(1, 10.0, 5.0, &r), ST_OK);
    assert_true(r.flagged);
    assert_int_equal(r.needed_n, 18);
    /*
     * A large answer crosses into the large-df branch: s = 70, precision
     * 0.1 (ratio 700).  mpmath (40 digits) bisection on hw(n) <= 0.1:
     * hw(1882318) = 0.0999999798883 and hw(1882317) = 0.1000000064514,
     * so 1882318.
     */
    assert_int_equal(stats_qa_precision(50, 70.0, 0.1, &r), ST_OK);
    assert_true(r.flagged);
    assert_int_equal(r.needed_n, 1882318);
    /* Beyond the cap: saturates. (1.96 x 70000)^2 = 1.88e10 > 1e9. */
    assert_int_equal(stats_qa_precision(50, 70.0, 0.001, &r), ST_OK);
    assert_int_equal(r.needed_n, STATS_NEEDED_N_MAX);
    /* Invalid input leaves *out alone. */
    memset(&r, 0, sizeof r);
    r.needed_n = 42;
    assert_int_equal(stats_qa_precision(5, 10.0, 0.0, &r), ST_ERR_INVALID);
    assert_int_equal(stats_qa_precision(5, -1.0, 5.0, &r), ST_ERR_INVALID);
    assert_int_equal(stats_qa_precision(5, NAN, 5.0, &r), ST_ERR_INVALID);
    assert_int_equal(stats_qa_precision(5, 10.0, NAN, &r), ST_ERR_INVALID);
    assert_int_equal(stats_qa_precision(5, 10.0, 5.0, NULL), ST_ERR_INVALID);
    assert_int_equal(r.needed_n, 42);
}

/* ------------------------------------------------------------------------
 * Correlation
 * --------------------------------------------------------------------- */

static void test_pearson(void **state)
{
    (void)state;
    /*
     * x = 1..5, y = 2,4,5,4,5.  Means 3 and 4.  Deviations
     * dx = -2,-1,0,1,2; dy = -2,0,1,0,1.
     * Sxy = 4+0+0+0+2 = 6, Sxx = 4+1+0+1+4 = 10, Syy = 4+0+1+0+1 = 6.
     * r = 6 / sqrt(60) = 0.77459666924148337704.
     */
    const double x[] = {1, 2, 3, 4, 5};
    const double y[] = {2, 4, 5, 4, 5};
    stats_corr_t c = stats_pearson(x, y, 5);
    assert_int_equal(c.n, 5);
    assert_rel(c.r, 0.77459666924148337704, 1e-12);
    /* Same data shifted by 1e9 (two-pass deviations keep the digits). */
    const double xo[] = {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5};
    assert_rel(stats_pearson(xo, y, 5).r, 0.77459666924148337704, 1e-9);
    /* Perfect negative: y = 8 - 2x. */
    const double yn[] = {6, 4, 2};
    assert_rel(stats_pearson(x, yn, 3).r, -1.0, 1e-15);
    /*
     * x = 1..4, y = x^2 = 1,4,9,16: means 2.5, 7.5;
     * dx = -1.5,-.5,.5,1.5; dy = -6.5,-3.5,1.5,8.5;
     * Sxy = 9.75+1.75+.75+12.75 = 25, Sxx = 5, Syy = 42.25+12.25+2.25+72.25
     * = 129; r = 25 / sqrt(645) = 0.98437403869769721994.
     */
    const double sq[] = {1, 4, 9, 16};
    assert_rel(stats_pearson(x, sq, 4).r, 0.98437403869769721994, 1e-12);
    /* Undefined: n < 2, a constant side (even one whose mean rounds), NAN. */
    assert_true(isnan(stats_pearson(x, y, 1).r));
    assert_int_equal(stats_pearson(x, y, 1).n, 1);
    assert_true(isnan(stats_pearson(x, y, 0).r));
    const double cst[] = {0.1, 0.1, 0.1};
    assert_true(isnan(stats_pearson(cst, x, 3).r));
    assert_true(isnan(stats_pearson(x, cst, 3).r));
    const double withnan[] = {1, NAN, 3};
    assert_true(isnan(stats_pearson(withnan, x, 3).r));
}

static void test_rank_average(void **state)
{
    (void)state;
    /* {10, 20, 20, 5, 20}: ascending 5 (rank 1), 10 (2), then the three
     * 20s share ranks 3, 4, 5 -> 4.  Ranks in input order: 2, 4, 4, 1, 4. */
    const double v[] = {10, 20, 20, 5, 20};
    stats_rank_item_t work[5];
    double rk[5];
    assert_int_equal(stats_rank_average(v, 5, work, rk), ST_OK);
    const double want[] = {2, 4, 4, 1, 4};
    for (size_t i = 0; i < 5; i++)
        assert_true(rk[i] == want[i]);
    const double bad[] = {1, NAN};
    assert_int_equal(stats_rank_average(bad, 2, work, rk), ST_ERR_INVALID);
}

static void test_spearman(void **state)
{
    (void)state;
    stats_rank_item_t work[5];
    double rx[5], ry[5];
    /*
     * x = 1..5, y = 2,4,5,4,5.  Ranks: rx = 1,2,3,4,5; y: 2 -> 1, the two
     * 4s share 2,3 -> 2.5, the two 5s share 4,5 -> 4.5: ry = 1,2.5,4.5,2.5,4.5.
     * Both means 3.  dx = -2,-1,0,1,2; dy = -2,-.5,1.5,-.5,1.5.
     * Sxy = 4 + .5 + 0 - .5 + 3 = 7; Sxx = 10; Syy = 4+.25+2.25+.25+2.25 = 9.
     * rho = 7 / sqrt(90) = 0.73786478737262184413.
     */
    const double x[] = {1, 2, 3, 4, 5};
    const double y[] = {2, 4, 5, 4, 5};
    stats_corr_t c = stats_spearman(x, y, 5, work, rx, ry);
    assert_int_equal(c.n, 5);
    assert_rel(c.r, 0.73786478737262184413, 1e-12);
    assert_true(ry[1] == 2.5 && ry[2] == 4.5);
    /*
     * Ties on both sides: x = 1,2,2,3 -> 1,2.5,2.5,4; y = 1,3,2,4 -> 1,3,2,4.
     * Means 2.5.  dx = -1.5,0,0,1.5; dy = -1.5,.5,-.5,1.5.
     * Sxy = 2.25+0+0+2.25 = 4.5; Sxx = 4.5; Syy = 2.25+.25+.25+2.25 = 5.
     * rho = 4.5 / sqrt(22.5) = sqrt(0.9) = 0.9486832980505137996.
     */
    const double x2[] = {1, 2, 2, 3};
    const double y2[] = {1, 3, 2, 4};
    assert_rel(stats_spearman(x2, y2, 4, work, rx, ry).r, 0.9486832980505137996, 1e-12);
    /* Monotone but not linear: x^2 against x gives rho = 1 exactly. */
    const double sq[] = {1, 4, 9, 16};
    assert_rel(stats_spearman(x, sq, 4, work, rx, ry).r, 1.0, 1e-15);
    /* Undefined: constant side, n < 2, NAN. */
    const double cst[] = {3, 3, 3, 3};
    assert_true(isnan(stats_spearman(x, cst, 4, work, rx, ry).r));
    assert_true(isnan(stats_spearman(x, y, 1, work, rx, ry).r));
    const double withnan[] = {1, 2, NAN, 4};
    assert_true(isnan(stats_spearman(withnan, x, 4, work, rx, ry).r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentile_rank),
        cmocka_unit_test(test_percentile_sorted_and_select),
        cmocka_unit_test(test_percentile_select_duplicates),
        cmocka_unit_test(test_percentile_select_patterns),
        cmocka_unit_test(test_welford),
        cmocka_unit_test(test_welford_merge),
        cmocka_unit_test(test_beta_inc_closed_forms),
        cmocka_unit_test(test_t_cdf),
        cmocka_unit_test(test_t_quantile_table),
        cmocka_unit_test(test_t_quantile_closed_forms_and_more),
        cmocka_unit_test(test_qa_precision_worked),
        cmocka_unit_test(test_qa_precision_two_cycles),
        cmocka_unit_test(test_qa_precision_edges),
        cmocka_unit_test(test_pearson),
        cmocka_unit_test(test_rank_average),
        cmocka_unit_test(test_spearman),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
