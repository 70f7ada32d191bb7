/*
 * api_qa.c - the QA routes: scorecard versions (PUT/GET
 * /qa/forms/{form}), inspector lists by month (PUT /qa/inspectors), and
 * the streaming uploads of evaluations, calibrations and appeals
 * (qa_ingest.h).  Each change is one transaction with its audit entry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "audit.h"
#include "faults.h"
#include "hash.h"
#include "jsonutil.h"
#include "qa_form.h"
#include "qa_ingest.h"
#include "status.h"

#define QUOTA_MAX 1000000

/* Answers 400 with a message and the field it is about. */
static void invalid(api_ctx_t *ctx, const char *field, const char *msg)
{
    api_error(ctx, 400, "invalid", msg, json_pack("{s:s}", "field", field));
}

/* Answers 400 for an unknown member at `where` ("" for the body), naming the valid ones. */
static void unknown_member(api_ctx_t *ctx, const char *where, const char *key,
                           const char *const *valid)
{
    char q[QA_ID_MAX + 4], list[200], msg[400], field[120];
    qa_form_quote(q, sizeof q, key);
    snprintf(field, sizeof field, "%s%s%s", where, where[0] ? "." : "", q);
    snprintf(msg, sizeof msg, "%s: unknown member (one of: %s)", field,
             faults_join(valid, list, sizeof list));
    api_error(ctx, 400, "invalid", msg,
              json_pack("{s:s, s:o}", "field", field, "valid", faults_names_json(valid)));
}

/* Locks the tenant row: changes of one tenant's QA set-up apply one at a time. */
static int lock_tenant(db_t *db, uint64_t tenant_id)
{
    int rc = db_begin(db);
    db_val_t v[] = {db_u64(tenant_id)};
    if (rc == ST_OK)
        rc = db_exec(db, "SELECT id FROM tenants WHERE id = ? FOR UPDATE", v, 1, NULL);
    return rc;
}

