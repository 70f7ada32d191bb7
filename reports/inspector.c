/* inspector.c - QA inspector performance (see inspector.h). */
#include "inspector.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "status.h"
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

/* Checks parameters, evaluations, sessions and list entries. */
static int input_check(const inspector_input_t *in, char *err, size_t errlen)
{
    int rc = params_check(&in->params, err, errlen);
    for (size_t i = 0; rc == ST_OK && i < in->n_evals; i++)
        rc = qa_metrics_eval_check(&in->evals[i], err, errlen);
    for (size_t i = 0; rc == ST_OK && i < in->n_sessions; i++)
        rc = qa_rec_calibration_check(in->sessions[i].participants, in->sessions[i].n, err, errlen);
    for (size_t i = 0; rc == ST_OK && i < in->n_inspectors; i++) {
        const inspector_entry_t *e = &in->inspectors[i];
        if (!e->inspector_id ||
            (e->has_quota && (!isfinite(e->monthly_quota) || e->monthly_quota < 0))) {
            st_errf(err, errlen, "inspectors: row %zu has no id or a bad monthly_quota", i);
            rc = ST_ERR_INVALID;
        }
    }
    return rc;
}

/* qsort order of borrowed strings. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* qsort order of evaluation pointers by inspector_id. */
static int cmp_eval_inspector(const void *a, const void *b)
{
    const qa_metrics_eval_t *x = *(const qa_metrics_eval_t *const *)a;
    const qa_metrics_eval_t *y = *(const qa_metrics_eval_t *const *)b;
    return strcmp(x->inspector_id, y->inspector_id);
}

/* Whether a session belongs to the period. */
static bool session_in_period(const inspector_session_t *s, const inspector_params_t *p)
{
    return s->evaluated_us >= p->start_us && s->evaluated_us < p->end_us;
}

/* Pointers to the period's evaluations, sorted by inspector; *n their count. */
static const qa_metrics_eval_t **period_evals(const inspector_input_t *in, size_t *n)
{
    const qa_metrics_eval_t **v = xcalloc(in->n_evals + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < in->n_evals; i++) {
        if (qa_metrics_in_period(&in->evals[i], in->params.start_us, in->params.end_us))
            v[k++] = &in->evals[i];
    }
    qsort(v, k, sizeof *v, cmp_eval_inspector);
    *n = k;
    return v;
}

/* Number of participants of the period's sessions. */
static size_t period_participants(const inspector_input_t *in)
{
    size_t n = 0;
    for (size_t i = 0; i < in->n_sessions; i++) {
        if (session_in_period(&in->sessions[i], &in->params))
            n += in->sessions[i].n;
    }
    return n;
}

/*
 * The sorted distinct inspector ids of the list, the period's evaluations
 * and the period's calibration participants.  ST_ERR_INVALID when the list
 * repeats an id.
 */
static int inspector_keys(const inspector_input_t *in, const qa_metrics_eval_t **ev, size_t n_ev,
                          const char ***keys, size_t *n_keys, char *err, size_t errlen)
{
    size_t cap = in->n_inspectors + n_ev + period_participants(in);
    const char **k = xcalloc(cap + 1, sizeof *k);
    size_t m = 0;
    for (size_t i = 0; i < in->n_inspectors; i++)
        k[m++] = in->inspectors[i].inspector_id;
    qsort(k, m, sizeof *k, cmp_str);
    for (size_t i = 1; i < m; i++) {
        if (strcmp(k[i - 1], k[i]) == 0) {
            st_errf(err, errlen, "inspectors: \"%s\" is listed twice", k[i]);
            free(k);
            return ST_ERR_INVALID;
        }
    }
    for (size_t i = 0; i < n_ev; i++)
        k[m++] = ev[i]->inspector_id;
    for (size_t i = 0; i < in->n_sessions; i++) {
        const inspector_session_t *s = &in->sessions[i];
        for (size_t j = 0; session_in_period(s, &in->params) && j < s->n; j++)
            k[m++] = s->participants[j].inspector_id;
    }
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

/* The row of an inspector id (always present among the keys). */
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

/* Empty rows for the keys, with the list's quotas. */
static void rows_init(const inspector_input_t *in, inspector_result_t *out, const char **keys)
{
    for (size_t i = 0; i < out->n; i++) {
        inspector_row_t *r = &out->rows[i];
        r->inspector_id = keys[i];
        r->monthly_quota = NAN;
    }
    for (size_t i = 0; i < in->n_inspectors; i++) {
        inspector_row_t *r = row_of(out, in->inspectors[i].inspector_id);
        r->listed = true;
        if (in->inspectors[i].has_quota)
            r->monthly_quota = in->inspectors[i].monthly_quota;
    }
}

/*
 * Lag figures of one inspector's evaluations ev[0..n): `lags` is scratch
 * of at least n doubles.
 */
static void lag_metrics(inspector_row_t *r, const qa_metrics_eval_t **ev, size_t n, double *lags,
                        double target_h)
{
    size_t k = 0, on_time = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ev[i]->contact_known)
            continue;
        lags[k] = (double)(ev[i]->evaluated_us - ev[i]->ended_us) / US_PER_HOUR;
        on_time += lags[k] <= target_h;
        k++;
    }
    stats_sort(lags, k);
    r->lag_n = k;
    r->lag_median_h = stats_percentile_sorted(lags, k, 50);
    r->lag_p90_h = stats_percentile_sorted(lags, k, 90);
    r->on_time_rate = share(on_time, k);
}

