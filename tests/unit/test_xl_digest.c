/* Unit tests for reports/xl_digest.c and the model (xl_model.c): the canonical text of a
 * tiny model written out by hand, its SHA-256 from sha256sum, totals, model checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "status.h"
#include "xl_digest.h"
#include "xl_model.h"
#include "xl_template.h"

#define LBL(x) "\"label\":{\"en\":\"" x "\",\"zh\":\"" x "\"}"

/* Cover (not in the digest), table q with a sum and a ratio total, facts dq. */
static const char
    tiny_tpl
        [] = "{\"template\":\"tiny\",\"version\":1,\"title\":{\"en\":\"T\",\"zh\":\"T\"},"
             "\"sheets\":["
             "{\"id\":\"cover\",\"kind\":\"facts\",\"name\":{\"en\":\"Cover\",\"zh\":\"封面\"},"
             "\"table\":\"cover\",\"digest\":false,\"items\":[{\"key\":\"tenant\"," LBL("Tenant") ",\"type\":\"text\"},{\"key\":\"data_digest\"," LBL(
                 "Digest") ",\"type\":\"text\"}]},"
                           "{\"id\":\"q\",\"kind\":\"table\",\"name\":{\"en\":\"Q\",\"zh\":"
                           "\"队列\"},\"table\":\"q\","
                           "\"total_label\":{\"en\":\"All\",\"zh\":\"全部\"},\"columns\":["
                           "{\"key\":\"queue\"," LBL(
                               "Queue") ",\"type\":\"text\"},"
                                        "{\"key\":\"n\"," LBL(
                                            "N") ",\"format\":\"0\",\"total\":{\"fn\":\"sum\"}},"
                                                 "{\"key\":\"r\"," LBL(
                                                     "R") ",\"format\":\"0.0%\",\"total\":{\"fn\":"
                                                          "\"ratio\",\"num\":\"n\","
                                                          "\"den\":\"d\"}},"
                                                          "{\"key\":\"d\"," LBL(
                                                              "D") ",\"format\":\"0\",\"hidden\":"
                                                                   "true}]},"
                                                                   "{\"id\":\"dq\",\"kind\":"
                                                                   "\"facts\",\"name\":{\"en\":"
                                                                   "\"DQ\",\"zh\":\"数据\"},"
                                                                   "\"table\":\"dq\","
                                                                   "\"items\":[{\"key\":\"x\"," LBL(
                                                                       "X") ",\"format\":\"0\"}]}]"
                                                                            "}";

/*
 * Worked by hand from xl_digest.h: q's rows in order, columns in template
 * order (hidden d too), then q's totals: n = 1 + 2 = 3; r = SUM(n)/SUM(d) =
 * 3/10, whose double prints as 0.29999999999999999 with %.17g (0.3 is not
 * exact in binary), as 0.1 prints 0.10000000000000001.  The quote in a"b
 * becomes \", the TAB in c<TAB>d becomes \u0009.  dq's x is -0: written 0.
 * The cover is not in the digest.
 */
static const char tiny_canon[] = "slattest-data-digest 1\n"
                                 "q\t1\tqueue\t\"a\\\"b\"\n"
                                 "q\t1\tn\t1\n"
                                 "q\t1\tr\t0.10000000000000001\n"
                                 "q\t1\td\t10\n"
                                 "q\t2\tqueue\t\"c\\u0009d\"\n"
                                 "q\t2\tn\t2\n"
                                 "q\t2\tr\tnull\n"
                                 "q\t2\td\t0\n"
                                 "q\ttotal\tn\t3\n"
                                 "q\ttotal\tr\t0.29999999999999999\n"
                                 "dq\t1\tx\t0\n";
/* printf 'slattest-data-digest 1\nq\t1\tqueue\t"a\\"b"\n ... dq\t1\tx\t0\n' | sha256sum */
static const char tiny_sha[] = "be1898a3953e558d64310c9645dc2147fa98ffc696d9d1285ab16871ad33e9ac";

