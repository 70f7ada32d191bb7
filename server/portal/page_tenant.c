/*
 * page_tenant.c - a tenant's pages: the overview (the latest issued months
 * with their contract items met or missed and the credit, and the daily
 * service level of the latest month as a chart), read from the values the
 * issued reports stored (report_values.h), never from contacts; and the
 * list of issued reports with their version chain and downloads, which
 * is the API's own list (api_reports_list) and links to the API's own
 * download routes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "contract_store.h"
#include "hash.h"
#include "page_mgr.h"
#include "portal_int.h"
#include "report_values.h"
#include "rfc3339.h"
#include "status.h"
#include "tz.h"

#define OVERVIEW_MONTHS   12
#define OVERVIEW_TEMPLATE "client-monthly"
#define SC_MAX            40 /* scorecard rows read from one report */
#define DAYS_MAX          31

/* One scorecard row of a stored report. */
typedef struct sc_row {
    char item[64], comparator[8], unit[16], status[24];
    double target, value, credit;
} sc_row_t;

/* What the overview reads from one report's canonical text. */
typedef struct values {
    sc_row_t sc[SC_MAX];
    size_t nsc;
    double credit_total, applied_total;
    chart_point_t days[DAYS_MAX];
    double offered[DAYS_MAX], answered[DAYS_MAX], abandoned[DAYS_MAX];
    size_t ndays;
    double qa_total; /* the Quality sheet's total QA score (NAN: none) */
} values_t;

/* Decodes a canonical value (xl_digest.h): a number, null (NAN), or quoted text into text. */
static double canon_value(const char *v, size_t n, char *text, size_t textlen)
{
    if (text && textlen)
        text[0] = '\0';
    if (n >= 2 && v[0] == '"') {
        size_t o = 0;
        for (size_t i = 1; i + 1 < n && text && o + 1 < textlen; i++) {
            char c = v[i];
            if (c == '\\' && i + 2 < n) {
                c = v[++i];
                if (c == 'u' && i + 4 < n) { /* \u00XX */
                    c = (char)(hash_hexdigit(v[i + 3]) << 4 | hash_hexdigit(v[i + 4]));
                    i += 4;
                }
            }
            text[o++] = c;
        }
        if (text && textlen)
            text[o < textlen ? o : textlen - 1] = '\0';
        return NAN;
    }
    if (n == 4 && memcmp(v, "null", 4) == 0)
        return NAN;
    char num[64];
    snprintf(num, sizeof num, "%.*s", (int)(n < 63 ? n : 63), v);
    return strtod(num, NULL);
}

