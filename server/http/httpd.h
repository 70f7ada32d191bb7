/*
 * httpd.h - a small HTTP/1.1 server over TLS: libevent bufferevents with
 * OpenSSL, and the nodejs http_parser for the protocol.
 *
 * Why not evhttp: in libevent 2.1 it cannot answer its own protocol errors
 * (413, 400) in our JSON error format, has no deadline for a request's
 * headers (a client sending one byte a second keeps a connection forever),
 * cannot pause a body for back-pressure, and silently serves plain text on
 * the TLS port when a bufferevent callback fails.  Here every accepted
 * socket goes straight into an OpenSSL bufferevent, so plain HTTP on the
 * TLS port can only fail its handshake.
 *
 * Parsing (reqparse.h) holds requests to RFC 9112 and answers faults with
 * 400.  Limits: request line plus headers (431), body per request as the app
 * decides at header time (413, answered before the body is read), a
 * deadline for the TLS handshake and headers (and for an idle keep-alive),
 * a minimum upload rate, idle read/write timeouts, and a cap on
 * connections.  Every response carries X-Request-Id.
 *
 * Threads: everything here runs on the event-loop thread, including every
 * call the app makes into it.  Ownership: an httpd_req_t is owned by httpd
 * until on_request() hands it to the app, which must answer it exactly once
 * with httpd_respond*(); that call gives it back (and frees it if the
 * client has gone meanwhile).
 */
#ifndef SLT_HTTPD_H
#define SLT_HTTPD_H

#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "reqparse.h"

typedef struct httpd httpd_t;
typedef struct httpd_conn httpd_conn_t;

typedef reqparse_field_t httpd_header_t; /* name lowercased, value */

typedef struct httpd_req {
    const char *method; /* "GET", "POST", ... */
    char *raw_path;     /* the path as sent (route on this: %2F is not a separator) */
    char *path;         /* percent-decoded path, valid UTF-8, no NUL (for logs) */
    char *query;        /* raw query string without '?', or NULL */
    httpd_header_t *headers;
    size_t nheaders;
    buf_t body; /* the whole body (up to the app's limit) */
    char request_id[17];
    char remote[64]; /* peer address */
    bool remote_loopback;
    double started;        /* monotonic seconds when the headers were complete */
    void *app;             /* the app's per-request data, set in on_request (the app frees it) */
    const void *route_ref; /* the app's static route entry, set in on_headers (not owned) */
    const char *route;     /* route label for metrics and logs (static string) */
    httpd_conn_t *conn;    /* NULL once the client has gone */
    bool stream;           /* set in on_headers: the body goes to on_body, not into body */
    bool expects_continue; /* Expect: 100-continue with a body to come */
    bool continue_later;   /* set in on_headers: the app calls httpd_continue() itself */
    bool continued;        /* 100 Continue was sent */
} httpd_req_t;

typedef struct httpd_limits {
    size_t max_header_bytes;
    double header_timeout_s;
    double idle_timeout_s;
    size_t min_body_rate; /* bytes per second, 0: none */
    double rate_window_s; /* measured over this window */
    size_t max_connections;
} httpd_limits_t;

typedef struct httpd_callbacks {
    /*
     * Headers are complete.  Set *max_body to the largest body to accept;
     * or answer at once with httpd_respond*() (unknown route, wrong method)
     * — the body is then not read and the connection closes after it.
     */
    void (*on_headers)(void *app, httpd_req_t *req, size_t *max_body);
    /* The whole request is here; the app now owns req until it responds. */
    void (*on_request)(void *app, httpd_req_t *req);
    /* A response has been queued (metrics, access log). */
    void (*on_response)(void *app, const httpd_req_t *req, int status, size_t body_bytes);
    /*
     * Streaming (req->stream set in on_headers): the app owns req from
     * on_headers on.  on_body gets each piece of the body as it arrives
     * (httpd_pause() inside it applies back-pressure); on_body_end says how
     * the body ended: status 0 complete, a 4xx status the app should answer
     * with (code and message describe it), or -1 when the client has gone
     * (req->conn is NULL then).  on_request is not called.
     */
    void (*on_body)(void *app, httpd_req_t *req, const char *data, size_t len);
    void (*on_body_end)(void *app, httpd_req_t *req, int status, const char *code,
                        const char *message);
    void *app;
} httpd_callbacks_t;

/* Starts listening on "host:port" (port 0: any free port); NULL on error. */
httpd_t *httpd_new(struct event_base *base, SSL_CTX *tls, const char *listen,
                   const httpd_limits_t *limits, const httpd_callbacks_t *cb, char *err,
                   size_t errlen);
/* The port actually bound. */
int httpd_port(const httpd_t *h);
/* Open connections. */
size_t httpd_connections(const httpd_t *h);
/*
 * Stops accepting, closes idle connections, lets requests in flight finish
 * (then closes them), and calls done(arg) once no connection is left.
 */
void httpd_shutdown(httpd_t *h, void (*done)(void *arg), void *arg);
/* Frees the server; every connection is closed. */
void httpd_free(httpd_t *h);

/* Finds a request header (name in lowercase); NULL when absent. */
const char *httpd_header(const httpd_req_t *req, const char *name);

/* Answers with a body (copied).  extra_headers: "Name: value\r\n" lines or NULL. */
void httpd_respond(httpd_req_t *req, int status, const char *content_type,
                   const char *extra_headers, const void *body, size_t len);
/* Answers with a JSON document (serialised; the caller keeps its reference). */
void httpd_respond_json(httpd_req_t *req, int status, const json_t *doc);
/* Answers {"error": {"code", "message", "details"?}}; details may be NULL (stolen if not). */
void httpd_respond_error(httpd_req_t *req, int status, const char *code, const char *message,
                         json_t *details);

/*
 * Invites the body of a request that expects 100 Continue (sends it once;
 * nothing when the body is already arriving, was answered, or the client
 * has gone).  httpd sends it after on_headers unless the app set
 * continue_later there, e.g. to check the token first: a request refused
 * before then is answered without inviting its body.
 */
void httpd_continue(httpd_req_t *req);

/* Stops reading a streaming body (back-pressure) until httpd_resume(). */
void httpd_pause(httpd_req_t *req);
/* Reads again; harmless when the client has gone. */
void httpd_resume(httpd_req_t *req);

/* Monotonic clock in seconds. */
double httpd_now(void);

#endif
