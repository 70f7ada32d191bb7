/* httpd.c - HTTP/1.1 over TLS on libevent and http_parser (see httpd.h). */
#include "httpd.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "jsonutil.h"
#include "pct.h"
#include "utf8.h"
#include "reqparse.h"
#include "xmem.h"

#define LINGER_S     2.0        /* how long to drain an unread body before closing */
#define LINGER_BYTES (4u << 20) /* and how much of it */
/*
 * New connections accepted per turn of the event loop.  Each costs a TLS
 * handshake (a private-key signature, milliseconds) on the loop; accepting
 * a whole backlog at once (a load balancer reconnecting 1,000 clients)
 * queued up to 512 handshakes ahead of every established connection's next
 * request, and bench/load measured `/healthz` waiting 1.6 s behind them.
 * After this many the listener pauses until the loop has run the events
 * that were already waiting; the kernel's backlog holds the rest.
 */
#define ACCEPT_BURST 8

typedef enum conn_state {
    CONN_READING, /* handshake, headers or body */
    CONN_APP,     /* the app owns the request */
    CONN_WRITING, /* a response is queued */
    CONN_LINGER,  /* answered early: discard what the client still sends, then close */
} conn_state;

struct httpd_conn {
    httpd_t *h;
    struct bufferevent *bev;
    reqparse_t rp; /* the request bytes -> head and body */
    conn_state state;
    httpd_req_t *req; /* request being read (NULL between requests) */
    bool close_after; /* close once the response is written */
    bool keep_alive;
    bool message_done;
    bool req_begun;    /* bytes of the current request have arrived */
    bool paused;       /* streaming body held back by the app */
    size_t body_bytes; /* streamed so far */
    bool headers_done; /* its headers are complete */
    bool body_expected;
    size_t max_body;
    struct event *deadline;
    struct event *rate_timer;
    size_t window_bytes;
    char remote[64];
    bool loopback;
    httpd_conn_t *prev, *next;
};

struct httpd {
    struct event_base *base;
    SSL_CTX *tls;
    struct evconnlistener *listener;
    httpd_limits_t limits;
    httpd_callbacks_t cb;
    httpd_conn_t *conns;
    size_t nconns;
    int port;
    bool draining;
    int accepted;                /* connections accepted in this turn of the loop */
    struct event *accept_resume; /* re-enables the listener after a burst */
    void (*drained)(void *);
    void *drained_arg;
};

static void conn_free(httpd_conn_t *c);
static void conn_read(httpd_conn_t *c);
static void conn_fail(httpd_conn_t *c, int status, const char *code, const char *message);

double httpd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The standard reason phrase of a status code. */
static const char *reason_phrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    }
    return "Unknown";
}

/* Frees a request and everything it owns (not req->app: the app's). */
static void req_free(httpd_req_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->raw_path);
    free(r->path);
    free(r->query);
    buf_free(&r->body);
    free(r);
}

/* A fresh request with its id and peer filled in. */
static httpd_req_t *req_new(httpd_conn_t *c)
{
    httpd_req_t *r = xcalloc(1, sizeof *r);
    uint8_t id[8];
    if (hash_random(id, sizeof id) != 0)
        memset(id, 0, sizeof id);
    hash_hex(id, sizeof id, r->request_id);
    snprintf(r->remote, sizeof r->remote, "%s", c->remote);
    r->remote_loopback = c->loopback;
    r->method = "GET";
    r->route = "unmatched";
    r->conn = c;
    buf_init(&r->body, 0);
    return r;
}

