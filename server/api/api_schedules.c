/*
 * api_schedules.c - scheduled reports (issue 15, docs/schedules.md):
 *   GET    /v1/tenants/{t}/schedules                      the tenant's schedules
 *   PUT    /v1/tenants/{t}/schedules/{name}               create or replace (201 / 200)
 *   GET    /v1/tenants/{t}/schedules/{name}               one, with its next run
 *   DELETE /v1/tenants/{t}/schedules/{name}               delete (its history stays)
 *   GET    /v1/tenants/{t}/schedules/{name}/runs          its runs
 *   GET    /v1/tenants/{t}/schedules/{name}/deliveries    its deliveries and attempts
 *   GET    /v1/tenants/{t}/deliveries                     every delivery of the tenant
 *   POST   /v1/tenants/{t}/deliveries/{id}/retry          a dead delivery tried again
 *   POST   /v1/tenants/{t}/periods/{YYYY-MM}/close        the period's data are complete
 *   POST   /v1/unsubscribe?token=                         one-click opt-out (RFC 8058)
 * The webhook secret is stored to sign with and never shown.  Also the
 * scheduler's counters for /metrics.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "prom.h"
#include "sched_store.h"
#include "scheduler.h"
#include "status.h"

/* Answers a failed store call: 404 for a missing thing, else the db error. */
static void answer_error(api_ctx_t *ctx, db_t *db, int rc, const char *what)
{
    if (rc == ST_ERR_NOT_FOUND) {
        char msg[96];
        snprintf(msg, sizeof msg, "no such %s", what);
        api_error(ctx, 404, "not_found", msg, NULL);
    } else {
        api_db_error(ctx, rc, db);
    }
}

void api_schedules_list(api_ctx_t *ctx, db_t *db)
{
    json_t *list = NULL;
    int rc = sstore_list(db, &ctx->tenant, (int64_t)time(NULL), &list);
    if (rc != ST_OK)
        answer_error(ctx, db, rc, "tenant");
    else
        api_json(ctx, 200, json_pack("{s:s, s:o}", "tenant", ctx->tenant.slug, "schedules", list));
}

void api_schedules_put(api_ctx_t *ctx, db_t *db)
{
    json_t *body = api_body_json(ctx);
    if (!body)
        return;
    sstore_err_t e = {"", ""};
    json_t *out = NULL;
    bool created = false;
    int rc = sstore_put(db, &ctx->tenant, ctx->who.actor, ctx->params[0], body, (int64_t)time(NULL),
                        &created, &out, &e);
    if (rc == ST_OK) {
        api_json(ctx, created ? 201 : 200, out);
    } else if (rc == ST_ERR_INVALID) {
        char msg[480];
        snprintf(msg, sizeof msg, "%s: %s", e.field, e.message);
        api_error(ctx, 400, "invalid", msg,
                  json_pack("[{s:s, s:s}]", "field", e.field, "message", e.message));
    } else {
        api_db_error(ctx, rc, db);
    }
    json_decref(body);
}

void api_schedules_get(api_ctx_t *ctx, db_t *db)
{
    json_t *out = NULL;
    int rc = sstore_get(db, &ctx->tenant, ctx->params[0], (int64_t)time(NULL), &out);
    if (rc != ST_OK)
        answer_error(ctx, db, rc, "schedule");
    else
        api_json(ctx, 200, out);
}

void api_schedules_delete(api_ctx_t *ctx, db_t *db)
{
    int rc = sstore_delete(db, &ctx->tenant, ctx->who.actor, ctx->params[0]);
    if (rc != ST_OK)
        answer_error(ctx, db, rc, "schedule");
    else
        api_json(ctx, 200, json_pack("{s:s, s:b}", "name", ctx->params[0], "deleted", 1));
}

void api_schedules_runs(api_ctx_t *ctx, db_t *db)
{
    json_t *out = NULL;
    int rc = sstore_runs(db, &ctx->tenant, ctx->params[0], &out);
    if (rc != ST_OK)
        answer_error(ctx, db, rc, "schedule");
    else
        api_json(ctx, 200, json_pack("{s:s, s:o}", "schedule", ctx->params[0], "runs", out));
}

void api_schedules_deliveries(api_ctx_t *ctx, db_t *db)
{
    json_t *out = NULL;
    const char *name = ctx->nparams > 0 ? ctx->params[0] : NULL;
    int rc = sstore_deliveries(db, &ctx->tenant, name, &out);
    if (rc != ST_OK)
        answer_error(ctx, db, rc, "schedule");
    else
        api_json(ctx, 200, json_pack("{s:s, s:o}", "tenant", ctx->tenant.slug, "deliveries", out));
}

