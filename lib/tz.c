/* tz.c - TZif reader, POSIX TZ footer rules and local-time arithmetic (see tz.h). */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"
#include "xmem.h"

#define DAY_S       86400
#define OFF_LIMIT   90000        /* |UTC offset| < 25 h: POSIX allows hh <= 24 */
#define FOOTER_MAX  255          /* longest TZ string we accept */
#define FILE_MAX    (256 * 1024) /* real TZif files are < 10 KiB */
#define HDR_LEN     44
#define RULE_DEF_AT 7200                  /* POSIX default transition time, 02:00 */
#define DAYS_LIMIT  INT64_C(780000000000) /* keeps a year within int */
/* A rule transition lies at most 167:59:59 (its time) plus 25 h (offset)
 * outside [Jan 1 of its year, Jan 1 of the next] (day 365 of a common year is
 * that next Jan 1): 10 days cover it. */
#define RULE_SPREAD (10 * DAY_S)

/* One end of a POSIX DST rule: a day of the year and a local time. */
struct tz_rdate {
    char kind;    /* 'J': Julian 1..365 without Feb 29, 'D': 0..365, 'M': month.week.day */
    int n;        /* day for 'J' and 'D' */
    int m, w, wd; /* month 1..12, week 1..5 (5 = last), weekday 0..6 for 'M' */
    int32_t secs; /* local time of day, -167h..167h (RFC 8536 extension) */
};

/* The footer TZ string: standard offset, optionally DST offset and dates. */
struct tz_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    struct tz_rdate start, end; /* start is in standard time, end in DST */
};

/*
 * Offsets are resolved per transition at load time, so a lookup is a binary
 * search and one array read.  Before at[0] the offset is off0 (time type 0,
 * RFC 8536 3.2); from at[n - 1] on, the footer rule decides when there is
 * one.  at[] and off[] live in the same allocation as the struct.
 */
struct tz {
    size_t n;
    int64_t *at;  /* transition instants, strictly increasing */
    int32_t *off; /* offset from at[i] until at[i + 1] */
    int32_t off0;
    int has_rule;
    struct tz_rule rule;
    int64_t data[]; /* storage for at[] then off[] */
};

/* Floor division for a positive divisor (C division truncates toward 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

/* Keeps an instant inside the supported years so no arithmetic overflows. */
static int64_t clamp_utc(int64_t t)
{
    return t < TZ_UTC_MIN ? TZ_UTC_MIN : t > TZ_UTC_MAX ? TZ_UTC_MAX : t;
}

/* --- Calendar ------------------------------------------------------------ */

/*
 * Counting years from March puts the leap day last, so the day of the year
 * follows from the month alone: (153 * mp + 2) / 5 is the number of days in
 * the months before month mp (March = 0), whose lengths repeat
 * 31,30,31,30,31.  Years are grouped in 400-year eras of 146097 days.
 * 719468 is the day number of 1970-01-01 counted from 0000-03-01.
 */
int64_t tz_days_from_civil(int year, int m, int d)
{
    int64_t mm = (int64_t)m - 1;
    int64_t y = year + floor_div(mm, 12);
    mm -= floor_div(mm, 12) * 12; /* 0 = January */
    if (mm < 2)
        y -= 1;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400; /* 0..399 */
    int64_t mp = (mm + 10) % 12; /* 0 = March */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of tz_days_from_civil(), with the same March-based years. */
void tz_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    if (days < -DAYS_LIMIT)
        days = -DAYS_LIMIT;
    if (days > DAYS_LIMIT)
        days = DAYS_LIMIT;
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097; /* 0..146096 */
    /* Remove the leap days before doe to get a 365-day count. */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t mon = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (mon <= 2);
    if (y)
        *y = (int)year;
    if (m)
        *m = (int)mon;
    if (d)
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
}

int tz_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (4). */
    return (int)((days % 7 + 11) % 7);
}

int tz_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tz_days_in_month(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return len[m - 1] + (m == 2 && tz_is_leap(y));
}

int tz_date_valid(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && d >= 1 && d <= tz_days_in_month(y, m);
}

/* --- POSIX TZ string (RFC 8536 section 3.3) ------------------------------ */

/* Reads an unsigned decimal of 1..maxdig digits within [0, max]. */
static int parse_num(const char **pp, int maxdig, int max, int *out)
{
    const char *p = *pp;
    int v = 0, nd = 0;
    while (*p >= '0' && *p <= '9' && nd < maxdig) {
        v = v * 10 + (*p++ - '0');
        nd++;
    }
    if (nd == 0 || v > max || (*p >= '0' && *p <= '9'))
        return 0;
    *pp = p;
    *out = v;
    return 1;
}

