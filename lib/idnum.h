/*
 * idnum.h - ids and counters written as decimal numbers, read strictly.
 *
 * The one spelling of a number n is its canonical decimal: digits only, no
 * sign, no leading zero (except "0" itself), no spaces, no fraction, at
 * most UINT64_MAX.  So "+3", " 3", "3 ", "03", "-3", "3.0" and "0x3" name
 * no id: a path gives 404, a query 400 and the command line an error,
 * instead of strtoull's reading them as 3 (or "-3" as 2^64 - 3).  Pure and
 * thread-safe.
 */
#ifndef SLT_IDNUM_H
#define SLT_IDNUM_H

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#define IDNUM_MAX 21 /* UINT64_MAX's 20 digits and the NUL */

/* Parses the NUL-terminated s into *out; false (and *out untouched) unless canonical. */
bool idnum_parse(const char *s, uint64_t *out);

/* Writes the canonical decimal of v into out (NUL-terminated); returns its
 * length.  No printf: row numbers and counts of big sheets and digests. */
size_t idnum_format(uint64_t v, char out[IDNUM_MAX]);

#endif
