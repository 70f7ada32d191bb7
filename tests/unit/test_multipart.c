/* Unit tests for lib/multipart.c: named parts, binary content, malformed bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "multipart.h"
#include "status.h"

#define CT "multipart/form-data; boundary=XyZ"

static void test_two_parts_with_binary_content(void **state)
{
    (void)state;
    /* The signature part holds a CR LF and a NUL: content is bytes, not text. */
    static const char body[] = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"workbook\"; "
                               "filename=\"r.xlsx\"\r\n"
                               "Content-Type: application/octet-stream\r\n"
                               "\r\n"
                               "PK\x03\x04 data\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=signature\r\n"
                               "\r\n"
                               "a\r\nb\0c\r\n"
                               "--XyZ--\r\n";
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t n = 0;
    char err[128];
    assert_int_equal(multipart_parse(CT, body, sizeof body - 1, parts, &n, err, sizeof err), ST_OK);
    assert_int_equal(n, 2);
    const multipart_part_t *wb = multipart_find(parts, n, "workbook");
    assert_non_null(wb);
    assert_string_equal(wb->filename, "r.xlsx");
    assert_int_equal(wb->len, 9);
    assert_memory_equal(wb->data, "PK\x03\x04 data", 9);
    const multipart_part_t *sig = multipart_find(parts, n, "signature");
    assert_int_equal(sig->len, 6);
    assert_memory_equal(sig->data, "a\r\nb\0c", 6);
    assert_null(multipart_find(parts, n, "other"));
}

static void test_malformed_bodies_are_refused(void **state)
{
    (void)state;
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t n = 0;
    char err[128];
    static const char cut[] = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc";
    assert_int_equal(multipart_parse(CT, cut, sizeof cut - 1, parts, &n, err, sizeof err),
                     ST_ERR_INVALID);
    static const char noname[] = "--XyZ\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XyZ--\r\n";
    assert_int_equal(multipart_parse(CT, noname, sizeof noname - 1, parts, &n, err, sizeof err),
                     ST_ERR_INVALID);
    assert_int_equal(multipart_parse("multipart/form-data", "", 0, parts, &n, err, sizeof err),
                     ST_ERR_INVALID);
    assert_int_equal(multipart_parse("application/json", "{}", 2, parts, &n, err, sizeof err),
                     ST_ERR_INVALID);
    assert_int_equal(multipart_parse(CT, "", 0, parts, &n, err, sizeof err), ST_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_parts_with_binary_content),
        cmocka_unit_test(test_malformed_bodies_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
