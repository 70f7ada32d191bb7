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
 * What report_build() leaves to its caller: the workbook as a file (never
 * whole in memory), its signature, and the values of its data digest.
 */
typedef struct report_out {
    char path[4096]; /* the workbook under var/tmp; "" once kept elsewhere or removed */
    int fd;          /* open on it for reading (rstore_finish() sends it from there), or -1 */
    buf_t signature; /* the detached CMS signature (DER) */
    buf_t values;    /* the canonical text of a templated report's data digest */
} report_out_t;

/*
 * Builds job's report into *out (set up here, the caller's to release with
 * report_out_free() in every case); on ST_OK *r points into it: the
 * workbook by descriptor, length and SHA-256, the signature, the values
 * (kept for the next version's Changes sheet, report_changes.h; none for a
 * portfolio).  The workbook is written to a file by xl_write() and signed
 * as it is read back in pieces, so the build's memory does not grow with
 * the workbook's size.  Anything else: the reason is in err (for the job's
 * `error`).
 */
int report_build(db_t *db, const config_t *cfg, const signing_t *signing, const rstore_job_t *job,
                 report_progress_fn progress, void *arg, report_out_t *out, rstore_result_t *r,
                 char *err, size_t errlen);

/*
 * Moves the built workbook to dest (rename; a copy when dest is on another
 * file system), replacing any file there; report_out_free() then leaves it.
 * The descriptor stays open on it.  ST_ERR_IO with the reason in err.
 */
int report_out_keep(report_out_t *out, const char *dest, char *err, size_t errlen);

/* Closes the workbook, removes it unless it was kept, frees the buffers. */
void report_out_free(report_out_t *out);

#endif
