/*
 * report_model_traffic.c - the sheets of the traffic: Daily, Intervals,
 * Queues and Staffing from the month's sla results, and Data quality from
 * the month's ingest batches.
 *
 * Choices where the spec leaves room:
 *   - "The month's batches" are the committed contact batches that last
 *     wrote a contact offered in the month (contacts.batch_id): their rows
 *     received, rejected, and unchanged rows (a row sent again as it was)
 *     as duplicates.  The period closes when its first report is
 *     requested (the earliest done report of the tenant and period before
 *     this one, by its created_at); late arrivals are the month's contacts
 *     whose batch was received after that.  A period's first report has
 *     none: data loaded after the month's end for its first report is the
 *     month's data, not late.
 *   - The interval heat map sums the numerator and denominator of the
 *     service level over every interval with the same local start label
 *     on the same weekday, so each cell is an exact ratio, not a mean of
 *     ratios.  Its compliance counts are NAN without a service_level target
 *     (interval compliance is undefined then).
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_model_int.h"
#include "rfc3339.h"
#include "sl_cost.h"
#include "rollup_batch.h"
#include "status.h"
#include "xmem.h"

#define MAX_LABELS 128 /* distinct interval labels of a month (96 at 15 min, + spare) */

/*
 * Adds one row per sla row of res to table `table`: its key cell (made by
 * key_cell), the queue cells, then the table's own (more_cells).  Daily and
 * Queues are this same walk.
 */
static int sla_rows(rmodel_ctx_t *x, const char *table, const sla_result_t *res,
                    int (*more_cells)(rmodel_ctx_t *, xl_table_t *, size_t, const sla_row_t *))
{
    xl_table_t *t = xl_model_table(x->m, table);
    if (!t)
        return ST_ERR_INTERNAL;
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sla_result_count(res); i++) {
        const sla_row_t *r = sla_result_row(res, i);
        size_t row;
        if ((rc = xl_table_add_row(t, &row)) != ST_OK)
            break;
        rc = rmodel_queue_cells(x, t, row, r);
        if (rc == ST_OK)
            rc = more_cells(x, t, row, r);
    }
    /* The 90th percentile of all the rows' waits: not a formula over the rows. */
    if (rc == ST_OK)
        rc = xl_table_set_given_total(t, "wait_p90_s", sla_result_total(res)->wait_p90_s);
    return rc;
}

/* A Daily row's own cells: the day, the target, FCR and CSAT. */
static int daily_cells(rmodel_ctx_t *x, xl_table_t *t, size_t row, const sla_row_t *r)
{
    const rmodel_cell_t cells[] = {
        RM_NUM("day", xl_excel_date(r->year, r->month, r->day)),
        RM_NUM("sl_target", x->info.params.sl_target),
    };
    int rc = rmodel_cells(t, row, RM_CELLS(cells));
    return rc == ST_OK ? rmodel_fcr_csat_cells(t, row, r) : rc;
}

/* Daily: every local day of the month. */
int rmodel_table_daily(rmodel_ctx_t *x)
{
    return sla_rows(x, "daily", x->res[G_DAY], daily_cells);
}

/* A Queues row's own cells. */
static int queue_cells(rmodel_ctx_t *x, xl_table_t *t, size_t row, const sla_row_t *r)
{
    (void)x;
    const rmodel_cell_t cells[] = {
        RM_TEXT("queue", r->key),
        RM_NUM("abandon_rate", r->abandon_rate),
        RM_NUM("transfer_rate", r->transfer_rate),
        RM_NUM("wait_p90_s", r->wait_p90_s),
        RM_NUM("max_wait_s", r->max_wait_s),
    };
    return rmodel_cells(t, row, RM_CELLS(cells));
}

/* Queues: the queue metrics by queue. */
int rmodel_table_queues(rmodel_ctx_t *x)
{
    return sla_rows(x, "queues", x->res[G_QUEUE], queue_cells);
}

/* One interval label's sums over the month, by weekday (0 = Sunday). */
typedef struct label_sums {
    char label[6];
    int64_t num[7], den[7];
    int64_t intervals, met;
    bool business;   /* a business interval on some weekday */
    int64_t offered; /* contacts offered in it over the month */
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
        rmodel_sl_parts(x->info.params.sl_formula, r, &num, &den);
        labels[k].num[wday] += num;
        labels[k].den[wday] += den;
        labels[k].intervals += r->compliance_intervals;
        labels[k].met += r->compliance_met;
        labels[k].business |= r->business;
        labels[k].offered += r->offered;
    }
    return n;
}

