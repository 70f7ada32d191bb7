/*
 * sla.c - grouping, the contact-only metrics and the result of the queue
 * metrics (see sla.h).
 *
 * One computation ("run"): build the period's calendar; place every input
 * row in its interval (or drop it: outside the period or another queue);
 * give it a group; bucket the rows by group (counting sort).  Every row of
 * the result is then computed from its bucket alone, and the time rows'
 * interval compliance and the Erlang column from per-interval sums.  Both
 * input paths share all of this; they differ only in how one row is added
 * to sla_sums_t (sla_sums.c) and in the contact-only metrics.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erlang.h"
#include "sla_int.h"
#include "stats.h"
#include "status.h"
#include "strmap.h"
#include "xmem.h"

struct sla_result {
    sla_row_t *rows;
    size_t n;
    sla_row_t total;
};

/* The state of one computation; arrays are owned by it. */
typedef struct sla_run {
    const sla_params_t *p;
    sla_by_t by;
    const sla_contact_t *c; /* exactly one of c and ru is set */
    const sla_rollup_t *ru;
    size_t n;
    sla_cal_t cal;
    int32_t *iv;        /* per input row: interval, -1 when left out */
    int32_t *gid;       /* per input row: group, -1 when left out */
    const char **names; /* queue or agent groups, sorted; borrowed strings */
    size_t ngroup;
    size_t *goff, *gord; /* rows of group g: gord[goff[g] .. goff[g + 1]) */
    sla_sums_t *iv_sums; /* per interval, all groups together */
    double *month_aht;   /* per month of the calendar */
    uint8_t *repeat;     /* contacts path: FCR repeat flag per row */
    bool repeat_given;   /* repeat is the caller's (computed once for many runs) */
    double *scratch;     /* waits of one group, for the percentile */
    /* Rollups with detail (sla_compute_rollups_many): */
    bool want_detail;       /* the caller reads the detail of rows that have it */
    bool detail;            /* every placed row has its detail */
    sla_by_t day_rows;      /* ru are SLA_BY_AGENT or SLA_BY_REASON rows (one per key and
                               local day), else SLA_BY_MONTH: slot rows */
    const sla_rollup_t *ag; /* agent rows for the interval's distinct agents, or NULL */
    size_t nag;
    int64_t *iv_agents;  /* per interval: distinct agents (from ag) */
    const int64_t *wmax; /* per input row: its longest wait that counts, -1: none (prepared) */
    bool checked;        /* the rows' detail was checked already (rollups_prepare) */
    bool no_total;       /* the caller fills the total row */
    int64_t *dense;      /* answered waits of one group below DENSE_WAITS */
    size_t dense_hi;     /* dense[0 .. dense_hi) may be non-zero */
    ihist_t sparse;      /* ... and from DENSE_WAITS up */
} sla_run_t;

#define DENSE_WAITS 4096 /* waits (s) counted in a plain array; longer ones in a histogram */

void sla_params_default(sla_params_t *p, const tz_t *tz)
{
    memset(p, 0, sizeof *p);
    p->tz = tz;
    p->sl_threshold_s = 20;
    p->sl_formula = SLA_SL_OFFERED;
    p->short_abandon_s = 5;
    p->interval_min = 30;
    p->fcr_method = SLA_FCR_REPEAT;
    p->fcr_window_h = 72;
    p->csat_good_min = 4;
    p->sl_target = NAN;
}

void sla_period_month(sla_period_t *pd, int y, int m)
{
    pd->from_y = pd->to_y = y;
    pd->from_m = pd->to_m = m;
    pd->from_d = 1;
    pd->to_d = tz_days_in_month(y, m);
}

/* "YYYY-MM-DD" (*d set) or "YYYY-MM" (*d = 0), within the years tz handles. */
static bool date_parse(const char *s, int *y, int *m, int *d)
{
    char tail;
    *d = 0;
    if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) == 3)
        return tz_date_valid(*y, *m, *d);
    if (strlen(s) == 7 && sscanf(s, "%4d-%2d%c", y, m, &tail) == 2)
        return *y >= 1970 && *y <= 2199 && *m >= 1 && *m <= 12;
    return false;
}

int sla_period_parse(const char *from, const char *to, sla_period_t *out, char *err, size_t errlen)
{
    int fy, fm, fd, ty, tm, td;
    if (!from || !date_parse(from, &fy, &fm, &fd)) {
        st_errf(err, errlen, "from: a local date YYYY-MM-DD or a month YYYY-MM");
        return ST_ERR_INVALID;
    }
    if (!to || !date_parse(to, &ty, &tm, &td)) {
        st_errf(err, errlen, "to: a local date YYYY-MM-DD or a month YYYY-MM");
        return ST_ERR_INVALID;
    }
    sla_period_t p = {fy, fm, fd ? fd : 1, ty, tm, td ? td : tz_days_in_month(ty, tm)};
    if (tz_days_from_civil(p.to_y, p.to_m, p.to_d) <
        tz_days_from_civil(p.from_y, p.from_m, p.from_d)) {
        st_errf(err, errlen, "to is before from");
        return ST_ERR_INVALID;
    }
    *out = p;
    return ST_OK;
}

/* The groupings' names, indexed by sla_by_t. */
static const char *const by_names[] = {
    [SLA_BY_MONTH] = "month", [SLA_BY_DAY] = "day",     [SLA_BY_INTERVAL] = "interval",
    [SLA_BY_QUEUE] = "queue", [SLA_BY_AGENT] = "agent", [SLA_BY_REASON] = "reason"};

int sla_by_parse(const char *s, size_t len, sla_by_t *out)
{
    for (size_t i = 0; i < sizeof by_names / sizeof by_names[0]; i++)
        if (strlen(by_names[i]) == len && strncmp(s, by_names[i], len) == 0) {
            *out = (sla_by_t)i;
            return ST_OK;
        }
    return ST_ERR_INVALID;
}

