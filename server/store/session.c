/* session.c - portal sessions, logins and their throttling (see session.h). */
#include "session.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "people.h"
#include "jsonutil.h"
#include "status.h"
#include "totp.h"
#include "xmem.h"

#define SESSION_MAX_DELAY_S  300 /* the longest wait between two attempts before a lock */
#define SESSION_TOUCH_EVERY  15  /* last_seen_at is written at most this often (seconds) */
#define SESSION_DUMMY_SECRET "slattest: no such person"

/* True for 43 base64url characters. */
static bool session_well_formed(const char *s)
{
    if (!s || strlen(s) != HASH_TOKEN_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

/* Failures in the window for one column (email or remote): count and seconds since the last. */
static int session_failures(db_t *db, const config_t *cfg, bool by_remote, const char *key,
                            long *count, long *since_last)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_str(key), db_i64(cfg->portal_login_lock_s)};
    int rc = db_exec(db,
                     by_remote ? "SELECT COUNT(*), TIMESTAMPDIFF(SECOND, MAX(at), "
                                 "CURRENT_TIMESTAMP(6)) FROM login_failures WHERE remote = ? AND "
                                 "at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND"
                               : "SELECT COUNT(*), TIMESTAMPDIFF(SECOND, MAX(at), "
                                 "CURRENT_TIMESTAMP(6)) FROM login_failures WHERE email = ? AND "
                                 "at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
                     v, 2, &res);
    if (rc != ST_OK)
        return rc;
    *count = 0;
    *since_last = 0;
    if (db_res_next(res)) {
        *count = (long)db_res_i64(res, 0);
        *since_last = db_res_is_null(res, 1) ? 0 : (long)db_res_i64(res, 1);
    }
    db_res_free(res);
    return ST_OK;
}

/*
 * The throttle for n failures, the last since_last seconds ago: SESSION_OK
 * when an attempt may be made, else THROTTLED or LOCKED with the wait.
 */
static session_verdict session_throttle(const config_t *cfg, long n, long since_last,
                                        long delay_after, long lock_after, long *retry_after)
{
    if (n >= lock_after) {
        *retry_after = cfg->portal_login_lock_s - since_last;
        if (*retry_after < 1)
            *retry_after = 1;
        return SESSION_LOCKED;
    }
    if (n >= delay_after) {
        long shift = n - delay_after, wait = SESSION_MAX_DELAY_S;
        if (shift < 9)
            wait = 1L << shift;
        if (wait > SESSION_MAX_DELAY_S)
            wait = SESSION_MAX_DELAY_S;
        if (since_last < wait) {
            *retry_after = wait - since_last;
            return SESSION_THROTTLED;
        }
    }
    return SESSION_OK;
}

/*
 * The throttle for an attempt (a password or a code) by email from remote:
 * the failures of each in the window into *ef and *rf, and *verdict
 * SESSION_OK, or THROTTLED / LOCKED with the wait in *retry_after.
 */
static int session_gate(db_t *db, const config_t *cfg, const char *email, const char *remote,
                        long *ef, long *rf, session_verdict *verdict, long *retry_after)
{
    long es = 0, rs = 0;
    *verdict = SESSION_OK;
    int rc = session_failures(db, cfg, false, email, ef, &es);
    if (rc == ST_OK)
        rc = session_failures(db, cfg, true, remote, rf, &rs);
    if (rc != ST_OK)
        return rc;
    long wait_e = 0, wait_r = 0;
    session_verdict te = session_throttle(cfg, *ef, es, cfg->portal_login_delay_after,
                                          cfg->portal_login_lock_after, &wait_e);
    session_verdict tr = session_throttle(cfg, *rf, rs, cfg->portal_address_lock_after / 5,
                                          cfg->portal_address_lock_after, &wait_r);
    if (te != SESSION_OK || tr != SESSION_OK) {
        *verdict =
            te == SESSION_LOCKED || tr == SESSION_LOCKED ? SESSION_LOCKED : SESSION_THROTTLED;
        *retry_after = wait_e > wait_r ? wait_e : wait_r;
    }
    return ST_OK;
}

/* Appends the audit entry of a sign-in (in the caller's transaction): remote and one flag. */
static int session_audit_login(db_t *db, uint64_t id, const char *action, const char *remote,
                               const char *flag, bool value)
{
    char actor[40];
    snprintf(actor, sizeof actor, "person:%" PRIu64, id);
    json_t *d = json_pack("{s:s, s:b}", "remote", remote, flag, value);
    char *text = jsonutil_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = audit_append(db, actor, 0, action, actor, text ? text : "{}");
    free(text);
    json_decref(d);
    return rc;
}

