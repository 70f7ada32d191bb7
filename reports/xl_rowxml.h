/*
 * xl_rowxml.h - one worksheet row as SpreadsheetML text (ECMA-376 part 1,
 * 18.3.1.73 row, 18.3.1.4 c), for the rows of a streamed table that the
 * writer puts into the sheet itself (xl_writer.h, "Streamed rows").
 *
 * What a row looks like:
 *
 *   <row r="7" ht="30" customHeight="1"><c s="3" t="inlineStr"><is><t>c-1</t></is></c>
 *   <c s="25"><v>46296.5</v></c><c r="E7" s="3" t="inlineStr">...</c></row>
 *
 *   - the row's number always; a height only when the row needs more than
 *     one line (the writer's wrapped text);
 *   - a cell's reference only after an empty cell (NAN: no element), since a
 *     cell without one is the next column (18.3.1.4: r is optional); the
 *     references of every cell take about a fifth of a sheet and compress
 *     badly;
 *   - s, the cell format's index in styles.xml, unless it is 0;
 *   - text as an inline string, like libxlsxwriter's constant-memory mode:
 *     &, < and > escaped; characters XML 1.0 cannot carry (C0 controls but
 *     tab, line feed and carriage return) and carriage return itself (which
 *     a parser turns into a line feed) as Excel's _xHHHH_, and a literal
 *     "_x" that would read as one as _x005F_x; xml:space="preserve" when the
 *     text begins or ends with white space, so a reader keeps it;
 *   - a number as "%.17g" (gfmt.h), which reads back as the same double.
 *
 * Pure; any thread.
 */
#ifndef SLT_XL_ROWXML_H
#define SLT_XL_ROWXML_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum xl_rowxml_kind {
    XL_ROWXML_EMPTY, /* no cell (an undefined number) */
    XL_ROWXML_NUMBER,
    XL_ROWXML_TEXT,
} xl_rowxml_kind;

/* One cell: its kind, format index and value (text borrowed, UTF-8). */
typedef struct xl_rowxml_cell {
    xl_rowxml_kind kind;
    uint32_t style;
    double num;
    const char *text;
} xl_rowxml_cell_t;

#define XL_ROWXML_COL_MAX 8 /* "XFD" and its NUL, with room */

/* Excel's letters of a 0-based column ("A", "Z", "AA") into out. */
void xl_rowxml_col_name(char out[XL_ROWXML_COL_MAX], size_t col);

/*
 * Appends row `row1` (1-based, as in A1 references) with cells[0..n) from
 * column A to out; height in points, 0 for the sheet's default.
 * ST_ERR_TOO_LARGE when out's cap is reached (out is then freed, see
 * buf.h); ST_ERR_INVALID for a row or column past Excel's limits.
 */
int xl_rowxml_row(buf_t *out, uint32_t row1, double height, const xl_rowxml_cell_t *cells,
                  size_t n);

#endif
