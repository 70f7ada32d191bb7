/*
 * page_account.c - a signed-in person's own account: changing the password
 * (the other sessions end, this one stays), the TOTP second factor
 * (enrolment with the secret as text and as a QR code drawn as inline SVG,
 * confirmation by a code, turning it off), and the second step of a login
 * for someone enrolled (/login/totp).  Roles that must use TOTP
 * ([portal] totp_required_roles) are sent here before any other page
 * (portal_admit() in portal.c, from principal_t.totp_missing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cookie.h"
#include "people.h"
#include "person_totp.h"
#include "portal_int.h"
#include "pwpolicy.h"
#include "qrsvg.h"
#include "server.h"
#include "session.h"
#include "status.h"

#define TOTP_ISSUER "slattest"
#define QR_PX       200

/* True when the person's role must sign in with a code too. */
static bool totp_required(const api_ctx_t *ctx)
{
    return (ctx->srv->portal->totp_roles & ctx->who.role) != 0;
}

/* The otpauth:// URI authenticator apps read (Key Uri Format), label percent-encoded. */
static void otpauth_uri(const char *email, const char *b32, buf_t *out)
{
    buf_puts(out, "otpauth://totp/" TOTP_ISSUER ":");
    for (const char *s = email; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '@')
            buf_putc(out, (char)c);
        else
            buf_printf(out, "%%%02X", c);
    }
    buf_printf(out, "?secret=%s&issuer=" TOTP_ISSUER "&algorithm=SHA1&digits=%d&period=%d", b32,
               TOTP_DIGITS, TOTP_STEP_S);
}

/* Renders /account with an optional notice. */
static void account_page(api_ctx_t *ctx, db_t *db, int status, const char *key, bool ok)
{
    if (!ctx->who.person_id) { /* a bearer token has no account page */
        api_error(ctx, 404, "not_found", "no such page", NULL);
        return;
    }
    bool enrolled = false, pending = false;
    char b32[TOTP_BASE32_MAX] = "";
    int rc = ptotp_state(db, ctx->who.person_id, &enrolled, &pending);
    if (rc == ST_OK && pending && !enrolled)
        rc = ptotp_pending(db, ctx->who.person_id, b32);
    if (rc != ST_OK && rc != ST_ERR_NOT_FOUND) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    json_t *totp = json_pack("{s:b, s:b, s:b}", "enrolled", enrolled, "required",
                             totp_required(ctx), "pending", b32[0] != '\0');
    if (b32[0]) {
        buf_t uri, svg;
        buf_init(&uri, 1024);
        buf_init(&svg, 1 << 20);
        otpauth_uri(ctx->who.email, b32, &uri);
        if (qrsvg_render(buf_cstr(&uri), QR_PX, &svg) == ST_OK)
            json_object_set_new(totp, "qr", json_string(buf_cstr(&svg)));
        char grouped[TOTP_BASE32_MAX + TOTP_BASE32_MAX / 4 + 1];
        size_t o = 0;
        for (size_t i = 0; b32[i]; i++) { /* groups of four, easier to type */
            if (i && i % 4 == 0)
                grouped[o++] = ' ';
            grouped[o++] = b32[i];
        }
        grouped[o] = '\0';
        json_object_set_new(totp, "secret", json_string(grouped));
        json_object_set_new(totp, "uri", json_string(buf_cstr(&uri)));
        buf_free(&uri);
        buf_free(&svg);
    }
    json_object_set_new(pg.data, "totp", totp);
    char enrol[4];
    if (!key && !enrolled && totp_required(ctx) && api_query(ctx, "enrol", enrol, sizeof enrol))
        key = "adm.totp.must_enrol", ok = false;
    if (key)
        adm_notice(&pg, ok, key, NULL);
    page_render(&pg, status, "account");
}

void page_account(api_ctx_t *ctx, db_t *db)
{
    account_page(ctx, db, 200, NULL, true);
}

void page_account_password(api_ctx_t *ctx, db_t *db)
{
    char current[PWPOLICY_MAX_BYTES * 2] = "", password[PWPOLICY_MAX_BYTES * 2] = "",
                                      again[PWPOLICY_MAX_BYTES * 2] = "", sid[64] = "";
    page_form(ctx, "current", current, sizeof current);
    page_form(ctx, "password", password, sizeof password);
    page_form(ctx, "again", again, sizeof again);
    cookie_get(httpd_header(ctx->req, "cookie"), SESSION_COOKIE, sid, sizeof sid);
    int verdict = 0, rc = ST_ERR_INVALID;
    bool same = strcmp(password, again) == 0;
    if (same && ctx->who.person_id)
        rc = people_change_password(db, ctx->who.person_id, current, password, sid, &verdict);
    memset(current, 0, sizeof current);
    memset(password, 0, sizeof password);
    memset(again, 0, sizeof again);
    if (!same) {
        account_page(ctx, db, 400, "password.mismatch", false);
    } else if (rc == ST_OK) {
        account_page(ctx, db, 200, "adm.account.password_changed", true);
    } else if (rc == ST_ERR_AUTH) {
        account_page(ctx, db, 400, "adm.account.current_wrong", false);
    } else if (rc == ST_ERR_INVALID) {
        char key[48];
        snprintf(key, sizeof key, "password.%s", pwpolicy_code((pwpolicy_verdict)verdict));
        account_page(ctx, db, 400, key, false);
    } else {
        api_db_error(ctx, rc, db);
    }
}

