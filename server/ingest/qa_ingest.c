/*
 * qa_ingest.c - staged, transactional QA ingestion (see qa_ingest.h): the
 * public API, the CSV header and the dispatch of each CSV row or JSON
 * object to its kind, and the batch life (staging tables, counting of
 * changes, verdict).  The kinds are qa_eval.c, qa_cal.c and qa_appeal.c,
 * reached through their qa_kind_ops_t; the shared helpers are in
 * qa_ingest_util.c (qa_ingest_int.h).
 */
#include "qa_ingest.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "qa_ingest_int.h"
#include "status.h"
#include "xmem.h"

#define MAX_RECORD     (1u << 20) /* bytes in one CSV record or JSON object */
#define MAX_IDS_LISTED 100        /* updated ids listed in a receipt */
#define HASH_TEXT_MAX  (4u << 20) /* canonical text of one record, for its hash */

/* ---- CSV ---- */

/* The kind's column names, and its required ones, NULL-ended, for messages. */
static void spec_names(const qa_kind_ops_t *ops, const char **all, const char **required)
{
    size_t n = 0, r = 0;
    for (size_t j = 0; j < ops->nspec; j++) {
        all[n++] = ops->spec[j].name;
        if (ops->spec[j].required)
            required[r++] = ops->spec[j].name;
    }
    all[n] = required[r] = NULL;
}

/* Maps the header to the kind's columns; every problem is fatal, and all are named. */
static int csv_header(qa_ingest_t *g, const csv_field_t *f, size_t n, uint64_t line)
{
    bool seen[QA_MAX_COLS] = {false};
    const char *all[QA_MAX_COLS + 1], *required[QA_MAX_COLS + 1];
    char msg[600], known[300], need[300];
    spec_names(g->ops, all, required);
    faults_join(all, known, sizeof known);
    faults_join(required, need, sizeof need);
    g->col_of = xcalloc(n, sizeof *g->col_of);
    for (size_t i = 0; i < n; i++) {
        char shown[QA_ID_MAX + 4];
        qa_form_quote(shown, sizeof shown, f[i].ptr);
        int k = -1;
        for (size_t j = 0; j < g->ops->nspec; j++)
            if (strlen(g->ops->spec[j].name) == f[i].len &&
                memcmp(g->ops->spec[j].name, f[i].ptr, f[i].len) == 0)
                k = (int)j;
        g->col_of[i] = k;
        if (k < 0 && !(f[i].len > 2 && memcmp(f[i].ptr, "x_", 2) == 0)) {
            snprintf(msg, sizeof msg,
                     "unknown column \"%s\" (prefix it with x_ to have it ignored; known "
                     "columns: %s)",
                     shown, known);
            batch_note_error_valid(g->batch, line, shown, msg, all);
            g->header_failed = true;
        } else if (k >= 0 && seen[k]) {
            snprintf(msg, sizeof msg, "duplicate column \"%s\"", shown);
            batch_note_error(g->batch, line, shown, msg);
            g->header_failed = true;
        } else if (k >= 0) {
            seen[k] = true;
        }
    }
    for (size_t j = 0; j < g->ops->nspec; j++)
        if (g->ops->spec[j].required && !seen[j]) {
            snprintf(msg, sizeof msg, "required column \"%s\" is missing (required: %s)",
                     g->ops->spec[j].name, need);
            batch_note_error_valid(g->batch, line, g->ops->spec[j].name, msg, required);
            g->header_failed = true;
        }
    if (g->header_failed)
        return ST_ERR_INVALID;
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
        qa_ingest_reject(g, line, "", msg);
        return ST_OK;
    }
    const char *v[QA_MAX_COLS];
    for (size_t j = 0; j < QA_MAX_COLS; j++)
        v[j] = "";
    for (size_t i = 0; i < n; i++) {
        if (g->col_of[i] < 0)
            continue;
        if (strlen(f[i].ptr) != f[i].len) {
            char msg[120];
            snprintf(msg, sizeof msg, "%s: contains a NUL byte", g->ops->spec[g->col_of[i]].name);
            qa_ingest_reject(g, line, g->ops->spec[g->col_of[i]].name, msg);
            return ST_OK;
        }
        v[g->col_of[i]] = f[i].ptr;
    }
    int rc = g->ops->csv_row(g, v, line);
    return rc != ST_OK ? rc : g->db_rc;
}

/* ---- JSON ---- */

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
        if (g->ops->end)
            rc = g->ops->end(g);
        qa_ingest_reject(g, line, "", msg);
    } else {
        rc = g->ops->json_record(g, o, line);
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
    "DROP TEMPORARY TABLE IF EXISTS qa_stage_eval, qa_stage_item, qa_stage_dim, qa_stage_cal, "
    "qa_stage_appeal, qa_stage_changed",
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
    "CREATE TEMPORARY TABLE qa_stage_dim (owner BIGINT NOT NULL, dimension VARCHAR(32) NOT NULL,"
    " earned_c BIGINT NOT NULL, possible_c BIGINT NOT NULL, KEY (owner))"
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
    if ((rc = qa_ingest_items_open(g)) != ST_OK || (rc = qa_ingest_dims_open(g)) != ST_OK)
        return rc;
    return qa_stager_open(g, &g->main, g->ops->stage_sql, g->ops->stage_cols, g->ops->nstage_cols,
                          g->ops->row_size);
}

