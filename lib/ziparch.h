/*
 * ziparch.h - a small zip archive built in memory (libzip underneath), for
 * the auditor bundle.  Entries are stored as given, with one fixed
 * modification time, so the same inputs give the same bytes.  The data
 * passed to ziparch_add() must stay valid until ziparch_finish().  One
 * thread at a time per archive.
 */
#ifndef SLT_ZIPARCH_H
#define SLT_ZIPARCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

typedef struct ziparch ziparch_t;

ziparch_t *ziparch_new(time_t mtime);
/* Adds a file; name is copied, data is borrowed until ziparch_finish(). */
int ziparch_add(ziparch_t *z, const char *name, const void *data, size_t len);
/* Writes the archive into out (appended) and frees z. */
int ziparch_finish(ziparch_t *z, buf_t *out);
/* Frees an unfinished archive; NULL is a no-op. */
void ziparch_free(ziparch_t *z);

#endif
