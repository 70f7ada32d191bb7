/* report_store.c - report jobs and artifacts (see report_store.h). */
#include "report_store.h"
#include "report_stale.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "faults.h"
#include "hash.h"
#include "jsonutil.h"
#include "rfc3339.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

static const struct {
    const char *name;
    const char *audience;
} templates[] = {
    {"client-monthly", "client"},
    {"internal-monthly", "internal"},
    {"portfolio-monthly", "portfolio"},
};
_Static_assert(sizeof templates / sizeof templates[0] == RSTORE_TEMPLATES, "every template");

const char *rstore_template_audience(const char *template_name)
{
    for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++)
        if (strcmp(template_name, templates[i].name) == 0)
            return templates[i].audience;
    return NULL;
}

void rstore_template_names(const char *out[RSTORE_TEMPLATES + 1])
{
    for (size_t i = 0; i < RSTORE_TEMPLATES; i++)
        out[i] = templates[i].name;
    out[RSTORE_TEMPLATES] = NULL;
}

/* True for YYYY-MM with a month 01-12 and a year 1970-2199. */
static bool period_valid(const char *p)
{
    int y, m;
    char tail;
    return strlen(p) == 7 && sscanf(p, "%4d-%2d%c", &y, &m, &tail) == 2 && p[4] == '-' &&
           y >= 1970 && y <= 2199 && m >= 1 && m <= 12;
}

/*
 * Refuses a signing time outside [end of the period, now + clock skew]: the
 * end is local midnight after the month in each zone the report covers
 * (the latest of them), so a report never claims to be signed before its
 * month was over, nor in the future.  ST_ERR_INVALID naming generated_at.
 */
static int generated_at_check(const char *period, const tenant_t *zones, size_t n,
                              int64_t generated_at, int64_t now, char *err, size_t errlen)
{
    int y = 0, m = 0;
    sscanf(period, "%4d-%2d", &y, &m);
    int64_t end = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        tz_t *tz = NULL;
        char why[128];
        if (tz_load(zones[i].timezone, &tz, why, sizeof why) != ST_OK) {
            snprintf(err, errlen, "tenant %s: time zone %s: %s", zones[i].slug, zones[i].timezone,
                     why);
            return ST_ERR_INVALID;
        }
        int64_t e = tz_month_start(tz, y, m + 1);
        tz_free(tz);
        if (e > end)
            end = e;
    }
    if (generated_at >= end && generated_at <= now + RSTORE_CLOCK_SKEW_S)
        return ST_OK;
    char end_s[RFC3339_BUFLEN] = "?", now_s[RFC3339_BUFLEN] = "?", gen_s[RFC3339_BUFLEN] = "?";
    rfc3339_format_utc(end * 1000000, end_s, sizeof end_s);
    rfc3339_format_utc(now * 1000000, now_s, sizeof now_s);
    rfc3339_format_utc(generated_at * 1000000, gen_s, sizeof gen_s);
    snprintf(err, errlen,
             "generated_at: %s is not between the end of the period %s (%s) and now (%s, "
             "%d s of clock skew allowed)",
             gen_s, period, end_s, now_s, RSTORE_CLOCK_SKEW_S);
    return ST_ERR_INVALID;
}

