/* xl_writer.c - workbook writing with libxlsxwriter (see xl_writer.h). */
#include "xl_writer.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "buf.h"
#include "csv.h"
#include "status.h"
#include "xl_rowxml.h"
#include "xl_splice.h"
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

#define PAPER_A4            9
#define ROW_HEIGHT          15.0
#define HEADER_LINES        4    /* most lines a header row grows to */
#define WIDTH_MIN           8.0  /* auto widths, in characters */
#define WIDTH_NUMBER        11.0 /* room for a formatted number */
#define WIDTH_MAX           50.0
#define TEXT_INDENT_W       1.5 /* characters a one-step indent takes */
#define FACT_LABEL_MIN      18.0
#define FACT_VALUE_W        72.0
#define FACT_VALUE_MIN      14.0
#define FACT_NOTE_W         80.0
#define CHART_ROWS          22 /* rows a chart covers (288 px x 1.4 at 20 px a row), plus a gap */
#define CHART_X_SCALE       1.6
#define CHART_Y_SCALE       1.4
#define MAX_BREAKS          16  /* page breaks of a sheet (one before each chart) */
#define HEADER_MAX          255 /* Excel's page header limit */
#define FORMULA_MAX         512
#define FORMULA_TOTAL_MAX   8192               /* Excel's longest formula, in characters */
#define XL_SHEET_NAME_BYTES 128                /* 31 characters of UTF-8, and the NUL */
#define XF_CACHE            32                 /* cell formats whose index style_of() remembers */
#define ROW_XML_MAX         ((size_t)16 << 20) /* one streamed row's XML */

/* libxlsxwriter calls the non-reentrant gmtime: one workbook at a time (xl_writer.h). */
static pthread_mutex_t xl_lock = PTHREAD_MUTEX_INITIALIZER;

/* What writing one workbook needs at hand. */
typedef struct wctx {
    lxw_workbook *wb;
    const xl_tpl_t *t;
    const xl_model_t *m;
    xl_lang_t lang;
    const char *digest;  /* once known (facts sheets showing it are written last) */
    xl_digest_run_t *dg; /* fed as the sheets are written */
    size_t max_rows;     /* rows of a sheet (xl_write_opts_t) */
    /* Table cells: a text indented one step, so it never reads as one value
     * with a right-aligned number before it ("74.5% missed"); headers
     * aligned as their column's cells (numbers right, texts indented). */
    lxw_format *f_header, *f_header_num, *f_title, *f_label, *f_text, *f_wrap, *f_total_label;
    lxw_format *f_fact;     /* a facts sheet's text value */
    lxw_format *f_heading;  /* a facts sheet's section heading */
    lxw_format *f_strong;   /* a facts sheet's value in bold ("strong") */
    char currency[16];      /* the Cover's currency fact, for "{currency}" in number formats */
    lxw_format *f_style[3]; /* conditional styles by xl_tpl_style_t */
    /* Page-break lists handed to libxlsxwriter, which reads them when the
     * workbook is closed: kept until then. */
    lxw_row_t *breaks[XL_TPL_MAX_SHEETS];
    size_t n_breaks;
    /* Streamed rows (xl_writer.h): written by xl_rowxml into a row stream
     * per sheet, spliced into the file once libxlsxwriter has closed it. */
    bool splice_rows;
    const char *tmpdir;
    xl_splice_sheet_t *spliced; /* their rows ours to end and free */
    size_t n_spliced;
    buf_t rowxml; /* one row's XML */
    struct {
        lxw_format *f;
        uint32_t index;
    } xf[XF_CACHE]; /* style_of()'s */
    size_t n_xf;
    char *err;
    size_t errlen;
} wctx_t;

void xl_write_opts_default(xl_write_opts_t *o)
{
    o->constant_memory = -1;
    o->tmpdir = NULL;
    o->splice_rows = 1;
    o->max_rows_per_sheet = XL_SHEET_MAX_ROWS;
}

/* Maps a libxlsxwriter error to ST_ERR_IO with its message; ST_OK for none. */
static int lxw_check(wctx_t *w, lxw_error e, const char *what)
{
    if (e == LXW_NO_ERROR)
        return ST_OK;
    st_errf(w->err, w->errlen, "%s: %s", what, lxw_strerror(e));
    return ST_ERR_IO;
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
    for (int k = 0; k < 2; k++) {
        lxw_format *f = workbook_add_format(w->wb);
        format_set_bold(f);
        format_set_text_wrap(f);
        format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
        format_set_align(f, k ? LXW_ALIGN_RIGHT : LXW_ALIGN_LEFT);
        if (!k)
            format_set_indent(f, 1);
        format_set_bg_color(f, COLOR_HEADER_BG);
        format_set_bottom(f, LXW_BORDER_THIN);
        *(k ? &w->f_header_num : &w->f_header) = f;
    }
    w->f_title = workbook_add_format(w->wb);
    format_set_bold(w->f_title);
    format_set_font_size(w->f_title, 14);
    w->f_label = workbook_add_format(w->wb);
    format_set_bold(w->f_label);
    format_set_align(w->f_label, LXW_ALIGN_VERTICAL_TOP);
    w->f_text = workbook_add_format(w->wb);
    format_set_align(w->f_text, LXW_ALIGN_VERTICAL_TOP);
    format_set_indent(w->f_text, 1);
    w->f_wrap = workbook_add_format(w->wb);
    format_set_text_wrap(w->f_wrap);
    format_set_align(w->f_wrap, LXW_ALIGN_VERTICAL_TOP);
    format_set_indent(w->f_wrap, 1);
    w->f_heading = workbook_add_format(w->wb);
    format_set_bold(w->f_heading);
    format_set_font_size(w->f_heading, 12);
    format_set_bottom(w->f_heading, LXW_BORDER_THIN);
    w->f_strong = workbook_add_format(w->wb);
    format_set_bold(w->f_strong);
    format_set_font_size(w->f_strong, 12);
    format_set_text_wrap(w->f_strong);
    format_set_align(w->f_strong, LXW_ALIGN_VERTICAL_TOP);
    w->f_fact = workbook_add_format(w->wb);
    format_set_text_wrap(w->f_fact);
    format_set_align(w->f_fact, LXW_ALIGN_VERTICAL_TOP);
    w->f_total_label = workbook_add_format(w->wb);
    format_set_bold(w->f_total_label);
    format_set_indent(w->f_total_label, 1);
    format_set_top(w->f_total_label, LXW_BORDER_THIN);
    static const lxw_color_t bg[3] = {COLOR_GOOD_BG, COLOR_BAD_BG, COLOR_WARN_BG};
    static const lxw_color_t fg[3] = {COLOR_GOOD_FG, COLOR_BAD_FG, COLOR_WARN_FG};
    for (int i = 0; i < 3; i++) {
        w->f_style[i] = workbook_add_format(w->wb);
        format_set_bg_color(w->f_style[i], bg[i]);
        format_set_font_color(w->f_style[i], fg[i]);
    }
}

/*
 * Number format num with "{currency}" replaced by the workbook's currency
 * (the Cover's XL_FACT_CURRENCY; nothing without one), into out.  A money
 * column's format in a template reads #,##0.00 "{currency}".
 */
