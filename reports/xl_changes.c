/* xl_changes.c - the values that moved between two canonical texts (see xl_changes.h). */
#include "xl_changes.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xmem.h"

#define HEADER_PREFIX "slattest-data-digest "
#define MAX_SHEETS    4096 /* far above any template (XL_TPL_MAX_SHEETS) */
#define ROW_DIGITS    20   /* a row number fits a uint64_t */

/* One line of a canonical text; sheet and key are the row's. */
typedef struct cell {
    const char *sheet, *key, *col, *value;
    size_t row; /* index into the version's rows */
    bool matched;
} cell_t;

/* Consecutive lines with the same row field. */
typedef struct row {
    const char *sheet, *field, *key;
    size_t first, n; /* its cells */
    size_t k;        /* leading key columns (0: matched by number, or the totals row) */
    bool total;
} row_t;

/* Consecutive rows with the same sheet id. */
typedef struct sheet {
    const char *id;
    size_t first, n; /* its rows */
} sheet_t;

/* One parsed text.  Strings point into text (TABs and newlines made NULs)
 * or into owned (joined keys). */
typedef struct version {
    char *text;
    const char *header;
    cell_t *cells;
    size_t n_cells, cap_cells;
    row_t *rows;
    size_t n_rows, cap_rows;
    sheet_t *sheets;
    size_t n_sheets, cap_sheets;
    char **owned;
    size_t n_owned, cap_owned;
    cell_t **cell_order; /* by (sheet, key, column) */
    row_t **row_order;   /* by (sheet, key) */
} version_t;

struct xl_changes {
    version_t old, neu;
    xl_change_t *items;
    size_t n, cap;
};

/* Grows an array of elements of size sz to hold one more. */
static void *grow(void *p, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : 64;
    return xrealloc(p, *cap * sz);
}

/* Whether s is a row number as xl_digest writes it: 1.. without leading zeros. */
static bool row_number(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > ROW_DIGITS - 1 || s[0] == '0')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* Splits a line (NUL-terminated, no newline) into its 4 TAB-separated fields. */
static bool split_line(char *line, char *f[4])
{
    f[0] = line;
    for (int i = 1; i < 4; i++) {
        char *tab = strchr(f[i - 1], '\t');
        if (!tab)
            return false;
        *tab = '\0';
        f[i] = tab + 1;
    }
    return strchr(f[3], '\t') == NULL && f[0][0] && f[2][0] && f[3][0];
}

/* Starts sheet id unless it is the current one; a sheet seen before is an error. */
static int add_sheet(version_t *v, const char *id)
{
    if (v->n_sheets && strcmp(v->sheets[v->n_sheets - 1].id, id) == 0)
        return ST_OK;
    for (size_t i = 0; i < v->n_sheets; i++)
        if (strcmp(v->sheets[i].id, id) == 0)
            return ST_ERR_INVALID;
    if (v->n_sheets == MAX_SHEETS)
        return ST_ERR_INVALID;
    v->sheets = grow(v->sheets, &v->cap_sheets, v->n_sheets, sizeof *v->sheets);
    v->sheets[v->n_sheets++] = (sheet_t){id, v->n_rows, 0};
    return ST_OK;
}

/* Starts the row `field` of the current sheet unless it is the current row:
 * numbered rows increase, the totals row comes once and last. */
static int add_row(version_t *v, const char *field)
{
    sheet_t *s = &v->sheets[v->n_sheets - 1];
    const row_t *last = s->n ? &v->rows[v->n_rows - 1] : NULL;
    if (last && strcmp(last->field, field) == 0)
        return ST_OK;
    bool total = strcmp(field, "total") == 0;
    uint64_t num = 0, prev = 0;
    if (last && last->total)
        return ST_ERR_INVALID; /* nothing after the totals */
    if (!total &&
        (!row_number(field, &num) || (last && row_number(last->field, &prev) && num <= prev)))
        return ST_ERR_INVALID;
    v->rows = grow(v->rows, &v->cap_rows, v->n_rows, sizeof *v->rows);
    v->rows[v->n_rows++] = (row_t){s->id, field, NULL, v->n_cells, 0, 0, total};
    s->n++;
    return ST_OK;
}

