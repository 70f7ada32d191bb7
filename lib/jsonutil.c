/* jsonutil.c - bounded JSON parsing of untrusted text (see jsonutil.h). */
#include "jsonutil.h"

#include <math.h>

#include "status.h"

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
