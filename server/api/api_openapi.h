/*
 * api_openapi.h - the OpenAPI 3.1 document of the HTTP API, served by
 * GET /v1/openapi.json.
 *
 * The document is built from the route table itself (router.h:
 * router_route_count / router_route), so a route cannot be missing from it:
 * each route gives its path, method, roles (x-roles and the bearer security
 * scheme), path parameters and the kind of body it takes.  A table in
 * api_openapi.c, keyed by method and pattern, adds what the route table
 * does not know: a summary, a description, query parameters, the request
 * body schema and the response schemas.  A route without an entry there is
 * still in the document (with the generic parts only), and
 * api_openapi_check() names it, which a unit test runs.  An entry marked as
 * a page (an HTML page of a portal) keeps its route out of the document.
 *
 * Nothing here keeps state: every call builds what it returns.  Any thread.
 */
#ifndef SLT_API_OPENAPI_H
#define SLT_API_OPENAPI_H

#include <jansson.h>
#include <stddef.h>

/* The whole document (new reference), or NULL when a description of
 * api_openapi.c is not valid JSON (a bug: api_openapi_check says where). */
json_t *api_openapi_document(void);

/*
 * Checks the description table against the route table: every route has an
 * entry, every entry a route, every JSON fragment parses.  ST_OK, or
 * ST_ERR_INVALID with the first problem in err.
 */
int api_openapi_check(char *err, size_t errlen);

#endif
