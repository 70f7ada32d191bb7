/*
 * qa_cal.c - the calibrations kind of QA ingestion (qa_ingest_int.h): its
 * columns, the session assembled from consecutive CSV rows or one JSON
 * object, every participant scored with the session's form version and
 * staged with its items, repeats in a batch, and the whole-session
 * replacement of new and changed sessions.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "qa_ingest_int.h"
#include "rfc3339.h"
#include "status.h"

/* One staged participant of a session (row-wise bulk binding, db.h). */
typedef struct cal_row {
    int64_t seq, grp, line;
    char session_id[QA_ID_BUF], inspector_id[QA_ID_BUF], call_id[QA_ID_BUF], form_id[QA_ID_BUF];
    int64_t form_version, evaluated_us;
    int8_t is_reference;
    char score[32];
    char hash_hex[33]; /* of the whole session */
    signed char ind_str;
} cal_row_t;

static const db_bulk_col_t cal_cols[] = {
    QA_BULK_COL(cal_row_t, seq, DBB_I64),
    QA_BULK_COL(cal_row_t, grp, DBB_I64),
    QA_BULK_COL(cal_row_t, line, DBB_I64),
    QA_BULK_STR(cal_row_t, session_id),
    QA_BULK_STR(cal_row_t, inspector_id),
    QA_BULK_STR(cal_row_t, call_id),
    QA_BULK_STR(cal_row_t, form_id),
    QA_BULK_COL(cal_row_t, form_version, DBB_I64),
    QA_BULK_COL(cal_row_t, evaluated_us, DBB_I64),
    QA_BULK_COL(cal_row_t, is_reference, DBB_I8),
    QA_BULK_STR(cal_row_t, score),
    QA_BULK_STR(cal_row_t, hash_hex),
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
_Static_assert(CA_N <= QA_MAX_COLS, "QA_MAX_COLS holds every calibration column");
static const qa_col_spec_t cal_spec[CA_N] = {
    {"session_id", true},   {"call_id", true},      {"inspector_id", true},
    {"is_reference", true}, {"evaluated_at", true}, {"item_id", true},
    {"result", true},       {"form_id", true},      {"form_version", true},
};

/* The calibration session being assembled. */
typedef struct cal_cur {
    bool open, bad;
    uint64_t line;
    const char *part_field; /* inspector_id (CSV) or participants (JSON) */
    char v[CA_N][QA_ID_BUF];
    int64_t version;
    qa_form_entry_t *fe;
    int64_t at_us[QA_REC_MAX_PARTICIPANTS];
    uint64_t part_line[QA_REC_MAX_PARTICIPANTS];
} cal_cur_t;

/* Ends the open session: score every participant, check it, stage it. */
static int cal_end(qa_ingest_t *g)
{
    cal_cur_t *c = g->cur;
    if (!c->open)
        return ST_OK;
    c->open = false;
    if (c->bad)
        return ST_OK;
    qa_rec_session_t *s = c->fe->sess;
    char err[300];
    if (qa_rec_session_finish(s, err, sizeof err) != ST_OK) {
        const char *f = strncmp(err, "session:", 8) == 0
                            ? c->part_field
                            : qa_ingest_message_field(err, c->part_field);
        qa_ingest_reject(g, c->line, f, err);
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
        qa_ingest_hash_items(g, form, qa_rec_session_results(s, i));
    }
    char hash[33];
    qa_ingest_hash_record(g, hash);
    g->grp++;
    for (size_t i = 0; i < n; i++) {
        const qa_rec_participant_t *p = qa_rec_session_participant(s, i);
        cal_row_t *r = qa_stager_next(g, &g->main);
        if (!r)
            return g->db_rc;
        r->seq = ++g->seq;
        r->grp = g->grp;
        r->line = (int64_t)c->part_line[i];
        qa_ingest_copy_id(r->session_id, c->v[CA_SESSION]);
        qa_ingest_copy_id(r->inspector_id, p->inspector_id);
        qa_ingest_copy_id(r->call_id, c->v[CA_CALL]);
        qa_ingest_copy_id(r->form_id, c->v[CA_FORM]);
        r->form_version = c->version;
        r->evaluated_us = c->at_us[i];
        r->is_reference = p->is_reference;
        qa_ingest_score_text(p->score, r->score);
        memcpy(r->hash_hex, hash, sizeof hash);
        r->ind_str = DB_IND_NTS;
        int rc = qa_ingest_stage_items(g, form, qa_rec_session_results(s, i), r->seq);
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
    cal_cur_t *c = g->cur;
    memset(c, 0, sizeof *c);
    c->open = true;
    c->bad = true;
    c->line = line;
    c->part_field = part_field;
    qa_ingest_copy_id(c->v[CA_SESSION], v[CA_SESSION]);
    qa_ingest_copy_id(c->v[CA_CALL], v[CA_CALL]);
    qa_ingest_copy_id(c->v[CA_FORM], v[CA_FORM]);
    qa_ingest_copy_id(c->v[CA_VERSION], v[CA_VERSION]);
    if (!qa_ingest_check_id(g, line, "session_id", v[CA_SESSION]) ||
        !qa_ingest_check_id(g, line, "call_id", v[CA_CALL]) ||
        !qa_ingest_check_form(g, line, v[CA_FORM], v[CA_VERSION], &c->version, &c->fe))
        return g->db_rc;
    qa_rec_session_reset(c->fe->sess);
    c->bad = false;
    return ST_OK;
}

/* Marks the open session bad, rejecting it with this error. */
static void cal_fail(qa_ingest_t *g, uint64_t line, const char *field, const char *msg)
{
    cal_cur_t *c = g->cur;
    if (!c->bad)
        qa_ingest_reject(g, line, field, msg);
    c->bad = true;
}

/* Adds one participant's item result to the open session. */
static void cal_add(qa_ingest_t *g, uint64_t line, const char *inspector, const char *is_ref,
                    const char *at, const char *item, const char *result)
{
    cal_cur_t *c = g->cur;
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
        const char *f = qa_ingest_message_field(err, "");
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
    cal_cur_t *c = g->cur;
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

/* One calibration session object. */
static int cal_json(qa_ingest_t *g, json_t *o, uint64_t line)
{
    static const char *const allowed[] = {"session_id",   "call_id",      "form_id",
                                          "form_version", "participants", NULL};
    static const char *const part_allowed[] = {"inspector_id", "is_reference", "evaluated_at",
                                               "items", NULL};
    cal_cur_t *c = g->cur;
    char bufs[CA_N][40];
    const char *v[QA_MAX_COLS];
    int rc = cal_end(g);
    if (rc != ST_OK || !qa_ingest_json_known(g, line, o, allowed) ||
        !qa_ingest_json_values(g, line, o, cal_spec, CA_N, bufs, v))
        return rc;
    if ((rc = cal_start(g, line, v, "participants")) != ST_OK || c->bad)
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
        c->bad = true; /* a member error below is this session's one rejection */
        if (!qa_ingest_json_known(g, line, p, part_allowed) ||
            !qa_ingest_json_text(g, line, p, "inspector_id", b[0], 40, &insp) ||
            !qa_ingest_json_text(g, line, p, "is_reference", b[1], 40, &ref) ||
            !qa_ingest_json_text(g, line, p, "evaluated_at", b[2], 40, &at))
            return ST_OK;
        c->bad = false;
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

/* Resolves sessions staged twice. */
static int cal_dedupe_staged(qa_ingest_t *g)
{
    return batch_dedupe(g->batch, g->db, &cal_dedupe);
}

/* Replaces changed sessions whole and inserts new ones. */
static int apply_calibrations(qa_ingest_t *g)
{
    int rc = qa_ingest_count_changes(
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
    return qa_ingest_run_all(g, sql, np, 4);
}

/* The calibrations kind, for qa_ingest.c. */
const qa_kind_ops_t qa_cal_ops = {
    .spec = cal_spec,
    .nspec = CA_N,
    .cur_size = sizeof(cal_cur_t),
    .stage_sql = "INSERT INTO qa_stage_cal (seq, grp, line, session_id, inspector_id, "
                 "call_id, form_id, form_version, evaluated_us, is_reference, score, "
                 "row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    .stage_cols = cal_cols,
    .nstage_cols = sizeof cal_cols / sizeof cal_cols[0],
    .row_size = sizeof(cal_row_t),
    .csv_row = cal_csv_row,
    .json_record = cal_json,
    .end = cal_end,
    .dedupe = cal_dedupe_staged,
    .apply = apply_calibrations,
    /* A session counts in the month of its earliest evaluated_at (as the metrics read it). */
    .periods_sql = "SELECT t DIV 900000000, COUNT(*) FROM (SELECT MIN(evaluated_us) AS t FROM "
                   "qa_stage_cal GROUP BY grp) s GROUP BY 1",
    .periods_tenant = false,
    .inspectors_sql = "SELECT inspector_id, t DIV 900000000, COUNT(*), MIN(line) FROM (SELECT "
                      "inspector_id, line, MIN(evaluated_us) OVER (PARTITION BY grp) AS t FROM "
                      "qa_stage_cal) s GROUP BY 1, 2 ORDER BY 1, 2",
    .records_name = "calibration sessions",
};
