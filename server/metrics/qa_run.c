/* qa_run.c - QA and inspector metrics of a month from the database (see qa_run.h). */
#include "qa_run.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qa_form.h"
#include "qa_score.h"
#include "status.h"
#include "xmem.h"

/* The rows and arrays the results borrow from. */
struct qa_run_store {
    db_res_t *cal_res, *insp_res, *item_res;
    bool qa_done, insp_done, reason_done;
    qa_dims_acc_t *dims[4]; /* the dimension cells' strings */
    /* item_agreement: the sessions' forms and each participant's results */
    qa_form_t **forms;
    size_t n_forms;
    qa_result_t **results;               /* per participant row, NULL when none */
    const qa_result_t **session_results; /* per participant row, what sessions point into */
    const char **part_form;              /* each participant row's form_id */
    int *part_form_version;
};

/* An id column's room: VARCHAR(64) of utf8mb4, NUL included. */
#define ID_CAP 257
/* A DOUBLE fetched as text (the client library's conversion, as db_exec
 * reads it, so the numbers are the ones db_res_double() gives). */
#define NUM_CAP 64

/* One evaluation as the cursors fetch it (db_query_rows binds its fields). */
typedef struct eval_row {
    char evaluation_id[ID_CAP], call_id[ID_CAP], agent_id[ID_CAP], inspector_id[ID_CAP];
    char original[NUM_CAP], final[NUM_CAP], appeal[16], reason[ID_CAP];
    int64_t evaluated_us, fatal, defect, contact_known, ended_us, csat;
    unsigned long len[8];
    char null_appeal, null_ended, null_csat, null_reason;
} eval_row_t;

/*
 * The month's evaluations with their appeals: the FROM of both passes
 * over them.  The final score is the qa_evaluations_final view's (an
 * overturned appeal's new_score, else the score), inlined so that one
 * contacts join gives both the view's contact columns and the survey and
 * reason (through the view the contact was joined twice).
 */
#define EVALS_FROM                                                                                 \
    "FROM evaluations e LEFT JOIN appeals a "                                                      \
    "ON a.tenant_id = e.tenant_id AND a.evaluation_id = e.evaluation_id "
#define EVALS_WHERE "WHERE e.tenant_id = ? AND e.evaluated_us >= ? AND e.evaluated_us < ? "
#define EVALS_COLS                                                                                 \
    "SELECT e.evaluation_id, e.call_id, e.agent_id, e.inspector_id, e.evaluated_us, e.score, "     \
    "CASE WHEN a.outcome = 'overturned' THEN a.new_score ELSE e.score END, e.fatal, e.defect, "    \
    "a.outcome, "

/* Pass 1: each evaluation with its contact (known, ended, survey, reason);
 * ORDER BY is appended. */
#define EVALS_SELECT                                                                               \
    EVALS_COLS                                                                                     \
    "c.call_id IS NOT NULL, c.ended_us, c.csat, c.reason " EVALS_FROM                              \
    "LEFT JOIN contacts c ON c.tenant_id = e.tenant_id AND c.call_id = e.call_id " EVALS_WHERE

/* Pass 2: the same columns without the contact (read as unknown), in
 * evaluation_id order, for the inspectors' score sums only. */
#define EVALS_SCORES_SELECT                                                                        \
    EVALS_COLS "0, NULL, NULL, NULL " EVALS_FROM EVALS_WHERE "ORDER BY e.evaluation_id"

/* The bindings of both passes' columns (EVALS_COLS and four of the
 * contact) into an eval_row_t. */
