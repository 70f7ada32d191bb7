/* Unit tests for lib/qrsvg.c: the SVG's frame and the QR code's fixed patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "qrsvg.h"
#include "status.h"

/* True when the module at (x, y) of the code (quiet zone of 4 added) is drawn dark. */
static int dark(const char *svg, int x, int y)
{
    char m[32];
    snprintf(m, sizeof m, "M%d %dh1v1h-1z", x + 4, y + 4);
    return strstr(svg, m) != NULL;
}

static void test_frame_and_finder_patterns(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 1 << 20);
    /* 68 bytes, error correction M, 8-bit: version 4, 33 modules wide (ISO/IEC 18004 table 7). */
    const char *uri =
        "otpauth://totp/slattest:a@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_int_equal(qrsvg_render(uri, 200, &b), ST_OK);
    const char *svg = buf_cstr(&b);
    assert_non_null(strstr(svg, "width=\"200\" height=\"200\""));
    int side = 0;
    assert_int_equal(sscanf(strstr(svg, "viewBox=\"0 0 "), "viewBox=\"0 0 %d", &side), 1);
    int n = side - 8;
    assert_true(n >= 21 && (n - 17) % 4 == 0); /* 17 + 4 * version */
    assert_int_equal(strncmp(svg, "<svg ", 5), 0);
    assert_non_null(strstr(svg, "</svg>"));
    /* The three finder patterns: a dark 7x7 ring around a light ring around a dark 3x3. */
    int corners[3][2] = {{0, 0}, {n - 7, 0}, {0, n - 7}};
    for (int c = 0; c < 3; c++) {
        int ox = corners[c][0], oy = corners[c][1];
        for (int i = 0; i < 7; i++) {
            assert_true(dark(svg, ox + i, oy) && dark(svg, ox + i, oy + 6));
            assert_true(dark(svg, ox, oy + i) && dark(svg, ox + 6, oy + i));
        }
        for (int i = 1; i < 6; i++)
            assert_false(dark(svg, ox + i, oy + 1) || dark(svg, ox + i, oy + 5));
        for (int y = 2; y < 5; y++)
            for (int x = 2; x < 5; x++)
                assert_true(dark(svg, ox + x, oy + y));
    }
    /* The timing pattern: row 6 alternates between the finders. */
    for (int x = 8; x < n - 8; x++)
        assert_int_equal(dark(svg, x, 6), x % 2 == 0);
    /* No text of the caller's in the markup. */
    assert_null(strstr(svg, "example.com"));
    buf_free(&b);
}

static void test_refusals(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 1 << 20);
    assert_int_equal(qrsvg_render("", 200, &b), ST_ERR_INVALID);
    assert_int_equal(qrsvg_render(NULL, 200, &b), ST_ERR_INVALID);
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0'; /* more than version 40-M holds (2331 bytes) */
    assert_int_equal(qrsvg_render(big, 200, &b), ST_ERR_INVALID);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_and_finder_patterns),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
