/* Unit tests for lib/idnum.c: only the canonical decimal spelling is an id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "idnum.h"

static void test_canonical_numbers_parse(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_true(idnum_parse("0", &v));
    assert_int_equal(v, 0);
    assert_true(idnum_parse("3", &v));
    assert_int_equal(v, 3);
    assert_true(idnum_parse("1234567890", &v));
    assert_int_equal(v, 1234567890);
    assert_true(idnum_parse("18446744073709551615", &v)); /* UINT64_MAX */
    assert_true(v == UINT64_MAX);
}

static void test_other_spellings_are_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "+3",
        "-3",
        " 3",
        "3 ",
        "03",
        "00",
        "3.0",
        "3e0",
        "0x3",
        "３",                   /* fullwidth 3 */
        "18446744073709551616", /* UINT64_MAX + 1 */
        "99999999999999999999",
        "1844674407370955161500",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 42;
        if (idnum_parse(bad[i], &v))
            fail_msg("'%s' was accepted as %llu", bad[i], (unsigned long long)v);
        assert_int_equal(v, 42); /* untouched */
    }
    uint64_t v = 0;
    assert_false(idnum_parse(NULL, &v));
}

/* The written spelling: by hand, and read back by idnum_parse. */
static void test_format(void **state)
{
    (void)state;
    char d[IDNUM_MAX];
    assert_int_equal(idnum_format(0, d), 1);
    assert_string_equal(d, "0");
    assert_int_equal(idnum_format(1048576, d), 7);
    assert_string_equal(d, "1048576");
    assert_int_equal(idnum_format(UINT64_MAX, d), 20);
    assert_string_equal(d, "18446744073709551615");
    for (uint64_t v = 1; v < UINT64_MAX / 7; v = v * 7 + 3) {
        uint64_t back = 0;
        idnum_format(v, d);
        assert_true(idnum_parse(d, &back));
        assert_true(back == v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_numbers_parse),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_other_spellings_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
