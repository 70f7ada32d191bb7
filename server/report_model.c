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

#include "contract_store.h"
#include "credits.h"
#include "metrics_run.h"
#include "qa_metrics.h"
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
    db_res_t *eval_res;     /* evaluation rows; the QA result borrows their ids */
    qa_metrics_eval_t *evals;
    qa_metrics_agent_t *agents;
    qa_metrics_result_t qa;
    bool qa_done;
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

/* Cover: the facts of the report; the writer adds the data digest. */
static int table_cover(rmodel_ctx_t *x)
{
    const rmodel_req_t *q = x->req;
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
        {XL_FACT_TIME_ZONE, x->info.timezone},
        {XL_FACT_GENERATED_AT, generated},
        {XL_FACT_TEMPLATE, q->template_name},
        {XL_FACT_REPORT_ID, id},
        {XL_FACT_CERT_FP, q->cert_fingerprint ? q->cert_fingerprint : ""},
        {XL_FACT_VERIFY, verify},
    };
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sizeof facts / sizeof facts[0]; i++)
        rc = xl_model_cover_text(x->m, facts[i][0], facts[i][1]);
    return rc;
}

/* The month's value of a contract metric: queue metrics from the month's
 * sla row, QA metrics from the tenant's QA row. */
static double metric_value(const rmodel_ctx_t *x, contract_metric_t metric)
{
    const sla_row_t *r = x->month;
    const qa_metrics_row_t *qa = &x->qa.tenant;
    switch (metric) {
    case CM_SERVICE_LEVEL:
        return r->service_level;
    case CM_ABANDON_RATE:
        return r->abandon_rate;
    case CM_ANSWER_RATE:
        return r->answer_rate;
    case CM_ASA_S:
        return r->asa_s;
    case CM_AVG_ABANDON_S:
        return r->avg_abandon_s;
    case CM_MAX_WAIT_S:
        return r->max_wait_s;
    case CM_WAIT_P90_S:
        return r->wait_p90_s;
    case CM_AHT_S:
        return r->aht_s;
    case CM_TRANSFER_RATE:
        return r->transfer_rate;
    case CM_INTERVAL_COMPLIANCE:
        return r->interval_compliance;
    case CM_FCR:
        return r->fcr;
    case CM_CSAT:
        return r->csat;
    case CM_CSAT_MEAN:
        return r->csat_mean;
    case CM_QA_SCORE:
        return qa->qa_score;
    case CM_QA_PASS_RATE:
        return qa->qa_pass_rate;
    case CM_FATAL_RATE:
        return qa->fatal_rate;
    case CM_QA_COVERAGE:
        return qa->qa_coverage;
    case CM_COUNT:
        break;
    }
    return NAN;
}

/* Scorecard: credits_compute over the month, one row per contract item. */
static int table_scorecard(rmodel_ctx_t *x, char *err, size_t errlen)
{
    xl_table_t *t = xl_model_table(x->m, "scorecard");
    if (!t)
        return ST_ERR_INTERNAL;
    if (!x->contract)
        return ST_OK; /* no contract, no items: an empty scorecard */
    size_t n = contract_item_count(x->contract);
    double *values = xcalloc(n + 1, sizeof *values);
    for (size_t i = 0; i < n; i++)
        values[i] = metric_value(x, contract_item(x->contract, i)->metric);
    credits_month_t cm;
    credits_result_t cr;
    memset(&cr, 0, sizeof cr);
    credits_month_from_contract(x->contract, x->req->year, x->req->month, values, &cm);
    int rc = credits_compute(&cm, 1, &cr, err, errlen);
    for (size_t i = 0; rc == ST_OK && i < cr.n_rows; i++) {
        const credits_row_t *c = &cr.rows[i];
        if (c->kind != CREDITS_ROW_ITEM)
            continue; /* one month: no earn-back outcome can fall in it */
        size_t row;
        double met = c->status == CREDITS_MET ? 1 : c->status == CREDITS_MISSED ? 0 : NAN;
        if ((rc = row_add(t, &row)) != ST_OK)
            break;
        rc = xl_table_set_text(t, row, "item", contract_metric_name(c->metric));
        if (rc == ST_OK)
            rc = xl_table_set_text(t, row, "comparator", contract_cmp_name(c->comparator));
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "target", c->target);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "value", c->value);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "met", met);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "credit_pct", c->credit_pct_centi / 100.0);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "credit", (double)c->credit_cents / 100.0);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, "applied", (double)c->applied_cents / 100.0);
    }
    credits_result_free(&cr);
    free(values);
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

