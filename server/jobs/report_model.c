/*
 * report_model.c - the report model of a tenant and month (see
 * report_model.h): one function per model table.
 *
 * Choices where the spec leaves room:
 *   - "The month's batches" are the committed contact batches that last
 *     wrote a contact offered in the month (contacts.batch_id): their rows
 *     received, rejected, and unchanged rows (a row sent again as it was)
 *     as duplicates.  Late arrivals are the month's contacts whose batch
 *     was received at or after the month's end.
 *   - The interval heat map sums the numerator and denominator of the
 *     service level over every interval with the same local start label
 *     on the same weekday, so each cell is an exact ratio, not a mean of
 *     ratios.  Its compliance counts are NAN without a service_level target
 *     (interval compliance is undefined then).
 *   - A scorecard item that is not measurable has an empty "met" cell.
 */
#include "report_model.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance.h"
#include "contract_store.h"
#include "credits.h"
#include "inspector.h"
#include "metrics_run.h"
#include "qa_metrics.h"
#include "qa_records.h"
#include "qa_run.h"
#include "rfc3339.h"
#include "sla.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

/* The groupings computed from one read of the contacts. */
enum { G_DAY, G_INTERVAL, G_QUEUE, G_AGENT, G_COUNT };

#define MAX_LABELS 128 /* distinct interval labels of a month (96 at 15 min, + spare) */

/* Everything the tables are filled from, gathered once. */
typedef struct rmodel_ctx {
    const rmodel_req_t *req;
    db_t *db;
    xl_model_t *m;
    cstore_versions_t versions;
    const contract_t *contract; /* in force for the month, or NULL */
    metrics_info_t info;
    sla_result_t *res[G_COUNT];
    const sla_row_t *month; /* the whole month (total of the daily result) */
    qa_run_t *qa;           /* QA metrics (and inspector metrics for internal workbooks) */
    tz_t *tz;               /* internal workbooks: the contract's zone (local times) */
} rmodel_ctx_t;

/* A table's new row; the tables here never come near the row limit. */
static int row_add(xl_table_t *t, size_t *row)
{
    return t ? xl_table_add_row(t, row) : ST_ERR_INVALID;
}

/* Sets a number cell, an int64 count. */
static int set_count(xl_table_t *t, size_t row, const char *key, int64_t v)
{
    return xl_table_set_number(t, row, key, (double)v);
}

/* The service level's numerator and denominator by formula f (METRICS.md). */
static void sl_parts(sla_formula_t f, const sla_row_t *r, int64_t *num, int64_t *den)
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

/* Cells shared by the daily and queue rows: counts and the SL ratio parts. */
static int set_queue_cells(rmodel_ctx_t *x, xl_table_t *t, size_t row, const sla_row_t *r)
{
    int64_t num, den;
    sl_parts(x->info.params.sl_formula, r, &num, &den);
    int rc = set_count(t, row, "offered", r->offered);
    if (rc == ST_OK)
        rc = set_count(t, row, "answered", r->answered);
    if (rc == ST_OK)
        rc = set_count(t, row, "abandoned", r->abandoned);
    if (rc == ST_OK)
        rc = set_count(t, row, "sl_num", num);
    if (rc == ST_OK)
        rc = set_count(t, row, "sl_den", den);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "service_level", r->service_level);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "asa_s", r->asa_s);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "aht_s", r->aht_s);
    return rc;
}

int rmodel_cover(xl_model_t *m, const rmodel_req_t *q, const char *time_zone)
{
    char period[16], generated[40], id[32];
    snprintf(period, sizeof period, "%04d-%02d", q->year, q->month);
    rfc3339_format_utc(q->generated_at * 1000000, generated, sizeof generated);
    snprintf(id, sizeof id, "%" PRIu64, q->report_id);
    /* Short enough for one printed line; the auditor bundle's VERIFY.txt says more. */
    const char *verify = "openssl cms -verify -binary -inform DER -in R.p7s -content R.xlsx "
                         "-CAfile ca.pem -out /dev/null";
    const char *facts[][2] = {
        {XL_FACT_TENANT, q->tenant->name},
        {XL_FACT_PERIOD, period},
        {XL_FACT_TIME_ZONE, time_zone},
        {XL_FACT_GENERATED_AT, generated},
        {XL_FACT_TEMPLATE, q->template_name},
        {XL_FACT_REPORT_ID, id},
        {XL_FACT_CERT_FP, q->cert_fingerprint ? q->cert_fingerprint : ""},
        {XL_FACT_VERIFY, verify},
    };
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sizeof facts / sizeof facts[0]; i++)
        rc = xl_model_cover_text(m, facts[i][0], facts[i][1]);
    return rc;
}

/* The unit code of a metric (the template's "formats" pick the number format). */
static const char *metric_unit(contract_metric_t m)
{
    switch (contract_metric_kind(m)) {
    case CM_KIND_RATE:
        return "rate";
    case CM_KIND_SECONDS:
        return "seconds";
    case CM_KIND_SCORE:
        return "score";
    case CM_KIND_CSAT_MEAN:
        break;
    }
    return "mean";
}

/* The status code of a credits row (the template's "labels" translate it). */
static const char *credit_status_code(const credits_row_t *c)
{
    if (c->kind == CREDITS_ROW_EARNED_BACK)
        return "earned_back";
    if (c->kind == CREDITS_ROW_CONFIRMED)
        return "confirmed";
    return c->status == CREDITS_MET      ? "met"
           : c->status == CREDITS_MISSED ? "missed"
                                         : "not_measurable";
}

