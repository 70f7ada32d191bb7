/*
 * page_verify.c - the verify page: a workbook and its signature uploaded
 * from the browser are checked by the API's own verification
 * (api_verify(), which runs cms_verify() and audits the check), and the
 * answer shown: valid or not and why, the signer and the signing time, and
 * which stored report it is only to a person who may see its tenant.  It
 * works without logging in unless [portal] verify_public is false.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portal_int.h"
#include "report_store.h"
#include "rfc3339.h"
#include "server.h"
#include "status.h"
#include "tenant.h"

/* True when this visitor may use the page; otherwise a 401 (the login) is set. */
static bool verify_allowed(api_ctx_t *ctx)
{
    if (ctx->who.role || api_config(ctx)->portal_verify_public)
        return true;
    api_error(ctx, 401, "unauthorized", "sign in to verify", NULL);
    return false;
}

void page_verify_form(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    if (!verify_allowed(ctx))
        return;
    page_t pg;
    page_begin(&pg, ctx);
    page_render(&pg, 200, "verify");
}

void page_verify(api_ctx_t *ctx, db_t *db)
{
    if (!verify_allowed(ctx))
        return;
    api_verify(ctx, db);
    if (ctx->err_code && ctx->status != 400)
        return; /* the error page */
    page_t pg;
    if (ctx->err_code) { /* no workbook or no signature */
        free(ctx->err_code);
        free(ctx->err_message);
        ctx->err_code = ctx->err_message = NULL;
        page_begin(&pg, ctx);
        json_object_set_new(pg.data, "message_key", json_string("verify.missing"));
        page_render(&pg, 400, "verify");
        return;
    }
    json_t *r = ctx->json;
    int status = ctx->status;
    ctx->json = NULL;
    ctx->status = 0;
    page_begin(&pg, ctx);
    bool valid = json_is_true(json_object_get(r, "valid"));
    char verdict_key[64];
    snprintf(verdict_key, sizeof verdict_key, "verify.verdict.%s",
             json_string_value(json_object_get(r, "verdict")));
    json_t *res = json_pack("{s:b, s:s, s:O}", "valid", valid, "verdict_key", verdict_key, "sha256",
                            json_object_get(r, "sha256"));
    if (valid) {
        json_object_set(res, "signer", json_object_get(r, "signer"));
        json_object_set(res, "fingerprint", json_object_get(r, "signer_fingerprint"));
        const char *slug = json_string_value(json_object_get(r, "tenant"));
        tenant_t t = {0};
        const char *zone = "UTC";
        if (slug && tenant_by_slug(db, slug, &t) == ST_OK)
            zone = t.timezone;
        const char *at = json_string_value(json_object_get(r, "signed_at"));
        int64_t us = 0;
        char when[128] = "";
        if (at && rfc3339_parse(at, strlen(at), &us, NULL, 0) == ST_OK)
            l10n_instant(pg.cat, us / 1000000, zone, when, sizeof when);
        json_object_set_new(res, "signed_at", json_string(when));
        if (slug) { /* only present for someone who may see the tenant (api_verify) */
            char month[64];
            l10n_month(pg.cat, json_string_value(json_object_get(r, "period")), month,
                       sizeof month);
            json_t *meta = NULL;
            bool current = false;
            if (rstore_find_by_sha256(db, json_string_value(json_object_get(r, "sha256")), &meta) ==
                ST_OK)
                current = json_is_true(json_object_get(meta, "current"));
            json_decref(meta);
            json_object_set_new(res, "report",
                                json_pack("{s:O, s:s, s:s, s:O, s:O, s:b}", "id",
                                          json_object_get(r, "report_id"), "tenant", slug, "month",
                                          month, "template", json_object_get(r, "template"),
                                          "version", json_object_get(r, "version"), "current",
                                          current));
        }
    }
    json_decref(r);
    json_object_set_new(pg.data, "result", res);
    page_render(&pg, status == 200 ? 200 : 422, "verify");
}
