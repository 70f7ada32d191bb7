/* cdr_validate.c - contact row and record rules (see cdr_validate.h). */
#include "cdr_validate.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rfc3339.h"
#include "status.h"
#include "utf8.h"

static const char *const field_names[CDR_F_COUNT + 1] = {
    [CDR_F_CALL_ID] = "call_id",
    [CDR_F_QUEUE] = "queue",
    [CDR_F_OFFERED_AT] = "offered_at",
    [CDR_F_ANSWERED_AT] = "answered_at",
    [CDR_F_ENDED_AT] = "ended_at",
    [CDR_F_OUTCOME] = "outcome",
    [CDR_F_AGENT_ID] = "agent_id",
    [CDR_F_TALK_S] = "talk_s",
    [CDR_F_HOLD_S] = "hold_s",
    [CDR_F_ACW_S] = "acw_s",
    [CDR_F_CHANNEL] = "channel",
    [CDR_F_CUSTOMER_ID] = "customer_id",
    [CDR_F_TRANSFERRED] = "transferred",
    [CDR_F_RESOLVED] = "resolved",
    [CDR_F_CSAT] = "csat",
    [CDR_F_REASON] = "reason",
    [CDR_F_COUNT] = NULL,
};
static const char *const required_names[] = {"call_id", "queue", "offered_at", "ended_at", NULL};
static const char *const outcome_names[] = {"answered", "abandoned", "overflow", NULL};
static const char *const channel_names[] = {"voice", "chat", "email", "callback", NULL};

const char *const *cdr_field_names(void)
{
    return field_names;
}

const char *const *cdr_required_names(void)
{
    return required_names;
}

const char *cdr_field_name(cdr_field f)
{
    return (unsigned)f < CDR_F_COUNT ? field_names[f] : "";
}

int cdr_field_lookup(const char *name, size_t len)
{
    for (int f = 0; f < CDR_F_COUNT; f++)
        if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
            return f;
    return -1;
}

int cdr_field_required(cdr_field f)
{
    for (size_t i = 0; required_names[i]; i++)
        if ((unsigned)f < CDR_F_COUNT && strcmp(field_names[f], required_names[i]) == 0)
            return 1;
    return 0;
}

int cdr_validate_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        /* Eight ASCII bytes without a NUL at a time: the common case. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            uint64_t has_zero = (w - UINT64_C(0x0101010101010101)) & ~w;
            if ((w | has_zero) & UINT64_C(0x8080808080808080))
                break;
            p += 8;
        }
        if (p == end)
            break;
        unsigned c = *p;
        if (c < 0x80) {
            if (c == 0)
                return CDR_TEXT_NUL;
            p++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return CDR_TEXT_BAD_UTF8; /* continuation byte, C0/C1 overlong lead, F5..FF */
        }
        if ((size_t)(end - p) < n + 1)
            return CDR_TEXT_BAD_UTF8;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return CDR_TEXT_BAD_UTF8;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return CDR_TEXT_BAD_UTF8;
        p += n + 1;
    }
    return CDR_TEXT_OK;
}

/* Fills *err for field f and returns ST_ERR_INVALID. */
static int reject(cdr_error_t *err, cdr_field f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(cdr_error_t *err, cdr_field f, const char *fmt, ...)
{
    err->line = 0;
    err->valid = NULL;
    snprintf(err->field, sizeof err->field, "%s", cdr_field_name(f));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return ST_ERR_INVALID;
}

#define NOT_AN_ID SIZE_MAX

/* Where in a cdr_t id field f is stored; NOT_AN_ID for other fields.  An
 * offset serves both the const and the mutable callers. */
static size_t id_offset(cdr_field f)
{
    switch (f) {
    case CDR_F_CALL_ID:
        return offsetof(cdr_t, call_id);
    case CDR_F_QUEUE:
        return offsetof(cdr_t, queue);
    case CDR_F_AGENT_ID:
        return offsetof(cdr_t, agent_id);
    case CDR_F_CUSTOMER_ID:
        return offsetof(cdr_t, customer_id);
    case CDR_F_REASON:
        return offsetof(cdr_t, reason);
    default:
        return NOT_AN_ID;
    }
}

/* Rejects text that is not UTF-8 or holds a NUL, naming the field. */
static int check_text(cdr_field f, const char *p, size_t len, cdr_error_t *err)
{
    switch (cdr_validate_text(p, len)) {
    case CDR_TEXT_OK:
        return ST_OK;
    case CDR_TEXT_NUL:
        return reject(err, f, "%s contains a NUL byte", cdr_field_name(f));
    default:
        return reject(err, f, "%s is not valid UTF-8", cdr_field_name(f));
    }
}

/* Rejects an id (valid UTF-8 already) holding an invisible or
 * direction-changing character, naming the field and the code point. */
static int check_id_chars(cdr_field f, const char *p, size_t len, cdr_error_t *err)
{
    if (f == CDR_F_REASON) {
        /* A case type is shown in sheets and pages: no control character (C0, DEL, C1). */
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)p[i];
            bool c1 = c == 0xC2 && i + 1 < len && (unsigned char)p[i + 1] >= 0x80 &&
                      (unsigned char)p[i + 1] <= 0x9F;
            if (c < 0x20 || c == 0x7f || c1)
                return reject(err, f, "%s contains a control character (byte %zu)",
                              cdr_field_name(f), i + 1);
        }
    }
    uint32_t cp = utf8_invisible(p, len);
    if (cp)
        return reject(err, f, "%s contains U+%04X, an invisible or direction-changing character",
                      cdr_field_name(f), (unsigned)cp);
    return ST_OK;
}

