/* qa_ingest.c - staged, transactional QA ingestion (see qa_ingest.h). */
#include "qa_ingest.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "csv.h"
#include "hash.h"
#include "json_split.h"
#include "qa_form.h"
#include "qa_records.h"
#include "qa_score.h"
#include "rfc3339.h"
#include "status.h"
#include "xmem.h"

#define STAGE_CHUNK    1000       /* rows per bulk insert into a staging table */
#define MAX_RECORD     (1u << 20) /* bytes in one CSV record or JSON object */
#define MAX_IDS_LISTED 100        /* updated ids listed in a receipt */
#define MAX_COLS       12         /* known columns of any kind */
#define ID_BUF         (QA_ID_MAX + 1)
#define HASH_TEXT_MAX  (4u << 20) /* canonical text of one record, for its hash */

/* ---- staging rows (row-wise bulk binding, db.h) ---- */

typedef struct eval_row {
    int64_t seq, line;
    char evaluation_id[ID_BUF], call_id[ID_BUF], agent_id[ID_BUF], inspector_id[ID_BUF],
        form_id[ID_BUF];
    int64_t form_version, evaluated_us;
    char score[32], raw[32]; /* %.17g: exact for a DOUBLE column */
    int8_t fatal, defect;
    char hash_hex[33];
    signed char ind_str;
} eval_row_t;

typedef struct item_row {
    int64_t owner; /* seq of the evaluation or calibration participant */
    char item_id[ID_BUF];
    char result[16];
    int32_t earned_c, possible_c; /* hundredths of a point */
    signed char ind_str;
} item_row_t;

typedef struct cal_row {
    int64_t seq, grp, line;
    char session_id[ID_BUF], inspector_id[ID_BUF], call_id[ID_BUF], form_id[ID_BUF];
    int64_t form_version, evaluated_us;
    int8_t is_reference;
    char score[32];
    char hash_hex[33]; /* of the whole session */
    signed char ind_str;
} cal_row_t;

typedef struct appeal_row {
    int64_t line;
    char evaluation_id[ID_BUF];
    int64_t appealed_us, decided_us;
    int8_t outcome;
    char new_score[32];
    char hash_hex[33];
    signed char ind_str, ind_score;
} appeal_row_t;

#define STR(type) offsetof(type, ind_str)
#define COL(type, f, t)                                                                            \
    {                                                                                              \
        t, offsetof(type, f), -1                                                                   \
    }
#define SCOL(type, f)                                                                              \
    {                                                                                              \
        DBB_STR, offsetof(type, f), (long)STR(type)                                                \
    }

static const db_bulk_col_t eval_cols[] = {
    COL(eval_row_t, seq, DBB_I64),
    COL(eval_row_t, line, DBB_I64),
    SCOL(eval_row_t, evaluation_id),
    SCOL(eval_row_t, call_id),
    SCOL(eval_row_t, agent_id),
    SCOL(eval_row_t, inspector_id),
    SCOL(eval_row_t, form_id),
    COL(eval_row_t, form_version, DBB_I64),
    COL(eval_row_t, evaluated_us, DBB_I64),
    SCOL(eval_row_t, score),
    SCOL(eval_row_t, raw),
    COL(eval_row_t, fatal, DBB_I8),
    COL(eval_row_t, defect, DBB_I8),
    SCOL(eval_row_t, hash_hex),
};
static const db_bulk_col_t item_cols[] = {
    COL(item_row_t, owner, DBB_I64),
    SCOL(item_row_t, item_id),
    SCOL(item_row_t, result),
    COL(item_row_t, earned_c, DBB_I32),
    COL(item_row_t, possible_c, DBB_I32),
};
static const db_bulk_col_t cal_cols[] = {
    COL(cal_row_t, seq, DBB_I64),
    COL(cal_row_t, grp, DBB_I64),
    COL(cal_row_t, line, DBB_I64),
    SCOL(cal_row_t, session_id),
    SCOL(cal_row_t, inspector_id),
    SCOL(cal_row_t, call_id),
    SCOL(cal_row_t, form_id),
    COL(cal_row_t, form_version, DBB_I64),
    COL(cal_row_t, evaluated_us, DBB_I64),
    COL(cal_row_t, is_reference, DBB_I8),
    SCOL(cal_row_t, score),
    SCOL(cal_row_t, hash_hex),
};
static const db_bulk_col_t appeal_cols[] = {
    COL(appeal_row_t, line, DBB_I64),
    SCOL(appeal_row_t, evaluation_id),
    COL(appeal_row_t, appealed_us, DBB_I64),
    COL(appeal_row_t, decided_us, DBB_I64),
    COL(appeal_row_t, outcome, DBB_I8),
    {DBB_STR, offsetof(appeal_row_t, new_score), (long)offsetof(appeal_row_t, ind_score)},
    SCOL(appeal_row_t, hash_hex),
};
#undef COL
#undef SCOL
#undef STR

/* A bulk statement with its buffer of pending rows. */
typedef struct stager {
    db_bulk_t *bulk;
    char *rows;
    size_t row_size, n;
} stager_t;

/* ---- the columns of each kind ---- */

typedef struct col_spec {
    const char *name;
    bool required;
} col_spec_t;

enum {
    EV_ID,
    EV_CALL,
    EV_AGENT,
    EV_INSPECTOR,
    EV_FORM,
    EV_VERSION,
    EV_AT,
    EV_ITEM,
    EV_RESULT,
    EV_SCORE,
    EV_N
};
static const col_spec_t eval_spec[EV_N] = {
    {"evaluation_id", true}, {"call_id", true},      {"agent_id", true},     {"inspector_id", true},
    {"form_id", true},       {"form_version", true}, {"evaluated_at", true}, {"item_id", true},
    {"result", true},        {"score", false},
};

enum {
    CA_SESSION,
    CA_CALL,
    CA_INSPECTOR,
    CA_REF,
    CA_AT,
    CA_ITEM,
    CA_RESULT,
    CA_FORM,
    CA_VERSION,
    CA_N
};
static const col_spec_t cal_spec[CA_N] = {
    {"session_id", true},   {"call_id", true},      {"inspector_id", true},
    {"is_reference", true}, {"evaluated_at", true}, {"item_id", true},
    {"result", true},       {"form_id", true},      {"form_version", true},
};

enum { AP_ID, AP_APPEALED, AP_DECIDED, AP_OUTCOME, AP_SCORE, AP_N };
static const col_spec_t appeal_spec[AP_N] = {
    {"evaluation_id", true}, {"appealed_at", true}, {"decided_at", true},
    {"outcome", true},       {"new_score", false},
};

/* A scorecard version loaded for this batch (form NULL: no such version). */
typedef struct form_entry {
    char form_id[ID_BUF];
    int64_t version;
    qa_form_t *form;
    qa_score_eval_t *ev;
    qa_rec_session_t *sess;
} form_entry_t;

/* The evaluation being assembled from CSV rows or one JSON object. */
typedef struct eval_cur {
    bool open, bad, has_score;
    uint64_t line;
    const char *item_field; /* the field named for item errors: item_id (CSV) or items (JSON) */
    char v[EV_N][ID_BUF];   /* the first row's values (score and item columns unused) */
    int64_t version, at_us;
    double score;
    form_entry_t *fe;
} eval_cur_t;

/* The calibration session being assembled. */
typedef struct cal_cur {
    bool open, bad;
    uint64_t line;
    const char *part_field; /* inspector_id (CSV) or participants (JSON) */
    char v[CA_N][ID_BUF];
    int64_t version;
    form_entry_t *fe;
    int64_t at_us[QA_REC_MAX_PARTICIPANTS];
    uint64_t part_line[QA_REC_MAX_PARTICIPANTS];
} cal_cur_t;

struct qa_ingest {
    db_t *db;
    uint64_t tenant_id;
    qa_kind kind;
    ingest_format fmt;
    batch_t *batch;
    batch_counts_t *n;
    csv_reader_t *csv;
    json_split_t *split;
    const col_spec_t *spec;
    size_t nspec;
    int *col_of;  /* spec index of each CSV column, -1 for x_ columns */
    size_t ncols; /* CSV columns in the header; 0 before it */
    stager_t main, items;
    int64_t seq, grp;
    form_entry_t **forms; /* pointers: entries stay put while the list grows */
    size_t nforms;
    eval_cur_t ev;
    cal_cur_t cal;
    buf_t hash_text;
    uint64_t unknown_contacts;
    json_t *updated_ids;
    bool fatal, finished, header_failed;
    int db_rc;
};

