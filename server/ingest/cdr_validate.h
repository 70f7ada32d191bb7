/*
 * cdr_validate.h - the contact row rules of INTERFACES.md ("Contacts"),
 * shared by every contact format (CSV, JSON, NDJSON, Asterisk queue_log).
 *
 * Two entry points:
 * - cdr_validate_row() turns the text values of one row (as CSV cells or
 *   JSON strings) into a cdr_t, checking each value and then the record;
 * - cdr_validate_record() checks a cdr_t that a parser filled itself (the
 *   queue_log parser has numbers, not text), with cdr_validate_set_id() to
 *   copy an id into it with the length and UTF-8 checks.
 * Either reports the first problem found as a cdr_error_t (field + message;
 * the line is left 0 for the caller to fill).  The module has no state; the
 * caller owns every argument.  All functions are pure and thread-safe.
 *
 * Value rules (each has a test in tests/unit/test_cdr_reader.c):
 * - Absent and empty are the same: an empty CSV cell, a missing JSON key,
 *   JSON null and "" all mean "not given" (then required fields fail and
 *   optional ones take their default).
 * - Every given value must be valid UTF-8 (no overlong forms, surrogates or
 *   code points past U+10FFFF) and contain no NUL byte.
 * - Ids (call_id, queue, agent_id, customer_id) and reason (the case
 *   type, optional): at most CDR_ID_MAX (64) bytes, kept byte for byte (no
 *   trimming or case folding), no invisible or direction-changing
 *   character; reason also no control character (C0, DEL, C1).
 * - Instants: rfc3339_parse() (offset required, years 1970..2199).
 * - talk_s, hold_s, acw_s: plain ASCII digits only, 1 to 9 of them, so the
 *   value fits int32: "05" is 5 (leading zeros are harmless); "-5" is
 *   negative; "-0", "+5", " 5 ", "5.0", "1e3", "5s" and "" with spaces are
 *   not whole numbers; "1000000000" (10 digits) is too large.  Empty: 0.
 * - csat: the same digit rule, then 1..5; empty: no survey (0).
 * - transferred: exactly "0" or "1", empty 0; resolved: "0" or "1", empty -1.
 * - outcome: "answered", "abandoned" or "overflow" (exact, lower case);
 *   empty: answered when answered_at is given, else abandoned.
 * - channel: "voice", "chat", "email" or "callback"; empty: voice.
 * Record rules: call_id, queue, offered_at and ended_at are required;
 * answered_at >= offered_at; ended_at >= answered_at and >= offered_at
 * (equal is fine); outcome "answered" needs answered_at and the others
 * forbid it; agent_id is required when answered_at is given.
 */
#ifndef SLT_CDR_VALIDATE_H
#define SLT_CDR_VALIDATE_H

#include <stddef.h>

#include "cdr.h"

/* The columns / JSON keys of a contact, in the order of INTERFACES.md. */
typedef enum cdr_field {
    CDR_F_CALL_ID,
    CDR_F_QUEUE,
    CDR_F_OFFERED_AT,
    CDR_F_ANSWERED_AT,
    CDR_F_ENDED_AT,
    CDR_F_OUTCOME,
    CDR_F_AGENT_ID,
    CDR_F_TALK_S,
    CDR_F_HOLD_S,
    CDR_F_ACW_S,
    CDR_F_CHANNEL,
    CDR_F_CUSTOMER_ID,
    CDR_F_TRANSFERRED,
    CDR_F_RESOLVED,
    CDR_F_CSAT,
    CDR_F_REASON,
    CDR_F_COUNT
} cdr_field;

/* One value as text; ptr NULL or len 0 means "not given". */
typedef struct cdr_text {
    const char *ptr;
    size_t len;
} cdr_text_t;

/* The text values of one row, indexed by cdr_field.  Borrowed pointers. */
typedef struct cdr_row {
    cdr_text_t v[CDR_F_COUNT];
} cdr_row_t;

/* Results of cdr_validate_text. */
enum { CDR_TEXT_OK = 0, CDR_TEXT_NUL = 1, CDR_TEXT_BAD_UTF8 = 2 };

/* The column name of a field ("call_id"), a static string. */
const char *cdr_field_name(cdr_field f);

/* Every column name in field order, NULL-ended (static). */
const char *const *cdr_field_names(void);
/* The columns a CSV header must have, NULL-ended (static). */
const char *const *cdr_required_names(void);

/* The field called exactly name[0..len) (case-sensitive), or -1. */
int cdr_field_lookup(const char *name, size_t len);

/* 1 for the columns a CSV header must have (call_id, queue, offered_at,
 * ended_at), else 0. */
int cdr_field_required(cdr_field f);

/* Checks that p[0..len) is UTF-8 without NUL: CDR_TEXT_OK, CDR_TEXT_NUL or
 * CDR_TEXT_BAD_UTF8. */
int cdr_validate_text(const char *p, size_t len);

/* Converts and checks one row.  On ST_OK *out is a valid record; on
 * ST_ERR_INVALID *err names the first bad field (err->line = 0) and *out is
 * unspecified.  Nothing is kept. */
int cdr_validate_row(const cdr_row_t *row, cdr_t *out, cdr_error_t *err);

/* Checks a filled record against every rule that a cdr_t can break
 * (required ids and instants, order of instants, outcome vs answered_at,
 * agent_id when answered, enum and range checks, ids UTF-8 and NUL-free).
 * ST_OK or ST_ERR_INVALID with *err filled. */
int cdr_validate_record(const cdr_t *rec, cdr_error_t *err);

/* Copies an id value (CDR_F_CALL_ID, _QUEUE, _AGENT_ID or _CUSTOMER_ID)
 * into its member of *rec after the UTF-8, NUL and length checks; an empty
 * value stores "".  ST_OK, or ST_ERR_INVALID with *err filled (also for a
 * field that is not an id). */
int cdr_validate_set_id(cdr_t *rec, cdr_field f, const char *p, size_t len, cdr_error_t *err);

#endif
