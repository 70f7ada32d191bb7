/* xl_writer.c - workbook writing with libxlsxwriter (see xl_writer.h). */
#include "xl_writer.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#include "status.h"
#include "xmem.h"

#define COLOR_HEADER_BG 0xD9E1F2
#define COLOR_GOOD_BG   0xC6EFCE
#define COLOR_GOOD_FG   0x006100
#define COLOR_BAD_BG    0xFFC7CE
#define COLOR_BAD_FG    0x9C0006
#define COLOR_WARN_BG   0xFFEB9C
#define COLOR_WARN_FG   0x9C5700
#define COLOR_HEAT_LOW  0xF8696B
#define COLOR_HEAT_MID  0xFFEB84
#define COLOR_HEAT_HIGH 0x63BE7B
#define COLOR_TARGET    0xC00000

#define PAPER_A4       9
#define ROW_HEIGHT     15.0
#define HEADER_LINES   4    /* most lines a header row grows to */
#define WIDTH_MIN      8.0  /* auto widths, in characters */
#define WIDTH_NUMBER   11.0 /* room for a formatted number */
#define WIDTH_MAX      50.0
#define FACT_LABEL_MIN 18.0
#define FACT_VALUE_W   72.0
#define CHART_ROWS     17 /* rows a default-size chart covers, plus a gap */
#define CHART_X_SCALE  1.6
#define HEADER_MAX     255 /* Excel's page header limit */
#define FORMULA_MAX    512
#define COL_NAME_MAX   8

/* libxlsxwriter calls the non-reentrant gmtime: one workbook at a time (xl_writer.h). */
static pthread_mutex_t xl_lock = PTHREAD_MUTEX_INITIALIZER;

/* What writing one workbook needs at hand. */
typedef struct wctx {
    lxw_workbook *wb;
    const xl_tpl_t *t;
    const xl_model_t *m;
    xl_lang_t lang;
    const char *digest;
    lxw_format *f_header, *f_title, *f_label, *f_text, *f_wrap, *f_total_label;
    lxw_format *f_style[3]; /* conditional styles by xl_tpl_style_t */
    char *err;
    size_t errlen;
} wctx_t;

void xl_write_opts_default(xl_write_opts_t *o)
{
    o->constant_memory = -1;
    o->tmpdir = NULL;
}

/* Maps a libxlsxwriter error to ST_ERR_IO with its message; ST_OK for none. */
static int lxw_check(wctx_t *w, lxw_error e, const char *what)
{
    if (e == LXW_NO_ERROR)
        return ST_OK;
    st_errf(w->err, w->errlen, "%s: %s", what, lxw_strerror(e));
    return ST_ERR_IO;
}

/* Excel column letters of a 0-based column ("A", "Z", "AA"). */
static void col_name(char out[COL_NAME_MAX], size_t col)
{
    char tmp[COL_NAME_MAX];
    size_t n = 0;
    col++;
    while (col && n < COL_NAME_MAX - 1) {
        col--;
        tmp[n++] = (char)('A' + col % 26);
        col /= 26;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* Display width of UTF-8 text in character cells: CJK (3- and 4-byte
 * sequences) counts 2, which is close enough for column widths. */
static double text_width(const char *s)
{
    double w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) == 0x80)
            continue;
        w += *p >= 0xe0 ? 2 : 1;
    }
    return w;
}

/* Width of the longest word of a label (the header wraps between words). */
static double longest_word(const char *s)
{
    double best = 0, cur = 0;
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        if (*p == ' ' || *p == '\0') {
            best = cur > best ? cur : best;
            cur = 0;
            if (!*p)
                break;
        } else if ((*p & 0xc0) != 0x80) {
            cur += *p >= 0xe0 ? 2 : 1;
        }
    }
    return best;
}