/* Copies an id whose text was checked already, enforcing the length. */
static int copy_id(cdr_t *rec, cdr_field f, const char *p, size_t len, cdr_error_t *err)
{
    size_t off = id_offset(f);
    if (off == NOT_AN_ID)
        return reject(err, f, "%s is not an id field", cdr_field_name(f));
    if (len > CDR_ID_MAX)
        return reject(err, f, "%s is longer than %d bytes", cdr_field_name(f), CDR_ID_MAX);
    if (check_id_chars(f, p, len, err) != ST_OK)
        return ST_ERR_INVALID;
    char *dst = (char *)rec + off;
    if (len)
        memcpy(dst, p, len);
    dst[len] = '\0';
    return ST_OK;
}

int cdr_validate_set_id(cdr_t *rec, cdr_field f, const char *p, size_t len, cdr_error_t *err)
{
    if (id_offset(f) == NOT_AN_ID)
        return reject(err, f, "%s is not an id field", cdr_field_name(f));
    if (len > CDR_ID_MAX)
        return reject(err, f, "%s is longer than %d bytes", cdr_field_name(f), CDR_ID_MAX);
    int rc = check_text(f, p, len, err);
    return rc != ST_OK ? rc : copy_id(rec, f, p, len, err);
}

/* Parses an optional instant; CDR_NONE when not given. */
static int parse_instant(const cdr_row_t *row, cdr_field f, int64_t *us, cdr_error_t *err)
{
    const cdr_text_t *t = &row->v[f];
    *us = CDR_NONE;
    if (t->len == 0)
        return ST_OK;
    char why[80];
    if (rfc3339_parse(t->ptr, t->len, us, why, sizeof why) != ST_OK)
        return reject(err, f, "%s is not a valid RFC 3339 instant with an offset: %s",
                      cdr_field_name(f), why);
    return ST_OK;
}

/* Parses 1..9 ASCII digits; 0 on success, -1 otherwise. */
static int parse_digits(const char *p, size_t len, int32_t *out)
{
    if (len == 0 || len > 9)
        return -1;
    int32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + (int32_t)d;
    }
    *out = v;
    return 0;
}

/* True when p[0..len) is all ASCII digits. */
static int all_digits(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned)(unsigned char)p[i] - '0' > 9)
            return 0;
    return len > 0;
}

/* Parses a whole number of seconds (empty: 0) by the digit rule. */
static int parse_seconds(const cdr_row_t *row, cdr_field f, int32_t *out, cdr_error_t *err)
{
    const cdr_text_t *t = &row->v[f];
    *out = 0;
    if (t->len == 0)
        return ST_OK;
    if (parse_digits(t->ptr, t->len, out) == 0)
        return ST_OK;
    const char *name = cdr_field_name(f);
    if (all_digits(t->ptr, t->len))
        return reject(err, f, "%s is too large (at most 9 digits)", name);
    if (t->ptr[0] == '-' && all_digits(t->ptr + 1, t->len - 1)) {
        int zero = 1;
        for (size_t i = 1; i < t->len; i++)
            zero &= t->ptr[i] == '0';
        if (!zero)
            return reject(err, f, "%s is negative", name);
    }
    return reject(err, f,
                  "%s must be a whole number of seconds written with digits only (no sign, "
                  "decimal point, exponent or spaces)",
                  name);
}

/* Matches t exactly against a NUL-terminated word. */
static int text_is(const cdr_text_t *t, const char *word)
{
    size_t n = strlen(word);
    return t->len == n && memcmp(t->ptr, word, n) == 0;
}

/* Parses "0"/"1" into *out; empty keeps *out (the caller's default). */
static int parse_flag(const cdr_row_t *row, cdr_field f, int8_t *out, cdr_error_t *err)
{
    const cdr_text_t *t = &row->v[f];
    if (t->len == 0)
        return ST_OK;
    if (text_is(t, "0") || text_is(t, "1")) {
        *out = (int8_t)(t->ptr[0] - '0');
        return ST_OK;
    }
    return reject(err, f, "%s must be 0 or 1", cdr_field_name(f));
}

