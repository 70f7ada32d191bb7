/*
 * sla_int.h - pieces shared by the sla_*.c files; not part of the public
 * API (include sla.h instead).
 *
 * sla_cal.c   the local calendar of a period: months, days, intervals.
 * sla_sums.c  the additive counts behind every count/sum metric, filled
 *             from contacts or from rollups alike, and the ratios over them.
 * sla_fcr.c   the FCR "repeat" flag of each contact.
 * sla.c       grouping, the contact-only metrics, the result.
 *
 * Everything is pure computation on caller memory (xmalloc'd arrays are
 * owned by the struct that holds them); any thread.
 */
#ifndef SLT_SLA_INT_H
#define SLT_SLA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sla.h"

/* One local interval of the period. */
typedef struct sla_cal_iv {
    int64_t start, end; /* UTC seconds */
    int32_t day, month; /* indexes into the calendar's days and months */
    int32_t offset;
    int index;
    char label[6];
    bool business;
} sla_cal_iv_t;

/* A local day or month of the period: intervals [iv0, iv0 + niv). */
typedef struct sla_cal_span {
    int y, m, d;
    int64_t start, end;
    size_t iv0, niv;
} sla_cal_span_t;

typedef struct sla_cal {
    sla_cal_iv_t *iv;
    sla_cal_span_t *day, *month;
    size_t niv, nday, nmonth;
    int64_t start, end; /* the period, UTC seconds */
} sla_cal_t;

/* Builds the calendar of the period in p->tz (p is assumed validated).
 * ST_ERR_INVALID / ST_ERR_TOO_LARGE with a reason.  Free with
 * sla_cal_free() (also after a failure). */
int sla_cal_build(sla_cal_t *cal, const sla_params_t *p, const sla_period_t *period, char *err,
                  size_t errlen);
void sla_cal_free(sla_cal_t *cal);
/* Index of the interval containing UTC second t, or -1 outside the period. */
long sla_cal_find(const sla_cal_t *cal, int64_t t);
/* floor(us / 1e6): the UTC second containing a microsecond instant. */
int64_t sla_us_to_s(int64_t us);

/* The additive counts of a group (short abandons kept apart). */
typedef struct sla_sums {
    int64_t answered, answered_within, answered_wait;
    int64_t abandoned, abandoned_within, abandoned_wait; /* not short */
    int64_t short_n;
    int64_t overflow;
    int64_t handle; /* talk + hold + acw over answered */
    int64_t transferred;
} sla_sums_t;

/* Adds one contact (thresholds from p). */
void sla_sums_add_contact(sla_sums_t *s, const sla_contact_t *c, const sla_params_t *p);
/* Adds one rollup row. */
void sla_sums_add_rollup(sla_sums_t *s, const sla_rollup_t *r);
/* s += t. */
void sla_sums_add(sla_sums_t *s, const sla_sums_t *t);
/* answered + abandoned + overflow. */
int64_t sla_sums_offered(const sla_sums_t *s);
/* Fills the count and ratio metrics of row from s. */
void sla_sums_to_row(const sla_sums_t *s, sla_formula_t f, sla_row_t *row);
/* a / b as a double, NAN when b = 0. */
double sla_ratio(int64_t a, int64_t b);

/* For each contact i, repeat[i] = 1 when another contact of the same
 * non-empty customer_id has offered_us in (offered_us, offered_us +
 * window_h hours]; else 0.  repeat has n bytes. */
void sla_fcr_repeats(const sla_contact_t *c, size_t n, int window_h, uint8_t *repeat);

#endif
