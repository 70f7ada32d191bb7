/*
 * libFuzzer target for lib/csv.c.  The first byte picks the limits (the
 * defaults or tiny ones, to reach every limit path) and the chunk pattern;
 * the rest is the input.  Oracle: besides the sanitizers, feeding the input
 * whole and in chunks must give the same records, lines and error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over the records seen. */
typedef struct digest {
    uint64_t h;
    uint64_t records;
} digest_t;

static void mix(digest_t *d, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        d->h ^= b[i];
        d->h *= UINT64_C(1099511628211);
    }
}

/* Folds one record into the digest, checking the reader's promises. */
static int on_record(void *ctx, const csv_field_t *f, size_t n, uint64_t line)
{
    digest_t *d = ctx;
    d->records++;
    mix(d, &line, sizeof line);
    mix(d, &n, sizeof n);
    for (size_t i = 0; i < n; i++) {
        if (f[i].ptr[f[i].len] != '\0')
            abort();
        mix(d, &f[i].len, sizeof f[i].len);
        mix(d, f[i].ptr, f[i].len);
    }
    return ST_OK;
}

/* Parses data[0..len) in chunks from the pattern (0: whole) into *d. */
static int parse(const uint8_t *data, size_t len, const csv_limits_t *lim, unsigned pattern,
                 digest_t *d, uint64_t *err_line)
{
    d->h = UINT64_C(14695981039346656037);
    d->records = 0;
    csv_reader_t *r = csv_reader_new(lim, on_record, d);
    int rc = ST_OK;
    unsigned x = pattern;
    size_t off = 0;
    while (off < len && rc == ST_OK) {
        size_t n = len - off;
        if (pattern) {
            x = x * 1103515245u + 12345u;
            size_t want = 1 + (x >> 16) % (pattern & 1 ? 7 : 300);
            if (want < n)
                n = want;
        }
        rc = csv_feed(r, (const char *)data + off, n);
        off += n;
    }
    if (rc == ST_OK)
        rc = csv_finish(r);
    *err_line = csv_reader_error_line(r);
    mix(d, csv_reader_error(r), strlen(csv_reader_error(r)));
    csv_reader_free(r);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned b0 = data[0];
    csv_limits_t tiny = {.max_field = 8, .max_cols = 4, .max_record = 16};
    const csv_limits_t *lim = (b0 & 1) ? &tiny : NULL;
    unsigned pattern = (b0 >> 1) | 1u << 8;
    digest_t whole, chunked;
    uint64_t l1, l2;
    int rc1 = parse(data + 1, size - 1, lim, 0, &whole, &l1);
    int rc2 = parse(data + 1, size - 1, lim, pattern, &chunked, &l2);
    if (rc1 != rc2 || l1 != l2 || whole.h != chunked.h || whole.records != chunked.records)
        abort();
    return 0;
}
