/*
 * page_generate.c - generating a report from the browser: a form (period,
 * template) whose POST creates the job exactly as POST
 * /v1/tenants/{t}/reports does (rstore_create(), then the job runner is
 * woken), and a progress page that follows it without any script: while
 * the job is queued or running the page refreshes itself every 2 seconds
 * (<meta http-equiv="refresh">), then shows the result with its download
 * links (the API's own routes).  The report is read with the API's own
 * handler (api_reports_get), so the page sees what the API shows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "page_mgr.h"
#include "report_store.h"
#include "server.h"
#include "status.h"

/* Fills the form: the templates (chosen one marked) and the period. */
static void report_form(page_t *pg, const char *period, const char *tpl)
{
    const char *names[RSTORE_TEMPLATES + 1];
    rstore_template_names(names);
    json_t *list = json_array();
    for (size_t i = 0; names[i]; i++)
        json_array_append_new(list, json_pack("{s:s, s:b}", "value", names[i], "selected",
                                              strcmp(names[i], tpl) == 0));
    page_tenant_data(pg);
    json_object_set_new(pg->data, "templates", list);
    json_object_set_new(pg->data, "period", json_string(period));
}

void page_report_form(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    char period[16], tpl[48];
    if (!api_query(ctx, "period", period, sizeof period))
        page_default_month(ctx, period, sizeof period);
    if (!api_query(ctx, "template", tpl, sizeof tpl))
        snprintf(tpl, sizeof tpl, "client-monthly");
    page_t pg;
    page_begin(&pg, ctx);
    report_form(&pg, period, tpl);
    page_render(&pg, 200, "report_new");
}

void page_report_create(api_ctx_t *ctx, db_t *db)
{
    char period[16] = "", tpl[48] = "", err[512] = "";
    bool ok = page_form(ctx, "period", period, sizeof period) &&
              page_form(ctx, "template", tpl, sizeof tpl);
    uint64_t id = 0;
    int rc = ST_ERR_INVALID;
    if (!ok)
        snprintf(err, sizeof err, "period and template are required");
    else if (!rstore_template_audience(tpl))
        snprintf(err, sizeof err, "template: unknown value '%.40s'", tpl);
    else
        rc = rstore_create(db, &ctx->tenant, ctx->who.actor, &ctx->who, period, tpl,
                           (int64_t)time(NULL), (int64_t)time(NULL), &id, err, sizeof err);
    if (rc == ST_OK) {
        jobs_wake(ctx->srv->jobs);
        char loc[200];
        snprintf(loc, sizeof loc, "/tenants/%s/reports/%" PRIu64 "/progress", ctx->tenant.slug, id);
        page_redirect(ctx, loc, NULL);
        return;
    }
    if (rc != ST_ERR_INVALID) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    report_form(&pg, period, tpl);
    json_object_set_new(pg.data, "api_message", json_string(err));
    page_render(&pg, 400, "report_new");
}

void page_report_progress(api_ctx_t *ctx, db_t *db)
{
    api_reports_get(ctx, db); /* the API's answer: 404 for a report this person may not see */
    if (ctx->err_code)
        return;
    json_t *r = ctx->json;
    ctx->json = NULL;
    ctx->status = 0;
    page_t pg;
    page_begin(&pg, ctx);
    page_tenant_data(&pg);
    const char *status = json_string_value(json_object_get(r, "status"));
    bool busy = status && (strcmp(status, "queued") == 0 || strcmp(status, "running") == 0);
    bool done = status && strcmp(status, "done") == 0;
    char month[64], status_key[48], base[200], url[256];
    l10n_month(pg.cat, json_string_value(json_object_get(r, "period")), month, sizeof month);
    snprintf(status_key, sizeof status_key, "report.status.%s", status ? status : "");
    json_object_set_new(r, "month", json_string(month));
    json_object_set_new(r, "status_key", json_string(status_key));
    json_object_set_new(r, "busy", json_boolean(busy));
    json_object_set_new(r, "done", json_boolean(done));
    json_object_set_new(r, "failed", json_boolean(status && strcmp(status, "failed") == 0));
    snprintf(base, sizeof base, "/v1/tenants/%s/reports/%" JSON_INTEGER_FORMAT, ctx->tenant.slug,
             json_integer_value(json_object_get(r, "id")));
    if (done) {
        static const char *const kinds[] = {"workbook", "signature", "bundle"};
        for (size_t i = 0; i < 3; i++) {
            char key[32];
            snprintf(url, sizeof url, "%s/%s", base, kinds[i]);
            snprintf(key, sizeof key, "%s_url", kinds[i]);
            json_object_set_new(r, key, json_string(url));
        }
    }
    json_object_set_new(pg.data, "report", r);
    if (busy)
        json_object_set_new(pg.data, "refresh", json_integer(2));
    page_render(&pg, 200, "report_progress");
}
