/*
 * Unit tests for reports/xl_writer.c with templates/client-monthly.json and a
 * hand-built model: byte-identical rewrites, generated_at in the file, refusals.
 *
 * Also the driver of tests/xl/test_xl_readback.py: with XL_OUT set, the
 * test_driver case writes the hand-built model to that path (XL_LANG "en"
 * or "zh", XL_TEMPLATE another template file, XL_CONST "1" constant memory)
 * and the Python test reads it back with openpyxl.  With XL_SPLIT set it
 * writes the split model instead (split_tpl, XL_ROWS streamed rows,
 * max_rows_per_sheet XL_SPLIT, 0 for the default; XL_SPLIT_NAME the
 * table's tab; XL_SPLICE=0 writes its rows through libxlsxwriter instead
 * of splicing them; XL_TRICKY gives its contacts text that needs escaping).
 * XL_FORMULA_TEXT adds data that looks like formulas (a
 * tenant name, queue names).  Run from the repository root (make unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status.h"
#include "xl_digest.h"
#include "xl_model.h"
#include "xl_template.h"
#include "xl_writer.h"

#define TEMPLATE     "templates/client-monthly.json"
#define GENERATED_AT 1796083200 /* 2026-12-01T00:00:00Z (date -u -d ... +%s) */
#define FILE_MAX     (4 << 20)

/* Sets number cells from a list of key, value pairs ending with NULL. */
static void set_nums(xl_table_t *t, size_t r, ...)
{
    va_list ap;
    va_start(ap, r);
    for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *))
        assert_int_equal(xl_table_set_number(t, r, k, va_arg(ap, double)), ST_OK);
    va_end(ap);
}

/* Appends a row and returns its index. */
static size_t add_row(xl_table_t *t)
{
    size_t r;
    assert_int_equal(xl_table_add_row(t, &r), ST_OK);
    return r;
}

/*
 * The hand-built model the read-back test checks (tests/xl/test_xl_readback.py
 * repeats these numbers).  Daily totals by hand: offered 100+0+50 = 150,
 * answered 135, abandoned 15, SL = (80+0+35)/(100+0+50) = 115/150, ASA =
 * (12.5*90 + 20*45)/135 = 2025/135 = 15, AHT = (300*90 + 240*45)/135 =
 * 37800/135 = 280, FCR = 90/120 = 0.75, CSAT = 11/15.
 */