static void currency_format(const wctx_t *w, const char *num, char out[XL_TPL_FORMAT_MAX + 1])
{
    static const char mark[] = "{currency}";
    const char *at = strstr(num, mark);
    if (!at) {
        snprintf(out, XL_TPL_FORMAT_MAX + 1, "%s", num);
        return;
    }
    snprintf(out, XL_TPL_FORMAT_MAX + 1, "%.*s%s%s", (int)(at - num), num, w->currency,
             at + sizeof mark - 1);
}

/* A cell format with number format num (bold with a top rule for totals). */
static lxw_format *number_format_of(wctx_t *w, const char *num, bool total)
{
    char fmt[XL_TPL_FORMAT_MAX + 1];
    lxw_format *f = workbook_add_format(w->wb);
    currency_format(w, num, fmt);
    format_set_num_format(f, fmt);
    format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
    if (total) {
        format_set_bold(f);
        format_set_top(f, LXW_BORDER_THIN);
    }
    return f;
}

/* A column's own number format. */
static lxw_format *number_format(wctx_t *w, const xl_tpl_column_t *c, bool total)
{
    return number_format_of(w, c->format.s[w->lang], total);
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

/* Landscape, A4, pages_wide pages wide (a wide sheet repeats its first
 * column on each), header "tenant | sheet | period". */
static int print_setup(wctx_t *w, lxw_worksheet *ws, bool repeat_header, int pages_wide)
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
    worksheet_fit_to_pages(ws, (uint16_t)(pages_wide > 1 ? pages_wide : 1), 0);
    if (pages_wide > 1 && worksheet_repeat_columns(ws, 0, 0) != LXW_NO_ERROR)
        return lxw_check(w, LXW_ERROR_PARAMETER_VALIDATION, "repeat columns");
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

/*
 * Text that comes from data (ids, names) as a string cell shows it.  Text
 * that a spreadsheet would take for a formula once the cell is copied out
 * as CSV (it starts with = + - @, a tab or a carriage return) gets a
 * leading apostrophe: in the workbook it is a string either way, but a CSV
 * export writes the text verbatim and the program that opens the CSV would
 * evaluate "=HYPERLINK(...)" ("CSV injection", OWASP).  Only the written
 * cell changes; the data digest is of the model's text.  *owned is set
 * (for the caller to free) when the text had to be copied.
 */
static const char *text_guarded(const char *text, char **owned)
{
    *owned = NULL;
    if (!csv_formula_like(text))
        return text;
    size_t n = strlen(text);
    *owned = xmalloc(n + 2);
    (*owned)[0] = '\'';
    memcpy(*owned + 1, text, n + 1);
    return *owned;
}

/* Writes text from data as a string cell, guarded (text_guarded()). */
static lxw_error text_write(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *text,
                            lxw_format *f)
{
    char *owned;
    lxw_error e = worksheet_write_string(ws, row, col, text_guarded(text, &owned), f);
    free(owned);
    return e;
}

/* Writes one model cell of a column at (row, col). */
static int cell_write(wctx_t *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
                      const xl_tpl_column_t *c, xl_cell_t v, lxw_format *numf)
{
    if (c->type == XL_TPL_TEXT)
        return lxw_check(w,
                         text_write(ws, row, col, xl_tpl_column_label(c, w->lang, v.text),
                                    c->wrap ? w->f_wrap : w->f_text),
                         "text cell");
    if (isnan(v.num))
        return ST_OK; /* undefined: an empty cell */
    return lxw_check(w, worksheet_write_number(ws, row, col, v.num, numf), "number cell");
}

/* One sheet of a table: the first, or a continuation. */
typedef struct part {
    char name[XL_SHEET_NAME_BYTES];
    size_t rows; /* data rows on it */
} part_t;

/* A table sheet being written: its parts so far, and what every part repeats. */
typedef struct tsheet {
    const xl_tpl_sheet_t *sh;
    lxw_worksheet *ws; /* the last part's */
    part_t *parts;
    size_t n_parts;
    double widths[XL_TPL_MAX_COLUMNS];
    double header_lines;
    lxw_format *numf[XL_TPL_MAX_COLUMNS], *totf[XL_TPL_MAX_COLUMNS];
    lxw_format **rowf[XL_TPL_MAX_COLUMNS]; /* "formats": one per map entry, or NULL */
    bool splice; /* the rows go to the last part's row stream (wctx_t.spliced) */
} tsheet_t;

/* The format of column c in the cursor's row: by "formats" when the row's
 * text in the formats_by column is in the map, else the column's own. */
static lxw_format *row_format(const tsheet_t *ts, size_t c, const xl_cursor_t *cur)
{
    const xl_tpl_column_t *col = &ts->sh->columns[c];
    if (col->formats_by < 0)
        return ts->numf[c];
    const char *by = xl_cursor_cell(cur, (size_t)col->formats_by).text;
    for (size_t i = 0; by && i < col->n_formats; i++)
        if (strcmp(col->format_keys[i], by) == 0)
            return ts->rowf[c][i];
    return ts->numf[c];
}

/* Appends the data range of column col on part p, named ('Evidence (2)'!B2:B9)
 * unless p is the part the formula is on. */
static int range_put(buf_t *f, const tsheet_t *ts, size_t p, size_t col)
{
    char x[XL_ROWXML_COL_MAX];
    int rc = ST_OK;
    xl_rowxml_col_name(x, col);
    if (p + 1 != ts->n_parts) {
        rc = buf_putc(f, '\'');
        for (const char *c = ts->parts[p].name; rc == ST_OK && *c; c++)
            rc = buf_append(f, *c == '\'' ? "''" : c, *c == '\'' ? 2 : 1); /* '' is a quote */
        if (rc == ST_OK)
            rc = buf_puts(f, "'!");
    }
    return rc == ST_OK ? buf_printf(f, "%s2:%s%zu", x, x, ts->parts[p].rows + 1) : rc;
}

/* Appends, for every part with rows and joined by sep, pre + the range of
 * column a [+ mid + the range of column b when b >= 0] + post. */
static int terms_put(buf_t *f, const tsheet_t *ts, const char *sep, const char *pre, size_t a,
                     const char *mid, int b, const char *post)
{
    int rc = ST_OK;
    bool first = true;
    for (size_t p = 0; rc == ST_OK && p < ts->n_parts; p++) {
        if (ts->parts[p].rows == 0)
            continue;
        if (!first)
            rc = buf_puts(f, sep);
        if (rc == ST_OK)
            rc = buf_puts(f, pre);
        if (rc == ST_OK)
            rc = range_put(f, ts, p, a);
        if (rc == ST_OK && b >= 0 && (rc = buf_puts(f, mid)) == ST_OK)
            rc = range_put(f, ts, p, (size_t)b);
        if (rc == ST_OK)
            rc = buf_puts(f, post);
        first = false;
    }
    return rc;
}

/*
 * The totals formula of column ci over the data rows of every part (the
 * totals row is on the last part), into f.  One part gives the plain
 * formulas of templates/README.md ("=SUM(B2:B9)"); more parts give the same
 * functions over every part's range ("=SUM(B2:B9,'Evidence (2)'!B2:B5)").
 * ST_ERR_TOO_LARGE past Excel's formula length.
 */
static int total_formula(const tsheet_t *ts, size_t ci, buf_t *f)
{
    const xl_tpl_total_t *t = &ts->sh->columns[ci].total;
    static const char *const fns[] = {
        [XL_TOTAL_AVERAGE] = "AVERAGE", [XL_TOTAL_MIN] = "MIN", [XL_TOTAL_MAX] = "MAX"};
    buf_t a, b;
    int rc;
    size_t with_rows = 0;
    for (size_t p = 0; p < ts->n_parts; p++)
        with_rows += ts->parts[p].rows > 0;
    const char *lp = with_rows > 1 ? "(" : "", *rp = with_rows > 1 ? ")" : "";
    buf_init(&a, FORMULA_TOTAL_MAX);
    buf_init(&b, FORMULA_TOTAL_MAX);
    switch (t->fn) {
    case XL_TOTAL_SUM:
        if ((rc = terms_put(&a, ts, ",", "", ci, NULL, -1, "")) == ST_OK)
            rc = buf_printf(f, "=SUM(%s)", buf_cstr(&a));
        break;
    case XL_TOTAL_AVERAGE:
    case XL_TOTAL_MIN:
    case XL_TOTAL_MAX:
        if ((rc = terms_put(&a, ts, ",", "", ci, NULL, -1, "")) == ST_OK)
            rc = buf_printf(f, "=IF(COUNT(%s)=0,\"\",%s(%s))", buf_cstr(&a), fns[t->fn],
                            buf_cstr(&a));
        break;
    case XL_TOTAL_WEIGHTED:
        /* SUMPRODUCT and SUMIF take one range each: a sum of terms per part. */
        if ((rc = terms_put(&a, ts, "+", "SUMPRODUCT(", ci, ",", t->weight, ")")) == ST_OK &&
            (rc = terms_put(&b, ts, "+", "SUMIF(", ci, ",\"<>\",", t->weight, ")")) == ST_OK)
            rc = buf_printf(f, "=IF(%s=0,\"\",%s%s%s/%s%s%s)", buf_cstr(&b), lp, buf_cstr(&a), rp,
                            lp, buf_cstr(&b), rp);
        break;
    case XL_TOTAL_RATIO:
        if ((rc = terms_put(&a, ts, ",", "", (size_t)t->num, NULL, -1, "")) == ST_OK &&
            (rc = terms_put(&b, ts, ",", "", (size_t)t->den, NULL, -1, "")) == ST_OK)
            rc = buf_printf(f, "=IF(SUM(%s)=0,\"\",SUM(%s)/SUM(%s))", buf_cstr(&b), buf_cstr(&a),
                            buf_cstr(&b));
        break;
    case XL_TOTAL_GIVEN: /* written as a number by totals_write() */
    case XL_TOTAL_NONE:
    default:
        rc = buf_puts(f, "=\"\"");
        break;
    }
    buf_free(&a);
    buf_free(&b);
    return rc;
}

/* Conditional formats of a table sheet over data rows 1..n (0-based). */
static int conds_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh, lxw_row_t first,
                       size_t n)
{
    lxw_row_t last = first + (lxw_row_t)n - 1;
    static const char *const ops[] = {">=", "<=", ">", "<", "=", "<>"};
    char f[FORMULA_MAX], a[XL_ROWXML_COL_MAX], b[XL_ROWXML_COL_MAX], num[40];
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
                               worksheet_conditional_format_range(ws, first, (lxw_col_t)c, last,
                                                                  (lxw_col_t)e, &cf),
                               "heat map");
                if (rc != ST_OK)
                    return rc;
                continue;
            }
            /* A formula rule: an empty cell never matches (a cell rule would
             * read it as 0).  Relative row, absolute column. */
            xl_rowxml_col_name(a, cd->of >= 0 ? (size_t)cd->of : c);
            if (cd->column >= 0) {
                xl_rowxml_col_name(b, (size_t)cd->column);
                snprintf(f, sizeof f, "=AND(ISNUMBER($%s%u),ISNUMBER($%s%u),$%s%u%s$%s%u)", a,
                         first + 1, b, first + 1, a, first + 1, ops[cd->op], b, first + 1);
            } else {
                snprintf(num, sizeof num, "%.17g", cd->value);
                snprintf(f, sizeof f, "=AND(ISNUMBER($%s%u),$%s%u%s%s)", a, first + 1, a, first + 1,
                         ops[cd->op], num);
            }
            cf.type = LXW_CONDITIONAL_TYPE_FORMULA;
            cf.value_string = f;
            cf.format = w->f_style[cd->style];
            rc = lxw_check(w,
                           worksheet_conditional_format_range(ws, first, (lxw_col_t)c, last,
                                                              (lxw_col_t)c, &cf),
                           "conditional format");
            if (rc != ST_OK)
                return rc;
        }
    }
    return ST_OK;
}

