/*
 * portal_int.h - what the page handlers (page_*.c) share: the loaded
 * portal, the page being built (language, catalogue, data, headers), and
 * locale formatting.  Page handlers run on a worker thread (api.h).
 */
#ifndef SLT_PORTAL_INT_H
#define SLT_PORTAL_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "buf.h"
#include "portal.h"
#include "tmpl.h"

#define PORTAL_CSRF_COOKIE "slattest_csrf"
#define PORTAL_LANG_COOKIE "slattest_lang"

struct portal {
    tmpl_set_t *pages;
    json_t *cat_en, *cat_zh; /* catalogues: key -> string */
    char *css;
    size_t css_len;
};

/* A page being answered. */
typedef struct page {
    api_ctx_t *ctx;
    const portal_t *portal;
    const char *lang;  /* "en" or "zh" */
    const json_t *cat; /* its catalogue */
    json_t *data;      /* what the template sees (owned) */
    buf_t headers;     /* extra response headers (Set-Cookie ...) */
    char csrf[48];     /* the form token of this page */
} page_t;

/*
 * Starts a page: chooses the language (?lang= remembered in a cookie, else
 * the cookie, else Accept-Language), the form token (the session's, or for
 * someone not signed in the slattest_csrf cookie's, made when absent), and
 * fills the data every page shows (lang, user, role, csrf, path).
 */
void page_begin(page_t *pg, api_ctx_t *ctx);
/* Renders template name with pg->data as the response, with the security headers; ends the page. */
void page_render(page_t *pg, int status, const char *name);
/* Ends a page without rendering it (after a redirect). */
void page_end(page_t *pg);
/* Answers 303 See Other to location, with extra headers (may be NULL). */
void page_redirect(api_ctx_t *ctx, const char *location, const char *headers);
/* The headers every page carries (CSP, HSTS, ...), appended to b. */
void page_security_headers(buf_t *b);
/* A form field of an urlencoded or multipart body into out; false when absent or too long. */
bool page_form(const api_ctx_t *ctx, const char *name, char *out, size_t outlen);
/* A catalogue string (the key itself when missing). */
const char *page_text(const page_t *pg, const char *key);

/* --- Locale formatting (l10n.c): patterns come from the catalogue --------- */

/* A number with `decimals` decimals and digit grouping; "—" for NAN. */
void l10n_number(const json_t *cat, double v, int decimals, char *out, size_t outlen);
/* A fraction as a percentage with one decimal ("95.3%"). */
void l10n_percent(const json_t *cat, double v, char *out, size_t outlen);
/* Money in currency units with two decimals and the currency code. */
void l10n_money(const json_t *cat, double v, const char *currency, char *out, size_t outlen);
/* A month "YYYY-MM" as "October 2026" / "2026年10月". */
void l10n_month(const json_t *cat, const char *period, char *out, size_t outlen);
/* A date as "5 Oct 2026" / "2026年10月5日". */
void l10n_date(const json_t *cat, int y, int m, int d, char *out, size_t outlen);
/* An instant (epoch seconds) in time zone `zone`, with the zone named. */
void l10n_instant(const json_t *cat, int64_t utc_s, const char *zone, char *out, size_t outlen);
/* A metric value by unit ("rate", "seconds", "score", ...). */
void l10n_metric(const json_t *cat, const char *unit, double v, char *out, size_t outlen);

/* --- Charts (chart.c): pure --------------------------------------------- */

/* One point of a daily series. */
typedef struct chart_point {
    int y, m, d;
    double value;  /* NAN: no contacts that day */
    double target; /* NAN: none */
} chart_point_t;

/*
 * Draws a line chart of a daily rate (0..1) against its target as inline
 * SVG into out: title, date axis, percentage axis, the target as a dashed
 * line, colours safe for colour-blind readers (Okabe-Ito blue and
 * vermilion), a <title>/<desc> text alternative.  Every text is escaped.
 */
void chart_daily_rate(const json_t *cat, const char *title, const chart_point_t *pts, size_t n,
                      buf_t *out);

/* --- Handlers (page_*.c) ------------------------------------------------ */

void page_home(api_ctx_t *ctx, db_t *db);
void page_login_form(api_ctx_t *ctx, db_t *db);
void page_login(api_ctx_t *ctx, db_t *db);
void page_logout(api_ctx_t *ctx, db_t *db);
void page_password_form(api_ctx_t *ctx, db_t *db);
void page_password(api_ctx_t *ctx, db_t *db);
void page_css(api_ctx_t *ctx, db_t *db);
void page_overview(api_ctx_t *ctx, db_t *db);
void page_reports(api_ctx_t *ctx, db_t *db);
void page_verify_form(api_ctx_t *ctx, db_t *db);
void page_verify(api_ctx_t *ctx, db_t *db);
void page_optout(api_ctx_t *ctx, db_t *db); /* GET and POST /unsubscribe (page_optout.c) */

#endif
