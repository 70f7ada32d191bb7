/*
 * Unit tests for reports/qa_metrics.c.  Every expected value is worked out
 * by hand in the comment above it; t quantiles are from the standard
 * Student t table (t(0.975, 1) = 12.7062047362, t(0.975, 2) =
 * 4.302652729749464, t(0.975, 5) = 2.5705818356, t(0.975, 9) = 2.262157,
 * t(0.975, 10) = 2.228139, t(0.975, 19) = 2.093024, t(0.975, 20) =
 * 2.085963).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "qa_metrics.h"
#include "status.h"

#define EPS 1e-6
#define H   INT64_C(3600000000) /* microseconds in an hour */
#define END (720 * H)           /* the period is [0, 720 h) */

/* cmocka's assert_float_equal works in float; scores need double. */
#define assert_near(a, b) near_at((a), (b), __FILE__, __LINE__)
static void near_at(double a, double b, const char *file, int line)
{
    if (!(fabs(a - b) <= EPS)) {
        print_error("%.9f is not %.9f within %g\n", a, b, EPS);
        _fail(file, line);
    }
}

#define assert_nan(a) assert_true(isnan(a))

/* An evaluation in the period of `call` by `agent` with a final `score`. */
static qa_metrics_eval_t ev(const char *call, const char *agent, double score)
{
    qa_metrics_eval_t e;
    memset(&e, 0, sizeof e);
    e.evaluation_id = call;
    e.call_id = call;
    e.agent_id = agent;
    e.inspector_id = "insp";
    e.evaluated_us = 100 * H;
    e.score = score;
    e.contact_known = true;
    e.ended_us = 90 * H;
    return e;
}

static qa_metrics_params_t params(void)
{
    qa_metrics_params_t p = {85, 5, 0, END};
    return p;
}

/*
 * Data set A, pass mark 85, precision 5:
 *   a1: c1 80 (fatal), c2 90, c3 60 overturned to 100  -> finals 80 90 100
 *       plus one evaluation at END and one before 0 (both outside)
 *   a2: c4 70, appeal upheld                            -> final 70
 *   a3: c5 85 and c5 again 95 (one contact twice)
 *   a4: no evaluations, 5 answered
 * answered: a1 10, a2 4, a3 0, a4 5; tenant 19.
 */
static void data_a(qa_metrics_eval_t *e, qa_metrics_agent_t *ag, qa_metrics_input_t *in)
{
    e[0] = ev("c1", "a1", 80);
    e[0].fatal = true;
    e[1] = ev("c2", "a1", 90);
    e[2] = ev("c3", "a1", 60);
    e[2].appeal = QA_METRICS_APPEAL_OVERTURNED;
    e[2].new_score = 100;
    e[3] = ev("c4", "a2", 70);
    e[3].appeal = QA_METRICS_APPEAL_UPHELD;
    e[3].new_score = 5; /* ignored: upheld */
    e[4] = ev("c5", "a3", 85);
    e[5] = ev("c5", "a3", 95);
    e[6] = ev("c6", "a1", 0);
    e[6].evaluated_us = END; /* first instant after the period */
    e[7] = ev("c7", "a1", 0);
    e[7].evaluated_us = -1; /* just before it */
    qa_metrics_agent_t a[4] = {
        {"a4", 5, 0, NAN}, {"a1", 10, 0, NAN}, {"a2", 4, 0, NAN}, {"a3", 0, 0, NAN}};
    memcpy(ag, a, sizeof a);
    memset(in, 0, sizeof *in);
    in->evals = e;
    in->n_evals = 8;
    in->agents = ag;
    in->n_agents = 4;
    in->tenant_answered = 19;
    in->params = params();
}

static void test_final_score(void **state)
{
    (void)state;
    qa_metrics_eval_t e = ev("c", "a", 60);
    e.new_score = 100;
    assert_near(qa_metrics_final_score(&e), 60); /* no appeal */
    e.appeal = QA_METRICS_APPEAL_PENDING;
    assert_near(qa_metrics_final_score(&e), 60);
    e.appeal = QA_METRICS_APPEAL_UPHELD;
    assert_near(qa_metrics_final_score(&e), 60);
    e.appeal = QA_METRICS_APPEAL_OVERTURNED;
    assert_near(qa_metrics_final_score(&e), 100);
}

