/* xl_splice.c - rows deflated on a thread, spliced into a finished .xlsx (see xl_splice.h). */
#include "xl_splice.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "relay.h"
#include "status.h"
#include "xmem.h"

#define CHUNK           (256u << 10)        /* row XML handed to the compressing thread at a time */
#define PACKAGE_MAX     ((size_t)256 << 20) /* libxlsxwriter's file without the spliced rows */
#define SHEET_MAX       ((size_t)64 << 20)  /* one spliced sheet's own XML */
#define ZIP_U32_MAX     0xffffffffu
#define SIG_LOCAL       0x04034b50u
#define SIG_CENTRAL     0x02014b50u
#define SIG_END         0x06054b50u
#define LOCAL_FIXED     30u
#define CENTRAL_FIXED   46u
#define END_FIXED       22u
#define FLAG_DESCRIPTOR 0x0008u /* sizes after the data: we write them in the header */
#define FLAG_ENCRYPTED  0x0001u

/* ---------------------------------------------------------------- the rows */

struct xl_splice_rows {
    char path[4096];
    FILE *fp;
    z_stream z;
    bool z_ready;
    relay_t *relay;      /* row XML from the caller to the compressing thread */
    unsigned char *fill; /* the caller's buffer (relay_fill()), fill_len bytes used */
    size_t fill_len;
    bool thread_up, ended;
    pthread_t thread;
    /* The thread's: what went wrong, and what the stream holds (raw bytes,
     * their CRC-32, compressed bytes); read by the caller once it joined. */
    bool failed;
    char why[160];
    uint64_t raw_len, comp_len;
    uint32_t crc;
};

/* Deflates n bytes into the file (the thread's side); flush as deflate(). */
static void compress_bytes(xl_splice_rows_t *r, const unsigned char *p, size_t n, int flush)
{
    unsigned char out[CHUNK];
    if (n) /* crc32() of NULL is the initial value, not "nothing added" */
        r->crc = (uint32_t)crc32(r->crc, p, (uInt)n);
    r->raw_len += n;
    r->z.next_in = (unsigned char *)(uintptr_t)p;
    r->z.avail_in = (uInt)n;
    do {
        r->z.next_out = out;
        r->z.avail_out = sizeof out;
        if (deflate(&r->z, flush) == Z_STREAM_ERROR) {
            snprintf(r->why, sizeof r->why, "deflate failed");
            r->failed = true;
            return;
        }
        size_t have = sizeof out - r->z.avail_out;
        if (have && fwrite(out, 1, have, r->fp) != have) {
            snprintf(r->why, sizeof r->why, "writing %s: %s", r->path, strerror(errno));
            r->failed = true;
            return;
        }
        r->comp_len += have;
    } while (r->z.avail_out == 0);
}

/* The compressing thread: every buffer handed over, then the flush to the
 * byte boundary; on a failure it abandons the relay, so the caller stops. */
static void *compress_loop(void *arg)
{
    xl_splice_rows_t *r = arg;
    const void *data;
    size_t n;
    int got;
    while ((got = relay_take(r->relay, &data, &n)) == 1 && !r->failed)
        compress_bytes(r, data, n, Z_NO_FLUSH);
    if (got == 0 && !r->failed)
        compress_bytes(r, NULL, 0, Z_SYNC_FLUSH);
    if (r->failed)
        relay_abandon(r->relay);
    return NULL;
}

