/*
 * page_quality.c - a month's quality: the inspectors table (quota,
 * timeliness, calibration deviation, overturn rate, composite) is the
 * API's own answer to GET /v1/tenants/{t}/metrics?by=inspector
 * (api_metrics_get, which runs qa_run_compute(): nothing recomputed here);
 * below it the month's calibration sessions and appeals as stored.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_mgr.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

/* A JSON number (or null) as a double; NAN for null. */
static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The inspector rows of the API's answer, with the numbers formatted for the page. */
static json_t *inspector_rows(const page_t *pg, const json_t *doc)
{
    json_t *rows = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "rows"), i, r)
    {
        char quota[64], att[64], time_[64], dev[64], over[64], comp[64];
        l10n_number(pg->cat, num(r, "monthly_quota"), 0, quota, sizeof quota);
        l10n_percent(pg->cat, num(r, "quota_attainment"), att, sizeof att);
        l10n_percent(pg->cat, num(r, "on_time_rate"), time_, sizeof time_);
        l10n_number(pg->cat, num(r, "calibration_mad"), 1, dev, sizeof dev);
        l10n_percent(pg->cat, num(r, "overturn_rate"), over, sizeof over);
        l10n_number(pg->cat, num(r, "composite"), 1, comp, sizeof comp);
        json_t *row = json_deep_copy(r);
        json_object_set_new(row, "quota_text", json_string(quota));
        json_object_set_new(row, "attainment_text", json_string(att));
        json_object_set_new(row, "timeliness_text", json_string(time_));
        json_object_set_new(row, "deviation_text", json_string(dev));
        json_object_set_new(row, "overturn_text", json_string(over));
        json_object_set_new(row, "composite_text", json_string(comp));
        json_array_append_new(rows, row);
    }
    return rows;
}

/* The month's calibration sessions (by their earliest row), as list rows. */
static int session_rows(const page_t *pg, db_t *db, int64_t from_us, int64_t to_us, json_t **out)
{
    const api_ctx_t *ctx = pg->ctx;
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(ctx->tenant.id), db_i64(from_us), db_i64(to_us)};
    int rc = db_exec(db,
                     "SELECT session_id, MIN(call_id), MIN(form_id), MIN(evaluated_us), COUNT(*), "
                     "MAX(CASE WHEN is_reference = 1 THEN inspector_id END), "
                     "MAX(CASE WHEN is_reference = 1 THEN score END), MIN(score), MAX(score) "
                     "FROM calibrations WHERE tenant_id = ? GROUP BY session_id "
                     "HAVING MIN(evaluated_us) >= ? AND MIN(evaluated_us) < ? "
                     "ORDER BY MIN(evaluated_us), session_id",
                     v, 3, &res);
    if (rc != ST_OK)
        return rc;
    json_t *rows = json_array();
    while (db_res_next(res)) {
        char at[128], ref[64], spread[64];
        l10n_instant(pg->cat, db_res_i64(res, 3) / 1000000, ctx->tenant.timezone, at, sizeof at);
        double refv = db_res_is_null(res, 6) ? NAN : db_res_double(res, 6);
        double sp = db_res_double(res, 8) - db_res_double(res, 7);
        l10n_number(pg->cat, refv, 1, ref, sizeof ref);
        l10n_number(pg->cat, sp, 1, spread, sizeof spread);
        json_t *row =
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "session_id", db_res_str(res, 0, NULL),
                      "call_id", db_res_str(res, 1, NULL), "form_id", db_res_str(res, 2, NULL),
                      "at", at, "participants", (json_int_t)db_res_i64(res, 4), "reference_text",
                      ref, "spread_text", spread);
        json_object_set_new(row, "reference_inspector",
                            json_string(db_res_is_null(res, 5) ? "" : db_res_str(res, 5, NULL)));
        json_object_set_new(row, "reference_score", isnan(refv) ? json_null() : json_real(refv));
        json_object_set_new(row, "spread", json_real(sp));
        json_array_append_new(rows, row);
    }
    db_res_free(res);
    *out = rows;
    return ST_OK;
}

