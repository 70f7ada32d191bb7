/*
 * report_build.c - metrics, workbook, digest and signature of one report
 * (see report_build.h).
 *
 * client-monthly and internal-monthly are written from their templates
 * (templates/<name>.json under config paths.templates) and the report model
 * (report_model.c) by xl_write(); their data digest is the writer's
 * (xl_digest.h).
 *
 * portfolio-monthly still uses the interim layout below (Cover, Daily,
 * Queues and Methodology sheets written directly with libxlsxwriter, with
 * its own digest) until its template exists; then it moves to the template
 * path and this code goes.
 */
#include "report_build.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "hash.h"
#include "metrics_run.h"
#include "pki.h"
#include "report_changes.h"
#include "report_model.h"
#include "rfc3339.h"
#include "status.h"
#include "tenant.h"
#include "xl_template.h"
#include "xl_writer.h"

#define WORKBOOK_MAX_BYTES ((size_t)512 << 20)

/* A column of a metric table: header, row field reader, number format. */
typedef struct column {
    const char *header;
    const char *key; /* for the data digest */
    double (*get)(const sla_row_t *r);
    const char *format; /* NULL: whole number */
    bool sum;           /* totals row: SUM formula over the rows */
} column_t;

#define GETTER(name, expr)                                                                         \
    static double name(const sla_row_t *r)                                                         \
    {                                                                                              \
        return (double)(expr);                                                                     \
    }
GETTER(get_offered, r->offered)
GETTER(get_answered, r->answered)
GETTER(get_abandoned, r->abandoned)
GETTER(get_short, r->short_abandoned)
GETTER(get_overflow, r->overflow)
GETTER(get_within, r->answered_within)
GETTER(get_sl, r->service_level)
GETTER(get_asa, r->asa_s)
GETTER(get_aht, r->aht_s)
GETTER(get_abandon_rate, r->abandon_rate)
GETTER(get_p90, r->wait_p90_s)
GETTER(get_fcr, r->fcr)
GETTER(get_csat, r->csat)
#undef GETTER

static const column_t metric_columns[] = {
    {"Offered", "offered", get_offered, NULL, true},
    {"Answered", "answered", get_answered, NULL, true},
    {"Abandoned", "abandoned", get_abandoned, NULL, true},
    {"Short abandoned", "short_abandoned", get_short, NULL, true},
    {"Overflow", "overflow", get_overflow, NULL, true},
    {"Answered within threshold", "answered_within", get_within, NULL, true},
    {"Service level", "service_level", get_sl, "0.0%", false},
    {"ASA (s)", "asa_s", get_asa, "0.0", false},
    {"AHT (s)", "aht_s", get_aht, "0.0", false},
    {"Abandon rate", "abandon_rate", get_abandon_rate, "0.0%", false},
    {"Wait p90 (s)", "wait_p90_s", get_p90, "0", false},
    {"FCR", "fcr", get_fcr, "0.0%", false},
    {"CSAT", "csat", get_csat, "0.0%", false},
};
#define NCOLS (sizeof metric_columns / sizeof metric_columns[0])

/* Appends one table's values to the canonical text the data digest covers. */
static void digest_table(buf_t *canon, const char *sheet, const sla_result_t *res)
{
    for (size_t i = 0; i <= sla_result_count(res); i++) {
        const sla_row_t *r =
            i < sla_result_count(res) ? sla_result_row(res, i) : sla_result_total(res);
        const char *key = i < sla_result_count(res) ? r->key : "total";
        for (size_t c = 0; c < NCOLS; c++) {
            double v = metric_columns[c].get(r);
            if (isnan(v))
                buf_printf(canon, "%s\t%s\t%s\tnull\n", sheet, key, metric_columns[c].key);
            else
                buf_printf(canon, "%s\t%s\t%s\t%.17g\n", sheet, key, metric_columns[c].key, v);
        }
    }
}

/* Shared cell formats of a workbook. */
typedef struct formats {
    lxw_format *header, *label, *count, *by_format[4];
    const char *names[4];
} formats_t;

/* The number format for a column. */
static lxw_format *column_format(formats_t *f, const char *num_format)
{
    if (!num_format)
        return f->count;
    for (int i = 0; i < 4; i++)
        if (f->names[i] && strcmp(f->names[i], num_format) == 0)
            return f->by_format[i];
    return f->count;
}

