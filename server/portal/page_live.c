/*
 * page_live.c - month-to-date figures on a tenant's overview: the current
 * local month from its first day to today, computed from the rollups alone
 * (metrics_compute_from() with METRICS_FROM_ROLLUPS: no contact is read).
 * Managers always see them; client contacts only when the tenant's
 * clients_see_live setting is on, which a manager changes here (POST
 * /tenants/{t}/settings) or through PATCH /v1/tenants/{t}.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics_run.h"
#include "page_mgr.h"
#include "sla.h"
#include "status.h"
#include "tz.h"

/* Whether this visitor sees the month-to-date figures of the page's tenant. */
static bool live_visible(const api_ctx_t *ctx)
{
    return ctx->who.role == ROLE_MANAGER ||
           (ctx->who.role == ROLE_CLIENT && ctx->tenant.clients_see_live);
}

void page_live_data(page_t *pg, db_t *db)
{
    api_ctx_t *ctx = pg->ctx;
    if (ctx->who.role == ROLE_MANAGER)
        json_object_set_new(pg->data, "live_setting",
                            json_pack("{s:b}", "on", ctx->tenant.clients_see_live));
    if (!live_visible(ctx))
        return;
    tz_t *tz = NULL;
    char err[512];
    int64_t now = (int64_t)time(NULL);
    if (tz_load(ctx->tenant.timezone, &tz, err, sizeof err) != ST_OK)
        return;
    tz_civil_t c;
    tz_to_local(tz, now, &c);
    tz_free(tz);
    sla_period_t period = {c.year, c.month, 1, c.year, c.month, c.day};
    sla_by_t by = SLA_BY_MONTH;
    sla_result_t *res = NULL;
    metrics_info_t info;
    int rc = metrics_compute_from(db, &ctx->tenant, &period, &by, 1, now * 1000000,
                                  METRICS_FROM_ROLLUPS, &res, &info, err, sizeof err);
    if (rc != ST_OK) {
        log_warn("portal: month to date", "tenant", ctx->tenant.slug, "detail", err, NULL);
        return;
    }
    const sla_row_t *t = sla_result_total(res);
    char offered[64], answered[64], abandoned[64], sl[64], ab[64], asa[64], at[128], month[16],
        label[64];
    l10n_number(pg->cat, (double)t->offered, 0, offered, sizeof offered);
    l10n_number(pg->cat, (double)t->answered, 0, answered, sizeof answered);
    l10n_number(pg->cat, (double)t->abandoned, 0, abandoned, sizeof abandoned);
    l10n_percent(pg->cat, t->service_level, sl, sizeof sl);
    l10n_percent(pg->cat, t->abandon_rate, ab, sizeof ab);
    l10n_metric(pg->cat, "seconds", t->asa_s, asa, sizeof asa);
    l10n_instant(pg->cat, now, ctx->tenant.timezone, at, sizeof at);
    snprintf(month, sizeof month, "%04d-%02d", c.year, c.month);
    l10n_month(pg->cat, month, label, sizeof label);
    json_object_set_new(pg->data, "live",
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "month", label,
                                  "as_of", at, "offered", offered, "answered", answered,
                                  "abandoned", abandoned, "service_level", sl, "abandon_rate", ab,
                                  "asa", asa, "source", info.source));
    sla_result_free(res);
}

void page_settings_save(api_ctx_t *ctx, db_t *db)
{
    char v[8] = "";
    bool on = page_form(ctx, "clients_see_live", v, sizeof v) && strcmp(v, "1") == 0;
    int rc = ST_OK;
    if (on != ctx->tenant.clients_see_live)
        rc = tenant_set_clients_see_live(db, ctx->who.actor, &ctx->tenant, on);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    char loc[160];
    snprintf(loc, sizeof loc, "/tenants/%s#live", ctx->tenant.slug);
    page_redirect(ctx, loc, NULL);
}