int xl_splice_rows_new(const char *tmpdir, xl_splice_rows_t **out, char *err, size_t errlen)
{
    xl_splice_rows_t *r = xcalloc(1, sizeof *r);
    r->relay = relay_new(CHUNK);
    snprintf(r->path, sizeof r->path, "%s/slattest-rows-XXXXXX", tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(r->path);
    if (fd < 0 || !(r->fp = fdopen(fd, "w+b"))) {
        st_errf(err, errlen, "a temporary file in %s: %s", tmpdir ? tmpdir : "/tmp",
                strerror(errno));
        if (fd >= 0)
            close(fd);
        r->path[0] = '\0';
        goto fail;
    }
    if (deflateInit2(&r->z, Z_BEST_SPEED, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        st_errf(err, errlen, "deflateInit2 failed");
        goto fail;
    }
    r->z_ready = true;
    r->crc = (uint32_t)crc32(0, NULL, 0);
    r->fill = relay_fill(r->relay);
    if (pthread_create(&r->thread, NULL, compress_loop, r) != 0) {
        st_errf(err, errlen, "cannot start the compressing thread");
        goto fail;
    }
    r->thread_up = true;
    *out = r;
    return ST_OK;
fail:
    xl_splice_rows_free(r);
    return ST_ERR_IO;
}

int xl_splice_rows_append(xl_splice_rows_t *r, const void *p, size_t n)
{
    const unsigned char *s = p;
    while (n > 0) {
        if (!r->fill)
            return ST_ERR_IO; /* the thread gave up: xl_splice_rows_end() says why */
        size_t take = CHUNK - r->fill_len < n ? CHUNK - r->fill_len : n;
        memcpy(r->fill + r->fill_len, s, take);
        r->fill_len += take;
        s += take;
        n -= take;
        if (r->fill_len == CHUNK) {
            relay_put(r->relay, r->fill_len, false);
            r->fill_len = 0;
            r->fill = relay_fill(r->relay);
        }
    }
    return ST_OK;
}

/* Ends the relay (what is buffered goes last) and joins the thread. */
static void thread_stop(xl_splice_rows_t *r)
{
    if (!r->ended) {
        if (r->fill)
            relay_put(r->relay, r->fill_len, true);
        else
            relay_fail(r->relay);
        r->ended = true;
    }
    if (r->thread_up) {
        pthread_join(r->thread, NULL);
        r->thread_up = false;
    }
}

int xl_splice_rows_end(xl_splice_rows_t *r, char *err, size_t errlen)
{
    thread_stop(r);
    if (!r->failed && fflush(r->fp) != 0) {
        snprintf(r->why, sizeof r->why, "writing %s: %s", r->path, strerror(errno));
        r->failed = true;
    }
    if (r->failed) {
        st_errf(err, errlen, "the rows' temporary file: %s", r->why);
        return ST_ERR_IO;
    }
    return ST_OK;
}

void xl_splice_rows_free(xl_splice_rows_t *r)
{
    if (!r)
        return;
    thread_stop(r);
    if (r->z_ready)
        deflateEnd(&r->z);
    if (r->fp)
        fclose(r->fp);
    if (r->path[0])
        unlink(r->path);
    relay_free(r->relay);
    free(r);
}

/* ------------------------------------------------------------- the package */

/* Little-endian fields of zip records. */
static uint32_t rd16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
    return rd16(p) | rd16(p + 2) << 16;
}

static void wr16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void wr32(unsigned char *p, uint32_t v)
{
    wr16(p, v & 0xffffu);
    wr16(p + 2, v >> 16);
}

/* One entry of the central directory, with where its data is in the input. */
typedef struct zentry {
    const unsigned char *cd; /* its central record in the input */
    size_t cd_len;
    const char *name;
    size_t name_len;
    const unsigned char *data; /* its compressed bytes in the input */
    uint32_t csize, usize, crc;
} zentry_t;

/* What the rewrite needs at hand. */
typedef struct splice {
    const buf_t *in;
    FILE *out;
    uint64_t off; /* bytes written so far */
    char *err;
    size_t errlen;
} splice_t;

/* Writes n bytes to the output. */
static int put(splice_t *s, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, s->out) != n) {
        st_errf(s->err, s->errlen, "writing the workbook: %s", strerror(errno));
        return ST_ERR_IO;
    }
    s->off += n;
    return ST_OK;
}

