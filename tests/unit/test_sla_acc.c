/*
 * test_sla_acc.c - rollups with their detail (reports/sla_acc.c) against the
 * contact path (reports/sla.c): the same numbers to the last bit, for
 * every grouping, from rows built at once or batch by batch with late
 * arrivals, corrections and re-sends, in a month with a DST change
 * (America/New_York, November 2026) and FCR windows across its ends.
 *
 * Instants: 2026-11-01T04:00Z (New York midnight, EDT) = 1793505600;
 * the fall-back is 2026-11-01T06:00Z.  2026-12-01T05:00Z = 1796101200.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sla.h"
#include "sla_acc.h"
#include "status.h"
#include "tz.h"

#define NOV_NY INT64_C(1793505600) /* 2026-11-01 00:00 New York */
#define DEC_NY INT64_C(1796101200) /* 2026-12-01 00:00 New York */
#define N      2400

static const char *const queues[] = {"q1", "q2", "q3"};
static const char *const agents[] = {"", "a1", "a2", "a3", "a4", "a5"};
/* Case types: "" (none) and NULL (none, as the contact path allows) too,
 * and a rare one that corrections can empty. */
static const char *const reasons[] = {"", NULL, "billing", "billing", "outage", "move", "rare"};
static char customers[30][8];

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static tz_t *load(const char *name)
{
    tz_t *tz = NULL;
    char err[200];
    if (tz_load(name, &tz, err, sizeof err) != ST_OK)
        fail_msg("tz_load(%s): %s", name, err);
    return tz;
}

/* A random contact between 6 days before November and 4 days after it. */
static sla_contact_t gen(uint64_t *s)
{
    sla_contact_t c;
    memset(&c, 0, sizeof c);
    /* Many contacts share an instant or a minute: ties matter for FCR. */
    int64_t t = NOV_NY - 6 * 86400 + (int64_t)(rnd(s) % (40 * 86400 / 60)) * 60;
    c.offered_us = t * 1000000 + (int64_t)(rnd(s) % 3) * 250000;
    c.outcome = (int8_t)(1 + rnd(s) % 3);
    c.wait_s = (int32_t)(rnd(s) % 7 == 0 ? rnd(s) % 6000 : rnd(s) % 45);
    if (c.outcome == SLA_ANSWERED) {
        c.talk_s = (int32_t)(rnd(s) % 600);
        c.hold_s = (int32_t)(rnd(s) % 60);
        c.acw_s = (int32_t)(rnd(s) % 60);
        c.transferred = (int8_t)(rnd(s) % 4 == 0);
    }
    c.resolved = (int8_t)((int)(rnd(s) % 3) - 1);
    c.csat = (int8_t)(rnd(s) % 3 == 0 ? 1 + rnd(s) % 5 : 0);
    c.queue = queues[rnd(s) % 3];
    c.agent = agents[rnd(s) % 6];
    c.customer_id = rnd(s) % 5 == 0 ? "" : customers[rnd(s) % 30];
    c.reason = reasons[rnd(s) % 6];
    if (rnd(s) % 200 == 0)
        c.reason = reasons[6];
    return c;
}

/* Two segments: October's terms until November (New York), then the params'. */
static void segments(const tz_t *tz, sla_seg_t seg[2])
{
    seg[0] = (sla_seg_t){INT64_MIN, NOV_NY * 1000000, 30, 10, 24, tz};
    seg[1] = (sla_seg_t){NOV_NY * 1000000, INT64_MAX, 20, 5, 72, tz};
}

static void params(sla_params_t *p, const tz_t *tz)
{
    sla_params_default(p, tz);
    p->sl_target = 0.8;
    p->has_hours = true;
    for (int d = 1; d < 6; d++)
        p->hours[d] = (sla_hours_t){8 * 60, 20 * 60};
    p->generated_us = (NOV_NY + 20 * 86400) * 1000000; /* some rows provisional */
}

/* qsort order of contact pointers by (customer, offered). */
static int by_customer(const void *a, const void *b)
{
    const sla_contact_t *x = *(const sla_contact_t *const *)a;
    const sla_contact_t *y = *(const sla_contact_t *const *)b;
    int c = strcmp(x->customer_id, y->customer_id);
    if (c)
        return c;
    return (x->offered_us > y->offered_us) - (x->offered_us < y->offered_us);
}

