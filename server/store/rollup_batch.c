/*
 * rollup_batch.c - rollup rows with their detail: batches of deltas,
 * rebuilds, the detail check and reading them back (see rollup_batch.h).
 */
#include "rollup_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rollup.h"
#include "sla_acc.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

#define BLOB_MAX   ((size_t)1 << 20) /* bytes of one stored histogram read back */
#define WRITE_ROWS 100               /* rows per multi-row INSERT */
#define DAY_US     (INT64_C(86400) * 1000000)

/* The additive counts of a row, in the order of the columns below. */
static const struct {
    const char *column;
    size_t offset;
} counts[] = {
#define C(col, field)                                                                              \
    {                                                                                              \
        col, offsetof(sla_rollup_t, field)                                                         \
    }
    C("answered_n", answered_n),
    C("answered_within_n", answered_within_n),
    C("answered_wait_sum", answered_wait_sum),
    C("abandoned_n", abandoned_n),
    C("abandoned_wait_sum", abandoned_wait_sum),
    C("abandoned_within_n", abandoned_within_n),
    C("short_abandoned_n", short_abandoned_n),
    C("short_wait_sum", short_wait_sum),
    C("overflow_n", overflow_n),
    C("overflow_wait_sum", overflow_wait_sum),
    C("talk_sum", talk_sum),
    C("hold_sum", hold_sum),
    C("acw_sum", acw_sum),
    C("transferred_n", transferred_n),
    C("csat_1_n", csat_n[0]),
    C("csat_2_n", csat_n[1]),
    C("csat_3_n", csat_n[2]),
    C("csat_4_n", csat_n[3]),
    C("csat_5_n", csat_n[4]),
    C("resolved_base_n", resolved_base_n),
    C("resolved_n", resolved_n),
    C("fcr_base_n", fcr_base_n),
    C("fcr_repeat_n", fcr_repeat_n),
#undef C
};
#define NCOUNTS (sizeof counts / sizeof counts[0])

/* The histogram columns (slots: agent rows only). */
static const char *const hist_columns[] = {"waits_answered", "waits_abandoned", "waits_overflow",
                                           "slots"};

/* The table, time key and string key of a kind. */
static const struct {
    const char *table, *time, *key;
    size_t nhist;
} kinds[] = {
    {"contact_rollups", "slot_us", "queue", 3},
    {"agent_rollups", "day_us", "agent_id", 4},
    {"reason_rollups", "day_us", "reason", 3},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* ------------------------------------------------------------- batches */

/* One streamed contact (ROLLUP_STREAM_COLUMNS). */
typedef struct stream_row {
    int32_t src;
    int64_t batch_id;
    rollup_contact_row_t c;
} stream_row_t;

void rollup_contact_cols(db_out_col_t *cols, size_t at)
{
#define F(field) (at + offsetof(rollup_contact_row_t, field))
    static const db_out_type types[ROLLUP_CONTACT_COLS - 3] = {
        DBO_I64, DBO_I32, DBO_I32, DBO_I32, DBO_I32, DBO_I32, DBO_I32, DBO_I32, DBO_I32};
    const size_t ints[ROLLUP_CONTACT_COLS - 3] = {F(offered_us),  F(wait_s),   F(talk_s),
                                                  F(hold_s),      F(acw_s),    F(outcome),
                                                  F(transferred), F(resolved), F(csat)};
    for (size_t i = 0; i < ROLLUP_CONTACT_COLS - 3; i++)
        cols[i] = (db_out_col_t){types[i], ints[i], 0, -1, -1};
    cols[9] = (db_out_col_t){DBO_STR, F(queue), 65, -1, (long)F(queue_len)};
    cols[10] = (db_out_col_t){DBO_STR, F(agent), 65, -1, (long)F(agent_len)};
    cols[11] = (db_out_col_t){DBO_STR, F(customer), 65, -1, (long)F(customer_len)};
    cols[12] = (db_out_col_t){DBO_STR, F(reason), 65, -1, (long)F(reason_len)};
#undef F
}

/* A contact of the customer being read, with its strings. */
typedef struct group_row {
    sla_contact_t c;
    char queue[65], agent[65], reason[65];
} group_row_t;

/* Contacts of one slot and batch (a delta of batch_slots). */
typedef struct slot_batch {
    int64_t slot_us, batch_id, n;
} slot_batch_t;

struct rollup_batch {
    slot_batch_t *sb; /* open addressing on (slot, batch); n == 0 and slot 0: empty */
    size_t nsb, sbcap;
    db_t *db;
    uint64_t tenant_id;
    rollup_segment_t *seg;
    size_t nseg;
    tz_t **tz; /* per segment (zones loaded once each) */
    sla_acc_t *acc;
    stream_row_t row;
    group_row_t *group; /* the current customer's contacts */
    size_t ng, gcap;
    char customer[65];
    sla_contact_t *gc; /* the group as sla_acc_customer() takes it */
    uint8_t *gsrc;
    uint64_t new_rows;
    sla_acc_order_t *order; /* rollup_batch_stream_ordered() */
    bool unordered;
};

/* Loads the zones of the segments and the accumulator. */
static int batch_new(db_t *db, uint64_t tenant_id, rollup_batch_t **out, char *err, size_t errlen)
{
    tenant_t t;
    int rc = tenant_by_id(db, tenant_id, &t);
    if (rc != ST_OK)
        return rc == ST_ERR_NOT_FOUND ? ST_ERR_INTERNAL : rc;
    rollup_batch_t *b = xcalloc(1, sizeof *b);
    b->db = db;
    b->tenant_id = tenant_id;
    if ((rc = rollup_segments_load(db, tenant_id, t.timezone, &b->seg, &b->nseg)) != ST_OK)
        goto fail;
    b->tz = xcalloc(b->nseg, sizeof *b->tz);
    sla_seg_t *ss = xcalloc(b->nseg, sizeof *ss);
    for (size_t i = 0; rc == ST_OK && i < b->nseg; i++) {
        for (size_t k = 0; k < i && !b->tz[i]; k++)
            if (strcmp(b->seg[k].timezone, b->seg[i].timezone) == 0)
                b->tz[i] = b->tz[k];
        if (!b->tz[i] && tz_load(b->seg[i].timezone, &b->tz[i], err, errlen) != ST_OK)
            rc = ST_ERR_INTERNAL;
        ss[i] =
            (sla_seg_t){b->seg[i].from_us,         b->seg[i].to_us,        b->seg[i].sl_threshold_s,
                        b->seg[i].short_abandon_s, b->seg[i].fcr_window_h, b->tz[i]};
    }
    if (rc == ST_OK)
        b->acc = sla_acc_new(ss, b->nseg);
    free(ss);
    if (rc != ST_OK)
        goto fail;
    *out = b;
    return ST_OK;
fail:
    rollup_batch_free(b);
    return rc;
}

int rollup_pending(db_t *db, uint64_t tenant_id, bool *pending)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id)};
    int rc = db_exec(db, "SELECT 1 FROM rollup_rebuilds WHERE tenant_id = ?", v, 1, &res);
    if (rc == ST_OK)
        *pending = db_res_count(res) > 0;
    db_res_free(res);
    return rc;
}

