/*
 * sla_acc.c - rollup rows of contacts with their detail, and FCR decided
 * one customer at a time (see sla_acc.h).
 *
 * Rows live in one array per kind, found through an open-addressing table
 * keyed by (slot or day start, interned key string): interned strings have
 * one address per text, so the key compares as two integers.
 */
#include "sla_acc.h"

#include <stdlib.h>
#include <string.h>

#include "sla_int.h"
#include "status.h"
#include "strmap.h"
#include "strpool.h"
#include "xmem.h"

#define SLOT_US 900000000LL /* a UTC 15-minute slot */

/* The rows of one kind and their table. */
typedef struct acc_set {
    sla_acc_row_t *rows;
    size_t n, cap;
    uint32_t *table; /* row index + 1; 0 = empty */
    size_t tcap;     /* a power of two, > 2 n */
} acc_set_t;

struct sla_acc {
    sla_seg_t *seg;
    size_t nseg;
    strpool_t *pool;
    acc_set_t set[SLA_ACC_KINDS];
    size_t hist_bytes; /* histogram storage, for sla_acc_bytes() */
    /* The last local day looked up (contacts come grouped by customer, so
     * only a small share hit it; it is cheap to keep). */
    const tz_t *day_tz;
    int64_t day_start, day_end; /* UTC seconds */
};

sla_acc_t *sla_acc_new(const sla_seg_t *seg, size_t n)
{
    sla_acc_t *a = xcalloc(1, sizeof *a);
    a->seg = xmemdup(seg, (n ? n : 1) * sizeof *seg);
    a->nseg = n;
    a->pool = strpool_new();
    return a;
}

/* Frees the histograms of a set's rows and the set. */
static void set_free(acc_set_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        for (int k = 0; k < SLA_WAITS; k++)
            ihist_free(&s->rows[i].waits[k]);
        ihist_free(&s->rows[i].slots);
    }
    free(s->rows);
    free(s->table);
    memset(s, 0, sizeof *s);
}

void sla_acc_free(sla_acc_t *a)
{
    if (!a)
        return;
    for (int k = 0; k < SLA_ACC_KINDS; k++)
        set_free(&a->set[k]);
    strpool_free(a->pool);
    free(a->seg);
    free(a);
}

void sla_acc_reset(sla_acc_t *a)
{
    for (int k = 0; k < SLA_ACC_KINDS; k++)
        set_free(&a->set[k]);
    a->hist_bytes = 0;
}

const sla_seg_t *sla_acc_segment(const sla_acc_t *a, int64_t offered_us)
{
    /* The slot as server/store/rollup.h's SQL computes it (MOD truncates). */
    int64_t slot = offered_us - offered_us % SLOT_US;
    size_t lo = 0, hi = a->nseg;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->seg[mid].from_us <= slot)
            lo = mid;
        else
            hi = mid;
    }
    return &a->seg[lo];
}

int64_t sla_acc_horizon_us(const sla_acc_t *a)
{
    int h = 0;
    for (size_t i = 0; i < a->nseg; i++)
        h = a->seg[i].fcr_window_h > h ? a->seg[i].fcr_window_h : h;
    return (int64_t)h * 3600 * 1000000;
}

/* The table slot of a key (its hash). */
static size_t key_hash(int64_t slot_us, const char *key)
{
    uint64_t x = (uint64_t)slot_us * 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)key;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 29;
    return (size_t)x;
}

/* Rebuilds a set's table at twice the size. */
static void set_grow(acc_set_t *s)
{
    free(s->table);
    s->tcap = s->tcap ? s->tcap * 2 : 1024;
    s->table = xcalloc(s->tcap, sizeof *s->table);
    for (size_t i = 0; i < s->n; i++) {
        size_t h = key_hash(s->rows[i].r.slot_us, s->rows[i].r.queue) & (s->tcap - 1);
        while (s->table[h])
            h = (h + 1) & (s->tcap - 1);
        s->table[h] = (uint32_t)(i + 1);
    }
}

/* The row of (slot_us, interned key) in set s, added empty when create. */
static sla_acc_row_t *set_row(acc_set_t *s, int64_t slot_us, const char *key, bool create,
                              bool *created)
{
    *created = false;
    if (s->tcap == 0 || (create && 2 * (s->n + 1) > s->tcap))
        set_grow(s);
    size_t h = key_hash(slot_us, key) & (s->tcap - 1);
    while (s->table[h]) {
        sla_acc_row_t *r = &s->rows[s->table[h] - 1];
        if (r->r.slot_us == slot_us && r->r.queue == key)
            return r;
        h = (h + 1) & (s->tcap - 1);
    }
    if (!create)
        return NULL;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->rows = xrealloc(s->rows, s->cap * sizeof *s->rows);
    }
    sla_acc_row_t *r = &s->rows[s->n];
    memset(r, 0, sizeof *r);
    r->r.slot_us = slot_us;
    r->r.queue = key; /* every kind keeps the key here for the table */
    r->r.has_detail = true;
    s->table[h] = (uint32_t)++s->n;
    *created = true;
    return r;
}

