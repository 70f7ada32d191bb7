/*
 * sl_cost.h - the cost of service level (docs/metrics.md "The cost of
 * service level"): for a list of target service levels, the productive
 * agent hours a month's traffic needs to meet each one (Erlang C,
 * erlang.h), the paid hours after shrinkage, their cost, and what each
 * further point costs.
 *
 * What it owns: nothing.  Pure computation on the caller's arrays: no I/O,
 * no allocation, no global state; any thread.
 *
 * Hours for a target s: the sum, over every interval with offered > 0, of
 * erlang_required_agents(offered, interval_s, aht, threshold_s, s) x
 * interval_s / 3600.  The interval's AHT is its own, or the month's when
 * nothing was answered in it (as the Staffing sheet's required agents).
 * Paid hours = hours / (1 - shrinkage_pct / 100).  Cost = hours x
 * hour_cost: agent_hour_cost is the price of a PRODUCTIVE hour (the
 * contract's key), so the shrinkage is already in it; the paid hours say
 * how much rostered time that is.  The marginal hours (cost) per point
 * between consecutive targets t0 < t1 are (h1 - h0) / ((t1 - t0) x 100).
 *
 * Undefined is NAN (stats.h): hours when an interval with contacts has no
 * AHT to use (nothing answered in the whole month), cost without an hour
 * cost, the first target's marginals.
 */
#ifndef SLT_SL_COST_H
#define SLT_SL_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sla.h"

#define SL_COST_MAX_TARGETS 32 /* targets one curve may ask */
#define SL_COST_POINT       0.01

/* One interval of the month. */
typedef struct sl_cost_interval {
    double offered;    /* contacts offered (>= 0) */
    double aht_s;      /* the interval's AHT; NAN when nothing was answered in it */
    double interval_s; /* its length in seconds (> 0; 23- and 25-hour days vary) */
    int64_t agents;    /* distinct agents who handled its contacts; -1 when unknown */
} sl_cost_interval_t;

typedef struct sl_cost_params {
    double threshold_s;   /* T of the service level, >= 0 */
    double month_aht_s;   /* used where an interval's aht_s is NAN; may be NAN */
    double shrinkage_pct; /* 0 <= x < 100 */
    double hour_cost;     /* money per productive agent hour; NAN: no cost */
} sl_cost_params_t;

/* What one target needs. */
typedef struct sl_cost_row {
    double target;        /* the service level, in (0, 1) */
    double hours;         /* productive agent hours */
    double paid_hours;    /* hours / (1 - shrinkage) */
    double cost;          /* hours x hour_cost */
    double marg_hours_pt; /* per point since the previous target (NAN for the first) */
    double marg_paid_pt;  /* the same in paid hours */
    double marg_cost_pt;  /* the same in money */
} sl_cost_row_t;

/*
 * The hours of one target s in (0, 1) for the month's n intervals into
 * *row (target, hours, paid hours, cost; marginals NAN).  ST_ERR_INVALID for
 * a target outside (0, 1), bad params (threshold < 0, shrinkage outside
 * [0, 100)) or a bad interval (offered < 0, interval_s <= 0, NANs);
 * ST_ERR_TOO_LARGE when an interval's traffic needs more than
 * ERLANG_MAX_AGENTS.  *row is written only on ST_OK.
 */
int sl_cost_row(const sl_cost_interval_t *iv, size_t n, const sl_cost_params_t *p, double s,
                sl_cost_row_t *row);

/*
 * The curve: sl_cost_row() of each of the n_targets targets (strictly
 * increasing, each in (0, 1), at most SL_COST_MAX_TARGETS) into rows[i],
 * with the marginals per point from the previous row.  Errors as
 * sl_cost_row(), and ST_ERR_INVALID for targets not increasing; rows are
 * complete only on ST_OK.
 */
int sl_cost_curve(const sl_cost_interval_t *iv, size_t n, const sl_cost_params_t *p,
                  const double *targets, size_t n_targets, sl_cost_row_t *rows);

/*
 * The agent hours that actually handled contacts: the sum of agents x
 * interval_s / 3600 over the intervals; NAN when an interval with
 * contacts does not know its agents (-1).
 */
double sl_cost_handled_hours(const sl_cost_interval_t *iv, size_t n);

/*
 * Sorts the n targets of t in place, drops duplicates (values within 1e-9)
 * and returns how many remain.  Any thread.
 */
size_t sl_cost_targets_sort(double *t, size_t n);

/*
 * The default targets into out (room for SL_COST_MAX_TARGETS): 0.70 to
 * 0.95 by 0.05, plus contract_target and contract_target + 0.01 when they
 * are in (0, 1) (contract_target NAN: none), sorted, without duplicates.
 * Returns how many.
 */
size_t sl_cost_default_targets(double contract_target, double *out);

/*
 * Parses a list of targets as a user writes it ("0.70,0.75,0.8"): decimal
 * numbers in (0, 1) separated by commas, at most SL_COST_MAX_TARGETS, into
 * out sorted and without duplicates; *n how many.  ST_ERR_INVALID with the
 * reason in err ("'1.2' is not in (0, 1)").  Any thread.
 */
int sl_cost_targets_parse(const char *s, double *out, size_t *n, char *err, size_t errlen);

/* The month's curve as the API and the workbook show it. */
typedef struct sl_cost_month {
    int threshold_s;        /* T the hours were sized for */
    double shrinkage_pct;   /* the contract's, or 0 */
    double hour_cost;       /* the contract's agent_hour_cost, or NAN */
    double contract_target; /* the contract's service_level target, or NAN */
    size_t intervals;       /* intervals with contacts offered */
    size_t n;               /* rows of the curve */
    sl_cost_row_t rows[SL_COST_MAX_TARGETS];
    /* One more point above the contract's target: hours, paid hours and
     * cost of target + 0.01 less those of the target (has_next false
     * without a target, or when target + 0.01 >= 1). */
    bool has_next;
    sl_cost_row_t next;
    /* Where the month stood: the service level reached (by the contract's
     * formula and threshold), the hours it would need (achieved_row.hours,
     * NAN when the level is not in (0, 1)) and the agent hours that
     * actually handled contacts. */
    double achieved_sl;
    sl_cost_row_t achieved_row;
    double handled_hours;
} sl_cost_month_t;

/*
 * The curve of a month from its interval result (SLA_BY_INTERVAL, whose
 * total row is the month: its service level and AHT): threshold_s sizes
 * the hours; targets (n_targets of them, sorted, no duplicates; NULL or 0:
 * sl_cost_default_targets(contract_target)); shrinkage_pct and hour_cost
 * as sl_cost_params_t.  Errors as sl_cost_curve(), with the reason in err.
 * Allocates only for the call.  Any thread.
 */
int sl_cost_month(const sla_result_t *intervals, int threshold_s, double contract_target,
                  double shrinkage_pct, double hour_cost, const double *targets, size_t n_targets,
                  sl_cost_month_t *out, char *err, size_t errlen);

#endif
