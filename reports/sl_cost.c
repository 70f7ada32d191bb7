/* sl_cost.c - the cost of service level (see sl_cost.h).  Pure computation. */
#include "sl_cost.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "erlang.h"
#include "status.h"
#include "xmem.h"

#define SECONDS_PER_HOUR 3600.0
#define TARGET_EPS       1e-9

/* Whether the parameters can give a curve at all. */
static bool params_ok(const sl_cost_params_t *p)
{
    return p && p->threshold_s >= 0 && !isinf(p->threshold_s) && p->shrinkage_pct >= 0 &&
           p->shrinkage_pct < 100 && !isinf(p->hour_cost) && !(p->hour_cost < 0);
}

int sl_cost_row(const sl_cost_interval_t *iv, size_t n, const sl_cost_params_t *p, double s,
                sl_cost_row_t *row)
{
    if ((n > 0 && !iv) || !row || !params_ok(p) || !(s > 0 && s < 1))
        return ST_ERR_INVALID;
    double hours = 0;
    bool undefined = false;
    for (size_t i = 0; i < n; i++) {
        const sl_cost_interval_t *v = &iv[i];
        if (!(v->offered >= 0) || isinf(v->offered) || !(v->interval_s > 0) || isinf(v->interval_s))
            return ST_ERR_INVALID;
        if (v->offered == 0)
            continue;
        double h = isnan(v->aht_s) ? p->month_aht_s : v->aht_s;
        if (isnan(h)) {
            undefined = true; /* contacts, but no handle time anywhere to size them */
            continue;
        }
        unsigned agents = 0;
        int rc = erlang_required_agents(v->offered, v->interval_s, h, p->threshold_s, s, &agents);
        if (rc != ST_OK)
            return rc;
        hours += (double)agents * v->interval_s / SECONDS_PER_HOUR;
    }
    row->target = s;
    row->hours = undefined ? NAN : hours;
    row->paid_hours = row->hours / (1.0 - p->shrinkage_pct / 100.0);
    row->cost = row->hours * p->hour_cost; /* NAN without a cost */
    row->marg_hours_pt = row->marg_paid_pt = row->marg_cost_pt = NAN;
    return ST_OK;
}

int sl_cost_curve(const sl_cost_interval_t *iv, size_t n, const sl_cost_params_t *p,
                  const double *targets, size_t n_targets, sl_cost_row_t *rows)
{
    if (!targets || !rows || n_targets > SL_COST_MAX_TARGETS)
        return ST_ERR_INVALID;
    for (size_t k = 0; k < n_targets; k++) {
        if (k > 0 && !(targets[k] > targets[k - 1]))
            return ST_ERR_INVALID;
        int rc = sl_cost_row(iv, n, p, targets[k], &rows[k]);
        if (rc != ST_OK)
            return rc;
        if (k == 0)
            continue;
        double pts = (targets[k] - targets[k - 1]) / SL_COST_POINT;
        rows[k].marg_hours_pt = (rows[k].hours - rows[k - 1].hours) / pts;
        rows[k].marg_paid_pt = (rows[k].paid_hours - rows[k - 1].paid_hours) / pts;
        rows[k].marg_cost_pt = (rows[k].cost - rows[k - 1].cost) / pts;
    }
    return ST_OK;
}

double sl_cost_handled_hours(const sl_cost_interval_t *iv, size_t n)
{
    double hours = 0;
    for (size_t i = 0; i < n; i++) {
        if (iv[i].agents < 0) {
            if (iv[i].offered > 0)
                return NAN;
            continue;
        }
        hours += (double)iv[i].agents * iv[i].interval_s / SECONDS_PER_HOUR;
    }
    return hours;
}

/* qsort order of doubles. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t sl_cost_targets_sort(double *t, size_t n)
{
    if (n == 0)
        return 0;
    qsort(t, n, sizeof *t, cmp_double);
    size_t m = 1;
    for (size_t i = 1; i < n; i++) {
        if (t[i] - t[m - 1] > TARGET_EPS)
            t[m++] = t[i];
    }
    return m;
}

size_t sl_cost_default_targets(double contract_target, double *out)
{
    size_t n = 0;
    for (int pct = 70; pct <= 95; pct += 5)
        out[n++] = pct / 100.0; /* exact decimals, not 0.70 + k x 0.05 */
    if (contract_target > 0 && contract_target < 1) {
        out[n++] = contract_target;
        /* The next point, rounded to a whole hundredth of a point so 0.80 + 0.01
         * is 0.81, not 0.8100000000000001. */
        double next = round((contract_target + SL_COST_POINT) * 1e6) / 1e6;
        if (next < 1)
            out[n++] = next;
    }
    return sl_cost_targets_sort(out, n);
}

