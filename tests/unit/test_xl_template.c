/* Unit tests for reports/xl_template.c: valid templates, the shipped client-monthly,
 * and refusals naming the JSON path of the fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "status.h"
#include "xl_template.h"

#define BASE                                                                                       \
    "{\"template\":\"t\",\"version\":1,\"title\":{\"en\":\"T\",\"zh\":\"T\"},\"sheets\":[%s]}"
#define LBL "\"label\":{\"en\":\"L\",\"zh\":\"标\"}"
#define SHEET1                                                                                     \
    "{\"id\":\"s\",\"kind\":\"table\",\"name\":{\"en\":\"S\",\"zh\":\"表\"},\"table\":\"s\","
#define NAME_C "{\"key\":\"name\"," LBL ",\"type\":\"text\"}"
#define FACTS1                                                                                     \
    "{\"id\":\"f\",\"kind\":\"facts\",\"name\":{\"en\":\"F\",\"zh\":\"F\"},\"table\":\"f\","
#define N_C "{\"key\":\"n\"," LBL ",\"format\":\"#,##0\"}"

/* Parses BASE with `sheets` spliced in; returns the status, error in err. */
static int parse_sheets(const char *sheets, xl_tpl_t **t, char *err, size_t errlen)
{
    char text[4096];
    int n = snprintf(text, sizeof text, BASE, sheets);
    assert_true(n > 0 && (size_t)n < sizeof text);
    return xl_tpl_parse(text, (size_t)n, t, err, errlen);
}

static void test_valid_table_sheet(void **state)
{
    (void)state;
    xl_tpl_t *t = NULL;
    char err[256] = "";
    int rc = parse_sheets(
        SHEET1
        "\"total_label\":{\"en\":\"Total\",\"zh\":\"合计\"},\"columns\":[" NAME_C "," N_C
        ",{\"key\":\"r\"," LBL ",\"format\":{\"en\":\"0.0%\",\"zh\":\"0.0%\"},"
        "\"total\":{\"fn\":\"weighted\",\"weight\":\"n\"},"
        "\"conditional\":[{\"type\":\"rule\",\"op\":\">=\",\"value\":0.8,\"style\":\"good\"}]}],"
        "\"charts\":[{\"type\":\"line\",\"title\":{\"en\":\"C\",\"zh\":\"图\"},"
        "\"categories\":\"name\",\"series\":[{\"column\":\"r\",\"dash\":true}]}]}",
        &t, err, sizeof err);
    assert_int_equal(rc, ST_OK);
    assert_string_equal(xl_tpl_name(t), "t");
    assert_int_equal(xl_tpl_sheet_count(t), 1);
    const xl_tpl_sheet_t *sh = xl_tpl_sheet(t, 0);
    assert_string_equal(sh->id, "s");
    assert_string_equal(sh->name.s[XL_LANG_ZH], "表");
    assert_int_equal(sh->freeze_rows, 1); /* default: the header row */
    assert_int_equal(sh->freeze_cols, 0);
    assert_true(sh->digest);
    assert_true(sh->has_totals);
    assert_int_equal(sh->n_columns, 3);
    assert_int_equal(sh->columns[0].type, XL_TPL_TEXT);
    assert_null(sh->columns[0].format.s[XL_LANG_EN]);
    assert_string_equal(sh->columns[1].format.s[XL_LANG_ZH], "#,##0"); /* plain: both languages */
    assert_int_equal(sh->columns[2].total.fn, XL_TOTAL_WEIGHTED);
    assert_int_equal(sh->columns[2].total.weight, 1);
    assert_int_equal(sh->columns[2].n_conds, 1);
    assert_int_equal(sh->columns[2].conds[0].op, XL_OP_GE);
    assert_true(sh->columns[2].conds[0].value == 0.8);
    assert_int_equal(sh->columns[2].conds[0].column, -1);
    assert_int_equal(sh->n_charts, 1);
    assert_int_equal(sh->charts[0].categories, 0);
    assert_int_equal(sh->charts[0].series[0].column, 2);
    assert_true(sh->charts[0].series[0].dash);
    assert_int_equal(xl_tpl_column_find(sh, "r"), 2);
    assert_int_equal(xl_tpl_column_find(sh, "zz"), -1);
    assert_null(xl_tpl_sheet(t, 1));
    xl_tpl_free(t);
    xl_tpl_free(NULL);
}