/* The appeals of the month's evaluations, as list rows. */
static int appeal_rows(const page_t *pg, db_t *db, int64_t from_us, int64_t to_us, json_t **out)
{
    const api_ctx_t *ctx = pg->ctx;
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(ctx->tenant.id), db_i64(from_us), db_i64(to_us)};
    int rc = db_exec(db,
                     "SELECT a.evaluation_id, e.inspector_id, e.agent_id, a.decided_us, a.outcome, "
                     "e.score, a.new_score FROM appeals a JOIN evaluations e ON e.tenant_id = "
                     "a.tenant_id AND e.evaluation_id = a.evaluation_id WHERE a.tenant_id = ? AND "
                     "e.evaluated_us >= ? AND e.evaluated_us < ? ORDER BY a.decided_us, "
                     "a.evaluation_id",
                     v, 3, &res);
    if (rc != ST_OK)
        return rc;
    json_t *rows = json_array();
    while (db_res_next(res)) {
        char at[128], score[64], news[64], key[48];
        l10n_instant(pg->cat, db_res_i64(res, 3) / 1000000, ctx->tenant.timezone, at, sizeof at);
        double nv = db_res_is_null(res, 6) ? NAN : db_res_double(res, 6);
        l10n_number(pg->cat, db_res_double(res, 5), 1, score, sizeof score);
        l10n_number(pg->cat, nv, 1, news, sizeof news);
        snprintf(key, sizeof key, "mgr.quality.outcome.%s", db_res_str(res, 4, NULL));
        json_t *row =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:b}", "evaluation_id",
                      db_res_str(res, 0, NULL), "inspector_id", db_res_str(res, 1, NULL),
                      "agent_id", db_res_str(res, 2, NULL), "decided", at, "outcome",
                      db_res_str(res, 4, NULL), "outcome_key", key, "score", db_res_double(res, 5),
                      "score_text", score, "new_score_text", news, "overturned",
                      strcmp(db_res_str(res, 4, NULL), "overturned") == 0);
        json_object_set_new(row, "new_score", isnan(nv) ? json_null() : json_real(nv));
        json_array_append_new(rows, row);
    }
    db_res_free(res);
    *out = rows;
    return ST_OK;
}

static const page_col_t insp_cols[] = {{"key", true},
                                       {"name", true},
                                       {"evaluations", false},
                                       {"monthly_quota", false},
                                       {"quota_attainment", false},
                                       {"on_time_rate", false},
                                       {"calibration_mad", false},
                                       {"overturn_rate", false},
                                       {"composite", false}};
static const page_col_t session_cols[] = {{"session_id", true},
                                          {"call_id", true},
                                          {"form_id", true},
                                          {"participants", false},
                                          {"reference_inspector", true},
                                          {"reference_score", false},
                                          {"spread", false}};
static const page_col_t appeal_cols[] = {{"evaluation_id", true}, {"inspector_id", true},
                                         {"agent_id", true},      {"outcome", true},
                                         {"score", false},        {"new_score", false}};

#define NCOLS(a) (sizeof a / sizeof a[0])

void page_quality(api_ctx_t *ctx, db_t *db)
{
    char period[16], query[64];
    int y = 0, m = 0;
    if (!api_query(ctx, "period", period, sizeof period))
        page_default_month(ctx, period, sizeof period);
    if (strlen(period) != 7 || sscanf(period, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12 ||
        y < 1970 || y > 2199) {
        api_error(ctx, 400, "invalid", "period: a month YYYY-MM", NULL);
        return;
    }
    /* The API's inspector metrics for the month: its handler, with its query. */
    snprintf(query, sizeof query, "from=%s&by=inspector", period);
    char *saved = ctx->req->query;
    ctx->req->query = query;
    api_metrics_get(ctx, db);
    ctx->req->query = saved;
    if (ctx->err_code)
        return;
    json_t *doc = ctx->json;
    ctx->json = NULL;
    ctx->status = 0;
    tz_t *tz = NULL;
    char err[128];
    json_t *sessions = NULL, *appeals = NULL;
    int rc = tz_load(ctx->tenant.timezone, &tz, err, sizeof err);
    page_t pg;
    page_begin(&pg, ctx);
    if (rc == ST_OK) {
        int64_t from = tz_month_start(tz, y, m) * 1000000;
        int64_t to = tz_month_start(tz, m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1) * 1000000;
        rc = session_rows(&pg, db, from, to, &sessions);
        if (rc == ST_OK)
            rc = appeal_rows(&pg, db, from, to, &appeals);
    }
    tz_free(tz);
    if (rc != ST_OK) {
        json_decref(doc);
        json_decref(sessions);
        json_decref(appeals);
        page_end(&pg);
        api_db_error(ctx, rc, db);
        return;
    }
    char month[64];
    l10n_month(pg.cat, period, month, sizeof month);
    page_tenant_data(&pg);
    json_object_set_new(pg.data, "period", json_string(period));
    json_object_set_new(pg.data, "month", json_string(month));
    json_t *rows = inspector_rows(&pg, doc);
    json_decref(doc);
    if (page_list(&pg, "inspectors", rows, insp_cols, NCOLS(insp_cols))) {
        json_decref(sessions);
        json_decref(appeals);
        return;
    }
    if (page_list(&pg, "sessions", sessions, session_cols, NCOLS(session_cols))) {
        json_decref(appeals);
        return;
    }
    if (page_list(&pg, "appeals", appeals, appeal_cols, NCOLS(appeal_cols)))
        return;
    page_render(&pg, 200, "quality");
}
