/* batch.c - the machinery every ingestion batch shares (see batch.h). */
#include "batch.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "faults.h"
#include "hash.h"
#include "jsonutil.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

static const uint8_t zero_digest[32]; /* until the body's digest is known */

#define SLOT_S 900 /* seconds in the UTC slots batch_periods groups by */

struct batch {
    db_t *db;
    uint64_t tenant_id;
    uint64_t id;
    char actor[128];
    char kind[32];
    char format[32];
    bool lenient;
    bool dry_run;
    bool in_txn;
    bool committed;
    bool would_commit; /* a dry run's verdict */
    bool hashed;
    tz_t *tz;         /* the tenant's zone (NULL: UTC) */
    json_t *periods;  /* {"YYYY-MM": n} */
    json_t *warnings; /* [...] */
    EVP_MD_CTX *sha;
    uint64_t bytes;
    batch_counts_t counts;
    json_t *errors;
    bool errors_truncated;
    char sha_hex[HASH_SHA256_HEX_LEN + 1];
};

/* Inserts the batch row with a status; its id becomes the batch's. */
static int insert_row(batch_t *b, const char *status)
{
    db_val_t v[] = {db_u64(b->tenant_id),    db_str(b->kind),
                    db_str(b->format),       db_str(b->lenient ? "lenient" : "strict"),
                    db_str(status),          db_str(b->actor),
                    db_blob(zero_digest, 32)};
    int rc = db_exec(b->db,
                     "INSERT INTO ingest_batches (tenant_id, kind, format, mode, status, actor, "
                     "body_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     v, 7, NULL);
    if (rc == ST_OK)
        b->id = db_insert_id(b->db);
    return rc;
}

int batch_begin(db_t *db, const tenant_t *t, const char *actor, const char *kind,
                const char *format, batch_mode_t mode, batch_t **out, char *err, size_t errlen)
{
    batch_t *b = xcalloc(1, sizeof *b);
    uint64_t tenant_id = t->id;
    b->db = db;
    b->tenant_id = tenant_id;
    snprintf(b->actor, sizeof b->actor, "%s", actor);
    snprintf(b->kind, sizeof b->kind, "%s", kind);
    snprintf(b->format, sizeof b->format, "%s", format);
    b->lenient = mode.lenient;
    b->dry_run = mode.dry_run;
    b->errors = json_array();
    b->periods = json_object();
    b->warnings = json_array();
    if (tz_load(t->timezone, &b->tz, NULL, 0) != ST_OK)
        b->tz = NULL; /* a tenant's zone was checked when it was created; UTC otherwise */
    b->sha = EVP_MD_CTX_new();
    EVP_DigestInit_ex(b->sha, EVP_sha256(), NULL);
    /* A batch may be a million rows: on a Galera cluster it replicates in
     * fragments as it goes (db.h); undone in batch_free(). */
    int rc = db_big_tx(db, true);
    if (rc == ST_OK)
        rc = db_begin(db);
    if (rc != ST_OK)
        goto fail;
    b->in_txn = true;
    /* One batch per tenant at a time: duplicate checks and rollups stay
     * exact.  The lock orders batches on one server; on a Galera cluster,
     * where locks are local to a node, every batch's audit entry updates
     * the chain's head row, so two concurrent batches conflict at commit
     * and the loser runs again (db_retry(), api_upload.c). */
    db_val_t v[] = {db_u64(tenant_id)};
    if ((rc = db_exec(db, "SELECT id FROM tenants WHERE id = ? FOR UPDATE", v, 1, NULL)) != ST_OK ||
        (rc = insert_row(b, "committed")) != ST_OK)
        goto fail;
    *out = b;
    return ST_OK;
fail:
    snprintf(err, errlen, "%s", db_error(db));
    batch_free(b);
    *out = NULL;
    return rc;
}

void batch_hash(batch_t *b, const void *data, size_t len)
{
    EVP_DigestUpdate(b->sha, data, len);
    b->bytes += len;
}

void batch_hash_done(batch_t *b)
{
    if (b->hashed)
        return;
    b->hashed = true;
    uint8_t digest[32];
    unsigned int dl = 32;
    EVP_DigestFinal_ex(b->sha, digest, &dl);
    hash_hex(digest, 32, b->sha_hex);
}

void batch_note_error_valid(batch_t *b, uint64_t line, const char *field, const char *message,
                            const char *const *valid)
{
    if (json_array_size(b->errors) >= BATCH_MAX_ERRORS) {
        b->errors_truncated = true;
        return;
    }
    json_t *e =
        json_pack("{s:I, s:s, s:s}", "line", (json_int_t)line, "field", field, "message", message);
    if (e && valid)
        json_object_set_new(e, "valid", faults_names_json(valid));
    if (e)
        json_array_append_new(b->errors, e);
}

void batch_note_error(batch_t *b, uint64_t line, const char *field, const char *message)
{
    batch_note_error_valid(b, line, field, message, NULL);
}

void batch_reject_row_valid(batch_t *b, uint64_t line, const char *field, const char *message,
                            const char *const *valid)
{
    b->counts.rows++;
    b->counts.rejected++;
    batch_note_error_valid(b, line, field, message, valid);
}

void batch_reject_row(batch_t *b, uint64_t line, const char *field, const char *message)
{
    batch_reject_row_valid(b, line, field, message, NULL);
}

batch_counts_t *batch_counts(batch_t *b)
{
    return &b->counts;
}

const batch_counts_t *batch_counts_const(const batch_t *b)
{
    return &b->counts;
}

bool batch_must_reject(const batch_t *b, bool fatal)
{
    return fatal || (!b->lenient && b->counts.rejected > 0);
}

/* Stores the batch's counts and digest on its row. */
static int record_row(batch_t *b, const char *status)
{
    uint8_t digest[32];
    hash_unhex(b->sha_hex, digest, 32);
    const batch_counts_t *c = &b->counts;
    db_val_t v[] = {db_str(status),       db_blob(digest, 32), db_u64(b->bytes),
                    db_u64(c->rows),      db_u64(c->inserted), db_u64(c->updated),
                    db_u64(c->unchanged), db_u64(c->rejected), db_u64(b->tenant_id),
                    db_u64(b->id)};
    return db_exec(b->db,
                   "UPDATE ingest_batches SET status = ?, body_sha256 = ?, body_bytes = ?, "
                   "rows_total = ?, inserted = ?, updated = ?, unchanged = ?, rejected = ? "
                   "WHERE tenant_id = ? AND id = ?",
                   v, 10, NULL);
}

/* Appends the batch's audit entry "<kind>.<verb>" (inside the transaction). */
static int audit_row(batch_t *b, const char *verb, json_t *extra)
{
    const batch_counts_t *c = &b->counts;
    json_t *d =
        json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I}", "format", b->format, "mode",
                  b->lenient ? "lenient" : "strict", "rows", (json_int_t)c->rows, "inserted",
                  (json_int_t)c->inserted, "updated", (json_int_t)c->updated, "unchanged",
                  (json_int_t)c->unchanged, "rejected", (json_int_t)c->rejected, "sha256",
                  b->sha_hex, "bytes", (json_int_t)b->bytes);
    if (extra)
        json_object_update(d, extra);
    char *text = jsonutil_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    char action[48], object[48];
    snprintf(action, sizeof action, "%s.%s", b->kind, verb);
    snprintf(object, sizeof object, "batch:%" PRIu64, b->id);
    int rc = audit_append(b->db, b->actor, b->tenant_id, action, object, text ? text : "{}");
    free(text);
    return rc;
}

