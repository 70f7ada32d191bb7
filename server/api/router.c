/* router.c - the route table and the auth/tenancy gate (see router.h). */
#include "router.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "jsonutil.h"
#include "cookie.h"
#include "log.h"
#include "pct.h"
#include "server.h"
#include "session.h"
#include "status.h"
#include "xmem.h"

#define GLOBAL_ONLY_LOOP NULL /* handler NULL: answered on the loop (health, metrics) */

static const route_t routes[] = {
    {"GET", "/healthz", 0, BODY_NONE, GLOBAL_ONLY_LOOP, "/healthz"},
    {"GET", "/readyz", 0, BODY_NONE, GLOBAL_ONLY_LOOP, "/readyz"},
    {"GET", "/metrics", 0, BODY_NONE, GLOBAL_ONLY_LOOP, "/metrics"},
    {"POST", "/v1/tenants", ROLE_ADMIN, BODY_JSON, api_tenants_create, "/v1/tenants"},
    {"GET", "/v1/tenants", ROLES_ANY, BODY_NONE, api_tenants_list, "/v1/tenants"},
    {"GET", "/v1/tenants/{t}", ROLES_ANY, BODY_NONE, api_tenants_get, "/v1/tenants/{t}"},
    {"PATCH", "/v1/tenants/{t}", ROLE_MANAGER | ROLE_ADMIN, BODY_JSON, api_tenants_patch,
     "/v1/tenants/{t}"},
    {"POST", "/v1/tokens", ROLE_ADMIN, BODY_JSON, api_tokens_create, "/v1/tokens"},
    {"DELETE", "/v1/tokens/{id}", ROLE_ADMIN, BODY_NONE, api_tokens_revoke, "/v1/tokens/{id}"},
    {"GET", "/v1/certificates", ROLES_ANY, BODY_NONE, api_certificates, "/v1/certificates"},
    {"GET", "/v1/audit", ROLE_ADMIN | ROLE_AUDITOR, BODY_NONE, api_audit_list, "/v1/audit"},
    {"POST", "/v1/verify", ROLE_AUDITOR | ROLE_MANAGER | ROLE_CLIENT, BODY_FILE, api_verify,
     "/v1/verify"},
    {"PUT", "/v1/tenants/{t}/contract", ROLE_MANAGER, BODY_JSON, api_contract_put,
     "/v1/tenants/{t}/contract"},
    {"GET", "/v1/tenants/{t}/contract", ROLE_MANAGER | ROLE_AUDITOR, BODY_NONE, api_contract_get,
     "/v1/tenants/{t}/contract"},
    {"GET", "/v1/tenants/{t}/metrics", ROLE_MANAGER, BODY_NONE, api_metrics_get,
     "/v1/tenants/{t}/metrics"},
    {"GET", "/v1/tenants/{t}/staffing", ROLE_MANAGER, BODY_NONE, api_staffing_get,
     "/v1/tenants/{t}/staffing"},
    {"POST", "/v1/tenants/{t}/reports", ROLE_MANAGER, BODY_JSON, api_reports_create,
     "/v1/tenants/{t}/reports"},
    {"GET", "/v1/tenants/{t}/reports", ROLE_MANAGER | ROLE_CLIENT | ROLE_AUDITOR, BODY_NONE,
     api_reports_list, "/v1/tenants/{t}/reports"},
    {"GET", "/v1/tenants/{t}/reports/{id}", ROLE_MANAGER | ROLE_CLIENT | ROLE_AUDITOR, BODY_NONE,
     api_reports_get, "/v1/tenants/{t}/reports/{id}"},
    {"GET", "/v1/tenants/{t}/reports/{id}/workbook", ROLE_MANAGER | ROLE_CLIENT | ROLE_AUDITOR,
     BODY_NONE, api_reports_workbook, "/v1/tenants/{t}/reports/{id}/workbook"},
    {"GET", "/v1/tenants/{t}/reports/{id}/signature", ROLE_MANAGER | ROLE_CLIENT | ROLE_AUDITOR,
     BODY_NONE, api_reports_signature, "/v1/tenants/{t}/reports/{id}/signature"},
    {"GET", "/v1/tenants/{t}/reports/{id}/bundle", ROLE_MANAGER | ROLE_CLIENT | ROLE_AUDITOR,
     BODY_NONE, api_reports_bundle, "/v1/tenants/{t}/reports/{id}/bundle"},
    {"POST", "/v1/tenants/{t}/cdrs", ROLE_MANAGER | ROLE_INGEST, BODY_UPLOAD, api_cdrs_ingest,
     "/v1/tenants/{t}/cdrs"},
    {"PUT", "/v1/tenants/{t}/qa/forms/{form}", ROLE_MANAGER, BODY_JSON, api_qa_form_put,
     "/v1/tenants/{t}/qa/forms/{form}"},
    {"GET", "/v1/tenants/{t}/qa/forms/{form}", ROLE_MANAGER, BODY_NONE, api_qa_form_get,
     "/v1/tenants/{t}/qa/forms/{form}"},
    {"PUT", "/v1/tenants/{t}/qa/inspectors", ROLE_MANAGER, BODY_JSON, api_qa_inspectors_put,
     "/v1/tenants/{t}/qa/inspectors"},
    {"POST", "/v1/tenants/{t}/qa/evaluations", ROLE_MANAGER | ROLE_INGEST, BODY_UPLOAD,
     api_qa_evaluations, "/v1/tenants/{t}/qa/evaluations"},
    {"POST", "/v1/tenants/{t}/qa/calibrations", ROLE_MANAGER | ROLE_INGEST, BODY_UPLOAD,
     api_qa_calibrations, "/v1/tenants/{t}/qa/calibrations"},
    {"POST", "/v1/tenants/{t}/qa/appeals", ROLE_MANAGER | ROLE_INGEST, BODY_UPLOAD, api_qa_appeals,
     "/v1/tenants/{t}/qa/appeals"},
    {"GET", "/v1/openapi.json", 0, BODY_NONE, api_openapi_get, "/v1/openapi.json"},
    /* Scheduled reports (api_schedules.c, docs/schedules.md). */
    {"GET", "/v1/tenants/{t}/schedules", ROLE_MANAGER, BODY_NONE, api_schedules_list,
     "/v1/tenants/{t}/schedules"},
    {"PUT", "/v1/tenants/{t}/schedules/{name}", ROLE_MANAGER, BODY_JSON, api_schedules_put,
     "/v1/tenants/{t}/schedules/{name}"},
    {"GET", "/v1/tenants/{t}/schedules/{name}", ROLE_MANAGER, BODY_NONE, api_schedules_get,
     "/v1/tenants/{t}/schedules/{name}"},
    {"DELETE", "/v1/tenants/{t}/schedules/{name}", ROLE_MANAGER, BODY_NONE, api_schedules_delete,
     "/v1/tenants/{t}/schedules/{name}"},
    {"GET", "/v1/tenants/{t}/schedules/{name}/runs", ROLE_MANAGER | ROLE_AUDITOR, BODY_NONE,
     api_schedules_runs, "/v1/tenants/{t}/schedules/{name}/runs"},
    {"GET", "/v1/tenants/{t}/schedules/{name}/deliveries", ROLE_MANAGER | ROLE_AUDITOR, BODY_NONE,
     api_schedules_deliveries, "/v1/tenants/{t}/schedules/{name}/deliveries"},
    {"GET", "/v1/tenants/{t}/deliveries", ROLE_MANAGER | ROLE_AUDITOR, BODY_NONE,
     api_schedules_deliveries, "/v1/tenants/{t}/deliveries"},
    {"POST", "/v1/tenants/{t}/deliveries/{id}/retry", ROLE_MANAGER, BODY_JSON, api_deliveries_retry,
     "/v1/tenants/{t}/deliveries/{id}/retry"},
    {"POST", "/v1/tenants/{t}/periods/{period}/close", ROLE_MANAGER, BODY_JSON, api_periods_close,
     "/v1/tenants/{t}/periods/{period}/close"},
    /* One-click opt-out of scheduled e-mails (RFC 8058): the signed token is the credential. */
    {"POST", "/v1/unsubscribe", 0, BODY_JSON, api_unsubscribe, "/v1/unsubscribe"},
};