/* Appends an audit entry (with its own transaction) about a login attempt. */
static int session_audit(db_t *db, const char *actor, const char *action, const char *email,
                         const char *remote)
{
    json_t *d = json_pack("{s:s, s:s}", "email", email, "remote", remote);
    char *text = jsonutil_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = db_begin(db);
    if (rc == ST_OK)
        rc = audit_append(db, actor, 0, action, "login", text ? text : "{}");
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    free(text);
    json_decref(d);
    return rc;
}

/*
 * Records a failure (a password, or action "person.totp_failed" for a code)
 * and audits it (and the lock it causes, if it does).
 */
static int session_fail(db_t *db, const config_t *cfg, const char *action, const char *email,
                        const char *remote, long email_fails, long remote_fails)
{
    db_val_t v[] = {db_str(email), db_str(remote)};
    int rc = db_exec(db, "INSERT INTO login_failures (email, remote) VALUES (?, ?)", v, 2, NULL);
    if (rc == ST_OK)
        rc = session_audit(db, "anonymous", action, email, remote);
    if (rc == ST_OK && email_fails + 1 == cfg->portal_login_lock_after)
        rc = session_audit(db, "anonymous", "person.locked", email, remote);
    if (rc == ST_OK && remote_fails + 1 == cfg->portal_address_lock_after)
        rc = session_audit(db, "anonymous", "address.locked", email, remote);
    return rc;
}

/* A dummy hash with the current parameters, so an unknown email costs what a known one does. */
static const char *session_dummy_hash(void)
{
    static char dummy[PEOPLE_HASH_TEXT_MAX];
    static int made = 0; /* a race makes two equivalent hashes; harmless */
    if (!made) {
        char tmp[PEOPLE_HASH_TEXT_MAX];
        if (people_hash_password(SESSION_DUMMY_SECRET, tmp) == ST_OK) {
            memcpy(dummy, tmp, sizeof dummy);
            made = 1;
        }
    }
    return made ? dummy : NULL;
}

/* Creates a session for a person (one waiting for a code: pending); the id goes to cookie. */
static int session_create(db_t *db, uint64_t person_id, bool pending,
                          char cookie[HASH_TOKEN_LEN + 1])
{
    char csrf[HASH_TOKEN_LEN + 1];
    if (hash_random_token(cookie) != ST_OK || hash_random_token(csrf) != ST_OK)
        return ST_ERR_CRYPTO;
    uint8_t h[32];
    hash_sha256(cookie, HASH_TOKEN_LEN, h);
    db_val_t v[] = {db_blob(h, 32), db_u64(person_id), db_str(csrf), db_i64(pending)};
    return db_exec(db,
                   "INSERT INTO sessions (id_hash, person_id, csrf, mfa_pending) VALUES "
                   "(?, ?, ?, ?)",
                   v, 4, NULL);
}

int session_login(db_t *db, const config_t *cfg, const char *email_in, const char *password,
                  const char *remote, session_verdict *verdict, long *retry_after,
                  char cookie[HASH_TOKEN_LEN + 1])
{
    char email[PEOPLE_EMAIL_MAX + 1];
    *verdict = SESSION_BAD;
    *retry_after = 0;
    if (people_email_normalise(email_in, email) != ST_OK)
        snprintf(email, sizeof email, "%.*s", PEOPLE_EMAIL_MAX, email_in);
    long ef = 0, rf = 0;
    int rc = session_gate(db, cfg, email, remote, &ef, &rf, verdict, retry_after);
    if (rc != ST_OK || *verdict != SESSION_OK)
        return rc;
    *verdict = SESSION_BAD;
    /* The person, if any: a missing one still costs one Argon2 verification. */
    db_res_t *res = NULL;
    db_val_t v[] = {db_str(email)};
    rc =
        db_exec(db,
                "SELECT id, password_hash, totp_enabled_at IS NOT NULL FROM people WHERE email = ? "
                "AND disabled_at IS NULL",
                v, 1, &res);
    if (rc != ST_OK)
        return rc;
    uint64_t id = 0;
    char *stored = NULL;
    bool totp = false;
    if (db_res_next(res) && !db_res_is_null(res, 1)) {
        id = (uint64_t)db_res_i64(res, 0);
        stored = xstrdup(db_res_str(res, 1, NULL));
        totp = db_res_i64(res, 2) != 0;
    }
    db_res_free(res);
    bool upgrade = false;
    bool ok = people_verify(stored ? stored : session_dummy_hash(), password, &upgrade) && id;
    free(stored);
    if (!ok)
        return session_fail(db, cfg, "person.login_failed", email, remote, ef, rf);
    char hashed[PEOPLE_HASH_TEXT_MAX];
    db_val_t p[] = {db_str(email), db_u64(id)};
    if ((rc = db_begin(db)) != ST_OK)
        return rc;
    /* Someone enrolled in TOTP keeps their failures until the code is right too. */
    rc = totp ? ST_OK : db_exec(db, "DELETE FROM login_failures WHERE email = ?", p, 1, NULL);
    if (rc == ST_OK)
        rc = db_exec(db,
                     "DELETE FROM sessions WHERE person_id = ? AND last_seen_at < "
                     "CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
                     (db_val_t[]){db_u64(id), db_i64(cfg->portal_idle_timeout_s)}, 2, NULL);
    if (rc == ST_OK && upgrade && people_hash_password(password, hashed) == ST_OK)
        rc = db_exec(db, "UPDATE people SET password_hash = ? WHERE id = ?",
                     (db_val_t[]){db_str(hashed), db_u64(id)}, 2, NULL);
    if (rc == ST_OK)
        rc = session_create(db, id, totp, cookie);
    if (rc == ST_OK)
        rc = session_audit_login(db, id, totp ? "person.login_password" : "person.login", remote,
                                 "hash_upgraded", upgrade);
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK) {
        db_rollback(db);
        return rc;
    }
    *verdict = totp ? SESSION_TOTP : SESSION_OK;
    return ST_OK;
}

