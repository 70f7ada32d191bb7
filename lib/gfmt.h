/*
 * gfmt.h - a double as C's printf "%.17g" writes it, without printf.
 *
 * "%.17g" gives back the same double when read (17 significant digits are
 * always enough), which is why the data digest (xl_digest.h) and the
 * Evidence sheet's cells use it.  glibc computes it with multi-precision
 * arithmetic, about a microsecond a number; a month's Evidence has
 * millions of them.  Most of our numbers (Excel serial dates, seconds,
 * rates) have a binary exponent that lets the exact decimal expansion be
 * produced with 64-bit integers: gfmt17() does that, rounding the 18th
 * digit on to the 17th as printf does (to nearest, ties to even), and
 * falls back to snprintf for every other value (exponential notation,
 * very small or very large magnitudes, NaN, infinities).  The result is
 * byte-identical to snprintf(out, n, "%.17g", v) for every double; the
 * unit test compares the two over millions of values.
 *
 * Pure; no global state; any thread.
 */
#ifndef SLT_GFMT_H
#define SLT_GFMT_H

#include <stddef.h>

#define GFMT_MAX 32 /* "%.17g" of any double, with its NUL, fits */

/* Writes v as "%.17g" into out (NUL-terminated); returns the length. */
size_t gfmt17(double v, char out[GFMT_MAX]);

#endif