/* Whether sheet id is one opts says to leave out. */
static bool ignored(const xl_changes_opts_t *opts, const char *id)
{
    for (size_t i = 0; opts && i < opts->n_ignore; i++)
        if (strcmp(opts->ignore[i], id) == 0)
            return true;
    return false;
}

/* Parses a copy of a canonical text into v, without the sheets opts
 * ignores; err names the version. */
static int parse(version_t *v, const char *which, const char *text, size_t len,
                 const xl_changes_opts_t *opts, char *err, size_t errlen)
{
    if (memchr(text, '\0', len)) {
        st_errf(err, errlen, "%s text: a NUL byte", which);
        return ST_ERR_INVALID;
    }
    v->text = xmalloc(len + 1);
    memcpy(v->text, text, len);
    v->text[len] = '\0';
    char *p = v->text, *end = v->text + len;
    size_t line_no = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        line_no++;
        if (!nl) {
            st_errf(err, errlen, "%s text line %zu: no newline at the end", which, line_no);
            return ST_ERR_INVALID;
        }
        *nl = '\0';
        char *f[4];
        int rc = ST_OK;
        if (line_no == 1) {
            v->header = p;
            if (strncmp(p, HEADER_PREFIX, strlen(HEADER_PREFIX)) != 0)
                rc = ST_ERR_INVALID;
        } else if (!split_line(p, f)) {
            rc = ST_ERR_INVALID;
        } else if (ignored(opts, f[0])) {
            /* a listing left out */
        } else if (add_sheet(v, f[0]) != ST_OK || add_row(v, f[1]) != ST_OK) {
            rc = ST_ERR_INVALID;
        } else {
            v->cells = grow(v->cells, &v->cap_cells, v->n_cells, sizeof *v->cells);
            v->cells[v->n_cells++] = (cell_t){f[0], NULL, f[2], f[3], v->n_rows - 1, false};
            v->rows[v->n_rows - 1].n++;
        }
        if (rc != ST_OK) {
            st_errf(err, errlen, "%s text line %zu: not a canonical data digest line", which,
                    line_no);
            return rc;
        }
        p = nl + 1;
    }
    if (!v->header) {
        st_errf(err, errlen, "%s text: empty", which);
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

/* A row's first k values joined by TAB, allocated (the caller frees it). */
static char *join_values(const version_t *v, const row_t *r, size_t k)
{
    size_t len = 0;
    for (size_t j = 0; j < k; j++)
        len += strlen(v->cells[r->first + j].value) + 1;
    char *s = xmalloc(len), *q = s;
    for (size_t j = 0; j < k; j++) {
        size_t n = strlen(v->cells[r->first + j].value);
        memcpy(q, v->cells[r->first + j].value, n);
        q += n;
        *q++ = j + 1 < k ? '\t' : '\0';
    }
    return s;
}

/* Orders C strings (qsort). */
static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether the first k columns of sheet s of v are the columns ref and their
 * values are unique among its numbered rows. */
static bool prefix_unique(const version_t *v, const sheet_t *s, size_t k, const char *const *ref)
{
    char **keys = xcalloc(s->n + 1, sizeof *keys);
    size_t n = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < s->n; i++) {
        const row_t *r = &v->rows[s->first + i];
        if (r->total)
            continue;
        if (r->n < k) {
            ok = false;
            break;
        }
        for (size_t j = 0; ok && j < k; j++)
            ok = strcmp(v->cells[r->first + j].col, ref[j]) == 0;
        if (ok)
            keys[n++] = join_values(v, r, k);
    }
    if (ok) {
        qsort(keys, n, sizeof *keys, str_cmp);
        for (size_t i = 1; ok && i < n; i++)
            ok = strcmp(keys[i - 1], keys[i]) != 0;
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return ok;
}

/* The first numbered row of a sheet, or NULL. */
static const row_t *first_row(const version_t *v, const sheet_t *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (!v->rows[s->first + i].total)
            return &v->rows[s->first + i];
    return NULL;
}

/* The number of key columns of a sheet present in either or both versions
 * (see xl_changes.h); 0 for matching by row number. */
static size_t choose_k(const version_t *o, const sheet_t *so, const version_t *n, const sheet_t *sn,
                       size_t max)
{
    const row_t *ref_row = first_row(n, sn);
    const version_t *rv = n;
    if (!ref_row) {
        ref_row = first_row(o, so);
        rv = o;
    }
    if (!ref_row)
        return 1; /* no numbered rows anywhere: nothing to match */
    const char *ref[XL_CHANGES_KEY_MAX * 4];
    for (size_t k = 1; k <= max && k <= ref_row->n; k++) {
        ref[k - 1] = rv->cells[ref_row->first + k - 1].col;
        if ((!sn || prefix_unique(n, sn, k, ref)) && (!so || prefix_unique(o, so, k, ref)))
            return k;
    }
    return 0;
}

/* Sets the key of every row of sheet s with k key columns. */
static void key_rows(version_t *v, const sheet_t *s, size_t k)
{
    for (size_t i = 0; s && i < s->n; i++) {
        row_t *r = &v->rows[s->first + i];
        r->k = r->total ? 0 : k;
        if (r->total || k == 0) {
            r->key = r->field;
        } else if (k == 1) {
            r->key = v->cells[r->first].value;
        } else {
            char *joined = join_values(v, r, k);
            v->owned = grow(v->owned, &v->cap_owned, v->n_owned, sizeof *v->owned);
            v->owned[v->n_owned++] = joined;
            r->key = joined;
        }
        for (size_t j = 0; j < r->n; j++)
            v->cells[r->first + j].key = r->key;
    }
}

/* The sheet of v with id, or NULL. */
static const sheet_t *sheet_find(const version_t *v, const char *id)
{
    for (size_t i = 0; i < v->n_sheets; i++)
        if (strcmp(v->sheets[i].id, id) == 0)
            return &v->sheets[i];
    return NULL;
}

/* Orders cells by (sheet, key, column). */
static int cell_cmp(const void *a, const void *b)
{
    const cell_t *x = *(const cell_t *const *)a, *y = *(const cell_t *const *)b;
    int c = strcmp(x->sheet, y->sheet);
    if (c == 0)
        c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->col, y->col);
}