/* Reads the scorecard and daily tables out of a canonical text. */
static void values_parse(const char *canon, values_t *out)
{
    memset(out, 0, sizeof *out);
    out->credit_total = out->applied_total = out->qa_total = NAN;
    for (size_t i = 0; i < DAYS_MAX; i++) {
        out->days[i].value = out->days[i].target = NAN;
        out->offered[i] = out->answered[i] = out->abandoned[i] = NAN;
    }
    for (const char *line = canon; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *f[4];
        size_t fl[4], k = 0;
        const char *p = line, *end = line + len;
        while (k < 4 && p <= end) {
            const char *tab = k < 3 ? memchr(p, '\t', (size_t)(end - p)) : NULL;
            f[k] = p;
            fl[k] = (tab ? tab : end) - p;
            k++;
            if (!tab)
                break;
            p = tab + 1;
        }
        line = nl ? nl + 1 : NULL;
        if (k != 4)
            continue;
        bool sc = fl[0] == 9 && memcmp(f[0], "scorecard", 9) == 0;
        bool daily = fl[0] == 5 && memcmp(f[0], "daily", 5) == 0;
        bool quality = fl[0] == 7 && memcmp(f[0], "quality", 7) == 0;
        if (!sc && !daily && !quality)
            continue;
        char key[32], text[128];
        snprintf(key, sizeof key, "%.*s", (int)(fl[2] < 31 ? fl[2] : 31), f[2]);
        if (fl[1] == 5 && memcmp(f[1], "total", 5) == 0) {
            if (sc && strcmp(key, "credit") == 0)
                out->credit_total = canon_value(f[3], fl[3], NULL, 0);
            if (sc && strcmp(key, "applied") == 0)
                out->applied_total = canon_value(f[3], fl[3], NULL, 0);
            if (quality && strcmp(key, "qa_score") == 0)
                out->qa_total = canon_value(f[3], fl[3], NULL, 0);
            continue;
        }
        char rn[16];
        snprintf(rn, sizeof rn, "%.*s", (int)(fl[1] < 15 ? fl[1] : 15), f[1]);
        long r = strtol(rn, NULL, 10);
        if (r < 1)
            continue;
        double v = canon_value(f[3], fl[3], text, sizeof text);
        if (sc && r <= SC_MAX) {
            sc_row_t *row = &out->sc[r - 1];
            if ((size_t)r > out->nsc)
                out->nsc = (size_t)r;
            if (strcmp(key, "item") == 0)
                snprintf(row->item, sizeof row->item, "%s", text);
            else if (strcmp(key, "comparator") == 0)
                snprintf(row->comparator, sizeof row->comparator, "%s", text);
            else if (strcmp(key, "unit") == 0)
                snprintf(row->unit, sizeof row->unit, "%s", text);
            else if (strcmp(key, "status") == 0)
                snprintf(row->status, sizeof row->status, "%s", text);
            else if (strcmp(key, "target") == 0)
                row->target = v;
            else if (strcmp(key, "value") == 0)
                row->value = v;
            else if (strcmp(key, "credit") == 0)
                row->credit = v;
        } else if (daily && r <= DAYS_MAX) {
            chart_point_t *d = &out->days[r - 1];
            if ((size_t)r > out->ndays)
                out->ndays = (size_t)r;
            if (strcmp(key, "day") == 0 && isfinite(v))
                tz_civil_from_days((int64_t)v - EXCEL_EPOCH_DAYS, &d->y, &d->m, &d->d);
            else if (strcmp(key, "service_level") == 0)
                d->value = v;
            else if (strcmp(key, "sl_target") == 0)
                d->target = v;
            else if (strcmp(key, "offered") == 0)
                out->offered[r - 1] = v;
            else if (strcmp(key, "answered") == 0)
                out->answered[r - 1] = v;
            else if (strcmp(key, "abandoned") == 0)
                out->abandoned[r - 1] = v;
        }
    }
}

/*
 * One chart for the overview's template: {id, svg, title, head [{key}],
 * rows [{cells [text], below}]}, its table being the text alternative (the
 * point's date or month, its value, the second series when there is one,
 * the target when there is one).
 */
static json_t *chart_json(const page_t *pg, const chart_spec_t *spec, const chart_point_t *pts,
                          size_t n, const char *date_key)
{
    buf_t svg;
    buf_init(&svg, 1 << 20);
    chart_series(pg->cat, spec, pts, n, &svg);
    bool has_target = false;
    for (size_t i = 0; i < n; i++)
        has_target |= isfinite(pts[i].target);
    json_t *head = json_pack("[{s:s}, {s:s}]", "key", date_key ? date_key : "chart.month", "key",
                             spec->series_key);
    if (spec->second)
        json_array_append_new(head, json_pack("{s:s}", "key", spec->second_key));
    if (has_target)
        json_array_append_new(head, json_pack("{s:s}", "key", "chart.series.target"));
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        char when[64], text[64];
        if (spec->monthly) {
            char period[16];
            snprintf(period, sizeof period, "%04d-%02d", pts[i].y, pts[i].m);
            l10n_month(pg->cat, period, when, sizeof when);
        } else {
            l10n_date(pg->cat, pts[i].y, pts[i].m, pts[i].d, when, sizeof when);
        }
        json_t *cells = json_array();
        json_array_append_new(cells, json_string(when));
        chart_value_text(pg->cat, spec->unit, pts[i].value, text, sizeof text);
        json_array_append_new(cells, json_string(text));
        if (spec->second) {
            chart_value_text(pg->cat, spec->unit, spec->second[i], text, sizeof text);
            json_array_append_new(cells, json_string(text));
        }
        if (has_target) {
            chart_value_text(pg->cat, spec->unit, pts[i].target, text, sizeof text);
            json_array_append_new(cells, json_string(text));
        }
        bool missed =
            isfinite(pts[i].value) && isfinite(pts[i].target) &&
            (spec->lower_is_better ? pts[i].value > pts[i].target : pts[i].value < pts[i].target);
        json_array_append_new(rows, json_pack("{s:o, s:b}", "cells", cells, "below", missed));
    }
    json_t *out = json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", spec->id, "svg", buf_cstr(&svg),
                            "title", spec->title, "head", head, "rows", rows);
    buf_free(&svg);
    return out;
}

