/*
 * report_model_quality.c - the sheets of quality: Quality (QA per agent,
 * pseudonymised in client workbooks) and QA-CSAT, and for internal
 * workbooks Agents (queue and QA metrics per agent), Inspectors,
 * Calibration and Appeals.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "inspector.h"
#include "qa_metrics.h"
#include "qa_records.h"
#include "report_model_int.h"
#include "status.h"

/* Quality: one row per agent, pseudonymised in sorted agent-id order when
 * asked (qa_metrics sorts its agents by id). */
int rmodel_table_quality(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "quality_agents");
    if (!t)
        return ST_ERR_INTERNAL;
    int rc = rmodel_dims_columns(x, t);
    for (size_t i = 0; rc == ST_OK && i < x->qa->qa.n_agents; i++) {
        const qa_metrics_row_t *a = &x->qa->qa.agents[i];
        char name[32];
        if (x->req->pseudonymise)
            snprintf(name, sizeof name, "Agent %03zu", i + 1);
        const rmodel_cell_t cells[] = {
            RM_TEXT("agent", x->req->pseudonymise ? name : a->agent_id),
            RM_NUM("evaluations", a->evaluations),
            RM_NUM("qa_score", a->qa_score),
            RM_NUM("qa_pass_rate", a->qa_pass_rate),
            RM_NUM("fatal_rate", a->fatal_rate),
            RM_NUM("evaluated_contacts", a->evaluated_contacts),
            RM_NUM("answered", a->answered),
            RM_NUM("qa_coverage", a->qa_coverage),
        };
        rc = rmodel_row(t, RM_CELLS(cells));
        if (rc == ST_OK)
            rc = rmodel_dims_cells(x, t, xl_table_row_count(t) - 1, QA_DIMS_AGENT, a->agent_id);
    }
    return rc;
}

/* How to read the two coefficients, with a warning on each that rests on
 * too few pairs, in the workbook's language. */
static void qa_csat_reading(const rmodel_ctx_t *x, char *out, size_t len)
{
    const qa_metrics_result_t *q = &x->qa->qa;
    bool zh = xl_model_lang(x->m) == XL_LANG_ZH;
    size_t o = (size_t)snprintf(
        out, len, "%s",
        zh ? "皮尔逊系数逐通话比较（同一通话的质检得分与满意度），斯皮尔曼系数逐坐席比较排名，"
             "二者回答的问题不同，数值可以不同，甚至方向相反。"
           : "Pearson compares contacts (a contact's QA score with its own survey), Spearman "
             "compares agents (their ranks by QA score and by CSAT): they answer different "
             "questions and can differ, even in sign.");
    if (q->pearson.too_few && o < len)
        o +=
            (size_t)snprintf(out + o, len - o,
                             zh ? "皮尔逊系数仅基于 %zu 通通话（少于 10），仅供参考。"
                                : " Pearson rests on %zu contacts, fewer than 10: indicative only.",
                             q->pearson.n);
    if (q->spearman.too_few && o < len)
        snprintf(out + o, len - o,
                 zh ? "斯皮尔曼系数仅基于 %zu 名坐席（少于 10），仅供参考。"
                    : " Spearman rests on %zu agents, fewer than 10: indicative only.",
                 q->spearman.n);
}

