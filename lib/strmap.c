/* strmap.c - string to int64 hash map, linear probing (see strmap.h). */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "xmem.h"

typedef struct entry {
    const char *key; /* NULL: empty */
    uint64_t hash;
    int64_t value;
} entry_t;

struct strmap {
    entry_t *e;
    size_t cap, n; /* cap is a power of two, kept at least twice n */
};

/* FNV-1a: quick and well spread for short ids. */
static uint64_t str_hash(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

strmap_t *strmap_new(size_t expected)
{
    strmap_t *m = xcalloc(1, sizeof *m);
    m->cap = 16;
    while (m->cap < 2 * expected)
        m->cap *= 2;
    m->e = xcalloc(m->cap, sizeof *m->e);
    return m;
}

/* The slot of key with hash h: its entry, or the empty slot it would take. */
static entry_t *find(const strmap_t *m, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);
    for (;;) {
        entry_t *e = &m->e[i];
        if (!e->key || (e->hash == h && (e->key == key || strcmp(e->key, key) == 0)))
            return e;
        i = (i + 1) & (m->cap - 1);
    }
}

/* Doubles the table. */
static void grow(strmap_t *m)
{
    entry_t *old = m->e;
    size_t old_cap = m->cap;
    m->cap *= 2;
    m->e = xcalloc(m->cap, sizeof *m->e);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            *find(m, old[i].key, old[i].hash) = old[i];
    free(old);
}

int64_t *strmap_put(strmap_t *m, const char *key, bool *added)
{
    uint64_t h = str_hash(key);
    entry_t *e = find(m, key, h);
    *added = !e->key;
    if (e->key)
        return &e->value;
    if (2 * (m->n + 1) > m->cap) {
        grow(m);
        e = find(m, key, h);
    }
    e->key = key;
    e->hash = h;
    e->value = 0;
    m->n++;
    return &e->value;
}

int64_t *strmap_get(const strmap_t *m, const char *key)
{
    entry_t *e = find(m, key, str_hash(key));
    return e->key ? &e->value : NULL;
}

size_t strmap_count(const strmap_t *m)
{
    return m->n;
}

size_t strmap_capacity(const strmap_t *m)
{
    return m->cap;
}

bool strmap_slot(const strmap_t *m, size_t i, const char **key, int64_t *value)
{
    if (i >= m->cap || !m->e[i].key)
        return false;
    *key = m->e[i].key;
    *value = m->e[i].value;
    return true;
}

void strmap_free(strmap_t *m)
{
    if (!m)
        return;
    free(m->e);
    free(m);
}