#define BODY_PIPE_BYTES (4u << 20) /* upload bytes queued for a worker before reading pauses */

#define NROUTES (sizeof routes / sizeof routes[0])

static void router_start_upload(server_t *srv, httpd_req_t *req, const route_t *r);
static void router_job(db_t *db, void *arg);
static void router_done(void *arg);

/* True for a route whose job holds a worker for long: a streamed or file
 * body, or a metrics computation (pool.h: heavy jobs never take every worker). */
static bool route_is_heavy(const route_t *r)
{
    return r->body == BODY_UPLOAD || r->body == BODY_FILE || r->handler == api_metrics_get ||
           r->handler == api_staffing_get;
}

/* Queues a request's job in its lane of the pool. */
static void router_submit(server_t *srv, api_ctx_t *ctx, const route_t *r)
{
    if (route_is_heavy(r))
        pool_submit_heavy(srv->pool, ctx, router_job, router_done);
    else
        pool_submit(srv->pool, ctx, router_job, router_done);
}

/* True when a route's path is under /v1/tenants/{t} (or a page's /tenants/{t}). */
bool router_tenant_scoped(const route_t *r)
{
    return strncmp(r->pattern, "/v1/tenants/{t}", 15) == 0 ||
           strncmp(r->pattern, "/tenants/{t}", 12) == 0;
}

