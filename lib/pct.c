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

bool pct_field(const char *text, size_t n, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *q = text, *end_all = text ? text + n : NULL;
    while (q && q < end_all) {
        const char *end = memchr(q, '&', (size_t)(end_all - q));
        size_t len = end ? (size_t)(end - q) : (size_t)(end_all - q);
        if (len > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
            char *v = pct_decode(q + nl + 1, len - nl - 1, true);
            bool ok = v && strlen(v) < outlen;
            if (ok)
                memcpy(out, v, strlen(v) + 1);
            free(v);
            return ok;
        }
        q = end ? end + 1 : NULL;
    }
    return false;
}
