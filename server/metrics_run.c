/* metrics_run.c - queue metrics of a period from the database (see metrics_run.h). */
#include "metrics_run.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "contract_store.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

#define METRICS_MAX_CONTACTS 20000000 /* a guard, far above a month of any tenant */

/* A contact row as fetched (typed binding, see db_query_rows). */
typedef struct fetched {
    int64_t offered_us, answered_us, ended_us;
    int32_t wait_s, talk_s, hold_s, acw_s, outcome, transferred, resolved, csat;
    char answered_null;
    char queue[65], agent[65], customer[65];
    unsigned long queue_len, agent_len, customer_len;
} fetched_t;

/* Where fetched rows go: contacts with their strings in one arena. */
typedef struct loader {
    fetched_t row;
    sla_contact_t *rows;
    size_t n, cap;
    buf_t arena;          /* queue, agent and customer texts, NUL-terminated */
    size_t (*offsets)[3]; /* arena offsets per row, turned into pointers at the end */
} loader_t;

/* Appends a text to the arena; returns its offset. */
static size_t arena_put(loader_t *l, const char *s, size_t len)
{
    size_t off = l->arena.len;
    buf_append(&l->arena, s, len);
    buf_putc(&l->arena, '\0');
    return off;
}

/* on_row: one fetched contact into the array. */
static int take_row(void *ctx)
{
    loader_t *l = ctx;
    if (l->n == METRICS_MAX_CONTACTS)
        return ST_ERR_TOO_LARGE;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->rows = xrealloc(l->rows, l->cap * sizeof *l->rows);
        l->offsets = xrealloc(l->offsets, l->cap * sizeof *l->offsets);
    }
    const fetched_t *f = &l->row;
    sla_contact_t *c = &l->rows[l->n];
    memset(c, 0, sizeof *c);
    c->offered_us = f->offered_us;
    c->answered_us = f->answered_null ? INT64_MIN : f->answered_us;
    c->ended_us = f->ended_us;
    c->wait_s = f->wait_s;
    c->talk_s = f->talk_s;
    c->hold_s = f->hold_s;
    c->acw_s = f->acw_s;
    c->outcome = f->outcome;
    c->transferred = f->transferred;
    c->resolved = f->resolved;
    c->csat = f->csat;
    l->offsets[l->n][0] = arena_put(l, f->queue, f->queue_len);
    l->offsets[l->n][1] = arena_put(l, f->agent, f->agent_len);
    l->offsets[l->n][2] = arena_put(l, f->customer, f->customer_len);
    l->n++;
    return ST_OK;
}

/*
 * Reads the tenant's contacts offered in [from_us, to_us), typed, straight
 * from the binary protocol.  This reads contacts, not rollups: exact for
 * every metric, including percentiles and FCR.  On ST_OK *rows (free) has
 * strings in *arena (buf_free).
 */
static int load_contacts(db_t *db, uint64_t tenant_id, int64_t from_us, int64_t to_us, buf_t *arena,
                         sla_contact_t **rows, size_t *n)
{
#define F(field) offsetof(fetched_t, field)
    static const db_out_col_t cols[] = {
        {DBO_I64, F(offered_us), 0, -1, -1},
        {DBO_I64, F(answered_us), 0, (long)F(answered_null), -1},
        {DBO_I64, F(ended_us), 0, -1, -1},
        {DBO_I32, F(wait_s), 0, -1, -1},
        {DBO_I32, F(talk_s), 0, -1, -1},
        {DBO_I32, F(hold_s), 0, -1, -1},
        {DBO_I32, F(acw_s), 0, -1, -1},
        {DBO_I32, F(outcome), 0, -1, -1},
        {DBO_I32, F(transferred), 0, -1, -1},
        {DBO_I32, F(resolved), 0, -1, -1},
        {DBO_I32, F(csat), 0, -1, -1},
        {DBO_STR, F(queue), 65, -1, (long)F(queue_len)},
        {DBO_STR, F(agent), 65, -1, (long)F(agent_len)},
        {DBO_STR, F(customer), 65, -1, (long)F(customer_len)},
    };
#undef F
    loader_t l;
    memset(&l, 0, sizeof l);
    buf_init(&l.arena, SIZE_MAX / 2);
    db_val_t v[] = {db_u64(tenant_id), db_i64(from_us), db_i64(to_us)};
    int rc = db_query_rows(db,
                           "SELECT offered_us, answered_us, ended_us, wait_s, talk_s, hold_s, "
                           "acw_s, outcome, transferred, resolved, csat, queue, agent_id, "
                           "customer_id FROM contacts WHERE tenant_id = ? AND offered_us >= ? "
                           "AND offered_us < ? ORDER BY offered_us",
                           v, 3, cols, sizeof cols / sizeof cols[0], &l.row, take_row, &l);
    if (rc == ST_OK) {
        for (size_t i = 0; i < l.n; i++) {
            l.rows[i].queue = l.arena.data + l.offsets[i][0];
            l.rows[i].agent = l.arena.data + l.offsets[i][1];
            l.rows[i].customer_id = l.arena.data + l.offsets[i][2];
        }
        *rows = l.rows;
        *n = l.n;
        *arena = l.arena;
    } else {
        free(l.rows);
        buf_free(&l.arena);
    }
    free(l.offsets);
    return rc;
}

