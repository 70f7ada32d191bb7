/*
 * report_build.c - metrics, workbook, digest and signature of one report
 * (see report_build.h).
 *
 * Every template is written the same way: templates/<name>.json under
 * config paths.templates, a report model, xl_write(); the data digest is
 * the writer's (xl_digest.h).  The model of client-monthly and
 * internal-monthly is one tenant's month (report_model.c); that of
 * portfolio-monthly is the month of every tenant the job covers
 * (report_portfolio.c, tenants from report_store.h).
 */
#include "report_build.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pki.h"
#include "report_changes.h"
#include "report_model.h"
#include "report_portfolio.h"
#include "status.h"
#include "tenant.h"
#include "xl_template.h"
#include "xl_writer.h"

#define WORKBOOK_MAX_BYTES ((size_t)512 << 20)

/* What the workbook states besides the data. */
typedef struct report_facts {
    tenant_t tenant; /* the report's tenant (a portfolio's: the one requested under) */
    char digest[65];
    char fingerprint[65];
    char ca_fingerprint[65];
} report_facts_t;

/*
 * The portfolio model: the tenants recorded with the job (report_store.h),
 * or, for a job queued before they were recorded, the report's own tenant
 * only (what the interim layout showed).
 */
static int portfolio_model(db_t *db, const rstore_job_t *job, const report_facts_t *x, int y, int m,
                           xl_model_t **model, char *err, size_t errlen)
{
    tenant_t *covers = NULL;
    size_t n = 0;
    int rc = rstore_covers(db, job->tenant_id, job->id, &covers, &n);
    if (rc != ST_OK) {
        snprintf(err, errlen, "reading the portfolio's tenants failed: %s", db_error(db));
        return rc;
    }
    rportfolio_req_t req = {.tenants = n ? covers : &x->tenant,
                            .n_tenants = n ? n : 1,
                            .anchor_id = x->tenant.id,
                            .year = y,
                            .month = m,
                            .template_name = job->template_name,
                            .report_id = job->id,
                            .generated_at = job->generated_at,
                            .cert_fingerprint = x->fingerprint,
                            .ca_fingerprint = x->ca_fingerprint};
    rc = rportfolio_build(db, &req, model, err, errlen);
    free(covers);
    return rc;
}

/*
 * Writes the workbook of a report to path: the model of its month (one
 * tenant, or the portfolio's tenants), a tenant report's Changes sheets
 * (report_changes.h), the template from paths.templates, xl_write (which
 * serialises itself).  The writer's data digest goes to digest; for a
 * tenant report the canonical text it covers goes to canon and its batch
 * marks to mark (kept for the next version).
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
    if (strcmp(job->audience, "portfolio") == 0) {
        rc = portfolio_model(db, job, x, y, m, &model, err, errlen);
    } else {
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
                            .ca_fingerprint = x->ca_fingerprint,
                            .pseudonymise = strcmp(job->audience, "client") == 0,
                            .internal = strcmp(job->audience, "internal") == 0};
        rc = report_model_build(db, &req, &model, err, errlen);
        /* Columns the data decides (a scorecard dimension each) join the template's. */
        if (rc == ST_OK && (rc = xl_model_extend_template(model, tpl)) != ST_OK)
            snprintf(err, errlen, "adding the month's columns to the template failed");
        rchanges_req_t creq = {job->tenant_id, job->id, job->supersedes, y, m};
        if (rc == ST_OK)
            rc = rchanges_fill(db, &creq, mark, tpl, model, canon, err, errlen);
    }
    if (rc != ST_OK)
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
    int y = 0, m = 0;
    sscanf(job->period, "%4d-%2d", &y, &m);
    snprintf(x.fingerprint, sizeof x.fingerprint, "%s",
             cms_signer_fingerprint(signing_signer(signing)));
    snprintf(x.ca_fingerprint, sizeof x.ca_fingerprint, "%s",
             signing_ca_fingerprint(signing) ? signing_ca_fingerprint(signing) : "");
    snprintf(path, sizeof path, "%s/tmp", cfg->var);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/tmp/report-%" PRIu64 "-%d.xlsx", cfg->var, job->id,
             (int)getpid());
    if (progress)
        progress(arg, 10);
    rchanges_mark_t mark = {0, 0, false};
    /* A portfolio has no Changes sheets, so keeps no values for them. */
    bool values = strcmp(job->audience, "portfolio") != 0;
    if ((rc = write_templated(db, cfg, job, &x, y, m, path, x.digest, values_out, &mark, err,
                              errlen)) != ST_OK)
        goto fail;
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
    return rc;
}