/* QA-CSAT: the agreement facts (row 0). */
int rmodel_table_qa_csat(rmodel_ctx_t *x)
{
    const qa_metrics_result_t *q = &x->qa->qa;
    char reading[640];
    qa_csat_reading(x, reading, sizeof reading);
    const rmodel_cell_t cells[] = {
        RM_NUM("pearson_r", q->pearson.r),
        RM_NUM("pearson_n", q->pearson.n),
        /* METRICS.md: an r from fewer than 10 pairs is marked, Spearman's too */
        RM_NUM("too_few_pairs", q->pearson.too_few ? 1 : 0),
        RM_NUM("spearman_rho", q->spearman.r),
        RM_NUM("spearman_n", q->spearman.n),
        RM_NUM("spearman_too_few", q->spearman.too_few ? 1 : 0),
        RM_TEXT("reading", reading),
    };
    return rmodel_row(xl_model_table(x->m, "qa_csat"), RM_CELLS(cells));
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

/* The QA cells of an agent row; NAN / 0 without a QA row (NAN throughout
 * for the unassigned contacts, which no agent could be evaluated on). */
static int set_agent_qa(xl_table_t *t, size_t row, const qa_metrics_row_t *a, bool unassigned)
{
    bool has = a != NULL && a->evaluations > 0;
    double zero = unassigned ? NAN : 0;
    const rmodel_cell_t cells[] = {
        RM_NUM("evaluations", a ? (double)a->evaluations : zero),
        RM_NUM("evaluated_contacts", a ? (double)a->evaluated_contacts : zero),
        RM_NUM("qa_score", a ? a->qa_score : NAN),
        RM_NUM("qa_sd", a ? a->sd : NAN),
        RM_NUM("qa_ci_low", a ? a->ci_low : NAN),
        RM_NUM("qa_ci_high", a ? a->ci_high : NAN),
        RM_NUM("qa_half_width", a ? a->precision.half_width : NAN),
        /* No evaluation: nothing to flag (the flag is about a sample that exists). */
        RM_NUM("qa_too_small", has ? (a->precision.flagged ? 1 : 0) : NAN),
        RM_NUM("qa_needed_n",
               has && a->precision.needed_n > 0 ? (double)a->precision.needed_n : NAN),
        RM_NUM("qa_pass_rate", a ? a->qa_pass_rate : NAN),
        RM_NUM("fatal_rate", a ? a->fatal_rate : NAN),
        RM_NUM("qa_coverage", a ? a->qa_coverage : NAN),
    };
    return rmodel_cells(t, row, RM_CELLS(cells));
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
    const rmodel_cell_t cells[] = {
        RM_NUM("answered_within", r->answered_within),
        RM_NUM("abandon_rate", r->abandon_rate),
        RM_NUM("avg_abandon_s", r->avg_abandon_s),
        RM_NUM("transfer_rate", r->transfer_rate),
        RM_NUM("wait_p90_s", r->wait_p90_s),
        RM_NUM("max_wait_s", r->max_wait_s),
        RM_NUM("csat_mean", r->csat_mean),
    };
    int rc = rmodel_queue_cells(x, t, row, r);
    if (rc == ST_OK)
        rc = rmodel_cells(t, row, RM_CELLS(cells));
    if (rc == ST_OK)
        rc = rmodel_fcr_csat_cells(t, row, r);
    return rc;
}

/* One Agents row: the agent's queue metrics (r, or none) and QA (a, or none). */
static int agent_row(rmodel_ctx_t *x, xl_table_t *t, const char *agent, const sla_row_t *r,
                     const qa_metrics_row_t *a)
{
    size_t row;
    int rc = xl_table_add_row(t, &row);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "agent", agent);
    if (rc == ST_OK)
        rc = set_agent_queue(x, t, row, r);
    if (rc == ST_OK)
        rc = set_agent_qa(t, row, a, false);
    if (rc == ST_OK) /* empty cells for an agent (or the unassigned row) without a score */
        rc = rmodel_dims_cells(x, t, row, QA_DIMS_AGENT, a ? agent : NULL);
    return rc;
}

/*
 * The row of the contacts no agent handled (abandoned or overflowed before
 * an answer): labelled as such, with its counts (so the column totals are
 * the month's), the service level's hidden parts (so the total's ratio is
 * the month's) and nothing an agent would be judged on: no service level,
 * ASA, AHT or QA of its own, not "an agent at 0 %".
 */
static int unassigned_row(rmodel_ctx_t *x, xl_table_t *t, const sla_row_t *r)
{
    static const char *const label[2][XL_LANG_COUNT] = {
        {"unassigned (abandoned in queue)", "未分配（排队中放弃）"},
        {"unassigned (abandoned or overflowed in queue)", "未分配（排队中放弃或溢出）"}};
    xl_lang_t l = xl_model_lang(x->m);
    int rc = agent_row(x, t, label[r->overflow > 0][l], r, NULL);
    size_t row = xl_table_row_count(t) - 1;
    const rmodel_cell_t blank[] = {
        RM_NUM("service_level", NAN), RM_NUM("asa_s", NAN),         RM_NUM("aht_s", NAN),
        RM_NUM("abandon_rate", NAN),  RM_NUM("transfer_rate", NAN), RM_NUM("fcr", NAN),
        RM_NUM("csat", NAN),          RM_NUM("csat_mean", NAN),
    };
    if (rc == ST_OK)
        rc = rmodel_cells(t, row, RM_CELLS(blank));
    return rc == ST_OK ? set_agent_qa(t, row, NULL, true) : rc;
}

/* Agents: sla by agent joined with the QA rows; agents with evaluations but
 * no contact in the month next; last, the contacts no agent handled
 * (abandons, overflows) as one labelled row, so the counts add up to the
 * month. */