int rollup_batch_begin(db_t *db, uint64_t tenant_id, rollup_batch_t **out, bool *pending, char *err,
                       size_t errlen)
{
    *out = NULL;
    int rc = rollup_pending(db, tenant_id, pending);
    if (rc != ST_OK || *pending)
        return rc;
    return batch_new(db, tenant_id, out, err, errlen);
}

int64_t rollup_batch_horizon_us(const rollup_batch_t *b)
{
    return sla_acc_horizon_us(b->acc);
}

void rollup_batch_free(rollup_batch_t *b)
{
    if (!b)
        return;
    for (size_t i = 0; b->tz && i < b->nseg; i++) {
        bool shared = false;
        for (size_t k = 0; k < i; k++)
            shared = shared || b->tz[k] == b->tz[i];
        if (!shared)
            tz_free(b->tz[i]);
    }
    free(b->tz);
    free(b->seg);
    sla_acc_free(b->acc);
    free(b->sb);
    free(b->group);
    free(b->gc);
    free(b->gsrc);
    free(b);
}

/* The streamed row as a contact (its strings are the row's). */
static sla_contact_t row_contact(const rollup_contact_row_t *r)
{
    sla_contact_t c = {.offered_us = r->offered_us,
                       .wait_s = r->wait_s,
                       .talk_s = r->talk_s,
                       .hold_s = r->hold_s,
                       .acw_s = r->acw_s,
                       .outcome = (int8_t)r->outcome,
                       .transferred = (int8_t)r->transferred,
                       .resolved = (int8_t)r->resolved,
                       .csat = (int8_t)r->csat,
                       .queue = r->queue,
                       .agent = r->agent,
                       .customer_id = r->customer,
                       .reason = r->reason};
    return c;
}

/* The customer read so far goes to the accumulator. */
static void group_done(rollup_batch_t *b)
{
    if (b->ng == 0)
        return;
    for (size_t i = 0; i < b->ng; i++) {
        b->gc[i] = b->group[i].c;
        b->gc[i].queue = b->group[i].queue;
        b->gc[i].agent = b->group[i].agent;
        b->gc[i].reason = b->group[i].reason;
        b->gc[i].customer_id = b->customer;
    }
    sla_acc_customer(b->acc, b->gc, b->gsrc, b->ng);
    b->ng = 0;
}

/* The hash table slot of (slot, batch). */
static size_t sb_hash(int64_t slot_us, int64_t batch_id, size_t cap)
{
    uint64_t x = (uint64_t)slot_us * 0x9e3779b97f4a7c15u ^ (uint64_t)batch_id * 0xc2b2ae3d27d4eb4fu;
    x ^= x >> 29;
    return (size_t)x & (cap - 1);
}

