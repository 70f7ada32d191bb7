/* Unit tests for lib/csvcell.c: quoting (RFC 4180) and formula cells prefixed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "csvcell.h"

static void test_cells(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } v[] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"=1+1", "'=1+1"},
        {"+31 20", "'+31 20"},
        {"-5", "'-5"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},
        {"\rx", "\"'\rx\""},
        {"=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""},
        {"a=b", "a=b"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        buf_t b;
        buf_init(&b, 1024);
        csvcell_put(&b, v[i].in);
        assert_string_equal(buf_cstr(&b), v[i].out);
        buf_free(&b);
    }
}

static void test_row(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 1024);
    const char *cells[] = {"id", NULL, "=x"};
    csvcell_row(&b, cells, 3);
    assert_string_equal(buf_cstr(&b), "id,,'=x\r\n");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
