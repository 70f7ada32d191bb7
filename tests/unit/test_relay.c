/* test_relay.c - double buffering between two threads: order, the end, a failure, abandoning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "relay.h"

#define BATCH 16 /* numbers a buffer holds */

/* A producer of the numbers 0..n-1, BATCH to a buffer; fails instead of its last put when asked. */
typedef struct producer {
    relay_t *r;
    int n;
    bool fail;
    int puts;     /* buffers handed over */
    bool stopped; /* relay_fill() said the consumer abandoned */
} producer_t;

static void *produce(void *arg)
{
    producer_t *p = arg;
    int next = 0;
    while (next < p->n) {
        int *b = relay_fill(p->r);
        if (!b) {
            p->stopped = true;
            return NULL;
        }
        int k = 0;
        while (k < BATCH && next < p->n)
            b[k++] = next++;
        if (next == p->n && p->fail) {
            relay_fail(p->r);
            return NULL;
        }
        relay_put(p->r, (size_t)k * sizeof(int), next == p->n);
        p->puts++;
    }
    if (p->n == 0)
        relay_put(p->r, 0, true);
    return NULL;
}

/* Consumes until the end; returns the count and checks 0, 1, 2, ... in order. */
static int consume_all(relay_t *r, int *status)
{
    const void *data;
    size_t len;
    int expect = 0, got;
    while ((got = relay_take(r, &data, &len)) == 1) {
        const int *v = data;
        for (size_t i = 0; i < len / sizeof(int); i++)
            assert_int_equal(v[i], expect++);
    }
    *status = got;
    return expect;
}

/* 10,000 numbers arrive once each, in order, then the end. */
static void test_order_and_end(void **state)
{
    (void)state;
    for (int n = 0; n <= 10000; n += n < 40 ? 1 : 3331) {
        producer_t p = {.r = relay_new(BATCH * sizeof(int)), .n = n};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
        int status = 9;
        assert_int_equal(consume_all(p.r, &status), n);
        assert_int_equal(status, 0);
        pthread_join(t, NULL);
        relay_free(p.r);
    }
}

/* A producer's failure reaches the consumer after the buffers before it. */
static void test_failure(void **state)
{
    (void)state;
    producer_t p = {.r = relay_new(BATCH * sizeof(int)), .n = 100, .fail = true};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    int status = 9;
    int seen = consume_all(p.r, &status);
    assert_int_equal(status, -1);
    assert_true(seen <= 96 && seen % BATCH == 0); /* whole buffers before the failed one */
    pthread_join(t, NULL);
    relay_free(p.r);
}

/* A consumer that stops early releases a producer waiting for a buffer. */
static void test_abandon(void **state)
{
    (void)state;
    producer_t p = {.r = relay_new(BATCH * sizeof(int)), .n = 1000000};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    const void *data;
    size_t len;
    assert_int_equal(relay_take(p.r, &data, &len), 1);
    assert_int_equal(((const int *)data)[0], 0);
    relay_abandon(p.r);
    pthread_join(t, NULL); /* returns: the producer saw the abandon */
    assert_true(p.stopped);
    assert_true(p.puts < 1000000 / BATCH);
    relay_free(p.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_end),
        cmocka_unit_test(test_failure),
        cmocka_unit_test(test_abandon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
