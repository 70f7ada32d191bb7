/*
 * page_auth.c - the pages around a session: home (the tenants one may
 * see), login, logout (here or everywhere) and setting a password through
 * a one-time link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "people.h"
#include "page_mgr.h"
#include "portal_int.h"
#include "pwpolicy.h"
#include "server.h"
#include "session.h"
#include "status.h"

bool page_next_ok(const char *next)
{
    return next[0] == '/' && next[1] != '/' && next[1] != '\\' && !strpbrk(next, "\r\n\\");
}

void page_home(api_ctx_t *ctx, db_t *db)
{
    if (!ctx->who.role) {
        page_redirect(ctx, "/login", NULL);
        return;
    }
    /* The API's list: the tenants this principal may see. */
    json_t *doc = page_api_json(ctx, db, api_tenants_list);
    if (!doc)
        return;
    page_t pg;
    page_begin(&pg, ctx);
    json_t *ts = json_object_get(doc, "tenants");
    bool overview = ctx->who.role & (ROLE_MANAGER | ROLE_CLIENT);
    bool reports = ctx->who.role & (ROLE_MANAGER | ROLE_CLIENT | ROLE_AUDITOR);
    size_t i;
    json_t *t;
    json_array_foreach(ts, i, t)
    {
        json_object_set_new(t, "overview", json_boolean(overview));
        json_object_set_new(t, "reports", json_boolean(reports));
        json_object_set_new(t, "audit", json_boolean(ctx->who.role & ROLES_AUDIT_PAGE));
        json_object_set_new(t, "people", json_boolean(ctx->who.role & ROLE_MANAGER));
    }
    static const page_col_t cols[] = {{"slug", true}, {"name", true}, {"timezone", true}};
    json_object_set_new(pg.data, "portfolio",
                        json_boolean(ctx->who.role & (ROLE_MANAGER | ROLE_ADMIN)));
    bool csv = page_list(&pg, "tenants", json_incref(ts), cols, sizeof cols / sizeof cols[0]);
    json_decref(doc);
    if (!csv)
        page_render(&pg, 200, "home");
}

/* Renders the login page with a message key (or none) and status. */
static void login_page(api_ctx_t *ctx, int status, const char *message_key, long wait_s,
                       const char *email, const char *next)
{
    page_t pg;
    page_begin(&pg, ctx);
    if (status == 429)
        buf_printf(&pg.headers, "Retry-After: %ld\r\n", wait_s);
    if (message_key)
        json_object_set_new(pg.data, "message_key", json_string(message_key));
    json_object_set_new(pg.data, "wait_s", json_integer(wait_s));
    json_object_set_new(pg.data, "wait_min", json_integer((wait_s + 59) / 60));
    json_object_set_new(pg.data, "email", json_string(email ? email : ""));
    json_object_set_new(pg.data, "next", json_string(next && page_next_ok(next) ? next : "/"));
    char set[4];
    if (api_query(ctx, "set", set, sizeof set))
        json_object_set_new(pg.data, "password_set", json_true());
    page_render(&pg, status, "login");
}

void page_login_form(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    if (ctx->who.role) {
        page_redirect(ctx, "/", NULL);
        return;
    }
    char next[256] = "/";
    api_query(ctx, "next", next, sizeof next);
    login_page(ctx, 200, NULL, 0, NULL, next);
}

void page_login(api_ctx_t *ctx, db_t *db)
{
    char email[PEOPLE_EMAIL_MAX + 1] = "", password[PWPOLICY_MAX_BYTES * 2] = "", next[256] = "/";
    page_form(ctx, "next", next, sizeof next);
    if (!page_form(ctx, "email", email, sizeof email) ||
        !page_form(ctx, "password", password, sizeof password) || !email[0]) {
        login_page(ctx, 400, "login.missing", 0, email, next);
        return;
    }
    session_verdict verdict;
    long wait = 0;
    char cookie[HASH_TOKEN_LEN + 1];
    int rc = session_login(db, api_config(ctx), email, password, ctx->req->remote, &verdict, &wait,
                           cookie);
    memset(password, 0, sizeof password);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    if (verdict == SESSION_OK || verdict == SESSION_TOTP) {
        char headers[300];
        snprintf(headers, sizeof headers,
                 "Set-Cookie: " SESSION_COOKIE "=%s; " SESSION_COOKIE_ATTRS "\r\n", cookie);
        if (verdict == SESSION_OK) {
            page_redirect(ctx, page_next_ok(next) ? next : "/", headers);
            return;
        }
        /* A person enrolled in TOTP: the session waits for the code (page_account.c). */
        buf_t loc;
        buf_init(&loc, 600);
        buf_puts(&loc, "/login/totp?next=");
        page_pct_encode(page_next_ok(next) ? next : "/", &loc);
        page_redirect(ctx, buf_cstr(&loc), headers);
        buf_free(&loc);
        return;
    }
    if (verdict == SESSION_BAD) {
        login_page(ctx, 401, "login.failed", 0, email, next);
        return;
    }
    login_page(ctx, 429, verdict == SESSION_LOCKED ? "login.locked" : "login.throttled", wait,
               email, next);
}

void page_logout(api_ctx_t *ctx, db_t *db)
{
    char sid[64] = "", everywhere[8] = "";
    cookie_get(httpd_header(ctx->req, "cookie"), SESSION_COOKIE, sid, sizeof sid);
    page_form(ctx, "everywhere", everywhere, sizeof everywhere);
    int rc = session_logout(db, sid, everywhere[0] == '1');
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_redirect(ctx, "/login",
                  "Set-Cookie: " SESSION_COOKIE "=; Max-Age=0; " SESSION_COOKIE_ATTRS "\r\n");
}

/* Renders the set-password page. */
static void password_page(api_ctx_t *ctx, int status, const char *token, const char *message_key)
{
    page_t pg;
    page_begin(&pg, ctx);
    json_object_set_new(pg.data, "token", json_string(token));
    if (message_key)
        json_object_set_new(pg.data, "message_key", json_string(message_key));
    page_render(&pg, status, "set_password");
}

void page_password_form(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    char token[64] = "";
    api_query(ctx, "token", token, sizeof token);
    password_page(ctx, 200, token, NULL);
}

void page_password(api_ctx_t *ctx, db_t *db)
{
    char token[64] = "", password[PWPOLICY_MAX_BYTES * 2] = "", again[PWPOLICY_MAX_BYTES * 2] = "";
    page_form(ctx, "token", token, sizeof token);
    page_form(ctx, "password", password, sizeof password);
    page_form(ctx, "again", again, sizeof again);
    if (strcmp(password, again) != 0) {
        password_page(ctx, 400, token, "password.mismatch");
        return;
    }
    int verdict = 0;
    int rc = people_set_password_by_link(db, token, password, &verdict);
    memset(password, 0, sizeof password);
    memset(again, 0, sizeof again);
    if (rc == ST_OK) {
        page_redirect(ctx, "/login?set=1", NULL);
    } else if (rc == ST_ERR_NOT_FOUND) {
        password_page(ctx, 404, "", "password.link_invalid");
    } else if (rc == ST_ERR_INVALID) {
        char key[48];
        snprintf(key, sizeof key, "password.%s", pwpolicy_code((pwpolicy_verdict)verdict));
        password_page(ctx, 400, token, key);
    } else {
        api_db_error(ctx, rc, db);
    }
}
