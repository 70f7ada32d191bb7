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

/* y of a fraction 0..1. */
static double y_of(double v)
{
    if (v < 0)
        v = 0;
    if (v > 1)
        v = 1;
    return TOP + (H - TOP - BOTTOM) * (1 - v);
}

/* Draws a series as polylines broken where a value is missing. */
static void polylines(buf_t *out, const chart_point_t *pts, size_t n, bool target,
                      const char *attrs)
{
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        double v = target ? pts[i].target : pts[i].value;
        if (!isfinite(v)) {
            if (open)
                buf_puts(out, "\"/>");
            open = false;
            continue;
        }
        if (!open)
            buf_printf(out, "<polyline fill=\"none\" %s points=\"", attrs);
        buf_printf(out, "%s%.1f,%.1f", open ? " " : "", x_of(i, n), y_of(v));
        open = true;
    }
    if (open)
        buf_puts(out, "\"/>");
}

void chart_daily_rate(const json_t *cat, const char *title, const chart_point_t *pts, size_t n,
                      buf_t *out)
{
    char a[64], b[64], lo[64] = "", hi[64] = "", num[64];
    size_t met = 0, measured = 0;
    double vmin = INFINITY, vmax = -INFINITY;
    size_t imin = 0, imax = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pts[i].value))
            continue;
        measured++;
        if (isfinite(pts[i].target) && pts[i].value >= pts[i].target)
            met++;
        if (pts[i].value < vmin)
            vmin = pts[i].value, imin = i;
        if (pts[i].value > vmax)
            vmax = pts[i].value, imax = i;
    }
    buf_printf(out,
               "<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" "
               "viewBox=\"0 0 %d %d\" width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\">",
               W, H);
    buf_puts(out, "<title id=\"chart-title\">");
    put_text(out, title);
    buf_puts(out, "</title><desc id=\"chart-desc\">");
    if (measured) {
        l10n_percent(cat, vmin, num, sizeof num);
        l10n_date(cat, pts[imin].y, pts[imin].m, pts[imin].d, a, sizeof a);
        snprintf(lo, sizeof lo, "%s (%s)", num, a);
        l10n_percent(cat, vmax, num, sizeof num);
        l10n_date(cat, pts[imax].y, pts[imax].m, pts[imax].d, b, sizeof b);
        snprintf(hi, sizeof hi, "%s (%s)", num, b);
        char days[16], metn[16];
        snprintf(days, sizeof days, "%zu", measured);
        snprintf(metn, sizeof metn, "%zu", met);
        /* chart.desc: "{0} days; target met on {1}; lowest {2}; highest {3}." */
        const char *pat = text_of(cat, "chart.desc", "{0} {1} {2} {3}");
        const char *vals[] = {days, metn, lo, hi};
        for (const char *p = pat; *p; p++) {
            if (p[0] == '{' && p[1] >= '0' && p[1] <= '3' && p[2] == '}') {
                put_text(out, vals[p[1] - '0']);
                p += 2;
            } else {
                tmpl_escape(out, p, 1);
            }
        }
    } else {
        put_text(out, text_of(cat, "chart.empty", "no data"));
    }
    buf_puts(out, "</desc>");
    /* Title, drawn. */
    buf_printf(out, "<text class=\"chart-title\" x=\"%d\" y=\"22\">", LEFT);
    put_text(out, title);
    buf_puts(out, "</text>");
    /* Percentage axis with grid lines every 20 %. */
    for (int k = 0; k <= 5; k++) {
        double y = y_of(k / 5.0);
        buf_printf(out,
                   "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                   "stroke=\"#bbbbbb\" stroke-width=\"1\"/>",
                   LEFT, y, W - RIGHT, y);
        l10n_percent(cat, k / 5.0, num, sizeof num);
        char *dot = strstr(num, ".0");
        if (dot) /* whole percentages on the axis */
            memmove(dot, dot + 2, strlen(dot + 2) + 1);
        buf_printf(out, "<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", LEFT - 6,
                   y + 4);
        put_text(out, num);
        buf_puts(out, "</text>");
    }
    /* Date axis: about seven labels. */
    size_t step = n > 7 ? (n + 6) / 7 : 1;
    for (size_t i = 0; i < n; i += step) {
        l10n_date(cat, pts[i].y, pts[i].m, pts[i].d, a, sizeof a);
        const char *shown = a;
        char dm[32];
        const char *pat = text_of(cat, "fmt.day_month", NULL);
        if (pat) { /* day and month only: the year is in the title */
            char ms[24];
            snprintf(ms, sizeof ms, "month.short.%d", pts[i].m);
            const char *mon = text_of(cat, ms, "");
            size_t o = 0;
            for (const char *p = pat; *p && o + 1 < sizeof dm; p++) {
                if (strncmp(p, "{d}", 3) == 0) {
                    o += (size_t)snprintf(dm + o, sizeof dm - o, "%d", pts[i].d);
                    p += 2;
                } else if (strncmp(p, "{m}", 3) == 0) {
                    o += (size_t)snprintf(dm + o, sizeof dm - o, "%d", pts[i].m);
                    p += 2;
                } else if (strncmp(p, "{mon}", 5) == 0) {
                    o += (size_t)snprintf(dm + o, sizeof dm - o, "%s", mon);
                    p += 4;
                } else {
                    dm[o++] = *p;
                }
                if (o >= sizeof dm)
                    o = sizeof dm - 1;
            }
            dm[o] = '\0';
            shown = dm;
        }
        double x = x_of(i, n);
        buf_printf(out,
                   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555555\"/>"
                   "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                   x, H - BOTTOM, x, H - BOTTOM + 5, x, H - BOTTOM + 20);
        put_text(out, shown);
        buf_puts(out, "</text>");
    }
    buf_printf(out,
               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555555\"/>"
               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555555\"/>",
               LEFT, TOP, LEFT, H - BOTTOM, LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM);
    /* The target (dashed) under the values (solid, with a mark per day). */
    polylines(out, pts, n, true,
              "stroke=\"" COLOUR_TARGET "\" stroke-width=\"2\" stroke-dasharray=\"8 5\"");
    polylines(out, pts, n, false, "stroke=\"" COLOUR_VALUE "\" stroke-width=\"2.5\"");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pts[i].value))
            continue;
        buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"" COLOUR_VALUE "\"><title>",
                   x_of(i, n), y_of(pts[i].value));
        l10n_date(cat, pts[i].y, pts[i].m, pts[i].d, a, sizeof a);
        l10n_percent(cat, pts[i].value, num, sizeof num);
        put_text(out, a);
        buf_puts(out, ": ");
        put_text(out, num);
        buf_puts(out, "</title></circle>");
    }
    /* Legend: line style and colour both tell the series apart. */
    int ly = H - 14;
    buf_printf(out,
               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"" COLOUR_VALUE
               "\" stroke-width=\"2.5\"/><text class=\"legend\" x=\"%d\" y=\"%d\">",
               LEFT, ly, LEFT + 30, ly, LEFT + 36, ly + 4);
    put_text(out, text_of(cat, "chart.series.service_level", "service level"));
    buf_printf(out,
               "</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"" COLOUR_TARGET
               "\" stroke-width=\"2\" stroke-dasharray=\"8 5\"/><text class=\"legend\" x=\"%d\" "
               "y=\"%d\">",
               LEFT + 240, ly, LEFT + 270, ly, LEFT + 276, ly + 4);
    put_text(out, text_of(cat, "chart.series.target", "target"));
    buf_puts(out, "</text></svg>");
}