/* The tiny model (see tiny_canon). */
static xl_model_t *tiny_model(void)
{
    xl_model_t *m = xl_model_new();
    xl_table_t *q = xl_model_table(m, "q"), *dq = xl_model_table(m, "dq");
    size_t r;
    assert_int_equal(xl_model_cover_text(m, XL_FACT_TENANT, "acme"), ST_OK);
    assert_int_equal(xl_table_add_row(q, &r), ST_OK);
    assert_int_equal(r, 0);
    assert_int_equal(xl_table_set_text(q, r, "queue", "a\"b"), ST_OK);
    assert_int_equal(xl_table_set_number(q, r, "n", 1), ST_OK);
    assert_int_equal(xl_table_set_number(q, r, "r", 0.1), ST_OK);
    assert_int_equal(xl_table_set_number(q, r, "d", 10), ST_OK);
    assert_int_equal(xl_table_set_number(q, r, "extra", 99), ST_OK); /* not shown: not hashed */
    assert_int_equal(xl_table_add_row(q, &r), ST_OK);
    assert_int_equal(xl_table_set_number(q, r, "d", 0), ST_OK); /* keys in another order */
    assert_int_equal(xl_table_set_text(q, r, "queue", "c\td"), ST_OK);
    assert_int_equal(xl_table_set_number(q, r, "n", 7), ST_OK);
    assert_int_equal(xl_table_set_number(q, r, "n", 2), ST_OK); /* replaces */
    assert_int_equal(xl_table_set_number(q, r, "r", NAN), ST_OK);
    assert_int_equal(xl_table_add_row(dq, &r), ST_OK);
    assert_int_equal(xl_table_set_number(dq, r, "x", -0.0), ST_OK);
    return m;
}

static void test_canonical_text_and_sha(void **state)
{
    (void)state;
    xl_tpl_t *t = NULL;
    char err[256] = "", hex[XL_DIGEST_HEX_LEN + 1];
    buf_t b;
    assert_int_equal(xl_tpl_parse(tiny_tpl, strlen(tiny_tpl), &t, err, sizeof err), ST_OK);
    xl_model_t *m = tiny_model();
    buf_init(&b, 1 << 16);
    assert_int_equal(xl_digest_text(t, m, &b, err, sizeof err), ST_OK);
    assert_string_equal(buf_cstr(&b), tiny_canon);
    assert_int_equal(xl_digest(t, m, hex, err, sizeof err), ST_OK);
    assert_string_equal(hex, tiny_sha);

    /* The language changes names and labels, not the digest. */
    xl_model_set_lang(m, XL_LANG_ZH);
    assert_int_equal(xl_digest(t, m, hex, err, sizeof err), ST_OK);
    assert_string_equal(hex, tiny_sha);
    /* Any value changes it. */
    assert_int_equal(xl_table_set_number(xl_model_table(m, "dq"), 0, "x", 1), ST_OK);
    assert_int_equal(xl_digest(t, m, hex, err, sizeof err), ST_OK);
    assert_string_not_equal(hex, tiny_sha);
    buf_free(&b);
    xl_model_free(m);
    xl_tpl_free(t);
}

/*
 * A row source replaying the stored rows of table "q" of another model
 * (its keys in another order, as a source may set them); counts passes,
 * and releases with the model.  Row `bad` (1-based) is given as text in n.
 */
typedef struct replay {
    xl_model_t *from;
    size_t bad;
    int opens, closes, *released;
} replay_t;

typedef struct replay_pass {
    replay_t *r;
    size_t i;
} replay_pass_t;

static int replay_open(void *arg, void **cur, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    replay_pass_t *p = calloc(1, sizeof *p);
    p->r = arg;
    p->r->opens++;
    *cur = p;
    return ST_OK;
}

static int replay_next(void *cur, xl_table_t *row, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    replay_pass_t *p = cur;
    const xl_table_t *q = xl_model_find(p->r->from, "q");
    static const char *const keys[] = {"d", "r", "n", "queue", "extra"};
    if (p->i == xl_table_row_count(q))
        return 0;
    for (size_t k = 0; k < 5; k++) {
        xl_cell_t c = xl_table_get(q, p->i, keys[k]);
        if (c.kind == XL_CELL_TEXT)
            assert_int_equal(xl_table_set_text(row, 0, keys[k], c.text), ST_OK);
        else if (c.kind == XL_CELL_NUMBER)
            assert_int_equal(xl_table_set_number(row, 0, keys[k], c.num), ST_OK);
    }
    p->i++;
    if (p->i == p->r->bad)
        assert_int_equal(xl_table_set_text(row, 0, "n", "2"), ST_OK);
    size_t r;
    assert_int_equal(xl_table_add_row(row, &r), ST_ERR_INVALID); /* one row only */
    return 1;
}

