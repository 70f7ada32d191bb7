/*
 * Unit tests for reports/erlang.c.
 *
 * Where the expected numbers come from: small cases are worked by hand
 * below.  The others were computed OUTSIDE this code with the explicit
 * Erlang C formula in exact rational arithmetic (Python's fractions and
 * math.factorial), the exponential in 50-digit decimal arithmetic:
 *
 *   C(N, A) = (A^N/N! x N/(N-A)) / (sum_{k=0}^{N-1} A^k/k! + A^N/N! x N/(N-A))
 *   B(N, A) = (A^N/N!) / sum_{k=0}^{N} A^k/k!
 *   SL      = 1 - C x exp(-(N - A) T / h),   ASA = C h / (N - A)
 *
 * i.e. with factorials and powers, not the recursion under test.  The
 * results were pasted here as literals (truncated to 17+ digits).  The
 * classic example (100 calls per 30 minutes, AHT 180 s, 80 % in 20 s ->
 * 14 agents at 88.8 %) is the one published in call-centre planning
 * guides; the exact computation reproduces it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "erlang.h"
#include "status.h"

/* |got - want| <= tol x |want|, with a message that shows both. */
static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want))) {
        print_error("got %.17g want %.17g (rel tol %g)\n", got, want, tol);
        fail();
    }
}

static void test_small_cases_by_hand(void **state)
{
    (void)state;
    /* A = 1, N = 1: B(1) = A / (1 + A) = 1/2. */
    assert_rel(erlang_b(1, 1.0), 0.5, 1e-15);
    /* A = 1, N = 2: B(2) = (A^2/2) / (1 + A + A^2/2) = 0.5 / 2.5 = 1/5. */
    assert_rel(erlang_b(2, 1.0), 0.2, 1e-15);
    /* C(2, 1) = (A^2/2! x 2/(2-1)) / (1 + A + 1) = 1 / 3; by the B form:
     * 2 x 0.2 / (2 - 1 x 0.8) = 0.4 / 1.2 = 1/3. */
    assert_rel(erlang_c(2, 1.0), 1.0 / 3.0, 1e-15);
    /* A = 2, N = 2 is not stable: every call waits. */
    assert_true(erlang_c(2, 2.0) == 1.0);
    assert_true(erlang_c(1, 2.5) == 1.0);
    /* No traffic: nobody waits. */
    assert_true(erlang_c(3, 0.0) == 0.0);
    assert_true(erlang_b(0, 3.0) == 1.0);
    /* SL for C(2,1) = 1/3, T = h = 60 s: 1 - exp(-(2-1) x 60/60) / 3
     * = 1 - 0.36787944117144233 / 3 = 0.87737351960951922. */
    assert_rel(erlang_service_level(2, 1.0, 60.0, 60.0), 0.87737351960951922, 1e-13);
    /* T = 0: SL = 1 - C = 2/3.  ASA = C h / (N - A) = 60 / 3 = 20 s. */
    assert_rel(erlang_service_level(2, 1.0, 60.0, 0.0), 2.0 / 3.0, 1e-15);
    assert_rel(erlang_asa(2, 1.0, 60.0), 20.0, 1e-15);
}

static void test_classic_example_values(void **state)
{
    (void)state;
    /* A = 10 erlangs (100 calls / 1800 s x 180 s), exact computation. */
    static const struct {
        unsigned n;
        double c, sl, asa;
    } rows[] = {
        {11, 0.68211820468933237413, 0.38961381172915337724, 122.781276844079827343},
        {12, 0.44938822429827086858, 0.64015804037400657413, 40.4449401868443781722},
        {13, 0.28527045303649293633, 0.79559478841778311910, 17.1162271821895761803},
        {14, 0.17413193359504984264, 0.88835001917946688424, 7.83593701177724291901},
        {15, 0.10204236700798800613, 0.94145284286902232566, 3.67352521228756822093},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_rel(erlang_c(rows[i].n, 10.0), rows[i].c, 1e-13);
        assert_rel(erlang_service_level(rows[i].n, 10.0, 180.0, 20.0), rows[i].sl, 1e-13);
        assert_rel(erlang_asa(rows[i].n, 10.0, 180.0), rows[i].asa, 1e-13);
    }
    /* B(10, 10) exactly: 0.21458234310734734062. */
    assert_rel(erlang_b(10, 10.0), 0.21458234310734734062, 1e-13);
    /* The spec's edge: SL(13) < 0.8 <= SL(14). */
    assert_true(erlang_service_level(13, 10.0, 180.0, 20.0) < 0.8);
    assert_true(erlang_service_level(14, 10.0, 180.0, 20.0) >= 0.8);
}

