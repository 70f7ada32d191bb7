/* audit.c - the hash-chained audit log (see audit.h). */
#include "audit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "hash.h"
#include "status.h"

#define AUDIT_PAGE 1000

/* The current UTC time as MariaDB prints a DATETIME(6). */
static void audit_now(char *out, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, len, "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000) % 1000000);
}

/* Appends one netstring field. */
static void put_field(buf_t *b, const char *s, size_t n)
{
    buf_printf(b, "%zu:", n);
    buf_append(b, s, n);
    buf_putc(b, ',');
}

/* hash = SHA-256(prev || canonical entry); see audit.h for the layout. */
static void audit_hash(const uint8_t prev[32], uint64_t id, const char *at, const char *actor,
                       const char *tenant, const char *action, const char *object,
                       const char *detail, size_t detail_len, uint8_t out[32])
{
    buf_t b;
    char idtxt[24];
    buf_init(&b, SIZE_MAX / 2);
    buf_append(&b, prev, 32);
    snprintf(idtxt, sizeof idtxt, "%" PRIu64, id);
    put_field(&b, idtxt, strlen(idtxt));
    put_field(&b, at, strlen(at));
    put_field(&b, actor, strlen(actor));
    put_field(&b, tenant, strlen(tenant));
    put_field(&b, action, strlen(action));
    put_field(&b, object, strlen(object));
    put_field(&b, detail, detail_len);
    hash_sha256(b.data, b.len, out);
    buf_free(&b);
}

int audit_append(db_t *db, const char *actor, uint64_t tenant_id, const char *action,
                 const char *object, const char *detail)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, "SELECT last_id, last_hash FROM audit_head WHERE id = 1 FOR UPDATE", NULL,
                     0, &res);
    if (rc != ST_OK)
        goto fail;
    size_t hlen = 0;
    const char *prev = db_res_next(res) ? db_res_str(res, 1, &hlen) : NULL;
    if (!prev || hlen != 32) {
        rc = ST_ERR_INTERNAL;
        goto fail;
    }
    uint64_t id = (uint64_t)db_res_i64(res, 0) + 1;
    char at[40], tenant[24] = "";
    audit_now(at, sizeof at);
    if (tenant_id)
        snprintf(tenant, sizeof tenant, "%" PRIu64, tenant_id);
    uint8_t h[32];
    audit_hash((const uint8_t *)prev, id, at, actor, tenant, action, object, detail, strlen(detail),
               h);
    db_val_t p[] = {
        db_u64(id),     db_str(at),     db_str(actor),  tenant_id ? db_u64(tenant_id) : db_null(),
        db_str(action), db_str(object), db_str(detail), db_blob(prev, 32),
        db_blob(h, 32)};
    rc = db_exec(db,
                 "INSERT INTO audit_log (id, at, actor, tenant_id, action, object, detail, "
                 "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 p, 9, NULL);
    if (rc != ST_OK)
        goto fail;
    db_val_t q[] = {db_u64(id), db_blob(h, 32)};
    rc = db_exec(db, "UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1", q, 2, NULL);
fail:
    db_res_free(res);
    return rc;
}

int audit_verify(db_t *db, uint64_t *checked, uint64_t *bad_id, char *err, size_t errlen)
{
    uint8_t prev[32] = {0};
    uint64_t after = 0, expect_id = 1;
    *checked = 0;
    *bad_id = 0;
    for (;;) {
        db_res_t *res = NULL;
        db_val_t p[] = {db_u64(after), db_i64(AUDIT_PAGE)};
        int rc = db_exec(db,
                         "SELECT id, at, actor, COALESCE(tenant_id, ''), action, object, detail, "
                         "prev_hash, hash FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
                         p, 2, &res);
        if (rc != ST_OK) {
            snprintf(err, errlen, "reading the audit log: %s", db_error(db));
            return rc;
        }
        size_t rows = db_res_count(res);
        while (db_res_next(res)) {
            uint64_t id = (uint64_t)db_res_i64(res, 0);
            size_t dlen = 0, plen = 0, hlen = 0;
            const char *detail = db_res_str(res, 6, &dlen);
            const char *ph = db_res_str(res, 7, &plen);
            const char *hh = db_res_str(res, 8, &hlen);
            uint8_t h[32];
            audit_hash(prev, id, db_res_str(res, 1, NULL), db_res_str(res, 2, NULL),
                       db_res_str(res, 3, NULL), db_res_str(res, 4, NULL), db_res_str(res, 5, NULL),
                       detail, dlen, h);
            const char *why = NULL;
            if (id != expect_id)
                why = "an entry is missing before it";
            else if (plen != 32 || memcmp(ph, prev, 32) != 0)
                why = "its prev_hash does not match the entry before it";
            else if (hlen != 32 || memcmp(hh, h, 32) != 0)
                why = "its content does not match its hash";
            if (why) {
                *bad_id = id;
                snprintf(err, errlen, "audit entry %" PRIu64 " is broken: %s", id, why);
                db_res_free(res);
                return ST_ERR_INVALID;
            }
            memcpy(prev, hh, 32);
            after = id;
            expect_id = id + 1;
            (*checked)++;
        }
        db_res_free(res);
        if (rows < AUDIT_PAGE)
            break;
    }
    /* The head must point at the last entry: a deleted tail shows up here. */
    db_res_t *res = NULL;
    int rc = db_exec(db, "SELECT last_id, last_hash FROM audit_head WHERE id = 1", NULL, 0, &res);
    if (rc != ST_OK) {
        snprintf(err, errlen, "reading audit_head: %s", db_error(db));
        return rc;
    }
    size_t hlen = 0;
    const char *hh = db_res_next(res) ? db_res_str(res, 1, &hlen) : NULL;
    if (!hh || (uint64_t)db_res_i64(res, 0) != after || hlen != 32 || memcmp(hh, prev, 32) != 0) {
        *bad_id = after + 1;
        snprintf(err, errlen,
                 "the audit chain ends at entry %" PRIu64
                 " but its head says otherwise: entries after it were removed",
                 after);
        rc = ST_ERR_INVALID;
    }
    db_res_free(res);
    return rc;
}
