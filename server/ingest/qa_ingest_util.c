/*
 * qa_ingest_util.c - the helpers every kind of QA record uses while a batch
 * is parsed and staged: refusals, bulk stagers, checks of ids, instants
 * and scorecard versions, staged items, record hashes and JSON members
 * (see qa_ingest_int.h).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "hash.h"
#include "qa_ingest_int.h"
#include "rfc3339.h"
#include "status.h"
#include "xmem.h"

#define STAGE_CHUNK 1000 /* rows per bulk insert into a staging table */

/* One staged item result (row-wise bulk binding, db.h). */
typedef struct item_row {
    int64_t owner; /* seq of the evaluation or calibration participant */
    char item_id[QA_ID_BUF];
    char result[16];
    int32_t earned_c, possible_c; /* hundredths of a point */
    signed char ind_str;
} item_row_t;

static const db_bulk_col_t item_cols[] = {
    QA_BULK_COL(item_row_t, owner, DBB_I64),
    QA_BULK_STR(item_row_t, item_id),
    QA_BULK_STR(item_row_t, result),
    QA_BULK_COL(item_row_t, earned_c, DBB_I32),
    QA_BULK_COL(item_row_t, possible_c, DBB_I32),
};

/* One staged dimension score of an evaluation (qa_dims_eval()). */
typedef struct dim_row {
    int64_t owner; /* seq of the evaluation */
    char dimension[QA_DIMENSION_MAX + 1];
    int64_t earned_c, possible_c; /* hundredths of a point */
    signed char ind_str;
} dim_row_t;

static const db_bulk_col_t dim_cols[] = {
    QA_BULK_COL(dim_row_t, owner, DBB_I64),
    QA_BULK_STR(dim_row_t, dimension),
    QA_BULK_COL(dim_row_t, earned_c, DBB_I64),
    QA_BULK_COL(dim_row_t, possible_c, DBB_I64),
};

/* Copies src into a fixed buffer (ids are checked to fit before). */
void qa_ingest_copy_id(char *dst, const char *src)
{
    snprintf(dst, QA_ID_BUF, "%s", src);
}

/* The field a qa_form/qa_score/qa_records message is about ("field: reason"), else fallback. */
const char *qa_ingest_message_field(const char *msg, const char *fallback)
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
void qa_ingest_score_text(double v, char out[32])
{
    snprintf(out, 32, "%.17g", v);
}

/* Rejects one record (counted) with "field: message"; keeps ingesting. */
void qa_ingest_reject(qa_ingest_t *g, uint64_t line, const char *field, const char *msg)
{
    batch_reject_row(g->batch, line, field, msg);
}

/* Sends a stager's pending rows. */
int qa_stager_flush(qa_ingest_t *g, qa_stager_t *st)
{
    if (st->n == 0 || g->db_rc != ST_OK)
        return g->db_rc;
    g->db_rc = db_bulk_exec(st->bulk, st->rows, st->n);
    st->n = 0;
    return g->db_rc;
}

/* The next free row of a stager, zeroed (flushing when full), or NULL after a database error. */
void *qa_stager_next(qa_ingest_t *g, qa_stager_t *st)
{
    if (st->n == STAGE_CHUNK && qa_stager_flush(g, st) != ST_OK)
        return NULL;
    if (g->db_rc != ST_OK)
        return NULL;
    void *row = st->rows + st->n++ * st->row_size;
    memset(row, 0, st->row_size);
    return row;
}

/* Prepares a stager for `sql` with the given columns. */
int qa_stager_open(qa_ingest_t *g, qa_stager_t *st, const char *sql, const db_bulk_col_t *cols,
                   size_t ncols, size_t row_size)
{
    st->row_size = row_size;
    st->rows = xcalloc(STAGE_CHUNK, row_size);
    return db_bulk_prepare(g->db, sql, cols, ncols, row_size, &st->bulk);
}

/* Prepares the stager of every kind's item results. */
int qa_ingest_items_open(qa_ingest_t *g)
{
    return qa_stager_open(g, &g->items,
                          "INSERT INTO qa_stage_item (owner, item_id, result, earned_c, "
                          "possible_c) VALUES (?, ?, ?, ?, ?)",
                          item_cols, sizeof item_cols / sizeof item_cols[0], sizeof(item_row_t));
}

/* Prepares the stager of the evaluations' dimension scores. */
int qa_ingest_dims_open(qa_ingest_t *g)
{
    return qa_stager_open(g, &g->dims,
                          "INSERT INTO qa_stage_dim (owner, dimension, earned_c, possible_c) "
                          "VALUES (?, ?, ?, ?)",
                          dim_cols, sizeof dim_cols / sizeof dim_cols[0], sizeof(dim_row_t));
}

/* Appends the evaluation's dimension scores (qa_dims_eval()), one row per dimension. */
int qa_ingest_stage_dims(qa_ingest_t *g, const qa_form_t *form, const qa_result_t *res,
                         int64_t owner)
{
    size_t n = qa_form_item_count(form);
    qa_dim_score_t *d = xcalloc(n + 1, sizeof *d);
    size_t k = qa_dims_eval(form, res, n, d);
    for (size_t i = 0; i < k; i++) {
        dim_row_t *r = qa_stager_next(g, &g->dims);
        if (!r)
            break;
        r->owner = owner;
        snprintf(r->dimension, sizeof r->dimension, "%s", d[i].dimension);
        r->earned_c = d[i].earned_c;
        r->possible_c = d[i].possible_c;
        r->ind_str = DB_IND_NTS;
    }
    free(d);
    return g->db_rc;
}