/* A new row of kind k gets its segment's parameters. */
static sla_acc_row_t *acc_row(sla_acc_t *a, sla_acc_kind_t k, int64_t slot_us, const char *key,
                              const sla_seg_t *sg)
{
    const char *ikey = strpool_intern(a->pool, key);
    bool created;
    sla_acc_row_t *r = set_row(&a->set[k], slot_us, ikey, true, &created);
    if (created) {
        r->r.sl_threshold_s = sg->sl_threshold_s;
        r->r.short_abandon_s = sg->short_abandon_s;
        r->r.fcr_window_h = sg->fcr_window_h;
        r->r.agent = k == SLA_ACC_AGENTS ? ikey : NULL;
        r->r.reason = k == SLA_ACC_REASONS ? ikey : NULL;
    }
    return r;
}

/* UTC microseconds of the start of the local day (segment's zone) containing t. */
static int64_t day_start_us(sla_acc_t *a, const tz_t *tz, int64_t offered_us)
{
    int64_t s = sla_us_to_s(offered_us);
    if (tz != a->day_tz || s < a->day_start || s >= a->day_end) {
        int y, m, d;
        tz_day_of(tz, s, &y, &m, &d);
        a->day_tz = tz;
        a->day_start = tz_day_start(tz, y, m, d);
        a->day_end = tz_day_start(tz, y, m, d + 1);
    }
    return a->day_start * 1000000;
}

/* Adds one histogram value, keeping the byte count. */
static void hist_add(sla_acc_t *a, ihist_t *h, int64_t v, int64_t c)
{
    size_t cap = h->cap;
    ihist_add(h, v, c);
    a->hist_bytes += (h->cap - cap) * sizeof *h->p;
}

/* Adds sign x contact c (with its repeat flag) to row r. */
static void row_contact(sla_acc_t *a, sla_acc_row_t *row, const sla_contact_t *c, bool repeat,
                        int sign)
{
    sla_rollup_t *r = &row->r;
    int64_t w = c->wait_s;
    if (c->outcome == SLA_ANSWERED) {
        r->answered_n += sign;
        r->answered_within_n += w <= r->sl_threshold_s ? sign : 0;
        r->answered_wait_sum += sign * w;
        r->talk_sum += sign * (int64_t)c->talk_s;
        r->hold_sum += sign * (int64_t)c->hold_s;
        r->acw_sum += sign * (int64_t)c->acw_s;
        r->transferred_n += c->transferred == 1 ? sign : 0;
        if (c->customer_id[0]) {
            r->fcr_base_n += sign;
            r->fcr_repeat_n += repeat ? sign : 0;
        }
        if (c->resolved >= 0) {
            r->resolved_base_n += sign;
            r->resolved_n += c->resolved == 1 ? sign : 0;
        }
        hist_add(a, &row->waits[SLA_WAIT_ANSWERED], w, sign);
    } else if (c->outcome == SLA_ABANDONED) {
        r->abandoned_n += sign;
        r->abandoned_wait_sum += sign * w;
        if (w < r->short_abandon_s) {
            r->short_abandoned_n += sign;
            r->short_wait_sum += sign * w;
        } else if (w <= r->sl_threshold_s) {
            r->abandoned_within_n += sign;
        }
        hist_add(a, &row->waits[SLA_WAIT_ABANDONED], w, sign);
    } else {
        r->overflow_n += sign;
        r->overflow_wait_sum += sign * w;
        hist_add(a, &row->waits[SLA_WAIT_OVERFLOW], w, sign);
    }
    if (c->csat >= 1 && c->csat <= 5)
        r->csat_n[c->csat - 1] += sign;
}

/* The reason row's key of a contact ("" for none). */
static const char *contact_reason(const sla_contact_t *c)
{
    return c->reason ? c->reason : "";
}

