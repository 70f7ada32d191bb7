/* metrics_run.c - queue metrics of a period from the database (see metrics_run.h). */
#include "metrics_run.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract_store.h"
#include "log.h"
#include "rollup.h"
#include "rollup_batch.h"
#include "status.h"
#include "strpool.h"
#include "tz.h"
#include "xmem.h"

#define METRICS_MAX_CONTACTS 20000000 /* a guard, far above a month of any tenant */

/* Where fetched rows (typed binding, see db_query_rows: the columns of the
 * rollup stream) go: contacts with their strings interned (most rows name
 * the same few queues and agents; the pool keeps one copy of each). */
typedef struct loader {
    rollup_contact_row_t row;
    sla_contact_t *rows;
    size_t n, cap;
    strpool_t *pool;
} loader_t;

/* on_row: one fetched contact into the array. */
static int take_row(void *ctx)
{
    loader_t *l = ctx;
    if (l->n == METRICS_MAX_CONTACTS)
        return ST_ERR_TOO_LARGE;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->rows = xrealloc(l->rows, l->cap * sizeof *l->rows);
    }
    const rollup_contact_row_t *f = &l->row;
    sla_contact_t *c = &l->rows[l->n];
    memset(c, 0, sizeof *c);
    c->offered_us = f->offered_us;
    c->wait_s = f->wait_s;
    c->talk_s = f->talk_s;
    c->hold_s = f->hold_s;
    c->acw_s = f->acw_s;
    c->outcome = (int8_t)f->outcome;
    c->transferred = (int8_t)f->transferred;
    c->resolved = (int8_t)f->resolved;
    c->csat = (int8_t)f->csat;
    /* db_query_rows NUL-terminates each string column. */
    c->queue = strpool_intern(l->pool, f->queue);
    c->agent = strpool_intern(l->pool, f->agent);
    /* Customers are mostly distinct: copied, not looked up. */
    c->customer_id = f->customer[0] ? strpool_copy(l->pool, f->customer) : "";
    c->reason = strpool_intern(l->pool, f->reason);
    l->n++;
    return ST_OK;
}

/*
 * Reads the tenant's contacts offered in [from_us, to_us), typed, straight
 * from the binary protocol.  Exact for every metric.  narrow: only what
 * the contact-only metrics need (wait, outcome, disposition,
 * survey, queue, customer); talk, hold, acw, transferred and the
 * agent come back as 0 and "", so such rows serve sla_result_merge_contacts()
 * and nothing else.  On ST_OK *rows (free) has its strings in *pool
 * (strpool_free).
 */
static int load_contacts(db_t *db, uint64_t tenant_id, int64_t from_us, int64_t to_us, bool narrow,
                         strpool_t **pool, sla_contact_t **rows, size_t *n)
{
    db_out_col_t cols[ROLLUP_CONTACT_COLS];
    rollup_contact_cols(cols, 0);
    loader_t l;
    memset(&l, 0, sizeof l);
    l.pool = strpool_new();
    db_val_t v[] = {db_u64(tenant_id), db_i64(from_us), db_i64(to_us)};
    const char *sql =
        narrow ? "SELECT offered_us, wait_s, 0, 0, 0, outcome, 0, resolved, csat, "
                 "queue, '', customer_id, '' FROM contacts WHERE tenant_id = ? AND offered_us >= ? "
                 "AND offered_us < ? ORDER BY offered_us"
               : "SELECT offered_us, wait_s, talk_s, hold_s, acw_s, "
                 "outcome, transferred, resolved, csat, queue, agent_id, customer_id, reason "
                 "FROM contacts "
                 "WHERE tenant_id = ? AND offered_us >= ? AND offered_us < ? ORDER BY offered_us";
    int rc = db_query_rows(db, sql, v, 3, cols, sizeof cols / sizeof cols[0], &l.row, take_row, &l);
    if (rc == ST_OK) {
        *rows = l.rows;
        *n = l.n;
        *pool = l.pool;
    } else {
        free(l.rows);
        strpool_free(l.pool);
    }
    return rc;
}

/* A rollup row as fetched. */
typedef struct fetched_rollup {
    sla_rollup_t r;
    char queue[65];
    unsigned long queue_len;
} fetched_rollup_t;

