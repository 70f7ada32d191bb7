/* test_gfmt.c - gfmt17() against the C library's "%.17g", value for value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gfmt.h"

/* gfmt17(v) must be printf's "%.17g" of v, byte for byte. */
static void same_as_printf(double v)
{
    char want[64], got[GFMT_MAX];
    snprintf(want, sizeof want, "%.17g", v);
    size_t n = gfmt17(v, got);
    if (strcmp(want, got) != 0 || n != strlen(want))
        fail_msg("%a: printf \"%s\", gfmt17 \"%s\" (%zu)", v, want, got, n);
}

/* A small, fixed pseudo-random sequence (xorshift64*), so a failure repeats. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* Hand-picked values: printf's text written out by hand. */
static void test_known_values(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "0.10000000000000001"},
        {42, "42"},
        {-2.5, "-2.5"},
        {0.5, "0.5"},
        {46296.5, "46296.5"}, /* noon on 2026-10-01, as an Excel serial */
        {1e16, "10000000000000000"},
        {0.001, "0.001"},
        {0.0001, "0.0001"},
        {1.0 / 3, "0.33333333333333331"},
        {0.99999999999999989, "0.99999999999999989"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[GFMT_MAX];
        gfmt17(cases[i].v, got);
        assert_string_equal(got, cases[i].text);
        same_as_printf(cases[i].v);
    }
}

/* Zero, signs, NaN, infinities, the extremes: the fallback and the edges of the fast path. */
static void test_edges(void **state)
{
    (void)state;
    const double v[] = {0.0,
                        -0.0,
                        NAN,
                        INFINITY,
                        -INFINITY,
                        1e-300,
                        5e-324,
                        1.7976931348623157e308,
                        9007199254740992.0, /* 2^53 */
                        9007199254740991.0,
                        1e17,
                        99999999999999999.0,
                        0.00390625, /* 2^-8: the last exponent of the fast path */
                        0.0039062499999999996,
                        0.000123,
                        0.00001,
                        9.9999999999999982,
                        99999.999999999985,
                        1};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        same_as_printf(v[i]);
        same_as_printf(-v[i]);
    }
}

/* Exact ties at the 18th digit: n + 0.25 and n + 0.75 with 16-digit n round to even. */
static void test_ties(void **state)
{
    (void)state;
    for (double n = 1000000000000000.0; n < 1000000000000200.0; n++) {
        same_as_printf(n + 0.25);
        same_as_printf(n + 0.75);
        same_as_printf(n + 0.125);
        same_as_printf(-(n + 0.375));
    }
}

/* Excel serial dates to the microsecond and second (the Evidence column), rates, sums. */
static void test_serials_and_ratios(void **state)
{
    (void)state;
    uint64_t s = 17;
    for (int i = 0; i < 300000; i++) {
        uint64_t r = next_rand(&s);
        double day = 40000 + (double)(r % 30000);
        same_as_printf(day + (double)(r % 86400) / 86400.0);
        same_as_printf(day + (double)(r % 86400000000ULL) / 86400e6);
        same_as_printf((double)(r % 1000) / (double)(1 + r % 997));
        same_as_printf((double)(r % 100000) / 100.0);
    }
}

/* Random bit patterns and log-uniform magnitudes across the whole range. */
static void test_random(void **state)
{
    (void)state;
    uint64_t s = 5;
    for (int i = 0; i < 400000; i++) {
        uint64_t r = next_rand(&s);
        double v;
        memcpy(&v, &r, sizeof v);
        same_as_printf(v);
        double mag = ldexp(1.0 + (double)(r >> 11) / 9007199254740992.0, (int)(r % 80) - 20);
        same_as_printf(mag);
        same_as_printf(-mag);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values), cmocka_unit_test(test_edges),
        cmocka_unit_test(test_ties),         cmocka_unit_test(test_serials_and_ratios),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
