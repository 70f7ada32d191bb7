/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer that grows with input has an owner and a limit (curl's
 * dynbuf): appending past `max` fails with ST_ERR_TOO_LARGE and frees the
 * contents, so a half-filled buffer is never used by mistake.  The data is
 * always NUL-terminated (one byte beyond len), so text can be read as a C
 * string.  A buf_t is owned by whoever declared it; buf_free() releases the
 * storage and leaves an empty buffer with the same cap.  Not thread-safe.
 */
#ifndef SLT_BUF_H
#define SLT_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
    char *data;   /* NULL until the first append */
    size_t len;   /* bytes in use */
    size_t alloc; /* bytes allocated */
    size_t max;   /* hard cap on len */
} buf_t;

/* Prepares an empty buffer that may hold at most `max` bytes. */
void buf_init(buf_t *b, size_t max);
/* Appends n bytes; ST_ERR_TOO_LARGE (contents freed) past the cap. */
int buf_append(buf_t *b, const void *p, size_t n);
/* Appends a NUL-terminated string. */
int buf_puts(buf_t *b, const char *s);
/* Appends one byte. */
int buf_putc(buf_t *b, char c);
/* Appends printf-formatted text. */
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap);
/* The contents as a C string ("" when empty). Valid until the next change. */
const char *buf_cstr(const buf_t *b);
/* Empties the buffer but keeps its storage for reuse. */
void buf_reset(buf_t *b);
/* Releases the storage. */
void buf_free(buf_t *b);
/*
 * Appends the whole file at path.  ST_ERR_IO when it cannot be read,
 * ST_ERR_TOO_LARGE (contents freed) past the cap.
 */
int buf_read_file(buf_t *b, const char *path);
/* Hands the storage to the caller (free() it); the buffer becomes empty. */
char *buf_detach(buf_t *b, size_t *len);

#endif
