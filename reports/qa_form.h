/*
 * qa_form.h - QA scorecards (forms): parsing, validation, item lookup.
 *
 * A scorecard is the JSON of INTERFACES.md "Scorecard (form) JSON":
 *
 *   {"form_id", "version", "pass_mark", "critical_zeroes": true,
 *    "sections": [{"id", "name", "weight",
 *                  "items": [{"id", "name", "max": 1, "critical": false}]}]}
 *
 * Rules (anything else is refused naming every fault with its JSON path,
 * e.g. "sections[1].items[0].max: must be >= 1": the first as text, all of
 * them, up to FAULTS_CAP, through qa_form_check(); an unknown key lists the
 * valid ones):
 *   - form_id: an id (see qa_form_id_valid); version: integer 1..2^31-1;
 *     pass_mark: number 0..100; critical_zeroes: boolean, default true.
 *   - sections: 1..QA_FORM_MAX_SECTIONS, each with an id, a name and
 *     1 or more items; weight is a number, 0 < w <= 1e6.  Either every
 *     section gives a weight or none does; with none, all weigh 1.
 *   - items: id, name, max (integer 1..QA_FORM_MAX_POINTS), critical
 *     (boolean, default false); at most QA_FORM_MAX_ITEMS in the form.
 *   - dimension (optional, on a section or an item): the service quality
 *     the items measure (empathy, accuracy, responsiveness, reliability or
 *     a tenant's own name, see qa_form_dimension_valid).  A section's
 *     dimension is inherited by its items; an item's own wins.
 *   - names: non-empty strings of at most 256 bytes without control
 *     characters (any UTF-8 otherwise).
 *   - section ids are unique in the form; item ids are unique across the
 *     whole form (an evaluation names items without their section).
 *   - no unknown keys, no duplicate keys, no wrong types.
 *
 * The module owns a parsed qa_form_t; it is immutable after parsing, so
 * any number of threads may read one form at once.  The caller owns the
 * form and releases it with qa_form_free().  Descriptors returned by the
 * accessors (qa_item_t, qa_section_t and their strings) belong to the form
 * and live as long as it does.  No I/O, no global state.
 */
#ifndef SLT_QA_FORM_H
#define SLT_QA_FORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "faults.h"

#define QA_ID_MAX            64      /* bytes in an id */
#define QA_NAME_MAX          256     /* bytes in a section or item name */
#define QA_DIMENSION_MAX     32      /* bytes in a dimension name */
#define QA_FORM_MAX_SECTIONS 100     /* sections in one form */
#define QA_FORM_MAX_ITEMS    1000    /* items in one form, all sections */
#define QA_FORM_MAX_POINTS   1000    /* largest allowed item max */
#define QA_FORM_MAX_BYTES    1048576 /* largest scorecard text qa_form_parse reads */

typedef struct qa_form qa_form_t;

/* One item of a form.  Read-only; owned by the form. */
typedef struct qa_item {
    const char *id;
    const char *name;
    int max;       /* whole points, 1..QA_FORM_MAX_POINTS; `pass` earns max */
    bool critical; /* a failure makes the evaluation fatal */
    /* Its dimension (its own, else its section's); NULL when it has none. */
    const char *dimension;
    size_t index;   /* 0..qa_form_item_count()-1 in document order, all sections */
    size_t section; /* index of the section holding it */
} qa_item_t;

/* One section of a form.  Read-only; owned by the form. */
typedef struct qa_section {
    const char *id;
    const char *name;
    double weight;         /* > 0; 1 for every section when the form gives none */
    const char *dimension; /* the section's dimension, NULL when none */
    size_t first_item;     /* its items are indexes first_item .. first_item+item_count-1 */
    size_t item_count;     /* >= 1 */
} qa_section_t;

/*
 * Validates a parsed scorecard and builds a form from it.  `root` is only
 * read (strings are copied), so the caller keeps and frees it.  On success
 * *out is a new form the caller frees with qa_form_free().  On failure
 * *out is NULL, the return is ST_ERR_INVALID (ST_ERR_TOO_LARGE past the
 * section/item limits) and err holds "path: reason".  Any thread.
 */
int qa_form_from_json(const json_t *root, qa_form_t **out, char *err, size_t errlen);

/*
 * Same as qa_form_from_json(), recording every fault (with its JSON path)
 * in fl (lib/faults.h) instead of the first one only.  Any thread.
 */
int qa_form_check(const json_t *root, qa_form_t **out, faults_t *fl);

/*
 * Same as qa_form_from_json() from scorecard text (UTF-8 JSON, `len`
 * bytes, need not be NUL-terminated).  Duplicate object keys are refused;
 * more than QA_FORM_MAX_BYTES is ST_ERR_TOO_LARGE.  Any thread.
 */
int qa_form_parse(const char *text, size_t len, qa_form_t **out, char *err, size_t errlen);

/* Releases a form; qa_form_free(NULL) does nothing. */
void qa_form_free(qa_form_t *form);

/* Accessors.  Strings and descriptors belong to the form.  Any thread. */
const char *qa_form_id(const qa_form_t *form);
int qa_form_version(const qa_form_t *form);
double qa_form_pass_mark(const qa_form_t *form);
bool qa_form_critical_zeroes(const qa_form_t *form);
/* Whether the form gave section weights (false: all equal, 1 each). */
bool qa_form_weights_given(const qa_form_t *form);
size_t qa_form_section_count(const qa_form_t *form);
/* Section i (i < qa_form_section_count()), or NULL when out of range. */
const qa_section_t *qa_form_section(const qa_form_t *form, size_t i);
size_t qa_form_item_count(const qa_form_t *form);
/* Item by document-order index (i < qa_form_item_count()), or NULL. */
const qa_item_t *qa_form_item(const qa_form_t *form, size_t i);

/*
 * Finds an item by id (exact, case-sensitive) in O(log n); NULL when the
 * form has no such item.  Meant to be called for every evaluation row.
 */
const qa_item_t *qa_form_item_find(const qa_form_t *form, const char *id);

/*
 * Whether s is a valid id (form, section, item, evaluation, inspector...):
 * 1..QA_ID_MAX bytes of visible ASCII (0x21-0x7e: no spaces, no control
 * characters, no non-ASCII).  NULL is not valid.  Any thread.
 */
bool qa_form_id_valid(const char *s);

/*
 * Whether s is a valid dimension name: 1..QA_DIMENSION_MAX bytes of ASCII
 * letters, digits, '_' and '-'.  NULL is not valid.  Any thread.
 */
bool qa_form_dimension_valid(const char *s);

/*
 * Copies untrusted text into dst for an error message: at most QA_ID_MAX
 * bytes ("..." appended when cut), bytes outside 0x20-0x7e shown as '?'.
 * dst is always NUL-terminated when dstlen > 0.  Any thread.
 */
void qa_form_quote(char *dst, size_t dstlen, const char *s);

#endif
