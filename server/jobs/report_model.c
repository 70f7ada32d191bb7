/*
 * report_model.c - the report model of a tenant and month (see
 * report_model.h): gathers the month once (the contract in force, the sla
 * results of every grouping from one read, the QA and inspector metrics)
 * and has each sheet family fill its tables (report_model_int.h says which
 * file fills which), plus the cell helpers they share.
 */
#include "report_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance.h"
#include "contract_store.h"
#include "credits.h"
#include "report_model_int.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

int rmodel_cells(xl_table_t *t, size_t row, const rmodel_cell_t *cells, size_t n)
{
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < n; i++)
        rc = cells[i].is_text ? xl_table_set_text(t, row, cells[i].key, cells[i].text)
                              : xl_table_set_number(t, row, cells[i].key, cells[i].num);
    return rc;
}

int rmodel_row(xl_table_t *t, const rmodel_cell_t *cells, size_t n)
{
    size_t row;
    if (!t)
        return ST_ERR_INVALID;
    int rc = xl_table_add_row(t, &row);
    return rc == ST_OK ? rmodel_cells(t, row, cells, n) : rc;
}

void rmodel_sl_parts(sla_formula_t f, const sla_row_t *r, int64_t *num, int64_t *den)
{
    switch (f) {
    case SLA_SL_ANSWERED:
        *num = r->answered_within;
        *den = r->answered;
        break;
    case SLA_SL_ABANDON_NEUTRAL:
        *num = r->answered_within;
        *den = r->offered - r->abandoned_within;
        break;
    case SLA_SL_ABANDON_POSITIVE:
        *num = r->answered_within + r->abandoned_within;
        *den = r->offered;
        break;
    case SLA_SL_OFFERED:
    default:
        *num = r->answered_within;
        *den = r->offered;
        break;
    }
}

int rmodel_queue_cells(const rmodel_ctx_t *x, xl_table_t *t, size_t row, const sla_row_t *r)
{
    int64_t num, den;
    rmodel_sl_parts(x->info.params.sl_formula, r, &num, &den);
    /* Offered = answered + abandoned + overflow; short abandons are not
     * offered (empty when the contract turns them off). */
    double short_ab = x->info.params.short_abandon_s > 0 ? (double)r->short_abandoned : NAN;
    const rmodel_cell_t cells[] = {
        RM_NUM("offered", r->offered),
        RM_NUM("answered", r->answered),
        RM_NUM("abandoned", r->abandoned),
        RM_NUM("overflow", r->overflow),
        RM_NUM("short_abandoned", short_ab),
        RM_NUM("transferred", r->transferred),
        RM_NUM("sl_num", num),
        RM_NUM("sl_den", den),
        RM_NUM("service_level", r->service_level),
        RM_NUM("asa_s", r->asa_s),
        RM_NUM("aht_s", r->aht_s),
    };
    return rmodel_cells(t, row, RM_CELLS(cells));
}

int rmodel_fcr_csat_cells(xl_table_t *t, size_t row, const sla_row_t *r)
{
    const rmodel_cell_t cells[] = {
        RM_NUM("fcr_resolved", r->fcr_resolved),
        RM_NUM("fcr_base", r->fcr_base),
        RM_NUM("fcr", r->fcr),
        RM_NUM("csat_good", r->csat_good),
        RM_NUM("csat_n", r->csat_n),
        RM_NUM("csat", r->csat),
    };
    return rmodel_cells(t, row, RM_CELLS(cells));
}

double rmodel_serial_in(const tz_t *tz, int64_t utc_us)
{
    int64_t s = utc_us >= 0 ? utc_us / 1000000 : -((-utc_us + 999999) / 1000000);
    tz_civil_t c;
    tz_to_local(tz, s, &c);
    return xl_excel_date(c.year, c.month, c.day) +
           (double)(c.hour * 3600 + c.min * 60 + c.sec) / 86400.0;
}

/* The internal tables (after the QA metrics). */
static int internal_tables(rmodel_ctx_t *x, char *err, size_t errlen)
{
    int rc = tz_load(x->info.timezone, &x->tz, err, errlen);
    if (rc != ST_OK)
        return rc;
    if ((rc = rmodel_table_agents(x)) == ST_OK && (rc = rmodel_table_inspectors(x)) == ST_OK &&
        (rc = rmodel_table_calibration(x)) == ST_OK &&
        (rc = rmodel_table_appeals(x, err, errlen)) == ST_OK &&
        (rc = rmodel_table_staffing(x)) == ST_OK && (rc = rmodel_table_cases(x)) == ST_OK)
        rc = rmodel_table_evidence(x, err, errlen);
    return rc;
}

/* Loads the contract in force and computes sla and QA for the month. */
static int model_gather(rmodel_ctx_t *x, char *err, size_t errlen)
{
    const rmodel_req_t *q = x->req;
    if (q->month < 1 || q->month > 12 || q->year < 1970 || q->year > 9999) {
        snprintf(err, errlen, "bad month %04d-%02d", q->year, q->month);
        return ST_ERR_INVALID;
    }
    int rc = cstore_load(x->db, q->tenant, &x->versions);
    if (rc != ST_OK) {
        snprintf(err, errlen, "reading the contract failed: %s", db_error(x->db));
        return rc;
    }
    x->contract = contract_version_for_month((const contract_t *const *)x->versions.items,
                                             x->versions.n, q->year, q->month);
    sla_period_t period;
    sla_period_month(&period, q->year, q->month);
    static const sla_by_t bys[G_COUNT] = {SLA_BY_DAY, SLA_BY_INTERVAL, SLA_BY_QUEUE, SLA_BY_AGENT,
                                          SLA_BY_REASON};
    /* Rollups alone: a month's rollup rows, not its contacts (metrics_run.c). */
    rc = metrics_compute_from(x->db, q->tenant, &period, bys, G_COUNT, q->generated_at * 1000000,
                              METRICS_FROM_ROLLUPS, x->res, &x->info, err, errlen);
    if (rc != ST_OK)
        return rc;
    x->month = sla_result_total(x->res[G_DAY]);
    qa_run_req_t qr = {.tenant = q->tenant,
                       .contract = x->contract,
                       .year = q->year,
                       .month = q->month,
                       .start_us = x->month->start_utc * 1000000,
                       .end_us = x->month->end_utc * 1000000,
                       .by_agent = x->res[G_AGENT],
                       .tenant_answered = x->month->answered,
                       .inspectors = q->internal};
    return qa_run_compute(x->db, &qr, &x->qa, err, errlen);
}

