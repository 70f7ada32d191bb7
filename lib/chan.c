/* chan.c - bounded producer/consumer byte pipe (see chan.h). */
#include "chan.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

typedef struct chunk {
    struct chunk *next;
    size_t len;
    char data[];
} chunk_t;

struct chan {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    chunk_t *head, *tail;
    chunk_t *current; /* the chunk the consumer holds */
    size_t queued, capacity;
    bool closed, ok, abandoned, producer_paused;
    int refs;
    void (*wake)(void *);
    void *wake_arg;
};

chan_t *chan_new(size_t capacity, void (*wake)(void *arg), void *wake_arg)
{
    chan_t *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->capacity = capacity;
    c->wake = wake;
    c->wake_arg = wake_arg;
    c->refs = 2;
    return c;
}

/* Frees every queued chunk; the lock is held. */
static void chan_drop_queue(chan_t *c)
{
    while (c->head) {
        chunk_t *k = c->head;
        c->head = k->next;
        free(k);
    }
    c->tail = NULL;
    c->queued = 0;
}

void chan_release(chan_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    int left = --c->refs;
    pthread_mutex_unlock(&c->mu);
    if (left > 0)
        return;
    chan_drop_queue(c);
    free(c->current);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int chan_push(chan_t *c, const void *data, size_t n)
{
    pthread_mutex_lock(&c->mu);
    if (c->abandoned || c->closed) {
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    chunk_t *k = xmalloc(sizeof *k + n);
    k->next = NULL;
    k->len = n;
    memcpy(k->data, data, n);
    if (c->tail)
        c->tail->next = k;
    else
        c->head = k;
    c->tail = k;
    c->queued += n;
    int over = c->queued > c->capacity;
    if (over)
        c->producer_paused = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return over;
}

void chan_close(chan_t *c, bool ok)
{
    pthread_mutex_lock(&c->mu);
    c->closed = true;
    c->ok = ok;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

long chan_pop(chan_t *c, const char **data)
{
    bool wake = false;
    long result;
    pthread_mutex_lock(&c->mu);
    free(c->current);
    c->current = NULL;
    while (!c->head && !c->closed && !c->abandoned)
        pthread_cond_wait(&c->cv, &c->mu);
    if (c->head) {
        chunk_t *k = c->head;
        c->head = k->next;
        if (!c->head)
            c->tail = NULL;
        c->queued -= k->len;
        c->current = k;
        *data = k->data;
        result = (long)k->len;
        if (c->producer_paused && c->queued <= c->capacity / 2) {
            c->producer_paused = false;
            wake = true;
        }
    } else {
        result = c->closed && c->ok && !c->abandoned ? 0 : -1;
    }
    pthread_mutex_unlock(&c->mu);
    if (wake && c->wake)
        c->wake(c->wake_arg);
    return result;
}

void chan_abandon(chan_t *c)
{
    pthread_mutex_lock(&c->mu);
    c->abandoned = true;
    chan_drop_queue(c);
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}
