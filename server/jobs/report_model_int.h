/*
 * report_model_int.h - what the report model's files share (not for other
 * modules: report_model.h is the interface).
 *
 * The model is built by report_model.c (gathering the month's metrics once
 * into rmodel_ctx_t) and filled by one file per sheet family:
 *
 *   report_model_contract.c  Cover facts, Scorecard (with earn-back), Methodology
 *   report_model_cover.c     the Cover's summary (verdict, items, trend, QA)
 *   report_model_traffic.c   Daily, Intervals, Queues, Data quality, Staffing,
 *                            Service level cost
 *   report_model_quality.c   Quality, QA-CSAT, Agents, Inspectors,
 *                            Calibration, Appeals
 *   report_model_evidence.c  Evidence (a stream read while the sheet is written)
 *   report_model_cases.c     Cases (case types), and the dimension columns of
 *                            Quality, Agents and Cases
 *
 * A row is written as one list of cells (rmodel_row()), so a table's
 * columns read as a table in the code too.
 */
#ifndef SLT_REPORT_MODEL_INT_H
#define SLT_REPORT_MODEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "contract.h"
#include "credits.h"
#include "contract_store.h"
#include "metrics_run.h"
#include "qa_run.h"
#include "report_model.h"
#include "sla.h"
#include "tz.h"
#include "xl_model.h"

/* The groupings computed in one pass (from the month's rollup rows: slot,
 * agent and reason rows; G_REASON is the Cases sheet's). */
enum { G_DAY, G_INTERVAL, G_QUEUE, G_AGENT, G_REASON, G_COUNT };

/* Everything the tables are filled from, gathered once by report_model.c. */
typedef struct rmodel_ctx {
    const rmodel_req_t *req;
    db_t *db;
    xl_model_t *m;
    cstore_versions_t versions;
    const contract_t *contract; /* in force for the month, or NULL */
    metrics_info_t info;
    sla_result_t *res[G_COUNT];
    const sla_row_t *month; /* the whole month (total of the daily result) */
    qa_run_t *qa;           /* QA metrics (and inspector metrics for internal workbooks) */
    tz_t *tz;               /* internal workbooks: the contract's zone (local times) */
} rmodel_ctx_t;

/* One cell of a row: a number (NAN shows empty) or a text (copied). */
typedef struct rmodel_cell {
    const char *key;
    int is_text;
    double num;
    const char *text;
} rmodel_cell_t;

#define RM_NUM(k, v)                                                                               \
    {                                                                                              \
        (k), 0, (double)(v), NULL                                                                  \
    }
#define RM_TEXT(k, s)                                                                              \
    {                                                                                              \
        (k), 1, 0, (s)                                                                             \
    }
/* The cells of an array, for rmodel_row()/rmodel_cells(). */
#define RM_CELLS(a) (a), (sizeof(a) / sizeof((a)[0]))

/* Sets cells of row `row` of t, in order; stops at the first failure. */
int rmodel_cells(xl_table_t *t, size_t row, const rmodel_cell_t *cells, size_t n);
/* Adds a row to t (NULL t: ST_ERR_INVALID) and sets its cells. */
int rmodel_row(xl_table_t *t, const rmodel_cell_t *cells, size_t n);

/* The unit code of a contract metric ("rate", "seconds", "score", "mean"):
 * the templates' "formats" pick a number format by it. */
const char *rmodel_metric_unit(contract_metric_t m);
/* The service level's numerator and denominator by formula f (METRICS.md). */
void rmodel_sl_parts(sla_formula_t f, const sla_row_t *r, int64_t *num, int64_t *den);
/* Sets the cells shared by daily, queue and agent rows: the counts (offered,
 * answered, abandoned, overflow, short abandons, transferred), the SL
 * ratio's parts by the contract's formula, service level, ASA and AHT. */
int rmodel_queue_cells(const rmodel_ctx_t *x, xl_table_t *t, size_t row, const sla_row_t *r);
/* Sets the FCR and CSAT cells (counts and ratios) of a daily or agent row. */
int rmodel_fcr_csat_cells(xl_table_t *t, size_t row, const sla_row_t *r);
/* Excel's serial date-time of a UTC instant (microseconds) in zone tz. */
double rmodel_serial_in(const tz_t *tz, int64_t utc_us);

