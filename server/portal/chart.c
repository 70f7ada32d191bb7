/*
 * chart.c - inline SVG charts drawn on the server (see portal_int.h).
 * Pure: numbers in, SVG text out.  Every text drawn goes through
 * tmpl_escape(); the page inserts the result with {{raw chart}}, the one
 * kind of HTML the server builds itself.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "portal_int.h"

#define W      720
#define H      320
#define LEFT   60
#define RIGHT  40
#define TOP    48
#define BOTTOM 56

#define COLOUR_VALUE  "#0072B2" /* Okabe-Ito blue */
#define COLOUR_TARGET "#D55E00" /* Okabe-Ito vermilion: apart from blue for every colour vision */
#define COLOUR_SECOND "#E69F00" /* Okabe-Ito orange: a second series (answered beside offered) */

/* A catalogue string or a fallback. */
static const char *text_of(const json_t *cat, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(cat, key));
    return s ? s : fallback;
}

/* Appends escaped text. */
static void put_text(buf_t *out, const char *s)
{
    tmpl_escape(out, s, strlen(s));
}

/* x of point i of n. */
static double x_of(size_t i, size_t n)
{
    double span = W - LEFT - RIGHT;
    return n <= 1 ? LEFT + span / 2 : LEFT + span * (double)i / (double)(n - 1);
}

/* y of a value on an axis from 0 to top. */
static double y_of(double v, double top)
{
    v = top > 0 ? v / top : 0;
    if (v < 0)
        v = 0;
    if (v > 1)
        v = 1;
    return TOP + (H - TOP - BOTTOM) * (1 - v);
}

void chart_value_text(const json_t *cat, chart_unit_t unit, double v, char *out, size_t len)
{
    if (unit == CHART_RATE)
        l10n_percent(cat, v, out, len);
    else
        l10n_number(cat, v, unit == CHART_COUNT ? 0 : 1, out, len);
}

/* The top of the value axis: 1 for rates reaching past 20 %, else 1, 2 or 5 times a power of ten.
 */
static double axis_top(const chart_spec_t *spec, const chart_point_t *pts, size_t n)
{
    double hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(pts[i].value) && pts[i].value > hi)
            hi = pts[i].value;
        if (isfinite(pts[i].target) && pts[i].target > hi)
            hi = pts[i].target;
        if (spec->second && isfinite(spec->second[i]) && spec->second[i] > hi)
            hi = spec->second[i];
    }
    if (spec->unit == CHART_RATE && (hi > 0.2 || hi <= 0))
        return 1;
    if (hi <= 0)
        return 1;
    double p = pow(10, floor(log10(hi)));
    double top = p;
    while (top < hi)
        top = top == p ? 2 * p : top == 2 * p ? 5 * p : 10 * p;
    return spec->unit == CHART_COUNT && top < 5 ? 5 : top;
}

/* Draws a series as polylines broken where a value is missing (which: 0 value, 1 target, 2 second).
 */
static void polylines(buf_t *out, const chart_spec_t *spec, const chart_point_t *pts, size_t n,
                      int which, double top, const char *attrs)
{
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        double v = which == 0 ? pts[i].value : which == 1 ? pts[i].target : spec->second[i];
        if (!isfinite(v)) {
            if (open)
                buf_puts(out, "\"/>");
            open = false;
            continue;
        }
        if (!open)
            buf_printf(out, "<polyline fill=\"none\" %s points=\"", attrs);
        buf_printf(out, "%s%.1f,%.1f", open ? " " : "", x_of(i, n), y_of(v, top));
        open = true;
    }
    if (open)
        buf_puts(out, "\"/>");
}

