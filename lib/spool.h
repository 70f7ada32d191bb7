/*
 * spool.h - a copy of a stream kept on disk so it can be read again from
 * the start: an upload is spooled while it streams into a transaction, so
 * a transaction that loses a conflict (ST_ERR_RETRY) can run again over
 * the same bytes after the network body is gone.
 *
 * The file is created in a directory of the caller's and unlinked at once
 * (nothing is left behind, even after a crash); only its descriptor holds
 * it.  Memory is one read buffer.  One thread at a time per spool.
 */
#ifndef SLT_SPOOL_H
#define SLT_SPOOL_H

#include <stddef.h>

typedef struct spool spool_t;

/* A new empty spool in directory dir (created if missing); ST_OK or ST_ERR_IO. */
int spool_new(const char *dir, spool_t **out);
/* Frees the spool and its file; spool_free(NULL) does nothing. */
void spool_free(spool_t *s);
/* Appends n bytes; ST_OK or ST_ERR_IO (disk full, ...). */
int spool_write(spool_t *s, const char *data, size_t n);
/* Starts reading from the first byte again. */
int spool_rewind(spool_t *s);
/*
 * The next piece: *data points into the spool's buffer (valid until the
 * next call), the return is its length, 0 at the end, -1 on an I/O error.
 */
long spool_read(spool_t *s, const char **data);
/* Bytes written so far. */
size_t spool_size(const spool_t *s);

#endif