/* Sets *out to the outcome named by t; 0 when t is empty, -1 when unknown. */
static int parse_outcome(const cdr_text_t *t, cdr_outcome *out)
{
    if (t->len == 0)
        return 0;
    if (text_is(t, "answered"))
        *out = CDR_ANSWERED;
    else if (text_is(t, "abandoned"))
        *out = CDR_ABANDONED;
    else if (text_is(t, "overflow"))
        *out = CDR_OVERFLOW;
    else
        return -1;
    return 0;
}

/* Sets *out to the channel named by t (voice when empty); -1 when unknown. */
static int parse_channel(const cdr_text_t *t, cdr_channel *out)
{
    *out = CDR_VOICE;
    if (t->len == 0 || text_is(t, "voice"))
        return 0;
    if (text_is(t, "chat"))
        *out = CDR_CHAT;
    else if (text_is(t, "email"))
        *out = CDR_EMAIL;
    else if (text_is(t, "callback"))
        *out = CDR_CALLBACK;
    else
        return -1;
    return 0;
}

/* The input spelling of an outcome, for messages. */
static const char *outcome_name(cdr_outcome o)
{
    switch (o) {
    case CDR_ANSWERED:
        return "answered";
    case CDR_ABANDONED:
        return "abandoned";
    case CDR_OVERFLOW:
        return "overflow";
    }
    return "?";
}

static int check_record(const cdr_t *rec, int check_text_too, cdr_error_t *err);

int cdr_validate_row(const cdr_row_t *row, cdr_t *out, cdr_error_t *err)
{
    static const cdr_field ids[] = {CDR_F_CALL_ID, CDR_F_QUEUE, CDR_F_AGENT_ID, CDR_F_CUSTOMER_ID,
                                    CDR_F_REASON};
    int rc;
    memset(out, 0, sizeof *out);
    out->answered_us = CDR_NONE;
    out->resolved = -1;

    /* Text validity first, so a broken byte is reported as such and not as,
     * say, a bad instant. */
    for (int f = 0; f < CDR_F_COUNT; f++) {
        const cdr_text_t *t = &row->v[f];
        if (t->len && (rc = check_text((cdr_field)f, t->ptr, t->len, err)) != ST_OK)
            return rc;
    }
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const cdr_text_t *t = &row->v[ids[i]];
        if (t->len && (rc = copy_id(out, ids[i], t->ptr, t->len, err)) != ST_OK)
            return rc;
    }
    if (row->v[CDR_F_CALL_ID].len == 0)
        return reject(err, CDR_F_CALL_ID, "call_id is required");
    if (row->v[CDR_F_QUEUE].len == 0)
        return reject(err, CDR_F_QUEUE, "queue is required");
    if (row->v[CDR_F_OFFERED_AT].len == 0)
        return reject(err, CDR_F_OFFERED_AT, "offered_at is required");
    if ((rc = parse_instant(row, CDR_F_OFFERED_AT, &out->offered_us, err)) != ST_OK ||
        (rc = parse_instant(row, CDR_F_ANSWERED_AT, &out->answered_us, err)) != ST_OK)
        return rc;
    if (row->v[CDR_F_ENDED_AT].len == 0)
        return reject(err, CDR_F_ENDED_AT, "ended_at is required");
    if ((rc = parse_instant(row, CDR_F_ENDED_AT, &out->ended_us, err)) != ST_OK)
        return rc;

    out->outcome = out->answered_us != CDR_NONE ? CDR_ANSWERED : CDR_ABANDONED;
    if (parse_outcome(&row->v[CDR_F_OUTCOME], &out->outcome) != 0) {
        reject(err, CDR_F_OUTCOME, "outcome must be answered, abandoned or overflow");
        err->valid = outcome_names;
        return ST_ERR_INVALID;
    }
    if ((rc = parse_seconds(row, CDR_F_TALK_S, &out->talk_s, err)) != ST_OK ||
        (rc = parse_seconds(row, CDR_F_HOLD_S, &out->hold_s, err)) != ST_OK ||
        (rc = parse_seconds(row, CDR_F_ACW_S, &out->acw_s, err)) != ST_OK)
        return rc;
    if (parse_channel(&row->v[CDR_F_CHANNEL], &out->channel) != 0) {
        reject(err, CDR_F_CHANNEL, "channel must be voice, chat, email or callback");
        err->valid = channel_names;
        return ST_ERR_INVALID;
    }
    if ((rc = parse_flag(row, CDR_F_TRANSFERRED, &out->transferred, err)) != ST_OK ||
        (rc = parse_flag(row, CDR_F_RESOLVED, &out->resolved, err)) != ST_OK)
        return rc;
    const cdr_text_t *cs = &row->v[CDR_F_CSAT];
    if (cs->len) {
        int32_t v = 0;
        if (parse_digits(cs->ptr, cs->len, &v) != 0)
            return reject(err, CDR_F_CSAT, "csat must be a whole number from 1 to 5");
        if (v < 1 || v > 5)
            return reject(err, CDR_F_CSAT, "csat is out of range 1..5");
        out->csat = (int8_t)v;
    }
    return check_record(out, 0, err);
}

