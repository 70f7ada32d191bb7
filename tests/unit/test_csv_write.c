/*
 * Unit tests for the CSV writer of lib/csv.c: RFC 4180 quoting and the guard
 * against spreadsheet formulas, with hand-written expected fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "status.h"

/* Writes one field and compares the bytes. */
static void expect(const char *text, bool guard, const char *want)
{
    buf_t b;
    buf_init(&b, 1024);
    assert_int_equal(csv_write_field(&b, text, guard), ST_OK);
    assert_string_equal(buf_cstr(&b), want);
    buf_free(&b);
}

static void test_quoting(void **state)
{
    (void)state;
    expect("plain", true, "plain");
    expect("", true, "");
    expect(NULL, true, "");
    expect("a,b", true, "\"a,b\"");
    expect("say \"hi\"", true, "\"say \"\"hi\"\"\"");
    expect("two\nlines", true, "\"two\nlines\"");
    expect("cr\rhere", true, "\"cr\rhere\"");
}

static void test_formula_guard(void **state)
{
    (void)state;
    expect("=1+1", true, "'=1+1");
    expect("+33 1", true, "'+33 1");
    expect("-5", true, "'-5");
    expect("@SUM(A1)", true, "'@SUM(A1)");
    expect("\tx", true, "'\tx");
    expect("=HYPERLINK(\"x\",\"y\")", true, "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
    expect("\rx", true, "\"'\rx\"");
    expect("-5", false, "-5"); /* a number the caller writes as such */
    expect("a=b", true, "a=b");
    assert_true(csv_formula_like("=x"));
    assert_false(csv_formula_like("x="));
    assert_false(csv_formula_like(""));
    assert_false(csv_formula_like(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_quoting),
                                       cmocka_unit_test(test_formula_guard)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