void sla_acc_contact(sla_acc_t *a, const sla_contact_t *c, bool repeat, int sign)
{
    const sla_seg_t *sg = sla_acc_segment(a, c->offered_us);
    int64_t slot = c->offered_us - c->offered_us % SLOT_US;
    row_contact(a, acc_row(a, SLA_ACC_SLOTS, slot, c->queue, sg), c, repeat, sign);
    int64_t day = day_start_us(a, sg->tz, c->offered_us);
    sla_acc_row_t *ag = acc_row(a, SLA_ACC_AGENTS, day, c->agent, sg);
    row_contact(a, ag, c, repeat, sign);
    hist_add(a, &ag->slots, (slot - day) / SLOT_US, sign);
    row_contact(a, acc_row(a, SLA_ACC_REASONS, day, contact_reason(c), sg), c, repeat, sign);
}

/* Moves a contact's repeat flag by delta (+1: became a repeat). */
static void acc_repeat(sla_acc_t *a, const sla_contact_t *c, int delta)
{
    if (c->outcome != SLA_ANSWERED || !c->customer_id[0])
        return;
    const sla_seg_t *sg = sla_acc_segment(a, c->offered_us);
    int64_t slot = c->offered_us - c->offered_us % SLOT_US;
    acc_row(a, SLA_ACC_SLOTS, slot, c->queue, sg)->r.fcr_repeat_n += delta;
    int64_t day = day_start_us(a, sg->tz, c->offered_us);
    acc_row(a, SLA_ACC_AGENTS, day, c->agent, sg)->r.fcr_repeat_n += delta;
    acc_row(a, SLA_ACC_REASONS, day, contact_reason(c), sg)->r.fcr_repeat_n += delta;
}

/* Whether contact i repeats: the timeline's first instant after it (next,
 * INT64_MAX when none) within its segment's window. */
static bool repeats(const sla_acc_t *a, const sla_contact_t *c, int64_t next)
{
    if (next == INT64_MAX)
        return false;
    const sla_seg_t *sg = sla_acc_segment(a, c->offered_us);
    return next - c->offered_us <= (int64_t)sg->fcr_window_h * 3600 * 1000000;
}

void sla_acc_customer(sla_acc_t *a, const sla_contact_t *c, const uint8_t *src, size_t n)
{
    /* Backwards through groups of equal instants: after_new / after_old is
     * the earliest instant of a later group in the new / old timeline. */
    int64_t after_new = INT64_MAX, after_old = INT64_MAX;
    size_t end = n;
    while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && c[start - 1].offered_us == c[end - 1].offered_us)
            start--;
        bool in_new = false, in_old = false;
        for (size_t i = start; i < end; i++) {
            bool rn = repeats(a, &c[i], after_new), ro = repeats(a, &c[i], after_old);
            switch (src[i]) {
            case SLA_ACC_NEW:
                sla_acc_contact(a, &c[i], rn, +1);
                in_new = true;
                break;
            case SLA_ACC_OLD:
                sla_acc_contact(a, &c[i], ro, -1);
                in_old = true;
                break;
            case SLA_ACC_KEPT:
                if (rn != ro)
                    acc_repeat(a, &c[i], rn ? 1 : -1);
                in_new = in_old = true;
                break;
            default: /* CONTEXT */
                in_new = in_old = true;
                break;
            }
        }
        if (in_new)
            after_new = c[start].offered_us;
        if (in_old)
            after_old = c[start].offered_us;
        end = start;
    }
}

size_t sla_acc_count(const sla_acc_t *a, sla_acc_kind_t k)
{
    return a->set[k].n;
}

sla_acc_row_t *sla_acc_row(sla_acc_t *a, sla_acc_kind_t k, size_t i)
{
    return i < a->set[k].n ? &a->set[k].rows[i] : NULL;
}

sla_acc_row_t *sla_acc_find(sla_acc_t *a, sla_acc_kind_t k, int64_t slot_us, const char *key)
{
    bool created;
    return set_row(&a->set[k], slot_us, strpool_intern(a->pool, key), false, &created);
}

size_t sla_acc_bytes(const sla_acc_t *a)
{
    size_t n = a->hist_bytes + strpool_bytes(a->pool);
    for (int k = 0; k < SLA_ACC_KINDS; k++)
        n += a->set[k].cap * sizeof(sla_acc_row_t) + a->set[k].tcap * sizeof(uint32_t);
    return n;
}

/* Applies f to each additive count of a row: the one list of them. */
#define ACC_COUNTS(X)                                                                              \
    X(answered_n)                                                                                  \
    X(answered_within_n)                                                                           \
    X(answered_wait_sum)                                                                           \
    X(abandoned_n)                                                                                 \
    X(abandoned_wait_sum)                                                                          \
    X(abandoned_within_n)                                                                          \
    X(short_abandoned_n)                                                                           \
    X(short_wait_sum)                                                                              \
    X(overflow_n)                                                                                  \
    X(overflow_wait_sum)                                                                           \
    X(talk_sum)                                                                                    \
    X(hold_sum)                                                                                    \
    X(acw_sum)                                                                                     \
    X(transferred_n)                                                                               \
    X(csat_n[0])                                                                                   \
    X(csat_n[1])                                                                                   \
    X(csat_n[2])                                                                                   \
    X(csat_n[3])                                                                                   \
    X(csat_n[4])                                                                                   \
    X(resolved_base_n)                                                                             \
    X(resolved_n)                                                                                  \
    X(fcr_base_n)                                                                                  \
    X(fcr_repeat_n)

