/*
 * api_reports.c - report jobs and downloads:
 *   POST /v1/tenants/{t}/reports                   queue a report (202)
 *   GET  /v1/tenants/{t}/reports[/{id}]            list / metadata
 *   GET  /v1/tenants/{t}/reports/{id}/workbook     the .xlsx (ETag = sha256)
 *   GET  /v1/tenants/{t}/reports/{id}/signature    the detached CMS signature (DER)
 * A client token sees only client reports of its tenant, and a portfolio
 * report is seen only by a token that may see every tenant it covers
 * (rstore_visible): any other report looks missing (404) and is left out
 * of the list.  Every download appends an audit entry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "audit.h"
#include "faults.h"
#include "idnum.h"
#include "report_store.h"
#include "rfc3339.h"
#include "server.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"
#include "ziparch.h"

/* The {id} parameter, or 0 (which no report has) unless canonical (idnum.h). */
static uint64_t param_id(const api_ctx_t *ctx)
{
    uint64_t id = 0;
    return ctx->nparams >= 1 && idnum_parse(ctx->params[0], &id) ? id : 0;
}

void api_reports_create(api_ctx_t *ctx, db_t *db)
{
    json_t *body = api_body_json(ctx);
    if (!body)
        return;
    const char *period = json_string_value(json_object_get(body, "period"));
    const char *tpl = json_string_value(json_object_get(body, "template"));
    json_t *gen = json_object_get(body, "generated_at");
    int64_t generated_at = (int64_t)time(NULL);
    char err[512] = "";
    json_t *details = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "period") && strcmp(key, "template") && strcmp(key, "generated_at")) {
            static const char *const members[] = {"period", "template", "generated_at", NULL};
            char list[80];
            snprintf(err, sizeof err, "unknown member '%.64s' (one of: %s)", key,
                     faults_join(members, list, sizeof list));
            details = json_pack("{s:s, s:o}", "field", key, "valid", faults_names_json(members));
            break;
        }
    }
    if (!err[0] && (!period || !tpl))
        snprintf(err, sizeof err, "period and template are required strings");
    if (!err[0] && !rstore_template_audience(tpl)) {
        const char *names[RSTORE_TEMPLATES + 1];
        rstore_template_names(names);
        api_invalid_choice(ctx, "template", tpl, names);
        json_decref(body);
        return;
    }
    if (!err[0] && gen) {
        int64_t us = 0;
        const char *s = json_string_value(gen);
        if (!s || rfc3339_parse(s, strlen(s), &us, NULL, 0) != ST_OK)
            snprintf(err, sizeof err, "generated_at: an RFC 3339 instant with an offset");
        generated_at = us / 1000000;
    }
    uint64_t id = 0;
    int rc = err[0] ? ST_ERR_INVALID
                    : rstore_create(db, &ctx->tenant, ctx->who.actor, &ctx->who, period, tpl,
                                    generated_at, (int64_t)time(NULL), &id, err, sizeof err);
    if (rc == ST_OK) {
        char url[256];
        snprintf(url, sizeof url, "/v1/tenants/%s/reports/%" PRIu64, ctx->tenant.slug, id);
        api_json(ctx, 202,
                 json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "status", "queued",
                           "status_url", url));
        jobs_wake(ctx->srv->jobs);
    } else if (rc == ST_ERR_INVALID) {
        api_error(ctx, 400, "invalid", err, details);
        details = NULL;
    } else {
        api_db_error(ctx, rc, db);
    }
    json_decref(details);
    json_decref(body);
}

/* The metadata of {id} if this caller may see it; answers 404 itself otherwise. */
static json_t *visible_report(api_ctx_t *ctx, db_t *db)
{
    json_t *meta = NULL;
    bool visible = false;
    int rc = rstore_get(db, &ctx->tenant, param_id(ctx), &meta);
    if (rc == ST_OK &&
        (rc = rstore_visible(db, &ctx->who, ctx->tenant.id, meta, &visible)) == ST_OK && !visible)
        rc = ST_ERR_NOT_FOUND;
    if (rc != ST_OK) {
        json_decref(meta);
        meta = NULL;
    }
    if (rc == ST_ERR_NOT_FOUND)
        api_error(ctx, 404, "not_found", "no such report", NULL);
    else if (rc != ST_OK)
        api_db_error(ctx, rc, db);
    return meta;
}

void api_reports_list(api_ctx_t *ctx, db_t *db)
{
    json_t *list = NULL, *shown = json_array();
    int rc = rstore_list(db, &ctx->tenant, ctx->who.role == ROLE_CLIENT, &list);
    size_t i;
    json_t *meta;
    json_array_foreach(list, i, meta)
    {
        bool visible = false;
        if (rc == ST_OK &&
            (rc = rstore_visible(db, &ctx->who, ctx->tenant.id, meta, &visible)) == ST_OK &&
            visible)
            json_array_append(shown, meta);
    }
    json_decref(list);
    if (rc != ST_OK) {
        json_decref(shown);
        api_db_error(ctx, rc, db);
        return;
    }
    api_json(ctx, 200, json_pack("{s:s, s:o}", "tenant", ctx->tenant.slug, "reports", shown));
}

