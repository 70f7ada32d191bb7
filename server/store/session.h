/*
 * session.h - portal sessions and logins (migrations/0009_people.sql).
 *
 * A session id is 256 random bits, 43 base64url characters in the
 * slattest_session cookie; the database keeps its SHA-256.  A session ends
 * [portal] idle_timeout_s after its last use, lifetime_s after the login,
 * at logout, when the person signs out everywhere, changes their password
 * (every other session), or is disabled.  session_authenticate() turns a live session into the
 * same principal_t a bearer token gives (auth.h): the person's role and
 * tenant grants, so the router's one gate treats both alike; and whether
 * the person still has to enrol in TOTP (principal_t.totp_missing).
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
    SESSION_TOTP,      /* the password is right; the session waits for a code (session_totp) */
} session_verdict;

/* A session waiting for its code ends this long after the login. */
#define SESSION_TOTP_WAIT_S 300

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

/*
 * The second step of a login for a person enrolled in TOTP: `pending` is
 * the cookie session_login() gave (at most SESSION_TOTP_WAIT_S old), code
 * the 6 digits typed, now_s the Unix time.  Codes are throttled with the
 * passwords (the same counts, per email and per address); a wrong code, or
 * one whose time step was used already (replay), is a failure audited as
 * "person.totp_failed".  On SESSION_OK the pending session is replaced by
 * a new one whose id is in cookie.  ST_ERR_AUTH when pending is no session
 * waiting for a code (expired, or none); a db status otherwise.
 */
int session_totp(db_t *db, const config_t *cfg, const char *pending, const char *code,
                 const char *remote, int64_t now_s, session_verdict *verdict, long *retry_after,
                 char cookie[HASH_TOKEN_LEN + 1]);

/*
 * Parses [portal] totp_required_roles ("admin, manager": role names
 * separated by commas or spaces) into role bits.  ST_ERR_CONFIG naming the
 * first word that is not a role.
 */
int session_totp_roles(const char *text, unsigned *out, char *err, size_t errlen);

/* Ends the session of this cookie, or (everywhere) every session of its person; audited. */
int session_logout(db_t *db, const char *cookie, bool everywhere);

#endif