void api_deliveries_retry(api_ctx_t *ctx, db_t *db)
{
    char *end = NULL;
    unsigned long long id = strtoull(ctx->params[0], &end, 10);
    int rc = end && !*end && id
                 ? sstore_retry(db, &ctx->tenant, ctx->who.actor, id, (int64_t)time(NULL))
                 : ST_ERR_NOT_FOUND;
    if (rc == ST_ERR_CONFLICT)
        api_error(ctx, 409, "conflict", "the delivery was sent or is being sent", NULL);
    else if (rc != ST_OK)
        answer_error(ctx, db, rc, "delivery");
    else
        api_json(ctx, 202, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "pending"));
}

void api_periods_close(api_ctx_t *ctx, db_t *db)
{
    json_t *out = NULL;
    int rc = sstore_close_period(db, &ctx->tenant, ctx->who.actor, ctx->params[0],
                                 (int64_t)time(NULL), &out);
    if (rc == ST_ERR_INVALID)
        api_error(ctx, 400, "invalid", "period: a month YYYY-MM",
                  json_pack("[{s:s, s:s}]", "field", "period", "message", "a month YYYY-MM"));
    else if (rc != ST_OK)
        api_db_error(ctx, rc, db);
    else
        api_json(ctx, 200, out);
}

void api_schedules_metrics(buf_t *out)
{
    uint64_t c[SCHED_NCOUNTERS], overdue = 0;
    sched_counts(c, &overdue);
    const prom_sample_t runs[] = {
        {"outcome=\"started\"", c[SCHED_RUN_STARTED]},
        {"outcome=\"late\"", c[SCHED_RUN_LATE]},
        {"outcome=\"done\"", c[SCHED_RUN_DONE]},
        {"outcome=\"failed\"", c[SCHED_RUN_FAILED]},
    };
    const prom_sample_t deliveries[] = {
        {"channel=\"email\",outcome=\"sent\"", c[SCHED_EMAIL_SENT]},
        {"channel=\"email\",outcome=\"retry\"", c[SCHED_EMAIL_RETRY]},
        {"channel=\"email\",outcome=\"dead\"", c[SCHED_EMAIL_DEAD]},
        {"channel=\"webhook\",outcome=\"sent\"", c[SCHED_WEBHOOK_SENT]},
        {"channel=\"webhook\",outcome=\"retry\"", c[SCHED_WEBHOOK_RETRY]},
        {"channel=\"webhook\",outcome=\"dead\"", c[SCHED_WEBHOOK_DEAD]},
    };
    const prom_sample_t od[] = {{NULL, overdue}};
    prom_render_family(out, "slattest_schedule_runs_total", "counter",
                       "Scheduled runs this instance started, and how they ended.", runs,
                       sizeof runs / sizeof runs[0]);
    prom_render_family(out, "slattest_deliveries_total", "counter",
                       "Delivery attempts this instance made, by channel and outcome.", deliveries,
                       sizeof deliveries / sizeof deliveries[0]);
    prom_render_family(out, "slattest_schedule_runs_overdue", "gauge",
                       "Runs due but not started at the scheduler's last look.", od, 1);
}

void api_unsubscribe(api_ctx_t *ctx, db_t *db)
{
    if (!db) {
        api_error(ctx, 503, "unavailable", "the database is unavailable; try again", NULL);
        return;
    }
    char token[UNSUB_TOKEN_MAX + 1] = "";
    api_query(ctx, "token", token, sizeof token);
    sstore_optout_t o;
    int rc = sstore_optout(db, token, "one-click", (int64_t)time(NULL), &o);
    if (rc == ST_ERR_NOT_FOUND) /* a mail client cannot act on an error: say so, with 200 */
        api_json(ctx, 200,
                 json_pack("{s:b, s:s}", "opted_out", 0, "reason", "not a valid opt-out link"));
    else if (rc != ST_OK)
        api_db_error(ctx, rc, db);
    else
        api_json(ctx, 200,
                 json_pack("{s:b, s:s, s:s, s:s, s:b}", "opted_out", 1, "tenant", o.tenant.slug,
                           "schedule", o.who.schedule, "email", o.who.email, "already", o.already));
}