void api_reports_get(api_ctx_t *ctx, db_t *db)
{
    json_t *meta = visible_report(ctx, db);
    if (meta)
        api_json(ctx, 200, meta);
}

/* Sends an artifact of a done report, with an audit entry for the download. */
static void send_artifact(api_ctx_t *ctx, db_t *db, const char *kind)
{
    json_t *meta = visible_report(ctx, db);
    if (!meta)
        return;
    const char *status = json_string_value(json_object_get(meta, "status"));
    if (strcmp(status, "done") != 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "the report is not done (status %s)", status);
        api_error(ctx, 409, "not_ready", msg, NULL);
        json_decref(meta);
        return;
    }
    const char *sha = json_string_value(json_object_get(meta, "sha256"));
    bool workbook = strcmp(kind, "workbook") == 0;
    const char *inm = httpd_header(ctx->req, "if-none-match");
    char etag[80];
    snprintf(etag, sizeof etag, "\"%s\"", sha);
    char headers[512];
    snprintf(
        headers, sizeof headers,
        "ETag: %s\r\nContent-Disposition: attachment; filename=\"%s-%s-%s-v%" JSON_INTEGER_FORMAT
        ".%s\"\r\n",
        etag, ctx->tenant.slug, json_string_value(json_object_get(meta, "period")),
        json_string_value(json_object_get(meta, "template")),
        json_integer_value(json_object_get(meta, "version")), workbook ? "xlsx" : "p7s");
    if (workbook && inm && strstr(inm, sha)) {
        ctx->extra_headers = xstrdup(headers);
        ctx->status = 304;
        ctx->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        json_decref(meta);
        return;
    }
    uint64_t id = param_id(ctx);
    int rc = rstore_artifact(db, ctx->tenant.id, id, kind, &ctx->raw);
    char object[48];
    snprintf(object, sizeof object, "report:%" PRIu64 "/%s", id, kind);
    if (rc == ST_OK)
        rc = audit_append(db, ctx->who.actor, ctx->tenant.id, "report.download", object, "{}");
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
    } else {
        ctx->extra_headers = xstrdup(headers);
        ctx->status = 200;
        ctx->content_type =
            workbook ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                     : "application/pkcs7-signature";
    }
    json_decref(meta);
}

void api_reports_workbook(api_ctx_t *ctx, db_t *db)
{
    send_artifact(ctx, db, "workbook");
}

void api_reports_signature(api_ctx_t *ctx, db_t *db)
{
    send_artifact(ctx, db, "signature");
}

/* An instant (Unix seconds) in words, "Monday 7 December 2026, 16:17:14 UTC",
 * shown next to the epoch that openssl's -attime takes. */