/* True when r is one of the portal's page routes. */
static bool route_is_page(const server_t *srv, const route_t *r)
{
    return srv->pages && r >= srv->pages->routes && r < srv->pages->routes + srv->pages->n;
}

bool router_admin_refused(const route_t *r)
{
    return router_tenant_scoped(r) && r->roles && !(r->roles & ROLE_ADMIN);
}

/*
 * Matches a raw path (as sent) against a pattern segment by segment, each
 * segment percent-decoded after it was cut out, so an escaped "/" (%2F) is
 * part of a segment and never a separator.  Captured values (decoded, in
 * strings the caller frees) go to caps when caps is non-NULL.
 */
static bool route_match(const char *pattern, const char *path, char **caps, size_t *ncaps)
{
    size_t n = 0;
    const char *p = pattern, *q = path;
    while (*p && *q) {
        if (*p != '/' || *q != '/')
            return false;
        p++, q++;
        const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ql = qe ? (size_t)(qe - q) : strlen(q);
        char *seg = memchr(q, '%', ql) ? pct_decode(q, ql, false) : NULL;
        const char *sv = seg ? seg : q;
        size_t sl = seg ? strlen(seg) : ql;
        bool ok = true;
        if (pl > 1 && p[0] == '{' && p[pl - 1] == '}') {
            ok = sl > 0;
            if (ok && caps && n < API_MAX_PARAMS + 1)
                caps[n] = xstrndup(sv, sl);
            n += ok;
        } else {
            ok = pl == sl && memcmp(p, sv, pl) == 0;
        }
        free(seg);
        if (!ok)
            return false;
        p += pl, q += ql;
    }
    if (ncaps)
        *ncaps = n;
    return *p == '\0' && *q == '\0';
}

