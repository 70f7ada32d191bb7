/* people.c - people, their passwords and one-time password links (see people.h). */
#include "people.h"

#include <argon2.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "pwpolicy.h"
#include "jsonutil.h"
#include "status.h"
#include "xmem.h"

int people_email_normalise(const char *email, char out[PEOPLE_EMAIL_MAX + 1])
{
    size_t n = strlen(email), ats = 0;
    if (n < 3 || n > PEOPLE_EMAIL_MAX)
        return ST_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\'')
            return ST_ERR_INVALID;
        ats += c == '@';
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
    if (ats != 1 || out[0] == '@' || out[n - 1] == '@')
        return ST_ERR_INVALID;
    return ST_OK;
}

int people_hash_password(const char *password, char out[PEOPLE_HASH_TEXT_MAX])
{
    uint8_t salt[16];
    if (hash_random(salt, sizeof salt) != ST_OK)
        return ST_ERR_CRYPTO;
    int rc =
        argon2id_hash_encoded(PEOPLE_ARGON2_T, PEOPLE_ARGON2_M_KIB, PEOPLE_ARGON2_P, password,
                              strlen(password), salt, sizeof salt, 32, out, PEOPLE_HASH_TEXT_MAX);
    return rc == ARGON2_OK ? ST_OK : ST_ERR_CRYPTO;
}

bool people_verify(const char *encoded, const char *password, bool *upgrade)
{
    if (upgrade)
        *upgrade = false;
    if (!encoded || strncmp(encoded, "$argon2id$", 10) != 0)
        return false;
    if (argon2id_verify(encoded, password, strlen(password)) != ARGON2_OK)
        return false;
    char want[64];
    snprintf(want, sizeof want, "$argon2id$v=%d$m=%d,t=%d,p=%d$", ARGON2_VERSION_NUMBER,
             PEOPLE_ARGON2_M_KIB, PEOPLE_ARGON2_T, PEOPLE_ARGON2_P);
    if (upgrade)
        *upgrade = strncmp(encoded, want, strlen(want)) != 0;
    return true;
}

/* Stores a new one-time link for a person; the token goes to link. */
static int people_link_new(db_t *db, uint64_t person_id, char link[HASH_TOKEN_LEN + 1])
{
    if (hash_random_token(link) != ST_OK)
        return ST_ERR_CRYPTO;
    uint8_t h[32];
    hash_sha256(link, HASH_TOKEN_LEN, h);
    db_val_t v[] = {db_blob(h, 32), db_u64(person_id), db_i64(PEOPLE_LINK_HOURS)};
    return db_exec(db,
                   "INSERT INTO password_links (token_hash, person_id, expires_at) VALUES "
                   "(?, ?, CURRENT_TIMESTAMP(6) + INTERVAL ? HOUR)",
                   v, 3, NULL);
}

int people_add(db_t *db, const char *actor, const char *email, role_t role,
               const char *const *slugs, size_t nslugs, const char *password,
               char link[HASH_TOKEN_LEN + 1], uint64_t *id, char *err, size_t errlen)
{
    char norm[PEOPLE_EMAIL_MAX + 1], hashed[PEOPLE_HASH_TEXT_MAX] = "";
    json_t *detail = NULL;
    err[0] = '\0';
    if (people_email_normalise(email, norm) != ST_OK) {
        snprintf(err, errlen, "'%.80s' is not an email address", email);
        return ST_ERR_INVALID;
    }
    int rc = auth_grants_check(role, nslugs, err, errlen);
    if (rc != ST_OK)
        return rc;
    if (password) {
        pwpolicy_verdict pv = pwpolicy_check(password, norm);
        if (pv != PWPOLICY_OK) {
            snprintf(err, errlen, "%s", pwpolicy_reason(pv));
            return ST_ERR_INVALID;
        }
        if ((rc = people_hash_password(password, hashed)) != ST_OK) {
            snprintf(err, errlen, "could not hash the password");
            return rc;
        }
    }
    detail = json_pack("{s:s, s:s, s:[], s:b}", "email", norm, "role", auth_role_name(role),
                       "tenants", "password_set", password != NULL);
    uint64_t audit_tenant = 0;
    if ((rc = db_begin(db)) != ST_OK)
        goto fail;
    db_val_t v[] = {db_str(norm), db_str(auth_role_name(role)),
                    password ? db_str(hashed) : db_null()};
    rc =
        db_exec(db, "INSERT INTO people (email, role, password_hash) VALUES (?, ?, ?)", v, 3, NULL);
    if (rc == ST_ERR_CONFLICT)
        snprintf(err, errlen, "%s exists already", norm);
    if (rc != ST_OK)
        goto fail;
    *id = db_insert_id(db);
    if ((rc = auth_grants_insert(db, true, *id, slugs, nslugs, json_object_get(detail, "tenants"),
                                 &audit_tenant, err, errlen)) != ST_OK)
        goto fail;
    if (!password && (rc = people_link_new(db, *id, link)) != ST_OK)
        goto fail;
    char object[40];
    snprintf(object, sizeof object, "person:%" PRIu64, *id);
    char *dtext = jsonutil_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    rc = audit_append(db, actor, audit_tenant, "person.add", object, dtext ? dtext : "{}");
    free(dtext);
    if (rc != ST_OK)
        goto fail;
    rc = db_commit(db);
fail:
    if (rc != ST_OK) {
        db_rollback(db);
        if (!err[0])
            snprintf(err, errlen, "%s", db_error(db));
    }
    json_decref(detail);
    return rc;
}