/* ---- small helpers ---- */

/* Copies src into a fixed buffer (ids are checked to fit before). */
static void copy_id(char *dst, const char *src)
{
    snprintf(dst, ID_BUF, "%s", src);
}

/* The field a qa_form/qa_score/qa_records message is about ("field: reason"), else fallback. */
static const char *message_field(const char *msg, const char *fallback)
{
    static const char *const known[] = {"evaluation_id", "outcome",   "decided_at",
                                        "appealed_at",   "new_score", "is_reference",
                                        "inspector_id",  "session_id"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t n = strlen(known[i]);
        if (strncmp(msg, known[i], n) == 0 && msg[n] == ':')
            return known[i];
    }
    return fallback;
}

/* Parses form_version text: 1..2^31-1 in plain digits. */
static bool version_parse(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > INT32_MAX)
            return false;
    }
    *out = v;
    return i > 0 && s[i] == '\0' && v >= 1;
}

/* Formats a score for a DOUBLE column, exactly. */
static void score_text(double v, char out[32])
{
    snprintf(out, 32, "%.17g", v);
}

/* Rejects one record (counted) with "field: message"; keeps ingesting. */
static void reject(qa_ingest_t *g, uint64_t line, const char *field, const char *msg)
{
    batch_reject_row(g->batch, line, field, msg);
}

/* Sends a stager's pending rows. */
static int stager_flush(qa_ingest_t *g, stager_t *st)
{
    if (st->n == 0 || g->db_rc != ST_OK)
        return g->db_rc;
    g->db_rc = db_bulk_exec(st->bulk, st->rows, st->n);
    st->n = 0;
    return g->db_rc;
}

/* The next free row of a stager, zeroed (flushing when full), or NULL after a database error. */
static void *stager_next(qa_ingest_t *g, stager_t *st)
{
    if (st->n == STAGE_CHUNK && stager_flush(g, st) != ST_OK)
        return NULL;
    if (g->db_rc != ST_OK)
        return NULL;
    void *row = st->rows + st->n++ * st->row_size;
    memset(row, 0, st->row_size);
    return row;
}

/* Prepares a stager for `sql` with the given columns. */
static int stager_open(qa_ingest_t *g, stager_t *st, const char *sql, const db_bulk_col_t *cols,
                       size_t ncols, size_t row_size)
{
    st->row_size = row_size;
    st->rows = xcalloc(STAGE_CHUNK, row_size);
    return db_bulk_prepare(g->db, sql, cols, ncols, row_size, &st->bulk);
}

/* Hashes the canonical text collected in g->hash_text into 32 hex digits. */
static void hash_record(qa_ingest_t *g, char out[33])
{
    uint8_t d[HASH_SHA256_LEN];
    hash_sha256(g->hash_text.data ? g->hash_text.data : "", g->hash_text.len, d);
    hash_hex(d, 16, out);
    buf_reset(&g->hash_text);
}

/* Loads (once per batch) the scorecard version a record names. */
static int form_get(qa_ingest_t *g, const char *form_id, int64_t version, form_entry_t **out)
{
    for (size_t i = 0; i < g->nforms; i++)
        if (g->forms[i]->version == version && strcmp(g->forms[i]->form_id, form_id) == 0) {
            *out = g->forms[i];
            return ST_OK;
        }
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(g->tenant_id), db_str(form_id), db_i64(version)};
    int rc = db_exec(
        g->db, "SELECT body FROM qa_forms WHERE tenant_id = ? AND form_id = ? AND version = ?", v,
        3, &res);
    if (rc != ST_OK) {
        g->db_rc = rc;
        return rc;
    }
    g->forms = xrealloc(g->forms, (g->nforms + 1) * sizeof *g->forms);
    form_entry_t *fe = xcalloc(1, sizeof *fe);
    g->forms[g->nforms++] = fe;
    copy_id(fe->form_id, form_id);
    fe->version = version;
    if (db_res_next(res)) {
        size_t len = 0;
        const char *body = db_res_str(res, 0, &len);
        char err[256];
        if (qa_form_parse(body, len, &fe->form, err, sizeof err) == ST_OK) {
            fe->ev = qa_score_eval_new(fe->form);
            fe->sess = qa_rec_session_new(fe->form);
        }
    }
    db_res_free(res);
    *out = fe;
    return ST_OK;
}

/* Checks an id column; false after rejecting the record. */
static bool check_id(qa_ingest_t *g, uint64_t line, const char *name, const char *value)
{
    if (qa_form_id_valid(value))
        return true;
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s", name,
             value[0] ? "must be 1-64 visible ASCII characters" : "required");
    reject(g, line, name, msg);
    return false;
}

/* Parses an instant column; false after rejecting the record. */
static bool check_instant(qa_ingest_t *g, uint64_t line, const char *name, const char *value,
                          int64_t *us)
{
    char why[128], msg[200];
    if (!value[0])
        snprintf(why, sizeof why, "required");
    else if (rfc3339_parse(value, strlen(value), us, why, sizeof why) == ST_OK)
        return true;
    snprintf(msg, sizeof msg, "%s: %s", name, why);
    reject(g, line, name, msg);
    return false;
}

/* Resolves form_id + form_version to a loaded form; false after rejecting the record. */
static bool check_form(qa_ingest_t *g, uint64_t line, const char *form_id, const char *version,
                       int64_t *v, form_entry_t **fe)
{
    if (!check_id(g, line, "form_id", form_id))
        return false;
    if (!version_parse(version, v)) {
        reject(g, line, "form_version", "form_version: must be a whole number >= 1");
        return false;
    }
    if (form_get(g, form_id, *v, fe) != ST_OK)
        return false;
    if (!(*fe)->form) {
        char msg[200];
        snprintf(msg, sizeof msg, "form_version: form \"%s\" has no version %" PRId64, form_id, *v);
        reject(g, line, "form_version", msg);
        return false;
    }
    return true;
}

/* Appends one item row per given result (owner = a staged record's seq) and hashes them. */
static int stage_items(qa_ingest_t *g, const qa_form_t *form, const qa_result_t *res, int64_t owner)
{
    for (size_t i = 0; i < qa_form_item_count(form); i++) {
        if (res[i].kind == QA_RESULT_NONE)
            continue;
        const qa_item_t *it = qa_form_item(form, i);
        item_row_t *r = stager_next(g, &g->items);
        if (!r)
            return g->db_rc;
        r->owner = owner;
        copy_id(r->item_id, it->id);
        qa_score_result_format(&res[i], r->result, sizeof r->result);
        r->earned_c = res[i].centi;
        r->possible_c = res[i].kind == QA_RESULT_NA ? 0 : it->max * 100;
        r->ind_str = DB_IND_NTS;
    }
    return ST_OK;
}

/* Adds a result list to the record's canonical text. */
static void hash_items(qa_ingest_t *g, const qa_form_t *form, const qa_result_t *res)
{
    for (size_t i = 0; i < qa_form_item_count(form); i++) {
        if (res[i].kind == QA_RESULT_NONE)
            continue;
        char t[16];
        qa_score_result_format(&res[i], t, sizeof t);
        buf_printf(&g->hash_text, "\x1e%s\x1f%s", qa_form_item(form, i)->id, t);
    }
}

/* ---- evaluations ---- */

/* Ends the open evaluation: score it, check a supplied total, stage it. */
static int eval_end(qa_ingest_t *g)
{
    eval_cur_t *c = &g->ev;
    if (!c->open)
        return ST_OK;
    c->open = false;
    if (c->bad)
        return ST_OK;
    qa_score_t sc;
    char err[300];
    if (qa_score_eval_finish(c->fe->ev, &sc, err, sizeof err) != ST_OK) {
        reject(g, c->line, c->item_field, err);
        return ST_OK;
    }
    if (c->has_score && qa_score_check_total(c->score, sc.score, err, sizeof err) != ST_OK) {
        char msg[360];
        snprintf(msg, sizeof msg, "score: %s", err);
        reject(g, c->line, "score", msg);
        return ST_OK;
    }
    g->n->rows++;
    eval_row_t *r = stager_next(g, &g->main);
    if (!r)
        return g->db_rc;
    r->seq = ++g->seq;
    r->line = (int64_t)c->line;
    copy_id(r->evaluation_id, c->v[EV_ID]);
    copy_id(r->call_id, c->v[EV_CALL]);
    copy_id(r->agent_id, c->v[EV_AGENT]);
    copy_id(r->inspector_id, c->v[EV_INSPECTOR]);
    copy_id(r->form_id, c->v[EV_FORM]);
    r->form_version = c->version;
    r->evaluated_us = c->at_us;
    score_text(sc.score, r->score);
    score_text(sc.raw, r->raw);
    r->fatal = sc.fatal;
    r->defect = sc.defect;
    r->ind_str = DB_IND_NTS;
    const qa_form_t *form = c->fe->form;
    const qa_result_t *res = qa_score_eval_results(c->fe->ev);
    buf_printf(&g->hash_text, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%" PRId64 "\x1f%" PRId64,
               r->evaluation_id, r->call_id, r->agent_id, r->inspector_id, r->form_id,
               r->form_version, r->evaluated_us);
    hash_items(g, form, res);
    hash_record(g, r->hash_hex);
    return stage_items(g, form, res, r->seq);
}