/* The label of point i on the x axis: "5 Oct" (day and month) or the month ("Oct 2026"). */
static void x_label(const json_t *cat, const chart_spec_t *spec, const chart_point_t *pt, char *out,
                    size_t len)
{
    if (spec->monthly) {
        char period[16];
        snprintf(period, sizeof period, "%04d-%02d", pt->y, pt->m);
        l10n_month(cat, period, out, len);
        return;
    }
    l10n_date(cat, pt->y, pt->m, pt->d, out, len);
    const char *pat = text_of(cat, "fmt.day_month", NULL);
    if (!pat) /* day and month only: the year is in the title */
        return;
    char ms[24];
    snprintf(ms, sizeof ms, "month.short.%d", pt->m);
    const char *mon = text_of(cat, ms, "");
    size_t o = 0;
    for (const char *p = pat; *p && o + 1 < len; p++) {
        if (strncmp(p, "{d}", 3) == 0) {
            o += (size_t)snprintf(out + o, len - o, "%d", pt->d);
            p += 2;
        } else if (strncmp(p, "{m}", 3) == 0) {
            o += (size_t)snprintf(out + o, len - o, "%d", pt->m);
            p += 2;
        } else if (strncmp(p, "{mon}", 5) == 0) {
            o += (size_t)snprintf(out + o, len - o, "%s", mon);
            p += 4;
        } else {
            out[o++] = *p;
        }
        if (o >= len)
            o = len - 1;
    }
    out[o] = '\0';
}

/* The <desc>: the spec's pattern with {0} points, {1} target met on, {2} lowest, {3} highest. */
static void describe(const json_t *cat, const chart_spec_t *spec, const chart_point_t *pts,
                     size_t n, buf_t *out)
{
    char a[64], lo[96] = "", hi[96] = "", num[64];
    size_t met = 0, measured = 0, imin = 0, imax = 0;
    for (size_t i = 0; i < n; i++) {
        double v = pts[i].value, t = pts[i].target;
        if (!isfinite(v))
            continue;
        if (!measured || v < pts[imin].value)
            imin = i;
        if (!measured || v > pts[imax].value)
            imax = i;
        measured++;
        if (isfinite(t) && (spec->lower_is_better ? v <= t : v >= t))
            met++;
    }
    if (!measured) {
        put_text(out, text_of(cat, "chart.empty", "no data"));
        return;
    }
    chart_point_t ends[2] = {pts[imin], pts[imax]};
    char *texts[2] = {lo, hi};
    for (int k = 0; k < 2; k++) {
        chart_value_text(cat, spec->unit, ends[k].value, num, sizeof num);
        if (spec->monthly) {
            char period[16];
            snprintf(period, sizeof period, "%04d-%02d", ends[k].y, ends[k].m);
            l10n_month(cat, period, a, sizeof a);
        } else {
            l10n_date(cat, ends[k].y, ends[k].m, ends[k].d, a, sizeof a);
        }
        snprintf(texts[k], sizeof lo, "%s (%s)", num, a);
    }
    char count[16], metn[16];
    snprintf(count, sizeof count, "%zu", measured);
    snprintf(metn, sizeof metn, "%zu", met);
    const char *pat = text_of(cat, spec->desc_key, "{0} {1} {2} {3}");
    const char *vals[] = {count, metn, lo, hi};
    for (const char *p = pat; *p; p++) {
        if (p[0] == '{' && p[1] >= '0' && p[1] <= '3' && p[2] == '}') {
            put_text(out, vals[p[1] - '0']);
            p += 2;
        } else {
            tmpl_escape(out, p, 1);
        }
    }
}

/* One legend entry at x: a line (dashed when dash) or a box, and the catalogue text. */
static int legend(buf_t *out, const json_t *cat, int x, const char *colour, bool dash, bool box,
                  const char *key)
{
    int ly = H - 14;
    if (box)
        buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"30\" height=\"10\" fill=\"%s\"/>", x,
                   ly - 5, colour);
    else
        buf_printf(out,
                   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                   "stroke-width=\"2.5\"%s/>",
                   x, ly, x + 30, ly, colour, dash ? " stroke-dasharray=\"8 5\"" : "");
    buf_printf(out, "<text class=\"legend\" x=\"%d\" y=\"%d\">", x + 36, ly + 4);
    put_text(out, text_of(cat, key, key));
    buf_puts(out, "</text>");
    return x + 220;
}

