/* Unit tests for reports/qa_form.c: scorecard parsing, defaults, lookup, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "qa_form.h"
#include "status.h"
#include "xmem.h"

/* JSON written with ' for " so the fixtures stay readable. */
static int parse_q(const char *q, qa_form_t **out, char *err, size_t errlen)
{
    char *s = xstrdup(q);
    for (char *p = s; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    int rc = qa_form_parse(s, strlen(s), out, err, errlen);
    free(s);
    return rc;
}

/* Two sections, weights 2 and 1, the last item critical. */
static const char *const FORM_F =
    "{'form_id':'inbound','version':3,'pass_mark':85,'sections':["
    "{'id':'A','name':'Opening','weight':2,'items':["
    "{'id':'a1','name':'Greets','max':1},{'id':'a2','name':'Empathy','max':5}]},"
    "{'id':'B','name':'Compliance','weight':1,'items':["
    "{'id':'b1','name':'Verifies ID','max':1},{'id':'b2','name':'Explains','max':2},"
    "{'id':'b3','name':'Disclosure','max':1,'critical':true}]}]}";

static void test_valid_form_fields(void **state)
{
    (void)state;
    qa_form_t *f = NULL;
    char err[256] = "";
    assert_int_equal(parse_q(FORM_F, &f, err, sizeof err), ST_OK);
    assert_string_equal(qa_form_id(f), "inbound");
    assert_int_equal(qa_form_version(f), 3);
    assert_true(qa_form_pass_mark(f) == 85.0);
    /* critical_zeroes absent: the default is true. */
    assert_true(qa_form_critical_zeroes(f));
    assert_true(qa_form_weights_given(f));
    assert_int_equal(qa_form_section_count(f), 2);
    assert_int_equal(qa_form_item_count(f), 5);

    const qa_section_t *b = qa_form_section(f, 1);
    assert_string_equal(b->id, "B");
    assert_string_equal(b->name, "Compliance");
    assert_true(b->weight == 1.0);
    assert_int_equal(b->first_item, 2);
    assert_int_equal(b->item_count, 3);
    assert_true(qa_form_section(f, 0)->weight == 2.0);
    assert_null(qa_form_section(f, 2));

    const qa_item_t *a2 = qa_form_item(f, 1);
    assert_string_equal(a2->id, "a2");
    assert_string_equal(a2->name, "Empathy");
    assert_int_equal(a2->max, 5);
    assert_false(a2->critical); /* critical absent: false */
    assert_int_equal(a2->section, 0);
    assert_null(qa_form_item(f, 5));

    /* Lookup by id returns the same descriptor as by index. */
    assert_ptr_equal(qa_form_item_find(f, "a2"), a2);
    const qa_item_t *b3 = qa_form_item_find(f, "b3");
    assert_non_null(b3);
    assert_int_equal(b3->index, 4);
    assert_int_equal(b3->section, 1);
    assert_true(b3->critical);
    assert_ptr_equal(qa_form_item_find(f, "a1"), qa_form_item(f, 0));
    assert_ptr_equal(qa_form_item_find(f, "b1"), qa_form_item(f, 2));
    assert_null(qa_form_item_find(f, "A1")); /* ids are case-sensitive */
    assert_null(qa_form_item_find(f, "b"));
    assert_null(qa_form_item_find(f, "zz"));
    assert_null(qa_form_item_find(f, ""));
    assert_null(qa_form_item_find(f, NULL));
    qa_form_free(f);
    qa_form_free(NULL);
}

static void test_equal_weights_and_critical_zeroes_false(void **state)
{
    (void)state;
    qa_form_t *f = NULL;
    char err[256] = "";
    assert_int_equal(parse_q("{'form_id':'g','version':1,'pass_mark':70.5,'critical_zeroes':false,"
                             "'sections':[{'id':'X','name':'x','items':[{'id':'x1','name':'x',"
                             "'max':1}]},{'id':'Y','name':'y','items':[{'id':'y1','name':'y',"
                             "'max':4}]}]}",
                             &f, err, sizeof err),
                     ST_OK);
    assert_false(qa_form_critical_zeroes(f));
    assert_false(qa_form_weights_given(f));
    assert_true(qa_form_pass_mark(f) == 70.5);
    /* No section gives a weight: each weighs 1. */
    assert_true(qa_form_section(f, 0)->weight == 1.0);
    assert_true(qa_form_section(f, 1)->weight == 1.0);
    qa_form_free(f);

    /* Fractional weights are kept as given. */
    assert_int_equal(parse_q("{'form_id':'g','version':1,'pass_mark':0,'sections':[{'id':'X',"
                             "'name':'x','weight':0.25,'items':[{'id':'x1','name':'x','max':1}]}]}",
                             &f, err, sizeof err),
                     ST_OK);
    assert_true(qa_form_section(f, 0)->weight == 0.25);
    qa_form_free(f);
}

/* Lookup over a larger form: every item found at its own index. */
static void test_lookup_many_items(void **state)
{
    (void)state;
    char *text = xmalloc(64 * 1024);
    size_t o = 0;
    o += (size_t)snprintf(text + o, 64 * 1024 - o,
                          "{\"form_id\":\"big\",\"version\":1,\"pass_mark\":1,\"sections\":[");
    for (int s = 0; s < 10; s++) {
        o += (size_t)snprintf(text + o, 64 * 1024 - o,
                              "%s{\"id\":\"s%d\",\"name\":\"n\",\"items\":[", s ? "," : "", s);
        for (int i = 0; i < 50; i++)
            o += (size_t)snprintf(text + o, 64 * 1024 - o,
                                  "%s{\"id\":\"it%03d\",\"name\":\"n\",\"max\":%d}", i ? "," : "",
                                  (49 - i) * 10 + s, 1 + i % 7);
        o += (size_t)snprintf(text + o, 64 * 1024 - o, "]}");
    }
    o += (size_t)snprintf(text + o, 64 * 1024 - o, "]}");
    qa_form_t *f = NULL;
    char err[256] = "";
    assert_int_equal(qa_form_parse(text, o, &f, err, sizeof err), ST_OK);
    assert_int_equal(qa_form_item_count(f), 500);
    char id[16];
    for (int s = 0; s < 10; s++) {
        for (int i = 0; i < 50; i++) {
            snprintf(id, sizeof id, "it%03d", (49 - i) * 10 + s);
            const qa_item_t *it = qa_form_item_find(f, id);
            assert_non_null(it);
            assert_int_equal(it->index, (size_t)(s * 50 + i));
            assert_int_equal(it->max, 1 + i % 7);
        }
    }
    assert_null(qa_form_item_find(f, "it500"));
    qa_form_free(f);
    free(text);
}

typedef struct bad_case {
    const char *json; /* ' for " */
    int rc;
    const char *err;
} bad_case_t;

#define HEAD   "{'form_id':'f','version':1,'pass_mark':80,"
#define OKITEM "{'id':'i1','name':'n','max':1}"
#define OKSEC  "{'id':'s1','name':'n','items':[" OKITEM "]}"

static const bad_case_t bad_cases[] = {
    {"[]", ST_ERR_INVALID, "form: must be a JSON object"},
    /* no sections */
    {HEAD "'sections':[]}", ST_ERR_INVALID, "sections: a form needs at least one section"},
    {"{'form_id':'f','version':1,'pass_mark':80}", ST_ERR_INVALID, "sections: required"},
    {HEAD "'sections':{}}", ST_ERR_INVALID, "sections: must be an array"},
    /* a section with no items */
    {HEAD "'sections':[" OKSEC ",{'id':'s2','name':'n','items':[]}]}", ST_ERR_INVALID,
     "sections[1].items: a section needs at least one item"},
    {HEAD "'sections':[{'id':'s1','name':'n'}]}", ST_ERR_INVALID, "sections[0].items: required"},
    /* weights not positive */
    {HEAD "'sections':[{'id':'s1','name':'n','weight':0,'items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].weight: must be > 0"},
    {HEAD "'sections':[{'id':'s1','name':'n','weight':-1.5,'items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].weight: must be > 0"},
    {HEAD "'sections':[{'id':'s1','name':'n','weight':'2','items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].weight: must be a number"},
    {HEAD "'sections':[{'id':'s1','name':'n','weight':2e6,'items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].weight: must be <= 1000000"},
    /* some sections weighted, some not: name the first without */
    {HEAD "'sections':[{'id':'s1','name':'n','weight':2,'items':[" OKITEM "]},"
          "{'id':'s2','name':'n','items':[{'id':'i2','name':'n','max':1}]}]}",
     ST_ERR_INVALID,
     "sections[1].weight: missing, but sections[0] gives one (give every section a weight or "
     "none)"},
    {HEAD "'sections':[" OKSEC ",{'id':'s2','name':'n','weight':1,'items':[{'id':'i2','name':'n',"
          "'max':1}]}]}",
     ST_ERR_INVALID,
     "sections[0].weight: missing, but sections[1] gives one (give every section a weight or "
     "none)"},
    /* duplicate section ids */
    {HEAD "'sections':[" OKSEC ",{'id':'s1','name':'n','items':[{'id':'i2','name':'n','max':1}]}]}",
     ST_ERR_INVALID, "sections[1].id: duplicate section id \"s1\" (first at sections[0])"},
    /* duplicate item ids, within a section and across sections */
    {HEAD "'sections':[{'id':'s1','name':'n','items':[" OKITEM "," OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].items[1].id: duplicate item id \"i1\" (first at sections[0].items[0])"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':'zz','name':'n','max':1}," OKITEM
          "]},{'id':'s2','name':'n','items':[{'id':'x','name':'n','max':1},{'id':'zz',"
          "'name':'n','max':2}," OKITEM "]}]}",
     ST_ERR_INVALID,
     "sections[1].items[1].id: duplicate item id \"zz\" (first at "
     "sections[0].items[0])"},
    /* max < 1, not an integer, too large, missing */
    {HEAD "'sections':[" OKSEC ",{'id':'s2','name':'n','items':[{'id':'i2','name':'n','max':0}]}]}",
     ST_ERR_INVALID, "sections[1].items[0].max: must be >= 1"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':'i1','name':'n','max':-3}]}]}",
     ST_ERR_INVALID, "sections[0].items[0].max: must be >= 1"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':'i1','name':'n','max':1.5}]}]}",
     ST_ERR_INVALID, "sections[0].items[0].max: must be an integer"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':'i1','name':'n','max':1001}]}]}",
     ST_ERR_INVALID, "sections[0].items[0].max: must be <= 1000"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':'i1','name':'n'}]}]}", ST_ERR_INVALID,
     "sections[0].items[0].max: required"},
    /* unknown keys at each level */
    {HEAD "'colour':'red','sections':[" OKSEC "]}", ST_ERR_INVALID, "colour: unknown key"},
    {HEAD "'sections':[{'id':'s1','name':'n','colour':1,'items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].colour: unknown key"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[" OKITEM ",{'id':'i2','name':'n','max':1,"
          "'points':3}]}]}",
     ST_ERR_INVALID, "sections[0].items[1].points: unknown key"},
    /* wrong types and ranges */
    {"{'form_id':'f','version':'1','pass_mark':80,'sections':[" OKSEC "]}", ST_ERR_INVALID,
     "version: must be an integer"},
    {"{'form_id':'f','version':0,'pass_mark':80,'sections':[" OKSEC "]}", ST_ERR_INVALID,
     "version: must be >= 1"},
    {"{'form_id':'f','version':2147483648,'pass_mark':80,'sections':[" OKSEC "]}", ST_ERR_INVALID,
     "version: must be <= 2147483647"},
    {"{'form_id':'f','pass_mark':80,'sections':[" OKSEC "]}", ST_ERR_INVALID, "version: required"},
    {"{'form_id':'f','version':1,'pass_mark':100.5,'sections':[" OKSEC "]}", ST_ERR_INVALID,
     "pass_mark: must be a number 0..100"},
    {"{'form_id':'f','version':1,'pass_mark':-1,'sections':[" OKSEC "]}", ST_ERR_INVALID,
     "pass_mark: must be a number 0..100"},
    {"{'form_id':'f','version':1,'pass_mark':'80','sections':[" OKSEC "]}", ST_ERR_INVALID,
     "pass_mark: must be a number 0..100"},
    {"{'form_id':'f','version':1,'sections':[" OKSEC "]}", ST_ERR_INVALID, "pass_mark: required"},
    {HEAD "'critical_zeroes':1,'sections':[" OKSEC "]}", ST_ERR_INVALID,
     "critical_zeroes: must be true or false"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':'i1','name':'n','max':1,"
          "'critical':'yes'}]}]}",
     ST_ERR_INVALID, "sections[0].items[0].critical: must be true or false"},
    {HEAD "'sections':[5]}", ST_ERR_INVALID, "sections[0]: must be an object"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[" OKITEM ",[]]}]}", ST_ERR_INVALID,
     "sections[0].items[1]: must be an object"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':{}}]}", ST_ERR_INVALID,
     "sections[0].items: must be an array"},
    {HEAD "'sections':[{'id':'s1','name':7,'items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].name: must be a string"},
    {HEAD "'sections':[{'id':'s1','name':'','items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].name: must not be empty"},
    {HEAD "'sections':[{'id':'s1','name':'a\\tb','items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].name: contains a control character"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':'i1','max':1}]}]}", ST_ERR_INVALID,
     "sections[0].items[0].name: required"},
    {HEAD "'sections':[{'id':1,'name':'n','items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].id: must be a string"},
    /* ids: too long (65 bytes), not printable, empty, missing */
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':"
          "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','name':'n',"
          "'max':1}]}]}",
     ST_ERR_INVALID, "sections[0].items[0].id: longer than 64 bytes"},
    {HEAD "'sections':[{'id':'s1','name':'n','items':[{'id':'greet caller','name':'n',"
          "'max':1}]}]}",
     ST_ERR_INVALID, "sections[0].items[0].id: must be 1-64 visible ASCII characters (no spaces)"},
    {HEAD "'sections':[{'id':'s\\u00e9','name':'n','items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].id: must be 1-64 visible ASCII characters (no spaces)"},
    {HEAD "'sections':[{'id':'a\\nb','name':'n','items':[" OKITEM "]}]}", ST_ERR_INVALID,
     "sections[0].id: must be 1-64 visible ASCII characters (no spaces)"},
    {"{'form_id':'','version':1,'pass_mark':80,'sections':[" OKSEC "]}", ST_ERR_INVALID,
     "form_id: must be 1-64 visible ASCII characters (no spaces)"},
    {"{'version':1,'pass_mark':80,'sections':[" OKSEC "]}", ST_ERR_INVALID, "form_id: required"},
};

