/*
 * sla_sums.c - the additive counts behind the count and sum metrics, and
 * the ratios over them (METRICS.md "Contact outcomes", "Queue metrics").
 *
 * Contacts and rollup rows are both turned into the same sla_sums_t, so the
 * two input paths cannot drift apart: whatever the rollup SQL counts
 * (server/store/rollup.h), sla_sums_add_contact() counts the same way.
 */
#include <math.h>
#include <string.h>

#include "sla_int.h"
#include "status.h"

double sla_ratio(int64_t a, int64_t b)
{
    return b == 0 ? NAN : (double)a / (double)b;
}

void sla_sums_add_contact(sla_sums_t *s, const sla_contact_t *c, const sla_params_t *p)
{
    int within = c->wait_s <= p->sl_threshold_s;
    if (c->outcome == SLA_ANSWERED) {
        s->answered++;
        s->answered_within += within;
        s->answered_wait += c->wait_s;
        s->handle += (int64_t)c->talk_s + c->hold_s + c->acw_s;
        s->transferred += c->transferred == 1;
    } else if (c->outcome == SLA_ABANDONED && c->wait_s < p->short_abandon_s) {
        s->short_n++;
    } else if (c->outcome == SLA_ABANDONED) {
        s->abandoned++;
        s->abandoned_within += within;
        s->abandoned_wait += c->wait_s;
    } else {
        s->overflow++;
    }
}

void sla_sums_add_rollup(sla_sums_t *s, const sla_rollup_t *r)
{
    /* The rollup's abandoned_n and abandoned_wait_sum include the short
     * abandons; its abandoned_within_n does not. */
    s->answered += r->answered_n;
    s->answered_within += r->answered_within_n;
    s->answered_wait += r->answered_wait_sum;
    s->abandoned += r->abandoned_n - r->short_abandoned_n;
    s->abandoned_within += r->abandoned_within_n;
    s->abandoned_wait += r->abandoned_wait_sum - r->short_wait_sum;
    s->short_n += r->short_abandoned_n;
    s->overflow += r->overflow_n;
    s->handle += r->talk_sum + r->hold_sum + r->acw_sum;
    s->transferred += r->transferred_n;
}

void sla_sums_add(sla_sums_t *s, const sla_sums_t *t)
{
    s->answered += t->answered;
    s->answered_within += t->answered_within;
    s->answered_wait += t->answered_wait;
    s->abandoned += t->abandoned;
    s->abandoned_within += t->abandoned_within;
    s->abandoned_wait += t->abandoned_wait;
    s->short_n += t->short_n;
    s->overflow += t->overflow;
    s->handle += t->handle;
    s->transferred += t->transferred;
}

int64_t sla_sums_offered(const sla_sums_t *s)
{
    return s->answered + s->abandoned + s->overflow;
}

void sla_sums_to_row(const sla_sums_t *s, sla_formula_t f, sla_row_t *row)
{
    int64_t offered = sla_sums_offered(s);
    row->offered = offered;
    row->answered = s->answered;
    row->abandoned = s->abandoned;
    row->short_abandoned = s->short_n;
    row->overflow = s->overflow;
    row->answered_within = s->answered_within;
    row->abandoned_within = s->abandoned_within;
    row->transferred = s->transferred;
    row->service_level =
        sla_service_level(f, offered, s->answered, s->answered_within, s->abandoned_within);
    row->asa_s = sla_ratio(s->answered_wait, s->answered);
    row->avg_abandon_s = sla_ratio(s->abandoned_wait, s->abandoned);
    row->abandon_rate = sla_ratio(s->abandoned, offered);
    row->answer_rate = sla_ratio(s->answered, offered);
    row->aht_s = sla_ratio(s->handle, s->answered);
    row->transfer_rate = sla_ratio(s->transferred, s->answered);
}

double sla_service_level(sla_formula_t f, int64_t offered, int64_t answered,
                         int64_t answered_within, int64_t abandoned_within)
{
    switch (f) {
    case SLA_SL_OFFERED:
        return sla_ratio(answered_within, offered);
    case SLA_SL_ANSWERED:
        return sla_ratio(answered_within, answered);
    case SLA_SL_ABANDON_NEUTRAL:
        return sla_ratio(answered_within, offered - abandoned_within);
    case SLA_SL_ABANDON_POSITIVE:
        return sla_ratio(answered_within + abandoned_within, offered);
    }
    return NAN;
}

static const char *const formula_names[] = {"offered", "answered", "abandon_neutral",
                                            "abandon_positive"};

const char *sla_formula_name(sla_formula_t f)
{
    if ((unsigned)f >= sizeof formula_names / sizeof formula_names[0])
        return "?";
    return formula_names[f];
}

int sla_formula_parse(const char *s, sla_formula_t *out)
{
    for (size_t i = 0; s && i < sizeof formula_names / sizeof formula_names[0]; i++) {
        if (strcmp(s, formula_names[i]) == 0) {
            *out = (sla_formula_t)i;
            return ST_OK;
        }
    }
    return ST_ERR_INVALID;
}
