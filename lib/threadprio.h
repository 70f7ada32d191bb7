/*
 * threadprio.h - background threads yield the CPU to the event loop.
 *
 * On a busy machine the event-loop thread, which answers every probe and
 * moves every byte, otherwise waits for the CPU behind worker threads that
 * compute metrics, parse uploads or build workbooks for seconds at a time
 * (bench/load measured `/healthz` p99 at 35 ms with a max near a second).
 * A worker lowers its own priority (a higher nice value, for its thread
 * only) once at start: the loop then gets the CPU first whenever it has
 * work, and the workers take everything left.  Raising it back would need
 * privileges, so it is never done.
 */
#ifndef SLT_THREADPRIO_H
#define SLT_THREADPRIO_H

/* How much lower than the process's own priority workers run (nice steps). */
#define THREADPRIO_WORKER_NICE 10

/*
 * Raises the calling thread's nice value by steps (Linux: that thread only),
 * relative to the process's, up to 19: a server started with `nice -n -5`
 * (systemd Nice=-5) keeps its loop at -5 and runs workers at 5.  0 or -1
 * with errno.
 */
int threadprio_lower(int steps);

#endif