/* The scorecard row of item name, or NULL. */
static const sc_row_t *sc_item(const values_t *v, const char *name)
{
    for (size_t i = 0; i < v->nsc; i++)
        if (strcmp(v->sc[i].item, name) == 0)
            return &v->sc[i];
    return NULL;
}

/*
 * The latest month's charts (pushed onto charts): its daily service level,
 * its daily volume (offered as bars, answered as a line) and its daily
 * abandonment (abandoned / offered, as the workbook's Abandon rate) against
 * the contract's abandonment target when the contract has that item.
 */
static void latest_charts(const page_t *pg, const char *period, const values_t *v, json_t *charts)
{
    if (!v->ndays)
        return;
    char label[64], sl_title[160], vol_title[160], ab_title[160];
    l10n_month(pg->cat, period, label, sizeof label);
    snprintf(sl_title, sizeof sl_title, "%s \u2014 %s", page_text(pg, "chart.sl.title"), label);
    snprintf(vol_title, sizeof vol_title, "%s \u2014 %s", page_text(pg, "chart.volume.title"),
             label);
    snprintf(ab_title, sizeof ab_title, "%s \u2014 %s", page_text(pg, "chart.abandon.title"),
             label);
    chart_spec_t sl = {.id = "chart-sl",
                       .title = sl_title,
                       .unit = CHART_RATE,
                       .series_key = "chart.series.service_level",
                       .desc_key = "chart.desc"};
    json_array_append_new(charts, chart_json(pg, &sl, v->days, v->ndays, "chart.day"));

    chart_point_t pts[DAYS_MAX];
    for (size_t d = 0; d < v->ndays; d++) {
        pts[d] = v->days[d];
        pts[d].value = v->offered[d];
        pts[d].target = NAN;
    }
    chart_spec_t vol = {.id = "chart-volume",
                        .title = vol_title,
                        .unit = CHART_COUNT,
                        .bars = true,
                        .series_key = "chart.series.offered",
                        .second = v->answered,
                        .second_key = "chart.series.answered",
                        .desc_key = "chart.volume.desc"};
    json_array_append_new(charts, chart_json(pg, &vol, pts, v->ndays, "chart.day"));

    const sc_row_t *item = sc_item(v, "abandon_rate");
    for (size_t d = 0; d < v->ndays; d++) {
        pts[d].value = v->offered[d] > 0 ? v->abandoned[d] / v->offered[d] : NAN;
        pts[d].target = item ? item->target : NAN;
    }
    chart_spec_t ab = {.id = "chart-abandon",
                       .title = ab_title,
                       .unit = CHART_RATE,
                       .lower_is_better = !item || strcmp(item->comparator, ">=") != 0,
                       .series_key = "chart.series.abandon_rate",
                       .desc_key = item ? "chart.desc" : "chart.abandon.desc"};
    json_array_append_new(charts, chart_json(pg, &ab, pts, v->ndays, "chart.day"));
}

