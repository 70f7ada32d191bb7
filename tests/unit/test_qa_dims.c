/* Unit tests for reports/qa_dims.c and the form's `dimension`: hand-worked
 * dimension scores (N/A, a critical item, inherited vs own dimension, no
 * dimension) and the means of a month. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "qa_dims.h"
#include "qa_form.h"
#include "qa_score.h"
#include "status.h"
#include "xmem.h"

#define EPS 1e-9

#define assert_near(a, b) near_at((a), (b), __FILE__, __LINE__)
static void near_at(double a, double b, const char *file, int line)
{
    if (!(fabs(a - b) <= EPS)) {
        print_error("%.12f is not %.12f\n", a, b);
        _fail(file, line);
    }
}

/* Parses a form written with ' for "; rc is the expected status, err gets the message. */
static qa_form_t *form_q(const char *q, int want_rc, char *err, size_t errlen)
{
    char *s = xstrdup(q);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    qa_form_t *f = NULL;
    int rc = qa_form_parse(s, strlen(s), &f, err, errlen);
    if (rc != want_rc)
        print_error("form: rc %d (%s)\n", rc, err);
    assert_int_equal(rc, want_rc);
    free(s);
    return f;
}

/*
 * Form D (critical_zeroes true):
 *   section S1 "Opening" dimension empathy, weight 1:
 *     greet max 1; verify max 1 critical, own dimension reliability
 *   section S2 "Handling" no dimension, weight 3:
 *     resolve max 5 dimension accuracy; tone max 5 dimension empathy;
 *     wrapup max 2 (no dimension)
 */
#define FORM_D                                                                                     \
    "{'form_id':'d','version':1,'pass_mark':80,'sections':["                                       \
    "{'id':'S1','name':'Opening','dimension':'empathy','weight':1,'items':["                       \
    "{'id':'greet','name':'Greets','max':1},"                                                      \
    "{'id':'verify','name':'Verifies','max':1,'critical':true,'dimension':'reliability'}]},"       \
    "{'id':'S2','name':'Handling','weight':3,'items':["                                            \
    "{'id':'resolve','name':'Resolves','max':5,'dimension':'accuracy'},"                           \
    "{'id':'tone','name':'Tone','max':5,'dimension':'empathy'},"                                   \
    "{'id':'wrapup','name':'Wrap-up','max':2}]}]}"

/* Scores one evaluation of form f given "id=result" rows. */
static size_t eval_dims(const qa_form_t *f, const char *const *rows, qa_score_t *sc,
                        qa_dim_score_t *out)
{
    char err[256];
    qa_score_eval_t *ev = qa_score_eval_new(f);
    for (size_t i = 0; rows[i]; i++) {
        char id[64];
        const char *eq = strchr(rows[i], '=');
        memcpy(id, rows[i], (size_t)(eq - rows[i]));
        id[eq - rows[i]] = '\0';
        assert_int_equal(qa_score_eval_add(ev, id, eq + 1, err, sizeof err), ST_OK);
    }
    assert_int_equal(qa_score_eval_finish(ev, sc, err, sizeof err), ST_OK);
    size_t k = qa_dims_eval(f, qa_score_eval_results(ev), qa_form_item_count(f), out);
    qa_score_eval_free(ev);
    return k;
}

/* The dimension entry named d, failing when absent. */
static const qa_dim_score_t *dim(const qa_dim_score_t *d, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i].dimension, name) == 0)
            return &d[i];
    return NULL;
}

/* Inherited vs own: greet inherits empathy from S1, verify's own reliability wins. */
static void test_inherited_and_own(void **state)
{
    (void)state;
    char err[256];
    qa_form_t *f = form_q(FORM_D, ST_OK, err, sizeof err);
    assert_string_equal(qa_form_item_find(f, "greet")->dimension, "empathy");
    assert_string_equal(qa_form_item_find(f, "verify")->dimension, "reliability");
    assert_string_equal(qa_form_item_find(f, "resolve")->dimension, "accuracy");
    assert_string_equal(qa_form_item_find(f, "tone")->dimension, "empathy");
    assert_null(qa_form_item_find(f, "wrapup")->dimension);
    assert_string_equal(qa_form_section(f, 0)->dimension, "empathy");
    assert_null(qa_form_section(f, 1)->dimension);
    qa_form_free(f);
}