/*
 * Feeds contacts c[0..n) with their sources to acc the way the database
 * side does: sorted by customer and instant, customers one at a time,
 * contacts without a customer one by one (NEW +1, OLD -1, others nothing).
 */
static void feed(sla_acc_t *acc, const sla_contact_t *c, const uint8_t *src, size_t n)
{
    const sla_contact_t **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = &c[i];
    qsort(v, n, sizeof *v, by_customer);
    sla_contact_t *g = calloc(n + 1, sizeof *g);
    uint8_t *gs = calloc(n + 1, 1);
    size_t i = 0;
    while (i < n) {
        size_t j = i, m = 0;
        while (j < n && strcmp(v[j]->customer_id, v[i]->customer_id) == 0) {
            g[m] = *v[j];
            gs[m++] = src[v[j] - c];
            j++;
        }
        if (v[i]->customer_id[0] == '\0') {
            for (size_t k = 0; k < m; k++)
                if (gs[k] == SLA_ACC_NEW || gs[k] == SLA_ACC_OLD)
                    sla_acc_contact(acc, &g[k], false, gs[k] == SLA_ACC_NEW ? 1 : -1);
        } else {
            sla_acc_customer(acc, g, gs, m);
        }
        i = j;
    }
    free(gs);
    free(g);
    free(v);
}

/* Rows of one kind as the engine reads them (detail encoded into bufs). */
static sla_rollup_t *encode_rows(sla_acc_t *acc, sla_acc_kind_t k, buf_t **bufs, size_t *n)
{
    *n = sla_acc_count(acc, k);
    sla_rollup_t *u = calloc(*n + 1, sizeof *u);
    *bufs = calloc(4 * (*n + 1), sizeof **bufs);
    for (size_t i = 0; i < *n; i++) {
        const sla_acc_row_t *r = sla_acc_row(acc, k, i);
        u[i] = r->r;
        for (int w = 0; w < 4; w++) {
            buf_t *b = &(*bufs)[4 * i + w];
            buf_init(b, 1 << 20);
            assert_int_equal(ihist_encode(w < 3 ? &r->waits[w] : &r->slots, b), ST_OK);
            ihist_view_t view = {(const uint8_t *)b->data, b->len};
            if (w < 3)
                u[i].waits[w] = view;
            else
                u[i].slots = view;
        }
        if (k != SLA_ACC_SLOTS)
            u[i].queue = NULL;
        if (k != SLA_ACC_AGENTS)
            u[i].agent = NULL;
    }
    return u;
}

/* The key of an encoded row of kind k. */
static const char *row_key(const sla_rollup_t *u, int k)
{
    return k == SLA_ACC_AGENTS ? u->agent : k == SLA_ACC_REASONS ? u->reason : u->queue;
}

static void free_rows(sla_rollup_t *u, buf_t *bufs, size_t n)
{
    for (size_t i = 0; i < 4 * n; i++)
        buf_free(&bufs[i]);
    free(bufs);
    free(u);
}

/* Two doubles are the same number (or both undefined). */
static void same_double(double a, double b, const char *what, const char *key)
{
    if (!((isnan(a) && isnan(b)) || a == b))
        fail_msg("%s %s: contacts %.17g, rollups %.17g", key, what, a, b);
}