/* Starts an evaluation from its identifying values (after ending the open one). */
static int eval_start(qa_ingest_t *g, uint64_t line, const char *const *v, const char *item_field)
{
    int rc = eval_end(g);
    if (rc != ST_OK)
        return rc;
    eval_cur_t *c = &g->ev;
    memset(c, 0, sizeof *c);
    c->open = true;
    c->bad = true; /* until every check passed */
    c->line = line;
    c->item_field = item_field;
    for (int i = 0; i < EV_ITEM; i++)
        copy_id(c->v[i], v[i]); /* first, so that later rows of a bad evaluation join it */
    static const int ids[] = {EV_ID, EV_CALL, EV_AGENT, EV_INSPECTOR};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (!check_id(g, line, eval_spec[ids[i]].name, v[ids[i]]))
            return g->db_rc;
    if (!check_instant(g, line, "evaluated_at", v[EV_AT], &c->at_us) ||
        !check_form(g, line, v[EV_FORM], v[EV_VERSION], &c->version, &c->fe))
        return g->db_rc;
    qa_score_eval_reset(c->fe->ev);
    c->bad = false;
    return ST_OK;
}

/* Marks the open evaluation bad, rejecting it with this error. */
static void eval_fail(qa_ingest_t *g, uint64_t line, const char *field, const char *msg)
{
    if (!g->ev.bad)
        reject(g, line, field, msg);
    g->ev.bad = true;
}

/* Takes a supplied total; a second one must agree with the first. */
static void eval_score_value(qa_ingest_t *g, uint64_t line, double v)
{
    eval_cur_t *c = &g->ev;
    if (c->bad)
        return;
    if (c->has_score && v != c->score) {
        eval_fail(g, line, "score", "score: differs between the rows of one evaluation");
    } else {
        c->has_score = true;
        c->score = v;
    }
}

/* Reads a supplied total written as text (empty: none). */
static void eval_score(qa_ingest_t *g, uint64_t line, const char *text)
{
    double v;
    char err[200], msg[240];
    if (g->ev.bad || !text[0])
        return;
    if (qa_rec_score_parse(text, &v, err, sizeof err) != ST_OK) {
        snprintf(msg, sizeof msg, "score: %s", err);
        eval_fail(g, line, "score", msg);
        return;
    }
    eval_score_value(g, line, v);
}

/* The field to name for an item error: the item id when it is unknown or repeated. */
static const char *item_error_field(const eval_cur_t *c, const qa_form_t *form, const char *id,
                                    const char *msg)
{
    if (strcmp(c->item_field, "items") == 0)
        return "items";
    return !qa_form_item_find(form, id) || strstr(msg, "given twice") ? "item_id" : "result";
}

/* One CSV row of evaluations. */
static int eval_csv_row(qa_ingest_t *g, const char *const *v, uint64_t line)
{
    eval_cur_t *c = &g->ev;
    int rc;
    if (!c->open || strcmp(c->v[EV_ID], v[EV_ID]) != 0 || !qa_form_id_valid(v[EV_ID])) {
        if ((rc = eval_start(g, line, v, "item_id")) != ST_OK)
            return rc;
    } else if (!c->bad) {
        for (int i = EV_CALL; i < EV_ITEM; i++)
            if (strcmp(c->v[i], v[i]) != 0) {
                char msg[200];
                snprintf(msg, sizeof msg, "%s: differs from line %" PRIu64 " of evaluation \"%s\"",
                         eval_spec[i].name, c->line, c->v[EV_ID]);
                eval_fail(g, line, eval_spec[i].name, msg);
                break;
            }
    }
    if (c->bad)
        return ST_OK;
    if (v[EV_ITEM][0] || v[EV_RESULT][0]) {
        char err[300];
        if (qa_score_eval_add(c->fe->ev, v[EV_ITEM], v[EV_RESULT], err, sizeof err) != ST_OK) {
            char msg[360];
            const char *f = item_error_field(c, c->fe->form, v[EV_ITEM], err);
            snprintf(msg, sizeof msg, "%s: %s", f, err);
            eval_fail(g, line, f, msg);
            return ST_OK;
        }
    }
    eval_score(g, line, v[EV_SCORE]);
    return ST_OK;
}

/* ---- calibrations ---- */

