/* strpool.c - interned strings in stable blocks (see strpool.h). */
#include "strpool.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xmem.h"

#define BLOCK_BYTES ((size_t)64 << 10)

struct strpool {
    strmap_t *map; /* text -> unused; keys are the pool's copies */
    char **blocks;
    size_t nblocks, used, cap; /* used/cap: of the last block */
    size_t bytes;
};

strpool_t *strpool_new(void)
{
    strpool_t *p = xcalloc(1, sizeof *p);
    p->map = strmap_new(256);
    return p;
}

/* Room for len bytes that will never move: the last block, or a new one. */
static char *reserve(strpool_t *p, size_t len)
{
    if (p->nblocks == 0 || p->cap - p->used < len) {
        size_t size = len > BLOCK_BYTES ? len : BLOCK_BYTES;
        p->blocks = xrealloc(p->blocks, (p->nblocks + 1) * sizeof *p->blocks);
        p->blocks[p->nblocks++] = xmalloc(size);
        p->used = 0;
        p->cap = size;
        p->bytes += size;
    }
    char *at = p->blocks[p->nblocks - 1] + p->used;
    p->used += len;
    return at;
}

const char *strpool_copy(strpool_t *p, const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = reserve(p, len);
    memcpy(copy, s, len);
    return copy;
}

const void *strpool_mem(strpool_t *p, const void *data, size_t len)
{
    char *copy = reserve(p, len ? len : 1);
    if (len)
        memcpy(copy, data, len);
    return copy;
}

const char *strpool_intern(strpool_t *p, const char *s)
{
    int64_t *hit = strmap_get(p->map, s);
    if (hit)
        return (const char *)(uintptr_t)*hit;
    const char *copy = strpool_copy(p, s);
    bool added;
    *strmap_put(p->map, copy, &added) = (int64_t)(uintptr_t)copy;
    return copy;
}

size_t strpool_bytes(const strpool_t *p)
{
    return p->bytes;
}

void strpool_free(strpool_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nblocks; i++)
        free(p->blocks[i]);
    free(p->blocks);
    strmap_free(p->map);
    free(p);
}
