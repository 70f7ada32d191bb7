/*
 * inspector.h - QA inspector performance for one tenant and period
 * (METRICS.md "QA inspector performance"): evaluations, quota attainment,
 * lag, timeliness, calibration, item agreement, appeals, severity bias,
 * defects and the composite.
 *
 * Pure computation over rows the caller gives: no I/O, no database, no
 * global state.  The caller owns every input (forms and result arrays are
 * borrowed during the call); the result keeps its own copy of the
 * inspector ids.  The result's array is allocated here and released with
 * inspector_result_clear().  Any thread may call any function.
 *
 * Two ways in, one computation: inspector_compute() over an array of
 * evaluations, or an inspector_stream_t fed the evaluations one at a time
 * (in evaluation order: the order their scores are summed in; or twice,
 * counts in any order and scores in evaluation order) and then each
 * inspector's lags in ascending order (a second, sorted read), which
 * holds one accumulator per inspector and never the month's evaluations.
 * inspector_compute() runs the stream over the array.
 *
 * Undefined is NAN, never 0.  Choices where the spec leaves room:
 *   - Evaluations count in the period when start_us <= evaluated_us <
 *     end_us; a calibration session when its evaluated_us (the caller gives
 *     the earliest evaluated_at of its rows) is in the period.
 *   - Scores are final scores (qa_metrics_final_score(): an overturned
 *     appeal's new_score).
 *   - quota_attainment = evaluations / monthly_quota: NAN without a quota or
 *     with a quota of 0 (a zero denominator).  The caller gives a monthly
 *     period.
 *   - Lag is (evaluated_us - ended_us) in hours, only for evaluations whose
 *     contact is known (contact_known): an evaluation of a contact unknown
 *     to the tenant has no lag and is left out of lag_median_h, lag_p90_h
 *     and on_time_rate (their denominator is lag_n).  A negative lag (an
 *     evaluation stamped before the contact ended) is kept as it is.
 *   - calibration_mad / calibration_within: one comparison per session the
 *     inspector took part in and that has a reference for it
 *     (qa_rec_calibration_reference(): the reference inspector's score,
 *     else the mean of the OTHER participants).  The reference inspector
 *     and a lone participant have no comparison.
 *   - item_agreement: qa_rec_item_agreement() against the reference
 *     inspector, counts summed over sessions before dividing; only
 *     sessions with a reference inspector and item results for both.
 *   - appeal_rate counts every appeal (pending too); overturn_rate counts
 *     overturned appeals; both over the inspector's evaluations.
 *   - severity_bias = inspector mean final score - mean final score of all
 *     the other inspectors' evaluations in the period (pooled, so each
 *     evaluation weighs the same); NAN when either side has none.
 *   - composite components: quota = min(quota_attainment, 1) x 100,
 *     timeliness = on_time_rate x 100, calibration = calibration_within x
 *     100, accuracy = (1 - overturn_rate) x 100; a NAN component is dropped
 *     and the weights of the rest renormalised (composite = sum(w c) /
 *     sum(w) over the components present).  Weights must be finite and
 *     >= 0 with a positive sum; a component of weight 0 never counts.
 *     NAN when no weighted component has data.
 *   - Rows: every listed inspector, every inspector with an evaluation in
 *     the period and every calibration participant in the period, sorted
 *     by inspector_id.  `listed` says whether the inspector list has it.
 */
#ifndef SLT_INSPECTOR_H
#define SLT_INSPECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qa_form.h"
#include "qa_metrics.h"
#include "qa_records.h"
#include "qa_score.h"

/* One calibration session.  Everything is borrowed. */
typedef struct inspector_session {
    const char *session_id;
    int64_t evaluated_us; /* the session's instant (earliest evaluated_at of its rows) */
    const qa_rec_participant_t *participants; /* score = the participant's score */
    size_t n;
    /* Item results for item_agreement; form NULL or results NULL when not
     * known.  results[i] belongs to participants[i] (NULL when unknown) and
     * holds qa_form_item_count(form) results as qa_score_eval_results(). */
    const qa_form_t *form;
    const qa_result_t *const *results;
} inspector_session_t;

/* An entry of the inspector list. */
typedef struct inspector_entry {
    const char *inspector_id;
    bool has_quota;       /* the list gives a monthly_quota */
    double monthly_quota; /* >= 0 when has_quota */
} inspector_entry_t;

/* The contract's inspector_weights (default 1 each). */
typedef struct inspector_weights {
    double quota;
    double timeliness;
    double calibration;
    double accuracy;
} inspector_weights_t;

typedef struct inspector_params {
    double lag_target_h;  /* qa_lag_target_h */
    double tolerance_pts; /* calibration_tolerance_pts */
    inspector_weights_t weights;
    int64_t start_us; /* period [start_us, end_us), UTC microseconds */
    int64_t end_us;
} inspector_params_t;

typedef struct inspector_input {
    const qa_metrics_eval_t *evals;
    size_t n_evals;
    const inspector_session_t *sessions;
    size_t n_sessions;
    const inspector_entry_t *inspectors; /* each inspector at most once */
    size_t n_inspectors;
    inspector_params_t params;
} inspector_input_t;

