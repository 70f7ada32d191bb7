/* reqparse.c - HTTP/1.x requests held to RFC 9112 (see reqparse.h). */
#include "reqparse.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pct.h"
#include "utf8.h"
#include "xmem.h"

/* States of the raw-byte scanner of a message's head. */
enum {
    SCAN_START,      /* empty lines before the request line, or the request line */
    SCAN_LINE_START, /* the first byte of a field line (or of the empty line) */
    SCAN_FIELD,      /* inside a field line */
    SCAN_END_CR,     /* a CR at the start of a line: the empty line that ends the head */
    SCAN_DONE,       /* the head is over: body bytes are not scanned */
};

static http_parser_settings settings;

/* Reports a fault in the request and stops; returns -1 for the callback. */
static int fail(reqparse_t *rp, int status, const char *code, const char *message)
{
    if (!rp->failed) {
        rp->failed = true;
        rp->hooks->fail(rp->arg, status, code, message);
    }
    return -1;
}

/* A hook said stop (it answered, or the connection is going): no fail hook. */
static int stopped(reqparse_t *rp)
{
    rp->failed = true;
    return -1;
}

void reqparse_head_clear(reqparse_head_t *h)
{
    for (size_t i = 0; i < h->nfields; i++) {
        free(h->fields[i].name);
        free(h->fields[i].value);
    }
    free(h->fields);
    free(h->raw_path);
    free(h->path);
    free(h->query);
    memset(h, 0, sizeof *h);
    h->content_length = UINT64_MAX;
}

void reqparse_init(reqparse_t *rp, size_t max_head_bytes, const reqparse_hooks_t *hooks, void *arg)
{
    memset(rp, 0, sizeof *rp);
    http_parser_init(&rp->parser, HTTP_REQUEST);
    rp->parser.data = rp;
    rp->hooks = hooks;
    rp->arg = arg;
    rp->max_head_bytes = max_head_bytes;
    buf_init(&rp->url, max_head_bytes);
    buf_init(&rp->name, max_head_bytes);
    buf_init(&rp->value, max_head_bytes);
    rp->head.content_length = UINT64_MAX;
    rp->scan = SCAN_START;
}

void reqparse_free(reqparse_t *rp)
{
    buf_free(&rp->url);
    buf_free(&rp->name);
    buf_free(&rp->value);
    reqparse_head_clear(&rp->head);
}

/* True for a tchar of RFC 9110 5.6.2 (the characters of a field name). */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Counts head bytes against the limit; -1 (431 reported) past it. */
static int head_budget(reqparse_t *rp, size_t n)
{
    rp->head_bytes += n;
    if (rp->head_bytes > rp->max_head_bytes)
        return fail(rp, 431, "headers_too_large", "request line and headers exceed the limit");
    return 0;
}

static int on_message_begin(http_parser *p)
{
    reqparse_t *rp = p->data;
    reqparse_head_clear(&rp->head);
    buf_free(&rp->url);
    buf_free(&rp->name);
    buf_free(&rp->value);
    rp->head_bytes = 0;
    rp->last_cb = 0;
    return rp->hooks->begin(rp->arg) ? stopped(rp) : 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    reqparse_t *rp = p->data;
    if (head_budget(rp, n))
        return -1;
    return buf_append(&rp->url, at, n) ? fail(rp, 431, "headers_too_large", "request too large")
                                       : 0;
}

/* Moves the finished field name/value pair into the head, checking the name. */
static int push_field(reqparse_t *rp)
{
    reqparse_head_t *h = &rp->head;
    if (h->nfields >= REQPARSE_MAX_FIELDS)
        return fail(rp, 431, "headers_too_large", "too many header fields");
    for (size_t i = 0; i < rp->name.len; i++)
        if (!is_tchar((unsigned char)rp->name.data[i]))
            return fail(rp, 400, "bad_header",
                        "a header field name holds a character that is not allowed (no "
                        "whitespace before the colon)");
    if (!utf8_valid(rp->value.data ? rp->value.data : "", rp->value.len))
        return fail(rp, 400, "bad_header", "a header value is not valid UTF-8");
    h->fields = xrealloc(h->fields, (h->nfields + 1) * sizeof *h->fields);
    char *name = buf_detach(&rp->name, NULL);
    for (char *q = name; *q; q++)
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q - 'A' + 'a');
    h->fields[h->nfields].name = name;
    h->fields[h->nfields].value = buf_detach(&rp->value, NULL);
    h->nfields++;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    reqparse_t *rp = p->data;
    if (head_budget(rp, n))
        return -1;
    if (rp->last_cb == 2 && push_field(rp))
        return -1;
    rp->last_cb = 1;
    return buf_append(&rp->name, at, n) ? fail(rp, 431, "headers_too_large", "field too large") : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    reqparse_t *rp = p->data;
    if (head_budget(rp, n))
        return -1;
    rp->last_cb = 2;
    return buf_append(&rp->value, at, n) ? fail(rp, 431, "headers_too_large", "field too large")
                                         : 0;
}

/* How many fields are called name, and the first one's value. */
static size_t field_count(const reqparse_head_t *h, const char *name, const char **first)
{
    size_t n = 0;
    *first = NULL;
    for (size_t i = 0; i < h->nfields; i++)
        if (strcmp(h->fields[i].name, name) == 0 && n++ == 0)
            *first = h->fields[i].value;
    return n;
}

/* True for a Host value made of URI host and port characters (RFC 3986). */
static bool host_valid(const char *v)
{
    for (const unsigned char *q = (const unsigned char *)v; *q; q++)
        if (!is_tchar(*q) && !strchr(":[]()!$&',;=", *q))
            return false;
    return true;
}