void page_account_totp_start(api_ctx_t *ctx, db_t *db)
{
    char b32[TOTP_BASE32_MAX];
    int rc = ctx->who.person_id ? ptotp_begin(db, ctx->who.person_id, b32) : ST_ERR_NOT_FOUND;
    memset(b32, 0, sizeof b32);
    if (rc == ST_OK || rc == ST_ERR_CONFLICT)
        page_redirect(ctx, "/account", NULL);
    else if (rc == ST_ERR_NOT_FOUND)
        api_error(ctx, 404, "not_found", "no such page", NULL);
    else
        api_db_error(ctx, rc, db);
}

void page_account_totp_confirm(api_ctx_t *ctx, db_t *db)
{
    char code[32] = "";
    page_form(ctx, "code", code, sizeof code);
    int rc = ctx->who.person_id ? ptotp_confirm(db, ctx->who.person_id, code, (int64_t)time(NULL))
                                : ST_ERR_NOT_FOUND;
    if (rc == ST_OK)
        account_page(ctx, db, 200, "adm.totp.enrolled", true);
    else if (rc == ST_ERR_INVALID)
        account_page(ctx, db, 400, "adm.totp.code_wrong", false);
    else if (rc == ST_ERR_NOT_FOUND)
        account_page(ctx, db, 409, "adm.totp.nothing_pending", false);
    else
        api_db_error(ctx, rc, db);
}

void page_account_totp_disable(api_ctx_t *ctx, db_t *db)
{
    char password[PWPOLICY_MAX_BYTES * 2] = "";
    page_form(ctx, "password", password, sizeof password);
    int rc = ST_ERR_NOT_FOUND;
    if (ctx->who.person_id && totp_required(ctx))
        rc = ST_ERR_CONFLICT;
    else if (ctx->who.person_id)
        rc = ptotp_disable(db, ctx->who.person_id, password);
    memset(password, 0, sizeof password);
    if (rc == ST_OK)
        account_page(ctx, db, 200, "adm.totp.disabled", true);
    else if (rc == ST_ERR_AUTH)
        account_page(ctx, db, 400, "adm.account.current_wrong", false);
    else if (rc == ST_ERR_CONFLICT)
        account_page(ctx, db, 409, "adm.totp.required", false);
    else if (rc == ST_ERR_NOT_FOUND)
        account_page(ctx, db, 409, "adm.totp.not_enrolled", false);
    else
        api_db_error(ctx, rc, db);
}

/* Renders the code step of a login. */
static void totp_login_page(api_ctx_t *ctx, int status, const char *key, long wait_s,
                            const char *next)
{
    page_t pg;
    page_begin(&pg, ctx);
    if (status == 429)
        buf_printf(&pg.headers, "Retry-After: %ld\r\n", wait_s);
    if (key)
        json_object_set_new(pg.data, "message_key", json_string(key));
    json_object_set_new(pg.data, "wait_s", json_integer(wait_s));
    json_object_set_new(pg.data, "wait_min", json_integer((wait_s + 59) / 60));
    json_object_set_new(pg.data, "next", json_string(page_next_ok(next) ? next : "/"));
    page_render(&pg, status, "login_totp");
}

void page_login_totp_form(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    char next[256] = "/";
    api_query(ctx, "next", next, sizeof next);
    if (ctx->who.role) {
        page_redirect(ctx, "/", NULL);
        return;
    }
    totp_login_page(ctx, 200, NULL, 0, next);
}

void page_login_totp(api_ctx_t *ctx, db_t *db)
{
    char code[32] = "", next[256] = "/", sid[64] = "";
    page_form(ctx, "code", code, sizeof code);
    page_form(ctx, "next", next, sizeof next);
    cookie_get(httpd_header(ctx->req, "cookie"), SESSION_COOKIE, sid, sizeof sid);
    session_verdict verdict;
    long wait = 0;
    char cookie[HASH_TOKEN_LEN + 1];
    int rc = session_totp(db, api_config(ctx), sid, code, ctx->req->remote, (int64_t)time(NULL),
                          &verdict, &wait, cookie);
    if (rc == ST_ERR_AUTH) {
        page_redirect(ctx, "/login?again=1", NULL); /* no login waits for a code: start over */
        return;
    }
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    if (verdict == SESSION_OK) {
        char headers[300];
        snprintf(headers, sizeof headers,
                 "Set-Cookie: " SESSION_COOKIE "=%s; " SESSION_COOKIE_ATTRS "\r\n", cookie);
        page_redirect(ctx, page_next_ok(next) ? next : "/", headers);
    } else if (verdict == SESSION_BAD) {
        totp_login_page(ctx, 401, "adm.totp.code_wrong", 0, next);
    } else {
        totp_login_page(ctx, 429, verdict == SESSION_LOCKED ? "login.locked" : "login.throttled",
                        wait, next);
    }
}
