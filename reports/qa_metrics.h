/*
 * qa_metrics.h - the QA metrics of one tenant and period, per agent and for
 * the tenant (METRICS.md "Quality assurance"): qa_score, qa_pass_rate,
 * fatal_rate, qa_coverage, the 95 % interval with the "sample too small"
 * flag and the n needed, and the QA-CSAT agreement (Pearson, Spearman).
 *
 * Pure computation over rows the caller gives: no I/O, no database, no
 * global state.  The caller owns every input; the result keeps its own
 * copy of the agent ids (its agent_id pointers point into it), so an input
 * may go as soon as the call returns.  The result's arrays are allocated
 * here and released with qa_metrics_result_clear().  Any thread may call
 * any function; two calls share nothing.
 *
 * Two ways in, one computation: qa_metrics_compute() over an array of
 * evaluations, or a qa_metrics_stream_t fed one evaluation at a time in
 * call_id order (a database cursor), which holds only one accumulator per
 * agent and the (contact score, survey) pairs of Pearson's r: the month's
 * evaluations are never held.  qa_metrics_compute() runs the stream over
 * the array sorted by call_id, so both give the same numbers to the last
 * bit (each agent's evaluations are summed in the same order).
 *
 * Undefined is NAN, never 0 (stats.h convention): a rate with no
 * evaluations, a coverage with no answered contacts, an interval from
 * fewer than 2 evaluations, a correlation with too few pairs to exist.
 *
 * Choices where the spec leaves room:
 *   - An evaluation belongs to the period when start_us <= evaluated_us <
 *     end_us (the caller converts the local month to UTC); others are
 *     ignored by every metric here.
 *   - The final score is the appeal's new_score when the appeal was
 *     overturned, else the score; fatal and defect are NOT changed by an
 *     appeal (an appeal only carries a new score).
 *   - qa_coverage = distinct call_ids evaluated in the period (for the
 *     agent: of the agent's evaluations) / answered contacts the caller
 *     counted for the period.  It is not capped: evaluations in this month
 *     of last month's contacts can push it above 1.
 *   - Pearson is over contacts (distinct call_ids) with a survey: a contact
 *     evaluated twice counts once, with the mean of its final scores.
 *   - Agent csat for Spearman is the agent's CSAT metric as the caller
 *     computed it (qa_metrics_agent_t.csat); the agent takes part when it
 *     has at least QA_METRICS_SPEARMAN_MIN evaluations in the period and as
 *     many surveys.
 *   - "too few pairs" (n < QA_METRICS_PAIRS_MIN) marks both coefficients.
 */
#ifndef SLT_QA_METRICS_H
#define SLT_QA_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define QA_METRICS_PAIRS_MIN    10 /* below this many pairs r is "too few pairs" */
#define QA_METRICS_SPEARMAN_MIN 5  /* evaluations and surveys an agent needs for rho */

/* How an evaluation's appeal stands. */
typedef enum qa_metrics_appeal {
    QA_METRICS_APPEAL_NONE = 0,   /* not appealed */
    QA_METRICS_APPEAL_PENDING,    /* appealed, not decided yet */
    QA_METRICS_APPEAL_UPHELD,     /* appealed, score stands */
    QA_METRICS_APPEAL_OVERTURNED, /* appealed, new_score replaces the score */
} qa_metrics_appeal;

/*
 * One evaluation with what the metrics need of its contact.  Shared with
 * inspector.h.  Strings are borrowed.
 */
typedef struct qa_metrics_eval {
    const char *evaluation_id;
    const char *call_id;
    const char *agent_id;
    const char *inspector_id;
    int64_t evaluated_us; /* Unix microseconds, UTC */
    double score;         /* qa_score_t.score, 0..100 */
    bool fatal;           /* qa_score_t.fatal */
    bool defect;          /* qa_score_t.defect: at least one failed item */
    qa_metrics_appeal appeal;
    double new_score; /* 0..100, read only when appeal is OVERTURNED */
    /* The contact the evaluation refers to. */
    bool contact_known; /* false when call_id is unknown to the tenant */
    int64_t ended_us;   /* the contact's ended_at (when contact_known) */
    bool has_csat;      /* the contact has a survey */
    double csat;        /* the survey's csat value (when has_csat) */
} qa_metrics_eval_t;

/* One agent's contact counts in the period (by offered_at), from the caller. */
typedef struct qa_metrics_agent {
    const char *agent_id;
    size_t answered; /* answered contacts */
    size_t surveys;  /* surveys of the agent's contacts */
    double csat;     /* the agent's CSAT metric; NAN when no survey */
} qa_metrics_agent_t;

typedef struct qa_metrics_params {
    double pass_mark;     /* qa_pass_mark: pass when final score >= it */
    double precision_pts; /* qa_precision_pts (> 0) */
    int64_t start_us;     /* period [start_us, end_us), UTC microseconds */
    int64_t end_us;
} qa_metrics_params_t;