/* The note of a credits row: its earn-back, in the workbook's language. */
static void credit_note(const credits_row_t *c, xl_lang_t lang, char *out, size_t len)
{
    bool zh = lang == XL_LANG_ZH;
    out[0] = '\0';
    if (c->kind == CREDITS_ROW_ITEM && c->at_risk)
        snprintf(out, len,
                 zh ? "可返还: %04d-%02d 前连续达标即返还" : "at risk of earn-back until %04d-%02d",
                 c->until_year, c->until_month);
    else if (c->kind == CREDITS_ROW_EARNED_BACK)
        snprintf(out, len, zh ? "%04d-%02d 的扣减已返还" : "credit of %04d-%02d earned back",
                 c->from_year, c->from_month);
    else if (c->kind == CREDITS_ROW_CONFIRMED)
        snprintf(out, len, zh ? "%04d-%02d 的扣减已确认" : "credit of %04d-%02d confirmed",
                 c->from_year, c->from_month);
}

/* One Scorecard row from a credits row of the report's month. */
static int scorecard_row(rmodel_ctx_t *x, xl_table_t *t, const credits_row_t *c)
{
    bool item = c->kind == CREDITS_ROW_ITEM;
    double met = !item ? NAN : c->status == CREDITS_MET ? 1 : c->status == CREDITS_MISSED ? 0 : NAN;
    /* An earn-back returns the credit: it counts against this month's total. */
    double applied = (double)c->applied_cents / 100.0;
    if (c->kind == CREDITS_ROW_EARNED_BACK)
        applied = -applied;
    else if (c->kind == CREDITS_ROW_CONFIRMED)
        applied = 0; /* already credited in its own month */
    char note[160];
    credit_note(c, xl_model_lang(x->m), note, sizeof note);
    size_t row;
    int rc = row_add(t, &row);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "item", contract_metric_name(c->metric));
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "comparator", item ? contract_cmp_name(c->comparator) : "");
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "unit", metric_unit(c->metric));
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "target", item ? c->target : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "value", item ? c->value : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "status", credit_status_code(c));
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "met", met);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "credit_pct", c->credit_pct_centi / 100.0);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "credit", item ? (double)c->credit_cents / 100.0 : 0);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "applied", applied);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "note", note);
    return rc;
}

/*
 * The months a Scorecard's credits are computed over: the report's month
 * and, with earn-back over N months, the N before it (whose credits this
 * month may settle, METRICS.md "Earn-back"), each with the contract in force
 * then and its own metrics (report_model_month()).  in[n-1] is the month.
 */
static int scorecard_months(rmodel_ctx_t *x, compliance_input_t *in, rmodel_month_t *prev, size_t n,
                            char *err, size_t errlen)
{
    int y = x->req->year, m = x->req->month;
    for (size_t k = n; k-- > 0;) {
        in[k] = (compliance_input_t){y, m, NULL, NULL, NULL};
        if (k == n - 1) {
            in[k].contract = x->contract;
            in[k].total = x->month;
            in[k].qa = &x->qa->qa.tenant;
        } else {
            int rc = report_model_month(x->db, x->req->tenant, y, m, x->req->generated_at, &prev[k],
                                        err, errlen);
            if (rc != ST_OK)
                return rc;
            in[k].contract = contract_version_for_month(
                (const contract_t *const *)x->versions.items, x->versions.n, y, m);
            in[k].total = &prev[k].total;
            in[k].qa = &prev[k].qa;
        }
        if (--m == 0) {
            m = 12;
            y--;
        }
    }
    return ST_OK;
}

/* Scorecard: one row per contract item of the month, then the earn-back
 * outcomes this month settles (credits.h over the months they span). */
static int table_scorecard(rmodel_ctx_t *x, char *err, size_t errlen)
{
    xl_table_t *t = xl_model_table(x->m, "scorecard");
    if (!t)
        return ST_ERR_INTERNAL;
    if (!x->contract)
        return ST_OK; /* no contract, no items: an empty scorecard */
    size_t n = (size_t)contract_earn_back_months(x->contract) + 1;
    compliance_input_t *in = xcalloc(n, sizeof *in);
    rmodel_month_t *prev = xcalloc(n, sizeof *prev);
    credits_result_t cr;
    memset(&cr, 0, sizeof cr);
    int rc = scorecard_months(x, in, prev, n, err, errlen);
    if (rc == ST_OK)
        rc = compliance_months(in, n, &cr, err, errlen);
    for (size_t i = 0; rc == ST_OK && i < cr.n_rows; i++)
        if (cr.rows[i].year == x->req->year && cr.rows[i].month == x->req->month)
            rc = scorecard_row(x, t, &cr.rows[i]);
    credits_result_free(&cr);
    free(prev);
    free(in);
    return rc;
}

/* Daily: every local day of the month. */
static int table_daily(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "daily");
    if (!t)
        return ST_ERR_INTERNAL;
    const sla_result_t *res = x->res[G_DAY];
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sla_result_count(res); i++) {
        const sla_row_t *r = sla_result_row(res, i);
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_number(t, row, "day", xl_excel_date(r->year, r->month, r->day));
        if (rc == ST_OK)
            rc = set_queue_cells(x, t, row, r);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "sl_target", x->info.params.sl_target);
        if (rc == ST_OK)
            rc = set_count(t, row, "fcr_resolved", r->fcr_resolved);
        if (rc == ST_OK)
            rc = set_count(t, row, "fcr_base", r->fcr_base);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "fcr", r->fcr);
        if (rc == ST_OK)
            rc = set_count(t, row, "csat_good", r->csat_good);
        if (rc == ST_OK)
            rc = set_count(t, row, "csat_n", r->csat_n);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "csat", r->csat);
    }
    return rc;
}

/* One interval label's sums over the month, by weekday (0 = Sunday). */
typedef struct label_sums {
    char label[6];
    int64_t num[7], den[7];
    int64_t intervals, met;
} label_sums_t;