/* Orders tenant ids ascending (the scope digest's canonical order). */
static int id_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The tenants a portfolio requested by `scope` covers (by slug, into *list,
 * the caller's) and the scope digest of their ids (see 0008_portfolio.sql). */
static int covers_for(db_t *db, const principal_t *scope, tenant_t **list, size_t *n,
                      char hex[HASH_SHA256_HEX_LEN + 1])
{
    int rc = tenant_list(db, scope, list, n);
    if (rc != ST_OK)
        return rc;
    uint64_t *ids = xcalloc(*n + 1, sizeof *ids);
    for (size_t i = 0; i < *n; i++)
        ids[i] = (*list)[i].id;
    qsort(ids, *n, sizeof *ids, id_cmp);
    buf_t text;
    buf_init(&text, (size_t)1 << 24);
    for (size_t i = 0; rc == ST_OK && i < *n; i++)
        rc = buf_printf(&text, "%s%" PRIu64, i ? "," : "", ids[i]);
    if (rc == ST_OK)
        hash_sha256_hex(text.data ? text.data : "", text.len, hex);
    buf_free(&text);
    free(ids);
    return rc;
}

/* The audit detail of a report request: period, template, version, and the
 * covered slugs of a portfolio.  The caller frees the text. */
static char *request_detail(const char *period, const char *template_name, int64_t version,
                            int64_t generated_at, const tenant_t *covers, size_t n, bool portfolio)
{
    char gen[RFC3339_BUFLEN] = "";
    rfc3339_format_utc(generated_at * 1000000, gen, sizeof gen);
    json_t *d = json_pack("{s:s, s:s, s:I, s:s}", "period", period, "template", template_name,
                          "version", (json_int_t)version, "generated_at", gen);
    if (portfolio) {
        json_t *slugs = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(slugs, json_string(covers[i].slug));
        json_object_set_new(d, "tenants", slugs);
    }
    char *text = jsonutil_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    return text;
}

int rstore_create(db_t *db, const tenant_t *t, const char *actor, const principal_t *scope,
                  const char *period, const char *template_name, int64_t generated_at, int64_t now,
                  uint64_t *id, char *err, size_t errlen)
{
    const char *audience = rstore_template_audience(template_name);
    if (!period_valid(period)) {
        snprintf(err, errlen, "period: a month YYYY-MM");
        return ST_ERR_INVALID;
    }
    if (!audience) {
        const char *names[RSTORE_TEMPLATES + 1];
        char list[120];
        rstore_template_names(names);
        snprintf(err, errlen, "template: unknown template '%.64s' (one of: %s)", template_name,
                 faults_join(names, list, sizeof list));
        return ST_ERR_INVALID;
    }
    bool portfolio = strcmp(audience, "portfolio") == 0;
    if (portfolio && !scope) {
        snprintf(err, errlen, "a portfolio needs the requester's view of the tenants");
        return ST_ERR_INVALID;
    }
    int rc = generated_at_check(period, t, 1, generated_at, now, err, errlen);
    if (rc != ST_OK)
        return rc;
    db_res_t *res = NULL;
    tenant_t *covers = NULL;
    size_t n_covers = 0;
    char scope_hex[HASH_SHA256_HEX_LEN + 1] = "", *detail = NULL;
    rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    /* The tenant lock orders versions of concurrent requests for the same period. */
    db_val_t lock[] = {db_u64(t->id)};
    if ((rc = db_exec(db, "SELECT id FROM tenants WHERE id = ? FOR UPDATE", lock, 1, NULL)) !=
        ST_OK)
        goto fail;
    if (portfolio && (rc = covers_for(db, scope, &covers, &n_covers, scope_hex)) != ST_OK)
        goto fail;
    /* A portfolio's month is over once it is over in every zone it covers. */
    if ((rc = generated_at_check(period, covers, n_covers, generated_at, now, err, errlen)) !=
        ST_OK)
        goto fail;
    db_val_t prev[] = {db_u64(t->id), db_str(period), db_str(template_name), db_str(scope_hex)};
    if ((rc = db_exec(db,
                      "SELECT COALESCE(MAX(version), 0) + 1, (SELECT id FROM reports WHERE "
                      "tenant_id = r.tenant_id AND period = r.period AND template = r.template AND "
                      "scope = r.scope AND status = 'done' ORDER BY version DESC LIMIT 1) FROM "
                      "reports r WHERE tenant_id = ? AND period = ? AND template = ? AND scope = ? "
                      "AND status <> 'failed'",
                      prev, 4, &res)) != ST_OK)
        goto fail;
    int64_t version = 1;
    db_val_t supersedes = db_null();
    if (db_res_next(res)) {
        version = db_res_i64(res, 0) ? db_res_i64(res, 0) : 1;
        if (!db_res_is_null(res, 1))
            supersedes = db_i64(db_res_i64(res, 1));
    }
    db_val_t v[] = {db_u64(t->id),    db_str(period),       db_str(template_name),
                    db_str(audience), db_str(scope_hex),    db_i64(version),
                    supersedes,       db_i64(generated_at), db_str(actor)};
    if ((rc = db_exec(db,
                      "INSERT INTO reports (tenant_id, period, template, audience, scope, version, "
                      "supersedes, status, generated_at, requested_by) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                      v, 9, NULL)) != ST_OK)
        goto fail;
    *id = db_insert_id(db);
    for (size_t i = 0; i < n_covers; i++) {
        db_val_t c[] = {db_u64(t->id), db_u64(*id), db_u64(covers[i].id)};
        if ((rc = db_exec(db,
                          "INSERT INTO report_covers (tenant_id, report_id, covered_id) "
                          "VALUES (?, ?, ?)",
                          c, 3, NULL)) != ST_OK)
            goto fail;
    }
    char object[48];
    snprintf(object, sizeof object, "report:%" PRIu64, *id);
    detail =
        request_detail(period, template_name, version, generated_at, covers, n_covers, portfolio);
    if ((rc = audit_append(db, actor, t->id, "report.request", object, detail ? detail : "{}")) !=
        ST_OK)
        goto fail;
    rc = db_commit(db);
fail:
    free(detail);
    free(covers);
    db_res_free(res);
    if (rc != ST_OK) {
        db_rollback(db);
        if (rc != ST_ERR_INVALID)
            snprintf(err, errlen, "%s", db_error(db));
    }
    return rc;
}

int rstore_covers(db_t *db, uint64_t tenant_id, uint64_t id, tenant_t **out, size_t *n)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id), db_u64(id)};
    *out = NULL;
    *n = 0;
    int rc = db_exec(db,
                     "SELECT c.covered_id FROM report_covers c JOIN tenants t ON t.id = "
                     "c.covered_id WHERE c.tenant_id = ? AND c.report_id = ? ORDER BY t.slug",
                     v, 2, &res);
    if (rc != ST_OK)
        return rc;
    tenant_t *list = xcalloc(db_res_count(res) + 1, sizeof *list);
    size_t k = 0;
    while (rc == ST_OK && db_res_next(res))
        if ((rc = tenant_by_id(db, (uint64_t)db_res_i64(res, 0), &list[k])) == ST_OK)
            k++;
    db_res_free(res);
    if (rc != ST_OK) {
        free(list);
        return rc;
    }
    *out = list;
    *n = k;
    return ST_OK;
}

int rstore_visible(db_t *db, const principal_t *p, uint64_t tenant_id, json_t *meta, bool *visible)
{
    const char *audience = json_string_value(json_object_get(meta, "audience"));
    *visible = audience != NULL;
    if (!audience)
        return ST_OK;
    if (p->role == ROLE_CLIENT) {
        *visible = strcmp(audience, "client") == 0;
        return ST_OK;
    }
    if (strcmp(audience, "portfolio") != 0)
        return ST_OK;
    tenant_t *covers = NULL;
    size_t n = 0;
    int rc = rstore_covers(db, tenant_id, (uint64_t)json_integer_value(json_object_get(meta, "id")),
                           &covers, &n);
    if (rc != ST_OK)
        return rc;
    json_t *slugs = json_array();
    for (size_t i = 0; i < n; i++) {
        *visible = *visible && auth_may_see(p, covers[i].id);
        json_array_append_new(slugs, json_string(covers[i].slug));
    }
    if (*visible && n > 0)
        json_object_set_new(meta, "tenants", slugs);
    else
        json_decref(slugs);
    free(covers);
    return ST_OK;
}

#define REPORT_COLS                                                                                \
    "id, period, template, audience, version, supersedes, status, progress, error, "               \
    "generated_at, requested_by, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), "                  \
    "DATE_FORMAT(finished_at, '%Y-%m-%dT%H:%i:%sZ'), LOWER(HEX(sha256)), bytes, data_digest, "     \
    "signer_fingerprint, signer, tenant_id, (SELECT r2.id FROM reports r2 WHERE "                  \
    "r2.tenant_id = reports.tenant_id AND r2.period = reports.period AND r2.template = "           \
    "reports.template AND r2.scope = reports.scope AND r2.status = 'done' "                        \
    "ORDER BY r2.version DESC LIMIT 1), (SELECT MIN(r3.id) FROM reports r3 WHERE "                 \
    "r3.tenant_id = reports.tenant_id AND r3.supersedes = reports.id AND r3.status = 'done')"

/* One metadata row (REPORT_COLS) as JSON. */
static json_t *report_json(const db_res_t *res)
{
    char at[64] = "";
    rfc3339_format_utc(db_res_i64(res, 9) * 1000000, at, sizeof at);
    uint64_t id = (uint64_t)db_res_i64(res, 0);
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s}", "id", (json_int_t)id, "period",
                  db_res_str(res, 1, NULL), "template", db_res_str(res, 2, NULL), "audience",
                  db_res_str(res, 3, NULL), "version", (json_int_t)db_res_i64(res, 4), "status",
                  db_res_str(res, 6, NULL), "progress", (json_int_t)db_res_i64(res, 7),
                  "generated_at", at, "requested_by", db_res_str(res, 10, NULL));
    json_object_set_new(o, "supersedes",
                        db_res_is_null(res, 5) ? json_null() : json_integer(db_res_i64(res, 5)));
    json_object_set_new(
        o, "current",
        json_boolean(!db_res_is_null(res, 19) && (uint64_t)db_res_i64(res, 19) == id));
    /* The version that replaced this one (done), so a reader of an old one finds the new. */
    json_object_set_new(o, "superseded_by",
                        db_res_is_null(res, 20) ? json_null() : json_integer(db_res_i64(res, 20)));
    static const struct {
        const char *key;
        unsigned col;
    } texts[] = {{"error", 8},   {"created_at", 11},  {"finished_at", 12},
                 {"sha256", 13}, {"data_digest", 15}, {"signer_fingerprint", 16},
                 {"signer", 17}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *s = db_res_str(res, texts[i].col, NULL);
        json_object_set_new(o, texts[i].key, s ? json_string(s) : json_null());
    }
    json_object_set_new(o, "bytes",
                        db_res_is_null(res, 14) ? json_null() : json_integer(db_res_i64(res, 14)));
    return o;
}