int people_disable(db_t *db, const char *actor, const char *email)
{
    char norm[PEOPLE_EMAIL_MAX + 1];
    if (people_email_normalise(email, norm) != ST_OK)
        return ST_ERR_NOT_FOUND;
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_res_t *res = NULL;
    db_val_t v[] = {db_str(norm)};
    rc = db_exec(db, "SELECT id FROM people WHERE email = ? AND disabled_at IS NULL FOR UPDATE", v,
                 1, &res);
    uint64_t id = 0;
    if (rc == ST_OK && db_res_next(res))
        id = (uint64_t)db_res_i64(res, 0);
    db_res_free(res);
    if (rc == ST_OK && id == 0)
        rc = ST_ERR_NOT_FOUND;
    db_val_t p[] = {db_u64(id)};
    if (rc == ST_OK)
        rc = db_exec(db, "UPDATE people SET disabled_at = CURRENT_TIMESTAMP(6) WHERE id = ?", p, 1,
                     NULL);
    if (rc == ST_OK)
        rc = db_exec(db, "DELETE FROM sessions WHERE person_id = ?", p, 1, NULL);
    if (rc == ST_OK) {
        char object[40];
        snprintf(object, sizeof object, "person:%" PRIu64, id);
        json_t *d = json_pack("{s:s}", "email", norm);
        char *dtext = jsonutil_dumps(d, JSON_COMPACT);
        rc = audit_append(db, actor, 0, "person.disable", object, dtext ? dtext : "{}");
        free(dtext);
        json_decref(d);
    }
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}

int people_list(db_t *db, json_t **out)
{
    db_res_t *res = NULL;
    *out = NULL;
    int rc = db_exec(db,
                     "SELECT p.id, p.email, p.role, p.password_hash IS NOT NULL, "
                     "p.disabled_at IS NOT NULL, DATE_FORMAT(p.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
                     "p.totp_enabled_at IS NOT NULL, "
                     "(SELECT GROUP_CONCAT(t.slug ORDER BY t.slug SEPARATOR ' ') FROM "
                     "person_grants g JOIN tenants t ON t.id = g.tenant_id WHERE g.person_id = "
                     "p.id) FROM people p ORDER BY p.email",
                     NULL, 0, &res);
    if (rc != ST_OK)
        return rc;
    json_t *list = json_array();
    while (db_res_next(res)) {
        json_t *tenants = auth_slugs_json(db_res_str(res, 7, NULL));
        json_array_append_new(list,
                              json_pack("{s:I, s:s, s:s, s:o, s:b, s:b, s:s, s:b}", "id",
                                        (json_int_t)db_res_i64(res, 0), "email",
                                        db_res_str(res, 1, NULL), "role", db_res_str(res, 2, NULL),
                                        "tenants", tenants, "password_set", (int)db_res_i64(res, 3),
                                        "disabled", (int)db_res_i64(res, 4), "created_at",
                                        db_res_str(res, 5, NULL), "totp", (int)db_res_i64(res, 6)));
    }
    db_res_free(res);
    *out = list;
    return ST_OK;
}

