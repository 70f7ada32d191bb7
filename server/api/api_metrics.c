/*
 * api_metrics.c - the contract (PUT/GET /v1/tenants/{t}/contract) and live
 * metrics as JSON (GET /v1/tenants/{t}/metrics?from=&to=&by=).
 *
 * The metrics come from server/metrics/metrics_run.c: counts and sums from
 * rollups, what needs each contact from contacts (it says which is which).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "compliance.h"
#include "contract_store.h"
#include "log.h"
#include "jsonutil.h"
#include "metrics_run.h"
#include "qa_run.h"
#include "sla.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

void api_contract_put(api_ctx_t *ctx, db_t *db)
{
    const char *ct = httpd_header(ctx->req, "content-type");
    bool dry_run;
    if (!api_dry_run(ctx, &dry_run))
        return;
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        api_error(ctx, 415, "unsupported_media_type", "send the contract as application/json",
                  NULL);
        return;
    }
    cstore_put_result_t res;
    json_t *details = NULL;
    char err[640] = "";
    int rc =
        cstore_put(db, &ctx->tenant, ctx->who.actor, ctx->req->body.data ? ctx->req->body.data : "",
                   ctx->req->body.len, dry_run, &res, err, sizeof err, &details);
    if (rc == ST_ERR_INVALID || rc == ST_ERR_TOO_LARGE) {
        api_error(ctx, 400, "invalid", err, details);
        return;
    }
    json_decref(details);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    json_t *out = json_pack("{s:i, s:o, s:b}", "version", res.version, "contract", res.normalised,
                            "rollups_rebuilt", res.rollups_rebuilt);
    if (dry_run)
        json_object_set_new(out, "dry_run", json_true());
    api_json(ctx, dry_run ? 200 : 201, out);
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

/* from/to of the query as an inclusive local date range (to defaults to from). */
static bool query_period(api_ctx_t *ctx, sla_period_t *p, char *from, char *to)
{
    char err[128];
    bool has_from = api_query(ctx, "from", from, 16);
    if (has_from && !api_query(ctx, "to", to, 16))
        snprintf(to, 16, "%s", from);
    if (sla_period_parse(has_from ? from : NULL, to, p, err, sizeof err) != ST_OK) {
        api_error(ctx, 400, "invalid", err, NULL);
        return false;
    }
    return true;
}

/* ?by=inspector: QA inspector rows instead of queue rows (not an sla grouping). */
#define BY_INSPECTOR ((sla_by_t)100)

/* ?by= (default month): a grouping, or inspector. */
static bool query_by(api_ctx_t *ctx, sla_by_t *by, char *name)
{
    if (!api_query(ctx, "by", name, 16))
        snprintf(name, 16, "%s", ctx->req->query && strstr(ctx->req->query, "by=") ? "?" : "month");
    if (strcmp(name, "inspector") == 0) {
        *by = BY_INSPECTOR;
        return true;
    }
    if (sla_by_parse(name, strlen(name), by) == ST_OK)
        return true;
    const char *names[8];
    size_t n = 0;
    for (sla_by_t b = SLA_BY_MONTH; sla_by_name(b) && n < 7; b++)
        names[n++] = sla_by_name(b);
    names[n++] = "inspector";
    names[n] = NULL;
    api_invalid_choice(ctx, "by", name, names);
    return false;
}

/* One result row as JSON, metric names as in METRICS.md. */
static json_t *row_json(const sla_row_t *r, sla_by_t by)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(r->key));
    if (by == SLA_BY_INTERVAL) {
        json_object_set_new(o, "label", json_string(r->label));
        json_object_set_new(o, "business", json_boolean(r->business));
        json_object_set_new(o, "required_agents", jsonutil_number(r->required_agents));
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
        json_object_set_new(o, rates[i].name, jsonutil_number(rates[i].v));
    json_object_set_new(o, "fcr_provisional", json_boolean(r->fcr_provisional));
    return o;
}

