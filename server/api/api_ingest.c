/* api_ingest.c - POST /v1/tenants/{t}/cdrs: streaming contact ingestion. */
#include <string.h>

#include "api.h"
#include "chan.h"
#include "ingest.h"
#include "log.h"
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

void api_cdrs_ingest(api_ctx_t *ctx, db_t *db)
{
    batch_mode_t mode;
    if (!api_batch_mode(ctx, &mode))
        return;
    ingest_format fmt;
    if (ingest_format_from_content_type(httpd_header(ctx->req, "content-type"), &fmt) != ST_OK) {
        api_error(ctx, 415, "unsupported_media_type",
                  "send contacts as text/csv, application/json, application/x-ndjson or "
                  "text/x-asterisk-queue-log",
                  NULL);
        return;
    }
    ingest_t *g = NULL;
    char err[512] = "";
    int rc = ingest_begin(db, &ctx->tenant, ctx->who.actor, fmt, mode, &g, err, sizeof err);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    const char *data;
    long n;
    while ((n = api_body_next(ctx, &data)) > 0) {
        if ((rc = ingest_feed(g, data, (size_t)n)) != ST_OK)
            break;
    }
    if (n < 0) { /* the body failed: api_body_next answered; nothing is kept */
        ingest_free(g);
        return;
    }
    if (rc == ST_OK)
        rc = ingest_finish(g);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        ingest_free(g);
        return;
    }
    api_json(ctx, ingest_committed(g) ? 200 : 422, ingest_receipt(g));
    ingest_free(g);
}
