/*
 * Unit tests for reports/sla*.c: the queue metrics of METRICS.md.
 *
 * Every expected value is worked by hand in the comment beside it.
 * Instants used throughout (days since 1970 x 86400, as in test_tz.c):
 *   2026-03-29T00:00Z = 1774742400     2026-10-01T00:00Z = 1790812800
 *   2026-10-05T00:00Z = 1790812800 + 4 x 86400 = 1791158400 (a Monday)
 *   2026-11-01T00:00Z = 1793491200     2026-12-01T00:00Z = 1796083200
 *
 * The main data set (Etc/UTC, Monday 2026-10-05, T = 20 s, short
 * abandons under 5 s, 30-minute intervals, business hours Mon 09:00-17:00,
 * target 0.8), queue "sales":
 *
 *  name time  outcome  wait talk+hold+acw  tr res csat agent
 *  a8   08:45 answered  40  200+20+20=240   0   1   -  bob
 *  a1   09:00 answered   0  100+ 0+20=120   0   1   5  ann
 *  a2   09:10 answered   5  150+10+20=180   1   1   4  bob
 *  a3   09:20 answered  10  200+20+20=240   0   0   3  ann
 *  a4   09:30 answered  20   40+ 0+20= 60   0   -   -  bob   (wait == T)
 *  a5   09:45 answered  15  250+30+20=300   1   1   5  ann
 *  s1   09:50 abandoned  3  (short)
 *  a6   10:00 answered  18  100+ 0+20=120   0   0   1  bob
 *  a7   10:05 answered  21  160+ 0+20=180   0   -   -  ann
 *  b1   10:10 abandoned 12  (resolved = 1, must be ignored)
 *  o1   10:20 overflow  60
 *
 * answered 8, answered_within 6 (0 5 10 20 15 18), abandoned 1 (b1),
 * abandoned_within 1, short 1, overflow 1, offered = 8 + 1 + 1 = 10.
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

#include "sla.h"
#include "status.h"
#include "tz.h"

#define D5       INT64_C(1791158400) /* 2026-10-05T00:00Z */
#define OCT      INT64_C(1790812800) /* 2026-10-01T00:00Z */
#define NOV      INT64_C(1793491200) /* 2026-11-01T00:00Z */
#define HM(h, m) ((int64_t)(h)*3600 + (int64_t)(m)*60)

static tz_t *load(const char *name)
{
    tz_t *tz = NULL;
    char err[200];
    if (tz_load(name, &tz, err, sizeof err) != ST_OK)
        fail_msg("tz_load(%s): %s", name, err);
    return tz;
}

/* A contact offered at UTC second t; answered ones get an agent. */
static sla_contact_t ct(int64_t t, int outcome, int wait)
{
    sla_contact_t c = {
        .offered_us = t * 1000000,
        .wait_s = wait,
        .outcome = outcome,
        .resolved = -1,
        .queue = "sales",
        .agent = "",
        .customer_id = "",
    };
    return c;
}

/* An answered contact with its handle parts and extra columns. */
static sla_contact_t ans(int64_t t, int wait, int talk, int hold, int acw, int tr, int res,
                         int csat, const char *agent)
{
    sla_contact_t c = ct(t, SLA_ANSWERED, wait);
    c.talk_s = talk;
    c.hold_s = hold;
    c.acw_s = acw;
    c.transferred = tr;
    c.resolved = res;
    c.csat = csat;
    c.agent = agent;
    return c;
}

/* The main data set of the file comment; returns its size. */
static size_t main_set(sla_contact_t *c)
{
    size_t n = 0;
    c[n++] = ans(D5 + HM(8, 45), 40, 200, 20, 20, 0, 1, 0, "bob");
    c[n++] = ans(D5 + HM(9, 0), 0, 100, 0, 20, 0, 1, 5, "ann");
    c[n++] = ans(D5 + HM(9, 10), 5, 150, 10, 20, 1, 1, 4, "bob");
    c[n++] = ans(D5 + HM(9, 20), 10, 200, 20, 20, 0, 0, 3, "ann");
    c[n++] = ans(D5 + HM(9, 30), 20, 40, 0, 20, 0, -1, 0, "bob");
    c[n++] = ans(D5 + HM(9, 45), 15, 250, 30, 20, 1, 1, 5, "ann");
    c[n++] = ct(D5 + HM(9, 50), SLA_ABANDONED, 3);
    c[n++] = ans(D5 + HM(10, 0), 18, 100, 0, 20, 0, 0, 1, "bob");
    c[n++] = ans(D5 + HM(10, 5), 21, 160, 0, 20, 0, -1, 0, "ann");
    c[n] = ct(D5 + HM(10, 10), SLA_ABANDONED, 12);
    c[n++].resolved = 1;
    c[n++] = ct(D5 + HM(10, 20), SLA_OVERFLOW, 60);
    return n;
}

/* Main-set parameters: UTC, T = 20, short 5, 30 min, Mon 09-17, 0.8. */
static void main_params(sla_params_t *p, const tz_t *tz)
{
    sla_params_default(p, tz);
    p->has_hours = true;
    p->hours[1].open_min = 9 * 60;
    p->hours[1].close_min = 17 * 60;
    p->sl_target = 0.8;
    p->fcr_method = SLA_FCR_DISPOSITION;
}

/* Runs the contact path and fails the test on an error. */
static sla_result_t *run_c(const sla_params_t *p, const sla_period_t *pd, sla_by_t by,
                           const sla_contact_t *c, size_t n)
{
    sla_result_t *r = NULL;
    char err[200] = "";
    int rc = sla_compute_contacts(p, pd, by, c, n, &r, err, sizeof err);
    if (rc != ST_OK)
        fail_msg("sla_compute_contacts: %d %s", rc, err);
    return r;
}

/* Runs the rollup path and fails the test on an error. */
static sla_result_t *run_r(const sla_params_t *p, const sla_period_t *pd, sla_by_t by,
                           const sla_rollup_t *ru, size_t n)
{
    sla_result_t *r = NULL;
    char err[200] = "";
    int rc = sla_compute_rollups(p, pd, by, ru, n, &r, err, sizeof err);
    if (rc != ST_OK)
        fail_msg("sla_compute_rollups: %d %s", rc, err);
    return r;
}

/* got == want within 1e-12 (want computed by hand as a fraction). */
static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-12))
        fail_msg("got %.17g want %.17g", got, want);
}

