/* Unit tests for lib/json_split.c: records and their lines, chunking, NDJSON, fatal errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "json_split.h"
#include "status.h"

/* What the callback saw: records joined by '|', each as "line:text". */
typedef struct seen {
    char text[1024];
    int n;
    int stop_at; /* stop (ST_ERR_INVALID) at this record number, 0: never */
} seen_t;

static int collect(void *ctx, const char *rec, size_t len, uint64_t line)
{
    seen_t *s = ctx;
    s->n++;
    size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof s->text - used, "%s%llu:%.*s", used ? "|" : "",
             (unsigned long long)line, (int)len, rec);
    assert_int_equal(rec[len], '\0');
    return s->stop_at == s->n ? ST_ERR_INVALID : ST_OK;
}

/* Runs a whole body through a splitter, in chunks of `chunk` bytes. */
static int run(bool ndjson, const char *body, size_t chunk, seen_t *s, char *err, size_t errlen,
               uint64_t *err_line)
{
    json_split_t *sp = json_split_new(ndjson, 64, collect, s);
    size_t len = strlen(body);
    int rc = ST_OK;
    for (size_t i = 0; i < len && rc == ST_OK; i += chunk)
        rc = json_split_feed(sp, body + i, len - i < chunk ? len - i : chunk);
    if (rc == ST_OK)
        rc = json_split_finish(sp);
    snprintf(err, errlen, "%s", json_split_error(sp));
    *err_line = json_split_error_line(sp);
    json_split_free(sp);
    return rc;
}

static void test_array_records_and_lines_any_chunking(void **state)
{
    (void)state;
    /* Three objects; the second starts on line 2, the third on line 4 (a string holds
     * an escaped quote, a brace and a bracket, which must not end it). */
    const char *body = "\xEF\xBB\xBF [{\"a\":1},\n {\"b\":{\"c\":[1,2]}}\n,\n"
                       "{\"s\":\"x\\\"}]\"} ]\n";
    for (size_t chunk = 1; chunk <= strlen(body); chunk++) {
        seen_t s = {.text = ""};
        char err[160];
        uint64_t line;
        assert_int_equal(run(false, body, chunk, &s, err, sizeof err, &line), ST_OK);
        assert_string_equal(s.text, "1:{\"a\":1}|2:{\"b\":{\"c\":[1,2]}}|4:{\"s\":\"x\\\"}]\"}");
    }
}

static void test_empty_array_and_ndjson(void **state)
{
    (void)state;
    seen_t s = {.text = ""};
    char err[160];
    uint64_t line;
    assert_int_equal(run(false, " [ ] \n", 2, &s, err, sizeof err, &line), ST_OK);
    assert_int_equal(s.n, 0);
    /* NDJSON: blank lines skipped, CRLF's CR dropped, last line without LF kept. */
    seen_t t = {.text = ""};
    assert_int_equal(run(true, "{\"a\":1}\r\n\n  \n{\"b\":2}", 3, &t, err, sizeof err, &line),
                     ST_OK);
    assert_string_equal(t.text, "1:{\"a\":1}|4:{\"b\":2}");
}

static void test_fatal_errors_name_the_line(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        bool ndjson;
        int rc;
        uint64_t line;
        const char *words;
    } cases[] = {
        {"{\"a\":1}", false, ST_ERR_INVALID, 1, "must be a JSON array"},
        {"[{\"a\":1},\n 5]", false, ST_ERR_INVALID, 2, "not an object"},
        {"[{\"a\":1} {\"b\":2}]", false, ST_ERR_INVALID, 1, "expected ','"},
        {"[{\"a\":1},]", false, ST_ERR_INVALID, 1, "not an object"},
        {"[{\"a\":1}]\n x", false, ST_ERR_INVALID, 2, "after the end"},
        {"[{\"a\":1},\n{\"b\":", false, ST_ERR_INVALID, 2, "not closed"},
        {"", false, ST_ERR_INVALID, 1, "empty"},
        {" \n ", true, ST_ERR_INVALID, 2, "empty"},
        /* 65 bytes in one record: over the cap of 64 set by run(). */
        {"[{\"k\":\"012345678901234567890123456789012345678901234567890123456\"}]", false,
         ST_ERR_TOO_LARGE, 1, "larger than 64"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seen_t s = {.text = ""};
        char err[160];
        uint64_t line;
        int rc = run(cases[i].ndjson, cases[i].body, 4, &s, err, sizeof err, &line);
        assert_int_equal(rc, cases[i].rc);
        assert_int_equal(line, cases[i].line);
        assert_non_null(strstr(err, cases[i].words));
    }
}

static void test_callback_stops_and_stays_stopped(void **state)
{
    (void)state;
    seen_t s = {.text = "", .stop_at = 1};
    json_split_t *sp = json_split_new(false, 64, collect, &s);
    assert_int_equal(json_split_feed(sp, "[{\"a\":1},{\"b\":2}]", 17), ST_ERR_INVALID);
    assert_int_equal(s.n, 1);
    assert_int_equal(json_split_feed(sp, "x", 1), ST_ERR_INVALID);
    assert_int_equal(json_split_finish(sp), ST_ERR_INVALID);
    assert_string_equal(json_split_error(sp), "");
    json_split_free(sp);
    json_split_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_records_and_lines_any_chunking),
        cmocka_unit_test(test_empty_array_and_ndjson),
        cmocka_unit_test(test_fatal_errors_name_the_line),
        cmocka_unit_test(test_callback_stops_and_stays_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
