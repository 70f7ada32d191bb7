/* ihist.c - exact integer histograms and their varint encoding (see ihist.h). */
#include "ihist.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xmem.h"

/* Index of the first pair whose value is >= v. */
static size_t lower_bound(const ihist_t *h, int64_t v)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->p[mid].value < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void ihist_add(ihist_t *h, int64_t value, int64_t count)
{
    if (count == 0)
        return;
    if (value < 0 || value > INT32_MAX || count < -INT32_MAX || count > INT32_MAX) {
        h->overflow = true;
        return;
    }
    /* Values mostly arrive in order or repeat: try the end first. */
    size_t i = h->n > 0 && h->p[h->n - 1].value < value ? h->n : lower_bound(h, value);
    if (i < h->n && h->p[i].value == value) {
        int64_t sum = (int64_t)h->p[i].count + count;
        if (sum < -INT32_MAX || sum > INT32_MAX) {
            h->overflow = true;
            return;
        }
        h->p[i].count = (int32_t)sum;
        if (h->p[i].count == 0) {
            memmove(&h->p[i], &h->p[i + 1], (h->n - i - 1) * sizeof *h->p);
            h->n--;
        }
        return;
    }
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap + h->cap / 2 : 8;
        h->p = xrealloc(h->p, h->cap * sizeof *h->p);
    }
    memmove(&h->p[i + 1], &h->p[i], (h->n - i) * sizeof *h->p);
    h->p[i] = (ihist_pair_t){(int32_t)value, (int32_t)count};
    h->n++;
}

void ihist_add_hist(ihist_t *h, const ihist_t *o, int sign)
{
    for (size_t i = 0; i < o->n; i++)
        ihist_add(h, o->p[i].value, sign * o->p[i].count);
}

int64_t ihist_total(const ihist_t *h)
{
    int64_t t = 0;
    for (size_t i = 0; i < h->n; i++)
        t += h->p[i].count;
    return t;
}

bool ihist_equal(const ihist_t *a, const ihist_t *b)
{
    return !a->overflow && !b->overflow && a->n == b->n &&
           (a->n == 0 || memcmp(a->p, b->p, a->n * sizeof *a->p) == 0);
}

void ihist_clear(ihist_t *h)
{
    h->n = 0;
    h->overflow = false;
}

void ihist_free(ihist_t *h)
{
    free(h->p);
    memset(h, 0, sizeof *h);
}

/* Appends v as an unsigned LEB128 varint. */
static int put_varint(buf_t *out, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    return buf_append(out, b, n);
}

/* Reads an unsigned LEB128 varint; false when truncated or over 64 bits. */
static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p == end)
            return false;
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

int ihist_encode(const ihist_t *h, buf_t *out)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->p[i].count <= 0 || h->p[i].value < 0)
            return ST_ERR_INVALID;
    if (h->overflow)
        return ST_ERR_INVALID;
    int rc = put_varint(out, h->n);
    int64_t prev = 0;
    for (size_t i = 0; rc == ST_OK && i < h->n; i++) {
        rc = put_varint(out, (uint64_t)(h->p[i].value - prev));
        if (rc == ST_OK)
            rc = put_varint(out, (uint64_t)h->p[i].count);
        prev = h->p[i].value;
    }
    return rc;
}

void ihist_iter_init(ihist_iter_t *it, ihist_view_t v)
{
    memset(it, 0, sizeof *it);
    it->p = v.p;
    it->end = v.p ? v.p + v.len : NULL;
    if (v.len > 0 && !get_varint(&it->p, it->end, &it->left))
        it->bad = true;
}

bool ihist_iter_next(ihist_iter_t *it, int64_t *value, int64_t *count)
{
    if (it->bad)
        return false;
    if (it->left == 0) {
        if (it->p != it->end)
            it->bad = true; /* trailing bytes */
        return false;
    }
    uint64_t d, c;
    if (!get_varint(&it->p, it->end, &d) || !get_varint(&it->p, it->end, &c) || c == 0 ||
        c > INT64_MAX || d > (uint64_t)(INT64_MAX - it->value) || (it->started && d == 0)) {
        it->bad = true;
        return false;
    }
    it->value += (int64_t)d;
    it->started = true;
    it->left--;
    *value = it->value;
    *count = (int64_t)c;
    return true;
}

int ihist_add_encoded(ihist_t *h, ihist_view_t v, int sign)
{
    ihist_iter_t it;
    int64_t value, count;
    ihist_iter_init(&it, v);
    while (ihist_iter_next(&it, &value, &count))
        ihist_add(h, value, sign * count);
    return it.bad ? ST_ERR_INVALID : ST_OK;
}
