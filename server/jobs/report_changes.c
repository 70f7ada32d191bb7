/*
 * report_changes.c - the Changes sheets of a report (see report_changes.h).
 *
 * How a listed value reads: "sheet" is the sheet's name and "metric" the
 * column's label in the workbook's language (the id or key when the
 * current template no longer has it); "row" is the row's key as the sheet
 * shows it (a date for a date column, the queue, "Agent 001", several key
 * columns joined by " / "), the totals row's label, nothing for a facts
 * sheet, "row N" where rows are matched by number.  Previous, new and
 * difference are numbers (empty when undefined, absent or text; the
 * difference to 15 significant digits); a text or a date that changed is
 * worded in the note ("was: ...; now: ..."), as are a new or removed row or
 * column and a value that became undefined or defined.
 */
#include "report_changes.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_stale.h"
#include "rfc3339.h"
#include "status.h"
#include "tz.h"
#include "xl_changes.h"
#include "xl_digest.h"
#include "xmem.h"

/* Changed values listed: the sheet's rows less the first and a "more" row. */
#define CHANGE_ROWS_MAX ((size_t)XL_MODEL_MAX_ROWS - 2)
#define BATCH_ROWS_MAX  ((size_t)XL_MODEL_MAX_ROWS - 1)
#define QUOTE_MAX       400   /* bytes of a text quoted in a note */
#define EXCEL_EPOCH     25569 /* Excel's serial day of 1970-01-01 */

/* A text in each language, indexed by xl_lang_t. */
typedef const char *const lang_text_t[XL_LANG_COUNT];

static const lang_text_t T_FIRST = {"First version: nothing changed (no earlier version).",
                                    "第一版：没有变更（没有更早的版本）。"};
static const lang_text_t T_FIRST_BATCHES = {"First version: nothing changed", "第一版：没有变更"};
static const lang_text_t T_COMPARED = {
    "Compared with version %d (report %" PRIu64 ", generated at %s): %zu values changed. "
    "The batches received since are on the next sheet.",
    "与第 %d 版（报告 %" PRIu64
    "，生成于 %s）相比：%zu 个数值有变化。之后收到的数据批次见下一个工作表。"};
static const lang_text_t T_NO_VALUES = {
    "Version %d (report %" PRIu64 ") kept no values to compare with: the values that moved "
    "cannot be listed. The batches received since it was requested are on the next sheet.",
    "第 %d 版（报告 %" PRIu64
    "）没有保存数值，无法列出变化的数值。其请求之后收到的数据批次见下一个工作表。"};
static const lang_text_t T_NO_COMPARE = {
    "Version %d (report %" PRIu64 ") cannot be compared with: %s. The batches received since "
    "it read its data are on the next sheet.",
    "无法与第 %d 版（报告 %" PRIu64 "）比较：%s。其读取数据之后收到的数据批次见下一个工作表。"};
static const lang_text_t T_MORE = {"%zu more changed values not shown: a sheet holds %zu rows.",
                                   "另有 %zu 个变化的数值未列出：一个工作表最多 %zu 行。"};
static const lang_text_t T_TOTAL = {"Total", "合计"};
static const lang_text_t T_ROW_N = {"row %s", "第 %s 行"};
static const lang_text_t T_EMPTY = {"(empty)", "（空）"};
static const lang_text_t T_NEW_ROW = {"new row", "新增的行"};
static const lang_text_t T_GONE_ROW = {"row removed", "已删除的行"};
static const lang_text_t T_NEW_COLUMN = {"new column", "新增的列"};
static const lang_text_t T_GONE_COLUMN = {"column removed", "已删除的列"};
static const lang_text_t T_NOW_UNDEFINED = {"now undefined (empty)", "现为未定义（空）"};
static const lang_text_t T_WAS_UNDEFINED = {"was undefined (empty)", "原为未定义（空）"};
static const lang_text_t T_TEXT = {"was: %s; now: %s", "原为：%s；现为：%s"};