static void test_client_monthly_loads(void **state)
{
    (void)state;
    static const char *const ids[] = {"cover",   "changes",      "changes_batches", "scorecard",
                                      "daily",   "intervals",    "queues",          "quality",
                                      "qa_csat", "data_quality", "methodology"};
    xl_tpl_t *t = NULL;
    char err[256] = "";
    int rc = xl_tpl_load("templates/client-monthly.json", &t, err, sizeof err);
    if (rc != ST_OK)
        fail_msg("%s", err);
    assert_string_equal(xl_tpl_name(t), "client-monthly");
    assert_int_equal(xl_tpl_sheet_count(t), sizeof ids / sizeof ids[0]);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        assert_string_equal(xl_tpl_sheet(t, i)->id, ids[i]);
    assert_false(xl_tpl_sheet(t, 0)->digest);
    assert_int_equal(xl_tpl_sheet(t, 0)->kind, XL_TPL_FACTS);
    assert_false(xl_tpl_sheet(t, 1)->digest); /* Changes: the difference, not the values */
    assert_false(xl_tpl_sheet(t, 2)->digest);
    assert_int_equal(xl_tpl_sheet(t, 4)->n_charts, 2);
    xl_tpl_free(t);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    xl_tpl_t *t = (xl_tpl_t *)&t;
    char err[256] = "";
    assert_int_equal(xl_tpl_load("templates/no-such.json", &t, err, sizeof err), ST_ERR_IO);
    assert_null(t);
}

