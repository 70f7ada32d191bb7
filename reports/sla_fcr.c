/*
 * sla_fcr.c - the "repeat" test of first contact resolution (METRICS.md
 * "First contact resolution"): did the same customer come back within the
 * window?
 *
 * For a contact at t only the customer's first contact with offered_us > t
 * matters: when that one is beyond t + window, every later one is too.
 * Contacts at the same instant as t are not "in (t, t + window]".
 *
 * One pass from the latest contact to the earliest with a map (strmap.h)
 * per customer holding the earliest instant seen so far (e1) and the earliest
 * one after it (e2): for a contact at t, the next instant is e1 when
 * e1 > t, else (e1 == t) e2.  The contacts database reads come ordered by
 * offered_us, so no sort is needed then; other input is ordered first.
 * This replaced a sort of every contact by (customer_id, offered_us), whose
 * string comparisons dominated the computation of a large month.
 */
#include <stdlib.h>
#include <string.h>

#include "sla_int.h"
#include "strmap.h"
#include "xmem.h"

#define NO_INSTANT INT64_MAX

/* What is known of a customer so far (the pass runs backwards in time). */
typedef struct fcr_seen {
    int64_t e1, e2; /* earliest instant seen, and the earliest after it */
} fcr_seen_t;

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
    strmap_t *customers = strmap_new(m);
    fcr_seen_t *seen = xmalloc((m ? m : 1) * sizeof *seen);
    int64_t window_us = (int64_t)window_h * 3600 * 1000000;
    for (size_t k = m; k-- > 0;) {
        const sla_contact_t *x = v[k];
        int64_t t = x->offered_us;
        bool added;
        int64_t *slot = strmap_put(customers, x->customer_id, &added);
        if (added) {
            *slot = (int64_t)strmap_count(customers) - 1;
            seen[*slot] = (fcr_seen_t){t, NO_INSTANT};
            continue; /* nothing later from this customer */
        }
        fcr_seen_t *s = &seen[*slot];
        int64_t next = s->e1 > t ? s->e1 : s->e2;
        repeat[x - c] = next != NO_INSTANT && next - t <= window_us;
        if (t < s->e1) {
            s->e2 = s->e1;
            s->e1 = t;
        }
    }
    free(seen);
    strmap_free(customers);
    free(v);
}
