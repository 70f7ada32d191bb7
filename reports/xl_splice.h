/*
 * xl_splice.h - rows of a big sheet deflated while they are produced, and
 * put into a finished .xlsx afterwards (xl_writer.h, "Streamed rows").
 *
 * libxlsxwriter writes every cell through its own layers (a cell object,
 * a format hash, fprintf into a temporary file, the file deflated at
 * zlib's default level when the workbook closes): about 4 s of a 1M-contact
 * month's internal workbook went to its Evidence sheet.  The writer now
 * has libxlsxwriter write such a sheet with its header row only (and its
 * totals row, columns, panes, print set-up and conditional formats), and
 * writes the data rows' XML itself (xl_rowxml.h) into an xl_splice_rows_t:
 * a raw DEFLATE stream at the fastest level, compressed on a thread of its
 * own while the rows are read, into a temporary file.
 *
 * xl_splice() then rewrites the package: every other zip entry is copied
 * as it is (compressed bytes, dates, attributes), and the sheet's entry
 * becomes the sheet's own XML up to and including its header row, the
 * rows, and the rest of the sheet's XML, with the <dimension> reference
 * covering the rows.  The three parts are each a DEFLATE stream that ends
 * on a byte boundary with an empty stored block (Z_SYNC_FLUSH), the last
 * one final, so their concatenation is one valid stream (RFC 1951, 3.2.3:
 * a decoder reads block after block until the final one), and the entry's
 * CRC-32 is combined from the parts' (zlib's crc32_combine).  pigz joins
 * streams the same way.
 *
 * The package must be what libxlsxwriter writes: a zip without ZIP64
 * records and without encryption, each sheet's header row its row 1.  A
 * spliced sheet must hold exactly that header row and, optionally, a
 * totals row right after the rows (row n_rows + 2); anything else is
 * refused (ST_ERR_INVALID), so a sheet is never spliced in the wrong place.
 *
 * Files: temporary files in the directory given (removed when the rows are
 * freed); the package is written to "<path>.splice" and renamed over path.
 */
#ifndef SLT_XL_SPLICE_H
#define SLT_XL_SPLICE_H

#include <stddef.h>
#include <stdint.h>

typedef struct xl_splice_rows xl_splice_rows_t;

/*
 * A new, empty row stream with its temporary file in tmpdir (NULL: the
 * system's).  *out is the caller's (xl_splice_rows_free()).  ST_ERR_IO with
 * the reason in err.  The stream starts its compressing thread.
 */
int xl_splice_rows_new(const char *tmpdir, xl_splice_rows_t **out, char *err, size_t errlen);

/* Appends n bytes of row XML (copied).  ST_ERR_IO when the compressing
 * thread failed to write (the reason comes with xl_splice_rows_end()). */
int xl_splice_rows_append(xl_splice_rows_t *r, const void *p, size_t n);

/* Ends the stream: the rest compressed and flushed to the byte boundary,
 * the thread joined.  ST_ERR_IO (reason in err) when writing failed. */
int xl_splice_rows_end(xl_splice_rows_t *r, char *err, size_t errlen);

/* Frees the stream, ended or not, and removes its file; NULL is a no-op. */
void xl_splice_rows_free(xl_splice_rows_t *r);

/* A sheet whose data rows go into the package: its zip entry
 * ("xl/worksheets/sheet12.xml"), its ended rows (the caller's, who frees
 * them), and how many. */
typedef struct xl_splice_sheet {
    char entry[64];
    xl_splice_rows_t *rows;
    uint32_t n_rows;
} xl_splice_sheet_t;

/*
 * Puts each sheet's rows into the package at path (see above); sheets with
 * no rows are left as they are.  ST_ERR_INVALID (reason in err) for a
 * package or sheet that is not as expected, ST_ERR_IO for a file that
 * cannot be read or written, ST_ERR_TOO_LARGE past the 4 GiB of a zip
 * without ZIP64.  On failure path is unchanged.
 */
int xl_splice(const char *path, const xl_splice_sheet_t *sheets, size_t n, char *err,
              size_t errlen);

#endif