/* The tenant's highest committed ingest batch id (0 for none). */
static int last_batch(db_t *db, uint64_t tenant_id, uint64_t *out)
{
    db_val_t v[] = {db_u64(tenant_id)};
    db_res_t *res = NULL;
    int rc = db_exec(db,
                     "SELECT COALESCE(MAX(id), 0) FROM ingest_batches WHERE tenant_id = ? "
                     "AND status = 'committed'",
                     v, 1, &res);
    *out = rc == ST_OK && db_res_next(res) ? (uint64_t)db_res_i64(res, 0) : 0;
    db_res_free(res);
    return rc;
}

int rchanges_mark(db_t *db, uint64_t tenant_id, uint64_t report_id, rchanges_mark_t *out)
{
    db_val_t v[] = {db_u64(tenant_id), db_u64(report_id)};
    db_res_t *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_exec(db,
                     "SELECT seen_batch_id, listed_batch_id FROM report_values "
                     "WHERE tenant_id = ? AND report_id = ?",
                     v, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        out->stored = true;
        out->seen_batch_id = (uint64_t)db_res_i64(res, 0);
        out->listed_batch_id = (uint64_t)db_res_i64(res, 1);
    }
    db_res_free(res);
    if (rc == ST_OK && !out->stored)
        rc = last_batch(db, tenant_id, &out->seen_batch_id);
    return rc;
}

/* The template's sheet with id, or NULL. */
static const xl_tpl_sheet_t *tpl_sheet(const xl_tpl_t *t, const char *id)
{
    for (size_t i = 0; i < xl_tpl_sheet_count(t); i++)
        if (strcmp(xl_tpl_sheet(t, i)->id, id) == 0)
            return xl_tpl_sheet(t, i);
    return NULL;
}

/* Whether an Excel number format shows a date (y or d outside quotes and
 * brackets), and whether a time of day (h). */
static bool date_format(const char *f, bool *time)
{
    bool quoted = false, bracket = false, date = false;
    *time = false;
    for (; f && *f; f++) {
        char c = *f;
        if (quoted) {
            quoted = c != '"';
        } else if (bracket) {
            bracket = c != ']';
        } else if (c == '\\' && f[1]) {
            f++;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '[') {
            bracket = true;
        } else if (c == 'y' || c == 'Y' || c == 'd' || c == 'D') {
            date = true;
        } else if (c == 'h' || c == 'H') {
            *time = true;
        }
    }
    return date;
}

/* An Excel serial date as "YYYY-MM-DD" (with " HH:MM" or " HH:MM:SS"). */
static void serial_text(double v, bool time, buf_t *out)
{
    int64_t total = (int64_t)llround(v * 86400.0);
    int64_t days = total / 86400, secs = total % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int y, mo, d;
    tz_civil_from_days(days - EXCEL_EPOCH, &y, &mo, &d);
    buf_printf(out, "%04d-%02d-%02d", y, mo, d);
    if (time && secs % 60)
        buf_printf(out, " %02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60),
                   (int)(secs % 60));
    else if (time)
        buf_printf(out, " %02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60));
}

/* Appends at most QUOTE_MAX bytes of UTF-8 text s, cut on a character boundary. */
static void quote_text(const char *s, size_t len, buf_t *out)
{
    if (len <= QUOTE_MAX) {
        buf_append(out, s, len);
        return;
    }
    size_t n = QUOTE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--; /* s[n] is where the cut begins: never inside a character */
    buf_append(out, s, n);
    buf_puts(out, "...");
}

/*
 * Appends one canonical value as text: a text as is (cut), a number as
 * "%.15g" or, for a date column, as a date; "(empty)" for undefined or
 * absent.
 */
static void value_text(const char *canon, const xl_tpl_column_t *col, xl_lang_t lang, buf_t *out)
{
    xl_value_kind_t kind = XL_VALUE_NULL;
    double num = NAN;
    buf_t text;
    buf_init(&text, XL_MODEL_TEXT_MAX);
    bool time = false;
    if (!canon || xl_changes_decode(canon, &kind, &num, &text) != ST_OK)
        kind = XL_VALUE_NULL;
    if (kind == XL_VALUE_TEXT)
        quote_text(text.data ? text.data : "", text.len, out);
    else if (kind == XL_VALUE_NUMBER && col && date_format(col->format.s[XL_LANG_EN], &time))
        serial_text(num, time, out);
    else if (kind == XL_VALUE_NUMBER)
        buf_printf(out, "%.15g", num);
    else
        buf_puts(out, T_EMPTY[lang]);
    buf_free(&text);
}

/* The row as the Changes sheet names it (see the top of this file). */
static void row_text(const xl_tpl_sheet_t *sh, const xl_change_t *c, xl_lang_t lang, buf_t *out)
{
    if (c->total) {
        const char *label = sh && sh->has_totals ? sh->total_label.s[lang] : NULL;
        buf_puts(out, label ? label : T_TOTAL[lang]);
        return;
    }
    if (c->key_columns == 0) {
        if (!sh || sh->kind != XL_TPL_FACTS)
            buf_printf(out, T_ROW_N[lang], c->row);
        return;
    }
    const char *p = c->row;
    for (size_t j = 0; j < c->key_columns && p; j++) {
        const char *tab = strchr(p, '\t');
        char *part = tab ? xstrndup(p, (size_t)(tab - p)) : xstrdup(p);
        if (j > 0)
            buf_puts(out, " / ");
        value_text(part, sh && j < sh->n_columns ? &sh->columns[j] : NULL, lang, out);
        free(part);
        p = tab ? tab + 1 : NULL;
    }
}

/* v to 15 significant digits: a difference without the noise of binary
 * fractions (0.8 - 0.75 is 0.05, not 0.050000000000000044). */
static double round15(double v)
{
    char s[40];
    snprintf(s, sizeof s, "%.15g", v);
    return strtod(s, NULL);
}

/* One row of the changes table. */
static int change_row(xl_table_t *t, const char *sheet, const char *row, const char *metric,
                      double previous, double now, const char *note)
{
    size_t r;
    int rc = xl_table_add_row(t, &r);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, r, "sheet", sheet);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, r, "row", row);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, r, "metric", metric);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, r, "previous", previous);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, r, "new", now);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, r, "difference",
                                 isnan(previous) || isnan(now) ? NAN : round15(now - previous));
    if (rc == ST_OK)
        rc = xl_table_set_text(t, r, "note", note);
    return rc;
}

