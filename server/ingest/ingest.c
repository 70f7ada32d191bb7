/* ingest.c - staged, transactional contact ingestion (see ingest.h). */
#include "ingest.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch.h"
#include "cdr.h"
#include "cdr_qlog.h"
#include "cdr_reader.h"
#include "cdr_validate.h"
#include "hash.h"
#include "log.h"
#include "rollup_batch.h"
#include "status.h"
#include "xmem.h"

#define STAGE_CHUNK        2000 /* rows per bulk insert into the staging table */
#define MAX_UPDATED_LISTED 100

/* One staged row, laid out for row-wise bulk binding (db_bulk). */
typedef struct stage_row {
    int64_t line;
    cdr_t r;
    int32_t wait_s;
    int32_t outcome, channel;
    char hash_hex[33];
    signed char ind_str;      /* DB_IND_NTS for every string column */
    signed char ind_answered; /* DB_IND_NULL when not answered */
} stage_row_t;

struct ingest {
    db_t *db;
    uint64_t tenant_id;
    ingest_format fmt;
    batch_t *batch; /* the shared part: transaction, batch row, counts, errors, audit */
    batch_counts_t *n;
    cdr_reader_t *reader;
    qlog_t *qlog;
    db_bulk_t *stage;
    stage_row_t *rows;
    size_t nrows;
    json_t *updated_ids;
    bool fatal;
    bool finished;
    int db_rc;
};

static const struct {
    ingest_format fmt;
    const char *name;
    const char *content_type;
} formats[] = {
    {INGEST_CSV, "csv", "text/csv"},
    {INGEST_JSON, "json", "application/json"},
    {INGEST_NDJSON, "ndjson", "application/x-ndjson"},
    {INGEST_QLOG, "queue_log", "text/x-asterisk-queue-log"},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

int ingest_format_parse(const char *name, ingest_format *out)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].fmt;
            return ST_OK;
        }
    return ST_ERR_INVALID;
}

int ingest_format_from_content_type(const char *ct, ingest_format *out)
{
    if (!ct)
        return ST_ERR_INVALID;
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < NFORMATS; i++)
        if (strlen(formats[i].content_type) == n &&
            strncasecmp(ct, formats[i].content_type, n) == 0) {
            *out = formats[i].fmt;
            return ST_OK;
        }
    return ST_ERR_INVALID;
}

const char *ingest_format_name(ingest_format fmt)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i].fmt == fmt)
            return formats[i].name;
    return "?";
}

/* The staging table's bulk insert: one `?` per stage_row_t column. */
static const db_bulk_col_t stage_cols[] = {
#define COL(type, field, ind)                                                                      \
    {                                                                                              \
        type, offsetof(stage_row_t, field), ind                                                    \
    }
#define STR offsetof(stage_row_t, ind_str)
    COL(DBB_I64, line, -1),
    COL(DBB_STR, r.call_id, STR),
    COL(DBB_STR, r.queue, STR),
    COL(DBB_I64, r.offered_us, -1),
    COL(DBB_I64, r.answered_us, offsetof(stage_row_t, ind_answered)),
    COL(DBB_I64, r.ended_us, -1),
    COL(DBB_I32, wait_s, -1),
    COL(DBB_I32, outcome, -1),
    COL(DBB_I32, channel, -1),
    COL(DBB_STR, r.agent_id, STR),
    COL(DBB_STR, r.customer_id, STR),
    COL(DBB_I32, r.talk_s, -1),
    COL(DBB_I32, r.hold_s, -1),
    COL(DBB_I32, r.acw_s, -1),
    COL(DBB_I8, r.transferred, -1),
    COL(DBB_I8, r.resolved, -1),
    COL(DBB_I8, r.csat, -1),
    COL(DBB_STR, r.reason, STR),
    COL(DBB_STR, hash_hex, STR),
#undef STR
#undef COL
};

/* Sends the buffered rows to the staging table. */
static int flush_rows(ingest_t *g)
{
    if (g->nrows == 0 || g->db_rc != ST_OK)
        return g->db_rc;
    g->db_rc = db_bulk_exec(g->stage, g->rows, g->nrows);
    g->nrows = 0;
    return g->db_rc;
}