/* The end-of-central-directory record: where the directory is, how many entries. */
static int find_end(splice_t *s, size_t *cd_off, size_t *cd_size, size_t *count)
{
    const unsigned char *b = (const unsigned char *)s->in->data;
    size_t n = s->in->len;
    for (size_t i = n >= END_FIXED ? n - END_FIXED + 1 : 0; i-- > 0;) {
        if (rd32(b + i) != SIG_END || n - i < END_FIXED)
            continue;
        *count = rd16(b + i + 10);
        *cd_size = rd32(b + i + 12);
        *cd_off = rd32(b + i + 16);
        if (*count == 0xffff || *cd_off == ZIP_U32_MAX || *cd_off + *cd_size > i)
            break; /* ZIP64, or a directory outside the file */
        return ST_OK;
    }
    st_errf(s->err, s->errlen, "the workbook is not a zip file this writer can splice");
    return ST_ERR_INVALID;
}

/* Reads central record i at *pos into e, and checks its local header. */
static int read_entry(splice_t *s, size_t *pos, size_t cd_end, zentry_t *e)
{
    const unsigned char *b = (const unsigned char *)s->in->data;
    size_t p = *pos;
    if (p + CENTRAL_FIXED > cd_end || rd32(b + p) != SIG_CENTRAL)
        goto bad;
    size_t nl = rd16(b + p + 28), xl = rd16(b + p + 30), cl = rd16(b + p + 32);
    size_t lo = rd32(b + p + 42);
    e->cd = b + p;
    e->cd_len = CENTRAL_FIXED + nl + xl + cl;
    if (p + e->cd_len > cd_end || (rd16(b + p + 8) & FLAG_ENCRYPTED))
        goto bad;
    e->name = (const char *)b + p + CENTRAL_FIXED;
    e->name_len = nl;
    e->crc = rd32(b + p + 16);
    e->csize = rd32(b + p + 20);
    e->usize = rd32(b + p + 24);
    if (lo + LOCAL_FIXED > s->in->len || rd32(b + lo) != SIG_LOCAL)
        goto bad;
    size_t data = lo + LOCAL_FIXED + rd16(b + lo + 26) + rd16(b + lo + 28);
    if (data + e->csize > s->in->len)
        goto bad;
    e->data = b + data;
    *pos = p + e->cd_len;
    return ST_OK;
bad:
    st_errf(s->err, s->errlen, "the workbook's zip directory is malformed");
    return ST_ERR_INVALID;
}

/* The sheet of sheets[] for entry e, or NULL. */
static const xl_splice_sheet_t *sheet_for(const zentry_t *e, const xl_splice_sheet_t *sheets,
                                          size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sheets[i].n_rows > 0 && strlen(sheets[i].entry) == e->name_len &&
            memcmp(sheets[i].entry, e->name, e->name_len) == 0)
            return &sheets[i];
    return NULL;
}

/* The entry's XML, inflated (method 8) into out and checked against its CRC. */
static int inflate_entry(splice_t *s, const zentry_t *e, buf_t *out)
{
    if (rd16(e->cd + 10) != Z_DEFLATED || e->usize > SHEET_MAX) {
        st_errf(s->err, s->errlen, "sheet %.*s: not a deflated entry of the expected size",
                (int)e->name_len, e->name);
        return ST_ERR_INVALID;
    }
    buf_init(out, SHEET_MAX);
    char *data = xmalloc((size_t)e->usize + 1);
    z_stream z;
    memset(&z, 0, sizeof z);
    int rc = inflateInit2(&z, -MAX_WBITS) == Z_OK ? ST_OK : ST_ERR_INVALID;
    if (rc == ST_OK) {
        z.next_in = (unsigned char *)(uintptr_t)e->data;
        z.avail_in = e->csize;
        z.next_out = (unsigned char *)data;
        z.avail_out = e->usize;
        int zr = inflate(&z, Z_FINISH);
        if (zr != Z_STREAM_END || z.total_out != e->usize ||
            (uint32_t)crc32(0, (unsigned char *)data, e->usize) != e->crc)
            rc = ST_ERR_INVALID;
        inflateEnd(&z);
    }
    if (rc == ST_OK)
        rc = buf_append(out, data, e->usize);
    else
        st_errf(s->err, s->errlen, "sheet %.*s: its compressed XML does not inflate",
                (int)e->name_len, e->name);
    free(data);
    return rc;
}

