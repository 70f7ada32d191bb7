/*
 * erlang.h - Erlang C staffing for the planning sheet (spec/METRICS.md,
 * "Staffing (Erlang C)").
 *
 * What it owns: nothing.  Every function is pure computation on its
 * arguments: no I/O, no allocation, no global state, so all of them are
 * thread-safe and may be called from any thread.
 *
 * Terms: A is the offered traffic in erlangs (arrival rate x mean handle
 * time), N the number of agents, h the mean handle time in seconds (aht_s)
 * and T the service-level threshold in seconds.  The M/M/N queue is stable
 * only for N > A; the formulas below are given for that case and the edge
 * conventions are stated per function.
 *
 * Erlang B is computed by the recursion B(0) = 1,
 * B(k) = A B(k-1) / (k + A B(k-1)), whose terms stay in (0, 1], and
 * C(N, A) = N B(N) / (N - A (1 - B(N))).  No factorials or powers appear,
 * so traffic of thousands of erlangs neither overflows nor underflows.
 *
 * Invalid arguments (negative or NAN traffic, h <= 0, ...) give NAN from
 * the value functions and ST_ERR_INVALID from the status functions, as in
 * stats.h where NAN means "undefined".
 */
#ifndef SLT_ERLANG_H
#define SLT_ERLANG_H

/* The largest agent count the search tries; beyond it ST_ERR_TOO_LARGE. */
#define ERLANG_MAX_AGENTS 1000000u

/*
 * Erlang B: the probability that a call finds all n servers busy in a
 * loss system offered a erlangs (a >= 0).  B(0, a) = 1; B(n, 0) = 0 for
 * n >= 1.  O(n).  NAN for a < 0, infinite or NAN.
 */
double erlang_b(unsigned n, double a);

/*
 * Erlang C: the probability that a call has to wait, for n agents and a
 * erlangs (a >= 0).  For n <= a the queue grows without bound and every
 * call waits: the result is 1.  C(n, 0) = 0 for n >= 1.  O(n).  NAN for an
 * invalid a.
 */
double erlang_c(unsigned n, double a);

/*
 * The share of calls answered within threshold_s seconds:
 * SL(n) = 1 - C(n, a) exp(-(n - a) threshold_s / aht_s).  0 when n <= a
 * (the stable-queue formula does not apply and the long-run share tends to
 * 0).  NAN for an invalid a, aht_s <= 0 or threshold_s < 0 or infinite (or NAN).
 */
double erlang_service_level(unsigned n, double a, double aht_s, double threshold_s);

/*
 * Average speed of answer in seconds, C(n, a) aht_s / (n - a).  NAN
 * (undefined: unbounded) when n <= a, and for invalid arguments as above.
 */
double erlang_asa(unsigned n, double a, double aht_s);

/*
 * The smallest integer n > a with erlang_service_level(n, a, aht_s,
 * threshold_s) >= target, into *agents.  a = 0 gives 0 agents (nothing to
 * answer).  target must be in [0, 1): SL(n) < 1 for every finite n, so a
 * target of 1 (or more) is ST_ERR_INVALID, as are a < 0, aht_s <= 0,
 * threshold_s < 0 or infinite and NANs.  ST_ERR_TOO_LARGE when no n up to
 * ERLANG_MAX_AGENTS reaches the target (or a is that large).  *agents is
 * written only on ST_OK.  O(n).
 */
int erlang_agents_for_traffic(double a, double aht_s, double threshold_s, double target,
                              unsigned *agents);

/*
 * The agents one interval needs (the planning column): with arrival rate
 * lambda = offered / interval_s and h = aht_s, a = lambda h erlangs, then
 * erlang_agents_for_traffic(a, aht_s, threshold_s, target).  offered = 0
 * or aht_s = 0 gives 0 agents (nothing arrives, or nothing takes time).
 * ST_ERR_INVALID for offered < 0, interval_s <= 0, aht_s < 0, NANs and the
 * target and threshold rules above.  *agents is written only on ST_OK.
 */
int erlang_required_agents(double offered, double interval_s, double aht_s, double threshold_s,
                           double target, unsigned *agents);

#endif
