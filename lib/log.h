/*
 * log.h - structured logs: one JSON object per line on stderr.
 *
 * Every line has "ts" (UTC, RFC 3339 with milliseconds), "level" and "msg";
 * callers add string or number fields.  Lines from different threads never
 * interleave.  log_json() takes a jansson object it does not keep (the
 * caller still owns it).
 */
#ifndef SLT_LOG_H
#define SLT_LOG_H

#include <jansson.h>

/* Writes {ts, level, msg, ...fields}; fields may be NULL. */
void log_json(const char *level, const char *msg, json_t *fields);
/* Convenience: message plus key/value string pairs ending with NULL. */
void log_info(const char *msg, ...);
void log_warn(const char *msg, ...);
void log_error(const char *msg, ...);

#endif