/* a1: n = 3, the t interval with t(0.975, 2). */
static void test_agent_n3_interval(void **state)
{
    (void)state;
    qa_metrics_eval_t e[8];
    qa_metrics_agent_t ag[4];
    qa_metrics_input_t in;
    qa_metrics_result_t r;
    data_a(e, ag, &in);
    assert_int_equal(qa_metrics_compute(&in, &r, NULL, 0), ST_OK);
    assert_int_equal(r.n_agents, 4);
    const qa_metrics_row_t *a1 = &r.agents[0];
    assert_string_equal(a1->agent_id, "a1");
    assert_int_equal(a1->evaluations, 3); /* the two outside the period are left out */
    assert_int_equal(a1->evaluated_contacts, 3);
    /* mean (80 + 90 + 100) / 3 = 90 (the overturned 60 counts as 100) */
    assert_near(a1->qa_score, 90);
    /* >= 85: 90 and 100 -> 2/3 */
    assert_near(a1->qa_pass_rate, 2.0 / 3);
    assert_near(a1->fatal_rate, 1.0 / 3);
    assert_near(a1->qa_coverage, 0.3); /* 3 contacts / 10 answered */
    /* s = sqrt((100 + 0 + 100) / 2) = 10 */
    assert_near(a1->sd, 10);
    /* hw = 4.302652729749464 x 10 / sqrt(3) = 43.02652729749464 / 1.7320508075688772
     *    = 24.841377117503 */
    assert_near(a1->precision.half_width, 24.841377117503);
    assert_near(a1->ci_low, 90 - 24.841377117503);
    assert_near(a1->ci_high, 90 + 24.841377117503);
    assert_true(a1->precision.flagged); /* 24.84 > 5 */
    /* needed n for s = 10, precision 5: n = 17 gives t(16) 10 / sqrt 17 =
     * 2.119905 x 2.425356 = 5.1415 > 5; n = 18 gives 2.109816 x 2.357023 =
     * 4.9729 <= 5 -> 18 */
    assert_int_equal(a1->precision.needed_n, 18);
    qa_metrics_result_clear(&r);
}

/* a2 (n = 1) and a3 (n = 2, one contact twice), a4 (no evaluations). */
static void test_small_agents(void **state)
{
    (void)state;
    qa_metrics_eval_t e[8];
    qa_metrics_agent_t ag[4];
    qa_metrics_input_t in;
    qa_metrics_result_t r;
    data_a(e, ag, &in);
    assert_int_equal(qa_metrics_compute(&in, &r, NULL, 0), ST_OK);
    const qa_metrics_row_t *a2 = &r.agents[1], *a3 = &r.agents[2], *a4 = &r.agents[3];
    assert_string_equal(a2->agent_id, "a2");
    assert_int_equal(a2->evaluations, 1);
    assert_near(a2->qa_score, 70); /* upheld: the score stands */
    assert_near(a2->qa_pass_rate, 0);
    assert_near(a2->fatal_rate, 0);
    assert_near(a2->qa_coverage, 0.25); /* 1 / 4 */
    assert_nan(a2->sd);                 /* n < 2 */
    assert_nan(a2->precision.half_width);
    assert_nan(a2->ci_low);
    assert_true(a2->precision.flagged); /* n < 2 is always flagged */
    assert_int_equal(a2->precision.needed_n, 0);

    assert_string_equal(a3->agent_id, "a3");
    assert_int_equal(a3->evaluations, 2);
    assert_int_equal(a3->evaluated_contacts, 1); /* c5 twice */
    assert_near(a3->qa_score, 90);
    assert_near(a3->qa_pass_rate, 1); /* 85 >= 85 inclusive, 95 */
    assert_nan(a3->qa_coverage);      /* 0 answered: undefined, not 0 */
    /* s = sqrt(25 + 25) = 7.0710678; hw = 12.7062047362 x s / sqrt 2
     *   = 12.7062047362 x 5 = 63.531023681 */
    assert_near(a3->precision.half_width, 63.531023681);
    assert_true(a3->precision.flagged);
    /* n = 10: 2.262157 x 7.0710678 / 3.1622777 = 5.0584 > 5;
     * n = 11: 2.228139 x 7.0710678 / 3.3166248 = 4.7504 <= 5 -> 11 */
    assert_int_equal(a3->precision.needed_n, 11);

    assert_string_equal(a4->agent_id, "a4");
    assert_int_equal(a4->evaluations, 0);
    assert_nan(a4->qa_score);
    assert_nan(a4->qa_pass_rate);
    assert_nan(a4->fatal_rate);
    assert_near(a4->qa_coverage, 0); /* 0 evaluated of 5 answered: a real 0 */
    assert_true(a4->precision.flagged);
    qa_metrics_result_clear(&r);
}

