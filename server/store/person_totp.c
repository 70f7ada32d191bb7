/* person_totp.c - a person's TOTP enrolment (see person_totp.h). */
#include "person_totp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "hash.h"
#include "people.h"
#include "status.h"
#include "xmem.h"

int ptotp_state(db_t *db, uint64_t person_id, bool *enrolled, bool *pending)
{
    db_res_t *res = NULL;
    int rc = db_exec(db,
                     "SELECT totp_enabled_at IS NOT NULL, totp_pending IS NOT NULL FROM people "
                     "WHERE id = ?",
                     (db_val_t[]){db_u64(person_id)}, 1, &res);
    if (rc != ST_OK)
        return rc;
    *enrolled = *pending = false;
    if (db_res_next(res)) {
        *enrolled = db_res_i64(res, 0) != 0;
        *pending = db_res_i64(res, 1) != 0;
    }
    db_res_free(res);
    return ST_OK;
}

int ptotp_begin(db_t *db, uint64_t person_id, char b32[TOTP_BASE32_MAX])
{
    uint8_t secret[TOTP_SECRET_BYTES];
    if (hash_random(secret, sizeof secret) != ST_OK)
        return ST_ERR_CRYPTO;
    int rc =
        db_exec(db, "UPDATE people SET totp_pending = ? WHERE id = ? AND totp_enabled_at IS NULL",
                (db_val_t[]){db_blob(secret, sizeof secret), db_u64(person_id)}, 2, NULL);
    if (rc == ST_OK && db_affected(db) != 1)
        rc = ST_ERR_CONFLICT;
    if (rc == ST_OK)
        totp_base32(secret, sizeof secret, b32, TOTP_BASE32_MAX);
    memset(secret, 0, sizeof secret);
    return rc;
}

/* The pending secret's bytes into secret (TOTP_SECRET_BYTES); ST_ERR_NOT_FOUND when none. */
static int ptotp_pending_bytes(db_t *db, uint64_t person_id, uint8_t secret[TOTP_SECRET_BYTES])
{
    db_res_t *res = NULL;
    int rc = db_exec(db,
                     "SELECT totp_pending FROM people WHERE id = ? AND totp_pending IS NOT NULL "
                     "AND totp_enabled_at IS NULL",
                     (db_val_t[]){db_u64(person_id)}, 1, &res);
    if (rc != ST_OK)
        return rc;
    size_t n = 0;
    rc = ST_ERR_NOT_FOUND;
    if (db_res_next(res)) {
        const char *k = db_res_str(res, 0, &n);
        if (k && n == TOTP_SECRET_BYTES) {
            memcpy(secret, k, n);
            rc = ST_OK;
        }
    }
    db_res_free(res);
    return rc;
}

int ptotp_pending(db_t *db, uint64_t person_id, char b32[TOTP_BASE32_MAX])
{
    uint8_t secret[TOTP_SECRET_BYTES];
    int rc = ptotp_pending_bytes(db, person_id, secret);
    if (rc == ST_OK)
        totp_base32(secret, sizeof secret, b32, TOTP_BASE32_MAX);
    memset(secret, 0, sizeof secret);
    return rc;
}

/* Appends an audit entry about person_id's second factor, in the caller's transaction. */
static int ptotp_audit(db_t *db, uint64_t person_id, const char *action, const char *detail)
{
    char actor[40];
    snprintf(actor, sizeof actor, "person:%" PRIu64, person_id);
    return audit_append(db, actor, 0, action, actor, detail);
}

int ptotp_confirm(db_t *db, uint64_t person_id, const char *code, int64_t now_s)
{
    uint8_t secret[TOTP_SECRET_BYTES];
    int rc = ptotp_pending_bytes(db, person_id, secret);
    if (rc != ST_OK)
        return rc;
    int64_t step = totp_check(secret, sizeof secret, code, now_s, -1);
    if ((rc = db_begin(db)) != ST_OK)
        goto done;
    if (step < 0) {
        rc = ptotp_audit(db, person_id, "person.totp_failed", "{\"during\":\"enrolment\"}");
        if (rc == ST_OK && (rc = db_commit(db)) == ST_OK)
            rc = ST_ERR_INVALID;
        goto done;
    }
    rc = db_exec(db,
                 "UPDATE people SET totp_secret = totp_pending, totp_pending = NULL, "
                 "totp_enabled_at = CURRENT_TIMESTAMP(6), totp_last_step = ? WHERE id = ? AND "
                 "totp_pending = ?",
                 (db_val_t[]){db_i64(step), db_u64(person_id), db_blob(secret, sizeof secret)}, 3,
                 NULL);
    if (rc == ST_OK && db_affected(db) != 1)
        rc = ST_ERR_NOT_FOUND; /* restarted meanwhile */
    if (rc == ST_OK)
        rc = ptotp_audit(db, person_id, "person.totp_enrol", "{}");
    if (rc == ST_OK)
        rc = db_commit(db);
done:
    if (rc != ST_OK && rc != ST_ERR_INVALID)
        db_rollback(db);
    memset(secret, 0, sizeof secret);
    return rc;
}

int ptotp_disable(db_t *db, uint64_t person_id, const char *password)
{
    db_res_t *res = NULL;
    int rc = db_exec(db,
                     "SELECT password_hash FROM people WHERE id = ? AND totp_enabled_at IS NOT "
                     "NULL AND password_hash IS NOT NULL",
                     (db_val_t[]){db_u64(person_id)}, 1, &res);
    if (rc != ST_OK)
        return rc;
    char *stored = db_res_next(res) ? xstrdup(db_res_str(res, 0, NULL)) : NULL;
    db_res_free(res);
    if (!stored)
        return ST_ERR_NOT_FOUND;
    bool ok = people_verify(stored, password, NULL);
    free(stored);
    if (!ok)
        return ST_ERR_AUTH;
    if ((rc = db_begin(db)) != ST_OK)
        return rc;
    rc = db_exec(db,
                 "UPDATE people SET totp_secret = NULL, totp_pending = NULL, totp_enabled_at = "
                 "NULL WHERE id = ?",
                 (db_val_t[]){db_u64(person_id)}, 1, NULL);
    if (rc == ST_OK)
        rc = ptotp_audit(db, person_id, "person.totp_disable", "{}");
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}

int ptotp_reset(db_t *db, const char *actor, const char *email)
{
    char norm[PEOPLE_EMAIL_MAX + 1], object[40];
    if (people_email_normalise(email, norm) != ST_OK)
        return ST_ERR_NOT_FOUND;
    db_res_t *res = NULL;
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    rc = db_exec(db,
                 "SELECT id FROM people WHERE email = ? AND totp_enabled_at IS NOT NULL FOR UPDATE",
                 (db_val_t[]){db_str(norm)}, 1, &res);
    uint64_t id = 0;
    if (rc == ST_OK && db_res_next(res))
        id = (uint64_t)db_res_i64(res, 0);
    db_res_free(res);
    if (rc == ST_OK && !id)
        rc = ST_ERR_NOT_FOUND;
    if (rc == ST_OK)
        rc = db_exec(db,
                     "UPDATE people SET totp_secret = NULL, totp_pending = NULL, totp_enabled_at = "
                     "NULL WHERE id = ?",
                     (db_val_t[]){db_u64(id)}, 1, NULL);
    snprintf(object, sizeof object, "person:%" PRIu64, id);
    if (rc == ST_OK)
        rc = audit_append(db, actor, 0, "person.totp_reset", object, "{}");
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}