/* Every field of two rows is the same. */
static void same_row(const sla_row_t *a, const sla_row_t *b)
{
    assert_string_equal(a->key, b->key);
    const int64_t x[] = {a->offered,
                         a->answered,
                         a->abandoned,
                         a->short_abandoned,
                         a->overflow,
                         a->answered_within,
                         a->abandoned_within,
                         a->transferred,
                         a->fcr_base,
                         a->fcr_resolved,
                         a->csat_n,
                         a->csat_good,
                         a->compliance_intervals,
                         a->compliance_met,
                         a->agents,
                         a->fcr_provisional,
                         a->start_utc,
                         a->end_utc};
    const int64_t y[] = {b->offered,
                         b->answered,
                         b->abandoned,
                         b->short_abandoned,
                         b->overflow,
                         b->answered_within,
                         b->abandoned_within,
                         b->transferred,
                         b->fcr_base,
                         b->fcr_resolved,
                         b->csat_n,
                         b->csat_good,
                         b->compliance_intervals,
                         b->compliance_met,
                         b->agents,
                         b->fcr_provisional,
                         b->start_utc,
                         b->end_utc};
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        if (x[i] != y[i])
            fail_msg("%s count %zu: contacts %lld, rollups %lld", a->key, i, (long long)x[i],
                     (long long)y[i]);
    const char *names[] = {"service_level",
                           "asa_s",
                           "avg_abandon_s",
                           "max_wait_s",
                           "wait_p90_s",
                           "abandon_rate",
                           "answer_rate",
                           "aht_s",
                           "transfer_rate",
                           "fcr",
                           "csat",
                           "csat_mean",
                           "interval_compliance",
                           "required_agents"};
    const double u[] = {a->service_level,
                        a->asa_s,
                        a->avg_abandon_s,
                        a->max_wait_s,
                        a->wait_p90_s,
                        a->abandon_rate,
                        a->answer_rate,
                        a->aht_s,
                        a->transfer_rate,
                        a->fcr,
                        a->csat,
                        a->csat_mean,
                        a->interval_compliance,
                        a->required_agents};
    const double v[] = {b->service_level,
                        b->asa_s,
                        b->avg_abandon_s,
                        b->max_wait_s,
                        b->wait_p90_s,
                        b->abandon_rate,
                        b->answer_rate,
                        b->aht_s,
                        b->transfer_rate,
                        b->fcr,
                        b->csat,
                        b->csat_mean,
                        b->interval_compliance,
                        b->required_agents};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        same_double(u[i], v[i], names[i], a->key);
}

/* Both paths, every grouping, for the period: the same results. */
static void both_paths_agree(const sla_params_t *p, const sla_period_t *pd, sla_acc_t *acc,
                             const sla_contact_t *c, size_t n)
{
    static const sla_by_t bys[] = {SLA_BY_MONTH, SLA_BY_DAY,   SLA_BY_INTERVAL,
                                   SLA_BY_QUEUE, SLA_BY_AGENT, SLA_BY_REASON};
    enum { NB = sizeof bys / sizeof bys[0] };
    sla_result_t *rc[NB], *rr[NB];
    char err[256] = "";
    buf_t *b1, *b2, *b3;
    size_t n1, n2, n3;
    sla_rollup_t *slots = encode_rows(acc, SLA_ACC_SLOTS, &b1, &n1);
    sla_rollup_t *ags = encode_rows(acc, SLA_ACC_AGENTS, &b2, &n2);
    sla_rollup_t *rsn = encode_rows(acc, SLA_ACC_REASONS, &b3, &n3);
    sla_rollups_t in = {slots, n1, ags, n2, rsn, n3};
    if (sla_compute_contacts_many(p, pd, bys, NB, c, n, rc, err, sizeof err) != ST_OK)
        fail_msg("contacts: %s", err);
    if (sla_compute_rollups_many(p, pd, bys, NB, &in, rr, err, sizeof err) != ST_OK)
        fail_msg("rollups: %s", err);
    for (size_t k = 0; k < NB; k++) {
        assert_int_equal(sla_result_count(rc[k]), sla_result_count(rr[k]));
        for (size_t i = 0; i < sla_result_count(rc[k]); i++)
            same_row(sla_result_row(rc[k], i), sla_result_row(rr[k], i));
        same_row(sla_result_total(rc[k]), sla_result_total(rr[k]));
        sla_result_free(rc[k]);
        sla_result_free(rr[k]);
    }
    /* The data is not trivial: repeats, surveys, percentiles, agents. */
    free_rows(slots, b1, n1);
    free_rows(ags, b2, n2);
    free_rows(rsn, b3, n3);
}