/* Adds d contacts to (slot, batch). */
static void sb_add(rollup_batch_t *b, int64_t slot_us, int64_t batch_id, int64_t d)
{
    if (2 * (b->nsb + 1) > b->sbcap) {
        slot_batch_t *old = b->sb;
        size_t cap = b->sbcap;
        b->sbcap = cap ? cap * 2 : 1024;
        b->sb = xcalloc(b->sbcap, sizeof *b->sb);
        b->nsb = 0;
        for (size_t i = 0; i < cap; i++)
            if (old[i].batch_id)
                sb_add(b, old[i].slot_us, old[i].batch_id, old[i].n);
        free(old);
    }
    size_t h = sb_hash(slot_us, batch_id, b->sbcap);
    while (b->sb[h].batch_id && (b->sb[h].slot_us != slot_us || b->sb[h].batch_id != batch_id))
        h = (h + 1) & (b->sbcap - 1);
    if (!b->sb[h].batch_id) {
        b->sb[h] = (slot_batch_t){slot_us, batch_id, 0};
        b->nsb++;
    }
    b->sb[h].n += d;
}

/* on_row of the stream: contacts without a customer at once, the others
 * gathered customer by customer. */
static int stream_row(void *ctx)
{
    rollup_batch_t *b = ctx;
    const stream_row_t *s = &b->row;
    const rollup_contact_row_t *r = &s->c;
    if (s->src < SLA_ACC_NEW || s->src > SLA_ACC_CONTEXT || r->outcome < SLA_ANSWERED ||
        r->outcome > SLA_OVERFLOW)
        return ST_ERR_INTERNAL;
    b->new_rows += s->src == SLA_ACC_NEW;
    if ((s->src == SLA_ACC_NEW || s->src == SLA_ACC_OLD) && s->batch_id > 0)
        sb_add(b, r->offered_us - r->offered_us % INT64_C(900000000), s->batch_id,
               s->src == SLA_ACC_NEW ? 1 : -1);
    if (r->customer[0] == '\0') {
        sla_contact_t c = row_contact(r);
        if (s->src == SLA_ACC_NEW || s->src == SLA_ACC_OLD)
            sla_acc_contact(b->acc, &c, false, s->src == SLA_ACC_NEW ? 1 : -1);
        return ST_OK;
    }
    if (b->ng > 0 && strcmp(b->customer, r->customer) != 0)
        group_done(b);
    if (b->ng == 0)
        memcpy(b->customer, r->customer, sizeof b->customer);
    if (b->ng == b->gcap) {
        b->gcap = b->gcap ? b->gcap * 2 : 64;
        b->group = xrealloc(b->group, b->gcap * sizeof *b->group);
        b->gc = xrealloc(b->gc, b->gcap * sizeof *b->gc);
        b->gsrc = xrealloc(b->gsrc, b->gcap);
    }
    group_row_t *g = &b->group[b->ng];
    g->c = row_contact(r);
    memcpy(g->queue, r->queue, sizeof g->queue);
    memcpy(g->agent, r->agent, sizeof g->agent);
    memcpy(g->reason, r->reason, sizeof g->reason);
    b->gsrc[b->ng++] = (uint8_t)s->src;
    return ST_OK;
}

/* on_row of the ordered stream: each row at once; stops at the first row
 * out of order. */
static int ordered_row(void *ctx)
{
    rollup_batch_t *b = ctx;
    const stream_row_t *s = &b->row;
    const rollup_contact_row_t *r = &s->c;
    if (s->src != SLA_ACC_NEW || r->outcome < SLA_ANSWERED || r->outcome > SLA_OVERFLOW)
        return ST_ERR_INTERNAL;
    sla_contact_t c = row_contact(r);
    if (!sla_acc_order_add(b->order, &c)) {
        b->unordered = true;
        return ST_ERR_CONFLICT; /* stops the stream */
    }
    b->new_rows++;
    if (s->batch_id > 0)
        sb_add(b, r->offered_us - r->offered_us % INT64_C(900000000), s->batch_id, 1);
    return ST_OK;
}

/* The typed columns of a stream: src, batch, then the contact. */
static void stream_cols(db_out_col_t *cols)
{
    cols[0] = (db_out_col_t){DBO_I32, offsetof(stream_row_t, src), 0, -1, -1};
    cols[1] = (db_out_col_t){DBO_I64, offsetof(stream_row_t, batch_id), 0, -1, -1};
    rollup_contact_cols(cols + 2, offsetof(stream_row_t, c));
}

