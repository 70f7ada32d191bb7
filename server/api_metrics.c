/*
 * api_metrics.c - the contract (PUT/GET /v1/tenants/{t}/contract) and live
 * metrics as JSON (GET /v1/tenants/{t}/metrics?from=&to=&by=).
 *
 * The metrics come from server/metrics_run.c: counts and sums from
 * rollups, what needs each contact from contacts (it says which is which).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "contract_store.h"
#include "log.h"
#include "metrics_run.h"
#include "sla.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

void api_contract_put(api_ctx_t *ctx, db_t *db)
{
    const char *ct = httpd_header(ctx->req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        api_error(ctx, 415, "unsupported_media_type", "send the contract as application/json",
                  NULL);
        return;
    }
    int version = 0;
    json_t *doc = NULL;
    char err[512] = "";
    int rc =
        cstore_put(db, &ctx->tenant, ctx->who.actor, ctx->req->body.data ? ctx->req->body.data : "",
                   ctx->req->body.len, &version, &doc, err, sizeof err);
    if (rc == ST_ERR_INVALID)
        api_error(ctx, 400, "invalid", err, NULL);
    else if (rc != ST_OK)
        api_db_error(ctx, rc, db);
    else
        api_json(ctx, 201, json_pack("{s:i, s:o}", "version", version, "contract", doc));
}

void api_contract_get(api_ctx_t *ctx, db_t *db)
{
    json_t *list = NULL;
    int rc = cstore_list(db, &ctx->tenant, &list);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    api_json(ctx, 200, json_pack("{s:s, s:o}", "tenant", ctx->tenant.slug, "versions", list));
}

/* Parses "YYYY-MM-DD" (day) or "YYYY-MM" (month: *d = 0). */
static bool parse_date(const char *s, int *y, int *m, int *d)
{
    char tail;
    *d = 0;
    if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) == 3)
        return tz_date_valid(*y, *m, *d);
    if (strlen(s) == 7 && sscanf(s, "%4d-%2d%c", y, m, &tail) == 2)
        return *y >= 1970 && *y <= 2199 && *m >= 1 && *m <= 12;
    return false;
}

/* from/to of the query as an inclusive local date range. */
static bool query_period(api_ctx_t *ctx, sla_period_t *p, char *from, char *to)
{
    int fy, fm, fd, ty, tm, td;
    if (!api_query(ctx, "from", from, 16) || !parse_date(from, &fy, &fm, &fd)) {
        api_error(ctx, 400, "invalid", "from: a local date YYYY-MM-DD or a month YYYY-MM", NULL);
        return false;
    }
    if (!api_query(ctx, "to", to, 16))
        snprintf(to, 16, "%s", from);
    if (!parse_date(to, &ty, &tm, &td)) {
        api_error(ctx, 400, "invalid", "to: a local date YYYY-MM-DD or a month YYYY-MM", NULL);
        return false;
    }
    p->from_y = fy, p->from_m = fm, p->from_d = fd ? fd : 1;
    p->to_y = ty, p->to_m = tm, p->to_d = td ? td : tz_days_in_month(ty, tm);
    if (tz_days_from_civil(p->to_y, p->to_m, p->to_d) <
        tz_days_from_civil(p->from_y, p->from_m, p->from_d)) {
        api_error(ctx, 400, "invalid", "to is before from", NULL);
        return false;
    }
    return true;
}

/* ?by= */
static bool query_by(api_ctx_t *ctx, sla_by_t *by, char *name)
{
    static const struct {
        const char *name;
        sla_by_t by;
    } names[] = {{"month", SLA_BY_MONTH},
                 {"day", SLA_BY_DAY},
                 {"interval", SLA_BY_INTERVAL},
                 {"queue", SLA_BY_QUEUE},
                 {"agent", SLA_BY_AGENT}};
    if (!api_query(ctx, "by", name, 16))
        snprintf(name, 16, "month");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *by = names[i].by;
            return true;
        }
    api_error(ctx, 400, "invalid", "by: month, day, interval, queue or agent", NULL);
    return false;
}

/* A number, or null when undefined (METRICS.md: undefined is not zero). */
static json_t *num(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* One result row as JSON, metric names as in METRICS.md. */
static json_t *row_json(const sla_row_t *r, sla_by_t by)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(r->key));
    if (by == SLA_BY_INTERVAL) {
        json_object_set_new(o, "label", json_string(r->label));
        json_object_set_new(o, "business", json_boolean(r->business));
        json_object_set_new(o, "required_agents", num(r->required_agents));
    }
    const struct {
        const char *name;
        int64_t v;
    } counts[] = {{"offered", r->offered},
                  {"answered", r->answered},
                  {"abandoned", r->abandoned},
                  {"short_abandoned", r->short_abandoned},
                  {"overflow", r->overflow},
                  {"answered_within", r->answered_within},
                  {"abandoned_within", r->abandoned_within}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        json_object_set_new(o, counts[i].name, json_integer(counts[i].v));
    const struct {
        const char *name;
        double v;
    } rates[] = {{"service_level", r->service_level},
                 {"asa_s", r->asa_s},
                 {"avg_abandon_s", r->avg_abandon_s},
                 {"max_wait_s", r->max_wait_s},
                 {"wait_p90_s", r->wait_p90_s},
                 {"abandon_rate", r->abandon_rate},
                 {"answer_rate", r->answer_rate},
                 {"aht_s", r->aht_s},
                 {"transfer_rate", r->transfer_rate},
                 {"fcr", r->fcr},
                 {"csat", r->csat},
                 {"csat_mean", r->csat_mean},
                 {"interval_compliance", r->interval_compliance}};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        json_object_set_new(o, rates[i].name, num(rates[i].v));
    json_object_set_new(o, "fcr_provisional", json_boolean(r->fcr_provisional));
    return o;
}

void api_metrics_get(api_ctx_t *ctx, db_t *db)
{
    sla_period_t period;
    sla_by_t by;
    char from[16], to[16], by_name[16], err[512] = "";
    if (!query_period(ctx, &period, from, to) || !query_by(ctx, &by, by_name))
        return;
    sla_result_t *result = NULL;
    metrics_info_t info;
    int rc = metrics_compute(db, &ctx->tenant, &period, by, -1, (int64_t)time(NULL) * 1000000,
                             &result, NULL, &info, err, sizeof err);
    if (rc == ST_ERR_TOO_LARGE) {
        api_error(ctx, 413, "too_large", err, NULL);
        return;
    }
    if (rc == ST_ERR_INVALID) {
        api_error(ctx, 400, "invalid", err, NULL);
        return;
    }
    if (rc == ST_ERR_INTERNAL && err[0]) {
        /* Rollups out of step with contacts: no number is served. */
        log_error("metrics: rollups out of step", "tenant", ctx->tenant.slug, "detail", err, NULL);
        api_error(ctx, 500, "inconsistent", err, NULL);
        return;
    }
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < sla_result_count(result); i++)
        json_array_append_new(list, row_json(sla_result_row(result, i), by));
    api_json(ctx, 200,
             json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:o}", "tenant", ctx->tenant.slug,
                       "from", from, "to", to, "by", by_name, "contract_version",
                       info.contract_version, "timezone", info.timezone, "source", info.source,
                       "rows", list, "total", row_json(sla_result_total(result), SLA_BY_MONTH)));
    sla_result_free(result);
}