/* Rows built at once give every metric as the contacts do. */
static void test_rollups_equal_contacts(void **state)
{
    (void)state;
    tz_t *tz = load("America/New_York");
    sla_seg_t seg[2];
    segments(tz, seg);
    uint64_t s = 0x2545f4914f6cdd1du;
    sla_contact_t *c = calloc(N, sizeof *c);
    uint8_t *src = calloc(N, 1);
    for (size_t i = 0; i < N; i++) {
        c[i] = gen(&s);
        src[i] = SLA_ACC_NEW;
    }
    sla_acc_t *acc = sla_acc_new(seg, 2);
    feed(acc, c, src, N);
    sla_params_t p;
    params(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 11);
    both_paths_agree(&p, &pd, acc, c, N);
    p.fcr_method = SLA_FCR_DISPOSITION;
    p.csat_good_min = 3;
    p.sl_formula = SLA_SL_ABANDON_NEUTRAL;
    both_paths_agree(&p, &pd, acc, c, N);
    /* A part of the month (days 3 to 10), and 15-minute intervals. */
    p.interval_min = 15;
    sla_period_t part = {2026, 11, 3, 2026, 11, 10};
    both_paths_agree(&p, &pd, acc, c, N);
    both_paths_agree(&p, &part, acc, c, N);
    /* Some contacts repeat and some do not; some waits are over DENSE_WAITS. */
    sla_period_month(&pd, 2026, 11);
    p.fcr_method = SLA_FCR_REPEAT;
    sla_by_t month = SLA_BY_MONTH;
    sla_result_t *r = NULL;
    char err[200];
    assert_int_equal(sla_compute_contacts_many(&p, &pd, &month, 1, c, N, &r, err, sizeof err),
                     ST_OK);
    const sla_row_t *t = sla_result_total(r);
    assert_true(t->fcr_resolved > 0 && t->fcr_resolved < t->fcr_base);
    assert_true(t->max_wait_s > 4096 && t->csat_n > 100);
    sla_result_free(r);
    sla_acc_free(acc);
    free(src);
    free(c);
    tz_free(tz);
}

/* The database of the incremental test: the current version of each id. */
typedef struct store {
    sla_contact_t *c;
    bool *present;
} store_t;

static bool same_contact(const sla_contact_t *a, const sla_contact_t *b)
{
    return a->offered_us == b->offered_us && a->wait_s == b->wait_s && a->talk_s == b->talk_s &&
           a->hold_s == b->hold_s && a->acw_s == b->acw_s && a->outcome == b->outcome &&
           a->transferred == b->transferred && a->resolved == b->resolved && a->csat == b->csat &&
           strcmp(a->queue, b->queue) == 0 && strcmp(a->agent, b->agent) == 0 &&
           strcmp(a->customer_id, b->customer_id) == 0 &&
           strcmp(a->reason ? a->reason : "", b->reason ? b->reason : "") == 0;
}

/*
 * One batch (ids[i] gets version v[i]) as server/store/rollup.c applies it:
 * NEW for new and corrected rows, OLD for the stored versions they
 * replace, and every other stored contact with a customer within the FCR
 * horizon of the batch's instants: KEPT up to the last one, CONTEXT after.
 * The deltas go into `stored`; the store takes the batch.
 */
static void apply_batch(store_t *db, sla_acc_t *stored, const sla_seg_t *seg, const int *ids,
                        const sla_contact_t *v, size_t m)
{
    sla_acc_t *delta = sla_acc_new(seg, 2);
    sla_contact_t *rows = calloc(2 * m + N + 1, sizeof *rows);
    uint8_t *src = calloc(2 * m + N + 1, 1);
    bool *touched = calloc(N, sizeof *touched);
    size_t n = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < m; i++) {
        int id = ids[i];
        if (db->present[id] && same_contact(&db->c[id], &v[i]))
            continue; /* unchanged */
        rows[n] = v[i];
        src[n++] = SLA_ACC_NEW;
        lo = v[i].offered_us < lo ? v[i].offered_us : lo;
        hi = v[i].offered_us > hi ? v[i].offered_us : hi;
        if (db->present[id]) {
            rows[n] = db->c[id];
            src[n++] = SLA_ACC_OLD;
            lo = db->c[id].offered_us < lo ? db->c[id].offered_us : lo;
            hi = db->c[id].offered_us > hi ? db->c[id].offered_us : hi;
            touched[id] = true;
        }
    }
    int64_t h = sla_acc_horizon_us(delta);
    for (int id = 0; n > 0 && id < N; id++) {
        const sla_contact_t *x = &db->c[id];
        if (db->present[id] && !touched[id] && x->customer_id[0] && x->offered_us >= lo - h &&
            x->offered_us <= hi + h) {
            rows[n] = *x;
            src[n++] = x->offered_us <= hi ? SLA_ACC_KEPT : SLA_ACC_CONTEXT;
        }
    }
    feed(delta, rows, src, n);
    sla_acc_merge(stored, delta);
    for (size_t i = 0; i < m; i++) {
        db->c[ids[i]] = v[i];
        db->present[ids[i]] = true;
    }
    sla_acc_free(delta);
    free(touched);
    free(src);
    free(rows);
}