/* One metric table: a header row, a row per group, and a totals row. */
static void write_table(lxw_worksheet *ws, formats_t *f, const char *first_header,
                        const sla_result_t *res)
{
    worksheet_write_string(ws, 0, 0, first_header, f->header);
    worksheet_set_column(ws, 0, 0, 14, NULL);
    for (size_t c = 0; c < NCOLS; c++) {
        worksheet_write_string(ws, 0, (lxw_col_t)(c + 1), metric_columns[c].header, f->header);
        worksheet_set_column(ws, (lxw_col_t)(c + 1), (lxw_col_t)(c + 1), 14, NULL);
    }
    worksheet_freeze_panes(ws, 1, 1);
    size_t n = sla_result_count(res);
    for (size_t i = 0; i <= n; i++) {
        const sla_row_t *r = i < n ? sla_result_row(res, i) : sla_result_total(res);
        lxw_row_t row = (lxw_row_t)(i + 1);
        worksheet_write_string(ws, row, 0, i < n ? r->key : "Total", i < n ? NULL : f->label);
        for (size_t c = 0; c < NCOLS; c++) {
            double v = metric_columns[c].get(r);
            lxw_col_t col = (lxw_col_t)(c + 1);
            lxw_format *fmt = column_format(f, metric_columns[c].format);
            if (i == n && metric_columns[c].sum && n > 0) {
                /* Totals are formulas over the rows above, written with their value. */
                char formula[64], from[16], to[16];
                lxw_rowcol_to_cell(from, 1, col);
                lxw_rowcol_to_cell(to, (lxw_row_t)n, col);
                snprintf(formula, sizeof formula, "=SUM(%s:%s)", from, to);
                worksheet_write_formula_num(ws, row, col, formula, fmt, v);
            } else if (isnan(v)) {
                worksheet_write_blank(ws, row, col, fmt); /* undefined: empty, not 0 */
            } else {
                worksheet_write_number(ws, row, col, v, fmt);
            }
        }
    }
}

/* A sheet of label/value pairs. */
static void write_facts(lxw_worksheet *ws, formats_t *f, const char *const *pairs, size_t n)
{
    worksheet_set_column(ws, 0, 0, 34, NULL);
    worksheet_set_column(ws, 1, 1, 100, NULL);
    for (size_t i = 0; i < n; i++) {
        worksheet_write_string(ws, (lxw_row_t)i, 0, pairs[2 * i], f->label);
        worksheet_write_string(ws, (lxw_row_t)i, 1, pairs[2 * i + 1], NULL);
    }
}

/* Everything the workbook states, gathered before it is written. */
typedef struct report_facts {
    tenant_t tenant;
    metrics_info_t info;
    sla_result_t *daily, *queues;
    char generated[64];
    char digest[65];
    char fingerprint[65];
} report_facts_t;

