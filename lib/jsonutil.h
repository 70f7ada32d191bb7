/*
 * jsonutil.h - JSON in and out.  In: reading a document from untrusted
 * text (a size limit, duplicate keys refused, and a message naming where
 * it broke).  Out: the one serialiser every JSON the program writes goes
 * through (responses, receipts, audit entries, stored documents, logs), so
 * that every number is written as people wrote it.
 *
 * Why not json_dumps() alone: jansson writes a real with one fixed
 * precision (JSON_REAL_PRECISION, 17 digits by default), so 0.8 comes out
 * as 0.80000000000000004.  jsonutil_dumps() writes each real in the
 * shortest of %.15g, %.16g and %.17g that reads back as the same double
 * (0.8, 0.30000000000000004 for 0.1 + 0.2, 1e-07), keeping jansson's own
 * conventions otherwise (a real always has a '.' or an exponent, so it
 * reads back as a real; no '+' and no leading zeros in the exponent).
 * jansson has no hook for the formatting of reals, so the text it writes is
 * rewritten: every number token outside strings that has a '.' or an
 * exponent is read back with strtod (exact: it was written with 17 digits)
 * and written again.  `make lint` refuses json_dumps() anywhere else.
 *
 * The caller owns what these return (json_decref / free).  Thread-safe.
 */
#ifndef SLT_JSONUTIL_H
#define SLT_JSONUTIL_H

#include <jansson.h>
#include <stddef.h>

#define JSONUTIL_REAL_MAX 40 /* bytes of a formatted real, with its NUL */

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

/*
 * json_dumps() with every real in its shortest round-trip form (see above).
 * flags as json_dumps.  A new string the caller frees, or NULL when jansson
 * fails (as json_dumps).
 */
char *jsonutil_dumps(const json_t *doc, size_t flags);

/*
 * Writes v as jsonutil_dumps() writes a real ("0.8", "5.0", "1e-07");
 * "null" for NaN and infinities, which JSON cannot hold.  Returns out.
 */
char *jsonutil_format_real(double v, char out[JSONUTIL_REAL_MAX]);

#endif
