/* credits.c - contract compliance, service credits, cap and earn-back (see credits.h). */
#include "credits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xmem.h"

#define FEE_CENTS_MAX INT64_C(100000000000000) /* 1e12 currency units */
#define PCT_CENTI_MAX 10000                    /* 100 % */

credits_status_t credits_item_status(const contract_item_t *item, double value)
{
    if (isnan(value))
        return CREDITS_NOT_MEASURABLE;
    bool met = item->comparator == CONTRACT_CMP_LE ? value <= item->target : value >= item->target;
    return met ? CREDITS_MET : CREDITS_MISSED;
}

int64_t credits_pct_of(int64_t cents, int32_t pct_centi)
{
    /* cents <= 1e14 and pct_centi <= 1e4: the product stays below 2^63. */
    return (cents * pct_centi + 5000) / 10000;
}

void credits_month_from_contract(const contract_t *c, int year, int month, const double *values,
                                 credits_month_t *out)
{
    out->year = year;
    out->month = month;
    out->fee_cents = contract_monthly_fee_cents(c);
    out->cap_centi = contract_credit_cap_centi(c);
    out->earn_back_months = contract_earn_back_months(c);
    out->n_items = contract_item_count(c);
    out->items = contract_item(c, 0); /* items are contiguous; NULL when none */
    out->values = values;
}

const char *credits_status_name(credits_status_t s)
{
    switch (s) {
    case CREDITS_MET:
        return "met";
    case CREDITS_MISSED:
        return "missed";
    case CREDITS_NOT_MEASURABLE:
        return "not measurable";
    }
    return "?";
}

void credits_result_free(credits_result_t *r)
{
    if (!r)
        return;
    free(r->rows);
    free(r->months);
    memset(r, 0, sizeof *r);
}

/* Month count since year 0, so consecutive months differ by 1. */
static int64_t month_serial(int year, int month)
{
    return (int64_t)year * 12 + (month - 1);
}

/* Checks one input month; index k names it in messages. */
static int month_check(const credits_month_t *m, size_t k, const credits_month_t *prev, char *err,
                       size_t errlen)
{
    if (m->month < 1 || m->month > 12 || m->year < 1 || m->year > 9999) {
        st_errf(err, errlen, "months[%zu]: bad month %d-%d", k, m->year, m->month);
        return ST_ERR_INVALID;
    }
    if (prev && month_serial(m->year, m->month) != month_serial(prev->year, prev->month) + 1) {
        st_errf(err, errlen, "months[%zu]: %04d-%02d does not follow %04d-%02d", k, m->year,
                m->month, prev->year, prev->month);
        return ST_ERR_INVALID;
    }
    if (m->fee_cents < 0 || m->fee_cents > FEE_CENTS_MAX || m->cap_centi < 0 ||
        m->cap_centi > PCT_CENTI_MAX || m->earn_back_months < 0 || m->earn_back_months > 12) {
        st_errf(err, errlen, "months[%zu]: fee, cap or earn-back months out of range", k);
        return ST_ERR_INVALID;
    }
    if (m->n_items > CM_COUNT || (m->n_items > 0 && (!m->items || !m->values))) {
        st_errf(err, errlen, "months[%zu]: bad item arrays", k);
        return ST_ERR_INVALID;
    }
    for (size_t i = 0; i < m->n_items; i++) {
        const contract_item_t *it = &m->items[i];
        if ((int)it->metric < 0 || it->metric >= CM_COUNT || it->credit_pct_centi < 0 ||
            it->credit_pct_centi > PCT_CENTI_MAX ||
            (it->comparator != CONTRACT_CMP_GE && it->comparator != CONTRACT_CMP_LE)) {
            st_errf(err, errlen, "months[%zu].items[%zu]: out of range", k, i);
            return ST_ERR_INVALID;
        }
        for (size_t j = 0; j < i; j++) {
            if (m->items[j].metric == it->metric) {
                st_errf(err, errlen, "months[%zu].items[%zu]: metric repeated", k, i);
                return ST_ERR_INVALID;
            }
        }
    }
    return ST_OK;
}

/*
 * Shares `cap` among the credits of one month pro rata, exactly: floors
 * first, then one cent each to the largest remainders (earlier first on
 * ties).  credit[i] is 0 for items that were not missed.
 */
static void cap_share(const int64_t *credit, size_t n, int64_t sum, int64_t cap, int64_t *applied)
{
    int64_t rem[CM_COUNT];
    int64_t given = 0;
    for (size_t i = 0; i < n; i++) {
        /* credit and cap are <= 1e14, so the product needs 128 bits. */
        unsigned __int128 num = (unsigned __int128)credit[i] * (unsigned __int128)cap;
        applied[i] = (int64_t)(num / (unsigned __int128)sum);
        rem[i] = (int64_t)(num % (unsigned __int128)sum);
        given += applied[i];
    }
    for (int64_t left = cap - given; left > 0; left--) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (credit[i] > 0 && rem[i] >= 0 && (best == n || rem[i] > rem[best]))
                best = i;
        }
        if (best == n)
            break;
        applied[best]++;
        rem[best] = -1; /* at most one extra cent per item */
    }
}

/* Index of metric m among a month's items, or -1. */
static int item_index(const credits_month_t *m, contract_metric_t metric)
{
    for (size_t i = 0; i < m->n_items; i++) {
        if (m->items[i].metric == metric)
            return (int)i;
    }
    return -1;
}

