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

int cdr_reader_reject(cdr_reader_t *r, uint64_t line, const char *field, const char *fmt, ...)
{
    cdr_error_t err;
    err.line = line;
    snprintf(err.field, sizeof err.field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    return reject_row(r, &err);
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