/* Checks that an id member is a terminated string, present when required,
 * and (with check_text_too) valid UTF-8 without NUL or invisible characters. */
static int check_id(const cdr_t *rec, cdr_field f, int required, int check_text_too,
                    cdr_error_t *err)
{
    const char *s = (const char *)rec + id_offset(f);
    size_t len = strnlen(s, CDR_ID_MAX + 1);
    if (len > CDR_ID_MAX)
        return reject(err, f, "%s is longer than %d bytes", cdr_field_name(f), CDR_ID_MAX);
    if (required && len == 0)
        return reject(err, f, "%s is required", cdr_field_name(f));
    if (!check_text_too)
        return ST_OK;
    int rc = check_text(f, s, len, err);
    return rc == ST_OK ? check_id_chars(f, s, len, err) : rc;
}

/* The record rules; cdr_validate_row has checked the ids' text already. */
static int check_record(const cdr_t *rec, int check_text_too, cdr_error_t *err)
{
    int rc;
    if ((rc = check_id(rec, CDR_F_CALL_ID, 1, check_text_too, err)) != ST_OK ||
        (rc = check_id(rec, CDR_F_QUEUE, 1, check_text_too, err)) != ST_OK ||
        (rc = check_id(rec, CDR_F_AGENT_ID, 0, check_text_too, err)) != ST_OK ||
        (rc = check_id(rec, CDR_F_CUSTOMER_ID, 0, check_text_too, err)) != ST_OK ||
        (rc = check_id(rec, CDR_F_REASON, 0, check_text_too, err)) != ST_OK)
        return rc;
    if (rec->offered_us == CDR_NONE)
        return reject(err, CDR_F_OFFERED_AT, "offered_at is required");
    if (rec->ended_us == CDR_NONE)
        return reject(err, CDR_F_ENDED_AT, "ended_at is required");
    int answered = rec->answered_us != CDR_NONE;
    if (answered && rec->answered_us < rec->offered_us)
        return reject(err, CDR_F_ANSWERED_AT, "answered_at is before offered_at");
    if (answered && rec->ended_us < rec->answered_us)
        return reject(err, CDR_F_ENDED_AT, "ended_at is before answered_at");
    if (rec->ended_us < rec->offered_us)
        return reject(err, CDR_F_ENDED_AT, "ended_at is before offered_at");
    if (rec->outcome != CDR_ANSWERED && rec->outcome != CDR_ABANDONED &&
        rec->outcome != CDR_OVERFLOW)
        return reject(err, CDR_F_OUTCOME, "outcome must be answered, abandoned or overflow");
    if (rec->outcome == CDR_ANSWERED && !answered)
        return reject(err, CDR_F_OUTCOME, "outcome is answered but answered_at is empty");
    if (rec->outcome != CDR_ANSWERED && answered)
        return reject(err, CDR_F_OUTCOME, "outcome is %s but answered_at is set",
                      outcome_name(rec->outcome));
    if (answered && rec->agent_id[0] == '\0')
        return reject(err, CDR_F_AGENT_ID, "agent_id is required when answered_at is set");
    if (rec->channel < CDR_VOICE || rec->channel > CDR_CALLBACK)
        return reject(err, CDR_F_CHANNEL, "channel must be voice, chat, email or callback");
    if (rec->talk_s < 0)
        return reject(err, CDR_F_TALK_S, "talk_s is negative");
    if (rec->hold_s < 0)
        return reject(err, CDR_F_HOLD_S, "hold_s is negative");
    if (rec->acw_s < 0)
        return reject(err, CDR_F_ACW_S, "acw_s is negative");
    if (rec->transferred != 0 && rec->transferred != 1)
        return reject(err, CDR_F_TRANSFERRED, "transferred must be 0 or 1");
    if (rec->resolved < -1 || rec->resolved > 1)
        return reject(err, CDR_F_RESOLVED, "resolved must be 0 or 1");
    if (rec->csat < 0 || rec->csat > 5)
        return reject(err, CDR_F_CSAT, "csat is out of range 1..5");
    return ST_OK;
}

int cdr_validate_record(const cdr_t *rec, cdr_error_t *err)
{
    return check_record(rec, 1, err);
}
