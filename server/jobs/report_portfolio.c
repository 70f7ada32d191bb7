/*
 * report_portfolio.c - the portfolio workbook's model (see
 * report_portfolio.h): one report_model_month() per covered tenant, then
 * one function per model table.
 *
 * Choices where the spec leaves room:
 *   - A tenant without a contract shows contract version 0 ("none" by the
 *     template's format), the METRICS.md defaults it was measured with on
 *     the Contracts sheet, 0 contract items, and an empty credit and
 *     currency: it owes nothing, in no currency.
 *   - Credits are never summed across currencies: the Portfolio sheet's
 *     credit column has no total, the Credits sheet totals by currency.
 */
#include "report_portfolio.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xmem.h"

/* One cell of a row: a number, or text when text is not NULL. */
typedef struct cell {
    const char *key;
    double num;
    const char *text;
} cell_t;

/* Appends a row of table t with the given cells. */
static int row_put(xl_table_t *t, const cell_t *cells, size_t n)
{
    size_t row;
    int rc = t ? xl_table_add_row(t, &row) : ST_ERR_INTERNAL;
    for (size_t i = 0; rc == ST_OK && i < n; i++)
        rc = cells[i].text ? xl_table_set_text(t, row, cells[i].key, cells[i].text)
                           : xl_table_set_number(t, row, cells[i].key, cells[i].num);
    return rc;
}

/* A money amount in cents as a number of currency units (NAN: none). */
static double money(bool has, int64_t cents)
{
    return has ? (double)cents / 100.0 : NAN;
}

/* Cover: the common facts, the number of tenants, and the page header's subject. */
static int table_cover(xl_model_t *m, const rportfolio_req_t *req)
{
    tenant_t subject;
    memset(&subject, 0, sizeof subject);
    if (xl_model_lang(m) == XL_LANG_ZH)
        snprintf(subject.name, sizeof subject.name, "组合: %zu 个租户", req->n_tenants);
    else
        snprintf(subject.name, sizeof subject.name, "Portfolio: %zu tenant%s", req->n_tenants,
                 req->n_tenants == 1 ? "" : "s");
    rmodel_req_t q = {.tenant = &subject,
                      .year = req->year,
                      .month = req->month,
                      .template_name = req->template_name,
                      .report_id = req->report_id,
                      .generated_at = req->generated_at,
                      .cert_fingerprint = req->cert_fingerprint,
                      .ca_fingerprint = req->ca_fingerprint};
    int rc = rmodel_cover(m, &q, "");
    if (rc == ST_OK)
        rc = xl_table_set_number(xl_model_table(m, XL_TABLE_COVER), 0, "tenants",
                                 (double)req->n_tenants);
    return rc;
}

/* Portfolio: one row per tenant (see report_portfolio.h). */
static int table_portfolio(xl_model_t *m, const rportfolio_req_t *req, const rmodel_month_t *months)
{
    xl_table_t *t = xl_model_table(m, "portfolio");
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < req->n_tenants; i++) {
        const rmodel_month_t *mo = &months[i];
        const sla_row_t *r = &mo->total;
        const cell_t cells[] = {
            {"tenant", 0, req->tenants[i].slug},
            {"name", 0, req->tenants[i].name},
            {"time_zone", 0, mo->info.timezone},
            {"contract_version", mo->info.contract_version, NULL},
            {"offered", (double)r->offered, NULL},
            {"answered", (double)r->answered, NULL},
            {"abandoned", (double)r->abandoned, NULL},
            {"sl_num", (double)mo->sl_num, NULL},
            {"sl_den", (double)mo->sl_den, NULL},
            {"service_level", r->service_level, NULL},
            {"sl_target", mo->info.params.sl_target, NULL},
            {"asa_s", r->asa_s, NULL},
            {"abandon_rate", r->abandon_rate, NULL},
            {"aht_s", r->aht_s, NULL},
            {"fcr_resolved", (double)r->fcr_resolved, NULL},
            {"fcr_base", (double)r->fcr_base, NULL},
            {"fcr", r->fcr, NULL},
            {"fcr_provisional", r->fcr_provisional ? 1 : 0, NULL},
            {"csat_good", (double)r->csat_good, NULL},
            {"csat_n", (double)r->csat_n, NULL},
            {"csat", r->csat, NULL},
            {"evaluations", (double)mo->qa.evaluations, NULL},
            {"qa_score", mo->qa.qa_score, NULL},
            {"items", (double)mo->items, NULL},
            {"items_met", (double)mo->items_met, NULL},
            {"items_missed", (double)mo->items_missed, NULL},
            {"credit", money(mo->has_contract, mo->credit_cents), NULL},
            {"currency", 0, mo->currency},
        };
        rc = row_put(t, cells, sizeof cells / sizeof cells[0]);
    }
    return rc;
}