/* Releases what model_gather() gathered. */
static void gather_clear(rmodel_ctx_t *x)
{
    qa_run_free(x->qa);
    x->qa = NULL;
    for (int i = 0; i < G_COUNT; i++)
        sla_result_free(x->res[i]);
    cstore_versions_free(&x->versions);
}

int report_model_build(db_t *db, const rmodel_req_t *req, xl_model_t **out, char *err,
                       size_t errlen)
{
    rmodel_ctx_t x;
    memset(&x, 0, sizeof x);
    x.req = req;
    x.db = db;
    x.m = xl_model_new();
    *out = NULL;
    if (errlen > 0)
        err[0] = '\0';
    int rc = model_gather(&x, err, errlen);
    if (rc != ST_OK)
        goto fail;
    xl_lang_t lang = XL_LANG_EN;
    if (x.contract)
        xl_lang_parse(contract_language(x.contract), &lang);
    xl_model_set_lang(x.m, lang);
    if ((rc = xl_model_set_generated_at(x.m, req->generated_at)) != ST_OK) {
        snprintf(err, errlen, "bad generated_at");
        goto fail;
    }
    /* The money columns' currency ("{currency}" in their number formats). */
    if ((rc = rmodel_cover(x.m, req, x.info.timezone)) == ST_OK && x.contract)
        rc = xl_model_cover_text(x.m, XL_FACT_CURRENCY, contract_currency(x.contract));
    if (rc == ST_OK && (rc = rmodel_table_scorecard(&x, err, errlen)) == ST_OK &&
        (rc = rmodel_table_daily(&x)) == ST_OK && (rc = rmodel_table_intervals(&x)) == ST_OK &&
        (rc = rmodel_table_queues(&x)) == ST_OK && (rc = rmodel_table_quality(&x)) == ST_OK &&
        (rc = rmodel_table_qa_csat(&x)) == ST_OK && (rc = rmodel_table_data_quality(&x)) == ST_OK &&
        (rc = rmodel_cover_close(&x)) == ST_OK &&
        (rc = rmodel_table_sl_cost(&x, err, errlen)) == ST_OK)
        rc = rmodel_table_methodology(&x);
    if (rc == ST_OK && req->internal)
        rc = internal_tables(&x, err, errlen);
    if (rc != ST_OK) {
        if (!err[0])
            snprintf(err, errlen, "filling the report model failed: %s",
                     rc == ST_ERR_DB || rc == ST_ERR_UNAVAILABLE ? db_error(db) : st_strerror(rc));
        goto fail;
    }
    *out = x.m;
    x.m = NULL;
fail:
    xl_model_free(x.m);
    tz_free(x.tz);
    gather_clear(&x);
    return rc;
}

/* The contract's terms and the month's compliance and credits into *out. */
static int month_contract(const rmodel_ctx_t *x, rmodel_month_t *out, char *err, size_t errlen)
{
    const contract_t *c = x->contract;
    out->qa_pass_mark = c ? contract_qa_pass_mark(c) : 85.0;
    snprintf(out->language, sizeof out->language, "%s", c ? contract_language(c) : "en");
    if (!c)
        return ST_OK;
    out->has_contract = true;
    contract_effective_from(c, &out->eff_year, &out->eff_month, &out->eff_day);
    out->fee_cents = contract_monthly_fee_cents(c);
    out->cap_centi = contract_credit_cap_centi(c);
    snprintf(out->currency, sizeof out->currency, "%s", contract_currency(c));
    out->items = contract_item_count(c);
    credits_result_t cr;
    int rc = compliance_month(c, x->req->year, x->req->month, x->month, &x->qa->qa.tenant, &cr, err,
                              errlen);
    if (rc == ST_OK && cr.n_months == 1) {
        out->items_met = cr.months[0].met;
        out->items_missed = cr.months[0].missed;
        out->credit_cents = cr.months[0].credited_cents;
    }
    credits_result_free(&cr);
    return rc;
}

int report_model_month(db_t *db, const tenant_t *tenant, int year, int month, int64_t generated_at,
                       rmodel_month_t *out, char *err, size_t errlen)
{
    rmodel_req_t req = {
        .tenant = tenant, .year = year, .month = month, .generated_at = generated_at};
    rmodel_ctx_t x;
    memset(&x, 0, sizeof x);
    memset(out, 0, sizeof *out);
    x.req = &req;
    x.db = db;
    if (errlen > 0)
        err[0] = '\0';
    int rc = model_gather(&x, err, errlen);
    if (rc == ST_OK) {
        out->info = x.info;
        out->total = *x.month;
        rmodel_sl_parts(x.info.params.sl_formula, x.month, &out->sl_num, &out->sl_den);
        out->qa = x.qa->qa.tenant;
        rc = month_contract(&x, out, err, errlen);
    }
    gather_clear(&x);
    return rc;
}
