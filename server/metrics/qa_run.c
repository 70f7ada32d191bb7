/* qa_run.c - QA and inspector metrics of a month from the database (see qa_run.h). */
#include "qa_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qa_form.h"
#include "qa_score.h"
#include "status.h"
#include "xmem.h"

/* The rows and arrays the results borrow from. */
struct qa_run_store {
    db_res_t *eval_res, *cal_res, *insp_res, *item_res;
    qa_metrics_eval_t *evals;
    qa_metrics_eval_t *reason_evals; /* the evaluations of a known contact, agent_id = reason */
    const char **eval_reason;        /* each evaluation's contact reason (NULL: contact unknown) */
    qa_metrics_agent_t *agents;
    bool qa_done, insp_done, reason_done;
    db_res_t *dims_res;
    /* item_agreement: the sessions' forms and each participant's results */
    qa_form_t **forms;
    size_t n_forms;
    qa_result_t **results;               /* per participant row, NULL when none */
    const qa_result_t **session_results; /* per participant row, what sessions point into */
    const char **part_form;              /* each participant row's form_id */
    int *part_form_version;
};

/* Reads the month's evaluations (final scores from the qa_evaluations_final
 * view, with the contact's survey); they borrow st->eval_res. */
static int evals_load(db_t *db, const qa_run_req_t *q, struct qa_run_store *st, size_t *n)
{
    db_val_t v[] = {db_u64(q->tenant->id), db_i64(q->start_us), db_i64(q->end_us)};
    int rc = db_exec(db,
                     "SELECT f.evaluation_id, f.call_id, f.agent_id, f.inspector_id, "
                     "f.evaluated_us, f.original_score, f.final_score, f.fatal, f.defect, "
                     "f.appeal_outcome, f.contact_known, f.contact_ended_us, c.csat, c.reason "
                     "FROM qa_evaluations_final f LEFT JOIN contacts c "
                     "ON c.tenant_id = f.tenant_id AND c.call_id = f.call_id "
                     "WHERE f.tenant_id = ? AND f.evaluated_us >= ? AND f.evaluated_us < ? "
                     "ORDER BY f.evaluation_id",
                     v, 3, &st->eval_res);
    if (rc != ST_OK)
        return rc;
    *n = db_res_count(st->eval_res);
    st->evals = xcalloc(*n + 1, sizeof *st->evals);
    st->eval_reason = xcalloc(*n + 1, sizeof *st->eval_reason);
    for (size_t i = 0; db_res_next(st->eval_res); i++) {
        qa_metrics_eval_t *e = &st->evals[i];
        const db_res_t *r = st->eval_res;
        const char *appeal = db_res_str(r, 9, NULL);
        e->evaluation_id = db_res_str(r, 0, NULL);
        e->call_id = db_res_str(r, 1, NULL);
        e->agent_id = db_res_str(r, 2, NULL);
        e->inspector_id = db_res_str(r, 3, NULL);
        e->evaluated_us = db_res_i64(r, 4);
        e->score = db_res_double(r, 5);
        e->fatal = db_res_i64(r, 7) != 0;
        e->defect = db_res_i64(r, 8) != 0;
        e->appeal = !appeal                             ? QA_METRICS_APPEAL_NONE
                    : strcmp(appeal, "overturned") == 0 ? QA_METRICS_APPEAL_OVERTURNED
                                                        : QA_METRICS_APPEAL_UPHELD;
        e->new_score = db_res_double(r, 6);
        e->contact_known = db_res_i64(r, 10) != 0;
        e->ended_us = e->contact_known ? db_res_i64(r, 11) : 0;
        e->has_csat = !db_res_is_null(r, 12) && db_res_i64(r, 12) > 0;
        e->csat = e->has_csat ? (double)db_res_i64(r, 12) : NAN;
        st->eval_reason[i] = e->contact_known ? db_res_str(r, 13, NULL) : NULL;
    }
    return ST_OK;
}

/* The QA metrics by case type: the evaluations of a known contact, grouped
 * by the contact's reason through qa_metrics' agent grouping. */
static int reason_compute(const qa_metrics_input_t *all, qa_run_t *r, char *err, size_t errlen)
{
    struct qa_run_store *st = r->store;
    st->reason_evals = xcalloc(r->n_evals + 1, sizeof *st->reason_evals);
    size_t n = 0;
    for (size_t i = 0; i < r->n_evals; i++) {
        if (!st->eval_reason[i])
            continue;
        st->reason_evals[n] = st->evals[i];
        st->reason_evals[n++].agent_id = st->eval_reason[i];
    }
    qa_metrics_input_t in = *all;
    in.evals = st->reason_evals;
    in.n_evals = n;
    in.agents = NULL;
    in.n_agents = 0;
    int rc = qa_metrics_compute(&in, &r->by_reason, err, errlen);
    st->reason_done = rc == ST_OK;
    return rc;
}

