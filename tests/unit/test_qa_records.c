/* Unit tests for reports/qa_records.c: appeals, calibration sessions, item agreement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qa_form.h"
#include "qa_records.h"
#include "qa_score.h"
#include "status.h"
#include "xmem.h"

#define EPS 1e-6

/* cmocka's assert_float_equal works in float; scores need double. */
#define assert_near(a, b) near_at((a), (b), __FILE__, __LINE__)
static void near_at(double a, double b, const char *file, int line)
{
    if (!(fabs(a - b) <= EPS)) {
        print_error("%.9f is not %.9f within %g\n", a, b, EPS);
        _fail(file, line);
    }
}

/*
 * Form F (as in test_qa_score.c): section A weight 2 = a1 (max 1), a2
 * (max 5); section B weight 1 = b1 (max 1), b2 (max 2), b3 (max 1, critical).
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

static void test_outcome_and_score_parse(void **state)
{
    (void)state;
    qa_rec_outcome o;
    double x;
    char err[256] = "";
    assert_int_equal(qa_rec_outcome_parse("upheld", &o, err, sizeof err), ST_OK);
    assert_int_equal(o, QA_REC_UPHELD);
    assert_int_equal(qa_rec_outcome_parse("Overturned", &o, err, sizeof err), ST_OK);
    assert_int_equal(o, QA_REC_OVERTURNED);
    assert_int_equal(qa_rec_outcome_parse("reversed", &o, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "outcome: \"reversed\" is not upheld or overturned");
    assert_int_equal(qa_rec_outcome_parse(NULL, &o, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "outcome: \"\" is not upheld or overturned");

    assert_int_equal(qa_rec_score_parse("87", &x, err, sizeof err), ST_OK);
    assert_true(x == 87.0);
    assert_int_equal(qa_rec_score_parse("0", &x, err, sizeof err), ST_OK);
    assert_true(x == 0.0);
    assert_int_equal(qa_rec_score_parse("100.00", &x, err, sizeof err), ST_OK);
    assert_true(x == 100.0);
    /* 83333333 / 10^6 correctly rounded is the double nearest 83.333333. */
    assert_int_equal(qa_rec_score_parse("83.333333", &x, err, sizeof err), ST_OK);
    assert_true(x == 83.333333);
    assert_int_equal(qa_rec_score_parse("0.5", &x, err, sizeof err), ST_OK);
    assert_true(x == 0.5);
    /* 3 + 12 digits is the limit. */
    assert_int_equal(qa_rec_score_parse("999.999999999999", &x, err, sizeof err), ST_OK);
    assert_true(x == 999.999999999999);
    static const char *const bad[] = {
        "", "-1", "+1", "1e2", "87.", ".5", "1000", " 87", "87 ", "8,5", "0.1234567890123", NULL};
    for (size_t i = 0; bad[i]; i++) {
        char want[128];
        snprintf(want, sizeof want, "score \"%s\": must be a number like 87 or 83.33", bad[i]);
        assert_int_equal(qa_rec_score_parse(bad[i], &x, err, sizeof err), ST_ERR_INVALID);
        assert_string_equal(err, want);
    }
}

static void test_appeal_check(void **state)
{
    (void)state;
    char err[256] = "";
    qa_rec_appeal_t a = {"EV-1", 1000, 2000, QA_REC_OVERTURNED, true, 70.0};
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_OK);
    /* Overturned: the new score replaces 85. */
    assert_true(qa_rec_appeal_final_score(&a, 85.0) == 70.0);

    /* Decided the same instant it was appealed: fine.  One unit earlier: refused. */
    a.decided_at = 1000;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_OK);
    a.decided_at = 999;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "decided_at: before appealed_at");
    a.decided_at = 2000;

    /* new_score bounds when overturned: 0 and 100 in, 100.01 and -0.01 out, NaN out. */
    a.new_score = 0;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_OK);
    a.new_score = 100;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_OK);
    a.new_score = 100.01;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "new_score: must be 0..100");
    a.new_score = -0.01;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "new_score: must be 0..100");
    a.new_score = NAN;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
    a.has_new_score = false;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "new_score: required when the outcome is overturned");

    /* Upheld: no new score allowed, and the original stands. */
    a.outcome = QA_REC_UPHELD;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_OK);
    assert_true(qa_rec_appeal_final_score(&a, 85.0) == 85.0);
    a.has_new_score = true;
    a.new_score = 85.0;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "new_score: must be empty when the outcome is upheld");

    a.has_new_score = false;
    a.outcome = (qa_rec_outcome)0;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "outcome: must be upheld or overturned");
    a.outcome = QA_REC_UPHELD;
    a.evaluation_id = "EV 1";
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "evaluation_id: must be 1-64 visible ASCII characters");
    a.evaluation_id = NULL;
    assert_int_equal(qa_rec_appeal_check(&a, err, sizeof err), ST_ERR_INVALID);
}