/* A row of the changes table with only a note. */
static int note_row(xl_table_t *t, const char *note)
{
    return change_row(t, "", "", "", NAN, NAN, note);
}

/* The number of a canonical value, NAN for undefined, text or absent. */
static double value_number(const char *canon, xl_value_kind_t *kind)
{
    double num = NAN;
    *kind = XL_VALUE_NULL;
    if (canon && xl_changes_decode(canon, kind, &num, NULL) != ST_OK)
        *kind = XL_VALUE_NULL;
    return num;
}

/* The note of a listed value: added or gone, undefined, a text's wording. */
static void change_note(const xl_change_t *c, const xl_tpl_column_t *col, xl_lang_t lang,
                        buf_t *out)
{
    xl_value_kind_t was, now;
    value_number(c->old_value, &was);
    value_number(c->new_value, &now);
    const char *what = NULL;
    if (c->kind == XL_CHANGE_ADDED)
        what = c->whole_row ? T_NEW_ROW[lang] : T_NEW_COLUMN[lang];
    else if (c->kind == XL_CHANGE_REMOVED)
        what = c->whole_row ? T_GONE_ROW[lang] : T_GONE_COLUMN[lang];
    else if (was == XL_VALUE_NUMBER && now == XL_VALUE_NULL)
        what = T_NOW_UNDEFINED[lang];
    else if (was == XL_VALUE_NULL && now == XL_VALUE_NUMBER)
        what = T_WAS_UNDEFINED[lang];
    if (what)
        buf_puts(out, what);
    bool time, dated = col && date_format(col->format.s[XL_LANG_EN], &time);
    if (was != XL_VALUE_TEXT && now != XL_VALUE_TEXT && !dated)
        return; /* numbers speak for themselves; texts and dates are worded */
    buf_t a, b;
    buf_init(&a, XL_MODEL_TEXT_MAX);
    buf_init(&b, XL_MODEL_TEXT_MAX);
    value_text(c->old_value, col, lang, &a);
    value_text(c->new_value, col, lang, &b);
    if (what)
        buf_puts(out, "; ");
    buf_printf(out, T_TEXT[lang], buf_cstr(&a), buf_cstr(&b));
    buf_free(&a);
    buf_free(&b);
}

