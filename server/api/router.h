/*
 * router.h - the one table of HTTP routes, and the one place where every
 * request is authenticated, checked against its route's roles, and (for
 * routes under /v1/tenants/{t}) confined to a tenant the caller may see.
 *
 * Order of checks, identical for every route: unknown path -> 404; known
 * path, other method -> 405; then on a worker: missing or bad token -> 401;
 * tenant-scoped route whose role or tenant the caller may not see -> 404
 * (never 403, which would reveal that the tenant exists), except an admin
 * token on a tenant route of other roles (ingest, contract, metrics,
 * reports, QA) -> 403 naming the roles that may (admin sees every tenant,
 * so this reveals nothing); global route the role may not use -> 403; then
 * the handler.
 *
 * router_on_headers()/router_on_request() are the httpd callbacks; they run
 * on the loop thread.
 */
#ifndef SLT_ROUTER_H
#define SLT_ROUTER_H

#include <stdbool.h>
#include <stdio.h>

#include "api.h"
#include "httpd.h"

/* How a route takes its body: none, JSON (small), a buffered file, or streamed. */
typedef enum route_body { BODY_NONE, BODY_JSON, BODY_FILE, BODY_UPLOAD } route_body;
#define BODY_FILE_MAX ((size_t)64 << 20) /* a buffered upload (a workbook to verify) */

typedef struct route {
    const char *method;
    const char *pattern; /* "/v1/tenants/{t}/reports/{id}": {t} is the tenant slug */
    unsigned roles;      /* allowed roles; 0: no authentication (health, metrics) */
    route_body body;
    api_handler_fn handler;
    const char *label; /* for metrics: the pattern */
} route_t;

/*
 * Pages (server/portal) are a second table beside the API's, handed in at
 * start-up (server_t.pages), so the API's table (and what is generated
 * from it) holds API routes only.  Page routes go through the same gate
 * with these differences: the portal's session cookie authenticates
 * (besides a bearer token); a page with roles 0 runs for anyone, with the
 * session's principal when there is one; admit() runs after
 * authentication (the portal checks CSRF and Origin there) and error()
 * turns any error the gate or a handler set into the page's own answer (an
 * HTML page, or a redirect to the login).  A tenant-scoped page
 * ("/tenants/{t}...") answers 404 for a tenant the person may not see,
 * exactly as for one that does not exist.  API routes accept the session
 * cookie for GET and HEAD only (downloads from a page), never for a change.
 */
typedef struct router_pages {
    const route_t *routes;
    size_t n;
    bool (*admit)(api_ctx_t *ctx, db_t *db); /* false: it has set the answer */
    void (*error)(api_ctx_t *ctx, db_t *db); /* ctx->err_code is set; db may be NULL */
} router_pages_t;

void router_on_headers(void *srv, httpd_req_t *req, size_t *max_body);
void router_on_request(void *srv, httpd_req_t *req);
void router_on_response(void *srv, const httpd_req_t *req, int status, size_t bytes);
void router_on_body(void *srv, httpd_req_t *req, const char *data, size_t len);
void router_on_body_end(void *srv, httpd_req_t *req, int status, const char *code,
                        const char *message);

/* Prints every route as JSON lines: method, pattern, roles, tenant-scoped. */
void router_print(FILE *out);
/* The same for another table of routes (the portal's pages). */
void router_print_table(FILE *out, const route_t *table, size_t n);

/* The route table, for the API document (api_openapi.c): its size, and
 * entry i (NULL past the end).  Static storage. */
size_t router_route_count(void);
const route_t *router_route(size_t i);
/* True when a route's path is under /v1/tenants/{t} (the tenancy gate applies). */
bool router_tenant_scoped(const route_t *r);
/* True when an admin token on a tenant it sees gets 403 here rather than the
 * 404 of other roles: a tenant route whose roles do not include admin. */
bool router_admin_refused(const route_t *r);
/* The names of the roles in a role set, as a JSON array (new reference). */
json_t *router_roles_json(unsigned roles);

#endif
