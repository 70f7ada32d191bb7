/*
 * report_portfolio.h - the report model of the portfolio workbook
 * (templates/portfolio-monthly.json, REPORTS.md: "every tenant's month on
 * one page"), for the tables that template reads:
 *
 *   cover        the Cover facts (rmodel_cover()) and "tenants", how many
 *                tenants the workbook covers; its XL_FACT_TENANT (the page
 *                header's subject) says "Portfolio: N tenants"
 *   portfolio    one row per covered tenant, in the caller's order: the
 *                month's volumes, service level (hidden numerator and
 *                denominator by each tenant's sl_formula, so the total is
 *                a ratio), target, ASA, abandon rate, AHT, FCR (hidden
 *                parts, provisional flag), CSAT (hidden parts), QA score,
 *                contract items met / missed, credit after the cap and its
 *                currency
 *   credits      one row per currency, by code: the tenants with a
 *                contract in it, their fees and their credits (amounts in
 *                different currencies are never added together)
 *   contracts    one row per tenant: the contract version in force and the
 *                parameters its month was measured with (the METRICS.md
 *                defaults, version 0, without a contract)
 *   methodology  how the portfolio's numbers and totals are formed
 *
 * Each tenant's month is computed by report_model_month(): the same
 * contract, sla, QA and credits code as its client workbook, so a tenant's
 * row equals the numbers of its own client-monthly report.
 *
 * Which tenants: the caller's list (report_store.h: the tenants the
 * requesting token could see when the report was requested, by slug).
 * Language: the contract language of the tenant the report was requested
 * under (anchor_id), English without one.
 *
 * What it owns: nothing; the model is the caller's (xl_model_free).
 * rportfolio_build() runs on the caller's thread with its connection;
 * rportfolio_fill() is pure computation (no I/O), any thread.
 */
#ifndef SLT_REPORT_PORTFOLIO_H
#define SLT_REPORT_PORTFOLIO_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "report_model.h"
#include "tenant.h"
#include "xl_model.h"

/* What the model is built for.  Every pointer is borrowed for the call. */
typedef struct rportfolio_req {
    const tenant_t *tenants; /* the covered tenants, in the order shown */
    size_t n_tenants;
    uint64_t anchor_id;           /* the tenant requested under: the language */
    int year, month;              /* each tenant's local month */
    const char *template_name;    /* shown on the Cover */
    uint64_t report_id;           /* shown on the Cover */
    int64_t generated_at;         /* Unix seconds UTC (> 0) */
    const char *cert_fingerprint; /* SHA-256 hex of the signing certificate */
    const char *ca_fingerprint;   /* SHA-256 hex of the CA certificate, or NULL */
} rportfolio_req_t;

/*
 * Builds the portfolio model of req: report_model_month() for each tenant,
 * then rportfolio_fill().  On ST_OK *out is a new model the caller frees
 * with xl_model_free(); otherwise *out is NULL and err says why, naming
 * the tenant whose month failed.  Caller's thread and connection.
 */
int rportfolio_build(db_t *db, const rportfolio_req_t *req, xl_model_t **out, char *err,
                     size_t errlen);

/*
 * Fills the tables above into m (new, empty) from months[i], the month of
 * req->tenants[i]; sets m's language and generated_at.  ST_OK, or
 * ST_ERR_INVALID with the reason in err (a bad generated_at, no tenants).
 * Inputs are only read.  Pure; any thread.
 */
int rportfolio_fill(xl_model_t *m, const rportfolio_req_t *req, const rmodel_month_t *months,
                    char *err, size_t errlen);

#endif