/* Ends the open session: score every participant, check it, stage it. */
static int cal_end(qa_ingest_t *g)
{
    cal_cur_t *c = &g->cal;
    if (!c->open)
        return ST_OK;
    c->open = false;
    if (c->bad)
        return ST_OK;
    qa_rec_session_t *s = c->fe->sess;
    char err[300];
    if (qa_rec_session_finish(s, err, sizeof err) != ST_OK) {
        const char *f =
            strncmp(err, "session:", 8) == 0 ? c->part_field : message_field(err, c->part_field);
        reject(g, c->line, f, err);
        return ST_OK;
    }
    g->n->rows++;
    size_t n = qa_rec_session_count(s);
    const qa_form_t *form = c->fe->form;
    buf_printf(&g->hash_text, "%s\x1f%s\x1f%s\x1f%" PRId64, c->v[CA_SESSION], c->v[CA_CALL],
               c->v[CA_FORM], c->version);
    for (size_t i = 0; i < n; i++) {
        const qa_rec_participant_t *p = qa_rec_session_participant(s, i);
        buf_printf(&g->hash_text, "\x1d%s\x1f%d\x1f%" PRId64, p->inspector_id, p->is_reference,
                   c->at_us[i]);
        hash_items(g, form, qa_rec_session_results(s, i));
    }
    char hash[33];
    hash_record(g, hash);
    g->grp++;
    for (size_t i = 0; i < n; i++) {
        const qa_rec_participant_t *p = qa_rec_session_participant(s, i);
        cal_row_t *r = stager_next(g, &g->main);
        if (!r)
            return g->db_rc;
        r->seq = ++g->seq;
        r->grp = g->grp;
        r->line = (int64_t)c->part_line[i];
        copy_id(r->session_id, c->v[CA_SESSION]);
        copy_id(r->inspector_id, p->inspector_id);
        copy_id(r->call_id, c->v[CA_CALL]);
        copy_id(r->form_id, c->v[CA_FORM]);
        r->form_version = c->version;
        r->evaluated_us = c->at_us[i];
        r->is_reference = p->is_reference;
        score_text(p->score, r->score);
        memcpy(r->hash_hex, hash, sizeof hash);
        r->ind_str = DB_IND_NTS;
        int rc = stage_items(g, form, qa_rec_session_results(s, i), r->seq);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

/* Starts a session from its identifying values (after ending the open one). */
static int cal_start(qa_ingest_t *g, uint64_t line, const char *const *v, const char *part_field)
{
    int rc = cal_end(g);
    if (rc != ST_OK)
        return rc;
    cal_cur_t *c = &g->cal;
    memset(c, 0, sizeof *c);
    c->open = true;
    c->bad = true;
    c->line = line;
    c->part_field = part_field;
    copy_id(c->v[CA_SESSION], v[CA_SESSION]);
    copy_id(c->v[CA_CALL], v[CA_CALL]);
    copy_id(c->v[CA_FORM], v[CA_FORM]);
    copy_id(c->v[CA_VERSION], v[CA_VERSION]);
    if (!check_id(g, line, "session_id", v[CA_SESSION]) ||
        !check_id(g, line, "call_id", v[CA_CALL]) ||
        !check_form(g, line, v[CA_FORM], v[CA_VERSION], &c->version, &c->fe))
        return g->db_rc;
    qa_rec_session_reset(c->fe->sess);
    c->bad = false;
    return ST_OK;
}

/* Marks the open session bad, rejecting it with this error. */
static void cal_fail(qa_ingest_t *g, uint64_t line, const char *field, const char *msg)
{
    if (!g->cal.bad)
        reject(g, line, field, msg);
    g->cal.bad = true;
}

/* Adds one participant's item result to the open session. */
static void cal_add(qa_ingest_t *g, uint64_t line, const char *inspector, const char *is_ref,
                    const char *at, const char *item, const char *result)
{
    cal_cur_t *c = &g->cal;
    if (c->bad)
        return;
    char err[300], msg[360];
    int64_t at_us;
    if (strcmp(is_ref, "0") != 0 && strcmp(is_ref, "1") != 0) {
        cal_fail(g, line, "is_reference", "is_reference: must be 0 or 1");
        return;
    }
    if (!at[0] || rfc3339_parse(at, strlen(at), &at_us, err, sizeof err) != ST_OK) {
        snprintf(msg, sizeof msg, "evaluated_at: %s", at[0] ? err : "required");
        cal_fail(g, line, "evaluated_at", msg);
        return;
    }
    qa_rec_session_t *s = c->fe->sess;
    size_t before = qa_rec_session_count(s);
    if (qa_rec_session_add(s, inspector, is_ref[0] == '1', item, result, err, sizeof err) !=
        ST_OK) {
        const char *f = message_field(err, "");
        if (!f[0]) {
            bool items = strcmp(c->part_field, "participants") == 0;
            f = items                                                      ? "items"
                : strstr(err, "not in form") || strstr(err, "given twice") ? "item_id"
                                                                           : "result";
        }
        cal_fail(g, line, f, err);
        return;
    }
    size_t after = qa_rec_session_count(s);
    if (after > before) {
        c->at_us[after - 1] = at_us;
        c->part_line[after - 1] = line;
        return;
    }
    for (size_t i = 0; i < after; i++)
        if (strcmp(qa_rec_session_participant(s, i)->inspector_id, inspector) == 0 &&
            c->at_us[i] != at_us)
            cal_fail(g, line, "evaluated_at",
                     "evaluated_at: differs between the rows of one inspector in a session");
}

/* One CSV row of calibrations. */
static int cal_csv_row(qa_ingest_t *g, const char *const *v, uint64_t line)
{
    cal_cur_t *c = &g->cal;
    int rc;
    if (!c->open || strcmp(c->v[CA_SESSION], v[CA_SESSION]) != 0 ||
        !qa_form_id_valid(v[CA_SESSION])) {
        if ((rc = cal_start(g, line, v, "inspector_id")) != ST_OK)
            return rc;
    } else if (!c->bad) {
        static const int same[] = {CA_CALL, CA_FORM, CA_VERSION};
        for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
            if (strcmp(c->v[same[i]], v[same[i]]) != 0) {
                char msg[200];
                snprintf(msg, sizeof msg, "%s: differs from line %" PRIu64 " of session \"%s\"",
                         cal_spec[same[i]].name, c->line, c->v[CA_SESSION]);
                cal_fail(g, line, cal_spec[same[i]].name, msg);
                return ST_OK;
            }
    }
    /* A row with no inspector and no item names the session only. */
    if (!v[CA_INSPECTOR][0] && !v[CA_ITEM][0] && !v[CA_RESULT][0])
        return ST_OK;
    cal_add(g, line, v[CA_INSPECTOR], v[CA_REF], v[CA_AT], v[CA_ITEM], v[CA_RESULT]);
    return ST_OK;
}

/* ---- appeals ---- */

/* One appeal (CSV row or JSON object as text values; num_score: new_score given as a number). */
static int appeal_row(qa_ingest_t *g, const char *const *v, const double *num_score, uint64_t line)
{
    qa_rec_appeal_t a = {.evaluation_id = v[AP_ID]};
    char err[200];
    if (!check_id(g, line, "evaluation_id", v[AP_ID]) ||
        !check_instant(g, line, "appealed_at", v[AP_APPEALED], &a.appealed_at) ||
        !check_instant(g, line, "decided_at", v[AP_DECIDED], &a.decided_at))
        return g->db_rc;
    if (qa_rec_outcome_parse(v[AP_OUTCOME], &a.outcome, err, sizeof err) != ST_OK) {
        reject(g, line, "outcome", err);
        return ST_OK;
    }
    if (num_score) {
        a.has_new_score = true;
        a.new_score = *num_score;
    } else if (v[AP_SCORE][0]) {
        char e2[200];
        a.has_new_score = true;
        if (qa_rec_score_parse(v[AP_SCORE], &a.new_score, e2, sizeof e2) != ST_OK) {
            snprintf(err, sizeof err, "new_score: %s", e2);
            reject(g, line, "new_score", err);
            return ST_OK;
        }
    }
    if (qa_rec_appeal_check(&a, err, sizeof err) != ST_OK) {
        reject(g, line, message_field(err, ""), err);
        return ST_OK;
    }
    g->n->rows++;
    appeal_row_t *r = stager_next(g, &g->main);
    if (!r)
        return g->db_rc;
    r->line = (int64_t)line;
    copy_id(r->evaluation_id, a.evaluation_id);
    r->appealed_us = a.appealed_at;
    r->decided_us = a.decided_at;
    r->outcome = (int8_t)a.outcome;
    r->ind_str = DB_IND_NTS;
    r->ind_score = DB_IND_NULL;
    if (a.has_new_score) {
        score_text(a.new_score, r->new_score);
        r->ind_score = DB_IND_NTS;
    }
    buf_printf(&g->hash_text, "%s\x1f%" PRId64 "\x1f%" PRId64 "\x1f%d\x1f%s", r->evaluation_id,
               r->appealed_us, r->decided_us, r->outcome, r->new_score);
    hash_record(g, r->hash_hex);
    return ST_OK;
}

/* ---- CSV ---- */

/* Maps the header to the kind's columns; every problem is fatal. */
static int csv_header(qa_ingest_t *g, const csv_field_t *f, size_t n, uint64_t line)
{
    bool seen[MAX_COLS] = {false};
    char msg[200];
    g->col_of = xcalloc(n, sizeof *g->col_of);
    for (size_t i = 0; i < n; i++) {
        char shown[QA_ID_MAX + 4];
        qa_form_quote(shown, sizeof shown, f[i].ptr);
        int k = -1;
        for (size_t j = 0; j < g->nspec; j++)
            if (strlen(g->spec[j].name) == f[i].len &&
                memcmp(g->spec[j].name, f[i].ptr, f[i].len) == 0)
                k = (int)j;
        if (k < 0 && !(f[i].len > 2 && memcmp(f[i].ptr, "x_", 2) == 0)) {
            snprintf(msg, sizeof msg,
                     "unknown column \"%s\" (prefix it with x_ to have it ignored)", shown);
            batch_note_error(g->batch, line, shown, msg);
            g->header_failed = true;
            return ST_ERR_INVALID;
        }
        if (k >= 0 && seen[k]) {
            snprintf(msg, sizeof msg, "duplicate column \"%s\"", shown);
            batch_note_error(g->batch, line, shown, msg);
            g->header_failed = true;
            return ST_ERR_INVALID;
        }
        if (k >= 0)
            seen[k] = true;
        g->col_of[i] = k;
    }
    for (size_t j = 0; j < g->nspec; j++)
        if (g->spec[j].required && !seen[j]) {
            snprintf(msg, sizeof msg, "required column \"%s\" is missing", g->spec[j].name);
            batch_note_error(g->batch, line, g->spec[j].name, msg);
            g->header_failed = true;
            return ST_ERR_INVALID;
        }
    g->ncols = n;
    return ST_OK;
}

/* The csv_reader callback: the header, then one row of the kind. */
static int csv_on_record(void *ctx, const csv_field_t *f, size_t n, uint64_t line)
{
    qa_ingest_t *g = ctx;
    if (g->ncols == 0)
        return csv_header(g, f, n, line);
    if (n != g->ncols) {
        char msg[120];
        snprintf(msg, sizeof msg, "the row has %zu fields but the header has %zu", n, g->ncols);
        reject(g, line, "", msg);
        return ST_OK;
    }
    const char *v[MAX_COLS];
    for (size_t j = 0; j < MAX_COLS; j++)
        v[j] = "";
    for (size_t i = 0; i < n; i++) {
        if (g->col_of[i] < 0)
            continue;
        if (strlen(f[i].ptr) != f[i].len) {
            char msg[120];
            snprintf(msg, sizeof msg, "%s: contains a NUL byte", g->spec[g->col_of[i]].name);
            reject(g, line, g->spec[g->col_of[i]].name, msg);
            return ST_OK;
        }
        v[g->col_of[i]] = f[i].ptr;
    }
    int rc = g->kind == QA_KIND_EVALUATIONS    ? eval_csv_row(g, v, line)
             : g->kind == QA_KIND_CALIBRATIONS ? cal_csv_row(g, v, line)
                                               : appeal_row(g, v, NULL, line);
    return rc != ST_OK ? rc : g->db_rc;
}

/* ---- JSON ---- */

/*
 * The text of member `key` of o: a string as is, an integer or real
 * written out, "" when absent or null.  false after rejecting the record
 * for another type.
 */
static bool json_text(qa_ingest_t *g, uint64_t line, json_t *o, const char *key, char *buf,
                      size_t buflen, const char **out)
{
    json_t *m = json_object_get(o, key);
    *out = "";
    if (!m || json_is_null(m))
        return true;
    if (json_is_string(m) && strlen(json_string_value(m)) == json_string_length(m)) {
        *out = json_string_value(m);
        return true;
    }
    if (json_is_integer(m)) {
        snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(m));
        *out = buf;
        return true;
    }
    if (json_is_real(m)) {
        snprintf(buf, buflen, "%.15g", json_real_value(m));
        *out = buf;
        return true;
    }
    if (json_is_boolean(m)) {
        snprintf(buf, buflen, "%d", json_is_true(m) ? 1 : 0);
        *out = buf;
        return true;
    }
    char msg[120];
    snprintf(msg, sizeof msg, "%s: must be a string or a number", key);
    reject(g, line, key, msg);
    return false;
}

/* Refuses members outside `allowed` (x_ members are ignored); false after rejecting. */
static bool json_known(qa_ingest_t *g, uint64_t line, json_t *o, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        (void)val;
        bool ok = strncmp(key, "x_", 2) == 0;
        for (size_t i = 0; !ok && allowed[i]; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            char shown[QA_ID_MAX + 4], msg[160];
            qa_form_quote(shown, sizeof shown, key);
            snprintf(msg, sizeof msg, "unknown member \"%s\"", shown);
            reject(g, line, shown, msg);
            return false;
        }
    }
    return true;
}

