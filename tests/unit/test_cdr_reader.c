/*
 * Unit tests for the contact reader (server/ingest/cdr_reader.c, cdr_csv.c,
 * cdr_json.c) and the row rules (server/ingest/cdr_validate.c).
 *
 * Every input is fed whole, one byte at a time and in 7-byte chunks; all
 * three must produce exactly the expected transcript, one line per event:
 *   R<line> call_id|queue|offered|answered|ended|outcome|agent|talk/hold/acw|
 *           channel|customer|transferred|resolved|csat     (a record)
 *   E<line> <field>: <message>                             (a row error)
 *   F<line> <field>: <message>                             (the fatal error)
 *   OK rows=<n>                                            (clean finish)
 * Instants are shown as epoch seconds ("-" for none).  The instants used
 * are worked in test_rfc3339.c and were checked with GNU date:
 *   2026-10-05T09:14:03+08:00 = 2026-10-05T01:14:03Z = 1791162843
 *   2026-10-05T09:14:20+08:00 = 1791162843 + 17        = 1791162860
 *   2026-10-05T09:20:03+08:00 = 1791162843 + 6 * 60    = 1791163203
 *   2026-10-05T01:14:00Z      = 1791162843 - 3         = 1791162840
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cdr_reader.h"
#include "cdr_validate.h"
#include "status.h"

typedef struct transcript {
    buf_t out;
    int stop_after; /* the record callback fails on this record (1-based) */
    int records;
} transcript_t;

static const char *outcome_str(cdr_outcome o)
{
    return o == CDR_ANSWERED ? "answered" : o == CDR_ABANDONED ? "abandoned" : "overflow";
}

static const char *channel_str(cdr_channel c)
{
    static const char *const names[] = {"?", "voice", "chat", "email", "callback"};
    return names[c];
}

/* Renders an instant as seconds (with a fraction when there is one). */
static void put_instant(buf_t *b, int64_t us)
{
    if (us == CDR_NONE)
        buf_puts(b, "-");
    else if (us % 1000000 == 0)
        buf_printf(b, "%" PRId64, us / 1000000);
    else
        buf_printf(b, "%" PRId64 ".%06d", us / 1000000, (int)(us % 1000000));
}

static int on_record(void *ctx, const cdr_t *c, uint64_t line)
{
    transcript_t *t = ctx;
    if (++t->records == t->stop_after)
        return ST_ERR_CONFLICT;
    buf_printf(&t->out, "R%" PRIu64 " %s|%s|", line, c->call_id, c->queue);
    put_instant(&t->out, c->offered_us);
    buf_putc(&t->out, '|');
    put_instant(&t->out, c->answered_us);
    buf_putc(&t->out, '|');
    put_instant(&t->out, c->ended_us);
    buf_printf(&t->out, "|%s|%s|%d/%d/%d|%s|%s|%d|%d|%d\n", outcome_str(c->outcome), c->agent_id,
               c->talk_s, c->hold_s, c->acw_s, channel_str(c->channel), c->customer_id,
               c->transferred, c->resolved, c->csat);
    return ST_OK;
}

static int on_reject(void *ctx, const cdr_error_t *e)
{
    transcript_t *t = ctx;
    buf_printf(&t->out, "E%" PRIu64 " %s: %s%s\n", e->line, e->field, e->message,
               e->valid ? " [valid]" : "");
    return ST_OK;
}

/* Feeds in chunks of `chunk` bytes (0: whole) and returns the transcript
 * (caller frees). */
static char *run(cdr_format fmt, const char *in, size_t len, size_t chunk, int stop_after,
                 int *rc_out)
{
    transcript_t t = {.stop_after = stop_after};
    buf_init(&t.out, 1 << 24);
    cdr_sink_t sink = {.record = on_record, .reject = on_reject, .ctx = &t};
    cdr_reader_t *r = cdr_reader_new(fmt);
    assert_non_null(r);
    int rc = ST_OK;
    size_t step = chunk ? chunk : (len ? len : 1);
    for (size_t off = 0; off < len && rc == ST_OK; off += step)
        rc = cdr_reader_feed(r, in + off, len - off < step ? len - off : step, &sink);
    if (rc == ST_OK)
        rc = cdr_reader_finish(r, &sink);
    const cdr_error_t *e = cdr_reader_error(r);
    if (rc == ST_OK) {
        assert_null(e);
        buf_printf(&t.out, "OK rows=%" PRIu64 "\n", cdr_reader_rows(r));
    } else if (e) {
        /* Every fatal error found together (a header names all its faults). */
        assert_ptr_equal(cdr_reader_error_at(r, 0), e);
        for (size_t i = 0; i < cdr_reader_error_count(r); i++) {
            const cdr_error_t *x = cdr_reader_error_at(r, i);
            buf_printf(&t.out, "F%" PRIu64 " %s: %s%s\n", x->line, x->field, x->message,
                       x->valid ? " [valid]" : "");
        }
        assert_null(cdr_reader_error_at(r, cdr_reader_error_count(r)));
        /* A fatal error is sticky. */
        assert_int_equal(cdr_reader_feed(r, "x", 1, &sink), rc);
        assert_int_equal(cdr_reader_finish(r, &sink), rc);
    } else {
        buf_printf(&t.out, "STOP %d\n", rc);
    }
    if (rc_out)
        *rc_out = rc;
    cdr_reader_free(r);
    return buf_detach(&t.out, NULL);
}

/* Runs every chunking; each must match `expect` exactly. */
static void check_fmt(cdr_format fmt, const char *in, size_t len, const char *expect)
{
    static const size_t chunks[] = {0, 1, 7};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        char *got = run(fmt, in, len, chunks[i], 0, NULL);
        if (strcmp(got, expect) != 0)
            fail_msg("chunk %zu, got:\n%s\nexpected:\n%s", chunks[i], got, expect);
        free(got);
    }
}

