/*
 * compliance.h - a month's contract compliance (METRICS.md "Contract
 * compliance and service credits"): the month's value of each contract
 * metric, taken from the month's queue metrics and the tenant's QA row,
 * then credits.h over the one month.  One definition shared by the
 * Scorecard sheet, the portfolio and GET /metrics.
 *
 * Pure computation: no I/O, no global state; any thread.  Inputs are only
 * read; the result is the caller's (credits_result_free()).
 */
#ifndef SLT_COMPLIANCE_H
#define SLT_COMPLIANCE_H

#include "contract.h"
#include "credits.h"
#include "qa_metrics.h"
#include "sla.h"

/*
 * The month's value of a contract metric: queue metrics from `month` (the
 * month's total row), QA metrics from `qa` (the tenant's row; NULL: every
 * QA metric undefined).  NAN when undefined.
 */
double compliance_metric_value(contract_metric_t metric, const sla_row_t *month,
                               const qa_metrics_row_t *qa);

/*
 * Compliance and credits of contract c for the one month year-month: one
 * ITEM row per contract item (met, missed or not measurable, its credit)
 * and the month's totals with the cap.  ST_OK with *out filled, or the
 * credits_compute() error (reason in err) with *out empty.
 */
int compliance_month(const contract_t *c, int year, int month, const sla_row_t *month_row,
                     const qa_metrics_row_t *qa, credits_result_t *out, char *err, size_t errlen);

/* One month of a compliance_months() call.  Everything is borrowed. */
typedef struct compliance_input {
    int year, month;            /* consecutive across the array */
    const contract_t *contract; /* in force that month; NULL: no items, no fee */
    const sla_row_t *total;     /* the month's queue metrics */
    const qa_metrics_row_t *qa; /* the tenant's QA row; NULL: QA undefined */
} compliance_input_t;

/*
 * Compliance, credits and earn-back over n consecutive months (the months
 * before a report's month let its earn-back outcomes be settled:
 * METRICS.md "Earn-back").  Result and errors as compliance_month().
 */
int compliance_months(const compliance_input_t *months, size_t n, credits_result_t *out, char *err,
                      size_t errlen);

#endif
