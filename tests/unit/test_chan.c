/* Unit tests for lib/chan.c: order, back-pressure, end, cut-off, abandon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "chan.h"

static int wakes;

static void on_wake(void *arg)
{
    (void)arg;
    wakes++;
}

static void test_order_and_end(void **state)
{
    (void)state;
    chan_t *c = chan_new(100, on_wake, NULL);
    assert_int_equal(chan_push(c, "abc", 3), 0);
    assert_int_equal(chan_push(c, "de", 2), 0);
    chan_close(c, true);
    const char *d;
    assert_int_equal(chan_pop(c, &d), 3);
    assert_memory_equal(d, "abc", 3);
    assert_int_equal(chan_pop(c, &d), 2);
    assert_memory_equal(d, "de", 2);
    assert_int_equal(chan_pop(c, &d), 0);
    assert_int_equal(chan_push(c, "x", 1), -1); /* closed */
    chan_release(c);
    chan_release(c);
}

static void test_backpressure_wakes_below_half(void **state)
{
    (void)state;
    wakes = 0;
    char block[40] = {0};
    chan_t *c = chan_new(100, on_wake, NULL);
    assert_int_equal(chan_push(c, block, 40), 0); /* 40 */
    assert_int_equal(chan_push(c, block, 40), 0); /* 80 */
    assert_int_equal(chan_push(c, block, 40), 1); /* 120 > 100: pause */
    const char *d;
    assert_int_equal(chan_pop(c, &d), 40); /* 80 left: not yet <= 50 */
    assert_int_equal(wakes, 0);
    assert_int_equal(chan_pop(c, &d), 40); /* 40 left: wake once */
    assert_int_equal(wakes, 1);
    assert_int_equal(chan_pop(c, &d), 40);
    assert_int_equal(wakes, 1);
    chan_close(c, false);
    assert_int_equal(chan_pop(c, &d), -1); /* cut off */
    chan_release(c);
    chan_release(c);
}

static void test_abandon_discards(void **state)
{
    (void)state;
    chan_t *c = chan_new(10, NULL, NULL);
    assert_int_equal(chan_push(c, "hello", 5), 0);
    chan_abandon(c);
    assert_int_equal(chan_push(c, "more", 4), -1);
    const char *d;
    assert_int_equal(chan_pop(c, &d), -1);
    chan_release(c);
    chan_release(c);
}

struct producer {
    chan_t *c;
    int chunks;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (int i = 0; i < p->chunks; i++) {
        char b[8];
        memset(b, 'a' + i % 26, sizeof b);
        chan_push(p->c, b, sizeof b);
    }
    chan_close(p->c, true);
    return NULL;
}

static void test_threads_deliver_every_byte(void **state)
{
    (void)state;
    struct producer p = {chan_new(1 << 20, NULL, NULL), 10000};
    pthread_t t;
    pthread_create(&t, NULL, produce, &p);
    long total = 0, n;
    const char *d;
    int i = 0;
    while ((n = chan_pop(p.c, &d)) > 0) {
        assert_int_equal(n, 8);
        assert_int_equal(d[0], 'a' + i % 26);
        total += n;
        i++;
    }
    assert_int_equal(n, 0);
    assert_int_equal(total, 80000);
    pthread_join(t, NULL);
    chan_release(p.c);
    chan_release(p.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_end),
        cmocka_unit_test(test_backpressure_wakes_below_half),
        cmocka_unit_test(test_abandon_discards),
        cmocka_unit_test(test_threads_deliver_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