static void eval_cols(db_out_col_t cols[14])
{
#define F(field) offsetof(eval_row_t, field)
#define S(i, field, null)                                                                          \
    (db_out_col_t){DBO_STR, F(field), sizeof((eval_row_t *)0)->field, null, (long)F(len[i])}
#define I(field, null)                                                                             \
    (db_out_col_t)                                                                                 \
    {                                                                                              \
        DBO_I64, F(field), 0, null, -1                                                             \
    }
    cols[0] = S(0, evaluation_id, -1);
    cols[1] = S(1, call_id, -1);
    cols[2] = S(2, agent_id, -1);
    cols[3] = S(3, inspector_id, -1);
    cols[4] = I(evaluated_us, -1);
    cols[5] = S(4, original, -1);
    cols[6] = S(5, final, -1);
    cols[7] = I(fatal, -1);
    cols[8] = I(defect, -1);
    cols[9] = S(6, appeal, (long)F(null_appeal));
    cols[10] = I(contact_known, -1);
    cols[11] = I(ended_us, (long)F(null_ended));
    cols[12] = I(csat, (long)F(null_csat));
    cols[13] = S(7, reason, (long)F(null_reason));
#undef I
#undef S
#undef F
}

/* A fetched row as qa_metrics reads it (strings borrowed from the row);
 * *reason gets the contact's reason, NULL when the contact is unknown. */
static void eval_of_row(const eval_row_t *r, qa_metrics_eval_t *e, const char **reason)
{
    const char *appeal = r->null_appeal ? NULL : r->appeal;
    e->evaluation_id = r->evaluation_id;
    e->call_id = r->call_id;
    e->agent_id = r->agent_id;
    e->inspector_id = r->inspector_id;
    e->evaluated_us = r->evaluated_us;
    e->score = db_text_double(r->original);
    e->fatal = r->fatal != 0;
    e->defect = r->defect != 0;
    e->appeal = !appeal                             ? QA_METRICS_APPEAL_NONE
                : strcmp(appeal, "overturned") == 0 ? QA_METRICS_APPEAL_OVERTURNED
                                                    : QA_METRICS_APPEAL_UPHELD;
    e->new_score = db_text_double(r->final);
    e->contact_known = r->contact_known != 0;
    e->ended_us = e->contact_known && !r->null_ended ? r->ended_us : 0;
    e->has_csat = !r->null_csat && r->csat > 0;
    e->csat = e->has_csat ? (double)r->csat : NAN;
    *reason = e->contact_known && !r->null_reason ? r->reason : NULL;
}

/* What a pass over the evaluations feeds (insp: inspector_stream_count(),
 * insp_scores: inspector_stream_score()); fail says whether rc came from
 * a computation (err filled) rather than the database. */
typedef struct eval_pass {
    eval_row_t row;
    qa_metrics_stream_t *qa, *by_reason;
    inspector_stream_t *insp, *insp_scores;
    size_t n;
    bool fail;
    char *err;
    size_t errlen;
} eval_pass_t;

/* on_row: one evaluation into the streams. */
static int eval_take(void *ctx)
{
    eval_pass_t *p = ctx;
    qa_metrics_eval_t e;
    const char *reason = NULL;
    eval_of_row(&p->row, &e, &reason);
    p->n++;
    int rc = ST_OK;
    if (p->qa)
        rc = qa_metrics_stream_add(p->qa, &e, p->err, p->errlen);
    if (rc == ST_OK && p->by_reason && reason) {
        e.agent_id = reason; /* grouped by the contact's reason */
        rc = qa_metrics_stream_add(p->by_reason, &e, p->err, p->errlen);
    }
    if (rc == ST_OK && p->insp)
        rc = inspector_stream_count(p->insp, &e, p->err, p->errlen);
    if (rc == ST_OK && p->insp_scores)
        rc = inspector_stream_score(p->insp_scores, &e, p->err, p->errlen);
    p->fail = rc != ST_OK;
    return rc;
}

/* Runs one pass over the month's evaluations in `order` into p's streams. */
static int eval_pass(db_t *db, const qa_run_req_t *q, const char *sql, eval_pass_t *p,
                     const char *what)
{
    db_out_col_t cols[14];
    eval_cols(cols);
    db_val_t v[] = {db_u64(q->tenant->id), db_i64(q->start_us), db_i64(q->end_us)};
    int rc = db_query_rows(db, sql, v, 3, cols, 14, &p->row, eval_take, p);
    if (rc != ST_OK && !p->fail)
        snprintf(p->err, p->errlen, "reading the evaluations (%s) failed: %s", what, db_error(db));
    return rc;
}