/* The title of a chart's axis: the template's, else the label of column ci. */
static const char *axis_title(const wctx_t *w, const xl_tpl_sheet_t *sh, const xl_tpl_text_t *t,
                              int ci)
{
    return t->s[w->lang] ? t->s[w->lang] : sh->columns[ci].label.s[w->lang];
}

/*
 * The charts of a table sheet, each on a printed page of its own below the
 * table from row `at`: a page break before each (a chart is never cut by a
 * page end), the axes titled, the category axis in its column's number
 * format (dates read as dates, not as Excel serial numbers).
 */
static int charts_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh, size_t n,
                        lxw_row_t at)
{
    const char *sname = sh->name.s[w->lang];
    if (sh->n_charts > MAX_BREAKS - 1 || w->n_breaks == XL_TPL_MAX_SHEETS) {
        st_errf(w->err, w->errlen, "sheet '%s': too many charts", sh->id);
        return ST_ERR_INVALID;
    }
    lxw_row_t *breaks = xcalloc(sh->n_charts + 1, sizeof *breaks);
    w->breaks[w->n_breaks++] = breaks;
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
            if (ch->series[s].marker && ch->type == XL_CHART_LINE) {
                /* Points only: a series empty but for the rows it marks. */
                lxw_chart_line none = {.none = LXW_TRUE};
                chart_series_set_line(ser, &none);
                chart_series_set_marker_type(ser, LXW_CHART_MARKER_DIAMOND);
                chart_series_set_marker_size(ser, 10);
            }
            if (ch->series[s].dash) {
                lxw_chart_line line = {
                    .color = COLOR_TARGET, .width = 1.5f, .dash_type = LXW_CHART_LINE_DASH_DASH};
                chart_series_set_line(ser, &line);
                if (ch->type == XL_CHART_COLUMN) {
                    /* A target in a column chart: an empty dashed box laid over
                     * each column (series overlap 100), so a column that fills
                     * its box met it; no combined charts in this libxlsxwriter. */
                    lxw_chart_fill none = {.none = LXW_TRUE};
                    chart_series_set_fill(ser, &none);
                    chart_set_series_overlap(chart, 100);
                }
            }
        }
        const xl_tpl_column_t *cat = &sh->columns[ch->categories];
        if (cat->type == XL_TPL_NUMBER)
            chart_axis_set_num_format(chart->x_axis, cat->format.s[w->lang]);
        const xl_tpl_column_t *first = &sh->columns[ch->series[0].column];
        chart_axis_set_num_format(chart->y_axis, first->format.s[w->lang]);
        chart_axis_set_name(chart->x_axis, axis_title(w, sh, &ch->x_title, ch->categories));
        chart_axis_set_name(chart->y_axis, axis_title(w, sh, &ch->y_title, ch->series[0].column));
        lxw_row_t row = at + (lxw_row_t)(i * CHART_ROWS);
        breaks[i] = row;
        /* A row below the break: a viewer rounding row heights then never draws
         * the chart's top edge on the page before. */
        lxw_chart_options o = {.x_scale = CHART_X_SCALE, .y_scale = CHART_Y_SCALE};
        int rc = lxw_check(w, worksheet_insert_chart_opt(ws, row + 1, 0, chart, &o), "chart");
        if (rc != ST_OK)
            return rc;
    }
    return lxw_check(w, worksheet_set_h_pagebreaks(ws, breaks), "page breaks");
}