/* Each case: the sheets array, and the start of the expected message. */
static const struct {
    const char *sheets, *want;
} refusals[] = {
    {SHEET1 "\"columns\":[" NAME_C "],\"bogus\":1}", "sheets[0].bogus: unknown key"},
    {"{\"id\":\"s\",\"kind\":\"pivot\",\"name\":{\"en\":\"S\",\"zh\":\"S\"}}",
     "sheets[0].kind: unknown value (one of: table, facts)"},
    {SHEET1 "\"columns\":[{\"key\":\"n\"," LBL ",\"format\":\"0.0\\\"%\"}]}",
     "sheets[0].columns[0].format: unclosed '\"'"},
    {SHEET1 "\"columns\":[{\"key\":\"n\"," LBL ",\"format\":{\"en\":\"0\",\"zh\":\"[Red0\"}}]}",
     "sheets[0].columns[0].format.zh: unclosed '['"},
    {SHEET1 "\"columns\":[{\"key\":\"n\"," LBL ",\"format\":\"@\"}]}",
     "sheets[0].columns[0].format: \"@\" would store numbers as text"},
    {SHEET1 "\"columns\":[{\"key\":\"n\"," LBL ",\"format\":\"0;0;0;0;0\"}]}",
     "sheets[0].columns[0].format: more than 4 sections"},
    {SHEET1 "\"columns\":[{\"key\":\"n\"," LBL "}]}", "sheets[0].columns[0].format: required"},
    {SHEET1 "\"columns\":[{\"key\":\"n\",\"label\":{\"en\":\"L\"},\"format\":\"0\"}]}",
     "sheets[0].columns[0].label.zh: required"},
    {SHEET1 "\"columns\":[" NAME_C ",{\"key\":\"n\"," LBL
            ",\"format\":\"0\",\"total\":{\"fn\":\"weighted\",\"weight\":\"zz\"}}],"
            "\"total_label\":{\"en\":\"T\",\"zh\":\"T\"}}",
     "sheets[0].columns[1].total.weight: no column 'zz' in this sheet"},
    {SHEET1 "\"columns\":[" NAME_C "," N_C ",{\"key\":\"r\"," LBL
            ",\"format\":\"0\",\"total\":{\"fn\":\"sum\"}}]}",
     "sheets[0].total_label: required"},
    {SHEET1
     "\"columns\":[" NAME_C ",{\"key\":\"n\"," LBL
     ",\"format\":\"0\",\"conditional\":[{\"type\":\"rule\",\"op\":\">=\",\"style\":\"good\"}]}]}",
     "sheets[0].columns[1].conditional[0]: give exactly one of \"value\" and \"column\""},
    {SHEET1 "\"columns\":[{\"key\":\"name\"," LBL
            ",\"type\":\"text\",\"conditional\":[{\"type\":\"heat\"}]}]}",
     "sheets[0].columns[0].conditional[0]: a heat map is the only format of a number column"},
    {SHEET1 "\"columns\":[" NAME_C "," NAME_C "]}",
     "sheets[0].columns[1].key: 'name' appears twice in this sheet"},
    {SHEET1 "\"columns\":[{\"key\":\"Bad-Key\"," LBL ",\"type\":\"text\"}]}",
     "sheets[0].columns[0].key: must be 1..64"},
    {"{\"id\":\"s\",\"kind\":\"table\",\"name\":{\"en\":\"a:b\",\"zh\":\"S\"},\"table\":\"s\","
     "\"columns\":[" NAME_C "]}",
     "sheets[0].name.en: a sheet name cannot contain any of []:*?/\\"},
    {SHEET1 "\"columns\":[" NAME_C "]},{\"id\":\"u\",\"kind\":\"table\",\"name\":{\"en\":\"s\","
            "\"zh\":\"U\"},\"table\":\"s\",\"columns\":[" NAME_C "]}",
     "sheets[1].name.en: same name as sheets[0]"},
    {SHEET1 "\"columns\":[" NAME_C "],\"charts\":[{\"type\":\"pie\"}]}",
     "sheets[0].charts[0].type: unknown value (one of: line, column)"},
    {SHEET1 "\"columns\":[" NAME_C "],\"charts\":[{\"type\":\"line\",\"title\":{\"en\":\"C\","
            "\"zh\":\"C\"},\"categories\":\"name\",\"series\":[{\"column\":\"name\"}]}]}",
     "sheets[0].charts[0].series[0].column: column 'name' is not a number column"},
    {"{\"id\":\"f\",\"kind\":\"facts\",\"name\":{\"en\":\"F\",\"zh\":\"F\"},\"table\":\"f\","
     "\"items\":[{\"key\":\"x\"," LBL ",\"format\":\"0\",\"total\":{\"fn\":\"sum\"}}]}",
     "sheets[0].items[0].total: unknown key"},
    {SHEET1 "\"columns\":[" NAME_C ",{\"key\":\"n\"," LBL
            ",\"format\":\"0\",\"formats\":{\"by\":\"zz\",\"map\":{\"a\":\"0%\"}}}]}",
     "sheets[0].columns[1].formats.by: no column 'zz' in this sheet"},
    {SHEET1 "\"columns\":[" NAME_C "," N_C ",{\"key\":\"r\"," LBL
            ",\"format\":\"0\",\"formats\":{\"by\":\"n\",\"map\":{\"a\":\"0%\"}}}]}",
     "sheets[0].columns[2].formats.by: must name a text column"},
    {SHEET1 "\"columns\":[" NAME_C ",{\"key\":\"n\"," LBL
            ",\"format\":\"0\",\"formats\":{\"by\":\"name\",\"map\":{}}}]}",
     "sheets[0].columns[1].formats.map: must be an object of 1 to 8 formats"},
    {SHEET1 "\"columns\":[" NAME_C ",{\"key\":\"n\"," LBL
            ",\"format\":\"0\",\"formats\":{\"by\":\"name\",\"map\":{\"a\":\"@\"}}}]}",
     "sheets[0].columns[1].formats.map.a: \"@\" would store numbers as text"},
    {SHEET1 "\"columns\":[{\"key\":\"t\"," LBL
            ",\"type\":\"text\",\"formats\":{\"by\":\"t\",\"map\":{\"a\":\"0\"}}}]}",
     "sheets[0].columns[0].formats: only number columns have formats"},
    {SHEET1 "\"columns\":[" NAME_C ",{\"key\":\"n\"," LBL
            ",\"format\":\"0\",\"labels\":{\"a\":\"A\"}}]}",
     "sheets[0].columns[1].labels: only text columns have labels"},
    {SHEET1 "\"columns\":[{\"key\":\"t\"," LBL ",\"type\":\"text\",\"labels\":[]}]}",
     "sheets[0].columns[0].labels: must be an object of 1 to 64 labels"},
    {SHEET1 "\"columns\":[{\"key\":\"t\"," LBL
            ",\"type\":\"text\",\"labels\":{\"a\":{\"en\":\"A\"}}}]}",
     "sheets[0].columns[0].labels.a.zh: required"},
    {SHEET1 "\"columns\":[" NAME_C "],\"pages_wide\":5}", "sheets[0].pages_wide: must be"},
    {SHEET1 "\"columns\":[" NAME_C "],\"pages_wide\":1.5}",
     "sheets[0].pages_wide: must be a whole number of pages"},
    {"", "sheets: must be an array of 1..64 sheets"},
    /* facts items, headings and blocks (the Cover's summary) */
    {SHEET1 "\"columns\":[{\"key\":\"h\"," LBL ",\"type\":\"heading\"}]}",
     "sheets[0].columns[0].type: a heading is an item of a facts sheet"},
    {FACTS1 "\"items\":[{\"key\":\"h\"," LBL ",\"type\":\"heading\",\"format\":\"0\"}]}",
     "sheets[0].items[0].format: only a number has a number format"},
    {FACTS1 "\"items\":[" N_C "],\"blocks\":[{\"table\":\"b\",\"columns\":[" NAME_C "]}]}",
     "sheets[0].blocks: only in a sheet with \"digest\": false"},
    {FACTS1 "\"digest\":false,\"items\":[" N_C "],\"blocks\":[{\"table\":\"b\","
            "\"after\":\"zz\",\"columns\":[" NAME_C "]}]}",
     "sheets[0].blocks[0].after: no item 'zz' in this sheet"},
    {FACTS1 "\"digest\":false,\"items\":[" N_C "],\"blocks\":[{\"table\":\"b\",\"columns\":[" NAME_C
            ",{\"key\":\"n\"," LBL ",\"format\":\"0\",\"total\":{\"fn\":\"sum\"}}]}]}",
     "sheets[0].blocks[0]: a block has no totals"},
    {FACTS1 "\"digest\":false,\"items\":[" N_C "],\"blocks\":[{\"table\":\"b\","
            "\"charts\":[],\"columns\":[" NAME_C "]}]}",
     "sheets[0].blocks[0].charts: unknown key"},
    {SHEET1 "\"columns\":[{\"key\":\"n\"," LBL ",\"format\":\"0\",\"note\":\"x\"}]}",
     "sheets[0].columns[0].note: unknown key"},
};