/* One dimension score as the dimension cursor fetches it. */
typedef struct dim_row {
    char agent_id[ID_CAP], inspector_id[ID_CAP], reason[ID_CAP], dimension[ID_CAP];
    char earned[NUM_CAP], possible[NUM_CAP];
    unsigned long len[6];
    char null_reason;
    qa_dims_acc_t **accs;
} dim_row_t;

/* on_row: one evaluation's dimension points into the four groupings. */
static int dim_take(void *ctx)
{
    dim_row_t *r = ctx;
    double possible = db_text_double(r->possible);
    if (!(possible > 0))
        return ST_OK;
    double score = 100.0 * db_text_double(r->earned) / possible;
    const qa_dims_obs_t obs[4] = {{"", r->dimension, score},
                                  {r->agent_id, r->dimension, score},
                                  {r->inspector_id, r->dimension, score},
                                  {r->reason, r->dimension, score}};
    int rc = ST_OK;
    for (int k = 0; rc == ST_OK && k < 4; k++)
        if (k != QA_DIMS_REASON || !r->null_reason)
            rc = qa_dims_acc_add(r->accs[k], &obs[k]);
    return rc;
}

/*
 * The month's dimension scores by month, agent, inspector and contact
 * reason, from the evaluations' stored dimension points, read as a cursor
 * into one sum per cell.  The order is the evaluations' then the
 * dimensions' (the primary key of evaluation_dimensions): each cell's
 * sum is taken in it.
 */
static int dims_compute(db_t *db, const qa_run_req_t *q, qa_run_t *r)
{
    struct qa_run_store *st = r->store;
    dim_row_t row;
    memset(&row, 0, sizeof row);
    for (int k = 0; k < 4; k++)
        st->dims[k] = qa_dims_acc_new(true);
    row.accs = st->dims;
#define F(field) offsetof(dim_row_t, field)
#define S(i, field, null)                                                                          \
    (db_out_col_t)                                                                                 \
    {                                                                                              \
        DBO_STR, F(field), ID_CAP, null, (long)F(len[i])                                           \
    }
    const db_out_col_t cols[] = {
        S(0, agent_id, -1),
        S(1, inspector_id, -1),
        S(2, reason, (long)F(null_reason)),
        S(3, dimension, -1),
        (db_out_col_t){DBO_STR, F(earned), NUM_CAP, -1, (long)F(len[4])},
        (db_out_col_t){DBO_STR, F(possible), NUM_CAP, -1, (long)F(len[5])}};
#undef S
#undef F
    db_val_t v[] = {db_u64(q->tenant->id), db_i64(q->start_us), db_i64(q->end_us)};
    int rc =
        db_query_rows(db,
                      "SELECT e.agent_id, e.inspector_id, c.reason, d.dimension, d.earned, "
                      "d.possible FROM evaluations e JOIN evaluation_dimensions d ON "
                      "d.tenant_id = e.tenant_id AND d.evaluation_id = e.evaluation_id "
                      "LEFT JOIN contacts c ON c.tenant_id = e.tenant_id AND c.call_id = e.call_id "
                      "WHERE e.tenant_id = ? AND e.evaluated_us >= ? AND e.evaluated_us < ? "
                      "ORDER BY e.evaluation_id, d.dimension",
                      v, 3, cols, sizeof cols / sizeof cols[0], &row, dim_take, &row);
    for (int k = 0; rc == ST_OK && k < 4; k++)
        qa_dims_acc_cells(st->dims[k], &r->dims[k], &r->n_dims[k]);
    return rc;
}

/*
 * qa_metrics over the month: one pass over the evaluations in call_id
 * order (byte order, strcmp's: qa_metrics_stream_add() checks it), the
 * evaluations of a contact by evaluation_id (the order qa_metrics_compute()
 * kept them in), into the month's stream and the case types' (the
 * evaluations of a known contact, grouped by its reason), and into insp
 * (when not NULL) for every inspector figure that does not depend on the
 * order; each agent's answered contacts and surveys come from the queue
 * metrics by agent.
 */
