/*
 * page_portfolio.c - the portfolio: every tenant the person may see, with
 * its latest issued month (client-monthly) as the overview shows it: items
 * met and missed and the month's credit, read from the stored report
 * values (page_latest_month()), never from contacts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_mgr.h"
#include "status.h"

static const page_col_t portfolio_cols[] = {
    {"slug", true}, {"name", true},    {"period", true},        {"version", false},
    {"met", false}, {"missed", false}, {"credit_value", false}, {"currency", true}};

void page_portfolio(api_ctx_t *ctx, db_t *db)
{
    tenant_t *ts = NULL;
    size_t n = 0;
    int rc = tenant_list(db, &ctx->who, &ts, &n);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    json_t *rows = json_array();
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        json_t *month = page_latest_month(&pg, db, &ts[i], &rc);
        json_t *row = json_pack("{s:s, s:s, s:s}", "slug", ts[i].slug, "name", ts[i].name,
                                "timezone", ts[i].timezone);
        if (month) {
            json_object_update(row, month);
            json_decref(month);
            json_object_set_new(row, "issued", json_true());
        }
        json_array_append_new(rows, row);
    }
    free(ts);
    if (rc != ST_OK) {
        json_decref(rows);
        page_end(&pg);
        api_db_error(ctx, rc, db);
        return;
    }
    if (page_list(&pg, "tenants", rows, portfolio_cols,
                  sizeof portfolio_cols / sizeof portfolio_cols[0]))
        return;
    page_render(&pg, 200, "portfolio");
}
