/*
 * xl_template.h - workbook templates: which sheets a workbook has, in which
 * order, and for each sheet what it shows (REPORTS.md "Templates").
 *
 * A template is a JSON file under templates/ (templates/README.md documents
 * every key).  xl_tpl_parse() validates it completely and refuses it with the
 * JSON path of the first fault ("sheets[2].columns[1].format: ..."):
 * unknown keys at any level, duplicate keys, unknown sheet kinds, column
 * types, total functions or conditional formats, bad number formats, labels
 * missing a language, references to columns the sheet does not have, sheet
 * names Excel would refuse.
 *
 * Two sheet kinds:
 *   - "table": one row per row of a model table (xl_model.h) and one column
 *     per template column, under a frozen header row; optional totals row
 *     (Excel formulas), conditional formats and charts.
 *   - "facts": a vertical list "label | value [| note]" read from row 0 of
 *     a model table (the Cover reads table "cover"; QA-CSAT and Data
 *     quality read one-row tables of key/value metrics), with section
 *     headings and small tables ("blocks") among the items: the client
 *     Cover's summary of the contract items.
 *
 * What it owns: an xl_tpl_t and every string and array reachable from it,
 * released by xl_tpl_free().  The structs below are exposed read-only so
 * the writer and the digest can walk them; never modify them.  What the
 * caller owns: the input text (only read).  Immutable after parsing: any
 * number of threads may read one template.
 */
#ifndef SLT_XL_TEMPLATE_H
#define SLT_XL_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#define XL_TPL_MAX_BYTES   (1 << 20) /* largest template file */
#define XL_TPL_KEY_MAX     64        /* bytes of a metric key, id or table name */
#define XL_TPL_FORMAT_MAX  255       /* bytes of a number format (Excel's limit) */
#define XL_TPL_SHEET_MAX   31        /* characters of a sheet name (Excel's limit) */
#define XL_TPL_MAX_SHEETS  64
#define XL_TPL_MAX_COLUMNS 200
#define XL_TPL_WIDTH_MAX   100.0 /* characters of a column width */

/* The languages a workbook can be written in (the contract's "language"). */
typedef enum xl_lang { XL_LANG_EN = 0, XL_LANG_ZH = 1, XL_LANG_COUNT } xl_lang_t;

/* A text in every language: {"en": "...", "zh": "..."} (both required). */
typedef struct xl_tpl_text {
    char *s[XL_LANG_COUNT];
} xl_tpl_text_t;

typedef enum xl_tpl_kind {
    XL_TPL_TABLE,
    XL_TPL_FACTS,
} xl_tpl_kind_t;

/* What a column (or fact) holds: a model number (NAN = empty) or text. */
typedef enum xl_tpl_type {
    XL_TPL_NUMBER,
    XL_TPL_TEXT,
    XL_TPL_HEADING, /* facts sheets: a section title (its label), no value */
} xl_tpl_type_t;

/* How a column's total is computed; see templates/README.md. */
typedef enum xl_tpl_total_fn {
    XL_TOTAL_NONE,
    XL_TOTAL_SUM,      /* SUM(col) */
    XL_TOTAL_AVERAGE,  /* AVERAGE(col) over the non-empty cells */
    XL_TOTAL_MIN,      /* MIN(col) over the non-empty cells */
    XL_TOTAL_MAX,      /* MAX(col) over the non-empty cells */
    XL_TOTAL_WEIGHTED, /* SUMPRODUCT(col, weight) / SUMIF(col, "<>", weight) */
    XL_TOTAL_RATIO,    /* SUM(num) / SUM(den) */
    XL_TOTAL_GIVEN,    /* a number the model gives (xl_table_set_given_total), no formula */
} xl_tpl_total_fn_t;

typedef struct xl_tpl_total {
    xl_tpl_total_fn_t fn;
    int weight; /* WEIGHTED: index of the weight column */
    int num;    /* RATIO: index of the numerator column */
    int den;    /* RATIO: index of the denominator column */
} xl_tpl_total_t;

