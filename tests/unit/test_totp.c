/* Unit tests for lib/totp.c: RFC 6238 appendix B (SHA-1), RFC 4226 appendix D,
 * the window, replay, and base32 (RFC 4648 section 10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "totp.h"

static const uint8_t rfc_key[] = "12345678901234567890"; /* the SHA-1 seed of both RFCs */

static void test_rfc6238_appendix_b_sha1(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        uint32_t code; /* 8 digits */
    } v[] = {
        {59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
        {1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal(totp_hotp(rfc_key, 20, (uint64_t)totp_step(v[i].t), 8), v[i].code);
}

static void test_rfc4226_appendix_d(void **state)
{
    (void)state;
    static const uint32_t want[] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
    for (uint64_t c = 0; c < 10; c++)
        assert_int_equal(totp_hotp(rfc_key, 20, c, 6), want[c]);
}

static void test_window_and_replay(void **state)
{
    (void)state;
    /* At t = 59 (step 1) the 6-digit codes of steps 0, 1, 2 are 755224, 287082, 359152. */
    assert_int_equal(totp_check(rfc_key, 20, "287082", 59, -1), 1);
    assert_int_equal(totp_check(rfc_key, 20, "755224", 59, -1), 0);  /* one step late */
    assert_int_equal(totp_check(rfc_key, 20, "359152", 59, -1), 2);  /* one step early */
    assert_int_equal(totp_check(rfc_key, 20, "969429", 59, -1), -1); /* two steps early */
    assert_int_equal(totp_check(rfc_key, 20, "287 082", 59, -1), 1); /* spaces ignored */
    /* Replay: the step used last, and any before it, is refused. */
    assert_int_equal(totp_check(rfc_key, 20, "287082", 59, 1), -1);
    assert_int_equal(totp_check(rfc_key, 20, "755224", 59, 0), -1);
    assert_int_equal(totp_check(rfc_key, 20, "359152", 59, 1), 2);
    /* Malformed codes. */
    assert_int_equal(totp_check(rfc_key, 20, "", 59, -1), -1);
    assert_int_equal(totp_check(rfc_key, 20, "28708", 59, -1), -1);
    assert_int_equal(totp_check(rfc_key, 20, "2870822", 59, -1), -1);
    assert_int_equal(totp_check(rfc_key, 20, "28708a", 59, -1), -1);
    assert_int_equal(totp_check(rfc_key, 20, NULL, 59, -1), -1);
}

static void test_base32(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } v[] = {{"", ""},
             {"f", "MY"},
             {"fo", "MZXQ"},
             {"foo", "MZXW6"},
             {"foob", "MZXW6YQ"},
             {"fooba", "MZXW6YTB"},
             {"foobar", "MZXW6YTBOI"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[32];
        totp_base32((const uint8_t *)v[i].in, strlen(v[i].in), out, sizeof out);
        assert_string_equal(out, v[i].out);
        uint8_t back[32];
        long n = totp_base32_decode(v[i].out, back, sizeof back);
        assert_int_equal(n, (long)strlen(v[i].in));
        assert_memory_equal(back, v[i].in, (size_t)n);
    }
    char text[TOTP_BASE32_MAX];
    totp_base32(rfc_key, 20, text, sizeof text);
    assert_string_equal(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    uint8_t key[20];
    assert_int_equal(totp_base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", key, 20), 20);
    assert_memory_equal(key, rfc_key, 20);
    assert_int_equal(totp_base32_decode("GEZ1", key, 20), -1);
    assert_int_equal(totp_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE", key, 20), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6238_appendix_b_sha1),
        cmocka_unit_test(test_rfc4226_appendix_d),
        cmocka_unit_test(test_window_and_replay),
        cmocka_unit_test(test_base32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