static void replay_close(void *cur)
{
    replay_pass_t *p = cur;
    p->r->closes++;
    free(p);
}

static void replay_release(void *arg)
{
    replay_t *r = arg;
    (*r->released)++;
    xl_model_free(r->from);
    free(r);
}

static const xl_source_t replay_source = {replay_open, replay_next, replay_close, replay_release};

/* The tiny model with q streamed from a copy of its rows. */
static xl_model_t *tiny_streamed(int *released, replay_t **src)
{
    xl_model_t *m = tiny_model(), *s = xl_model_new();
    xl_table_t *dq = xl_model_table(s, "dq");
    size_t r;
    assert_int_equal(xl_table_add_row(dq, &r), ST_OK);
    assert_int_equal(xl_table_set_number(dq, r, "x", -0.0), ST_OK);
    assert_int_equal(xl_model_cover_text(s, XL_FACT_TENANT, "acme"), ST_OK);
    replay_t *rp = calloc(1, sizeof *rp);
    rp->from = m;
    rp->released = released;
    *src = rp;
    assert_int_equal(xl_model_stream(s, "q", &replay_source, rp), ST_OK);
    return s;
}

/* A streamed table has the canonical text (and so the digest) of the same rows stored:
 * tiny_canon, worked by hand, and its totals accumulated on the way. */
static void test_streamed_table_same_text(void **state)
{
    (void)state;
    xl_tpl_t *t = NULL;
    char err[256] = "", hex[XL_DIGEST_HEX_LEN + 1];
    int released = 0;
    replay_t *src = NULL;
    buf_t b;
    assert_int_equal(xl_tpl_parse(tiny_tpl, strlen(tiny_tpl), &t, err, sizeof err), ST_OK);
    xl_model_t *m = tiny_streamed(&released, &src);
    assert_true(xl_table_streamed(xl_model_find(m, "q")));
    assert_false(xl_table_streamed(xl_model_find(m, "dq")));
    size_t r;
    assert_int_equal(xl_table_add_row(xl_model_table(m, "q"), &r), ST_ERR_INVALID);
    buf_init(&b, 1 << 16);
    assert_int_equal(xl_digest_text(t, m, &b, err, sizeof err), ST_OK);
    assert_string_equal(buf_cstr(&b), tiny_canon);
    assert_int_equal(xl_digest(t, m, hex, err, sizeof err), ST_OK);
    assert_string_equal(hex, tiny_sha);
    assert_int_equal(src->opens, 2); /* each walk is a pass of the source */
    assert_int_equal(src->closes, 2);

    /* The cursor numbers rows from 1 and has the totals at the end: n = 1 + 2, r = 3 / 10. */
    xl_cursor_t *c = NULL;
    const xl_tpl_sheet_t *q = xl_tpl_sheet(t, 1);
    assert_int_equal(xl_cursor_open(m, q, &c, err, sizeof err), ST_OK);
    assert_int_equal(xl_cursor_row(c), 0);
    assert_int_equal(xl_cursor_cell(c, 0).kind, XL_CELL_UNSET);
    assert_int_equal(xl_cursor_next(c, err, sizeof err), 1);
    assert_int_equal(xl_cursor_row(c), 1);
    assert_string_equal(xl_cursor_cell(c, 0).text, "a\"b");
    assert_int_equal(xl_cursor_next(c, err, sizeof err), 1);
    assert_true(xl_cursor_cell(c, 1).num == 2);
    assert_int_equal(xl_cursor_next(c, err, sizeof err), 0);
    assert_int_equal(xl_cursor_next(c, err, sizeof err), 0);
    assert_true(xl_cursor_total(c, 1) == 3);
    assert_true(xl_cursor_total(c, 2) == 3.0 / 10.0);
    xl_cursor_free(c);
    assert_int_equal(src->closes, 3);
    xl_cursor_free(NULL);

    buf_free(&b);
    assert_int_equal(released, 0);
    xl_model_free(m);
    assert_int_equal(released, 1);
    xl_tpl_free(t);
}

