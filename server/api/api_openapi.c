/*
 * api_openapi.c - GET /v1/openapi.json: the OpenAPI 3.1 document of every
 * API route, built at request time from the route table (router.h) and the
 * descriptions below (see api_openapi.h).
 *
 * The JSON fragments of this file are written with single quotes instead of
 * double quotes, so they read as JSON rather than as escape sequences; sq()
 * turns them into JSON.  So no text here may contain an apostrophe: write
 * the typographic one (U+2019) instead.
 */
#include "api_openapi.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "router.h"
#include "status.h"
#include "xmem.h"

/*
 * The tables below are JSON laid out by hand (one schema or response per
 * paragraph), so clang-format leaves them alone.
 */
/* clang-format off */

/* A reference to a schema of components.schemas. */
#define REF(name) "{'$ref': '#/components/schemas/" name "'}"
/* A JSON response with a schema of components.schemas. */
#define JSON_RESPONSE(desc, name) \
    "{'description': '" desc "', 'content': {'application/json': {'schema': " REF(name) "}}}"
/* A shared response of components.responses. */
#define SHARED(name) "{'$ref': '#/components/responses/" name "'}"
/* The request body of a JSON route, with a schema of components.schemas. */
#define JSON_BODY(name) "{'required': true, 'content': {'application/json': {'schema': " REF(name) "}}}"
/* The request body of an upload: CSV, a JSON array of `item`, or NDJSON. */
#define UPLOAD_BODY(item) \
    "{'required': true, 'content': {" \
    "'text/csv': {'schema': {'type': 'string', " \
    "  'description': 'A header row, then one row per record (RFC 4180).'}}, " \
    "'application/json': {'schema': {'type': 'array', 'items': " REF(item) "}}, " \
    "'application/x-ndjson': {'schema': {'type': 'string', " \
    "  'description': 'One JSON object per line.'}}}}"
/* The query parameter ?mode= of every upload. */
#define MODE_PARAM \
    "{'name': 'mode', 'in': 'query', " \
    " 'description': 'strict (default): any bad record refuses the whole batch (422, nothing " \
    "kept); lenient: the good records are kept.', " \
    " 'schema': {'type': 'string', 'enum': ['strict', 'lenient'], 'default': 'strict'}}"
/* The query parameter ?dry_run= of every upload and of the contract, scorecard and inspector
 * PUTs. */
#define DRY_RUN_PARAM \
    "{'name': 'dry_run', 'in': 'query', " \
    " 'description': 'true or 1: validate and apply completely inside the transaction, then " \
    "roll it back: the same answer as a real request (with dry_run: true), nothing kept, no " \
    "audit entry.  Any other value than true, false, 1 or 0 is refused (400).', " \
    " 'schema': {'type': 'string', 'enum': ['true', 'false', '1', '0'], 'default': 'false'}}"
/* The answers of an upload: the receipt, committed (200) or refused (422). */
#define RECEIPT_RESPONSES(name) \
    "{'200': " JSON_RESPONSE("Committed (a dry run: would be committed, nothing kept): the " \
                             "receipt.", name) ", " \
    " '422': " JSON_RESPONSE("Refused (strict mode with a bad record, or a body that cannot be " \
                             "read; a dry run: would be refused): the receipt with every error " \
                             "(the first 1,000 listed); nothing was kept.", name) ", " \
    " '400': " SHARED("Invalid") "}"

/* A schedule as stored and answered (docs/schedules.md). */
#define SCHEDULE_FIELDS \
    "'templates': {'type': 'array', 'items': {'type': 'string'}, 'minItems': 1, 'maxItems': 8}, " \
    "'day': {'type': 'integer', 'minimum': 1, 'maximum': 31}, " \
    "'business_days': {'type': 'boolean'}, " \
    "'time': {'type': 'string', 'pattern': '^[0-2][0-9]:[0-5][0-9]$'}, " \
    "'recipients': {'type': 'array', 'items': {'type': 'object', 'properties': {" \
    "  'email': {'type': 'string'}, 'lang': {'type': 'string', 'enum': ['en', 'zh']}, " \
    "  'internal': {'type': 'boolean'}}, 'required': ['email']}}, " \
    "'channels': {'type': 'array', 'items': {'type': 'string', 'enum': ['email', 'webhook']}}, " \
    "'enabled': {'type': 'boolean'}, " \
    "'first_period': {'type': 'string', 'pattern': '^[0-9]{4}-[0-9]{2}$'}"
#define SCHEDULE_BODY \
    "{'type': 'object', 'required': ['templates', 'day', 'time', 'channels'], 'properties': {" \
    SCHEDULE_FIELDS ", 'webhook': {'type': 'object', 'properties': {" \
    "  'url': {'type': 'string'}, 'secret': {'type': 'string', 'minLength': 16}}}}}"
#define SCHEDULE \
    "{'type': 'object', 'properties': {'name': {'type': 'string'}, " SCHEDULE_FIELDS ", " \
    "'webhook': {'type': 'object', 'properties': {'url': {'type': 'string'}, " \
    "  'secret_set': {'type': 'boolean'}}}}}"

/* What the route table does not know about a route. */
typedef struct openapi_op {
    const char *method, *pattern; /* the route's, exactly */
    bool page;                    /* an HTML page: not part of the API document */
    const char *operation_id, *summary, *description;
    const char *query;     /* JSON array of query parameter objects, or NULL */
    const char *request;   /* JSON requestBody object, or NULL */
    const char *responses; /* JSON object: status -> response object */
} openapi_op_t;