/* Sets the fields of a QA row (tenant or agent) on o, METRICS.md names. */
static void qa_row_json(json_t *o, const qa_metrics_row_t *q)
{
    json_object_set_new(o, "evaluations", json_integer((json_int_t)q->evaluations));
    json_object_set_new(o, "evaluated_contacts", json_integer((json_int_t)q->evaluated_contacts));
    json_object_set_new(o, "qa_score", jsonutil_number(q->qa_score));
    json_object_set_new(o, "qa_pass_rate", jsonutil_number(q->qa_pass_rate));
    json_object_set_new(o, "fatal_rate", jsonutil_number(q->fatal_rate));
    json_object_set_new(o, "qa_coverage", jsonutil_number(q->qa_coverage));
    json_object_set_new(o, "qa_sd", jsonutil_number(q->sd));
    json_object_set_new(o, "qa_ci_low", jsonutil_number(q->ci_low));
    json_object_set_new(o, "qa_ci_high", jsonutil_number(q->ci_high));
    json_object_set_new(o, "qa_ci_half_width", jsonutil_number(q->precision.half_width));
    json_object_set_new(o, "sample_too_small", json_boolean(q->precision.flagged));
    json_object_set_new(o, "evaluations_needed",
                        q->precision.needed_n ? json_integer((json_int_t)q->precision.needed_n)
                                              : json_null());
}

/* A group's dimension scores: {dimension: {"score", "n"}} ({} when none). */
static json_t *dims_json(const qa_run_t *r, int grouping, const char *group)
{
    json_t *o = json_object();
    const qa_dims_cell_t *cells = r->dims[grouping];
    for (size_t i = 0; i < r->n_dims[grouping]; i++)
        if (strcmp(cells[i].group, group ? group : "") == 0)
            json_object_set_new(o, cells[i].dimension,
                                json_pack("{s:o, s:I}", "score", jsonutil_number(cells[i].score),
                                          "n", (json_int_t)cells[i].n));
    return o;
}

/* Each row of a grouping by agent, inspector or reason gets its "by_dimension". */
static void rows_add_dims(json_t *rows, const qa_run_t *r, int grouping)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *key = json_string_value(json_object_get(row, "key"));
        json_object_set_new(row, "by_dimension", dims_json(r, grouping, key));
    }
}

/* The period's QA: the tenant row, the QA-CSAT agreement and the dimension scores. */
static json_t *qa_json(const qa_run_t *r)
{
    const qa_metrics_result_t *qa = &r->qa;
    json_t *o = json_object();
    qa_row_json(o, &qa->tenant);
    json_object_set_new(o, "by_dimension", dims_json(r, QA_DIMS_MONTH, ""));
    json_object_set_new(
        o, "qa_csat",
        json_pack("{s:o, s:I, s:o, s:I, s:b}", "pearson_r", jsonutil_number(qa->pearson.r),
                  "pearson_n", (json_int_t)qa->pearson.n, "spearman_rho",
                  jsonutil_number(qa->spearman.r), "spearman_n", (json_int_t)qa->spearman.n,
                  "too_few_pairs", qa->pearson.too_few));
    return o;
}

/* One inspector row, METRICS.md names (composite components as c_*). */
static json_t *inspector_json(const inspector_row_t *r, const char *name)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(r->inspector_id));
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "listed", json_boolean(r->listed));
    inspector_value_t v[INSPECTOR_VALUES];
    size_t n = inspector_row_values(r, v);
    for (size_t i = 1; i < n; i++) /* 0 is "listed", a boolean here */
        json_object_set_new(o, v[i].name,
                            v[i].count ? json_integer((json_int_t)v[i].value)
                                       : jsonutil_number(v[i].value));
    return o;
}

/* Each agent (or reason) row gets its QA fields (none evaluated: 0 and nulls). */
static void agents_add_qa(json_t *rows, const qa_metrics_result_t *qa)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *id = json_string_value(json_object_get(row, "key"));
        const qa_metrics_row_t *q = NULL;
        for (size_t k = 0; id && !q && k < qa->n_agents; k++)
            if (strcmp(qa->agents[k].agent_id, id) == 0)
                q = &qa->agents[k];
        qa_metrics_row_t none = {.qa_score = NAN,
                                 .qa_pass_rate = NAN,
                                 .fatal_rate = NAN,
                                 .qa_coverage = NAN,
                                 .sd = NAN,
                                 .ci_low = NAN,
                                 .ci_high = NAN,
                                 .precision = {.half_width = NAN, .flagged = true}};
        qa_row_json(row, q ? q : &none);
    }
}

