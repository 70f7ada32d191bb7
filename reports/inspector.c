/* inspector.c - QA inspector performance (see inspector.h). */
#include "inspector.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "status.h"
#include "strmap.h"
#include "strpool.h"
#include "xmem.h"

#define US_PER_HOUR 3600000000.0

/* Running sums for one inspector before they become rates. */
typedef struct insp_acc {
    double score_sum;
    size_t defects;
    double mad_sum;
    size_t within;
} insp_acc_t;

/* count / n, or NAN when n = 0. */
static double share(size_t count, size_t n)
{
    return n ? (double)count / (double)n : NAN;
}

/* Adds w x c to the sums when the component has data and weight. */
static void component_add(double w, double c, double *num, double *den)
{
    if (isnan(c) || w <= 0)
        return;
    *num += w * c;
    *den += w;
}

double inspector_composite(const inspector_weights_t *w, double quota, double timeliness,
                           double calibration, double accuracy)
{
    double num = 0, den = 0;
    component_add(w->quota, quota, &num, &den);
    component_add(w->timeliness, timeliness, &num, &den);
    component_add(w->calibration, calibration, &num, &den);
    component_add(w->accuracy, accuracy, &num, &den);
    return den > 0 ? num / den : NAN;
}

/* A weight is usable when finite and not negative. */
static bool weight_ok(double w)
{
    return isfinite(w) && w >= 0;
}