typedef struct qa_metrics_input {
    const qa_metrics_eval_t *evals;
    size_t n_evals;
    const qa_metrics_agent_t *agents; /* each agent at most once */
    size_t n_agents;
    size_t tenant_answered; /* answered contacts of the tenant in the period */
    qa_metrics_params_t params;
} qa_metrics_input_t;

/* The QA row of one agent, or of the tenant (agent_id NULL). */
typedef struct qa_metrics_row {
    const char *agent_id;        /* the result's copy; NULL for the tenant */
    size_t evaluations;          /* in the period */
    size_t evaluated_contacts;   /* distinct call_ids among them */
    size_t answered;             /* from the input */
    size_t surveys;              /* from the input (0 for the tenant row) */
    double csat;                 /* from the input (NAN for the tenant row) */
    double qa_score;             /* mean final score */
    double qa_pass_rate;         /* share with final score >= pass_mark */
    double fatal_rate;           /* share with fatal */
    double qa_coverage;          /* evaluated_contacts / answered */
    double sd;                   /* sample standard deviation of final scores */
    double ci_low, ci_high;      /* qa_score -/+ precision.half_width */
    stats_precision_t precision; /* half-width, "sample too small", n needed */
} qa_metrics_row_t;

/* A correlation as reported: r (NAN when undefined), n, the mark. */
typedef struct qa_metrics_corr {
    double r;
    size_t n;
    bool too_few; /* n < QA_METRICS_PAIRS_MIN */
} qa_metrics_corr_t;

typedef struct qa_metrics_result {
    qa_metrics_row_t tenant;
    qa_metrics_row_t *agents;   /* sorted by agent_id (strcmp) */
    size_t n_agents;            /* agents with an evaluation or an input row */
    qa_metrics_corr_t pearson;  /* contact csat vs contact final QA score */
    qa_metrics_corr_t spearman; /* agent csat vs agent qa_score */
    struct strpool *ids;        /* private: the agent ids the rows point into */
} qa_metrics_result_t;

/*
 * The score every metric uses: new_score after an overturned appeal, else
 * score.  Pure; any thread.
 */
double qa_metrics_final_score(const qa_metrics_eval_t *e);

/*
 * Whether e belongs to [start_us, end_us).  Pure; any thread.
 */
bool qa_metrics_in_period(const qa_metrics_eval_t *e, int64_t start_us, int64_t end_us);

/*
 * Checks one evaluation row (ids present, scores finite in 0..100).
 * ST_OK or ST_ERR_INVALID with err naming the evaluation and the field.
 * Shared with inspector.c.  Pure; any thread.
 */
int qa_metrics_eval_check(const qa_metrics_eval_t *e, char *err, size_t errlen);

/*
 * Computes every QA metric of `in` into *out (overwritten; release with
 * qa_metrics_result_clear()).  ST_OK, or ST_ERR_INVALID with err saying
 * why (bad parameters, a bad evaluation, an agent listed twice); *out is
 * then empty.  Reads `in` only; any thread.
 */
int qa_metrics_compute(const qa_metrics_input_t *in, qa_metrics_result_t *out, char *err,
                       size_t errlen);

/* Frees what qa_metrics_compute() allocated and empties *r.  NULL is fine. */
void qa_metrics_result_clear(qa_metrics_result_t *r);

/*
 * The same computation fed one evaluation at a time.  Memory: one
 * accumulator per agent (the agent rows given and the agents met) and two
 * doubles per evaluated contact with a survey (Pearson's r takes two
 * passes over its pairs: deviations from the means, stats_pearson()).
 * One thread at a time per stream.
 */
typedef struct qa_metrics_stream qa_metrics_stream_t;

/*
 * A stream over the agents' contact counts (copied; each agent at most
 * once), tenant_answered and params.  ST_OK with *out the caller's
 * (qa_metrics_stream_free()), or ST_ERR_INVALID with err saying why (bad
 * parameters, an agent row without an id or listed twice).
 */
int qa_metrics_stream_new(const qa_metrics_agent_t *agents, size_t n_agents, size_t tenant_answered,
                          const qa_metrics_params_t *params, qa_metrics_stream_t **out, char *err,
                          size_t errlen);

/*
 * Adds one evaluation (copied as needed; e may go after the call).
 * Evaluations must come in call_id order (strcmp, not decreasing); those
 * of one contact in the order qa_metrics_compute() would see them.  An
 * evaluation outside the period is checked and ignored.  ST_OK, or
 * ST_ERR_INVALID with err naming the evaluation (a bad row, or a call_id
 * out of order: the numbers would not be the defined ones).
 */
int qa_metrics_stream_add(qa_metrics_stream_t *s, const qa_metrics_eval_t *e, char *err,
                          size_t errlen);

/*
 * Every metric of what was added, into *out (overwritten; release with
 * qa_metrics_result_clear()).  The stream is spent: free it next.  ST_OK.
 */
int qa_metrics_stream_finish(qa_metrics_stream_t *s, qa_metrics_result_t *out);

/* Releases a stream; NULL does nothing. */
void qa_metrics_stream_free(qa_metrics_stream_t *s);

#endif
