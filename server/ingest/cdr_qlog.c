/*
 * cdr_qlog.c - contacts from Asterisk queue_log lines; see cdr_qlog.h for
 * the rules.  Lines are split here (push-style, any chunking), each line is
 * read into field spans without copying when it lies inside one chunk, and
 * open contacts live in a chained hash table keyed by (callid, queue) plus a
 * list in ENTERQUEUE order, so export is deterministic.
 */
#include "cdr_qlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "status.h"
#include "xmem.h"

#define QLOG_MAX_FIELDS 32             /* spans kept per line; more are counted */
#define QLOG_EPOCH_MAX  253402300799LL /* 9999-12-31T23:59:59Z */
#define QLOG_FNV_OFFSET 14695981039346656037ULL
#define QLOG_FNV_PRIME  1099511628211ULL
#define QLOG_HASH_HEX   16 /* hex digits of the call_id fallback hash */
#define QLOG_SLACK_S    1  /* how far Asterisk's logged waits and the line epochs may disagree */

typedef struct qlog_span {
    const char *p;
    size_t n;
} qlog_span_t;

/* What a contact event does to its contact. */
typedef enum qlog_ev {
    EV_ENTER,
    EV_CONNECT,
    EV_COMPLETE, /* answered end, calltime in data2 */
    EV_TRANSFER, /* answered + transferred, calltime in data4 */
    EV_ATXFER,   /* answered + transferred, calltime next-to-last */
    EV_ABANDON,  /* wait time in data3 */
    EV_EXIT,     /* overflow, wait time in data3 */
    EV_EXIT_KEY, /* overflow, wait time in data4 (data1 is the key) */
    EV_SKIP,
} qlog_ev;

static const struct {
    const char *name;
    qlog_ev ev;
} contact_events[] = {
    {"ENTERQUEUE", EV_ENTER},        {"CONNECT", EV_CONNECT},   {"COMPLETEAGENT", EV_COMPLETE},
    {"COMPLETECALLER", EV_COMPLETE}, {"TRANSFER", EV_TRANSFER}, {"BLINDTRANSFER", EV_TRANSFER},
    {"ATTENDEDTRANSFER", EV_ATXFER}, {"ABANDON", EV_ABANDON},   {"EXITWITHTIMEOUT", EV_EXIT},
    {"EXITWITHKEY", EV_EXIT_KEY},    {"EXITEMPTY", EV_EXIT},
};

static const char *const kind_names[QLOG_K_COUNT] = {
    [QLOG_K_RINGNOANSWER] = "RINGNOANSWER",
    [QLOG_K_RINGCANCELED] = "RINGCANCELED",
    [QLOG_K_ADDMEMBER] = "ADDMEMBER",
    [QLOG_K_REMOVEMEMBER] = "REMOVEMEMBER",
    [QLOG_K_PAUSE] = "PAUSE",
    [QLOG_K_UNPAUSE] = "UNPAUSE",
    [QLOG_K_PAUSEALL] = "PAUSEALL",
    [QLOG_K_UNPAUSEALL] = "UNPAUSEALL",
    [QLOG_K_AGENTLOGIN] = "AGENTLOGIN",
    [QLOG_K_AGENTLOGOFF] = "AGENTLOGOFF",
    [QLOG_K_AGENTCALLBACKLOGIN] = "AGENTCALLBACKLOGIN",
    [QLOG_K_AGENTCALLBACKLOGOFF] = "AGENTCALLBACKLOGOFF",
    [QLOG_K_AGENTDUMP] = "AGENTDUMP",
    [QLOG_K_QUEUESTART] = "QUEUESTART",
    [QLOG_K_CONFIGRELOAD] = "CONFIGRELOAD",
    [QLOG_K_DID] = "DID",
    [QLOG_K_INFO] = "INFO",
    [QLOG_K_JOINEMPTY] = "JOINEMPTY",
    [QLOG_K_JOINUNAVAIL] = "JOINUNAVAIL",
    [QLOG_K_FULL] = "FULL",
    [QLOG_K_PENALTY] = "PENALTY",
    [QLOG_K_OTHER] = "OTHER",
};