/* The month's dimension scores by month, agent, inspector and contact
 * reason, from the evaluations' stored dimension points. */
static int dims_compute(db_t *db, const qa_run_req_t *q, qa_run_t *r)
{
    struct qa_run_store *st = r->store;
    db_val_t v[] = {db_u64(q->tenant->id), db_i64(q->start_us), db_i64(q->end_us)};
    int rc = db_exec(db,
                     "SELECT e.agent_id, e.inspector_id, c.reason, d.dimension, d.earned, "
                     "d.possible FROM evaluations e JOIN evaluation_dimensions d ON "
                     "d.tenant_id = e.tenant_id AND d.evaluation_id = e.evaluation_id "
                     "LEFT JOIN contacts c ON c.tenant_id = e.tenant_id AND c.call_id = e.call_id "
                     "WHERE e.tenant_id = ? AND e.evaluated_us >= ? AND e.evaluated_us < ?",
                     v, 3, &st->dims_res);
    if (rc != ST_OK)
        return rc;
    size_t n = db_res_count(st->dims_res), m[4] = {0};
    qa_dims_obs_t *obs[4];
    for (int k = 0; k < 4; k++)
        obs[k] = xcalloc(n + 1, sizeof *obs[k]);
    while (db_res_next(st->dims_res)) {
        const db_res_t *res = st->dims_res;
        double possible = db_res_double(res, 5);
        if (!(possible > 0))
            continue;
        double score = 100.0 * db_res_double(res, 4) / possible;
        const char *dim = db_res_str(res, 3, NULL);
        obs[QA_DIMS_MONTH][m[QA_DIMS_MONTH]++] = (qa_dims_obs_t){"", dim, score};
        obs[QA_DIMS_AGENT][m[QA_DIMS_AGENT]++] =
            (qa_dims_obs_t){db_res_str(res, 0, NULL), dim, score};
        obs[QA_DIMS_INSPECTOR][m[QA_DIMS_INSPECTOR]++] =
            (qa_dims_obs_t){db_res_str(res, 1, NULL), dim, score};
        if (!db_res_is_null(res, 2))
            obs[QA_DIMS_REASON][m[QA_DIMS_REASON]++] =
                (qa_dims_obs_t){db_res_str(res, 2, NULL), dim, score};
    }
    for (int k = 0; k < 4; k++) {
        if (rc == ST_OK)
            rc = qa_dims_aggregate(obs[k], m[k], &r->dims[k], &r->n_dims[k]);
        free(obs[k]);
    }
    return rc;
}

/* qa_metrics over the month: the evaluations, and each agent's answered
 * contacts and surveys from the queue metrics by agent. */
static int qa_compute(db_t *db, const qa_run_req_t *q, qa_run_t *r, char *err, size_t errlen)
{
    struct qa_run_store *st = r->store;
    int rc = evals_load(db, q, st, &r->n_evals);
    if (rc != ST_OK) {
        snprintf(err, errlen, "reading the evaluations failed: %s", db_error(db));
        return rc;
    }
    const sla_result_t *ag = q->by_agent;
    size_t n_rows = ag ? sla_result_count(ag) : 0, n_agents = 0;
    st->agents = xcalloc(n_rows + 1, sizeof *st->agents);
    for (size_t i = 0; i < n_rows; i++) {
        const sla_row_t *row = sla_result_row(ag, i);
        if (row->key[0] == '\0')
            continue; /* contacts no agent handled */
        qa_metrics_agent_t *a = &st->agents[n_agents++];
        a->agent_id = row->key;
        a->answered = (size_t)row->answered;
        a->surveys = (size_t)row->csat_n;
        a->csat = row->csat;
    }
    const contract_t *c = q->contract;
    qa_metrics_input_t in = {
        .evals = st->evals,
        .n_evals = r->n_evals,
        .agents = st->agents,
        .n_agents = n_agents,
        .tenant_answered = (size_t)q->tenant_answered,
        .params = {.pass_mark = c ? contract_qa_pass_mark(c) : 85.0,
                   .precision_pts = c ? contract_qa_precision_pts(c) : 5.0,
                   .start_us = q->start_us,
                   .end_us = q->end_us},
    };
    rc = qa_metrics_compute(&in, &r->qa, err, errlen);
    st->qa_done = rc == ST_OK;
    if (rc == ST_OK)
        rc = reason_compute(&in, r, err, errlen);
    if (rc == ST_OK && (rc = dims_compute(db, q, r)) != ST_OK)
        snprintf(err, errlen, "reading the evaluations' dimension scores failed: %s", db_error(db));
    return rc;
}