/* Checks the parameters and weights. */
static int params_check(const inspector_params_t *p, char *err, size_t errlen)
{
    const inspector_weights_t *w = &p->weights;
    if (!isfinite(p->lag_target_h) || !isfinite(p->tolerance_pts) || p->tolerance_pts < 0) {
        st_errf(err, errlen, "params: lag target and tolerance must be finite, tolerance >= 0");
        return ST_ERR_INVALID;
    }
    if (!weight_ok(w->quota) || !weight_ok(w->timeliness) || !weight_ok(w->calibration) ||
        !weight_ok(w->accuracy) || w->quota + w->timeliness + w->calibration + w->accuracy <= 0) {
        st_errf(err, errlen, "inspector_weights: each must be >= 0 and their sum > 0");
        return ST_ERR_INVALID;
    }
    if (p->start_us >= p->end_us) {
        st_errf(err, errlen, "params: the period is empty");
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

/* Whether a session belongs to the period. */
static bool session_in_period(const inspector_session_t *s, const inspector_params_t *p)
{
    return s->evaluated_us >= p->start_us && s->evaluated_us < p->end_us;
}

/* The row of an inspector id (always present among the rows). */
static inspector_row_t *row_of(inspector_result_t *out, const char *id)
{
    size_t lo = 0, hi = out->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(out->rows[mid].inspector_id, id);
        if (c == 0)
            return &out->rows[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Index of the session's reference inspector, or s->n when none. */
static size_t session_reference(const inspector_session_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->participants[i].is_reference)
            return i;
    }
    return s->n;
}

/* Adds participant i's item agreement with the reference inspector. */
static void session_items(const inspector_session_t *s, size_t i, inspector_row_t *r)
{
    size_t ref = session_reference(s);
    if (ref == s->n || ref == i || !s->form || !s->results || !s->results[i] || !s->results[ref])
        return;
    qa_rec_agreement_t a;
    qa_rec_item_agreement(s->form, s->results[i], s->results[ref], &a);
    r->items.compared += a.compared;
    r->items.agreed += a.agreed;
}

/* Adds one session's comparisons to its participants' rows. */
static void session_metrics(const inspector_session_t *s, inspector_result_t *out, insp_acc_t *acc,
                            double tolerance)
{
    for (size_t i = 0; i < s->n; i++) {
        inspector_row_t *r = row_of(out, s->participants[i].inspector_id);
        insp_acc_t *a = &acc[r - out->rows];
        double ref;
        if (qa_rec_calibration_reference(s->participants, s->n, i, &ref) == ST_OK) {
            double d = fabs(s->participants[i].score - ref);
            r->calibration_n++;
            a->mad_sum += d;
            a->within += d <= tolerance;
        }
        session_items(s, i, r);
    }
}

/*
 * Inspector mean minus the pooled mean of every other inspector's
 * evaluations (sums over the period, so each evaluation weighs the same).
 */
static double severity_bias(double sum, size_t n, double all_sum, size_t all_n)
{
    if (n == 0 || all_n == n)
        return NAN;
    return sum / (double)n - (all_sum - sum) / (double)(all_n - n);
}

/* The normalised components and the composite of a row whose rates are set. */
static void row_composite(inspector_row_t *r, const inspector_weights_t *w)
{
    /* fmin() would turn a NAN attainment into 1: keep it undefined. */
    r->c_quota = isnan(r->quota_attainment) ? NAN : fmin(r->quota_attainment, 1) * 100;
    r->c_timeliness = r->on_time_rate * 100;
    r->c_calibration = r->calibration_within * 100;
    r->c_accuracy = (1 - r->overturn_rate) * 100;
    r->composite =
        inspector_composite(w, r->c_quota, r->c_timeliness, r->c_calibration, r->c_accuracy);
}

/* Rates of one row from its counts and sums (lag figures are set already). */
static void row_rates(inspector_row_t *r, const insp_acc_t *a, double all_sum, size_t all_n)
{
    size_t n = r->evaluations;
    /* A quota of 0 is a zero denominator: undefined, like no quota. */
    r->quota_attainment = r->monthly_quota > 0 ? (double)n / r->monthly_quota : NAN;
    r->calibration_mad = r->calibration_n ? a->mad_sum / (double)r->calibration_n : NAN;
    r->calibration_within = share(a->within, r->calibration_n);
    r->item_agreement = qa_rec_agreement_share(&r->items);
    r->appeal_rate = share(r->appealed, n);
    r->overturn_rate = share(r->overturned, n);
    r->mean_score = n ? a->score_sum / (double)n : NAN;
    r->severity_bias = severity_bias(a->score_sum, n, all_sum, all_n);
    r->defect_rate = share(a->defects, n);
}

/* Rates, bias and composite of every row. */
static void rows_finish(const inspector_params_t *p, inspector_result_t *out, const insp_acc_t *acc,
                        size_t all_n)
{
    double all_sum = 0;
    for (size_t i = 0; i < out->n; i++)
        all_sum += acc[i].score_sum;
    for (size_t i = 0; i < out->n; i++) {
        row_rates(&out->rows[i], &acc[i], all_sum, all_n);
        row_composite(&out->rows[i], &p->weights);
    }
}

/* One inspector while the stream runs. */
typedef struct insp_stream_acc {
    const char *inspector_id; /* interned in the stream's pool */
    bool listed, has_quota;
    double monthly_quota;
    size_t evaluations, appealed, overturned;
    size_t scored; /* evaluations given to inspector_stream_score() */
    double score_sum;
    size_t defects;
    size_t lag_n, on_time; /* evaluations with a lag, those within the target */
    size_t lag_seen;       /* lags given to inspector_stream_lag() */
    int64_t last_lag_us, median_us, p90_us;
} insp_stream_acc_t;

struct inspector_stream {
    inspector_params_t params;
    strpool_t *ids;
    strmap_t *by_id; /* interned id -> index in accs */
    insp_stream_acc_t *accs;
    size_t n, cap;
    size_t n_evals; /* the period's */
};

/* The accumulator of an inspector id, made on first sight. */
static insp_stream_acc_t *acc_of(inspector_stream_t *s, const char *inspector_id, bool *added)
{
    const char *id = strpool_intern(s->ids, inspector_id);
    int64_t *slot = strmap_put(s->by_id, id, added);
    if (*added) {
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 32;
            s->accs = xrealloc(s->accs, s->cap * sizeof *s->accs);
        }
        insp_stream_acc_t *a = &s->accs[s->n];
        memset(a, 0, sizeof *a);
        a->inspector_id = id;
        a->monthly_quota = NAN;
        *slot = (int64_t)s->n++;
    }
    return &s->accs[*slot];
}

void inspector_stream_free(inspector_stream_t *s)
{
    if (!s)
        return;
    strpool_free(s->ids);
    strmap_free(s->by_id);
    free(s->accs);
    free(s);
}

int inspector_stream_new(const inspector_params_t *params, const inspector_entry_t *list,
                         size_t n_list, inspector_stream_t **out, char *err, size_t errlen)
{
    *out = NULL;
    int rc = params_check(params, err, errlen);
    if (rc != ST_OK)
        return rc;
    inspector_stream_t *s = xcalloc(1, sizeof *s);
    s->params = *params;
    s->ids = strpool_new();
    s->by_id = strmap_new(n_list + 32);
    for (size_t i = 0; i < n_list; i++) {
        const inspector_entry_t *e = &list[i];
        bool added = false;
        if (!e->inspector_id ||
            (e->has_quota && (!isfinite(e->monthly_quota) || e->monthly_quota < 0))) {
            st_errf(err, errlen, "inspectors: row %zu has no id or a bad monthly_quota", i);
            inspector_stream_free(s);
            return ST_ERR_INVALID;
        }
        insp_stream_acc_t *a = acc_of(s, e->inspector_id, &added);
        if (!added) {
            st_errf(err, errlen, "inspectors: \"%s\" is listed twice", e->inspector_id);
            inspector_stream_free(s);
            return ST_ERR_INVALID;
        }
        a->listed = true;
        a->has_quota = e->has_quota;
        if (e->has_quota)
            a->monthly_quota = e->monthly_quota;
    }
    *out = s;
    return ST_OK;
}

/* The accumulator an evaluation goes to: NULL when it is outside the
 * period (*rc ST_OK) or bad (*rc says why, err filled). */
static insp_stream_acc_t *acc_of_eval(inspector_stream_t *s, const qa_metrics_eval_t *e, int *rc,
                                      char *err, size_t errlen)
{
    *rc = qa_metrics_eval_check(e, err, errlen);
    if (*rc != ST_OK || !qa_metrics_in_period(e, s->params.start_us, s->params.end_us))
        return NULL;
    bool added = false;
    return acc_of(s, e->inspector_id, &added);
}

int inspector_stream_count(inspector_stream_t *s, const qa_metrics_eval_t *e, char *err,
                           size_t errlen)
{
    int rc;
    insp_stream_acc_t *a = acc_of_eval(s, e, &rc, err, errlen);
    if (!a)
        return rc;
    s->n_evals++;
    a->evaluations++;
    a->defects += e->defect;
    a->appealed += e->appeal != QA_METRICS_APPEAL_NONE;
    a->overturned += e->appeal == QA_METRICS_APPEAL_OVERTURNED;
    if (e->contact_known) {
        double lag_h = (double)(e->evaluated_us - e->ended_us) / US_PER_HOUR;
        a->lag_n++;
        a->on_time += lag_h <= s->params.lag_target_h;
    }
    return ST_OK;
}

int inspector_stream_score(inspector_stream_t *s, const qa_metrics_eval_t *e, char *err,
                           size_t errlen)
{
    int rc;
    insp_stream_acc_t *a = acc_of_eval(s, e, &rc, err, errlen);
    if (!a)
        return rc;
    a->scored++;
    a->score_sum += qa_metrics_final_score(e);
    return ST_OK;
}

int inspector_stream_eval(inspector_stream_t *s, const qa_metrics_eval_t *e, char *err,
                          size_t errlen)
{
    int rc = inspector_stream_count(s, e, err, errlen);
    return rc == ST_OK ? inspector_stream_score(s, e, err, errlen) : rc;
}

int inspector_stream_lag(inspector_stream_t *s, const char *inspector_id, int64_t lag_us, char *err,
                         size_t errlen)
{
    const char *id = strpool_intern(s->ids, inspector_id);
    int64_t *slot = strmap_get(s->by_id, id);
    insp_stream_acc_t *a = slot ? &s->accs[*slot] : NULL;
    if (!a || a->lag_seen == a->lag_n || (a->lag_seen && lag_us < a->last_lag_us)) {
        st_errf(err, errlen, "inspector \"%s\": lags not in order or not those of its evaluations",
                inspector_id);
        return ST_ERR_INVALID;
    }
    size_t k = ++a->lag_seen;
    a->last_lag_us = lag_us;
    if (k == stats_percentile_rank(a->lag_n, 50))
        a->median_us = lag_us;
    if (k == stats_percentile_rank(a->lag_n, 90))
        a->p90_us = lag_us;
    return ST_OK;
}

/* qsort order of stream accumulators by id. */
static int cmp_stream_acc(const void *a, const void *b)
{
    return strcmp(((const insp_stream_acc_t *)a)->inspector_id,
                  ((const insp_stream_acc_t *)b)->inspector_id);
}

/* A row's counts and lag figures from its accumulator. */
static int row_from_acc(inspector_row_t *r, insp_acc_t *sums, const insp_stream_acc_t *a, char *err,
                        size_t errlen)
{
    if (a->scored != a->evaluations) {
        st_errf(err, errlen, "inspector \"%s\": %zu scores for %zu evaluations", a->inspector_id,
                a->scored, a->evaluations);
        return ST_ERR_INVALID;
    }
    if (a->lag_seen != a->lag_n) {
        st_errf(err, errlen, "inspector \"%s\": %zu lags for %zu evaluations with a contact",
                a->inspector_id, a->lag_seen, a->lag_n);
        return ST_ERR_INVALID;
    }
    r->inspector_id = a->inspector_id;
    r->listed = a->listed;
    r->monthly_quota = a->monthly_quota;
    r->evaluations = a->evaluations;
    r->appealed = a->appealed;
    r->overturned = a->overturned;
    r->lag_n = a->lag_n;
    r->lag_median_h = a->lag_n ? (double)a->median_us / US_PER_HOUR : NAN;
    r->lag_p90_h = a->lag_n ? (double)a->p90_us / US_PER_HOUR : NAN;
    r->on_time_rate = share(a->on_time, a->lag_n);
    sums->score_sum = a->score_sum;
    sums->defects = a->defects;
    return ST_OK;
}

int inspector_stream_finish(inspector_stream_t *s, const inspector_session_t *sessions,
                            size_t n_sessions, inspector_result_t *out, char *err, size_t errlen)
{
    insp_acc_t *acc = NULL;
    memset(out, 0, sizeof *out);
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < n_sessions; i++)
        rc = qa_rec_calibration_check(sessions[i].participants, sessions[i].n, err, errlen);
    for (size_t i = 0; rc == ST_OK && i < n_sessions; i++) {
        const inspector_session_t *se = &sessions[i];
        for (size_t j = 0; session_in_period(se, &s->params) && j < se->n; j++) {
            bool added = false;
            (void)acc_of(s, se->participants[j].inspector_id, &added);
        }
    }
    if (rc != ST_OK)
        return rc;
    if (s->n > 1) /* qsort wants an array, even of none */
        qsort(s->accs, s->n, sizeof *s->accs, cmp_stream_acc);
    out->n = s->n;
    out->rows = xcalloc(s->n + 1, sizeof *out->rows);
    acc = xcalloc(s->n + 1, sizeof *acc);
    for (size_t i = 0; rc == ST_OK && i < s->n; i++)
        rc = row_from_acc(&out->rows[i], &acc[i], &s->accs[i], err, errlen);
    for (size_t i = 0; rc == ST_OK && i < n_sessions; i++)
        if (session_in_period(&sessions[i], &s->params))
            session_metrics(&sessions[i], out, acc, s->params.tolerance_pts);
    if (rc == ST_OK)
        rows_finish(&s->params, out, acc, s->n_evals);
    free(acc);
    out->ids = s->ids; /* the rows point into it */
    s->ids = NULL;
    if (rc != ST_OK)
        inspector_result_clear(out);
    return rc;
}

