/* cdr_json.c - contacts as a JSON array of objects or as NDJSON (see
 * cdr_reader.h).  A byte scanner finds each array element (or line) and
 * jansson parses it, so memory holds one element at a time. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cdr_reader_int.h"
#include "faults.h"
#include "status.h"

enum json_state {
    JSON_BEFORE_ARRAY, /* whitespace, then '[' */
    JSON_FIRST_ELEM,   /* after '[': an element or ']' */
    JSON_NEXT_ELEM,    /* after ',': an element */
    JSON_IN_ELEM,      /* inside an element */
    JSON_AFTER_ELEM,   /* after an element: ',' or ']' */
    JSON_AFTER_ARRAY,  /* after ']': whitespace only */
    JSON_NDJSON,       /* NDJSON: collecting a line */
};

/* How an element's scanner classifies it (cdr_json_state_t.scalar). */
enum { ELEM_CONTAINER = 0, ELEM_STRING = 1, ELEM_BARE = 2 };

/* How a field's JSON value may be typed. */
enum { KIND_TEXT, KIND_COUNT, KIND_FLAG };

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

/* JSON whitespace (RFC 8259: space, tab, LF, CR). */
static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void cdr_json_init(cdr_reader_t *r)
{
    cdr_json_state_t *s = &r->json;
    s->state = r->fmt == CDR_FMT_NDJSON ? JSON_NDJSON : JSON_BEFORE_ARRAY;
    s->line = 1;
    buf_init(&s->elem, CDR_READER_MAX_RECORD);
}

void cdr_json_free(cdr_reader_t *r)
{
    buf_free(&r->json.elem);
}

/* ---- locating a member in an element jansson refused ---- */

typedef struct json_member {
    const char *key; /* raw, between the quotes, escapes not decoded */
    size_t klen;
    const char *val; /* raw value text */
    size_t vlen;
} json_member_t;

typedef struct member_iter {
    const char *p;
    size_t len, i;
    int started, done;
} member_iter_t;

/* Index after whitespace from i. */
static size_t skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && is_ws(p[i]))
        i++;
    return i;
}

/* Index after the string that opens at p[i] == '"'; SIZE_MAX if unclosed. */
static size_t skip_string(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return SIZE_MAX;
}

/* The next top-level member of the object text; 0 when there is none or
 * the text stops making sense (it may be invalid: this is an error path). */
static int member_next(member_iter_t *it, json_member_t *m)
{
    const char *p = it->p;
    size_t n = it->len, i = it->i;
    if (it->done)
        return 0;
    it->done = 1; /* until proven otherwise */
    if (!it->started) {
        i = skip_ws(p, n, i);
        if (i >= n || p[i] != '{')
            return 0;
        i++;
        it->started = 1;
    }
    i = skip_ws(p, n, i);
    if (i < n && p[i] == ',')
        i = skip_ws(p, n, i + 1);
    if (i >= n || p[i] != '"')
        return 0;
    size_t kend = skip_string(p, n, i);
    if (kend == SIZE_MAX)
        return 0;
    m->key = p + i + 1;
    m->klen = kend - i - 2;
    i = skip_ws(p, n, kend);
    if (i >= n || p[i] != ':')
        return 0;
    i = skip_ws(p, n, i + 1);
    size_t vs = i, depth = 0;
    while (i < n) {
        char c = p[i];
        if (c == '"') {
            i = skip_string(p, n, i);
            if (i == SIZE_MAX)
                return 0;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                break;
            depth--;
        } else if (c == ',' && depth == 0) {
            break;
        }
        i++;
    }
    if (i >= n)
        return 0;
    size_t ve = i;
    while (ve > vs && is_ws(p[ve - 1]))
        ve--;
    m->val = p + vs;
    m->vlen = ve - vs;
    it->i = i;
    it->done = p[i] != ',';
    return 1;
}

/* Rejects the row for a load error jansson attributes to one member (bad
 * UTF-8, a duplicate key, a number too large); 1 = handled (*rc set), 0 =
 * no member fits, so it is a syntax problem after all. */
