/*
 * stats.h - the descriptive and inferential statistics behind the reports.
 *
 * What it owns: nothing.  Every function here is pure computation over
 * memory the caller owns: no I/O, no allocation, no global state.  Every
 * function is therefore thread-safe and may be called from any thread, as
 * long as two threads do not write the same caller-owned array at once.
 * (lgamma_r is used instead of lgamma, which writes the global `signgam`.)
 *
 * "Undefined" convention: a statistic that is undefined for its input (a
 * percentile of no values, a standard deviation of one value, a correlation
 * with a constant side, ...) is returned as NAN.  Callers test it with
 * isnan() and must never compare it with ==.  The metrics engine carries a
 * NAN to JSON null and to an empty cell.  Invalid arguments (p outside its
 * range, a negative standard deviation, ...) give NAN as well; functions
 * that return a status (int) use ST_OK / ST_ERR_INVALID from status.h.
 *
 * Input values must not be NAN unless a function says how it treats them.
 *
 * Definitions follow spec/METRICS.md: nearest-rank percentiles, sample
 * standard deviation (n - 1), the QA "sampling precision" rule, Pearson r
 * and Spearman rho with average ranks for ties.
 */
#ifndef SLT_STATS_H
#define SLT_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* ---------------------------------------------------------------------------
 * Nearest-rank percentiles
 *
 * For n values and p in (0, 100], the percentile is the value of 1-based
 * rank ceil(p / 100 x n) in ascending order.  p = 100 gives the maximum, a
 * tiny p the minimum.  n = 0 or p outside (0, 100] is undefined (NAN).
 * p is meant as a decimal percentage (90, 99.9): a p x n / 100 that lands
 * within 1e-9 (relative) above an integer because p is not exact in binary
 * is taken as that integer, so p = 99.9 with n = 1000 is rank 999, not 1000.
 * ------------------------------------------------------------------------ */

/*
 * The 1-based nearest rank for p percent of n values, or 0 when undefined
 * (n = 0, p not in (0, 100] or NAN).  Pure; any thread.
 */
size_t stats_percentile_rank(size_t n, double p);

/*
 * Percentile of `sorted`, which the caller has sorted ascending (for
 * example with stats_sort()).  The array is only read and not copied, so
 * several percentiles of one sorted array are cheap.  Returns NAN when
 * undefined.  Pure; any thread.
 */
double stats_percentile_sorted(const double *sorted, size_t n, double p);

/*
 * Percentile of unsorted values by quickselect.  `scratch` is caller-owned
 * and holds the n values on entry; it is REORDERED in place (its contents
 * stay a permutation of the input).  Copy the data first if the order
 * matters.  Expected O(n), worst case O(n log n) (it falls back to sorting
 * the remaining range when partitioning goes badly, so adversarial input
 * cannot make it quadratic).  Returns NAN when undefined or when any value
 * is NAN.  Pure apart from writing `scratch`; any thread.
 */
double stats_percentile_select(double *scratch, size_t n, double p);

/* Sorts n values ascending in place (NAN values are not allowed). */
void stats_sort(double *v, size_t n);

/* ---------------------------------------------------------------------------
 * Mean and sample standard deviation (Welford's update)
 *
 * stats_acc_t is a small value type so that it needs no allocation: declare
 * one, stats_acc_init() it, stats_acc_add() values one at a time.  Treat its
 * fields as read-only and use the accessors.  One accumulator must not be
 * written by two threads at once; distinct accumulators are independent.
 * Welford's update keeps the sum of squared deviations directly, so it does
 * not lose precision on large values with a small spread the way
 * sum(x^2) - n mean^2 does.
 * ------------------------------------------------------------------------ */
typedef struct stats_acc {
    size_t n;    /* values added */
    double mean; /* running mean (0 while n = 0) */
    double m2;   /* sum of squared deviations from the running mean */
} stats_acc_t;

/* Makes `a` empty. */
void stats_acc_init(stats_acc_t *a);
/* Adds one value (a NAN makes mean and sd NAN from then on). */
void stats_acc_add(stats_acc_t *a, double x);
/*
 * Adds everything accumulated in `b` to `a` (Chan et al.'s pairwise
 * combination), as if b's values had been added to a one by one.  `b` is
 * only read; a == b is allowed.
 */
void stats_acc_merge(stats_acc_t *a, const stats_acc_t *b);
/* The mean, NAN when n = 0. */
double stats_acc_mean(const stats_acc_t *a);
/* The sample variance (divisor n - 1), NAN when n < 2. */
double stats_acc_var(const stats_acc_t *a);
/* The sample standard deviation (divisor n - 1), NAN when n < 2. */
double stats_acc_sd(const stats_acc_t *a);

/* Mean of n values (NAN when n = 0).  Reads x only.  Any thread. */
double stats_mean(const double *x, size_t n);
/* Sample standard deviation of n values (NAN when n < 2).  Any thread. */
double stats_sd(const double *x, size_t n);

/* ---------------------------------------------------------------------------
 * Student t distribution
 * ------------------------------------------------------------------------ */

/*
 * The regularized incomplete beta function I_x(a, b) for a > 0, b > 0 and x
 * in [0, 1]; NAN otherwise.  Evaluated by its continued fraction (modified
 * Lentz), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) on the side where
 * the fraction converges fast.  Relative accuracy about 1e-13 while a and
 * b are below a few thousand; near x = a / (a + b) the fraction's first
 * terms cancel and about max(a, b) x 1e-16 is lost.  Pure; any thread.
 */
