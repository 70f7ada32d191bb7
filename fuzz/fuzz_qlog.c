/*
 * fuzz_qlog.c - libFuzzer target for server/ingest/cdr_qlog.c.
 *
 * Input: byte 0 picks the chunk size (1..64) and the caller-id option, byte
 * 1 where to split, the rest is queue_log text.  The text is assembled
 * twice: (A) in one qlog_feed, and (B) in chunks, with the upload ended at
 * the first line end after the split point, the open contacts exported and
 * imported into a second assembler, and the rest fed there.  Both must give
 * the same records, row errors (line numbers offset by the first part's
 * lines), counters and open contacts; every record must satisfy the
 * contact invariants, checked here independently of the module.  Small
 * limits make the line cap and the open-contact cap reachable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_qlog.h"
#include "status.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct row {
    cdr_t rec; /* when !is_err */
    cdr_error_t err;
    uint64_t line;
    int is_err;
} row_t;

typedef struct out {
    row_t *rows;
    size_t n, cap;
    uint64_t line_offset; /* added to line numbers (lines of earlier uploads) */
} out_t;

/* Stops the run loudly: a broken invariant is a finding. */
static void die(const char *what)
{
    fprintf(stderr, "fuzz_qlog: %s\n", what);
    abort();
}

/* True when s is NUL-terminated within CDR_ID_MAX + 1 bytes. */
static int id_fits(const char *s)
{
    return memchr(s, '\0', CDR_ID_MAX + 1) != NULL;
}

static row_t *push(out_t *o)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 16;
        o->rows = xrealloc(o->rows, o->cap * sizeof *o->rows);
    }
    row_t *r = &o->rows[o->n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* Checks a record against the contact rules, then keeps a copy. */
static int on_record(void *ctx, const cdr_t *r, uint64_t line)
{
    out_t *o = ctx;
    if (line == 0)
        die("record on line 0");
    if (!id_fits(r->call_id) || !id_fits(r->queue) || !id_fits(r->agent_id) ||
        !id_fits(r->customer_id))
        die("id not terminated");
    if (r->call_id[0] == '\0' || r->queue[0] == '\0')
        die("empty call_id or queue");
    if (r->offered_us <= 0 || r->offered_us % 1000000 != 0 || r->ended_us % 1000000 != 0)
        die("instant not whole positive seconds");
    if (r->ended_us < r->offered_us)
        die("ended before offered");
    if (r->talk_s < 0 || r->hold_s != 0 || r->acw_s != 0 || r->channel != CDR_VOICE ||
        r->resolved != -1 || r->csat != 0)
        die("fixed fields wrong");
    if (r->answered_us != CDR_NONE) {
        if (r->outcome != CDR_ANSWERED || r->agent_id[0] == '\0')
            die("answered without outcome answered or agent");
        if (r->answered_us < r->offered_us || r->ended_us < r->answered_us)
            die("answered out of order");
        if (r->transferred != 0 && r->transferred != 1)
            die("transferred not 0/1");
    } else {
        if (r->outcome != CDR_ABANDONED && r->outcome != CDR_OVERFLOW)
            die("unanswered with a bad outcome");
        if (r->talk_s != 0 || r->transferred != 0 || r->agent_id[0] != '\0')
            die("unanswered with talk, transfer or agent");
    }
    row_t *w = push(o);
    memcpy(&w->rec, r, sizeof *r);
    w->line = line + o->line_offset;
    return ST_OK;
}

static int on_reject(void *ctx, const cdr_error_t *e)
{
    out_t *o = ctx;
    if (e->line == 0 || !memchr(e->field, '\0', sizeof e->field) ||
        !memchr(e->message, '\0', sizeof e->message) || e->message[0] == '\0')
        die("bad row error");
    row_t *w = push(o);
    memcpy(&w->err, e, sizeof *e);
    w->line = e->line + o->line_offset;
    w->is_err = 1;
    return ST_OK;
}

/* Field-by-field equality (struct padding is not compared). */
static int rec_equal(const cdr_t *a, const cdr_t *b)
{
    return strcmp(a->call_id, b->call_id) == 0 && strcmp(a->queue, b->queue) == 0 &&
           strcmp(a->agent_id, b->agent_id) == 0 && strcmp(a->customer_id, b->customer_id) == 0 &&
           a->offered_us == b->offered_us && a->answered_us == b->answered_us &&
           a->ended_us == b->ended_us && a->outcome == b->outcome && a->channel == b->channel &&
           a->talk_s == b->talk_s && a->hold_s == b->hold_s && a->acw_s == b->acw_s &&
           a->transferred == b->transferred && a->resolved == b->resolved && a->csat == b->csat;
}

static int rows_equal(const out_t *a, const out_t *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const row_t *x = &a->rows[i], *y = &b->rows[i];
        if (x->is_err != y->is_err || x->line != y->line)
            return 0;
        if (x->is_err ? strcmp(x->err.field, y->err.field) != 0 ||
                            strcmp(x->err.message, y->err.message) != 0
                      : !rec_equal(&x->rec, &y->rec))
            return 0;
    }
    return 1;
}