/* Reads the members of a spec into text values; false after rejecting. */
static bool json_values(qa_ingest_t *g, uint64_t line, json_t *o, const col_spec_t *spec, size_t n,
                        char (*bufs)[40], const char **v)
{
    for (size_t i = 0; i < n; i++)
        if (!json_text(g, line, o, spec[i].name, bufs[i], sizeof bufs[i], &v[i]))
            return false;
    return true;
}

/* One evaluation object. */
static int eval_json(qa_ingest_t *g, json_t *o, uint64_t line)
{
    static const char *const allowed[] = {
        "evaluation_id", "call_id",      "agent_id", "inspector_id", "form_id",
        "form_version",  "evaluated_at", "items",    "score",        NULL};
    char bufs[EV_N][40];
    const char *v[MAX_COLS];
    int rc = eval_end(g);
    if (rc != ST_OK || !json_known(g, line, o, allowed) ||
        !json_values(g, line, o, eval_spec, EV_N, bufs, v))
        return rc;
    if ((rc = eval_start(g, line, v, "items")) != ST_OK || g->ev.bad)
        return rc;
    json_t *items = json_object_get(o, "items");
    if (items && !json_is_object(items)) {
        eval_fail(g, line, "items", "items: must be an object of item results");
        return ST_OK;
    }
    const char *key;
    json_t *val;
    json_object_foreach(items, key, val)
    {
        char err[300], msg[360];
        if (qa_score_eval_add_json(g->ev.fe->ev, key, val, err, sizeof err) != ST_OK) {
            snprintf(msg, sizeof msg, "items: %s", err);
            eval_fail(g, line, "items", msg);
            return ST_OK;
        }
    }
    json_t *score = json_object_get(o, "score");
    if (json_is_number(score))
        eval_score_value(g, line, json_number_value(score));
    else
        eval_score(g, line, v[EV_SCORE]);
    return eval_end(g);
}

/* One calibration session object. */
static int cal_json(qa_ingest_t *g, json_t *o, uint64_t line)
{
    static const char *const allowed[] = {"session_id",   "call_id",      "form_id",
                                          "form_version", "participants", NULL};
    static const char *const part_allowed[] = {"inspector_id", "is_reference", "evaluated_at",
                                               "items", NULL};
    char bufs[CA_N][40];
    const char *v[MAX_COLS];
    int rc = cal_end(g);
    if (rc != ST_OK || !json_known(g, line, o, allowed) ||
        !json_values(g, line, o, cal_spec, CA_N, bufs, v))
        return rc;
    if ((rc = cal_start(g, line, v, "participants")) != ST_OK || g->cal.bad)
        return rc;
    json_t *parts = json_object_get(o, "participants");
    if (parts && !json_is_array(parts)) {
        cal_fail(g, line, "participants", "participants: must be an array");
        return ST_OK;
    }
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        char b[3][40];
        const char *insp, *ref, *at;
        if (!json_is_object(p)) {
            cal_fail(g, line, "participants", "participants: each must be an object");
            return ST_OK;
        }
        g->cal.bad = true; /* a member error below is this session's one rejection */
        if (!json_known(g, line, p, part_allowed) ||
            !json_text(g, line, p, "inspector_id", b[0], 40, &insp) ||
            !json_text(g, line, p, "is_reference", b[1], 40, &ref) ||
            !json_text(g, line, p, "evaluated_at", b[2], 40, &at))
            return ST_OK;
        g->cal.bad = false;
        json_t *items = json_object_get(p, "items");
        if (!json_is_object(items) || json_object_size(items) == 0) {
            cal_fail(g, line, "items", "items: each participant needs an object of item results");
            return ST_OK;
        }
        const char *key;
        json_t *val;
        json_object_foreach(items, key, val)
        {
            char rb[40];
            const char *res = "";
            if (json_is_string(val)) {
                res = json_string_value(val);
            } else if (json_is_integer(val)) {
                snprintf(rb, sizeof rb, "%" JSON_INTEGER_FORMAT, json_integer_value(val));
                res = rb;
            } else if (json_is_real(val)) {
                snprintf(rb, sizeof rb, "%.15g", json_real_value(val));
                res = rb;
            }
            cal_add(g, line, insp, ref[0] ? ref : "0", at, key, res);
        }
    }
    return cal_end(g);
}

/* One appeal object. */
static int appeal_json(qa_ingest_t *g, json_t *o, uint64_t line)
{
    static const char *const allowed[] = {"evaluation_id", "appealed_at", "decided_at",
                                          "outcome",       "new_score",   NULL};
    char bufs[AP_N][40];
    const char *v[MAX_COLS];
    if (!json_known(g, line, o, allowed) || !json_values(g, line, o, appeal_spec, AP_N, bufs, v))
        return ST_OK;
    json_t *score = json_object_get(o, "new_score");
    double num = json_is_number(score) ? json_number_value(score) : 0;
    return appeal_row(g, v, json_is_number(score) ? &num : NULL, line);
}

/* The json_split callback: one record object. */
static int json_on_record(void *ctx, const char *rec, size_t len, uint64_t line)
{
    qa_ingest_t *g = ctx;
    json_error_t e;
    json_t *o = json_loadb(rec, len, JSON_REJECT_DUPLICATES, &e);
    int rc = ST_OK;
    if (!o || !json_is_object(o)) {
        char msg[240];
        snprintf(msg, sizeof msg, "not a valid JSON object%s%s", o ? "" : ": ", o ? "" : e.text);
        if (g->kind == QA_KIND_EVALUATIONS)
            rc = eval_end(g);
        else if (g->kind == QA_KIND_CALIBRATIONS)
            rc = cal_end(g);
        reject(g, line, "", msg);
    } else if (g->kind == QA_KIND_EVALUATIONS) {
        rc = eval_json(g, o, line);
    } else if (g->kind == QA_KIND_CALIBRATIONS) {
        rc = cal_json(g, o, line);
    } else {
        rc = appeal_json(g, o, line);
    }
    json_decref(o);
    return rc != ST_OK ? rc : g->db_rc;
}

/* ---- batch life ---- */