int sla_acc_row_add(sla_acc_row_t *row, const sla_rollup_t *s)
{
    sla_rollup_t *r = &row->r;
    if (r->sl_threshold_s != s->sl_threshold_s || r->short_abandon_s != s->short_abandon_s ||
        r->fcr_window_h != s->fcr_window_h)
        return ST_ERR_INVALID;
#define ADD(f) r->f += s->f;
    ACC_COUNTS(ADD)
#undef ADD
    int rc = ST_OK;
    for (int k = 0; rc == ST_OK && k < SLA_WAITS; k++)
        rc = ihist_add_encoded(&row->waits[k], s->waits[k], 1);
    if (rc == ST_OK && r->agent)
        rc = ihist_add_encoded(&row->slots, s->slots, 1);
    return rc;
}

/* Whether h holds exactly the pairs encoded in v. */
static bool hist_equal(const ihist_t *h, ihist_view_t v)
{
    if (h->overflow)
        return false;
    ihist_iter_t it;
    int64_t x, c;
    size_t i = 0;
    ihist_iter_init(&it, v);
    while (ihist_iter_next(&it, &x, &c)) {
        if (i >= h->n || h->p[i].value != x || h->p[i].count != c)
            return false;
        i++;
    }
    return !it.bad && i == h->n;
}

bool sla_acc_row_equal(const sla_acc_row_t *row, const sla_rollup_t *s)
{
    const sla_rollup_t *r = &row->r;
    if (r->sl_threshold_s != s->sl_threshold_s || r->short_abandon_s != s->short_abandon_s ||
        r->fcr_window_h != s->fcr_window_h)
        return false;
#define SAME(f)                                                                                    \
    if (r->f != s->f)                                                                              \
        return false;
    ACC_COUNTS(SAME)
#undef SAME
    for (int k = 0; k < SLA_WAITS; k++)
        if (!hist_equal(&row->waits[k], s->waits[k]))
            return false;
    return !r->agent || hist_equal(&row->slots, s->slots);
}

bool sla_acc_row_empty(const sla_acc_row_t *row)
{
    const sla_rollup_t *r = &row->r;
#define ZERO(f)                                                                                    \
    if (r->f != 0)                                                                                 \
        return false;
    ACC_COUNTS(ZERO)
#undef ZERO
    for (int k = 0; k < SLA_WAITS; k++)
        if (row->waits[k].n)
            return false;
    return row->slots.n == 0;
}

void sla_acc_merge(sla_acc_t *dst, const sla_acc_t *src)
{
    for (int k = 0; k < SLA_ACC_KINDS; k++)
        for (size_t i = 0; i < src->set[k].n; i++) {
            const sla_acc_row_t *f = &src->set[k].rows[i];
            const sla_seg_t *sg = sla_acc_segment(dst, f->r.slot_us);
            sla_acc_row_t *t = acc_row(dst, (sla_acc_kind_t)k, f->r.slot_us, f->r.queue, sg);
            t->r.sl_threshold_s = f->r.sl_threshold_s;
            t->r.short_abandon_s = f->r.short_abandon_s;
            t->r.fcr_window_h = f->r.fcr_window_h;
#define ADD(x) t->r.x += f->r.x;
            ACC_COUNTS(ADD)
#undef ADD
            for (int w = 0; w < SLA_WAITS; w++)
                ihist_add_hist(&t->waits[w], &f->waits[w], 1);
            ihist_add_hist(&t->slots, &f->slots, 1);
        }
}

/* An answered contact waiting for its customer's next instant: what moves
 * its repeat count (queue and agent interned by the accumulator). */
typedef struct order_wait {
    int64_t offered_us;
    const char *queue, *agent, *reason;
} order_wait_t;

/* A customer of sla_acc_order: its latest instant and the answered
 * contacts at it (the first inline: most customers have one). */
typedef struct order_cust {
    char *id; /* owned */
    int64_t last_us;
    order_wait_t first;
    order_wait_t *more;
    uint32_t nwait, cap; /* nwait counts first too; cap is more's */
} order_cust_t;

