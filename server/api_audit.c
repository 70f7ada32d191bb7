/* api_audit.c - GET /v1/audit and GET /v1/certificates: what auditors read. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "hash.h"
#include "server.h"
#include "signing.h"
#include "status.h"

#define AUDIT_PAGE_DEFAULT 1000
#define AUDIT_PAGE_MAX     10000

void api_certificates(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    api_json(ctx, 200, json_pack("{s:O}", "certificates", signing_certificates(ctx->srv->signing)));
}

/* Reads a non-negative integer query parameter; false (400 answered) when malformed. */
static bool query_u64(api_ctx_t *ctx, const char *name, uint64_t *out, uint64_t max)
{
    char text[32];
    if (!api_query(ctx, name, text, sizeof text))
        return true; /* absent: keep the default */
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (!text[0] || *end || text[0] == '-' || v > max) {
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