/* A DOUBLE column of the current row (NAN for NULL or garbage). */
static double res_double(const db_res_t *res, unsigned col)
{
    const char *s = db_res_str(res, col, NULL);
    if (!s)
        return NAN;
    char *end = NULL;
    double v = strtod(s, &end);
    return end != s && *end == '\0' ? v : NAN;
}

/* Reads the month's evaluations (final scores from the qa_evaluations_final
 * view, with the contact's survey) into x->evals; they borrow x->eval_res. */
static int qa_load_evals(rmodel_ctx_t *x, int64_t start_us, int64_t end_us, size_t *n)
{
    db_val_t v[] = {db_u64(x->req->tenant->id), db_i64(start_us), db_i64(end_us)};
    int rc = db_exec(x->db,
                     "SELECT f.evaluation_id, f.call_id, f.agent_id, f.inspector_id, "
                     "f.evaluated_us, f.original_score, f.final_score, f.fatal, f.defect, "
                     "f.appeal_outcome, f.contact_known, f.contact_ended_us, c.csat "
                     "FROM qa_evaluations_final f LEFT JOIN contacts c "
                     "ON c.tenant_id = f.tenant_id AND c.call_id = f.call_id "
                     "WHERE f.tenant_id = ? AND f.evaluated_us >= ? AND f.evaluated_us < ? "
                     "ORDER BY f.evaluation_id",
                     v, 3, &x->eval_res);
    if (rc != ST_OK)
        return rc;
    *n = db_res_count(x->eval_res);
    x->evals = xcalloc(*n + 1, sizeof *x->evals);
    for (size_t i = 0; db_res_next(x->eval_res); i++) {
        qa_metrics_eval_t *e = &x->evals[i];
        const db_res_t *r = x->eval_res;
        const char *appeal = db_res_str(r, 9, NULL);
        e->evaluation_id = db_res_str(r, 0, NULL);
        e->call_id = db_res_str(r, 1, NULL);
        e->agent_id = db_res_str(r, 2, NULL);
        e->inspector_id = db_res_str(r, 3, NULL);
        e->evaluated_us = db_res_i64(r, 4);
        e->score = res_double(r, 5);
        e->fatal = db_res_i64(r, 7) != 0;
        e->defect = db_res_i64(r, 8) != 0;
        e->appeal = !appeal                             ? QA_METRICS_APPEAL_NONE
                    : strcmp(appeal, "overturned") == 0 ? QA_METRICS_APPEAL_OVERTURNED
                                                        : QA_METRICS_APPEAL_UPHELD;
        e->new_score = res_double(r, 6);
        e->contact_known = db_res_i64(r, 10) != 0;
        e->ended_us = e->contact_known ? db_res_i64(r, 11) : 0;
        e->has_csat = !db_res_is_null(r, 12) && db_res_i64(r, 12) > 0;
        e->csat = e->has_csat ? (double)db_res_i64(r, 12) : NAN;
    }
    return ST_OK;
}

/* qa_metrics over the month: evaluations, and each agent's answered
 * contacts and surveys from sla by agent. */
