/* xl_model.c - the in-memory report model (see xl_model.h). */
#include "xl_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "tz.h"
#include "utf8.h"
#include "xmem.h"

#define EXCEL_UNIX_EPOCH 25569 /* Excel serial day of 1970-01-01 */

/* A cell as stored: the text is owned. */
typedef struct cellv {
    xl_cell_kind_t kind;
    double num;
    char *text;
} cellv_t;

/* A row: cells indexed by the table's key ids (shorter when later keys are unset). */
typedef struct row {
    cellv_t *cells;
    size_t n;
} row_t;

struct xl_table {
    char *name;
    char **keys; /* interned keys; a key's id is its index */
    size_t n_keys;
    row_t *rows;
    size_t n_rows, cap_rows;
    bool fixed;        /* no rows may be added: a stream, or a cursor's one-row table */
    bool stream;       /* rows come from src (n_rows stays 0) */
    xl_source_t src;   /* when stream */
    void *arg;         /* src's state, owned */
    xl_table_t *given; /* the "given" totals (row 0), or NULL; owned */
    struct extra_col {
        char *key, *label, *format, *weight; /* weight NULL: no weighted total */
        bool sum, hidden;
    } * extra; /* columns the data adds to the table's sheets (xl_table_add_column) */
    size_t n_extra;
};

/* A running total of one column (see total_add). */
typedef struct total_acc {
    double sum, sum2, best;
    size_t count;
} total_acc_t;

struct xl_cursor {
    const xl_tpl_sheet_t *sh;
    const xl_table_t *tb; /* the model's table */
    xl_table_t *row;      /* a stream's current row (row 0); owned */
    void *cur;            /* a stream's pass */
    size_t n;             /* rows passed */
    bool done;
    int ids[XL_TPL_MAX_COLUMNS];  /* key ids of the columns in tb, or in row for a stream */
    double v[XL_TPL_MAX_COLUMNS]; /* the current row's numbers (NAN: empty or text) */
    total_acc_t tot[XL_TPL_MAX_COLUMNS];
};

struct xl_model {
    xl_lang_t lang;
    int64_t generated_at;
    xl_table_t **tables;
    size_t n_tables;
};

/* A table name or cell key: as template keys (xl_template.h). */
static bool key_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > XL_TPL_KEY_MAX || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

xl_model_t *xl_model_new(void)
{
    xl_model_t *m = xcalloc(1, sizeof *m);
    m->lang = XL_LANG_EN;
    return m;
}

/* A new empty table (not in any model until added). */
static xl_table_t *table_new(const char *name)
{
    xl_table_t *t = xcalloc(1, sizeof *t);
    t->name = xstrdup(name);
    return t;
}

/* Empties a row's cells, keeping their storage for the next row. */
static void row_clear(row_t *r)
{
    for (size_t c = 0; c < r->n; c++) {
        free(r->cells[c].text);
        r->cells[c] = (cellv_t){XL_CELL_UNSET, NAN, NULL};
    }
}

/* Releases one table (and a stream's state). */
static void table_free(xl_table_t *t)
{
    if (t->given)
        table_free(t->given);
    if (t->stream && t->src.release)
        t->src.release(t->arg);
    for (size_t r = 0; r < t->n_rows; r++) {
        row_clear(&t->rows[r]);
        free(t->rows[r].cells);
    }
    for (size_t k = 0; k < t->n_keys; k++)
        free(t->keys[k]);
    for (size_t k = 0; k < t->n_extra; k++) {
        free(t->extra[k].key);
        free(t->extra[k].label);
        free(t->extra[k].format);
        free(t->extra[k].weight);
    }
    free(t->extra);
    free(t->keys);
    free(t->rows);
    free(t->name);
    free(t);
}

int xl_table_add_column(xl_table_t *t, const char *key, const char *label, const char *format,
                        const char *weight_key, bool total_sum, bool hidden)
{
    if (!t || !key_valid(key) || !label || !format || (weight_key && !key_valid(weight_key)))
        return ST_ERR_INVALID;
    t->extra = xrealloc(t->extra, (t->n_extra + 1) * sizeof *t->extra);
    t->extra[t->n_extra++] = (struct extra_col){
        xstrdup(key), xstrdup(label), xstrdup(format), weight_key ? xstrdup(weight_key) : NULL,
        total_sum,    hidden};
    return ST_OK;
}