/* Adds the interval rows of the month into labels (sorted by label after). */
static size_t intervals_collect(const rmodel_ctx_t *x, label_sums_t *labels)
{
    const sla_result_t *res = x->res[G_INTERVAL];
    size_t n = 0;
    for (size_t i = 0; i < sla_result_count(res); i++) {
        const sla_row_t *r = sla_result_row(res, i);
        size_t k = 0;
        while (k < n && strcmp(labels[k].label, r->label) != 0)
            k++;
        if (k == n) {
            if (n == MAX_LABELS)
                continue; /* cannot happen: a day has at most 100 intervals */
            memset(&labels[n], 0, sizeof labels[n]);
            snprintf(labels[n].label, sizeof labels[n].label, "%s", r->label);
            n++;
        }
        int wday = tz_weekday(tz_days_from_civil(r->year, r->month, r->day));
        int64_t num, den;
        sl_parts(x->info.params.sl_formula, r, &num, &den);
        labels[k].num[wday] += num;
        labels[k].den[wday] += den;
        labels[k].intervals += r->compliance_intervals;
        labels[k].met += r->compliance_met;
    }
    return n;
}

/* Orders interval labels by their "HH:MM" (which sorts as the time). */
static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const label_sums_t *)a)->label, ((const label_sums_t *)b)->label);
}

/* Intervals: service level by interval label x weekday, and compliance. */
static int table_intervals(rmodel_ctx_t *x)
{
    static const char *const wkeys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    xl_table_t *t = xl_model_table(x->m, "intervals");
    if (!t)
        return ST_ERR_INTERNAL;
    label_sums_t *labels = xcalloc(MAX_LABELS, sizeof *labels);
    size_t n = intervals_collect(x, labels);
    qsort(labels, n, sizeof *labels, label_cmp);
    bool has_target = !isnan(x->info.params.sl_target);
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        const label_sums_t *l = &labels[i];
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_text(t, row, "interval", l->label);
        for (int w = 0; rc == ST_OK && w < 7; w++)
            rc = xl_table_set_number(t, row, wkeys[w],
                                     l->den[w] > 0 ? (double)l->num[w] / (double)l->den[w] : NAN);
        double met = has_target ? (double)l->met : NAN;
        double all = has_target ? (double)l->intervals : NAN;
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "compliance_met", met);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "compliance_intervals", all);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "interval_compliance",
                                     has_target && l->intervals > 0 ? met / all : NAN);
    }
    free(labels);
    return rc;
}

/* Queues: the queue metrics by queue. */
static int table_queues(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "queues");
    if (!t)
        return ST_ERR_INTERNAL;
    const sla_result_t *res = x->res[G_QUEUE];
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sla_result_count(res); i++) {
        const sla_row_t *r = sla_result_row(res, i);
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_text(t, row, "queue", r->key);
        if (rc == ST_OK)
            rc = set_queue_cells(x, t, row, r);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "abandon_rate", r->abandon_rate);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "transfer_rate", r->transfer_rate);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "wait_p90_s", r->wait_p90_s);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "max_wait_s", r->max_wait_s);
    }
    return rc;
}

/* Quality: one row per agent, pseudonymised in sorted agent-id order when
 * asked (qa_metrics sorts its agents by id). */
static int table_quality(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "quality_agents");
    if (!t)
        return ST_ERR_INTERNAL;
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < x->qa->qa.n_agents; i++) {
        const qa_metrics_row_t *a = &x->qa->qa.agents[i];
        char name[32];
        if (x->req->pseudonymise)
            snprintf(name, sizeof name, "Agent %03zu", i + 1);
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_text(t, row, "agent", x->req->pseudonymise ? name : a->agent_id);
        if (rc == ST_OK)
            rc = set_count(t, row, "evaluations", (int64_t)a->evaluations);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "qa_score", a->qa_score);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "qa_pass_rate", a->qa_pass_rate);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "fatal_rate", a->fatal_rate);
        if (rc == ST_OK)
            rc = set_count(t, row, "evaluated_contacts", (int64_t)a->evaluated_contacts);
        if (rc == ST_OK)
            rc = set_count(t, row, "answered", (int64_t)a->answered);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "qa_coverage", a->qa_coverage);
    }
    return rc;
}

/* QA-CSAT: the agreement facts (row 0). */
static int table_qa_csat(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "qa_csat");
    size_t row;
    int rc = row_add(t, &row);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "pearson_r", x->qa->qa.pearson.r);
    if (rc == ST_OK)
        rc = set_count(t, row, "pearson_n", (int64_t)x->qa->qa.pearson.n);
    if (rc == ST_OK) /* METRICS.md: an r from fewer than 10 pairs is marked */
        rc = xl_table_set_number(t, row, "too_few_pairs", x->qa->qa.pearson.too_few ? 1 : 0);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "spearman_rho", x->qa->qa.spearman.r);
    if (rc == ST_OK)
        rc = set_count(t, row, "spearman_n", (int64_t)x->qa->qa.spearman.n);
    return rc;
}

/* Data quality: the month's ingest batches (see the top of this file). */
static int table_data_quality(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "data_quality");
    int64_t start_us = x->month->start_utc * 1000000, end_us = x->month->end_utc * 1000000;
    uint64_t tid = x->req->tenant->id;
    /* One pass over the month's contacts: how many each batch last wrote,
     * then those batches' receipts.  The session's time zone is UTC (db.c),
     * so UNIX_TIMESTAMP reads received_at right. */
    db_val_t v[] = {db_i64(x->month->end_utc), db_u64(tid), db_i64(start_us), db_i64(end_us),
                    db_u64(tid)};
    db_res_t *res = NULL;
    int64_t received = 0, rejected = 0, duplicates = 0, late = 0;
    int rc = db_exec(x->db,
                     "SELECT COALESCE(SUM(b.rows_total), 0), COALESCE(SUM(b.rejected), 0), "
                     "COALESCE(SUM(b.unchanged), 0), "
                     "COALESCE(SUM(IF(UNIX_TIMESTAMP(b.received_at) >= ?, m.n, 0)), 0) "
                     "FROM (SELECT batch_id, COUNT(*) AS n FROM contacts WHERE tenant_id = ? "
                     "AND offered_us >= ? AND offered_us < ? GROUP BY batch_id) m "
                     "JOIN ingest_batches b ON b.tenant_id = ? AND b.id = m.batch_id "
                     "AND b.status = 'committed'",
                     v, 5, &res);
    if (rc == ST_OK && db_res_next(res)) {
        received = db_res_i64(res, 0);
        rejected = db_res_i64(res, 1);
        duplicates = db_res_i64(res, 2);
        late = db_res_i64(res, 3);
    }
    db_res_free(res);
    if (rc != ST_OK)
        return rc;
    size_t row;
    if ((rc = row_add(t, &row)) != ST_OK)
        return rc;
    rc = set_count(t, row, "rows_received", received);
    if (rc == ST_OK)
        rc = set_count(t, row, "rows_rejected", rejected);
    if (rc == ST_OK)
        rc = set_count(t, row, "duplicates", duplicates);
    if (rc == ST_OK)
        rc = set_count(t, row, "late_arrivals", late);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "fcr_provisional", x->month->fcr_provisional ? 1 : 0);
    return rc;
}

