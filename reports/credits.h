/*
 * credits.h - contract compliance and service credits (METRICS.md
 * "Contract compliance and service credits").
 *
 * Input: a run of consecutive months, each with the terms of the contract
 * version in force for it (fee, cap, earn-back months, items) and the
 * month's value of each item's metric (NAN when undefined).  Output: rows,
 * one per item per month and one per earn-back outcome, plus a total per
 * month.  Nothing is netted: a credit and its later return are two rows,
 * each in its own month.
 *
 * Rules, in order:
 *   - status: NAN is "not measurable" (credits nothing); else "met" when
 *     value >= target (">=") or value <= target ("<="), on the unrounded
 *     value; else "missed".
 *   - a missed item credits credit_pct/100 x monthly_fee.
 *   - the month's total is min(sum of credits, credit_cap_pct/100 x fee).
 *     When the cap bites, each credit keeps its share of the cap, pro rata
 *     (floor of credit x cap / sum, the cents left over going one each to
 *     the largest remainders, earlier items first on ties), so the rows
 *     add up to the cap exactly and an earn-back returns what was charged.
 *   - earn-back (earn_back_months N of the month of the credit, 0 = none):
 *     a missed item's credit is "at risk" in its month M.  The row of month
 *     M+N returns it ("earned back") when the same metric was met in every
 *     month M+1..M+N (under the version in force then), and otherwise
 *     "confirmed" (missed, not measurable or no longer an item in one of
 *     them counts as not met: the condition is "met in each month").  When
 *     M+N is past the last month given, no outcome row is made yet.
 *
 * Money is exact integer cents (hundredths of the currency unit);
 * percentages are integer hundredths of a percent (3 % = 300).  A credit
 * is cents x pct_centi / 10000 rounded half up to the cent, computed in
 * 64-bit integers (the pro-rata step in 128-bit); no floating point
 * touches money.  Amounts are positive; the kind of row says which way.
 *
 * Pure: no I/O, no global state; any thread.  Input arrays are only read
 * and not kept; the result is owned by the caller (credits_result_free).
 */
#ifndef SLT_CREDITS_H
#define SLT_CREDITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contract.h"

#define CREDITS_MAX_MONTHS 1200 /* months in one credits_compute() call */

typedef enum credits_status {
    CREDITS_MET,
    CREDITS_MISSED,
    CREDITS_NOT_MEASURABLE,
} credits_status_t;

typedef enum credits_row_kind {
    CREDITS_ROW_ITEM,        /* one item's compliance in a month, and its credit */
    CREDITS_ROW_EARNED_BACK, /* a credit of month from_* returned in this month */
    CREDITS_ROW_CONFIRMED,   /* a credit of month from_* kept after its earn-back window */
} credits_row_kind_t;

/* One month of input.  Every pointer is borrowed for the call only. */
typedef struct credits_month {
    int year, month;      /* consecutive across the array */
    int64_t fee_cents;    /* monthly_fee in cents, 0..1e14 */
    int32_t cap_centi;    /* credit_cap_pct in hundredths of a percent, 0..10000 */
    int earn_back_months; /* 0..12 */
    size_t n_items;       /* 0..CM_COUNT, each metric at most once */
    const contract_item_t *items;
    const double *values; /* values[i] is items[i]'s metric; NAN when undefined */
} credits_month_t;

/* One output row. */
typedef struct credits_row {
    int year, month; /* the month whose report shows the row */
    credits_row_kind_t kind;
    contract_metric_t metric;
    contract_cmp_t comparator; /* ITEM rows: the item's terms in that month */
    double target;
    double value;                /* ITEM rows: the month's value (NAN: not measurable) */
    credits_status_t status;     /* ITEM rows; CREDITS_MISSED on outcome rows */
    int32_t credit_pct_centi;    /* the item's credit_pct (of the credit's month) */
    int64_t credit_cents;        /* credit_pct/100 x fee when missed, else 0 (uncapped) */
    int64_t applied_cents;       /* what is charged (after the cap); outcome rows: the
                                    amount returned or kept */
    bool at_risk;                /* ITEM rows: missed and subject to earn-back */
    int from_year, from_month;   /* month of the credit (ITEM rows: the row's month) */
    int until_year, until_month; /* month whose report settles the earn-back
                                    (at-risk and outcome rows), else 0 */
} credits_row_t;

/* Totals of one month's report. */
typedef struct credits_total {
    int year, month;
    int64_t fee_cents;
    size_t met, missed, not_measurable;
    int64_t uncapped_cents;    /* sum of the month's credits before the cap */
    int64_t cap_cents;         /* credit_cap_pct/100 x fee */
    int64_t credited_cents;    /* min(uncapped, cap): what the month credits */
    bool cap_applied;          /* uncapped > cap */
    int64_t at_risk_cents;     /* part of credited_cents subject to earn-back */
    int64_t earned_back_cents; /* earlier credits returned in this month's report */
    int64_t confirmed_cents;   /* earlier credits confirmed in this month's report */
} credits_total_t;

typedef struct credits_result {
    size_t n_rows;
    credits_row_t *rows; /* by month; in a month: ITEM rows in item order, then
                            outcome rows by month of the credit, then item order */
    size_t n_months;
    credits_total_t *months; /* one per input month, same order */
} credits_result_t;

/*
 * Computes compliance, credits and earn-back over `n` consecutive months.
 * On success fills *out (the caller frees it with credits_result_free()).
 * ST_ERR_INVALID with a message in err when the months are not
 * consecutive, an amount or percentage is out of range, a metric repeats
 * or an array is missing; ST_ERR_TOO_LARGE past CREDITS_MAX_MONTHS.  *out
 * is left empty on failure.  Any thread.
 */
int credits_compute(const credits_month_t *months, size_t n, credits_result_t *out, char *err,
                    size_t errlen);

/* Releases the arrays of a result and empties it; NULL does nothing. */
void credits_result_free(credits_result_t *r);

/* Met / missed / not measurable for one value (see the rules above). */
credits_status_t credits_item_status(const contract_item_t *item, double value);

/* pct_centi/10000 x cents, rounded half up to the cent (both >= 0). */
int64_t credits_pct_of(int64_t cents, int32_t pct_centi);

/*
 * Fills *out with a contract's terms for year-month and the caller's
 * values (values[i] for contract_item(c, i); kept as a pointer, so it must
 * outlive the credits_compute() call, as must c).  Any thread.
 */
void credits_month_from_contract(const contract_t *c, int year, int month, const double *values,
                                 credits_month_t *out);

/* "met", "missed", "not measurable". */
const char *credits_status_name(credits_status_t s);

#endif