/* True when v is exactly "chunked" (any case), optional whitespace around. */
static bool only_chunked(const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, "chunked", 7) != 0)
        return false;
    for (v += 7; *v == ' ' || *v == '\t'; v++)
        ;
    return *v == '\0';
}

/* The checks on a complete head that http_parser does not make. */
static int head_check(reqparse_t *rp)
{
    http_parser *p = &rp->parser;
    reqparse_head_t *h = &rp->head;
    if (p->http_major != 1 || p->http_minor > 1)
        return fail(rp, 505, "http_version", "only HTTP/1.0 and HTTP/1.1 are served");
    h->http_minor = p->http_minor;
    const char *host = NULL;
    size_t hosts = field_count(h, "host", &host);
    if (hosts > 1 || (hosts == 0 && p->http_minor == 1))
        return fail(rp, 400, "bad_header", "an HTTP/1.1 request needs exactly one Host header");
    if (host && !host_valid(host))
        return fail(rp, 400, "bad_header", "the Host header is not a host and port");
    const char *te = NULL;
    size_t tes = field_count(h, "transfer-encoding", &te);
    if (tes && p->http_minor == 0)
        return fail(rp, 400, "bad_header", "Transfer-Encoding is not allowed in HTTP/1.0");
    if (tes > 1 || (te && !only_chunked(te)))
        return fail(rp, 501, "not_implemented", "only the chunked transfer coding is supported");
    struct http_parser_url u;
    http_parser_url_init(&u);
    const char *url = buf_cstr(&rp->url);
    if (rp->url.len == 0 || url[0] != '/' || http_parser_parse_url(url, rp->url.len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH)))
        return fail(rp, 400, "bad_url", "the request target is not a valid origin-form path");
    const char *path = url + u.field_data[UF_PATH].off;
    size_t plen = u.field_data[UF_PATH].len;
    h->path = pct_decode(path, plen, false);
    if (!h->path)
        return fail(rp, 400, "bad_url", "malformed percent-encoding in the path");
    h->raw_path = xstrndup(path, plen);
    if (u.field_set & (1 << UF_QUERY))
        h->query = xstrndup(url + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
    buf_free(&rp->url);
    h->chunked = (p->flags & F_CHUNKED) != 0;
    h->content_length = p->content_length == ULLONG_MAX ? UINT64_MAX : p->content_length;
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    reqparse_t *rp = p->data;
    if (rp->last_cb == 2 && push_field(rp))
        return -1;
    rp->head.method = http_method_str((enum http_method)p->method);
    if (head_check(rp))
        return -1;
    return rp->hooks->head(rp->arg, &rp->head) ? stopped(rp) : 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    reqparse_t *rp = p->data;
    return rp->hooks->body(rp->arg, at, n) ? stopped(rp) : 0;
}

static int on_message_complete(http_parser *p)
{
    reqparse_t *rp = p->data;
    rp->scan = SCAN_START;
    rp->scan_content = false;
    http_parser_pause(p, 1);
    return rp->hooks->done(rp->arg, http_should_keep_alive(p) != 0) ? stopped(rp) : 0;
}

/*
 * Scans raw bytes of a head before http_parser reads them, for what it
 * accepts silently: a line of the head that starts with whitespace (an
 * obsolete folded line, or whitespace before the first field).  Returns how
 * many bytes are fine (all of them, or up to the fault, reported).
 */
static size_t head_scan(reqparse_t *rp, const char *data, size_t len)
{
    for (size_t i = 0; i < len && rp->scan != SCAN_DONE; i++) {
        char ch = data[i];
        switch (rp->scan) {
        case SCAN_START:
            if (ch == '\n' && rp->scan_content)
                rp->scan = SCAN_LINE_START;
            else if (ch != '\r' && ch != '\n')
                rp->scan_content = true;
            break;
        case SCAN_LINE_START:
            if (ch == ' ' || ch == '\t') {
                fail(rp, 400, "bad_header",
                     "a header line starts with whitespace (obsolete line folding)");
                return i;
            }
            rp->scan = ch == '\r' ? SCAN_END_CR : ch == '\n' ? SCAN_DONE : SCAN_FIELD;
            break;
        case SCAN_FIELD:
            if (ch == '\n')
                rp->scan = SCAN_LINE_START;
            break;
        case SCAN_END_CR:
            rp->scan = SCAN_DONE; /* a LF, or http_parser refuses what follows the CR */
            break;
        }
    }
    return len;
}

size_t reqparse_execute(reqparse_t *rp, const char *data, size_t len)
{
    if (rp->failed || len == 0)
        return 0;
    size_t ok = rp->scan == SCAN_DONE ? len : head_scan(rp, data, len);
    if (rp->failed)
        return ok;
    size_t n = http_parser_execute(&rp->parser, &settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&rp->parser);
    if (e != HPE_OK && e != HPE_PAUSED && !rp->failed) {
        char msg[160];
        snprintf(msg, sizeof msg, "malformed HTTP request: %s", http_errno_description(e));
        if (e == HPE_HEADER_OVERFLOW)
            fail(rp, 431, "headers_too_large", msg);
        else
            fail(rp, 400, "bad_request", msg);
    }
    return n;
}

void reqparse_pause(reqparse_t *rp, bool paused)
{
    enum http_errno e = HTTP_PARSER_ERRNO(&rp->parser);
    if (e == HPE_OK || e == HPE_PAUSED) /* pausing a failed parser asserts */
        http_parser_pause(&rp->parser, paused ? 1 : 0);
}

bool reqparse_paused(const reqparse_t *rp)
{
    return !rp->failed && HTTP_PARSER_ERRNO(&rp->parser) == HPE_PAUSED;
}

bool reqparse_failed(const reqparse_t *rp)
{
    return rp->failed;
}

static http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};