/* Column widths of a table sheet: the template's, or from the contents
 * (the label, and a stored table's texts; a streamed table's rows are not
 * read twice, so its text columns need a template width or fit the label). */
static void widths_compute(wctx_t *w, tsheet_t *ts)
{
    const xl_tpl_sheet_t *sh = ts->sh;
    const xl_table_t *tb = xl_model_find(w->m, sh->table);
    bool stored = tb && !xl_table_streamed(tb);
    for (size_t c = 0; c < sh->n_columns; c++) {
        const xl_tpl_column_t *col = &sh->columns[c];
        double wd = col->width;
        if (wd == 0) {
            wd = longest_word(col->label.s[w->lang]);
            if (col->type == XL_TPL_NUMBER && wd < WIDTH_NUMBER)
                wd = WIDTH_NUMBER;
            if (col->type == XL_TPL_TEXT && stored) {
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
        if (col->type == XL_TPL_TEXT)
            wd += TEXT_INDENT_W; /* the indent of its cells and header */
        ts->widths[c] = wd;
    }
    /* The header row is tall enough for the longest wrapped label. */
    double lines = 1;
    for (size_t c = 0; c < sh->n_columns; c++) {
        double l = ceil(text_width(sh->columns[c].label.s[w->lang]) / (ts->widths[c] - 1));
        lines = l > lines ? l : lines;
    }
    ts->header_lines = lines > HEADER_LINES ? HEADER_LINES : lines;
}

/*
 * The tab of part k (0-based) of a table sheet: the sheet's name, then
 * "<name> (2)", "<name> (3)" ..., the name cut (whole characters) so that
 * the tab keeps to Excel's 31 characters.  ST_ERR_INVALID when the tab is
 * another sheet's of the template (Excel compares tabs without case).
 */
static int part_name(wctx_t *w, const xl_tpl_sheet_t *sh, size_t k, char *out)
{
    const char *base = sh->name.s[w->lang];
    if (k == 0) {
        snprintf(out, XL_SHEET_NAME_BYTES, "%s", base);
        return ST_OK;
    }
    char suffix[32];
    int sl = snprintf(suffix, sizeof suffix, " (%zu)", k + 1);
    size_t keep = XL_TPL_SHEET_MAX - (size_t)sl, chars = 0, bytes = 0;
    for (; base[bytes]; bytes++) {
        if (((unsigned char)base[bytes] & 0xc0) != 0x80 && chars++ == keep)
            break;
    }
    snprintf(out, XL_SHEET_NAME_BYTES, "%.*s%s", (int)bytes, base, suffix);
    int other = xl_tpl_sheet_named(w->t, w->lang, out);
    if (other >= 0) {
        st_errf(w->err, w->errlen, "sheet '%s': its continuation '%s' has the tab of sheet '%s'",
                sh->id, out, xl_tpl_sheet(w->t, (size_t)other)->id);
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

/* The header row of a table (or a block) at row `row`: the labels, a number
 * column's right-aligned over its numbers. */
static int header_write(wctx_t *w, const tsheet_t *ts, lxw_row_t row)
{
    const xl_tpl_sheet_t *sh = ts->sh;
    int rc = lxw_check(w, worksheet_set_row(ts->ws, row, ROW_HEIGHT * ts->header_lines, NULL),
                       "header row");
    for (size_t c = 0; c < sh->n_columns && rc == ST_OK; c++)
        rc = lxw_check(w,
                       worksheet_write_string(
                           ts->ws, row, (lxw_col_t)c, sh->columns[c].label.s[w->lang],
                           sh->columns[c].type == XL_TPL_NUMBER ? w->f_header_num : w->f_header),
                       "header");
    return rc;
}

/*
 * A row stream for worksheet ws (xl_splice.h), the last of w->spliced.
 * libxlsxwriter names the n-th worksheet's part xl/worksheets/sheet<n>.xml
 * (its packager counts worksheets from 1 in the order they were added;
 * our workbooks have no chartsheets, so that is the sheet's index + 1).
 */
static int splice_start(wctx_t *w, lxw_worksheet *ws)
{
    xl_splice_rows_t *r = NULL;
    int rc = xl_splice_rows_new(w->tmpdir, &r, w->err, w->errlen);
    if (rc != ST_OK)
        return rc;
    w->spliced = xrealloc(w->spliced, (w->n_spliced + 1) * sizeof *w->spliced);
    xl_splice_sheet_t *sp = &w->spliced[w->n_spliced];
    memset(sp, 0, sizeof *sp);
    snprintf(sp->entry, sizeof sp->entry, "xl/worksheets/sheet%u.xml", (unsigned)ws->index + 1);
    sp->rows = r;
    w->n_spliced++;
    return ST_OK;
}

/* Ends the last row stream (its rows are all written). */
static int splice_end(wctx_t *w)
{
    return xl_splice_rows_end(w->spliced[w->n_spliced - 1].rows, w->err, w->errlen);
}

/*
 * The cell format index of f in styles.xml (0, the default, for none).
 * libxlsxwriter 1.1.4 keeps the index on a format only when the format was
 * the first of its properties; a format equal to an earlier one is hashed
 * again on every call (a fifth of a streamed sheet's time), so the
 * writer remembers the indexes it was given.
 */
static uint32_t style_of(wctx_t *w, lxw_format *f)
{
    if (!f)
        return 0;
    for (size_t i = 0; i < w->n_xf; i++)
        if (w->xf[i].f == f)
            return w->xf[i].index;
    uint32_t index = (uint32_t)lxw_format_get_xf_index(f);
    if (w->n_xf < XF_CACHE) {
        w->xf[w->n_xf].f = f;
        w->xf[w->n_xf++].index = index;
    }
    return index;
}

/*
 * The cursor's row as XML into the last row stream, at 0-based row `row`
 * and with `lines` of height: the cells cell_write() would write, with the
 * same formats, text labels and guards.
 */
static int row_splice(wctx_t *w, const tsheet_t *ts, const xl_cursor_t *cur, lxw_row_t row,
                      double lines)
{
    const xl_tpl_sheet_t *sh = ts->sh;
    xl_rowxml_cell_t cells[XL_TPL_MAX_COLUMNS];
    char *owned[XL_TPL_MAX_COLUMNS];
    for (size_t c = 0; c < sh->n_columns; c++) {
        const xl_tpl_column_t *col = &sh->columns[c];
        xl_cell_t v = xl_cursor_cell(cur, c);
        owned[c] = NULL;
        if (col->type == XL_TPL_TEXT)
            cells[c] = (xl_rowxml_cell_t){
                XL_ROWXML_TEXT, style_of(w, col->wrap ? w->f_wrap : w->f_text), 0,
                text_guarded(xl_tpl_column_label(col, w->lang, v.text), &owned[c])};
        else if (isnan(v.num))
            cells[c] = (xl_rowxml_cell_t){XL_ROWXML_EMPTY, 0, 0, NULL};
        else
            cells[c] = (xl_rowxml_cell_t){XL_ROWXML_NUMBER, style_of(w, row_format(ts, c, cur)),
                                          v.num, NULL};
    }
    buf_reset(&w->rowxml);
    int rc = xl_rowxml_row(&w->rowxml, (uint32_t)row + 1, lines > 1 ? ROW_HEIGHT * lines : 0, cells,
                           sh->n_columns);
    if (rc == ST_OK)
        rc =
            xl_splice_rows_append(w->spliced[w->n_spliced - 1].rows, w->rowxml.data, w->rowxml.len);
    else
        st_errf(w->err, w->errlen, "sheet '%s': row %u does not fit a sheet's XML", sh->id,
                (unsigned)row + 1);
    for (size_t c = 0; c < sh->n_columns; c++)
        free(owned[c]);
    if (rc == ST_OK)
        w->spliced[w->n_spliced - 1].n_rows++;
    return rc;
}

/* Starts the next part of a table sheet: a new worksheet with the print
 * setup, column widths, the header row and the frozen panes. */
static int part_start(wctx_t *w, tsheet_t *ts)
{
    const xl_tpl_sheet_t *sh = ts->sh;
    ts->parts = xrealloc(ts->parts, (ts->n_parts + 1) * sizeof *ts->parts);
    part_t *p = &ts->parts[ts->n_parts];
    p->rows = 0;
    int rc = part_name(w, sh, ts->n_parts, p->name);
    if (rc != ST_OK)
        return rc;
    ts->n_parts++;
    ts->ws = workbook_add_worksheet(w->wb, p->name);
    if (!ts->ws) {
        st_errf(w->err, w->errlen, "sheet '%s': libxlsxwriter refused the tab '%s'", sh->id,
                p->name);
        return ST_ERR_INVALID;
    }
    if ((rc = print_setup(w, ts->ws, true, ts->sh->pages_wide)) != ST_OK)
        return rc;
    for (size_t c = 0; c < sh->n_columns; c++) {
        lxw_row_col_options o = {.hidden = sh->columns[c].hidden};
        rc = lxw_check(
            w,
            worksheet_set_column_opt(ts->ws, (lxw_col_t)c, (lxw_col_t)c, ts->widths[c], NULL, &o),
            "column width");
        if (rc != ST_OK)
            return rc;
    }
    rc = header_write(w, ts, 0);
    if (rc == ST_OK && (sh->freeze_rows || sh->freeze_cols))
        worksheet_freeze_panes(ts->ws, (lxw_row_t)sh->freeze_rows, (lxw_col_t)sh->freeze_cols);
    if (rc == ST_OK && ts->splice)
        rc = splice_start(w, ts->ws);
    return rc;
}

/* Ends the current part: its conditional formats over its rows. */
static int part_end(wctx_t *w, tsheet_t *ts)
{
    size_t n = ts->parts[ts->n_parts - 1].rows;
    int rc = ts->splice ? splice_end(w) : ST_OK;
    return n == 0 || rc != ST_OK ? rc : conds_write(w, ts->ws, ts->sh, 1, n);
}

/* The totals row after the last part's rows, each formula with its value. */
static int totals_write(wctx_t *w, tsheet_t *ts, const xl_cursor_t *cur, size_t n)
{
    const xl_tpl_sheet_t *sh = ts->sh;
    lxw_row_t tr = (lxw_row_t)(ts->parts[ts->n_parts - 1].rows + 1);
    buf_t f;
    int rc = lxw_check(
        w, worksheet_write_string(ts->ws, tr, 0, sh->total_label.s[w->lang], w->f_total_label),
        "totals label");
    buf_init(&f, FORMULA_TOTAL_MAX);
    for (size_t c = 1; c < sh->n_columns && rc == ST_OK; c++) {
        if (sh->columns[c].total.fn == XL_TOTAL_NONE) {
            rc = lxw_check(w, worksheet_write_blank(ts->ws, tr, (lxw_col_t)c, w->f_total_label),
                           "totals");
            continue;
        }
        double v = xl_cursor_total(cur, c);
        if (sh->columns[c].total.fn == XL_TOTAL_GIVEN) {
            /* A value the engine computed over the contacts (a percentile): no formula. */
            rc = lxw_check(w,
                           isnan(v)
                               ? worksheet_write_blank(ts->ws, tr, (lxw_col_t)c, ts->totf[c])
                               : worksheet_write_number(ts->ws, tr, (lxw_col_t)c, v, ts->totf[c]),
                           "given total");
            continue;
        }
        buf_reset(&f);
        if (n == 0)
            rc = buf_puts(&f, isnan(v) ? "=\"\"" : "=0");
        else
            rc = total_formula(ts, c, &f);
        if (rc != ST_OK) {
            st_errf(w->err, w->errlen,
                    "sheet '%s': the total of '%s' over %zu sheets is longer "
                    "than an Excel formula",
                    sh->id, sh->columns[c].key, ts->n_parts);
            break;
        }
        if (isnan(v))
            rc = lxw_check(w,
                           worksheet_write_formula_str(ts->ws, tr, (lxw_col_t)c, buf_cstr(&f),
                                                       ts->totf[c], ""),
                           "total formula");
        else
            rc = lxw_check(
                w,
                worksheet_write_formula_num(ts->ws, tr, (lxw_col_t)c, buf_cstr(&f), ts->totf[c], v),
                "total formula");
    }
    buf_free(&f);
    return rc;
}

/*
 * The lines the cursor's row needs: its longest wrapped text over its
 * column's width, by words (a viewer does not grow a row for wrapped text
 * by itself, so lines would overlap the row below).  At most 15.
 */
static double wrapped_lines(const wctx_t *w, const tsheet_t *ts, const xl_cursor_t *cur)
{
    double most = 1;
    for (size_t c = 0; c < ts->sh->n_columns; c++) {
        const xl_tpl_column_t *col = &ts->sh->columns[c];
        if (col->type != XL_TPL_TEXT || !col->wrap || ts->widths[c] < 2)
            continue;
        const char *s = xl_tpl_column_label(col, w->lang, xl_cursor_cell(cur, c).text);
        double lines = 1, used = 0, room = ts->widths[c] - 3; /* the indent and a margin */
        for (const char *p = s; p && *p;) {
            size_t n = strcspn(p, " ");
            char word[256];
            snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), p);
            double ww = text_width(word);
            if (used > 0 && used + 1 + ww > room) {
                lines++;
                used = 0;
            }
            used += (used > 0 ? 1 : 0) + ww;
            while (used > room) { /* a word longer than the column breaks anywhere */
                lines++;
                used -= room;
            }
            p += n;
            p += strspn(p, " ");
        }
        most = lines > most ? lines : most;
    }
    return most < 15 ? most : 15;
}

/*
 * Writes the rows of a table sheet from cursor cur, in order, feeding the
 * digest as it goes: a part holds max_rows_per_sheet rows with its header
 * (and the totals row, on the last part); the next row starts a new part.
 */
static int rows_write(wctx_t *w, tsheet_t *ts, xl_cursor_t *cur, size_t *n)
{
    const xl_tpl_sheet_t *sh = ts->sh;
    int rc;
    while ((rc = xl_cursor_next(cur, w->err, w->errlen)) == 1) {
        part_t *p = &ts->parts[ts->n_parts - 1];
        if (p->rows + 1 == w->max_rows) {
            if ((rc = part_end(w, ts)) != ST_OK || (rc = part_start(w, ts)) != ST_OK)
                return rc;
            p = &ts->parts[ts->n_parts - 1];
        }
        lxw_row_t row = (lxw_row_t)(p->rows + 1);
        double lines = wrapped_lines(w, ts, cur);
        if (ts->splice) {
            if ((rc = row_splice(w, ts, cur, row, lines)) != ST_OK)
                return rc;
            xl_digest_row(w->dg, sh, cur);
            p->rows++;
            (*n)++;
            continue;
        }
        if (lines > 1 &&
            (rc = lxw_check(w, worksheet_set_row(ts->ws, row, ROW_HEIGHT * lines, NULL),
                            "row height")) != ST_OK)
            return rc;
        for (size_t c = 0; c < sh->n_columns; c++) {
            rc = cell_write(w, ts->ws, row, (lxw_col_t)c, &sh->columns[c], xl_cursor_cell(cur, c),
                            row_format(ts, c, cur));
            if (rc != ST_OK)
                return rc;
        }
        xl_digest_row(w->dg, sh, cur);
        p->rows++;
        (*n)++;
    }
    return rc;
}

/* The number formats of a table's columns: each column's own, its totals',
 * and one per "formats" entry (freed by tsheet_formats_free()). */
static void tsheet_formats(wctx_t *w, tsheet_t *ts)
{
    const xl_tpl_sheet_t *sh = ts->sh;
    for (size_t c = 0; c < sh->n_columns; c++) {
        const xl_tpl_column_t *col = &sh->columns[c];
        if (col->type == XL_TPL_NUMBER) {
            ts->numf[c] = number_format(w, col, false);
            ts->totf[c] = number_format(w, col, true);
        }
        if (col->n_formats > 0) {
            ts->rowf[c] = xcalloc(col->n_formats, sizeof *ts->rowf[c]);
            for (size_t i = 0; i < col->n_formats; i++)
                ts->rowf[c][i] = number_format_of(w, col->format_values[i].s[w->lang], false);
        }
    }
}

/* Releases what tsheet_formats() allocated (the formats are the workbook's). */
static void tsheet_formats_free(tsheet_t *ts)
{
    for (size_t c = 0; c < ts->sh->n_columns; c++)
        free(ts->rowf[c]);
}

/* A table sheet: its parts (header, rows), totals, conditional formats,
 * charts; the rows and totals go to the digest too. */
static int table_write(wctx_t *w, const xl_tpl_sheet_t *sh)
{
    tsheet_t ts;
    xl_cursor_t *cur = NULL;
    size_t n = 0;
    memset(&ts, 0, sizeof ts);
    ts.sh = sh;
    const xl_table_t *tb = xl_model_find(w->m, sh->table);
    ts.splice = w->splice_rows && tb && xl_table_streamed(tb);
    widths_compute(w, &ts);
    tsheet_formats(w, &ts);
    int rc = part_start(w, &ts);
    if (rc == ST_OK)
        rc = xl_cursor_open(w->m, sh, &cur, w->err, w->errlen);
    if (rc == ST_OK)
        rc = rows_write(w, &ts, cur, &n);
    if (rc != ST_OK)
        goto fail;
    xl_digest_totals(w->dg, sh, cur);
    if (sh->has_totals) {
        /* The totals row must fit under the last part's rows. */
        if (ts.parts[ts.n_parts - 1].rows + 2 > w->max_rows &&
            ((rc = part_end(w, &ts)) != ST_OK || (rc = part_start(w, &ts)) != ST_OK))
            goto fail;
        if ((rc = totals_write(w, &ts, cur, n)) != ST_OK)
            goto fail;
    }
    if ((rc = part_end(w, &ts)) == ST_OK && n > 0 && sh->n_charts > 0) {
        if (ts.n_parts == 1) {
            rc = charts_write(w, ts.ws, sh, n, (lxw_row_t)(n + (sh->has_totals ? 3 : 2)));
        } else {
            /* A chart series is one range on one sheet. */
            st_errf(w->err, w->errlen,
                    "sheet '%s': %zu rows do not fit one sheet, and its charts cannot span sheets",
                    sh->id, n);
            rc = ST_ERR_TOO_LARGE;
        }
    }
fail:
    xl_cursor_free(cur);
    tsheet_formats_free(&ts);
    free(ts.parts);
    return rc;
}

/* How a facts sheet is laid out: its columns' widths, how many columns a
 * value spans from B (its blocks' columns), and whether notes follow. */
typedef struct flayout {
    double widths[XL_TPL_MAX_COLUMNS];
    bool hidden[XL_TPL_MAX_COLUMNS];
    size_t n_cols, span;
    bool notes;
} flayout_t;

/* The value of item c of a facts sheet (the data digest from the writer). */
static xl_cell_t fact_value(const wctx_t *w, const xl_tpl_sheet_t *sh, const xl_table_t *tb,
                            size_t c)
{
    if (strcmp(sh->columns[c].key, XL_FACT_DATA_DIGEST) == 0)
        return (xl_cell_t){XL_CELL_TEXT, NAN, w->digest ? w->digest : ""};
    return xl_table_get(tb, 0, sh->columns[c].key);
}

/*
 * Lays a facts sheet out: column A its labels (and its blocks' first
 * column); without blocks, B as wide as its values (up to FACT_VALUE_W) and
 * C its notes; with blocks, their columns by position, a value spanning
 * them all (merged) and the notes after.
 */
static void facts_layout(wctx_t *w, const xl_tpl_sheet_t *sh, const xl_table_t *tb, flayout_t *l)
{
    memset(l, 0, sizeof *l);
    l->widths[0] = FACT_LABEL_MIN;
    double vw = FACT_VALUE_MIN, nw = 0;
    for (size_t c = 0; c < sh->n_columns; c++) {
        const xl_tpl_column_t *col = &sh->columns[c];
        double lw = text_width(col->label.s[w->lang]) + 2;
        if (col->type == XL_TPL_HEADING)
            continue;
        l->widths[0] = lw > l->widths[0] ? lw : l->widths[0];
        xl_cell_t v = fact_value(w, sh, tb, c);
        double tw = v.kind == XL_CELL_TEXT ? text_width(v.text) + 2 : WIDTH_NUMBER + 4;
        vw = tw > vw ? tw : vw;
        if (col->note.s[w->lang]) {
            double n = text_width(col->note.s[w->lang]) + 2;
            nw = n > nw ? n : nw;
        }
    }
    l->n_cols = 2;
    l->span = 1;
    l->widths[1] = vw < FACT_VALUE_W ? vw : FACT_VALUE_W;
    for (size_t b = 0; b < sh->n_blocks; b++) {
        tsheet_t ts;
        memset(&ts, 0, sizeof ts);
        ts.sh = &sh->blocks[b];
        widths_compute(w, &ts);
        if (b == 0) {
            for (size_t c = 1; c < XL_TPL_MAX_COLUMNS; c++)
                l->widths[c] = 0;
        }
        for (size_t c = 0; c < ts.sh->n_columns; c++) {
            l->widths[c] = ts.widths[c] > l->widths[c] ? ts.widths[c] : l->widths[c];
            l->hidden[c] |= ts.sh->columns[c].hidden;
        }
        if (ts.sh->n_columns > l->n_cols)
            l->n_cols = ts.sh->n_columns;
        l->span = l->n_cols - 1;
    }
    if (nw > 0) {
        l->notes = true;
        l->widths[l->n_cols++] = nw < FACT_NOTE_W ? nw : FACT_NOTE_W;
    }
}

/* The lines text needs in a cell `width` characters wide (wrapped by words,
 * roughly: a viewer does not grow a row for wrapped text by itself). */
static double text_lines(const char *text, double width)
{
    double room = width > 3 ? width - 2 : 1;
    double lines = ceil(text_width(text) / room);
    return lines < 1 ? 1 : lines > 15 ? 15 : lines;
}

/* A block of a facts sheet from row *row: its title, header and rows, with
 * its conditional formats; *row is left after it. */
static int block_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *b, const flayout_t *l,
                       lxw_row_t *row)
{
    tsheet_t ts;
    xl_cursor_t *cur = NULL;
    memset(&ts, 0, sizeof ts);
    ts.sh = b;
    ts.ws = ws;
    ts.header_lines = 1;
    for (size_t c = 0; c < b->n_columns; c++) {
        ts.widths[c] = l->widths[c];
        double h = ceil(text_width(b->columns[c].label.s[w->lang]) / (l->widths[c] - 1));
        ts.header_lines = h > ts.header_lines ? h : ts.header_lines;
    }
    ts.header_lines = ts.header_lines > HEADER_LINES ? HEADER_LINES : ts.header_lines;
    tsheet_formats(w, &ts);
    int rc = ST_OK;
    if (b->title.s[w->lang]) {
        rc = lxw_check(w, worksheet_write_string(ws, *row, 0, b->title.s[w->lang], w->f_label),
                       "block title");
        (*row)++;
    }
    if (rc == ST_OK)
        rc = header_write(w, &ts, (*row)++);
    lxw_row_t first = *row;
    if (rc == ST_OK)
        rc = xl_cursor_open(w->m, b, &cur, w->err, w->errlen);
    while (rc == ST_OK && (rc = xl_cursor_next(cur, w->err, w->errlen)) == 1) {
        double lines = wrapped_lines(w, &ts, cur);
        rc = ST_OK;
        if (lines > 1)
            rc = lxw_check(w, worksheet_set_row(ws, *row, ROW_HEIGHT * lines, NULL), "row height");
        for (size_t c = 0; rc == ST_OK && c < b->n_columns; c++)
            rc = cell_write(w, ws, *row, (lxw_col_t)c, &b->columns[c], xl_cursor_cell(cur, c),
                            row_format(&ts, c, cur));
        (*row)++;
    }
    if (rc == ST_OK && *row > first)
        rc = conds_write(w, ws, b, first, *row - first);
    xl_cursor_free(cur);
    tsheet_formats_free(&ts);
    return rc;
}

/* Writes the blocks of facts sheet sh placed after item `after` (-1: the last). */
static int blocks_after(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh, int after,
                        const flayout_t *l, lxw_row_t *row)
{
    int rc = ST_OK;
    for (size_t b = 0; rc == ST_OK && b < sh->n_blocks; b++) {
        if (sh->blocks[b].after != after)
            continue;
        (*row)++; /* a blank row before it */
        rc = block_write(w, ws, &sh->blocks[b], l, row);
        (*row)++; /* and after */
    }
    return rc;
}

/* Item c of a facts sheet at row `row`: label, value (merged over the
 * value columns) and note; a heading is its label alone, in bold. */
static int fact_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh, const xl_table_t *tb,
                      const flayout_t *l, size_t c, lxw_row_t row)
{
    const xl_tpl_column_t *col = &sh->columns[c];
    if (col->type == XL_TPL_HEADING)
        return lxw_check(w, worksheet_write_string(ws, row, 0, col->label.s[w->lang], w->f_heading),
                         "heading");
    int rc = lxw_check(w, worksheet_write_string(ws, row, 0, col->label.s[w->lang], w->f_label),
                       "fact label");
    xl_cell_t v = fact_value(w, sh, tb, c);
    lxw_format *f = col->strong ? w->f_strong : w->f_fact;
    if (v.kind != XL_CELL_TEXT) {
        f = number_format(w, col, false);
        format_set_align(f, LXW_ALIGN_LEFT); /* next to its label, as a text value is */
    }
    double vw = 0, lines = 1;
    for (size_t k = 1; k <= l->span; k++)
        vw += l->widths[k];
    if (v.kind == XL_CELL_TEXT)
        lines = text_lines(v.text, vw);
    /* A merged value: the range first, then its first cell (text_write()
     * guards text from data against CSV formula injection). */
    if (rc == ST_OK && l->span > 1)
        rc =
            lxw_check(w, worksheet_merge_range(ws, row, 1, row, (lxw_col_t)l->span, "", f), "fact");
    if (rc == ST_OK)
        rc = v.kind == XL_CELL_TEXT ? lxw_check(w, text_write(ws, row, 1, v.text, f), "fact")
                                    : cell_write(w, ws, row, 1, col, v, f);
    const char *note = col->note.s[w->lang];
    if (rc == ST_OK && note && l->notes) {
        double nl = text_lines(note, l->widths[l->span + 1]);
        lines = nl > lines ? nl : lines;
        rc = lxw_check(
            w, worksheet_write_string(ws, row, (lxw_col_t)(l->span + 1), note, w->f_fact), "note");
    }
    if (rc == ST_OK && lines > 1)
        rc = lxw_check(w, worksheet_set_row(ws, row, ROW_HEIGHT * lines, NULL), "row height");
    return rc;
}