static void test_main_set_totals(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[16];
    size_t n = main_set(c);
    sla_params_t p;
    main_params(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    sla_result_t *r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_int_equal(sla_result_count(r), 1);
    const sla_row_t *t = sla_result_total(r);
    assert_string_equal(t->key, "total");
    assert_string_equal(sla_result_row(r, 0)->key, "2026-10");
    assert_int_equal(t->offered, 10);
    assert_int_equal(t->answered, 8);
    assert_int_equal(t->abandoned, 1);
    assert_int_equal(t->short_abandoned, 1);
    assert_int_equal(t->overflow, 1);
    assert_int_equal(t->answered_within, 6); /* wait 20 == T counts */
    assert_int_equal(t->abandoned_within, 1);
    assert_near(t->service_level, 0.6); /* 6 / 10 */
    /* asa = (40+0+5+10+20+15+18+21) / 8 = 129 / 8 = 16.125 */
    assert_near(t->asa_s, 16.125);
    assert_near(t->avg_abandon_s, 12.0); /* b1 only: short s1 left out */
    assert_near(t->max_wait_s, 60.0);    /* o1's overflow wait */
    /* waits sorted 0 5 10 15 18 20 21 40; rank ceil(0.9 x 8) = 8 -> 40 */
    assert_near(t->wait_p90_s, 40.0);
    assert_near(t->abandon_rate, 0.1); /* 1 / 10 */
    assert_near(t->answer_rate, 0.8);  /* 8 / 10 */
    /* aht = (240+120+180+240+60+300+120+180) / 8 = 1440 / 8 = 180 */
    assert_near(t->aht_s, 180.0);
    assert_near(t->transfer_rate, 0.25); /* a2, a5: 2 / 8 */
    /* disposition: resolved given on a8 a1 a2 a3 a5 a6 (6), = 1 on a8 a1
     * a2 a5 (4); b1 is not answered -> 4 / 6 */
    assert_int_equal(t->fcr_base, 6);
    assert_int_equal(t->fcr_resolved, 4);
    assert_near(t->fcr, 4.0 / 6.0);
    assert_false(t->fcr_provisional); /* never for disposition */
    /* surveys 5 4 3 5 1: >= 4 are 5 4 5 -> 3 / 5; mean 18 / 5 */
    assert_int_equal(t->csat_n, 5);
    assert_near(t->csat, 0.6);
    assert_near(t->csat_mean, 3.6);
    /* Intervals (offered formula): 08:30 {a8} 0/1 but not business;
     * 09:00 {a1 a2 a3} 3/3 met; 09:30 {a4 a5, s1 short} 2/2 met;
     * 10:00 {a6 a7 b1 o1} 1/4 = 0.25 missed -> 2 / 3. */
    assert_int_equal(t->compliance_intervals, 3);
    assert_int_equal(t->compliance_met, 2);
    assert_near(t->interval_compliance, 2.0 / 3.0);
    assert_true(isnan(t->required_agents)); /* interval rows only */
    /* The month row is the whole period here. */
    const sla_row_t *m = sla_result_row(r, 0);
    assert_int_equal(m->offered, 10);
    assert_near(m->interval_compliance, 2.0 / 3.0);
    assert_int_equal(m->start_utc, OCT);
    assert_int_equal(m->end_utc, NOV);
    sla_result_free(r);
    tz_free(tz);
}

static void test_sl_formulas(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[16];
    size_t n = main_set(c);
    sla_params_t p;
    main_params(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    /* answered_within 6, offered 10, answered 8, abandoned_within 1 */
    const struct {
        sla_formula_t f;
        double want;
    } cases[] = {
        {SLA_SL_OFFERED, 0.6},               /* 6 / 10 */
        {SLA_SL_ANSWERED, 0.75},             /* 6 / 8 */
        {SLA_SL_ABANDON_NEUTRAL, 6.0 / 9.0}, /* 6 / (10 - 1) */
        {SLA_SL_ABANDON_POSITIVE, 0.7},      /* (6 + 1) / 10 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p.sl_formula = cases[i].f;
        sla_result_t *r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
        assert_near(sla_result_total(r)->service_level, cases[i].want);
        sla_result_free(r);
    }
    /* The bare function, and undefined denominators. */
    assert_near(sla_service_level(SLA_SL_ANSWERED, 10, 8, 6, 1), 0.75);
    assert_true(isnan(sla_service_level(SLA_SL_OFFERED, 0, 0, 0, 0)));
    assert_true(isnan(sla_service_level(SLA_SL_ANSWERED, 3, 0, 0, 0)));
    /* all 3 offered abandoned within: 0 / (3 - 3) is undefined */
    assert_true(isnan(sla_service_level(SLA_SL_ABANDON_NEUTRAL, 3, 0, 0, 3)));
    sla_formula_t f;
    assert_int_equal(sla_formula_parse("abandon_neutral", &f), ST_OK);
    assert_int_equal(f, SLA_SL_ABANDON_NEUTRAL);
    assert_int_equal(sla_formula_parse("offered ", &f), ST_ERR_INVALID);
    assert_string_equal(sla_formula_name(SLA_SL_ABANDON_POSITIVE), "abandon_positive");
    tz_free(tz);
}

static void test_threshold_inclusive_and_short_off(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[16];
    size_t n = main_set(c);
    sla_params_t p;
    main_params(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    /* T = 19: a4 (wait 20) drops out -> answered_within 5. */
    p.sl_threshold_s = 19;
    sla_result_t *r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_int_equal(sla_result_total(r)->answered_within, 5);
    assert_near(sla_result_total(r)->service_level, 0.5); /* 5 / 10 */
    sla_result_free(r);
    /* short_abandon_s = 0: s1 (3 s) is an abandon within T.  abandoned 2,
     * abandoned_within 2, offered 11, avg_abandon (3 + 12) / 2 = 7.5. */
    p.sl_threshold_s = 20;
    p.short_abandon_s = 0;
    const struct {
        sla_formula_t f;
        double want;
    } cases[] = {
        {SLA_SL_OFFERED, 6.0 / 11.0},
        {SLA_SL_ANSWERED, 6.0 / 8.0},
        {SLA_SL_ABANDON_NEUTRAL, 6.0 / 9.0}, /* 6 / (11 - 2) */
        {SLA_SL_ABANDON_POSITIVE, 8.0 / 11.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p.sl_formula = cases[i].f;
        r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
        const sla_row_t *t = sla_result_total(r);
        assert_int_equal(t->offered, 11);
        assert_int_equal(t->abandoned, 2);
        assert_int_equal(t->short_abandoned, 0);
        assert_int_equal(t->abandoned_within, 2);
        assert_near(t->avg_abandon_s, 7.5);
        assert_near(t->abandon_rate, 2.0 / 11.0);
        assert_near(t->service_level, cases[i].want);
        sla_result_free(r);
    }
    tz_free(tz);
}

static void test_by_agent_queue_and_compliance_variants(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[16];
    size_t n = main_set(c);
    sla_params_t p;
    main_params(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    sla_result_t *r = run_c(&p, &pd, SLA_BY_AGENT, c, n);
    assert_int_equal(sla_result_count(r), 3);
    const sla_row_t *none = sla_result_row(r, 0), *ann = sla_result_row(r, 1),
                    *bob = sla_result_row(r, 2);
    /* "" holds the unanswered: b1, o1 offered, s1 short; 0 / 2 within */
    assert_string_equal(none->key, "");
    assert_int_equal(none->offered, 2);
    assert_int_equal(none->short_abandoned, 1);
    assert_near(none->service_level, 0.0);
    assert_true(isnan(none->asa_s));
    assert_true(isnan(none->wait_p90_s));
    assert_true(isnan(none->interval_compliance)); /* not per agent */
    /* ann: a1 a3 a5 a7, waits 0 10 15 21, aht (120+240+300+180)/4 = 210 */
    assert_string_equal(ann->key, "ann");
    assert_int_equal(ann->answered, 4);
    assert_int_equal(ann->answered_within, 3);
    assert_near(ann->aht_s, 210.0);
    assert_near(ann->asa_s, 11.5);      /* 46 / 4 */
    assert_near(ann->wait_p90_s, 21.0); /* rank ceil(3.6) = 4 */
    /* bob: a8 a2 a4 a6: (240+180+60+120)/4 = 150; csat 4 and 1 -> 1/2 */
    assert_string_equal(bob->key, "bob");
    assert_near(bob->aht_s, 150.0);
    assert_near(bob->csat, 0.5);
    assert_near(bob->csat_mean, 2.5);
    sla_result_free(r);

    /* Queue grouping: a second queue "help" with one answered in 09:00
     * (wait 30, missed) -> help compliance 0 / 1; sales keeps 2 / 3; the
     * total's 09:00 becomes 3 / 4 = 0.75 < 0.8 -> total 1 / 3. */
    c[n] = ans(D5 + HM(9, 5), 30, 60, 0, 0, 0, -1, 0, "cy");
    c[n++].queue = "help";
    r = run_c(&p, &pd, SLA_BY_QUEUE, c, n);
    assert_int_equal(sla_result_count(r), 2);
    assert_string_equal(sla_result_row(r, 0)->key, "help");
    assert_int_equal(sla_result_row(r, 0)->compliance_intervals, 1);
    assert_int_equal(sla_result_row(r, 0)->compliance_met, 0);
    assert_string_equal(sla_result_row(r, 1)->key, "sales");
    assert_near(sla_result_row(r, 1)->interval_compliance, 2.0 / 3.0);
    assert_near(sla_result_total(r)->interval_compliance, 1.0 / 3.0);
    sla_result_free(r);
    /* The queue filter: only sales, as if help did not exist. */
    p.queue = "sales";
    r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_int_equal(sla_result_total(r)->offered, 10);
    assert_near(sla_result_total(r)->interval_compliance, 2.0 / 3.0);
    sla_result_free(r);
    p.queue = NULL;
    n--;

    /* Without business hours 08:30 (0 / 1) counts: 2 / 4. */
    p.has_hours = false;
    r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_int_equal(sla_result_total(r)->compliance_intervals, 4);
    assert_near(sla_result_total(r)->interval_compliance, 0.5);
    sla_result_free(r);
    /* Target 0.25: 10:00 (exactly 0.25) meets it -> 3 / 3 with hours. */
    p.has_hours = true;
    p.sl_target = 0.25;
    r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_near(sla_result_total(r)->interval_compliance, 1.0);
    sla_result_free(r);
    /* No target: undefined. */
    p.sl_target = NAN;
    r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_true(isnan(sla_result_total(r)->interval_compliance));
    sla_result_free(r);
    tz_free(tz);
}

static void test_by_interval_and_day(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[16];
    size_t n = main_set(c);
    sla_params_t p;
    main_params(&p, tz);
    sla_period_t pd = {2026, 10, 4, 2026, 10, 6};
    sla_result_t *r = run_c(&p, &pd, SLA_BY_INTERVAL, c, n);
    assert_int_equal(sla_result_count(r), 3 * 48);
    /* 10-05 09:00 is row 48 + 18 = 66; 10:00 is row 68. */
    const sla_row_t *i9 = sla_result_row(r, 66), *i10 = sla_result_row(r, 68);
    assert_string_equal(i9->key, "2026-10-05T09:00+00:00");
    assert_string_equal(i9->label, "09:00");
    assert_int_equal(i9->index, 18);
    assert_int_equal(i9->start_utc, D5 + 9 * 3600);
    assert_true(i9->business);
    assert_int_equal(i9->offered, 3);
    assert_int_equal(i9->compliance_met, 1);
    assert_int_equal(i10->offered, 4);
    assert_near(i10->service_level, 0.25);
    assert_near(i10->interval_compliance, 0.0);
    /* 10:00 holds a6 a7 answered: aht (120 + 180) / 2 = 150 */
    assert_near(i10->aht_s, 150.0);
    /* Agents who handled contacts: 09:00 a1 ann, a2 bob, a3 ann -> 2;
     * 10:00 a6 bob, a7 ann (b1 and o1 have none) -> 2; 08:30 a8 bob -> 1;
     * an empty interval 0; the total row does not carry it. */
    assert_int_equal(i9->agents, 2);
    assert_int_equal(i10->agents, 2);
    assert_int_equal(sla_result_row(r, 48 + 17)->agents, 1);
    assert_int_equal(sla_result_row(r, 0)->agents, 0);
    assert_int_equal(sla_result_total(r)->agents, -1);
    assert_false(sla_result_row(r, 48 + 17)->business); /* 08:30 */
    assert_false(sla_result_row(r, 18)->business);      /* Sunday 09:00 */
    assert_true(isnan(sla_result_row(r, 0)->service_level));
    assert_int_equal(sla_result_row(r, 0)->offered, 0);
    sla_result_free(r);
    r = run_c(&p, &pd, SLA_BY_DAY, c, n);
    assert_int_equal(sla_result_count(r), 3);
    assert_string_equal(sla_result_row(r, 1)->key, "2026-10-05");
    assert_int_equal(sla_result_row(r, 1)->offered, 10);
    assert_int_equal(sla_result_row(r, 0)->offered, 0);
    assert_true(isnan(sla_result_row(r, 0)->interval_compliance)); /* none */
    assert_true(isnan(sla_result_row(r, 0)->max_wait_s));
    sla_result_free(r);
    tz_free(tz);
}

static void test_p90_nearest_rank(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[20];
    sla_params_t p;
    sla_params_default(&p, tz);
    sla_period_t pd = {2026, 10, 5, 2026, 10, 5};
    /* waits 10 9 8 ... 1 (unsorted on purpose) */
    for (int i = 0; i < 10; i++)
        c[i] = ans(D5 + i, 10 - i, 0, 0, 0, 0, -1, 0, "a");
    sla_result_t *r = run_c(&p, &pd, SLA_BY_DAY, c, 10);
    assert_near(sla_result_total(r)->wait_p90_s, 9.0); /* ceil(0.9 x 10) = 9 -> 9 */
    sla_result_free(r);
    c[10] = ans(D5 + 10, 11, 0, 0, 0, 0, -1, 0, "a");
    r = run_c(&p, &pd, SLA_BY_DAY, c, 11);
    assert_near(sla_result_total(r)->wait_p90_s, 10.0); /* ceil(9.9) = 10 -> 10 */
    sla_result_free(r);
    /* an abandon with a longer wait counts in max_wait, not in p90 */
    c[11] = ct(D5 + 11, SLA_ABANDONED, 99);
    r = run_c(&p, &pd, SLA_BY_DAY, c, 12);
    assert_near(sla_result_total(r)->wait_p90_s, 10.0);
    assert_near(sla_result_total(r)->max_wait_s, 99.0);
    sla_result_free(r);
    tz_free(tz);
}

/* FCR by repeat across the October/November boundary (UTC, window 72 h):
 *  c1 A answered 10-30 12:00; A again 11-02 11:00 = +71 h -> unresolved
 *  c2 B answered 10-30 12:00; B again 11-02 13:00 = +73 h -> resolved
 *  c3 C answered 10-29 12:00; C again 11-01 12:00 = +72 h exactly -> unresolved
 *  c4 no customer, answered -> not in the base
 *  c5 D answered 10-10 10:00; D abandoned at the same instant -> resolved
 *  c6 A answered 10-20 00:00; next A is c1, 10 days later -> resolved
 * base 5 (c1 c2 c3 c5 c6), resolved 3 (c2 c5 c6) -> 0.6. */
static size_t fcr_set(sla_contact_t *c)
{
    int64_t oct30 = OCT + 29 * 86400 + HM(12, 0);
    size_t n = 0;
    c[n] = ans(oct30, 5, 60, 0, 0, 0, -1, 0, "x");
    c[n++].customer_id = "A";
    c[n] = ans(oct30, 5, 60, 0, 0, 0, -1, 0, "x");
    c[n++].customer_id = "B";
    c[n] = ans(oct30 - 86400, 5, 60, 0, 0, 0, -1, 0, "x");
    c[n++].customer_id = "C";
    c[n++] = ans(oct30, 5, 60, 0, 0, 0, -1, 0, "x");
    c[n] = ans(OCT + 9 * 86400 + HM(10, 0), 5, 60, 0, 0, 0, -1, 0, "x");
    c[n++].customer_id = "D";
    c[n] = ct(OCT + 9 * 86400 + HM(10, 0), SLA_ABANDONED, 30);
    c[n++].customer_id = "D";
    c[n] = ans(OCT + 19 * 86400, 5, 60, 0, 0, 0, -1, 0, "x");
    c[n++].customer_id = "A";
    /* after the period: 1793617200 = 11-02 11:00 (NOV + 86400 + 39600) */
    c[n] = ct(INT64_C(1793617200), SLA_ABANDONED, 30);
    c[n].customer_id = "A";
    c[n++].queue = "other";                                      /* another queue still counts */
    c[n] = ans(INT64_C(1793624400), 5, 60, 0, 0, 0, -1, 0, "x"); /* 11-02 13:00 */
    c[n++].customer_id = "B";
    c[n] = ct(INT64_C(1793534400), SLA_OVERFLOW, 30); /* 11-01 12:00 */
    c[n++].customer_id = "C";
    return n;
}

/* qsort order of contacts by offered_us (stable enough: ties keep no order). */
static int contact_by_offered(const void *a, const void *b)
{
    const sla_contact_t *x = a, *y = b;
    return (x->offered_us > y->offered_us) - (x->offered_us < y->offered_us);
}

static void test_fcr_repeat_across_month_end(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[16];
    size_t n = fcr_set(c);
    sla_params_t p;
    sla_params_default(&p, tz);
    p.queue = "sales";
    /* period end 11-01 00:00 + 72 h = 11-04 00:00 = NOV + 259200 */
    p.generated_us = (NOV + 259200 - 1) * 1000000;
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    sla_result_t *r = run_c(&p, &pd, SLA_BY_DAY, c, n);
    const sla_row_t *t = sla_result_total(r);
    assert_int_equal(t->answered, 6); /* c1..c6 (c4 has no customer) */
    assert_int_equal(t->fcr_base, 5);
    assert_int_equal(t->fcr_resolved, 3);
    assert_near(t->fcr, 0.6);
    assert_true(t->fcr_provisional); /* one second before 11-04 00:00 */
    /* Day 10-30 (row 29): c1 unresolved, c2 resolved, c4 no customer ->
     * 1 / 2; its end 10-31 00:00 + 72 h = 11-03 00:00 has passed. */
    const sla_row_t *d30 = sla_result_row(r, 29);
    assert_string_equal(d30->key, "2026-10-30");
    assert_int_equal(d30->fcr_base, 2);
    assert_near(d30->fcr, 0.5);
    assert_false(d30->fcr_provisional);
    assert_true(sla_result_row(r, 30)->fcr_provisional); /* 10-31 ends at 11-01 */
    assert_true(isnan(sla_result_row(r, 0)->fcr));       /* 10-01: nobody */
    sla_result_free(r);
    p.generated_us = (NOV + 259200) * 1000000; /* exactly at the end: final */
    r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_false(sla_result_total(r)->fcr_provisional);
    assert_near(sla_result_total(r)->fcr, 0.6);
    sla_result_free(r);
    /* A 71 h window: C's 72 h repeat no longer counts -> 4 / 5. */
    p.fcr_window_h = 71;
    r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_near(sla_result_total(r)->fcr, 0.8);
    sla_result_free(r);
    /* The same contacts in offered order (as the database gives them, no
     * sort inside): the same 4 / 5, and 3 / 5 at 72 h. */
    qsort(c, n, sizeof c[0], contact_by_offered);
    r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_near(sla_result_total(r)->fcr, 0.8);
    sla_result_free(r);
    p.fcr_window_h = 72;
    r = run_c(&p, &pd, SLA_BY_MONTH, c, n);
    assert_near(sla_result_total(r)->fcr, 0.6);
    sla_result_free(r);
    tz_free(tz);
}

static void test_fcr_disposition(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[4];
    sla_params_t p;
    sla_params_default(&p, tz);
    p.fcr_method = SLA_FCR_DISPOSITION;
    sla_period_t pd = {2026, 10, 5, 2026, 10, 5};
    /* resolved 1, 0, -1 on answered; 1 on an abandon -> 1 / 2 */
    c[0] = ans(D5 + 1, 1, 1, 0, 0, 0, 1, 0, "a");
    c[1] = ans(D5 + 2, 1, 1, 0, 0, 0, 0, 0, "a");
    c[2] = ans(D5 + 3, 1, 1, 0, 0, 0, -1, 0, "a");
    c[3] = ct(D5 + 4, SLA_ABANDONED, 30);
    c[3].resolved = 1;
    sla_result_t *r = run_c(&p, &pd, SLA_BY_DAY, c, 4);
    assert_int_equal(sla_result_total(r)->fcr_base, 2);
    assert_near(sla_result_total(r)->fcr, 0.5);
    assert_false(sla_result_total(r)->fcr_provisional);
    sla_result_free(r);
    /* nothing given: undefined */
    r = run_c(&p, &pd, SLA_BY_DAY, c + 2, 2);
    assert_true(isnan(sla_result_total(r)->fcr));
    sla_result_free(r);
    tz_free(tz);
}

/* America/New_York, November 2026.  DST ends Sun 11-01 at 02:00 EDT.
 *  11-01 starts 00:00 EDT = 04:00Z = NOV + 14400 = 1793505600
 *  11-02 starts 00:00 EST = 05:00Z = NOV + 86400 + 18000 = 1793595600
 *  -> 90000 s = 25 h = 50 half-hours; the month has 29 x 48 + 50 = 1442.
 *  12-01 starts 05:00Z = 1796083200 + 18000 = 1796101200.
 *  01:30 EDT = 05:30Z = 1793511000: 1.5 h into the day -> interval 3.
 *  01:30 EST = 06:30Z = 1793514600: 2.5 h into the day -> interval 5. */
static void test_dst_new_york(void **state)
{
    (void)state;
    tz_t *tz = load("America/New_York");
    sla_params_t p;
    sla_params_default(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 11);
    sla_contact_t c[5];
    c[0] = ans(INT64_C(1793511000), 5, 60, 0, 0, 0, -1, 0, "a");     /* 01:30 EDT */
    c[1] = ans(INT64_C(1793514600), 30, 60, 0, 0, 0, -1, 0, "a");    /* 01:30 EST */
    c[2] = ans(INT64_C(1793505600) - 1, 5, 60, 0, 0, 0, -1, 0, "a"); /* 10-31 23:59:59 */
    c[3] = ans(INT64_C(1796101200) - 1, 5, 60, 0, 0, 0, -1, 0, "a"); /* 11-30 23:59:59 */
    c[4] = ans(INT64_C(1796101200), 5, 60, 0, 0, 0, -1, 0, "a");     /* 12-01 00:00 */
    sla_result_t *r = run_c(&p, &pd, SLA_BY_INTERVAL, c, 5);
    assert_int_equal(sla_result_count(r), 1442);
    const sla_row_t *e = sla_result_row(r, 3), *s = sla_result_row(r, 5);
    assert_string_equal(e->key, "2026-11-01T01:30-04:00");
    assert_int_equal(e->offered, 1);
    assert_int_equal(e->answered_within, 1);
    assert_string_equal(s->key, "2026-11-01T01:30-05:00");
    assert_int_equal(s->offered, 1);
    assert_int_equal(s->answered_within, 0);
    assert_int_equal(sla_result_row(r, 4)->offered, 0); /* 01:00 EST */
    assert_string_equal(sla_result_row(r, 49)->label, "23:30");
    assert_int_equal(sla_result_row(r, 50)->start_utc, INT64_C(1793595600));
    assert_string_equal(sla_result_row(r, 50)->key, "2026-11-02T00:00-05:00");
    assert_int_equal(sla_result_row(r, 1441)->offered, 1); /* 11-30 23:30 */
    assert_int_equal(sla_result_total(r)->offered, 3);     /* c[2], c[4] outside */
    assert_int_equal(sla_result_total(r)->start_utc, INT64_C(1793505600));
    assert_int_equal(sla_result_total(r)->end_utc, INT64_C(1796101200));
    sla_result_free(r);
    r = run_c(&p, &pd, SLA_BY_DAY, c, 5);
    assert_int_equal(sla_result_count(r), 30);
    assert_int_equal(sla_result_row(r, 0)->end_utc - sla_result_row(r, 0)->start_utc, 90000);
    assert_int_equal(sla_result_row(r, 0)->offered, 2);
    assert_int_equal(sla_result_row(r, 1)->end_utc - sla_result_row(r, 1)->start_utc, 86400);
    sla_result_free(r);
    tz_free(tz);
}

/* Europe/Berlin, March 2026.  DST starts Sun 03-29 at 02:00 CET.
 *  03-29 starts 00:00 CET = 03-28 23:00Z = 1774742400 - 3600 = 1774738800
 *  03-30 starts 00:00 CEST = 03-29 22:00Z = 1774742400 + 79200 = 1774821600
 *  -> 82800 s = 23 h = 46 half-hours; the month has 30 x 48 + 46 = 1486.
 *  03-29 is day 28 -> its intervals are rows 28 x 48 = 1344 .. 1389.
 *  Interval 3 = 01:30 CET (00:30Z); interval 4 = 01:00Z = 03:00 CEST.
 *  Business hours Sunday 02:00-04:00: on 03-29 only 03:00 and 03:30. */
static void test_dst_berlin(void **state)
{
    (void)state;
    tz_t *tz = load("Europe/Berlin");
    sla_params_t p;
    sla_params_default(&p, tz);
    p.has_hours = true;
    p.hours[0].open_min = 2 * 60;
    p.hours[0].close_min = 4 * 60;
    p.sl_target = 0.5;
    sla_period_t pd;
    sla_period_month(&pd, 2026, 3);
    sla_contact_t c[3];
    c[0] = ans(INT64_C(1774742400) + 3599, 5, 60, 0, 0, 0, -1, 0, "a"); /* 01:59:59 CET */
    c[1] = ans(INT64_C(1774746000), 5, 60, 0, 0, 0, -1, 0, "a");        /* 03:00 CEST */
    c[2] = ans(INT64_C(1774747800), 50, 60, 0, 0, 0, -1, 0, "a");       /* 03:30 CEST */
    sla_result_t *r = run_c(&p, &pd, SLA_BY_INTERVAL, c, 3);
    assert_int_equal(sla_result_count(r), 1486);
    const sla_row_t *i3 = sla_result_row(r, 1347), *i4 = sla_result_row(r, 1348);
    assert_string_equal(i3->key, "2026-03-29T01:30+01:00");
    assert_int_equal(i3->offered, 1);
    assert_false(i3->business);
    assert_string_equal(i4->key, "2026-03-29T03:00+02:00");
    assert_int_equal(i4->index, 4);
    assert_int_equal(i4->offered, 1);
    assert_true(i4->business);
    assert_true(sla_result_row(r, 1349)->business);  /* 03:30 */
    assert_false(sla_result_row(r, 1350)->business); /* 04:00 */
    assert_string_equal(sla_result_row(r, 1389)->label, "23:30");
    assert_string_equal(sla_result_row(r, 1390)->key, "2026-03-30T00:00+02:00");
    /* Business intervals with contacts: 03:00 (1/1 met), 03:30 (0/1) plus
     * 02:00-04:00 on the other Sundays (empty) -> 1 / 2. */
    assert_int_equal(sla_result_total(r)->compliance_intervals, 2);
    assert_near(sla_result_total(r)->interval_compliance, 0.5);
    sla_result_free(r);
    /* 15-minute intervals: 92 on 03-29; 60-minute: 23. */
    p.interval_min = 15;
    r = run_c(&p, &pd, SLA_BY_INTERVAL, c, 3);
    assert_int_equal(sla_result_count(r), 30 * 96 + 92);
    sla_result_free(r);
    p.interval_min = 60;
    r = run_c(&p, &pd, SLA_BY_INTERVAL, c, 3);
    assert_int_equal(sla_result_count(r), 30 * 24 + 23);
    assert_string_equal(sla_result_row(r, 28 * 24 + 2)->key, "2026-03-29T03:00+02:00");
    sla_result_free(r);
    tz_free(tz);
}

/* Erlang C, the classic case: 100 contacts in a 30-minute interval, AHT
 * 180 s, 80 % within 20 s -> A = 100 / 1800 x 180 = 10 erlangs, 14 agents
 * (published in call-centre planning guides; test_erlang.c checks it
 * against the factorial formula).  10-05 09:00 holds them; 10:00 holds 100
 * overflows and no answered contact, so it uses the month's AHT (180) ->
 * 14 again; 11:00 is empty -> 0; a month without any answered contact
 * has no AHT -> undefined. */
static void test_erlang_interval(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t *c = calloc(200, sizeof *c);
    for (int i = 0; i < 100; i++) {
        c[i] = ans(D5 + HM(9, 0) + i * 18, 5, 150, 10, 20, 0, -1, 0, "a");
        c[100 + i] = ct(D5 + HM(10, 0) + i * 18, SLA_OVERFLOW, 40);
    }
    sla_params_t p;
    sla_params_default(&p, tz);
    p.sl_target = 0.8;
    sla_period_t pd = {2026, 10, 5, 2026, 10, 5};
    sla_result_t *r = run_c(&p, &pd, SLA_BY_INTERVAL, c, 200);
    assert_near(sla_result_row(r, 18)->aht_s, 180.0);
    assert_near(sla_result_row(r, 18)->required_agents, 14.0);
    assert_near(sla_result_row(r, 20)->required_agents, 14.0);
    assert_near(sla_result_row(r, 22)->required_agents, 0.0);
    sla_result_free(r);
    r = run_c(&p, &pd, SLA_BY_INTERVAL, c + 100, 100);
    assert_true(isnan(sla_result_row(r, 20)->required_agents));
    sla_result_free(r);
    p.sl_target = NAN;
    r = run_c(&p, &pd, SLA_BY_INTERVAL, c, 200);
    assert_true(isnan(sla_result_row(r, 18)->required_agents));
    sla_result_free(r);
    free(c);
    tz_free(tz);
}

/* Rollup rows of the main set, by hand (UTC 15-minute slots, T 20, short 5):
 *  08:45 a8          09:00 a1 a2        09:15 a3       09:30 a4
 *  09:45 a5 s1       10:00 a6 a7 b1     10:15 o1 */
static size_t main_rollups(sla_rollup_t *u)
{
    const sla_rollup_t z = {.queue = "sales", .sl_threshold_s = 20, .short_abandon_s = 5};
    size_t n = 0;
#define SLOT(h, m) ((D5 + HM(h, m)) * 1000000)
    u[n] = z; /* a8 */
    u[n].slot_us = SLOT(8, 45);
    u[n].answered_n = 1, u[n].answered_wait_sum = 40;
    u[n].talk_sum = 200, u[n].hold_sum = 20, u[n++].acw_sum = 20;
    u[n] = z; /* a1 a2 */
    u[n].slot_us = SLOT(9, 0);
    u[n].answered_n = 2, u[n].answered_within_n = 2, u[n].answered_wait_sum = 5;
    u[n].talk_sum = 250, u[n].hold_sum = 10, u[n].acw_sum = 40, u[n++].transferred_n = 1;
    u[n] = z; /* a3 */
    u[n].slot_us = SLOT(9, 15);
    u[n].answered_n = 1, u[n].answered_within_n = 1, u[n].answered_wait_sum = 10;
    u[n].talk_sum = 200, u[n].hold_sum = 20, u[n++].acw_sum = 20;
    u[n] = z; /* a4 */
    u[n].slot_us = SLOT(9, 30);
    u[n].answered_n = 1, u[n].answered_within_n = 1, u[n].answered_wait_sum = 20;
    u[n].talk_sum = 40, u[n++].acw_sum = 20;
    u[n] = z; /* a5 s1 */
    u[n].slot_us = SLOT(9, 45);
    u[n].answered_n = 1, u[n].answered_within_n = 1, u[n].answered_wait_sum = 15;
    u[n].talk_sum = 250, u[n].hold_sum = 30, u[n].acw_sum = 20, u[n].transferred_n = 1;
    u[n].abandoned_n = 1, u[n].abandoned_wait_sum = 3;
    u[n].short_abandoned_n = 1, u[n++].short_wait_sum = 3;
    u[n] = z; /* a6 a7 b1 */
    u[n].slot_us = SLOT(10, 0);
    u[n].answered_n = 2, u[n].answered_within_n = 1, u[n].answered_wait_sum = 39;
    u[n].talk_sum = 260, u[n].acw_sum = 40;
    u[n].abandoned_n = 1, u[n].abandoned_wait_sum = 12, u[n++].abandoned_within_n = 1;
    u[n] = z; /* o1 */
    u[n].slot_us = SLOT(10, 15);
    u[n].overflow_n = 1, u[n++].overflow_wait_sum = 60;
#undef SLOT
    return n;
}

static void test_rollups_match_contacts(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_rollup_t u[8];
    size_t nu = main_rollups(u);
    sla_params_t p;
    main_params(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    sla_result_t *r = run_r(&p, &pd, SLA_BY_MONTH, u, nu);
    const sla_row_t *t = sla_result_total(r);
    /* the same literals as test_main_set_totals */
    assert_int_equal(t->offered, 10);
    assert_int_equal(t->answered, 8);
    assert_int_equal(t->abandoned, 1);
    assert_int_equal(t->short_abandoned, 1);
    assert_int_equal(t->overflow, 1);
    assert_int_equal(t->answered_within, 6);
    assert_int_equal(t->abandoned_within, 1);
    assert_near(t->service_level, 0.6);
    assert_near(t->asa_s, 16.125);
    assert_near(t->avg_abandon_s, 12.0);
    assert_near(t->abandon_rate, 0.1);
    assert_near(t->answer_rate, 0.8);
    assert_near(t->aht_s, 180.0);
    assert_near(t->transfer_rate, 0.25);
    assert_near(t->interval_compliance, 2.0 / 3.0);
    /* contacts only */
    assert_true(isnan(t->max_wait_s));
    assert_true(isnan(t->wait_p90_s));
    assert_true(isnan(t->fcr));
    assert_true(isnan(t->csat));
    assert_true(isnan(t->csat_mean));
    sla_result_free(r);
    /* by interval: 10:00 offered 4, SL 0.25, as from contacts */
    r = run_r(&p, &pd, SLA_BY_INTERVAL, u, nu);
    const sla_row_t *i10 = sla_result_row(r, 4 * 48 + 20);
    assert_string_equal(i10->key, "2026-10-05T10:00+00:00");
    assert_int_equal(i10->offered, 4);
    assert_near(i10->service_level, 0.25);
    sla_result_free(r);
    /* agents need contacts; other thresholds need a rebuild */
    char err[200];
    sla_result_t *bad = NULL;
    assert_int_equal(sla_compute_rollups(&p, &pd, SLA_BY_AGENT, u, nu, &bad, err, sizeof err),
                     ST_ERR_INVALID);
    p.sl_threshold_s = 30;
    assert_int_equal(sla_compute_rollups(&p, &pd, SLA_BY_MONTH, u, nu, &bad, err, sizeof err),
                     ST_ERR_INVALID);
    assert_non_null(strstr(err, "rollup 0"));
    assert_null(bad);
    tz_free(tz);
}

/*
 * Grouping by contact reason (case type), worked by hand: T = 20 s, FCR by
 * disposition, good survey >= 4 (defaults).
 *   billing: w10 resolved csat 5; w30 not resolved csat 2; abandoned w40
 *            -> offered 3, answered 2, within 1: SL 1/3; FCR 1/2; CSAT 1/2
 *   tech:    w5 resolved csat 4 -> SL 1, FCR 1, CSAT 1
 *   none (NULL reason): w25, no disposition, no survey -> SL 0, FCR and CSAT
 *            undefined
 * Rows by name ("" first); the total counts all five: SL 2/5.  Rollups carry
 * no reason and refuse the grouping.
 */
static void test_by_reason(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_contact_t c[5];
    c[0] = ans(D5 + HM(9, 0), 10, 100, 0, 0, 0, 1, 5, "ann");
    c[1] = ans(D5 + HM(9, 5), 30, 100, 0, 0, 0, 0, 2, "bob");
    c[2] = ct(D5 + HM(9, 10), SLA_ABANDONED, 40);
    c[3] = ans(D5 + HM(9, 15), 5, 100, 0, 0, 0, 1, 4, "ann");
    c[4] = ans(D5 + HM(9, 20), 25, 100, 0, 0, 0, -1, 0, "bob");
    c[0].reason = c[1].reason = c[2].reason = "billing";
    c[3].reason = "tech";
    sla_params_t p;
    sla_params_default(&p, tz);
    p.sl_threshold_s = 20;
    p.fcr_method = SLA_FCR_DISPOSITION;
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    sla_result_t *r = run_c(&p, &pd, SLA_BY_REASON, c, 5);
    assert_int_equal(sla_result_count(r), 3);
    const sla_row_t *none = sla_result_row(r, 0), *bill = sla_result_row(r, 1),
                    *tech = sla_result_row(r, 2);
    assert_string_equal(none->key, "");
    assert_int_equal(none->offered, 1);
    assert_near(none->service_level, 0.0);
    assert_true(isnan(none->fcr) && isnan(none->csat));
    assert_string_equal(bill->key, "billing");
    assert_int_equal(bill->offered, 3);
    assert_int_equal(bill->answered, 2);
    assert_int_equal(bill->abandoned, 1);
    assert_int_equal(bill->answered_within, 1);
    assert_near(bill->service_level, 1.0 / 3.0);
    assert_near(bill->abandon_rate, 1.0 / 3.0);
    assert_near(bill->fcr, 0.5);
    assert_near(bill->csat, 0.5);
    assert_string_equal(tech->key, "tech");
    assert_near(tech->service_level, 1.0);
    assert_near(tech->fcr, 1.0);
    assert_near(tech->csat, 1.0);
    assert_int_equal(sla_result_total(r)->offered, 5);
    assert_near(sla_result_total(r)->service_level, 0.4);
    sla_result_free(r);
    sla_by_t by;
    assert_int_equal(sla_by_parse("reason", 6, &by), ST_OK);
    assert_int_equal(by, SLA_BY_REASON);
    assert_string_equal(sla_by_name(SLA_BY_REASON), "reason");
    assert_null(sla_by_name(SLA_BY_REASON + 1));
    sla_rollup_t u[8];
    size_t nu = main_rollups(u);
    char err[200];
    sla_result_t *bad = NULL;
    assert_int_equal(sla_compute_rollups(&p, &pd, SLA_BY_REASON, u, nu, &bad, err, sizeof err),
                     ST_ERR_INVALID);
    assert_non_null(strstr(err, "reasons need contacts"));
    tz_free(tz);
}

/* Rollup counts completed with the contact-only metrics of a narrow
 * contact read (no talk, hold, acw, transferred or agent): the literals of
 * test_main_set_totals, counts and AHT from the rollups. */
static void test_merge_rollups_with_contacts(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_rollup_t u[8];
    size_t nu = main_rollups(u);
    sla_contact_t c[16];
    size_t n = main_set(c);
    for (size_t i = 0; i < n; i++) {
        c[i].talk_s = c[i].hold_s = c[i].acw_s = c[i].transferred = 0;
        c[i].agent = "";
    }
    sla_params_t p;
    main_params(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    sla_by_t bys[2] = {SLA_BY_MONTH, SLA_BY_INTERVAL};
    sla_result_t *from_c[2], *from_r[2];
    char err[200] = "";
    assert_int_equal(sla_compute_contacts_many(&p, &pd, bys, 2, c, n, from_c, err, sizeof err),
                     ST_OK);
    for (int i = 0; i < 2; i++) {
        from_r[i] = run_r(&p, &pd, bys[i], u, nu);
        assert_int_equal(sla_result_merge_contacts(from_r[i], from_c[i], err, sizeof err), ST_OK);
    }
    const sla_row_t *t = sla_result_total(from_r[0]);
    assert_near(t->aht_s, 180.0);        /* from the rollups, not the zeroed contacts */
    assert_near(t->transfer_rate, 0.25); /* likewise */
    assert_near(t->max_wait_s, 60.0);    /* from the contacts */
    assert_near(t->wait_p90_s, 40.0);
    assert_near(t->fcr, 4.0 / 6.0);
    assert_near(t->csat, 0.6);
    assert_near(t->csat_mean, 3.6);
    assert_near(sla_result_row(from_r[0], 0)->max_wait_s, 60.0);
    /* Interval 10:00 {a6 a7 b1 o1}: max wait is o1's 60 s. */
    const sla_row_t *i10 = sla_result_row(from_r[1], 4 * 48 + 20);
    assert_string_equal(i10->key, "2026-10-05T10:00+00:00");
    assert_near(i10->max_wait_s, 60.0);
    for (int i = 0; i < 2; i++) {
        sla_result_free(from_r[i]);
        sla_result_free(from_c[i]);
    }
    /* A contact the rollups do not count (o1 dropped): refused, named. */
    sla_result_t *one = NULL, *r = run_r(&p, &pd, SLA_BY_DAY, u, nu);
    assert_int_equal(sla_compute_contacts(&p, &pd, SLA_BY_DAY, c, n - 1, &one, err, sizeof err),
                     ST_OK);
    assert_int_equal(sla_result_merge_contacts(r, one, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "2026-10-05"));
    sla_result_free(one);
    sla_result_free(r);
    tz_free(tz);
}

/* xorshift64: reproducible pseudo-random input for the property test. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The rollups of contacts as server/store/rollup.h's SQL builds them: one row
 * per (15-minute UTC slot, queue).  Written independently of sla_sums.c. */
static size_t build_rollups(const sla_contact_t *c, size_t n, int T, int sh, sla_rollup_t *u)
{
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t slot = c[i].offered_us - c[i].offered_us % 900000000;
        size_t k = 0;
        while (k < nu && !(u[k].slot_us == slot && strcmp(u[k].queue, c[i].queue) == 0))
            k++;
        if (k == nu) {
            memset(&u[nu], 0, sizeof u[nu]);
            u[nu].slot_us = slot;
            u[nu].queue = c[i].queue;
            u[nu].sl_threshold_s = T;
            u[nu++].short_abandon_s = sh;
        }
        sla_rollup_t *x = &u[k];
        int w = c[i].wait_s;
        if (c[i].outcome == SLA_ANSWERED) {
            x->answered_n++;
            x->answered_within_n += w <= T;
            x->answered_wait_sum += w;
            x->talk_sum += c[i].talk_s;
            x->hold_sum += c[i].hold_s;
            x->acw_sum += c[i].acw_s;
            x->transferred_n += c[i].transferred == 1;
        } else if (c[i].outcome == SLA_ABANDONED) {
            x->abandoned_n++;
            x->abandoned_wait_sum += w;
            x->abandoned_within_n += w >= sh && w <= T;
            x->short_abandoned_n += w < sh;
            x->short_wait_sum += w < sh ? w : 0;
        } else {
            x->overflow_n++;
            x->overflow_wait_sum += w;
        }
    }
    return nu;
}

/* Count fields of two rows are equal; the ratio metrics too (the same
 * integers divided the same way). */
static void assert_rows_agree(const sla_row_t *a, const sla_row_t *b)
{
    assert_string_equal(a->key, b->key);
    assert_int_equal(a->offered, b->offered);
    assert_int_equal(a->answered, b->answered);
    assert_int_equal(a->abandoned, b->abandoned);
    assert_int_equal(a->short_abandoned, b->short_abandoned);
    assert_int_equal(a->overflow, b->overflow);
    assert_int_equal(a->answered_within, b->answered_within);
    assert_int_equal(a->abandoned_within, b->abandoned_within);
    assert_int_equal(a->transferred, b->transferred);
    assert_int_equal(a->compliance_intervals, b->compliance_intervals);
    assert_int_equal(a->compliance_met, b->compliance_met);
    const double x[] = {a->service_level,  a->asa_s, a->avg_abandon_s, a->abandon_rate,
                        a->answer_rate,    a->aht_s, a->transfer_rate, a->interval_compliance,
                        a->required_agents};
    const double y[] = {b->service_level,  b->asa_s, b->avg_abandon_s, b->abandon_rate,
                        b->answer_rate,    b->aht_s, b->transfer_rate, b->interval_compliance,
                        b->required_agents};
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        assert_true((isnan(x[i]) && isnan(y[i])) || x[i] == y[i]);
}

/* Property: for random contacts in a DST month (New York, November 2026),
 * the rollup path equals the contact path for every grouping, and the
 * counts of the month equal the sums of its days and of its intervals. */
static void test_property_rollups_and_days(void **state)
{
    (void)state;
    tz_t *tz = load("America/New_York");
    enum { N = 3000 };
    sla_contact_t *c = calloc(N, sizeof *c);
    sla_rollup_t *u = calloc(N, sizeof *u);
    static const char *const queues[] = {"q1", "q2", "q3"};
    static const char *const customers[] = {"", "k1", "k2", "k3", "k4", "k5", "k6", "k7"};
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < N; i++) {
        /* 10-31 00:00Z .. 12-02 00:00Z: some contacts fall outside */
        int64_t t = NOV - 86400 + (int64_t)(rnd(&seed) % (32 * 86400));
        int outcome = 1 + (int)(rnd(&seed) % 3);
        int wait = (int)(rnd(&seed) % 60);
        c[i] = outcome == SLA_ANSWERED
                   ? ans(t, wait, (int)(rnd(&seed) % 600), (int)(rnd(&seed) % 60),
                         (int)(rnd(&seed) % 60), (int)(rnd(&seed) % 2), -1, 0, "a")
                   : ct(t, outcome, wait);
        c[i].queue = queues[rnd(&seed) % 3];
        c[i].customer_id = customers[rnd(&seed) % 8];
    }
    sla_params_t p;
    sla_params_default(&p, tz);
    p.sl_target = 0.8;
    p.has_hours = true;
    for (int d = 1; d < 6; d++)
        p.hours[d] = (sla_hours_t){8 * 60, 20 * 60};
    size_t nu = build_rollups(c, N, p.sl_threshold_s, p.short_abandon_s, u);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 11);
    const sla_by_t bys[] = {SLA_BY_MONTH, SLA_BY_DAY, SLA_BY_INTERVAL, SLA_BY_QUEUE};
    for (size_t b = 0; b < sizeof bys / sizeof bys[0]; b++) {
        sla_result_t *rc = run_c(&p, &pd, bys[b], c, N);
        sla_result_t *rr = run_r(&p, &pd, bys[b], u, nu);
        assert_int_equal(sla_result_count(rc), sla_result_count(rr));
        for (size_t i = 0; i < sla_result_count(rc); i++)
            assert_rows_agree(sla_result_row(rc, i), sla_result_row(rr, i));
        assert_rows_agree(sla_result_total(rc), sla_result_total(rr));
        /* the sum over the rows equals the total, for every count */
        sla_row_t s = {0};
        for (size_t i = 0; i < sla_result_count(rc); i++) {
            const sla_row_t *x = sla_result_row(rc, i);
            s.offered += x->offered, s.answered += x->answered;
            s.abandoned += x->abandoned, s.short_abandoned += x->short_abandoned;
            s.answered_within += x->answered_within, s.overflow += x->overflow;
            s.fcr_base += x->fcr_base, s.fcr_resolved += x->fcr_resolved;
            s.compliance_intervals += x->compliance_intervals;
            s.compliance_met += x->compliance_met;
        }
        const sla_row_t *t = sla_result_total(rc);
        assert_true(t->offered > 2000); /* most of the 3000 are inside */
        assert_int_equal(s.offered, t->offered);
        assert_int_equal(s.answered, t->answered);
        assert_int_equal(s.abandoned, t->abandoned);
        assert_int_equal(s.short_abandoned, t->short_abandoned);
        assert_int_equal(s.answered_within, t->answered_within);
        assert_int_equal(s.overflow, t->overflow);
        assert_int_equal(s.fcr_base, t->fcr_base);
        assert_int_equal(s.fcr_resolved, t->fcr_resolved);
        if (bys[b] != SLA_BY_QUEUE) { /* queue compliance is per queue */
            assert_int_equal(s.compliance_intervals, t->compliance_intervals);
            assert_int_equal(s.compliance_met, t->compliance_met);
        }
        sla_result_free(rc);
        sla_result_free(rr);
    }
    free(u);
    free(c);
    tz_free(tz);
}

static void test_invalid_input(void **state)
{
    (void)state;
    tz_t *tz = load("Etc/UTC");
    sla_params_t p;
    sla_params_default(&p, tz);
    sla_period_t pd;
    sla_period_month(&pd, 2026, 10);
    sla_contact_t c = ct(D5, SLA_ANSWERED, 3);
    sla_result_t *r = NULL;
    char err[200];
    /* an outcome that is none of the three */
    c.outcome = 7;
    assert_int_equal(sla_compute_contacts(&p, &pd, SLA_BY_DAY, &c, 1, &r, err, sizeof err),
                     ST_ERR_INVALID);
    assert_non_null(strstr(err, "contact 0: unknown outcome"));
    c = ct(D5, SLA_ABANDONED, -1);
    assert_int_equal(sla_compute_contacts(&p, &pd, SLA_BY_DAY, &c, 1, &r, err, sizeof err),
                     ST_ERR_INVALID);
    c = ct(D5, SLA_ABANDONED, 1);
    p.interval_min = 20;
    assert_int_equal(sla_compute_contacts(&p, &pd, SLA_BY_DAY, &c, 1, &r, err, sizeof err),
                     ST_ERR_INVALID);
    p.interval_min = 30;
    p.sl_target = 1.5;
    assert_int_equal(sla_compute_contacts(&p, &pd, SLA_BY_DAY, &c, 1, &r, err, sizeof err),
                     ST_ERR_INVALID);
    p.sl_target = NAN;
    sla_period_t back = {2026, 10, 5, 2026, 10, 4};
    assert_int_equal(sla_compute_contacts(&p, &back, SLA_BY_DAY, &c, 1, &r, err, sizeof err),
                     ST_ERR_INVALID);
    sla_period_t bad = {2026, 2, 29, 2026, 3, 1};
    assert_int_equal(sla_compute_contacts(&p, &bad, SLA_BY_DAY, &c, 1, &r, err, sizeof err),
                     ST_ERR_INVALID);
    sla_period_t longp = {2020, 1, 1, 2026, 1, 1};
    assert_int_equal(sla_compute_contacts(&p, &longp, SLA_BY_DAY, &c, 1, &r, err, sizeof err),
                     ST_ERR_TOO_LARGE);
    assert_null(r);
    /* no rows at all: every ratio undefined, counts 0 */
    r = run_c(&p, &pd, SLA_BY_QUEUE, NULL, 0);
    assert_int_equal(sla_result_count(r), 0);
    assert_int_equal(sla_result_total(r)->offered, 0);
    assert_true(isnan(sla_result_total(r)->service_level));
    assert_true(isnan(sla_result_total(r)->csat_mean));
    sla_result_free(r);
    sla_result_free(NULL);
    tz_free(tz);
}

/* Periods and groupings as users write them, worked by hand. */
static void test_period_and_by_parse(void **state)
{
    (void)state;
    sla_period_t p;
    char err[128];
    /* A month is its first to its last day: February 2026 has 28, 2024 has 29. */
    assert_int_equal(sla_period_parse("2026-02", "2026-02", &p, err, sizeof err), ST_OK);
    assert_true(p.from_y == 2026 && p.from_m == 2 && p.from_d == 1);
    assert_true(p.to_y == 2026 && p.to_m == 2 && p.to_d == 28);
    assert_int_equal(sla_period_parse("2024-02", "2024-02", &p, err, sizeof err), ST_OK);
    assert_int_equal(p.to_d, 29);
    /* A day to a month: 5 Oct to 30 Nov. */
    assert_int_equal(sla_period_parse("2026-10-05", "2026-11", &p, err, sizeof err), ST_OK);
    assert_true(p.from_d == 5 && p.to_m == 11 && p.to_d == 30);
    assert_int_equal(sla_period_parse("2026-13", "2026-13", &p, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "from: a local date YYYY-MM-DD or a month YYYY-MM");
    assert_int_equal(sla_period_parse("2026-10", "2026-10-32", &p, err, sizeof err),
                     ST_ERR_INVALID);
    assert_string_equal(err, "to: a local date YYYY-MM-DD or a month YYYY-MM");
    assert_int_equal(sla_period_parse("2026-10-05x", "2026-10", &p, err, sizeof err),
                     ST_ERR_INVALID);
    assert_int_equal(sla_period_parse("2026-10-02", "2026-10-01", &p, err, sizeof err),
                     ST_ERR_INVALID);
    assert_string_equal(err, "to is before from");
    assert_int_equal(sla_period_parse(NULL, "2026-10", &p, err, sizeof err), ST_ERR_INVALID);
    sla_by_t by = SLA_BY_MONTH;
    assert_int_equal(sla_by_parse("interval", 8, &by), ST_OK);
    assert_int_equal(by, SLA_BY_INTERVAL);
    assert_int_equal(sla_by_parse("agent,day", 5, &by), ST_OK); /* only the first 5 bytes */
    assert_int_equal(by, SLA_BY_AGENT);
    assert_int_equal(sla_by_parse("inspector", 9, &by), ST_ERR_INVALID);
    assert_int_equal(sla_by_parse("da", 2, &by), ST_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_set_totals),
        cmocka_unit_test(test_sl_formulas),
        cmocka_unit_test(test_threshold_inclusive_and_short_off),
        cmocka_unit_test(test_by_agent_queue_and_compliance_variants),
        cmocka_unit_test(test_by_interval_and_day),
        cmocka_unit_test(test_p90_nearest_rank),
        cmocka_unit_test(test_fcr_repeat_across_month_end),
        cmocka_unit_test(test_fcr_disposition),
        cmocka_unit_test(test_dst_new_york),
        cmocka_unit_test(test_dst_berlin),
        cmocka_unit_test(test_erlang_interval),
        cmocka_unit_test(test_rollups_match_contacts),
        cmocka_unit_test(test_merge_rollups_with_contacts),
        cmocka_unit_test(test_by_reason),
        cmocka_unit_test(test_period_and_by_parse),
        cmocka_unit_test(test_property_rollups_and_days),
        cmocka_unit_test(test_invalid_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
