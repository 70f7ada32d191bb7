/* Unit tests for reports/qa_score.c: results, hand-worked scores, critical items, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qa_form.h"
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

/* Parses a form written with ' for ". */
static qa_form_t *form_q(const char *q)
{
    char *s = xstrdup(q);
    for (char *p = s; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    qa_form_t *f = NULL;
    char err[256] = "";
    int rc = qa_form_parse(s, strlen(s), &f, err, sizeof err);
    if (rc != 0)
        print_error("fixture form refused: %s\n", err);
    assert_int_equal(rc, ST_OK);
    free(s);
    return f;
}

/*
 * Form F: section A weight 2 = a1 (pass/fail, max 1) + a2 (0..5 points);
 * section B weight 1 = b1 (max 1), b2 (max 2), b3 (max 1, critical).
 * cz is spliced in before "sections", e.g. "'critical_zeroes':false,".
 */
#define FORM_F(cz)                                                                                 \
    "{'form_id':'inbound','version':3,'pass_mark':85," cz "'sections':["                           \
    "{'id':'A','name':'Opening','weight':2,'items':["                                              \
    "{'id':'a1','name':'Greets','max':1},{'id':'a2','name':'Empathy','max':5}]},"                  \
    "{'id':'B','name':'Compliance','weight':1,'items':["                                           \
    "{'id':'b1','name':'Verifies ID','max':1},{'id':'b2','name':'Explains','max':2},"              \
    "{'id':'b3','name':'Disclosure','max':1,'critical':true}]}]}"

/* Adds rows "id=result" to ev; every row must be accepted. */
static void add_all(qa_score_eval_t *ev, const char *const *rows)
{
    char err[256];
    for (size_t i = 0; rows[i]; i++) {
        char id[32];
        const char *eq = strchr(rows[i], '=');
        assert_non_null(eq);
        memcpy(id, rows[i], (size_t)(eq - rows[i]));
        id[eq - rows[i]] = '\0';
        int rc = qa_score_eval_add(ev, id, eq + 1, err, sizeof err);
        if (rc != ST_OK)
            print_error("row %s refused: %s\n", rows[i], err);
        assert_int_equal(rc, ST_OK);
    }
}

/* Scores rows against form; the evaluation must be accepted. */
static qa_score_t score_rows(const qa_form_t *form, const char *const *rows)
{
    qa_score_eval_t *ev = qa_score_eval_new(form);
    qa_score_t sc;
    char err[256] = "";
    add_all(ev, rows);
    int rc = qa_score_eval_finish(ev, &sc, err, sizeof err);
    if (rc != ST_OK)
        print_error("evaluation refused: %s\n", err);
    assert_int_equal(rc, ST_OK);
    qa_score_eval_free(ev);
    return sc;
}

static void test_weighted_score_83_33(void **state)
{
    (void)state;
    qa_form_t *f = form_q(FORM_F(""));
    /*
     * A: a1 pass = 1 of 1, a2 3.5 of 5 -> 4.5 / 6 = 0.75
     * B: b1 pass = 1 of 1, b2 2 of 2, b3 na (left out) -> 3 / 3 = 1
     * score = 100 * (2 * 0.75 + 1 * 1) / (2 + 1) = 100 * 2.5 / 3 = 83.333333
     */
    const char *const rows[] = {"a1=pass", "a2=3.5", "b1=pass", "b2=2", "b3=na", NULL};
    qa_score_t sc = score_rows(f, rows);
    assert_near(sc.score, 83.333333);
    assert_near(sc.raw, 83.333333);
    assert_false(sc.fatal);
    assert_false(sc.defect);
    assert_int_equal(sc.given, 5);
    assert_int_equal(sc.scored, 4);
    assert_int_equal(sc.failed, 0);
    assert_int_equal(sc.sections, 2);
    qa_form_free(f);
}

static void test_weighted_score_77_78_with_defect(void **state)
{
    (void)state;
    qa_form_t *f = form_q(FORM_F(""));
    /*
     * A: a1 fail = 0 of 1, a2 5 of 5 -> 5 / 6
     * B: b1 pass = 1, b2 1 of 2, b3 na -> 2 / 3
     * score = 100 * (2 * 5/6 + 1 * 2/3) / 3 = 100 * (10/6 + 4/6) / 3 = 100 * 14/18
     *       = 77.777778; a1 failed (defect) but is not critical (not fatal).
     */
    const char *const rows[] = {"a1=fail", "a2=5", "b1=PASS", "b2=1", "b3=NA", NULL};
    qa_score_t sc = score_rows(f, rows);
    assert_near(sc.score, 77.777778);
    assert_false(sc.fatal);
    assert_true(sc.defect);
    assert_int_equal(sc.failed, 1);
    /* Partial points are not a failure: b2 = 1 of 2 did not count above. */
    qa_form_free(f);
}

static void test_critical_fail_zeroes_or_not(void **state)
{
    (void)state;
    qa_form_t *fz = form_q(FORM_F(""));                         /* default: true */
    qa_form_t *fk = form_q(FORM_F("'critical_zeroes':false,")); /* keeps the score */
    /*
     * A: a1 pass, a2 5 -> 6 / 6 = 1
     * B: b1 pass, b2 2, b3 fail -> 3 / 4 = 0.75
     * raw = 100 * (2 * 1 + 1 * 0.75) / 3 = 100 * 2.75 / 3 = 91.666667
     * b3 is critical and failed: fatal.  critical_zeroes -> score 0.
     */
    const char *const rows[] = {"a1=pass", "a2=5", "b1=pass", "b2=2", "b3=fail", NULL};
    qa_score_t sc = score_rows(fz, rows);
    assert_true(sc.fatal);
    assert_true(sc.defect);
    assert_near(sc.score, 0.0);
    assert_near(sc.raw, 91.666667);

    sc = score_rows(fk, rows);
    assert_true(sc.fatal);
    assert_near(sc.score, 91.666667);
    assert_near(sc.raw, 91.666667);

    /* 0 points on the critical item is a failure too (same numbers). */
    const char *const zero[] = {"a1=pass", "a2=5", "b1=pass", "b2=2", "b3=0", NULL};
    sc = score_rows(fz, zero);
    assert_true(sc.fatal);
    assert_near(sc.score, 0.0);
    assert_near(sc.raw, 91.666667);

    /* The critical item na or missing: no auto-fail. a1 1, a2 5 -> A 1; b1 1, b2 2 -> B 1;
     * score 100. */
    const char *const na[] = {"a1=pass", "a2=5", "b1=pass", "b2=2", NULL};
    sc = score_rows(fz, na);
    assert_false(sc.fatal);
    assert_false(sc.defect);
    assert_near(sc.score, 100.0);
    qa_form_free(fz);
    qa_form_free(fk);
}

static void test_critical_partial_points_are_not_a_failure(void **state)
{
    (void)state;
    qa_form_t *f = form_q("{'form_id':'c','version':1,'pass_mark':50,'sections':[{'id':'S',"
                          "'name':'s','items':[{'id':'x','name':'x','max':5,'critical':true}]}]}");
    /* x = 2 of 5: 100 * 2/5 = 40, partial credit, not fatal. */
    const char *const two[] = {"x=2", NULL};
    qa_score_t sc = score_rows(f, two);
    assert_false(sc.fatal);
    assert_false(sc.defect);
    assert_near(sc.score, 40.0);
    /* x = 0 of 5: a failure, fatal, 0 either way. */
    const char *const zero[] = {"x=0.00", NULL};
    sc = score_rows(f, zero);
    assert_true(sc.fatal);
    assert_true(sc.defect);
    assert_near(sc.score, 0.0);
    qa_form_free(f);
}

static void test_all_na_section_dropped_and_renormalised(void **state)
{
    (void)state;
    qa_form_t *f = form_q(FORM_F(""));
    /*
     * A: a1 pass 1, a2 2 of 5 -> 3 / 6 = 0.5;  B: every item na -> dropped.
     * score = 100 * (2 * 0.5) / 2 = 50   (not 100 * 1 / 3 = 33.33 with B's weight kept).
     */
    const char *const rows[] = {"a1=pass", "a2=2", "b1=na", "b2=na", "b3=na", NULL};
    qa_score_t sc = score_rows(f, rows);
    assert_near(sc.score, 50.0);
    assert_int_equal(sc.sections, 1);
    assert_int_equal(sc.given, 5);
    assert_int_equal(sc.scored, 2);
    /* Items not given at all count as na: the same 50. */
    const char *const fewer[] = {"a2=2", "a1=pass", NULL};
    sc = score_rows(f, fewer);
    assert_near(sc.score, 50.0);
    assert_int_equal(sc.given, 2);
    qa_form_free(f);
}

static void test_equal_weights_when_none_given(void **state)
{
    (void)state;
    qa_form_t *f = form_q("{'form_id':'g','version':1,'pass_mark':50,'sections':["
                          "{'id':'X','name':'x','items':[{'id':'x1','name':'x','max':1}]},"
                          "{'id':'Y','name':'y','items':[{'id':'y1','name':'y','max':4}]},"
                          "{'id':'Z','name':'z','items':[{'id':'z1','name':'z','max':1},"
                          "{'id':'z2','name':'z','max':1}]}]}");
    /*
     * X: 1/1 = 1;  Y: 1/4 = 0.25;  Z: (1 + 0)/2 = 0.5; each section weighs 1:
     * score = 100 * (1 + 0.25 + 0.5) / 3 = 100 * 1.75 / 3 = 58.333333
     * (pooling points instead would give 3/7 = 42.857143).
     */
    const char *const rows[] = {"x1=pass", "y1=1", "z1=1", "z2=fail", NULL};
    qa_score_t sc = score_rows(f, rows);
    assert_near(sc.score, 58.333333);
    qa_form_free(f);
}

static void test_result_parse(void **state)
{
    (void)state;
    qa_form_t *f = form_q(FORM_F(""));
    const qa_item_t *a2 = qa_form_item_find(f, "a2"); /* max 5 */
    const qa_item_t *a1 = qa_form_item_find(f, "a1"); /* max 1 */
    qa_result_t r;
    char err[256] = "";

    assert_int_equal(qa_score_result_parse("pass", a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.kind, QA_RESULT_PASS);
    assert_int_equal(r.centi, 500);
    assert_int_equal(qa_score_result_parse("Fail", a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.kind, QA_RESULT_FAIL);
    assert_int_equal(r.centi, 0);
    assert_int_equal(qa_score_result_parse("na", a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.kind, QA_RESULT_NA);
    assert_int_equal(qa_score_result_parse("4", a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.kind, QA_RESULT_POINTS);
    assert_int_equal(r.centi, 400);
    assert_int_equal(qa_score_result_parse("4.5", a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.centi, 450);
    assert_int_equal(qa_score_result_parse("0.05", a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.centi, 5);
    assert_int_equal(qa_score_result_parse("4.500", a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.centi, 450);
    assert_int_equal(qa_score_result_parse("5.00", a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.centi, 500);
    assert_int_equal(qa_score_result_parse("1", a1, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.centi, 100);

    static const char *const outside[] = {"6",
                                          "5.01",
                                          "-1",
                                          "abc",
                                          "",
                                          "4.",
                                          ".5",
                                          "4.5e0",
                                          " 4",
                                          "4 ",
                                          "+4",
                                          "n/a",
                                          "99999999999999999999",
                                          NULL};
    for (size_t i = 0; outside[i]; i++) {
        char want[128];
        snprintf(want, sizeof want, "item \"a2\": result \"%s\" is outside pass|fail|na|0..5",
                 outside[i]);
        assert_int_equal(qa_score_result_parse(outside[i], a2, &r, err, sizeof err),
                         ST_ERR_INVALID);
        assert_string_equal(err, want);
    }
    assert_int_equal(qa_score_result_parse("4.555", a2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a2\": result \"4.555\" has more than 2 decimals");
    assert_int_equal(qa_score_result_parse("2", a1, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a1\": result \"2\" is outside pass|fail|na|0..1");
    /* Control bytes in the echoed text are masked. */
    assert_int_equal(qa_score_result_parse("x\ny", a2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a2\": result \"x?y\" is outside pass|fail|na|0..5");
    qa_form_free(f);
}

static void test_result_from_json(void **state)
{
    (void)state;
    qa_form_t *f = form_q(FORM_F(""));
    const qa_item_t *a2 = qa_form_item_find(f, "a2");
    qa_result_t r;
    char err[256] = "";
    json_t *v;

    v = json_integer(4);
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.kind, QA_RESULT_POINTS);
    assert_int_equal(r.centi, 400);
    json_decref(v);
    v = json_real(2.5);
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.centi, 250);
    json_decref(v);
    /* 0.29 * 100 is 28.999999999999996 in binary: still 29 hundredths. */
    v = json_real(0.29);
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.centi, 29);
    json_decref(v);
    v = json_string("na");
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_OK);
    assert_int_equal(r.kind, QA_RESULT_NA);
    json_decref(v);

    v = json_real(2.555);
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a2\": result \"2.555\" has more than 2 decimals");
    json_decref(v);
    v = json_integer(6);
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a2\": result \"6\" is outside pass|fail|na|0..5");
    json_decref(v);
    v = json_real(-0.5);
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a2\": result \"-0.5\" is outside pass|fail|na|0..5");
    json_decref(v);
    v = json_true();
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a2\": result must be a string or a number");
    json_decref(v);
    v = json_stringn("4\0", 2);
    assert_int_equal(qa_score_result_from_json(v, a2, &r, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a2\": result contains a NUL byte");
    json_decref(v);
    qa_form_free(f);
}

static void test_result_failed_and_format(void **state)
{
    (void)state;
    char s[16];
    qa_result_t r = {QA_RESULT_POINTS, 450};
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "4.5");
    assert_false(qa_score_result_failed(&r));
    r.centi = 475;
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "4.75");
    r.centi = 5;
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "0.05");
    r.centi = 400;
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "4");
    r.centi = 0;
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "0");
    assert_true(qa_score_result_failed(&r));
    r.kind = QA_RESULT_FAIL;
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "fail");
    assert_true(qa_score_result_failed(&r));
    r.kind = QA_RESULT_NA;
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "na");
    assert_false(qa_score_result_failed(&r));
    r.kind = QA_RESULT_PASS;
    r.centi = 100;
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "pass");
    assert_false(qa_score_result_failed(&r));
    r.kind = QA_RESULT_NONE;
    qa_score_result_format(&r, s, sizeof s);
    assert_string_equal(s, "");
    assert_false(qa_score_result_failed(&r));
}

