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
 * ST_ERR_INVALID with "<what>: ..." in err.
 */
int jsonutil_load(const char *text, size_t len, size_t max, const char *what, json_t **out,
                  char *err, size_t errlen);

/* A JSON number, or null for NAN (undefined is not zero, METRICS.md). */
json_t *jsonutil_number(double v);

#endif
