/*
 * report_model_evidence.c - the Evidence sheet of internal workbooks: each
 * contact of the month that counted against the service level, with the
 * reason, streamed from the database while the sheet is written.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "relay.h"
#include "report_model_int.h"
#include "status.h"
#include "xmem.h"

/*
 * Evidence is a streamed table (xl_model.h): the writer pulls its rows while
 * it writes the sheet, so a month of a million contacts is never held.  A
 * pass reads them with one query, in the order of the index on (tenant_id,
 * offered_us), which InnoDB extends with the primary key's call_id, on a
 * thread of its own (db_query_rows() pushes rows, the writer pulls): the
 * thread fills a batch of EVIDENCE_BATCH rows while the writer turns the
 * batch before into cells (relay.h), so the database's time overlaps the
 * sheet's.  Memory is two batches whatever the month holds.  The
 * connection is the thread's for the whole pass: nothing else may use it
 * until the pass is closed (xl_write() reads nothing else meanwhile), and
 * one pass is open at a time.
 */
#define EVIDENCE_BATCH 2048
#define EVIDENCE_TEXT  257 /* VARCHAR(64) of utf8mb4, and the NUL */

/* The evidence contacts; parameters: tenant, first offered_us, end of the month (UTC us),
 * threshold T, lowest wait of a counted abandon, whether overflows count. */
#define EVIDENCE_SELECT                                                                            \
    "SELECT call_id, queue, offered_us, wait_s, outcome FROM contacts "                            \
    "WHERE tenant_id = ? AND offered_us >= ? AND offered_us < ? "                                  \
    "AND ((outcome = 1 AND wait_s > ?) OR (outcome = 2 AND wait_s >= ?) OR "                       \
    "(outcome = 3 AND ? = 1)) ORDER BY offered_us, call_id"

/* What selects the evidence and how a row reads: the stream's state, owned
 * by the model.  db is borrowed (report_model.h). */
typedef struct ev_src {
    db_t *db;
    tz_t *tz;
    uint64_t tenant_id;
    int64_t start_us, end_us;
    int threshold_s;
    int64_t ab_min, overflow;
} ev_src_t;

/* One contact as the query gives it. */
typedef struct ev_rec {
    char call_id[EVIDENCE_TEXT], queue[EVIDENCE_TEXT];
    unsigned long call_id_len, queue_len;
    int64_t offered_us, wait_s;
    int32_t outcome;
} ev_rec_t;

/* One pass: the reading thread's side (row, batch) and the writer's (recs). */
typedef struct ev_pass {
    const ev_src_t *src;
    relay_t *relay;
    pthread_t thread;
    bool thread_up;
    /* the thread's */
    ev_rec_t row, *batch;
    size_t n_batch;
    char why[256];
    /* the writer's: the batch taken, and the next row of it */
    const ev_rec_t *recs;
    size_t n_recs, next;
} ev_pass_t;

/* One evidence row into row 0 of t. */
static int evidence_row(const ev_src_t *s, xl_table_t *t, const ev_rec_t *r)
{
    int T = s->threshold_s;
    int64_t wait = r->wait_s;
    int outcome = r->outcome;
    char reason[96];
    const char *cls = outcome == SLA_ANSWERED    ? "answered"
                      : outcome == SLA_ABANDONED ? "abandoned"
                                                 : "overflow";
    if (outcome == SLA_ANSWERED)
        snprintf(reason, sizeof reason, "answered after the threshold: %" PRId64 " s > %d s", wait,
                 T);
    else if (outcome == SLA_ABANDONED && wait > T)
        snprintf(reason, sizeof reason, "abandoned after the threshold: %" PRId64 " s > %d s", wait,
                 T);
    else if (outcome == SLA_ABANDONED)
        snprintf(reason, sizeof reason, "abandoned (offered, not answered): %" PRId64 " s", wait);
    else
        snprintf(reason, sizeof reason, "overflow (offered, not answered): %" PRId64 " s", wait);
    const rmodel_cell_t cells[] = {
        RM_TEXT("call_id", r->call_id),
        RM_TEXT("queue", r->queue),
        RM_NUM("offered_at", rmodel_serial_in(s->tz, r->offered_us)),
        RM_NUM("wait_s", wait),
        RM_TEXT("class", cls),
        RM_TEXT("reason", reason),
    };
    return rmodel_cells(t, 0, RM_CELLS(cells));
}

/* db_query_rows' on_row: the row into the batch; a full batch to the writer. */
static int evidence_fetched(void *ctx)
{
    ev_pass_t *p = ctx;
    p->batch[p->n_batch++] = p->row;
    if (p->n_batch < EVIDENCE_BATCH)
        return ST_OK;
    relay_put(p->relay, p->n_batch * sizeof *p->batch, false);
    p->n_batch = 0;
    p->batch = relay_fill(p->relay);
    return p->batch ? ST_OK : ST_ERR_TIMEOUT; /* the writer stopped reading: stop the query */
}