#define CSV(in, expect)    check_fmt(CDR_FMT_CSV, in, sizeof(in) - 1, expect)
#define JSON(in, expect)   check_fmt(CDR_FMT_JSON, in, sizeof(in) - 1, expect)
#define NDJSON(in, expect) check_fmt(CDR_FMT_NDJSON, in, sizeof(in) - 1, expect)

/* ------------------------------------------------------------------ CSV */

#define HDR_ALL                                                                                    \
    "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s,channel,"  \
    "customer_id,transferred,resolved,csat\n"
#define ROW_ALL                                                                                    \
    "c1,sales,2026-10-05T09:14:03+08:00,2026-10-05T09:14:20+08:00,2026-10-05T09:20:03+08:00,"      \
    "answered,a7,300,12,30,voice,k9,0,1,5\n"
#define REC_ALL(line)                                                                              \
    "R" #line " c1|sales|1791162843|1791162860|1791163203|answered|a7|300/12/30|voice|k9|0|1|5\n"

/* Short header for value tests: call_id,queue,offered_at,ended_at + more. */
#define HDR_MIN       "call_id,queue,offered_at,ended_at\n"
#define ROW_MIN       "c2,q,2026-10-05T01:14:03Z,2026-10-05T01:20:03Z\n"
#define REC_MIN(line) "R" #line " c2|q|1791162843|-|1791163203|abandoned||0/0/0|voice||0|-1|0\n"

static void test_csv_full_row_and_defaults(void **state)
{
    (void)state;
    CSV(HDR_ALL ROW_ALL HDR_MIN, /* the second "header" is a row with 4 of 15 fields */
        REC_ALL(2) "E3 : the row has 4 fields but the header has 15\nOK rows=2\n");
    CSV(HDR_ALL ROW_ALL, REC_ALL(2) "OK rows=1\n");
    /* Only the required columns: every default. */
    CSV(HDR_MIN ROW_MIN, REC_MIN(2) "OK rows=1\n");
    /* Column order is free; x_ columns are ignored; a quoted field may span
     * lines, and the next record's line counts them. */
    CSV("x_note,ended_at,queue,call_id,offered_at\n"
        "\"two\nlines, \"\"quoted\"\"\",2026-10-05T01:20:03Z,q,c2,2026-10-05T01:14:03Z\n"
        ",2026-10-05T01:20:03Z,q,c3,2026-10-05T01:14:03Z\n",
        REC_MIN(2) "R4 c3|q|1791162843|-|1791163203|abandoned||0/0/0|voice||0|-1|0\n"
                   "OK rows=2\n");
    /* Empty optional cells take defaults; overflow is an unanswered outcome. */
    CSV(HDR_ALL "c4,q,2026-10-05T01:14:03.25Z,,2026-10-05T01:14:03.25Z,overflow,,,,,chat,,,,\n",
        "R2 c4|q|1791162843.250000|-|1791162843.250000|overflow||0/0/0|chat||0|-1|0\n"
        "OK rows=1\n");
    /* answered is the default outcome when answered_at is there. */
    CSV("call_id,queue,offered_at,answered_at,ended_at,agent_id,channel,transferred\n"
        "c5,q,2026-10-05T01:14:00Z,2026-10-05T01:14:03Z,2026-10-05T01:20:03Z,a1,callback,1\n",
        "R2 c5|q|1791162840|1791162843|1791163203|answered|a1|0/0/0|callback||1|-1|0\n"
        "OK rows=1\n");
}

static void test_csv_line_endings_bom_and_ends(void **state)
{
    (void)state;
    /* BOM, CRLF and LF mixed, blank lines, no final newline. */
    CSV("\xEF\xBB\xBF"
        "call_id,queue,offered_at,ended_at\r\n" ROW_MIN "\r\n"
        "c2,q,2026-10-05T01:14:03Z,2026-10-05T01:20:03Z\r\n"
        "c2,q,2026-10-05T01:14:03Z,2026-10-05T01:20:03Z",
        REC_MIN(2) REC_MIN(4) REC_MIN(5) "OK rows=3\n");
    /* A header only: no rows, no error. */
    CSV(HDR_MIN, "OK rows=0\n");
    CSV("call_id,queue,offered_at,ended_at", "OK rows=0\n");
    /* An empty body, a BOM alone, blank lines alone. */
    CSV("", "F1 : the body is empty (expected a header row)\n");
    CSV("\xEF\xBB\xBF", "F1 : the body is empty (expected a header row)\n");
    CSV("\r\n\n", "F1 : the body is empty (expected a header row)\n");
}

#define KNOWN                                                                                      \
    "call_id, queue, offered_at, answered_at, ended_at, outcome, agent_id, talk_s, hold_s, "       \
    "acw_s, channel, customer_id, transferred, resolved, csat, reason"
#define REQUIRED "(required: call_id, queue, offered_at, ended_at) [valid]"

