/* csvcell.c - CSV cells safe to open in a spreadsheet (see csvcell.h). */
#include "csvcell.h"

#include <stdbool.h>
#include <string.h>

void csvcell_put(buf_t *out, const char *s)
{
    if (!s)
        s = "";
    bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        buf_putc(out, '"');
    if (formula)
        buf_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(out, '"');
        buf_putc(out, *s);
    }
    if (quote)
        buf_putc(out, '"');
}

void csvcell_row(buf_t *out, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, ',');
        csvcell_put(out, cells[i]);
    }
    buf_puts(out, "\r\n");
}