void router_on_headers(void *arg, httpd_req_t *req, size_t *max_body)
{
    server_t *srv = arg;
    const route_t *found = NULL;
    char allow[128] = "";
    bool path_known = false;
    size_t npages = srv->pages ? srv->pages->n : 0;
    for (size_t k = 0; k < NROUTES + npages; k++) {
        const route_t *r = k < NROUTES ? &routes[k] : &srv->pages->routes[k - NROUTES];
        if (!route_match(r->pattern, req->raw_path, NULL, NULL))
            continue;
        path_known = true;
        req->route = r->label;
        const char *m = r->method;
        if (strcmp(m, req->method) == 0 || (strcmp(m, "GET") == 0 && !strcmp(req->method, "HEAD")))
            found = r;
        else if (!strstr(allow, m))
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
                     allow[0] ? ", " : "", m);
    }
    if (!path_known) {
        httpd_respond_error(req, 404, "not_found", "no such resource", NULL);
        return;
    }
    if (!found) {
        char hdr[160], msg[200];
        snprintf(hdr, sizeof hdr, "Allow: %s\r\n", allow);
        snprintf(msg, sizeof msg, "%s is not allowed on this resource; allowed: %s", req->method,
                 allow);
        json_t *doc =
            json_pack("{s:{s:s, s:s}}", "error", "code", "method_not_allowed", "message", msg);
        char *text = jsonutil_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        httpd_respond(req, 405, "application/json", hdr, text, text ? strlen(text) : 0);
        free(text);
        json_decref(doc);
        return;
    }
    req->route_ref = found;
    switch (found->body) {
    case BODY_NONE:
        *max_body = 0;
        break;
    case BODY_JSON:
        *max_body = (size_t)srv->cfg->max_json_kb * 1024;
        break;
    case BODY_FILE:
        *max_body = BODY_FILE_MAX;
        break;
    case BODY_UPLOAD:
        *max_body = (size_t)srv->cfg->max_body_mb * 1024 * 1024;
        router_start_upload(srv, req, found);
        return;
    }
    /* A client waiting for 100 Continue sends its body only once the gate
     * has passed: the job starts now and reads the body like an upload. */
    if (found->body != BODY_NONE && found->roles && req->expects_continue) {
        buf_init(&req->body, *max_body);
        router_start_upload(srv, req, found);
    }
}

/* Frees a handler context (after its response was sent). */
static void ctx_free(api_ctx_t *ctx)
{
    if (ctx->resume)
        event_free(ctx->resume);
    if (ctx->invite)
        event_free(ctx->invite);
    chan_release(ctx->body); /* the loop's (producer's) reference */
    principal_clear(&ctx->who);
    for (size_t i = 0; i < ctx->nparams; i++)
        free(ctx->params[i]);
    json_decref(ctx->json);
    json_decref(ctx->err_details);
    free(ctx->err_code);
    free(ctx->err_message);
    buf_free(&ctx->raw);
    free(ctx->extra_headers);
    free(ctx);
}

/* 403 naming the roles that may use the route (a global route, or admin on a tenant route). */
static void route_forbid(api_ctx_t *ctx, const route_t *r)
{
    json_t *roles = router_roles_json(r->roles);
    char list[96] = "", msg[320];
    for (size_t i = 0; i < json_array_size(roles); i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s",
                 i == 0                            ? ""
                 : i + 1 == json_array_size(roles) ? " or "
                                                   : ", ",
                 json_string_value(json_array_get(roles, i)));
    }
    bool admin = ctx->who.role == ROLE_ADMIN;
    const char *role = auth_role_name(ctx->who.role);
    snprintf(msg, sizeof msg, "a%s %s token may not %s %s; this route is for a%s %s token (%s)",
             strchr("aeiou", role[0]) ? "n" : "", role, ctx->req->method, r->pattern,
             strchr("aeiou", list[0]) ? "n" : "", list,
             admin ? "admin creates tenants and tokens: issue one with POST /v1/tokens"
                   : "an admin issues tokens");
    api_error(ctx, 403, "forbidden", msg, json_pack("{s:o}", "roles", roles));
}

/*
 * The caller's credentials: a bearer token, else the portal's session
 * cookie (for pages, and for GET/HEAD of API routes: a cookie alone never
 * changes anything through the API).
 */
static int router_authenticate(api_ctx_t *ctx, db_t *db, bool page)
{
    const char *authz = httpd_header(ctx->req, "authorization");
    const char *m = ctx->req->method;
    if (authz || (!page && strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0))
        return auth_authenticate(db, authz, &ctx->who);
    char sid[64];
    if (!cookie_get(httpd_header(ctx->req, "cookie"), SESSION_COOKIE, sid, sizeof sid))
        return ST_ERR_AUTH;
    int rc = session_authenticate(db, ctx->srv->cfg, sid, &ctx->who);
    if (rc == ST_OK && !page && ctx->who.totp_missing) { /* must enrol first (a page sends them) */
        principal_clear(&ctx->who);
        return ST_ERR_AUTH;
    }
    return rc;
}

/*
 * One run of a handler, for db_retry(): a handler whose transaction lost a
 * conflict (a deadlock, a Galera certification failure; api_db_error()
 * notes it) is run again whole, with its buffered body, after the runner's
 * backoff.  Its transaction was rolled back, so nothing of the lost run
 * stays; the last run's answer is the one sent.
 */