void api_qa_form_put(api_ctx_t *ctx, db_t *db)
{
    bool dry_run;
    if (!api_dry_run(ctx, &dry_run))
        return;
    json_t *doc = api_body_json(ctx);
    if (!doc)
        return;
    qa_form_t *form = NULL;
    char *text = NULL;
    db_res_t *res = NULL;
    char err[640];
    json_t *list = json_array();
    faults_t fl;
    faults_init(&fl, err, sizeof err, list);
    int rc = ST_OK;
    if (qa_form_check(doc, &form, &fl) != ST_OK) {
        api_error(ctx, 400, "invalid", err, faults_details(&fl));
        goto done;
    }
    if (strcmp(qa_form_id(form), ctx->params[0]) != 0) {
        invalid(ctx, "form_id", "form_id: must equal the form named in the path");
        goto done;
    }
    text = jsonutil_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    int version = qa_form_version(form);
    if ((rc = lock_tenant(db, ctx->tenant.id)) != ST_OK)
        goto done;
    db_val_t k[] = {db_u64(ctx->tenant.id), db_str(qa_form_id(form)), db_i64(version)};
    if ((rc = db_exec(db,
                      "SELECT body FROM qa_forms WHERE tenant_id = ? AND form_id = ? AND "
                      "version = ?",
                      k, 3, &res)) != ST_OK)
        goto done;
    if (db_res_next(res)) {
        db_rollback(db);
        size_t blen = 0;
        const char *body = db_res_str(res, 0, &blen);
        json_t *stored = json_loadb(body, blen, 0, NULL);
        bool same =
            stored && json_equal(stored, doc); /* by value: not by how numbers were written */
        json_decref(stored);
        if (same) {
            json_t *out = json_pack("{s:s, s:i, s:b}", "form_id", qa_form_id(form), "version",
                                    version, "created", 0);
            if (dry_run)
                json_object_set_new(out, "dry_run", json_true());
            api_json(ctx, 200, out);
        } else {
            snprintf(err, sizeof err,
                     "form \"%s\" version %d exists with other content; a stored version never "
                     "changes (evaluations were scored with it): PUT a new version",
                     qa_form_id(form), version);
            api_error(ctx, 409, "conflict", err, NULL);
        }
        goto done;
    }
    if (dry_run) { /* valid, and new: a real PUT would create it (201) */
        db_rollback(db);
        api_json(ctx, 200,
                 json_pack("{s:s, s:i, s:b, s:b}", "form_id", qa_form_id(form), "version", version,
                           "created", 0, "dry_run", 1));
        goto done;
    }
    char sha[HASH_SHA256_HEX_LEN + 1], object[120];
    hash_sha256_hex(text, strlen(text), sha);
    json_t *d = json_pack("{s:s, s:i, s:s}", "form_id", qa_form_id(form), "version", version,
                          "sha256", sha);
    char *dtext = jsonutil_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    snprintf(object, sizeof object, "form:%s:%d", qa_form_id(form), version);
    db_val_t v[] = {
        db_u64(ctx->tenant.id), db_str(qa_form_id(form)),           db_i64(version),
        db_str(text),           db_double(qa_form_pass_mark(form)), db_str(ctx->who.actor)};
    if ((rc = db_exec(db,
                      "INSERT INTO qa_forms (tenant_id, form_id, version, body, pass_mark, actor) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      v, 6, NULL)) == ST_OK &&
        (rc = audit_append(db, ctx->who.actor, ctx->tenant.id, "qa.form", object,
                           dtext ? dtext : "{}")) == ST_OK)
        rc = db_commit(db);
    free(dtext);
    if (rc == ST_OK)
        api_json(ctx, 201,
                 json_pack("{s:s, s:i, s:b}", "form_id", qa_form_id(form), "version", version,
                           "created", 1));
done:
    if (rc != ST_OK) {
        db_rollback(db);
        api_db_error(ctx, rc, db);
    }
    db_res_free(res);
    free(text);
    qa_form_free(form);
    json_decref(list);
    json_decref(doc);
}

void api_qa_form_get(api_ctx_t *ctx, db_t *db)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(ctx->tenant.id), db_str(ctx->params[0])};
    int rc = db_exec(db,
                     "SELECT version, body, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), "
                     "actor FROM qa_forms WHERE tenant_id = ? AND form_id = ? ORDER BY version",
                     v, 2, &res);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    json_t *versions = json_array();
    while (db_res_next(res)) {
        size_t len = 0;
        const char *body = db_res_str(res, 1, &len);
        json_t *form = json_loadb(body, len, 0, NULL);
        json_array_append_new(
            versions, json_pack("{s:I, s:s, s:s, s:o}", "version", (json_int_t)db_res_i64(res, 0),
                                "created_at", db_res_str(res, 2, NULL), "actor",
                                db_res_str(res, 3, NULL), "form", form ? form : json_null()));
    }
    db_res_free(res);
    api_json(ctx, 200, json_pack("{s:s, s:o}", "form_id", ctx->params[0], "versions", versions));
}

/* "YYYY-MM" with a month 01-12 and a year 1970-2199. */
static bool month_valid(const char *m)
{
    if (strlen(m) != 7 || m[4] != '-')
        return false;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (m[i] < '0' || m[i] > '9'))
            return false;
    int year = (m[0] - '0') * 1000 + (m[1] - '0') * 100 + (m[2] - '0') * 10 + (m[3] - '0');
    int month = (m[5] - '0') * 10 + (m[6] - '0');
    return year >= 1970 && year <= 2199 && month >= 1 && month <= 12;
}

