/* csv.c - streaming RFC 4180 reader with limits and line numbers (see csv.h). */
#include "csv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "status.h"
#include "xmem.h"

enum csv_state {
    S_REC_START,   /* between records: blank lines are skipped here */
    S_FIELD_START, /* a field begins at the next byte */
    S_UNQUOTED,    /* inside an unquoted field */
    S_QUOTED,      /* inside a quoted field */
    S_QUOTE_SEEN,  /* a quote inside a quoted field: "" or the closing quote */
};

typedef struct csv_span {
    size_t off, len;
} csv_span_t;

struct csv_reader {
    csv_limits_t lim;
    csv_record_fn cb;
    void *ctx;
    enum csv_state state;
    int rc;       /* sticky error code, 0 while healthy */
    int finished; /* csv_finish was called */
    int skip_lf;  /* the last record ended with CR: an LF right after it belongs to it */
    unsigned bom_len;
    int bom_done;
    uint64_t line;       /* current line, 1-based */
    uint64_t rec_line;   /* line the current record started on */
    uint64_t quote_line; /* line the open quoted field started on */
    char *buf;           /* unescaped bytes of the record, a NUL after each field */
    size_t len, cap;
    size_t rec_bytes; /* field bytes in buf, without the NULs */
    size_t fstart;    /* offset in buf of the current field */
    csv_span_t *spans;
    csv_field_t *out;
    size_t nfields, fields_cap;
    uint64_t err_line;
    size_t err_col;
    char err[160];
};

/* Bytes that end the unquoted fast path. */
static const unsigned char csv_special[256] = {
    [','] = 1,
    ['"'] = 1,
    ['\n'] = 1,
    ['\r'] = 1,
};

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

/* The first byte in [p, end) that ends an unquoted run (or end): 16 bytes
 * at a time with SSE2 where the compiler has it (every x86-64), then the
 * table for the tail. */
static const char *csv_scan_unquoted(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        int mask = _mm_movemask_epi8(hit);
        if (mask)
            return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
    while (p < end && !csv_special[(unsigned char)*p])
        p++;
    return p;
}

csv_reader_t *csv_reader_new(const csv_limits_t *limits, csv_record_fn cb, void *ctx)
{
    csv_reader_t *r = xcalloc(1, sizeof *r);
    if (limits)
        r->lim = *limits;
    if (r->lim.max_field == 0)
        r->lim.max_field = CSV_DEFAULT_MAX_FIELD;
    if (r->lim.max_cols == 0)
        r->lim.max_cols = CSV_DEFAULT_MAX_COLS;
    if (r->lim.max_record == 0)
        r->lim.max_record = CSV_DEFAULT_MAX_RECORD;
    r->cb = cb;
    r->ctx = ctx;
    r->state = S_REC_START;
    r->line = 1;
    return r;
}

void csv_reader_free(csv_reader_t *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->spans);
    free(r->out);
    free(r);
}

/* Records a fatal error against `line`; every later call returns rc. */
static int csv_fail(csv_reader_t *r, int rc, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int csv_fail(csv_reader_t *r, int rc, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->err_line = line;
    r->rc = rc;
    return rc;
}

/* Makes room for n more bytes in the record buffer (plus a field's NUL). */
static void csv_reserve(csv_reader_t *r, size_t n)
{
    if (r->cap - r->len > n)
        return;
    size_t need = r->len + n + 1;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < need)
        cap *= 2;
    r->buf = xrealloc(r->buf, cap);
    r->cap = cap;
}

/* Appends field bytes, enforcing the field and record limits. */
static int csv_append(csv_reader_t *r, const char *p, size_t n)
{
    /* When a span breaks both limits, report the one its bytes reach first,
     * so the error does not depend on how the input was chunked. */
    size_t field_room = r->lim.max_field - (r->len - r->fstart);
    size_t record_room = r->lim.max_record - r->rec_bytes;
    if (n > field_room || n > record_room) {
        if (field_room <= record_room) {
            r->err_col = r->nfields + 1;
            return csv_fail(r, ST_ERR_TOO_LARGE, r->rec_line, "field %zu is longer than %zu bytes",
                            r->nfields + 1, r->lim.max_field);
        }
        return csv_fail(r, ST_ERR_TOO_LARGE, r->rec_line, "the record is longer than %zu bytes",
                        r->lim.max_record);
    }
    csv_reserve(r, n);
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    r->rec_bytes += n;
    return ST_OK;
}

