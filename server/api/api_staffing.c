/*
 * api_staffing.c - the cost of service level (GET
 * /v1/tenants/{t}/staffing?period=YYYY-MM[&targets=..][&threshold_s=N]):
 * for each target service level, the productive agent hours the month's
 * traffic needed (Erlang C per interval), the paid hours after shrinkage,
 * their cost and the marginal cost per point (reports/sl_cost.h), with
 * where the month stood.  docs/metrics.md "The cost of service level".
 *
 * The intervals come from server/metrics/metrics_run.c (no contact scan
 * of its own); an agent grouping is asked with them so the contacts are
 * read in full and each interval knows the agents who handled it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "contract_store.h"
#include "jsonutil.h"
#include "metrics_run.h"
#include "sl_cost.h"
#include "sla.h"
#include "status.h"

#define TARGETS_TEXT_MAX 512

/* Answers 400 for query parameter `field` with the reason; details name it. */
static void bad_param(api_ctx_t *ctx, const char *field, const char *reason)
{
    char msg[320];
    snprintf(msg, sizeof msg, "%s: %s", field, reason);
    api_error(ctx, 400, "invalid", msg, json_pack("{s:s}", "field", field));
}

/* Whether the query names parameter `name` at all (even too long to read). */
static bool query_has(const api_ctx_t *ctx, const char *name)
{
    const char *q = ctx->req->query;
    size_t nl = strlen(name);
    for (const char *p = q; p && (p = strstr(p, name)) != NULL; p += nl) {
        if ((p == q || p[-1] == '&') && p[nl] == '=')
            return true;
    }
    return false;
}

/* ?period=YYYY-MM (required) into a whole local month. */
static bool query_month(api_ctx_t *ctx, sla_period_t *p, char *period)
{
    char err[128];
    if (!api_query(ctx, "period", period, 16)) {
        bad_param(ctx, "period", "required: a month YYYY-MM");
        return false;
    }
    if (strlen(period) != 7 || sla_period_parse(period, period, p, err, sizeof err) != ST_OK) {
        char reason[96];
        snprintf(reason, sizeof reason, "'%.16s' is not a month YYYY-MM", period);
        bad_param(ctx, "period", reason);
        return false;
    }
    return true;
}

/* ?threshold_s=N (0..65535): *threshold_s left alone when absent. */
static bool query_threshold(api_ctx_t *ctx, int *threshold_s)
{
    char v[16];
    if (!api_query(ctx, "threshold_s", v, sizeof v)) {
        if (!query_has(ctx, "threshold_s"))
            return true;
        bad_param(ctx, "threshold_s", "must be an integer 0..65535 (seconds)");
        return false;
    }
    size_t len = strlen(v);
    long x = 0;
    if (len == 0 || len > 5 || strspn(v, "0123456789") != len ||
        (x = strtol(v, NULL, 10)) > 65535) {
        bad_param(ctx, "threshold_s", "must be an integer 0..65535 (seconds)");
        return false;
    }
    *threshold_s = (int)x;
    return true;
}

/* ?targets=0.70,0.75,.. into t (*n 0 when absent: the defaults). */
static bool query_targets(api_ctx_t *ctx, double *t, size_t *n)
{
    char v[TARGETS_TEXT_MAX], err[160];
    *n = 0;
    if (!api_query(ctx, "targets", v, sizeof v)) {
        if (!query_has(ctx, "targets"))
            return true;
        bad_param(ctx, "targets", "too long (at most 32 service levels in (0, 1))");
        return false;
    }
    if (sl_cost_targets_parse(v, t, n, err, sizeof err) != ST_OK) {
        bad_param(ctx, "targets", err);
        return false;
    }
    return true;
}

/* One row of the curve (or the next point, or the achieved level). */
static json_t *row_json(const sl_cost_row_t *r, bool marginals)
{
    json_t *o = json_object();
    json_object_set_new(o, "target", jsonutil_number(r->target));
    json_object_set_new(o, "agent_hours", jsonutil_number(r->hours));
    json_object_set_new(o, "paid_hours", jsonutil_number(r->paid_hours));
    json_object_set_new(o, "cost", jsonutil_number(r->cost));
    if (marginals) {
        json_object_set_new(o, "marginal_agent_hours_per_point", jsonutil_number(r->marg_hours_pt));
        json_object_set_new(o, "marginal_paid_hours_per_point", jsonutil_number(r->marg_paid_pt));
        json_object_set_new(o, "marginal_cost_per_point", jsonutil_number(r->marg_cost_pt));
    }
    return o;
}

