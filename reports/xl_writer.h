/*
 * xl_writer.h - writes a workbook (.xlsx) for a template and a report model
 * with libxlsxwriter (REPORTS.md "Properties every workbook has").
 *
 * What it writes: the template's sheets in order, named in the model's
 * language; table sheets with a bold header row (frozen; a number column's
 * label right-aligned over its numbers), one row per model row, every
 * number stored as a number with the column's number format ("{currency}"
 * in a format becomes the Cover's XL_FACT_CURRENCY, so a money column
 * shows its currency), NAN as an empty cell, text as text indented one
 * step (so it never runs into a right-aligned number before it, "74.5%
 * missed"); a totals row of Excel
 * formulas written together with their value (xl_model_total()), so a
 * viewer that does not recalculate shows the right number; conditional
 * formats (rules as formulas that never colour an empty cell; heat maps as
 * one 3-colour scale over adjacent heat columns); charts below the table;
 * facts sheets as "label | value | note", with headings and blocks (small
 * tables among the items, whose columns the values span merged), each
 * printed on one page; each chart on a printed page of its own (a page
 * break before it), its axes titled, the category axis in its column's
 * number format.  Every sheet prints landscape, A4, fit
 * to one page wide, with the tenant on the left of the page header, the
 * sheet name in the middle and the period on the right.  The Cover's
 * XL_FACT_DATA_DIGEST is the digest xl_digest() computes, fed row by row
 * as the sheets are written (so a streamed table is read once); the
 * sheets that show it are filled last.
 *
 * A sheet never exceeds Excel's 1,048,576 rows (REPORTS.md "Evidence"):
 * a table whose rows do not fit (header and totals row included, at most
 * max_rows_per_sheet rows a sheet) continues on sheets named "<name> (2)",
 * "<name> (3)" ... right after it, the name cut to keep to 31 characters,
 * each with the same header row, columns, widths, frozen panes, print
 * setup and conditional formats (over its own rows: a heat map's colours
 * compare within one sheet).  The totals row follows the last row on the
 * last sheet, its formulas over the rows of every sheet
 * ("=SUM(B2:B1048576,'Evidence (2)'!B2:B10)").  A table with charts that
 * does not fit one sheet is refused (ST_ERR_TOO_LARGE): a chart series is
 * one range.  A continuation whose tab is another sheet's is refused
 * (ST_ERR_INVALID).  The data digest does not depend on the split
 * (xl_digest.h).
 *
 * Deterministic: the document's creation date is the model's
 * generated_at, never the clock, and libxlsxwriter 1.1.4 stamps every zip
 * entry with a fixed date, so the same template, model and generated_at
 * give byte-identical files.
 *
 * Constant memory: with it, libxlsxwriter flushes each row to a temporary
 * file as soon as the next row starts, so a sheet of a million rows does
 * not grow memory; it requires writing each sheet's rows strictly in
 * order, which this writer always does (header, rows, totals; facts top to
 * bottom; a sheet written after later ones, as the Cover is, has its own
 * temporary file), so both modes give the same workbook content (text
 * cells are inline strings instead of shared strings in constant memory).
 * It is an option of the whole workbook in libxlsxwriter; auto turns it on
 * when the model has a streamed table (xl_model.h) or a table of more than
 * XL_CONST_MEM_ROWS rows.  With a streamed table, memory is then bounded
 * by the stored tables and one row of the stream.
 *
 * Streamed rows: a streamed table's data rows (Evidence: a row per
 * contact, hundreds of thousands) skip libxlsxwriter, whose cell objects,
 * format lookups and fprintf cost about 10 us a row, plus its deflate at
 * zlib's default level.  libxlsxwriter writes each sheet of such a table
 * with its header row, columns, panes, print set-up, conditional formats
 * and totals row; the writer turns each data row into XML itself
 * (xl_rowxml.h: the same cell formats, text labels and formula guards as
 * a cell written through libxlsxwriter, numbers as "%.17g") and deflates
 * it on a second thread while the stream is read; once libxlsxwriter has
 * closed the file, xl_splice.h puts the rows into each sheet's part.  The
 * cells read back the same either way (tests/xl compares the two with
 * openpyxl); the bytes differ.
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

#define XL_CONST_MEM_ROWS 5000    /* auto: constant memory when a table has more rows */
#define XL_SHEET_MAX_ROWS 1048576 /* Excel's rows of a sheet */

typedef struct xl_write_opts {
    int constant_memory; /* -1: auto (XL_CONST_MEM_ROWS, streams), 0: off, 1: on */
    const char *tmpdir;  /* libxlsxwriter's temporary files; NULL: the system's */
    /* Rows of a table sheet before it continues on a next sheet, its header
     * and totals row included: 2..XL_SHEET_MAX_ROWS (tests set a few). */
    size_t max_rows_per_sheet;
    /* A streamed table's rows: 1 written by this writer into the sheet
     * (see "Streamed rows" above), 0 through libxlsxwriter cell by cell
     * (the tests compare the two). */
    int splice_rows;
} xl_write_opts_t;

/* Fills *o with the defaults (auto constant memory, system tmpdir,
 * XL_SHEET_MAX_ROWS rows a sheet, streamed rows spliced). */
void xl_write_opts_default(xl_write_opts_t *o);

/*
 * Writes the workbook of template t and model m to `path` (created or
 * replaced).  opts may be NULL (defaults).  On ST_OK, when digest_hex is
 * not NULL, it receives the data digest shown on the Cover (65 bytes).
 * ST_ERR_INVALID (reason in err) when the model does not fit the template
 * (xl_model_check(); a streamed row as it is read), generated_at is unset,
 * max_rows_per_sheet is out of range, or the model's XL_FACT_DATA_DIGEST
 * differs from the computed digest; ST_ERR_TOO_LARGE (see above); ST_ERR_IO
 * (with libxlsxwriter's reason) when the file cannot be written; a
 * streamed table's source error.  On failure a file may be left at path
 * for the caller to remove.  Inputs are only read (each streamed table's
 * source makes one pass).  Any thread; serialised by a process-wide mutex
 * (see above).
 */
int xl_write(const char *path, const xl_tpl_t *t, const xl_model_t *m, const xl_write_opts_t *opts,
             char *digest_hex, char *err, size_t errlen);

#endif