double stats_beta_inc(double a, double b, double x);

/*
 * P(T <= t) for Student's t with df > 0 degrees of freedom (real df
 * allowed, finite); NAN for df <= 0, infinite df or NAN arguments.  Below
 * 1e5 degrees of freedom it is I_x(df/2, 1/2) / 2 by stats_beta_inc's
 * method; from 1e5 on, the normal tail at the z whose Cornish-Fisher
 * expansion (Abramowitz & Stegun 26.7.5) gives t.  Relative accuracy about
 * 1e-11 in either tail (5e-11 in the most extreme tails).  Pure; any
 * thread.
 */
double stats_t_cdf(double t, double df);

/*
 * The quantile t(p, df): the t with P(T <= t) = p, for p in (0, 1) and real
 * finite df >= 1 (df = n - 1 for a sample of n); NAN outside those ranges.
 * Found by safeguarded Newton on the upper tail (or, for p in [1/4, 3/4],
 * on the central mass, which keeps small t accurate); from df = 1e5 on by
 * the Cornish-Fisher expansion around the normal quantile.  Relative
 * accuracy 1e-9 or better (about 1e-11 in practice), checked in the unit
 * tests against the standard Student t table and closed forms.
 * t(0.975, 1) = 12.7062..., t(0.975, 30) = 2.0422...  Pure; any thread.
 */
double stats_t_quantile(double p, double df);

/* ---------------------------------------------------------------------------
 * QA sampling precision (spec/METRICS.md, "Sampling precision")
 *
 * For n evaluations with sample standard deviation s, the 95 % interval of
 * the mean has half-width hw(n) = t(0.975, n - 1) x s / sqrt(n).  A row is
 * flagged "sample too small" when hw(n) > precision, and always when n < 2.
 *
 * needed_n is the smallest n >= 2 with hw(n) <= precision for the same s.
 * Because t(0.975, n - 1) falls and sqrt(n) grows with n, hw(n) falls
 * strictly, so that n is unique.  The spec's recipe "ceil((t s / precision)^2)
 * iterated with t for that n" is followed literally:
 *
 *   n_0     = max(2, ceil((1.96 s / precision)^2))
 *   n_{k+1} = max(2, ceil((t(0.975, n_k - 1) s / precision)^2))
 *
 * stopping when n_{k+1} = n_k (a fixed point).  Any fixed point is exactly
 * the smallest n defined above.  The map is non-increasing in n, so the
 * iterates alternate around that n and can, in rare cases, cycle between
 * two values without ever meeting it; then (and after 64 steps at most)
 * the iterates seen so far bracket the answer and a bisection on hw(n)
 * finishes.  Either way the result is the smallest n with hw(n) <= precision.
 * s = 0 gives needed_n = 2.
 * ------------------------------------------------------------------------ */

/* needed_n saturates here: a report shows "at least this many". */
#define STATS_NEEDED_N_MAX ((size_t)1000000000)

typedef struct stats_precision {
    double half_width; /* t(0.975, n-1) s / sqrt(n); NAN when n < 2 */
    bool flagged;      /* n < 2 or half_width > precision */
    size_t needed_n;   /* smallest n reaching the precision (see above);
                          0 when s is NAN (unknown, e.g. n < 2) */
} stats_precision_t;

/*
 * Fills *out for n evaluations with sample standard deviation s (NAN
 * allowed when n < 2) against `precision` points (> 0).  Returns ST_OK, or
 * ST_ERR_INVALID (out untouched) for precision <= 0 or NAN, s < 0, or a
 * NAN s with n >= 2.  needed_n is filled whether or not the row is flagged
 * (when not flagged it is <= n).  Pure; any thread.
 */
int stats_qa_precision(size_t n, double s, double precision, stats_precision_t *out);

/* ---------------------------------------------------------------------------
 * Correlation
 * ------------------------------------------------------------------------ */

typedef struct stats_corr {
    double r; /* coefficient in [-1, 1]; NAN when undefined */
    size_t n; /* pairs used (always the n passed in) */
} stats_corr_t;

/*
 * Pearson's r over the n pairs (x[i], y[i]).  Undefined (r = NAN) when
 * n < 2, when either side is constant (zero variance) or when a value is
 * NAN.  Reads x and y only.  Pure; any thread.
 */
stats_corr_t stats_pearson(const double *x, const double *y, size_t n);

/* Caller-owned scratch for ranking; n of them are needed for n values. */
typedef struct stats_rank_item {
    double v;
    size_t i;
} stats_rank_item_t;

/*
 * Writes into ranks[i] the 1-based rank of v[i] among the n values, tied
 * values sharing the average of the ranks they span (1, 2.5, 2.5, 4).
 * `work` is caller-owned scratch of n items (overwritten).  Returns ST_OK,
 * or ST_ERR_INVALID when a value is NAN (ranks then unspecified).  Pure
 * apart from writing work and ranks; any thread.
 */
int stats_rank_average(const double *v, size_t n, stats_rank_item_t *work, double *ranks);

/*
 * Spearman's rho over n pairs: Pearson's r of the average ranks of x and of
 * y.  `work` (n items), `rx` and `ry` (n doubles each) are caller-owned
 * scratch; on return rx and ry hold the ranks.  Undefined (NAN) as for
 * Pearson (n < 2, a constant side, a NAN value).  Pure apart from the
 * scratch; any thread.
 */
stats_corr_t stats_spearman(const double *x, const double *y, size_t n, stats_rank_item_t *work,
                            double *rx, double *ry);

#endif
