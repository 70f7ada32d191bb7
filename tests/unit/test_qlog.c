/* Unit tests for server/ingest/cdr_qlog.c: contacts assembled from hand-written
 * Asterisk queue_log excerpts.  Every expected record below was worked out
 * by hand from the lines above it (offered = ENTERQUEUE epoch, answered =
 * offered + CONNECT's logged hold time, ended = end event epoch or, for an
 * abandon or exit, offered + its logged wait time, talk = the event's
 * calltime), and
 * every log is run fed whole, in 1, 2, 3, 7 and 64-byte chunks, and with
 * CRLF line ends: all must give exactly the same records and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_qlog.h"
#include "status.h"

#define MAXROWS 64
#define ROWLEN  512

typedef struct got {
    char rec[MAXROWS][ROWLEN];
    size_t nrec;
    char err[MAXROWS][ROWLEN];
    size_t nerr;
    size_t stop_record; /* return ST_ERR_IO from this record (1-based); 0 never */
    size_t stop_reject; /* the same for rejects */
} got_t;

static const char *outcome_name(cdr_outcome o)
{
    return o == CDR_ANSWERED ? "answered" : o == CDR_ABANDONED ? "abandoned" : "overflow";
}

/* Renders a record as call_id|queue|agent|offered|answered|ended|outcome|
 * talk|transferred|customer|line, instants in epoch seconds, after checking
 * the fields queue_log never sets. */
static int on_record(void *ctx, const cdr_t *r, uint64_t line)
{
    got_t *g = ctx;
    assert_int_equal(r->hold_s, 0);
    assert_int_equal(r->acw_s, 0);
    assert_int_equal(r->channel, CDR_VOICE);
    assert_int_equal(r->resolved, -1);
    assert_int_equal(r->csat, 0);
    assert_int_equal(r->offered_us % 1000000, 0);
    assert_int_equal(r->ended_us % 1000000, 0);
    char ans[32] = "-";
    if (r->answered_us != CDR_NONE) {
        assert_int_equal(r->answered_us % 1000000, 0);
        snprintf(ans, sizeof ans, "%lld", (long long)(r->answered_us / 1000000));
    }
    assert_true(g->nrec < MAXROWS);
    snprintf(g->rec[g->nrec], ROWLEN, "%s|%s|%s|%lld|%s|%lld|%s|talk=%d|xfer=%d|cust=%s|L%llu",
             r->call_id, r->queue, r->agent_id, (long long)(r->offered_us / 1000000), ans,
             (long long)(r->ended_us / 1000000), outcome_name(r->outcome), (int)r->talk_s,
             (int)r->transferred, r->customer_id, (unsigned long long)line);
    g->nrec++;
    return g->stop_record && g->nrec >= g->stop_record ? ST_ERR_IO : ST_OK;
}

static int on_reject(void *ctx, const cdr_error_t *e)
{
    got_t *g = ctx;
    assert_true(g->nerr < MAXROWS);
    snprintf(g->err[g->nerr], ROWLEN, "L%llu|%s|%s", (unsigned long long)e->line, e->field,
             e->message);
    g->nerr++;
    return g->stop_reject && g->nerr >= g->stop_reject ? ST_ERR_IO : ST_OK;
}

/* Feeds text in chunks of `chunk` bytes (0: all at once), then finishes. */
static int feed_text(qlog_t *q, const char *text, size_t len, size_t chunk, got_t *g)
{
    cdr_sink_t sink = {on_record, on_reject, g};
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        int rc = qlog_feed(q, text + off, n, &sink);
        if (rc != ST_OK)
            return rc;
    }
    return qlog_finish(q, &sink);
}

/* The text with every LF turned into CR LF (caller frees). */
static char *to_crlf(const char *text)
{
    size_t n = strlen(text), k = 0;
    char *out = malloc(2 * n + 1);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n')
            out[k++] = '\r';
        out[k++] = text[i];
    }
    out[k] = '\0';
    return out;
}

static void assert_rows(char rows[][ROWLEN], size_t n, const char *const *want, size_t nwant)
{
    for (size_t i = 0; i < n && i < nwant; i++)
        assert_string_equal(rows[i], want[i]);
    assert_int_equal(n, nwant);
}

/* Runs `text` every way (chunk sizes, LF and CRLF) and checks each run
 * against the same expected rows; the stats of the whole-LF run go to *st. */
static void check_log(const char *text, const qlog_limits_t *lim, const char *const *recs,
                      size_t nrec, const char *const *errs, size_t nerr, qlog_stats_t *st)
{
    static const size_t chunks[] = {0, 1, 2, 3, 7, 64};
    char *crlf = to_crlf(text);
    qlog_stats_t first;
    memset(&first, 0, sizeof first);
    for (int v = 0; v < 2; v++) {
        const char *t = v ? crlf : text;
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            got_t *g = calloc(1, sizeof *g);
            assert_non_null(g);
            qlog_t *q = qlog_new(lim);
            assert_int_equal(feed_text(q, t, strlen(t), chunks[c], g), ST_OK);
            assert_rows(g->rec, g->nrec, recs, nrec);
            assert_rows(g->err, g->nerr, errs, nerr);
            qlog_stats_t s;
            qlog_stats(q, &s);
            if (v == 0 && c == 0)
                first = s;
            else
                assert_memory_equal(&s, &first, sizeof s);
            qlog_free(q);
            free(g);
        }
    }
    free(crlf);
    if (st)
        *st = first;
}

static void test_answered_completed_by_agent_and_caller(void **state)
{
    (void)state;
    const char *log = "1760000000|1760000000.1|support|NONE|ENTERQUEUE||5551001|1\n"
                      "1760000012|1760000000.1|support|SIP/8007|CONNECT|12|1760000012.2|3\n"
                      "1760000132|1760000000.1|support|SIP/8007|COMPLETEAGENT|12|120|1\n"
                      "1760000200|1760000200.5|support|NONE|ENTERQUEUE||5551002|1\n"
                      "1760000204|1760000200.5|support|Agent/1001|CONNECT|4|1760000204.6|2\n"
                      "1760000249|1760000200.5|support|Agent/1001|COMPLETECALLER|4|45|1\n";
    /* answered = CONNECT epoch (wait 12 s and 4 s), talk = data2. */
    const char *const recs[] = {
        "1760000000.1@support@1760000000|support|SIP/8007|1760000000|1760000012|1760000132|"
        "answered|talk=120|xfer=0|cust=|L3",
        "1760000200.5@support@1760000200|support|Agent/1001|1760000200|1760000204|1760000249|"
        "answered|talk=45|xfer=0|cust=|L6",
    };
    qlog_stats_t st;
    check_log(log, NULL, recs, 2, NULL, 0, &st);
    assert_int_equal(st.lines, 6);
    assert_int_equal(st.emitted, 2);
    assert_int_equal(st.open, 0);
    assert_int_equal(st.skipped + st.unmatched + st.malformed + st.inconsistent, 0);
}