/* One inspector's metrics.  NAN = undefined. */
typedef struct inspector_row {
    const char *inspector_id; /* the result's copy */
    bool listed;              /* in the inspector list */
    size_t evaluations;
    double monthly_quota; /* NAN without one */
    double quota_attainment;
    size_t lag_n; /* evaluations with a known contact (a lag) */
    double lag_median_h;
    double lag_p90_h;
    double on_time_rate;
    size_t calibration_n; /* sessions compared with a reference score */
    double calibration_mad;
    double calibration_within;
    qa_rec_agreement_t items; /* summed item agreement counts */
    double item_agreement;
    size_t appealed;
    size_t overturned;
    double appeal_rate;
    double overturn_rate;
    double mean_score; /* mean final score of the inspector's evaluations */
    double severity_bias;
    double defect_rate;
    /* The composite and the components it used (NAN = dropped). */
    double c_quota, c_timeliness, c_calibration, c_accuracy;
    double composite;
} inspector_row_t;

typedef struct inspector_result {
    inspector_row_t *rows; /* sorted by inspector_id (strcmp) */
    size_t n;
    struct strpool *ids; /* private: the ids the rows point into */
} inspector_result_t;

/*
 * The composite of four components (each 0..100 or NAN when without data)
 * under weights w: sum(w c) / sum(w) over the components that are not NAN;
 * NAN when that weight sum is 0.  Pure; any thread.
 */
double inspector_composite(const inspector_weights_t *w, double quota, double timeliness,
                           double calibration, double accuracy);

/*
 * Computes every inspector metric of `in` into *out (overwritten; release
 * with inspector_result_clear()).  ST_OK, or ST_ERR_INVALID with err
 * saying why (bad parameters or weights, a bad evaluation, a session that
 * fails qa_rec_calibration_check(), an inspector listed twice, a negative
 * quota); *out is then empty.  Reads `in` only; any thread.
 */
int inspector_compute(const inspector_input_t *in, inspector_result_t *out, char *err,
                      size_t errlen);

/* Frees what inspector_compute() allocated and empties *r.  NULL is fine. */
void inspector_result_clear(inspector_result_t *r);

/*
 * The same computation fed row by row.  Memory: one accumulator per
 * inspector.  One thread at a time per stream.  Every call returns ST_OK
 * or ST_ERR_INVALID with err saying why.
 */
typedef struct inspector_stream inspector_stream_t;

/* A stream over params and the inspector list (copied; each id once, a
 * quota >= 0); *out is the caller's (inspector_stream_free()). */
int inspector_stream_new(const inspector_params_t *params, const inspector_entry_t *list,
                         size_t n_list, inspector_stream_t **out, char *err, size_t errlen);

/* Adds one evaluation (checked; ignored outside the period):
 * inspector_stream_count() then inspector_stream_score().  Scores are
 * summed in the order given: inspector_compute() gives its input order. */
int inspector_stream_eval(inspector_stream_t *s, const qa_metrics_eval_t *e, char *err,
                          size_t errlen);

/*
 * The two halves of inspector_stream_eval(), for a caller that reads the
 * evaluations twice: every figure but the scores (counts, defects,
 * appeals, lag counts and on-time; any order), and the final score into
 * the inspector's sum (order matters: a double sum).  Each evaluation of
 * the period must be given once to each, before the lags;
 * inspector_stream_finish() checks that the counts agree.  Both check e
 * (qa_metrics_eval_check()) and ignore it outside the period.
 */
int inspector_stream_count(inspector_stream_t *s, const qa_metrics_eval_t *e, char *err,
                           size_t errlen);
int inspector_stream_score(inspector_stream_t *s, const qa_metrics_eval_t *e, char *err,
                           size_t errlen);

/*
 * After every evaluation: the lag (evaluated_us - ended_us, microseconds)
 * of each of the period's evaluations with a known contact, each
 * inspector's in ascending order (inspectors may interleave).  It picks
 * the nearest-rank median and 90th percentile without keeping the lags;
 * the counts must match the evaluations given.
 */
int inspector_stream_lag(inspector_stream_t *s, const char *inspector_id, int64_t lag_us, char *err,
                         size_t errlen);

/* Every metric, with the calibration sessions (checked; those of the
 * period count), into *out (release with inspector_result_clear()).  The
 * stream is spent: free it next. */
int inspector_stream_finish(inspector_stream_t *s, const inspector_session_t *sessions,
                            size_t n_sessions, inspector_result_t *out, char *err, size_t errlen);

/* Releases a stream; NULL does nothing. */
void inspector_stream_free(inspector_stream_t *s);

/* One metric of an inspector row by its METRICS.md name (the template
 * keys and the JSON names): a count (evaluations ...) or a value that may
 * be NAN. */
typedef struct inspector_value {
    const char *name; /* static */
    double value;
    bool count;
} inspector_value_t;

#define INSPECTOR_VALUES 25

/*
 * Every metric of row r, in a fixed order, into out; returns how many
 * (INSPECTOR_VALUES).  "listed" is 1 or 0.  One list for the workbook and
 * the JSON, so both always show the same metrics.  Pure; any thread.
 */
size_t inspector_row_values(const inspector_row_t *r, inspector_value_t out[INSPECTOR_VALUES]);

#endif
