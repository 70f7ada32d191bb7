/*
 * json_split.h - splits a streamed JSON body into its records without
 * holding the body: either one top-level array of objects ("[{...}, {...}]")
 * or NDJSON (one value per line).  Each record's bytes, with the 1-based
 * line it starts on, go to a callback that parses them (jansson); memory
 * holds one record at a time, capped.
 *
 * The scanner only finds boundaries (strings, escapes and nesting are
 * tracked); it does not validate the JSON inside a record.
 *   - Array mode: whitespace and an optional UTF-8 BOM, '[', then objects
 *     separated by ',' and ']', then whitespace only.  `[]` is no record.
 *     An element that is not an object, a missing ',' or ']', anything
 *     after the ']', an empty body, or an unclosed array is fatal.
 *   - NDJSON mode: each line that is not blank is one record (a final line
 *     may lack its LF; CR before LF is dropped).
 *   - A record longer than the cap is fatal (ST_ERR_TOO_LARGE).
 *
 * The splitter is owned by its creator (json_split_new/json_split_free).
 * Record bytes passed to the callback are valid only during the call and
 * are NUL-terminated (not counted in len).  One thread at a time; no I/O.
 */
#ifndef SLT_JSON_SPLIT_H
#define SLT_JSON_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called once per record.  Return ST_OK to go on or a negative st_code to stop. */
typedef int (*json_split_fn)(void *ctx, const char *rec, size_t len, uint64_t line);

typedef struct json_split json_split_t;

/* A splitter for an array (ndjson false) or NDJSON; records up to max_record bytes. */
json_split_t *json_split_new(bool ndjson, size_t max_record, json_split_fn cb, void *ctx);

/*
 * Scans len more bytes, calling the callback for each completed record.
 * ST_OK; ST_ERR_INVALID or ST_ERR_TOO_LARGE on a fatal error (see
 * json_split_error); or the callback's code.  After a failure every later
 * call returns the same code.
 */
int json_split_feed(json_split_t *s, const char *data, size_t len);

/* Ends the body: the last NDJSON line; fatal for an empty body or an open array. */
int json_split_finish(json_split_t *s);

/* The fatal error's message ("" if none) and line; owned by the splitter. */
const char *json_split_error(const json_split_t *s);
uint64_t json_split_error_line(const json_split_t *s);

/* Releases the splitter; NULL is a no-op. */
void json_split_free(json_split_t *s);

#endif