int rollup_batch_stream_ordered(rollup_batch_t *b, const char *sql, const db_val_t *params,
                                size_t n, bool *ordered)
{
    db_out_col_t cols[2 + ROLLUP_CONTACT_COLS];
    stream_cols(cols);
    b->order = sla_acc_order_new(b->acc);
    b->unordered = false;
    int rc = db_query_rows(b->db, sql, params, n, cols, 2 + ROLLUP_CONTACT_COLS, &b->row,
                           ordered_row, b);
    sla_acc_order_free(b->order);
    b->order = NULL;
    *ordered = !b->unordered;
    if (b->unordered) { /* nothing of it is kept */
        sla_acc_reset(b->acc);
        free(b->sb);
        b->sb = NULL;
        b->nsb = b->sbcap = 0;
        rc = ST_OK;
    }
    return rc;
}

int rollup_batch_stream(rollup_batch_t *b, const char *sql, const db_val_t *params, size_t n,
                        uint64_t *new_rows)
{
    db_out_col_t cols[2 + ROLLUP_CONTACT_COLS];
    stream_cols(cols);
    b->new_rows = 0;
    b->ng = 0;
    int rc = db_query_rows(b->db, sql, params, n, cols, sizeof cols / sizeof cols[0], &b->row,
                           stream_row, b);
    if (rc == ST_OK)
        group_done(b);
    if (new_rows)
        *new_rows = b->new_rows;
    return rc;
}

/* ---------------------------------------------------------- stored rows */

/* A stored row as fetched: its counts in r, its strings and encodings here. */
typedef struct fetched {
    sla_rollup_t r;
    char key[65];
    unsigned long key_len;
    char hist[4][BLOB_MAX + 1];
    unsigned long hist_len[4];
    char hist_null[4];
} fetched_t;

/* Appends s to the SQL text (constant fragments only, never data). */
static int sql_put(buf_t *b, const char *s)
{
    return buf_puts(b, s);
}

/* Appends "time, key, thresholds, counts" and nhist histogram columns of a
 * kind (past the kind's own: '' for a slot row's slots). */
static int columns_sql(rollup_kind_t kind, size_t nhist, buf_t *sql)
{
    int rc = sql_put(sql, kinds[kind].time);
    rc = rc ? rc : sql_put(sql, ", ");
    rc = rc ? rc : sql_put(sql, kinds[kind].key);
    rc = rc ? rc : sql_put(sql, ", sl_threshold_s, short_abandon_s, fcr_window_h");
    for (size_t i = 0; rc == ST_OK && i < NCOUNTS; i++) {
        rc = sql_put(sql, ", ");
        rc = rc ? rc : sql_put(sql, counts[i].column);
    }
    for (size_t i = 0; rc == ST_OK && i < nhist; i++) {
        rc = sql_put(sql, ", ");
        rc = rc ? rc : sql_put(sql, i < kinds[kind].nhist ? hist_columns[i] : "''");
    }
    return rc;
}

/* "SELECT time, key, thresholds, counts, histograms FROM table". */
static int select_sql(rollup_kind_t kind, buf_t *sql)
{
    int rc = sql_put(sql, "SELECT ");
    rc = rc ? rc : columns_sql(kind, 4, sql);
    rc = rc ? rc : sql_put(sql, " FROM ");
    rc = rc ? rc : sql_put(sql, kinds[kind].table);
    return rc;
}

/* What rollup_read() passes to its caller, and the row being fetched. */
typedef struct reader {
    fetched_t *f;
    rollup_kind_t kind;
    int (*on_row)(void *ctx, const sla_rollup_t *row);
    void *ctx;
} reader_t;

/* on_row of db_query_rows: the fetched row as an sla_rollup_t. */
static int read_row(void *ctx)
{
    reader_t *rd = ctx;
    fetched_t *f = rd->f;
    sla_rollup_t r = f->r;
    r.queue = rd->kind == ROLLUP_SLOTS ? f->key : NULL;
    r.agent = rd->kind == ROLLUP_AGENTS ? f->key : NULL;
    r.reason = rd->kind == ROLLUP_REASONS ? f->key : NULL;
    r.has_detail = !f->hist_null[0];
    for (int k = 0; k < SLA_WAITS; k++)
        r.waits[k] = (ihist_view_t){(const uint8_t *)f->hist[k], f->hist_len[k]};
    r.slots = (ihist_view_t){(const uint8_t *)f->hist[3], f->hist_len[3]};
    return rd->on_row(rd->ctx, &r);
}

