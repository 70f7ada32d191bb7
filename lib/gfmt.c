/* gfmt.c - "%.17g" without printf (see gfmt.h). */
#include "gfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DIGITS    17 /* the precision of "%.17g" */
#define FRAC_BITS 60 /* a fraction of up to 60 bits times 10 still fits 64 */

/* The general case: the C library's own. */
static size_t by_printf(double v, char out[GFMT_MAX])
{
    int n = snprintf(out, GFMT_MAX, "%.17g", v);
    return n > 0 ? (size_t)n : 0;
}

/*
 * The first DIGITS significant decimal digits of m / 2^k (m below 2^53, k
 * at most FRAC_BITS), rounded to nearest with ties to even, into d; the
 * decimal exponent of the first into *exp10.  Exact: the integer part and
 * each fraction digit come from 64-bit integer arithmetic on the exact
 * binary value, and what is left after the last digit decides the
 * rounding.
 */
static void digits_of(uint64_t m, int k, unsigned char d[DIGITS], int *exp10)
{
    uint64_t mask = k ? (UINT64_C(1) << k) - 1 : 0;
    uint64_t ip = m >> k, frac = m & mask;
    int n = 0;
    if (ip) {
        char tmp[20];
        int t = 0;
        for (; ip; ip /= 10)
            tmp[t++] = (char)(ip % 10);
        *exp10 = t - 1;
        while (t > 0 && n < DIGITS)
            d[n++] = (unsigned char)tmp[--t];
    } else {
        *exp10 = 0;
        do { /* leading zeros of a value below 1 are not significant */
            frac *= 10;
            (*exp10)--;
        } while ((frac >> k) == 0);
        d[n++] = (unsigned char)(frac >> k);
        frac &= mask;
    }
    for (; n < DIGITS; n++) {
        frac *= 10;
        d[n] = (unsigned char)(frac >> k);
        frac &= mask;
    }
    if (k == 0)
        return; /* an integer of at most 16 digits: nothing is left */
    uint64_t half = UINT64_C(1) << (k - 1);
    if (frac < half || (frac == half && (d[DIGITS - 1] & 1) == 0))
        return;
    int i = DIGITS - 1;
    while (i >= 0 && d[i] == 9)
        d[i--] = 0;
    if (i >= 0) {
        d[i]++;
    } else { /* 99..9 rounded up: 100..0, one decimal place further */
        d[0] = 1;
        (*exp10)++;
    }
}

size_t gfmt17(double v, char out[GFMT_MAX])
{
    if (!isfinite(v) || v == 0)
        return by_printf(v, out);
    int e2;
    double fr = frexp(fabs(v), &e2); /* |v| = fr * 2^e2, fr in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(fr, 53);
    int k = 53 - e2; /* |v| = m / 2^k exactly */
    if (k < 0 || k > FRAC_BITS)
        return by_printf(v, out);
    unsigned char d[DIGITS];
    int x;
    digits_of(m, k, d, &x);
    if (x < -4 || x >= DIGITS)
        return by_printf(v, out); /* "%g" switches to an exponent */
    /* Fixed notation: DIGITS significant digits, the point after x + 1 of
     * them; then trailing zeros of the fraction, and a bare point, go. */
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    if (x < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int z = -1; z > x; z--)
            out[o++] = '0';
    }
    size_t point = 0;
    for (int i = 0; i < DIGITS; i++) {
        if (x >= 0 && i == x + 1) {
            point = o;
            out[o++] = '.';
        }
        out[o++] = (char)('0' + d[i]);
    }
    if (x < 0)
        point = (size_t)(v < 0) + 1;
    if (point) {
        while (out[o - 1] == '0')
            o--;
        if (o - 1 == point)
            o--;
    }
    out[o] = '\0';
    return o;
}
