/* Unit tests for lib/utf8.c and lib/pct.c: the byte-level input checks of the HTTP layer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "pct.h"
#include "utf8.h"

static void test_utf8_accepts_valid_text(void **state)
{
    (void)state;
    assert_true(utf8_valid("", 0));
    assert_true(utf8_valid("plain ascii", 11));
    assert_true(utf8_valid("\xe4\xbf\x9d\xe9\x99\xa9", 6)); /* 保险 */
    assert_true(utf8_valid("\xf0\x9f\x93\x9e", 4));         /* U+1F4DE, 4 bytes */
    assert_true(utf8_valid("\xf4\x8f\xbf\xbf", 4));         /* U+10FFFF, the last */
}

static void test_utf8_refuses_what_rfc3629_forbids(void **state)
{
    (void)state;
    assert_false(utf8_valid("a\0b", 3));             /* NUL */
    assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(utf8_valid("\xe0\x80\xaf", 3));     /* overlong, 3 bytes */
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* U+D800 surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* U+110000 */
    assert_false(utf8_valid("\xe4\xbf", 2));         /* cut short */
    assert_false(utf8_valid("\x80", 1));             /* lone continuation */
    assert_false(utf8_valid("\xff", 1));
}

static void test_pct_decodes_escapes_and_plus(void **state)
{
    (void)state;
    char *s = pct_decode("/v1/a%20b%2Fc", 13, false);
    assert_string_equal(s, "/v1/a b/c");
    free(s);
    s = pct_decode("a+b%2b", 6, true);
    assert_string_equal(s, "a b+");
    free(s);
    s = pct_decode("a+b", 3, false);
    assert_string_equal(s, "a+b");
    free(s);
    s = pct_decode("%E4%BF%9D", 9, false); /* 保 */
    assert_string_equal(s, "\xe4\xbf\x9d");
    free(s);
}

static void test_pct_refuses_malformed_and_unsafe(void **state)
{
    (void)state;
    assert_null(pct_decode("%zz", 3, false));
    assert_null(pct_decode("%4", 2, false));
    assert_null(pct_decode("abc%", 4, false));
    assert_null(pct_decode("a%00b", 5, false));  /* NUL */
    assert_null(pct_decode("%ff%fe", 6, false)); /* not UTF-8 */
}

static void test_utf8_finds_invisible_and_bidi_characters(void **state)
{
    (void)state;
    assert_int_equal(utf8_invisible("", 0), 0);
    assert_int_equal(utf8_invisible("agent-7", 7), 0);
    assert_int_equal(utf8_invisible("\xe4\xbf\x9d\xe9\x99\xa9", 6), 0); /* 保险 */
    assert_int_equal(utf8_invisible("\xe2\x80\x8a", 3), 0); /* U+200A HAIR SPACE: visible */
    assert_int_equal(utf8_invisible("\xe2\x80\xaf", 3), 0); /* U+202F NARROW NBSP: visible */
    static const struct {
        const char *s;
        uint32_t cp;
    } bad[] = {
        {"a\xe2\x80\xae"
         "gnp.exe",
         0x202E},                               /* RIGHT-TO-LEFT OVERRIDE */
        {"\xe2\x80\xaa", 0x202A},               /* LEFT-TO-RIGHT EMBEDDING */
        {"x\xe2\x81\xa6y\xe2\x81\xa9", 0x2066}, /* LRI ... PDI: the first one */
        {"\xe2\x81\xa9", 0x2069},               /* POP DIRECTIONAL ISOLATE */
        {"a\xe2\x80\x8b"
         "b",
         0x200B}, /* ZERO WIDTH SPACE */
        {"a\xe2\x80\x8d"
         "b",
         0x200D},                      /* ZERO WIDTH JOINER */
        {"\xe2\x80\x8f", 0x200F},      /* RIGHT-TO-LEFT MARK */
        {"\xd8\x9c", 0x061C},          /* ARABIC LETTER MARK */
        {"\xe2\x81\xa0", 0x2060},      /* WORD JOINER */
        {"\xe2\x81\xa4", 0x2064},      /* INVISIBLE PLUS */
        {"\xef\xbb\xbfsales", 0xFEFF}, /* ZERO WIDTH NO-BREAK SPACE */
        {"\xe1\xa0\x8e", 0x180E},      /* MONGOLIAN VOWEL SEPARATOR */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(utf8_invisible(bad[i].s, strlen(bad[i].s)), bad[i].cp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_accepts_valid_text),
        cmocka_unit_test(test_utf8_refuses_what_rfc3629_forbids),
        cmocka_unit_test(test_pct_decodes_escapes_and_plus),
        cmocka_unit_test(test_pct_refuses_malformed_and_unsafe),
        cmocka_unit_test(test_utf8_finds_invisible_and_bidi_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
