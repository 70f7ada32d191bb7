/*
 * page_upload.c - uploading contacts and QA files from the browser, and the
 * batch history.  The form is plain multipart (no script needed); the file
 * goes through the API's own batch kinds (api_upload_buffer(): the same
 * readers, modes, receipt and audit entry as POST /v1/tenants/{t}/cdrs and
 * /qa/...), and the receipt is shown with its row errors as a table.  The
 * history lists ingest_batches, a page per batch.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idnum.h"
#include "ingest.h"
#include "multipart.h"
#include "page_mgr.h"
#include "status.h"

#define BATCHES_MAX 10000 /* the newest batches the history lists */

/* The kinds a person may upload, as the form names them. */
static const char *const kinds[] = {"cdrs", "evaluations", "calibrations", "appeals", NULL};

/* The form's choices, with the one chosen marked (for the page). */
static json_t *choices(const char *const *names, const char *prefix, const char *chosen)
{
    json_t *list = json_array();
    for (size_t i = 0; names[i]; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%s", prefix, names[i]);
        json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "value", names[i], "label_key",
                                              key, "selected", strcmp(names[i], chosen) == 0));
    }
    return list;
}

/* Starts the upload page: the form with the given choices. */
static void upload_page(page_t *pg, const char *kind, const char *format, const char *mode)
{
    static const char *const formats[] = {"auto", "csv", "json", "ndjson", "queue_log", NULL};
    static const char *const modes[] = {"strict", "lenient", NULL};
    page_tenant_data(pg);
    json_object_set_new(pg->data, "kinds", choices(kinds, "mgr.upload.kind.", kind));
    json_object_set_new(pg->data, "formats", choices(formats, "mgr.upload.format.", format));
    json_object_set_new(pg->data, "modes", choices(modes, "mgr.upload.mode.", mode));
}

void page_upload_form(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    page_t pg;
    page_begin(&pg, ctx);
    upload_page(&pg, "cdrs", "auto", "strict");
    page_render(&pg, 200, "upload");
}

/* The format a file's name suggests (.csv, .json, .ndjson/.jsonl, else queue_log); 0 when none. */
static int format_from_name(const char *filename)
{
    const char *dot = strrchr(filename, '.');
    if (!dot)
        return 0;
    if (strcasecmp(dot, ".csv") == 0)
        return INGEST_CSV;
    if (strcasecmp(dot, ".json") == 0)
        return INGEST_JSON;
    if (strcasecmp(dot, ".ndjson") == 0 || strcasecmp(dot, ".jsonl") == 0)
        return INGEST_NDJSON;
    if (strcasecmp(dot, ".log") == 0)
        return INGEST_QLOG;
    return 0;
}

/* A form field of the parts into out ("" when absent or too long). */
static void field(const multipart_part_t *parts, size_t n, const char *name, char *out,
                  size_t outlen)
{
    const multipart_part_t *p = multipart_find(parts, n, name);
    out[0] = '\0';
    if (p && p->len < outlen && !memchr(p->data, '\0', p->len)) {
        memcpy(out, p->data, p->len);
        out[p->len] = '\0';
    }
}

/* The receipt for the page: its counts, and its row errors as rows. */
static void show_receipt(page_t *pg, const json_t *receipt, int status)
{
    json_t *r = json_deep_copy(receipt);
    json_object_set_new(r, "refused", json_boolean(status == 422));
    char key[64];
    snprintf(key, sizeof key, "mgr.upload.kind.%s",
             json_string_value(json_object_get(r, "kind"))
                 ? json_string_value(json_object_get(r, "kind"))
                 : "");
    json_object_set_new(r, "kind_key", json_string(key));
    json_t *errors = json_object_get(r, "errors");
    json_incref(errors);
    json_object_del(r, "errors");
    json_object_set_new(pg->data, "receipt", r);
    json_object_set_new(pg->data, "errors", errors ? errors : json_array());
}

void page_upload(api_ctx_t *ctx, db_t *db)
{
    page_t pg;
    page_begin(&pg, ctx);
    const char *ct = httpd_header(ctx->req, "content-type");
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t n = 0;
    char err[160], kind[32], format[32], mode[32];
    const char *message = NULL;
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0 ||
        multipart_parse(ct, ctx->req->body.data ? ctx->req->body.data : "", ctx->req->body.len,
                        parts, &n, err, sizeof err) != ST_OK)
        n = 0;
    field(parts, n, "kind", kind, sizeof kind);
    field(parts, n, "format", format, sizeof format);
    field(parts, n, "mode", mode, sizeof mode);
    const multipart_part_t *file = multipart_find(parts, n, "file");
    ingest_format fmt = 0;
    bool known_kind = false;
    for (size_t i = 0; kinds[i]; i++)
        known_kind |= strcmp(kind, kinds[i]) == 0;
    if (!format[0] || strcmp(format, "auto") == 0)
        fmt = file ? format_from_name(file->filename) : 0;
    else if (ingest_format_parse(format, &fmt) != ST_OK)
        fmt = 0;
    if (!known_kind)
        snprintf(kind, sizeof kind, "cdrs");
    if (strcmp(mode, "lenient") != 0)
        snprintf(mode, sizeof mode, "strict");
    upload_page(&pg, kind, format[0] ? format : "auto", mode);
    if (!file || !file->filename[0])
        message = "mgr.upload.no_file";
    else if (!fmt)
        message = "mgr.upload.no_format";
    if (message) {
        json_object_set_new(pg.data, "message_key", json_string(message));
        page_render(&pg, 400, "upload");
        return;
    }
    batch_mode_t bm = {.lenient = strcmp(mode, "lenient") == 0, .dry_run = false};
    api_upload_buffer(ctx, db, kind, fmt, bm, file->data, file->len);
    if (ctx->err_code && ctx->status >= 500) {
        page_end(&pg); /* the error page says it (portal_error) */
        return;
    }
    int status = ctx->status;
    if (ctx->err_code) { /* the API's refusal of the request (a format the kind does not take) */
        json_object_set_new(pg.data, "api_message", json_string(ctx->err_message));
        free(ctx->err_code);
        free(ctx->err_message);
        json_decref(ctx->err_details);
        ctx->err_code = ctx->err_message = NULL;
        ctx->err_details = NULL;
    } else {
        show_receipt(&pg, ctx->json, status);
        json_decref(ctx->json);
        ctx->json = NULL;
    }
    page_render(&pg, status, "upload");
}