int xl_model_extend_template(const xl_model_t *m, xl_tpl_t *tpl)
{
    for (size_t i = 0; i < xl_tpl_sheet_count(tpl); i++) {
        const xl_tpl_sheet_t *sh = xl_tpl_sheet(tpl, i);
        const xl_table_t *t = sh->kind == XL_TPL_TABLE ? xl_model_find(m, sh->table) : NULL;
        for (size_t k = 0; t && k < t->n_extra; k++) {
            const struct extra_col *e = &t->extra[k];
            int weight = e->sum ? -2 : -1;
            if (e->weight && (weight = xl_tpl_column_find(xl_tpl_sheet(tpl, i), e->weight)) < 0)
                return ST_ERR_INVALID;
            int rc =
                xl_tpl_sheet_add_column(tpl, i, e->key, e->label, e->format, weight, e->hidden);
            if (rc != ST_OK)
                return rc;
        }
    }
    return ST_OK;
}

void xl_model_free(xl_model_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_tables; i++)
        table_free(m->tables[i]);
    free(m->tables);
    free(m);
}

void xl_model_set_lang(xl_model_t *m, xl_lang_t lang)
{
    m->lang = lang;
}

xl_lang_t xl_model_lang(const xl_model_t *m)
{
    return m->lang;
}

int xl_model_set_generated_at(xl_model_t *m, int64_t unix_s)
{
    if (unix_s <= 0)
        return ST_ERR_INVALID;
    m->generated_at = unix_s;
    return ST_OK;
}

int64_t xl_model_generated_at(const xl_model_t *m)
{
    return m->generated_at;
}

const xl_table_t *xl_model_find(const xl_model_t *m, const char *name)
{
    for (size_t i = 0; i < m->n_tables; i++) {
        if (strcmp(m->tables[i]->name, name) == 0)
            return m->tables[i];
    }
    return NULL;
}

xl_table_t *xl_model_table(xl_model_t *m, const char *name)
{
    if (!key_valid(name))
        return NULL;
    for (size_t i = 0; i < m->n_tables; i++) {
        if (strcmp(m->tables[i]->name, name) == 0)
            return m->tables[i];
    }
    xl_table_t *t = table_new(name);
    m->tables = xrealloc(m->tables, (m->n_tables + 1) * sizeof *m->tables);
    m->tables[m->n_tables++] = t;
    return t;
}

int xl_model_stream(xl_model_t *m, const char *name, const xl_source_t *src, void *arg)
{
    xl_table_t *t = src && src->open && src->next && src->close ? xl_model_table(m, name) : NULL;
    if (!t || t->n_rows > 0 || t->stream) {
        if (src && src->release)
            src->release(arg);
        return ST_ERR_INVALID;
    }
    t->stream = t->fixed = true;
    t->src = *src;
    t->arg = arg;
    return ST_OK;
}

bool xl_table_streamed(const xl_table_t *t)
{
    return t->stream;
}

int xl_table_add_row(xl_table_t *t, size_t *row)
{
    if (t->fixed)
        return ST_ERR_INVALID;
    if (t->n_rows >= XL_MODEL_MAX_ROWS)
        return ST_ERR_TOO_LARGE;
    if (t->n_rows == t->cap_rows) {
        t->cap_rows = t->cap_rows ? t->cap_rows * 2 : 16;
        t->rows = xrealloc(t->rows, t->cap_rows * sizeof *t->rows);
    }
    t->rows[t->n_rows] = (row_t){NULL, 0};
    *row = t->n_rows++;
    return ST_OK;
}

int xl_table_key_id(const xl_table_t *t, const char *key)
{
    for (size_t k = 0; k < t->n_keys; k++) {
        if (strcmp(t->keys[k], key) == 0)
            return (int)k;
    }
    return -1;
}

/* The id of a (valid) key, interned when new. */
static int key_intern(xl_table_t *t, const char *key)
{
    int id = xl_table_key_id(t, key);
    if (id < 0) {
        t->keys = xrealloc(t->keys, (t->n_keys + 1) * sizeof *t->keys);
        t->keys[t->n_keys] = xstrdup(key);
        id = (int)t->n_keys++;
    }
    return id;
}

/* The stored cell of (row, key), interning the key and growing the row as needed;
 * NULL for a bad key or row. */
static cellv_t *cell_slot(xl_table_t *t, size_t row, const char *key)
{
    if (row >= t->n_rows || !key_valid(key))
        return NULL;
    int id = key_intern(t, key);
    row_t *r = &t->rows[row];
    if ((size_t)id >= r->n) {
        r->cells = xrealloc(r->cells, t->n_keys * sizeof *r->cells);
        memset(r->cells + r->n, 0, (t->n_keys - r->n) * sizeof *r->cells);
        r->n = t->n_keys;
    }
    cellv_t *c = &r->cells[id];
    free(c->text);
    c->text = NULL;
    return c;
}

