/*
 * session.h - portal sessions and logins (migrations/0009_people.sql).
 *
 * A session id is 256 random bits, 43 base64url characters in the
 * slattest_session cookie; the database keeps its SHA-256.  A session ends
 * [portal] idle_timeout_s after its last use, lifetime_s after the login,
 * at logout, when the person signs out everywhere, changes their password,
 * or is disabled.  session_authenticate() turns a live session into the
 * same principal_t a bearer token gives (auth.h): the person's role and
 * tenant grants, so the router's one gate treats both alike.
 *
 * Logins are throttled per email typed (known or not, so throttling says
 * nothing about which accounts exist) and per client address, counting
 * failures over the last login_lock_s seconds: from login_delay_after
 * failures on, each attempt must wait 2^(n - login_delay_after) seconds
 * (at most 5 minutes) after the last failure; at login_lock_after failures
 * the account is locked (address_lock_after for an address) until the
 * window has passed.  An unknown email, a wrong password, a disabled person
 * and one without a password all give the same verdict, after the same
 * Argon2 work.  Every login, failure and lock is in the audit log.
 *
 * Functions run on the caller's thread with the caller's connection.
 */
#ifndef SLT_SESSION_H
#define SLT_SESSION_H

#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "hash.h"

#define SESSION_COOKIE "slattest_session"

typedef enum session_verdict {
    SESSION_OK,        /* logged in: cookie holds the new session id */
    SESSION_BAD,       /* unknown email, wrong password, disabled, or no password yet */
    SESSION_THROTTLED, /* too soon after failures: retry after *retry_after seconds */
    SESSION_LOCKED,    /* locked for *retry_after seconds */
} session_verdict;

/*
 * Tries a login by email and password from client address remote.  On
 * SESSION_OK a new session exists and its id is in
 * cookie[HASH_TOKEN_LEN + 1].  Returns ST_OK with the verdict in *verdict,
 * or a db status.
 */
int session_login(db_t *db, const config_t *cfg, const char *email, const char *password,
                  const char *remote, session_verdict *verdict, long *retry_after,
                  char cookie[HASH_TOKEN_LEN + 1]);

/*
 * The principal of a live session (the cookie's value), with the person's
 * email and the session's CSRF token; refreshes its last use.  ST_ERR_AUTH
 * when the value is malformed, unknown, expired, or the person is
 * disabled; a db status otherwise.  The caller releases *out with
 * principal_clear().
 */
int session_authenticate(db_t *db, const config_t *cfg, const char *cookie, principal_t *out);

/* Ends the session of this cookie, or (everywhere) every session of its person; audited. */
int session_logout(db_t *db, const char *cookie, bool everywhere);

#endif