int batch_commit(batch_t *b, json_t *extra)
{
    batch_hash_done(b);
    int rc;
    if (b->dry_run) { /* everything was applied and counted: keep none of it */
        db_rollback(b->db);
        b->in_txn = false;
        b->would_commit = true;
        return ST_OK;
    }
    if ((rc = record_row(b, "committed")) != ST_OK ||
        (rc = audit_row(b, "ingest", extra)) != ST_OK || (rc = db_commit(b->db)) != ST_OK)
        return rc;
    b->in_txn = false;
    b->committed = true;
    return ST_OK;
}

int batch_reject(batch_t *b, json_t *extra)
{
    batch_hash_done(b);
    db_rollback(b->db);
    b->in_txn = false;
    b->counts.inserted = b->counts.updated = b->counts.unchanged = 0;
    if (b->dry_run)
        return ST_OK; /* a dry run records no refusal either */
    int rc = db_begin(b->db);
    if (rc != ST_OK)
        return rc;
    b->in_txn = true;
    if ((rc = insert_row(b, "rejected")) != ST_OK || (rc = record_row(b, "rejected")) != ST_OK ||
        (rc = audit_row(b, "reject", extra)) != ST_OK || (rc = db_commit(b->db)) != ST_OK)
        return rc;
    b->in_txn = false;
    return ST_OK;
}

json_t *batch_receipt(const batch_t *b, json_t *extra)
{
    const batch_counts_t *c = &b->counts;
    json_t *r = json_pack(
        "{s:o, s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:O, s:b, s:s, s:I}", "batch_id",
        b->dry_run ? json_null() : json_integer((json_int_t)b->id), "kind", b->kind, "format",
        b->format, "mode", b->lenient ? "lenient" : "strict", "dry_run", b->dry_run, "committed",
        b->committed, "rows", (json_int_t)c->rows, "inserted", (json_int_t)c->inserted, "updated",
        (json_int_t)c->updated, "unchanged", (json_int_t)c->unchanged, "rejected",
        (json_int_t)c->rejected, "errors", b->errors, "errors_truncated", b->errors_truncated,
        "sha256", b->sha_hex, "bytes", (json_int_t)b->bytes);
    if (b->dry_run)
        json_object_set_new(r, "would_commit", json_boolean(b->would_commit));
    json_object_set(r, "periods", b->periods);
    json_object_set(r, "warnings", b->warnings);
    if (extra)
        json_object_update(r, extra);
    return r;
}