/* Counts of one inspector's evaluations ev[0..n) into the row and sums. */
static void eval_counts(inspector_row_t *r, insp_acc_t *a, const qa_metrics_eval_t **ev, size_t n)
{
    r->evaluations = n;
    for (size_t i = 0; i < n; i++) {
        a->score_sum += qa_metrics_final_score(ev[i]);
        a->defects += ev[i]->defect;
        r->appealed += ev[i]->appeal != QA_METRICS_APPEAL_NONE;
        r->overturned += ev[i]->appeal == QA_METRICS_APPEAL_OVERTURNED;
    }
}

/* Walks the period's evaluations (sorted by inspector) run by run. */
static void eval_metrics(const inspector_input_t *in, const qa_metrics_eval_t **ev, size_t n_ev,
                         inspector_result_t *out, insp_acc_t *acc)
{
    double *lags = xcalloc(n_ev + 1, sizeof *lags);
    for (size_t i = 0; i < n_ev;) {
        size_t j = i;
        while (j < n_ev && strcmp(ev[j]->inspector_id, ev[i]->inspector_id) == 0)
            j++;
        inspector_row_t *r = row_of(out, ev[i]->inspector_id);
        eval_counts(r, &acc[r - out->rows], ev + i, j - i);
        lag_metrics(r, ev + i, j - i, lags, in->params.lag_target_h);
        i = j;
    }
    free(lags);
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

/* Every row's figures that have no data start undefined. */
static void rows_undefined(inspector_result_t *out)
{
    for (size_t i = 0; i < out->n; i++) {
        out->rows[i].lag_median_h = NAN;
        out->rows[i].lag_p90_h = NAN;
        out->rows[i].on_time_rate = NAN;
    }
}

int inspector_compute(const inspector_input_t *in, inspector_result_t *out, char *err,
                      size_t errlen)
{
    const qa_metrics_eval_t **ev = NULL;
    const char **keys = NULL;
    insp_acc_t *acc = NULL;
    size_t n_ev = 0;
    memset(out, 0, sizeof *out);
    int rc = input_check(in, err, errlen);
    if (rc != ST_OK)
        goto fail;
    ev = period_evals(in, &n_ev);
    rc = inspector_keys(in, ev, n_ev, &keys, &out->n, err, errlen);
    if (rc != ST_OK)
        goto fail;
    out->rows = xcalloc(out->n + 1, sizeof *out->rows);
    acc = xcalloc(out->n + 1, sizeof *acc);
    rows_init(in, out, keys);
    rows_undefined(out);
    eval_metrics(in, ev, n_ev, out, acc);
    for (size_t i = 0; i < in->n_sessions; i++) {
        if (session_in_period(&in->sessions[i], &in->params))
            session_metrics(&in->sessions[i], out, acc, in->params.tolerance_pts);
    }
    rows_finish(&in->params, out, acc, n_ev);
    free(acc);
    free(keys);
    free(ev);
    return ST_OK;
fail:
    free(acc);
    free(keys);
    free(ev);
    inspector_result_clear(out);
    return rc;
}

void inspector_result_clear(inspector_result_t *r)
{
    if (!r)
        return;
    free(r->rows);
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
