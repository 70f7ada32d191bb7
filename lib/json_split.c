/* json_split.c - record boundaries in a streamed JSON array or NDJSON body (see json_split.h). */
#include "json_split.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "status.h"
#include "xmem.h"

enum split_state {
    S_BEFORE, /* whitespace, then '[' */
    S_FIRST,  /* after '[': an object or ']' */
    S_NEXT,   /* after ',': an object */
    S_ELEM,   /* inside an object */
    S_AFTER,  /* after an object: ',' or ']' */
    S_END,    /* after ']': whitespace only */
    S_LINE,   /* NDJSON: collecting a line */
};

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

struct json_split {
    bool ndjson;
    enum split_state state;
    json_split_fn cb;
    void *ctx;
    buf_t rec;
    uint64_t line, rec_line;
    unsigned bom; /* BOM bytes matched; 3 once settled */
    bool seen_data;
    bool in_string, escape;
    size_t depth;
    int rc;
    char error[160];
    uint64_t error_line;
};

json_split_t *json_split_new(bool ndjson, size_t max_record, json_split_fn cb, void *ctx)
{
    json_split_t *s = xcalloc(1, sizeof *s);
    s->ndjson = ndjson;
    s->state = ndjson ? S_LINE : S_BEFORE;
    s->cb = cb;
    s->ctx = ctx;
    s->line = 1;
    s->rec_line = 1;
    buf_init(&s->rec, max_record);
    return s;
}

void json_split_free(json_split_t *s)
{
    if (!s)
        return;
    buf_free(&s->rec);
    free(s);
}

/* Records a fatal error and returns its code. */
__attribute__((format(printf, 3, 4))) static int split_fail(json_split_t *s, int rc,
                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    s->error_line = s->line;
    s->rc = rc;
    return rc;
}

/* JSON whitespace (RFC 8259). */
static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Adds a byte to the current record, failing past the cap. */
static int rec_add(json_split_t *s, char c)
{
    if (buf_putc(&s->rec, c) != ST_OK)
        return split_fail(s, ST_ERR_TOO_LARGE, "a record is larger than %zu bytes", s->rec.max);
    return ST_OK;
}

/* Hands the current record to the callback and empties it. */
static int rec_deliver(json_split_t *s)
{
    int rc = s->cb(s->ctx, buf_cstr(&s->rec), s->rec.len, s->rec_line);
    buf_reset(&s->rec);
    if (rc != ST_OK)
        s->rc = rc;
    return rc;
}

/* NDJSON: a line ended; deliver it unless blank. */
static int line_done(json_split_t *s)
{
    if (s->rec.len && s->rec.data[s->rec.len - 1] == '\r')
        s->rec.data[--s->rec.len] = '\0';
    for (size_t i = 0; i < s->rec.len; i++)
        if (!is_ws(s->rec.data[i]))
            return rec_deliver(s);
    buf_reset(&s->rec);
    return ST_OK;
}

/* Inside an array element: track strings and nesting to find its end. */
static int elem_byte(json_split_t *s, char c)
{
    int rc = rec_add(s, c);
    if (rc != ST_OK)
        return rc;
    if (s->in_string) {
        if (s->escape)
            s->escape = false;
        else if (c == '\\')
            s->escape = true;
        else if (c == '"')
            s->in_string = false;
        return ST_OK;
    }
    if (c == '"')
        s->in_string = true;
    else if (c == '{' || c == '[')
        s->depth++;
    else if ((c == '}' || c == ']') && --s->depth == 0) {
        s->state = S_AFTER;
        return rec_deliver(s);
    }
    return ST_OK;
}

/* One byte of the body. */
static int split_byte(json_split_t *s, char c)
{
    if (s->state == S_LINE) {
        if (!is_ws(c))
            s->seen_data = true;
        if (c == '\n')
            return line_done(s);
        if (s->rec.len == 0)
            s->rec_line = s->line;
        return rec_add(s, c);
    }
    if (s->state == S_ELEM)
        return elem_byte(s, c);
    if (is_ws(c))
        return ST_OK;
    s->seen_data = true;
    switch (s->state) {
    case S_BEFORE:
        if (c != '[')
            return split_fail(s, ST_ERR_INVALID, "the body must be a JSON array of objects");
        s->state = S_FIRST;
        return ST_OK;
    case S_FIRST:
    case S_NEXT:
        if (c == ']' && s->state == S_FIRST) {
            s->state = S_END;
            return ST_OK;
        }
        if (c != '{')
            return split_fail(s, ST_ERR_INVALID, "an element of the array is not an object");
        s->state = S_ELEM;
        s->rec_line = s->line;
        s->depth = 0;
        return elem_byte(s, c);
    case S_AFTER:
        if (c == ',')
            s->state = S_NEXT;
        else if (c == ']')
            s->state = S_END;
        else
            return split_fail(s, ST_ERR_INVALID, "expected ',' or ']' after an element");
        return ST_OK;
    default:
        return split_fail(s, ST_ERR_INVALID, "data after the end of the array");
    }
}

int json_split_feed(json_split_t *s, const char *data, size_t len)
{
    for (size_t i = 0; i < len && s->rc == ST_OK; i++) {
        unsigned char u = (unsigned char)data[i];
        if (s->bom < 3) {
            if (u == utf8_bom[s->bom] && !s->seen_data && s->rec.len == 0) {
                s->bom++;
                continue;
            }
            if (s->bom > 0)
                return split_fail(s, ST_ERR_INVALID,
                                  "the body starts with a broken byte order mark");
            s->bom = 3;
        }
        split_byte(s, data[i]);
        if (data[i] == '\n')
            s->line++;
    }
    return s->rc;
}

int json_split_finish(json_split_t *s)
{
    if (s->rc != ST_OK)
        return s->rc;
    if (!s->seen_data)
        return split_fail(s, ST_ERR_INVALID, "the body is empty");
    if (s->ndjson)
        return line_done(s);
    if (s->state != S_END)
        return split_fail(s, ST_ERR_INVALID, "the array is not closed (the body was cut off?)");
    return ST_OK;
}

const char *json_split_error(const json_split_t *s)
{
    return s->error;
}

uint64_t json_split_error_line(const json_split_t *s)
{
    return s->error_line;
}
