/*
 * erlang.c - Erlang B/C, service level, ASA and required agents (see
 * erlang.h).  Pure computation: no I/O, no allocation, no globals.
 */
#include "erlang.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* Traffic must be a finite number of erlangs, zero allowed. */
static bool traffic_ok(double a)
{
    return a >= 0.0 && !isinf(a);
}

/* One step of the Erlang B recursion: B(k) from B(k-1).  The quotient of
 * two positive numbers of similar size, so it neither overflows nor
 * underflows for any traffic. */
static double b_step(double b_prev, unsigned k, double a)
{
    double ab = a * b_prev;
    return ab / ((double)k + ab);
}

/* Erlang C from B(n): n B / (n - a (1 - B)), for n > a. */
static double c_from_b(unsigned n, double a, double b)
{
    return (double)n * b / ((double)n - a * (1.0 - b));
}

/* SL from C for n > a (the caller has checked aht_s > 0). */
static double sl_from_c(unsigned n, double a, double c, double aht_s, double threshold_s)
{
    return 1.0 - c * exp(-((double)n - a) * threshold_s / aht_s);
}

double erlang_b(unsigned n, double a)
{
    if (!traffic_ok(a))
        return NAN;
    double b = 1.0;
    for (unsigned k = 1; k <= n; k++)
        b = b_step(b, k, a);
    return b;
}

double erlang_c(unsigned n, double a)
{
    if (!traffic_ok(a))
        return NAN;
    if ((double)n <= a)
        return 1.0;
    return c_from_b(n, a, erlang_b(n, a));
}

double erlang_service_level(unsigned n, double a, double aht_s, double threshold_s)
{
    if (!traffic_ok(a) || !(aht_s > 0.0) || isinf(aht_s) || !(threshold_s >= 0.0) ||
        isinf(threshold_s))
        return NAN;
    if ((double)n <= a)
        return 0.0;
    return sl_from_c(n, a, erlang_c(n, a), aht_s, threshold_s);
}

double erlang_asa(unsigned n, double a, double aht_s)
{
    if (!traffic_ok(a) || !(aht_s > 0.0) || isinf(aht_s))
        return NAN;
    if ((double)n <= a)
        return NAN;
    return erlang_c(n, a) * aht_s / ((double)n - a);
}

int erlang_agents_for_traffic(double a, double aht_s, double threshold_s, double target,
                              unsigned *agents)
{
    if (agents == NULL || !traffic_ok(a) || !(aht_s > 0.0) || isinf(aht_s) ||
        !(threshold_s >= 0.0) || isinf(threshold_s) || !(target >= 0.0 && target < 1.0))
        return ST_ERR_INVALID;
    if (a == 0.0) {
        *agents = 0;
        return ST_OK;
    }
    if (a >= (double)ERLANG_MAX_AGENTS)
        return ST_ERR_TOO_LARGE;
    /* The first candidate is the smallest integer strictly above a.  B is
     * carried along the search, so the whole search is O(answer). */
    unsigned n = (unsigned)floor(a) + 1;
    double b = 1.0;
    for (unsigned k = 1; k <= n; k++)
        b = b_step(b, k, a);
    for (;;) {
        double sl = sl_from_c(n, a, c_from_b(n, a, b), aht_s, threshold_s);
        if (sl >= target) {
            *agents = n;
            return ST_OK;
        }
        if (n >= ERLANG_MAX_AGENTS)
            return ST_ERR_TOO_LARGE;
        n++;
        b = b_step(b, n, a);
    }
}

int erlang_required_agents(double offered, double interval_s, double aht_s, double threshold_s,
                           double target, unsigned *agents)
{
    if (agents == NULL || !(offered >= 0.0) || isinf(offered) || !(interval_s > 0.0) ||
        isinf(interval_s) || !(aht_s >= 0.0) || isinf(aht_s) || !(threshold_s >= 0.0) ||
        isinf(threshold_s) || !(target >= 0.0 && target < 1.0))
        return ST_ERR_INVALID;
    if (offered == 0.0 || aht_s == 0.0) {
        *agents = 0;
        return ST_OK;
    }
    double a = offered / interval_s * aht_s;
    return erlang_agents_for_traffic(a, aht_s, threshold_s, target, agents);
}
