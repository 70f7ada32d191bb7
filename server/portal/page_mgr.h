/*
 * page_mgr.h - the manager's pages (docs/portal.md "Manager pages"):
 * upload and batch history (page_upload.c), the contract (page_contract.c),
 * quality (page_quality.c), generating a report and following it
 * (page_generate.c), the portfolio (page_portfolio.c); and the one helper
 * every list page uses for paging and CSV (page_list.c).  Handlers run on a
 * worker thread behind the router's gate, like every page (portal_int.h).
 */
#ifndef SLT_PAGE_MGR_H
#define SLT_PAGE_MGR_H

#include <stdbool.h>
#include <stddef.h>

#include "portal_int.h"

#define PAGE_LIST_SIZE 25 /* rows on one page of a list */

/* A column of a list: the row member it shows, written into CSV under that name. */
typedef struct page_col {
    const char *key;
    bool text; /* a text cell: guarded against spreadsheet formulas in CSV */
} page_col_t;

/*
 * One list of a page (rows: a JSON array of objects, stolen).  With
 * ?format=csv (and ?list=name when the page has several lists, the first
 * one otherwise) it answers the rows as CSV instead of the page: the
 * columns' members, a header of their names, the ?page=N rows when a page
 * is asked for, else all of them; it then returns true and has ended pg
 * (the caller returns).  Otherwise it puts the ?page=N slice of the rows
 * (PAGE_LIST_SIZE each, 1-based) into pg->data[name] and the paging links
 * into pg->data[name "_paging"] (an array of one object, for
 * {{#each x_paging}}{{> paging}}{{/each}}: page, pages, total, prev, next,
 * csv) and returns false.
 */
bool page_list(page_t *pg, const char *name, json_t *rows, const page_col_t *cols, size_t ncols);

/* The month before this one in the tenant's zone, "YYYY-MM" (a form's default). */
void page_default_month(const api_ctx_t *ctx, char *out, size_t outlen);

/* Sets pg->data "tenant" (slug, name, timezone) for the page's tenant. */
void page_tenant_data(page_t *pg);

/*
 * The latest issued month (client-monthly) of a tenant as the overview
 * shows it (page_tenant.c): label, version, items, met, missed, credit;
 * a new reference, or NULL when none is issued.  *status a db status.
 */
json_t *page_latest_month(page_t *pg, db_t *db, const tenant_t *t, int *status);

/*
 * The overview's month-to-date block (page_live.c): pg->data "live" (the
 * current month so far, from rollups) for a manager, or a client when the
 * tenant allows it; "live_setting" (the form) for a manager.
 */
void page_live_data(page_t *pg, db_t *db);

/* Handlers. */
void page_upload_form(api_ctx_t *ctx, db_t *db);
void page_upload(api_ctx_t *ctx, db_t *db);
void page_batches(api_ctx_t *ctx, db_t *db);
void page_batch(api_ctx_t *ctx, db_t *db);
void page_contract(api_ctx_t *ctx, db_t *db);
void page_contract_save(api_ctx_t *ctx, db_t *db);
void page_quality(api_ctx_t *ctx, db_t *db);
void page_report_form(api_ctx_t *ctx, db_t *db);
void page_report_create(api_ctx_t *ctx, db_t *db);
void page_report_progress(api_ctx_t *ctx, db_t *db);
void page_portfolio(api_ctx_t *ctx, db_t *db);
void page_settings_save(api_ctx_t *ctx, db_t *db);

#endif