typedef struct qlog_entry {
    qlog_open_t o;
    uint64_t hash;
    struct qlog_entry *hnext;       /* bucket chain */
    struct qlog_entry *prev, *next; /* ENTERQUEUE (or import) order */
} qlog_entry_t;

struct qlog {
    qlog_limits_t lim;
    buf_t line;     /* a line split across feeds, without its LF */
    int discarding; /* inside an over-long line: skip to the next LF */
    int finished;
    int failed;      /* sticky negative code, or 0 */
    uint64_t lineno; /* 1-based number of the line being read */
    uint64_t damaged_lines[QLOG_DAMAGED_LISTED];
    char errmsg[200];
    qlog_entry_t **buckets;
    size_t nbuckets; /* a power of two */
    qlog_entry_t *head, *tail;
    qlog_stats_t st;
};

/* FNV-1a over n bytes, continuing from h: cheap, and stable across builds,
 * which the call_id fallback needs. */
static uint64_t qlog_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= QLOG_FNV_PRIME;
    }
    return h;
}

/* The table hash of (callid, queue); the NUL keeps "a"+"bc" from "ab"+"c". */
static uint64_t qlog_key_hash(const char *callid, size_t cn, const char *queue, size_t qn)
{
    uint64_t h = qlog_fnv(QLOG_FNV_OFFSET, callid, cn);
    h = qlog_fnv(h, "", 1);
    return qlog_fnv(h, queue, qn);
}

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF): ids end up in JSON receipts and workbooks. */
static int qlog_utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* Why s cannot be an id (callid, queue, agent), or NULL when it can. */
static const char *qlog_id_problem(const char *p, size_t n, int none_ok)
{
    if (n == 0)
        return "is empty";
    if (n > CDR_ID_MAX)
        return "is longer than 64 bytes";
    if (!none_ok && n == 4 && memcmp(p, "NONE", 4) == 0)
        return "is NONE";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7F)
            return "contains a control character";
    }
    if (!qlog_utf8_ok((const unsigned char *)p, n))
        return "is not valid UTF-8";
    return NULL;
}

/* A whole number of decimal digits into *out, at most `max`; 0 on anything
 * else (sign, spaces, fractions, empty, overflow). */
static int qlog_parse_uint(const char *p, size_t n, int64_t max, int64_t *out)
{
    if (n == 0 || n > 18)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    if (v > max)
        return 0;
    *out = v;
    return 1;
}

/* Copies an id span (already checked to fit) into a fixed field. */
static void qlog_copy_id(char dst[CDR_ID_MAX + 1], const char *p, size_t n)
{
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* Builds the emitted call_id from the ENTERQUEUE line's own fields (see the
 * header for why), falling back to prefix + hash past CDR_ID_MAX bytes. */