int rstore_get(db_t *db, const tenant_t *t, uint64_t id, json_t **out)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(t->id), db_u64(id)};
    int rc = db_exec(db, "SELECT " REPORT_COLS " FROM reports WHERE tenant_id = ? AND id = ?", v, 2,
                     &res);
    if (rc == ST_OK) {
        if (db_res_next(res))
            *out = report_json(res);
        else
            rc = ST_ERR_NOT_FOUND;
    }
    db_res_free(res);
    /* Stale: batches touched its month after it read its data (report_stale.h). */
    if (rc == ST_OK && (rc = rstale_annotate(db, t, *out)) != ST_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int rstore_list(db_t *db, const tenant_t *t, bool client_only, json_t **out)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(t->id), db_i64(client_only)};
    int rc = db_exec(db,
                     "SELECT " REPORT_COLS " FROM reports WHERE tenant_id = ? AND "
                     "(? = 0 OR audience = 'client') ORDER BY id",
                     v, 2, &res);
    if (rc != ST_OK)
        return rc;
    json_t *list = json_array();
    while (db_res_next(res))
        json_array_append_new(list, report_json(res));
    db_res_free(res);
    size_t i;
    json_t *meta;
    json_array_foreach(list, i, meta)
    {
        if ((rc = rstale_annotate(db, t, meta)) != ST_OK) {
            json_decref(list);
            return rc;
        }
    }
    *out = list;
    return ST_OK;
}