/* Orders rows by (sheet, key). */
static int row_cmp(const void *a, const void *b)
{
    const row_t *x = *(const row_t *const *)a, *y = *(const row_t *const *)b;
    int c = strcmp(x->sheet, y->sheet);
    return c ? c : strcmp(x->key, y->key);
}

/* Sorts v's cells and rows for lookups; a cell twice is an error. */
static int index_version(version_t *v, const char *which, char *err, size_t errlen)
{
    v->cell_order = xcalloc(v->n_cells + 1, sizeof *v->cell_order);
    v->row_order = xcalloc(v->n_rows + 1, sizeof *v->row_order);
    for (size_t i = 0; i < v->n_cells; i++)
        v->cell_order[i] = &v->cells[i];
    for (size_t i = 0; i < v->n_rows; i++)
        v->row_order[i] = &v->rows[i];
    qsort(v->cell_order, v->n_cells, sizeof *v->cell_order, cell_cmp);
    qsort(v->row_order, v->n_rows, sizeof *v->row_order, row_cmp);
    for (size_t i = 1; i < v->n_cells; i++) {
        if (cell_cmp(&v->cell_order[i - 1], &v->cell_order[i]) == 0) {
            const cell_t *c = v->cell_order[i];
            st_errf(err, errlen, "%s text: sheet %s row %s column %s is there twice", which,
                    c->sheet, c->key, c->col);
            return ST_ERR_INVALID;
        }
    }
    return ST_OK;
}

