/*
 * xl_writer.h - writes a workbook (.xlsx) for a template and a report model
 * with libxlsxwriter (REPORTS.md "Properties every workbook has").
 *
 * What it writes: the template's sheets in order, named in the model's
 * language; table sheets with a bold header row (frozen), one row per
 * model row, every number stored as a number with the column's number
 * format, NAN as an empty cell, text as text; a totals row of Excel
 * formulas written together with their value (xl_model_total()), so a
 * viewer that does not recalculate shows the right number; conditional
 * formats (rules as formulas that never colour an empty cell; heat maps as
 * one 3-colour scale over adjacent heat columns); charts below the table;
 * facts sheets as "label | value".  Every sheet prints landscape, A4, fit
 * to one page wide, with the tenant on the left of the page header, the
 * sheet name in the middle and the period on the right.  The Cover's
 * XL_FACT_DATA_DIGEST is the digest xl_digest() computes.
 *
 * Deterministic: the document's creation date is the model's
 * generated_at, never the clock, and libxlsxwriter 1.1.4 stamps every zip
 * entry with a fixed date, so the same template, model and generated_at
 * give byte-identical files.
 *
 * Constant memory: with it, libxlsxwriter flushes each row to a temporary
 * file as soon as the next row starts, so a sheet of a million rows does
 * not grow memory; it requires writing rows strictly in order, which this
 * writer always does (header, rows, totals; facts top to bottom), so both
 * modes give the same workbook content (text cells are inline strings
 * instead of shared strings in constant memory).
 *
 * Threads: libxlsxwriter's core.c calls the C library's gmtime, which is not
 * thread-safe, when it writes the creation date.  xl_write() therefore
 * holds one process-wide mutex for the whole of writing a workbook: call it
 * from any thread, workbooks are written one at a time.  Nothing else in
 * slattest calls it: make lint bans it, so nothing else races with it.
 */
#ifndef SLT_XL_WRITER_H
#define SLT_XL_WRITER_H

#include <stddef.h>

#include "xl_digest.h"
#include "xl_model.h"
#include "xl_template.h"

#define XL_CONST_MEM_ROWS 5000 /* auto: constant memory when a table has more rows */

typedef struct xl_write_opts {
    int constant_memory; /* -1: auto (XL_CONST_MEM_ROWS), 0: off, 1: on */
    const char *tmpdir;  /* libxlsxwriter's temporary files; NULL: the system's */
} xl_write_opts_t;

/* Fills *o with the defaults (auto constant memory, system tmpdir). */
void xl_write_opts_default(xl_write_opts_t *o);

/*
 * Writes the workbook of template t and model m to `path` (created or
 * replaced).  opts may be NULL (defaults).  On ST_OK, when digest_hex is
 * not NULL, it receives the data digest shown on the Cover (65 bytes).
 * ST_ERR_INVALID (reason in err) when the model does not fit the template
 * (xl_model_check()), generated_at is unset, or the model's
 * XL_FACT_DATA_DIGEST differs from the computed digest; ST_ERR_IO (with
 * libxlsxwriter's reason) when the file cannot be written.  Inputs are only
 * read.  Any thread; serialised by a process-wide mutex (see above).
 */
int xl_write(const char *path, const xl_tpl_t *t, const xl_model_t *m, const xl_write_opts_t *opts,
             char *digest_hex, char *err, size_t errlen);

#endif