int rstore_artifact(db_t *db, uint64_t tenant_id, uint64_t id, const char *kind, buf_t *out)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id), db_u64(id), db_str(kind)};
    int rc = db_exec(db,
                     "SELECT content FROM report_artifacts WHERE tenant_id = ? AND report_id = ? "
                     "AND kind = ?",
                     v, 3, &res);
    if (rc == ST_OK) {
        size_t len = 0;
        const char *data = db_res_next(res) ? db_res_str(res, 0, &len) : NULL;
        rc = data ? buf_append(out, data, len) : ST_ERR_NOT_FOUND;
    }
    db_res_free(res);
    return rc;
}

/* The columns job_from_row() reads, in its order. */
#define JOB_COLS "tenant_id, id, period, template, audience, version, generated_at, supersedes"

/* Copies the job columns (JOB_COLS). */
static void job_from_row(const db_res_t *res, rstore_job_t *job)
{
    memset(job, 0, sizeof *job);
    job->tenant_id = (uint64_t)db_res_i64(res, 0);
    job->id = (uint64_t)db_res_i64(res, 1);
    snprintf(job->period, sizeof job->period, "%s", db_res_str(res, 2, NULL));
    snprintf(job->template_name, sizeof job->template_name, "%s", db_res_str(res, 3, NULL));
    snprintf(job->audience, sizeof job->audience, "%s", db_res_str(res, 4, NULL));
    job->version = (int)db_res_i64(res, 5);
    job->generated_at = db_res_i64(res, 6);
    job->supersedes = db_res_is_null(res, 7) ? 0 : (uint64_t)db_res_i64(res, 7);
}