/* The calibration sessions whose instant (earliest evaluated_at of their
 * rows) is in the month: the SQL both the sessions and their items use. */
#define SESSIONS_OF_MONTH                                                                          \
    "(SELECT session_id, MIN(evaluated_us) AS t FROM calibrations WHERE tenant_id = ? "            \
    "GROUP BY session_id HAVING t >= ? AND t < ?) s "

/* Reads the month's calibration sessions into r->parts / r->sessions
 * (borrowing the strings of the store's cal_res). */
static int cal_load(db_t *db, const qa_run_req_t *q, qa_run_t *r)
{
    struct qa_run_store *st = r->store;
    uint64_t tid = q->tenant->id;
    db_val_t v[] = {db_u64(tid), db_i64(q->start_us), db_i64(q->end_us), db_u64(tid)};
    int rc = db_exec(db,
                     "SELECT c.session_id, c.inspector_id, c.is_reference, c.score, c.call_id, "
                     "c.evaluated_us, s.t, c.form_id, c.form_version FROM calibrations c "
                     "JOIN " SESSIONS_OF_MONTH "ON s.session_id = c.session_id "
                     "WHERE c.tenant_id = ? ORDER BY s.t, c.session_id, c.inspector_id",
                     v, 4, &st->cal_res);
    if (rc != ST_OK)
        return rc;
    size_t n = db_res_count(st->cal_res);
    r->parts = xcalloc(n + 1, sizeof *r->parts);
    r->part_call = xcalloc(n + 1, sizeof *r->part_call);
    r->part_us = xcalloc(n + 1, sizeof *r->part_us);
    r->sessions = xcalloc(n + 1, sizeof *r->sessions);
    st->part_form = xcalloc(n + 1, sizeof *st->part_form);
    st->part_form_version = xcalloc(n + 1, sizeof *st->part_form_version);
    for (size_t i = 0; db_res_next(st->cal_res); i++) {
        const db_res_t *res = st->cal_res;
        const char *sid = db_res_str(res, 0, NULL);
        inspector_session_t *s = r->n_sessions ? &r->sessions[r->n_sessions - 1] : NULL;
        if (!s || strcmp(s->session_id, sid) != 0) {
            s = &r->sessions[r->n_sessions++];
            s->session_id = sid;
            s->evaluated_us = db_res_i64(res, 6);
            s->participants = &r->parts[i];
        }
        s->n++;
        r->parts[i].inspector_id = db_res_str(res, 1, NULL);
        r->parts[i].is_reference = db_res_i64(res, 2) != 0;
        r->parts[i].score = db_res_double(res, 3);
        r->part_call[i] = db_res_str(res, 4, NULL);
        r->part_us[i] = db_res_i64(res, 5);
        st->part_form[i] = db_res_str(res, 7, NULL);
        st->part_form_version[i] = (int)db_res_i64(res, 8);
    }
    return ST_OK;
}

/* The form (form_id, version), loaded and parsed once; NULL when it cannot
 * be (the session then has no item agreement). */
static const qa_form_t *form_get(db_t *db, const qa_run_req_t *q, struct qa_run_store *st,
                                 const char *form_id, int version)
{
    for (size_t i = 0; i < st->n_forms; i++)
        if (st->forms[i] && strcmp(qa_form_id(st->forms[i]), form_id) == 0 &&
            qa_form_version(st->forms[i]) == version)
            return st->forms[i];
    db_res_t *res = NULL;
    qa_form_t *form = NULL;
    char err[256];
    db_val_t v[] = {db_u64(q->tenant->id), db_str(form_id), db_i64(version)};
    if (db_exec(db, "SELECT body FROM qa_forms WHERE tenant_id = ? AND form_id = ? AND version = ?",
                v, 3, &res) == ST_OK &&
        db_res_next(res)) {
        size_t len = 0;
        const char *body = db_res_str(res, 0, &len);
        if (body && qa_form_parse(body, len, &form, err, sizeof err) != ST_OK)
            form = NULL;
    }
    db_res_free(res);
    if (!form)
        return NULL;
    st->forms = xrealloc(st->forms, (st->n_forms + 1) * sizeof *st->forms);
    st->forms[st->n_forms++] = form;
    return form;
}

