/* api_audit.c - GET /v1/audit and GET /v1/certificates: what auditors read. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "idnum.h"
#include "audit.h"
#include "cms_verify.h"
#include "multipart.h"
#include "report_store.h"
#include "rfc3339.h"
#include "hash.h"
#include "server.h"
#include "signing.h"
#include "status.h"

#define AUDIT_PAGE_DEFAULT 1000
#define AUDIT_PAGE_MAX     10000

void api_certificates(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    api_json(ctx, 200,
             json_pack("{s:O, s:O}", "certificates", signing_certificates(ctx->srv->signing), "ca",
                       signing_ca(ctx->srv->signing)));
}

/* Reads a non-negative integer query parameter; false (400 answered) when malformed. */
static bool query_u64(api_ctx_t *ctx, const char *name, uint64_t *out, uint64_t max)
{
    char text[32];
    if (!api_query(ctx, name, text, sizeof text))
        return true; /* absent: keep the default */
    uint64_t v = 0;
    if (!idnum_parse(text, &v) || v > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s: a whole number up to %" PRIu64, name, max);
        api_error(ctx, 400, "invalid", msg, NULL);
        return false;
    }
    *out = v;
    return true;
}

/* One audit row as JSON, with its chain hashes in hex. */
static json_t *entry_json(const db_res_t *res)
{
    size_t pl = 0, hl = 0, dl = 0;
    const char *prev = db_res_str(res, 7, &pl), *hash = db_res_str(res, 8, &hl);
    const char *detail = db_res_str(res, 6, &dl);
    char prev_hex[65] = "", hash_hex[65] = "";
    if (pl == 32)
        hash_hex_of(prev, prev_hex);
    if (hl == 32)
        hash_hex_of(hash, hash_hex);
    json_t *d = json_loadb(detail ? detail : "{}", dl, 0, NULL);
    return json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s, s:o, s:s, s:s}", "id",
                     (json_int_t)db_res_i64(res, 0), "at", db_res_str(res, 1, NULL), "actor",
                     db_res_str(res, 2, NULL), "tenant", db_res_str(res, 3, NULL), "action",
                     db_res_str(res, 4, NULL), "object", db_res_str(res, 5, NULL), "detail",
                     d ? d : json_string(detail ? detail : ""), "prev_hash", prev_hex, "hash",
                     hash_hex);
}

void api_audit_list(api_ctx_t *ctx, db_t *db)
{
    uint64_t after = 0, limit = AUDIT_PAGE_DEFAULT;
    if (!query_u64(ctx, "after", &after, UINT64_MAX / 2) ||
        !query_u64(ctx, "limit", &limit, AUDIT_PAGE_MAX))
        return;
    char slug[80];
    bool by_tenant = api_query(ctx, "tenant", slug, sizeof slug);
    tenant_t t = {0};
    if (by_tenant) {
        /* The tenancy gate, as for /v1/tenants/{t}: a tenant not granted looks missing. */
        int rc = tenant_resolve(db, &ctx->who, slug, &t);
        if (rc == ST_ERR_NOT_FOUND) {
            api_error(ctx, 404, "not_found", "no such tenant", NULL);
            return;
        }
        if (rc != ST_OK) {
            api_db_error(ctx, rc, db);
            return;
        }
    } else if (ctx->who.role != ROLE_ADMIN) {
        api_error(ctx, 400, "invalid", "tenant: name the tenant whose audit entries you want",
                  NULL);
        return;
    }
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(after), db_u64(t.id), db_u64(t.id), db_u64(limit)};
    int rc = db_exec(db,
                     "SELECT a.id, DATE_FORMAT(a.at, '%Y-%m-%dT%H:%i:%s.%fZ'), a.actor, t.slug, "
                     "a.action, a.object, a.detail, a.prev_hash, a.hash FROM audit_log a "
                     "LEFT JOIN tenants t ON t.id = a.tenant_id "
                     "WHERE a.id > ? AND (? = 0 OR a.tenant_id = ?) ORDER BY a.id LIMIT ?",
                     v, 4, &res);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    json_t *list = json_array();
    uint64_t last = after;
    while (db_res_next(res)) {
        json_array_append_new(list, entry_json(res));
        last = (uint64_t)db_res_i64(res, 0);
    }
    db_res_free(res);
    api_json(ctx, 200, json_pack("{s:o, s:I}", "entries", list, "next_after", (json_int_t)last));
}

