/*
 * cdr_qlog.h - assembles contacts (cdr_t) from Asterisk queue_log lines.
 *
 * Input is `epoch|callid|queue|agent|EVENT|data1|data2|...` as app_queue
 * writes it, pushed in chunks of any size (qlog_feed); lines end with LF or
 * CRLF.  The rules are INTERFACES.md "Asterisk queue_log" and METRICS.md
 * "Contact outcomes":
 *
 *   ENTERQUEUE                      opens a contact (offered_at = its epoch)
 *   CONNECT|holdtime|bridged|ring   answers it: answered_at = offered_at +
 *                                   holdtime (data1, the wait Asterisk
 *                                   logged), agent_id = its agent field
 *   COMPLETEAGENT, COMPLETECALLER   end it answered, talk_s = data2 (calltime)
 *     |holdtime|calltime|origpos
 *   TRANSFER, BLINDTRANSFER         end it answered, transferred = 1,
 *     |exten|context|holdtime|      talk_s = data4 (calltime).  BLINDTRANSFER
 *      calltime|origpos             is what Asterisk 12 and later write for a
 *                                   blind transfer instead of TRANSFER, with
 *                                   the same fields
 *   ATTENDEDTRANSFER                the same for an attended transfer (newer
 *     |method|method data...|       Asterisk): method is BRIDGE|bridge id,
 *      holdtime|calltime|origpos    APP|application or LINK|chan1|chan2, so
 *                                   calltime is the next-to-last field
 *   ABANDON|pos|origpos|waittime    ends it `abandoned`
 *   EXITWITHTIMEOUT|pos|origpos|wait,
 *   EXITEMPTY|pos|origpos|wait,
 *   EXITWITHKEY|key|pos|origpos|wait end it `overflow`
 *   anything else                   skipped, counted by kind (RINGNOANSWER
 *                                   only counts; the agent stays the one who
 *                                   connects)
 *
 * The wait is the one Asterisk logged, not the difference of two lines'
 * epochs (INTERFACES.md): Asterisk measures it from its own queue-entry
 * time, and the epoch of the ENTERQUEUE line is now and then a second off
 * it, which moves service level at the threshold.  So answered_at =
 * offered_at + CONNECT's holdtime, and an abandon's or exit's ended_at =
 * offered_at + its waittime (the contact left the queue then).  A line
 * that logs no wait (the field absent or empty, as in some older versions)
 * falls back to its epoch; a wait that is not whole seconds is a row error.
 * An answered contact's ended_at is its end event's epoch, or answered_at
 * when the logged hold time puts answered_at up to a second past it (the
 * disagreement this is about); further past is a row error as before.  hold_s and acw_s
 * are 0 (queue_log has no customer-hold data: CONNECT's holdtime is the
 * queue wait); channel is voice; resolved -1; csat 0.
 *
 * A line with a NUL byte is what a crash leaves (blocks of zeros where
 * lines were being written): it is a row error ("damaged"), counted, and
 * the first QLOG_DAMAGED_LISTED such line numbers are kept
 * (qlog_damaged_lines) so a refusal can name them; lenient mode skips them.
 *
 * call_id: one Asterisk call (one uniqueid) may enter several queues, or the
 * same queue twice (a timeout loop in the dialplan), so the uniqueid alone
 * is not a contact key.  The emitted call_id is `<callid>@<queue>@<epoch of
 * ENTERQUEUE>`, built only from the ENTERQUEUE line itself: re-uploading a
 * log, or splitting it differently across uploads, gives the same ids, which
 * a counter (`#2`) kept in assembler state would not.  It starts with the
 * uniqueid (all of it unless the uniqueid alone is over 46 bytes), so a QA
 * evaluation naming the uniqueid can be matched by the prefix `<callid>@`.
 * When that text is longer than CDR_ID_MAX, the id is its first 47 bytes
 * (cut at a UTF-8 boundary), `~`, and 16 hex digits of the 64-bit FNV-1a
 * hash of the whole text.
 *
 * Open contacts are keyed by (callid, queue): Asterisk keeps a channel in
 * one Queue() at a time.  A repeated ENTERQUEUE with the same epoch is a
 * duplicate (an overlapping re-upload); with a later epoch it replaces the
 * open one, which lost its end event ("orphaned").  A contact event before
 * the open contact's ENTERQUEUE does not belong to it: unmatched.
 *
 * Errors: a line that cannot be read (too few fields, bad epoch, bad id, bad
 * number, longer than the line cap) is a row error through sink->reject
 * with its line and field, and counted `malformed`; a well-formed line that
 * contradicts its contact (CONNECT twice, COMPLETE without CONNECT, ended
 * before answered) is a row error counted `inconsistent`.  Either way the
 * contact the line belongs to is dropped, and its later lines count as
 * unmatched.  Parsing always continues after a row error.
 *
 * Contacts span uploads: a contact still open at qlog_finish stays open.
 * The caller exports them with qlog_open_foreach, stores them, and restores
 * them with qlog_open_add into the next upload's assembler before feeding.
 *
 * Ownership: a qlog_t owns its open contacts and its partial line; records
 * and errors passed to the sink are valid only during the call.  No I/O, no
 * global state; a qlog_t is used by one thread at a time.
 */
