/*
 * page_admin.c - the admin's pages: tenants (list, create), people (list,
 * add with a role and tenant grants, disable), tokens (list by role and
 * tenant, issue, revoke) and the signing certificates (read-only).  Each
 * change calls the store function the CLI and the API call (tenant_create,
 * people_add / people_disable, auth_token_issue / auth_token_revoke); a
 * secret made here (a token, a one-time password link) is shown once, on
 * the answer to the POST, and never stored in clear.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idnum.h"
#include "page_mgr.h"
#include "people.h"
#include "person_totp.h"
#include "portal_int.h"
#include "server.h"
#include "signing.h"
#include "status.h"
#include "tenant.h"

#define ADM_SLUGS_MAX 32 /* tenants granted in one form */

size_t adm_split_slugs(char *text, const char *slugs[], size_t max)
{
    size_t n = 0;
    for (char *p = text; *p && n < max;) {
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\r' || *p == '\n')
            *p++ = '\0';
        if (!*p)
            break;
        slugs[n++] = p;
        while (*p && *p != ' ' && *p != ',' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
    }
    return n;
}

void adm_notice(page_t *pg, bool ok, const char *key, const char *detail)
{
    json_object_set_new(
        pg->data, "notice",
        json_pack("{s:b, s:s, s:s}", "ok", ok, "key", key, "detail", detail ? detail : ""));
}

void adm_roles(page_t *pg, unsigned roles)
{
    const char *names[AUTH_ROLES + 1];
    auth_role_names(names);
    json_t *list = json_array();
    for (size_t i = 0; names[i]; i++) {
        role_t r;
        if (auth_role_parse(names[i], &r) != ST_OK || !(r & roles))
            continue;
        char key[32];
        snprintf(key, sizeof key, "role.%s", names[i]);
        json_array_append_new(list, json_pack("{s:s, s:s}", "name", names[i], "key", key));
    }
    json_object_set_new(pg->data, "roles", list);
}

/* The tenants page with an optional notice; status 200 or the error's. */
static void tenants_page(api_ctx_t *ctx, db_t *db, int status, const char *key, const char *detail)
{
    json_t *doc = page_api_json(ctx, db, api_tenants_list); /* every tenant, for an admin */
    if (!doc)
        return;
    page_t pg;
    page_begin(&pg, ctx);
    static const page_col_t cols[] = {
        {"slug", true}, {"name", true}, {"timezone", true}, {"created_at", true}};
    json_t *rows = json_incref(json_object_get(doc, "tenants"));
    json_decref(doc);
    if (page_list(&pg, "tenants", rows, cols, sizeof cols / sizeof cols[0]))
        return;
    char created[80];
    if (!key && api_query(ctx, "created", created, sizeof created))
        adm_notice(&pg, true, "adm.tenants.created", created);
    else if (key)
        adm_notice(&pg, status < 300, key, detail);
    page_render(&pg, status, "admin_tenants");
}

void page_admin_tenants(api_ctx_t *ctx, db_t *db)
{
    tenants_page(ctx, db, 200, NULL, NULL);
}

void page_admin_tenant_add(api_ctx_t *ctx, db_t *db)
{
    char slug[80] = "", name[256] = "", tz[80] = "", err[512] = "";
    page_form(ctx, "slug", slug, sizeof slug);
    page_form(ctx, "name", name, sizeof name);
    page_form(ctx, "timezone", tz, sizeof tz);
    tenant_t t;
    int rc = tenant_create(db, ctx->who.actor, slug, name, tz, &t, err, sizeof err);
    if (rc == ST_OK) {
        char loc[160];
        snprintf(loc, sizeof loc, "/admin/tenants?created=%s", t.slug); /* a slug is URL-safe */
        page_redirect(ctx, loc, NULL);
    } else if (rc == ST_ERR_INVALID || rc == ST_ERR_CONFLICT) {
        tenants_page(ctx, db, rc == ST_ERR_CONFLICT ? 409 : 400,
                     rc == ST_ERR_CONFLICT ? "adm.tenants.exists" : "adm.invalid", err);
    } else {
        api_db_error(ctx, rc, db);
    }
}

void adm_role_keys(json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        char rk[32];
        snprintf(rk, sizeof rk, "role.%s", json_string_value(json_object_get(r, "role")));
        json_object_set_new(r, "role_key", json_string(rk));
    }
}

void adm_people_render(page_t *pg, json_t *rows, unsigned roles, bool grants, int status,
                       const char *key, const char *detail, const char *link, const char *name)
{
    static const page_col_t all[] = {
        {"email", true},         {"role", true},  {"tenants", true},   {"disabled", false},
        {"password_set", false}, {"totp", false}, {"created_at", true}};
    static const page_col_t here[] = {
        {"email", true}, {"role", true}, {"disabled", false}, {"password_set", false}};
    adm_role_keys(rows);
    if (grants ? page_list(pg, "people", json_incref(rows), all, sizeof all / sizeof all[0])
               : page_list(pg, "people", json_incref(rows), here, sizeof here / sizeof here[0]))
        return;
    adm_roles(pg, roles);
    if (key)
        adm_notice(pg, status < 300, key, detail);
    if (link)
        json_object_set_new(pg->data, "link", json_string(link));
    page_render(pg, status, name);
}

