/*
 * faults.h - every fault of one document, each with its JSON path.
 *
 * A validator that stops at the first fault makes a user fix one thing per
 * attempt; one that records every fault (contract.c, qa_form.c) answers
 * them all at once.  A faults_t collects them: the first one also as text
 * ("items[2].metric: unknown metric 'servce_level' (one of: ...)") in the
 * caller's buffer, which is what callers that show one message print, and
 * up to FAULTS_CAP of them as JSON, [{"path", "message", "valid"?}], for
 * an API error's details.  `valid` lists the accepted names when the fault
 * is an unknown name.  count goes on past the cap.
 *
 * The caller owns the faults_t, its buffer and its list (json_decref); the
 * module only appends.  One thread at a time.
 */
#ifndef SLT_FAULTS_H
#define SLT_FAULTS_H

#include <jansson.h>
#include <stddef.h>

#define FAULTS_CAP 50 /* faults listed; the rest are counted */

typedef struct faults {
    char *err;     /* the first fault as "path: message" (may be NULL) */
    size_t errlen; /* bytes of err */
    json_t *list;  /* the listed faults, or NULL to keep only the first as text */
    size_t count;  /* faults found, listed or not */
} faults_t;

/* Starts an empty collection writing into err (may be NULL) and list (may be NULL; borrowed). */
void faults_init(faults_t *f, char *err, size_t errlen, json_t *list);

/* Records a fault at path ("" for the document itself); returns ST_ERR_INVALID. */
int faults_add(faults_t *f, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The same for an unknown name: valid (NULL-ended) is listed in the JSON
 * and, as "(one of: a, b, c)", after the message.
 */
int faults_add_valid(faults_t *f, const char *path, const char *const *valid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "a, b, c" from a NULL-ended list into out (cut short when it does not fit). Returns out. */
char *faults_join(const char *const *names, char *out, size_t outlen);

/* A NULL-ended list of names as a JSON array of strings (new reference). */
json_t *faults_names_json(const char *const *names);

/*
 * An API error's details for the collection: {"errors": [...], "count": n}
 * plus "truncated": true past the cap.  New reference; NULL when no list
 * was kept.
 */
json_t *faults_details(const faults_t *f);

#endif