static int qa_compute(rmodel_ctx_t *x, char *err, size_t errlen)
{
    int64_t start_us = x->month->start_utc * 1000000, end_us = x->month->end_utc * 1000000;
    size_t n_evals = 0;
    int rc = qa_load_evals(x, start_us, end_us, &n_evals);
    if (rc != ST_OK) {
        snprintf(err, errlen, "reading the evaluations failed");
        return rc;
    }
    const sla_result_t *ag = x->res[G_AGENT];
    x->agents = xcalloc(sla_result_count(ag) + 1, sizeof *x->agents);
    size_t n_agents = 0;
    for (size_t i = 0; i < sla_result_count(ag); i++) {
        const sla_row_t *r = sla_result_row(ag, i);
        if (r->key[0] == '\0')
            continue; /* contacts no agent handled */
        qa_metrics_agent_t *a = &x->agents[n_agents++];
        a->agent_id = r->key;
        a->answered = (size_t)r->answered;
        a->surveys = (size_t)r->csat_n;
        a->csat = r->csat;
    }
    qa_metrics_input_t in = {
        .evals = x->evals,
        .n_evals = n_evals,
        .agents = x->agents,
        .n_agents = n_agents,
        .tenant_answered = (size_t)x->month->answered,
        .params = {.pass_mark = x->contract ? contract_qa_pass_mark(x->contract) : 85.0,
                   .precision_pts = x->contract ? contract_qa_precision_pts(x->contract) : 5.0,
                   .start_us = start_us,
                   .end_us = end_us},
    };
    rc = qa_metrics_compute(&in, &x->qa, err, errlen);
    x->qa_done = rc == ST_OK;
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
    for (size_t i = 0; rc == ST_OK && i < x->qa.n_agents; i++) {
        const qa_metrics_row_t *a = &x->qa.agents[i];
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
        rc = xl_table_set_number(t, row, "pearson_r", x->qa.pearson.r);
    if (rc == ST_OK)
        rc = set_count(t, row, "pearson_n", (int64_t)x->qa.pearson.n);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, row, "spearman_rho", x->qa.spearman.r);
    if (rc == ST_OK)
        rc = set_count(t, row, "spearman_n", (int64_t)x->qa.spearman.n);
    return rc;
}

/* Data quality: the month's ingest batches (see the top of this file). */
static int table_data_quality(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "data_quality");
    int64_t start_us = x->month->start_utc * 1000000, end_us = x->month->end_utc * 1000000;
    uint64_t tid = x->req->tenant->id;
    db_val_t v[] = {db_u64(tid), db_u64(tid), db_i64(start_us), db_i64(end_us)};
    db_res_t *res = NULL;
    int64_t received = 0, rejected = 0, duplicates = 0, late = 0;
    int rc = db_exec(x->db,
                     "SELECT COALESCE(SUM(rows_total), 0), COALESCE(SUM(rejected), 0), "
                     "COALESCE(SUM(unchanged), 0) FROM ingest_batches "
                     "WHERE tenant_id = ? AND status = 'committed' AND id IN "
                     "(SELECT DISTINCT batch_id FROM contacts WHERE tenant_id = ? "
                     "AND offered_us >= ? AND offered_us < ?)",
                     v, 4, &res);
    if (rc == ST_OK && db_res_next(res)) {
        received = db_res_i64(res, 0);
        rejected = db_res_i64(res, 1);
        duplicates = db_res_i64(res, 2);
    }
    db_res_free(res);
    res = NULL;
    if (rc != ST_OK)
        return rc;
    /* The session's time zone is UTC (db.c), so UNIX_TIMESTAMP reads received_at right. */
    db_val_t w[] = {db_u64(tid), db_i64(start_us), db_i64(end_us), db_i64(x->month->end_utc)};
    rc = db_exec(x->db,
                 "SELECT COUNT(*) FROM contacts c JOIN ingest_batches b "
                 "ON b.tenant_id = c.tenant_id AND b.id = c.batch_id "
                 "WHERE c.tenant_id = ? AND c.offered_us >= ? AND c.offered_us < ? "
                 "AND UNIX_TIMESTAMP(b.received_at) >= ?",
                 w, 4, &res);
    if (rc == ST_OK && db_res_next(res))
        late = db_res_i64(res, 0);
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
    return qa_compute(x, err, errlen);
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
    if ((rc = table_cover(&x)) == ST_OK && (rc = table_scorecard(&x, err, errlen)) == ST_OK &&
        (rc = table_daily(&x)) == ST_OK && (rc = table_intervals(&x)) == ST_OK &&
        (rc = table_queues(&x)) == ST_OK && (rc = table_quality(&x)) == ST_OK &&
        (rc = table_qa_csat(&x)) == ST_OK && (rc = table_data_quality(&x)) == ST_OK)
        rc = table_methodology(&x);
    if (rc != ST_OK) {
        if (!err[0])
            snprintf(err, errlen, "filling the report model failed (%d)", rc);
        goto fail;
    }
    *out = x.m;
    x.m = NULL;
fail:
    xl_model_free(x.m);
    if (x.qa_done)
        qa_metrics_result_clear(&x.qa);
    free(x.agents);
    free(x.evals);
    db_res_free(x.eval_res);
    for (int i = 0; i < G_COUNT; i++)
        sla_result_free(x.res[i]);
    cstore_versions_free(&x.versions);
    return rc;
}