/*
 * A facts sheet: an optional title, then "label | value | note" rows,
 * headings, and blocks (small tables) after the items they follow; printed
 * on one page.
 */
static int facts_write(wctx_t *w, lxw_worksheet *ws, const xl_tpl_sheet_t *sh)
{
    const xl_table_t *tb = xl_model_find(w->m, sh->table);
    flayout_t l;
    lxw_row_t row = 0;
    int rc = ST_OK;
    facts_layout(w, sh, tb, &l);
    for (size_t c = 0; rc == ST_OK && c < l.n_cols; c++) {
        lxw_row_col_options o = {.hidden = l.hidden[c]};
        rc = lxw_check(
            w, worksheet_set_column_opt(ws, (lxw_col_t)c, (lxw_col_t)c, l.widths[c], NULL, &o),
            "column width");
    }
    if (rc == ST_OK && sh->title.s[w->lang]) {
        rc = lxw_check(w, worksheet_set_row(ws, 0, ROW_HEIGHT * 1.5, NULL), "title row");
        if (rc == ST_OK)
            rc = lxw_check(w, worksheet_write_string(ws, 0, 0, sh->title.s[w->lang], w->f_title),
                           "title");
        row = 2;
    }
    for (size_t c = 0; rc == ST_OK && c < sh->n_columns; c++) {
        if (sh->columns[c].type == XL_TPL_HEADING && c > 0)
            row++; /* a blank row before a section */
        rc = fact_write(w, ws, sh, tb, &l, c, row++);
        if (rc == ST_OK)
            rc = blocks_after(w, ws, sh, (int)c, &l, &row);
    }
    if (rc == ST_OK)
        rc = blocks_after(w, ws, sh, -1, &l, &row);
    if (rc == ST_OK && (sh->freeze_rows || sh->freeze_cols))
        worksheet_freeze_panes(ws, (lxw_row_t)sh->freeze_rows, (lxw_col_t)sh->freeze_cols);
    return rc;
}

