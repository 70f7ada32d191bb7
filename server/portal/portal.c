/*
 * portal.c - the portal's routes, its two hooks into the router's gate
 * (admit: Origin and CSRF on every state-changing form; error: an HTML page
 * or a redirect to the login for what the gate or a handler refused), and
 * the page helpers (see portal.h, portal_int.h).
 */
#include "portal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cookie.h"
#include "hash.h"
#include "multipart.h"
#include "page_mgr.h"
#include "pct.h"
#include "portal_int.h"
#include "server.h"
#include "session.h"
#include "status.h"
#include "xmem.h"

#define PAGE_MAX_BYTES (8u << 20) /* the largest page rendered */
#define FILE_MAX_BYTES (1u << 20) /* a template, catalogue or static file */

#define ROLES_TENANT_PAGES (ROLE_MANAGER | ROLE_CLIENT | ROLE_AUDITOR)

/* Page routes: BODY_JSON is a small buffered body (a form), BODY_FILE an upload. */
static const route_t page_routes[] = {
    {"GET", "/", 0, BODY_NONE, page_home, "/"},
    {"GET", "/login", 0, BODY_NONE, page_login_form, "/login"},
    {"POST", "/login", 0, BODY_JSON, page_login, "/login"},
    {"POST", "/logout", ROLES_ANY, BODY_JSON, page_logout, "/logout"},
    {"GET", "/set-password", 0, BODY_NONE, page_password_form, "/set-password"},
    {"POST", "/set-password", 0, BODY_JSON, page_password, "/set-password"},
    {"GET", "/verify", 0, BODY_NONE, page_verify_form, "/verify"},
    {"POST", "/verify", 0, BODY_FILE, page_verify, "/verify"},
    {"GET", "/static/portal.css", 0, BODY_NONE, page_css, "/static/portal.css"},
    {"GET", "/tenants/{t}", ROLE_MANAGER | ROLE_CLIENT, BODY_NONE, page_overview, "/tenants/{t}"},
    {"GET", "/tenants/{t}/reports", ROLES_TENANT_PAGES, BODY_NONE, page_reports,
     "/tenants/{t}/reports"},
    {"GET", "/unsubscribe", 0, BODY_NONE, page_optout, "/unsubscribe"},  /* page_optout.c */
    {"POST", "/unsubscribe", 0, BODY_JSON, page_optout, "/unsubscribe"}, /* page_optout.c */
    /* --- Manager pages (page_mgr.h) --- */
    {"GET", "/tenants/{t}/upload", ROLE_MANAGER | ROLE_INGEST, BODY_NONE, page_upload_form,
     "/tenants/{t}/upload"},
    {"POST", "/tenants/{t}/upload", ROLE_MANAGER | ROLE_INGEST, BODY_FILE, page_upload,
     "/tenants/{t}/upload"},
    {"GET", "/tenants/{t}/batches", ROLE_MANAGER, BODY_NONE, page_batches, "/tenants/{t}/batches"},
    {"GET", "/tenants/{t}/batches/{id}", ROLE_MANAGER, BODY_NONE, page_batch,
     "/tenants/{t}/batches/{id}"},
    {"GET", "/tenants/{t}/contract", ROLE_MANAGER | ROLE_AUDITOR, BODY_NONE, page_contract,
     "/tenants/{t}/contract"},
    {"POST", "/tenants/{t}/contract", ROLE_MANAGER, BODY_JSON, page_contract_save,
     "/tenants/{t}/contract"},
    {"GET", "/tenants/{t}/quality", ROLE_MANAGER, BODY_NONE, page_quality, "/tenants/{t}/quality"},
    {"GET", "/tenants/{t}/reports/new", ROLE_MANAGER, BODY_NONE, page_report_form,
     "/tenants/{t}/reports/new"},
    {"POST", "/tenants/{t}/reports", ROLE_MANAGER, BODY_JSON, page_report_create,
     "/tenants/{t}/reports"},
    {"GET", "/tenants/{t}/reports/{id}/progress", ROLE_MANAGER, BODY_NONE, page_report_progress,
     "/tenants/{t}/reports/{id}/progress"},
    {"GET", "/portfolio", ROLE_MANAGER | ROLE_ADMIN, BODY_NONE, page_portfolio, "/portfolio"},
    {"POST", "/tenants/{t}/settings", ROLE_MANAGER, BODY_JSON, page_settings_save,
     "/tenants/{t}/settings"},
    /* --- end of manager pages --- */
    /* Admin, people, account, audit, changes (issue 14 part B: page_admin.c, page_people.c,
     * page_account.c, page_audit.c, page_changes.c). */
    {"GET", "/admin/tenants", ROLE_ADMIN, BODY_NONE, page_admin_tenants, "/admin/tenants"},
    {"POST", "/admin/tenants", ROLE_ADMIN, BODY_JSON, page_admin_tenant_add, "/admin/tenants"},
    {"GET", "/admin/people", ROLE_ADMIN, BODY_NONE, page_admin_people, "/admin/people"},
    {"POST", "/admin/people", ROLE_ADMIN, BODY_JSON, page_admin_person_add, "/admin/people"},
    {"POST", "/admin/people/disable", ROLE_ADMIN, BODY_JSON, page_admin_person_disable,
     "/admin/people/disable"},
    {"POST", "/admin/people/totp-reset", ROLE_ADMIN, BODY_JSON, page_admin_person_totp_reset,
     "/admin/people/totp-reset"},
    {"GET", "/admin/tokens", ROLE_ADMIN, BODY_NONE, page_admin_tokens, "/admin/tokens"},
    {"POST", "/admin/tokens", ROLE_ADMIN, BODY_JSON, page_admin_token_issue, "/admin/tokens"},
    {"POST", "/admin/tokens/revoke", ROLE_ADMIN, BODY_JSON, page_admin_token_revoke,
     "/admin/tokens/revoke"},
    {"GET", "/admin/certs", ROLE_ADMIN, BODY_NONE, page_admin_certs, "/admin/certs"},
    {"GET", "/tenants/{t}/people", ROLE_MANAGER, BODY_NONE, page_tenant_people,
     "/tenants/{t}/people"},
    {"POST", "/tenants/{t}/people", ROLE_MANAGER, BODY_JSON, page_tenant_invite,
     "/tenants/{t}/people"},
    {"POST", "/tenants/{t}/people/disable", ROLE_MANAGER, BODY_JSON, page_tenant_person_disable,
     "/tenants/{t}/people/disable"},
    {"GET", "/tenants/{t}/audit", ROLES_AUDIT_PAGE, BODY_NONE, page_audit, "/tenants/{t}/audit"},
    {"GET", "/tenants/{t}/audit.csv", ROLES_AUDIT_PAGE, BODY_NONE, page_audit_csv,
     "/tenants/{t}/audit.csv"},
    {"GET", "/tenants/{t}/reports/{id}/changes", ROLES_TENANT_PAGES, BODY_NONE, page_report_changes,
     "/tenants/{t}/reports/{id}/changes"},
    {"GET", "/account", ROLES_ANY, BODY_NONE, page_account, "/account"},
    {"POST", "/account/password", ROLES_ANY, BODY_JSON, page_account_password, "/account/password"},
    {"POST", "/account/totp/start", ROLES_ANY, BODY_JSON, page_account_totp_start,
     "/account/totp/start"},
    {"POST", "/account/totp/confirm", ROLES_ANY, BODY_JSON, page_account_totp_confirm,
     "/account/totp/confirm"},
    {"POST", "/account/totp/disable", ROLES_ANY, BODY_JSON, page_account_totp_disable,
     "/account/totp/disable"},
    {"GET", "/login/totp", 0, BODY_NONE, page_login_totp_form, "/login/totp"},
    {"POST", "/login/totp", 0, BODY_JSON, page_login_totp, "/login/totp"},
};

