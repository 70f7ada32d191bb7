/*
 * page_audit.c - a tenant's audit log for auditors, managers and admins:
 * the hash chain's verification result at the top (audit_verify(), the
 * function `slattest audit verify` calls), then the tenant's entries,
 * newest first, 50 a page, filtered by action and by a range of days in
 * the tenant's time zone, each time shown in that zone; and the same rows
 * as CSV (/tenants/{t}/audit.csv with the same query), cells made safe for
 * spreadsheets (lib/csvcell.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "csvcell.h"
#include "idnum.h"
#include "portal_int.h"
#include "rfc3339.h"
#include "status.h"
#include "tz.h"

#define AUDIT_PER_PAGE 50

/* The filters of the page's query, validated. */
typedef struct audit_query {
    char action[65];
    char from[11], to[11];    /* YYYY-MM-DD or "" */
    int64_t from_utc, to_utc; /* [from, to) in UTC seconds; 0 / INT64_MAX when open */
    uint64_t page;
} audit_query_t;

/* The first instant of local day text (YYYY-MM-DD) in zone, plus `days` days; false when malformed.
 */
static bool day_start(const char *zone, const char *text, int days, int64_t *out)
{
    int y, m, d;
    char tail;
    if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || !tz_date_valid(y, m, d))
        return false;
    tz_t *tz = NULL;
    char err[128];
    if (tz_load(zone, &tz, err, sizeof err) != ST_OK)
        return false;
    int64_t day = tz_days_from_civil(y, m, d) + days;
    tz_civil_from_days(day, &y, &m, &d);
    *out = tz_day_start(tz, y, m, d);
    tz_free(tz);
    return true;
}

/* Reads ?action= ?from= ?to= ?page=; a malformed value is dropped (shown as not filtering). */
static void audit_query(const api_ctx_t *ctx, audit_query_t *q)
{
    memset(q, 0, sizeof *q);
    q->to_utc = INT64_MAX;
    q->page = 1;
    char text[32];
    api_query(ctx, "action", q->action, sizeof q->action);
    if (api_query(ctx, "from", q->from, sizeof q->from) && q->from[0] &&
        !day_start(ctx->tenant.timezone, q->from, 0, &q->from_utc))
        q->from[0] = '\0';
    if (api_query(ctx, "to", q->to, sizeof q->to) && q->to[0] &&
        !day_start(ctx->tenant.timezone, q->to, 1, &q->to_utc))
        q->to[0] = '\0', q->to_utc = INT64_MAX;
    if (api_query(ctx, "page", text, sizeof text) && (!idnum_parse(text, &q->page) || !q->page))
        q->page = 1;
}

/* UTC seconds as the DATETIME text the log stores ("YYYY-MM-DD HH:MM:SS"). */
static void utc_text(int64_t t, char out[32])
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int y, m, d;
    tz_civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

/*
 * The page's entries: id, at (UTC text), actor, action, object, detail, and
 * the email of an actor who is a person (when there is one), as
 * a new array (at most AUDIT_PER_PAGE), *more when a next page exists.
 */
static int audit_rows(db_t *db, uint64_t tenant_id, const audit_query_t *q, json_t **out,
                      bool *more)
{
    db_res_t *res = NULL;
    char from[32], to[32];
    utc_text(q->from_utc, from);
    utc_text(q->to_utc == INT64_MAX ? 0 : q->to_utc, to);
    db_val_t v[] = {db_u64(tenant_id),
                    db_str(q->action),
                    db_str(q->action),
                    db_str(from),
                    db_i64(q->to_utc != INT64_MAX),
                    db_str(to),
                    db_u64(AUDIT_PER_PAGE + 1),
                    db_u64((q->page - 1) * AUDIT_PER_PAGE)};
    int rc = db_exec(db,
                     "SELECT a.id, DATE_FORMAT(a.at, '%Y-%m-%dT%H:%i:%s.%fZ'), a.actor, a.action, "
                     "a.object, a.detail, p.email FROM audit_log a LEFT JOIN people p ON a.actor "
                     "= CONCAT('person:', p.id) WHERE a.tenant_id = ? AND (? = '' OR a.action = "
                     "?) AND a.at >= ? AND (? = 0 OR a.at < ?) ORDER BY a.id DESC "
                     "LIMIT ? OFFSET ?",
                     v, 8, &res);
    if (rc != ST_OK)
        return rc;
    json_t *list = json_array();
    *more = false;
    while (db_res_next(res)) {
        if (json_array_size(list) == AUDIT_PER_PAGE) {
            *more = true;
            break;
        }
        json_array_append_new(
            list,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s?}", "id", (json_int_t)db_res_i64(res, 0),
                      "at", db_res_str(res, 1, NULL), "actor", db_res_str(res, 2, NULL), "action",
                      db_res_str(res, 3, NULL), "object", db_res_str(res, 4, NULL), "detail",
                      db_res_str(res, 5, NULL), "email", db_res_str(res, 6, NULL)));
    }
    db_res_free(res);
    *out = list;
    return ST_OK;
}