static const openapi_op_t ops[] = {
    {"GET", "/healthz", false, "healthz", "Liveness",
     "200 while the process runs; answered without the database.",
     NULL, NULL,
     "{'200': {'description': 'Running.', 'content': {'application/json': {'schema': "
     "  {'type': 'object', 'properties': {'status': {'const': 'ok'}}}}}}}"},

    {"GET", "/readyz", false, "readyz", "Readiness",
     "200 when the database answers (checked every second), else 503; recovers without a "
     "restart.",
     NULL, NULL,
     "{'200': {'description': 'Ready.', 'content': {'application/json': {'schema': "
     "  {'type': 'object', 'properties': {'status': {'const': 'ready'}, "
     "                                    'database': {'const': 'ok'}}}}}}, "
     " '503': " SHARED("Unavailable") "}"},

    {"GET", "/metrics", false, "prometheusMetrics", "Prometheus metrics",
     "Requests by route and status, latency histograms, database errors, connections and "
     "queued jobs, in the Prometheus text format.  Only for loopback clients unless [server] "
     "metrics_public is true; others get 404.",
     NULL, NULL,
     "{'200': {'description': 'Prometheus text format 0.0.4.', "
     "         'content': {'text/plain': {'schema': {'type': 'string'}}}}, "
     " '404': " SHARED("NotFound") "}"},

    {"GET", "/v1/openapi.json", false, "openapi", "This document",
     "The OpenAPI 3.1 document of every API route, built from the route table that `slattest "
     "routes` prints.  No token needed.",
     NULL, NULL,
     "{'200': {'description': 'The OpenAPI document.', "
     "         'content': {'application/json': {'schema': {'type': 'object'}}}}}"},

    {"POST", "/v1/tenants", false, "createTenant", "Create a tenant",
     "A tenant is one client contract.  The time zone applies until a contract sets one.",
     NULL, JSON_BODY("TenantCreate"),
     "{'201': " JSON_RESPONSE("Created.", "Tenant") ", "
     " '400': " SHARED("Invalid") ", '409': " SHARED("Conflict") "}"},

    {"GET", "/v1/tenants", false, "listTenants", "List tenants",
     "The tenants this token may see (admin: all).",
     NULL, NULL,
     "{'200': " JSON_RESPONSE("The tenants.", "TenantList") "}"},

    {"GET", "/v1/tenants/{t}", false, "getTenant", "One tenant",
     "A tenant this token may see.",
     NULL, NULL,
     "{'200': " JSON_RESPONSE("The tenant.", "Tenant") "}"},

    {"PATCH", "/v1/tenants/{t}", false, "updateTenantSettings", "Change a tenant's settings",
     "Today one setting: `clients_see_live`, whether the tenant's client contacts see "
     "month-to-date figures (from rollups) on the portal's overview (off by default; managers "
     "always see them).  A change writes the audit entry `tenant.settings`.",
     NULL, JSON_BODY("TenantSettings"),
     "{'200': " JSON_RESPONSE("The tenant with its settings.", "Tenant") ", "
     " '400': " SHARED("Invalid") "}"},

    {"POST", "/v1/tokens", false, "issueToken", "Issue a token",
     "The token is shown only in this answer; the server keeps its SHA-256.  admin takes no "
     "tenant, ingest and client exactly one, manager and auditor at least one.",
     NULL, JSON_BODY("TokenCreate"),
     "{'201': " JSON_RESPONSE("Issued.", "TokenIssued") ", '400': " SHARED("Invalid") "}"},

    {"DELETE", "/v1/tokens/{id}", false, "revokeToken", "Revoke a token",
     "The token stops working at once.",
     NULL, NULL,
     "{'200': " JSON_RESPONSE("Revoked.", "TokenRevoked") ", '404': " SHARED("NotFound") "}"},

    {"GET", "/v1/certificates", false, "listCertificates", "Signing certificates",
     "The report-signing certificates, current and retired, with their SHA-256 fingerprints "
     "and PEM: what an auditor needs to verify any report ever signed.",
     NULL, NULL,
     "{'200': " JSON_RESPONSE("The certificates.", "Certificates") "}"},

    {"GET", "/v1/audit", false, "listAudit", "Audit log",
     "Audit entries with their chain hashes, oldest first, paged by id.  An auditor must name "
     "a tenant it may see; admin may leave it out (every entry).",
     "[{'name': 'tenant', 'in': 'query', 'schema': {'type': 'string'}, "
     "  'description': 'A tenant slug (required for auditors).'}, "
     " {'name': 'after', 'in': 'query', 'schema': {'type': 'integer', 'minimum': 0, 'default': 0}, "
     "  'description': 'Entries with a larger id (the previous page’s next_after).'}, "
     " {'name': 'limit', 'in': 'query', "
     "  'schema': {'type': 'integer', 'minimum': 0, 'maximum': 10000, 'default': 1000}}]",
     NULL,
     "{'200': " JSON_RESPONSE("A page of entries.", "AuditPage") ", "
     " '400': " SHARED("Invalid") ", '404': " SHARED("NotFound") "}"},

    {"POST", "/v1/verify", false, "verifyWorkbook", "Verify a signed workbook",
     "Checks a workbook against its detached CMS signature (DER or PEM) and the configured CA; "
     "names the stored report when this token may see its tenant.  Every check is audited.",
     NULL,
     "{'required': true, 'content': {'multipart/form-data': {'schema': {'type': 'object', "
     "  'required': ['workbook', 'signature'], 'properties': {"
     "    'workbook': {'type': 'string', 'contentMediaType': 'application/octet-stream', "
     "                 'description': 'The .xlsx file.'}, "
     "    'signature': {'type': 'string', 'contentMediaType': 'application/octet-stream', "
     "                  'description': 'The .p7s file (DER or PEM).'}}}}}}",
     "{'200': " JSON_RESPONSE("Valid.", "VerifyResult") ", "
     " '422': " JSON_RESPONSE("Not valid: verdict and reason.", "VerifyResult") ", "
     " '400': " SHARED("Invalid") "}"},

    {"PUT", "/v1/tenants/{t}/contract", false, "putContract", "Store a contract version",
     "Validated whole: every fault is answered at once, each with its JSON path "
     "(details.errors, at most 50).  A new version needs at least one item.  Versions are "
     "numbered 1, 2, ...; a month uses the version in force at its first local instant.  "
     "Numbers come back in the shortest form that reads as the same value (0.8).  Every key: "
     "docs/contract.md.",
     "[" DRY_RUN_PARAM "]", JSON_BODY("ContractNew"),
     "{'201': " JSON_RESPONSE("Stored, with every default filled in.", "ContractStored") ", "
     " '200': " JSON_RESPONSE("A dry run: what would be stored (version: the number it would "
                              "get); nothing was kept.", "ContractStored") ", "
     " '400': " SHARED("Invalid") "}"},

    {"GET", "/v1/tenants/{t}/contract", false, "listContracts", "Contract versions",
     "Every version, oldest first, with every default filled in.",
     NULL, NULL,
     "{'200': " JSON_RESPONSE("The versions.", "ContractList") "}"},

    {"GET", "/v1/tenants/{t}/metrics", false, "getMetrics", "Live metrics",
     "The metrics of a period as JSON (the names of docs/metrics.md; undefined is null; rates "
     "are fractions 0-1).  by=month and by=agent add the QA metrics with their dimension scores "
     "(qa.by_dimension); by=inspector gives inspector rows; by=reason gives a row per case type "
     "(the contacts’ reason; the empty key: none) with its queue metrics, FCR, CSAT and the QA of "
     "the evaluations of its contacts; a single whole month adds compliance.  A period across a contract change "
     "is refused (400).",
     "[{'name': 'from', 'in': 'query', 'required': true, 'schema': {'type': 'string'}, "
     "  'description': 'A local date YYYY-MM-DD or a month YYYY-MM (its first day).'}, "
     " {'name': 'to', 'in': 'query', 'schema': {'type': 'string'}, "
     "  'description': 'A local date or a month (its last day), inclusive; default: from.'}, "
     " {'name': 'by', 'in': 'query', 'schema': {'type': 'string', 'default': 'month', "
     "  'enum': ['month', 'day', 'interval', 'queue', 'agent', 'reason', 'inspector']}}]",
     NULL,
     "{'200': " JSON_RESPONSE("The metrics.", "Metrics") ", '400': " SHARED("Invalid") ", "
     " '413': " SHARED("TooLarge") ", '500': " SHARED("Internal") "}"},

    {"GET", "/v1/tenants/{t}/staffing", false, "getStaffingCost", "The cost of service level",
     "For each target service level of a month: the productive agent hours its traffic needed "
     "(the Erlang C agents of every interval with contacts times the interval length), the paid "
     "hours after the shrinkage_pct of the contract, their cost at agent_hour_cost, and the "
     "marginal hours and cost per point between consecutive targets; what one more point above "
     "the target of the contract costs; the service level reached and the agent hours that "
     "handled contacts.  See docs/metrics.md (The cost of service level).",
     "[{'name': 'period', 'in': 'query', 'required': true, "
     "  'schema': {'type': 'string', 'pattern': '^[0-9]{4}-[0-9]{2}$'}, "
     "  'description': 'The month, YYYY-MM.'}, "
     " {'name': 'targets', 'in': 'query', 'schema': {'type': 'string'}, "
     "  'description': 'Service levels in (0, 1), comma-separated (at most 32); default 0.70 "
     "to 0.95 by 0.05 plus the target of the contract and target + 0.01.'}, "
     " {'name': 'threshold_s', 'in': 'query', "
     "  'schema': {'type': 'integer', 'minimum': 0, 'maximum': 65535}, "
     "  'description': 'The service level threshold the hours are sized for; default the "
     "sl_threshold_s of the contract.'}]",
     NULL,
     "{'200': " JSON_RESPONSE("The curve.", "Staffing") ", '400': " SHARED("Invalid") ", "
     " '413': " SHARED("TooLarge") ", '500': " SHARED("Internal") "}"},

    {"POST", "/v1/tenants/{t}/reports", false, "createReport", "Queue a report",
     "Answers 202 at once; the job runner builds, signs and stores the workbook.  The same "
     "period and template again make the next version.",
     NULL, JSON_BODY("ReportRequest"),
     "{'202': " JSON_RESPONSE("Queued.", "ReportQueued") ", '400': " SHARED("Invalid") "}"},

    {"GET", "/v1/tenants/{t}/reports", false, "listReports", "List reports",
     "Every report this token may see (a client token: client reports only).",
     NULL, NULL,
     "{'200': " JSON_RESPONSE("The reports.", "ReportList") "}"},

    {"GET", "/v1/tenants/{t}/reports/{id}", false, "getReport", "Report metadata",
     "Status, progress, version, hashes and signer of one report.",
     NULL, NULL,
     "{'200': " JSON_RESPONSE("The report.", "Report") "}"},

    {"GET", "/v1/tenants/{t}/reports/{id}/workbook", false, "getWorkbook",
     "Download the workbook",
     "The .xlsx; ETag is its SHA-256 and If-None-Match gives 304.  Audited.",
     NULL, NULL,
     "{'200': {'description': 'The workbook.', 'content': {"
     "   'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {'schema': "
     "     {'type': 'string', 'contentMediaType': "
     "      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'}}}}, "
     " '304': {'description': 'Not modified (If-None-Match).'}, "
     " '409': " SHARED("NotReady") "}"},

    {"GET", "/v1/tenants/{t}/reports/{id}/signature", false, "getSignature",
     "Download the signature",
     "The detached CMS signature over the workbook bytes (DER).  Audited.",
     NULL, NULL,
     "{'200': {'description': 'The signature.', 'content': {'application/pkcs7-signature': "
     "   {'schema': {'type': 'string', 'contentMediaType': 'application/pkcs7-signature'}}}}, "
     " '409': " SHARED("NotReady") "}"},

    {"GET", "/v1/tenants/{t}/reports/{id}/bundle", false, "getBundle", "Download the audit bundle",
     "A zip with the workbook, its signature, the signer’s certificate, the CA and VERIFY.txt "
     "(the openssl command).  Audited.",
     NULL, NULL,
     "{'200': {'description': 'The bundle.', 'content': {'application/zip': "
     "   {'schema': {'type': 'string', 'contentMediaType': 'application/zip'}}}}, "
     " '409': " SHARED("NotReady") "}"},

    {"POST", "/v1/tenants/{t}/cdrs", false, "ingestContacts", "Load contacts",
     "One batch of contacts, streamed: CSV, a JSON array, NDJSON or an Asterisk queue_log (by "
     "Content-Type).  Formats: docs/formats/contacts.md and docs/formats/queue_log.md.",
     "[" MODE_PARAM ", " DRY_RUN_PARAM "]",
     "{'required': true, 'content': {"
     "  'text/csv': {'schema': {'type': 'string', "
     "    'description': 'A header row, then one contact per row (RFC 4180).'}}, "
     "  'application/json': {'schema': {'type': 'array', 'items': " REF("Contact") "}}, "
     "  'application/x-ndjson': {'schema': {'type': 'string', "
     "    'description': 'One contact object per line.'}}, "
     "  'text/x-asterisk-queue-log': {'schema': {'type': 'string', "
     "    'description': 'epoch|callid|queue|agent|EVENT|data1|... lines as Asterisk writes "
     "them.'}}}}",
     RECEIPT_RESPONSES("Receipt")},

    {"PUT", "/v1/tenants/{t}/qa/forms/{form}", false, "putScorecard", "Store a scorecard version",
     "A stored version never changes: the same version again with the same content answers "
     "200, with other content 409.  form_id must equal {form}.  Every fault is answered at "
     "once, each with its JSON path (details.errors, at most 50).  Every key: "
     "docs/scorecard.md.",
     "[" DRY_RUN_PARAM "]", JSON_BODY("Scorecard"),
     "{'201': " JSON_RESPONSE("Stored.", "ScorecardStored") ", "
     " '200': " JSON_RESPONSE("The same version with the same content was stored already; or "
                              "a dry run of a valid version, new or identical (created: false, "
                              "dry_run: true).", "ScorecardStored") ", "
     " '400': " SHARED("Invalid") ", '409': " SHARED("Conflict") "}"},

    {"GET", "/v1/tenants/{t}/qa/forms/{form}", false, "getScorecard", "Scorecard versions",
     "Every version of one scorecard ([] when none).",
     NULL, NULL,
     "{'200': " JSON_RESPONSE("The versions.", "ScorecardVersions") "}"},

    {"PUT", "/v1/tenants/{t}/qa/inspectors", false, "putInspectors", "Set a month’s inspectors",
     "Replaces the inspector list of a month (default: the current UTC month); the list in "
     "force in month M is the latest with a month <= M.  Documented in "
     "docs/formats/inspectors.md.",
     "[" DRY_RUN_PARAM "]", JSON_BODY("InspectorList"),
     "{'200': " JSON_RESPONSE("Stored (a dry run: valid, nothing kept).", "InspectorsStored") ", "
     " '400': " SHARED("Invalid") "}"},

    {"POST", "/v1/tenants/{t}/qa/evaluations", false, "ingestEvaluations", "Load evaluations",
     "One batch of QA evaluations, scored by the server with the scorecard version each names.  "
     "Format: docs/formats/evaluations.md.",
     "[" MODE_PARAM ", " DRY_RUN_PARAM "]", UPLOAD_BODY("Evaluation"),
     RECEIPT_RESPONSES("QaReceipt")},

    {"POST", "/v1/tenants/{t}/qa/calibrations", false, "ingestCalibrations",
     "Load calibration sessions",
     "One batch of calibration sessions; a session is stored and replaced whole.  Format: "
     "docs/formats/calibrations.md.",
     "[" MODE_PARAM ", " DRY_RUN_PARAM "]", UPLOAD_BODY("CalibrationSession"),
     RECEIPT_RESPONSES("QaReceipt")},

    {"POST", "/v1/tenants/{t}/qa/appeals", false, "ingestAppeals", "Load appeal outcomes",
     "One batch of appeal decisions (one per evaluation; a re-sent decision replaces it).  "
     "Format: docs/formats/appeals.md.",
     "[" MODE_PARAM ", " DRY_RUN_PARAM "]", UPLOAD_BODY("Appeal"),
     RECEIPT_RESPONSES("QaReceipt")},

    {"GET", "/v1/tenants/{t}/schedules", false, "listSchedules", "List schedules",
     "The tenant’s scheduled monthly reports (docs/schedules.md); the webhook secret is never "
     "shown, only whether one is set.",
     NULL, NULL,
     "{'200': {'description': 'The schedules.', 'content': {'application/json': {'schema': "
     "   {'type': 'array', 'items': " SCHEDULE "}}}}}"},

    {"PUT", "/v1/tenants/{t}/schedules/{name}", false, "putSchedule", "Create or replace a schedule",
     "When the reports of a month are generated (day N, or the N-th business day, of the next "
     "month at HH:MM in the tenant’s zone), to whom and by which channels they are delivered.  "
     "Each refusal names its field.",
     NULL,
     "{'required': true, 'content': {'application/json': {'schema': " SCHEDULE_BODY "}}}",
     "{'200': {'description': 'Replaced.', 'content': {'application/json': {'schema': " SCHEDULE "}}}, "
     " '201': {'description': 'Created.', 'content': {'application/json': {'schema': " SCHEDULE "}}}, "
     " '400': " SHARED("Invalid") "}"},

    {"GET", "/v1/tenants/{t}/schedules/{name}", false, "getSchedule", "A schedule",
     "One schedule (the secret is never shown).",
     NULL, NULL,
     "{'200': {'description': 'The schedule.', 'content': {'application/json': {'schema': " SCHEDULE "}}}}"},

    {"DELETE", "/v1/tenants/{t}/schedules/{name}", false, "deleteSchedule", "Delete a schedule",
     "Stops the schedule; its history of runs and deliveries is kept.",
     NULL, NULL,
     "{'200': {'description': 'Deleted.', 'content': {'application/json': {'schema': {'type': 'object'}}}}}"},

    {"GET", "/v1/tenants/{t}/schedules/{name}/runs", false, "listScheduleRuns", "A schedule’s runs",
     "Every run (tenant, schedule, period: created once whatever the number of instances), when "
     "it fell due, when it ran, whether it was late and why, and its reports.",
     NULL, NULL,
     "{'200': {'description': 'The runs.', 'content': {'application/json': {'schema': "
     "   {'type': 'array', 'items': {'type': 'object'}}}}}}"},

    {"GET", "/v1/tenants/{t}/schedules/{name}/deliveries", false, "listScheduleDeliveries",
     "A schedule’s deliveries",
     "Every delivery of the schedule’s reports with its attempts: when, to whom, by which "
     "channel, the result and the error text.",
     NULL, NULL,
     "{'200': {'description': 'The deliveries.', 'content': {'application/json': {'schema': "
     "   {'type': 'array', 'items': {'type': 'object'}}}}}}"},

    {"GET", "/v1/tenants/{t}/deliveries", false, "listDeliveries", "All deliveries",
     "Every delivery of the tenant’s scheduled reports, with its attempts.",
     NULL, NULL,
     "{'200': {'description': 'The deliveries.', 'content': {'application/json': {'schema': "
     "   {'type': 'array', 'items': {'type': 'object'}}}}}}"},

    {"POST", "/v1/tenants/{t}/deliveries/{id}/retry", false, "retryDelivery", "Retry a delivery",
     "Sends a dead-lettered (or failed) delivery again at the next scheduler pass.",
     NULL, NULL,
     "{'200': {'description': 'Queued again.', 'content': {'application/json': {'schema': {'type': 'object'}}}}}"},

    {"POST", "/v1/unsubscribe", false, "unsubscribe", "Stop a schedule’s e-mails (one click)",
     "The List-Unsubscribe-Post target of every scheduled e-mail (RFC 8058): the token of the "
     "link names the tenant, schedule and recipient, signed by the server, so no login is "
     "needed.  Always 200 (a mail client cannot act on an error); opted_out says whether the "
     "token was valid.  The page GET /unsubscribe asks a person to confirm instead.",
     "[{'name': 'token', 'in': 'query', 'required': true, 'schema': {'type': 'string'}}]", NULL,
     "{'200': {'description': 'What happened.', 'content': {'application/json': {'schema': "
     "{'type': 'object'}}}}}"},

    {"POST", "/v1/tenants/{t}/periods/{period}/close", false, "closePeriod", "Close a period",
     "Says the month’s data are complete (YYYY-MM): its scheduled runs need not wait for the "
     "grace after the last batch.",
     NULL, NULL,
     "{'200': {'description': 'Closed.', 'content': {'application/json': {'schema': {'type': 'object'}}}}, "
     " '400': " SHARED("Invalid") "}"},
};