static void test_bad_forms_name_the_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        qa_form_t *f = (qa_form_t *)&f; /* must be reset to NULL */
        char err[256] = "";
        int rc = parse_q(bad_cases[i].json, &f, err, sizeof err);
        /* The message starts with the path and reason (an unknown key adds the valid ones). */
        size_t n = strlen(bad_cases[i].err);
        if (rc != bad_cases[i].rc || strncmp(err, bad_cases[i].err, n) != 0)
            print_error("case %zu: rc %d err \"%s\"\n", i, rc, err);
        assert_int_equal(rc, bad_cases[i].rc);
        assert_memory_equal(err, bad_cases[i].err, n);
        assert_null(f);
    }
}

/* The key text goes into the message: non-printable bytes are masked. */
static void test_unknown_key_is_quoted_safely(void **state)
{
    (void)state;
    qa_form_t *f = NULL;
    char err[256] = "";
    assert_int_equal(parse_q(HEAD "'x\\u0007y':1,'sections':[" OKSEC "]}", &f, err, sizeof err),
                     ST_ERR_INVALID);
    assert_string_equal(err, "x?y: unknown key (one of: form_id, version, pass_mark, "
                             "critical_zeroes, sections)");
}

static void test_json_syntax_duplicates_and_size(void **state)
{
    (void)state;
    qa_form_t *f = NULL;
    char err[256] = "";
    /* Duplicate keys are refused by the loader (jansson JSON_REJECT_DUPLICATES). */
    assert_int_equal(parse_q(HEAD "'version':2,'sections':[" OKSEC "]}", &f, err, sizeof err),
                     ST_ERR_INVALID);
    assert_non_null(strstr(err, "duplicate object key"));
    assert_null(f);
    assert_int_equal(qa_form_parse("{\"form_id\":", 11, &f, err, sizeof err), ST_ERR_INVALID);
    assert_true(strncmp(err, "form: line 1 column ", 20) == 0);
    assert_int_equal(qa_form_parse("{}", QA_FORM_MAX_BYTES + 1, &f, err, sizeof err),
                     ST_ERR_TOO_LARGE);
    assert_string_equal(err, "form: larger than 1048576 bytes");
}