/* The response body of a computed month. */
static json_t *month_json(const api_ctx_t *ctx, const char *period, const metrics_info_t *info,
                          const contract_t *c, const sl_cost_month_t *m)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < m->n; i++) {
        json_t *r = row_json(&m->rows[i], true);
        json_object_set_new(r, "contract_target",
                            json_boolean(fabs(m->rows[i].target - m->contract_target) < 1e-9));
        json_array_append_new(rows, r);
    }
    json_t *next = json_null();
    if (m->has_next) {
        next = row_json(&m->next, false);
        json_object_set_new(next, "from", jsonutil_number(m->contract_target));
        json_object_del(next, "target");
        json_object_set_new(next, "to", jsonutil_number(m->next.target));
    }
    json_t *achieved = json_object();
    json_object_set_new(achieved, "service_level", jsonutil_number(m->achieved_sl));
    json_object_set_new(achieved, "sl_threshold_s", json_integer(info->params.sl_threshold_s));
    json_object_set_new(achieved, "agent_hours_handled", jsonutil_number(m->handled_hours));
    json_object_set_new(achieved, "agent_hours_required", jsonutil_number(m->achieved_row.hours));
    json_object_set_new(achieved, "paid_hours_required",
                        jsonutil_number(m->achieved_row.paid_hours));
    json_object_set_new(achieved, "cost_required", jsonutil_number(m->achieved_row.cost));
    int64_t cents = 0;
    bool has_cost = c && contract_agent_hour_cost(c, &cents);
    return json_pack(
        "{s:s, s:s, s:i, s:s, s:o, s:o, s:f, s:i, s:o, s:I, s:o, s:o, s:o}", "tenant",
        ctx->tenant.slug, "period", period, "contract_version", info->contract_version, "timezone",
        info->timezone, "currency", c ? json_string(contract_currency(c)) : json_null(),
        "agent_hour_cost", has_cost ? json_real((double)cents / 100.0) : json_null(),
        "shrinkage_pct", m->shrinkage_pct, "threshold_s", m->threshold_s, "contract_target",
        jsonutil_number(m->contract_target), "intervals_with_contacts", (json_int_t)m->intervals,
        "rows", rows, "next_point", next, "achieved", achieved);
}

/* GET /staffing (manager). */
void api_staffing_get(api_ctx_t *ctx, db_t *db)
{
    sla_period_t period;
    char month[16], err[512] = "";
    double targets[SL_COST_MAX_TARGETS];
    size_t n_targets = 0;
    int threshold_s = -1;
    if (!query_month(ctx, &period, month) || !query_threshold(ctx, &threshold_s) ||
        !query_targets(ctx, targets, &n_targets))
        return;
    /* The agent grouping makes the contacts be read in full: each interval
     * then counts the agents who handled it. */
    const sla_by_t bys[2] = {SLA_BY_INTERVAL, SLA_BY_AGENT};
    sla_result_t *res[2] = {NULL, NULL};
    cstore_versions_t versions = {0};
    metrics_info_t info;
    int rc = metrics_compute_many(db, &ctx->tenant, &period, bys, 2, (int64_t)time(NULL) * 1000000,
                                  res, &info, err, sizeof err);
    if (rc == ST_OK)
        rc = cstore_load(db, &ctx->tenant, &versions);
    if (rc != ST_OK) {
        api_metrics_error(ctx, db, rc, err);
        goto done;
    }
    const contract_t *c = NULL;
    cstore_version_for_month(&versions, period.from_y, period.from_m, &c);
    int64_t cents = 0;
    double hour_cost = c && contract_agent_hour_cost(c, &cents) ? (double)cents / 100.0 : NAN;
    sl_cost_month_t m;
    rc = sl_cost_month(res[0], threshold_s >= 0 ? threshold_s : info.params.sl_threshold_s,
                       info.params.sl_target, c ? contract_shrinkage_pct(c) : 0, hour_cost, targets,
                       n_targets, &m, err, sizeof err);
    if (rc != ST_OK) {
        api_metrics_error(ctx, db, rc, err);
        goto done;
    }
    api_json(ctx, 200, month_json(ctx, month, &info, c, &m));
done:
    cstore_versions_free(&versions);
    sla_result_free(res[0]);
    sla_result_free(res[1]);
}