static void test_csv_header_errors(void **state)
{
    (void)state;
    CSV("call_id,queue,offered_at\n" ROW_MIN,
        "F1 ended_at: required column \"ended_at\" is missing " REQUIRED "\n");
    CSV("queue,offered_at,ended_at\n",
        "F1 call_id: required column \"call_id\" is missing " REQUIRED "\n");
    /* Every fault of a header at once: the misspelt name and the column it stands for. */
    CSV("Call_ID,queue,offered_at,ended_at\n",
        "F1 Call_ID: unknown column \"Call_ID\" (names are exact and case-sensitive; prefix a "
        "column with x_ to have it ignored; known columns: " KNOWN ") [valid]\n"
        "F1 call_id: required column \"call_id\" is missing " REQUIRED "\n");
    CSV("call_id, queue,offered_at,ended_at\n",
        "F1  queue: unknown column \" queue\" (names are exact and case-sensitive; prefix a "
        "column with x_ to have it ignored; known columns: " KNOWN ") [valid]\n"
        "F1 queue: required column \"queue\" is missing " REQUIRED "\n");
    /* Three required columns missing: all three named in one answer. */
    CSV("call_id,agent_id\n",
        "F1 queue: required column \"queue\" is missing " REQUIRED "\n"
        "F1 offered_at: required column \"offered_at\" is missing " REQUIRED "\n"
        "F1 ended_at: required column \"ended_at\" is missing " REQUIRED "\n");
    CSV("call_id,queue,offered_at,ended_at,queue\n", "F1 queue: duplicate column \"queue\"\n");
    CSV("x_a,call_id,queue,offered_at,ended_at,x_a\n", "F1 x_a: duplicate column \"x_a\"\n");
    CSV("call_id,,queue,offered_at,ended_at\n", "F1 : column 2 has an empty name\n");
    CSV("call_id,queue,offered_at,ended_at,x_\xff\n",
        "F1 : the name of column 5 is not valid UTF-8 or has a NUL byte\n");
    check_fmt(CDR_FMT_CSV, "call_id,queue,offered_at,ended_at,x\0\n", 37,
              "F1 : the name of column 5 is not valid UTF-8 or has a NUL byte\n");
    /* A quoted header name is still exact. */
    CSV("\"call_id\",queue,offered_at,ended_at\n" ROW_MIN, REC_MIN(2) "OK rows=1\n");
}

/* Runs one row under HDR_MIN plus extra columns, then a good row, checking
 * that the bad row is rejected and parsing continues. */
static void csv_value(const char *extra_cols, const char *row, const char *expect_err)
{
    char in[1024], full[2048];
    /* At most one extra column in these tests; the good row leaves it empty,
     * so its default applies. */
    snprintf(in, sizeof in, "call_id,queue,offered_at,ended_at%s\n%s\n%s%s\n", extra_cols, row,
             "c2,q,2026-10-05T01:14:03Z,2026-10-05T01:20:03Z", extra_cols[0] ? "," : "");
    snprintf(full, sizeof full, "%s" REC_MIN(3) "OK rows=2\n", expect_err);
    check_fmt(CDR_FMT_CSV, in, strlen(in), full);
}

/* As csv_value, for a row that is accepted: expect is its record line. */
static void csv_value_ok(const char *extra_cols, const char *row, const char *expect_rec)
{
    char in[1024], full[2048];
    snprintf(in, sizeof in, "call_id,queue,offered_at,ended_at%s\n%s\n", extra_cols, row);
    snprintf(full, sizeof full, "%sOK rows=1\n", expect_rec);
    check_fmt(CDR_FMT_CSV, in, strlen(in), full);
}

#define T0 "2026-10-05T01:14:03Z"
#define T1 "2026-10-05T01:20:03Z"

static void test_csv_durations(void **state)
{
    (void)state;
    const char *not_whole = "must be a whole number of seconds written with digits only (no "
                            "sign, decimal point, exponent or spaces)\n";
    char e[256];
    static const char *const bad[] = {"1e3", "-0", "+5", " 5 ", "5.0", "5 ", "0x5", "5s", "٥"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char row[128];
        snprintf(row, sizeof row, "c1,q," T0 "," T1 ",\"%s\"", bad[i]);
        snprintf(e, sizeof e, "E2 talk_s: talk_s %s", not_whole);
        csv_value(",talk_s", row, e);
    }
    csv_value(",hold_s", "c1,q," T0 "," T1 ",-5", "E2 hold_s: hold_s is negative\n");
    csv_value(",acw_s", "c1,q," T0 "," T1 ",-0001", "E2 acw_s: acw_s is negative\n");
    /* -000 is -0: not negative, but signed. */
    snprintf(e, sizeof e, "E2 acw_s: acw_s %s", not_whole);
    csv_value(",acw_s", "c1,q," T0 "," T1 ",-000", e);
    /* 10 digits overflow the rule; 2147483648 would overflow int32. */
    csv_value(",talk_s", "c1,q," T0 "," T1 ",1000000000",
              "E2 talk_s: talk_s is too large (at most 9 digits)\n");
    csv_value(",talk_s", "c1,q," T0 "," T1 ",2147483648",
              "E2 talk_s: talk_s is too large (at most 9 digits)\n");
    csv_value(",talk_s", "c1,q," T0 "," T1 ",99999999999999999999999",
              "E2 talk_s: talk_s is too large (at most 9 digits)\n");
    /* Leading zeros are harmless; 9 digits is the largest accepted. */
    csv_value_ok(",talk_s", "c1,q," T0 "," T1 ",05",
                 "R2 c1|q|1791162843|-|1791163203|abandoned||5/0/0|voice||0|-1|0\n");
    csv_value_ok(",hold_s", "c1,q," T0 "," T1 ",999999999",
                 "R2 c1|q|1791162843|-|1791163203|abandoned||0/999999999/0|voice||0|-1|0\n");
    csv_value_ok(",acw_s", "c1,q," T0 "," T1 ",0",
                 "R2 c1|q|1791162843|-|1791163203|abandoned||0/0/0|voice||0|-1|0\n");
}

static void test_csv_instants(void **state)
{
    (void)state;
    csv_value("", "c1,q,2026-10-05T09:14:03," T1,
              "E2 offered_at: offered_at is not a valid RFC 3339 instant with an offset: too "
              "short for YYYY-MM-DDThh:mm:ss and an offset\n");
    csv_value("", "c1,q,2026-10-05T09:14:03.5," T1,
              "E2 offered_at: offered_at is not a valid RFC 3339 instant with an offset: missing "
              "offset (Z or +hh:mm)\n");
    csv_value("", "c1,q,0000-01-01T00:00:00Z," T1,
              "E2 offered_at: offered_at is not a valid RFC 3339 instant with an offset: year out "
              "of range (1970..2199)\n");
    csv_value("", "c1,q," T0 ",9999-12-31T23:59:59Z",
              "E2 ended_at: ended_at is not a valid RFC 3339 instant with an offset: year out of "
              "range (1970..2199)\n");
    csv_value("", "c1,q,2026-02-30T00:00:00Z," T1,
              "E2 offered_at: offered_at is not a valid RFC 3339 instant with an offset: day out "
              "of range for the month\n");
    csv_value(",answered_at", "c1,q," T0 "," T1 ",2026-10-05 01:15:00Z",
              "E2 answered_at: answered_at is not a valid RFC 3339 instant with an offset: "
              "expected 'T' between date and time\n");
    csv_value("", "c1,q,," T1, "E2 offered_at: offered_at is required\n");
    csv_value("", "c1,q," T0 ",", "E2 ended_at: ended_at is required\n");
    csv_value("", ",q," T0 "," T1, "E2 call_id: call_id is required\n");
    csv_value("", "c1,," T0 "," T1, "E2 queue: queue is required\n");
}

