/*
 * ihist.h - exact histograms of small non-negative integers (whole-second
 * waits, slot numbers): each distinct value with its count, and a compact
 * byte encoding for storing one in a database column.
 *
 * An ihist_t is a sorted array of (value, count) pairs with no zero count;
 * counts may be negative while deltas are being summed (a removed contact
 * is a count of -1), never in an encoded form.  The encoding is the number
 * of pairs, then for each pair the value's distance from the previous value
 * (the first: the value itself) and the count, all as unsigned LEB128
 * varints: a slot's few dozen distinct waits take a few dozen bytes.
 *
 * What it owns: an ihist_t owns its array (ihist_free()).  Encoded bytes
 * are the caller's; ihist_iter_t only reads them.  Pure computation; not
 * thread-safe per object.
 */
#ifndef SLT_IHIST_H
#define SLT_IHIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Values and counts are kept in 32 bits (a slot's waits and counts are far
 * below; memory is what a month of keys costs): a value or count outside
 * int32 marks the histogram overflowed, and it can no longer be encoded. */
typedef struct ihist_pair {
    int32_t value; /* >= 0 */
    int32_t count; /* != 0 */
} ihist_pair_t;

typedef struct ihist {
    ihist_pair_t *p; /* sorted by value */
    size_t n, cap;
    bool overflow; /* a value or count left int32 (see above) */
} ihist_t;

/* Encoded bytes (borrowed): a stored column, or a slice of one. */
typedef struct ihist_view {
    const uint8_t *p;
    size_t len;
} ihist_view_t;

/* Adds count (may be negative) to value's count; a count reaching 0 is
 * removed.  value must be >= 0. */
void ihist_add(ihist_t *h, int64_t value, int64_t count);
/* Adds sign x every count of o to h (sign +1 or -1). */
void ihist_add_hist(ihist_t *h, const ihist_t *o, int sign);
/* Sum of the counts. */
int64_t ihist_total(const ihist_t *h);
/* Whether a and b hold the same pairs. */
bool ihist_equal(const ihist_t *a, const ihist_t *b);
/* Empties h, keeping its storage. */
void ihist_clear(ihist_t *h);
/* Releases h's storage; h becomes empty. */
void ihist_free(ihist_t *h);

/*
 * Appends h's encoding to out.  ST_ERR_INVALID when a count is not
 * positive (a histogram of deltas that went below zero) or h overflowed,
 * ST_ERR_TOO_LARGE past out's cap.
 */
int ihist_encode(const ihist_t *h, buf_t *out);
/* Adds sign x the pairs encoded in v to h; ST_ERR_INVALID when v is not a
 * well-formed encoding (an empty view is an empty histogram). */
int ihist_add_encoded(ihist_t *h, ihist_view_t v, int sign);

/* Reads an encoding pair by pair, without allocating. */
typedef struct ihist_iter {
    const uint8_t *p, *end;
    uint64_t left; /* pairs still to read */
    int64_t value; /* the last value read */
    bool started;  /* a pair was read (values then strictly increase) */
    bool bad;      /* the encoding is malformed */
} ihist_iter_t;

/* Starts reading v (an empty view reads as no pairs). */
void ihist_iter_init(ihist_iter_t *it, ihist_view_t v);
/* The next pair; false at the end or on a malformed encoding (it->bad,
 * also set when bytes are left over after the last pair). */
bool ihist_iter_next(ihist_iter_t *it, int64_t *value, int64_t *count);

#endif