/* The reading thread: the whole query into batches, then the end (or the failure). */
static void *evidence_reader(void *arg)
{
    ev_pass_t *p = arg;
    const ev_src_t *s = p->src;
    static const db_out_col_t cols[] = {
        {DBO_STR, offsetof(ev_rec_t, call_id), EVIDENCE_TEXT, -1, offsetof(ev_rec_t, call_id_len)},
        {DBO_STR, offsetof(ev_rec_t, queue), EVIDENCE_TEXT, -1, offsetof(ev_rec_t, queue_len)},
        {DBO_I64, offsetof(ev_rec_t, offered_us), 0, -1, -1},
        {DBO_I64, offsetof(ev_rec_t, wait_s), 0, -1, -1},
        {DBO_I32, offsetof(ev_rec_t, outcome), 0, -1, -1},
    };
    db_val_t v[] = {db_u64(s->tenant_id),   db_i64(s->start_us), db_i64(s->end_us),
                    db_i64(s->threshold_s), db_i64(s->ab_min),   db_i64(s->overflow)};
    if (!(p->batch = relay_fill(p->relay)))
        return NULL;
    int rc = db_query_rows(s->db, EVIDENCE_SELECT, v, 6, cols, 5, &p->row, evidence_fetched, p);
    if (rc == ST_OK) {
        relay_put(p->relay, p->n_batch * sizeof *p->batch, true);
    } else if (p->batch) {
        snprintf(p->why, sizeof p->why, "%s", db_error(s->db));
        relay_fail(p->relay);
    }
    return NULL;
}

/* xl_source_t open: a pass from the month's first contact, its reading thread started. */
static int evidence_open(void *arg, void **cur, char *err, size_t errlen)
{
    ev_pass_t *p = xcalloc(1, sizeof *p);
    p->src = arg;
    p->relay = relay_new(EVIDENCE_BATCH * sizeof(ev_rec_t));
    if (pthread_create(&p->thread, NULL, evidence_reader, p) != 0) {
        st_errf(err, errlen, "cannot start the thread that reads the evidence contacts");
        relay_free(p->relay);
        free(p);
        return ST_ERR_INTERNAL;
    }
    p->thread_up = true;
    *cur = p;
    return ST_OK;
}

/* xl_source_t next: the next evidence row, taking a batch when one runs out. */
static int evidence_next(void *cur, xl_table_t *row, char *err, size_t errlen)
{
    ev_pass_t *p = cur;
    while (p->next == p->n_recs) {
        const void *data;
        size_t len;
        int got = relay_take(p->relay, &data, &len);
        if (got < 0) {
            st_errf(err, errlen, "reading the evidence contacts: %s", p->why);
            return ST_ERR_DB;
        }
        if (got == 0)
            return 0;
        p->recs = data;
        p->n_recs = len / sizeof *p->recs;
        p->next = 0;
    }
    const ev_rec_t *r = &p->recs[p->next++];
    int rc = evidence_row(p->src, row, r);
    if (rc != ST_OK) {
        st_errf(err, errlen, "evidence contact '%s' cannot be shown", r->call_id);
        return rc;
    }
    return 1;
}

/* xl_source_t close: stops the reading thread (wherever it is) and frees the pass. */
static void evidence_close(void *cur)
{
    ev_pass_t *p = cur;
    relay_abandon(p->relay);
    if (p->thread_up)
        pthread_join(p->thread, NULL);
    relay_free(p->relay);
    free(p);
}

/* xl_source_t release: the stream's state, with the model. */
static void evidence_release(void *arg)
{
    ev_src_t *s = arg;
    tz_free(s->tz);
    free(s);
}

/*
 * Evidence: the month's offered contacts that counted against the service
 * level under the contract's sl_formula: answered after the threshold
 * always; abandons that are offered (not short) and overflows when the
 * formula has them in its denominator without crediting them (offered: all
 * of them; abandon_neutral and abandon_positive: abandons after the
 * threshold only, and overflows; answered: neither).  A short abandon is
 * not offered, so never evidence.  The table is a stream read when the
 * workbook is written (see EVIDENCE_BATCH); the writer continues it on a
 * next sheet past Excel's rows.
 */
int rmodel_table_evidence(rmodel_ctx_t *x, char *err, size_t errlen)
{
    static const xl_source_t source = {evidence_open, evidence_next, evidence_close,
                                       evidence_release};
    const sla_params_t *p = &x->info.params;
    ev_src_t *s = xcalloc(1, sizeof *s);
    s->db = x->db;
    s->tenant_id = x->req->tenant->id;
    s->start_us = x->month->start_utc * 1000000;
    s->end_us = x->month->end_utc * 1000000;
    s->threshold_s = p->sl_threshold_s;
    /* Lowest wait of an abandon that counts, and whether overflows count. */
    s->ab_min = p->short_abandon_s;
    s->overflow = 1;
    if (p->sl_formula == SLA_SL_ANSWERED) {
        s->ab_min = INT32_MAX;
        s->overflow = 0;
    } else if (p->sl_formula != SLA_SL_OFFERED) {
        s->ab_min = p->sl_threshold_s + 1 > s->ab_min ? p->sl_threshold_s + 1 : s->ab_min;
    }
    int rc = tz_load(x->info.timezone, &s->tz, err, errlen);
    if (rc != ST_OK) {
        evidence_release(s);
        return rc;
    }
    /* The model owns s from here, in every case. */
    return xl_model_stream(x->m, "evidence", &source, s);
}