/* Reads [+-]hh[:mm[:ss]] with hh <= maxh; the result keeps POSIX's sign. */
static int parse_hms(const char **pp, int maxh, int32_t *out)
{
    const char *p = *pp;
    int sign = 1, h, mi = 0, s = 0;
    if (*p == '+' || *p == '-')
        sign = (*p++ == '-') ? -1 : 1;
    if (!parse_num(&p, 3, maxh, &h))
        return 0;
    if (*p == ':') {
        p++;
        if (!parse_num(&p, 2, 59, &mi))
            return 0;
        if (*p == ':') {
            p++;
            if (!parse_num(&p, 2, 59, &s))
                return 0;
        }
    }
    *pp = p;
    *out = sign * (h * 3600 + mi * 60 + s);
    return 1;
}

/* Skips a zone abbreviation: three or more letters, or <...> of [A-Za-z0-9+-]. */
static int parse_abbr(const char **pp)
{
    const char *p = *pp;
    size_t n = 0;
    if (*p == '<') {
        p++;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
               *p == '+' || *p == '-') {
            p++;
            n++;
        }
        if (*p++ != '>')
            return 0;
    } else {
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
            p++;
            n++;
        }
    }
    if (n < 3)
        return 0;
    *pp = p;
    return 1;
}

/* Reads a rule date (Jn, n or Mm.w.d) and its optional /time. */
static int parse_rdate(const char **pp, struct tz_rdate *rd)
{
    const char *p = *pp;
    memset(rd, 0, sizeof *rd);
    if (*p == 'J') {
        p++;
        rd->kind = 'J';
        if (!parse_num(&p, 3, 365, &rd->n) || rd->n < 1)
            return 0;
    } else if (*p == 'M') {
        p++;
        rd->kind = 'M';
        if (!parse_num(&p, 2, 12, &rd->m) || rd->m < 1 || *p++ != '.' ||
            !parse_num(&p, 1, 5, &rd->w) || rd->w < 1 || *p++ != '.' ||
            !parse_num(&p, 1, 6, &rd->wd))
            return 0;
    } else {
        rd->kind = 'D';
        if (!parse_num(&p, 3, 365, &rd->n))
            return 0;
    }
    rd->secs = RULE_DEF_AT;
    if (*p == '/') {
        p++;
        if (!parse_hms(&p, 167, &rd->secs))
            return 0;
    }
    *pp = p;
    return 1;
}

/* Parses a whole footer string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
static int rule_parse(const char *s, struct tz_rule *r)
{
    const char *p = s;
    int32_t v;
    memset(r, 0, sizeof *r);
    if (!parse_abbr(&p) || !parse_hms(&p, 24, &v))
        return 0;
    r->std_off = -v; /* POSIX offsets count west of UTC */
    if (*p == '\0')
        return 1;
    if (!parse_abbr(&p))
        return 0;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*p != ',' && *p != '\0') {
        if (!parse_hms(&p, 24, &v))
            return 0;
        r->dst_off = -v;
    }
    /* POSIX leaves the dates of a bare "EST5EDT" to the implementation; zic
     * never writes one, so refuse to guess. */
    if (*p++ != ',' || !parse_rdate(&p, &r->start) || *p++ != ',' || !parse_rdate(&p, &r->end))
        return 0;
    return *p == '\0';
}

/* The local date, as a day count, on which a rule date falls in the year
 * starting on day jan1. */
static int64_t rdate_day(const struct tz_rdate *rd, int y, int64_t jan1)
{
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int leap = tz_is_leap(y);
    if (rd->kind == 'J') /* Feb 29 is never counted: day 60 is always March 1 */
        return jan1 + rd->n - 1 + (rd->n >= 60 && leap);
    if (rd->kind == 'D')
        return jan1 + rd->n;
    int64_t first = jan1 + before[rd->m - 1] + (rd->m > 2 && leap);
    int64_t day = first + (rd->wd - tz_weekday(first) + 7) % 7 + 7 * (rd->w - 1);
    if (day >= first + tz_days_in_month(y, rd->m)) /* week 5 means "last" */
        day -= 7;
    return day;
}

