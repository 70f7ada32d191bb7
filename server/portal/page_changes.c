/*
 * page_changes.c - "what changed" between a report version and the one it
 * supersedes: the values the two versions stored (report_values.h),
 * compared by xl_changes_diff(), the same comparison the Changes sheet of
 * the workbook is made from.  The report is looked up through the API's
 * own handler (api_reports_get), so who may see it is decided in one place.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portal_int.h"
#include "report_values.h"
#include "status.h"
#include "xl_changes.h"
#include "xmem.h"

#define CHANGES_MAX 2000 /* cells listed on the page */

/* A canonical value as text for the page: a text as is, a number, or "—" (NULL: absent). */
static json_t *value_text(const char *canon)
{
    if (!canon)
        return json_null();
    xl_value_kind_t kind;
    double num = NAN;
    buf_t text;
    buf_init(&text, 4096);
    json_t *out;
    if (xl_changes_decode(canon, &kind, &num, &text) != ST_OK || kind == XL_VALUE_NULL) {
        out = json_string("\u2014");
    } else if (kind == XL_VALUE_NUMBER) {
        char n[64];
        snprintf(n, sizeof n, "%.10g", num);
        out = json_string(n);
    } else {
        out = json_string(buf_cstr(&text));
    }
    buf_free(&text);
    return out;
}

/* The row key for people: the key columns' values joined by " / ". */
static json_t *row_text(const xl_change_t *c)
{
    buf_t b;
    buf_init(&b, 4096);
    for (const char *s = c->row; *s;) {
        const char *tab = strchr(s, '\t');
        size_t n = tab ? (size_t)(tab - s) : strlen(s);
        char *one = xstrndup(s, n);
        json_t *v = c->key_columns ? value_text(one) : json_string(one);
        if (b.len)
            buf_puts(&b, " / ");
        buf_puts(&b, json_string_value(v) ? json_string_value(v) : "");
        json_decref(v);
        free(one);
        s = tab ? tab + 1 : s + n;
    }
    json_t *out = json_string(buf_cstr(&b));
    buf_free(&b);
    return out;
}

void page_report_changes(api_ctx_t *ctx, db_t *db)
{
    /* The API's answer: 404 for a report this person may not see. */
    json_t *meta = page_api_json(ctx, db, api_reports_get);
    if (!meta)
        return;
    json_int_t id = json_integer_value(json_object_get(meta, "id"));
    json_t *sup = json_object_get(meta, "supersedes");
    char *old_text = NULL, *new_text = NULL;
    size_t old_len = 0, new_len = 0;
    int rc = ST_ERR_NOT_FOUND;
    if (json_is_integer(sup)) {
        rc = rvalues_canon(db, ctx->tenant.id, (uint64_t)id, &new_text, &new_len);
        if (rc == ST_OK)
            rc = rvalues_canon(db, ctx->tenant.id, (uint64_t)json_integer_value(sup), &old_text,
                               &old_len);
    }
    if (rc != ST_OK && rc != ST_ERR_NOT_FOUND) {
        free(old_text);
        free(new_text);
        json_decref(meta);
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    char month[64];
    l10n_month(pg.cat, json_string_value(json_object_get(meta, "period")), month, sizeof month);
    json_object_set_new(pg.data, "report",
                        json_pack("{s:I, s:O, s:O, s:s}", "id", id, "version",
                                  json_object_get(meta, "version"), "template",
                                  json_object_get(meta, "template"), "month", month));
    json_object_set_new(
        pg.data, "tenant",
        json_pack("{s:s, s:s}", "slug", ctx->tenant.slug, "name", ctx->tenant.name));
    xl_changes_t *c = NULL;
    char err[256] = "";
    if (!json_is_integer(sup)) {
        json_object_set_new(pg.data, "first", json_true());
    } else if (rc == ST_ERR_NOT_FOUND || xl_changes_diff(old_text, old_len, new_text, new_len, NULL,
                                                         &c, err, sizeof err) != ST_OK) {
        json_object_set_new(pg.data, "incomparable", json_true());
    } else {
        static const char *const kinds[] = {"adm.changes.moved", "adm.changes.added",
                                            "adm.changes.removed"};
        json_t *rows = json_array();
        size_t n = xl_changes_count(c);
        for (size_t i = 0; i < n && i < CHANGES_MAX; i++) {
            const xl_change_t *x = xl_changes_get(c, i);
            json_array_append_new(
                rows, json_pack("{s:s, s:s, s:o, s:s, s:o, s:o}", "kind_key", kinds[x->kind],
                                "sheet", x->sheet, "row",
                                x->total ? json_string("total") : row_text(x), "column", x->column,
                                "old", value_text(x->old_value), "new", value_text(x->new_value)));
        }
        json_object_set_new(pg.data, "changes", rows);
        json_object_set_new(pg.data, "count", json_integer((json_int_t)n));
        json_object_set_new(pg.data, "cut", json_boolean(n > CHANGES_MAX));
    }
    json_object_set_new(pg.data, "supersedes_id",
                        json_is_integer(sup) ? json_incref(sup) : json_null());
    xl_changes_free(c);
    free(old_text);
    free(new_text);
    json_decref(meta);
    page_render(&pg, 200, "changes");
}
