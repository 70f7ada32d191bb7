/* Unit tests for lib/buf.c: growth, the hard cap, formatting, detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "status.h"

static void test_append_grows_and_terminates(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 1 << 20);
    assert_string_equal(buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_puts(&b, "ab"), ST_OK);
    assert_int_equal(b.len, 2000);
    assert_int_equal(b.data[2000], '\0');
    assert_memory_equal(b.data + 1996, "abab", 4);
    buf_free(&b);
}

static void test_cap_is_enforced_and_frees(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 5);
    assert_int_equal(buf_puts(&b, "12345"), ST_OK);
    assert_int_equal(buf_putc(&b, '6'), ST_ERR_TOO_LARGE);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* A huge length must not overflow the size check. */
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), ST_ERR_TOO_LARGE);
}

static void test_printf_and_detach(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 100);
    assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), ST_OK);
    assert_int_equal(buf_printf(&b, "|%05.1f", 2.25), ST_OK);
    size_t len = 0;
    char *s = buf_detach(&b, &len);
    assert_string_equal(s, "42-x|002.2");
    assert_int_equal(len, 10);
    assert_null(b.data);
    free(s);
    assert_int_equal(buf_printf(&b, "%0200d", 1), ST_ERR_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_grows_and_terminates),
        cmocka_unit_test(test_cap_is_enforced_and_frees),
        cmocka_unit_test(test_printf_and_detach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
