/*
 * people.h - people who use the portal: an email, one of the five roles of
 * auth.h with the same tenant grants a token has (auth_grants_check()), an
 * Argon2id password and a disabled flag (migrations/0009_people.sql).
 *
 * Passwords are hashed with Argon2id in the encoded form that carries its
 * parameters ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), so a change of
 * PEOPLE_ARGON2_* takes effect for each person at their next login
 * (people_verify() says when the stored hash should be upgraded).  A new
 * password must pass pwpolicy_check().
 *
 * A password can also be set through a one-time link: 256 random bits
 * shown once (only the SHA-256 is stored), valid PEOPLE_LINK_HOURS, used
 * once; using it ends every session of the person.
 *
 * Every change appends an audit entry in the same transaction.  Functions
 * run on the caller's thread with the caller's connection.
 */
#ifndef SLT_PEOPLE_H
#define SLT_PEOPLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"
#include "hash.h"

#define PEOPLE_EMAIL_MAX     254
#define PEOPLE_LINK_HOURS    24
#define PEOPLE_ARGON2_T      2
#define PEOPLE_ARGON2_M_KIB  19456 /* 19 MiB: the OWASP minimum for Argon2id */
#define PEOPLE_ARGON2_P      1
#define PEOPLE_HASH_TEXT_MAX 160

/* Lowercases and checks an email (one '@', no spaces or controls, <= 254 bytes) into out. */
int people_email_normalise(const char *email, char out[PEOPLE_EMAIL_MAX + 1]);

/*
 * Hashes a password with the current parameters into out (encoded form).
 * ST_ERR_CRYPTO when no random salt or argon2 fails.  Any thread.
 */
int people_hash_password(const char *password, char out[PEOPLE_HASH_TEXT_MAX]);

/*
 * Checks a password against an encoded hash: true when it matches; *upgrade
 * (may be NULL) is set when the hash has other parameters than the current
 * ones.  Any thread.
 */
bool people_verify(const char *encoded, const char *password, bool *upgrade);

/*
 * Adds a person with a role and tenant slugs.  With a password (checked by
 * pwpolicy_check()) it is set at once; without one, a one-time link token
 * is written into link[HASH_TOKEN_LEN + 1].  ST_ERR_INVALID (reason in
 * err), ST_ERR_CONFLICT when the email exists, ST_ERR_NOT_FOUND for an
 * unknown tenant, or a db status.
 */
int people_add(db_t *db, const char *actor, const char *email, role_t role,
               const char *const *slugs, size_t nslugs, const char *password,
               char link[HASH_TOKEN_LEN + 1], uint64_t *id, char *err, size_t errlen);

/* Disables a person and ends their sessions.  ST_ERR_NOT_FOUND when unknown or already disabled. */
int people_disable(db_t *db, const char *actor, const char *email);

/*
 * Every person as a JSON array of {id, email, role, tenants: [slug...],
 * password_set, disabled, created_at, totp (two-step sign-in on)}, by email.  The caller owns *out.
 */
int people_list(db_t *db, json_t **out);

/*
 * Sets a password through a one-time link token: ST_ERR_NOT_FOUND when the
 * link is unknown, used or expired; ST_ERR_INVALID with the pwpolicy
 * verdict in *verdict when the password is refused (the link stays
 * usable).  Ends the person's sessions.
 */
int people_set_password_by_link(db_t *db, const char *token, const char *password, int *verdict);

/*
 * A signed-in person changes their password: current must match; the new
 * one passes pwpolicy_check() (else ST_ERR_INVALID with the verdict in
 * *verdict).  Every session of the person but the one of keep_cookie ends.
 * ST_ERR_AUTH (audited "person.password_change_failed") for a wrong
 * current password.  Audited "person.password_change".
 */
int people_change_password(db_t *db, uint64_t person_id, const char *current, const char *password,
                           const char *keep_cookie, int *verdict);

#endif
