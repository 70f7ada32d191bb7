/* cdr_csv.c - contacts as CSV with a header row (see cdr_reader.h). */
#include <stdlib.h>
#include <string.h>

#include "cdr_reader_int.h"
#include "status.h"
#include "xmem.h"

/* Records a fatal error about a header column, named in the field and the
 * message: `what "name"why`. */
static int header_fail(cdr_reader_t *r, uint64_t line, const csv_field_t *name, const char *what,
                       const char *why)
{
    char shown[CDR_NAME_MAX];
    cdr_reader_copy_name(shown, sizeof shown, name->ptr, name->len);
    return cdr_reader_fail(r, ST_ERR_INVALID, line, shown, "%s \"%s\"%s", what, shown, why);
}

/* Maps the header's columns to fields; every problem is fatal. */
static int csv_header(cdr_reader_t *r, const csv_field_t *f, size_t n, uint64_t line)
{
    cdr_csv_state_t *s = &r->csv;
    int seen[CDR_F_COUNT] = {0};
    s->col_field = xcalloc(n, sizeof *s->col_field);
    s->col_name = xcalloc(n, sizeof *s->col_name);
    s->ncols = n;
    for (size_t i = 0; i < n; i++) {
        if (f[i].len == 0)
            return cdr_reader_fail(r, ST_ERR_INVALID, line, "", "column %zu has an empty name",
                                   i + 1);
        if (cdr_validate_text(f[i].ptr, f[i].len) != CDR_TEXT_OK)
            return cdr_reader_fail(r, ST_ERR_INVALID, line, "",
                                   "the name of column %zu is not valid UTF-8 or has a NUL byte",
                                   i + 1);
        cdr_reader_copy_name(s->col_name[i], CDR_NAME_MAX, f[i].ptr, f[i].len);
        int fld = cdr_field_lookup(f[i].ptr, f[i].len);
        if (fld >= 0) {
            if (seen[fld])
                return header_fail(r, line, &f[i], "duplicate column", "");
            seen[fld] = 1;
            s->col_field[i] = fld;
            continue;
        }
        if (f[i].len < 2 || memcmp(f[i].ptr, "x_", 2) != 0)
            return header_fail(r, line, &f[i], "unknown column",
                               " (names are exact and case-sensitive; prefix a column with x_ "
                               "to have it ignored)");
        for (size_t j = 0; j < i; j++)
            if (s->col_field[j] < 0 && f[j].len == f[i].len &&
                memcmp(f[j].ptr, f[i].ptr, f[i].len) == 0)
                return header_fail(r, line, &f[i], "duplicate column", "");
        s->col_field[i] = -1;
    }
    for (int fld = 0; fld < CDR_F_COUNT; fld++)
        if (cdr_field_required((cdr_field)fld) && !seen[fld])
            return cdr_reader_fail(r, ST_ERR_INVALID, line, cdr_field_name((cdr_field)fld),
                                   "required column \"%s\" is missing",
                                   cdr_field_name((cdr_field)fld));
    s->header_done = 1;
    return ST_OK;
}

/* The csv_reader callback: the header first, then one contact per record. */
static int csv_on_record(void *ctx, const csv_field_t *f, size_t n, uint64_t line)
{
    cdr_reader_t *r = ctx;
    cdr_csv_state_t *s = &r->csv;
    if (!s->header_done)
        return csv_header(r, f, n, line);
    if (n != s->ncols)
        return cdr_reader_reject(r, line, "", "the row has %zu fields but the header has %zu", n,
                                 s->ncols);
    cdr_row_t row;
    memset(&row, 0, sizeof row);
    for (size_t i = 0; i < n; i++) {
        int fld = s->col_field[i];
        if (fld >= 0) {
            row.v[fld].ptr = f[i].ptr;
            row.v[fld].len = f[i].len;
        } else if (f[i].len) {
            /* Ignored, but "invalid UTF-8 in any field" still applies. */
            int t = cdr_validate_text(f[i].ptr, f[i].len);
            if (t != CDR_TEXT_OK)
                return cdr_reader_reject(r, line, s->col_name[i], "%s %s", s->col_name[i],
                                         t == CDR_TEXT_NUL ? "contains a NUL byte"
                                                           : "is not valid UTF-8");
        }
    }
    return cdr_reader_deliver(r, &row, line);
}

void cdr_csv_init(cdr_reader_t *r)
{
    csv_limits_t lim = {
        .max_field = CSV_DEFAULT_MAX_FIELD,
        .max_cols = CSV_DEFAULT_MAX_COLS,
        .max_record = CDR_READER_MAX_RECORD,
    };
    r->csv.csv = csv_reader_new(&lim, csv_on_record, r);
}

void cdr_csv_free(cdr_reader_t *r)
{
    csv_reader_free(r->csv.csv);
    free(r->csv.col_field);
    free(r->csv.col_name);
}

/* Turns a csv_reader failure into the reader's fatal error (unless it was
 * ours or the sink's, already recorded or to be passed through). */
static int csv_result(cdr_reader_t *r, int rc)
{
    if (rc >= 0 || r->have_error)
        return rc;
    const char *msg = csv_reader_error(r->csv.csv);
    if (msg[0] == '\0')
        return rc; /* the sink stopped parsing */
    size_t col = csv_reader_error_column(r->csv.csv);
    const char *field = "";
    if (r->csv.header_done && col >= 1 && col <= r->csv.ncols)
        field = r->csv.col_name[col - 1];
    return cdr_reader_fail(r, rc, csv_reader_error_line(r->csv.csv), field, "%s", msg);
}

int cdr_csv_feed(cdr_reader_t *r, const char *data, size_t len)
{
    return csv_result(r, csv_feed(r->csv.csv, data, len));
}

int cdr_csv_finish(cdr_reader_t *r)
{
    int rc = csv_result(r, csv_finish(r->csv.csv));
    if (rc == ST_OK && !r->csv.header_done)
        return cdr_reader_fail(r, ST_ERR_INVALID, 1, "",
                               "the body is empty (expected a header row)");
    return rc;
}