#define NOPS (sizeof ops / sizeof ops[0])

/* Shared answers, referenced by the operations. */
static const char responses_json[] =
    "{"
    "'Invalid': " JSON_RESPONSE("The request is not valid.  The message names the parameter, "
                                "member or JSON path first; details name the field and the "
                                "valid values, or (a contract or scorecard) list every fault.",
                                "Error") ", "
    "'Unauthorized': " JSON_RESPONSE("No token, or a token that is unknown or revoked.",
                                     "Error") ", "
    "'Forbidden': " JSON_RESPONSE("This token’s role may not use this route; details.roles "
                                  "names the roles that may.", "Error") ", "
    "'AdminForbidden': " JSON_RESPONSE("An admin token: admin sees every tenant but does not "
                                       "use its data; the message and details.roles name the "
                                       "roles that may (saying so reveals nothing).  Other "
                                       "roles get 404 here.", "Error") ", "
    "'NotFound': " JSON_RESPONSE("No such resource; on a tenant route also a tenant this token "
                                 "may not see, or a route its role may not use (a role other "
                                 "than admin: 404, never 403, which would reveal that the "
                                 "tenant exists).", "Error") ", "
    "'Conflict': " JSON_RESPONSE("It exists already with other content.", "Error") ", "
    "'NotReady': " JSON_RESPONSE("The report is not done yet.", "Error") ", "
    "'TooLarge': " JSON_RESPONSE("The body (or the period) is over the limit.", "Error") ", "
    "'UnsupportedMediaType': " JSON_RESPONSE("Another Content-Type is needed.", "Error") ", "
    "'Internal': " JSON_RESPONSE("An internal error; the log has details under the "
                                 "X-Request-Id.", "Error") ", "
    "'Unavailable': " JSON_RESPONSE("The database is unavailable; try again.", "Error")
    "}";