static int handler_attempt(db_t *db, void *arg)
{
    api_ctx_t *ctx = arg;
    api_reset_response(ctx);
    ctx->route->handler(ctx, db);
    return ctx->db_status == ST_ERR_RETRY ? ST_ERR_RETRY : ST_OK;
}

/*
 * On a worker, past the gate, for a body that comes through the pipe:
 * invites it when the client waits for 100 Continue, and reads a JSON or
 * file body whole into req->body, as httpd does for the others.  False
 * with the answer set when the body could not be read.
 */
static bool router_body_ready(api_ctx_t *ctx)
{
    if (ctx->invite)
        event_active(ctx->invite, EV_READ, 0);
    if (ctx->route->body == BODY_UPLOAD)
        return true; /* the handler reads the pipe itself */
    const char *data;
    long n;
    while ((n = api_body_next(ctx, &data)) > 0)
        if (buf_append(&ctx->req->body, data, (size_t)n) != ST_OK) {
            api_error(ctx, 413, "body_too_large",
                      "the request body exceeds the limit for this route", NULL);
            return false;
        }
    return n == 0;
}

/* On a worker: authenticate, apply the tenancy gate and roles, run the handler. */
static void router_work(db_t *db, void *arg)
{
    api_ctx_t *ctx = arg;
    const route_t *r = ctx->route;
    bool page = route_is_page(ctx->srv, r);
    if (r->roles == 0 && !page) {
        r->handler(ctx, db);
        return;
    }
    if (!db) {
        api_error(ctx, 503, "unavailable", "the database is unavailable; try again", NULL);
        return;
    }
    int rc = router_authenticate(ctx, db, page);
    if (rc == ST_ERR_AUTH && r->roles == 0) {
        principal_clear(&ctx->who); /* an open page: anyone, signed in or not */
        rc = ST_OK;
    }
    if (rc == ST_ERR_AUTH) {
        api_error(ctx, 401, "unauthorized", "a valid bearer token is required", NULL);
        ctx->extra_headers = xstrdup("WWW-Authenticate: Bearer realm=\"slattest\"\r\n");
        return;
    }
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        return;
    }
    if (page && !ctx->srv->pages->admit(ctx, db))
        return;
    bool scoped = router_tenant_scoped(r);
    if (scoped) {
        rc = tenant_resolve(db, &ctx->who, ctx->params[0], &ctx->tenant);
        if (rc == ST_OK && ctx->who.role == ROLE_ADMIN && router_admin_refused(r)) {
            route_forbid(ctx, r); /* admin sees every tenant: saying why reveals nothing */
            return;
        }
        if (rc == ST_OK && !(r->roles & ctx->who.role))
            rc = ST_ERR_NOT_FOUND; /* a role that may not use the route sees nothing there */
        if (rc == ST_ERR_NOT_FOUND) {
            api_error(ctx, 404, "not_found", "no such tenant", NULL);
            return;
        }
        if (rc != ST_OK) {
            api_db_error(ctx, rc, db);
            return;
        }
        /* Handlers see only the parameters after {t}. */
        free(ctx->params[0]);
        memmove(ctx->params, ctx->params + 1, (ctx->nparams - 1) * sizeof *ctx->params);
        ctx->nparams--;
    } else if (r->roles && !(r->roles & ctx->who.role)) {
        route_forbid(ctx, r); /* a global route reveals no tenant */
        return;
    }
    if (ctx->body && !router_body_ready(ctx))
        return;
    if (r->body == BODY_UPLOAD)
        r->handler(ctx, db); /* a streamed body is replayed by api_upload_run() itself */
    else
        db_retry(db, handler_attempt, ctx);
}

/* On a worker: the gate and the handler; an upload's pipe is let go after. */
static void router_job(db_t *db, void *arg)
{
    api_ctx_t *ctx = arg;
    router_work(db, ctx);
    if (ctx->err_code && route_is_page(ctx->srv, ctx->route))
        ctx->srv->pages->error(ctx, db);
    if (ctx->body) {
        chan_abandon(ctx->body);
        chan_release(ctx->body); /* the worker's (consumer's) reference */
    }
}

