/*
 * qa_eval.c - the evaluations kind of QA ingestion (qa_ingest_int.h): its
 * columns, the evaluation assembled from consecutive CSV rows or one JSON
 * object, scored with its form version and staged with its items, repeats
 * in a batch, and the upsert of new and changed evaluations.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "qa_ingest_int.h"
#include "status.h"

/* One staged evaluation (row-wise bulk binding, db.h). */
typedef struct eval_row {
    int64_t seq, line;
    char evaluation_id[QA_ID_BUF], call_id[QA_ID_BUF], agent_id[QA_ID_BUF], inspector_id[QA_ID_BUF],
        form_id[QA_ID_BUF];
    int64_t form_version, evaluated_us;
    char score[32], raw[32]; /* %.17g: exact for a DOUBLE column */
    int8_t fatal, defect;
    char hash_hex[33];
    signed char ind_str;
} eval_row_t;

static const db_bulk_col_t eval_cols[] = {
    QA_BULK_COL(eval_row_t, seq, DBB_I64),
    QA_BULK_COL(eval_row_t, line, DBB_I64),
    QA_BULK_STR(eval_row_t, evaluation_id),
    QA_BULK_STR(eval_row_t, call_id),
    QA_BULK_STR(eval_row_t, agent_id),
    QA_BULK_STR(eval_row_t, inspector_id),
    QA_BULK_STR(eval_row_t, form_id),
    QA_BULK_COL(eval_row_t, form_version, DBB_I64),
    QA_BULK_COL(eval_row_t, evaluated_us, DBB_I64),
    QA_BULK_STR(eval_row_t, score),
    QA_BULK_STR(eval_row_t, raw),
    QA_BULK_COL(eval_row_t, fatal, DBB_I8),
    QA_BULK_COL(eval_row_t, defect, DBB_I8),
    QA_BULK_STR(eval_row_t, hash_hex),
};

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
_Static_assert(EV_N <= QA_MAX_COLS, "QA_MAX_COLS holds every evaluation column");
static const qa_col_spec_t eval_spec[EV_N] = {
    {"evaluation_id", true}, {"call_id", true},      {"agent_id", true},     {"inspector_id", true},
    {"form_id", true},       {"form_version", true}, {"evaluated_at", true}, {"item_id", true},
    {"result", true},        {"score", false},
};

/* The evaluation being assembled from CSV rows or one JSON object. */
typedef struct eval_cur {
    bool open, bad, has_score;
    uint64_t line;
    const char *item_field;  /* the field named for item errors: item_id (CSV) or items (JSON) */
    char v[EV_N][QA_ID_BUF]; /* the first row's values (score and item columns unused) */
    int64_t version, at_us;
    double score;
    qa_form_entry_t *fe;
} eval_cur_t;

/* Ends the open evaluation: score it, check a supplied total, stage it. */
static int eval_end(qa_ingest_t *g)
{
    eval_cur_t *c = g->cur;
    if (!c->open)
        return ST_OK;
    c->open = false;
    if (c->bad)
        return ST_OK;
    qa_score_t sc;
    char err[300];
    if (qa_score_eval_finish(c->fe->ev, &sc, err, sizeof err) != ST_OK) {
        qa_ingest_reject(g, c->line, c->item_field, err);
        return ST_OK;
    }
    if (c->has_score && qa_score_check_total(c->score, sc.score, err, sizeof err) != ST_OK) {
        char msg[360];
        snprintf(msg, sizeof msg, "score: %s", err);
        qa_ingest_reject(g, c->line, "score", msg);
        return ST_OK;
    }
    g->n->rows++;
    eval_row_t *r = qa_stager_next(g, &g->main);
    if (!r)
        return g->db_rc;
    r->seq = ++g->seq;
    r->line = (int64_t)c->line;
    qa_ingest_copy_id(r->evaluation_id, c->v[EV_ID]);
    qa_ingest_copy_id(r->call_id, c->v[EV_CALL]);
    qa_ingest_copy_id(r->agent_id, c->v[EV_AGENT]);
    qa_ingest_copy_id(r->inspector_id, c->v[EV_INSPECTOR]);
    qa_ingest_copy_id(r->form_id, c->v[EV_FORM]);
    r->form_version = c->version;
    r->evaluated_us = c->at_us;
    qa_ingest_score_text(sc.score, r->score);
    qa_ingest_score_text(sc.raw, r->raw);
    r->fatal = sc.fatal;
    r->defect = sc.defect;
    r->ind_str = DB_IND_NTS;
    const qa_form_t *form = c->fe->form;
    const qa_result_t *res = qa_score_eval_results(c->fe->ev);
    buf_printf(&g->hash_text, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%" PRId64 "\x1f%" PRId64,
               r->evaluation_id, r->call_id, r->agent_id, r->inspector_id, r->form_id,
               r->form_version, r->evaluated_us);
    qa_ingest_hash_items(g, form, res);
    qa_ingest_hash_record(g, r->hash_hex);
    int64_t seq = r->seq;
    int rc = qa_ingest_stage_items(g, form, res, seq);
    return rc == ST_OK ? qa_ingest_stage_dims(g, form, res, seq) : rc;
}

