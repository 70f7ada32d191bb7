/* api_ingest.c - POST /v1/tenants/{t}/cdrs: streaming contact ingestion. */
#include <string.h>

#include "api.h"
#include "chan.h"
#include "ingest.h"
#include "log.h"
#include "qa_ingest.h"
#include "status.h"

bool api_batch_mode(api_ctx_t *ctx, batch_mode_t *out)
{
    static const char *const valid[] = {"strict", "lenient", NULL};
    char mode[16];
    out->lenient = false;
    if (!api_dry_run(ctx, &out->dry_run))
        return false;
    if (!api_query(ctx, "mode", mode, sizeof mode)) {
        if (!ctx->req->query || !strstr(ctx->req->query, "mode="))
            return true;
        api_invalid_choice(ctx, "mode", NULL, valid);
        return false;
    }
    if (strcmp(mode, "lenient") == 0)
        out->lenient = true;
    else if (strcmp(mode, "strict") != 0) {
        api_invalid_choice(ctx, "mode", mode, valid);
        return false;
    }
    return true;
}

/* What a contacts upload needs to begin its batch (api_upload_ops_t arg). */
typedef struct cdrs_arg {
    ingest_format fmt;
    batch_mode_t mode;
} cdrs_arg_t;

/* api_upload_ops_t for contacts: ingest.h behind void pointers. */
static int cdrs_begin(db_t *db, api_ctx_t *ctx, void *arg, void **batch, char *err, size_t errlen)
{
    const cdrs_arg_t *a = arg;
    return ingest_begin(db, &ctx->tenant, ctx->who.actor, a->fmt, a->mode, (ingest_t **)batch, err,
                        errlen);
}
static int cdrs_feed(void *batch, const char *data, size_t len)
{
    return ingest_feed(batch, data, len);
}
static int cdrs_finish(void *batch)
{
    return ingest_finish(batch);
}
static bool cdrs_committed(const void *batch)
{
    return ingest_committed(batch);
}
static json_t *cdrs_receipt(const void *batch)
{
    return ingest_receipt(batch);
}
static void cdrs_free(void *batch)
{
    ingest_free(batch);
}

void api_cdrs_ingest(api_ctx_t *ctx, db_t *db)
{
    static const api_upload_ops_t ops = {cdrs_begin,     cdrs_feed,    cdrs_finish,
                                         cdrs_committed, cdrs_receipt, cdrs_free};
    cdrs_arg_t arg;
    if (!api_batch_mode(ctx, &arg.mode))
        return;
    if (ingest_format_from_content_type(httpd_header(ctx->req, "content-type"), &arg.fmt) !=
        ST_OK) {
        api_error(ctx, 415, "unsupported_media_type",
                  "send contacts as text/csv, application/json, application/x-ndjson or "
                  "text/x-asterisk-queue-log",
                  NULL);
        return;
    }
    api_upload_run(ctx, db, &ops, &arg);
}

void api_upload_buffer(api_ctx_t *ctx, db_t *db, const char *kind, int fmt, batch_mode_t mode,
                       const char *data, size_t len)
{
    static const api_upload_ops_t ops = {cdrs_begin,     cdrs_feed,    cdrs_finish,
                                         cdrs_committed, cdrs_receipt, cdrs_free};
    qa_kind qk;
    if (strcmp(kind, "cdrs") == 0) {
        cdrs_arg_t arg = {.fmt = (ingest_format)fmt, .mode = mode};
        if (strcmp(ingest_format_name(arg.fmt), "?") == 0) {
            api_error(ctx, 400, "invalid", "format: one of csv, json, ndjson, queue_log", NULL);
            return;
        }
        api_upload_run_buffer(ctx, db, &ops, &arg, data, len);
    } else if (qa_kind_parse(kind, &qk) == ST_OK) {
        api_qa_upload_buffer(ctx, db, qk, fmt, mode, data, len);
    } else {
        static const char *const valid[] = {"cdrs", "evaluations", "calibrations", "appeals", NULL};
        api_invalid_choice(ctx, "kind", kind, valid);
    }
}
