/*
 * page_contract.c - the contract page: the current version, the history of
 * versions (cstore_list(), what GET /v1/tenants/{t}/contract answers), and
 * for a manager a JSON editor pre-filled with the current contract.  Saving
 * is the store call PUT /v1/tenants/{t}/contract makes (cstore_put(): the
 * same validation, version and audit entry); its faults are shown each with
 * the field it names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract_store.h"
#include "jsonutil.h"
#include "page_mgr.h"
#include "rfc3339.h"
#include "status.h"
#include "xmem.h"

#define CONTRACT_FORM_MAX ((size_t)1 << 20) /* the editor's text, at most */

static const page_col_t version_cols[] = {
    {"version", false}, {"effective_from", true}, {"created_at", true}, {"actor", true}};

/*
 * Fills the page: the versions newest first (a list), the current one, and
 * the editor's text (`text` when given: what was submitted, else the
 * current contract).  True when page_list() answered CSV.
 */
static bool contract_page(page_t *pg, json_t *versions, const char *text)
{
    const api_ctx_t *ctx = pg->ctx;
    json_t *rows = json_array();
    for (size_t i = json_array_size(versions); i-- > 0;) {
        json_t *v = json_array_get(versions, i);
        const char *created = json_string_value(json_object_get(v, "created_at"));
        int64_t us = 0;
        char at[128] = "";
        if (created && rfc3339_parse(created, strlen(created), &us, NULL, 0) == ST_OK)
            l10n_instant(pg->cat, us / 1000000, ctx->tenant.timezone, at, sizeof at);
        json_array_append_new(rows, json_pack("{s:O, s:O, s:O, s:O, s:s, s:b}", "version",
                                              json_object_get(v, "version"), "effective_from",
                                              json_object_get(v, "effective_from"), "created_at",
                                              json_object_get(v, "created_at"), "actor",
                                              json_object_get(v, "actor"), "created", at, "current",
                                              i + 1 == json_array_size(versions)));
    }
    json_t *current = json_array_get(versions, json_array_size(versions) - 1);
    page_tenant_data(pg);
    json_object_set_new(pg->data, "editable", json_boolean(ctx->who.role == ROLE_MANAGER));
    if (current)
        json_object_set_new(pg->data, "current",
                            json_pack("{s:O, s:O}", "version", json_object_get(current, "version"),
                                      "effective_from",
                                      json_object_get(current, "effective_from")));
    char *pretty = NULL;
    if (!text && current)
        pretty = jsonutil_dumps(json_object_get(current, "contract"),
                                JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_object_set_new(pg->data, "text", json_string(text ? text : pretty ? pretty : ""));
    free(pretty);
    return page_list(pg, "versions", rows, version_cols,
                     sizeof version_cols / sizeof version_cols[0]);
}

void page_contract(api_ctx_t *ctx, db_t *db)
{
    json_t *versions = NULL;
    int rc = cstore_list(db, &ctx->tenant, &versions);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    if (api_query(ctx, "saved", (char[8]){0}, 8))
        json_object_set_new(pg.data, "saved", json_true());
    bool csv = contract_page(&pg, versions, NULL);
    json_decref(versions);
    if (!csv)
        page_render(&pg, 200, "contract");
}

void page_contract_save(api_ctx_t *ctx, db_t *db)
{
    char *text = xmalloc(CONTRACT_FORM_MAX);
    json_t *versions = NULL, *details = NULL;
    cstore_put_result_t res = {0};
    char err[640] = "";
    if (!page_form(ctx, "contract", text, CONTRACT_FORM_MAX))
        text[0] = '\0';
    int rc = cstore_put(db, &ctx->tenant, ctx->who.actor, text, strlen(text), false, &res, err,
                        sizeof err, &details);
    if (rc == ST_OK) {
        json_decref(res.normalised);
        char loc[200];
        snprintf(loc, sizeof loc, "/tenants/%s/contract?saved=%d", ctx->tenant.slug, res.version);
        page_redirect(ctx, loc, NULL);
        goto done;
    }
    if (rc != ST_ERR_INVALID && rc != ST_ERR_TOO_LARGE) {
        api_db_error(ctx, rc, db);
        goto done;
    }
    if ((rc = cstore_list(db, &ctx->tenant, &versions)) != ST_OK) {
        api_db_error(ctx, rc, db);
        goto done;
    }
    page_t pg;
    page_begin(&pg, ctx);
    json_t *errors = json_object_get(details, "errors");
    if (!json_array_size(errors)) /* a fault the validator gave no list for (bad JSON, too large) */
        json_object_set_new(pg.data, "faults",
                            json_pack("[{s:s, s:s}]", "path", "", "message", err));
    else
        json_object_set(pg.data, "faults", errors);
    if (!contract_page(&pg, versions, text))
        page_render(&pg, 400, "contract");
done:
    json_decref(details);
    json_decref(versions);
    free(text);
}
