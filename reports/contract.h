/*
 * contract.h - client contracts: parsing, validation, version selection.
 *
 * A contract is the JSON of INTERFACES.md "Contract JSON".  This module
 * turns it into an immutable contract_t or refuses it naming every fault
 * with its JSON path ("items[2].metric: unknown metric 'servce_level' (one
 * of: service_level, ...)"): the first as text, all of them (up to
 * FAULTS_CAP) through a faults_t (lib/faults.h), so one answer lists what a
 * user must fix.  An unknown key or value lists the valid ones.
 *
 * Keys (anything else, at any level, is refused; duplicate keys too):
 *
 *   key                        type / range                       default
 *   effective_from             "YYYY-MM-DD", a real date          REQUIRED
 *   timezone                   IANA name (tz_name_valid syntax)   REQUIRED
 *   monthly_fee                number 0..1e12, <= 2 decimals      REQUIRED
 *   currency                   3 letters A-Z                      REQUIRED
 *   credit_cap_pct             number 0..100, <= 2 decimals       REQUIRED
 *   items                      array, see below (a NEW version    REQUIRED
 *                              needs at least one item; stored
 *                              versions without any still load)
 *   interval_min               15 | 30 | 60                       30
 *   sl_threshold_s             integer 0..65535                   20
 *   sl_formula                 offered | answered |               offered
 *                              abandon_neutral | abandon_positive
 *   short_abandon_s            integer 0..65535 (0 = off)         5
 *   fcr_method                 repeat | disposition               repeat
 *   fcr_window_h               integer 1..8760                    72
 *   csat_good_min              integer 1..5                       4
 *   qa_pass_mark               number 0..100                      85
 *   qa_precision_pts           number > 0, <= 100                 5
 *   qa_lag_target_h            number > 0, <= 8760                72
 *   calibration_tolerance_pts  number 0..100                      5
 *   business_hours             {"mon".."sun": ["HH:MM","HH:MM"]}  absent
 *   earn_back_months           integer 0..12 (0 = no earn-back)   0
 *   inspector_weights          {quota, timeliness, calibration,   all 1
 *                              accuracy}: numbers 0..1e6, not all 0
 *   language                   "en" | "zh" (workbook labels)      "en"
 *   agent_hour_cost            number 0..1e12, <= 2 decimals:     absent
 *                              money per productive agent hour
 *   shrinkage_pct              number 0 <= x < 100, <= 2          0
 *                              decimals: paid time not on contacts
 *
 * Why these are required: what METRICS.md gives a default for is optional;
 * the commercial terms (fee, currency, cap, SLA items) and the dates and
 * zone have none, and a guessed default would silently change what a client
 * is owed.  The example of INTERFACES.md gives sl_threshold_s 20 and
 * qa_pass_mark 85, which METRICS.md leaves open: those are the defaults.
 *
 * Items: {"metric", "comparator" (">=" or "<="), "target", "credit_pct"}, all
 * four required; metric is one of contract_metric_t (each at most once);
 * the target is in the metric's range (rates 0..1, seconds 0..1e9, qa_score
 * 0..100, csat_mean 1..5); credit_pct is 0..100 with at most 2 decimals.
 *
 * Business hours: per weekday one range, start "00:00".."23:59", end
 * "00:01".."24:00" ("24:00" only as an end), start < end; a day that is
 * missing is closed.  Without business_hours every interval counts.
 *
 * Money is exact: monthly_fee is kept as integer cents (hundredths of the
 * currency unit) and the percentages as integer hundredths of a percent;
 * a value with more decimals than that is refused, never rounded.
 *
 * The caller owns a contract_t and frees it with contract_free().  It is
 * immutable after parsing, so any number of threads may read it.  Item
 * descriptors belong to the contract.  No I/O (the server loads the zone
 * itself to check that it exists), no global state.
 */
#ifndef SLT_CONTRACT_H
#define SLT_CONTRACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faults.h"

#define CONTRACT_MAX_BYTES   65536 /* largest contract text contract_parse reads */
#define CONTRACT_FEE_MAX     1e12  /* largest monthly_fee, in currency units */
#define CONTRACT_SECONDS_MAX 1e9   /* largest target of a seconds metric */