const char *httpd_header(const httpd_req_t *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

/* A timeval for a duration in seconds. */
static struct timeval seconds_tv(double s)
{
    struct timeval tv = {(time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6)};
    return tv;
}

/* Arms (or re-arms) the deadline for a handshake, headers or an idle keep-alive. */
static void conn_arm_deadline(httpd_conn_t *c)
{
    struct timeval tv = seconds_tv(c->h->limits.header_timeout_s);
    evtimer_add(c->deadline, &tv);
}

/* Arms the next upload-rate check. */
static void conn_arm_rate(httpd_conn_t *c)
{
    struct timeval tv = seconds_tv(c->h->limits.rate_window_s);
    evtimer_add(c->rate_timer, &tv);
}

/* Starts waiting for the next request on a kept-alive connection. */
static void conn_next_request(httpd_conn_t *c)
{
    c->state = CONN_READING;
    c->message_done = false;
    c->req_begun = false;
    c->headers_done = false;
    c->body_expected = false;
    conn_arm_deadline(c);
    reqparse_pause(&c->rp, false);
    bufferevent_enable(c->bev, EV_READ);
    conn_read(c); /* pipelined bytes may already be waiting */
}

/* Queues status line, headers and body; the request goes back to httpd and is freed. */
static void conn_write_response(httpd_conn_t *c, httpd_req_t *req, int status,
                                const char *content_type, const char *extra, const void *body,
                                size_t len)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (c->h->draining)
        c->close_after = true;
    /* 204 and 304 have no body and so no body length (RFC 9110 8.6): a 304's
     * Content-Length would have to be the 200's, never 0. */
    bool bodiless = status == 204 || status == 304;
    char length[48] = "";
    if (!bodiless)
        snprintf(length, sizeof length, "Content-Length: %zu\r\n", len);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\n%s"
                        "X-Request-Id: %s\r\nConnection: %s\r\nCache-Control: no-store\r\n"
                        "X-Content-Type-Options: nosniff\r\n"
                        "Strict-Transport-Security: max-age=31536000\r\n%s\r\n",
                        status, reason_phrase(status), date, content_type, length, req->request_id,
                        c->close_after ? "close" : "keep-alive", extra ? extra : "");
    if (len && !bodiless && strcmp(req->method, "HEAD") != 0)
        evbuffer_add(out, body, len);
    c->state = CONN_WRITING;
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_enable(c->bev, EV_WRITE);
}

void httpd_respond(httpd_req_t *req, int status, const char *content_type,
                   const char *extra_headers, const void *body, size_t len)
{
    httpd_conn_t *c = req->conn;
    if (c) {
        httpd_t *h = c->h;
        if (c->state == CONN_READING) {
            /* Answered before the body was read: stop parsing and close after. */
            c->close_after = true;
            reqparse_pause(&c->rp, true);
            evtimer_del(c->deadline);
            evtimer_del(c->rate_timer);
        }
        conn_write_response(c, req, status, content_type, extra_headers, body, len);
        if (h->cb.on_response)
            h->cb.on_response(h->cb.app, req, status, len);
        if (c->req == req)
            c->req = NULL;
    }
    req_free(req);
}

void httpd_respond_json(httpd_req_t *req, int status, const json_t *doc)
{
    char *text = jsonutil_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) {
        httpd_respond(req, 500, "application/json", NULL,
                      "{\"error\":{\"code\":\"internal\",\"message\":\"cannot encode\"}}", 55);
        return;
    }
    size_t n = strlen(text);
    text = xrealloc(text, n + 2);
    text[n] = '\n';
    httpd_respond(req, status, "application/json", NULL, text, n + 1);
    free(text);
}

void httpd_respond_error(httpd_req_t *req, int status, const char *code, const char *message,
                         json_t *details)
{
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(code));
    json_t *m = json_string(message);
    json_object_set_new(e, "message", m ? m : json_string("(message is not valid UTF-8)"));
    if (details)
        json_object_set_new(e, "details", details);
    json_t *doc = json_pack("{s:o}", "error", e);
    httpd_respond_json(req, status, doc);
    json_decref(doc);
}

/* Answers a protocol error on the current request (making one if needed) and closes. */
static void conn_fail(httpd_conn_t *c, int status, const char *code, const char *message)
{
    if (c->state != CONN_READING)
        return;
    if (c->req && c->req->stream && c->headers_done) {
        /* The app owns a streaming request: it answers, with this status. */
        c->state = CONN_APP;
        c->close_after = true;
        evtimer_del(c->rate_timer);
        bufferevent_disable(c->bev, EV_READ);
        reqparse_pause(&c->rp, true);
        c->h->cb.on_body_end(c->h->cb.app, c->req, status, code, message);
        return;
    }
    if (!c->req)
        c->req = req_new(c);
    c->req->started = c->req->started ? c->req->started : httpd_now();
    httpd_respond_error(c->req, status, code, message, NULL);
}

/* --- reqparse hooks: they run inside reqparse_execute() ------------- */

static int hk_begin(void *arg)
{
    httpd_conn_t *c = arg;
    c->req_begun = true;
    req_free(c->req);
    c->req = req_new(c);
    return 0;
}

static void hk_fail(void *arg, int status, const char *code, const char *message)
{
    httpd_conn_t *c = arg;
    if (c->req && c->rp.head.method)
        c->req->method = c->rp.head.method;
    conn_fail(c, status, code, message);
}

