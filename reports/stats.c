/*
 * stats.c - percentiles, Welford moments, Student t, QA sampling precision,
 * Pearson and Spearman (see stats.h for the contracts).
 *
 * Everything is pure: no I/O, no allocation, no globals.  lgamma_r() is used
 * rather than lgamma(), which stores the sign in the global `signgam`.
 */
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "status.h"

/* ------------------------------------------------------------------------
 * Percentiles
 * --------------------------------------------------------------------- */

size_t stats_percentile_rank(size_t n, double p)
{
    if (n == 0 || !(p > 0.0 && p <= 100.0))
        return 0;
    /* Multiply before dividing: for integer p, p x n is exact and a multiple
     * of 100 divides to an exact integer, so ceil() sees no rounding noise.
     * For fractional p (99.9 is not exact in binary) allow a relative 1e-9
     * of noise above an integer. */
    double r = p * (double)n / 100.0;
    double fl = floor(r);
    double k = (r - fl <= 1e-9 * r) ? fl : ceil(r);
    if (k < 1.0)
        k = 1.0;
    if (k > (double)n)
        k = (double)n;
    return (size_t)k;
}

double stats_percentile_sorted(const double *sorted, size_t n, double p)
{
    size_t k = stats_percentile_rank(n, p);
    if (k == 0 || sorted == NULL)
        return NAN;
    return sorted[k - 1];
}

/* qsort comparator for doubles that contain no NAN. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void stats_sort(double *v, size_t n)
{
    if (v != NULL && n > 1)
        qsort(v, n, sizeof *v, cmp_double);
}

/* Swaps two elements. */
static void swap_double(double *v, size_t i, size_t j)
{
    double t = v[i];
    v[i] = v[j];
    v[j] = t;
}

/* The median of three values: a pivot that copes with sorted input. */
static double median3(double a, double b, double c)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    /* now a <= b */
    if (c <= a)
        return a;
    if (c >= b)
        return b;
    return c;
}

/*
 * The k-th smallest (0-based) of v[0..n).  Three-way partitioning keeps
 * runs of equal values (wait_s = 0 is common) from making it quadratic;
 * a step budget of about 2 log2 n bounds bad pivot luck, after which the
 * remaining range is sorted.
 */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* k is in [lo, hi) */
    unsigned budget = 8;
    for (size_t m = n; m > 1; m >>= 1)
        budget += 2;
    while (hi - lo > 16) {
        if (budget-- == 0) {
            qsort(v + lo, hi - lo, sizeof *v, cmp_double);
            return v[k];
        }
        double pivot = median3(v[lo], v[lo + (hi - lo) / 2], v[hi - 1]);
        /* [lo, lt) < pivot, [lt, i) == pivot, [gt, hi) > pivot */
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (v[i] < pivot)
                swap_double(v, lt++, i++);
            else if (v[i] > pivot)
                swap_double(v, i, --gt);
            else
                i++;
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return pivot;
    }
    /* Insertion sort of the small remainder. */
    for (size_t i = lo + 1; i < hi; i++) {
        double x = v[i];
        size_t j = i;
        while (j > lo && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    return v[k];
}

double stats_percentile_select(double *scratch, size_t n, double p)
{
    size_t k = stats_percentile_rank(n, p);
    if (k == 0 || scratch == NULL)
        return NAN;
    for (size_t i = 0; i < n; i++)
        if (isnan(scratch[i]))
            return NAN;
    return select_kth(scratch, n, k - 1);
}

/* ------------------------------------------------------------------------
 * Mean and standard deviation
 * --------------------------------------------------------------------- */

void stats_acc_init(stats_acc_t *a)
{
    a->n = 0;
    a->mean = 0.0;
    a->m2 = 0.0;
}

void stats_acc_add(stats_acc_t *a, double x)
{
    a->n++;
    double d = x - a->mean;
    a->mean += d / (double)a->n;
    /* d x (x - new mean) is the exact increment of the sum of squared
     * deviations, and both factors are small differences. */
    a->m2 += d * (x - a->mean);
}

void stats_acc_merge(stats_acc_t *a, const stats_acc_t *b)
{
    /* Copy b first: a and b may be the same accumulator. */
    size_t nb = b->n;
    double mb = b->mean, m2b = b->m2;
    if (nb == 0)
        return;
    if (a->n == 0) {
        a->n = nb;
        a->mean = mb;
        a->m2 = m2b;
        return;
    }
    double na = (double)a->n, nbd = (double)nb, nt = na + nbd;
    double d = mb - a->mean;
    a->mean += d * (nbd / nt);
    a->m2 += m2b + d * d * (na * nbd / nt);
    a->n += nb;
}

double stats_acc_mean(const stats_acc_t *a)
{
    return a->n == 0 ? NAN : a->mean;
}

double stats_acc_var(const stats_acc_t *a)
{
    if (a->n < 2)
        return NAN;
    double v = a->m2 / (double)(a->n - 1);
    return v < 0.0 ? 0.0 : v;
}

double stats_acc_sd(const stats_acc_t *a)
{
    return sqrt(stats_acc_var(a));
}

double stats_mean(const double *x, size_t n)
{
    stats_acc_t a;
    stats_acc_init(&a);
    for (size_t i = 0; i < n; i++)
        stats_acc_add(&a, x[i]);
    return stats_acc_mean(&a);
}

double stats_sd(const double *x, size_t n)
{
    stats_acc_t a;
    stats_acc_init(&a);
    for (size_t i = 0; i < n; i++)
        stats_acc_add(&a, x[i]);
    return stats_acc_sd(&a);
}

/* ------------------------------------------------------------------------
 * Incomplete beta and Student t
 * --------------------------------------------------------------------- */

/* ln Gamma(x) for x > 0 without touching the global signgam. */
static double lgam(double x)
{
    int sign;
    return lgamma_r(x, &sign);
}

/*
 * lgamma(x) - ((x - 1/2) ln x - x + ln(2 pi) / 2): the tail of Stirling's
 * series, sum of B_2k / (2k (2k-1) x^(2k-1)) for k = 1..5.  For x >= 10
 * the next term is below 2e-14.
 */
static double stirling_tail(double x)
{
    double r = 1.0 / x, r2 = r * r;
    return r * (1.0 / 12 -
                r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188)))));
}