static void test_classic_example_agents(void **state)
{
    (void)state;
    unsigned n = 999;
    assert_int_equal(erlang_required_agents(100.0, 1800.0, 180.0, 20.0, 0.8, &n), ST_OK);
    assert_int_equal(n, 14);
    n = 999;
    assert_int_equal(erlang_agents_for_traffic(10.0, 180.0, 20.0, 0.8, &n), ST_OK);
    assert_int_equal(n, 14);
    /* 0.7956 (SL(13)) is enough for a 79 % target, and 0.8884 is not
     * enough for 90 %, which needs 15 (0.9415). */
    assert_int_equal(erlang_agents_for_traffic(10.0, 180.0, 20.0, 0.79, &n), ST_OK);
    assert_int_equal(n, 13);
    assert_int_equal(erlang_agents_for_traffic(10.0, 180.0, 20.0, 0.9, &n), ST_OK);
    assert_int_equal(n, 15);
    /* Target 0 still needs a stable queue: the smallest N > A = 10 is 11. */
    assert_int_equal(erlang_agents_for_traffic(10.0, 180.0, 20.0, 0.0, &n), ST_OK);
    assert_int_equal(n, 11);
}

static void test_fractional_traffic(void **state)
{
    (void)state;
    /* 15 calls per 900 s, AHT 150 s: A = 2.5.  90 % in 15 s.  Exact:
     * SL(5) = 0.898466731451892356 < 0.9 <= SL(6) = 0.966566205927626097,
     * C(6, 2.5) = 0.047444812194455409. */
    unsigned n = 0;
    assert_int_equal(erlang_required_agents(15.0, 900.0, 150.0, 15.0, 0.9, &n), ST_OK);
    assert_int_equal(n, 6);
    assert_rel(erlang_c(6, 2.5), 0.047444812194455409, 1e-13);
    assert_rel(erlang_service_level(5, 2.5, 150.0, 15.0), 0.898466731451892356, 1e-13);
    assert_rel(erlang_service_level(6, 2.5, 150.0, 15.0), 0.966566205927626097, 1e-13);
}

static void test_large_traffic(void **state)
{
    (void)state;
    /* A = 500 (5000 calls per 1800 s at 180 s): 500^520 / 520! would
     * overflow a double; the recursion must not.  Exact values:
     * C(520, 500) = 0.27475634469652412384, B(520, 500) = 0.01436177054418375289,
     * C(509, 500) = 0.58649439519017215998, C(510, 500) = 0.55021071276230147150,
     * SL(509) = 0.78424076964725641637 < 0.8 <= SL(510) = 0.81887449154186065073. */
    assert_rel(erlang_c(520, 500.0), 0.27475634469652412384, 1e-12);
    assert_rel(erlang_b(520, 500.0), 0.01436177054418375289, 1e-12);
    assert_rel(erlang_c(509, 500.0), 0.58649439519017215998, 1e-12);
    assert_rel(erlang_c(510, 500.0), 0.55021071276230147150, 1e-12);
    assert_rel(erlang_service_level(510, 500.0, 180.0, 20.0), 0.81887449154186065073, 1e-12);
    assert_rel(erlang_service_level(509, 500.0, 180.0, 20.0), 0.78424076964725641637, 1e-12);
    unsigned n = 0;
    assert_int_equal(erlang_required_agents(5000.0, 1800.0, 180.0, 20.0, 0.8, &n), ST_OK);
    assert_int_equal(n, 510);
    /* Thousands of erlangs: finite, in (0, 1), no NAN. */
    double c = erlang_c(5100, 5000.0);
    assert_false(isnan(c));
    assert_true(c > 0.0 && c < 1.0);
    assert_int_equal(erlang_agents_for_traffic(5000.0, 300.0, 20.0, 0.95, &n), ST_OK);
    assert_true(n > 5000 && n < 5300);
    /* Minimality, checked against the SL function itself. */
    assert_true(erlang_service_level(n, 5000.0, 300.0, 20.0) >= 0.95);
    assert_true(erlang_service_level(n - 1, 5000.0, 300.0, 20.0) < 0.95);
}