#ifndef SLT_CDR_QLOG_H
#define SLT_CDR_QLOG_H

#include <stddef.h>
#include <stdint.h>

#include "cdr.h"

#define QLOG_DEFAULT_MAX_OPEN 100000
#define QLOG_DEFAULT_MAX_LINE 8192
#define QLOG_HARD_MAX_LINE    (1024 * 1024)
#define QLOG_NOT_CONNECTED    INT64_MIN /* qlog_open_t.connected before CONNECT */
#define QLOG_DAMAGED_LISTED   100       /* damaged line numbers kept for a receipt */

/* Limits and options; a zero field takes its default. */
typedef struct qlog_limits {
    size_t max_open; /* open contacts at once (default 100,000); more is fatal */
    size_t max_line; /* bytes in a line without its CR LF (default 8 KiB, at most 1 MiB) */
    int customer_from_callerid; /* 1: ENTERQUEUE's caller id (data2) becomes customer_id */
} qlog_limits_t;

/* One open contact, as exported and imported between uploads. */
typedef struct qlog_open {
    char callid[CDR_ID_MAX + 1]; /* Asterisk uniqueid */
    char queue[CDR_ID_MAX + 1];
    char agent[CDR_ID_MAX + 1];       /* "" until CONNECT */
    char customer_id[CDR_ID_MAX + 1]; /* "" unless customer_from_callerid */
    int64_t entered;                  /* ENTERQUEUE epoch, UTC seconds */
    int64_t connected;                /* answered_at in epoch seconds (entered +
                                         CONNECT's holdtime), or QLOG_NOT_CONNECTED */
    uint32_t ring_no_answer;          /* RINGNOANSWER lines seen so far */
} qlog_open_t;

/* Event kinds counted when skipped. */
typedef enum qlog_kind {
    QLOG_K_RINGNOANSWER,
    QLOG_K_RINGCANCELED,
    QLOG_K_ADDMEMBER,
    QLOG_K_REMOVEMEMBER,
    QLOG_K_PAUSE,
    QLOG_K_UNPAUSE,
    QLOG_K_PAUSEALL,
    QLOG_K_UNPAUSEALL,
    QLOG_K_AGENTLOGIN,
    QLOG_K_AGENTLOGOFF,
    QLOG_K_AGENTCALLBACKLOGIN,
    QLOG_K_AGENTCALLBACKLOGOFF,
    QLOG_K_AGENTDUMP,
    QLOG_K_QUEUESTART,
    QLOG_K_CONFIGRELOAD,
    QLOG_K_DID,
    QLOG_K_INFO,
    QLOG_K_JOINEMPTY,
    QLOG_K_JOINUNAVAIL,
    QLOG_K_FULL,
    QLOG_K_PENALTY,
    QLOG_K_OTHER, /* any event not named above */
    QLOG_K_COUNT
} qlog_kind;

