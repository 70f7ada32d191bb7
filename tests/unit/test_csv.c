/*
 * Unit tests for lib/csv.c.  Each input is fed whole and then cut into
 * chunks of 1, 2, 3, 5 and 64 bytes; every way must give the same records,
 * lines and errors.  Records are rendered as "LINE[field][field]..." with
 * \n, \r and \0 made visible, and compared with hand-written expectations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "status.h"

typedef struct result {
    buf_t out;
    int stop_at; /* return ST_ERR_CONFLICT on this record (1-based), 0: never */
    int seen;
} result_t;

/* Renders one record into the result buffer. */
static int on_record(void *ctx, const csv_field_t *f, size_t n, uint64_t line)
{
    result_t *res = ctx;
    res->seen++;
    if (res->stop_at && res->seen == res->stop_at)
        return ST_ERR_CONFLICT;
    buf_printf(&res->out, "%" PRIu64, line);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f[i].ptr[f[i].len], '\0'); /* NUL after each field */
        buf_putc(&res->out, '[');
        for (size_t j = 0; j < f[i].len; j++) {
            char c = f[i].ptr[j];
            if (c == '\n')
                buf_puts(&res->out, "\\n");
            else if (c == '\r')
                buf_puts(&res->out, "\\r");
            else if (c == '\0')
                buf_puts(&res->out, "\\0");
            else
                buf_putc(&res->out, c);
        }
        buf_putc(&res->out, ']');
    }
    buf_putc(&res->out, '\n');
    return ST_OK;
}

typedef struct outcome {
    char records[4096];
    int rc;
    uint64_t err_line;
    size_t err_col;
    char err[160];
} outcome_t;

/* Feeds `in` in chunks of `chunk` bytes (0: whole), then finishes. */
static void run_chunked(const char *in, size_t len, size_t chunk, const csv_limits_t *lim,
                        int stop_at, outcome_t *o)
{
    result_t res = {.stop_at = stop_at};
    buf_init(&res.out, 1 << 20);
    csv_reader_t *r = csv_reader_new(lim, on_record, &res);
    int rc = ST_OK;
    size_t step = chunk ? chunk : (len ? len : 1);
    for (size_t off = 0; off < len && rc == ST_OK; off += step)
        rc = csv_feed(r, in + off, len - off < step ? len - off : step);
    if (rc == ST_OK)
        rc = csv_finish(r);
    snprintf(o->records, sizeof o->records, "%s", buf_cstr(&res.out));
    o->rc = rc;
    o->err_line = csv_reader_error_line(r);
    o->err_col = csv_reader_error_column(r);
    snprintf(o->err, sizeof o->err, "%s", csv_reader_error(r));
    /* Errors are sticky. */
    if (rc != ST_OK)
        assert_int_equal(csv_feed(r, "x", 1), rc);
    csv_reader_free(r);
    buf_free(&res.out);
}

/* Runs every chunking and checks they all give `records`, `rc` and an error
 * containing `err` on line `err_line` (when rc is not ST_OK). */
static void check_lim(const char *in, size_t len, const csv_limits_t *lim, const char *records,
                      int rc, uint64_t err_line, const char *err)
{
    static const size_t chunks[] = {0, 1, 2, 3, 5, 64};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        outcome_t o;
        run_chunked(in, len, chunks[i], lim, 0, &o);
        if (strcmp(o.records, records) != 0)
            fail_msg("chunk %zu: records\n%s\nexpected\n%s", chunks[i], o.records, records);
        if (o.rc != rc)
            fail_msg("chunk %zu: rc %d, expected %d (%s)", chunks[i], o.rc, rc, o.err);
        if (rc != ST_OK) {
            assert_int_equal(o.err_line, err_line);
            if (strstr(o.err, err) == NULL)
                fail_msg("chunk %zu: error '%s' lacks '%s'", chunks[i], o.err, err);
        } else {
            assert_string_equal(o.err, "");
        }
    }
}

#define CHECK(in, records) check_lim(in, sizeof(in) - 1, NULL, records, ST_OK, 0, "")
#define CHECK_ERR(in, records, rc, line, err)                                                      \
    check_lim(in, sizeof(in) - 1, NULL, records, rc, line, err)

static void test_plain_records(void **state)
{
    (void)state;
    CHECK("a,b,c\n1,2,3\n", "1[a][b][c]\n2[1][2][3]\n");
    CHECK("a,b\n,\n", "1[a][b]\n2[][]\n");
    CHECK("x\n", "1[x]\n");
    /* Trailing comma: a last, empty field. */
    CHECK("a,\n", "1[a][]\n");
    CHECK("a,", "1[a][]\n");
    /* Spaces are data; nothing is trimmed. */
    CHECK(" a , b \n", "1[ a ][ b ]\n");
}

