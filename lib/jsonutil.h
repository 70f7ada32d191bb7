/*
 * jsonutil.h - reading a JSON document from untrusted text: a size limit,
 * duplicate keys refused, and a message naming where it broke.  The caller
 * owns the result (json_decref).  Thread-safe.
 */
#ifndef SLT_JSONUTIL_H
#define SLT_JSONUTIL_H

#include <jansson.h>
#include <stddef.h>

/*
 * Parses len bytes (at most max) into *out.  ST_ERR_TOO_LARGE or
 * ST_ERR_INVALID with "<what>: ..." in err.  Numbers are exact or refused:
 * a negative zero ("-0", "-0.0") or a nonzero number too small for a
 * double (1e-400, which would read as 0) is ST_ERR_INVALID with its JSON
 * path in err ("items[0].target: -0 is a negative zero (write 0)").
 */
int jsonutil_load(const char *text, size_t len, size_t max, const char *what, json_t **out,
                  char *err, size_t errlen);

/* A JSON number, or null for NAN (undefined is not zero, METRICS.md). */
json_t *jsonutil_number(double v);

#endif
