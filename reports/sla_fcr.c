/*
 * sla_fcr.c - the "repeat" test of first contact resolution (METRICS.md
 * "First contact resolution"): did the same customer come back within the
 * window?
 *
 * Contacts with a customer_id are sorted by (customer_id, offered_us).  For
 * a contact at t only the customer's first contact with offered_us > t
 * matters: when that one is beyond t + window, every later one is too.
 * Contacts at the same instant as t are not "in (t, t + window]".
 */
#include <stdlib.h>
#include <string.h>

#include "sla_int.h"
#include "xmem.h"

/* Sort context: qsort has no user pointer, so the array sorted is of
 * pointers to the contacts themselves. */
static int fcr_cmp(const void *a, const void *b)
{
    const sla_contact_t *x = *(const sla_contact_t *const *)a;
    const sla_contact_t *y = *(const sla_contact_t *const *)b;
    int c = strcmp(x->customer_id, y->customer_id);
    if (c != 0)
        return c;
    return (x->offered_us > y->offered_us) - (x->offered_us < y->offered_us);
}

/* Whether sorted entries a and b are the same customer. */
static bool fcr_same(const sla_contact_t *a, const sla_contact_t *b)
{
    return strcmp(a->customer_id, b->customer_id) == 0;
}

void sla_fcr_repeats(const sla_contact_t *c, size_t n, int window_h, uint8_t *repeat)
{
    memset(repeat, 0, n);
    const sla_contact_t **v = xcalloc(n ? n : 1, sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].customer_id[0] != '\0')
            v[m++] = &c[i];
    qsort(v, m, sizeof *v, fcr_cmp);
    int64_t window_us = (int64_t)window_h * 3600 * 1000000;
    size_t i = 0;
    while (i < m) {
        size_t e = i + 1; /* end of the run at the same customer and instant */
        while (e < m && fcr_same(v[e], v[i]) && v[e]->offered_us == v[i]->offered_us)
            e++;
        bool rep =
            e < m && fcr_same(v[e], v[i]) && v[e]->offered_us - v[i]->offered_us <= window_us;
        for (; i < e; i++)
            repeat[v[i] - c] = rep;
    }
    free(v);
}