const char *sla_by_name(sla_by_t by)
{
    return (size_t)by < sizeof by_names / sizeof by_names[0] ? by_names[by] : NULL;
}

/* Checks the parameters against the ranges in sla.h. */
static int params_check(const sla_params_t *p, char *err, size_t errlen)
{
    const char *why = NULL;
    if (!p->tz)
        why = "no time zone";
    else if (p->sl_threshold_s < 0 || p->short_abandon_s < 0)
        why = "negative threshold";
    else if ((unsigned)p->sl_formula > SLA_SL_ABANDON_POSITIVE)
        why = "unknown sl_formula";
    else if (p->interval_min != 15 && p->interval_min != 30 && p->interval_min != 60)
        why = "interval_min must be 15, 30 or 60";
    else if ((unsigned)p->fcr_method > SLA_FCR_DISPOSITION)
        why = "unknown fcr_method";
    else if (p->fcr_window_h < 0 || p->fcr_window_h > 24 * 366)
        why = "fcr_window_h out of range";
    else if (p->csat_good_min < 1 || p->csat_good_min > 5)
        why = "csat_good_min must be 1..5";
    else if (!isnan(p->sl_target) && !(p->sl_target >= 0 && p->sl_target <= 1))
        why = "sl_target must be in [0, 1]";
    for (int d = 0; !why && p->has_hours && d < 7; d++) {
        const sla_hours_t *h = &p->hours[d];
        if (h->open_min < 0 || h->open_min > h->close_min || h->close_min > 1440)
            why = "business hours out of range";
    }
    if (!why)
        return ST_OK;
    st_errf(err, errlen, "parameters: %s", why);
    return ST_ERR_INVALID;
}

/* Checks one contact row against the rules of sla_contact_t. */
static int contact_check(const sla_contact_t *c, size_t i, char *err, size_t errlen)
{
    const char *why = NULL;
    if (!c->queue || !c->agent || !c->customer_id)
        why = "NULL string";
    else if (c->outcome < SLA_ANSWERED || c->outcome > SLA_OVERFLOW)
        why = "unknown outcome";
    else if (c->wait_s < 0 || c->talk_s < 0 || c->hold_s < 0 || c->acw_s < 0)
        why = "negative duration";
    else if (c->transferred < 0 || c->transferred > 1 || c->resolved < -1 || c->resolved > 1)
        why = "transferred or resolved out of range";
    else if (c->csat < 0 || c->csat > 5)
        why = "csat out of range";
    if (!why)
        return ST_OK;
    st_errf(err, errlen, "contact %zu: %s", i, why);
    return ST_ERR_INVALID;
}

/* Checks one rollup row that falls in the period. */
static int rollup_check_row(const sla_rollup_t *r, const sla_params_t *p, size_t i, char *err,
                            size_t errlen)
{
    const char *why = NULL;
    if (!r->queue && !r->agent && !r->reason)
        why = "NULL queue";
    else if (r->sl_threshold_s != p->sl_threshold_s || r->short_abandon_s != p->short_abandon_s)
        why = "built with other thresholds (rebuild the month's rollups)";
    else if (r->answered_n < 0 || r->answered_within_n < 0 || r->answered_wait_sum < 0 ||
             r->abandoned_wait_sum < 0 || r->abandoned_within_n < 0 || r->short_abandoned_n < 0 ||
             r->short_wait_sum < 0 || r->overflow_n < 0 || r->talk_sum < 0 || r->hold_sum < 0 ||
             r->acw_sum < 0 || r->transferred_n < 0 || r->abandoned_n < r->short_abandoned_n)
        why = "negative count";
    if (!why)
        return ST_OK;
    st_errf(err, errlen, "rollup %zu: %s", i, why);
    return ST_ERR_INVALID;
}

/* The queue of input row k. */
static const char *row_queue(const sla_run_t *r, size_t k)
{
    return r->c ? r->c[k].queue : r->ru[k].queue;
}

/* The group-by string of input row k (queue, agent or reason). */
static const char *row_name(const sla_run_t *r, size_t k)
{
    if (r->by == SLA_BY_REASON && r->ru) /* reason rows (run() refuses others) */
        return r->ru[k].reason;
    if (r->by == SLA_BY_REASON)
        return r->c[k].reason ? r->c[k].reason : "";
    if (r->by != SLA_BY_AGENT)
        return row_queue(r, k);
    return r->c ? r->c[k].agent : r->ru[k].agent;
}

/* Adds input row k to s. */
static void row_add(const sla_run_t *r, size_t k, sla_sums_t *s)
{
    if (r->c)
        sla_sums_add_contact(s, &r->c[k], r->p);
    else
        sla_sums_add_rollup(s, &r->ru[k]);
}

/* The sums of one encoded histogram: every count, those of values <= le
 * and of values < lt, and the matching sums of value x count.  false when
 * the encoding is malformed. */
typedef struct hist_sums {
    int64_t n, sum, n_le, n_lt, sum_lt, n_mid, max;
} hist_sums_t;
static bool hist_sums(ihist_view_t v, int64_t lt, int64_t le, hist_sums_t *h)
{
    ihist_iter_t it;
    int64_t x, c;
    memset(h, 0, sizeof *h);
    h->max = -1;
    ihist_iter_init(&it, v);
    while (ihist_iter_next(&it, &x, &c)) {
        h->n += c;
        h->sum += x * c;
        h->n_le += x <= le ? c : 0;
        h->n_lt += x < lt ? c : 0;
        h->sum_lt += x < lt ? x * c : 0;
        h->n_mid += x >= lt && x <= le ? c : 0;
        h->max = x;
    }
    return !it.bad;
}

/* Checks the detail of rollup row i (placed in the period) against its own
 * counts: the histograms must hold exactly the contacts the counts count. */