/* Where fetched rollups go. */
typedef struct rollup_loader {
    fetched_rollup_t row;
    sla_rollup_t *rows;
    size_t n, cap;
    strpool_t *pool; /* queue names */
} rollup_loader_t;

/* on_row: one fetched rollup into the array. */
static int take_rollup(void *ctx)
{
    rollup_loader_t *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->rows = xrealloc(l->rows, l->cap * sizeof *l->rows);
    }
    l->rows[l->n] = l->row.r;
    l->rows[l->n].queue = strpool_intern(l->pool, l->row.queue);
    l->n++;
    return ST_OK;
}

/* Reads the tenant's rollups of the slots starting in [from_us, to_us).
 * On ST_OK *rows (free) has its queue names in *pool (strpool_free). */
static int load_rollups(db_t *db, uint64_t tenant_id, int64_t from_us, int64_t to_us,
                        strpool_t **pool, sla_rollup_t **rows, size_t *n)
{
#define F(field) offsetof(fetched_rollup_t, field)
    static const db_out_col_t cols[] = {
        {DBO_I64, F(r.slot_us), 0, -1, -1},
        {DBO_I32, F(r.sl_threshold_s), 0, -1, -1},
        {DBO_I32, F(r.short_abandon_s), 0, -1, -1},
        {DBO_I64, F(r.answered_n), 0, -1, -1},
        {DBO_I64, F(r.answered_within_n), 0, -1, -1},
        {DBO_I64, F(r.answered_wait_sum), 0, -1, -1},
        {DBO_I64, F(r.abandoned_n), 0, -1, -1},
        {DBO_I64, F(r.abandoned_wait_sum), 0, -1, -1},
        {DBO_I64, F(r.abandoned_within_n), 0, -1, -1},
        {DBO_I64, F(r.short_abandoned_n), 0, -1, -1},
        {DBO_I64, F(r.short_wait_sum), 0, -1, -1},
        {DBO_I64, F(r.overflow_n), 0, -1, -1},
        {DBO_I64, F(r.overflow_wait_sum), 0, -1, -1},
        {DBO_I64, F(r.talk_sum), 0, -1, -1},
        {DBO_I64, F(r.hold_sum), 0, -1, -1},
        {DBO_I64, F(r.acw_sum), 0, -1, -1},
        {DBO_I64, F(r.transferred_n), 0, -1, -1},
        {DBO_STR, F(queue), 65, -1, (long)F(queue_len)},
    };
#undef F
    rollup_loader_t l;
    memset(&l, 0, sizeof l);
    l.pool = strpool_new();
    db_val_t v[] = {db_u64(tenant_id), db_i64(from_us), db_i64(to_us)};
    int rc = db_query_rows(
        db,
        "SELECT slot_us, sl_threshold_s, short_abandon_s, " ROLLUP_SUM_COLUMNS ", queue FROM "
        "contact_rollups WHERE tenant_id = ? AND slot_us >= ? AND slot_us < ? ORDER BY slot_us",
        v, 3, cols, sizeof cols / sizeof cols[0], &l.row, take_rollup, &l);
    if (rc == ST_OK) {
        *rows = l.rows;
        *n = l.n;
        *pool = l.pool;
    } else {
        free(l.rows);
        strpool_free(l.pool);
    }
    return rc;
}

/* Frees n results and NULLs them. */
static void results_free(sla_result_t **outs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sla_result_free(outs[i]);
        outs[i] = NULL;
    }
}

/*
 * The counts and sums of every grouping from rollups into outs.  false
 * (outs freed) when rollups cannot serve: an agent grouping, or slots
 * built with other thresholds than the period's (a zone change between
 * contract versions) or otherwise refused by the engine.
 */