static int qa_compute(db_t *db, const qa_run_req_t *q, qa_run_t *r, inspector_stream_t *insp,
                      char *err, size_t errlen)
{
    struct qa_run_store *st = r->store;
    const sla_result_t *ag = q->by_agent;
    size_t n_rows = ag ? sla_result_count(ag) : 0, n_agents = 0;
    qa_metrics_agent_t *agents = xcalloc(n_rows + 1, sizeof *agents);
    for (size_t i = 0; i < n_rows; i++) {
        const sla_row_t *row = sla_result_row(ag, i);
        if (row->key[0] == '\0')
            continue; /* contacts no agent handled */
        qa_metrics_agent_t *a = &agents[n_agents++];
        a->agent_id = row->key;
        a->answered = (size_t)row->answered;
        a->surveys = (size_t)row->csat_n;
        a->csat = row->csat;
    }
    const contract_t *c = q->contract;
    const qa_metrics_params_t params = {.pass_mark = c ? contract_qa_pass_mark(c) : 85.0,
                                        .precision_pts = c ? contract_qa_precision_pts(c) : 5.0,
                                        .start_us = q->start_us,
                                        .end_us = q->end_us};
    eval_pass_t *p = xcalloc(1, sizeof *p);
    p->err = err;
    p->errlen = errlen;
    p->insp = insp;
    int rc = qa_metrics_stream_new(agents, n_agents, (size_t)q->tenant_answered, &params, &p->qa,
                                   err, errlen);
    if (rc == ST_OK)
        rc = qa_metrics_stream_new(NULL, 0, (size_t)q->tenant_answered, &params, &p->by_reason, err,
                                   errlen);
    if (rc == ST_OK)
        rc = eval_pass(db, q, EVALS_SELECT "ORDER BY CAST(e.call_id AS BINARY), e.evaluation_id", p,
                       "by contact");
    r->n_evals = p->n;
    if (rc == ST_OK) {
        rc = qa_metrics_stream_finish(p->qa, &r->qa);
        st->qa_done = rc == ST_OK;
    }
    if (rc == ST_OK) {
        rc = qa_metrics_stream_finish(p->by_reason, &r->by_reason);
        st->reason_done = rc == ST_OK;
    }
    qa_metrics_stream_free(p->qa);
    qa_metrics_stream_free(p->by_reason);
    free(p);
    free(agents);
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

/* One lag as the lag cursor fetches it. */
typedef struct lag_row {
    char inspector_id[ID_CAP];
    unsigned long len;
    int64_t lag_us;
    inspector_stream_t *insp;
    char *err;
    size_t errlen;
    bool fail;
} lag_row_t;

/* on_row: one lag into the inspector stream. */
static int lag_take(void *ctx)
{
    lag_row_t *l = ctx;
    int rc = inspector_stream_lag(l->insp, l->inspector_id, l->lag_us, l->err, l->errlen);
    l->fail = rc != ST_OK;
    return rc;
}

/*
 * The lags of the month's evaluations of a known contact, in ascending
 * order, into the inspector stream: it picks each inspector's median and
 * 90th percentile by rank as they pass, holding none of them.
 */
static int lag_pass(db_t *db, const qa_run_req_t *q, inspector_stream_t *insp, char *err,
                    size_t errlen)
{
    lag_row_t *l = xcalloc(1, sizeof *l);
    l->insp = insp;
    l->err = err;
    l->errlen = errlen;
    const db_out_col_t cols[] = {
        {DBO_STR, offsetof(lag_row_t, inspector_id), ID_CAP, -1, (long)offsetof(lag_row_t, len)},
        {DBO_I64, offsetof(lag_row_t, lag_us), 0, -1, -1}};
    db_val_t v[] = {db_u64(q->tenant->id), db_i64(q->start_us), db_i64(q->end_us)};
    int rc = db_query_rows(db,
                           "SELECT e.inspector_id, e.evaluated_us - c.ended_us AS lag "
                           "FROM evaluations e JOIN contacts c ON c.tenant_id = e.tenant_id "
                           "AND c.call_id = e.call_id WHERE e.tenant_id = ? "
                           "AND e.evaluated_us >= ? AND e.evaluated_us < ? ORDER BY lag",
                           v, 3, cols, 2, l, lag_take, l);
    if (rc != ST_OK && !l->fail)
        snprintf(err, errlen, "reading the evaluations' lags failed: %s", db_error(db));
    free(l);
    return rc;
}

/*
 * What the inspector metrics read before the evaluations: the month's
 * sessions, their item results and the inspector list; *out is a new
 * stream over the list (the caller frees it), for qa_compute()'s pass.
 */
static int insp_begin(db_t *db, const qa_run_req_t *q, qa_run_t *r, inspector_stream_t **out,
                      char *err, size_t errlen)
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
    const inspector_params_t params = {
        .lag_target_h = c ? contract_qa_lag_target_h(c) : 72.0,
        .tolerance_pts = c ? contract_calibration_tolerance_pts(c) : 5.0,
        .weights = {c ? contract_inspector_weight(c, CONTRACT_W_QUOTA) : 1.0,
                    c ? contract_inspector_weight(c, CONTRACT_W_TIMELINESS) : 1.0,
                    c ? contract_inspector_weight(c, CONTRACT_W_CALIBRATION) : 1.0,
                    c ? contract_inspector_weight(c, CONTRACT_W_ACCURACY) : 1.0},
        .start_us = q->start_us,
        .end_us = q->end_us};
    return inspector_stream_new(&params, r->entries, r->n_entries, out, err, errlen);
}

