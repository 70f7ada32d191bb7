/* test_ihist.c - exact integer histograms: deltas, the encoding, malformed bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "ihist.h"
#include "status.h"

/* Adds, removals back to zero, order kept. */
static void test_add_and_remove(void **state)
{
    (void)state;
    ihist_t h = {0};
    ihist_add(&h, 7, 1);
    ihist_add(&h, 3, 2);
    ihist_add(&h, 10, 1);
    ihist_add(&h, 7, 1);
    assert_int_equal(h.n, 3);
    assert_int_equal(h.p[0].value, 3);
    assert_int_equal(h.p[1].count, 2); /* 7 twice */
    assert_int_equal(ihist_total(&h), 5);
    ihist_add(&h, 3, -2); /* 3 leaves */
    assert_int_equal(h.n, 2);
    assert_int_equal(h.p[0].value, 7);
    ihist_add(&h, 5, -1); /* a delta below zero stays, as a negative count */
    assert_int_equal(h.p[0].value, 5);
    assert_int_equal(h.p[0].count, -1);
    ihist_add(&h, 5, 0); /* nothing */
    assert_int_equal(h.n, 3);
    ihist_free(&h);
    assert_int_equal(h.n, 0);
}

/* Encode, decode, add encoded bytes with a sign; the bytes by hand. */
static void test_encoding(void **state)
{
    (void)state;
    ihist_t h = {0}, g = {0};
    ihist_add(&h, 0, 3);
    ihist_add(&h, 2, 1);
    ihist_add(&h, 300, 200);
    buf_t b;
    buf_init(&b, 1024);
    assert_int_equal(ihist_encode(&h, &b), ST_OK);
    /* 3 pairs; (0, 3); (+2, 1); (+298 = 0xaa 0x02, 200 = 0xc8 0x01) */
    const uint8_t want[] = {3, 0, 3, 2, 1, 0xaa, 0x02, 0xc8, 0x01};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    ihist_view_t v = {(const uint8_t *)b.data, b.len};
    assert_int_equal(ihist_add_encoded(&g, v, 1), ST_OK);
    assert_true(ihist_equal(&g, &h));
    assert_int_equal(ihist_add_encoded(&g, v, -1), ST_OK);
    assert_int_equal(g.n, 0);
    /* An empty view and an empty histogram both read as nothing. */
    assert_int_equal(ihist_add_encoded(&g, (ihist_view_t){NULL, 0}, 1), ST_OK);
    assert_int_equal(g.n, 0);
    buf_reset(&b);
    assert_int_equal(ihist_encode(&g, &b), ST_OK);
    assert_int_equal(b.len, 1);
    /* A histogram with a negative count cannot be stored. */
    ihist_add(&g, 4, -1);
    assert_int_equal(ihist_encode(&g, &b), ST_ERR_INVALID);
    buf_free(&b);
    ihist_free(&g);
    ihist_free(&h);
}

/* Truncated bytes, trailing bytes, a repeated value, a zero count: refused. */
static void test_malformed(void **state)
{
    (void)state;
    static const uint8_t truncated[] = {2, 0, 1, 5};
    static const uint8_t trailing[] = {1, 0, 1, 9};
    static const uint8_t repeated[] = {2, 4, 1, 0, 1};
    static const uint8_t zero_count[] = {1, 4, 0};
    static const uint8_t endless[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 1};
    const ihist_view_t bad[] = {{truncated, sizeof truncated},
                                {trailing, sizeof trailing},
                                {repeated, sizeof repeated},
                                {zero_count, sizeof zero_count},
                                {endless, sizeof endless}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ihist_t h = {0};
        assert_int_equal(ihist_add_encoded(&h, bad[i], 1), ST_ERR_INVALID);
        ihist_free(&h);
    }
}

/* Many random adds equal a plain count array, through an encoding. */
static void test_against_array(void **state)
{
    (void)state;
    int64_t want[500] = {0};
    ihist_t h = {0};
    uint64_t s = 88172645463325252u;
    for (int i = 0; i < 20000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        int v = (int)(s % 500);
        int c = (s >> 20) % 3 == 0 ? -1 : 1;
        if (want[v] + c < 0)
            c = 1;
        want[v] += c;
        ihist_add(&h, v, c);
    }
    buf_t b;
    buf_init(&b, 1 << 20);
    assert_int_equal(ihist_encode(&h, &b), ST_OK);
    ihist_iter_t it;
    ihist_iter_init(&it, (ihist_view_t){(const uint8_t *)b.data, b.len});
    int64_t v, c;
    size_t pairs = 0;
    while (ihist_iter_next(&it, &v, &c)) {
        assert_int_equal(c, want[v]);
        pairs++;
    }
    assert_false(it.bad);
    size_t nonzero = 0;
    for (int i = 0; i < 500; i++)
        nonzero += want[i] != 0;
    assert_int_equal(pairs, nonzero);
    buf_free(&b);
    ihist_free(&h);
}

/* A value or count beyond 32 bits cannot be kept: the histogram says so and
 * refuses to be stored, rather than wrap. */
static void test_overflow(void **state)
{
    (void)state;
    ihist_t h = {0};
    ihist_add(&h, 1, INT32_MAX);
    assert_false(h.overflow);
    ihist_add(&h, 1, 1);
    assert_true(h.overflow);
    buf_t b;
    buf_init(&b, 64);
    assert_int_equal(ihist_encode(&h, &b), ST_ERR_INVALID);
    ihist_clear(&h);
    ihist_add(&h, (int64_t)INT32_MAX + 1, 1);
    assert_true(h.overflow);
    buf_free(&b);
    ihist_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_remove), cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_against_array),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
