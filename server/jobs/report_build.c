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

#include <errno.h>
#include <fcntl.h>
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
#include "xmem.h"

/* report_out_keep() copies a workbook across file systems in pieces of this size. */
#define WORKBOOK_PIECE ((size_t)1 << 20)

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

/* cms_sign_stream()'s reader over the workbook file: counts what it reads. */
typedef struct wb_reader {
    int fd;
    uint64_t len;
    int error; /* errno of a failed read */
} wb_reader_t;

static int wb_read(void *arg, void *buf, size_t cap, size_t *got)
{
    wb_reader_t *w = arg;
    ssize_t n;
    while ((n = read(w->fd, buf, cap)) < 0 && errno == EINTR)
        ;
    if (n < 0) {
        w->error = errno;
        return ST_ERR_IO;
    }
    w->len += (uint64_t)n;
    *got = (size_t)n;
    return ST_OK;
}

int report_build(db_t *db, const config_t *cfg, const signing_t *signing, const rstore_job_t *job,
                 report_progress_fn progress, void *arg, report_out_t *out, rstore_result_t *r,
                 char *err, size_t errlen)
{
    report_facts_t x;
    memset(&x, 0, sizeof x);
    memset(out, 0, sizeof *out);
    out->fd = -1;
    unsigned char *der = NULL;
    size_t der_len = 0;
    buf_init(&out->signature, 1u << 20);
    buf_init(&out->values, SIZE_MAX / 2);
    memset(r, 0, sizeof *r);
    r->workbook_fd = -1;
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
    snprintf(out->path, sizeof out->path, "%s/tmp", cfg->var);
    mkdir(out->path, 0700);
    snprintf(out->path, sizeof out->path, "%s/tmp/report-%" PRIu64 "-%d.xlsx", cfg->var, job->id,
             (int)getpid());
    if (progress)
        progress(arg, 10);
    rchanges_mark_t mark = {0, 0, false};
    /* A portfolio has no Changes sheets, so keeps no values for them. */
    bool values = strcmp(job->audience, "portfolio") != 0;
    if ((rc = write_templated(db, cfg, job, &x, y, m, out->path, x.digest, &out->values, &mark, err,
                              errlen)) != ST_OK)
        goto fail;
    if (progress)
        progress(arg, 80);
    /* Signed as it is read back, a piece at a time: the workbook (a hundred
     * megabytes at 10M contacts) is never whole in memory, and its SHA-256
     * comes with the signature (the messageDigest). */
    out->fd = open(out->path, O_RDONLY | O_CLOEXEC);
    wb_reader_t rd = {out->fd, 0, 0};
    if (out->fd < 0) {
        rc = ST_ERR_IO;
        snprintf(err, errlen, "reading the workbook back failed: %s", strerror(errno));
        goto fail;
    }
    if ((rc = cms_sign_stream(signing_signer(signing), wb_read, &rd, job->generated_at,
                              r->workbook_sha256, &der, &der_len, err, errlen)) != ST_OK) {
        if (rd.error)
            snprintf(err, errlen, "reading the workbook back failed: %s", strerror(rd.error));
        goto fail;
    }
    if ((rc = buf_append(&out->signature, der, der_len)) != ST_OK)
        goto fail;
    r->workbook_fd = out->fd;
    r->workbook_len = rd.len;
    r->signature = out->signature.data;
    r->signature_len = out->signature.len;
    snprintf(r->data_digest, sizeof r->data_digest, "%s", x.digest);
    snprintf(r->signer_fingerprint, sizeof r->signer_fingerprint, "%s", x.fingerprint);
    pki_cert_subject(cms_signer_cert(signing_signer(signing)), r->signer, sizeof r->signer);
    if (values) {
        /* Kept for the next version's Changes sheet (report_changes.h). */
        r->values = out->values.data ? out->values.data : "";
        r->values_len = out->values.len;
        r->seen_batch_id = mark.seen_batch_id;
        r->listed_batch_id = mark.listed_batch_id;
    }
fail:
    free(der);
    return rc;
}

/* Copies the workbook to dest (a rename that crossed file systems). */
static int copy_workbook(const report_out_t *out, const char *dest, char *err, size_t errlen)
{
    int rc = ST_ERR_IO;
    char *piece = xmalloc(WORKBOOK_PIECE);
    FILE *f = fopen(dest, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", dest, strerror(errno));
        goto fail;
    }
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(out->fd, piece, WORKBOOK_PIECE, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", out->path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        if (fwrite(piece, 1, (size_t)n, f) != (size_t)n) {
            snprintf(err, errlen, "%s: %s", dest, strerror(errno));
            goto fail;
        }
        off += n;
    }
    rc = ST_OK;
fail:
    if (f && fclose(f) != 0 && rc == ST_OK) {
        snprintf(err, errlen, "%s: %s", dest, strerror(errno));
        rc = ST_ERR_IO;
    }
    if (rc != ST_OK && f)
        unlink(dest);
    free(piece);
    return rc;
}

int report_out_keep(report_out_t *out, const char *dest, char *err, size_t errlen)
{
    if (!out->path[0] || out->fd < 0) {
        snprintf(err, errlen, "no workbook to keep");
        return ST_ERR_INVALID;
    }
    if (rename(out->path, dest) == 0) {
        out->path[0] = '\0';
        return ST_OK;
    }
    if (errno != EXDEV) {
        snprintf(err, errlen, "%s: %s", dest, strerror(errno));
        return ST_ERR_IO;
    }
    return copy_workbook(out, dest, err, errlen);
}

void report_out_free(report_out_t *out)
{
    if (out->fd >= 0)
        close(out->fd);
    out->fd = -1;
    if (out->path[0])
        unlink(out->path);
    out->path[0] = '\0';
    buf_free(&out->signature);
    buf_free(&out->values);
}