/* Lists one changed value. */
static int list_change(xl_table_t *t, const xl_tpl_t *tpl, xl_lang_t lang, const xl_change_t *c)
{
    const xl_tpl_sheet_t *sh = tpl_sheet(tpl, c->sheet);
    int ci = sh ? xl_tpl_column_find(sh, c->column) : -1;
    const xl_tpl_column_t *col = ci >= 0 ? &sh->columns[ci] : NULL;
    buf_t row, note;
    buf_init(&row, XL_MODEL_TEXT_MAX);
    buf_init(&note, XL_MODEL_TEXT_MAX);
    row_text(sh, c, lang, &row);
    change_note(c, col, lang, &note);
    xl_value_kind_t k;
    int rc = change_row(t, sh ? sh->name.s[lang] : c->sheet, buf_cstr(&row),
                        col ? col->label.s[lang] : c->column, value_number(c->old_value, &k),
                        value_number(c->new_value, &k), buf_cstr(&note));
    buf_free(&row);
    buf_free(&note);
    return rc;
}

/* The superseded report: what the first row says, and its values. */
typedef struct prev {
    db_res_t *res; /* holds canon */
    int version;
    int64_t generated_at, created_at;
    const char *canon;
    size_t canon_len;
    uint64_t seen_batch_id;
    bool has_values;
} prev_t;

/* Reads the superseded report and its stored values. */
static int prev_load(db_t *db, const rchanges_req_t *req, prev_t *p, char *err, size_t errlen)
{
    db_val_t v[] = {db_u64(req->tenant_id), db_u64(req->supersedes)};
    int rc = db_exec(db,
                     "SELECT r.version, r.generated_at, FLOOR(UNIX_TIMESTAMP(r.created_at)), "
                     "v.canon, v.seen_batch_id FROM reports r LEFT JOIN report_values v "
                     "ON v.tenant_id = r.tenant_id AND v.report_id = r.id "
                     "WHERE r.tenant_id = ? AND r.id = ?",
                     v, 2, &p->res);
    if (rc != ST_OK) {
        st_errf(err, errlen, "reading the superseded report: %s", db_error(db));
        return rc;
    }
    if (!db_res_next(p->res)) {
        st_errf(err, errlen, "the superseded report %" PRIu64 " is not found", req->supersedes);
        return ST_ERR_NOT_FOUND;
    }
    p->version = (int)db_res_i64(p->res, 0);
    p->generated_at = db_res_i64(p->res, 1);
    p->created_at = db_res_i64(p->res, 2);
    p->has_values = !db_res_is_null(p->res, 3);
    p->canon = db_res_str(p->res, 3, &p->canon_len);
    p->seen_batch_id = (uint64_t)db_res_i64(p->res, 4);
    return ST_OK;
}