/* Opens a field at the current end of the buffer, enforcing the column limit. */
static int csv_field_begin(csv_reader_t *r)
{
    if (r->nfields == r->lim.max_cols)
        return csv_fail(r, ST_ERR_TOO_LARGE, r->rec_line, "the record has more than %zu fields",
                        r->lim.max_cols);
    if (r->nfields == r->fields_cap) {
        size_t n = r->fields_cap ? r->fields_cap * 2 : 16;
        if (n > r->lim.max_cols)
            n = r->lim.max_cols;
        r->spans = xrealloc(r->spans, n * sizeof *r->spans);
        r->out = xrealloc(r->out, n * sizeof *r->out);
        r->fields_cap = n;
    }
    r->fstart = r->len;
    return ST_OK;
}

/* Closes the current field and NUL-terminates it. */
static void csv_field_end(csv_reader_t *r)
{
    r->spans[r->nfields].off = r->fstart;
    r->spans[r->nfields].len = r->len - r->fstart;
    r->nfields++;
    csv_reserve(r, 0);
    r->buf[r->len++] = '\0';
}

/* Hands the complete record to the callback and resets for the next one. */
static int csv_record_end(csv_reader_t *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        r->out[i].ptr = r->buf + r->spans[i].off;
        r->out[i].len = r->spans[i].len;
    }
    int rc = r->cb ? r->cb(r->ctx, r->out, r->nfields, r->rec_line) : ST_OK;
    r->len = 0;
    r->rec_bytes = 0;
    r->nfields = 0;
    r->state = S_REC_START;
    if (rc < 0)
        r->rc = rc;
    return rc < 0 ? rc : ST_OK;
}