/* One claim in its own transaction (rstore_claim() retries it). */
static int claim_once(db_t *db, const char *who, uint64_t only_id, int stale_s, rstore_job_t *job)
{
    db_res_t *res = NULL;
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_val_t v[] = {db_u64(only_id), db_u64(only_id), db_i64(stale_s)};
    rc = db_exec(db,
                 "SELECT " JOB_COLS ", attempts FROM reports WHERE (? = 0 OR id = ?) AND "
                 "(status = 'queued' OR "
                 "(status = 'running' AND heartbeat_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND)) "
                 "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                 v, 3, &res);
    if (rc == ST_OK && !db_res_next(res))
        rc = ST_ERR_NOT_FOUND;
    if (rc != ST_OK)
        goto fail;
    job_from_row(res, job);
    snprintf(job->worker, sizeof job->worker, "%s", who);
    job->attempt = (int)db_res_i64(res, 8) + 1;
    bool exhausted = db_res_i64(res, 8) >= RSTORE_MAX_ATTEMPTS;
    db_val_t u[] = {db_str(who), db_u64(job->tenant_id), db_u64(job->id)};
    rc = db_exec(db,
                 exhausted ? "UPDATE reports SET status = 'failed', worker = ?, error = 'gave up "
                             "after repeated attempts (each server died while building it)', "
                             "finished_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ?"
                           : "UPDATE reports SET status = 'running', worker = ?, progress = 0, "
                             "attempts = attempts + 1, heartbeat_at = UTC_TIMESTAMP(6) "
                             "WHERE tenant_id = ? AND id = ?",
                 u, 3, NULL);
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc == ST_OK && exhausted)
        rc = ST_ERR_NOT_FOUND; /* nothing to build now; the next claim finds the next job */
fail:
    db_res_free(res);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}

int rstore_job(db_t *db, uint64_t id, rstore_job_t *job, char *sha256_hex)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(id)};
    int rc = db_exec(db,
                     "SELECT " JOB_COLS ", COALESCE(LOWER(HEX(sha256)), '') FROM reports "
                     "WHERE id = ?",
                     v, 1, &res);
    if (rc == ST_OK) {
        if (db_res_next(res)) {
            job_from_row(res, job);
            snprintf(sha256_hex, 65, "%s", db_res_str(res, 8, NULL));
        } else {
            rc = ST_ERR_NOT_FOUND;
        }
    }
    db_res_free(res);
    return rc;
}

int rstore_progress(db_t *db, const rstore_job_t *job, int progress)
{
    db_val_t v[] = {db_i64(progress), db_u64(job->tenant_id), db_u64(job->id), db_str(job->worker),
                    db_i64(job->attempt)};
    return db_exec(db,
                   "UPDATE reports SET progress = ?, heartbeat_at = UTC_TIMESTAMP(6) "
                   "WHERE tenant_id = ? AND id = ? AND status = 'running' AND worker = ? "
                   "AND attempts = ?",
                   v, 5, NULL);
}

/* The finishing transaction (rstore_finish() retries it). */
static int finish_once(db_t *db, const rstore_job_t *job, const rstore_result_t *r)
{
    char sha_hex[65];
    hash_hex_of(r->workbook_sha256, sha_hex);
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_val_t wb[] = {db_u64(job->tenant_id), db_u64(job->id),
                     db_file(r->workbook_fd, r->workbook_len)};
    db_val_t sg[] = {db_u64(job->tenant_id), db_u64(job->id),
                     db_blob(r->signature, r->signature_len)};
    db_val_t vals[] = {db_u64(job->tenant_id), db_u64(job->id),
                       db_blob(r->values ? r->values : "", r->values_len), db_u64(r->seen_batch_id),
                       db_u64(r->listed_batch_id)};
    db_val_t up[] = {db_blob(r->workbook_sha256, 32),
                     db_u64(r->workbook_len),
                     db_str(r->data_digest),
                     db_str(r->signer_fingerprint),
                     db_str(r->signer),
                     db_u64(job->tenant_id),
                     db_u64(job->id),
                     db_str(job->worker),
                     db_i64(job->attempt)};
    char object[48], detail[400];
    snprintf(object, sizeof object, "report:%" PRIu64, job->id);
    snprintf(detail, sizeof detail,
             "{\"period\":\"%s\",\"sha256\":\"%s\",\"signer_fingerprint\":\"%s\","
             "\"template\":\"%s\",\"version\":%d}",
             job->period, sha_hex, r->signer_fingerprint, job->template_name, job->version);
    /* Still ours: a builder that was taken for dead (its heartbeat late) and
     * finishes after another took the job over must not store a second
     * result, nor fail the other's (ST_ERR_CONFLICT: the job is not ours). */
    rc = db_exec(db,
                 "UPDATE reports SET status = 'done', progress = 100, sha256 = ?, bytes = ?, "
                 "data_digest = ?, signer_fingerprint = ?, signer = ?, error = NULL, "
                 "finished_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ? AND "
                 "status = 'running' AND worker = ? AND attempts = ?",
                 up, 9, NULL);
    if (rc == ST_OK && db_affected(db) != 1)
        rc = ST_ERR_CONFLICT;
    if (rc != ST_OK ||
        (rc = db_exec(db,
                      "INSERT INTO report_artifacts (tenant_id, report_id, kind, content) "
                      "VALUES (?, ?, 'workbook', ?)",
                      wb, 3, NULL)) != ST_OK ||
        (rc = db_exec(db,
                      "INSERT INTO report_artifacts (tenant_id, report_id, kind, content) "
                      "VALUES (?, ?, 'signature', ?)",
                      sg, 3, NULL)) != ST_OK ||
        (r->values && (rc = db_exec(db,
                                    "INSERT INTO report_values (tenant_id, report_id, canon, "
                                    "seen_batch_id, listed_batch_id) VALUES (?, ?, ?, ?, ?)",
                                    vals, 5, NULL)) != ST_OK) ||
        (rc = audit_append(db, "system:report-worker", job->tenant_id, "report.generate", object,
                           detail)) != ST_OK ||
        (rc = db_commit(db)) != ST_OK)
        db_rollback(db);
    return rc;
}