/*
 * The inspector metrics, after qa_compute() has given the stream every
 * evaluation's counts: the scores in evaluation_id order (the order each
 * inspector's scores are summed in, as inspector_compute() over the array
 * read in that order sums them; a slim pass without the contacts), then
 * the lags in ascending order.
 */
static int insp_finish(db_t *db, const qa_run_req_t *q, qa_run_t *r, inspector_stream_t *insp,
                       char *err, size_t errlen)
{
    eval_pass_t *p = xcalloc(1, sizeof *p);
    p->err = err;
    p->errlen = errlen;
    p->insp_scores = insp;
    int rc = eval_pass(db, q, EVALS_SCORES_SELECT, p, "by evaluation");
    if (rc == ST_OK)
        rc = lag_pass(db, q, insp, err, errlen);
    if (rc == ST_OK) {
        rc = inspector_stream_finish(insp, r->sessions, r->n_sessions, &r->insp, err, errlen);
        r->store->insp_done = rc == ST_OK;
    }
    free(p);
    return rc;
}

/* Both computations, on the caller's connection: the inspectors' counts
 * ride on the QA pass, their scores and lags come after it. */
static int run_compute(db_t *db, const qa_run_req_t *req, qa_run_t *r, char *err, size_t errlen)
{
    inspector_stream_t *insp = NULL;
    int rc = req->inspectors ? insp_begin(db, req, r, &insp, err, errlen) : ST_OK;
    if (rc == ST_OK)
        rc = qa_compute(db, req, r, insp, err, errlen);
    if (rc == ST_OK && insp)
        rc = insp_finish(db, req, r, insp, err, errlen);
    inspector_stream_free(insp);
    return rc;
}

int qa_run_compute(db_t *db, const qa_run_req_t *req, qa_run_t **out, char *err, size_t errlen)
{
    qa_run_t *r = xcalloc(1, sizeof *r);
    r->store = xcalloc(1, sizeof *r->store);
    *out = NULL;
    /* Several reads: one snapshot, so they agree (the lags' counts must be
     * those of the evaluations). */
    bool began = false;
    int rc = db_snapshot_begin(db, &began);
    if (rc != ST_OK)
        snprintf(err, errlen, "starting a snapshot failed: %s", db_error(db));
    else
        rc = run_compute(db, req, r, err, errlen);
    if (began)
        db_commit(db);
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
    for (int k = 0; k < 4; k++) {
        free(r->dims[k]);
        qa_dims_acc_free(st->dims[k]);
    }
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
    db_res_free(st->item_res);
    db_res_free(st->insp_res);
    db_res_free(st->cal_res);
    free(st);
    free(r);
}