/* The changes table: what is compared, then every value that moved. */
static int list_changes(const prev_t *p, const rchanges_req_t *req, const xl_tpl_t *tpl,
                        const xl_model_t *m, const buf_t *canon, xl_table_t *t, xl_lang_t lang,
                        char *err, size_t errlen)
{
    char first[768], generated[40];
    if (!p->has_values) {
        snprintf(first, sizeof first, T_NO_VALUES[lang], p->version, req->supersedes);
        return note_row(t, first);
    }
    /* Facts sheets have one row: matched by number, not by their first value. */
    const char *facts[XL_TPL_MAX_SHEETS], *streamed[XL_TPL_MAX_SHEETS];
    size_t n_facts = 0, n_streamed = 0;
    for (size_t i = 0; i < xl_tpl_sheet_count(tpl) && i < XL_TPL_MAX_SHEETS; i++) {
        const xl_tpl_sheet_t *sh = xl_tpl_sheet(tpl, i);
        const xl_table_t *tb = sh->table ? xl_model_find(m, sh->table) : NULL;
        if (sh->kind == XL_TPL_FACTS)
            facts[n_facts++] = sh->id;
        else if (tb && xl_table_streamed(tb))
            streamed[n_streamed++] = sh->id; /* an older version may still hold its values */
    }
    xl_changes_opts_t opts = {
        .by_row = facts, .n_by_row = n_facts, .ignore = streamed, .n_ignore = n_streamed};
    xl_changes_t *c = NULL;
    char why[256] = "";
    int rc = xl_changes_diff(p->canon, p->canon_len, canon->data ? canon->data : "", canon->len,
                             &opts, &c, why, sizeof why);
    if (rc == ST_ERR_INVALID) {
        /* Stored by another canonical version (or damaged): say so, do not fail the report. */
        snprintf(first, sizeof first, T_NO_COMPARE[lang], p->version, req->supersedes, why);
        return note_row(t, first);
    }
    if (rc != ST_OK) {
        st_errf(err, errlen, "comparing with report %" PRIu64 ": %s", req->supersedes, why);
        return rc;
    }
    size_t n = xl_changes_count(c);
    rfc3339_format_utc(p->generated_at * 1000000, generated, sizeof generated);
    snprintf(first, sizeof first, T_COMPARED[lang], p->version, req->supersedes, generated, n);
    rc = note_row(t, first);
    for (size_t i = 0; rc == ST_OK && i < n && i < CHANGE_ROWS_MAX; i++)
        rc = list_change(t, tpl, lang, xl_changes_get(c, i));
    if (rc == ST_OK && n > CHANGE_ROWS_MAX) {
        snprintf(first, sizeof first, T_MORE[lang], n - CHANGE_ROWS_MAX, CHANGE_ROWS_MAX);
        rc = note_row(t, first);
    }
    xl_changes_free(c);
    return rc;
}

/* How many of the period's records each batch in (after, upto] wrote last
 * (report_stale.h, the same count a stale report names): parallel to ids
 * (ascending); NAN where the period's zone is unknown. */
static int batches_in_period(db_t *db, const rchanges_req_t *req, const xl_model_t *m,
                             uint64_t after, uint64_t upto, const uint64_t *ids, double *counts,
                             size_t n)
{
    for (size_t i = 0; i < n; i++)
        counts[i] = NAN;
    const xl_table_t *cover = xl_model_find(m, XL_TABLE_COVER);
    xl_cell_t zone = cover ? xl_table_get(cover, 0, XL_FACT_TIME_ZONE) : (xl_cell_t){0};
    if (n == 0 || zone.kind != XL_CELL_TEXT)
        return ST_OK;
    char period[16];
    snprintf(period, sizeof period, "%04d-%02d", req->year, req->month);
    rstale_batch_t *b = NULL;
    size_t nb = 0;
    int rc = rstale_batches(db, req->tenant_id, zone.text, period, after, upto, &b, &nb);
    if (rc == ST_ERR_INVALID)
        return ST_OK; /* a zone the Cover states but tz cannot load: counts unknown */
    if (rc != ST_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        counts[i] = 0;
    for (size_t i = 0, k = 0; i < nb; i++) {
        while (k < n && ids[k] < b[i].id)
            k++;
        if (k < n && ids[k] == b[i].id)
            counts[k] = (double)b[i].records;
    }
    free(b);
    return ST_OK;
}

/* One listed batch. */
typedef struct batch_row {
    uint64_t id;
    char kind[33];
    int64_t received_s;
    int64_t counts[5]; /* BATCH_COUNTS */
} batch_row_t;

static const char *const BATCH_COUNTS[] = {"rows", "inserted", "updated", "unchanged", "rejected"};

/* The batches table: committed batches with after < id <= upto received at
 * or after since_s (Unix seconds). */
static int list_batches(db_t *db, const rchanges_req_t *req, const xl_model_t *m, xl_table_t *t,
                        uint64_t after, uint64_t upto, int64_t since_s)
{
    db_val_t v[] = {db_u64(req->tenant_id), db_u64(after), db_u64(upto), db_i64(since_s),
                    db_i64((int64_t)BATCH_ROWS_MAX)};
    db_res_t *res = NULL;
    int rc = db_exec(db,
                     "SELECT id, kind, FLOOR(UNIX_TIMESTAMP(received_at)), rows_total, inserted, "
                     "updated, unchanged, rejected FROM ingest_batches WHERE tenant_id = ? "
                     "AND status = 'committed' AND id > ? AND id <= ? "
                     "AND UNIX_TIMESTAMP(received_at) >= ? ORDER BY id LIMIT ?",
                     v, 5, &res);
    if (rc != ST_OK)
        return rc;
    size_t n = 0;
    batch_row_t *rows = xcalloc(db_res_count(res) + 1, sizeof *rows);
    uint64_t *ids = xcalloc(db_res_count(res) + 1, sizeof *ids);
    double *in_period = xcalloc(db_res_count(res) + 1, sizeof *in_period);
    while (db_res_next(res)) {
        batch_row_t *b = &rows[n];
        b->id = ids[n++] = (uint64_t)db_res_i64(res, 0);
        snprintf(b->kind, sizeof b->kind, "%s", db_res_str(res, 1, NULL));
        b->received_s = db_res_i64(res, 2);
        for (unsigned c = 0; c < 5; c++)
            b->counts[c] = db_res_i64(res, 3 + c);
    }
    db_res_free(res);
    rc = batches_in_period(db, req, m, after, upto, ids, in_period, n);
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        size_t r;
        if ((rc = xl_table_add_row(t, &r)) != ST_OK)
            break;
        rc = xl_table_set_number(t, r, "batch", (double)rows[i].id);
        if (rc == ST_OK)
            rc = xl_table_set_text(t, r, "kind", rows[i].kind);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, r, "received_at",
                                     EXCEL_EPOCH + (double)rows[i].received_s / 86400.0);
        for (unsigned c = 0; rc == ST_OK && c < 5; c++)
            rc = xl_table_set_number(t, r, BATCH_COUNTS[c], (double)rows[i].counts[c]);
        if (rc == ST_OK)
            rc = xl_table_set_number(t, r, "in_period", in_period[i]);
    }
    free(in_period);
    free(ids);
    free(rows);
    return rc;
}