int rollup_read(db_t *db, uint64_t tenant_id, rollup_kind_t kind, int64_t from_us, int64_t to_us,
                int (*on_row)(void *ctx, const sla_rollup_t *row), void *ctx)
{
    db_out_col_t cols[5 + NCOUNTS + 4];
    size_t nc = 0;
#define F(field) offsetof(fetched_t, field)
    cols[nc++] = (db_out_col_t){DBO_I64, F(r.slot_us), 0, -1, -1};
    cols[nc++] = (db_out_col_t){DBO_STR, F(key), 65, -1, (long)F(key_len)};
    cols[nc++] = (db_out_col_t){DBO_I32, F(r.sl_threshold_s), 0, -1, -1};
    cols[nc++] = (db_out_col_t){DBO_I32, F(r.short_abandon_s), 0, -1, -1};
    cols[nc++] = (db_out_col_t){DBO_I32, F(r.fcr_window_h), 0, -1, -1};
    for (size_t i = 0; i < NCOUNTS; i++)
        cols[nc++] = (db_out_col_t){DBO_I64, F(r) + counts[i].offset, 0, -1, -1};
    for (size_t i = 0; i < 4; i++)
        cols[nc++] = (db_out_col_t){DBO_STR, F(hist) + i * (BLOB_MAX + 1), BLOB_MAX + 1,
                                    (long)(F(hist_null) + i),
                                    (long)(F(hist_len) + i * sizeof(unsigned long))};
#undef F
    buf_t sql;
    buf_init(&sql, 4096);
    int rc = select_sql(kind, &sql);
    rc = rc ? rc : sql_put(&sql, " WHERE tenant_id = ? AND ");
    rc = rc ? rc : sql_put(&sql, kinds[kind].time);
    rc = rc ? rc : sql_put(&sql, " >= ? AND ");
    rc = rc ? rc : sql_put(&sql, kinds[kind].time);
    rc = rc ? rc : sql_put(&sql, " < ? ORDER BY ");
    rc = rc ? rc : sql_put(&sql, kinds[kind].time);
    reader_t rd = {xmalloc(sizeof(fetched_t)), kind, on_row, ctx};
    memset(&rd.f->r, 0, sizeof rd.f->r);
    db_val_t v[] = {db_u64(tenant_id), db_i64(from_us), db_i64(to_us)};
    if (rc == ST_OK)
        rc = db_query_rows(db, buf_cstr(&sql), v, 3, cols, nc, rd.f, read_row, &rd);
    free(rd.f);
    buf_free(&sql);
    return rc;
}

/* ------------------------------------------------------------- writing */

/* The multi-row upsert of `rows` rows of a kind. */
static int upsert_sql(rollup_kind_t kind, size_t rows, buf_t *sql)
{
    size_t ncol = 6 + NCOUNTS + kinds[kind].nhist;
    int rc = sql_put(sql, "INSERT INTO ");
    rc = rc ? rc : sql_put(sql, kinds[kind].table);
    rc = rc ? rc : sql_put(sql, " (tenant_id, ");
    rc = rc ? rc : columns_sql(kind, kinds[kind].nhist, sql);
    rc = rc ? rc : sql_put(sql, ") VALUES ");
    for (size_t r = 0; rc == ST_OK && r < rows; r++) {
        rc = sql_put(sql, r ? ", (?" : "(?");
        for (size_t c = 1; rc == ST_OK && c < ncol; c++)
            rc = sql_put(sql, ", ?");
        rc = rc ? rc : sql_put(sql, ")");
    }
    rc = rc ? rc
            : sql_put(sql, " ON DUPLICATE KEY UPDATE sl_threshold_s = VALUES(sl_threshold_s), "
                           "short_abandon_s = VALUES(short_abandon_s), "
                           "fcr_window_h = VALUES(fcr_window_h)");
    for (size_t i = 0; rc == ST_OK && i < NCOUNTS + kinds[kind].nhist; i++) {
        const char *col = i < NCOUNTS ? counts[i].column : hist_columns[i - NCOUNTS];
        rc = sql_put(sql, ", ");
        rc = rc ? rc : sql_put(sql, col);
        rc = rc ? rc : sql_put(sql, " = VALUES(");
        rc = rc ? rc : sql_put(sql, col);
        rc = rc ? rc : sql_put(sql, ")");
    }
    return rc;
}

/* Writes rows [from, from + n) of the accumulator's kind (whole rows). */
static int write_rows(rollup_batch_t *b, rollup_kind_t kind, size_t from, size_t n)
{
    size_t nhist = kinds[kind].nhist, ncol = 6 + NCOUNTS + nhist;
    db_val_t *v = xcalloc(n * ncol, sizeof *v);
    buf_t *enc = xcalloc(n * nhist, sizeof *enc);
    buf_t sql;
    buf_init(&sql, (size_t)1 << 20);
    int rc = upsert_sql(kind, n, &sql);
    for (size_t r = 0; rc == ST_OK && r < n; r++) {
        sla_acc_row_t *row = sla_acc_row(b->acc, (sla_acc_kind_t)kind, from + r);
        db_val_t *x = &v[r * ncol];
        x[0] = db_u64(b->tenant_id);
        x[1] = db_i64(row->r.slot_us);
        x[2] = db_str(row->r.queue); /* the key: queue, agent or reason */
        x[3] = db_i64(row->r.sl_threshold_s);
        x[4] = db_i64(row->r.short_abandon_s);
        x[5] = db_i64(row->r.fcr_window_h);
        for (size_t i = 0; i < NCOUNTS; i++) {
            int64_t c = *(const int64_t *)(const void *)((const char *)&row->r + counts[i].offset);
            if (c < 0)
                rc = ST_ERR_INTERNAL; /* more removed than stored: out of step */
            x[6 + i] = db_i64(c);
        }
        for (size_t h = 0; rc == ST_OK && h < nhist; h++) {
            buf_t *e = &enc[r * nhist + h];
            buf_init(e, BLOB_MAX);
            rc = ihist_encode(h < SLA_WAITS ? &row->waits[h] : &row->slots, e);
            x[6 + NCOUNTS + h] = db_blob(e->len ? e->data : "", e->len);
        }
    }
    if (rc == ST_OK)
        rc = db_exec(b->db, buf_cstr(&sql), v, n * ncol, NULL);
    for (size_t i = 0; i < n * nhist; i++)
        buf_free(&enc[i]);
    free(enc);
    free(v);
    buf_free(&sql);
    return rc;
}