static int rollup_check_detail(const sla_rollup_t *r, bool agent, size_t i, char *err,
                               size_t errlen)
{
    hist_sums_t a, b, o, sl;
    const char *why = NULL;
    int64_t offered = r->answered_n + r->abandoned_n + r->overflow_n, csat = 0;
    for (int k = 0; k < 5; k++) {
        csat += r->csat_n[k];
        if (r->csat_n[k] < 0)
            why = "negative count";
    }
    if (!hist_sums(r->waits[SLA_WAIT_ANSWERED], 0, r->sl_threshold_s, &a) ||
        !hist_sums(r->waits[SLA_WAIT_ABANDONED], r->short_abandon_s, r->sl_threshold_s, &b) ||
        !hist_sums(r->waits[SLA_WAIT_OVERFLOW], 0, 0, &o) ||
        (agent && !hist_sums(r->slots, 0, 0, &sl)))
        why = "malformed wait histogram";
    else if (a.n != r->answered_n || a.sum != r->answered_wait_sum ||
             a.n_le != r->answered_within_n || b.n != r->abandoned_n ||
             b.sum != r->abandoned_wait_sum || b.n_lt != r->short_abandoned_n ||
             b.sum_lt != r->short_wait_sum || b.n_mid != r->abandoned_within_n ||
             o.n != r->overflow_n || o.sum != r->overflow_wait_sum || (agent && sl.n != offered))
        why = "histograms and counts disagree";
    else if (r->fcr_repeat_n < 0 || r->fcr_repeat_n > r->fcr_base_n ||
             r->fcr_base_n > r->answered_n || r->resolved_n < 0 ||
             r->resolved_n > r->resolved_base_n || r->resolved_base_n > r->answered_n ||
             csat > offered)
        why = "FCR or survey counts out of range";
    if (!why)
        return ST_OK;
    st_errf(err, errlen, "rollup %zu: %s (run slattest check rollups)", i, why);
    return ST_ERR_INVALID;
}

/* The key of a rollup row of the run's kind (NULL: missing). */
static const char *rollup_key(const sla_run_t *r, size_t k)
{
    return r->day_rows == SLA_BY_AGENT    ? r->ru[k].agent
           : r->day_rows == SLA_BY_REASON ? r->ru[k].reason
                                          : r->ru[k].queue;
}

/* Places every input row in its interval (-1: left out) and checks it. */
static int run_place(sla_run_t *r, char *err, size_t errlen)
{
    r->iv = xmalloc((r->n ? r->n : 1) * sizeof *r->iv);
    for (size_t k = 0; k < r->n; k++) {
        int rc = r->c ? contact_check(&r->c[k], k, err, errlen) : ST_OK;
        if (rc != ST_OK)
            return rc;
        r->iv[k] = -1;
        if (r->ru && !rollup_key(r, k)) {
            st_errf(err, errlen, "rollup %zu: NULL %s", k,
                    r->day_rows == SLA_BY_MONTH ? "queue" : sla_by_name(r->day_rows));
            return ST_ERR_INVALID;
        }
        if (r->p->queue && strcmp(row_queue(r, k), r->p->queue) != 0)
            continue;
        int64_t us = r->c ? r->c[k].offered_us : r->ru[k].slot_us;
        long i = sla_cal_find(&r->cal, sla_us_to_s(us));
        if (i >= 0 && r->ru && (rc = rollup_check_row(&r->ru[k], r->p, k, err, errlen)) != ST_OK)
            return rc;
        if (i >= 0 && r->ru && r->want_detail && r->ru[k].has_detail && !r->checked &&
            (rc = rollup_check_detail(&r->ru[k], r->day_rows == SLA_BY_AGENT, k, err, errlen)) !=
                ST_OK)
            return rc;
        if (i >= 0 && r->ru && r->want_detail && r->ru[k].has_detail &&
            r->p->fcr_method == SLA_FCR_REPEAT && r->ru[k].fcr_window_h != r->p->fcr_window_h) {
            st_errf(err, errlen, "rollup %zu: built with another FCR window (rebuild the rollups)",
                    k);
            return ST_ERR_INVALID;
        }
        if (i >= 0 && r->ru && !r->ru[k].has_detail)
            r->detail = false;
        /* A row that counts nothing (emptied by corrections: its queue,
         * agent or reason moved) makes no group, as with contacts. */
        if (i >= 0 && r->ru && r->day_rows != SLA_BY_MONTH &&
            r->ru[k].answered_n + r->ru[k].abandoned_n + r->ru[k].overflow_n == 0)
            i = -1;
        r->iv[k] = (int32_t)i;
    }
    return ST_OK;
}

/* qsort order of group names. */
static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The queue or agent groups: the distinct names of the placed rows, sorted
 * into r->names, and each placed row's group into r->gid.  Names are
 * gathered in a map (strmap.h), so only the distinct ones are sorted.
 */
static void run_names(sla_run_t *r)
{
    strmap_t *map = strmap_new(64);
    for (size_t k = 0; k < r->n; k++) {
        bool added;
        if (r->iv[k] >= 0)
            strmap_put(map, row_name(r, k), &added);
    }
    r->ngroup = strmap_count(map);
    r->names = xmalloc((r->ngroup ? r->ngroup : 1) * sizeof *r->names);
    size_t u = 0;
    for (size_t i = 0; i < strmap_capacity(map); i++) {
        int64_t unused;
        if (strmap_slot(map, i, &r->names[u], &unused))
            u++;
    }
    qsort(r->names, r->ngroup, sizeof *r->names, name_cmp);
    for (size_t g = 0; g < r->ngroup; g++)
        *strmap_get(map, r->names[g]) = (int64_t)g;
    for (size_t k = 0; k < r->n; k++)
        r->gid[k] = r->iv[k] >= 0 ? (int32_t)*strmap_get(map, row_name(r, k)) : -1;
    strmap_free(map);
}

