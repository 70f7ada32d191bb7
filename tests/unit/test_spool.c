/* Unit tests for lib/spool.c: what is written reads back whole, twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"
#include "status.h"

/* Reads the whole spool from the start into a new buffer of *len bytes. */
static char *read_all(spool_t *s, size_t *len)
{
    assert_int_equal(spool_rewind(s), ST_OK);
    size_t cap = 1, n = 0;
    char *out = malloc(cap);
    const char *data;
    long k;
    while ((k = spool_read(s, &data)) > 0) {
        out = realloc(out, cap += (size_t)k);
        memcpy(out + n, data, (size_t)k);
        n += (size_t)k;
    }
    assert_int_equal(k, 0);
    *len = n;
    return out;
}

static void test_reads_back_what_was_written_twice(void **state)
{
    (void)state;
    spool_t *s = NULL;
    assert_int_equal(spool_new("build/tmp-spool-test", &s), ST_OK);
    /* More than one read buffer, in uneven pieces. */
    size_t total = 700 * 1024 + 13;
    char *src = malloc(total);
    for (size_t i = 0; i < total; i++)
        src[i] = (char)('a' + i % 26);
    for (size_t off = 0; off < total;) {
        size_t piece = total - off < 4099 ? total - off : 4099;
        assert_int_equal(spool_write(s, src + off, piece), ST_OK);
        off += piece;
    }
    assert_int_equal(spool_size(s), total);
    for (int pass = 0; pass < 2; pass++) {
        size_t len;
        char *back = read_all(s, &len);
        assert_int_equal(len, total);
        assert_memory_equal(back, src, total);
        free(back);
    }
    free(src);
    spool_free(s);
    spool_free(NULL);
}

static void test_empty_spool_reads_nothing(void **state)
{
    (void)state;
    spool_t *s = NULL;
    assert_int_equal(spool_new("build/tmp-spool-test", &s), ST_OK);
    size_t len;
    char *back = read_all(s, &len);
    assert_int_equal(len, 0);
    free(back);
    spool_free(s);
}

static void test_unwritable_directory_is_an_io_error(void **state)
{
    (void)state;
    spool_t *s = (spool_t *)1;
    assert_int_equal(spool_new("/proc/no-such-dir/x", &s), ST_ERR_IO);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_back_what_was_written_twice),
        cmocka_unit_test(test_empty_spool_reads_nothing),
        cmocka_unit_test(test_unwritable_directory_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