/* The position of item_id in form, or -1. */
static long item_index(const qa_form_t *form, const char *item_id)
{
    for (size_t i = 0; i < qa_form_item_count(form); i++)
        if (strcmp(qa_form_item(form, i)->id, item_id) == 0)
            return (long)i;
    return -1;
}

/*
 * The item results of the month's sessions, for item_agreement: each
 * session gets its form and, per participant, the results in form order
 * (as stored by ingest: "pass", "fail", "na" or points).  Items rows come
 * in the participants' order, so one pass pairs them.
 */
static int cal_items_load(db_t *db, const qa_run_req_t *q, qa_run_t *r)
{
    struct qa_run_store *st = r->store;
    size_t n_parts = r->n_sessions
                         ? (size_t)(r->sessions[r->n_sessions - 1].participants - r->parts) +
                               r->sessions[r->n_sessions - 1].n
                         : 0;
    st->results = xcalloc(n_parts + 1, sizeof *st->results);
    st->session_results = xcalloc(n_parts + 1, sizeof *st->session_results);
    for (size_t s = 0; s < r->n_sessions; s++) {
        inspector_session_t *se = &r->sessions[s];
        size_t base = (size_t)(se->participants - r->parts);
        se->form = form_get(db, q, st, st->part_form[base], st->part_form_version[base]);
        se->results = &st->session_results[base];
    }
    uint64_t tid = q->tenant->id;
    db_val_t v[] = {db_u64(tid), db_i64(q->start_us), db_i64(q->end_us), db_u64(tid)};
    int rc = db_exec(db,
                     "SELECT i.session_id, i.inspector_id, i.item_id, i.result FROM "
                     "calibration_items i JOIN " SESSIONS_OF_MONTH "ON s.session_id = i.session_id "
                     "WHERE i.tenant_id = ? ORDER BY s.t, i.session_id, i.inspector_id",
                     v, 4, &st->item_res);
    if (rc != ST_OK)
        return rc;
    size_t p = 0, s = 0;
    while (db_res_next(st->item_res)) {
        const char *sid = db_res_str(st->item_res, 0, NULL);
        const char *iid = db_res_str(st->item_res, 1, NULL);
        /* Advance to the participant row of this item (both in the same order). */
        while (p < n_parts && (strcmp(r->sessions[s].session_id, sid) != 0 ||
                               strcmp(r->parts[p].inspector_id, iid) != 0)) {
            p++;
            if (s + 1 < r->n_sessions && r->sessions[s + 1].participants == &r->parts[p])
                s++;
        }
        if (p == n_parts)
            break;
        const qa_form_t *form = r->sessions[s].form;
        long k = form ? item_index(form, db_res_str(st->item_res, 2, NULL)) : -1;
        if (k < 0)
            continue;
        if (!st->results[p])
            st->results[p] = xcalloc(qa_form_item_count(form), sizeof *st->results[p]);
        char err[128];
        if (qa_score_result_parse(db_res_str(st->item_res, 3, NULL), qa_form_item(form, (size_t)k),
                                  &st->results[p][k], err, sizeof err) != ST_OK)
            st->results[p][k].kind = QA_RESULT_NONE;
        st->session_results[p] = st->results[p];
    }
    return ST_OK;
}

/* Reads the inspector list in force for the month (the greatest
 * effective_month <= the month) into r->entries. */
static int insp_list_load(db_t *db, const qa_run_req_t *q, qa_run_t *r)
{
    struct qa_run_store *st = r->store;
    uint64_t tid = q->tenant->id;
    char month[8];
    snprintf(month, sizeof month, "%04d-%02d", q->year % 10000, q->month % 100);
    db_val_t v[] = {db_u64(tid), db_u64(tid), db_str(month)};
    int rc = db_exec(db,
                     "SELECT inspector_id, name, monthly_quota FROM inspectors WHERE tenant_id = ? "
                     "AND effective_month = (SELECT MAX(effective_month) FROM inspectors "
                     "WHERE tenant_id = ? AND effective_month <= ?) ORDER BY inspector_id",
                     v, 3, &st->insp_res);
    if (rc != ST_OK)
        return rc;
    size_t n = db_res_count(st->insp_res);
    r->entries = xcalloc(n + 1, sizeof *r->entries);
    r->entry_names = xcalloc(n + 1, sizeof *r->entry_names);
    for (; db_res_next(st->insp_res); r->n_entries++) {
        inspector_entry_t *e = &r->entries[r->n_entries];
        e->inspector_id = db_res_str(st->insp_res, 0, NULL);
        e->has_quota = true;
        e->monthly_quota = (double)db_res_i64(st->insp_res, 2);
        r->entry_names[r->n_entries] = db_res_str(st->insp_res, 1, NULL);
    }
    return ST_OK;
}

