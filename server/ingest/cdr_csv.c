/* cdr_csv.c - contacts as CSV with a header row (see cdr_reader.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_reader_int.h"
#include "faults.h"
#include "status.h"
#include "xmem.h"

/* Records one fault of the header: the first as the reader's fatal error,
 * the others after it, so that every fault is named at once. */
__attribute__((format(printf, 6, 7))) static void header_fault(cdr_reader_t *r, size_t *nfaults,
                                                               uint64_t line, const char *field,
                                                               const char *const *valid,
                                                               const char *fmt, ...)
{
    char msg[sizeof r->error.message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if ((*nfaults)++ == 0) {
        cdr_reader_fail(r, ST_ERR_INVALID, line, field, "%s", msg);
        r->error.valid = valid;
    } else {
        cdr_reader_also(r, line, field, valid, "%s", msg);
    }
}

/* Maps the header's columns to fields; every problem is fatal, and all of them are named. */
static int csv_header(cdr_reader_t *r, const csv_field_t *f, size_t n, uint64_t line)
{
    cdr_csv_state_t *s = &r->csv;
    int seen[CDR_F_COUNT] = {0};
    size_t nfaults = 0;
    char known[400];
    faults_join(cdr_field_names(), known, sizeof known);
    s->col_field = xcalloc(n, sizeof *s->col_field);
    s->col_name = xcalloc(n, sizeof *s->col_name);
    s->ncols = n;
    for (size_t i = 0; i < n; i++) {
        s->col_field[i] = -1;
        if (f[i].len == 0) {
            header_fault(r, &nfaults, line, "", NULL, "column %zu has an empty name", i + 1);
            continue;
        }
        if (cdr_validate_text(f[i].ptr, f[i].len) != CDR_TEXT_OK) {
            header_fault(r, &nfaults, line, "", NULL,
                         "the name of column %zu is not valid UTF-8 or has a NUL byte", i + 1);
            continue;
        }
        char *shown = s->col_name[i];
        cdr_reader_copy_name(shown, CDR_NAME_MAX, f[i].ptr, f[i].len);
        int fld = cdr_field_lookup(f[i].ptr, f[i].len);
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup = dup || (f[j].len == f[i].len && memcmp(f[j].ptr, f[i].ptr, f[i].len) == 0);
        if (dup) {
            header_fault(r, &nfaults, line, shown, NULL, "duplicate column \"%s\"", shown);
        } else if (fld >= 0) {
            seen[fld] = 1;
            s->col_field[i] = fld;
        } else if (f[i].len < 2 || memcmp(f[i].ptr, "x_", 2) != 0) {
            header_fault(r, &nfaults, line, shown, cdr_field_names(),
                         "unknown column \"%s\" (names are exact and case-sensitive; prefix a "
                         "column with x_ to have it ignored; known columns: %s)",
                         shown, known);
        }
    }
    char required[120];
    faults_join(cdr_required_names(), required, sizeof required);
    for (int fld = 0; fld < CDR_F_COUNT; fld++)
        if (cdr_field_required((cdr_field)fld) && !seen[fld])
            header_fault(r, &nfaults, line, cdr_field_name((cdr_field)fld), cdr_required_names(),
                         "required column \"%s\" is missing (required: %s)",
                         cdr_field_name((cdr_field)fld), required);
    if (nfaults)
        return ST_ERR_INVALID;
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