/* Reads a whole file (at most FILE_MAX_BYTES) into *out (free it); ST_ERR_IO when it cannot. */
static int read_file(const char *path, char **out, size_t *len)
{
    buf_t b;
    buf_init(&b, FILE_MAX_BYTES);
    int rc = buf_read_file(&b, path);
    if (rc != ST_OK) {
        buf_free(&b);
        return rc;
    }
    *out = buf_detach(&b, len);
    if (!*out)
        *out = xstrdup(""), *len = 0;
    return ST_OK;
}

/* Loads one catalogue: a flat JSON object of strings. */
static int load_catalogue(const char *dir, const char *lang, json_t **out, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/i18n/%s.json", dir, lang);
    json_error_t e;
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!*out) {
        st_errf(err, errlen, "%s: %s (line %d)", path, e.text, e.line);
        return ST_ERR_CONFIG;
    }
    const char *k;
    json_t *v;
    json_object_foreach(*out, k, v)
    {
        if (!json_is_string(v)) {
            st_errf(err, errlen, "%s: '%s' is not a string", path, k);
            return ST_ERR_CONFIG;
        }
    }
    return ST_OK;
}

/* The keys of a that b lacks: the first one into err; ST_ERR_CONFIG when there is one. */
static int same_keys(const json_t *a, const json_t *b, const char *an, const char *bn, char *err,
                     size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)a, k, v)
    {
        if (!json_object_get(b, k)) {
            st_errf(err, errlen, "catalogue %s has '%s', %s does not", an, k, bn);
            return ST_ERR_CONFIG;
        }
    }
    return ST_OK;
}