/*
 * Splits the sheet XML x after its header row (row 1) into head and tail,
 * head with its <dimension> reaching row n_rows + 1 at least.  Refuses a
 * sheet whose rows are not: the header row, then nothing or a totals row
 * at n_rows + 2.
 */
static int split_sheet(splice_t *s, const zentry_t *e, const buf_t *x, uint32_t n_rows, buf_t *head,
                       const char **tail)
{
    const char *xml = buf_cstr(x), *data = strstr(xml, "<sheetData>");
    const char *row1 = data ? data + strlen("<sheetData>") : NULL;
    const char *end1 = row1 ? strstr(row1, "</row>") : NULL;
    const char *dim = strstr(xml, "<dimension ref=\"");
    char next[48];
    snprintf(next, sizeof next, "<row r=\"%lu\"", (unsigned long)n_rows + 2);
    if (!row1 || strncmp(row1, "<row r=\"1\"", 10) != 0 || !end1 || !dim || dim > data)
        goto bad;
    end1 += strlen("</row>");
    if (strncmp(end1, "</sheetData>", 12) != 0 && strncmp(end1, next, strlen(next)) != 0)
        goto bad;
    /* The reference "A1:F1" (or "A1"): keep its columns, reach the last row. */
    const char *ref = dim + strlen("<dimension ref=\""), *q = strchr(ref, '"');
    if (!q)
        goto bad;
    const char *colon = memchr(ref, ':', (size_t)(q - ref));
    const char *last = colon ? colon + 1 : ref;
    size_t letters = strspn(last, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    unsigned long have = strtoul(last + letters, NULL, 10), want = (unsigned long)n_rows + 1;
    if (letters == 0 || letters > 3)
        goto bad;
    buf_init(head, SHEET_MAX + 64);
    int rc = buf_append(head, xml, (size_t)(ref - xml));
    if (rc == ST_OK)
        rc = buf_printf(head, "%.*s:%.*s%lu", (int)(colon ? colon - ref : q - ref), ref,
                        (int)letters, last, have > want ? have : want);
    if (rc == ST_OK)
        rc = buf_append(head, q, (size_t)(end1 - q));
    *tail = end1;
    return rc;
bad:
    st_errf(s->err, s->errlen,
            "sheet %.*s is not a header row and an optional totals row: it cannot take %lu rows",
            (int)e->name_len, e->name, (unsigned long)n_rows);
    return ST_ERR_INVALID;
}

/* Deflates p[0..n) as one part of a joined stream (final: the last part). */
static int deflate_part(const void *p, size_t n, bool final, buf_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ST_ERR_INTERNAL;
    size_t cap = deflateBound(&z, (uLong)n) + 16;
    unsigned char *tmp = xmalloc(cap);
    z.next_in = (unsigned char *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = tmp;
    z.avail_out = (uInt)cap;
    int zr = deflate(&z, final ? Z_FINISH : Z_SYNC_FLUSH);
    int rc = (final ? zr == Z_STREAM_END : zr == Z_OK) && z.avail_in == 0 ? ST_OK : ST_ERR_INTERNAL;
    buf_init(out, cap);
    if (rc == ST_OK)
        rc = buf_append(out, tmp, cap - z.avail_out);
    deflateEnd(&z);
    free(tmp);
    return rc;
}

/* Copies the rows' compressed file to the output. */
static int copy_rows(splice_t *s, const xl_splice_rows_t *r)
{
    unsigned char chunk[65536];
    if (fseek(r->fp, 0, SEEK_SET) != 0)
        goto fail;
    uint64_t left = r->comp_len;
    while (left > 0) {
        size_t want = left < sizeof chunk ? (size_t)left : sizeof chunk;
        if (fread(chunk, 1, want, r->fp) != want)
            goto fail;
        int rc = put(s, chunk, want);
        if (rc != ST_OK)
            return rc;
        left -= want;
    }
    return ST_OK;
fail:
    st_errf(s->err, s->errlen, "reading the rows back from %s: %s", r->path, strerror(errno));
    return ST_ERR_IO;
}

/* Writes a local header for entry e with the given CRC and sizes. */
static int put_local(splice_t *s, const zentry_t *e, uint32_t crc, uint32_t csize, uint32_t usize)
{
    unsigned char h[LOCAL_FIXED];
    wr32(h, SIG_LOCAL);
    memcpy(h + 4, e->cd + 6, 10); /* version needed, flags, method, time, date */
    wr16(h + 6, rd16(e->cd + 8) & ~FLAG_DESCRIPTOR);
    wr32(h + 14, crc);
    wr32(h + 18, csize);
    wr32(h + 22, usize);
    wr16(h + 26, (uint32_t)e->name_len);
    wr16(h + 28, 0);
    int rc = put(s, h, sizeof h);
    return rc == ST_OK ? put(s, e->name, e->name_len) : rc;
}

/* Writes the spliced sheet: head, rows, tail; fills its new CRC and sizes. */
static int put_spliced(splice_t *s, const zentry_t *e, const xl_splice_sheet_t *sh, uint32_t *crc,
                       uint32_t *csize, uint32_t *usize)
{
    buf_t x, head, zh, zt;
    const char *tail = NULL;
    buf_init(&head, 0);
    buf_init(&zh, 0);
    buf_init(&zt, 0);
    const xl_splice_rows_t *r = sh->rows;
    int rc = inflate_entry(s, e, &x);
    if (rc == ST_OK)
        rc = split_sheet(s, e, &x, sh->n_rows, &head, &tail);
    size_t tail_len = tail ? strlen(tail) : 0;
    if (rc == ST_OK && ((rc = deflate_part(head.data, head.len, false, &zh)) != ST_OK ||
                        (rc = deflate_part(tail, tail_len, true, &zt)) != ST_OK))
        st_errf(s->err, s->errlen, "deflating sheet %s failed", sh->entry);
    if (rc != ST_OK)
        goto done;
    uint64_t u = (uint64_t)head.len + r->raw_len + tail_len;
    uint64_t c = (uint64_t)zh.len + r->comp_len + zt.len;
    if (u > ZIP_U32_MAX || c > ZIP_U32_MAX || s->off + c > ZIP_U32_MAX) {
        st_errf(s->err, s->errlen, "sheet %s: over 4 GiB, more than a zip without ZIP64 holds",
                sh->entry);
        rc = ST_ERR_TOO_LARGE;
        goto done;
    }
    uLong k = crc32(0, (const unsigned char *)head.data, (uInt)head.len);
    k = crc32_combine(k, r->crc, (z_off_t)r->raw_len);
    k = crc32_combine(k, crc32(0, (const unsigned char *)tail, (uInt)tail_len), (z_off_t)tail_len);
    *crc = (uint32_t)k;
    *csize = (uint32_t)c;
    *usize = (uint32_t)u;
    if ((rc = put_local(s, e, *crc, *csize, *usize)) == ST_OK &&
        (rc = put(s, zh.data, zh.len)) == ST_OK && (rc = copy_rows(s, r)) == ST_OK)
        rc = put(s, zt.data, zt.len);
done:
    buf_free(&x);
    buf_free(&head);
    buf_free(&zh);
    buf_free(&zt);
    return rc;
}

/* Writes the central record of e at offset off with CRC and sizes. */
static int put_central(splice_t *s, const zentry_t *e, uint32_t off, uint32_t crc, uint32_t csize,
                       uint32_t usize)
{
    unsigned char h[CENTRAL_FIXED];
    memcpy(h, e->cd, CENTRAL_FIXED);
    wr16(h + 8, rd16(e->cd + 8) & ~FLAG_DESCRIPTOR);
    wr32(h + 16, crc);
    wr32(h + 20, csize);
    wr32(h + 24, usize);
    wr16(h + 30, 0); /* no extra field, as in the local header */
    wr32(h + 42, off);
    size_t cl = rd16(e->cd + 32);
    int rc = put(s, h, sizeof h);
    if (rc == ST_OK)
        rc = put(s, e->name, e->name_len);
    return rc == ST_OK ? put(s, e->name + e->name_len + rd16(e->cd + 30), cl) : rc;
}

/* Where an entry went in the output: offset, CRC, compressed and raw size. */
typedef struct placed {
    uint32_t off, crc, csize, usize;
} placed_t;

/* The rewrite itself, into s->out. */
static int rewrite(splice_t *s, const xl_splice_sheet_t *sheets, size_t n)
{
    size_t cd_off, cd_size, count;
    int rc = find_end(s, &cd_off, &cd_size, &count);
    if (rc != ST_OK)
        return rc;
    zentry_t *e = xcalloc(count ? count : 1, sizeof *e);
    placed_t *out = xcalloc(count ? count : 1, sizeof *out);
    size_t pos = cd_off;
    for (size_t i = 0; i < count && rc == ST_OK; i++)
        rc = read_entry(s, &pos, cd_off + cd_size, &e[i]);
    for (size_t i = 0; i < count && rc == ST_OK; i++) {
        placed_t *o = &out[i];
        const xl_splice_sheet_t *sh = sheet_for(&e[i], sheets, n);
        o->off = (uint32_t)s->off;
        if (sh) {
            rc = put_spliced(s, &e[i], sh, &o->crc, &o->csize, &o->usize);
            continue;
        }
        o->crc = e[i].crc;
        o->csize = e[i].csize;
        o->usize = e[i].usize;
        if ((rc = put_local(s, &e[i], o->crc, o->csize, o->usize)) == ST_OK)
            rc = put(s, e[i].data, e[i].csize);
    }
    uint64_t cd_start = s->off;
    for (size_t i = 0; i < count && rc == ST_OK; i++)
        rc = put_central(s, &e[i], out[i].off, out[i].crc, out[i].csize, out[i].usize);
    if (rc == ST_OK && s->off > ZIP_U32_MAX) {
        st_errf(s->err, s->errlen, "the workbook is over 4 GiB, more than a zip without ZIP64");
        rc = ST_ERR_TOO_LARGE;
    }
    if (rc == ST_OK) {
        unsigned char end[END_FIXED];
        memset(end, 0, sizeof end);
        wr32(end, SIG_END);
        wr16(end + 8, (uint32_t)count);
        wr16(end + 10, (uint32_t)count);
        wr32(end + 12, (uint32_t)(s->off - cd_start));
        wr32(end + 16, (uint32_t)cd_start);
        rc = put(s, end, sizeof end);
    }
    free(e);
    free(out);
    return rc;
}

int xl_splice(const char *path, const xl_splice_sheet_t *sheets, size_t n, char *err, size_t errlen)
{
    buf_t in;
    char tmp[4200];
    buf_init(&in, PACKAGE_MAX);
    splice_t s = {.in = &in, .err = err, .errlen = errlen};
    snprintf(tmp, sizeof tmp, "%s.splice", path);
    int rc = buf_read_file(&in, path);
    if (rc != ST_OK) {
        st_errf(err, errlen, "reading the workbook back: %s", st_strerror(rc));
        goto done;
    }
    if (!(s.out = fopen(tmp, "wb"))) {
        st_errf(err, errlen, "%s: %s", tmp, strerror(errno));
        rc = ST_ERR_IO;
        goto done;
    }
    rc = rewrite(&s, sheets, n);
    if (fclose(s.out) != 0 && rc == ST_OK) {
        st_errf(err, errlen, "writing %s: %s", tmp, strerror(errno));
        rc = ST_ERR_IO;
    }
    if (rc == ST_OK && rename(tmp, path) != 0) {
        st_errf(err, errlen, "renaming %s: %s", tmp, strerror(errno));
        rc = ST_ERR_IO;
    }
    if (rc != ST_OK)
        unlink(tmp);
done:
    buf_free(&in);
    return rc;
}