static void test_csv_order_and_outcome(void **state)
{
    (void)state;
    char in[1024];
    /* answered 3 s before offered (01:14:00 < 01:14:03). */
    snprintf(in, sizeof in,
             "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id\n"
             "c1,q," T0 ",2026-10-05T01:14:00Z," T1 ",,a1\n"
             "c2,q," T0 "," T0 ",2026-10-05T01:14:00Z,,a1\n"
             "c3,q," T0 ",," T0 "Z,,\n" /* a stray Z after the offset */
             "c4,q," T1 ",," T0 ",,\n"
             "c5,q," T0 ",," T1 ",answered,a1\n"
             "c6,q," T0 "," T0 "," T1 ",abandoned,a1\n"
             "c7,q," T0 "," T0 "," T1 ",overflow,a1\n"
             "c8,q," T0 "," T0 "," T1 ",,\n"
             "c9,q," T0 ",," T1 ",ANSWERED,\n"
             "c10,q," T0 "," T0 "," T0 ",answered,a1\n");
    check_fmt(CDR_FMT_CSV, in, strlen(in),
              "E2 answered_at: answered_at is before offered_at\n"
              "E3 ended_at: ended_at is before answered_at\n"
              "E4 ended_at: ended_at is not a valid RFC 3339 instant with an offset: unexpected "
              "characters after the offset\n"
              "E5 ended_at: ended_at is before offered_at\n"
              "E6 outcome: outcome is answered but answered_at is empty\n"
              "E7 outcome: outcome is abandoned but answered_at is set\n"
              "E8 outcome: outcome is overflow but answered_at is set\n"
              "E9 agent_id: agent_id is required when answered_at is set\n"
              "E10 outcome: outcome must be answered, abandoned or overflow [valid]\n"
              /* all three instants equal: fine */
              "R11 c10|q|1791162843|1791162843|1791162843|answered|a1|0/0/0|voice||0|-1|0\n"
              "OK rows=10\n");
}

static void test_csv_enums_flags_csat(void **state)
{
    (void)state;
    csv_value(",channel", "c1,q," T0 "," T1 ",phone",
              "E2 channel: channel must be voice, chat, email or callback [valid]\n");
    csv_value(",channel", "c1,q," T0 "," T1 ",Voice",
              "E2 channel: channel must be voice, chat, email or callback [valid]\n");
    csv_value(",transferred", "c1,q," T0 "," T1 ",2",
              "E2 transferred: transferred must be 0 or 1\n");
    csv_value(",transferred", "c1,q," T0 "," T1 ",01",
              "E2 transferred: transferred must be 0 or 1\n");
    csv_value(",resolved", "c1,q," T0 "," T1 ",true", "E2 resolved: resolved must be 0 or 1\n");
    csv_value(",csat", "c1,q," T0 "," T1 ",0", "E2 csat: csat is out of range 1..5\n");
    csv_value(",csat", "c1,q," T0 "," T1 ",6", "E2 csat: csat is out of range 1..5\n");
    csv_value(",csat", "c1,q," T0 "," T1 ",4.5",
              "E2 csat: csat must be a whole number from 1 to 5\n");
    csv_value(",csat", "c1,q," T0 "," T1 ",-1",
              "E2 csat: csat must be a whole number from 1 to 5\n");
    csv_value_ok(",csat", "c1,q," T0 "," T1 ",1",
                 "R2 c1|q|1791162843|-|1791163203|abandoned||0/0/0|voice||0|-1|1\n");
    csv_value_ok(",resolved", "c1,q," T0 "," T1 ",0",
                 "R2 c1|q|1791162843|-|1791163203|abandoned||0/0/0|voice||0|0|0\n");
    csv_value_ok(",channel", "c1,q," T0 "," T1 ",email",
                 "R2 c1|q|1791162843|-|1791163203|abandoned||0/0/0|email||0|-1|0\n");
}