/* Checks one inspector entry; false after answering 400. */
static bool inspector_valid(api_ctx_t *ctx, json_t *list, size_t i)
{
    json_t *o = json_array_get(list, i);
    char msg[200], field[48];
    snprintf(field, sizeof field, "inspectors[%zu]", i);
    if (!json_is_object(o)) {
        snprintf(msg, sizeof msg, "%s: must be an object", field);
        invalid(ctx, field, msg);
        return false;
    }
    static const char *const members[] = {"inspector_id", "name", "monthly_quota", NULL};
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        (void)val;
        if (strcmp(key, "inspector_id") && strcmp(key, "name") && strcmp(key, "monthly_quota")) {
            unknown_member(ctx, field, key, members);
            return false;
        }
    }
    const char *id = json_string_value(json_object_get(o, "inspector_id"));
    const char *name = json_string_value(json_object_get(o, "name"));
    json_t *quota = json_object_get(o, "monthly_quota");
    const char *why = NULL;
    if (!qa_form_id_valid(id))
        why = "inspector_id: 1-64 visible ASCII characters";
    else if (!name || !name[0] || strlen(name) > 255 ||
             strlen(name) != json_string_length(json_object_get(o, "name")))
        why = "name: a string of 1-255 bytes";
    else if (!json_is_integer(quota) || json_integer_value(quota) < 0 ||
             json_integer_value(quota) > QUOTA_MAX)
        why = "monthly_quota: a whole number 0..1000000";
    for (size_t j = 0; !why && j < i; j++)
        if (strcmp(json_string_value(json_object_get(json_array_get(list, j), "inspector_id")),
                   id) == 0)
            why = "inspector_id: listed twice";
    if (why) {
        snprintf(msg, sizeof msg, "%s.%s", field, why);
        invalid(ctx, field, msg);
        return false;
    }
    return true;
}

