/*
 * l10n.c - numbers, money, dates and instants formatted per language.  The
 * patterns and names come from the catalogue (fmt.*, month.*), so a
 * language is added by adding a catalogue, not code.  Patterns name their
 * parts: {y} {m} {d} {mon} (short month name) {month} (long month name)
 * {H} {M} {zone} {value} {currency}.  The results are plain text: the
 * templates escape them like any other value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portal_int.h"
#include "status.h"
#include "tz.h"

/* A catalogue string or a fallback. */
static const char *cat_str(const json_t *cat, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(cat, key));
    return s ? s : fallback;
}

/* Expands a pattern's {name} parts from parallel arrays of names and values. */
static void expand(const char *pattern, const char *const *names, const char *const *values,
                   size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = pattern; *p && o + 1 < outlen;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            size_t i = n;
            if (end)
                for (i = 0; i < n; i++)
                    if (strlen(names[i]) == (size_t)(end - p - 1) &&
                        memcmp(names[i], p + 1, (size_t)(end - p - 1)) == 0)
                        break;
            if (i < n) {
                for (const char *v = values[i]; *v && o + 1 < outlen; v++)
                    out[o++] = *v;
                p = end + 1;
                continue;
            }
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

void l10n_number(const json_t *cat, double v, int decimals, char *out, size_t outlen)
{
    if (!isfinite(v)) {
        snprintf(out, outlen, "%s", cat_str(cat, "fmt.none", "-"));
        return;
    }
    char digits[64];
    snprintf(digits, sizeof digits, "%.*f", decimals, fabs(v));
    const char *group = cat_str(cat, "fmt.group", ","), *dec = cat_str(cat, "fmt.decimal", ".");
    char *dot = strchr(digits, '.');
    size_t intlen = dot ? (size_t)(dot - digits) : strlen(digits);
    size_t o = 0;
    bool negative = v < 0 && strspn(digits, "0.") != strlen(digits);
    if (negative && o + 1 < outlen)
        out[o++] = '-';
    for (size_t i = 0; i < intlen && o + 1 < outlen; i++) {
        out[o++] = digits[i];
        size_t left = intlen - i - 1;
        if (left && left % 3 == 0)
            for (const char *g = group; *g && o + 1 < outlen; g++)
                out[o++] = *g;
    }
    if (dot) {
        for (const char *d = dec; *d && o + 1 < outlen; d++)
            out[o++] = *d;
        for (const char *d = dot + 1; *d && o + 1 < outlen; d++)
            out[o++] = *d;
    }
    out[o] = '\0';
}

void l10n_percent(const json_t *cat, double v, char *out, size_t outlen)
{
    if (!isfinite(v)) {
        l10n_number(cat, v, 0, out, outlen);
        return;
    }
    char num[64];
    l10n_number(cat, v * 100, 1, num, sizeof num);
    const char *names[] = {"value"}, *values[] = {num};
    expand(cat_str(cat, "fmt.percent", "{value}%"), names, values, 1, out, outlen);
}

void l10n_money(const json_t *cat, double v, const char *currency, char *out, size_t outlen)
{
    char num[64];
    l10n_number(cat, v, 2, num, sizeof num);
    const char *names[] = {"value", "currency"}, *values[] = {num, currency ? currency : ""};
    expand(cat_str(cat, "fmt.money", "{currency} {value}"), names, values, 2, out, outlen);
}

/* Formats a date pattern with the parts of y-m-d (and H:M, zone). */
static void date_parts(const json_t *cat, const char *pattern, int y, int m, int d, int hh, int mm,
                       const char *zone, char *out, size_t outlen)
{
    char ys[16], ms[8], ds[8], hs[8], mins[8], k1[24], k2[24];
    snprintf(ys, sizeof ys, "%d", y);
    snprintf(ms, sizeof ms, "%d", m);
    snprintf(ds, sizeof ds, "%d", d);
    snprintf(hs, sizeof hs, "%02d", hh);
    snprintf(mins, sizeof mins, "%02d", mm);
    snprintf(k1, sizeof k1, "month.short.%d", m);
    snprintf(k2, sizeof k2, "month.long.%d", m);
    const char *names[] = {"y", "m", "d", "H", "M", "mon", "month", "zone"};
    const char *values[] = {
        ys, ms, ds, hs, mins, cat_str(cat, k1, ms), cat_str(cat, k2, ms), zone ? zone : ""};
    expand(pattern, names, values, 8, out, outlen);
}

void l10n_month(const json_t *cat, const char *period, char *out, size_t outlen)
{
    int y = 0, m = 0;
    if (!period || sscanf(period, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12) {
        snprintf(out, outlen, "%s", period ? period : "");
        return;
    }
    date_parts(cat, cat_str(cat, "fmt.month", "{month} {y}"), y, m, 1, 0, 0, NULL, out, outlen);
}

void l10n_date(const json_t *cat, int y, int m, int d, char *out, size_t outlen)
{
    date_parts(cat, cat_str(cat, "fmt.date", "{d} {mon} {y}"), y, m, d, 0, 0, NULL, out, outlen);
}

void l10n_instant(const json_t *cat, int64_t utc_s, const char *zone, char *out, size_t outlen)
{
    tz_t *tz = NULL;
    char err[128];
    tz_civil_t c;
    const char *shown = zone;
    if (!zone || tz_load(zone, &tz, err, sizeof err) != ST_OK)
        shown = "UTC";
    if (tz)
        tz_to_local(tz, utc_s, &c);
    else {
        int64_t days = utc_s >= 0 ? utc_s / 86400 : -((-utc_s + 86399) / 86400);
        int64_t secs = utc_s - days * 86400;
        tz_civil_from_days(days, &c.year, &c.month, &c.day);
        c.hour = (int)(secs / 3600);
        c.min = (int)(secs / 60 % 60);
    }
    date_parts(cat, cat_str(cat, "fmt.datetime", "{d} {mon} {y} {H}:{M} ({zone})"), c.year, c.month,
               c.day, c.hour, c.min, shown, out, outlen);
    tz_free(tz);
}

void l10n_metric(const json_t *cat, const char *unit, double v, char *out, size_t outlen)
{
    if (unit && strcmp(unit, "rate") == 0) {
        l10n_percent(cat, v, out, outlen);
    } else if (unit && strcmp(unit, "seconds") == 0 && isfinite(v)) {
        char num[64];
        l10n_number(cat, v, 1, num, sizeof num);
        const char *names[] = {"value"}, *values[] = {num};
        expand(cat_str(cat, "fmt.seconds", "{value} s"), names, values, 1, out, outlen);
    } else {
        l10n_number(cat, v, 2, out, outlen);
    }
}
