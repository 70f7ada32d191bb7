/*
 * strpool.h - interned strings: each distinct text stored once, in blocks
 * that never move, so a million rows naming the same few queues and agents
 * share a few bytes, and equal texts get equal pointers.
 *
 * The pool owns every string it returns; they stay valid until
 * strpool_free().  Not thread-safe: one pool per thread.
 */
#ifndef SLT_STRPOOL_H
#define SLT_STRPOOL_H

#include <stddef.h>

typedef struct strpool strpool_t;

strpool_t *strpool_new(void);

/* The pool's copy of the NUL-terminated text s (stored on first sight). */
const char *strpool_intern(strpool_t *p, const char *s);

/* A copy of s kept by the pool without looking for an equal one: for texts
 * that are mostly distinct (customer ids), where a lookup costs more than
 * it saves.  Valid until strpool_free(). */
const char *strpool_copy(strpool_t *p, const char *s);

/* A copy of len bytes of data (any bytes, not a string) kept by the pool,
 * at an address that never moves; valid until strpool_free(). */
const void *strpool_mem(strpool_t *p, const void *data, size_t len);

/* Bytes held in blocks (for measurements). */
size_t strpool_bytes(const strpool_t *p);

/* Releases the pool and every string it returned; NULL does nothing. */
void strpool_free(strpool_t *p);

#endif
