/*
 * cdr_reader_int.h - what the contact reader's files share and nobody else
 * sees (libevent's http-internal.h pattern): the reader struct, the per
 * format entry points and the helpers that report rows and errors.
 *
 * cdr_reader.c owns the public API and the reporting helpers, cdr_csv.c the
 * CSV format, cdr_json.c the JSON array and NDJSON formats.  Everything here
 * runs on the thread that owns the reader.
 */
#ifndef SLT_CDR_READER_INT_H
#define SLT_CDR_READER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cdr.h"
#include "cdr_reader.h"
#include "cdr_validate.h"
#include "csv.h"

/* Room for a column or key name in an error (cdr_error_t.field). */
#define CDR_NAME_MAX (sizeof(((cdr_error_t *)0)->field))

typedef struct cdr_csv_state {
    csv_reader_t *csv;
    int header_done;
    size_t ncols;
    int *col_field;                 /* cdr_field of each column, -1 for an x_ column */
    char (*col_name)[CDR_NAME_MAX]; /* each column's name, for errors */
} cdr_csv_state_t;

typedef struct cdr_json_state {
    int state;          /* a JSON_* scanner state (cdr_json.c) */
    unsigned bom_len;   /* BOM bytes matched so far */
    int bom_done;       /* the BOM question is settled */
    int seen_data;      /* a byte other than whitespace was seen */
    uint64_t line;      /* current line, 1-based */
    uint64_t elem_line; /* line of the current element / NDJSON line */
    buf_t elem;         /* bytes of the current element or line */
    int in_string, escape;
    int scalar; /* the element is not an object or array */
    size_t depth;
    char num[CDR_F_COUNT][24]; /* JSON integers rendered as text for cdr_validate */
} cdr_json_state_t;

struct cdr_reader {
    cdr_format fmt;
    int rc;       /* sticky failure code, 0 while healthy */
    int finished; /* cdr_reader_finish was called */
    int have_error;
    cdr_error_t error; /* the fatal error when have_error */
    cdr_error_t *more; /* further fatal errors found with it (a CSV header's), in order */
    size_t nmore;
    uint64_t rows;
    const cdr_sink_t *sink; /* valid during feed / finish only */
    cdr_csv_state_t csv;
    cdr_json_state_t json;
};

/* Records a fatal error (field may be NULL) and returns rc. */
int cdr_reader_fail(cdr_reader_t *r, int rc, uint64_t line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Records one more fatal error found together with the first (a header's
 * faults are all listed); the first is still set with cdr_reader_fail. */
void cdr_reader_also(cdr_reader_t *r, uint64_t line, const char *field, const char *const *valid,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Reports a row error to the sink, counting the row.  Returns the sink's
 * code (ST_OK to go on). */
int cdr_reader_reject(cdr_reader_t *r, uint64_t line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same, naming the valid names (static, NULL-ended) the error is about. */
int cdr_reader_reject_valid(cdr_reader_t *r, uint64_t line, const char *field,
                            const char *const *valid, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Validates one row and hands the record or the error to the sink. */
int cdr_reader_deliver(cdr_reader_t *r, const cdr_row_t *row, uint64_t line);

/* Copies a name from input into dst (cap bytes) for an error message:
 * truncated at a UTF-8 boundary, or "?" when it is not valid UTF-8. */
void cdr_reader_copy_name(char *dst, size_t cap, const char *p, size_t len);

void cdr_csv_init(cdr_reader_t *r);
int cdr_csv_feed(cdr_reader_t *r, const char *data, size_t len);
int cdr_csv_finish(cdr_reader_t *r);
void cdr_csv_free(cdr_reader_t *r);

void cdr_json_init(cdr_reader_t *r);
int cdr_json_feed(cdr_reader_t *r, const char *data, size_t len);
int cdr_json_finish(cdr_reader_t *r);
void cdr_json_free(cdr_reader_t *r);

#endif