/* Cents as a number of currency units (two decimals). */
static json_t *money(int64_t cents)
{
    return json_real((double)cents / 100.0);
}

/* A single month's compliance with contract c as JSON (METRICS.md
 * "Contract compliance and service credits"). */
static int compliance_json(const contract_t *c, int year, int month, const sla_row_t *total,
                           const qa_metrics_row_t *qa, json_t **out, char *err, size_t errlen)
{
    credits_result_t cr;
    int rc = compliance_month(c, year, month, total, qa, &cr, err, errlen);
    if (rc != ST_OK)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < cr.n_rows; i++) {
        const credits_row_t *r = &cr.rows[i];
        if (r->kind != CREDITS_ROW_ITEM)
            continue; /* one month: no earn-back outcome falls in it */
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:f, s:o, s:s, s:f, s:o, s:o, s:b}", "metric",
                      contract_metric_name(r->metric), "comparator",
                      contract_cmp_name(r->comparator), "target", r->target, "value",
                      jsonutil_number(r->value), "status", credits_status_name(r->status),
                      "credit_pct", r->credit_pct_centi / 100.0, "credit", money(r->credit_cents),
                      "applied", money(r->applied_cents), "at_risk_of_earn_back", r->at_risk));
    }
    const credits_total_t *m = &cr.months[0];
    *out = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:o}", "currency", contract_currency(c),
                     "monthly_fee", money(m->fee_cents), "items", items, "uncapped",
                     money(m->uncapped_cents), "cap", money(m->cap_cents), "credited",
                     money(m->credited_cents), "cap_applied", m->cap_applied, "at_risk",
                     money(m->at_risk_cents));
    credits_result_free(&cr);
    return ST_OK;
}

/*
 * The QA (and inspector) metrics of the period: evaluations by evaluated_at
 * in the period's UTC bounds, the contract in force for its first month,
 * each agent's answered contacts and surveys from by_agent.  On ST_OK *out
 * is the caller's (qa_run_free), and so is *compliance (a JSON reference,
 * or left NULL) when asked and the period is one whole month under a
 * contract.
 */
static int qa_for_period(db_t *db, const tenant_t *t, const sla_period_t *p,
                         const sla_result_t *by_agent, bool inspectors, qa_run_t **out,
                         json_t **compliance, char *err, size_t errlen)
{
    cstore_versions_t versions = {0};
    int rc = cstore_load(db, t, &versions);
    if (rc != ST_OK)
        return rc;
    const sla_row_t *total = sla_result_total(by_agent);
    qa_run_req_t req = {.tenant = t,
                        .contract =
                            contract_version_for_month((const contract_t *const *)versions.items,
                                                       versions.n, p->from_y, p->from_m),
                        .year = p->from_y,
                        .month = p->from_m,
                        .start_us = total->start_utc * 1000000,
                        .end_us = total->end_utc * 1000000,
                        .by_agent = by_agent,
                        .tenant_answered = total->answered,
                        .inspectors = inspectors};
    rc = qa_run_compute(db, &req, out, err, errlen);
    if (rc == ST_OK && compliance && req.contract && p->from_d == 1 && p->to_y == p->from_y &&
        p->to_m == p->from_m && p->to_d == tz_days_in_month(p->to_y, p->to_m))
        rc = compliance_json(req.contract, p->from_y, p->from_m, total, &(*out)->qa.tenant,
                             compliance, err, errlen);
    cstore_versions_free(&versions);
    return rc;
}

void api_metrics_error(api_ctx_t *ctx, db_t *db, int rc, const char *err)
{
    if (rc == ST_ERR_TOO_LARGE)
        api_error(ctx, 413, "too_large", err, NULL);
    else if (rc == ST_ERR_INVALID)
        api_error(ctx, 400, "invalid", err, NULL);
    else if (rc == ST_ERR_INTERNAL && err[0]) {
        /* Rollups out of step with contacts: no number is served. */
        log_error("metrics: rollups out of step", "tenant", ctx->tenant.slug, "detail", err, NULL);
        api_error(ctx, 500, "inconsistent", err, NULL);
    } else
        api_db_error(ctx, rc, db);
}