/*
 * lgamma(a) - lgamma(a + b) for a >= b > 0.  When a is large the two
 * lgamma values are huge and nearly equal, and subtracting them would
 * lose the digits that matter (at df = 1e5 about 5e-10 of t(0.6));
 * Stirling's series lets the difference be formed from small terms.
 */
static double lgamma_diff(double a, double b)
{
    if (a < 10.0)
        return lgam(a) - lgam(a + b);
    return -(a - 0.5) * log1p(b / a) - b * log(a + b) + b + stirling_tail(a) - stirling_tail(a + b);
}

/* ln B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b). */
static double lbeta(double a, double b)
{
    double big = a > b ? a : b, small = a > b ? b : a;
    return lgam(small) + lgamma_diff(big, small);
}

/* Lentz's guard against a zero denominator. */
#define LENTZ_TINY 1e-300

/*
 * The continued fraction 1 + d1/(1 + d2/(1 + ...)) of I_x(a, b), with
 *   d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),
 *   d_{2m}   = m (b - m) x / ((a + 2m - 1)(a + 2m)),
 * so that I_x(a, b) = x^a (1-x)^b / (a B(a, b)) / fraction.  Evaluated
 * forwards by the modified Lentz method.  It converges quickly for
 * x < (a + 1) / (a + b + 2); the step count grows like sqrt(max(a, b)).
 * Returns NAN if it has not converged within the step limit (only for
 * parameters far beyond what the t distribution here uses).
 */
static double beta_cf(double a, double b, double x)
{
    double f = 1.0, c = 1.0, d = 0.0;
    /* The cap keeps absurd a, b (stats_beta_inc is public) from spinning. */
    double limit = fmin(1000.0 + 20.0 * sqrt(a + b), 100000.0);
    for (double m = 0.0; m < limit; m += 1.0) {
        for (int odd = 1; odd >= 0; odd--) {
            double coef;
            if (odd) {
                coef = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            } else {
                double k = m + 1.0;
                coef = k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k));
            }
            d = 1.0 + coef * d;
            if (fabs(d) < LENTZ_TINY)
                d = LENTZ_TINY;
            c = 1.0 + coef / c;
            if (fabs(c) < LENTZ_TINY)
                c = LENTZ_TINY;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            /* Two ulps: asking for delta == 1 exactly could hang on a
             * last bit that flips between steps. */
            if (fabs(delta - 1.0) <= 2.0 * DBL_EPSILON)
                return f;
        }
    }
    return NAN;
}

/*
 * I_x(a, b) given both x and y = 1 - x.  Callers that know y more
 * accurately than 1 - x (the t tail, where x = df / (df + t^2)) pass it
 * directly, so a tiny y keeps its digits.
 */
