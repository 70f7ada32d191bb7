/*
 * sla_fcr.c - the "repeat" test of first contact resolution (METRICS.md
 * "First contact resolution"): did the same customer come back within the
 * window?
 *
 * For a contact at t only the customer's first contact with offered_us > t
 * matters: when that one is beyond t + window, every later one is too.
 * Contacts at the same instant as t are not "in (t, t + window]".
 *
 * One pass from the latest contact to the earliest with a hash table per
 * customer holding the earliest instant seen so far (e1) and the earliest
 * one after it (e2): for a contact at t, the next instant is e1 when
 * e1 > t, else (e1 == t) e2.  The contacts database reads come ordered by
 * offered_us, so no sort is needed then; other input is ordered first.
 * This replaced a sort of every contact by (customer_id, offered_us), whose
 * string comparisons dominated the computation of a large month.
 */
#include <stdlib.h>
#include <string.h>

#include "sla_int.h"
#include "xmem.h"

#define NO_INSTANT INT64_MAX

/* One customer in the table. */
typedef struct fcr_slot {
    const char *customer; /* NULL: empty slot */
    int64_t e1, e2;
} fcr_slot_t;

/* FNV-1a: a quick, well-spread hash for short ids. */
static uint64_t fcr_hash(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

/* The slot of customer (found or empty) in a table of mask + 1 slots. */
static fcr_slot_t *fcr_find(fcr_slot_t *tab, size_t mask, const char *customer)
{
    size_t i = (size_t)fcr_hash(customer) & mask;
    while (tab[i].customer && strcmp(tab[i].customer, customer) != 0)
        i = (i + 1) & mask;
    return &tab[i];
}

/* qsort order of contact pointers by offered_us. */
static int by_offered(const void *a, const void *b)
{
    const sla_contact_t *x = *(const sla_contact_t *const *)a;
    const sla_contact_t *y = *(const sla_contact_t *const *)b;
    return (x->offered_us > y->offered_us) - (x->offered_us < y->offered_us);
}

void sla_fcr_repeats(const sla_contact_t *c, size_t n, int window_h, uint8_t *repeat)
{
    memset(repeat, 0, n);
    const sla_contact_t **v = xcalloc(n ? n : 1, sizeof *v);
    size_t m = 0;
    bool sorted = true;
    for (size_t i = 0; i < n; i++)
        if (c[i].customer_id[0] != '\0') {
            if (m > 0 && c[i].offered_us < v[m - 1]->offered_us)
                sorted = false;
            v[m++] = &c[i];
        }
    if (!sorted)
        qsort(v, m, sizeof *v, by_offered);
    size_t cap = 16;
    while (cap < 2 * m)
        cap *= 2;
    fcr_slot_t *tab = xcalloc(cap, sizeof *tab);
    int64_t window_us = (int64_t)window_h * 3600 * 1000000;
    for (size_t k = m; k-- > 0;) {
        const sla_contact_t *x = v[k];
        int64_t t = x->offered_us;
        fcr_slot_t *s = fcr_find(tab, cap - 1, x->customer_id);
        if (!s->customer) {
            *s = (fcr_slot_t){x->customer_id, t, NO_INSTANT};
            continue; /* nothing later from this customer */
        }
        int64_t next = s->e1 > t ? s->e1 : s->e2;
        repeat[x - c] = next != NO_INSTANT && next - t <= window_us;
        if (t < s->e1) {
            s->e2 = s->e1;
            s->e1 = t;
        }
    }
    free(tab);
    free(v);
}