static xl_model_t *client_model(xl_lang_t lang)
{
    xl_model_t *m = xl_model_new();
    xl_model_set_lang(m, lang);
    assert_int_equal(xl_model_set_generated_at(m, GENERATED_AT), ST_OK);
    static const char *const cover[][2] = {
        {XL_FACT_TENANT, "Acme & Co"},
        {XL_FACT_PERIOD, "2026-11"},
        {XL_FACT_TIME_ZONE, "Asia/Shanghai"},
        {XL_FACT_GENERATED_AT, "2026-12-01T08:00:00+08:00"},
        {XL_FACT_DATA_CLOSE, "not closed: generated on request"},
        {XL_FACT_TEMPLATE, "client-monthly"},
        {XL_FACT_REPORT_ID, "r-0001"},
        {XL_FACT_CERT_FP, "ab:cd:ef"},
        {XL_FACT_CURRENCY, "EUR"},
        {XL_FACT_CA_FP, "0123456789abcdef"},
        {XL_FACT_CA_CHECK, "Before trusting ca.pem, compare the CA fingerprint above."},
        {XL_FACT_VERIFY, "openssl cms -verify -binary -inform DER -in R.p7s -content R.xlsx "
                         "-CAfile ca.pem -out /dev/null"},
    };
    for (size_t i = 0; i < sizeof cover / sizeof cover[0]; i++)
        assert_int_equal(xl_model_cover_text(m, cover[i][0], cover[i][1]), ST_OK);
    /* The Cover's summary: the verdict, credits and QA facts, and the items
     * with their values in the three months before (report_model_cover.c). */
    xl_table_t *cv = xl_model_table(m, XL_TABLE_COVER);
    assert_int_equal(xl_table_set_text(cv, 0, "verdict",
                                       "1 of 3 targets met, 1 not measurable; credit 300.00 EUR"),
                     ST_OK);
    assert_int_equal(xl_table_set_text(cv, 0, "earn_back",
                                       "300.00 EUR of this month's credit at risk: returned if "
                                       "each missed item is met in every month until 2026-12"),
                     ST_OK);
    assert_int_equal(xl_table_set_text(cv, 0, "qa_sample",
                                       "20 evaluations: precise to +/-4.7 points (the contract "
                                       "asks +/-5)"),
                     ST_OK);
    set_nums(cv, 0, "credit_uncapped", 500.0, "credit_cap", 300.0, "credit_owed", 300.0,
             "net_credit", 300.0, "qa_score", 85.0, "qa_ci_low", 80.3, "qa_ci_high", 89.7, NULL);
    xl_table_t *ci = xl_model_table(m, "cover_items");
    static const struct {
        const char *item, *cmp, *unit, *status, *trend;
        double target, value, met, credit, prev[3];
    } citems[] = {
        {"service_level",
         ">=",
         "rate",
         "missed",
         "better",
         0.8,
         115.0 / 150.0,
         0,
         300,
         {0.75, NAN, 0.7}},
        {"asa_s", "<=", "seconds", "met", "better", 20, 15, 1, 0, {18, 19, 25}},
        {"fcr", ">=", "rate", "not_measurable", "", 0.7, NAN, NAN, 0, {NAN, NAN, NAN}},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t r = add_row(ci);
        xl_table_set_text(ci, r, "item", citems[i].item);
        xl_table_set_text(ci, r, "comparator", citems[i].cmp);
        xl_table_set_text(ci, r, "unit", citems[i].unit);
        xl_table_set_text(ci, r, "status", citems[i].status);
        xl_table_set_text(ci, r, "trend", citems[i].trend);
        set_nums(ci, r, "target", citems[i].target, "value", citems[i].value, "met", citems[i].met,
                 "credit", citems[i].credit, "prev_1", citems[i].prev[0], "prev_2",
                 citems[i].prev[1], "prev_3", citems[i].prev[2], NULL);
    }
    /* The Changes sheets of a first version: a note, no batches (report_changes.h). */
    xl_table_t *ch = xl_model_table(m, "changes");
    size_t cr = add_row(ch);
    static const char *const ch_texts[][2] = {
        {"sheet", ""},
        {"row", ""},
        {"metric", ""},
        {"note", "First version: nothing changed (no earlier version)."}};
    for (size_t i = 0; i < sizeof ch_texts / sizeof ch_texts[0]; i++)
        assert_int_equal(xl_table_set_text(ch, cr, ch_texts[i][0], ch_texts[i][1]), ST_OK);
    set_nums(ch, cr, "previous", NAN, "new", NAN, "difference", NAN, NULL);
    assert_non_null(xl_model_table(m, "changes_batches"));

    xl_table_t *sc = xl_model_table(m, "scorecard");
    static const struct {
        const char *item, *cmp, *unit, *status;
        double target, value, met, pct, credit, applied;
    } items[] = {
        {"service_level", ">=", "rate", "missed", 0.8, 115.0 / 150.0, 0, 5, 500, 300},
        {"asa_s", "<=", "seconds", "met", 20, 15, 1, 2, 0, 0},
        {"fcr", ">=", "rate", "not_measurable", 0.7, NAN, NAN, 3, 0, 0},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t r = add_row(sc);
        xl_table_set_text(sc, r, "item", items[i].item);
        xl_table_set_text(sc, r, "comparator", items[i].cmp);
        xl_table_set_text(sc, r, "unit", items[i].unit);
        xl_table_set_text(sc, r, "status", items[i].status);
        xl_table_set_text(sc, r, "note", i == 0 ? "at risk of earn-back until 2026-12" : "");
        set_nums(sc, r, "target", items[i].target, "value", items[i].value, "met", items[i].met,
                 "credit_pct", items[i].pct, "credit", items[i].credit, "applied", items[i].applied,
                 NULL);
    }

    xl_table_t *d = xl_model_table(m, "daily");
    static const double days[3][16] = {
        /* day offered answered abandoned sl_num sl_den sl target asa aht fcr_res fcr_base fcr
           csat_good csat_n csat */
        {1, 100, 90, 10, 80, 100, 0.8, 0.8, 12.5, 300, 60, 80, 0.75, 8, 10, 0.8},
        {2, 0, 0, 0, 0, 0, NAN, 0.8, NAN, NAN, 0, 0, NAN, 0, 0, NAN},
        {3, 50, 45, 5, 35, 50, 0.7, 0.8, 20, 240, 30, 40, 0.75, 3, 5, 0.6},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t r = add_row(d);
        set_nums(d, r, "day", xl_excel_date(2026, 11, (int)days[i][0]), "offered", days[i][1],
                 "answered", days[i][2], "abandoned", days[i][3], "sl_num", days[i][4], "sl_den",
                 days[i][5], "service_level", days[i][6], "sl_target", days[i][7], "asa_s",
                 days[i][8], "aht_s", days[i][9], "fcr_resolved", days[i][10], "fcr_base",
                 days[i][11], "fcr", days[i][12], "csat_good", days[i][13], "csat_n", days[i][14],
                 "csat", days[i][15], "max_wait_s", 100.0 + (double)i, "overflow", 0.0,
                 "short_abandoned", i == 1 ? NAN : 2.0, NULL);
    }

    xl_table_t *iv = xl_model_table(m, "intervals");
    static const char *const wd[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (size_t i = 0; i < 2; i++) {
        size_t r = add_row(iv);
        xl_table_set_text(iv, r, "interval", i ? "08:30" : "08:00");
        for (size_t k = 0; k < 7; k++)
            set_nums(iv, r, wd[k], k == 6 ? NAN : 0.5 + 0.05 * (double)k + 0.1 * (double)i, NULL);
        set_nums(iv, r, "compliance_met", 2.0 + (double)i, "compliance_intervals", 4.0,
                 "interval_compliance", (2.0 + (double)i) / 4.0, NULL);
    }

    xl_table_t *q = xl_model_table(m, "queues");
    static const char *const qn[] = {"billing", "sales"};
    for (size_t i = 0; i < 2; i++) {
        size_t r = add_row(q);
        xl_table_set_text(q, r, "queue", qn[i]);
        set_nums(q, r, "offered", 100.0 - 50 * (double)i, "answered", 90.0 - 45 * (double)i,
                 "abandoned", 10.0 - 5 * (double)i, "sl_num", 80.0 - 45 * (double)i, "sl_den",
                 100.0 - 50 * (double)i, "service_level", i ? 0.7 : 0.8, "asa_s", i ? 20.0 : 12.5,
                 "abandon_rate", 0.1, "aht_s", i ? 240.0 : 300.0, "transfer_rate", 0.05,
                 "wait_p90_s", 30.0, "max_wait_s", i ? 95.0 : 120.0, "overflow", 0.0,
                 "short_abandoned", 1.0, "transferred", 4.0 - 2 * (double)i, NULL);
    }
    /* The p90 of both queues' waits together: given, not a formula over the rows. */
    assert_int_equal(xl_table_set_given_total(q, "wait_p90_s", 33.0), ST_OK);

    xl_table_t *qa = xl_model_table(m, "quality_agents");
    for (size_t i = 0; i < 2; i++) {
        size_t r = add_row(qa);
        xl_table_set_text(qa, r, "agent", i ? "Agent 002" : "Agent 001");
        set_nums(qa, r, "evaluations", 10.0, "qa_score", i ? 80.0 : 90.0, "qa_pass_rate",
                 i ? 0.5 : 1.0, "fatal_rate", 0.0, "evaluated_contacts", 10.0, "answered", 100.0,
                 "qa_coverage", 0.1, NULL);
    }
    xl_table_t *qc = xl_model_table(m, "qa_csat");
    set_nums(qc, add_row(qc), "pearson_r", NAN, "pearson_n", 4.0, "too_few_pairs", 1.0,
             "spearman_rho", NAN, "spearman_n", 2.0, "spearman_too_few", 1.0, NULL);
    assert_int_equal(xl_table_set_text(qc, 0, "reading", "Pearson compares contacts."), ST_OK);
    xl_table_t *dq = xl_model_table(m, "data_quality");
    set_nums(dq, add_row(dq), "rows_received", 1000.0, "rows_rejected", 3.0, "duplicates", 2.0,
             "late_arrivals", 1.0, "fcr_provisional", 1.0, NULL);
    assert_int_equal(xl_table_set_text(dq, 0, "period_closed", "2026-12-01T00:00:00Z (report 7)"),
                     ST_OK);
    xl_table_t *me = xl_model_table(m, "methodology");
    size_t r = add_row(me);
    xl_table_set_text(me, r, "term", "service_level");
    xl_table_set_text(me, r, "definition", "answered_within / offered");
    xl_table_set_text(me, r, "parameters", "sl_threshold_s = 20, sl_formula = offered");
    r = add_row(me);
    xl_table_set_text(me, r, "term", "asa_s");
    xl_table_set_text(me, r, "definition", "mean wait of answered contacts");
    xl_table_set_text(me, r, "parameters", "");
    return m;
}

/* Reads a whole file into *out (malloc'd); its length, or -1. */
static long file_read(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    *out = malloc(FILE_MAX);
    assert_non_null(*out);
    long n = (long)fread(*out, 1, FILE_MAX, f);
    fclose(f);
    return n;
}

/* A fresh temporary directory for a test's files. */
static int dir_setup(void **state)
{
    char *d = malloc(64);
    snprintf(d, 64, "/tmp/test_xl_writer.XXXXXX");
    if (!mkdtemp(d)) {
        free(d);
        return -1;
    }
    *state = d;
    return 0;
}

/* Removes what the tests wrote and the directory. */
static int dir_teardown(void **state)
{
    char *d = *state, p[128];
    static const char *const names[] = {"a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx", "e.xlsx"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        unlink(p);
    }
    rmdir(d);
    free(d);
    return 0;
}

/*
 * The split template: a Cover showing the digest, a table "ev" (Evidence)
 * with a conditional format, a sum, a ratio and a weighted total, and a
 * facts sheet after it (the continuations must come before it).  The %s
 * are the English tabs of the table and of the sheet after it.
 */
static const char split_tpl_fmt[] =
    "{\"template\":\"split\",\"version\":1,\"title\":{\"en\":\"S\",\"zh\":\"S\"},\"sheets\":["
    "{\"id\":\"cover\",\"kind\":\"facts\",\"name\":{\"en\":\"Cover\",\"zh\":\"封面\"},"
    "\"table\":\"cover\",\"digest\":false,\"items\":["
    "{\"key\":\"tenant\",\"label\":{\"en\":\"Tenant\",\"zh\":\"租户\"},\"type\":\"text\"},"
    "{\"key\":\"data_digest\",\"label\":{\"en\":\"Data digest\",\"zh\":\"数据摘要\"},"
    "\"type\":\"text\"}]},"
    "{\"id\":\"ev\",\"kind\":\"table\",\"name\":{\"en\":\"%s\",\"zh\":\"证据\"},"
    "\"table\":\"ev\",\"total_label\":{\"en\":\"Month\",\"zh\":\"本月\"},\"columns\":["
    "{\"key\":\"call_id\",\"label\":{\"en\":\"Contact\",\"zh\":\"通话\"},\"type\":\"text\"},"
    "{\"key\":\"wait_s\",\"label\":{\"en\":\"Wait\",\"zh\":\"等待\"},\"format\":\"0\","
    "\"total\":{\"fn\":\"sum\"},"
    "\"conditional\":[{\"type\":\"rule\",\"op\":\">\",\"value\":10,\"style\":\"bad\"}]},"
    "{\"key\":\"within\",\"label\":{\"en\":\"Within\",\"zh\":\"达标\"},\"format\":\"0\","
    "\"total\":{\"fn\":\"sum\"}},"
    "{\"key\":\"n\",\"label\":{\"en\":\"N\",\"zh\":\"N\"},\"format\":\"0\",\"hidden\":true},"
    "{\"key\":\"sl\",\"label\":{\"en\":\"SL\",\"zh\":\"服务水平\"},\"format\":\"0.0%%\","
    "\"total\":{\"fn\":\"ratio\",\"num\":\"within\",\"den\":\"n\"}},"
    "{\"key\":\"asa\",\"label\":{\"en\":\"ASA\",\"zh\":\"平均应答\"},\"format\":\"0.0\","
    "\"total\":{\"fn\":\"weighted\",\"weight\":\"within\"}}]},"
    "{\"id\":\"after\",\"kind\":\"facts\",\"name\":{\"en\":\"%s\",\"zh\":\"之后\"},"
    "\"table\":\"after\",\"items\":[{\"key\":\"x\",\"label\":{\"en\":\"X\",\"zh\":\"X\"},"
    "\"format\":\"0\"}]}]}";

/* The split template with the table's tab `name` and the last sheet's `after`. */
static xl_tpl_t *split_tpl(const char *name, const char *after)
{
    char text[sizeof split_tpl_fmt + 256], err[256] = "";
    xl_tpl_t *t = NULL;
    snprintf(text, sizeof text, split_tpl_fmt, name, after);
    if (xl_tpl_parse(text, strlen(text), &t, err, sizeof err) != ST_OK)
        fail_msg("%s", err);
    return t;
}

/* The rows of the split model's table: row i (1-based) is contact "c<i>"
 * with wait i s, within 1 for i <= 6, n 1, sl = within, asa = i.  For 12
 * rows by hand: wait total 1 + .. + 12 = 78, within 6, sl 6 / 12 = 0.5,
 * asa weighted by within (1 + .. + 6) / 6 = 3.5. */
/* Contacts whose text a sheet's XML must escape or keep (XL_TRICKY): entities,
 * what reads as Excel's _xHHHH_ escape, a control byte, white space at the
 * ends, a formula's start, CJK, a line break; row 3's wait is undefined (an
 * empty cell, so the next cell names its column). */
static const char *const tricky_ids[] = {
    "a&b<c>d\"e'f", "_x0041_ and _x00", "ctl\x01\x1f", " lead", "trail ",
    "=1+2",         "通话-甲",          "two\nlines",  "\tTab", "\rCR",
};
#define N_TRICKY (sizeof tricky_ids / sizeof tricky_ids[0])

static bool tricky; /* the driver's XL_TRICKY */

static void split_row(xl_table_t *t, size_t r, size_t i, bool skip_wait)
{
    char id[16];
    snprintf(id, sizeof id, "c%03zu", i);
    if (tricky)
        assert_int_equal(xl_table_set_text(t, r, "call_id", tricky_ids[(i - 1) % N_TRICKY]), ST_OK);
    if (tricky && i == 3) {
        assert_int_equal(xl_table_set_number(t, r, "wait_s", NAN), ST_OK);
        skip_wait = true;
    }
    if (!tricky)
        assert_int_equal(xl_table_set_text(t, r, "call_id", id), ST_OK);
    if (!skip_wait)
        assert_int_equal(xl_table_set_number(t, r, "wait_s", (double)i), ST_OK);
    assert_int_equal(xl_table_set_number(t, r, "within", i <= 6 ? 1 : 0), ST_OK);
    assert_int_equal(xl_table_set_number(t, r, "n", 1), ST_OK);
    assert_int_equal(xl_table_set_number(t, r, "sl", i <= 6 ? 1 : 0), ST_OK);
    assert_int_equal(xl_table_set_number(t, r, "asa", (double)i), ST_OK);
}

/* A test row source: `rows` rows of split_row; counts its passes; row
 * `bad` (1-based, 0: none) lacks its wait, and next() fails at row
 * `fail_at` (0: never). */
typedef struct split_src {
    size_t rows, bad, fail_at;
    int opens, closes;
} split_src_t;

typedef struct split_pass {
    split_src_t *src;
    size_t i;
} split_pass_t;

static int split_open(void *arg, void **cur, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    split_pass_t *p = calloc(1, sizeof *p);
    p->src = arg;
    p->src->opens++;
    *cur = p;
    return ST_OK;
}

static int split_next(void *cur, xl_table_t *row, char *err, size_t errlen)
{
    split_pass_t *p = cur;
    if (p->i == p->src->rows)
        return 0;
    p->i++;
    if (p->i == p->src->fail_at) {
        snprintf(err, errlen, "source broke at %zu", p->i);
        return ST_ERR_DB;
    }
    split_row(row, 0, p->i, p->i == p->src->bad);
    return 1;
}

static void split_close(void *cur)
{
    split_pass_t *p = cur;
    p->src->closes++;
    free(p);
}

static const xl_source_t split_source = {split_open, split_next, split_close, NULL};

/* The split model: the table streamed from src, or (src NULL) `rows` stored rows. */
static xl_model_t *split_model(split_src_t *src, size_t rows)
{
    xl_model_t *m = xl_model_new();
    assert_int_equal(xl_model_set_generated_at(m, GENERATED_AT), ST_OK);
    assert_int_equal(xl_model_cover_text(m, XL_FACT_TENANT, "Acme"), ST_OK);
    xl_table_t *a = xl_model_table(m, "after");
    size_t r;
    assert_int_equal(xl_table_add_row(a, &r), ST_OK);
    assert_int_equal(xl_table_set_number(a, r, "x", 7), ST_OK);
    if (src) {
        assert_int_equal(xl_model_stream(m, "ev", &split_source, src), ST_OK);
        return m;
    }
    xl_table_t *t = xl_model_table(m, "ev");
    for (size_t i = 1; i <= rows; i++) {
        assert_int_equal(xl_table_add_row(t, &r), ST_OK);
        split_row(t, r, i, false);
    }
    return m;
}

static xl_tpl_t *load_template(const char *path)
{
    xl_tpl_t *t = NULL;
    char err[256] = "";
    if (xl_tpl_load(path, &t, err, sizeof err) != ST_OK)
        fail_msg("%s", err);
    return t;
}

static void test_rewrite_is_byte_identical(void **state)
{
    char a[128], b[128], c[128], err[256] = "", dig1[65], dig2[65];
    char *x = NULL, *y = NULL, *z = NULL;
    snprintf(a, sizeof a, "%s/a.xlsx", (char *)*state);
    snprintf(b, sizeof b, "%s/b.xlsx", (char *)*state);
    snprintf(c, sizeof c, "%s/c.xlsx", (char *)*state);
    xl_tpl_t *t = load_template(TEMPLATE);
    xl_model_t *m1 = client_model(XL_LANG_EN), *m2 = client_model(XL_LANG_EN);
    if (xl_write(a, t, m1, NULL, dig1, err, sizeof err) != ST_OK)
        fail_msg("%s", err);
    assert_int_equal(xl_write(b, t, m2, NULL, dig2, err, sizeof err), ST_OK);
    assert_string_equal(dig1, dig2);
    long na = file_read(a, &x), nb = file_read(b, &y);
    assert_true(na > 1000 && na < FILE_MAX);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, (size_t)na);

    /* A different generated_at changes the bytes (the creation date is in the file)
     * but not the data digest. */
    assert_int_equal(xl_model_set_generated_at(m2, GENERATED_AT + 1), ST_OK);
    assert_int_equal(xl_write(c, t, m2, NULL, dig2, err, sizeof err), ST_OK);
    assert_string_equal(dig1, dig2);
    long nc = file_read(c, &z);
    assert_true(nc > 0 && (nc != na || memcmp(x, z, (size_t)na) != 0));
    free(x);
    free(y);
    free(z);
    xl_model_free(m1);
    xl_model_free(m2);
    xl_tpl_free(t);
}