/* The instants DST starts and ends in the year y starting on day jan1. */
static void rule_year(const struct tz_rule *r, int y, int64_t jan1, int64_t *start, int64_t *end)
{
    *start = rdate_day(&r->start, y, jan1) * DAY_S + r->start.secs - r->std_off;
    *end = rdate_day(&r->end, y, jan1) * DAY_S + r->end.secs - r->dst_off;
}

/* The year, in standard local time, of an instant (clamped to the range). */
static int rule_year_of(const struct tz_rule *r, int64_t t)
{
    int y;
    tz_civil_from_days(floor_div(clamp_utc(t) + r->std_off, DAY_S), &y, NULL, NULL);
    return y;
}

/*
 * The offset is set by the latest rule transition at or before t.  A rule
 * time may be up to 168 h from its date, so year Y's transitions lie within
 * RULE_SPREAD of [Jan 1 Y, Jan 1 Y+1] and may cross into a neighbouring
 * year.  Going down from the year after t's, a year is skipped when it
 * starts too late to have a transition at or before t, and the search stops
 * once the best found is beyond anything a lower year can reach; usually one
 * or two years are computed.  This needs no assumption on the order of start
 * and end (southern hemisphere, Dublin's negative DST).  When a start and an
 * end coincide ("0/0,J365/25", DST all year) the start wins.
 */
static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int y = rule_year_of(r, t), in_dst = 0;
    int64_t best = INT64_MIN, next_jan1 = tz_days_from_civil(y + 2, 1, 1);
    for (int yy = y + 1; yy >= y - 4; yy--) {
        int64_t jan1 = tz_days_from_civil(yy, 1, 1), s, e;
        if (best >= next_jan1 * DAY_S + RULE_SPREAD)
            break; /* years <= yy end before best */
        next_jan1 = jan1;
        if (t < jan1 * DAY_S - RULE_SPREAD)
            continue; /* year yy begins after t */
        rule_year(r, yy, jan1, &s, &e);
        if (e <= t && e > best) {
            best = e;
            in_dst = 0;
        }
        if (s <= t && s >= best) {
            best = s;
            in_dst = 1;
        }
    }
    return in_dst ? r->dst_off : r->std_off;
}

/* The first rule transition after t (INT64_MAX when the rule has none), by
 * the mirror image of rule_offset()'s search. */
static int64_t rule_next(const struct tz_rule *r, int64_t t)
{
    int64_t best = INT64_MAX;
    if (!r->has_dst)
        return best;
    int y = rule_year_of(r, t);
    int64_t jan1 = tz_days_from_civil(y - 1, 1, 1);
    for (int yy = y - 1; yy <= y + 4; yy++) {
        int64_t next_jan1 = tz_days_from_civil(yy + 1, 1, 1), s, e;
        if (best <= jan1 * DAY_S - RULE_SPREAD)
            break;                                 /* years >= yy begin after best */
        if (t < next_jan1 * DAY_S + RULE_SPREAD) { /* else year yy ends before t */
            rule_year(r, yy, jan1, &s, &e);
            if (s > t && s < best)
                best = s;
            if (e > t && e < best)
                best = e;
        }
        jan1 = next_jan1;
    }
    return best;
}

/* --- TZif (RFC 8536 section 3) ------------------------------------------- */

