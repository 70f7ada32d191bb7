/* api_common.c - response helpers shared by every handler (see api.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "chan.h"
#include "faults.h"
#include "log.h"
#include "pct.h"
#include "server.h"
#include "status.h"
#include "xmem.h"

void api_json(api_ctx_t *ctx, int status, json_t *doc)
{
    json_decref(ctx->json);
    ctx->status = status;
    ctx->json = doc;
}

void api_error(api_ctx_t *ctx, int status, const char *code, const char *message, json_t *details)
{
    free(ctx->err_code);
    free(ctx->err_message);
    json_decref(ctx->err_details);
    ctx->status = status;
    ctx->err_code = xstrdup(code);
    ctx->err_message = xstrdup(message);
    ctx->err_details = details;
}

json_t *api_body_json(api_ctx_t *ctx)
{
    const char *ct = httpd_header(ctx->req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
        api_error(ctx, 415, "unsupported_media_type", "send the body as application/json", NULL);
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_loadb(ctx->req->body.data ? ctx->req->body.data : "", ctx->req->body.len,
                             JSON_REJECT_DUPLICATES, &e);
    if (!doc) {
        char msg[300];
        snprintf(msg, sizeof msg, "body is not valid JSON: %s (line %d, column %d)", e.text, e.line,
                 e.column);
        api_error(ctx, 400, "bad_json", msg, NULL);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        api_error(ctx, 400, "bad_json", "body must be a JSON object", NULL);
        return NULL;
    }
    return doc;
}

void api_db_error(api_ctx_t *ctx, int rc, db_t *db)
{
    ctx->db_status = rc;
    if (rc == ST_ERR_RETRY) {
        api_error(ctx, 503, "write_conflict",
                  "the change met a conflicting change made at the same time and could not be "
                  "applied; try again",
                  NULL);
        return;
    }
    if (rc == ST_ERR_UNAVAILABLE) {
        api_error(ctx, 503, "unavailable", "the database is unavailable; try again", NULL);
        return;
    }
    if (rc == ST_ERR_DB && db && db_disk_full(db)) { /* 1021, 1114, errno 28 */
        log_error("database disk full", "request_id", ctx->req->request_id, "error", db_error(db),
                  NULL);
        char msg[768];
        snprintf(msg, sizeof msg,
                 "%s: nothing of this request was kept; try again once space is freed",
                 db_error(db));
        api_error(ctx, 503, "disk_full", msg, NULL);
        return;
    }
    log_error("database error", "request_id", ctx->req->request_id, "error",
              db ? db_error(db) : st_strerror(rc), NULL);
    api_error(ctx, 500, "internal", "internal error; the log has details under this request id",
              NULL);
}

void api_reset_response(api_ctx_t *ctx)
{
    json_decref(ctx->json);
    json_decref(ctx->err_details);
    free(ctx->err_code);
    free(ctx->err_message);
    free(ctx->extra_headers);
    ctx->json = ctx->err_details = NULL;
    ctx->err_code = ctx->err_message = ctx->extra_headers = NULL;
    ctx->content_type = NULL;
    buf_reset(&ctx->raw);
    ctx->status = 0;
    ctx->db_status = ST_OK;
}

const config_t *api_config(const api_ctx_t *ctx)
{
    return ctx->srv->cfg;
}

long api_body_next(api_ctx_t *ctx, const char **data)
{
    long n = chan_pop(ctx->body, data);
    if (n < 0)
        api_body_failed(ctx);
    return n;
}

void api_body_failed(api_ctx_t *ctx)
{
    if (ctx->body_status > 0)
        api_error(ctx, ctx->body_status, ctx->body_code, ctx->body_message, NULL);
    else
        api_error(ctx, 400, "incomplete_body", "the request body was cut off", NULL);
}

bool api_query(const api_ctx_t *ctx, const char *name, char *out, size_t outlen)
{
    const char *q = ctx->req->query;
    return q && pct_field(q, strlen(q), name, out, outlen);
}

void api_invalid_choice(api_ctx_t *ctx, const char *what, const char *given,
                        const char *const *valid)
{
    char list[400], msg[640];
    faults_join(valid, list, sizeof list);
    if (given)
        snprintf(msg, sizeof msg, "%s: unknown value '%.64s' (one of: %s)", what, given, list);
    else
        snprintf(msg, sizeof msg, "%s: one of %s", what, list);
    api_error(ctx, 400, "invalid", msg,
              json_pack("{s:s, s:o}", "field", what, "valid", faults_names_json(valid)));
}

bool api_dry_run(api_ctx_t *ctx, bool *dry_run)
{
    static const char *const valid[] = {"true", "false", "1", "0", NULL};
    char v[16];
    *dry_run = false;
    if (!api_query(ctx, "dry_run", v, sizeof v)) {
        if (!ctx->req->query || !strstr(ctx->req->query, "dry_run="))
            return true;
        api_invalid_choice(ctx, "dry_run", NULL, valid);
        return false;
    }
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *dry_run = true;
    else if (strcmp(v, "false") != 0 && strcmp(v, "0") != 0) {
        api_invalid_choice(ctx, "dry_run", v, valid);
        return false;
    }
    return true;
}
