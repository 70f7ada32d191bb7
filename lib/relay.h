/*
 * relay.h - two buffers passed back and forth between one producer thread
 * and one consumer thread, so that each works on one while the other
 * works on the other (double buffering).
 *
 * The producer asks for an empty buffer (relay_fill()), fills it, and
 * hands it over (relay_put()); the consumer takes the next full one
 * (relay_take()), which also gives back the one it took before.  Each
 * side waits only when the other has both buffers.  The producer ends
 * the stream with the last relay_put() (last = true) or with
 * relay_fail(); the consumer may stop early with relay_abandon(), after
 * which the producer's relay_fill() returns NULL.  Buffers hold whatever
 * the two sides agree on (bytes, an array of records).
 *
 * Used for the Evidence rows read from the database while the sheet is
 * written (report_model_evidence.c), and for those rows' XML deflated
 * while the next are written (xl_splice.c).
 *
 * Ownership: relay_new() returns the relay; whoever made it frees it
 * with relay_free() once both threads are done with it.
 */
#ifndef SLT_RELAY_H
#define SLT_RELAY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct relay relay_t;

/* A relay with two buffers of `size` bytes. */
relay_t *relay_new(size_t size);
/* Frees the relay and its buffers; NULL is a no-op. */
void relay_free(relay_t *r);
/* The size of each buffer. */
size_t relay_size(const relay_t *r);

/* Producer: an empty buffer to fill (waits for one); NULL once the consumer abandoned. */
void *relay_fill(relay_t *r);
/* Producer: hands over the buffer from relay_fill() with len bytes used;
 * last marks the end of the stream. */
void relay_put(relay_t *r, size_t len, bool last);
/* Producer: ends the stream with a failure; the consumer's relay_take() returns it. */
void relay_fail(relay_t *r);

/*
 * Consumer: gives back the buffer taken before and waits for the next
 * full one.  Returns 1 with *data and *len set (valid until the next
 * call), 0 at the end of the stream, -1 when the producer failed.
 */
int relay_take(relay_t *r, const void **data, size_t *len);
/* Consumer: no more buffers wanted; the producer's relay_fill() returns NULL. */
void relay_abandon(relay_t *r);

#endif