static void test_csv_text_rules(void **state)
{
    (void)state;
    /* 64 bytes is the most an id may have. */
    const char *id64 = "0123456789012345678901234567890123456789012345678901234567890123";
    char row[256], rec[256];
    snprintf(row, sizeof row, "%s,q," T0 "," T1, id64);
    snprintf(rec, sizeof rec, "R2 %s|q|1791162843|-|1791163203|abandoned||0/0/0|voice||0|-1|0\n",
             id64);
    csv_value_ok("", row, rec);
    snprintf(row, sizeof row, "c1,%s4," T0 "," T1, id64);
    csv_value("", row, "E2 queue: queue is longer than 64 bytes\n");
    snprintf(row, sizeof row, "c1,q," T0 "," T1 ",%sX", id64);
    csv_value(",customer_id", row, "E2 customer_id: customer_id is longer than 64 bytes\n");
    /* reason (the case type): 64 bytes at most, no control, bidi or zero-width character. */
    snprintf(row, sizeof row, "c1,q," T0 "," T1 ",%s", id64);
    csv_value_ok(",reason", row,
                 "R2 c1|q|1791162843|-|1791163203|abandoned||0/0/0|voice||0|-1|0\n");
    snprintf(row, sizeof row, "c1,q," T0 "," T1 ",%sX", id64);
    csv_value(",reason", row, "E2 reason: reason is longer than 64 bytes\n");
    csv_value(",reason", "c1,q," T0 "," T1 ",\"bill\ting\"",
              "E2 reason: reason contains a control character (byte 5)\n");
    csv_value(",reason", "c1,q," T0 "," T1 ",bill\xC2\x85ing",
              "E2 reason: reason contains a control character (byte 5)\n");
    csv_value(",reason", "c1,q," T0 "," T1 ",bill\xE2\x80\xAEing",
              "E2 reason: reason contains U+202E, an invisible or direction-changing character\n");
    /* Multi-byte UTF-8 is fine: "Zoë" and a 4-byte emoji. */
    csv_value_ok(
        ",customer_id", "c1,q," T0 "," T1 ",Zo\xC3\xAB\xF0\x9F\x93\x9E",
        "R2 c1|q|1791162843|-|1791163203|abandoned||0/0/0|voice|Zo\xC3\xAB\xF0\x9F\x93\x9E|"
        "0|-1|0\n");
    /* Invalid UTF-8: a stray byte, an overlong '/', a surrogate, a cut
     * sequence, a code point past U+10FFFF. */
    csv_value("", "c1,q\xFF," T0 "," T1, "E2 queue: queue is not valid UTF-8\n");
    csv_value("", "c1,\xC0\xAF," T0 "," T1, "E2 queue: queue is not valid UTF-8\n");
    csv_value("", "c1\xED\xA0\x80,q," T0 "," T1, "E2 call_id: call_id is not valid UTF-8\n");
    csv_value("", "c1\xE2\x82,q," T0 "," T1, "E2 call_id: call_id is not valid UTF-8\n");
    csv_value("", "c1\xF4\x90\x80\x80,q," T0 "," T1, "E2 call_id: call_id is not valid UTF-8\n");
    /* Bad bytes in an instant are reported as UTF-8, not as a bad instant. */
    csv_value("", "c1,q," T0 "\x80," T1, "E2 offered_at: offered_at is not valid UTF-8\n");
    /* Ignored x_ columns are still checked. */
    csv_value(",x_note", "c1,q," T0 "," T1 ",caf\xE9", "E2 x_note: x_note is not valid UTF-8\n");
    /* NUL bytes. */
    const char in[] = "call_id,queue,offered_at,ended_at,agent_id\n"
                      "c1,q," T0 "," T1 ",a\0b\n"
                      "c1,q," T0 "," T1 ",\"\0\"\n";
    check_fmt(CDR_FMT_CSV, in, sizeof in - 1,
              "E2 agent_id: agent_id contains a NUL byte\n"
              "E3 agent_id: agent_id contains a NUL byte\nOK rows=2\n");
}

static void test_csv_fatal_mid_body(void **state)
{
    (void)state;
    /* A quote left open at the end: good rows before it are delivered. */
    CSV(HDR_MIN ROW_MIN "c3,\"q," T0 "," T1 "\n",
        REC_MIN(2) "F3 : a quoted field opened on line 3 is not closed at the end of the input\n");
    /* A quote inside an unquoted field, named by column. */
    CSV(HDR_MIN ROW_MIN "c3,q\"q," T0 "," T1 "\n" ROW_MIN,
        REC_MIN(2) "F3 queue: field 2: a quote inside an unquoted field (quote the whole field and "
                   "double the quote)\n");
    /* A body cut off mid-row: fewer fields, or half an instant. */
    CSV(HDR_MIN ROW_MIN "c3,q,2026-10-05T01:1",
        REC_MIN(2) "E3 : the row has 3 fields but the header has 4\nOK rows=2\n");
    CSV(HDR_MIN ROW_MIN "c3,q," T0 ",2026-10-05T01:2",
        REC_MIN(2) "E3 ended_at: ended_at is not a valid RFC 3339 instant with an offset: too "
                   "short for YYYY-MM-DDThh:mm:ss and an offset\nOK rows=2\n");
    CSV(HDR_MIN ROW_MIN "c3,q," T0 "," T1 ",extra\n",
        REC_MIN(2) "E3 : the row has 5 fields but the header has 4\nOK rows=2\n");
}

static void test_csv_limits(void **state)
{
    (void)state;
    /* 10,000 columns in the header. */
    buf_t b;
    buf_init(&b, 1 << 22);
    buf_puts(&b, "call_id,queue,offered_at,ended_at");
    for (int i = 0; i < 10000; i++)
        buf_printf(&b, ",x_%d", i);
    buf_puts(&b, "\n");
    check_fmt(CDR_FMT_CSV, b.data, b.len, "F1 : the record has more than 256 fields\n");
    buf_reset(&b);
    /* A 1 MB field in a data row, after a good row. */
    buf_puts(&b, HDR_MIN ROW_MIN "c3,");
    for (int i = 0; i < 1024 * 1024; i++)
        buf_putc(&b, 'q');
    buf_puts(&b, "," T0 "," T1 "\n");
    char *got = run(CDR_FMT_CSV, b.data, b.len, 0, 0, NULL);
    assert_string_equal(got, REC_MIN(2) "F3 queue: field 2 is longer than 65536 bytes\n");
    free(got);
    got = run(CDR_FMT_CSV, b.data, b.len, 1, 0, NULL);
    assert_string_equal(got, REC_MIN(2) "F3 queue: field 2 is longer than 65536 bytes\n");
    free(got);
    buf_free(&b);
}