/* A money amount in cents as "120,000.00"-free plain text "120000.00". */
static void money_text(int64_t cents, char *out, size_t len)
{
    snprintf(out, len, "%" PRId64 ".%02" PRId64, cents / 100, cents % 100);
}

/* One methodology row. */
static int method_row(xl_table_t *t, const char *term, const char *definition,
                      const char *parameters)
{
    size_t row;
    int rc = row_add(t, &row);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "term", term);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "definition", definition);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "parameters", parameters);
    return rc;
}

/* The business hours of the contract as "mon 08:00-20:00; ..." or "every interval". */
static void hours_text(const sla_params_t *p, char *out, size_t len)
{
    static const char *const days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    if (!p->has_hours) {
        snprintf(out, len, "business hours: every interval");
        return;
    }
    size_t used = (size_t)snprintf(out, len, "business hours:");
    for (int i = 1; i <= 7 && used < len; i++) {
        const sla_hours_t *h = &p->hours[i % 7]; /* Monday first */
        if (h->open_min == h->close_min)
            continue;
        used += (size_t)snprintf(out + used, len - used, " %s %02d:%02d-%02d:%02d", days[i % 7],
                                 h->open_min / 60, h->open_min % 60, h->close_min / 60,
                                 h->close_min % 60);
    }
}

/* Methodology: the METRICS.md definitions in force, with the parameters. */
static int table_methodology(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "methodology");
    const sla_params_t *p = &x->info.params;
    const contract_t *c = x->contract;
    char contract[96], zone[160], offered[96], sl[192], ic[256], fcr[96], csat[64], qa[96],
        credit[192];
    if (c) {
        int y, mo, d;
        contract_effective_from(c, &y, &mo, &d);
        snprintf(contract, sizeof contract, "version %d, effective from %04d-%02d-%02d",
                 x->info.contract_version, y, mo, d);
    } else {
        snprintf(contract, sizeof contract, "none: the METRICS.md defaults");
    }
    snprintf(zone, sizeof zone, "time zone %s; intervals of %d min", x->info.timezone,
             p->interval_min);
    snprintf(offered, sizeof offered, "short abandon: under %d s (0 = off)", p->short_abandon_s);
    if (isnan(p->sl_target))
        snprintf(sl, sizeof sl, "sl_formula %s; threshold %d s (inclusive); no target",
                 sla_formula_name(p->sl_formula), p->sl_threshold_s);
    else
        snprintf(sl, sizeof sl, "sl_formula %s; threshold %d s (inclusive); target %.4g",
                 sla_formula_name(p->sl_formula), p->sl_threshold_s, p->sl_target);
    hours_text(p, ic, sizeof ic);
    snprintf(fcr, sizeof fcr, "fcr_method %s; window %d h",
             p->fcr_method == SLA_FCR_REPEAT ? "repeat" : "disposition", p->fcr_window_h);
    snprintf(csat, sizeof csat, "good survey: >= %d of 5", p->csat_good_min);
    snprintf(qa, sizeof qa, "qa_pass_mark %.4g; qa_precision_pts %.4g",
             c ? contract_qa_pass_mark(c) : 85.0, c ? contract_qa_precision_pts(c) : 5.0);
    if (c) {
        char fee[32], cap[32];
        int64_t fee_cents = contract_monthly_fee_cents(c);
        money_text(fee_cents, fee, sizeof fee);
        money_text(credits_pct_of(fee_cents, contract_credit_cap_centi(c)), cap, sizeof cap);
        snprintf(credit, sizeof credit,
                 "monthly fee %s %s; credit cap %.2f%% = %s %s; earn-back %d months", fee,
                 contract_currency(c), contract_credit_cap_centi(c) / 100.0, cap,
                 contract_currency(c), contract_earn_back_months(c));
    } else {
        snprintf(credit, sizeof credit, "no contract: no credits");
    }
    const char *rows[][3] = {
        {"Contract", "The contract version in force at the first instant of the month.", contract},
        {"Time",
         "Local time of the contract's zone; a contact belongs to the interval, day and month "
         "containing its offered_at.",
         zone},
        {"Offered",
         "answered + abandoned + overflow; abandons shorter than the short-abandon threshold "
         "are not offered.",
         offered},
        {"Service level",
         "offered: answered within T / offered; answered: answered within T / answered; "
         "abandon_neutral: answered within T / (offered - abandoned within T); "
         "abandon_positive: (answered + abandoned within T) / offered.",
         sl},
        {"ASA", "Sum of waits of answered contacts / answered.", ""},
        {"AHT", "Sum of talk + hold + after-call work of answered contacts / answered.", ""},
        {"Abandon rate", "abandoned / offered.", ""},
        {"Interval compliance",
         "Share of business-hour intervals with offered > 0 whose service level meets the "
         "target.",
         ic},
        {"FCR",
         "repeat: answered contacts with a customer id and no other contact of that customer "
         "within the window / answered with a customer id; disposition: resolved / answered "
         "with a disposition.",
         fcr},
        {"CSAT", "Good surveys / surveys; contacts without a survey are left out.", csat},
        {"QA",
         "qa_score: mean final score (an overturned appeal's new score); pass rate: share "
         ">= pass mark; fatal rate: share with a failed critical item; coverage: evaluated "
         "contacts / answered contacts.",
         qa},
        {"Service credits",
         "A missed item credits credit_pct of the monthly fee; the month's total is capped; "
         "an item with no value is not measurable and credits nothing.",
         credit},
        {"Undefined values", "A ratio with a zero denominator is shown empty, never as 0.", ""},
    };
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sizeof rows / sizeof rows[0]; i++)
        rc = method_row(t, rows[i][0], rows[i][1], rows[i][2]);
    return rc;
}