void api_qa_inspectors_put(api_ctx_t *ctx, db_t *db)
{
    static const char *const members[] = {"month", "inspectors", NULL};
    bool dry_run;
    if (!api_dry_run(ctx, &dry_run))
        return;
    json_t *doc = api_body_json(ctx);
    if (!doc)
        return;
    char month[8];
    json_t *m = json_object_get(doc, "month");
    json_t *list = json_object_get(doc, "inspectors");
    const char *key;
    json_t *val;
    int rc = ST_OK;
    json_object_foreach(doc, key, val)
    {
        (void)val;
        if (strcmp(key, "month") && strcmp(key, "inspectors")) {
            unknown_member(ctx, "", key, members);
            goto done;
        }
    }
    if (m) {
        if (!json_is_string(m) || !month_valid(json_string_value(m))) {
            invalid(ctx, "month", "month: YYYY-MM");
            goto done;
        }
        snprintf(month, sizeof month, "%s", json_string_value(m));
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(month, sizeof month, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    }
    if (!json_is_array(list)) {
        invalid(ctx, "inspectors", "inspectors: an array of {inspector_id, name, monthly_quota}");
        goto done;
    }
    for (size_t i = 0; i < json_array_size(list); i++)
        if (!inspector_valid(ctx, list, i))
            goto done;
    if ((rc = lock_tenant(db, ctx->tenant.id)) != ST_OK)
        goto done;
    db_val_t k[] = {db_u64(ctx->tenant.id), db_str(month)};
    rc = db_exec(db, "DELETE FROM inspectors WHERE tenant_id = ? AND effective_month = ?", k, 2,
                 NULL);
    for (size_t i = 0; rc == ST_OK && i < json_array_size(list); i++) {
        json_t *o = json_array_get(list, i);
        db_val_t v[] = {db_u64(ctx->tenant.id), db_str(month),
                        db_str(json_string_value(json_object_get(o, "inspector_id"))),
                        db_str(json_string_value(json_object_get(o, "name"))),
                        db_i64(json_integer_value(json_object_get(o, "monthly_quota")))};
        rc = db_exec(db,
                     "INSERT INTO inspectors (tenant_id, effective_month, inspector_id, name, "
                     "monthly_quota) VALUES (?, ?, ?, ?, ?)",
                     v, 5, NULL);
    }
    if (rc == ST_OK && !dry_run) {
        json_t *d = json_pack("{s:s, s:O}", "month", month, "inspectors", list);
        char *dtext = jsonutil_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(d);
        char object[32];
        snprintf(object, sizeof object, "inspectors:%s", month);
        rc = audit_append(db, ctx->who.actor, ctx->tenant.id, "qa.inspectors", object,
                          dtext ? dtext : "{}");
        free(dtext);
    }
    if (rc == ST_OK && dry_run)
        db_rollback(db); /* a dry run keeps nothing */
    else if (rc == ST_OK)
        rc = db_commit(db);
    if (rc == ST_OK) {
        json_t *out = json_pack("{s:s, s:I}", "month", month, "inspectors",
                                (json_int_t)json_array_size(list));
        if (dry_run)
            json_object_set_new(out, "dry_run", json_true());
        api_json(ctx, 200, out);
    }
done:
    if (rc != ST_OK) {
        db_rollback(db);
        api_db_error(ctx, rc, db);
    }
    json_decref(doc);
}

/* What a QA upload needs to begin its batch (api_upload_ops_t arg). */
typedef struct qa_arg {
    qa_kind kind;
    ingest_format fmt;
    batch_mode_t mode;
} qa_arg_t;

/* api_upload_ops_t for the QA kinds: qa_ingest.h behind void pointers. */
static int qa_begin(db_t *db, api_ctx_t *ctx, void *arg, void **batch, char *err, size_t errlen)
{
    const qa_arg_t *a = arg;
    return qa_ingest_begin(db, &ctx->tenant, ctx->who.actor, a->kind, a->fmt, a->mode,
                           (qa_ingest_t **)batch, err, errlen);
}
static int qa_feed(void *batch, const char *data, size_t len)
{
    return qa_ingest_feed(batch, data, len);
}
static int qa_finish(void *batch)
{
    return qa_ingest_finish(batch);
}
static bool qa_committed(const void *batch)
{
    return qa_ingest_committed(batch);
}
static json_t *qa_receipt(const void *batch)
{
    return qa_ingest_receipt(batch);
}
static void qa_free(void *batch)
{
    qa_ingest_free(batch);
}

/* A streaming QA upload of one kind (api_upload_run(), as contacts). */
static void qa_upload(api_ctx_t *ctx, db_t *db, qa_kind kind)
{
    static const api_upload_ops_t ops = {qa_begin,     qa_feed,    qa_finish,
                                         qa_committed, qa_receipt, qa_free};
    qa_arg_t arg = {.kind = kind};
    if (!api_batch_mode(ctx, &arg.mode))
        return;
    if (ingest_format_from_content_type(httpd_header(ctx->req, "content-type"), &arg.fmt) !=
            ST_OK ||
        arg.fmt == INGEST_QLOG) {
        api_error(ctx, 415, "unsupported_media_type",
                  "send QA data as text/csv, application/json or application/x-ndjson", NULL);
        return;
    }
    api_upload_run(ctx, db, &ops, &arg);
}

void api_qa_upload_buffer(api_ctx_t *ctx, db_t *db, int kind, int fmt, batch_mode_t mode,
                          const char *data, size_t len)
{
    static const api_upload_ops_t ops = {qa_begin,     qa_feed,    qa_finish,
                                         qa_committed, qa_receipt, qa_free};
    qa_arg_t arg = {.kind = (qa_kind)kind, .fmt = (ingest_format)fmt, .mode = mode};
    if (arg.fmt != INGEST_CSV && arg.fmt != INGEST_JSON && arg.fmt != INGEST_NDJSON) {
        api_error(ctx, 400, "invalid", "format: QA data is csv, json or ndjson", NULL);
        return;
    }
    api_upload_run_buffer(ctx, db, &ops, &arg, data, len);
}

void api_qa_evaluations(api_ctx_t *ctx, db_t *db)
{
    qa_upload(ctx, db, QA_KIND_EVALUATIONS);
}

void api_qa_calibrations(api_ctx_t *ctx, db_t *db)
{
    qa_upload(ctx, db, QA_KIND_CALIBRATIONS);
}

void api_qa_appeals(api_ctx_t *ctx, db_t *db)
{
    qa_upload(ctx, db, QA_KIND_APPEALS);
}