int portal_load(const config_t *cfg, portal_t **out, char *err, size_t errlen)
{
    portal_t *p = xcalloc(1, sizeof *p);
    p->pages = tmpl_set_new();
    char path[1024];
    int rc = ST_OK;
    snprintf(path, sizeof path, "%s/pages", cfg->templates);
    DIR *d = opendir(path);
    if (!d) {
        st_errf(err, errlen, "portal: cannot open %s", path);
        rc = ST_ERR_CONFIG;
        goto fail;
    }
    struct dirent *de;
    while (rc == ST_OK && (de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 6 || strcmp(de->d_name + nl - 5, ".html") != 0)
            continue;
        char file[1400], name[256], terr[256] = "";
        snprintf(file, sizeof file, "%s/%s", path, de->d_name);
        snprintf(name, sizeof name, "%.*s", (int)(nl - 5), de->d_name);
        char *text = NULL;
        size_t len = 0;
        if (read_file(file, &text, &len) != ST_OK) {
            st_errf(err, errlen, "portal: cannot read %s", file);
            rc = ST_ERR_CONFIG;
        } else if (tmpl_add(p->pages, name, text, len, terr, sizeof terr) != ST_OK) {
            st_errf(err, errlen, "portal: %s: %s", file, terr);
            rc = ST_ERR_CONFIG;
        }
        free(text);
    }
    closedir(d);
    if (rc != ST_OK)
        goto fail;
    if ((rc = load_catalogue(cfg->templates, "en", &p->cat_en, err, errlen)) != ST_OK ||
        (rc = load_catalogue(cfg->templates, "zh", &p->cat_zh, err, errlen)) != ST_OK ||
        (rc = same_keys(p->cat_en, p->cat_zh, "en", "zh", err, errlen)) != ST_OK ||
        (rc = same_keys(p->cat_zh, p->cat_en, "zh", "en", err, errlen)) != ST_OK)
        goto fail;
    if ((rc = session_totp_roles(cfg->portal_totp_required_roles, &p->totp_roles, err, errlen)) !=
        ST_OK)
        goto fail;
    snprintf(path, sizeof path, "%s/static/portal.css", cfg->templates);
    if (read_file(path, &p->css, &p->css_len) != ST_OK) {
        st_errf(err, errlen, "portal: cannot read %s", path);
        rc = ST_ERR_CONFIG;
        goto fail;
    }
    *out = p;
    return ST_OK;
fail:
    portal_free(p);
    *out = NULL;
    return rc;
}