/* Metrics a contract item can target (METRICS.md, month level). */
typedef enum contract_metric {
    CM_SERVICE_LEVEL,
    CM_ABANDON_RATE,
    CM_ANSWER_RATE,
    CM_ASA_S,
    CM_AVG_ABANDON_S,
    CM_MAX_WAIT_S,
    CM_WAIT_P90_S,
    CM_AHT_S,
    CM_TRANSFER_RATE,
    CM_INTERVAL_COMPLIANCE,
    CM_FCR,
    CM_CSAT,
    CM_CSAT_MEAN,
    CM_QA_SCORE,
    CM_QA_PASS_RATE,
    CM_FATAL_RATE,
    CM_QA_COVERAGE,
    CM_COUNT
} contract_metric_t;

/* What a metric's values are, which bounds its targets. */
typedef enum contract_metric_kind {
    CM_KIND_RATE,      /* fraction 0..1 */
    CM_KIND_SECONDS,   /* 0..CONTRACT_SECONDS_MAX */
    CM_KIND_SCORE,     /* 0..100 */
    CM_KIND_CSAT_MEAN, /* 1..5 */
} contract_metric_kind_t;

typedef enum contract_cmp {
    CONTRACT_CMP_GE, /* ">=": met when value >= target */
    CONTRACT_CMP_LE, /* "<=": met when value <= target */
} contract_cmp_t;

typedef enum contract_sl_formula {
    CONTRACT_SL_OFFERED,
    CONTRACT_SL_ANSWERED,
    CONTRACT_SL_ABANDON_NEUTRAL,
    CONTRACT_SL_ABANDON_POSITIVE,
} contract_sl_formula_t;

typedef enum contract_fcr_method {
    CONTRACT_FCR_REPEAT,
    CONTRACT_FCR_DISPOSITION,
} contract_fcr_method_t;

/* Components of the inspector composite (METRICS.md). */
typedef enum contract_weight {
    CONTRACT_W_QUOTA,
    CONTRACT_W_TIMELINESS,
    CONTRACT_W_CALIBRATION,
    CONTRACT_W_ACCURACY,
    CONTRACT_W_COUNT
} contract_weight_t;

/* One SLA item.  Read-only; owned by the contract (or by the caller when
 * built by hand, e.g. for credits_compute()). */
typedef struct contract_item {
    contract_metric_t metric;
    contract_cmp_t comparator;
    double target;            /* as given; "met" compares the unrounded value */
    double credit_pct;        /* as given, 0..100 */
    int32_t credit_pct_centi; /* credit_pct in hundredths of a percent, exact */
} contract_item_t;

typedef struct contract contract_t;

/*
 * Validates a parsed contract and builds a contract_t.  `root` is only read
 * (nothing is kept), so the caller keeps and frees it.  On success *out is
 * a new contract the caller frees with contract_free(); on failure *out is
 * NULL, the return is ST_ERR_INVALID and err holds "path: reason".  Any
 * thread.
 */
int contract_from_json(const json_t *root, contract_t **out, char *err, size_t errlen);

/*
 * Same from contract text (UTF-8 JSON, `len` bytes, need not be
 * NUL-terminated).  Duplicate keys are refused; more than
 * CONTRACT_MAX_BYTES is ST_ERR_TOO_LARGE.  Any thread.
 */
int contract_parse(const char *text, size_t len, contract_t **out, char *err, size_t errlen);

/*
 * Validates contract text that is to become a new version: the rules of
 * contract_parse() plus those only new versions must meet (at least one
 * item).  Every fault is recorded in fl (faults.h); ST_OK with *out, or
 * ST_ERR_INVALID / ST_ERR_TOO_LARGE with *out NULL.  Any thread.
 */
int contract_check_new(const char *text, size_t len, contract_t **out, faults_t *fl);

/* Releases a contract; contract_free(NULL) does nothing. */
void contract_free(contract_t *c);