void chart_series(const json_t *cat, const chart_spec_t *spec, const chart_point_t *pts, size_t n,
                  buf_t *out)
{
    char a[64], num[64];
    double top = axis_top(spec, pts, n);
    bool has_target = false;
    for (size_t i = 0; i < n; i++)
        has_target |= isfinite(pts[i].target);
    buf_printf(out,
               "<svg class=\"chart\" id=\"%s\" role=\"img\" aria-labelledby=\"%s-title %s-desc\" "
               "viewBox=\"0 0 %d %d\" width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\">",
               spec->id, spec->id, spec->id, W, H);
    buf_printf(out, "<title id=\"%s-title\">", spec->id);
    put_text(out, spec->title);
    buf_printf(out, "</title><desc id=\"%s-desc\">", spec->id);
    describe(cat, spec, pts, n, out);
    buf_puts(out, "</desc>");
    /* Title, drawn. */
    buf_printf(out, "<text class=\"chart-title\" x=\"%d\" y=\"22\">", LEFT);
    put_text(out, spec->title);
    buf_puts(out, "</text>");
    /* Value axis with five grid lines. */
    for (int k = 0; k <= 5; k++) {
        double y = y_of(top * k / 5.0, top);
        buf_printf(out,
                   "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                   "stroke=\"#bbbbbb\" stroke-width=\"1\"/>",
                   LEFT, y, W - RIGHT, y);
        chart_value_text(cat, spec->unit, top * k / 5.0, num, sizeof num);
        char *dot = strstr(num, ".0");
        if (dot && (dot[2] == '\0' || dot[2] < '0' || dot[2] > '9')) /* whole numbers on the axis */
            memmove(dot, dot + 2, strlen(dot + 2) + 1);
        buf_printf(out, "<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", LEFT - 6,
                   y + 4);
        put_text(out, num);
        buf_puts(out, "</text>");
    }
    /* Date axis: about seven labels. */
    size_t step = n > 7 ? (n + 6) / 7 : 1;
    for (size_t i = 0; i < n; i += step) {
        x_label(cat, spec, &pts[i], a, sizeof a);
        double x = x_of(i, n);
        buf_printf(out,
                   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555555\"/>"
                   "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                   x, H - BOTTOM, x, H - BOTTOM + 5, x, H - BOTTOM + 20);
        put_text(out, a);
        buf_puts(out, "</text>");
    }
    buf_printf(out,
               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555555\"/>"
               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555555\"/>",
               LEFT, TOP, LEFT, H - BOTTOM, LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM);
    /* The values: bars, or a line with a mark per point; each with its text on hover. */
    double bw = n > 1 ? (W - LEFT - RIGHT) / (double)(n - 1) * 0.6 : 40;
    if (bw > 40)
        bw = 40;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pts[i].value))
            continue;
        double x = x_of(i, n), y = y_of(pts[i].value, top);
        if (spec->bars)
            buf_printf(out,
                       "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                       "fill=\"" COLOUR_VALUE "\"><title>",
                       x - bw / 2, y, bw, H - BOTTOM - y);
        else
            buf_printf(out,
                       "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"" COLOUR_VALUE "\"><title>",
                       x, y);
        x_label(cat, spec, &pts[i], a, sizeof a);
        chart_value_text(cat, spec->unit, pts[i].value, num, sizeof num);
        put_text(out, a);
        buf_puts(out, ": ");
        put_text(out, num);
        buf_puts(out, spec->bars ? "</title></rect>" : "</title></circle>");
    }
    if (!spec->bars)
        polylines(out, spec, pts, n, 0, top, "stroke=\"" COLOUR_VALUE "\" stroke-width=\"2.5\"");
    if (spec->second)
        polylines(out, spec, pts, n, 2, top,
                  "class=\"second\" stroke=\"" COLOUR_SECOND "\" stroke-width=\"2.5\"");
    /* The target (dashed) over the values. */
    polylines(out, spec, pts, n, 1, top,
              "class=\"target\" stroke=\"" COLOUR_TARGET
              "\" stroke-width=\"2\" stroke-dasharray=\"8 5\"");
    /* Legend: line style and colour both tell the series apart. */
    int x = legend(out, cat, LEFT, COLOUR_VALUE, false, spec->bars, spec->series_key);
    if (spec->second)
        x = legend(out, cat, x, COLOUR_SECOND, false, false, spec->second_key);
    if (has_target)
        legend(out, cat, x, COLOUR_TARGET, true, false, "chart.series.target");
    buf_puts(out, "</svg>");
}