/* The model may carry the digest (XL_FACT_DATA_DIGEST): it must be the computed one. */
static int digest_given_check(wctx_t *w, const char *digest)
{
    const xl_table_t *cover = xl_model_find(w->m, XL_TABLE_COVER);
    xl_cell_t given = {XL_CELL_UNSET, NAN, NULL};
    if (cover)
        given = xl_table_get(cover, 0, XL_FACT_DATA_DIGEST);
    if (given.kind == XL_CELL_UNSET ||
        (given.kind == XL_CELL_TEXT && strcmp(given.text, digest) == 0))
        return ST_OK;
    st_errf(w->err, w->errlen, "the model's %s is not the digest of its data (%s)",
            XL_FACT_DATA_DIGEST, digest);
    return ST_ERR_INVALID;
}

/* Whether the workbook should be written in constant memory when opts
 * say auto: a streamed table, or one with more than XL_CONST_MEM_ROWS rows. */
static bool rows_many(const xl_tpl_t *t, const xl_model_t *m)
{
    for (size_t s = 0; s < xl_tpl_sheet_count(t); s++) {
        const xl_table_t *tb = xl_model_find(m, xl_tpl_sheet(t, s)->table);
        if (tb && (xl_table_streamed(tb) || xl_table_row_count(tb) > XL_CONST_MEM_ROWS))
            return true;
    }
    return false;
}