static void test_constant_memory_and_chinese(void **state)
{
    char a[128], b[128], err[256] = "", d1[65], d2[65];
    char *x = NULL, *y = NULL;
    xl_write_opts_t o;
    xl_write_opts_default(&o);
    assert_int_equal(o.constant_memory, -1);
    o.constant_memory = 1;
    snprintf(a, sizeof a, "%s/d.xlsx", (char *)*state);
    snprintf(b, sizeof b, "%s/e.xlsx", (char *)*state);
    xl_tpl_t *t = load_template(TEMPLATE);
    xl_model_t *m = client_model(XL_LANG_ZH);
    if (xl_write(a, t, m, &o, d1, err, sizeof err) != ST_OK)
        fail_msg("%s", err);
    assert_int_equal(xl_write(b, t, m, &o, d2, err, sizeof err), ST_OK);
    long na = file_read(a, &x), nb = file_read(b, &y);
    assert_true(na > 1000 && na == nb);
    assert_memory_equal(x, y, (size_t)na);
    free(x);
    free(y);
    xl_model_free(m);
    xl_tpl_free(t);
}

static void test_refusals(void **state)
{
    char a[128], err[256] = "";
    snprintf(a, sizeof a, "%s/a.xlsx", (char *)*state);
    xl_tpl_t *t = load_template(TEMPLATE);

    xl_model_t *m = client_model(XL_LANG_EN);
    assert_int_equal(xl_model_cover_text(m, XL_FACT_DATA_DIGEST, "00"), ST_OK);
    assert_int_equal(xl_write(a, t, m, NULL, NULL, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "is not the digest of its data"));
    xl_model_free(m);

    m = client_model(XL_LANG_EN);
    size_t r = add_row(xl_model_table(m, "daily")); /* a row without values */
    (void)r;
    assert_int_equal(xl_write(a, t, m, NULL, NULL, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "sheet 'daily' row 4 column 'day': no value in the model");
    xl_model_free(m);

    m = xl_model_new(); /* generated_at unset */
    assert_int_equal(xl_write(a, t, m, NULL, NULL, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "the model has no generated_at");
    xl_model_free(m);

    m = client_model(XL_LANG_EN);
    assert_int_equal(xl_write("/nonexistent-dir/x.xlsx", t, m, NULL, NULL, err, sizeof err),
                     ST_ERR_IO);
    xl_model_free(m);
    xl_tpl_free(t);
}

/* Adding a column the engine computes is a template edit: max_wait_s is in the
 * model's daily rows but not in the shipped Daily sheet. */
static void test_template_edit_adds_column(void **state)
{
    (void)state;
    char *text = NULL, err[256] = "";
    long n = file_read(TEMPLATE, &text);
    assert_true(n > 0);
    text[n] = '\0';
    static const char anchor[] = "\"key\": \"csat_good\"";
    char *at = strstr(text, anchor);
    assert_non_null(at);
    /* Back to the '{' that opens the csat_good column, insert a column before it. */
    while (at > text && *at != '{')
        at--;
    static const char col[] = "{\"key\": \"max_wait_s\", \"label\": {\"en\": \"Longest wait (s)\","
                              " \"zh\": \"最长等待 (秒)\"}, \"format\": \"0\"},";
    size_t off = (size_t)(at - text);
    char *edited = malloc((size_t)n + sizeof col);
    memcpy(edited, text, off);
    memcpy(edited + off, col, sizeof col - 1);
    memcpy(edited + off + sizeof col - 1, text + off, (size_t)n - off + 1);
    xl_tpl_t *t = NULL;
    if (xl_tpl_parse(edited, strlen(edited), &t, err, sizeof err) != ST_OK)
        fail_msg("%s", err);
    xl_model_t *m = client_model(XL_LANG_EN);
    buf_t b;
    buf_init(&b, 1 << 20);
    assert_int_equal(xl_digest_text(t, m, &b, err, sizeof err), ST_OK);
    assert_non_null(strstr(buf_cstr(&b), "daily\t3\tmax_wait_s\t102\n"));
    buf_free(&b);
    xl_model_free(m);
    xl_tpl_free(t);
    free(edited);
    free(text);
}

/*
 * A table split over sheets has the digest of the unsplit table, stored or
 * streamed; a streamed table is read once per workbook, and its pass closed.
 */
static void test_split_digest_is_the_unsplit_one(void **state)
{
    char a[128], err[256] = "", d_split[65], d_whole[65], d_stored[65], d_model[65];
    snprintf(a, sizeof a, "%s/a.xlsx", (char *)*state);
    xl_tpl_t *t = split_tpl("Evidence", "After");
    split_src_t src = {.rows = 12};
    xl_model_t *m = split_model(&src, 0), *stored = split_model(NULL, 12);
    xl_write_opts_t o;
    xl_write_opts_default(&o);
    assert_int_equal(o.max_rows_per_sheet, 1048576);
    o.max_rows_per_sheet = 5;
    if (xl_write(a, t, m, &o, d_split, err, sizeof err) != ST_OK)
        fail_msg("%s", err);
    assert_int_equal(src.opens, 1);
    assert_int_equal(src.closes, 1);
    assert_int_equal(xl_write(a, t, m, NULL, d_whole, err, sizeof err), ST_OK);
    assert_int_equal(xl_write(a, t, stored, &o, d_stored, err, sizeof err), ST_OK);
    assert_int_equal(xl_digest(t, stored, d_model, err, sizeof err), ST_OK);
    assert_string_equal(d_split, d_whole);
    assert_string_equal(d_split, d_stored);
    assert_string_equal(d_split, d_model);
    assert_int_equal(src.opens, 2);
    assert_int_equal(src.closes, 2);

    /* The canonical text numbers the rows 1..12 across the sheets; the
     * totals are by hand (split_row): 78, 6, 0.5, 3.5. */
    buf_t b;
    buf_init(&b, 1 << 20);
    assert_int_equal(xl_digest_text(t, m, &b, err, sizeof err), ST_OK);
    assert_non_null(strstr(buf_cstr(&b), "ev\t12\tcall_id\t\"c012\"\nev\t12\twait_s\t12\n"));
    assert_non_null(strstr(buf_cstr(&b), "ev\ttotal\twait_s\t78\nev\ttotal\twithin\t6\n"
                                         "ev\ttotal\tsl\t0.5\nev\ttotal\tasa\t3.5\n"
                                         "after\t1\tx\t7\n"));
    buf_free(&b);
    xl_model_free(m);
    xl_model_free(stored);
    xl_tpl_free(t);
}

/* What cannot be split or streamed is refused with the reason. */
static void test_split_refusals(void **state)
{
    char a[128], err[256] = "";
    snprintf(a, sizeof a, "%s/a.xlsx", (char *)*state);
    xl_write_opts_t o;
    xl_write_opts_default(&o);
    xl_tpl_t *t = split_tpl("Evidence", "After");
    split_src_t src = {.rows = 12};
    xl_model_t *m = split_model(&src, 0);

    o.max_rows_per_sheet = 1; /* no room for a row under the header */
    assert_int_equal(xl_write(a, t, m, &o, NULL, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "max_rows_per_sheet must be 2..1048576");
    o.max_rows_per_sheet = 1048577;
    assert_int_equal(xl_write(a, t, m, &o, NULL, err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(src.opens, 0);

    /* A streamed row that does not fit the template stops the writing. */
    o.max_rows_per_sheet = 5;
    src.bad = 7;
    assert_int_equal(xl_write(a, t, m, &o, NULL, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "sheet 'ev' row 7 column 'wait_s': no value in the model");
    src.bad = 0;
    src.fail_at = 3;
    assert_int_equal(xl_write(a, t, m, &o, NULL, err, sizeof err), ST_ERR_DB);
    assert_string_equal(err, "source broke at 3");
    assert_int_equal(src.opens, src.closes);
    src.fail_at = 0;
    xl_tpl_free(t);

    /* A continuation may not take another sheet's tab (Excel ignores case). */
    t = split_tpl("Evidence", "EVIDENCE (2)");
    assert_int_equal(xl_write(a, t, m, &o, NULL, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "sheet 'ev': its continuation 'Evidence (2)' has the tab of sheet "
                             "'after'");
    xl_tpl_free(t);
    xl_model_free(m);
}

/* A chart cannot span sheets: a charted table that overflows is refused. */
static void test_split_chart_refused(void **state)
{
    char a[128], err[256] = "";
    snprintf(a, sizeof a, "%s/a.xlsx", (char *)*state);
    xl_tpl_t *t = load_template(TEMPLATE);
    xl_model_t *m = client_model(XL_LANG_EN);
    xl_write_opts_t o;
    xl_write_opts_default(&o);
    o.max_rows_per_sheet = 4; /* Daily has 3 rows and a totals row: 5 */
    assert_int_equal(xl_write(a, t, m, &o, NULL, err, sizeof err), ST_ERR_TOO_LARGE);
    assert_string_equal(err,
                        "sheet 'daily': 3 rows do not fit one sheet, and its charts cannot span "
                        "sheets");
    o.max_rows_per_sheet = 5; /* fits exactly */
    if (xl_write(a, t, m, &o, NULL, err, sizeof err) != ST_OK)
        fail_msg("%s", err);
    xl_model_free(m);
    xl_tpl_free(t);
}

/* With XL_OUT set: writes the model there for tests/xl/test_xl_readback.py. */
static void test_driver(void **state)
{
    (void)state;
    const char *out = getenv("XL_OUT"), *lang = getenv("XL_LANG"), *tp = getenv("XL_TEMPLATE");
    const char *cm = getenv("XL_CONST"), *split = getenv("XL_SPLIT");
    char err[256] = "", dig[65];
    xl_lang_t l = XL_LANG_EN;
    if (!out)
        skip();
    if (split) {
        const char *rows = getenv("XL_ROWS"), *name = getenv("XL_SPLIT_NAME");
        split_src_t src = {.rows = rows ? strtoul(rows, NULL, 10) : 12};
        xl_tpl_t *t = split_tpl(name ? name : "Evidence", "After");
        xl_model_t *m = split_model(&src, 0);
        xl_write_opts_t o;
        xl_write_opts_default(&o);
        if (strtoul(split, NULL, 10) > 0)
            o.max_rows_per_sheet = strtoul(split, NULL, 10);
        if (getenv("XL_SPLICE"))
            o.splice_rows = atoi(getenv("XL_SPLICE"));
        tricky = getenv("XL_TRICKY") != NULL;
        if (lang)
            assert_int_equal(xl_lang_parse(lang, &l), ST_OK);
        xl_model_set_lang(m, l);
        if (xl_write(out, t, m, &o, dig, err, sizeof err) != ST_OK)
            fail_msg("%s", err);
        printf("digest %s\n", dig);
        xl_model_free(m);
        xl_tpl_free(t);
        return;
    }
    if (lang)
        assert_int_equal(xl_lang_parse(lang, &l), ST_OK);
    xl_tpl_t *t = load_template(tp ? tp : TEMPLATE);
    xl_model_t *m = client_model(l);
    if (getenv("XL_FORMULA_TEXT")) {
        /* Data that looks like formulas (a tenant name, queue names): the read-back
         * checks they stay text, also once exported to CSV. */
        static const char *const risky[] = {"=HYPERLINK(\"http://x.invalid\",\"y\")",
                                            "+1+2",
                                            "-3",
                                            "@SUM(1)",
                                            "\tTab",
                                            "\rCR",
                                            "a=b"};
        assert_int_equal(xl_model_cover_text(m, XL_FACT_TENANT, "=1+2"), ST_OK);
        xl_table_t *q = xl_model_table(m, "queues");
        for (size_t i = 0; i < sizeof risky / sizeof risky[0]; i++) {
            size_t r = add_row(q);
            xl_table_set_text(q, r, "queue", risky[i]);
            set_nums(q, r, "offered", 1.0, "answered", 1.0, "abandoned", 0.0, "sl_num", 1.0,
                     "sl_den", 1.0, "service_level", 1.0, "asa_s", 1.0, "abandon_rate", 0.0,
                     "aht_s", 1.0, "transfer_rate", 0.0, "wait_p90_s", 1.0, "max_wait_s", 1.0,
                     "overflow", 0.0, "short_abandoned", 0.0, "transferred", 0.0, NULL);
        }
    }
    xl_write_opts_t o;
    xl_write_opts_default(&o);
    if (cm)
        o.constant_memory = strcmp(cm, "1") == 0;
    if (xl_write(out, t, m, &o, dig, err, sizeof err) != ST_OK)
        fail_msg("%s", err);
    printf("digest %s\n", dig);
    xl_model_free(m);
    xl_tpl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rewrite_is_byte_identical, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_constant_memory_and_chinese, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, dir_setup, dir_teardown),
        cmocka_unit_test(test_template_edit_adds_column),
        cmocka_unit_test_setup_teardown(test_split_digest_is_the_unsplit_one, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(test_split_refusals, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_split_chart_refused, dir_setup, dir_teardown),
        cmocka_unit_test(test_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
