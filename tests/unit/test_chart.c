/*
 * test_chart.c - the portal's server-drawn SVG charts (chart.c): the value
 * axis's top by unit, the <desc> summary (target met counted the right way
 * for a lower-is-better rate), a target line only when there is a target,
 * bars and a second series, and every text escaped.  Expected texts are
 * worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "portal_int.h"

/* Draws spec over pts into a static string (an empty catalogue: the fallback formats). */
static const char *draw(const chart_spec_t *spec, const chart_point_t *pts, size_t n)
{
    static char text[1 << 16];
    json_t *cat = json_pack("{s:s}", "d", "{0}|{1}|{2}|{3}");
    buf_t out;
    buf_init(&out, sizeof text);
    chart_series(cat, spec, pts, n, &out);
    snprintf(text, sizeof text, "%s", buf_cstr(&out));
    buf_free(&out);
    json_decref(cat);
    return text;
}

/* An abandonment chart: 3 days, target 5 % (lower is better), one day with nothing offered. */
static void test_rate_with_target_lower_is_better(void **state)
{
    (void)state;
    chart_point_t pts[] = {
        {2026, 10, 1, 0.04, 0.05}, {2026, 10, 2, NAN, 0.05}, {2026, 10, 3, 0.10, 0.05}};
    chart_spec_t spec = {.id = "c",
                         .title = "A <b>&",
                         .unit = CHART_RATE,
                         .lower_is_better = true,
                         .series_key = "s",
                         .desc_key = "d"};
    const char *svg = draw(&spec, pts, 3);
    /* 2 days measured, met on 1 (4.0 % <= 5 %), lowest 4.0 % on day 1, highest 10.0 % on day 3. */
    assert_non_null(strstr(svg, "<desc id=\"c-desc\">2|1|4.0% ("));
    assert_non_null(strstr(svg, "|10.0% ("));
    /* The title escaped, never raw. */
    assert_non_null(strstr(svg, "<title id=\"c-title\">A &lt;b&gt;&amp;</title>"));
    assert_null(strstr(svg, "<b>"));
    /* Highest value 10 % is at most 20 %: a top of 0.1 (axis 0 % .. 10.0 %) and a target line. */
    assert_non_null(strstr(svg, ">10%</text>"));
    assert_non_null(strstr(svg, "class=\"target\""));
    /* The missing day breaks the line into two polylines of one point each, and the target's. */
    assert_non_null(strstr(svg, "stroke-dasharray=\"8 5\" points="));
}

/* A volume chart: counts as bars, a second series, no target, a nice top. */
static void test_counts_as_bars_with_second_series(void **state)
{
    (void)state;
    chart_point_t pts[] = {{2026, 10, 5, 6, NAN}, {2026, 10, 6, 1, NAN}};
    double answered[] = {3, 1};
    chart_spec_t spec = {.id = "v",
                         .title = "V",
                         .unit = CHART_COUNT,
                         .bars = true,
                         .series_key = "o",
                         .second = answered,
                         .second_key = "a",
                         .desc_key = "d"};
    const char *svg = draw(&spec, pts, 2);
    /* 6 at most: a top of 10 (1, 2, 5 times a power of ten). */
    assert_non_null(strstr(svg, ">10</text>"));
    assert_null(strstr(svg, ">20</text>"));
    assert_int_equal(strstr(svg, "class=\"bar\"") != NULL, 1);
    assert_non_null(strstr(svg, "class=\"second\""));
    assert_null(strstr(svg, "class=\"target\""));
    /* No target: none met; lowest 1, highest 6. */
    assert_non_null(strstr(svg, "<desc id=\"v-desc\">2|0|1 ("));
    assert_non_null(strstr(svg, "|6 ("));
}

/* No value at all: the empty text, no marks. */
static void test_empty_series(void **state)
{
    (void)state;
    chart_point_t pts[] = {{2026, 10, 1, NAN, NAN}};
    chart_spec_t spec = {
        .id = "e", .title = "E", .unit = CHART_SCORE, .series_key = "s", .desc_key = "d"};
    const char *svg = draw(&spec, pts, 1);
    assert_non_null(strstr(svg, "<desc id=\"e-desc\">no data</desc>"));
    assert_null(strstr(svg, "<circle"));
    assert_non_null(strstr(svg, "</svg>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_with_target_lower_is_better),
        cmocka_unit_test(test_counts_as_bars_with_second_series),
        cmocka_unit_test(test_empty_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