/* Creates the workbook-wide formats. */
static void formats_make(wctx_t *w)
{
    w->f_header = workbook_add_format(w->wb);
    format_set_bold(w->f_header);
    format_set_text_wrap(w->f_header);
    format_set_align(w->f_header, LXW_ALIGN_VERTICAL_TOP);
    format_set_bg_color(w->f_header, COLOR_HEADER_BG);
    format_set_bottom(w->f_header, LXW_BORDER_THIN);
    w->f_title = workbook_add_format(w->wb);
    format_set_bold(w->f_title);
    format_set_font_size(w->f_title, 14);
    w->f_label = workbook_add_format(w->wb);
    format_set_bold(w->f_label);
    format_set_align(w->f_label, LXW_ALIGN_VERTICAL_TOP);
    w->f_text = workbook_add_format(w->wb);
    format_set_align(w->f_text, LXW_ALIGN_VERTICAL_TOP);
    w->f_wrap = workbook_add_format(w->wb);
    format_set_text_wrap(w->f_wrap);
    format_set_align(w->f_wrap, LXW_ALIGN_VERTICAL_TOP);
    w->f_total_label = workbook_add_format(w->wb);
    format_set_bold(w->f_total_label);
    format_set_top(w->f_total_label, LXW_BORDER_THIN);
    static const lxw_color_t bg[3] = {COLOR_GOOD_BG, COLOR_BAD_BG, COLOR_WARN_BG};
    static const lxw_color_t fg[3] = {COLOR_GOOD_FG, COLOR_BAD_FG, COLOR_WARN_FG};
    for (int i = 0; i < 3; i++) {
        w->f_style[i] = workbook_add_format(w->wb);
        format_set_bg_color(w->f_style[i], bg[i]);
        format_set_font_color(w->f_style[i], fg[i]);
    }
}

/* A number format of a column (bold with a top rule for totals). */
static lxw_format *number_format(wctx_t *w, const xl_tpl_column_t *c, bool total)
{
    lxw_format *f = workbook_add_format(w->wb);
    format_set_num_format(f, c->format.s[w->lang]);
    format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
    if (total) {
        format_set_bold(f);
        format_set_top(f, LXW_BORDER_THIN);
    }
    return f;
}

/* Appends s to the page header; text (escape) has its '&' doubled (Excel's
 * escape), control codes ("&L") are copied as they are. */
static void header_put(char *h, size_t n, size_t *o, const char *s, bool escape)
{
    for (; *s && *o + 2 < n; s++) {
        if (*s == '&' && escape) {
            if (*o + 3 >= n)
                break; /* never half of an "&&" */
            h[(*o)++] = '&';
        }
        h[(*o)++] = *s;
    }
    h[*o] = '\0';
}

/* Landscape, A4, one page wide, header "tenant | sheet | period". */
static int print_setup(wctx_t *w, lxw_worksheet *ws, bool repeat_header)
{
    const xl_table_t *cover = xl_model_find(w->m, XL_TABLE_COVER);
    xl_cell_t tenant = {XL_CELL_UNSET, NAN, NULL}, period = tenant;
    char h[HEADER_MAX + 1];
    size_t o = 0;
    if (cover) {
        tenant = xl_table_get(cover, 0, XL_FACT_TENANT);
        period = xl_table_get(cover, 0, XL_FACT_PERIOD);
    }
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, PAPER_A4);
    worksheet_fit_to_pages(ws, 1, 0);
    h[0] = '\0';
    header_put(h, sizeof h, &o, "&L", false);
    if (tenant.kind == XL_CELL_TEXT)
        header_put(h, sizeof h - 10, &o, tenant.text, true);
    header_put(h, sizeof h, &o, "&C&A&R", false);
    if (period.kind == XL_CELL_TEXT)
        header_put(h, sizeof h, &o, period.text, true);
    /* A cut in the middle of an "&&" or a UTF-8 sequence would be refused or
     * garbled: drop a trailing partial character. */
    while (o > 0 && ((unsigned char)h[o - 1] & 0xc0) == 0x80)
        h[--o] = '\0';
    while (o > 0 && ((unsigned char)h[o - 1] & 0xc0) == 0xc0)
        h[--o] = '\0';
    if (worksheet_set_header(ws, h) != LXW_NO_ERROR &&
        worksheet_set_header(ws, "&C&A") != LXW_NO_ERROR)
        return lxw_check(w, LXW_ERROR_255_STRING_LENGTH_EXCEEDED, "page header");
    if (repeat_header)
        return lxw_check(w, worksheet_repeat_rows(ws, 0, 0), "repeat rows");
    return ST_OK;
}

