/*
 * Unit tests for reports/unsub_token.c: the signed opt-out token.  The
 * expected token was computed independently with Python:
 *   p = b"7\nmonthly\na@b.example"
 *   "u1." + p.hex() + "." + hmac.new(b"k" * 32, p, hashlib.sha256).hexdigest()
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "status.h"
#include "unsub_token.h"

#define KEY "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
#define EXPECTED                                                                                   \
    "u1.370a6d6f6e74686c790a6140622e6578616d706c65."                                               \
    "cd1724c5493800df24276c9c5104b4dd3e208d80ff5bd7bea6326260d51be44d"

static void test_make_and_read(void **state)
{
    (void)state;
    unsub_who_t who = {7, "monthly", "a@b.example"}, back;
    char tok[UNSUB_TOKEN_MAX];
    assert_int_equal(unsub_token_make(KEY, 32, &who, tok), ST_OK);
    assert_string_equal(tok, EXPECTED);
    assert_int_equal(unsub_token_read(KEY, 32, tok, &back), ST_OK);
    assert_true(back.tenant_id == 7);
    assert_string_equal(back.schedule, "monthly");
    assert_string_equal(back.email, "a@b.example");
}

static void test_refusals(void **state)
{
    (void)state;
    unsub_who_t back;
    char tok[UNSUB_TOKEN_MAX];
    snprintf(tok, sizeof tok, "%s", EXPECTED);
    /* Another key, or a payload changed by one digit (tenant 8): the signature fails. */
    assert_int_equal(unsub_token_read("other-key", 9, tok, &back), ST_ERR_AUTH);
    tok[4] = '8';
    assert_int_equal(unsub_token_read(KEY, 32, tok, &back), ST_ERR_AUTH);
    assert_int_equal(unsub_token_read(KEY, 32, "", &back), ST_ERR_INVALID);
    assert_int_equal(unsub_token_read(KEY, 32, "u1.37.ab", &back), ST_ERR_INVALID);
    assert_int_equal(unsub_token_read(KEY, 32, "u2.370a.00", &back), ST_ERR_INVALID);
    unsub_who_t bad = {1, "a\nb", "x@y.example"};
    assert_int_equal(unsub_token_make(KEY, 32, &bad, tok), ST_ERR_INVALID);
    /* The longest names fit the buffer. */
    unsub_who_t big = {UINT64_MAX, "", ""};
    memset(big.schedule, 's', UNSUB_SCHEDULE_MAX);
    memset(big.email, 'e', UNSUB_EMAIL_MAX);
    assert_int_equal(unsub_token_make(KEY, 32, &big, tok), ST_OK);
    assert_int_equal(strlen(tok), UNSUB_TOKEN_MAX - 1);
    assert_int_equal(unsub_token_read(KEY, 32, tok, &back), ST_OK);
    assert_true(back.tenant_id == UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_and_read),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