int xl_table_set_number(xl_table_t *t, size_t row, const char *key, double v)
{
    if (isinf(v))
        return ST_ERR_INVALID;
    cellv_t *c = cell_slot(t, row, key);
    if (!c)
        return ST_ERR_INVALID;
    c->kind = XL_CELL_NUMBER;
    c->num = isnan(v) ? NAN : v;
    return ST_OK;
}

int xl_table_set_given_total(xl_table_t *t, const char *key, double v)
{
    size_t row;
    if (!t->given) {
        t->given = table_new(t->name);
        xl_table_add_row(t->given, &row);
    }
    return xl_table_set_number(t->given, 0, key, v);
}

int xl_table_set_text(xl_table_t *t, size_t row, const char *key, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (!text || n > XL_MODEL_TEXT_MAX || !utf8_valid(text, n))
        return ST_ERR_INVALID;
    cellv_t *c = cell_slot(t, row, key);
    if (!c)
        return ST_ERR_INVALID;
    c->kind = XL_CELL_TEXT;
    c->num = NAN;
    c->text = xstrdup(text);
    return ST_OK;
}

int xl_model_cover_text(xl_model_t *m, const char *key, const char *text)
{
    xl_table_t *t = xl_model_table(m, XL_TABLE_COVER);
    size_t row;
    if (t->n_rows == 0 && xl_table_add_row(t, &row) != ST_OK)
        return ST_ERR_INTERNAL;
    return xl_table_set_text(t, 0, key, text);
}

size_t xl_table_row_count(const xl_table_t *t)
{
    return t->n_rows;
}

xl_cell_t xl_table_cell(const xl_table_t *t, size_t row, int id)
{
    xl_cell_t out = {XL_CELL_UNSET, NAN, NULL};
    if (id < 0 || row >= t->n_rows || (size_t)id >= t->rows[row].n)
        return out;
    const cellv_t *c = &t->rows[row].cells[id];
    out.kind = c->kind;
    out.num = c->num;
    out.text = c->text;
    return out;
}

xl_cell_t xl_table_get(const xl_table_t *t, size_t row, const char *key)
{
    return xl_table_cell(t, row, xl_table_key_id(t, key));
}

double xl_excel_date(int year, int month, int day)
{
    return (double)(tz_days_from_civil(year, month, day) + EXCEL_UNIX_EPOCH);
}

/* Checks one cell against its column (see xl_model_check). */
static int cell_check(const xl_tpl_sheet_t *sh, const xl_tpl_column_t *col, xl_cell_t c, size_t row,
                      char *err, size_t errlen)
{
    const char *why = NULL;
    if (c.kind == XL_CELL_UNSET)
        why = "no value in the model";
    else if (col->type == XL_TPL_NUMBER && c.kind != XL_CELL_NUMBER)
        why = "a number column given text";
    else if (col->type == XL_TPL_TEXT && c.kind != XL_CELL_TEXT)
        why = "a text column given a number";
    if (!why)
        return ST_OK;
    st_errf(err, errlen, "sheet '%s' row %zu column '%s': %s", sh->id, row + 1, col->key, why);
    return ST_ERR_INVALID;
}

