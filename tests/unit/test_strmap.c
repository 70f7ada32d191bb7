/* test_strmap.c - the string map: insert, find, growth, borrowed keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "strmap.h"
#include "strpool.h"

static void test_put_get_and_growth(void **state)
{
    (void)state;
    strmap_t *m = strmap_new(0);
    static char keys[1000][8];
    bool added;
    for (int i = 0; i < 1000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        *strmap_put(m, keys[i], &added) = i * 3;
        assert_true(added);
    }
    assert_int_equal(strmap_count(m), 1000);
    /* Equal text at another address finds the same entry. */
    char probe[8] = "k417";
    assert_non_null(strmap_get(m, probe));
    assert_int_equal(*strmap_get(m, probe), 1251);
    int64_t *v = strmap_put(m, probe, &added);
    assert_false(added);
    assert_int_equal(*v, 1251);
    assert_null(strmap_get(m, "k1000"));
    assert_null(strmap_get(m, ""));
    /* Every slot visited once: the values sum to 3 x (0 + ... + 999). */
    int64_t sum = 0;
    size_t seen = 0;
    for (size_t i = 0; i < strmap_capacity(m); i++) {
        const char *k;
        int64_t val;
        if (strmap_slot(m, i, &k, &val)) {
            sum += val;
            seen++;
        }
    }
    assert_int_equal(seen, 1000);
    assert_int_equal(sum, 3 * 999 * 1000 / 2);
    strmap_free(m);
    strmap_free(NULL);
}

static void test_empty_key(void **state)
{
    (void)state;
    strmap_t *m = strmap_new(4);
    bool added;
    *strmap_put(m, "", &added) = 7;
    assert_true(added);
    assert_int_equal(*strmap_get(m, ""), 7);
    assert_int_equal(strmap_count(m), 1);
    strmap_free(m);
}

/* Interned texts: equal texts give one pointer, stable across block growth. */
static void test_pool(void **state)
{
    (void)state;
    strpool_t *p = strpool_new();
    char buf[32] = "queue-a";
    const char *a = strpool_intern(p, buf);
    snprintf(buf, sizeof buf,
             "queue-b"); /* the caller's buffer changes: the pool's copy does not */
    const char *b = strpool_intern(p, buf);
    assert_string_equal(a, "queue-a");
    assert_string_equal(b, "queue-b");
    assert_ptr_equal(strpool_intern(p, "queue-a"), a);
    char many[16];
    for (int i = 0; i < 20000; i++) { /* several 64 KiB blocks */
        snprintf(many, sizeof many, "customer%d", i);
        strpool_intern(p, many);
    }
    assert_ptr_equal(strpool_intern(p, "queue-b"), b);
    assert_string_equal(strpool_intern(p, "customer19999"), "customer19999");
    assert_true(strpool_bytes(p) >= 20000 * 10);
    /* A copy is the pool's, never shared with an equal interned text. */
    const char *c = strpool_copy(p, "queue-a");
    assert_string_equal(c, "queue-a");
    assert_ptr_not_equal(c, a);
    strpool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_and_growth),
        cmocka_unit_test(test_empty_key),
        cmocka_unit_test(test_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