/* A claim or a finish, for db_retry(). */
typedef struct job_call {
    const char *who;
    uint64_t only_id;
    int stale_s;
    rstore_job_t *job;        /* claim: filled */
    const rstore_job_t *done; /* finish: the job finished */
    const rstore_result_t *result;
} job_call_t;

static int claim_attempt(db_t *db, void *arg)
{
    job_call_t *c = arg;
    return claim_once(db, c->who, c->only_id, c->stale_s, c->job);
}

static int finish_attempt(db_t *db, void *arg)
{
    job_call_t *c = arg;
    return finish_once(db, c->done, c->result);
}

/*
 * On a Galera cluster two instances may claim the same job at once on two
 * nodes (SKIP LOCKED is local to a node): both update the job's row, one
 * commits, the other fails certification and, run again, finds the job
 * taken.  Same for the finishing transaction and its audit entry.
 */
int rstore_claim(db_t *db, const char *who, uint64_t only_id, int stale_s, rstore_job_t *job)
{
    job_call_t c = {.who = who, .only_id = only_id, .stale_s = stale_s, .job = job};
    return db_retry(db, claim_attempt, &c);
}

int rstore_finish(db_t *db, const rstore_job_t *job, const rstore_result_t *r)
{
    job_call_t c = {.done = job, .result = r};
    return db_retry(db, finish_attempt, &c);
}

int rstore_fail(db_t *db, const rstore_job_t *job, const char *reason)
{
    /* Only the claim's own: a job another worker took over (or finished) is theirs. */
    db_val_t v[] = {db_str(reason), db_u64(job->tenant_id), db_u64(job->id), db_str(job->worker),
                    db_i64(job->attempt)};
    return db_exec(db,
                   "UPDATE reports SET status = 'failed', error = ?, "
                   "finished_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND id = ? AND "
                   "status = 'running' AND worker = ? AND attempts = ?",
                   v, 5, NULL);
}

int rstore_find_by_sha256(db_t *db, const char *sha256_hex, json_t **out)
{
    uint8_t sha[32];
    if (strlen(sha256_hex) != 64 || hash_unhex(sha256_hex, sha, 32) != ST_OK)
        return ST_ERR_NOT_FOUND;
    db_res_t *res = NULL;
    db_val_t v[] = {db_blob(sha, 32)};
    int rc = db_exec(db,
                     "SELECT " REPORT_COLS ", (SELECT slug FROM tenants WHERE id = "
                     "reports.tenant_id) FROM reports WHERE sha256 = ? AND status = 'done' "
                     "ORDER BY id LIMIT 1",
                     v, 1, &res);
    if (rc == ST_OK) {
        if (db_res_next(res)) {
            *out = report_json(res);
            json_object_set_new(*out, "tenant", json_string(db_res_str(res, 21, NULL)));
            json_object_set_new(*out, "tenant_id", json_integer(db_res_i64(res, 18)));
        } else {
            rc = ST_ERR_NOT_FOUND;
        }
    }
    db_res_free(res);
    return rc;
}
