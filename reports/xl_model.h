/*
 * xl_model.h - the report model a workbook is written from: named tables
 * of rows, each row a set of cells (key -> number | NAN | text), plus the
 * language and generated_at of the report.
 *
 * Generic on purpose: the server fills it from sla / credits / qa_metrics /
 * inspector results (a cell key is the metric's METRICS.md name:
 * "service_level", "asa_s", ...), and a template (xl_template.h) picks the
 * tables and keys it shows.  The Cover's facts are row 0 of the table
 * "cover" (XL_TABLE_COVER), under the keys XL_FACT_*; any other facts sheet
 * reads row 0 of its own table the same way.
 *
 * Values: a number is a finite double or NAN (undefined, written as an
 * empty cell); infinities are refused.  Dates are numbers too: Excel serial
 * days (xl_excel_date()), shown with a date format, so they stay numbers.
 * Text is UTF-8 without NUL bytes; it is copied.
 *
 * Streamed tables: a table too large to hold (the internal workbook's
 * Evidence, one row per contact) may instead be a stream: the model keeps
 * a row source (xl_source_t) and its state, and whoever reads the table
 * (the writer, xl_digest()) pulls the rows one at a time through a cursor
 * (xl_cursor_open()), so memory does not grow with the rows.  A pull
 * model rather than a push of rows into the writer: the writer keeps its
 * order of work (sheets in template order, a table's rows, then its
 * totals) and the same cursor serves the writer, the digest and stored
 * tables alike.  Each pass reopens the source, so a stream can be read
 * more than once (each read costs a pass over the source).
 *
 * What it owns: an xl_model_t owns its tables, keys and texts (copied on
 * set) and its sources' state; xl_model_free() releases everything.  Not
 * thread-safe while being built; once built, any number of threads may
 * read its stored tables; a streamed table is read by one cursor at a
 * time (a source's state is usually a connection).
 */
#ifndef SLT_XL_MODEL_H
#define SLT_XL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_template.h"

#define XL_MODEL_MAX_ROWS 1048575 /* rows of a table (Excel's rows minus the header) */
#define XL_MODEL_TEXT_MAX 32767   /* bytes of a text cell (Excel's limit) */

/* The Cover table and its facts (REPORTS.md "client-monthly", sheet 1). */
#define XL_TABLE_COVER       "cover"
#define XL_FACT_TENANT       "tenant"
#define XL_FACT_PERIOD       "period"
#define XL_FACT_TIME_ZONE    "time_zone"
#define XL_FACT_GENERATED_AT "generated_at"
#define XL_FACT_DATA_CLOSE   "data_close" /* how the period's data counted as complete */
#define XL_FACT_TEMPLATE     "template"
#define XL_FACT_REPORT_ID    "report_id"
#define XL_FACT_CERT_FP      "cert_fingerprint"
#define XL_FACT_CA_FP        "ca_fingerprint" /* the CA certificate's SHA-256 */
#define XL_FACT_CA_CHECK     "ca_check"       /* compare it with one obtained independently */
#define XL_FACT_DATA_DIGEST  "data_digest"    /* filled by the writer, see xl_writer.h */
#define XL_FACT_VERIFY       "how_to_verify"
#define XL_FACT_CURRENCY     "currency" /* "{currency}" in number formats (xl_writer.h) */

typedef enum xl_cell_kind {
    XL_CELL_UNSET = 0, /* the row has no value for the key */
    XL_CELL_NUMBER,    /* num: finite, or NAN for undefined */
    XL_CELL_TEXT,      /* text */
} xl_cell_kind_t;

typedef struct xl_cell {
    xl_cell_kind_t kind;
    double num;
    const char *text; /* owned by the model */
} xl_cell_t;

typedef struct xl_model xl_model_t;
typedef struct xl_table xl_table_t;

/* A new empty model (language en, generated_at 0); free with xl_model_free(). */
xl_model_t *xl_model_new(void);
/* Releases a model and everything in it; NULL does nothing. */
void xl_model_free(xl_model_t *m);