/* Shorthands of the schemas. */
#define NUM  "{'type': ['number', 'null']}" /* a metric: null when undefined */
#define INT  "{'type': 'integer'}"
#define STR  "{'type': 'string'}"
#define NSTR "{'type': ['string', 'null']}"
#define BOOL "{'type': 'boolean'}"
#define ID   "{'type': 'string', 'minLength': 1, 'maxLength': 64}"
#define DIMENSION                                                                                  \
    "{'type': 'string', 'pattern': '^[A-Za-z0-9_-]{1,32}$', 'description': 'empathy, "            \
    "accuracy, responsiveness, reliability or a name of yours; items inherit the dimension of "   \
    "their section.'}"
#define INSTANT \
    "{'type': 'string', 'format': 'date-time', " \
    " 'description': 'RFC 3339 with an offset, years 1970-2199.'}"
#define OPT_INSTANT \
    "{'type': ['string', 'null'], " \
    " 'description': 'RFC 3339 with an offset; empty or null: not answered.'}"
#define DIGITS \
    "{'type': ['integer', 'string'], " \
    " 'description': 'Whole seconds: a JSON integer or a string of 1-9 ASCII digits.'}"
#define FLAG01 "{'type': ['integer', 'string', 'boolean'], 'enum': [0, 1, '0', '1', true, false]}"
#define RESULT \
    "{'type': ['string', 'number'], " \
    " 'description': 'pass, fail, na (any case) or points 0..max with at most 2 decimals.'}"
#define XMEMBERS "'patternProperties': {'^x_': {}}, 'additionalProperties': false"
/* The members every batch receipt has (Receipt, QaReceipt). */
#define RECEIPT_COMMON \
    "'dry_run': " BOOL ", 'committed': " BOOL ", " \
    "'would_commit': {'type': 'boolean', 'description': 'Dry runs only: whether a real run " \
    "would commit (200) or be refused (422).'}, " \
    "'rows': " INT ", 'inserted': " INT ", 'updated': " INT ", 'unchanged': " INT ", " \
    "'rejected': " INT ", " \
    "'errors': {'type': 'array', 'maxItems': 1000, 'items': " REF("BatchError") "}, " \
    "'errors_truncated': " BOOL ", 'sha256': " STR ", 'bytes': " INT ", " \
    "'periods': " REF("Periods") ", " \
    "'warnings': {'type': 'array', 'maxItems': 100, 'items': " REF("BatchWarning") "}"