/* The people page (admin: everyone), with an optional notice and a one-time link. */
static void people_page(api_ctx_t *ctx, db_t *db, int status, const char *key, const char *detail,
                        const char *link)
{
    json_t *list = NULL;
    int rc = people_list(db, &list);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    char q[PEOPLE_EMAIL_MAX + 1] = "";
    if (api_query(ctx, "q", q, sizeof q) && q[0]) { /* ?q=: emails containing it */
        for (size_t i = json_array_size(list); i-- > 0;)
            if (!strstr(json_string_value(json_object_get(json_array_get(list, i), "email")), q))
                json_array_remove(list, i);
    }
    page_t pg;
    page_begin(&pg, ctx);
    json_object_set_new(pg.data, "q", json_string(q));
    adm_people_render(&pg, list, ROLES_ANY, true, status, key, detail, link, "admin_people");
    json_decref(list);
}

void page_admin_people(api_ctx_t *ctx, db_t *db)
{
    people_page(ctx, db, 200, NULL, NULL, NULL);
}

/*
 * The form's "role" and "tenants" (slugs cut in place in text): false when
 * the role is not a role.
 */
static bool form_grants(const api_ctx_t *ctx, role_t *role, char *text, size_t textlen,
                        const char *slugs[ADM_SLUGS_MAX], size_t *n)
{
    char role_name[16] = "";
    text[0] = '\0';
    page_form(ctx, "role", role_name, sizeof role_name);
    page_form(ctx, "tenants", text, textlen);
    *n = adm_split_slugs(text, slugs, ADM_SLUGS_MAX);
    return auth_role_parse(role_name, role) == ST_OK;
}

int adm_invite(api_ctx_t *ctx, db_t *db, role_t role, const char *const *slugs, size_t n,
               char *link_url, size_t urllen, char *err, size_t errlen)
{
    char email[PEOPLE_EMAIL_MAX + 1] = "", link[HASH_TOKEN_LEN + 1] = "";
    page_form(ctx, "email", email, sizeof email);
    uint64_t id = 0;
    int rc = people_add(db, ctx->who.actor, email, role, slugs, n, NULL, link, &id, err, errlen);
    if (rc == ST_OK)
        snprintf(link_url, urllen, "%s/set-password?token=%s", api_config(ctx)->public_url, link);
    return rc;
}

/* Answers a failed people_add(): the page again with the reason, or a database error. */
static void invite_failed(api_ctx_t *ctx, db_t *db, int rc, const char *err,
                          void (*again)(api_ctx_t *, db_t *, int, const char *, const char *,
                                        const char *))
{
    if (rc == ST_ERR_INVALID || rc == ST_ERR_NOT_FOUND || rc == ST_ERR_CONFLICT)
        again(ctx, db, rc == ST_ERR_CONFLICT ? 409 : 400,
              rc == ST_ERR_CONFLICT ? "adm.people.exists" : "adm.invalid", err, NULL);
    else
        api_db_error(ctx, rc, db);
}

void page_admin_person_add(api_ctx_t *ctx, db_t *db)
{
    char tenants[1024], err[512] = "", url[600];
    const char *slugs[ADM_SLUGS_MAX];
    size_t n = 0;
    role_t role;
    if (!form_grants(ctx, &role, tenants, sizeof tenants, slugs, &n)) {
        people_page(ctx, db, 400, "adm.invalid", "role", NULL);
        return;
    }
    int rc = adm_invite(ctx, db, role, slugs, n, url, sizeof url, err, sizeof err);
    if (rc == ST_OK)
        people_page(ctx, db, 201, "adm.people.added", NULL, url);
    else
        invite_failed(ctx, db, rc, err, people_page);
}

void page_admin_person_totp_reset(api_ctx_t *ctx, db_t *db)
{
    char email[PEOPLE_EMAIL_MAX + 1] = "";
    page_form(ctx, "email", email, sizeof email);
    int rc = ptotp_reset(db, ctx->who.actor, email);
    if (rc == ST_OK)
        people_page(ctx, db, 200, "adm.people.totp_reset", email, NULL);
    else if (rc == ST_ERR_NOT_FOUND)
        people_page(ctx, db, 404, "adm.people.unknown", email, NULL);
    else
        api_db_error(ctx, rc, db);
}

void page_admin_person_disable(api_ctx_t *ctx, db_t *db)
{
    char email[PEOPLE_EMAIL_MAX + 1] = "";
    page_form(ctx, "email", email, sizeof email);
    int rc = people_disable(db, ctx->who.actor, email);
    if (rc == ST_OK)
        people_page(ctx, db, 200, "adm.people.disabled", email, NULL);
    else if (rc == ST_ERR_NOT_FOUND)
        people_page(ctx, db, 404, "adm.people.unknown", email, NULL);
    else
        api_db_error(ctx, rc, db);
}

