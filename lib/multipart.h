/*
 * multipart.h - a parser for multipart/form-data bodies (RFC 7578), enough
 * for file uploads: named parts and their bytes.  It works on a body that
 * is already in memory; the parts point into it (nothing is copied), so
 * the body must outlive them.  Pure and thread-safe.
 */
#ifndef SLT_MULTIPART_H
#define SLT_MULTIPART_H

#include <stddef.h>

#define MULTIPART_MAX_PARTS 16

typedef struct multipart_part {
    char name[64];      /* the form field name */
    char filename[128]; /* "" when none */
    const char *data;   /* the part's bytes, inside the body */
    size_t len;
} multipart_part_t;

/*
 * Reads the boundary from a Content-Type value and splits body into parts.
 * ST_ERR_INVALID with the reason in err for a missing boundary, a part
 * without a name, a body that does not end with the closing delimiter, or
 * more than MULTIPART_MAX_PARTS parts.
 */
int multipart_parse(const char *content_type, const char *body, size_t len, multipart_part_t *parts,
                    size_t *nparts, char *err, size_t errlen);

/* The first part with this name, or NULL. */
const multipart_part_t *multipart_find(const multipart_part_t *parts, size_t n, const char *name);

#endif