typedef enum xl_tpl_cond_kind {
    XL_COND_RULE, /* colour a cell when a comparison holds */
    XL_COND_HEAT, /* 3-colour scale over adjacent heat columns together */
} xl_tpl_cond_kind_t;

typedef enum xl_tpl_op {
    XL_OP_GE,
    XL_OP_LE,
    XL_OP_GT,
    XL_OP_LT,
    XL_OP_EQ,
    XL_OP_NE,
} xl_tpl_op_t;

typedef enum xl_tpl_style {
    XL_STYLE_GOOD, /* green */
    XL_STYLE_BAD,  /* red */
    XL_STYLE_WARN, /* amber */
} xl_tpl_style_t;

/*
 * A conditional format of a column.  RULE: the cell (or, with `of`, the
 * cell of column `of` in the same row) compared by `op` with a constant
 * (`column` < 0) or with column `column` of the same row; an empty cell
 * never matches.  HEAT: low red, middle yellow, high green (`reverse`:
 * high red).
 */
typedef struct xl_tpl_cond {
    xl_tpl_cond_kind_t kind;
    xl_tpl_op_t op;
    double value;
    int column; /* index of the compared column, or -1 for `value` */
    int of;     /* index of the tested column, or -1 for this column */
    xl_tpl_style_t style;
    bool reverse;
} xl_tpl_cond_t;

/* A column of a table sheet, or an item of a facts sheet. */
typedef struct xl_tpl_column {
    char *key; /* the model's cell key */
    xl_tpl_text_t label;
    xl_tpl_type_t type;
    xl_tpl_text_t format; /* NUMBER: Excel number format; TEXT: NULLs */
    xl_tpl_text_t note;   /* facts items: a text shown beside the value (what it
                           * counts, where it comes from); NULLs when none */
    double width;         /* characters; 0 = from the contents */
    bool wrap;            /* wrap long text */
    bool hidden;          /* a helper column (e.g. a weight) not shown */
    bool strong;          /* facts items: the value in bold, larger (the Cover's verdict) */
    xl_tpl_total_t total;
    xl_tpl_cond_t *conds;
    size_t n_conds;
    /* "formats": a number format per row, chosen by the text of column
     * formats_by in the same row (e.g. a unit); a row whose text is not in
     * the map keeps `format`.  formats_by < 0: none. */
    int formats_by;
    size_t n_formats;
    char **format_keys;
    xl_tpl_text_t *format_values;
    /* "labels" (text columns): what a reader sees for a model text (a code
     * such as "service_level" or "missed"), per language; a text not in the
     * map is shown as it is.  The digest hashes the model's text. */
    size_t n_labels;
    char **label_keys;
    xl_tpl_text_t *label_values;
} xl_tpl_column_t;

/* The text shown for model text s in column c and language lang: its
 * "labels" entry, or s.  Borrowed from c (or s). */
const char *xl_tpl_column_label(const xl_tpl_column_t *c, int lang, const char *s);

typedef enum xl_tpl_chart_type {
    XL_CHART_LINE,
    XL_CHART_COLUMN,
} xl_tpl_chart_type_t;

typedef struct xl_tpl_series {
    int column;  /* index of the values column (a NUMBER column) */
    bool dash;   /* dashed line (a target line) */
    bool marker; /* line charts: points only, no line (marks a few rows: empty cells elsewhere) */
} xl_tpl_series_t;

typedef struct xl_tpl_chart {
    xl_tpl_chart_type_t type;
    xl_tpl_text_t title;
    /* Axis titles; NULLs when absent (the writer then uses the label of
     * the categories column and of the first series' column). */
    xl_tpl_text_t x_title, y_title;
    int categories; /* index of the category column */
    xl_tpl_series_t *series;
    size_t n_series;
} xl_tpl_chart_t;