static void test_abandoned_short_and_long(void **state)
{
    (void)state;
    const char *log = "1760001000|1760001000.1|sales|NONE|ENTERQUEUE||5552001|1\n"
                      "1760001003|1760001000.1|sales|NONE|ABANDON|1|1|3\n"
                      "1760001010|1760001010.2|sales|NONE|ENTERQUEUE||5552002|1\n"
                      "1760001050|1760001010.2|sales|NONE|ABANDON|1|1|40\n";
    /* wait = ended - offered: 1003 - 1000 = 3 s (short under the default
     * 5 s), 1050 - 1010 = 40 s; no agent, no answered_at, talk 0. */
    const char *const recs[] = {
        "1760001000.1@sales@1760001000|sales||1760001000|-|1760001003|abandoned|talk=0|xfer=0|"
        "cust=|L2",
        "1760001010.2@sales@1760001010|sales||1760001010|-|1760001050|abandoned|talk=0|xfer=0|"
        "cust=|L4",
    };
    check_log(log, NULL, recs, 2, NULL, 0, NULL);
}

static void test_exits_are_overflow(void **state)
{
    (void)state;
    const char *log = "1760002000|1760002000.1|sales|NONE|ENTERQUEUE||5553001|1\n"
                      "1760002060|1760002000.1|sales|NONE|EXITWITHTIMEOUT|1|1|60\n"
                      "1760002100|1760002100.2|sales|NONE|ENTERQUEUE||5553002|2\n"
                      "1760002120|1760002100.2|sales|NONE|EXITWITHKEY|5|1|2|20\n"
                      "1760002200|1760002200.3|sales|NONE|ENTERQUEUE||5553003|1\n"
                      "1760002200|1760002200.3|sales|NONE|EXITEMPTY|1|1|0\n";
    const char *const recs[] = {
        "1760002000.1@sales@1760002000|sales||1760002000|-|1760002060|overflow|talk=0|xfer=0|"
        "cust=|L2",
        "1760002100.2@sales@1760002100|sales||1760002100|-|1760002120|overflow|talk=0|xfer=0|"
        "cust=|L4",
        /* EXITEMPTY in the second it entered: wait 0, ended == offered. */
        "1760002200.3@sales@1760002200|sales||1760002200|-|1760002200|overflow|talk=0|xfer=0|"
        "cust=|L6",
    };
    check_log(log, NULL, recs, 3, NULL, 0, NULL);
}

static void test_transfers(void **state)
{
    (void)state;
    const char *log =
        "1760003000|1760003000.1|support|NONE|ENTERQUEUE||5554001|1\n"
        "1760003010|1760003000.1|support|SIP/8007|CONNECT|10|1760003010.9|4\n"
        "1760003105|1760003000.1|support|SIP/8007|TRANSFER|2000|from-internal|10|95|1\n"
        "1760003200|1760003200.2|support|NONE|ENTERQUEUE||5554002|1\n"
        "1760003205|1760003200.2|support|PJSIP/8008|CONNECT|5|1760003205.9|2\n"
        "1760003265|1760003200.2|support|PJSIP/8008|BLINDTRANSFER|2001|from-internal|5|60|1\n"
        "1760003300|1760003300.3|support|NONE|ENTERQUEUE||5554003|1\n"
        "1760003310|1760003300.3|support|PJSIP/8009|CONNECT|10|1760003310.9|3\n"
        "1760003380|1760003300.3|support|PJSIP/8009|ATTENDEDTRANSFER|BRIDGE|"
        "6f1c2d3e-0000-4000-8000-000000000001|10|70|1\n"
        "1760003400|1760003400.4|support|NONE|ENTERQUEUE||5554004|1\n"
        "1760003402|1760003400.4|support|PJSIP/8010|CONNECT|2|1760003402.9|1\n"
        "1760003435|1760003400.4|support|PJSIP/8010|ATTENDEDTRANSFER|LINK|"
        "Local/2000@from-internal-00000001;1|Local/2000@from-internal-00000001;2|2|33|1\n";
    /* talk: TRANSFER and BLINDTRANSFER data4 (95, 60); ATTENDEDTRANSFER the
     * next-to-last field whatever its method data (70 after BRIDGE|id, 33
     * after LINK|a|b).  All answered with transferred = 1. */
    const char *const recs[] = {
        "1760003000.1@support@1760003000|support|SIP/8007|1760003000|1760003010|1760003105|"
        "answered|talk=95|xfer=1|cust=|L3",
        "1760003200.2@support@1760003200|support|PJSIP/8008|1760003200|1760003205|1760003265|"
        "answered|talk=60|xfer=1|cust=|L6",
        "1760003300.3@support@1760003300|support|PJSIP/8009|1760003300|1760003310|1760003380|"
        "answered|talk=70|xfer=1|cust=|L9",
        "1760003400.4@support@1760003400|support|PJSIP/8010|1760003400|1760003402|1760003435|"
        "answered|talk=33|xfer=1|cust=|L12",
    };
    check_log(log, NULL, recs, 4, NULL, 0, NULL);
}

static int collect_open(void *ctx, const qlog_open_t *o)
{
    got_t *g = ctx;
    assert_true(g->nrec < MAXROWS);
    char conn[32] = "-";
    if (o->connected != QLOG_NOT_CONNECTED)
        snprintf(conn, sizeof conn, "%lld", (long long)o->connected);
    snprintf(g->rec[g->nrec++], ROWLEN, "%s|%s|%s|%s|%lld|%s|rna=%u", o->callid, o->queue, o->agent,
             o->customer_id, (long long)o->entered, conn, (unsigned)o->ring_no_answer);
    return ST_OK;
}

static void test_ring_no_answer_then_other_agent(void **state)
{
    (void)state;
    const char *head = "1760004000|1760004000.1|support|NONE|ENTERQUEUE||5555001|1\n"
                       "1760004015|1760004000.1|support|SIP/8001|RINGNOANSWER|15000\n"
                       "1760004031|1760004000.1|support|SIP/8002|RINGNOANSWER|15000\n"
                       "1760004035|1760004000.1|support|SIP/8003|CONNECT|35|1760004031.7|4\n";
    const char *tail = "1760004095|1760004000.1|support|SIP/8003|COMPLETEAGENT|35|60|1\n";
    char log[1024];
    snprintf(log, sizeof log, "%s%s", head, tail);
    /* Two agents rang out; SIP/8003 connected at 4035 and is the agent. */
    const char *const recs[] = {
        "1760004000.1@support@1760004000|support|SIP/8003|1760004000|1760004035|1760004095|"
        "answered|talk=60|xfer=0|cust=|L5",
    };
    qlog_stats_t st;
    check_log(log, NULL, recs, 1, NULL, 0, &st);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.skipped_by_kind[QLOG_K_RINGNOANSWER], 2);

    /* Before the end, the open contact carries the agent and the count. */
    got_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    qlog_t *q = qlog_new(NULL);
    assert_int_equal(feed_text(q, head, strlen(head), 0, g), ST_OK);
    assert_int_equal(g->nrec, 0);
    assert_int_equal(qlog_open_foreach(q, collect_open, g), ST_OK);
    const char *const open[] = {"1760004000.1|support|SIP/8003||1760004000|1760004035|rna=2"};
    assert_rows(g->rec, g->nrec, open, 1);
    qlog_free(q);
    free(g);
}