/* The tenant row of data set A. */
static void test_tenant_row(void **state)
{
    (void)state;
    qa_metrics_eval_t e[8];
    qa_metrics_agent_t ag[4];
    qa_metrics_input_t in;
    qa_metrics_result_t r;
    data_a(e, ag, &in);
    assert_int_equal(qa_metrics_compute(&in, &r, NULL, 0), ST_OK);
    const qa_metrics_row_t *t = &r.tenant;
    assert_null(t->agent_id);
    assert_int_equal(t->evaluations, 6);
    assert_int_equal(t->evaluated_contacts, 5); /* c1..c5 */
    /* (80 + 90 + 100 + 70 + 85 + 95) / 6 = 520 / 6 */
    assert_near(t->qa_score, 520.0 / 6);
    assert_near(t->qa_pass_rate, 4.0 / 6); /* 90 100 85 95 */
    assert_near(t->fatal_rate, 1.0 / 6);
    assert_near(t->qa_coverage, 5.0 / 19);
    /* sum x^2 = 6400+8100+10000+4900+7225+9025 = 45650; 520^2/6 = 45066.667;
     * var = 583.333 / 5 = 116.667; s = 10.801234497 */
    assert_near(t->sd, 10.801234497);
    /* hw = 2.5705818356 x 10.801234497 / sqrt 6 = 11.335200436 */
    assert_near(t->precision.half_width, 11.335200436);
    assert_true(t->precision.flagged);
    /* n = 20: 2.093024 x 10.801234 / 4.472136 = 5.0551 > 5;
     * n = 21: 2.085963 x 10.801234 / 4.582576 = 4.9167 <= 5 -> 21 */
    assert_int_equal(t->precision.needed_n, 21);
    qa_metrics_result_clear(&r);
}

/* A tight sample (89, 90, 91) is not flagged. */
static void test_precision_not_flagged(void **state)
{
    (void)state;
    qa_metrics_eval_t e[3] = {ev("c1", "a", 89), ev("c2", "a", 90), ev("c3", "a", 91)};
    qa_metrics_input_t in;
    memset(&in, 0, sizeof in);
    in.evals = e;
    in.n_evals = 3;
    in.params = params();
    qa_metrics_result_t r;
    assert_int_equal(qa_metrics_compute(&in, &r, NULL, 0), ST_OK);
    /* s = 1; hw = 4.302652729749464 / sqrt 3 = 2.484137712 <= 5: not flagged */
    assert_near(r.agents[0].precision.half_width, 2.484137712);
    assert_false(r.agents[0].precision.flagged);
    assert_nan(r.agents[0].qa_coverage); /* no agent row: 0 answered */
    assert_nan(r.tenant.qa_coverage);
    qa_metrics_result_clear(&r);
}

/*
 * Pearson over contacts: pairs (QA, csat) = (60, 2) [c1 evaluated twice: 50
 * and 70, mean 60], (70, 3), (80, 3), (90, 5); c5 has no survey.
 * x mean 75, dx -15 -5 5 15; y mean 3.25, dy -1.25 -0.25 -0.25 1.75.
 * Sxy = 18.75 + 1.25 - 1.25 + 26.25 = 45; Sxx = 500; Syy = 4.75.
 * r = 45 / sqrt(2375) = 0.923380517; n = 4 < 10: too few pairs.
 */