/* Whether a facts sheet shows the data digest (so it is written last). */
static bool shows_digest(const xl_tpl_sheet_t *sh)
{
    return sh->kind == XL_TPL_FACTS && xl_tpl_column_find(sh, XL_FACT_DATA_DIGEST) >= 0;
}

/*
 * The sheets in template order, the digest fed as each is written; a facts
 * sheet showing the digest (the Cover) gets its tab in order but its rows
 * once the digest is known: every worksheet flushes its own rows, so
 * filling an earlier tab last works in constant memory too.
 */
static int sheets_write(wctx_t *w, char *digest)
{
    const xl_tpl_t *t = w->t;
    size_t n = xl_tpl_sheet_count(t);
    lxw_worksheet **later = xcalloc(n, sizeof *later);
    int rc = ST_OK;
    for (size_t s = 0; s < n && rc == ST_OK; s++) {
        const xl_tpl_sheet_t *sh = xl_tpl_sheet(t, s);
        if (sh->kind == XL_TPL_TABLE) {
            rc = table_write(w, sh);
            continue;
        }
        lxw_worksheet *ws = workbook_add_worksheet(w->wb, sh->name.s[w->lang]);
        if (!ws) {
            st_errf(w->err, w->errlen, "sheet '%s': libxlsxwriter refused the name", sh->id);
            rc = ST_ERR_INVALID;
            break;
        }
        if ((rc = print_setup(w, ws, false, 1)) != ST_OK)
            break;
        worksheet_fit_to_pages(ws, 1, 1); /* a facts sheet reads on one page */
        if (shows_digest(sh)) {
            later[s] = ws;
            continue;
        }
        rc = facts_write(w, ws, sh);
        xl_digest_facts(w->dg, sh, xl_model_find(w->m, sh->table));
    }
    xl_digest_run_t *dg = w->dg;
    w->dg = NULL;
    if (rc == ST_OK)
        rc = xl_digest_finish(dg, digest, w->err, w->errlen);
    else
        xl_digest_free(dg);
    if (rc == ST_OK)
        rc = digest_given_check(w, digest);
    w->digest = digest;
    for (size_t s = 0; s < n && rc == ST_OK; s++) {
        if (later[s])
            rc = facts_write(w, later[s], xl_tpl_sheet(t, s));
    }
    free(later);
    return rc;
}

