/* xl_rowxml.c - one worksheet row as SpreadsheetML text (see xl_rowxml.h). */
#include "xl_rowxml.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gfmt.h"
#include "idnum.h"
#include "status.h"

/* Appends a string literal without measuring it: a row is a dozen of them. */
#define PUT_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

#define ROWS_MAX 1048576u /* Excel's rows and columns */
#define COLS_MAX 16384u

void xl_rowxml_col_name(char out[XL_ROWXML_COL_MAX], size_t col)
{
    char tmp[XL_ROWXML_COL_MAX];
    size_t n = 0;
    col++;
    while (col && n < XL_ROWXML_COL_MAX - 1) {
        col--;
        tmp[n++] = (char)('A' + col % 26);
        col /= 26;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* Appends the decimal digits of v. */
static int put_uint(buf_t *b, uint64_t v)
{
    char d[IDNUM_MAX];
    return buf_append(b, d, idnum_format(v, d));
}

/* Whether p starts Excel's escape _xHHHH_ (so a literal one must be escaped). */
static bool looks_escaped(const char *p)
{
    if (p[0] != '_' || p[1] != 'x')
        return false;
    for (int i = 2; i < 6; i++)
        if (!isxdigit((unsigned char)p[i]))
            return false;
    return p[6] == '_';
}

/* Appends text escaped for element content (see xl_rowxml.h): plain runs in one piece. */
static int put_text(buf_t *b, const char *s, size_t n)
{
    int rc = ST_OK;
    const char *run = s, *end = s + n;
    for (const char *p = s; p < end && rc == ST_OK; p++) {
        unsigned char c = (unsigned char)*p;
        const char *esc = NULL;
        char hex[8];
        if (c == '&')
            esc = "&amp;";
        else if (c == '<')
            esc = "&lt;";
        else if (c == '>')
            esc = "&gt;";
        else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
            snprintf(hex, sizeof hex, "_x%04X_", c);
            esc = hex;
        } else if (c == '_' && looks_escaped(p))
            esc = "_x005F_";
        if (!esc)
            continue;
        rc = buf_append(b, run, (size_t)(p - run));
        if (rc == ST_OK)
            rc = buf_puts(b, esc);
        run = p + 1;
    }
    return rc == ST_OK ? buf_append(b, run, (size_t)(end - run)) : rc;
}

/* Whether a reader would drop white space at either end of s without xml:space. */
static bool needs_preserve(const char *s, size_t n)
{
    return n > 0 && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]));
}

/* Appends one cell's element; with its reference when ref is set. */
static int put_cell(buf_t *b, uint32_t row1, size_t col, bool ref, const xl_rowxml_cell_t *c)
{
    int rc = buf_append(b, "<c", 2);
    if (rc == ST_OK && ref) {
        char name[XL_ROWXML_COL_MAX];
        xl_rowxml_col_name(name, col);
        if ((rc = PUT_LIT(b, " r=\"")) == ST_OK && (rc = buf_puts(b, name)) == ST_OK &&
            (rc = put_uint(b, row1)) == ST_OK)
            rc = buf_putc(b, '"');
    }
    if (rc == ST_OK && c->style && (rc = PUT_LIT(b, " s=\"")) == ST_OK &&
        (rc = put_uint(b, c->style)) == ST_OK)
        rc = buf_putc(b, '"');
    if (rc != ST_OK)
        return rc;
    if (c->kind == XL_ROWXML_NUMBER) {
        char num[GFMT_MAX];
        size_t n = gfmt17(c->num, num);
        if ((rc = PUT_LIT(b, "><v>")) == ST_OK && (rc = buf_append(b, num, n)) == ST_OK)
            rc = PUT_LIT(b, "</v></c>");
        return rc;
    }
    const char *text = c->text ? c->text : "";
    size_t len = strlen(text);
    rc = needs_preserve(text, len) ? PUT_LIT(b, " t=\"inlineStr\"><is><t xml:space=\"preserve\">")
                                   : PUT_LIT(b, " t=\"inlineStr\"><is><t>");
    if (rc == ST_OK)
        rc = put_text(b, text, len);
    return rc == ST_OK ? PUT_LIT(b, "</t></is></c>") : rc;
}

int xl_rowxml_row(buf_t *out, uint32_t row1, double height, const xl_rowxml_cell_t *cells, size_t n)
{
    if (row1 == 0 || row1 > ROWS_MAX || n > COLS_MAX)
        return ST_ERR_INVALID;
    int rc = PUT_LIT(out, "<row r=\"");
    if (rc == ST_OK)
        rc = put_uint(out, row1);
    if (rc == ST_OK && height > 0) {
        char num[GFMT_MAX];
        gfmt17(height, num);
        if ((rc = PUT_LIT(out, "\" ht=\"")) == ST_OK && (rc = buf_puts(out, num)) == ST_OK)
            rc = PUT_LIT(out, "\" customHeight=\"1");
    }
    if (rc == ST_OK)
        rc = PUT_LIT(out, "\">");
    bool gap = false; /* an empty cell before: the next one names its column */
    for (size_t c = 0; c < n && rc == ST_OK; c++) {
        if (cells[c].kind == XL_ROWXML_EMPTY) {
            gap = true;
            continue;
        }
        rc = put_cell(out, row1, c, gap, &cells[c]);
        gap = false;
    }
    return rc == ST_OK ? PUT_LIT(out, "</row>") : rc;
}