int qa_kind_parse(const char *name, qa_kind *out)
{
    static const qa_kind all[] = {QA_KIND_EVALUATIONS, QA_KIND_CALIBRATIONS, QA_KIND_APPEALS};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, qa_kind_name(all[i])) == 0) {
            *out = all[i];
            return ST_OK;
        }
    return ST_ERR_INVALID;
}

const char *qa_kind_name(qa_kind kind)
{
    return kind == QA_KIND_EVALUATIONS    ? "evaluations"
           : kind == QA_KIND_CALIBRATIONS ? "calibrations"
           : kind == QA_KIND_APPEALS      ? "appeals"
                                          : "?";
}

/* The staging tables of every kind (DDL: before the batch's transaction). */
static const char *const stage_ddl[] = {
    "DROP TEMPORARY TABLE IF EXISTS qa_stage_eval, qa_stage_item, qa_stage_cal, qa_stage_appeal, "
    "qa_stage_changed",
    "CREATE TEMPORARY TABLE qa_stage_eval (seq BIGINT NOT NULL, line BIGINT NOT NULL,"
    " evaluation_id VARCHAR(64) NOT NULL, call_id VARCHAR(64) NOT NULL,"
    " agent_id VARCHAR(64) NOT NULL, inspector_id VARCHAR(64) NOT NULL,"
    " form_id VARCHAR(64) NOT NULL, form_version INT UNSIGNED NOT NULL,"
    " evaluated_us BIGINT NOT NULL, score DOUBLE NOT NULL, raw_score DOUBLE NOT NULL,"
    " fatal TINYINT NOT NULL, defect TINYINT NOT NULL, row_hash CHAR(32) NOT NULL,"
    " PRIMARY KEY (seq), KEY (evaluation_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
    "COLLATE=utf8mb4_bin",
    "CREATE TEMPORARY TABLE qa_stage_item (owner BIGINT NOT NULL, item_id VARCHAR(64) NOT NULL,"
    " result VARCHAR(16) NOT NULL, earned_c INT NOT NULL, possible_c INT NOT NULL, KEY (owner))"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    "CREATE TEMPORARY TABLE qa_stage_cal (seq BIGINT NOT NULL, grp BIGINT NOT NULL,"
    " line BIGINT NOT NULL, session_id VARCHAR(64) NOT NULL, inspector_id VARCHAR(64) NOT NULL,"
    " call_id VARCHAR(64) NOT NULL, form_id VARCHAR(64) NOT NULL,"
    " form_version INT UNSIGNED NOT NULL, evaluated_us BIGINT NOT NULL,"
    " is_reference TINYINT NOT NULL, score DOUBLE NOT NULL, row_hash CHAR(32) NOT NULL,"
    " PRIMARY KEY (seq), KEY (session_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
    "COLLATE=utf8mb4_bin",
    "CREATE TEMPORARY TABLE qa_stage_appeal (line BIGINT NOT NULL,"
    " evaluation_id VARCHAR(64) NOT NULL, appealed_us BIGINT NOT NULL,"
    " decided_us BIGINT NOT NULL, outcome TINYINT NOT NULL, new_score DOUBLE NULL,"
    " row_hash CHAR(32) NOT NULL, KEY (evaluation_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
    "COLLATE=utf8mb4_bin",
    "CREATE TEMPORARY TABLE qa_stage_changed (k VARCHAR(64) NOT NULL PRIMARY KEY,"
    " is_new TINYINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
};

/* Creates the staging tables and prepares the kind's bulk inserts. */
static int stage_open(qa_ingest_t *g)
{
    int rc;
    for (size_t i = 0; i < sizeof stage_ddl / sizeof stage_ddl[0]; i++)
        if ((rc = db_run_static(g->db, stage_ddl[i])) != ST_OK)
            return rc;
    if ((rc = stager_open(g, &g->items,
                          "INSERT INTO qa_stage_item (owner, item_id, result, earned_c, "
                          "possible_c) VALUES (?, ?, ?, ?, ?)",
                          item_cols, sizeof item_cols / sizeof item_cols[0], sizeof(item_row_t))) !=
        ST_OK)
        return rc;
    switch (g->kind) {
    case QA_KIND_EVALUATIONS:
        return stager_open(g, &g->main,
                           "INSERT INTO qa_stage_eval (seq, line, evaluation_id, call_id, "
                           "agent_id, inspector_id, form_id, form_version, evaluated_us, score, "
                           "raw_score, fatal, defect, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                           "?, ?, ?, ?, ?, ?)",
                           eval_cols, sizeof eval_cols / sizeof eval_cols[0], sizeof(eval_row_t));
    case QA_KIND_CALIBRATIONS:
        return stager_open(g, &g->main,
                           "INSERT INTO qa_stage_cal (seq, grp, line, session_id, inspector_id, "
                           "call_id, form_id, form_version, evaluated_us, is_reference, score, "
                           "row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           cal_cols, sizeof cal_cols / sizeof cal_cols[0], sizeof(cal_row_t));
    default:
        return stager_open(g, &g->main,
                           "INSERT INTO qa_stage_appeal (line, evaluation_id, appealed_us, "
                           "decided_us, outcome, new_score, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           appeal_cols, sizeof appeal_cols / sizeof appeal_cols[0],
                           sizeof(appeal_row_t));
    }
}

int qa_ingest_begin(db_t *db, const tenant_t *t, const char *actor, qa_kind kind, ingest_format fmt,
                    bool lenient, qa_ingest_t **out, char *err, size_t errlen)
{
    if (fmt != INGEST_CSV && fmt != INGEST_JSON && fmt != INGEST_NDJSON) {
        snprintf(err, errlen, "QA data is CSV, JSON or NDJSON");
        return ST_ERR_INVALID;
    }
    qa_ingest_t *g = xcalloc(1, sizeof *g);
    g->db = db;
    g->tenant_id = t->id;
    g->kind = kind;
    g->fmt = fmt;
    g->updated_ids = json_array();
    buf_init(&g->hash_text, HASH_TEXT_MAX);
    g->spec = kind == QA_KIND_EVALUATIONS    ? eval_spec
              : kind == QA_KIND_CALIBRATIONS ? cal_spec
                                             : appeal_spec;
    g->nspec = kind == QA_KIND_EVALUATIONS ? EV_N : kind == QA_KIND_CALIBRATIONS ? CA_N : AP_N;
    if (fmt == INGEST_CSV) {
        csv_limits_t lim = {.max_field = CSV_DEFAULT_MAX_FIELD,
                            .max_cols = CSV_DEFAULT_MAX_COLS,
                            .max_record = MAX_RECORD};
        g->csv = csv_reader_new(&lim, csv_on_record, g);
    } else {
        g->split = json_split_new(fmt == INGEST_NDJSON, MAX_RECORD, json_on_record, g);
    }
    int rc = stage_open(g);
    if (rc != ST_OK) {
        snprintf(err, errlen, "%s", db_error(db));
        qa_ingest_free(g);
        return rc;
    }
    if ((rc = batch_begin(db, t->id, actor, qa_kind_name(kind), ingest_format_name(fmt), lenient,
                          &g->batch, err, errlen)) != ST_OK) {
        qa_ingest_free(g);
        return rc;
    }
    g->n = batch_counts(g->batch);
    *out = g;
    return ST_OK;
}

int qa_ingest_feed(qa_ingest_t *g, const char *data, size_t len)
{
    if (g->db_rc != ST_OK)
        return g->db_rc;
    batch_hash(g->batch, data, len);
    if (g->fatal)
        return ST_OK; /* the body is already refused; keep hashing what arrives */
    int rc = g->csv ? csv_feed(g->csv, data, len) : json_split_feed(g->split, data, len);
    if (g->db_rc != ST_OK)
        return g->db_rc;
    if (rc != ST_OK)
        g->fatal = true;
    return ST_OK;
}

/* Records the reader's fatal error (a header error is already listed). */
static void note_fatal(qa_ingest_t *g)
{
    if (g->csv) {
        const char *msg = csv_reader_error(g->csv);
        if (msg[0])
            batch_note_error(g->batch, csv_reader_error_line(g->csv), "", msg);
        else if (!g->header_failed)
            batch_note_error(g->batch, 1, "", "the body is empty (expected a header row)");
        return;
    }
    batch_note_error(g->batch, json_split_error_line(g->split), "", json_split_error(g->split));
}

/* Records staged twice in one batch, per kind (batch_dedupe). */
static const char *const eval_drop_all[] = {
    "DELETE FROM qa_stage_item WHERE owner IN (SELECT seq FROM qa_stage_eval WHERE "
    "evaluation_id = ?)",
    "DELETE FROM qa_stage_eval WHERE evaluation_id = ?", NULL};
