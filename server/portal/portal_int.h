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

#define PORTAL_CSRF_COOKIE   "slattest_csrf"
#define PORTAL_LANG_COOKIE   "slattest_lang"
#define EXCEL_EPOCH_DAYS     25569 /* the serial of 1970-01-01 (1900 date system) */
#define ROLES_AUDIT_PAGE     (ROLE_AUDITOR | ROLE_MANAGER | ROLE_ADMIN)
#define SESSION_COOKIE_ATTRS "Path=/; Secure; HttpOnly; SameSite=Strict"

struct portal {
    tmpl_set_t *pages;
    json_t *cat_en, *cat_zh; /* catalogues: key -> string */
    char *css;
    size_t css_len;
    unsigned totp_roles; /* [portal] totp_required_roles as role bits */
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
/* True for a local path to go back to after the login: "/..." but not "//" or "/\\". */
bool page_next_ok(const char *next);
/*
 * Runs an API handler for the page and takes its JSON answer (the caller
 * owns it); NULL when it answered an error, which stays set for the page.
 */
json_t *page_api_json(api_ctx_t *ctx, db_t *db, api_handler_fn handler);
/* Appends s percent-encoded (all but A-Z a-z 0-9 - _ .) to out. */
void page_pct_encode(const char *s, buf_t *out);

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

/* How a chart's values read: a rate (0..1, as percentages), a count, a score. */
typedef enum chart_unit { CHART_RATE, CHART_COUNT, CHART_SCORE } chart_unit_t;

/* What one chart shows (the strings are borrowed). */
typedef struct chart_spec {
    const char *id;    /* the svg's id, unique on the page ("chart-sl") */
    const char *title; /* shown and the <title> */
    chart_unit_t unit; /* the value axis: rates from 0 to 100 % (or a closer top), else 0..nice */
    bool bars;         /* the values as bars, else a line with marks */
    bool monthly;      /* points are months (labels "Oct 2026"), else days */
    bool lower_is_better;   /* the target is met at or below it (abandonment) */
    const char *series_key; /* catalogue key of the values' legend */
    const double *second;   /* NULL, or a second series of n values drawn as a line */
    const char *second_key; /* its legend's key */
    const char *desc_key;   /* the <desc> pattern: {0} points, {1} met, {2} lowest, {3} highest */
} chart_spec_t;

/* A value as a chart shows it: a percentage (one decimal), a whole count, a score (one decimal). */
void chart_value_text(const json_t *cat, chart_unit_t unit, double v, char *out, size_t len);
/*
 * Draws one chart as inline SVG into out: title, date (or month) axis, a
 * value axis by unit, the values as a line or bars with an optional second
 * series, the points' targets as a dashed line (when any is finite), a
 * legend, colours safe for colour-blind readers (Okabe-Ito blue, orange and
 * vermilion) and a <title>/<desc> text alternative.  Every text is escaped.
 */
void chart_series(const json_t *cat, const chart_spec_t *spec, const chart_point_t *pts, size_t n,
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

/* --- Admin, people, account, audit, changes (issue 14 part B) ----------- */

/* Cuts a form's tenant list (slugs separated by spaces or commas) in place; their count. */
size_t adm_split_slugs(char *text, const char *slugs[], size_t max);
/* A notice on the page: ok or not, a catalogue key, a detail shown as is ("" for none). */
void adm_notice(page_t *pg, bool ok, const char *key, const char *detail);
/* Adds role_key ("role.<role>") to each object of rows. */
void adm_role_keys(json_t *rows);
/*
 * Renders a people list (people_list() rows, not stolen) as template `name`:
 * role keys, the list's page or its CSV (page_list(); with each person's
 * tenant grants when grants, the admin's list), the roles of the invite
 * form, a notice, a one-time link.  Ends the page.
 */
void adm_people_render(page_t *pg, json_t *rows, unsigned roles, bool grants, int status,
                       const char *key, const char *detail, const char *link, const char *name);
/* The roles of the set as data.roles [{name, key}], for a form's choice. */
void adm_roles(page_t *pg, unsigned roles);
/*
 * Adds the person of the form's "email" with role and tenant slugs through
 * people_add() (as `slattest user add` does), the one-time link's URL into
 * link_url.  people_add()'s status, reason in err.
 */
int adm_invite(api_ctx_t *ctx, db_t *db, role_t role, const char *const *slugs, size_t n,
               char *link_url, size_t urllen, char *err, size_t errlen);

void page_admin_tenants(api_ctx_t *ctx, db_t *db);
void page_admin_tenant_add(api_ctx_t *ctx, db_t *db);
void page_admin_people(api_ctx_t *ctx, db_t *db);
void page_admin_person_add(api_ctx_t *ctx, db_t *db);
void page_admin_person_disable(api_ctx_t *ctx, db_t *db);
void page_admin_person_totp_reset(api_ctx_t *ctx, db_t *db);
void page_admin_tokens(api_ctx_t *ctx, db_t *db);
void page_admin_token_issue(api_ctx_t *ctx, db_t *db);
void page_admin_token_revoke(api_ctx_t *ctx, db_t *db);
void page_admin_certs(api_ctx_t *ctx, db_t *db);
void page_tenant_people(api_ctx_t *ctx, db_t *db);
void page_tenant_invite(api_ctx_t *ctx, db_t *db);
void page_tenant_person_disable(api_ctx_t *ctx, db_t *db);
void page_account(api_ctx_t *ctx, db_t *db);
void page_account_password(api_ctx_t *ctx, db_t *db);
void page_account_totp_start(api_ctx_t *ctx, db_t *db);
void page_account_totp_confirm(api_ctx_t *ctx, db_t *db);
void page_account_totp_disable(api_ctx_t *ctx, db_t *db);
void page_login_totp_form(api_ctx_t *ctx, db_t *db);
void page_login_totp(api_ctx_t *ctx, db_t *db);
void page_audit(api_ctx_t *ctx, db_t *db);
void page_audit_csv(api_ctx_t *ctx, db_t *db);
void page_report_changes(api_ctx_t *ctx, db_t *db);

#endif