/*
 * The contract as JSON with every default filled in (the canonical form:
 * what GET returns and the Methodology sheet prints).  New reference owned
 * by the caller (json_decref).  contract_from_json() of it gives an equal
 * contract.  Any thread.
 */
json_t *contract_to_json(const contract_t *c);

/*
 * The version in force for a month: among `versions` (in the order they
 * were PUT, oldest first; need not be sorted), the one with the latest
 * effective_from on or before year-month-01, and of several with that same
 * date the one later in the array (the later PUT replaces the earlier).
 * A version effective in the middle of a month applies from the next
 * month: "a month uses the version in force at its first instant", and both
 * sides are local dates, so no zone is needed.  NULL when no version is in
 * force yet, when n is 0, or when month is not 1..12.  The result is one
 * of the array's pointers.  Any thread.
 */
const contract_t *contract_version_for_month(const contract_t *const *versions, size_t n, int year,
                                             int month);

/* Accessors.  Any thread. */
void contract_effective_from(const contract_t *c, int *year, int *month, int *day);
/* effective_from as days since 1970-01-01 (tz_days_from_civil). */
int64_t contract_effective_days(const contract_t *c);
const char *contract_timezone(const contract_t *c);
int contract_interval_min(const contract_t *c);
int contract_sl_threshold_s(const contract_t *c);
contract_sl_formula_t contract_sl_formula(const contract_t *c);
int contract_short_abandon_s(const contract_t *c);
contract_fcr_method_t contract_fcr_method(const contract_t *c);
int contract_fcr_window_h(const contract_t *c);
int contract_csat_good_min(const contract_t *c);
double contract_qa_pass_mark(const contract_t *c);
double contract_qa_precision_pts(const contract_t *c);
double contract_qa_lag_target_h(const contract_t *c);
double contract_calibration_tolerance_pts(const contract_t *c);
int64_t contract_monthly_fee_cents(const contract_t *c);
const char *contract_currency(const contract_t *c);
/* credit_cap_pct in hundredths of a percent (12 % is 1200). */
int32_t contract_credit_cap_centi(const contract_t *c);
int contract_earn_back_months(const contract_t *c);
/* The cost of one productive agent hour in cents of the currency into
 * *cents (0 when absent); false when the contract does not give it. */
bool contract_agent_hour_cost(const contract_t *c, int64_t *cents);
/* shrinkage_pct, 0 <= x < 100 (0 when absent). */
double contract_shrinkage_pct(const contract_t *c);
/* The weight as given (>= 0; not all 0).  Normalising, and dropping the
 * components without data, is the composite's job. */
double contract_inspector_weight(const contract_t *c, contract_weight_t w);
/* "en" or "zh". */
const char *contract_language(const contract_t *c);

/* Whether the contract gives business hours (else every interval counts). */
bool contract_has_business_hours(const contract_t *c);
/*
 * Business hours of a weekday (0 = Sunday .. 6 = Saturday, as tz_civil_t),
 * in minutes after local midnight: [*start_min, *end_min), end <= 1440.
 * Returns false when the day is closed or wday is out of range (then the
 * outputs are 0); with no business_hours at all every day is [0, 1440).
 */
bool contract_business_hours(const contract_t *c, int wday, int *start_min, int *end_min);

size_t contract_item_count(const contract_t *c);
/* Item i in document order, or NULL when out of range. */
const contract_item_t *contract_item(const contract_t *c, size_t i);
/* The contract's item for a metric, or NULL when it has none. */
const contract_item_t *contract_item_find(const contract_t *c, contract_metric_t m);

/* The metric's METRICS.md name ("service_level"); NULL when out of range. */
const char *contract_metric_name(contract_metric_t m);
contract_metric_kind_t contract_metric_kind(contract_metric_t m);
/* Looks a name up (exact); returns 0 and sets *m, or -1 when unknown. */
int contract_metric_from_name(const char *name, contract_metric_t *m);
/* "offered", "answered", ... / "repeat", "disposition" / ">=", "<=". */
const char *contract_sl_formula_name(contract_sl_formula_t f);
const char *contract_fcr_method_name(contract_fcr_method_t f);
const char *contract_cmp_name(contract_cmp_t c);

#endif
