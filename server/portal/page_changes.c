/*
 * page_changes.c - "what changed" between a report version and the one it
 * supersedes: the values the two versions stored (report_values.h),
 * compared by xl_changes_diff() with the options the Changes sheet of the
 * workbook uses (facts sheets matched by row number), and shown with the
 * report template's sheet names, column labels and text labels in the
 * page's language.  The report is looked up through the API's own handler
 * (api_reports_get), so who may see it is decided in one place.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portal_int.h"
#include "report_values.h"
#include "status.h"
#include "tz.h"
#include "xl_changes.h"
#include "xl_template.h"
#include "xmem.h"

#define CHANGES_MAX 2000 /* cells listed on the page */

/* What a change is shown with: the template (may be NULL), the page's language. */
typedef struct shown {
    const xl_tpl_t *tpl;
    xl_lang_t lang;
    const json_t *cat;
} shown_t;

/* The template's sheet with id `id`, or NULL. */
static const xl_tpl_sheet_t *sheet_of(const shown_t *w, const char *id)
{
    for (size_t i = 0; w->tpl && i < xl_tpl_sheet_count(w->tpl); i++)
        if (strcmp(xl_tpl_sheet(w->tpl, i)->id, id) == 0)
            return xl_tpl_sheet(w->tpl, i);
    return NULL;
}

/* Column i of sheet s, or NULL. */
static const xl_tpl_column_t *column_at(const xl_tpl_sheet_t *s, int i)
{
    return s && i >= 0 && (size_t)i < s->n_columns ? &s->columns[i] : NULL;
}

/*
 * A canonical value as text for the page ("—" for an undefined number, NULL
 * canon: absent): a text through the column's labels, a number as a
 * percentage when the column's format is one.
 */
static json_t *value_text(const shown_t *w, const xl_tpl_column_t *col, const char *canon)
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
        const char *fmt = col && col->format.s[w->lang] ? col->format.s[w->lang] : "";
        if (strstr(fmt, "yy") && isfinite(num)) { /* an Excel date serial (1900 system) */
            int y, m, d;
            tz_civil_from_days((int64_t)num - EXCEL_EPOCH_DAYS, &y, &m, &d);
            l10n_date(w->cat, y, m, d, n, sizeof n);
        } else if (strchr(fmt, '%') && !strstr(fmt, "\"%\"")) { /* a fraction shown as % */
            l10n_percent(w->cat, num, n, sizeof n);
        } else {
            snprintf(n, sizeof n, "%.6g", num);
        }
        out = json_string(n);
    } else {
        out =
            json_string(col ? xl_tpl_column_label(col, w->lang, buf_cstr(&text)) : buf_cstr(&text));
    }
    buf_free(&text);
    return out;
}

/* The row key for people: the key columns' values joined by " / ". */
static json_t *row_text(const shown_t *w, const xl_tpl_sheet_t *sh, const xl_change_t *c)
{
    buf_t b;
    buf_init(&b, 4096);
    int k = 0;
    for (const char *s = c->row; *s; k++) {
        const char *tab = strchr(s, '\t');
        size_t n = tab ? (size_t)(tab - s) : strlen(s);
        char *one = xstrndup(s, n);
        json_t *v = c->key_columns ? value_text(w, column_at(sh, k), one) : json_string(one);
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

/* One listed change as the template's row. */
static json_t *change_json(const shown_t *w, const xl_change_t *x)
{
    static const char *const kinds[] = {"adm.changes.moved", "adm.changes.added",
                                        "adm.changes.removed"};
    const xl_tpl_sheet_t *sh = sheet_of(w, x->sheet);
    const xl_tpl_column_t *col = sh ? column_at(sh, xl_tpl_column_find(sh, x->column)) : NULL;
    const char *sheet = sh && sh->name.s[w->lang] ? sh->name.s[w->lang] : x->sheet;
    const char *column = col && col->label.s[w->lang] ? col->label.s[w->lang] : x->column;
    json_t *row =
        x->total
            ? json_string(sh && sh->total_label.s[w->lang] ? sh->total_label.s[w->lang] : "total")
            : row_text(w, sh, x);
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o}", "kind_key", kinds[x->kind],
                     "sheet", sheet, "sheet_id", x->sheet, "row", row, "column", column,
                     "column_id", x->column, "old", value_text(w, col, x->old_value), "new",
                     value_text(w, col, x->new_value));
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
    /* The template names what changed; without it the ids are shown. */
    xl_tpl_t *tpl = NULL;
    char path[1024], err[256] = "";
    const char *tname = json_string_value(json_object_get(meta, "template"));
    snprintf(path, sizeof path, "%s/%s.json", api_config(ctx)->templates, tname ? tname : "");
    if (!tname || strchr(tname, '/') || xl_tpl_load(path, &tpl, err, sizeof err) != ST_OK)
        tpl = NULL;
    shown_t w = {tpl, strcmp(pg.lang, "zh") == 0 ? XL_LANG_ZH : XL_LANG_EN, pg.cat};
    const char *facts[XL_TPL_MAX_SHEETS];
    size_t n_facts = 0;
    for (size_t i = 0; tpl && i < xl_tpl_sheet_count(tpl) && n_facts < XL_TPL_MAX_SHEETS; i++)
        if (xl_tpl_sheet(tpl, i)->kind == XL_TPL_FACTS)
            facts[n_facts++] = xl_tpl_sheet(tpl, i)->id;
    xl_changes_opts_t opts = {.by_row = facts, .n_by_row = n_facts};
    xl_changes_t *c = NULL;
    if (!json_is_integer(sup)) {
        json_object_set_new(pg.data, "first", json_true());
    } else if (rc == ST_ERR_NOT_FOUND || xl_changes_diff(old_text, old_len, new_text, new_len,
                                                         &opts, &c, err, sizeof err) != ST_OK) {
        json_object_set_new(pg.data, "incomparable", json_true());
    } else {
        json_t *rows = json_array();
        size_t n = xl_changes_count(c);
        for (size_t i = 0; i < n && i < CHANGES_MAX; i++)
            json_array_append_new(rows, change_json(&w, xl_changes_get(c, i)));
        json_object_set_new(pg.data, "changes", rows);
        json_object_set_new(pg.data, "count", json_integer((json_int_t)n));
        json_object_set_new(pg.data, "cut", json_boolean(n > CHANGES_MAX));
    }
    xl_tpl_free(tpl);
    json_object_set_new(pg.data, "supersedes_id",
                        json_is_integer(sup) ? json_incref(sup) : json_null());
    xl_changes_free(c);
    free(old_text);
    free(new_text);
    json_decref(meta);
    page_render(&pg, 200, "changes");
}
