/*
 * cdr.h - one contact (call detail record) as slattest stores it, and the
 * push interface every contact parser (CSV, JSON/NDJSON, Asterisk
 * queue_log) implements.
 *
 * The formats and validation rules are in shared/spec/INTERFACES.md ("Input
 * formats"); outcome classes in METRICS.md.  A parser never does I/O: the
 * caller feeds it bytes as they arrive (cdr_reader_feed) and it calls the
 * sink once per row, with either a valid record or a row error.  Records and
 * errors passed to the sink are owned by the reader and valid only during
 * the call: the sink copies what it keeps.
 */
#ifndef SLT_CDR_H
#define SLT_CDR_H

#include <stddef.h>
#include <stdint.h>

#define CDR_ID_MAX 64        /* bytes in call_id, queue, agent_id, customer_id, reason */
#define CDR_NONE   INT64_MIN /* "no instant" in an *_us field */

typedef enum cdr_outcome {
    CDR_ANSWERED = 1,
    CDR_ABANDONED = 2,
    CDR_OVERFLOW = 3,
} cdr_outcome;

typedef enum cdr_channel {
    CDR_VOICE = 1,
    CDR_CHAT = 2,
    CDR_EMAIL = 3,
    CDR_CALLBACK = 4,
} cdr_channel;

/* A validated contact. Instants are microseconds since the Unix epoch, UTC. */
typedef struct cdr {
    char call_id[CDR_ID_MAX + 1];
    char queue[CDR_ID_MAX + 1];
    char agent_id[CDR_ID_MAX + 1];    /* "" when none */
    char customer_id[CDR_ID_MAX + 1]; /* "" when none */
    char reason[CDR_ID_MAX + 1];      /* the case type, "" when none (never from queue_log) */
    int64_t offered_us;
    int64_t answered_us; /* CDR_NONE when not answered */
    int64_t ended_us;
    cdr_outcome outcome;
    cdr_channel channel;
    int32_t talk_s, hold_s, acw_s; /* >= 0 */
    int8_t transferred;            /* 0 or 1 (default 0) */
    int8_t resolved;               /* 0, 1, or -1 when not given */
    int8_t csat;                   /* 1..5, or 0 when no survey */
} cdr_t;

/* A rejected row: the 1-based line of the input it started on, the field
 * (column name, or "" for the row as a whole) and a message for people.
 * valid: when the error is about a name or value that is not one of a
 * fixed set (an unknown column or key, a wrong outcome or channel, a
 * missing required column), that set (static strings, NULL-ended); else
 * NULL. */
typedef struct cdr_error {
    uint64_t line;
    char field[48];
    char message[512];
    const char *const *valid;
} cdr_error_t;

/* Where a reader delivers rows.  Either callback may return a negative
 * st_code to stop parsing (cdr_reader_feed then returns that code). */
typedef struct cdr_sink {
    int (*record)(void *ctx, const cdr_t *rec, uint64_t line);
    int (*reject)(void *ctx, const cdr_error_t *err);
    void *ctx;
} cdr_sink_t;

#endif
