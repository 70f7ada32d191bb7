/*
 * page_people.c - a manager's people page for one tenant: who may see it
 * (people granted this tenant), inviting a client contact or an auditor to
 * THIS tenant only (the same people_add() as `slattest user add`, with the
 * one-time link shown once), and disabling one of them.  A manager can
 * never create a manager or an admin, grant another tenant, or disable
 * someone who may see more than this tenant: the page decides the role's
 * set and the grant itself, whatever the form says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "people.h"
#include "portal_int.h"
#include "status.h"

#define PEOPLE_INVITE_ROLES (ROLE_CLIENT | ROLE_AUDITOR)

/* True when person p (people_list() JSON) is granted exactly the tenant slug. */
static bool only_this_tenant(const json_t *p, const char *slug)
{
    const json_t *ts = json_object_get(p, "tenants");
    return json_array_size(ts) == 1 && strcmp(json_string_value(json_array_get(ts, 0)), slug) == 0;
}

/* True when person p may be disabled from this tenant's page by its manager. */
static bool manageable(const json_t *p, const char *slug)
{
    role_t r = 0;
    return auth_role_parse(json_string_value(json_object_get(p, "role")), &r) == ST_OK &&
           (r & PEOPLE_INVITE_ROLES) && only_this_tenant(p, slug) &&
           !json_is_true(json_object_get(p, "disabled"));
}

/* The people granted this tenant as a new array, each with manageable. */
static json_t *tenant_people(const json_t *all, const char *slug)
{
    json_t *out = json_array();
    size_t i, k;
    json_t *p, *t;
    json_array_foreach((json_t *)(uintptr_t)all, i, p)
    {
        bool granted = false;
        json_array_foreach(json_object_get(p, "tenants"), k, t) granted |=
            strcmp(json_string_value(t), slug) == 0;
        if (!granted)
            continue;
        json_t *row = json_deep_copy(p);
        json_object_set_new(row, "manageable", json_boolean(manageable(p, slug)));
        json_array_append_new(out, row);
    }
    return out;
}

/* Renders the page with an optional notice and one-time link. */
static void people_page(api_ctx_t *ctx, db_t *db, int status, const char *key, const char *detail,
                        const char *link)
{
    json_t *all = NULL;
    int rc = people_list(db, &all);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    json_t *rows = tenant_people(all, ctx->tenant.slug);
    json_decref(all);
    json_object_set_new(pg.data, "tenant",
                        json_pack("{s:s, s:s, s:s}", "slug", ctx->tenant.slug, "name",
                                  ctx->tenant.name, "timezone", ctx->tenant.timezone));
    adm_people_render(&pg, rows, PEOPLE_INVITE_ROLES, false, status, key, detail, link,
                      "tenant_people");
    json_decref(rows);
}

void page_tenant_people(api_ctx_t *ctx, db_t *db)
{
    people_page(ctx, db, 200, NULL, NULL, NULL);
}

void page_tenant_invite(api_ctx_t *ctx, db_t *db)
{
    char role_name[16] = "", err[512] = "", url[600];
    page_form(ctx, "role", role_name, sizeof role_name);
    role_t role = 0;
    if (auth_role_parse(role_name, &role) != ST_OK || !(role & PEOPLE_INVITE_ROLES)) {
        people_page(ctx, db, 400, "adm.people.invite_roles", role_name, NULL);
        return;
    }
    const char *slugs[] = {ctx->tenant.slug}; /* this tenant, whatever else the form held */
    int rc = adm_invite(ctx, db, role, slugs, 1, url, sizeof url, err, sizeof err);
    if (rc == ST_OK)
        people_page(ctx, db, 201, "adm.people.added", NULL, url);
    else if (rc == ST_ERR_INVALID || rc == ST_ERR_NOT_FOUND || rc == ST_ERR_CONFLICT)
        people_page(ctx, db, rc == ST_ERR_CONFLICT ? 409 : 400,
                    rc == ST_ERR_CONFLICT ? "adm.people.exists" : "adm.invalid", err, NULL);
    else
        api_db_error(ctx, rc, db);
}

void page_tenant_person_disable(api_ctx_t *ctx, db_t *db)
{
    char email[PEOPLE_EMAIL_MAX + 1] = "", norm[PEOPLE_EMAIL_MAX + 1] = "";
    page_form(ctx, "email", email, sizeof email);
    json_t *all = NULL;
    int rc = people_list(db, &all);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    bool ok = false;
    if (people_email_normalise(email, norm) == ST_OK) {
        size_t i;
        json_t *p;
        json_array_foreach(all, i, p) if (strcmp(json_string_value(json_object_get(p, "email")),
                                                 norm) == 0) ok = manageable(p, ctx->tenant.slug);
    }
    json_decref(all);
    /* Someone this manager may not disable looks like no one (as a foreign tenant does). */
    rc = ok ? people_disable(db, ctx->who.actor, norm) : ST_ERR_NOT_FOUND;
    if (rc == ST_OK)
        people_page(ctx, db, 200, "adm.people.disabled", norm, NULL);
    else if (rc == ST_ERR_NOT_FOUND)
        people_page(ctx, db, 404, "adm.people.unknown", email, NULL);
    else
        api_db_error(ctx, rc, db);
}