/* Writes the workbook file. */
static int write_workbook(const char *path, const rstore_job_t *job, report_facts_t *x, char *err,
                          size_t errlen)
{
    lxw_workbook_options opts = {.constant_memory = LXW_FALSE, .tmpdir = NULL, .use_zip64 = 0};
    lxw_workbook *wb = workbook_new_opt(path, &opts);
    if (!wb) {
        snprintf(err, errlen, "cannot create the workbook");
        return ST_ERR_IO;
    }
    char title[160];
    snprintf(title, sizeof title, "SLA report %s %s", x->tenant.name, job->period);
    lxw_doc_properties props = {.title = title,
                                .author = "slattest",
                                .company = "slattest",
                                .created = (time_t)job->generated_at};
    workbook_set_properties(wb, &props);
    formats_t f = {.names = {"0.0%", "0.0", "0"}};
    f.header = workbook_add_format(wb);
    format_set_bold(f.header);
    format_set_bottom(f.header, LXW_BORDER_THIN);
    format_set_text_wrap(f.header);
    f.label = workbook_add_format(wb);
    format_set_bold(f.label);
    f.count = workbook_add_format(wb);
    format_set_num_format(f.count, "#,##0");
    for (int i = 0; i < 3; i++) {
        f.by_format[i] = workbook_add_format(wb);
        format_set_num_format(f.by_format[i], f.names[i]);
    }
    char id[32], version[16], contract[32], threshold[32], shortab[32], window[32], good[32],
        interval[32];
    snprintf(id, sizeof id, "%" PRIu64, job->id);
    snprintf(version, sizeof version, "%d", job->version);
    if (x->info.contract_version)
        snprintf(contract, sizeof contract, "version %d", x->info.contract_version);
    else
        snprintf(contract, sizeof contract, "none (METRICS.md defaults)");
    snprintf(threshold, sizeof threshold, "%d s", x->info.params.sl_threshold_s);
    snprintf(shortab, sizeof shortab, "%d s", x->info.params.short_abandon_s);
    snprintf(window, sizeof window, "%d h", x->info.params.fcr_window_h);
    snprintf(good, sizeof good, ">= %d of 5", x->info.params.csat_good_min);
    snprintf(interval, sizeof interval, "%d min", x->info.params.interval_min);
    const char *verify = "openssl cms -verify -binary -inform DER -in REPORT.p7s -content "
                         "REPORT.xlsx -CAfile ca.pem -out /dev/null   (or: slattest verify "
                         "REPORT.xlsx); certificates: GET /v1/certificates";
    const char *cover[] = {"Tenant",
                           x->tenant.name,
                           "Period",
                           job->period,
                           "Time zone",
                           x->info.timezone,
                           "Generated at",
                           x->generated,
                           "Template",
                           job->template_name,
                           "Report id",
                           id,
                           "Version",
                           version,
                           "Signing certificate (SHA-256)",
                           x->fingerprint,
                           "Data digest (SHA-256)",
                           x->digest,
                           "How to verify",
                           verify};
    write_facts(workbook_add_worksheet(wb, "Cover"), &f, cover, sizeof cover / sizeof *cover / 2);
    write_table(workbook_add_worksheet(wb, "Daily"), &f, "Date", x->daily);
    write_table(workbook_add_worksheet(wb, "Queues"), &f, "Queue", x->queues);
    const char *method[] = {"Contract",
                            contract,
                            "Service level formula",
                            sla_formula_name(x->info.params.sl_formula),
                            "Service level threshold (inclusive)",
                            threshold,
                            "Short abandon under",
                            shortab,
                            "FCR method",
                            x->info.params.fcr_method == SLA_FCR_REPEAT ? "repeat" : "disposition",
                            "FCR window",
                            window,
                            "Good survey",
                            good,
                            "Interval length",
                            interval,
                            "Undefined values",
                            "shown empty, never as 0"};
    write_facts(workbook_add_worksheet(wb, "Methodology"), &f, method,
                sizeof method / sizeof *method / 2);
    lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR) {
        snprintf(err, errlen, "writing the workbook: %s", lxw_strerror(e));
        return ST_ERR_IO;
    }
    return ST_OK;
}

/* Whether a template is written by the template writer (else the interim layout). */
static bool uses_template(const char *template_name)
{
    return strcmp(template_name, "client-monthly") == 0 ||
           strcmp(template_name, "internal-monthly") == 0;
}

/*
 * Writes the workbook of a templated report to path: the model of the
 * tenant's month, its Changes sheets (report_changes.h), the template from
 * paths.templates, xl_write (which serialises itself).  The writer's data
 * digest goes to digest, the canonical text it covers to canon and the
 * report's batch marks to mark (all kept for the next version).
 */
static int write_templated(db_t *db, const config_t *cfg, const rstore_job_t *job,
                           const report_facts_t *x, int y, int m, const char *path, char *digest,
                           buf_t *canon, rchanges_mark_t *mark, char *err, size_t errlen)
{
    char tpl_path[4096];
    xl_tpl_t *tpl = NULL;
    xl_model_t *model = NULL;
    snprintf(tpl_path, sizeof tpl_path, "%s/%s.json", cfg->templates, job->template_name);
    int rc = xl_tpl_load(tpl_path, &tpl, err, errlen);
    if (rc != ST_OK)
        goto fail;
    /* Before the data are read: which batches this version has seen. */
    if ((rc = rchanges_mark(db, job->tenant_id, job->id, mark)) != ST_OK)
        goto fail;
    rmodel_req_t req = {.tenant = &x->tenant,
                        .year = y,
                        .month = m,
                        .template_name = job->template_name,
                        .report_id = job->id,
                        .generated_at = job->generated_at,
                        .cert_fingerprint = x->fingerprint,
                        .pseudonymise = strcmp(job->audience, "client") == 0,
                        .internal = strcmp(job->audience, "internal") == 0};
    if ((rc = report_model_build(db, &req, &model, err, errlen)) != ST_OK)
        goto fail;
    rchanges_req_t creq = {job->tenant_id, job->id, job->supersedes, y, m};
    if ((rc = rchanges_fill(db, &creq, mark, tpl, model, canon, err, errlen)) != ST_OK)
        goto fail;
    char tmpdir[4096];
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp", cfg->var);
    xl_write_opts_t opts;
    xl_write_opts_default(&opts);
    opts.tmpdir = tmpdir;
    rc = xl_write(path, tpl, model, &opts, digest, err, errlen);
fail:
    xl_model_free(model);
    xl_tpl_free(tpl);
    return rc;
}