/* ------------------------------------------------------------------------
 * The internal workbook's tables (rmodel_req_t.internal).
 * ------------------------------------------------------------------------ */

/* Excel's serial date-time of a UTC instant in zone tz. */
static double serial_in(const tz_t *tz, int64_t utc_us)
{
    int64_t s = utc_us >= 0 ? utc_us / 1000000 : -((-utc_us + 999999) / 1000000);
    tz_civil_t c;
    tz_to_local(tz, s, &c);
    return xl_excel_date(c.year, c.month, c.day) +
           (double)(c.hour * 3600 + c.min * 60 + c.sec) / 86400.0;
}

/* Excel's serial date-time of a UTC instant in the contract's local time. */
static double local_serial(const rmodel_ctx_t *x, int64_t utc_us)
{
    return serial_in(x->tz, utc_us);
}

/* The QA row of an agent, or NULL (x->qa->qa.agents is sorted by id). */
static const qa_metrics_row_t *qa_agent_find(const rmodel_ctx_t *x, const char *agent_id)
{
    size_t lo = 0, hi = x->qa->qa.n_agents;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(x->qa->qa.agents[mid].agent_id, agent_id);
        if (c == 0)
            return &x->qa->qa.agents[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The QA cells of an agent row; NAN / 0 without a QA row. */
static int set_agent_qa(xl_table_t *t, size_t row, const qa_metrics_row_t *a)
{
    bool has = a != NULL && a->evaluations > 0;
    int rc = set_count(t, row, "evaluations", a ? (int64_t)a->evaluations : 0);
    if (rc == ST_OK)
        rc = set_count(t, row, "evaluated_contacts", a ? (int64_t)a->evaluated_contacts : 0);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "qa_score", a ? a->qa_score : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "qa_sd", a ? a->sd : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "qa_ci_low", a ? a->ci_low : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "qa_ci_high", a ? a->ci_high : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "qa_half_width", a ? a->precision.half_width : NAN);
    /* No evaluation: nothing to flag (the flag is about a sample that exists). */
    if (rc == ST_OK)
        rc =
            xl_table_set_number(t, row, "qa_too_small", has ? (a->precision.flagged ? 1 : 0) : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "qa_needed_n",
                                 has && a->precision.needed_n > 0 ? (double)a->precision.needed_n
                                                                  : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "qa_pass_rate", a ? a->qa_pass_rate : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "fatal_rate", a ? a->fatal_rate : NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "qa_coverage", a ? a->qa_coverage : NAN);
    return rc;
}

/* The queue cells of an agent row (zero counts for an agent without contacts). */
static int set_agent_queue(rmodel_ctx_t *x, xl_table_t *t, size_t row, const sla_row_t *r)
{
    sla_row_t none;
    if (!r) {
        memset(&none, 0, sizeof none);
        none.service_level = none.asa_s = none.avg_abandon_s = none.max_wait_s = NAN;
        none.wait_p90_s = none.abandon_rate = none.answer_rate = none.aht_s = NAN;
        none.transfer_rate = none.fcr = none.csat = none.csat_mean = NAN;
        r = &none;
    }
    int rc = set_queue_cells(x, t, row, r);
    if (rc == ST_OK)
        rc = set_count(t, row, "overflow", r->overflow);
    if (rc == ST_OK)
        rc = set_count(t, row, "answered_within", r->answered_within);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "abandon_rate", r->abandon_rate);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "avg_abandon_s", r->avg_abandon_s);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "transfer_rate", r->transfer_rate);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "wait_p90_s", r->wait_p90_s);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "max_wait_s", r->max_wait_s);
    if (rc == ST_OK)
        rc = set_count(t, row, "fcr_resolved", r->fcr_resolved);
    if (rc == ST_OK)
        rc = set_count(t, row, "fcr_base", r->fcr_base);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "fcr", r->fcr);
    if (rc == ST_OK)
        rc = set_count(t, row, "csat_good", r->csat_good);
    if (rc == ST_OK)
        rc = set_count(t, row, "csat_n", r->csat_n);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "csat", r->csat);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "csat_mean", r->csat_mean);
    return rc;
}

/* Agents: sla by agent joined with the QA rows.  Contacts no agent handled
 * (abandons, overflows) are a row of their own, so the counts add up to the
 * month; agents with evaluations but no contact in the month come last. */
static int table_agents(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "agents");
    if (!t)
        return ST_ERR_INTERNAL;
    const sla_result_t *ag = x->res[G_AGENT];
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sla_result_count(ag); i++) {
        const sla_row_t *r = sla_result_row(ag, i);
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_text(t, row, "agent", r->key[0] ? r->key : "(no agent)");
        if (rc == ST_OK)
            rc = set_agent_queue(x, t, row, r);
        if (rc == ST_OK)
            rc = set_agent_qa(t, row, r->key[0] ? qa_agent_find(x, r->key) : NULL);
    }
    for (size_t i = 0; rc == ST_OK && i < x->qa->qa.n_agents; i++) {
        const qa_metrics_row_t *a = &x->qa->qa.agents[i];
        bool seen = false;
        for (size_t k = 0; !seen && k < sla_result_count(ag); k++)
            seen = strcmp(sla_result_row(ag, k)->key, a->agent_id) == 0;
        if (seen)
            continue;
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_text(t, row, "agent", a->agent_id);
        if (rc == ST_OK)
            rc = set_agent_queue(x, t, row, NULL);
        if (rc == ST_OK)
            rc = set_agent_qa(t, row, a);
    }
    return rc;
}

