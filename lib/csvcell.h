/*
 * csvcell.h - writing CSV for people who open it in a spreadsheet
 * (RFC 4180): a cell is quoted when it holds a comma, a quote, CR or LF
 * (quotes doubled), and a cell a spreadsheet would read as a formula
 * (first character = + - @ TAB or CR) is prefixed with an apostrophe
 * (OWASP "CSV injection").  Pure; any thread.
 */
#ifndef SLT_CSVCELL_H
#define SLT_CSVCELL_H

#include "buf.h"

/* Appends one cell (NULL as empty), without a separator. */
void csvcell_put(buf_t *out, const char *s);

/* Appends a row of n cells, comma-separated, ended by CRLF. */
void csvcell_row(buf_t *out, const char *const *cells, size_t n);

#endif