static void when_in_words(int64_t s, char *out, size_t len)
{
    static const char *const days[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};
    static const char *const months[12] = {"January",   "February", "March",    "April",
                                           "May",       "June",     "July",     "August",
                                           "September", "October",  "November", "December"};
    int64_t day = s >= 0 ? s / 86400 : -((-s + 86399) / 86400), sec = s - day * 86400;
    int y, m, d;
    tz_civil_from_days(day, &y, &m, &d);
    snprintf(out, len, "%s %d %s %d, %02d:%02d:%02d UTC", days[tz_weekday(day)], d, months[m - 1],
             y, (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
}

/*
 * GET .../reports/{id}/bundle: everything an auditor needs in one zip — the
 * workbook, its signature, the signer's certificate and the CA, and
 * VERIFY.txt with the openssl command.  Its entries are dated generated_at.
 */
void api_reports_bundle(api_ctx_t *ctx, db_t *db)
{
    json_t *meta = visible_report(ctx, db);
    if (!meta)
        return;
    buf_t wb, sig;
    buf_init(&wb, SIZE_MAX / 2);
    buf_init(&sig, SIZE_MAX / 2);
    ziparch_t *z = NULL;
    char *verify = NULL;
    const char *status = json_string_value(json_object_get(meta, "status"));
    if (strcmp(status, "done") != 0) {
        api_error(ctx, 409, "not_ready", "the report is not done", NULL);
        goto done;
    }
    uint64_t id = param_id(ctx);
    int rc = rstore_artifact(db, ctx->tenant.id, id, "workbook", &wb);
    if (rc == ST_OK)
        rc = rstore_artifact(db, ctx->tenant.id, id, "signature", &sig);
    if (rc != ST_OK) {
        api_db_error(ctx, rc, db);
        goto done;
    }
    const char *fp = json_string_value(json_object_get(meta, "signer_fingerprint"));
    const char *gen = json_string_value(json_object_get(meta, "generated_at"));
    const char *signer_pem = signing_cert_pem(ctx->srv->signing, fp);
    const char *ca_pem = signing_ca_pem(ctx->srv->signing);
    char base[160];
    snprintf(base, sizeof base, "%s-%s-%s-v%" JSON_INTEGER_FORMAT, ctx->tenant.slug,
             json_string_value(json_object_get(meta, "period")),
             json_string_value(json_object_get(meta, "template")),
             json_integer_value(json_object_get(meta, "version")));
    int64_t gen_us = 0;
    rfc3339_parse(gen, strlen(gen), &gen_us, NULL, 0);
    buf_t text;
    char words[96];
    const char *ca_fp = signing_ca_fingerprint(ctx->srv->signing);
    when_in_words(gen_us / 1000000, words, sizeof words);
    buf_init(&text, 1 << 16);
    buf_printf(
        &text,
        "Report %" PRIu64 " of tenant %s, period %s, template %s, version %" JSON_INTEGER_FORMAT
        ".\n"
        "Workbook SHA-256:            %s\n"
        "Signing certificate SHA-256: %s\n"
        "CA certificate SHA-256:      %s\n"
        "Signed (generated) at:       %s\n\n"
        "First, the CA.  ca.pem comes in this bundle, from the same party as the workbook:\n"
        "compare its SHA-256 fingerprint above (openssl x509 -in ca.pem -noout -fingerprint\n"
        "-sha256) with one you obtain independently, from GET /v1/certificates (member\n"
        "\"ca\") or the outsourcer's published fingerprint, before trusting it.\n\n"
        "Verify with nothing but OpenSSL:\n\n"
        "  openssl cms -verify -binary -inform DER -in %s.p7s -content %s.xlsx \\\n"
        "      -CAfile ca.pem -out /dev/null\n\n"
        "Once the signing certificate (signer.pem) has expired, add\n"
        "  -attime %lld     (that is %s)\n"
        "(the signing time): the signature was valid when it was made.\n\n"
        "What a valid check proves:\n"
        "  - Integrity and signer: the workbook is byte for byte the one signed with the\n"
        "    key of signer.pem, a certificate the CA issued.\n"
        "  - The signing time is the signer's own claim (a signed attribute), not a\n"
        "    timestamp from a third party.\n"
        "  - The data digest on the Cover is SHA-256 over the values the sheets show;\n"
        "    anyone holding the data can rebuild the workbook byte for byte and compare:\n"
        "      slattest report --rebuild %" PRIu64 " FILE.xlsx\n"
        "  - Whether this version is current: GET /v1/tenants/%s/reports/%" PRIu64 "\n"
        "    says \"current\" and \"superseded_by\"; a later version still leaves this one\n"
        "    valid, and its Changes sheet lists the values that moved.\n",
        id, ctx->tenant.slug, json_string_value(json_object_get(meta, "period")),
        json_string_value(json_object_get(meta, "template")),
        json_integer_value(json_object_get(meta, "version")),
        json_string_value(json_object_get(meta, "sha256")), fp, ca_fp ? ca_fp : "", gen, base, base,
        (long long)(gen_us / 1000000), words, id, ctx->tenant.slug, id);
    verify = buf_detach(&text, NULL);
    char wb_name[200], sig_name[200];
    snprintf(wb_name, sizeof wb_name, "%s.xlsx", base);
    snprintf(sig_name, sizeof sig_name, "%s.p7s", base);
    z = ziparch_new((time_t)(gen_us / 1000000));
    if (!z || ziparch_add(z, wb_name, wb.data, wb.len) != ST_OK ||
        ziparch_add(z, sig_name, sig.data, sig.len) != ST_OK ||
        ziparch_add(z, "signer.pem", signer_pem ? signer_pem : "",
                    signer_pem ? strlen(signer_pem) : 0) != ST_OK ||
        ziparch_add(z, "ca.pem", ca_pem, strlen(ca_pem)) != ST_OK ||
        ziparch_add(z, "VERIFY.txt", verify, strlen(verify)) != ST_OK) {
        api_error(ctx, 500, "internal", "could not build the bundle", NULL);
        goto done;
    }
    rc = ziparch_finish(z, &ctx->raw);
    z = NULL; /* finish frees it */
    if (rc != ST_OK) {
        api_error(ctx, 500, "internal", "could not build the bundle", NULL);
        goto done;
    }
    char object[48], headers[300];
    snprintf(object, sizeof object, "report:%" PRIu64 "/bundle", id);
    if ((rc = audit_append(db, ctx->who.actor, ctx->tenant.id, "report.download", object, "{}")) !=
        ST_OK) {
        api_db_error(ctx, rc, db);
        goto done;
    }
    snprintf(headers, sizeof headers, "Content-Disposition: attachment; filename=\"%s.zip\"\r\n",
             base);
    ctx->extra_headers = xstrdup(headers);
    ctx->status = 200;
    ctx->content_type = "application/zip";
done:
    ziparch_free(z);
    free(verify);
    buf_free(&wb);
    buf_free(&sig);
    json_decref(meta);
}