static const char schemas_json[] =
    "{"
    "'Error': {'type': 'object', 'required': ['error'], 'properties': {"
    "  'error': {'type': 'object', 'required': ['code', 'message'], 'properties': {"
    "    'code': {'type': 'string', 'description': 'Stable: program against it (docs/errors.md)."
    "'}, "
    "    'message': {'type': 'string', 'description': 'For people: the parameter, member or "
    "JSON path at fault first; the valid names when a name is unknown.'}, "
    "    'details': " REF("ErrorDetails") "}}}}, "
    "'ErrorDetails': {'type': 'object', 'description': 'Present when there is more to say; "
    "members as they apply.', 'properties': {"
    "  'field': {'type': 'string', 'description': 'The query parameter or body member at fault."
    "'}, "
    "  'valid': {'type': 'array', 'items': " STR ", "
    "    'description': 'Every accepted value or member name.'}, "
    "  'errors': {'type': 'array', 'maxItems': 50, 'items': " REF("Fault") ", "
    "    'description': 'A contract or scorecard: every fault in document order, at most 50 (the "
    "first is also the message).'}, "
    "  'count': {'type': 'integer', 'description': 'How many faults there are, listed or not.'}, "
    "  'truncated': {'const': true, 'description': 'Present when count is more than the 50 "
    "listed.'}, "
    "  'roles': {'type': 'array', 'items': {'enum': ['admin', 'manager', 'ingest', 'client', "
    "    'auditor']}, 'description': 'A 403: the roles that may call the route.'}}}, "
    "'Fault': {'type': 'object', 'required': ['path', 'message'], 'properties': {"
    "  'path': {'type': 'string', 'description': 'JSON path: items[2].metric; empty: the "
    "document as a whole.'}, "
    "  'message': " STR ", "
    "  'valid': {'type': 'array', 'items': " STR ", "
    "    'description': 'The accepted names, when the fault is an unknown name.'}}}, "

    "'TenantCreate': {'type': 'object', 'required': ['slug', 'name', 'timezone'], "
    "  'additionalProperties': false, 'properties': {"
    "  'slug': {'type': 'string', 'pattern': '^[a-z0-9][a-z0-9-]{0,63}$'}, "
    "  'name': " STR ", "
    "  'timezone': {'type': 'string', 'description': 'An IANA time zone, e.g. Asia/Shanghai.'}}}, "
    "'Tenant': {'type': 'object', 'properties': {"
    "  'slug': " STR ", 'name': " STR ", 'timezone': " STR ", 'created_at': " STR ", "
    "  'clients_see_live': {'type': 'boolean'}}}, "
    "'TenantSettings': {'type': 'object', 'additionalProperties': false, 'properties': {"
    "  'clients_see_live': {'type': 'boolean', 'description': 'Client contacts see "
    "month-to-date figures on the overview.'}}}, "
    "'TenantList': {'type': 'object', 'properties': {"
    "  'tenants': {'type': 'array', 'items': " REF("Tenant") "}}}, "

    "'TokenCreate': {'type': 'object', 'required': ['role'], 'additionalProperties': false, "
    "  'properties': {"
    "  'role': {'enum': ['admin', 'manager', 'ingest', 'client', 'auditor']}, "
    "  'tenants': {'type': 'array', 'items': " STR "}, "
    "  'label': " STR "}}, "
    "'TokenIssued': {'type': 'object', 'properties': {"
    "  'id': " INT ", "
    "  'token': {'type': 'string', 'description': 'slt_ and 43 characters; shown only here.'}, "
    "  'role': " STR ", 'tenants': {'type': 'array', 'items': " STR "}}}, "
    "'TokenRevoked': {'type': 'object', 'properties': {"
    "  'id': " INT ", 'revoked': {'const': true}}}, "

    "'Certificates': {'type': 'object', 'properties': {"
    "  'certificates': {'type': 'array', 'items': {'type': 'object', 'properties': {"
    "    'status': {'enum': ['current', 'retired']}, 'fingerprint': " STR ", "
    "    'subject': " STR ", 'not_before': " STR ", 'not_after': " STR ", 'pem': " STR "}}}}}, "
    "'AuditPage': {'type': 'object', 'properties': {"
    "  'entries': {'type': 'array', 'items': {'type': 'object', 'properties': {"
    "    'id': " INT ", 'at': " STR ", 'actor': " STR ", 'tenant': " STR ", "
    "    'action': " STR ", 'object': " STR ", 'detail': {'type': ['object', 'string']}, "
    "    'prev_hash': " STR ", 'hash': " STR "}}}, "
    "  'next_after': " INT "}}, "
    "'VerifyResult': {'type': 'object', 'required': ['valid', 'verdict'], 'properties': {"
    "  'valid': " BOOL ", "
    "  'verdict': {'enum': ['valid', 'malformed', 'content_changed', 'bad_signature', "
    "                       'untrusted', 'cert_expired']}, "
    "  'signature_format': {'enum': ['der', 'pem', 'unknown']}, "
    "  'sha256': " STR ", 'reason': " STR ", 'signer': " STR ", "
    "  'signer_fingerprint': " STR ", 'signed_at': " STR ", "
    "  'report_id': {'type': ['integer', 'null']}, 'tenant': " STR ", 'period': " STR ", "
    "  'template': " STR ", 'version': " INT "}}, "

    "'ContractItem': {'type': 'object', "
    "  'required': ['metric', 'comparator', 'target', 'credit_pct'], "
    "  'additionalProperties': false, 'properties': {"
    "  'metric': {'enum': ['service_level', 'abandon_rate', 'answer_rate', 'asa_s', "
    "    'avg_abandon_s', 'max_wait_s', 'wait_p90_s', 'aht_s', 'transfer_rate', "
    "    'interval_compliance', 'fcr', 'csat', 'csat_mean', 'qa_score', 'qa_pass_rate', "
    "    'fatal_rate', 'qa_coverage']}, "
    "  'comparator': {'enum': ['>=', '<=']}, "
    "  'target': {'type': 'number'}, "
    "  'credit_pct': {'type': 'number', 'minimum': 0, 'maximum': 100}}}, "
    "'Contract': {'type': 'object', 'description': 'Every key: docs/contract.md.', "
    "  'required': ['effective_from', 'timezone', 'monthly_fee', 'currency', 'credit_cap_pct', "
    "               'items'], "
    "  'additionalProperties': false, 'properties': {"
    "  'effective_from': {'type': 'string', 'format': 'date'}, "
    "  'timezone': " STR ", "
    "  'interval_min': {'enum': [15, 30, 60], 'default': 30}, "
    "  'sl_threshold_s': {'type': 'integer', 'minimum': 0, 'maximum': 65535, 'default': 20}, "
    "  'sl_formula': {'enum': ['offered', 'answered', 'abandon_neutral', 'abandon_positive'], "
    "                 'default': 'offered'}, "
    "  'short_abandon_s': {'type': 'integer', 'minimum': 0, 'maximum': 65535, 'default': 5}, "
    "  'fcr_method': {'enum': ['repeat', 'disposition'], 'default': 'repeat'}, "
    "  'fcr_window_h': {'type': 'integer', 'minimum': 1, 'maximum': 8760, 'default': 72}, "
    "  'csat_good_min': {'type': 'integer', 'minimum': 1, 'maximum': 5, 'default': 4}, "
    "  'qa_pass_mark': {'type': 'number', 'minimum': 0, 'maximum': 100, 'default': 85}, "
    "  'qa_precision_pts': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 100, "
    "                       'default': 5}, "
    "  'qa_lag_target_h': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 8760, "
    "                      'default': 72}, "
    "  'calibration_tolerance_pts': {'type': 'number', 'minimum': 0, 'maximum': 100, "
    "                                'default': 5}, "
    "  'business_hours': {'type': 'object', 'additionalProperties': false, 'patternProperties': {"
    "    '^(mon|tue|wed|thu|fri|sat|sun)$': {'type': 'array', 'minItems': 2, 'maxItems': 2, "
    "      'items': {'type': 'string', 'pattern': '^[0-2][0-9]:[0-5][0-9]$'}}}}, "
    "  'monthly_fee': {'type': 'number', 'minimum': 0, 'maximum': 1000000000000}, "
    "  'currency': {'type': 'string', 'pattern': '^[A-Z]{3}$'}, "
    "  'credit_cap_pct': {'type': 'number', 'minimum': 0, 'maximum': 100}, "
    "  'earn_back_months': {'type': 'integer', 'minimum': 0, 'maximum': 12, 'default': 0}, "
    "  'inspector_weights': {'type': 'object', 'additionalProperties': false, 'properties': {"
    "    'quota': {'type': 'number', 'minimum': 0}, "
    "    'timeliness': {'type': 'number', 'minimum': 0}, "
    "    'calibration': {'type': 'number', 'minimum': 0}, "
    "    'accuracy': {'type': 'number', 'minimum': 0}}}, "
    "  'items': {'type': 'array', 'maxItems': 17, 'items': " REF("ContractItem") ", "
    "    'description': 'At least one in a new version (ContractNew); a version stored before "
    "that rule may have none.'}, "
    "  'language': {'enum': ['en', 'zh'], 'default': 'en'}, "
    "  'agent_hour_cost': {'type': 'number', 'minimum': 0, 'maximum': 1000000000000}, "
    "  'shrinkage_pct': {'type': 'number', 'minimum': 0, 'exclusiveMaximum': 100, "
    "                    'default': 0}}}, "
    "'ContractNew': {'description': 'A contract to store as a new version: at least one "
    "item.', 'allOf': [" REF("Contract") ", {'properties': {'items': {'minItems': 1}}}]}, "
    "'ContractStored': {'type': 'object', 'properties': {"
    "  'version': " INT ", 'contract': " REF("Contract") ", 'rollups_rebuilt': " BOOL ", "
    "  'dry_run': {'const': true, 'description': 'Present on a dry run only.'}}}, "
    "'ContractList': {'type': 'object', 'properties': {"
    "  'tenant': " STR ", "
    "  'versions': {'type': 'array', 'items': {'type': 'object', 'properties': {"
    "    'version': " INT ", 'effective_from': " STR ", 'created_at': " STR ", "
    "    'actor': " STR ", 'contract': " REF("Contract") "}}}}}, "

    "'MetricsRow': {'type': 'object', "
    "  'description': 'One group (or the total): counts, and metrics that are null when "
    "undefined.  Interval rows add label, business and required_agents; agent and reason rows "
    "(by=agent, by=reason) add the fields of QaRow (by_dimension included).', "
    "  'properties': {"
    "  'key': " STR ", 'label': " STR ", 'business': " BOOL ", 'required_agents': " NUM ", "
    "  'offered': " INT ", 'answered': " INT ", 'abandoned': " INT ", "
    "  'short_abandoned': " INT ", 'overflow': " INT ", 'answered_within': " INT ", "
    "  'abandoned_within': " INT ", "
    "  'service_level': " NUM ", 'asa_s': " NUM ", 'avg_abandon_s': " NUM ", "
    "  'max_wait_s': " NUM ", 'wait_p90_s': " NUM ", 'abandon_rate': " NUM ", "
    "  'answer_rate': " NUM ", 'aht_s': " NUM ", 'transfer_rate': " NUM ", 'fcr': " NUM ", "
    "  'csat': " NUM ", 'csat_mean': " NUM ", 'interval_compliance': " NUM ", "
    "  'fcr_provisional': " BOOL "}}, "
    "'QaRow': {'type': 'object', 'properties': {"
    "  'evaluations': " INT ", 'evaluated_contacts': " INT ", 'qa_score': " NUM ", "
    "  'qa_pass_rate': " NUM ", 'fatal_rate': " NUM ", 'qa_coverage': " NUM ", "
    "  'qa_sd': " NUM ", 'qa_ci_low': " NUM ", 'qa_ci_high': " NUM ", "
    "  'qa_ci_half_width': " NUM ", 'sample_too_small': " BOOL ", "
    "  'evaluations_needed': {'type': ['integer', 'null']}, "
    "  'by_dimension': " REF("QaDimensions") ", "
    "  'qa_csat': {'type': 'object', 'properties': {"
    "    'pearson_r': " NUM ", 'pearson_n': " INT ", 'spearman_rho': " NUM ", "
    "    'spearman_n': " INT ", 'too_few_pairs': " BOOL "}}}}, "
    "'QaDimensions': {'type': 'object', 'description': 'Score (mean over the evaluations "
    "with an applicable item of the dimension, 0-100) and n per scorecard dimension "
    "(docs/scorecard.md); {} when no scorecard has dimensions.', "
    "  'additionalProperties': {'type': 'object', 'properties': {"
    "    'score': " NUM ", 'n': " INT "}}}, "
    "'InspectorRow': {'type': 'object', 'properties': {"
    "  'key': " STR ", 'name': " NSTR ", 'listed': " BOOL ", 'evaluations': " INT ", "
    "  'monthly_quota': " NUM ", 'quota_attainment': " NUM ", 'lag_n': " INT ", "
    "  'lag_median_h': " NUM ", 'lag_p90_h': " NUM ", 'on_time_rate': " NUM ", "
    "  'calibration_n': " INT ", 'calibration_mad': " NUM ", 'calibration_within': " NUM ", "
    "  'items_compared': " INT ", 'item_agreement': " NUM ", 'appealed': " INT ", "
    "  'overturned': " INT ", 'appeal_rate': " NUM ", 'overturn_rate': " NUM ", "
    "  'mean_score': " NUM ", 'severity_bias': " NUM ", 'defect_rate': " NUM ", "
    "  'c_quota': " NUM ", 'c_timeliness': " NUM ", 'c_calibration': " NUM ", "
    "  'c_accuracy': " NUM ", 'composite': " NUM ", "
    "  'by_dimension': " REF("QaDimensions") "}}, "
    "'Compliance': {'type': 'object', 'properties': {"
    "  'currency': " STR ", 'monthly_fee': {'type': 'number'}, "
    "  'items': {'type': 'array', 'items': {'type': 'object', 'properties': {"
    "    'metric': " STR ", 'comparator': " STR ", 'target': {'type': 'number'}, "
    "    'value': " NUM ", 'status': {'enum': ['met', 'missed', 'not measurable']}, "
    "    'credit_pct': {'type': 'number'}, 'credit': {'type': 'number'}, "
    "    'applied': {'type': 'number'}, 'at_risk_of_earn_back': " BOOL "}}}, "
    "  'uncapped': {'type': 'number'}, 'cap': {'type': 'number'}, "
    "  'credited': {'type': 'number'}, 'cap_applied': " BOOL ", "
    "  'at_risk': {'type': 'number'}}}, "
    "'Metrics': {'type': 'object', 'properties': {"
    "  'tenant': " STR ", 'from': " STR ", 'to': " STR ", 'by': " STR ", "
    "  'contract_version': " INT ", 'timezone': " STR ", "
    "  'source': {'enum': ['rollups', 'rollups+contacts', 'contacts']}, "
    "  'rows': {'type': 'array', 'items': {'anyOf': [" REF("MetricsRow") ", "
                                                     REF("InspectorRow") "]}}, "
    "  'total': " REF("MetricsRow") ", 'qa': " REF("QaRow") ", "
    "  'compliance': " REF("Compliance") "}}, "

    "'StaffingRow': {'type': 'object', 'properties': {"
    "  'target': " NUM ", 'agent_hours': " NUM ", 'paid_hours': " NUM ", 'cost': " NUM ", "
    "  'marginal_agent_hours_per_point': " NUM ", 'marginal_paid_hours_per_point': " NUM ", "
    "  'marginal_cost_per_point': " NUM ", 'contract_target': " BOOL "}}, "
    "'Staffing': {'type': 'object', 'properties': {"
    "  'tenant': " STR ", 'period': " STR ", 'contract_version': " INT ", "
    "  'timezone': " STR ", 'currency': " NSTR ", 'agent_hour_cost': " NUM ", "
    "  'shrinkage_pct': {'type': 'number'}, 'threshold_s': " INT ", "
    "  'contract_target': " NUM ", 'intervals_with_contacts': " INT ", "
    "  'rows': {'type': 'array', 'items': " REF("StaffingRow") "}, "
    "  'next_point': {'type': ['object', 'null'], 'properties': {"
    "    'from': " NUM ", 'to': " NUM ", 'agent_hours': " NUM ", 'paid_hours': " NUM ", "
    "    'cost': " NUM "}}, "
    "  'achieved': {'type': 'object', 'properties': {"
    "    'service_level': " NUM ", 'sl_threshold_s': " INT ", "
    "    'agent_hours_handled': " NUM ", 'agent_hours_required': " NUM ", "
    "    'paid_hours_required': " NUM ", 'cost_required': " NUM "}}}}, "

    "'ReportRequest': {'type': 'object', 'required': ['period', 'template'], "
    "  'additionalProperties': false, 'properties': {"
    "  'period': {'type': 'string', 'pattern': '^[0-9]{4}-[0-9]{2}$'}, "
    "  'template': {'enum': ['client-monthly', 'internal-monthly', 'portfolio-monthly']}, "
    "  'generated_at': " INSTANT "}}, "
    "'ReportQueued': {'type': 'object', 'properties': {"
    "  'id': " INT ", 'status': {'const': 'queued'}, 'status_url': " STR "}}, "
    "'Report': {'type': 'object', 'properties': {"
    "  'id': " INT ", 'period': " STR ", 'template': " STR ", "
    "  'audience': {'enum': ['client', 'internal', 'portfolio']}, 'version': " INT ", "
    "  'supersedes': {'type': ['integer', 'null']}, 'current': " BOOL ", "
    "  'status': {'enum': ['queued', 'running', 'done', 'failed']}, "
    "  'progress': {'type': 'integer', 'minimum': 0, 'maximum': 100}, 'error': " NSTR ", "
    "  'generated_at': " STR ", 'requested_by': " STR ", 'created_at': " NSTR ", "
    "  'finished_at': " NSTR ", 'sha256': " NSTR ", 'bytes': {'type': ['integer', 'null']}, "
    "  'data_digest': " NSTR ", 'signer_fingerprint': " NSTR ", 'signer': " NSTR ", "
    "  'tenants': {'type': 'array', 'items': " STR "}}}, "
    "'ReportList': {'type': 'object', 'properties': {"
    "  'tenant': " STR ", 'reports': {'type': 'array', 'items': " REF("Report") "}}}, "

    "'Contact': {'type': 'object', "
    "  'description': 'One contact; every member: docs/formats/contacts.md.  null and an "
    "empty string mean not given.', "
    "  'required': ['call_id', 'queue', 'offered_at', 'ended_at'], " XMEMBERS ", "
    "  'properties': {"
    "  'call_id': " ID ", 'queue': " ID ", 'offered_at': " INSTANT ", "
    "  'answered_at': " OPT_INSTANT ", 'ended_at': " INSTANT ", "
    "  'outcome': {'enum': ['answered', 'abandoned', 'overflow', '', null]}, "
    "  'agent_id': {'type': ['string', 'null'], 'maxLength': 64}, "
    "  'talk_s': " DIGITS ", 'hold_s': " DIGITS ", 'acw_s': " DIGITS ", "
    "  'channel': {'enum': ['voice', 'chat', 'email', 'callback', '', null]}, "
    "  'customer_id': {'type': ['string', 'null'], 'maxLength': 64}, "
    "  'transferred': " FLAG01 ", 'resolved': " FLAG01 ", "
    "  'csat': {'type': ['integer', 'string', 'null'], 'description': '1-5.'}, "
    "  'reason': {'type': ['string', 'null'], 'maxLength': 64, 'description': 'The case type "
    "(optional): no control, invisible or direction-changing character.'}}}, "
    "'Evaluation': {'type': 'object', 'description': 'docs/formats/evaluations.md.', "
    "  'required': ['evaluation_id', 'call_id', 'agent_id', 'inspector_id', 'form_id', "
    "               'form_version', 'evaluated_at', 'items'], " XMEMBERS ", "
    "  'properties': {"
    "  'evaluation_id': " ID ", 'call_id': " ID ", 'agent_id': " ID ", "
    "  'inspector_id': " ID ", 'form_id': " ID ", "
    "  'form_version': {'type': ['integer', 'string']}, 'evaluated_at': " INSTANT ", "
    "  'items': {'type': 'object', 'additionalProperties': " RESULT "}, "
    "  'score': {'type': ['number', 'string'], 'description': 'Optional: refused when it "
    "differs from the server’s score by more than 0.005.'}}}, "
    "'CalibrationSession': {'type': 'object', 'description': 'docs/formats/calibrations.md.', "
    "  'required': ['session_id', 'call_id', 'form_id', 'form_version', 'participants'], "
    XMEMBERS ", 'properties': {"
    "  'session_id': " ID ", 'call_id': " ID ", 'form_id': " ID ", "
    "  'form_version': {'type': ['integer', 'string']}, "
    "  'participants': {'type': 'array', 'minItems': 1, 'maxItems': 100, "
    "    'items': {'type': 'object', 'required': ['inspector_id', 'evaluated_at', 'items'], "
    XMEMBERS ", 'properties': {"
    "      'inspector_id': " ID ", 'is_reference': " FLAG01 ", "
    "      'evaluated_at': " INSTANT ", "
    "      'items': {'type': 'object', 'minProperties': 1, "
    "                'additionalProperties': " RESULT "}}}}}}, "
    "'Appeal': {'type': 'object', 'description': 'docs/formats/appeals.md.', "
    "  'required': ['evaluation_id', 'appealed_at', 'decided_at', 'outcome'], " XMEMBERS ", "
    "  'properties': {"
    "  'evaluation_id': " ID ", 'appealed_at': " INSTANT ", 'decided_at': " INSTANT ", "
    "  'outcome': {'type': 'string', 'description': 'upheld or overturned (any case).'}, "
    "  'new_score': {'type': ['number', 'string', 'null'], "
    "    'description': '0..100; required when overturned, empty when upheld.'}}}, "

    "'BatchError': {'type': 'object', 'required': ['line', 'field', 'message'], "
    "  'properties': {"
    "  'line': {'type': 'integer', "
    "    'description': '1-based line where the record starts; 0: the body as a whole.'}, "
    "  'field': {'type': 'string', 'description': 'The column, key or member; empty: the "
    "record as a whole.'}, "
    "  'message': " STR ", "
    "  'valid': {'type': 'array', 'items': " STR ", 'description': 'When the name or value is "
    "not one of a fixed set (an unknown or missing column, key or member, an enum value): the "
    "set.'}}}, "
    "'BatchWarning': {'type': 'object', 'required': ['code', 'message'], 'properties': {"
    "  'code': {'enum': ['inspector_not_listed'], 'description': 'inspector_not_listed: an "
    "evaluation or calibration by an inspector not on the list in force for its month; the "
    "records are kept.'}, "
    "  'inspector_id': " STR ", 'month': {'type': 'string', 'pattern': '^[0-9]{4}-[0-9]{2}$'}, "
    "  'records': {'type': 'integer', 'description': 'How many records of the batch.'}, "
    "  'line': {'type': 'integer', 'description': 'The line of the first.'}, "
    "  'message': " STR "}}, "
    "'Periods': {'type': 'object', 'description': 'How many good records fall in each local "
    "month (YYYY-MM) of the tenant’s time zone.', "
    "  'propertyNames': {'pattern': '^[0-9]{4}-[0-9]{2}$'}, 'additionalProperties': " INT "}, "
    "'Receipt': {'type': 'object', 'properties': {"
    "  'batch_id': {'type': ['integer', 'null'], 'description': 'null for a dry run.'}, "
    "  'kind': {'const': 'cdrs'}, "
    "  'format': {'enum': ['csv', 'json', 'ndjson', 'queue_log']}, "
    "  'mode': {'enum': ['strict', 'lenient']}, " RECEIPT_COMMON ", "
    "  'updated_call_ids': {'type': 'array', 'maxItems': 100, 'items': " STR "}, "
    "  'queue_log': {'type': 'object', 'properties': {"
    "    'lines': " INT ", 'contacts': " INT ", 'skipped': " INT ", 'unmatched': " INT ", "
    "    'duplicates': " INT ", 'orphaned': " INT ", 'open': " INT ", "
    "    'damaged': {'type': 'integer', 'description': 'Lines with NUL bytes (a crash).'}, "
    "    'damaged_lines': {'type': 'array', 'maxItems': 100, 'items': " INT ", "
    "      'description': 'Their line numbers (the first 100).'}}}}}, "
    "'QaReceipt': {'type': 'object', 'properties': {"
    "  'batch_id': {'type': ['integer', 'null'], 'description': 'null for a dry run.'}, "
    "  'kind': {'enum': ['evaluations', 'calibrations', 'appeals']}, "
    "  'format': {'enum': ['csv', 'json', 'ndjson']}, "
    "  'mode': {'enum': ['strict', 'lenient']}, " RECEIPT_COMMON ", "
    "  'updated_ids': {'type': 'array', 'maxItems': 100, 'items': " STR "}, "
    "  'unknown_contacts': {'type': 'integer', 'description': 'Evaluations only: records "
    "naming a contact the tenant does not have (yet).'}}}, "

    "'Scorecard': {'type': 'object', 'description': 'docs/scorecard.md.', "
    "  'required': ['form_id', 'version', 'pass_mark', 'sections'], "
    "  'additionalProperties': false, 'properties': {"
    "  'form_id': " ID ", "
    "  'version': {'type': 'integer', 'minimum': 1, 'maximum': 2147483647}, "
    "  'pass_mark': {'type': 'number', 'minimum': 0, 'maximum': 100}, "
    "  'critical_zeroes': {'type': 'boolean', 'default': true}, "
    "  'sections': {'type': 'array', 'minItems': 1, 'maxItems': 100, 'items': {"
    "    'type': 'object', 'required': ['id', 'name', 'items'], "
    "    'additionalProperties': false, 'properties': {"
    "    'id': " ID ", 'name': {'type': 'string', 'minLength': 1, 'maxLength': 256}, "
    "    'weight': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 1000000}, "
    "    'dimension': " DIMENSION ", "
    "    'items': {'type': 'array', 'minItems': 1, 'items': {"
    "      'type': 'object', 'required': ['id', 'name', 'max'], "
    "      'additionalProperties': false, 'properties': {"
    "      'id': " ID ", 'name': {'type': 'string', 'minLength': 1, 'maxLength': 256}, "
    "      'max': {'type': 'integer', 'minimum': 1, 'maximum': 1000}, "
    "      'critical': {'type': 'boolean', 'default': false}, "
    "      'dimension': " DIMENSION "}}}}}}}}, "
    "'ScorecardStored': {'type': 'object', 'properties': {"
    "  'form_id': " STR ", 'version': " INT ", 'created': " BOOL ", "
    "  'dry_run': {'const': true, 'description': 'Present on a dry run only.'}}}, "
    "'ScorecardVersions': {'type': 'object', 'properties': {"
    "  'form_id': " STR ", "
    "  'versions': {'type': 'array', 'items': {'type': 'object', 'properties': {"
    "    'version': " INT ", 'created_at': " STR ", 'actor': " STR ", "
    "    'form': " REF("Scorecard") "}}}}}, "
    "'InspectorList': {'type': 'object', 'description': 'docs/formats/inspectors.md.', "
    "  'required': ['inspectors'], 'additionalProperties': false, 'properties': {"
    "  'month': {'type': 'string', 'pattern': '^[0-9]{4}-[0-9]{2}$'}, "
    "  'inspectors': {'type': 'array', 'items': {"
    "    'type': 'object', 'required': ['inspector_id', 'name', 'monthly_quota'], "
    "    'additionalProperties': false, 'properties': {"
    "    'inspector_id': " ID ", "
    "    'name': {'type': 'string', 'minLength': 1, 'maxLength': 255}, "
    "    'monthly_quota': {'type': 'integer', 'minimum': 0, 'maximum': 1000000}}}}}}, "
    "'InspectorsStored': {'type': 'object', 'properties': {"
    "  'month': " STR ", 'inspectors': " INT ", "
    "  'dry_run': {'const': true, 'description': 'Present on a dry run only.'}}}"
    "}";