static int import_open(void *ctx, const qlog_open_t *o)
{
    char err[128];
    int rc = qlog_open_add(ctx, o, err, sizeof err);
    assert_string_equal(err, "");
    return rc;
}

static void test_contact_spans_two_uploads(void **state)
{
    (void)state;
    /* Upload 1 ends without a newline: qlog_finish reads the last line. */
    const char *up1 = "1760005000|1760005000.1|support|NONE|ENTERQUEUE||5556001|1\n"
                      "1760005020|1760005000.1|support|SIP/8007|CONNECT|20|1760005020.2|5\n"
                      "1760005030|1760005030.3|support|NONE|ENTERQUEUE||5556002|2";
    const char *up2 = "1760005300|1760005000.1|support|SIP/8007|COMPLETECALLER|20|280|1\n"
                      "1760005301|1760005030.3|support|NONE|ABANDON|1|2|271\n";
    got_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    qlog_t *q1 = qlog_new(NULL);
    assert_int_equal(feed_text(q1, up1, strlen(up1), 0, g), ST_OK);
    assert_int_equal(g->nrec, 0);
    assert_int_equal(qlog_open_count(q1), 2);

    got_t *o = calloc(1, sizeof *o);
    assert_non_null(o);
    assert_int_equal(qlog_open_foreach(q1, collect_open, o), ST_OK);
    const char *const open[] = {
        "1760005000.1|support|SIP/8007||1760005000|1760005020|rna=0",
        "1760005030.3|support|||1760005030|-|rna=0",
    };
    assert_rows(o->rec, o->nrec, open, 2);

    qlog_t *q2 = qlog_new(NULL);
    assert_int_equal(qlog_open_foreach(q1, import_open, q2), ST_OK);
    qlog_free(q1);
    assert_int_equal(feed_text(q2, up2, strlen(up2), 1, g), ST_OK);
    /* Line numbers are upload 2's own. */
    const char *const recs[] = {
        "1760005000.1@support@1760005000|support|SIP/8007|1760005000|1760005020|1760005300|"
        "answered|talk=280|xfer=0|cust=|L1",
        "1760005030.3@support@1760005030|support||1760005030|-|1760005301|abandoned|talk=0|"
        "xfer=0|cust=|L2",
    };
    assert_rows(g->rec, g->nrec, recs, 2);
    assert_int_equal(qlog_open_count(q2), 0);
    qlog_free(q2);

    /* The same lines as one upload give the same contacts (lines 4 and 5). */
    char both[1024];
    snprintf(both, sizeof both, "%s\n%s", up1, up2);
    const char *const recs1[] = {
        "1760005000.1@support@1760005000|support|SIP/8007|1760005000|1760005020|1760005300|"
        "answered|talk=280|xfer=0|cust=|L4",
        "1760005030.3@support@1760005030|support||1760005030|-|1760005301|abandoned|talk=0|"
        "xfer=0|cust=|L5",
    };
    check_log(both, NULL, recs1, 2, NULL, 0, NULL);
    free(o);
    free(g);
}

static void test_same_callid_two_queues_and_reentry(void **state)
{
    (void)state;
    const char *log = "1760006000|1760006000.1|sales|NONE|ENTERQUEUE||5557001|1\n"
                      "1760006030|1760006000.1|sales|NONE|EXITWITHTIMEOUT|1|1|30\n"
                      "1760006030|1760006000.1|support|NONE|ENTERQUEUE||5557001|1\n"
                      "1760006040|1760006000.1|support|SIP/8007|CONNECT|10|1760006040.2|3\n"
                      "1760006100|1760006000.1|support|SIP/8007|COMPLETEAGENT|10|60|1\n"
                      "1760006200|1760006200.3|support|NONE|ENTERQUEUE||5557002|1\n"
                      "1760006220|1760006200.3|support|NONE|EXITWITHKEY|0|1|1|20\n"
                      "1760006225|1760006200.3|support|NONE|ENTERQUEUE||5557002|1\n"
                      "1760006240|1760006200.3|support|NONE|ABANDON|1|1|15\n";
    /* One uniqueid, two contacts each: overflow from sales then answered in
     * support; and support twice, told apart by the ENTERQUEUE epoch. */
    const char *const recs[] = {
        "1760006000.1@sales@1760006000|sales||1760006000|-|1760006030|overflow|talk=0|xfer=0|"
        "cust=|L2",
        "1760006000.1@support@1760006030|support|SIP/8007|1760006030|1760006040|1760006100|"
        "answered|talk=60|xfer=0|cust=|L5",
        "1760006200.3@support@1760006200|support||1760006200|-|1760006220|overflow|talk=0|xfer=0|"
        "cust=|L7",
        "1760006200.3@support@1760006225|support||1760006225|-|1760006240|abandoned|talk=0|"
        "xfer=0|cust=|L9",
    };
    check_log(log, NULL, recs, 4, NULL, 0, NULL);
}