static void test_refusals_name_the_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        xl_tpl_t *t = (xl_tpl_t *)&t;
        char err[256] = "";
        int rc = parse_sheets(refusals[i].sheets, &t, err, sizeof err);
        if (rc != ST_ERR_INVALID || strncmp(err, refusals[i].want, strlen(refusals[i].want)) != 0)
            fail_msg("case %zu: rc %d, err \"%s\", want \"%s\"", i, rc, err, refusals[i].want);
        assert_null(t);
    }
}

static void test_refusals_top_level(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"template\":\"t\",\"version\":2,\"title\":{\"en\":\"T\",\"zh\":\"T\"},\"sheets\":[]}",
         "version: must be in 1..1"},
        {"{\"template\":\"T!\",\"version\":1}", "template: must be 1..64"},
        {"{\"template\":\"t\",\"template\":\"u\"}", "line 1"}, /* duplicate key (jansson) */
        {"[1]", "(root): a template is a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xl_tpl_t *t = NULL;
        char err[256] = "";
        int rc = xl_tpl_parse(cases[i].text, strlen(cases[i].text), &t, err, sizeof err);
        if (rc != ST_ERR_INVALID || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: rc %d, err \"%s\", want \"%s\"", i, rc, err, cases[i].want);
    }
}

/* A facts sheet with a note, a strong item, a heading and a block after an
 * item; a chart's axis titles; a "given" total. */