static void test_sink_stop_and_api(void **state)
{
    (void)state;
    const char in[] = HDR_MIN ROW_MIN ROW_MIN ROW_MIN;
    int rc;
    char *got = run(CDR_FMT_CSV, in, sizeof in - 1, 1, 2, &rc);
    assert_int_equal(rc, ST_ERR_CONFLICT);
    assert_string_equal(got, REC_MIN(2) "STOP -5\n");
    free(got);
    const char js[] = "[{\"call_id\":\"c2\",\"queue\":\"q\",\"offered_at\":\"" T0
                      "\",\"ended_at\":\"" T1 "\"},{\"call_id\":\"c2\"}]";
    got = run(CDR_FMT_JSON, js, sizeof js - 1, 0, 1, &rc);
    assert_int_equal(rc, ST_ERR_CONFLICT);
    assert_string_equal(got, "STOP -5\n");
    free(got);

    assert_null(cdr_reader_new((cdr_format)0));
    assert_null(cdr_reader_new((cdr_format)99));
    cdr_reader_free(NULL);
    /* Feeding after finish is an error; a NULL-callback sink is allowed. */
    cdr_sink_t none = {0};
    cdr_reader_t *r = cdr_reader_new(CDR_FMT_CSV);
    assert_int_equal(cdr_reader_feed(r, in, sizeof in - 1, &none), ST_OK);
    assert_int_equal(cdr_reader_finish(r, &none), ST_OK);
    assert_int_equal(cdr_reader_rows(r), 3);
    assert_int_equal(cdr_reader_feed(r, "x", 1, &none), ST_ERR_INVALID);
    assert_string_equal(cdr_reader_error(r)->message, "data after the end of the body");
    cdr_reader_free(r);
}

/* ----------------------------------------------------------------- JSON */

#define OBJ_ALL                                                                                    \
    "{\"call_id\": \"c1\", \"queue\": \"sales\", \"offered_at\": \"2026-10-05T09:14:03+08:00\","   \
    " \"answered_at\": \"2026-10-05T09:14:20+08:00\", \"ended_at\": "                              \
    "\"2026-10-05T09:20:03+08:00\", \"outcome\": \"answered\", \"agent_id\": \"a7\", \"talk_s\": " \
    "300, \"hold_s\": \"12\", \"acw_s\": 30, \"channel\": \"voice\", \"customer_id\": \"k9\", "    \
    "\"transferred\": false, \"resolved\": true, \"csat\": 5}"
#define OBJ_MIN                                                                                    \
    "{\"call_id\":\"c2\",\"queue\":\"q\",\"offered_at\":\"" T0 "\",\"ended_at\":\"" T1 "\""
/* OBJ_MIN is left open so a test can add members: close it with "}". */
#define OBJ_NOID "{\"queue\":\"q\",\"offered_at\":\"" T0 "\",\"ended_at\":\"" T1 "\""

static void test_json_array(void **state)
{
    (void)state;
    /* Pretty-printed: each element's line is that of its opening brace. */
    JSON("\xEF\xBB\xBF[\n  " OBJ_ALL ",\n  " OBJ_MIN "}\n  ,\n\n  " OBJ_MIN
         ", \"x_meta\": {\"a\": \"}]\\\"\", \"b\": [1, {}]}, \"x_n\": 1.5}\n]\n",
         REC_ALL(2) REC_MIN(3) REC_MIN(6) "OK rows=3\n");
    JSON("[]", "OK rows=0\n");
    JSON(" \r\n[ \n ] \n", "OK rows=0\n");
    /* null and "" mean "not given". */
    JSON("[" OBJ_MIN ",\"answered_at\":null,\"agent_id\":\"\",\"csat\":null,\"talk_s\":\"\"}]",
         REC_MIN(1) "OK rows=1\n");
    /* Elements that are not objects, including strings holding brackets,
     * quotes and escapes that must not confuse the scanner. */
    JSON("[1, \"a]\\\"}{\", [\"]\"], null, true, -2.5e3, " OBJ_MIN "}]",
         "E1 : the array element is not a JSON object\n"
         "E1 : the array element is not a JSON object\n"
         "E1 : the array element is not a JSON object\n"
         "E1 : the array element is not a JSON object\n"
         "E1 : the array element is not a JSON object\n"
         "E1 : the array element is not a JSON object\n" REC_MIN(1) "OK rows=7\n");
}

static void test_json_fatal(void **state)
{
    (void)state;
    JSON("", "F1 : the body is empty\n");
    JSON(" \n\t", "F1 : the body is empty\n");
    JSON("\xEF\xBB\xBF", "F1 : the body is empty\n");
    JSON("\n" OBJ_MIN "}",
         "F2 : the body is not a JSON array (expected '['; send one object per line as NDJSON)\n");
    JSON("[" OBJ_MIN "},]", REC_MIN(1) "F1 : expected a value before ']' on line 1\n");
    JSON("[,]", "F1 : expected a value before ',' on line 1\n");
    JSON("[" OBJ_MIN "}\n" OBJ_MIN "}]",
         REC_MIN(1) "F2 : expected ',' or ']' after the element on line 1\n");
    JSON("[" OBJ_MIN "}] x",
         REC_MIN(1) "F1 : unexpected data after the closing ']' of the array\n");
    JSON("[] []", "F1 : unexpected data after the closing ']' of the array\n");
    /* Cut off: inside an element, between elements, after '['. */
    JSON("[" OBJ_MIN "},\n" OBJ_MIN,
         REC_MIN(1) "F2 : the element starting on line 2 is not complete at the end of the body "
                    "(cut off?)\n");
    JSON("[" OBJ_MIN "}\n",
         REC_MIN(1) "F2 : the body ends before the closing ']' of the array (cut off?)\n");
    JSON("[", "F1 : the body ends before the closing ']' of the array (cut off?)\n");
    JSON("[1", "F1 : the element starting on line 1 is not complete at the end of the body (cut "
               "off?)\n");
    /* A syntax error inside an element is fatal in an array. */
    JSON("[\n" OBJ_MIN ",\n\"agent_id\" 1}]",
         "F2 : invalid JSON at line 3: ':' expected near '1'\n");
    JSON("[" OBJ_MIN ",}]", "F1 : invalid JSON at line 1: string or '}' expected near '}'\n");
    JSON("[+5]", "F1 : invalid JSON at line 1: invalid token near '+'\n");
    JSON("[{]", "F1 : invalid JSON at line 1: string or '}' expected near ']'\n");
    /* A raw NUL byte is a control character, not JSON. */
    check_fmt(CDR_FMT_JSON, "[{\"call_id\":\"a\0\"}]", 18,
              "F1 : invalid JSON at line 1: control character 0x0 near '\"a'\n");
}