/* The workbook's language (labels, sheet names, formats). */
void xl_model_set_lang(xl_model_t *m, xl_lang_t lang);
xl_lang_t xl_model_lang(const xl_model_t *m);
/* When the report was generated, Unix seconds UTC (> 0): the workbook's
 * creation date property.  ST_ERR_INVALID when <= 0. */
int xl_model_set_generated_at(xl_model_t *m, int64_t unix_s);
int64_t xl_model_generated_at(const xl_model_t *m);

/*
 * The table `name` (a template key: a-z, 0-9, _), created empty when new.
 * Owned by m.  NULL (with nothing created) when the name is not a key.
 */
xl_table_t *xl_model_table(xl_model_t *m, const char *name);
/* The table `name`, or NULL when the model has none. */
const xl_table_t *xl_model_find(const xl_model_t *m, const char *name);

/* Appends an empty row; its index in *row.  ST_ERR_TOO_LARGE past
 * XL_MODEL_MAX_ROWS; ST_ERR_INVALID for a streamed table (and for the
 * one-row table a source fills, see xl_source_t). */
int xl_table_add_row(xl_table_t *t, size_t *row);
/*
 * Sets a cell of row `row` (< row count).  set_number: v finite or NAN
 * (ST_ERR_INVALID for an infinity); set_text copies text (valid UTF-8,
 * <= XL_MODEL_TEXT_MAX bytes).  Setting a key again replaces the value.
 * ST_ERR_INVALID for a bad key or row.
 */
int xl_table_set_number(xl_table_t *t, size_t row, const char *key, double v);
int xl_table_set_text(xl_table_t *t, size_t row, const char *key, const char *text);

/*
 * Sets the total of column `key` of table t for a template total "given"
 * (templates/README.md "Totals"): a value the engine computed over the
 * contacts of all the rows, which no formula over the rows gives (a
 * percentile).  v finite or NAN; ST_ERR_INVALID for an infinity or a bad key.
 */
int xl_table_set_given_total(xl_table_t *t, const char *key, double v);

/*
 * Columns a table's sheets show after the template's own, decided by the
 * data (one per scorecard dimension present in the month, say): a number
 * column with cell `key`, `label` in every language and number `format`;
 * its total is the sum (total_sum), the mean weighted by column
 * `weight_key` (declared before it, or a template column), or none (both
 * off).  Hidden columns carry weights.  xl_model_extend_template() adds
 * them to a template before it is written.  ST_ERR_INVALID for a bad key.
 */
int xl_table_add_column(xl_table_t *t, const char *key, const char *label, const char *format,
                        const char *weight_key, bool total_sum, bool hidden);

/*
 * Appends every table's extra columns (xl_table_add_column()) to the table
 * sheets of tpl that read that table (xl_tpl_sheet_add_column()).  tpl
 * must be the caller's own.  ST_OK, or the first failure.
 */
int xl_model_extend_template(const xl_model_t *m, xl_tpl_t *tpl);

/* Sets a fact of the Cover (row 0 of table "cover", added when missing). */
int xl_model_cover_text(xl_model_t *m, const char *key, const char *text);

size_t xl_table_row_count(const xl_table_t *t);
/* Index of a key in the table (to read many rows fast), or -1 when no row has it. */
int xl_table_key_id(const xl_table_t *t, const char *key);
/* The cell of row `row` with key id `id` (from xl_table_key_id); a cell of kind
 * XL_CELL_UNSET when the row has no value for it or id < 0.  Owned by t. */
xl_cell_t xl_table_cell(const xl_table_t *t, size_t row, int id);
/* The same by key. */
xl_cell_t xl_table_get(const xl_table_t *t, size_t row, const char *key);

/*
 * A row source of a streamed table.  A pass: open(), then next() until it
 * returns 0, then close() (also after an error or an unfinished pass).
 */