/* A NUL inside an id can only come from a json_t built in memory. */
static void test_from_json_refuses_embedded_nul(void **state)
{
    (void)state;
    qa_form_t *f = NULL;
    char err[256] = "";
    json_t *root = json_pack("{s:s#, s:i, s:i, s:[{s:s, s:s, s:[{s:s, s:s, s:i}]}]}", "form_id",
                             "a\0b", (int)3, "version", 1, "pass_mark", 50, "sections", "id", "s1",
                             "name", "n", "items", "id", "i1", "name", "n", "max", 1);
    assert_non_null(root);
    assert_int_equal(qa_form_from_json(root, &f, err, sizeof err), ST_ERR_INVALID);
    assert_string_equal(err, "form_id: must be 1-64 visible ASCII characters (no spaces)");
    assert_null(f);
    json_decref(root);
}

static void test_limits(void **state)
{
    (void)state;
    /* 101 sections of one item each: over QA_FORM_MAX_SECTIONS = 100. */
    json_t *secs = json_array();
    for (int s = 0; s < 101; s++) {
        char id[16];
        snprintf(id, sizeof id, "i%d", s);
        json_array_append_new(secs,
                              json_pack("{s:s, s:s, s:[{s:s, s:s, s:i}]}", "id", id + 1, "name",
                                        "n", "items", "id", id, "name", "n", "max", 1));
    }
    json_t *root = json_pack("{s:s, s:i, s:i, s:o}", "form_id", "f", "version", 1, "pass_mark", 50,
                             "sections", secs);
    qa_form_t *f = NULL;
    char err[256] = "";
    assert_int_equal(qa_form_from_json(root, &f, err, sizeof err), ST_ERR_TOO_LARGE);
    assert_string_equal(err, "sections: more than 100 sections");
    json_decref(root);

    /* Two sections of 600 items: the second passes QA_FORM_MAX_ITEMS = 1000. */
    secs = json_array();
    for (int s = 0; s < 2; s++) {
        json_t *items = json_array();
        for (int i = 0; i < 600; i++) {
            char id[16];
            snprintf(id, sizeof id, "i%d", s * 600 + i);
            json_array_append_new(items,
                                  json_pack("{s:s, s:s, s:i}", "id", id, "name", "n", "max", 1));
        }
        json_array_append_new(
            secs, json_pack("{s:s, s:s, s:o}", "id", s ? "b" : "a", "name", "n", "items", items));
    }
    root = json_pack("{s:s, s:i, s:i, s:o}", "form_id", "f", "version", 1, "pass_mark", 50,
                     "sections", secs);
    assert_int_equal(qa_form_from_json(root, &f, err, sizeof err), ST_ERR_TOO_LARGE);
    assert_string_equal(err, "sections[1].items: more than 1000 items in the form");
    assert_null(f);
    json_decref(root);
}