/* On the loop: send what the handler decided, then free the context. */
static void router_done(void *arg)
{
    api_ctx_t *ctx = arg;
    httpd_req_t *req = ctx->req;
    if (ctx->status == 0)
        api_error(ctx, 500, "internal", "the handler gave no answer", NULL);
    if (ctx->err_code) {
        json_t *e = json_pack("{s:s, s:s}", "code", ctx->err_code, "message", ctx->err_message);
        if (ctx->err_details)
            json_object_set(e, "details", ctx->err_details);
        json_t *doc = json_pack("{s:o}", "error", e);
        char *text = jsonutil_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        httpd_respond(req, ctx->status, "application/json", ctx->extra_headers, text,
                      text ? strlen(text) : 0);
        free(text);
        json_decref(doc);
    } else if (ctx->content_type) {
        httpd_respond(req, ctx->status, ctx->content_type, ctx->extra_headers, ctx->raw.data,
                      ctx->raw.len);
    } else {
        char *text = jsonutil_dumps(ctx->json ? ctx->json : json_null(),
                                    JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        httpd_respond(req, ctx->status, "application/json", ctx->extra_headers, text,
                      text ? strlen(text) : 0);
        free(text);
    }
    ctx_free(ctx);
}

/* /metrics, on the loop thread: loopback clients only unless configured otherwise. */
static void router_metrics(server_t *srv, httpd_req_t *req)
{
    if (!req->remote_loopback && !srv->cfg->metrics_public) {
        httpd_respond_error(req, 404, "not_found", "no such resource", NULL);
        return;
    }
    prom_gauges_t g = {db_errors_total(), httpd_connections(srv->httpd), pool_pending(srv->pool)};
    buf_t out;
    buf_init(&out, 16 << 20);
    prom_render(srv->prom, &g, &out);
    api_schedules_metrics(&out);
    httpd_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, out.data, out.len);
    buf_free(&out);
}

/* A handler context for a request, with its path parameters. */
static api_ctx_t *ctx_new(server_t *srv, httpd_req_t *req, const route_t *r)
{
    api_ctx_t *ctx = xcalloc(1, sizeof *ctx);
    ctx->srv = srv;
    ctx->req = req;
    ctx->route = r;
    buf_init(&ctx->raw, SIZE_MAX / 2);
    char *caps[API_MAX_PARAMS + 1] = {0};
    size_t n = 0;
    route_match(r->pattern, req->raw_path, caps, &n);
    ctx->nparams = n > API_MAX_PARAMS ? API_MAX_PARAMS : n;
    memcpy(ctx->params, caps, ctx->nparams * sizeof *caps);
    for (size_t i = ctx->nparams; i < n && i < API_MAX_PARAMS + 1; i++)
        free(caps[i]);
    req->app = ctx;
    return ctx;
}

/* /readyz, on the loop thread, from the probe's last check (at most a second old). */
static void router_readyz(server_t *srv, httpd_req_t *req)
{
    if (probe_ready(srv->probe))
        httpd_respond(req, 200, "application/json", NULL,
                      "{\"status\":\"ready\",\"database\":\"ok\"}\n", 35);
    else
        httpd_respond_error(req, 503, "unavailable", "the database does not answer", NULL);
}

void router_on_request(void *arg, httpd_req_t *req)
{
    server_t *srv = arg;
    const route_t *r = req->route_ref;
    if (!r->handler) {
        if (strcmp(r->pattern, "/metrics") == 0)
            router_metrics(srv, req);
        else if (strcmp(r->pattern, "/readyz") == 0)
            router_readyz(srv, req);
        else
            httpd_respond(req, 200, "application/json", NULL, "{\"status\":\"ok\"}\n", 16);
        return;
    }
    router_submit(srv, ctx_new(srv, req, r), r);
}

/* Loop: the worker drained the pipe enough; read the socket again. */
static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    api_ctx_t *ctx = arg;
    httpd_resume(ctx->req);
}

/* Loop: the gate has passed; invite the body of a client waiting for it. */
static void on_invite(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    api_ctx_t *ctx = arg;
    httpd_continue(ctx->req);
}