/* The kind and key of a stored row (rollup_read() sets one key). */
static sla_acc_kind_t stored_kind(const sla_rollup_t *r, const char **key)
{
    *key = r->agent ? r->agent : r->reason ? r->reason : r->queue;
    return r->agent ? SLA_ACC_AGENTS : r->reason ? SLA_ACC_REASONS : SLA_ACC_SLOTS;
}

/* on_row of the merge: a stored row joins its accumulated delta. */
static int merge_row(void *ctx, const sla_rollup_t *stored)
{
    rollup_batch_t *b = ctx;
    const char *key;
    sla_acc_kind_t k = stored_kind(stored, &key);
    sla_acc_row_t *row = sla_acc_find(b->acc, k, stored->slot_us, key);
    if (!row)
        return ST_OK;
    if (!stored->has_detail)
        return ST_ERR_INTERNAL; /* written before the detail: a rebuild is due */
    return sla_acc_row_add(row, stored) == ST_OK ? ST_OK : ST_ERR_INTERNAL;
}

/* Adds the (slot, batch) deltas to batch_slots (the database adds). */
static int write_batch_slots(rollup_batch_t *b)
{
    db_val_t *v = xcalloc(WRITE_ROWS * 4, sizeof *v);
    buf_t sql;
    buf_init(&sql, (size_t)1 << 20);
    size_t n = 0;
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i <= b->sbcap; i++) {
        bool last = i == b->sbcap;
        if (!last && (!b->sb[i].batch_id || b->sb[i].n == 0))
            continue;
        if (!last) {
            v[4 * n] = db_u64(b->tenant_id);
            v[4 * n + 1] = db_i64(b->sb[i].slot_us);
            v[4 * n + 2] = db_i64(b->sb[i].batch_id);
            v[4 * n + 3] = db_i64(b->sb[i].n);
            n++;
        }
        if (n == 0 || (!last && n < WRITE_ROWS))
            continue;
        buf_reset(&sql);
        rc = sql_put(&sql,
                     "INSERT INTO batch_slots (tenant_id, slot_us, batch_id, contacts) VALUES ");
        for (size_t r = 0; rc == ST_OK && r < n; r++)
            rc = sql_put(&sql, r ? ", (?, ?, ?, ?)" : "(?, ?, ?, ?)");
        rc = rc ? rc
                : sql_put(&sql, " ON DUPLICATE KEY UPDATE contacts = contacts + VALUES(contacts)");
        rc = rc ? rc : db_exec(b->db, buf_cstr(&sql), v, 4 * n, NULL);
        n = 0;
    }
    free(b->sb);
    b->sb = NULL;
    b->nsb = b->sbcap = 0;
    free(v);
    buf_free(&sql);
    return rc;
}

int rollup_batch_flush(rollup_batch_t *b, char *err, size_t errlen)
{
    int rc = b->sbcap ? write_batch_slots(b) : ST_OK;
    for (int k = 0; rc == ST_OK && k < (int)NKINDS; k++) {
        size_t n = sla_acc_count(b->acc, (sla_acc_kind_t)k);
        if (n == 0)
            continue;
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (size_t i = 0; i < n; i++) {
            int64_t t = sla_acc_row(b->acc, (sla_acc_kind_t)k, i)->r.slot_us;
            lo = t < lo ? t : lo;
            hi = t > hi ? t : hi;
        }
        rc = rollup_read(b->db, b->tenant_id, (rollup_kind_t)k, lo, hi + 1, merge_row, b);
        for (size_t i = 0; rc == ST_OK && i < n; i += WRITE_ROWS)
            rc = write_rows(b, (rollup_kind_t)k, i, n - i < WRITE_ROWS ? n - i : WRITE_ROWS);
    }
    if (rc == ST_ERR_INTERNAL)
        snprintf(err, errlen,
                 "stored rollups disagree with the batch's changes (run slattest "
                 "check rollups)");
    sla_acc_reset(b->acc);
    return rc;
}

/* ------------------------------------------------------- whole tenants */

/* qsort order of instants. */
static int i64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * Month-sized pieces [bounds[i], bounds[i + 1]) covering [lo, hi): cut at
 * segment starts and at each month's first instant in the zone of the
 * segment it falls in, so no agent or reason row's local day spans two pieces.
 */