static bool counts_from_rollups(db_t *db, const tenant_t *t, const sla_period_t *period,
                                const sla_params_t *p, const sla_by_t *by, size_t n_by,
                                int64_t start_us, int64_t end_us, sla_result_t **outs, int *rc)
{
    for (size_t i = 0; i < n_by; i++)
        if (by[i] == SLA_BY_AGENT || by[i] == SLA_BY_REASON)
            return false;
    strpool_t *pool = NULL;
    sla_rollup_t *ru = NULL;
    size_t n = 0;
    char why[256] = "";
    if ((*rc = load_rollups(db, t->id, start_us, end_us, &pool, &ru, &n)) != ST_OK)
        return false;
    int crc = ST_OK;
    for (size_t i = 0; crc == ST_OK && i < n_by; i++)
        crc = sla_compute_rollups(p, period, by[i], ru, n, &outs[i], why, sizeof why);
    free(ru);
    strpool_free(pool);
    if (crc != ST_OK) {
        log_warn("metrics from contacts only", "tenant", t->slug, "why", why, NULL);
        results_free(outs, n_by);
        return false;
    }
    return true;
}

/* Where rollup_read() rows go: copied, their strings and encodings into a pool. */
typedef struct detail_loader {
    sla_rollup_t *rows;
    size_t n, cap;
    strpool_t *pool;
    bool missing; /* a row without its detail (written before migration 0013) */
} detail_loader_t;

/* on_row of rollup_read(): one row kept. */
static int keep_detail_row(void *ctx, const sla_rollup_t *row)
{
    detail_loader_t *l = ctx;
    if (!row->has_detail) {
        l->missing = true;
        return ST_OK;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->rows = xrealloc(l->rows, l->cap * sizeof *l->rows);
    }
    sla_rollup_t *r = &l->rows[l->n++];
    *r = *row;
    r->queue = row->queue ? strpool_intern(l->pool, row->queue) : NULL;
    r->agent = row->agent ? strpool_intern(l->pool, row->agent) : NULL;
    r->reason = row->reason ? strpool_intern(l->pool, row->reason) : NULL;
    for (int k = 0; k < SLA_WAITS; k++)
        r->waits[k].p = strpool_mem(l->pool, row->waits[k].p, row->waits[k].len);
    r->slots.p = row->agent ? strpool_mem(l->pool, row->slots.p, row->slots.len) : NULL;
    if (!row->agent)
        r->slots.len = 0;
    return ST_OK;
}

/* Whether every row was built with the parameters' thresholds and window. */
static bool rows_match(const detail_loader_t *l, const sla_params_t *p)
{
    for (size_t i = 0; i < l->n; i++) {
        const sla_rollup_t *r = &l->rows[i];
        if (r->sl_threshold_s != p->sl_threshold_s || r->short_abandon_s != p->short_abandon_s ||
            (p->fcr_method == SLA_FCR_REPEAT && r->fcr_window_h != p->fcr_window_h))
            return false;
    }
    return true;
}

/* Whether the agent and reason rows around [start, end) are local days of `zone`: every
 * segment within a day of the period has that zone. */
static int agents_in_zone(db_t *db, const tenant_t *t, const char *zone, int64_t start_us,
                          int64_t end_us, bool *same)
{
    rollup_segment_t *seg = NULL;
    size_t n = 0;
    int rc = rollup_segments_load(db, t->id, t->timezone, &seg, &n);
    *same = rc == ST_OK;
    int64_t day = INT64_C(86400) * 1000000;
    for (size_t i = 0; rc == ST_OK && i < n; i++)
        if (seg[i].to_us > start_us - day && seg[i].from_us < end_us + day &&
            strcmp(seg[i].timezone, zone) != 0)
            *same = false;
    free(seg);
    return rc;
}

/*
 * Every grouping from rollups alone (slot rows with their detail, agent
 * rows for an agent grouping and the intervals' agents, reason rows for a
 * reason grouping).  *served false (rc ST_OK) when the rollups cannot serve
 * the period: the tenant awaits a rebuild, a row lacks its detail or was
 * built with other terms, the agent or reason rows are days of another
 * zone, or a queue filter; the caller then reads contacts.  A row inconsistent in itself is
 * ST_ERR_INTERNAL with the reason in err.
 */