/* Orders currency codes (for the Credits sheet). */
static int code_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Credits: one row per currency of the tenants' contracts, by code. */
static int table_credits(xl_model_t *m, const rportfolio_req_t *req, const rmodel_month_t *months)
{
    xl_table_t *t = xl_model_table(m, "credits");
    const char **codes = xcalloc(req->n_tenants + 1, sizeof *codes);
    size_t n = 0;
    for (size_t i = 0; i < req->n_tenants; i++)
        if (months[i].has_contract)
            codes[n++] = months[i].currency;
    qsort(codes, n, sizeof *codes, code_cmp);
    int rc = t ? ST_OK : ST_ERR_INTERNAL;
    for (size_t k = 0; rc == ST_OK && k < n; k++) {
        if (k > 0 && strcmp(codes[k], codes[k - 1]) == 0)
            continue;
        int64_t tenants = 0, credited = 0, fees = 0, credit = 0;
        for (size_t i = 0; i < req->n_tenants; i++) {
            const rmodel_month_t *mo = &months[i];
            if (!mo->has_contract || strcmp(mo->currency, codes[k]) != 0)
                continue;
            tenants++;
            credited += mo->credit_cents > 0;
            fees += mo->fee_cents;
            credit += mo->credit_cents;
        }
        const cell_t cells[] = {
            {"currency", 0, codes[k]},
            {"tenants", (double)tenants, NULL},
            {"tenants_credited", (double)credited, NULL},
            {"fees", money(true, fees), NULL},
            {"credit", money(true, credit), NULL},
            {"credit_rate", fees > 0 ? (double)credit / (double)fees : NAN, NULL},
        };
        rc = row_put(t, cells, sizeof cells / sizeof cells[0]);
    }
    free(codes);
    return rc;
}

/* Contracts: the terms each tenant's month was measured with. */
static int table_contracts(xl_model_t *m, const rportfolio_req_t *req, const rmodel_month_t *months)
{
    xl_table_t *t = xl_model_table(m, "contracts");
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < req->n_tenants; i++) {
        const rmodel_month_t *mo = &months[i];
        const sla_params_t *p = &mo->info.params;
        bool has = mo->has_contract;
        const cell_t cells[] = {
            {"tenant", 0, req->tenants[i].slug},
            {"contract_version", mo->info.contract_version, NULL},
            {"effective_from", has ? xl_excel_date(mo->eff_year, mo->eff_month, mo->eff_day) : NAN,
             NULL},
            {"time_zone", 0, mo->info.timezone},
            {"language", 0, mo->language},
            {"interval_min", p->interval_min, NULL},
            {"sl_formula", 0, sla_formula_name(p->sl_formula)},
            {"sl_threshold_s", p->sl_threshold_s, NULL},
            {"sl_target", p->sl_target, NULL},
            {"short_abandon_s", p->short_abandon_s, NULL},
            {"fcr_method", 0, p->fcr_method == SLA_FCR_REPEAT ? "repeat" : "disposition"},
            {"fcr_window_h", p->fcr_window_h, NULL},
            {"csat_good_min", p->csat_good_min, NULL},
            {"qa_pass_mark", mo->qa_pass_mark, NULL},
            {"monthly_fee", money(has, mo->fee_cents), NULL},
            {"currency", 0, mo->currency},
            {"credit_cap_pct", has ? mo->cap_centi / 100.0 : NAN, NULL},
            {"items", (double)mo->items, NULL},
        };
        rc = row_put(t, cells, sizeof cells / sizeof cells[0]);
    }
    return rc;
}