static void pieces(const rollup_batch_t *b, int64_t lo, int64_t hi, int64_t **bounds, size_t *n)
{
    int y0, m0, y1, m1;
    tz_day_of(b->tz[0], lo / 1000000 - 86400 * 2, &y0, &m0, NULL);
    tz_day_of(b->tz[0], hi / 1000000 + 86400 * 2, &y1, &m1, NULL);
    size_t months = (size_t)((y1 - y0) * 12 + (m1 - m0) + 2), cap = months * b->nseg + b->nseg + 2;
    int64_t *v = xmalloc(cap * sizeof *v);
    size_t k = 0;
    v[k++] = lo;
    v[k++] = hi;
    for (size_t s = 0; s < b->nseg; s++) {
        if (b->seg[s].from_us > lo && b->seg[s].from_us < hi)
            v[k++] = b->seg[s].from_us;
        for (int y = y0, m = m0; y < y1 || (y == y1 && m <= m1);) {
            int64_t t = tz_month_start(b->tz[s], y, m) * 1000000;
            if (t > lo && t < hi && t >= b->seg[s].from_us && t < b->seg[s].to_us && k < cap)
                v[k++] = t;
            if (++m == 13) {
                m = 1;
                y++;
            }
        }
    }
    qsort(v, k, sizeof *v, i64_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || v[i] != v[u - 1])
            v[u++] = v[i];
    *bounds = v;
    *n = u;
}

/* The range of the tenant's contacts and of its stored rows: [*lo, *hi). */
static int tenant_range(db_t *db, uint64_t tenant_id, int64_t *lo, int64_t *hi)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id), db_u64(tenant_id), db_u64(tenant_id), db_u64(tenant_id)};
    int rc = db_exec(db,
                     "SELECT MIN(t), MAX(t) FROM (SELECT MIN(offered_us) t FROM contacts WHERE "
                     "tenant_id = ? UNION ALL SELECT MAX(offered_us) FROM contacts WHERE "
                     "tenant_id = ? UNION ALL SELECT MIN(slot_us) FROM contact_rollups WHERE "
                     "tenant_id = ? UNION ALL SELECT MAX(slot_us) FROM contact_rollups WHERE "
                     "tenant_id = ?) x",
                     v, 4, &res);
    *lo = 0;
    *hi = -1;
    if (rc == ST_OK && db_res_next(res) && !db_res_is_null(res, 0)) {
        *lo = db_res_i64(res, 0);
        *hi = db_res_i64(res, 1) + 1;
    }
    db_res_free(res);
    return rc;
}

/* Streams the contacts of [from, to) as NEW, and those of the FCR horizon
 * after it (with a customer) as CONTEXT, into the batch. */
static int stream_piece(rollup_batch_t *b, int64_t from, int64_t to)
{
    int64_t h = rollup_batch_horizon_us(b);
    db_val_t v[] = {db_i64(to), db_u64(b->tenant_id), db_i64(from), db_i64(to + h), db_i64(to)};
    return rollup_batch_stream(
        b,
        "SELECT " ROLLUP_STREAM_COLUMNS("IF(c.offered_us < ?, 1, 4)", "c.batch_id",
                                        "c") " FROM contacts c WHERE c.tenant_id = ? AND "
                                             "c.offered_us >= ? AND c.offered_us < ? AND "
                                             "(c.offered_us < ? OR c.customer_id <> '') "
                                             "ORDER BY c.customer_id, c.offered_us",
        v, 5, NULL);
}

int rollup_rebuild(db_t *db, const tenant_t *t, char *err, size_t errlen)
{
    rollup_batch_t *b = NULL;
    int64_t *bounds = NULL, lo, hi;
    size_t nb = 0;
    db_val_t id[] = {db_u64(t->id)};
    int rc = db_exec(db, "DELETE FROM contact_rollups WHERE tenant_id = ?", id, 1, NULL);
    rc = rc ? rc : db_exec(db, "DELETE FROM agent_rollups WHERE tenant_id = ?", id, 1, NULL);
    rc = rc ? rc : db_exec(db, "DELETE FROM reason_rollups WHERE tenant_id = ?", id, 1, NULL);
    rc = rc ? rc : db_exec(db, "DELETE FROM batch_slots WHERE tenant_id = ?", id, 1, NULL);
    rc = rc ? rc : batch_new(db, t->id, &b, err, errlen);
    rc = rc ? rc : tenant_range(db, t->id, &lo, &hi);
    if (rc == ST_OK && hi > lo)
        pieces(b, lo, hi, &bounds, &nb);
    for (size_t i = 0; rc == ST_OK && i + 1 < nb; i++) {
        rc = stream_piece(b, bounds[i], bounds[i + 1]);
        rc = rc ? rc : rollup_batch_flush(b, err, errlen);
    }
    rc = rc ? rc : db_exec(db, "DELETE FROM rollup_rebuilds WHERE tenant_id = ?", id, 1, NULL);
    free(bounds);
    rollup_batch_free(b);
    return rc;
}