/* The cell of v at (sheet, key, column), or NULL. */
static cell_t *cell_find(const version_t *v, const cell_t *probe)
{
    cell_t **hit = bsearch(&probe, v->cell_order, v->n_cells, sizeof *v->cell_order, cell_cmp);
    return hit ? *hit : NULL;
}

/* Whether v has the row (sheet, key). */
static bool row_exists(const version_t *v, const row_t *probe)
{
    return bsearch(&probe, v->row_order, v->n_rows, sizeof *v->row_order, row_cmp) != NULL;
}

/* Appends one listed cell. */
static void emit(xl_changes_t *c, xl_change_kind_t kind, const row_t *r, const cell_t *cell,
                 const char *old_value, const char *new_value, bool whole_row)
{
    c->items = grow(c->items, &c->cap, c->n, sizeof *c->items);
    c->items[c->n++] = (xl_change_t){kind,      r->sheet,  r->key,    r->k,     r->total,
                                     whole_row, cell->col, old_value, new_value};
}

/* Lists the old cells of sheet s that have no counterpart. */
static void emit_removed(xl_changes_t *c, const sheet_t *s)
{
    for (size_t i = 0; s && i < s->n; i++) {
        const row_t *r = &c->old.rows[s->first + i];
        bool whole = !row_exists(&c->neu, r);
        for (size_t j = r->k; j < r->n; j++) {
            const cell_t *cell = &c->old.cells[r->first + j];
            if (!cell->matched)
                emit(c, XL_CHANGE_REMOVED, r, cell, cell->value, NULL, whole);
        }
    }
}

/* Walks the new version in order against the old one (see xl_changes.h). */
static void walk(xl_changes_t *c)
{
    for (size_t s = 0; s < c->neu.n_sheets; s++) {
        const sheet_t *sn = &c->neu.sheets[s];
        for (size_t i = 0; i < sn->n; i++) {
            const row_t *r = &c->neu.rows[sn->first + i];
            bool whole = !row_exists(&c->old, r);
            for (size_t j = r->k; j < r->n; j++) {
                const cell_t *cell = &c->neu.cells[r->first + j];
                cell_t *was = cell_find(&c->old, cell);
                if (!was) {
                    emit(c, XL_CHANGE_ADDED, r, cell, NULL, cell->value, whole);
                    continue;
                }
                was->matched = true;
                if (strcmp(was->value, cell->value) != 0)
                    emit(c, XL_CHANGE_MOVED, r, cell, was->value, cell->value, false);
            }
        }
        emit_removed(c, sheet_find(&c->old, sn->id));
    }
    for (size_t s = 0; s < c->old.n_sheets; s++)
        if (!sheet_find(&c->neu, c->old.sheets[s].id))
            emit_removed(c, &c->old.sheets[s]);
}

/* Whether id is one of the sheets matched by row number. */
static bool by_row(const xl_changes_opts_t *o, const char *id)
{
    for (size_t i = 0; o && i < o->n_by_row; i++)
        if (strcmp(o->by_row[i], id) == 0)
            return true;
    return false;
}

/* Chooses and sets the row keys of every sheet of both versions. */
static void key_sheets(xl_changes_t *c, const xl_changes_opts_t *opts)
{
    size_t max = opts && opts->max_key_columns ? opts->max_key_columns : XL_CHANGES_KEY_MAX;
    if (max > XL_CHANGES_KEY_MAX * 4)
        max = XL_CHANGES_KEY_MAX * 4;
    for (size_t s = 0; s < c->neu.n_sheets; s++) {
        const sheet_t *sn = &c->neu.sheets[s], *so = sheet_find(&c->old, sn->id);
        size_t k = by_row(opts, sn->id) ? 0 : choose_k(&c->old, so, &c->neu, sn, max);
        key_rows(&c->neu, sn, k);
        key_rows(&c->old, so, k);
    }
    for (size_t s = 0; s < c->old.n_sheets; s++) {
        const sheet_t *so = &c->old.sheets[s];
        if (sheet_find(&c->neu, so->id))
            continue;
        key_rows(&c->old, so, by_row(opts, so->id) ? 0 : choose_k(&c->old, so, &c->neu, NULL, max));
    }
}