static void test_json_values(void **state)
{
    (void)state;
    JSON("[" OBJ_MIN ",\"Call_ID\":\"x\"}," OBJ_MIN "}]",
         "E1 Call_ID: unknown key \"Call_ID\" (names are exact and case-sensitive; prefix a key "
         "with x_ to have it ignored; known keys: " KNOWN ") [valid]\n" REC_MIN(1) "OK rows=2\n");
    JSON("[" OBJ_MIN ",\"talk_s\":5.0}]",
         "E1 talk_s: talk_s must be a whole number (got a fraction or an exponent)\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"talk_s\":1e3}]",
         "E1 talk_s: talk_s must be a whole number (got a fraction or an exponent)\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"talk_s\":-5}]", "E1 talk_s: talk_s is negative\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"talk_s\":\"-0\"}]",
         "E1 talk_s: talk_s must be a whole number of seconds written with digits only (no "
         "sign, decimal point, exponent or spaces)\nOK rows=1\n");
    /* JSON -0 is the number zero (jansson reads it as the integer 0). */
    JSON("[" OBJ_MIN ",\"talk_s\":-0}]", REC_MIN(1) "OK rows=1\n");
    JSON("[" OBJ_MIN ",\"hold_s\":1000000000}]",
         "E1 hold_s: hold_s is too large (at most 9 digits)\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"hold_s\":99999999999999999999}]",
         "E1 hold_s: hold_s is too large a number\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"acw_s\":1e400}]", "E1 acw_s: acw_s is too large a number\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"acw_s\":true}]", "E1 acw_s: acw_s must be a whole number\nOK rows=1\n");
    JSON("[" OBJ_NOID ",\"call_id\":5}]", "E1 call_id: call_id must be a string\nOK rows=1\n");
    JSON("[{\"call_id\":\"c2\",\"offered_at\":1791162843}]",
         "E1 offered_at: offered_at must be a string\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"csat\":4.0}]",
         "E1 csat: csat must be a whole number (got a fraction or an exponent)\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"csat\":[4]}]", "E1 csat: csat must be a whole number\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"csat\":6}]", "E1 csat: csat is out of range 1..5\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"transferred\":2}]",
         "E1 transferred: transferred must be 0 or 1\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"resolved\":\"yes\"}]",
         "E1 resolved: resolved must be 0 or 1\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"resolved\":{}}]", "E1 resolved: resolved must be 0 or 1\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"transferred\":1,\"resolved\":0,\"csat\":\"3\",\"talk_s\":7}]",
         "R1 c2|q|1791162843|-|1791163203|abandoned||7/0/0|voice||1|0|3\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"queue\":\"r\"}]", "E1 queue: key \"queue\" appears more than once\n"
                                           "OK rows=1\n");
    /* Bad UTF-8 in a value is named; in a key it cannot be. */
    JSON("[" OBJ_MIN ",\"agent_id\":\"a\xC3\"}," OBJ_MIN "}]",
         "E1 agent_id: agent_id is not valid UTF-8\n" REC_MIN(1) "OK rows=2\n");
    JSON("[" OBJ_MIN ",\"x_\xFF\":1}]", "E1 : a key is not valid UTF-8\nOK rows=1\n");
    /* \u0000 in a value and in a key. */
    JSON("[" OBJ_MIN ",\"agent_id\":\"a\\u0000\"}]",
         "E1 agent_id: agent_id contains a NUL byte\nOK rows=1\n");
    JSON("[" OBJ_MIN ",\"x\\u0000\":1}]",
         "E1 : a key contains a NUL character (\\u0000)\nOK rows=1\n");
    /* Escapes decode before validation: \u00e9 is é. */
    JSON("[" OBJ_MIN ",\"customer_id\":\"caf\\u00e9\"}]",
         "R1 c2|q|1791162843|-|1791163203|abandoned||0/0/0|voice|caf\xC3\xA9|0|-1|0\nOK rows=1\n");
    /* Required values missing. */
    JSON("[{\"queue\":\"q\"}]", "E1 call_id: call_id is required\nOK rows=1\n");
    JSON("[{}]", "E1 call_id: call_id is required\nOK rows=1\n");
}

static void test_json_element_limit(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 1 << 22);
    buf_puts(&b, "[" OBJ_MIN "},\n{\"x_big\":\"");
    for (int i = 0; i < 1024 * 1024; i++)
        buf_putc(&b, 'z');
    buf_puts(&b, "\"}]");
    char *got = run(CDR_FMT_JSON, b.data, b.len, 0, 0, NULL);
    assert_string_equal(got, REC_MIN(1) "F2 : the array element is longer than 1048576 bytes\n");
    free(got);
    got = run(CDR_FMT_JSON, b.data, b.len, 1, 0, NULL);
    assert_string_equal(got, REC_MIN(1) "F2 : the array element is longer than 1048576 bytes\n");
    free(got);
    buf_free(&b);
}

/* --------------------------------------------------------------- NDJSON */

