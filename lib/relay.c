/* relay.c - double buffering between a producer and a consumer thread (see relay.h). */
#include "relay.h"

#include <pthread.h>
#include <stdlib.h>

#include "xmem.h"

/* Where a buffer is: with the producer (free, then filling), handed over, or being read. */
typedef enum slot_state { SLOT_FREE, SLOT_FULL, SLOT_READING } slot_state;

struct relay {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t size;
    unsigned char *buf[2];
    size_t len[2];
    slot_state state[2];
    int fill;    /* the buffer the producer fills next */
    int read;    /* the buffer the consumer takes next */
    bool ended;  /* the last buffer was put, or the producer failed */
    bool failed; /* ... failed */
    bool abandoned;
};

relay_t *relay_new(size_t size)
{
    relay_t *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->size = size;
    r->buf[0] = xmalloc(size);
    r->buf[1] = xmalloc(size);
    return r;
}

void relay_free(relay_t *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->buf[0]);
    free(r->buf[1]);
    free(r);
}

size_t relay_size(const relay_t *r)
{
    return r->size;
}

void *relay_fill(relay_t *r)
{
    pthread_mutex_lock(&r->mu);
    while (r->state[r->fill] != SLOT_FREE && !r->abandoned)
        pthread_cond_wait(&r->cv, &r->mu);
    void *b = r->abandoned ? NULL : r->buf[r->fill];
    pthread_mutex_unlock(&r->mu);
    return b;
}

void relay_put(relay_t *r, size_t len, bool last)
{
    pthread_mutex_lock(&r->mu);
    r->len[r->fill] = len;
    r->state[r->fill] = SLOT_FULL;
    r->fill ^= 1;
    r->ended = last;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void relay_fail(relay_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->ended = true;
    r->failed = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int relay_take(relay_t *r, const void **data, size_t *len)
{
    pthread_mutex_lock(&r->mu);
    int prev = r->read ^ 1;
    if (r->state[prev] == SLOT_READING) {
        r->state[prev] = SLOT_FREE;
        pthread_cond_broadcast(&r->cv);
    }
    /* A full buffer is read even after the end: the last one comes with it. */
    while (r->state[r->read] != SLOT_FULL && !r->ended)
        pthread_cond_wait(&r->cv, &r->mu);
    int rc = 0;
    if (r->state[r->read] == SLOT_FULL && !r->failed) {
        r->state[r->read] = SLOT_READING;
        *data = r->buf[r->read];
        *len = r->len[r->read];
        r->read ^= 1;
        rc = 1;
    } else if (r->failed) {
        rc = -1;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void relay_abandon(relay_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->abandoned = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}
