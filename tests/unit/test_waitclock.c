/* Unit tests for lib/waitclock.c: deadlines on the monotonic clock, normalised. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "waitclock.h"

/* Nanoseconds of the monotonic clock. */
static long long mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* 1,500 ms from now is 1.5 s on the monotonic clock, with tv_nsec below one second. */
static void test_after_ms_is_monotonic_and_normalised(void **state)
{
    (void)state;
    for (long long ms = 0; ms < 3000; ms += 137) {
        long long before = mono_ns();
        struct timespec t = waitclock_after_ms(ms);
        long long after = mono_ns();
        long long at = (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
        assert_true(t.tv_nsec >= 0 && t.tv_nsec < 1000000000L);
        assert_true(at >= before + ms * 1000000LL);
        assert_true(at <= after + ms * 1000000LL);
    }
}

/* A timed wait on such a condition variable ends after its 50 ms, measured monotonically. */
static void test_timed_wait_uses_the_monotonic_clock(void **state)
{
    (void)state;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv;
    waitclock_cond_init(&cv);
    long long t0 = mono_ns();
    struct timespec until = waitclock_after_ms(50);
    pthread_mutex_lock(&mu);
    int rc = 0;
    while (rc == 0)
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    pthread_mutex_unlock(&mu);
    long long waited = mono_ns() - t0;
    assert_int_equal(rc, ETIMEDOUT);
    /* On a CLOCK_REALTIME condition variable this deadline (seconds since
     * boot) lies decades in the past: the wait would end at once. */
    assert_true(waited >= 50000000LL);
    assert_true(waited < 5000000000LL);
    pthread_cond_destroy(&cv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_after_ms_is_monotonic_and_normalised),
        cmocka_unit_test(test_timed_wait_uses_the_monotonic_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