/* clang-format on */

/* Parses a single-quoted JSON fragment (see the top of the file); NULL when invalid. */
static json_t *sq(const char *text)
{
    char *copy = xstrdup(text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *v = json_loads(copy, 0, NULL);
    free(copy);
    return v;
}

/* The description entry of a route, or NULL. */
static const openapi_op_t *op_find(const route_t *r)
{
    for (size_t i = 0; i < NOPS; i++)
        if (strcmp(ops[i].method, r->method) == 0 && strcmp(ops[i].pattern, r->pattern) == 0)
            return &ops[i];
    return NULL;
}

/* Adds a shared response under `status` unless the operation gave its own. */
static void response_default(json_t *responses, const char *status, const char *name)
{
    if (json_object_get(responses, status))
        return;
    char ref[80];
    snprintf(ref, sizeof ref, "#/components/responses/%s", name);
    json_object_set_new(responses, status, json_pack("{s:s}", "$ref", ref));
}

/* The path parameters of a pattern ({t} is the tenant slug). */
static json_t *path_params(const char *pattern)
{
    json_t *list = json_array();
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
        const char *desc = strcmp(name, "t") == 0      ? "The tenant slug."
                           : strcmp(name, "form") == 0 ? "The scorecard (form_id)."
                                                       : "The numeric id.";
        json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", name, "in",
                                              "path", "required", 1, "description", desc, "schema",
                                              "type", "string"));
    }
    return list;
}