int sl_cost_targets_parse(const char *s, double *out, size_t *n, char *err, size_t errlen)
{
    size_t k = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[32];
        if (len == 0 || len >= sizeof item) {
            st_errf(err, errlen, "%s", len ? "a target is too long" : "an empty target");
            return ST_ERR_INVALID;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        char *end = NULL;
        double v = strtod(item, &end);
        /* Decimals only: no hex, no inf/nan, no exponent surprises past (0, 1). */
        if (end != item + len || strspn(item, "0123456789.") != len || !(v > 0 && v < 1)) {
            st_errf(err, errlen, "'%s' is not a service level in (0, 1), e.g. 0.85", item);
            return ST_ERR_INVALID;
        }
        if (k == SL_COST_MAX_TARGETS) {
            st_errf(err, errlen, "more than %d targets", SL_COST_MAX_TARGETS);
            return ST_ERR_INVALID;
        }
        out[k++] = v;
        if (!comma)
            break;
        p = comma + 1;
    }
    *n = sl_cost_targets_sort(out, k);
    return ST_OK;
}

/* The interval rows of res as sl_cost intervals (a new array of
 * sla_result_count(res) entries); *with_contacts counts offered > 0. */
static sl_cost_interval_t *month_intervals(const sla_result_t *res, size_t *with_contacts)
{
    size_t n = sla_result_count(res);
    sl_cost_interval_t *iv = xcalloc(n ? n : 1, sizeof *iv);
    *with_contacts = 0;
    for (size_t i = 0; i < n; i++) {
        const sla_row_t *r = sla_result_row(res, i);
        iv[i] = (sl_cost_interval_t){.offered = (double)r->offered,
                                     .aht_s = r->answered > 0 ? r->aht_s : NAN,
                                     .interval_s = (double)(r->end_utc - r->start_utc),
                                     .agents = r->agents};
        if (r->offered > 0)
            (*with_contacts)++;
    }
    return iv;
}

int sl_cost_month(const sla_result_t *intervals, int threshold_s, double contract_target,
                  double shrinkage_pct, double hour_cost, const double *targets, size_t n_targets,
                  sl_cost_month_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const sla_row_t *month = sla_result_total(intervals);
    double t[SL_COST_MAX_TARGETS];
    if (!targets || n_targets == 0) {
        n_targets = sl_cost_default_targets(contract_target, t);
    } else {
        if (n_targets > SL_COST_MAX_TARGETS) {
            st_errf(err, errlen, "targets: more than %d", SL_COST_MAX_TARGETS);
            return ST_ERR_INVALID;
        }
        memcpy(t, targets, n_targets * sizeof *t);
    }
    out->threshold_s = threshold_s;
    out->shrinkage_pct = shrinkage_pct;
    out->hour_cost = hour_cost;
    out->contract_target = contract_target;
    out->achieved_sl = month->service_level;
    out->n = n_targets;
    sl_cost_interval_t *iv = month_intervals(intervals, &out->intervals);
    size_t n = sla_result_count(intervals);
    const sl_cost_params_t p = {.threshold_s = threshold_s,
                                .month_aht_s = month->aht_s,
                                .shrinkage_pct = shrinkage_pct,
                                .hour_cost = hour_cost};
    int rc = sl_cost_curve(iv, n, &p, t, n_targets, out->rows);
    if (rc == ST_OK && contract_target > 0 && contract_target + SL_COST_POINT < 1) {
        sl_cost_row_t at, above;
        double next = round((contract_target + SL_COST_POINT) * 1e6) / 1e6;
        if ((rc = sl_cost_row(iv, n, &p, contract_target, &at)) == ST_OK &&
            (rc = sl_cost_row(iv, n, &p, next, &above)) == ST_OK) {
            out->has_next = true;
            out->next = above;
            out->next.hours -= at.hours;
            out->next.paid_hours -= at.paid_hours;
            out->next.cost -= at.cost;
        }
    }
    out->achieved_row = (sl_cost_row_t){.target = month->service_level,
                                        .hours = NAN,
                                        .paid_hours = NAN,
                                        .cost = NAN,
                                        .marg_hours_pt = NAN,
                                        .marg_paid_pt = NAN,
                                        .marg_cost_pt = NAN};
    if (rc == ST_OK && month->service_level > 0 && month->service_level < 1)
        rc = sl_cost_row(iv, n, &p, month->service_level, &out->achieved_row);
    out->handled_hours = sl_cost_handled_hours(iv, n);
    free(iv);
    if (rc != ST_OK)
        st_errf(err, errlen, "%s",
                rc == ST_ERR_TOO_LARGE ? "an interval needs more agents than can be computed"
                                       : "targets or threshold out of range");
    return rc;
}