/* What one assembler has seen so far (the ingest receipt). */
typedef struct qlog_stats {
    uint64_t lines;   /* lines read, blank ones included */
    uint64_t emitted; /* contacts passed to sink->record */
    uint64_t skipped; /* lines of events that make no contact */
    uint64_t skipped_by_kind[QLOG_K_COUNT];
    uint64_t unmatched;    /* contact events with no open contact to apply to */
    uint64_t duplicates;   /* ENTERQUEUE / CONNECT repeated verbatim */
    uint64_t malformed;    /* row errors: unreadable lines (damaged ones included) */
    uint64_t damaged;      /* lines with a NUL byte (a log damaged by a crash) */
    uint64_t inconsistent; /* row errors: lines contradicting their contact */
    uint64_t orphaned;     /* open contacts replaced by a new ENTERQUEUE */
    uint64_t expired;      /* open contacts dropped by qlog_open_expire */
    uint64_t open;         /* contacts open now */
} qlog_stats_t;

typedef struct qlog qlog_t;

/* A new assembler with no open contacts.  `lim` (may be NULL: defaults) is
 * copied; max_line is clamped to QLOG_HARD_MAX_LINE.  Free with qlog_free. */
qlog_t *qlog_new(const qlog_limits_t *lim);

/* Releases everything, open contacts included; NULL is a no-op. */
void qlog_free(qlog_t *q);

/* Consumes `len` bytes (any split: one byte at a time gives the same
 * result), calling sink->record for each contact that ends and
 * sink->reject for each row error.  Returns ST_OK, a sink callback's
 * negative code, or ST_ERR_TOO_LARGE when more than max_open contacts
 * would be open (qlog_errmsg says where).  After a failure every later
 * call returns the same code.  Both sink callbacks are required. */
int qlog_feed(qlog_t *q, const char *data, size_t len, const cdr_sink_t *sink);

/* Ends the input: handles a last line without a newline.  Contacts still
 * open are NOT emitted; they stay for qlog_open_foreach.  qlog_feed after
 * qlog_finish returns ST_ERR_INVALID.  Returns as qlog_feed. */
int qlog_finish(qlog_t *q, const cdr_sink_t *sink);

/* The counters so far, copied into *out. */
void qlog_stats(const qlog_t *q, qlog_stats_t *out);

/* The numbers of the first damaged lines (at most QLOG_DAMAGED_LISTED;
 * st.damaged counts them all): how many, into *lines (owned by q). */
size_t qlog_damaged_lines(const qlog_t *q, const uint64_t **lines);

/* The event name counted under `kind` ("OTHER" for QLOG_K_OTHER), or "" out
 * of range.  Static storage. */
const char *qlog_kind_name(int kind);

/* A message for the sticky fatal error ("" when there is none); owned by q,
 * valid until qlog_free. */
const char *qlog_errmsg(const qlog_t *q);

/* The number of open contacts. */
size_t qlog_open_count(const qlog_t *q);

/* Calls fn once per open contact, oldest ENTERQUEUE line first (imported
 * contacts first, in import order).  The struct is valid during the call
 * only.  Stops and returns fn's value when it is negative; else ST_OK.  fn
 * must not change q. */
int qlog_open_foreach(const qlog_t *q, int (*fn)(void *ctx, const qlog_open_t *o), void *ctx);

/* Restores one open contact exported earlier (copied).  ST_ERR_INVALID (with
 * a message in err) when it breaks an invariant: empty or over-long or
 * non-UTF-8 ids, entered out of range, connected before entered, connected
 * without agent; ST_ERR_CONFLICT when (callid, queue) is already open;
 * ST_ERR_TOO_LARGE beyond max_open (not sticky).  err may be NULL. */
int qlog_open_add(qlog_t *q, const qlog_open_t *o, char *err, size_t errlen);

/* Drops open contacts whose ENTERQUEUE epoch is before `before` (their end
 * event is lost for good), counts them `expired`, and returns how many. */
size_t qlog_open_expire(qlog_t *q, int64_t before);

#endif