int rmodel_table_agents(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "agents");
    if (!t)
        return ST_ERR_INTERNAL;
    const sla_result_t *ag = x->res[G_AGENT];
    const sla_row_t *none = NULL;
    int rc = rmodel_dims_columns(x, t);
    for (size_t i = 0; rc == ST_OK && i < sla_result_count(ag); i++) {
        const sla_row_t *r = sla_result_row(ag, i);
        if (!r->key[0])
            none = r;
        else
            rc = agent_row(x, t, r->key, r, qa_agent_find(x, r->key));
    }
    for (size_t i = 0; rc == ST_OK && i < x->qa->qa.n_agents; i++) {
        const qa_metrics_row_t *a = &x->qa->qa.agents[i];
        bool seen = false;
        for (size_t k = 0; !seen && k < sla_result_count(ag); k++)
            seen = strcmp(sla_result_row(ag, k)->key, a->agent_id) == 0;
        if (!seen)
            rc = agent_row(x, t, a->agent_id, NULL, a);
    }
    if (rc == ST_OK && none)
        rc = unassigned_row(x, t, none);
    /* The 90th percentile of every contact's wait: not a formula over the rows. */
    if (rc == ST_OK)
        rc = xl_table_set_given_total(t, "wait_p90_s", sla_result_total(ag)->wait_p90_s);
    return rc;
}

/* Whether an inspector is the reference of one of the month's calibration sessions. */
static bool is_reference(const rmodel_ctx_t *x, const char *inspector_id)
{
    for (size_t s = 0; s < x->qa->n_sessions; s++) {
        const inspector_session_t *se = &x->qa->sessions[s];
        for (size_t i = 0; i < se->n; i++)
            if (se->participants[i].is_reference &&
                strcmp(se->participants[i].inspector_id, inspector_id) == 0)
                return true;
    }
    return false;
}

/* Inspectors: every inspector metric and the composite.  Someone who is
 * only a calibration reference (not on the month's list, no evaluation) is
 * shown as that, with no metric, not as an inspector who did nothing. */
int rmodel_table_inspectors(rmodel_ctx_t *x)
{
    static const char *const ref_only[XL_LANG_COUNT] = {
        "calibration reference only (not on the month's list)", "仅为校准基准（不在本月名单中）"};
    xl_table_t *t = xl_model_table(x->m, "inspectors");
    if (!t)
        return ST_ERR_INTERNAL;
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < x->qa->insp.n; i++) {
        const inspector_row_t *r = &x->qa->insp.rows[i];
        bool reference = !r->listed && r->evaluations == 0 && is_reference(x, r->inspector_id);
        const char *name = reference ? ref_only[xl_model_lang(x->m)]
                                     : qa_run_inspector_name(x->qa, r->inspector_id);
        inspector_value_t values[INSPECTOR_VALUES];
        size_t n_values = inspector_row_values(r, values);
        const rmodel_cell_t cells[] = {RM_TEXT("inspector", r->inspector_id),
                                       RM_TEXT("name", name)};
        size_t row;
        if ((rc = xl_table_add_row(t, &row)) != ST_OK)
            break;
        rc = rmodel_cells(t, row, RM_CELLS(cells));
        for (size_t k = 0; rc == ST_OK && k < n_values; k++) {
            bool keep = !reference || strcmp(values[k].name, "listed") == 0;
            rc = xl_table_set_number(t, row, values[k].name, keep ? values[k].value : NAN);
        }
    }
    return rc;
}

/* Calibration: one row per participant, compared with its reference
 * (qa_rec_calibration_reference(): the reference inspector, else the mean
 * of the others); the reference itself and a lone participant have none. */
int rmodel_table_calibration(rmodel_ctx_t *x)
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
            const rmodel_cell_t cells[] = {
                RM_TEXT("session", se->session_id),
                RM_TEXT("call_id", x->qa->part_call[base + i]),
                RM_TEXT("inspector", p->inspector_id),
                RM_NUM("is_reference", p->is_reference ? 1 : 0),
                RM_NUM("evaluated_at", rmodel_serial_in(x->tz, x->qa->part_us[base + i])),
                RM_NUM("participants", se->n),
                RM_NUM("score", p->score),
                RM_NUM("reference", ref),
                RM_NUM("deviation", dev),
                RM_NUM("abs_deviation", fabs(dev)),
                RM_NUM("within", isnan(dev) ? NAN : (fabs(dev) <= tol ? 1 : 0)),
            };
            rc = rmodel_row(t, RM_CELLS(cells));
        }
    }
    return rc;
}

#define APPEAL_TEXT 257 /* VARCHAR(64) of utf8mb4, and the NUL */