/* The group of placed row k in a time grouping. */
static int32_t row_group(const sla_run_t *r, size_t k)
{
    int32_t i = r->iv[k];
    switch (r->by) {
    case SLA_BY_MONTH:
        return r->cal.iv[i].month;
    case SLA_BY_DAY:
        return r->cal.iv[i].day;
    case SLA_BY_INTERVAL:
    case SLA_BY_QUEUE:
    case SLA_BY_AGENT:
    case SLA_BY_REASON:
        break;
    }
    return i;
}

/* Gives every placed row its group and buckets the rows by group. */
static void run_group(sla_run_t *r)
{
    bool named = r->by == SLA_BY_QUEUE || r->by == SLA_BY_AGENT || r->by == SLA_BY_REASON;
    r->gid = xmalloc((r->n ? r->n : 1) * sizeof *r->gid);
    if (named)
        run_names(r);
    else
        r->ngroup = r->by == SLA_BY_MONTH ? r->cal.nmonth
                    : r->by == SLA_BY_DAY ? r->cal.nday
                                          : r->cal.niv;
    r->goff = xcalloc(r->ngroup + 1, sizeof *r->goff);
    for (size_t k = 0; k < r->n; k++) {
        if (!named)
            r->gid[k] = r->iv[k] >= 0 ? row_group(r, k) : -1;
        if (r->gid[k] >= 0)
            r->goff[r->gid[k] + 1]++;
    }
    for (size_t g = 0; g < r->ngroup; g++)
        r->goff[g + 1] += r->goff[g];
    r->gord = xmalloc((r->goff[r->ngroup] ? r->goff[r->ngroup] : 1) * sizeof *r->gord);
    size_t *fill = xmemdup(r->goff, (r->ngroup + 1) * sizeof *fill);
    for (size_t k = 0; k < r->n; k++)
        if (r->gid[k] >= 0)
            r->gord[fill[r->gid[k]]++] = k;
    free(fill);
}

/* Per-interval sums (for compliance and Erlang) and each month's AHT (the
 * Erlang fallback for an interval without answered contacts). */
static void run_interval_sums(sla_run_t *r)
{
    r->iv_sums = xcalloc(r->cal.niv ? r->cal.niv : 1, sizeof *r->iv_sums);
    for (size_t k = 0; k < r->n; k++)
        if (r->iv[k] >= 0)
            row_add(r, k, &r->iv_sums[r->iv[k]]);
    r->month_aht = xcalloc(r->cal.nmonth, sizeof *r->month_aht);
    for (size_t m = 0; m < r->cal.nmonth; m++) {
        sla_sums_t s = {0};
        const sla_cal_span_t *sp = &r->cal.month[m];
        for (size_t i = sp->iv0; i < sp->iv0 + sp->niv; i++)
            sla_sums_add(&s, &r->iv_sums[i]);
        r->month_aht[m] = sla_ratio(s.handle, s.answered);
    }
}

/* Interval compliance over intervals [i0, i1) of sums into row. */
static void row_compliance(const sla_run_t *r, const sla_sums_t *sums, size_t i0, size_t i1,
                           sla_row_t *row)
{
    if (isnan(r->p->sl_target))
        return;
    for (size_t i = i0; i < i1; i++) {
        const sla_sums_t *s = &sums[i];
        int64_t offered = sla_sums_offered(s);
        if (!r->cal.iv[i].business || offered == 0)
            continue;
        double sl = sla_service_level(r->p->sl_formula, offered, s->answered, s->answered_within,
                                      s->abandoned_within);
        row->compliance_intervals++;
        row->compliance_met += !isnan(sl) && sl >= r->p->sl_target;
    }
    row->interval_compliance = sla_ratio(row->compliance_met, row->compliance_intervals);
}

/* Compliance of a queue group: its own per-interval sums. */
static void row_compliance_group(const sla_run_t *r, const size_t *idx, size_t m, sla_row_t *row)
{
    if (isnan(r->p->sl_target))
        return;
    sla_sums_t *s = xcalloc(r->cal.niv ? r->cal.niv : 1, sizeof *s);
    for (size_t j = 0; j < m; j++)
        row_add(r, idx[j], &s[r->iv[idx[j]]]);
    row_compliance(r, s, 0, r->cal.niv, row);
    free(s);
}

/* The contact-only metrics of rows idx[0..m): waits, FCR, CSAT. */
static void row_contact_metrics(const sla_run_t *r, const size_t *idx, size_t m, int64_t end_utc,
                                sla_row_t *row)
{
    const sla_params_t *p = r->p;
    int64_t max_wait = -1, csat_sum = 0;
    size_t nw = 0;
    for (size_t j = 0; j < m; j++) {
        const sla_contact_t *c = &r->c[idx[j]];
        bool is_short = c->outcome == SLA_ABANDONED && c->wait_s < p->short_abandon_s;
        if (!is_short && c->wait_s > max_wait)
            max_wait = c->wait_s;
        if (c->outcome == SLA_ANSWERED)
            r->scratch[nw++] = c->wait_s;
        if (p->fcr_method == SLA_FCR_REPEAT && c->outcome == SLA_ANSWERED && c->customer_id[0]) {
            row->fcr_base++;
            row->fcr_resolved += !r->repeat[idx[j]];
        } else if (p->fcr_method == SLA_FCR_DISPOSITION && c->outcome == SLA_ANSWERED &&
                   c->resolved >= 0) {
            row->fcr_base++;
            row->fcr_resolved += c->resolved == 1;
        }
        if (c->csat > 0) {
            row->csat_n++;
            row->csat_good += c->csat >= p->csat_good_min;
            csat_sum += c->csat;
        }
    }
    row->max_wait_s = max_wait >= 0 ? (double)max_wait : NAN;
    row->wait_p90_s = stats_percentile_select(r->scratch, nw, 90);
    row->fcr = sla_ratio(row->fcr_resolved, row->fcr_base);
    row->fcr_provisional = p->fcr_method == SLA_FCR_REPEAT &&
                           p->generated_us < (end_utc + (int64_t)p->fcr_window_h * 3600) * 1000000;
    row->csat = sla_ratio(row->csat_good, row->csat_n);
    row->csat_mean = sla_ratio(csat_sum, row->csat_n);
}