/* Methodology: how the portfolio's rows and totals are formed.  One short
 * line per row (a continued definition has an empty term), so every row
 * prints on one line at the template's column width. */
static int table_methodology(xl_model_t *m)
{
    static const char *const rows[][2] = {
        {"Tenants", "The tenants the requesting token could see when the report was requested"},
        {"", "(every tenant for an administrator or the command line), sorted by slug."},
        {"", "A rebuild of the report covers the same tenants."},
        {"Month", "Local to each tenant's time zone: 00:00 on the 1st to 00:00 on the 1st of the"},
        {"", "next month there."},
        {"Contract",
         "The version in force at the first instant of the tenant's month. Without one,"},
        {"", "the METRICS.md defaults apply (contract version: none) and no credit is owed."},
        {"", "The Contracts sheet lists the parameters each tenant was measured with."},
        {"Service level",
         "Each tenant's by its own contract's sl_formula and threshold. The total is"},
        {"", "the sum of the numerators over the sum of the denominators: volume-weighted."},
        {"ASA, AHT", "Totals are weighted by answered contacts."},
        {"Rates", "Totals of abandon rate, FCR and CSAT are ratios of the summed counts."},
        {"FCR",
         "Provisional while a repeat contact can still arrive (fcr_window_h after the month)."},
        {"QA score", "Mean final score of the month's evaluations; the total is weighted by them."},
        {"Contract items",
         "Met and missed as on the tenant's client Scorecard; the rest have no value"},
        {"", "this month (not measurable) and credit nothing."},
        {"Credit", "The month's credit after the tenant's cap, in the tenant's currency."},
        {"", "Currencies are never added together: the Credits sheet totals each one."},
        {"Undefined values", "A ratio with a zero denominator is shown empty, never as 0."},
    };
    xl_table_t *t = xl_model_table(m, "methodology");
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sizeof rows / sizeof rows[0]; i++) {
        const cell_t cells[] = {{"term", 0, rows[i][0]}, {"definition", 0, rows[i][1]}};
        rc = row_put(t, cells, 2);
    }
    return rc;
}

int rportfolio_fill(xl_model_t *m, const rportfolio_req_t *req, const rmodel_month_t *months,
                    char *err, size_t errlen)
{
    if (req->n_tenants == 0) {
        snprintf(err, errlen, "a portfolio needs at least one tenant");
        return ST_ERR_INVALID;
    }
    xl_lang_t lang = XL_LANG_EN;
    for (size_t i = 0; i < req->n_tenants; i++)
        if (req->tenants[i].id == req->anchor_id)
            xl_lang_parse(months[i].language, &lang);
    xl_model_set_lang(m, lang);
    int rc = xl_model_set_generated_at(m, req->generated_at);
    if (rc != ST_OK) {
        snprintf(err, errlen, "bad generated_at");
        return rc;
    }
    if ((rc = table_cover(m, req)) == ST_OK && (rc = table_portfolio(m, req, months)) == ST_OK &&
        (rc = table_credits(m, req, months)) == ST_OK &&
        (rc = table_contracts(m, req, months)) == ST_OK)
        rc = table_methodology(m);
    if (rc != ST_OK)
        snprintf(err, errlen, "filling the portfolio model failed (%d)", rc);
    return rc;
}

int rportfolio_build(db_t *db, const rportfolio_req_t *req, xl_model_t **out, char *err,
                     size_t errlen)
{
    rmodel_month_t *months = xcalloc(req->n_tenants + 1, sizeof *months);
    xl_model_t *m = NULL;
    char why[512] = "";
    int rc = ST_OK;
    *out = NULL;
    for (size_t i = 0; rc == ST_OK && i < req->n_tenants; i++) {
        rc = report_model_month(db, &req->tenants[i], req->year, req->month, req->generated_at,
                                &months[i], why, sizeof why);
        if (rc != ST_OK)
            snprintf(err, errlen, "tenant %s: %s", req->tenants[i].slug,
                     why[0] ? why : "computing the month failed");
    }
    if (rc == ST_OK) {
        m = xl_model_new();
        rc = rportfolio_fill(m, req, months, err, errlen);
    }
    if (rc == ST_OK) {
        *out = m;
        m = NULL;
    }
    xl_model_free(m);
    free(months);
    return rc;
}
