/*
 * api.h - what an HTTP handler sees: the request, the authenticated
 * principal, the tenant the router resolved (tenant-scoped routes only),
 * path parameters, and the response it fills in.
 *
 * Handlers run on a worker thread with that worker's database connection
 * (db is never NULL there: the router answers 503 itself when the database
 * is down).  They must not touch the request's connection; they set the
 * response with api_json()/api_error() and return.  The router sends it
 * from the loop thread.  All strings in api_ctx_t are owned by the router.
 */
#ifndef SLT_API_H
#define SLT_API_H

#include <jansson.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "httpd.h"
#include "tenant.h"

#define API_MAX_PARAMS 4

typedef struct server server_t;

typedef struct api_ctx {
    server_t *srv;
    httpd_req_t *req;
    const struct route *route;
    principal_t who;
    tenant_t tenant;              /* valid when the route has {t} */
    char *params[API_MAX_PARAMS]; /* path parameters after {t}, in order */
    size_t nparams;
    /* response */
    int status;
    json_t *json; /* body when status set by api_json */
    char *err_code, *err_message;
    json_t *err_details;
    const char *content_type; /* raw body instead of JSON */
    buf_t raw;
    char *extra_headers;
    /* streamed bodies (BODY_UPLOAD routes, and any body whose client waits for 100 Continue) */
    struct chan *body;    /* the body as it arrives */
    struct event *resume; /* wakes the loop to read again */
    struct event *invite; /* wakes the loop to send 100 Continue (the gate has passed) */
    int body_status;      /* set by the loop when the body failed: 413, 408, ... */
    char body_code[32], body_message[160];
} api_ctx_t;

typedef void (*api_handler_fn)(api_ctx_t *ctx, db_t *db);

/* Sets a JSON response; takes the reference to doc. */
void api_json(api_ctx_t *ctx, int status, json_t *doc);
/* Sets an error response; details (may be NULL) is stolen. */
void api_error(api_ctx_t *ctx, int status, const char *code, const char *message, json_t *details);
/* Parses the request body as a JSON object; answers 400/415 itself and returns NULL on error. */
json_t *api_body_json(api_ctx_t *ctx);
/*
 * Streaming uploads: the next piece of the body (length, *data valid until
 * the next call), 0 at its end, -1 when it was cut off or refused (then
 * api_body_failed() has set the response).
 */
long api_body_next(api_ctx_t *ctx, const char **data);
/* Answers for a body that could not be read (limit, timeout, client gone). */
void api_body_failed(api_ctx_t *ctx);
/* A query parameter, percent-decoded, into out; false when absent or too long. */
bool api_query(const api_ctx_t *ctx, const char *name, char *out, size_t outlen);
/* Maps a failed db status to 503 or 500 with a request-id hint. */
void api_db_error(api_ctx_t *ctx, int rc, db_t *db);
/* The configuration the server runs with. */
const config_t *api_config(const api_ctx_t *ctx);

/* Reads ?mode=strict|lenient (default strict) for uploads; answers 400 itself when wrong. */
bool api_ingest_mode(api_ctx_t *ctx, bool *lenient);

/* Handlers (api_*.c). */
void api_tenants_create(api_ctx_t *ctx, db_t *db);
void api_tenants_list(api_ctx_t *ctx, db_t *db);
void api_tenants_get(api_ctx_t *ctx, db_t *db);
void api_tokens_create(api_ctx_t *ctx, db_t *db);
void api_tokens_revoke(api_ctx_t *ctx, db_t *db);
void api_cdrs_ingest(api_ctx_t *ctx, db_t *db);
void api_certificates(api_ctx_t *ctx, db_t *db);
void api_verify(api_ctx_t *ctx, db_t *db);
void api_reports_create(api_ctx_t *ctx, db_t *db);
void api_reports_list(api_ctx_t *ctx, db_t *db);
void api_reports_get(api_ctx_t *ctx, db_t *db);
void api_reports_workbook(api_ctx_t *ctx, db_t *db);
void api_reports_signature(api_ctx_t *ctx, db_t *db);
void api_reports_bundle(api_ctx_t *ctx, db_t *db);
void api_contract_put(api_ctx_t *ctx, db_t *db);
void api_contract_get(api_ctx_t *ctx, db_t *db);
void api_metrics_get(api_ctx_t *ctx, db_t *db);
void api_audit_list(api_ctx_t *ctx, db_t *db);
void api_qa_form_put(api_ctx_t *ctx, db_t *db);
void api_qa_form_get(api_ctx_t *ctx, db_t *db);
void api_qa_inspectors_put(api_ctx_t *ctx, db_t *db);
void api_qa_evaluations(api_ctx_t *ctx, db_t *db);
void api_qa_calibrations(api_ctx_t *ctx, db_t *db);
void api_qa_appeals(api_ctx_t *ctx, db_t *db);

#endif