static double beta_inc_xy(double a, double b, double x, double y)
{
    if (x <= 0.0)
        return 0.0;
    if (y <= 0.0)
        return 1.0;
    double lx = x < 0.5 ? log(x) : log1p(-y);
    double ly = y < 0.5 ? log(y) : log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0)) {
        double front = exp(a * lx + b * ly - lbeta(a, b)) / a;
        return front / beta_cf(a, b, x);
    }
    double front = exp(a * lx + b * ly - lbeta(a, b)) / b;
    return 1.0 - front / beta_cf(b, a, y);
}

double stats_beta_inc(double a, double b, double x)
{
    if (!(a > 0.0 && b > 0.0 && x >= 0.0 && x <= 1.0) || isinf(a) || isinf(b))
        return NAN;
    return beta_inc_xy(a, b, x, 1.0 - x);
}

/*
 * From this many degrees of freedom on, the t distribution is handled by
 * its expansion around the normal.  The continued fraction loses about
 * df x 1e-16 of relative accuracy (its first terms cancel when x is within
 * 1/df of 1), while the expansion's first neglected term is of order
 * (z^2 / df)^5: at df = 1e5 even the smallest tail a double holds
 * (z = 37) comes out within 5e-11, and t within 4e-14.
 */
#define T_DF_ASYMPTOTIC 1e5

/* P(T > t) for t >= 0 by the incomplete beta: I_x(df/2, 1/2) / 2 with
 * x = df / (df + t^2), y = t^2 / (df + t^2) formed without cancellation. */
static double t_upper_beta(double t, double df)
{
    double tt = t * t;
    if (isinf(tt))
        return 0.0;
    double den = df + tt;
    return 0.5 * beta_inc_xy(0.5 * df, 0.5, df / den, tt / den);
}

/* The t density, with the Gamma ratio taken through lgamma_diff(). */
static double t_density(double t, double df)
{
    double half = 0.5 * df;
    /* ln(Gamma(df/2 + 1/2) / Gamma(df/2)); half >= 1/2 since df >= 1 */
    double lratio = -lgamma_diff(half, 0.5);
    return exp(lratio - 0.5 * log(df * M_PI) - (half + 0.5) * log1p(t * t / df));
}

/* P(Z > z) for the standard normal. */
static double norm_upper(double z, double unused)
{
    (void)unused;
    return 0.5 * erfc(z / M_SQRT2);
}

/* The standard normal density. */
static double norm_density(double z, double unused)
{
    (void)unused;
    return exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
}

/*
 * The Cornish-Fisher expansion of the t quantile in powers of 1/df
 * (Abramowitz & Stegun, Handbook of Mathematical Functions, 26.7.5):
 * t = z + g1(z)/df + g2(z)/df^2 + g3(z)/df^3 + g4(z)/df^4.
 */
static double t_from_z(double z, double df)
{
    double z2 = z * z;
    double g1 = (z2 + 1.0) * z / 4.0;
    double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    double g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    double r = 1.0 / df;
    return z + r * (g1 + r * (g2 + r * (g3 + r * g4)));
}

/*
 * P(T > t), t >= 0, for df >= T_DF_ASYMPTOTIC: the z whose expansion is t
 * (t_from_z is increasing and within 1e-5 of the identity in slope, so
 * the plain iteration z <- z - (t_from_z(z) - t) contracts fast), then
 * the normal tail at z.  Beyond t = 40 the true tail is below e^-745 for
 * such df, which is no longer a positive double.
 */
static double t_upper_asymptotic(double t, double df)
{
    if (t >= 40.0)
        return 0.0;
    double z = t;
    for (int i = 0; i < 20; i++) {
        double step = t_from_z(z, df) - t;
        z -= step;
        if (fabs(step) <= 1e-17 * z)
            break;
    }
    return norm_upper(z, 0.0);
}

/* P(T > t) for t >= 0, by whichever method is accurate for df. */
static double t_upper(double t, double df)
{
    return df >= T_DF_ASYMPTOTIC ? t_upper_asymptotic(t, df) : t_upper_beta(t, df);
}

double stats_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0.0) || isinf(df))
        return NAN;
    if (t == 0.0)
        return 0.5;
    double up = t_upper(fabs(t), df);
    return t > 0.0 ? 1.0 - up : up;
}

/* -P(0 < T < t) for t >= 0: minus half of I_y(1/2, df/2), the mirror
 * image of t_upper_beta that keeps relative accuracy for small t. */
static double t_center_neg_beta(double t, double df)
{
    double tt = t * t;
    if (isinf(tt))
        return -0.5;
    double den = df + tt;
    return -0.5 * beta_inc_xy(0.5, 0.5 * df, tt / den, df / den);
}