/* Writes one model cell of a column at (row, col). */
static int cell_write(wctx_t *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
                      const xl_tpl_column_t *c, xl_cell_t v, lxw_format *numf)
{
    if (c->type == XL_TPL_TEXT)
        return lxw_check(
            w, worksheet_write_string(ws, row, col, v.text, c->wrap ? w->f_wrap : w->f_text),
            "text cell");
    if (isnan(v.num))
        return ST_OK; /* undefined: an empty cell */
    return lxw_check(w, worksheet_write_number(ws, row, col, v.num, numf), "number cell");
}

/* The totals formula of column ci over data rows 2..n+1 (Excel numbering), into f. */
static void total_formula(const xl_tpl_sheet_t *sh, size_t ci, size_t n, char *f, size_t fl)
{
    const xl_tpl_total_t *t = &sh->columns[ci].total;
    char x[COL_NAME_MAX], a[COL_NAME_MAX], b[COL_NAME_MAX];
    char rx[40], ra[40], rb[40];
    size_t last = n + 1;
    col_name(x, ci);
    snprintf(rx, sizeof rx, "%s2:%s%zu", x, x, last);
    switch (t->fn) {
    case XL_TOTAL_SUM:
        snprintf(f, fl, "=SUM(%s)", rx);
        return;
    case XL_TOTAL_AVERAGE:
        snprintf(f, fl, "=IF(COUNT(%s)=0,\"\",AVERAGE(%s))", rx, rx);
        return;
    case XL_TOTAL_MIN:
        snprintf(f, fl, "=IF(COUNT(%s)=0,\"\",MIN(%s))", rx, rx);
        return;
    case XL_TOTAL_MAX:
        snprintf(f, fl, "=IF(COUNT(%s)=0,\"\",MAX(%s))", rx, rx);
        return;
    case XL_TOTAL_WEIGHTED:
        col_name(a, (size_t)t->weight);
        snprintf(ra, sizeof ra, "%s2:%s%zu", a, a, last);
        snprintf(f, fl, "=IF(SUMIF(%s,\"<>\",%s)=0,\"\",SUMPRODUCT(%s,%s)/SUMIF(%s,\"<>\",%s))", rx,
                 ra, rx, ra, rx, ra);
        return;
    case XL_TOTAL_RATIO:
        col_name(a, (size_t)t->num);
        col_name(b, (size_t)t->den);
        snprintf(ra, sizeof ra, "%s2:%s%zu", a, a, last);
        snprintf(rb, sizeof rb, "%s2:%s%zu", b, b, last);
        snprintf(f, fl, "=IF(SUM(%s)=0,\"\",SUM(%s)/SUM(%s))", rb, ra, rb);
        return;
    case XL_TOTAL_NONE:
        break;
    }
    snprintf(f, fl, "=\"\"");
}

