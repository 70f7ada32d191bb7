/* api_tenants.c - tenants and tokens over HTTP (see api.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "faults.h"
#include "idnum.h"
#include "status.h"

/* A tenant as JSON. */
static json_t *tenant_json(const tenant_t *t)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b}", "slug", t->slug, "name", t->name, "timezone",
                     t->timezone, "created_at", t->created_at, "clients_see_live",
                     t->clients_see_live);
}

/* Reads a required string member; answers 400 naming it when missing. */
static const char *body_string(api_ctx_t *ctx, json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    if (!json_is_string(v)) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s: a string is required", key);
        api_error(ctx, 400, "invalid", msg, json_pack("{s:s}", "field", key));
        return NULL;
    }
    return json_string_value(v);
}

/* Refuses members other than the allowed ones, naming the first. */
static bool body_only(api_ctx_t *ctx, json_t *body, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char list[160], msg[320];
            snprintf(msg, sizeof msg, "unknown member '%.100s' (one of: %s)", key,
                     faults_join(allowed, list, sizeof list));
            api_error(ctx, 400, "invalid", msg,
                      json_pack("{s:s, s:o}", "field", key, "valid", faults_names_json(allowed)));
            return false;
        }
    }
    return true;
}

void api_tenants_create(api_ctx_t *ctx, db_t *db)
{
    static const char *const allowed[] = {"slug", "name", "timezone", NULL};
    json_t *body = api_body_json(ctx);
    if (!body)
        return;
    const char *slug, *name, *tz;
    if (!body_only(ctx, body, allowed) || !(slug = body_string(ctx, body, "slug")) ||
        !(name = body_string(ctx, body, "name")) || !(tz = body_string(ctx, body, "timezone")))
        goto done;
    tenant_t t;
    char err[512] = "";
    int rc = tenant_create(db, ctx->who.actor, slug, name, tz, &t, err, sizeof err);
    if (rc == ST_OK)
        api_json(ctx, 201, tenant_json(&t));
    else if (rc == ST_ERR_CONFLICT)
        api_error(ctx, 409, "conflict", err, NULL);
    else if (rc == ST_ERR_INVALID)
        api_error(ctx, 400, "invalid", err, NULL);
    else
        api_db_error(ctx, rc, db);
done:
    json_decref(body);
}

void api_tenants_list(api_ctx_t *ctx, db_t *db)
{
    tenant_t *list = NULL;
    size_t n = 0;
    int rc = tenant_list(db, &ctx->who, &list, &n);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, tenant_json(&list[i]));
    free(list);
    api_json(ctx, 200, json_pack("{s:o}", "tenants", arr));
}

void api_tenants_get(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    api_json(ctx, 200, tenant_json(&ctx->tenant));
}

void api_tenants_patch(api_ctx_t *ctx, db_t *db)
{
    static const char *const allowed[] = {"clients_see_live", NULL};
    json_t *body = api_body_json(ctx);
    if (!body)
        return;
    json_t *live = json_object_get(body, "clients_see_live");
    int rc = ST_OK;
    if (!body_only(ctx, body, allowed))
        goto done;
    if (live && !json_is_boolean(live)) {
        api_error(ctx, 400, "invalid", "clients_see_live: true or false",
                  json_pack("{s:s}", "field", "clients_see_live"));
        goto done;
    }
    if (live && json_is_true(live) != ctx->tenant.clients_see_live)
        rc = tenant_set_clients_see_live(db, ctx->who.actor, &ctx->tenant, json_is_true(live));
    if (rc != ST_OK)
        api_db_error(ctx, rc, db);
    else
        api_json(ctx, 200, tenant_json(&ctx->tenant));
done:
    json_decref(body);
}

void api_tokens_create(api_ctx_t *ctx, db_t *db)
{
    static const char *const allowed[] = {"role", "tenants", "label", NULL};
    json_t *body = api_body_json(ctx);
    if (!body)
        return;
    const char **slugs = NULL;
    const char *role_name;
    if (!body_only(ctx, body, allowed) || !(role_name = body_string(ctx, body, "role")))
        goto done;
    role_t role;
    if (auth_role_parse(role_name, &role) != ST_OK) {
        const char *roles[AUTH_ROLES + 1];
        auth_role_names(roles);
        api_invalid_choice(ctx, "role", role_name, roles);
        goto done;
    }
    json_t *tenants = json_object_get(body, "tenants");
    if (tenants && !json_is_array(tenants)) {
        api_error(ctx, 400, "invalid", "tenants: an array of tenant slugs",
                  json_pack("{s:s}", "field", "tenants"));
        goto done;
    }
    size_t n = json_array_size(tenants);
    slugs = calloc(n + 1, sizeof *slugs);
    for (size_t i = 0; i < n; i++) {
        slugs[i] = json_string_value(json_array_get(tenants, i));
        if (!slugs[i]) {
            api_error(ctx, 400, "invalid", "tenants: an array of tenant slugs",
                      json_pack("{s:s}", "field", "tenants"));
            goto done;
        }
    }
    json_t *lv = json_object_get(body, "label");
    if (lv && !json_is_string(lv)) {
        api_error(ctx, 400, "invalid", "label: a string", json_pack("{s:s}", "field", "label"));
        goto done;
    }
    const char *label = lv ? json_string_value(lv) : "";
    char token[AUTH_TOKEN_LEN + 1], err[512] = "";
    uint64_t id = 0;
    int rc =
        auth_token_issue(db, ctx->who.actor, role, slugs, n, label, token, &id, err, sizeof err);
    if (rc == ST_OK)
        api_json(ctx, 201,
                 json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)id, "token", token, "role",
                           role_name, "tenants", tenants ? json_incref(tenants) : json_array()));
    else if (rc == ST_ERR_INVALID || rc == ST_ERR_NOT_FOUND)
        api_error(ctx, 400, "invalid", err, NULL);
    else
        api_db_error(ctx, rc, db);
done:
    free(slugs);
    json_decref(body);
}

void api_tokens_revoke(api_ctx_t *ctx, db_t *db)
{
    uint64_t id = 0;
    if (!idnum_parse(ctx->params[0], &id) || id == 0) {
        api_error(ctx, 404, "not_found", "no such token", NULL);
        return;
    }
    int rc = auth_token_revoke(db, ctx->who.actor, id);
    if (rc == ST_OK)
        api_json(ctx, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "revoked", 1));
    else if (rc == ST_ERR_NOT_FOUND)
        api_error(ctx, 404, "not_found", "no such active token", NULL);
    else
        api_db_error(ctx, rc, db);
}
