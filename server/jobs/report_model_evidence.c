/*
 * report_model_evidence.c - the Evidence sheet of internal workbooks: each
 * contact of the month that counted against the service level, with the
 * reason, streamed from the database while the sheet is written.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "report_model_int.h"
#include "status.h"
#include "xmem.h"

/*
 * Evidence is a streamed table (xl_model.h): the writer pulls its rows while
 * it writes the sheet, so a month of a million contacts is never held.  The
 * rows come from the database in keyset pages of EVIDENCE_PAGE rows ordered
 * by (offered_us, call_id), each page starting after the last row of the
 * one before (the index on (tenant_id, offered_us), which InnoDB extends
 * with the primary key's call_id, serves the order and the start).  Pages
 * rather than one streaming query (db_query_rows pushes rows into a
 * callback; the writer pulls): no thread, the connection is free between
 * pages, and memory is one page whatever the month holds.
 */
#define EVIDENCE_PAGE 10000

/* The evidence contacts; parameters: tenant, first offered_us, end of the month (UTC us),
 * threshold T, lowest wait of a counted abandon, whether overflows count. */
#define EVIDENCE_SELECT                                                                            \
    "SELECT call_id, queue, offered_us, wait_s, outcome FROM contacts "                            \
    "WHERE tenant_id = ? AND offered_us >= ? AND offered_us < ? "                                  \
    "AND ((outcome = 1 AND wait_s > ?) OR (outcome = 2 AND wait_s >= ?) OR "                       \
    "(outcome = 3 AND ? = 1)) "
#define EVIDENCE_ORDER " ORDER BY offered_us, call_id LIMIT ?"

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

/* One pass over the evidence: the current page and the key after which the next starts. */
typedef struct ev_pass {
    const ev_src_t *src;
    db_res_t *page;
    bool started, last; /* a page was read; the last one was short (no more) */
    int64_t key_us;
    char key_id[128];
} ev_pass_t;

/* One evidence row into row 0 of t. */
static int evidence_row(const ev_src_t *s, xl_table_t *t, const db_res_t *res)
{
    int T = s->threshold_s;
    int64_t wait = db_res_i64(res, 3);
    int outcome = (int)db_res_i64(res, 4);
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
        RM_TEXT("call_id", db_res_str(res, 0, NULL)),
        RM_TEXT("queue", db_res_str(res, 1, NULL)),
        RM_NUM("offered_at", rmodel_serial_in(s->tz, db_res_i64(res, 2))),
        RM_NUM("wait_s", wait),
        RM_TEXT("class", cls),
        RM_TEXT("reason", reason),
    };
    return rmodel_cells(t, 0, RM_CELLS(cells));
}

/* xl_source_t open: a pass from the month's first contact. */
static int evidence_open(void *arg, void **cur, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    ev_pass_t *p = xcalloc(1, sizeof *p);
    p->src = arg;
    *cur = p;
    return ST_OK;
}

/* Reads the page after the current key. */
static int evidence_page(ev_pass_t *p, char *err, size_t errlen)
{
    const ev_src_t *s = p->src;
    db_val_t v[] = {db_u64(s->tenant_id), db_i64(p->started ? p->key_us : s->start_us),
                    db_i64(s->end_us),    db_i64(s->threshold_s),
                    db_i64(s->ab_min),    db_i64(s->overflow),
                    db_i64(p->key_us),    db_i64(p->key_us),
                    db_str(p->key_id),    db_i64(EVIDENCE_PAGE)};
    db_val_t first[] = {v[0], v[1], v[2], v[3], v[4], v[5], v[9]};
    db_res_free(p->page);
    p->page = NULL;
    int rc =
        p->started
            ? db_exec(s->db,
                      EVIDENCE_SELECT
                      "AND (offered_us > ? OR (offered_us = ? AND call_id > ?))" EVIDENCE_ORDER,
                      v, 10, &p->page)
            : db_exec(s->db, EVIDENCE_SELECT EVIDENCE_ORDER, first, 7, &p->page);
    if (rc != ST_OK) {
        st_errf(err, errlen, "reading the evidence contacts: %s", db_error(s->db));
        return rc;
    }
    p->started = true;
    p->last = db_res_count(p->page) < EVIDENCE_PAGE;
    return ST_OK;
}

/* xl_source_t next: the next evidence row, reading a page when one runs out. */
static int evidence_next(void *cur, xl_table_t *row, char *err, size_t errlen)
{
    ev_pass_t *p = cur;
    while (!p->page || !db_res_next(p->page)) {
        if (p->started && p->last)
            return 0;
        int rc = evidence_page(p, err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    size_t n = 0;
    const char *id = db_res_str(p->page, 0, &n);
    p->key_us = db_res_i64(p->page, 2);
    snprintf(p->key_id, sizeof p->key_id, "%.*s", (int)n, id);
    int rc = evidence_row(p->src, row, p->page);
    if (rc != ST_OK) {
        st_errf(err, errlen, "evidence contact '%s' cannot be shown", p->key_id);
        return rc;
    }
    return 1;
}

/* xl_source_t close. */
static void evidence_close(void *cur)
{
    ev_pass_t *p = cur;
    db_res_free(p->page);
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
 * workbook is written (see EVIDENCE_PAGE); the writer continues it on a
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