static void test_bad_evaluations(void **state)
{
    (void)state;
    qa_form_t *f = form_q(FORM_F(""));
    qa_score_eval_t *ev = qa_score_eval_new(f);
    qa_score_t sc;
    char err[256] = "";

    /* No items at all. */
    assert_int_equal(qa_score_eval_finish(ev, &sc, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "evaluation has no items");

    /* An item not in the form version. */
    assert_int_equal(qa_score_eval_add(ev, "c9", "pass", err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"c9\": not in form inbound version 3");
    assert_int_equal(qa_score_eval_add(ev, "", "pass", err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"\": not in form inbound version 3");

    /* A result outside pass|fail|na|0..max leaves the evaluation unchanged. */
    assert_int_equal(qa_score_eval_add(ev, "b2", "3", err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"b2\": result \"3\" is outside pass|fail|na|0..2");
    assert_int_equal(qa_score_eval_given(ev), 0);

    /* An item given twice. */
    assert_int_equal(qa_score_eval_add(ev, "b2", "2", err, sizeof err), ST_OK);
    assert_int_equal(qa_score_eval_add(ev, "b2", "2", err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"b2\": given twice");
    json_t *v = json_integer(1);
    assert_int_equal(qa_score_eval_add_json(ev, "b2", v, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"b2\": given twice");
    assert_int_equal(qa_score_eval_add_json(ev, "zz", v, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"zz\": not in form inbound version 3");
    json_decref(v);
    assert_int_equal(qa_score_eval_given(ev), 1);

    /* Every item na: no score. */
    qa_score_eval_reset(ev);
    assert_int_equal(qa_score_eval_given(ev), 0);
    assert_int_equal(qa_score_eval_add(ev, "a1", "na", err, sizeof err), ST_OK);
    assert_int_equal(qa_score_eval_add(ev, "b3", "na", err, sizeof err), ST_OK);
    assert_int_equal(qa_score_eval_finish(ev, &sc, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "evaluation: every item is na, so the score is undefined");

    /* qa_score_compute guards its input. */
    qa_result_t rs[5] = {{QA_RESULT_POINTS, 600}, {0, 0}, {0, 0}, {0, 0}, {0, 0}};
    assert_int_equal(qa_score_compute(f, rs, 4, &sc, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "evaluation: 4 results for a form of 5 items");
    assert_int_equal(qa_score_compute(f, rs, 5, &sc, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "item \"a1\": points outside 0..1");
    qa_score_eval_free(ev);
    qa_score_eval_free(NULL);
    qa_form_free(f);
}

/* One evaluation object reused across a stream, JSON members and CSV rows mixed. */
static void test_stream_reuse_and_json(void **state)
{
    (void)state;
    qa_form_t *f = form_q(FORM_F(""));
    qa_score_eval_t *ev = qa_score_eval_new(f);
    qa_score_t sc;
    char err[256] = "";
    assert_ptr_equal(qa_score_eval_form(ev), f);

    /* {"a1":"pass","a2":3.5,"b1":"pass","b2":2,"b3":"na"}: the 83.333333 case above. */
    json_t *items =
        json_loads("{\"a1\":\"pass\",\"a2\":3.5,\"b1\":\"pass\",\"b2\":2,\"b3\":\"na\"}", 0, NULL);
    const char *key;
    json_t *val;
    json_object_foreach(items, key, val)
    {
        assert_int_equal(qa_score_eval_add_json(ev, key, val, err, sizeof err), ST_OK);
    }
    json_decref(items);
    assert_int_equal(qa_score_eval_finish(ev, &sc, err, sizeof err), ST_OK);
    assert_near(sc.score, 83.333333);
    const qa_result_t *rs = qa_score_eval_results(ev);
    assert_int_equal(rs[1].kind, QA_RESULT_POINTS);
    assert_int_equal(rs[1].centi, 350);
    assert_int_equal(rs[4].kind, QA_RESULT_NA);

    /* Next evaluation: the 77.777778 case, after a reset. */
    qa_score_eval_reset(ev);
    const char *const rows[] = {"b3=na", "b2=1", "b1=pass", "a2=5", "a1=fail", NULL};
    add_all(ev, rows);
    assert_int_equal(qa_score_eval_finish(ev, &sc, err, sizeof err), ST_OK);
    assert_near(sc.score, 77.777778);
    qa_score_eval_free(ev);
    qa_form_free(f);
}

static void test_supplied_total(void **state)
{
    (void)state;
    char err[256] = "";
    double computed = 250.0 / 3.0; /* 83.333333... */
    /* |83.33 - 83.333333| = 0.003333 <= 0.005 */
    assert_true(qa_score_matches(83.33, computed));
    assert_int_equal(qa_score_check_total(83.33, computed, err, sizeof err), ST_OK);
    /* |83.34 - 83.333333| = 0.006667 > 0.005 */
    assert_false(qa_score_matches(83.34, computed));
    /* |83.3 - 83.333333| = 0.033333 */
    assert_false(qa_score_matches(83.3, computed));
    /* Exactly 0.005 apart (a value halfway between two 2-decimal totals) agrees. */
    assert_true(qa_score_matches(83.335, 83.33));
    assert_true(qa_score_matches(0.0, 0.005));
    assert_false(qa_score_matches(0.0, 0.0051));
    assert_false(qa_score_matches(NAN, 50.0));
    assert_int_equal(qa_score_check_total(83.34, computed, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "supplied score 83.34 disagrees with the computed score 83.33333333");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weighted_score_83_33),
        cmocka_unit_test(test_weighted_score_77_78_with_defect),
        cmocka_unit_test(test_critical_fail_zeroes_or_not),
        cmocka_unit_test(test_critical_partial_points_are_not_a_failure),
        cmocka_unit_test(test_all_na_section_dropped_and_renormalised),
        cmocka_unit_test(test_equal_weights_when_none_given),
        cmocka_unit_test(test_result_parse),
        cmocka_unit_test(test_result_from_json),
        cmocka_unit_test(test_result_failed_and_format),
        cmocka_unit_test(test_bad_evaluations),
        cmocka_unit_test(test_stream_reuse_and_json),
        cmocka_unit_test(test_supplied_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