static int hk_head(void *arg, reqparse_head_t *head)
{
    httpd_conn_t *c = arg;
    httpd_req_t *r = c->req;
    evtimer_del(c->deadline);
    r->started = httpd_now();
    r->method = head->method;
    r->headers = head->fields;
    r->nheaders = head->nfields;
    r->raw_path = head->raw_path;
    r->path = head->path;
    r->query = head->query;
    head->fields = NULL;
    head->nfields = 0;
    head->raw_path = head->path = head->query = NULL;

    bool chunked = head->chunked;
    uint64_t length = head->content_length;
    c->body_expected = chunked || (length > 0 && length != UINT64_MAX);
    const char *expect = httpd_header(r, "expect");
    r->expects_continue = c->body_expected && expect && strcasecmp(expect, "100-continue") == 0;
    c->headers_done = true;
    c->max_body = 0;
    c->h->cb.on_headers(c->h->cb.app, r, &c->max_body);
    if (c->state != CONN_READING)
        return 0; /* the app answered at once; parsing is paused */
    if (!chunked && length != UINT64_MAX && length > c->max_body) {
        conn_fail(c, 413, "body_too_large", "the request body exceeds the limit for this route");
        return 0;
    }
    if (!r->stream)
        buf_init(&r->body, c->max_body);
    c->body_bytes = 0;
    c->paused = false;
    if (!r->continue_later)
        httpd_continue(r);
    if (c->body_expected && c->h->limits.min_body_rate) {
        c->window_bytes = 0;
        conn_arm_rate(c);
    }
    return 0;
}

static int hk_body(void *arg, const char *at, size_t n)
{
    httpd_conn_t *c = arg;
    c->window_bytes += n;
    c->body_bytes += n;
    if (c->req->stream) {
        if (c->body_bytes > c->max_body) {
            conn_fail(c, 413, "body_too_large",
                      "the request body exceeds the limit for this route");
            return 0;
        }
        c->h->cb.on_body(c->h->cb.app, c->req, at, n);
        return 0;
    }
    if (buf_append(&c->req->body, at, n) != 0) {
        conn_fail(c, 413, "body_too_large", "the request body exceeds the limit for this route");
        return 0;
    }
    return 0;
}

static int hk_done(void *arg, bool keep_alive)
{
    httpd_conn_t *c = arg;
    c->message_done = true;
    c->keep_alive = keep_alive;
    return 0;
}

static const reqparse_hooks_t hooks = {hk_begin, hk_head, hk_body, hk_done, hk_fail};

void httpd_continue(httpd_req_t *req)
{
    httpd_conn_t *c = req->conn;
    if (!c || c->state != CONN_READING || !req->expects_continue || req->continued ||
        c->body_bytes > 0 || c->message_done)
        return; /* nothing to invite, or the body is coming anyway */
    req->continued = true;
    evbuffer_add_printf(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
}

/* --- connection I/O -------------------------------------------------- */

/* Hands a complete request to the app. */
static void conn_dispatch(httpd_conn_t *c)
{
    httpd_req_t *r = c->req;
    evtimer_del(c->rate_timer);
    c->state = CONN_APP;
    c->close_after = !c->keep_alive || c->h->draining;
    bufferevent_disable(c->bev, EV_READ);
    if (r->stream)
        c->h->cb.on_body_end(c->h->cb.app, r, 0, NULL, NULL);
    else
        c->h->cb.on_request(c->h->cb.app, r);
}

/* Feeds buffered input to the parser while the connection is reading. */
static void conn_read(httpd_conn_t *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    while (c->state == CONN_READING && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        size_t n = reqparse_execute(&c->rp, v.iov_base, v.iov_len);
        evbuffer_drain(in, n);
        if (reqparse_paused(&c->rp)) {
            if (c->state == CONN_READING && c->message_done)
                conn_dispatch(c);
            return;
        }
        if (reqparse_failed(&c->rp) || n == 0)
            return; /* the request was answered (or the connection is going) */
    }
}

static void conn_on_read(struct bufferevent *bev, void *arg)
{
    httpd_conn_t *c = arg;
    if (c->state == CONN_LINGER) {
        struct evbuffer *in = bufferevent_get_input(bev);
        c->window_bytes += evbuffer_get_length(in);
        evbuffer_drain(in, evbuffer_get_length(in));
        if (c->window_bytes > LINGER_BYTES)
            conn_free(c);
        return;
    }
    conn_read(c);
}

/*
 * After an early answer (413, 431, 400...) the client may still be sending
 * the body.  Closing at once would make the kernel reset the connection and
 * the client could lose our answer, so read and discard for a moment first
 * (nginx calls this a lingering close).
 */
static void conn_linger(httpd_conn_t *c)
{
    c->state = CONN_LINGER;
    c->window_bytes = 0;
    evtimer_del(c->rate_timer);
    struct timeval tv = seconds_tv(LINGER_S);
    evtimer_add(c->deadline, &tv);
    shutdown(bufferevent_getfd(c->bev), SHUT_WR);
    bufferevent_enable(c->bev, EV_READ);
}

static void conn_on_write(struct bufferevent *bev, void *arg)
{
    httpd_conn_t *c = arg;
    if (c->state != CONN_WRITING || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
        return;
    if (c->close_after) {
        if (!c->message_done && c->req_begun && (!c->headers_done || c->body_expected))
            conn_linger(c);
        else
            conn_free(c);
        return;
    }
    conn_next_request(c);
}

static void conn_on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    httpd_conn_t *c = arg;
    if (what & BEV_EVENT_CONNECTED)
        return;
    if ((what & BEV_EVENT_TIMEOUT) && c->state == CONN_READING && c->req) {
        conn_fail(c, 408, "timeout", "the client sent nothing for too long");
        return;
    }
    conn_free(c);
}

/* Header deadline: a silent idle connection just closes; a started request gets 408. */
static void conn_on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    httpd_conn_t *c = arg;
    if (c->state == CONN_LINGER) {
        conn_free(c);
        return;
    }
    if (c->state == CONN_READING && c->req && c->rp.head_bytes > 0) {
        conn_fail(c, 408, "timeout", "request headers took too long");
        return;
    }
    if (c->state == CONN_READING)
        conn_free(c);
}

