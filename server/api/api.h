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
#include "batch.h"
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
    int db_status; /* set by api_db_error(): ST_ERR_RETRY makes the router run the handler again */
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
/*
 * Maps a failed db status to 503 or 500 with a request-id hint.  A lost
 * conflict (ST_ERR_RETRY: a deadlock, a Galera certification failure) is
 * remembered: the router runs the whole handler again (router.c), and only
 * when it keeps losing does the client get 503 "write_conflict".
 */
void api_db_error(api_ctx_t *ctx, int rc, db_t *db);
/* Forgets the response set so far (before the router runs a handler again). */
void api_reset_response(api_ctx_t *ctx);
/* The configuration the server runs with. */
const config_t *api_config(const api_ctx_t *ctx);

/*
 * Reads an upload's ?mode=strict|lenient (default strict) and
 * ?dry_run=true|false; answers 400 itself (naming the valid values) when wrong.
 */
bool api_batch_mode(api_ctx_t *ctx, batch_mode_t *mode);

/*
 * A streamed batch kind, for api_upload_run(): begin a batch on db for the
 * request (arg is the handler's: format, mode, kind), feed it pieces of
 * the body, finish it (commit or refuse), then its verdict and receipt
 * (a new reference), and free it (rolling back what is not committed).
 */
typedef struct api_upload_ops {
    int (*begin)(db_t *db, api_ctx_t *ctx, void *arg, void **batch, char *err, size_t errlen);
    int (*feed)(void *batch, const char *data, size_t len);
    int (*finish)(void *batch);
    bool (*committed)(const void *batch);
    json_t *(*receipt)(const void *batch);
    void (*free)(void *batch);
} api_upload_ops_t;
/*
 * Runs a streamed upload to its answer (api_upload.c): the body feeds the
 * batch and a spool file at once; a batch that loses a conflict
 * (ST_ERR_RETRY) runs again whole from the spool (db_retry()).  Answers
 * 200 with the receipt when committed, 422 when refused, the body's own
 * error (413, 408, ...) or a database error otherwise.
 */
void api_upload_run(api_ctx_t *ctx, db_t *db, const api_upload_ops_t *ops, void *arg);
/*
 * The same flow for a body already in memory (a file part of a portal
 * form, buffered by the router): data (len bytes, borrowed) feeds the
 * batch, and again whole when a conflict makes it run again.
 */
void api_upload_run_buffer(api_ctx_t *ctx, db_t *db, const api_upload_ops_t *ops, void *arg,
                           const char *data, size_t len);
/*
 * A contacts (kind "cdrs") or QA ("evaluations", "calibrations",
 * "appeals") upload of a body in memory, through the same batch kinds as
 * POST /v1/tenants/{t}/cdrs and /qa/...: the answer is the API's (200 with
 * the receipt, 422 refused with it, 400 for a format the kind does not
 * take, or an error).  fmt is an ingest_format.
 */
void api_upload_buffer(api_ctx_t *ctx, db_t *db, const char *kind, int fmt, batch_mode_t mode,
                       const char *data, size_t len);
/* The QA part of api_upload_buffer() (api_qa.c): kind is a qa_kind. */
void api_qa_upload_buffer(api_ctx_t *ctx, db_t *db, int kind, int fmt, batch_mode_t mode,
                          const char *data, size_t len);
/*
 * Reads ?dry_run=true|false (also 1|0; default false): validate completely,
 * commit nothing.  Answers 400 itself (naming the valid values) when wrong.
 */
bool api_dry_run(api_ctx_t *ctx, bool *dry_run);
/*
 * Answers 400 "invalid" for a parameter or member whose value is not one of
 * `valid` (NULL-ended): the message names them, details are {"field",
 * "valid": [...]}.  what: "by", "role", ...
 */
void api_invalid_choice(api_ctx_t *ctx, const char *what, const char *given,
                        const char *const *valid);

/* Handlers (api_*.c). */
void api_tenants_create(api_ctx_t *ctx, db_t *db);
void api_tenants_list(api_ctx_t *ctx, db_t *db);
void api_tenants_get(api_ctx_t *ctx, db_t *db);
void api_tenants_patch(api_ctx_t *ctx, db_t *db); /* settings: clients_see_live */
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
void api_staffing_get(api_ctx_t *ctx, db_t *db);
/* Answers a failed metrics computation (metrics_run.h): 413, 400, 500
 * "inconsistent" (rollups out of step, logged), or the database's error. */
void api_metrics_error(api_ctx_t *ctx, db_t *db, int rc, const char *err);
void api_audit_list(api_ctx_t *ctx, db_t *db);
void api_qa_form_put(api_ctx_t *ctx, db_t *db);
void api_qa_form_get(api_ctx_t *ctx, db_t *db);
void api_qa_inspectors_put(api_ctx_t *ctx, db_t *db);
void api_qa_evaluations(api_ctx_t *ctx, db_t *db);
void api_qa_calibrations(api_ctx_t *ctx, db_t *db);
void api_qa_appeals(api_ctx_t *ctx, db_t *db);
void api_openapi_get(api_ctx_t *ctx, db_t *db); /* api_openapi.c */
/* Scheduled reports (api_schedules.c). */
void api_schedules_list(api_ctx_t *ctx, db_t *db);
void api_schedules_put(api_ctx_t *ctx, db_t *db);
void api_schedules_get(api_ctx_t *ctx, db_t *db);
void api_schedules_delete(api_ctx_t *ctx, db_t *db);
void api_schedules_runs(api_ctx_t *ctx, db_t *db);
void api_schedules_deliveries(api_ctx_t *ctx, db_t *db);
void api_deliveries_retry(api_ctx_t *ctx, db_t *db);
void api_periods_close(api_ctx_t *ctx, db_t *db);
/* POST /v1/unsubscribe?token=: the one-click opt-out (no authentication). */
void api_unsubscribe(api_ctx_t *ctx, db_t *db);
/* Appends the scheduler's counters to a /metrics page (any thread). */
void api_schedules_metrics(buf_t *out);

#endif