static void test_unmatched_lines(void **state)
{
    (void)state;
    const char *log = "1760007010|1760007000.1|support|SIP/8007|CONNECT|10|1760007010.2|3\n"
                      "1760007070|1760007000.1|support|SIP/8007|COMPLETEAGENT|10|60|1\n"
                      "1760007100|1760007100.2|support|NONE|ENTERQUEUE||5558001|1\n"
                      "1760007090|1760007100.2|support|SIP/8007|CONNECT|0|1760007090.3|1\n"
                      "1760007150|1760007100.2|support|NONE|ABANDON|1|1|50\n"
                      "1760007160|1760007100.2|support|NONE|ABANDON|1|1|60\n";
    /* Lines 1-2: no ENTERQUEUE.  Line 4: before its ENTERQUEUE, so it is
     * not this contact's.  Line 6: the contact already ended at line 5. */
    const char *const recs[] = {
        "1760007100.2@support@1760007100|support||1760007100|-|1760007150|abandoned|talk=0|"
        "xfer=0|cust=|L5",
    };
    qlog_stats_t st;
    check_log(log, NULL, recs, 1, NULL, 0, &st);
    assert_int_equal(st.unmatched, 4);
    assert_int_equal(st.malformed + st.inconsistent, 0);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    char log[2048];
    char agent65[66];
    memset(agent65, 'A', 65);
    agent65[65] = '\0';
    snprintf(log, sizeof log,
             "17600080x0|1760008000.1|support|NONE|ENTERQUEUE||5559001|1\n"
             "1760008000|1760008000.1|support\n"
             "\n"
             "1760008000||support|NONE|ENTERQUEUE||5559001|1\n"
             "1760008000|1760008000.2|support|NONE|ENTERQUEUE||5559002|1\n"
             "1760008010|1760008000.2|support|%s|CONNECT|10|x|1\n"
             "1760008070|1760008000.2|support|SIP/8007|COMPLETEAGENT|10|60|1\n"
             "1760008100|1760008100.3|support|NONE|ENTERQUEUE||5559003|1\n"
             "1760008105|1760008100.3|support|SIP/8007|CONNECT|5|1760008105.4|1\n"
             "1760008165|1760008100.3|support|SIP/8007|COMPLETEAGENT|5|sixty|1\n"
             "1760008200|1760008200.5|support|NONE|ENTERQUEUE||5559004|1\n"
             "1760008205|1760008200.5|support|SIP/8007|CONNECT|5|1760008205.6|1\n"
             "1760008265|1760008200.5|support|SIP/8007|COMPLETEAGENT|5|60|1\n"
             "-5|NONE|NONE|NONE|QUEUESTART|\n"
             "1760008300|1760008300.7|sup\xff|NONE|ENTERQUEUE||5559005|1\n"
             "1760008400|1760008400.8|support|NONE|ENTERQUEUE||5559006|1\n"
             "1760008460|1760008400.8|support|SIP/8007|TRANSFER|2000|from-internal\n"
             "1760008500|NONE|NONE|QUEUESTART\n",
             agent65);
    /* Each bad line is one row error naming its line and field; the
     * contact a bad line belongs to is dropped (line 7 is then unmatched,
     * line 10 and 17 end nothing), and parsing goes on to line 13. */
    const char *const recs[] = {
        "1760008200.5@support@1760008200|support|SIP/8007|1760008200|1760008205|1760008265|"
        "answered|talk=60|xfer=0|cust=|L13",
    };
    const char *const errs[] = {
        "L1|epoch|is not whole seconds since 1970 UTC",
        "L2||expected epoch|callid|queue|agent|event, found 3 fields",
        "L4|callid|is empty",
        "L6|agent|is longer than 64 bytes",
        "L10|data2|calltime is not whole seconds >= 0",
        "L14|epoch|is not whole seconds since 1970 UTC",
        "L15|queue|is not valid UTF-8",
        "L17|data4|TRANSFER has no calltime",
        "L18||expected epoch|callid|queue|agent|event, found 4 fields",
    };
    qlog_stats_t st;
    check_log(log, NULL, recs, 1, errs, 9, &st);
    assert_int_equal(st.lines, 18);
    assert_int_equal(st.malformed, 9);
    assert_int_equal(st.unmatched, 1);
    assert_int_equal(st.open, 0);
}

static void test_inconsistent_and_duplicate_lines(void **state)
{
    (void)state;
    const char *log = "1760009000|1760009000.1|q1|NONE|ENTERQUEUE||1|1\n"
                      "1760009060|1760009000.1|q1|SIP/1|COMPLETEAGENT|0|60|1\n"
                      "1760009100|1760009100.2|q1|NONE|ENTERQUEUE||2|1\n"
                      "1760009110|1760009100.2|q1|SIP/1|CONNECT|10|x|1\n"
                      "1760009120|1760009100.2|q1|NONE|ABANDON|1|1|20\n"
                      "1760009200|1760009200.3|q1|NONE|ENTERQUEUE||3|1\n"
                      "1760009210|1760009200.3|q1|SIP/1|CONNECT|10|x|1\n"
                      "1760009210|1760009200.3|q1|SIP/1|CONNECT|10|x|1\n"
                      "1760009215|1760009200.3|q1|SIP/2|CONNECT|15|x|1\n"
                      "1760009300|1760009300.4|q1|NONE|ENTERQUEUE||4|1\n"
                      "1760009320|1760009300.4|q1|SIP/1|CONNECT|20|x|1\n"
                      "1760009310|1760009300.4|q1|SIP/1|COMPLETEAGENT|20|0|1\n"
                      "1760009400|1760009400.5|q1|NONE|ENTERQUEUE||5|1\n"
                      "1760009400|1760009400.5|q1|NONE|ENTERQUEUE||5|1\n"
                      "1760009500|1760009400.5|q1|NONE|ENTERQUEUE||5|1\n"
                      "1760009510|1760009400.5|q1|NONE|ABANDON|1|1|10\n"
                      "1760009600|1760009600.6|q1|NONE|ENTERQUEUE||6|1\n"
                      "1760009590|1760009600.6|q1|NONE|ENTERQUEUE||6|1\n"
                      "1760009620|1760009600.6|q1|NONE|EXITEMPTY|1|1|20\n";
    /* Line 8 repeats line 7 verbatim and line 14 line 13: duplicates.  Line
     * 15 re-enters later: the contact of line 13 lost its end (orphaned) and
     * the new one is offered at 9500.  Line 18 is an older entry replayed
     * after line 17's: unmatched, and line 17's contact carries on. */
    const char *const recs[] = {
        "1760009400.5@q1@1760009500|q1||1760009500|-|1760009510|abandoned|talk=0|xfer=0|cust=|L16",
        "1760009600.6@q1@1760009600|q1||1760009600|-|1760009620|overflow|talk=0|xfer=0|cust=|L19",
    };
    const char *const errs[] = {
        "L2|event|COMPLETEAGENT for a contact that was never connected",
        "L5|event|ABANDON after CONNECT",
        "L9|event|second CONNECT for a contact answered by SIP/1",
        "L12|ended_at|ended_at is before answered_at",
    };
    qlog_stats_t st;
    check_log(log, NULL, recs, 2, errs, 4, &st);
    assert_int_equal(st.unmatched, 1);
    assert_int_equal(st.inconsistent, 4);
    assert_int_equal(st.malformed, 0);
    assert_int_equal(st.duplicates, 2);
    assert_int_equal(st.orphaned, 1);
    assert_int_equal(st.open, 0);
}

