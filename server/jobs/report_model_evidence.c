/*
 * report_model_evidence.c - the Evidence sheet of internal workbooks: each
 * contact of the month that counted against the service level, with the
 * reason, streamed from the database while the sheet is written.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "report_model_int.h"
#include "status.h"
#include "xmem.h"

#define EVIDENCE_TEXT 257 /* VARCHAR(64) of utf8mb4, and the NUL */

/* The evidence contacts (read as a stream, report_model_stream.c);
 * parameters: tenant, first offered_us, end of the month (UTC us),
 * threshold T, lowest wait of a counted abandon, whether overflows count. */
#define EVIDENCE_SELECT                                                                            \
    "SELECT call_id, queue, offered_us, wait_s, outcome FROM contacts "                            \
    "WHERE tenant_id = ? AND offered_us >= ? AND offered_us < ? "                                  \
    "AND ((outcome = 1 AND wait_s > ?) OR (outcome = 2 AND wait_s >= ?) OR "                       \
    "(outcome = 3 AND ? = 1)) ORDER BY offered_us, call_id"

/* How a row reads: the threshold and the zone, owned by the model. */
typedef struct ev_src {
    tz_t *tz;
    int threshold_s;
} ev_src_t;

/* One contact as the query gives it. */
typedef struct ev_rec {
    char call_id[EVIDENCE_TEXT], queue[EVIDENCE_TEXT];
    unsigned long call_id_len, queue_len;
    int64_t offered_us, wait_s;
    int32_t outcome;
} ev_rec_t;

/* rmodel_stream_def_t row: one evidence contact into row 0 of t. */
static int evidence_row(void *arg, xl_table_t *t, const void *rec, char *err, size_t errlen)
{
    const ev_src_t *s = arg;
    const ev_rec_t *r = rec;
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
    int rc = rmodel_cells(t, 0, RM_CELLS(cells));
    if (rc != ST_OK)
        st_errf(err, errlen, "evidence contact '%s' cannot be shown", r->call_id);
    return rc;
}

/* rmodel_stream_def_t release: the row's state, with the model. */
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
 * workbook is written (report_model_stream.c); the writer continues it on a
 * next sheet past Excel's rows.
 */
int rmodel_table_evidence(rmodel_ctx_t *x, char *err, size_t errlen)
{
    static const db_out_col_t cols[] = {
        {DBO_STR, offsetof(ev_rec_t, call_id), EVIDENCE_TEXT, -1, offsetof(ev_rec_t, call_id_len)},
        {DBO_STR, offsetof(ev_rec_t, queue), EVIDENCE_TEXT, -1, offsetof(ev_rec_t, queue_len)},
        {DBO_I64, offsetof(ev_rec_t, offered_us), 0, -1, -1},
        {DBO_I64, offsetof(ev_rec_t, wait_s), 0, -1, -1},
        {DBO_I32, offsetof(ev_rec_t, outcome), 0, -1, -1},
    };
    const sla_params_t *p = &x->info.params;
    /* Lowest wait of an abandon that counts, and whether overflows count. */
    int64_t ab_min = p->short_abandon_s, overflow = 1;
    if (p->sl_formula == SLA_SL_ANSWERED) {
        ab_min = INT32_MAX;
        overflow = 0;
    } else if (p->sl_formula != SLA_SL_OFFERED) {
        ab_min = p->sl_threshold_s + 1 > ab_min ? p->sl_threshold_s + 1 : ab_min;
    }
    ev_src_t *s = xcalloc(1, sizeof *s);
    s->threshold_s = p->sl_threshold_s;
    int rc = tz_load(x->info.timezone, &s->tz, err, errlen);
    if (rc != ST_OK) {
        evidence_release(s);
        return rc;
    }
    rmodel_stream_def_t def = {
        .what = "the evidence contacts",
        .sql = EVIDENCE_SELECT,
        .params = {db_u64(x->req->tenant->id), db_i64(x->month->start_utc * 1000000),
                   db_i64(x->month->end_utc * 1000000), db_i64(p->sl_threshold_s), db_i64(ab_min),
                   db_i64(overflow)},
        .n_params = 6,
        .cols = cols,
        .n_cols = sizeof cols / sizeof cols[0],
        .rec_size = sizeof(ev_rec_t),
        .row = evidence_row,
        .release = evidence_release,
        .arg = s};
    return rmodel_stream(x, "evidence", &def);
}
