/*
 * libFuzzer target for the template renderer (lib/tmpl.c).  The input up to
 * the first NUL byte is a template; the rest is the text of one value.
 * Oracle, besides the sanitizers: a template that parses renders (against
 * data holding the value under several names, arrays and objects, and a
 * catalogue) without error or with ST_ERR_NOT_FOUND for a missing partial
 * only; and the value never appears unescaped when it holds a '<', since
 * every way to show it but {{raw}} escapes it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t tl = nul ? (size_t)(nul - data) : size;
    const char *value = nul ? (const char *)nul + 1 : "";
    size_t vl = nul ? size - tl - 1 : 0;
    char err[256];
    tmpl_set_t *s = tmpl_set_new();
    if (tmpl_add(s, "page", (const char *)data, tl, err, sizeof err) != ST_OK) {
        tmpl_set_free(s);
        return 0;
    }
    const char *part = "<p>{{a}}</p>";
    tmpl_add(s, "p", part, strlen(part), err, sizeof err);
    json_t *v = json_stringn_nocheck(value, vl);
    json_t *d = json_pack("{s:O, s:O, s:[O, {s:O}], s:{s:O}, s:i, s:b, s:n}", "a", v, "b", v, "xs",
                          v, "a", v, "o", "a", v, "n", 7, "t", 1, "z");
    json_t *cat = json_pack("{s:s, s:s}", "k", "<{0}>", "a", "{0}{1}");
    buf_t out;
    buf_init(&out, 1 << 20);
    int rc = tmpl_render(s, "page", d, cat, &out, err, sizeof err);
    if (rc != ST_OK && rc != ST_ERR_NOT_FOUND && rc != ST_ERR_TOO_LARGE && rc != ST_ERR_INVALID)
        abort();
    /* The value with a '<' in it may appear whole only through {{raw}} (or
     * where the static text of the template, partial or catalogue has it). */
    static const char statics[] = "<p></p><{0}>{0}{1}";
    if (rc == ST_OK && vl > 0 && memchr(value, '<', vl) && !memchr(value, 0, vl) &&
        !memmem(data, tl, "raw", 3) && out.len >= vl && memmem(out.data, out.len, value, vl) &&
        !memmem(data, tl, value, vl) && !memmem(statics, sizeof statics - 1, value, vl))
        abort();
    buf_free(&out);
    json_decref(cat);
    json_decref(d);
    json_decref(v);
    tmpl_set_free(s);
    return 0;
}