int people_set_password_by_link(db_t *db, const char *token, const char *password, int *verdict)
{
    *verdict = PWPOLICY_OK;
    if (strlen(token) != HASH_TOKEN_LEN)
        return ST_ERR_NOT_FOUND;
    uint8_t h[32];
    hash_sha256(token, HASH_TOKEN_LEN, h);
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_res_t *res = NULL;
    db_val_t v[] = {db_blob(h, 32)};
    rc = db_exec(db,
                 "SELECT l.person_id, p.email FROM password_links l JOIN people p ON p.id = "
                 "l.person_id WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > "
                 "CURRENT_TIMESTAMP(6) AND p.disabled_at IS NULL FOR UPDATE",
                 v, 1, &res);
    uint64_t id = 0;
    char email[PEOPLE_EMAIL_MAX + 1] = "";
    if (rc == ST_OK && db_res_next(res)) {
        id = (uint64_t)db_res_i64(res, 0);
        snprintf(email, sizeof email, "%s", db_res_str(res, 1, NULL));
    }
    db_res_free(res);
    if (rc == ST_OK && id == 0)
        rc = ST_ERR_NOT_FOUND;
    char hashed[PEOPLE_HASH_TEXT_MAX];
    if (rc == ST_OK && (*verdict = (int)pwpolicy_check(password, email)) != PWPOLICY_OK)
        rc = ST_ERR_INVALID;
    if (rc == ST_OK)
        rc = people_hash_password(password, hashed);
    db_val_t p[] = {db_str(hashed), db_u64(id)};
    if (rc == ST_OK)
        rc = db_exec(db, "UPDATE people SET password_hash = ? WHERE id = ?", p, 2, NULL);
    if (rc == ST_OK)
        rc = db_exec(db,
                     "UPDATE password_links SET used_at = CURRENT_TIMESTAMP(6) WHERE "
                     "token_hash = ?",
                     v, 1, NULL);
    if (rc == ST_OK)
        rc = db_exec(db, "DELETE FROM sessions WHERE person_id = ?", p + 1, 1, NULL);
    char object[40];
    snprintf(object, sizeof object, "person:%" PRIu64, id);
    if (rc == ST_OK)
        rc = audit_append(db, object, 0, "person.password_set", object, "{\"by\":\"link\"}");
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}

int people_change_password(db_t *db, uint64_t person_id, const char *current, const char *password,
                           const char *keep_cookie, int *verdict)
{
    *verdict = PWPOLICY_OK;
    db_res_t *res = NULL;
    int rc = db_exec(db,
                     "SELECT email, password_hash FROM people WHERE id = ? AND disabled_at IS NULL "
                     "AND password_hash IS NOT NULL",
                     (db_val_t[]){db_u64(person_id)}, 1, &res);
    if (rc != ST_OK)
        return rc;
    char email[PEOPLE_EMAIL_MAX + 1] = "", object[40], hashed[PEOPLE_HASH_TEXT_MAX];
    char *stored = NULL;
    if (db_res_next(res)) {
        snprintf(email, sizeof email, "%s", db_res_str(res, 0, NULL));
        stored = xstrdup(db_res_str(res, 1, NULL));
    }
    db_res_free(res);
    bool ok = stored && people_verify(stored, current, NULL);
    free(stored);
    snprintf(object, sizeof object, "person:%" PRIu64, person_id);
    if ((rc = db_begin(db)) != ST_OK)
        return rc;
    if (!ok) {
        rc = audit_append(db, object, 0, "person.password_change_failed", object, "{}");
        if (rc == ST_OK && (rc = db_commit(db)) == ST_OK)
            return ST_ERR_AUTH;
        goto fail;
    }
    if ((*verdict = (int)pwpolicy_check(password, email)) != PWPOLICY_OK) {
        db_rollback(db);
        return ST_ERR_INVALID;
    }
    if ((rc = people_hash_password(password, hashed)) != ST_OK)
        goto fail;
    rc = db_exec(db, "UPDATE people SET password_hash = ? WHERE id = ?",
                 (db_val_t[]){db_str(hashed), db_u64(person_id)}, 2, NULL);
    uint8_t h[32] = {0};
    if (keep_cookie && strlen(keep_cookie) == HASH_TOKEN_LEN)
        hash_sha256(keep_cookie, HASH_TOKEN_LEN, h);
    if (rc == ST_OK)
        rc = db_exec(db, "DELETE FROM sessions WHERE person_id = ? AND id_hash <> ?",
                     (db_val_t[]){db_u64(person_id), db_blob(h, 32)}, 2, NULL);
    uint64_t ended = rc == ST_OK ? db_affected(db) : 0;
    if (rc == ST_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "{\"by\":\"person\",\"sessions_ended\":%" PRIu64 "}",
                 ended);
        rc = audit_append(db, object, 0, "person.password_change", object, detail);
    }
    if (rc == ST_OK)
        rc = db_commit(db);
fail:
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}