/* Upload rate check, every rate window while a body is read. */
static void conn_on_rate(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    httpd_conn_t *c = arg;
    if (c->state != CONN_READING)
        return;
    if (c->paused) { /* we are the slow side: do not count it against the client */
        c->window_bytes = 0;
        conn_arm_rate(c);
        return;
    }
    if ((double)c->window_bytes < (double)c->h->limits.min_body_rate * c->h->limits.rate_window_s) {
        conn_fail(c, 408, "too_slow", "the request body arrives too slowly");
        return;
    }
    c->window_bytes = 0;
    conn_arm_rate(c);
}

static void conn_free(httpd_conn_t *c)
{
    httpd_t *h = c->h;
    httpd_req_t *r = c->req;
    bool streaming = r && r->stream && c->headers_done && c->state == CONN_READING;
    if (r && (c->state == CONN_APP || streaming)) {
        r->conn = NULL; /* the app still holds it; httpd_respond() frees it */
        if (streaming)
            h->cb.on_body_end(h->cb.app, r, -1, "gone", "the client went away");
    } else {
        req_free(r);
    }
    c->req = NULL;
    reqparse_free(&c->rp);
    event_free(c->deadline);
    event_free(c->rate_timer);
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (ssl && SSL_is_init_finished(ssl))
        SSL_shutdown(ssl);
    bufferevent_free(c->bev);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    if (h->nconns-- == h->limits.max_connections && !h->draining && h->listener)
        evconnlistener_enable(h->listener);
    if (h->draining && h->nconns == 0 && h->drained)
        h->drained(h->drained_arg);
}