static const char *const eval_drop_others[] = {
    "DELETE FROM qa_stage_item WHERE owner IN (SELECT seq FROM qa_stage_eval WHERE "
    "evaluation_id = ? AND seq <> ?)",
    "DELETE FROM qa_stage_eval WHERE evaluation_id = ? AND seq <> ?", NULL};
static const batch_dedupe_t eval_dedupe = {
    "SELECT evaluation_id, COUNT(*), COUNT(DISTINCT row_hash), MIN(seq) FROM qa_stage_eval "
    "GROUP BY evaluation_id HAVING COUNT(*) > 1",
    "SELECT line FROM qa_stage_eval WHERE evaluation_id = ? ORDER BY line",
    eval_drop_all,
    eval_drop_others,
    "evaluation_id",
};

/* A calibration session is a group of rows: copies are counted by group. */
static const char *const cal_drop_all[] = {
    "DELETE FROM qa_stage_item WHERE owner IN (SELECT seq FROM qa_stage_cal WHERE session_id = ?)",
    "DELETE FROM qa_stage_cal WHERE session_id = ?", NULL};
static const char *const cal_drop_others[] = {
    "DELETE FROM qa_stage_item WHERE owner IN (SELECT seq FROM qa_stage_cal WHERE session_id = ? "
    "AND grp <> ?)",
    "DELETE FROM qa_stage_cal WHERE session_id = ? AND grp <> ?", NULL};
static const batch_dedupe_t cal_dedupe = {
    "SELECT session_id, COUNT(DISTINCT grp), COUNT(DISTINCT row_hash), MIN(grp) FROM "
    "qa_stage_cal GROUP BY session_id HAVING COUNT(DISTINCT grp) > 1",
    "SELECT MIN(line) FROM qa_stage_cal WHERE session_id = ? GROUP BY grp ORDER BY 1",
    cal_drop_all,
    cal_drop_others,
    "session_id",
};

static const char *const appeal_drop_all[] = {"DELETE FROM qa_stage_appeal WHERE evaluation_id = ?",
                                              NULL};
static const char *const appeal_drop_others[] = {
    "DELETE FROM qa_stage_appeal WHERE evaluation_id = ? AND line <> ?", NULL};
static const batch_dedupe_t appeal_dedupe = {
    "SELECT evaluation_id, COUNT(*), COUNT(DISTINCT row_hash), MIN(line) FROM qa_stage_appeal "
    "GROUP BY evaluation_id HAVING COUNT(*) > 1",
    "SELECT line FROM qa_stage_appeal WHERE evaluation_id = ? ORDER BY line",
    appeal_drop_all,
    appeal_drop_others,
    "evaluation_id",
};

/* Appeals: duplicates as for evaluations, then appeals of unknown evaluations refused. */
static int dedupe_appeals(qa_ingest_t *g)
{
    db_res_t *res = NULL;
    int rc = batch_dedupe(g->batch, g->db, &appeal_dedupe);
    if (rc != ST_OK)
        return rc;
    db_val_t t[] = {db_u64(g->tenant_id)};
    rc = db_exec(g->db,
                 "SELECT s.line, s.evaluation_id FROM qa_stage_appeal s LEFT JOIN evaluations e "
                 "ON e.tenant_id = ? AND e.evaluation_id = s.evaluation_id "
                 "WHERE e.evaluation_id IS NULL ORDER BY s.line",
                 t, 1, &res);
    while (rc == ST_OK && db_res_next(res)) {
        char msg[160];
        snprintf(msg, sizeof msg, "evaluation_id: no evaluation \"%s\" in this tenant",
                 db_res_str(res, 1, NULL));
        batch_note_error(g->batch, (uint64_t)db_res_i64(res, 0), "evaluation_id", msg);
        g->n->rejected++;
    }
    db_res_free(res);
    if (rc == ST_OK)
        rc = db_exec(g->db,
                     "DELETE FROM qa_stage_appeal WHERE evaluation_id NOT IN (SELECT evaluation_id "
                     "FROM evaluations WHERE tenant_id = ?)",
                     t, 1, NULL);
    return rc;
}

/*
 * Fills qa_stage_changed with the new and changed records (`changed_sql`
 * takes the tenant id), then counts them against `staged_sql` and lists
 * some updated ids.
 */
static int count_changes(qa_ingest_t *g, const char *changed_sql, const char *staged_sql)
{
    db_val_t t[] = {db_u64(g->tenant_id)};
    db_res_t *res = NULL;
    int rc = db_exec(g->db, changed_sql, t, 1, NULL);
    if (rc == ST_OK)
        rc = db_exec(g->db, staged_sql, NULL, 0, &res);
    uint64_t staged = rc == ST_OK && db_res_next(res) ? (uint64_t)db_res_i64(res, 0) : 0;
    db_res_free(res);
    res = NULL;
    if (rc == ST_OK)
        rc = db_exec(g->db, "SELECT COUNT(*), COALESCE(SUM(is_new), 0) FROM qa_stage_changed", NULL,
                     0, &res);
    if (rc == ST_OK && db_res_next(res)) {
        uint64_t changed = (uint64_t)db_res_i64(res, 0);
        g->n->inserted = (uint64_t)db_res_i64(res, 1);
        g->n->updated = changed - g->n->inserted;
        g->n->unchanged += staged - changed;
    }
    db_res_free(res);
    res = NULL;
    db_val_t lim[] = {db_i64(MAX_IDS_LISTED)};
    if (rc == ST_OK)
        rc = db_exec(g->db, "SELECT k FROM qa_stage_changed WHERE is_new = 0 ORDER BY k LIMIT ?",
                     lim, 1, &res);
    while (rc == ST_OK && db_res_next(res))
        json_array_append_new(g->updated_ids, json_string(db_res_str(res, 0, NULL)));
    db_res_free(res);
    return rc;
}

/* Counts staged evaluations whose contact the tenant does not have (yet). */
static int count_unknown_contacts(qa_ingest_t *g)
{
    db_val_t t[] = {db_u64(g->tenant_id)};
    db_res_t *res = NULL;
    int rc = db_exec(g->db,
                     "SELECT COUNT(*) FROM qa_stage_eval s LEFT JOIN contacts c ON c.tenant_id = ? "
                     "AND c.call_id = s.call_id WHERE c.call_id IS NULL",
                     t, 1, &res);
    if (rc == ST_OK && db_res_next(res))
        g->unknown_contacts = (uint64_t)db_res_i64(res, 0);
    db_res_free(res);
    return rc;
}

