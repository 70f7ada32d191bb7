/*
 * libFuzzer target for the contact reader (server/ingest/cdr_reader.c and the
 * CSV, JSON and NDJSON formats behind it, with cdr_validate.c).  The first
 * byte picks the format (low two bits) and the chunk pattern (the rest);
 * the rest of the input is the body.  Oracle: besides the sanitizers, the
 * body fed whole and fed in chunks must give the same rows, row errors and
 * fatal error, and every record delivered must pass cdr_validate_record.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_reader.h"
#include "cdr_validate.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct digest {
    uint64_t h;
    uint64_t events;
} digest_t;

static void mix(digest_t *d, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        d->h ^= b[i];
        d->h *= UINT64_C(1099511628211);
    }
}

/* Folds a record in; a record that breaks the rules is a bug. */
static int on_record(void *ctx, const cdr_t *rec, uint64_t line)
{
    digest_t *d = ctx;
    cdr_error_t err;
    if (cdr_validate_record(rec, &err) != ST_OK)
        abort();
    d->events++;
    mix(d, &line, sizeof line);
    mix(d, rec, sizeof *rec);
    return ST_OK;
}

static int on_reject(void *ctx, const cdr_error_t *e)
{
    digest_t *d = ctx;
    d->events++;
    if (memchr(e->field, '\0', sizeof e->field) == NULL ||
        memchr(e->message, '\0', sizeof e->message) == NULL)
        abort();
    mix(d, &e->line, sizeof e->line);
    mix(d, e->field, strlen(e->field));
    mix(d, e->message, strlen(e->message));
    return ST_OK;
}

/* Parses the body in chunks from the pattern (0: whole) into *d. */
static int parse(cdr_format fmt, const uint8_t *data, size_t len, unsigned pattern, digest_t *d)
{
    d->h = UINT64_C(14695981039346656037);
    d->events = 0;
    cdr_sink_t sink = {.record = on_record, .reject = on_reject, .ctx = d};
    cdr_reader_t *r = cdr_reader_new(fmt);
    int rc = ST_OK;
    unsigned x = pattern;
    size_t off = 0;
    while (off < len && rc == ST_OK) {
        size_t n = len - off;
        if (pattern) {
            x = x * 1103515245u + 12345u;
            size_t want = 1 + (x >> 16) % (pattern & 1 ? 5 : 400);
            if (want < n)
                n = want;
        }
        rc = cdr_reader_feed(r, (const char *)data + off, n, &sink);
        off += n;
    }
    if (rc == ST_OK)
        rc = cdr_reader_finish(r, &sink);
    const cdr_error_t *e = cdr_reader_error(r);
    if ((rc == ST_OK) != (e == NULL))
        abort();
    if (e)
        on_reject(d, e);
    uint64_t rows = cdr_reader_rows(r);
    mix(d, &rows, sizeof rows);
    cdr_reader_free(r);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const cdr_format fmts[4] = {CDR_FMT_CSV, CDR_FMT_JSON, CDR_FMT_NDJSON, CDR_FMT_CSV};
    cdr_format fmt = fmts[data[0] & 3];
    unsigned pattern = (unsigned)(data[0] >> 2) | 1u << 8;
    digest_t whole, chunked;
    int rc1 = parse(fmt, data + 1, size - 1, 0, &whole);
    int rc2 = parse(fmt, data + 1, size - 1, pattern, &chunked);
    if (rc1 != rc2 || whole.h != chunked.h || whole.events != chunked.events)
        abort();
    return 0;
}