static int from_rollups(db_t *db, const tenant_t *t, const sla_period_t *period,
                        const sla_params_t *p, const sla_by_t *by, size_t n_by, int64_t start_us,
                        int64_t end_us, sla_result_t **outs, metrics_info_t *info, bool *served,
                        char *err, size_t errlen)
{
    detail_loader_t slots = {.pool = strpool_new()}, agents = {.pool = slots.pool},
                    reasons = {.pool = slots.pool};
    bool pending = false, want_agents = false, want_reasons = false, zone_ok = true, began = false;
    *served = false;
    for (size_t i = 0; i < n_by; i++) {
        want_agents = want_agents || by[i] == SLA_BY_AGENT || by[i] == SLA_BY_INTERVAL;
        want_reasons = want_reasons || by[i] == SLA_BY_REASON;
    }
    int rc = db_snapshot_begin(db, &began);
    if (rc == ST_OK)
        rc = rollup_pending(db, t->id, &pending);
    if (rc != ST_OK || pending || p->queue)
        goto done;
    if ((want_agents || want_reasons) &&
        (rc = agents_in_zone(db, t, info->timezone, start_us, end_us, &zone_ok)) != ST_OK)
        goto done;
    if (!zone_ok)
        goto done;
    rc = rollup_read(db, t->id, ROLLUP_SLOTS, start_us, end_us, keep_detail_row, &slots);
    if (rc == ST_OK && want_agents)
        rc = rollup_read(db, t->id, ROLLUP_AGENTS, start_us, end_us, keep_detail_row, &agents);
    if (rc == ST_OK && want_reasons)
        rc = rollup_read(db, t->id, ROLLUP_REASONS, start_us, end_us, keep_detail_row, &reasons);
    if (rc != ST_OK || slots.missing || agents.missing || reasons.missing ||
        !rows_match(&slots, p) || !rows_match(&agents, p) || !rows_match(&reasons, p))
        goto done;
    static const sla_rollup_t no_rows; /* agent or reason rows asked for, none stored */
    sla_rollups_t in = {slots.rows,
                        slots.n,
                        want_agents ? (agents.rows ? agents.rows : &no_rows) : NULL,
                        agents.n,
                        want_reasons ? (reasons.rows ? reasons.rows : &no_rows) : NULL,
                        reasons.n};
    if (sla_compute_rollups_many(p, period, by, n_by, &in, outs, err, errlen) != ST_OK) {
        rc = ST_ERR_INTERNAL; /* inconsistent rows: the reason is in err */
        goto done;
    }
    *served = true;
    info->source = "rollups";
    info->rollup_rows = slots.n + agents.n + reasons.n;
done:
    if (began)
        db_commit(db);
    free(slots.rows);
    free(agents.rows);
    free(reasons.rows);
    strpool_free(slots.pool);
    return rc;
}

/*
 * ST_OK when every month of the period is under the same contract version
 * (`first`, the first month's); else ST_ERR_INVALID naming where it
 * changes.  One computation has one set of parameters, and a month must be
 * measured by the version in force for it (METRICS.md), so a period across
 * a contract change is refused rather than measured with the wrong terms.
 */
static int one_version(const cstore_versions_t *v, const sla_period_t *period, int first, char *err,
                       size_t errlen)
{
    int y = period->from_y, m = period->from_m;
    while (y < period->to_y || (y == period->to_y && m < period->to_m)) {
        if (++m == 13) {
            m = 1;
            y++;
        }
        int version = cstore_version_for_month(v, y, m, NULL);
        if (version != first) {
            snprintf(err, errlen,
                     "the period spans contract versions %d and %d (from %04d-%02d): ask for "
                     "each part separately",
                     first, version, y, m);
            return ST_ERR_INVALID;
        }
    }
    return ST_OK;
}

/*
 * Which metric comes from where (sla.h lists them):
 *  - rollups (contact_rollups, per UTC 15-minute slot and queue): every
 *    count and sum, so offered, answered, abandoned, short_abandoned,
 *    overflow, answered/abandoned_within, service_level, asa_s,
 *    avg_abandon_s, abandon_rate, answer_rate, aht_s, transfer_rate,
 *    interval compliance and Erlang C;
 *  - contacts (a narrow read): max_wait_s and wait_p90_s (each wait), fcr
 *    (each customer's later contacts, or the dispositions), csat;
 *  - contacts only (the full read) for an agent or reason grouping (the
 *    slot rollups carry neither; METRICS_FROM_ROLLUPS reads the agent and
 *    reason rows instead) and when rollups cannot serve the period.
 * The contacts read also checks the rollups: both must count the same.
 */
