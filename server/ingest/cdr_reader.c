/* cdr_reader.c - the contact reader's public API and row reporting (see
 * cdr_reader.h); the formats live in cdr_csv.c and cdr_json.c. */
#include "cdr_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_reader_int.h"
#include "status.h"
#include "xmem.h"

cdr_reader_t *cdr_reader_new(cdr_format fmt)
{
    if (fmt != CDR_FMT_CSV && fmt != CDR_FMT_JSON && fmt != CDR_FMT_NDJSON)
        return NULL;
    cdr_reader_t *r = xcalloc(1, sizeof *r);
    r->fmt = fmt;
    if (fmt == CDR_FMT_CSV)
        cdr_csv_init(r);
    else
        cdr_json_init(r);
    return r;
}

void cdr_reader_free(cdr_reader_t *r)
{
    if (!r)
        return;
    if (r->fmt == CDR_FMT_CSV)
        cdr_csv_free(r);
    else
        cdr_json_free(r);
    free(r->more);
    free(r);
}

int cdr_reader_feed(cdr_reader_t *r, const char *data, size_t len, const cdr_sink_t *sink)
{
    if (r->rc)
        return r->rc;
    if (r->finished)
        return cdr_reader_fail(r, ST_ERR_INVALID, 0, NULL, "data after the end of the body");
    r->sink = sink;
    int rc = r->fmt == CDR_FMT_CSV ? cdr_csv_feed(r, data, len) : cdr_json_feed(r, data, len);
    r->sink = NULL;
    if (rc < 0)
        r->rc = rc;
    return rc;
}

int cdr_reader_finish(cdr_reader_t *r, const cdr_sink_t *sink)
{
    if (r->rc)
        return r->rc;
    if (r->finished)
        return ST_OK;
    r->finished = 1;
    r->sink = sink;
    int rc = r->fmt == CDR_FMT_CSV ? cdr_csv_finish(r) : cdr_json_finish(r);
    r->sink = NULL;
    if (rc < 0)
        r->rc = rc;
    return rc;
}

const cdr_error_t *cdr_reader_error(const cdr_reader_t *r)
{
    return r->have_error ? &r->error : NULL;
}

size_t cdr_reader_error_count(const cdr_reader_t *r)
{
    return r->have_error ? 1 + r->nmore : 0;
}

const cdr_error_t *cdr_reader_error_at(const cdr_reader_t *r, size_t i)
{
    if (!r->have_error || i > r->nmore)
        return NULL;
    return i == 0 ? &r->error : &r->more[i - 1];
}

void cdr_reader_also(cdr_reader_t *r, uint64_t line, const char *field, const char *const *valid,
                     const char *fmt, ...)
{
    r->more = xrealloc(r->more, (r->nmore + 1) * sizeof *r->more);
    cdr_error_t *e = &r->more[r->nmore++];
    memset(e, 0, sizeof *e);
    e->line = line;
    e->valid = valid;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

uint64_t cdr_reader_rows(const cdr_reader_t *r)
{
    return r->rows;
}

void cdr_reader_copy_name(char *dst, size_t cap, const char *p, size_t len)
{
    if (cdr_validate_text(p, len) != CDR_TEXT_OK) {
        snprintf(dst, cap, "?");
        return;
    }
    if (len >= cap) {
        len = cap - 1;
        /* Back off continuation bytes so a multi-byte character is not cut. */
        while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, p, len);
    dst[len] = '\0';
}

int cdr_reader_fail(cdr_reader_t *r, int rc, uint64_t line, const char *field, const char *fmt, ...)
{
    r->error.line = line;
    r->error.valid = NULL;
    snprintf(r->error.field, sizeof r->error.field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error.message, sizeof r->error.message, fmt, ap);
    va_end(ap);
    r->have_error = 1;
    r->rc = rc;
    return rc;
}

/* Hands a row error to the sink, counting the row. */
static int reject_row(cdr_reader_t *r, const cdr_error_t *err)
{
    r->rows++;
    if (r->sink && r->sink->reject)
        return r->sink->reject(r->sink->ctx, err);
    return ST_OK;
}

/* Fills a row error and hands it to the sink. */
static int reject_v(cdr_reader_t *r, uint64_t line, const char *field, const char *const *valid,
                    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static int reject_v(cdr_reader_t *r, uint64_t line, const char *field, const char *const *valid,
                    const char *fmt, va_list ap)
{
    cdr_error_t err;
    err.line = line;
    err.valid = valid;
    snprintf(err.field, sizeof err.field, "%s", field ? field : "");
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    return reject_row(r, &err);
}

int cdr_reader_reject(cdr_reader_t *r, uint64_t line, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = reject_v(r, line, field, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int cdr_reader_reject_valid(cdr_reader_t *r, uint64_t line, const char *field,
                            const char *const *valid, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = reject_v(r, line, field, valid, fmt, ap);
    va_end(ap);
    return rc;
}

int cdr_reader_deliver(cdr_reader_t *r, const cdr_row_t *row, uint64_t line)
{
    cdr_t rec;
    cdr_error_t err;
    if (cdr_validate_row(row, &rec, &err) != ST_OK) {
        err.line = line;
        return reject_row(r, &err);
    }
    r->rows++;
    if (r->sink && r->sink->record)
        return r->sink->record(r->sink->ctx, &rec, line);
    return ST_OK;
}