/* Adds one encoded histogram of answered waits to the group's counts. */
static void waits_add(sla_run_t *r, ihist_view_t v)
{
    ihist_iter_t it;
    int64_t x, c;
    ihist_iter_init(&it, v);
    while (ihist_iter_next(&it, &x, &c)) {
        if (x < DENSE_WAITS) {
            r->dense[x] += c;
            if ((size_t)x >= r->dense_hi)
                r->dense_hi = (size_t)x + 1;
        } else {
            ihist_add(&r->sparse, x, c);
        }
    }
}

/* The k-th smallest (1-based) of the group's answered waits; empties them. */
static double waits_kth(sla_run_t *r, int64_t k)
{
    double v = NAN;
    for (size_t x = 0; x < r->dense_hi; x++) {
        if (isnan(v) && k > 0 && r->dense[x] >= k)
            v = (double)x;
        k -= r->dense[x];
        r->dense[x] = 0;
    }
    for (size_t j = 0; j < r->sparse.n; j++) {
        if (isnan(v) && k > 0 && r->sparse.p[j].count >= k)
            v = (double)r->sparse.p[j].value;
        k -= r->sparse.p[j].count;
    }
    r->dense_hi = 0;
    ihist_clear(&r->sparse);
    return v;
}

/* The largest value of an encoding that is >= from, or -1. */
static int64_t waits_max(ihist_view_t v, int64_t from)
{
    ihist_iter_t it;
    int64_t x, c, m = -1;
    ihist_iter_init(&it, v);
    while (ihist_iter_next(&it, &x, &c))
        if (x >= from)
            m = x;
    return m;
}

/* A rollup row's longest wait that counts for max_wait_s (short abandons
 * do not), -1 when none. */
static int64_t row_max_wait(const sla_rollup_t *u, const sla_params_t *p)
{
    int64_t w[3] = {waits_max(u->waits[SLA_WAIT_ANSWERED], 0),
                    waits_max(u->waits[SLA_WAIT_ABANDONED], p->short_abandon_s),
                    waits_max(u->waits[SLA_WAIT_OVERFLOW], 0)};
    int64_t m = -1;
    for (int k = 0; k < 3; k++)
        m = w[k] > m ? w[k] : m;
    return m;
}

/* The contact-only metrics of rollup rows idx[0..m) from their detail:
 * the same numbers as row_contact_metrics() gives from the contacts. */
static void row_rollup_metrics(sla_run_t *r, const size_t *idx, size_t m, int64_t end_utc,
                               sla_row_t *row)
{
    const sla_params_t *p = r->p;
    int64_t max_wait = -1, csat_sum = 0, answered = 0;
    for (size_t j = 0; j < m; j++) {
        const sla_rollup_t *u = &r->ru[idx[j]];
        waits_add(r, u->waits[SLA_WAIT_ANSWERED]);
        answered += u->answered_n;
        int64_t w = r->wmax ? r->wmax[idx[j]] : row_max_wait(u, p);
        max_wait = w > max_wait ? w : max_wait;
        if (p->fcr_method == SLA_FCR_REPEAT) {
            row->fcr_base += u->fcr_base_n;
            row->fcr_resolved += u->fcr_base_n - u->fcr_repeat_n;
        } else {
            row->fcr_base += u->resolved_base_n;
            row->fcr_resolved += u->resolved_n;
        }
        for (int s = 1; s <= 5; s++) {
            row->csat_n += u->csat_n[s - 1];
            row->csat_good += s >= p->csat_good_min ? u->csat_n[s - 1] : 0;
            csat_sum += s * u->csat_n[s - 1];
        }
    }
    row->max_wait_s = max_wait >= 0 ? (double)max_wait : NAN;
    row->wait_p90_s = waits_kth(r, (int64_t)stats_percentile_rank((size_t)answered, 90));
    row->fcr = sla_ratio(row->fcr_resolved, row->fcr_base);
    row->fcr_provisional = p->fcr_method == SLA_FCR_REPEAT &&
                           p->generated_us < (end_utc + (int64_t)p->fcr_window_h * 3600) * 1000000;
    row->csat = sla_ratio(row->csat_good, row->csat_n);
    row->csat_mean = sla_ratio(csat_sum, row->csat_n);
}

/* Each interval's distinct agents from the agent rows' slots. */
static int run_interval_agents(sla_run_t *r, char *err, size_t errlen)
{
    r->iv_agents = xcalloc(r->cal.niv ? r->cal.niv : 1, sizeof *r->iv_agents);
    for (size_t k = 0; k < r->nag; k++) {
        const sla_rollup_t *a = &r->ag[k];
        if (!a->agent) {
            st_errf(err, errlen, "agent rollup %zu: NULL agent", k);
            return ST_ERR_INVALID;
        }
        if (a->agent[0] == '\0')
            continue; /* contacts no agent handled */
        ihist_iter_t it;
        int64_t x, c;
        long last = -1;
        ihist_iter_init(&it, a->slots);
        while (ihist_iter_next(&it, &x, &c)) {
            long i = sla_cal_find(&r->cal, sla_us_to_s(a->slot_us) + x * 900);
            if (i >= 0 && i != last)
                r->iv_agents[i]++;
            last = i;
        }
        if (it.bad) {
            st_errf(err, errlen, "agent rollup %zu: malformed slots", k);
            return ST_ERR_INVALID;
        }
    }
    return ST_OK;
}

