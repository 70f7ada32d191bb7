/* pct.c - percent-decoding (see pct.h). */
#include "pct.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "utf8.h"
#include "xmem.h"

char *pct_decode(const char *s, size_t n, bool plus_is_space)
{
    char *out = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? hash_hexdigit(s[i + 1]) : -1;
            int lo = i + 2 < n ? hash_hexdigit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                goto fail;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        out[k++] = c;
    }
    out[k] = '\0';
    if (!utf8_valid(out, k)) /* also refuses NUL bytes */
        goto fail;
    return out;
fail:
    free(out);
    return NULL;
}
