/*
 * report_model.h - the report model (reports/xl_model.h) of one tenant and
 * month, filled from the database and the engines (sla, credits,
 * qa_metrics) for the tables the workbook templates read:
 *
 *   cover           the Cover facts (the writer adds the data digest), with
 *                   the summary's: verdict, credits, earn-back, QA score
 *   cover_items     the Cover's contract items: target, actual, result,
 *                   credit and the values of the three months before
 *   scorecard       one row per contract item: target, actual, met, credit,
 *                   credit after the cap (no rows without a contract)
 *   daily           sla by local day (sl_num / sl_den by the contract's
 *                   sl_formula, so the ratio total is the month's value)
 *   intervals       service level by interval label x weekday, summed over
 *                   the month's days of each weekday, and interval compliance
 *   queues          sla by queue
 *   quality_agents  qa_metrics per agent (pseudonymised on request)
 *   qa_csat         the QA-CSAT agreement facts
 *   data_quality    rows received / rejected / duplicates / late arrivals of
 *                   the month's ingest batches (late: received after the
 *                   period's first report was requested), when the period
 *                   closed, and the FCR provisional flag
 *   methodology     the METRICS.md definitions in force, with the contract's
 *                   parameters
 *
 * and, for internal workbooks (rmodel_req_t.internal) only:
 *
 *   agents          every queue metric (sla by agent) and QA metric per
 *                   agent, with the 95 % interval, "sample too small" and n
 *   inspectors      every inspector metric and the composite (inspector.h)
 *   calibration     one row per participant of the month's sessions: score,
 *                   reference, deviation
 *   appeals         appeals of the month's evaluations: dates, outcome,
 *                   original and new score
 *   staffing        every local interval: Erlang C required agents against
 *                   the distinct agents who handled a contact in it
 *   evidence        one row per contact that counted against the service
 *                   level: a streamed table (xl_model.h), read from the
 *                   database in pages while the workbook is written, so
 *                   it is never held whole (the writer continues it on a
 *                   next sheet past Excel's rows)
 *
 * report_model_month() gives the same month of a tenant in summary (the
 * month's totals, QA and credits), for the portfolio workbook
 * (report_portfolio.h); rmodel_cover() fills a Cover for any workbook.
 *
 * No HTTP here.  Runs on the caller's thread with the caller's connection;
 * the model is the caller's (xl_model_free).  An internal model borrows
 * that connection for its evidence stream: write (or digest) the model on
 * the same thread while the connection is open, and free the model before
 * closing it.
 */
#ifndef SLT_REPORT_MODEL_H
#define SLT_REPORT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "metrics_run.h"
#include "qa_metrics.h"
#include "sla.h"
#include "tenant.h"
#include "xl_model.h"

/* What the model is built for.  Every pointer is borrowed for the call. */
typedef struct rmodel_req {
    const tenant_t *tenant;
    int year, month;              /* the local month of the report */
    const char *template_name;    /* shown on the Cover */
    uint64_t report_id;           /* shown on the Cover */
    int64_t generated_at;         /* Unix seconds UTC (> 0) */
    const char *cert_fingerprint; /* SHA-256 hex of the signing certificate */
    const char *ca_fingerprint;   /* SHA-256 hex of the CA certificate, or NULL */
    bool pseudonymise;            /* agents as "Agent 001".. (client workbooks) */
    bool internal;                /* also the internal tables (see above) */
} rmodel_req_t;

/*
 * Builds the model of req's tenant and month.  On ST_OK *out is a new
 * model the caller frees with xl_model_free(); otherwise *out is NULL and
 * err says why (ST_ERR_INVALID for a bad month, ST_ERR_TOO_LARGE for too
 * many contacts, a database error's code).  Caller's thread.
 */
int report_model_build(db_t *db, const rmodel_req_t *req, xl_model_t **out, char *err,
                       size_t errlen);

/*
 * Sets the Cover facts of req (row 0 of table "cover"): req->tenant's name
 * as XL_FACT_TENANT (the subject the page header shows), the period,
 * time_zone, generated_at, template, report id, certificate fingerprint,
 * the CA's fingerprint and the advice to compare it with one obtained
 * independently, and how to verify; the writer adds the data digest.  Texts are copied.
 * No I/O; the caller's thread.
 */
int rmodel_cover(xl_model_t *m, const rmodel_req_t *req, const char *time_zone);

/* A tenant's month in summary: what the portfolio shows of it. */
typedef struct rmodel_month {
    metrics_info_t info;    /* contract version (0: METRICS.md defaults), zone, parameters */
    sla_row_t total;        /* the month's queue metrics (the daily result's total) */
    int64_t sl_num, sl_den; /* the service level's parts by info.params.sl_formula */
    qa_metrics_row_t qa;    /* the tenant's QA row (agent_id NULL) */
    bool has_contract;
    int eff_year, eff_month, eff_day;      /* the contract's effective_from (0 without) */
    char language[4];                      /* the contract's workbook language, "en" without */
    double qa_pass_mark;                   /* in force (85 without a contract) */
    size_t items, items_met, items_missed; /* contract items; the rest are not measurable */
    int64_t fee_cents;                     /* monthly fee (0 without) */
    int32_t cap_centi;                     /* credit_cap_pct in hundredths of a percent */
    int64_t credit_cents;                  /* the month's credit after the cap */
    char currency[8];                      /* "" without a contract */
} rmodel_month_t;

/*
 * Computes tenant's local month year-month as report_model_build() does
 * (the contract in force or the defaults, the same sla, QA and credits
 * computations) into *out, a plain value.  generated_at: Unix seconds UTC
 * (the FCR provisional flag).  Errors as report_model_build().  Caller's
 * thread and connection.
 */
int report_model_month(db_t *db, const tenant_t *tenant, int year, int month, int64_t generated_at,
                       rmodel_month_t *out, char *err, size_t errlen);

#endif
