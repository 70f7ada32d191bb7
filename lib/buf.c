/* buf.c - growable capped byte buffer (see buf.h). */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xmem.h"

void buf_init(buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->max = max;
}

/* Makes room for `extra` more bytes plus the terminating NUL. */
static int buf_reserve(buf_t *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) {
        buf_free(b);
        return ST_ERR_TOO_LARGE;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->alloc)
        return ST_OK;
    size_t n = b->alloc ? b->alloc : 64;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    b->data = xrealloc(b->data, n);
    b->alloc = n;
    return ST_OK;
}

int buf_append(buf_t *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc != ST_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return ST_OK;
}

int buf_puts(buf_t *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(buf_t *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ST_ERR_INVALID;
    int rc = buf_reserve(b, (size_t)n);
    if (rc != ST_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return ST_OK;
}

int buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *buf_cstr(const buf_t *b)
{
    return b->data ? b->data : "";
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

char *buf_detach(buf_t *b, size_t *len)
{
    char *p = b->data ? b->data : xstrdup("");
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    return p;
}

int buf_read_file(buf_t *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ST_ERR_IO;
    char chunk[8192];
    size_t n;
    int rc = ST_OK;
    while (rc == ST_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(b, chunk, n);
    if (rc == ST_OK && ferror(f))
        rc = ST_ERR_IO;
    fclose(f);
    return rc;
}