/* Worker thread (inside chan_pop): ask the loop to resume reading. */
static void wake_loop(void *arg)
{
    api_ctx_t *ctx = arg;
    event_active(ctx->resume, EV_READ, 0);
}

/*
 * Uploads stream: the job starts as soon as the headers are in (so the
 * token is checked before the body is read) and reads the body through a
 * bounded pipe while it arrives.  A client that waits for 100 Continue gets
 * it only once the gate has passed (router_body_ready).
 */
static void router_start_upload(server_t *srv, httpd_req_t *req, const route_t *r)
{
    api_ctx_t *ctx = ctx_new(srv, req, r);
    req->stream = true;
    if (req->expects_continue) {
        req->continue_later = true;
        ctx->invite = event_new(srv->base, -1, 0, on_invite, ctx);
    }
    ctx->resume = event_new(srv->base, -1, 0, on_resume, ctx);
    ctx->body = chan_new(BODY_PIPE_BYTES, wake_loop, ctx);
    router_submit(srv, ctx, r);
}

void router_on_body(void *arg, httpd_req_t *req, const char *data, size_t len)
{
    (void)arg;
    api_ctx_t *ctx = req->app;
    if (chan_push(ctx->body, data, len) == 1)
        httpd_pause(req);
}

void router_on_body_end(void *arg, httpd_req_t *req, int status, const char *code,
                        const char *message)
{
    (void)arg;
    api_ctx_t *ctx = req->app;
    if (status > 0) {
        ctx->body_status = status;
        snprintf(ctx->body_code, sizeof ctx->body_code, "%s", code);
        snprintf(ctx->body_message, sizeof ctx->body_message, "%s", message);
    }
    chan_close(ctx->body, status == 0);
}

void router_on_response(void *arg, const httpd_req_t *req, int status, size_t bytes)
{
    server_t *srv = arg;
    double secs = req->started ? httpd_now() - req->started : 0;
    prom_observe(srv->prom, req->route, req->method, status, secs);
    const api_ctx_t *ctx = req->app;
    json_t *f = json_object();
    json_object_set_new(f, "request_id", json_string(req->request_id));
    json_object_set_new(f, "method", json_string(req->method));
    char *path = req->path ? xstrdup(req->path) : NULL;
    auth_redact(path); /* a token is never written to a log, even one sent in a path */
    json_object_set_new(f, "path", path ? json_string(path) : json_null());
    free(path);
    json_object_set_new(f, "route", json_string(req->route));
    json_object_set_new(f, "status", json_integer(status));
    json_object_set_new(f, "bytes_in", json_integer((json_int_t)req->body.len));
    json_object_set_new(f, "bytes_out", json_integer((json_int_t)bytes));
    json_object_set_new(f, "duration_ms", json_real(secs * 1000));
    json_object_set_new(f, "remote", json_string(req->remote));
    if (ctx && ctx->who.actor[0])
        json_object_set_new(f, "actor", json_string(ctx->who.actor));
    if (ctx && ctx->tenant.id)
        json_object_set_new(f, "tenant", json_string(ctx->tenant.slug));
    log_json("info", "request", f);
    json_decref(f);
}

size_t router_route_count(void)
{
    return NROUTES;
}

const route_t *router_route(size_t i)
{
    return i < NROUTES ? &routes[i] : NULL;
}

json_t *router_roles_json(unsigned roles)
{
    static const role_t all[] = {ROLE_ADMIN, ROLE_MANAGER, ROLE_INGEST, ROLE_CLIENT, ROLE_AUDITOR};
    json_t *list = json_array();
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (roles & all[k])
            json_array_append_new(list, json_string(auth_role_name(all[k])));
    return list;
}

void router_print(FILE *out)
{
    router_print_table(out, routes, NROUTES);
}

void router_print_table(FILE *out, const route_t *table, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *roles = router_roles_json(table[i].roles);
        json_t *o =
            json_pack("{s:s, s:s, s:o, s:b, s:b}", "method", table[i].method, "pattern",
                      table[i].pattern, "roles", roles, "tenant_scoped",
                      router_tenant_scoped(&table[i]), "authenticated", table[i].roles != 0);
        char *t = jsonutil_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fprintf(out, "%s\n", t);
        free(t);
        json_decref(o);
    }
}
