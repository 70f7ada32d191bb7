/*
 * Unit tests for server/jobs/report_portfolio.c's pure part, rportfolio_fill():
 * hand-made tenant months through templates/portfolio-monthly.json (the
 * model fits the template, the rows and totals are the hand-worked ones,
 * credits are grouped by currency, a tenant without a contract shows the
 * defaults, the language follows the tenant requested under), and the
 * workbook writes.  Run from the repository root (make unit does).
 *
 * With PORTFOLIO_XL_OUT set, test_write also leaves the Chinese workbook at
 * that path, to look at by hand.
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

#include "report_portfolio.h"
#include "status.h"
#include "xl_model.h"
#include "xl_template.h"
#include "xl_writer.h"

#define TEMPLATE     "templates/portfolio-monthly.json"
#define GENERATED_AT 1796083200 /* 2026-12-01T00:00:00Z */

/*
 * Four tenants, by slug:
 *   acme   contract v2, CNY, 3 items: 1 met, 2 missed, credit 400.00 after the cap;
 *          offered 5, answered 4, abandoned 1, SL 3/5, ASA 16.25, AHT 135,
 *          FCR 2/3, CSAT 2/3, 3 evaluations, QA 91.6667
 *   beta   contract v1, USD, 1 item missed, credit 250.00; offered 3, answered 3,
 *          SL 2/3 (answered formula: num 2, den 3), ASA 70/3, AHT 140, no FCR,
 *          CSAT or QA
 *   delta  contract v1, CNY, 2 items met, credit 0; offered 10, answered 10,
 *          SL 9/10, ASA 10, AHT 200, FCR 8/8, CSAT 4/5, 2 evaluations, QA 80
 *   gamma  no contract: offered 2, answered 1, SL 1/2, ASA 20, AHT 100
 */
static tenant_t tenants[4];
static rmodel_month_t months[4];

/* One month's queue numbers. */
static void queue(rmodel_month_t *mo, int64_t offered, int64_t answered, int64_t abandoned,
                  int64_t num, int64_t den, double asa, double aht)
{
    mo->total.offered = offered;
    mo->total.answered = answered;
    mo->total.abandoned = abandoned;
    mo->sl_num = num;
    mo->sl_den = den;
    mo->total.service_level = (double)num / (double)den;
    mo->total.asa_s = asa;
    mo->total.aht_s = aht;
    mo->total.abandon_rate = (double)abandoned / (double)offered;
}

/* A contract's terms. */
static void terms(rmodel_month_t *mo, int version, const char *currency, int64_t fee_cents,
                  int32_t cap_centi, size_t items, size_t met, size_t missed, int64_t credit)
{
    mo->info.contract_version = version;
    mo->has_contract = true;
    mo->eff_year = 2026;
    mo->eff_month = 10;
    mo->eff_day = 1;
    snprintf(mo->currency, sizeof mo->currency, "%s", currency);
    mo->fee_cents = fee_cents;
    mo->cap_centi = cap_centi;
    mo->items = items;
    mo->items_met = met;
    mo->items_missed = missed;
    mo->credit_cents = credit;
}