/* Counts LF bytes in [p, end) for line numbers inside quoted fields. */
static uint64_t csv_count_lf(const char *p, const char *end)
{
    uint64_t n = 0;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* The state machine over [p, end); returns ST_OK or the (sticky) error. */
static int csv_feed_core(csv_reader_t *r, const char *p, const char *end)
{
    int rc;
    while (p < end) {
        switch (r->state) {
        case S_REC_START: {
            char c = *p;
            if (r->skip_lf) {
                r->skip_lf = 0;
                if (c == '\n') {
                    p++;
                    continue;
                }
            }
            if (c == '\n' || c == '\r') { /* a blank line */
                r->line++;
                r->skip_lf = c == '\r';
                p++;
                continue;
            }
            r->rec_line = r->line;
            r->state = S_FIELD_START;
            continue;
        }
        case S_FIELD_START:
            if ((rc = csv_field_begin(r)) != ST_OK)
                return rc;
            if (*p == '"') {
                r->quote_line = r->line;
                r->state = S_QUOTED;
                p++;
            } else {
                r->state = S_UNQUOTED;
            }
            continue;
        case S_UNQUOTED:
            /* The hot path: unquoted fields one after another without going
             * back through the state switch. */
            for (;;) {
                const char *q = csv_scan_unquoted(p, end);
                if (q > p) {
                    if ((rc = csv_append(r, p, (size_t)(q - p))) != ST_OK)
                        return rc;
                    p = q;
                    if (p == end)
                        return ST_OK;
                }
                char c = *p++;
                if (c == ',') {
                    csv_field_end(r);
                    if (p < end && *p != '"') {
                        if ((rc = csv_field_begin(r)) != ST_OK)
                            return rc;
                        continue;
                    }
                    r->state = S_FIELD_START;
                } else if (c == '"') {
                    r->err_col = r->nfields + 1;
                    return csv_fail(r, ST_ERR_INVALID, r->rec_line,
                                    "field %zu: a quote inside an unquoted field (quote the whole "
                                    "field and double the quote)",
                                    r->nfields + 1);
                } else {
                    csv_field_end(r);
                    r->line++;
                    r->skip_lf = c == '\r';
                    if ((rc = csv_record_end(r)) != ST_OK)
                        return rc;
                }
                break;
            }
            continue;
        case S_QUOTED: {
            const char *q = memchr(p, '"', (size_t)(end - p));
            const char *stop = q ? q : end;
            r->line += csv_count_lf(p, stop);
            if ((rc = csv_append(r, p, (size_t)(stop - p))) != ST_OK)
                return rc;
            p = stop;
            if (q) {
                p++;
                r->state = S_QUOTE_SEEN;
            }
            continue;
        }
        case S_QUOTE_SEEN: {
            char c = *p++;
            if (c == '"') {
                if ((rc = csv_append(r, "\"", 1)) != ST_OK)
                    return rc;
                r->state = S_QUOTED;
            } else if (c == ',') {
                csv_field_end(r);
                r->state = S_FIELD_START;
            } else if (c == '\n' || c == '\r') {
                csv_field_end(r);
                r->line++;
                r->skip_lf = c == '\r';
                if ((rc = csv_record_end(r)) != ST_OK)
                    return rc;
            } else {
                r->err_col = r->nfields + 1;
                return csv_fail(r, ST_ERR_INVALID, r->rec_line,
                                "field %zu: unexpected character after a closing quote",
                                r->nfields + 1);
            }
            continue;
        }
        }
    }
    return ST_OK;
}

int csv_feed(csv_reader_t *r, const char *data, size_t len)
{
    if (r->rc)
        return r->rc;
    if (r->finished)
        return csv_fail(r, ST_ERR_INVALID, r->line, "input after the end");
    const char *p = data, *end = data + len;
    /* A BOM may arrive split across calls: hold its prefix until it is decided. */
    while (!r->bom_done && p < end) {
        if ((unsigned char)*p == utf8_bom[r->bom_len]) {
            p++;
            if (++r->bom_len == 3)
                r->bom_done = 1;
        } else {
            r->bom_done = 1;
            int rc = csv_feed_core(r, (const char *)utf8_bom, (const char *)utf8_bom + r->bom_len);
            if (rc != ST_OK)
                return rc;
        }
    }
    return csv_feed_core(r, p, end);
}

int csv_finish(csv_reader_t *r)
{
    int rc;
    if (r->rc)
        return r->rc;
    if (r->finished)
        return ST_OK;
    if (!r->bom_done) {
        r->bom_done = 1;
        if ((rc = csv_feed_core(r, (const char *)utf8_bom, (const char *)utf8_bom + r->bom_len)) !=
            ST_OK)
            return rc;
    }
    r->finished = 1;
    switch (r->state) {
    case S_REC_START:
        return ST_OK;
    case S_QUOTED:
        return csv_fail(r, ST_ERR_INVALID, r->quote_line,
                        "a quoted field opened on line %" PRIu64
                        " is not closed at the end of the input",
                        r->quote_line);
    case S_FIELD_START: /* "a,b," ends with an empty field */
        if ((rc = csv_field_begin(r)) != ST_OK)
            return rc;
        break;
    case S_UNQUOTED:
    case S_QUOTE_SEEN:
        break;
    }
    csv_field_end(r);
    return csv_record_end(r);
}

const char *csv_reader_error(const csv_reader_t *r)
{
    return r->err;
}

uint64_t csv_reader_error_line(const csv_reader_t *r)
{
    return r->err_line;
}

size_t csv_reader_error_column(const csv_reader_t *r)
{
    return r->err_col;
}

uint64_t csv_reader_line(const csv_reader_t *r)
{
    return r->line;
}

bool csv_formula_like(const char *text)
{
    return text && text[0] && strchr("=+-@\t\r", text[0]) != NULL;
}

int csv_write_field(buf_t *out, const char *text, bool guard)
{
    if (!text)
        text = "";
    bool quote = strpbrk(text, ",\"\r\n") != NULL;
    int rc = ST_OK;
    if (quote)
        rc = buf_putc(out, '"');
    if (rc == ST_OK && guard && csv_formula_like(text))
        rc = buf_putc(out, '\'');
    for (const char *p = text; rc == ST_OK && *p; p++)
        rc = *p == '"' ? buf_puts(out, "\"\"") : buf_putc(out, *p);
    if (rc == ST_OK && quote)
        rc = buf_putc(out, '"');
    return rc;
}