int session_authenticate(db_t *db, const config_t *cfg, const char *cookie, principal_t *out)
{
    memset(out, 0, sizeof *out);
    if (!session_well_formed(cookie))
        return ST_ERR_AUTH;
    uint8_t h[32];
    hash_sha256(cookie, HASH_TOKEN_LEN, h);
    db_res_t *res = NULL;
    db_val_t v[] = {db_blob(h, 32), db_i64(cfg->portal_lifetime_s),
                    db_i64(cfg->portal_idle_timeout_s)};
    int rc = db_exec(
        db,
        "SELECT s.person_id, p.role, p.email, s.csrf, TIMESTAMPDIFF(SECOND, "
        "s.last_seen_at, CURRENT_TIMESTAMP(6)), p.totp_enabled_at IS NOT NULL FROM sessions s "
        "JOIN people p ON p.id "
        "= s.person_id WHERE s.id_hash = ? AND p.disabled_at IS NULL AND s.mfa_pending = 0 AND "
        "s.created_at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND AND "
        "s.last_seen_at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
        v, 3, &res);
    if (rc != ST_OK)
        return rc;
    if (!db_res_next(res) || auth_role_parse(db_res_str(res, 1, NULL), &out->role) != ST_OK) {
        db_res_free(res);
        return ST_ERR_AUTH;
    }
    out->person_id = (uint64_t)db_res_i64(res, 0);
    snprintf(out->email, sizeof out->email, "%s", db_res_str(res, 2, NULL));
    snprintf(out->csrf, sizeof out->csrf, "%s", db_res_str(res, 3, NULL));
    snprintf(out->actor, sizeof out->actor, "person:%" PRIu64, out->person_id);
    long seen_ago = (long)db_res_i64(res, 4);
    unsigned required = 0;
    session_totp_roles(cfg->portal_totp_required_roles, &required, NULL, 0); /* checked at start */
    out->totp_missing = (required & out->role) && db_res_i64(res, 5) == 0;
    db_res_free(res);
    if (seen_ago >= SESSION_TOUCH_EVERY &&
        (rc = db_exec(db,
                      "UPDATE sessions SET last_seen_at = CURRENT_TIMESTAMP(6) WHERE id_hash = ?",
                      v, 1, NULL)) != ST_OK)
        return rc;
    db_val_t g[] = {db_u64(out->person_id)};
    rc = db_exec(db, "SELECT tenant_id FROM person_grants WHERE person_id = ? ORDER BY tenant_id",
                 g, 1, &res);
    if (rc != ST_OK) {
        principal_clear(out);
        return rc;
    }
    out->ntenants = db_res_count(res);
    out->tenants = xcalloc(out->ntenants + 1, sizeof *out->tenants);
    for (size_t i = 0; db_res_next(res); i++)
        out->tenants[i] = (uint64_t)db_res_i64(res, 0);
    db_res_free(res);
    return ST_OK;
}

int session_logout(db_t *db, const char *cookie, bool everywhere)
{
    if (!session_well_formed(cookie))
        return ST_OK;
    uint8_t h[32];
    hash_sha256(cookie, HASH_TOKEN_LEN, h);
    db_res_t *res = NULL;
    db_val_t v[] = {db_blob(h, 32)};
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    rc = db_exec(db, "SELECT person_id FROM sessions WHERE id_hash = ?", v, 1, &res);
    uint64_t id = 0;
    if (rc == ST_OK && db_res_next(res))
        id = (uint64_t)db_res_i64(res, 0);
    db_res_free(res);
    if (rc == ST_OK && id) {
        db_val_t p[] = {db_u64(id)};
        rc = everywhere ? db_exec(db, "DELETE FROM sessions WHERE person_id = ?", p, 1, NULL)
                        : db_exec(db, "DELETE FROM sessions WHERE id_hash = ?", v, 1, NULL);
        char actor[40];
        snprintf(actor, sizeof actor, "person:%" PRIu64, id);
        if (rc == ST_OK)
            rc = audit_append(db, actor, 0,
                              everywhere ? "person.logout_everywhere" : "person.logout", actor,
                              "{}");
    }
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}