/* Orders interval labels by their "HH:MM" (which sorts as the time). */
static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const label_sums_t *)a)->label, ((const label_sums_t *)b)->label);
}

/* Intervals: service level by interval label x weekday, and compliance,
 * for the business intervals and any other interval that had contacts (not
 * the empty night). */
int rmodel_table_intervals(rmodel_ctx_t *x)
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
        if (!l->business && l->offered == 0)
            continue;
        double met = has_target ? (double)l->met : NAN;
        double all = has_target ? (double)l->intervals : NAN;
        rmodel_cell_t cells[11] = {
            RM_TEXT("interval", l->label),
            RM_NUM("compliance_met", met),
            RM_NUM("compliance_intervals", all),
            RM_NUM("interval_compliance", has_target && l->intervals > 0 ? met / all : NAN),
        };
        for (int w = 0; w < 7; w++)
            cells[4 + w] = (rmodel_cell_t)RM_NUM(
                wkeys[w], l->den[w] > 0 ? (double)l->num[w] / (double)l->den[w] : NAN);
        rc = rmodel_row(t, RM_CELLS(cells));
    }
    free(labels);
    return rc;
}

/* Data quality: the month's ingest batches (see the top of this file). */
int rmodel_table_data_quality(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "data_quality");
    int64_t start_us = x->month->start_utc * 1000000, end_us = x->month->end_utc * 1000000;
    uint64_t tid = x->req->tenant->id;
    /* How many of the month's contacts each batch last wrote (from
     * batch_slots, kept with the rollups: a month's few thousand rows, not
     * its contacts; from the contacts while the rollups await a rebuild),
     * then those batches' receipts.  The session's time zone is UTC (db.c),
     * so UNIX_TIMESTAMP reads received_at right. */
    char period[8], closed[160] = "";
    snprintf(period, sizeof period, "%04d-%02d", x->req->year, x->req->month);
    db_val_t pv[] = {db_u64(tid), db_str(period), db_u64(x->req->report_id),
                     db_u64(x->req->report_id)};
    db_res_t *res = NULL;
    /* The period's first report, this one included: the period closed when
     * it was requested.  Every version says the same, so the data digest of
     * two versions of unchanged data is the same. */
    int rc = db_exec(x->db,
                     "SELECT id, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM reports "
                     "WHERE tenant_id = ? AND period = ? AND id <= ? "
                     "AND (status = 'done' OR id = ?) ORDER BY id LIMIT 1",
                     pv, 4, &res);
    uint64_t first_id = 0;
    if (rc == ST_OK && db_res_next(res)) {
        first_id = (uint64_t)db_res_i64(res, 0);
        snprintf(closed, sizeof closed, "%s", db_res_str(res, 1, NULL));
    }
    db_res_free(res);
    res = NULL;
    if (rc != ST_OK)
        return rc;
    bool pending = true;
    rc = rollup_pending(x->db, tid, &pending);
    if (rc != ST_OK)
        return rc;
    /* Late arrivals: rows received after the period's first report was requested. */
    db_val_t v[] = {db_u64(tid),      db_u64(first_id), db_u64(tid),
                    db_i64(start_us), db_i64(end_us),   db_u64(tid)};
    int64_t received = 0, rejected = 0, duplicates = 0, late = 0;
#define BATCHES_SQL(month_batches)                                                                 \
    "SELECT COALESCE(SUM(b.rows_total), 0), COALESCE(SUM(b.rejected), 0), "                        \
    "COALESCE(SUM(b.unchanged), 0), COALESCE(SUM(IF(b.received_at > "                              \
    "(SELECT created_at FROM reports WHERE tenant_id = ? AND id = ?), m.n, 0)), 0) "               \
    "FROM " month_batches " m JOIN ingest_batches b ON b.tenant_id = ? AND b.id = m.batch_id "     \
    "AND b.status = 'committed'"
    rc = db_exec(x->db,
                 pending ? BATCHES_SQL("(SELECT batch_id, COUNT(*) AS n FROM contacts WHERE "
                                       "tenant_id = ? AND offered_us >= ? AND offered_us < ? "
                                       "GROUP BY batch_id)")
                         : BATCHES_SQL("(SELECT batch_id, SUM(contacts) AS n FROM batch_slots "
                                       "WHERE tenant_id = ? AND slot_us >= ? AND slot_us < ? "
                                       "GROUP BY batch_id HAVING n > 0)"),
                 v, 6, &res);