/* Adds "local": the entry's time in the tenant's zone, in the page's language. */
static void local_times(const json_t *cat, const char *zone, json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *at = json_string_value(json_object_get(r, "at"));
        int64_t us = 0;
        char local[128] = "";
        if (at && rfc3339_parse(at, strlen(at), &us, NULL, 0) == ST_OK)
            l10n_instant(cat, us / 1000000, zone, local, sizeof local);
        json_object_set_new(r, "local", json_string(local));
    }
}

void page_audit(api_ctx_t *ctx, db_t *db)
{
    audit_query_t q;
    audit_query(ctx, &q);
    uint64_t checked = 0, bad = 0;
    char err[256] = "";
    int vrc = audit_verify(db, &checked, &bad, err, sizeof err);
    if (vrc != ST_OK && vrc != ST_ERR_INVALID) {
        api_db_error(ctx, vrc, db);
        return;
    }
    json_t *rows = NULL;
    bool more = false;
    int rc = audit_rows(db, ctx->tenant.id, &q, &rows, &more);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    local_times(pg.cat, ctx->tenant.timezone, rows);
    json_object_set_new(pg.data, "entries", rows);
    json_object_set_new(pg.data, "chain",
                        json_pack("{s:b, s:I, s:I, s:s}", "ok", vrc == ST_OK, "checked",
                                  (json_int_t)checked, "bad_id", (json_int_t)bad, "reason", err));
    /* The query again, for the links to the other pages and to the CSV. */
    buf_t base;
    buf_init(&base, 1024);
    buf_puts(&base, "action=");
    page_pct_encode(q.action, &base);
    buf_printf(&base, "&from=%s&to=%s", q.from, q.to);
    json_object_set_new(pg.data, "filter",
                        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "action", q.action, "from",
                                  q.from, "to", q.to, "query", buf_cstr(&base), "page",
                                  (json_int_t)q.page, "prev", (json_int_t)(q.page - 1), "next",
                                  (json_int_t)(more ? q.page + 1 : 0)));
    buf_free(&base);
    json_object_set_new(pg.data, "tenant",
                        json_pack("{s:s, s:s, s:s}", "slug", ctx->tenant.slug, "name",
                                  ctx->tenant.name, "timezone", ctx->tenant.timezone));
    page_render(&pg, 200, "audit");
}

void page_audit_csv(api_ctx_t *ctx, db_t *db)
{
    audit_query_t q;
    audit_query(ctx, &q);
    json_t *rows = NULL;
    bool more = false;
    int rc = audit_rows(db, ctx->tenant.id, &q, &rows, &more);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg; /* for the language of the local times only */
    page_begin(&pg, ctx);
    local_times(pg.cat, ctx->tenant.timezone, rows);
    buf_reset(&ctx->raw);
    static const char *const head[] = {"id",    "at_utc", "at_local", "actor",
                                       "email", "action", "object",   "detail"};
    csvcell_row(&ctx->raw, head, sizeof head / sizeof head[0]);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        char id[24];
        snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(r, "id")));
        const char *cells[] = {id,
                               json_string_value(json_object_get(r, "at")),
                               json_string_value(json_object_get(r, "local")),
                               json_string_value(json_object_get(r, "actor")),
                               json_string_value(json_object_get(r, "email")),
                               json_string_value(json_object_get(r, "action")),
                               json_string_value(json_object_get(r, "object")),
                               json_string_value(json_object_get(r, "detail"))};
        csvcell_row(&ctx->raw, cells, sizeof cells / sizeof cells[0]);
    }
    json_decref(rows);
    char headers[256];
    snprintf(headers, sizeof headers,
             "Content-Disposition: attachment; filename=\"audit-%s-p%" PRIu64 ".csv\"\r\n",
             ctx->tenant.slug, q.page);
    free(ctx->extra_headers);
    buf_t h;
    buf_init(&h, 4096);
    buf_puts(&h, headers);
    page_security_headers(&h);
    ctx->extra_headers = buf_detach(&h, NULL);
    page_end(&pg);
    ctx->status = 200;
    ctx->content_type = "text/csv; charset=utf-8";
}