/* Reads a file into a buffer (capped). */
static int read_file(const char *path, buf_t *out)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ST_ERR_IO;
    char chunk[65536];
    size_t n;
    int rc = ST_OK;
    while (rc == ST_OK && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        rc = buf_append(out, chunk, n);
    fclose(fp);
    return rc;
}

int report_build(db_t *db, const config_t *cfg, const signing_t *signing, const rstore_job_t *job,
                 report_progress_fn progress, void *arg, buf_t *workbook, buf_t *signature,
                 buf_t *values_out, rstore_result_t *r, char *err, size_t errlen)
{
    report_facts_t x;
    memset(&x, 0, sizeof x);
    buf_t canon;
    buf_init(&canon, SIZE_MAX / 2);
    char path[4096] = "";
    unsigned char *der = NULL;
    size_t der_len = 0;
    buf_init(workbook, WORKBOOK_MAX_BYTES);
    buf_init(signature, 1u << 20);
    buf_init(values_out, SIZE_MAX / 2);
    int rc = tenant_by_id(db, job->tenant_id, &x.tenant);
    if (rc != ST_OK) {
        snprintf(err, errlen, "tenant %" PRIu64 " not found", job->tenant_id);
        goto fail;
    }
    sla_period_t period;
    int y = 0, m = 0;
    sscanf(job->period, "%4d-%2d", &y, &m);
    sla_period_month(&period, y, m);
    snprintf(x.fingerprint, sizeof x.fingerprint, "%s",
             cms_signer_fingerprint(signing_signer(signing)));
    snprintf(path, sizeof path, "%s/tmp", cfg->var);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/tmp/report-%" PRIu64 "-%d.xlsx", cfg->var, job->id,
             (int)getpid());
    if (progress)
        progress(arg, 10);
    rchanges_mark_t mark = {0, 0, false};
    bool values = uses_template(job->template_name);
    if (values) {
        rc =
            write_templated(db, cfg, job, &x, y, m, path, x.digest, values_out, &mark, err, errlen);
        if (rc != ST_OK)
            goto fail;
    } else {
        rc =
            metrics_compute(db, &x.tenant, &period, SLA_BY_DAY, SLA_BY_QUEUE,
                            job->generated_at * 1000000, &x.daily, &x.queues, &x.info, err, errlen);
        if (rc != ST_OK)
            goto fail;
        if (progress)
            progress(arg, 50);
        digest_table(&canon, "Daily", x.daily);
        digest_table(&canon, "Queues", x.queues);
        hash_sha256_hex(canon.data ? canon.data : "", canon.len, x.digest);
        rfc3339_format_utc(job->generated_at * 1000000, x.generated, sizeof x.generated);
        if ((rc = write_workbook(path, job, &x, err, errlen)) != ST_OK)
            goto fail;
    }
    if (progress)
        progress(arg, 80);
    if ((rc = read_file(path, workbook)) != ST_OK) {
        snprintf(err, errlen, "reading the workbook back failed");
        goto fail;
    }
    if ((rc = cms_sign(signing_signer(signing), workbook->data, workbook->len, job->generated_at,
                       &der, &der_len, err, errlen)) != ST_OK)
        goto fail;
    if ((rc = buf_append(signature, der, der_len)) != ST_OK)
        goto fail;
    memset(r, 0, sizeof *r);
    r->workbook = workbook->data;
    r->workbook_len = workbook->len;
    r->signature = signature->data;
    r->signature_len = signature->len;
    snprintf(r->data_digest, sizeof r->data_digest, "%s", x.digest);
    snprintf(r->signer_fingerprint, sizeof r->signer_fingerprint, "%s", x.fingerprint);
    pki_cert_subject(cms_signer_cert(signing_signer(signing)), r->signer, sizeof r->signer);
    if (values) {
        /* Kept for the next version's Changes sheet (report_changes.h). */
        r->values = values_out->data ? values_out->data : "";
        r->values_len = values_out->len;
        r->seen_batch_id = mark.seen_batch_id;
        r->listed_batch_id = mark.listed_batch_id;
    }
fail:
    if (path[0])
        unlink(path);
    free(der);
    buf_free(&canon);
    sla_result_free(x.daily);
    sla_result_free(x.queues);
    return rc;
}