static void test_none_lines_skipped_by_kind(void **state)
{
    (void)state;
    /* The last line has no newline. */
    const char *log = "1760010000|NONE|NONE|NONE|QUEUESTART|\n"
                      "1760010001|NONE|NONE|NONE|CONFIGRELOAD|\n"
                      "1760010002|NONE|support|SIP/8007|ADDMEMBER|\n"
                      "1760010003|NONE|support|SIP/8007|PAUSE|break\n"
                      "1760010004|NONE|support|SIP/8007|UNPAUSE|\n"
                      "1760010005|NONE|NONE|Agent/1001|PAUSEALL|\n"
                      "1760010006|NONE|NONE|Agent/1001|AGENTLOGIN|SIP/8007\n"
                      "1760010007|NONE|support|SIP/8007|REMOVEMEMBER|\n"
                      "1760010008|1760010008.1|support|NONE|CUSTOMTAG|hello";
    qlog_stats_t st;
    check_log(log, NULL, NULL, 0, NULL, 0, &st);
    assert_int_equal(st.lines, 9);
    assert_int_equal(st.skipped, 9);
    assert_int_equal(st.skipped_by_kind[QLOG_K_QUEUESTART], 1);
    assert_int_equal(st.skipped_by_kind[QLOG_K_CONFIGRELOAD], 1);
    assert_int_equal(st.skipped_by_kind[QLOG_K_ADDMEMBER], 1);
    assert_int_equal(st.skipped_by_kind[QLOG_K_PAUSE], 1);
    assert_int_equal(st.skipped_by_kind[QLOG_K_UNPAUSE], 1);
    assert_int_equal(st.skipped_by_kind[QLOG_K_PAUSEALL], 1);
    assert_int_equal(st.skipped_by_kind[QLOG_K_AGENTLOGIN], 1);
    assert_int_equal(st.skipped_by_kind[QLOG_K_REMOVEMEMBER], 1);
    assert_int_equal(st.skipped_by_kind[QLOG_K_OTHER], 1);
    assert_int_equal(st.open + st.unmatched + st.malformed, 0);
    assert_string_equal(qlog_kind_name(QLOG_K_PAUSEALL), "PAUSEALL");
    assert_string_equal(qlog_kind_name(QLOG_K_OTHER), "OTHER");
    assert_string_equal(qlog_kind_name(QLOG_K_COUNT), "");
}