typedef struct xl_tpl_sheet {
    char *id; /* stable ASCII id, language-independent (the digest uses it) */
    xl_tpl_kind_t kind;
    xl_tpl_text_t name;  /* the sheet tab */
    xl_tpl_text_t title; /* facts sheets: a title line; may be NULLs */
    char *table;         /* the model table it reads */
    bool digest;         /* part of the data digest (false for the Cover) */
    int freeze_rows, freeze_cols;
    int pages_wide;           /* table sheets: print this many pages wide (1..4, default 1) */
    xl_tpl_column_t *columns; /* table columns, or facts items */
    size_t n_columns;
    bool has_totals;           /* some column has a total */
    xl_tpl_text_t total_label; /* shown in column 0 of the totals row */
    xl_tpl_chart_t *charts;
    size_t n_charts;
    /* Facts sheets: small tables among the items ("blocks"), each a table
     * sheet without totals or charts whose `after` is the index of the item
     * it follows (-1: after the last); their columns share the sheet's
     * columns by position, the first under the items' labels.  Only in a
     * sheet with "digest": false (a block repeats values other sheets show). */
    struct xl_tpl_sheet *blocks;
    size_t n_blocks;
    int after;
} xl_tpl_sheet_t;

typedef struct xl_tpl xl_tpl_t;

/*
 * Parses and validates template text (`len` bytes of UTF-8 JSON, need not
 * be NUL-terminated).  On ST_OK *out is a new template the caller frees
 * with xl_tpl_free().  ST_ERR_INVALID with "path: reason" in err, or
 * ST_ERR_TOO_LARGE past XL_TPL_MAX_BYTES; *out is then NULL.  The text is
 * not kept.  Any thread.
 */
int xl_tpl_parse(const char *text, size_t len, xl_tpl_t **out, char *err, size_t errlen);

/* Reads a template file and parses it as xl_tpl_parse(); ST_ERR_IO when the
 * file cannot be read.  Any thread. */
int xl_tpl_load(const char *path, xl_tpl_t **out, char *err, size_t errlen);

/* Releases a template; NULL does nothing. */
void xl_tpl_free(xl_tpl_t *t);

/* The template's "template" name ("client-monthly"), its title in a
 * language, its sheets.  Owned by t.  Any thread. */
const char *xl_tpl_name(const xl_tpl_t *t);
const char *xl_tpl_title(const xl_tpl_t *t, xl_lang_t lang);
size_t xl_tpl_sheet_count(const xl_tpl_t *t);
/* Sheet i (< count) or NULL. */
const xl_tpl_sheet_t *xl_tpl_sheet(const xl_tpl_t *t, size_t i);
/* Index of the column with `key` in a sheet, or -1. */
int xl_tpl_column_find(const xl_tpl_sheet_t *s, const char *key);

/* Index of the sheet whose tab in language lang is `name` as Excel compares
 * tab names (ASCII letters in any case), or -1. */
int xl_tpl_sheet_named(const xl_tpl_t *t, xl_lang_t lang, const char *name);

/*
 * Appends a number column to table sheet `sheet` after the template's own
 * columns (so no index of theirs moves): the model's cell `key`, `label`
 * shown in every language (a name from the data, such as a scorecard
 * dimension), number `format`, and a total weighted by column `weight`
 * (an index, or -1 for none; XL_TOTAL_SUM when weight == -2).  The one
 * exception to "immutable after parsing": call it on a template of your
 * own (xl_tpl_load()) before anything reads it.  ST_ERR_INVALID for a
 * facts sheet, a bad index or key; ST_ERR_TOO_LARGE past
 * XL_TPL_MAX_COLUMNS.
 */
int xl_tpl_sheet_add_column(xl_tpl_t *t, size_t sheet, const char *key, const char *label,
                            const char *format, int weight, bool hidden);

/* "en" -> XL_LANG_EN, "zh" -> XL_LANG_ZH; ST_ERR_INVALID otherwise. */
int xl_lang_parse(const char *s, xl_lang_t *out);

#endif