static void test_quoted_fields(void **state)
{
    (void)state;
    /* A comma, doubled quotes and a line break inside one field; the next
     * record starts on line 4 because the field spans lines 2 and 3. */
    CHECK("id,note\n1,\"x, \"\"y\"\"\nz\"\n2,w\n", "1[id][note]\n2[1][x, \"y\"\\nz]\n4[2][w]\n");
    CHECK("\"\"\n", "1[]\n");
    CHECK("\"\",\"\"\n", "1[][]\n");
    CHECK("\"\"\"\"\n", "1[\"]\n");
    CHECK("\"a\"\r\n\"b\"", "1[a]\n2[b]\n");
    CHECK("\"a\r\nb\",c\n", "1[a\\r\\nb][c]\n");
    CHECK("\"a\",\"b\"\n\"c\",", "1[a][b]\n2[c][]\n");
}

static void test_line_endings(void **state)
{
    (void)state;
    /* CRLF, LF and a lone CR, mixed. */
    CHECK("a,b\r\n1,2\n3,4\r5,6\r\n7,8", "1[a][b]\n2[1][2]\n3[3][4]\n4[5][6]\n5[7][8]\n");
    /* Blank lines (of any ending) are skipped but counted. */
    CHECK("\n\na\n\r\n\nb", "3[a]\n6[b]\n");
    CHECK("a\r\r\nb\n", "1[a]\n3[b]\n");
}

static void test_bom(void **state)
{
    (void)state;
    CHECK("\xEF\xBB\xBF"
          "a,b\n",
          "1[a][b]\n");
    CHECK("\xEF\xBB\xBF", "");
    /* Only a whole BOM at the very start is dropped. */
    CHECK("\xEF\xBB"
          "a\n",
          "1[\xEF\xBB"
          "a]\n");
    CHECK("\xEF", "1[\xEF]\n");
    CHECK("a\n\xEF\xBB\xBF"
          "b\n",
          "1[a]\n2[\xEF\xBB\xBF"
          "b]\n");
    CHECK("\xEF\xBB\xBF\"q\"\n", "1[q]\n");
}

static void test_empty_and_nul(void **state)
{
    (void)state;
    CHECK("", "");
    CHECK("\n\r\n", "");
    /* NUL bytes are data for this layer. */
    check_lim("a\0b,c\n", 6, NULL, "1[a\\0b][c]\n", ST_OK, 0, "");
    check_lim("\"\0\"\n", 4, NULL, "1[\\0]\n", ST_OK, 0, "");
}

static void test_format_errors(void **state)
{
    (void)state;
    CHECK_ERR("a\n\"b,c\nd", "1[a]\n", ST_ERR_INVALID, 2,
              "a quoted field opened on line 2 is not closed at the end of the input");
    /* The line named is where the quote opened, not where the record began. */
    CHECK_ERR("a,b\nx,\n\"open\n", "1[a][b]\n2[x][]\n", ST_ERR_INVALID, 3, "opened on line 3");
    CHECK_ERR("h\na\nb\"c\nd\n", "1[h]\n2[a]\n", ST_ERR_INVALID, 3,
              "field 1: a quote inside an unquoted field");
    CHECK_ERR("x,y\n1,ab\"\n", "1[x][y]\n", ST_ERR_INVALID, 2,
              "field 2: a quote inside an unquoted field");
    CHECK_ERR("\"a\"b\n", "", ST_ERR_INVALID, 1, "field 1: unexpected character after a closing");
    CHECK_ERR("\"a\" \n", "", ST_ERR_INVALID, 1, "after a closing quote");
    /* A body cut off inside a quoted field. */
    CHECK_ERR("a,b\n1,\"2", "1[a][b]\n", ST_ERR_INVALID, 2, "not closed");
    CHECK_ERR("\"", "", ST_ERR_INVALID, 1, "opened on line 1");
}

/* Builds n comma-separated "c" columns, one record. */
static char *make_columns(size_t n, size_t *len)
{
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = 'c';
        s[2 * i + 1] = i + 1 < n ? ',' : '\n';
    }
    *len = 2 * n;
    return s;
}

static void test_column_limit(void **state)
{
    (void)state;
    size_t len;
    char *s = make_columns(10000, &len);
    check_lim(s, len, NULL, "", ST_ERR_TOO_LARGE, 1, "the record has more than 256 fields");
    free(s);

    /* Exactly 256 columns is fine: the record is rendered as 256 "[c]". */
    char expect[2048] = "1";
    for (int i = 0; i < 256; i++)
        strcat(expect, "[c]");
    strcat(expect, "\n");
    s = make_columns(256, &len);
    check_lim(s, len, NULL, expect, ST_OK, 0, "");
    /* 257 columns, the last one empty and at end of input (finish path). */
    s[len - 1] = ',';
    check_lim(s, len, NULL, "", ST_ERR_TOO_LARGE, 1, "more than 256 fields");
    free(s);
}