static int member_error(cdr_reader_t *r, const char *p, size_t len, uint64_t line,
                        const json_error_t *jerr, int *rc)
{
    member_iter_t it = {.p = p, .len = len};
    json_member_t m;
    char name[CDR_NAME_MAX];
    int code = json_error_code(jerr);
    size_t pos = jerr->position > 0 ? (size_t)jerr->position : 0;
    while (member_next(&it, &m)) {
        size_t vstart = (size_t)(m.val - p), kend = (size_t)(m.key - p) + m.klen + 1;
        if (code == json_error_invalid_utf8) {
            if (cdr_validate_text(m.key, m.klen) == CDR_TEXT_BAD_UTF8) {
                *rc = cdr_reader_reject(r, line, "", "a key is not valid UTF-8");
                return 1;
            }
            if (cdr_validate_text(m.val, m.vlen) == CDR_TEXT_BAD_UTF8) {
                cdr_reader_copy_name(name, sizeof name, m.key, m.klen);
                *rc = cdr_reader_reject(r, line, name, "%s is not valid UTF-8", name);
                return 1;
            }
        } else if (code == json_error_duplicate_key && kend == pos) {
            cdr_reader_copy_name(name, sizeof name, m.key, m.klen);
            *rc = cdr_reader_reject(r, line, name, "key \"%s\" appears more than once", name);
            return 1;
        } else if (code == json_error_numeric_overflow && vstart < pos && pos <= vstart + m.vlen) {
            cdr_reader_copy_name(name, sizeof name, m.key, m.klen);
            *rc = cdr_reader_reject(r, line, name, "%s is too large a number", name);
            return 1;
        }
    }
    return 0;
}

/* A json_loadb failure: a row error when it concerns one value (or the
 * input is NDJSON, where lines are independent), else fatal. */
static int load_error(cdr_reader_t *r, const char *p, size_t len, uint64_t line,
                      const json_error_t *jerr)
{
    int rc = ST_OK;
    switch (json_error_code(jerr)) {
    case json_error_invalid_utf8:
    case json_error_duplicate_key:
    case json_error_numeric_overflow:
        if (member_error(r, p, len, line, jerr, &rc))
            return rc;
        if (json_error_code(jerr) != json_error_invalid_utf8)
            return cdr_reader_reject(r, line, "", "%s", jerr->text);
        break;
    case json_error_null_byte_in_key:
        return cdr_reader_reject(r, line, "", "a key contains a NUL character (\\u0000)");
    default:
        break;
    }
    if (r->fmt == CDR_FMT_NDJSON)
        return cdr_reader_reject(r, line, "", "invalid JSON at column %d: %s", jerr->column,
                                 jerr->text);
    return cdr_reader_fail(r, ST_ERR_INVALID, line, "", "invalid JSON at line %" PRIu64 ": %s",
                           line + (uint64_t)(jerr->line > 0 ? jerr->line - 1 : 0), jerr->text);
}

/* ---- one object -> one row ---- */

static int field_kind(cdr_field f)
{
    switch (f) {
    case CDR_F_TALK_S:
    case CDR_F_HOLD_S:
    case CDR_F_ACW_S:
    case CDR_F_CSAT:
        return KIND_COUNT;
    case CDR_F_TRANSFERRED:
    case CDR_F_RESOLVED:
        return KIND_FLAG;
    default:
        return KIND_TEXT;
    }
}

/* The type error message for field f. */
static const char *type_error(int kind)
{
    switch (kind) {
    case KIND_COUNT:
        return "must be a whole number";
    case KIND_FLAG:
        return "must be 0 or 1";
    default:
        return "must be a string";
    }
}

/* Turns a JSON value into the text cdr_validate reads; NULL or a message. */
static const char *value_text(cdr_json_state_t *s, cdr_field f, json_t *v, cdr_text_t *out)
{
    int kind = field_kind(f);
    switch (json_typeof(v)) {
    case JSON_NULL:
        out->ptr = NULL;
        out->len = 0;
        return NULL;
    case JSON_STRING:
        out->ptr = json_string_value(v);
        out->len = json_string_length(v);
        return NULL;
    case JSON_INTEGER:
        if (kind == KIND_TEXT)
            return type_error(kind);
        out->len = (size_t)snprintf(s->num[f], sizeof s->num[f], "%" JSON_INTEGER_FORMAT,
                                    json_integer_value(v));
        out->ptr = s->num[f];
        return NULL;
    case JSON_REAL:
        if (kind == KIND_COUNT)
            return "must be a whole number (got a fraction or an exponent)";
        return type_error(kind);
    case JSON_TRUE:
    case JSON_FALSE:
        if (kind != KIND_FLAG)
            return type_error(kind);
        out->ptr = json_is_true(v) ? "1" : "0";
        out->len = 1;
        return NULL;
    default:
        return type_error(kind);
    }
}

/* Maps an object's members to a row and delivers it. */
static int object_row(cdr_reader_t *r, json_t *obj, uint64_t line)
{
    cdr_row_t row;
    memset(&row, 0, sizeof row);
    const char *key;
    json_t *val;
    char name[CDR_NAME_MAX];
    json_object_foreach(obj, key, val)
    {
        size_t klen = strlen(key);
        int f = cdr_field_lookup(key, klen);
        if (f < 0) {
            if (klen >= 2 && key[0] == 'x' && key[1] == '_')
                continue;
            char known[400];
            cdr_reader_copy_name(name, sizeof name, key, klen);
            return cdr_reader_reject_valid(
                r, line, name, cdr_field_names(),
                "unknown key \"%s\" (names are exact and case-sensitive; prefix a key with x_ "
                "to have it ignored; known keys: %s)",
                name, faults_join(cdr_field_names(), known, sizeof known));
        }
        const char *why = value_text(&r->json, (cdr_field)f, val, &row.v[f]);
        if (why)
            return cdr_reader_reject(r, line, key, "%s %s", key, why);
    }
    return cdr_reader_deliver(r, &row, line);
}