int metrics_compute_many(db_t *db, const tenant_t *t, const sla_period_t *period,
                         const sla_by_t *by, size_t n_by, int64_t generated_us, sla_result_t **outs,
                         metrics_info_t *info, char *err, size_t errlen)
{
    cstore_versions_t versions;
    tz_t *tz = NULL;
    buf_t arena;
    buf_init(&arena, 0);
    sla_contact_t *rows = NULL;
    size_t n = 0;
    const char *zone = NULL;
    memset(info, 0, sizeof *info);
    for (size_t i = 0; i < n_by; i++)
        outs[i] = NULL;
    int rc = cstore_load(db, t, &versions);
    if (rc != ST_OK)
        return rc;
    if ((rc = cstore_params(&versions, t, period->from_y, period->from_m, &info->params, &tz, &zone,
                            &info->contract_version, err, errlen)) != ST_OK)
        goto fail;
    snprintf(info->timezone, sizeof info->timezone, "%s", zone);
    info->params.generated_us = generated_us;
    int64_t start = tz_day_start(tz, period->from_y, period->from_m, period->from_d);
    int ny, nm, nd;
    tz_civil_from_days(tz_days_from_civil(period->to_y, period->to_m, period->to_d) + 1, &ny, &nm,
                       &nd);
    int64_t end = tz_day_start(tz, ny, nm, nd);
    /* FCR by repeat looks fcr_window_h past the period for repeats. */
    int64_t until = end + (int64_t)info->params.fcr_window_h * 3600;
    rc = load_contacts(db, t->id, start * 1000000, until * 1000000, &arena, &rows, &n);
    if (rc == ST_ERR_TOO_LARGE)
        snprintf(err, errlen, "the period holds more than %d contacts", METRICS_MAX_CONTACTS);
    if (rc != ST_OK)
        goto fail;
    info->contacts = n;
    for (size_t i = 0; rc == ST_OK && i < n_by; i++)
        rc = sla_compute_contacts(&info->params, period, by[i], rows, n, &outs[i], err, errlen);
    if (rc != ST_OK) {
        for (size_t i = 0; i < n_by; i++) {
            sla_result_free(outs[i]);
            outs[i] = NULL;
        }
    }
fail:
    info->params.tz = NULL;
    free(rows);
    buf_free(&arena);
    tz_free(tz);
    cstore_versions_free(&versions);
    return rc;
}

int metrics_compute(db_t *db, const tenant_t *t, const sla_period_t *period, sla_by_t by, int by2,
                    int64_t generated_us, sla_result_t **out, sla_result_t **out2,
                    metrics_info_t *info, char *err, size_t errlen)
{
    sla_by_t bys[2] = {by, by2 >= 0 ? (sla_by_t)by2 : by};
    sla_result_t *outs[2] = {NULL, NULL};
    size_t n_by = by2 >= 0 && out2 ? 2 : 1;
    int rc = metrics_compute_many(db, t, period, bys, n_by, generated_us, outs, info, err, errlen);
    *out = outs[0];
    if (out2)
        *out2 = outs[1];
    return rc;
}