/* Hashes the canonical text collected in g->hash_text into 32 hex digits. */
void qa_ingest_hash_record(qa_ingest_t *g, char out[33])
{
    uint8_t d[HASH_SHA256_LEN];
    hash_sha256(g->hash_text.data ? g->hash_text.data : "", g->hash_text.len, d);
    hash_hex(d, 16, out);
    buf_reset(&g->hash_text);
}

/* Loads (once per batch) the scorecard version a record names. */
static int form_get(qa_ingest_t *g, const char *form_id, int64_t version, qa_form_entry_t **out)
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
    qa_form_entry_t *fe = xcalloc(1, sizeof *fe);
    g->forms[g->nforms++] = fe;
    qa_ingest_copy_id(fe->form_id, form_id);
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
bool qa_ingest_check_id(qa_ingest_t *g, uint64_t line, const char *name, const char *value)
{
    if (qa_form_id_valid(value))
        return true;
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s", name,
             value[0] ? "must be 1-64 visible ASCII characters" : "required");
    qa_ingest_reject(g, line, name, msg);
    return false;
}

/* Parses an instant column; false after rejecting the record. */
bool qa_ingest_check_instant(qa_ingest_t *g, uint64_t line, const char *name, const char *value,
                             int64_t *us)
{
    char why[128], msg[200];
    if (!value[0])
        snprintf(why, sizeof why, "required");
    else if (rfc3339_parse(value, strlen(value), us, why, sizeof why) == ST_OK)
        return true;
    snprintf(msg, sizeof msg, "%s: %s", name, why);
    qa_ingest_reject(g, line, name, msg);
    return false;
}

/* Resolves form_id + form_version to a loaded form; false after rejecting the record. */
bool qa_ingest_check_form(qa_ingest_t *g, uint64_t line, const char *form_id, const char *version,
                          int64_t *v, qa_form_entry_t **fe)
{
    if (!qa_ingest_check_id(g, line, "form_id", form_id))
        return false;
    if (!version_parse(version, v)) {
        qa_ingest_reject(g, line, "form_version", "form_version: must be a whole number >= 1");
        return false;
    }
    if (form_get(g, form_id, *v, fe) != ST_OK)
        return false;
    if (!(*fe)->form) {
        char msg[200];
        snprintf(msg, sizeof msg, "form_version: form \"%s\" has no version %" PRId64, form_id, *v);
        qa_ingest_reject(g, line, "form_version", msg);
        return false;
    }
    return true;
}

/* Appends one item row per given result (owner = a staged record's seq). */
int qa_ingest_stage_items(qa_ingest_t *g, const qa_form_t *form, const qa_result_t *res,
                          int64_t owner)
{
    for (size_t i = 0; i < qa_form_item_count(form); i++) {
        if (res[i].kind == QA_RESULT_NONE)
            continue;
        const qa_item_t *it = qa_form_item(form, i);
        item_row_t *r = qa_stager_next(g, &g->items);
        if (!r)
            return g->db_rc;
        r->owner = owner;
        qa_ingest_copy_id(r->item_id, it->id);
        qa_score_result_format(&res[i], r->result, sizeof r->result);
        r->earned_c = res[i].centi;
        r->possible_c = res[i].kind == QA_RESULT_NA ? 0 : it->max * 100;
        r->ind_str = DB_IND_NTS;
    }
    return ST_OK;
}

/* Adds a result list to the record's canonical text. */
void qa_ingest_hash_items(qa_ingest_t *g, const qa_form_t *form, const qa_result_t *res)
{
    for (size_t i = 0; i < qa_form_item_count(form); i++) {
        if (res[i].kind == QA_RESULT_NONE)
            continue;
        char t[16];
        qa_score_result_format(&res[i], t, sizeof t);
        buf_printf(&g->hash_text, "\x1e%s\x1f%s", qa_form_item(form, i)->id, t);
    }
}

/*
 * The text of member `key` of o: a string as is, an integer or real
 * written out, "" when absent or null.  false after rejecting the record
 * for another type.
 */
bool qa_ingest_json_text(qa_ingest_t *g, uint64_t line, json_t *o, const char *key, char *buf,
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
    qa_ingest_reject(g, line, key, msg);
    return false;
}

/* Refuses members outside `allowed` (x_ members are ignored); false after rejecting. */
bool qa_ingest_json_known(qa_ingest_t *g, uint64_t line, json_t *o, const char *const *allowed)
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
            char shown[QA_ID_MAX + 4], known[300], msg[480];
            qa_form_quote(shown, sizeof shown, key);
            snprintf(msg, sizeof msg,
                     "unknown member \"%s\" (prefix it with x_ to have it ignored; known "
                     "members: %s)",
                     shown, faults_join(allowed, known, sizeof known));
            batch_reject_row_valid(g->batch, line, shown, msg, allowed);
            return false;
        }
    }
    return true;
}

/* Reads the members of a spec into text values; false after rejecting. */
bool qa_ingest_json_values(qa_ingest_t *g, uint64_t line, json_t *o, const qa_col_spec_t *spec,
                           size_t n, char (*bufs)[40], const char **v)
{
    for (size_t i = 0; i < n; i++)
        if (!qa_ingest_json_text(g, line, o, spec[i].name, bufs[i], sizeof bufs[i], &v[i]))
            return false;
    return true;
}
