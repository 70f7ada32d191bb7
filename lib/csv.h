/*
 * csv.h - a streaming RFC 4180 reader with hard limits and line tracking.
 *
 * Bytes are pushed in as they arrive (csv_feed), cut anywhere, even one byte
 * at a time; each complete record is handed to a callback as an array of
 * (pointer, length) fields together with the 1-based line on which the
 * record started.  Memory stays bounded by the limits whatever the input
 * size: the reader keeps only the current record.
 *
 * Why our own reader and not libcsv (which is installed): libcsv neither
 * reports line numbers nor bounds a field or a record (a 1 GB field grows
 * its buffer to 1 GB), and it tolerates malformed quoting silently in its
 * default mode; ingestion needs the line of every error and firm limits.
 * Note: this header shadows libcsv's <csv.h> on the include path (-Ilib), and
 * its function names are chosen not to clash with libcsv's symbols.
 *
 * Dialect: comma separator, '"' quote, "" for a quote inside a quoted field.
 * Records end with LF, CRLF or a lone CR, freely mixed; line breaks inside
 * quoted fields are data (and still counted for line numbers).  A UTF-8 BOM
 * at the very start is skipped.  A line with no bytes at all is skipped
 * (blank lines between or after records), while `""` is one empty field.
 * The final record needs no line break (csv_finish delivers it).  Fatal
 * errors, after which the reader refuses more input: a quote inside an
 * unquoted field (a"b), a character other than , " or a line break after a
 * closing quote ("a"b), a quote still open at the end of the input, and
 * any limit exceeded.  Bytes are not interpreted (UTF-8 and NUL checks are
 * the caller's).
 *
 * Ownership: the reader is owned by its creator (csv_reader_new /
 * csv_reader_free).  Fields passed to the callback point into the reader's
 * buffer and are valid only during the call; each is followed by a NUL byte
 * (not counted in len) so a field may be read as a C string when it has no
 * NUL of its own.  One reader is used by one thread at a time.
 */
#ifndef SLT_CSV_H
#define SLT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CSV_DEFAULT_MAX_FIELD  (64u * 1024u)   /* bytes in one field (unescaped) */
#define CSV_DEFAULT_MAX_COLS   256u            /* fields in one record */
#define CSV_DEFAULT_MAX_RECORD (1024u * 1024u) /* bytes in one record (unescaped) */

typedef struct csv_limits {
    size_t max_field;
    size_t max_cols;
    size_t max_record;
} csv_limits_t;

typedef struct csv_field {
    const char *ptr;
    size_t len;
} csv_field_t;

/* Called once per complete record.  Return 0 to go on, or a negative
 * st_code to stop: csv_feed / csv_finish then return that code. */
typedef int (*csv_record_fn)(void *ctx, const csv_field_t *fields, size_t nfields, uint64_t line);

typedef struct csv_reader csv_reader_t;

/* Creates a reader.  `limits` is copied (NULL: the defaults above; a zero
 * member also takes its default); cb and ctx are kept, not copied.  The
 * caller frees the result with csv_reader_free.  Any thread. */
csv_reader_t *csv_reader_new(const csv_limits_t *limits, csv_record_fn cb, void *ctx);

/* Parses len more bytes (not copied beyond the current record), calling the
 * callback for each record completed.  Returns ST_OK, ST_ERR_INVALID or
 * ST_ERR_TOO_LARGE for a fatal format error (see csv_reader_error), or the
 * callback's negative code.  After any error every later call returns the
 * same code. */
int csv_feed(csv_reader_t *r, const char *data, size_t len);

/* Ends the input: delivers a last record that had no line break, or fails
 * with ST_ERR_INVALID if a quoted field is still open.  Call once. */
int csv_finish(csv_reader_t *r);

/* The message of the fatal format error ("" if none), e.g. "a quoted field
 * opened on line 3 is not closed at the end of the input".  Owned by the
 * reader, valid until the next call on it. */
const char *csv_reader_error(const csv_reader_t *r);

/* The line the fatal error is reported against: the start of the record it
 * happened in (0 if none). */
uint64_t csv_reader_error_line(const csv_reader_t *r);

/* The 1-based field (column) the fatal error is about, or 0 when it is not
 * about one field (an unclosed quote, too many fields, a long record). */
size_t csv_reader_error_column(const csv_reader_t *r);

/* Lines seen so far (1 + line breaks consumed), for progress reporting. */
uint64_t csv_reader_line(const csv_reader_t *r);

/* Releases the reader; NULL is a no-op. */
void csv_reader_free(csv_reader_t *r);

/* --- Writing ------------------------------------------------------------ */

/*
 * True for text a spreadsheet would take for a formula once it is opened
 * from CSV: it starts with = + - @, a tab or a carriage return ("CSV
 * injection", OWASP).  Such text is written with a leading apostrophe.
 */
bool csv_formula_like(const char *text);

/*
 * Appends one field to out: quoted (with "" for a quote) when it holds a
 * comma, a quote, CR or LF; text that is csv_formula_like() gets a leading
 * apostrophe when `guard` (text cells; numbers written by the caller pass
 * false).  No separator: the caller writes ',' and "\r\n".
 */
int csv_write_field(buf_t *out, const char *text, bool guard);

#endif