/*
 * The dimension columns of a QA table (report_model_cases.c): one per
 * scorecard dimension with a score in the month, in name order, appended
 * to the table's sheets (xl_table_add_column()): a hidden count
 * "dim_n_<i>" and the score "dim_<i>" labelled with the dimension's name,
 * whose total is the mean weighted by the count.  None when no evaluation
 * of the month has a dimension.
 */
int rmodel_dims_columns(const rmodel_ctx_t *x, xl_table_t *t);
/* Sets row `row`'s dimension cells from x->qa->dims[grouping] for `group`
 * (empty cells where the group has no score on a dimension). */
int rmodel_dims_cells(const rmodel_ctx_t *x, xl_table_t *t, size_t row, int grouping,
                      const char *group);

/* Months of the Cover's trend: each contract item's value in the months before. */
#define RMODEL_TREND_MONTHS 3

/*
 * The Cover's summary (report_model_cover.c): the contract items of the
 * month with target, actual, result, credit and their values in the
 * RMODEL_TREND_MONTHS months before (table "cover_items"), and the facts
 * of the verdict, the credits with the cap and earn-back, and the QA score
 * with its interval.  cr: the Scorecard's credits (NULL without a
 * contract); prev[j]: the month j + 1 months before (n >= the trend's).
 */
int rmodel_cover_summary(rmodel_ctx_t *x, const credits_result_t *cr, const rmodel_month_t *prev,
                         size_t n);

/* The sheet families: each fills its tables of x->m (report_model.h). */
int rmodel_table_scorecard(rmodel_ctx_t *x, char *err, size_t errlen);
int rmodel_table_methodology(rmodel_ctx_t *x);
int rmodel_table_daily(rmodel_ctx_t *x);
int rmodel_table_intervals(rmodel_ctx_t *x);
int rmodel_table_queues(rmodel_ctx_t *x);
int rmodel_table_data_quality(rmodel_ctx_t *x);
/* The Cover's data_close fact: closed by hand, by a schedule's grace, or not. */
int rmodel_cover_close(rmodel_ctx_t *x);
int rmodel_table_staffing(rmodel_ctx_t *x);
int rmodel_table_sl_cost(rmodel_ctx_t *x, char *err, size_t errlen);
int rmodel_table_quality(rmodel_ctx_t *x);
int rmodel_table_qa_csat(rmodel_ctx_t *x);
int rmodel_table_agents(rmodel_ctx_t *x);
int rmodel_table_inspectors(rmodel_ctx_t *x);
int rmodel_table_calibration(rmodel_ctx_t *x);
int rmodel_table_appeals(rmodel_ctx_t *x, char *err, size_t errlen);
int rmodel_table_evidence(rmodel_ctx_t *x, char *err, size_t errlen);

/*
 * A listing read from the database while the writer writes it
 * (report_model_stream.c): one query, its result columns bound into a
 * record of rec_size bytes (db_query_rows()), each record turned into row
 * 0 of the table by row(arg, ...) (err names the record when it cannot
 * be shown).  sql and cols are static; params are copied (integers only:
 * a text parameter would have to outlive the model).  release(arg), when
 * not NULL, frees arg with the model.
 */
#define RMODEL_STREAM_PARAMS 8
typedef struct rmodel_stream_def {
    const char *what; /* "the evidence contacts": for messages */
    const char *sql;
    db_val_t params[RMODEL_STREAM_PARAMS];
    size_t n_params;
    const db_out_col_t *cols;
    size_t n_cols;
    size_t rec_size;
    int (*row)(void *arg, xl_table_t *t, const void *rec, char *err, size_t errlen);
    void (*release)(void *arg);
    void *arg;
} rmodel_stream_def_t;

/* Makes `table` a stream of def; the model owns def->arg from here, in
 * every case (ST_ERR_INTERNAL for a definition out of bounds). */
int rmodel_stream(rmodel_ctx_t *x, const char *table, const rmodel_stream_def_t *def);
int rmodel_table_cases(rmodel_ctx_t *x);

#endif