static void test_facts_blocks_and_axis_titles(void **state)
{
    (void)state;
    xl_tpl_t *t = NULL;
    char err[256] = "";
    int rc = parse_sheets(
        FACTS1 "\"digest\":false,\"items\":[{\"key\":\"v\"," LBL ",\"type\":\"text\","
               "\"strong\":true},{\"key\":\"h\"," LBL ",\"type\":\"heading\"},"
               "{\"key\":\"n\"," LBL ",\"format\":\"0\",\"note\":{\"en\":\"N\",\"zh\":\"注\"}}],"
               "\"blocks\":[{\"table\":\"b\",\"after\":\"v\",\"title\":{\"en\":\"B\",\"zh\":\"B\"},"
               "\"columns\":[" NAME_C "," N_C "]},{\"table\":\"c\",\"columns\":[" NAME_C
               "]}]}," SHEET1 "\"total_label\":{\"en\":\"T\",\"zh\":\"T\"},\"columns\":[" NAME_C
               ",{\"key\":\"p\"," LBL ",\"format\":\"0\",\"total\":{\"fn\":\"given\"}}],"
               "\"charts\":[{\"type\":\"line\",\"title\":{\"en\":\"C\",\"zh\":\"C\"},"
               "\"categories\":\"name\",\"y_title\":{\"en\":\"Y\",\"zh\":\"纵\"},"
               "\"series\":[{\"column\":\"p\"}]}]}",
        &t, err, sizeof err);
    assert_int_equal(rc, ST_OK);
    const xl_tpl_sheet_t *f = xl_tpl_sheet(t, 0);
    assert_true(f->columns[0].strong);
    assert_int_equal(f->columns[1].type, XL_TPL_HEADING);
    assert_string_equal(f->columns[2].note.s[XL_LANG_ZH], "注");
    assert_null(f->columns[0].note.s[XL_LANG_EN]);
    assert_int_equal(f->n_blocks, 2);
    assert_int_equal(f->blocks[0].kind, XL_TPL_TABLE);
    assert_string_equal(f->blocks[0].table, "b");
    assert_int_equal(f->blocks[0].after, 0);  /* after item "v" */
    assert_int_equal(f->blocks[1].after, -1); /* after the last item */
    assert_false(f->blocks[0].digest);
    assert_string_equal(f->blocks[0].title.s[XL_LANG_EN], "B");
    const xl_tpl_sheet_t *s = xl_tpl_sheet(t, 1);
    assert_int_equal(s->columns[1].total.fn, XL_TOTAL_GIVEN);
    assert_null(s->charts[0].x_title.s[XL_LANG_EN]); /* the writer uses the column's label */
    assert_string_equal(s->charts[0].y_title.s[XL_LANG_ZH], "纵");
    xl_tpl_free(t);
}

static void test_lang_parse(void **state)
{
    (void)state;
    xl_lang_t l = XL_LANG_EN;
    assert_int_equal(xl_lang_parse("zh", &l), ST_OK);
    assert_int_equal(l, XL_LANG_ZH);
    assert_int_equal(xl_lang_parse("fr", &l), ST_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table_sheet),
        cmocka_unit_test(test_client_monthly_loads),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_refusals_name_the_path),
        cmocka_unit_test(test_refusals_top_level),
        cmocka_unit_test(test_lang_parse),
        cmocka_unit_test(test_facts_blocks_and_axis_titles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
