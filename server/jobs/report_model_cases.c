/*
 * report_model_cases.c - inspection by case (issue 19): the internal
 * workbook's Cases sheet (case types ranked by volume with their queue
 * metrics, FCR, CSAT and QA), and the dimension columns the QA tables
 * (Quality, Agents, Cases) get, one per scorecard dimension of the month.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qa_dims.h"
#include "report_model_int.h"
#include "status.h"
#include "xmem.h"

int rmodel_dims_columns(const rmodel_ctx_t *x, xl_table_t *t)
{
    const char **names = NULL;
    size_t n = qa_dims_names(x->qa->dims[QA_DIMS_MONTH], x->qa->n_dims[QA_DIMS_MONTH], &names);
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        char key[32], nkey[32], nlabel[QA_DIMENSION_MAX + 8];
        snprintf(key, sizeof key, "dim_%zu", i + 1);
        snprintf(nkey, sizeof nkey, "dim_n_%zu", i + 1);
        snprintf(nlabel, sizeof nlabel, "%s (n)", names[i]);
        rc = xl_table_add_column(t, nkey, nlabel, "#,##0", NULL, true, true);
        if (rc == ST_OK)
            rc = xl_table_add_column(t, key, names[i], "0.0", nkey, false, false);
    }
    free(names);
    return rc;
}

int rmodel_dims_cells(const rmodel_ctx_t *x, xl_table_t *t, size_t row, int grouping,
                      const char *group)
{
    const char **names = NULL;
    size_t n = qa_dims_names(x->qa->dims[QA_DIMS_MONTH], x->qa->n_dims[QA_DIMS_MONTH], &names);
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        const qa_dims_cell_t *c =
            qa_dims_find(x->qa->dims[grouping], x->qa->n_dims[grouping], group, names[i]);
        char key[32], nkey[32];
        snprintf(key, sizeof key, "dim_%zu", i + 1);
        snprintf(nkey, sizeof nkey, "dim_n_%zu", i + 1);
        rc = xl_table_set_number(t, row, nkey, c ? (double)c->n : NAN);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, row, key, c ? c->score : NAN);
    }
    free(names);
    return rc;
}

/* The QA row of case type `reason` (qa_run's by_reason, sorted by key), or NULL. */
static const qa_metrics_row_t *qa_reason_find(const rmodel_ctx_t *x, const char *reason)
{
    const qa_metrics_result_t *q = &x->qa->by_reason;
    for (size_t i = 0; i < q->n_agents; i++)
        if (strcmp(q->agents[i].agent_id, reason) == 0)
            return &q->agents[i];
    return NULL;
}

/* One case type: what the Cases sheet ranks. */
typedef struct case_ref {
    const char *reason;
    const sla_row_t *r;        /* its contacts' metrics, NULL when it has none this month */
    const qa_metrics_row_t *q; /* its evaluations' QA, NULL when none */
} case_ref_t;

/* Ranking: by offered, most first, then by name ("(none)" is ""). */
static int case_cmp(const void *a, const void *b)
{
    const case_ref_t *x = a, *y = b;
    int64_t ox = x->r ? x->r->offered : 0, oy = y->r ? y->r->offered : 0;
    if (ox != oy)
        return ox > oy ? -1 : 1;
    return strcmp(x->reason, y->reason);
}

/* One Cases row. */
static int case_row(rmodel_ctx_t *x, xl_table_t *t, const case_ref_t *c)
{
    static const char *const none[XL_LANG_COUNT] = {"(none)", "（无）"};
    sla_row_t zero;
    const sla_row_t *r = c->r;
    if (!r) {
        memset(&zero, 0, sizeof zero);
        zero.service_level = zero.asa_s = zero.aht_s = zero.abandon_rate = NAN;
        zero.fcr = zero.csat = NAN;
        r = &zero;
    }
    size_t row;
    int rc = xl_table_add_row(t, &row);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, row, "reason",
                               c->reason[0] ? c->reason : none[xl_model_lang(x->m)]);
    if (rc == ST_OK)
        rc = rmodel_queue_cells(x, t, row, r);
    if (rc == ST_OK)
        rc = rmodel_fcr_csat_cells(t, row, r);
    const rmodel_cell_t cells[] = {
        RM_NUM("abandon_rate", r->abandon_rate),
        RM_NUM("evaluations", c->q ? (double)c->q->evaluations : 0),
        RM_NUM("qa_score", c->q ? c->q->qa_score : NAN),
    };
    if (rc == ST_OK)
        rc = rmodel_cells(t, row, RM_CELLS(cells));
    if (rc == ST_OK)
        rc = rmodel_dims_cells(x, t, row, QA_DIMS_REASON, c->reason);
    return rc;
}

/*
 * Cases: the month's metrics by contact reason (the G_REASON grouping
 * report_model.c computed with the others, from the reason rollups:
 * docs/rollups.md "Case types"), joined with the QA of the evaluations
 * whose contact has that reason; case types with evaluations but no
 * contact this month follow with zero counts.
 */
int rmodel_table_cases(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "cases");
    if (!t)
        return ST_ERR_INTERNAL;
    const sla_result_t *res = x->res[G_REASON];
    const qa_metrics_result_t *q = &x->qa->by_reason;
    size_t n = sla_result_count(res), m = 0;
    case_ref_t *refs = xcalloc(n + q->n_agents + 1, sizeof *refs);
    for (size_t i = 0; i < n; i++) {
        const sla_row_t *r = sla_result_row(res, i);
        refs[m++] = (case_ref_t){r->key, r, qa_reason_find(x, r->key)};
    }
    for (size_t i = 0; i < q->n_agents; i++) {
        bool seen = false;
        for (size_t k = 0; !seen && k < n; k++)
            seen = strcmp(refs[k].reason, q->agents[i].agent_id) == 0;
        if (!seen && q->agents[i].evaluations > 0)
            refs[m++] = (case_ref_t){q->agents[i].agent_id, NULL, &q->agents[i]};
    }
    qsort(refs, m, sizeof *refs, case_cmp);
    int rc = rmodel_dims_columns(x, t);
    for (size_t i = 0; rc == ST_OK && i < m; i++)
        rc = case_row(x, t, &refs[i]);
    free(refs);
    return rc;
}
