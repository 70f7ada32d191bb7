/*
 * cdr_reader.h - streaming contact parsers for CSV, a JSON array and NDJSON.
 *
 * The caller pushes the body in as it arrives (any chunk sizes, even one
 * byte at a time) and the reader calls the sink (cdr.h) once per row: a
 * valid cdr_t, or a row error with the line, field and message.  Memory
 * stays flat whatever the body size: the reader holds one record (CSV) or
 * one element / line (JSON, NDJSON), capped at CDR_READER_MAX_RECORD bytes.
 * No I/O.  The reader is owned by its creator; records and errors handed
 * to the sink are valid only during the call.  One thread at a time.
 *
 * Two kinds of error:
 * - a row error (a bad value in one row) goes to sink->reject and parsing
 *   goes on with the next row; strict or lenient commit is the caller's
 *   choice;
 * - a fatal error stops the whole body: cdr_reader_feed / _finish return a
 *   negative st_code and cdr_reader_error() tells the line and reason.
 * Values are checked by cdr_validate.h (the rules are listed there).
 *
 * CSV (RFC 4180, see lib/csv.h for the dialect: CRLF/LF, BOM, quoting):
 * - The first record is the header.  Names match exactly: case-sensitive,
 *   no trimming ("Call_ID" and " call_id" are unknown columns), because a
 *   near-miss is more likely a different export than a typo worth guessing.
 * - Column order is free.  call_id, queue, offered_at and ended_at must be
 *   present; an unknown column is fatal unless it starts with "x_" (then it
 *   is ignored, though its values must still be UTF-8); a repeated name,
 *   an empty name or a name that is not UTF-8 is fatal.  Every fault of the
 *   header is named at once (cdr_reader_error_at): each unknown column with
 *   the known ones (error.valid), each missing required column.
 * - A row with a different number of fields than the header is a row error
 *   (this is how a body cut off mid-row shows up, unless it is cut inside
 *   quotes, which is the fatal "quoted field not closed").
 * - Fatal: the format errors of lib/csv.h, a field over 64 KiB, more than
 *   256 columns, a record over CDR_READER_MAX_RECORD, an empty body (no
 *   header).  A header with no rows is fine (0 rows).
 * - Lines: a row error names the line its record starts on.
 *
 * JSON (CDR_FMT_JSON): one top-level array of objects, split into elements
 * by a byte scanner (strings, escapes, nesting) and each element parsed by
 * jansson.  Keys are the CSV column names; unknown keys are a row error
 * unless they start with "x_" (ignored, any type).  Types: ids, instants,
 * outcome and channel must be strings; talk_s, hold_s, acw_s and csat may be
 * a JSON integer or a string of digits (same rule as CSV); transferred and
 * resolved may be 0/1 (integer or string) or true/false.  null and "" mean
 * "not given".  Fractional and exponent numbers (5.0, 1e3) are "not a whole
 * number".  JSON -0 is the integer zero to jansson and is accepted as 0 (the
 * CSV text "-0" is rejected); JSON +5 is a syntax error.  Row errors: an
 * element that is not an object, a wrong type, an unknown key, a duplicate
 * key, invalid UTF-8 or a NUL in a key, an integer too big for jansson.
 * Fatal: anything else that is not valid JSON (inside an element too, as
 * the element boundaries can no longer be trusted), a body that does not
 * start with '[', anything but whitespace after the closing ']', a missing
 * ']' at the end (body cut off), an element over CDR_READER_MAX_RECORD, an
 * empty body.  `[]` is fine (0 rows).  Lines: the line of the element's
 * first byte (its opening brace).
 *
 * NDJSON (CDR_FMT_NDJSON): one object per line (LF or CRLF), blank and
 * whitespace-only lines ignored, a last line without LF accepted.  Each line
 * is independent, so a line that is not valid JSON is a row error, not
 * fatal.  Fatal: a line over CDR_READER_MAX_RECORD, an empty body.
 *
 * A UTF-8 BOM at the start of the body is skipped in every format.
 */
#ifndef SLT_CDR_READER_H
#define SLT_CDR_READER_H

#include <stddef.h>
#include <stdint.h>

#include "cdr.h"

#define CDR_READER_MAX_RECORD (1024u * 1024u)

typedef enum cdr_format {
    CDR_FMT_CSV = 1,
    CDR_FMT_JSON = 2,
    CDR_FMT_NDJSON = 3,
} cdr_format;

typedef struct cdr_reader cdr_reader_t;

/* Creates a reader for one body in format fmt; NULL for an unknown format.
 * Free with cdr_reader_free.  Any thread. */
cdr_reader_t *cdr_reader_new(cdr_format fmt);

/* Parses len more bytes (copied only as far as the current record needs),
 * calling the sink for every row completed.  Returns ST_OK; a negative
 * st_code from a fatal error (ST_ERR_INVALID or ST_ERR_TOO_LARGE, see
 * cdr_reader_error); or the negative code a sink callback returned, which
 * stops parsing.  After any failure every later call returns the same code.
 * The sink is not kept beyond the call. */
int cdr_reader_feed(cdr_reader_t *r, const char *data, size_t len, const cdr_sink_t *sink);

/* Ends the body: delivers the last row if it had no line break, and fails
 * on an empty body, an open quote or an unclosed JSON array.  Same returns
 * as cdr_reader_feed.  Call once, after the last feed. */
int cdr_reader_finish(cdr_reader_t *r, const cdr_sink_t *sink);

/* The fatal error (line, field or "", message), or NULL when there was none
 * (also when a sink callback stopped parsing).  Owned by the reader. */
const cdr_error_t *cdr_reader_error(const cdr_reader_t *r);
/* How many fatal errors were found together (a CSV header names all its
 * faults: each unknown column, each missing required one), and each of
 * them (0 is cdr_reader_error()); NULL out of range.  Owned by the reader. */
size_t cdr_reader_error_count(const cdr_reader_t *r);
const cdr_error_t *cdr_reader_error_at(const cdr_reader_t *r, size_t i);

/* Rows delivered so far, valid and rejected (the CSV header is not a row). */
uint64_t cdr_reader_rows(const cdr_reader_t *r);

/* Releases the reader; NULL is a no-op. */
void cdr_reader_free(cdr_reader_t *r);

#endif