int session_totp(db_t *db, const config_t *cfg, const char *pending, const char *code,
                 const char *remote, int64_t now_s, session_verdict *verdict, long *retry_after,
                 char cookie[HASH_TOKEN_LEN + 1])
{
    *verdict = SESSION_BAD;
    *retry_after = 0;
    if (!session_well_formed(pending))
        return ST_ERR_AUTH;
    uint8_t h[32], secret[64];
    hash_sha256(pending, HASH_TOKEN_LEN, h);
    db_res_t *res = NULL;
    db_val_t v[] = {db_blob(h, 32), db_i64(SESSION_TOTP_WAIT_S)};
    int rc = db_exec(db,
                     "SELECT p.id, p.email, p.totp_secret, p.totp_last_step FROM sessions s JOIN "
                     "people p ON p.id = s.person_id WHERE s.id_hash = ? AND s.mfa_pending = 1 "
                     "AND p.disabled_at IS NULL AND p.totp_secret IS NOT NULL AND s.created_at > "
                     "CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
                     v, 2, &res);
    if (rc != ST_OK)
        return rc;
    uint64_t id = 0;
    size_t klen = 0;
    int64_t last = 0;
    char email[PEOPLE_EMAIL_MAX + 1] = "";
    if (db_res_next(res)) {
        id = (uint64_t)db_res_i64(res, 0);
        snprintf(email, sizeof email, "%s", db_res_str(res, 1, NULL));
        const char *k = db_res_str(res, 2, &klen);
        if (klen > sizeof secret)
            klen = 0;
        memcpy(secret, k, klen);
        last = db_res_i64(res, 3);
    }
    db_res_free(res);
    if (!id || !klen)
        return ST_ERR_AUTH;
    long ef = 0, rf = 0;
    rc = session_gate(db, cfg, email, remote, &ef, &rf, verdict, retry_after);
    if (rc != ST_OK || *verdict != SESSION_OK) {
        memset(secret, 0, sizeof secret);
        return rc;
    }
    *verdict = SESSION_BAD;
    int64_t step = totp_check(secret, klen, code, now_s, last);
    memset(secret, 0, sizeof secret);
    if (step < 0)
        return session_fail(db, cfg, "person.totp_failed", email, remote, ef, rf);
    if ((rc = db_begin(db)) != ST_OK)
        return rc;
    /* The step only moves forward: a code used by a concurrent request is refused here. */
    rc = db_exec(db, "UPDATE people SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
                 (db_val_t[]){db_i64(step), db_u64(id), db_i64(step)}, 3, NULL);
    bool fresh = rc == ST_OK && db_affected(db) == 1;
    if (rc == ST_OK && fresh)
        rc = db_exec(db, "DELETE FROM sessions WHERE id_hash = ?", v, 1, NULL);
    if (rc == ST_OK && fresh)
        rc = db_exec(db, "DELETE FROM login_failures WHERE email = ?", (db_val_t[]){db_str(email)},
                     1, NULL);
    if (rc == ST_OK && fresh)
        rc = session_create(db, id, false, cookie);
    if (rc == ST_OK && fresh)
        rc = session_audit_login(db, id, "person.login", remote, "totp", true);
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK) {
        db_rollback(db);
        return rc;
    }
    if (!fresh)
        return session_fail(db, cfg, "person.totp_failed", email, remote, ef, rf);
    *verdict = SESSION_OK;
    return ST_OK;
}

int session_totp_roles(const char *text, unsigned *out, char *err, size_t errlen)
{
    *out = 0;
    for (const char *p = text ? text : ""; *p;) {
        size_t n = strcspn(p, ", \t");
        if (n) {
            char word[32];
            role_t r;
            snprintf(word, sizeof word, "%.*s", (int)n, p);
            if (n >= sizeof word || auth_role_parse(word, &r) != ST_OK) {
                if (err)
                    st_errf(err, errlen, "[portal] totp_required_roles: '%.*s' is not a role",
                            (int)(n > 40 ? 40 : n), p);
                return ST_ERR_CONFIG;
            }
            *out |= r;
        }
        p += n;
        p += strspn(p, ", \t");
    }
    return ST_OK;
}