/* Sets every double of row to NAN (undefined until computed). */
static void row_init(sla_row_t *row)
{
    memset(row, 0, sizeof *row);
    row->index = -1;
    row->service_level = row->asa_s = row->avg_abandon_s = row->max_wait_s = NAN;
    row->wait_p90_s = row->abandon_rate = row->answer_rate = row->aht_s = NAN;
    row->transfer_rate = row->fcr = row->csat = row->csat_mean = NAN;
    row->interval_compliance = row->required_agents = NAN;
    row->agents = -1;
}

/* The distinct agent ids (not "") among rows idx[0..m). */
static int64_t distinct_agents(const sla_run_t *r, const size_t *idx, size_t m)
{
    strmap_t *seen = strmap_new(16);
    for (size_t j = 0; j < m; j++) {
        const char *a = r->c[idx[j]].agent;
        bool added;
        if (a[0])
            strmap_put(seen, a, &added);
    }
    int64_t n = (int64_t)strmap_count(seen);
    strmap_free(seen);
    return n;
}

/* The key and time fields of a day or month row. */
static void row_span(sla_row_t *row, const sla_cal_span_t *sp, bool month)
{
    row->year = sp->y;
    row->month = sp->m;
    row->day = sp->d;
    row->start_utc = sp->start;
    row->end_utc = sp->end;
    if (month)
        snprintf(row->key, sizeof row->key, "%04d-%02d", sp->y, sp->m);
    else
        snprintf(row->key, sizeof row->key, "%04d-%02d-%02d", sp->y, sp->m, sp->d);
}

/* The key and time fields of interval row i, and its Erlang column. */
static void row_interval(const sla_run_t *r, size_t i, sla_row_t *row)
{
    const sla_cal_iv_t *iv = &r->cal.iv[i];
    const sla_cal_span_t *d = &r->cal.day[iv->day];
    int32_t off = iv->offset < 0 ? -iv->offset : iv->offset;
    row->year = d->y;
    row->month = d->m;
    row->day = d->d;
    row->index = iv->index;
    memcpy(row->label, iv->label, sizeof row->label);
    row->offset = iv->offset;
    row->business = iv->business;
    row->start_utc = iv->start;
    row->end_utc = iv->end;
    snprintf(row->key, sizeof row->key, "%04d-%02d-%02dT%s%c%02d:%02d", d->y, d->m, d->d, iv->label,
             iv->offset < 0 ? '-' : '+', (int)(off / 3600), (int)(off % 3600 / 60));
    double h = row->answered > 0 ? row->aht_s : r->month_aht[iv->month];
    unsigned agents = 0;
    if (!isnan(r->p->sl_target) && row->offered == 0)
        row->required_agents = 0;
    else if (!isnan(r->p->sl_target) && !isnan(h) &&
             erlang_required_agents((double)row->offered, (double)(iv->end - iv->start), h,
                                    r->p->sl_threshold_s, r->p->sl_target, &agents) == ST_OK)
        row->required_agents = agents;
}

/* Computes row g (or the total when g < 0) into row. */
static void run_row(sla_run_t *r, long g, sla_row_t *row)
{
    size_t a = g < 0 ? 0 : r->goff[g], b = g < 0 ? r->goff[r->ngroup] : r->goff[g + 1];
    const size_t *idx = r->gord + a;
    sla_sums_t s = {0};
    row_init(row);
    for (size_t j = 0; j < b - a; j++)
        row_add(r, idx[j], &s);
    sla_sums_to_row(&s, r->p->sl_formula, row);
    row->start_utc = r->cal.start;
    row->end_utc = r->cal.end;
    if (g < 0) {
        snprintf(row->key, sizeof row->key, "total");
        row_compliance(r, r->iv_sums, 0, r->cal.niv, row);
    } else if (r->by == SLA_BY_MONTH || r->by == SLA_BY_DAY) {
        const sla_cal_span_t *sp = r->by == SLA_BY_MONTH ? &r->cal.month[g] : &r->cal.day[g];
        row_span(row, sp, r->by == SLA_BY_MONTH);
        row_compliance(r, r->iv_sums, sp->iv0, sp->iv0 + sp->niv, row);
    } else if (r->by == SLA_BY_INTERVAL) {
        row_interval(r, (size_t)g, row);
        row_compliance(r, r->iv_sums, (size_t)g, (size_t)g + 1, row);
    } else {
        snprintf(row->key, sizeof row->key, "%s", r->names[g]);
        if (r->by == SLA_BY_QUEUE)
            row_compliance_group(r, idx, b - a, row);
    }
    if (r->c)
        row_contact_metrics(r, idx, b - a, row->end_utc, row);
    else if (r->detail)
        row_rollup_metrics(r, idx, b - a, row->end_utc, row);
    if (r->c && r->by == SLA_BY_INTERVAL && g >= 0)
        row->agents = distinct_agents(r, idx, b - a);
    if (r->iv_agents && r->by == SLA_BY_INTERVAL && g >= 0)
        row->agents = r->iv_agents[g];
}

/* Builds the result from a grouped run. */
static sla_result_t *run_result(sla_run_t *r)
{
    sla_result_t *res = xcalloc(1, sizeof *res);
    res->n = r->ngroup;
    res->rows = xcalloc(r->ngroup ? r->ngroup : 1, sizeof *res->rows);
    for (size_t g = 0; g < r->ngroup; g++)
        run_row(r, (long)g, &res->rows[g]);
    if (!r->no_total)
        run_row(r, -1, &res->total);
    res->total.year = r->cal.day[0].y; /* the period's first date */
    res->total.month = r->cal.day[0].m;
    res->total.day = r->cal.day[0].d;
    return res;
}