/* Big-endian reads; the casts rely on two's complement, as C23 does. */
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The six counts of a TZif header, in file order. */
struct tzif_hdr {
    char version;
    uint64_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* Reads a 44-byte header; 0 if it is not one. */
static int hdr_read(const uint8_t *p, size_t len, struct tzif_hdr *h)
{
    if (len < HDR_LEN || memcmp(p, "TZif", 4) != 0)
        return 0;
    h->version = (char)p[4];
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    return 1;
}

/* Length of the data block after a header; tsize is 4 (v1) or 8 (v2+). */
static uint64_t block_len(const struct tzif_hdr *h, uint64_t tsize)
{
    return h->timecnt * (tsize + 1) + h->typecnt * 6 + h->charcnt + h->leapcnt * (tsize + 4) +
           h->isstdcnt + h->isutcnt;
}

int tz_parse(const uint8_t *data, size_t len, tz_t **out, char *err, size_t errlen)
{
    struct tzif_hdr h1, h;
    struct tz_rule rule;
    char footer[FOOTER_MAX + 1];
    tz_t *tz = NULL;

    *out = NULL;
    if (!hdr_read(data, len, &h1)) {
        st_errf(err, errlen, "not a TZif file");
        goto fail;
    }
    if (h1.version == '\0') {
        st_errf(err, errlen, "TZif version 1 file: 64-bit data (v2+) required");
        goto fail;
    }
    if (h1.version < '2' || h1.version > '9') {
        st_errf(err, errlen, "unknown TZif version byte 0x%02x", (unsigned)(uint8_t)h1.version);
        goto fail;
    }
    uint64_t skip = HDR_LEN + block_len(&h1, 4);
    if (skip > len || !hdr_read(data + skip, len - skip, &h)) {
        st_errf(err, errlen, "TZif file truncated in version 1 block");
        goto fail;
    }
    const uint8_t *p = data + skip + HDR_LEN;
    size_t left = len - skip - HDR_LEN;
    if (block_len(&h, 8) > left) {
        st_errf(err, errlen, "TZif file truncated in 64-bit block");
        goto fail;
    }
    if (h.typecnt == 0 || h.typecnt > 256 || h.charcnt == 0 ||
        (h.isutcnt != 0 && h.isutcnt != h.typecnt) ||
        (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
        st_errf(err, errlen, "TZif header counts are inconsistent");
        goto fail;
    }
    if (h.leapcnt != 0) {
        st_errf(err, errlen, "TZif file has leap seconds (a right/ zone): unsupported");
        goto fail;
    }
    const uint8_t *times = p, *idx = p + h.timecnt * 8, *types = idx + h.timecnt;
    for (uint64_t i = 0; i < h.typecnt; i++) {
        const uint8_t *ty = types + i * 6;
        int32_t utoff = (int32_t)be32(ty);
        if (utoff <= -OFF_LIMIT || utoff >= OFF_LIMIT || ty[4] > 1 || ty[5] >= h.charcnt) {
            st_errf(err, errlen, "TZif time type %u is invalid", (unsigned)i);
            goto fail;
        }
    }
    for (uint64_t i = 0; i < h.timecnt; i++) {
        if (idx[i] >= h.typecnt || (i > 0 && be64(times + i * 8) <= be64(times + i * 8 - 8))) {
            st_errf(err, errlen, "TZif transition %u is invalid", (unsigned)i);
            goto fail;
        }
    }

    /* The footer: "\n" TZ-string "\n" right after the 64-bit block. */
    const uint8_t *f = p + block_len(&h, 8);
    size_t flen = left - block_len(&h, 8);
    const uint8_t *nl = flen > 1 && f[0] == '\n' ? memchr(f + 1, '\n', flen - 1) : NULL;
    if (!nl || (size_t)(nl - f - 1) > FOOTER_MAX) {
        st_errf(err, errlen, "TZif footer missing or too long");
        goto fail;
    }
    size_t slen = (size_t)(nl - f - 1);
    memcpy(footer, f + 1, slen);
    footer[slen] = '\0';
    if (slen > 0 && (memchr(footer, '\0', slen) || !rule_parse(footer, &rule))) {
        st_errf(err, errlen, "TZif footer TZ string is unsupported: \"%.64s\"", footer);
        goto fail;
    }

    size_t n = (size_t)h.timecnt;
    tz = xcalloc(1, sizeof *tz + n * (sizeof(int64_t) + sizeof(int32_t)));
    tz->n = n;
    tz->at = tz->data;
    tz->off = (int32_t *)(tz->data + n);
    tz->off0 = (int32_t)be32(types);
    for (size_t i = 0; i < n; i++) {
        tz->at[i] = be64(times + i * 8);
        tz->off[i] = (int32_t)be32(types + idx[i] * 6);
    }
    tz->has_rule = slen > 0;
    if (tz->has_rule)
        tz->rule = rule;
    *out = tz;
    return ST_OK;
fail:
    return ST_ERR_INVALID;
}

int tz_name_valid(const char *name)
{
    size_t seg = 0, n = 0;
    if (!name)
        return 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        if (n >= TZ_NAME_MAX)
            return 0;
        if (c == '/') {
            if (seg == 0)
                return 0; /* leading or doubled '/' */
            seg = 0;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '+' || c == '-') {
            seg++;
        } else {
            return 0; /* includes '.', so ".." can never pass */
        }
    }
    return seg > 0; /* non-empty, no trailing '/' */
}

int tz_load_dir(const char *dir, const char *name, tz_t **out, char *err, size_t errlen)
{
    char path[PATH_MAX], ebuf[128];
    uint8_t *data = NULL;
    int fd = -1, rc;
    struct stat st;

    *out = NULL;
    if (!tz_name_valid(name)) {
        st_errf(err, errlen, "invalid time zone name");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        st_errf(err, errlen, "time zone path too long");
        rc = ST_ERR_INVALID;
        goto fail;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        st_errf(err, errlen, "%s: %s", path, strerror_r(e, ebuf, sizeof ebuf));
        rc = (e == ENOENT || e == ENOTDIR) ? ST_ERR_NOT_FOUND : ST_ERR_IO;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        st_errf(err, errlen, "%s: not a time zone file", path);
        rc = ST_ERR_NOT_FOUND;
        goto fail;
    }
    if (st.st_size > FILE_MAX) {
        st_errf(err, errlen, "%s: file too large", path);
        rc = ST_ERR_TOO_LARGE;
        goto fail;
    }
    size_t size = (size_t)st.st_size, got = 0;
    data = xmalloc(size);
    while (got < size) {
        ssize_t r = read(fd, data + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            st_errf(err, errlen, "%s: read failed", path);
            rc = ST_ERR_IO;
            goto fail;
        }
        got += (size_t)r;
    }
    rc = tz_parse(data, size, out, err, errlen);
fail:
    free(data);
    if (fd >= 0)
        close(fd);
    return rc;
}

int tz_load(const char *name, tz_t **out, char *err, size_t errlen)
{
    return tz_load_dir(TZ_DIR, name, out, err, errlen);
}

void tz_free(tz_t *tz)
{
    free(tz);
}

/* --- Conversions --------------------------------------------------------- */

int32_t tz_offset_at(const tz_t *tz, int64_t utc_s)
{
    size_t n = tz->n;
    if (n == 0)
        return tz->has_rule ? rule_offset(&tz->rule, utc_s) : tz->off0;
    if (utc_s < tz->at[0])
        return tz->off0;
    if (utc_s >= tz->at[n - 1])
        return tz->has_rule ? rule_offset(&tz->rule, utc_s) : tz->off[n - 1];
    size_t lo = 0, hi = n - 1; /* at[lo] <= utc_s < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= utc_s)
            lo = mid;
        else
            hi = mid;
    }
    return tz->off[lo];
}

/* The first instant after t at which the offset may change (INT64_MAX if
 * never): tz_offset_at() is constant on [t, tz_next_change(t)). */
static int64_t tz_next_change(const tz_t *tz, int64_t t)
{
    size_t n = tz->n;
    if (n == 0 || t >= tz->at[n - 1])
        return tz->has_rule ? rule_next(&tz->rule, t) : INT64_MAX;
    if (t < tz->at[0])
        return tz->at[0];
    size_t lo = 0, hi = n - 1; /* at[lo] <= t < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->at[hi];
}

void tz_to_local(const tz_t *tz, int64_t utc_s, tz_civil_t *out)
{
    utc_s = clamp_utc(utc_s);
    int32_t off = tz_offset_at(tz, utc_s);
    int64_t local = utc_s + off;
    int64_t days = floor_div(local, DAY_S);
    int64_t sod = local - days * DAY_S;
    tz_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(sod / 3600);
    out->min = (int)(sod / 60 % 60);
    out->sec = (int)(sod % 60);
    out->wday = tz_weekday(days);
    out->offset = off;
}

/*
 * The answer is the first instant t with t + offset(t) >= L (L = the local
 * time read as if it were UTC).  Every such t lies after L - OFF_LIMIT, so we
 * walk the constant-offset segments from there: in a segment [t, e) with
 * offset o the local time runs from t + o upward, so the first qualifying
 * instant in it is max(t, L - o) if that is before e.  This one rule covers
 * all three cases: a normal time, the earlier of two repeated times (its
 * segment comes first), and a skipped time (the segment after the gap
 * already starts past L, so its start is returned).  The walk ends at the
 * latest one segment after L + OFF_LIMIT, normally after 1-3 segments.
 */
int64_t tz_local_to_utc(const tz_t *tz, int y, int mo, int d, int h, int mi, int s)
{
    int64_t local = tz_days_from_civil(y, mo, d) * DAY_S + (int64_t)h * 3600 + (int64_t)mi * 60 + s;
    /* Two spare days so day_start() of a local date next to the range is exact. */
    if (local < TZ_UTC_MIN - 2 * DAY_S)
        local = TZ_UTC_MIN - 2 * DAY_S;
    if (local > TZ_UTC_MAX + 2 * DAY_S)
        local = TZ_UTC_MAX + 2 * DAY_S;
    int64_t t = local - OFF_LIMIT;
    for (;;) {
        int32_t o = tz_offset_at(tz, t);
        int64_t e = tz_next_change(tz, t);
        int64_t cand = local - o > t ? local - o : t;
        if (cand < e)
            return cand;
        t = e;
    }
}

int64_t tz_day_start(const tz_t *tz, int y, int mo, int d)
{
    return tz_local_to_utc(tz, y, mo, d, 0, 0, 0);
}

int64_t tz_month_start(const tz_t *tz, int y, int mo)
{
    return tz_day_start(tz, y, mo, 1);
}

/* The day count of the local day [day_start, next day_start) holding t;
 * *next gets that next day start. */
static int64_t day_of(const tz_t *tz, int64_t t, int64_t *next)
{
    /* t's local date D always has day_start(D) <= t; only when the clock
     * went back across midnight can a later day have started already. */
    int64_t days = floor_div(t + tz_offset_at(tz, t), DAY_S);
    for (;; days++) {
        int y, m, d;
        tz_civil_from_days(days, &y, &m, &d);
        *next = tz_day_start(tz, y, m, d + 1);
        if (*next > t)
            return days;
    }
}

void tz_day_of(const tz_t *tz, int64_t utc_s, int *y, int *mo, int *d)
{
    int64_t next;
    tz_civil_from_days(day_of(tz, clamp_utc(utc_s), &next), y, mo, d);
}

/* 1 for the interval lengths METRICS.md allows. */
static int interval_len_ok(int len_s)
{
    return len_s == 900 || len_s == 1800 || len_s == 3600;
}

int tz_day_intervals(const tz_t *tz, int y, int mo, int d, int len_s)
{
    if (!interval_len_ok(len_s) || !tz_date_valid(y, mo, d))
        return ST_ERR_INVALID;
    int64_t len = tz_day_start(tz, y, mo, d + 1) - tz_day_start(tz, y, mo, d);
    return (int)((len + len_s - 1) / len_s);
}

/*
 * Intervals count elapsed seconds from the day start instead of reading the
 * wall clock, so each is exactly len_s long (the day's last one may be cut
 * short by the next day start) and a 23- or 25-hour day has 46 or 50
 * half-hours, none empty or doubled.  The day starts on a wall-clock
 * boundary (midnight, or 01:00 when a one-hour gap skips midnight) and a
 * whole-hour DST shift moves the clock by a multiple of 15, 30 and 60
 * minutes, so the starts stay on wall-clock boundaries: New York on
 * 2026-03-08 goes 01:30 EST -> 03:00 EDT, on 2026-11-01 shows 01:00 and
 * 01:30 twice (EDT, then EST; the offset tells them apart).  A shift that is
 * not a multiple of the length breaks the alignment: Lord Howe shifts by 30
 * minutes, so with 60-minute intervals, after 02:00 +11 became 01:30 +10:30
 * on 2026-04-05 the starts read 01:30, 02:30, ... for the rest of that day
 * and its 24.5 hours make 25 intervals, the last one 30 minutes; in October
 * the 23.5-hour day reads 02:30, 03:30, ... after the gap.  15- and
 * 30-minute intervals stay aligned there.  Bucketing by wall clock instead
 * would give "hours" of 30 or 90 real minutes; the label shows the truth.
 */
int tz_interval_of(const tz_t *tz, int64_t utc_s, int len_s, tz_interval_t *out)
{
    if (!interval_len_ok(len_s))
        return ST_ERR_INVALID;
    utc_s = clamp_utc(utc_s);
    int64_t next, days = day_of(tz, utc_s, &next);
    int y, m, d;
    tz_civil_from_days(days, &y, &m, &d);
    int64_t start = tz_day_start(tz, y, m, d);
    int64_t k = (utc_s - start) / len_s;
    tz_civil_t c;
    out->year = y;
    out->month = m;
    out->day = d;
    out->index = (int)k;
    out->start_utc = start + k * len_s;
    out->end_utc = out->start_utc + len_s < next ? out->start_utc + len_s : next;
    tz_to_local(tz, out->start_utc, &c);
    out->offset = c.offset;
    out->label[0] = (char)('0' + c.hour / 10);
    out->label[1] = (char)('0' + c.hour % 10);
    out->label[2] = ':';
    out->label[3] = (char)('0' + c.min / 10);
    out->label[4] = (char)('0' + c.min % 10);
    out->label[5] = '\0';
    return ST_OK;
}