/* The workbook's currency from the Cover (letters, digits and spaces only:
 * it goes inside a quoted literal of a number format). */
static void currency_set(wctx_t *w)
{
    const xl_table_t *cover = xl_model_find(w->m, XL_TABLE_COVER);
    xl_cell_t c = cover ? xl_table_get(cover, 0, XL_FACT_CURRENCY) : (xl_cell_t){0, NAN, NULL};
    size_t n = 0;
    for (const char *p = c.kind == XL_CELL_TEXT ? c.text : ""; *p && n + 1 < sizeof w->currency;
         p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == ' ')
            w->currency[n++] = *p;
    }
    w->currency[n] = '\0';
}

/* Writes the workbook; the caller holds xl_lock. */
static int write_locked(const char *path, const xl_tpl_t *t, const xl_model_t *m,
                        const xl_write_opts_t *opts, char *digest, char *err, size_t errlen)
{
    wctx_t w = {.t = t,
                .m = m,
                .lang = xl_model_lang(m),
                .max_rows = opts->max_rows_per_sheet,
                .splice_rows = opts->splice_rows != 0,
                .tmpdir = opts->tmpdir,
                .err = err,
                .errlen = errlen};
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
    buf_init(&w.rowxml, ROW_XML_MAX);
    formats_make(&w);
    currency_set(&w);
    w.dg = xl_digest_new(NULL);
    if ((rc = sheets_write(&w, digest)) != ST_OK)
        goto fail;
    lxw_error e = workbook_close(w.wb);
    w.wb = NULL;
    rc = lxw_check(&w, e, path);
    if (rc == ST_OK && w.n_spliced > 0)
        rc = xl_splice(path, w.spliced, w.n_spliced, err, errlen);
fail:
    /* workbook_close() also frees; the half-written file is the caller's to remove. */
    xl_digest_free(w.dg);
    if (w.wb)
        workbook_close(w.wb);
    for (size_t i = 0; i < w.n_breaks; i++)
        free(w.breaks[i]);
    for (size_t i = 0; i < w.n_spliced; i++)
        xl_splice_rows_free(w.spliced[i].rows);
    free(w.spliced);
    buf_free(&w.rowxml);
    return rc;
}

int xl_write(const char *path, const xl_tpl_t *t, const xl_model_t *m, const xl_write_opts_t *opts,
             char *digest_hex, char *err, size_t errlen)
{
    char digest[XL_DIGEST_HEX_LEN + 1] = "";
    xl_write_opts_t defaults;
    int rc;
    if (!opts) {
        xl_write_opts_default(&defaults);
        opts = &defaults;
    }
    if (opts->max_rows_per_sheet < 2 || opts->max_rows_per_sheet > XL_SHEET_MAX_ROWS) {
        st_errf(err, errlen, "max_rows_per_sheet must be 2..%d", XL_SHEET_MAX_ROWS);
        return ST_ERR_INVALID;
    }
    if (xl_model_generated_at(m) <= 0) {
        st_errf(err, errlen, "the model has no generated_at");
        return ST_ERR_INVALID;
    }
    if ((rc = xl_model_check(m, t, err, errlen)) != ST_OK)
        return rc;
    pthread_mutex_lock(&xl_lock);
    rc = write_locked(path, t, m, opts, digest, err, errlen);
    pthread_mutex_unlock(&xl_lock);
    if (rc == ST_OK && digest_hex)
        memcpy(digest_hex, digest, sizeof digest);
    return rc;
}