/*
 * POST /v1/verify: a workbook and its signature (multipart parts "workbook"
 * and "signature", DER or PEM) checked against the configured CA.  200 with
 * "valid": true and, when the caller may see it, the stored report; 422
 * with "valid": false and the reason.  Every check is audited.
 */
void api_verify(api_ctx_t *ctx, db_t *db)
{
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t n = 0;
    char err[256] = "";
    const buf_t *body = &ctx->req->body;
    if (multipart_parse(httpd_header(ctx->req, "content-type"), body->data ? body->data : "",
                        body->len, parts, &n, err, sizeof err) != ST_OK) {
        api_error(ctx, 400, "bad_multipart", err, NULL);
        return;
    }
    const multipart_part_t *wb = multipart_find(parts, n, "workbook");
    const multipart_part_t *sig = multipart_find(parts, n, "signature");
    if (!wb || !sig || sig->len == 0) {
        api_error(ctx, 400, "invalid", "send two parts: workbook and signature (not empty)", NULL);
        return;
    }
    cms_verify_result r;
    uint64_t tenant_id = 0, report_id = 0;
    cms_verify(signing_trust(ctx->srv->signing), wb->data, wb->len, sig->data, sig->len, &r);
    json_t *out =
        json_pack("{s:b, s:s, s:s, s:s}", "valid", r.valid, "verdict", cms_verdict_name(r.verdict),
                  "signature_format", cms_sig_format_name(r.format), "sha256", r.content_sha256);
    if (!r.valid)
        json_object_set_new(out, "reason", json_string(r.reason));
    if (r.valid) {
        char at[64] = "";
        rfc3339_format_utc(r.signed_at * 1000000, at, sizeof at);
        json_object_set_new(out, "signer", json_string(r.signer));
        json_object_set_new(out, "signer_fingerprint", json_string(r.signer_fingerprint));
        json_object_set_new(out, "signed_at", json_string(at));
        json_t *meta = NULL;
        /* The stored report is named only to those who may see its tenant. */
        int found = rstore_find_by_sha256(db, r.content_sha256, &meta);
        if (found == ST_OK) {
            tenant_id = (uint64_t)json_integer_value(json_object_get(meta, "tenant_id"));
            report_id = (uint64_t)json_integer_value(json_object_get(meta, "id"));
        }
        if (found == ST_OK && auth_may_see(&ctx->who, tenant_id)) {
            json_object_set(out, "report_id", json_object_get(meta, "id"));
            json_object_set(out, "tenant", json_object_get(meta, "tenant"));
            json_object_set(out, "period", json_object_get(meta, "period"));
            json_object_set(out, "template", json_object_get(meta, "template"));
            json_object_set(out, "version", json_object_get(meta, "version"));
        } else {
            json_object_set_new(out, "report_id", json_null());
        }
        json_decref(meta);
    }
    char detail[200], object[48] = "verify";
    snprintf(detail, sizeof detail, "{\"sha256\":\"%s\",\"valid\":%s}", r.content_sha256,
             r.valid ? "true" : "false");
    /* Audited under the tenant of the report it identifies (whoever asked), so
     * that tenant's auditor sees it in GET /v1/audit?tenant=; else no tenant. */
    if (tenant_id)
        snprintf(object, sizeof object, "report:%" PRIu64 "/verify", report_id);
    int rc = audit_append(db, ctx->who.actor, tenant_id, "report.verify", object, detail);
    if (rc != ST_OK) {
        json_decref(out);
        api_db_error(ctx, rc, db);
        return;
    }
    api_json(ctx, r.valid ? 200 : 422, out);
}