static void test_calibration_check(void **state)
{
    (void)state;
    char err[256] = "";
    qa_rec_participant_t p[3] = {{"i1", true, 80}, {"i2", false, 70}, {"i3", false, 90}};
    assert_int_equal(qa_rec_calibration_check(p, 3, err, sizeof err), ST_OK);
    /* One participant is enough. */
    assert_int_equal(qa_rec_calibration_check(p + 1, 1, err, sizeof err), ST_OK);
    assert_int_equal(qa_rec_calibration_check(p, 0, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "session: a calibration session needs at least one participant");

    p[2].is_reference = true;
    assert_int_equal(qa_rec_calibration_check(p, 3, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "is_reference: a reference marked twice in one session "
                             "(inspectors \"i1\" and \"i3\")");
    p[2].is_reference = false;

    p[2].inspector_id = "i1";
    assert_int_equal(qa_rec_calibration_check(p, 3, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "inspector \"i1\": appears twice in one session");
    p[2].inspector_id = "i 3";
    assert_int_equal(qa_rec_calibration_check(p, 3, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "inspector_id: \"i 3\" is not 1-64 visible ASCII characters");
    p[2].inspector_id = "i3";
    p[1].score = 100.5;
    assert_int_equal(qa_rec_calibration_check(p, 3, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "inspector \"i2\": score must be 0..100");
}

static void test_calibration_reference(void **state)
{
    (void)state;
    double ref = -1;
    /* With a reference (i1, 80): everyone else is compared with 80. */
    qa_rec_participant_t p[3] = {{"i1", true, 80}, {"i2", false, 70}, {"i3", false, 90}};
    assert_int_equal(qa_rec_calibration_reference(p, 3, 1, &ref), ST_OK);
    assert_true(ref == 80.0);
    assert_int_equal(qa_rec_calibration_reference(p, 3, 2, &ref), ST_OK);
    assert_true(ref == 80.0);
    assert_int_equal(qa_rec_calibration_reference(p, 3, 0, &ref), ST_ERR_NOT_FOUND);
    assert_int_equal(qa_rec_calibration_reference(p, 3, 3, &ref), ST_ERR_INVALID);

    /* Without a reference: the mean of the others, different for each.
     *   i1: (70 + 90) / 2 = 80;  i2: (80 + 90) / 2 = 85;  i3: (80 + 70) / 2 = 75 */
    p[0].is_reference = false;
    assert_int_equal(qa_rec_calibration_reference(p, 3, 0, &ref), ST_OK);
    assert_near(ref, 80.0);
    assert_int_equal(qa_rec_calibration_reference(p, 3, 1, &ref), ST_OK);
    assert_near(ref, 85.0);
    assert_int_equal(qa_rec_calibration_reference(p, 3, 2, &ref), ST_OK);
    assert_near(ref, 75.0);
    /* Alone, without a reference: nothing to compare with. */
    assert_int_equal(qa_rec_calibration_reference(p, 1, 0, &ref), ST_ERR_NOT_FOUND);
    /* Two references: refused. */
    p[0].is_reference = p[1].is_reference = true;
    assert_int_equal(qa_rec_calibration_reference(p, 3, 2, &ref), ST_ERR_INVALID);
}

/* Refills ev with "id=result" rows. */
static void results_of(const char *const *rows, qa_score_eval_t *ev)
{
    char err[256] = "";
    qa_score_eval_reset(ev);
    for (size_t i = 0; rows[i]; i++) {
        char id[16];
        const char *eq = strchr(rows[i], '=');
        memcpy(id, rows[i], (size_t)(eq - rows[i]));
        id[eq - rows[i]] = '\0';
        assert_int_equal(qa_score_eval_add(ev, id, eq + 1, err, sizeof err), ST_OK);
    }
}

static void test_item_agreement(void **state)
{
    (void)state;
    qa_form_t *f = form_f();
    qa_score_eval_t *em = qa_score_eval_new(f);
    qa_score_eval_t *er = qa_score_eval_new(f);
    /*
     * item  mine  ref    compared?  agree?
     * a1    pass  pass   yes        yes
     * a2    5     pass   yes        yes  (pass on a max-5 item earns 5)
     * b1    na    (none) no: both na/missing
     * b2    1     2      yes        no
     * b3    na    fail   yes        no   (na against a scored result)
     * compared 4, agreed 2, share 0.5
     */
    const char *const mine[] = {"a1=pass", "a2=5", "b1=na", "b2=1", "b3=na", NULL};
    const char *const ref[] = {"a1=pass", "a2=pass", "b2=2", "b3=fail", NULL};
    results_of(mine, em);
    results_of(ref, er);
    qa_rec_agreement_t ag;
    qa_rec_item_agreement(f, qa_score_eval_results(em), qa_score_eval_results(er), &ag);
    assert_int_equal(ag.compared, 4);
    assert_int_equal(ag.agreed, 2);
    assert_true(qa_rec_agreement_share(&ag) == 0.5);
    /* Symmetric. */
    qa_rec_item_agreement(f, qa_score_eval_results(er), qa_score_eval_results(em), &ag);
    assert_int_equal(ag.compared, 4);
    assert_int_equal(ag.agreed, 2);
    /* fail and 0 points agree (both earn 0). */
    const char *const z1[] = {"b3=fail", NULL};
    const char *const z2[] = {"b3=0", NULL};
    results_of(z1, em);
    results_of(z2, er);
    qa_rec_item_agreement(f, qa_score_eval_results(em), qa_score_eval_results(er), &ag);
    assert_int_equal(ag.compared, 1);
    assert_int_equal(ag.agreed, 1);
    /* Nothing scored on either side: no share. */
    const char *const nas[] = {"a1=na", NULL};
    results_of(nas, em);
    results_of(nas, er);
    qa_rec_item_agreement(f, qa_score_eval_results(em), qa_score_eval_results(er), &ag);
    assert_int_equal(ag.compared, 0);
    assert_true(isnan(qa_rec_agreement_share(&ag)));
    qa_score_eval_free(em);
    qa_score_eval_free(er);
    qa_form_free(f);
}

typedef struct cal_row {
    const char *inspector;
    bool ref;
    const char *item;
    const char *result;
} cal_row_t;

/*
 * One session, rows interleaved as a CSV might give them:
 *   i1 (reference): a1 pass, a2 5, b1 pass, b2 2, b3 pass
 *       A 6/6 = 1, B 4/4 = 1 -> 100
 *   i2: a1 pass, a2 3.5, b1 pass, b2 2, b3 na
 *       A 4.5/6 = 0.75, B 3/3 = 1 -> 100 * (1.5 + 1) / 3 = 83.333333
 *   i3: a1 fail, a2 5, b1 pass, b2 1, b3 na
 *       A 5/6, B 2/3 -> 100 * (10/6 + 4/6) / 3 = 77.777778
 */
static const cal_row_t session_rows[] = {
    {"i1", true, "a1", "pass"}, {"i2", false, "a1", "pass"}, {"i3", false, "a1", "fail"},
    {"i1", true, "a2", "5"},    {"i2", false, "a2", "3.5"},  {"i3", false, "a2", "5"},
    {"i1", true, "b1", "pass"}, {"i2", false, "b1", "pass"}, {"i3", false, "b1", "pass"},
    {"i1", true, "b2", "2"},    {"i2", false, "b2", "2"},    {"i3", false, "b2", "1"},
    {"i1", true, "b3", "pass"}, {"i2", false, "b3", "na"},   {"i3", false, "b3", "na"},
};

static void load_session(qa_rec_session_t *s, bool with_reference)
{
    char err[256] = "";
    for (size_t i = 0; i < sizeof session_rows / sizeof session_rows[0]; i++) {
        const cal_row_t *r = &session_rows[i];
        int rc = qa_rec_session_add(s, r->inspector, r->ref && with_reference, r->item, r->result,
                                    err, sizeof err);
        if (rc != ST_OK)
            print_error("row %zu refused: %s\n", i, err);
        assert_int_equal(rc, ST_OK);
    }
    assert_int_equal(qa_rec_session_finish(s, err, sizeof err), ST_OK);
}

static void test_session_with_reference(void **state)
{
    (void)state;
    qa_form_t *f = form_f();
    qa_rec_session_t *s = qa_rec_session_new(f);
    double ref;
    qa_rec_agreement_t ag;

    /* Not finished yet: no comparisons. */
    assert_int_equal(qa_rec_session_reference(s, 0, &ref), ST_ERR_INVALID);
    load_session(s, true);
    assert_int_equal(qa_rec_session_count(s), 3);
    const qa_rec_participant_t *p0 = qa_rec_session_participant(s, 0);
    assert_string_equal(p0->inspector_id, "i1");
    assert_true(p0->is_reference);
    assert_near(p0->score, 100.0);
    assert_near(qa_rec_session_participant(s, 1)->score, 83.333333);
    assert_near(qa_rec_session_participant(s, 2)->score, 77.777778);
    assert_null(qa_rec_session_participant(s, 3));
    assert_int_equal(qa_rec_session_results(s, 1)[1].centi, 350);
    assert_null(qa_rec_session_results(s, 3));

    /* Reference score: i1's 100 for i2 and i3; i1 is not compared with itself. */
    assert_int_equal(qa_rec_session_reference(s, 1, &ref), ST_OK);
    assert_near(ref, 100.0);
    assert_int_equal(qa_rec_session_reference(s, 2, &ref), ST_OK);
    assert_near(ref, 100.0);
    assert_int_equal(qa_rec_session_reference(s, 0, &ref), ST_ERR_NOT_FOUND);

    /*
     * i2 against i1: a1 pass=pass yes, a2 3.5 vs 5 no, b1 yes, b2 2=2 yes,
     * b3 na vs pass no -> 3 of 5.
     * i3 against i1: a1 fail vs pass no, a2 5=5 yes, b1 yes, b2 1 vs 2 no,
     * b3 na vs pass no -> 2 of 5.
     */
    assert_int_equal(qa_rec_session_agreement(s, 1, &ag), ST_OK);
    assert_int_equal(ag.compared, 5);
    assert_int_equal(ag.agreed, 3);
    assert_int_equal(qa_rec_session_agreement(s, 2, &ag), ST_OK);
    assert_int_equal(ag.compared, 5);
    assert_int_equal(ag.agreed, 2);
    assert_int_equal(qa_rec_session_agreement(s, 0, &ag), ST_ERR_NOT_FOUND);
    assert_int_equal(qa_rec_session_agreement(s, 3, &ag), ST_ERR_INVALID);

    /* Reset and reuse: the same rows without a reference. */
    qa_rec_session_reset(s);
    assert_int_equal(qa_rec_session_count(s), 0);
    load_session(s, false);
    /*
     * Mean of the others:
     *   i1: (83.333333 + 77.777778) / 2 = (750/9 + 700/9) / 2 = 1450/18 = 80.555556
     *   i2: (100 + 77.777778) / 2 = 88.888889
     *   i3: (100 + 83.333333) / 2 = 91.666667
     */
    assert_int_equal(qa_rec_session_reference(s, 0, &ref), ST_OK);
    assert_near(ref, 80.555556);
    assert_int_equal(qa_rec_session_reference(s, 1, &ref), ST_OK);
    assert_near(ref, 88.888889);
    assert_int_equal(qa_rec_session_reference(s, 2, &ref), ST_OK);
    assert_near(ref, 91.666667);
    /* No reference inspector: item agreement is not defined. */
    assert_int_equal(qa_rec_session_agreement(s, 1, &ag), ST_ERR_NOT_FOUND);
    qa_rec_session_free(s);
    qa_rec_session_free(NULL);
    qa_form_free(f);
}

static void test_session_refusals(void **state)
{
    (void)state;
    qa_form_t *f = form_f();
    qa_rec_session_t *s = qa_rec_session_new(f);
    char err[256] = "";

    assert_int_equal(qa_rec_session_finish(s, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "session: a calibration session needs at least one participant");

    assert_int_equal(qa_rec_session_add(s, "i1", true, "a1", "pass", err, sizeof err), ST_OK);
    /* A second inspector also marked as reference. */
    assert_int_equal(qa_rec_session_add(s, "i3", true, "a1", "pass", err, sizeof err),
                     ST_ERR_INVALID);
    assert_string_equal(err, "is_reference: a reference marked twice in one session "
                             "(inspectors \"i1\" and \"i3\")");
    assert_int_equal(qa_rec_session_count(s), 1);
    /* One inspector's rows disagreeing about is_reference. */
    assert_int_equal(qa_rec_session_add(s, "i1", false, "a2", "5", err, sizeof err),
                     ST_ERR_INVALID);
    assert_string_equal(err, "is_reference: differs between rows of inspector \"i1\"");
    /* A bad item for a new inspector does not create the participant. */
    assert_int_equal(qa_rec_session_add(s, "i2", false, "zz", "pass", err, sizeof err),
                     ST_ERR_INVALID);
    assert_string_equal(err, "inspector \"i2\": item \"zz\": not in form inbound version 3");
    assert_int_equal(qa_rec_session_count(s), 1);
    assert_int_equal(qa_rec_session_add(s, "i1", true, "a1", "fail", err, sizeof err),
                     ST_ERR_INVALID);
    assert_string_equal(err, "inspector \"i1\": item \"a1\": given twice");
    assert_int_equal(qa_rec_session_add(s, "i1", true, "a2", "9", err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "inspector \"i1\": item \"a2\": result \"9\" is outside "
                             "pass|fail|na|0..5");
    assert_int_equal(qa_rec_session_add(s, "", false, "a1", "pass", err, sizeof err),
                     ST_ERR_INVALID);
    assert_string_equal(err, "inspector_id: \"\" is not 1-64 visible ASCII characters");

    /* A participant whose items are all na has no score. */
    assert_int_equal(qa_rec_session_add(s, "i2", false, "a1", "na", err, sizeof err), ST_OK);
    assert_int_equal(qa_rec_session_finish(s, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "inspector \"i2\": evaluation: every item is na, so the score is "
                             "undefined");
    double ref;
    assert_int_equal(qa_rec_session_reference(s, 1, &ref), ST_ERR_INVALID);

    /* QA_REC_MAX_PARTICIPANTS = 100: the 101st inspector is refused. */
    qa_rec_session_reset(s);
    for (int i = 0; i < 100; i++) {
        char id[16];
        snprintf(id, sizeof id, "n%d", i);
        assert_int_equal(qa_rec_session_add(s, id, false, "a1", "pass", err, sizeof err), ST_OK);
    }
    assert_int_equal(qa_rec_session_add(s, "n100", false, "a1", "pass", err, sizeof err),
                     ST_ERR_TOO_LARGE);
    assert_string_equal(err, "inspector_id: more than 100 participants in one session");
    /* ...but an existing one may still add items. */
    assert_int_equal(qa_rec_session_add(s, "n99", false, "a2", "1", err, sizeof err), ST_OK);
    assert_int_equal(qa_rec_session_finish(s, err, sizeof err), ST_OK);
    qa_rec_session_free(s);
    qa_form_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome_and_score_parse),
        cmocka_unit_test(test_appeal_check),
        cmocka_unit_test(test_calibration_check),
        cmocka_unit_test(test_calibration_reference),
        cmocka_unit_test(test_item_agreement),
        cmocka_unit_test(test_session_with_reference),
        cmocka_unit_test(test_session_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