int qa_ingest_begin(db_t *db, const tenant_t *t, const char *actor, qa_kind kind, ingest_format fmt,
                    batch_mode_t mode, qa_ingest_t **out, char *err, size_t errlen)
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
    g->ops = kind == QA_KIND_EVALUATIONS    ? &qa_eval_ops
             : kind == QA_KIND_CALIBRATIONS ? &qa_cal_ops
                                            : &qa_appeal_ops;
    if (g->ops->cur_size)
        g->cur = xcalloc(1, g->ops->cur_size);
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
    if ((rc = batch_begin(db, t, actor, qa_kind_name(kind), ingest_format_name(fmt), mode,
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

/*
 * Fills qa_stage_changed with the new and changed records (`changed_sql`
 * takes the tenant id), then counts them against `staged_sql` and lists
 * some updated ids.
 */
int qa_ingest_count_changes(qa_ingest_t *g, const char *changed_sql, const char *staged_sql)
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

/* Runs statements that each take (tenant_id[, batch_id]) parameters as counted. */
int qa_ingest_run_all(qa_ingest_t *g, const char *const *sql, const int *nparams, size_t n)
{
    db_val_t v[] = {db_u64(g->tenant_id), db_u64(batch_id(g->batch))};
    for (size_t i = 0; i < n; i++) {
        int rc = db_exec(g->db, sql[i], v, (size_t)nparams[i], NULL);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

/* Warns (in the receipt) about one inspector of a month who is not on that month's list. */
static int inspector_warning(qa_ingest_t *g, const char *inspector, int y, int m, int64_t records,
                             int64_t line)
{
    char month[8];
    snprintf(month, sizeof month, "%04d-%02d", y % 10000, m % 100);
    db_val_t v[] = {db_u64(g->tenant_id), db_str(month),        db_u64(g->tenant_id),
                    db_str(inspector),    db_u64(g->tenant_id), db_str(month)};
    db_res_t *res = NULL;
    int rc = db_exec(g->db,
                     "SELECT (SELECT MAX(effective_month) FROM inspectors WHERE tenant_id = ? AND "
                     "effective_month <= ?), (SELECT COUNT(*) FROM inspectors WHERE tenant_id = ? "
                     "AND inspector_id = ? AND effective_month = (SELECT MAX(effective_month) "
                     "FROM inspectors WHERE tenant_id = ? AND effective_month <= ?))",
                     v, 6, &res);
    if (rc != ST_OK || !db_res_next(res) || db_res_i64(res, 1) > 0) {
        db_res_free(res);
        return rc;
    }
    bool no_list = db_res_is_null(res, 0);
    db_res_free(res);
    char msg[600];
    snprintf(msg, sizeof msg,
             "inspector \"%s\" is not on the inspector list %s %s (%s: %" PRId64 ", the first "
             "on line %" PRId64 "); they are kept, and the inspector's metrics for %s show "
             "listed: false and no quota; PUT /v1/tenants/{t}/qa/inspectors with month %s to "
             "list the inspector",
             inspector, no_list ? "(there is none) for" : "in force for", month,
             g->ops->records_name, records, line, month, month);
    batch_warn(g->batch, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "code", "inspector_not_listed",
                                   "inspector_id", inspector, "month", month, "records",
                                   (json_int_t)records, "line", (json_int_t)line, "message", msg));
    return ST_OK;
}

/* Warns about records by inspectors who are not on their month's inspector list. */
static int inspector_warnings(qa_ingest_t *g)
{
    if (!g->ops->inspectors_sql)
        return ST_OK;
    db_res_t *res = NULL;
    int rc = db_exec(g->db, g->ops->inspectors_sql, NULL, 0, &res);
    char cur[QA_ID_BUF] = "";
    int cy = 0, cm = 0;
    int64_t count = 0, line = 0;
    bool open = false;
    /* Rows come by inspector and slot: consecutive rows of one month merge. */
    while (rc == ST_OK) {
        bool more = db_res_next(res);
        const char *id = more ? db_res_str(res, 0, NULL) : "";
        int y = 0, m = 0;
        if (more)
            batch_local_month(g->batch, db_res_i64(res, 1) * 900, &y, &m);
        if (open && (!more || strcmp(id, cur) != 0 || y != cy || m != cm)) {
            rc = inspector_warning(g, cur, cy, cm, count, line);
            open = false;
        }
        if (!more)
            break;
        if (!open) {
            qa_ingest_copy_id(cur, id);
            cy = y, cm = m, count = 0, line = INT64_MAX, open = true;
        }
        count += db_res_i64(res, 2);
        if (db_res_i64(res, 3) < line)
            line = db_res_i64(res, 3);
    }
    db_res_free(res);
    return rc;
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
    if (!g->fatal && g->ops->end)
        rc = g->ops->end(g);
    if (rc == ST_OK)
        rc = qa_stager_flush(g, &g->main);
    if (rc == ST_OK)
        rc = qa_stager_flush(g, &g->items);
    if (rc == ST_OK)
        rc = qa_stager_flush(g, &g->dims);
    if (rc == ST_OK && !g->fatal)
        rc = g->ops->dedupe(g);
    if (rc == ST_OK && !g->fatal)
        rc = batch_periods(g->batch, g->ops->periods_sql, g->ops->periods_tenant);
    if (rc == ST_OK && !g->fatal)
        rc = inspector_warnings(g);
    if (rc != ST_OK)
        return rc;
    json_t *extra = NULL;
    if (batch_must_reject(g->batch, g->fatal)) {
        json_array_clear(g->updated_ids);
        g->unknown_contacts = 0;
        extra = extra_members(g);
        rc = batch_reject(g->batch, extra);
    } else {
        rc = g->ops->apply(g);
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
    return batch_accepted(g->batch);
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
    db_bulk_free(g->dims.bulk);
    free(g->main.rows);
    free(g->items.rows);
    free(g->dims.rows);
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
    free(g->cur);
    buf_free(&g->hash_text);
    json_decref(g->updated_ids);
    free(g);
}