/* -P(0 < Z < z) for the standard normal. */
static double norm_center_neg(double z, double unused)
{
    (void)unused;
    return -0.5 * erf(z / M_SQRT2);
}

/*
 * The x > 0 with fn(x) = target, where fn is decreasing and convex on
 * x > 0 with -fn' = density (a tail P(X > x), or minus a central mass
 * -P(0 < X < x), of a symmetric unimodal law) and fn(0) > target.
 * Safeguarded Newton: from the left of the root Newton never overshoots a
 * convex decreasing function, and a step that leaves the current bracket
 * is replaced by bisection.  INFINITY when no finite x gets below target.
 */
static double solve_decreasing(double target, double (*fn)(double, double),
                               double (*density)(double, double), double df)
{
    double lo = 0.0, hi = 1.0;
    while (fn(hi, df) > target) {
        lo = hi;
        hi *= 2.0;
        if (isinf(hi))
            return INFINITY;
    }
    double x = 0.5 * (lo + hi);
    for (int iter = 0; iter < 200; iter++) {
        double g = fn(x, df) - target;
        if (isnan(g))
            return NAN;
        if (g == 0.0)
            break;
        if (g > 0.0)
            lo = x;
        else
            hi = x;
        double xn = x + g / density(x, df);
        if (!(xn > lo && xn < hi))
            xn = 0.5 * (lo + hi);
        double step = fabs(xn - x);
        x = xn;
        if (step <= 1e-14 * x || hi - lo <= 4.0 * DBL_EPSILON * hi)
            break;
    }
    return x;
}

/*
 * The x > 0 with P(X > x) = q, q in (0, 1/2).  Far from the centre the
 * tail is solved directly; near it (q >= 1/4) the central mass 1/2 - q
 * (exact there) is, because a tail near 1/2 carries only absolute
 * accuracy and a small x would lose its relative digits.
 */
static double solve_tail(double q, double (*upper)(double, double),
                         double (*center_neg)(double, double), double (*density)(double, double),
                         double df)
{
    if (q >= 0.25)
        return solve_decreasing(-(0.5 - q), center_neg, density, df);
    return solve_decreasing(q, upper, density, df);
}

double stats_t_quantile(double p, double df)
{
    if (!(p > 0.0 && p < 1.0) || !(df >= 1.0) || isinf(df))
        return NAN;
    if (p == 0.5)
        return 0.0;
    /* Solve the upper tail for t > 0 and mirror: the tail keeps the digits
     * of q when p is close to 1 (1 - p is exact for p >= 1/2). */
    double q = p < 0.5 ? p : 1.0 - p;
    double sign = p < 0.5 ? -1.0 : 1.0;
    double t;
    if (df >= T_DF_ASYMPTOTIC)
        t = t_from_z(solve_tail(q, norm_upper, norm_center_neg, norm_density, df), df);
    else
        t = solve_tail(q, t_upper_beta, t_center_neg_beta, t_density, df);
    return sign * t;
}

/* ------------------------------------------------------------------------
 * QA sampling precision
 * --------------------------------------------------------------------- */

/* ceil(x^2), at least 2, saturated at STATS_NEEDED_N_MAX. */
static size_t ceil_square(double x)
{
    double v = ceil(x * x);
    if (!(v < (double)STATS_NEEDED_N_MAX))
        return STATS_NEEDED_N_MAX;
    return v < 2.0 ? 2 : (size_t)v;
}

/* t(0.975, n - 1) for n >= 2. */
static double t975(size_t n)
{
    return stats_t_quantile(0.975, (double)(n - 1));
}

/* Whether n evaluations with this s reach the precision.  The cap counts
 * as reached so that the search always has an upper end. */
static bool precision_met(size_t n, double s, double precision)
{
    if (n >= STATS_NEEDED_N_MAX)
        return true;
    return t975(n) * s / sqrt((double)n) <= precision;
}