#undef BATCHES_SQL
    if (rc == ST_OK && db_res_next(res)) {
        received = db_res_i64(res, 0);
        rejected = db_res_i64(res, 1);
        duplicates = db_res_i64(res, 2);
        late = db_res_i64(res, 3);
    }
    db_res_free(res);
    if (rc != ST_OK)
        return rc;
    char closed_text[240];
    bool zh = xl_model_lang(x->m) == XL_LANG_ZH;
    if (first_id)
        snprintf(closed_text, sizeof closed_text,
                 zh ? "%s（本期首份报告 %" PRIu64 "）"
                    : "%s (report %" PRIu64 ", the period's first)",
                 closed, first_id);
    else
        snprintf(closed_text, sizeof closed_text, "%s",
                 zh ? "尚未关闭：这是本期首份报告" : "not yet: this is the period's first report");
    const rmodel_cell_t cells[] = {
        RM_NUM("rows_received", received),
        RM_NUM("rows_rejected", rejected),
        RM_NUM("duplicates", duplicates),
        RM_NUM("late_arrivals", late),
        RM_TEXT("period_closed", closed_text),
        RM_NUM("fcr_provisional", x->month->fcr_provisional ? 1 : 0),
    };
    return rmodel_row(t, RM_CELLS(cells));
}

/* Minutes after midnight of an "HH:MM" label. */
static int label_minutes(const char *label)
{
    if (strlen(label) != 5)
        return 0;
    return ((label[0] - '0') * 10 + (label[1] - '0')) * 60 + (label[3] - '0') * 10 +
           (label[4] - '0');
}

/* Staffing: the business intervals of the month and any other that had
 * contacts, Erlang C against the agents who actually handled contacts in
 * it, and how many agents short of (or above) the requirement that was:
 * counts, never negative. */
int rmodel_table_staffing(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "staffing");
    if (!t)
        return ST_ERR_INTERNAL;
    const sla_result_t *iv = x->res[G_INTERVAL];
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sla_result_count(iv); i++) {
        const sla_row_t *r = sla_result_row(iv, i);
        if (!r->business && r->offered == 0)
            continue;
        double start =
            xl_excel_date(r->year, r->month, r->day) + (double)label_minutes(r->label) / 1440.0;
        /* The agents who handled contacts come with the interval rows
         * (computed from the contacts the metrics read: no second query). */
        double agents = r->agents >= 0 ? (double)r->agents : NAN;
        double gap = agents - r->required_agents; /* NAN when either is */
        const rmodel_cell_t cells[] = {
            RM_NUM("start", start),
            RM_TEXT("interval", r->label),
            RM_NUM("business", r->business ? 1 : 0),
            RM_NUM("offered", r->offered),
            RM_NUM("answered", r->answered),
            RM_NUM("aht_s", r->aht_s),
            RM_NUM("service_level", r->service_level),
            RM_NUM("required_agents", r->required_agents),
            RM_NUM("agents", agents),
            RM_NUM("agents_short", gap < 0      ? -gap
                                   : isnan(gap) ? NAN
                                                : 0),
            RM_NUM("agents_above", gap > 0      ? gap
                                   : isnan(gap) ? NAN
                                                : 0),
        };
        rc = rmodel_row(t, RM_CELLS(cells));
    }
    return rc;
}

/* One row of the Service level cost table; point: "target", "achieved" or "". */
static int sl_cost_add(xl_table_t *t, const sl_cost_row_t *r, const char *point, double handled)
{
    bool at_target = strcmp(point, "target") == 0, achieved = strcmp(point, "achieved") == 0;
    const rmodel_cell_t cells[] = {
        RM_NUM("level", r->target),
        RM_TEXT("point", point),
        RM_NUM("agent_hours", r->hours),
        RM_NUM("paid_hours", r->paid_hours),
        RM_NUM("cost", r->cost),
        RM_NUM("marginal_hours_per_point", r->marg_hours_pt),
        RM_NUM("marginal_cost_per_point", r->marg_cost_pt),
        RM_NUM("cost_at_target", at_target ? r->cost : NAN),
        RM_NUM("cost_at_achieved", achieved ? r->cost : NAN),
        RM_NUM("hours_at_target", at_target ? r->hours : NAN),
        RM_NUM("hours_at_achieved", achieved ? r->hours : NAN),
        RM_NUM("agent_hours_handled", achieved ? handled : NAN),
    };
    return rmodel_row(t, RM_CELLS(cells));
}

/*
 * Service level cost (reports/sl_cost.h): the default curve of the month
 * (0.70 to 0.95, the contract's target and one point above), sized for the
 * contract's threshold, with the level the month reached as a row of its
 * own in level order (its marginals empty: it is not a step of the
 * curve).  Filled for every audience; a template shows it when it asks.
 */
