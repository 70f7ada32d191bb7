/* qa_metrics.c - QA metrics per agent and tenant (see qa_metrics.h). */
#include "qa_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "status.h"
#include "strmap.h"
#include "strpool.h"
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

/* Checks the parameters. */
static int params_check(const qa_metrics_params_t *p, char *err, size_t errlen)
{
    if (!isfinite(p->pass_mark) || !isfinite(p->precision_pts) || p->precision_pts <= 0) {
        st_errf(err, errlen, "params: pass_mark must be finite and precision_pts > 0");
        return ST_ERR_INVALID;
    }
    if (p->start_us >= p->end_us) {
        st_errf(err, errlen, "params: the period is empty");
        return ST_ERR_INVALID;
    }
    return ST_OK;
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

/* Marks a correlation "too few pairs". */
static qa_metrics_corr_t corr_report(stats_corr_t c)
{
    qa_metrics_corr_t r = {c.r, c.n, c.n < QA_METRICS_PAIRS_MIN};
    return r;
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

/* One agent's sums while the stream runs. */
typedef struct agent_acc {
    const char *agent_id; /* interned in the stream's pool */
    row_acc_t acc;
    size_t answered, surveys;
    double csat;
    size_t last_call; /* 1-based number of the last contact counted, 0: none */
} agent_acc_t;

struct qa_metrics_stream {
    qa_metrics_params_t params;
    size_t tenant_answered;
    strpool_t *ids;  /* agent ids (handed to the result) */
    strmap_t *by_id; /* interned agent id -> index in agents */
    agent_acc_t *agents;
    size_t n_agents, cap_agents;
    row_acc_t tenant;
    /* The contact being read: its call_id, number, scores and survey. */
    char *call;
    size_t call_cap, n_calls;
    stats_acc_t contact;
    bool has_csat;
    double csat;
    /* Pearson's pairs, one per contact with a survey, in call_id order. */
    double *px, *py;
    size_t n_pairs, cap_pairs;
};

/* The accumulator of agent_id, made on first sight. */
static agent_acc_t *agent_of(qa_metrics_stream_t *s, const char *agent_id, bool *added)
{
    const char *id = strpool_intern(s->ids, agent_id);
    int64_t *slot = strmap_put(s->by_id, id, added);
    if (*added) {
        if (s->n_agents == s->cap_agents) {
            s->cap_agents = s->cap_agents ? 2 * s->cap_agents : 64;
            s->agents = xrealloc(s->agents, s->cap_agents * sizeof *s->agents);
        }
        agent_acc_t *a = &s->agents[s->n_agents];
        memset(a, 0, sizeof *a);
        a->agent_id = id;
        a->csat = NAN;
        stats_acc_init(&a->acc.acc);
        *slot = (int64_t)s->n_agents++;
    }
    return &s->agents[*slot];
}

void qa_metrics_stream_free(qa_metrics_stream_t *s)
{
    if (!s)
        return;
    strpool_free(s->ids);
    strmap_free(s->by_id);
    free(s->agents);
    free(s->call);
    free(s->px);
    free(s->py);
    free(s);
}

int qa_metrics_stream_new(const qa_metrics_agent_t *agents, size_t n_agents, size_t tenant_answered,
                          const qa_metrics_params_t *params, qa_metrics_stream_t **out, char *err,
                          size_t errlen)
{
    *out = NULL;
    int rc = params_check(params, err, errlen);
    if (rc != ST_OK)
        return rc;
    qa_metrics_stream_t *s = xcalloc(1, sizeof *s);
    s->params = *params;
    s->tenant_answered = tenant_answered;
    s->ids = strpool_new();
    s->by_id = strmap_new(n_agents + 64);
    stats_acc_init(&s->tenant.acc);
    for (size_t i = 0; i < n_agents; i++) {
        bool added = false;
        if (!agents[i].agent_id) {
            st_errf(err, errlen, "agents: row %zu has no agent_id", i);
            qa_metrics_stream_free(s);
            return ST_ERR_INVALID;
        }
        agent_acc_t *a = agent_of(s, agents[i].agent_id, &added);
        if (!added) {
            st_errf(err, errlen, "agents: \"%s\" is listed twice", agents[i].agent_id);
            qa_metrics_stream_free(s);
            return ST_ERR_INVALID;
        }
        a->answered = agents[i].answered;
        a->surveys = agents[i].surveys;
        a->csat = agents[i].csat;
    }
    *out = s;
    return ST_OK;
}

/* Ends the contact being read: its pair for Pearson when it has a survey. */
static void contact_end(qa_metrics_stream_t *s)
{
    if (!s->n_calls || !s->has_csat)
        return;
    if (s->n_pairs == s->cap_pairs) {
        s->cap_pairs = s->cap_pairs ? 2 * s->cap_pairs : 256;
        s->px = xrealloc(s->px, s->cap_pairs * sizeof *s->px);
        s->py = xrealloc(s->py, s->cap_pairs * sizeof *s->py);
    }
    s->px[s->n_pairs] = stats_acc_mean(&s->contact);
    s->py[s->n_pairs++] = s->csat;
}

/* Starts a contact (call_id). */
static void contact_start(qa_metrics_stream_t *s, const char *call_id)
{
    size_t len = strlen(call_id);
    if (len + 1 > s->call_cap) {
        s->call_cap = 2 * (len + 1);
        s->call = xrealloc(s->call, s->call_cap);
    }
    memcpy(s->call, call_id, len + 1);
    s->n_calls++;
    stats_acc_init(&s->contact);
    s->has_csat = false;
    s->csat = NAN;
}

int qa_metrics_stream_add(qa_metrics_stream_t *s, const qa_metrics_eval_t *e, char *err,
                          size_t errlen)
{
    int rc = qa_metrics_eval_check(e, err, errlen);
    if (rc != ST_OK || !qa_metrics_in_period(e, s->params.start_us, s->params.end_us))
        return rc;
    int order = s->n_calls ? strcmp(e->call_id, s->call) : 1;
    if (order < 0) {
        st_errf(err, errlen, "evaluation \"%s\": call_id \"%s\" comes after \"%s\" (not in order)",
                e->evaluation_id, e->call_id, s->call);
        return ST_ERR_INVALID;
    }
    if (order > 0) {
        contact_end(s);
        contact_start(s, e->call_id);
    }
    bool added = false;
    agent_acc_t *a = agent_of(s, e->agent_id, &added);
    acc_add(&s->tenant, e, s->params.pass_mark, order > 0);
    acc_add(&a->acc, e, s->params.pass_mark, a->last_call != s->n_calls);
    a->last_call = s->n_calls;
    stats_acc_add(&s->contact, qa_metrics_final_score(e));
    if (e->has_csat && !s->has_csat) {
        s->has_csat = true;
        s->csat = e->csat;
    }
    return ST_OK;
}

/* qsort order of agent accumulators by id. */
static int cmp_agent_acc(const void *a, const void *b)
{
    return strcmp(((const agent_acc_t *)a)->agent_id, ((const agent_acc_t *)b)->agent_id);
}

int qa_metrics_stream_finish(qa_metrics_stream_t *s, qa_metrics_result_t *out)
{
    memset(out, 0, sizeof *out);
    contact_end(s);
    if (s->n_agents > 1) /* qsort wants an array, even of none */
        qsort(s->agents, s->n_agents, sizeof *s->agents, cmp_agent_acc);
    out->n_agents = s->n_agents;
    out->agents = xcalloc(s->n_agents + 1, sizeof *out->agents);
    for (size_t i = 0; i < s->n_agents; i++) {
        qa_metrics_row_t *r = &out->agents[i];
        const agent_acc_t *a = &s->agents[i];
        r->agent_id = a->agent_id;
        r->answered = a->answered;
        r->surveys = a->surveys;
        r->csat = a->csat;
        row_finish(r, &a->acc, s->params.precision_pts);
    }
    out->tenant.agent_id = NULL;
    out->tenant.answered = s->tenant_answered;
    out->tenant.csat = NAN;
    row_finish(&out->tenant, &s->tenant, s->params.precision_pts);
    out->pearson = corr_report(stats_pearson(s->px, s->py, s->n_pairs));
    spearman_agents(out);
    out->ids = s->ids; /* the rows point into it */
    s->ids = NULL;
    return ST_OK;
}

/* qsort order of evaluation pointers by call_id. */
static int cmp_eval_call(const void *a, const void *b)
{
    const qa_metrics_eval_t *x = *(const qa_metrics_eval_t *const *)a;
    const qa_metrics_eval_t *y = *(const qa_metrics_eval_t *const *)b;
    return strcmp(x->call_id, y->call_id);
}

int qa_metrics_compute(const qa_metrics_input_t *in, qa_metrics_result_t *out, char *err,
                       size_t errlen)
{
    qa_metrics_stream_t *s = NULL;
    const qa_metrics_eval_t **ev = NULL;
    memset(out, 0, sizeof *out);
    int rc = qa_metrics_stream_new(in->agents, in->n_agents, in->tenant_answered, &in->params, &s,
                                   err, errlen);
    if (rc != ST_OK)
        goto fail;
    /* Every evaluation is checked, the period's are added in call_id order
     * (qsort keeps the input order of one contact's: it is glibc's merge
     * sort, which the numbers of a contact evaluated twice depend on). */
    ev = xcalloc(in->n_evals + 1, sizeof *ev);
    for (size_t i = 0; i < in->n_evals; i++) {
        if ((rc = qa_metrics_eval_check(&in->evals[i], err, errlen)) != ST_OK)
            goto fail;
        ev[i] = &in->evals[i];
    }
    qsort(ev, in->n_evals, sizeof *ev, cmp_eval_call);
    for (size_t i = 0; i < in->n_evals; i++)
        if ((rc = qa_metrics_stream_add(s, ev[i], err, errlen)) != ST_OK)
            goto fail;
    rc = qa_metrics_stream_finish(s, out);
fail:
    free(ev);
    qa_metrics_stream_free(s);
    if (rc != ST_OK)
        qa_metrics_result_clear(out);
    return rc;
}

void qa_metrics_result_clear(qa_metrics_result_t *r)
{
    if (!r)
        return;
    free(r->agents);
    strpool_free(r->ids);
    memset(r, 0, sizeof *r);
}
