/* Unit tests for lib/jsonutil.c: JSON numbers written in the shortest form
 * that reads back as the same double, and nothing else changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"

/* The text jsonutil_dumps writes for one value (compact, array of one). */
static void expect_dump(json_t *v, const char *want)
{
    json_t *a = json_pack("[o]", v);
    char *got = jsonutil_dumps(a, JSON_COMPACT);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    json_decref(a);
}

static void test_reals_take_the_shortest_round_trip_form(void **state)
{
    (void)state;
    expect_dump(json_real(0.8), "[0.8]"); /* jansson alone: 0.80000000000000004 */
    expect_dump(json_real(0.1 + 0.2), "[0.30000000000000004]"); /* needs all 17 digits */
    expect_dump(json_real(1e-7), "[1e-7]");
    expect_dump(json_real(123456789.125), "[123456789.125]");
    expect_dump(json_real(2.0 / 3.0), "[0.6666666666666666]"); /* 16 digits */
    expect_dump(json_real(5.0), "[5.0]");                      /* still a real */
    expect_dump(json_real(-0.0), "[-0.0]");
    expect_dump(json_real(1e21), "[1e21]");
    expect_dump(json_real(-2.5e-300), "[-2.5e-300]");
}

static void test_each_form_reads_back_as_the_same_double(void **state)
{
    (void)state;
    const double v[] = {0.8,     0.1 + 0.2, 1e-7,  123456789.125,           1.0 / 3.0,
                        0.95,    85.5,      1e300, 4.9406564584124654e-324, 1.7976931348623157e308,
                        0.1 * 3, 100.0 / 7};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[JSONUTIL_REAL_MAX];
        jsonutil_format_real(v[i], out);
        assert_true(strtod(out, NULL) == v[i]);
        assert_true(strchr(out, '.') || strchr(out, 'e'));
    }
}

static void test_integers_strings_and_keys_are_untouched(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:I, s:s, s:f, s:[i, f], s:n, s:b}", "count", (json_int_t)-12345678901,
                          "text 0.80000000000000004", "value 1.10000000000000009 \"\\\" 2.5", "0.8",
                          0.8, "list", 7, 0.1, "none", "yes", 1);
    char *got = jsonutil_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(got, "{\"0.8\":0.8,\"count\":-12345678901,\"list\":[7,0.1],\"none\":null,"
                             "\"text 0.80000000000000004\":\"value 1.10000000000000009 "
                             "\\\"\\\\\\\" 2.5\",\"yes\":true}");
    free(got);
    json_decref(o);
}

static void test_non_finite_numbers_are_null(void **state)
{
    (void)state;
    char out[JSONUTIL_REAL_MAX];
    assert_string_equal(jsonutil_format_real(NAN, out), "null");
    assert_string_equal(jsonutil_format_real(INFINITY, out), "null");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reals_take_the_shortest_round_trip_form),
        cmocka_unit_test(test_each_form_reads_back_as_the_same_double),
        cmocka_unit_test(test_integers_strings_and_keys_are_untouched),
        cmocka_unit_test(test_non_finite_numbers_are_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