/* Conditional formats of a table sheet over data rows 1..n (0-based). */
static int conds_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh, size_t n)
{
    static const char *const ops[] = {">=", "<=", ">", "<", "=", "<>"};
    char f[FORMULA_MAX], a[COL_NAME_MAX], b[COL_NAME_MAX], num[40];
    int rc;
    for (size_t c = 0; c < sh->n_columns; c++) {
        const xl_tpl_column_t *col = &sh->columns[c];
        for (size_t k = 0; k < col->n_conds; k++) {
            const xl_tpl_cond_t *cd = &col->conds[k];
            lxw_conditional_format cf;
            memset(&cf, 0, sizeof cf);
            if (cd->kind == XL_COND_HEAT) {
                /* One scale over a run of adjacent heat columns, so their
                 * colours compare; only the run's first column writes it. */
                if (c > 0 && sh->columns[c - 1].n_conds == 1 &&
                    sh->columns[c - 1].conds[0].kind == XL_COND_HEAT)
                    continue;
                size_t e = c;
                while (e + 1 < sh->n_columns && sh->columns[e + 1].n_conds == 1 &&
                       sh->columns[e + 1].conds[0].kind == XL_COND_HEAT)
                    e++;
                cf.type = LXW_CONDITIONAL_3_COLOR_SCALE;
                cf.min_color = cd->reverse ? COLOR_HEAT_HIGH : COLOR_HEAT_LOW;
                cf.mid_color = COLOR_HEAT_MID;
                cf.max_color = cd->reverse ? COLOR_HEAT_LOW : COLOR_HEAT_HIGH;
                rc = lxw_check(w,
                               worksheet_conditional_format_range(ws, 1, (lxw_col_t)c, (lxw_row_t)n,
                                                                  (lxw_col_t)e, &cf),
                               "heat map");
                if (rc != ST_OK)
                    return rc;
                continue;
            }
            /* A formula rule: an empty cell never matches (a cell rule would
             * read it as 0).  Relative row, absolute column. */
            col_name(a, cd->of >= 0 ? (size_t)cd->of : c);
            if (cd->column >= 0) {
                col_name(b, (size_t)cd->column);
                snprintf(f, sizeof f, "=AND(ISNUMBER($%s2),ISNUMBER($%s2),$%s2%s$%s2)", a, b, a,
                         ops[cd->op], b);
            } else {
                snprintf(num, sizeof num, "%.17g", cd->value);
                snprintf(f, sizeof f, "=AND(ISNUMBER($%s2),$%s2%s%s)", a, a, ops[cd->op], num);
            }
            cf.type = LXW_CONDITIONAL_TYPE_FORMULA;
            cf.value_string = f;
            cf.format = w->f_style[cd->style];
            rc = lxw_check(w,
                           worksheet_conditional_format_range(ws, 1, (lxw_col_t)c, (lxw_row_t)n,
                                                              (lxw_col_t)c, &cf),
                           "conditional format");
            if (rc != ST_OK)
                return rc;
        }
    }
    return ST_OK;
}