/* Releases a version's storage. */
static void version_clear(version_t *v)
{
    for (size_t i = 0; i < v->n_owned; i++)
        free(v->owned[i]);
    free(v->owned);
    free(v->cell_order);
    free(v->row_order);
    free(v->sheets);
    free(v->rows);
    free(v->cells);
    free(v->text);
}

int xl_changes_diff(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
                    const xl_changes_opts_t *opts, xl_changes_t **out, char *err, size_t errlen)
{
    xl_changes_t *c = xcalloc(1, sizeof *c);
    *out = NULL;
    int rc = parse(&c->old, "old", old_text, old_len, opts, err, errlen);
    if (rc == ST_OK)
        rc = parse(&c->neu, "new", new_text, new_len, opts, err, errlen);
    if (rc != ST_OK)
        goto fail;
    if (strcmp(c->old.header, c->neu.header) != 0) {
        st_errf(err, errlen, "the texts are different canonical versions: '%s' and '%s'",
                c->old.header, c->neu.header);
        rc = ST_ERR_INVALID;
        goto fail;
    }
    key_sheets(c, opts);
    if ((rc = index_version(&c->old, "old", err, errlen)) != ST_OK ||
        (rc = index_version(&c->neu, "new", err, errlen)) != ST_OK)
        goto fail;
    walk(c);
    *out = c;
    c = NULL;
fail:
    xl_changes_free(c);
    return rc;
}

size_t xl_changes_count(const xl_changes_t *c)
{
    return c ? c->n : 0;
}

const xl_change_t *xl_changes_get(const xl_changes_t *c, size_t i)
{
    return c && i < c->n ? &c->items[i] : NULL;
}

void xl_changes_free(xl_changes_t *c)
{
    if (!c)
        return;
    version_clear(&c->old);
    version_clear(&c->neu);
    free(c->items);
    free(c);
}

/* The value of a lowercase hex digit, or -1. */
static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Unescapes a quoted canonical text (the opening quote at v) into text. */
static int decode_text(const char *v, buf_t *text)
{
    const char *p = v + 1;
    for (;; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '\0')
            return ST_ERR_INVALID; /* no closing quote */
        if (ch == '"')
            return p[1] == '\0' ? ST_OK : ST_ERR_INVALID;
        if (ch < 0x20 || ch == 0x7f)
            return ST_ERR_INVALID; /* xl_digest escapes these */
        if (ch == '\\') {
            if (p[1] == '\\' || p[1] == '"') {
                ch = (unsigned char)*++p;
            } else if (p[1] == 'u' && p[2] == '0' && p[3] == '0' && hex_digit(p[4]) >= 0 &&
                       hex_digit(p[5]) >= 0) {
                ch = (unsigned char)(hex_digit(p[4]) * 16 + hex_digit(p[5]));
                p += 5;
            } else {
                return ST_ERR_INVALID;
            }
        }
        if (text && buf_putc(text, (char)ch) != ST_OK)
            return ST_ERR_TOO_LARGE;
    }
}

int xl_changes_decode(const char *value, xl_value_kind_t *kind, double *num, buf_t *text)
{
    *num = NAN;
    *kind = XL_VALUE_NULL;
    if (strcmp(value, "null") == 0)
        return ST_OK;
    if (value[0] == '"') {
        *kind = XL_VALUE_TEXT;
        return decode_text(value, text);
    }
    /* "%.17g" writes only these: no spaces, hex, nan or inf for strtod to accept. */
    if (value[0] == '\0' || strspn(value, "0123456789.eE+-") != strlen(value))
        return ST_ERR_INVALID;
    char *end = NULL;
    double d = strtod(value, &end);
    if (!end || *end != '\0' || !isfinite(d))
        return ST_ERR_INVALID;
    *kind = XL_VALUE_NUMBER;
    *num = d;
    return ST_OK;
}