void portal_free(portal_t *p)
{
    if (!p)
        return;
    tmpl_set_free(p->pages);
    json_decref(p->cat_en);
    json_decref(p->cat_zh);
    free(p->css);
    free(p);
}

json_t *page_api_json(api_ctx_t *ctx, db_t *db, api_handler_fn handler)
{
    handler(ctx, db);
    if (ctx->err_code)
        return NULL;
    json_t *doc = ctx->json;
    ctx->json = NULL;
    ctx->status = 0;
    return doc;
}

void page_pct_encode(const char *s, buf_t *out)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.')
            buf_putc(out, (char)c);
        else
            buf_printf(out, "%%%02X", c);
    }
}

void page_security_headers(buf_t *b)
{
    /* httpd adds X-Content-Type-Options, HSTS and Cache-Control: no-store to every response. */
    buf_puts(b, "Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self'; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
                "Referrer-Policy: same-origin\r\n"
                "X-Frame-Options: DENY\r\n");
}

bool page_form(const api_ctx_t *ctx, const char *name, char *out, size_t outlen)
{
    const buf_t *body = &ctx->req->body;
    const char *ct = httpd_header(ctx->req, "content-type");
    if (!ct || !body->data)
        return false;
    if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)
        return pct_field(body->data, body->len, name, out, outlen);
    if (strncasecmp(ct, "multipart/form-data", 19) != 0)
        return false;
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t n = 0;
    char err[128];
    if (multipart_parse(ct, body->data, body->len, parts, &n, err, sizeof err) != ST_OK)
        return false;
    const multipart_part_t *p = multipart_find(parts, n, name);
    if (!p || p->len >= outlen || memchr(p->data, '\0', p->len))
        return false;
    memcpy(out, p->data, p->len);
    out[p->len] = '\0';
    return true;
}

/* True when the request comes from a page of this very site (Origin, else Referer). */
static bool same_origin(const api_ctx_t *ctx)
{
    const char *host = httpd_header(ctx->req, "host");
    const char *origin = httpd_header(ctx->req, "origin");
    const char *referer = httpd_header(ctx->req, "referer");
    if (!host || !host[0])
        return false;
    char want[300];
    int n = snprintf(want, sizeof want, "https://%s", host);
    if (n <= 0 || (size_t)n >= sizeof want)
        return false;
    if (origin)
        return strcmp(origin, want) == 0;
    return referer && strncmp(referer, want, (size_t)n) == 0 && referer[n] == '/';
}

/* The form token someone not signed in carries in the slattest_csrf cookie ("" when none). */
static void anonymous_token(const api_ctx_t *ctx, char out[48])
{
    out[0] = '\0';
    char v[64];
    if (cookie_get(httpd_header(ctx->req, "cookie"), PORTAL_CSRF_COOKIE, v, sizeof v) &&
        strlen(v) == HASH_TOKEN_LEN)
        memcpy(out, v, HASH_TOKEN_LEN + 1);
}

/*
 * A person whose role requires TOTP ([portal] totp_required_roles) and who
 * has not enrolled reaches only the account page (to enrol), the sign-out
 * and the style sheet: anything else sends them to /account?enrol=1.
 */
static bool totp_enrolment_admit(api_ctx_t *ctx, db_t *db)
{
    static const char *const open[] = {"/account",
                                       "/account/totp/start",
                                       "/account/totp/confirm",
                                       "/logout",
                                       "/static/portal.css",
                                       "/login",
                                       "/login/totp",
                                       NULL};
    for (const char *const *o = open; *o; o++)
        if (strcmp(ctx->route->pattern, *o) == 0)
            return true;
    (void)db;
    if (ctx->who.totp_missing)
        page_redirect(ctx, "/account?enrol=1", NULL);
    return !ctx->who.totp_missing;
}

/*
 * The admit hook: after authentication, before the tenancy gate.  A
 * state-changing request must come from this site (Origin or Referer) and
 * carry the form token: the session's, or for someone not signed in the
 * one of the slattest_csrf cookie (double submit).
 */