/* The smallest n >= 2 with hw(n) <= precision, for s > 0 (see stats.h). */
static size_t needed_n(double s, double precision)
{
    double ratio = s / precision;
    size_t lo = 1; /* largest n known to miss (n = 1 always misses) */
    size_t hi = 0; /* smallest n known to reach, 0 while none is */
    size_t prev = 0;
    size_t cur = ceil_square(1.96 * ratio);
    for (int step = 0; step < 64; step++) {
        if (cur >= STATS_NEEDED_N_MAX) {
            hi = STATS_NEEDED_N_MAX;
            break;
        }
        double t = t975(cur);
        if (t * s / sqrt((double)cur) <= precision) {
            if (hi == 0 || cur < hi)
                hi = cur;
        } else if (cur > lo) {
            lo = cur;
        }
        size_t next = ceil_square(t * ratio);
        if (next == cur || next == prev)
            break; /* fixed point, or a two-cycle that will never meet */
        prev = cur;
        cur = next;
    }
    /* No iterate reached it (not expected, but cheap to guard): widen. */
    if (hi == 0) {
        hi = lo;
        do {
            lo = hi;
            hi = hi > STATS_NEEDED_N_MAX / 2 ? STATS_NEEDED_N_MAX : hi * 2;
        } while (!precision_met(hi, s, precision));
    }
    if (hi <= lo)
        return hi;
    /* The bracket (lo, hi] holds the answer; hw(n) is monotone.  After a
     * fixed point this just confirms that n - 1 misses. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (precision_met(mid, s, precision))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

int stats_qa_precision(size_t n, double s, double precision, stats_precision_t *out)
{
    if (out == NULL || !(precision > 0.0) || isinf(precision) || s < 0.0 || isinf(s))
        return ST_ERR_INVALID;
    if (isnan(s) && n >= 2)
        return ST_ERR_INVALID;
    stats_precision_t r;
    r.half_width = n >= 2 ? t975(n) * s / sqrt((double)n) : NAN;
    r.flagged = n < 2 || r.half_width > precision;
    if (isnan(s))
        r.needed_n = 0;
    else if (s == 0.0)
        r.needed_n = 2;
    else
        r.needed_n = needed_n(s, precision);
    /* The flag and the search use the same hw(n) expression, so they agree
     * unless rounding made hw non-monotone right at the boundary; then
     * keep them telling one story (a flagged row never "needs" <= n). */
    if (r.flagged && n >= 2 && r.needed_n <= n && r.needed_n != 0)
        r.needed_n = n + 1;
    *out = r;
    return ST_OK;
}

/* ------------------------------------------------------------------------
 * Correlation
 * --------------------------------------------------------------------- */

stats_corr_t stats_pearson(const double *x, const double *y, size_t n)
{
    stats_corr_t res = {NAN, n};
    if (n < 2 || x == NULL || y == NULL)
        return res;
    /* Exact constancy check: a computed variance of a constant column can
     * come out as a tiny nonzero from rounding in the mean. */
    bool xvar = false, yvar = false;
    double sx = 0.0, sy = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            return res;
        xvar = xvar || x[i] != x[0];
        yvar = yvar || y[i] != y[0];
        sx += x[i];
        sy += y[i];
    }
    if (!xvar || !yvar)
        return res;
    /* Two passes: deviations from the mean, so no catastrophic
     * cancellation as in sum(xy) - n mx my. */
    double mx = sx / (double)n, my = sy / (double)n;
    double sxx = 0.0, syy = 0.0, sxy = 0.0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if (!(sxx > 0.0 && syy > 0.0))
        return res;
    double r = sxy / (sqrt(sxx) * sqrt(syy));
    if (r > 1.0)
        r = 1.0;
    if (r < -1.0)
        r = -1.0;
    res.r = r;
    return res;
}

/* Orders rank items by value, then by index so the order is total. */
static int cmp_rank_item(const void *a, const void *b)
{
    const stats_rank_item_t *p = a, *q = b;
    if (p->v != q->v)
        return p->v < q->v ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

int stats_rank_average(const double *v, size_t n, stats_rank_item_t *work, double *ranks)
{
    if (n == 0)
        return ST_OK;
    if (v == NULL || work == NULL || ranks == NULL)
        return ST_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]))
            return ST_ERR_INVALID;
        work[i].v = v[i];
        work[i].i = i;
    }
    qsort(work, n, sizeof *work, cmp_rank_item);
    size_t j = 0;
    while (j < n) {
        size_t k = j + 1;
        while (k < n && work[k].v == work[j].v)
            k++;
        /* Positions j..k-1 hold 1-based ranks j+1..k; ties share the mean. */
        double avg = ((double)(j + 1) + (double)k) / 2.0;
        for (size_t m = j; m < k; m++)
            ranks[work[m].i] = avg;
        j = k;
    }
    return ST_OK;
}

stats_corr_t stats_spearman(const double *x, const double *y, size_t n, stats_rank_item_t *work,
                            double *rx, double *ry)
{
    stats_corr_t res = {NAN, n};
    if (n < 2)
        return res;
    if (stats_rank_average(x, n, work, rx) != ST_OK || stats_rank_average(y, n, work, ry) != ST_OK)
        return res;
    return stats_pearson(rx, ry, n);
}
