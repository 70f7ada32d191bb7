/* auth.c - tokens, roles and principals (see auth.h). */
#include "auth.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "hash.h"
#include "jsonutil.h"
#include "status.h"
#include "tenant.h"
#include "xmem.h"

static const struct {
    role_t role;
    const char *name;
} role_names[] = {
    {ROLE_ADMIN, "admin"},   {ROLE_MANAGER, "manager"}, {ROLE_INGEST, "ingest"},
    {ROLE_CLIENT, "client"}, {ROLE_AUDITOR, "auditor"},
};
_Static_assert(sizeof role_names / sizeof role_names[0] == AUTH_ROLES, "every role is named");

int auth_role_parse(const char *name, role_t *out)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strcmp(name, role_names[i].name) == 0) {
            *out = role_names[i].role;
            return ST_OK;
        }
    }
    return ST_ERR_INVALID;
}

void auth_role_names(const char *out[AUTH_ROLES + 1])
{
    for (size_t i = 0; i < AUTH_ROLES; i++)
        out[i] = role_names[i].name;
    out[AUTH_ROLES] = NULL;
}

const char *auth_role_name(role_t role)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (role_names[i].role == role)
            return role_names[i].name;
    return "?";
}

/* True for a base64url character (the alphabet of a token's secret part). */
static bool b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* True for a well-formed token: the prefix and 43 base64url characters. */
static bool token_well_formed(const char *t, size_t n)
{
    if (n != AUTH_TOKEN_LEN || strncmp(t, "slt_", 4) != 0)
        return false;
    for (size_t i = 4; i < n; i++)
        if (!b64url(t[i]))
            return false;
    return true;
}

void auth_redact(char *s)
{
    for (char *p = s ? strstr(s, "slt_") : NULL; p; p = strstr(p, "slt_")) {
        p += 4;
        size_t n = 0;
        while (b64url(p[n]))
            n++;
        if (n >= AUTH_REDACT_MIN)
            memset(p, '*', n);
        p += n;
    }
}

/* Loads the tenant grants of a token into the principal. */
static int auth_load_grants(db_t *db, principal_t *p)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(p->token_id)};
    int rc = db_exec(db, "SELECT tenant_id FROM token_grants WHERE token_id = ? ORDER BY tenant_id",
                     v, 1, &res);
    if (rc != ST_OK)
        return rc;
    p->ntenants = db_res_count(res);
    p->tenants = xcalloc(p->ntenants + 1, sizeof *p->tenants);
    for (size_t i = 0; db_res_next(res); i++)
        p->tenants[i] = (uint64_t)db_res_i64(res, 0);
    db_res_free(res);
    return ST_OK;
}

int auth_authenticate(db_t *db, const char *authorization, principal_t *out)
{
    memset(out, 0, sizeof *out);
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return ST_ERR_AUTH;
    const char *tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    size_t n = strlen(tok);
    while (n && tok[n - 1] == ' ')
        n--;
    if (!token_well_formed(tok, n))
        return ST_ERR_AUTH;
    uint8_t h[32];
    hash_sha256(tok, n, h);
    db_res_t *res = NULL;
    db_val_t v[] = {db_blob(h, 32)};
    int rc = db_exec(db,
                     "SELECT id, role, token_hash FROM tokens WHERE token_hash = ? AND "
                     "revoked_at IS NULL",
                     v, 1, &res);
    if (rc != ST_OK)
        return rc;
    size_t hl = 0;
    const char *stored = db_res_next(res) ? db_res_str(res, 2, &hl) : NULL;
    /* The index finds the row; the comparison itself is constant-time. */
    if (!stored || hl != 32 || !hash_equal(stored, h, 32) ||
        auth_role_parse(db_res_str(res, 1, NULL), &out->role) != ST_OK) {
        db_res_free(res);
        return ST_ERR_AUTH;
    }
    out->token_id = (uint64_t)db_res_i64(res, 0);
    snprintf(out->actor, sizeof out->actor, "token:%" PRIu64, out->token_id);
    db_res_free(res);
    rc = auth_load_grants(db, out);
    if (rc != ST_OK)
        principal_clear(out);
    return rc;
}

void principal_clear(principal_t *p)
{
    free(p->tenants);
    memset(p, 0, sizeof *p);
}

bool auth_may_see(const principal_t *p, uint64_t tenant_id)
{
    if (p->role == ROLE_ADMIN)
        return true;
    for (size_t i = 0; i < p->ntenants; i++)
        if (p->tenants[i] == tenant_id)
            return true;
    return false;
}

/* Makes a new random token text. */
static int token_generate(char out[AUTH_TOKEN_LEN + 1])
{
    memcpy(out, "slt_", 4);
    return hash_random_token(out + 4); /* 43 base64url characters */
}

