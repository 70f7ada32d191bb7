/*
 * Unit tests for reports/inspector.c.  One hand-worked data set (3 listed
 * inspectors with evaluations, 10 evaluations in the period, 2 calibration
 * sessions in it, 2 appeals decided of which 1 overturned); every expected
 * value is worked out in the comment above it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "inspector.h"
#include "qa_form.h"
#include "status.h"
#include "xmem.h"

#define EPS 1e-6
#define H   INT64_C(3600000000) /* microseconds in an hour */
#define END (720 * H)           /* the period is [0, 720 h) */

/* cmocka's assert_float_equal works in float; metrics need double. */
#define assert_near(a, b) near_at((a), (b), __FILE__, __LINE__)
static void near_at(double a, double b, const char *file, int line)
{
    if (!(fabs(a - b) <= EPS)) {
        print_error("%.9f is not %.9f within %g\n", a, b, EPS);
        _fail(file, line);
    }
}

#define assert_nan(a) assert_true(isnan(a))

/*
 * Form F (as in test_qa_records.c): a1 (max 1), a2 (max 5), b1 (max 1),
 * b2 (max 2), b3 (max 1, critical), in that item order.
 */
static qa_form_t *form_f(void)
{
    static const char q[] =
        "{'form_id':'inbound','version':3,'pass_mark':85,'sections':["
        "{'id':'A','name':'Opening','weight':2,'items':["
        "{'id':'a1','name':'Greets','max':1},{'id':'a2','name':'Empathy','max':5}]},"
        "{'id':'B','name':'Compliance','weight':1,'items':["
        "{'id':'b1','name':'Verifies ID','max':1},{'id':'b2','name':'Explains','max':2},"
        "{'id':'b3','name':'Disclosure','max':1,'critical':true}]}]}";
    char *s = xstrdup(q);
    for (char *p = s; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    qa_form_t *f = NULL;
    assert_int_equal(qa_form_parse(s, strlen(s), &f, NULL, 0), ST_OK);
    free(s);
    return f;
}

/* An evaluation in the period: contact ended at 10 h, evaluated lag_h later. */
static qa_metrics_eval_t ev(const char *id, const char *insp, double score, int lag_h)
{
    qa_metrics_eval_t e;
    memset(&e, 0, sizeof e);
    e.evaluation_id = id;
    e.call_id = id;
    e.agent_id = "agent";
    e.inspector_id = insp;
    e.score = score;
    e.contact_known = true;
    e.ended_us = 10 * H;
    e.evaluated_us = e.ended_us + lag_h * H;
    return e;
}

/* Everything the data set borrows, kept alive for one test. */
typedef struct fixture {
    qa_form_t *form;
    qa_metrics_eval_t e[12];
    qa_rec_participant_t s1[2], s2[3], s3[3];
    qa_result_t ref_res[5], i1_res[5];
    const qa_result_t *s1_res[2];
    inspector_session_t sessions[3];
    inspector_entry_t list[4];
    inspector_input_t in;
} fixture_t;

/*
 * Evaluations (final score, lag h):
 *   i1: E1 90 10h | E2 80 24h defect, upheld | E3 70->85 72h defect,
 *       overturned | E4 100 100h
 *   i2: E5 60 5h defect | E6 70 80h | E7 80 unknown contact | E8 90 200h
 *   i3: E9 95 1h | E10 85 2h upheld
 *   outside: E11 (i2, at END) and E12 (i3, 1 us before 0), score 0.
 */
static void fill_evals(fixture_t *f)
{
    qa_metrics_eval_t *e = f->e;
    e[0] = ev("E1", "i1", 90, 10);
    e[1] = ev("E2", "i1", 80, 24);
    e[1].defect = true;
    e[1].appeal = QA_METRICS_APPEAL_UPHELD;
    e[2] = ev("E3", "i1", 70, 72);
    e[2].defect = true;
    e[2].appeal = QA_METRICS_APPEAL_OVERTURNED;
    e[2].new_score = 85;
    e[3] = ev("E4", "i1", 100, 100);
    e[4] = ev("E5", "i2", 60, 5);
    e[4].defect = true;
    e[5] = ev("E6", "i2", 70, 80);
    e[6] = ev("E7", "i2", 80, 1);
    e[6].contact_known = false;
    e[6].ended_us = 2000 * H; /* garbage: would give a negative lag if used */
    e[7] = ev("E8", "i2", 90, 200);
    e[8] = ev("E9", "i3", 95, 1);
    e[9] = ev("E10", "i3", 85, 2);
    e[9].appeal = QA_METRICS_APPEAL_UPHELD;
    e[10] = ev("E11", "i2", 0, 1);
    e[10].evaluated_us = END;
    e[10].appeal = QA_METRICS_APPEAL_OVERTURNED;
    e[11] = ev("E12", "i3", 0, 1);
    e[11].evaluated_us = -1;
}

/*
 * Sessions:
 *   S1 (in): i3 reference 90, i1 86 -> i1 diff 4 (within 5).  Items: see
 *       test_item_agreement.
 *   S2 (in, no reference): i1 80, i3 70, i4 90 -> i1 vs mean(70, 90) = 80:
 *       diff 0; i3 vs mean(80, 90) = 85: diff 15; i4 vs mean(80, 70) = 75:
 *       diff 15.
 *   S3 (at END, outside): i2 0, i1 reference 100, i9 50: ignored.
 */
static void fill_sessions(fixture_t *f)
{
    static const qa_result_t ref[5] = {{QA_RESULT_PASS, 100},
                                       {QA_RESULT_POINTS, 400},
                                       {QA_RESULT_PASS, 100},
                                       {QA_RESULT_NA, 0},
                                       {QA_RESULT_PASS, 100}};
    static const qa_result_t mine[5] = {{QA_RESULT_PASS, 100},
                                        {QA_RESULT_POINTS, 300},
                                        {QA_RESULT_POINTS, 100},
                                        {QA_RESULT_NA, 0},
                                        {QA_RESULT_PASS, 100}};
    memcpy(f->ref_res, ref, sizeof ref);
    memcpy(f->i1_res, mine, sizeof mine);
    f->s1[0] = (qa_rec_participant_t){"i3", true, 90};
    f->s1[1] = (qa_rec_participant_t){"i1", false, 86};
    f->s1_res[0] = f->ref_res;
    f->s1_res[1] = f->i1_res;
    f->s2[0] = (qa_rec_participant_t){"i1", false, 80};
    f->s2[1] = (qa_rec_participant_t){"i3", false, 70};
    f->s2[2] = (qa_rec_participant_t){"i4", false, 90};
    f->s3[0] = (qa_rec_participant_t){"i2", false, 0};
    f->s3[1] = (qa_rec_participant_t){"i1", true, 100};
    f->s3[2] = (qa_rec_participant_t){"i9", false, 50};
    f->sessions[0] = (inspector_session_t){"S1", 50 * H, f->s1, 2, f->form, f->s1_res};
    f->sessions[1] = (inspector_session_t){"S2", 60 * H, f->s2, 3, NULL, NULL};
    f->sessions[2] = (inspector_session_t){"S3", END, f->s3, 3, NULL, NULL};
}

/* The list: i1 quota 3, i2 quota 10, i3 no quota, i5 quota 0 (unsorted). */
static void setup(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    f->form = form_f();
    fill_evals(f);
    fill_sessions(f);
    f->list[0] = (inspector_entry_t){"i3", false, 0};
    f->list[1] = (inspector_entry_t){"i1", true, 3};
    f->list[2] = (inspector_entry_t){"i5", true, 0};
    f->list[3] = (inspector_entry_t){"i2", true, 10};
    f->in.evals = f->e;
    f->in.n_evals = 12;
    f->in.sessions = f->sessions;
    f->in.n_sessions = 3;
    f->in.inspectors = f->list;
    f->in.n_inspectors = 4;
    f->in.params = (inspector_params_t){72, 5, {1, 1, 1, 1}, 0, END};
}

static void teardown(fixture_t *f)
{
    qa_form_free(f->form);
}

/* Computes the fixture and checks the row order i1 i2 i3 i4 i5. */
static void compute(fixture_t *f, inspector_result_t *r)
{
    assert_int_equal(inspector_compute(&f->in, r, NULL, 0), ST_OK);
    assert_int_equal(r->n, 5); /* i9 only in S3, outside the period */
    static const char *ids[5] = {"i1", "i2", "i3", "i4", "i5"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(r->rows[i].inspector_id, ids[i]);
}

/* i1: every component present. */
static void test_inspector_full(void **state)
{
    (void)state;
    fixture_t f;
    inspector_result_t r;
    setup(&f);
    compute(&f, &r);
    const inspector_row_t *x = &r.rows[0];
    assert_true(x->listed);
    assert_int_equal(x->evaluations, 4);
    assert_near(x->quota_attainment, 4.0 / 3); /* 4 / 3: above 1 */
    /* lags sorted 10 24 72 100: median rank ceil(0.5 x 4) = 2 -> 24;
     * p90 rank ceil(0.9 x 4) = 4 -> 100; <= 72 h: 10 24 72 -> 3/4 */
    assert_int_equal(x->lag_n, 4);
    assert_near(x->lag_median_h, 24);
    assert_near(x->lag_p90_h, 100);
    assert_near(x->on_time_rate, 0.75);
    /* S1 |86 - 90| = 4, S2 |80 - 80| = 0: mad 2, both within 5 */
    assert_int_equal(x->calibration_n, 2);
    assert_near(x->calibration_mad, 2);
    assert_near(x->calibration_within, 1);
    assert_near(x->item_agreement, 0.75);
    assert_near(x->appeal_rate, 0.5);    /* E2, E3 of 4 */
    assert_near(x->overturn_rate, 0.25); /* E3 of 4 */
    /* finals 90 80 85 100: 355 / 4 = 88.75; others: (300 + 180) / 6 = 80 */
    assert_near(x->mean_score, 88.75);
    assert_near(x->severity_bias, 8.75);
    assert_near(x->defect_rate, 0.5); /* E2, E3 */
    /* quota min(4/3, 1) x 100 = 100, timeliness 75, calibration 100,
     * accuracy (1 - 0.25) x 100 = 75: (100 + 75 + 100 + 75) / 4 = 87.5 */
    assert_near(x->c_quota, 100);
    assert_near(x->c_accuracy, 75);
    assert_near(x->composite, 87.5);
    inspector_result_clear(&r);
    teardown(&f);
}

/* i2: no calibration data in the period, an evaluation of an unknown contact. */
static void test_inspector_no_calibration(void **state)
{
    (void)state;
    fixture_t f;
    inspector_result_t r;
    setup(&f);
    compute(&f, &r);
    const inspector_row_t *x = &r.rows[1];
    assert_int_equal(x->evaluations, 4);   /* E11 at END is outside */
    assert_near(x->quota_attainment, 0.4); /* 4 / 10 */
    /* known lags 5 80 200 (E7 has none): median rank ceil(1.5) = 2 -> 80,
     * p90 rank ceil(2.7) = 3 -> 200, on time 1/3 */
    assert_int_equal(x->lag_n, 3);
    assert_near(x->lag_median_h, 80);
    assert_near(x->lag_p90_h, 200);
    assert_near(x->on_time_rate, 1.0 / 3);
    assert_int_equal(x->calibration_n, 0); /* S3 is outside the period */
    assert_nan(x->calibration_mad);
    assert_nan(x->calibration_within);
    assert_nan(x->item_agreement);
    assert_near(x->appeal_rate, 0); /* a real 0: 4 evaluations, none appealed */
    assert_near(x->overturn_rate, 0);
    /* mean 300 / 4 = 75; others (355 + 180) / 6 = 89.1666667 */
    assert_near(x->severity_bias, 75 - 535.0 / 6);
    assert_near(x->defect_rate, 0.25);
    /* calibration dropped; weights 1/4 each renormalised to 1/3 over
     * quota 40, timeliness 33.333333, accuracy 100:
     * (40 + 33.333333 + 100) / 3 = 173.333333 / 3 = 57.777778 */
    assert_nan(x->c_calibration);
    assert_near(x->composite, 520.0 / 9); /* (40 + 100/3 + 100) / 3 */
    inspector_result_clear(&r);
    teardown(&f);
}

/* i3 (no quota, the S1 reference), i4 (calibration only), i5 (quota 0). */
static void test_inspector_no_quota(void **state)
{
    (void)state;
    fixture_t f;
    inspector_result_t r;
    setup(&f);
    compute(&f, &r);
    const inspector_row_t *x = &r.rows[2];
    assert_true(x->listed);
    assert_int_equal(x->evaluations, 2);
    assert_nan(x->monthly_quota);
    assert_nan(x->quota_attainment);
    assert_nan(x->c_quota);
    /* lags 1 2: median rank 1 -> 1, p90 rank ceil(1.8) = 2 -> 2 */
    assert_near(x->lag_median_h, 1);
    assert_near(x->lag_p90_h, 2);
    assert_near(x->on_time_rate, 1);
    /* S1: reference, not compared; S2: |70 - 85| = 15 > 5 */
    assert_int_equal(x->calibration_n, 1);
    assert_near(x->calibration_mad, 15);
    assert_near(x->calibration_within, 0);
    assert_nan(x->item_agreement); /* the reference is not compared with itself */
    assert_near(x->appeal_rate, 0.5);
    assert_near(x->overturn_rate, 0);
    /* 90 - (355 + 300) / 8 = 90 - 81.875 = 8.125 */
    assert_near(x->severity_bias, 8.125);
    assert_near(x->defect_rate, 0);
    /* quota dropped: (100 + 0 + 100) / 3 = 66.666667 */
    assert_near(x->composite, 200.0 / 3);

    const inspector_row_t *y = &r.rows[3];
    assert_false(y->listed);
    assert_int_equal(y->evaluations, 0);
    assert_nan(y->quota_attainment);
    assert_nan(y->on_time_rate);
    assert_nan(y->appeal_rate);
    assert_nan(y->overturn_rate);
    assert_nan(y->severity_bias);
    assert_nan(y->defect_rate);
    assert_near(y->calibration_mad, 15); /* |90 - 75| */
    assert_near(y->composite, 0);        /* calibration 0 alone: a real 0 */

    const inspector_row_t *z = &r.rows[4];
    assert_true(z->listed);
    assert_near(z->monthly_quota, 0);
    assert_nan(z->quota_attainment); /* quota 0: zero denominator */
    assert_nan(z->composite);        /* no component has data */
    inspector_result_clear(&r);
    teardown(&f);
}

/*
 * S1 items (a1 a2 b1 b2 b3), i1 vs the reference i3:
 *   a1 pass/pass agree; a2 3/4 points disagree; b1 1 point (= max)/pass
 *   agree; b2 na/na not compared; b3 pass/pass agree -> 3 of 4 = 0.75.
 */
static void test_item_agreement(void **state)
{
    (void)state;
    fixture_t f;
    inspector_result_t r;
    setup(&f);
    compute(&f, &r);
    assert_int_equal(r.rows[0].items.compared, 4);
    assert_int_equal(r.rows[0].items.agreed, 3);
    inspector_result_clear(&r);
    f.sessions[0].results = NULL; /* item results unknown: undefined */
    compute(&f, &r);
    assert_nan(r.rows[0].item_agreement);
    assert_near(r.rows[0].calibration_mad, 2); /* scores still compared */
    inspector_result_clear(&r);
    teardown(&f);
}

/*
 * Weights quota 2, timeliness 1, calibration 3, accuracy 4 (normalised
 * 0.2 0.1 0.3 0.4):
 *   i2 (no calibration): (0.2 x 40 + 0.1 x 33.333333 + 0.4 x 100) / 0.7
 *       = 51.333333 / 0.7 = 73.333333
 *   i3 (no quota): (0.1 x 100 + 0.3 x 0 + 0.4 x 100) / 0.8 = 62.5
 */
static void test_weights(void **state)
{
    (void)state;
    fixture_t f;
    inspector_result_t r;
    setup(&f);
    f.in.params.weights = (inspector_weights_t){2, 1, 3, 4};
    compute(&f, &r);
    assert_near(r.rows[1].composite, 220.0 / 3);
    assert_near(r.rows[2].composite, 62.5);
    inspector_result_clear(&r);
    teardown(&f);

    inspector_weights_t w = {0, 1, 1, 1};
    /* quota has weight 0: only accuracy 50 counts */
    assert_near(inspector_composite(&w, 100, NAN, NAN, 50), 50);
    assert_nan(inspector_composite(&w, 100, NAN, NAN, NAN));
}

/* Refused input leaves an empty result. */
static void test_invalid(void **state)
{
    (void)state;
    fixture_t f;
    inspector_result_t r;
    char err[200] = "";
    setup(&f);
    f.s2[0].is_reference = true;
    f.s2[1].is_reference = true; /* two references in S2 */
    assert_int_equal(inspector_compute(&f.in, &r, err, sizeof err), ST_ERR_INVALID);
    assert_null(r.rows);
    teardown(&f);
    setup(&f);
    f.list[3].inspector_id = "i1"; /* listed twice */
    assert_int_equal(inspector_compute(&f.in, &r, err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "twice"));
    f.list[3].inspector_id = "i2";
    f.in.params.weights.accuracy = -1;
    assert_int_equal(inspector_compute(&f.in, &r, err, sizeof err), ST_ERR_INVALID);
    f.in.params.weights = (inspector_weights_t){0, 0, 0, 0};
    assert_int_equal(inspector_compute(&f.in, &r, err, sizeof err), ST_ERR_INVALID);
    f.in.params.weights = (inspector_weights_t){1, 1, 1, 1};
    f.list[1].monthly_quota = -3;
    assert_int_equal(inspector_compute(&f.in, &r, err, sizeof err), ST_ERR_INVALID);
    teardown(&f);
    inspector_result_clear(NULL);
}

/*
 * The stream's lag pass: i1 has four evaluations with lags 5, 1, 9, 3 h.
 * Nearest rank: the median is rank ceil(0.5 x 4) = 2 of 1 3 5 9 = 3 h,
 * the 90th percentile rank ceil(0.9 x 4) = 4 = 9 h.  Lags out of order,
 * or more lags than evaluations with a contact, are refused; fewer are
 * refused at finish.
 */
static void test_stream_lags(void **state)
{
    (void)state;
    inspector_params_t p = {72, 5, {1, 1, 1, 1}, 0, END};
    inspector_stream_t *s = NULL;
    char err[200];
    assert_int_equal(inspector_stream_new(&p, NULL, 0, &s, err, sizeof err), ST_OK);
    const int lags[] = {5, 1, 9, 3};
    for (size_t i = 0; i < 4; i++) {
        qa_metrics_eval_t e = ev("e", "i1", 90, lags[i]);
        assert_int_equal(inspector_stream_eval(s, &e, err, sizeof err), ST_OK);
    }
    assert_int_equal(inspector_stream_lag(s, "i1", 1 * H, err, sizeof err), ST_OK);
    assert_int_equal(inspector_stream_lag(s, "i1", 3 * H, err, sizeof err), ST_OK);
    assert_int_equal(inspector_stream_lag(s, "i1", 2 * H, err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(inspector_stream_lag(s, "i2", 2 * H, err, sizeof err), ST_ERR_INVALID);
    inspector_result_t r;
    /* two lags of four: refused */
    assert_int_equal(inspector_stream_finish(s, NULL, 0, &r, err, sizeof err), ST_ERR_INVALID);
    inspector_stream_free(s);

    assert_int_equal(inspector_stream_new(&p, NULL, 0, &s, err, sizeof err), ST_OK);
    for (size_t i = 0; i < 4; i++) {
        qa_metrics_eval_t e = ev("e", "i1", 90, lags[i]);
        assert_int_equal(inspector_stream_eval(s, &e, err, sizeof err), ST_OK);
    }
    const int sorted[] = {1, 3, 5, 9};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(inspector_stream_lag(s, "i1", sorted[i] * H, err, sizeof err), ST_OK);
    assert_int_equal(inspector_stream_lag(s, "i1", 10 * H, err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(inspector_stream_finish(s, NULL, 0, &r, err, sizeof err), ST_OK);
    inspector_stream_free(s);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.rows[0].lag_n, 4);
    assert_near(r.rows[0].lag_median_h, 3);
    assert_near(r.rows[0].lag_p90_h, 9);
    assert_near(r.rows[0].on_time_rate, 1);
    inspector_result_clear(&r);
}

/* The split stream's data set: i1 has e1 (80, defect, lag 2 h) and e2 (60,
 * overturned to 90, lag 100 h); e3 (i1, 70) is evaluated at 730 h, after
 * the period; i2 has e4 (50, appeal upheld, contact unknown). */
static void split_set(qa_metrics_eval_t e[4])
{
    e[0] = ev("e1", "i1", 80, 2);
    e[0].defect = true;
    e[1] = ev("e2", "i1", 60, 100);
    e[1].appeal = QA_METRICS_APPEAL_OVERTURNED;
    e[1].new_score = 90;
    e[2] = ev("e3", "i1", 70, 720);
    e[3] = ev("e4", "i2", 50, 0);
    e[3].appeal = QA_METRICS_APPEAL_UPHELD;
    e[3].contact_known = false;
}

/*
 * inspector_stream_count() and inspector_stream_score() in two passes of
 * different orders (counts e2 e1 e4 e3, scores e1 e2 e3 e4) give, by hand:
 * i1: 2 evaluations (e3 is outside the period in both passes), defect rate
 * 1/2, 1 appealed and 1 overturned, lag_n 2, on time 1/2 (100 h > 72 h), median rank ceil(0.5 x 2)
 * = 1 = 2 h, p90 rank ceil(0.9 x 2) = 2 = 100 h, mean final score (80 + 90) / 2 = 85, severity bias
 * 85 - 50 = 35; i2: 1 evaluation, appealed 1, overturned 0, no lag, mean 50, bias 50 - 85 = -35.  A
 * score missing, or one too many, is refused at finish.
 */
static void test_stream_split(void **state)
{
    (void)state;
    inspector_params_t p = {72, 5, {1, 1, 1, 1}, 0, END};
    qa_metrics_eval_t e[4];
    split_set(e);
    inspector_stream_t *s = NULL;
    char err[200];
    inspector_result_t r;
    for (int missing = -1; missing < 5; missing++) {
        assert_int_equal(inspector_stream_new(&p, NULL, 0, &s, err, sizeof err), ST_OK);
        for (int i = 3; i >= 0; i--)
            assert_int_equal(inspector_stream_count(s, &e[(i + 2) % 4], err, sizeof err), ST_OK);
        for (int i = 0; i < 4; i++)
            if (i != missing)
                assert_int_equal(inspector_stream_score(s, &e[i], err, sizeof err), ST_OK);
        if (missing == 4) /* one score twice */
            assert_int_equal(inspector_stream_score(s, &e[0], err, sizeof err), ST_OK);
        assert_int_equal(inspector_stream_lag(s, "i1", 2 * H, err, sizeof err), ST_OK);
        assert_int_equal(inspector_stream_lag(s, "i1", 100 * H, err, sizeof err), ST_OK);
        int rc = inspector_stream_finish(s, NULL, 0, &r, err, sizeof err);
        inspector_stream_free(s);
        if (missing == 2 || missing == -1) /* e3 is outside the period: not missed */
            assert_int_equal(rc, ST_OK);
        else {
            assert_int_equal(rc, ST_ERR_INVALID);
            assert_non_null(strstr(err, "scores for"));
            continue;
        }
        assert_int_equal(r.n, 2);
        const inspector_row_t *a = &r.rows[0], *b = &r.rows[1];
        assert_string_equal(a->inspector_id, "i1");
        assert_int_equal(a->evaluations, 2);
        assert_near(a->defect_rate, 0.5);
        assert_int_equal(a->appealed, 1);
        assert_int_equal(a->overturned, 1);
        assert_int_equal(a->lag_n, 2);
        assert_near(a->on_time_rate, 0.5);
        assert_near(a->lag_median_h, 2);
        assert_near(a->lag_p90_h, 100);
        assert_near(a->mean_score, 85);
        assert_near(a->severity_bias, 35);
        assert_string_equal(b->inspector_id, "i2");
        assert_int_equal(b->evaluations, 1);
        assert_int_equal(b->appealed, 1);
        assert_int_equal(b->overturned, 0);
        assert_int_equal(b->lag_n, 0);
        assert_nan(b->lag_median_h);
        assert_near(b->mean_score, 50);
        assert_near(b->severity_bias, -35);
        inspector_result_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inspector_full),
        cmocka_unit_test(test_inspector_no_calibration),
        cmocka_unit_test(test_inspector_no_quota),
        cmocka_unit_test(test_item_agreement),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_stream_lags),
        cmocka_unit_test(test_stream_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