/* The one row of a first version's batch list: the note in the kind column. */
static int first_batches_row(xl_table_t *t, const char *note)
{
    size_t r;
    int rc = xl_table_add_row(t, &r);
    if (rc == ST_OK)
        rc = xl_table_set_text(t, r, "kind", note);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, r, "batch", NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, r, "received_at", NAN);
    for (unsigned c = 0; rc == ST_OK && c < 5; c++)
        rc = xl_table_set_number(t, r, BATCH_COUNTS[c], NAN);
    if (rc == ST_OK)
        rc = xl_table_set_number(t, r, "in_period", NAN);
    return rc;
}

int rchanges_fill(db_t *db, const rchanges_req_t *req, rchanges_mark_t *mark, const xl_tpl_t *t,
                  xl_model_t *m, buf_t *canon, char *err, size_t errlen)
{
    xl_table_t *changes = xl_model_table(m, RCHANGES_TABLE);
    xl_table_t *batches = xl_model_table(m, RCHANGES_TABLE_BATCHES);
    xl_lang_t lang = xl_model_lang(m);
    prev_t p;
    memset(&p, 0, sizeof p);
    if (!changes || !batches)
        return ST_ERR_INTERNAL;
    /* The values the next version compares: not the streamed listings
     * (Evidence's contacts, Appeals; REPORTS.md: the Changes sheet lists
     * metric values). */
    int rc = xl_digest_text_held(t, m, canon, err, errlen);
    if (rc != ST_OK)
        return rc;
    if (!mark->stored && (rc = last_batch(db, req->tenant_id, &mark->listed_batch_id)) != ST_OK)
        goto fail;
    if (!req->supersedes) {
        /* Both sheets say so rather than show an empty table. */
        if ((rc = note_row(changes, T_FIRST[lang])) == ST_OK)
            rc = first_batches_row(batches, T_FIRST_BATCHES[lang]);
        goto fail;
    }
    if ((rc = prev_load(db, req, &p, err, errlen)) != ST_OK ||
        (rc = list_changes(&p, req, t, m, canon, changes, lang, err, errlen)) != ST_OK)
        goto fail;
    rc = list_batches(db, req, m, batches, p.has_values ? p.seen_batch_id : 0,
                      mark->listed_batch_id, p.has_values ? 0 : p.created_at);
fail:
    if (rc != ST_OK && err && errlen && !err[0])
        st_errf(err, errlen, "the Changes sheet: %s", db_error(db));
    db_res_free(p.res);
    return rc;
}