/* inspector_compute over the month's evaluations, sessions and list. */
static int insp_compute(db_t *db, const qa_run_req_t *q, qa_run_t *r, char *err, size_t errlen)
{
    int rc = cal_load(db, q, r);
    if (rc == ST_OK)
        rc = cal_items_load(db, q, r);
    if (rc == ST_OK)
        rc = insp_list_load(db, q, r);
    if (rc != ST_OK) {
        snprintf(err, errlen, "reading the calibrations or inspectors failed: %s", db_error(db));
        return rc;
    }
    const contract_t *c = q->contract;
    inspector_input_t in = {
        .evals = r->store->evals,
        .n_evals = r->n_evals,
        .sessions = r->sessions,
        .n_sessions = r->n_sessions,
        .inspectors = r->entries,
        .n_inspectors = r->n_entries,
        .params = {.lag_target_h = c ? contract_qa_lag_target_h(c) : 72.0,
                   .tolerance_pts = c ? contract_calibration_tolerance_pts(c) : 5.0,
                   .weights = {c ? contract_inspector_weight(c, CONTRACT_W_QUOTA) : 1.0,
                               c ? contract_inspector_weight(c, CONTRACT_W_TIMELINESS) : 1.0,
                               c ? contract_inspector_weight(c, CONTRACT_W_CALIBRATION) : 1.0,
                               c ? contract_inspector_weight(c, CONTRACT_W_ACCURACY) : 1.0},
                   .start_us = q->start_us,
                   .end_us = q->end_us},
    };
    rc = inspector_compute(&in, &r->insp, err, errlen);
    r->store->insp_done = rc == ST_OK;
    return rc;
}

int qa_run_compute(db_t *db, const qa_run_req_t *req, qa_run_t **out, char *err, size_t errlen)
{
    qa_run_t *r = xcalloc(1, sizeof *r);
    r->store = xcalloc(1, sizeof *r->store);
    *out = NULL;
    int rc = qa_compute(db, req, r, err, errlen);
    if (rc == ST_OK && req->inspectors)
        rc = insp_compute(db, req, r, err, errlen);
    if (rc != ST_OK) {
        qa_run_free(r);
        return rc;
    }
    *out = r;
    return ST_OK;
}

const char *qa_run_inspector_name(const qa_run_t *r, const char *inspector_id)
{
    for (size_t k = 0; k < r->n_entries; k++)
        if (strcmp(r->entries[k].inspector_id, inspector_id) == 0)
            return r->entry_names[k] ? r->entry_names[k] : "";
    return "";
}

void qa_run_free(qa_run_t *r)
{
    if (!r)
        return;
    struct qa_run_store *st = r->store;
    if (st->insp_done)
        inspector_result_clear(&r->insp);
    if (st->qa_done)
        qa_metrics_result_clear(&r->qa);
    if (st->reason_done)
        qa_metrics_result_clear(&r->by_reason);
    for (int k = 0; k < 4; k++)
        free(r->dims[k]);
    free(st->reason_evals);
    free(st->eval_reason);
    db_res_free(st->dims_res);
    size_t n_parts = r->n_sessions
                         ? (size_t)(r->sessions[r->n_sessions - 1].participants - r->parts) +
                               r->sessions[r->n_sessions - 1].n
                         : 0;
    for (size_t i = 0; st->results && i < n_parts; i++)
        free(st->results[i]);
    free(st->results);
    free(st->session_results);
    for (size_t i = 0; i < st->n_forms; i++)
        qa_form_free(st->forms[i]);
    free(st->forms);
    free(st->part_form);
    free(st->part_form_version);
    free(r->entry_names);
    free(r->entries);
    free(r->sessions);
    free(r->part_us);
    free(r->part_call);
    free(r->parts);
    free(st->agents);
    free(st->evals);
    db_res_free(st->item_res);
    db_res_free(st->insp_res);
    db_res_free(st->cal_res);
    db_res_free(st->eval_res);
    free(st);
    free(r);
}
