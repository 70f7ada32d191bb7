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

/* The nice value of workers: between the loop's 0 and the lowest, 19. */
#define THREADPRIO_WORKER_NICE 10

/* Sets the calling thread's nice value (Linux: per thread); 0 or -1 with errno. */
int threadprio_lower(int nice);

#endif