int rollup_rebuild_pending(db_t *db, size_t *done, char *err, size_t errlen)
{
    db_res_t *res = NULL;
    *done = 0;
    int rc = db_exec(db, "SELECT tenant_id FROM rollup_rebuilds ORDER BY tenant_id", NULL, 0, &res);
    while (rc == ST_OK && db_res_next(res)) {
        tenant_t t;
        bool rebuilt = false;
        db_val_t lock[] = {db_i64(db_res_i64(res, 0))};
        if ((rc = db_begin(db)) != ST_OK)
            break;
        rc = db_exec(db, "SELECT id FROM tenants WHERE id = ? FOR UPDATE", lock, 1, NULL);
        rc = rc ? rc : tenant_by_id(db, (uint64_t)db_res_i64(res, 0), &t);
        /* The segments first (their window and zone are new), then the rows. */
        rc = rc ? rc : rollup_segments_store(db, &t, &rebuilt, err, errlen);
        if (rc == ST_OK && !rebuilt)
            rc = rollup_rebuild(db, &t, err, errlen);
        rc = rc ? rc : db_commit(db);
        if (rc != ST_OK)
            db_rollback(db);
        else
            (*done)++;
    }
    db_res_free(res);
    return rc;
}

/* ---------------------------------------------------------- the check */

/* What the check of one piece counts. */
typedef struct checker {
    rollup_batch_t *b;
    sla_acc_kind_t kind;
    uint64_t keys, differences, matched;
} checker_t;

/* on_row of the check: a stored row against its recomputation. */
static int check_row(void *ctx, const sla_rollup_t *stored)
{
    checker_t *ck = ctx;
    const char *key;
    stored_kind(stored, &key);
    sla_acc_row_t *row = sla_acc_find(ck->b->acc, ck->kind, stored->slot_us, key);
    sla_acc_row_t none;
    memset(&none, 0, sizeof none);
    none.r = *stored; /* the thresholds: a row without contacts counts nothing */
    for (size_t i = 0; i < NCOUNTS; i++)
        *(int64_t *)(void *)((char *)&none.r + counts[i].offset) = 0;
    none.r.agent = stored->agent;
    none.r.reason = stored->reason;
    ck->keys++;
    ck->matched += row != NULL;
    if (!stored->has_detail || !sla_acc_row_equal(row ? row : &none, stored))
        ck->differences++;
    return ST_OK;
}

int rollup_detail_check(db_t *db, const tenant_t *t, uint64_t differences[ROLLUP_KINDS],
                        uint64_t keys[ROLLUP_KINDS], char *err, size_t errlen)
{
    rollup_batch_t *b = NULL;
    int64_t *bounds = NULL, lo, hi;
    size_t nb = 0;
    for (int k = 0; k < ROLLUP_KINDS; k++)
        differences[k] = keys[k] = 0;
    int rc = batch_new(db, t->id, &b, err, errlen);
    rc = rc ? rc : tenant_range(db, t->id, &lo, &hi);
    if (rc == ST_OK && hi > lo)
        pieces(b, lo - DAY_US, hi + DAY_US, &bounds, &nb);
    for (size_t i = 0; rc == ST_OK && i + 1 < nb; i++) {
        rc = stream_piece(b, bounds[i], bounds[i + 1]);
        for (int k = 0; rc == ST_OK && k < ROLLUP_KINDS; k++) {
            checker_t ck = {b, (sla_acc_kind_t)k, 0, 0, 0};
            rc = rollup_read(db, t->id, (rollup_kind_t)k, bounds[i], bounds[i + 1], check_row, &ck);
            /* Recomputed rows that nothing stored matched are missing. */
            uint64_t recomputed = sla_acc_count(b->acc, (sla_acc_kind_t)k);
            keys[k] += ck.keys + (recomputed - ck.matched);
            differences[k] += ck.differences + (recomputed - ck.matched);
        }
        sla_acc_reset(b->acc);
    }
    free(bounds);
    rollup_batch_free(b);
    return rc;
}

int rollup_batch_slots_check(db_t *db, uint64_t tenant_id, uint64_t *differences, uint64_t *keys)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id), db_u64(tenant_id)};
    int rc =
        db_exec(db,
                "SELECT COUNT(*), COALESCE(SUM(n <> 0), 0) FROM (SELECT slot, batch_id, SUM(n) n "
                "FROM (SELECT offered_us - MOD(offered_us, 900000000) slot, batch_id, "
                "COUNT(*) n FROM contacts WHERE tenant_id = ? GROUP BY 1, 2 UNION ALL SELECT "
                "slot_us, batch_id, -contacts FROM batch_slots WHERE tenant_id = ?) x GROUP BY "
                "1, 2) d",
                v, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        *keys = (uint64_t)db_res_i64(res, 0);
        *differences = (uint64_t)db_res_i64(res, 1);
    }
    db_res_free(res);
    return rc;
}