int auth_grants_check(role_t role, size_t n, char *err, size_t errlen)
{
    if (role == ROLE_ADMIN && n != 0) {
        snprintf(err, errlen, "an admin sees every tenant: give no tenants");
        return ST_ERR_INVALID;
    }
    if ((role == ROLE_INGEST || role == ROLE_CLIENT) && n != 1) {
        snprintf(err, errlen, "a %s belongs to exactly one tenant", auth_role_name(role));
        return ST_ERR_INVALID;
    }
    if ((role == ROLE_MANAGER || role == ROLE_AUDITOR) && n == 0) {
        snprintf(err, errlen, "a %s needs at least one tenant", auth_role_name(role));
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

int auth_grants_insert(db_t *db, bool person, uint64_t id, const char *const *slugs, size_t n,
                       json_t *names, uint64_t *audit_tenant, char *err, size_t errlen)
{
    *audit_tenant = 0;
    for (size_t i = 0; i < n; i++) {
        tenant_t t;
        int rc = tenant_by_slug(db, slugs[i], &t);
        if (rc == ST_ERR_NOT_FOUND)
            snprintf(err, errlen, "tenant '%s' does not exist", slugs[i]);
        if (rc != ST_OK)
            return rc;
        db_val_t g[] = {db_u64(t.id), db_u64(id)};
        rc =
            db_exec(db,
                    person ? "INSERT IGNORE INTO person_grants (tenant_id, person_id) VALUES (?, ?)"
                           : "INSERT IGNORE INTO token_grants (tenant_id, token_id) VALUES (?, ?)",
                    g, 2, NULL);
        if (rc != ST_OK)
            return rc;
        json_array_append_new(names, json_string(t.slug));
        *audit_tenant = n == 1 ? t.id : 0;
    }
    return ST_OK;
}

int auth_token_issue(db_t *db, const char *actor, role_t role, const char *const *slugs,
                     size_t nslugs, const char *label, char token[AUTH_TOKEN_LEN + 1], uint64_t *id,
                     char *err, size_t errlen)
{
    uint64_t audit_tenant = 0;
    err[0] = '\0';
    int rc = auth_grants_check(role, nslugs, err, errlen);
    if (rc != ST_OK)
        return rc;
    if (strlen(label) > 255) {
        snprintf(err, errlen, "label: at most 255 bytes");
        return ST_ERR_INVALID;
    }
    if ((rc = token_generate(token)) != ST_OK) {
        snprintf(err, errlen, "no random bytes for a token");
        return rc;
    }
    uint8_t h[32];
    hash_sha256(token, AUTH_TOKEN_LEN, h);
    json_t *detail =
        json_pack("{s:s, s:s, s:[]}", "role", auth_role_name(role), "label", label, "tenants");
    if ((rc = db_begin(db)) != ST_OK)
        goto fail;
    db_val_t v[] = {db_blob(h, 32), db_str(auth_role_name(role)), db_str(label)};
    if ((rc = db_exec(db, "INSERT INTO tokens (token_hash, role, label) VALUES (?, ?, ?)", v, 3,
                      NULL)) != ST_OK)
        goto fail;
    *id = db_insert_id(db);
    if ((rc = auth_grants_insert(db, false, *id, slugs, nslugs, json_object_get(detail, "tenants"),
                                 &audit_tenant, err, errlen)) != ST_OK)
        goto fail;
    char object[32];
    snprintf(object, sizeof object, "token:%" PRIu64, *id);
    char *dtext = jsonutil_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    rc = audit_append(db, actor, audit_tenant, "token.issue", object, dtext ? dtext : "{}");
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

int auth_token_revoke(db_t *db, const char *actor, uint64_t id)
{
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_val_t v[] = {db_u64(id)};
    rc = db_exec(db,
                 "UPDATE tokens SET revoked_at = CURRENT_TIMESTAMP(6) WHERE id = ? AND revoked_at "
                 "IS NULL",
                 v, 1, NULL);
    if (rc == ST_OK && db_affected(db) == 0)
        rc = ST_ERR_NOT_FOUND;
    if (rc == ST_OK) {
        char object[32];
        snprintf(object, sizeof object, "token:%" PRIu64, id);
        rc = audit_append(db, actor, 0, "token.revoke", object, "{}");
    }
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}

json_t *auth_slugs_json(const char *spaced)
{
    json_t *tenants = json_array();
    for (const char *s = spaced; s && *s;) {
        const char *sp = strchr(s, ' ');
        size_t len = sp ? (size_t)(sp - s) : strlen(s);
        json_array_append_new(tenants, json_stringn(s, len));
        s = sp ? sp + 1 : s + len;
    }
    return tenants;
}

int auth_token_list(db_t *db, role_t role, uint64_t tenant_id, json_t **out)
{
    *out = NULL;
    db_res_t *res = NULL;
    const char *rn = role ? auth_role_name(role) : "";
    db_val_t v[] = {db_str(rn), db_str(rn), db_u64(tenant_id), db_u64(tenant_id)};
    int rc = db_exec(db,
                     "SELECT k.id, k.role, k.label, DATE_FORMAT(k.created_at, "
                     "'%Y-%m-%dT%H:%i:%sZ'), k.revoked_at IS NOT NULL, (SELECT "
                     "GROUP_CONCAT(t.slug ORDER BY t.slug SEPARATOR ' ') FROM token_grants g "
                     "JOIN tenants t ON t.id = g.tenant_id WHERE g.token_id = k.id) FROM tokens k "
                     "WHERE (? = '' OR k.role = ?) AND (? = 0 OR EXISTS (SELECT 1 FROM "
                     "token_grants g WHERE g.token_id = k.id AND g.tenant_id = ?)) ORDER BY k.id "
                     "DESC",
                     v, 4, &res);
    if (rc != ST_OK)
        return rc;
    json_t *list = json_array();
    while (db_res_next(res)) {
        json_t *tenants = auth_slugs_json(db_res_str(res, 5, NULL));
        json_array_append_new(
            list, json_pack("{s:I, s:s, s:s, s:s, s:b, s:o}", "id", (json_int_t)db_res_i64(res, 0),
                            "role", db_res_str(res, 1, NULL), "label", db_res_str(res, 2, NULL),
                            "created_at", db_res_str(res, 3, NULL), "revoked",
                            (int)db_res_i64(res, 4), "tenants", tenants));
    }
    db_res_free(res);
    *out = list;
    return ST_OK;
}
