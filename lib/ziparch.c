/* ziparch.c - in-memory zip archives with libzip (see ziparch.h). */
#include "ziparch.h"

#include <stdio.h>
#include <stdlib.h>
#include <zip.h>

#include "status.h"
#include "xmem.h"

struct ziparch {
    zip_source_t *src; /* the archive's bytes, kept past zip_close */
    zip_t *za;
    time_t mtime;
};

ziparch_t *ziparch_new(time_t mtime)
{
    zip_error_t ze;
    zip_error_init(&ze);
    ziparch_t *z = xcalloc(1, sizeof *z);
    z->mtime = mtime;
    z->src = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (z->src) {
        zip_source_keep(z->src);
        z->za = zip_open_from_source(z->src, ZIP_TRUNCATE, &ze);
    }
    zip_error_fini(&ze);
    if (!z->za) {
        ziparch_free(z);
        return NULL;
    }
    return z;
}

int ziparch_add(ziparch_t *z, const char *name, const void *data, size_t len)
{
    zip_source_t *s = zip_source_buffer(z->za, data, len, 0);
    if (!s)
        return ST_ERR_IO;
    zip_int64_t idx = zip_file_add(z->za, name, s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (idx < 0) {
        zip_source_free(s);
        return ST_ERR_IO;
    }
    if (zip_file_set_mtime(z->za, (zip_uint64_t)idx, z->mtime, 0) != 0 ||
        zip_set_file_compression(z->za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 9) != 0)
        return ST_ERR_IO;
    return ST_OK;
}

int ziparch_finish(ziparch_t *z, buf_t *out)
{
    int rc = ST_ERR_IO;
    if (zip_close(z->za) != 0) {
        zip_discard(z->za);
        z->za = NULL;
        goto done;
    }
    z->za = NULL;
    if (zip_source_open(z->src) != 0)
        goto done;
    char chunk[65536];
    zip_int64_t n;
    rc = ST_OK;
    while (rc == ST_OK && (n = zip_source_read(z->src, chunk, sizeof chunk)) > 0)
        rc = buf_append(out, chunk, (size_t)n);
    zip_source_close(z->src);
done:
    ziparch_free(z);
    return rc;
}

void ziparch_free(ziparch_t *z)
{
    if (!z)
        return;
    if (z->za)
        zip_discard(z->za);
    if (z->src)
        zip_source_free(z->src);
    free(z);
}