/* The charts of a table sheet, stacked below the table from row `at`. */
static int charts_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh, size_t n,
                        lxw_row_t at)
{
    const char *sname = sh->name.s[w->lang];
    for (size_t i = 0; i < sh->n_charts; i++) {
        const xl_tpl_chart_t *ch = &sh->charts[i];
        lxw_chart *chart = workbook_add_chart(w->wb, ch->type == XL_CHART_LINE ? LXW_CHART_LINE
                                                                               : LXW_CHART_COLUMN);
        if (!chart) {
            st_errf(w->err, w->errlen, "sheet '%s': cannot add a chart", sh->id);
            return ST_ERR_IO;
        }
        chart_title_set_name(chart, ch->title.s[w->lang]);
        chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
        for (size_t s = 0; s < ch->n_series; s++) {
            lxw_col_t col = (lxw_col_t)ch->series[s].column;
            lxw_chart_series *ser = chart_add_series(chart, NULL, NULL);
            chart_series_set_categories(ser, sname, 1, (lxw_col_t)ch->categories, (lxw_row_t)n,
                                        (lxw_col_t)ch->categories);
            chart_series_set_values(ser, sname, 1, col, (lxw_row_t)n, col);
            chart_series_set_name_range(ser, sname, 0, col);
            if (ch->series[s].dash) {
                lxw_chart_line line = {
                    .color = COLOR_TARGET, .width = 1.5f, .dash_type = LXW_CHART_LINE_DASH_DASH};
                chart_series_set_line(ser, &line);
            }
        }
        const xl_tpl_column_t *first = &sh->columns[ch->series[0].column];
        chart_axis_set_num_format(chart->y_axis, first->format.s[w->lang]);
        lxw_chart_options o = {.x_scale = CHART_X_SCALE, .y_scale = 1.0};
        int rc = lxw_check(
            w, worksheet_insert_chart_opt(ws, at + (lxw_row_t)(i * CHART_ROWS), 0, chart, &o),
            "chart");
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

/* Column widths of a table sheet: the template's, or from the contents. */
static int widths_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh,
                        const xl_table_t *tb, double *widths)
{
    for (size_t c = 0; c < sh->n_columns; c++) {
        const xl_tpl_column_t *col = &sh->columns[c];
        double wd = col->width;
        if (wd == 0) {
            wd = longest_word(col->label.s[w->lang]);
            if (col->type == XL_TPL_NUMBER && wd < WIDTH_NUMBER)
                wd = WIDTH_NUMBER;
            if (col->type == XL_TPL_TEXT) {
                int id = xl_table_key_id(tb, col->key);
                for (size_t r = 0; r < xl_table_row_count(tb); r++) {
                    xl_cell_t v = xl_table_cell(tb, r, id);
                    double tw = v.kind == XL_CELL_TEXT ? text_width(v.text) : 0;
                    wd = tw > wd ? tw : wd;
                }
            }
            if (c == 0 && sh->has_totals) {
                double tw = text_width(sh->total_label.s[w->lang]);
                wd = tw > wd ? tw : wd;
            }
            wd = wd < WIDTH_MIN ? WIDTH_MIN : wd > WIDTH_MAX ? WIDTH_MAX : wd;
            wd += 2;
        }
        widths[c] = wd;
        lxw_row_col_options o = {.hidden = col->hidden};
        int rc =
            lxw_check(w, worksheet_set_column_opt(ws, (lxw_col_t)c, (lxw_col_t)c, wd, NULL, &o),
                      "column width");
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

/* A table sheet: header, rows, totals, conditional formats, charts. */
static int table_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh)
{
    const xl_table_t *tb = xl_model_find(w->m, sh->table);
    size_t n = xl_table_row_count(tb);
    double widths[XL_TPL_MAX_COLUMNS];
    lxw_format *numf[XL_TPL_MAX_COLUMNS], *totf[XL_TPL_MAX_COLUMNS];
    int ids[XL_TPL_MAX_COLUMNS];
    int rc;
    if ((rc = widths_write(w, ws, sh, tb, widths)) != ST_OK)
        return rc;
    /* Header row, tall enough for the longest wrapped label. */
    double lines = 1;
    for (size_t c = 0; c < sh->n_columns; c++) {
        double l = ceil(text_width(sh->columns[c].label.s[w->lang]) / (widths[c] - 1));
        lines = l > lines ? l : lines;
        numf[c] = totf[c] = NULL;
        if (sh->columns[c].type == XL_TPL_NUMBER) {
            numf[c] = number_format(w, &sh->columns[c], false);
            totf[c] = number_format(w, &sh->columns[c], true);
        }
        ids[c] = xl_table_key_id(tb, sh->columns[c].key);
    }
    lines = lines > HEADER_LINES ? HEADER_LINES : lines;
    if ((rc = lxw_check(w, worksheet_set_row(ws, 0, ROW_HEIGHT * lines, NULL), "header row")) !=
        ST_OK)
        return rc;
    for (size_t c = 0; c < sh->n_columns; c++) {
        rc = lxw_check(w,
                       worksheet_write_string(ws, 0, (lxw_col_t)c, sh->columns[c].label.s[w->lang],
                                              w->f_header),
                       "header");
        if (rc != ST_OK)
            return rc;
    }
    /* Rows strictly in order: constant memory flushes a row when the next starts. */
    for (size_t r = 0; r < n; r++) {
        for (size_t c = 0; c < sh->n_columns; c++) {
            rc = cell_write(w, ws, (lxw_row_t)(r + 1), (lxw_col_t)c, &sh->columns[c],
                            xl_table_cell(tb, r, ids[c]), numf[c]);
            if (rc != ST_OK)
                return rc;
        }
    }
    lxw_row_t below = (lxw_row_t)(n + 2);
    if (sh->has_totals) {
        lxw_row_t tr = (lxw_row_t)(n + 1);
        char f[FORMULA_MAX];
        rc = lxw_check(
            w, worksheet_write_string(ws, tr, 0, sh->total_label.s[w->lang], w->f_total_label),
            "totals label");
        for (size_t c = 1; c < sh->n_columns && rc == ST_OK; c++) {
            if (sh->columns[c].total.fn == XL_TOTAL_NONE) {
                rc = lxw_check(w, worksheet_write_blank(ws, tr, (lxw_col_t)c, w->f_total_label),
                               "totals");
                continue;
            }
            double v = xl_model_total(tb, sh, c);
            if (n == 0)
                snprintf(f, sizeof f, isnan(v) ? "=\"\"" : "=0");
            else
                total_formula(sh, c, n, f, sizeof f);
            if (isnan(v))
                rc = lxw_check(w, worksheet_write_formula_str(ws, tr, (lxw_col_t)c, f, totf[c], ""),
                               "total formula");
            else
                rc = lxw_check(w, worksheet_write_formula_num(ws, tr, (lxw_col_t)c, f, totf[c], v),
                               "total formula");
        }
        if (rc != ST_OK)
            return rc;
        below = (lxw_row_t)(n + 3);
    }
    if (sh->freeze_rows || sh->freeze_cols)
        worksheet_freeze_panes(ws, (lxw_row_t)sh->freeze_rows, (lxw_col_t)sh->freeze_cols);
    if (n == 0)
        return ST_OK; /* no range to format or chart */
    if ((rc = conds_write(w, ws, sh, n)) != ST_OK)
        return rc;
    return charts_write(w, ws, sh, n, below);
}

/* A facts sheet: an optional title, then "label | value" rows. */
static int facts_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh)
{
    const xl_table_t *tb = xl_model_find(w->m, sh->table);
    double lw = FACT_LABEL_MIN;
    lxw_row_t row = 0;
    int rc;
    for (size_t c = 0; c < sh->n_columns; c++) {
        double tw = text_width(sh->columns[c].label.s[w->lang]) + 2;
        lw = tw > lw ? tw : lw;
    }
    if ((rc = lxw_check(w, worksheet_set_column(ws, 0, 0, lw, NULL), "column width")) != ST_OK ||
        (rc = lxw_check(w, worksheet_set_column(ws, 1, 1, FACT_VALUE_W, NULL), "column width")) !=
            ST_OK)
        return rc;
    if (sh->title.s[w->lang]) {
        rc = lxw_check(w, worksheet_set_row(ws, 0, ROW_HEIGHT * 1.5, NULL), "title row");
        if (rc == ST_OK)
            rc = lxw_check(w, worksheet_write_string(ws, 0, 0, sh->title.s[w->lang], w->f_title),
                           "title");
        if (rc != ST_OK)
            return rc;
        row = 2;
    }
    for (size_t c = 0; c < sh->n_columns; c++, row++) {
        const xl_tpl_column_t *col = &sh->columns[c];
        xl_cell_t v;
        rc = lxw_check(w, worksheet_write_string(ws, row, 0, col->label.s[w->lang], w->f_label),
                       "fact label");
        if (rc != ST_OK)
            return rc;
        if (strcmp(col->key, XL_FACT_DATA_DIGEST) == 0) {
            v.kind = XL_CELL_TEXT;
            v.text = w->digest;
        } else {
            v = xl_table_get(tb, 0, col->key);
        }
        if (v.kind == XL_CELL_TEXT)
            rc = lxw_check(w, worksheet_write_string(ws, row, 1, v.text, w->f_wrap), "fact");
        else
            rc = cell_write(w, ws, row, 1, col, v, number_format(w, col, false));
        if (rc != ST_OK)
            return rc;
    }
    if (sh->freeze_rows || sh->freeze_cols)
        worksheet_freeze_panes(ws, (lxw_row_t)sh->freeze_rows, (lxw_col_t)sh->freeze_cols);
    return ST_OK;
}

/* Whether some table the template shows has more than XL_CONST_MEM_ROWS rows. */
static bool rows_many(const xl_tpl_t *t, const xl_model_t *m)
{
    for (size_t s = 0; s < xl_tpl_sheet_count(t); s++) {
        const xl_table_t *tb = xl_model_find(m, xl_tpl_sheet(t, s)->table);
        if (tb && xl_table_row_count(tb) > XL_CONST_MEM_ROWS)
            return true;
    }
    return false;
}

/* Writes the workbook; the caller holds xl_lock. */
static int write_locked(const char *path, const xl_tpl_t *t, const xl_model_t *m,
                        const xl_write_opts_t *opts, const char *digest, char *err, size_t errlen)
{
    wctx_t w = {
        .t = t, .m = m, .lang = xl_model_lang(m), .digest = digest, .err = err, .errlen = errlen};
    lxw_workbook_options o = {.constant_memory = 0, .tmpdir = (char *)(uintptr_t)opts->tmpdir};
    int rc = ST_OK;
    o.constant_memory = opts->constant_memory < 0 ? rows_many(t, m) : opts->constant_memory > 0;
    w.wb = workbook_new_opt(path, &o);
    if (!w.wb) {
        st_errf(err, errlen, "%s: cannot create the workbook", path);
        return ST_ERR_IO;
    }
    /* The creation date from generated_at, never the clock: determinism. */
    lxw_doc_properties props = {
        .title = (char *)(uintptr_t)xl_tpl_title(t, w.lang),
        .author = "slattest",
        .created = (time_t)xl_model_generated_at(m),
    };
    if ((rc = lxw_check(&w, workbook_set_properties(w.wb, &props), "properties")) != ST_OK)
        goto fail;
    formats_make(&w);
    for (size_t s = 0; s < xl_tpl_sheet_count(t); s++) {
        const xl_tpl_sheet_t *sh = xl_tpl_sheet(t, s);
        lxw_worksheet *ws = workbook_add_worksheet(w.wb, sh->name.s[w.lang]);
        if (!ws) {
            st_errf(err, errlen, "sheet '%s': libxlsxwriter refused the name", sh->id);
            rc = ST_ERR_INVALID;
            goto fail;
        }
        if ((rc = print_setup(&w, ws, sh->kind == XL_TPL_TABLE)) != ST_OK)
            goto fail;
        rc = sh->kind == XL_TPL_TABLE ? table_write(&w, ws, sh) : facts_write(&w, ws, sh);
        if (rc != ST_OK)
            goto fail;
    }
    lxw_error e = workbook_close(w.wb);
    w.wb = NULL;
    return lxw_check(&w, e, path);
fail:
    /* workbook_close() also frees; the half-written file is the caller's to remove. */
    if (w.wb)
        workbook_close(w.wb);
    return rc;
}

int xl_write(const char *path, const xl_tpl_t *t, const xl_model_t *m, const xl_write_opts_t *opts,
             char *digest_hex, char *err, size_t errlen)
{
    char digest[XL_DIGEST_HEX_LEN + 1];
    xl_write_opts_t defaults;
    int rc;
    if (!opts) {
        xl_write_opts_default(&defaults);
        opts = &defaults;
    }
    if (xl_model_generated_at(m) <= 0) {
        st_errf(err, errlen, "the model has no generated_at");
        return ST_ERR_INVALID;
    }
    if ((rc = xl_digest(t, m, digest, err, errlen)) != ST_OK)
        return rc;
    const xl_table_t *cover = xl_model_find(m, XL_TABLE_COVER);
    xl_cell_t given = {XL_CELL_UNSET, NAN, NULL};
    if (cover)
        given = xl_table_get(cover, 0, XL_FACT_DATA_DIGEST);
    if (given.kind != XL_CELL_UNSET &&
        (given.kind != XL_CELL_TEXT || strcmp(given.text, digest) != 0)) {
        st_errf(err, errlen, "the model's %s is not the digest of its data (%s)",
                XL_FACT_DATA_DIGEST, digest);
        return ST_ERR_INVALID;
    }
    pthread_mutex_lock(&xl_lock);
    rc = write_locked(path, t, m, opts, digest, err, errlen);
    pthread_mutex_unlock(&xl_lock);
    if (rc == ST_OK && digest_hex)
        memcpy(digest_hex, digest, sizeof digest);
    return rc;
}