static void test_ndjson(void **state)
{
    (void)state;
    NDJSON(OBJ_ALL "\n" OBJ_MIN "}\r\n\n   \r\n" OBJ_MIN "}",
           REC_ALL(1) REC_MIN(2) REC_MIN(5) "OK rows=3\n");
    NDJSON("\xEF\xBB\xBF" OBJ_MIN "}\n", REC_MIN(1) "OK rows=1\n");
    /* Lines are independent: a syntax error is a row error. */
    /* OBJ_MIN is 97 bytes, so the stray '}' is at column 99. */
    NDJSON(OBJ_MIN "}\n" OBJ_MIN ",}\n[1]\n\"x\"\n" OBJ_MIN ",\"talk_s\":-1}\n" OBJ_MIN "}\n",
           REC_MIN(1) "E2 : invalid JSON at column 99: string or '}' expected near '}'\n"
                      "E3 : the line is not a JSON object\n"
                      "E4 : the line is not a JSON object\n"
                      "E5 talk_s: talk_s is negative\n" REC_MIN(6) "OK rows=6\n");
    /* Two objects on one line is not NDJSON ('}' at 98, ' ', '{' at 100). */
    NDJSON(OBJ_MIN "} " OBJ_MIN "}\n",
           "E1 : invalid JSON at column 100: end of file expected near '{'\nOK rows=1\n");
    /* Cut off mid-object. */
    NDJSON(OBJ_MIN "}\n{\"call_id\":\"c",
           REC_MIN(1) "E2 : invalid JSON at column 13: premature end of input near '\"c'\n"
                      "OK rows=2\n");
    NDJSON("", "F1 : the body is empty\n");
    NDJSON("\n \r\n\t\n", "F1 : the body is empty\n");
    /* A line over the cap is fatal. */
    buf_t b;
    buf_init(&b, 1 << 22);
    buf_puts(&b, OBJ_MIN "}\n");
    for (int i = 0; i < 1024 * 1024 + 1; i++)
        buf_putc(&b, ' ');
    char *got = run(CDR_FMT_NDJSON, b.data, b.len, 0, 0, NULL);
    assert_string_equal(got, REC_MIN(1) "F2 : the line is longer than 1048576 bytes\n");
    free(got);
    buf_free(&b);
}

/* ------------------------------------------------------- cdr_validate API */

static void test_validate_record_api(void **state)
{
    (void)state;
    cdr_t rec;
    cdr_error_t err;
    memset(&rec, 0, sizeof rec);
    assert_int_equal(cdr_validate_set_id(&rec, CDR_F_CALL_ID, "c1", 2, &err), ST_OK);
    assert_int_equal(cdr_validate_set_id(&rec, CDR_F_QUEUE, "q", 1, &err), ST_OK);
    assert_int_equal(cdr_validate_set_id(&rec, CDR_F_TALK_S, "1", 1, &err), ST_ERR_INVALID);
    assert_string_equal(err.message, "talk_s is not an id field");
    assert_int_equal(cdr_validate_set_id(&rec, CDR_F_AGENT_ID, "\xFF", 1, &err), ST_ERR_INVALID);
    assert_string_equal(err.field, "agent_id");
    rec.offered_us = INT64_C(1791162843000000);
    rec.answered_us = CDR_NONE;
    rec.ended_us = rec.offered_us;
    rec.outcome = CDR_OVERFLOW;
    rec.channel = CDR_VOICE;
    rec.resolved = -1;
    assert_int_equal(cdr_validate_record(&rec, &err), ST_OK);
    rec.talk_s = -1;
    assert_int_equal(cdr_validate_record(&rec, &err), ST_ERR_INVALID);
    assert_string_equal(err.message, "talk_s is negative");
    rec.talk_s = 0;
    rec.channel = (cdr_channel)9;
    assert_int_equal(cdr_validate_record(&rec, &err), ST_ERR_INVALID);
    assert_string_equal(err.field, "channel");
    rec.channel = CDR_CHAT;
    rec.outcome = (cdr_outcome)0;
    assert_int_equal(cdr_validate_record(&rec, &err), ST_ERR_INVALID);
    assert_string_equal(err.field, "outcome");
    rec.outcome = CDR_ABANDONED;
    rec.csat = 6;
    assert_int_equal(cdr_validate_record(&rec, &err), ST_ERR_INVALID);
    assert_string_equal(err.field, "csat");
    rec.csat = 0;
    rec.call_id[0] = '\0';
    assert_int_equal(cdr_validate_record(&rec, &err), ST_ERR_INVALID);
    assert_string_equal(err.message, "call_id is required");

    assert_string_equal(cdr_field_name(CDR_F_CUSTOMER_ID), "customer_id");
    assert_int_equal(cdr_field_lookup("csat", 4), CDR_F_CSAT);
    assert_int_equal(cdr_field_lookup("csa", 3), -1);
    assert_int_equal(cdr_field_lookup("csatx", 4), CDR_F_CSAT); /* only len bytes count */
    assert_int_equal(cdr_validate_text("", 0), CDR_TEXT_OK);
    assert_int_equal(cdr_validate_text("\xEF\xBF\xBF", 3), CDR_TEXT_OK);       /* U+FFFF */
    assert_int_equal(cdr_validate_text("\xE0\x9F\xBF", 3), CDR_TEXT_BAD_UTF8); /* overlong */
    assert_int_equal(cdr_validate_text("\xF0\x8F\xBF\xBF", 4), CDR_TEXT_BAD_UTF8);
    assert_int_equal(cdr_validate_text("\xF4\x8F\xBF\xBF", 4), CDR_TEXT_OK); /* U+10FFFF */
    assert_int_equal(cdr_validate_text("\xC2", 1), CDR_TEXT_BAD_UTF8);
    assert_int_equal(cdr_validate_text("a\0", 2), CDR_TEXT_NUL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_full_row_and_defaults),
        cmocka_unit_test(test_csv_line_endings_bom_and_ends),
        cmocka_unit_test(test_csv_header_errors),
        cmocka_unit_test(test_csv_durations),
        cmocka_unit_test(test_csv_instants),
        cmocka_unit_test(test_csv_order_and_outcome),
        cmocka_unit_test(test_csv_enums_flags_csat),
        cmocka_unit_test(test_csv_text_rules),
        cmocka_unit_test(test_csv_fatal_mid_body),
        cmocka_unit_test(test_csv_limits),
        cmocka_unit_test(test_sink_stop_and_api),
        cmocka_unit_test(test_json_array),
        cmocka_unit_test(test_json_fatal),
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_json_element_limit),
        cmocka_unit_test(test_ndjson),
        cmocka_unit_test(test_validate_record_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
