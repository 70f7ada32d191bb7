/*
 * xl_digest.h - the data digest on a workbook's Cover (REPORTS.md): SHA-256
 * over a canonical serialisation of the values the workbook shows, so a
 * re-computation can be compared with an issued report without comparing
 * the bytes of the files.
 *
 * The canonical text (version 1), UTF-8, every line ending in "\n":
 *
 *   slattest-data-digest 1
 *   then, for each sheet of the template in order whose "digest" is true
 *   (the Cover is not: it shows the digest, the report id and the time of
 *   generation, which a re-computation changes):
 *     table sheets: for each row r of the table (1-based) in order, for
 *       each template column in order (hidden ones too):
 *         <sheet id> TAB <r> TAB <column key> TAB <value>
 *       then, when the sheet has totals, for each column with a total:
 *         <sheet id> TAB total TAB <column key> TAB <value>
 *     facts sheets: for each item in order (headings are not values):
 *         <sheet id> TAB 1 TAB <key> TAB <value>
 *
 *   <value> is "null" for an undefined number (NAN, an empty cell); a
 *   number as C printf "%.17g" (enough digits to give back the same
 *   double; -0 is written as 0), e.g. 0.1 -> 0.10000000000000001, 42 ->
 *   42; a text as '"' + the text + '"' with '\\' -> "\\\\", '"' -> "\\\"" and
 *   every byte below 0x20 or 0x7f as "\\u00XX" (lowercase hex).  Totals are
 *   the values written next to their formulas (xl_model_total()).
 *
 * Sheet ids and keys, not the localised names and labels, are hashed, and
 * number formats are not (they change how a value looks, not what it is):
 * the same numbers in English and in Chinese have the same digest as long
 * as the model's text cells are the same.
 *
 * A table continued on next sheets (xl_writer.h, max_rows_per_sheet) is
 * still one table: its rows are numbered 1..n across all its sheets under
 * the template's sheet id, and its totals are over all of them, so the
 * digest does not depend on where the table was split, nor on whether it
 * was stored in the model or streamed.
 *
 * Two ways to compute it, one definition: xl_digest() walks a whole model;
 * the writer feeds the same lines as it writes each row (xl_digest_new(),
 * xl_digest_row(), xl_digest_totals(), xl_digest_facts(),
 * xl_digest_finish()), so a streamed table is read once.  Both produce
 * the lines through the same functions below.
 *
 * No global state; any thread.  Inputs are only read (a streamed
 * table's source does its own reading, see xl_model.h).
 */
#ifndef SLT_XL_DIGEST_H
#define SLT_XL_DIGEST_H

#include <stddef.h>

#include "buf.h"
#include "xl_model.h"
#include "xl_template.h"

#define XL_DIGEST_HEX_LEN 64

/*
 * The digest of model m shown through template t as 64 lowercase hex
 * digits into hex[65].  Streamed tables are read once more (one pass of
 * their source).  ST_ERR_INVALID (reason in err) when the model does not
 * fit the template (xl_model_check(), and each streamed row as it is
 * read); ST_ERR_CRYPTO when OpenSSL fails; a source's own error.  Any
 * thread.
 */
int xl_digest(const xl_tpl_t *t, const xl_model_t *m, char hex[XL_DIGEST_HEX_LEN + 1], char *err,
              size_t errlen);

/*
 * The canonical text itself, appended to *out (the caller owns the buffer
 * and its cap; ST_ERR_TOO_LARGE past it).  For tests and for showing an
 * auditor what was hashed.  Errors as xl_digest().  Any thread.
 */
int xl_digest_text(const xl_tpl_t *t, const xl_model_t *m, buf_t *out, char *err, size_t errlen);

/*
 * The same lines for the tables the model holds, leaving out streamed
 * tables (per-contact listings such as Evidence: not metric values, and
 * millions of lines in a large month).  What a report keeps for the next
 * version's Changes sheet.  Errors as xl_digest().  Any thread.
 */
int xl_digest_text_held(const xl_tpl_t *t, const xl_model_t *m, buf_t *out, char *err,
                        size_t errlen);

/* A digest being fed sheet by sheet (the writer's way, see above). */
typedef struct xl_digest_run xl_digest_run_t;

/*
 * Starts a digest: the version line is fed.  text, when not NULL, also
 * receives the canonical text (borrowed until xl_digest_finish()).  The
 * result is the caller's: xl_digest_finish() or xl_digest_free().
 */
xl_digest_run_t *xl_digest_new(buf_t *text);
/* Feeds the current row of cursor c over table sheet sh (nothing when sh
 * is not in the digest).  Rows must come in order, sheets in template
 * order. */
void xl_digest_row(xl_digest_run_t *d, const xl_tpl_sheet_t *sh, const xl_cursor_t *c);
/* Feeds the totals of sh (when it has some and is in the digest) from a
 * cursor that has passed the table's last row. */
void xl_digest_totals(xl_digest_run_t *d, const xl_tpl_sheet_t *sh, const xl_cursor_t *c);
/* Feeds facts sheet sh over row 0 of table tb (nothing when sh is not in
 * the digest). */
void xl_digest_facts(xl_digest_run_t *d, const xl_tpl_sheet_t *sh, const xl_table_t *tb);
/*
 * Ends the digest: hex (when not NULL) receives it.  ST_OK, ST_ERR_CRYPTO
 * when OpenSSL failed, ST_ERR_TOO_LARGE when text went past its cap; the
 * reason in err.  Frees d.
 */
int xl_digest_finish(xl_digest_run_t *d, char hex[XL_DIGEST_HEX_LEN + 1], char *err, size_t errlen);
/* Releases an unfinished digest; NULL does nothing. */
void xl_digest_free(xl_digest_run_t *d);

#endif