struct sla_acc_order {
    sla_acc_t *a;
    strmap_t *map; /* customer id -> index in cust */
    order_cust_t *cust;
    size_t n, cap;
    int64_t latest_us, horizon_us, swept_us;
};

/* Customers held at most: past it the input is grouped by customer instead
 * (about 64 bytes and an id each, so memory stays small). */
#define ORDER_MAX_CUSTOMERS 200000

sla_acc_order_t *sla_acc_order_new(sla_acc_t *a)
{
    sla_acc_order_t *o = xcalloc(1, sizeof *o);
    o->a = a;
    o->map = strmap_new(1024);
    o->latest_us = o->swept_us = INT64_MIN;
    o->horizon_us = sla_acc_horizon_us(a);
    return o;
}

void sla_acc_order_free(sla_acc_order_t *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++) {
        free(o->cust[i].id);
        free(o->cust[i].more);
    }
    free(o->cust);
    strmap_free(o->map);
    free(o);
}

size_t sla_acc_order_held(const sla_acc_order_t *o)
{
    return strmap_count(o->map);
}

/* Drops the customers whose latest instant is past every window: none of
 * their contacts can repeat any more.  The map is rebuilt without them
 * (the kept entries move down), each quarter of a window of time. */
static void order_sweep(sla_acc_order_t *o)
{
    if (o->swept_us != INT64_MIN && o->latest_us - o->swept_us < o->horizon_us / 4 + 1)
        return;
    o->swept_us = o->latest_us;
    strmap_free(o->map);
    o->map = strmap_new(o->n ? o->n : 1024);
    size_t k = 0;
    for (size_t i = 0; i < o->n; i++) {
        order_cust_t *c = &o->cust[i];
        if (o->latest_us - c->last_us > o->horizon_us) {
            free(c->id);
            free(c->more);
            continue;
        }
        o->cust[k] = *c;
        bool added;
        *strmap_put(o->map, o->cust[k].id, &added) = (int64_t)k;
        k++;
    }
    o->n = k;
}

/* The waiting contacts of k decided by the instant t: those t repeats move
 * their rows' repeat counts. */
static void order_decide(sla_acc_order_t *o, order_cust_t *k, int64_t t)
{
    for (uint32_t i = 0; i < k->nwait; i++) {
        const order_wait_t *w = i == 0 ? &k->first : &k->more[i - 1];
        sla_contact_t c = {.offered_us = w->offered_us,
                           .outcome = SLA_ANSWERED,
                           .resolved = -1,
                           .queue = w->queue,
                           .agent = w->agent,
                           .reason = w->reason,
                           .customer_id = k->id};
        if (repeats(o->a, &c, t))
            acc_repeat(o->a, &c, 1);
    }
    k->nwait = 0;
}

bool sla_acc_order_add(sla_acc_order_t *o, const sla_contact_t *c)
{
    if (c->offered_us < o->latest_us)
        return false;
    int64_t *at = c->customer_id[0] ? strmap_get(o->map, c->customer_id) : NULL;
    if (c->customer_id[0] && !at) {
        o->latest_us = c->offered_us;
        order_sweep(o);
        if (o->n >= ORDER_MAX_CUSTOMERS)
            return false;
    }
    o->latest_us = c->offered_us;
    sla_acc_contact(o->a, c, false, 1);
    if (!c->customer_id[0])
        return true;
    order_cust_t *k;
    if (!at) {
        if (o->n == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 1024;
            o->cust = xrealloc(o->cust, o->cap * sizeof *o->cust);
        }
        k = &o->cust[o->n];
        memset(k, 0, sizeof *k);
        k->id = xstrdup(c->customer_id);
        k->last_us = c->offered_us;
        bool added;
        *strmap_put(o->map, k->id, &added) = (int64_t)o->n++;
    } else {
        k = &o->cust[*at];
    }
    if (c->offered_us > k->last_us) { /* the next instant decides the waiting ones */
        order_decide(o, k, c->offered_us);
        k->last_us = c->offered_us;
    }
    if (c->outcome == SLA_ANSWERED) {
        order_wait_t w = {c->offered_us, strpool_intern(o->a->pool, c->queue),
                          strpool_intern(o->a->pool, c->agent),
                          strpool_intern(o->a->pool, contact_reason(c))};
        if (k->nwait == 0) {
            k->first = w;
        } else {
            if (k->nwait - 1 == k->cap) {
                k->cap = k->cap ? k->cap * 2 : 2;
                k->more = xrealloc(k->more, k->cap * sizeof *k->more);
            }
            k->more[k->nwait - 1] = w;
        }
        k->nwait++;
    }
    return true;
}