/* Checks one sheet, or one block of a facts sheet (see xl_model_check). */
static int sheet_check(const xl_model_t *m, const xl_tpl_sheet_t *sh, char *err, size_t errlen)
{
    const xl_table_t *tb = xl_model_find(m, sh->table);
    if (tb && tb->stream && sh->kind == XL_TPL_FACTS) {
        st_errf(err, errlen, "sheet '%s': a facts sheet cannot read the streamed table '%s'",
                sh->id, sh->table);
        return ST_ERR_INVALID;
    }
    if (!tb || (sh->kind == XL_TPL_FACTS && tb->n_rows == 0)) {
        st_errf(err, errlen, "sheet '%s': the model has no %stable '%s'", sh->id,
                tb ? "row in " : "", sh->table);
        return ST_ERR_INVALID;
    }
    size_t rows = sh->kind == XL_TPL_FACTS ? 1 : tb->n_rows;
    for (size_t c = 0; c < sh->n_columns; c++) {
        const xl_tpl_column_t *col = &sh->columns[c];
        bool is_digest = strcmp(col->key, XL_FACT_DATA_DIGEST) == 0;
        if (is_digest && sh->digest) {
            st_errf(err, errlen, "sheet '%s': shows '%s' but is part of the digest", sh->id,
                    XL_FACT_DATA_DIGEST);
            return ST_ERR_INVALID;
        }
        if ((is_digest && sh->kind == XL_TPL_FACTS) || col->type == XL_TPL_HEADING)
            continue;
        int id = xl_table_key_id(tb, col->key);
        for (size_t r = 0; r < rows; r++) {
            int rc = cell_check(sh, col, xl_table_cell(tb, r, id), r, err, errlen);
            if (rc != ST_OK)
                return rc;
        }
    }
    for (size_t b = 0; b < sh->n_blocks; b++) {
        const xl_table_t *bt = xl_model_find(m, sh->blocks[b].table);
        if (bt && bt->stream) {
            st_errf(err, errlen, "sheet '%s': a block cannot read the streamed table '%s'", sh->id,
                    bt->name);
            return ST_ERR_INVALID;
        }
        int rc = sheet_check(m, &sh->blocks[b], err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

int xl_model_check(const xl_model_t *m, const xl_tpl_t *t, char *err, size_t errlen)
{
    for (size_t s = 0; s < xl_tpl_sheet_count(t); s++) {
        int rc = sheet_check(m, xl_tpl_sheet(t, s), err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

/* The number of a cell for a formula over it: NAN when empty or text. */
static double cell_number(xl_cell_t c)
{
    return c.kind == XL_CELL_NUMBER ? c.num : NAN;
}

/* The "given" total of column ci of sh in table tb (NAN when not given). */
static double given_total(const xl_table_t *tb, const xl_tpl_sheet_t *sh, size_t ci)
{
    if (!tb || !tb->given)
        return NAN;
    return cell_number(xl_table_get(tb->given, 0, sh->columns[ci].key));
}

/*
 * Adds one row to the running total of column ci; v holds the row's
 * numbers by column.  The one definition of what a totals formula
 * computes (templates/README.md "Totals"), for stored and streamed rows.
 */
static void total_add(total_acc_t *a, const xl_tpl_sheet_t *sh, size_t ci, const double *v)
{
    const xl_tpl_total_t *tot = &sh->columns[ci].total;
    double x = v[ci];
    switch (tot->fn) {
    case XL_TOTAL_SUM:
        if (!isnan(x))
            a->sum += x;
        return;
    case XL_TOTAL_AVERAGE:
    case XL_TOTAL_MIN:
    case XL_TOTAL_MAX:
        if (isnan(x))
            return;
        a->sum += x;
        a->count++;
        if (isnan(a->best) || (tot->fn == XL_TOTAL_MIN ? x < a->best : x > a->best))
            a->best = x;
        return;
    case XL_TOTAL_WEIGHTED: {
        /* SUMPRODUCT(x, w) / SUMIF(x, "<>", w): empty cells count as 0 in the
         * product, and a row's weight counts only when x is not empty. */
        double w = v[tot->weight];
        if (isnan(x) || isnan(w))
            return;
        a->sum += x * w;
        a->sum2 += w;
        return;
    }
    case XL_TOTAL_RATIO: {
        double n = v[tot->num], d = v[tot->den];
        if (!isnan(n))
            a->sum += n;
        if (!isnan(d))
            a->sum2 += d;
        return;
    }
    case XL_TOTAL_GIVEN: /* not from the rows: given_total() */
    case XL_TOTAL_NONE:
        break;
    }
}

/* The value of a running total; NAN where the formula gives an empty cell. */
static double total_value(const total_acc_t *a, const xl_tpl_sheet_t *sh, size_t ci)
{
    switch (sh->columns[ci].total.fn) {
    case XL_TOTAL_SUM:
        return a->sum;
    case XL_TOTAL_AVERAGE:
        return a->count == 0 ? NAN : a->sum / (double)a->count;
    case XL_TOTAL_MIN:
    case XL_TOTAL_MAX:
        return a->count == 0 ? NAN : a->best;
    case XL_TOTAL_WEIGHTED:
    case XL_TOTAL_RATIO:
        return a->sum2 == 0 ? NAN : a->sum / a->sum2;
    case XL_TOTAL_GIVEN:
    case XL_TOTAL_NONE:
        break;
    }
    return NAN;
}

/* Resets the running totals of a sheet's columns. */
static void totals_reset(total_acc_t *tot, const xl_tpl_sheet_t *sh)
{
    for (size_t c = 0; c < sh->n_columns; c++)
        tot[c] = (total_acc_t){0, 0, NAN, 0};
}

double xl_model_total(const xl_table_t *tb, const xl_tpl_sheet_t *sh, size_t ci)
{
    double v[XL_TPL_MAX_COLUMNS];
    int ids[XL_TPL_MAX_COLUMNS];
    total_acc_t a = {0, 0, NAN, 0};
    size_t rows = tb ? tb->n_rows : 0;
    for (size_t c = 0; c < sh->n_columns; c++)
        ids[c] = tb ? xl_table_key_id(tb, sh->columns[c].key) : -1;
    if (sh->columns[ci].total.fn == XL_TOTAL_GIVEN)
        return given_total(tb, sh, ci);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < sh->n_columns; c++)
            v[c] = cell_number(xl_table_cell(tb, r, ids[c]));
        total_add(&a, sh, ci, v);
    }
    return total_value(&a, sh, ci);
}

int xl_cursor_open(const xl_model_t *m, const xl_tpl_sheet_t *sh, xl_cursor_t **out, char *err,
                   size_t errlen)
{
    const xl_table_t *tb = sh->kind == XL_TPL_TABLE ? xl_model_find(m, sh->table) : NULL;
    *out = NULL;
    if (!tb) {
        st_errf(err, errlen, "sheet '%s': the model has no table '%s'", sh->id, sh->table);
        return ST_ERR_INVALID;
    }
    xl_cursor_t *c = xcalloc(1, sizeof *c);
    c->sh = sh;
    c->tb = tb;
    totals_reset(c->tot, sh);
    if (tb->stream) {
        /* The current row lives in a one-row table of the cursor's, with the
         * columns' keys interned first so their ids hold for every row. */
        size_t r;
        c->row = table_new(tb->name);
        xl_table_add_row(c->row, &r);
        c->row->fixed = true;
        for (size_t k = 0; k < sh->n_columns; k++)
            c->ids[k] = key_intern(c->row, sh->columns[k].key);
        int rc = tb->src.open(tb->arg, &c->cur, err, errlen);
        if (rc != ST_OK) {
            c->cur = NULL;
            xl_cursor_free(c);
            return rc;
        }
    } else {
        for (size_t k = 0; k < sh->n_columns; k++)
            c->ids[k] = xl_table_key_id(tb, sh->columns[k].key);
    }
    *out = c;
    return ST_OK;
}

int xl_cursor_next(xl_cursor_t *c, char *err, size_t errlen)
{
    const xl_tpl_sheet_t *sh = c->sh;
    if (c->done)
        return 0;
    if (c->row) {
        row_clear(&c->row->rows[0]);
        int rc = c->tb->src.next(c->cur, c->row, err, errlen);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            c->done = true;
            return 0;
        }
    } else if (c->n == c->tb->n_rows) {
        c->done = true;
        return 0;
    }
    c->n++;
    for (size_t k = 0; k < sh->n_columns; k++) {
        xl_cell_t v = xl_cursor_cell(c, k);
        int rc = cell_check(sh, &sh->columns[k], v, c->n - 1, err, errlen);
        if (rc != ST_OK)
            return rc;
        c->v[k] = cell_number(v);
    }
    for (size_t k = 0; k < sh->n_columns; k++)
        total_add(&c->tot[k], sh, k, c->v);
    return 1;
}

size_t xl_cursor_row(const xl_cursor_t *c)
{
    return c->n;
}

xl_cell_t xl_cursor_cell(const xl_cursor_t *c, size_t ci)
{
    if (c->n == 0 || ci >= c->sh->n_columns)
        return (xl_cell_t){XL_CELL_UNSET, NAN, NULL};
    if (c->row)
        return xl_table_cell(c->row, 0, c->ids[ci]);
    return xl_table_cell(c->tb, c->n - 1, c->ids[ci]);
}

double xl_cursor_total(const xl_cursor_t *c, size_t ci)
{
    if (ci >= c->sh->n_columns)
        return NAN;
    if (c->sh->columns[ci].total.fn == XL_TOTAL_GIVEN)
        return given_total(c->tb, c->sh, ci);
    return total_value(&c->tot[ci], c->sh, ci);
}

void xl_cursor_free(xl_cursor_t *c)
{
    if (!c)
        return;
    if (c->cur)
        c->tb->src.close(c->cur);
    if (c->row)
        table_free(c->row);
    free(c);
}
