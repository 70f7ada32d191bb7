/* jsonutil.c - bounded JSON parsing, and shortest-form serialising (see jsonutil.h). */
#include "jsonutil.h"

#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "status.h"
#include "xmem.h"

/* One open container while numbers are checked: an object's current key
 * (raw text between its quotes) or an array's current index. */
typedef struct jframe {
    bool array;
    const char *key;
    size_t key_len;
    size_t index;
} jframe_t;

/*
 * What is wrong with a number token that jansson reads without complaint:
 * a negative zero ("-0", "-0.0e5": a sign on nothing), or a nonzero value
 * too small for a double (1e-400 reads as 0, 1e-310 as a subnormal that has
 * lost digits).  NULL when it is fine.
 */
static const char *number_fault(const char *tok, size_t n)
{
    bool nonzero = false;
    for (size_t i = 0; i < n && tok[i] != 'e' && tok[i] != 'E'; i++)
        if (tok[i] >= '1' && tok[i] <= '9')
            nonzero = true;
    if (!nonzero)
        return tok[0] == '-' ? "is a negative zero (write 0)" : NULL;
    char *copy = xstrndup(tok, n);
    errno = 0;
    double d = strtod(copy, NULL);
    free(copy);
    if (d == 0 || fpclassify(d) == FP_SUBNORMAL)
        return "underflows (too small to hold; it would not read back as written)";
    return NULL;
}

#define PATH_KEY_MAX  48  /* bytes of one key shown in a path */
#define PATH_SHOW_MAX 160 /* bytes of a path shown (the innermost end is kept) */

/* Writes the JSON path of the open containers ("items[2].target") into err;
 * long keys and deep paths are shortened so that the reason always fits. */
static void path_error(const jframe_t *st, size_t depth, const char *what, const char *tok,
                       size_t n, const char *fault, char *err, size_t errlen)
{
    buf_t p;
    buf_init(&p, SIZE_MAX / 2);
    for (size_t i = 0; i < depth; i++) {
        if (st[i].array)
            buf_printf(&p, "[%zu]", st[i].index);
        else if (st[i].key)
            buf_printf(&p, "%s%.*s%s", p.len ? "." : "",
                       (int)(st[i].key_len > PATH_KEY_MAX ? PATH_KEY_MAX : st[i].key_len),
                       st[i].key, st[i].key_len > PATH_KEY_MAX ? "..." : "");
    }
    const char *path = p.len ? buf_cstr(&p) : what;
    size_t plen = strlen(path);
    bool cut = plen > PATH_SHOW_MAX;
    st_errf(err, errlen, "%s%s: %.*s%s %s", cut ? "..." : "",
            cut ? path + plen - PATH_SHOW_MAX : path, (int)(n > 24 ? 24 : n), tok,
            n > 24 ? "..." : "", fault);
    buf_free(&p);
}

/*
 * Walks JSON text that jansson has accepted and refuses the first number
 * that number_fault() finds, naming its path: jansson turns "-0" into 0 and
 * 1e-400 into 0.0, so only the text still tells them from a real 0.
 */
static int numbers_check(const char *t, size_t len, const char *what, char *err, size_t errlen)
{
    size_t cap = 16, depth = 0;
    jframe_t *st = xmalloc(cap * sizeof *st);
    bool want_key = false;
    int rc = ST_OK;
    for (size_t i = 0; i < len && rc == ST_OK; i++) {
        char c = t[i];
        if (c == '{' || c == '[') {
            if (depth == cap)
                st = xrealloc(st, (cap *= 2) * sizeof *st);
            st[depth++] = (jframe_t){.array = c == '['};
            want_key = c == '{';
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        } else if (c == ',' && depth > 0) {
            st[depth - 1].index++;
            want_key = !st[depth - 1].array;
        } else if (c == '"') {
            size_t start = ++i;
            while (i < len && t[i] != '"')
                i += t[i] == '\\' ? 2 : 1;
            if (want_key && depth > 0) {
                st[depth - 1].key = t + start;
                st[depth - 1].key_len = (i < len ? i : len) - start;
                want_key = false;
            }
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            while (i + 1 < len && t[i + 1] && strchr("+-.eE0123456789", t[i + 1]))
                i++;
            const char *fault = number_fault(t + start, i + 1 - start);
            if (fault) {
                path_error(st, depth, what, t + start, i + 1 - start, fault, err, errlen);
                rc = ST_ERR_INVALID;
            }
        }
    }
    free(st);
    return rc;
}

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
    if (numbers_check(text, len, what, err, errlen) != ST_OK) {
        json_decref(*out);
        *out = NULL;
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