/* Rows built batch by batch (late, corrected, re-sent) equal rows built at
 * once from the final contacts, and give the contacts' numbers. */
static void test_batches_equal_a_rebuild(void **state)
{
    (void)state;
    tz_t *tz = load("America/New_York");
    sla_seg_t seg[2];
    segments(tz, seg);
    uint64_t s = 0x9e3779b97f4a7c15u;
    store_t db = {calloc(N, sizeof(sla_contact_t)), calloc(N, sizeof(bool))};
    sla_contact_t *first = calloc(N, sizeof *first);
    for (size_t i = 0; i < N; i++)
        first[i] = gen(&s);
    /* The ids in a shuffled order: batches arrive late and out of order. */
    int *order = calloc(N, sizeof *order);
    for (int i = 0; i < N; i++)
        order[i] = i;
    for (int i = N - 1; i > 0; i--) {
        int j = (int)(rnd(&s) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    sla_acc_t *stored = sla_acc_new(seg, 2);
    sla_contact_t *v = calloc(N, sizeof *v);
    int *ids = calloc(N, sizeof *ids);
    for (size_t at = 0; at < N;) {
        size_t m = 1 + rnd(&s) % 400;
        if (at + m > N)
            m = N - at;
        for (size_t i = 0; i < m; i++) {
            ids[i] = order[at + i];
            v[i] = first[ids[i]];
        }
        apply_batch(&db, stored, seg, ids, v, m);
        at += m;
    }
    /* Corrections: instants moved (also across the month ends), customers,
     * outcomes and surveys changed, and unchanged rows sent again. */
    for (int round = 0; round < 12; round++) {
        size_t m = 1 + rnd(&s) % 150;
        for (size_t i = 0; i < m; i++) {
            ids[i] = (int)((i * 7919 + (size_t)round * 104729 + rnd(&s) % 7) % N);
            bool dup = false;
            for (size_t k = 0; k < i; k++)
                dup = dup || ids[k] == ids[i];
            if (dup) {
                m = i;
                break;
            }
            v[i] = db.c[ids[i]];
            switch (rnd(&s) % 6) {
            case 0:
                v[i].offered_us += ((int64_t)(rnd(&s) % 200) - 100) * 3600 * 1000000;
                break;
            case 1:
                v[i].customer_id = customers[rnd(&s) % 30];
                break;
            case 2:
                v[i] = gen(&s);
                break;
            case 3:
                v[i].csat = (int8_t)(rnd(&s) % 6);
                v[i].wait_s += 7;
                break;
            case 4: /* the case type changes (the rare one moves away) */
                v[i].reason = v[i].reason && strcmp(v[i].reason, "rare") == 0
                                  ? "outage"
                                  : reasons[rnd(&s) % 7];
                break;
            default:
                break; /* sent again as it was */
            }
        }
        apply_batch(&db, stored, seg, ids, v, m);
    }
    /* A correction that changes a reason: every "rare" case becomes an
     * "outage", leaving the rare rows counting nothing (no group then). */
    size_t m = 0, moved = 0;
    for (int id = 0; id < N; id++)
        if (db.c[id].reason && strcmp(db.c[id].reason, "rare") == 0) {
            ids[m] = id;
            v[m] = db.c[id];
            v[m++].reason = "outage";
        }
    apply_batch(&db, stored, seg, ids, v, m);
    for (size_t i = 0; i < sla_acc_count(stored, SLA_ACC_REASONS); i++) {
        sla_acc_row_t *r = sla_acc_row(stored, SLA_ACC_REASONS, i);
        if (strcmp(r->r.reason, "rare") == 0) {
            assert_true(sla_acc_row_empty(r));
            moved++;
        }
    }
    assert_true(m > 0 && moved > 0);
    /* A rebuild from the final contacts. */
    sla_acc_t *once = sla_acc_new(seg, 2);
    uint8_t *src = calloc(N, 1);
    memset(src, SLA_ACC_NEW, N);
    feed(once, db.c, src, N);
    for (int k = 0; k < SLA_ACC_KINDS; k++) {
        buf_t *bufs;
        size_t n;
        sla_rollup_t *u = encode_rows(once, (sla_acc_kind_t)k, &bufs, &n);
        for (size_t i = 0; i < n; i++) {
            const char *key = row_key(&u[i], k);
            sla_acc_row_t *r = sla_acc_find(stored, (sla_acc_kind_t)k, u[i].slot_us, key);
            assert_non_null(r);
            if (!sla_acc_row_equal(r, &u[i]))
                fail_msg("kind %d row %zu (%s at %lld) differs", k, i, key,
                         (long long)u[i].slot_us);
        }
        /* A stored row the rebuild lacks was emptied by corrections. */
        size_t extra = 0;
        for (size_t i = 0; i < sla_acc_count(stored, (sla_acc_kind_t)k); i++) {
            sla_acc_row_t *r = sla_acc_row(stored, (sla_acc_kind_t)k, i);
            if (!sla_acc_find(once, (sla_acc_kind_t)k, r->r.slot_us, r->r.queue)) {
                assert_true(sla_acc_row_empty(r));
                extra++;
            }
        }
        (void)extra;
        free_rows(u, bufs, n);
    }
    sla_params_t p;
    params(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 11);
    both_paths_agree(&p, &pd, stored, db.c, N);
    sla_acc_free(once);
    sla_acc_free(stored);
    free(src);
    free(ids);
    free(v);
    free(order);
    free(first);
    free(db.c);
    free(db.present);
    tz_free(tz);
}

/* qsort order of contacts by instant. */
static int by_instant(const void *a, const void *b)
{
    const sla_contact_t *x = a, *y = b;
    return (x->offered_us > y->offered_us) - (x->offered_us < y->offered_us);
}

/* Contacts in offered order, added one by one (sla_acc_order), give the same
 * rows as grouped by customer; a contact out of order is refused. */
static void test_in_order_equals_by_customer(void **state)
{
    (void)state;
    tz_t *tz = load("America/New_York");
    sla_seg_t seg[2];
    segments(tz, seg);
    uint64_t s = 0x51ed270b27a3d9c1u;
    sla_contact_t *c = calloc(N, sizeof *c);
    uint8_t *src = calloc(N, 1);
    for (size_t i = 0; i < N; i++)
        c[i] = gen(&s);
    qsort(c, N, sizeof *c, by_instant);
    memset(src, SLA_ACC_NEW, N);
    sla_acc_t *grouped = sla_acc_new(seg, 2), *ordered = sla_acc_new(seg, 2);
    feed(grouped, c, src, N);
    sla_acc_order_t *o = sla_acc_order_new(ordered);
    size_t most = 0;
    for (size_t i = 0; i < N; i++) {
        assert_true(sla_acc_order_add(o, &c[i]));
        most = sla_acc_order_held(o) > most ? sla_acc_order_held(o) : most;
    }
    assert_true(most < 30 + 1);                /* customers, not contacts */
    assert_false(sla_acc_order_add(o, &c[0])); /* earlier than the latest */
    sla_acc_order_free(o);
    /* Memory is the customers of the last windows: a new customer a day for
     * 40 days (72 h window) leaves a few held, not 40. */
    sla_acc_t *days = sla_acc_new(seg, 2);
    o = sla_acc_order_new(days);
    char ids[40][8];
    for (int d = 0; d < 40; d++) {
        snprintf(ids[d], sizeof ids[d], "u%02d", d);
        for (int h = 0; h < 24; h++) {
            sla_contact_t x = c[0];
            x.offered_us = (NOV_NY + (int64_t)d * 86400 + h * 3600) * 1000000;
            x.customer_id = ids[d];
            assert_true(sla_acc_order_add(o, &x));
        }
    }
    assert_true(sla_acc_order_held(o) <= 8);
    sla_acc_order_free(o);
    sla_acc_free(days);
    for (int k = 0; k < SLA_ACC_KINDS; k++) {
        buf_t *bufs;
        size_t n;
        sla_rollup_t *u = encode_rows(grouped, (sla_acc_kind_t)k, &bufs, &n);
        assert_int_equal(n, sla_acc_count(ordered, (sla_acc_kind_t)k));
        for (size_t i = 0; i < n; i++) {
            const char *key = row_key(&u[i], k);
            sla_acc_row_t *r = sla_acc_find(ordered, (sla_acc_kind_t)k, u[i].slot_us, key);
            assert_non_null(r);
            assert_true(sla_acc_row_equal(r, &u[i]));
        }
        free_rows(u, bufs, n);
    }
    sla_acc_free(grouped);
    sla_acc_free(ordered);
    free(src);
    free(c);
    tz_free(tz);
}

/* FCR by hand: one customer, window 72 h (November's segment). */
static void test_customer_by_hand(void **state)
{
    (void)state;
    tz_t *tz = load("America/New_York");
    sla_seg_t seg[2];
    segments(tz, seg);
    sla_acc_t *acc = sla_acc_new(seg, 2);
    int64_t t0 = (NOV_NY + 10 * 86400) * 1000000, h = INT64_C(3600) * 1000000;
    sla_contact_t c[4];
    for (int i = 0; i < 4; i++) {
        memset(&c[i], 0, sizeof c[i]);
        c[i].outcome = SLA_ANSWERED;
        c[i].resolved = -1;
        c[i].queue = "q1";
        c[i].agent = "a1";
        c[i].customer_id = "k";
    }
    /* t0, t0 (same instant: not a repeat of each other), t0 + 72 h, t0 + 200 h */
    c[0].offered_us = c[1].offered_us = t0;
    c[2].offered_us = t0 + 72 * h;
    c[3].offered_us = t0 + 200 * h;
    uint8_t all_new[4] = {SLA_ACC_NEW, SLA_ACC_NEW, SLA_ACC_NEW, SLA_ACC_NEW};
    sla_acc_customer(acc, c, all_new, 4);
    int64_t slot = t0 - t0 % 900000000;
    sla_acc_row_t *r = sla_acc_find(acc, SLA_ACC_SLOTS, slot, "q1");
    assert_non_null(r);
    /* Both at t0 repeat (t0 + 72 h is within (t0, t0 + 72 h]). */
    assert_int_equal(r->r.fcr_base_n, 2);
    assert_int_equal(r->r.fcr_repeat_n, 2);
    sla_acc_reset(acc);
    /* The contact at t0 + 72 h leaves (OLD): both at t0 no longer repeat
     * (the next is t0 + 200 h); the two at t0 are KEPT. */
    uint8_t src[4] = {SLA_ACC_KEPT, SLA_ACC_KEPT, SLA_ACC_OLD, SLA_ACC_CONTEXT};
    sla_acc_customer(acc, c, src, 4);
    r = sla_acc_find(acc, SLA_ACC_SLOTS, slot, "q1");
    assert_non_null(r);
    assert_int_equal(r->r.fcr_base_n, 0);
    assert_int_equal(r->r.fcr_repeat_n, -2);
    sla_acc_row_t *gone = sla_acc_find(acc, SLA_ACC_SLOTS, c[2].offered_us, "q1");
    assert_non_null(gone);
    assert_int_equal(gone->r.answered_n, -1);
    sla_acc_free(acc);
    tz_free(tz);
}

int main(void)
{
    for (int i = 0; i < 30; i++)
        snprintf(customers[i], sizeof customers[i], "k%02d", i);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customer_by_hand),
        cmocka_unit_test(test_rollups_equal_contacts),
        cmocka_unit_test(test_batches_equal_a_rebuild),
        cmocka_unit_test(test_in_order_equals_by_customer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