/*
 * greet pass (1/1), verify fail (0/1, critical), resolve 4 (4/5), tone na,
 * wrapup 1 (1/2).
 *   Score: S1 = 1/2, S2 = (4+1)/(5+2) = 5/7; raw = 100 (1 x 0.5 + 3 x 5/7)/4
 *   = 100 (0.5 + 15/7)/4 = 66.0714...; fatal and critical_zeroes: score 0.
 *   empathy: greet only (tone is na) = 1/1 = 100
 *   reliability: verify 0/1 = 0 (not zeroed further, not skipped)
 *   accuracy: resolve 4/5 = 80
 *   wrapup has no dimension: in no dimension.
 */
static void test_na_and_critical(void **state)
{
    (void)state;
    char err[256];
    qa_form_t *f = form_q(FORM_D, ST_OK, err, sizeof err);
    static const char *const rows[] = {"greet=pass", "verify=fail", "resolve=4",
                                       "tone=na",    "wrapup=1",    NULL};
    qa_score_t sc;
    qa_dim_score_t d[8];
    size_t k = eval_dims(f, rows, &sc, d);
    assert_true(sc.fatal);
    assert_near(sc.score, 0.0);
    assert_near(sc.raw, 100.0 * (0.5 + 15.0 / 7.0) / 4.0);
    assert_int_equal(k, 3);
    /* first-appearance order of the form */
    assert_string_equal(d[0].dimension, "empathy");
    assert_string_equal(d[1].dimension, "reliability");
    assert_string_equal(d[2].dimension, "accuracy");
    assert_near(dim(d, k, "empathy")->score, 100.0);
    assert_int_equal(dim(d, k, "empathy")->possible_c, 100);
    assert_near(dim(d, k, "reliability")->score, 0.0);
    assert_near(dim(d, k, "accuracy")->score, 80.0);
    qa_form_free(f);
}

/* greet 0 points... (pass/fail item: fail), tone 2.5: empathy = (0 + 2.5)/(1 + 5) = 41.666..;
 * verify na: reliability absent; resolve not given: accuracy absent. */
static void test_absent_dimension(void **state)
{
    (void)state;
    char err[256];
    qa_form_t *f = form_q(FORM_D, ST_OK, err, sizeof err);
    static const char *const rows[] = {"greet=fail", "verify=na", "tone=2.5", NULL};
    qa_score_t sc;
    qa_dim_score_t d[8];
    size_t k = eval_dims(f, rows, &sc, d);
    assert_int_equal(k, 1);
    assert_near(d[0].score, 100.0 * 2.5 / 6.0);
    assert_int_equal(d[0].earned_c, 250);
    assert_int_equal(d[0].possible_c, 600);
    assert_null(dim(d, k, "reliability"));
    qa_form_free(f);
}

/* A form without dimensions stays valid and has no dimension score. */
static void test_no_dimension(void **state)
{
    (void)state;
    char err[256];
    qa_form_t *f = form_q("{'form_id':'p','version':1,'pass_mark':80,'sections':[{'id':'s',"
                          "'name':'S','items':[{'id':'a','name':'A','max':2}]}]}",
                          ST_OK, err, sizeof err);
    static const char *const rows[] = {"a=1", NULL};
    qa_score_t sc;
    qa_dim_score_t d[2];
    assert_int_equal(eval_dims(f, rows, &sc, d), 0);
    assert_near(sc.score, 50.0);
    qa_form_free(f);
}

