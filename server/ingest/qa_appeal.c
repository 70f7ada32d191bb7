/*
 * qa_appeal.c - the appeals kind of QA ingestion (qa_ingest_int.h): its
 * columns, one appeal per CSV row or JSON object checked and staged,
 * repeats in a batch and appeals of unknown evaluations refused, and the
 * upsert of new and changed appeals.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "qa_ingest_int.h"
#include "status.h"

/* One staged appeal (row-wise bulk binding, db.h). */
typedef struct appeal_row {
    int64_t line;
    char evaluation_id[QA_ID_BUF];
    int64_t appealed_us, decided_us;
    int8_t outcome;
    char new_score[32];
    char hash_hex[33];
    signed char ind_str, ind_score;
} appeal_row_t;

static const db_bulk_col_t appeal_cols[] = {
    QA_BULK_COL(appeal_row_t, line, DBB_I64),
    QA_BULK_STR(appeal_row_t, evaluation_id),
    QA_BULK_COL(appeal_row_t, appealed_us, DBB_I64),
    QA_BULK_COL(appeal_row_t, decided_us, DBB_I64),
    QA_BULK_COL(appeal_row_t, outcome, DBB_I8),
    {DBB_STR, offsetof(appeal_row_t, new_score), (long)offsetof(appeal_row_t, ind_score)},
    QA_BULK_STR(appeal_row_t, hash_hex),
};

enum { AP_ID, AP_APPEALED, AP_DECIDED, AP_OUTCOME, AP_SCORE, AP_N };
_Static_assert(AP_N <= QA_MAX_COLS, "QA_MAX_COLS holds every appeal column");
static const qa_col_spec_t appeal_spec[AP_N] = {
    {"evaluation_id", true}, {"appealed_at", true}, {"decided_at", true},
    {"outcome", true},       {"new_score", false},
};

/* One appeal (CSV row or JSON object as text values; num_score: new_score given as a number). */
static int appeal_row(qa_ingest_t *g, const char *const *v, const double *num_score, uint64_t line)
{
    qa_rec_appeal_t a = {.evaluation_id = v[AP_ID]};
    char err[200];
    if (!qa_ingest_check_id(g, line, "evaluation_id", v[AP_ID]) ||
        !qa_ingest_check_instant(g, line, "appealed_at", v[AP_APPEALED], &a.appealed_at) ||
        !qa_ingest_check_instant(g, line, "decided_at", v[AP_DECIDED], &a.decided_at))
        return g->db_rc;
    if (qa_rec_outcome_parse(v[AP_OUTCOME], &a.outcome, err, sizeof err) != ST_OK) {
        static const char *const outcomes[] = {"upheld", "overturned", NULL};
        batch_reject_row_valid(g->batch, line, "outcome", err, outcomes);
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
            qa_ingest_reject(g, line, "new_score", err);
            return ST_OK;
        }
    }
    if (qa_rec_appeal_check(&a, err, sizeof err) != ST_OK) {
        qa_ingest_reject(g, line, qa_ingest_message_field(err, ""), err);
        return ST_OK;
    }
    g->n->rows++;
    appeal_row_t *r = qa_stager_next(g, &g->main);
    if (!r)
        return g->db_rc;
    r->line = (int64_t)line;
    qa_ingest_copy_id(r->evaluation_id, a.evaluation_id);
    r->appealed_us = a.appealed_at;
    r->decided_us = a.decided_at;
    r->outcome = (int8_t)a.outcome;
    r->ind_str = DB_IND_NTS;
    r->ind_score = DB_IND_NULL;
    if (a.has_new_score) {
        qa_ingest_score_text(a.new_score, r->new_score);
        r->ind_score = DB_IND_NTS;
    }
    buf_printf(&g->hash_text, "%s\x1f%" PRId64 "\x1f%" PRId64 "\x1f%d\x1f%s", r->evaluation_id,
               r->appealed_us, r->decided_us, r->outcome, r->new_score);
    qa_ingest_hash_record(g, r->hash_hex);
    return ST_OK;
}

/* One CSV row of appeals: one appeal. */
static int appeal_csv_row(qa_ingest_t *g, const char *const *v, uint64_t line)
{
    return appeal_row(g, v, NULL, line);
}

/* One appeal object. */
static int appeal_json(qa_ingest_t *g, json_t *o, uint64_t line)
{
    static const char *const allowed[] = {"evaluation_id", "appealed_at", "decided_at",
                                          "outcome",       "new_score",   NULL};
    char bufs[AP_N][40];
    const char *v[QA_MAX_COLS];
    if (!qa_ingest_json_known(g, line, o, allowed) ||
        !qa_ingest_json_values(g, line, o, appeal_spec, AP_N, bufs, v))
        return ST_OK;
    json_t *score = json_object_get(o, "new_score");
    double num = json_is_number(score) ? json_number_value(score) : 0;
    return appeal_row(g, v, json_is_number(score) ? &num : NULL, line);
}

/* Appeals staged twice in one batch (batch_dedupe). */
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

/* Writes new and changed appeals. */
static int apply_appeals(qa_ingest_t *g)
{
    int rc = qa_ingest_count_changes(
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
    return qa_ingest_run_all(g, sql, np, 1);
}

/* The appeals kind, for qa_ingest.c: a row is a whole record, so no cursor and no end. */
const qa_kind_ops_t qa_appeal_ops = {
    .spec = appeal_spec,
    .nspec = AP_N,
    .cur_size = 0,
    .stage_sql = "INSERT INTO qa_stage_appeal (line, evaluation_id, appealed_us, "
                 "decided_us, outcome, new_score, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
    .stage_cols = appeal_cols,
    .nstage_cols = sizeof appeal_cols / sizeof appeal_cols[0],
    .row_size = sizeof(appeal_row_t),
    .csv_row = appeal_csv_row,
    .json_record = appeal_json,
    .end = NULL,
    .dedupe = dedupe_appeals,
    .apply = apply_appeals,
    /* An appeal counts in the month of the evaluation it changes. */
    .periods_sql = "SELECT e.evaluated_us DIV 900000000, COUNT(*) FROM qa_stage_appeal a JOIN "
                   "evaluations e ON e.tenant_id = ? AND e.evaluation_id = a.evaluation_id "
                   "GROUP BY 1",
    .periods_tenant = true,
    .inspectors_sql = NULL,
    .records_name = "appeals",
};