/* Feeds len bytes in chunks; returns the first error. */
static int feed_chunks(qlog_t *q, const char *p, size_t len, size_t chunk, const cdr_sink_t *s)
{
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        int rc = qlog_feed(q, p + off, n, s);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

static int import_one(void *ctx, const qlog_open_t *o)
{
    char err[128];
    int rc = qlog_open_add(ctx, o, err, sizeof err);
    if (rc != ST_OK) {
        fprintf(stderr, "fuzz_qlog: re-import refused: %s\n", err);
        abort();
    }
    return ST_OK;
}

typedef struct opens {
    qlog_open_t *v;
    size_t n, cap;
} opens_t;

static int collect_open(void *ctx, const qlog_open_t *o)
{
    opens_t *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = *o;
    return ST_OK;
}

/* Field-by-field equality of two open contacts (padding not compared). */
static int open_equal(const qlog_open_t *x, const qlog_open_t *y)
{
    return strcmp(x->callid, y->callid) == 0 && strcmp(x->queue, y->queue) == 0 &&
           strcmp(x->agent, y->agent) == 0 && strcmp(x->customer_id, y->customer_id) == 0 &&
           x->entered == y->entered && x->connected == y->connected &&
           x->ring_no_answer == y->ring_no_answer;
}

/* The sum of two stats (the two uploads of run B), `open` from the later. */
static void stats_add(qlog_stats_t *acc, const qlog_stats_t *b)
{
    acc->lines += b->lines;
    acc->emitted += b->emitted;
    acc->skipped += b->skipped;
    for (int k = 0; k < QLOG_K_COUNT; k++)
        acc->skipped_by_kind[k] += b->skipped_by_kind[k];
    acc->unmatched += b->unmatched;
    acc->duplicates += b->duplicates;
    acc->malformed += b->malformed;
    acc->damaged += b->damaged;
    acc->inconsistent += b->inconsistent;
    acc->orphaned += b->orphaned;
    acc->expired += b->expired;
    acc->open = b->open;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    qlog_limits_t lim = {.max_open = 32, .max_line = 200};
    lim.customer_from_callerid = (data[0] & 0x80) != 0;
    size_t chunk = (size_t)(data[0] & 0x3F) + 1;
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    size_t split = len * data[1] / 256;
    const char *nl = memchr(text + split, '\n', len - split);
    split = nl ? (size_t)(nl - text) + 1 : len;

    /* A: one upload, one feed. */
    out_t a = {0};
    cdr_sink_t sa = {on_record, on_reject, &a};
    qlog_t *qa = qlog_new(&lim);
    int rca = qlog_feed(qa, text, len, &sa);
    if (rca == ST_OK)
        rca = qlog_finish(qa, &sa);

    /* B: two uploads, chunked, open contacts carried across. */
    out_t b = {0};
    cdr_sink_t sb = {on_record, on_reject, &b};
    qlog_t *q1 = qlog_new(&lim);
    qlog_t *q2 = NULL;
    int rcb = feed_chunks(q1, text, split, chunk, &sb);
    if (rcb == ST_OK)
        rcb = qlog_finish(q1, &sb);
    qlog_stats_t sb_stats;
    qlog_stats(q1, &sb_stats);
    if (rcb == ST_OK) {
        for (size_t i = 0; i < split; i++)
            b.line_offset += text[i] == '\n';
        q2 = qlog_new(&lim);
        qlog_open_foreach(q1, import_one, q2);
        if (qlog_open_count(q2) != qlog_open_count(q1))
            die("import lost contacts");
        rcb = feed_chunks(q2, text + split, len - split, chunk, &sb);
        if (rcb == ST_OK)
            rcb = qlog_finish(q2, &sb);
        qlog_stats_t s2;
        qlog_stats(q2, &s2);
        stats_add(&sb_stats, &s2);
    }

    if (rca != rcb)
        die("return codes differ between one feed and split uploads");
    if (!rows_equal(&a, &b))
        die("records or errors differ between one feed and split uploads");
    if (rca == ST_OK) {
        qlog_stats_t sa_stats;
        qlog_stats(qa, &sa_stats);
        if (memcmp(&sa_stats, &sb_stats, sizeof sa_stats) != 0)
            die("counters differ between one feed and split uploads");
        if (sa_stats.emitted + sa_stats.malformed + sa_stats.inconsistent != a.n)
            die("emitted + rejected does not match the rows delivered");
        opens_t oa = {0}, ob = {0};
        qlog_open_foreach(qa, collect_open, &oa);
        qlog_open_foreach(q2, collect_open, &ob);
        if (oa.n != ob.n)
            die("open contact counts differ between one feed and split uploads");
        for (size_t i = 0; i < oa.n; i++)
            if (!open_equal(&oa.v[i], &ob.v[i]))
                die("open contacts differ between one feed and split uploads");
        if (oa.n > lim.max_open)
            die("more open contacts than the cap");
        /* Expiring at the median entry drops exactly those before it. */
        if (oa.n > 0) {
            int64_t cut = oa.v[oa.n / 2].entered;
            size_t before = 0;
            for (size_t i = 0; i < oa.n; i++)
                before += oa.v[i].entered < cut;
            if (qlog_open_expire(qa, cut) != before || qlog_open_count(qa) != oa.n - before)
                die("expire count wrong");
        }
        free(oa.v);
        free(ob.v);
    }

    qlog_free(qa);
    qlog_free(q1);
    qlog_free(q2);
    free(a.rows);
    free(b.rows);
    return 0;
}