/* Parses one element (array) or line (NDJSON) and reports it. */
static int handle_value(cdr_reader_t *r, const char *p, size_t len, uint64_t line)
{
    json_error_t jerr;
    json_t *v =
        json_loadb(p, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        return load_error(r, p, len, line, &jerr);
    int rc;
    if (!json_is_object(v))
        rc = cdr_reader_reject(r, line, "",
                               r->fmt == CDR_FMT_NDJSON ? "the line is not a JSON object"
                                                        : "the array element is not a JSON object");
    else
        rc = object_row(r, v, line);
    json_decref(v);
    return rc;
}

/* ---- the array scanner ---- */

/* Bytes that end a bare (number or literal) element. */
static int ends_bare(char c)
{
    return is_ws(c) || c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '"';
}

/* Appends element bytes, failing past the cap. */
static int elem_append(cdr_reader_t *r, const char *p, size_t n)
{
    cdr_json_state_t *s = &r->json;
    if (buf_append(&s->elem, p, n) != ST_OK)
        return cdr_reader_fail(r, ST_ERR_TOO_LARGE, s->elem_line, "",
                               r->fmt == CDR_FMT_NDJSON
                                   ? "the line is longer than %u bytes"
                                   : "the array element is longer than %u bytes",
                               CDR_READER_MAX_RECORD);
    return ST_OK;
}

/* Parses the element collected and resets for the next one. */
static int elem_done(cdr_reader_t *r)
{
    cdr_json_state_t *s = &r->json;
    s->state = JSON_AFTER_ELEM;
    if (s->elem.len == 0)
        return cdr_reader_fail(r, ST_ERR_INVALID, s->elem_line, "",
                               "expected a value on line %" PRIu64, s->elem_line);
    int rc = handle_value(r, s->elem.data, s->elem.len, s->elem_line);
    buf_reset(&s->elem);
    return rc;
}

/* Scans element bytes from p; returns the first byte not consumed. */
static const char *scan_elem(cdr_reader_t *r, const char *p, const char *end, int *rc)
{
    cdr_json_state_t *s = &r->json;
    const char *start = p;
    int done = 0;
    for (; p < end; p++) {
        char c = *p;
        if (s->in_string) {
            if (s->escape) {
                s->escape = 0;
            } else if (c == '\\') {
                s->escape = 1;
            } else if (c == '"') {
                s->in_string = 0;
                if (s->depth == 0) { /* a string element ends here */
                    p++;
                    done = 1;
                    break;
                }
            } else if (c == '\n') {
                s->line++;
            }
        } else if (s->scalar == ELEM_BARE) {
            if (ends_bare(c)) {
                done = 1;
                break;
            }
        } else if (c == '"') {
            s->in_string = 1;
        } else if (c == '{' || c == '[') {
            s->depth++;
        } else if (c == '}' || c == ']') {
            if (--s->depth == 0) {
                p++;
                done = 1;
                break;
            }
        } else if (c == '\n') {
            s->line++;
        }
    }
    if ((*rc = elem_append(r, start, (size_t)(p - start))) != ST_OK)
        return p;
    if (done)
        *rc = elem_done(r);
    return p;
}

/* The array state machine over [p, end). */
static int feed_array(cdr_reader_t *r, const char *p, const char *end)
{
    cdr_json_state_t *s = &r->json;
    int rc = ST_OK;
    while (p < end) {
        char c = *p;
        if (s->state == JSON_IN_ELEM) {
            p = scan_elem(r, p, end, &rc);
            if (rc != ST_OK)
                return rc;
            continue;
        }
        if (is_ws(c)) {
            s->line += c == '\n';
            p++;
            continue;
        }
        s->seen_data = 1;
        switch (s->state) {
        case JSON_BEFORE_ARRAY:
            if (c != '[')
                return cdr_reader_fail(r, ST_ERR_INVALID, s->line, "",
                                       "the body is not a JSON array (expected '['; send one "
                                       "object per line as NDJSON)");
            s->state = JSON_FIRST_ELEM;
            p++;
            continue;
        case JSON_FIRST_ELEM:
        case JSON_NEXT_ELEM:
            if (c == ']' && s->state == JSON_FIRST_ELEM) {
                s->state = JSON_AFTER_ARRAY;
                p++;
                continue;
            }
            if (c == ']' || c == ',')
                return cdr_reader_fail(r, ST_ERR_INVALID, s->line, "",
                                       "expected a value before '%c' on line %" PRIu64, c, s->line);
            s->elem_line = s->line;
            s->in_string = s->escape = 0;
            s->depth = 0;
            s->scalar = c == '{' || c == '[' ? ELEM_CONTAINER : c == '"' ? ELEM_STRING : ELEM_BARE;
            if (s->scalar == ELEM_BARE && ends_bare(c))
                return cdr_reader_fail(r, ST_ERR_INVALID, s->line, "",
                                       "expected a value on line %" PRIu64, s->line);
            s->state = JSON_IN_ELEM;
            continue;
        case JSON_AFTER_ELEM:
            if (c == ',')
                s->state = JSON_NEXT_ELEM;
            else if (c == ']')
                s->state = JSON_AFTER_ARRAY;
            else
                return cdr_reader_fail(r, ST_ERR_INVALID, s->line, "",
                                       "expected ',' or ']' after the element on line %" PRIu64,
                                       s->elem_line);
            p++;
            continue;
        case JSON_AFTER_ARRAY:
            return cdr_reader_fail(r, ST_ERR_INVALID, s->line, "",
                                   "unexpected data after the closing ']' of the array");
        default:
            return cdr_reader_fail(r, ST_ERR_INTERNAL, s->line, "", "bad scanner state");
        }
    }
    return ST_OK;
}

/* ---- NDJSON ---- */

/* Parses a complete line unless it is blank. */
static int ndjson_line(cdr_reader_t *r)
{
    cdr_json_state_t *s = &r->json;
    const char *p = s->elem.data;
    size_t n = s->elem.len;
    int rc = ST_OK;
    while (n > 0 && is_ws(p[n - 1]))
        n--;
    size_t i = 0;
    while (i < n && is_ws(p[i]))
        i++;
    if (i < n) {
        s->seen_data = 1;
        rc = handle_value(r, p + i, n - i, s->line);
    }
    buf_reset(&s->elem);
    return rc;
}

/* The NDJSON line splitter over [p, end). */
static int feed_ndjson(cdr_reader_t *r, const char *p, const char *end)
{
    cdr_json_state_t *s = &r->json;
    int rc;
    while (p < end) {
        s->elem_line = s->line;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if ((rc = elem_append(r, p, (size_t)(stop - p))) != ST_OK)
            return rc;
        p = stop;
        if (nl) {
            p++;
            rc = ndjson_line(r);
            s->line++;
            if (rc != ST_OK)
                return rc;
        }
    }
    return ST_OK;
}

/* Dispatches bytes (after the BOM check) to the format's scanner. */
static int feed_core(cdr_reader_t *r, const char *p, const char *end)
{
    return r->fmt == CDR_FMT_NDJSON ? feed_ndjson(r, p, end) : feed_array(r, p, end);
}

int cdr_json_feed(cdr_reader_t *r, const char *data, size_t len)
{
    cdr_json_state_t *s = &r->json;
    const char *p = data, *end = data + len;
    /* A BOM may arrive split across calls: hold its prefix until decided. */
    while (!s->bom_done && p < end) {
        if ((unsigned char)*p == utf8_bom[s->bom_len]) {
            p++;
            if (++s->bom_len == 3)
                s->bom_done = 1;
        } else {
            s->bom_done = 1;
            int rc = feed_core(r, (const char *)utf8_bom, (const char *)utf8_bom + s->bom_len);
            if (rc != ST_OK)
                return rc;
        }
    }
    return feed_core(r, p, end);
}

int cdr_json_finish(cdr_reader_t *r)
{
    cdr_json_state_t *s = &r->json;
    int rc;
    if (!s->bom_done) {
        s->bom_done = 1;
        rc = feed_core(r, (const char *)utf8_bom, (const char *)utf8_bom + s->bom_len);
        if (rc != ST_OK)
            return rc;
    }
    if (r->fmt == CDR_FMT_NDJSON) {
        s->elem_line = s->line;
        if ((rc = ndjson_line(r)) != ST_OK)
            return rc;
        if (!s->seen_data)
            return cdr_reader_fail(r, ST_ERR_INVALID, 1, "", "the body is empty");
        return ST_OK;
    }
    switch (s->state) {
    case JSON_AFTER_ARRAY:
        return ST_OK;
    case JSON_BEFORE_ARRAY:
        return cdr_reader_fail(r, ST_ERR_INVALID, 1, "", "the body is empty");
    case JSON_IN_ELEM:
        return cdr_reader_fail(r, ST_ERR_INVALID, s->elem_line, "",
                               "the element starting on line %" PRIu64
                               " is not complete at the end of the body (cut off?)",
                               s->elem_line);
    default:
        return cdr_reader_fail(r, ST_ERR_INVALID, s->line, "",
                               "the body ends before the closing ']' of the array (cut off?)");
    }
}
