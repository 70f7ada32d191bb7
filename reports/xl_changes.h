/*
 * xl_changes.h - which values moved between two versions of a report
 * (REPORTS.md "Issued reports never change"): the difference of two
 * canonical texts of the data digest (xl_digest.h), cell by cell.
 *
 * A cell is (sheet id, row key, column key).  Row numbers are not stable
 * across versions (a new queue moves every queue below it), so rows are
 * matched by a key:
 *
 *   - the totals row by "total";
 *   - a sheet named in opts.by_row (facts sheets: their one row "1") by its
 *     row number;
 *   - every other sheet by the values of its leading columns: the fewest
 *     leading columns, at most opts.max_key_columns (default
 *     XL_CHANGES_KEY_MAX), that are the same columns in both versions and
 *     whose values are unique among the sheet's rows in each version (a
 *     day's date, a queue, an interval label, an agent id; a calibration
 *     row needs session, call and inspector).  When no such prefix exists
 *     the sheet falls back to row numbers.
 *
 * A keyed row's key columns are not listed as changes (they are the row's
 * identity).  Every other cell is listed when its canonical value differs
 * (a number that moved, a number that became undefined or defined, a text
 * that changed), when it is only in the new version (a new row or column)
 * or only in the old one.  Order: the new version's sheets, rows and
 * columns in order, each sheet followed by its cells that are gone; then
 * the sheets that are gone.
 *
 * What it owns: an xl_changes_t owns copies of both texts; every string of
 * an xl_change_t points into it and lives until xl_changes_free().  The
 * caller's texts are only read.  Pure computation, no global state; any
 * thread.
 */
#ifndef SLT_XL_CHANGES_H
#define SLT_XL_CHANGES_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define XL_CHANGES_KEY_MAX 3 /* leading columns tried as a row key */

typedef enum xl_change_kind {
    XL_CHANGE_MOVED,   /* in both versions with different values */
    XL_CHANGE_ADDED,   /* only in the new version */
    XL_CHANGE_REMOVED, /* only in the old version */
} xl_change_kind_t;

/* One listed cell.  Values are canonical value texts (xl_digest.h):
 * "null", a number, or a quoted text; NULL where the cell is absent. */
typedef struct xl_change {
    xl_change_kind_t kind;
    const char *sheet;  /* sheet id */
    const char *row;    /* the row key: "total"; a row number (key_columns 0); or the
                           canonical values of the key_columns leading columns joined by
                           TAB (a canonical value never holds a TAB) */
    size_t key_columns; /* 0 for the totals row and for rows matched by number */
    bool total;         /* the totals row */
    bool whole_row;     /* the row itself is only in one version (ADDED / REMOVED) */
    const char *column; /* column key */
    const char *old_value;
    const char *new_value;
} xl_change_t;

typedef struct xl_changes_opts {
    const char *const *by_row; /* sheet ids whose rows are matched by number */
    size_t n_by_row;
    size_t max_key_columns; /* 0: XL_CHANGES_KEY_MAX */
    /* Sheet ids whose lines are left out of both texts: listings a newer
     * version no longer keeps among its values (they are streamed), so an
     * older version's are neither compared nor listed as gone. */
    const char *const *ignore;
    size_t n_ignore;
} xl_changes_opts_t;

typedef struct xl_changes xl_changes_t;

/*
 * The changes from old_text to new_text (canonical texts, not necessarily
 * NUL-terminated; both copied).  opts may be NULL.  On ST_OK *out is new
 * (free with xl_changes_free()).  ST_ERR_INVALID with the reason in err
 * when a text is not a canonical text (header, 4 fields a line, a sheet's
 * lines together, row numbers increasing, a cell twice) or the two have
 * different headers; *out is then NULL.  Any thread.
 */
int xl_changes_diff(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
                    const xl_changes_opts_t *opts, xl_changes_t **out, char *err, size_t errlen);

/* The number of listed cells and the i-th (< count; NULL otherwise).  Owned by c. */
size_t xl_changes_count(const xl_changes_t *c);
const xl_change_t *xl_changes_get(const xl_changes_t *c, size_t i);

/* Releases c; NULL does nothing. */
void xl_changes_free(xl_changes_t *c);

typedef enum xl_value_kind {
    XL_VALUE_NULL,   /* an undefined number (an empty cell) */
    XL_VALUE_NUMBER, /* *num */
    XL_VALUE_TEXT,   /* appended to text, unescaped */
} xl_value_kind_t;

/*
 * Decodes one canonical value: its kind, the number into *num (NAN unless
 * a number), a text unescaped and appended to *text (the caller's buffer;
 * may be NULL when texts are not wanted).  ST_ERR_INVALID for anything
 * xl_digest.h does not write; ST_ERR_TOO_LARGE past text's cap.  Any thread.
 */
int xl_changes_decode(const char *value, xl_value_kind_t *kind, double *num, buf_t *text);

#endif