int metrics_compute_from(db_t *db, const tenant_t *t, const sla_period_t *period,
                         const sla_by_t *by, size_t n_by, int64_t generated_us,
                         metrics_source_t source, sla_result_t **outs, metrics_info_t *info,
                         char *err, size_t errlen)
{
    cstore_versions_t versions = {0};
    tz_t *tz = NULL;
    strpool_t *pool = NULL;
    sla_contact_t *rows = NULL;
    size_t n = 0;
    const char *zone = NULL;
    sla_result_t **from_contacts = xcalloc(n_by ? n_by : 1, sizeof *from_contacts);
    memset(info, 0, sizeof *info);
    for (size_t i = 0; i < n_by; i++)
        outs[i] = NULL;
    int rc = cstore_load(db, t, &versions);
    if (rc != ST_OK)
        goto fail_versions;
    if ((rc = cstore_params(&versions, t, period->from_y, period->from_m, &info->params, &tz, &zone,
                            &info->contract_version, err, errlen)) != ST_OK)
        goto fail;
    if ((rc = one_version(&versions, period, info->contract_version, err, errlen)) != ST_OK)
        goto fail;
    snprintf(info->timezone, sizeof info->timezone, "%s", zone);
    info->params.generated_us = generated_us;
    int64_t start = tz_day_start(tz, period->from_y, period->from_m, period->from_d);
    int ny, nm, nd;
    tz_civil_from_days(tz_days_from_civil(period->to_y, period->to_m, period->to_d) + 1, &ny, &nm,
                       &nd);
    int64_t end = tz_day_start(tz, ny, nm, nd);
    if (source == METRICS_FROM_ROLLUPS) {
        bool served = false;
        rc = from_rollups(db, t, period, &info->params, by, n_by, start * 1000000, end * 1000000,
                          outs, info, &served, err, errlen);
        if (rc != ST_OK || served)
            goto fail; /* done, or failed */
    }
    bool pending = false;
    if (source != METRICS_FROM_CONTACTS && (rc = rollup_pending(db, t->id, &pending)) != ST_OK)
        goto fail;
    /* A tenant awaiting its rebuild (migration 0013) is measured from contacts. */
    bool rolled = source != METRICS_FROM_CONTACTS && !pending &&
                  counts_from_rollups(db, t, period, &info->params, by, n_by, start * 1000000,
                                      end * 1000000, outs, &rc);
    if (rc != ST_OK)
        goto fail;
    info->source = rolled ? "rollups+contacts" : "contacts";
    /* FCR by repeat looks fcr_window_h past the period for repeats. */
    int64_t until = end + (int64_t)info->params.fcr_window_h * 3600;
    rc = load_contacts(db, t->id, start * 1000000, until * 1000000, rolled, &pool, &rows, &n);
    if (rc == ST_ERR_TOO_LARGE)
        snprintf(err, errlen, "the period holds more than %d contacts", METRICS_MAX_CONTACTS);
    if (rc != ST_OK)
        goto fail;
    info->contacts = n;
    if ((rc = sla_compute_contacts_many(&info->params, period, by, n_by, rows, n,
                                        rolled ? from_contacts : outs, err, errlen)) != ST_OK)
        goto fail;
    for (size_t i = 0; rolled && rc == ST_OK && i < n_by; i++)
        rc = sla_result_merge_contacts(outs[i], from_contacts[i], err, errlen);
    if (rc != ST_OK)
        rc = ST_ERR_INTERNAL; /* rollups out of step: the reason is in err */
fail:
    if (rc != ST_OK)
        results_free(outs, n_by);
    results_free(from_contacts, n_by);
    info->params.tz = NULL;
    free(rows);
    strpool_free(pool);
    tz_free(tz);
fail_versions:
    cstore_versions_free(&versions);
    free(from_contacts);
    return rc;
}

int metrics_compute_many(db_t *db, const tenant_t *t, const sla_period_t *period,
                         const sla_by_t *by, size_t n_by, int64_t generated_us, sla_result_t **outs,
                         metrics_info_t *info, char *err, size_t errlen)
{
    return metrics_compute_from(db, t, period, by, n_by, generated_us, METRICS_CHECKED, outs, info,
                                err, errlen);
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