/* The batches of the tenant, newest first, as list rows. */
static int batches_rows(page_t *pg, db_t *db, uint64_t only, json_t **out)
{
    const api_ctx_t *ctx = pg->ctx;
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(ctx->tenant.id), db_u64(only), db_u64(only), db_i64(BATCHES_MAX)};
    int rc = db_exec(db,
                     "SELECT id, kind, format, mode, status, actor, rows_total, inserted, updated, "
                     "unchanged, rejected, body_bytes, LOWER(HEX(body_sha256)), "
                     "TIMESTAMPDIFF(SECOND, '1970-01-01', received_at), "
                     "DATE_FORMAT(received_at, '%Y-%m-%dT%H:%i:%sZ') FROM ingest_batches "
                     "WHERE tenant_id = ? AND (? = 0 OR id = ?) ORDER BY id DESC LIMIT ?",
                     v, 4, &res);
    if (rc != ST_OK)
        return rc;
    json_t *rows = json_array();
    while (db_res_next(res)) {
        char at[128], key[64];
        l10n_instant(pg->cat, db_res_i64(res, 13), ctx->tenant.timezone, at, sizeof at);
        snprintf(key, sizeof key, "mgr.upload.kind.%s", db_res_str(res, 1, NULL));
        json_t *row = json_pack(
            "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s}",
            "id", (json_int_t)db_res_i64(res, 0), "kind", db_res_str(res, 1, NULL), "kind_key", key,
            "format", db_res_str(res, 2, NULL), "mode", db_res_str(res, 3, NULL), "status",
            db_res_str(res, 4, NULL), "actor", db_res_str(res, 5, NULL), "rows",
            (json_int_t)db_res_i64(res, 6), "inserted", (json_int_t)db_res_i64(res, 7), "updated",
            (json_int_t)db_res_i64(res, 8), "unchanged", (json_int_t)db_res_i64(res, 9), "rejected",
            (json_int_t)db_res_i64(res, 10), "bytes", (json_int_t)db_res_i64(res, 11), "sha256",
            db_res_str(res, 12, NULL), "received", at, "received_at", db_res_str(res, 14, NULL));
        json_object_set_new(row, "committed",
                            json_boolean(strcmp(db_res_str(res, 4, NULL), "committed") == 0));
        json_array_append_new(rows, row);
    }
    db_res_free(res);
    *out = rows;
    return ST_OK;
}

static const page_col_t batch_cols[] = {
    {"id", false},       {"received_at", true}, {"kind", true},       {"format", true},
    {"mode", true},      {"status", true},      {"actor", true},      {"rows", false},
    {"inserted", false}, {"updated", false},    {"unchanged", false}, {"rejected", false},
    {"bytes", false},    {"sha256", true},
};

void page_batches(api_ctx_t *ctx, db_t *db)
{
    json_t *rows = NULL;
    page_t pg;
    page_begin(&pg, ctx);
    int rc = batches_rows(&pg, db, 0, &rows);
    if (rc != ST_OK) {
        page_end(&pg);
        api_db_error(ctx, rc, db);
        return;
    }
    page_tenant_data(&pg);
    if (page_list(&pg, "batches", rows, batch_cols, sizeof batch_cols / sizeof batch_cols[0]))
        return;
    page_render(&pg, 200, "batches");
}

void page_batch(api_ctx_t *ctx, db_t *db)
{
    uint64_t id = 0;
    if (ctx->nparams < 1 || !idnum_parse(ctx->params[0], &id) || id == 0) {
        api_error(ctx, 404, "not_found", "no such batch", NULL);
        return;
    }
    json_t *rows = NULL;
    page_t pg;
    page_begin(&pg, ctx);
    int rc = batches_rows(&pg, db, id, &rows);
    if (rc != ST_OK || json_array_size(rows) == 0) {
        json_decref(rows);
        page_end(&pg);
        if (rc != ST_OK)
            api_db_error(ctx, rc, db);
        else
            api_error(ctx, 404, "not_found", "no such batch", NULL);
        return;
    }
    page_tenant_data(&pg);
    json_object_set(pg.data, "batch", json_array_get(rows, 0));
    json_decref(rows);
    page_render(&pg, 200, "batch");
}