static int setup(void **state)
{
    (void)state;
    static const char *const slugs[] = {"acme", "beta", "delta", "gamma"};
    static const char *const names[] = {"Acme Insurance", "Beta Bank", "Delta Air", "Gamma Retail"};
    static const char *const zones[] = {"Asia/Shanghai", "America/New_York", "Asia/Shanghai",
                                        "Europe/London"};
    memset(tenants, 0, sizeof tenants);
    memset(months, 0, sizeof months);
    for (size_t i = 0; i < 4; i++) {
        rmodel_month_t *mo = &months[i];
        tenants[i].id = 10 + i;
        snprintf(tenants[i].slug, sizeof tenants[i].slug, "%s", slugs[i]);
        snprintf(tenants[i].name, sizeof tenants[i].name, "%s", names[i]);
        snprintf(mo->info.timezone, sizeof mo->info.timezone, "%s", zones[i]);
        sla_params_default(&mo->info.params, NULL);
        snprintf(mo->language, sizeof mo->language, "en");
        mo->qa_pass_mark = 85;
        mo->total.fcr = mo->total.csat = mo->qa.qa_score = NAN;
    }
    rmodel_month_t *a = &months[0], *b = &months[1], *d = &months[2], *g = &months[3];
    queue(a, 5, 4, 1, 3, 5, 16.25, 135);
    a->info.params.sl_target = 0.80;
    a->total.fcr_resolved = 2, a->total.fcr_base = 3, a->total.fcr = 2.0 / 3;
    a->total.csat_good = 2, a->total.csat_n = 3, a->total.csat = 2.0 / 3;
    a->qa.evaluations = 3, a->qa.qa_score = 275.0 / 3;
    terms(a, 2, "CNY", 1000000, 400, 3, 1, 2, 40000);
    queue(b, 3, 3, 0, 2, 3, 70.0 / 3, 140);
    b->info.params.sl_formula = SLA_SL_ANSWERED;
    b->info.params.sl_threshold_s = 30;
    b->info.params.sl_target = 0.90;
    terms(b, 1, "USD", 500000, 1000, 1, 0, 1, 25000);
    queue(d, 10, 10, 0, 9, 10, 10, 200);
    d->info.params.sl_target = 0.85;
    d->total.fcr_resolved = 8, d->total.fcr_base = 8, d->total.fcr = 1;
    d->total.csat_good = 4, d->total.csat_n = 5, d->total.csat = 0.8;
    d->qa.evaluations = 2, d->qa.qa_score = 80;
    terms(d, 1, "CNY", 2000000, 500, 2, 2, 0, 0);
    queue(g, 2, 1, 0, 1, 2, 20, 100);
    return 0;
}

static rportfolio_req_t request(uint64_t anchor)
{
    rportfolio_req_t r = {.tenants = tenants,
                          .n_tenants = 4,
                          .anchor_id = anchor,
                          .year = 2026,
                          .month = 10,
                          .template_name = "portfolio-monthly",
                          .report_id = 42,
                          .generated_at = GENERATED_AT,
                          .cert_fingerprint = "ab"};
    return r;
}

/* A number cell of a table row. */
static double num(const xl_table_t *t, size_t row, const char *key)
{
    xl_cell_t c = xl_table_get(t, row, key);
    assert_int_equal(c.kind, XL_CELL_NUMBER);
    return c.num;
}

/* A text cell of a table row. */
static const char *text(const xl_table_t *t, size_t row, const char *key)
{
    xl_cell_t c = xl_table_get(t, row, key);
    assert_int_equal(c.kind, XL_CELL_TEXT);
    return c.text;
}

/* The sheet with a given id. */
static const xl_tpl_sheet_t *sheet(const xl_tpl_t *t, const char *id)
{
    for (size_t i = 0; i < xl_tpl_sheet_count(t); i++)
        if (strcmp(xl_tpl_sheet(t, i)->id, id) == 0)
            return xl_tpl_sheet(t, i);
    fail_msg("no sheet %s", id);
    return NULL;
}

/* The total the writer puts under column `key` of the Portfolio sheet. */
static double total(const xl_model_t *m, const xl_tpl_t *t, const char *key)
{
    const xl_tpl_sheet_t *sh = sheet(t, "portfolio");
    int c = xl_tpl_column_find(sh, key);
    assert_true(c >= 0);
    return xl_model_total(xl_model_find(m, "portfolio"), sh, (size_t)c);
}

/* Fills the model of the four tenants and loads the template. */
static void fill(uint64_t anchor, xl_model_t **m, xl_tpl_t **t)
{
    char err[256] = "";
    rportfolio_req_t req = request(anchor);
    assert_int_equal(xl_tpl_load(TEMPLATE, t, err, sizeof err), ST_OK);
    *m = xl_model_new();
    assert_int_equal(rportfolio_fill(*m, &req, months, err, sizeof err), ST_OK);
    assert_int_equal(xl_model_check(*m, *t, err, sizeof err), ST_OK);
}