/* An evaluation's lag, for inspector_compute()'s sorted second pass. */
typedef struct insp_lag {
    const char *inspector_id;
    int64_t lag_us;
} insp_lag_t;

/* qsort order of lags. */
static int cmp_lag(const void *a, const void *b)
{
    int64_t x = ((const insp_lag_t *)a)->lag_us, y = ((const insp_lag_t *)b)->lag_us;
    return (x > y) - (x < y);
}

int inspector_compute(const inspector_input_t *in, inspector_result_t *out, char *err,
                      size_t errlen)
{
    inspector_stream_t *s = NULL;
    insp_lag_t *lags = xcalloc(in->n_evals + 1, sizeof *lags);
    size_t n_lags = 0;
    memset(out, 0, sizeof *out);
    int rc = inspector_stream_new(&in->params, in->inspectors, in->n_inspectors, &s, err, errlen);
    for (size_t i = 0; rc == ST_OK && i < in->n_evals; i++) {
        const qa_metrics_eval_t *e = &in->evals[i];
        rc = inspector_stream_eval(s, e, err, errlen);
        if (e->contact_known && qa_metrics_in_period(e, in->params.start_us, in->params.end_us))
            lags[n_lags++] = (insp_lag_t){e->inspector_id, e->evaluated_us - e->ended_us};
    }
    qsort(lags, n_lags, sizeof *lags, cmp_lag);
    for (size_t i = 0; rc == ST_OK && i < n_lags; i++)
        rc = inspector_stream_lag(s, lags[i].inspector_id, lags[i].lag_us, err, errlen);
    if (rc == ST_OK)
        rc = inspector_stream_finish(s, in->sessions, in->n_sessions, out, err, errlen);
    inspector_stream_free(s);
    free(lags);
    return rc;
}

