/* spool.c - a stream kept on disk to be read again (see spool.h). */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"
#include "xmem.h"

#define SPOOL_BUF (256 * 1024)

struct spool {
    int fd;
    size_t size;
    char buf[SPOOL_BUF];
};

int spool_new(const char *dir, spool_t **out)
{
    *out = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ST_ERR_IO;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/spool-XXXXXX", dir) >= (int)sizeof path)
        return ST_ERR_IO;
    int fd = mkstemp(path);
    if (fd < 0)
        return ST_ERR_IO;
    unlink(path); /* the descriptor alone keeps it */
    spool_t *s = xcalloc(1, sizeof *s);
    s->fd = fd;
    *out = s;
    return ST_OK;
}

void spool_free(spool_t *s)
{
    if (!s)
        return;
    close(s->fd);
    free(s);
}

int spool_write(spool_t *s, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(s->fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ST_ERR_IO;
        data += w;
        n -= (size_t)w;
        s->size += (size_t)w;
    }
    return ST_OK;
}

int spool_rewind(spool_t *s)
{
    return lseek(s->fd, 0, SEEK_SET) == 0 ? ST_OK : ST_ERR_IO;
}

long spool_read(spool_t *s, const char **data)
{
    for (;;) {
        ssize_t r = read(s->fd, s->buf, sizeof s->buf);
        if (r < 0 && errno == EINTR)
            continue;
        *data = s->buf;
        return r < 0 ? -1 : (long)r;
    }
}

size_t spool_size(const spool_t *s)
{
    return s->size;
}