typedef struct xl_source {
    /* Starts a pass at the first row; the pass's state in *cur.  ST_OK or
     * a negative st_code with the reason in err. */
    int (*open)(void *arg, void **cur, char *err, size_t errlen);
    /* The next row: sets its cells in row 0 of `row` (empty on entry, with
     * xl_table_set_number / xl_table_set_text) and returns 1; 0 after the
     * last row; a negative st_code with the reason in err. */
    int (*next)(void *cur, xl_table_t *row, char *err, size_t errlen);
    /* Ends a pass and releases cur. */
    void (*close)(void *cur);
    /* Releases arg with the model; NULL when there is nothing to release. */
    void (*release)(void *arg);
} xl_source_t;

/*
 * Makes table `name` (created when new; it must have no rows) a stream
 * whose rows come from src with state arg.  src is copied; arg passes to
 * the model in every case (released at once on failure).  ST_ERR_INVALID
 * for a bad name, a table with rows or one that is already a stream.
 */
int xl_model_stream(xl_model_t *m, const char *name, const xl_source_t *src, void *arg);
/* Whether table t is a stream (its rows are not in the model). */
bool xl_table_streamed(const xl_table_t *t);

typedef struct xl_cursor xl_cursor_t;

/*
 * A pass over the rows a table sheet `sh` (XL_TPL_TABLE) shows from model
 * m, stored or streamed alike, in order: each row is checked against the
 * sheet's columns as xl_model_check() checks stored rows, and the sheet's
 * totals are accumulated on the way (xl_cursor_total()).  On ST_OK *out
 * is the caller's (xl_cursor_free()); m must outlive it.  ST_ERR_INVALID
 * when m has no table for sh; a source's own error otherwise.  One thread
 * at a time per cursor, and one open cursor at a time per streamed table.
 */
int xl_cursor_open(const xl_model_t *m, const xl_tpl_sheet_t *sh, xl_cursor_t **out, char *err,
                   size_t errlen);
/* Moves to the next row: 1 when there is one, 0 at the end (and from then
 * on), or a negative st_code with the reason in err ("sheet 'x' row 4
 * column 'y': ..." for a row that does not fit). */
int xl_cursor_next(xl_cursor_t *c, char *err, size_t errlen);
/* The number of the current row, 1-based (0 before the first). */
size_t xl_cursor_row(const xl_cursor_t *c);
/* The cell of column ci (< sh->n_columns) of the current row; its text is
 * owned by the cursor (or the model) and valid until the next move. */
xl_cell_t xl_cursor_cell(const xl_cursor_t *c, size_t ci);
/* The total of column ci over the rows passed so far, as xl_model_total()
 * computes it: after the end, the total of the whole table. */
double xl_cursor_total(const xl_cursor_t *c, size_t ci);
/* Ends the pass (closing a source's); NULL does nothing. */
void xl_cursor_free(xl_cursor_t *c);

/*
 * Checks that model m has everything template t shows: every table a sheet
 * reads (facts sheets: with a row 0), in every stored row a value for
 * every column key (XL_FACT_DATA_DIGEST excepted: the writer fills it),
 * numbers in number columns and text in text columns (a streamed table's
 * rows are checked by the cursor that reads them); that no facts sheet
 * reads a streamed table; and that no sheet in the digest shows
 * XL_FACT_DATA_DIGEST.  ST_OK or ST_ERR_INVALID with "sheet
 * 'daily' row 3 column 'fcr': ..." in err.  Reads only; any thread.
 */
int xl_model_check(const xl_model_t *m, const xl_tpl_t *t, char *err, size_t errlen);

/*
 * The total of column ci (which has one) of a table sheet over the stored
 * rows of table tb (NULL: no rows), computed as the totals formula the writer puts in the
 * cell computes it (templates/README.md "Totals"); NAN when the formula
 * gives an empty cell (no numbers, a zero denominator).  Any thread.
 */
double xl_model_total(const xl_table_t *tb, const xl_tpl_sheet_t *sh, size_t ci);

/* Excel's serial day number of a proleptic Gregorian date (days since
 * 1899-12-30: 1900-03-01 is 61, 2026-11-01 is 46327).  Pure. */
double xl_excel_date(int year, int month, int day);

#endif