/* A streamed row is checked as a stored one; facts sheets cannot read a stream; a
 * stream cannot replace rows. */
static void test_streamed_table_refusals(void **state)
{
    (void)state;
    xl_tpl_t *t = NULL;
    char err[256] = "", hex[XL_DIGEST_HEX_LEN + 1];
    int released = 0;
    replay_t *src = NULL;
    assert_int_equal(xl_tpl_parse(tiny_tpl, strlen(tiny_tpl), &t, err, sizeof err), ST_OK);
    xl_model_t *m = tiny_streamed(&released, &src);
    src->bad = 2;
    assert_int_equal(xl_digest(t, m, hex, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "sheet 'q' row 2 column 'n': a number column given text");
    assert_int_equal(src->opens, src->closes);

    /* A table with rows, or a second stream, is refused, and the state released at once. */
    replay_t *again = calloc(1, sizeof *again);
    again->from = xl_model_new();
    again->released = &released;
    assert_int_equal(xl_model_stream(m, "q", &replay_source, again), ST_ERR_INVALID);
    assert_int_equal(released, 1);
    again = calloc(1, sizeof *again);
    again->from = xl_model_new();
    again->released = &released;
    assert_int_equal(xl_model_stream(m, "dq", &replay_source, again), ST_ERR_INVALID);
    assert_int_equal(released, 2);
    xl_model_free(m);
    assert_int_equal(released, 3);

    /* dq read by a facts sheet, streamed. */
    m = tiny_model();
    xl_model_t *s = xl_model_new();
    assert_int_equal(xl_model_cover_text(s, XL_FACT_TENANT, "acme"), ST_OK);
    xl_table_t *q = xl_model_table(s, "q");
    (void)q;
    replay_t *rp = calloc(1, sizeof *rp);
    rp->from = m;
    rp->released = &released;
    assert_int_equal(xl_model_stream(s, "dq", &replay_source, rp), ST_OK);
    assert_int_equal(xl_digest(t, s, hex, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "sheet 'dq': a facts sheet cannot read the streamed table 'dq'");
    xl_model_free(s);
    assert_int_equal(released, 4);
    xl_tpl_free(t);
}

static void test_model_must_fit_template(void **state)
{
    (void)state;
    xl_tpl_t *t = NULL;
    char err[256] = "", hex[XL_DIGEST_HEX_LEN + 1];
    assert_int_equal(xl_tpl_parse(tiny_tpl, strlen(tiny_tpl), &t, err, sizeof err), ST_OK);

    xl_model_t *m = tiny_model();
    assert_int_equal(xl_table_set_text(xl_model_table(m, "q"), 1, "n", "2"), ST_OK);
    assert_int_equal(xl_digest(t, m, hex, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "sheet 'q' row 2 column 'n': a number column given text");
    xl_model_free(m);

    m = tiny_model();
    size_t r;
    assert_int_equal(xl_table_add_row(xl_model_table(m, "q"), &r), ST_OK);
    assert_int_equal(xl_digest(t, m, hex, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "sheet 'q' row 3 column 'queue': no value in the model");
    xl_model_free(m);

    m = xl_model_new();
    assert_int_equal(xl_digest(t, m, hex, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "sheet 'cover': the model has no table 'cover'");
    xl_model_free(m);
    xl_tpl_free(t);
}

static void test_model_builders_refuse(void **state)
{
    (void)state;
    xl_model_t *m = xl_model_new();
    xl_table_t *q = xl_model_table(m, "q");
    size_t r;
    assert_null(xl_model_table(m, "Bad Name"));
    assert_ptr_equal(xl_model_table(m, "q"), q);
    assert_int_equal(xl_table_set_number(q, 0, "n", 1), ST_ERR_INVALID); /* no row yet */
    assert_int_equal(xl_table_add_row(q, &r), ST_OK);
    assert_int_equal(xl_table_set_number(q, r, "n", INFINITY), ST_ERR_INVALID);
    assert_int_equal(xl_table_set_number(q, r, "N", 1), ST_ERR_INVALID);
    assert_int_equal(xl_table_set_text(q, r, "s", "\xff"), ST_ERR_INVALID);
    assert_int_equal(xl_table_get(q, r, "n").kind, XL_CELL_UNSET);
    assert_int_equal(xl_model_set_generated_at(m, 0), ST_ERR_INVALID);
    assert_int_equal(xl_model_set_generated_at(m, 1), ST_OK);
    assert_int_equal(xl_model_generated_at(m), 1);
    xl_model_free(m);
    xl_model_free(NULL);
}

/* Weighted, average, min, max totals by hand: x = 10, empty, 40 with w = 1, 5, 3. */
static void test_totals(void **state)
{
    (void)state;
    static const char tpl[] =
        "{\"template\":\"t\",\"version\":1,\"title\":{\"en\":\"T\",\"zh\":\"T\"},\"sheets\":["
        "{\"id\":\"s\",\"kind\":\"table\",\"name\":{\"en\":\"S\",\"zh\":\"S\"},\"table\":\"s\","
        "\"total_label\":{\"en\":\"T\",\"zh\":\"T\"},\"columns\":["
        "{\"key\":\"k\"," LBL(
            "K") ",\"type\":\"text\"},"
                 "{\"key\":\"w\"," LBL(
                     "W") ",\"format\":\"0\"},"
                          "{\"key\":\"x\"," LBL(
                              "X") ",\"format\":\"0\",\"total\":{\"fn\":\"weighted\",\"weight\":"
                                   "\"w\"}},"
                                   "{\"key\":\"a\"," LBL(
                                       "A") ",\"format\":\"0\",\"total\":{\"fn\":\"average\"}},"
                                            "{\"key\":\"lo\"," LBL(
                                                "L") ",\"format\":\"0\",\"total\":{\"fn\":\"min\"}}"
                                                     ","
                                                     "{\"key\":\"hi\"," LBL(
                                                         "H") ",\"format\":\"0\",\"total\":{\"fn\":"
                                                              "\"max\"}}]}]}";
    static const double x[] = {10, NAN, 40}, w[] = {1, 5, 3};
    xl_tpl_t *t = NULL;
    char err[256] = "";
    assert_int_equal(xl_tpl_parse(tpl, strlen(tpl), &t, err, sizeof err), ST_OK);
    const xl_tpl_sheet_t *sh = xl_tpl_sheet(t, 0);
    xl_model_t *m = xl_model_new();
    xl_table_t *s = xl_model_table(m, "s");
    /* No rows: SUMIF of nothing is 0, so the weighted total is empty (NAN). */
    assert_true(isnan(xl_model_total(s, sh, 2)));
    assert_true(isnan(xl_model_total(NULL, sh, 3)));
    for (size_t i = 0; i < 3; i++) {
        size_t r;
        assert_int_equal(xl_table_add_row(s, &r), ST_OK);
        xl_table_set_number(s, r, "w", w[i]);
        xl_table_set_number(s, r, "x", x[i]);
        xl_table_set_number(s, r, "a", x[i]);
        xl_table_set_number(s, r, "lo", x[i]);
        xl_table_set_number(s, r, "hi", x[i]);
    }
    /* (10*1 + 40*3) / (1 + 3) = 130 / 4 = 32.5: the empty row's weight 5 does not count. */
    assert_true(xl_model_total(s, sh, 2) == 32.5);
    assert_true(xl_model_total(s, sh, 3) == 25.0); /* (10 + 40) / 2 */
    assert_true(xl_model_total(s, sh, 4) == 10.0);
    assert_true(xl_model_total(s, sh, 5) == 40.0);
    xl_model_free(m);
    xl_tpl_free(t);
}

static void test_excel_date(void **state)
{
    (void)state;
    /* Excel: 1900-03-01 is serial 61, 1970-01-01 is 25569; 2026-11-01 is 25569 + 20758
     * (56 years of which 14 leap = 20454 days to 2026-01-01, plus 304 days to Nov 1). */
    assert_true(xl_excel_date(1900, 3, 1) == 61);
    assert_true(xl_excel_date(1970, 1, 1) == 25569);
    assert_true(xl_excel_date(2026, 11, 1) == 46327);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_text_and_sha),
        cmocka_unit_test(test_model_must_fit_template),
        cmocka_unit_test(test_streamed_table_same_text),
        cmocka_unit_test(test_streamed_table_refusals),
        cmocka_unit_test(test_model_builders_refuse),
        cmocka_unit_test(test_totals),
        cmocka_unit_test(test_excel_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