/* Runs statements that each take (tenant_id[, batch_id]) parameters as counted. */
static int run_all(qa_ingest_t *g, const char *const *sql, const int *nparams, size_t n)
{
    db_val_t v[] = {db_u64(g->tenant_id), db_u64(batch_id(g->batch))};
    for (size_t i = 0; i < n; i++) {
        int rc = db_exec(g->db, sql[i], v, (size_t)nparams[i], NULL);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

/* Writes new and changed evaluations with their items. */
static int apply_evaluations(qa_ingest_t *g)
{
    int rc = count_changes(
        g,
        "INSERT INTO qa_stage_changed (k, is_new) SELECT s.evaluation_id, e.evaluation_id IS NULL "
        "FROM qa_stage_eval s LEFT JOIN evaluations e ON e.tenant_id = ? AND "
        "e.evaluation_id = s.evaluation_id WHERE e.evaluation_id IS NULL OR "
        "e.row_hash <> UNHEX(s.row_hash)",
        "SELECT COUNT(*) FROM qa_stage_eval");
    if (rc != ST_OK || (rc = count_unknown_contacts(g)) != ST_OK)
        return rc;
    static const char *const sql[] = {
        "DELETE FROM evaluation_items WHERE tenant_id = ? AND evaluation_id IN (SELECT k FROM "
        "qa_stage_changed WHERE is_new = 0)",
        "INSERT INTO evaluation_items (tenant_id, evaluation_id, item_id, result, earned, "
        "possible) SELECT ?, s.evaluation_id, i.item_id, i.result, i.earned_c / 100, "
        "i.possible_c / 100 FROM qa_stage_item i JOIN qa_stage_eval s ON s.seq = i.owner "
        "JOIN qa_stage_changed c ON c.k = s.evaluation_id",
        "INSERT INTO evaluations (tenant_id, evaluation_id, call_id, agent_id, inspector_id, "
        "form_id, form_version, evaluated_us, score, raw_score, fatal, defect, row_hash, "
        "batch_id) SELECT ?, s.evaluation_id, s.call_id, s.agent_id, s.inspector_id, s.form_id, "
        "s.form_version, s.evaluated_us, s.score, s.raw_score, s.fatal, s.defect, "
        "UNHEX(s.row_hash), ? FROM qa_stage_eval s JOIN qa_stage_changed c ON "
        "c.k = s.evaluation_id ON DUPLICATE KEY UPDATE call_id = VALUES(call_id), "
        "agent_id = VALUES(agent_id), inspector_id = VALUES(inspector_id), "
        "form_id = VALUES(form_id), form_version = VALUES(form_version), "
        "evaluated_us = VALUES(evaluated_us), score = VALUES(score), "
        "raw_score = VALUES(raw_score), fatal = VALUES(fatal), defect = VALUES(defect), "
        "row_hash = VALUES(row_hash), batch_id = VALUES(batch_id)",
    };
    static const int np[] = {1, 1, 2};
    return run_all(g, sql, np, 3);
}

/* Replaces changed sessions whole and inserts new ones. */
static int apply_calibrations(qa_ingest_t *g)
{
    int rc = count_changes(
        g,
        "INSERT INTO qa_stage_changed (k, is_new) SELECT s.session_id, MAX(c.h IS NULL) "
        "FROM qa_stage_cal s LEFT JOIN (SELECT session_id, MIN(session_hash) AS h FROM "
        "calibrations WHERE tenant_id = ? GROUP BY session_id) c ON c.session_id = s.session_id "
        "WHERE c.h IS NULL OR c.h <> UNHEX(s.row_hash) GROUP BY s.session_id",
        "SELECT COUNT(DISTINCT session_id) FROM qa_stage_cal");
    if (rc != ST_OK)
        return rc;
    static const char *const sql[] = {
        "DELETE FROM calibration_items WHERE tenant_id = ? AND session_id IN (SELECT k FROM "
        "qa_stage_changed)",
        "DELETE FROM calibrations WHERE tenant_id = ? AND session_id IN (SELECT k FROM "
        "qa_stage_changed)",
        "INSERT INTO calibration_items (tenant_id, session_id, inspector_id, item_id, result, "
        "earned, possible) SELECT ?, s.session_id, s.inspector_id, i.item_id, i.result, "
        "i.earned_c / 100, i.possible_c / 100 FROM qa_stage_item i JOIN qa_stage_cal s ON "
        "s.seq = i.owner JOIN qa_stage_changed c ON c.k = s.session_id",
        "INSERT INTO calibrations (tenant_id, session_id, inspector_id, call_id, form_id, "
        "form_version, is_reference, evaluated_us, score, session_hash, batch_id) SELECT ?, "
        "s.session_id, s.inspector_id, s.call_id, s.form_id, s.form_version, s.is_reference, "
        "s.evaluated_us, s.score, UNHEX(s.row_hash), ? FROM qa_stage_cal s JOIN "
        "qa_stage_changed c ON c.k = s.session_id",
    };
    static const int np[] = {1, 1, 1, 2};
    return run_all(g, sql, np, 4);
}

/* Writes new and changed appeals. */
static int apply_appeals(qa_ingest_t *g)
{
    int rc = count_changes(
        g,
        "INSERT INTO qa_stage_changed (k, is_new) SELECT s.evaluation_id, a.evaluation_id IS NULL "
        "FROM qa_stage_appeal s LEFT JOIN appeals a ON a.tenant_id = ? AND "
        "a.evaluation_id = s.evaluation_id WHERE a.evaluation_id IS NULL OR "
        "a.row_hash <> UNHEX(s.row_hash)",
        "SELECT COUNT(*) FROM qa_stage_appeal");
    if (rc != ST_OK)
        return rc;
    static const char *const sql[] = {
        "INSERT INTO appeals (tenant_id, evaluation_id, appealed_us, decided_us, outcome, "
        "new_score, row_hash, batch_id) SELECT ?, s.evaluation_id, s.appealed_us, s.decided_us, "
        "s.outcome, s.new_score, UNHEX(s.row_hash), ? FROM qa_stage_appeal s JOIN "
        "qa_stage_changed c ON c.k = s.evaluation_id ON DUPLICATE KEY UPDATE "
        "appealed_us = VALUES(appealed_us), decided_us = VALUES(decided_us), "
        "outcome = VALUES(outcome), new_score = VALUES(new_score), row_hash = VALUES(row_hash), "
        "batch_id = VALUES(batch_id)",
    };
    static const int np[] = {2};
    return run_all(g, sql, np, 1);
}

/* The receipt's and audit entry's extra members. */
static json_t *extra_members(const qa_ingest_t *g)
{
    json_t *x = json_pack("{s:O}", "updated_ids", g->updated_ids);
    if (g->kind == QA_KIND_EVALUATIONS)
        json_object_set_new(x, "unknown_contacts", json_integer((json_int_t)g->unknown_contacts));
    return x;
}

int qa_ingest_finish(qa_ingest_t *g)
{
    if (g->finished)
        return ST_ERR_INTERNAL;
    g->finished = true;
    batch_hash_done(g->batch);
    if (g->db_rc != ST_OK)
        return g->db_rc;
    if (!g->fatal) {
        int rc = g->csv ? csv_finish(g->csv) : json_split_finish(g->split);
        if (g->db_rc != ST_OK)
            return g->db_rc;
        if (rc != ST_OK || (g->csv && g->ncols == 0))
            g->fatal = true;
    }
    if (g->fatal)
        note_fatal(g);
    int rc = ST_OK;
    if (!g->fatal)
        rc = g->kind == QA_KIND_EVALUATIONS    ? eval_end(g)
             : g->kind == QA_KIND_CALIBRATIONS ? cal_end(g)
                                               : ST_OK;
    if (rc == ST_OK)
        rc = stager_flush(g, &g->main);
    if (rc == ST_OK)
        rc = stager_flush(g, &g->items);
    if (rc == ST_OK && !g->fatal)
        rc = g->kind == QA_KIND_EVALUATIONS    ? batch_dedupe(g->batch, g->db, &eval_dedupe)
             : g->kind == QA_KIND_CALIBRATIONS ? batch_dedupe(g->batch, g->db, &cal_dedupe)
                                               : dedupe_appeals(g);
    if (rc != ST_OK)
        return rc;
    json_t *extra = NULL;
    if (batch_must_reject(g->batch, g->fatal)) {
        json_array_clear(g->updated_ids);
        g->unknown_contacts = 0;
        extra = extra_members(g);
        rc = batch_reject(g->batch, extra);
    } else {
        rc = g->kind == QA_KIND_EVALUATIONS    ? apply_evaluations(g)
             : g->kind == QA_KIND_CALIBRATIONS ? apply_calibrations(g)
                                               : apply_appeals(g);
        if (rc == ST_OK) {
            extra = extra_members(g);
            rc = batch_commit(g->batch, extra);
        }
    }
    json_decref(extra);
    return rc;
}

bool qa_ingest_committed(const qa_ingest_t *g)
{
    return batch_committed(g->batch);
}

json_t *qa_ingest_receipt(const qa_ingest_t *g)
{
    json_t *extra = extra_members(g);
    json_t *r = batch_receipt(g->batch, extra);
    json_decref(extra);
    return r;
}

uint64_t qa_ingest_bytes(const qa_ingest_t *g)
{
    return batch_bytes(g->batch);
}

uint64_t qa_ingest_rows(const qa_ingest_t *g)
{
    return g->n->rows;
}

const char *qa_ingest_db_error(const qa_ingest_t *g)
{
    return db_error(g->db);
}

void qa_ingest_free(qa_ingest_t *g)
{
    if (!g)
        return;
    batch_free(g->batch);
    db_bulk_free(g->main.bulk);
    db_bulk_free(g->items.bulk);
    free(g->main.rows);
    free(g->items.rows);
    csv_reader_free(g->csv);
    json_split_free(g->split);
    free(g->col_of);
    for (size_t i = 0; i < g->nforms; i++) {
        qa_score_eval_free(g->forms[i]->ev);
        qa_rec_session_free(g->forms[i]->sess);
        qa_form_free(g->forms[i]->form);
        free(g->forms[i]);
    }
    free(g->forms);
    buf_free(&g->hash_text);
    json_decref(g->updated_ids);
    free(g);
}