static void qlog_call_id(char out[CDR_ID_MAX + 1], const qlog_open_t *o)
{
    char full[2 * CDR_ID_MAX + 32];
    int n = snprintf(full, sizeof full, "%s@%s@%lld", o->callid, o->queue, (long long)o->entered);
    if (n < 0)
        n = 0;
    if ((size_t)n <= CDR_ID_MAX) {
        memcpy(out, full, (size_t)n + 1);
        return;
    }
    uint64_t h = qlog_fnv(QLOG_FNV_OFFSET, full, (size_t)n);
    size_t keep = CDR_ID_MAX - 1 - QLOG_HASH_HEX;
    /* full[keep] is the first byte left out: back off a split character. */
    while (keep > 0 && ((unsigned char)full[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(out, full, keep);
    out[keep++] = '~';
    for (int i = QLOG_HASH_HEX - 1; i >= 0; i--)
        out[keep++] = "0123456789abcdef"[(h >> (4 * i)) & 0xF];
    out[keep] = '\0';
}

/* Finds the open contact for (callid, queue), or NULL. */
static qlog_entry_t *qlog_find(const qlog_t *q, const char *c, size_t cn, const char *qu, size_t qn)
{
    uint64_t h = qlog_key_hash(c, cn, qu, qn);
    for (qlog_entry_t *e = q->buckets[h & (q->nbuckets - 1)]; e; e = e->hnext) {
        if (e->hash == h && strlen(e->o.callid) == cn && memcmp(e->o.callid, c, cn) == 0 &&
            strlen(e->o.queue) == qn && memcmp(e->o.queue, qu, qn) == 0)
            return e;
    }
    return NULL;
}

/* Doubles the bucket array so chains stay short (load factor <= 1). */
static void qlog_grow(qlog_t *q)
{
    size_t nb = q->nbuckets * 2;
    qlog_entry_t **b = xcalloc(nb, sizeof *b);
    for (qlog_entry_t *e = q->head; e; e = e->next) {
        size_t i = e->hash & (nb - 1);
        e->hnext = b[i];
        b[i] = e;
    }
    free(q->buckets);
    q->buckets = b;
    q->nbuckets = nb;
}

/* Takes ownership of a filled entry; the caller checked the cap. */
static void qlog_insert(qlog_t *q, qlog_entry_t *e)
{
    if (q->st.open + 1 > q->nbuckets)
        qlog_grow(q);
    e->hash = qlog_key_hash(e->o.callid, strlen(e->o.callid), e->o.queue, strlen(e->o.queue));
    size_t i = e->hash & (q->nbuckets - 1);
    e->hnext = q->buckets[i];
    q->buckets[i] = e;
    e->next = NULL;
    e->prev = q->tail;
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    q->st.open++;
}

/* Unlinks and frees one open contact. */
static void qlog_remove(qlog_t *q, qlog_entry_t *e)
{
    qlog_entry_t **pp = &q->buckets[e->hash & (q->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        q->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        q->tail = e->prev;
    free(e);
    q->st.open--;
}

/* Makes an error sticky so a caller that ignores one return cannot go on
 * with a half-applied line. */
static int qlog_fail(qlog_t *q, int rc)
{
    if (rc < 0 && !q->failed)
        q->failed = rc;
    return rc;
}

/* Reports a row error for the current line, dropping the contact it belongs
 * to (when given).  Returns the sink's stop code or ST_OK. */
__attribute__((format(printf, 6, 7))) static int qlog_reject(qlog_t *q, const cdr_sink_t *sink,
                                                             int inconsistent, qlog_entry_t *drop,
                                                             const char *field, const char *fmt,
                                                             ...)
{
    cdr_error_t err;
    memset(&err, 0, sizeof err);
    err.line = q->lineno;
    snprintf(err.field, sizeof err.field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    if (drop)
        qlog_remove(q, drop);
    if (inconsistent)
        q->st.inconsistent++;
    else
        q->st.malformed++;
    int rc = sink->reject(sink->ctx, &err);
    return rc < 0 ? rc : ST_OK;
}

/* The invariants every contact must meet (the same as the CSV rules in
 * INTERFACES.md); 0 when r passes, else -1 with the field and message. */
static int qlog_check(const cdr_t *r, const char **field, char *msg, size_t msglen)
{
    if (r->call_id[0] == '\0' || r->queue[0] == '\0') {
        *field = r->call_id[0] == '\0' ? "call_id" : "queue";
        snprintf(msg, msglen, "is empty");
        return -1;
    }
    if (r->ended_us < r->offered_us) {
        *field = "ended_at";
        snprintf(msg, msglen, "ended_at is before offered_at");
        return -1;
    }
    if (r->talk_s < 0 || r->hold_s < 0 || r->acw_s < 0) {
        *field = "talk_s";
        snprintf(msg, msglen, "a duration is negative");
        return -1;
    }
    if (r->answered_us != CDR_NONE) {
        if (r->outcome != CDR_ANSWERED || r->agent_id[0] == '\0') {
            *field = r->outcome != CDR_ANSWERED ? "outcome" : "agent_id";
            snprintf(msg, msglen, "an answered contact needs outcome answered and an agent");
            return -1;
        }
        if (r->answered_us < r->offered_us) {
            *field = "answered_at";
            snprintf(msg, msglen, "answered_at is before offered_at");
            return -1;
        }
        if (r->ended_us < r->answered_us) {
            *field = "ended_at";
            snprintf(msg, msglen, "ended_at is before answered_at");
            return -1;
        }
    } else if ((r->outcome != CDR_ABANDONED && r->outcome != CDR_OVERFLOW) || r->talk_s != 0 ||
               r->transferred != 0) {
        *field = "outcome";
        snprintf(msg, msglen, "an unanswered contact must be abandoned or overflow, untalked");
        return -1;
    }
    return 0;
}

/* Ends contact e with the current line: builds, checks and delivers it. */
static int qlog_emit(qlog_t *q, qlog_entry_t *e, int64_t ended, cdr_outcome outcome, int64_t talk,
                     int transferred, const cdr_sink_t *sink)
{
    cdr_t r;
    memset(&r, 0, sizeof r);
    qlog_call_id(r.call_id, &e->o);
    memcpy(r.queue, e->o.queue, sizeof r.queue);
    memcpy(r.customer_id, e->o.customer_id, sizeof r.customer_id);
    r.offered_us = e->o.entered * 1000000;
    r.ended_us = ended * 1000000;
    r.outcome = outcome;
    r.channel = CDR_VOICE;
    r.resolved = -1;
    if (outcome == CDR_ANSWERED) {
        memcpy(r.agent_id, e->o.agent, sizeof r.agent_id);
        r.answered_us = e->o.connected * 1000000;
        /* The logged hold time may put answered_at a second past the end event's epoch
         * (Asterisk's clock and the lines' epochs differ by that much); more is an error. */
        if (r.ended_us < r.answered_us && r.answered_us - r.ended_us <= QLOG_SLACK_S * 1000000)
            r.ended_us = r.answered_us;
        r.talk_s = (int32_t)talk;
        r.transferred = (int8_t)transferred;
    } else {
        r.answered_us = CDR_NONE;
    }
    qlog_remove(q, e);

    const char *field = "";
    char msg[160];
    if (qlog_check(&r, &field, msg, sizeof msg) != 0)
        return qlog_reject(q, sink, 1, NULL, field, "%s", msg);
    q->st.emitted++;
    int rc = sink->record(sink->ctx, &r, q->lineno);
    return rc < 0 ? rc : ST_OK;
}

/* ENTERQUEUE: opens a contact, or recognises a replay or a lost end. */
static int qlog_on_enter(qlog_t *q, qlog_span_t *f, size_t nf, int64_t epoch, qlog_entry_t *e)
{
    if (e) {
        if (epoch == e->o.entered) {
            q->st.duplicates++;
            return ST_OK;
        }
        if (epoch < e->o.entered) {
            q->st.unmatched++; /* an older entry replayed after a newer one */
            return ST_OK;
        }
        q->st.orphaned++;
        qlog_remove(q, e);
    }
    if (q->st.open >= q->lim.max_open) {
        snprintf(q->errmsg, sizeof q->errmsg,
                 "line %llu: more than %zu contacts open at once (end events lost, or raise "
                 "the open-contact limit)",
                 (unsigned long long)q->lineno, q->lim.max_open);
        return ST_ERR_TOO_LARGE;
    }
    qlog_entry_t *n = xcalloc(1, sizeof *n);
    qlog_copy_id(n->o.callid, f[1].p, f[1].n);
    qlog_copy_id(n->o.queue, f[2].p, f[2].n);
    n->o.entered = epoch;
    n->o.connected = QLOG_NOT_CONNECTED;
    if (q->lim.customer_from_callerid && nf > 6 && !qlog_id_problem(f[6].p, f[6].n, 0) &&
        !(f[6].n == 7 && strncasecmp(f[6].p, "unknown", 7) == 0) &&
        !(f[6].n == 9 && strncasecmp(f[6].p, "anonymous", 9) == 0))
        qlog_copy_id(n->o.customer_id, f[6].p, f[6].n);
    qlog_insert(q, n);
    return ST_OK;
}

/* CONNECT: the agent who answered, at `answered` (ENTERQUEUE + the logged
 * hold time, or the line's epoch when none was logged); a repeat is a
 * duplicate or a conflict. */
static int qlog_on_connect(qlog_t *q, const qlog_span_t *agent, int64_t epoch, int64_t answered,
                           qlog_entry_t *e, const cdr_sink_t *sink)
{
    if (e->o.connected != QLOG_NOT_CONNECTED) {
        /* An open contact stored before hold times were read kept the epoch. */
        if ((e->o.connected == answered || e->o.connected == epoch) &&
            strlen(e->o.agent) == agent->n && memcmp(e->o.agent, agent->p, agent->n) == 0) {
            q->st.duplicates++;
            return ST_OK;
        }
        return qlog_reject(q, sink, 1, e, "event", "second CONNECT for a contact answered by %s",
                           e->o.agent);
    }
    e->o.connected = answered;
    qlog_copy_id(e->o.agent, agent->p, agent->n);
    return ST_OK;
}

/* Classifies an event name: a contact event, or a skipped kind. */
static qlog_ev qlog_classify(const qlog_span_t *ev, int *kind, const char **name)
{
    for (size_t i = 0; i < sizeof contact_events / sizeof contact_events[0]; i++) {
        const char *s = contact_events[i].name;
        if (strlen(s) == ev->n && memcmp(s, ev->p, ev->n) == 0) {
            *name = s;
            return contact_events[i].ev;
        }
    }
    *kind = QLOG_K_OTHER;
    for (int k = 0; k < QLOG_K_OTHER; k++) {
        if (strlen(kind_names[k]) == ev->n && memcmp(kind_names[k], ev->p, ev->n) == 0) {
            *kind = k;
            break;
        }
    }
    return EV_SKIP;
}

/* The field index of the wait Asterisk logged for an event (CONNECT's hold
 * time, the wait time of an abandon or an exit), or 0 when it logs none. */
static size_t qlog_wait_field(qlog_ev ev)
{
    switch (ev) {
    case EV_CONNECT:
        return 5; /* data1 */
    case EV_ABANDON:
    case EV_EXIT:
        return 7; /* data3 */
    case EV_EXIT_KEY:
        return 8; /* data4 */
    default:
        return 0;
    }
}

/* One complete line (without LF): the whole state machine. */
static int qlog_line(qlog_t *q, const char *p, size_t n, const cdr_sink_t *sink)
{
    q->st.lines++;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n == 0)
        return ST_OK;
    if (n > q->lim.max_line)
        return qlog_reject(q, sink, 0, NULL, "", "line is longer than %zu bytes", q->lim.max_line);
    if (memchr(p, '\0', n)) { /* what a crash leaves: zeroed blocks where lines were */
        q->st.damaged++;
        if (q->st.damaged <= QLOG_DAMAGED_LISTED)
            q->damaged_lines[q->st.damaged - 1] = q->lineno;
        return qlog_reject(
            q, sink, 0, NULL, "",
            "the line contains NUL bytes: the log was damaged (a crash while "
            "Asterisk wrote it?); strict mode refuses the upload, lenient mode "
            "(?mode=lenient, --mode lenient) skips damaged lines and loads the rest");
    }

    qlog_span_t f[QLOG_MAX_FIELDS];
    size_t nf = 0;
    const char *start = p, *end = p + n;
    for (;;) {
        const char *bar = memchr(start, '|', (size_t)(end - start));
        const char *stop = bar ? bar : end;
        if (nf < QLOG_MAX_FIELDS)
            f[nf] = (qlog_span_t){start, (size_t)(stop - start)};
        nf++;
        if (!bar)
            break;
        start = bar + 1;
    }
    if (nf < 5)
        return qlog_reject(q, sink, 0, NULL, "",
                           "expected epoch|callid|queue|agent|event, found %zu field%s", nf,
                           nf == 1 ? "" : "s");

    int kind = QLOG_K_OTHER;
    const char *evname = "";
    qlog_ev ev = qlog_classify(&f[4], &kind, &evname);
    int64_t epoch = 0;
    int epoch_ok = qlog_parse_uint(f[0].p, f[0].n, QLOG_EPOCH_MAX, &epoch) && epoch > 0;

    if (ev == EV_SKIP) {
        if (!epoch_ok)
            return qlog_reject(q, sink, 0, NULL, "epoch", "is not whole seconds since 1970 UTC");
        if (f[4].n == 0)
            return qlog_reject(q, sink, 0, NULL, "event", "is empty");
        q->st.skipped++;
        q->st.skipped_by_kind[kind]++;
        if (kind == QLOG_K_RINGNOANSWER) {
            qlog_entry_t *e = qlog_find(q, f[1].p, f[1].n, f[2].p, f[2].n);
            if (e && epoch >= e->o.entered && e->o.ring_no_answer < UINT32_MAX)
                e->o.ring_no_answer++;
        }
        return ST_OK;
    }

    const char *why = qlog_id_problem(f[1].p, f[1].n, 0);
    if (why)
        return qlog_reject(q, sink, 0, NULL, "callid", "%s", why);
    why = qlog_id_problem(f[2].p, f[2].n, 1);
    if (why)
        return qlog_reject(q, sink, 0, NULL, "queue", "%s", why);
    qlog_entry_t *e = qlog_find(q, f[1].p, f[1].n, f[2].p, f[2].n);
    /* A rejected line poisons the contact it belongs to, but a bad
     * ENTERQUEUE does not belong to the contact already open. */
    qlog_entry_t *drop = ev == EV_ENTER ? NULL : e;
    if (!epoch_ok)
        return qlog_reject(q, sink, 0, drop, "epoch", "is not whole seconds since 1970 UTC");

    /* Fields this event needs, checked before the state is consulted: a
     * malformed line is malformed whether or not its contact is open. */
    int64_t talk = 0;
    size_t ti = 0; /* field index of calltime */
    if (ev == EV_COMPLETE)
        ti = 6;
    else if (ev == EV_TRANSFER)
        ti = 8;
    else if (ev == EV_ATXFER)
        ti = nf >= 9 ? nf - 2 : 8;
    if (ti > 0) {
        char fname[32];
        snprintf(fname, sizeof fname, "data%zu", ti - 4);
        if (ev == EV_ATXFER && nf > QLOG_MAX_FIELDS) /* f[nf - 2] was not kept */
            return qlog_reject(q, sink, 0, drop, "", "%s has more than %d fields", evname,
                               QLOG_MAX_FIELDS);
        if (nf <= ti)
            return qlog_reject(q, sink, 0, drop, fname, "%s has no calltime", evname);
        if (!qlog_parse_uint(f[ti].p, f[ti].n, INT32_MAX, &talk))
            return qlog_reject(q, sink, 0, drop, fname, "calltime is not whole seconds >= 0");
    }
    if (ev == EV_CONNECT) {
        why = qlog_id_problem(f[3].p, f[3].n, 0);
        if (why)
            return qlog_reject(q, sink, 0, drop, "agent", "%s", why);
    }
    /* The wait Asterisk logged (whole seconds since its own ENTERQUEUE time);
     * absent in some versions' lines: then the epochs are used. */
    size_t wi = qlog_wait_field(ev);
    int64_t logged = -1;
    if (wi > 0 && wi < nf && wi < QLOG_MAX_FIELDS && f[wi].n > 0 &&
        !qlog_parse_uint(f[wi].p, f[wi].n, INT32_MAX, &logged)) {
        char fname[32];
        snprintf(fname, sizeof fname, "data%zu", wi - 4);
        return qlog_reject(q, sink, 0, drop, fname, "%s %s is not whole seconds >= 0", evname,
                           ev == EV_CONNECT ? "hold time" : "wait time");
    }

    if (ev == EV_ENTER)
        return qlog_on_enter(q, f, nf, epoch, e);
    if (!e || epoch < e->o.entered) {
        q->st.unmatched++;
        return ST_OK;
    }
    int connected = e->o.connected != QLOG_NOT_CONNECTED;
    switch (ev) {
    case EV_CONNECT:
        return qlog_on_connect(q, &f[3], epoch, logged >= 0 ? e->o.entered + logged : epoch, e,
                               sink);
    case EV_COMPLETE:
    case EV_TRANSFER:
    case EV_ATXFER:
        if (!connected)
            return qlog_reject(q, sink, 1, e, "event", "%s for a contact that was never connected",
                               evname);
        return qlog_emit(q, e, epoch, CDR_ANSWERED, talk, ev != EV_COMPLETE, sink);
    case EV_ABANDON:
    case EV_EXIT:
    case EV_EXIT_KEY:
        if (connected)
            return qlog_reject(q, sink, 1, e, "event", "%s after CONNECT", evname);
        /* It left the queue after the wait Asterisk logged. */
        return qlog_emit(q, e, logged >= 0 ? e->o.entered + logged : epoch,
                         ev == EV_ABANDON ? CDR_ABANDONED : CDR_OVERFLOW, 0, 0, sink);
    default:
        return ST_ERR_INTERNAL;
    }
}

qlog_t *qlog_new(const qlog_limits_t *lim)
{
    qlog_t *q = xcalloc(1, sizeof *q);
    if (lim)
        q->lim = *lim;
    if (q->lim.max_open == 0)
        q->lim.max_open = QLOG_DEFAULT_MAX_OPEN;
    if (q->lim.max_line == 0)
        q->lim.max_line = QLOG_DEFAULT_MAX_LINE;
    if (q->lim.max_line > QLOG_HARD_MAX_LINE)
        q->lim.max_line = QLOG_HARD_MAX_LINE;
    buf_init(&q->line, q->lim.max_line + 1); /* + a CR */
    q->lineno = 1;
    q->nbuckets = 64;
    q->buckets = xcalloc(q->nbuckets, sizeof *q->buckets);
    return q;
}

void qlog_free(qlog_t *q)
{
    if (!q)
        return;
    qlog_entry_t *e = q->head;
    while (e) {
        qlog_entry_t *next = e->next;
        free(e);
        e = next;
    }
    free(q->buckets);
    buf_free(&q->line);
    free(q);
}

int qlog_feed(qlog_t *q, const char *data, size_t len, const cdr_sink_t *sink)
{
    if (q->failed)
        return q->failed;
    if (q->finished)
        return ST_ERR_INVALID;
    size_t cap = q->line.max;
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        size_t step = nl ? take + 1 : len;
        int rc = ST_OK;
        if (q->discarding) {
            if (!nl)
                return ST_OK;
            q->discarding = 0;
            q->lineno++;
        } else if (q->line.len + take > cap) {
            /* Over-long: one row error, then skip to the line's end. */
            buf_reset(&q->line);
            q->st.lines++;
            rc =
                qlog_reject(q, sink, 0, NULL, "", "line is longer than %zu bytes", q->lim.max_line);
            if (nl)
                q->lineno++;
            else
                q->discarding = 1;
        } else if (!nl) {
            if (buf_append(&q->line, data, take) != ST_OK)
                return qlog_fail(q, ST_ERR_INTERNAL);
        } else if (q->line.len == 0) {
            rc = qlog_line(q, data, take, sink);
            q->lineno++;
        } else {
            if (buf_append(&q->line, data, take) != ST_OK)
                return qlog_fail(q, ST_ERR_INTERNAL);
            rc = qlog_line(q, q->line.data, q->line.len, sink);
            buf_reset(&q->line);
            q->lineno++;
        }
        if (rc < 0)
            return qlog_fail(q, rc);
        data += step;
        len -= step;
    }
    return ST_OK;
}

int qlog_finish(qlog_t *q, const cdr_sink_t *sink)
{
    if (q->failed)
        return q->failed;
    if (q->finished)
        return ST_OK;
    q->finished = 1;
    int rc = ST_OK;
    if (!q->discarding && q->line.len > 0)
        rc = qlog_line(q, q->line.data, q->line.len, sink);
    buf_free(&q->line);
    return rc < 0 ? qlog_fail(q, rc) : ST_OK;
}

void qlog_stats(const qlog_t *q, qlog_stats_t *out)
{
    *out = q->st;
}

size_t qlog_damaged_lines(const qlog_t *q, const uint64_t **lines)
{
    *lines = q->damaged_lines;
    return q->st.damaged < QLOG_DAMAGED_LISTED ? (size_t)q->st.damaged : QLOG_DAMAGED_LISTED;
}

const char *qlog_kind_name(int kind)
{
    return kind >= 0 && kind < QLOG_K_COUNT ? kind_names[kind] : "";
}

const char *qlog_errmsg(const qlog_t *q)
{
    return q->errmsg;
}

size_t qlog_open_count(const qlog_t *q)
{
    return (size_t)q->st.open;
}

int qlog_open_foreach(const qlog_t *q, int (*fn)(void *ctx, const qlog_open_t *o), void *ctx)
{
    for (const qlog_entry_t *e = q->head; e; e = e->next) {
        int rc = fn(ctx, &e->o);
        if (rc < 0)
            return rc;
    }
    return ST_OK;
}

/* Why an id field of an imported struct is unusable, or NULL. */
static const char *qlog_field_problem(const char *s, int none_ok)
{
    size_t n = strnlen(s, CDR_ID_MAX + 1);
    if (n > CDR_ID_MAX)
        return "is not a NUL-terminated id of at most 64 bytes";
    return qlog_id_problem(s, n, none_ok);
}

int qlog_open_add(qlog_t *q, const qlog_open_t *o, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    const char *why;
    int connected = o->connected != QLOG_NOT_CONNECTED;
    if ((why = qlog_field_problem(o->callid, 0))) {
        snprintf(err, errlen, "callid %s", why);
        return ST_ERR_INVALID;
    }
    if ((why = qlog_field_problem(o->queue, 1))) {
        snprintf(err, errlen, "queue %s", why);
        return ST_ERR_INVALID;
    }
    if (connected && (why = qlog_field_problem(o->agent, 0))) {
        snprintf(err, errlen, "agent %s", why);
        return ST_ERR_INVALID;
    }
    if (!connected && strnlen(o->agent, 1) != 0) {
        snprintf(err, errlen, "agent is set but the contact is not connected");
        return ST_ERR_INVALID;
    }
    if (strnlen(o->customer_id, 1) != 0 && (why = qlog_field_problem(o->customer_id, 0))) {
        snprintf(err, errlen, "customer_id %s", why);
        return ST_ERR_INVALID;
    }
    if (o->entered <= 0 || o->entered > QLOG_EPOCH_MAX) {
        snprintf(err, errlen, "entered is out of range");
        return ST_ERR_INVALID;
    }
    if (connected && (o->connected < o->entered || o->connected > QLOG_EPOCH_MAX)) {
        snprintf(err, errlen, "connected is before entered or out of range");
        return ST_ERR_INVALID;
    }
    if (qlog_find(q, o->callid, strlen(o->callid), o->queue, strlen(o->queue))) {
        snprintf(err, errlen, "callid %s is already open in queue %s", o->callid, o->queue);
        return ST_ERR_CONFLICT;
    }
    if (q->st.open >= q->lim.max_open) {
        snprintf(err, errlen, "more than %zu open contacts", q->lim.max_open);
        return ST_ERR_TOO_LARGE;
    }
    qlog_entry_t *e = xcalloc(1, sizeof *e);
    /* Copy up to each NUL only, so bytes after it never reach an export. */
    memcpy(e->o.callid, o->callid, strlen(o->callid));
    memcpy(e->o.queue, o->queue, strlen(o->queue));
    memcpy(e->o.agent, o->agent, strnlen(o->agent, CDR_ID_MAX));
    memcpy(e->o.customer_id, o->customer_id, strnlen(o->customer_id, CDR_ID_MAX));
    e->o.entered = o->entered;
    e->o.connected = o->connected;
    e->o.ring_no_answer = o->ring_no_answer;
    qlog_insert(q, e);
    return ST_OK;
}

size_t qlog_open_expire(qlog_t *q, int64_t before)
{
    size_t n = 0;
    qlog_entry_t *e = q->head;
    while (e) {
        qlog_entry_t *next = e->next;
        if (e->o.entered < before) {
            qlog_remove(q, e);
            n++;
        }
        e = next;
    }
    q->st.expired += n;
    return n;
}