void inspector_result_clear(inspector_result_t *r)
{
    if (!r)
        return;
    free(r->rows);
    strpool_free(r->ids);
    memset(r, 0, sizeof *r);
}

size_t inspector_row_values(const inspector_row_t *r, inspector_value_t out[INSPECTOR_VALUES])
{
    const inspector_value_t v[INSPECTOR_VALUES] = {
        {"listed", r->listed ? 1 : 0, true},
        {"evaluations", (double)r->evaluations, true},
        {"monthly_quota", r->monthly_quota, false},
        {"quota_attainment", r->quota_attainment, false},
        {"lag_n", (double)r->lag_n, true},
        {"lag_median_h", r->lag_median_h, false},
        {"lag_p90_h", r->lag_p90_h, false},
        {"on_time_rate", r->on_time_rate, false},
        {"calibration_n", (double)r->calibration_n, true},
        {"calibration_mad", r->calibration_mad, false},
        {"calibration_within", r->calibration_within, false},
        {"items_compared", (double)r->items.compared, true},
        {"item_agreement", r->item_agreement, false},
        {"appealed", (double)r->appealed, true},
        {"overturned", (double)r->overturned, true},
        {"appeal_rate", r->appeal_rate, false},
        {"overturn_rate", r->overturn_rate, false},
        {"mean_score", r->mean_score, false},
        {"severity_bias", r->severity_bias, false},
        {"defect_rate", r->defect_rate, false},
        {"c_quota", r->c_quota, false},
        {"c_timeliness", r->c_timeliness, false},
        {"c_calibration", r->c_calibration, false},
        {"c_accuracy", r->c_accuracy, false},
        {"composite", r->composite, false},
    };
    memcpy(out, v, sizeof v);
    return INSPECTOR_VALUES;
}