static bool portal_admit(api_ctx_t *ctx, db_t *db)
{
    if (!ctx->who.role)
        snprintf(ctx->who.actor, sizeof ctx->who.actor, "anonymous");
    const char *m = ctx->req->method;
    if (!totp_enrolment_admit(ctx, db))
        return false;
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return true;
    char expected[48], got[64];
    if (ctx->who.person_id)
        snprintf(expected, sizeof expected, "%s", ctx->who.csrf);
    else
        anonymous_token(ctx, expected);
    if (!same_origin(ctx) || !expected[0] || !page_form(ctx, "csrf", got, sizeof got) ||
        strlen(got) != strlen(expected) || !hash_equal(got, expected, strlen(expected))) {
        api_error(ctx, 403, "csrf", "the form is stale or came from another site", NULL);
        return false;
    }
    return true;
}

/* Replaces the error the router or a handler set with the page's own answer. */
static void portal_error(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    int status = ctx->status;
    bool csrf = ctx->err_code && strcmp(ctx->err_code, "csrf") == 0;
    free(ctx->err_code);
    free(ctx->err_message);
    json_decref(ctx->err_details);
    ctx->err_code = ctx->err_message = NULL;
    ctx->err_details = NULL;
    free(ctx->extra_headers);
    ctx->extra_headers = NULL;
    if (status == 401) {
        char *next = NULL, loc[600] = "/login";
        if (strcmp(ctx->req->method, "GET") == 0 && ctx->req->path &&
            strlen(ctx->req->path) < 200) {
            /* Back to the page after the login: its path, percent-encoded. */
            buf_t b;
            buf_init(&b, 600);
            buf_puts(&b, "/login?next=");
            page_pct_encode(ctx->req->path, &b);
            next = buf_detach(&b, NULL);
            snprintf(loc, sizeof loc, "%s", next ? next : "/login");
            free(next);
        }
        page_redirect(ctx, loc, NULL);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    char key[32];
    snprintf(key, sizeof key, "error.%d", csrf ? 4031 : status);
    if (!json_object_get(pg.cat, key))
        snprintf(key, sizeof key, "error.other");
    json_object_set_new(pg.data, "message_key", json_string(key));
    json_object_set_new(pg.data, "status", json_integer(status));
    page_render(&pg, status, "error");
}

static const router_pages_t pages = {page_routes, sizeof page_routes / sizeof page_routes[0],
                                     portal_admit, portal_error};

const router_pages_t *portal_pages(void)
{
    return &pages;
}

const char *page_text(const page_t *pg, const char *key)
{
    const char *s = json_string_value(json_object_get(pg->cat, key));
    return s ? s : key;
}

/* The best of en and zh in an Accept-Language value ("en" when neither is there). */
static const char *accept_language(const char *h)
{
    double best_q = -1;
    const char *best = "en";
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        double q = 1;
        const char *semi = memchr(p, ';', len);
        if (semi) {
            const char *qs = strstr(semi, "q=");
            if (qs && qs < p + len)
                q = strtod(qs + 2, NULL);
        }
        const char *lang = NULL;
        if (len >= 2 && strncasecmp(p, "zh", 2) == 0)
            lang = "zh";
        else if (len >= 2 && strncasecmp(p, "en", 2) == 0)
            lang = "en";
        if (lang && q > best_q)
            best_q = q, best = lang;
        p = end;
    }
    return best;
}