static void test_rows_and_totals(void **state)
{
    (void)state;
    xl_model_t *m;
    xl_tpl_t *t;
    fill(10, &m, &t);
    const xl_table_t *p = xl_model_find(m, "portfolio");
    assert_int_equal(xl_table_row_count(p), 4);
    assert_string_equal(text(p, 0, "tenant"), "acme");
    assert_string_equal(text(p, 3, "tenant"), "gamma");
    assert_string_equal(text(p, 1, "time_zone"), "America/New_York");
    assert_true(num(p, 0, "sl_target") == 0.80);
    assert_true(num(p, 1, "sl_num") == 2 && num(p, 1, "sl_den") == 3);
    assert_true(num(p, 0, "credit") == 400.00);
    assert_string_equal(text(p, 0, "currency"), "CNY");
    assert_true(num(p, 0, "items_missed") == 2);
    /* No contract: version 0, no target, no credit, no currency. */
    assert_true(num(p, 3, "contract_version") == 0);
    assert_true(isnan(num(p, 3, "sl_target")));
    assert_true(isnan(num(p, 3, "credit")));
    assert_string_equal(text(p, 3, "currency"), "");
    assert_true(num(p, 3, "items") == 0);

    /* offered 5 + 3 + 10 + 2 = 20; SL (3 + 2 + 9 + 1) / (5 + 3 + 10 + 2) = 15/20 = 0.75 */
    assert_true(total(m, t, "offered") == 20);
    assert_true(fabs(total(m, t, "service_level") - 0.75) < 1e-12);
    /* ASA by answered: (16.25 x 4 + 70/3 x 3 + 10 x 10 + 20 x 1) / 18 = 255/18 */
    assert_true(fabs(total(m, t, "asa_s") - 255.0 / 18) < 1e-9);
    /* AHT: (135 x 4 + 140 x 3 + 200 x 10 + 100 x 1) / 18 = 3060/18 = 170 */
    assert_true(fabs(total(m, t, "aht_s") - 170) < 1e-9);
    /* abandon rate 1/20; FCR (2 + 8) / (3 + 8) = 10/11; CSAT (2 + 4) / (3 + 5) = 0.75 */
    assert_true(fabs(total(m, t, "abandon_rate") - 0.05) < 1e-12);
    assert_true(fabs(total(m, t, "fcr") - 10.0 / 11) < 1e-12);
    assert_true(fabs(total(m, t, "csat") - 0.75) < 1e-12);
    /* QA by evaluations: (275/3 x 3 + 80 x 2) / 5 = 435/5 = 87 */
    assert_true(fabs(total(m, t, "qa_score") - 87) < 1e-9);
    /* items 3 + 1 + 2 + 0 = 6, met 1 + 0 + 2 = 3, missed 2 + 1 + 0 = 3 */
    assert_true(total(m, t, "items") == 6);
    assert_true(total(m, t, "items_met") == 3 && total(m, t, "items_missed") == 3);
    /* Credits in CNY and USD: no total. */
    const xl_tpl_sheet_t *sh = sheet(t, "portfolio");
    assert_int_equal(sh->columns[xl_tpl_column_find(sh, "credit")].total.fn, XL_TOTAL_NONE);
    xl_model_free(m);
    xl_tpl_free(t);
}

static void test_credits_by_currency(void **state)
{
    (void)state;
    xl_model_t *m;
    xl_tpl_t *t;
    fill(10, &m, &t);
    const xl_table_t *c = xl_model_find(m, "credits");
    /* CNY: acme 10000.00 fee, 400.00 credit; delta 20000.00, 0 -> 2 tenants, 1 owing,
     * fees 30000.00, credit 400.00, rate 400/30000.  USD: beta 5000.00, 250.00: 0.05. */
    assert_int_equal(xl_table_row_count(c), 2);
    assert_string_equal(text(c, 0, "currency"), "CNY");
    assert_true(num(c, 0, "tenants") == 2 && num(c, 0, "tenants_credited") == 1);
    assert_true(num(c, 0, "fees") == 30000.00 && num(c, 0, "credit") == 400.00);
    assert_true(fabs(num(c, 0, "credit_rate") - 400.0 / 30000) < 1e-15);
    assert_string_equal(text(c, 1, "currency"), "USD");
    assert_true(num(c, 1, "tenants") == 1 && num(c, 1, "credit") == 250.00);
    assert_true(fabs(num(c, 1, "credit_rate") - 0.05) < 1e-15);
    xl_model_free(m);
    xl_tpl_free(t);
}