static void test_id_valid_and_quote(void **state)
{
    (void)state;
    assert_true(qa_form_id_valid("a"));
    assert_true(qa_form_id_valid("EV-2026-10/001_x"));
    /* 64 bytes is the limit, 65 is over. */
    assert_true(
        qa_form_id_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    assert_false(
        qa_form_id_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    assert_false(qa_form_id_valid(""));
    assert_false(qa_form_id_valid(NULL));
    assert_false(qa_form_id_valid("a b"));
    assert_false(qa_form_id_valid("a\tb"));
    assert_false(qa_form_id_valid("caf\xc3\xa9"));
    assert_false(qa_form_id_valid("a\x7f"));

    char q[80];
    qa_form_quote(q, sizeof q, "ok id\x01\xff");
    assert_string_equal(q, "ok id??");
    qa_form_quote(q, sizeof q, NULL);
    assert_string_equal(q, "");
    /* 70 bytes: cut to 64 and marked. */
    qa_form_quote(q, sizeof q,
                  "0123456789012345678901234567890123456789012345678901234567890123456789");
    assert_string_equal(q, "0123456789012345678901234567890123456789012345678901234567890123...");
    char small[4];
    qa_form_quote(small, sizeof small, "abcdef");
    assert_string_equal(small, "abc");
}

/* Every fault of a scorecard, with its path, in one answer. */
static void test_every_fault_is_named_in_one_answer(void **state)
{
    (void)state;
    const char *q = "{'form_id':'f','version':1,'pass_mark':120,'colour':1,'sections':["
                    "{'id':'s1','name':'n','items':[{'id':'i1','name':'n','max':0}]},"
                    "{'id':'s1','name':'n','items':[{'id':'i1','name':'n','max':1,"
                    "'critical':'yes'}]}]}";
    char *text = xstrdup(q);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    json_t *list = json_array();
    char err[640];
    faults_t fl;
    faults_init(&fl, err, sizeof err, list);
    qa_form_t *f = (qa_form_t *)&f;
    assert_int_equal(qa_form_check(root, &f, &fl), ST_ERR_INVALID);
    assert_null(f);
    static const char *const want[] = {"colour",
                                       "pass_mark",
                                       "sections[0].items[0].max",
                                       "sections[1].items[0].critical",
                                       "sections[1].id",
                                       "sections[1].items[0].id"};
    assert_int_equal(fl.count, 6);
    assert_int_equal(json_array_size(list), 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "path")),
                            want[i]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 5), "message")),
                        "duplicate item id \"i1\" (first at sections[0].items[0])");
    assert_int_equal(json_array_size(json_object_get(json_array_get(list, 0), "valid")), 5);
    assert_memory_equal(err, "colour: unknown key", 19);
    json_decref(list);
    json_decref(root);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_form_fields),
        cmocka_unit_test(test_equal_weights_and_critical_zeroes_false),
        cmocka_unit_test(test_lookup_many_items),
        cmocka_unit_test(test_bad_forms_name_the_path),
        cmocka_unit_test(test_unknown_key_is_quoted_safely),
        cmocka_unit_test(test_json_syntax_duplicates_and_size),
        cmocka_unit_test(test_from_json_refuses_embedded_nul),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_id_valid_and_quote),
        cmocka_unit_test(test_every_fault_is_named_in_one_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