/* One appeal as the query gives it (scores as the server's text of a DOUBLE). */
typedef struct appeal_rec {
    char evaluation_id[APPEAL_TEXT], agent_id[APPEAL_TEXT], inspector_id[APPEAL_TEXT];
    char outcome[16], score[64], new_score[64];
    unsigned long len[6];
    char null_new_score;
    int64_t evaluated_us, appealed_us, decided_us;
} appeal_rec_t;

/* rmodel_stream_def_t row: one appeal into row 0 of t, times in the zone arg. */
static int appeal_row(void *arg, xl_table_t *t, const void *rec, char *err, size_t errlen)
{
    const tz_t *tz = arg;
    const appeal_rec_t *r = rec;
    bool overturned = strcmp(r->outcome, "overturned") == 0;
    double original = db_text_double(r->score);
    double fresh = overturned && !r->null_new_score ? db_text_double(r->new_score) : NAN;
    const rmodel_cell_t cells[] = {
        RM_TEXT("evaluation", r->evaluation_id),
        RM_TEXT("agent", r->agent_id),
        RM_TEXT("inspector", r->inspector_id),
        RM_NUM("evaluated_at", rmodel_serial_in(tz, r->evaluated_us)),
        RM_NUM("appealed_at", rmodel_serial_in(tz, r->appealed_us)),
        RM_NUM("decided_at", rmodel_serial_in(tz, r->decided_us)),
        RM_TEXT("outcome", r->outcome),
        RM_NUM("original_score", original),
        RM_NUM("new_score", fresh),
        RM_NUM("final_score", overturned ? fresh : original),
        RM_NUM("change", overturned ? fresh - original : 0),
    };
    int rc = rmodel_cells(t, 0, RM_CELLS(cells));
    if (rc != ST_OK)
        st_errf(err, errlen, "the appeal of evaluation '%s' cannot be shown", r->evaluation_id);
    return rc;
}

/* rmodel_stream_def_t release: the zone. */
static void appeal_release(void *arg)
{
    tz_free(arg);
}

/*
 * Appeals: the appeals of the month's evaluations (by evaluated_at, as
 * every QA metric of the month), in evaluation order, read as a stream while the sheet is written
 * (a listing that grows with the month, like Evidence; so it is not among the values kept for the
 * next version's Changes sheet either).
 */
int rmodel_table_appeals(rmodel_ctx_t *x, char *err, size_t errlen)
{
#define AF(f) offsetof(appeal_rec_t, f)
#define AS(f, size, i, null)                                                                       \
    {                                                                                              \
        DBO_STR, AF(f), size, null, (long)(AF(len) + (i) * sizeof(unsigned long))                  \
    }
    static const db_out_col_t cols[] = {
        AS(evaluation_id, APPEAL_TEXT, 0, -1),
        AS(agent_id, APPEAL_TEXT, 1, -1),
        AS(inspector_id, APPEAL_TEXT, 2, -1),
        {DBO_I64, AF(evaluated_us), 0, -1, -1},
        {DBO_I64, AF(appealed_us), 0, -1, -1},
        {DBO_I64, AF(decided_us), 0, -1, -1},
        AS(outcome, sizeof((appeal_rec_t *)0)->outcome, 3, -1),
        AS(score, sizeof((appeal_rec_t *)0)->score, 4, -1),
        AS(new_score, sizeof((appeal_rec_t *)0)->new_score, 5, (long)AF(null_new_score)),
    };
#undef AS
#undef AF
    tz_t *tz = NULL;
    int rc = tz_load(x->info.timezone, &tz, err, errlen);
    if (rc != ST_OK)
        return rc;
    rmodel_stream_def_t def = {
        .what = "the month's appeals",
        .sql = "SELECT e.evaluation_id, e.agent_id, e.inspector_id, e.evaluated_us, "
               "a.appealed_us, a.decided_us, a.outcome, e.score, a.new_score "
               "FROM appeals a JOIN evaluations e ON e.tenant_id = a.tenant_id "
               "AND e.evaluation_id = a.evaluation_id WHERE a.tenant_id = ? "
               "AND e.evaluated_us >= ? AND e.evaluated_us < ? ORDER BY e.evaluation_id",
        .params = {db_u64(x->req->tenant->id), db_i64(x->month->start_utc * 1000000),
                   db_i64(x->month->end_utc * 1000000)},
        .n_params = 3,
        .cols = cols,
        .n_cols = sizeof cols / sizeof cols[0],
        .rec_size = sizeof(appeal_rec_t),
        .row = appeal_row,
        .release = appeal_release,
        .arg = tz};
    return rmodel_stream(x, "appeals", &def);
}
