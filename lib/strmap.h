/*
 * strmap.h - an open-addressing hash map from strings to int64 values, for
 * grouping and interning many rows by a short id (queue, agent, customer)
 * without sorting them.
 *
 * Keys are NUL-terminated and BORROWED: the caller keeps each key alive,
 * unmoved, for the life of the map.  Values are the caller's to set
 * through the pointer strmap_put() returns (valid until the next put).
 * Not thread-safe: one map per thread.
 */
#ifndef SLT_STRMAP_H
#define SLT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct strmap strmap_t;

/* A new empty map sized for about `expected` keys (it grows as needed). */
strmap_t *strmap_new(size_t expected);

/*
 * The value of key, inserting key with value 0 when absent (*added then
 * true).  The pointer is valid until the next strmap_put().
 */
int64_t *strmap_put(strmap_t *m, const char *key, bool *added);

/* The value of key, or NULL when absent. */
int64_t *strmap_get(const strmap_t *m, const char *key);

/* Number of keys. */
size_t strmap_count(const strmap_t *m);

/* Key and value of the i-th occupied slot, for i < strmap_capacity();
 * false for an empty slot.  Order is arbitrary. */
size_t strmap_capacity(const strmap_t *m);
bool strmap_slot(const strmap_t *m, size_t i, const char **key, int64_t *value);

/* Releases the map (not the keys); NULL does nothing. */
void strmap_free(strmap_t *m);

#endif