void batch_local_month(const batch_t *b, int64_t utc_s, int *year, int *month)
{
    tz_civil_t c;
    if (b->tz) {
        tz_to_local(b->tz, utc_s, &c);
        *year = c.year;
        *month = c.month;
        return;
    }
    int d;
    int64_t days = utc_s >= 0 ? utc_s / 86400 : -((-utc_s + 86399) / 86400);
    tz_civil_from_days(days, year, month, &d);
}

int batch_periods(batch_t *b, const char *slots_sql, bool tenant_param)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(b->tenant_id)};
    int rc = db_exec(b->db, slots_sql, v, tenant_param ? 1 : 0, &res);
    if (rc != ST_OK)
        return rc;
    /* Months as year * 12 + month - 1, with their counts, kept sorted. */
    size_t n = 0, cap = 4;
    int64_t(*months)[2] = xcalloc(cap, sizeof *months);
    while (db_res_next(res)) {
        int y, m;
        batch_local_month(b, db_res_i64(res, 0) * SLOT_S, &y, &m);
        int64_t key = (int64_t)y * 12 + m - 1, count = db_res_i64(res, 1);
        size_t i = 0;
        while (i < n && months[i][0] < key)
            i++;
        if (i < n && months[i][0] == key) {
            months[i][1] += count;
            continue;
        }
        if (n == cap)
            months = xrealloc(months, (cap *= 2) * sizeof *months);
        memmove(months + i + 1, months + i, (n - i) * sizeof *months);
        months[i][0] = key;
        months[i][1] = count;
        n++;
    }
    db_res_free(res);
    json_object_clear(b->periods);
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "%04d-%02d", (int)(months[i][0] / 12),
                 (int)(months[i][0] % 12) + 1);
        json_object_set_new(b->periods, name, json_integer((json_int_t)months[i][1]));
    }
    free(months);
    return ST_OK;
}

void batch_warn(batch_t *b, json_t *warning)
{
    if (json_array_size(b->warnings) < BATCH_MAX_WARNINGS)
        json_array_append(b->warnings, warning);
    json_decref(warning);
}

uint64_t batch_id(const batch_t *b)
{
    return b->id;
}

uint64_t batch_tenant(const batch_t *b)
{
    return b->tenant_id;
}

db_t *batch_db(const batch_t *b)
{
    return b->db;
}

bool batch_lenient(const batch_t *b)
{
    return b->lenient;
}

bool batch_dry_run(const batch_t *b)
{
    return b->dry_run;
}

bool batch_committed(const batch_t *b)
{
    return b->committed;
}

bool batch_accepted(const batch_t *b)
{
    return b->committed || b->would_commit;
}

uint64_t batch_bytes(const batch_t *b)
{
    return b->bytes;
}

void batch_free(batch_t *b)
{
    if (!b)
        return;
    if (b->in_txn)
        db_rollback(b->db);
    db_big_tx(b->db, false);
    EVP_MD_CTX_free(b->sha);
    json_decref(b->errors);
    json_decref(b->periods);
    json_decref(b->warnings);
    tz_free(b->tz);
    free(b);
}

/* Runs each statement of a NULL-ended list with the same parameters. */
static int run_each(db_t *db, const char *const *sql, const db_val_t *v, size_t n)
{
    int rc = ST_OK;
    for (; rc == ST_OK && *sql; sql++)
        rc = db_exec(db, *sql, v, n, NULL);
    return rc;
}

/* Refuses every copy of an id with different contents, naming all their lines. */
static int dedupe_refuse(batch_t *b, db_t *db, const batch_dedupe_t *d, const char *id,
                         int64_t copies)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_str(id)};
    int rc = db_exec(db, d->lines_sql, v, 1, &res);
    if (rc != ST_OK)
        return rc;
    size_t n = db_res_count(res);
    int64_t *lines = xcalloc(n + 1, sizeof *lines);
    char list[200] = "";
    for (size_t i = 0; db_res_next(res); i++) {
        lines[i] = db_res_i64(res, 0);
        size_t used = strlen(list);
        if (used + 24 < sizeof list)
            snprintf(list + used, sizeof list - used, "%s%" PRId64, used ? ", " : "", lines[i]);
    }
    db_res_free(res);
    char msg[320];
    snprintf(msg, sizeof msg, "%s \"%.64s\" appears with different content on lines %s", d->field,
             id, list);
    for (size_t i = 0; i < n; i++)
        batch_note_error(b, (uint64_t)lines[i], d->field, msg);
    free(lines);
    b->counts.rejected += (uint64_t)copies;
    return run_each(db, d->drop_all, v, 1);
}

int batch_dedupe(batch_t *b, db_t *db, const batch_dedupe_t *d)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, d->find_sql, NULL, 0, &res);
    while (rc == ST_OK && db_res_next(res)) {
        const char *id = db_res_str(res, 0, NULL);
        int64_t copies = db_res_i64(res, 1), distinct = db_res_i64(res, 2);
        if (distinct > 1) {
            rc = dedupe_refuse(b, db, d, id, copies);
        } else {
            b->counts.unchanged += (uint64_t)(copies - 1); /* the same record sent again */
            db_val_t v[] = {db_str(id), db_i64(db_res_i64(res, 3))};
            rc = run_each(db, d->drop_others, v, 2);
        }
    }
    db_res_free(res);
    return rc;
}
