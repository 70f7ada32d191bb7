/*
 * waitclock.h - timed waits that a step of the wall clock cannot stretch.
 *
 * pthread_cond_timedwait() takes an absolute deadline on the condition
 * variable's clock, CLOCK_REALTIME by default: a deadline computed a moment
 * before the wall clock steps back an hour (NTP, an operator) then lies an
 * hour further away, and a heartbeat or a poll sleeps an hour.  A condition
 * variable initialised here waits on CLOCK_MONOTONIC instead, and
 * waitclock_after_ms() gives its deadlines.  No allocation; thread-safe.
 */
#ifndef SLT_WAITCLOCK_H
#define SLT_WAITCLOCK_H

#include <pthread.h>
#include <time.h>

/* Initialises cv (pthread_cond_destroy() as usual) to time waits on CLOCK_MONOTONIC. */
void waitclock_cond_init(pthread_cond_t *cv);
/* The CLOCK_MONOTONIC instant ms milliseconds from now, for such a cv's timed waits. */
struct timespec waitclock_after_ms(long long ms);

#endif