/* Starts an evaluation from its identifying values (after ending the open one). */
static int eval_start(qa_ingest_t *g, uint64_t line, const char *const *v, const char *item_field)
{
    int rc = eval_end(g);
    if (rc != ST_OK)
        return rc;
    eval_cur_t *c = g->cur;
    memset(c, 0, sizeof *c);
    c->open = true;
    c->bad = true; /* until every check passed */
    c->line = line;
    c->item_field = item_field;
    for (int i = 0; i < EV_ITEM; i++)
        qa_ingest_copy_id(c->v[i],
                          v[i]); /* first, so that later rows of a bad evaluation join it */
    static const int ids[] = {EV_ID, EV_CALL, EV_AGENT, EV_INSPECTOR};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (!qa_ingest_check_id(g, line, eval_spec[ids[i]].name, v[ids[i]]))
            return g->db_rc;
    if (!qa_ingest_check_instant(g, line, "evaluated_at", v[EV_AT], &c->at_us) ||
        !qa_ingest_check_form(g, line, v[EV_FORM], v[EV_VERSION], &c->version, &c->fe))
        return g->db_rc;
    qa_score_eval_reset(c->fe->ev);
    c->bad = false;
    return ST_OK;
}

/* Marks the open evaluation bad, rejecting it with this error. */
static void eval_fail(qa_ingest_t *g, uint64_t line, const char *field, const char *msg)
{
    eval_cur_t *c = g->cur;
    if (!c->bad)
        qa_ingest_reject(g, line, field, msg);
    c->bad = true;
}

/* Takes a supplied total; a second one must agree with the first. */
static void eval_score_value(qa_ingest_t *g, uint64_t line, double v)
{
    eval_cur_t *c = g->cur;
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
    const eval_cur_t *c = g->cur;
    double v;
    char err[200], msg[240];
    if (c->bad || !text[0])
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
    eval_cur_t *c = g->cur;
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

/* One evaluation object. */
static int eval_json(qa_ingest_t *g, json_t *o, uint64_t line)
{
    static const char *const allowed[] = {
        "evaluation_id", "call_id",      "agent_id", "inspector_id", "form_id",
        "form_version",  "evaluated_at", "items",    "score",        NULL};
    const eval_cur_t *c = g->cur;
    char bufs[EV_N][40];
    const char *v[QA_MAX_COLS];
    int rc = eval_end(g);
    if (rc != ST_OK || !qa_ingest_json_known(g, line, o, allowed) ||
        !qa_ingest_json_values(g, line, o, eval_spec, EV_N, bufs, v))
        return rc;
    if ((rc = eval_start(g, line, v, "items")) != ST_OK || c->bad)
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
        if (qa_score_eval_add_json(c->fe->ev, key, val, err, sizeof err) != ST_OK) {
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

/* Evaluations staged twice in one batch (batch_dedupe). */
static const char *const eval_drop_all[] = {
    "DELETE FROM qa_stage_item WHERE owner IN (SELECT seq FROM qa_stage_eval WHERE "
    "evaluation_id = ?)",
    "DELETE FROM qa_stage_dim WHERE owner IN (SELECT seq FROM qa_stage_eval WHERE "
    "evaluation_id = ?)",
    "DELETE FROM qa_stage_eval WHERE evaluation_id = ?", NULL};
static const char *const eval_drop_others[] = {
    "DELETE FROM qa_stage_item WHERE owner IN (SELECT seq FROM qa_stage_eval WHERE "
    "evaluation_id = ? AND seq <> ?)",
    "DELETE FROM qa_stage_dim WHERE owner IN (SELECT seq FROM qa_stage_eval WHERE "
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

/* Resolves evaluations staged twice. */
static int eval_dedupe_staged(qa_ingest_t *g)
{
    return batch_dedupe(g->batch, g->db, &eval_dedupe);
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

/* Writes new and changed evaluations with their items. */
static int apply_evaluations(qa_ingest_t *g)
{
    int rc = qa_ingest_count_changes(
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
        "DELETE FROM evaluation_dimensions WHERE tenant_id = ? AND evaluation_id IN (SELECT k "
        "FROM qa_stage_changed WHERE is_new = 0)",
        "INSERT INTO evaluation_dimensions (tenant_id, evaluation_id, dimension, earned, "
        "possible) SELECT ?, s.evaluation_id, d.dimension, d.earned_c / 100, d.possible_c / 100 "
        "FROM qa_stage_dim d JOIN qa_stage_eval s ON s.seq = d.owner "
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
    static const int np[] = {1, 1, 1, 1, 2};
    return qa_ingest_run_all(g, sql, np, 5);
}

/* The evaluations kind, for qa_ingest.c. */
const qa_kind_ops_t qa_eval_ops = {
    .spec = eval_spec,
    .nspec = EV_N,
    .cur_size = sizeof(eval_cur_t),
    .stage_sql = "INSERT INTO qa_stage_eval (seq, line, evaluation_id, call_id, "
                 "agent_id, inspector_id, form_id, form_version, evaluated_us, score, "
                 "raw_score, fatal, defect, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                 "?, ?, ?, ?, ?, ?)",
    .stage_cols = eval_cols,
    .nstage_cols = sizeof eval_cols / sizeof eval_cols[0],
    .row_size = sizeof(eval_row_t),
    .csv_row = eval_csv_row,
    .json_record = eval_json,
    .end = eval_end,
    .dedupe = eval_dedupe_staged,
    .apply = apply_evaluations,
    .periods_sql = "SELECT evaluated_us DIV 900000000, COUNT(*) FROM qa_stage_eval GROUP BY 1",
    .periods_tenant = false,
    .inspectors_sql = "SELECT inspector_id, evaluated_us DIV 900000000, COUNT(*), MIN(line) "
                      "FROM qa_stage_eval GROUP BY 1, 2 ORDER BY 1, 2",
    .records_name = "evaluations",
};
