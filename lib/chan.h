/*
 * chan.h - a bounded byte pipe from the event loop (producer) to one worker
 * thread (consumer), for streaming a request body into a job.
 *
 * The producer pushes chunks (copied) and learns when the pipe is over its
 * capacity, so it can stop reading the socket; the consumer pops chunks,
 * blocking while the pipe is empty, and the pipe calls the producer's
 * wake-up function (from the consumer's thread) once it has drained below
 * half, so reading can resume.  Either side can end it: the producer with
 * chan_close() (ok: end of body; not ok: the body was cut off), the
 * consumer with chan_abandon() (it needs no more input).
 *
 * The pipe is shared: chan_new() returns it with two references, one per
 * side; each side drops its own with chan_release().  Thread-safe.
 */
#ifndef SLT_CHAN_H
#define SLT_CHAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct chan chan_t;

/* wake(arg) runs on the consumer's thread when a paused producer may go on. */
chan_t *chan_new(size_t capacity, void (*wake)(void *arg), void *wake_arg);
void chan_release(chan_t *c);

/*
 * Producer: copies n bytes in.  Returns 1 when the pipe is now over
 * capacity (pause reading until wake), 0 otherwise, and -1 when the
 * consumer has abandoned it (discard the input).
 */
int chan_push(chan_t *c, const void *data, size_t n);
/* Producer: no more input; ok false means the body is incomplete. */
void chan_close(chan_t *c, bool ok);

/*
 * Consumer: waits for the next chunk.  Returns its length with *data set
 * (valid until the next call), 0 at the end of a complete body, or -1 when
 * the body was cut off.
 */
long chan_pop(chan_t *c, const char **data);
/* Consumer: stop; later pushes are discarded. */
void chan_abandon(chan_t *c);

#endif
