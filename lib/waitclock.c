/* waitclock.c - timed waits on the monotonic clock (see waitclock.h). */
#include "waitclock.h"

void waitclock_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

struct timespec waitclock_after_ms(long long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    long long ns = (long long)t.tv_nsec + (ms % 1000) * 1000000LL;
    t.tv_sec += (time_t)(ms / 1000 + ns / 1000000000LL);
    t.tv_nsec = (long)(ns % 1000000000LL);
    return t;
}