/* Inspectors: every inspector metric and the composite. */
static int table_inspectors(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "inspectors");
    if (!t)
        return ST_ERR_INTERNAL;
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < x->qa->insp.n; i++) {
        const inspector_row_t *r = &x->qa->insp.rows[i];
        const char *name = qa_run_inspector_name(x->qa, r->inspector_id);
        inspector_value_t cells[INSPECTOR_VALUES];
        size_t n_cells = inspector_row_values(r, cells);
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_text(t, row, "inspector", r->inspector_id);
        if (rc == ST_OK)
            rc = xl_table_set_text(t, row, "name", name);
        for (size_t k = 0; rc == ST_OK && k < n_cells; k++)
            rc = xl_table_set_number(t, row, cells[k].name, cells[k].value);
    }
    return rc;
}

/* Calibration: one row per participant, compared with its reference
 * (qa_rec_calibration_reference(): the reference inspector, else the mean
 * of the others); the reference itself and a lone participant have none. */
static int table_calibration(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "calibration");
    if (!t)
        return ST_ERR_INTERNAL;
    double tol = x->contract ? contract_calibration_tolerance_pts(x->contract) : 5.0;
    int rc = ST_OK;
    for (size_t s = 0; rc == ST_OK && s < x->qa->n_sessions; s++) {
        const inspector_session_t *se = &x->qa->sessions[s];
        size_t base = (size_t)(se->participants - x->qa->parts);
        for (size_t i = 0; rc == ST_OK && i < se->n; i++) {
            const qa_rec_participant_t *p = &se->participants[i];
            double ref = NAN;
            if (qa_rec_calibration_reference(se->participants, se->n, i, &ref) != ST_OK)
                ref = NAN;
            double dev = isnan(ref) ? NAN : p->score - ref;
            size_t row;
            if ((rc = row_add(t, &row)) != ST_OK)
                break;
            rc = xl_table_set_text(t, row, "session", se->session_id);
            if (rc == ST_OK)
                rc = xl_table_set_text(t, row, "call_id", x->qa->part_call[base + i]);
            if (rc == ST_OK)
                rc = xl_table_set_text(t, row, "inspector", p->inspector_id);
            if (rc == ST_OK)
                rc = xl_table_set_number(t, row, "is_reference", p->is_reference ? 1 : 0);
            if (rc == ST_OK)
                rc = xl_table_set_number(t, row, "evaluated_at",
                                         local_serial(x, x->qa->part_us[base + i]));
            if (rc == ST_OK)
                rc = set_count(t, row, "participants", (int64_t)se->n);
            if (rc == ST_OK)
                rc = xl_table_set_number(t, row, "score", p->score);
            if (rc == ST_OK)
                rc = xl_table_set_number(t, row, "reference", ref);
            if (rc == ST_OK)
                rc = xl_table_set_number(t, row, "deviation", dev);
            if (rc == ST_OK)
                rc = xl_table_set_number(t, row, "abs_deviation", fabs(dev));
            if (rc == ST_OK)
                rc = xl_table_set_number(t, row, "within",
                                         isnan(dev) ? NAN : (fabs(dev) <= tol ? 1 : 0));
        }
    }
    return rc;
}

/* Appeals: the appeals of the month's evaluations (by evaluated_at, as every
 * QA metric of the month), in evaluation order. */
static int table_appeals(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "appeals");
    if (!t)
        return ST_ERR_INTERNAL;
    int64_t start_us = x->month->start_utc * 1000000, end_us = x->month->end_utc * 1000000;
    db_val_t v[] = {db_u64(x->req->tenant->id), db_i64(start_us), db_i64(end_us)};
    db_res_t *res = NULL;
    int rc = db_exec(x->db,
                     "SELECT e.evaluation_id, e.agent_id, e.inspector_id, e.evaluated_us, "
                     "a.appealed_us, a.decided_us, a.outcome, e.score, a.new_score "
                     "FROM appeals a JOIN evaluations e ON e.tenant_id = a.tenant_id "
                     "AND e.evaluation_id = a.evaluation_id WHERE a.tenant_id = ? "
                     "AND e.evaluated_us >= ? AND e.evaluated_us < ? ORDER BY e.evaluation_id",
                     v, 3, &res);
    while (rc == ST_OK && db_res_next(res)) {
        const char *outcome = db_res_str(res, 6, NULL);
        bool overturned = outcome && strcmp(outcome, "overturned") == 0;
        double original = db_res_double(res, 7), fresh = overturned ? db_res_double(res, 8) : NAN;
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_text(t, row, "evaluation", db_res_str(res, 0, NULL));
        if (rc == ST_OK)
            rc = xl_table_set_text(t, row, "agent", db_res_str(res, 1, NULL));
        if (rc == ST_OK)
            rc = xl_table_set_text(t, row, "inspector", db_res_str(res, 2, NULL));
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "evaluated_at", local_serial(x, db_res_i64(res, 3)));
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "appealed_at", local_serial(x, db_res_i64(res, 4)));
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "decided_at", local_serial(x, db_res_i64(res, 5)));
        if (rc == ST_OK)
            rc = xl_table_set_text(t, row, "outcome", outcome ? outcome : "");
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "original_score", original);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "new_score", fresh);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "final_score", overturned ? fresh : original);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "change", overturned ? fresh - original : 0);
    }
    db_res_free(res);
    return rc;
}

/* Minutes after midnight of an "HH:MM" label. */
static int label_minutes(const char *label)
{
    if (strlen(label) != 5)
        return 0;
    return ((label[0] - '0') * 10 + (label[1] - '0')) * 60 + (label[3] - '0') * 10 +
           (label[4] - '0');
}