/* The tokens page: filtered by ?role= and ?tenant=, with an optional notice and a new token. */
static void tokens_page(api_ctx_t *ctx, db_t *db, int status, const char *key, const char *detail,
                        const char *token)
{
    char role_name[16] = "", slug[80] = "";
    role_t role = 0;
    tenant_t t = {0};
    if (api_query(ctx, "role", role_name, sizeof role_name) && role_name[0] &&
        auth_role_parse(role_name, &role) != ST_OK)
        role_name[0] = '\0';
    int rc = ST_OK;
    if (api_query(ctx, "tenant", slug, sizeof slug) && slug[0] &&
        (rc = tenant_by_slug(db, slug, &t)) == ST_ERR_NOT_FOUND) {
        t.id = UINT64_MAX; /* an unknown tenant: no token matches */
        rc = ST_OK;
    }
    json_t *list = NULL;
    if (rc == ST_OK)
        rc = auth_token_list(db, role, t.id, &list);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    static const page_col_t cols[] = {{"id", false},   {"role", true},       {"tenants", true},
                                      {"label", true}, {"created_at", true}, {"revoked", false}};
    adm_role_keys(list);
    if (page_list(&pg, "tokens", list, cols, sizeof cols / sizeof cols[0]))
        return;
    adm_roles(&pg, ROLES_ANY);
    json_object_set_new(pg.data, "filter",
                        json_pack("{s:s, s:s}", "role", role_name, "tenant", slug));
    if (key)
        adm_notice(&pg, status < 300, key, detail);
    if (token)
        json_object_set_new(pg.data, "token", json_string(token));
    page_render(&pg, status, "admin_tokens");
}

void page_admin_tokens(api_ctx_t *ctx, db_t *db)
{
    tokens_page(ctx, db, 200, NULL, NULL, NULL);
}

void page_admin_token_issue(api_ctx_t *ctx, db_t *db)
{
    char tenants[1024], label[256] = "", err[512] = "";
    const char *slugs[ADM_SLUGS_MAX];
    size_t n = 0;
    role_t role;
    page_form(ctx, "label", label, sizeof label);
    if (!form_grants(ctx, &role, tenants, sizeof tenants, slugs, &n)) {
        tokens_page(ctx, db, 400, "adm.invalid", "role", NULL);
        return;
    }
    char token[AUTH_TOKEN_LEN + 1], idtext[32];
    uint64_t id = 0;
    int rc =
        auth_token_issue(db, ctx->who.actor, role, slugs, n, label, token, &id, err, sizeof err);
    snprintf(idtext, sizeof idtext, "%" PRIu64, id);
    if (rc == ST_OK)
        tokens_page(ctx, db, 201, "adm.tokens.issued", idtext, token);
    else if (rc == ST_ERR_INVALID || rc == ST_ERR_NOT_FOUND)
        tokens_page(ctx, db, 400, "adm.invalid", err, NULL);
    else
        api_db_error(ctx, rc, db);
}

void page_admin_token_revoke(api_ctx_t *ctx, db_t *db)
{
    char text[32] = "";
    page_form(ctx, "id", text, sizeof text);
    uint64_t id = 0;
    int rc =
        idnum_parse(text, &id) && id ? auth_token_revoke(db, ctx->who.actor, id) : ST_ERR_NOT_FOUND;
    if (rc == ST_OK)
        tokens_page(ctx, db, 200, "adm.tokens.revoked", text, NULL);
    else if (rc == ST_ERR_NOT_FOUND)
        tokens_page(ctx, db, 404, "adm.tokens.unknown", text, NULL);
    else
        api_db_error(ctx, rc, db);
}

/* One certificate for the page: the published JSON with its validity in the reader's language. */
static json_t *cert_json(const json_t *c)
{
    json_t *o =
        json_pack("{s:O, s:O, s:O, s:O, s:O}", "status", json_object_get(c, "status"), "subject",
                  json_object_get(c, "subject"), "fingerprint", json_object_get(c, "fingerprint"),
                  "not_before", json_object_get(c, "not_before"), "not_after",
                  json_object_get(c, "not_after"));
    char key[48];
    snprintf(key, sizeof key, "adm.certs.status.%s",
             json_string_value(json_object_get(c, "status")));
    json_object_set_new(o, "status_key", json_string(key));
    json_object_set_new(
        o, "current",
        json_boolean(strcmp(json_string_value(json_object_get(c, "status")), "current") == 0));
    return o;
}

void page_admin_certs(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    const signing_t *s = ctx->srv->signing;
    page_t pg;
    page_begin(&pg, ctx);
    json_t *rows = json_array();
    size_t i;
    json_t *c;
    json_array_foreach((json_t *)(uintptr_t)signing_certificates(s), i, c)
        json_array_append_new(rows, cert_json(c));
    json_object_set_new(pg.data, "certs", rows);
    json_object_set_new(pg.data, "ca", cert_json(signing_ca(s)));
    page_render(&pg, 200, "admin_certs");
}
