/*
 * reqparse.h - the bytes of HTTP/1.x requests on one connection -> request
 * line, header fields and body pieces, held to RFC 9112.
 *
 * http_parser (libhttp-parser) does the framing: request line,
 * Content-Length, chunked bodies, keep-alive.  It is lenient where a
 * server must not be, so this layer adds, and answers 400 for:
 * - a field name that is not a token (RFC 9112 5.1: whitespace between the
 *   name and the colon, which http_parser folds into the name and still
 *   honours as Transfer-Encoding: a request-smuggling vector);
 * - obsolete line folding, and whitespace before the first field (5.2, 2.2),
 *   found by scanning the raw bytes of the head, since http_parser joins a
 *   folded line to the value before;
 * - an HTTP/1.1 request without exactly one Host, and more than one Host in
 *   HTTP/1.0 (3.2);
 * - Transfer-Encoding in an HTTP/1.0 request (6.1), and 501 for a transfer
 *   coding other than chunked, which would reach the app still encoded;
 * - a request target that is not an origin-form path, malformed percent
 *   escapes, or a path that does not decode to UTF-8 without NUL;
 * and 431 past the size of the head or MAX fields, 505 for other versions.
 *
 * Pure: no I/O and no clock.  httpd.c drives one per connection; the fuzz
 * target fuzz/fuzz_http_request.c drives it on arbitrary bytes.  The
 * parser pauses itself after each complete message (so the caller answers
 * before reading the next pipelined one) and stays stopped after a fault.
 * Not thread-safe; one parser per connection.
 *
 * Ownership: the head's strings belong to the parser until the head hook,
 * which may take any of them (set the member to NULL); the rest are freed
 * when the next message begins or by reqparse_free().
 */
#ifndef SLT_REQPARSE_H
#define SLT_REQPARSE_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define REQPARSE_MAX_FIELDS 100 /* header fields per request (431 beyond) */

typedef struct reqparse_field {
    char *name; /* lowercased */
    char *value;
} reqparse_field_t;

/* A request's line and header fields, checked. */
typedef struct reqparse_head {
    const char *method; /* static string, "GET", ... */
    int http_minor;     /* 0 or 1 (the major is 1) */
    char *raw_path;     /* the path as sent: escapes well formed, decoding to UTF-8 without NUL */
    char *path;         /* percent-decoded */
    char *query;        /* raw query string without '?', or NULL */
    reqparse_field_t *fields;
    size_t nfields;
    bool chunked;            /* Transfer-Encoding: chunked */
    uint64_t content_length; /* UINT64_MAX when none was given */
} reqparse_head_t;

/* What the parser tells its owner; each returns 0 to go on, -1 to stop. */
typedef struct reqparse_hooks {
    /* The first byte of a message (not counting empty lines before it). */
    int (*begin)(void *arg);
    /* The request line and fields are complete and pass every check. */
    int (*head)(void *arg, reqparse_head_t *head);
    /* A piece of the body (chunked framing removed). */
    int (*body)(void *arg, const char *at, size_t n);
    /* The message is complete; the parser pauses after this. */
    int (*done)(void *arg, bool keep_alive);
    /* A fault in the request: a status (400, 431, 501, 505), code and
     * message for the JSON error.  Parsing stops after it. */
    void (*fail)(void *arg, int status, const char *code, const char *message);
} reqparse_hooks_t;

typedef struct reqparse {
    http_parser parser; /* HTTP_PARSER_ERRNO() reads its state */
    const reqparse_hooks_t *hooks;
    void *arg;
    size_t max_head_bytes, head_bytes;
    int last_cb; /* 0 none, 1 field name, 2 field value */
    buf_t url, name, value;
    reqparse_head_t head;
    int scan;          /* raw-byte scanner of the head (reqparse.c) */
    bool scan_content; /* the start line has begun */
    bool failed;
} reqparse_t;

/* Prepares a parser for a connection; the head may be at most max_head_bytes. */
void reqparse_init(reqparse_t *rp, size_t max_head_bytes, const reqparse_hooks_t *hooks, void *arg);
/* Frees what the parser holds (the head's strings not taken, the buffers). */
void reqparse_free(reqparse_t *rp);
/* Frees a head's strings (those not taken) and clears it. */
void reqparse_head_clear(reqparse_head_t *h);

/*
 * Feeds len bytes; returns how many were consumed.  Fewer than len when
 * paused (a complete message, or reqparse_pause()) or after a fault (then
 * reqparse_failed() is true, the fail hook having run when the fault was
 * in the request rather than a hook's -1).
 */
size_t reqparse_execute(reqparse_t *rp, const char *data, size_t len);
/* Pauses (true) or resumes (false) parsing; harmless after a fault. */
void reqparse_pause(reqparse_t *rp, bool paused);
/* True when parsing is paused (and not failed). */
bool reqparse_paused(const reqparse_t *rp);
/* True after a fault; nothing more is parsed. */
bool reqparse_failed(const reqparse_t *rp);

#endif
