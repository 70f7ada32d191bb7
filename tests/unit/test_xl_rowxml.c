/* test_xl_rowxml.c - a worksheet row's XML, written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "buf.h"
#include "status.h"
#include "xl_rowxml.h"

/* The XML of one row, as a string the test owns (buf freed by the caller). */
static const char *row_xml(buf_t *b, uint32_t row, double height, const xl_rowxml_cell_t *c,
                           size_t n)
{
    buf_init(b, 1 << 16);
    assert_int_equal(xl_rowxml_row(b, row, height, c, n), ST_OK);
    return buf_cstr(b);
}

/* Numbers, text, styles, no references while the columns follow each other. */
static void test_plain_row(void **state)
{
    (void)state;
    buf_t b;
    const xl_rowxml_cell_t c[] = {
        {XL_ROWXML_TEXT, 3, 0, "c1-0000000"},
        {XL_ROWXML_NUMBER, 25, 46296.5, NULL},
        {XL_ROWXML_NUMBER, 0, 29, NULL},
    };
    assert_string_equal(row_xml(&b, 2, 0, c, 3),
                        "<row r=\"2\"><c s=\"3\" t=\"inlineStr\"><is><t>c1-0000000</t></is></c>"
                        "<c s=\"25\"><v>46296.5</v></c><c><v>29</v></c></row>");
    buf_free(&b);
}

/* An empty cell: no element, and the next cell names its column; a height. */
static void test_gap_and_height(void **state)
{
    (void)state;
    buf_t b;
    const xl_rowxml_cell_t c[] = {
        {XL_ROWXML_EMPTY, 5, NAN, NULL}, {XL_ROWXML_NUMBER, 5, 0.1, NULL},
        {XL_ROWXML_EMPTY, 5, NAN, NULL}, {XL_ROWXML_EMPTY, 5, NAN, NULL},
        {XL_ROWXML_NUMBER, 5, -2, NULL}, {XL_ROWXML_NUMBER, 5, 3, NULL},
    };
    assert_string_equal(row_xml(&b, 1048576, 30, c, 6),
                        "<row r=\"1048576\" ht=\"30\" customHeight=\"1\">"
                        "<c r=\"B1048576\" s=\"5\"><v>0.10000000000000001</v></c>"
                        "<c r=\"E1048576\" s=\"5\"><v>-2</v></c><c s=\"5\"><v>3</v></c></row>");
    buf_free(&b);
}

/* Entities, Excel's escapes for control bytes and for a literal "_xHHHH_",
 * white space kept at the ends; tab and line feed as they are. */
static void test_text_escapes(void **state)
{
    (void)state;
    buf_t b;
    const xl_rowxml_cell_t c[] = {
        {XL_ROWXML_TEXT, 0, 0, "a&b<c>\"d'"},
        {XL_ROWXML_TEXT, 0, 0, "_x0041_ _x12_ _xABCD"},
        {XL_ROWXML_TEXT, 0, 0, "\x01\r\x7f\tx\ny"},
        {XL_ROWXML_TEXT, 0, 0, " lead"},
        {XL_ROWXML_TEXT, 0, 0, ""},
    };
    assert_string_equal(row_xml(&b, 7, 0, c, 5),
                        "<row r=\"7\"><c t=\"inlineStr\"><is><t>a&amp;b&lt;c&gt;\"d'</t></is></c>"
                        "<c t=\"inlineStr\"><is><t>_x005F_x0041_ _x12_ _xABCD</t></is></c>"
                        "<c t=\"inlineStr\"><is><t>_x0001__x000D__x007F_\tx\ny</t></is></c>"
                        "<c t=\"inlineStr\"><is><t xml:space=\"preserve\"> lead</t></is></c>"
                        "<c t=\"inlineStr\"><is><t></t></is></c></row>");
    buf_free(&b);
}

/* Column letters, and rows outside Excel's sheet. */
static void test_limits(void **state)
{
    (void)state;
    char name[XL_ROWXML_COL_MAX];
    xl_rowxml_col_name(name, 0);
    assert_string_equal(name, "A");
    xl_rowxml_col_name(name, 25);
    assert_string_equal(name, "Z");
    xl_rowxml_col_name(name, 26);
    assert_string_equal(name, "AA");
    xl_rowxml_col_name(name, 16383);
    assert_string_equal(name, "XFD");
    buf_t b;
    buf_init(&b, 1024);
    xl_rowxml_cell_t c = {XL_ROWXML_NUMBER, 0, 1, NULL};
    assert_int_equal(xl_rowxml_row(&b, 0, 0, &c, 1), ST_ERR_INVALID);
    assert_int_equal(xl_rowxml_row(&b, 1048577, 0, &c, 1), ST_ERR_INVALID);
    buf_free(&b);
    buf_init(&b, 10); /* the cap: refused, and the buffer freed */
    assert_int_equal(xl_rowxml_row(&b, 1, 0, &c, 1), ST_ERR_TOO_LARGE);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_row),
        cmocka_unit_test(test_gap_and_height),
        cmocka_unit_test(test_text_escapes),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