static void test_field_and_record_limits(void **state)
{
    (void)state;
    /* A 1 MB field after a good record. */
    size_t big = 1024 * 1024;
    char *s = malloc(big + 16);
    memcpy(s, "h\nx,", 4);
    memset(s + 4, 'z', big);
    s[4 + big] = '\n';
    outcome_t o;
    run_chunked(s, big + 5, 0, NULL, 0, &o);
    assert_int_equal(o.rc, ST_ERR_TOO_LARGE);
    assert_string_equal(o.records, "1[h]\n");
    assert_int_equal(o.err_line, 2);
    assert_string_equal(o.err, "field 2 is longer than 65536 bytes");
    run_chunked(s, big + 5, 4096, NULL, 0, &o);
    assert_int_equal(o.rc, ST_ERR_TOO_LARGE);
    assert_string_equal(o.err, "field 2 is longer than 65536 bytes");
    /* The same inside quotes. */
    s[4] = '"';
    run_chunked(s, big + 5, 1000, NULL, 0, &o);
    assert_int_equal(o.rc, ST_ERR_TOO_LARGE);
    assert_string_equal(o.err, "field 2 is longer than 65536 bytes");
    /* Exactly 65536 bytes is accepted. */
    memcpy(s, "x,", 2);
    memset(s + 2, 'z', 65536);
    s[2 + 65536] = '\n';
    run_chunked(s, 2 + 65536 + 1, 7, NULL, 0, &o);
    assert_int_equal(o.rc, ST_OK);
    free(s);

    /* Small limits. */
    csv_limits_t lim = {.max_field = 4, .max_cols = 3, .max_record = 8};
    check_lim("abcd,efgh\n", 10, &lim, "1[abcd][efgh]\n", ST_OK, 0, "");
    check_lim("abcd,efgh,i\n", 12, &lim, "", ST_ERR_TOO_LARGE, 1,
              "the record is longer than 8 bytes");
    check_lim("a\nabcde\n", 8, &lim, "1[a]\n", ST_ERR_TOO_LARGE, 2,
              "field 1 is longer than 4 bytes");
    /* "abc""""" unescapes to abc"" (5 bytes). */
    check_lim("\"abc\"\"\"\"\"\n", 10, &lim, "", ST_ERR_TOO_LARGE, 1, "field 1 is longer");
    /* "ab""""" unescapes to ab"" (4 bytes, the limit). */
    check_lim("\"ab\"\"\"\"\"\n", 9, &lim, "1[ab\"\"]\n", ST_OK, 0, "");
    check_lim("a,b,c,d\n", 8, &lim, "", ST_ERR_TOO_LARGE, 1, "more than 3 fields");
    /* A span that breaks both limits names the one its bytes reach first
     * (found by fuzz_csv: the whole and the byte-wise feed disagreed).  The
     * third field has 4 bytes of field room but 2 of record room. */
    check_lim("abc,abc,abcde\n", 14, &lim, "", ST_ERR_TOO_LARGE, 1,
              "the record is longer than 8 bytes");
    /* Equal room: the field is named. */
    check_lim("abcd,efghij\n", 12, &lim, "", ST_ERR_TOO_LARGE, 1, "field 2 is longer than 4");
}

static void test_callback_stops(void **state)
{
    (void)state;
    outcome_t o;
    run_chunked("a\nb\nc\n", 6, 1, NULL, 2, &o);
    assert_int_equal(o.rc, ST_ERR_CONFLICT);
    assert_string_equal(o.records, "1[a]\n");
    assert_string_equal(o.err, ""); /* not a format error */
    run_chunked("a\nb", 3, 0, NULL, 2, &o);
    assert_int_equal(o.rc, ST_ERR_CONFLICT);
}

static void test_error_column(void **state)
{
    (void)state;
    outcome_t o;
    run_chunked("a,b,c\n1,2\"\n", 11, 1, NULL, 0, &o);
    assert_int_equal(o.err_col, 2);
    run_chunked("\"a\",\"b\"x\n", 10, 1, NULL, 0, &o);
    assert_int_equal(o.err_col, 2);
    csv_limits_t lim = {.max_field = 2};
    run_chunked("ab,c,def\n", 9, 1, &lim, 0, &o);
    assert_int_equal(o.rc, ST_ERR_TOO_LARGE);
    assert_int_equal(o.err_col, 3);
    run_chunked("\"ab", 3, 1, NULL, 0, &o);
    assert_int_equal(o.err_col, 0);
}

static void test_misc_api(void **state)
{
    (void)state;
    csv_reader_free(NULL);
    csv_reader_t *r = csv_reader_new(NULL, NULL, NULL);
    assert_int_equal(csv_feed(r, "a\nb\n\"c\nd\"\n", 11), ST_OK);
    assert_int_equal(csv_reader_line(r), 5); /* 1 + four line breaks */
    assert_int_equal(csv_finish(r), ST_OK);
    assert_int_equal(csv_finish(r), ST_OK);
    assert_int_equal(csv_feed(r, "x", 1), ST_ERR_INVALID);
    assert_string_equal(csv_reader_error(r), "input after the end");
    csv_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_records),  cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_line_endings),   cmocka_unit_test(test_bom),
        cmocka_unit_test(test_empty_and_nul),  cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_column_limit),   cmocka_unit_test(test_field_and_record_limits),
        cmocka_unit_test(test_callback_stops), cmocka_unit_test(test_error_column),
        cmocka_unit_test(test_misc_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