/* Whether `metric` was met in each of months[from..to] (inclusive). */
static bool met_throughout(const credits_month_t *months, size_t from, size_t to,
                           contract_metric_t metric)
{
    for (size_t k = from; k <= to; k++) {
        int i = item_index(&months[k], metric);
        if (i < 0 || credits_item_status(&months[k].items[i], months[k].values[i]) != CREDITS_MET)
            return false;
    }
    return true;
}

/* Adds a month index to a serial month and gives back year and month. */
static void month_add(int year, int month, int add, int *oy, int *om)
{
    int64_t s = month_serial(year, month) + add;
    *oy = (int)(s / 12);
    *om = (int)(s % 12) + 1;
}

/* The ITEM rows and the total of month k (no outcome rows). */
static void month_items(const credits_month_t *m, credits_row_t *rows, credits_total_t *t)
{
    int64_t credit[CM_COUNT], applied[CM_COUNT];
    memset(t, 0, sizeof *t);
    t->year = m->year;
    t->month = m->month;
    t->fee_cents = m->fee_cents;
    t->cap_cents = credits_pct_of(m->fee_cents, m->cap_centi);
    for (size_t i = 0; i < m->n_items; i++) {
        const contract_item_t *it = &m->items[i];
        credits_row_t *r = &rows[i];
        memset(r, 0, sizeof *r);
        r->year = r->from_year = m->year;
        r->month = r->from_month = m->month;
        r->kind = CREDITS_ROW_ITEM;
        r->metric = it->metric;
        r->comparator = it->comparator;
        r->target = it->target;
        r->value = m->values[i];
        r->status = credits_item_status(it, m->values[i]);
        r->credit_pct_centi = it->credit_pct_centi;
        credit[i] = 0;
        if (r->status == CREDITS_MET)
            t->met++;
        else if (r->status == CREDITS_NOT_MEASURABLE)
            t->not_measurable++;
        else {
            t->missed++;
            credit[i] = credits_pct_of(m->fee_cents, it->credit_pct_centi);
        }
        r->credit_cents = credit[i];
        t->uncapped_cents += credit[i];
        applied[i] = credit[i];
    }
    t->cap_applied = t->uncapped_cents > t->cap_cents;
    t->credited_cents = t->cap_applied ? t->cap_cents : t->uncapped_cents;
    if (t->cap_applied)
        cap_share(credit, m->n_items, t->uncapped_cents, t->cap_cents, applied);
    for (size_t i = 0; i < m->n_items; i++) {
        credits_row_t *r = &rows[i];
        r->applied_cents = applied[i];
        if (r->status == CREDITS_MISSED && m->earn_back_months > 0) {
            r->at_risk = true;
            month_add(m->year, m->month, m->earn_back_months, &r->until_year, &r->until_month);
            t->at_risk_cents += applied[i];
        }
    }
}

int credits_compute(const credits_month_t *months, size_t n, credits_result_t *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (n > CREDITS_MAX_MONTHS) {
        st_errf(err, errlen, "months: more than %d", CREDITS_MAX_MONTHS);
        return ST_ERR_TOO_LARGE;
    }
    if (n > 0 && !months) {
        st_errf(err, errlen, "months: missing");
        return ST_ERR_INVALID;
    }
    size_t max_rows = 0;
    for (size_t k = 0; k < n; k++) {
        int rc = month_check(&months[k], k, k ? &months[k - 1] : NULL, err, errlen);
        if (rc != ST_OK)
            return rc;
        max_rows += 2 * months[k].n_items; /* its ITEM rows and at most one outcome each */
    }
    if (n == 0)
        return ST_OK;

    /* ITEM rows of every month first: outcome rows refer back to them. */
    credits_row_t *items = xcalloc(max_rows ? max_rows : 1, sizeof *items);
    size_t *first = xcalloc(n, sizeof *first);
    credits_total_t *totals = xcalloc(n, sizeof *totals);
    size_t used = 0;
    for (size_t k = 0; k < n; k++) {
        first[k] = used;
        month_items(&months[k], items + used, &totals[k]);
        used += months[k].n_items;
    }

    credits_row_t *rows = xcalloc(max_rows ? max_rows : 1, sizeof *rows);
    size_t nr = 0;
    for (size_t k = 0; k < n; k++) {
        memcpy(rows + nr, items + first[k], months[k].n_items * sizeof *rows);
        nr += months[k].n_items;
        /* Outcomes due in month k: credits of month j < k with j + N_j == k. */
        for (size_t j = 0; j < k; j++) {
            if (j + (size_t)months[j].earn_back_months != k || months[j].earn_back_months == 0)
                continue;
            for (size_t i = 0; i < months[j].n_items; i++) {
                const credits_row_t *c = &items[first[j] + i];
                if (!c->at_risk)
                    continue;
                credits_row_t *r = &rows[nr++];
                *r = *c;
                r->year = months[k].year;
                r->month = months[k].month;
                r->value = NAN;
                if (met_throughout(months, j + 1, k, c->metric)) {
                    r->kind = CREDITS_ROW_EARNED_BACK;
                    totals[k].earned_back_cents += c->applied_cents;
                } else {
                    r->kind = CREDITS_ROW_CONFIRMED;
                    totals[k].confirmed_cents += c->applied_cents;
                }
                r->at_risk = false;
            }
        }
    }
    free(first);
    free(items);
    out->rows = rows;
    out->n_rows = nr;
    out->months = totals;
    out->n_months = n;
    return ST_OK;
}