/* The month's QA score (the contract item's value, else the Quality sheet's total) and target. */
static void qa_point(const values_t *v, const char *period, chart_point_t *pt)
{
    memset(pt, 0, sizeof *pt);
    if (!period || sscanf(period, "%4d-%2d", &pt->y, &pt->m) != 2)
        pt->y = pt->m = 1;
    pt->d = 1;
    const sc_row_t *item = sc_item(v, "qa_score");
    pt->value = item && isfinite(item->value) ? item->value : v->qa_total;
    pt->target = item ? item->target : NAN;
}

/* One month of the overview as JSON for the template. */
static json_t *month_json(const page_t *pg, const json_t *rep, const values_t *v,
                          const char *currency, const char *slug)
{
    char label[64], buf[96];
    l10n_month(pg->cat, json_string_value(json_object_get(rep, "period")), label, sizeof label);
    json_t *items = json_array();
    size_t met = 0, missed = 0;
    for (size_t i = 0; i < v->nsc; i++) {
        const sc_row_t *r = &v->sc[i];
        if (!r->item[0] || !r->status[0])
            continue;
        char key[96], status_key[64], target[64], value[64];
        snprintf(key, sizeof key, "item.%s", r->item);
        snprintf(status_key, sizeof status_key, "status.%s", r->status);
        for (char *c = status_key; *c; c++)
            if (*c == ' ')
                *c = '_';
        l10n_metric(pg->cat, r->unit, r->target, target, sizeof target);
        l10n_metric(pg->cat, r->unit, r->value, value, sizeof value);
        char goal[80];
        snprintf(goal, sizeof goal, "%s %s", strcmp(r->comparator, ">=") == 0 ? "\u2265" : "\u2264",
                 target);
        bool is_met = strcmp(r->status, "met") == 0;
        met += is_met;
        missed += strcmp(r->status, "missed") == 0;
        l10n_money(pg->cat, r->credit, currency, buf, sizeof buf);
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "item_key", key,
                                        "target", goal, "value", value, "status_key", status_key,
                                        "met", is_met, "status", r->status, "credit", buf));
    }
    l10n_money(pg->cat, isfinite(v->applied_total) ? v->applied_total : v->credit_total, currency,
               buf, sizeof buf);
    char reports[128];
    snprintf(reports, sizeof reports, "/tenants/%s/reports", slug);
    return json_pack("{s:O, s:s, s:O, s:o, s:I, s:I, s:s, s:b}", "period",
                     json_object_get(rep, "period"), "label", label, "version",
                     json_object_get(rep, "version"), "items", items, "met", (json_int_t)met,
                     "missed", (json_int_t)missed, "credit", buf, "all_met", missed == 0);
}

json_t *page_latest_month(page_t *pg, db_t *db, const tenant_t *t, int *status)
{
    json_t *reps = NULL, *out = NULL;
    cstore_versions_t versions = {0};
    *status = rvalues_latest(db, t->id, OVERVIEW_TEMPLATE, 1, &reps);
    if (*status == ST_OK)
        *status = cstore_load(db, t, &versions);
    json_t *rep = json_array_get(reps, 0);
    if (*status == ST_OK && rep) {
        values_t *v = malloc(sizeof *v);
        values_parse(json_string_value(json_object_get(rep, "canon")), v);
        int y = 0, m = 0;
        const contract_t *c = NULL;
        if (sscanf(json_string_value(json_object_get(rep, "period")), "%4d-%2d", &y, &m) == 2)
            cstore_version_for_month(&versions, y, m, &c);
        out = month_json(pg, rep, v, c ? contract_currency(c) : "", t->slug);
        double credit = isfinite(v->applied_total) ? v->applied_total : v->credit_total;
        json_object_set_new(out, "credit_value",
                            isfinite(credit) ? json_real(credit) : json_null());
        json_object_set_new(out, "currency", json_string(c ? contract_currency(c) : ""));
        json_object_set_new(out, "report_id", json_incref(json_object_get(rep, "id")));
        free(v);
    }
    json_decref(reps);
    cstore_versions_free(&versions);
    return out;
}