static void test_edges_and_errors(void **state)
{
    (void)state;
    unsigned n = 77;
    /* Nothing offered, or nothing takes time: no agents. */
    assert_int_equal(erlang_required_agents(0.0, 1800.0, 180.0, 20.0, 0.8, &n), ST_OK);
    assert_int_equal(n, 0);
    n = 77;
    assert_int_equal(erlang_required_agents(100.0, 1800.0, 0.0, 20.0, 0.8, &n), ST_OK);
    assert_int_equal(n, 0);
    n = 77;
    assert_int_equal(erlang_agents_for_traffic(0.0, 180.0, 20.0, 0.8, &n), ST_OK);
    assert_int_equal(n, 0);
    /* A target of 100 % is never reached: rejected, *agents untouched. */
    n = 77;
    assert_int_equal(erlang_required_agents(100.0, 1800.0, 180.0, 20.0, 1.0, &n), ST_ERR_INVALID);
    assert_int_equal(erlang_agents_for_traffic(10.0, 180.0, 20.0, 1.5, &n), ST_ERR_INVALID);
    assert_int_equal(n, 77);
    assert_int_equal(erlang_agents_for_traffic(10.0, 180.0, 20.0, -0.1, &n), ST_ERR_INVALID);
    assert_int_equal(erlang_agents_for_traffic(10.0, 180.0, 20.0, NAN, &n), ST_ERR_INVALID);
    assert_int_equal(erlang_required_agents(-1.0, 1800.0, 180.0, 20.0, 0.8, &n), ST_ERR_INVALID);
    assert_int_equal(erlang_required_agents(100.0, 0.0, 180.0, 20.0, 0.8, &n), ST_ERR_INVALID);
    assert_int_equal(erlang_required_agents(100.0, 1800.0, -5.0, 20.0, 0.8, &n), ST_ERR_INVALID);
    assert_int_equal(erlang_required_agents(100.0, 1800.0, 180.0, -1.0, 0.8, &n), ST_ERR_INVALID);
    assert_int_equal(erlang_required_agents(100.0, 1800.0, 180.0, 20.0, 0.8, NULL), ST_ERR_INVALID);
    assert_int_equal(n, 77);
    /* Too much traffic for the agent cap. */
    assert_int_equal(erlang_agents_for_traffic(2e6, 180.0, 20.0, 0.8, &n), ST_ERR_TOO_LARGE);
    /* Value functions: NAN for invalid input, documented edges otherwise. */
    assert_true(isnan(erlang_b(3, -1.0)));
    assert_true(isnan(erlang_c(3, NAN)));
    assert_true(isnan(erlang_service_level(14, 10.0, 0.0, 20.0)));
    assert_true(isnan(erlang_service_level(14, 10.0, 180.0, -1.0)));
    assert_true(erlang_service_level(10, 10.0, 180.0, 20.0) == 0.0);
    assert_true(isnan(erlang_asa(10, 10.0, 180.0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_cases_by_hand),
        cmocka_unit_test(test_classic_example_values),
        cmocka_unit_test(test_classic_example_agents),
        cmocka_unit_test(test_fractional_traffic),
        cmocka_unit_test(test_large_traffic),
        cmocka_unit_test(test_edges_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