/* A bad dimension is refused naming its path; every fault at once. */
static void test_bad_dimension(void **state)
{
    (void)state;
    char err[512];
    qa_form_t *f = form_q("{'form_id':'p','version':1,'pass_mark':80,'sections':[{'id':'s',"
                          "'name':'S','dimension':'two words','items':[{'id':'a','name':'A',"
                          "'max':2,'dimension':''}]}]}",
                          ST_ERR_INVALID, err, sizeof err);
    assert_null(f);
    assert_non_null(strstr(err, "sections[0].dimension: must be 1-32 letters"));
    json_error_t je;
    json_t *root = json_loads("{\"form_id\":\"p\",\"version\":1,\"pass_mark\":80,\"sections\":[{"
                              "\"id\":\"s\",\"name\":\"S\",\"items\":[{\"id\":\"a\",\"name\":\"A\","
                              "\"max\":2,\"dimension\":7},{\"id\":\"b\",\"name\":\"B\",\"max\":1,"
                              "\"dimension\":\"abcdefghijabcdefghijabcdefghijabc\"}]}]}",
                              0, &je);
    assert_non_null(root);
    faults_t fl;
    faults_init(&fl, err, sizeof err, NULL);
    assert_int_equal(qa_form_check(root, &f, &fl), ST_ERR_INVALID);
    assert_int_equal(fl.count, 2);
    assert_non_null(strstr(err, "sections[0].items[0].dimension: must be a string"));
    json_decref(root);
    assert_true(qa_form_dimension_valid("responsiveness"));
    assert_true(qa_form_dimension_valid("first-call_fix2"));
    assert_true(qa_form_dimension_valid("abcdefghijabcdefghijabcdefghijab")); /* 32 */
    assert_false(qa_form_dimension_valid("abcdefghijabcdefghijabcdefghijabc"));
    assert_false(qa_form_dimension_valid("empath\xc3\xa9"));
    assert_false(qa_form_dimension_valid(""));
    assert_false(qa_form_dimension_valid(NULL));
}

/*
 * A month: agent A1 has evaluations with empathy 100 and 50, accuracy 80;
 * agent A2 empathy 75.  Month: empathy (100 + 50 + 75)/3 = 75, n 3;
 * accuracy 80, n 1.  A1: empathy 75 n 2, accuracy 80 n 1.  A2: empathy 75 n 1.
 */
static void test_month_means(void **state)
{
    (void)state;
    const qa_dims_obs_t obs[] = {
        {"A1", "empathy", 100}, {"A1", "accuracy", 80}, {"A2", "empathy", 75},
        {"A1", "empathy", 50},  {"", "empathy", 100},   {"", "accuracy", 80},
        {"", "empathy", 75},    {NULL, "empathy", 50},
    };
    qa_dims_cell_t *c = NULL;
    size_t n = 0;
    assert_int_equal(qa_dims_aggregate(obs, 8, &c, &n), ST_OK);
    assert_int_equal(n, 5);
    const qa_dims_cell_t *x = qa_dims_find(c, n, "", "empathy");
    assert_non_null(x);
    assert_near(x->score, 75.0);
    assert_int_equal(x->n, 3);
    x = qa_dims_find(c, n, NULL, "accuracy");
    assert_near(x->score, 80.0);
    assert_int_equal(x->n, 1);
    x = qa_dims_find(c, n, "A1", "empathy");
    assert_near(x->score, 75.0);
    assert_int_equal(x->n, 2);
    assert_int_equal(qa_dims_find(c, n, "A2", "empathy")->n, 1);
    assert_null(qa_dims_find(c, n, "A2", "accuracy"));
    const char **names = NULL;
    assert_int_equal(qa_dims_names(c, n, &names), 2);
    assert_string_equal(names[0], "accuracy");
    assert_string_equal(names[1], "empathy");
    free(names);
    free(c);
    const qa_dims_obs_t bad[] = {{"A1", "empathy", 101}};
    assert_int_equal(qa_dims_aggregate(bad, 1, &c, &n), ST_ERR_INVALID);
    assert_null(c);
    assert_int_equal(qa_dims_aggregate(NULL, 0, &c, &n), ST_OK);
    assert_int_equal(n, 0);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inherited_and_own), cmocka_unit_test(test_na_and_critical),
        cmocka_unit_test(test_absent_dimension),  cmocka_unit_test(test_no_dimension),
        cmocka_unit_test(test_bad_dimension),     cmocka_unit_test(test_month_means),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