void page_overview(api_ctx_t *ctx, db_t *db)
{
    json_t *reps = NULL;
    cstore_versions_t versions = {0};
    int rc = rvalues_latest(db, ctx->tenant.id, OVERVIEW_TEMPLATE, OVERVIEW_MONTHS, &reps);
    if (rc == ST_OK)
        rc = cstore_load(db, &ctx->tenant, &versions);
    if (rc != ST_OK) {
        json_decref(reps);
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    json_t *months = json_array(), *charts = json_array();
    chart_point_t qa[OVERVIEW_MONTHS];
    values_t *v = malloc(sizeof *v);
    size_t i;
    json_t *rep;
    json_array_foreach(reps, i, rep)
    {
        values_parse(json_string_value(json_object_get(rep, "canon")), v);
        int y = 0, m = 0;
        const contract_t *c = NULL;
        if (sscanf(json_string_value(json_object_get(rep, "period")), "%4d-%2d", &y, &m) == 2)
            cstore_version_for_month(&versions, y, m, &c);
        const char *currency = c ? contract_currency(c) : "";
        json_array_append_new(months, month_json(&pg, rep, v, currency, ctx->tenant.slug));
        if (i == 0)
            latest_charts(&pg, json_string_value(json_object_get(rep, "period")), v, charts);
        if (i < OVERVIEW_MONTHS)
            qa_point(v, json_string_value(json_object_get(rep, "period")), &qa[i]);
    }
    /* The QA score by month, oldest first: only when some month has one. */
    size_t nqa = json_array_size(reps) < OVERVIEW_MONTHS ? json_array_size(reps) : OVERVIEW_MONTHS;
    bool any_qa = false;
    for (size_t k = 0; k < nqa; k++)
        any_qa |= isfinite(qa[k].value);
    if (any_qa) {
        chart_point_t old_first[OVERVIEW_MONTHS];
        for (size_t k = 0; k < nqa; k++)
            old_first[k] = qa[nqa - 1 - k];
        chart_spec_t spec = {.id = "chart-qa",
                             .title = page_text(&pg, "chart.qa.title"),
                             .unit = CHART_SCORE,
                             .monthly = true,
                             .series_key = "chart.series.qa_score",
                             .desc_key = "chart.qa.desc"};
        json_array_append_new(charts, chart_json(&pg, &spec, old_first, nqa, NULL));
    }
    free(v);
    json_decref(reps);
    cstore_versions_free(&versions);
    json_object_set_new(pg.data, "months", months);
    json_object_set_new(pg.data, "charts", charts);
    json_object_set_new(pg.data, "tenant",
                        json_pack("{s:s, s:s, s:s}", "slug", ctx->tenant.slug, "name",
                                  ctx->tenant.name, "timezone", ctx->tenant.timezone));
    json_object_set_new(json_object_get(pg.data, "tenant"), "manager",
                        json_boolean(ctx->who.role == ROLE_MANAGER));
    page_live_data(&pg, db);
    page_render(&pg, 200, "overview");
}

void page_reports(api_ctx_t *ctx, db_t *db)
{
    /* The API's list: the same reports the same principal sees. */
    json_t *doc = page_api_json(ctx, db, api_reports_list);
    if (!doc)
        return;
    page_t pg;
    page_begin(&pg, ctx);
    json_t *rows = json_array();
    json_t *list = json_object_get(doc, "reports");
    bool workbook = ctx->who.role & (ROLE_MANAGER | ROLE_CLIENT);
    /* Newest first: the API lists by id. */
    for (size_t i = json_array_size(list); i-- > 0;) {
        json_t *r = json_array_get(list, i);
        char month[64], at[128], base[200], status_key[48];
        l10n_month(pg.cat, json_string_value(json_object_get(r, "period")), month, sizeof month);
        const char *gen = json_string_value(json_object_get(r, "generated_at"));
        int64_t us = 0;
        at[0] = '\0';
        if (gen && rfc3339_parse(gen, strlen(gen), &us, NULL, 0) == ST_OK)
            l10n_instant(pg.cat, us / 1000000, ctx->tenant.timezone, at, sizeof at);
        json_int_t id = json_integer_value(json_object_get(r, "id"));
        snprintf(base, sizeof base, "/v1/tenants/%s/reports/%" JSON_INTEGER_FORMAT,
                 ctx->tenant.slug, id);
        const char *status = json_string_value(json_object_get(r, "status"));
        snprintf(status_key, sizeof status_key, "report.status.%s", status ? status : "");
        json_t *sup = json_object_get(r, "supersedes");
        json_t *supv = json_null();
        if (json_is_integer(sup)) { /* the version it supersedes, from the same list */
            for (size_t k = 0; k < json_array_size(list); k++) {
                json_t *o = json_array_get(list, k);
                if (json_integer_value(json_object_get(o, "id")) == json_integer_value(sup))
                    supv = json_incref(json_object_get(o, "version"));
            }
        }
        bool done = status && strcmp(status, "done") == 0;
        char wb[256], sig[256], bundle[256];
        snprintf(wb, sizeof wb, "%s/workbook", base);
        snprintf(sig, sizeof sig, "%s/signature", base);
        snprintf(bundle, sizeof bundle, "%s/bundle", base);
        json_t *row = json_pack("{s:I, s:s, s:O, s:O, s:b, s:o, s:s, s:s, s:b, s:O}", "id", id,
                                "month", month, "template", json_object_get(r, "template"),
                                "version", json_object_get(r, "version"), "current",
                                json_is_true(json_object_get(r, "current")), "supersedes_version",
                                supv, "generated", at, "status_key", status_key, "done", done,
                                "signer", json_object_get(r, "signer"));
        if (json_is_integer(sup)) { /* what changed against the version it supersedes */
            char changes[256];
            snprintf(changes, sizeof changes,
                     "/tenants/%s/reports/%" JSON_INTEGER_FORMAT "/changes", ctx->tenant.slug, id);
            json_object_set_new(row, "changes_url", json_string(changes));
        }
        if (done) {
            if (workbook)
                json_object_set_new(row, "workbook_url", json_string(wb));
            json_object_set_new(row, "signature_url", json_string(sig));
            json_object_set_new(row, "bundle_url", json_string(bundle));
        }
        /* A manager may build the month again as a new version (POST /tenants/{t}/reports). */
        if (ctx->who.role == ROLE_MANAGER && done && json_is_true(json_object_get(r, "current")))
            json_object_set_new(row, "regen", json_true());
        json_object_set_new(row, "period", json_incref(json_object_get(r, "period")));
        json_object_set_new(row, "generated_at", json_incref(json_object_get(r, "generated_at")));
        json_object_set_new(row, "status", json_incref(json_object_get(r, "status")));
        json_array_append_new(rows, row);
    }
    json_decref(doc);
    static const page_col_t cols[] = {
        {"id", false},      {"period", true}, {"template", true},     {"version", false},
        {"current", false}, {"status", true}, {"generated_at", true}, {"signer", true}};
    json_object_set_new(pg.data, "tenant",
                        json_pack("{s:s, s:s, s:s, s:b}", "slug", ctx->tenant.slug, "name",
                                  ctx->tenant.name, "timezone", ctx->tenant.timezone, "overview",
                                  (ctx->who.role & (ROLE_MANAGER | ROLE_CLIENT)) != 0));
    json_object_set_new(json_object_get(pg.data, "tenant"), "manager",
                        json_boolean(ctx->who.role == ROLE_MANAGER));
    if (page_list(&pg, "reports", rows, cols, sizeof cols / sizeof cols[0]))
        return;
    page_render(&pg, 200, "reports");
}