static void test_contracts_and_cover(void **state)
{
    (void)state;
    xl_model_t *m;
    xl_tpl_t *t;
    fill(10, &m, &t);
    const xl_table_t *c = xl_model_find(m, "contracts");
    assert_string_equal(text(c, 1, "sl_formula"), "answered");
    assert_true(num(c, 1, "sl_threshold_s") == 30);
    assert_true(num(c, 0, "effective_from") == 46296); /* 2026-10-01: 46327 - 31 */
    assert_true(num(c, 0, "credit_cap_pct") == 4 && num(c, 0, "monthly_fee") == 10000.00);
    /* gamma: the METRICS.md defaults, no contract terms. */
    assert_true(num(c, 3, "contract_version") == 0 && isnan(num(c, 3, "effective_from")));
    assert_string_equal(text(c, 3, "sl_formula"), "offered");
    assert_string_equal(text(c, 3, "fcr_method"), "repeat");
    assert_true(num(c, 3, "sl_threshold_s") == 20 && num(c, 3, "short_abandon_s") == 5);
    assert_true(num(c, 3, "fcr_window_h") == 72 && num(c, 3, "interval_min") == 30);
    assert_true(isnan(num(c, 3, "monthly_fee")) && isnan(num(c, 3, "credit_cap_pct")));
    const xl_table_t *cover = xl_model_find(m, XL_TABLE_COVER);
    assert_true(num(cover, 0, "tenants") == 4);
    assert_string_equal(text(cover, 0, XL_FACT_TENANT), "Portfolio: 4 tenants");
    assert_string_equal(text(cover, 0, XL_FACT_PERIOD), "2026-10");
    assert_string_equal(text(cover, 0, XL_FACT_REPORT_ID), "42");
    assert_int_equal(xl_model_lang(m), XL_LANG_EN);
    assert_true(xl_table_row_count(xl_model_find(m, "methodology")) > 0);
    xl_model_free(m);
    xl_tpl_free(t);
}

static void test_language_follows_the_anchor(void **state)
{
    (void)state;
    xl_model_t *m;
    xl_tpl_t *t;
    snprintf(months[1].language, sizeof months[1].language, "zh");
    fill(11, &m, &t); /* beta's contract is in Chinese */
    assert_int_equal(xl_model_lang(m), XL_LANG_ZH);
    assert_string_equal(text(xl_model_find(m, XL_TABLE_COVER), 0, XL_FACT_TENANT),
                        "组合: 4 个租户");
    xl_model_free(m);
    xl_tpl_free(t);
    fill(10, &m, &t); /* acme's is in English */
    assert_int_equal(xl_model_lang(m), XL_LANG_EN);
    xl_model_free(m);
    xl_tpl_free(t);
    fill(99, &m, &t); /* not among them: English */
    assert_int_equal(xl_model_lang(m), XL_LANG_EN);
    xl_model_free(m);
    xl_tpl_free(t);
}

static void test_refusals(void **state)
{
    (void)state;
    char err[256] = "";
    rportfolio_req_t req = request(10);
    xl_model_t *m = xl_model_new();
    req.n_tenants = 0;
    assert_int_equal(rportfolio_fill(m, &req, months, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "at least one tenant"));
    req.n_tenants = 4;
    req.generated_at = 0;
    assert_int_equal(rportfolio_fill(m, &req, months, err, sizeof err), ST_ERR_INVALID);
    xl_model_free(m);
}

static void test_write(void **state)
{
    (void)state;
    char err[256] = "", path[] = "/tmp/test_report_portfolio.XXXXXX", digest[65];
    xl_model_t *m;
    xl_tpl_t *t;
    snprintf(months[0].language, sizeof months[0].language, "zh");
    fill(10, &m, &t);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *out = getenv("PORTFOLIO_XL_OUT");
    assert_int_equal(xl_write(out ? out : path, t, m, NULL, digest, err, sizeof err), ST_OK);
    assert_int_equal((int)strlen(digest), 64);
    unlink(path);
    xl_model_free(m);
    xl_tpl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_rows_and_totals, setup),
        cmocka_unit_test_setup(test_credits_by_currency, setup),
        cmocka_unit_test_setup(test_contracts_and_cover, setup),
        cmocka_unit_test_setup(test_language_follows_the_anchor, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_write, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