/*
 * GET /metrics.  Queue metrics for every grouping; by=month, by=agent and
 * by=reason add the QA metrics of the period ("qa": the tenant's, with the
 * QA-CSAT agreement and the dimension scores; agent and reason rows their
 * own), which need the agents' contacts, so those groupings read contacts,
 * not rollups.  by=inspector answers the inspector metrics as rows, with
 * the same "qa".  by=reason rows are case types ("" = none) with the
 * queue metrics of their contacts and the QA of the evaluations whose
 * contact has that reason; they come from the reason and agent rollups
 * alone (as the Cases sheet: docs/rollups.md), the contacts only when the
 * rollups cannot serve the period.
 */
void api_metrics_get(api_ctx_t *ctx, db_t *db)
{
    sla_period_t period;
    sla_by_t by;
    char from[16], to[16], by_name[16], err[512] = "";
    if (!query_period(ctx, &period, from, to) || !query_by(ctx, &by, by_name))
        return;
    bool with_qa =
        by == SLA_BY_MONTH || by == SLA_BY_AGENT || by == BY_INSPECTOR || by == SLA_BY_REASON;
    sla_by_t bys[2] = {by == BY_INSPECTOR ? SLA_BY_MONTH : by, SLA_BY_AGENT};
    size_t n_by = with_qa && by != SLA_BY_AGENT ? 2 : 1;
    sla_result_t *res[2] = {NULL, NULL};
    qa_run_t *qa = NULL;
    json_t *compliance = NULL;
    metrics_info_t info;
    metrics_source_t source = by == SLA_BY_REASON ? METRICS_FROM_ROLLUPS : METRICS_CHECKED;
    int rc =
        metrics_compute_from(db, &ctx->tenant, &period, bys, n_by, (int64_t)time(NULL) * 1000000,
                             source, res, &info, err, sizeof err);
    const sla_result_t *by_agent = by == SLA_BY_AGENT ? res[0] : res[1];
    if (rc == ST_OK && with_qa)
        rc = qa_for_period(db, &ctx->tenant, &period, by_agent, by == BY_INSPECTOR, &qa,
                           by == SLA_BY_MONTH ? &compliance : NULL, err, sizeof err);
    if (rc != ST_OK) {
        api_metrics_error(ctx, db, rc, err);
        goto done;
    }
    json_t *list = json_array(), *total;
    if (by == BY_INSPECTOR) {
        for (size_t i = 0; i < qa->insp.n; i++)
            json_array_append_new(
                list, inspector_json(&qa->insp.rows[i],
                                     qa_run_inspector_name(qa, qa->insp.rows[i].inspector_id)));
        total = row_json(sla_result_total(res[0]), SLA_BY_MONTH);
        rows_add_dims(list, qa, QA_DIMS_INSPECTOR);
    } else {
        for (size_t i = 0; i < sla_result_count(res[0]); i++)
            json_array_append_new(list, row_json(sla_result_row(res[0], i), by));
        total = row_json(sla_result_total(res[0]), SLA_BY_MONTH);
        if (by == SLA_BY_AGENT) {
            agents_add_qa(list, &qa->qa);
            rows_add_dims(list, qa, QA_DIMS_AGENT);
        } else if (by == SLA_BY_REASON) {
            agents_add_qa(list, &qa->by_reason);
            rows_add_dims(list, qa, QA_DIMS_REASON);
        }
    }
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:o}", "tenant", ctx->tenant.slug,
                  "from", from, "to", to, "by", by_name, "contract_version", info.contract_version,
                  "timezone", info.timezone, "source", info.source, "rows", list, "total", total);
    if (qa)
        json_object_set_new(body, "qa", qa_json(qa));
    if (compliance) {
        json_object_set_new(body, "compliance", compliance);
        compliance = NULL;
    }
    api_json(ctx, 200, body);
done:
    json_decref(compliance);
    qa_run_free(qa);
    sla_result_free(res[0]);
    sla_result_free(res[1]);
}
