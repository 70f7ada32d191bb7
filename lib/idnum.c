/* idnum.c - canonical decimal numbers (see idnum.h). */
#include "idnum.h"

bool idnum_parse(const char *s, uint64_t *out)
{
    if (!s || s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false; /* beyond UINT64_MAX */
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

size_t idnum_format(uint64_t v, char out[IDNUM_MAX])
{
    char tmp[IDNUM_MAX];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}