/* The row hash: SHA-256 over every stored field, cut to 128 bits, as hex. */
static void row_hash(const cdr_t *r, char out[33])
{
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "%s\x1f%s\x1f%" PRId64 "\x1f%" PRId64 "\x1f%" PRId64
                     "\x1f%d\x1f%d\x1f%s\x1f%s\x1f%d\x1f%d\x1f%d\x1f%d\x1f%d\x1f%d",
                     r->call_id, r->queue, r->offered_us, r->answered_us, r->ended_us,
                     (int)r->outcome, (int)r->channel, r->agent_id, r->customer_id, r->talk_s,
                     r->hold_s, r->acw_s, r->transferred, r->resolved, r->csat);
    /* A reason enters the hash only when given, so the contacts stored before
     * reasons existed keep their hashes (a re-sent batch stays unchanged). */
    if (r->reason[0] && n > 0 && (size_t)n < sizeof buf)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "\x1f%s", r->reason);
    uint8_t d[HASH_SHA256_LEN];
    hash_sha256(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, d);
    hash_hex(d, 16, out);
}

/* Sink: a valid contact goes to the staging buffer. */
static int on_record(void *ctx, const cdr_t *rec, uint64_t line)
{
    ingest_t *g = ctx;
    g->n->rows++;
    stage_row_t *s = &g->rows[g->nrows++];
    s->line = (int64_t)line;
    s->r = *rec;
    int64_t until = rec->answered_us != CDR_NONE ? rec->answered_us : rec->ended_us;
    s->wait_s = (int32_t)((until - rec->offered_us) / 1000000); /* whole seconds, rounded down */
    s->outcome = (int32_t)rec->outcome;
    s->channel = (int32_t)rec->channel;
    s->ind_str = DB_IND_NTS;
    s->ind_answered = rec->answered_us == CDR_NONE ? DB_IND_NULL : DB_IND_NONE;
    row_hash(rec, s->hash_hex);
    if (g->nrows == STAGE_CHUNK && flush_rows(g) != ST_OK)
        return g->db_rc; /* stops the parser */
    return ST_OK;
}

/* Sink: a rejected row. */
static int on_reject(void *ctx, const cdr_error_t *err)
{
    ingest_t *g = ctx;
    batch_reject_row_valid(g->batch, err->line, err->field, err->message, err->valid);
    return ST_OK;
}

/* Queue_log contacts pass the same validation as every other format. */
static int on_qlog_record(void *ctx, const cdr_t *rec, uint64_t line)
{
    cdr_error_t e;
    if (cdr_validate_record(rec, &e) != ST_OK) {
        e.line = line;
        return on_reject(ctx, &e);
    }
    return on_record(ctx, rec, line);
}

/* Loads the tenant's open queue_log contacts into the assembler. */
static int qlog_load_open(ingest_t *g)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(g->tenant_id)};
    int rc = db_exec(g->db,
                     "SELECT callid, queue, agent, customer_id, entered, connected, "
                     "ring_no_answer FROM qlog_open WHERE tenant_id = ?",
                     v, 1, &res);
    while (rc == ST_OK && db_res_next(res)) {
        qlog_open_t o;
        memset(&o, 0, sizeof o);
        snprintf(o.callid, sizeof o.callid, "%s", db_res_str(res, 0, NULL));
        snprintf(o.queue, sizeof o.queue, "%s", db_res_str(res, 1, NULL));
        snprintf(o.agent, sizeof o.agent, "%s", db_res_str(res, 2, NULL));
        snprintf(o.customer_id, sizeof o.customer_id, "%s", db_res_str(res, 3, NULL));
        o.entered = db_res_i64(res, 4);
        o.connected = db_res_is_null(res, 5) ? QLOG_NOT_CONNECTED : db_res_i64(res, 5);
        o.ring_no_answer = (uint32_t)db_res_i64(res, 6);
        char err[256];
        if (qlog_open_add(g->qlog, &o, err, sizeof err) != ST_OK)
            rc = ST_ERR_INTERNAL;
    }
    db_res_free(res);
    return rc;
}

