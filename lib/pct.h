/*
 * pct.h - percent-decoding of URL paths and query values (RFC 3986).
 * Pure and thread-safe; the caller owns the result.
 */
#ifndef SLT_PCT_H
#define SLT_PCT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Decodes n bytes of s into a new NUL-terminated string (free() it), with
 * '+' as a space when plus_is_space (query strings).  NULL when an escape
 * is malformed, or when the result contains a NUL byte or is not UTF-8.
 */
char *pct_decode(const char *s, size_t n, bool plus_is_space);

/*
 * Finds name=value in n bytes of "a=1&b=2" text (a query string or an
 * application/x-www-form-urlencoded body) and copies the decoded value of
 * the first one into out; false when absent, malformed or not shorter
 * than outlen.
 */
bool pct_field(const char *text, size_t n, const char *name, char *out, size_t outlen);

#endif
