/*
 * libFuzzer target: the HTTP request parser layer (server/http/reqparse.c,
 * what httpd.c feeds every connection's bytes to): request lines, header
 * fields, Content-Length and chunked bodies, pipelined requests.  The input
 * is fed in pieces of varying size (as TLS records arrive), resuming after
 * each complete message like httpd does after answering it.
 *
 * Checked on every input: no crash or leak (ASan, UBSan); parsing always
 * ends (every byte consumed unless paused or failed); exactly one fail
 * report per fault, with a 4xx/5xx status; a head that passes has a path
 * that starts with '/', decodes to UTF-8 without NUL, lowercase token field
 * names, exactly one Host in HTTP/1.1; the body pieces add up to no more
 * than the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reqparse.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_state {
    size_t heads, dones, fails, body_bytes;
    bool in_message, done;
} fuzz_state_t;

static int on_begin(void *arg)
{
    fuzz_state_t *st = arg;
    if (st->in_message)
        abort(); /* a message began inside another */
    st->in_message = true;
    return 0;
}

static int on_head(void *arg, reqparse_head_t *h)
{
    fuzz_state_t *st = arg;
    st->heads++;
    if (!h->method || !h->raw_path || h->raw_path[0] != '/' || !h->path)
        abort();
    if (!utf8_valid(h->path, strlen(h->path)))
        abort();
    size_t hosts = 0;
    for (size_t i = 0; i < h->nfields; i++) {
        for (const char *q = h->fields[i].name; *q; q++)
            if ((*q >= 'A' && *q <= 'Z') || *q == ' ' || *q == '\t' || *q == ':')
                abort();
        hosts += strcmp(h->fields[i].name, "host") == 0;
    }
    if (hosts > 1 || (h->http_minor == 1 && hosts != 1))
        abort();
    /* Take one string as httpd does, to exercise the ownership rule. */
    free(h->path);
    h->path = NULL;
    return 0;
}

static int on_body(void *arg, const char *at, size_t n)
{
    fuzz_state_t *st = arg;
    if (!at && n)
        abort();
    st->body_bytes += n;
    return 0;
}

static int on_done(void *arg, bool keep_alive)
{
    (void)keep_alive;
    fuzz_state_t *st = arg;
    st->dones++;
    st->in_message = false;
    st->done = true;
    return 0;
}

static void on_fail(void *arg, int status, const char *code, const char *message)
{
    fuzz_state_t *st = arg;
    st->fails++;
    if (status < 400 || status > 599 || !code || !code[0] || !message || !message[0])
        abort();
}

static const reqparse_hooks_t hooks = {on_begin, on_head, on_body, on_done, on_fail};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_state_t st = {0};
    reqparse_t rp;
    reqparse_init(&rp, 4096, &hooks, &st);
    size_t off = 0, step = size ? data[0] : 0;
    while (off < size && !reqparse_failed(&rp)) {
        size_t piece = 1 + (step = step * 31 + 7) % 97;
        if (piece > size - off)
            piece = size - off;
        size_t n = reqparse_execute(&rp, (const char *)data + off, piece);
        if (n > piece)
            abort();
        off += n;
        if (reqparse_paused(&rp)) {
            if (!st.done)
                abort(); /* only a complete message pauses here */
            st.done = false;
            reqparse_pause(&rp, false); /* the response went out: read the next one */
        } else if (!reqparse_failed(&rp) && n != piece) {
            abort(); /* bytes left unread without a reason */
        }
    }
    if (st.fails > 1 || st.dones > st.heads || st.body_bytes > size)
        abort();
    reqparse_free(&rp);
    return 0;
}