int rmodel_table_sl_cost(rmodel_ctx_t *x, char *err, size_t errlen)
{
    xl_table_t *t = xl_model_table(x->m, "sl_cost");
    if (!t)
        return ST_ERR_INTERNAL;
    int64_t cents = 0;
    const contract_t *c = x->contract;
    double hour_cost = c && contract_agent_hour_cost(c, &cents) ? (double)cents / 100.0 : NAN;
    sl_cost_month_t m;
    int rc =
        sl_cost_month(x->res[G_INTERVAL], x->info.params.sl_threshold_s, x->info.params.sl_target,
                      c ? contract_shrinkage_pct(c) : 0, hour_cost, NULL, 0, &m, err, errlen);
    if (rc != ST_OK)
        return rc;
    bool achieved_done = isnan(m.achieved_row.hours);
    for (size_t i = 0; rc == ST_OK && i < m.n; i++) {
        const sl_cost_row_t *r = &m.rows[i];
        if (!achieved_done && m.achieved_sl < r->target) {
            rc = sl_cost_add(t, &m.achieved_row, "achieved", m.handled_hours);
            achieved_done = true;
            if (rc != ST_OK)
                break;
        }
        bool is_target = fabs(r->target - m.contract_target) < 1e-9;
        rc = sl_cost_add(t, r, is_target ? "target" : "", NAN);
    }
    if (rc == ST_OK && !achieved_done)
        rc = sl_cost_add(t, &m.achieved_row, "achieved", m.handled_hours);
    return rc;
}

/*
 * How the period's data counted as complete, for the Cover (issue 15: "the
 * Cover says which").  From records that never change once written, so a
 * rebuild says the same: a report a schedule made states its run's close
 * (the grace after the last batch touching the period, or the manager's
 * explicit close); any other report states an explicit close made before it
 * was generated, or that none was (a report on request).
 */
/* A text column, "" for NULL. */
static const char *res_text(const db_res_t *res, unsigned col)
{
    const char *v = db_res_str(res, col, NULL);
    return v ? v : "";
}

int rmodel_cover_close(rmodel_ctx_t *x)
{
    bool zh = xl_model_lang(x->m) == XL_LANG_ZH;
    char period[8], text[400], when[40];
    snprintf(period, sizeof period, "%04d-%02d", x->req->year, x->req->month);
    uint64_t tid = x->req->tenant->id;
    db_val_t rv[] = {db_u64(tid), db_u64(x->req->report_id)};
    db_res_t *res = NULL;
    int rc = db_exec(x->db,
                     "SELECT s.close_kind, s.closed_at, s.close_note FROM schedule_run_reports r "
                     "JOIN schedule_runs s ON s.tenant_id = r.tenant_id AND s.id = r.run_id "
                     "WHERE r.tenant_id = ? AND r.report_id = ? LIMIT 1",
                     rv, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        bool grace = strcmp(res_text(res, 0), "grace") == 0;
        rfc3339_format_utc(db_res_i64(res, 1) * 1000000, when, sizeof when);
        snprintf(text, sizeof text,
                 zh ? (grace ? "%s 按计划的宽限期关闭（%s）" : "%s 手动关闭（%s）")
                    : (grace ? "closed at %s by the schedule's grace (%s)"
                             : "closed at %s by hand (%s)"),
                 when, res_text(res, 2));
        db_res_free(res);
        return xl_model_cover_text(x->m, XL_FACT_DATA_CLOSE, text);
    }
    db_res_free(res);
    res = NULL;
    if (rc != ST_OK)
        return rc;
    db_val_t pv[] = {db_u64(tid), db_str(period), db_i64(x->req->generated_at)};
    rc = db_exec(x->db,
                 "SELECT closed_at, closed_by FROM period_closes WHERE tenant_id = ? AND "
                 "period = ? AND closed_at <= ?",
                 pv, 3, &res);
    if (rc == ST_OK && db_res_next(res)) {
        rfc3339_format_utc(db_res_i64(res, 0) * 1000000, when, sizeof when);
        snprintf(text, sizeof text, zh ? "%s 手动关闭（%s）" : "closed at %s by hand (by %s)", when,
                 res_text(res, 1));
    } else if (rc == ST_OK) {
        snprintf(text, sizeof text, "%s",
                 zh ? "未关闭：按需生成，之后到达的数据见“数据质量”表"
                    : "not closed: generated on request (the Data quality sheet counts data "
                      "that arrived later)");
    }
    db_res_free(res);
    return rc == ST_OK ? xl_model_cover_text(x->m, XL_FACT_DATA_CLOSE, text) : rc;
}
