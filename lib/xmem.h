/*
 * xmem.h - allocation that never returns NULL.
 *
 * Out of memory is not an error slattest tries to recover from: like redis
 * and h2o, every allocation goes through these wrappers, which print a
 * message and abort().  The caller owns what they return and frees it with
 * free().  Thread-safe.
 */
#ifndef SLT_XMEM_H
#define SLT_XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and always NUL-terminates. */
char *xstrndup(const char *s, size_t n);
/* Copies n bytes of p into a new buffer with one extra NUL byte after them. */
void *xmemdup(const void *p, size_t n);

#endif
