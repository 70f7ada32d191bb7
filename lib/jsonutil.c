/* jsonutil.c - bounded JSON parsing, and shortest-form serialising (see jsonutil.h). */
#include "jsonutil.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "status.h"

#define NUMBER_CHARS "0123456789+-.eE"

int jsonutil_load(const char *text, size_t len, size_t max, const char *what, json_t **out,
                  char *err, size_t errlen)
{
    *out = NULL;
    if (len > max) {
        st_errf(err, errlen, "%s: larger than %zu bytes", what, max);
        return ST_ERR_TOO_LARGE;
    }
    json_error_t jerr;
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out) {
        st_errf(err, errlen, "%s: line %d column %d: %s", what, jerr.line, jerr.column, jerr.text);
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

json_t *jsonutil_number(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

char *jsonutil_format_real(double v, char out[JSONUTIL_REAL_MAX])
{
    if (!isfinite(v)) {
        memcpy(out, "null", 5);
        return out;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, JSONUTIL_REAL_MAX, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    char *e = strchr(out, 'e');
    if (!e && !strchr(out, '.')) {
        size_t n = strlen(out);
        memcpy(out + n, ".0", 3); /* still a real when read back */
        return out;
    }
    if (e) { /* "1e+07" -> "1e7", "1e-07" -> "1e-7": jansson's spelling */
        char *digits = e + 1;
        if (*digits == '-')
            digits++;
        char *from = e + 1;
        if (*from == '+' || *from == '-')
            from++;
        while (*from == '0' && from[1])
            from++;
        memmove(digits, from, strlen(from) + 1);
    }
    return out;
}

char *jsonutil_dumps(const json_t *doc, size_t flags)
{
    char *text = json_dumps(doc, flags);
    if (!text)
        return NULL;
    buf_t out;
    buf_init(&out, SIZE_MAX / 2);
    bool in_string = false, escaped = false;
    const char *p = text;
    while (*p) {
        char c = *p;
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            buf_putc(&out, c);
            p++;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t n = strspn(p, NUMBER_CHARS);
            char tok[JSONUTIL_REAL_MAX], real[JSONUTIL_REAL_MAX];
            if (n < sizeof tok && strcspn(p, ".eE") < n) {
                memcpy(tok, p, n);
                tok[n] = '\0';
                buf_puts(&out, jsonutil_format_real(strtod(tok, NULL), real));
            } else {
                buf_append(&out, p, n); /* an integer, kept as jansson wrote it */
            }
            p += n;
            continue;
        }
        buf_putc(&out, c);
        p++;
    }
    free(text);
    return buf_detach(&out, NULL);
}