/* The route's method in lower case (an OpenAPI path item's key) in out; returns out. */
static char *method_lower(const route_t *r, char *out, size_t len)
{
    size_t k = 0;
    for (; r->method[k] && k + 1 < len; k++)
        out[k] = (char)(r->method[k] | 0x20);
    out[k] = '\0';
    return out;
}

/* "Roles: a, b." or "No token needed." for a description. */
static void roles_text(const route_t *r, char *out, size_t len)
{
    if (r->roles == 0) {
        snprintf(out, len, "No token needed.");
        return;
    }
    json_t *names = router_roles_json(r->roles);
    size_t used = (size_t)snprintf(out, len, "Roles: ");
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        if (used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "",
                                     json_string_value(n));
    }
    if (used < len)
        snprintf(out + used, len - used, ".");
    json_decref(names);
}

/* One operation: the route's own facts, completed by its description (may be NULL). */
static int operation(const route_t *r, const openapi_op_t *d, json_t **out)
{
    char roles[128], desc[1024];
    roles_text(r, roles, sizeof roles);
    snprintf(desc, sizeof desc, "%s\n\n%s", d ? d->description : "Not described yet.", roles);
    json_t *op = json_object();
    char id[96];
    if (d) {
        snprintf(id, sizeof id, "%s", d->operation_id);
    } else { /* "get_v1_things__id_": unique, as method and pattern are */
        size_t k = strlen(method_lower(r, id, sizeof id));
        for (const char *p = r->pattern; *p && k + 1 < sizeof id; p++)
            id[k++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_';
        id[k] = '\0';
    }
    json_object_set_new(op, "operationId", json_string(id));
    json_object_set_new(op, "summary", json_string(d ? d->summary : r->pattern));
    json_object_set_new(op, "description", json_string(desc));
    json_object_set_new(op, "x-roles", router_roles_json(r->roles));
    json_object_set_new(op, "security", r->roles ? json_pack("[{s:[]}]", "bearer") : json_array());
    json_t *params = path_params(r->pattern);
    if (d && d->query) {
        json_t *q = sq(d->query);
        if (!q)
            goto bad;
        json_array_extend(params, q);
        json_decref(q);
    }
    if (json_array_size(params))
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    params = NULL; /* the operation's now, or gone */
    if (d && d->request) {
        json_t *body = sq(d->request);
        if (!body)
            goto bad;
        json_object_set_new(op, "requestBody", body);
    }
    json_t *responses = d ? sq(d->responses) : json_object();
    if (!responses)
        goto bad;
    if (!d)
        json_object_set_new(responses, "200", json_pack("{s:s}", "description", "Success."));
    if (r->roles) {
        response_default(responses, "401", "Unauthorized");
        if (router_tenant_scoped(r))
            response_default(responses, "404", "NotFound");
        if (router_admin_refused(r))
            response_default(responses, "403", "AdminForbidden");
        else if (!router_tenant_scoped(r) && (r->roles & ROLES_ANY) != ROLES_ANY)
            response_default(responses, "403", "Forbidden");
        response_default(responses, "503", "Unavailable");
    }
    if (r->body != BODY_NONE)
        response_default(responses, "413", "TooLarge");
    if (r->body == BODY_JSON || r->body == BODY_UPLOAD)
        response_default(responses, "415", "UnsupportedMediaType");
    json_object_set_new(op, "responses", responses);
    *out = op;
    return ST_OK;
bad:
    json_decref(params);
    json_decref(op);
    return ST_ERR_INVALID;
}

json_t *api_openapi_document(void)
{
    json_t *schemas = sq(schemas_json), *responses = sq(responses_json);
    json_t *paths = json_object();
    if (!schemas || !responses)
        goto fail;
    for (size_t i = 0; i < router_route_count(); i++) {
        const route_t *r = router_route(i);
        const openapi_op_t *d = op_find(r);
        if (d && d->page)
            continue;
        json_t *op = NULL;
        if (operation(r, d, &op) != ST_OK)
            goto fail;
        json_t *item = json_object_get(paths, r->pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, r->pattern, item);
        }
        char method[16];
        json_object_set_new(item, method_lower(r, method, sizeof method), op);
    }
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}}, s:[{s:s}], s:o, s:{s:{s:{s:s, s:s, s:s}}, s:o, "
        "s:o}}",
        "openapi", "3.1.0", "info", "title", "slattest API", "version", "1", "description",
        "Contact-centre SLA and QA data in, signed monthly workbooks out.  JSON over HTTPS; "
        "errors are {\"error\": {\"code\", \"message\", \"details\"?}} (details an object); "
        "every response has "
        "X-Request-Id.  Bearer tokens carry one of five roles (admin, manager, ingest, client, "
        "auditor); each operation lists the roles that may call it (x-roles).  Status rules, the "
        "same on every route: unknown path 404, other method 405 (with Allow), no or bad token "
        "401, a tenant the token may not see, or a tenant route its role may not use, 404 "
        "exactly like a tenant that does not exist, except an admin token on a tenant data "
        "route (ingest, contract, metrics, reports, QA), which gets 403 naming the roles that "
        "may (details.roles); a global route the role may not use 403 naming them too.  "
        "?dry_run=true on the uploads and the contract, scorecard and inspector PUTs tries the "
        "request and keeps nothing.  Input formats and every error code: docs/ in the "
        "repository.",
        "license", "name", "Proprietary", "identifier", "LicenseRef-slattest", "servers", "url",
        "/", "paths", paths, "components", "securitySchemes", "bearer", "type", "http", "scheme",
        "bearer", "description", "A token issued by POST /v1/tokens or `slattest token issue`.",
        "responses", responses, "schemas", schemas);
    return doc;
