/* qa_metrics.c - QA metrics per agent and tenant (see qa_metrics.h). */
#include "qa_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "status.h"
#include "xmem.h"

/* Running sums for one row before it is turned into rates. */
typedef struct row_acc {
    stats_acc_t acc;
    size_t pass;
    size_t fatal;
    size_t contacts;
} row_acc_t;

double qa_metrics_final_score(const qa_metrics_eval_t *e)
{
    return e->appeal == QA_METRICS_APPEAL_OVERTURNED ? e->new_score : e->score;
}

bool qa_metrics_in_period(const qa_metrics_eval_t *e, int64_t start_us, int64_t end_us)
{
    return e->evaluated_us >= start_us && e->evaluated_us < end_us;
}

/* A score is usable when it is a finite number in 0..100. */
static bool score_ok(double s)
{
    return isfinite(s) && s >= 0 && s <= 100;
}

int qa_metrics_eval_check(const qa_metrics_eval_t *e, char *err, size_t errlen)
{
    const char *id = e->evaluation_id ? e->evaluation_id : "?";
    if (!e->evaluation_id || !e->call_id || !e->agent_id || !e->inspector_id) {
        st_errf(err, errlen, "evaluation \"%s\": an id is missing", id);
        return ST_ERR_INVALID;
    }
    if (!score_ok(e->score)) {
        st_errf(err, errlen, "evaluation \"%s\": score is not 0..100", id);
        return ST_ERR_INVALID;
    }
    if (e->appeal == QA_METRICS_APPEAL_OVERTURNED && !score_ok(e->new_score)) {
        st_errf(err, errlen, "evaluation \"%s\": new_score is not 0..100", id);
        return ST_ERR_INVALID;
    }
    if (e->appeal < QA_METRICS_APPEAL_NONE || e->appeal > QA_METRICS_APPEAL_OVERTURNED) {
        st_errf(err, errlen, "evaluation \"%s\": unknown appeal state", id);
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

/* Checks parameters and every evaluation and agent row. */
static int input_check(const qa_metrics_input_t *in, char *err, size_t errlen)
{
    const qa_metrics_params_t *p = &in->params;
    if (!isfinite(p->pass_mark) || !isfinite(p->precision_pts) || p->precision_pts <= 0) {
        st_errf(err, errlen, "params: pass_mark must be finite and precision_pts > 0");
        return ST_ERR_INVALID;
    }
    if (p->start_us >= p->end_us) {
        st_errf(err, errlen, "params: the period is empty");
        return ST_ERR_INVALID;
    }
    for (size_t i = 0; i < in->n_evals; i++) {
        int rc = qa_metrics_eval_check(&in->evals[i], err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    for (size_t i = 0; i < in->n_agents; i++) {
        if (!in->agents[i].agent_id) {
            st_errf(err, errlen, "agents: row %zu has no agent_id", i);
            return ST_ERR_INVALID;
        }
    }
    return ST_OK;
}

/* qsort order of borrowed strings. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* qsort order of evaluation pointers by (agent_id, call_id). */
static int cmp_eval_agent_call(const void *a, const void *b)
{
    const qa_metrics_eval_t *x = *(const qa_metrics_eval_t *const *)a;
    const qa_metrics_eval_t *y = *(const qa_metrics_eval_t *const *)b;
    int c = strcmp(x->agent_id, y->agent_id);
    return c ? c : strcmp(x->call_id, y->call_id);
}

/* qsort order of evaluation pointers by call_id. */
static int cmp_eval_call(const void *a, const void *b)
{
    const qa_metrics_eval_t *x = *(const qa_metrics_eval_t *const *)a;
    const qa_metrics_eval_t *y = *(const qa_metrics_eval_t *const *)b;
    return strcmp(x->call_id, y->call_id);
}

/* Pointers to the evaluations of the period; *n gets their count. */
static const qa_metrics_eval_t **period_evals(const qa_metrics_input_t *in, size_t *n)
{
    const qa_metrics_eval_t **v = xcalloc(in->n_evals + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < in->n_evals; i++) {
        if (qa_metrics_in_period(&in->evals[i], in->params.start_us, in->params.end_us))
            v[k++] = &in->evals[i];
    }
    *n = k;
    return v;
}

/*
 * The sorted distinct agent ids of the period's evaluations and of the
 * agent rows.  ST_ERR_INVALID when an agent row repeats an id.
 */
static int agent_keys(const qa_metrics_input_t *in, const qa_metrics_eval_t **ev, size_t n_ev,
                      const char ***keys, size_t *n_keys, char *err, size_t errlen)
{
    const char **k = xcalloc(n_ev + in->n_agents + 1, sizeof *k);
    for (size_t i = 0; i < in->n_agents; i++)
        k[i] = in->agents[i].agent_id;
    qsort(k, in->n_agents, sizeof *k, cmp_str);
    for (size_t i = 1; i < in->n_agents; i++) {
        if (strcmp(k[i - 1], k[i]) == 0) {
            st_errf(err, errlen, "agents: \"%s\" is listed twice", k[i]);
            free(k);
            return ST_ERR_INVALID;
        }
    }
    size_t m = in->n_agents;
    for (size_t i = 0; i < n_ev; i++)
        k[m++] = ev[i]->agent_id;
    qsort(k, m, sizeof *k, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < m; i++) {
        if (u == 0 || strcmp(k[u - 1], k[i]) != 0)
            k[u++] = k[i];
    }
    *keys = k;
    *n_keys = u;
    return ST_OK;
}

/* Index of id in the sorted keys (it is always there). */
static size_t key_index(const char **keys, size_t n, const char *id)
{
    const char **hit = bsearch(&id, keys, n, sizeof *keys, cmp_str);
    return (size_t)(hit - keys);
}

/* Adds one evaluation to a row's sums; new_contact counts a new call_id. */
static void acc_add(row_acc_t *a, const qa_metrics_eval_t *e, double pass_mark, bool new_contact)
{
    double s = qa_metrics_final_score(e);
    stats_acc_add(&a->acc, s);
    a->pass += s >= pass_mark;
    a->fatal += e->fatal;
    a->contacts += new_contact;
}

/* count / n, or NAN when n = 0. */
static double share(size_t count, size_t n)
{
    return n ? (double)count / (double)n : NAN;
}

/* Turns a row's sums into the reported metrics. */
static void row_finish(qa_metrics_row_t *r, const row_acc_t *a, double precision)
{
    size_t n = a->acc.n;
    r->evaluations = n;
    r->evaluated_contacts = a->contacts;
    r->qa_score = stats_acc_mean(&a->acc);
    r->qa_pass_rate = share(a->pass, n);
    r->fatal_rate = share(a->fatal, n);
    r->qa_coverage = share(a->contacts, r->answered);
    r->sd = stats_acc_sd(&a->acc);
    /* precision > 0 was checked and sd is NAN only when n < 2, so this
     * cannot fail. */
    (void)stats_qa_precision(n, r->sd, precision, &r->precision);
    r->ci_low = r->qa_score - r->precision.half_width;
    r->ci_high = r->qa_score + r->precision.half_width;
}

/* Fills the agent rows from the period's evaluations sorted by agent, call. */
static void agent_rows(const qa_metrics_input_t *in, const qa_metrics_eval_t **ev, size_t n_ev,
                       qa_metrics_result_t *out, const char **keys)
{
    row_acc_t *acc = xcalloc(out->n_agents + 1, sizeof *acc);
    for (size_t i = 0; i < out->n_agents; i++) {
        out->agents[i].agent_id = keys[i];
        out->agents[i].csat = NAN;
        stats_acc_init(&acc[i].acc);
    }
    for (size_t i = 0; i < in->n_agents; i++) {
        qa_metrics_row_t *r = &out->agents[key_index(keys, out->n_agents, in->agents[i].agent_id)];
        r->answered = in->agents[i].answered;
        r->surveys = in->agents[i].surveys;
        r->csat = in->agents[i].csat;
    }
    qsort(ev, n_ev, sizeof *ev, cmp_eval_agent_call);
    for (size_t i = 0; i < n_ev; i++) {
        bool new_contact = i == 0 || cmp_eval_agent_call(&ev[i - 1], &ev[i]) != 0;
        acc_add(&acc[key_index(keys, out->n_agents, ev[i]->agent_id)], ev[i], in->params.pass_mark,
                new_contact);
    }
    for (size_t i = 0; i < out->n_agents; i++)
        row_finish(&out->agents[i], &acc[i], in->params.precision_pts);
    free(acc);
}

/* Marks a correlation "too few pairs". */
static qa_metrics_corr_t corr_report(stats_corr_t c)
{
    qa_metrics_corr_t r = {c.r, c.n, c.n < QA_METRICS_PAIRS_MIN};
    return r;
}

/*
 * The tenant row and Pearson's r over contacts, from the period's
 * evaluations sorted by call_id: one pair per contact with a survey, the
 * contact's QA score being the mean of its final scores.
 */
static void tenant_and_pearson(const qa_metrics_input_t *in, const qa_metrics_eval_t **ev,
                               size_t n_ev, qa_metrics_result_t *out)
{
    double *qa = xcalloc(n_ev + 1, sizeof *qa);
    double *cs = xcalloc(n_ev + 1, sizeof *cs);
    size_t pairs = 0;
    row_acc_t t;
    memset(&t, 0, sizeof t);
    stats_acc_init(&t.acc);
    qsort(ev, n_ev, sizeof *ev, cmp_eval_call);
    for (size_t i = 0; i < n_ev;) {
        size_t j = i;
        stats_acc_t contact;
        stats_acc_init(&contact);
        bool has_csat = false;
        double csat = NAN;
        for (; j < n_ev && strcmp(ev[j]->call_id, ev[i]->call_id) == 0; j++) {
            acc_add(&t, ev[j], in->params.pass_mark, j == i);
            stats_acc_add(&contact, qa_metrics_final_score(ev[j]));
            if (ev[j]->has_csat && !has_csat) {
                has_csat = true;
                csat = ev[j]->csat;
            }
        }
        if (has_csat) {
            qa[pairs] = stats_acc_mean(&contact);
            cs[pairs++] = csat;
        }
        i = j;
    }
    out->tenant.agent_id = NULL;
    out->tenant.answered = in->tenant_answered;
    out->tenant.csat = NAN;
    row_finish(&out->tenant, &t, in->params.precision_pts);
    out->pearson = corr_report(stats_pearson(qa, cs, pairs));
    free(qa);
    free(cs);
}

/* Spearman's rho of agent qa_score vs agent csat over qualifying agents. */
static void spearman_agents(qa_metrics_result_t *out)
{
    size_t n = out->n_agents;
    double *x = xcalloc(n + 1, sizeof *x);
    double *y = xcalloc(n + 1, sizeof *y);
    double *rx = xcalloc(n + 1, sizeof *rx);
    double *ry = xcalloc(n + 1, sizeof *ry);
    stats_rank_item_t *work = xcalloc(n + 1, sizeof *work);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const qa_metrics_row_t *r = &out->agents[i];
        if (r->evaluations < QA_METRICS_SPEARMAN_MIN || r->surveys < QA_METRICS_SPEARMAN_MIN ||
            isnan(r->csat))
            continue;
        x[k] = r->qa_score;
        y[k++] = r->csat;
    }
    out->spearman = corr_report(stats_spearman(x, y, k, work, rx, ry));
    free(work);
    free(ry);
    free(rx);
    free(y);
    free(x);
}

int qa_metrics_compute(const qa_metrics_input_t *in, qa_metrics_result_t *out, char *err,
                       size_t errlen)
{
    const qa_metrics_eval_t **ev = NULL;
    const char **keys = NULL;
    size_t n_ev = 0;
    memset(out, 0, sizeof *out);
    int rc = input_check(in, err, errlen);
    if (rc != ST_OK)
        goto fail;
    ev = period_evals(in, &n_ev);
    rc = agent_keys(in, ev, n_ev, &keys, &out->n_agents, err, errlen);
    if (rc != ST_OK)
        goto fail;
    out->agents = xcalloc(out->n_agents + 1, sizeof *out->agents);
    agent_rows(in, ev, n_ev, out, keys);
    tenant_and_pearson(in, ev, n_ev, out);
    spearman_agents(out);
    free(keys);
    free(ev);
    return ST_OK;
fail:
    free(keys);
    free(ev);
    qa_metrics_result_clear(out);
    return rc;
}

void qa_metrics_result_clear(qa_metrics_result_t *r)
{
    if (!r)
        return;
    free(r->agents);
    memset(r, 0, sizeof *r);
}