static void test_pearson_few_pairs(void **state)
{
    (void)state;
    qa_metrics_eval_t e[6] = {ev("c1", "a", 50), ev("c1", "a", 70), ev("c2", "a", 70),
                              ev("c3", "b", 80), ev("c4", "b", 90), ev("c5", "b", 10)};
    double csat[5] = {2, 2, 3, 3, 5};
    for (size_t i = 0; i < 5; i++) {
        e[i].has_csat = true;
        e[i].csat = csat[i];
    }
    qa_metrics_input_t in;
    memset(&in, 0, sizeof in);
    in.evals = e;
    in.n_evals = 6;
    in.params = params();
    qa_metrics_result_t r;
    assert_int_equal(qa_metrics_compute(&in, &r, NULL, 0), ST_OK);
    assert_int_equal(r.pearson.n, 4);
    assert_near(r.pearson.r, 0.923380517);
    assert_true(r.pearson.too_few);
    qa_metrics_result_clear(&r);
}

/* Ten pairs on a line (QA 50 + 5k, csat 1 + 0.4k): r = 1, not marked. */
static void test_pearson_ten_pairs(void **state)
{
    (void)state;
    static const char *calls[10] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"};
    qa_metrics_eval_t e[10];
    for (int k = 0; k < 10; k++) {
        e[k] = ev(calls[k], "a", 50 + 5 * k);
        e[k].has_csat = true;
        e[k].csat = 1 + 0.4 * k;
    }
    qa_metrics_input_t in;
    memset(&in, 0, sizeof in);
    in.evals = e;
    in.n_evals = 10;
    in.params = params();
    qa_metrics_result_t r;
    assert_int_equal(qa_metrics_compute(&in, &r, NULL, 0), ST_OK);
    assert_int_equal(r.pearson.n, 10);
    assert_near(r.pearson.r, 1);
    assert_false(r.pearson.too_few);
    qa_metrics_result_clear(&r);
}

/*
 * Spearman over agents with >= 5 evaluations and >= 5 surveys:
 *   b1 5 x 70, csat 0.5 | b2 5 x 80, 0.7 | b3 5 x 90, 0.6 | b4 5 x 95, 0.9
 *   b5 4 x 10, 0.99 (4 evaluations: out) | b6 5 x 99, 0.1 (4 surveys: out)
 * ranks qa 1 2 3 4, csat 1 3 2 4: d = 0 -1 1 0, sum d^2 = 2,
 * rho = 1 - 6 x 2 / (4 x 15) = 0.8, n = 4.
 */
static void test_spearman_threshold(void **state)
{
    (void)state;
    static const char *names[6] = {"b1", "b2", "b3", "b4", "b5", "b6"};
    static const char *calls[30] = {"x00", "x01", "x02", "x03", "x04", "x05", "x06", "x07",
                                    "x08", "x09", "x10", "x11", "x12", "x13", "x14", "x15",
                                    "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
                                    "x24", "x25", "x26", "x27", "x28", "x29"};
    const double score[6] = {70, 80, 90, 95, 10, 99};
    const size_t count[6] = {5, 5, 5, 5, 4, 5};
    qa_metrics_agent_t ag[6] = {{"b1", 10, 5, 0.5}, {"b2", 10, 6, 0.7},  {"b3", 10, 5, 0.6},
                                {"b4", 10, 9, 0.9}, {"b5", 10, 9, 0.99}, {"b6", 10, 4, 0.1}};
    qa_metrics_eval_t e[30];
    size_t n = 0;
    for (size_t a = 0; a < 6; a++) {
        for (size_t k = 0; k < count[a]; k++) {
            e[n] = ev(calls[n], names[a], score[a]);
            n++;
        }
    }
    qa_metrics_input_t in;
    memset(&in, 0, sizeof in);
    in.evals = e;
    in.n_evals = n;
    in.agents = ag;
    in.n_agents = 6;
    in.params = params();
    qa_metrics_result_t r;
    assert_int_equal(qa_metrics_compute(&in, &r, NULL, 0), ST_OK);
    assert_int_equal(r.spearman.n, 4);
    assert_near(r.spearman.r, 0.8);
    assert_true(r.spearman.too_few);
    assert_int_equal(r.pearson.n, 0); /* no contact has a survey */
    assert_nan(r.pearson.r);
    qa_metrics_result_clear(&r);
}