static void test_line_length_cap(void **state)
{
    (void)state;
    qlog_limits_t lim = {.max_line = 80};
    char ok80[81], bad81[82], log[512];
    /* "1760011005|NONE|support|SIP/8007|PAUSE|" is 39 bytes. */
    snprintf(ok80, sizeof ok80, "1760011005|NONE|support|SIP/8007|PAUSE|%s",
             "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    snprintf(bad81, sizeof bad81, "1760011006|NONE|support|SIP/8007|PAUSE|%s",
             "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    assert_int_equal(strlen(ok80), 80);
    assert_int_equal(strlen(bad81), 81);
    snprintf(log, sizeof log,
             "1760011000|1760011000.1|support|NONE|ENTERQUEUE||5551|1\n"
             "%s\n%s\n"
             "1760011010|1760011000.1|support|NONE|ABANDON|1|1|10\n"
             "%s",
             ok80, bad81, bad81);
    const char *const recs[] = {
        "1760011000.1@support@1760011000|support||1760011000|-|1760011010|abandoned|talk=0|"
        "xfer=0|cust=|L4",
    };
    /* Over-long with and without a final newline: one error each. */
    const char *const errs[] = {
        "L3||line is longer than 80 bytes",
        "L5||line is longer than 80 bytes",
    };
    qlog_stats_t st;
    check_log(log, &lim, recs, 1, errs, 2, &st);
    assert_int_equal(st.lines, 5);
    assert_int_equal(st.skipped_by_kind[QLOG_K_PAUSE], 1);
}

static void test_open_contact_cap_is_fatal(void **state)
{
    (void)state;
    qlog_limits_t lim = {.max_open = 2};
    const char *fits = "1760012000|c1|q|NONE|ENTERQUEUE||1|1\n"
                       "1760012001|c2|q|NONE|ENTERQUEUE||2|1\n"
                       "1760012002|c1|q|NONE|ABANDON|1|1|2\n"
                       "1760012003|c3|q|NONE|ENTERQUEUE||3|1\n";
    got_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    qlog_t *q = qlog_new(&lim);
    assert_int_equal(feed_text(q, fits, strlen(fits), 0, g), ST_OK);
    assert_int_equal(qlog_open_count(q), 2);
    qlog_free(q);

    const char *over = "1760012000|c1|q|NONE|ENTERQUEUE||1|1\n"
                       "1760012001|c2|q|NONE|ENTERQUEUE||2|1\n"
                       "1760012002|c3|q|NONE|ENTERQUEUE||3|1\n";
    cdr_sink_t sink = {on_record, on_reject, g};
    q = qlog_new(&lim);
    assert_int_equal(qlog_feed(q, over, strlen(over), &sink), ST_ERR_TOO_LARGE);
    assert_string_equal(qlog_errmsg(q), "line 3: more than 2 contacts open at once (end events "
                                        "lost, or raise the open-contact limit)");
    assert_int_equal(qlog_feed(q, "\n", 1, &sink), ST_ERR_TOO_LARGE);
    assert_int_equal(qlog_finish(q, &sink), ST_ERR_TOO_LARGE);
    qlog_free(q);
    free(g);
}

static void test_open_add_validates(void **state)
{
    (void)state;
    qlog_limits_t lim = {.max_open = 1};
    qlog_t *q = qlog_new(&lim);
    char err[128];
    qlog_open_t o;
    memset(&o, 0, sizeof o);
    snprintf(o.callid, sizeof o.callid, "1760013000.1");
    snprintf(o.queue, sizeof o.queue, "support");
    o.entered = 1760013000;
    o.connected = QLOG_NOT_CONNECTED;

    qlog_open_t bad = o;
    bad.callid[0] = '\0';
    assert_int_equal(qlog_open_add(q, &bad, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "callid is empty");
    bad = o;
    snprintf(bad.callid, sizeof bad.callid, "NONE");
    assert_int_equal(qlog_open_add(q, &bad, err, sizeof err), ST_ERR_INVALID);
    bad = o;
    memset(bad.callid, 'a', sizeof bad.callid); /* no NUL within 65 bytes */
    assert_int_equal(qlog_open_add(q, &bad, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "callid is not a NUL-terminated id of at most 64 bytes");
    bad = o;
    snprintf(bad.queue, sizeof bad.queue, "\xc3\x28");
    assert_int_equal(qlog_open_add(q, &bad, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "queue is not valid UTF-8");
    bad = o;
    snprintf(bad.agent, sizeof bad.agent, "SIP/8007");
    assert_int_equal(qlog_open_add(q, &bad, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "agent is set but the contact is not connected");
    bad = o;
    bad.connected = 1760013005;
    assert_int_equal(qlog_open_add(q, &bad, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "agent is empty");
    snprintf(bad.agent, sizeof bad.agent, "SIP/8007");
    bad.connected = 1760012999;
    assert_int_equal(qlog_open_add(q, &bad, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "connected is before entered or out of range");
    bad = o;
    bad.entered = 0;
    assert_int_equal(qlog_open_add(q, &bad, err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(qlog_open_count(q), 0);

    assert_int_equal(qlog_open_add(q, &o, err, sizeof err), ST_OK);
    assert_int_equal(qlog_open_add(q, &o, NULL, 0), ST_ERR_CONFLICT);
    snprintf(o.queue, sizeof o.queue, "sales");
    assert_int_equal(qlog_open_add(q, &o, err, sizeof err), ST_ERR_TOO_LARGE);
    assert_string_equal(err, "more than 1 open contacts");
    assert_int_equal(qlog_open_count(q), 1);
    qlog_free(q);
}

static void test_open_expire(void **state)
{
    (void)state;
    const char *log = "100|a|q|NONE|ENTERQUEUE||1|1\n"
                      "200|b|q|NONE|ENTERQUEUE||2|1\n"
                      "300|c|q|NONE|ENTERQUEUE||3|1\n";
    got_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    qlog_t *q = qlog_new(NULL);
    assert_int_equal(feed_text(q, log, strlen(log), 0, g), ST_OK);
    /* Entered before 250: a (100) and b (200). */
    assert_int_equal(qlog_open_expire(q, 250), 2);
    assert_int_equal(qlog_open_count(q), 1);
    qlog_stats_t st;
    qlog_stats(q, &st);
    assert_int_equal(st.expired, 2);
    assert_int_equal(qlog_open_foreach(q, collect_open, g), ST_OK);
    const char *const open[] = {"c|q|||300|-|rna=0"};
    assert_rows(g->rec, g->nrec, open, 1);
    qlog_free(q);
    free(g);
}

static void test_customer_from_callerid(void **state)
{
    (void)state;
    qlog_limits_t lim = {.customer_from_callerid = 1};
    const char *log = "1760014000|1760014000.1|q|NONE|ENTERQUEUE||+15551234|1\n"
                      "1760014001|1760014001.2|q|NONE|ENTERQUEUE||anonymous|2\n"
                      "1760014002|1760014002.3|q|NONE|ENTERQUEUE||Unknown|3\n"
                      "1760014003|1760014003.4|q|NONE|ENTERQUEUE|\n"
                      "1760014010|1760014000.1|q|NONE|ABANDON|1|1|10\n"
                      "1760014011|1760014001.2|q|NONE|ABANDON|1|2|10\n"
                      "1760014012|1760014002.3|q|NONE|ABANDON|1|3|10\n"
                      "1760014013|1760014003.4|q|NONE|ABANDON|1|4|10\n";
    const char *const recs[] = {
        "1760014000.1@q@1760014000|q||1760014000|-|1760014010|abandoned|talk=0|xfer=0|"
        "cust=+15551234|L5",
        "1760014001.2@q@1760014001|q||1760014001|-|1760014011|abandoned|talk=0|xfer=0|cust=|L6",
        "1760014002.3@q@1760014002|q||1760014002|-|1760014012|abandoned|talk=0|xfer=0|cust=|L7",
        "1760014003.4@q@1760014003|q||1760014003|-|1760014013|abandoned|talk=0|xfer=0|cust=|L8",
    };
    check_log(log, &lim, recs, 4, NULL, 0, NULL);
    /* Off by default. */
    const char *const recs0[] = {
        "1760014000.1@q@1760014000|q||1760014000|-|1760014010|abandoned|talk=0|xfer=0|cust=|L2",
    };
    check_log("1760014000|1760014000.1|q|NONE|ENTERQUEUE||+15551234|1\n"
              "1760014010|1760014000.1|q|NONE|ABANDON|1|1|10\n",
              NULL, recs0, 1, NULL, 0, NULL);
}

static void test_long_ids_hash_fallback(void **state)
{
    (void)state;
    /* callid@queue@epoch is 73 and 68 bytes here, over 64.  Expected ids:
     * the first 47 bytes (46 in the second, where byte 47 would split the
     * two-byte "Ö") + "~" + FNV-1a-64 of the whole text, computed with an
     * independent Python FNV-1a (checked against the published vectors
     * "a" -> af63dc4c8601ec8c and "foobar" -> 85944171f73967e8). */
    const char *log =
        "1760000000|pbx-frankfurt-01-1760000000.123456|customer-service-premium-de|NONE|"
        "ENTERQUEUE||1|1\n"
        "1760000000|pbx-frankfurt-01-1760000000.123456|ServicedeskÖsterreich|NONE|ENTERQUEUE||1|"
        "1\n"
        "1760000009|pbx-frankfurt-01-1760000000.123456|customer-service-premium-de|NONE|"
        "ABANDON|1|1|9\n"
        "1760000009|pbx-frankfurt-01-1760000000.123456|ServicedeskÖsterreich|NONE|ABANDON|1|1|9\n";
    const char *const recs[] = {
        "pbx-frankfurt-01-1760000000.123456@customer-ser~ecb3e9ea93ab50d5|"
        "customer-service-premium-de||1760000000|-|1760000009|abandoned|talk=0|xfer=0|cust=|L3",
        "pbx-frankfurt-01-1760000000.123456@Servicedesk~e8ed399742857e93|ServicedeskÖsterreich||"
        "1760000000|-|1760000009|abandoned|talk=0|xfer=0|cust=|L4",
    };
    check_log(log, NULL, recs, 2, NULL, 0, NULL);
}

static void test_sink_stop_is_sticky(void **state)
{
    (void)state;
    const char *log = "1760015000|a|q|NONE|ENTERQUEUE||1|1\n"
                      "1760015005|a|q|NONE|ABANDON|1|1|5\n"
                      "1760015006|b|q|NONE|ENTERQUEUE||1|1\n"
                      "1760015007|b|q|NONE|ABANDON|1|1|1\n";
    got_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->stop_record = 1;
    qlog_t *q = qlog_new(NULL);
    assert_int_equal(feed_text(q, log, strlen(log), 0, g), ST_ERR_IO);
    assert_int_equal(g->nrec, 1);
    cdr_sink_t sink = {on_record, on_reject, g};
    assert_int_equal(qlog_feed(q, "x", 1, &sink), ST_ERR_IO);
    assert_int_equal(qlog_finish(q, &sink), ST_ERR_IO);
    assert_int_equal(g->nrec, 1);
    qlog_free(q);

    memset(g, 0, sizeof *g);
    g->stop_reject = 1;
    q = qlog_new(NULL);
    assert_int_equal(feed_text(q, "bad\n1760015000|a|q|NONE|ENTERQUEUE||1|1\n", 40, 1, g),
                     ST_ERR_IO);
    assert_int_equal(g->nerr, 1);
    assert_int_equal(qlog_open_count(q), 0);
    qlog_free(q);

    /* Feeding after finish is a caller bug. */
    q = qlog_new(NULL);
    assert_int_equal(qlog_finish(q, &sink), ST_OK);
    assert_int_equal(qlog_feed(q, "x", 1, &sink), ST_ERR_INVALID);
    qlog_free(q);
    qlog_free(NULL);
    free(g);
}

static void test_realistic_excerpt(void **state)
{
    (void)state;
    /* Written in the shape of a real Asterisk queue_log (the one-line
     * example in the Asterisk "Queue Logs" documentation is
     * `1366720340|1366720340.303267|MYQUEUE|SIP/8007|RINGNOANSWER|1000`):
     * member and pause lines with callid NONE, a DID line, callers that
     * ring out, abandon, complete, transfer, and overflow to a second queue
     * where the last one is still talking when the log ends. */
    const char *log =
        "1366720000|NONE|NONE|NONE|QUEUESTART|\n"
        "1366720001|NONE|MYQUEUE|SIP/8007|ADDMEMBER|\n"
        "1366720001|NONE|MYQUEUE|SIP/8008|ADDMEMBER|\n"
        "1366720200|NONE|MYQUEUE|SIP/8008|PAUSE|lunch\n"
        "1366720330|1366720330.303260|MYQUEUE|NONE|DID|5550100\n"
        "1366720330|1366720330.303260|MYQUEUE|NONE|ENTERQUEUE||5551234|1\n"
        "1366720335|1366720335.303263|MYQUEUE|NONE|ENTERQUEUE||5559876|2\n"
        "1366720345|1366720330.303260|MYQUEUE|SIP/8007|RINGNOANSWER|15000\n"
        "1366720347|1366720335.303263|MYQUEUE|NONE|ABANDON|1|2|12\n"
        "1366720352|1366720330.303260|MYQUEUE|SIP/8007|CONNECT|22|1366720347.303265|5\n"
        "1366720400|NONE|MYQUEUE|SIP/8008|UNPAUSE|\n"
        "1366720410|1366720410.303270|MYQUEUE|NONE|ENTERQUEUE||5550001|1\n"
        "1366720413|1366720410.303270|MYQUEUE|SIP/8008|CONNECT|3|1366720410.303271|2\n"
        "1366720583|1366720330.303260|MYQUEUE|SIP/8007|COMPLETECALLER|22|231|1\n"
        "1366720600|1366720410.303270|MYQUEUE|SIP/8008|BLINDTRANSFER|2000|from-internal|3|187|1\n"
        "1366720650|1366720650.303280|MYQUEUE|NONE|ENTERQUEUE||5550002|1\n"
        "1366720710|1366720650.303280|MYQUEUE|NONE|EXITWITHTIMEOUT|1|1|60\n"
        "1366720711|1366720650.303280|OVERFLOWQ|NONE|ENTERQUEUE||5550002|1\n"
        "1366720716|1366720650.303280|OVERFLOWQ|SIP/8009|CONNECT|5|1366720711.303281|5\n"
        "1366720800|NONE|MYQUEUE|SIP/8007|REMOVEMEMBER|\n";
    /* B abandons at 347 (wait 12 = data3); A waits 352 - 330 = 22 (= CONNECT
     * data1), talks 231 (583 - 352); C waits 3, talks 187 (600 - 413) and is
     * transferred; D times out after 60 s and re-enters OVERFLOWQ. */
    const char *const recs[] = {
        "1366720335.303263@MYQUEUE@1366720335|MYQUEUE||1366720335|-|1366720347|abandoned|talk=0|"
        "xfer=0|cust=|L9",
        "1366720330.303260@MYQUEUE@1366720330|MYQUEUE|SIP/8007|1366720330|1366720352|1366720583|"
        "answered|talk=231|xfer=0|cust=|L14",
        "1366720410.303270@MYQUEUE@1366720410|MYQUEUE|SIP/8008|1366720410|1366720413|1366720600|"
        "answered|talk=187|xfer=1|cust=|L15",
        "1366720650.303280@MYQUEUE@1366720650|MYQUEUE||1366720650|-|1366720710|overflow|talk=0|"
        "xfer=0|cust=|L17",
    };
    qlog_stats_t st;
    check_log(log, NULL, recs, 4, NULL, 0, &st);
    assert_int_equal(st.lines, 20);
    assert_int_equal(st.emitted, 4);
    /* QUEUESTART, 2 ADDMEMBER, PAUSE, DID, RINGNOANSWER, UNPAUSE, REMOVEMEMBER */
    assert_int_equal(st.skipped, 8);
    assert_int_equal(st.skipped_by_kind[QLOG_K_ADDMEMBER], 2);
    assert_int_equal(st.skipped_by_kind[QLOG_K_DID], 1);
    assert_int_equal(st.open, 1);

    got_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    qlog_t *q = qlog_new(NULL);
    assert_int_equal(feed_text(q, log, strlen(log), 0, g), ST_OK);
    memset(g, 0, sizeof *g);
    assert_int_equal(qlog_open_foreach(q, collect_open, g), ST_OK);
    const char *const open[] = {
        "1366720650.303280|OVERFLOWQ|SIP/8009||1366720711|1366720716|rna=0",
    };
    assert_rows(g->rec, g->nrec, open, 1);
    qlog_free(q);
    free(g);
}

/* Asterisk's own waits: the hold and wait times it logged, not the difference of the
 * epochs, which here is a second off on every contact. */
static void test_logged_waits_win_over_epochs(void **state)
{
    (void)state;
    const char *log =
        /* Epochs 21 s apart, hold logged 20: answered at 020020, within a 20 s threshold. */
        "1760020000|c1|support|NONE|ENTERQUEUE||5550001|1\n"
        "1760020021|c1|support|SIP/1|CONNECT|20|c1.2|3\n"
        "1760020081|c1|support|SIP/1|COMPLETECALLER|20|60|1\n"
        /* Epochs 20 s apart, hold logged 21: answered at 020121, a second after the
         * CONNECT line and after the COMPLETEAGENT line of the same second, which
         * then ends it at answered_at (talk 0). */
        "1760020100|c2|support|NONE|ENTERQUEUE||5550002|1\n"
        "1760020120|c2|support|SIP/2|CONNECT|21|c2.2|2\n"
        "1760020120|c2|support|SIP/2|COMPLETEAGENT|21|0|1\n"
        /* Abandon: epochs 6 s apart, wait logged 5 -> ended 020205. */
        "1760020200|c3|sales|NONE|ENTERQUEUE||5550003|1\n"
        "1760020206|c3|sales|NONE|ABANDON|1|1|5\n"
        /* Exits: timeout 29 vs 30 -> 020330; key (data4) 11 vs 10 -> 020410; empty 8 vs
         * 7 -> 020507. */
        "1760020300|c4|sales|NONE|ENTERQUEUE||5550004|1\n"
        "1760020329|c4|sales|NONE|EXITWITHTIMEOUT|1|1|30\n"
        "1760020400|c5|sales|NONE|ENTERQUEUE||5550005|1\n"
        "1760020411|c5|sales|NONE|EXITWITHKEY|5|1|1|10\n"
        "1760020500|c6|sales|NONE|ENTERQUEUE||5550006|1\n"
        "1760020508|c6|sales|NONE|EXITEMPTY|1|1|7\n"
        /* An older line that logs no wait: the epoch is all there is -> 020609. */
        "1760020600|c7|sales|NONE|ENTERQUEUE||5550007|1\n"
        "1760020609|c7|sales|NONE|EXITWITHTIMEOUT|1\n"
        /* A BLINDTRANSFER after a CONNECT whose hold (9) is a second under the epochs
         * (10): answered 020709, talk = data4 = 50, transferred. */
        "1760020700|c8|support|NONE|ENTERQUEUE||5550008|1\n"
        "1760020710|c8|support|SIP/3|CONNECT|9|c8.2|1\n"
        "1760020760|c8|support|SIP/3|BLINDTRANSFER|2000|from-internal|9|50|1\n";
    const char *const recs[] = {
        "c1@support@1760020000|support|SIP/1|1760020000|1760020020|1760020081|answered|talk=60|"
        "xfer=0|cust=|L3",
        "c2@support@1760020100|support|SIP/2|1760020100|1760020121|1760020121|answered|talk=0|"
        "xfer=0|cust=|L6",
        "c3@sales@1760020200|sales||1760020200|-|1760020205|abandoned|talk=0|xfer=0|cust=|L8",
        "c4@sales@1760020300|sales||1760020300|-|1760020330|overflow|talk=0|xfer=0|cust=|L10",
        "c5@sales@1760020400|sales||1760020400|-|1760020410|overflow|talk=0|xfer=0|cust=|L12",
        "c6@sales@1760020500|sales||1760020500|-|1760020507|overflow|talk=0|xfer=0|cust=|L14",
        "c7@sales@1760020600|sales||1760020600|-|1760020609|overflow|talk=0|xfer=0|cust=|L16",
        "c8@support@1760020700|support|SIP/3|1760020700|1760020709|1760020760|answered|talk=50|"
        "xfer=1|cust=|L19",
    };
    check_log(log, NULL, recs, 8, NULL, 0, NULL);
}

/* A logged wait that is not whole seconds is a row error naming its field; a hold
 * time that puts answered_at more than a second past the end is still refused. */
static void test_bad_logged_waits(void **state)
{
    (void)state;
    const char *log = "1760021000|d1|q|NONE|ENTERQUEUE||1|1\n"
                      "1760021010|d1|q|SIP/1|CONNECT|x9|d1.2|1\n"
                      "1760021100|d2|q|NONE|ENTERQUEUE||1|1\n"
                      "1760021106|d2|q|NONE|ABANDON|1|1|-5\n"
                      "1760021200|d3|q|NONE|ENTERQUEUE||1|1\n"
                      "1760021210|d3|q|SIP/1|CONNECT|12|d3.2|1\n"
                      "1760021210|d3|q|SIP/1|COMPLETEAGENT|12|0|1\n";
    /* d3: answered 021212, ended 021210: two seconds, past the one-second slack. */
    const char *const errs[] = {
        "L2|data1|CONNECT hold time is not whole seconds >= 0",
        "L4|data3|ABANDON wait time is not whole seconds >= 0",
        "L7|ended_at|ended_at is before answered_at",
    };
    qlog_stats_t st;
    check_log(log, NULL, NULL, 0, errs, 3, &st);
    assert_int_equal(st.malformed, 2);
    assert_int_equal(st.inconsistent, 1);
}

/* A log damaged by a crash: NUL bytes in lines.  Each damaged line is a row error that
 * says lenient mode skips it, is counted and its number kept; the rest is read. */
static void test_nul_damaged_lines(void **state)
{
    (void)state;
    static const char log[] = "1760022000|n1|q|NONE|ENTERQUEUE||1|1\n"
                              "\0\0\0\0\0\0\0\0" /* zeros before the next line: line 2 */
                              "1760022005|n1|q|SIP/1|CONNECT|5|n1.2|1\n"
                              "1760022100|n2|q|NONE|ENTERQUEUE||1|1\n"
                              "1760022104|n2|q|NONE|ABANDON|1|1|4\n"
                              "1760022200|n3|q|NONE|ENTER\0QUEUE||1|1\n" /* line 5 */
                              "\0\0\0\0"; /* a last line of zeros, no LF: line 6 */
    for (size_t chunk = 1; chunk <= sizeof log; chunk += 7) {
        got_t *g = calloc(1, sizeof *g);
        assert_non_null(g);
        qlog_t *q = qlog_new(NULL);
        assert_int_equal(feed_text(q, log, sizeof log - 1, chunk, g), ST_OK);
        assert_int_equal(g->nrec, 1);
        assert_string_equal(g->rec[0],
                            "n2@q@1760022100|q||1760022100|-|1760022104|abandoned|talk=0|xfer=0|"
                            "cust=|L4");
        assert_int_equal(g->nerr, 3);
        const char *why = "the line contains NUL bytes: the log was damaged (a crash while "
                          "Asterisk wrote it?); strict mode refuses the upload, lenient mode "
                          "(?mode=lenient, --mode lenient) skips damaged lines and loads the rest";
        char want[ROWLEN];
        static const int lines[] = {2, 5, 6};
        for (int i = 0; i < 3; i++) {
            snprintf(want, sizeof want, "L%d||%s", lines[i], why);
            assert_string_equal(g->err[i], want);
        }
        qlog_stats_t st;
        qlog_stats(q, &st);
        assert_int_equal(st.damaged, 3);
        assert_int_equal(st.malformed, 3);
        assert_int_equal(st.open, 1); /* n1: its CONNECT was on the damaged line */
        const uint64_t *dl;
        assert_int_equal(qlog_damaged_lines(q, &dl), 3);
        assert_int_equal(dl[0], 2);
        assert_int_equal(dl[1], 5);
        assert_int_equal(dl[2], 6);
        qlog_free(q);
        free(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answered_completed_by_agent_and_caller),
        cmocka_unit_test(test_abandoned_short_and_long),
        cmocka_unit_test(test_exits_are_overflow),
        cmocka_unit_test(test_transfers),
        cmocka_unit_test(test_ring_no_answer_then_other_agent),
        cmocka_unit_test(test_contact_spans_two_uploads),
        cmocka_unit_test(test_same_callid_two_queues_and_reentry),
        cmocka_unit_test(test_unmatched_lines),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_inconsistent_and_duplicate_lines),
        cmocka_unit_test(test_none_lines_skipped_by_kind),
        cmocka_unit_test(test_line_length_cap),
        cmocka_unit_test(test_open_contact_cap_is_fatal),
        cmocka_unit_test(test_open_add_validates),
        cmocka_unit_test(test_open_expire),
        cmocka_unit_test(test_customer_from_callerid),
        cmocka_unit_test(test_long_ids_hash_fallback),
        cmocka_unit_test(test_sink_stop_is_sticky),
        cmocka_unit_test(test_realistic_excerpt),
        cmocka_unit_test(test_logged_waits_win_over_epochs),
        cmocka_unit_test(test_bad_logged_waits),
        cmocka_unit_test(test_nul_damaged_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