/* Staffing: every local interval of the month, Erlang C against the agents
 * who actually handled contacts in it. */
static int table_staffing(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "staffing");
    if (!t)
        return ST_ERR_INTERNAL;
    const sla_result_t *iv = x->res[G_INTERVAL];
    size_t n = sla_result_count(iv);
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        const sla_row_t *r = sla_result_row(iv, i);
        double start =
            xl_excel_date(r->year, r->month, r->day) + (double)label_minutes(r->label) / 1440.0;
        size_t row;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_number(t, row, "start", start);
        if (rc == ST_OK)
            rc = xl_table_set_text(t, row, "interval", r->label);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "business", r->business ? 1 : 0);
        if (rc == ST_OK)
            rc = set_count(t, row, "offered", r->offered);
        if (rc == ST_OK)
            rc = set_count(t, row, "answered", r->answered);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "aht_s", r->aht_s);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "service_level", r->service_level);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "required_agents", r->required_agents);
        /* The agents who handled contacts come with the interval rows
         * (computed from the contacts the metrics read: no second query). */
        double agents = r->agents >= 0 ? (double)r->agents : NAN;
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "agents", agents);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "agent_gap", agents - r->required_agents);
    }
    return rc;
}

/*
 * Evidence is a streamed table (xl_model.h): the writer pulls its rows while
 * it writes the sheet, so a month of a million contacts is never held.  The
 * rows come from the database in keyset pages of EVIDENCE_PAGE rows ordered
 * by (offered_us, call_id), each page starting after the last row of the
 * one before (the index on (tenant_id, offered_us), which InnoDB extends
 * with the primary key's call_id, serves the order and the start).  Pages
 * rather than one streaming query (db_query_rows pushes rows into a
 * callback; the writer pulls): no thread, the connection is free between
 * pages, and memory is one page whatever the month holds.
 */
#define EVIDENCE_PAGE 10000

/* The evidence contacts; parameters: tenant, first offered_us, end of the month (UTC us),
 * threshold T, lowest wait of a counted abandon, whether overflows count. */
#define EVIDENCE_SELECT                                                                            \
    "SELECT call_id, queue, offered_us, wait_s, outcome FROM contacts "                            \
    "WHERE tenant_id = ? AND offered_us >= ? AND offered_us < ? "                                  \
    "AND ((outcome = 1 AND wait_s > ?) OR (outcome = 2 AND wait_s >= ?) OR "                       \
    "(outcome = 3 AND ? = 1)) "
#define EVIDENCE_ORDER " ORDER BY offered_us, call_id LIMIT ?"

/* What selects the evidence and how a row reads: the stream's state, owned
 * by the model.  db is borrowed (report_model.h). */
typedef struct ev_src {
    db_t *db;
    tz_t *tz;
    uint64_t tenant_id;
    int64_t start_us, end_us;
    int threshold_s;
    int64_t ab_min, overflow;
} ev_src_t;

/* One pass over the evidence: the current page and the key after which the next starts. */
typedef struct ev_pass {
    const ev_src_t *src;
    db_res_t *page;
    bool started, last; /* a page was read; the last one was short (no more) */
    int64_t key_us;
    char key_id[128];
} ev_pass_t;

/* One evidence row into row 0 of t. */
static int evidence_row(const ev_src_t *s, xl_table_t *t, const db_res_t *res)
{
    int T = s->threshold_s;
    int64_t wait = db_res_i64(res, 3);
    int outcome = (int)db_res_i64(res, 4);
    char reason[96];
    const char *cls = outcome == SLA_ANSWERED    ? "answered"
                      : outcome == SLA_ABANDONED ? "abandoned"
                                                 : "overflow";
    if (outcome == SLA_ANSWERED)
        snprintf(reason, sizeof reason, "answered after the threshold: %" PRId64 " s > %d s", wait,
                 T);
    else if (outcome == SLA_ABANDONED && wait > T)
        snprintf(reason, sizeof reason, "abandoned after the threshold: %" PRId64 " s > %d s", wait,
                 T);
    else if (outcome == SLA_ABANDONED)
        snprintf(reason, sizeof reason, "abandoned (offered, not answered): %" PRId64 " s", wait);
    else
        snprintf(reason, sizeof reason, "overflow (offered, not answered): %" PRId64 " s", wait);
    int rc = xl_table_set_text(t, 0, "call_id", db_res_str(res, 0, NULL));
    if (rc == ST_OK)
        rc = xl_table_set_text(t, 0, "queue", db_res_str(res, 1, NULL));
    if (rc == ST_OK)
        rc = xl_table_set_number(t, 0, "offered_at", serial_in(s->tz, db_res_i64(res, 2)));
    if (rc == ST_OK)
        rc = set_count(t, 0, "wait_s", wait);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, 0, "class", cls);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, 0, "reason", reason);
    return rc;
}

/* xl_source_t open: a pass from the month's first contact. */
static int evidence_open(void *arg, void **cur, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    ev_pass_t *p = xcalloc(1, sizeof *p);
    p->src = arg;
    *cur = p;
    return ST_OK;
}

/* Reads the page after the current key. */
static int evidence_page(ev_pass_t *p, char *err, size_t errlen)
{
    const ev_src_t *s = p->src;
    db_val_t v[] = {db_u64(s->tenant_id), db_i64(p->started ? p->key_us : s->start_us),
                    db_i64(s->end_us),    db_i64(s->threshold_s),
                    db_i64(s->ab_min),    db_i64(s->overflow),
                    db_i64(p->key_us),    db_i64(p->key_us),
                    db_str(p->key_id),    db_i64(EVIDENCE_PAGE)};
    db_val_t first[] = {v[0], v[1], v[2], v[3], v[4], v[5], v[9]};
    db_res_free(p->page);
    p->page = NULL;
    int rc =
        p->started
            ? db_exec(s->db,
                      EVIDENCE_SELECT
                      "AND (offered_us > ? OR (offered_us = ? AND call_id > ?))" EVIDENCE_ORDER,
                      v, 10, &p->page)
            : db_exec(s->db, EVIDENCE_SELECT EVIDENCE_ORDER, first, 7, &p->page);
    if (rc != ST_OK) {
        st_errf(err, errlen, "reading the evidence contacts: %s", db_error(s->db));
        return rc;
    }
    p->started = true;
    p->last = db_res_count(p->page) < EVIDENCE_PAGE;
    return ST_OK;
}

