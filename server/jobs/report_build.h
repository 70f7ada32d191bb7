/*
 * report_build.h - builds one report: computes the metrics of its period,
 * writes the workbook, computes its data digest and signs its exact bytes.
 *
 * Every template (client-monthly, internal-monthly, portfolio-monthly) is
 * written from its file under config paths.templates and a report model
 * (report_model.h; report_portfolio.h for the portfolio, over the tenants
 * recorded with the job) by xl_write(), which serialises workbook writing
 * with its own mutex; the data digest is the writer's.  Deterministic: the
 * document's creation time and the signature's signing time are the
 * report's generated_at, so the same data give the same bytes.
 */
#ifndef SLT_REPORT_BUILD_H
#define SLT_REPORT_BUILD_H

#include "buf.h"
#include "config.h"
#include "db.h"
#include "report_store.h"
#include "signing.h"

/* Called with 0-100 as the build goes (may be NULL). */
typedef void (*report_progress_fn)(void *arg, int progress);

/*
 * Builds job's report.  workbook, signature and values are initialised
 * here and are the caller's to free (buf_free) in every case; on ST_OK *r
 * points into them (values: the canonical text of a templated report's
 * data digest, kept for the next version's Changes sheet, report_changes.h;
 * empty for other reports).
 * Anything else: the reason is in err (for the job's `error`).
 */
int report_build(db_t *db, const config_t *cfg, const signing_t *signing, const rstore_job_t *job,
                 report_progress_fn progress, void *arg, buf_t *workbook, buf_t *signature,
                 buf_t *values, rstore_result_t *r, char *err, size_t errlen);

#endif