/* Writes one still-open queue_log contact back (callback of qlog_open_foreach). */
static int qlog_store_one(void *ctx, const qlog_open_t *o)
{
    ingest_t *g = ctx;
    db_val_t v[] = {db_u64(g->tenant_id),
                    db_str(o->callid),
                    db_str(o->queue),
                    db_str(o->agent),
                    db_str(o->customer_id),
                    db_i64(o->entered),
                    o->connected == QLOG_NOT_CONNECTED ? db_null() : db_i64(o->connected),
                    db_i64(o->ring_no_answer)};
    return db_exec(g->db,
                   "INSERT INTO qlog_open (tenant_id, callid, queue, agent, customer_id, entered, "
                   "connected, ring_no_answer) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   v, 8, NULL);
}

/* Replaces the tenant's open queue_log contacts with the assembler's. */
static int qlog_store_open(ingest_t *g)
{
    db_val_t v[] = {db_u64(g->tenant_id)};
    int rc = db_exec(g->db, "DELETE FROM qlog_open WHERE tenant_id = ?", v, 1, NULL);
    if (rc == ST_OK)
        rc = qlog_open_foreach(g->qlog, qlog_store_one, g);
    return rc;
}

int ingest_begin(db_t *db, const tenant_t *t, const char *actor, ingest_format fmt,
                 batch_mode_t mode, ingest_t **out, char *err, size_t errlen)
{
    ingest_t *g = xcalloc(1, sizeof *g);
    g->db = db;
    g->tenant_id = t->id;
    g->fmt = fmt;
    g->updated_ids = json_array();
    g->rows = xcalloc(STAGE_CHUNK, sizeof *g->rows);
    if (fmt == INGEST_QLOG)
        g->qlog = qlog_new(NULL);
    else
        g->reader = cdr_reader_new(fmt == INGEST_CSV    ? CDR_FMT_CSV
                                   : fmt == INGEST_JSON ? CDR_FMT_JSON
                                                        : CDR_FMT_NDJSON);
    int rc;
    /* The staging table first: DDL commits implicitly, so it precedes the batch's transaction. */
    if ((rc = db_run_static(db, "DROP TEMPORARY TABLE IF EXISTS ingest_stage")) != ST_OK ||
        (rc = db_run_static(
             db, "CREATE TEMPORARY TABLE ingest_stage ("
                 " line BIGINT NOT NULL, call_id VARCHAR(64) NOT NULL, queue VARCHAR(64) NOT NULL,"
                 " offered_us BIGINT NOT NULL, answered_us BIGINT NULL, ended_us BIGINT NOT NULL,"
                 " wait_s INT NOT NULL, outcome TINYINT UNSIGNED NOT NULL,"
                 " channel TINYINT UNSIGNED NOT NULL, agent_id VARCHAR(64) NOT NULL,"
                 " customer_id VARCHAR(64) NOT NULL, talk_s INT NOT NULL, hold_s INT NOT NULL,"
                 " acw_s INT NOT NULL, transferred TINYINT NOT NULL, resolved TINYINT NOT NULL,"
                 " csat TINYINT NOT NULL, reason VARCHAR(64) NOT NULL, row_hash CHAR(32) NOT NULL,"
                 " KEY (call_id)"
                 ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")) != ST_OK)
        goto fail;
    if ((rc = db_bulk_prepare(db,
                              "INSERT INTO ingest_stage (line, call_id, queue, offered_us, "
                              "answered_us, ended_us, wait_s, outcome, channel, agent_id, "
                              "customer_id, talk_s, hold_s, acw_s, transferred, resolved, csat, "
                              "reason, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                              "?, ?, ?, ?, ?)",
                              stage_cols, sizeof stage_cols / sizeof stage_cols[0],
                              sizeof(stage_row_t), &g->stage)) != ST_OK)
        goto fail;
    if ((rc = batch_begin(db, t, actor, "cdrs", ingest_format_name(fmt), mode, &g->batch, err,
                          errlen)) != ST_OK) {
        ingest_free(g);
        return rc;
    }
    g->n = batch_counts(g->batch);
    if (g->qlog && (rc = qlog_load_open(g)) != ST_OK)
        goto fail;
    *out = g;
    return ST_OK;
fail:
    snprintf(err, errlen, "%s", db_error(db));
    ingest_free(g);
    return rc;
}

int ingest_feed(ingest_t *g, const char *data, size_t len)
{
    if (g->db_rc != ST_OK)
        return g->db_rc;
    batch_hash(g->batch, data, len);
    if (g->fatal)
        return ST_OK; /* the body is already refused; keep hashing what arrives */
    int rc;
    if (g->qlog) {
        cdr_sink_t sink = {on_qlog_record, on_reject, g};
        rc = qlog_feed(g->qlog, data, len, &sink);
    } else {
        cdr_sink_t sink = {on_record, on_reject, g};
        rc = cdr_reader_feed(g->reader, data, len, &sink);
    }
    if (g->db_rc != ST_OK)
        return g->db_rc;
    if (rc != ST_OK)
        g->fatal = true;
    return ST_OK;
}

/* Records the reader's fatal error (if any) in the error list. */
static void note_fatal(ingest_t *g)
{
    if (g->qlog) {
        batch_note_error(g->batch, 0, "", qlog_errmsg(g->qlog));
        return;
    }
    size_t n = cdr_reader_error_count(g->reader);
    for (size_t i = 0; i < n; i++) { /* a header names all its faults */
        const cdr_error_t *e = cdr_reader_error_at(g->reader, i);
        batch_note_error_valid(g->batch, e->line, e->field, e->message, e->valid);
    }
    if (n == 0)
        batch_note_error(g->batch, 0, "", "the body could not be read");
}

/* The same call_id twice in one batch (batch_dedupe). */
static const char *const stage_drop_all[] = {"DELETE FROM ingest_stage WHERE call_id = ?", NULL};
static const char *const stage_drop_others[] = {
    "DELETE FROM ingest_stage WHERE call_id = ? AND line <> ?", NULL};
static const batch_dedupe_t stage_dedupe = {
    "SELECT call_id, COUNT(*), COUNT(DISTINCT row_hash), MIN(line) FROM ingest_stage "
    "GROUP BY call_id HAVING COUNT(*) > 1",
    "SELECT line FROM ingest_stage WHERE call_id = ? ORDER BY line",
    stage_drop_all,
    stage_drop_others,
    "call_id",
};

/* Counts new, corrected and unchanged rows, and lists some corrected call_ids. */
static int count_changes(ingest_t *g)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(g->tenant_id)};
    int rc = db_exec(g->db,
                     "SELECT COUNT(*), COALESCE(SUM(c.call_id IS NULL), 0), "
                     "COALESCE(SUM(c.call_id IS NOT NULL AND c.row_hash <> UNHEX(s.row_hash)), 0) "
                     "FROM ingest_stage s LEFT JOIN contacts c "
                     "ON c.tenant_id = ? AND c.call_id = s.call_id",
                     v, 1, &res);
    if (rc == ST_OK && db_res_next(res)) {
        uint64_t staged = (uint64_t)db_res_i64(res, 0);
        g->n->inserted = (uint64_t)db_res_i64(res, 1);
        g->n->updated = (uint64_t)db_res_i64(res, 2);
        g->n->unchanged += staged - g->n->inserted - g->n->updated;
    }
    db_res_free(res);
    if (rc != ST_OK || g->n->updated == 0)
        return rc;
    db_val_t w[] = {db_u64(g->tenant_id), db_i64(MAX_UPDATED_LISTED)};
    rc = db_exec(g->db,
                 "SELECT s.call_id FROM ingest_stage s JOIN contacts c ON c.tenant_id = ? AND "
                 "c.call_id = s.call_id WHERE c.row_hash <> UNHEX(s.row_hash) ORDER BY s.line "
                 "LIMIT ?",
                 w, 2, &res);
    while (rc == ST_OK && db_res_next(res))
        json_array_append_new(g->updated_ids, json_string(db_res_str(res, 0, NULL)));
    db_res_free(res);
    return rc;
}

/* The stage's rows as a rollup stream: every one NEW (no stored version
 * exists), or, when some existed, the new and corrected ones NEW and the
 * stored versions they replace OLD; then the stored contacts with a
 * customer around the batch's instants (KEPT up to the last of them,
 * CONTEXT after), for FCR. */
#define STAGE_NEW "SELECT " ROLLUP_STREAM_COLUMNS("1", "?", "s") " FROM ingest_stage s"
#define STAGE_CHANGED                                                                              \
    "SELECT " ROLLUP_STREAM_COLUMNS(                                                               \
        "1", "?", "s") " FROM ingest_stage s LEFT JOIN contacts c "                                \
                       "ON c.tenant_id = ? AND c.call_id = s.call_id "                             \
                       "WHERE c.call_id IS NULL OR c.row_hash <> "                                 \
                       "UNHEX(s.row_hash) UNION ALL SELECT " ROLLUP_STREAM_COLUMNS(                \
                           "3", "c.batch_id", "c") " FROM ingest_stage s JOIN contacts c ON "      \
                                                   "c.tenant_id = ? AND c.call_id = s.call_id "    \
                                                   "WHERE c.row_hash <> UNHEX(s.row_hash)"
#define STAGE_AROUND(kept)                                                                         \
    " UNION ALL SELECT " ROLLUP_STREAM_COLUMNS(                                                    \
        "IF(c.offered_us <= ?, 2, 4)", "0", "c") " FROM contacts c " kept                          \
                                                 " WHERE c.tenant_id = ? AND c.offered_us >= ? "   \
                                                 "AND c.offered_us <= ? AND c.customer_id <> ''"
#define STAGE_KEPT      "LEFT JOIN ingest_stage s ON s.call_id = c.call_id"
#define STAGE_KEPT_ONLY " AND (s.call_id IS NULL OR c.row_hash = UNHEX(s.row_hash))"

/*
 * Moves the rollups and their detail (server/store/rollup_batch.h): the
 * old contributions of corrected contacts out, the new and corrected rows
 * in, and the FCR flags of the stored contacts the batch's instants
 * change.  A batch of new contacts only (the usual upload) needs no join.
 */
static int update_rollups(ingest_t *g)
{
    rollup_batch_t *rb = NULL;
    bool pending = false;
    char err[256];
    int rc = rollup_batch_begin(g->db, g->tenant_id, &rb, &pending, err, sizeof err);
    if (rc != ST_OK || pending)
        return rc; /* pending: the rebuild `slattest migrate` runs counts everything */
    db_res_t *res = NULL;
    db_val_t t[] = {db_u64(g->tenant_id)};
    int64_t staged = 0, lo = 0, hi = -1;
    rc = db_exec(g->db, "SELECT COUNT(*), MIN(offered_us), MAX(offered_us) FROM ingest_stage", NULL,
                 0, &res);
    if (rc == ST_OK && db_res_next(res) && db_res_i64(res, 0) > 0) {
        staged = db_res_i64(res, 0);
        lo = db_res_i64(res, 1);
        hi = db_res_i64(res, 2);
    }
    db_res_free(res);
    res = NULL;
    bool all_new = (uint64_t)staged == g->n->inserted;
    if (rc == ST_OK && !all_new) /* stored versions may lie elsewhere in time */
        rc = db_exec(g->db,
                     "SELECT MIN(c.offered_us), MAX(c.offered_us) FROM ingest_stage s JOIN "
                     "contacts c ON c.tenant_id = ? AND c.call_id = s.call_id WHERE "
                     "c.row_hash <> UNHEX(s.row_hash)",
                     t, 1, &res);
    if (rc == ST_OK && res && db_res_next(res) && !db_res_is_null(res, 0)) {
        lo = db_res_i64(res, 0) < lo ? db_res_i64(res, 0) : lo;
        hi = db_res_i64(res, 1) > hi ? db_res_i64(res, 1) : hi;
    }
    db_res_free(res);
    int64_t h = rollup_batch_horizon_us(rb);
    /* No stored contact around the batch (a new tenant, a first month):
     * the stage alone, sorted without a UNION to materialise first. */
    bool alone = false;
    if (rc == ST_OK && staged > 0 && all_new) {
        db_val_t r[] = {db_u64(g->tenant_id), db_i64(lo - h), db_i64(hi + h)};
        rc = db_exec(g->db,
                     "SELECT EXISTS (SELECT 1 FROM contacts WHERE tenant_id = ? AND "
                     "offered_us >= ? AND offered_us <= ?)",
                     r, 3, &res);
        alone = rc == ST_OK && db_res_next(res) && db_res_i64(res, 0) == 0;
        db_res_free(res);
    }
    if (rc == ST_OK && alone) {
        /* Rows in offered order (an ACD export) need no sort; others are
         * sorted by customer. */
        db_val_t v[] = {db_u64(batch_id(g->batch))};
        bool ordered = false;
        rc = rollup_batch_stream_ordered(rb, STAGE_NEW, v, 1, &ordered);
        if (rc == ST_OK && !ordered)
            rc = rollup_batch_stream(rb, STAGE_NEW " ORDER BY customer_id, offered_us", v, 1, NULL);
    } else if (rc == ST_OK && staged > 0 && all_new) {
        db_val_t v[] = {db_u64(batch_id(g->batch)), db_i64(hi), db_u64(g->tenant_id),
                        db_i64(lo - h), db_i64(hi + h)};
        rc = rollup_batch_stream(rb, STAGE_NEW STAGE_AROUND("") " ORDER BY customer_id, offered_us",
                                 v, 5, NULL);
    } else if (rc == ST_OK && staged > 0) {
        db_val_t v[] = {
            db_u64(batch_id(g->batch)), db_u64(g->tenant_id), db_u64(g->tenant_id), db_i64(hi),
            db_u64(g->tenant_id),       db_i64(lo - h),       db_i64(hi + h)};
        rc = rollup_batch_stream(rb,
                                 STAGE_CHANGED STAGE_AROUND(STAGE_KEPT) STAGE_KEPT_ONLY
                                 " ORDER BY customer_id, offered_us",
                                 v, 7, NULL);
    }
    if (rc == ST_OK)
        rc = rollup_batch_flush(rb, err, sizeof err);
    if (rc == ST_ERR_INTERNAL)
        log_error("ingest: rollups", "detail", err, NULL);
    rollup_batch_free(rb);
    return rc;
}

/* Writes new and corrected contacts. */
static int upsert_contacts(ingest_t *g)
{
    db_val_t v[] = {db_u64(g->tenant_id), db_u64(batch_id(g->batch)), db_u64(g->tenant_id)};
    return db_exec(
        g->db,
        "INSERT INTO contacts (tenant_id, call_id, queue, offered_us, answered_us, ended_us, "
        "wait_s, outcome, channel, agent_id, customer_id, talk_s, hold_s, acw_s, transferred, "
        "resolved, csat, reason, row_hash, batch_id) "
        "SELECT ?, s.call_id, s.queue, s.offered_us, s.answered_us, s.ended_us, s.wait_s, "
        "s.outcome, s.channel, s.agent_id, s.customer_id, s.talk_s, s.hold_s, s.acw_s, "
        "s.transferred, s.resolved, s.csat, s.reason, UNHEX(s.row_hash), ? "
        "FROM ingest_stage s LEFT JOIN contacts c ON c.tenant_id = ? AND c.call_id = s.call_id "
        "WHERE c.call_id IS NULL OR c.row_hash <> UNHEX(s.row_hash) "
        "ON DUPLICATE KEY UPDATE queue = VALUES(queue), offered_us = VALUES(offered_us), "
        "answered_us = VALUES(answered_us), ended_us = VALUES(ended_us), wait_s = VALUES(wait_s), "
        "outcome = VALUES(outcome), channel = VALUES(channel), agent_id = VALUES(agent_id), "
        "customer_id = VALUES(customer_id), talk_s = VALUES(talk_s), hold_s = VALUES(hold_s), "
        "acw_s = VALUES(acw_s), transferred = VALUES(transferred), resolved = VALUES(resolved), "
        "csat = VALUES(csat), reason = VALUES(reason), row_hash = VALUES(row_hash), "
        "batch_id = VALUES(batch_id)",
        v, 3, NULL);
}

/* The audit entry's extra member: some corrected call_ids. */
static json_t *audit_extra(const ingest_t *g)
{
    return json_pack("{s:O}", "updated_call_ids", g->updated_ids);
}

/* Refuses the whole batch (recorded as rejected, with its audit entry). */
static int reject_batch(ingest_t *g)
{
    json_array_clear(g->updated_ids);
    json_t *extra = audit_extra(g);
    int rc = batch_reject(g->batch, extra);
    json_decref(extra);
    return rc;
}

int ingest_finish(ingest_t *g)
{
    if (g->finished)
        return ST_ERR_INTERNAL;
    g->finished = true;
    batch_hash_done(g->batch);
    if (g->db_rc != ST_OK)
        return g->db_rc;
    if (!g->fatal) {
        int rc;
        if (g->qlog) {
            cdr_sink_t sink = {on_qlog_record, on_reject, g};
            rc = qlog_finish(g->qlog, &sink);
        } else {
            cdr_sink_t sink = {on_record, on_reject, g};
            rc = cdr_reader_finish(g->reader, &sink);
        }
        if (g->db_rc != ST_OK)
            return g->db_rc;
        if (rc != ST_OK)
            g->fatal = true;
    }
    if (g->fatal)
        note_fatal(g);
    int rc = flush_rows(g);
    if (rc == ST_OK && !g->fatal)
        rc = batch_dedupe(g->batch, g->db, &stage_dedupe);
    if (rc == ST_OK && !g->fatal)
        rc = batch_periods(g->batch,
                           "SELECT offered_us DIV 900000000, COUNT(*) FROM ingest_stage GROUP BY 1",
                           false);
    if (rc != ST_OK)
        return rc;
    /* A body that cannot be parsed is refused whole; so is any bad row in strict mode. */
    if (batch_must_reject(g->batch, g->fatal))
        return reject_batch(g);
    if ((rc = count_changes(g)) != ST_OK || (rc = update_rollups(g)) != ST_OK ||
        (rc = upsert_contacts(g)) != ST_OK || (g->qlog && (rc = qlog_store_open(g)) != ST_OK))
        return rc;
    json_t *extra = audit_extra(g);
    rc = batch_commit(g->batch, extra);
    json_decref(extra);
    return rc;
}

bool ingest_committed(const ingest_t *g)
{
    return batch_accepted(g->batch);
}

json_t *ingest_receipt(const ingest_t *g)
{
    json_t *extra = json_pack("{s:O}", "updated_call_ids", g->updated_ids);
    json_t *r = batch_receipt(g->batch, extra);
    json_decref(extra);
    if (g->qlog) {
        qlog_stats_t st;
        qlog_stats(g->qlog, &st);
        const uint64_t *dl;
        size_t ndl = qlog_damaged_lines(g->qlog, &dl);
        json_t *damaged = json_array();
        for (size_t i = 0; i < ndl; i++)
            json_array_append_new(damaged, json_integer((json_int_t)dl[i]));
        json_object_set_new(r, "queue_log",
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "lines",
                                      (json_int_t)st.lines, "contacts", (json_int_t)st.emitted,
                                      "skipped", (json_int_t)st.skipped, "unmatched",
                                      (json_int_t)st.unmatched, "duplicates",
                                      (json_int_t)st.duplicates, "orphaned",
                                      (json_int_t)st.orphaned, "open", (json_int_t)st.open,
                                      "damaged", (json_int_t)st.damaged, "damaged_lines", damaged));
    }
    return r;
}

uint64_t ingest_bytes(const ingest_t *g)
{
    return batch_bytes(g->batch);
}

uint64_t ingest_rows(const ingest_t *g)
{
    return g->n->rows;
}

const char *ingest_db_error(const ingest_t *g)
{
    return db_error(g->db);
}

void ingest_free(ingest_t *g)
{
    if (!g)
        return;
    batch_free(g->batch);
    db_bulk_free(g->stage);
    cdr_reader_free(g->reader);
    qlog_free(g->qlog);
    json_decref(g->updated_ids);
    free(g->rows);
    free(g);
}