/* xl_source_t next: the next evidence row, reading a page when one runs out. */
static int evidence_next(void *cur, xl_table_t *row, char *err, size_t errlen)
{
    ev_pass_t *p = cur;
    while (!p->page || !db_res_next(p->page)) {
        if (p->started && p->last)
            return 0;
        int rc = evidence_page(p, err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    size_t n = 0;
    const char *id = db_res_str(p->page, 0, &n);
    p->key_us = db_res_i64(p->page, 2);
    snprintf(p->key_id, sizeof p->key_id, "%.*s", (int)n, id);
    int rc = evidence_row(p->src, row, p->page);
    if (rc != ST_OK) {
        st_errf(err, errlen, "evidence contact '%s' cannot be shown", p->key_id);
        return rc;
    }
    return 1;
}

/* xl_source_t close. */
static void evidence_close(void *cur)
{
    ev_pass_t *p = cur;
    db_res_free(p->page);
    free(p);
}

/* xl_source_t release: the stream's state, with the model. */
static void evidence_release(void *arg)
{
    ev_src_t *s = arg;
    tz_free(s->tz);
    free(s);
}

/*
 * Evidence: the month's offered contacts that counted against the service
 * level under the contract's sl_formula: answered after the threshold
 * always; abandons that are offered (not short) and overflows when the
 * formula has them in its denominator without crediting them (offered: all
 * of them; abandon_neutral and abandon_positive: abandons after the
 * threshold only, and overflows; answered: neither).  A short abandon is
 * not offered, so never evidence.  The table is a stream read when the
 * workbook is written (see EVIDENCE_PAGE); the writer continues it on a
 * next sheet past Excel's rows.
 */
static int table_evidence(rmodel_ctx_t *x, char *err, size_t errlen)
{
    static const xl_source_t source = {evidence_open, evidence_next, evidence_close,
                                       evidence_release};
    const sla_params_t *p = &x->info.params;
    ev_src_t *s = xcalloc(1, sizeof *s);
    s->db = x->db;
    s->tenant_id = x->req->tenant->id;
    s->start_us = x->month->start_utc * 1000000;
    s->end_us = x->month->end_utc * 1000000;
    s->threshold_s = p->sl_threshold_s;
    /* Lowest wait of an abandon that counts, and whether overflows count. */
    s->ab_min = p->short_abandon_s;
    s->overflow = 1;
    if (p->sl_formula == SLA_SL_ANSWERED) {
        s->ab_min = INT32_MAX;
        s->overflow = 0;
    } else if (p->sl_formula != SLA_SL_OFFERED) {
        s->ab_min = p->sl_threshold_s + 1 > s->ab_min ? p->sl_threshold_s + 1 : s->ab_min;
    }
    int rc = tz_load(x->info.timezone, &s->tz, err, errlen);
    if (rc != ST_OK) {
        evidence_release(s);
        return rc;
    }
    /* The model owns s from here, in every case. */
    return xl_model_stream(x->m, "evidence", &source, s);
}

/* The internal tables (after the QA metrics). */
static int internal_tables(rmodel_ctx_t *x, char *err, size_t errlen)
{
    int rc = tz_load(x->info.timezone, &x->tz, err, errlen);
    if (rc != ST_OK)
        return rc;
    if ((rc = table_agents(x)) == ST_OK && (rc = table_inspectors(x)) == ST_OK &&
        (rc = table_calibration(x)) == ST_OK && (rc = table_appeals(x)) == ST_OK &&
        (rc = table_staffing(x)) == ST_OK)
        rc = table_evidence(x, err, errlen);
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
        snprintf(err, errlen, "reading the contract failed");
        return rc;
    }
    x->contract = contract_version_for_month((const contract_t *const *)x->versions.items,
                                             x->versions.n, q->year, q->month);
    sla_period_t period;
    sla_period_month(&period, q->year, q->month);
    static const sla_by_t bys[G_COUNT] = {SLA_BY_DAY, SLA_BY_INTERVAL, SLA_BY_QUEUE, SLA_BY_AGENT};
    rc = metrics_compute_many(x->db, q->tenant, &period, bys, G_COUNT, q->generated_at * 1000000,
                              x->res, &x->info, err, errlen);
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
    if ((rc = rmodel_cover(x.m, req, x.info.timezone)) == ST_OK &&
        (rc = table_scorecard(&x, err, errlen)) == ST_OK && (rc = table_daily(&x)) == ST_OK &&
        (rc = table_intervals(&x)) == ST_OK && (rc = table_queues(&x)) == ST_OK &&
        (rc = table_quality(&x)) == ST_OK && (rc = table_qa_csat(&x)) == ST_OK &&
        (rc = table_data_quality(&x)) == ST_OK)
        rc = table_methodology(&x);
    if (rc == ST_OK && req->internal)
        rc = internal_tables(&x, err, errlen);
    if (rc != ST_OK) {
        if (!err[0])
            snprintf(err, errlen, "filling the report model failed: %s",
                     rc == ST_ERR_DB ? db_error(db) : st_strerror(rc));
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
        sl_parts(x.info.params.sl_formula, x.month, &out->sl_num, &out->sl_den);
        out->qa = x.qa->qa.tenant;
        rc = month_contract(&x, out, err, errlen);
    }
    gather_clear(&x);
    return rc;
}