void page_begin(page_t *pg, api_ctx_t *ctx)
{
    memset(pg, 0, sizeof *pg);
    pg->ctx = ctx;
    pg->portal = ctx->srv->portal;
    buf_init(&pg->headers, 8192);
    char v[16];
    const char *cookies = httpd_header(ctx->req, "cookie");
    if (api_query(ctx, "lang", v, sizeof v) && (!strcmp(v, "en") || !strcmp(v, "zh"))) {
        pg->lang = v[0] == 'z' ? "zh" : "en";
        buf_printf(&pg->headers,
                   "Set-Cookie: " PORTAL_LANG_COOKIE "=%s; Max-Age=31536000; Path=/; Secure; "
                   "HttpOnly; SameSite=Lax\r\n",
                   pg->lang);
    } else if (cookie_get(cookies, PORTAL_LANG_COOKIE, v, sizeof v) &&
               (!strcmp(v, "en") || !strcmp(v, "zh"))) {
        pg->lang = v[0] == 'z' ? "zh" : "en";
    } else {
        pg->lang = accept_language(httpd_header(ctx->req, "accept-language"));
    }
    pg->cat = strcmp(pg->lang, "zh") == 0 ? pg->portal->cat_zh : pg->portal->cat_en;
    if (ctx->who.person_id) {
        snprintf(pg->csrf, sizeof pg->csrf, "%s", ctx->who.csrf);
    } else {
        anonymous_token(ctx, pg->csrf);
        if (!pg->csrf[0] && hash_random_token(pg->csrf) == ST_OK)
            buf_printf(&pg->headers,
                       "Set-Cookie: " PORTAL_CSRF_COOKIE
                       "=%s; Path=/; Secure; HttpOnly; SameSite=Strict\r\n",
                       pg->csrf);
    }
    pg->data = json_pack("{s:s, s:s, s:s}", "lang", pg->lang, "csrf", pg->csrf, "path",
                         ctx->req->path ? ctx->req->path : "/");
    if (ctx->who.role) {
        json_object_set_new(pg->data, "signed_in", json_true());
        json_object_set_new(pg->data, "user",
                            json_string(ctx->who.email[0] ? ctx->who.email : ctx->who.actor));
        char key[32];
        snprintf(key, sizeof key, "role.%s", auth_role_name(ctx->who.role));
        json_object_set_new(pg->data, "role_key", json_string(key));
        /* The admin pages' and the account page's links (issue 14 part B). */
        json_object_set_new(pg->data, "is_admin", json_boolean(ctx->who.role == ROLE_ADMIN));
        json_object_set_new(pg->data, "is_person", json_boolean(ctx->who.person_id != 0));
    }
}

void page_end(page_t *pg)
{
    json_decref(pg->data);
    buf_free(&pg->headers);
    pg->data = NULL;
}

void page_render(page_t *pg, int status, const char *name)
{
    api_ctx_t *ctx = pg->ctx;
    char err[256] = "";
    json_object_set_new(pg->data, "page", json_string(name));
    buf_t out;
    buf_init(&out, PAGE_MAX_BYTES);
    int rc = tmpl_render(pg->portal->pages, name, pg->data, pg->cat, &out, err, sizeof err);
    if (rc != ST_OK) {
        buf_free(&out);
        api_error(ctx, 500, "internal", err, NULL);
        page_end(pg);
        return;
    }
    buf_free(&ctx->raw);
    ctx->raw = out;
    ctx->status = status;
    ctx->content_type = "text/html; charset=utf-8";
    page_security_headers(&pg->headers);
    buf_printf(&pg->headers, "Content-Language: %s\r\nVary: Cookie, Accept-Language\r\n",
               strcmp(pg->lang, "zh") == 0 ? "zh-Hans" : "en");
    free(ctx->extra_headers);
    ctx->extra_headers = xstrdup(buf_cstr(&pg->headers));
    page_end(pg);
}

void page_redirect(api_ctx_t *ctx, const char *location, const char *headers)
{
    buf_t h;
    buf_init(&h, 8192);
    buf_printf(&h, "Location: %s\r\n", location);
    if (headers)
        buf_puts(&h, headers);
    page_security_headers(&h);
    free(ctx->extra_headers);
    ctx->extra_headers = xstrdup(buf_cstr(&h));
    buf_free(&h);
    buf_reset(&ctx->raw);
    ctx->status = 303;
    ctx->content_type = "text/html; charset=utf-8";
}

void page_css(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    const portal_t *p = ctx->srv->portal;
    buf_reset(&ctx->raw);
    buf_append(&ctx->raw, p->css, p->css_len);
    ctx->status = 200;
    ctx->content_type = "text/css; charset=utf-8";
}