/* Refused input leaves an empty result. */
static void test_invalid(void **state)
{
    (void)state;
    qa_metrics_eval_t e[8];
    qa_metrics_agent_t ag[4];
    qa_metrics_input_t in;
    qa_metrics_result_t r;
    char err[200] = "";
    data_a(e, ag, &in);
    ag[3].agent_id = "a1"; /* listed twice */
    assert_int_equal(qa_metrics_compute(&in, &r, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "twice"));
    assert_null(r.agents);
    data_a(e, ag, &in);
    in.params.precision_pts = 0;
    assert_int_equal(qa_metrics_compute(&in, &r, err, sizeof err), ST_ERR_INVALID);
    data_a(e, ag, &in);
    e[2].new_score = 101; /* overturned to an impossible score */
    assert_int_equal(qa_metrics_compute(&in, &r, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "new_score"));
    data_a(e, ag, &in);
    e[0].score = NAN;
    assert_int_equal(qa_metrics_compute(&in, &r, err, sizeof err), ST_ERR_INVALID);
    qa_metrics_result_clear(NULL);
}

/*
 * The stream, fed in call_id order by hand: c1 (a1 80, a2 90), c2 (a1 70,
 * a1 100), c3 (a2 60).  a1: 3 evaluations of 2 contacts (c1, c2), mean
 * 250 / 3 = 83.333333; a2: 2 of 2, mean 75; tenant: 5 evaluations of 3
 * contacts, mean 400 / 5 = 80.  An id given by the caller is copied: the
 * row keeps "a1" after the caller's buffer changes.  A call_id going back
 * ("c2" after "c3") is refused: the contact counts would be wrong.
 */
static void test_stream_order(void **state)
{
    (void)state;
    qa_metrics_params_t p = params();
    qa_metrics_stream_t *s = NULL;
    char err[200];
    assert_int_equal(qa_metrics_stream_new(NULL, 0, 0, &p, &s, err, sizeof err), ST_OK);
    char agent[8];
    const struct {
        const char *call, *agent;
        double score;
    } rows[] = {
        {"c1", "a1", 80}, {"c1", "a2", 90}, {"c2", "a1", 70}, {"c2", "a1", 100}, {"c3", "a2", 60}};
    for (size_t i = 0; i < 5; i++) {
        strcpy(agent, rows[i].agent);
        qa_metrics_eval_t e = ev(rows[i].call, agent, rows[i].score);
        assert_int_equal(qa_metrics_stream_add(s, &e, err, sizeof err), ST_OK);
    }
    strcpy(agent, "zz");
    qa_metrics_eval_t back = ev("c2", "a1", 50);
    assert_int_equal(qa_metrics_stream_add(s, &back, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "not in order"));
    qa_metrics_result_t r;
    assert_int_equal(qa_metrics_stream_finish(s, &r), ST_OK);
    qa_metrics_stream_free(s);
    assert_int_equal(r.n_agents, 2);
    assert_string_equal(r.agents[0].agent_id, "a1");
    assert_int_equal(r.agents[0].evaluations, 3);
    assert_int_equal(r.agents[0].evaluated_contacts, 2);
    assert_near(r.agents[0].qa_score, 250.0 / 3);
    assert_string_equal(r.agents[1].agent_id, "a2");
    assert_int_equal(r.agents[1].evaluated_contacts, 2);
    assert_near(r.agents[1].qa_score, 75);
    assert_int_equal(r.tenant.evaluations, 5);
    assert_int_equal(r.tenant.evaluated_contacts, 3);
    assert_near(r.tenant.qa_score, 80);
    qa_metrics_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_score),
        cmocka_unit_test(test_agent_n3_interval),
        cmocka_unit_test(test_small_agents),
        cmocka_unit_test(test_tenant_row),
        cmocka_unit_test(test_precision_not_flagged),
        cmocka_unit_test(test_pearson_few_pairs),
        cmocka_unit_test(test_pearson_ten_pairs),
        cmocka_unit_test(test_spearman_threshold),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_stream_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