/* Formats the peer address and notes whether it is loopback. */
static void describe_peer(const struct sockaddr *sa, char *out, size_t len, bool *loopback)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    *loopback = false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        *loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
                    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
    }
    snprintf(out, len, "%s", ip);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
    (void)l;
    (void)salen;
    httpd_t *h = arg;
    /* Small writes go out at once: without this the response of a new
     * connection waits in the kernel for the ACK of the TLS session tickets
     * sent just before it (Nagle), which the client delays by up to 40 ms
     * (issue 17; bench/connect measures it). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL *ssl = SSL_new(h->tls);
    if (!ssl) {
        evutil_closesocket(fd);
        return;
    }
    /* TLS from the first byte: there is no plain-text path to fall back to. */
    struct bufferevent *bev =
        bufferevent_openssl_socket_new(h->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                       BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev) {
        SSL_free(ssl);
        evutil_closesocket(fd);
        return;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    httpd_conn_t *c = xcalloc(1, sizeof *c);
    c->h = h;
    c->bev = bev;
    describe_peer(sa, c->remote, sizeof c->remote, &c->loopback);
    reqparse_init(&c->rp, h->limits.max_header_bytes, &hooks, c);
    c->deadline = evtimer_new(h->base, conn_on_deadline, c);
    c->rate_timer = evtimer_new(h->base, conn_on_rate, c);
    c->next = h->conns;
    if (h->conns)
        h->conns->prev = c;
    h->conns = c;
    if (++h->nconns >= h->limits.max_connections) {
        evconnlistener_disable(h->listener);
    } else if (++h->accepted >= ACCEPT_BURST) { /* the rest wait for the next turn */
        evconnlistener_disable(h->listener);
        struct timeval now = {0, 0};
        evtimer_add(h->accept_resume, &now);
    }
    struct timeval idle = {(time_t)h->limits.idle_timeout_s, 0};
    bufferevent_set_timeouts(bev, &idle, &idle);
    bufferevent_setcb(bev, conn_on_read, conn_on_write, conn_on_event, c);
    c->state = CONN_READING;
    conn_arm_deadline(c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* After a burst of accepts: the loop has run the other events; listen again. */
static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    httpd_t *h = arg;
    h->accepted = 0;
    if (h->listener && !h->draining && h->nconns < h->limits.max_connections)
        evconnlistener_enable(h->listener);
}

httpd_t *httpd_new(struct event_base *base, SSL_CTX *tls, const char *listen,
                   const httpd_limits_t *limits, const httpd_callbacks_t *cb, char *err,
                   size_t errlen)
{
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    memset(&ss, 0, sizeof ss);
    /* libevent refuses port 0, which we allow (any free port): parse as 1, then clear it. */
    char addr[128];
    size_t ln = strlen(listen);
    bool any_port = ln >= 2 && strcmp(listen + ln - 2, ":0") == 0;
    snprintf(addr, sizeof addr, "%.*s%s", (int)(any_port ? ln - 2 : ln), listen,
             any_port ? ":1" : "");
    if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(err, errlen, "[server] listen: '%s' is not address:port", listen);
        return NULL;
    }
    if (any_port) {
        if (ss.ss_family == AF_INET6)
            ((struct sockaddr_in6 *)(void *)&ss)->sin6_port = 0;
        else
            ((struct sockaddr_in *)(void *)&ss)->sin_port = 0;
    }
    httpd_t *h = xcalloc(1, sizeof *h);
    h->base = base;
    h->tls = tls;
    h->limits = *limits;
    h->cb = *cb;
    h->accept_resume = evtimer_new(base, on_accept_resume, h);
    h->listener = evconnlistener_new_bind(
        base, on_accept, h, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 512,
        (struct sockaddr *)&ss, sslen);
    if (!h->listener) {
        snprintf(err, errlen, "cannot listen on %s: %s", listen,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        event_free(h->accept_resume);
        free(h);
        return NULL;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(evconnlistener_get_fd(h->listener), (struct sockaddr *)&bound, &blen);
    h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)(void *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)(void *)&bound)->sin_port);
    return h;
}

void httpd_pause(httpd_req_t *req)
{
    httpd_conn_t *c = req->conn;
    if (!c || c->state != CONN_READING || c->paused)
        return;
    c->paused = true;
    bufferevent_disable(c->bev, EV_READ);
    reqparse_pause(&c->rp, true); /* stop inside the current buffer too */
}

void httpd_resume(httpd_req_t *req)
{
    httpd_conn_t *c = req->conn;
    if (!c || c->state != CONN_READING || !c->paused)
        return;
    c->paused = false;
    reqparse_pause(&c->rp, false);
    bufferevent_enable(c->bev, EV_READ);
    conn_read(c);
}

int httpd_port(const httpd_t *h)
{
    return h->port;
}

size_t httpd_connections(const httpd_t *h)
{
    return h->nconns;
}

void httpd_shutdown(httpd_t *h, void (*done)(void *arg), void *arg)
{
    h->draining = true;
    h->drained = done;
    h->drained_arg = arg;
    if (h->listener) {
        evconnlistener_free(h->listener);
        h->listener = NULL;
    }
    /* Idle connections (no request begun) close now; busy ones close after their response. */
    httpd_conn_t *c = h->conns;
    while (c) {
        httpd_conn_t *next = c->next;
        if (c->state == CONN_READING && (!c->req || c->req->started == 0))
            conn_free(c);
        else
            c->close_after = true;
        c = next;
    }
    if (h->nconns == 0 && done)
        done(arg);
}

void httpd_free(httpd_t *h)
{
    if (!h)
        return;
    h->drained = NULL;
    while (h->conns)
        conn_free(h->conns);
    if (h->listener)
        evconnlistener_free(h->listener);
    event_free(h->accept_resume);
    free(h);
}