fail:
    json_decref(schemas);
    json_decref(responses);
    json_decref(paths);
    return NULL;
}

int api_openapi_check(char *err, size_t errlen)
{
    static const struct {
        const char *name, *text;
    } fragments[] = {{"schemas", schemas_json}, {"responses", responses_json}};
    for (size_t i = 0; i < sizeof fragments / sizeof fragments[0]; i++) {
        json_t *v = sq(fragments[i].text);
        if (!v) {
            st_errf(err, errlen, "the %s of api_openapi.c are not valid JSON", fragments[i].name);
            return ST_ERR_INVALID;
        }
        json_decref(v);
    }
    for (size_t i = 0; i < router_route_count(); i++) {
        const route_t *r = router_route(i);
        if (!op_find(r)) {
            st_errf(err, errlen, "route %s %s has no entry in api_openapi.c", r->method,
                    r->pattern);
            return ST_ERR_INVALID;
        }
    }
    for (size_t i = 0; i < NOPS; i++) {
        bool found = false;
        for (size_t k = 0; k < router_route_count() && !found; k++)
            found = strcmp(router_route(k)->method, ops[i].method) == 0 &&
                    strcmp(router_route(k)->pattern, ops[i].pattern) == 0;
        if (!found) {
            st_errf(err, errlen, "api_openapi.c describes %s %s, which is not a route",
                    ops[i].method, ops[i].pattern);
            return ST_ERR_INVALID;
        }
        const char *parts[] = {ops[i].query, ops[i].request, ops[i].responses};
        for (size_t k = 0; k < 3; k++) {
            json_t *v = parts[k] ? sq(parts[k]) : NULL;
            if (parts[k] && !v) {
                st_errf(err, errlen, "api_openapi.c: the entry of %s %s is not valid JSON",
                        ops[i].method, ops[i].pattern);
                return ST_ERR_INVALID;
            }
            json_decref(v);
        }
    }
    return ST_OK;
}

void api_openapi_get(api_ctx_t *ctx, db_t *db)
{
    (void)db;
    json_t *doc = api_openapi_document();
    if (!doc) {
        api_error(ctx, 500, "internal", "the API document could not be built", NULL);
        return;
    }
    api_json(ctx, 200, doc);
}