/* Releases everything a run owns. */
static void run_free(sla_run_t *r)
{
    free(r->iv_agents);
    free(r->dense);
    ihist_free(&r->sparse);
    free(r->scratch);
    if (!r->repeat_given)
        free(r->repeat);
    free(r->month_aht);
    free(r->iv_sums);
    free(r->gord);
    free(r->goff);
    free(r->names);
    free(r->gid);
    free(r->iv);
    sla_cal_free(&r->cal);
}

/* The steps shared by both paths. */
static int run(sla_run_t *r, const sla_period_t *period, sla_result_t **out, char *err,
               size_t errlen)
{
    int rc = params_check(r->p, err, errlen);
    if (rc != ST_OK)
        goto fail;
    bool by_day_rows = r->by == SLA_BY_AGENT || r->by == SLA_BY_REASON;
    if ((unsigned)r->by > SLA_BY_REASON ||
        (r->ru && r->day_rows != (by_day_rows ? r->by : SLA_BY_MONTH))) {
        st_errf(err, errlen, "grouping: %s",
                (unsigned)r->by > SLA_BY_REASON ? "unknown"
                : r->day_rows != SLA_BY_MONTH   ? "agent or reason rows group by their key only"
                : r->by == SLA_BY_REASON        ? "reasons need contacts or reason rollups"
                                                : "agents need contacts or agent rollups");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    if ((rc = sla_cal_build(&r->cal, r->p, period, err, errlen)) != ST_OK)
        goto fail;
    r->detail = r->want_detail;
    if ((rc = run_place(r, err, errlen)) != ST_OK)
        goto fail;
    if (r->detail) {
        r->dense = xcalloc(DENSE_WAITS, sizeof *r->dense);
        if (r->ag && r->by == SLA_BY_INTERVAL &&
            (rc = run_interval_agents(r, err, errlen)) != ST_OK)
            goto fail;
    }
    run_group(r);
    run_interval_sums(r);
    if (r->c) {
        if (!r->repeat_given) {
            r->repeat = xmalloc(r->n ? r->n : 1);
            if (r->p->fcr_method == SLA_FCR_REPEAT)
                sla_fcr_repeats(r->c, r->n, r->p->fcr_window_h, r->repeat);
        }
        r->scratch = xmalloc((r->n ? r->n : 1) * sizeof *r->scratch);
    }
    *out = run_result(r);
fail:
    run_free(r);
    return rc;
}

int sla_compute_contacts(const sla_params_t *p, const sla_period_t *period, sla_by_t by,
                         const sla_contact_t *rows, size_t n, sla_result_t **out, char *err,
                         size_t errlen)
{
    sla_run_t r = {.p = p, .by = by, .c = rows, .n = n};
    return run(&r, period, out, err, errlen);
}

int sla_compute_contacts_many(const sla_params_t *p, const sla_period_t *period, const sla_by_t *by,
                              size_t n_by, const sla_contact_t *rows, size_t n, sla_result_t **outs,
                              char *err, size_t errlen)
{
    /* The FCR repeat flags depend on the contacts only: one pass for all. */
    uint8_t *repeat = xcalloc(n ? n : 1, 1);
    if (p->fcr_method == SLA_FCR_REPEAT)
        sla_fcr_repeats(rows, n, p->fcr_window_h, repeat);
    int rc = ST_OK;
    for (size_t i = 0; i < n_by; i++)
        outs[i] = NULL;
    for (size_t i = 0; rc == ST_OK && i < n_by; i++) {
        sla_run_t r = {
            .p = p, .by = by[i], .c = rows, .n = n, .repeat = repeat, .repeat_given = true};
        rc = run(&r, period, &outs[i], err, errlen);
    }
    if (rc != ST_OK)
        for (size_t i = 0; i < n_by; i++) {
            sla_result_free(outs[i]);
            outs[i] = NULL;
        }
    free(repeat);
    return rc;
}

/* Copies the contact-only metrics of src into dst, after checking that the
 * two rows count the same contacts. */
static bool merge_row(sla_row_t *dst, const sla_row_t *src)
{
    if (dst->offered != src->offered || dst->answered != src->answered ||
        dst->short_abandoned != src->short_abandoned)
        return false;
    dst->max_wait_s = src->max_wait_s;
    dst->wait_p90_s = src->wait_p90_s;
    dst->fcr_base = src->fcr_base;
    dst->fcr_resolved = src->fcr_resolved;
    dst->fcr = src->fcr;
    dst->fcr_provisional = src->fcr_provisional;
    dst->csat_n = src->csat_n;
    dst->csat_good = src->csat_good;
    dst->csat = src->csat;
    dst->csat_mean = src->csat_mean;
    dst->agents = src->agents;
    return true;
}

int sla_result_merge_contacts(sla_result_t *dst, const sla_result_t *src, char *err, size_t errlen)
{
    const char *why = NULL;
    size_t j = 0;
    for (size_t i = 0; !why && i < dst->n; i++) {
        /* Rows correspond in order; a rollup row emptied by corrections has
         * no contacts row and keeps its undefined contact metrics. */
        if (j < src->n && strcmp(dst->rows[i].key, src->rows[j].key) == 0) {
            if (!merge_row(&dst->rows[i], &src->rows[j]))
                why = dst->rows[i].key;
            j++;
        } else if (dst->rows[i].offered != 0 || dst->rows[i].short_abandoned != 0) {
            why = dst->rows[i].key;
        }
    }
    if (!why && j != src->n)
        why = src->rows[j].key;
    if (!why && !merge_row(&dst->total, &src->total))
        why = "total";
    if (why) {
        st_errf(err, errlen, "rollups and contacts disagree at %s (run slattest check rollups)",
                why);
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

int sla_compute_rollups(const sla_params_t *p, const sla_period_t *period, sla_by_t by,
                        const sla_rollup_t *rows, size_t n, sla_result_t **out, char *err,
                        size_t errlen)
{
    sla_run_t r = {.p = p, .by = by, .ru = rows, .n = n};
    return run(&r, period, out, err, errlen);
}

/* Whether two rows count the same contacts (the agent and slot views of one period). */
static bool same_counts(const sla_row_t *a, const sla_row_t *b)
{
    return a->offered == b->offered && a->answered == b->answered && a->abandoned == b->abandoned &&
           a->short_abandoned == b->short_abandoned && a->answered_within == b->answered_within &&
           a->transferred == b->transferred && a->fcr_base == b->fcr_base &&
           a->fcr_resolved == b->fcr_resolved && a->csat_n == b->csat_n &&
           a->csat_good == b->csat_good;
}

/* Checks the detail of rows[0..n) once for every grouping, and notes each
 * row's longest wait that counts (*wmax, the caller's to free). */
static int rollups_prepare(const sla_params_t *p, const sla_rollup_t *rows, size_t n, bool agent,
                           int64_t **wmax, char *err, size_t errlen)
{
    *wmax = xmalloc((n ? n : 1) * sizeof **wmax);
    for (size_t k = 0; k < n; k++) {
        (*wmax)[k] = -1;
        if (!rows[k].has_detail)
            continue;
        int rc = rollup_check_detail(&rows[k], agent, k, err, errlen);
        if (rc != ST_OK)
            return rc;
        (*wmax)[k] = row_max_wait(&rows[k], p);
    }
    return ST_OK;
}

/* The agent (or reason) grouping from the day rows of that key, checked
 * against the period's total from the slot rows (which it takes). */
static int rollups_by_day_rows(const sla_params_t *p, const sla_period_t *period, sla_by_t by,
                               const sla_rollup_t *rows, size_t n, const int64_t *wmax,
                               const sla_row_t *whole, sla_result_t **out, char *err, size_t errlen)
{
    const char *name = sla_by_name(by);
    if (!rows || p->queue) {
        st_errf(err, errlen, "grouping: %ss need %s rollups%s", name, name,
                p->queue ? " without a queue filter" : "");
        return ST_ERR_INVALID;
    }
    sla_run_t a = {.p = p,
                   .by = by,
                   .ru = rows,
                   .n = n,
                   .want_detail = true,
                   .day_rows = by,
                   .checked = true,
                   .wmax = wmax};
    int rc = run(&a, period, out, err, errlen);
    if (rc != ST_OK)
        return rc;
    if (!same_counts(&(*out)->total, whole)) {
        st_errf(err, errlen, "%s rollups and slot rollups disagree (run slattest check rollups)",
                name);
        sla_result_free(*out);
        *out = NULL;
        return ST_ERR_INVALID;
    }
    (*out)->total = *whole;
    return ST_OK;
}

int sla_compute_rollups_many(const sla_params_t *p, const sla_period_t *period, const sla_by_t *by,
                             size_t n_by, const sla_rollups_t *in, sla_result_t **outs, char *err,
                             size_t errlen)
{
    int64_t *wslot = NULL, *wagent = NULL, *wreason = NULL;
    sla_result_t *whole = NULL;
    for (size_t i = 0; i < n_by; i++)
        outs[i] = NULL;
    /* Once for every grouping: the detail checked, each row's longest
     * wait, and the period's total (the same row in every result). */
    int rc = rollups_prepare(p, in->slots, in->n_slots, false, &wslot, err, errlen);
    if (rc == ST_OK && in->agents)
        rc = rollups_prepare(p, in->agents, in->n_agents, true, &wagent, err, errlen);
    if (rc == ST_OK && in->reasons)
        rc = rollups_prepare(p, in->reasons, in->n_reasons, false, &wreason, err, errlen);
    sla_run_t t = {.p = p,
                   .by = SLA_BY_MONTH,
                   .ru = in->slots,
                   .n = in->n_slots,
                   .want_detail = true,
                   .checked = true,
                   .wmax = wslot};
    if (rc == ST_OK)
        rc = run(&t, period, &whole, err, errlen);
    for (size_t i = 0; rc == ST_OK && i < n_by; i++) {
        if (by[i] == SLA_BY_AGENT || by[i] == SLA_BY_REASON) {
            bool ag = by[i] == SLA_BY_AGENT;
            rc = rollups_by_day_rows(p, period, by[i], ag ? in->agents : in->reasons,
                                     ag ? in->n_agents : in->n_reasons, ag ? wagent : wreason,
                                     &whole->total, &outs[i], err, errlen);
            continue;
        }
        sla_run_t r = {.p = p,
                       .by = by[i],
                       .ru = in->slots,
                       .n = in->n_slots,
                       .want_detail = true,
                       .checked = true,
                       .no_total = true,
                       .wmax = wslot,
                       .ag = p->queue ? NULL : in->agents,
                       .nag = in->n_agents};
        rc = run(&r, period, &outs[i], err, errlen);
        if (rc == ST_OK)
            outs[i]->total = whole->total;
    }
    if (rc != ST_OK)
        for (size_t i = 0; i < n_by; i++) {
            sla_result_free(outs[i]);
            outs[i] = NULL;
        }
    sla_result_free(whole);
    free(wslot);
    free(wagent);
    free(wreason);
    return rc;
}

size_t sla_result_count(const sla_result_t *r)
{
    return r->n;
}

const sla_row_t *sla_result_row(const sla_result_t *r, size_t i)
{
    return i < r->n ? &r->rows[i] : NULL;
}

const sla_row_t *sla_result_total(const sla_result_t *r)
{
    return &r->total;
}

void sla_result_free(sla_result_t *r)
{
    if (!r)
        return;
    free(r->rows);
    free(r);
}
