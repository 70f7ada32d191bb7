/*
 * auth.h - bearer tokens, roles and the principal a request acts as.
 *
 * A token is "slt_" + 43 base64url characters (256 random bits), shown once
 * at issue; the database keeps only its SHA-256.  auth_authenticate() turns
 * an Authorization header into a principal_t: the token id, its role and
 * the tenants granted to it.  Whether a principal may see a tenant is
 * decided only by auth_may_see(), which the router applies to every
 * tenant-scoped route (see router.c) — handlers never check it themselves.
 *
 * Functions taking a db_t run on the caller's thread with its connection.
 */
#ifndef SLT_AUTH_H
#define SLT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db.h"

/* Roles as bits, so a route can allow a set of them. */
typedef enum role {
    ROLE_ADMIN = 1 << 0,
    ROLE_MANAGER = 1 << 1,
    ROLE_INGEST = 1 << 2,
    ROLE_CLIENT = 1 << 3,
    ROLE_AUDITOR = 1 << 4,
} role_t;

#define ROLES_ANY      (ROLE_ADMIN | ROLE_MANAGER | ROLE_INGEST | ROLE_CLIENT | ROLE_AUDITOR)
#define AUTH_TOKEN_LEN 47 /* "slt_" + 43 */

typedef struct principal {
    uint64_t token_id;
    role_t role;
    uint64_t *tenants; /* granted tenant ids (owned; admin: none, sees all) */
    size_t ntenants;
    char actor[32]; /* "token:<id>" or "person:<id>" for the audit log */
    /* A person signed in to the portal (session.h); 0 and "" for a token. */
    uint64_t person_id;
    char email[255];
    char csrf[44]; /* the session's form token */
    /* A person whose role must use TOTP ([portal] totp_required_roles) and
     * who has not enrolled: pages send them to enrol; the API refuses. */
    bool totp_missing;
} principal_t;

/*
 * Masks, in place, every token-like run in text bound for a log ("slt_"
 * and AUTH_REDACT_MIN or more base64url characters, so a mistyped token
 * too): each secret character becomes '*'.  A token is a secret; no log
 * line may hold one, even where a client put it by mistake (a path).
 */
#define AUTH_REDACT_MIN 8
void auth_redact(char *s);

/* Parses "admin", "manager", ...; ST_ERR_INVALID for anything else. */
int auth_role_parse(const char *name, role_t *out);
const char *auth_role_name(role_t role);
/* Every role's name, NULL-ended (static strings), for messages that list them. */
#define AUTH_ROLES 5
void auth_role_names(const char *out[AUTH_ROLES + 1]);

/*
 * Checks an Authorization header value ("Bearer slt_...").  ST_ERR_AUTH when
 * it is missing, malformed, unknown or revoked; ST_ERR_UNAVAILABLE or
 * ST_ERR_DB when the database fails.  On success the caller owns *out and
 * releases it with principal_clear().
 */
int auth_authenticate(db_t *db, const char *authorization, principal_t *out);
void principal_clear(principal_t *p);

/* The one tenancy rule: admin sees every tenant, others their grants. */
bool auth_may_see(const principal_t *p, uint64_t tenant_id);

/*
 * The number of tenants a role takes, for tokens and people alike: admin
 * none; ingest and client exactly one; manager and auditor at least one.
 * ST_ERR_INVALID with the rule in err.
 */
int auth_grants_check(role_t role, size_t ntenants, char *err, size_t errlen);

/*
 * Grants the tenants named by slugs to token or person (person) `id`,
 * appending each slug to the JSON array names; *audit_tenant is the tenant
 * when there is exactly one (for the audit entry), else 0.  Inside the
 * caller's transaction.  ST_ERR_NOT_FOUND (err names the slug) or a db
 * status.
 */
int auth_grants_insert(db_t *db, bool person, uint64_t id, const char *const *slugs, size_t n,
                       json_t *names, uint64_t *audit_tenant, char *err, size_t errlen);

/*
 * Issues a token for a role and tenant slugs (validated: admin takes none;
 * ingest and client exactly one; manager and auditor at least one) and
 * appends an audit entry, in one transaction.  Writes the token text into
 * token[AUTH_TOKEN_LEN + 1] and its id into *id.  ST_ERR_INVALID or
 * ST_ERR_NOT_FOUND (unknown tenant) with a message in err.
 */
int auth_token_issue(db_t *db, const char *actor, role_t role, const char *const *slugs,
                     size_t nslugs, const char *label, char token[AUTH_TOKEN_LEN + 1], uint64_t *id,
                     char *err, size_t errlen);

/* Revokes a token by id, with an audit entry.  ST_ERR_NOT_FOUND if unknown. */
int auth_token_revoke(db_t *db, const char *actor, uint64_t id);

/*
 * Tokens (never their secrets) as a new JSON array in *out, newest first: {id,
 * role, label, created_at, revoked, tenants: [slug...]}; only those of role
 * (0: every role) and granted tenant_id (0: any).
 */
int auth_token_list(db_t *db, role_t role, uint64_t tenant_id, json_t **out);

/* Slugs separated by single spaces (a GROUP_CONCAT; NULL: none) as a new JSON array. */
json_t *auth_slugs_json(const char *spaced);

#endif
